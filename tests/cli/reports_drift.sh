#!/bin/sh
# The committed example reports (reports/) are exactly what the code
# produces from testdata/lab-bundle.tar.zst (see tests/reports.sh).
exec sh tests/reports.sh "$PROMSIGHT" --check
