/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * wal_stats.c - statistics over one WAL directory, fed segment by segment
 * (checkpoint, then WAL segments, then WBL) through the container reader
 * and the record decoders.
 *
 * Counting follows Prometheus' head replay so that an oracle (promtool
 * tsdb dump on the same WAL) can check it: a series record maps its ref to
 * a label set (the same label set under a new ref maps to the first one, as
 * agents re-create series); a sample whose ref has no series record yet is
 * an "unknown ref" and dropped; a sample at or before the last kept
 * timestamp of its label set is dropped (duplicate if equal, out of order
 * if earlier). What is kept is what the head would hold.
 *
 * Memory grows with label sets (one struct per distinct label set, its
 * label bytes, a 16-entry systematic sample of its scrape deltas), not
 * with WAL bytes.
 *
 * Speed: every sample of the WAL passes through accept(), so what it
 * touches per sample is kept small. The fields read and written for every
 * sample (last timestamp, count, next reservoir position) live in a
 * separate dense array of 16-byte struct series_hot, 20000 series = 320
 * KiB, which stays in L2 cache; the rest of a label set (struct
 * series_rec) is touched only on a new label set, a series' first sample
 * and the rare reservoir writes. Samples are accepted a record at a time
 * with the segment counters in locals. Samples records (type 2), nearly
 * all of a WAL, take a shorter road when no user visitor wants them:
 * wal_decode_samples_rt keeps only refs and timestamps (and counts stale
 * markers and the time range as it goes), on either thread (see
 * rd_record), and wal_stats_accept_rt() runs over that.
 */
#include "promsight/ps_util.h"
#include "promsight/ps_wal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promsight/ps_dec.h"
#include "wal_int.h"
#include "wal_stats_int.h"

void
wal_stats_seg_reset(struct ps_wal_seg_stats *g)
{
    memset(g, 0, sizeof(*g));
    g->min_t = INT64_MAX;
    g->max_t = INT64_MIN;
}

enum ps_err
ps_wal_stats_init(struct ps_wal_stats *s, const char *dir)
{
    memset(s, 0, sizeof(*s));
    s->checkpoint_index = -1;
    s->repair_min_t = INT64_MAX;
    s->repair_max_t = INT64_MIN;
    wal_stats_seg_reset(&s->totals);
    s->totals.index = -1;
    ps_diags_init(&s->notes);
    s->dir = strdup(dir != NULL ? dir : "");
    s->st = calloc(1, sizeof(*s->st));
    if (s->dir == NULL || s->st == NULL) {
        ps_wal_stats_free(s);
        return PS_E_NOMEM;
    }
    return PS_OK;
}

void
ps_wal_stats_free(struct ps_wal_stats *s)
{
    if (s == NULL)
        return;
    wal_stats_read_free(s);
    free(s->dir);
    free(s->tsdb_root);
    free(s->pod);
    free(s->tenant);
    free(s->checkpoint_dir);
    ps_buf_free(&s->ignored);
    for (size_t i = 0; i < s->nsegs; i++)
        free(s->segs[i].name);
    free(s->segs);
    for (size_t i = 0; i < s->ncorr; i++)
        free((char *)(uintptr_t)s->corr[i].segment);
    free(s->corr);
    ps_diags_free(&s->notes);
    ps_wal_reader_free(&s->rd);
    ps_wal_decoder_free(&s->dec);
    if (s->st != NULL) {
        free(s->st->v);
        free(s->st->hot);
        ps_buf_free(&s->st->labels);
        ps_buf_free(&s->st->scratch);
        ps_buf_free(&s->st->rt);
        ps_map64_free(&s->st->by_hash);
        ps_map64_free(&s->st->by_ref);
        free(s->st->dense);
        ps_intern_free(&s->st->names);
        free(s->st->name_series);
        free(s->st);
    }
    memset(s, 0, sizeof(*s));
}

void
ps_wal_stats_set_visitor(struct ps_wal_stats *s, const struct ps_wal_visitor *v)
{
    if (v != NULL) {
        s->st->user = *v;
        s->st->has_user = 1;
    } else {
        s->st->has_user = 0;
    }
}

/* ---- corruption bookkeeping ---- */

