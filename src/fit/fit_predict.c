/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fit_predict.c - forecasts, prediction intervals and time-to-limit.
 *
 * Prediction interval at time t, level L (e.g. 0.95), q = t quantile:
 *   q = gsl_cdf_tdist_Pinv(1 - (1-L)/2, dof)
 *   linear, robust, piecewise (exact for OLS under iid normal errors):
 *     var_mean = g' C g,  g = (1, u, (u - s_j)+ ...),  C = sigma^2 (X'X)^-1
 *   exp, logistic (delta method):
 *     var_mean = g' C g,  g = d f(u; theta) / d theta,  C = sigma^2 (J'J)^-1
 *   y_hat +- q sqrt(var_mean + sigma^2)
 * The sigma^2 term is what makes it a prediction interval for a new
 * observation; gsl_fit_linear_est alone gives only sqrt(var_mean), the
 * error of the fitted mean.
 *   holt: y_hat +- q sigma_h (see fit_holt.c)
 */
#include <math.h>

#include <gsl/gsl_cdf.h>

#include "fit/fit_int.h"

double
ps_fit_value(const struct ps_fit *f, double t)
{
    if (!f->ok)
        return NAN;
    double u = ps_fit__u(f, t);
    switch (f->model) {
    case PS_FIT_LINEAR:
    case PS_FIT_ROBUST:
    case PS_FIT_PIECEWISE: {
        double g[PS_FIT_MAXP], y = 0;
        ps_fit__basis(f, u, g);
        for (size_t j = 0; j < f->p; j++)
            y += f->theta[j] * g[j];
        return y;
    }
    case PS_FIT_EXP:
    case PS_FIT_LOGISTIC:
        return ps_fit__nl_value(f, u, NULL);
    case PS_FIT_HOLT:
        return ps_fit__holt_value(f, t);
    case PS_FIT_NMODELS:
        break;
    }
    return NAN;
}

int
ps_fit_predict(const struct ps_fit *f, double t, double level, double *mean,
               double *lo, double *hi)
{
    *mean = *lo = *hi = NAN;
    if (!f->ok || !(level > 0 && level < 1))
        return -1;
    double u = ps_fit__u(f, t), g[PS_FIT_MAXP], y = 0, var;
    switch (f->model) {
    case PS_FIT_LINEAR:
    case PS_FIT_ROBUST:
    case PS_FIT_PIECEWISE:
        ps_fit__basis(f, u, g);
        for (size_t j = 0; j < f->p; j++)
            y += f->theta[j] * g[j];
        break;
    case PS_FIT_EXP:
    case PS_FIT_LOGISTIC:
        y = ps_fit__nl_value(f, u, g);
        break;
    case PS_FIT_HOLT:
        y = ps_fit__holt_value(f, t);
        break;
    case PS_FIT_NMODELS:
        return -1;
    }
    *mean = y;
    if (!(f->dof >= 1))
        return 0; /* no residual degrees of freedom: no interval */
    if (f->model == PS_FIT_HOLT) {
        var = ps_fit__holt_var(f, t);
    } else {
        double vm = 0; /* g' C g */
        for (size_t i = 0; i < f->p; i++)
            for (size_t j = 0; j < f->p; j++)
                vm += g[i] * f->cov[i * PS_FIT_MAXP + j] * g[j];
        if (vm < 0)
            vm = 0; /* rounding */
        var = vm + f->sigma2;
    }
    double q = gsl_cdf_tdist_Pinv(1 - (1 - level) / 2, f->dof);
    double half = q * sqrt(var);
    if (!isfinite(half))
        return 0;
    *lo = y - half;
    *hi = y + half;
    return 0;
}

/* Which curve an ETA follows: 0 mean, +1 upper bound, -1 lower bound. */
static double
curve(const struct ps_fit *f, double t, double level, int which)
{
    double m, lo, hi;
    ps_fit_predict(f, t, level, &m, &lo, &hi);
    return which == 0 ? m : which > 0 ? hi : lo;
}

/* First time in (t0, t1] at which curve >= limit, or NAN. */
static double
first_crossing(const struct ps_fit *f, double t0, double t1, double limit,
               double level, int which)
{
    const int steps = 2000;
    double prev = t0;
    for (int i = 1; i <= steps; i++) {
        double t = t0 + (t1 - t0) * i / steps;
        double c = curve(f, t, level, which);
        if (c >= limit) {
            double a = prev, b = t;
            for (int k = 0; k < 50; k++) {
                double mid = (a + b) / 2;
                if (curve(f, mid, level, which) >= limit)
                    b = mid;
                else
                    a = mid;
            }
            return b;
        }
        prev = t;
    }
    return NAN;
}

void
ps_fit_eta(const struct ps_fit *f, double limit, double level, double t_max,
           struct ps_fit_eta *e)
{
    e->status = PS_ETA_NOT_REACHED;
    e->t_mean = e->t_early = e->t_late = NAN;
    if (!f->ok || !(t_max > f->t_ref))
        return;
    double now = f->t_ref;
    if (ps_fit_value(f, now) >= limit) {
        e->status = PS_ETA_ALREADY;
        e->t_mean = e->t_early = now;
        return;
    }
    e->t_early = first_crossing(f, now, t_max, limit, level, +1);
    e->t_mean = first_crossing(f, now, t_max, limit, level, 0);
    e->t_late = first_crossing(f, now, t_max, limit, level, -1);
    if (isfinite(e->t_mean))
        e->status = PS_ETA_REACHED;
}
