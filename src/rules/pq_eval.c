/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pq_eval.c - evaluates a parsed PromQL expression at one instant over the
 * fact store: selectors (with the 5-minute staleness lookback and offset),
 * unary minus, binary operators with Prometheus' vector matching
 * (on/ignoring, group_left/group_right, bool, set operators) and
 * aggregations (sum, min, max, avg, count, group, topk, bottomk, quantile
 * with by/without). Functions live in pq_func.c.
 *
 * The semantics follow Prometheus 2.42's engine, which the tests check
 * with promtool as the oracle: comparisons filter and keep the vector's
 * value, arithmetic and bool drop the metric name, one-to-one matching
 * keeps only the on() labels, topk keeps the earliest of equal values in
 * label order, and avg uses Prometheus' incremental mean.
 *
 * Selector matches are computed once per expression and fact store and
 * kept in the caller's struct pq_selcache, ordered by label set as
 * Prometheus' storage returns series; everything else is built in the
 * arena of the instant being evaluated.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promsight/ps_util.h"
#include "rules/pq_int.h"

static int
fail(struct pq_ctx *c, const char *msg)
{
    snprintf(c->err, sizeof(c->err), "%s", msg);
    return -1;
}

static int
oom(struct pq_ctx *c)
{
    return fail(c, "out of memory");
}

/* ---- selectors ---- */

struct pq_selcache *
pq_cache_new(const struct pq_expr *e)
{
    return calloc(e->nsel ? e->nsel : 1, sizeof(struct pq_selcache));
}

void
pq_cache_free(struct pq_selcache *c, uint32_t n)
{
    pq_cache_free_pool(c, n, NULL);
}

void
pq_cache_free_pool(struct pq_selcache *c, uint32_t n, struct pq_pool *pool)
{
    if (c == NULL)
        return;
    for (uint32_t i = 0; i < n; i++) {
        free(c[i].ids);
        free(c[i].ser);
        pq_pool_put(pool, c[i].pv, c[i].pv_cap);
        pq_pool_put(pool, c[i].pt, c[i].pt_cap);
        pq_pool_put(pool, c[i].pok, c[i].pok_cap);
    }
    free(c);
}

static int
matcher_ok(const struct pq_matcher *m, const char *v)
{
    if (v == NULL)
        v = "";
    switch (m->op) {
    case PQ_M_EQ: return strcmp(v, m->value) == 0;
    case PQ_M_NE: return strcmp(v, m->value) != 0;
    case PQ_M_RE:
    case PQ_M_NRE: {
        pcre2_match_data *md = pcre2_match_data_create_from_pattern(m->re, NULL);
        if (md == NULL)
            return 0;
        int r = pcre2_match(m->re, (PCRE2_SPTR)v, strlen(v), 0, 0, md, NULL);
        pcre2_match_data_free(md);
        return (r >= 0) == (m->op == PQ_M_RE);
    }
    }
    return 0;
}

static ptrdiff_t last_at_or_before(const struct ps_sample *s, size_t n, int64_t t);

static const struct ps_facts *sort_facts; /* qsort has no context argument */

static int
cmp_series(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    const struct ps_label *la, *lb;
    size_t na = ps_facts_series_labels(sort_facts, x, &la);
    size_t nb = ps_facts_series_labels(sort_facts, y, &lb);
    return pq_labels_cmp(la, (uint32_t)na, lb, (uint32_t)nb);
}

static int
sel_resolve(struct pq_ctx *c, const struct pq_node *n, struct pq_selcache **out)
{
    if (n->sel_idx >= c->ncache)
        return fail(c, "internal: selector cache too small");
    struct pq_selcache *sc = &c->cache[n->sel_idx];
    *out = sc;
    if (sc->done)
        return 0;
    const uint32_t *cand = NULL;
    size_t ncand;
    if (n->metric != NULL)
        ncand = ps_facts_metric_series(c->f, n->metric, &cand);
    else
        ncand = ps_facts_nseries(c->f);
    uint32_t *ids = malloc((ncand ? ncand : 1) * sizeof(*ids));
    if (ids == NULL)
        return oom(c);
    size_t k = 0;
    for (size_t i = 0; i < ncand; i++) {
        uint32_t id = cand != NULL ? cand[i] : (uint32_t)i;
        int ok = 1;
        for (size_t j = 0; j < n->nm && ok; j++)
            ok = matcher_ok(&n->m[j], ps_facts_series_label(c->f, id, n->m[j].name));
        if (ok)
            ids[k++] = id;
    }
    sort_facts = c->f;
    if (k > 1)
        qsort(ids, k, sizeof(*ids), cmp_series);
    sc->ids = ids;
    sc->n = k;
    sc->ser = calloc(k ? k : 1, sizeof(*sc->ser));
    if (sc->ser == NULL)
        return oom(c);
    for (size_t i = 0; i < k; i++) {
        struct pq_selser *se = &sc->ser[i];
        se->id = ids[i];
        size_t nl = ps_facts_series_labels(c->f, ids[i], &se->lab);
        se->nlab = (uint32_t)nl;
        se->ns = ps_facts_series_samples(c->f, ids[i], &se->s);
        for (size_t j = 0; j < se->ns && !se->has_stale; j++)
            se->has_stale = pq_is_stale(se->s[j].v);
        sc->any_stale |= se->has_stale;
        /* as pq_labels_drop_name, when it would not copy */
        if (nl > 0 && strcmp(se->lab[0].name, "__name__") == 0) {
            se->dlab = se->lab + 1;
            se->dnlab = se->nlab - 1;
            se->dl_ok = 1;
        } else if (pq_label_get(se->lab, se->nlab, "__name__") == NULL) {
            se->dlab = se->lab;
            se->dnlab = se->nlab;
            se->dl_ok = 1;
        }
    }
    sc->done = 1;
    return 0;
}

