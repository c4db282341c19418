/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * analyze_int.h - what the two halves of the block analysis share.
 * analyze_range.c walks one contiguous range of the all-postings list
 * (series entries, label checks, label-pair sums, chunks, gaps);
 * analyze.c cuts the list into ranges, runs them on threads and merges.
 *
 * The state is split by how it merges:
 *   - struct an_worker (one per thread): integer sums, whose total does
 *     not depend on the order they are added in, and scratch buffers;
 *   - struct an_range (one per range): everything whose merge depends on
 *     order - floating-point sums, findings, the capped gap list - and is
 *     therefore merged range by range, in list order. The ranges depend
 *     only on the block, so the result is the same for any thread count.
 */
#ifndef PS_TSDB_ANALYZE_INT_H
#define PS_TSDB_ANALYZE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "promsight/ps_err.h"
#include "promsight/ps_tsdb.h"
#include "promsight/ps_util.h"

/* Gap intervals kept for the widest-shared-gap search, over all ranges. */
#define AN_MAX_GAP_INTERVALS 1000000

struct an_agg {              /* per label pair or label name */
    uint64_t key;
    uint64_t uncovered;
    uint64_t count;
};

/* Accumulators by key, in first-seen order. */
struct an_aggs {
    struct ps_map64 map;              /* key -> index+1 into v */
    struct an_agg *v;
    size_t n, cap;
};

struct an_gap {
    int64_t start, end;
};

struct an_worker {
    struct an_aggs pairs;             /* label pairs with no postings-table
                                         row (a damaged index) */
    struct an_aggs names;             /* label names */
    uint64_t *pt_unc;                 /* per postings-table row: uncovered sum */
    uint32_t *pt_cnt;                 /* per postings-table row: series count */
    struct ps_tsdb_series s;          /* scratch: the series being read */
    int64_t *ts;                      /* timestamps of the current series */
    size_t nts, tscap;
    int64_t *deltas;
    size_t dcap;
    int64_t dmin, dmax;               /* range of the deltas in ts (have_delta) */
    int have_delta;
    struct an_pcache {                /* per label position: last pair seen */
        uint64_t key;
        int64_t row;                  /* pt row, or -(pv index)-2 */
        uint32_t name_idx;
    } pc[64];
};

struct an_range {
    size_t lo, hi;                    /* [lo, hi) of the all-postings list */
    struct ps_tsdb_analysis a;        /* counters and chunk statistics only */
    struct ps_diags diags;
    struct an_gap *gaps;
    size_t ngaps, gcap;
    uint32_t *prev_lbl;               /* label ordinals of the last good series */
    size_t prev_n, prev_cap;
    int have_prev;
    /* Per chunk segment. seg_hi: end of the last chunk read (0: none),
       which later refs must not point before. seg_min: the lowest ref
       offset that was checked against seg_hi; analyze.c uses it to prove
       that starting seg_hi at 0 instead of the previous range's value
       changed nothing. seg_lo: the first offset read (pages before it may
       belong to another range and are never dropped by this one). */
    uint64_t *seg_hi, *seg_min, *seg_lo;
    enum ps_err rc;                   /* PS_E_NOMEM stops the range */
};

/* Allocate w's per-block arrays (zeroed). */
enum ps_err an_worker_init(struct an_worker *w, const struct ps_tsdb_block *b);
void an_worker_free(struct an_worker *w);

/* Allocate r's per-segment arrays for the range [lo, hi). */
enum ps_err an_range_init(struct an_range *r, const struct ps_tsdb_block *b, size_t lo,
                          size_t hi);
void an_range_free(struct an_range *r);

/* Walk r's range with w's accumulators; findings go to r->diags. Only
 * reads b (several ranges may run on one block at once). */
void an_range_run(const struct ps_tsdb_block *b, const struct ps_tsdb_opts *o,
                  struct an_worker *w, struct an_range *r);

/* The accumulator for key (added with zero sums if new); NULL on OOM. */
struct an_agg *an_agg_get(struct an_aggs *a, uint64_t key);
/* Add src's sums into dst, key by key. */
enum ps_err an_aggs_add(struct an_aggs *dst, const struct an_aggs *src);
void an_aggs_free(struct an_aggs *a);

#endif