void
wal_stats_add_corruption(struct ps_wal_stats *s, const struct ps_wal_corruption *c)
{
    if (s->cur != NULL)
        s->cur->corruptions++;
    if (c->triggers_repair && !s->repair) {
        s->repair = 1;
        s->repair_at = *c;
        s->repair_at.segment = NULL;
        s->repair_seg_index = c->seg_index;
        s->repair_seg_kind = c->seg_kind;
    }
    if (s->ncorr >= PS_WAL_MAX_CORRUPTIONS) {
        s->corr_dropped++;
        return;
    }
    if (ps_grow((void **)&s->corr, &s->corr_cap, s->ncorr + 1,
                sizeof(*s->corr)) != PS_OK) {
        s->corr_dropped++;
        return;
    }
    char *name = strdup(c->segment != NULL ? c->segment : "");
    if (name == NULL) {
        s->corr_dropped++;
        return;
    }
    s->corr[s->ncorr] = *c;
    s->corr[s->ncorr].segment = name; /* owned: freed by ps_wal_stats_free */
    s->ncorr++;
}

/* ---- series ---- */

static enum ps_err
name_slot(struct ps_wal_series_state *st, uint32_t id)
{
    if (id < st->names_cap)
        return PS_OK;
    size_t cap = st->names_cap;
    if (ps_grow((void **)&st->name_series, &cap, (size_t)id + 1,
                sizeof(uint64_t)) != PS_OK)
        return PS_E_NOMEM;
    memset(st->name_series + st->names_cap, 0,
           (cap - st->names_cap) * sizeof(uint64_t));
    st->names_cap = cap;
    return PS_OK;
}

/* Find or add the label set; returns its index or SIZE_MAX on OOM. */
static size_t
label_set(struct ps_wal_stats *s, const struct ps_wal_series *ser, int *isnew)
{
    struct ps_wal_series_state *st = s->st;
    struct ps_buf *b = &st->scratch;
    b->n = 0;
    const char *name = "";
    size_t name_len = 0;
    for (size_t i = 0; i < ser->nlabels; i++) {
        const struct ps_wal_label *l = &ser->labels[i];
        uint8_t tmp[10];
        int k = ps_put_uvarint(tmp, l->name_len);
        if (ps_buf_append(b, tmp, (size_t)k) != PS_OK ||
            ps_buf_append(b, l->name, l->name_len) != PS_OK)
            return SIZE_MAX;
        k = ps_put_uvarint(tmp, l->value_len);
        if (ps_buf_append(b, tmp, (size_t)k) != PS_OK ||
            ps_buf_append(b, l->value, l->value_len) != PS_OK)
            return SIZE_MAX;
        if (l->name_len == 8 && memcmp(l->name, "__name__", 8) == 0) {
            name = l->value;
            name_len = l->value_len;
        }
    }
    if (b->n > UINT32_MAX)
        return SIZE_MAX;
    uint64_t h = ps_hash_bytes(b->p, b->n, 0x5157414cULL);
    uint64_t key = h;
    for (;;) {
        uint64_t idx;
        if (!ps_map64_get(&st->by_hash, key, &idx))
            break;
        struct series_rec *r = &st->v[idx];
        if (r->lab_len == b->n &&
            (b->n == 0 || memcmp(st->labels.p + r->lab_off, b->p, b->n) == 0)) {
            *isnew = 0;
            return (size_t)idx;
        }
        key = ps_hash_u64(key + 1);
    }
    if (ps_grow((void **)&st->v, &st->cap, st->n + 1, sizeof(*st->v)) != PS_OK ||
        ps_grow((void **)&st->hot, &st->hot_cap, st->n + 1,
                sizeof(*st->hot)) != PS_OK)
        return SIZE_MAX;
    uint32_t name_id;
    if (ps_intern_get(&st->names, name, name_len, &name_id) != PS_OK ||
        name_slot(st, name_id) != PS_OK)
        return SIZE_MAX;
    struct series_rec *r = &st->v[st->n];
    memset(r, 0, sizeof(*r));
    r->hash = h;
    r->lab_off = st->labels.n;
    r->lab_len = (uint32_t)b->n;
    r->name_id = name_id;
    r->first_t = INT64_MIN;
    memset(&st->hot[st->n], 0, sizeof(st->hot[st->n]));
    st->hot[st->n].last_t = INT64_MIN;
    if (ps_buf_append(&st->labels, b->p, b->n) != PS_OK ||
        ps_map64_put(&st->by_hash, key, st->n) != PS_OK)
        return SIZE_MAX;
    st->name_series[name_id]++;
    *isnew = 1;
    return st->n++;
}

