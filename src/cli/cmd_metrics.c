/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd_metrics.c - 'promsight metrics PATH': read every metric dump (text
 * format 0.0.4, OpenMetrics) and Prometheus API JSON answer in a bundle, a
 * directory or a single file, and show what was extracted - per file the
 * format, samples, series, the scrape time and where it came from; per
 * metric its series with first/last time, value range and the longest gap
 * - so a user can see why a rule did or did not fire.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "promsight/ps_bundle.h"
#include "promsight/ps_facts.h"
#include "promsight/ps_metrics.h"
#include "promsight/ps_util.h"

#define CMD "metrics"
#define MAX_FILTER 64

static void
usage(FILE *out)
{
    fprintf(out,
            "Usage: promsight metrics [OPTIONS] PATH\n"
            "\n"
            "Read the metric dumps (Prometheus text format 0.0.4 or OpenMetrics)\n"
            "and Prometheus HTTP API JSON answers (query, query_range,\n"
            "status/tsdb, status/runtimeinfo, status/flags, status/buildinfo,\n"
            "targets) in PATH - a bundle (directory or archive) or a single file -\n"
            "and show what became facts. A sequence of dumps of one target is one\n"
            "time series per metric; a dump's scrape time is its samples' own\n"
            "timestamps, else a time in its file name, else its mtime.\n"
            "\n"
            "Options:\n"
            "  --format text|json   output format (default text)\n"
            "  --metric SELECTOR    only this metric: NAME or NAME{label=\"value\",...}\n"
            "                       (repeatable); text output then shows every\n"
            "                       matching series in detail\n"
            "  --samples            with --metric: every sample and its file\n"
            "  --files              text: every file, not one line per directory\n"
            "  --stats              one line of totals only (for benchmarks)\n"
            "  --max-line N         longest exposition line read (default 1048576)\n"
            "  --max-labels N       most label pairs in one sample (default 512)\n"
            "  -h, --help           this help\n"
            "\n"
            "Diagnostics go to stderr (text) or the \"diagnostics\" array (json).\n"
            "Exit status: 0 read (diagnostics allowed), 1 cannot open PATH,\n"
            "2 usage.\n");
}

static int
parse_size(const char *s, size_t *v)
{
    char *end;
    errno = 0;
    if (s[0] < '0' || s[0] > '9')
        return -1;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno != 0 || *end != 0 || x == 0 || x > (1ULL << 30))
        return -1;
    *v = (size_t)x;
    return 0;
}

static void
fmt_time(int64_t ms, char *buf, size_t n)
{
    if (ms == INT64_MIN)
        snprintf(buf, n, "-");
    else
        ps_fmt_time_ms(ms, buf, n);
}

static void
fmt_val(double v, char *buf, size_t n)
{
    if (isnan(v))
        snprintf(buf, n, "NaN");
    else if (isinf(v))
        snprintf(buf, n, v > 0 ? "+Inf" : "-Inf");
    else
        snprintf(buf, n, "%.10g", v);
}

/* Directory part of a path ("" for none). */
static size_t
dir_len(const char *p)
{
    const char *s = strrchr(p, '/');
    return s != NULL ? (size_t)(s - p) : 0;
}

/* s in a column of width w: long paths keep their end ("...tail"). */
static void
print_col(const char *s, size_t w)
{
    size_t n = strlen(s);
    if (n <= w)
        printf("%-*s", (int)w, s);
    else
        printf("...%s", s + n - (w - 3));
}

static void
print_files_text(const struct ps_metrics *m, int all)
{
    size_t n = ps_metrics_nfiles(m);
    size_t wp = 4;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(ps_metrics_file(m, i)->path);
        wp = l > wp ? l : wp;
    }
    if (wp > 64)
        wp = 64;
    printf("%-*s  %-17s  %-18s  %6s  %8s  %7s  %-24s  %s\n", (int)wp, "FILE",
           "FORMAT", "KIND", "FILES", "SAMPLES", "SERIES", "SCRAPE TIME", "FROM");
    for (size_t i = 0; i < n;) {
        const struct ps_metrics_file *f = ps_metrics_file(m, i);
        /* Group a directory's dumps read the same way into one line. */
        size_t j = i + 1;
        uint64_t samples = f->samples, series = f->series;
        int64_t t0 = f->time_ms, t1 = f->time_ms;
        size_t dl = dir_len(f->path);
        while (!all && f->api_kind == NULL && j < n) {
            const struct ps_metrics_file *g = ps_metrics_file(m, j);
            if (g->api_kind != NULL || g->format != f->format ||
                g->time_src != f->time_src || dir_len(g->path) != dl ||
                strncmp(g->path, f->path, dl) != 0)
                break;
            samples += g->samples;
            series = g->series > series ? g->series : series;
            if (g->time_ms != INT64_MIN && (t0 == INT64_MIN || g->time_ms < t0))
                t0 = g->time_ms;
            if (g->time_ms != INT64_MIN && (t1 == INT64_MIN || g->time_ms > t1))
                t1 = g->time_ms;
            j++;
        }
        char a[40], b[40], name[512];
        fmt_time(t0, a, sizeof(a));
        if (j - i > 1) {
            snprintf(name, sizeof(name), "%.*s/*", (int)dl, f->path);
            fmt_time(t1, b, sizeof(b));
            print_col(name, wp);
            printf("  %-17s  %-18s  %6zu  %8" PRIu64 "  %7" PRIu64 "  %s .. %s  %s\n",
                   ps_metrics_format_name(f->format), "dump", j - i,
                   samples, series, a, b, ps_metrics_time_src_name(f->time_src));
        } else {
            print_col(f->path, wp);
            printf("  %-17s  %-18s  %6d  %8" PRIu64 "  %7" PRIu64 "  %-24s  %s\n",
                   ps_metrics_format_name(f->format),
                   f->api_kind != NULL ? f->api_kind : "dump", 1, f->samples,
                   f->series, a, ps_metrics_time_src_name(f->time_src));
        }
        i = j;
    }
}

