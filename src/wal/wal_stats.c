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
#include "promsight/ps_pool.h"
#include "promsight/ps_util.h"
#include "promsight/ps_wal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
    /* chunked reading (see "reading a segment"): the workers' readers,
     * and the calling thread's chunk in collection; chunk_apply's view of
     * the chunks applied so far */
    void *workers;             /* struct chunk_reader[nworkers] */
    size_t nworkers;
    int ck_failed;             /* no workers: read on the calling thread */
    size_t chunk_bytes;        /* wal_stats_chunk_bytes (0: default) */
    struct wal_job *ck_job;
    uint64_t ck_off;           /* segment offset of the next chunk */
    int ck_open;               /* the last applied chunk ended in a record */
    int ck_reached;            /* ... and its reader arrived at its end */
    int ck_legacy;             /* the segment is pre-2.4: ignore the rest */
    int ck_ioerr;              /* a chunk could not be read: ignore the rest */
    int ck_fd;                 /* this segment's chunks were all submitted
                                  by ps_wal_stats_read_fd */
    enum ps_err oom;
};

static void
seg_stats_reset(struct ps_wal_seg_stats *g)
{
    memset(g, 0, sizeof(*g));
    g->min_t = INT64_MAX;
    g->max_t = INT64_MIN;
}

static void chunks_stop(struct ps_wal_stats *s);

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
    chunks_stop(s);
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

/* ---- reading a segment ----
 *
 * On one thread (no_threads, or no worker could start) the reader's
 * callbacks are the handlers above. Otherwise the segment is read in
 * chunks (wal_int.h, wal_chunks.c): the calling thread collects the
 * bytes, cutting a chunk at the first page at least chunk_bytes in whose
 * first fragment starts a record; workers read chunks with their own
 * readers into messages, decoding samples records into refs and times
 * (wal_decode_samples_rt) where they are; the messages are applied in
 * order. Why chunks and not a pipeline (reading on one thread, decoding
 * on another, the design until 2026-11-25): each chunk's decompressed
 * bytes stay in the cache of the CPU that decodes them, the threads share
 * any amount of work evenly, and more CPUs help (a pipeline has two
 * stages). The same records reach the same handlers in the same order,
 * so the results are those of one thread; what differs at a chunk's
 * edge is made good in chunk_apply.
 */

static void
rd_record(void *ctx, const struct ps_wal_record *r)
{
    on_record(ctx, r);
}

static void
rd_corruption(void *ctx, const struct ps_wal_corruption *c)
{
    add_corruption(ctx, c);
}

/* One worker's reader and the job it is reading. */
struct chunk_reader {
    struct ps_wal_stats *s;
    struct ps_wal_reader rd;
    struct wal_job *job;
    struct ps_buf rbuf;        /* pread blocks (chunks read from a file) */
};

static void
ck_record(void *ctx, const struct ps_wal_record *r)
{
    struct chunk_reader *w = ctx;
    struct ps_buf *out = &w->job->out;
    if (r->len > 0 && r->data[0] == PS_WAL_REC_SAMPLES && rt_ok(w->s)) {
        struct wal_rt *v = wal_msgs_reserve_rt(out, wal_samples_rt_max(r->len));
        struct wal_rt_batch rb;
        if (v != NULL && wal_decode_samples_rt(r->data, r->len, v, &rb) == PS_OK) {
            if (wal_msgs_rt(out, r, &rb) != 0)
                w->job->lost = 1;
            return;
        }
        /* no memory, damaged, or wide: the general path handles it */
    }
    if (wal_msgs_record(out, r) != 0)
        w->job->lost = 1;
}

static void
ck_corruption(void *ctx, const struct ps_wal_corruption *c)
{
    struct chunk_reader *w = ctx;
    if (wal_msgs_corruption(&w->job->out, c) != 0)
        w->job->lost = 1;
}

/* Where a worker's reader decompresses a snappy record: into the
 * messages (no copy afterwards) when samples records are passed on whole
 * (a user visitor wants them); else into the reader's own buffer, which
 * stays in this CPU's cache, because nearly every record is then a
 * samples record decoded from there into 8 bytes a sample (the record
 * type is known only after decompressing). */
