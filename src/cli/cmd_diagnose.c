/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd_diagnose.c - 'promsight diagnose BUNDLE': ingest the whole bundle
 * into a fact store, evaluate the built-in rule sets (models/rules) and
 * any --rules DIR across the bundle's time window, and print the findings
 * (and the rules skipped for missing inputs) as text or JSON.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "promsight/ps_ingest.h"
#include "promsight/ps_rules.h"
#include "promsight/ps_util.h"

#define MAX_DIRS 64

static void
usage(FILE *out)
{
    fprintf(out,
            "Usage: promsight diagnose [OPTIONS] BUNDLE\n"
            "\n"
            "Evaluate the rule sets over everything the bundle holds (metric\n"
            "dumps, logs, WAL and TSDB facts) at every step of its time window,\n"
            "and print the findings: rule, problem class, severity, first and last\n"
            "time, peak, texts, and the series and log lines behind them. Rules\n"
            "whose inputs are not in the bundle are listed as skipped.\n"
            "\n"
            "Options:\n"
            "  --format text|json       output format (default text)\n"
            "  --rules DIR|FILE         add user rules (repeatable)\n"
            "  --no-builtin             do not load the built-in rules\n"
            "  --disable ID|CLASS       turn a rule or a class off (repeatable)\n"
            "  --step DURATION          evaluation step (default: the data's median\n"
            "                           sample spacing, at least 15s)\n"
            "  --at TIME                evaluate up to TIME (RFC 3339 or unix seconds)\n"
            "                           instead of the end of the data\n"
            "  --lang en|ko             language of the texts (default en)\n"
            "  --fail-on critical|warning|never\n"
            "                           exit 3/4 when a finding is at or above this\n"
            "                           severity (default critical)\n"
            "  -h, --help               this help\n"
            "\n"
            "Exit status: 0 nothing at or above --fail-on, 3 critical, 4 warning,\n"
            "1 error, 2 usage.\n");
}

static int
parse_dur(const char *s, int64_t *ms)
{
    int64_t total = 0;
    const char *p = s;
    if (*p == 0)
        return -1;
    while (*p) {
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end == p || v < 0 || v > 1000000000)
            return -1;
        p = end;
        int64_t mul;
        if (p[0] == 'm' && p[1] == 's') {
            mul = 1;
            p += 2;
        } else if (*p == 's' || *p == 'm' || *p == 'h' || *p == 'd') {
            mul = *p == 's' ? 1000 : *p == 'm' ? 60000 : *p == 'h' ? 3600000 : 86400000;
            p++;
        } else {
            return -1;
        }
        total += v * mul;
    }
    *ms = total;
    return 0;
}

static int
parse_time(const char *s, int64_t *ms)
{
    if (ps_parse_rfc3339_ms(s, strlen(s), ms))
        return 0;
    char *end;
    double v = strtod(s, &end);
    if (end != s && *end == 0 && v > 0 && v < 1e11) {
        *ms = (int64_t)(v * 1000);
        return 0;
    }
    return -1;
}

static void
print_labels(const struct ps_label *l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf("%s%s=\"%s\"", i ? ", " : "", l[i].name, l[i].value);
}

