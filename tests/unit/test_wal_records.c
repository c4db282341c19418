/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_wal_records.c - the record decoders (types 1-13, varints, zigzag
 * deltas relative to the first sample), the rule that a record is decoded
 * whole or not at all (every proper prefix of a record is rejected or is a
 * shorter valid record), the head-replay statistics (duplicate label sets
 * under new refs, unknown refs, out-of-order and duplicate samples,
 * scrape interval, top names), and real Prometheus 2.42 segments whose
 * counts promtool gave (testdata/wal/ORACLE.md).
 */
#include "test_util.h"

#include <stdlib.h>
#include <unistd.h>
#include "test_wal_writer.h"

#include <math.h>

#include "promsight/ps_bundle.h"
#include "promsight/ps_wal.h"
#include "wal/wal_int.h"
#include "wal/wal_stats_int.h"

struct seen {
    size_t nseries, nsamples, nhist, nex, ntomb, nmeta, nmmap;
    struct ps_wal_sample s[64];
    struct ps_wal_histogram h[8];
    struct ps_wal_tombstone t[8];
    struct ps_wal_mmap_marker m[8];
    uint64_t series_ref[8];
    size_t series_nlabels[8];
    char label0[8][64];
    char help[64];
    uint8_t meta_type;
    size_t ex_nlabels;
};

static void
v_series(void *ctx, const struct ps_wal_series *s, size_t n)
{
    struct seen *x = ctx;
    for (size_t i = 0; i < n && x->nseries < 8; i++, x->nseries++) {
        x->series_ref[x->nseries] = s[i].ref;
        x->series_nlabels[x->nseries] = s[i].nlabels;
        if (s[i].nlabels > 0)
            snprintf(x->label0[x->nseries], 64, "%.*s=%.*s",
                     (int)s[i].labels[0].name_len, s[i].labels[0].name,
                     (int)s[i].labels[0].value_len, s[i].labels[0].value);
    }
}
static void
v_samples(void *ctx, const struct ps_wal_sample *s, size_t n)
{
    struct seen *x = ctx;
    for (size_t i = 0; i < n && x->nsamples < 64; i++)
        x->s[x->nsamples++] = s[i];
}
static void
v_hist(void *ctx, const struct ps_wal_histogram *h, size_t n)
{
    struct seen *x = ctx;
    for (size_t i = 0; i < n && x->nhist < 8; i++)
        x->h[x->nhist++] = h[i];
}
static void
v_ex(void *ctx, const struct ps_wal_exemplar *e, size_t n)
{
    struct seen *x = ctx;
    x->nex += n;
    x->ex_nlabels = e[0].nlabels;
}
static void
v_tomb(void *ctx, const struct ps_wal_tombstone *t, size_t n)
{
    struct seen *x = ctx;
    for (size_t i = 0; i < n && x->ntomb < 8; i++)
        x->t[x->ntomb++] = t[i];
}
static void
v_meta(void *ctx, const struct ps_wal_metadata *m, size_t n)
{
    struct seen *x = ctx;
    x->nmeta += n;
    x->meta_type = m[0].type;
    snprintf(x->help, sizeof(x->help), "%.*s", (int)m[0].help_len, m[0].help);
}
static void
v_mmap(void *ctx, const struct ps_wal_mmap_marker *m, size_t n)
{
    struct seen *x = ctx;
    for (size_t i = 0; i < n && x->nmmap < 8; i++)
        x->m[x->nmmap++] = m[i];
}

static enum ps_err
decode(const struct ps_buf *b, struct seen *x, size_t *nitems)
{
    static struct ps_wal_decoder d;
    memset(x, 0, sizeof(*x));
    struct ps_wal_visitor v = {v_series, v_samples, v_hist, v_ex,
                               v_tomb,   v_meta,    v_mmap, x};
    enum ps_err e = ps_wal_decode(&d, b->p, b->n, &v, nitems);
    ps_wal_decoder_free(&d);
    return e;
}

/*
 * Decode every proper prefix: each must fail without a callback, or (at an
 * entry boundary) succeed with fewer items than the whole record.
 */
static void
prefixes_never_misparse(const struct ps_buf *b, size_t whole)
{
    for (size_t n = 1; n < b->n; n++) {
        struct ps_buf p = {b->p, n, n};
        struct seen x;
        size_t k = 0;
        enum ps_err e = decode(&p, &x, &k);
        if (e != PS_OK) {
            assert_int_equal(x.nseries + x.nsamples + x.nhist + x.nex +
                                 x.ntomb + x.nmeta + x.nmmap, 0);
        } else {
            assert_true(k < whole);
        }
    }
}

static void
test_series_record(void **state)
{
    (void)state;
    struct ps_buf b = {0};
    tw_u8(&b, 1);
    static const char *const l1[] = {"__name__", "up", "job", "node", NULL};
    static const char *const l2[] = {"__name__", "x", NULL};
    tw_series(&b, 1, l1);
    tw_series(&b, 0xfffffffffULL, l2);
    struct seen x;
    size_t k;
    assert_int_equal(decode(&b, &x, &k), PS_OK);
    assert_int_equal(k, 2);
    assert_int_equal(x.series_ref[0], 1);
    assert_int_equal(x.series_nlabels[0], 2);
    assert_string_equal(x.label0[0], "__name__=up");
    assert_int_equal(x.series_ref[1], 0xfffffffffULL);
    prefixes_never_misparse(&b, 2);
    /* a label count far beyond the record fails, no allocation by count */
    struct ps_buf bad = {0};
    tw_u8(&bad, 1);
    tw_be64(&bad, 5);
    tw_uvar(&bad, (uint64_t)1 << 60);
    assert_int_equal(decode(&bad, &x, &k), PS_E_TRUNCATED);
    ps_buf_free(&bad);
    ps_buf_free(&b);
}

