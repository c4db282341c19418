/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fit_nonlinear.c - exponential and logistic growth by nonlinear least
 * squares (gsl_multifit_nlinear, trust region with Levenberg-Marquardt
 * steps, analytic Jacobian).
 *
 *   exp:      y = exp(c + b u)                 theta = (c, b)
 *   logistic: y = K / (1 + exp(-r (u - m)))    theta = (k, q, m), K = e^k, r = e^q
 *
 * Constraints are reparametrisations: K > 0 and r > 0 through logs, so the
 * unconstrained solver cannot leave the valid region. Both need y > 0.
 *
 * Starting values: exp from OLS of ln y on u. Logistic from the logit
 * transform z = ln(y / (K0 - y)) = r u - r m, fitted by OLS for several
 * trial capacities K0 = 1.05, 1.5, 3 x max(y); the best final SSE wins.
 *
 * Covariance: gsl_multifit_nlinear_covar gives (J'J)^-1; for an unweighted
 * fit it is multiplied by sigma^2 = SSE / (n - p) (GSL manual, "Covariance
 * matrix of best fit parameters"). fit_predict.c applies the delta method
 * Var(y_hat(u)) = g' cov g with g = d f / d theta from ps_fit__nl_value().
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_fit.h>
#include <gsl/gsl_multifit_nlinear.h>

#include "fit/fit_int.h"

struct nl_ctx {
    const struct ps_fit_data *d;
    struct ps_fit *f;
    double *u;
};

/* logistic function 1/(1+exp(-z)) without overflow */
static double
sigmoid(double z)
{
    if (z >= 0)
        return 1 / (1 + exp(-z));
    double e = exp(z);
    return e / (1 + e);
}

double
ps_fit__nl_value(const struct ps_fit *f, double u, double *grad)
{
    const double *th = f->theta;
    if (f->model == PS_FIT_EXP) {
        double y = exp(th[0] + th[1] * u);
        if (grad != NULL) {
            grad[0] = y;
            grad[1] = y * u;
        }
        return y;
    }
    /* logistic */
    double K = exp(th[0]), r = exp(th[1]);
    double s = sigmoid(r * (u - th[2]));
    double y = K * s;
    if (grad != NULL) {
        grad[0] = y;                                /* d/dk */
        grad[1] = K * s * (1 - s) * (u - th[2]) * r; /* d/dq */
        grad[2] = -K * s * (1 - s) * r;             /* d/dm */
    }
    return y;
}

static int
nl_f(const gsl_vector *x, void *params, gsl_vector *fv)
{
    struct nl_ctx *c = params;
    for (size_t j = 0; j < c->f->p; j++)
        c->f->theta[j] = gsl_vector_get(x, j);
    for (size_t i = 0; i < c->d->n; i++)
        gsl_vector_set(fv, i, ps_fit__nl_value(c->f, c->u[i], NULL) - c->d->v[i]);
    return GSL_SUCCESS;
}

static int
nl_df(const gsl_vector *x, void *params, gsl_matrix *J)
{
    struct nl_ctx *c = params;
    double g[PS_FIT_MAXP];
    for (size_t j = 0; j < c->f->p; j++)
        c->f->theta[j] = gsl_vector_get(x, j);
    for (size_t i = 0; i < c->d->n; i++) {
        ps_fit__nl_value(c->f, c->u[i], g);
        for (size_t j = 0; j < c->f->p; j++)
            gsl_matrix_set(J, i, j, g[j]);
    }
    return GSL_SUCCESS;
}

/*
 * Run the solver from f->theta (length f->p). On success f->theta, sse,
 * cov are set and 1 is returned; 0 if the fit failed; -1 on OOM.
 */
static int
solve(const struct ps_fit_data *d, struct ps_fit *f, double *u)
{
    size_t n = d->n, p = f->p;
    struct nl_ctx ctx = {d, f, u};
    gsl_multifit_nlinear_fdf fdf;
    memset(&fdf, 0, sizeof(fdf));
    fdf.f = nl_f;
    fdf.df = nl_df;
    fdf.n = n;
    fdf.p = p;
    fdf.params = &ctx;
    gsl_multifit_nlinear_parameters par = gsl_multifit_nlinear_default_parameters();
    par.trs = gsl_multifit_nlinear_trs_lm;
    par.solver = gsl_multifit_nlinear_solver_qr;
    gsl_multifit_nlinear_workspace *w =
        gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &par, n, p);
    gsl_vector *x0 = gsl_vector_alloc(p);
    gsl_matrix *C = gsl_matrix_alloc(p, p);
    int ok = 0;
    if (w == NULL || x0 == NULL || C == NULL) {
        ok = -1;
        goto out;
    }
    for (size_t j = 0; j < p; j++)
        gsl_vector_set(x0, j, f->theta[j]);
    if (gsl_multifit_nlinear_init(x0, &fdf, w) != 0)
        goto out;
    int info;
    int st = gsl_multifit_nlinear_driver(200, 1e-10, 1e-10, 0.0, NULL, NULL, &info, w);
    if (st != 0 && st != GSL_EMAXITER && st != GSL_ENOPROG)
        goto out;
    const gsl_vector *x = gsl_multifit_nlinear_position(w);
    const gsl_vector *r = gsl_multifit_nlinear_residual(w);
    double sse;
    gsl_blas_ddot(r, r, &sse);
    for (size_t j = 0; j < p; j++)
        f->theta[j] = gsl_vector_get(x, j);
    if (!isfinite(sse))
        goto out;
    for (size_t j = 0; j < p; j++)
        if (!isfinite(f->theta[j]))
            goto out;
    if (gsl_multifit_nlinear_covar(gsl_multifit_nlinear_jac(w), 0.0, C) != 0)
        goto out;
    f->sse = sse;
    f->dof = (double)n - (double)p;
    f->sigma2 = f->dof > 0 ? sse / f->dof : 0;
    for (size_t i = 0; i < p; i++)
        for (size_t j = 0; j < p; j++) {
            double cij = gsl_matrix_get(C, i, j) * f->sigma2;
            if (!isfinite(cij))
                goto out;
            f->cov[i * PS_FIT_MAXP + j] = cij;
        }
    ok = 1;
out:
    gsl_matrix_free(C);
    gsl_vector_free(x0);
    gsl_multifit_nlinear_free(w);
    return ok;
}

static int
all_positive(const struct ps_fit_data *d)
{
    for (size_t i = 0; i < d->n; i++)
        if (!(d->v[i] > 0))
            return 0;
    return 1;
}

enum ps_err
ps_fit__exp(const struct ps_fit_data *d, struct ps_fit *f)
{
    size_t n = d->n;
    if (n < 4) {
        ps_fit__fail(f, "exponential needs at least 4 points");
        return PS_OK;
    }
    if (!all_positive(d)) {
        ps_fit__fail(f, "exponential needs values > 0");
        return PS_OK;
    }
    double *u = malloc(n * sizeof(double)), *ly = malloc(n * sizeof(double));
    if (u == NULL || ly == NULL) {
        free(u);
        free(ly);
        return PS_E_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        u[i] = ps_fit__u(f, d->t[i]);
        ly[i] = log(d->v[i]);
    }
    double c0, c1, c00, c01, c11, ss;
    gsl_fit_linear(u, 1, ly, 1, n, &c0, &c1, &c00, &c01, &c11, &ss);
    free(ly);
    f->p = 2;
    f->k = 3;
    f->theta[0] = isfinite(c0) ? c0 : log(d->v[n - 1]);
    f->theta[1] = isfinite(c1) ? c1 : 0;
    int ok = solve(d, f, u);
    free(u);
    if (ok < 0)
        return PS_E_NOMEM;
    if (ok == 0) {
        ps_fit__fail(f, "exponential fit did not converge");
        return PS_OK;
    }
    f->aicc = ps_fit__aicc(f->sse, n, f->k, d->v);
    f->ok = 1;
    return PS_OK;
}

enum ps_err
ps_fit__logistic(const struct ps_fit_data *d, struct ps_fit *f)
{
    size_t n = d->n;
    if (n < 6) {
        ps_fit__fail(f, "logistic needs at least 6 points");
        return PS_OK;
    }
    if (!all_positive(d)) {
        ps_fit__fail(f, "logistic needs values > 0");
        return PS_OK;
    }
    double ymax = d->v[0];
    for (size_t i = 1; i < n; i++)
        if (d->v[i] > ymax)
            ymax = d->v[i];
    double *u = malloc(n * sizeof(double)), *z = malloc(n * sizeof(double));
    if (u == NULL || z == NULL) {
        free(u);
        free(z);
        return PS_E_NOMEM;
    }
    for (size_t i = 0; i < n; i++)
        u[i] = ps_fit__u(f, d->t[i]);
    static const double kmul[] = {1.05, 1.5, 3.0};
    struct ps_fit best = *f;
    best.ok = 0;
    best.sse = INFINITY;
    for (size_t s = 0; s < sizeof(kmul) / sizeof(kmul[0]); s++) {
        double K0 = kmul[s] * ymax;
        for (size_t i = 0; i < n; i++)
            z[i] = log(d->v[i] / (K0 - d->v[i]));
        double c0, c1, c00, c01, c11, ss;
        gsl_fit_linear(u, 1, z, 1, n, &c0, &c1, &c00, &c01, &c11, &ss);
        double r0 = isfinite(c1) && c1 > 1e-6 ? c1 : 1.0;
        double m0 = isfinite(c0) ? -c0 / r0 : 0;
        struct ps_fit trial = *f;
        trial.p = 3;
        trial.k = 4;
        trial.theta[0] = log(K0);
        trial.theta[1] = log(r0);
        trial.theta[2] = m0;
        int ok = solve(d, &trial, u);
        if (ok < 0) {
            free(u);
            free(z);
            return PS_E_NOMEM;
        }
        if (ok == 1 && trial.sse < best.sse) {
            best = trial;
            best.ok = 1;
        }
    }
    free(u);
    free(z);
    if (!best.ok) {
        ps_fit__fail(f, "logistic fit did not converge");
        return PS_OK;
    }
    *f = best;
    f->aicc = ps_fit__aicc(f->sse, n, f->k, d->v);
    return PS_OK;
}
