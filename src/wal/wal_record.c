/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * wal_record.c - decoders for the WAL record types 1-13 (Prometheus
 * tsdb/record/record.go). A record is decoded completely into scratch
 * arrays before any visitor callback runs; a record that does not decode
 * to its last byte is rejected whole, so nothing is ever half-parsed.
 *
 * Byte layouts (BE = big-endian, uvarint = Go LEB128, varint = zigzag):
 *
 *   1  series      : {be64 ref, uvarint n, n x {uvarint-len name,
 *                     uvarint-len value}}*
 *   2  samples     : [be64 baseRef, be64 baseT,
 *                     {varint ref-baseRef, varint t-baseT, be64 f64}*]
 *                    (deltas are signed and relative to the FIRST sample,
 *                    which is included with deltas 0)
 *   3  tombstones  : {be64 ref, varint mint, varint maxt}*
 *   4  exemplars   : like samples, each followed by labels (as in series)
 *   5  mmap marker : {be64 ref, be64 chunk-disk-mapper ref}*
 *   6  metadata    : {uvarint ref, u8 type, uvarint n,
 *                     n x {uvarint-len name, uvarint-len value}}*
 *   7/9 histograms, 8/10 float histograms:
 *                    [be64 baseRef, be64 baseT, {varint dref, varint dt, H}*]
 *      H (int)   : u8 hint, varint schema, be64 f64 zero-threshold,
 *                  uvarint zero-count, uvarint count, be64 f64 sum,
 *                  spans+, spans-, uvarint n + n x varint (delta) buckets+,
 *                  same for buckets-, [schema -53: uvarint n + n x be64 f64]
 *      H (float) : as int but zero-count and count are be64 f64 and the
 *                  buckets are n x be64 f64 (absolute)
 *      spans     : uvarint n, n x {varint offset, uvarint length}
 *   11 samples V2  : first {varint ref, varint t, varint st, be64 f64},
 *                    then {varint ref-prevRef, varint t-firstT, u8 st-marker
 *                    (0 none, 1 same as previous, 2 explicit:
 *                    varint st-firstST), be64 f64}*
 *   12/13 histograms V2: like 11 with H (int/float) in place of the f64
 *
 * Any type byte outside 1..13 is "unknown": counted by the caller, skipped.
 */
#include "promsight/ps_wal.h"

#include <stdlib.h>
#include <string.h>

#include "promsight/ps_dec.h"
#include "wal_int.h"

#define CUSTOM_BUCKETS_SCHEMA (-53)

static const char *const rec_names[PS_WAL_REC__COUNT] = {
    [PS_WAL_REC_UNKNOWN] = "unknown",
    [PS_WAL_REC_SERIES] = "series",
    [PS_WAL_REC_SAMPLES] = "samples",
    [PS_WAL_REC_TOMBSTONES] = "tombstones",
    [PS_WAL_REC_EXEMPLARS] = "exemplars",
    [PS_WAL_REC_MMAP_MARKERS] = "mmap_markers",
    [PS_WAL_REC_METADATA] = "metadata",
    [PS_WAL_REC_HISTOGRAMS] = "histograms",
    [PS_WAL_REC_FLOAT_HISTOGRAMS] = "float_histograms",
    [PS_WAL_REC_CB_HISTOGRAMS] = "custom_bucket_histograms",
    [PS_WAL_REC_CB_FLOAT_HISTOGRAMS] = "custom_bucket_float_histograms",
    [PS_WAL_REC_SAMPLES_V2] = "samples_v2",
    [PS_WAL_REC_HISTOGRAMS_V2] = "histograms_v2",
    [PS_WAL_REC_FLOAT_HISTOGRAMS_V2] = "float_histograms_v2",
};

const char *
ps_wal_rec_name(unsigned type)
{
    return rec_names[ps_wal_rec_slot(type)];
}

void
ps_wal_decoder_free(struct ps_wal_decoder *d)
{
    if (d == NULL)
        return;
    free(d->labels);
    free(d->series);
    free(d->items);
    memset(d, 0, sizeof(*d));
}

