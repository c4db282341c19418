/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fit_data.c - preparing a series for the growth models: unit conversion,
 * dropping NaN/Inf, sorting, merging equal times, per-window maxima for
 * sawtooth signals; plus model names, the shared struct ps_fit setup,
 * AICc, and ps_fit_model(), which dispatches to the model files.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "fit/fit_int.h"

static const char *const model_names[PS_FIT_NMODELS] = {
    [PS_FIT_LINEAR] = "linear",   [PS_FIT_ROBUST] = "robust",
    [PS_FIT_EXP] = "exp",         [PS_FIT_LOGISTIC] = "logistic",
    [PS_FIT_HOLT] = "holt",       [PS_FIT_PIECEWISE] = "piecewise",
};

const char *
ps_fit_model_name(enum ps_fit_model m)
{
    return (unsigned)m < PS_FIT_NMODELS ? model_names[m] : "?";
}

int
ps_fit_model_parse(const char *s, enum ps_fit_model *m)
{
    for (int i = 0; i < PS_FIT_NMODELS; i++)
        if (strcmp(s, model_names[i]) == 0) {
            *m = (enum ps_fit_model)i;
            return 0;
        }
    return -1;
}

struct pt {
    double t, v;
    size_t idx;
};

static int
pt_cmp(const void *a, const void *b)
{
    const struct pt *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

enum ps_err
ps_fit_data_init(struct ps_fit_data *d, const double *t, const double *v,
                 size_t n, double t_unit)
{
    memset(d, 0, sizeof(*d));
    if (n == 0)
        return PS_OK;
    if (!(t_unit > 0) || n > SIZE_MAX / sizeof(struct pt))
        return PS_E_USAGE;
    struct pt *p = malloc(n * sizeof(*p));
    if (p == NULL || ps_fit_data_alloc(d, n) != PS_OK) {
        free(p);
        ps_fit_data_free(d);
        return PS_E_NOMEM;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        double ts = t[i] * t_unit;
        if (!isfinite(ts) || !isfinite(v[i])) {
            d->dropped_nonfinite++;
            continue;
        }
        p[m].t = ts;
        p[m].v = v[i];
        p[m].idx = i;
        m++;
    }
    qsort(p, m, sizeof(*p), pt_cmp);
    for (size_t i = 0; i < m; i++) {
        if (d->n > 0 && d->t[d->n - 1] == p[i].t) {
            d->v[d->n - 1] = p[i].v; /* later sample at the same time wins */
            d->merged_duplicate++;
            continue;
        }
        d->t[d->n] = p[i].t;
        d->v[d->n] = p[i].v;
        d->n++;
    }
    free(p);
    return PS_OK;
}

enum ps_err
ps_fit_data_window_max(const struct ps_fit_data *in, double window_s,
                       struct ps_fit_data *out)
{
    memset(out, 0, sizeof(*out));
    if (!(window_s > 0) || !isfinite(window_s))
        return PS_E_USAGE;
    out->dropped_nonfinite = in->dropped_nonfinite;
    out->merged_duplicate = in->merged_duplicate;
    if (in->n == 0)
        return PS_OK;
    if (ps_fit_data_alloc(out, in->n) != PS_OK)
        return PS_E_NOMEM;
    double cur_w = NAN;
    for (size_t i = 0; i < in->n; i++) {
        double w = floor(in->t[i] / window_s);
        if (out->n == 0 || w != cur_w) {
            cur_w = w;
            out->t[out->n] = in->t[i];
            out->v[out->n] = in->v[i];
            out->n++;
        } else if (in->v[i] >= out->v[out->n - 1]) {
            out->t[out->n - 1] = in->t[i];
            out->v[out->n - 1] = in->v[i];
        }
    }
    return PS_OK;
}

enum ps_err
ps_fit_data_alloc(struct ps_fit_data *d, size_t n)
{
    d->n = 0;
    d->t = malloc(n * sizeof(double));
    d->v = malloc(n * sizeof(double));
    if (d->t == NULL || d->v == NULL) {
        ps_fit_data_free(d);
        return PS_E_NOMEM;
    }
    return PS_OK;
}

void
ps_fit_data_free(struct ps_fit_data *d)
{
    if (d == NULL)
        return;
    free(d->t);
    free(d->v);
    d->t = d->v = NULL;
    d->n = 0;
}

void
ps_fit__init(struct ps_fit *f, enum ps_fit_model m, const struct ps_fit_data *d)
{
    /* GSL's default handler aborts the process; the library must not. */
    gsl_set_error_handler_off();
    memset(f, 0, sizeof(*f));
    f->model = m;
    f->n = d->n;
    f->t_ref = d->n > 0 ? d->t[d->n - 1] : 0;
    f->t_scale = d->n > 1 ? d->t[d->n - 1] - d->t[0] : 1;
    if (!(f->t_scale > 0))
        f->t_scale = 1;
    f->aicc = INFINITY;
    f->mape = NAN;
    f->mase = NAN;
}

void
ps_fit__fail(struct ps_fit *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->why, sizeof(f->why), fmt, ap);
    va_end(ap);
    f->ok = 0;
    f->aicc = INFINITY;
}

double
ps_fit__aicc(double sse, size_t n, size_t k, const double *y)
{
    if (n <= k + 1)
        return INFINITY;
    double mean_abs = 0;
    for (size_t i = 0; i < n; i++)
        mean_abs += fabs(y[i]);
    mean_abs /= (double)n;
    /* Floor: a relative residual of 1e-9 per point. */
    double fl = (double)n * pow(1e-9 * (mean_abs > 1 ? mean_abs : 1), 2);
    if (!(sse > fl))
        sse = fl;
    double dn = (double)n, dk = (double)k;
    return dn * log(sse / dn) + 2 * dk + 2 * dk * (dk + 1) / (dn - dk - 1);
}

void
ps_fit__basis(const struct ps_fit *f, double u, double *g)
{
    g[0] = 1;
    g[1] = u;
    for (size_t j = 0; j < f->nhinge; j++)
        g[2 + j] = u > f->hinge_u[j] ? u - f->hinge_u[j] : 0;
}

enum ps_err
ps_fit_model(const struct ps_fit_data *d, enum ps_fit_model m, struct ps_fit *f)
{
    ps_fit__init(f, m, d);
    if (d->n < 2) {
        ps_fit__fail(f, "%zu point%s: at least 2 are needed", d->n,
                     d->n == 1 ? "" : "s");
        return PS_OK;
    }
    switch (m) {
    case PS_FIT_LINEAR: return ps_fit__linear(d, f);
    case PS_FIT_ROBUST: return ps_fit__robust(d, f);
    case PS_FIT_EXP: return ps_fit__exp(d, f);
    case PS_FIT_LOGISTIC: return ps_fit__logistic(d, f);
    case PS_FIT_HOLT: return ps_fit__holt(d, f);
    case PS_FIT_PIECEWISE: return ps_fit__piecewise(d, f);
    case PS_FIT_NMODELS: break;
    }
    return PS_E_USAGE;
}
