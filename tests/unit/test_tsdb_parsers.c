/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_tsdb_parsers.c - the TSDB parsers on real blocks (Prometheus 2.42's
 * receiver blocks and Prometheus' own v1-index fixture) and on bytes built
 * here from the format description: an XOR chunk written by an encoder in
 * this file, tombstones and head chunk files with CRCs, meta.json with
 * wrong types. Expected numbers on corpus blocks are those `promtool tsdb
 * list` prints for them (NUM SERIES / NUM SAMPLES / NUM CHUNKS), which
 * meta.json also records.
 */
#include "test_util.h"

#include <math.h>

#include "promsight/ps_crc32c.h"
#include "promsight/ps_dec.h"
#include "promsight/ps_tsdb.h"

#define RECV "corpus/lab-2026-11-24/thanos-receive-0/default-tenant/"
#define B2 "01M864XM5BQME3HG3PYB09VBP5"

static uint8_t *
shared_file(const char *rel, size_t *n)
{
    char path[512];
    ps_test_shared_path(path, sizeof(path), rel);
    uint8_t *p = ps_test_read_file(path, n);
    assert_non_null(p);
    return p;
}

/* ---- a tiny independent XOR encoder (Gorilla as in the format notes) ---- */
struct bw {
    uint8_t b[4096];
    size_t bits;
};

static void
put_bits(struct bw *w, uint64_t v, unsigned n)
{
    for (unsigned i = n; i-- > 0;) {
        if ((v >> i) & 1)
            w->b[w->bits / 8] |= (uint8_t)(0x80 >> (w->bits % 8));
        w->bits++;
    }
}

static size_t
xor_encode(uint8_t *out, const int64_t *t, const double *v, size_t n)
{
    struct bw w;
    memset(&w, 0, sizeof(w));
    put_bits(&w, n, 16);
    uint64_t prevbits = 0;
    int64_t prevt = 0, prevd = 0;
    unsigned lead = 0xff, trail = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t vb;
        memcpy(&vb, &v[i], 8);
        if (i == 0) {
            uint8_t tmp[10];
            int k = ps_put_varint(tmp, t[0]);
            for (int j = 0; j < k; j++)
                put_bits(&w, tmp[j], 8);
            put_bits(&w, vb, 64);
        } else {
            int64_t d = t[i] - prevt;
            if (i == 1) {
                uint8_t tmp[10];
                int k = ps_put_uvarint(tmp, (uint64_t)d);
                for (int j = 0; j < k; j++)
                    put_bits(&w, tmp[j], 8);
            } else {
                int64_t dod = d - prevd;
                if (dod == 0)
                    put_bits(&w, 0, 1);
                else if (dod >= -8191 && dod <= 8192)
                    put_bits(&w, 2, 2), put_bits(&w, (uint64_t)dod & 0x3fff, 14);
                else if (dod >= -65535 && dod <= 65536)
                    put_bits(&w, 6, 3), put_bits(&w, (uint64_t)dod & 0x1ffff, 17);
                else if (dod >= -524287 && dod <= 524288)
                    put_bits(&w, 14, 4), put_bits(&w, (uint64_t)dod & 0xfffff, 20);
                else
                    put_bits(&w, 15, 4), put_bits(&w, (uint64_t)dod, 64);
            }
            prevd = d;
            uint64_t x = vb ^ prevbits;
            if (x == 0) {
                put_bits(&w, 0, 1);
            } else {
                unsigned l = (unsigned)__builtin_clzll(x), tr = (unsigned)__builtin_ctzll(x);
                if (l > 31)
                    l = 31;
                if (lead != 0xff && l >= lead && tr >= trail) {
                    put_bits(&w, 2, 2);
                    put_bits(&w, x >> trail, 64 - lead - trail);
                } else {
                    lead = l;
                    trail = tr;
                    unsigned sig = 64 - l - tr;
                    put_bits(&w, 3, 2);
                    put_bits(&w, l, 5);
                    put_bits(&w, sig & 63, 6);
                    put_bits(&w, x >> tr, sig);
                }
            }
        }
        prevt = t[i];
        prevbits = vb;
    }
    size_t len = (w.bits + 7) / 8;
    memcpy(out, w.b, len);
    return len;
}

