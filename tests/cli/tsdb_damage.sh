#!/bin/sh
# Hand-damaged copies of the corpus receiver TSDB: `promsight tsdb verify`
# must report every damage as a located finding (check name, file, byte
# offset where there is one), keep analysing the other blocks, and never
# crash. Each case starts from a fresh copy.
set -eu
: "${PROMSIGHT:?}" "${PS_SHARED:=../shared}"
R="$PS_SHARED/corpus/lab-2026-11-24/thanos-receive-0/default-tenant"
T=$(mktemp -d)
trap 'chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT
B1=01M864D9H9AE6X0DTHX5JE1SN3  # 06:35:05 - 06:36
B2=01M864XM5BQME3HG3PYB09VBP5  # 06:36 - 06:42
B3=01M8654YFEW4BZX9258RTSATTD  # 06:42 - 06:48
B4=01M8654YBQ44XYVDAGZ3MGZVX8  # 06:48 - 06:50
fail=0
n=0
fresh() {
    rm -rf "$T/t"
    mkdir -p "$T/t"
    cp -r "$R" "$T/t/tenant"
    chmod -R u+w "$T/t"
    D="$T/t/tenant"
}
# Python helpers the index and chunk rewrites below import (CRC32C as the
# TSDB computes it, unsigned varint decoding); argv[2] is $T.
cp tests/cli/tsdb_bytes.py "$T/"
# put_byte file offset hexbyte
put_byte() { printf "\\$(printf '%03o' "0x$3")" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }
get_byte() { dd if="$1" bs=1 skip="$2" count=1 status=none | od -An -tx1 | tr -d ' \n'; }
flip() { b=$(get_byte "$1" "$2"); put_byte "$1" "$2" "$(printf '%02x' $((0x$b ^ 0xff)))"; }
be64_at() { dd if="$1" bs=1 skip="$2" count=8 status=none | od -An -tx1 | tr -d ' \n'; }
expect() { # name exitcode pattern...  (runs verify on $D; every pattern must appear)
    name=$1; want=$2; shift 2
    n=$((n + 1))
    set +e
    "$PROMSIGHT" tsdb verify "$D" > "$T/out" 2> "$T/err"
    rc=$?
    set -e
    ok=1
    [ "$rc" -eq "$want" ] || { echo "FAIL $name: exit $rc, expected $want"; ok=0; }
    for p in "$@"; do
        grep -q -- "$p" "$T/out" || { echo "FAIL $name: no line matching '$p'"; ok=0; }
    done
    # the undamaged blocks are still analysed: the list still has all blocks
    "$PROMSIGHT" tsdb analyze --no-decode "$D" > "$T/an" 2>&1 || true
    [ "$(grep -c '^Block ID:' "$T/an")" -ge 5 ] || { echo "FAIL $name: other blocks not analysed"; ok=0; }
    if [ $ok -eq 1 ]; then echo "ok   $name"; else fail=1; sed 's/^/     /' "$T/out" | head -20; cat "$T/err"; fi
}

# 0. the pristine copy: only the (true) not-shipped warnings
fresh
expect pristine 0 "tsdb/not-shipped"
grep -q "error:" "$T/out" && { echo "FAIL pristine has errors"; fail=1; }

# 1. a flipped byte inside a chunk's data -> chunk CRC, at the CRC's offset
fresh
f="$D/$B2/chunks/000001"
flip "$f" 100
expect chunk-crc 3 "chunks/000001:[0-9]*: error: .*CRC32C mismatch.*tsdb/chunk-crc"

# 2. a flipped byte in the first series entry of the index -> series CRC
fresh
f="$D/$B2/index"
sz=$(wc -c < "$f")
series=$((0x$(be64_at "$f" $((sz - 52 + 8)))))
flip "$f" $(((series + 15) / 16 * 16 + 3))   # entries are 16-byte aligned
expect index-series-crc 3 "$B2/index:[0-9]*: error: series .*CRC32C.*tsdb/index-crc"

