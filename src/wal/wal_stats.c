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
 * rd_record), and accept_rt() runs over that.
 */
#include "promsight/ps_util.h"
#include "promsight/ps_wal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "promsight/ps_dec.h"
#include "wal_int.h"

#define RESERVOIR 16
#define STALE_NAN_BITS WAL_STALE_NAN_BITS

/* Per label set, touched for every sample (see "Speed" above). Deltas
 * seen = kept samples - 1, so delta number k (0-based) is the one that
 * arrives with the count at k + 1 (mod 2^32, as the count's low half). */
struct series_hot {
    int64_t last_t;            /* of kept samples */
    uint32_t samples;          /* kept samples + histograms, low 32 bits */
    uint32_t next_keep;        /* number of the next delta res keeps */
};

/* Per label set, touched rarely; same index as its struct series_hot. */
struct series_rec {
    uint64_t hash;
    size_t lab_off;
    uint32_t lab_len;
    uint32_t name_id;
    int64_t first_t;           /* of kept samples */
    uint32_t samples_hi;       /* kept samples >> 32 (series_hot.samples) */
    uint8_t stride_log2;       /* res holds every 2^stride_log2-th delta */
    uint8_t nres;              /* deltas held in res */
    uint32_t res[RESERVOIR];   /* systematic sample of scrape deltas (ms) */
};

struct ps_wal_series_state {
    struct series_rec *v;
    struct series_hot *hot;    /* parallel to v, hot_cap entries */
    size_t n, cap, hot_cap;
    struct ps_buf labels;      /* canonical label bytes, back to back */
    struct ps_buf scratch;
    struct ps_buf rt;          /* struct wal_rt of one record (on_record) */
    struct ps_map64 by_hash;   /* label hash -> index */
    struct ps_map64 by_ref;    /* series ref -> index (sparse refs) */
    uint32_t *dense;           /* ref -> index+1 for small refs (0: none) */
    size_t ndense;
    struct ps_intern names;    /* metric names */
    uint64_t *name_series;   /* label sets per metric name */
    size_t names_cap;
    struct ps_wal_visitor user;
    int has_user;
    int reader_decodes;        /* reading thread only: see rd_reserve */
    int stored_next;           /* reading thread only: see rd_keep */
    int decode_policy;         /* wal_stats_decode_policy() */
    struct ps_buf wplain;      /* worker thread: decompressed record */
    void *wzstd;               /* worker thread: zstd context */
    /* reading thread only: see maybe_go_solo */
    int solo_checked, solo_second;
    unsigned pipe_records;
    double pipe_wall0, pipe_cpu0;
    struct wal_pipe_bufs bufs; /* the queue's buffers between segments */
    enum ps_err oom;
};

static void
seg_stats_reset(struct ps_wal_seg_stats *g)
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
    seg_stats_reset(&s->totals);
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
    if (s->pipe != NULL)
        wal_pipe_finish(s->pipe);
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
        ps_buf_free(&s->st->wplain);
        wal_decompress_free(&s->st->wzstd);
        for (int i = 0; i < WAL_PIPE_NBUF; i++)
            ps_buf_free(&s->st->bufs.b[i]);
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

static void
add_corruption(struct ps_wal_stats *s, const struct ps_wal_corruption *c)
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

/* Kept samples of label set i (both halves of the count). */
static inline uint64_t
kept(const struct ps_wal_series_state *st, size_t i)
{
    return (uint64_t)st->v[i].samples_hi << 32 | st->hot[i].samples;
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
 * previous one's stores; accept_rt() loads it once per run.
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
static void
accept_rt(struct ps_wal_stats *s, const struct wal_rt_batch *rb)
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

/* Does a samples record go the short way (wal_decode_samples_rt)? Not
 * when the user's visitor wants the samples themselves. */
static inline int
rt_ok(const struct ps_wal_stats *s)
{
    return !s->st->has_user || s->st->user.samples == NULL;
}

/* The per-record counters of a record of the given slot. */
static void
count_record(struct ps_wal_stats *s, const struct ps_wal_record *rec,
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

static void
on_record(void *ctx, const struct ps_wal_record *rec)
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
            count_record(s, rec, slot);
            if (rb.n > 0)
                accept_rt(s, &rb);
            return;
        }
        /* does not decode: the general path below reports it */
    }
    count_record(s, rec, slot);
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
        add_corruption(s, &c);
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
        add_corruption(s, &c);
    }
}