static void
test_xor_roundtrip(void **state)
{
    (void)state;
    int64_t t[200];
    double v[200];
    for (int i = 0; i < 200; i++) {
        /* irregular deltas covering every dod width, and varied values */
        t[i] = -5000 + (int64_t)i * 15000 + (i % 7 == 3 ? 9000 : 0) +
               (i == 100 ? 400000 : 0) + (i > 150 ? 100000000LL : 0);
        v[i] = i % 5 == 0 ? 42.0 : (i % 3 == 0 ? -1e300 * i : i * 0.1 + sin(i));
        if (i == 77)
            v[i] = NAN;
    }
    uint8_t buf[4096];
    size_t len = xor_encode(buf, t, v, 200);
    struct ps_tsdb_xor_it it;
    ps_tsdb_xor_init(&it, buf, len);
    int64_t tt;
    double vv;
    size_t k = 0;
    enum ps_err e;
    while ((e = ps_tsdb_xor_next(&it, &tt, &vv)) == PS_OK) {
        assert_true(k < 200);
        assert_int_equal(tt, t[k]);
        if (isnan(v[k]))
            assert_true(isnan(vv));
        else
            assert_memory_equal(&vv, &v[k], 8);
        k++;
    }
    assert_int_equal(e, PS_DONE);
    assert_int_equal(k, 200);
    /* the whole-chunk decoder gives the same samples */
    int64_t dt[200];
    double dvv[200];
    size_t got = 0;
    struct ps_tsdb_tdelta dl;
    assert_int_equal(ps_tsdb_xor_decode(buf, len, dt, dvv, 200, &got, &dl), PS_OK);
    assert_int_equal(got, 200);
    assert_memory_equal(dt, t, sizeof(dt));
    /* and the range of the timestamp deltas, computed here from t[] */
    int64_t dmin = t[1] - t[0], dmax = dmin;
    for (int i = 2; i < 200; i++) {
        dmin = t[i] - t[i - 1] < dmin ? t[i] - t[i - 1] : dmin;
        dmax = t[i] - t[i - 1] > dmax ? t[i] - t[i - 1] : dmax;
    }
    assert_int_equal(dl.min, dmin);
    assert_int_equal(dl.max, dmax);
    assert_int_equal(dl.wrapped, 0);
    for (int i = 0; i < 200; i++)
        if (!isnan(v[i]))
            assert_memory_equal(&dvv[i], &v[i], 8);
    /* every truncation fails cleanly, never reads past the end, and both
       decoders stop at the same sample */
    for (size_t cut = 0; cut < len - 1; cut++) {
        uint8_t *p = malloc(cut ? cut : 1);
        memcpy(p, buf, cut);
        ps_tsdb_xor_init(&it, p, cut);
        got = 0;
        while ((e = ps_tsdb_xor_next(&it, &tt, &vv)) == PS_OK)
            got++;
        assert_true(e == PS_E_TRUNCATED || e == PS_E_CORRUPT || got == 200);
        size_t got2 = 0;
        enum ps_err e2 = ps_tsdb_xor_decode(p, cut, dt, dvv, 200, &got2, NULL);
        assert_int_equal(got2, got);
        assert_int_equal(e2 == PS_OK, got == 200);
        free(p);
    }
}

/* The decoder's summary of timestamp deltas: what the sample-order check
 * (min <= 0) and the gap check's regular-series shortcut (min == max) use
 * instead of a pass over the samples. Chunks: regular, a repeated
 * timestamp, a step back, and one irregular delta among regular ones. */
