/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * rules_eval.c - evaluates a rule set over a fact store across the
 * bundle's window and turns what fired into findings.
 *
 * Window: [start, end] from ps_facts_time_range() unless given; step: the
 * median spacing of the samples in the store (at least 15 s) unless given.
 * No time comes from the wall clock. Each rule is stepped through the
 * window with the alert state machine (rules_alert.c), so `for:` means
 * "returned at every step for that long". A finding is one episode: the
 * consecutive steps at which at least one of the rule's alerts fired. It
 * carries first/last time, the peak value, the firing series (first, peak
 * and last point of each; the 10 with the highest peaks), the labels all
 * of them share, the annotations rendered with the peak series, and the
 * events of the rule's class in [first - lookback, last] whose labels
 * agree with the finding's (lookback = the rule's longest range, at least
 * the 5-minute staleness lookback).
 *
 * A rule whose inputs are absent from the store is skipped, naming them:
 * every metric its selectors name must have series, except inside
 * absent()/absent_over_time(), the right side of `unless`, and where one
 * side of `or` suffices. promsight_log_events_total counts as present when
 * the logs stage read any log (promsight_log_lines_total exists), and
 * promsight_events_total when anything at all was read (a source exists).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules_int.h"

#define PHASE "rules: eval"
#define MAX_EVIDENCE_SERIES 10
#define MAX_STEPS 200000
#define LOG_EVENTS_METRIC "promsight_log_events_total"
#define LOG_LINES_METRIC "promsight_log_lines_total"
#define EVENTS_METRIC "promsight_events_total"

/* ---- inputs ---- */

struct strvec {
    char **v;
    size_t n, cap;
};

static int
strvec_add(struct strvec *s, const char *x)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i], x) == 0)
            return 0;
    if (ps_grow((void **)&s->v, &s->cap, s->n + 1, sizeof(*s->v)) != PS_OK)
        return -1;
    if ((s->v[s->n] = strdup(x)) == NULL)
        return -1;
    s->n++;
    return 0;
}

static void
strvec_free(struct strvec *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof(*s));
}

static int
metric_present(const struct ps_facts *f, const char *m)
{
    const uint32_t *ids;
    if (ps_facts_metric_series(f, m, &ids) > 0)
        return 1;
    if (strcmp(m, LOG_EVENTS_METRIC) == 0)
        return ps_facts_metric_series(f, LOG_LINES_METRIC, &ids) > 0;
    /* no events at all is a valid answer when some reader ran */
    if (strcmp(m, EVENTS_METRIC) == 0)
        return ps_facts_nsources(f) > 0;
    return 0;
}

/* 1 if n's inputs are present; else adds the missing names to miss. */
static int
inputs_ok(const struct pq_node *n, const struct ps_facts *f, struct strvec *miss)
{
    if (n == NULL)
        return 1;
    switch (n->kind) {
    case PQ_SEL:
        if (n->metric == NULL || metric_present(f, n->metric))
            return 1;
        strvec_add(miss, n->metric);
        return 0;
    case PQ_CALL:
        if (strcmp(n->fn->name, "absent") == 0 ||
            strcmp(n->fn->name, "absent_over_time") == 0)
            return 1;
        {
            int ok = 1;
            for (size_t i = 0; i < n->nargs; i++)
                ok &= inputs_ok(n->args[i], f, miss);
            return ok;
        }
    case PQ_BIN:
        if (n->op == PQ_OP_OR) {
            struct strvec a = {0}, b = {0};
            int la = inputs_ok(n->lhs, f, &a), lb = inputs_ok(n->rhs, f, &b);
            if (!la && !lb) {
                for (size_t i = 0; i < a.n; i++)
                    strvec_add(miss, a.v[i]);
                for (size_t i = 0; i < b.n; i++)
                    strvec_add(miss, b.v[i]);
            }
            strvec_free(&a);
            strvec_free(&b);
            return la || lb;
        }
        if (n->op == PQ_OP_UNLESS)
            return inputs_ok(n->lhs, f, miss);
        {
            int l = inputs_ok(n->lhs, f, miss);
            int r = inputs_ok(n->rhs, f, miss);
            return l && r;
        }
    case PQ_AGG: {
        int l = inputs_ok(n->lhs, f, miss);
        int p = inputs_ok(n->param, f, miss);
        return l && p;
    }
    case PQ_NEG:
        return inputs_ok(n->lhs, f, miss);
    default:
        return 1;
    }
}