/* Index of the last sample with time <= t, or -1, searching from the
 * position found last time (evaluation times mostly move forward). */
static ptrdiff_t
seek(struct pq_selser *se, int64_t t)
{
    const struct ps_sample *s = se->s;
    size_t n = se->ns, h = se->hint;
    if (n == 0)
        return -1;
    if (h >= n)
        h = n - 1;
    if (s[h].t <= t) {
        /* walk forward a few, then binary search the rest */
        size_t k = 0;
        while (h + 1 < n && s[h + 1].t <= t && k < 8) {
            h++;
            k++;
        }
        if (h + 1 < n && s[h + 1].t <= t) {
            size_t lo = h + 1, hi = n;
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (s[mid].t <= t)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            h = lo - 1;
        }
        se->hint = h;
        return (ptrdiff_t)h;
    }
    ptrdiff_t r = last_at_or_before(s, h, t);
    se->hint = r < 0 ? 0 : (size_t)r;
    return r;
}

/* Index of the last sample with time <= t, or -1. */
static ptrdiff_t
last_at_or_before(const struct ps_sample *s, size_t n, int64_t t)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s[mid].t <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (ptrdiff_t)lo - 1;
}

/* The series' sample arrays are scattered over the heap: ask for the
 * samples a few series ahead while working on this one. */
#define PQ_PREFETCH_DIST 16

static inline void
prefetch_ahead(const struct pq_selcache *sc, size_t i)
{
#if defined(__GNUC__)
    if (i + PQ_PREFETCH_DIST < sc->n) {
        const struct pq_selser *p = &sc->ser[i + PQ_PREFETCH_DIST];
        if (p->hint + 1 < p->ns) {
            __builtin_prefetch(&p->s[p->hint]);
            __builtin_prefetch(&p->s[p->hint + 1]);
        }
    }
#else
    (void)sc;
    (void)i;
#endif
}

ptrdiff_t
pq_grid_step(const struct pq_ctx *c)
{
    if (c->grid_n == 0 || c->grid_step <= 0 || c->t < c->grid_t0)
        return -1;
    int64_t d = c->t - c->grid_t0;
    if (d % c->grid_step != 0 || (uint64_t)(d / c->grid_step) >= c->grid_n)
        return -1;
    return (ptrdiff_t)(d / c->grid_step);
}

struct pq_selcache *
pq_sel_cache(struct pq_ctx *c, const struct pq_node *n)
{
    struct pq_selcache *sc;
    return sel_resolve(c, n, &sc) == 0 ? sc : NULL;
}

int
pq_cache_grids(struct pq_ctx *c, struct pq_selcache *sc, size_t ncell, int with_t)
{
    if (ncell > SIZE_MAX / sizeof(double))
        return -1;
    sc->pv = pq_pool_get(c->pool, ncell * sizeof(double), &sc->pv_cap);
    if (with_t)
        sc->pt = pq_pool_get(c->pool, ncell * sizeof(int64_t), &sc->pt_cap);
    sc->pok = pq_pool_get(c->pool, ncell, &sc->pok_cap);
    if (sc->pv == NULL || (with_t && sc->pt == NULL) || sc->pok == NULL)
        return -1;
    memset(sc->pok, 0, ncell);
    return 0;
}

/* Every step's value of an instant selector, series by series (the
 * samples of one series are read in order, once). */
static int
precompute_instant(struct pq_ctx *c, const struct pq_node *n, struct pq_selcache *sc)
{
    size_t ns = c->grid_n, nser = sc->n;
    if (nser == 0 || ns > PQ_PRECOMPUTE_MAX / nser) {
        sc->pre = -1;
        return 0;
    }
    if (pq_cache_grids(c, sc, ns * nser, 1) != 0)
        return oom(c);
    for (size_t i = 0; i < nser; i++) {
        const struct pq_selser *se = &sc->ser[i];
        ptrdiff_t j = -1;   /* last sample with t <= ref */
        for (size_t k = 0; k < ns; k++) {
            int64_t ref = c->grid_t0 + (int64_t)k * c->grid_step - n->offset_ms;
            while ((size_t)(j + 1) < se->ns && se->s[j + 1].t <= ref)
                j++;
            if (j < 0 || se->s[j].t < ref - PQ_LOOKBACK_MS || pq_is_stale(se->s[j].v))
                continue;
            size_t at = k * nser + i;
            sc->pv[at] = se->s[j].v;
            sc->pt[at] = se->s[j].t;
            sc->pok[at] = 1;
        }
    }
    sc->pre = 1;
    return 0;
}