/* 1 if series id matches one of the selectors (or there are none). */
static int
picked(struct ps_metrics_selector *const *sel, size_t ns, const struct ps_facts *f,
       uint32_t id)
{
    if (ns == 0)
        return 1;
    for (size_t i = 0; i < ns; i++)
        if (ps_metrics_selector_match(sel[i], f, id))
            return 1;
    return 0;
}

/* 1 if metric name is named by one of the selectors. */
static int
named(struct ps_metrics_selector *const *sel, size_t ns, const char *name)
{
    for (size_t i = 0; i < ns; i++)
        if (strcmp(ps_metrics_selector_name(sel[i]), name) == 0)
            return 1;
    return 0;
}

static void
print_labels(const struct ps_facts *f, uint32_t id)
{
    const struct ps_label *l;
    size_t n = ps_facts_series_labels(f, id, &l);
    int first = 1;
    printf("{");
    for (size_t i = 0; i < n; i++) {
        if (strcmp(l[i].name, "__name__") == 0)
            continue;
        printf("%s%s=\"", first ? "" : ", ", l[i].name);
        for (const char *p = l[i].value; *p != 0; p++) {
            if (*p == '"' || *p == '\\')
                printf("\\%c", *p);
            else if (*p == '\n')
                printf("\\n");
            else
                putchar(*p);
        }
        putchar('"');
        first = 0;
    }
    printf("}");
}

static void
print_metric_detail(const struct ps_metrics *m, const struct ps_facts *f,
                    const char *name, struct ps_metrics_selector *const *sel,
                    size_t ns, int samples)
{
    const struct ps_metrics_family *fam = ps_metrics_family_of(m, name);
    const uint32_t *ids;
    size_t n = ps_facts_metric_series(f, name, &ids);
    printf("\n%s", name);
    if (fam != NULL && fam->type != NULL)
        printf(" (%s)", fam->type);
    if (fam != NULL && fam->help != NULL)
        printf(" - %s", fam->help);
    printf("\n");
    for (size_t i = 0; i < n; i++) {
        if (!ps_metrics_is_ours(f, ids[i]) || !picked(sel, ns, f, ids[i]))
            continue;
        struct ps_metrics_series_stats st;
        ps_metrics_series_stats(f, ids[i], &st);
        char t0[40], t1[40], mn[32], mx[32], lv[32], gap[32], ga[40];
        printf("  ");
        print_labels(f, ids[i]);
        printf("\n");
        fmt_time(st.n ? st.first : INT64_MIN, t0, sizeof(t0));
        fmt_time(st.n ? st.last : INT64_MIN, t1, sizeof(t1));
        fmt_val(st.min, mn, sizeof(mn));
        fmt_val(st.max, mx, sizeof(mx));
        fmt_val(st.last_value, lv, sizeof(lv));
        ps_fmt_duration_ms(st.max_gap_ms, gap, sizeof(gap));
        fmt_time(st.n > 1 ? st.max_gap_at : INT64_MIN, ga, sizeof(ga));
        printf("    %zu samples  %s .. %s  min %s  max %s  last %s", st.n, t0, t1,
               mn, mx, lv);
        if (st.nan != 0)
            printf("  (%zu NaN)", st.nan);
        if (st.n > 1)
            printf("  longest gap %s after %s", gap, ga);
        printf("\n");
        if (samples) {
            const struct ps_sample *s;
            size_t nsmp = ps_facts_series_samples(f, ids[i], &s);
            for (size_t k = 0; k < nsmp; k++) {
                char t[40], v[32];
                ps_fmt_time_ms(s[k].t, t, sizeof(t));
                fmt_val(s[k].v, v, sizeof(v));
                printf("      %-24s  %16s  %s\n", t, v, ps_facts_source_path(f, s[k].src));
            }
        }
    }
}