/* ---- window ---- */

static int
cmp_i64p(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int64_t
default_step(const struct ps_facts *f)
{
    size_t ns = ps_facts_nseries(f);
    size_t stride = ns > 2000 ? ns / 2000 : 1;
    int64_t *d = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < ns; i += stride) {
        const struct ps_sample *s;
        size_t k = ps_facts_series_samples(f, (uint32_t)i, &s);
        for (size_t j = 1; j < k && j <= 50; j++) {
            if (ps_grow((void **)&d, &cap, n + 1, sizeof(*d)) != PS_OK)
                break;
            d[n++] = s[j].t - s[j - 1].t;
        }
    }
    int64_t step = 60000;
    if (n > 0) {
        if (n > 1)
            qsort(d, n, sizeof(*d), cmp_i64p);
        step = d[n / 2];
    }
    free(d);
    if (step < PS_RULES_MIN_STEP_MS)
        step = PS_RULES_MIN_STEP_MS;
    return step;
}

/* ---- findings ---- */

struct evsave {
    struct ps_label *lab;   /* sample labels (owned) */
    uint32_t nlab;
    int64_t t[3];           /* first, peak, last */
    double v[3];
};

struct episode {
    int open;
    int64_t first, last;
    struct evsave *sv;
    size_t n, cap;
    int fail;
};

static void
save_alert(struct alert *a, void *arg)
{
    struct episode *ep = arg;
    if (!a->in_episode)
        return;
    a->in_episode = 0;
    if (ps_grow((void **)&ep->sv, &ep->cap, ep->n + 1, sizeof(*ep->sv)) != PS_OK) {
        ep->fail = 1;
        return;
    }
    struct evsave *s = &ep->sv[ep->n++];
    s->lab = a->lab;        /* take ownership */
    s->nlab = a->nlab;
    a->lab = NULL;
    a->nlab = 0;
    s->t[0] = a->ep_first;
    s->v[0] = a->ep_first_v;
    s->t[1] = a->ep_peak_t;
    s->v[1] = a->ep_peak_v;
    s->t[2] = a->ep_last;
    s->v[2] = a->ep_last_v;
}

static void
episode_clear(struct episode *ep)
{
    for (size_t i = 0; i < ep->n; i++)
        rules_labels_free(ep->sv[i].lab, ep->sv[i].nlab);
    free(ep->sv);
    memset(ep, 0, sizeof(*ep));
}

static int
cmp_evsave_peak(const void *a, const void *b)
{
    const struct evsave *x = a, *y = b;
    double vx = x->v[1], vy = y->v[1];
    if (isnan(vx) != isnan(vy))
        return isnan(vx) ? 1 : -1;
    if (vx != vy)
        return vx > vy ? -1 : 1;
    return pq_labels_cmp(x->lab, x->nlab, y->lab, y->nlab);
}

static int
label_in_event(const struct ps_event *ev, const char *name, const char **val)
{
    for (size_t i = 0; i < ev->nlabels; i++)
        if (strcmp(ev->labels[i].name, name) == 0) {
            *val = ev->labels[i].value;
            return 1;
        }
    return 0;
}

static int
cmp_event_ptr(const void *a, const void *b)
{
    const struct ps_event *x = *(const struct ps_event *const *)a;
    const struct ps_event *y = *(const struct ps_event *const *)b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->src != y->src)
        return x->src < y->src ? -1 : 1;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return x->off < y->off ? -1 : x->off > y->off;
}

