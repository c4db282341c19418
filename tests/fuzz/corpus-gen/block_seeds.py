#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""block_seeds.py - seeds for tests/fuzz/fuzz_block.c.

Packs whole TSDB blocks into the harness' container (its top comment
documents it: u8 control, then "u32 LE length | bytes" for meta.json, index,
chunks/000001, chunks/000002, tombstones; 0xFFFFFFFF = no such file):

  * real blocks: the two promtool-made blocks of testdata/tsdb/om/ and
    Prometheus' version-1 index test block (corpus upstream/index_format_v1);
    the lab blocks of /work/shared/corpus are 230-540 KB and are left out;
  * blocks written here from a list of series (index v2, XOR chunks,
    meta.json, tombstones), for what no real small block has: two chunk
    segments, a Thanos meta.json section, gaps, and 2048 series - the
    smallest block analyze.c cuts into two ranges (RANGE_MIN_SERIES 1024),
    so the two-thread run really runs ranges on two threads;
  * hand-damaged variants: a chunk ref past the end of its segment, a ref
    into a segment that is not there, two chunks of a series swapped in the
    index, chunk bytes swapped in the segment, a ref in the second range
    pointing back into the first range's chunks (ranges_independent() fails,
    the block is analysed again as one range), a truncated segment, files
    missing, meta.json stats that disagree.

    python3 tests/fuzz/corpus-gen/block_seeds.py tests/fuzz/corpus/block

