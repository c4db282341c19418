/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * rules_test.c - `promsight rules test`: unit tests for rule files in the
 * shape of `promtool test rules`:
 *
 *   rule_files: [rules.yaml]          # relative to the test file
 *   evaluation_interval: 1m
 *   tests:
 *   - interval: 1m
 *     input_series:
 *     - series: 'metric{label="v"}'
 *       values: '0+10x30 _ 5 stale'
 *     alert_rule_test:
 *     - eval_time: 10m
 *       alertname: RuleId
 *       exp_alerts:
 *       - exp_labels: {severity: critical, label: v}
 *         exp_annotations: {summary: ...}
 *     promql_expr_test:
 *     - expr: rate(metric[5m])
 *       eval_time: 5m
 *       exp_samples: [{labels: '{label="v"}', value: 0.5}]
 *
 * Sample i of a series is at i * interval from time 0. Rules are stepped
 * from 0 every evaluation_interval; an alert test looks at the alerts
 * firing after the last evaluation at or before its eval_time, like
 * promtool. Alerts compare by their full label set (alertname added) and,
 * when exp_annotations is given, by all their annotations. One promsight
 * extension: an expected alert without exp_annotations does not compare
 * annotations (promtool would compare them with an empty set).
 *
 * Values in series notation: `a`, `axN` (N+1 copies), `a+bxN` / `a-bxN`
 * (N+1 values), `_` (no sample), `_xN` (N gaps), `stale`.
 */
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules_int.h"

#define PHASE "rules: test"
#define MAX_VALUES 1000000

int
ps_rules_expand_values(const char *s, double **vals, uint8_t **present, size_t *n,
                       size_t max, char *err, size_t errn)
{
    double *v = NULL;
    uint8_t *p = NULL;
    size_t k = 0, cap = 0, pcap = 0;
    *vals = NULL;
    *present = NULL;
    *n = 0;
    const char *q = s;
    for (;;) {
        while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')
            q++;
        if (*q == 0)
            break;
        const char *e = q;
        while (*e && *e != ' ' && *e != '\t' && *e != '\n' && *e != '\r')
            e++;
        char tok[128];
        size_t tl = (size_t)(e - q);
        if (tl >= sizeof(tok)) {
            snprintf(err, errn, "value token too long");
            goto fail;
        }
        memcpy(tok, q, tl);
        tok[tl] = 0;
        q = e;
        double a = 0, b = 0;
        long long times = 0;
        int gap = 0, stale = 0, has_x = 0;
        char *x = strchr(tok, 'x');
        if (x != NULL) {
            has_x = 1;
            *x = 0;
            char *end;
            times = strtoll(x + 1, &end, 10);
            if (*end != 0 || x[1] == 0 || times < 0) {
                snprintf(err, errn, "bad repetition in \"%s\"", tok);
                goto fail;
            }
        }
        if (strcmp(tok, "_") == 0) {
            gap = 1;
        } else if (strcmp(tok, "stale") == 0) {
            stale = 1;
        } else {
            /* a, or a+b / a-b (the sign after the first char splits) */
            char *end;
            a = strtod(tok, &end);
            if (end == tok) {
                snprintf(err, errn, "bad value \"%s\"", tok);
                goto fail;
            }
            if (*end == '+' || *end == '-') {
                if (!has_x) {
                    snprintf(err, errn, "\"%s\": a+b needs xN", tok);
                    goto fail;
                }
                char *end2;
                b = strtod(end, &end2);
                if (*end2 != 0 || end2 == end + 1) {
                    snprintf(err, errn, "bad increment in \"%s\"", tok);
                    goto fail;
                }
            } else if (*end != 0) {
                snprintf(err, errn, "bad value \"%s\"", tok);
                goto fail;
            }
        }
        if (stale && has_x) {
            snprintf(err, errn, "stale cannot be repeated");
            goto fail;
        }
        long long cnt = gap ? (has_x ? times : 1) : (has_x ? times + 1 : 1);
        if (cnt < 0 || (size_t)cnt > max - k) {
            snprintf(err, errn, "more than %zu values", max);
            goto fail;
        }
        if (ps_grow((void **)&v, &cap, k + (size_t)cnt + 1, sizeof(*v)) != PS_OK ||
            ps_grow((void **)&p, &pcap, k + (size_t)cnt + 1, sizeof(*p)) != PS_OK) {
            snprintf(err, errn, "out of memory");
            goto fail;
        }
        for (long long i = 0; i < cnt; i++) {
            if (gap) {
                v[k] = NAN;
                p[k] = 0;
            } else if (stale) {
                v[k] = pq_stale_nan();
                p[k] = 1;
            } else {
                v[k] = a + b * (double)i;
                p[k] = 1;
            }
            k++;
        }
    }
    *vals = v;
    *present = p;
    *n = k;
    return 0;
fail:
    free(v);
    free(p);
    return -1;
}