static int
eval_instant_sel(struct pq_ctx *c, const struct pq_node *n, pq_value *out)
{
    struct pq_selcache *sc;
    if (sel_resolve(c, n, &sc) != 0)
        return -1;
    ptrdiff_t step = pq_grid_step(c);
    if (step >= 0 && sc->pre == 0 && precompute_instant(c, n, sc) != 0)
        return -1;
    if (step >= 0 && sc->pre == 1) {
        out->type = PQ_T_VECTOR;
        out->vec = pq_alloc_array_nz(c->a, sc->n ? sc->n : 1, sizeof(struct pq_el));
        if (out->vec == NULL)
            return oom(c);
        size_t k = 0, base = (size_t)step * sc->n;
        for (size_t i = 0; i < sc->n; i++) {
            if (!sc->pok[base + i])
                continue;
            struct pq_el *e = &out->vec[k++];
            e->lab = sc->ser[i].lab;
            e->nlab = sc->ser[i].nlab;
            e->sid = sc->ser[i].id;
            e->v = sc->pv[base + i];
            e->t = sc->pt[base + i];
        }
        out->n = k;
        return 0;
    }
    out->type = PQ_T_VECTOR;
    out->vec = pq_alloc_array(c->a, sc->n ? sc->n : 1, sizeof(struct pq_el));
    if (out->vec == NULL)
        return oom(c);
    int64_t ref = c->t - n->offset_ms;
    size_t k = 0;
    for (size_t i = 0; i < sc->n; i++) {
        struct pq_selser *se = &sc->ser[i];
        prefetch_ahead(sc, i);
        ptrdiff_t j = seek(se, ref);
        if (j < 0 || se->s[j].t < ref - PQ_LOOKBACK_MS || pq_is_stale(se->s[j].v))
            continue;
        struct pq_el *e = &out->vec[k++];
        e->lab = se->lab;
        e->nlab = se->nlab;
        e->sid = se->id;
        e->v = se->s[j].v;
        e->t = se->s[j].t;
    }
    out->n = k;
    return 0;
}

static int
eval_range_sel(struct pq_ctx *c, const struct pq_node *n, pq_value *out)
{
    struct pq_selcache *sc;
    if (sel_resolve(c, n, &sc) != 0)
        return -1;
    out->type = PQ_T_MATRIX;
    out->mat = pq_alloc_array(c->a, sc->n ? sc->n : 1, sizeof(struct pq_mel));
    if (out->mat == NULL)
        return oom(c);
    int64_t end = c->t - n->offset_ms;
    int64_t start = end - n->range_ms;
    size_t k = 0;
    for (size_t i = 0; i < sc->n; i++) {
        struct pq_selser *se = &sc->ser[i];
        prefetch_ahead(sc, i);
        ptrdiff_t hi = seek(se, end);
        if (hi < 0)
            continue;
        /* first sample with t >= start: move on from where the last range
         * started (ranges slide forward step by step) */
        const struct ps_sample *s = se->s;
        ptrdiff_t lo = (ptrdiff_t)se->hint_lo;
        if (lo > hi || (lo > 0 && s[lo - 1].t >= start))
            lo = last_at_or_before(s, (size_t)hi + 1, start - 1) + 1;
        else
            while (lo <= hi && s[lo].t < start)
                lo++;
        se->hint_lo = (size_t)lo;
        if (lo > hi)
            continue;
        size_t cnt = (size_t)(hi - lo + 1);
        const struct ps_sample *base = s + lo;
        if (se->has_stale) {
            size_t nstale = 0;
            for (size_t j = 0; j < cnt; j++)
                nstale += pq_is_stale(base[j].v);
            if (nstale == cnt)
                continue;
            if (nstale > 0) {
                struct ps_sample *cp = pq_alloc_array(c->a, cnt - nstale, sizeof(*cp));
                if (cp == NULL)
                    return oom(c);
                size_t m = 0;
                for (size_t j = 0; j < cnt; j++)
                    if (!pq_is_stale(base[j].v))
                        cp[m++] = base[j];
                base = cp;
                cnt = m;
            }
        }
        struct pq_mel *e = &out->mat[k++];
        e->lab = se->lab;
        e->nlab = se->nlab;
        e->sid = se->id;
        e->s = base;
        e->n = cnt;
    }
    out->n = k;
    return 0;
}

/* ---- match signatures ---- */

void
pq_sigcache_free(struct pq_sigcache *sc)
{
    if (sc == NULL)
        return;
    for (size_t i = 0; i < PQ_SIGCACHE_SLOTS; i++) {
        free(sc->e[i].h);
        free(sc->e[i].h2);
        free(sc->e[i].have);
    }
    free(sc);
}

static int
names_have_name(const struct pq_strlist *names)
{
    for (size_t i = 0; names != NULL && i < names->n; i++)
        if (strcmp(names->v[i], "__name__") == 0)
            return 1;
    return 0;
}