static void
test_samples_signed_deltas_from_first(void **state)
{
    (void)state;
    /* refs and times below AND above the first sample: deltas are signed
     * zigzag varints relative to the first sample (not to the previous) */
    struct tw_sample s[] = {
        {100, 1000000, 1.5}, {99, 999000, -2}, {300, 1005000, 0},
        {100, 1010000, NAN}, {1, -5, 1e300},
    };
    struct ps_buf b = {0};
    tw_samples(&b, s, 5);
    /* hand-check the first entry's bytes: type, be64 ref, be64 t, 0, 0 */
    assert_int_equal(b.p[0], 2);
    assert_int_equal(ps_get_be64(b.p + 1), 100);
    assert_int_equal(ps_get_be64(b.p + 9), 1000000);
    assert_int_equal(b.p[17], 0);
    assert_int_equal(b.p[18], 0);
    struct seen x;
    size_t k;
    assert_int_equal(decode(&b, &x, &k), PS_OK);
    assert_int_equal(k, 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(x.s[i].ref, s[i].ref);
        assert_int_equal(x.s[i].t, s[i].t);
    }
    assert_true(x.s[0].v == 1.5 && x.s[1].v == -2 && isnan(x.s[3].v));
    prefixes_never_misparse(&b, 5);
    /* type byte only: a valid empty record */
    struct ps_buf e = {0};
    tw_u8(&e, 2);
    assert_int_equal(decode(&e, &x, &k), PS_OK);
    assert_int_equal(k, 0);
    /* an 11-byte varint is corrupt (Go's overflow rule) */
    e.n = 0;
    tw_u8(&e, 2);
    tw_be64(&e, 1);
    tw_be64(&e, 1);
    for (int i = 0; i < 10; i++)
        tw_u8(&e, 0xff);
    tw_u8(&e, 0x01);
    assert_int_equal(decode(&e, &x, &k), PS_E_CORRUPT);
    ps_buf_free(&e);
    ps_buf_free(&b);
}

/* ---- the statistics' short road for samples records ---- */

struct all_samples {
    struct ps_wal_sample *s;
    size_t n, cap;
};

static void
v_all_samples(void *ctx, const struct ps_wal_sample *s, size_t n)
{
    struct all_samples *a = ctx;
    assert_int_equal(ps_grow((void **)&a->s, &a->cap, a->n + n, sizeof(*s)), PS_OK);
    memcpy(a->s + a->n, s, n * sizeof(*s));
    a->n += n;
}

