/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd_facts.c - 'promsight facts PATH': ingest a bundle, directory or file
 * and show the fact store it produced - every series (labels, sample count,
 * time span, value range, where it came from) and every event (time,
 * class, signature, file:line, redacted line) - so a user can see why a
 * rule did or did not fire.
 */
#include <getopt.h>
#include <math.h>
#include <string.h>

#include "cli/cli.h"
#include "promsight/ps_ingest.h"
#include "promsight/ps_util.h"
#include "promsight/ps_json.h"

#define MAX_FILTERS 32

struct filt {
    const char *metric[MAX_FILTERS];
    size_t nmetric;
    const char *cls[MAX_FILTERS];
    size_t ncls;
    int series, events;
};

static void
usage(FILE *out)
{
    fprintf(out,
            "Usage: promsight facts [options] PATH\n"
            "\n"
            "Ingest PATH (bundle, directory, archive or single file) and show the\n"
            "series and events extracted from it.\n"
            "\n"
            "Options:\n"
            "      --format text|json  output format (default: text)\n"
            "      --metric NAME       only series of this metric (repeatable; prefix* allowed)\n"
            "      --class CLASS       only events of this class (repeatable; prefix* allowed)\n"
            "      --series            only series\n"
            "      --events            only events\n"
            "  -h, --help              this help\n");
}

static int
match(const char *const *pats, size_t n, const char *s)
{
    if (n == 0)
        return 1;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(pats[i]);
        if (l > 0 && pats[i][l - 1] == '*' ? strncmp(pats[i], s, l - 1) == 0
                                            : strcmp(pats[i], s) == 0)
            return 1;
    }
    return 0;
}

static void
labels_text(const struct ps_facts *f, uint32_t id, struct ps_buf *b)
{
    const struct ps_label *l;
    size_t n = ps_facts_series_labels(f, id, &l);
    ps_buf_printf(b, "%s{", ps_facts_series_metric(f, id));
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(l[i].name, "__name__") == 0)
            continue;
        ps_buf_printf(b, "%s%s=\"%s\"", first ? "" : ",", l[i].name, l[i].value);
        first = 0;
    }
    ps_buf_printf(b, "}");
    ps_buf_append(b, "", 1);
}

struct span {
    size_t n;
    int64_t first, last;
    double min, max, lastv;
    uint32_t src;
};

static struct span
span_of(const struct ps_facts *f, uint32_t id)
{
    const struct ps_sample *s;
    struct span sp = {0, 0, 0, NAN, NAN, NAN, PS_SRC_NONE};
    sp.n = ps_facts_series_samples(f, id, &s);
    if (sp.n == 0)
        return sp;
    sp.first = s[0].t;
    sp.last = s[sp.n - 1].t;
    sp.lastv = s[sp.n - 1].v;
    sp.src = s[sp.n - 1].src;
    for (size_t i = 0; i < sp.n; i++) {
        if (isnan(s[i].v))
            continue;
        if (isnan(sp.min) || s[i].v < sp.min)
            sp.min = s[i].v;
        if (isnan(sp.max) || s[i].v > sp.max)
            sp.max = s[i].v;
    }
    return sp;
}

static json_t *
facts_json(const struct ps_facts *f, const struct filt *fl)
{
    json_t *series = json_array(), *events = json_array();
    const char *const *names;
    size_t nm = ps_facts_metric_names(f, &names);
    for (size_t m = 0; fl->series && m < nm; m++) {
        if (!match(fl->metric, fl->nmetric, names[m]))
            continue;
        const uint32_t *ids;
        size_t n = ps_facts_metric_series(f, names[m], &ids);
        for (size_t i = 0; i < n; i++) {
            const struct ps_label *l;
            size_t nl = ps_facts_series_labels(f, ids[i], &l);
            json_t *labels = json_object();
            for (size_t k = 0; k < nl; k++)
                json_object_set_new(labels, l[k].name, json_string(l[k].value));
            struct span sp = span_of(f, ids[i]);
            char t1[40] = "", t2[40] = "";
            if (sp.n > 0) {
                ps_fmt_time_ms(sp.first, t1, sizeof(t1));
                ps_fmt_time_ms(sp.last, t2, sizeof(t2));
            }
            const char *src = ps_facts_source_path(f, sp.src);
            json_array_append_new(series, json_pack(
                "{s:o, s:I, s:s, s:s, s:o, s:o, s:o, s:s?}", "labels", labels, "samples",
                (json_int_t)sp.n, "first", t1, "last", t2, "min", ps_json_num(sp.min),
                "max", ps_json_num(sp.max), "last_value", ps_json_num(sp.lastv),
                "source", src));
        }
    }
    for (size_t i = 0; fl->events && i < ps_facts_nevents(f); i++) {
        const struct ps_event *e = ps_facts_event(f, i);
        if (!match(fl->cls, fl->ncls, e->cls))
            continue;
        char t[40];
        ps_fmt_time_ms(e->t, t, sizeof(t));
        json_t *labels = json_object();
        for (size_t k = 0; k < e->nlabels; k++)
            json_object_set_new(labels, e->labels[k].name, json_string(e->labels[k].value));
        json_t *o = json_pack("{s:s, s:s, s:s?, s:s, s:o, s:s?, s:s}", "time", t, "class",
                              e->cls, "signature", e->signature, "severity",
                              ps_sev_name(e->sev), "labels", labels, "file",
                              ps_facts_source_path(f, e->src), "message", e->message);
        if (e->line != 0)
            json_object_set_new(o, "line", json_integer(e->line));
        if (e->off != PS_OFF_NONE)
            json_object_set_new(o, "offset", json_integer((json_int_t)e->off));
        json_array_append_new(events, o);
    }
    return json_pack("{s:o, s:o}", "series", series, "events", events);
}

