#!/bin/sh
# promsight logs on the real corpus and the fixtures: usage and exit
# codes, JSON events checked against grep counts of the raw logs,
# deterministic output, single-file mode, --all, and a bad signature dir.
set -eu
: "${PROMSIGHT:?}"
SHARED=${PS_SHARED:-../shared}
LAB="$SHARED/corpus/lab-2026-11-24"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# pyq FILE EXPR: evaluate a Python expression over the JSON document d
# (jq is not among the build dependencies; python3 is).
pyq() {
    python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); r = eval(sys.argv[2]); print(json.dumps(r, separators=(",", ":")) if isinstance(r, (list, dict, bool)) or r is None else r)' "$@"
}

# Usage.
"$PROMSIGHT" logs --help >"$T/help" || fail "--help exit $?"
grep -q '^Usage: promsight logs' "$T/help" || fail "--help text"
set +e
"$PROMSIGHT" logs >/dev/null 2>&1; [ $? -eq 2 ] || fail "no PATH must exit 2"
"$PROMSIGHT" logs --format xml "$LAB" >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad --format must exit 2"
"$PROMSIGHT" logs --bogus "$LAB" >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown option must exit 2"
"$PROMSIGHT" logs "$T/missing" >/dev/null 2>&1; [ $? -eq 1 ] || fail "missing path must exit 1"
set -e

# The corpus as a directory, JSON.
"$PROMSIGHT" logs --format json "$LAB" >"$T/a.json" 2>"$T/a.err"
"$PROMSIGHT" logs --format json "$LAB" >"$T/b.json" 2>/dev/null
cmp -s "$T/a.json" "$T/b.json" || fail "output not deterministic"
agent="$LAB/prometheus-agent-0/prometheus.log"
want_ref=$(grep -c 'Failed to send batch.*connection refused' "$agent")
want_404=$(grep -c 'non-recoverable error.*HTTP status 404' "$agent")
want_oob=$(grep -c 'Out of order sample from remote write.*err="out of bounds"' "$LAB/thanos-receive-0/prometheus.log")
got_ref=$(pyq "$T/a.json" 'len([e for e in d["events"] if e["class"] == "remote_write.unreachable" and e["pod"] == "prometheus-agent-0"])')
got_404=$(pyq "$T/a.json" 'len([e for e in d["events"] if e["class"] == "remote_write.misconfigured" and e["fields"].get("status") == "404"])')
got_oob=$(pyq "$T/a.json" 'len([e for e in d["events"] if e["signature"] == "P21.bounds"])')
[ "$got_ref" = "$want_ref" ] || fail "refused: got $got_ref want $want_ref"
[ "$got_404" = "$want_404" ] || fail "404: got $got_404 want $want_404"
[ "$got_oob" = "$want_oob" ] || fail "out of bounds: got $got_oob want $want_oob"
# Times: the first refused line as written in the log.
first=$(grep -m1 'connection refused' "$agent" | sed 's/^ts=\([^ ]*\) .*/\1/')
got_first=$(pyq "$T/a.json" '[e for e in d["events"] if e["class"] == "remote_write.unreachable"][0]["time"]')
[ "$got_first" = "$first" ] || fail "first refused at $got_first, log says $first"
[ "$(pyq "$T/a.json" 'any("lower bounds" in n for n in d["notes"])')" = true ] || fail "no lower-bound note"
[ "$(pyq "$T/a.json" 'len(d["files"])')" = 4 ] || fail "expected 4 log files"

# Text mode says the same, with units and the note.
"$PROMSIGHT" logs "$LAB" >"$T/a.txt" 2>/dev/null
grep -q 'lower bounds' "$T/a.txt" || fail "text: no lower-bound note"
grep -q '^  P3  *remote_write.unreachable  *'"$want_ref"'+' "$T/a.txt" || fail "text: P3 row"

# A single file, and --all listing the unmatched error line.
"$PROMSIGHT" logs --all --format json "$LAB/node-exporter/node-exporter.log" >"$T/n.json"
[ "$(pyq "$T/n.json" 'len(d["files"])')" = 1 ] || fail "single file"
want_err=$(grep -c 'level=error' "$LAB/node-exporter/node-exporter.log")
got_err=$(pyq "$T/n.json" 'len([e for e in d["unmatched"] if e["level"] == "error"])')
[ "$got_err" = "$want_err" ] || fail "--all: got $got_err unmatched errors, want $want_err"

# --summary has no event list.
"$PROMSIGHT" logs --summary --format json "$LAB" >"$T/s.json"
[ "$(pyq "$T/s.json" '"events" in d')" = false ] || fail "--summary lists events"

# A bad signature directory is a located error, exit 1.
mkdir "$T/sigs"
printf 'signatures:\n  - id: Z1\n    class: disk.full\n    severity: loud\n' >"$T/sigs/bad.yaml"
set +e
"$PROMSIGHT" logs --signatures "$T/sigs" "$LAB" >/dev/null 2>"$T/sig.err"
rc=$?
set -e
[ $rc -eq 1 ] || fail "bad signatures exit $rc"
grep -q 'bad.yaml:2:' "$T/sig.err" || fail "signature error not located: $(cat "$T/sig.err")"
echo ok