int
rules_parse_series(const char *s, char **metric, struct ps_label **labels,
                   size_t *nlabels, char *err, size_t errn)
{
    *metric = NULL;
    *labels = NULL;
    *nlabels = 0;
    const char *q = s;
    while (*q == ' ')
        q++;
    if (*q == 0 || strcmp(q, "{}") == 0)
        return 0;
    struct pq_expr *e;
    uint32_t col;
    char perr[PQ_ERRLEN];
    if (pq_parse(s, strlen(s), &e, perr, sizeof(perr), &col) != PS_OK) {
        snprintf(err, errn, "series \"%s\": col %u: %s", s, col, perr);
        return -1;
    }
    const struct pq_node *n = e->root;
    if (n->kind != PQ_SEL || n->range_ms != 0 || n->offset_ms != 0) {
        snprintf(err, errn, "series \"%s\": not a plain series selector", s);
        pq_expr_free(e);
        return -1;
    }
    struct ps_label *l = calloc(n->nm ? n->nm : 1, sizeof(*l));
    size_t k = 0;
    int rc = l != NULL ? 0 : -1;
    for (size_t i = 0; i < n->nm && rc == 0; i++) {
        if (n->m[i].op != PQ_M_EQ) {
            snprintf(err, errn, "series \"%s\": only = matchers allowed", s);
            rc = -1;
            break;
        }
        if (strcmp(n->m[i].name, "__name__") == 0)
            continue;
        l[k].name = strdup(n->m[i].name);
        l[k].value = strdup(n->m[i].value);
        k++;
        if (l[k - 1].name == NULL || l[k - 1].value == NULL)
            rc = -1;
    }
    if (rc == 0 && n->metric != NULL && (*metric = strdup(n->metric)) == NULL)
        rc = -1;
    pq_expr_free(e);
    if (rc != 0) {
        rules_labels_free(l, k);
        free(*metric);
        *metric = NULL;
        return -1;
    }
    *labels = l;
    *nlabels = k;
    return 0;
}

/* Canonical text of a labels string (with or without metric name). */
static char *
canon_series(const char *s, char *err, size_t errn)
{
    char *metric;
    struct ps_label *l;
    size_t n;
    if (rules_parse_series(s, &metric, &l, &n, err, errn) != 0)
        return NULL;
    struct ps_label *all = calloc(n + 1, sizeof(*all));
    if (all == NULL) {
        free(metric);
        rules_labels_free(l, n);
        return NULL;
    }
    size_t k = 0;
    if (metric != NULL) {
        all[k].name = "__name__";
        all[k++].value = metric;
    }
    for (size_t i = 0; i < n; i++)
        all[k++] = l[i];
    for (size_t i = 1; i < k; i++)
        for (size_t j = i; j > 0 && strcmp(all[j - 1].name, all[j].name) > 0; j--) {
            struct ps_label t = all[j];
            all[j] = all[j - 1];
            all[j - 1] = t;
        }
    char buf[4096];
    pq_labels_format(all, (uint32_t)k, buf, sizeof(buf));
    free(all);
    free(metric);
    rules_labels_free(l, n);
    return strdup(buf);
}

