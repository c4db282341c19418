/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * rules_query.c - evaluate one PromQL expression at one instant over a fact
 * store and return its samples with canonical label strings: what unit
 * tests, `rules test`'s promql_expr_test and tools use.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules_int.h"

void
ps_rules_query_free(struct ps_query_sample *s, size_t n)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        free(s[i].labels);
    free(s);
}

static int
cmp_qs(const void *a, const void *b)
{
    return strcmp(((const struct ps_query_sample *)a)->labels,
                  ((const struct ps_query_sample *)b)->labels);
}

enum ps_err
ps_rules_query(const struct ps_facts *f, const char *expr, int64_t t,
               struct ps_query_sample **out, size_t *n, int *is_scalar, char *err,
               size_t errn)
{
    *out = NULL;
    *n = 0;
    *is_scalar = 0;
    struct pq_expr *e;
    uint32_t col;
    char perr[PQ_ERRLEN];
    enum ps_err rc = pq_parse(expr, strlen(expr), &e, perr, sizeof(perr), &col);
    if (rc != PS_OK) {
        snprintf(err, errn, "col %u: %s", col, perr);
        return rc;
    }
    if (e->root->type != PQ_T_VECTOR && e->root->type != PQ_T_SCALAR) {
        snprintf(err, errn, "expression must be a scalar or an instant vector");
        pq_expr_free(e);
        return PS_E_EVAL;
    }
    struct pq_arena a = {0};
    struct pq_ctx c;
    memset(&c, 0, sizeof(c));
    c.f = f;
    c.a = &a;
    c.cache = pq_cache_new(e);
    c.ncache = e->nsel;
    c.t = t;
    pq_value v;
    if (c.cache == NULL) {
        rc = PS_E_NOMEM;
        snprintf(err, errn, "out of memory");
    } else if ((rc = pq_eval(&c, e, &v)) != PS_OK) {
        snprintf(err, errn, "%s", c.err);
    } else if (v.type == PQ_T_SCALAR) {
        *out = calloc(1, sizeof(**out));
        if (*out == NULL || ((*out)->labels = strdup("")) == NULL) {
            free(*out);
            *out = NULL;
            rc = PS_E_NOMEM;
        } else {
            (*out)->v = v.scalar;
            *n = 1;
            *is_scalar = 1;
        }
    } else {
        struct ps_query_sample *s = calloc(v.n ? v.n : 1, sizeof(*s));
        if (s == NULL) {
            rc = PS_E_NOMEM;
        } else {
            for (size_t i = 0; i < v.n; i++) {
                char buf[4096];
                pq_labels_format(v.vec[i].lab, v.vec[i].nlab, buf, sizeof(buf));
                s[i].labels = strdup(buf);
                s[i].v = v.vec[i].v;
                if (s[i].labels == NULL)
                    rc = PS_E_NOMEM;
            }
            if (rc != PS_OK) {
                ps_rules_query_free(s, v.n);
            } else {
                if (v.n > 1)
                    qsort(s, v.n, sizeof(*s), cmp_qs);
                *out = s;
                *n = v.n;
            }
        }
    }
    pq_cache_free(c.cache, c.ncache);
    pq_arena_free(&a);
    pq_expr_free(e);
    return rc;
}