/* Room for item number i (0-based) of size elem; NULL on OOM. */
static void *
item_slot(struct ps_wal_decoder *d, size_t i, size_t elem)
{
    if (i >= SIZE_MAX / elem - 1)
        return NULL;
    size_t need = (i + 1) * elem;
    if (need > d->items_cap &&
        ps_grow(&d->items, &d->items_cap, need, 1) != PS_OK)
        return NULL;
    return (char *)d->items + i * elem;
}

static int
label_slot(struct ps_wal_decoder *d, size_t i)
{
    return ps_grow((void **)&d->labels, &d->nlabels_cap, i + 1,
                   sizeof(*d->labels)) == PS_OK;
}

static inline int64_t
add_i64(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a + (uint64_t)b);
}

/* uvarint count n; fails early if fewer than n*min bytes are left. */
static uint64_t
dec_count(struct ps_dec *dd, size_t min)
{
    uint64_t n = ps_dec_uvarint(dd);
    if (dd->err == PS_OK && n > ps_dec_left(dd) / min)
        dd->err = PS_E_TRUNCATED;
    return dd->err == PS_OK ? n : 0;
}

/* Labels (series, exemplars) appended at d->labels[*nl...]. */
static enum ps_err
dec_labels(struct ps_wal_decoder *d, struct ps_dec *dd, size_t *nl,
           size_t *count)
{
    uint64_t n = dec_count(dd, 2);
    for (uint64_t i = 0; i < n && dd->err == PS_OK; i++) {
        if (!label_slot(d, *nl))
            return PS_E_NOMEM;
        struct ps_wal_label *l = &d->labels[*nl];
        size_t a, b;
        l->name = ps_dec_uvarint_str(dd, &a);
        l->value = ps_dec_uvarint_str(dd, &b);
        if (a > UINT32_MAX || b > UINT32_MAX)
            dd->err = PS_E_CORRUPT;
        l->name_len = (uint32_t)a;
        l->value_len = (uint32_t)b;
        (*nl)++;
    }
    *count = (size_t)n;
    return PS_OK;
}

static enum ps_err
dec_series(struct ps_wal_decoder *d, struct ps_dec *dd,
           const struct ps_wal_visitor *v, size_t *nitems)
{
    size_t n = 0, nl = 0;
    /* nlabels holds the start index into d->labels until the fix-up below,
     * because d->labels may move while it grows. */
    while (ps_dec_left(dd) > 0) {
        if (ps_grow((void **)&d->series, &d->series_cap, n + 1,
                    sizeof(*d->series)) != PS_OK)
            return PS_E_NOMEM;
        struct ps_wal_series *s = &d->series[n];
        s->ref = ps_dec_be64(dd);
        s->labels = NULL;
        s->nlabels = nl; /* start index; fixed up below */
        size_t cnt = 0;
        enum ps_err e = dec_labels(d, dd, &nl, &cnt);
        if (e != PS_OK)
            return e;
        if (dd->err != PS_OK)
            return dd->err;
        n++;
    }
    if (dd->err != PS_OK)
        return dd->err;
    /* labels may have moved while growing: fix pointers now. */
    for (size_t i = 0; i < n; i++) {
        size_t start = d->series[i].nlabels;
        size_t end = i + 1 < n ? d->series[i + 1].nlabels : nl;
        d->series[i].labels = end > start ? d->labels + start : NULL;
        d->series[i].nlabels = end - start;
    }
    *nitems = n;
    if (v != NULL && v->series != NULL && n > 0)
        v->series(v->ctx, d->series, n);
    return PS_OK;
}

/* Zigzag varint with one- to three-byte fast paths (time deltas are one
 * byte, ref deltas within a record of thousands of series two or three:
 * zigzag doubles them); returns -1 on a short and -2 on an overlong
 * varint (the caller then reports the record as malformed). */
