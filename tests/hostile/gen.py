#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""gen.py - build the hostile bundles of issue 8 from the real lab corpus.

    python3 tests/hostile/gen.py CORPUS OUTDIR [CASE...]

CORPUS is $PS_SHARED/corpus/lab-2026-11-24; with CASE names only the
directory-bundle cases named are built (archive cases are built as a group
when any arc_/dir_ name is given). Every case is a small bundle: a
"base" (the agent's prometheus.log, its prometheus.yml and three of its metric
dumps: enough for the critical finding `remote_write.unreachable`, which comes
from the agent's log lines about the receiver outage) plus the damaged part.
The damaged part is made from real files (agent WAL segment, receiver WAL with
its checkpoint, one receiver TSDB block, API JSON) at byte positions computed
from the formats (docs/format-wal.md, docs/format-tsdb.md), or built from
scratch for archive-level hostility (tarfile/zipfile).

OUTDIR/cases.json lists, per case:
  name        unique id (also the bundle's directory or file stem)
  bundle      path of the bundle (directory or archive), relative to OUTDIR
  exit        expected exit status of `promsight analyze` (docs/exit-codes.md)
  problem     null, or {"file": substring of problems[].file,
                        "message": regex (case-insensitive) on problems[].message,
                        "located": true if offset or line must be present}
  finding     class that must be among the findings (from the intact part), or null
  input_bytes uncompressed bytes promsight may legitimately read (memory bound)
  evil        paths (absolute or relative to the case sandbox) that must not exist
  what        one line: what is hostile about it
Everything is deterministic: random bytes come from random.Random(seed).
"""
import gzip
import io
import json
import os
import random
import shutil
import stat
import struct
import sys
import tarfile
import zipfile

PAGE = 32768
FINDING = "remote_write.unreachable"
AGENT = "prometheus-agent-0"
RECV = "thanos-receive-0"
BLOCK = "01M8654YBQ44XYVDAGZ3MGZVX8"
DUMPS = ("1795502371.prom", "1795502386.prom", "1795502401.prom", "1795502416.prom")
MTIME = 1795502084

# CRC32C and unsigned varints: the helpers the TSDB tests share
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
from tsdb_bytes import crc32c, enc as uvarint  # noqa: E402


def frag(typ, payload):
    """One WAL fragment: u8 type | be16 len | be32 crc32c(payload) | payload."""
    return struct.pack(">BHI", typ, len(payload), crc32c(payload)) + payload


def wal_frags(seg):
    """(offset, type, length) of every fragment of a WAL segment."""
    out = []
    for p in range((len(seg) + PAGE - 1) // PAGE):
        o = p * PAGE
        while o + 7 <= min((p + 1) * PAGE, len(seg)):
            t = seg[o]
            if t == 0:
                break
            n = struct.unpack(">H", seg[o + 1:o + 3])[0]
            out.append((o, t, n))
            o += 7 + n
    return out


class Gen:
    def __init__(self, corpus, outdir, only=()):
        self.only = set(only)
        self.c = corpus
        self.o = outdir
        self.cases = []
        self.rnd = random.Random(20261124)
        self.tag = "%08x" % self.rnd.getrandbits(32)
        # The first 8 real pages, cut after the last complete record of page
        # 7 (every page of this segment ends with a FIRST fragment): a valid
        # segment whose last page is short, as Prometheus leaves it.
        seg = self.read(AGENT + "/data/wal/00000000")[:8 * PAGE]
        fr = wal_frags(seg)
        end = max(o + 7 + n for o, t, n in fr if t & 7 in (1, 4) and o < 8 * PAGE)
        self.seg = seg[:end]
        self.frags = wal_frags(self.seg)

    def read(self, rel):
        with open(os.path.join(self.c, rel), "rb") as f:
            return f.read()

    # -- base bundle --------------------------------------------------------
    def base_files(self):
        fs = {AGENT + "/prometheus.log": self.read(AGENT + "/prometheus.log"),
              AGENT + "/config/prometheus.yml": self.read(AGENT + "/config/prometheus.yml")}
        for d in DUMPS:
            fs[AGENT + "/dumps/" + d] = self.read(AGENT + "/dumps/" + d)
        return fs

    def write_dir(self, name, files):
        root = os.path.join(self.o, name)
        for rel, data in files.items():
            p = os.path.join(root, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as f:
                f.write(data)
        return name

    def add(self, name, bundle, what, problem=None, finding=FINDING, exit=3,
            input_bytes=None, evil=()):
        if input_bytes is None:
            input_bytes = du(os.path.join(self.o, bundle))
        self.cases.append({"name": name, "bundle": bundle, "exit": exit, "problem": problem,
                           "finding": finding, "input_bytes": input_bytes,
                           "evil": list(evil), "what": what})

    def case(self, name, what, extra, problem=None, finding=FINDING, exit=3, drop=()):
        """A directory bundle: base + extra files (dict rel -> bytes)."""
        if self.only and name not in self.only:
            return
        fs = self.base_files()
        for k in drop:
            fs.pop(k, None)
        fs.update(extra)
        self.add(name, self.write_dir(name, fs), what, problem, finding, exit)

    # -- WAL ----------------------------------------------------------------
    def wal(self):
        W = AGENT + "/data/wal/00000000"
        seg, fr = self.seg, self.frags
        full = [f for f in fr if f[1] & 7 == 1]
        first = [f for f in fr if f[1] & 7 == 2]
        last = [f for f in fr if f[1] & 7 == 4]
        P = lambda msg: {"file": "data/wal/0000000", "message": msg, "located": True}
        f = full[5]
        self.case("wal_trunc_mid_header", "segment cut 3 bytes into a fragment header",
                  {W: seg[:f[0] + 3]}, P("checksum|torn|size|truncat"))
        self.case("wal_trunc_mid_fragment", "segment cut in the middle of a full fragment's payload",
                  {W: seg[:f[0] + 7 + f[2] // 2]}, P("checksum|torn|truncat"))
        f = first[1]
        self.case("wal_trunc_mid_page", "segment cut in the middle of a page (inside the page's last, first-of-record fragment)",
                  {W: seg[:f[0] + 7 + f[2] // 2]}, P("checksum|torn|truncat"))
        pb = (f[0] // PAGE + 1) * PAGE
        self.case("wal_trunc_spanning_at_page", "segment cut at the page boundary inside a record spanning two pages",
                  {W: seg[:pb]}, P("torn|truncat|last record"))
        lf = [x for x in last if x[0] >= pb][0]
        self.case("wal_trunc_spanning_in_last", "segment cut inside the last fragment of a record spanning pages",
                  {W: seg[:lf[0] + 7 + lf[2] // 2]}, P("checksum|torn|truncat"))
        # bit flips
        f = full[10]
        b = bytearray(seg); b[f[0]] ^= 0x04
        self.case("wal_flip_type_bit", "bit 2 flipped in a fragment type byte: FULL becomes type 5",
                  {W: bytes(b)}, P("type|fragment|invalid"))
        b = bytearray(seg); b[f[0]] ^= 0x40
        # Prometheus 2.42 masks the type with 0x07 (recTypeFromHeader), so a
        # flipped bit 5-7 is not an error for it either: no problem expected,
        # the case checks that nothing else goes wrong.
        self.case("wal_flip_type_high_bit", "bit 6 flipped in a fragment type byte (ignored, as by Prometheus)",
                  {W: bytes(b)}, None)
        b = bytearray(seg); b[f[0] + 1] ^= 0x80
        self.case("wal_flip_length_bit", "high bit flipped in a fragment length (record runs past the page)",
                  {W: bytes(b)}, P("size|length|page|checksum"))
        b = bytearray(seg); b[f[0] + 7 + f[2] // 2] ^= 0x01
        self.case("wal_flip_payload_bit", "one payload bit flipped (CRC mismatch)",
                  {W: bytes(b)}, P("checksum|crc"))
        b = bytearray(seg); b[f[0] + 3:f[0] + 7] = b"\xde\xad\xbe\xef"
        self.case("wal_bad_crc", "stored CRC32C replaced",
                  {W: bytes(b)}, P("checksum|crc"))
        # torn records: a LAST turned MIDDLE (record never closed), a FIRST turned FULL
        b = bytearray(seg); b[lf[0]] = (b[lf[0]] & ~7) | 3
        self.case("wal_torn_last_as_middle", "the closing fragment of a spanning record re-typed MIDDLE",
                  {W: bytes(b)}, P("unexpected|torn|fragment"))
        f2 = first[2][0]
        b = bytearray(seg); b[f2] = (b[f2] & ~7) | 1
        self.case("wal_torn_first_as_full", "the opening fragment of a spanning record re-typed FULL",
                  {W: bytes(b)}, P("unexpected|fragment|decompress|truncat|snappy"))
        b = bytearray(seg); b[3 * PAGE:4 * PAGE] = bytes(PAGE)
        self.case("wal_zero_page", "page 3 zero-filled (reads as padding, so the spanning record joins the wrong LAST fragment)",
                  {W: bytes(b)}, P("unexpected|fragment|torn|checksum|snappy|decompress"))
        b = bytearray(seg); b[5 * PAGE + 100:] = bytes(len(b) - 5 * PAGE - 100)
        self.case("wal_zero_tail", "the segment's tail zero-filled from inside a page",
                  {W: bytes(b)}, P("checksum|torn|padding|unexpected|fragment"))
        # padding garbage: the short last page gets a zero type byte (page
        # terminator) followed by non-zero bytes
        self.case("wal_nonzero_padding", "non-zero bytes after a page terminator in the last page",
                  {W: seg + b"\x00" + b"\x55" * 200}, P("padding|non-zero|fragment"))
        # hand-made records in a second segment: huge varints, huge length fields
        S1 = AGENT + "/data/wal/00000001"
        def seg1(*records):
            return b"".join(frag(1, r) for r in records)
        rec_varint = b"\x01" + b"\xff" * 10 + b"\x01"          # series, ref varint overflows 64 bits
        self.case("wal_huge_varint", "series record whose ref is an 11-byte varint",
                  {W: seg, S1: seg1(rec_varint)}, P("truncat|varint|decode|record|overflow"))
        rec_count = b"\x01" + uvarint(7) + uvarint(1 << 62) + b"a"  # series with 2^62 labels
        self.case("wal_huge_label_count", "series record claiming 2^62 labels",
                  {W: seg, S1: seg1(rec_count)}, P("truncat|record|count|decode"))
        rec_name = b"\x01" + uvarint(7) + uvarint(1) + uvarint(0xFFFFFFFF) + b"x"
        self.case("wal_huge_string_length", "label name whose length varint says 4 GiB",
                  {W: seg, S1: seg1(rec_name)}, P("truncat|record|length|decode"))
        snap = uvarint(1 << 40) + b"\x00" * 20                  # snappy preamble: 1 TiB
        self.case("wal_snappy_huge_preamble", "snappy fragment whose preamble claims 1 TiB decoded",
                  {W: seg, S1: frag(1 | 8, snap)}, P("decompress|snappy|large|record"))
        self.case("wal_snappy_garbage", "snappy-flagged fragment of random bytes",
                  {W: seg, S1: frag(1 | 8, self.rbytes(3000))}, P("decompress|snappy|record"))
        self.case("wal_unknown_record_type", "record type 200",
                  {W: seg, S1: seg1(b"\xc8" + b"\x00" * 30)}, P("unknown|type"))
        big = frag(2, self.rbytes(PAGE - 7)) + b"".join(
            frag(3, self.rbytes(PAGE - 7)) for _ in range(3))
        self.case("wal_record_never_ends", "first+middle fragments over 4 pages and no last",
                  {W: seg, S1: big}, P("torn|last record|unexpected|truncat"))
        self.case("wal_segment_gap", "segments 00000000 and 00000005: a gap in numbering",
                  {W: seg, AGENT + "/data/wal/00000005": seg[:PAGE]},
                  {"file": "data/wal", "message": "sequential|gap|missing", "located": False})
        # receiver WAL with a damaged checkpoint
        rw = RECV + "/default-tenant/wal/"
        fs = {rw + n: self.read(rw + n) for n in ("00000008", "00000009", "checkpoint.00000007/00000000")}
        ck = bytearray(fs[rw + "checkpoint.00000007/00000000"])
        cf = wal_frags(bytes(ck) + bytes(-len(ck) % PAGE))
        ck[cf[1][0] + 7 + cf[1][2] // 2] ^= 0x10
        fs[rw + "checkpoint.00000007/00000000"] = bytes(ck)
        self.case("wal_checkpoint_flip", "receiver WAL: a payload bit flipped inside its checkpoint",
                  fs, {"file": "checkpoint.00000007", "message": "checksum|crc", "located": True})

    # -- TSDB ---------------------------------------------------------------
    def tsdb(self):
        B = RECV + "/default-tenant/" + BLOCK + "/"
        blk = {B + n: self.read(B + n) for n in ("meta.json", "index", "tombstones", "chunks/000001")}
        idx = blk[B + "index"]
        toc = struct.unpack(">6Q", idx[-52:-4])
        P = lambda f, msg: {"file": BLOCK + "/" + f, "message": msg, "located": True}

        def with_(rel, data, drop=None):
            d = dict(blk)
            if data is None:
                d.pop(B + rel)
            else:
                d[B + rel] = data
            return d
        b = bytearray(idx); b[0:4] = b"\xde\xad\xbe\xef"
        self.case("tsdb_index_bad_magic", "index magic replaced", with_("index", bytes(b)),
                  P("index", "magic"))
        b = bytearray(idx); b[-52:-4] = struct.pack(">6Q", *[len(idx) * 1000 + i for i in range(6)])
        b[-4:] = struct.pack(">I", crc32c(bytes(b[-52:-4])))
        self.case("tsdb_index_toc_outside", "index TOC (valid CRC) pointing far past the end of the file",
                  with_("index", bytes(b)), P("index", "outside|past|toc|offset|beyond"))
        pst = toc[4]
        b = bytearray(idx); b[pst + 4:pst + 8] = struct.pack(">I", 0x7FFFFFFF)
        self.case("tsdb_postings_count_huge", "first postings list claims 2^31-1 entries",
                  with_("index", bytes(b)), P("index", "postings|count|length|crc|fit"))
        b = bytearray(idx); b[toc[0] + 4:toc[0] + 8] = struct.pack(">I", 0xFFFFFFFF)
        self.case("tsdb_symbols_count_huge", "symbol table claims 2^32-1 symbols",
                  with_("index", bytes(b)), P("index", "symbol|count|crc|fit"))
        self.case("tsdb_index_truncated", "index cut in half (the TOC is gone)",
                  with_("index", idx[:len(idx) // 2]), P("index", "toc|truncat|crc|outside|short|past"))
        self.case("tsdb_chunks_missing_segment", "chunks/000001 deleted: every chunk ref names a missing segment",
                  with_("chunks/000001", None), {"file": BLOCK, "message": "missing|segment|chunk", "located": False})
        ch = blk[B + "chunks/000001"]
        self.case("tsdb_chunks_bad_magic", "chunk segment magic replaced",
                  with_("chunks/000001", b"\x00\x00\x00\x00" + ch[4:]), P("chunks/000001", "magic|header"))
        self.case("tsdb_chunks_truncated", "chunk segment cut at 1/3",
                  with_("chunks/000001", ch[:len(ch) // 3]), P("chunk", "chunk|ref|past|truncat"))
        b = bytearray(ch); b[len(ch) // 2] ^= 0xFF
        self.case("tsdb_chunk_flip", "one byte inverted in the middle of the chunk file",
                  with_("chunks/000001", bytes(b)), P("chunk", "crc|checksum|decode|chunk"))
        meta = json.loads(blk[B + "meta.json"])
        m = dict(meta); m["minTime"] = "yesterday"; m["stats"] = [1, 2]; m["version"] = "one"
        self.case("tsdb_meta_wrong_types", "meta.json with strings and arrays where numbers belong",
                  with_("meta.json", json.dumps(m).encode()), {"file": BLOCK + "/meta.json", "message": "meta|type|minTime|version", "located": False})
        m = dict(meta); m["minTime"] = 9223372036854775807; m["maxTime"] = -9223372036854775808
        m["stats"] = {"numSamples": 10 ** 30, "numSeries": -5, "numChunks": 1e300}; m["version"] = 99
        self.case("tsdb_meta_absurd", "meta.json with maxTime < minTime, 1e30 samples, version 99",
                  with_("meta.json", json.dumps(m).encode()), {"file": BLOCK + "/meta.json", "message": "meta|version|range|maxTime|integer|JSON", "located": False})
        self.case("tsdb_meta_not_json", "meta.json is binary garbage",
                  with_("meta.json", self.rbytes(300)), {"file": BLOCK, "message": "meta|json|pars", "located": False})
        self.case("tsdb_tombstones_bad", "tombstones with a bad magic and junk",
                  with_("tombstones", b"\x01\x02\x03\x04\x05" + self.rbytes(40)), P("tombstones", "magic|tombstone"))
        hc = self.read(RECV + "/default-tenant/chunks_head/000009")
        d = dict(blk); d[RECV + "/default-tenant/chunks_head/000009"] = b"\xff" * 8 + hc[8:]
        self.case("tsdb_head_chunks_bad_magic", "chunks_head file with a bad header",
                  d, {"file": "chunks_head/000009", "message": "magic|header|head", "located": True})

    # -- logs ---------------------------------------------------------------
    def logs(self):
        L = AGENT + "/prometheus.log"
        log = self.read(L)
        line = (b'ts=2026-11-24T06:34:44.900Z caller=main.go:1 level=info msg="' +
                b"x" * (10 * 1024 * 1024) + b'"\n')
        self.case("log_10mb_line", "a 10 MiB log line at the start of the agent log",
                  {L: line + log}, {"file": "prometheus.log", "message": "long|line|truncat|limit", "located": True})
        cut = log.index(b"\n", len(log) // 3) + 1
        self.case("log_nul_bytes", "NUL bytes in the middle of the agent log and a NUL-filled side log",
                  {L: log[:cut] + b"\x00" * 4096 + b"\n" + log[cut:],
                   AGENT + "/nul.log": b"ts=2026-11-24T06:34:45Z level=info msg=a\n" + b"\x00" * 65536},
                  {"file": ".log", "message": "nul|binary|control|byte", "located": True})
        bad = b"".join(b"ts=2026-11-24T06:3%d:00Z level=warn msg=\"bad \xff\xfe\xc3\x28 \xed\xa0\x80 utf8\"\n" % (i % 10)
                       for i in range(200))
        self.case("log_invalid_utf8", "invalid UTF-8 (lone continuation, surrogates, overlong) in log lines",
                  {L: log[:cut] + bad + log[cut:]}, {"file": "prometheus.log", "message": "utf|encod|invalid", "located": True})
        cri = b"".join(b"2026-11-24T06:35:%02d.000000000Z stdout P " % (i % 60) + b"partial chunk %d " % i * 20 + b"\n"
                       for i in range(20000))
        self.case("log_cri_partial_unclosed", "20 000 CRI partial (P) lines never closed by an F line",
                  {"var/log/pods/monitoring_app-0_1234/app/0.log": cri},
                  {"file": "0.log", "message": "partial|unterminated|never|incomplete|long", "located": True})
        self.case("log_random_bytes", "a .log file of 1 MiB random bytes",
                  {AGENT + "/garbage.log": self.rbytes(1 << 20)},
                  {"file": "garbage.log", "message": "binary|nul|control|not|utf", "located": True})
        self.case("log_no_final_newline_huge", "2 MiB of one line without a newline at EOF",
                  {AGENT + "/tail.log": b"level=info msg=" + b"y" * (2 << 20)},
                  {"file": "tail.log", "message": "long|line|truncat|limit|newline", "located": True})
        self.case("log_million_empty_lines", "one million empty lines", {AGENT + "/empty.log": b"\n" * 1000000})

    # -- metric dumps -------------------------------------------------------
    def metrics(self):
        D = AGENT + "/dumps/"
        pairs = b",".join(b'l%d="v"' % i for i in range(1000000))
        self.case("expo_million_labels", "an exposition line with a million label pairs (~12 MiB)",
                  {D + "1795502600.prom": b"# TYPE huge gauge\nhuge{" + pairs + b"} 1\nup 1\n"},
                  {"file": "1795502600.prom", "message": "label|long|limit|line", "located": True})
        self.case("expo_garbage_lines", "exposition with broken syntax, NUL, invalid UTF-8 and absurd values",
                  {D + "1795502610.prom": b"# TYPE a counter\na{x=\"1\" 5\nb{x=\"\xff\xfe\"} 1\nc 1e999999\nd NaNx\n\x00\x00\x00\ne{=\"x\"} 1\nup 1\n"},
                  {"file": "1795502610.prom", "message": "syntax|expect|invalid|parse|value|label", "located": True})
        self.case("expo_100k_help", "100 000 HELP/TYPE lines for one metric",
                  {D + "1795502620.prom": b"".join(b"# HELP m help %d\n# TYPE m gauge\n" % i for i in range(100000)) + b"m 1\n"})

    # -- API JSON / configs / k8s --------------------------------------------
    def jsonyaml(self):
        A = "prometheus-0/api/"
        self.case("json_deep_arrays", "API JSON nested 200 000 arrays deep",
                  {A + "query_range-up.json": b'{"status":"success","data":' + b"[" * 200000 + b"]" * 200000 + b"}"},
                  {"file": "query_range-up.json", "message": "depth|nest|json|pars|deep", "located": False})
        self.case("json_deep_objects", "API JSON nested 100 000 objects deep",
                  {A + "status_flags.json": b'{"status":"success","data":' + b'{"a":' * 100000 + b"1" + b"}" * 100000 + b"}"},
                  {"file": "status_flags.json", "message": "depth|nest|json|pars|deep|type|expect", "located": False})
        qr = self.read(A + "query_range-up.json")
        self.case("json_truncated", "API JSON cut in half",
                  {A + "query_range-up.json": qr[:len(qr) // 2]},
                  {"file": "query_range-up.json", "message": "json|pars|end|truncat|premature", "located": True})
        self.case("json_wrong_types", "API JSON with result a string and values as objects",
                  {A + "query_range-up.json": b'{"status":"success","data":{"resultType":"matrix","result":"oops"}}',
                   A + "targets.json": b'{"status":"success","data":{"activeTargets":[{"labels":7,"health":[1]}]}}'},
                  {"file": "api/", "message": "expect|type|result|array|object", "located": False})
        self.case("json_absurd_numbers", "API JSON with 1e999, 10^40 and -0 sample values",
                  {A + "query_range-up.json": b'{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"up"},"values":[[1e999,"1"],[100000000000000000000000000000000000000000,"NaN"],[-0,"-0"]]}]}}'})
        bomb = [b'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
        for i in range(1, 10):
            p = chr(ord("a") + i - 1).encode()
            n = chr(ord("a") + i).encode()
            bomb.append(n + b": &" + n + b" [" + b",".join([b"*" + p] * 9) + b"]")
        bomb.append(b"global: {scrape_interval: 5s}\nscrape_configs: *j\n")
        self.case("yaml_alias_bomb", "billion-laughs YAML (9^10 expansions) as prometheus-0's prometheus.yml",
                  {"prometheus-0/config/prometheus.yml": b"\n".join(bomb)},
                  {"file": "prometheus.yml", "message": "alias|limit|expan|anchor|large", "located": False})
        self.case("yaml_deep_nesting", "YAML flow sequence 100 000 deep",
                  {"prometheus-0/config/prometheus.yml": b"global: " + b"[" * 100000 + b"]" * 100000 + b"\n"},
                  {"file": "prometheus.yml", "message": "depth|nest|yaml|pars|deep", "located": False})
        self.case("yaml_invalid", "YAML with a tab indent, an unterminated quote and a NUL",
                  {AGENT + "/config/prometheus.yml": b"global:\n\tscrape_interval: 5s\nremote_write:\n  - url: \"http://x\n\x00\n"},
                  {"file": "prometheus.yml", "message": "yaml|pars|syntax|scan|invalid|control", "located": True})
        self.case("k8s_huge_list", "kubectl list JSON with 50 000 nested empty items and wrong types",
                  {"k8s/pods.json": b'{"apiVersion":"v1","kind":"List","items":[' +
                   b",".join([b'{"kind":"Pod","metadata":{"name":7},"spec":{"containers":"x"}}'] * 50000) + b"]}"})

    # -- archives -----------------------------------------------------------
    def tar_of(self, name, mode, extra_entries, base_first=True, fmt=tarfile.PAX_FORMAT):
        path = os.path.join(self.o, name)
        with tarfile.open(path, mode, format=fmt) as t:
            if not base_first:
                extra_entries(t)
            for rel, data in sorted(self.base_files().items()):
                tadd(t, rel, data)
            if base_first:
                extra_entries(t)
        return name

    def archives(self):
        base_bytes = sum(len(v) for v in self.base_files().values())
        pw = "/tmp/promsight-pwned-" + self.tag

        def dotdot(t):
            tadd(t, "../evil-" + self.tag, b"evil\n")
            tadd(t, "a/../../../evil2-" + self.tag, b"evil\n")
        n = self.tar_of("arc_dotdot.tar.gz", "w:gz", dotdot)
        self.add("arc_dotdot", n, "tar.gz with ../ entries",
                 {"file": "evil", "message": "unsafe|never read", "located": False},
                 input_bytes=base_bytes, evil=["evil-" + self.tag, "../evil-" + self.tag, "evil2-" + self.tag])

        def absolute(t):
            tadd(t, pw + "-abs", b"evil\n")
        n = self.tar_of("arc_absolute.tar", "w", absolute)
        self.add("arc_absolute", n, "plain tar with an absolute /tmp path",
                 {"file": "promsight-pwned", "message": "unsafe|never read", "located": False},
                 input_bytes=base_bytes, evil=[pw + "-abs"])

        def links(t):
            tadd(t, "lnk-passwd", typ=tarfile.SYMTYPE, link="/etc/passwd")
            tadd(t, "lnk-root", typ=tarfile.SYMTYPE, link="/")
            tadd(t, "lnk-root/tmp/promsight-pwned-" + self.tag + "-via-link", b"evil\n")
            tadd(t, AGENT + "/config/evil.log", typ=tarfile.SYMTYPE, link="../../../../../etc/shadow")
        n = self.tar_of("arc_symlinks.tar.gz", "w:gz", links)
        self.add("arc_symlinks", n, "symlinks to /etc/passwd, /, ../../etc/shadow and a file written through one",
                 {"file": "lnk", "message": "unsafe|never read|link", "located": False},
                 input_bytes=base_bytes + 5, evil=[pw + "-via-link"])

        def hard(t):
            tadd(t, "hl-passwd", typ=tarfile.LNKTYPE, link="/etc/passwd")
            tadd(t, "hl-up", typ=tarfile.LNKTYPE, link="../../../etc/passwd")
            tadd(t, AGENT + "/hl.log", typ=tarfile.LNKTYPE, link=AGENT + "/prometheus.log")
        n = self.tar_of("arc_hardlinks.tar", "w", hard)
        self.add("arc_hardlinks", n, "hard links to /etc/passwd, ../.. and inside the bundle",
                 {"file": "hl-", "message": "unsafe|never read|link", "located": False}, input_bytes=base_bytes)

        def devs(t):
            tadd(t, "dev/null-copy", typ=tarfile.CHRTYPE, dev=(1, 3))
            tadd(t, "dev/sda-copy", typ=tarfile.BLKTYPE, dev=(8, 0))
            tadd(t, AGENT + "/fifo.log", typ=tarfile.FIFOTYPE)
        n = self.tar_of("arc_devices.tar.gz", "w:gz", devs)
        self.add("arc_devices", n, "char device, block device and fifo entries",
                 {"file": "dev/", "message": "unsafe|never read|device", "located": False}, input_bytes=base_bytes)

        zeros = bytes(100 * 1024 * 1024)
        n = self.tar_of("arc_bomb_last.tar.gz", "w:gz", lambda t: tadd(t, "zeros.log", zeros))
        self.add("arc_bomb_last", n, "tar.gz with a 100 MiB zero file (~1000:1) after the real files",
                 {"file": "", "message": "ratio|bomb|limit", "located": False}, input_bytes=base_bytes)
        n = self.tar_of("arc_bomb_first.tar.gz", "w:gz", lambda t: tadd(t, "zeros.log", zeros), base_first=False)
        self.add("arc_bomb_first", n, "the same bomb stored before the real files: the walk stops, nothing after it is read",
                 {"file": "", "message": "ratio|bomb|limit", "located": False}, finding=None, exit=0,
                 input_bytes=2 << 20)
        zp = os.path.join(self.o, "arc_bomb.zip")
        with zipfile.ZipFile(zp, "w", zipfile.ZIP_DEFLATED) as z:
            for rel, data in sorted(self.base_files().items()):
                z.writestr(zinfo(rel), data)
            z.writestr(zinfo("zeros.log"), zeros)
        self.add("arc_bomb_zip", "arc_bomb.zip", "zip with a 100 MiB deflated zero entry (~1000:1)",
                 {"file": "", "message": "ratio|bomb|limit", "located": False}, input_bytes=base_bytes)
        del zeros

        # nested: zip holding a tar.gz holding a tar.gz
        inner = io.BytesIO()
        with tarfile.open(fileobj=inner, mode="w:gz") as t:
            tadd(t, "inner.log", b"level=error msg=x\n")
        mid = io.BytesIO()
        with tarfile.open(fileobj=mid, mode="w:gz") as t:
            tadd(t, "inner.tar.gz", inner.getvalue())
        nz = os.path.join(self.o, "arc_nested.zip")
        with zipfile.ZipFile(nz, "w", zipfile.ZIP_DEFLATED) as z:
            for rel, data in sorted(self.base_files().items()):
                z.writestr(zinfo(rel), data)
            z.writestr(zinfo("support/mid.tar.gz"), mid.getvalue())
            z.writestr(zinfo("support/self.zip"), open(nz, "rb").read() if os.path.exists(nz) else b"PK\x05\x06" + bytes(18))
        self.add("arc_nested", "arc_nested.zip", "zip containing a tar.gz containing a tar.gz, and an empty zip",
                 input_bytes=base_bytes + 10000)

        def many(t):
            ti = tarfile.TarInfo()
            ti.mtime = MTIME
            for i in range(100000):
                ti.name = "many/%03d/f%06d.txt" % (i // 1000, i)
                t.addfile(ti)
        n = self.tar_of("arc_100k_entries.tar.gz", "w:gz", many, fmt=tarfile.USTAR_FORMAT)
        self.add("arc_100k_entries", n, "tar.gz with 100 000 empty entries after the real files",
                 input_bytes=base_bytes + 100000 * 512)

        log = self.read(AGENT + "/prometheus.log")

        def dups(t):
            tadd(t, AGENT + "/prometheus.log", b"level=info msg=impostor\n")
            tadd(t, AGENT + "/prometheus.log", log)
            tadd(t, AGENT + "/dumps/" + DUMPS[0], b"up 0\n")
        n = self.tar_of("arc_duplicates.tar.gz", "w:gz", dups)
        self.add("arc_duplicates", n, "the agent log and a dump stored twice (3 copies of the log)",
                 {"file": "prometheus.log", "message": "duplicate", "located": False},
                 input_bytes=base_bytes + len(log) + 100)

        seglog = b"ts=2026-11-24T06:34:45.000Z caller=x.go:1 level=info msg=\"misnamed\"\n" * 100

        def misnamed(t):
            tadd(t, AGENT + "/data/wal/00000000", seglog)
            tadd(t, RECV + "/wal-as.log", self.seg[:PAGE])
        n = self.tar_of("arc_wal_named_log.tar.gz", "w:gz", misnamed)
        self.add("arc_wal_named_log", n, "a WAL segment by name that is a log by content, and a .log that is a WAL page",
                 None,
                 input_bytes=base_bytes + len(seglog) + PAGE)

        zp = os.path.join(self.o, "arc_zip_traversal.zip")
        with zipfile.ZipFile(zp, "w") as z:
            for rel, data in sorted(self.base_files().items()):
                z.writestr(zinfo(rel), data)
            z.writestr(zinfo("../zip-evil-" + self.tag), b"evil\n")
            z.writestr(zinfo(pw + "-zip"), b"evil\n")
            z.writestr(zinfo("..\\win-evil-" + self.tag), b"evil\n")
            z.writestr(zinfo("C:\\win-abs-" + self.tag), b"evil\n")
        self.add("arc_zip_traversal", "arc_zip_traversal.zip", "zip with ../, absolute, ..\\ and C:\\ names",
                 {"file": "evil", "message": "unsafe|never read", "located": False}, input_bytes=base_bytes,
                 evil=["zip-evil-" + self.tag, "../zip-evil-" + self.tag, pw + "-zip"])

        def longdeep(t):
            tadd(t, "d/" + "x" * 5000, b"long\n")
            tadd(t, "/".join(["d"] * 100) + "/deep.log", b"level=info msg=deep\n")
        n = self.tar_of("arc_long_deep.tar", "w", longdeep)
        self.add("arc_long_deep", n, "a 5000-byte entry name and a 100-level-deep path",
                 {"file": "", "message": "long|depth|deep|limit|unsafe", "located": False}, input_bytes=base_bytes)

        # truncated archive: real files first (uncompressible noise), then cut
        n = self.tar_of("arc_truncated_full.tar.gz", "w:gz", lambda t: tadd(t, "noise.bin", self.rbytes(300000)))
        p = os.path.join(self.o, n)
        data = open(p, "rb").read()
        open(os.path.join(self.o, "arc_truncated.tar.gz"), "wb").write(data[:len(data) - 100000])
        os.unlink(p)
        self.add("arc_truncated", "arc_truncated.tar.gz", "tar.gz cut inside its last (incompressible) entry",
                 {"file": "", "message": "truncat|unexpected|end|eof|damag|corrupt|read", "located": False},
                 input_bytes=base_bytes + 300000)

        # directory bundles with links and a fifo
        d = self.write_dir("dir_links_fifo", self.base_files())
        root = os.path.join(self.o, d)
        os.symlink("/etc", os.path.join(root, "etc-link"))
        os.symlink("/etc/passwd", os.path.join(root, AGENT, "passwd.log"))
        os.symlink("../../..", os.path.join(root, "up"))
        os.mkfifo(os.path.join(root, AGENT, "blocking.log"))
        self.add("dir_links_fifo", d, "directory bundle with symlinks out (/etc, /etc/passwd as a .log, ../../..) and a fifo named .log",
                 {"file": "blocking.log", "message": "unsafe|never read|device|fifo", "located": False}, input_bytes=base_bytes)

    def rbytes(self, n):
        return bytes(self.rnd.getrandbits(8) for _ in range(n)) if n < 4096 else \
            self.rnd.getrandbits(8 * n).to_bytes(n, "little")

    def run(self):
        self.wal()
        self.tsdb()
        self.logs()
        self.metrics()
        self.jsonyaml()
        if not self.only or any(n.startswith(("arc_", "dir_")) for n in self.only):
            self.archives()
        with open(os.path.join(self.o, "cases.json"), "w") as f:
            json.dump({"tag": self.tag, "cases": self.cases}, f, indent=1)
        return len(self.cases)


def zinfo(name):
    zi = zipfile.ZipInfo(name, date_time=(2026, 11, 24, 6, 34, 44))
    zi.compress_type = zipfile.ZIP_DEFLATED
    return zi


def tadd(t, name, data=b"", typ=tarfile.REGTYPE, link="", dev=(0, 0)):
    ti = tarfile.TarInfo(name)
    ti.type = typ
    ti.linkname = link
    ti.mtime = MTIME
    ti.devmajor, ti.devminor = dev
    ti.size = len(data) if typ == tarfile.REGTYPE else 0
    t.addfile(ti, io.BytesIO(data) if ti.size else None)


def du(p):
    if os.path.isfile(p):
        return os.path.getsize(p)
    n = 0
    for r, _, fs in os.walk(p):
        for f in fs:
            st = os.lstat(os.path.join(r, f))
            if stat.S_ISREG(st.st_mode):
                n += st.st_size
    return n


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: gen.py CORPUS OUTDIR [CASE...]")
    os.makedirs(sys.argv[2], exist_ok=True)
    n = Gen(sys.argv[1], sys.argv[2], sys.argv[3:]).run()
    print("%d hostile bundles in %s" % (n, sys.argv[2]))


if __name__ == "__main__":
    main()
