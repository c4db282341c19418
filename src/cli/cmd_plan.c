/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd_plan.c - 'promsight plan BUNDLE': read the bundle into the fact
 * store (ps_ingest_bundle), fit and forecast every capacity series, and
 * print the inputs, forecasts with intervals, times to limits and the
 * sized, priced recommendations with their arithmetic.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "promsight/ps_fit.h"
#include "promsight/ps_ingest.h"
#include "promsight/ps_plan.h"
#include "promsight/ps_util.h"

#define CMD "plan"

static void
usage(FILE *out)
{
    fprintf(out,
            "Usage: promsight plan [OPTIONS] BUNDLE\n"
            "\n"
            "Capacity forecasts and sized, priced recommendations for the stack in\n"
            "BUNDLE (directory or archive). Every capacity series found (head series,\n"
            "ingestion and remote-write rates, WAL and volume use, block stats) is\n"
            "fitted (linear, robust, exp, logistic, holt, piecewise; chosen by AICc\n"
            "and backtest) and forecast; the recommendations show their inputs and\n"
            "arithmetic. See docs/capacity-planning.md.\n"
            "\n"
            "Options:\n"
            "  --horizon LIST   forecast horizons (default 30d,90d,180d,365d);\n"
            "                   sizing uses the one closest to 90d\n"
            "  --interval PCT   prediction interval level for forecasts and sizing\n"
            "                   (default 95)\n"
            "  --outage DUR     remote-write outage the agent volume must ride out\n"
            "                   (default from sizing.yaml: 2h)\n"
            "  --sizing FILE    sizing model (default MODELS/sizing.yaml)\n"
            "  --pricing FILE   pricing profile (default MODELS/pricing/%s,\n"
            "                   an EXAMPLE); 'none' for no prices\n"
            "  --format FMT     text (default) or json\n"
            "  -v, --verbose    print every diagnostic from reading the bundle\n"
            "  -h, --help       show this help\n",
            PS_PLAN_DEFAULT_PRICING);
}

static void
fmt_hdur(double s, char *buf, size_t n)
{
    if (s >= 86400 && fmod(s, 86400) == 0)
        snprintf(buf, n, "%gd", s / 86400);
    else
        ps_fmt_duration_ms((int64_t)llround(s * 1000), buf, n);
}

struct cfg {
    struct ps_plan_opts po;
    char horizon_txt[PS_PLAN_MAX_H][32];
    const char *sizing, *pricing;
    enum ps_out_format fmt;
    int verbose;
};

static int
parse_horizons(const char *arg, struct cfg *c)
{
    char buf[256];
    if (strlen(arg) >= sizeof(buf))
        return -1;
    strcpy(buf, arg);
    size_t n = 0;
    for (char *sv = NULL, *tok = strtok_r(buf, ",", &sv); tok != NULL;
         tok = strtok_r(NULL, ",", &sv)) {
        double s;
        if (n >= PS_PLAN_MAX_H || ps_fit_parse_duration(tok, &s) != 0 || !(s > 0))
            return -1;
        c->po.horizon_s[n++] = s;
    }
    if (n == 0)
        return -1;
    c->po.nhorizon = n;
    return 0;
}

/* ---- text ---- */

