#!/bin/sh
# promtool as the oracle for what is valid text exposition format: for
# every file in testdata/metrics/oracle/, `promtool check metrics` reports a
# parsing error exactly when `promsight metrics` reports a warning, and on
# the same line. (promtool's lint findings - "no help text", exit 3 - are
# not parse errors.) Also checks that the file names (valid_/invalid_) say
# what promtool says, so the corpus itself stays honest.
set -u
command -v promtool >/dev/null 2>&1 || { echo "promtool missing"; exit 1; }
fail=0
n=0
for f in testdata/metrics/oracle/*.prom; do
    n=$((n + 1))
    pt=$(promtool check metrics <"$f" 2>&1)
    pt_line=$(printf '%s\n' "$pt" | sed -n 's/.*parsing error in line \([0-9]*\):.*/\1/p' | head -n 1)
    ps_line=$("$PROMSIGHT" metrics --format json "$f" 2>/dev/null | python3 -c '
import json, sys
d = [x for x in json.load(sys.stdin)["diagnostics"] if x["severity"] != "note"]
print(d[0]["line"] if d else "")')
    case "$(basename "$f")" in
        valid_*) want_err=no ;;
        *) want_err=yes ;;
    esac
    got_err=no
    [ -n "$pt_line" ] && got_err=yes
    if [ "$want_err" != "$got_err" ]; then
        echo "FAIL $f: name says error=$want_err, promtool says: $pt"
        fail=1
    fi
    if [ "$pt_line" != "$ps_line" ]; then
        echo "FAIL $f: promtool error line '${pt_line}', promsight warning line '${ps_line}'"
        fail=1
    else
        echo "ok   $f (line ${pt_line:-none})"
    fi
done
[ "$n" -ge 20 ] || { echo "FAIL: only $n oracle files"; fail=1; }
# Real Prometheus 2.42 dumps (every 25th of the corpus): promtool finds no
# parse error and neither does promsight.
LAB="$PS_SHARED/corpus/lab-2026-11-24"
k=0
for f in "$LAB"/prometheus-agent-0/dumps/*.prom "$LAB"/thanos-receive-0/dumps/*.prom; do
    k=$((k + 1))
    [ $((k % 25)) -eq 2 ] || continue
    [ -s "$f" ] || continue
    if promtool check metrics <"$f" 2>&1 | grep -q "parsing error"; then
        echo "FAIL $f: promtool parse error on real output"; fail=1
    fi
    w=$("$PROMSIGHT" metrics --format json "$f" 2>/dev/null | python3 -c '
import json, sys
print(sum(1 for x in json.load(sys.stdin)["diagnostics"] if x["severity"] != "note"))')
    [ "$w" = 0 ] || { echo "FAIL $f: $w promsight warnings on real output"; fail=1; }
done
exit $fail
