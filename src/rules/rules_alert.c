/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * rules_alert.c - the alert state machine of one alerting rule, as
 * Prometheus runs it: at each evaluation every returned series becomes (or
 * stays) an alert, pending from the first time it was returned and firing
 * once it has been returned for the rule's `for:` duration; an alert whose
 * series is not returned is gone. Also the alert's label set (series
 * labels without __name__, plus the rule's rendered labels and alertname)
 * and the rendering of its annotations.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules_int.h"

void
rules_labels_free(struct ps_label *l, size_t n)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        free((char *)l[i].name);
        free((char *)l[i].value);
    }
    free(l);
}

struct ps_label *
rules_labels_dup(const struct ps_label *l, size_t n)
{
    struct ps_label *v = calloc(n ? n : 1, sizeof(*v));
    if (v == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        v[i].name = strdup(l[i].name);
        v[i].value = strdup(l[i].value);
        if (v[i].name == NULL || v[i].value == NULL) {
            rules_labels_free(v, i + 1);
            return NULL;
        }
    }
    return v;
}

void
alert_state_init(struct alert_state *st, const struct rule *r)
{
    memset(st, 0, sizeof(*st));
    st->cache = pq_cache_new(r->expr);
    st->ncache = st->cache != NULL ? r->expr->nsel : 0;
}

static void
alert_free(struct alert *a)
{
    rules_labels_free(a->lab, a->nlab);
    a->lab = NULL;
}

void
alert_state_free(struct alert_state *st)
{
    for (size_t i = 0; i < st->n; i++)
        alert_free(&st->v[i]);
    free(st->v);
    free(st->order);
    ps_map64_free(&st->idx);
    pq_cache_free_pool(st->cache, st->ncache, st->pool);
    pq_sigcache_free(st->sigc);
    pq_arena_free(&st->arena);
    memset(st, 0, sizeof(*st));
}

static int
rebuild_index(struct alert_state *st)
{
    ps_map64_free(&st->idx);
    for (size_t i = 0; i < st->n; i++) {
        uint64_t key = st->v[i].h, val;
        while (ps_map64_get(&st->idx, key, &val))
            key = key * 0x100000001b3ULL + 1;
        if (ps_map64_put(&st->idx, key, i + 1) != PS_OK)
            return -1;
    }
    return 0;
}

/* Find the alert with these labels (ignoring __name__); -1 if none. */
static ptrdiff_t
find_alert(const struct alert_state *st, uint64_t h, const struct ps_label *lab,
           uint32_t nlab, uint64_t *free_key)
{
    uint64_t key = h, val;
    while (ps_map64_get(&st->idx, key, &val)) {
        const struct alert *a = &st->v[val - 1];
        if (a->h == h && pq_labels_sig_eq(a->lab, a->nlab, lab, nlab, NULL, 0))
            return (ptrdiff_t)(val - 1);
        key = key * 0x100000001b3ULL + 1;
    }
    *free_key = key;
    return -1;
}

enum ps_err
alert_state_step(struct alert_state *st, const struct rule *r, const struct ps_facts *f,
                 int64_t t, char *err, size_t errn)
{
    if (st->cache == NULL) {
        snprintf(err, errn, "out of memory");
        return PS_E_NOMEM;
    }
    pq_arena_reset(&st->arena);
    struct pq_ctx c;
    memset(&c, 0, sizeof(c));
    c.f = f;
    c.a = &st->arena;
    c.cache = st->cache;
    c.ncache = st->ncache;
    c.t = t;
    c.grid_t0 = st->grid_t0;
    c.grid_step = st->grid_step;
    c.grid_n = st->grid_n;
    if (st->sigc == NULL) {
        st->sigc = calloc(1, sizeof(*st->sigc));
        if (st->sigc != NULL)
            st->sigc->nseries = ps_facts_nseries(f);
    }
    c.sigc = st->sigc;
    c.pool = st->pool;
    pq_value v;
    if (pq_eval(&c, r->expr, &v) != PS_OK) {
        snprintf(err, errn, "%s", c.err);
        return PS_E_EVAL;
    }
    struct pq_el one;
    if (v.type == PQ_T_SCALAR) {
        memset(&one, 0, sizeof(one));
        one.v = v.scalar;
        one.t = t;
        v.vec = &one;
        v.n = 1;
    }
    for (size_t i = 0; i < st->n; i++)
        st->v[i].seen = 0;
    if (ps_grow((void **)&st->order, &st->order_cap, v.n + 1, sizeof(*st->order)) != PS_OK) {
        snprintf(err, errn, "out of memory");
        return PS_E_NOMEM;
    }
    for (size_t i = 0; i < v.n; i++) {
        const struct pq_el *e = &v.vec[i];
        /* fast path: the same series at the same position as last step */
        ptrdiff_t ai = -1;
        uint64_t h = 0, key = 0;
        if (i < st->norder && st->order[i] < st->n) {
            const struct alert *pa = &st->v[st->order[i]];
            /* same series: same labels but perhaps __name__, which the
             * alert identity ignores */
            if (!pa->seen && ((e->sid != UINT32_MAX && pa->sid == e->sid) ||
                              pq_labels_sig_eq(pa->lab, pa->nlab, e->lab, e->nlab, NULL, 0)))
                ai = (ptrdiff_t)st->order[i];
        }
        if (ai < 0) {
            h = pq_labels_sig(e->lab, e->nlab, NULL, 0);
            ai = find_alert(st, h, e->lab, e->nlab, &key);
        }
        if (ai >= 0 && st->v[ai].seen) {
            snprintf(err, errn, "vector contains metrics with the same labelset "
                                "after applying alert labels");
            return PS_E_EVAL;
        }
        if (ai < 0) {
            if (st->n >= PS_RULES_MAX_ALERTS) {
                snprintf(err, errn, "more than %d alerts from one rule", PS_RULES_MAX_ALERTS);
                return PS_E_LIMIT;
            }
            if (ps_grow((void **)&st->v, &st->cap, st->n + 1, sizeof(*st->v)) != PS_OK) {
                snprintf(err, errn, "out of memory");
                return PS_E_NOMEM;
            }
            struct alert *a = &st->v[st->n];
            memset(a, 0, sizeof(*a));
            a->lab = rules_labels_dup(e->lab, e->nlab);
            if (a->lab == NULL || ps_map64_put(&st->idx, key, st->n + 1) != PS_OK) {
                alert_free(a);
                snprintf(err, errn, "out of memory");
                return PS_E_NOMEM;
            }
            a->nlab = e->nlab;
            a->h = h;
            a->sid = e->sid;
            a->active_at = t;
            ai = (ptrdiff_t)st->n++;
        }
        struct alert *a = &st->v[ai];
        a->seen = 1;
        a->v = e->v;
        a->firing = t - a->active_at >= r->for_ms;
        st->order[i] = (size_t)ai;
    }
    st->norder = v.n;
    return PS_OK;
}

