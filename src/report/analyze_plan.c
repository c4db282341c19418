/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * analyze_plan.c - the capacity step of analyze (analyze_int.h): the plan
 * from the facts (ps_plan.h), kept whole under stages.plan, plus what the
 * report shows of it - a forecast chart per capacity series (history, the
 * forecast mean at each horizon and its prediction band), tables of
 * forecasts, recommendations and monthly cost, and numbers for diff.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "promsight/ps_plan.h"
#include "report/analyze_int.h"
#include "report/report_build_int.h"

#define MAX_FORECAST_CHARTS 6

/* Parse 'metric{a="x",b="y"}' into metric and labels (escapes \" \\ \n). */
static int
parse_selector(const char *s, char *metric, size_t mlen, struct ps_label *l,
               char (*buf)[256], size_t maxl, size_t *nl)
{
    size_t i = 0, m = 0;
    *nl = 0;
    while (s[i] != '\0' && s[i] != '{' && m + 1 < mlen)
        metric[m++] = s[i++];
    metric[m] = '\0';
    if (s[i] != '{')
        return s[i] == '\0';
    i++;
    while (s[i] != '\0' && s[i] != '}' && *nl < maxl) {
        size_t k = 0;
        char *name = buf[2 * *nl], *val = buf[2 * *nl + 1];
        while (s[i] != '\0' && s[i] != '=' && k + 1 < 256)
            name[k++] = s[i++];
        name[k] = '\0';
        if (s[i] != '=' || s[i + 1] != '"')
            return 0;
        i += 2;
        k = 0;
        while (s[i] != '\0' && s[i] != '"' && k + 1 < 256) {
            if (s[i] == '\\' && s[i + 1] != '\0') {
                i++;
                val[k++] = s[i] == 'n' ? '\n' : s[i];
                i++;
                continue;
            }
            val[k++] = s[i++];
        }
        val[k] = '\0';
        if (s[i] != '"')
            return 0;
        i++;
        l[*nl] = (struct ps_label){name, val};
        (*nl)++;
        if (s[i] == ',')
            i++;
    }
    return 1;
}

/* The fact-store series a plan series names, or UINT32_MAX. */
static uint32_t
find_series(const struct ps_facts *f, const char *sel)
{
    char metric[256];
    struct ps_label l[32];
    char buf[64][256];
    size_t nl;
    if (!parse_selector(sel, metric, sizeof(metric), l, buf, 32, &nl))
        return UINT32_MAX;
    const uint32_t *ids;
    size_t n = ps_facts_metric_series(f, metric, &ids);
    for (size_t i = 0; i < n; i++) {
        const struct ps_label *sl;
        size_t ns = ps_facts_series_labels(f, ids[i], &sl);
        if (ns != nl + 1)
            continue;
        size_t ok = 0;
        for (size_t k = 0; k < nl; k++) {
            const char *v = ps_facts_series_label(f, ids[i], l[k].name);
            ok += v != NULL && strcmp(v, l[k].value) == 0;
        }
        if (ok == nl)
            return ids[i];
    }
    return UINT32_MAX;
}

static json_t *
forecast_chart(const struct ps_facts *f, const json_t *s)
{
    const char *sel = json_string_value(json_object_get(s, "series"));
    const json_t *fc = json_object_get(s, "forecasts");
    if (sel == NULL || json_array_size(fc) == 0)
        return NULL;
    json_t *hist = json_array(), *mean = json_array(), *lo = json_array(), *hi = json_array();
    uint32_t id = find_series(f, sel);
    int64_t t_last = 0;
    double v_last = NAN;
    if (id != UINT32_MAX) {
        const struct ps_sample *smp;
        size_t n = ps_facts_series_samples(f, id, &smp);
        size_t step = n > 200 ? n / 200 : 1;
        for (size_t i = 0; i < n; i += step)
            if (isfinite(smp[i].v))
                json_array_append_new(hist, json_pack("[I, f]", (json_int_t)smp[i].t, smp[i].v));
        for (size_t i = n; i-- > 0;)
            if (isfinite(smp[i].v)) {
                t_last = smp[i].t;
                v_last = smp[i].v;
                break;
            }
    }
    if (isfinite(v_last)) {
        json_array_append_new(mean, json_pack("[I, f]", (json_int_t)t_last, v_last));
        json_array_append_new(lo, json_pack("[I, f]", (json_int_t)t_last, v_last));
        json_array_append_new(hi, json_pack("[I, f]", (json_int_t)t_last, v_last));
    }
    size_t i;
    const json_t *x;
    json_array_foreach(fc, i, x) {
        const char *at = json_string_value(json_object_get(x, "at"));
        int64_t t;
        if (at == NULL || !ps_parse_rfc3339_ms(at, strlen(at), &t))
            continue;
        double m = json_number_value(json_object_get(x, "mean"));
        double l = json_number_value(json_object_get(x, "lo"));
        double h = json_number_value(json_object_get(x, "hi"));
        if (isfinite(m))
            json_array_append_new(mean, json_pack("[I, f]", (json_int_t)t, m));
        if (isfinite(l) && isfinite(h)) {
            json_array_append_new(lo, json_pack("[I, f]", (json_int_t)t, l));
            json_array_append_new(hi, json_pack("[I, f]", (json_int_t)t, h));
        }
    }
    char title[512];
    snprintf(title, sizeof(title), "Forecast: %s (%s)", sel,
             json_string_value(json_object_get(s, "chosen")) != NULL
                 ? json_string_value(json_object_get(s, "chosen")) : "?");
    const char *unit = strstr(sel, "bytes") != NULL ? "bytes" : "";
    return json_pack("{s:o, s:s, s:[{s:s, s:o}, {s:s, s:o}], s:{s:o, s:o}, s:[]}",
                     "title", rb_text(title, 500), "unit", unit, "series", "name",
                     "history", "points", hist, "name", "forecast (mean)", "points", mean,
                     "band", "lo", lo, "hi", hi, "markers");
}