static inline int
fast_varint(const uint8_t **pp, const uint8_t *end, int64_t *out)
{
    const uint8_t *p = *pp;
    uint64_t u;
    if (p < end && *p < 0x80) {
        u = *p;
        *pp = p + 1;
    } else if (end - p >= 2 && p[1] < 0x80) {
        u = (uint64_t)(p[0] & 0x7f) | (uint64_t)p[1] << 7;
        *pp = p + 2;
    } else if (end - p >= 3 && p[1] >= 0x80 && p[2] < 0x80) {
        u = (uint64_t)(p[0] & 0x7f) | (uint64_t)(p[1] & 0x7f) << 7 |
            (uint64_t)p[2] << 14;
        *pp = p + 3;
    } else {
        int n = ps_uvarint(p, end, &u);
        if (n <= 0)
            return n == 0 ? -1 : -2;
        *pp = p + n;
    }
    *out = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
    return 0;
}

/* The hot path of a WAL read: raw pointers, no per-field error flag. */
static enum ps_err
dec_samples(struct ps_wal_decoder *d, struct ps_dec *dd,
            const struct ps_wal_visitor *v, size_t *nitems)
{
    size_t n = 0;
    const uint8_t *p = dd->p, *end = dd->end;
    if (p < end) {
        if (end - p < 16)
            return PS_E_TRUNCATED;
        uint64_t base_ref = ps_get_be64(p);
        int64_t base_t = (int64_t)ps_get_be64(p + 8);
        p += 16;
        /* each sample is at least 10 bytes: size the array once */
        size_t most = (size_t)(end - p) / 10 + 1;
        if (item_slot(d, most, sizeof(struct ps_wal_sample)) == NULL)
            return PS_E_NOMEM;
        struct ps_wal_sample *out = d->items;
        while (p < end) {
            int64_t dref, dt;
            int rc = fast_varint(&p, end, &dref);
            if (rc == 0)
                rc = fast_varint(&p, end, &dt);
            if (rc != 0)
                return rc == -1 ? PS_E_TRUNCATED : PS_E_CORRUPT;
            if (end - p < 8)
                return PS_E_TRUNCATED;
            uint64_t bits = ps_get_be64(p);
            p += 8;
            struct ps_wal_sample *s = &out[n++];
            memcpy(&s->v, &bits, sizeof(bits));
            s->ref = base_ref + (uint64_t)dref;
            s->t = add_i64(base_t, dt);
            s->st = 0;
        }
    }
    *nitems = n;
    if (v != NULL && v->samples != NULL && n > 0)
        v->samples(v->ctx, d->items, n);
    return PS_OK;
}

size_t
wal_samples_rt_max(size_t n)
{
    /* type byte and 16-byte header, then at least 10 bytes per sample */
    return n > 17 ? (n - 17) / 10 + 1 : 0;
}

/* Zigzag varint with at least 10 readable bytes at *pp (no bounds test
 * on the common one- to three-byte shapes); same results as fast_varint.
 * *wide gets non-zero bits when the value is outside 32 bits: only a
 * varint of four bytes or more can be, so the test costs nothing on the
 * common shapes (zigzag maps [INT32_MIN, INT32_MAX] onto [0, 2^32)). */
static inline int
varint_in_zone(const uint8_t **pp, const uint8_t *end, int64_t *out,
               uint64_t *wide)
{
    const uint8_t *p = *pp;
    uint64_t u;
    if (p[0] < 0x80) {
        u = p[0];
        *pp = p + 1;
    } else if (p[1] < 0x80) {
        u = (uint64_t)(p[0] & 0x7f) | (uint64_t)p[1] << 7;
        *pp = p + 2;
    } else if (p[2] < 0x80) {
        u = (uint64_t)(p[0] & 0x7f) | (uint64_t)(p[1] & 0x7f) << 7 |
            (uint64_t)p[2] << 14;
        *pp = p + 3;
    } else {
        int n = ps_uvarint(p, end, &u);
        if (n <= 0)
            return n == 0 ? -1 : -2;
        *pp = p + n;
        *wide |= u >> 32;
    }
    *out = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
    return 0;
}

/* A stale marker's value as it lies in a record (big-endian), compared
 * with memcmp: one 8-byte compare, no byte swap per sample. */