static uint64_t
be64_at(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static int
in_i32(int64_t d)
{
    return d >= INT32_MIN && d <= INT32_MAX;
}

/* wal_decode_samples_rt against ps_wal_decode on one input: the same
 * verdict, and on success the same refs and timestamps, stale markers
 * and time range; except that a record whose refs or timestamps lie more
 * than 32 bits from the header's (or whose header time is within 2^31 of
 * the int64 ends) must be refused as PS_E_UNSUPPORTED, so the caller
 * takes the general path. Returns 1 when it was such a record. */
static int
rt_agrees(const uint8_t *p, size_t n)
{
    static struct ps_wal_decoder d;
    struct all_samples a = {0};
    struct ps_wal_visitor v = {0};
    v.samples = v_all_samples;
    v.ctx = &a;
    enum ps_err e1 = ps_wal_decode(&d, p, n, &v, NULL);
    size_t most = wal_samples_rt_max(n);
    struct wal_rt *rt = malloc((most > 0 ? most : 1) * sizeof(*rt));
    assert_non_null(rt);
    struct wal_rt_batch b;
    enum ps_err e2 = wal_decode_samples_rt(p, n, rt, &b);
    int wide = 0;
    if (e1 == PS_OK && a.n > 0) {
        /* the header: type byte, first ref and first time, big-endian */
        uint64_t base_ref = be64_at(p + 1);
        int64_t base_t = (int64_t)be64_at(p + 9);
        wide = base_t > INT64_MAX - INT32_MAX || base_t < INT64_MIN - INT32_MIN;
        for (size_t i = 0; i < a.n; i++)
            wide |= !in_i32((int64_t)(a.s[i].ref - base_ref)) ||
                    !in_i32((int64_t)((uint64_t)a.s[i].t - (uint64_t)base_t));
    }
    if (wide) {
        assert_int_equal(e2, PS_E_UNSUPPORTED);
    } else {
        assert_int_equal(e1, e2);
    }
    if (e1 == PS_OK && !wide) {
        assert_int_equal(b.n, a.n);
        assert_true(b.n <= most);
        uint64_t stale = 0;
        int64_t mn = INT64_MAX, mx = INT64_MIN;
        for (size_t i = 0; i < a.n; i++) {
            assert_int_equal(b.base_ref + (uint64_t)(int64_t)b.v[i].dref,
                             a.s[i].ref);
            assert_int_equal(b.base_t + b.v[i].dt, a.s[i].t);
            uint64_t bits;
            memcpy(&bits, &a.s[i].v, 8);
            stale += bits == WAL_STALE_NAN_BITS;
            mn = a.s[i].t < mn ? a.s[i].t : mn;
            mx = a.s[i].t > mx ? a.s[i].t : mx;
        }
        assert_int_equal(b.stale, stale);
        assert_int_equal(b.min_t, mn);
        assert_int_equal(b.max_t, mx);
    }
    free(rt);
    free(a.s);
    ps_wal_decoder_free(&d);
    return wide;
}

/* The 32-bit edges of the short road: deltas of exactly INT32_MIN and
 * INT32_MAX fit, one more does not, from the fast stretch (a long
 * record) and from the record's last bytes alike; header times near the
 * int64 ends, where base + delta could wrap, are refused whatever the
 * deltas. */
static void
test_samples_rt_32bit_edges(void **state)
{
    (void)state;
    const int64_t ok[] = {INT32_MAX, INT32_MIN, 0};
    const int64_t bad[] = {(int64_t)INT32_MAX + 1, (int64_t)INT32_MIN - 1,
                           INT64_MAX, INT64_MIN};
    struct ps_buf b = {0};
    for (int field = 0; field < 2; field++)
        for (size_t pos = 1; pos < 12; pos += 10) /* early, and last */
            for (int want_wide = 0; want_wide < 2; want_wide++) {
                size_t nv = want_wide ? 4 : 3;
                for (size_t j = 0; j < nv; j++) {
                    struct tw_sample s[12];
                    for (size_t i = 0; i < 12; i++) {
                        s[i].ref = 1u << 20;
                        s[i].t = (int64_t)1 << 40;
                        s[i].v = (double)i;
                    }
                    int64_t dv = want_wide ? bad[j] : ok[j];
                    if (field == 0)
                        s[pos].ref = s[0].ref + (uint64_t)dv;
                    else
                        s[pos].t = (int64_t)((uint64_t)s[0].t + (uint64_t)dv);
                    b.n = 0;
                    tw_samples(&b, s, 12);
                    assert_int_equal(rt_agrees(b.p, b.n), want_wide);
                }
            }
    const int64_t base_ts[] = {INT64_MAX, INT64_MAX - INT32_MAX,
                               INT64_MAX - INT32_MAX + 1, INT64_MIN,
                               INT64_MIN - INT32_MIN, INT64_MIN - INT32_MIN - 1};
    const int want[] = {1, 0, 1, 1, 0, 1};
    for (size_t j = 0; j < 6; j++) {
        struct tw_sample s[2] = {{5, base_ts[j], 1}, {6, base_ts[j], 2}};
        b.n = 0;
        tw_samples(&b, s, 2);
        assert_int_equal(rt_agrees(b.p, b.n), want[j]);
    }
    ps_buf_free(&b);
}

static void
test_samples_rt_agrees_with_decoder(void **state)
{
    (void)state;
    double stale;
    uint64_t sb = WAL_STALE_NAN_BITS;
    memcpy(&stale, &sb, 8);
    /* deltas of one to ten varint bytes, both signs, stale markers, more
     * than one 28-byte stretch so both of the decoder's loops run */
    struct tw_sample s[] = {
        {1000, 5000, 1},           {1001, 5000, stale},
        {1000 + 60, 5001, 2},      {1000 + 8000, 4999, 3},
        {1000 - 999, 5000 + 70000, stale}, {1000 + (1u << 20), 5000, 4},
        {(uint64_t)1 << 62, INT64_MIN / 2, 5}, {7, INT64_MAX / 2, NAN},
        {1000, 5000, 0},           {1000 + 200000, 5000 - 3000000, stale},
    };
    struct ps_buf b = {0};
    for (size_t k = 0; k <= 10; k++) {
        b.n = 0;
        tw_samples(&b, s, k);
        /* every prefix, and every byte set to values that change a varint's
         * length or make it overlong */
        for (size_t n = 0; n <= b.n; n++)
            rt_agrees(b.p, n);
        static const uint8_t vals[] = {0x00, 0x01, 0x7f, 0x80, 0xff};
        for (size_t i = 1; i < b.n; i++) {
            uint8_t keep = b.p[i];
            for (size_t j = 0; j < sizeof(vals); j++) {
                b.p[i] = vals[j];
                rt_agrees(b.p, b.n);
                rt_agrees(b.p, b.n - 1);
            }
            b.p[i] = keep;
        }
    }
    /* long runs of 0xff: overlong varints inside the fast stretch */
    b.n = 0;
    tw_samples(&b, s, 2);
    for (int i = 0; i < 40; i++)
        tw_u8(&b, 0xff);
    rt_agrees(b.p, b.n);
    /* not a samples record */
    uint8_t one = 1;
    struct wal_rt rt[1];
    struct wal_rt_batch rb;
    assert_int_equal(wal_decode_samples_rt(&one, 1, rt, &rb), PS_E_UNSUPPORTED);
    assert_int_equal(wal_decode_samples_rt(&one, 0, rt, &rb), PS_E_UNSUPPORTED);
    ps_buf_free(&b);
}

static void
test_tombstones_mmap_metadata_exemplars(void **state)
{
    (void)state;
    struct seen x;
    size_t k;
    struct ps_buf b = {0};
    tw_u8(&b, 3);
    tw_be64(&b, 7);
    tw_var(&b, -100);
    tw_var(&b, 5000);
    tw_be64(&b, 8);
    tw_var(&b, 0);
    tw_var(&b, INT64_MAX);
    assert_int_equal(decode(&b, &x, &k), PS_OK);
    assert_int_equal(k, 2);
    assert_int_equal(x.t[0].ref, 7);
    assert_int_equal(x.t[0].mint, -100);
    assert_int_equal(x.t[1].maxt, INT64_MAX);
    prefixes_never_misparse(&b, 2);

    b.n = 0;
    tw_u8(&b, 5);
    tw_be64(&b, 3);
    tw_be64(&b, (uint64_t)2 << 32 | 1234);
    assert_int_equal(decode(&b, &x, &k), PS_OK);
    assert_int_equal(x.m[0].chunk_ref, (uint64_t)2 << 32 | 1234);
    prefixes_never_misparse(&b, 1);

    b.n = 0;
    tw_u8(&b, 6);
    tw_uvar(&b, 42);
    tw_u8(&b, 1); /* counter */
    tw_uvar(&b, 3);
    tw_str(&b, "UNIT");
    tw_str(&b, "seconds");
    tw_str(&b, "HELP");
    tw_str(&b, "How long.");
    tw_str(&b, "FUTURE");
    tw_str(&b, "ignored");
    assert_int_equal(decode(&b, &x, &k), PS_OK);
    assert_int_equal(x.nmeta, 1);
    assert_int_equal(x.meta_type, 1);
    assert_string_equal(x.help, "How long.");
    prefixes_never_misparse(&b, 1);

    b.n = 0;
    tw_u8(&b, 4);
    tw_be64(&b, 10);
    tw_be64(&b, 1000);
    for (int i = 0; i < 2; i++) {
        tw_var(&b, i);
        tw_var(&b, -i);
        tw_f64(&b, 1.0);
        tw_uvar(&b, 1);
        tw_str(&b, "trace_id");
        tw_str(&b, "abc");
    }
    assert_int_equal(decode(&b, &x, &k), PS_OK);
    assert_int_equal(x.nex, 2);
    assert_int_equal(x.ex_nlabels, 1);
    prefixes_never_misparse(&b, 2);
    ps_buf_free(&b);
}

/* An int (or float) histogram body per docs/format-wal.md. */
static void
put_hist(struct ps_buf *b, int is_float, int schema)
{
    tw_u8(b, 0);          /* reset hint */
    tw_var(b, schema);
    tw_f64(b, 1e-128);    /* zero threshold */
    if (is_float) {
        tw_f64(b, 2);     /* zero count */
        tw_f64(b, 10);    /* count */
    } else {
        tw_uvar(b, 2);
        tw_uvar(b, 10);
    }
    tw_f64(b, 55.5);      /* sum */
    tw_uvar(b, 1);        /* positive spans */
    tw_var(b, 0);
    tw_uvar(b, 3);
    tw_uvar(b, 0);        /* negative spans */
    tw_uvar(b, 3);        /* positive buckets */
    for (int i = 0; i < 3; i++) {
        if (is_float)
            tw_f64(b, i + 1);
        else
            tw_var(b, i == 0 ? 1 : 1);
    }
    tw_uvar(b, 0);        /* negative buckets */
    if (schema == -53) {
        tw_uvar(b, 2);
        tw_f64(b, 0.5);
        tw_f64(b, 1.0);
    }
}

static void
test_histogram_records_all_kinds(void **state)
{
    (void)state;
    /* type, float?, schema, v2? */
    static const int kinds[][4] = {
        {7, 0, 3, 0}, {8, 1, 0, 0}, {9, 0, -53, 0}, {10, 1, -53, 0},
        {12, 0, 2, 1}, {13, 1, -53, 1},
    };
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        struct ps_buf b = {0};
        tw_u8(&b, (uint8_t)kinds[i][0]);
        if (!kinds[i][3]) {
            tw_be64(&b, 50);
            tw_be64(&b, 7000);
            tw_var(&b, 0);
            tw_var(&b, 0);
            put_hist(&b, kinds[i][1], kinds[i][2]);
            tw_var(&b, -3);
            tw_var(&b, 15000);
            put_hist(&b, kinds[i][1], kinds[i][2]);
        } else {
            tw_var(&b, 50);   /* ref */
            tw_var(&b, 7000); /* t */
            tw_var(&b, 6000); /* st */
            put_hist(&b, kinds[i][1], kinds[i][2]);
            tw_var(&b, -3);   /* ref - prev ref */
            tw_var(&b, 15000);/* t - first t */
            tw_u8(&b, 2);     /* explicit st */
            tw_var(&b, 10);
            put_hist(&b, kinds[i][1], kinds[i][2]);
        }
        struct seen x;
        size_t k;
        assert_int_equal(decode(&b, &x, &k), PS_OK);
        assert_int_equal(k, 2);
        assert_int_equal(x.h[0].ref, 50);
        assert_int_equal(x.h[0].t, 7000);
        assert_int_equal(x.h[1].ref, 47);
        assert_int_equal(x.h[1].t, 22000);
        assert_int_equal(x.h[0].schema, kinds[i][2]);
        assert_int_equal(x.h[0].is_float, kinds[i][1]);
        assert_true(x.h[0].count == 10 && x.h[0].sum == 55.5);
        assert_int_equal(x.h[0].nbuckets, 3);
        assert_int_equal(x.h[0].ncustom, kinds[i][2] == -53 ? 2 : 0);
        if (kinds[i][3]) {
            assert_int_equal(x.h[0].st, 6000);
            assert_int_equal(x.h[1].st, 6010);
        }
        prefixes_never_misparse(&b, 2);
        ps_buf_free(&b);
    }
}