static const char *
fmt_num(const json_t *v, char *buf, size_t n)
{
    if (!json_is_number(v))
        return "-";
    ps_humanize(json_number_value(v), NULL, buf, n);
    return buf;
}

static json_t *
forecast_table(const json_t *series)
{
    json_t *rows = json_array();
    size_t i;
    const json_t *s;
    json_array_foreach(series, i, s) {
        json_t *row = json_array();
        json_array_append_new(row, json_string(json_string_value(json_object_get(s, "series"))));
        json_array_append_new(row, json_string(json_string_value(json_object_get(s, "chosen"))
                                                   ? json_string_value(json_object_get(s, "chosen"))
                                                   : "-"));
        double mase = NAN, mape = NAN;
        size_t k;
        const json_t *m;
        json_array_foreach(json_object_get(s, "models"), k, m) {
            if (json_equal(json_object_get(m, "model"), json_object_get(s, "chosen"))) {
                mase = json_number_value(json_object_get(m, "mase"));
                mape = json_number_value(json_object_get(m, "mape_percent"));
            }
        }
        char b[128];
        snprintf(b, sizeof(b), "MASE %.3g, MAPE %.3g%%", mase, mape);
        json_array_append_new(row, json_string(b));
        char n1[32];
        json_array_append_new(row, json_string(fmt_num(json_object_get(s, "last_value"), n1,
                                                         sizeof(n1))));
        const json_t *fc;
        json_array_foreach(json_object_get(s, "forecasts"), k, fc) {
            char a[24], lo[24], hi[24];
            snprintf(b, sizeof(b), "%s [%s–%s]", fmt_num(json_object_get(fc, "mean"), a, sizeof(a)),
                     fmt_num(json_object_get(fc, "lo"), lo, sizeof(lo)),
                     fmt_num(json_object_get(fc, "hi"), hi, sizeof(hi)));
            json_array_append_new(row, json_string(b));
        }
        json_array_append_new(rows, row);
    }
    return rows;
}