struct pq_sig
pq_el_sig(struct pq_ctx *c, const struct pq_el *e, const struct pq_strlist *names, int on)
{
    struct pq_sig r = {0, 0};
    struct pq_sigcache *sc = c->sigc;
    /* an element keeps its series id only while its labels are the
     * series' labels, perhaps without __name__, which no signature
     * includes unless named */
    if (sc == NULL || e->sid == UINT32_MAX || e->sid >= sc->nseries) {
        r.h = pq_labels_sig(e->lab, e->nlab, names, on);
        return r;
    }
    /* A slot is only ever made for names without __name__, so finding
     * one spares the (per element) check of the names. */
    size_t slot = PQ_SIGCACHE_SLOTS;
    for (size_t i = 0; i < PQ_SIGCACHE_SLOTS; i++) {
        if (sc->e[i].h != NULL && sc->e[i].names == names && sc->e[i].on == on) {
            slot = i;
            break;
        }
        if (sc->e[i].h == NULL) {
            if (names_have_name(names))
                break;
            sc->e[i].h = malloc(sc->nseries * sizeof(uint64_t));
            sc->e[i].h2 = malloc(sc->nseries * sizeof(uint64_t));
            sc->e[i].have = calloc(sc->nseries, 1);
            if (sc->e[i].h == NULL || sc->e[i].h2 == NULL || sc->e[i].have == NULL) {
                free(sc->e[i].h);
                free(sc->e[i].h2);
                free(sc->e[i].have);
                sc->e[i].h = NULL;
                sc->e[i].h2 = NULL;
                sc->e[i].have = NULL;
                break;
            }
            sc->e[i].names = names;
            sc->e[i].on = on;
            slot = i;
            break;
        }
    }
    if (slot == PQ_SIGCACHE_SLOTS) {
        r.h = pq_labels_sig(e->lab, e->nlab, names, on);
        return r;
    }
    if (!sc->e[slot].have[e->sid]) {
        sc->e[slot].h[e->sid] = pq_labels_sig(e->lab, e->nlab, names, on);
        uint64_t h2 = pq_labels_sig_seed(e->lab, e->nlab, names, on, 0x2545f4914f6cdd1dULL);
        sc->e[slot].h2[e->sid] = h2 != 0 ? h2 : 1;
        sc->e[slot].have[e->sid] = 1;
    }
    r.h = sc->e[slot].h[e->sid];
    r.h2 = sc->e[slot].h2[e->sid];
    return r;
}

/* ---- binary operators ---- */

static double
arith(enum pq_binop op, double l, double r)
{
    switch (op) {
    case PQ_OP_ADD: return l + r;
    case PQ_OP_SUB: return l - r;
    case PQ_OP_MUL: return l * r;
    case PQ_OP_DIV: return l / r;
    case PQ_OP_MOD: return fmod(l, r);
    case PQ_OP_POW: return pow(l, r);
    default: return NAN;
    }
}

static int
compare(enum pq_binop op, double l, double r)
{
    switch (op) {
    case PQ_OP_EQ: return l == r;
    case PQ_OP_NE: return l != r;
    case PQ_OP_GT: return l > r;
    case PQ_OP_LT: return l < r;
    case PQ_OP_GE: return l >= r;
    case PQ_OP_LE: return l <= r;
    default: return 0;
    }
}

static int
is_cmp(enum pq_binop op)
{
    return op >= PQ_OP_EQ && op <= PQ_OP_LE;
}

/* Prometheus' vectorElemBinop: value and whether to keep the element. */
static double
elem_binop(enum pq_binop op, double l, double r, int *keep)
{
    if (is_cmp(op)) {
        *keep = compare(op, l, r);
        return l;
    }
    *keep = 1;
    return arith(op, l, r);
}

static int
binop_vs(struct pq_ctx *c, const struct pq_node *n, const pq_value *vec,
         double scal, int swap, pq_value *out)
{
    out->type = PQ_T_VECTOR;
    out->vec = pq_alloc_array_nz(c->a, vec->n ? vec->n : 1, sizeof(struct pq_el));
    if (out->vec == NULL)
        return oom(c);
    size_t k = 0;
    int drop = !is_cmp(n->op) || n->ret_bool;
    for (size_t i = 0; i < vec->n; i++) {
        double lv = vec->vec[i].v, rv = scal;
        if (swap) {
            lv = scal;
            rv = vec->vec[i].v;
        }
        int keep;
        double v = elem_binop(n->op, lv, rv, &keep);
        if (is_cmp(n->op) && swap)
            v = rv;
        if (n->ret_bool) {
            v = keep ? 1.0 : 0.0;
            keep = 1;
        }
        if (!keep)
            continue;
        struct pq_el *e = &out->vec[k++];
        *e = vec->vec[i];
        e->v = v;
        if (drop && pq_labels_drop_name(c->a, e->lab, e->nlab, &e->lab, &e->nlab) != 0)
            return oom(c);
    }
    out->n = k;
    return 0;
}

/*
 * A signature table: open addressing over the elements of a vector, keyed
 * by the hash of their match signature; equal hashes are confirmed with
 * pq_labels_sig_eq. Lives in the arena; O(n) to build, O(1) to probe.
 */