static const uint8_t wal_stale_nan_be[8] = {
    (uint8_t)(WAL_STALE_NAN_BITS >> 56), (uint8_t)(WAL_STALE_NAN_BITS >> 48),
    (uint8_t)(WAL_STALE_NAN_BITS >> 40), (uint8_t)(WAL_STALE_NAN_BITS >> 32),
    (uint8_t)(WAL_STALE_NAN_BITS >> 24), (uint8_t)(WAL_STALE_NAN_BITS >> 16),
    (uint8_t)(WAL_STALE_NAN_BITS >> 8), (uint8_t)WAL_STALE_NAN_BITS};

/* What wal_decode_samples_rt gathers while it reads a record. */
struct rt_acc {
    size_t k;                  /* samples kept */
    uint64_t stale;            /* stale markers among them */
    int32_t mn, mx;            /* least and greatest time delta */
};

/* Keeps one sample whose varints were read and whose 8 value bytes lie
 * at p; returns where the next sample starts. */
static inline const uint8_t *
rt_keep(struct rt_acc *a, struct wal_rt *out, const uint8_t *p, int64_t dref,
        int64_t dt)
{
    int32_t d = (int32_t)dt;
    a->stale += memcmp(p, wal_stale_nan_be, 8) == 0;
    a->mn = d < a->mn ? d : a->mn;
    a->mx = d > a->mx ? d : a->mx;
    out[a->k].dref = (int32_t)dref;
    out[a->k].dt = d;
    a->k++;
    return p + 8;
}

/* Non-zero when d is outside [INT32_MIN, INT32_MAX]. */
static inline uint64_t
wide32(int64_t d)
{
    return ((uint64_t)d + ((uint64_t)1 << 31)) >> 32;
}

/*
 * The statistics' view of a samples record (wal_int.h): the same bytes
 * accepted and the same refs and timestamps as dec_samples, without the
 * values (only whether each is a stale marker) and without start times.
 * While a whole sample (at most 10 + 10 + 8 bytes) is sure to fit, the
 * varints are read without bounds tests. The deltas are kept as 32 bits;
 * whether any did not fit is gathered in `wide` and looked at only at the
 * end, so a corrupt record is reported as dec_samples reports it.
 */
enum ps_err
wal_decode_samples_rt(const uint8_t *rec, size_t n, struct wal_rt *out,
                      struct wal_rt_batch *b)
{
    b->v = out;
    b->n = 0;
    b->base_ref = 0;
    b->base_t = 0;
    b->stale = 0;
    b->min_t = INT64_MAX;
    b->max_t = INT64_MIN;
    if (n == 0 || rec[0] != PS_WAL_REC_SAMPLES)
        return PS_E_UNSUPPORTED;
    const uint8_t *p = rec + 1, *end = rec + n;
    if (p == end)
        return PS_OK;
    if (end - p < 16)
        return PS_E_TRUNCATED;
    uint64_t base_ref = ps_get_be64(p);
    int64_t base_t = (int64_t)ps_get_be64(p + 8);
    p += 16;
    struct rt_acc a = {0, 0, INT32_MAX, INT32_MIN};
    uint64_t wide = 0;
    /* The zone: while a whole sample surely fits. A separate loop from the
     * tail's, so that it tests neither bounds nor a return code per
     * varint (3% of a read's CPU on the snappy bench WAL). */
    while (end - p >= 28) {
        int64_t dref, dt;
        if (varint_in_zone(&p, end, &dref, &wide) != 0 ||
            varint_in_zone(&p, end, &dt, &wide) != 0)
            return PS_E_CORRUPT; /* over 10 bytes: 18 more are there */
        p = rt_keep(&a, out, p, dref, dt);
    }
    while (p != end) {
        int64_t dref, dt;
        int rc = fast_varint(&p, end, &dref);
        if (rc == 0)
            rc = fast_varint(&p, end, &dt);
        if (rc != 0)
            return rc == -1 ? PS_E_TRUNCATED : PS_E_CORRUPT;
        if (end - p < 8)
            return PS_E_TRUNCATED;
        wide |= wide32(dref) | wide32(dt);
        p = rt_keep(&a, out, p, dref, dt);
    }
    /* base_t + dt must not wrap, or min and max of dt are not those of t */
    if (a.k > 0 && (base_t > INT64_MAX - INT32_MAX || base_t < INT64_MIN - INT32_MIN))
        wide = 1;
    if (wide)
        return PS_E_UNSUPPORTED;
    b->n = a.k;
    b->base_ref = base_ref;
    b->base_t = base_t;
    b->stale = a.stale;
    if (a.k > 0) {
        b->min_t = base_t + a.mn;
        b->max_t = base_t + a.mx;
    }
    return PS_OK;
}

