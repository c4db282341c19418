/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd_forecast.c - 'promsight forecast FILE': fit the growth models to a
 * bare series (CSV time,value or Prometheus API JSON), choose one, and
 * print forecasts with prediction intervals at the requested horizons and,
 * with --limit, when the limit is reached. One block per series.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "promsight/ps_fit.h"
#include "promsight/ps_util.h"
#include "promsight/ps_json.h"

#define CMD "forecast"
#define MAX_HORIZONS 16
#define MAX_LEVELS 8
#define MAX_FILE (512u << 20)
#define ETA_SEARCH_S (5 * 365 * 86400.0) /* limits searched up to 5 years ahead */

struct opts {
    double horizon[MAX_HORIZONS];
    char horizon_txt[MAX_HORIZONS][32];
    size_t nhorizon;
    double level[MAX_LEVELS];
    size_t nlevel;
    int model; /* -1 auto */
    int has_limit;
    double limit;
    double window;
    enum ps_out_format fmt;
};

static void
usage(FILE *out)
{
    fprintf(out,
            "Usage: promsight forecast [OPTIONS] FILE\n"
            "\n"
            "Fit growth models to a series and forecast it. FILE is CSV with\n"
            "'time,value' rows (epoch seconds, epoch ms or RFC 3339; more value\n"
            "columns give more series) or Prometheus API JSON (query_range\n"
            "matrix or query vector; one forecast per series). '-' reads stdin.\n"
            "\n"
            "Options:\n"
            "  --horizon LIST   forecast horizons after the last point\n"
            "                   (default 30d,90d,180d,365d)\n"
            "  --model NAME     auto (default), linear, robust, exp, logistic,\n"
            "                   holt or piecewise\n"
            "  --interval LIST  prediction interval levels in %% (default 80,95)\n"
            "  --limit X        report when the forecast reaches X (suffixes\n"
            "                   k M G T and Ki Mi Gi Ti allowed)\n"
            "  --window DUR     fit per-window maxima (for sawtooth signals)\n"
            "  --format FMT     text (default) or json\n"
            "  -h, --help       show this help\n");
}

/* number with optional SI or IEC suffix */
static int
parse_quantity(const char *s, double *x)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno != 0 || !isfinite(v))
        return -1;
    static const struct {
        const char *suf;
        double mul;
    } sfx[] = {{"", 1},          {"k", 1e3},       {"K", 1e3},
               {"M", 1e6},       {"G", 1e9},       {"T", 1e12},
               {"Ki", 1024.0},   {"Mi", 1048576.0}, {"Gi", 1073741824.0},
               {"Ti", 1099511627776.0}};
    for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++)
        if (strcmp(end, sfx[i].suf) == 0) {
            *x = v * sfx[i].mul;
            return 0;
        }
    return -1;
}

static int
parse_list(const char *arg, int horizons, struct opts *o)
{
    char buf[512];
    if (strlen(arg) >= sizeof(buf))
        return -1;
    strcpy(buf, arg);
    size_t n = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        if (horizons) {
            double s;
            if (n >= MAX_HORIZONS || ps_fit_parse_duration(tok, &s) != 0 || !(s > 0) ||
                strlen(tok) >= sizeof(o->horizon_txt[0]))
                return -1;
            o->horizon[n] = s;
            strcpy(o->horizon_txt[n], tok);
        } else {
            char *end;
            double l = strtod(tok, &end);
            if (n >= MAX_LEVELS || *end != 0 || !(l > 0 && l < 100))
                return -1;
            o->level[n] = l >= 1 ? l / 100 : l;
        }
        n++;
    }
    if (n == 0)
        return -1;
    if (horizons)
        o->nhorizon = n;
    else
        o->nlevel = n;
    return 0;
}

static char *
read_all(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL)
        return NULL;
    struct ps_buf b = {0};
    char chunk[65536];
    size_t r;
    int bad = 0;
    while ((r = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (b.n + r > MAX_FILE || ps_buf_append(&b, chunk, r) != PS_OK) {
            bad = 1;
            break;
        }
    if (ferror(f))
        bad = 1;
    if (f != stdin)
        fclose(f);
    if (bad) {
        ps_buf_free(&b);
        return NULL;
    }
    *len = b.n;
    if (b.p == NULL)
        return calloc(1, 1);
    return (char *)b.p;
}

static void
fmt_val(double x, char *buf, size_t n)
{
    if (isnan(x))
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "%.6g", x);
}

