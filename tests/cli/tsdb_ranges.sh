#!/bin/sh
# A block big enough to be analysed as several ranges of series on several
# threads (src/tsdb/analyze.c): made by promtool from 8192 generated series,
# so the oracle is promtool's own analyze output.
#   1. --threads 1, 2 and 3 give byte-identical text and JSON;
#   2. the numbers equal promtool tsdb analyze --extended (every entry);
#   3. a copy whose series 4096 (a range boundary) has its chunk ref moved
#      back onto the chunk of series 4095: one front-to-back pass reports
#      it as tsdb/chunk-ref-order and skips the chunk, so the ranged run
#      must find the same (it has to notice the boundary and redo the
#      block as one range), again for any thread count.
set -eu
: "${PROMSIGHT:?}"
command -v promtool >/dev/null || { echo "SKIP: promtool not installed"; exit 0; }
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 0; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
sh tests/bench/tsdb/gen-openmetrics.sh 8192 12 30 1795500000 > "$T/om.txt"
promtool tsdb create-blocks-from openmetrics -q "$T/om.txt" "$T/db" > /dev/null
mkdir -p "$T/db/wal"
id=$(ls "$T/db" | grep -v wal)
[ "$(echo "$id" | wc -l)" -eq 1 ] || { echo "FAIL: expected one block, got: $id"; exit 1; }

for t in 1 2 3; do
    "$PROMSIGHT" tsdb analyze --extended --limit 0 --threads $t "$T/db" "$id" > "$T/text$t"
    "$PROMSIGHT" tsdb analyze --format json --extended --threads $t "$T/db" "$id" > "$T/json$t"
done
for t in 2 3; do
    cmp -s "$T/text1" "$T/text$t" || { echo "FAIL text differs with --threads $t"; diff "$T/text1" "$T/text$t" | head; fail=1; }
    cmp -s "$T/json1" "$T/json$t" || { echo "FAIL json differs with --threads $t"; diff "$T/json1" "$T/json$t" | head; fail=1; }
done
grep -q '"series": 8192,' "$T/json1" || { echo "FAIL: series count"; fail=1; }

promtool tsdb analyze --extended --limit=1000000 "$T/db" "$id" > "$T/pt"
promtool tsdb analyze --limit=20 "$T/db" "$id" > "$T/pt20"
sed -n '/^Block ID:/,/^promsight:/p' "$T/text1" | grep -v '^promsight:' > "$T/ps"
"$PROMSIGHT" tsdb analyze "$T/db" "$id" | sed -n '/^Block ID:/,/^promsight:/p' |
    grep -v '^promsight:' > "$T/ps20"
sh tests/bench/tsdb/compare-analyze.sh "$T/pt" "$T/ps" "$T/pt20" "$T/ps20" ||
    { echo "FAIL: analyze differs from promtool"; fail=1; }

# 3. move series 4096's chunk ref back onto series 4095's chunk (same
#    varint length, so the entry keeps its size; CRC recomputed)
python3 - "$T/db/$id/index" <<'PY' > "$T/moved" || { echo "FAIL: index rewrite"; exit 1; }
import struct, sys
sys.path.insert(0, 'tests/cli')
from tsdb_bytes import crc32c, enc, uv
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
series_off = struct.unpack('>Q', b[-52 + 8:-52 + 16])[0]   # TOC: symbols, series, ...
off, entries = series_off, []
while len(entries) < 8192:
    off = (off + 15) // 16 * 16
    n, body = uv(b, off)
    entries.append((off, body, n))
    off = body + n + 4
def first_ref(e):
    _, i, _ = e
    nl, i = uv(b, i)
    for _ in range(2 * nl):
        _, i = uv(b, i)
    nc, i = uv(b, i)
    _, i = uv(b, i)          # mint (zigzag varint: same bytes rule)
    _, i = uv(b, i)          # maxt - mint
    start = i
    ref, i = uv(b, i)
    return start, i, ref
s, e, ref = first_ref(entries[4096])
_, _, prev = first_ref(entries[4095])
assert len(enc(prev)) == e - s, "varint length changed"
b[s:e] = enc(prev)
_, body, n = entries[4096]
b[body + n:body + n + 4] = struct.pack('>I', crc32c(b[body:body + n]))
open(p, 'wb').write(b)
print(prev)
PY
for t in 1 2; do
    "$PROMSIGHT" tsdb verify --threads $t "$T/db" "$id" > "$T/v$t" 2>&1 || true
done
cmp -s "$T/v1" "$T/v2" || { echo "FAIL verify differs between --threads 1 and 2"; diff "$T/v1" "$T/v2" | head; fail=1; }
n=$(grep -c 'tsdb/chunk-ref-order' "$T/v1" || true)
[ "$n" = 1 ] || { echo "FAIL: expected 1 chunk-ref-order finding, got $n"; grep 'tsdb/' "$T/v1" | head; fail=1; }
grep -q "ref 0x$(printf '%x' "$(cat "$T/moved")") points before the end of the previous chunk" "$T/v1" ||
    { echo "FAIL: finding does not name the moved ref"; grep 'chunk-ref-order' "$T/v1"; fail=1; }
[ $fail -eq 0 ] && echo "ok tsdb ranges: threads 1/2/3 identical, promtool numbers, boundary ref finding"
exit $fail