/* st-marker of V2 records. */
static int
dec_st(struct ps_dec *dd, int64_t first_st, int64_t prev_st, int64_t *st)
{
    uint8_t m = ps_dec_u8(dd);
    switch (m) {
    case 0: *st = 0; return 0;
    case 1: *st = prev_st; return 0;
    case 2: *st = add_i64(first_st, ps_dec_varint(dd)); return 0;
    default:
        if (dd->err == PS_OK)
            dd->err = PS_E_CORRUPT;
        return -1;
    }
}

static enum ps_err
dec_samples_v2(struct ps_wal_decoder *d, struct ps_dec *dd,
               const struct ps_wal_visitor *v, size_t *nitems)
{
    size_t n = 0;
    int64_t first_t = 0, first_st = 0, prev_st = 0;
    uint64_t prev_ref = 0;
    while (dd->err == PS_OK && ps_dec_left(dd) > 0) {
        struct ps_wal_sample *s = item_slot(d, n, sizeof(*s));
        if (s == NULL)
            return PS_E_NOMEM;
        if (n == 0) {
            s->ref = (uint64_t)ps_dec_varint(dd);
            s->t = first_t = ps_dec_varint(dd);
            s->st = first_st = ps_dec_varint(dd);
        } else {
            s->ref = prev_ref + (uint64_t)ps_dec_varint(dd);
            s->t = add_i64(first_t, ps_dec_varint(dd));
            dec_st(dd, first_st, prev_st, &s->st);
        }
        s->v = ps_dec_f64(dd);
        prev_ref = s->ref;
        prev_st = s->st;
        n++;
    }
    if (dd->err != PS_OK)
        return dd->err;
    *nitems = n;
    if (v != NULL && v->samples != NULL && n > 0)
        v->samples(v->ctx, d->items, n);
    return PS_OK;
}

static void
dec_spans(struct ps_dec *dd)
{
    uint64_t n = dec_count(dd, 2);
    for (uint64_t i = 0; i < n && dd->err == PS_OK; i++) {
        (void)ps_dec_varint(dd);
        (void)ps_dec_uvarint(dd);
    }
}

/* One histogram body (int or float); fills h's shape fields. */
static void
dec_histogram(struct ps_dec *dd, int is_float, struct ps_wal_histogram *h)
{
    (void)ps_dec_u8(dd); /* counter reset hint */
    int64_t schema = ps_dec_varint(dd);
    h->schema = schema < INT32_MIN ? INT32_MIN
                : schema > INT32_MAX ? INT32_MAX : (int32_t)schema;
    (void)ps_dec_f64(dd); /* zero threshold */
    if (is_float) {
        (void)ps_dec_f64(dd); /* zero count */
        h->count = ps_dec_f64(dd);
    } else {
        (void)ps_dec_uvarint(dd);
        h->count = (double)ps_dec_uvarint(dd);
    }
    h->sum = ps_dec_f64(dd);
    dec_spans(dd);
    dec_spans(dd);
    uint64_t nb = 0;
    for (int side = 0; side < 2 && dd->err == PS_OK; side++) {
        uint64_t n = dec_count(dd, is_float ? 8 : 1);
        for (uint64_t i = 0; i < n && dd->err == PS_OK; i++) {
            if (is_float)
                (void)ps_dec_f64(dd);
            else
                (void)ps_dec_varint(dd);
        }
        nb += n;
    }
    h->nbuckets = nb > UINT32_MAX ? UINT32_MAX : (uint32_t)nb;
    h->ncustom = 0;
    if (schema == CUSTOM_BUCKETS_SCHEMA && dd->err == PS_OK) {
        uint64_t n = dec_count(dd, 8);
        for (uint64_t i = 0; i < n && dd->err == PS_OK; i++)
            (void)ps_dec_f64(dd);
        h->ncustom = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
    }
    h->is_float = is_float;
}

