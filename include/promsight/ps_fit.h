/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ps_fit.h - growth models for capacity series: fitting, prediction
 * intervals, model selection and time-to-limit.
 *
 * Input is a pair of arrays (time, value). Times may be in seconds or
 * milliseconds, irregularly spaced and unsorted; NaN/Inf values are dropped
 * and counted. Sawtooth signals (WAL size, head series across compactions,
 * disk) should first be reduced to per-window maxima
 * (ps_fit_data_window_max).
 *
 * Models (all in the time variable u = (t - t_ref) / t_scale, t_ref = last
 * observation, t_scale = observed span, so u runs over [-1, 0]):
 *   linear     y = a + b u                    OLS (gsl_fit_linear)
 *   robust     y = a + b u                    bisquare IRLS (gsl_multifit_robust)
 *   exp        y = exp(c + b u)               gsl_multifit_nlinear, trust region
 *   logistic   y = K / (1 + exp(-r (u - m)))  K = exp(k), r = exp(q) > 0
 *   holt       level/trend smoothing          alpha, beta by Nelder-Mead on SSE
 *   piecewise  y = a + b u + sum c_j (u - s_j)+  changepoints chosen by AICc
 *
 * Prediction intervals: y_hat +- q * sqrt(var_mean + sigma^2), with q the
 * Student t quantile on the residual degrees of freedom, var_mean the
 * variance of the fitted mean (exact for the linear models, delta method
 * for exp and logistic) and sigma^2 the residual variance; Holt uses the
 * ETS(A,A,N) h-step variance. See src/fit/fit_predict.c for the formulas.
 *
 * Ownership: ps_fit_data owns its arrays (ps_fit_data_free). struct ps_fit
 * and struct ps_fit_selection are plain values with no heap storage.
 * The library never prints.
 */
#ifndef PS_FIT_H
#define PS_FIT_H

#include <stddef.h>

#include "promsight/ps_err.h"

enum ps_fit_model {
    PS_FIT_LINEAR,
    PS_FIT_ROBUST,
    PS_FIT_EXP,
    PS_FIT_LOGISTIC,
    PS_FIT_HOLT,
    PS_FIT_PIECEWISE,
    PS_FIT_NMODELS
};

/* "linear", "robust", "exp", "logistic", "holt", "piecewise". */
const char *ps_fit_model_name(enum ps_fit_model m);
/* Parse a model name; returns 0 on success, -1 if unknown. */
int ps_fit_model_parse(const char *s, enum ps_fit_model *m);

/* ---- data ---- */

struct ps_fit_data {
    double *t;               /* seconds, ascending, unique */
    double *v;
    size_t n;
    size_t dropped_nonfinite; /* NaN/Inf values or times dropped */
    size_t merged_duplicate;  /* samples at an existing time (last one kept) */
};

/*
 * Copy n points into d, converting times with t_unit (seconds per input
 * unit: 1.0 for seconds, 0.001 for milliseconds), dropping non-finite
 * points, sorting by time and keeping the last value of equal times.
 */
enum ps_err ps_fit_data_init(struct ps_fit_data *d, const double *t,
                             const double *v, size_t n, double t_unit);
/*
 * Per-window maxima for sawtooth signals: windows of window_s seconds
 * aligned to multiples of window_s; each window yields its largest value at
 * the time that value was seen. out must not be in.
 */
enum ps_err ps_fit_data_window_max(const struct ps_fit_data *in, double window_s,
                                   struct ps_fit_data *out);
/*
 * Room for n > 0 points: d->t and d->v allocated (n doubles each), d->n
 * set to 0, the counters left as they are. On PS_E_NOMEM d holds no
 * arrays (as after ps_fit_data_free).
 */
enum ps_err ps_fit_data_alloc(struct ps_fit_data *d, size_t n);
void ps_fit_data_free(struct ps_fit_data *d); /* NULL-safe */

/* ---- one fitted model ---- */

#define PS_FIT_MAXP 6      /* coefficients */
#define PS_FIT_MAXHINGE 3  /* changepoints of the piecewise model */

struct ps_fit {
    enum ps_fit_model model;
    int ok;                  /* 1 if fitted; else why[] says why not */
    char why[160];
    size_t n;                /* points used */
    size_t p;                /* coefficients */
    size_t k;                /* parameters counted by AICc (p + sigma + changepoints) */
    double t_ref, t_scale;   /* u = (t - t_ref) / t_scale */
    double theta[PS_FIT_MAXP];
    double cov[PS_FIT_MAXP * PS_FIT_MAXP]; /* covariance of theta (sigma^2 scaled) */
    double sse;              /* residual sum of squares (one-step errors for holt) */
    double sigma2;           /* residual variance sse / dof */
    double dof;              /* residual degrees of freedom */
    double aicc;             /* n ln(sse/n) + 2k + 2k(k+1)/(n-k-1); INFINITY if n <= k+1 */
    size_t nhinge;
    double hinge_u[PS_FIT_MAXHINGE]; /* changepoints, in u */
    double alpha, beta;      /* holt smoothing; beta is the trend weight (NIST gamma) */
    double step_s;           /* holt: median spacing, seconds */
    size_t outliers;         /* robust: points with bisquare weight < 0.1 */
    /* rolling-origin backtest (ps_fit_backtest); NAN when not run */
    double mape;             /* percent */
    double mase;
    size_t bt_points;        /* held-out points scored */
};