static void
print_text(const char *name, const struct ps_fit_data *d,
           const struct ps_fit_selection *s, const struct opts *o)
{
    char a[64], b[64], c[64];
    printf("%s\n", name);
    if (d->n == 0) {
        printf("  no finite samples\n\n");
        return;
    }
    ps_fmt_time_s(d->t[0], a, sizeof(a));
    ps_fmt_time_s(d->t[d->n - 1], b, sizeof(b));
    ps_fmt_duration_ms((int64_t)llround((d->t[d->n - 1] - d->t[0]) * 1000), c, sizeof(c));
    printf("  data      %zu point%s, %s .. %s (%s), last value %.6g", d->n, d->n == 1 ? "" : "s", a, b, c,
           d->v[d->n - 1]);
    if (d->dropped_nonfinite || d->merged_duplicate)
        printf("; dropped %zu non-finite, merged %zu duplicate times",
               d->dropped_nonfinite, d->merged_duplicate);
    if (o->window > 0)
        printf("; per-window maxima over %gs", o->window);
    printf("\n");
    printf("  chosen    %s\n", s->reason);
    if (!s->chosen_ok) {
        printf("\n");
        return;
    }
    printf("  %-10s %-6s %10s %8s %8s  %s\n", "model", "fitted", "AICc", "MASE",
           "MAPE", "note");
    for (int m = 0; m < PS_FIT_NMODELS; m++) {
        const struct ps_fit *f = &s->fits[m];
        char note[200] = "";
        if (!f->ok)
            snprintf(note, sizeof(note), "%s", f->why);
        else if (m == PS_FIT_ROBUST && f->outliers)
            snprintf(note, sizeof(note), "%zu outlier%s down-weighted", f->outliers,
                     f->outliers == 1 ? "" : "s");
        else if (m == PS_FIT_HOLT)
            snprintf(note, sizeof(note), "alpha %.3f beta %.3f", f->alpha, f->beta);
        else if (m == PS_FIT_PIECEWISE) {
            size_t k = 0;
            k += (size_t)snprintf(note, sizeof(note), "changepoints");
            for (size_t j = 0; j < f->nhinge && k < sizeof(note); j++) {
                ps_fmt_time_s(f->t_ref + f->hinge_u[j] * f->t_scale, a, sizeof(a));
                k += (size_t)snprintf(note + k, sizeof(note) - k, " %s", a);
            }
        }
        char ai[32] = "-", ms[32] = "-", mp[32] = "-";
        if (f->ok && isfinite(f->aicc) && m != PS_FIT_HOLT && m != PS_FIT_ROBUST)
            snprintf(ai, sizeof(ai), "%.1f", f->aicc);
        if (isfinite(f->mase))
            snprintf(ms, sizeof(ms), "%.2f", f->mase);
        if (isfinite(f->mape))
            snprintf(mp, sizeof(mp), "%.1f%%", f->mape);
        printf("  %-10s %-6s %10s %8s %8s  %s%s\n", ps_fit_model_name((enum ps_fit_model)m),
               f->ok ? "yes" : "no", ai, ms, mp, note,
               (int)s->chosen == m ? "  <- chosen" : "");
    }
    const struct ps_fit *f = &s->fits[s->chosen];
    double span = d->t[d->n - 1] - d->t[0];
    printf("  %-9s %-24s %12s", "horizon", "at", "forecast");
    for (size_t l = 0; l < o->nlevel; l++) {
        char h[32];
        snprintf(h, sizeof(h), "%g%% interval", o->level[l] * 100);
        printf("  %-27s", h);
    }
    printf("\n");
    for (size_t i = 0; i < o->nhorizon; i++) {
        double t = d->t[d->n - 1] + o->horizon[i], m, lo, hi;
        ps_fmt_time_s(t, a, sizeof(a));
        ps_fit_predict(f, t, 0.5, &m, &lo, &hi);
        fmt_val(m, b, sizeof(b));
        printf("  +%-8s %-24s %12s", o->horizon_txt[i], a, b);
        for (size_t l = 0; l < o->nlevel; l++) {
            ps_fit_predict(f, t, o->level[l], &m, &lo, &hi);
            char lo_s[32], hi_s[32], iv[80];
            fmt_val(lo, lo_s, sizeof(lo_s));
            fmt_val(hi, hi_s, sizeof(hi_s));
            snprintf(iv, sizeof(iv), "%s .. %s", lo_s, hi_s);
            printf("  %-27s", iv);
        }
        printf("\n");
    }
    if (span > 0 && o->nhorizon > 0 && o->horizon[o->nhorizon - 1] > 3 * span)
        printf("  note      the longest horizon is %.0fx the observed span: the model "
               "is extrapolated far beyond the data and the interval assumes the "
               "same behaviour continues\n",
               o->horizon[o->nhorizon - 1] / span);
    if (o->has_limit) {
        double lv = o->level[o->nlevel - 1];
        struct ps_fit_eta e;
        ps_fit_eta(f, o->limit, lv, d->t[d->n - 1] + ETA_SEARCH_S, &e);
        if (e.status == PS_ETA_ALREADY)
            printf("  limit     %.6g: already reached (fitted value at the last point)\n",
                   o->limit);
        else if (e.status == PS_ETA_NOT_REACHED && isnan(e.t_early))
            printf("  limit     %.6g: not reached within 5 years, even at the upper "
                   "%g%% bound\n", o->limit, lv * 100);
        else {
            ps_fmt_time_s(e.t_mean, a, sizeof(a));
            ps_fmt_time_s(e.t_early, b, sizeof(b));
            ps_fmt_time_s(e.t_late, c, sizeof(c));
            printf("  limit     %.6g: mean forecast reaches it %s; %g%% interval: "
                   "earliest %s, latest %s%s\n",
                   o->limit, e.status == PS_ETA_REACHED ? a : "not within 5 years",
                   lv * 100, b, isnan(e.t_late) ? "not within 5 years" : c,
                   "");
        }
    }
    printf("\n");
}

