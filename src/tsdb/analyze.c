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
 *   - chunk statistics (samples, bytes per chunk and per sample);
 *   - the per-block health checks (diagnostics with phase "tsdb/<check>");
 *   - the gap check: each series' expected interval is the median of its
 *     sample deltas; a delta above 1.5x that is a gap of
 *     round(delta/interval)-1 missed samples.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "promsight/ps_tsdb.h"
#include "promsight/ps_util.h"
#include "tsdb/tsdb_int.h"

#define MAX_SAMPLES_PER_CHUNK 120
#define MAX_GAP_INTERVALS 1000000

struct agg {            /* per label pair or label name */
    uint64_t key;
    uint64_t uncovered;
    uint64_t count;
};

struct gapiv {
    int64_t start, end;
};

struct ctx {
    struct ps_tsdb_block *b;
    const struct ps_tsdb_opts *o;
    struct ps_tsdb_analysis *a;
    struct ps_map64 pairs, names;      /* key -> index+1 into agg arrays */
    struct agg *pv, *nv;
    size_t npv, pcap, nnv, ncap;
    int64_t *ts;                       /* timestamps of the current series */
    size_t nts, tscap;
    int64_t *deltas;
    size_t dcap;
    struct gapiv *gaps;
    size_t ngaps, gcap;
    uint32_t *prev_lbl;
    size_t prev_n, prev_cap;
    int have_prev;
    uint64_t *seg_hi;                  /* per segment: end of the last chunk read */
    uint64_t *pt_unc;                  /* per postings table row */
    uint32_t *pt_cnt;
    struct pcache {                    /* per label position: last pair */
        uint64_t key;
        int64_t row;                   /* pt row, or -(extra index)-2 */
        uint32_t name_idx;
    } pc[64];
};

static void
mm_add(struct ps_tsdb_minmax *m, double x)
{
    if (m->n == 0 || x < m->min)
        m->min = x;
    if (m->n == 0 || x > m->max)
        m->max = x;
    m->sum += x;
    m->n++;
}

static struct agg *
agg_get(struct ps_map64 *m, struct agg **v, size_t *n, size_t *cap, uint64_t key)
{
    int ins = 0;
    uint64_t *slot = ps_map64_slot(m, key, &ins);
    if (slot == NULL)
        return NULL;
    if (ins) {
        if (*n == *cap && ps_grow((void **)v, cap, *n + 1, sizeof(struct agg)) != PS_OK)
            return NULL;
        (*v)[*n].key = key;
        (*v)[*n].uncovered = 0;
        (*v)[*n].count = 0;
        *slot = ++*n;
    }
    return &(*v)[*slot - 1];
}

/* k-th smallest of v[0..n) (Hoare's selection; reorders v). */
static int64_t
select_k(int64_t *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        int64_t piv = v[lo + (hi - lo) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < piv)
                i++;
            while (v[j] > piv)
                j--;
            if (i <= j) {
                int64_t t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            break;
    }
    return v[k];
}

