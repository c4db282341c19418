/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pq_func.c - the PromQL functions promsight's rules may call, their
 * signatures (for the parser's type check) and their evaluation.
 *
 * Semantics follow Prometheus 2.42 (promql/functions.go), checked with
 * promtool in tests/cli/rules_promtool_oracle.sh:
 *  - rate/increase/delta extrapolate from the first and last sample in the
 *    range to the range boundaries, but only as far as 1.1 x the average
 *    sample interval (else half an interval), and a counter is not
 *    extrapolated below zero; counter resets add the value before the
 *    reset. rate divides by the range in seconds.
 *  - irate/idelta use the last two samples; deriv and predict_linear use a
 *    least-squares fit with time relative to the evaluation time.
 *  - every function drops the metric name except last_over_time,
 *    label_replace and vector.
 *  - absent()/absent_over_time() return 1 with the labels of the argument
 *    selector's equality matchers when the argument is empty.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promsight/ps_util.h"
#include "rules/pq_int.h"

enum pq_fn {
    F_RATE, F_IRATE, F_INCREASE, F_DELTA, F_IDELTA, F_DERIV, F_PREDICT_LINEAR,
    F_CHANGES, F_RESETS, F_ABSENT, F_ABSENT_OVER_TIME, F_AVG_OT, F_MIN_OT,
    F_MAX_OT, F_SUM_OT, F_COUNT_OT, F_LAST_OT, F_QUANTILE_OT, F_STDDEV_OT,
    F_PRESENT_OT, F_TIME, F_TIMESTAMP, F_CLAMP_MIN, F_CLAMP_MAX, F_CLAMP,
    F_ABS, F_CEIL, F_FLOOR, F_ROUND, F_SQRT, F_EXP, F_LN, F_LOG2, F_LOG10,
    F_LABEL_REPLACE, F_VECTOR, F_SCALAR
};

#define S PQ_T_SCALAR
#define V PQ_T_VECTOR
#define M PQ_T_MATRIX
#define STR PQ_T_STRING

static const struct pq_func funcs[] = {
    {"abs", V, {V}, 1, 0, F_ABS},
    {"absent", V, {V}, 1, 0, F_ABSENT},
    {"absent_over_time", V, {M}, 1, 0, F_ABSENT_OVER_TIME},
    {"avg_over_time", V, {M}, 1, 0, F_AVG_OT},
    {"ceil", V, {V}, 1, 0, F_CEIL},
    {"changes", V, {M}, 1, 0, F_CHANGES},
    {"clamp", V, {V, S, S}, 3, 0, F_CLAMP},
    {"clamp_max", V, {V, S}, 2, 0, F_CLAMP_MAX},
    {"clamp_min", V, {V, S}, 2, 0, F_CLAMP_MIN},
    {"count_over_time", V, {M}, 1, 0, F_COUNT_OT},
    {"delta", V, {M}, 1, 0, F_DELTA},
    {"deriv", V, {M}, 1, 0, F_DERIV},
    {"exp", V, {V}, 1, 0, F_EXP},
    {"floor", V, {V}, 1, 0, F_FLOOR},
    {"idelta", V, {M}, 1, 0, F_IDELTA},
    {"increase", V, {M}, 1, 0, F_INCREASE},
    {"irate", V, {M}, 1, 0, F_IRATE},
    {"label_replace", V, {V, STR, STR, STR, STR}, 5, 0, F_LABEL_REPLACE},
    {"last_over_time", V, {M}, 1, 0, F_LAST_OT},
    {"ln", V, {V}, 1, 0, F_LN},
    {"log10", V, {V}, 1, 0, F_LOG10},
    {"log2", V, {V}, 1, 0, F_LOG2},
    {"max_over_time", V, {M}, 1, 0, F_MAX_OT},
    {"min_over_time", V, {M}, 1, 0, F_MIN_OT},
    {"predict_linear", V, {M, S}, 2, 0, F_PREDICT_LINEAR},
    {"present_over_time", V, {M}, 1, 0, F_PRESENT_OT},
    {"quantile_over_time", V, {S, M}, 2, 0, F_QUANTILE_OT},
    {"rate", V, {M}, 1, 0, F_RATE},
    {"resets", V, {M}, 1, 0, F_RESETS},
    {"round", V, {V, S}, 1, 1, F_ROUND},
    {"scalar", S, {V}, 1, 0, F_SCALAR},
    {"sqrt", V, {V}, 1, 0, F_SQRT},
    {"stddev_over_time", V, {M}, 1, 0, F_STDDEV_OT},
    {"sum_over_time", V, {M}, 1, 0, F_SUM_OT},
    {"time", S, {S}, 0, 0, F_TIME},
    {"timestamp", V, {V}, 1, 0, F_TIMESTAMP},
    {"vector", V, {S}, 1, 0, F_VECTOR},
};

#undef S
#undef V
#undef M
#undef STR

const struct pq_func *
pq_func_lookup(const char *name, size_t n)
{
    for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++)
        if (strlen(funcs[i].name) == n && memcmp(funcs[i].name, name, n) == 0)
            return &funcs[i];
    return NULL;
}