static uint8_t *
ck_reserve(void *ctx, size_t n)
{
    struct chunk_reader *w = ctx;
    return rt_ok(w->s) ? NULL : wal_msgs_reserve(&w->job->out, n);
}

/*
 * Where in page pg the first fragment that starts a record (full or
 * first) begins, following the fragment headers from the page start; -1
 * if none does, or the headers stop making sense (padding, an unknown
 * type, a length past the page) before one. CRCs are not checked here:
 * the chunk's reader does (see chunk_apply).
 */
static long
record_start_in_page(const uint8_t *pg)
{
    size_t x = 0;
    while (x + PS_WAL_FRAG_HDR <= PS_WAL_PAGE_SIZE) {
        unsigned ft = pg[x] & 0x07u;
        if (ft == 1 || ft == 2)
            return (long)x;
        if (ft == 0 || ft > 4)
            return -1;
        size_t len = ps_get_be16(pg + x + 1);
        if (len > PS_WAL_FRAG_MAX || x + PS_WAL_FRAG_HDR + len > PS_WAL_PAGE_SIZE)
            return -1;
        x += PS_WAL_FRAG_HDR + len;
    }
    return -1;
}

/* Read chunk j with w's reader into j->out. */
static void
read_chunk(struct ps_wal_stats *s, struct chunk_reader *w, struct wal_job *j)
{
    struct ps_wal_seg_stats *g = s->cur;
    struct ps_wal_reader *r = &w->rd;
    w->job = j;
    j->lost = 0;
    j->out.n = 0;
    ps_wal_reader_begin(r, g->name, g->kind, g->index);
    r->seg_off = j->seg_off;
    r->start_pos = j->start_pos;
    r->skipping = j->skip_start;
    size_t whole = j->in.n;
    if (j->end_lim > 0 && whole >= PS_WAL_PAGE_SIZE)
        whole -= PS_WAL_PAGE_SIZE; /* the last page, read up to end_lim */
    ps_wal_reader_feed(r, j->in.p, whole);
    j->reached_end = 0;
    if (whole < j->in.n) {
        r->cut_n = j->end_lim;
        ps_wal_reader_feed(r, j->in.p + whole, PS_WAL_PAGE_SIZE);
        r->cut_n = 0;
        j->reached_end = r->reached_cut;
    }
    j->open_at_end = r->nfrag > 0;
    j->legacy = r->skipping == 2;
    if (j->last) { /* reads a short last page: before first_* */
        if (j->cut)
            ps_wal_reader_cut(r);
        else
            ps_wal_reader_end(r);
    }
    j->first_starts = r->first_rec_off == j->seg_off + j->start_pos;
    j->first_ft = r->first_rec_ft;
    j->first_end = r->first_rec_end;
    w->job = NULL;
}

#define FD_BLOCK ((size_t)256 << 10) /* a multiple of the page size */

