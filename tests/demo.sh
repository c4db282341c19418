#!/bin/sh
# make demo: analyse the example bundle (the shared corpus' real
# Prometheus 2.42 capture, packed as tar.zst) and write the four reports
# to reports/demo/. Exit status is promsight's (3 = a critical finding,
# which this capture has: a receiver outage).
set -u
BIN=$1
cd "$(dirname "$0")/.."
B=testdata/lab-bundle.tar.zst
mkdir -p reports/demo
echo "== promsight inventory $B (totals)"
"$BIN" inventory "$B" | sed -n '/^Totals by kind/,$p'
echo
echo "== promsight analyze $B -o reports/demo"
"$BIN" analyze "$B" -o reports/demo --fail-on none
rc=$?
echo
ls -l reports/demo
exit $rc
