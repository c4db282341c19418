#!/bin/sh
# make bench (tsdb): promsight tsdb analyze (full XOR decoding, every CRC,
# the gap check) against promtool tsdb analyze --extended on the same block,
# in the same run. Two blocks are made with promtool tsdb create-blocks-from
# openmetrics from tests/bench/tsdb/gen-openmetrics.sh output:
#   small: 10,000 series x 360 samples (10 s apart, one hour) = 3.6 M samples
#   large: BENCH_TSDB_BIG_SERIES series (default 1,000,000) x 4 samples
# The tools run alternately, SMALL_RUNS times (default 31) on the small
# block and RUNS times (default 3) on the large one; tests/bench/tsdb/
# runpair.py reports the best and median wall time (monotonic clock), the
# median CPU time and the largest peak RSS (wait4). The target, >= 3x
# faster at <= half the peak memory, is judged on the median ratio. Generated data lives in
# $BENCH_DIR/tsdb and is removed at the end (BENCH_KEEP=1 keeps it).
set -eu
: "${PROMSIGHT:?}"
BENCH_DIR=${BENCH_DIR:-build/bench}
W="$BENCH_DIR/tsdb"
BIG=${BENCH_TSDB_BIG_SERIES:-1000000}
command -v promtool >/dev/null || { echo "SKIP: promtool not installed"; exit 0; }
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 0; }
rm -rf "$W"
mkdir -p "$W"
[ "${BENCH_KEEP:-0}" = 1 ] || trap 'rm -rf "$W"' EXIT

RUNS=${RUNS:-3}
SMALL_RUNS=${SMALL_RUNS:-31}
bench() { # name series samples interval runs
    name=$1
    runs=$5
    t0=$(date +%s)
    sh tests/bench/tsdb/gen-openmetrics.sh "$2" "$3" "$4" 1795500000 > "$W/$name.om"
    promtool tsdb create-blocks-from openmetrics -q "$W/$name.om" "$W/$name" > /dev/null
    rm -f "$W/$name.om"
    mkdir -p "$W/$name/wal"
    t1=$(date +%s)
    id=$(ls "$W/$name" | grep -v wal | tail -n 1)
    size=$(du -sk "$W/$name/$id" | cut -f1)
    echo "--- $name: $2 series x $3 samples; block $id ($size KiB), made in $((t1 - t0)) s"
    # alternate promtool and promsight; wall min and median, CPU median,
    # peak RSS (runpair.py: a monotonic clock and wait4's rusage)
    set -- $(python3 tests/bench/tsdb/runpair.py "$runs" "$W/pt-$name.txt" "$W/ps-$name.txt" \
        -- promtool tsdb analyze --extended "$W/$name" "$id" \
        -- "$PROMSIGHT" tsdb analyze --extended "$W/$name" "$id") ||
        { echo "a run failed"; return 1; }
    pt_min=$2; pt_med=$3; pt_cpu=$4; pt_kb=$5
    ps_min=$7; ps_med=$8; ps_cpu=$9; ps_kb=${10}
    grep -q "^Series: " "$W/ps-$name.txt" || { echo "promsight printed no analysis"; return 1; }
    # same header numbers as promtool, or the timing means nothing
    head -n 6 "$W/pt-$name.txt" > "$W/a"
    sed -n '/^Block ID:/,/^$/p' "$W/ps-$name.txt" | head -n 6 > "$W/b"
    cmp -s "$W/a" "$W/b" || { echo "header differs from promtool:"; diff "$W/a" "$W/b"; return 1; }
    grep -E '^  index:|^  CRC' "$W/ps-$name.txt" | sed 's/^ */    promsight: /'
    awk -v a="$pt_min" -v am="$pt_med" -v b="$ps_min" -v bm="$ps_med" -v c="$pt_kb" \
        -v d="$ps_kb" -v n="$runs" -v pc="$pt_cpu" -v sc="$ps_cpu" 'BEGIN {
        printf "    promtool tsdb analyze --extended  wall %8.4f s best, %8.4f s median; CPU %8.4f s; %8.1f MiB peak RSS (%d runs)\n", a, am, pc, c / 1024, n
        printf "    promsight tsdb analyze --extended wall %8.4f s best, %8.4f s median; CPU %8.4f s; %8.1f MiB peak RSS (%d runs)\n", b, bm, sc, d / 1024, n
        printf "    CPU time ratio %.1fx\n", pc / sc
        sp = a / b; spm = am / bm; mr = (c > 0 ? d / c : 0)
        printf "    speed-up %.1fx best/best, %.1fx median/median (target >= 3x), memory %.2f of promtool (target <= 0.5): %s\n",
            sp, spm, mr, (spm >= 3 && mr <= 0.5) ? "MET" : "NOT MET"
    }'
    rm -rf "${W:?}/$name"
}

bench small 10000 378 10 "$SMALL_RUNS"
bench large "$BIG" 4 30 "$RUNS"