static void
print_series(const struct ps_plan *p, const struct ps_plan_series *s)
{
    const struct ps_plan_inputs *in = &p->in;
    char a[64], b[64], c[64];
    printf("  %s\n", s->name);
    if (s->qty < PS_Q__COUNT)
        printf("    feeds     %s\n", ps_plan_qty_name(s->qty));
    const struct ps_fit_data *d = &s->data;
    if (d->n == 0) {
        printf("    data      no points after %s\n\n", s->transform);
        return;
    }
    ps_fmt_time_s(d->t[0], a, sizeof(a));
    ps_fmt_time_s(d->t[d->n - 1], b, sizeof(b));
    ps_fmt_duration_ms((int64_t)llround((d->t[d->n - 1] - d->t[0]) * 1000), c, sizeof(c));
    printf("    data      %zu points (%s), %s .. %s (%s), last %.6g\n", d->n, s->transform, a,
           b, c, d->v[d->n - 1]);
    printf("    model     %s\n", s->sel->reason);
    if (!s->sel->chosen_ok) {
        printf("\n");
        return;
    }
    const struct ps_fit *f = &s->sel->fits[s->sel->chosen];
    printf("    forecast ");
    for (size_t h = 0; h < in->nhorizon; h++) {
        double m, lo, hi;
        ps_fit_predict(f, d->t[d->n - 1] + in->horizon_s[h], in->level, &m, &lo, &hi);
        /* capacity series are counts, rates and bytes: never below 0 */
        m = fmax(m, 0);
        lo = fmax(lo, 0);
        hi = fmax(hi, 0);
        fmt_hdur(in->horizon_s[h], a, sizeof(a));
        if (isfinite(lo))
            printf(" +%s %.4g [%.4g..%.4g]", a, m, lo, hi);
        else
            printf(" +%s %.4g [no interval]", a, m);
    }
    printf("  (%g%% interval)\n", in->level * 100);
    double span = d->t[d->n - 1] - d->t[0];
    double hmax = in->horizon_s[in->nhorizon - 1];
    if (span > 0 && hmax > 3 * span)
        printf("    caution   +%s is %.0fx the observed span: the forecast assumes the "
               "observed behaviour continues that long\n", (fmt_hdur(hmax, a, sizeof(a)), a),
               hmax / span);
    if (s->eta.set) {
        const struct ps_fit_eta *e = &s->eta.eta;
        printf("    limit     %s = %.6g: ", s->eta.what, s->eta.limit);
        if (e->status == PS_ETA_ALREADY)
            printf("already reached\n");
        else if (e->status == PS_ETA_NOT_REACHED && isnan(e->t_early))
            printf("not reached within 5 years\n");
        else {
            ps_fmt_time_s(e->t_mean, a, sizeof(a));
            ps_fmt_time_s(e->t_early, b, sizeof(b));
            ps_fmt_time_s(e->t_late, c, sizeof(c));
            printf("reached %s (%g%% interval: %s .. %s)\n",
                   e->status == PS_ETA_REACHED ? a : "after 5 years", in->level * 100, b,
                   isnan(e->t_late) ? "beyond 5 years" : c);
        }
    }
    printf("\n");
}