/*
 * Refs are small increasing integers (Prometheus counts from 1), so most
 * live in a dense array; the array may cover up to 16 refs per label set
 * (plus 64 Ki), so its size follows series, never a hostile ref value.
 */
static enum ps_err
ref_put(struct ps_wal_series_state *st, uint64_t ref, size_t idx)
{
    uint64_t limit = 16 * ((uint64_t)st->n + 65536);
    if (ref < limit && idx < UINT32_MAX) {
        if (ref >= st->ndense) {
            size_t cap = st->ndense;
            if (ps_grow((void **)&st->dense, &cap, (size_t)ref + 1,
                        sizeof(uint32_t)) != PS_OK)
                return PS_E_NOMEM;
            memset(st->dense + st->ndense, 0,
                   (cap - st->ndense) * sizeof(uint32_t));
            st->ndense = cap;
        }
        st->dense[ref] = (uint32_t)idx + 1;
        return PS_OK;
    }
    return ps_map64_put(&st->by_ref, ref, idx);
}

static inline int
ref_get(const struct ps_wal_series_state *st, uint64_t ref, uint64_t *idx)
{
    if (ref < st->ndense && st->dense[ref] != 0) {
        *idx = st->dense[ref] - 1;
        return 1;
    }
    return st->by_ref.n != 0 && ps_map64_get(&st->by_ref, ref, idx);
}

static void
on_series(void *ctx, const struct ps_wal_series *ser, size_t n)
{
    struct ps_wal_stats *s = ctx;
    for (size_t i = 0; i < n; i++) {
        int isnew = 0;
        size_t idx = label_set(s, &ser[i], &isnew);
        if (idx == SIZE_MAX ||
            ref_put(s->st, ser[i].ref, idx) != PS_OK) {
            s->st->oom = PS_E_NOMEM;
            return;
        }
        if (isnew)
            s->cur->new_label_sets++;
    }
    s->cur->series += n;
}

/* Does the pending repair destroy data of the current segment? WAL and
 * checkpoint repairs leave the WBL alone, and a WBL repair the WAL. */
static inline int
repair_hits(const struct ps_wal_stats *s)
{
    return s->repair && (s->cur->kind == PS_WAL_SEG_WBL) ==
                            (s->repair_seg_kind == PS_WAL_SEG_WBL);
}

/* Segment counters of one record's samples, kept in locals while it runs
 * and added to the segment (and the repair range) once at the end. */
struct batch {
    int64_t min_t, max_t;
    uint64_t unknown_ref, duplicate, out_of_order, stale;
};

static inline void
batch_begin(struct batch *b)
{
    memset(b, 0, sizeof(*b));
    b->min_t = INT64_MAX;
    b->max_t = INT64_MIN;
}

static void
batch_end(struct ps_wal_stats *s, const struct batch *b, size_t n)
{
    struct ps_wal_seg_stats *g = s->cur;
    if (b->min_t < g->min_t)
        g->min_t = b->min_t;
    if (b->max_t > g->max_t)
        g->max_t = b->max_t;
    g->unknown_ref += b->unknown_ref;
    g->duplicate += b->duplicate;
    g->out_of_order += b->out_of_order;
    g->stale_markers += b->stale;
    if (n > 0 && repair_hits(s)) {
        s->repair_samples += n;
        if (b->min_t < s->repair_min_t)
            s->repair_min_t = b->min_t;
        if (b->max_t > s->repair_max_t)
            s->repair_max_t = b->max_t;
    }
}


/* Systematic sample of scrape deltas: keep every 2^k-th delta; when the
 * buffer is full, keep every other one and double the stride. Uniform
 * over the whole series, O(1), no division. Called only for delta number
 * next_keep, the next multiple of the current stride (rare), so it is
 * kept out of line; returns the following multiple (the new next_keep). */