/* ---- one test group ---- */

struct tcase {
    const char *path;
    struct ps_buf *log;
    struct ps_diags *d;
    size_t failed;
};

static int
load_series(struct tcase *tc, yaml_document_t *doc, yaml_node_t *list, int64_t interval,
            struct ps_facts *f)
{
    if (list == NULL)
        return 0;
    if (list->type != YAML_SEQUENCE_NODE) {
        ps_diag_add(tc->d, PS_SEV_ERROR, PS_E_SYNTAX, tc->path, PS_OFF_NONE, ry_line(list),
                    PHASE, "input_series must be a list");
        return -1;
    }
    uint32_t src = ps_facts_source(f, tc->path);
    for (yaml_node_item_t *it = list->data.sequence.items.start;
         it < list->data.sequence.items.top; it++) {
        yaml_node_t *sn = yaml_document_get_node(doc, *it);
        const char *series = ry_str(ry_get(doc, sn, "series"));
        const char *values = ry_str(ry_get(doc, sn, "values"));
        if (series == NULL || values == NULL) {
            ps_diag_add(tc->d, PS_SEV_ERROR, PS_E_SYNTAX, tc->path, PS_OFF_NONE, ry_line(sn),
                        PHASE, "input series needs \"series\" and \"values\"");
            return -1;
        }
        char err[256];
        char *metric;
        struct ps_label *l;
        size_t nl;
        double *v;
        uint8_t *p;
        size_t nv;
        if (rules_parse_series(series, &metric, &l, &nl, err, sizeof(err)) != 0 ||
            metric == NULL) {
            if (metric == NULL && err[0] == 0)
                snprintf(err, sizeof(err), "series \"%s\" has no metric name", series);
            ps_diag_add(tc->d, PS_SEV_ERROR, PS_E_SYNTAX, tc->path, PS_OFF_NONE, ry_line(sn),
                        PHASE, "%s", err);
            return -1;
        }
        if (ps_rules_expand_values(values, &v, &p, &nv, MAX_VALUES, err, sizeof(err)) != 0) {
            ps_diag_add(tc->d, PS_SEV_ERROR, PS_E_SYNTAX, tc->path, PS_OFF_NONE, ry_line(sn),
                        PHASE, "values of %s: %s", series, err);
            free(metric);
            rules_labels_free(l, nl);
            return -1;
        }
        uint32_t id;
        enum ps_err e = ps_facts_series(f, metric, l, nl, &id);
        for (size_t i = 0; i < nv && e == PS_OK; i++)
            if (p[i])
                e = ps_facts_add_sample(f, id, (int64_t)i * interval, v[i], src);
        free(v);
        free(p);
        free(metric);
        rules_labels_free(l, nl);
        if (e != PS_OK)
            return -1;
    }
    return 0;
}

static int
cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Text of one alert: {labels} + annotations, for comparison and logs. */
static char *
alert_text(const struct ps_label *l, size_t n, const struct rule_kv *ann, size_t nann,
           int with_ann)
{
    struct ps_buf b = {0};
    char buf[4096];
    pq_labels_format(l, (uint32_t)n, buf, sizeof(buf));
    ps_buf_printf(&b, "%s", buf);
    if (with_ann) {
        /* annotations sorted by key */
        size_t *ord = calloc(nann ? nann : 1, sizeof(*ord));
        if (ord != NULL) {
            for (size_t i = 0; i < nann; i++)
                ord[i] = i;
            for (size_t i = 1; i < nann; i++)
                for (size_t j = i; j > 0 && strcmp(ann[ord[j - 1]].k, ann[ord[j]].k) > 0; j--) {
                    size_t t = ord[j];
                    ord[j] = ord[j - 1];
                    ord[j - 1] = t;
                }
            ps_buf_printf(&b, " annotations{");
            for (size_t i = 0; i < nann; i++)
                ps_buf_printf(&b, "%s%s=%s", i ? ", " : "", ann[ord[i]].k, ann[ord[i]].v);
            ps_buf_printf(&b, "}");
            free(ord);
        }
    }
    char *s = strndup(b.p != NULL ? (const char *)b.p : "", b.n);
    ps_buf_free(&b);
    return s;
}