static void
print_text(const struct ps_facts *f, const struct filt *fl)
{
    const char *const *names;
    size_t nm = ps_facts_metric_names(f, &names);
    size_t shown = 0;
    for (size_t m = 0; fl->series && m < nm; m++) {
        if (!match(fl->metric, fl->nmetric, names[m]))
            continue;
        const uint32_t *ids;
        size_t n = ps_facts_metric_series(f, names[m], &ids);
        for (size_t i = 0; i < n; i++) {
            struct ps_buf b = {0};
            labels_text(f, ids[i], &b);
            struct span sp = span_of(f, ids[i]);
            char t1[40] = "-", t2[40] = "-";
            if (sp.n > 0) {
                ps_fmt_time_ms(sp.first, t1, sizeof(t1));
                ps_fmt_time_ms(sp.last, t2, sizeof(t2));
            }
            printf("%s\n    %zu samples  %s .. %s  min %g  max %g  last %g  (%s)\n",
                   (char *)b.p, sp.n, t1, t2, sp.min, sp.max, sp.lastv,
                   ps_facts_source_path(f, sp.src) != NULL ? ps_facts_source_path(f, sp.src)
                                                           : "-");
            ps_buf_free(&b);
            shown++;
        }
    }
    if (fl->series)
        printf("%zu series\n\n", shown);
    shown = 0;
    for (size_t i = 0; fl->events && i < ps_facts_nevents(f); i++) {
        const struct ps_event *e = ps_facts_event(f, i);
        if (!match(fl->cls, fl->ncls, e->cls))
            continue;
        char t[40], where[48] = "";
        ps_fmt_time_ms(e->t, t, sizeof(t));
        if (e->line != 0)
            snprintf(where, sizeof(where), ":%u", e->line);
        else if (e->off != PS_OFF_NONE)
            snprintf(where, sizeof(where), "@%llu", (unsigned long long)e->off);
        const char *file = ps_facts_source_path(f, e->src);
        printf("%s  %-8s %-28s %-4s %s%s\n    %s\n", t, ps_sev_name(e->sev), e->cls,
               e->signature != NULL ? e->signature : "-", file != NULL ? file : "-", where,
               e->message);
        shown++;
    }
    if (fl->events)
        printf("%zu events\n", shown);
}

int
ps_cmd_facts(int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'}, {"metric", required_argument, NULL, 'm'},
        {"class", required_argument, NULL, 'c'}, {"series", no_argument, NULL, 's'},
        {"events", no_argument, NULL, 'e'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    enum ps_out_format fmt = PS_FMT_TEXT;
    struct filt fl = {.series = 0, .events = 0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (ps_cli_parse_format(optarg, &fmt) != 0)
                return PS_EXIT_USAGE;
            break;
        case 'm':
            if (fl.nmetric == MAX_FILTERS)
                return ps_cli_usage_error("facts", "too many --metric");
            fl.metric[fl.nmetric++] = optarg;
            break;
        case 'c':
            if (fl.ncls == MAX_FILTERS)
                return ps_cli_usage_error("facts", "too many --class");
            fl.cls[fl.ncls++] = optarg;
            break;
        case 's': fl.series = 1; break;
        case 'e': fl.events = 1; break;
        case 'h': usage(stdout); return PS_EXIT_OK;
        default: return ps_cli_usage_error("facts", "unknown option");
        }
    }
    if (argc - optind != 1)
        return ps_cli_usage_error("facts", "need exactly one PATH");
    if (!fl.series && !fl.events)
        fl.series = fl.events = 1;
    struct ps_ingest in;
    enum ps_err e = ps_ingest_bundle(argv[optind], NULL, &in);
    ps_cli_print_diags(&in.diags);
    if (e != PS_OK) {
        fprintf(stderr, "promsight facts: %s: %s\n", argv[optind], ps_strerror(e));
        ps_ingest_free(&in);
        return PS_EXIT_ERROR;
    }
    ps_facts_sort_events(in.facts);
    int rc = PS_EXIT_OK;
    if (fmt == PS_FMT_JSON)
        rc = ps_cli_dump_json(facts_json(in.facts, &fl), stdout) == 0 ? PS_EXIT_OK
                                                                       : PS_EXIT_ERROR;
    else
        print_text(in.facts, &fl);
    ps_ingest_free(&in);
    return rc;
}