static void
test_samples_v2(void **state)
{
    (void)state;
    struct ps_buf b = {0};
    tw_u8(&b, 11);
    tw_var(&b, 10);    /* ref */
    tw_var(&b, 1000);  /* t */
    tw_var(&b, 900);   /* st */
    tw_f64(&b, 1);
    tw_var(&b, 5);     /* ref 15 (vs previous) */
    tw_var(&b, 10);    /* t 1010 (vs first) */
    tw_u8(&b, 1);      /* same st as previous: 900 */
    tw_f64(&b, 2);
    tw_var(&b, -1);    /* ref 14 */
    tw_var(&b, -10);   /* t 990 */
    tw_u8(&b, 0);      /* no st */
    tw_f64(&b, 3);
    struct seen x;
    size_t k;
    assert_int_equal(decode(&b, &x, &k), PS_OK);
    assert_int_equal(k, 3);
    assert_int_equal(x.s[1].ref, 15);
    assert_int_equal(x.s[2].ref, 14);
    assert_int_equal(x.s[1].t, 1010);
    assert_int_equal(x.s[2].t, 990);
    assert_int_equal(x.s[1].st, 900);
    assert_int_equal(x.s[2].st, 0);
    prefixes_never_misparse(&b, 3);
    b.p[b.n - 9] = 7; /* bad st marker */
    assert_int_equal(decode(&b, &x, &k), PS_E_CORRUPT);
    ps_buf_free(&b);
}

static void
test_unknown_type_counted_not_parsed(void **state)
{
    (void)state;
    struct ps_buf b = {0};
    tw_u8(&b, 14);
    tw_be64(&b, 1);
    struct seen x;
    size_t k;
    assert_int_equal(decode(&b, &x, &k), PS_E_UNSUPPORTED);
    assert_int_equal(ps_wal_rec_slot(14), PS_WAL_REC_UNKNOWN);
    assert_int_equal(ps_wal_rec_slot(0), PS_WAL_REC_UNKNOWN);
    assert_string_equal(ps_wal_rec_name(12), "histograms_v2");
    ps_buf_free(&b);
}

/* ---- statistics with head-replay semantics ---- */

static void
log_buf(struct tw *w, struct ps_buf *b, enum tw_compr c)
{
    tw_log(w, b->p, b->n, c);
    b->n = 0;
}

static void
test_stats_head_semantics(void **state)
{
    (void)state;
    struct tw w = {0};
    struct ps_buf b = {0};
    static const char *const la[] = {"__name__", "a", "pod", "p1", NULL};
    static const char *const lb[] = {"__name__", "b", NULL};
    /* samples for ref 9 before any series record: unknown */
    struct tw_sample s0[] = {{9, 1000, 1}};
    tw_samples(&b, s0, 1);
    log_buf(&w, &b, TW_NONE);
    tw_u8(&b, 1);
    tw_series(&b, 1, la);
    tw_series(&b, 2, lb);
    log_buf(&w, &b, TW_SNAPPY);
    /* a: 0, 5000, 10000 (+ duplicate 10000, out-of-order 4000) */
    struct tw_sample s1[] = {{1, 0, 1}, {2, 0, 1}, {1, 5000, 1},
                             {1, 10000, 1}, {1, 10000, 2}, {1, 4000, 1}};
    tw_samples(&b, s1, 6);
    log_buf(&w, &b, TW_ZSTD);
    /* the agent re-creates "a" under ref 3: same label set */
    tw_u8(&b, 1);
    tw_series(&b, 3, la);
    log_buf(&w, &b, TW_NONE);
    struct tw_sample s2[] = {{3, 15000, 1}, {3, 9000, 1}, {2, 60000, 1}};
    tw_samples(&b, s2, 3);
    log_buf(&w, &b, TW_SNAPPY);

    struct ps_wal_stats st;
    assert_int_equal(ps_wal_stats_init(&st, "mem/wal"), PS_OK);
    assert_int_equal(ps_wal_stats_begin_segment(&st, "mem/wal/00000000",
                                                PS_WAL_SEG_WAL, 0), PS_OK);
    assert_int_equal(ps_wal_stats_feed(&st, w.seg.p, w.seg.n), PS_OK);
    assert_int_equal(ps_wal_stats_end_segment(&st), PS_OK);
    const struct ps_wal_seg_stats *t = &st.totals;
    assert_int_equal(t->records[PS_WAL_REC_SERIES], 2);
    assert_int_equal(t->records[PS_WAL_REC_SAMPLES], 3);
    assert_int_equal(t->series, 3);
    assert_int_equal(t->samples, 10);
    assert_int_equal(t->unknown_ref, 1);
    assert_int_equal(t->duplicate, 1);
    assert_int_equal(t->out_of_order, 2); /* 4000 and 9000 */
    assert_int_equal(t->min_t, 0);
    assert_int_equal(t->max_t, 60000);
    assert_int_equal(st.ncorr, 0);
    struct ps_wal_summary sum;
    ps_wal_stats_summary(&st, &sum);
    assert_int_equal(sum.label_sets, 2);
    assert_int_equal(sum.head_series, 2);
    assert_int_equal(sum.head_samples, 6); /* a: 0,5000,10000,15000; b: 0,60000 */
    assert_int_equal(sum.scrape_interval_median_ms, 5000 /* a's deltas all 5 s */ );
    struct ps_wal_top top[4];
    assert_int_equal(ps_wal_stats_top(&st, 1, top, 4), 2);
    assert_string_equal(top[0].name, "a");
    assert_int_equal(top[0].samples, 4);
    assert_int_equal(top[1].samples, 2);
    json_t *j = ps_wal_stats_json(&st);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(j, "totals"), "head_samples")), 6);
    assert_true(json_is_null(json_object_get(j, "repair_impact")));
    json_decref(j);
    ps_wal_stats_free(&st);
    ps_buf_free(&b);
    tw_free(&w);
}