struct strlist {
    char **v;
    size_t n, cap;
};

static void
sl_add(struct strlist *l, char *s)
{
    if (s == NULL || ps_grow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v)) != PS_OK) {
        free(s);
        return;
    }
    l->v[l->n++] = s;
}

static void
sl_free(struct strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

static int
sl_equal(struct strlist *a, struct strlist *b)
{
    if (a->n > 1)
        qsort(a->v, a->n, sizeof(*a->v), cmp_cstr);
    if (b->n > 1)
        qsort(b->v, b->n, sizeof(*b->v), cmp_cstr);
    if (a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->v[i], b->v[i]) != 0)
            return 0;
    return 1;
}

static void
log_list(struct ps_buf *log, const char *what, const struct strlist *l)
{
    ps_buf_printf(log, "        %s:%s\n", what, l->n == 0 ? " (none)" : "");
    for (size_t i = 0; i < l->n; i++)
        ps_buf_printf(log, "          %s\n", l->v[i]);
}

/* Expected alerts of one alert test; with_ann[i] tells whether to compare
 * annotations of entry i (all-or-nothing: any entry with annotations
 * switches comparison on for the whole test). */
static int
expected_alerts(struct tcase *tc, yaml_document_t *doc, yaml_node_t *exp,
                const char *alertname, struct strlist *out, int *with_ann)
{
    *with_ann = 0;
    if (exp == NULL)
        return 0;
    if (exp->type == YAML_SCALAR_NODE && ry_str(exp)[0] == 0)
        return 0;
    if (exp->type != YAML_SEQUENCE_NODE) {
        ps_diag_add(tc->d, PS_SEV_ERROR, PS_E_SYNTAX, tc->path, PS_OFF_NONE, ry_line(exp),
                    PHASE, "exp_alerts must be a list");
        return -1;
    }
    for (yaml_node_item_t *it = exp->data.sequence.items.start;
         it < exp->data.sequence.items.top; it++)
        if (ry_get(doc, yaml_document_get_node(doc, *it), "exp_annotations") != NULL)
            *with_ann = 1;
    for (yaml_node_item_t *it = exp->data.sequence.items.start;
         it < exp->data.sequence.items.top; it++) {
        yaml_node_t *an = yaml_document_get_node(doc, *it);
        yaml_node_t *ln = ry_get(doc, an, "exp_labels");
        yaml_node_t *aa = ry_get(doc, an, "exp_annotations");
        struct ps_label *l = NULL;
        size_t nl = 0, cap = 0;
        struct rule_kv *kv = NULL;
        size_t nkv = 0, kcap = 0;
        if (ln != NULL && ln->type == YAML_MAPPING_NODE) {
            for (yaml_node_pair_t *p = ln->data.mapping.pairs.start;
                 p < ln->data.mapping.pairs.top; p++) {
                const char *k = ry_str(yaml_document_get_node(doc, p->key));
                const char *v = ry_str(yaml_document_get_node(doc, p->value));
                if (k == NULL || v == NULL || *v == 0)
                    continue;
                if (ps_grow((void **)&l, &cap, nl + 2, sizeof(*l)) != PS_OK)
                    break;
                l[nl].name = k;
                l[nl++].value = v;
            }
        }
        if (ps_grow((void **)&l, &cap, nl + 1, sizeof(*l)) == PS_OK) {
            l[nl].name = "alertname";
            l[nl++].value = alertname;
        }
        for (size_t i = 1; i < nl; i++)
            for (size_t j = i; j > 0 && strcmp(l[j - 1].name, l[j].name) > 0; j--) {
                struct ps_label t = l[j];
                l[j] = l[j - 1];
                l[j - 1] = t;
            }
        if (aa != NULL && aa->type == YAML_MAPPING_NODE) {
            for (yaml_node_pair_t *p = aa->data.mapping.pairs.start;
                 p < aa->data.mapping.pairs.top; p++) {
                const char *k = ry_str(yaml_document_get_node(doc, p->key));
                const char *v = ry_str(yaml_document_get_node(doc, p->value));
                if (k == NULL || v == NULL)
                    continue;
                if (ps_grow((void **)&kv, &kcap, nkv + 1, sizeof(*kv)) != PS_OK)
                    break;
                kv[nkv].k = (char *)k;
                kv[nkv++].v = (char *)v;
            }
        }
        sl_add(out, alert_text(l, nl, kv, nkv, *with_ann));
        free(l);
        free(kv);
    }
    return 0;
}