/* Reader callbacks (reading thread): queue to the worker, or run here. */
/*
 * Who decodes a samples record when there are two threads. An
 * uncompressed one: the worker, unless it is behind (three or four buffers
 * waiting for it), in which case the reading thread decodes it
 * (wal_decode_samples_rt) and queues the refs and timestamps instead of
 * the record: reading is cheap, and without this the worker falls behind.
 * A compressed one: the thread that decompresses it (rd_keep, rd_reserve).
 * Either way the same records are counted in the same order, so the
 * results match one thread exactly.
 */
static int
reader_decodes(struct ps_wal_stats *s)
{
    int p = s->st->decode_policy == 5 ? 0 : s->st->decode_policy;
    if (!rt_ok(s) || p >= 2)
        return 0;
    return p == 1 || wal_pipe_backlog(s->pipe) >= 3;
}

void
wal_stats_decode_policy(struct ps_wal_stats *s, int policy)
{
    s->st->decode_policy = policy;
}

/*
 * And who decompresses (and then decodes) a compressed record: the reading
 * thread, unless the worker has nothing queued (it waits, or is about to),
 * in which case the record goes over still compressed and at once
 * (wal_pipe_stored), and the worker does both. Decompressing and decoding
 * are most of a read of a snappy WAL; this hands the worker its share in
 * whole records, and the two threads stay within a few percent of each
 * other (measured on the remote-write bench WAL: about half the records
 * each way).
 */
static int
rd_keep(void *ctx, size_t n)
{
    (void)n;
    struct ps_wal_stats *s = ctx;
    int p = s->st->decode_policy == 5 ? 0 : s->st->decode_policy;
    if (s->pipe == NULL || (p != 0 && p != 3))
        return 0;
    s->st->stored_next = p == 3 || wal_pipe_backlog(s->pipe) == 0;
    return s->st->stored_next;
}

