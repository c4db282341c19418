/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * analyze_range.c - the per-series half of the block analysis, over one
 * contiguous range of the all-postings list (analyze.c explains the whole
 * pass and merges the ranges). For each series entry:
 *   - the label checks (names sorted and unique, series sorted by label
 *     set, no duplicates), against the last good series before it - the
 *     range starts from the one just before its first series;
 *   - promtool's per-pair and per-name "uncovered" sums and pair counts;
 *   - every chunk it references: range checks against the block, ref
 *     order, header and CRC, statistics, and for XOR and histogram chunks
 *     full decoding with sample-order and index-time checks;
 *   - the gap check: each series' expected interval is the median of its
 *     sample deltas; a delta above 1.5x that is a gap of
 *     round(delta/interval)-1 missed samples.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "promsight/ps_tsdb.h"
#include "promsight/ps_util.h"
#include "tsdb/analyze_int.h"
#include "tsdb/tsdb_int.h"

#define MAX_SAMPLES_PER_CHUNK 120
/* Every this many series a range lets the pages it has finished with
   leave the RSS (the series section and chunks are read front to back). */
#define DROP_EVERY 4096

enum ps_err
an_worker_init(struct an_worker *w, const struct ps_tsdb_block *b)
{
    memset(w, 0, sizeof(*w));
    size_t npt = b->index.npt;
    w->pt_unc = calloc(npt ? npt : 1, sizeof(uint64_t));
    w->pt_cnt = calloc(npt ? npt : 1, sizeof(uint32_t));
    for (size_t l = 0; l < 64; l++)
        w->pc[l].row = -1;
    if (w->pt_unc == NULL || w->pt_cnt == NULL) {
        an_worker_free(w);
        return PS_E_NOMEM;
    }
    return PS_OK;
}

void
an_worker_free(struct an_worker *w)
{
    an_aggs_free(&w->pairs);
    an_aggs_free(&w->names);
    free(w->pt_unc);
    free(w->pt_cnt);
    ps_tsdb_series_free(&w->s);
    free(w->ts);
    free(w->deltas);
    memset(w, 0, sizeof(*w));
}

enum ps_err
an_range_init(struct an_range *r, const struct ps_tsdb_block *b, size_t lo, size_t hi)
{
    memset(r, 0, sizeof(*r));
    r->lo = lo;
    r->hi = hi;
    ps_diags_init(&r->diags);
    size_t n = b->nsegs ? b->nsegs : 1;
    r->seg_hi = calloc(n, sizeof(uint64_t));
    r->seg_min = malloc(n * sizeof(uint64_t));
    r->seg_lo = malloc(n * sizeof(uint64_t));
    if (r->seg_hi == NULL || r->seg_min == NULL || r->seg_lo == NULL) {
        an_range_free(r);
        return PS_E_NOMEM;
    }
    for (size_t i = 0; i < n; i++)
        r->seg_min[i] = r->seg_lo[i] = UINT64_MAX;
    return PS_OK;
}

void
an_range_free(struct an_range *r)
{
    ps_diags_free(&r->diags);
    free(r->gaps);
    free(r->prev_lbl);
    free(r->seg_hi);
    free(r->seg_min);
    free(r->seg_lo);
    memset(r, 0, sizeof(*r));
}

struct an_agg *
an_agg_get(struct an_aggs *a, uint64_t key)
{
    int ins = 0;
    uint64_t *slot = ps_map64_slot(&a->map, key, &ins);
    if (slot == NULL)
        return NULL;
    if (ins) {
        if (a->n == a->cap &&
            ps_grow((void **)&a->v, &a->cap, a->n + 1, sizeof(struct an_agg)) != PS_OK)
            return NULL;
        a->v[a->n].key = key;
        a->v[a->n].uncovered = 0;
        a->v[a->n].count = 0;
        *slot = ++a->n;
    }
    return &a->v[*slot - 1];
}

enum ps_err
an_aggs_add(struct an_aggs *dst, const struct an_aggs *src)
{
    for (size_t i = 0; i < src->n; i++) {
        struct an_agg *g = an_agg_get(dst, src->v[i].key);
        if (g == NULL)
            return PS_E_NOMEM;
        g->uncovered += src->v[i].uncovered;
        g->count += src->v[i].count;
    }
    return PS_OK;
}

