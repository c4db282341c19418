/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fit_select.c - rolling-origin backtests (MAPE, MASE) and model
 * selection with a plain-language reason.
 *
 * Backtest: origins at 60, 70, 80, 90 % of the points; at each, the model is
 * refitted on the points before the origin and forecasts the next ceil(n/5)
 * points. Per scored point: APE = |e| / |y| (skipped when y = 0) and
 * scaled error |e| / MAE_naive, where MAE_naive is the mean |y_i - y_{i-1}|
 * of that origin's training points (Hyndman & Koehler 2006). MAPE and MASE
 * are the means over all scored points.
 *
 * Selection (see ps_fit_select in ps_fit.h): AICc picks the shortlist among
 * the models whose likelihoods are comparable (linear, exp, logistic,
 * piecewise: same y, Gaussian errors), the backtest decides within it, and
 * ties (within 5 %) go to the simpler model, in the order
 * linear < robust < exp < holt < piecewise < logistic. Robust and Holt
 * (no comparable likelihood) win only by backtesting 20 % better.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fit/fit_int.h"

enum ps_err
ps_fit_backtest(const struct ps_fit_data *d, struct ps_fit *f)
{
    f->mape = f->mase = NAN;
    f->bt_points = 0;
    size_t n = d->n;
    if (n < PS_FIT_MIN_BACKTEST)
        return PS_OK;
    size_t H = (n + 4) / 5;
    double sum_ape = 0, sum_se = 0;
    size_t n_ape = 0, n_se = 0;
    for (int k = 6; k <= 9; k++) {
        size_t o = n * (size_t)k / 10;
        if (o < 6 || o >= n)
            continue;
        struct ps_fit_data train = {d->t, d->v, o, 0, 0};
        struct ps_fit tf;
        enum ps_err rc = ps_fit_model(&train, f->model, &tf);
        if (rc != PS_OK)
            return rc;
        if (!tf.ok)
            return PS_OK; /* not applicable on a prefix: no score */
        double naive = 0;
        for (size_t i = 1; i < o; i++)
            naive += fabs(d->v[i] - d->v[i - 1]);
        naive /= (double)(o - 1);
        double scale_floor = 1e-9 * fmax(1.0, fabs(d->v[o - 1]));
        if (naive < scale_floor)
            naive = scale_floor;
        for (size_t i = o; i < n && i < o + H; i++) {
            double e = fabs(d->v[i] - ps_fit_value(&tf, d->t[i]));
            if (!isfinite(e))
                return PS_OK;
            if (d->v[i] != 0) {
                sum_ape += e / fabs(d->v[i]);
                n_ape++;
            }
            sum_se += e / naive;
            n_se++;
        }
    }
    if (n_se == 0)
        return PS_OK;
    f->mase = sum_se / (double)n_se;
    f->mape = n_ape > 0 ? 100 * sum_ape / (double)n_ape : NAN;
    f->bt_points = n_se;
    return PS_OK;
}

/* Simplicity rank used for ties. */
static int
simplicity(enum ps_fit_model m)
{
    static const int rank[PS_FIT_NMODELS] = {
        [PS_FIT_LINEAR] = 0, [PS_FIT_ROBUST] = 1, [PS_FIT_EXP] = 2,
        [PS_FIT_HOLT] = 3,   [PS_FIT_PIECEWISE] = 4, [PS_FIT_LOGISTIC] = 5,
    };
    return rank[m];
}

static int
aicc_comparable(enum ps_fit_model m)
{
    return m == PS_FIT_LINEAR || m == PS_FIT_EXP || m == PS_FIT_LOGISTIC ||
           m == PS_FIT_PIECEWISE;
}

/*
 * The history is too short for the horizon: only a straight line is
 * extrapolated (robust when it backtests 20 % better than OLS).
 */