static __attribute__((noinline)) uint32_t
keep_delta(struct series_rec *r, uint32_t k, uint32_t d32)
{
    if (r->nres == RESERVOIR) {
        for (unsigned i = 0; i < RESERVOIR / 2; i++)
            r->res[i] = r->res[2 * i];
        r->nres = RESERVOIR / 2;
        if (r->stride_log2 < 31)
            r->stride_log2++;
    }
    uint32_t mask = (1u << r->stride_log2) - 1;
    if ((k & mask) == 0)
        r->res[r->nres++] = d32;
    return (k | mask) + 1;
}

/* Label set index of ref, or SIZE_MAX if ref has no series: the dense
 * array first (passed in from locals of the caller's loop, so that stores
 * to the series state do not make the compiler reload it), the map for
 * the rest, out of line. */
static __attribute__((noinline)) size_t
sparse_index(const struct ps_wal_series_state *st, uint64_t ref)
{
    uint64_t idx;
    if (st->by_ref.n != 0 && ps_map64_get(&st->by_ref, ref, &idx))
        return (size_t)idx;
    return SIZE_MAX;
}

static inline size_t
index_of(const struct ps_wal_series_state *st, const uint32_t *dense,
         size_t ndense, uint64_t ref)
{
    uint32_t d = ref < ndense ? dense[ref] : 0;
    return d != 0 ? (size_t)d - 1 : sparse_index(st, ref);
}

/* Counters of one record's samples, kept in locals while it runs. */
struct acc {
    uint64_t unknown_ref, duplicate, out_of_order;
};

/*
 * Head-replay acceptance of one sample or histogram of a WAL or
 * checkpoint segment (the hot path; a WBL's samples only need their ref
 * looked up). h is the label set's struct series_hot, or a copy in locals:
 * remote-write records hold runs of samples of one series, and updating
 * the array in memory for each would chain every sample of a run to the
 * previous one's stores; wal_stats_accept_rt() loads it once per run.
 */
static inline void
accept(struct series_hot *h, struct series_rec *rec, size_t idx, struct acc *a,
       int64_t t)
{
    uint32_t cnt = h->samples;
    if (__builtin_expect(cnt == 0, 0) && rec[idx].samples_hi == 0) {
        rec[idx].first_t = t;
    } else {
        if (t <= h->last_t) {
            if (t == h->last_t)
                a->duplicate++;
            else
                a->out_of_order++;
            return;
        }
        uint32_t k = cnt - 1;
        if (k == h->next_keep) {
            uint64_t d = (uint64_t)t - (uint64_t)h->last_t;
            h->next_keep = keep_delta(&rec[idx], k,
                                      d > UINT32_MAX ? UINT32_MAX : (uint32_t)d);
        }
    }
    h->last_t = t;
    h->samples = cnt + 1;
    if (__builtin_expect(cnt + 1 == 0, 0))
        rec[idx].samples_hi++;
}

/* One sample or histogram through the generic visitor path. */
static inline void
accept_one(struct ps_wal_series_state *st, struct acc *a, int wbl,
           uint64_t ref, int64_t t)
{
    uint64_t idx;
    if (!ref_get(st, ref, &idx)) {
        a->unknown_ref++;
        return;
    }
    if (wbl)
        return; /* out-of-order by design; the OOO head keeps them apart */
    accept(&st->hot[idx], st->v, (size_t)idx, a, t);
}

static inline void
acc_end(struct batch *b, const struct acc *a)
{
    b->unknown_ref += a->unknown_ref;
    b->duplicate += a->duplicate;
    b->out_of_order += a->out_of_order;
}

static void
on_samples(void *ctx, const struct ps_wal_sample *sm, size_t n)
{
    struct ps_wal_stats *s = ctx;
    struct ps_wal_series_state *st = s->st;
    int wbl = s->cur->kind == PS_WAL_SEG_WBL;
    struct batch b;
    struct acc a = {0, 0, 0};
    batch_begin(&b);
    s->cur->samples += n;
    for (size_t i = 0; i < n; i++) {
        uint64_t bits;
        int64_t t = sm[i].t;
        memcpy(&bits, &sm[i].v, sizeof(bits));
        b.stale += bits == STALE_NAN_BITS;
        if (t < b.min_t)
            b.min_t = t;
        if (t > b.max_t)
            b.max_t = t;
        accept_one(st, &a, wbl, sm[i].ref, t);
    }
    acc_end(&b, &a);
    batch_end(s, &b, n);
}