# 3. truncated index: the TOC is read from the new last 52 bytes
fresh
f="$D/$B3/index"
head -c 100000 "$f" > "$T/x" && cp "$T/x" "$f"
expect index-truncated 3 "$B3/index:99996: error: TOC: CRC32C" "$B3/index:[0-9]*: error: TOC .* offset .* is outside the file"

# 4. TOC pointing outside the file (CRC fixed up, so only the offset is wrong)
fresh
f="$D/$B3/index"
sz=$(wc -c < "$f")
put_byte "$f" $((sz - 52 + 40)) 7f   # postings table offset high byte
expect toc-outside 3 "$B3/index:[0-9]*: error: .*postings table.*tsdb/index"

# 5. a postings count larger than the file
fresh
f="$D/$B4/index"
sz=$(wc -c < "$f")
pt=$((0x$(be64_at "$f" $((sz - 52 + 32)))))   # first postings list = all postings
put_byte "$f" $((pt + 4)) 7f
expect postings-count 3 "$B4/index:$((pt + 4)): error: .*count .* does not match length"

# 6. overlapping blocks: B3's minTime moved into B2
fresh
sed -i 's/"minTime": 1795502520000/"minTime": 1795502400000/' "$D/$B3/meta.json"
expect overlap 3 "$B3: error: block $B3 overlaps block $B2 .*tsdb/overlap"

# 7. a hole: B4 (06:48-06:50) removed
fresh
rm -rf "${D:?}/$B4"
expect hole 0 "warning: no block covers \[2026-11-24T06:48:00Z, 2026-11-24T06:50:00.323Z) (2m0.323s).*tsdb/hole"

# 8. compaction.failed
fresh
sed -i 's/"level": 2,/"level": 2, "failed": true,/' "$D/$B2/meta.json"
expect compaction-failed 3 "$B2/meta.json: error: compaction.failed is true"

# 9. meta stats that disagree with the index and chunks
fresh
sed -i 's/"numSamples": 114792/"numSamples": 114800/' "$D/$B2/meta.json"
expect meta-stats 0 "$B2/meta.json: warning: stats.numSamples is 114800, the index and chunks hold 114792"

# 10. a deleted chunk segment -> every chunk ref names a missing segment
fresh
rm "$D/$B1/chunks/000001"
expect chunks-deleted 3 "$B1/chunks: warning: no chunk segment files" "$B1/index:[0-9]*: error: series .*names segment index 0.*tsdb/chunk-missing-segment"

# 11. meta.json with wrong types and absurd numbers
fresh
sed -i 's/"maxTime": 1795502160000/"maxTime": "soon"/; s/"numSeries": 1933/"numSeries": -5/' "$D/$B1/meta.json"
expect meta-types 3 "$B1/meta.json: error: maxTime: expected an integer" "$B1/meta.json: error: stats.numSeries: -5 is out of range"

# 11b. meta.json times at the int64 extremes: B1 then covers all time and
#      overlaps every other block (the durations must not overflow: under
#      UBSan a signed overflow stops the run, and this case fails)
fresh
sed -i 's/"minTime": 1795502105323/"minTime": -9223372036854775808/; s/"maxTime": 1795502160000/"maxTime": 9223372036854775807/' "$D/$B1/meta.json"
expect meta-int64-extremes 3 "$B2: error: block $B2 overlaps block $B1.*tsdb/overlap"
for fmt in text json; do # the list's duration column too
    "$PROMSIGHT" tsdb list --format $fmt "$D" > /dev/null 2>&1 ||
        { echo "FAIL meta-int64-extremes: tsdb list --format $fmt"; fail=1; }
done

# 12. chunks outside their block's range: B2's maxTime pulled in by a minute
fresh
sed -i 's/"maxTime": 1795502520000/"maxTime": 1795502460000/' "$D/$B2/meta.json"
expect chunk-outside 3 "$B2/index:[0-9]*: error: series .* outside the block's.*tsdb/chunk-outside-block"