/* pread all of n bytes at off, 0 on success. */
static int
pread_all(int fd, uint8_t *p, size_t n, uint64_t off)
{
    while (n > 0) {
        ssize_t r = pread(fd, p, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

/* The page at off (zero-padded past the end of the file) into pg. */
static int
read_page(const struct wal_job *j, uint8_t *pg, uint64_t off)
{
    size_t n = j->size - off < PS_WAL_PAGE_SIZE ? (size_t)(j->size - off)
                                                : PS_WAL_PAGE_SIZE;
    memset(pg + n, 0, PS_WAL_PAGE_SIZE - n);
    return pread_all(j->fd, pg, n, off);
}

/*
 * Read chunk j from its file (wal_int.h). Where a chunk starts and ends
 * is a function of the bytes alone - the first fragment starting a
 * record in the first page at or after lo (hi) that has one - so the
 * worker reading chunk k finds the same end as the one reading chunk
 * k + 1 finds start, and nobody has to read ahead to cut. A re-read
 * (skip_start, chunk_apply) starts at the page seg_off, skipping.
 */
static void
read_chunk_fd(struct ps_wal_stats *s, struct chunk_reader *w, struct wal_job *j)
{
    struct ps_wal_seg_stats *g = s->cur;
    struct ps_wal_reader *r = &w->rd;
    w->job = j;
    j->lost = 0;
    j->out.n = 0;
    j->empty = j->eof_end = j->io_err = 0;
    j->reached_end = j->open_at_end = j->legacy = j->first_starts = 0;
    j->end_lim = 0;
    /* a block, and a page to zero-pad the file's short last page in */
    if (ps_buf_reserve(&w->rbuf, FD_BLOCK + PS_WAL_PAGE_SIZE) != PS_OK) {
        j->io_err = 1; /* reported as a cut; st->oom says why */
        j->lost = 1;
        goto done;
    }
    uint8_t *buf = w->rbuf.p;
    uint64_t page = j->seg_off;
    size_t x = 0;
    if (!j->skip_start && j->lo > 0) {
        for (page = j->lo;; page += PS_WAL_PAGE_SIZE) {
            if (page >= j->hi || page >= j->size) {
                j->empty = 1;
                goto done;
            }
            if (read_page(j, buf, page) != 0) {
                j->io_err = 1;
                goto done;
            }
            long at = record_start_in_page(buf);
            if (at >= 0) {
                x = (size_t)at;
                break;
            }
        }
    } else if (!j->skip_start) {
        page = 0;
    }
    j->seg_off = page;
    j->start_pos = x;
    ps_wal_reader_begin(r, g->name, g->kind, g->index);
    r->seg_off = page;
    r->start_pos = x;
    r->skipping = j->skip_start;
    for (uint64_t off = page, step = 0;; off += step) {
        if (off >= j->size) {
            j->eof_end = 1;
            break;
        }
        /* blocks up to hi, then a page at a time: the end is near */
        uint64_t most = off < j->hi ? j->hi - off : PS_WAL_PAGE_SIZE;
        if (most > FD_BLOCK)
            most = FD_BLOCK;
        if (most > j->size - off)
            most = j->size - off;
        size_t n = (size_t)most;
        step = n;
        if (pread_all(j->fd, buf, n, off) != 0) {
            j->io_err = 1;
            goto done;
        }
        for (size_t k = 0; k < n; k += PS_WAL_PAGE_SIZE) {
            size_t len = n - k < PS_WAL_PAGE_SIZE ? n - k : PS_WAL_PAGE_SIZE;
            if (off + k >= j->hi) {
                /* the file's short last page reads as zero-padded */
                const uint8_t *pg = buf + k;
                if (len < PS_WAL_PAGE_SIZE) {
                    uint8_t *pad = buf + n; /* a partial page: n < FD_BLOCK */
                    memcpy(pad, buf + k, len);
                    memset(pad + len, 0, PS_WAL_PAGE_SIZE - len);
                    pg = pad;
                }
                long at = record_start_in_page(pg);
                if (at >= 0) {
                    j->end_lim = (size_t)at;
                    if (at > 0) {
                        r->cut_n = (size_t)at;
                        ps_wal_reader_feed(r, pg, PS_WAL_PAGE_SIZE);
                        r->cut_n = 0;
                        j->reached_end = r->reached_cut;
                    }
                    goto ended;
                }
            }
            ps_wal_reader_feed(r, buf + k, len);
        }
    }
ended:
    j->open_at_end = r->nfrag > 0;
    j->legacy = r->skipping == 2;
    if (j->eof_end)
        ps_wal_reader_end(r); /* reads a short last page: before first_* */
    j->first_starts = r->first_rec_off == j->seg_off + j->start_pos;
    j->first_ft = r->first_rec_ft;
    j->first_end = r->first_rec_end;
done:
    w->job = NULL;
}

static void
chunk_produce(void *ctx, unsigned worker, struct wal_job *j)
{
    struct ps_wal_stats *s = ctx;
    struct chunk_reader *w = &((struct chunk_reader *)s->st->workers)[worker];
    if (j->fd >= 0)
        read_chunk_fd(s, w, j);
    else
        read_chunk(s, w, j);
}

/* A chunk's message, applied (on the applying worker, in order). */
static void
chunk_msg(void *ctx, const struct ps_wal_record *r,
          const struct ps_wal_corruption *c, const struct wal_rt_batch *rb)
{
    struct ps_wal_stats *s = ctx;
    if (rb != NULL) {
        count_record(s, r, PS_WAL_REC_SAMPLES);
        if (rb->n > 0)
            accept_rt(s, rb);
    } else if (r != NULL) {
        on_record(s, r);
    } else {
        struct ps_wal_corruption cc = *c;
        cc.segment = s->cur->name;
        add_corruption(s, &cc);
    }
}

/*
 * Apply chunk j after the chunks before it. Read on one thread, the
 * reader would arrive at j's start in the state the previous chunk left;
 * j's reader started fresh (no record open, not skipping). Chunks start
 * where a full or first fragment begins, and that fragment, once past its
 * checks, resets both, so two cases remain. If the previous chunk ended
 * inside a record (its last fragment never came: a damaged WAL) and j's
 * first fragment passes its checks, the one-thread reader reports an
 * unexpected full/first fragment there, as done here. If the previous
 * chunk's reader did not arrive at j's start at all (a damaged fragment
 * earlier in that page made it skip the rest of the page, which the
 * cutting thread cannot see: it does not check CRCs), a one-thread reader
 * would not have read j's start either but gone on at the next page,
 * skipping continuations: j is read again that way, here. A pre-2.4
 * segment is ignored after its first page, as on one thread.
 */
static void
chunk_apply(void *ctx, unsigned worker, struct wal_job *j)
{
    (void)worker;
    struct ps_wal_stats *s = ctx;
    struct ps_wal_series_state *st = s->st;
    if (st->ck_ioerr || (j->fd >= 0 && j->empty && !j->io_err))
        return; /* after a failed read; or no record starts here */
    if (j->io_err) {
        st->ck_ioerr = 1; /* the rest of the segment is lost, as a cut */
        if (j->lost)
            st->oom = PS_E_NOMEM;
        return;
    }
    if (j->seg_off == 0 && j->start_pos == 0) {
        st->ck_legacy = j->legacy;
    } else if (st->ck_legacy) {
        return;
    } else if (!st->ck_reached) {
        /* read again from the next page, as after a resync */
        struct chunk_reader *w0 = &((struct chunk_reader *)st->workers)[0];
        j->skip_start = 1;
        j->start_pos = 0;
        if (j->fd >= 0) {
            j->seg_off += PS_WAL_PAGE_SIZE;
            read_chunk_fd(s, w0, j);
            if (j->io_err) {
                st->ck_ioerr = 1;
                return;
            }
        } else {
            size_t skip = j->in.n < PS_WAL_PAGE_SIZE ? j->in.n : PS_WAL_PAGE_SIZE;
            memmove(j->in.p, j->in.p + skip, j->in.n - skip);
            j->in.n -= skip;
            j->seg_off += skip;
            if (j->end_lim > 0 && j->in.n < PS_WAL_PAGE_SIZE)
                j->end_lim = 0; /* its end was in the page skipped */
            read_chunk(s, w0, j);
        }
    } else if (st->ck_open && j->first_starts) {
        struct ps_wal_corruption c;
        memset(&c, 0, sizeof(c));
        c.kind = PS_WAL_C_FRAGMENT_ORDER;
        c.segment = s->cur->name;
        c.seg_index = s->cur->index;
        c.seg_kind = s->cur->kind;
        c.fragment_offset = j->seg_off + j->start_pos;
        c.prom_offset = j->first_end;
        c.triggers_repair = 1;
        snprintf(c.message, sizeof(c.message), "%s",
                 j->first_ft == 1 ? "unexpected full record"
                                  : "unexpected first record, dropping buffer");
        add_corruption(s, &c);
    }
    if (j->lost)
        st->oom = PS_E_NOMEM;
    st->ck_open = j->open_at_end;
    st->ck_reached = j->end_lim == 0 || j->reached_end;
    wal_msgs_run(&j->out, chunk_msg, s);
}

/* Start the workers for the next segment, if they are not running. */
static void
chunks_start(struct ps_wal_stats *s)
{
    struct ps_wal_series_state *st = s->st;
    if (s->chunks != NULL || s->no_threads || st->ck_failed)
        return;
    unsigned n = s->threads;
    if (n == 0) {
        int cpus = ps_cpus();
        n = cpus > 16 ? 16 : (unsigned)cpus;
    }
    if (n > 64)
        n = 64;
    if (n < 2) {
        st->ck_failed = 1; /* one CPU: the calling thread does it all */
        return;
    }
    st->workers = calloc((size_t)n + 1, sizeof(struct chunk_reader));
    if (st->workers == NULL) {
        st->ck_failed = 1;
        return;
    }
    struct chunk_reader *w = st->workers;
    for (unsigned i = 0; i <= n; i++) {
        w[i].s = s;
        ps_wal_reader_init(&w[i].rd, ck_record, ck_corruption, &w[i]);
        w[i].rd.out_reserve = ck_reserve;
    }
    st->nworkers = n + 1;
    s->chunks = wal_chunks_start(n, chunk_produce, chunk_apply, s);
    if (s->chunks == NULL)
        st->ck_failed = 1;
}

static void
chunks_stop(struct ps_wal_stats *s)
{
    struct ps_wal_series_state *st = s->st;
    wal_chunks_stop(s->chunks);
    s->chunks = NULL;
    if (st != NULL && st->workers != NULL) {
        struct chunk_reader *w = st->workers;
        for (size_t i = 0; i < st->nworkers; i++) {
            ps_wal_reader_free(&w[i].rd);
            ps_buf_free(&w[i].rbuf);
        }
        free(st->workers);
        st->workers = NULL;
        st->nworkers = 0;
    }
}

void
wal_stats_chunk_bytes(struct ps_wal_stats *s, size_t n)
{
    s->st->chunk_bytes = n;
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
    if (s->rd.on_record == NULL)
        ps_wal_reader_init(&s->rd, rd_record, rd_corruption, s);
    ps_wal_reader_begin(&s->rd, g->name, kind, index);
    chunks_start(s);
    struct ps_wal_series_state *st = s->st;
    st->ck_job = NULL;
    st->ck_off = 0;
    st->ck_open = 0;
    st->ck_reached = 1;
    st->ck_legacy = 0;
    st->ck_ioerr = 0;
    st->ck_fd = 0;
    return PS_OK;
}

static enum ps_err new_chunk(struct ps_wal_stats *s, const uint8_t *pg, size_t x);

/* Submit the chunk being collected; at the end of the segment, an empty
 * one if there is none (its reader reports the end). */
static void
submit_chunk(struct ps_wal_stats *s, int last, int cut)
{
    struct ps_wal_series_state *st = s->st;
    if (st->ck_job == NULL) {
        if (!last || new_chunk(s, NULL, 0) != PS_OK)
            return;
    }
    struct wal_job *j = st->ck_job;
    j->last = last;
    j->cut = cut;
    st->ck_job = NULL;
    wal_chunks_submit(s->chunks, j);
}

/* A new chunk starting in page pg (a copy of it) at offset x. */
static enum ps_err
new_chunk(struct ps_wal_stats *s, const uint8_t *pg, size_t x)
{
    struct ps_wal_series_state *st = s->st;
    struct wal_job *j = wal_chunks_job(s->chunks);
    j->fd = -1;
    j->seg_off = st->ck_off;
    j->start_pos = x;
    j->end_lim = 0;
    j->skip_start = 0;
    st->ck_job = j;
    if (pg != NULL && ps_buf_append(&j->in, pg, PS_WAL_PAGE_SIZE) != PS_OK)
        return PS_E_NOMEM;
    return PS_OK;
}

/*
 * Collect n bytes into chunks. Once a chunk holds chunk_bytes, each page
 * that completes it is searched for a fragment that starts a record; the
 * chunk ends there (end_lim) and the next starts there (start_pos), both
 * holding the page.
 */
static enum ps_err
chunks_feed(struct ps_wal_stats *s, const uint8_t *p, size_t n)
{
    struct ps_wal_series_state *st = s->st;
    size_t target = st->chunk_bytes != 0 ? st->chunk_bytes : WAL_CHUNK_BYTES;
    if (target < PS_WAL_PAGE_SIZE)
        target = PS_WAL_PAGE_SIZE;
    target -= target % PS_WAL_PAGE_SIZE;
    while (n > 0) {
        if (st->ck_job == NULL && new_chunk(s, NULL, 0) != PS_OK)
            return PS_E_NOMEM;
        struct ps_buf *in = &st->ck_job->in;
        /* up to the target, then a page at a time */
        size_t room = in->n < target ? target - in->n
                                     : PS_WAL_PAGE_SIZE - in->n % PS_WAL_PAGE_SIZE;
        size_t take = n < room ? n : room;
        if (ps_buf_append(in, p, take) != PS_OK)
            return PS_E_NOMEM;
        p += take;
        n -= take;
        if (in->n <= target || in->n % PS_WAL_PAGE_SIZE != 0)
            continue;
        const uint8_t *pg = in->p + in->n - PS_WAL_PAGE_SIZE;
        long x = record_start_in_page(pg);
        if (x < 0)
            continue;
        struct wal_job *j = st->ck_job;
        uint64_t page_off = j->seg_off + in->n - PS_WAL_PAGE_SIZE;
        if (x == 0)
            in->n -= PS_WAL_PAGE_SIZE; /* ends at the page start */
        else
            j->end_lim = (size_t)x;
        submit_chunk(s, 0, 0);
        st->ck_off = page_off;
        if (new_chunk(s, pg, (size_t)x) != PS_OK)
            return PS_E_NOMEM;
    }
    return PS_OK;
}

enum ps_err
ps_wal_stats_feed(struct ps_wal_stats *s, const void *p, size_t n)
{
    if (s->cur == NULL)
        return PS_E_USAGE;
    if (s->chunks == NULL) {
        ps_wal_reader_feed(&s->rd, p, n);
        return s->st->oom;
    }
    s->rd.bytes += n;
    /* the workers' findings (oom) are collected at end_segment */
    return chunks_feed(s, p, n);
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

enum ps_err
ps_wal_stats_read_fd(struct ps_wal_stats *s, int fd, uint64_t size)
{
    struct ps_wal_series_state *st = s->st;
    if (s->cur == NULL || st->ck_job != NULL || fd < 0)
        return PS_E_USAGE;
    if (s->chunks == NULL) {
        uint8_t *buf = malloc(FD_BLOCK);
        if (buf == NULL)
            return PS_E_NOMEM;
        enum ps_err e = PS_OK;
        for (uint64_t off = 0; off < size && e == PS_OK; off += FD_BLOCK) {
            size_t n = size - off < FD_BLOCK ? (size_t)(size - off) : FD_BLOCK;
            if (pread_all(fd, buf, n, off) != 0)
                e = PS_E_IO;
            else
                ps_wal_reader_feed(&s->rd, buf, n);
        }
        free(buf);
        return e != PS_OK ? e : st->oom;
    }
    size_t chunk = st->chunk_bytes != 0 ? st->chunk_bytes : WAL_CHUNK_BYTES;
    if (chunk < PS_WAL_PAGE_SIZE)
        chunk = PS_WAL_PAGE_SIZE;
    chunk -= chunk % PS_WAL_PAGE_SIZE;
    st->ck_fd = 1;
    s->rd.bytes += size;
    uint64_t lo = 0;
    do {
        struct wal_job *j = wal_chunks_job(s->chunks);
        j->fd = fd;
        j->lo = lo;
        j->hi = lo + chunk;
        j->size = size;
        j->seg_off = lo;
        j->start_pos = 0;
        j->skip_start = 0;
        j->last = 0;
        j->cut = 0;
        wal_chunks_submit(s->chunks, j);
        lo += chunk;
    } while (lo < size);
    wal_chunks_drain(s->chunks);
    return st->ck_ioerr ? PS_E_IO : st->oom;
}

static enum ps_err
end_segment(struct ps_wal_stats *s, int cut)
{
    if (s->cur == NULL)
        return PS_E_USAGE;
    if (s->chunks != NULL && s->st->ck_fd) {
        /* read_fd read it all, its last chunk ended it */
    } else if (s->chunks != NULL) {
        submit_chunk(s, 1, cut);
        wal_chunks_drain(s->chunks);
    } else if (cut) {
        ps_wal_reader_cut(&s->rd);
    } else {
        ps_wal_reader_end(&s->rd);
    }
    /* the workers stop with the segment: a bundle holds many WALs */
    chunks_stop(s);
    s->st->ck_failed = 0;
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