/* A samples record decoded by wal_decode_samples_rt (either thread). */
void
wal_stats_accept_rt(struct ps_wal_stats *s, const struct wal_rt_batch *rb)
{
    struct ps_wal_series_state *st = s->st;
    const struct wal_rt *v = rb->v;
    size_t n = rb->n;
    struct batch b;
    struct acc a = {0, 0, 0};
    batch_begin(&b);
    b.min_t = rb->min_t;
    b.max_t = rb->max_t;
    b.stale = rb->stale;
    s->cur->samples += n;
    int wbl = s->cur->kind == PS_WAL_SEG_WBL;
    struct series_hot *hot = st->hot;
    struct series_rec *rec = st->v;
    const uint32_t *dense = st->dense;
    size_t ndense = st->ndense;
    const uint64_t base_ref = rb->base_ref;
    const int64_t base_t = rb->base_t;
    for (size_t i = 0; i < n; i++) {
        int32_t dref = v[i].dref;
        uint64_t ref = base_ref + (uint64_t)(int64_t)dref;
        size_t idx = index_of(st, dense, ndense, ref);
        if (idx == SIZE_MAX) {
            a.unknown_ref++;
            continue;
        }
        if (wbl)
            continue;
        struct series_hot *hp = &hot[idx];
        if (i + 1 < n && v[i + 1].dref == dref) {
            /* a run of samples of this ref: its state in locals */
            struct series_hot h = *hp;
            accept(&h, rec, idx, &a, base_t + v[i].dt);
            while (i + 1 < n && v[i + 1].dref == dref)
                accept(&h, rec, idx, &a, base_t + v[++i].dt);
            *hp = h;
        } else {
            accept(hp, rec, idx, &a, base_t + v[i].dt);
        }
    }
    acc_end(&b, &a);
    batch_end(s, &b, n);
}

static void
on_histograms(void *ctx, const struct ps_wal_histogram *h, size_t n)
{
    struct ps_wal_stats *s = ctx;
    struct ps_wal_series_state *st = s->st;
    int wbl = s->cur->kind == PS_WAL_SEG_WBL;
    struct batch b;
    struct acc a = {0, 0, 0};
    batch_begin(&b);
    s->cur->histograms += n;
    for (size_t i = 0; i < n; i++) {
        int64_t t = h[i].t;
        if (t < b.min_t)
            b.min_t = t;
        if (t > b.max_t)
            b.max_t = t;
        accept_one(st, &a, wbl, h[i].ref, t);
    }
    acc_end(&b, &a);
    batch_end(s, &b, n);
}

static void
on_exemplars(void *ctx, const struct ps_wal_exemplar *e, size_t n)
{
    (void)e;
    ((struct ps_wal_stats *)ctx)->cur->exemplars += n;
}

static void
on_tombstones(void *ctx, const struct ps_wal_tombstone *t, size_t n)
{
    (void)t;
    ((struct ps_wal_stats *)ctx)->cur->tombstones += n;
}

static void
on_metadata(void *ctx, const struct ps_wal_metadata *m, size_t n)
{
    (void)m;
    ((struct ps_wal_stats *)ctx)->cur->metadata += n;
}

static void
on_mmap(void *ctx, const struct ps_wal_mmap_marker *m, size_t n)
{
    (void)m;
    ((struct ps_wal_stats *)ctx)->cur->mmap_markers += n;
}

/* Forwarders to the user's visitor after our own accounting. */
#define FORWARD(fn, field, type)                                              \
    static void fn(void *ctx, const type *x, size_t n)                        \
    {                                                                         \
        struct ps_wal_stats *s = ctx;                                         \
        on_##field(ctx, x, n);                                                \
        if (s->st->has_user && s->st->user.field != NULL)                     \
            s->st->user.field(s->st->user.ctx, x, n);                         \
    }
FORWARD(fw_series, series, struct ps_wal_series)
FORWARD(fw_samples, samples, struct ps_wal_sample)
FORWARD(fw_histograms, histograms, struct ps_wal_histogram)
FORWARD(fw_exemplars, exemplars, struct ps_wal_exemplar)
FORWARD(fw_tombstones, tombstones, struct ps_wal_tombstone)
FORWARD(fw_metadata, metadata, struct ps_wal_metadata)