static void
print_text(const char *bundle, const struct ps_plan *p, const struct ps_pricing *pr,
           const char *sizing_path)
{
    const struct ps_plan_inputs *in = &p->in;
    char a[64], b[64];
    printf("Capacity plan for %s\n", bundle);
    printf("  horizons:");
    for (size_t h = 0; h < in->nhorizon; h++) {
        fmt_hdur(in->horizon_s[h], a, sizeof(a));
        printf(" +%s", a);
    }
    fmt_hdur(in->horizon_s[in->size_h], a, sizeof(a));
    printf("; sizing for +%s at the upper %g%% bound\n", a, in->level * 100);
    printf("  sizing model: %s\n", sizing_path);
    if (pr != NULL)
        printf("  pricing: %s (%s, %s, effective %s)%s\n", pr->name, pr->currency, pr->region,
               pr->effective_date, pr->example ? " - EXAMPLE prices, not a quote" : "");
    printf("\nCapacity series (%zu)\n", p->nseries);
    if (p->nseries == 0)
        printf("  none of the metrics listed in docs/capacity-planning.md were found\n\n");
    for (size_t i = 0; i < p->nseries; i++)
        print_series(p, &p->series[i]);

    printf("Quantities used for sizing\n");
    for (int q = 0; q < PS_Q__COUNT; q++) {
        const struct ps_plan_qval *v = &in->q[q];
        if (!v->known) {
            printf("  %-32s unknown\n", ps_plan_qty_name((enum ps_plan_qty)q));
            continue;
        }
        printf("  %-32s now %.6g", ps_plan_qty_name((enum ps_plan_qty)q), v->now);
        if (v->forecast)
            printf(", +%s mean %.6g upper %.6g", (fmt_hdur(in->horizon_s[in->size_h], a,
                                                            sizeof(a)), a),
                   v->mean[in->size_h], v->hi[in->size_h]);
        printf("  (%s)\n", v->from);
    }
    static const struct {
        const char *name;
        size_t off;
    } nums[] = {
        {"bytes/sample in blocks", offsetof(struct ps_plan_inputs, bytes_per_sample_blocks)},
        {"receiver WAL bytes/sample", offsetof(struct ps_plan_inputs, wal_bytes_per_sample)},
        {"agent WAL bytes/sample", offsetof(struct ps_plan_inputs, agent_wal_bytes_per_sample)},
        {"receiver retention (s)", offsetof(struct ps_plan_inputs, retention_s)},
        {"replication factor", offsetof(struct ps_plan_inputs, replication_factor)},
        {"receivers", offsetof(struct ps_plan_inputs, receivers)},
        {"receiver memory limit (B)", offsetof(struct ps_plan_inputs, receiver_mem_limit)},
        {"receiver volume (B)", offsetof(struct ps_plan_inputs, receiver_volume_bytes)},
        {"agents", offsetof(struct ps_plan_inputs, agents)},
        {"agent volume (B)", offsetof(struct ps_plan_inputs, agent_volume_bytes)},
        {"tenant head_series_limit", offsetof(struct ps_plan_inputs, head_series_limit)},
        {"remote-write max_shards", offsetof(struct ps_plan_inputs, rw_max_shards)},
        {"remote-write capacity", offsetof(struct ps_plan_inputs, rw_capacity)},
        {"remote-write max_samples_per_send", offsetof(struct ps_plan_inputs, rw_max_samples_per_send)},
        {"remote-write send latency (s)", offsetof(struct ps_plan_inputs, rw_send_latency_s)},
    };
    printf("\nMeasured and configured inputs (\"-\": not in the bundle, sizing.yaml default used)\n");
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
        double v = *(const double *)((const char *)in + nums[i].off);
        if (isfinite(v))
            printf("  %-34s %.6g\n", nums[i].name, v);
        else
            printf("  %-34s -\n", nums[i].name);
    }
    printf("  %-34s %s\n", "hashring algorithm",
           in->hashring_algorithm[0] ? in->hashring_algorithm : "-");

    printf("\nRecommendations\n");
    for (size_t i = 0; i < p->result.nrec; i++) {
        const struct ps_plan_rec *r = &p->result.rec[i];
        printf("  %zu. %s [%s]\n", i + 1, r->title, r->id);
        printf("     inputs:  %s\n", r->inputs);
        if (r->formula[0])
            printf("     formula: %s\n", r->formula);
        printf("     result:  %s\n", r->result);
        if (isfinite(r->monthly_delta) && pr != NULL)
            printf("     cost:    %+.2f %s/month\n", r->monthly_delta, pr->currency);
        printf("\n");
    }
    const struct ps_plan_cost *c = &p->result.cost;
    if (c->priced && pr != NULL) {
        printf("Monthly cost\n  now %.2f %s", c->now, pr->currency);
        for (size_t h = 0; h < in->nhorizon; h++) {
            fmt_hdur(in->horizon_s[h], b, sizeof(b));
            printf("; +%s %.2f", b, c->at[h]);
        }
        printf("\n  basis: %s\n", c->basis);
    }
}