static void
test_xor_tdelta(void **state)
{
    (void)state;
    static const struct {
        int64_t t0, step;
        int at;          /* sample whose delta differs (0: none) */
        int64_t delta;   /* its delta */
        int64_t min, max;
    } c[] = {
        {1000, 15000, 0, 0, 15000, 15000},
        {1000, 15000, 50, 0, 0, 15000},
        {1000, 15000, 7, -3, -3, 15000},
        {-7000, 30000, 119, 31000, 30000, 31000},
        {1000, 15000, 1, 15001, 15000, 15001},
    };
    for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
        int64_t t[120], dt[120];
        double v[120];
        t[0] = c[k].t0;
        v[0] = 1;
        for (int i = 1; i < 120; i++) {
            t[i] = t[i - 1] + (i == c[k].at ? c[k].delta : c[k].step);
            v[i] = i % 4 == 0 ? v[i - 1] : i * 1.5;
        }
        uint8_t buf[4096];
        size_t len = xor_encode(buf, t, v, 120), got = 0;
        struct ps_tsdb_tdelta dl;
        assert_int_equal(ps_tsdb_xor_decode(buf, len, dt, NULL, 120, &got, &dl), PS_OK);
        assert_int_equal(got, 120);
        assert_memory_equal(dt, t, sizeof(t));
        assert_int_equal(dl.min, c[k].min);
        assert_int_equal(dl.max, c[k].max);
        assert_int_equal(dl.wrapped, 0);
    }
}

/* varbit_int / varbit_uint as tsdb/docs/format/chunks.md describes them */
static void
put_varbit(struct bw *w, int64_t v, int is_signed)
{
    static const unsigned width[] = {3, 6, 9, 12, 18, 25, 56};
    if (v == 0) {
        put_bits(w, 0, 1);
        return;
    }
    for (unsigned i = 0; i < 7; i++) {
        unsigned n = width[i];
        int fits = is_signed ? (v >= -((INT64_C(1) << (n - 1)) - 1) && v <= (INT64_C(1) << (n - 1)))
                             : ((uint64_t)v < (UINT64_C(1) << n));
        if (fits) {
            put_bits(w, (UINT64_C(1) << (i + 2)) - 2, i + 2); /* i+1 ones, a zero */
            put_bits(w, (uint64_t)v & ((UINT64_C(1) << n) - 1), n);
            return;
        }
    }
    put_bits(w, 0xff, 8);
    put_bits(w, (uint64_t)v, 64);
}

static void
put_f64(struct bw *w, double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    put_bits(w, u, 64);
}

/* A value XOR that always opens a new window ('11' form). */
static void
put_xor_new(struct bw *w, double cur, double prev)
{
    uint64_t a, b;
    memcpy(&a, &cur, 8);
    memcpy(&b, &prev, 8);
    uint64_t x = a ^ b;
    if (x == 0) {
        put_bits(w, 0, 1);
        return;
    }
    unsigned l = (unsigned)__builtin_clzll(x), tr = (unsigned)__builtin_ctzll(x);
    if (l > 31)
        l = 31;
    unsigned sig = 64 - l - tr;
    put_bits(w, 3, 2);
    put_bits(w, l, 5);
    put_bits(w, sig & 63, 6);
    put_bits(w, x >> tr, sig);
}