static int
link_events(struct ps_finding *fd, const struct ps_facts *f, int64_t lookback,
            size_t max_events)
{
    size_t ne = ps_facts_nevents(f);
    const struct ps_event **m = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < ne; i++) {
        const struct ps_event *ev = ps_facts_event(f, i);
        if (ev->cls == NULL || fd->cls == NULL || strcmp(ev->cls, fd->cls) != 0)
            continue;
        if (ev->t < fd->first - lookback || ev->t > fd->last)
            continue;
        int ok = 1;
        for (size_t j = 0; j < fd->nlabels && ok; j++) {
            const char *v;
            if (label_in_event(ev, fd->labels[j].name, &v) &&
                strcmp(v, fd->labels[j].value) != 0)
                ok = 0;
        }
        if (!ok)
            continue;
        if (ps_grow((void **)&m, &cap, n + 1, sizeof(*m)) != PS_OK) {
            free(m);
            return -1;
        }
        m[n++] = ev;
    }
    if (n > 1)
        qsort(m, n, sizeof(*m), cmp_event_ptr);
    fd->events_total = n;
    size_t keep = n < max_events ? n : max_events;
    fd->events = calloc(keep ? keep : 1, sizeof(*fd->events));
    if (fd->events == NULL) {
        free(m);
        return -1;
    }
    for (size_t i = 0; i < keep; i++) {
        struct ps_evidence_event *e = &fd->events[i];
        const char *path = ps_facts_source_path(f, m[i]->src);
        e->t = m[i]->t;
        e->file = strdup(path != NULL ? path : "");
        e->line = m[i]->line;
        e->off = m[i]->off;
        e->signature = m[i]->signature != NULL ? strdup(m[i]->signature) : NULL;
        e->message = strdup(m[i]->message != NULL ? m[i]->message : "");
        fd->nevents++;
    }
    free(m);
    return 0;
}

struct findings {
    struct ps_finding *v;
    size_t n, cap;
};

static int
emit_finding(struct findings *out, const struct rule *r, struct episode *ep,
             const struct ps_facts *f, const struct ps_rules_opts *o)
{
    if (ps_grow((void **)&out->v, &out->cap, out->n + 1, sizeof(*out->v)) != PS_OK)
        return -1;
    struct ps_finding *fd = &out->v[out->n++];
    memset(fd, 0, sizeof(*fd));
    if (ep->n > 1)
        qsort(ep->sv, ep->n, sizeof(*ep->sv), cmp_evsave_peak);
    fd->rule = strdup(r->id);
    fd->cls = strdup(r->cls != NULL ? r->cls : "");
    fd->sev = r->sev;
    fd->first = ep->first;
    fd->last = ep->last;
    fd->peak = ep->n > 0 ? ep->sv[0].v[1] : NAN;
    /* render with the peak series */
    struct alert pk;
    memset(&pk, 0, sizeof(pk));
    if (ep->n > 0) {
        pk.lab = ep->sv[0].lab;
        pk.nlab = ep->sv[0].nlab;
        pk.v = ep->sv[0].v[1];
    }
    const char *lang = o != NULL ? o->lang : NULL;
    fd->summary = alert_render(r, "summary", lang, &pk);
    fd->description = alert_render(r, "description", lang, &pk);
    fd->advice = alert_render(r, "advice", lang, &pk);
    fd->runbook_url = alert_render(r, "runbook_url", NULL, &pk);
    /* common labels: the alert labels of the peak series, kept where every
     * other series agrees; severity/class/alertname are said elsewhere */
    size_t nal = 0;
    struct ps_label *al = ep->n > 0 ? alert_labels(r, &pk, &nal) : NULL;
    size_t k = 0;
    for (size_t i = 0; i < nal; i++) {
        const char *nm = al[i].name;
        int keep = strcmp(nm, "alertname") != 0 && strcmp(nm, "severity") != 0 &&
                   strcmp(nm, "class") != 0;
        for (size_t s = 1; s < ep->n && keep; s++) {
            const char *v = pq_label_get(ep->sv[s].lab, ep->sv[s].nlab, nm);
            int from_rule = 0;
            for (size_t j = 0; j < r->nlabels; j++)
                if (strcmp(r->labels[j].k, nm) == 0)
                    from_rule = 1;
            if (!from_rule && (v == NULL || strcmp(v, al[i].value) != 0))
                keep = 0;
        }
        if (keep) {
            al[k++] = al[i];
        } else {
            free((char *)al[i].name);
            free((char *)al[i].value);
        }
    }
    fd->labels = al;
    fd->nlabels = k;
    fd->series_total = ep->n;
    size_t ns = ep->n < MAX_EVIDENCE_SERIES ? ep->n : MAX_EVIDENCE_SERIES;
    fd->series = calloc(ns ? ns : 1, sizeof(*fd->series));
    if (fd->series == NULL)
        return -1;
    for (size_t i = 0; i < ns; i++) {
        struct ps_evidence_series *es = &fd->series[i];
        struct evsave *sv = &ep->sv[i];
        es->labels = sv->lab;   /* take ownership */
        es->nlabels = sv->nlab;
        sv->lab = NULL;
        es->t = calloc(3, sizeof(*es->t));
        es->v = calloc(3, sizeof(*es->v));
        if (es->t == NULL || es->v == NULL)
            return -1;
        for (int j = 0; j < 3; j++) {
            if (es->n > 0 && es->t[es->n - 1] == sv->t[j])
                continue;
            /* keep time order: first <= peak <= last */
            es->t[es->n] = sv->t[j];
            es->v[es->n] = sv->v[j];
            es->n++;
        }
        fd->nseries++;
    }
    int64_t lookback = pq_max_range(r->expr->root);
    if (lookback < PQ_LOOKBACK_MS)
        lookback = PQ_LOOKBACK_MS;
    size_t maxev = o != NULL && o->max_events > 0 ? o->max_events
                                                  : PS_RULES_DEFAULT_MAX_EVENTS;
    return link_events(fd, f, lookback, maxev);
}

