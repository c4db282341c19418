/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * wal_stats_derived.c - what is derived from the statistics after the
 * reading: the head-replay summary, scrape intervals, top metric names,
 * churn per hour (ps_wal.h).
 */
#include "promsight/ps_util.h"
#include "promsight/ps_wal.h"

#include <stdlib.h>
#include <string.h>

#include "wal_int.h"
#include "wal_stats_int.h"

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
