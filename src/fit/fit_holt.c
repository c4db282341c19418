/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fit_holt.c - Holt's double exponential smoothing (level + trend), with
 * the smoothing weights chosen by minimising the sum of squared one-step
 * forecast errors (Nelder-Mead simplex, gsl_multimin nmsimplex2, on
 * logit-transformed weights so they stay in (0, 1)).
 *
 * Recursion (NIST/SEMATECH e-Handbook 6.4.3.3, made time-aware so the
 * trend is per second and irregular spacing dt_i is allowed):
 *   forecast  F_i = L_{i-1} + B_{i-1} dt_i
 *   level     L_i = alpha y_i + (1 - alpha) F_i
 *   trend     B_i = beta (L_i - L_{i-1}) / dt_i + (1 - beta) B_{i-1}
 * starting from L_0 = y_0, B_0 = (y_1 - y_0) / dt_1; errors y_i - F_i are
 * counted from i = 2 (i = 1 is exact by construction).
 *
 * Prediction variance h steps ahead (h = horizon / median spacing), the
 * ETS(A,A,N) result (Hyndman & Athanasopoulos, FPP3 section 8.7):
 *   sigma_h^2 = sigma^2 [1 + (h-1)(a^2 + a b h + b^2 h (2h-1) / 6)]
 * with a = alpha and b = alpha * beta (the error-correction form of the
 * trend weight). With irregular spacing this is an approximation.
 */
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_multimin.h>

#include "fit/fit_int.h"

struct holt_ctx {
    const struct ps_fit_data *d;
};

/* Run the recursion; returns the SSE of one-step errors, sets level/trend. */
static double
holt_run(const struct ps_fit_data *d, double alpha, double beta, double *level,
         double *trend)
{
    double L = d->v[0];
    double B = (d->v[1] - d->v[0]) / (d->t[1] - d->t[0]);
    double sse = 0;
    for (size_t i = 1; i < d->n; i++) {
        double dt = d->t[i] - d->t[i - 1];
        double F = L + B * dt;
        double e = d->v[i] - F;
        if (i >= 2)
            sse += e * e;
        double Ln = alpha * d->v[i] + (1 - alpha) * F;
        B = beta * (Ln - L) / dt + (1 - beta) * B;
        L = Ln;
    }
    *level = L;
    *trend = B;
    return sse;
}

static double
logit_inv(double x)
{
    return 1 / (1 + exp(-x));
}

static double
holt_obj(const gsl_vector *x, void *params)
{
    const struct holt_ctx *c = params;
    double L, B;
    double a = logit_inv(gsl_vector_get(x, 0)), b = logit_inv(gsl_vector_get(x, 1));
    double s = holt_run(c->d, a, b, &L, &B);
    return isfinite(s) ? s : HUGE_VAL;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

enum ps_err
ps_fit__holt(const struct ps_fit_data *d, struct ps_fit *f)
{
    size_t n = d->n;
    if (n < 6) {
        ps_fit__fail(f, "holt needs at least 6 points");
        return PS_OK;
    }
    /* median spacing: the "step" of the h-step variance */
    double *dt = malloc((n - 1) * sizeof(double));
    if (dt == NULL)
        return PS_E_NOMEM;
    for (size_t i = 1; i < n; i++)
        dt[i - 1] = d->t[i] - d->t[i - 1];
    qsort(dt, n - 1, sizeof(double), cmp_double);
    f->step_s = dt[(n - 1) / 2];
    free(dt);

    struct holt_ctx ctx = {d};
    gsl_multimin_function fn = {holt_obj, 2, &ctx};
    gsl_multimin_fminimizer *m =
        gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, 2);
    gsl_vector *x = gsl_vector_alloc(2), *step = gsl_vector_alloc(2);
    if (m == NULL || x == NULL || step == NULL) {
        gsl_multimin_fminimizer_free(m);
        gsl_vector_free(x);
        gsl_vector_free(step);
        return PS_E_NOMEM;
    }
    /* start at alpha = 0.5, beta = 0.1 (logit 0, -2.2) */
    gsl_vector_set(x, 0, 0.0);
    gsl_vector_set(x, 1, -2.2);
    gsl_vector_set_all(step, 1.0);
    gsl_multimin_fminimizer_set(m, &fn, x, step);
    for (int it = 0; it < 300; it++) {
        if (gsl_multimin_fminimizer_iterate(m) != 0)
            break;
        if (gsl_multimin_test_size(gsl_multimin_fminimizer_size(m), 1e-4) == GSL_SUCCESS)
            break;
    }
    const gsl_vector *best = gsl_multimin_fminimizer_x(m);
    /* keep the weights away from exactly 0 or 1 */
    double a = logit_inv(gsl_vector_get(best, 0));
    double b = logit_inv(gsl_vector_get(best, 1));
    gsl_multimin_fminimizer_free(m);
    gsl_vector_free(x);
    gsl_vector_free(step);
    a = fmin(fmax(a, 1e-4), 1 - 1e-4);
    b = fmin(fmax(b, 1e-4), 1 - 1e-4);
    double L, B;
    double sse = holt_run(d, a, b, &L, &B);
    if (!isfinite(sse) || !isfinite(L) || !isfinite(B)) {
        ps_fit__fail(f, "holt smoothing gave non-finite values");
        return PS_OK;
    }
    f->alpha = a;
    f->beta = b;
    f->p = 2;
    f->k = 5; /* alpha, beta, initial level and trend, sigma */
    f->theta[0] = L;
    f->theta[1] = B * f->t_scale; /* trend per u */
    f->sse = sse;
    /* n - 2 one-step errors, 2 smoothing weights estimated */
    f->dof = (double)n - 4;
    f->sigma2 = sse / f->dof;
    f->aicc = ps_fit__aicc(sse, n - 2, f->k, d->v);
    f->ok = 1;
    return PS_OK;
}

double
ps_fit__holt_value(const struct ps_fit *f, double t)
{
    return f->theta[0] + f->theta[1] * ps_fit__u(f, t);
}

double
ps_fit__holt_var(const struct ps_fit *f, double t)
{
    double h = (t - f->t_ref) / f->step_s;
    if (!(h > 1))
        return f->sigma2;
    double a = f->alpha, b = f->alpha * f->beta;
    return f->sigma2 * (1 + (h - 1) * (a * a + a * b * h + b * b * h * (2 * h - 1) / 6));
}