int
ps_cmd_plan(int argc, char **argv)
{
    struct cfg c;
    memset(&c, 0, sizeof(c));
    c.fmt = PS_FMT_TEXT;
    static const struct option lo[] = {
        {"horizon", required_argument, NULL, 'H'},
        {"interval", required_argument, NULL, 'i'},
        {"outage", required_argument, NULL, 'o'},
        {"sizing", required_argument, NULL, 's'},
        {"pricing", required_argument, NULL, 'p'},
        {"format", required_argument, NULL, 'f'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "hv", lo, NULL)) != -1) {
        switch (ch) {
        case 'h':
            usage(stdout);
            return PS_EXIT_OK;
        case 'v':
            c.verbose = 1;
            break;
        case 'H':
            if (parse_horizons(optarg, &c) != 0)
                return ps_cli_usage_error(CMD, "bad --horizon '%s' (e.g. 30d,90d)", optarg);
            break;
        case 'i': {
            char *end;
            double l = strtod(optarg, &end);
            if (*end != 0 || !(l > 0 && l < 100))
                return ps_cli_usage_error(CMD, "bad --interval '%s' (e.g. 95)", optarg);
            c.po.level = l >= 1 ? l / 100 : l;
            break;
        }
        case 'o':
            if (ps_fit_parse_duration(optarg, &c.po.outage_s) != 0 || !(c.po.outage_s > 0))
                return ps_cli_usage_error(CMD, "bad --outage '%s' (e.g. 2h)", optarg);
            break;
        case 's':
            c.sizing = optarg;
            break;
        case 'p':
            c.pricing = optarg;
            break;
        case 'f':
            if (ps_cli_parse_format(optarg, &c.fmt) != 0)
                return PS_EXIT_USAGE;
            break;
        default:
            return ps_cli_usage_error(CMD, "unknown or incomplete option '%s'",
                                      argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return ps_cli_usage_error(CMD, "expected one BUNDLE");
    const char *bundle = argv[optind];

    struct ps_diags md;
    ps_diags_init(&md);
    char sizing_path[4200];
    struct ps_sizing sz;
    struct ps_pricing pr;
    int have_pr = 0;
    enum ps_err e = ps_plan_load_models(ps_models_dir(), c.sizing, c.pricing, &sz, sizing_path,
                                        sizeof(sizing_path), &pr, &have_pr, &md);
    if (e != PS_OK) {
        ps_cli_print_diags(&md);
        ps_diags_free(&md);
        return PS_EXIT_ERROR;
    }
    ps_cli_print_diags(&md);
    ps_diags_free(&md);

    struct ps_ingest ing;
    e = ps_ingest_bundle(bundle, NULL, &ing);
    if (c.verbose)
        ps_cli_print_diags(&ing.diags);
    else if (ing.diags.n > 0)
        fprintf(stderr, "promsight plan: %zu diagnostic%s while reading the bundle "
                "(-v to print them)\n", ing.diags.n, ing.diags.n == 1 ? "" : "s");
    if (e != PS_OK || ing.facts == NULL) {
        fprintf(stderr, "promsight plan: cannot read %s: %s\n", bundle, ps_strerror(e));
        ps_ingest_free(&ing);
        return PS_EXIT_ERROR;
    }
    struct ps_plan plan;
    struct ps_diags pd;
    ps_diags_init(&pd);
    e = ps_plan_from_facts(ing.facts, &c.po, &sz, have_pr ? &pr : NULL, &plan, &pd);
    ps_cli_print_diags(&pd);
    ps_diags_free(&pd);
    int rc = PS_EXIT_OK;
    if (e != PS_OK) {
        fprintf(stderr, "promsight plan: %s\n", ps_strerror(e));
        rc = PS_EXIT_ERROR;
    } else if (c.fmt == PS_FMT_JSON) {
        json_t *pj = ps_plan_json(&plan, have_pr ? &pr : NULL, sizing_path);
        json_t *j = json_object();
        if (pj != NULL && j != NULL) {
            json_object_set_new(j, "bundle", json_string(bundle));
            json_object_update(j, pj);
        }
        json_decref(pj);
        if (pj == NULL || j == NULL) {
            json_decref(j);
            rc = PS_EXIT_ERROR;
        } else if (ps_cli_dump_json(j, stdout) != 0)
            rc = PS_EXIT_ERROR;
    } else {
        print_text(bundle, &plan, have_pr ? &pr : NULL, sizing_path);
    }
    ps_plan_free(&plan);
    ps_ingest_free(&ing);
    return rc;
}