static void
test_histogram_timestamps(void **state)
{
    (void)state;
    const int64_t ts[6] = {1000, 16000, 31000, 46500, 2000000, 2000001};
    for (int fl = 0; fl < 2; fl++) {
        struct bw w;
        memset(&w, 0, sizeof(w));
        put_bits(&w, 6, 16);     /* samples */
        put_bits(&w, 0x40, 8);   /* flags: not a counter reset */
        put_bits(&w, 255, 8);    /* zero threshold 0.001: not a power of two */
        put_f64(&w, 0.001);
        put_varbit(&w, fl ? -53 : 3, 1); /* schema */
        put_varbit(&w, 2, 0);    /* positive spans: (len 2, off 0), (len 1, off 3) */
        put_varbit(&w, 2, 0), put_varbit(&w, 0, 1);
        put_varbit(&w, 1, 0), put_varbit(&w, 3, 1);
        put_varbit(&w, 0, 0);    /* no negative spans */
        if (fl) {                /* custom values: 0.5 -> 501; 1e9 -> '0' + float */
            put_varbit(&w, 2, 0);
            put_varbit(&w, 501, 0);
            put_bits(&w, 0, 1);
            put_f64(&w, 1e9);
        }
        int64_t pd = 0;
        for (int i = 0; i < 6; i++) {
            int64_t d = i > 0 ? ts[i] - ts[i - 1] : 0;
            put_varbit(&w, i == 0 ? ts[0] : i == 1 ? d : d - pd, 1);
            pd = d;
            if (!fl) {
                if (i == 0) {
                    put_varbit(&w, 10, 0), put_varbit(&w, 1, 0), put_f64(&w, 4.5);
                } else {
                    put_varbit(&w, i == 1 ? 3 : -1, 1), put_varbit(&w, 0, 1);
                    put_xor_new(&w, 4.5 + i, 4.5 + i - 1);
                }
                for (int k = 0; k < 3; k++)
                    put_varbit(&w, i == 0 ? 5 - k : (k == 1 ? 300 : -2), 1);
            } else {
                for (int f = 0; f < 6; f++) { /* count, zero, sum, 3 buckets */
                    if (i == 0)
                        put_f64(&w, 1.5 * f);
                    else
                        put_xor_new(&w, 1.5 * f + i, 1.5 * f + i - 1);
                }
            }
        }
        size_t len = (w.bits + 7) / 8;
        int64_t out[8];
        size_t got = 0;
        unsigned enc = fl ? PS_TSDB_ENC_FLOAT_HISTOGRAM : PS_TSDB_ENC_HISTOGRAM;
        assert_int_equal(ps_tsdb_hist_timestamps(enc, w.b, len, out, 8, &got), PS_OK);
        assert_int_equal(got, 6);
        assert_memory_equal(out, ts, sizeof(ts));
        assert_int_equal(ps_tsdb_chunk_num_samples(enc, w.b, len), 6);
        /* truncations never succeed with all samples, never overrun */
        for (size_t cut = 0; cut + 1 < len; cut++) {
            uint8_t *p = malloc(cut ? cut : 1);
            memcpy(p, w.b, cut);
            got = 0;
            enum ps_err e = ps_tsdb_hist_timestamps(enc, p, cut, out, 8, &got);
            assert_true(e != PS_OK || got < 6 || cut + 1 >= len);
            assert_true(got <= 6);
            free(p);
        }
    }
}

static void
test_meta_corpus(void **state)
{
    (void)state;
    size_t n;
    uint8_t *p = shared_file(RECV B2 "/meta.json", &n);
    struct ps_diags d;
    ps_diags_init(&d);
    struct ps_tsdb_meta m;
    assert_int_equal(ps_tsdb_meta_parse(p, n, "meta.json", &m, &d), PS_OK);
    assert_int_equal(d.n, 0);
    assert_string_equal(m.ulid, B2);
    assert_int_equal(m.min_time, 1795502160323LL);
    assert_int_equal(m.max_time, 1795502520000LL);
    assert_int_equal(m.stats.num_samples, 114792);
    assert_int_equal(m.stats.num_series, 2015);
    assert_int_equal(m.stats.num_chunks, 4886);
    assert_int_equal(m.stats.num_tombstones, 0); /* omitted means zero */
    assert_int_equal(m.level, 2);
    assert_int_equal(m.nsources, 3);
    assert_int_equal(m.nparents, 3);
    assert_string_equal(m.parents[2].ulid, "01M864SNF6V8PGV30KVF7C5FF7");
    assert_int_equal(m.parents[2].min_time, 1795502400323LL);
    assert_int_equal(m.version, 1);
    assert_false(m.has_thanos);
    /* the ULID was created after the block's end */
    int64_t ut = ps_tsdb_ulid_time(m.ulid);
    assert_true(ut >= m.max_time && ut < m.max_time + 600000);
    ps_tsdb_meta_free(&m);
    ps_diags_free(&d);
    free(p);
}

