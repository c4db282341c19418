#!/bin/sh
# Run every libFuzzer harness in DIR for SECONDS each, seeded from
# tests/fuzz/corpus/<name>/ (new inputs go to a scratch copy, so the
# committed corpus only changes when someone chooses to add to it).
#   tests/fuzz/run.sh DIR SECONDS
set -eu
DIR=$1
SECS=$2
cd "$(dirname "$0")/../.."
for f in "$DIR"/fuzz_*; do
    [ -x "$f" ] || continue
    name=${f##*/fuzz_}
    work="$DIR/work/$name"
    mkdir -p "$work" "$DIR/artifacts/$name"
    seeds="tests/fuzz/corpus/$name"
    echo "== fuzz $name for ${SECS}s"
    "$f" -max_total_time="$SECS" -max_len=1048576 -rss_limit_mb=2048 \
        -artifact_prefix="$DIR/artifacts/$name/" "$work" \
        $( [ -d "$seeds" ] && echo "$seeds" ) 2>&1 | tail -n 3
done