/* The series record every test WAL below starts with: ref 1 = {a}. */
static void
log_series_a(struct tw *w, struct ps_buf *b)
{
    static const char *const la[] = {"__name__", "a", NULL};
    b->n = 0;
    tw_u8(b, 1);
    tw_series(b, 1, la);
    log_buf(w, b, TW_NONE);
}

static void
test_stats_repair_impact_and_decode_error(void **state)
{
    (void)state;
    struct tw w = {0};
    struct ps_buf b = {0};
    log_series_a(&w, &b);
    /* a samples record cut short by 3 bytes: truncated body */
    struct tw_sample s1[] = {{1, 1000, 1}, {1, 2000, 1}};
    tw_samples(&b, s1, 2);
    b.n -= 3;
    size_t bad = tw_log(&w, b.p, b.n, TW_NONE);
    size_t bad_len = b.n;
    b.n = 0;
    struct tw_sample s2[] = {{1, 3000, 1}, {1, 4000, 1}, {1, 5000, 1}};
    tw_samples(&b, s2, 3);
    log_buf(&w, &b, TW_NONE);
    tw_u8(&b, 99); /* unknown type: counted, skipped, no repair */
    log_buf(&w, &b, TW_NONE);

    struct ps_wal_stats st;
    ps_wal_stats_init(&st, "w");
    ps_wal_stats_begin_segment(&st, "w/00000004", PS_WAL_SEG_WAL, 4);
    ps_wal_stats_feed(&st, w.seg.p, w.seg.n);
    ps_wal_stats_end_segment(&st);
    ps_wal_stats_begin_segment(&st, "w/00000005", PS_WAL_SEG_WAL, 5);
    ps_wal_stats_feed(&st, w.seg.p, w.seg.n);
    ps_wal_stats_end_segment(&st);
    assert_int_equal(st.ncorr, 4);
    assert_int_equal(st.corr[0].kind, PS_WAL_C_TRUNCATED_BODY);
    assert_int_equal(st.corr[0].fragment_offset, bad);
    assert_int_equal(st.corr[0].prom_offset, bad + 7 + bad_len);
    assert_int_equal(st.corr[1].kind, PS_WAL_C_UNKNOWN_RECORD);
    assert_false(st.corr[1].triggers_repair);
    assert_int_equal(st.totals.records[PS_WAL_REC_UNKNOWN], 2);
    assert_int_equal(st.totals.records[PS_WAL_REC_SAMPLES], 4);
    assert_true(st.repair);
    assert_int_equal(st.repair_seg_index, 4);
    /* after the first bad record: samples(3) + unknown in segment 4, then
     * all 4 records of segment 5 */
    assert_int_equal(st.repair_records, 2 + 4);
    assert_int_equal(st.repair_samples, 3 + 3);
    assert_int_equal(st.repair_min_t, 3000);
    assert_int_equal(st.repair_max_t, 5000);
    json_t *j = ps_wal_stats_json(&st);
    json_t *del = json_object_get(json_object_get(j, "repair_impact"),
                                  "segments_deleted");
    assert_int_equal(json_array_size(del), 1);
    assert_string_equal(json_string_value(json_array_get(del, 0)), "w/00000005");
    json_decref(j);
    ps_wal_stats_free(&st);
    ps_buf_free(&b);
    tw_free(&w);
}

/*
 * One thread, or the segment read in chunks by 2 to 4 workers (chunks of
 * one to three pages, so that most pages hold a chunk boundary, or the
 * default size), or the general decoder (a user visitor that wants the
 * samples turns the short road off), on one thread and in chunks: the
 * same statistics, to the byte of the JSON, on a WAL with damage of every
 * kind the stats see (a bad checksum, a snappy block that does not
 * decompress, a truncated samples body, an unknown type), records of
 * every compression, runs of samples of one series with duplicates and
 * out-of-order ones, plus a WBL segment.
 */
#define NMODES 10
static void
v_none(void *ctx, const struct ps_wal_sample *s, size_t n)
{
    (void)ctx;
    (void)s;
    (void)n;
}

/* A temporary file holding seg[0..n), open for reading. */
static int
tmp_segment(const uint8_t *seg, size_t n)
{
    char path[] = "/tmp/promsight-test-walXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    assert_int_equal(write(fd, seg, n), (ssize_t)n);
    return fd;
}

/* feed: bytes per ps_wal_stats_feed call; 0: the segment is read from a
 * file with ps_wal_stats_read_fd (by the workers themselves). */
/* Set when a fed WAL segment (not a WBL one) switched from chunks to the
 * calling thread's streaming reader (chunks_go_direct). */
static int went_direct;

static char *
stats_json_feed(const uint8_t *seg, size_t n, int mode, size_t feed)
{
    struct ps_wal_stats st;
    assert_int_equal(ps_wal_stats_init(&st, "t/wal"), PS_OK);
    /* 0 one thread; 1..7 chunks: (workers, pages a chunk) below; 8 one
     * thread with a user visitor; 9 the same in chunks of 2 pages */
    static const unsigned workers[] = {0, 2, 2, 2, 3, 4, 2, 2, 0, 2};
    static const size_t pages[] = {0, 1, 2, 3, 1, 2, 0, 1, 0, 2};
    st.no_threads = workers[mode] == 0;
    st.threads = workers[mode];
    if (pages[mode] > 0)
        wal_stats_chunk_bytes(&st, pages[mode] * PS_WAL_PAGE_SIZE);
    struct ps_wal_visitor uv = {0};
    uv.samples = v_none;
    if (mode >= 8)
        ps_wal_stats_set_visitor(&st, &uv);
    for (int k = 0; k < 2; k++) {
        enum ps_wal_seg_kind kind = k == 0 ? PS_WAL_SEG_WAL : PS_WAL_SEG_WBL;
        assert_int_equal(ps_wal_stats_begin_segment(
                             &st, k == 0 ? "t/wal/00000000" : "t/wbl/00000000",
                             kind, 0), PS_OK);
        if (feed == 0) {
            int fd = tmp_segment(seg, n);
            assert_int_equal(ps_wal_stats_read_fd(&st, fd, n), PS_OK);
            close(fd);
        }
        for (size_t off = 0; feed > 0 && off < n; off += feed)
            ps_wal_stats_feed(&st, seg + off, n - off < feed ? n - off : feed);
        if (k == 0 && st.st->ck_direct == 1)
            went_direct = 1;
        assert_int_equal(ps_wal_stats_end_segment(&st), PS_OK);
    }
    json_t *j = ps_wal_stats_json(&st);
    char *out = json_dumps(j, JSON_SORT_KEYS);
    json_decref(j);
    ps_wal_stats_free(&st);
    assert_non_null(out);
    return out;
}