static void
test_meta_bad(void **state)
{
    (void)state;
    const char *j =
        "{\"ulid\": 7, \"minTime\": 10, \"maxTime\": 5, \"version\": 1,"
        " \"stats\": {\"numSamples\": -1, \"numSeries\": \"x\", \"numChunks\": 3},"
        " \"compaction\": {\"level\": 99999999, \"failed\": \"yes\", \"sources\": 3},"
        " \"thanos\": {\"labels\": {\"a\": \"b\"}, \"downsample\": {\"resolution\": 300000},"
        "   \"source\": \"compactor\", \"files\": [{\"rel_path\": \"index\", \"size_bytes\": 12},"
        "   {\"rel_path\": \"meta.json\"}, {\"size_bytes\": 1}],"
        "   \"index_stats\": {\"series_max_size\": 100}, \"upload_time\": \"2026-01-01T00:00:00Z\"}}";
    struct ps_diags d;
    ps_diags_init(&d);
    struct ps_tsdb_meta m;
    assert_int_equal(ps_tsdb_meta_parse((const uint8_t *)j, strlen(j), "m", &m, &d), PS_OK);
    assert_int_equal(m.ulid[0], 0);
    assert_int_equal(m.stats.num_chunks, 3);
    assert_int_equal(m.stats.num_samples, 0);
    assert_int_equal(m.level, 0);
    assert_false(m.failed);
    assert_true(m.has_thanos);
    assert_int_equal(m.nlabels, 1);
    assert_int_equal(m.downsample_resolution, 300000);
    assert_string_equal(m.source, "compactor");
    assert_int_equal(m.nfiles, 2);
    assert_int_equal(m.files[0].size_bytes, 12);
    assert_int_equal(m.files[1].size_bytes, -1);
    assert_int_equal(m.series_max_size, 100);
    /* ulid type, maxTime<minTime, numSamples range, numSeries type, level
       range, failed type, sources type, files[2].rel_path */
    assert_int_equal(d.n, 8);
    for (size_t i = 0; i < d.n; i++)
        assert_string_equal(d.v[i].path, "m");
    ps_tsdb_meta_free(&m);
    ps_diags_free(&d);
    ps_diags_init(&d);
    assert_int_equal(ps_tsdb_meta_parse((const uint8_t *)"[1,2]", 5, "m", &m, &d),
                     PS_E_SYNTAX);
    assert_int_equal(ps_tsdb_meta_parse((const uint8_t *)"{\"a\":", 5, "m", &m, &d),
                     PS_E_SYNTAX);
    assert_int_equal(d.n, 2);
    ps_tsdb_meta_free(&m);
    ps_diags_free(&d);
}

static void
test_shipper(void **state)
{
    (void)state;
    size_t n;
    uint8_t *p = shared_file(RECV "thanos.shipper.json", &n);
    struct ps_diags d;
    ps_diags_init(&d);
    struct ps_tsdb_shipper s;
    assert_int_equal(ps_tsdb_shipper_parse(p, n, "s", &s, &d), PS_OK);
    assert_int_equal(s.version, 1);
    assert_int_equal(s.nuploaded, 4);
    assert_string_equal(s.uploaded[3], "01M8654YFEW4BZX9258RTSATTD");
    ps_tsdb_shipper_free(&s);
    ps_diags_free(&d);
    free(p);
}