static void
print_text(const struct ps_metrics *m, const struct ps_facts *f, const char *path,
           struct ps_metrics_selector *const *sel, size_t ns, int samples,
           int all_files)
{
    size_t nfiles = ps_metrics_nfiles(m);
    printf("Metric dumps and API answers in %s: %zu files\n\n", path, nfiles);
    if (nfiles == 0) {
        printf("(no metric dump or API JSON entries found)\n");
        return;
    }
    print_files_text(m, all_files);
    const char *const *names;
    size_t nn = ps_facts_metric_names(f, &names);
    if (ns != 0) {
        for (size_t k = 0; k < ns; k++) {
            const uint32_t *ids;
            size_t n = ps_facts_metric_series(f, ps_metrics_selector_name(sel[k]), &ids);
            size_t hit = 0;
            for (size_t i = 0; i < n; i++)
                hit += ps_metrics_is_ours(f, ids[i]) &&
                       ps_metrics_selector_match(sel[k], f, ids[i]);
            if (hit == 0)
                printf("\n%s: no series in these files matches the --metric "
                       "selector\n", ps_metrics_selector_name(sel[k]));
        }
        for (size_t i = 0; i < nn; i++)
            if (named(sel, ns, names[i]))
                print_metric_detail(m, f, names[i], sel, ns, samples);
        return;
    }
    size_t wn = 6;
    for (size_t i = 0; i < nn; i++) {
        size_t l = strlen(names[i]);
        wn = l > wn ? l : wn;
    }
    if (wn > 72)
        wn = 72;
    printf("\n%-*s  %-9s  %6s  %8s  %-24s  %s\n", (int)wn, "METRIC", "TYPE", "SERIES",
           "SAMPLES", "FIRST", "LAST");
    for (size_t i = 0; i < nn; i++) {
        const uint32_t *ids;
        size_t nser = ps_facts_metric_series(f, names[i], &ids), nours = 0, nsamp = 0;
        int64_t first = INT64_MIN, last = INT64_MIN;
        for (size_t k = 0; k < nser; k++) {
            if (!ps_metrics_is_ours(f, ids[k]))
                continue;
            nours++;
            const struct ps_sample *s;
            size_t c = ps_facts_series_samples(f, ids[k], &s);
            nsamp += c;
            if (c == 0)
                continue;
            if (first == INT64_MIN || s[0].t < first)
                first = s[0].t;
            if (last == INT64_MIN || s[c - 1].t > last)
                last = s[c - 1].t;
        }
        if (nours == 0)
            continue;
        const struct ps_metrics_family *fam = ps_metrics_family_of(m, names[i]);
        char a[40], b[40];
        fmt_time(first, a, sizeof(a));
        fmt_time(last, b, sizeof(b));
        printf("%-*s  %-9s  %6zu  %8zu  %-24s  %s\n", (int)wn, names[i],
               fam != NULL && fam->type != NULL ? fam->type : "-", nours, nsamp, a, b);
    }
}

static json_t *
diags_json(const struct ps_diags *d)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < d->n; i++) {
        const struct ps_diag *g = &d->v[i];
        json_t *o = json_object();
        json_object_set_new(o, "severity", json_string(ps_sev_name(g->sev)));
        json_object_set_new(o, "path", g->path != NULL ? json_string(g->path) : json_null());
        json_object_set_new(o, "line", g->line != 0 ? json_integer(g->line) : json_null());
        json_object_set_new(o, "offset", g->off != PS_OFF_NONE
                                             ? json_integer((json_int_t)g->off)
                                             : json_null());
        json_object_set_new(o, "phase", g->phase != NULL ? json_string(g->phase) : json_null());
        json_object_set_new(o, "message", json_string(g->msg != NULL ? g->msg : ""));
        json_array_append_new(arr, o);
    }
    return arr;
}