static void
fw_mmap_markers(void *ctx, const struct ps_wal_mmap_marker *x, size_t n)
{
    struct ps_wal_stats *s = ctx;
    on_mmap(ctx, x, n);
    if (s->st->has_user && s->st->user.mmap_markers != NULL)
        s->st->user.mmap_markers(s->st->user.ctx, x, n);
}


/* The per-record counters of a record of the given slot. */
void
wal_stats_count_record(struct ps_wal_stats *s, const struct ps_wal_record *rec,
             unsigned slot)
{
    struct ps_wal_seg_stats *g = s->cur;
    g->records[slot]++;
    g->stored_bytes += rec->stored_len;
    g->raw_bytes += rec->len;
    if (rec->compr == PS_WAL_COMPR_SNAPPY)
        g->records_snappy++;
    else if (rec->compr == PS_WAL_COMPR_ZSTD)
        g->records_zstd++;
    if (repair_hits(s))
        s->repair_records++;
}

void
wal_stats_on_record(void *ctx, const struct ps_wal_record *rec)
{
    struct ps_wal_stats *s = ctx;
    struct ps_wal_seg_stats *g = s->cur;
    unsigned type = rec->len > 0 ? rec->data[0] : 0;
    unsigned slot = ps_wal_rec_slot(type);
    if (slot == PS_WAL_REC_SAMPLES && rt_ok(s)) {
        struct ps_wal_series_state *st = s->st;
        size_t most = wal_samples_rt_max(rec->len);
        struct wal_rt_batch rb;
        if (ps_buf_reserve(&st->rt, most * sizeof(struct wal_rt)) != PS_OK) {
            st->oom = PS_E_NOMEM;
            return;
        }
        if (wal_decode_samples_rt(rec->data, rec->len,
                                  (struct wal_rt *)(void *)st->rt.p,
                                  &rb) == PS_OK) {
            wal_stats_count_record(s, rec, slot);
            if (rb.n > 0)
                wal_stats_accept_rt(s, &rb);
            return;
        }
        /* does not decode: the general path below reports it */
    }
    wal_stats_count_record(s, rec, slot);
    if (slot == PS_WAL_REC_UNKNOWN) {
        struct ps_wal_corruption c;
        memset(&c, 0, sizeof(c));
        c.kind = PS_WAL_C_UNKNOWN_RECORD;
        c.segment = g->name;
        c.seg_index = g->index;
        c.seg_kind = g->kind;
        c.fragment_offset = rec->offset;
        c.prom_offset = rec->end_offset;
        c.triggers_repair = 0;
        if (rec->len == 0)
            snprintf(c.message, sizeof(c.message), "empty record");
        else
            snprintf(c.message, sizeof(c.message),
                     "unknown record type %u (counted and skipped)", type);
        wal_stats_add_corruption(s, &c);
        return;
    }
    static const struct ps_wal_visitor base = {
        fw_series, fw_samples, fw_histograms, fw_exemplars, fw_tombstones,
        fw_metadata, fw_mmap_markers, NULL};
    struct ps_wal_visitor v = base;
    v.ctx = s;
    enum ps_err e = ps_wal_decode(&s->dec, rec->data, rec->len, &v, NULL);
    if (e == PS_E_NOMEM) {
        s->st->oom = e;
        return;
    }
    if (e != PS_OK) {
        struct ps_wal_corruption c;
        memset(&c, 0, sizeof(c));
        c.kind = PS_WAL_C_TRUNCATED_BODY;
        c.segment = g->name;
        c.seg_index = g->index;
        c.seg_kind = g->kind;
        c.fragment_offset = rec->offset;
        c.prom_offset = rec->end_offset;
        c.triggers_repair = 1;
        /* Prometheus' Decbuf says "invalid size" for both cases */
        snprintf(c.message, sizeof(c.message), "decode %s: invalid size (%s)",
                 ps_wal_rec_name(type),
                 e == PS_E_TRUNCATED ? "record body ends early"
                                     : "malformed varint or field");
        wal_stats_add_corruption(s, &c);
    }
}