void
an_aggs_free(struct an_aggs *a)
{
    ps_map64_free(&a->map);
    free(a->v);
    memset(a, 0, sizeof(*a));
}

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

/* The timestamp deltas of a chunk decoded without the XOR decoder's help. */
static void
tdelta_scan(const int64_t *t, size_t k, struct ps_tsdb_tdelta *dl)
{
    memset(dl, 0, sizeof(*dl));
    for (size_t i = 1; i < k; i++) {
        int64_t d = ps_sub_wrap(t[i], t[i - 1]);
        if (i == 1 || d < dl->min)
            dl->min = d;
        if (i == 1 || d > dl->max)
            dl->max = d;
        dl->wrapped |= (t[i] < t[i - 1]) != (d < 0);
    }
}

/* Widen the series' range of timestamp deltas by d. */
static inline void
series_delta(struct an_worker *w, int64_t d)
{
    if (!w->have_delta || d < w->dmin)
        w->dmin = d;
    if (!w->have_delta || d > w->dmax)
        w->dmax = d;
    w->have_delta = 1;
}

static void
series_gaps(struct an_worker *w, struct an_range *r)
{
    size_t n = w->nts;
    const int64_t *ts = w->ts;
    /* All deltas equal (known from the decoders' summaries without a pass
       over the samples): a perfectly regular series has no gap. */
    if (n < 3 || (w->have_delta && w->dmin == w->dmax))
        return;
    if (n - 1 > w->dcap &&
        ps_grow((void **)&w->deltas, &w->dcap, n - 1, sizeof(int64_t)) != PS_OK)
        return;
    for (size_t i = 1; i < n; i++)
        w->deltas[i - 1] = ps_sub_wrap(ts[i], ts[i - 1]);
    int64_t exp = select_k(w->deltas, n - 1, (n - 2) / 2);
    if (exp <= 0)
        return;
    int had = 0;
    for (size_t i = 1; i < n; i++) {
        int64_t d = ps_sub_wrap(ts[i], ts[i - 1]);
        if (d <= exp || d - exp <= exp / 2) /* d <= 1.5 exp, without overflow */
            continue;
        had = 1;
        r->a.gaps++;
        /* round(d / exp) - 1 missed samples: (d + exp/2) / exp - 1 */
        int64_t q = d / exp, rem = d % exp;
        r->a.gap_missed_samples += (uint64_t)(q - 1 + (rem >= exp - exp / 2));
        r->a.gap_ms = (int64_t)((uint64_t)r->a.gap_ms + (uint64_t)(d - exp));
        if (r->ngaps < AN_MAX_GAP_INTERVALS) {
            if (r->ngaps == r->gcap &&
                ps_grow((void **)&r->gaps, &r->gcap, r->ngaps + 1, sizeof(*r->gaps)) !=
                    PS_OK)
                continue;
            r->gaps[r->ngaps].start = ts[i - 1];
            r->gaps[r->ngaps].end = ts[i];
            r->ngaps++;
        }
    }
    if (had)
        r->a.gap_series++;
}

static void
remember_labels(struct an_range *r, const struct ps_tsdb_series *s)
{
    r->have_prev = 1;
    if (2 * s->nlabels > r->prev_cap &&
        ps_grow((void **)&r->prev_lbl, &r->prev_cap, 2 * s->nlabels, sizeof(uint32_t)) !=
            PS_OK)
        return;
    if (s->nlabels > 0)
        memcpy(r->prev_lbl, s->lbl, 2 * s->nlabels * sizeof(uint32_t));
    r->prev_n = 2 * s->nlabels;
}