static json_t *
to_json(const char *name, const struct ps_fit_data *d,
        const struct ps_fit_selection *s, const struct opts *o)
{
    char a[64];
    json_t *j = json_object();
    json_object_set_new(j, "series", json_string(name));
    json_object_set_new(j, "points", json_integer((json_int_t)d->n));
    json_object_set_new(j, "dropped_nonfinite", json_integer((json_int_t)d->dropped_nonfinite));
    json_object_set_new(j, "merged_duplicate", json_integer((json_int_t)d->merged_duplicate));
    if (d->n > 0) {
        ps_fmt_time_s(d->t[0], a, sizeof(a));
        json_object_set_new(j, "first", json_string(a));
        ps_fmt_time_s(d->t[d->n - 1], a, sizeof(a));
        json_object_set_new(j, "last", json_string(a));
        json_object_set_new(j, "last_value", ps_json_num(d->v[d->n - 1]));
        json_object_set_new(j, "span_seconds", ps_json_num(d->t[d->n - 1] - d->t[0]));
    }
    if (o->window > 0)
        json_object_set_new(j, "window_max_seconds", ps_json_num(o->window));
    json_object_set_new(j, "chosen", s->chosen_ok
                                         ? json_string(ps_fit_model_name(s->chosen))
                                         : json_null());
    json_object_set_new(j, "reason", json_string(s->reason));
    json_object_set_new(j, "too_little_data", json_boolean(s->too_little_data));
    json_t *models = json_array();
    for (int m = 0; m < PS_FIT_NMODELS; m++) {
        const struct ps_fit *f = &s->fits[m];
        json_t *jm = json_object();
        json_object_set_new(jm, "model", json_string(ps_fit_model_name((enum ps_fit_model)m)));
        json_object_set_new(jm, "fitted", json_boolean(f->ok));
        if (!f->ok) {
            json_object_set_new(jm, "why", json_string(f->why));
        } else {
            int comparable = m != PS_FIT_HOLT && m != PS_FIT_ROBUST;
            json_object_set_new(jm, "aicc", comparable ? ps_json_num(f->aicc) : json_null());
            json_object_set_new(jm, "mase", ps_json_num(f->mase));
            json_object_set_new(jm, "mape_percent", ps_json_num(f->mape));
            json_object_set_new(jm, "backtest_points", json_integer((json_int_t)f->bt_points));
            json_object_set_new(jm, "sigma", ps_json_num(sqrt(f->sigma2)));
            json_object_set_new(jm, "dof", ps_json_num(f->dof));
            json_object_set_new(jm, "slope_per_day",
                                ps_json_num((ps_fit_value(f, f->t_ref) -
                                      ps_fit_value(f, f->t_ref - 86400)) ));
            if (m == PS_FIT_ROBUST)
                json_object_set_new(jm, "outliers", json_integer((json_int_t)f->outliers));
            if (m == PS_FIT_HOLT) {
                json_object_set_new(jm, "alpha", ps_json_num(f->alpha));
                json_object_set_new(jm, "beta", ps_json_num(f->beta));
            }
            if (m == PS_FIT_PIECEWISE) {
                json_t *cp = json_array();
                for (size_t k = 0; k < f->nhinge; k++) {
                    ps_fmt_time_s(f->t_ref + f->hinge_u[k] * f->t_scale, a, sizeof(a));
                    json_array_append_new(cp, json_string(a));
                }
                json_object_set_new(jm, "changepoints", cp);
            }
        }
        json_array_append_new(models, jm);
    }
    json_object_set_new(j, "models", models);
    json_t *fc = json_array();
    if (s->chosen_ok) {
        const struct ps_fit *f = &s->fits[s->chosen];
        for (size_t i = 0; i < o->nhorizon; i++) {
            double t = d->t[d->n - 1] + o->horizon[i], m, lo, hi;
            json_t *jf = json_object();
            json_object_set_new(jf, "horizon", json_string(o->horizon_txt[i]));
            json_object_set_new(jf, "horizon_seconds", ps_json_num(o->horizon[i]));
            ps_fmt_time_s(t, a, sizeof(a));
            json_object_set_new(jf, "at", json_string(a));
            ps_fit_predict(f, t, 0.5, &m, &lo, &hi);
            json_object_set_new(jf, "mean", ps_json_num(m));
            json_t *iv = json_array();
            for (size_t l = 0; l < o->nlevel; l++) {
                ps_fit_predict(f, t, o->level[l], &m, &lo, &hi);
                json_t *ji = json_object();
                json_object_set_new(ji, "level", ps_json_num(o->level[l]));
                json_object_set_new(ji, "lo", ps_json_num(lo));
                json_object_set_new(ji, "hi", ps_json_num(hi));
                json_array_append_new(iv, ji);
            }
            json_object_set_new(jf, "intervals", iv);
            json_array_append_new(fc, jf);
        }
        if (o->has_limit) {
            double lv = o->level[o->nlevel - 1];
            struct ps_fit_eta e;
            ps_fit_eta(f, o->limit, lv, d->t[d->n - 1] + ETA_SEARCH_S, &e);
            json_t *jl = json_object();
            json_object_set_new(jl, "limit", ps_json_num(o->limit));
            json_object_set_new(jl, "level", ps_json_num(lv));
            json_object_set_new(jl, "status",
                                json_string(e.status == PS_ETA_ALREADY ? "already"
                                            : e.status == PS_ETA_REACHED ? "reached"
                                                                         : "not_reached"));
            const double ts[3] = {e.t_mean, e.t_early, e.t_late};
            const char *keys[3] = {"mean", "earliest", "latest"};
            for (int k = 0; k < 3; k++) {
                if (isfinite(ts[k])) {
                    ps_fmt_time_s(ts[k], a, sizeof(a));
                    json_object_set_new(jl, keys[k], json_string(a));
                } else {
                    json_object_set_new(jl, keys[k], json_null());
                }
            }
            json_object_set_new(j, "limit", jl);
        }
    }
    json_object_set_new(j, "forecasts", fc);
    return j;
}