static void
choose_line(const struct ps_fit_data *d, double horizon_s, struct ps_fit_selection *s)
{
    const struct ps_fit *lin = &s->fits[PS_FIT_LINEAR], *rob = &s->fits[PS_FIT_ROBUST];
    s->chosen = PS_FIT_LINEAR;
    if (rob->ok && isfinite(rob->mase) && isfinite(lin->mase) && rob->mase < 0.8 * lin->mase)
        s->chosen = PS_FIT_ROBUST;
    double span = d->t[d->n - 1] - d->t[0];
    const struct ps_fit *w = &s->fits[s->chosen];
    char m[80] = "";
    if (isfinite(w->mase))
        snprintf(m, sizeof(m), "; backtest MASE %.2f, MAPE %.1f %%", w->mase, w->mape);
    snprintf(s->reason, sizeof(s->reason),
             "%s: the history (%.3g days) is shorter than a third of the horizon "
             "(%.3g days), too little to tell curves apart, so only a straight line "
             "is extrapolated%s%s",
             ps_fit_model_name(s->chosen), span / 86400, horizon_s / 86400, m,
             s->chosen == PS_FIT_ROBUST ? " (robust: it backtests at least 20 % better "
                                          "than least squares)"
                                        : "");
}

enum ps_err
ps_fit_select(const struct ps_fit_data *d, int forced, double horizon_s,
              struct ps_fit_selection *s)
{
    memset(s, 0, sizeof(*s));
    enum ps_err rc;
    for (int m = 0; m < PS_FIT_NMODELS; m++) {
        if (forced >= 0 && m != forced && m != PS_FIT_LINEAR) {
            ps_fit__init(&s->fits[m], (enum ps_fit_model)m, d);
            ps_fit__fail(&s->fits[m], "not requested");
            continue;
        }
        if ((rc = ps_fit_model(d, (enum ps_fit_model)m, &s->fits[m])) != PS_OK)
            return rc;
        if (s->fits[m].ok && (rc = ps_fit_backtest(d, &s->fits[m])) != PS_OK)
            return rc;
    }
    struct ps_fit *lin = &s->fits[PS_FIT_LINEAR];
    s->too_little_data = d->n < PS_FIT_MIN_BACKTEST;
    if (!lin->ok) {
        s->chosen = PS_FIT_LINEAR;
        s->chosen_ok = 0;
        snprintf(s->reason, sizeof(s->reason), "no forecast: %s", lin->why);
        return PS_OK;
    }
    s->chosen_ok = 1;
    if (forced >= 0) {
        struct ps_fit *fm = &s->fits[forced];
        if (fm->ok) {
            s->chosen = (enum ps_fit_model)forced;
            snprintf(s->reason, sizeof(s->reason), "%s was requested",
                     ps_fit_model_name(s->chosen));
        } else {
            s->chosen = PS_FIT_LINEAR;
            snprintf(s->reason, sizeof(s->reason),
                     "%s was requested but cannot be fitted (%s); using linear",
                     ps_fit_model_name((enum ps_fit_model)forced), fm->why);
        }
        return PS_OK;
    }
    if (s->too_little_data) {
        s->chosen = PS_FIT_LINEAR;
        snprintf(s->reason, sizeof(s->reason),
                 "only %zu point%s: at least %d are needed to compare models "
                 "by backtest, so the simplest model (linear) is used%s",
                 d->n, d->n == 1 ? "" : "s", PS_FIT_MIN_BACKTEST,
                 d->n < 3 ? " and no interval can be given"
                          : "; treat the interval as rough");
        return PS_OK;
    }
    if (horizon_s > 0 && horizon_s > PS_FIT_MAX_EXTRAPOLATION * (d->t[d->n - 1] - d->t[0])) {
        choose_line(d, horizon_s, s);
        return PS_OK;
    }
    /* AICc shortlist among likelihood-comparable models */
    double best_aicc = INFINITY;
    int best_aicc_m = -1;
    for (int m = 0; m < PS_FIT_NMODELS; m++)
        if (aicc_comparable((enum ps_fit_model)m) && s->fits[m].ok &&
            s->fits[m].aicc < best_aicc) {
            best_aicc = s->fits[m].aicc;
            best_aicc_m = m;
        }
    int in_short[PS_FIT_NMODELS] = {0};
    for (int m = 0; m < PS_FIT_NMODELS; m++) {
        const struct ps_fit *f = &s->fits[m];
        if (f->ok && isfinite(f->mase) && aicc_comparable((enum ps_fit_model)m))
            in_short[m] = isfinite(best_aicc) && f->aicc <= best_aicc + 4;
    }
    /* 1. among the AICc shortlist, the lowest backtest MASE */
    int win = -1;
    for (int m = 0; m < PS_FIT_NMODELS; m++)
        if (in_short[m] && (win < 0 || s->fits[m].mase < s->fits[win].mase))
            win = m;
    int best_bt = win;
    /* 2. ... unless a simpler shortlisted model is within 5 % of it */
    for (int m = 0; win >= 0 && m < PS_FIT_NMODELS; m++)
        if (in_short[m] && simplicity((enum ps_fit_model)m) <
                               simplicity((enum ps_fit_model)win) &&
            s->fits[m].mase <= 1.05 * s->fits[best_bt].mase)
            win = m;
    /*
     * 3. robust and holt have no comparable likelihood: they replace the
     * AICc-backed choice only when their backtest error is at least 20 %
     * lower (outliers, or a trend that keeps changing).
     */
    int challenger = -1;
    for (int m = 0; m < PS_FIT_NMODELS; m++) {
        const struct ps_fit *f = &s->fits[m];
        if (aicc_comparable((enum ps_fit_model)m) || !f->ok || !isfinite(f->mase))
            continue;
        if (win >= 0 && !(f->mase < 0.8 * s->fits[win].mase))
            continue;
        if (challenger < 0 || f->mase < s->fits[challenger].mase)
            challenger = m;
    }
    char tail[240] = "";
    if (challenger >= 0 && win >= 0)
        snprintf(tail, sizeof(tail),
                 "; it backtests at least 20 %% better than %s (MASE %.2f), "
                 "the best model by AICc and backtest",
                 ps_fit_model_name((enum ps_fit_model)win), s->fits[win].mase);
    else if (win >= 0 && win != best_bt)
        snprintf(tail, sizeof(tail),
                 "; %s backtested slightly better (MASE %.2f) but the simpler "
                 "model is within 5 %%",
                 ps_fit_model_name((enum ps_fit_model)best_bt),
                 s->fits[best_bt].mase);
    if (challenger >= 0)
        win = challenger;
    if (win < 0) {
        /* no backtest could be scored: fall back to AICc, then linear */
        s->chosen = best_aicc_m >= 0 ? (enum ps_fit_model)best_aicc_m : PS_FIT_LINEAR;
        snprintf(s->reason, sizeof(s->reason),
                 "%s: lowest AICc (%.1f); no model could be backtested",
                 ps_fit_model_name(s->chosen), s->fits[s->chosen].aicc);
        return PS_OK;
    }
    s->chosen = (enum ps_fit_model)win;
    const struct ps_fit *w = &s->fits[win];
    if (tail[0] == 0) {
        /* runner-up by MASE among everything backtested */
        int second = -1;
        for (int m = 0; m < PS_FIT_NMODELS; m++)
            if (m != win && s->fits[m].ok && isfinite(s->fits[m].mase) &&
                (second < 0 || s->fits[m].mase < s->fits[second].mase))
                second = m;
        if (second >= 0)
            snprintf(tail, sizeof(tail), "; next best backtest: %s MASE %.2f",
                     ps_fit_model_name((enum ps_fit_model)second),
                     s->fits[second].mase);
    }
    char aic[120];
    if (aicc_comparable(s->chosen))
        snprintf(aic, sizeof(aic), "AICc %.1f, best %.1f (%s)", w->aicc,
                 best_aicc, ps_fit_model_name((enum ps_fit_model)best_aicc_m));
    else
        snprintf(aic, sizeof(aic), "no comparable AICc");
    snprintf(s->reason, sizeof(s->reason),
             "%s: backtest MASE %.2f, MAPE %.1f %% over %zu held-out points "
             "(%s)%s",
             ps_fit_model_name(s->chosen), w->mase, w->mape, w->bt_points,
             aic, tail);
    return PS_OK;
}
