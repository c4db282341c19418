#!/bin/sh
# make demo: run what promsight can do on the example bundle in testdata/.
set -eu
BIN=$1
cd "$(dirname "$0")/.."
B=testdata/lab-bundle.tar.zst
echo "== promsight inventory $B"
"$BIN" inventory "$B"
