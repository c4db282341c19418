#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# campaign.sh - a long libFuzzer campaign (docs/testing.md, "Fuzzing"), as
# opposed to the short smoke of run.sh.
#
#   tests/fuzz/campaign.sh run DIR NAME:MAX_LEN:RUNS...
#       runs each harness DIR/fuzz_NAME alone, one after another, at nice 19,
#       until RUNS executions, seeded from tests/fuzz/corpus/NAME and from
#       DIR/campaign/corpus/NAME (new inputs go there, so a later campaign
#       goes on from this one's corpus). Logs: DIR/campaign/NAME.log,
#       crashing inputs: DIR/campaign/artifacts/NAME/, one line per start
#       and end in DIR/campaign/summary.txt.
#   tests/fuzz/campaign.sh report DIR NAME...
#       one Markdown table row per harness log (DIR/campaign/NAME*.log, in
#       name order, so part logs of an interrupted run are added up):
#       executions, wall seconds, exec/s, cov, ft, corpus, peak RSS, and
#       what stopped it.
#
# Several `run`s may go on at once (one per core). -timeout is 900 s, not
# a few seconds: a campaign is paused (SIGSTOP) while benchmarks run on the
# same machine, and libFuzzer counts that pause against the unit running.
# A harness built with `make fuzz` lives in $(BUILD)/fuzz/.
# ASan keeps 2 frames of allocation stack (not 30) and an 8 MB quarantine
# unless ASAN_OPTIONS says otherwise: unwinding at every malloc was a tenth
# of the time of the allocation-heavy harnesses; every check stays on, a
# report only names fewer callers of the allocation.
set -u
cmd=${1:-}
[ $# -ge 2 ] || { echo "usage: $0 run|report DIR NAME[:MAX_LEN:RUNS]..." >&2; exit 2; }
DIR=$2
shift 2
C=$DIR/campaign
mkdir -p "$C"
cd "$(dirname "$0")/../.." || exit 2

case $cmd in
run)
    for spec in "$@"; do
        name=${spec%%:*}
        rest=${spec#*:}
        maxlen=${rest%%:*}
        runs=${rest#*:}
        mkdir -p "$C/corpus/$name" "$C/artifacts/$name"
        echo "== $name start $(date -u +%FT%H:%M:%S) max_len=$maxlen runs=$runs" >> "$C/summary.txt"
        s=$(date +%s)
        ASAN_OPTIONS=${ASAN_OPTIONS:-malloc_context_size=2:quarantine_size_mb=8} \
        nice -n 19 "$DIR/fuzz_$name" -runs="$runs" -rss_limit_mb=2048 \
            -max_len="$maxlen" -timeout=900 -print_final_stats=1 \
            -artifact_prefix="$C/artifacts/$name/" \
            "$C/corpus/$name" "tests/fuzz/corpus/$name" > "$C/$name.log" 2>&1
        rc=$?
        echo "== $name end $(date -u +%FT%H:%M:%S) rc=$rc wall=$(($(date +%s) - s))s" >> "$C/summary.txt"
    done
    ;;
report)
    echo "| harness | executions | wall s | exec/s | cov | ft | corpus (files/size) | peak RSS MB | result |"
    echo "|---|---|---|---|---|---|---|---|---|"
    for name in "$@"; do
        # shellcheck disable=SC2086
        set -- $(ls "$C/$name".*log "$C/$name.log" 2>/dev/null | sort -u)
        [ $# -gt 0 ] || { echo "| \`$name\` | - | | | | | | | no log |"; continue; }
        wall=$(sed -n "s/^== $name end .* wall=\([0-9]*\)s\$/\1/p" "$C/summary.txt" |
            awk '{ w += $1 } END { print w + 0 }')
        awk -v name="$name" -v wall="$wall" '
            /^stat::number_of_executed_units:/ { ex += $2 }
            /^stat::peak_rss_mb:/ { if ($2 > rss) rss = $2 }
            / cov: [0-9]+ / {
                for (i = 1; i <= NF; i++) {
                    if ($i == "cov:") cov = $(i + 1)
                    if ($i == "ft:") ft = $(i + 1)
                    if ($i == "corp:") corp = $(i + 1)
                }
            }
            /ERROR: (AddressSanitizer|UndefinedBehaviorSanitizer)|deadly signal/ { bad = bad " crash" }
            /ERROR: libFuzzer: timeout/ { bad = bad " timeout" }
            /ERROR: libFuzzer: out-of-memory/ { bad = bad " oom" }
            /ERROR: LeakSanitizer/ { bad = bad " leak" }
            /run interrupted/ { stopped++ }
            END {
                res = bad != "" ? bad : (ex > 0 ? "no crash, leak, timeout or OOM" : "did not run")
                if (stopped > 0 && bad == "")
                    res = res sprintf(" (%d part(s) stopped by hand)", stopped)
                printf "| `%s` | %.2f M | %d | %d | %s | %s | %s | %s | %s |\n",
                    name, ex / 1e6, wall, (wall > 0 ? ex / wall : 0), cov, ft, corp, rss, res
            }' "$@"
    done
    ;;
*)
    echo "usage: $0 run|report DIR NAME[:MAX_LEN:RUNS]..." >&2
    exit 2
    ;;
esac