struct sigtab {
    uint64_t *h, *h2;
    uint32_t *idx;     /* element index + 1; 0 = empty */
    size_t mask;
    const pq_value *v;
    const struct pq_strlist *names;
    int on;
};

static int
sigtab_init(struct pq_ctx *c, struct sigtab *t, const pq_value *v, size_t n,
            const struct pq_strlist *names, int on)
{
    size_t cap = 16;
    while (cap < 2 * n + 2)
        cap *= 2;
    t->h = pq_alloc_array_nz(c->a, cap, sizeof(*t->h));
    t->h2 = pq_alloc_array_nz(c->a, cap, sizeof(*t->h2));
    t->idx = pq_alloc_array(c->a, cap, sizeof(*t->idx));
    t->mask = cap - 1;
    t->v = v;
    t->names = names;
    t->on = on;
    return t->h != NULL && t->h2 != NULL && t->idx != NULL ? 0 : -1;
}

/* Element of t's vector with the same signature as (lab, nlab), or -1;
 * *slot gets the free slot where it would be inserted. */
static ptrdiff_t
sigtab_find(const struct sigtab *t, struct pq_sig sig, const struct ps_label *lab,
            uint32_t nlab, size_t *slot)
{
    size_t i = (size_t)sig.h & t->mask;
    while (t->idx[i] != 0) {
        if (t->h[i] == sig.h) {
            if (sig.h2 != 0 && t->h2[i] != 0) {
                if (sig.h2 == t->h2[i])
                    return (ptrdiff_t)t->idx[i] - 1;
            } else {
                const struct pq_el *e = &t->v->vec[t->idx[i] - 1];
                if (pq_labels_sig_eq(e->lab, e->nlab, lab, nlab, t->names, t->on))
                    return (ptrdiff_t)t->idx[i] - 1;
            }
        }
        i = (i + 1) & t->mask;
    }
    *slot = i;
    return -1;
}

static void
sigtab_put(struct sigtab *t, size_t slot, struct pq_sig sig, size_t elem)
{
    t->h[slot] = sig.h;
    t->h2[slot] = sig.h2;
    t->idx[slot] = (uint32_t)elem + 1;
}

/* Index every element of v; *dup is set when two share a signature. */
static int
sig_index(struct pq_ctx *c, struct sigtab *t, const pq_value *v,
          const struct pq_strlist *names, int on, int *dup)
{
    if (sigtab_init(c, t, v, v->n, names, on) != 0)
        return -1;
    *dup = 0;
    for (size_t i = 0; i < v->n; i++) {
        struct pq_sig h = pq_el_sig(c, &v->vec[i], names, on);
        size_t slot;
        if (sigtab_find(t, h, v->vec[i].lab, v->vec[i].nlab, &slot) >= 0) {
            *dup = 1;
            continue;
        }
        sigtab_put(t, slot, h, i);
    }
    return 0;
}

static int
binop_set(struct pq_ctx *c, const struct pq_node *n, const pq_value *l,
          const pq_value *r, pq_value *out)
{
    const struct pq_strlist *names = &n->mlabels;
    int on = n->has_matching && n->on;
    out->type = PQ_T_VECTOR;
    out->vec = pq_alloc_array(c->a, l->n + r->n + 1, sizeof(struct pq_el));
    if (out->vec == NULL)
        return oom(c);
    size_t k = 0;
    struct sigtab t;
    int dup;
    if (n->op == PQ_OP_OR) {
        for (size_t i = 0; i < l->n; i++)
            out->vec[k++] = l->vec[i];
        if (sig_index(c, &t, l, names, on, &dup) != 0)
            return oom(c);
        for (size_t i = 0; i < r->n; i++) {
            size_t slot;
            struct pq_sig h = pq_el_sig(c, &r->vec[i], names, on);
            if (sigtab_find(&t, h, r->vec[i].lab, r->vec[i].nlab, &slot) < 0)
                out->vec[k++] = r->vec[i];
        }
    } else {
        if (sig_index(c, &t, r, names, on, &dup) != 0)
            return oom(c);
        for (size_t i = 0; i < l->n; i++) {
            size_t slot;
            struct pq_sig h = pq_el_sig(c, &l->vec[i], names, on);
            int found = sigtab_find(&t, h, l->vec[i].lab, l->vec[i].nlab, &slot) >= 0;
            if (found == (n->op == PQ_OP_AND))
                out->vec[k++] = l->vec[i];
        }
    }
    out->n = k;
    return 0;
}

