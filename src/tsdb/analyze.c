/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * analyze.c - one pass over a block: every series of the all-postings list
 * is decoded, every chunk it references is read and CRC-checked and XOR
 * chunks are decoded fully. From that pass come
 *   - the numbers `promtool tsdb analyze` (2.42) prints, computed the same
 *     way (cmd/promtool/tsdb.go analyzeBlock / analyzeCompaction):
 *       uncovered(series) = uint64(block maxT - minT)
 *                          - uint64(last chunk maxT - first chunk minT)
 *       churn(pair|name)  = uint64(float64(sum uncovered) / float64(maxT-minT))
 *       common pairs      = number of series carrying name=value
 *       value length      = sum of len(value) over the distinct values of a
 *                           name (from the postings offset table)
 *       cardinality       = number of distinct values of a name
 *       metric names      = postings list length of each __name__ value
 *       fullness          = bucket ceil(10*min(n,120)/120)-1 of each chunk
 *     Ties: promtool sorts with Go's unstable sort.Slice over map order, so
 *     equal counts come out in arbitrary order; we order ties by name (for
 *     pairs: by name, then value), which is deterministic.
 *   - chunk statistics (samples, bytes per chunk and per sample), the
 *     per-block health checks (diagnostics with phase "tsdb/<check>") and
 *     the gap check, per series: analyze_range.c.
 *
 * Blocks of many series are cut into RANGES_MAX contiguous ranges of the
 * all-postings list at most, each range run on its own (on a thread when
 * there are cores for it) and merged in list order, so the findings come
 * out in the order one front-to-back pass gives, and the floating-point
 * sums depend on the block only, not on the thread count. The ranges
 * share nothing but the read-only block, except one assumption: a range
 * starts with no chunk read yet, where one pass would carry on from the
 * end of the previous range's last chunk (the ref-order check). The merge
 * proves the assumption changed nothing; where it did (refs running
 * backwards across a boundary - a damaged index), the block is analysed
 * again as one range.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "promsight/ps_pool.h"
#include "promsight/ps_tsdb.h"
#include "promsight/ps_util.h"
#include "tsdb/analyze_int.h"
#include "tsdb/tsdb_int.h"

/* A range is at least this many series; a block gets at most RANGES_MAX. */
#define RANGE_MIN_SERIES 1024
#define RANGES_MAX 8

struct ev {
    int64_t t;
    int d;
};

static int
cmp_ev(const void *x, const void *y)
{
    const struct ev *a = x, *b = y;
    if (a->t != b->t)
        return (a->t > b->t) - (a->t < b->t);
    return a->d - b->d; /* ends (-1) before starts (+1) */
}

/* The window shared by the most gaps (open intervals). */
static void
common_gap(const struct an_gap *gaps, size_t ngaps, struct ps_tsdb_analysis *a)
{
    if (ngaps == 0)
        return;
    struct ev *e = malloc(ngaps * 2 * sizeof(*e));
    if (e == NULL)
        return;
    for (size_t i = 0; i < ngaps; i++) {
        e[2 * i].t = gaps[i].start;
        e[2 * i].d = 1;
        e[2 * i + 1].t = gaps[i].end;
        e[2 * i + 1].d = -1;
    }
    qsort(e, ngaps * 2, sizeof(*e), cmp_ev);
    int64_t cur = 0, best = 0;
    for (size_t i = 0; i + 1 < ngaps * 2; i++) {
        cur += e[i].d;
        if (cur > best) {
            best = cur;
            a->common_gap_start = e[i].t;
            a->common_gap_end = e[i + 1].t;
        }
    }
    a->common_gap_series = (uint64_t)best;
    free(e);
}

struct sortrec {
    uint64_t n;
    uint64_t key;        /* tie order: symbol ordinals follow string order */
    size_t idx;
};

static int
cmp_rec(const void *x, const void *y)
{
    const struct sortrec *a = x, *b = y;
    if (a->n != b->n)
        return a->n < b->n ? 1 : -1;
    return (a->key > b->key) - (a->key < b->key);
}