static void
print_text(const struct ps_rules_result *res)
{
    char a[48], b[48], c[48];
    ps_fmt_time_ms(res->start, a, sizeof(a));
    ps_fmt_time_ms(res->end, b, sizeof(b));
    ps_fmt_duration_ms(res->step, c, sizeof(c));
    printf("Window %s .. %s, step %s; %zu rules, %zu finding%s, %zu skipped\n", a, b, c,
           res->nrules, res->nfindings, res->nfindings == 1 ? "" : "s", res->nskipped);
    for (size_t i = 0; i < res->nfindings; i++) {
        const struct ps_finding *f = &res->findings[i];
        char pk[64];
        snprintf(pk, sizeof(pk), "%.6g", f->peak);
        ps_fmt_time_ms(f->first, a, sizeof(a));
        ps_fmt_time_ms(f->last, b, sizeof(b));
        ps_fmt_duration_ms(f->last - f->first, c, sizeof(c));
        printf("\n%-8s  %-28s  %s\n", ps_rule_sev_name(f->sev), f->cls, f->rule);
        printf("  %s .. %s (%s), peak %s\n", a, b, c, pk);
        if (f->summary != NULL)
            printf("  %s\n", f->summary);
        if (f->description != NULL)
            printf("  %s\n", f->description);
        if (f->advice != NULL)
            printf("  advice: %s\n", f->advice);
        if (f->runbook_url != NULL && f->runbook_url[0])
            printf("  runbook: %s\n", f->runbook_url);
        if (f->nlabels > 0) {
            printf("  labels: ");
            print_labels(f->labels, f->nlabels);
            printf("\n");
        }
        printf("  series (%zu of %zu):\n", f->nseries, f->series_total);
        for (size_t j = 0; j < f->nseries; j++) {
            const struct ps_evidence_series *s = &f->series[j];
            printf("    {");
            print_labels(s->labels, s->nlabels);
            printf("}");
            for (size_t k = 0; k < s->n; k++) {
                char tv[48], vv[64];
                ps_fmt_time_ms(s->t[k], tv, sizeof(tv));
                snprintf(vv, sizeof(vv), "%.6g", s->v[k]);
                printf(" %s=%s", tv + 11, vv);
            }
            printf("\n");
        }
        if (f->events_total > 0) {
            printf("  events (%zu of %zu):\n", f->nevents, f->events_total);
            for (size_t j = 0; j < f->nevents; j++) {
                const struct ps_evidence_event *e = &f->events[j];
                char tv[48];
                ps_fmt_time_ms(e->t, tv, sizeof(tv));
                if (e->line > 0)
                    printf("    %s  %s:%u\n", tv, e->file, e->line);
                else if (e->off != PS_OFF_NONE)
                    printf("    %s  %s@%llu\n", tv, e->file, (unsigned long long)e->off);
                else
                    printf("    %s  %s\n", tv, e->file);
                printf("      %.300s\n", e->message);
            }
        }
    }
    if (res->nskipped > 0) {
        printf("\nSkipped (inputs not in the bundle):\n");
        for (size_t i = 0; i < res->nskipped; i++) {
            const struct ps_skipped *s = &res->skipped[i];
            printf("  %-40s %-28s missing ", s->rule, s->cls);
            for (size_t j = 0; j < s->nmissing; j++)
                printf("%s%s", j ? ", " : "", s->missing[j]);
            printf("\n");
        }
    }
}