static double
clock_s(clockid_t id)
{
    struct timespec ts;
    if (clock_gettime(id, &ts) != 0)
        return 0;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * The worker only pays when it runs beside the reading thread. On a busy
 * machine (or one CPU) the two take turns instead, and the hand-over
 * costs about 5% more time than one thread doing everything. So 25 ms
 * into a segment the process' CPU time is compared with the wall time
 * since the worker started: at 1.3 CPUs busy or more the worker stays
 * for the segment. Under that, one more window of at least 25 ms is
 * measured, because a virtual machine's second CPU can be missing for a
 * moment (seen here: the first window of a run at 1.0 CPU, the rest at
 * 1.9): only when it is under 1.3 CPUs too is the queue drained (in order,
 * so results do not change) and the rest of the segment read on the
 * calling thread. The next segment tries the worker again
 * (ps_wal_stats_begin_segment), so a slow moment costs at most one
 * segment's parallelism, not the whole WAL's. Called between records only.
 */
static void
maybe_go_solo(struct ps_wal_stats *s)
{
    struct ps_wal_series_state *st = s->st;
    int p = st->decode_policy;
    if (st->solo_checked || (p != 0 && p != 5) || ++st->pipe_records % 16 != 0)
        return;
    double now = clock_s(CLOCK_MONOTONIC), wall = now - st->pipe_wall0;
    if (p == 0 && wall < 0.025)
        return;
    double cpu_now = clock_s(CLOCK_PROCESS_CPUTIME_ID), cpu = cpu_now - st->pipe_cpu0;
    if (p == 0 && cpu >= 1.3 * wall) {
        st->solo_checked = 1;
        return;
    }
    if (p == 0 && !st->solo_second) {
        st->solo_second = 1;
        st->pipe_wall0 = now;
        st->pipe_cpu0 = cpu_now;
        return;
    }
    st->solo_checked = 1;
    if (wal_pipe_finish(s->pipe) != 0)
        st->oom = PS_E_NOMEM;
    s->pipe = NULL;
}

static void queue_record(struct ps_wal_stats *s, const struct ps_wal_record *r);

static void
rd_record(void *ctx, const struct ps_wal_record *r)
{
    struct ps_wal_stats *s = ctx;
    if (s->pipe == NULL) {
        on_record(s, r);
        return;
    }
    queue_record(s, r);
    maybe_go_solo(s);
}

static void
queue_record(struct ps_wal_stats *s, const struct ps_wal_record *r)
{
    if (s->st->stored_next) {
        s->st->stored_next = 0;
        wal_pipe_stored(s->pipe, r);
        return;
    }
    int mine = r->compr == PS_WAL_COMPR_NONE ? reader_decodes(s)
                                              : s->st->reader_decodes;
    s->st->reader_decodes = 0;
    if (mine && r->len > 0 && r->data[0] == PS_WAL_REC_SAMPLES) {
        struct wal_rt *v =
            wal_pipe_reserve_rt(s->pipe, wal_samples_rt_max(r->len));
        struct wal_rt_batch rb;
        if (v != NULL &&
            wal_decode_samples_rt(r->data, r->len, v, &rb) == PS_OK) {
            wal_pipe_rt(s->pipe, r, &rb);
            return;
        }
        /* no memory, or damaged: the worker's general path handles it */
    }
    wal_pipe_record(s->pipe, r);
}

static void
rd_corruption(void *ctx, const struct ps_wal_corruption *c)
{
    struct ps_wal_stats *s = ctx;
    if (s->pipe != NULL)
        wal_pipe_corruption(s->pipe, c);
    else
        add_corruption(s, c);
}

/*
 * Where a compressed record is decompressed: into the reader's own buffer,
 * and a samples record is then decoded by the reader too (the worker gets
 * its share of decompressing and decoding as whole records, rd_keep). Why
 * not decompress straight into the queue for the worker to decode: the
 * queue's buffers go back and forth between the two CPUs, and writing a
 * line that sits in the other CPU's cache costs more than the copy it
 * saves (on the remote-write bench WAL the reader's snappy took 50% longer
 * that way than into its own buffer, which stays in its cache), while the
 * decoded refs and timestamps are 8 bytes a sample against about 13 of
 * record. Test policy 2 keeps the old way (the worker decodes).
 */
static uint8_t *
rd_reserve(void *ctx, size_t n)
{
    struct ps_wal_stats *s = ctx;
    if (s->pipe == NULL)
        return NULL;
    int p = s->st->decode_policy == 5 ? 0 : s->st->decode_policy;
    s->st->reader_decodes = p != 2 && rt_ok(s);
    return s->st->reader_decodes ? NULL : wal_pipe_reserve(s->pipe, n);
}

/* Worker thread: the same handlers, in the reader's order. */
/* A record the reader handed over still compressed: decompressed here
 * with the reader's code, and a failure reported as the reader would. */
static void
on_stored(struct ps_wal_stats *s, const struct ps_wal_record *r)
{
    struct ps_wal_series_state *st = s->st;
    struct ps_wal_record d = *r;
    const char *why = "";
    int rc = wal_decompress(r->compr, r->data, r->len, &st->wplain,
                            &st->wzstd, NULL, NULL, &d.data, &d.len, &why);
    if (rc != 0) {
        struct ps_wal_seg_stats *g = s->cur;
        struct ps_wal_corruption c;
        memset(&c, 0, sizeof(c));
        c.kind = rc == -1 ? PS_WAL_C_DECOMPRESS : PS_WAL_C_TOO_LARGE;
        c.segment = g->name;
        c.seg_index = g->index;
        c.seg_kind = g->kind;
        c.fragment_offset = r->offset;
        c.prom_offset = r->end_offset;
        c.triggers_repair = rc == -1;
        snprintf(c.message, sizeof(c.message), "%s", why);
        add_corruption(s, &c);
        return;
    }
    on_record(s, &d);
}

static void
pipe_fn(void *ctx, const struct ps_wal_record *r,
        const struct ps_wal_corruption *c, const struct wal_rt_batch *b,
        int stored)
{
    struct ps_wal_stats *s = ctx;
    if (stored) {
        on_stored(s, r);
    } else if (b != NULL) {
        count_record(s, r, PS_WAL_REC_SAMPLES);
        if (b->n > 0)
            accept_rt(s, b);
    } else if (r != NULL) {
        on_record(s, r);
    } else {
        struct ps_wal_corruption cc = *c;
        cc.segment = s->cur->name;
        add_corruption(s, &cc);
    }
}

enum ps_err
ps_wal_stats_begin_segment(struct ps_wal_stats *s, const char *name,
                           enum ps_wal_seg_kind kind, int64_t index)
{
    if (ps_grow((void **)&s->segs, &s->segs_cap, s->nsegs + 1,
                sizeof(*s->segs)) != PS_OK)
        return PS_E_NOMEM;
    struct ps_wal_seg_stats *g = &s->segs[s->nsegs];
    seg_stats_reset(g);
    g->name = strdup(name != NULL ? name : "");
    if (g->name == NULL)
        return PS_E_NOMEM;
    g->index = index;
    g->kind = kind;
    s->nsegs++;
    s->cur = g;
    if (s->rd.on_record == NULL) {
        ps_wal_reader_init(&s->rd, rd_record, rd_corruption, s);
        s->rd.out_reserve = rd_reserve;
        s->rd.keep_compressed = rd_keep;
    }
    ps_wal_reader_begin(&s->rd, g->name, kind, index);
    if (!s->no_threads && s->pipe == NULL) {
        s->pipe = wal_pipe_start(pipe_fn, s, &s->st->bufs); /* NULL: read here */
        s->st->solo_checked = 0;
        s->st->solo_second = 0;
        s->st->pipe_records = 0;
        s->st->pipe_wall0 = clock_s(CLOCK_MONOTONIC);
        s->st->pipe_cpu0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    }
    return PS_OK;
}

enum ps_err
ps_wal_stats_feed(struct ps_wal_stats *s, const void *p, size_t n)
{
    if (s->cur == NULL)
        return PS_E_USAGE;
    ps_wal_reader_feed(&s->rd, p, n);
    /* with a worker, its findings (oom) are collected at end_segment */
    return s->pipe != NULL ? PS_OK : s->st->oom;
}

static void
merge(struct ps_wal_seg_stats *t, const struct ps_wal_seg_stats *g)
{
    t->bytes += g->bytes;
    for (unsigned i = 0; i < PS_WAL_REC__COUNT; i++)
        t->records[i] += g->records[i];
    t->records_snappy += g->records_snappy;
    t->records_zstd += g->records_zstd;
    t->stored_bytes += g->stored_bytes;
    t->raw_bytes += g->raw_bytes;
    t->series += g->series;
    t->new_label_sets += g->new_label_sets;
    t->samples += g->samples;
    t->histograms += g->histograms;
    t->exemplars += g->exemplars;
    t->tombstones += g->tombstones;
    t->metadata += g->metadata;
    t->mmap_markers += g->mmap_markers;
    t->unknown_ref += g->unknown_ref;
    t->out_of_order += g->out_of_order;
    t->duplicate += g->duplicate;
    t->stale_markers += g->stale_markers;
    if (g->min_t < t->min_t)
        t->min_t = g->min_t;
    if (g->max_t > t->max_t)
        t->max_t = g->max_t;
    t->corruptions += g->corruptions;
}

static enum ps_err
end_segment(struct ps_wal_stats *s, int cut)
{
    if (s->cur == NULL)
        return PS_E_USAGE;
    if (cut)
        ps_wal_reader_cut(&s->rd);
    else
        ps_wal_reader_end(&s->rd);
    if (wal_pipe_finish(s->pipe) != 0)
        s->st->oom = PS_E_NOMEM;
    s->pipe = NULL;
    s->cur->bytes = s->rd.bytes;
    merge(&s->totals, s->cur);
    s->cur = NULL;
    return s->st->oom;
}

enum ps_err
ps_wal_stats_end_segment(struct ps_wal_stats *s)
{
    return end_segment(s, 0);
}

enum ps_err
ps_wal_stats_end_segment_cut(struct ps_wal_stats *s)
{
    return end_segment(s, 1);
}

/* ---- derived statistics ---- */

/* Median scrape delta of one label set, -1 without deltas. */
static int64_t
series_median(const struct series_rec *r)
{
    uint32_t k = r->nres;
    if (k == 0)
        return -1;
    uint32_t tmp[RESERVOIR];
    /* insertion sort: at most 16 values, for every label set (qsort's
     * calls were a few percent of a whole WAL read) */
    for (uint32_t i = 0; i < k; i++) {
        uint32_t x = r->res[i], j = i;
        for (; j > 0 && tmp[j - 1] > x; j--)
            tmp[j] = tmp[j - 1];
        tmp[j] = x;
    }
    return ((int64_t)tmp[(k - 1) / 2] + (int64_t)tmp[k / 2]) / 2;
}

static int64_t
round_interval(int64_t ms)
{
    return ms >= 1000 ? (ms + 500) / 1000 * 1000 : ms;
}

static int
cmp_i64v(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

void
ps_wal_stats_summary(const struct ps_wal_stats *s, struct ps_wal_summary *o)
{
    const struct ps_wal_series_state *st = s->st;
    const struct ps_wal_seg_stats *t = &s->totals;
    memset(o, 0, sizeof(*o));
    o->label_sets = st->n;
    o->scrape_interval_median_ms = -1;
    int64_t *med = st->n > 0 ? malloc(st->n * sizeof(int64_t)) : NULL;
    size_t nm = 0;
    for (size_t i = 0; i < st->n; i++) {
        const struct series_rec *r = &st->v[i];
        uint64_t k = kept(st, i);
        if (k == 0)
            continue;
        o->head_series++;
        o->head_samples += k;
        int64_t m = series_median(r);
        if (m >= 0 && med != NULL)
            med[nm++] = m;
    }
    if (nm > 0) {
        qsort(med, nm, sizeof(int64_t), cmp_i64v);
        o->scrape_interval_median_ms = round_interval(med[(nm - 1) / 2]);
    }
    free(med);
    uint64_t all = t->samples + t->histograms;
    if (t->max_t > t->min_t && all > 0)
        o->samples_per_second =
            (double)all / ((double)ps_sub_wrap(t->max_t, t->min_t) / 1000.0);
    if (all > 0)
        o->bytes_per_sample = (double)t->bytes / (double)all;
    if (t->stored_bytes > 0)
        o->compression_ratio = (double)t->raw_bytes / (double)t->stored_bytes;
    if (t->max_t > t->min_t) {
        int64_t grace = o->scrape_interval_median_ms > 0
                            ? 2 * o->scrape_interval_median_ms
                            : 60000;
        for (size_t i = 0; i < st->n; i++) {
            const struct series_rec *r = &st->v[i];
            if (kept(st, i) > 0 && r->first_t > t->min_t + grace)
                o->series_created_after_start++;
        }
        o->series_created_per_hour = (double)o->series_created_after_start /
                                     ((double)ps_sub_wrap(t->max_t, t->min_t) / 3.6e6);
    }
}

struct top_tmp {
    uint32_t id;
    uint64_t series, samples;
    const char *name;
};

static int
cmp_top_tail(const struct top_tmp *x, const struct top_tmp *y, uint64_t kx,
             uint64_t ky)
{
    if (kx != ky)
        return kx > ky ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int
cmp_top_series(const void *a, const void *b)
{
    const struct top_tmp *x = a, *y = b;
    return cmp_top_tail(x, y, x->series, y->series);
}

static int
cmp_top_samples(const void *a, const void *b)
{
    const struct top_tmp *x = a, *y = b;
    return cmp_top_tail(x, y, x->samples, y->samples);
}

size_t
ps_wal_stats_top(const struct ps_wal_stats *s, int by_samples,
                 struct ps_wal_top *out, size_t max)
{
    const struct ps_wal_series_state *st = s->st;
    size_t n = st->names.n;
    if (n == 0 || max == 0)
        return 0;
    struct top_tmp *v = malloc(n * sizeof(*v));
    if (v == NULL)
        return 0;
    for (size_t i = 0; i < n; i++) {
        v[i].id = (uint32_t)i;
        v[i].series = st->name_series[i];
        v[i].samples = 0;
        v[i].name = ps_intern_str(&st->names, (uint32_t)i);
    }
    /* samples per name are summed here, not per sample on the hot path */
    for (size_t i = 0; i < st->n; i++)
        v[st->v[i].name_id].samples += kept(st, i);
    qsort(v, n, sizeof(*v), by_samples ? cmp_top_samples : cmp_top_series);
    size_t k = n < max ? n : max;
    for (size_t i = 0; i < k; i++) {
        out[i].name = v[i].name;
        out[i].series = v[i].series;
        out[i].samples = v[i].samples;
    }
    free(v);
    return k;
}

static int
cmp_interval(const void *a, const void *b)
{
    const struct ps_wal_interval_count *x = a, *y = b;
    if (x->series != y->series)
        return x->series > y->series ? -1 : 1;
    return x->interval_ms < y->interval_ms ? -1 : x->interval_ms > y->interval_ms;
}

size_t
ps_wal_stats_intervals(const struct ps_wal_stats *s,
                       struct ps_wal_interval_count *out, size_t max)
{
    const struct ps_wal_series_state *st = s->st;
    struct ps_map64 m = {0};
    for (size_t i = 0; i < st->n; i++) {
        int64_t med = series_median(&st->v[i]);
        if (med < 0)
            continue;
        uint64_t *slot = ps_map64_slot(&m, (uint64_t)round_interval(med), NULL);
        if (slot == NULL)
            break;
        (*slot)++;
    }
    struct ps_wal_interval_count *all =
        m.n > 0 ? malloc(m.n * sizeof(*all)) : NULL;
    size_t k = 0;
    for (size_t i = 0; all != NULL && i < m.cap; i++)
        if (m.used[i]) {
            all[k].interval_ms = (int64_t)m.keys[i];
            all[k].series = m.vals[i];
            k++;
        }
    if (all != NULL)
        qsort(all, k, sizeof(*all), cmp_interval);
    size_t r = k < max ? k : max;
    if (r > 0)
        memcpy(out, all, r * sizeof(*out));
    free(all);
    ps_map64_free(&m);
    return r;
}

static int
cmp_hour(const void *a, const void *b)
{
    const struct ps_wal_hour_count *x = a, *y = b;
    return x->hour_ms < y->hour_ms ? -1 : x->hour_ms > y->hour_ms;
}

enum ps_err
ps_wal_stats_churn(const struct ps_wal_stats *s, struct ps_wal_hour_count **out,
                   size_t *n)
{
    const struct ps_wal_series_state *st = s->st;
    struct ps_map64 m = {0};
    *out = NULL;
    *n = 0;
    for (size_t i = 0; i < st->n; i++) {
        const struct series_rec *r = &st->v[i];
        if (kept(st, i) == 0)
            continue;
        int64_t h = r->first_t >= 0 ? r->first_t / 3600000
                                    : -((-r->first_t + 3599999) / 3600000);
        uint64_t *slot = ps_map64_slot(&m, (uint64_t)h, NULL);
        if (slot == NULL) {
            ps_map64_free(&m);
            return PS_E_NOMEM;
        }
        (*slot)++;
    }
    if (m.n == 0)
        return PS_OK;
    struct ps_wal_hour_count *v = malloc(m.n * sizeof(*v));
    if (v == NULL) {
        ps_map64_free(&m);
        return PS_E_NOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < m.cap; i++)
        if (m.used[i]) {
            v[k].hour_ms = (int64_t)m.keys[i] * 3600000;
            v[k].series = m.vals[i];
            k++;
        }
    qsort(v, k, sizeof(*v), cmp_hour);
    ps_map64_free(&m);
    *out = v;
    *n = k;
    return PS_OK;
}