static void
test_tombstones(void **state)
{
    (void)state;
    struct ps_diags d;
    ps_diags_init(&d);
    struct ps_tsdb_tombstones t;
    static const uint8_t empty[] = {0x01, 0x30, 0xBA, 0x30, 0x01, 0, 0, 0, 0};
    assert_int_equal(ps_tsdb_tombstones_parse(empty, sizeof(empty), "t", &t, &d), PS_OK);
    assert_int_equal(t.n, 0);
    assert_true(t.crc_ok);
    ps_tsdb_tombstones_free(&t);
    /* two intervals, CRC over the entries only */
    uint8_t buf[64] = {0x01, 0x30, 0xBA, 0x30, 0x01};
    size_t n = 5;
    n += (size_t)ps_put_uvarint(buf + n, 12);
    n += (size_t)ps_put_varint(buf + n, -1000);
    n += (size_t)ps_put_varint(buf + n, 5000);
    n += (size_t)ps_put_uvarint(buf + n, 300);
    n += (size_t)ps_put_varint(buf + n, 7);
    n += (size_t)ps_put_varint(buf + n, 9);
    ps_put_be32(buf + n, ps_crc32c(buf + 5, n - 5));
    n += 4;
    assert_int_equal(ps_tsdb_tombstones_parse(buf, n, "t", &t, &d), PS_OK);
    assert_int_equal(d.n, 0);
    assert_int_equal(t.n, 2);
    assert_int_equal(t.v[0].ref, 12);
    assert_int_equal(t.v[0].mint, -1000);
    assert_int_equal(t.v[1].ref, 300);
    assert_int_equal(t.v[1].maxt, 9);
    ps_tsdb_tombstones_free(&t);
    buf[6] ^= 1;
    ps_tsdb_tombstones_parse(buf, n, "t", &t, &d);
    assert_false(t.crc_ok);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.v[0].off, n - 4);
    ps_tsdb_tombstones_free(&t);
    ps_diags_free(&d);
}

static void
test_head_chunks_built(void **state)
{
    (void)state;
    uint8_t f[512];
    memset(f, 0, sizeof(f));
    ps_put_be32(f, PS_TSDB_HEAD_CHUNKS_MAGIC);
    f[4] = 1;
    size_t o = 8;
    for (int c = 0; c < 3; c++) {
        size_t st = o;
        ps_put_be64(f + o, (uint64_t)(c == 2 ? 7 : 5));
        ps_put_be64(f + o + 8, (uint64_t)(1000 * c));
        ps_put_be64(f + o + 16, (uint64_t)(1000 * c + 999));
        f[o + 24] = c == 1 ? 0x81 : 0x01; /* chunk 1 out-of-order */
        o += 25;
        o += (size_t)ps_put_uvarint(f + o, 4);
        ps_put_be16(f + o, (uint16_t)(10 + c)); /* numSamples */
        o += 4;
        ps_put_be32(f + o, ps_crc32c(f + st, o - st));
        o += 4;
    }
    struct ps_diags d;
    ps_diags_init(&d);
    struct ps_tsdb_head_stats st;
    assert_int_equal(ps_tsdb_head_chunks_scan(f, sizeof(f), "h", &st, &d), PS_OK);
    assert_int_equal(d.n, 0);
    assert_int_equal(st.chunks, 3);
    assert_int_equal(st.samples, 33);
    assert_int_equal(st.series, 2);
    assert_int_equal(st.ooo_chunks, 1);
    assert_int_equal(st.min_time, 0);
    assert_int_equal(st.max_time, 2999);
    assert_int_equal(st.zero_tail_bytes, sizeof(f) - o);
    f[20] ^= 0x10; /* first record's maxt */
    assert_int_equal(ps_tsdb_head_chunks_scan(f, sizeof(f), "h", &st, &d), PS_OK);
    assert_int_equal(st.bad_crc, 1);
    assert_int_equal(d.n, 1);
    /* non-zero bytes after the end-of-data marker are reported */
    f[sizeof(f) - 3] = 1;
    size_t before = d.n;
    ps_tsdb_head_chunks_scan(f, sizeof(f), "h", &st, &d);
    assert_int_equal(d.n, before + 2); /* the CRC again, and the tail */
    ps_diags_free(&d);
}

static void
test_head_chunks_corpus(void **state)
{
    (void)state;
    size_t n;
    uint8_t *p = shared_file(RECV "chunks_head/000009", &n);
    struct ps_diags d;
    ps_diags_init(&d);
    struct ps_tsdb_head_stats st;
    assert_int_equal(ps_tsdb_head_chunks_scan(p, n, "h", &st, &d), PS_OK);
    assert_int_equal(d.n, 0);
    assert_true(st.chunks > 0);
    assert_int_equal(st.bad_crc, 0);
    assert_true(st.zero_tail_bytes > 0); /* 128 KiB preallocated */
    /* head chunks follow the newest block (which ends 06:54:00) */
    assert_true(st.min_time >= 1795503240000LL - 120000);
    ps_diags_free(&d);
    free(p);
}