int
ps_cmd_diagnose(int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'},
        {"rules", required_argument, NULL, 'r'},
        {"no-builtin", no_argument, NULL, 'n'},
        {"disable", required_argument, NULL, 'd'},
        {"step", required_argument, NULL, 's'},
        {"at", required_argument, NULL, 'a'},
        {"lang", required_argument, NULL, 'l'},
        {"fail-on", required_argument, NULL, 'F'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    enum ps_out_format fmt = PS_FMT_TEXT;
    const char *dirs[MAX_DIRS], *disabled[MAX_DIRS];
    size_t ndirs = 0, ndisabled = 0;
    int builtin = 1;
    struct ps_rules_opts ro;
    memset(&ro, 0, sizeof(ro));
    int fail_on = PS_RSEV_CRITICAL; /* -1: never */
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'f':
            if (ps_cli_parse_format(optarg, &fmt) != 0)
                return PS_EXIT_USAGE;
            break;
        case 'r':
            if (ndirs == MAX_DIRS)
                return ps_cli_usage_error("diagnose", "too many --rules");
            dirs[ndirs++] = optarg;
            break;
        case 'n':
            builtin = 0;
            break;
        case 'd':
            if (ndisabled == MAX_DIRS)
                return ps_cli_usage_error("diagnose", "too many --disable");
            disabled[ndisabled++] = optarg;
            break;
        case 's':
            if (parse_dur(optarg, &ro.step) != 0 || ro.step < 1000)
                return ps_cli_usage_error("diagnose", "bad --step '%s' (e.g. 15s, 1m)", optarg);
            break;
        case 'a':
            if (parse_time(optarg, &ro.at) != 0)
                return ps_cli_usage_error("diagnose", "bad --at '%s'", optarg);
            break;
        case 'l':
            if (strcmp(optarg, "en") != 0 && strcmp(optarg, "ko") != 0)
                return ps_cli_usage_error("diagnose", "--lang must be en or ko");
            ro.lang = optarg;
            break;
        case 'F':
            if (strcmp(optarg, "critical") == 0)
                fail_on = PS_RSEV_CRITICAL;
            else if (strcmp(optarg, "warning") == 0)
                fail_on = PS_RSEV_WARNING;
            else if (strcmp(optarg, "never") == 0)
                fail_on = -1;
            else
                return ps_cli_usage_error("diagnose", "--fail-on must be critical, warning or never");
            break;
        case 'h':
            usage(stdout);
            return PS_EXIT_OK;
        default:
            return ps_cli_usage_error("diagnose", "unknown option");
        }
    }
    if (optind != argc - 1)
        return ps_cli_usage_error("diagnose", "expected one BUNDLE");
    const char *bundle = argv[optind];

    struct ps_rules *rs = ps_rules_new();
    if (rs == NULL)
        return PS_EXIT_ERROR;
    struct ps_diags d;
    ps_diags_init(&d);
    int rc = PS_EXIT_OK;
    if (builtin) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/rules", ps_models_dir());
        if (ps_rules_load_dir(rs, path, &d) != PS_OK)
            rc = PS_EXIT_ERROR;
    }
    for (size_t i = 0; i < ndirs; i++) {
        FILE *probe = fopen(dirs[i], "r");
        enum ps_err e;
        if (probe != NULL && fgetc(probe) != EOF) {
            fclose(probe);
            e = ps_rules_load_file(rs, dirs[i], &d);
        } else {
            if (probe != NULL)
                fclose(probe);
            e = ps_rules_load_dir(rs, dirs[i], &d);
        }
        if (e != PS_OK)
            rc = PS_EXIT_ERROR;
    }
    for (size_t i = 0; i < ndisabled; i++)
        if (ps_rules_disable(rs, disabled[i]) == 0)
            fprintf(stderr, "promsight diagnose: --disable %s matched no rule or class\n",
                    disabled[i]);
    if (rc != PS_EXIT_OK) {
        ps_cli_print_diags(&d);
        fprintf(stderr, "promsight diagnose: rule files have errors (see 'promsight rules check')\n");
        ps_diags_free(&d);
        ps_rules_free(rs);
        return PS_EXIT_ERROR;
    }

    const char **names = NULL;
    size_t nnames = ps_rules_metric_names(rs, &names);
    struct ps_ingest_opts io;
    memset(&io, 0, sizeof(io));
    io.tsdb_metrics = names;
    io.ntsdb_metrics = nnames;
    struct ps_ingest in;
    memset(&in, 0, sizeof(in));
    enum ps_err e = ps_ingest_bundle(bundle, &io, &in);
    if (e != PS_OK || in.facts == NULL) {
        ps_cli_print_diags(&in.diags);
        fprintf(stderr, "promsight diagnose: %s: %s\n", bundle, ps_strerror(e));
        free(names);
        ps_ingest_free(&in);
        ps_diags_free(&d);
        ps_rules_free(rs);
        return PS_EXIT_ERROR;
    }
    size_t nwarn = ps_diags_count(&in.diags, PS_SEV_WARN);
    if (nwarn > 0 || in.diags.dropped > 0)
        fprintf(stderr,
                "promsight diagnose: %zu problem%s while reading the bundle "
                "(listed by 'promsight inventory', 'wal', 'tsdb', 'logs', 'metrics')\n",
                nwarn + in.diags.dropped, nwarn + in.diags.dropped == 1 ? "" : "s");
    struct ps_rules_result res;
    memset(&res, 0, sizeof(res));
    e = ps_rules_add_event_series(in.facts);
    if (e == PS_OK)
        e = ps_rules_eval(rs, in.facts, &ro, &res, &d);
    ps_cli_print_diags(&d);
    if (e != PS_OK) {
        fprintf(stderr, "promsight diagnose: %s\n", ps_strerror(e));
        rc = PS_EXIT_ERROR;
    } else {
        if (fmt == PS_FMT_JSON) {
            if (ps_cli_dump_json(ps_rules_result_json(&res), stdout) != 0)
                rc = PS_EXIT_ERROR;
        } else {
            print_text(&res);
        }
        int worst = -1;
        for (size_t i = 0; i < res.nfindings; i++)
            if ((int)res.findings[i].sev > worst)
                worst = (int)res.findings[i].sev;
        if (rc == PS_EXIT_OK && fail_on >= 0 && worst >= fail_on)
            rc = worst == PS_RSEV_CRITICAL ? PS_EXIT_CRITICAL : PS_EXIT_WARNING;
    }
    ps_rules_result_free(&res);
    free(names);
    ps_ingest_free(&in);
    ps_diags_free(&d);
    ps_rules_free(rs);
    return rc;
}