static char *
mkname(const struct ps_tsdb_index *ix, uint64_t key, int pair)
{
    struct ps_tsdb_str n = ps_tsdb_index_sym(ix, pair ? (uint32_t)(key >> 32) : (uint32_t)key);
    struct ps_tsdb_str v = ps_tsdb_index_sym(ix, (uint32_t)key);
    size_t len = n.n + (pair ? 1 + v.n : 0);
    char *s = malloc(len + 1);
    if (s == NULL)
        return NULL;
    if (n.n)
        memcpy(s, n.p, n.n);
    if (pair) {
        s[n.n] = '=';
        if (v.n)
            memcpy(s + n.n + 1, v.p, v.n);
    }
    s[len] = 0;
    return s;
}

/* Sort recs (count desc, then key = symbol ordinals asc, i.e. by name),
 * keep the top `limit` (0: all), name them. */
static void
make_top(struct ps_tsdb_top *top, struct sortrec *r, size_t n, size_t limit,
         const struct ps_tsdb_index *ix, int pair)
{
    qsort(r, n, sizeof(*r), cmp_rec);
    size_t k = limit == 0 || limit > n ? n : limit;
    top->v = calloc(k ? k : 1, sizeof(*top->v));
    if (top->v == NULL)
        return;
    for (size_t i = 0; i < k; i++) {
        top->v[i].n = r[i].n;
        top->v[i].name = mkname(ix, r[i].key, pair);
    }
    top->n = k;
}

/* Lists that come from the postings offset table. */
static void
table_lists(const struct ps_tsdb_index *ix, size_t limit, struct ps_tsdb_analysis *a)
{
    struct an_aggs names = {0}; /* uncovered = value length sum, count = #values */
    struct sortrec *mr = calloc(ix->npt ? ix->npt : 1, sizeof(*mr));
    size_t nm = 0;
    uint32_t mname = ps_tsdb_index_sym_find(ix, "__name__", 8);
    if (mr == NULL)
        goto out;
    for (size_t i = 0; i < ix->npt; i++) {
        const struct ps_tsdb_postings_entry *e = &ix->pt[i];
        struct ps_tsdb_str n = ps_tsdb_index_sym(ix, e->name);
        struct ps_tsdb_str val = ps_tsdb_index_sym(ix, e->value);
        if (n.n == 0 || e->value == UINT32_MAX)
            continue;
        struct an_agg *g = an_agg_get(&names, e->name);
        if (g == NULL)
            break;
        g->uncovered += val.n;
        g->count++;
        if (e->name == mname) {
            mr[nm].n = e->count;
            mr[nm].key = e->value;
            mr[nm].idx = nm;
            nm++;
        }
    }
    a->label_names = names.n;
    struct sortrec *r = calloc(names.n ? names.n : 1, sizeof(*r));
    if (r != NULL) {
        const struct an_agg *v = names.v;
        for (size_t i = 0; i < names.n; i++)
            r[i] = (struct sortrec){v[i].uncovered, v[i].key, i};
        make_top(&a->value_lengths, r, names.n, limit, ix, 0);
        for (size_t i = 0; i < names.n; i++)
            r[i] = (struct sortrec){v[i].count, v[i].key, i};
        make_top(&a->cardinality_labels, r, names.n, limit, ix, 0);
        free(r);
    }
    make_top(&a->cardinality_metrics, mr, nm, limit, ix, 0);
out:
    free(mr);
    an_aggs_free(&names);
}

