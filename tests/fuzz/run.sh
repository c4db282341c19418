#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# run.sh - the `make fuzz` smoke: runs every libFuzzer harness built into
# DIR for SECONDS each, one after another, seeded from
# tests/fuzz/corpus/<name>/. New inputs go to a scratch corpus
# DIR/work/<name>/ (kept between runs), so the committed corpus only
# changes when someone chooses to merge into it.
#
#   tests/fuzz/run.sh DIR SECONDS
#   FUZZ_ONLY="xor promql" tests/fuzz/run.sh DIR SECONDS   # a subset
#
# Every tests/fuzz/fuzz_<name>.c must have an executable DIR/fuzz_<name>;
# a missing one counts as a build failure. Prints one line per harness
# (executions, exec/s, cov, ft, result), keeps each full log in
# DIR/logs/<name>.log and any crashing input in DIR/artifacts/<name>/.
# Exits 1 if any harness is missing or found a crash, leak, timeout or
# out-of-memory; 2 on bad usage.
set -u
if [ $# -ne 2 ]; then
    echo "usage: $0 DIR SECONDS" >&2
    exit 2
fi
if ! DIR=$(cd "$1" 2>/dev/null && pwd); then
    echo "$0: no such directory: $1" >&2
    exit 2
fi
SECS=$2
cd "$(dirname "$0")/../.." || exit 2

failed=""
printf '%-16s %10s %8s %7s %7s  %s\n' harness execs exec/s cov ft result
for src in tests/fuzz/fuzz_*.c; do
    name=${src##*/fuzz_}
    name=${name%.c}
    if [ -n "${FUZZ_ONLY:-}" ]; then
        case " $FUZZ_ONLY " in *" $name "*) ;; *) continue ;; esac
    fi
    bin="$DIR/fuzz_$name"
    if [ ! -x "$bin" ]; then
        printf '%-16s %10s %8s %7s %7s  %s\n' "$name" - - - - "NOT BUILT"
        failed="$failed $name(not-built)"
        continue
    fi
    work="$DIR/work/$name"
    arts="$DIR/artifacts/$name"
    log="$DIR/logs/$name.log"
    mkdir -p "$work" "$arts" "$DIR/logs"
    seeds="tests/fuzz/corpus/$name"
    [ -d "$seeds" ] || seeds=""
    # -max_len is left to libFuzzer (the largest seed, at least 4096).
    # shellcheck disable=SC2086
    "$bin" -max_total_time="$SECS" -timeout=25 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$arts/" \
        "$work" $seeds >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    cov=$(sed -n 's/.* cov: \([0-9]*\) .*/\1/p' "$log" | tail -n 1)
    ft=$(sed -n 's/.* ft: \([0-9]*\) .*/\1/p' "$log" | tail -n 1)
    if [ "$rc" -eq 0 ]; then
        result=ok
    else
        what=$(grep -m 1 -E '^(==[0-9]+==ERROR|SUMMARY|ALARM|.*out-of-memory|.*deadly signal)' "$log")
        result="FAILED rc=$rc: ${what:-see $log}"
        failed="$failed $name"
    fi
    printf '%-16s %10s %8s %7s %7s  %s\n' "$name" "${execs:--}" "${eps:--}" \
        "${cov:--}" "${ft:--}" "$result"
done
if [ -n "$failed" ]; then
    echo "fuzz smoke FAILED:$failed (logs in $DIR/logs/, inputs in $DIR/artifacts/)" >&2
    exit 1
fi
echo "fuzz smoke passed"