static char *
stats_json(const uint8_t *seg, size_t n, int mode)
{
    /* odd pieces, so records and pages end anywhere in a feed */
    return stats_json_feed(seg, n, mode, 5000);
}

static void
test_stats_same_on_either_thread(void **state)
{
    (void)state;
    struct tw w = {0};
    struct ps_buf b = {0};
    static const char *const la[] = {"__name__", "a", NULL};
    static const char *const lb[] = {"__name__", "b", "x", "1", NULL};
    tw_u8(&b, 1);
    tw_series(&b, 1, la);
    tw_series(&b, 2, lb);
    log_buf(&w, &b, TW_NONE);
    struct tw_sample s[600];
    size_t bad_at = 0, snappy_at = 0;
    for (int r = 0; r < 60; r++) {
        size_t n = 1 + (size_t)(r * 37) % 600;
        for (size_t i = 0; i < n; i++) {
            /* runs of 1..4 samples per ref; ref 3 has no series */
            s[i].ref = 1 + (i / (1 + (size_t)r % 4) + (size_t)r) % 3;
            s[i].t = 1000 * r + (int64_t)(i % 7) * 100 - 300;
            s[i].v = (double)i;
        }
        tw_samples(&b, s, n);
        if (r == 20)
            b.n -= 5;                  /* truncated body */
        if (r == 40)
            tw_u8(&b, 0);              /* one byte too many */
        size_t at = tw_log(&w, b.p, b.n, (enum tw_compr)(r % 3));
        if (r == 30)
            bad_at = at;
        if (r > 20 && r < 30 && snappy_at == 0 && w.seg.p[at] == 0x09)
            snappy_at = at; /* a full fragment, snappy */
        b.n = 0;
        if (r == 45) {
            tw_u8(&b, 77); /* unknown type */
            log_buf(&w, &b, TW_NONE);
        }
    }
    /* a checksum mismatch: flip a payload byte of record 30 */
    w.seg.p[bad_at + 7 + 20] ^= 0x40;
    /* a snappy record of one fragment: a wrong stated length, with a
     * checksum that matches, so only decompression fails */
    assert_true(snappy_at > 0);
    size_t flen = ps_get_be16(w.seg.p + snappy_at + 1);
    w.seg.p[snappy_at + 7] ^= 0x01;
    ps_put_be32(w.seg.p + snappy_at + 3, ps_crc32c(w.seg.p + snappy_at + 7, flen));
    char *want = stats_json(w.seg.p, w.seg.n, 0);
    assert_non_null(strstr(want, "checksum_mismatch"));
    assert_non_null(strstr(want, "truncated_record_body"));
    assert_non_null(strstr(want, "decompression_failed"));
    for (int mode = 1; mode < NMODES; mode++) {
        char *got = stats_json(w.seg.p, w.seg.n, mode);
        assert_string_equal(got, want);
        free(got);
        got = stats_json_feed(w.seg.p, w.seg.n, mode, 0);
        assert_string_equal(got, want);
        free(got);
    }
    free(want);
    /* and a real receiver segment (snappy) */
    size_t n = 0;
    uint8_t *p = ps_test_read_file("testdata/wal/receive-cp7-seg8/wal/00000008", &n);
    assert_non_null(p);
    want = stats_json(p, n, 0);
    for (int mode = 1; mode < NMODES; mode++) {
        char *got = stats_json(p, n, mode);
        assert_string_equal(got, want);
        free(got);
        got = stats_json_feed(p, n, mode, 0);
        assert_string_equal(got, want);
        free(got);
    }
    free(want);
    free(p);
    ps_buf_free(&b);
    tw_free(&w);
}

/*
 * The chunked read against one thread on damaged WALs, where chunk edges
 * matter: records spanning pages (so chunks start inside pages), and 400
 * mutations - a byte of a fragment header set to a fragment type with and
 * without compression flags or to garbage, a payload byte flipped (a CRC
 * mismatch just before a chunk's first fragment sends the chunk through
 * chunk_apply's re-read), a stretch zeroed, the segment cut short, a
 * pre-2.4 magic (a tenth of them under valgrind), on three layouts - each
 * read on one thread and in chunks of one and two pages by 2 and 3
 * workers: the JSON must be the same. The mutations include records left
 * open at a chunk boundary (a first fragment whose last one is gone).
 */