static enum ps_err
dec_histograms(struct ps_wal_decoder *d, struct ps_dec *dd, int is_float,
               int v2, const struct ps_wal_visitor *v, size_t *nitems)
{
    size_t n = 0;
    uint64_t base_ref = 0, prev_ref = 0;
    int64_t base_t = 0, first_st = 0, prev_st = 0;
    if (!v2 && ps_dec_left(dd) > 0) {
        base_ref = ps_dec_be64(dd);
        base_t = (int64_t)ps_dec_be64(dd);
    }
    while (dd->err == PS_OK && ps_dec_left(dd) > 0) {
        struct ps_wal_histogram *h = item_slot(d, n, sizeof(*h));
        if (h == NULL)
            return PS_E_NOMEM;
        memset(h, 0, sizeof(*h));
        if (!v2) {
            h->ref = base_ref + (uint64_t)ps_dec_varint(dd);
            h->t = add_i64(base_t, ps_dec_varint(dd));
        } else if (n == 0) {
            h->ref = (uint64_t)ps_dec_varint(dd);
            h->t = base_t = ps_dec_varint(dd);
            h->st = first_st = ps_dec_varint(dd);
        } else {
            h->ref = prev_ref + (uint64_t)ps_dec_varint(dd);
            h->t = add_i64(base_t, ps_dec_varint(dd));
            dec_st(dd, first_st, prev_st, &h->st);
        }
        dec_histogram(dd, is_float, h);
        prev_ref = h->ref;
        prev_st = h->st;
        n++;
    }
    if (dd->err != PS_OK)
        return dd->err;
    *nitems = n;
    if (v != NULL && v->histograms != NULL && n > 0)
        v->histograms(v->ctx, d->items, n);
    return PS_OK;
}

static enum ps_err
dec_exemplars(struct ps_wal_decoder *d, struct ps_dec *dd,
              const struct ps_wal_visitor *v, size_t *nitems)
{
    size_t n = 0, nl = 0;
    if (ps_dec_left(dd) > 0) {
        uint64_t base_ref = ps_dec_be64(dd);
        int64_t base_t = (int64_t)ps_dec_be64(dd);
        while (dd->err == PS_OK && ps_dec_left(dd) > 0) {
            struct ps_wal_exemplar *e = item_slot(d, n, sizeof(*e));
            if (e == NULL)
                return PS_E_NOMEM;
            e->ref = base_ref + (uint64_t)ps_dec_varint(dd);
            e->t = add_i64(base_t, ps_dec_varint(dd));
            e->v = ps_dec_f64(dd);
            size_t cnt = 0;
            nl = 0; /* exemplar labels are not handed out; reuse scratch */
            enum ps_err err = dec_labels(d, dd, &nl, &cnt);
            if (err != PS_OK)
                return err;
            e->nlabels = cnt;
            n++;
        }
    }
    if (dd->err != PS_OK)
        return dd->err;
    *nitems = n;
    if (v != NULL && v->exemplars != NULL && n > 0)
        v->exemplars(v->ctx, d->items, n);
    return PS_OK;
}

static enum ps_err
dec_tombstones(struct ps_wal_decoder *d, struct ps_dec *dd,
               const struct ps_wal_visitor *v, size_t *nitems)
{
    size_t n = 0;
    while (dd->err == PS_OK && ps_dec_left(dd) > 0) {
        struct ps_wal_tombstone *t = item_slot(d, n, sizeof(*t));
        if (t == NULL)
            return PS_E_NOMEM;
        t->ref = ps_dec_be64(dd);
        t->mint = ps_dec_varint(dd);
        t->maxt = ps_dec_varint(dd);
        n++;
    }
    if (dd->err != PS_OK)
        return dd->err;
    *nitems = n;
    if (v != NULL && v->tombstones != NULL && n > 0)
        v->tombstones(v->ctx, d->items, n);
    return PS_OK;
}