int
ps_cmd_metrics(int argc, char **argv)
{
    enum ps_out_format fmt = PS_FMT_TEXT;
    const char *filter[MAX_FILTER];
    size_t nf = 0;
    int samples = 0, stats = 0, all_files = 0;
    const char *path = NULL;
    struct ps_metrics_limits lim;
    ps_metrics_limits_default(&lim);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return PS_EXIT_OK;
        } else if (strcmp(a, "--format") == 0 || strncmp(a, "--format=", 9) == 0) {
            const char *v = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
            if (v == NULL)
                return ps_cli_usage_error(CMD, "--format needs a value");
            if (ps_cli_parse_format(v, &fmt) != 0)
                return PS_EXIT_USAGE;
        } else if (strcmp(a, "--metric") == 0 || strncmp(a, "--metric=", 9) == 0) {
            const char *v = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
            if (v == NULL || *v == 0)
                return ps_cli_usage_error(CMD, "--metric needs a metric name");
            if (nf == MAX_FILTER)
                return ps_cli_usage_error(CMD, "at most %d --metric options", MAX_FILTER);
            filter[nf++] = v;
        } else if (strcmp(a, "--max-line") == 0 || strcmp(a, "--max-labels") == 0) {
            size_t v;
            if (i + 1 >= argc || parse_size(argv[i + 1], &v) != 0)
                return ps_cli_usage_error(CMD, "%s needs a number from 1 to 2^30", a);
            i++;
            if (strcmp(a, "--max-line") == 0)
                lim.max_line = v;
            else
                lim.max_labels = v;
        } else if (strcmp(a, "--samples") == 0) {
            samples = 1;
        } else if (strcmp(a, "--files") == 0) {
            all_files = 1;
        } else if (strcmp(a, "--stats") == 0) {
            stats = 1;
        } else if (a[0] == '-' && a[1] != 0) {
            return ps_cli_usage_error(CMD, "unknown option '%s'", a);
        } else if (path != NULL) {
            return ps_cli_usage_error(CMD, "only one PATH");
        } else {
            path = a;
        }
    }
    if (path == NULL)
        return ps_cli_usage_error(CMD, "PATH is missing");
    if (samples && nf == 0)
        return ps_cli_usage_error(CMD, "--samples needs --metric");
    struct ps_metrics_selector *sel[MAX_FILTER];
    for (size_t i = 0; i < nf; i++) {
        sel[i] = ps_metrics_selector_new(filter[i]);
        if (sel[i] == NULL) {
            for (size_t k = 0; k < i; k++)
                ps_metrics_selector_free(sel[k]);
            return ps_cli_usage_error(CMD, "--metric '%s' is not NAME or "
                                      "NAME{label=\"value\",...}", filter[i]);
        }
    }

    struct ps_diags diags;
    ps_diags_init(&diags);
    struct ps_bundle *b = NULL;
    enum ps_err e = ps_bundle_open(path, NULL, &diags, &b);
    if (e != PS_OK) {
        ps_cli_print_diags(&diags);
        fprintf(stderr, "promsight metrics: cannot open %s: %s\n", path, ps_strerror(e));
        for (size_t i = 0; i < nf; i++)
            ps_metrics_selector_free(sel[i]);
        ps_diags_free(&diags);
        return PS_EXIT_ERROR;
    }
    struct ps_facts *facts = ps_facts_new();
    struct ps_metrics *m = facts != NULL ? ps_metrics_new(facts, &diags, &lim) : NULL;
    if (m == NULL) {
        fprintf(stderr, "promsight metrics: out of memory\n");
        for (size_t i = 0; i < nf; i++)
            ps_metrics_selector_free(sel[i]);
        ps_facts_free(facts);
        ps_bundle_close(b);
        ps_diags_free(&diags);
        return PS_EXIT_ERROR;
    }
    e = ps_bundle_walk(b, ps_metrics_visit, m);
    if (e == PS_OK)
        e = ps_metrics_finish(m);
    int rc = PS_EXIT_OK;
    if (e != PS_OK && e != PS_DONE) {
        fprintf(stderr, "promsight metrics: reading %s stopped: %s\n", path,
                ps_strerror(e));
        rc = PS_EXIT_ERROR;
    }
    if (stats) {
        uint64_t bytes = 0, smp = 0;
        for (size_t i = 0; i < ps_metrics_nfiles(m); i++) {
            bytes += ps_metrics_file(m, i)->bytes;
            smp += ps_metrics_file(m, i)->samples;
        }
        printf("files %zu bytes %" PRIu64 " samples %" PRIu64 " series %zu "
               "diagnostics %zu\n", ps_metrics_nfiles(m), bytes, smp,
               ps_facts_nseries(facts), diags.n + diags.dropped);
    } else if (fmt == PS_FMT_JSON) {
        json_t *j = ps_metrics_json(m, facts, nf ? filter : NULL, nf, samples);
        if (j != NULL) {
            json_object_set_new(j, "diagnostics", diags_json(&diags));
            if (ps_cli_dump_json(j, stdout) != 0)
                rc = PS_EXIT_ERROR;
        } else {
            fprintf(stderr, "promsight metrics: out of memory\n");
            rc = PS_EXIT_ERROR;
        }
    } else {
        print_text(m, facts, path, sel, nf, samples, all_files);
    }
    if (fmt != PS_FMT_JSON || stats)
        ps_cli_print_diags(&diags);
    for (size_t i = 0; i < nf; i++)
        ps_metrics_selector_free(sel[i]);
    ps_metrics_free(m);
    ps_facts_free(facts);
    ps_bundle_close(b);
    ps_diags_free(&diags);
    return rc;
}