int
ps_cmd_forecast(int argc, char **argv)
{
    struct opts o;
    memset(&o, 0, sizeof(o));
    o.model = -1;
    o.fmt = PS_FMT_TEXT;
    parse_list("30d,90d,180d,365d", 1, &o);
    parse_list("80,95", 0, &o);
    static const struct option lo[] = {
        {"horizon", required_argument, NULL, 'H'},
        {"model", required_argument, NULL, 'm'},
        {"interval", required_argument, NULL, 'i'},
        {"limit", required_argument, NULL, 'l'},
        {"window", required_argument, NULL, 'w'},
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'h':
            usage(stdout);
            return PS_EXIT_OK;
        case 'H':
            if (parse_list(optarg, 1, &o) != 0)
                return ps_cli_usage_error(CMD, "bad --horizon '%s' (e.g. 30d,90d)", optarg);
            break;
        case 'i':
            if (parse_list(optarg, 0, &o) != 0)
                return ps_cli_usage_error(CMD, "bad --interval '%s' (e.g. 80,95)", optarg);
            break;
        case 'm': {
            enum ps_fit_model m;
            if (strcmp(optarg, "auto") == 0)
                o.model = -1;
            else if (ps_fit_model_parse(optarg, &m) == 0)
                o.model = (int)m;
            else
                return ps_cli_usage_error(CMD, "unknown --model '%s'", optarg);
            break;
        }
        case 'l':
            if (parse_quantity(optarg, &o.limit) != 0)
                return ps_cli_usage_error(CMD, "bad --limit '%s'", optarg);
            o.has_limit = 1;
            break;
        case 'w':
            if (ps_fit_parse_duration(optarg, &o.window) != 0 || !(o.window > 0))
                return ps_cli_usage_error(CMD, "bad --window '%s'", optarg);
            break;
        case 'f':
            if (ps_cli_parse_format(optarg, &o.fmt) != 0)
                return PS_EXIT_USAGE;
            break;
        default:
            return ps_cli_usage_error(CMD, "unknown or incomplete option '%s'",
                                      argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return ps_cli_usage_error(CMD, "expected one FILE");
    const char *path = argv[optind];
    size_t len = 0;
    char *buf = read_all(path, &len);
    if (buf == NULL) {
        fprintf(stderr, "promsight forecast: cannot read %s\n", path);
        return PS_EXIT_ERROR;
    }
    struct ps_diags diags;
    ps_diags_init(&diags);
    struct ps_fit_input in;
    enum ps_err rc = ps_fit_input_parse(buf, len, path, &in, &diags);
    free(buf);
    ps_cli_print_diags(&diags);
    ps_diags_free(&diags);
    if (rc != PS_OK && rc != PS_E_LIMIT) {
        fprintf(stderr, "promsight forecast: %s: %s\n", path, ps_strerror(rc));
        ps_fit_input_free(&in);
        return PS_EXIT_ERROR;
    }
    json_t *jall = o.fmt == PS_FMT_JSON ? json_array() : NULL;
    int exit_code = PS_EXIT_OK;
    size_t forecast_count = 0;
    for (size_t i = 0; i < in.n; i++) {
        struct ps_fit_data d, w;
        struct ps_fit_selection *sel = malloc(sizeof(*sel));
        if (sel == NULL || ps_fit_data_init(&d, in.s[i].t, in.s[i].v, in.s[i].n, 1.0) != PS_OK) {
            free(sel);
            exit_code = PS_EXIT_ERROR;
            break;
        }
        if (o.window > 0) {
            if (ps_fit_data_window_max(&d, o.window, &w) != PS_OK) {
                ps_fit_data_free(&d);
                free(sel);
                exit_code = PS_EXIT_ERROR;
                break;
            }
            ps_fit_data_free(&d);
            d = w;
        }
        double hmax = 0;
        for (size_t h = 0; h < o.nhorizon; h++)
            hmax = fmax(hmax, o.horizon[h]);
        if (ps_fit_select(&d, o.model, hmax, sel) != PS_OK) {
            ps_fit_data_free(&d);
            free(sel);
            exit_code = PS_EXIT_ERROR;
            break;
        }
        forecast_count += sel->chosen_ok;
        if (jall != NULL)
            json_array_append_new(jall, to_json(in.s[i].name, &d, sel, &o));
        else
            print_text(in.s[i].name, &d, sel, &o);
        ps_fit_data_free(&d);
        free(sel);
    }
    ps_fit_input_free(&in);
    if (jall != NULL) {
        json_t *root = json_object();
        json_object_set_new(root, "file", json_string(path));
        json_object_set_new(root, "series", jall);
        if (ps_cli_dump_json(root, stdout) != 0)
            exit_code = PS_EXIT_ERROR;
    }
    if (exit_code == PS_EXIT_OK && forecast_count == 0) {
        fprintf(stderr, "promsight forecast: no series had enough points for a forecast\n");
        exit_code = PS_EXIT_ERROR;
    }
    return exit_code;
}