static int
result_labels(struct pq_ctx *c, const struct pq_node *n, const struct pq_el *ls,
              const struct pq_el *rs, const struct ps_label **lab, uint32_t *nlab)
{
    const struct ps_label *l = ls->lab;
    uint32_t nl = ls->nlab;
    if ((!is_cmp(n->op) || n->ret_bool) &&
        pq_labels_drop_name(c->a, l, nl, &l, &nl) != 0)
        return -1;
    if (n->card == PQ_CARD_ONE) {
        if (n->has_matching && n->on) {
            if (pq_labels_project(c->a, l, nl, &n->mlabels, 1, &l, &nl) != 0)
                return -1;
        } else if (n->mlabels.n > 0) {
            /* ignoring(x): drop x but keep __name__ if still there */
            for (size_t i = 0; i < n->mlabels.n; i++)
                if (pq_labels_set(c->a, l, nl, n->mlabels.v[i], NULL, &l, &nl) != 0)
                    return -1;
        }
    }
    for (size_t i = 0; i < n->include.n; i++) {
        const char *v = pq_label_get(rs->lab, rs->nlab, n->include.v[i]);
        if (pq_labels_set(c->a, l, nl, n->include.v[i], v, &l, &nl) != 0)
            return -1;
    }
    *lab = l;
    *nlab = nl;
    return 0;
}

static int
binop_vv(struct pq_ctx *c, const struct pq_node *n, const pq_value *lhs,
         const pq_value *rhs, pq_value *out)
{
    if (n->op == PQ_OP_AND || n->op == PQ_OP_OR || n->op == PQ_OP_UNLESS)
        return binop_set(c, n, lhs, rhs, out);
    const struct pq_strlist *names = &n->mlabels;
    int on = n->has_matching && n->on;
    const pq_value *l = lhs, *r = rhs;
    if (n->card == PQ_CARD_ONE_MANY) {
        l = rhs;
        r = lhs;
    }
    out->type = PQ_T_VECTOR;
    out->vec = pq_alloc_array(c->a, l->n ? l->n : 1, sizeof(struct pq_el));
    if (out->vec == NULL)
        return oom(c);
    struct sigtab rt;
    int dup;
    if (sig_index(c, &rt, r, names, on, &dup) != 0)
        return oom(c);
    /* the "one" side must have unique signatures */
    if (dup)
        return fail(c, "found duplicate series for the match group on one side "
                       "of the operation; many-to-many matching not allowed: "
                       "matching labels must be unique on one side");
    /* results so far: one-to-one must match each left signature once,
     * group_x must give distinct result label sets */
    struct sigtab seen_l, seen_out;
    pq_value outv = {.type = PQ_T_VECTOR, .vec = out->vec};
    if (sigtab_init(c, &seen_l, l, l->n, names, on) != 0 ||
        sigtab_init(c, &seen_out, &outv, l->n, NULL, 0) != 0)
        return oom(c);
    size_t k = 0;
    for (size_t i = 0; i < l->n; i++) {
        const struct pq_el *ls = &l->vec[i];
        struct pq_sig h = pq_el_sig(c, ls, names, on);
        size_t slot;
        ptrdiff_t ri_i = sigtab_find(&rt, h, ls->lab, ls->nlab, &slot);
        if (ri_i < 0)
            continue;
        const struct pq_el *rs = &r->vec[ri_i];
        double vl = ls->v, vr = rs->v;
        if (n->card == PQ_CARD_ONE_MANY) {
            vl = rs->v;
            vr = ls->v;
        }
        int keep;
        double v = elem_binop(n->op, vl, vr, &keep);
        if (n->ret_bool) {
            v = keep ? 1.0 : 0.0;
        } else if (!keep) {
            continue;
        }
        struct pq_el *e = &out->vec[k];
        *e = *ls;
        e->v = v;
        e->t = c->t;
        e->sid = UINT32_MAX;
        if (result_labels(c, n, ls, rs, &e->lab, &e->nlab) != 0)
            return oom(c);
        if (n->card == PQ_CARD_ONE) {
            if (sigtab_find(&seen_l, h, ls->lab, ls->nlab, &slot) >= 0)
                return fail(c, "multiple matches for labels: many-to-one "
                               "matching must be explicit (group_left/group_right)");
            sigtab_put(&seen_l, slot, h, i);
        } else {
            /* all labels, __name__ included */
            uint64_t oh = pq_labels_sig(e->lab, e->nlab, NULL, 0) ^
                          ps_hash_u64(pq_labels_sig(e->lab, e->nlab, NULL, 1));
            size_t j = (size_t)oh & seen_out.mask;
            for (; seen_out.idx[j] != 0; j = (j + 1) & seen_out.mask) {
                const struct pq_el *o = &out->vec[seen_out.idx[j] - 1];
                if (seen_out.h[j] == oh && pq_labels_cmp(o->lab, o->nlab, e->lab, e->nlab) == 0)
                    return fail(c, "multiple matches for labels: grouping labels must "
                                   "ensure unique matches");
            }
            struct pq_sig osig = {oh, 0};
            sigtab_put(&seen_out, j, osig, k);
        }
        k++;
    }
    out->n = k;
    return 0;
}