/* Fit one model to d. Returns PS_OK even when the model does not apply
 * (f->ok == 0 and f->why explains); errors only for OOM/bad arguments. */
enum ps_err ps_fit_model(const struct ps_fit_data *d, enum ps_fit_model m,
                         struct ps_fit *f);

/*
 * Mean and two-sided prediction interval at time t (seconds) for central
 * coverage level in (0,1), e.g. 0.95. lo/hi are NAN when no interval can
 * be computed (fewer residual degrees of freedom than 1). Returns 0, or -1
 * if the fit is not usable.
 */
int ps_fit_predict(const struct ps_fit *f, double t, double level,
                   double *mean, double *lo, double *hi);

/* Model value at t (no interval). */
double ps_fit_value(const struct ps_fit *f, double t);

/*
 * Rolling-origin backtest: for origins at 60, 70, 80 and 90 % of the
 * points, fit on the points before the origin and forecast the next
 * ceil(n/5) points; MAPE (%) and MASE (mean absolute error over the
 * in-sample naive one-step MAE of the training part) are averaged over all
 * scored points. Writes f->mape, f->mase, f->bt_points (NAN/0 if fewer than
 * PS_FIT_MIN_BACKTEST points).
 */
#define PS_FIT_MIN_BACKTEST 10
enum ps_err ps_fit_backtest(const struct ps_fit_data *d, struct ps_fit *f);

/* ---- selection ---- */

struct ps_fit_selection {
    struct ps_fit fits[PS_FIT_NMODELS];
    enum ps_fit_model chosen;
    int chosen_ok;           /* 0 if nothing could be fitted (n < 2) */
    int too_little_data;     /* fewer than PS_FIT_MIN_BACKTEST points */
    char reason[512];        /* plain-language reason for the choice */
};

/*
 * Fit every model (or only `forced` when forced >= 0), backtest them, and
 * choose: among the likelihood-comparable models (linear, exp, logistic,
 * piecewise) those with AICc within 4 of the best form a shortlist; the
 * shortlisted model with the lowest backtest MASE wins, unless a simpler
 * one is within 5 % of it. Robust or holt replace it only if their MASE is
 * at least 20 % lower. Too little data -> linear, and the reason says so.
 * horizon_s (0: none) is the longest horizon to be forecast: when it is
 * more than PS_FIT_MAX_EXTRAPOLATION times the observed span, curves are
 * not extrapolated: linear (or robust, if it backtests 20 % better) is
 * chosen and the reason says why.
 */
#define PS_FIT_MAX_EXTRAPOLATION 3.0
enum ps_err ps_fit_select(const struct ps_fit_data *d, int forced, double horizon_s,
                          struct ps_fit_selection *s);

/* ---- time to a limit ---- */

enum ps_fit_eta_status {
    PS_ETA_NOT_REACHED,  /* the mean does not reach the limit before t_max */
    PS_ETA_ALREADY,      /* the fitted value at the last observation is at/above it */
    PS_ETA_REACHED       /* t_mean is set */
};

struct ps_fit_eta {
    enum ps_fit_eta_status status;
    double t_mean;   /* when the mean forecast first reaches the limit, s */
    double t_early;  /* when the pessimistic bound reaches it (NAN if never) */
    double t_late;   /* when the optimistic bound reaches it (NAN if never before t_max) */
};

/*
 * When does the forecast reach `limit`? Rising series (limit above the last
 * value) use the upper bound for t_early and the lower for t_late; falling
 * series the reverse. Searched from the last observation to t_max seconds
 * on a grid of 2000 steps refined by bisection.
 */
void ps_fit_eta(const struct ps_fit *f, double limit, double level,
                double t_max, struct ps_fit_eta *e);

/* ---- reading a bare series: CSV or Prometheus API JSON ---- */

struct ps_fit_input_series {
    char *name;       /* metric{label="v",...} (labels sorted) or CSV column */
    double *t;        /* seconds since epoch, as read (unsorted allowed) */
    double *v;
    size_t n;
};

struct ps_fit_input {
    struct ps_fit_input_series *s;
    size_t n;
};

#define PS_FIT_INPUT_MAX_SERIES 10000
#define PS_FIT_INPUT_MAX_POINTS 20000000

/*
 * Parse buf as one of:
 *   - CSV: "time,value" rows (more value columns give more series, named
 *     by the header row when there is one); time as epoch seconds, epoch
 *     milliseconds (|t| > 1e11) or RFC 3339; '#' lines are comments;
 *     ',', ';' or tab separate fields;
 *   - Prometheus HTTP API JSON: a query_range "matrix" (one series per
 *     result) or a query "vector" (one point per series).
 * Lines or values that do not parse become diagnostics (path, line) and are
 * skipped. Returns PS_E_SYNTAX if nothing usable was found, PS_E_LIMIT
 * past the limits above (what was read so far is kept).
 * out is owned by the caller: ps_fit_input_free().
 */
enum ps_err ps_fit_input_parse(const char *buf, size_t len, const char *path,
                               struct ps_fit_input *out, struct ps_diags *d);
void ps_fit_input_free(struct ps_fit_input *in); /* NULL-safe */

/*
 * Parse a duration: Prometheus style "1y2w3d4h5m6s7ms" (y = 365d) or a plain
 * number of seconds. Returns 0 and *sec on success, -1 otherwise.
 */
int ps_fit_parse_duration(const char *s, double *sec);

#endif