static void
stats_check(struct ps_tsdb_block *b, const struct ps_tsdb_analysis *a)
{
    if (!b->meta_ok)
        return;
    char *mp = ps_tsdb_join(b->dir, "meta.json");
    const struct ps_tsdb_stats *s = &b->meta.stats;
    struct {
        const char *what;
        uint64_t meta, seen;
    } chk[] = {{"numSeries", s->num_series, a->series},
               {"numChunks", s->num_chunks, a->chunks},
               {"numSamples", s->num_samples, a->samples}};
    for (size_t i = 0; i < 3; i++)
        if (chk[i].meta != chk[i].seen)
            ps_diag_add(&b->diags, PS_SEV_WARN, PS_E_CORRUPT, mp, PS_OFF_NONE, 0,
                        "tsdb/meta-stats", "stats.%s is %llu, the index and chunks "
                        "hold %llu", chk[i].what, (unsigned long long)chk[i].meta,
                        (unsigned long long)chk[i].seen);
    if (b->has_tombstones && s->num_tombstones != b->tomb.n)
        ps_diag_add(&b->diags, PS_SEV_WARN, PS_E_CORRUPT, mp, PS_OFF_NONE, 0,
                    "tsdb/meta-stats", "stats.numTombstones is %llu, tombstones holds "
                    "%zu intervals", (unsigned long long)s->num_tombstones, b->tomb.n);
    free(mp);
}

/* Thanos "files": sizes must match what is on disk. */
static void
files_check(struct ps_tsdb_block *b)
{
    if (!b->meta_ok || !b->meta.has_thanos)
        return;
    for (size_t i = 0; i < b->meta.nfiles; i++) {
        const struct ps_tsdb_file *f = &b->meta.files[i];
        if (f->size_bytes < 0 || strstr(f->rel_path, "..") != NULL)
            continue;
        uint64_t have = 0;
        int found = 0;
        if (strcmp(f->rel_path, "index") == 0) {
            have = b->index_bytes;
            found = b->index_p != NULL || b->index_bytes == 0;
        } else {
            for (size_t k = 0; k < b->nsegs; k++) {
                const char *sp = strrchr(b->segs[k].path, '/');
                if (strncmp(f->rel_path, "chunks/", 7) == 0 && sp != NULL &&
                    strcmp(sp + 1, f->rel_path + 7) == 0) {
                    have = b->segs[k].n;
                    found = 1;
                }
            }
            if (strcmp(f->rel_path, "tombstones") == 0) {
                have = b->tombstone_bytes;
                found = b->has_tombstones;
            }
        }
        char *p = ps_tsdb_join(b->dir, f->rel_path);
        if (!found)
            ps_diag_add(&b->diags, PS_SEV_ERROR, PS_E_IO, p, PS_OFF_NONE, 0,
                        "tsdb/thanos-files", "listed in thanos.files (%lld bytes) but "
                        "missing", (long long)f->size_bytes);
        else if (have != (uint64_t)f->size_bytes)
            ps_diag_add(&b->diags, PS_SEV_ERROR, PS_E_CORRUPT, p, PS_OFF_NONE, 0,
                        "tsdb/thanos-files", "%llu bytes on disk, thanos.files says %lld",
                        (unsigned long long)have, (long long)f->size_bytes);
        free(p);
    }
}

/* ---- ranges, threads, merge -------------------------------------- */

static void
mm_merge(struct ps_tsdb_minmax *d, const struct ps_tsdb_minmax *s)
{
    if (s->n == 0)
        return;
    if (d->n == 0 || s->min < d->min)
        d->min = s->min;
    if (d->n == 0 || s->max > d->max)
        d->max = s->max;
    d->sum += s->sum;
    d->n += s->n;
}

/* Add the counters and statistics of one range (called in list order). */
static void
counters_add(struct ps_tsdb_analysis *d, const struct ps_tsdb_analysis *s)
{
    d->postings_entries += s->postings_entries;
    for (int i = 0; i < PS_TSDB_HIST_BUCKETS; i++)
        d->fullness[i] += s->fullness[i];
    d->series += s->series;
    d->chunks += s->chunks;
    d->samples += s->samples;
    d->float_samples += s->float_samples;
    d->histogram_samples += s->histogram_samples;
    d->chunk_bytes += s->chunk_bytes;
    for (int i = 0; i < 8; i++)
        d->chunks_by_enc[i] += s->chunks_by_enc[i];
    d->samples_decoded += s->samples_decoded;
    mm_merge(&d->samples_per_chunk, &s->samples_per_chunk);
    mm_merge(&d->bytes_per_chunk, &s->bytes_per_chunk);
    mm_merge(&d->bytes_per_sample, &s->bytes_per_sample);
    d->crc_failures += s->crc_failures;
    d->gap_series += s->gap_series;
    d->gaps += s->gaps;
    d->gap_missed_samples += s->gap_missed_samples;
    d->gap_ms = (int64_t)((uint64_t)d->gap_ms + (uint64_t)s->gap_ms); /* wraps, never UB */
    d->decode_errors += s->decode_errors;
    d->series_errors += s->series_errors;
}