static void
test_index_corpus(void **state)
{
    (void)state;
    size_t n;
    uint8_t *p = shared_file(RECV B2 "/index", &n);
    struct ps_diags d;
    ps_diags_init(&d);
    struct ps_tsdb_index ix;
    assert_int_equal(ps_tsdb_index_open(p, n, "index", &ix, &d), PS_OK);
    assert_int_equal(d.n, 0);
    assert_int_equal(ix.version, 2);
    assert_int_equal(ix.nall, 2015); /* promtool list: NUM SERIES */
    assert_true(ix.has_label_indices); /* 2.42 still writes label indices */
    struct ps_tsdb_series s = {0};
    size_t chunks = 0;
    for (size_t i = 0; i < ix.nall; i++) {
        assert_int_equal(ps_tsdb_index_series(&ix, ix.all[i], &s, &d), PS_OK);
        assert_true(s.nlabels > 0);
        chunks += s.nchunks;
    }
    assert_int_equal(chunks, 4886); /* promtool list: NUM CHUNKS */
    ps_tsdb_series_free(&s);
    ps_tsdb_index_close(&ix);
    ps_diags_free(&d);
    free(p);
}

static void
test_index_v1(void **state)
{
    (void)state;
    size_t n;
    uint8_t *p = shared_file("corpus/upstream/index_format_v1/index", &n);
    struct ps_diags d;
    ps_diags_init(&d);
    struct ps_tsdb_index ix;
    assert_int_equal(ps_tsdb_index_open(p, n, "index", &ix, &d), PS_OK);
    assert_int_equal(d.n, 0);
    assert_int_equal(ix.version, 1);
    assert_int_equal(ix.nall, 102);
    struct ps_tsdb_series s = {0};
    assert_int_equal(ps_tsdb_index_series(&ix, ix.all[0], &s, &d), PS_OK);
    assert_int_equal(s.nlabels, 1);
    struct ps_tsdb_str nm = ps_tsdb_index_sym(&ix, s.lbl[0]);
    assert_int_equal(nm.n, 3);
    assert_memory_equal(nm.p, "bar", 3);
    assert_int_equal(s.nchunks, 1);
    ps_tsdb_series_free(&s);
    ps_tsdb_index_close(&ix);
    /* every prefix and a byte flip at every position: no crash, no leak */
    uint8_t *q = malloc(n);
    for (size_t cut = 0; cut < n; cut += 7) {
        memcpy(q, p, cut);
        struct ps_diags d2;
        ps_diags_init(&d2);
        if (ps_tsdb_index_open(q, cut, "i", &ix, &d2) == PS_OK)
            for (size_t i = 0; i < ix.nall; i++)
                ps_tsdb_index_series(&ix, ix.all[i], &s, &d2);
        ps_tsdb_index_close(&ix);
        ps_diags_free(&d2);
    }
    for (size_t pos = 0; pos < n; pos += 3) {
        memcpy(q, p, n);
        q[pos] ^= 0x5a;
        struct ps_diags d2;
        ps_diags_init(&d2);
        if (ps_tsdb_index_open(q, n, "i", &ix, &d2) == PS_OK)
            for (size_t i = 0; i < ix.nall; i++)
                ps_tsdb_index_series(&ix, ix.all[i], &s, &d2);
        ps_tsdb_index_close(&ix);
        ps_diags_free(&d2);
    }
    ps_tsdb_series_free(&s);
    free(q);
    ps_diags_free(&d);
    free(p);
}

