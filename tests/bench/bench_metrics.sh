#!/bin/sh
# Benchmark: exposition parsing. Generates a ~200 MB text exposition in
# $BENCH_DIR (realistic label sets, one series per line as in one big
# scrape), then measures
#   1. the line parser alone and the whole loader (parser + redaction +
#      fact store), with tests/bench/bench_metrics_parse.c built here
#      against the library next to $PROMSIGHT;
#   2. `promsight metrics --stats FILE` end to end (wall time, peak RSS);
#   3. the peer: `promtool check metrics < FILE` (Prometheus' own text
#      parser plus its linter) - and prints the ratio.
#   4. the same for ten scrapes of one target: ten 20 MiB dumps with the
#      same series, named by their scrape time (the common bundle case).
# Size: BENCH_METRICS_MB (default 200).
set -eu
MB=${BENCH_METRICS_MB:-200}
DIR=${BENCH_DIR:-build/bench}
mkdir -p "$DIR"
FILE="$DIR/metrics-${MB}mb.prom"
if [ ! -s "$FILE" ]; then
    echo "generating $FILE (${MB} MiB)"
    python3 tests/bench/gen_exposition.py "$MB" "$FILE"
fi
BYTES=$(wc -c <"$FILE")
LIBDIR=$(dirname "$PROMSIGHT")
DRIVER="$DIR/bench_metrics_parse"
# shellcheck disable=SC2046
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Iinclude -Isrc tests/bench/bench_metrics_parse.c \
    "$LIBDIR/libpromsight.a" $(pkg-config --libs libarchive libzstd snappy jansson gsl yaml-0.1 libpcre2-8) \
    -lm -o "$DRIVER"

rss() { # command... -> prints "<seconds> <peak KB>"
    /usr/bin/time -f "%e %M" -o "$DIR/time.out" "$@" >/dev/null 2>"$DIR/stderr.out" || true
    tail -n 1 "$DIR/time.out"
}
mbs() { awk -v b="$BYTES" -v s="$1" 'BEGIN { printf("%.1f", (s > 0) ? b / 1e6 / s : 0) }'; }

echo "input: $FILE, $BYTES bytes, $(wc -l <"$FILE") lines"
"$DRIVER" "$FILE"

set -- $(rss "$PROMSIGHT" metrics --stats "$FILE")
ps_s=$1 ps_kb=$2
echo "promsight metrics --stats: ${ps_s} s = $(mbs "$ps_s") MB/s, peak RSS $((ps_kb / 1024)) MiB"
"$PROMSIGHT" metrics --stats "$FILE" 2>/dev/null | sed 's/^/  /'

if command -v promtool >/dev/null 2>&1; then
    /usr/bin/time -f "%e %M" -o "$DIR/time.out" sh -c 'promtool check metrics <"$1" >/dev/null 2>&1' sh "$FILE" || true
    set -- $(tail -n 1 "$DIR/time.out")
    pt_s=$1 pt_kb=$2
    echo "promtool check metrics:    ${pt_s} s = $(mbs "$pt_s") MB/s, peak RSS $((pt_kb / 1024)) MiB"
    awk -v a="$ps_s" -v b="$pt_s" 'BEGIN { if (a > 0) printf "ratio: promsight end to end is %.2fx promtool'"'"'s speed\n", b / a }'
else
    echo "promtool not installed: no peer timing"
fi

# Ten scrapes of one big target.
REP="$DIR/metrics-rep"
if [ ! -s "$REP/1795502235.prom" ]; then
    mkdir -p "$REP"
    python3 tests/bench/gen_exposition.py 20 "$REP/1795502100.prom"
    for i in 1 2 3 4 5 6 7 8 9; do
        cp "$REP/1795502100.prom" "$REP/$((1795502100 + i * 15)).prom"
    done
fi
BYTES=$(cat "$REP"/*.prom | wc -c)
echo "input: $REP, 10 dumps of one target, $BYTES bytes"
set -- $(rss "$PROMSIGHT" metrics --stats "$REP")
rep_s=$1 rep_kb=$2
echo "promsight metrics --stats DIR: ${rep_s} s = $(mbs "$rep_s") MB/s, peak RSS $((rep_kb / 1024)) MiB"
if command -v promtool >/dev/null 2>&1; then
    /usr/bin/time -f "%e %M" -o "$DIR/time.out" sh -c \
        'for f in "$1"/*.prom; do promtool check metrics <"$f" >/dev/null 2>&1; done' sh "$REP" || true
    set -- $(tail -n 1 "$DIR/time.out")
    echo "promtool check metrics x10:    $1 s = $(mbs "$1") MB/s, peak RSS $(($2 / 1024)) MiB"
    awk -v a="$rep_s" -v b="$1" 'BEGIN { if (a > 0) printf "ratio: %.2fx promtool'"'"'s speed\n", b / a }'
fi