static int
eval_bin(struct pq_ctx *c, const struct pq_node *n, pq_value *out)
{
    pq_value l, r;
    if (pq_eval_node(c, n->lhs, &l) != 0 || pq_eval_node(c, n->rhs, &r) != 0)
        return -1;
    if (l.type == PQ_T_SCALAR && r.type == PQ_T_SCALAR) {
        out->type = PQ_T_SCALAR;
        if (is_cmp(n->op))
            out->scalar = compare(n->op, l.scalar, r.scalar) ? 1.0 : 0.0;
        else
            out->scalar = arith(n->op, l.scalar, r.scalar);
        return 0;
    }
    if (l.type == PQ_T_VECTOR && r.type == PQ_T_SCALAR)
        return binop_vs(c, n, &l, r.scalar, 0, out);
    if (l.type == PQ_T_SCALAR && r.type == PQ_T_VECTOR)
        return binop_vs(c, n, &r, l.scalar, 1, out);
    return binop_vv(c, n, &l, &r, out);
}

/* ---- aggregation ---- */

struct group {
    const struct ps_label *lab;   /* result labels */
    uint32_t nlab;
    uint64_t h;
    double v, mean;
    size_t count;
    struct pq_el *heap;           /* topk/bottomk: kept elements */
    size_t nheap;
    double *vals;                 /* quantile */
    size_t nvals;
};

/* topk heap "less": for topk, the root is the smallest kept value. */
static int
heap_less(const struct pq_el *a, const struct pq_el *b, int top)
{
    if (top) {
        if (isnan(a->v))
            return !isnan(b->v);
        return a->v < b->v;
    }
    if (isnan(a->v))
        return !isnan(b->v);
    return a->v > b->v;
}

static void
heap_down(struct pq_el *h, size_t n, size_t i, int top)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && heap_less(&h[l], &h[m], top))
            m = l;
        if (l + 1 < n && heap_less(&h[l + 1], &h[m], top))
            m = l + 1;
        if (m == i)
            return;
        struct pq_el t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static void
heap_up(struct pq_el *h, size_t i, int top)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!heap_less(&h[i], &h[p], top))
            return;
        struct pq_el t = h[i];
        h[i] = h[p];
        h[p] = t;
        i = p;
    }
}

static int
cmp_el_desc(const void *a, const void *b)
{
    const struct pq_el *x = a, *y = b;
    if (isnan(x->v) || isnan(y->v))
        return isnan(x->v) - isnan(y->v);
    return x->v > y->v ? -1 : x->v < y->v;
}

static int
cmp_el_asc(const void *a, const void *b)
{
    const struct pq_el *x = a, *y = b;
    if (isnan(x->v) || isnan(y->v))
        return isnan(x->v) - isnan(y->v);
    return x->v < y->v ? -1 : x->v > y->v;
}