/* Fold worker src's integer sums into dst (order does not matter). */
static enum ps_err
worker_add(struct an_worker *dst, const struct an_worker *src, size_t npt)
{
    for (size_t i = 0; i < npt; i++) {
        dst->pt_unc[i] += src->pt_unc[i];
        dst->pt_cnt[i] += src->pt_cnt[i];
    }
    enum ps_err e = an_aggs_add(&dst->pairs, &src->pairs);
    return e != PS_OK ? e : an_aggs_add(&dst->names, &src->names);
}

/*
 * Would one front-to-back pass have read the same chunks? Each range
 * started its ref-order check with nothing read; one pass would have
 * started from the end of the last chunk the ranges before it read. That
 * made no difference exactly when no ref a range checked lies before
 * that point (analyze_range.c keeps the lowest ref checked per segment).
 */
static int
ranges_independent(const struct an_range *r, size_t nr, size_t nsegs)
{
    for (size_t sg = 0; sg < nsegs; sg++) {
        uint64_t carry = 0;
        for (size_t i = 0; i < nr; i++) {
            if (r[i].seg_min[sg] < carry)
                return 0;
            if (r[i].seg_hi[sg] != 0)
                carry = r[i].seg_hi[sg];
        }
    }
    return 1;
}

struct run_ctx {
    const struct ps_tsdb_block *b;
    const struct ps_tsdb_opts *o;
    struct an_range *r;
    struct an_worker *w;              /* one per pool thread */
    int *w_ready;
};

static void
run_one(void *ctx, size_t i, size_t thread)
{
    struct run_ctx *c = ctx;
    if (!c->w_ready[thread]) {
        if (an_worker_init(&c->w[thread], c->b) != PS_OK) {
            c->r[i].rc = PS_E_NOMEM;
            return;
        }
        c->w_ready[thread] = 1;
    }
    an_range_run(c->b, c->o, &c->w[thread], &c->r[i]);
}

/*
 * Run the block's series as nr ranges on the threads of o->pool (or of a
 * pool of o->threads made for this block). On PS_OK, r[] holds the
 * per-range results and *w every thread's sums (the caller frees both);
 * on failure nothing is left to free.
 */
static enum ps_err
run_ranges(const struct ps_tsdb_block *b, const struct ps_tsdb_opts *o,
           struct an_range *r, size_t nr, struct an_worker *w)
{
    size_t nall = b->index.nall;
    for (size_t i = 0; i < nr; i++)
        if (an_range_init(&r[i], b, nall * i / nr, nall * (i + 1) / nr) != PS_OK) {
            for (size_t k = 0; k < i; k++)
                an_range_free(&r[k]);
            return PS_E_NOMEM;
        }
    struct ps_pool *own = NULL, *pool = o->pool;
    if (pool == NULL && nr > 1 && o->threads != 1)
        pool = own = ps_pool_new(o->threads);
    size_t nt = ps_pool_size(pool);
    struct run_ctx c = {b, o, r, calloc(nt, sizeof(struct an_worker)),
                        calloc(nt, sizeof(int))};
    /* thread 0's sums take everyone else's, so it exists even if the
       other threads run every range */
    enum ps_err rc = c.w != NULL && c.w_ready != NULL ? an_worker_init(&c.w[0], b)
                                                      : PS_E_NOMEM;
    if (rc == PS_OK) {
        c.w_ready[0] = 1;
        ps_pool_run(pool, run_one, &c, nr);
    }
    ps_pool_free(own);
    for (size_t i = 0; rc == PS_OK && i < nr; i++)
        rc = r[i].rc;
    for (size_t i = 1; rc == PS_OK && i < nt; i++)
        if (c.w_ready[i])
            rc = worker_add(&c.w[0], &c.w[i], b->index.npt);
    for (size_t i = 0; i < nt && c.w_ready != NULL; i++)
        if (c.w_ready[i] && (i > 0 || rc != PS_OK))
            an_worker_free(&c.w[i]);
    if (rc == PS_OK)
        *w = c.w[0];
    else
        for (size_t i = 0; i < nr; i++)
            an_range_free(&r[i]);
    free(c.w);
    free(c.w_ready);
    return rc;
}