static void
series_gaps(struct ctx *c)
{
    size_t n = c->nts;
    if (n < 3)
        return;
    if (n - 1 > c->dcap &&
        ps_grow((void **)&c->deltas, &c->dcap, n - 1, sizeof(int64_t)) != PS_OK)
        return;
    int same = 1;
    for (size_t i = 1; i < n; i++) {
        c->deltas[i - 1] = c->ts[i] - c->ts[i - 1];
        same &= c->deltas[i - 1] == c->deltas[0];
    }
    if (same)
        return; /* a perfectly regular series has no gap */
    int64_t exp = select_k(c->deltas, n - 1, (n - 2) / 2);
    if (exp <= 0)
        return;
    int had = 0;
    for (size_t i = 1; i < n; i++) {
        int64_t d = c->ts[i] - c->ts[i - 1];
        if (d <= exp + exp / 2)
            continue;
        had = 1;
        c->a->gaps++;
        c->a->gap_missed_samples += (uint64_t)((d + exp / 2) / exp - 1);
        c->a->gap_ms += d - exp;
        if (c->ngaps < MAX_GAP_INTERVALS) {
            if (c->ngaps == c->gcap &&
                ps_grow((void **)&c->gaps, &c->gcap, c->ngaps + 1, sizeof(*c->gaps)) !=
                    PS_OK)
                continue;
            c->gaps[c->ngaps].start = c->ts[i - 1];
            c->gaps[c->ngaps].end = c->ts[i];
            c->ngaps++;
        }
    }
    if (had)
        c->a->gap_series++;
}

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
common_gap(struct ctx *c)
{
    if (c->ngaps == 0)
        return;
    struct ev *e = malloc(c->ngaps * 2 * sizeof(*e));
    if (e == NULL)
        return;
    for (size_t i = 0; i < c->ngaps; i++) {
        e[2 * i].t = c->gaps[i].start;
        e[2 * i].d = 1;
        e[2 * i + 1].t = c->gaps[i].end;
        e[2 * i + 1].d = -1;
    }
    qsort(e, c->ngaps * 2, sizeof(*e), cmp_ev);
    int64_t cur = 0, best = 0;
    for (size_t i = 0; i + 1 < c->ngaps * 2; i++) {
        cur += e[i].d;
        if (cur > best) {
            best = cur;
            c->a->common_gap_start = e[i].t;
            c->a->common_gap_end = e[i + 1].t;
        }
    }
    c->a->common_gap_series = (uint64_t)best;
    free(e);
}

static void
check_labels(struct ctx *c, const struct ps_tsdb_series *s, uint32_t ref)
{
    struct ps_tsdb_block *b = c->b;
    for (size_t i = 1; i < s->nlabels; i++) {
        if (s->lbl[2 * i] <= s->lbl[2 * i - 2]) {
            struct ps_tsdb_str n1 = ps_tsdb_index_sym(&b->index, s->lbl[2 * i - 2]);
            struct ps_tsdb_str n2 = ps_tsdb_index_sym(&b->index, s->lbl[2 * i]);
            ps_diag_add(&b->diags, PS_SEV_ERROR, PS_E_CORRUPT, b->index_path, s->off, 0,
                        "tsdb/label-order", "series %u: label '%.*s' follows '%.*s' "
                        "(names must be sorted and unique)", ref, (int)n2.n, n2.p,
                        (int)n1.n, n1.p);
            break;
        }
    }
    /* series must be sorted by label set: ordinals follow string order */
    if (c->have_prev) {
        size_t m = c->prev_n < 2 * s->nlabels ? c->prev_n : 2 * s->nlabels;
        int cmp = 0;
        for (size_t i = 0; i < m && cmp == 0; i++)
            cmp = (s->lbl[i] > c->prev_lbl[i]) - (s->lbl[i] < c->prev_lbl[i]);
        if (cmp == 0)
            cmp = (2 * s->nlabels > c->prev_n) - (2 * s->nlabels < c->prev_n);
        if (cmp <= 0)
            ps_diag_add(&b->diags, PS_SEV_ERROR, PS_E_CORRUPT, b->index_path, s->off, 0,
                        cmp == 0 ? "tsdb/duplicate-series" : "tsdb/series-order",
                        cmp == 0 ? "series %u has the same label set as the one before"
                                 : "series %u sorts before the series listed before it",
                        ref);
    }
    c->have_prev = 1;
    if (2 * s->nlabels > c->prev_cap &&
        ps_grow((void **)&c->prev_lbl, &c->prev_cap, 2 * s->nlabels, sizeof(uint32_t)) !=
            PS_OK)
        return;
    if (s->nlabels > 0)
        memcpy(c->prev_lbl, s->lbl, 2 * s->nlabels * sizeof(uint32_t));
    c->prev_n = 2 * s->nlabels;
}

