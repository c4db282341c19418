/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fit_linear.c - the linear-in-parameters models: ordinary least squares
 * (the same line PromQL's predict_linear fits), bisquare robust regression,
 * and piecewise linear with hinge terms (u - s)+ whose changepoints s are
 * chosen by forward selection on AICc.
 *
 * All three store theta (intercept at t_ref, slope per t_scale, hinge
 * slopes) and cov = sigma^2 (X'X)^-1, so fit_predict.c computes the
 * variance of the mean as g' cov g with g = ps_fit__basis(u).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_fit.h>
#include <gsl/gsl_multifit.h>

#include "fit/fit_int.h"

enum ps_err
ps_fit__linear(const struct ps_fit_data *d, struct ps_fit *f)
{
    size_t n = d->n;
    double *u = malloc(n * sizeof(double));
    if (u == NULL)
        return PS_E_NOMEM;
    for (size_t i = 0; i < n; i++)
        u[i] = ps_fit__u(f, d->t[i]);
    double c0, c1, cov00, cov01, cov11, sumsq;
    /*
     * gsl_fit_linear needs n >= 3 for its covariance (it divides by n-2);
     * with two points the line through them is exact and has no interval.
     */
    if (n == 2) {
        c1 = (d->v[1] - d->v[0]) / (u[1] - u[0]);
        c0 = d->v[1] - c1 * u[1];
        cov00 = cov01 = cov11 = sumsq = 0;
    } else if (gsl_fit_linear(u, 1, d->v, 1, n, &c0, &c1, &cov00, &cov01,
                              &cov11, &sumsq) != 0) {
        free(u);
        ps_fit__fail(f, "least squares failed");
        return PS_OK;
    }
    free(u);
    if (!isfinite(c0) || !isfinite(c1)) {
        ps_fit__fail(f, "least squares gave a non-finite line");
        return PS_OK;
    }
    f->p = 2;
    f->k = 3;
    f->theta[0] = c0;
    f->theta[1] = c1;
    /* gsl_fit_linear's cov is already scaled by s^2 = sumsq / (n-2). */
    f->cov[0] = cov00;
    f->cov[1] = cov01;
    f->cov[PS_FIT_MAXP] = cov01;
    f->cov[PS_FIT_MAXP + 1] = cov11;
    f->sse = sumsq;
    f->dof = (double)n - 2;
    f->sigma2 = n > 2 ? sumsq / f->dof : 0;
    f->aicc = ps_fit__aicc(sumsq, n, f->k, d->v);
    f->ok = 1;
    return PS_OK;
}

enum ps_err
ps_fit__robust(const struct ps_fit_data *d, struct ps_fit *f)
{
    size_t n = d->n;
    if (n < 5) {
        ps_fit__fail(f, "robust regression needs at least 5 points");
        return PS_OK;
    }
    gsl_matrix *X = gsl_matrix_alloc(n, 2);
    gsl_vector *y = gsl_vector_alloc(n), *c = gsl_vector_alloc(2);
    gsl_matrix *cov = gsl_matrix_alloc(2, 2);
    gsl_multifit_robust_workspace *w =
        gsl_multifit_robust_alloc(gsl_multifit_robust_bisquare, n, 2);
    enum ps_err rc = PS_OK;
    if (X == NULL || y == NULL || c == NULL || cov == NULL || w == NULL) {
        rc = PS_E_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        gsl_matrix_set(X, i, 0, 1);
        gsl_matrix_set(X, i, 1, ps_fit__u(f, d->t[i]));
        gsl_vector_set(y, i, d->v[i]);
    }
    gsl_multifit_robust_maxiter(200, w);
    int st = gsl_multifit_robust(X, y, c, cov, w);
    if (st != 0 && st != GSL_EMAXITER) {
        ps_fit__fail(f, "robust regression failed (%s)", gsl_strerror(st));
        goto out;
    }
    gsl_multifit_robust_stats stats = gsl_multifit_robust_statistics(w);
    f->p = 2;
    f->k = 3;
    f->theta[0] = gsl_vector_get(c, 0);
    f->theta[1] = gsl_vector_get(c, 1);
    for (size_t i = 0; i < 2; i++)
        for (size_t j = 0; j < 2; j++)
            f->cov[i * PS_FIT_MAXP + j] = gsl_matrix_get(cov, i, j);
    double sse = 0;
    for (size_t i = 0; i < n; i++) {
        double r = d->v[i] - f->theta[0] - f->theta[1] * gsl_matrix_get(X, i, 1);
        sse += r * r;
        if (stats.weights != NULL && gsl_vector_get(stats.weights, i) < 0.1)
            f->outliers++;
    }
    f->sse = sse;
    f->dof = (double)n - 2;
    /* Robust scale: the noise of the inliers, so outliers fall outside. */
    f->sigma2 = stats.sigma * stats.sigma;
    f->aicc = ps_fit__aicc(sse, n, f->k, d->v);
    f->ok = isfinite(f->theta[0]) && isfinite(f->theta[1]) && isfinite(f->sigma2);
    if (!f->ok)
        ps_fit__fail(f, "robust regression gave non-finite values");
out:
    gsl_multifit_robust_free(w);
    gsl_matrix_free(cov);
    gsl_vector_free(c);
    gsl_vector_free(y);
    gsl_matrix_free(X);
    return rc;
}

/* Least squares on the basis 1, u, (u - s_j)+ for f's current hinges. */
static enum ps_err
fit_hinges(const struct ps_fit_data *d, struct ps_fit *f)
{
    size_t n = d->n, p = 2 + f->nhinge;
    gsl_matrix *X = gsl_matrix_alloc(n, p);
    gsl_vector *y = gsl_vector_alloc(n), *c = gsl_vector_alloc(p);
    gsl_matrix *cov = gsl_matrix_alloc(p, p);
    gsl_multifit_linear_workspace *w = gsl_multifit_linear_alloc(n, p);
    enum ps_err rc = PS_OK;
    f->ok = 0;
    if (X == NULL || y == NULL || c == NULL || cov == NULL || w == NULL) {
        rc = PS_E_NOMEM;
        goto out;
    }
    double g[PS_FIT_MAXP];
    for (size_t i = 0; i < n; i++) {
        ps_fit__basis(f, ps_fit__u(f, d->t[i]), g);
        for (size_t j = 0; j < p; j++)
            gsl_matrix_set(X, i, j, g[j]);
        gsl_vector_set(y, i, d->v[i]);
    }
    double chisq;
    if (gsl_multifit_linear(X, y, c, cov, &chisq, w) != 0 || !isfinite(chisq))
        goto out;
    f->p = p;
    f->k = p + 1 + f->nhinge; /* each changepoint position is estimated too */
    for (size_t i = 0; i < p; i++) {
        f->theta[i] = gsl_vector_get(c, i);
        /* gsl_multifit_linear: cov = sigma^2 (X'X)^-1, sigma^2 = chisq/(n-p) */
        for (size_t j = 0; j < p; j++)
            f->cov[i * PS_FIT_MAXP + j] = gsl_matrix_get(cov, i, j);
    }
    f->sse = chisq;
    f->dof = (double)n - (double)p;
    f->sigma2 = f->dof > 0 ? chisq / f->dof : 0;
    f->aicc = ps_fit__aicc(chisq, n, f->k, d->v);
    f->ok = 1;
out:
    gsl_multifit_linear_free(w);
    gsl_matrix_free(cov);
    gsl_vector_free(c);
    gsl_vector_free(y);
    gsl_matrix_free(X);
    return rc;
}

/*
 * Candidate changepoints at 15 %, 20 %, ... 85 % of the time span, each with
 * at least 3 points before it and max(4, n/10) after it (the last segment
 * drives the forecast, so it must be supported by data). Forward selection:
 * add the changepoint that lowers AICc most, while it lowers AICc by > 2,
 * up to PS_FIT_MAXHINGE. At least one changepoint is always kept so the
 * model differs from the straight line; AICc then tells whether it helps.
 */
enum ps_err
ps_fit__piecewise(const struct ps_fit_data *d, struct ps_fit *f)
{
    size_t n = d->n;
    size_t tail = n / 10 > 4 ? n / 10 : 4;
    if (n < 3 + tail + 4) {
        ps_fit__fail(f, "piecewise needs at least %zu points", 3 + tail + 4);
        return PS_OK;
    }
    double cand[15];
    size_t ncand = 0;
    for (int k = 3; k <= 17; k++) {
        double s = -1 + 0.05 * k;
        size_t before = 0, after = 0;
        for (size_t i = 0; i < n; i++) {
            double u = ps_fit__u(f, d->t[i]);
            if (u < s)
                before++;
            else if (u > s)
                after++;
        }
        if (before >= 3 && after >= tail)
            cand[ncand++] = s;
    }
    if (ncand == 0) {
        ps_fit__fail(f, "no room for a changepoint");
        return PS_OK;
    }
    struct ps_fit best = *f, trial;
    best.aicc = INFINITY;
    best.ok = 0;
    for (size_t round = 0; round < PS_FIT_MAXHINGE; round++) {
        struct ps_fit round_best = best;
        round_best.ok = 0;
        round_best.aicc = INFINITY;
        for (size_t c = 0; c < ncand; c++) {
            int dup = 0;
            for (size_t j = 0; j < best.nhinge && round > 0; j++)
                if (fabs(best.hinge_u[j] - cand[c]) < 0.09)
                    dup = 1;
            if (dup)
                continue;
            trial = round > 0 ? best : *f;
            trial.nhinge = round;
            trial.hinge_u[round] = cand[c];
            trial.nhinge = round + 1;
            enum ps_err rc = fit_hinges(d, &trial);
            if (rc != PS_OK)
                return rc;
            if (trial.ok && trial.aicc < round_best.aicc)
                round_best = trial;
        }
        if (!round_best.ok)
            break;
        if (round > 0 && !(round_best.aicc < best.aicc - 2))
            break;
        best = round_best;
    }
    if (!best.ok) {
        ps_fit__fail(f, "piecewise least squares failed");
        return PS_OK;
    }
    /* keep changepoints in time order for printing */
    for (size_t i = 1; i < best.nhinge; i++)
        for (size_t j = i; j > 0 && best.hinge_u[j - 1] > best.hinge_u[j]; j--) {
            double tmp = best.hinge_u[j];
            best.hinge_u[j] = best.hinge_u[j - 1];
            best.hinge_u[j - 1] = tmp;
        }
    if (best.nhinge > 1) { /* refit so theta matches the sorted order */
        enum ps_err rc = fit_hinges(d, &best);
        if (rc != PS_OK)
            return rc;
    }
    *f = best;
    return PS_OK;
}