static int
ferr(struct pq_ctx *c, const char *msg)
{
    snprintf(c->err, sizeof(c->err), "%s", msg);
    return -1;
}

/* ---- range-vector kernels ---- */

/* may_reset 0: the caller knows no sample in m is below the one before
 * it, so the counter-reset scan would add nothing. */
static double
extrapolated_rate(const struct pq_mel *m, int64_t range_end, int64_t range_ms,
                  int is_counter, int is_rate, int may_reset, int *ok)
{
    *ok = 0;
    if (m->n < 2)
        return 0;
    const struct ps_sample *s = m->s;
    size_t n = m->n;
    double result = s[n - 1].v - s[0].v;
    if (is_counter && may_reset) {
        double last = 0;
        for (size_t i = 0; i < n; i++) {
            if (s[i].v < last)
                result += last;
            last = s[i].v;
        }
    }
    double range_start = (double)(range_end - range_ms);
    double to_start = ((double)s[0].t - range_start) / 1000.0;
    double to_end = ((double)range_end - (double)s[n - 1].t) / 1000.0;
    double sampled = (double)(s[n - 1].t - s[0].t) / 1000.0;
    double avg = sampled / (double)(n - 1);
    if (is_counter && result > 0 && s[0].v >= 0) {
        double to_zero = sampled * (s[0].v / result);
        if (to_zero < to_start)
            to_start = to_zero;
    }
    double thr = avg * 1.1;
    double interval = sampled;
    interval += to_start < thr ? to_start : avg / 2;
    interval += to_end < thr ? to_end : avg / 2;
    double factor = interval / sampled;
    if (is_rate)
        factor /= (double)range_ms / 1000.0;
    result *= factor;
    *ok = 1;
    return result;
}

static double
instant_delta(const struct pq_mel *m, int is_rate, int *ok)
{
    *ok = 0;
    if (m->n < 2)
        return 0;
    const struct ps_sample *a = &m->s[m->n - 2], *b = &m->s[m->n - 1];
    double r;
    if (is_rate && b->v < a->v)
        r = b->v;   /* counter reset */
    else
        r = b->v - a->v;
    double dt = (double)(b->t - a->t);
    if (dt == 0)
        return 0;
    if (is_rate)
        r /= dt / 1000.0;
    *ok = 1;
    return r;
}

/* Least squares with x = seconds relative to icept_t, plain sums as in
 * Prometheus 2.42; a constant series has slope 0 (NaN if infinite). */