/*
 * promtool's churn is uint64(float64(sum) / float64(maxT - minT)) in Go,
 * which on amd64 (what promtool is built for) is defined for every
 * float64: below 2^63 it truncates through a signed 64-bit conversion,
 * from 2^63 on it converts x - 2^63 and sets the top bit, and the signed
 * conversion gives INT64_MIN for NaN and out-of-range values. In C that
 * cast is undefined outside [0, 2^64), and a block's duration can be 0
 * (x/0: +Inf, 0/0: NaN) or negative (maxTime before minTime), so the Go
 * rule is spelt out: promtool 2.42 prints 9223372036854775808 for a
 * duration of 0, and wrapped values for a negative one; so does this.
 */
static int64_t
go_cvtt(double x)
{
    return x >= -9223372036854775808.0 && x < 9223372036854775808.0 ? (int64_t)x
                                                                      : INT64_MIN;
}

static uint64_t
go_churn(uint64_t unc, double fd)
{
    double x = (double)unc / fd;
    if (x < 9223372036854775808.0)
        return (uint64_t)go_cvtt(x);
    return (uint64_t)go_cvtt(x - 9223372036854775808.0) | UINT64_C(1) << 63;
}

/* The top lists made from the label-pair and label-name sums. */
static void
pair_lists(const struct ps_tsdb_index *ix, const struct an_worker *w, uint64_t dur,
           size_t limit, struct ps_tsdb_analysis *a)
{
    size_t np = w->pairs.n;
    for (size_t i = 0; i < ix->npt; i++)
        np += w->pt_cnt[i] > 0;
    a->postings_unique = np;
    double fd = (double)(int64_t)dur;
    struct sortrec *r = calloc(np ? np : 1, sizeof(*r));
    if (r != NULL) {
        size_t k = 0;
        for (size_t i = 0; i < ix->npt; i++)
            if (w->pt_cnt[i] > 0)
                r[k++] = (struct sortrec){go_churn(w->pt_unc[i], fd),
                                          (uint64_t)ix->pt[i].name << 32 | ix->pt[i].value, i};
        for (size_t i = 0; i < w->pairs.n; i++)
            r[k++] = (struct sortrec){go_churn(w->pairs.v[i].uncovered, fd),
                                      w->pairs.v[i].key, i};
        make_top(&a->churn_pairs, r, np, limit, ix, 1);
        k = 0;
        for (size_t i = 0; i < ix->npt; i++)
            if (w->pt_cnt[i] > 0)
                r[k++] = (struct sortrec){w->pt_cnt[i],
                                          (uint64_t)ix->pt[i].name << 32 | ix->pt[i].value, i};
        for (size_t i = 0; i < w->pairs.n; i++)
            r[k++] = (struct sortrec){w->pairs.v[i].count, w->pairs.v[i].key, i};
        make_top(&a->common_pairs, r, np, limit, ix, 1);
        free(r);
    }
    r = calloc(w->names.n ? w->names.n : 1, sizeof(*r));
    if (r != NULL) {
        for (size_t i = 0; i < w->names.n; i++)
            r[i] = (struct sortrec){go_churn(w->names.v[i].uncovered, fd),
                                    w->names.v[i].key, i};
        make_top(&a->churn_names, r, w->names.n, limit, ix, 0);
        free(r);
    }
}