static void
test_block_analyze_corpus(void **state)
{
    (void)state;
    char dir[512];
    ps_test_shared_path(dir, sizeof(dir), RECV B2);
    struct ps_tsdb_block b;
    assert_int_equal(ps_tsdb_block_open(dir, &b), PS_OK);
    assert_true(b.meta_ok && b.index_ok);
    assert_int_equal(b.nsegs, 1);
    assert_int_equal(b.size_bytes, 530954); /* promtool list: SIZE */
    struct ps_tsdb_opts o = {1, 1, 20, 0, NULL};
    struct ps_tsdb_analysis a;
    assert_int_equal(ps_tsdb_block_analyze(&b, &o, &a), PS_OK);
    assert_int_equal(b.diags.n, 0);
    assert_int_equal(a.series, 2015);
    assert_int_equal(a.chunks, 4886);
    assert_int_equal(a.samples, 114792);
    assert_int_equal(a.samples_decoded, 114792);
    assert_int_equal(a.crc_failures, 0);
    /* promtool tsdb analyze 2.42 on this block */
    assert_int_equal(a.label_names, 48);
    assert_int_equal(a.postings_unique, 669);
    assert_int_equal(a.postings_entries, 13052);
    assert_int_equal(a.churn_pairs.n, 20);
    ps_tsdb_analysis_free(&a);
    ps_tsdb_block_close(&b);
}

/* Discovery, sorting, cross-block checks and the timeline on the corpus:
 * the numbers are promtool tsdb list's for these blocks. */
static void
test_scan_timeline_corpus(void **state)
{
    (void)state;
    char dir[512];
    ps_test_shared_path(dir, sizeof(dir), RECV);
    struct ps_diags d;
    ps_diags_init(&d);
    struct ps_tsdb_scan sc;
    assert_int_equal(ps_tsdb_scan(dir, &sc, &d), PS_OK);
    assert_int_equal(sc.nroots, 1);
    struct ps_tsdb_root *r = &sc.roots[0];
    assert_string_equal(r->tenant, "default-tenant");
    assert_int_equal(r->nblocks, 6);
    assert_true(r->has_shipper);
    assert_int_equal(r->nhead, 1);
    struct ps_tsdb_block bl[6];
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(ps_tsdb_block_open(r->block_dirs[i], &bl[i]), PS_OK);
    ps_tsdb_blocks_sort(bl, 6);
    ps_tsdb_root_check(r, bl, 6);
    /* two blocks are not in thanos.shipper.json; no overlap, no hole */
    assert_int_equal(r->diags.n, 2);
    assert_string_equal(r->diags.v[0].phase, "tsdb/not-shipped");
    struct ps_tsdb_timeline_point tp[6];
    ps_tsdb_timeline(bl, 6, tp);
    /* sorted by minTime: 01M8654YFEW4 (06:42) before 01M8654YBQ44 (06:48) */
    assert_string_equal(tp[2].ulid, "01M8654YFEW4BZX9258RTSATTD");
    assert_string_equal(tp[3].ulid, "01M8654YBQ44XYVDAGZ3MGZVX8");
    assert_int_equal(tp[0].samples, 20169);
    assert_int_equal(tp[2].series, 2174);
    assert_int_equal(tp[2].chunks, 5315);
    assert_int_equal(tp[5].bytes, 234425);
    for (size_t i = 1; i < 6; i++)
        assert_true(tp[i].min_time >= tp[i - 1].max_time);
    for (size_t i = 0; i < 6; i++)
        ps_tsdb_block_close(&bl[i]);
    ps_tsdb_scan_free(&sc);
    ps_diags_free(&d);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xor_roundtrip),
        cmocka_unit_test(test_xor_tdelta),
        cmocka_unit_test(test_histogram_timestamps),
        cmocka_unit_test(test_meta_corpus),
        cmocka_unit_test(test_meta_bad),
        cmocka_unit_test(test_shipper),
        cmocka_unit_test(test_tombstones),
        cmocka_unit_test(test_head_chunks_built),
        cmocka_unit_test(test_head_chunks_corpus),
        cmocka_unit_test(test_index_corpus),
        cmocka_unit_test(test_index_v1),
        cmocka_unit_test(test_block_analyze_corpus),
        cmocka_unit_test(test_scan_timeline_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