static void
damage_layout(int layout, int rounds)
{
    struct tw w = {0};
    struct ps_buf b = {0};
    log_series_a(&w, &b);
    struct tw_sample sm[3000];
    size_t nrec = 0;
    uint64_t rng = 0x9E3779B97F4A7C15ULL;
    /* three layouts: records of up to ~40 KB, ~20 KB, ~2 KB, so that chunk
     * edges fall in every kind of place (and the last page is short) */
    static const size_t most[] = {3000, 1500, 150}, count[] = {120, 90, 400};
    for (size_t r = 0; r < count[layout]; r++) {
        size_t n = 1 + (r * 97) % most[layout];
        for (size_t i = 0; i < n; i++) {
            sm[i].ref = 1 + (i % 3 == 2);
            sm[i].t = 1000 * (int64_t)r + (int64_t)i;
            sm[i].v = (double)(i * r);
        }
        b.n = 0;
        tw_samples(&b, sm, n);
        tw_log(&w, b.p, b.n, (enum tw_compr)(r % 3));
        nrec++;
    }
    /* every fragment header of the segment, not only records' first ones */
    size_t nfh = 0, *fh = malloc(sizeof(size_t) * (w.seg.n / 7 + 1));
    assert_non_null(fh);
    for (size_t pg = 0; pg < w.seg.n; pg += PS_WAL_PAGE_SIZE) {
        size_t x = 0;
        while (pg + x + 7 <= w.seg.n && x + 7 <= PS_WAL_PAGE_SIZE &&
               (w.seg.p[pg + x] & 7) != 0) {
            fh[nfh++] = pg + x;
            x += 7 + ps_get_be16(w.seg.p + pg + x + 1);
        }
    }
    assert_true(w.seg.n > 3 * PS_WAL_PAGE_SIZE);
    assert_true(nfh > nrec); /* records span pages */
    uint8_t *m = malloc(w.seg.n);
    assert_non_null(m);
    static const uint8_t types[] = {0x01, 0x02, 0x03, 0x04, 0x09, 0x0a, 0x0b,
                                    0x0c, 0x12, 0x00, 0x05, 0x27};
    rng += (uint64_t)layout;
    for (int k = 0; k < rounds; k++) {
        memcpy(m, w.seg.p, w.seg.n);
        size_t n = w.seg.n;
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        size_t f = fh[rng % nfh];
        switch (k % 5) {
        case 0: m[f] = types[(rng >> 20) % sizeof(types)]; break;
        case 1: m[f + 7 + (rng >> 20) % 8] ^= 0x10; break;   /* CRC */
        case 2: m[(rng >> 20) % n] ^= (uint8_t)(1 + (rng >> 40) % 255); break;
        case 3: {
            size_t at = (rng >> 20) % n, len = 1 + (rng >> 40) % 9000;
            memset(m + at, 0, at + len > n ? n - at : len);
            break;
        }
        default: n = (rng >> 20) % n; break;                 /* cut short */
        }
        if (k == rounds - 1)
            ps_put_be32(m, 0x43AF00EFu); /* pre-2.4: ignored after page 1 */
        if (k == rounds - 2 && n == w.seg.n && n % PS_WAL_PAGE_SIZE != 0) {
            /* the short last page starts a record while one is open */
            m[n - n % PS_WAL_PAGE_SIZE] = 0x02;
        }
        char *want = stats_json_feed(m, n, 0, 65536);
        static const int modes[] = {1, 2, 4};
        for (size_t i = 0; i < 6; i++) {
            /* fed in pieces, and (every other mutation) read from a file
             * by the workers */
            size_t feed = i < 3 ? 65536 : 0;
            if (feed == 0 && k % 2 == 1)
                continue;
            char *got = stats_json_feed(m, n, modes[i % 3], feed);
            if (strcmp(got, want) != 0)
                fail_msg("layout %d, mutation %d (kind %d at %zu), mode %d, feed %zu:\n%s\n%s", layout,
                         k, k % 5, f, modes[i % 3], feed, want, got);
            free(got);
        }
        free(want);
    }
    free(m);
    free(fh);
    ps_buf_free(&b);
    tw_free(&w);
}

static void
test_chunked_read_same_on_damage(void **state)
{
    (void)state;
    /* under valgrind (tests/run-tests.sh sets PS_TEST_QUICK) a tenth */
    int rounds = getenv("PS_TEST_QUICK") != NULL ? 15 : 150;
    for (int layout = 0; layout < 3; layout++)
        damage_layout(layout, rounds);
}

/*
 * Long stretches without a page where a record starts - 20 zero pages, and
 * a record of ~700 KB (22 pages of middle fragments) - make a chunk
 * collected from a stream grow past WAL_CHUNK_MAX_PAGES chunk sizes, so
 * the rest of the segment goes to the calling thread's reader
 * (chunks_go_direct); 60 damaged copies (as in the test above, plus the
 * stretch's first fragment and the page before it) must still read as on
 * one thread, fed in one-page chunks and from a file.
 */
static void
long_stretches(int zeros_after)
{
    struct tw w = {0};
    struct ps_buf b = {0};
    log_series_a(&w, &b);
    static struct tw_sample sm[60000];
    uint64_t rng = 0xD1B54A32D192ED03ULL;
    size_t big_at = 0, zeros_at = 0;
    for (int r = 0; r < 60; r++) {
        /* record 39 spans pages, so the big one (40) starts in the page
         * where 39's last fragment is */
        size_t n = r == 40 ? 60000 : r == 39 ? 3000 : 1 + (size_t)(r * 131) % 900;
        for (size_t i = 0; i < n; i++) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            sm[i].ref = 1;
            sm[i].t = 1000 * r + (int64_t)i;
            sm[i].v = (double)(rng >> 11); /* incompressible */
        }
        b.n = 0;
        tw_samples(&b, sm, n);
        size_t at = tw_log(&w, b.p, b.n, r >= 39 && r <= 40 ? TW_NONE : (enum tw_compr)(r % 3));
        if (r == 40)
            big_at = at;
        if (r == zeros_after) {
            tw_pad_page(&w);
            zeros_at = w.seg.n;
            static const uint8_t z[PS_WAL_PAGE_SIZE];
            for (int k = 0; k < 20; k++)
                ps_buf_append(&w.seg, z, sizeof(z));
        }
    }
    assert_true(w.seg.n - big_at > 16 * PS_WAL_PAGE_SIZE);
    /* the fragments of the page the big record starts in, before it */
    size_t pg0 = big_at - big_at % PS_WAL_PAGE_SIZE, before = SIZE_MAX;
    assert_true(big_at > pg0); /* it starts inside the page */
    for (size_t x = pg0; x < big_at; x += 7 + ps_get_be16(w.seg.p + x + 1))
        before = x;
    assert_true(before != SIZE_MAX && (w.seg.p[before] & 7) == 4); /* a last */
    uint8_t *m = malloc(w.seg.n);
    assert_non_null(m);
    for (int k = 0; k < 64; k++) {
        memcpy(m, w.seg.p, w.seg.n);
        size_t n = w.seg.n;
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        size_t at = (rng >> 20) % n;
        switch (k % 8) {
        case 0: break;                                   /* as written */
        case 1: m[big_at + 7 + (rng >> 40) % 64] ^= 0x20; break; /* CRC */
        case 2: m[big_at] = (uint8_t)(1 + (rng >> 40) % 4); break;
        case 3: m[zeros_at + (rng >> 40) % (20 * PS_WAL_PAGE_SIZE)] = 0x03; break;
        case 4: m[at] ^= (uint8_t)(1 + (rng >> 40) % 255); break;
        case 5: n = at; break;                           /* cut short */
        case 6: /* a bad CRC before it in its page: the previous chunk's
                 * reader skips the rest of the page, never reaching it */
            m[pg0 + 7] ^= 0x01;
            break;
        default: /* the record before it never ends: a last made a middle */
            m[before] = (uint8_t)((m[before] & ~7u) | 3u);
            break;
        }
        if (k == 56)
            ps_put_be32(m, 0x43AF00EFu); /* pre-2.4 */
        char *want = stats_json_feed(m, n, 0, 65536);
        for (size_t feed = 0; feed <= 65536; feed += 65536) {
            went_direct = 0;
            char *got = stats_json_feed(m, n, 1, feed); /* one-page chunks */
            if (strcmp(got, want) != 0)
                fail_msg("long stretches (zeros after %d), mutation %d, feed %zu:\n%s\n%s",
                         zeros_after, k, feed, want, got);
            free(got);
            /* fed as written, the stretch ends chunked reading: no chunk
             * holds it all (the output is the same either way) */
            if (k == 0 && feed > 0)
                assert_true(went_direct);
        }
        free(want);
    }
    free(m);
    ps_buf_free(&b);
    tw_free(&w);
}

