#!/bin/sh
# Regenerate the committed example reports in reports/ from testdata/
# (make reports), or, with --check, regenerate them into a scratch
# directory and fail when they differ from what is committed (make check
# runs this: a change in output must come with regenerated examples).
#   tests/reports.sh BIN [--check]
set -eu
BIN=$1
MODE=${2:-}
cd "$(dirname "$0")/.."
gen() { # outdir
    "$BIN" analyze testdata/lab-bundle.tar.zst -o "$1/lab" --fail-on none -q
    "$BIN" analyze testdata/lab-bundle.tar.zst -o "$1/lab-ko" --lang ko --format md,html \
        --fail-on none -q
}
if [ "$MODE" = "--check" ]; then
    T=$(mktemp -d)
    trap 'rm -rf "$T"' EXIT
    gen "$T"
    if ! diff -r -q reports/lab "$T/lab" || ! diff -r -q reports/lab-ko "$T/lab-ko"; then
        echo "reports/ drifted from what the code produces; run 'make reports' and commit"
        diff -r reports/lab "$T/lab" | head -n 40
        exit 1
    fi
    echo "reports: no drift"
else
    rm -rf reports/lab reports/lab-ko
    gen reports
    echo "reports regenerated in reports/lab and reports/lab-ko"
fi
