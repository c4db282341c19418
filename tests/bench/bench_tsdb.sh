#!/bin/sh
# make bench (tsdb): promsight tsdb analyze (full XOR decoding, every CRC,
# the gap check) against promtool tsdb analyze --extended on the same block,
# in the same run. Two blocks are made with promtool tsdb create-blocks-from
# openmetrics from tests/bench/tsdb/gen-openmetrics.sh output:
#   small: 10,000 series x 360 samples (10 s apart, one hour) = 3.6 M samples
#   large: BENCH_TSDB_BIG_SERIES series (default 1,000,000) x 4 samples
# Each tool runs RUNS times (default 3) alternately; the best wall time and
# the largest peak RSS (GNU time) are reported, with the ratios. The target
# is >= 3x faster at <= half the peak memory. Generated data lives in
# $BENCH_DIR/tsdb and is removed at the end (BENCH_KEEP=1 keeps it).
set -eu
: "${PROMSIGHT:?}"
BENCH_DIR=${BENCH_DIR:-build/bench}
W="$BENCH_DIR/tsdb"
BIG=${BENCH_TSDB_BIG_SERIES:-1000000}
command -v promtool >/dev/null || { echo "SKIP: promtool not installed"; exit 0; }
[ -x /usr/bin/time ] || { echo "SKIP: GNU time (/usr/bin/time) not installed"; exit 0; }
rm -rf "$W"
mkdir -p "$W"
[ "${BENCH_KEEP:-0}" = 1 ] || trap 'rm -rf "$W"' EXIT

RUNS=${RUNS:-3}
measure() { # label outfile cmd...  -> appends "secs rss_kb" to $W/runs.label
    label=$1; out=$2; shift 2
    /usr/bin/time -f '%e %M %U %S' -o "$W/time.$label" "$@" > "$out" 2> "$W/err.$label" ||
        { echo "$label failed:"; tail -n 5 "$W/err.$label"; return 1; }
    cat "$W/time.$label" >> "$W/runs.$label"
}
best() { # label -> "min_secs max_rss_kb min_cpu_secs"
    awk 'NR == 1 || $1 < t {t = $1} $2 > m {m = $2}
         NR == 1 || $3 + $4 < c {c = $3 + $4} END {print t, m, c}' "$W/runs.$1"
}

bench() { # name series samples interval
    name=$1
    t0=$(date +%s)
    sh tests/bench/tsdb/gen-openmetrics.sh "$2" "$3" "$4" 1795500000 > "$W/$name.om"
    promtool tsdb create-blocks-from openmetrics -q "$W/$name.om" "$W/$name" > /dev/null
    rm -f "$W/$name.om"
    mkdir -p "$W/$name/wal"
    t1=$(date +%s)
    id=$(ls "$W/$name" | grep -v wal | tail -n 1)
    size=$(du -sk "$W/$name/$id" | cut -f1)
    echo "--- $name: $2 series x $3 samples; block $id ($size KiB), made in $((t1 - t0)) s"
    rm -f "$W/runs.pt-$name" "$W/runs.ps-$name"
    i=0
    while [ $i -lt "$RUNS" ]; do
        measure "pt-$name" "$W/pt-$name.txt" promtool tsdb analyze --extended "$W/$name" "$id"
        measure "ps-$name" "$W/ps-$name.txt" "$PROMSIGHT" tsdb analyze --extended "$W/$name" "$id"
        i=$((i + 1))
    done
    set -- $(best "pt-$name")
    pt_s=$1; pt_kb=$2; pt_cpu=$3
    set -- $(best "ps-$name")
    ps_s=$1; ps_kb=$2; ps_cpu=$3
    grep -q "^Series: " "$W/ps-$name.txt" || { echo "promsight printed no analysis"; return 1; }
    # same header numbers as promtool, or the timing means nothing
    head -n 6 "$W/pt-$name.txt" > "$W/a"
    sed -n '/^Block ID:/,/^$/p' "$W/ps-$name.txt" | head -n 6 > "$W/b"
    cmp -s "$W/a" "$W/b" || { echo "header differs from promtool:"; diff "$W/a" "$W/b"; return 1; }
    grep -E '^  index:|^  CRC' "$W/ps-$name.txt" | sed 's/^ */    promsight: /'
    awk -v a="$pt_s" -v b="$ps_s" -v c="$pt_kb" -v d="$ps_kb" -v n="$RUNS" \
        -v pc="$pt_cpu" -v sc="$ps_cpu" 'BEGIN {
        printf "    promtool tsdb analyze --extended  %7.2f s wall %7.2f s CPU %8.1f MiB peak RSS (best of %d)\n", a, pc, c / 1024, n
        printf "    promsight tsdb analyze --extended %7.2f s wall %7.2f s CPU %8.1f MiB peak RSS (best of %d)\n", b, sc, d / 1024, n
        if (sc >= 0.01) printf "    CPU time ratio %.1fx\n", pc / sc
        if (b < 0.01) b = 0.01  # GNU time resolution
        sp = a / b; mr = (c > 0 ? d / c : 0)
        printf "    speed-up %.1fx (target >= 3x), memory %.2f of promtool (target <= 0.5): %s\n",
            sp, mr, (sp >= 3 && mr <= 0.5) ? "MET" : "NOT MET"
    }'
    rm -rf "${W:?}/$name"
}

bench small 10000 378 10
bench large "$BIG" 4 30