static void
got_alerts(const struct rule *r, const struct alert_state *st, int with_ann,
           struct strlist *out)
{
    for (size_t i = 0; i < st->n; i++) {
        const struct alert *a = &st->v[i];
        if (!a->firing)
            continue;
        size_t nl;
        struct ps_label *l = alert_labels(r, a, &nl);
        if (l == NULL)
            continue;
        struct rule_kv *kv = calloc(r->nann ? r->nann : 1, sizeof(*kv));
        size_t nkv = 0;
        for (size_t j = 0; kv != NULL && j < r->nann; j++) {
            char *s = alert_render(r, r->ann[j].k, NULL, a);
            if (s == NULL)
                continue;
            kv[nkv].k = r->ann[j].k;
            kv[nkv++].v = s;
        }
        sl_add(out, alert_text(l, nl, kv, nkv, with_ann));
        for (size_t j = 0; j < nkv; j++)
            free(kv[j].v);
        free(kv);
        rules_labels_free(l, nl);
    }
}

struct atest {
    int64_t t;
    yaml_node_t *node;
    uint32_t line;
};

static int
cmp_atest(const void *a, const void *b)
{
    const struct atest *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

static int
run_alert_tests(struct tcase *tc, yaml_document_t *doc, yaml_node_t *list,
                const struct ps_rules *rs, const struct ps_facts *f, int64_t eval_iv,
                size_t tno)
{
    if (list == NULL)
        return 0;
    if (list->type != YAML_SEQUENCE_NODE) {
        ps_diag_add(tc->d, PS_SEV_ERROR, PS_E_SYNTAX, tc->path, PS_OFF_NONE, ry_line(list),
                    PHASE, "alert_rule_test must be a list");
        return -1;
    }
    size_t nt = (size_t)(list->data.sequence.items.top - list->data.sequence.items.start);
    struct atest *at = calloc(nt ? nt : 1, sizeof(*at));
    if (at == NULL)
        return -1;
    size_t k = 0;
    int rc = 0;
    for (yaml_node_item_t *it = list->data.sequence.items.start;
         it < list->data.sequence.items.top; it++) {
        yaml_node_t *n = yaml_document_get_node(doc, *it);
        const char *et = ry_str(ry_get(doc, n, "eval_time"));
        const char *an = ry_str(ry_get(doc, n, "alertname"));
        int64_t t;
        if (et == NULL || an == NULL || ry_duration(et, &t) != 0) {
            ps_diag_add(tc->d, PS_SEV_ERROR, PS_E_SYNTAX, tc->path, PS_OFF_NONE, ry_line(n),
                        PHASE, "alert test needs eval_time (a duration) and alertname");
            rc = -1;
            continue;
        }
        at[k].t = t;
        at[k].node = n;
        at[k].line = ry_line(n);
        k++;
    }
    if (k > 1)
        qsort(at, k, sizeof(*at), cmp_atest);
    int64_t maxt = k > 0 ? at[k - 1].t : 0;
    struct alert_state *st = calloc(rs->n ? rs->n : 1, sizeof(*st));
    if (st == NULL) {
        free(at);
        return -1;
    }
    for (size_t i = 0; i < rs->n; i++) {
        alert_state_init(&st[i], &rs->v[i]);
        st[i].grid_t0 = 0;
        st[i].grid_step = eval_iv;
        st[i].grid_n = (size_t)(maxt / eval_iv) + 1;
    }
    size_t cur = 0;
    for (int64_t ts = 0; ts <= maxt && cur < k; ts += eval_iv) {
        for (size_t i = 0; i < rs->n; i++) {
            char err[PQ_ERRLEN];
            if (alert_state_step(&st[i], &rs->v[i], f, ts, err, sizeof(err)) != PS_OK) {
                ps_buf_printf(tc->log, "  test %zu: rule %s at %lldms: %s\n", tno,
                              rs->v[i].id, (long long)ts, err);
                tc->failed++;
            }
            alert_state_sweep(&st[i], NULL, NULL);
        }
        while (cur < k && at[cur].t >= ts && at[cur].t < ts + eval_iv) {
            yaml_node_t *n = at[cur].node;
            const char *an = ry_str(ry_get(doc, n, "alertname"));
            struct strlist exp = {0}, got = {0};
            int with_ann;
            if (expected_alerts(tc, doc, ry_get(doc, n, "exp_alerts"), an, &exp,
                                &with_ann) != 0)
                rc = -1;
            int found = 0;
            for (size_t i = 0; i < rs->n; i++)
                if (strcmp(rs->v[i].id, an) == 0) {
                    found = 1;
                    got_alerts(&rs->v[i], &st[i], with_ann, &got);
                }
            char tb[48];
            ps_fmt_duration_ms(at[cur].t, tb, sizeof(tb));
            if (!found && exp.n > 0) {
                ps_buf_printf(tc->log, "  FAILED %s:%u: test %zu: no rule named %s\n",
                              tc->path, at[cur].line, tno, an);
                tc->failed++;
            } else if (!sl_equal(&exp, &got)) {
                ps_buf_printf(tc->log, "  FAILED %s:%u: test %zu: alertname %s, time %s\n",
                              tc->path, at[cur].line, tno, an, tb);
                log_list(tc->log, "exp", &exp);
                log_list(tc->log, "got", &got);
                tc->failed++;
            }
            sl_free(&exp);
            sl_free(&got);
            cur++;
        }
        if (ts > INT64_MAX - eval_iv)
            break;
    }
    for (size_t i = 0; i < rs->n; i++)
        alert_state_free(&st[i]);
    free(st);
    free(at);
    return rc;
}

static int
run_expr_tests(struct tcase *tc, yaml_document_t *doc, yaml_node_t *list,
               const struct ps_facts *f, size_t tno)
{
    if (list == NULL)
        return 0;
    if (list->type != YAML_SEQUENCE_NODE)
        return -1;
    for (yaml_node_item_t *it = list->data.sequence.items.start;
         it < list->data.sequence.items.top; it++) {
        yaml_node_t *n = yaml_document_get_node(doc, *it);
        const char *expr = ry_str(ry_get(doc, n, "expr"));
        const char *et = ry_str(ry_get(doc, n, "eval_time"));
        int64_t t;
        if (expr == NULL || et == NULL || ry_duration(et, &t) != 0) {
            ps_diag_add(tc->d, PS_SEV_ERROR, PS_E_SYNTAX, tc->path, PS_OFF_NONE, ry_line(n),
                        PHASE, "expr test needs expr and eval_time");
            return -1;
        }
        struct strlist exp = {0}, got = {0};
        yaml_node_t *es = ry_get(doc, n, "exp_samples");
        char err[PQ_ERRLEN];
        int bad = 0;
        if (es != NULL && es->type == YAML_SEQUENCE_NODE) {
            for (yaml_node_item_t *si = es->data.sequence.items.start;
                 si < es->data.sequence.items.top; si++) {
                yaml_node_t *sn = yaml_document_get_node(doc, *si);
                const char *ls = ry_str(ry_get(doc, sn, "labels"));
                const char *vs = ry_str(ry_get(doc, sn, "value"));
                char *c = canon_series(ls != NULL ? ls : "", err, sizeof(err));
                char *end = NULL;
                double v = vs != NULL ? strtod(vs, &end) : NAN;
                if (c == NULL || vs == NULL || end == vs) {
                    ps_diag_add(tc->d, PS_SEV_ERROR, PS_E_SYNTAX, tc->path, PS_OFF_NONE,
                                ry_line(sn), PHASE, "bad exp_samples entry%s%s",
                                c == NULL ? ": " : "", c == NULL ? err : "");
                    free(c);
                    bad = 1;
                    continue;
                }
                char vb[64];
                ps_rules_fmt_go_float(v, vb, sizeof(vb));
                struct ps_buf b = {0};
                ps_buf_printf(&b, "%s %s", c, vb);
                sl_add(&exp, strndup((const char *)b.p, b.n));
                ps_buf_free(&b);
                free(c);
            }
        }
        struct ps_query_sample *qs;
        size_t nq;
        int is_scalar;
        enum ps_err e = ps_rules_query(f, expr, t, &qs, &nq, &is_scalar, err, sizeof(err));
        if (e != PS_OK) {
            ps_buf_printf(tc->log, "  FAILED %s:%u: test %zu: expr %s: %s\n", tc->path,
                          ry_line(n), tno, expr, err);
            tc->failed++;
        } else {
            for (size_t i = 0; i < nq; i++) {
                char vb[64];
                ps_rules_fmt_go_float(qs[i].v, vb, sizeof(vb));
                struct ps_buf b = {0};
                ps_buf_printf(&b, "%s %s", qs[i].labels[0] ? qs[i].labels : "{}", vb);
                sl_add(&got, strndup((const char *)b.p, b.n));
                ps_buf_free(&b);
            }
            ps_rules_query_free(qs, nq);
            if (bad || !sl_equal(&exp, &got)) {
                ps_buf_printf(tc->log, "  FAILED %s:%u: test %zu: expr %s, time %s\n",
                              tc->path, ry_line(n), tno, expr, et);
                log_list(tc->log, "exp", &exp);
                log_list(tc->log, "got", &got);
                tc->failed++;
            }
        }
        sl_free(&exp);
        sl_free(&got);
    }
    return 0;
}

static enum ps_err
read_whole(const char *path, struct ps_buf *b, struct ps_diags *d)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_IO, path, PS_OFF_NONE, 0, PHASE, "cannot open");
        return PS_E_IO;
    }
    char chunk[65536];
    size_t r;
    enum ps_err e = PS_OK;
    while ((r = fread(chunk, 1, sizeof(chunk), f)) > 0 && e == PS_OK) {
        if (b->n + r > ((size_t)64 << 20))
            e = PS_E_LIMIT;
        else
            e = ps_buf_append(b, chunk, r);
    }
    fclose(f);
    return e;
}

