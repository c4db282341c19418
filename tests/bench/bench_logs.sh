#!/bin/sh
# Benchmark: log lines through shape detection, logfmt parsing and
# signature matching (promsight logs --summary), in MB/s of input, with
# peak RSS. The input is the real Prometheus 2.42 logs of the shared
# corpus repeated with shifted timestamps to about BENCH_LOG_MB (default
# 200) MB. Peer: grep -c -E with the same signatures' prefilter literals
# over the same file (a lower bound on the work: no parsing, no regexes).
# The rate is input MB over user+sys CPU seconds (the machine may be
# shared); wall time is printed too. About a third of the corpus lines
# match a signature (the receiver's out-of-bounds burst), far more than a
# normal log, so this is a pessimistic mix: every match is redacted,
# stored as an event and counted.
#   PROMSIGHT=build/rel/promsight BENCH_DIR=build/bench sh tests/bench/bench_logs.sh
set -eu
: "${PROMSIGHT:?}"
BENCH_DIR=${BENCH_DIR:-build/bench}
SHARED=${PS_SHARED:-../shared}
MB=${BENCH_LOG_MB:-200}
corpus="$SHARED/corpus/lab-2026-11-24"
mkdir -p "$BENCH_DIR"
big="$BENCH_DIR/logs-${MB}MB.log"
if [ ! -s "$big" ]; then
    seed="$BENCH_DIR/logs-seed.log"
    cat "$corpus"/*/prometheus.log "$corpus"/node-exporter/node-exporter.log >"$seed"
    # Each copy shifts the day so times keep increasing.
    awk -v want=$((MB * 1024 * 1024)) '
        { line[NR] = $0; size += length($0) + 1 }
        END {
            total = 0; day = 0
            while (total < want) {
                d = sprintf("2026-11-%02d", 1 + day % 28)
                for (i = 1; i <= NR; i++) {
                    l = line[i]; sub(/2026-11-24/, d, l); print l
                }
                total += size; day++
            }
        }' "$seed" >"$big"
fi
bytes=$(wc -c <"$big")
mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')
/usr/bin/time -f "%e %U %S %M" -o "$BENCH_DIR/logs.time" \
    "$PROMSIGHT" logs --summary --format json "$big" >"$BENCH_DIR/logs.json"
read -r wall usr sys rss <"$BENCH_DIR/logs.time"
cpu=$(awk -v u="$usr" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
rate=$(awk -v m="$mb" -v s="$cpu" 'BEGIN { printf "%.0f", m / (s > 0 ? s : 0.01) }')
wrate=$(awk -v m="$mb" -v s="$wall" 'BEGIN { printf "%.0f", m / (s > 0 ? s : 0.01) }')
pat=$(sed -n "s/^ *prefilter: *//p" models/signatures/*.yaml |
      tr -d "[]" | tr ',' '\n' | sed "s/^ *'//; s/' *$//" | grep -v '^$' |
      sed 's/[].[*^$\\/]/\\&/g' | paste -sd'|')
g0=$(date +%s.%N)
gm=$(LC_ALL=C grep -c -E "$pat" "$big" || true)
g1=$(date +%s.%N)
gsecs=$(awk -v a="$g0" -v b="$g1" 'BEGIN { printf "%.3f", b - a }')
grate=$(awk -v m="$mb" -v s="$gsecs" 'BEGIN { printf "%.0f", m / s }')
matched=$(sed -n 's/^  "matched": \([0-9]*\),*/\1/p' "$BENCH_DIR/logs.json" | head -n 1)
echo "input:     ${mb} MB, $(wc -l <"$big") lines"
echo "promsight logs: ${cpu} s CPU (${rate} MB/s per core), ${wall} s wall (${wrate} MB/s), peak RSS $((rss / 1024)) MB, ${matched} lines matched"
echo "grep -c -E (prefilter literals only): ${gsecs} s  ${grate} MB/s  ${gm} candidate lines"