enum ps_err
ps_tsdb_block_analyze(struct ps_tsdb_block *b, const struct ps_tsdb_opts *o,
                      struct ps_tsdb_analysis *a)
{
    memset(a, 0, sizeof(*a));
    struct ps_tsdb_opts defo = {.decode = 1, .gaps = 1, .limit = 20};
    if (o == NULL)
        o = &defo;
    a->duration_ms = ps_sub_wrap(b->meta.max_time, b->meta.min_time);
    a->series_meta = b->meta.stats.num_series;
    files_check(b);
    if (!b->index_ok) {
        stats_check(b, a);
        return PS_OK;
    }
    const struct ps_tsdb_index *ix = &b->index;
    uint64_t dur = (uint64_t)ps_sub_wrap(b->meta.max_time, b->meta.min_time);
    size_t nr = ix->nall / RANGE_MIN_SERIES;
    nr = nr < 1 ? 1 : nr > RANGES_MAX ? RANGES_MAX : nr;
    struct an_range r[RANGES_MAX];
    struct an_worker w;
    enum ps_err rc = run_ranges(b, o, r, nr, &w);
    if (rc == PS_OK && nr > 1 && !ranges_independent(r, nr, b->nsegs)) {
        for (size_t i = 0; i < nr; i++)
            an_range_free(&r[i]);
        an_worker_free(&w);
        nr = 1;
        rc = run_ranges(b, o, r, nr, &w);
    }
    if (rc != PS_OK)
        return rc;
    /* in list order: findings, counters and sums, gap intervals */
    struct an_gap *gaps = NULL;
    size_t ngaps = 0, gcap = 0;
    for (size_t i = 0; i < nr; i++) {
        ps_diags_merge(&b->diags, &r[i].diags);
        counters_add(a, &r[i].a);
        size_t take = r[i].ngaps;
        if (take > AN_MAX_GAP_INTERVALS - ngaps)
            take = AN_MAX_GAP_INTERVALS - ngaps;
        if (take > 0 &&
            ps_grow((void **)&gaps, &gcap, ngaps + take, sizeof(*gaps)) == PS_OK) {
            memcpy(gaps + ngaps, r[i].gaps, take * sizeof(*gaps));
            ngaps += take;
        }
        an_range_free(&r[i]);
    }
    pair_lists(ix, &w, dur, o->limit, a);
    an_worker_free(&w);
    table_lists(ix, o->limit, a);
    common_gap(gaps, ngaps, a);
    free(gaps);
    stats_check(b, a);
    /* newer and Thanos encodings: counted, flagged, never mis-read */
    static const char *const late[] = {"XOR2 (4)", "histogramST (5)",
                                       "floathistogramST (6)",
                                       "Thanos aggregate (0xFF) or unknown"};
    for (int e = 4; e < 8; e++)
        if (a->chunks_by_enc[e] > 0)
            ps_diag_add(&b->diags, PS_SEV_NOTE, PS_E_UNSUPPORTED, b->dir, PS_OFF_NONE, 0,
                        "tsdb/chunk-encoding", "%llu %s chunks counted from their "
                        "headers, not decoded", (unsigned long long)a->chunks_by_enc[e],
                        late[e - 4]);
    return PS_OK;
}

static void
top_free(struct ps_tsdb_top *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i].name);
    free(t->v);
    t->v = NULL;
    t->n = 0;
}

void
ps_tsdb_analysis_free(struct ps_tsdb_analysis *a)
{
    if (a == NULL)
        return;
    top_free(&a->churn_pairs);
    top_free(&a->churn_names);
    top_free(&a->common_pairs);
    top_free(&a->value_lengths);
    top_free(&a->cardinality_labels);
    top_free(&a->cardinality_metrics);
}