Deterministic: the same files every run (names are the seed's purpose).
"""
import json
import os
import struct
import sys

ROOT = os.path.dirname(os.path.abspath(__file__)) + "/../../.."
SHARED = os.environ.get("PS_SHARED", ROOT + "/../shared") + "/corpus"

# ---- primitives --------------------------------------------------------

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "cli"))
from tsdb_bytes import crc32c, enc as uvarint  # noqa: E402


def varint(n):
    return uvarint((n << 1) ^ (n >> 63) if n < 0 else n << 1)


def be32(n):
    return struct.pack(">I", n & 0xFFFFFFFF)


class Bits:
    def __init__(self):
        self.b = bytearray()
        self.n = 0  # bits used

    def put(self, v, width):
        for i in range(width - 1, -1, -1):
            if self.n % 8 == 0:
                self.b.append(0)
            if (v >> i) & 1:
                self.b[-1] |= 0x80 >> (self.n % 8)
            self.n += 1

    def put_bytes(self, bs):
        for x in bs:
            self.put(x, 8)


def xor_chunk(samples):
    """Prometheus' XOR chunk (src/tsdb/xor.c has the layout)."""
    bw = Bits()
    bw.put(len(samples), 16)
    lead, trail = 0xFF, 0
    pt = pv = pd = 0
    for i, (t, v) in enumerate(samples):
        vb = struct.unpack(">Q", struct.pack(">d", v))[0]
        if i == 0:
            bw.put_bytes(varint(t))
            bw.put(vb, 64)
        else:
            if i == 1:
                d = t - pt
                bw.put_bytes(uvarint(d))
            else:
                d = t - pt
                dod = d - pd
                if dod == 0:
                    bw.put(0, 1)
                elif -8191 <= dod <= 8191:
                    bw.put(0b10, 2); bw.put(dod & 0x3FFF, 14)
                elif -65535 <= dod <= 65535:
                    bw.put(0b110, 3); bw.put(dod & 0x1FFFF, 17)
                elif -524287 <= dod <= 524287:
                    bw.put(0b1110, 4); bw.put(dod & 0xFFFFF, 20)
                else:
                    bw.put(0b1111, 4); bw.put(dod & (2**64 - 1), 64)
            pd = d
            x = vb ^ pv
            if x == 0:
                bw.put(0, 1)
            else:
                lz = 64 - x.bit_length()
                tz = (x & -x).bit_length() - 1
                lz = min(lz, 31)
                if lead != 0xFF and lz >= lead and tz >= trail:
                    bw.put(0b10, 2)
                    bw.put(x >> trail, 64 - lead - trail)
                else:
                    lead, trail = lz, tz
                    sig = 64 - lead - trail
                    bw.put(0b11, 2); bw.put(lead, 5); bw.put(sig & 63, 6)
                    bw.put(x >> trail, sig)
        pt, pv = t, vb
    return bytes(bw.b)


def chunk_record(data, enc=1):
    body = bytes([enc]) + data
    return uvarint(len(data)) + body + be32(crc32c(body))


SEG_HEADER = be32(0x85BD40DD) + b"\x01\x00\x00\x00"

# ---- a block from a list of series -------------------------------------


def write_block(series, nsegs=1, meta_extra=None, mint=None, maxt=None,
                stones=(), ulid="01ARZ3NDEKTSV4RRFFQ69G5FAV", damage=None):
    """series: [(labels {name: value}, [(seg, [(t, v)...]), ...]), ...]
    sorted here by label set. damage(kind, ...) hooks below. Returns the
    five parts (bytes or None)."""
    damage = damage or {}
    series = sorted(series, key=lambda s: sorted(s[0].items()))
    segs = [bytearray(SEG_HEADER) for _ in range(nsegs)]
    metas = []  # per series: [(mint, maxt, ref)]
    nsamples = nchunks = 0
    for _, chunks in series:
        cm = []
        for seg, smp in chunks:
            off = len(segs[seg])
            segs[seg] += chunk_record(xor_chunk(smp))
            cm.append([smp[0][0] if smp else 0, smp[-1][0] if smp else 0,
                       seg << 32 | off])
            nsamples += len(smp)
            nchunks += 1
        metas.append(cm)
    if "metas" in damage:
        damage["metas"](metas, segs)
    syms = sorted({x for ls, _ in series for kv in ls.items() for x in kv})
    sym = {s: i for i, s in enumerate(syms)}

    ix = bytearray(be32(0xBAAAD700) + b"\x02")
    toc_sym = len(ix)
    body = be32(len(syms)) + b"".join(uvarint(len(s.encode())) + s.encode() for s in syms)
    ix += be32(len(body)) + body + be32(crc32c(body))
    while len(ix) % 16:
        ix.append(0)
    toc_series = len(ix)
    refs = []
    for (ls, _), cm in zip(series, metas):
        refs.append(len(ix) // 16)
        e = bytearray(uvarint(len(ls)))
        for k in sorted(ls):
            e += uvarint(sym[k]) + uvarint(sym[ls[k]])
        e += uvarint(len(cm))
        for i, (a, b, r) in enumerate(cm):
            if i == 0:
                e += varint(a) + uvarint(b - a) + uvarint(r)
            else:
                pa, pb, pr = cm[i - 1]
                e += uvarint((a - pb) & (2**64 - 1)) + uvarint((b - a) & (2**64 - 1)) \
                    + varint(r - pr)
        ix += uvarint(len(e)) + e + be32(crc32c(bytes(e)))
        while len(ix) % 16:
            ix.append(0)
    postings = {("", ""): list(range(len(series)))}
    for i, (ls, _) in enumerate(series):
        for k, v in ls.items():
            postings.setdefault((k, v), []).append(i)
    toc_post = len(ix)
    offs = {}
    for key in sorted(postings):
        while len(ix) % 4:
            ix.append(0)
        offs[key] = len(ix)
        body = be32(len(postings[key])) + b"".join(be32(refs[i]) for i in postings[key])
        ix += be32(len(body)) + body + be32(crc32c(body))
    toc_pt = len(ix)
    body = bytearray(be32(len(offs)))
    for (k, v) in sorted(offs):
        body += uvarint(2) + uvarint(len(k.encode())) + k.encode() \
            + uvarint(len(v.encode())) + v.encode() + uvarint(offs[(k, v)])
    ix += be32(len(body)) + body + be32(crc32c(bytes(body)))
    toc = struct.pack(">QQQQQQ", toc_sym, toc_series, 0, 0, toc_post, toc_pt)
    ix += toc + be32(crc32c(toc))

    ts = [t for _, ch in series for _, smp in ch for t, _ in smp]
    meta = {"ulid": ulid, "minTime": ts and min(ts) if mint is None else mint,
            "maxTime": (max(ts) + 1 if ts else 0) if maxt is None else maxt,
            "stats": {"numSamples": nsamples, "numSeries": len(series),
                      "numChunks": nchunks, "numTombstones": len(stones)},
            "compaction": {"level": 1, "sources": [ulid]}, "version": 1}
    tomb = bytearray()
    for ref, a, b in stones:
        tomb += uvarint(ref) + varint(a) + varint(b)
    tomb = be32(0x0130BA30) + b"\x01" + tomb + be32(crc32c(bytes(tomb)))
    parts = [None, bytes(ix), bytes(segs[0]), bytes(segs[1]) if nsegs > 1 else None,
             bytes(tomb)]
    if meta_extra:
        meta_extra(meta, parts)
    parts[0] = json.dumps(meta, indent="\t").encode()
    return parts


def pack(ctl, parts):
    out = bytearray([ctl])
    for p in parts:
        out += struct.pack("<I", 0xFFFFFFFF) if p is None else struct.pack("<I", len(p)) + p
    return bytes(out)


def read_block(d):
    def rd(name):
        p = os.path.join(d, name)
        return open(p, "rb").read() if os.path.exists(p) else None
    return [rd("meta.json"), rd("index"), rd("chunks/000001"), rd("chunks/000002"),
            rd("tombstones")]


# ---- the seeds ----------------------------------------------------------


def regular(t0, n, step, v0=1.0, dv=0.5):
    return [(t0 + i * step, v0 + i * dv) for i in range(n)]


def small_series():
    """40 series, 1-3 chunks each, some with missed scrapes."""
    out = []
    for i in range(40):
        smp = regular(0, 30, 15000, v0=i, dv=(i % 3) * 0.25)
        if i % 5 == 0:  # two missed scrapes
            smp = smp[:10] + smp[12:]
        if i % 7 == 0:  # counter with a reset
            smp = [(t, v if t < 200000 else v - 100) for t, v in smp]
        k = 1 + i % 3
        chunks, per = [], (len(smp) + k - 1) // k
        for c in range(k):
            chunks.append([0, smp[c * per:(c + 1) * per]])
        out.append(({"__name__": "m%d" % (i % 4), "job": "j", "i": "%02d" % i}, chunks))
    return out


def two_segments(series):
    """Series of the second half keep their chunks in segment 2."""
    s = sorted(series, key=lambda x: sorted(x[0].items()))
    for n, (_, ch) in enumerate(s):
        for c in ch:
            c[0] = 1 if n >= len(s) // 2 else 0
    return s


def ranges_series(n=2048):
    """n series of one 1-sample chunk (every 8th: 5 samples with a gap),
    symbols and times small so that each series entry fits 16 bytes."""
    out = []
    for i in range(n):
        smp = [(i % 50, float(i))] if i % 8 else [(0, 1.0), (10, 2.0), (20, 3.0),
                                                   (50, 4.0), (60, 5.0)]
        out.append(({"a": "a%02d" % (i % 64), "b": "b%02d" % (i // 64)}, [[0, smp]]))
    return out


def thanos(meta, parts):
    meta["thanos"] = {"labels": {"tenant_id": "default-tenant", "replica": "r0"},
                      "downsample": {"resolution": 0}, "source": "receive",
                      "files": [{"rel_path": "chunks/000001", "size_bytes": len(parts[2])},
                                {"rel_path": "chunks/000002",
                                 "size_bytes": len(parts[3] or b"") + 1},
                                {"rel_path": "index", "size_bytes": len(parts[1])},
                                {"rel_path": "meta.json"}]}


def main(out):
    os.makedirs(out, exist_ok=True)
    seeds = {}
    om = os.path.join(ROOT, "testdata/tsdb/om")
    for i, u in enumerate(sorted(os.listdir(om))):
        parts = read_block(os.path.join(om, u))
        seeds["om%d" % i] = pack(0x00, parts)
        if i == 0:
            seeds["om0-all-lists-no-decode"] = pack(0x0D, parts)
            seeds["om0-ulid-dir-top3"] = pack(0x23, parts)
            seeds["om0-no-meta"] = pack(0x02, [None] + parts[1:])
            seeds["om0-no-tombstones-no-index"] = pack(0x00, [parts[0], None, parts[2], None, None])
            seeds["om0-seg-truncated"] = pack(0x00, parts[:2] + [parts[2][:len(parts[2]) // 3]]
                                              + parts[3:])
            seeds["om0-seg-copy-as-000003"] = pack(0x10, parts[:3] + [parts[2]] + parts[4:])
            seeds["om0-index-cut"] = pack(0x00, [parts[0], parts[1][:len(parts[1]) - 60]]
                                          + parts[2:])
    v1 = os.path.join(SHARED, "upstream/index_format_v1")
    if os.path.isdir(v1):
        seeds["upstream-index-v1"] = pack(0x00, read_block(v1))

    seeds["synth-small"] = pack(0x00, write_block(small_series(), stones=[(3, 0, 1000)]))
    seeds["synth-two-segments-thanos"] = pack(
        0x21, write_block(two_segments(small_series()), nsegs=2, meta_extra=thanos))

    def past_end(metas, segs):  # a ref past the end of its segment
        metas[5][0][2] = len(segs[0]) + 100
    seeds["synth-ref-past-segment"] = pack(0x00, write_block(small_series(),
                                                             damage={"metas": past_end}))

    def no_seg(metas, segs):  # a ref into segment index 3 (not there)
        metas[7][-1][2] = 3 << 32 | 8
    seeds["synth-ref-missing-segment"] = pack(0x00, write_block(small_series(),
                                                                damage={"metas": no_seg}))

    def swap_meta(metas, segs):  # two chunks of a series swapped in the index
        for cm in metas:
            if len(cm) >= 2:
                cm[0], cm[1] = cm[1], cm[0]
                break
    seeds["synth-chunks-swapped-in-index"] = pack(0x00, write_block(
        small_series(), damage={"metas": swap_meta}))

    def swap_bytes(metas, segs):  # the first two chunk records swapped in the file
        a, b, c = (metas[0][0][2] & 0xFFFFFFFF, metas[0][1][2] & 0xFFFFFFFF,
                   metas[0][2][2] & 0xFFFFFFFF if len(metas[0]) > 2 else metas[1][0][2])
        s = segs[0]
        segs[0][:] = s[:a] + s[b:c] + s[a:b] + s[c:]
    ser = small_series()
    ser[0][1].append([0, regular(450000, 5, 15000)])  # make series 0 have 2+ chunks
    seeds["synth-chunks-swapped-in-segment"] = pack(0x00, write_block(
        sorted(ser, key=lambda s: sorted(s[0].items())), damage={"metas": swap_bytes}))

    def bad_stats(meta, parts):
        meta["stats"]["numSeries"] += 3
        meta["stats"]["numSamples"] = 7
        meta["minTime"] = 100000
    seeds["synth-stats-and-times-off"] = pack(0x00, write_block(small_series(),
                                                                meta_extra=bad_stats))

    # churn = sum / (maxTime - minTime): a duration of 0 (x/0, 0/0) and a
    # negative one, where promtool's Go conversion to uint64 must be copied
    two = [({"a": "x"}, [[0, [(0, 1.0), (60, 2.0)]]]), ({"a": "y"}, [[0, [(0, 1.0)]]])]
    seeds["regress-ub-churn-duration-zero"] = pack(0x00, write_block(two, mint=0, maxt=0))
    seeds["regress-ub-churn-maxtime-before-mintime"] = pack(
        0x00, write_block(two, mint=100, maxt=50))

    # an XOR chunk of 0 samples read before any other (w->ts still NULL)
    seeds["regress-ub-empty-chunk-first"] = pack(0x00, write_block(
        [({"a": "x"}, [[0, []], [0, [(10, 1.0)]]]), ({"a": "y"}, [[0, [(0, 1.0)]]])]))

    seeds["synth-2048-series-two-ranges"] = pack(0x00, write_block(ranges_series()))

    def backref(metas, segs):  # a second-range series re-reads a first-range chunk
        metas[1500][0][2] = metas[10][0][2]
    seeds["synth-2048-series-backref"] = pack(0x00, write_block(
        ranges_series(), damage={"metas": backref}))

    for name, data in sorted(seeds.items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        print("%-40s %7d" % (name, len(data)))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: block_seeds.py OUTDIR")
    main(sys.argv[1])
