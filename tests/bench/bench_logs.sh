#!/bin/sh
# Benchmark: log lines through shape detection, logfmt parsing and
# signature matching (promsight logs --summary), in MB/s of input, with
# peak RSS. Inputs: the real Prometheus 2.42 logs of the shared corpus
# repeated with a new date per copy to about BENCH_LOG_MB (default 200) MB:
#   heavy    all four logs; a third of the lines match a signature (the
#            receiver's out-of-bounds burst), far more than a normal log,
#            and every match is redacted, stored as an event and counted;
#   typical  the agent, server and node-exporter logs (about 13% match,
#            mostly lifecycle lines).
# The rate is input MB over user+sys CPU seconds (the machine may be
# shared); wall time is printed too. Peer: grep -c -E with the signatures'
# prefilter literals over the same file (a lower bound on the work: no
# parsing, no regexes, no output).
#   PROMSIGHT=build/rel/promsight BENCH_DIR=build/bench sh tests/bench/bench_logs.sh
set -eu
: "${PROMSIGHT:?}"
BENCH_DIR=${BENCH_DIR:-build/bench}
SHARED=${PS_SHARED:-../shared}
MB=${BENCH_LOG_MB:-200}
corpus="$SHARED/corpus/lab-2026-11-24"
mkdir -p "$BENCH_DIR"
pat=$(sed -n "s/^ *prefilter: *//p" models/signatures/*.yaml |
      tr -d "[]" | tr ',' '\n' | sed "s/^ *'//; s/' *$//" | grep -v '^$' |
      sed 's/[].[*^$\\/]/\\&/g' | paste -sd'|')

make_input() { # name, seed files...
    name=$1
    shift
    big="$BENCH_DIR/logs-$name-${MB}MB.log"
    if [ ! -s "$big" ]; then
        cat "$@" >"$BENCH_DIR/logs-seed.log"
        awk -v want=$((MB * 1024 * 1024)) '
            { line[NR] = $0; size += length($0) + 1 }
            END {
                total = 0; day = 0
                while (total < want) {
                    # A different date for every copy, so no two lines
                    # are equal (interned messages cannot be shared).
                    d = sprintf("%04d-%02d-%02d", 2000 + int(day / 336),
                                1 + int(day / 28) % 12, 1 + day % 28)
                    for (i = 1; i <= NR; i++) {
                        l = line[i]; gsub(/2026-11-24/, d, l); print l
                    }
                    total += size; day++
                }
            }' "$BENCH_DIR/logs-seed.log" >"$big"
    fi
    echo "$big"
}

run() { # name, file
    name=$1
    big=$2
    bytes=$(wc -c <"$big")
    mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')
    # Wall, user, sys seconds and peak RSS (KiB) of the child, measured
    # with python3 (in the build dependencies; GNU time may not be).
    python3 -c '
import resource, subprocess, sys, time
t0 = time.monotonic()
with open(sys.argv[2], "wb") as out:
    subprocess.run(sys.argv[3:], stdout=out, check=True)
wall = time.monotonic() - t0
r = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as f:
    f.write("%.2f %.2f %.2f %d\n" % (wall, r.ru_utime, r.ru_stime, r.ru_maxrss))
' "$BENCH_DIR/logs.time" "$BENCH_DIR/logs.json" \
        "$PROMSIGHT" logs --summary --format json "$big"
    read -r wall usr sys rss <"$BENCH_DIR/logs.time"
    cpu=$(awk -v u="$usr" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
    rate=$(awk -v m="$mb" -v s="$cpu" 'BEGIN { printf "%.0f", m / (s > 0 ? s : 0.01) }')
    wrate=$(awk -v m="$mb" -v s="$wall" 'BEGIN { printf "%.0f", m / (s > 0 ? s : 0.01) }')
    matched=$(sed -n 's/^  "matched": \([0-9]*\),*/\1/p' "$BENCH_DIR/logs.json" | head -n 1)
    lines=$(sed -n 's/^  "lines": \([0-9]*\),*/\1/p' "$BENCH_DIR/logs.json" | head -n 1)
    g0=$(date +%s.%N)
    gm=$(LC_ALL=C grep -c -E "$pat" "$big" || true)
    g1=$(date +%s.%N)
    gsecs=$(awk -v a="$g0" -v b="$g1" 'BEGIN { printf "%.2f", b - a }')
    grate=$(awk -v m="$mb" -v s="$gsecs" 'BEGIN { printf "%.0f", m / (s > 0 ? s : 0.01) }')
    echo "$name: ${mb} MB, ${lines} lines, ${matched} matched"
    echo "  promsight logs: ${cpu} s CPU = ${rate} MB/s per core (${wall} s wall, ${wrate} MB/s), peak RSS $((rss / 1024)) MB"
    echo "  grep -c -E literals: ${gsecs} s wall = ${grate} MB/s, ${gm} candidate lines"
}

run heavy "$(make_input heavy "$corpus"/*/prometheus.log "$corpus"/node-exporter/node-exporter.log)"
run typical "$(make_input typical "$corpus"/prometheus-agent-0/prometheus.log \
    "$corpus"/prometheus-0/prometheus.log "$corpus"/node-exporter/node-exporter.log)"