static void
check_labels(const struct ps_tsdb_block *b, struct an_range *r,
             const struct ps_tsdb_series *s, uint32_t ref)
{
    for (size_t i = 1; i < s->nlabels; i++) {
        if (s->lbl[2 * i] <= s->lbl[2 * i - 2]) {
            struct ps_tsdb_str n1 = ps_tsdb_index_sym(&b->index, s->lbl[2 * i - 2]);
            struct ps_tsdb_str n2 = ps_tsdb_index_sym(&b->index, s->lbl[2 * i]);
            ps_diag_add(&r->diags, PS_SEV_ERROR, PS_E_CORRUPT, b->index_path, s->off, 0,
                        "tsdb/label-order", "series %u: label '%.*s' follows '%.*s' "
                        "(names must be sorted and unique)", ref, (int)n2.n, n2.p,
                        (int)n1.n, n1.p);
            break;
        }
    }
    /* series must be sorted by label set: ordinals follow string order */
    if (r->have_prev) {
        size_t m = r->prev_n < 2 * s->nlabels ? r->prev_n : 2 * s->nlabels;
        int cmp = 0;
        for (size_t i = 0; i < m && cmp == 0; i++)
            cmp = (s->lbl[i] > r->prev_lbl[i]) - (s->lbl[i] < r->prev_lbl[i]);
        if (cmp == 0)
            cmp = (2 * s->nlabels > r->prev_n) - (2 * s->nlabels < r->prev_n);
        if (cmp <= 0)
            ps_diag_add(&r->diags, PS_SEV_ERROR, PS_E_CORRUPT, b->index_path, s->off, 0,
                        cmp == 0 ? "tsdb/duplicate-series" : "tsdb/series-order",
                        cmp == 0 ? "series %u has the same label set as the one before"
                                 : "series %u sorts before the series listed before it",
                        ref);
    }
    remember_labels(r, s);
}

/* promtool's per-pair and per-name sums for one series. */
static enum ps_err
add_pairs(const struct ps_tsdb_index *ix, struct an_worker *w, struct an_range *r,
          const struct ps_tsdb_series *s, uint64_t unc)
{
    for (size_t l = 0; l < s->nlabels; l++) {
        uint32_t nm = s->lbl[2 * l], vl = s->lbl[2 * l + 1];
        uint64_t key = (uint64_t)nm << 32 | vl;
        struct an_pcache *pc = l < 64 ? &w->pc[l] : NULL;
        int64_t row;
        uint32_t ni;
        if (pc != NULL && pc->row != -1 && pc->key == key) {
            row = pc->row;
            ni = pc->name_idx;
        } else {
            row = ps_tsdb_index_pair(ix, nm, vl);
            if (row < 0) { /* a pair with no postings list: damaged index */
                struct an_agg *g = an_agg_get(&w->pairs, key);
                if (g == NULL)
                    return PS_E_NOMEM;
                row = -(int64_t)(g - w->pairs.v) - 2;
            }
            struct an_agg *h = an_agg_get(&w->names, nm);
            if (h == NULL)
                return PS_E_NOMEM;
            ni = (uint32_t)(h - w->names.v);
            if (pc != NULL) {
                pc->key = key;
                pc->row = row;
                pc->name_idx = ni;
            }
        }
        if (row >= 0) {
            w->pt_unc[row] += unc;
            w->pt_cnt[row]++;
        } else {
            w->pairs.v[-row - 2].uncovered += unc;
            w->pairs.v[-row - 2].count++;
        }
        w->names.v[ni].uncovered += unc;
        r->a.postings_entries++;
    }
    return PS_OK;
}