# 13. tombstones CRC
fresh
printf '\001\060\272\060\001\001\000\000\000' > "$D/$B1/tombstones"
expect tombstones-crc 3 "$B1/tombstones:5: error: .*truncated\|$B1/tombstones:5: error: CRC32C"

# 14. an unfinished compaction directory
fresh
mkdir "$D/01M865C8QQT63VJQ680HVCMJ3G.tmp-for-creation"
expect tmp-for-creation 0 "01M865C8QQT63VJQ680HVCMJ3G.tmp-for-creation: note: unfinished compaction"

# 15. Thanos files list that disagrees with the disk
fresh
sed -i 's/"version": 1$/"version": 1, "thanos": {"labels": {"tenant_id": "default-tenant"}, "downsample": {"resolution": 0}, "source": "receive", "files": [{"rel_path": "chunks\/000001", "size_bytes": 1}, {"rel_path": "index", "size_bytes": 232665}, {"rel_path": "meta.json"}], "index_stats": {}, "upload_time": "0001-01-01T00:00:00Z"}/' "$D/$B2/meta.json"
expect thanos-files 3 "$B2/chunks/000001: error: [0-9]* bytes on disk, thanos.files says 1"
grep -q "index: error" "$T/out" && { echo "FAIL thanos-files: the correct index size was reported"; fail=1; }

# 16. head chunk CRC
fresh
flip "$D/chunks_head/000009" 40
expect head-chunk-crc 3 "chunks_head/000009:[0-9]*: error: chunk of series .*CRC32C.*tsdb/head-chunks-crc"

# 17. labels out of order and chunks out of order inside a series entry
#     (rewritten with a valid CRC, so only the order is wrong)
if command -v python3 >/dev/null 2>&1; then
    fresh
    python3 - "$D/$B2/index" "$T" <<'PY'
import struct, sys
sys.path.insert(0, sys.argv[2])
from tsdb_bytes import crc32c, uv
p = sys.argv[1]
d = bytearray(open(p, 'rb').read())
series = struct.unpack('>Q', d[len(d)-52+8:len(d)-52+16])[0]
off = series
done_lbl = done_chk = done_empty = False
while not (done_lbl and done_chk and done_empty):
    off = (off + 15) // 16 * 16
    ln, i = uv(d, off); start = i
    nl, i = uv(d, i)
    lbl_at = i
    pairs = []
    for _ in range(nl):
        a, j = uv(d, i); b_, j = uv(d, j); pairs.append(bytes(d[i:j])); i = j
    nc, i = uv(d, i)
    if not done_lbl and nl >= 2 and len(pairs[0]) == len(pairs[1]):
        d[lbl_at:lbl_at+2*len(pairs[0])] = pairs[1] + pairs[0]
        done_lbl = True
        print("labels", off)
    elif not done_empty and nc >= 1 and done_lbl and done_chk:
        # drop the chunks: body = labels + uvarint 0, zero-filled to the old end
        newbody = bytes(d[start:lbl_at + sum(len(x) for x in pairs)]) + b'\x00'
        assert len(newbody) < 128 and len(newbody) <= ln
        end = start + ln + 4
        d[off:end] = bytes(end - off)
        d[off] = len(newbody)           # fits in one varint byte here
        d[off + 1:off + 1 + len(newbody)] = newbody
        struct.pack_into('>I', d, off + 1 + len(newbody), crc32c(newbody))
        done_empty = True
        print("empty", off)
        off = end
        continue
    elif not done_chk and nc >= 2:
        # chunk 0: varint mint, uvarint dur, uvarint ref; chunk 1 starts with uvarint mint-prevmax
        _, i = uv(d, i); _, i = uv(d, i); _, i = uv(d, i)
        delta, j = uv(d, i)
        if j - i == 2:
            d[i:j] = b'\x80\x00'   # 0 in two bytes: chunk 1 starts at chunk 0's maxt
            done_chk = True
            print("chunks", off)
    struct.pack_into('>I', d, start + ln, crc32c(bytes(d[start:start+ln])))
    off = start + ln + 4