static enum ps_err
dec_mmap_markers(struct ps_wal_decoder *d, struct ps_dec *dd,
                 const struct ps_wal_visitor *v, size_t *nitems)
{
    size_t n = 0;
    while (dd->err == PS_OK && ps_dec_left(dd) > 0) {
        struct ps_wal_mmap_marker *m = item_slot(d, n, sizeof(*m));
        if (m == NULL)
            return PS_E_NOMEM;
        m->ref = ps_dec_be64(dd);
        m->chunk_ref = ps_dec_be64(dd);
        n++;
    }
    if (dd->err != PS_OK)
        return dd->err;
    *nitems = n;
    if (v != NULL && v->mmap_markers != NULL && n > 0)
        v->mmap_markers(v->ctx, d->items, n);
    return PS_OK;
}

static enum ps_err
dec_metadata(struct ps_wal_decoder *d, struct ps_dec *dd,
             const struct ps_wal_visitor *v, size_t *nitems)
{
    size_t n = 0;
    while (dd->err == PS_OK && ps_dec_left(dd) > 0) {
        struct ps_wal_metadata *m = item_slot(d, n, sizeof(*m));
        if (m == NULL)
            return PS_E_NOMEM;
        memset(m, 0, sizeof(*m));
        m->ref = ps_dec_uvarint(dd);
        m->type = ps_dec_u8(dd);
        uint64_t nf = dec_count(dd, 2);
        for (uint64_t i = 0; i < nf && dd->err == PS_OK; i++) {
            size_t a, b;
            const char *k = ps_dec_uvarint_str(dd, &a);
            const char *val = ps_dec_uvarint_str(dd, &b);
            if (dd->err != PS_OK || b > UINT32_MAX)
                break;
            if (a == 4 && memcmp(k, "UNIT", 4) == 0) {
                m->unit = val;
                m->unit_len = (uint32_t)b;
            } else if (a == 4 && memcmp(k, "HELP", 4) == 0) {
                m->help = val;
                m->help_len = (uint32_t)b;
            }
        }
        n++;
    }
    if (dd->err != PS_OK)
        return dd->err;
    *nitems = n;
    if (v != NULL && v->metadata != NULL && n > 0)
        v->metadata(v->ctx, d->items, n);
    return PS_OK;
}

enum ps_err
ps_wal_decode(struct ps_wal_decoder *d, const uint8_t *rec, size_t n,
              const struct ps_wal_visitor *v, size_t *nitems)
{
    size_t dummy = 0;
    if (nitems == NULL)
        nitems = &dummy;
    *nitems = 0;
    if (n == 0)
        return PS_E_UNSUPPORTED;
    struct ps_dec dd;
    ps_dec_init(&dd, rec + 1, n - 1);
    switch (rec[0]) {
    case PS_WAL_REC_SERIES:
        return dec_series(d, &dd, v, nitems);
    case PS_WAL_REC_SAMPLES:
        return dec_samples(d, &dd, v, nitems);
    case PS_WAL_REC_TOMBSTONES:
        return dec_tombstones(d, &dd, v, nitems);
    case PS_WAL_REC_EXEMPLARS:
        return dec_exemplars(d, &dd, v, nitems);
    case PS_WAL_REC_MMAP_MARKERS:
        return dec_mmap_markers(d, &dd, v, nitems);
    case PS_WAL_REC_METADATA:
        return dec_metadata(d, &dd, v, nitems);
    case PS_WAL_REC_HISTOGRAMS:
    case PS_WAL_REC_CB_HISTOGRAMS:
        return dec_histograms(d, &dd, 0, 0, v, nitems);
    case PS_WAL_REC_FLOAT_HISTOGRAMS:
    case PS_WAL_REC_CB_FLOAT_HISTOGRAMS:
        return dec_histograms(d, &dd, 1, 0, v, nitems);
    case PS_WAL_REC_SAMPLES_V2:
        return dec_samples_v2(d, &dd, v, nitems);
    case PS_WAL_REC_HISTOGRAMS_V2:
        return dec_histograms(d, &dd, 0, 1, v, nitems);
    case PS_WAL_REC_FLOAT_HISTOGRAMS_V2:
        return dec_histograms(d, &dd, 1, 1, v, nitems);
    default:
        return PS_E_UNSUPPORTED;
    }
}
