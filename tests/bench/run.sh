#!/bin/sh
# make bench: run every tests/bench/bench_*.sh with the promsight binary as
# $1. Each benchmark prints its own timings, peak RSS and ratio against the
# real peer (Prometheus / promtool) measured in the same run.
set -eu
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/../.."
export PROMSIGHT="$BIN"
export BENCH_DIR="${BENCH_DIR:-build/bench}"
mkdir -p "$BENCH_DIR"
status=0
for b in tests/bench/bench_*.sh; do
    [ -f "$b" ] || continue
    echo "=== $(basename "$b" .sh)"
    sh "$b" || { echo "benchmark $b failed"; status=1; }
done
exit $status