open(p, 'wb').write(d)
PY
    expect label-chunk-order-no-chunks 3 "$B2/index:[0-9]*: error: series .*: label .* follows .*tsdb/label-order" "$B2/index:[0-9]*: error: series .* chunk 1: mint .* not after the previous.*tsdb/chunk-order" "$B2/index:[0-9]*: warning: series [0-9]* has no chunks" "$B2/meta.json: warning: stats.numChunks is 4886, the index and chunks hold 488[0-9]"
fi

# 19. a series whose second chunk ref repeats the first (re-encoded with a
#     valid CRC): reported, and the chunk is not read twice
if command -v python3 >/dev/null 2>&1; then
    fresh
    python3 - "$D/$B3/index" "$T" <<'PY'
import struct, sys
sys.path.insert(0, sys.argv[2])
from tsdb_bytes import crc32c, uv
p = sys.argv[1]
d = bytearray(open(p, 'rb').read())
off = struct.unpack('>Q', d[len(d)-52+8:len(d)-52+16])[0]
while True:
    off = (off + 15) // 16 * 16
    ln, i = uv(d, off); start = i
    nl, i = uv(d, i)
    for _ in range(2 * nl): _, i = uv(d, i)
    nc, i = uv(d, i)
    if nc >= 2:
        for _ in range(3): _, i = uv(d, i)      # chunk 0
        for _ in range(2): _, i = uv(d, i)      # chunk 1 times
        _, j = uv(d, i)                         # chunk 1 ref delta
        d[i:j] = bytes([0x80] * (j - i - 1) + [0])  # delta 0, same length
        struct.pack_into('>I', d, start + ln, crc32c(bytes(d[start:start+ln])))
        print("ref", off)
        break
    off = start + ln + 4
open(p, 'wb').write(d)
PY
    expect repeated-chunk-ref 3 "$B3/index:[0-9]*: error: series .* chunk 1: ref .* points before the end of the previous chunk.*tsdb/chunk-ref-order"
fi

# 20. a chunk re-labelled as a Thanos downsampled aggregate (0xFF), CRC
#     fixed: counted and flagged, never decoded as XOR
if command -v python3 >/dev/null 2>&1; then
    fresh
    python3 - "$D/$B1/chunks/000001" "$T" <<'PY'
import struct, sys
sys.path.insert(0, sys.argv[2])
from tsdb_bytes import crc32c, uv
p = sys.argv[1]
d = bytearray(open(p, 'rb').read())
i = 8; x = s = 0
while True:
    c = d[i]; i += 1; x |= (c & 0x7f) << s; s += 7
    if c < 0x80: break
d[i] = 0xff
struct.pack_into('>I', d, i + 1 + x, crc32c(bytes(d[i:i + 1 + x])))
open(p, 'wb').write(d)
PY
    expect thanos-aggr-chunk 0 "$B1: note: 1 Thanos aggregate (0xFF) or unknown chunks counted.*tsdb/chunk-encoding" "$B1/meta.json: warning: stats.numSamples is 20169"
    grep -q "chunk-crc\|chunk-decode" "$T/out" && { echo "FAIL thanos-aggr-chunk: decoded or CRC-failed"; fail=1; }
fi

# 18. garbage everywhere: no crash, every block still listed
fresh
head -c 5000 /dev/urandom > "$D/$B1/index"
head -c 300 /dev/urandom > "$D/$B1/meta.json"
head -c 7000 /dev/urandom > "$D/$B4/chunks/000001"
expect garbage 3 "$B1/index:0: error: magic" "$B1/meta.json"

echo "$n cases"
exit $fail