static void
linreg(const struct pq_mel *m, int64_t icept_t, double *slope, double *icept)
{
    double n = 0, sx = 0, sy = 0, sxy = 0, sx2 = 0;
    double init = m->s[0].v;
    int consty = 1;
    for (size_t i = 0; i < m->n; i++) {
        double v = m->s[i].v;
        if (v != init)
            consty = 0;
        double x = (double)(m->s[i].t - icept_t) / 1e3;
        n += 1;
        sx += x;
        sy += v;
        sxy += x * v;
        sx2 += x * x;
    }
    if (consty) {
        if (isinf(init)) {
            *slope = NAN;
            *icept = NAN;
        } else {
            *slope = 0;
            *icept = init;
        }
        return;
    }
    double cov = sxy - sx * sy / n;
    double var = sx2 - sx * sx / n;
    *slope = cov / var;
    *icept = sy / n - *slope * sx / n;
}

static void
kahan_inc(double inc, double *sum, double *comp)
{
    double t = *sum + inc;
    if (fabs(*sum) >= fabs(inc))
        *comp += (*sum - t) + inc;
    else
        *comp += (inc - t) + *sum;
    *sum = t;
}

/* One sample into avg_over_time's running mean (as Prometheus 2.42). */
static inline void
avg_step(double *mean, double *count, double v)
{
    *count += 1;
    if (isinf(*mean)) {
        if (isinf(v) && (*mean > 0) == (v > 0))
            return;
        if (!isinf(v) && !isnan(v))
            return;
    }
    *mean += v / *count - *mean / *count;
}

/* avg_over_time of two windows at once: each mean is a chain of
 * dependent divisions, so running two side by side nearly halves the
 * time; each is computed exactly as alone. */
static void
avg2(const struct ps_sample *a, size_t na, const struct ps_sample *b, size_t nb,
     double *ra, double *rb)
{
    double ma = 0, ca = 0, mb = 0, cb = 0;
    size_t i = 0;
    for (; i < na && i < nb; i++) {
        avg_step(&ma, &ca, a[i].v);
        avg_step(&mb, &cb, b[i].v);
    }
    for (size_t j = i; j < na; j++)
        avg_step(&ma, &ca, a[j].v);
    for (size_t j = i; j < nb; j++)
        avg_step(&mb, &cb, b[j].v);
    *ra = ma;
    *rb = mb;
}

static double
over_time(int id, const struct pq_mel *m, double q, struct pq_ctx *c, int *ok)
{
    *ok = 1;
    const struct ps_sample *s = m->s;
    size_t n = m->n;
    switch (id) {
    case F_AVG_OT: {
        double mean = 0, count = 0;
        for (size_t i = 0; i < n; i++)
            avg_step(&mean, &count, s[i].v);
        return mean;
    }
    case F_MIN_OT: {
        double v = s[0].v;
        for (size_t i = 1; i < n; i++)
            if (s[i].v < v || isnan(v))
                v = s[i].v;
        return v;
    }
    case F_MAX_OT: {
        double v = s[0].v;
        for (size_t i = 1; i < n; i++)
            if (s[i].v > v || isnan(v))
                v = s[i].v;
        return v;
    }
    case F_SUM_OT: {
        double sum = 0, comp = 0;
        for (size_t i = 0; i < n; i++)
            kahan_inc(s[i].v, &sum, &comp);
        return sum + comp;
    }
    case F_COUNT_OT: return (double)n;
    case F_LAST_OT: return s[n - 1].v;
    case F_PRESENT_OT: return 1;
    case F_STDDEV_OT: {
        double count = 0, mean = 0, aux = 0;
        for (size_t i = 0; i < n; i++) {
            count++;
            double delta = s[i].v - mean;
            mean += delta / count;
            aux += delta * (s[i].v - mean);
        }
        return sqrt(aux / count);
    }
    case F_QUANTILE_OT: {
        if (isnan(q))
            return NAN;
        if (q < 0)
            return -INFINITY;
        if (q > 1)
            return INFINITY;
        double *v = pq_alloc_array(c->a, n, sizeof(double));
        if (v == NULL) {
            *ok = -1;
            return 0;
        }
        for (size_t i = 0; i < n; i++)
            v[i] = s[i].v;
        ps_sort_doubles(v, n);
        return ps_quantile_sorted(v, n, q);
    }
    case F_CHANGES:
    case F_RESETS: {
        double cnt = 0, prev = s[0].v;
        for (size_t i = 1; i < n; i++) {
            double cur = s[i].v;
            if (id == F_CHANGES) {
                if (cur != prev && !(isnan(cur) && isnan(prev)))
                    cnt++;
            } else if (cur < prev) {
                cnt++;
            }
            prev = cur;
        }
        return cnt;
    }
    default:
        *ok = 0;
        return 0;
    }
}

