/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fit_int.h - helpers shared by the files of src/fit/ (not installed):
 * common initialisation of a struct ps_fit, the time variable u, AICc, and
 * the per-model fitting entry points that ps_fit_model() dispatches to.
 */
#ifndef PS_FIT_INT_H
#define PS_FIT_INT_H

#include "promsight/ps_fit.h"

/* Reset f for model m on data d: t_ref = last time, t_scale = span. */
void ps_fit__init(struct ps_fit *f, enum ps_fit_model m,
                  const struct ps_fit_data *d);
/* Mark f as not applicable with a reason. */
void ps_fit__fail(struct ps_fit *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static inline double
ps_fit__u(const struct ps_fit *f, double t)
{
    return (t - f->t_ref) / f->t_scale;
}

/*
 * AICc for a Gaussian least-squares fit with k parameters (coefficients
 * + sigma + changepoints): n ln(SSE/n) + 2k + 2k(k+1)/(n-k-1) (Hurvich &
 * Tsai 1989; the constant n(ln 2 pi + 1) is dropped: it is the same for
 * every model fitted to the same y). SSE is floored so that an exact fit
 * of a constant series does not give -inf.
 */
double ps_fit__aicc(double sse, size_t n, size_t k, const double *y);

/* Regressors of the linear-in-parameters models at u: 1, u, hinges. */
void ps_fit__basis(const struct ps_fit *f, double u, double *g);

enum ps_err ps_fit__linear(const struct ps_fit_data *d, struct ps_fit *f);
enum ps_err ps_fit__robust(const struct ps_fit_data *d, struct ps_fit *f);
enum ps_err ps_fit__piecewise(const struct ps_fit_data *d, struct ps_fit *f);
enum ps_err ps_fit__exp(const struct ps_fit_data *d, struct ps_fit *f);
enum ps_err ps_fit__logistic(const struct ps_fit_data *d, struct ps_fit *f);
enum ps_err ps_fit__holt(const struct ps_fit_data *d, struct ps_fit *f);

/* Holt: mean at t and h-step variance factor (see fit_holt.c). */
double ps_fit__holt_value(const struct ps_fit *f, double t);
double ps_fit__holt_var(const struct ps_fit *f, double t);

/* Nonlinear models: value and gradient wrt theta at u (see fit_nonlinear.c). */
double ps_fit__nl_value(const struct ps_fit *f, double u, double *grad);

#endif