static void
do_chunks(const struct ps_tsdb_block *b, const struct ps_tsdb_opts *o,
          struct an_worker *w, struct an_range *r, const struct ps_tsdb_series *s,
          uint32_t ref)
{
    struct ps_tsdb_analysis *a = &r->a;
    struct ps_diags *dg = &r->diags;
    const struct ps_tsdb_meta *m = &b->meta;
    w->nts = 0;
    w->have_delta = 0;
    for (size_t i = 0; i < s->nchunks; i++) {
        const struct ps_tsdb_chunk_meta *cm = &s->chk[i];
        if (cm->max_time < cm->min_time)
            ps_diag_add(dg, PS_SEV_ERROR, PS_E_CORRUPT, b->index_path, s->off, 0,
                        "tsdb/chunk-order", "series %u chunk %zu: maxt %lld before "
                        "mint %lld", ref, i, (long long)cm->max_time,
                        (long long)cm->min_time);
        if (i > 0) {
            const struct ps_tsdb_chunk_meta *pm = &s->chk[i - 1];
            if (cm->min_time == pm->min_time && cm->max_time == pm->max_time)
                ps_diag_add(dg, PS_SEV_ERROR, PS_E_CORRUPT, b->index_path, s->off, 0,
                            "tsdb/duplicate-chunk",
                            "series %u chunk %zu: same time range as chunk %zu", ref, i,
                            i - 1);
            else if (cm->min_time <= pm->max_time)
                ps_diag_add(dg, PS_SEV_ERROR, PS_E_CORRUPT, b->index_path, s->off, 0,
                            "tsdb/chunk-order",
                            "series %u chunk %zu: mint %lld not after the previous "
                            "chunk's maxt %lld (out of order or overlapping)", ref, i,
                            (long long)cm->min_time, (long long)pm->max_time);
        }
        if (b->meta_ok && (cm->min_time < m->min_time || cm->max_time > m->max_time))
            ps_diag_add(dg, PS_SEV_ERROR, PS_E_CORRUPT, b->index_path, s->off, 0,
                        "tsdb/chunk-outside-block", "series %u chunk %zu: [%lld, %lld] "
                        "outside the block's [%lld, %lld)", ref, i,
                        (long long)cm->min_time, (long long)cm->max_time,
                        (long long)m->min_time, (long long)m->max_time);
        a->chunks++;
        uint64_t sg = cm->ref >> 32, off = cm->ref & 0xffffffffu;
        if (sg >= b->nsegs || b->segs[sg].p == NULL) {
            ps_diag_add(dg, PS_SEV_ERROR, PS_E_CORRUPT, b->index_path, s->off, 0,
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
        if (off < r->seg_min[sg])
            r->seg_min[sg] = off;
        if (off < r->seg_hi[sg]) {
            ps_diag_add(dg, PS_SEV_ERROR, PS_E_CORRUPT, b->index_path, s->off, 0,
                        "tsdb/chunk-ref-order",
                        "series %u chunk %zu: ref 0x%llx points before the end of the "
                        "previous chunk read from segment %llu (offset %llu); not read "
                        "again", ref, i, (unsigned long long)cm->ref,
                        (unsigned long long)sg, (unsigned long long)r->seg_hi[sg]);
            continue;
        }
        struct ps_tsdb_chunk ch;
        if (ps_tsdb_chunk_at(&b->segs[sg], off, &ch) != PS_OK) {
            ps_diag_add(dg, PS_SEV_ERROR, PS_E_TRUNCATED, b->segs[sg].path, off, 0,
                        "tsdb/chunk-ref", "series %u chunk %zu: no complete chunk at "
                        "offset %llu (file has %zu bytes)", ref, i,
                        (unsigned long long)off, b->segs[sg].n);
            continue;
        }
        if (r->seg_lo[sg] == UINT64_MAX)
            r->seg_lo[sg] = off;
        r->seg_hi[sg] = off + ch.total;
        if (!ch.crc_ok) {
            a->crc_failures++;
            ps_diag_add(dg, PS_SEV_ERROR, PS_E_CORRUPT, b->segs[sg].path,
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
            ps_diag_add(dg, PS_SEV_WARN, PS_E_UNSUPPORTED, b->segs[sg].path, off, 0,
                        "tsdb/chunk-encoding", "chunk encoding %u (%s) is not known",
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
        if (!o->decode ||
            (ch.enc != PS_TSDB_ENC_XOR && ch.enc != PS_TSDB_ENC_HISTOGRAM &&
             ch.enc != PS_TSDB_ENC_FLOAT_HISTOGRAM))
            continue;
        const char *ename = ps_tsdb_enc_name(ch.enc);
        /* + 1: w->ts must not stay NULL for a chunk of 0 samples
           (NULL + 0 below is undefined behaviour) */
        size_t need = w->nts + (size_t)ns + 1;
        if (need > w->tscap &&
            ps_grow((void **)&w->ts, &w->tscap, need, sizeof(int64_t)) != PS_OK)
            continue;
        int64_t *t = w->ts + w->nts, first = 0, last = 0;
        size_t k = 0;
        struct ps_tsdb_tdelta dl;
        enum ps_err e;
        if (ch.enc == PS_TSDB_ENC_XOR) {
            e = ps_tsdb_xor_decode(ch.data, ch.len, t, NULL, (size_t)ns, &k, &dl);
        } else {
            e = ps_tsdb_hist_timestamps(ch.enc, ch.data, ch.len, t, (size_t)ns, &k);
            tdelta_scan(t, k, &dl);
        }
        int bad_order = k >= 2 && (dl.min <= 0 || dl.wrapped);
        if (k > 0) {
            first = t[0];
            last = t[k - 1];
        }
        if (o->gaps && k > 0) {
            if (w->nts > 0)
                series_delta(w, ps_sub_wrap(t[0], w->ts[w->nts - 1]));
            if (k >= 2) {
                series_delta(w, dl.min);
                series_delta(w, dl.max);
            }
            w->nts += k;
        }
        if (e == PS_OK)
            e = PS_DONE;
        a->samples_decoded += k;
        if (e != PS_DONE) {
            a->decode_errors++;
            ps_diag_add(dg, PS_SEV_ERROR, e, b->segs[sg].path, off, 0,
                        "tsdb/chunk-decode", "%s chunk (series %u): %s after %llu of "
                        "%d samples", ename, ref, ps_strerror(e), (unsigned long long)k, ns);
        } else if (bad_order) {
            ps_diag_add(dg, PS_SEV_ERROR, PS_E_CORRUPT, b->segs[sg].path, off, 0,
                        "tsdb/sample-order", "%s chunk (series %u): timestamps not "
                        "strictly increasing", ename, ref);
        } else if (k > 0 && (first != cm->min_time || last != cm->max_time)) {
            ps_diag_add(dg, PS_SEV_ERROR, PS_E_CORRUPT, b->segs[sg].path, off, 0,
                        "tsdb/chunk-meta-mismatch", "%s chunk (series %u): samples "
                        "span [%lld, %lld], the index says [%lld, %lld]", ename, ref,
                        (long long)first, (long long)last, (long long)cm->min_time,
                        (long long)cm->max_time);
        }
    }
    if (o->gaps)
        series_gaps(w, r);
}

/* The label checks compare with the last series before the range that
   decodes; its findings belong to the range before, so they are dropped. */
static void
seed_prev(const struct ps_tsdb_block *b, struct an_worker *w, struct an_range *r)
{
    const struct ps_tsdb_index *ix = &b->index;
    struct ps_diags scratch;
    ps_diags_init(&scratch);
    for (size_t i = r->lo; i-- > 0;) {
        if (ps_tsdb_index_series(ix, ix->all[i], &w->s, &scratch) == PS_OK) {
            remember_labels(r, &w->s);
            break;
        }
    }
    ps_diags_free(&scratch);
}

/* Let the whole pages this range has finished with leave the RSS. */
static void
drop_done(const struct ps_tsdb_block *b, const struct an_range *r, uint64_t first_off,
          uint64_t cur_off)
{
    if (b->index_mapped && cur_off > first_off)
        ps_tsdb_drop_pages(b->index_p, (size_t)first_off, (size_t)cur_off);
    for (size_t k = 0; k < b->nsegs; k++)
        if (b->seg_mapped[k] && r->seg_lo[k] != UINT64_MAX)
            ps_tsdb_drop_pages(b->seg_p[k], (size_t)r->seg_lo[k], (size_t)r->seg_hi[k]);
}

void
an_range_run(const struct ps_tsdb_block *b, const struct ps_tsdb_opts *o,
             struct an_worker *w, struct an_range *r)
{
    const struct ps_tsdb_index *ix = &b->index;
    uint64_t dur = (uint64_t)ps_sub_wrap(b->meta.max_time, b->meta.min_time);
    uint64_t first_off = UINT64_MAX;
    struct ps_tsdb_series *s = &w->s;
    if (r->lo > 0)
        seed_prev(b, w, r);
    for (size_t i = r->lo; i < r->hi; i++) {
        if ((i - r->lo) % DROP_EVERY == DROP_EVERY - 1 && first_off != UINT64_MAX)
            drop_done(b, r, first_off, s->off);
        uint32_t ref = ix->all[i];
        enum ps_err e = ps_tsdb_index_series(ix, ref, s, &r->diags);
        if (e == PS_E_NOMEM) {
            r->rc = e;
            return;
        }
        if (first_off == UINT64_MAX)
            first_off = s->off;
        if (e != PS_OK) {
            r->a.series_errors++;
            continue;
        }
        r->a.series++;
        check_labels(b, r, s, ref);
        if (s->nchunks == 0) {
            ps_diag_add(&r->diags, PS_SEV_WARN, PS_E_CORRUPT, b->index_path, s->off, 0,
                        "tsdb/series-no-chunks", "series %u has no chunks", ref);
            continue;
        }
        uint64_t unc =
            dur - (uint64_t)ps_sub_wrap(s->chk[s->nchunks - 1].max_time, s->chk[0].min_time);
        if (add_pairs(ix, w, r, s, unc) != PS_OK) {
            r->rc = PS_E_NOMEM;
            return;
        }
        do_chunks(b, o, w, r, s, ref);
    }
}
