#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# wal_cli.sh - `promsight wal` end to end: usage and exit codes; the same
# WAL read from a directory, an ordered tar and a shuffled tar.gz (random
# access for out-of-order segments) gives identical statistics; checkpoint
# order, .tmp and older checkpoints listed and not read, gaps reported; a
# single segment file; a damaged copy prints Prometheus' corruption line.
set -eu
: "${PROMSIGHT:?}" "${PS_SHARED:=../shared}"
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 0; }
R="$PS_SHARED/corpus/lab-2026-11-24/thanos-receive-0/default-tenant/wal"
[ -d "$R" ] || { echo "SKIP: no corpus"; exit 0; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
fail() { echo "FAIL: $*"; exit 1; }

"$PROMSIGHT" wal --help | grep -q "Usage: promsight wal" || fail "--help"
set +e
"$PROMSIGHT" wal >/dev/null 2>&1; [ $? -eq 2 ] || fail "no PATH should exit 2"
"$PROMSIGHT" wal --bogus x >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad option should exit 2"
"$PROMSIGHT" wal --format xml x >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad format should exit 2"
"$PROMSIGHT" wal "$tmp/does-not-exist" >/dev/null 2>&1; [ $? -eq 1 ] || fail "missing path should exit 1"
set -e

b="$tmp/b/receive-0/default-tenant"
mkdir -p "$b/wal"
cp -R "$R/." "$b/wal/"
mkdir -p "$b/wal/checkpoint.00000004" "$b/wal/checkpoint.00000009.tmp"
cp "$R/checkpoint.00000007/00000000" "$b/wal/checkpoint.00000004/"
cp "$R/checkpoint.00000007/00000000" "$b/wal/checkpoint.00000009.tmp/"
cp "$R/00000008" "$b/wal/00000006" # at or before the checkpoint: skipped
chmod -R u+w "$tmp/b"
(cd "$tmp/b" && tar cf ../ordered.tar receive-0 &&
    tar czf ../shuffled.tgz receive-0/default-tenant/wal/00000011 \
        receive-0/default-tenant/wal/00000009 receive-0/default-tenant/wal/00000008 \
        receive-0/default-tenant/wal/00000010 receive-0/default-tenant/wal/checkpoint.00000007)

summary() {
    "$PROMSIGHT" wal --format json "$1" | jq -c '.wals[] | {dir, cp: .checkpoint.index,
        segs: [.segments[] | .name | split("/") | .[-2:] | join("/")],
        t: (.totals | del(.bytes)), top: .top_metrics_by_samples}'
}
d=$(summary "$tmp/b")
t=$(summary "$tmp/ordered.tar")
z=$(summary "$tmp/shuffled.tgz")
[ "$d" = "$t" ] || fail "directory and tar differ"
[ "$d" = "$z" ] || fail "directory and shuffled tar.gz differ"
echo "$d" | jq -e '.cp == 7 and .segs[0] == "checkpoint.00000007/00000000" and
    (.segs | length) == 5 and .segs[1] == "wal/00000008" and .t.head_samples == 96380' >/dev/null ||
    fail "replay order or counts: $d"

j=$("$PROMSIGHT" wal --format json "$tmp/b")
echo "$j" | jq -e '.wals[0].checkpoints_not_read == ["checkpoint.00000004", "checkpoint.00000009.tmp"]' >/dev/null ||
    fail "checkpoints_not_read"
echo "$j" | jq -e '[.wals[0].notes[].message] | any(test("before the checkpoint"))' >/dev/null ||
    fail "segment 6 not noted"

# one thread or two: identical output
a1=$("$PROMSIGHT" wal --threads 1 --format json "$PS_SHARED/corpus/lab-2026-11-24")
a2=$("$PROMSIGHT" wal --threads 2 --format json "$PS_SHARED/corpus/lab-2026-11-24")
a3=$("$PROMSIGHT" wal --threads 5 --format json "$PS_SHARED/corpus/lab-2026-11-24")
[ "$a1" = "$a2" ] || fail "--threads 1 and 2 differ"
[ "$a1" = "$a3" ] || fail "--threads 1 and 5 differ"
[ "$(echo "$a1" | jq '.wals | length')" -eq 2 ] || fail "corpus should hold 2 WALs"
set +e
"$PROMSIGHT" wal --threads 65 x >/dev/null 2>&1; [ $? -eq 2 ] || fail "--threads 65 should exit 2"
"$PROMSIGHT" wal --threads 2x x >/dev/null 2>&1; [ $? -eq 2 ] || fail "--threads 2x should exit 2"
set -e

# a gap: 00000009 missing
rm "$b/wal/00000009"
"$PROMSIGHT" wal --format json "$tmp/b" |
    jq -e '[.wals[0].notes[] | select(.severity == "error") | .message] | any(test("not sequential"))' >/dev/null ||
    fail "gap not reported"

# wbl/ beside wal/ is read after the WAL, as part of the same report; its
# samples are counted (refs resolve against the WAL) but not as head samples
w="$tmp/w/data"
mkdir -p "$w/wal" "$w/wbl"
cp "$R/00000011" "$w/wal/00000011"
cp "$R/00000011" "$w/wbl/00000000"
chmod -R u+w "$tmp/w"
"$PROMSIGHT" wal --format json "$tmp/w" | jq -e '(.wals | length) == 1 and
    [.wals[0].segments[].kind] == ["wal", "wbl"] and
    .wals[0].segments[1].samples == 12880 and
    .wals[0].segments[1].unknown_ref_samples == .wals[0].segments[0].unknown_ref_samples and
    .wals[0].totals.samples == 25760' >/dev/null || fail "wbl"

# one segment file
"$PROMSIGHT" wal --format json "$R/00000011" |
    jq -e '.wals[0].segments[0].index == 11 and .wals[0].totals.samples == 12880' >/dev/null ||
    fail "single segment"

# a damaged copy: the text report carries Prometheus' own line
cp "$R/00000010" "$tmp/00000010"
chmod u+w "$tmp/00000010"
printf '\377' | dd of="$tmp/00000010" bs=1 seek=40000 conv=notrunc 2>/dev/null
out=$("$PROMSIGHT" wal "$tmp/00000010")
echo "$out" | grep -q "Prometheus: corruption in segment .*00000010 at [0-9]*: unexpected checksum" ||
    fail "corruption line missing"
echo "$out" | grep -q "a Prometheus repair would destroy" || fail "repair impact missing"
echo "wal cli: ok"