/* absent(): labels from the selector's equality matchers. */
static int
absent_labels(struct pq_ctx *c, const struct pq_node *arg, const struct ps_label **out,
              uint32_t *nout)
{
    *out = NULL;
    *nout = 0;
    if (arg->kind != PQ_SEL)
        return 0;
    struct ps_label *l = pq_alloc_array(c->a, arg->nm ? arg->nm : 1, sizeof(*l));
    if (l == NULL)
        return -1;
    uint32_t k = 0;
    for (size_t i = 0; i < arg->nm; i++) {
        const struct pq_matcher *m = &arg->m[i];
        if (strcmp(m->name, "__name__") == 0 || m->op != PQ_M_EQ)
            continue;
        int dup = 0;
        for (size_t j = 0; j < arg->nm; j++)
            if (j != i && strcmp(arg->m[j].name, m->name) == 0)
                dup = 1;
        if (dup)
            continue;
        l[k].name = m->name;
        l[k].value = m->value;
        k++;
    }
    /* sort by name (few labels: insertion sort) */
    for (uint32_t i = 1; i < k; i++)
        for (uint32_t j = i; j > 0 && strcmp(l[j - 1].name, l[j].name) > 0; j--) {
            struct ps_label t = l[j];
            l[j] = l[j - 1];
            l[j - 1] = t;
        }
    /* drop empty values */
    uint32_t m = 0;
    for (uint32_t i = 0; i < k; i++)
        if (l[i].value[0] != 0)
            l[m++] = l[i];
    *out = l;
    *nout = m;
    return 0;
}