enum ps_err
ps_rules_test_file(const char *path, struct ps_buf *log, size_t *failed,
                   struct ps_diags *d)
{
    *failed = 0;
    struct ps_buf buf = {0};
    enum ps_err rc = read_whole(path, &buf, d);
    if (rc != PS_OK) {
        ps_buf_free(&buf);
        return rc;
    }
    yaml_parser_t p;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&p)) {
        ps_buf_free(&buf);
        return PS_E_NOMEM;
    }
    yaml_parser_set_input_string(&p, buf.p != NULL ? buf.p : (const unsigned char *)"",
                                 buf.n);
    if (!yaml_parser_load(&p, &doc)) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_SYNTAX, path, PS_OFF_NONE,
                    (uint32_t)p.problem_mark.line + 1, PHASE, "YAML: %s",
                    p.problem != NULL ? p.problem : "parse error");
        yaml_parser_delete(&p);
        ps_buf_free(&buf);
        return PS_E_SYNTAX;
    }
    struct tcase tc = {path, log, d, 0};
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    struct ps_rules *rs = ps_rules_new();
    char *pcopy = strdup(path);
    const char *dir = pcopy != NULL ? dirname(pcopy) : ".";
    int64_t eval_iv = 60000;
    yaml_node_t *rf = ry_get(&doc, root, "rule_files");
    const char *eis = ry_str(ry_get(&doc, root, "evaluation_interval"));
    if (eis != NULL && (ry_duration(eis, &eval_iv) != 0 || eval_iv <= 0)) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_SYNTAX, path, PS_OFF_NONE, 0, PHASE,
                    "bad evaluation_interval \"%s\"", eis);
        rc = PS_E_SYNTAX;
    }
    if (rs == NULL || pcopy == NULL) {
        rc = PS_E_NOMEM;
    } else if (rf != NULL && rf->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *it = rf->data.sequence.items.start;
             it < rf->data.sequence.items.top && rc == PS_OK; it++) {
            const char *name = ry_str(yaml_document_get_node(&doc, *it));
            if (name == NULL)
                continue;
            char full[4096];
            if (name[0] == '/')
                snprintf(full, sizeof(full), "%s", name);
            else
                snprintf(full, sizeof(full), "%s/%s", dir, name);
            enum ps_err e = ps_rules_load_file(rs, full, d);
            if (e != PS_OK) {
                ps_buf_printf(log, "  FAILED: rule file %s does not load\n", full);
                tc.failed++;
            }
        }
    }
    yaml_node_t *tests = ry_get(&doc, root, "tests");
    if (rc == PS_OK && (tests == NULL || tests->type != YAML_SEQUENCE_NODE)) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_SYNTAX, path, PS_OFF_NONE, ry_line(root), PHASE,
                    "expected a \"tests\" list");
        rc = PS_E_SYNTAX;
    }
    size_t tno = 0;
    if (rc == PS_OK) {
        for (yaml_node_item_t *it = tests->data.sequence.items.start;
             it < tests->data.sequence.items.top; it++) {
            yaml_node_t *tn = yaml_document_get_node(&doc, *it);
            tno++;
            int64_t iv = 60000;
            const char *ivs = ry_str(ry_get(&doc, tn, "interval"));
            if (ivs != NULL && (ry_duration(ivs, &iv) != 0 || iv <= 0)) {
                ps_diag_add(d, PS_SEV_ERROR, PS_E_SYNTAX, path, PS_OFF_NONE, ry_line(tn),
                            PHASE, "bad interval \"%s\"", ivs);
                tc.failed++;
                continue;
            }
            struct ps_facts *f = ps_facts_new();
            if (f == NULL) {
                rc = PS_E_NOMEM;
                break;
            }
            if (load_series(&tc, &doc, ry_get(&doc, tn, "input_series"), iv, f) != 0 ||
                run_alert_tests(&tc, &doc, ry_get(&doc, tn, "alert_rule_test"), rs, f,
                                eval_iv, tno) != 0 ||
                run_expr_tests(&tc, &doc, ry_get(&doc, tn, "promql_expr_test"), f, tno) != 0) {
                ps_buf_printf(log, "  FAILED %s:%u: test %zu could not run (see errors)\n",
                              path, ry_line(tn), tno);
                tc.failed++;
            }
            ps_facts_free(f);
        }
    }
    *failed = tc.failed;
    ps_rules_free(rs);
    free(pcopy);
    yaml_document_delete(&doc);
    yaml_parser_delete(&p);
    ps_buf_free(&buf);
    return rc;
}
