#!/bin/sh
# libarchive is loaded on the first archive open, not at start
# (src/bundle/archive_lib.c): commands on directory bundles must never load
# it, an archive bundle must. Seen through the dynamic linker's own log
# (LD_DEBUG=files: "file=libarchive.so.N ... dynamically loaded by").
# The "cannot load libarchive" path is tested in tests/unit/test_archive_lib.c.
set -u
: "${PROMSIGHT:?}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
W=testdata/wal/receive-cp7-seg8
D=testdata/tsdb/om
id=$(ls "$D" | grep -E '^[0-9A-Z]{26}$' | head -n 1)
[ -n "$id" ] || { echo "FAIL no block in $D"; exit 1; }

# name, expected (0 not loaded, 1 loaded), command...
check() {
    name=$1 want=$2
    shift 2
    LD_DEBUG=files "$@" >"$T/out" 2>"$T/err"
    rc=$?
    [ $rc -eq 0 ] || { echo "FAIL $name: exit $rc"; tail -n 5 "$T/err"; fail=1; return; }
    grep -q 'file=libarchive\.so' "$T/err" && got=1 || got=0
    if [ $got -ne "$want" ]; then
        echo "FAIL $name: libarchive loaded=$got, expected $want"
        grep 'file=libarchive' "$T/err"
        fail=1
    else
        echo "ok   $name (libarchive loaded=$got)"
    fi
}

check "--version" 0 "$PROMSIGHT" --version
check "wal DIR" 0 "$PROMSIGHT" wal "$W"
check "tsdb list DIR" 0 "$PROMSIGHT" tsdb list "$D"
check "tsdb analyze DIR ULID" 0 "$PROMSIGHT" tsdb analyze --extended "$D" "$id"
check "inventory DIR" 0 "$PROMSIGHT" inventory "$W"

tar -C "$(dirname "$W")" -czf "$T/w.tar.gz" "$(basename "$W")"
check "wal TAR.GZ" 1 "$PROMSIGHT" wal "$T/w.tar.gz"
# loaded by dlopen, not as a DT_NEEDED of the binary
grep -q 'file=libarchive\.so[^ ]* .*dynamically loaded by' "$T/err" ||
    { echo "FAIL wal TAR.GZ: libarchive not dlopen()ed"; fail=1; }
exit $fail