static json_t *
sections(const json_t *plan)
{
    json_t *secs = json_array();
    /* forecasts */
    json_t *cols = json_pack("[s, s, s, s]", "series", "model", "backtest", "now");
    size_t i;
    const json_t *h;
    json_array_foreach(json_object_get(plan, "horizons_seconds"), i, h) {
        char b[32];
        snprintf(b, sizeof(b), "+%.0fd", json_number_value(h) / 86400);
        json_array_append_new(cols, json_string(b));
    }
    const json_t *pr = json_object_get(plan, "pricing");
    char note[512];
    snprintf(note, sizeof(note), "intervals: %.0f %% prediction intervals; sizing model: %s",
             100 * json_number_value(json_object_get(plan, "level")),
             json_string_value(json_object_get(plan, "sizing_model")) != NULL
                 ? json_string_value(json_object_get(plan, "sizing_model")) : "?");
    json_t *notes = json_pack("[s]", note);
    size_t k;
    const json_t *s;
    json_array_foreach(json_object_get(plan, "series"), k, s) {
        const char *reason = json_string_value(json_object_get(s, "reason"));
        const char *name = json_string_value(json_object_get(s, "series"));
        if (reason != NULL) {
            char b[1024];
            snprintf(b, sizeof(b), "%s: %s", name != NULL ? name : "?", reason);
            json_array_append_new(notes, rb_text(b, sizeof(b) - 1));
        }
    }
    json_array_append_new(secs, json_pack(
        "{s:s, s:s, s:s, s:o, s:[{s:s, s:o, s:o}]}", "id", "capacity", "title",
        "Capacity forecasts", "title_ko", "용량 예측", "notes", notes, "tables", "title",
        "forecasts (mean [interval])", "columns", cols, "rows",
        forecast_table(json_object_get(plan, "series"))));
    /* recommendations */
    json_t *rows = json_array();
    const json_t *r;
    json_array_foreach(json_object_get(plan, "recommendations"), i, r) {
        const json_t *d = json_object_get(r, "monthly_cost_delta");
        char c[48] = "-";
        if (json_is_number(d))
            snprintf(c, sizeof(c), "%+.2f", json_number_value(d));
        json_array_append_new(rows, json_pack("[O, O, O, O, s]", json_object_get(r, "title"),
                                              json_object_get(r, "result"),
                                              json_object_get(r, "formula"),
                                              json_object_get(r, "inputs"), c));
    }
    char pnote[400] = "no pricing";
    if (json_is_object(pr))
        snprintf(pnote, sizeof(pnote), "pricing '%s' (%s, %s, effective %s)%s",
                 json_string_value(json_object_get(pr, "name")),
                 json_string_value(json_object_get(pr, "currency")),
                 json_string_value(json_object_get(pr, "region")),
                 json_string_value(json_object_get(pr, "effective_date")),
                 json_is_true(json_object_get(pr, "example"))
                     ? ": EXAMPLE prices, pass your own with --pricing" : "");
    const json_t *mc = json_object_get(plan, "monthly_cost");
    json_t *cost_rows = json_array();
    if (json_is_object(mc)) {
        char b[48];
        snprintf(b, sizeof(b), "%.2f", json_number_value(json_object_get(mc, "now")));
        json_array_append_new(cost_rows, json_pack("[s, s]", "now", b));
        json_array_foreach(json_object_get(mc, "at_horizons"), i, h) {
            char lab[32];
            snprintf(lab, sizeof(lab), "+%.0fd", json_number_value(json_array_get(
                                                     json_object_get(plan, "horizons_seconds"), i)) / 86400);
            snprintf(b, sizeof(b), "%.2f", json_number_value(h));
            json_array_append_new(cost_rows, json_pack("[s, s]", lab, b));
        }
    }
    json_array_append_new(secs, json_pack(
        "{s:s, s:s, s:s, s:[s, s?], s:[{s:s, s:[s, s, s, s, s], s:o}, {s:s, s:[s, s], s:o}]}",
        "id", "recommendations", "title", "Recommendations", "title_ko", "권고 사항", "notes",
        pnote, json_string_value(json_object_get(mc, "basis")), "tables", "title",
        "recommendations", "columns", "recommendation", "result", "formula", "inputs",
        "monthly cost change", "rows", rows, "title", "monthly cost", "columns", "when",
        "cost", "rows", cost_rows));
    return secs;
}

static json_t *
metrics(const json_t *plan)
{
    json_t *m = json_object();
    const json_t *mc = json_object_get(plan, "monthly_cost");
    if (json_is_number(json_object_get(mc, "now")))
        json_object_set_new(m, "cost.now", json_real(json_number_value(json_object_get(mc, "now"))));
    size_t i;
    const json_t *r;
    json_array_foreach(json_object_get(plan, "recommendations"), i, r) {
        const json_t *v = json_object_get(r, "value");
        const char *id = json_string_value(json_object_get(r, "id"));
        if (id != NULL && json_is_number(v) && isfinite(json_number_value(v)))
            json_object_set_new(m, id, json_real(json_number_value(v)));
    }
    return m;
}

json_t *
ps_analyze_plan_json(struct ps_ingest *in, const char *models_dir, const char *pricing)
{
    struct ps_sizing sz;
    struct ps_pricing pr;
    int have_pr = 0;
    char desc[512];
    if (ps_plan_load_models(models_dir, NULL, pricing, &sz, desc, sizeof(desc), &pr, &have_pr,
                            &in->diags) != PS_OK)
        return NULL;
    struct ps_plan_opts po;
    memset(&po, 0, sizeof(po));
    struct ps_plan plan;
    if (ps_plan_from_facts(in->facts, &po, &sz, have_pr ? &pr : NULL, &plan, &in->diags) != PS_OK)
        return NULL;
    json_t *pj = ps_plan_json(&plan, have_pr ? &pr : NULL, desc);
    ps_plan_free(&plan);
    if (pj == NULL)
        return NULL;
    json_t *charts = json_array();
    size_t i;
    const json_t *s;
    json_array_foreach(json_object_get(pj, "series"), i, s) {
        if (json_array_size(charts) >= MAX_FORECAST_CHARTS)
            break;
        json_t *c = forecast_chart(in->facts, s);
        if (c != NULL)
            json_array_append_new(charts, c);
    }
    json_object_set_new(pj, "charts", charts);
    json_object_set_new(pj, "report_sections", sections(pj));
    json_object_set_new(pj, "metrics", metrics(pj));
    return pj;
}