static int
eval_agg(struct pq_ctx *c, const struct pq_node *n, pq_value *out)
{
    pq_value in, param = {0};
    if (pq_eval_node(c, n->lhs, &in) != 0)
        return -1;
    if (n->param != NULL && pq_eval_node(c, n->param, &param) != 0)
        return -1;
    int64_t k = 0;
    if (n->agg == PQ_AGG_TOPK || n->agg == PQ_AGG_BOTTOMK) {
        double kv = param.scalar;
        if (isnan(kv) || kv < 1) {
            out->type = PQ_T_VECTOR;
            out->n = 0;
            return 0;
        }
        k = kv > (double)in.n ? (int64_t)in.n : (int64_t)kv;
        if (k < 1)
            k = 1;
    }
    int on = !n->without;   /* by(...) keeps the names; without drops them */
    const struct pq_strlist *names = &n->grouping;
    struct group *g = pq_alloc_array(c->a, in.n ? in.n : 1, sizeof(*g));
    uint32_t *gi = pq_alloc_array(c->a, in.n ? in.n : 1, sizeof(*gi));
    if (g == NULL || gi == NULL)
        return oom(c);
    /* groups in order of first appearance */
    struct sigtab gt;
    if (sigtab_init(c, &gt, &in, in.n, names, on) != 0)
        return oom(c);
    uint32_t next = 0;
    for (size_t i = 0; i < in.n; i++) {
        struct pq_sig h = pq_el_sig(c, &in.vec[i], names, on);
        size_t slot;
        ptrdiff_t first = sigtab_find(&gt, h, in.vec[i].lab, in.vec[i].nlab, &slot);
        if (first >= 0) {
            gi[i] = gi[first];
        } else {
            sigtab_put(&gt, slot, h, i);
            gi[i] = next++;
        }
    }
    int top = n->agg == PQ_AGG_TOPK;
    for (size_t i = 0; i < in.n; i++) {
        const struct pq_el *el = &in.vec[i];
        struct group *gr = &g[gi[i]];
        if (gr->count == 0) {
            if (pq_labels_project(c->a, el->lab, el->nlab, names, on, &gr->lab,
                                  &gr->nlab) != 0)
                return oom(c);
            gr->v = el->v;
            gr->mean = el->v;
            gr->count = 1;
            if (n->agg == PQ_AGG_TOPK || n->agg == PQ_AGG_BOTTOMK) {
                gr->heap = pq_alloc_array(c->a, (size_t)k, sizeof(struct pq_el));
                if (gr->heap == NULL)
                    return oom(c);
                gr->heap[0] = *el;
                gr->nheap = 1;
            }
            if (n->agg == PQ_AGG_QUANTILE) {
                gr->vals = pq_alloc_array(c->a, in.n, sizeof(double));
                if (gr->vals == NULL)
                    return oom(c);
                gr->vals[gr->nvals++] = el->v;
            }
            continue;
        }
        gr->count++;
        switch (n->agg) {
        case PQ_AGG_SUM: gr->v += el->v; break;
        case PQ_AGG_MIN:
            if (gr->v > el->v || isnan(gr->v))
                gr->v = el->v;
            break;
        case PQ_AGG_MAX:
            if (gr->v < el->v || isnan(gr->v))
                gr->v = el->v;
            break;
        case PQ_AGG_AVG: {
            if (isinf(gr->mean)) {
                if (isinf(el->v) && (gr->mean > 0) == (el->v > 0))
                    break;
                if (!isinf(el->v) && !isnan(el->v))
                    break;
            }
            double cnt = (double)gr->count;
            gr->mean += el->v / cnt - gr->mean / cnt;
            break;
        }
        case PQ_AGG_TOPK:
        case PQ_AGG_BOTTOMK:
            if ((int64_t)gr->nheap < k) {
                gr->heap[gr->nheap++] = *el;
                heap_up(gr->heap, gr->nheap - 1, top);
            } else if (heap_less(&gr->heap[0], el, top)) {
                gr->heap[0] = *el;
                heap_down(gr->heap, gr->nheap, 0, top);
            }
            break;
        case PQ_AGG_QUANTILE:
            gr->vals[gr->nvals++] = el->v;
            break;
        default:
            break;
        }
    }
    out->type = PQ_T_VECTOR;
    size_t cap = (n->agg == PQ_AGG_TOPK || n->agg == PQ_AGG_BOTTOMK) ? in.n : next;
    out->vec = pq_alloc_array(c->a, cap ? cap : 1, sizeof(struct pq_el));
    if (out->vec == NULL)
        return oom(c);
    size_t m = 0;
    for (size_t i = 0; i < next; i++) {
        struct group *gr = &g[i];
        if (n->agg == PQ_AGG_TOPK || n->agg == PQ_AGG_BOTTOMK) {
            if (gr->nheap > 1)
                qsort(gr->heap, gr->nheap, sizeof(struct pq_el), top ? cmp_el_desc : cmp_el_asc);
            for (size_t j = 0; j < gr->nheap; j++)
                out->vec[m++] = gr->heap[j];
            continue;
        }
        struct pq_el *e = &out->vec[m++];
        e->lab = gr->lab;
        e->nlab = gr->nlab;
        e->sid = UINT32_MAX;
        e->t = c->t;
        switch (n->agg) {
        case PQ_AGG_AVG: e->v = gr->mean; break;
        case PQ_AGG_COUNT: e->v = (double)gr->count; break;
        case PQ_AGG_GROUP: e->v = 1; break;
        case PQ_AGG_QUANTILE: {
            double q = param.scalar;
            if (isnan(q))
                e->v = NAN;
            else if (q < 0)
                e->v = -INFINITY;
            else if (q > 1)
                e->v = INFINITY;
            else {
                ps_sort_doubles(gr->vals, gr->nvals);
                e->v = ps_quantile_sorted(gr->vals, gr->nvals, q);
            }
            break;
        }
        default: e->v = gr->v; break;
        }
    }
    out->n = m;
    return 0;
}

/* ---- dispatch ---- */

int
pq_eval_node(struct pq_ctx *c, const struct pq_node *n, pq_value *out)
{
    memset(out, 0, sizeof(*out));
    switch (n->kind) {
    case PQ_NUM:
        out->type = PQ_T_SCALAR;
        out->scalar = n->num;
        return 0;
    case PQ_STR:
        out->type = PQ_T_STRING;
        out->str = n->str;
        return 0;
    case PQ_SEL:
        return n->range_ms > 0 ? eval_range_sel(c, n, out) : eval_instant_sel(c, n, out);
    case PQ_CALL:
        return pq_call(c, n, out);
    case PQ_AGG:
        return eval_agg(c, n, out);
    case PQ_BIN:
        return eval_bin(c, n, out);
    case PQ_NEG: {
        if (pq_eval_node(c, n->lhs, out) != 0)
            return -1;
        if (out->type == PQ_T_SCALAR) {
            out->scalar = -out->scalar;
            return 0;
        }
        struct pq_el *v = pq_alloc_array(c->a, out->n ? out->n : 1, sizeof(*v));
        if (v == NULL)
            return oom(c);
        for (size_t i = 0; i < out->n; i++) {
            v[i] = out->vec[i];
            v[i].v = -v[i].v;
            if (pq_labels_drop_name(c->a, v[i].lab, v[i].nlab, &v[i].lab, &v[i].nlab) != 0)
                return oom(c);
        }
        out->vec = v;
        return 0;
    }
    }
    return fail(c, "internal: unknown node");
}

enum ps_err
pq_eval(struct pq_ctx *c, const struct pq_expr *e, pq_value *out)
{
    c->err[0] = 0;
    if (pq_eval_node(c, e->root, out) != 0)
        return PS_E_EVAL;
    return PS_OK;
}