static void
track_firing(struct alert_state *st, struct episode *ep, int64_t t, int *any)
{
    *any = 0;
    for (size_t i = 0; i < st->n; i++) {
        struct alert *a = &st->v[i];
        if (!a->firing || !a->seen)
            continue;
        *any = 1;
        if (!a->in_episode) {
            a->in_episode = 1;
            a->ep_first = t;
            a->ep_first_v = a->v;
            a->ep_peak_t = t;
            a->ep_peak_v = a->v;
        }
        a->ep_last = t;
        a->ep_last_v = a->v;
        if (a->v > a->ep_peak_v || (isnan(a->ep_peak_v) && !isnan(a->v))) {
            a->ep_peak_v = a->v;
            a->ep_peak_t = t;
        }
    }
    if (*any) {
        if (!ep->open) {
            ep->open = 1;
            ep->first = t;
        }
        ep->last = t;
    }
}

static int
run_rule(const struct rule *r, const struct ps_facts *f, int64_t start, int64_t end,
         int64_t step, const struct ps_rules_opts *o, struct findings *out,
         struct ps_diags *d, struct pq_pool *pool, struct pq_arena *arena)
{
    struct alert_state st;
    struct episode ep;
    memset(&ep, 0, sizeof(ep));
    alert_state_init(&st, r);
    /* the rules of one evaluation share big buffers and the arena */
    st.pool = pool;
    st.arena = *arena;
    memset(arena, 0, sizeof(*arena));
    st.grid_t0 = start;
    st.grid_step = step;
    st.grid_n = (size_t)((end - start) / step) + 1;
    int rc = 0;
    for (int64_t t = start; t <= end; t += step) {
        char err[PQ_ERRLEN];
        enum ps_err e = alert_state_step(&st, r, f, t, err, sizeof(err));
        if (e != PS_OK) {
            char tb[40];
            ps_fmt_time_ms(t, tb, sizeof(tb));
            ps_diag_add(d, PS_SEV_ERROR, e, r->file, PS_OFF_NONE, r->line, PHASE,
                        "rule %s at %s: %s", r->id, tb, err);
            rc = e == PS_E_NOMEM ? -1 : 0;
            break;
        }
        int any;
        track_firing(&st, &ep, t, &any);
        if (alert_state_sweep(&st, save_alert, &ep) != 0 || ep.fail) {
            rc = -1;
            break;
        }
        if (!any && ep.open) {
            if (emit_finding(out, r, &ep, f, o) != 0) {
                rc = -1;
                break;
            }
            episode_clear(&ep);
        }
        if (t > INT64_MAX - step)
            break;
    }
    if (rc == 0 && ep.open) {
        for (size_t i = 0; i < st.n; i++)
            save_alert(&st.v[i], &ep);
        if (ep.fail || emit_finding(out, r, &ep, f, o) != 0)
            rc = -1;
    }
    episode_clear(&ep);
    *arena = st.arena;
    memset(&st.arena, 0, sizeof(st.arena));
    pq_arena_reset(arena);
    alert_state_free(&st);
    return rc;
}

static int
cmp_finding(const void *a, const void *b)
{
    const struct ps_finding *x = a, *y = b;
    if (x->sev != y->sev)
        return x->sev > y->sev ? -1 : 1;
    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    int c = strcmp(x->rule, y->rule);
    if (c != 0)
        return c;
    return x->last < y->last ? -1 : x->last > y->last;
}

