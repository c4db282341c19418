#!/bin/sh
# docs/promsight.1 is exactly what tests/gen-man.sh makes from the current
# --help texts: the man page cannot drift from the code.
set -eu
T=$(mktemp)
trap 'rm -f "$T"' EXIT
sh tests/gen-man.sh "$PROMSIGHT" >"$T"
if ! cmp -s "$T" docs/promsight.1; then
    echo "docs/promsight.1 is out of date: sh tests/gen-man.sh build/rel/promsight > docs/promsight.1"
    diff docs/promsight.1 "$T" | head -20
    exit 1
fi
echo "man page current"
