#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# hostile_determinism.sh - issue 8 item 4 on damaged input: for several
# hostile bundles of tests/hostile/gen.py (WAL CRC damage, torn record, TSDB
# index TOC outside the file, NUL bytes and invalid UTF-8 in logs, broken
# exposition lines, deeply nested API JSON, a YAML alias bomb), the same
# content as a directory, a tar.gz (entries in reverse order), a tar.zst and
# a zip gives byte-identical report.json and report.md, and a second run on
# the directory gives the same bytes again. (tests/cli/determinism_archives.sh
# does the same for the intact corpus.)
set -eu
: "${PROMSIGHT:?}" "${PS_SHARED:?}"
case $PROMSIGHT in /*) ;; *) PROMSIGHT=$(pwd)/$PROMSIGHT ;; esac
# known leaks not caused by the input (see the file) do not fail ASan runs
LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$(pwd)/tests/hostile/lsan.supp"
export LSAN_OPTIONS
REPO=$(pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/ps-hdet-XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
CASES="wal_bad_crc wal_torn_last_as_middle tsdb_index_toc_outside log_nul_bytes log_invalid_utf8 expo_garbage_lines json_deep_arrays yaml_alias_bomb"
# shellcheck disable=SC2086
python3 tests/hostile/gen.py "$PS_SHARED/corpus/lab-2026-11-24" "$T/gen" $CASES >/dev/null
run() { # src out
    st=0
    (cd "$T" && "$PROMSIGHT" analyze "$1" -o "$2" --format json,md --fail-on none -q \
        --models "$REPO/models") || st=$?
    [ "$st" -eq 0 ] || { echo "FAIL: analyze $1 exited $st"; exit 1; }
}

for c in $CASES; do
    D="$T/gen/$c"
    mkdir -p "$T/a/$c" "$T/r/$c"
    (cd "$D" && find . -type f | sort -r | tar -czf "$T/a/$c/$c.tar.gz" -T -)
    tar -C "$D" --zstd -cf "$T/a/$c/$c.tar.zst" .
    (cd "$D" && zip -qr "$T/a/$c/$c.zip" .)
    run "$D" "$T/r/$c/dir"
    run "$D" "$T/r/$c/dir2"
    for a in tar.gz tar.zst zip; do
        run "$T/a/$c/$c.$a" "$T/r/$c/$a"
    done
    for d in dir2 tar.gz tar.zst zip; do
        for f in report.json report.md; do
            cmp -s "$T/r/$c/dir/$f" "$T/r/$c/$d/$f" && continue
            echo "FAIL: $c: $f differs between the directory and $d"
            diff "$T/r/$c/dir/$f" "$T/r/$c/$d/$f" | head -20
            exit 1
        done
    done
    # the damage is really in the report (a vacuous comparison would pass too)
    python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
assert d['problems'] or d['stages'].get('wal') or d['stages'].get('tsdb'), 'no damage reported'
" "$T/r/$c/dir/report.json"
done
echo "hostile_determinism: $(echo $CASES | wc -w) damaged bundles agree byte for byte as dir, tar.gz, tar.zst, zip and on a rerun"