static int
valid_label_name(const char *s)
{
    if (!(isalpha((unsigned char)*s) || *s == '_'))
        return 0;
    for (s++; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_'))
            return 0;
    return 1;
}

/* Expand $1, ${1}, $name, ${name}, $$ in repl using the match of re. */
static char *
expand_repl(struct pq_ctx *c, const char *repl, const char *subject, pcre2_code *re,
            pcre2_match_data *md)
{
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    uint32_t ngroups = pcre2_get_ovector_count(md);
    struct ps_buf b = {0};
    for (const char *p = repl; *p;) {
        if (*p != '$') {
            ps_buf_append(&b, p, 1);
            p++;
            continue;
        }
        p++;
        if (*p == '$') {
            ps_buf_append(&b, "$", 1);
            p++;
            continue;
        }
        const char *nm;
        size_t nl;
        if (*p == '{') {
            const char *e = strchr(p, '}');
            if (e == NULL) {
                ps_buf_append(&b, "$", 1);
                continue;
            }
            nm = p + 1;
            nl = (size_t)(e - nm);
            p = e + 1;
        } else {
            nm = p;
            while (*p && (isalnum((unsigned char)*p) || *p == '_'))
                p++;
            nl = (size_t)(p - nm);
            if (nl == 0) {
                ps_buf_append(&b, "$", 1);
                continue;
            }
        }
        int all_digits = nl > 0;
        for (size_t i = 0; i < nl; i++)
            if (!isdigit((unsigned char)nm[i]))
                all_digits = 0;
        long g = -1;
        if (all_digits && nl < 6) {
            g = 0;
            for (size_t i = 0; i < nl; i++)
                g = g * 10 + (nm[i] - '0');
        } else if (nl < 64) {
            char name[64];
            memcpy(name, nm, nl);
            name[nl] = 0;
            int r = pcre2_substring_number_from_name(re, (PCRE2_SPTR)name);
            g = r >= 0 ? r : -1;
        }
        if (g >= 0 && (uint32_t)g < ngroups && ov[2 * g] != PCRE2_UNSET)
            ps_buf_append(&b, subject + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
    }
    char *r = pq_strdup(c->a, b.p != NULL ? (const char *)b.p : "", b.n);
    ps_buf_free(&b);
    return r;
}

static int
label_replace(struct pq_ctx *c, pq_value *args, pq_value *out)
{
    const char *dst = args[1].str, *repl = args[2].str, *src = args[3].str,
               *rx = args[4].str;
    if (!valid_label_name(dst))
        return ferr(c, "label_replace: invalid destination label name");
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)rx, PCRE2_ZERO_TERMINATED,
                                   PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_UTF |
                                       PCRE2_DOTALL,
                                   &ec, &eo, NULL);
    if (re == NULL)
        return ferr(c, "label_replace: invalid regular expression");
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    if (md == NULL) {
        pcre2_code_free(re);
        return ferr(c, "out of memory");
    }
    *out = args[0];
    struct pq_el *v = pq_alloc_array(c->a, args[0].n ? args[0].n : 1, sizeof(*v));
    int rc = 0;
    if (v == NULL) {
        rc = ferr(c, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < args[0].n; i++) {
        v[i] = args[0].vec[i];
        const char *sv = pq_label_get(v[i].lab, v[i].nlab, src);
        if (sv == NULL)
            sv = "";
        if (pcre2_match(re, (PCRE2_SPTR)sv, strlen(sv), 0, 0, md, NULL) < 0)
            continue;
        v[i].sid = UINT32_MAX;
        char *nv = expand_repl(c, repl, sv, re, md);
        if (nv == NULL ||
            pq_labels_set(c->a, v[i].lab, v[i].nlab, dst, nv, &v[i].lab, &v[i].nlab) != 0) {
            rc = ferr(c, "out of memory");
            goto done;
        }
    }
    out->vec = v;
done:
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    return rc;
}

static double
simple(int id, double v, double arg)
{
    switch (id) {
    case F_ABS: return fabs(v);
    case F_CEIL: return ceil(v);
    case F_FLOOR: return floor(v);
    case F_SQRT: return sqrt(v);
    case F_EXP: return exp(v);
    case F_LN: return log(v);
    case F_LOG2: return log2(v);
    case F_LOG10: return log10(v);
    case F_ROUND: {
        double inv = 1.0 / arg;
        return floor(v * inv + 0.5) / inv;
    }
    case F_CLAMP_MIN: return fmax(v, arg);
    case F_CLAMP_MAX: return fmin(v, arg);
    default: return v;
    }
}

/* The value of range function id over one series' window m. */
static double
range_value(struct pq_ctx *c, int id, const struct pq_mel *m, int64_t range_end,
            int64_t range_ms, int64_t eval_t, double arg1, double q, int *ok)
{
    *ok = 1;
    switch (id) {
    case F_RATE:
    case F_INCREASE:
    case F_DELTA:
        return extrapolated_rate(m, range_end, range_ms, id != F_DELTA, id == F_RATE, 1, ok);
    case F_IRATE:
    case F_IDELTA:
        return instant_delta(m, id == F_IRATE, ok);
    case F_DERIV:
    case F_PREDICT_LINEAR: {
        if (m->n < 2) {
            *ok = 0;
            return 0;
        }
        double slope, icept;
        linreg(m, eval_t, &slope, &icept);
        return id == F_DERIV ? slope : icept + slope * arg1;
    }
    default:
        return over_time(id, m, q, c, ok);
    }
}

/* A scalar expression without selectors or time(): same at every step. */
static int
const_scalar(const struct pq_node *n)
{
    switch (n->kind) {
    case PQ_NUM:
        return 1;
    case PQ_NEG:
        return const_scalar(n->lhs);
    case PQ_BIN:
        return n->type == PQ_T_SCALAR && const_scalar(n->lhs) && const_scalar(n->rhs);
    default:
        return 0;
    }
}

/* avg_over_time over every step's window of series i of sc, two
 * windows at a time. */
static void
precompute_avg(const struct pq_ctx *c, const struct pq_node *msel, struct pq_selcache *sc,
               size_t i)
{
    size_t ns = c->grid_n, nser = sc->n;
    const struct pq_selser *se = &sc->ser[i];
    size_t lo = 0, hi = 0;   /* window: samples [lo, hi) */
    size_t pk = SIZE_MAX, plo = 0, phi = 0;   /* a window waiting for a partner */
    for (size_t k = 0; k < ns; k++) {
        int64_t t = c->grid_t0 + (int64_t)k * c->grid_step;
        int64_t end = t - msel->offset_ms, start = end - msel->range_ms;
        while (hi < se->ns && se->s[hi].t <= end)
            hi++;
        while (lo < hi && se->s[lo].t < start)
            lo++;
        if (lo >= hi)
            continue;
        if (pk == SIZE_MAX) {
            pk = k;
            plo = lo;
            phi = hi;
            continue;
        }
        avg2(se->s + plo, phi - plo, se->s + lo, hi - lo, &sc->pv[pk * nser + i],
             &sc->pv[k * nser + i]);
        sc->pok[pk * nser + i] = 1;
        sc->pok[k * nser + i] = 1;
        pk = SIZE_MAX;
    }
    if (pk != SIZE_MAX) {
        double mean = 0, count = 0;
        for (size_t j = plo; j < phi; j++)
            avg_step(&mean, &count, se->s[j].v);
        sc->pv[pk * nser + i] = mean;
        sc->pok[pk * nser + i] = 1;
    }
}

/* Every step's value of range function id over selector msel, series by
 * series: the window slides forward through each series' samples once. */
static int
precompute_range(struct pq_ctx *c, const struct pq_node *call, int id,
                 const struct pq_node *msel, double arg1, struct pq_selcache *sc)
{
    (void)call;
    size_t ns = c->grid_n, nser = sc->n;
    if (nser == 0 || sc->any_stale || ns > PQ_PRECOMPUTE_MAX / nser) {
        sc->pre = -1;
        return 0;
    }
    if (pq_cache_grids(c, sc, ns * nser, 0) != 0)
        return ferr(c, "out of memory");
    /* For functions that look at adjacent sample pairs, the number of
     * pairs of interest up to each sample (pairs (j - 1, j), j <= i):
     * a window [lo, hi) holds cnt[hi - 1] - cnt[lo] of them. changes()
     * and resets() are that count (a sum of ones: exact); rate() and
     * increase() skip their reset scan when it is 0. */
    int by_pairs = id == F_CHANGES || id == F_RESETS || id == F_RATE || id == F_INCREASE;
    uint32_t *cnt = NULL;
    size_t ncnt = 0;
    for (size_t i = 0; i < nser; i++) {
        const struct pq_selser *se = &sc->ser[i];
        if (by_pairs && se->ns > 0) {
            if (se->ns > ncnt) {
                uint32_t *nc = realloc(cnt, se->ns * sizeof(*cnt));
                if (nc == NULL) {
                    free(cnt);
                    return ferr(c, "out of memory");
                }
                cnt = nc;
                ncnt = se->ns;
            }
            cnt[0] = 0;
            for (size_t j = 1; j < se->ns; j++) {
                double prev = se->s[j - 1].v, cur = se->s[j].v;
                int hit = id == F_CHANGES ? cur != prev && !(isnan(cur) && isnan(prev))
                                          : cur < prev;
                cnt[j] = cnt[j - 1] + (uint32_t)hit;
            }
        }
        if (id == F_AVG_OT) {
            precompute_avg(c, msel, sc, i);
            continue;
        }
        size_t lo = 0, hi = 0;   /* window: samples [lo, hi) */
        for (size_t k = 0; k < ns; k++) {
            int64_t t = c->grid_t0 + (int64_t)k * c->grid_step;
            int64_t end = t - msel->offset_ms, start = end - msel->range_ms;
            while (hi < se->ns && se->s[hi].t <= end)
                hi++;
            while (lo < hi && se->s[lo].t < start)
                lo++;
            if (lo >= hi)
                continue;
            struct pq_mel m = {se->lab, se->nlab, se->id, se->s + lo, hi - lo};
            int ok;
            double v;
            if (id == F_CHANGES || id == F_RESETS) {
                v = (double)(cnt[hi - 1] - cnt[lo]);
                ok = 1;
            } else if (by_pairs) {
                v = extrapolated_rate(&m, end, msel->range_ms, 1, id == F_RATE,
                                      cnt[hi - 1] != cnt[lo], &ok);
            } else {
                v = range_value(c, id, &m, end, msel->range_ms, t, arg1, 0, &ok);
            }
            if (ok < 0) {
                free(cnt);
                return ferr(c, "out of memory");
            }
            if (!ok)
                continue;
            sc->pv[k * nser + i] = v;
            sc->pok[k * nser + i] = 1;
        }
    }
    free(cnt);
    sc->pre = 1;
    return 0;
}

int
pq_call(struct pq_ctx *c, const struct pq_node *n, pq_value *out)
{
    pq_value args[5];
    memset(args, 0, sizeof(args));
    int id = n->fn->id;
    /* a range function over a selector on the evaluation grid skips the
     * per-step matrix: its values are computed for all steps at once */
    size_t midx = id == F_QUANTILE_OT ? 1 : 0;
    int try_pre = n->nargs > midx && n->fn->args[midx] == PQ_T_MATRIX &&
                  id != F_QUANTILE_OT && n->args[midx]->kind == PQ_SEL &&
                  pq_grid_step(c) >= 0 && (n->nargs < 2 || const_scalar(n->args[1]));
    for (size_t i = 0; i < n->nargs && i < 5; i++) {
        if (try_pre && i == midx)
            continue;
        if (pq_eval_node(c, n->args[i], &args[i]) != 0)
            return -1;
    }
    out->type = n->fn->ret;
    switch (id) {
    case F_TIME:
        out->scalar = (double)c->t / 1000.0;
        return 0;
    case F_SCALAR:
        out->scalar = args[0].n == 1 ? args[0].vec[0].v : NAN;
        return 0;
    case F_VECTOR:
        out->vec = pq_alloc(c->a, sizeof(struct pq_el));
        if (out->vec == NULL)
            return ferr(c, "out of memory");
        out->vec[0].v = args[0].scalar;
        out->vec[0].t = c->t;
        out->vec[0].sid = UINT32_MAX;
        out->n = 1;
        return 0;
    case F_LABEL_REPLACE:
        return label_replace(c, args, out);
    case F_ABSENT:
    case F_ABSENT_OVER_TIME:
        if (args[0].n > 0) {
            out->n = 0;
            return 0;
        }
        out->vec = pq_alloc(c->a, sizeof(struct pq_el));
        if (out->vec == NULL ||
            absent_labels(c, n->args[0], &out->vec[0].lab, &out->vec[0].nlab) != 0)
            return ferr(c, "out of memory");
        out->vec[0].v = 1;
        out->vec[0].t = c->t;
        out->vec[0].sid = UINT32_MAX;
        out->n = 1;
        return 0;
    default:
        break;
    }
    if (n->fn->args[0] == PQ_T_VECTOR) {
        /* instant-vector functions */
        double arg = 1, arg2 = 0;
        if (n->nargs > 1)
            arg = args[1].scalar;
        if (n->nargs > 2)
            arg2 = args[2].scalar;
        out->vec = pq_alloc_array(c->a, args[0].n ? args[0].n : 1, sizeof(struct pq_el));
        if (out->vec == NULL)
            return ferr(c, "out of memory");
        size_t k = 0;
        if (id == F_CLAMP && arg2 < arg) {
            out->n = 0;
            return 0;
        }
        for (size_t i = 0; i < args[0].n; i++) {
            struct pq_el *e = &out->vec[k++];
            *e = args[0].vec[i];
            if (id == F_TIMESTAMP)   /* sample time only straight from a selector */
                e->v = (double)(n->args[0]->kind == PQ_SEL ? e->t : c->t) / 1000.0;
            else if (id == F_CLAMP)
                e->v = fmax(arg, fmin(arg2, e->v));
            else
                e->v = simple(id, e->v, arg);
            if (pq_labels_drop_name(c->a, e->lab, e->nlab, &e->lab, &e->nlab) != 0)
                return ferr(c, "out of memory");
        }
        out->n = k;
        return 0;
    }
    /* range-vector functions: the matrix is args[0], or args[1] for quantile */
    const struct pq_node *msel = id == F_QUANTILE_OT ? n->args[1] : n->args[0];
    double q = id == F_QUANTILE_OT ? args[0].scalar : 0;
    double arg1 = n->nargs > 1 ? args[1].scalar : 0;
    size_t k = 0;
    ptrdiff_t step = pq_grid_step(c);
    if (try_pre) {
        struct pq_selcache *sc = pq_sel_cache(c, msel);
        if (sc == NULL)
            return -1;
        if (sc->pre == 0 && precompute_range(c, n, id, msel, arg1, sc) != 0)
            return -1;
        if (sc->pre == 1) {
            out->vec = pq_alloc_array_nz(c->a, sc->n ? sc->n : 1, sizeof(struct pq_el));
            if (out->vec == NULL)
                return ferr(c, "out of memory");
            size_t base = (size_t)step * sc->n;
            for (size_t i = 0; i < sc->n; i++) {
                if (!sc->pok[base + i])
                    continue;
                struct pq_el *e = &out->vec[k++];
                const struct pq_selser *se = &sc->ser[i];
                e->lab = se->lab;
                e->nlab = se->nlab;
                e->sid = se->id;
                e->v = sc->pv[base + i];
                e->t = c->t;
                if (id == F_LAST_OT)
                    continue;
                if (se->dl_ok) {
                    e->lab = se->dlab;
                    e->nlab = se->dnlab;
                } else if (pq_labels_drop_name(c->a, e->lab, e->nlab, &e->lab, &e->nlab) != 0) {
                    return ferr(c, "out of memory");
                }
            }
            out->n = k;
            return 0;
        }
        /* not possible after all (stale markers, too big): per step */
        if (pq_eval_node(c, n->args[midx], &args[midx]) != 0)
            return -1;
    }
    const pq_value *mv = &args[midx];
    out->vec = pq_alloc_array(c->a, mv->n ? mv->n : 1, sizeof(struct pq_el));
    if (out->vec == NULL)
        return ferr(c, "out of memory");
    int64_t range_end = c->t - msel->offset_ms;
    for (size_t i = 0; i < mv->n; i++) {
        const struct pq_mel *m = &mv->mat[i];
        int ok = 1;
        double v = range_value(c, id, m, range_end, msel->range_ms, c->t, arg1, q, &ok);
        if (ok < 0)
            return ferr(c, "out of memory");
        if (!ok)
            continue;
        struct pq_el *e = &out->vec[k++];
        e->lab = m->lab;
        e->nlab = m->nlab;
        e->sid = m->sid;
        e->v = v;
        e->t = c->t;
        if (id != F_LAST_OT &&
            pq_labels_drop_name(c->a, e->lab, e->nlab, &e->lab, &e->nlab) != 0)
            return ferr(c, "out of memory");
    }
    out->n = k;
    return 0;
}