int
alert_state_sweep(struct alert_state *st, void (*on_remove)(struct alert *a, void *arg),
                  void *arg)
{
    size_t k = 0;
    int removed = 0;
    for (size_t i = 0; i < st->n; i++) {
        if (st->v[i].seen) {
            st->v[k++] = st->v[i];
            continue;
        }
        if (on_remove != NULL)
            on_remove(&st->v[i], arg);
        alert_free(&st->v[i]);
        removed = 1;
    }
    st->n = k;
    if (removed)
        st->norder = 0;   /* positions refer to the old array */
    return removed ? rebuild_index(st) : 0;
}

struct ps_label *
alert_labels(const struct rule *r, const struct alert *a, size_t *n)
{
    size_t cap = a->nlab + r->nlabels + 1;
    struct ps_label *v = calloc(cap, sizeof(*v));
    if (v == NULL)
        return NULL;
    size_t k = 0;
    int fail = 0;
    for (uint32_t i = 0; i < a->nlab; i++) {
        if (strcmp(a->lab[i].name, "__name__") == 0)
            continue;
        int over = 0;
        for (size_t j = 0; j < r->nlabels; j++)
            if (strcmp(r->labels[j].k, a->lab[i].name) == 0)
                over = 1;
        if (over || strcmp(a->lab[i].name, "alertname") == 0)
            continue;
        v[k].name = strdup(a->lab[i].name);
        v[k].value = strdup(a->lab[i].value);
        k++;
    }
    for (size_t j = 0; j < r->nlabels; j++) {
        struct ps_buf b = {0};
        char e[64];
        ps_rules_render(r->labels[j].v, strlen(r->labels[j].v), a->lab, a->nlab, a->v, &b,
                        e, sizeof(e));
        if (b.n == 0)
            continue;   /* an empty label is no label */
        v[k].name = strdup(r->labels[j].k);
        v[k].value = strndup((const char *)b.p, b.n);
        ps_buf_free(&b);
        k++;
    }
    v[k].name = strdup("alertname");
    v[k].value = strdup(r->id);
    k++;
    for (size_t i = 0; i < k; i++)
        if (v[i].name == NULL || v[i].value == NULL)
            fail = 1;
    if (fail) {
        rules_labels_free(v, k);
        return NULL;
    }
    /* sort by name */
    for (size_t i = 1; i < k; i++)
        for (size_t j = i; j > 0 && strcmp(v[j - 1].name, v[j].name) > 0; j--) {
            struct ps_label tmp = v[j];
            v[j] = v[j - 1];
            v[j - 1] = tmp;
        }
    *n = k;
    return v;
}

char *
alert_render(const struct rule *r, const char *key, const char *lang,
             const struct alert *a)
{
    const char *tmpl = NULL;
    if (lang != NULL && strcmp(lang, "en") != 0) {
        char k2[64];
        snprintf(k2, sizeof(k2), "%s_%s", key, lang);
        tmpl = rule_ann(r, k2);
    }
    if (tmpl == NULL)
        tmpl = rule_ann(r, key);
    if (tmpl == NULL)
        return NULL;
    struct ps_buf b = {0};
    char e[128];
    if (ps_rules_render(tmpl, strlen(tmpl), a != NULL ? a->lab : NULL,
                        a != NULL ? a->nlab : 0, a != NULL ? a->v : NAN, &b, e,
                        sizeof(e)) != 0)
        ps_buf_printf(&b, " [template error: %s]", e);
    char *s = strndup(b.p != NULL ? (const char *)b.p : "", b.n);
    ps_buf_free(&b);
    return s;
}