static int
cmp_skipped(const void *a, const void *b)
{
    return strcmp(((const struct ps_skipped *)a)->rule, ((const struct ps_skipped *)b)->rule);
}

enum ps_err
ps_rules_eval(const struct ps_rules *rs, const struct ps_facts *f,
              const struct ps_rules_opts *o, struct ps_rules_result *out,
              struct ps_diags *d)
{
    memset(out, 0, sizeof(*out));
    int64_t start = o != NULL ? o->start : 0, end = o != NULL ? o->end : 0;
    int64_t step = o != NULL ? o->step : 0;
    if (start == 0 && end == 0 && !ps_facts_time_range(f, &start, &end)) {
        start = end = 0;
    }
    if (o != NULL && o->at != 0)
        end = o->at;
    if (step <= 0)
        step = default_step(f);
    if (end < start)
        start = end;
    if ((end - start) / step > MAX_STEPS) {
        int64_t ns = (end - start) / MAX_STEPS + 1;
        ps_diag_add(d, PS_SEV_WARN, PS_E_LIMIT, NULL, PS_OFF_NONE, 0, PHASE,
                    "window too long for a %lld ms step; using %lld ms", (long long)step,
                    (long long)ns);
        step = ns;
    }
    /* align the first step on a multiple of the step for stable output */
    out->start = start;
    out->end = end;
    out->step = step;
    struct findings fs = {0};
    struct pq_pool pool = {0};
    struct pq_arena arena = {0};
    struct ps_skipped *sk = NULL;
    size_t nsk = 0, capsk = 0;
    enum ps_err rc = PS_OK;
    for (size_t i = 0; i < rs->n && rc == PS_OK; i++) {
        const struct rule *r = &rs->v[i];
        if (r->disabled)
            continue;
        out->nrules++;
        struct strvec miss = {0};
        if (!inputs_ok(r->expr->root, f, &miss)) {
            if (ps_grow((void **)&sk, &capsk, nsk + 1, sizeof(*sk)) != PS_OK) {
                strvec_free(&miss);
                rc = PS_E_NOMEM;
                break;
            }
            struct ps_skipped *s = &sk[nsk++];
            s->rule = strdup(r->id);
            s->cls = strdup(r->cls != NULL ? r->cls : "");
            s->missing = miss.v;
            s->nmissing = miss.n;
            continue;
        }
        strvec_free(&miss);
        if (run_rule(r, f, start, end, step, o, &fs, d, &pool, &arena) != 0)
            rc = PS_E_NOMEM;
    }
    pq_pool_free(&pool);
    pq_arena_free(&arena);
    if (fs.n > 1)
        qsort(fs.v, fs.n, sizeof(*fs.v), cmp_finding);
    if (nsk > 1)
        qsort(sk, nsk, sizeof(*sk), cmp_skipped);
    out->findings = fs.v;
    out->nfindings = fs.n;
    out->skipped = sk;
    out->nskipped = nsk;
    return rc;
}

void
ps_rules_result_free(struct ps_rules_result *res)
{
    if (res == NULL)
        return;
    for (size_t i = 0; i < res->nfindings; i++) {
        struct ps_finding *fd = &res->findings[i];
        free(fd->rule);
        free(fd->cls);
        free(fd->summary);
        free(fd->description);
        free(fd->advice);
        free(fd->runbook_url);
        rules_labels_free(fd->labels, fd->nlabels);
        for (size_t j = 0; j < fd->nseries; j++) {
            rules_labels_free(fd->series[j].labels, fd->series[j].nlabels);
            free(fd->series[j].t);
            free(fd->series[j].v);
        }
        free(fd->series);
        for (size_t j = 0; j < fd->nevents; j++) {
            free(fd->events[j].file);
            free(fd->events[j].signature);
            free(fd->events[j].message);
        }
        free(fd->events);
    }
    free(res->findings);
    for (size_t i = 0; i < res->nskipped; i++) {
        free(res->skipped[i].rule);
        free(res->skipped[i].cls);
        for (size_t j = 0; j < res->skipped[i].nmissing; j++)
            free(res->skipped[i].missing[j]);
        free(res->skipped[i].missing);
    }
    free(res->skipped);
    memset(res, 0, sizeof(*res));
}
