/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_fit.c - libFuzzer harness for the forecast input readers (CSV and
 * Prometheus API JSON) and the growth models behind them: every parsed
 * series (first 3, first 300 points) goes through cleaning, per-window
 * maxima, model selection, prediction intervals and time-to-limit.
 */
#include <stddef.h>
#include <stdint.h>

#include "promsight/ps_err.h"
#include "promsight/ps_fit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ps_diags d;
    ps_diags_init(&d);
    struct ps_fit_input in;
    ps_fit_input_parse((const char *)data, size, "fuzz", &in, &d);
    for (size_t i = 0; i < in.n && i < 3; i++) {
        size_t n = in.s[i].n < 300 ? in.s[i].n : 300;
        struct ps_fit_data fd, w;
        if (ps_fit_data_init(&fd, in.s[i].t, in.s[i].v, n, 1.0) != PS_OK)
            continue;
        if (ps_fit_data_window_max(&fd, 60, &w) == PS_OK)
            ps_fit_data_free(&w);
        static struct ps_fit_selection sel;
        if (ps_fit_select(&fd, -1, 30 * 86400.0, &sel) == PS_OK && sel.chosen_ok) {
            const struct ps_fit *f = &sel.fits[sel.chosen];
            double m, lo, hi;
            ps_fit_predict(f, f->t_ref + 86400, 0.95, &m, &lo, &hi);
            struct ps_fit_eta e;
            ps_fit_eta(f, m, 0.8, f->t_ref + 365 * 86400.0, &e);
        }
        ps_fit_data_free(&fd);
    }
    ps_fit_input_free(&in);
    ps_diags_free(&d);
    return 0;
}
