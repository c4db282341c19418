#!/bin/sh
# Rule engine benchmark: 100 rules over 100 000 series and a 1-hour window
# at 15 s steps must evaluate in under a second (issue 5). Builds
# bench_rules.c against the library next to $PROMSIGHT.
set -eu
LIBDIR=$(dirname "$PROMSIGHT")
OUT=${BENCH_DIR:-build/bench}/bench_rules
mkdir -p "$(dirname "$OUT")"
${CC:-cc} -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O2 -Iinclude \
    $(pkg-config --cflags jansson yaml-0.1 libpcre2-8) \
    tests/bench/bench_rules.c "$LIBDIR/libpromsight.a" -o "$OUT" \
    $(pkg-config --libs libarchive libzstd snappy jansson gsl yaml-0.1 libpcre2-8) -lm
/usr/bin/time -f "rules: peak RSS %M KiB" "$OUT" 100