static void
do_chunks(struct ctx *c, const struct ps_tsdb_series *s, uint32_t ref)
{
    struct ps_tsdb_block *b = c->b;
    struct ps_tsdb_analysis *a = c->a;
    const struct ps_tsdb_meta *m = &b->meta;
    c->nts = 0;
    for (size_t i = 0; i < s->nchunks; i++) {
        const struct ps_tsdb_chunk_meta *cm = &s->chk[i];
        if (cm->max_time < cm->min_time)
            ps_diag_add(&b->diags, PS_SEV_ERROR, PS_E_CORRUPT, b->index_path, s->off, 0,
                        "tsdb/chunk-order", "series %u chunk %zu: maxt %lld before "
                        "mint %lld", ref, i, (long long)cm->max_time,
                        (long long)cm->min_time);
        if (i > 0) {
            const struct ps_tsdb_chunk_meta *pm = &s->chk[i - 1];
            if (cm->min_time == pm->min_time && cm->max_time == pm->max_time)
                ps_diag_add(&b->diags, PS_SEV_ERROR, PS_E_CORRUPT, b->index_path,
                            s->off, 0, "tsdb/duplicate-chunk",
                            "series %u chunk %zu: same time range as chunk %zu", ref, i,
                            i - 1);
            else if (cm->min_time <= pm->max_time)
                ps_diag_add(&b->diags, PS_SEV_ERROR, PS_E_CORRUPT, b->index_path,
                            s->off, 0, "tsdb/chunk-order",
                            "series %u chunk %zu: mint %lld not after the previous "
                            "chunk's maxt %lld (out of order or overlapping)", ref, i,
                            (long long)cm->min_time, (long long)pm->max_time);
        }
        if (b->meta_ok && (cm->min_time < m->min_time || cm->max_time > m->max_time))
            ps_diag_add(&b->diags, PS_SEV_ERROR, PS_E_CORRUPT, b->index_path, s->off, 0,
                        "tsdb/chunk-outside-block", "series %u chunk %zu: [%lld, %lld] "
                        "outside the block's [%lld, %lld)", ref, i,
                        (long long)cm->min_time, (long long)cm->max_time,
                        (long long)m->min_time, (long long)m->max_time);
        a->chunks++;
        uint64_t sg = cm->ref >> 32, off = cm->ref & 0xffffffffu;
        if (sg >= b->nsegs || b->segs[sg].p == NULL) {
            ps_diag_add(&b->diags, PS_SEV_ERROR, PS_E_CORRUPT, b->index_path, s->off, 0,
                        "tsdb/chunk-missing-segment",
                        "series %u chunk %zu: ref 0x%llx names segment index %llu, "
                        "but chunks/ has %zu readable file(s)", ref, i,
                        (unsigned long long)cm->ref, (unsigned long long)sg, b->nsegs);
            continue;
        }
        /* Writers lay chunks out in series order, so refs only grow and
           chunks never overlap. A ref into an already read range is a
           finding and is not read again: that bounds the work to the size
           of the chunk files whatever the index says. */
        if (c->seg_hi != NULL && off < c->seg_hi[sg]) {
            ps_diag_add(&b->diags, PS_SEV_ERROR, PS_E_CORRUPT, b->index_path, s->off, 0,
                        "tsdb/chunk-ref-order",
                        "series %u chunk %zu: ref 0x%llx points before the end of the "
                        "previous chunk read from segment %llu (offset %llu); not read "
                        "again", ref, i, (unsigned long long)cm->ref,
                        (unsigned long long)sg, (unsigned long long)c->seg_hi[sg]);
            continue;
        }
        struct ps_tsdb_chunk ch;
        if (ps_tsdb_chunk_at(&b->segs[sg], off, &ch) != PS_OK) {
            ps_diag_add(&b->diags, PS_SEV_ERROR, PS_E_TRUNCATED, b->segs[sg].path, off, 0,
                        "tsdb/chunk-ref", "series %u chunk %zu: no complete chunk at "
                        "offset %llu (file has %zu bytes)", ref, i,
                        (unsigned long long)off, b->segs[sg].n);
            continue;
        }
        if (c->seg_hi != NULL)
            c->seg_hi[sg] = off + ch.total;
        if (!ch.crc_ok) {
            a->crc_failures++;
            ps_diag_add(&b->diags, PS_SEV_ERROR, PS_E_CORRUPT, b->segs[sg].path,
                        off + ch.total - 4, 0, "tsdb/chunk-crc",
                        "chunk at offset %llu (series %u): CRC32C mismatch",
                        (unsigned long long)off, ref);
        }
        a->chunks_by_enc[ch.enc <= 6 ? ch.enc : 7]++;
        a->chunk_bytes += ch.len;
        int ns = ps_tsdb_chunk_num_samples(ch.enc, ch.data, ch.len);
        if (ns < 0) {
            if (ch.enc == PS_TSDB_ENC_THANOS_AGGR)
                continue; /* counted, never decoded as something else */
            ps_diag_add(&b->diags, PS_SEV_WARN, PS_E_UNSUPPORTED, b->segs[sg].path, off,
                        0, "tsdb/chunk-encoding", "chunk encoding %u (%s) is not known",
                        ch.enc, ps_tsdb_enc_name(ch.enc));
            continue;
        }
        a->samples += (uint64_t)ns;
        if (ch.enc == PS_TSDB_ENC_XOR || ch.enc == PS_TSDB_ENC_XOR2)
            a->float_samples += (uint64_t)ns;
        else
            a->histogram_samples += (uint64_t)ns;
        mm_add(&a->samples_per_chunk, ns);
        mm_add(&a->bytes_per_chunk, (double)ch.len);
        if (ns > 0) {
            mm_add(&a->bytes_per_sample, (double)ch.len / ns);
            double sz = fmin((double)ns, MAX_SAMPLES_PER_CHUNK);
            int bucket = (int)ceil(PS_TSDB_HIST_BUCKETS * sz / MAX_SAMPLES_PER_CHUNK) - 1;
            if (bucket >= 0 && bucket < PS_TSDB_HIST_BUCKETS)
                a->fullness[bucket]++;
        }
        if (!c->o->decode ||
            (ch.enc != PS_TSDB_ENC_XOR && ch.enc != PS_TSDB_ENC_HISTOGRAM &&
             ch.enc != PS_TSDB_ENC_FLOAT_HISTOGRAM))
            continue;
        const char *ename = ps_tsdb_enc_name(ch.enc);
        size_t need = c->nts + (size_t)ns;
        if (need > c->tscap &&
            ps_grow((void **)&c->ts, &c->tscap, need, sizeof(int64_t)) != PS_OK)
            continue;
        int64_t *t = c->ts + c->nts, first = 0, last = 0;
        size_t k = 0;
        enum ps_err e = ch.enc == PS_TSDB_ENC_XOR
                            ? ps_tsdb_xor_decode(ch.data, ch.len, t, NULL, (size_t)ns, &k)
                            : ps_tsdb_hist_timestamps(ch.enc, ch.data, ch.len, t,
                                                      (size_t)ns, &k);
        int bad_order = 0;
        for (size_t q = 1; q < k; q++)
            bad_order |= t[q] <= t[q - 1];
        if (k > 0) {
            first = t[0];
            last = t[k - 1];
        }
        if (c->o->gaps)
            c->nts += k;
        if (e == PS_OK)
            e = PS_DONE;
        a->samples_decoded += k;
        if (e != PS_DONE) {
            a->decode_errors++;
            ps_diag_add(&b->diags, PS_SEV_ERROR, e, b->segs[sg].path, off, 0,
                        "tsdb/chunk-decode", "%s chunk (series %u): %s after %llu of "
                        "%d samples", ename, ref, ps_strerror(e), (unsigned long long)k, ns);
        } else if (bad_order) {
            ps_diag_add(&b->diags, PS_SEV_ERROR, PS_E_CORRUPT, b->segs[sg].path, off, 0,
                        "tsdb/sample-order", "%s chunk (series %u): timestamps not "
                        "strictly increasing", ename, ref);
        } else if (k > 0 && (first != cm->min_time || last != cm->max_time)) {
            ps_diag_add(&b->diags, PS_SEV_ERROR, PS_E_CORRUPT, b->segs[sg].path, off, 0,
                        "tsdb/chunk-meta-mismatch", "%s chunk (series %u): samples "
                        "span [%lld, %lld], the index says [%lld, %lld]", ename, ref,
                        (long long)first, (long long)last, (long long)cm->min_time,
                        (long long)cm->max_time);
        }
    }
    if (c->o->gaps)
        series_gaps(c);
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
table_lists(struct ctx *c)
{
    const struct ps_tsdb_index *ix = &c->b->index;
    struct ps_tsdb_analysis *a = c->a;
    struct ps_map64 names = {0};
    struct agg *v = NULL; /* uncovered = value length sum, count = #values */
    size_t nv = 0, cap = 0;
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
        struct agg *g = agg_get(&names, &v, &nv, &cap, e->name);
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
    a->label_names = nv;
    struct sortrec *r = calloc(nv ? nv : 1, sizeof(*r));
    if (r != NULL) {
        for (size_t i = 0; i < nv; i++)
            r[i] = (struct sortrec){v[i].uncovered, v[i].key, i};
        make_top(&a->value_lengths, r, nv, c->o->limit, ix, 0);
        for (size_t i = 0; i < nv; i++)
            r[i] = (struct sortrec){v[i].count, v[i].key, i};
        make_top(&a->cardinality_labels, r, nv, c->o->limit, ix, 0);
        free(r);
    }
    make_top(&a->cardinality_metrics, mr, nm, c->o->limit, ix, 0);
out:
    free(mr);
    free(v);
    ps_map64_free(&names);
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

enum ps_err
ps_tsdb_block_analyze(struct ps_tsdb_block *b, const struct ps_tsdb_opts *o,
                      struct ps_tsdb_analysis *a)
{
    memset(a, 0, sizeof(*a));
    struct ps_tsdb_opts defo = {1, 1, 20};
    if (o == NULL)
        o = &defo;
    struct ctx c = {0};
    c.b = b;
    c.o = o;
    c.a = a;
    a->duration_ms = b->meta.max_time - b->meta.min_time;
    a->series_meta = b->meta.stats.num_series;
    files_check(b);
    if (!b->index_ok) {
        stats_check(b, a);
        return PS_OK;
    }
    const struct ps_tsdb_index *ix = &b->index;
    uint64_t dur = (uint64_t)(b->meta.max_time - b->meta.min_time);
    struct ps_tsdb_series s = {0};
    enum ps_err rc = PS_OK;
    c.pt_unc = calloc(ix->npt ? ix->npt : 1, sizeof(uint64_t));
    c.pt_cnt = calloc(ix->npt ? ix->npt : 1, sizeof(uint32_t));
    if (c.pt_unc == NULL || c.pt_cnt == NULL) {
        free(c.pt_unc);
        free(c.pt_cnt);
        return PS_E_NOMEM;
    }
    for (size_t l = 0; l < 64; l++)
        c.pc[l].row = -1;
    c.seg_hi = calloc(b->nsegs ? b->nsegs : 1, sizeof(uint64_t));
    for (size_t i = 0; i < ix->nall; i++) {
        if ((i & 4095) == 4095) {
            /* the series section and the chunks are read front to back:
               let the pages already done leave the RSS */
            if (b->index_mapped && s.off > ix->toc.series)
                ps_tsdb_drop_pages(b->index_p, (size_t)ix->toc.series, (size_t)s.off);
            for (size_t k = 0; c.seg_hi != NULL && k < b->nsegs; k++)
                if (b->seg_mapped[k])
                    ps_tsdb_drop_pages(b->seg_p[k], PS_TSDB_SEG_HEADER,
                                       (size_t)c.seg_hi[k]);
        }
        uint32_t ref = ix->all[i];
        enum ps_err e = ps_tsdb_index_series(ix, ref, &s, &b->diags);
        if (e == PS_E_NOMEM) {
            rc = e;
            break;
        }
        if (e != PS_OK) {
            a->series_errors++;
            continue;
        }
        a->series++;
        check_labels(&c, &s, ref);
        if (s.nchunks == 0) {
            ps_diag_add(&b->diags, PS_SEV_WARN, PS_E_CORRUPT, b->index_path, s.off, 0,
                        "tsdb/series-no-chunks", "series %u has no chunks", ref);
            continue;
        }
        uint64_t unc = dur - (uint64_t)(s.chk[s.nchunks - 1].max_time - s.chk[0].min_time);
        for (size_t l = 0; l < s.nlabels; l++) {
            uint32_t nm = s.lbl[2 * l], vl = s.lbl[2 * l + 1];
            uint64_t key = (uint64_t)nm << 32 | vl;
            struct pcache *pc = l < 64 ? &c.pc[l] : NULL;
            int64_t row;
            uint32_t ni;
            if (pc != NULL && pc->row != -1 && pc->key == key) {
                row = pc->row;
                ni = pc->name_idx;
            } else {
                row = ps_tsdb_index_pair(ix, nm, vl);
                if (row < 0) { /* a pair with no postings list: damaged index */
                    struct agg *g = agg_get(&c.pairs, &c.pv, &c.npv, &c.pcap, key);
                    if (g == NULL) {
                        rc = PS_E_NOMEM;
                        break;
                    }
                    row = -(int64_t)(g - c.pv) - 2;
                }
                struct agg *h = agg_get(&c.names, &c.nv, &c.nnv, &c.ncap, nm);
                if (h == NULL) {
                    rc = PS_E_NOMEM;
                    break;
                }
                ni = (uint32_t)(h - c.nv);
                if (pc != NULL) {
                    pc->key = key;
                    pc->row = row;
                    pc->name_idx = ni;
                }
            }
            if (row >= 0) {
                c.pt_unc[row] += unc;
                c.pt_cnt[row]++;
            } else {
                c.pv[-row - 2].uncovered += unc;
                c.pv[-row - 2].count++;
            }
            c.nv[ni].uncovered += unc;
            a->postings_entries++;
        }
        do_chunks(&c, &s, ref);
    }
    ps_tsdb_series_free(&s);
    size_t np = c.npv;
    for (size_t i = 0; i < ix->npt; i++)
        np += c.pt_cnt[i] > 0;
    a->postings_unique = np;
    double fd = (double)(int64_t)dur;
    struct sortrec *r = calloc(np ? np : 1, sizeof(*r));
    if (r != NULL) {
        size_t k = 0;
        for (size_t i = 0; i < ix->npt; i++)
            if (c.pt_cnt[i] > 0)
                r[k++] = (struct sortrec){(uint64_t)((double)c.pt_unc[i] / fd),
                                          (uint64_t)ix->pt[i].name << 32 | ix->pt[i].value, i};
        for (size_t i = 0; i < c.npv; i++)
            r[k++] = (struct sortrec){(uint64_t)((double)c.pv[i].uncovered / fd),
                                      c.pv[i].key, i};
        make_top(&a->churn_pairs, r, np, o->limit, ix, 1);
        k = 0;
        for (size_t i = 0; i < ix->npt; i++)
            if (c.pt_cnt[i] > 0)
                r[k++] = (struct sortrec){c.pt_cnt[i],
                                          (uint64_t)ix->pt[i].name << 32 | ix->pt[i].value, i};
        for (size_t i = 0; i < c.npv; i++)
            r[k++] = (struct sortrec){c.pv[i].count, c.pv[i].key, i};
        make_top(&a->common_pairs, r, np, o->limit, ix, 1);
        free(r);
    }
    free(c.pt_unc);
    free(c.pt_cnt);
    free(c.seg_hi);
    r = calloc(c.nnv ? c.nnv : 1, sizeof(*r));
    if (r != NULL) {
        for (size_t i = 0; i < c.nnv; i++)
            r[i] = (struct sortrec){(uint64_t)((double)c.nv[i].uncovered / fd),
                                    c.nv[i].key, i};
        make_top(&a->churn_names, r, c.nnv, o->limit, ix, 0);
        free(r);
    }
    table_lists(&c);
    common_gap(&c);
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
    ps_map64_free(&c.pairs);
    ps_map64_free(&c.names);
    free(c.pv);
    free(c.nv);
    free(c.ts);
    free(c.deltas);
    free(c.gaps);
    free(c.prev_lbl);
    return rc;
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