static void
test_chunked_read_long_stretches(void **state)
{
    (void)state;
    long_stretches(20); /* the zero pages end chunked reading */
    long_stretches(50); /* the big record does, the zeros come after */
}

/* A caller's visitor sees every decoded record after the stats did, on
 * either thread; totals agree with the stats. */
struct vis_count {
    uint64_t series, samples, first_ref_with_labels;
};

static void
vc_series(void *ctx, const struct ps_wal_series *s, size_t n)
{
    struct vis_count *c = ctx;
    c->series += n;
    if (c->first_ref_with_labels == 0 && n > 0 && s[0].nlabels > 0)
        c->first_ref_with_labels = s[0].ref;
}

static void
vc_samples(void *ctx, const struct ps_wal_sample *s, size_t n)
{
    (void)s;
    ((struct vis_count *)ctx)->samples += n;
}

static void
test_user_visitor(void **state)
{
    (void)state;
    size_t n = 0;
    uint8_t *p = ps_test_read_file("testdata/wal/receive-cp7-seg8/wal/00000008", &n);
    assert_non_null(p);
    for (int threads = 0; threads < 2; threads++) {
        struct vis_count c = {0};
        struct ps_wal_visitor v = {0};
        v.series = vc_series;
        v.samples = vc_samples;
        v.ctx = &c;
        struct ps_wal_stats st;
        ps_wal_stats_init(&st, "x");
        st.no_threads = !threads;
        ps_wal_stats_set_visitor(&st, &v);
        ps_wal_stats_begin_segment(&st, "x/00000008", PS_WAL_SEG_WAL, 8);
        ps_wal_stats_feed(&st, p, n);
        ps_wal_stats_end_segment(&st);
        assert_int_equal(c.samples, st.totals.samples);
        assert_int_equal(c.samples, 27500);
        assert_int_equal(c.series, st.totals.series);
        assert_true(c.first_ref_with_labels > 0);
        ps_wal_stats_free(&st);
    }
    free(p);
}

/* Real Prometheus 2.42 data: the receiver's checkpoint.00000007 and
 * segment 00000008 (testdata/wal/receive-cp7-seg8/). promtool tsdb dump on
 * that directory prints 1150 distinct series and 27500 samples
 * (testdata/wal/ORACLE.md has the command). */
static void
test_real_receiver_checkpoint_and_segment(void **state)
{
    (void)state;
    struct ps_diags d;
    ps_diags_init(&d);
    struct ps_bundle *bu = NULL;
    assert_int_equal(ps_bundle_open("testdata/wal/receive-cp7-seg8", NULL, &d,
                                    &bu), PS_OK);
    struct ps_wal_scan sc;
    assert_int_equal(ps_wal_scan_bundle(bu, &d, &sc), PS_OK);
    assert_int_equal(sc.n, 1);
    const struct ps_wal_stats *s = &sc.wals[0];
    assert_int_equal(s->checkpoint_index, 7);
    assert_int_equal(s->nsegs, 2);
    assert_int_equal(s->segs[0].kind, PS_WAL_SEG_CHECKPOINT); /* read first */
    assert_int_equal(s->segs[1].index, 8);
    assert_int_equal(s->ncorr, 0);
    struct ps_wal_summary sum;
    ps_wal_stats_summary(s, &sum);
    assert_int_equal(sum.head_series, 1150);
    assert_int_equal(sum.head_samples, 27500);
    assert_int_equal(sum.scrape_interval_median_ms, 5000); /* lab scrapes every 5 s */
    assert_true(s->totals.records_snappy > 0); /* Prometheus' default */
    ps_wal_scan_free(&sc);
    ps_bundle_close(bu);
    ps_diags_free(&d);
}

/* The same segment fed in odd chunk sizes gives identical statistics. */
static void
test_real_segment_chunking(void **state)
{
    (void)state;
    size_t n = 0;
    uint8_t *p = ps_test_read_file("testdata/wal/receive-cp7-seg8/wal/00000008", &n);
    assert_non_null(p);
    uint64_t ref_samples = 0;
    static const size_t chunks[] = {1 << 20, 4093, 1};
    for (size_t k = 0; k < 3; k++) {
        struct ps_wal_stats st;
        ps_wal_stats_init(&st, "x");
        ps_wal_stats_begin_segment(&st, "x/00000008", PS_WAL_SEG_WAL, 8);
        for (size_t off = 0; off < n; off += chunks[k])
            ps_wal_stats_feed(&st, p + off, n - off < chunks[k] ? n - off : chunks[k]);
        ps_wal_stats_end_segment(&st);
        assert_int_equal(st.ncorr, 0);
        assert_int_equal(st.totals.samples, 27500);
        if (k == 0)
            ref_samples = st.totals.unknown_ref;
        /* without the checkpoint, refs of series defined there are unknown */
        assert_int_equal(st.totals.unknown_ref, ref_samples);
        assert_true(ref_samples > 0);
        ps_wal_stats_free(&st);
    }
    free(p);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_series_record),
        cmocka_unit_test(test_samples_signed_deltas_from_first),
        cmocka_unit_test(test_tombstones_mmap_metadata_exemplars),
        cmocka_unit_test(test_histogram_records_all_kinds),
        cmocka_unit_test(test_samples_v2),
        cmocka_unit_test(test_unknown_type_counted_not_parsed),
        cmocka_unit_test(test_stats_head_semantics),
        cmocka_unit_test(test_stats_repair_impact_and_decode_error),
        cmocka_unit_test(test_real_receiver_checkpoint_and_segment),
        cmocka_unit_test(test_real_segment_chunking),
        cmocka_unit_test(test_user_visitor),
        cmocka_unit_test(test_samples_rt_agrees_with_decoder),
        cmocka_unit_test(test_samples_rt_32bit_edges),
        cmocka_unit_test(test_stats_same_on_either_thread),
        cmocka_unit_test(test_chunked_read_same_on_damage),
        cmocka_unit_test(test_chunked_read_long_stretches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
