/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd_logs.c - 'promsight logs PATH': read every log of a bundle, a
 * directory or a single file, match the failure signatures, and show what
 * was extracted - per file its shape, lines by level, time range and
 * matches per signature, then every matched line - so a user can see why
 * a rule did or did not fire.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "promsight/ps_bundle.h"
#include "promsight/ps_facts.h"
#include "promsight/ps_logs.h"
#include "promsight/ps_util.h"
#include "promsight/ps_json.h"

#define LOWER_BOUND_NOTE                                                     \
    "remote-write counts are lower bounds: Prometheus suppresses identical " \
    "remote-storage log lines for one minute (util/logging/dedupe.go)"

static void
usage(FILE *out)
{
    fprintf(out,
            "Usage: promsight logs [OPTIONS] PATH\n"
            "\n"
            "Parse the logs in PATH (a bundle archive, a directory, or one log\n"
            "file) and match them against the failure signatures.\n"
            "\n"
            "Shapes: bare lines, kubectl logs --timestamps, CRI files (partial\n"
            "lines joined), docker json-file, OpenSearch/Elasticsearch NDJSON\n"
            "and search responses. Bodies: logfmt (Prometheus 2.x/3.x, Thanos),\n"
            "JSON, klog, plain.\n"
            "\n"
            "Options:\n"
            "  --format text|json   output format (default text)\n"
            "  --signatures DIR     signature files (default: the models dir's\n"
            "                       signatures/)\n"
            "  --all                also list unmatched warn/error/fatal lines\n"
            "  --summary            per-file statistics only, no line list\n"
            "  -h, --help           this help\n");
}

static const char *
nz(const char *s)
{
    return s != NULL ? s : "-";
}

static json_t *
jtime(int has, int64_t t)
{
    if (!has)
        return json_null();
    char b[40];
    ps_fmt_time_ms(t, b, sizeof(b));
    return json_string(b);
}

static int
any_lower_bound(const struct ps_logs_ctx *c)
{
    const struct ps_sigset *s = ps_logs_ctx_sigset(c);
    for (size_t i = 0; i < ps_logs_ctx_nfiles(c); i++) {
        const struct ps_logs_file *f = ps_logs_ctx_file(c, i);
        for (size_t k = 0; k < ps_sigset_count(s); k++)
            if (f->sig_count[k] > 0 && ps_sigset_get(s, k)->lower_bound)
                return 1;
    }
    return 0;
}

static json_t *
file_json(const struct ps_logs_ctx *c, const struct ps_logs_file *f)
{
    const struct ps_sigset *s = ps_logs_ctx_sigset(c);
    json_t *o = json_object();
    json_object_set_new(o, "path", json_string(f->path));
    json_object_set_new(o, "pod", ps_json_str_or_null(f->pod));
    json_object_set_new(o, "container", ps_json_str_or_null(f->container));
    json_object_set_new(o, "namespace", ps_json_str_or_null(f->ns));
    json_object_set_new(o, "shape", json_string(ps_log_shape_name(f->shape)));
    json_object_set_new(o, "previous_container", json_boolean(f->previous));
    json_object_set_new(o, "bytes", json_integer((json_int_t)f->bytes));
    json_object_set_new(o, "physical_lines", json_integer((json_int_t)f->phys_lines));
    json_object_set_new(o, "lines", json_integer((json_int_t)f->lines));
    json_t *lv = json_object();
    for (int l = 0; l < PS_LLVL__COUNT; l++)
        json_object_set_new(lv, ps_log_level_name(l),
                            json_integer((json_int_t)f->by_level[l]));
    json_object_set_new(o, "levels", lv);
    json_t *fm = json_object();
    for (int k = 0; k < PS_LFMT__COUNT; k++)
        json_object_set_new(fm, ps_log_format_name(k),
                            json_integer((json_int_t)f->by_format[k]));
    json_object_set_new(o, "formats", fm);
    json_object_set_new(o, "time_min", jtime(f->has_t, f->t_min));
    json_object_set_new(o, "time_max", jtime(f->has_t, f->t_max));
    json_object_set_new(o, "lines_without_own_time", json_integer((json_int_t)f->no_time));
    json_object_set_new(o, "klog_year_from_mtime", json_boolean(f->year_from_mtime > 0));
    json_object_set_new(o, "matched", json_integer((json_int_t)f->matched));
    json_object_set_new(o, "secrets_redacted", json_integer((json_int_t)f->redacted));
    json_t *sa = json_array();
    for (size_t k = 0; k < ps_sigset_count(s); k++) {
        if (f->sig_count[k] == 0)
            continue;
        const struct ps_signature *g = ps_sigset_get(s, k);
        json_t *so = json_object();
        json_object_set_new(so, "id", json_string(g->id));
        json_object_set_new(so, "class", json_string(g->cls));
        json_object_set_new(so, "count", json_integer((json_int_t)f->sig_count[k]));
        json_object_set_new(so, "first", jtime(f->sig_first[k] != INT64_MAX, f->sig_first[k]));
        json_object_set_new(so, "last", jtime(f->sig_last[k] != INT64_MIN, f->sig_last[k]));
        json_object_set_new(so, "count_is_lower_bound", json_boolean(g->lower_bound));
        json_array_append_new(sa, so);
    }
    json_object_set_new(o, "signatures", sa);
    return o;
}

static json_t *
record_json(const struct ps_logs_ctx *c, const struct ps_logs_record *r)
{
    const struct ps_sigset *s = ps_logs_ctx_sigset(c);
    const struct ps_signature *g = r->sig >= 0 ? ps_sigset_get(s, (size_t)r->sig) : NULL;
    json_t *o = json_object();
    json_object_set_new(o, "file", json_string(ps_logs_ctx_file(c, r->file)->path));
    json_object_set_new(o, "line", r->line > 0 ? json_integer(r->line) : json_null());
    json_object_set_new(o, "offset", json_integer((json_int_t)r->off));
    json_object_set_new(o, "time", jtime(r->has_t, r->t));
    json_object_set_new(o, "signature", g != NULL ? json_string(g->id) : json_null());
    json_object_set_new(o, "class", g != NULL ? json_string(g->cls) : json_null());
    json_object_set_new(o, "severity", g != NULL ? json_string(ps_sev_name(g->sev))
                                                 : json_null());
    json_object_set_new(o, "level", json_string(ps_log_level_name(r->level)));
    json_object_set_new(o, "pod", ps_json_str_or_null(r->pod));
    json_object_set_new(o, "container", ps_json_str_or_null(r->container));
    json_object_set_new(o, "namespace", ps_json_str_or_null(r->ns));
    json_t *fo = json_object();
    for (size_t i = 0; i < r->nfields; i++)
        json_object_set_new(fo, r->fields[i].name, json_string(r->fields[i].value));
    json_object_set_new(o, "fields", fo);
    json_object_set_new(o, "text", json_string(r->text));
    return o;
}

static int
print_json(const struct ps_logs_ctx *c, int summary, const struct ps_diags *d)
{
    json_t *root = json_object();
    json_t *fa = json_array();
    uint64_t lines = 0, matched = 0;
    for (size_t i = 0; i < ps_logs_ctx_nfiles(c); i++) {
        const struct ps_logs_file *f = ps_logs_ctx_file(c, i);
        lines += f->lines;
        matched += f->matched;
        json_array_append_new(fa, file_json(c, f));
    }
    json_object_set_new(root, "files_read", json_integer((json_int_t)ps_logs_ctx_nfiles(c)));
    json_object_set_new(root, "lines", json_integer((json_int_t)lines));
    json_object_set_new(root, "matched", json_integer((json_int_t)matched));
    json_t *notes = json_array();
    if (any_lower_bound(c))
        json_array_append_new(notes, json_string(LOWER_BOUND_NOTE));
    json_object_set_new(root, "notes", notes);
    json_object_set_new(root, "files", fa);
    if (!summary) {
        json_t *ev = json_array(), *um = json_array();
        for (size_t i = 0; i < ps_logs_ctx_nrecords(c); i++) {
            const struct ps_logs_record *r = ps_logs_ctx_record(c, i);
            json_array_append_new(r->sig >= 0 ? ev : um, record_json(c, r));
        }
        json_object_set_new(root, "events", ev);
        json_object_set_new(root, "unmatched", um);
        json_object_set_new(root, "records_not_kept",
                            json_integer((json_int_t)ps_logs_ctx_records_dropped(c)));
    }
    json_object_set_new(root, "diagnostics", json_integer((json_int_t)(d->n + d->dropped)));
    return ps_cli_dump_json(root, stdout) == 0 ? PS_EXIT_OK : PS_EXIT_ERROR;
}

static void
fmt_bytes(uint64_t b, char *buf, size_t n)
{
    if (b < 1024)
        snprintf(buf, n, "%llu B", (unsigned long long)b);
    else if (b < (uint64_t)1 << 20)
        snprintf(buf, n, "%.1f KiB", (double)b / 1024);
    else if (b < (uint64_t)1 << 30)
        snprintf(buf, n, "%.1f MiB", (double)b / (1 << 20));
    else
        snprintf(buf, n, "%.1f GiB", (double)b / (1 << 30));
}

static void
print_file_text(const struct ps_logs_ctx *c, const struct ps_logs_file *f)
{
    const struct ps_sigset *s = ps_logs_ctx_sigset(c);
    char a[40], b[40];
    printf("%s\n", f->path);
    printf("  shape %s; pod %s, container %s, namespace %s%s\n",
           ps_log_shape_name(f->shape), nz(f->pod), nz(f->container), nz(f->ns),
           f->previous ? "; previous container" : "");
    char sz[32];
    fmt_bytes(f->bytes, sz, sizeof(sz));
    printf("  %llu lines (%llu physical), %s;", (unsigned long long)f->lines,
           (unsigned long long)f->phys_lines, sz);
    for (int k = 0; k < PS_LFMT__COUNT; k++)
        if (f->by_format[k] > 0)
            printf(" %s %llu", ps_log_format_name(k),
                   (unsigned long long)f->by_format[k]);
    printf("\n  levels:");
    for (int l = 0; l < PS_LLVL__COUNT; l++)
        if (f->by_level[l] > 0)
            printf(" %s %llu", ps_log_level_name(l),
                   (unsigned long long)f->by_level[l]);
    printf("\n");
    if (f->has_t) {
        ps_fmt_time_ms(f->t_min, a, sizeof(a));
        ps_fmt_time_ms(f->t_max, b, sizeof(b));
        printf("  time %s .. %s UTC%s\n", a, b,
               f->year_from_mtime > 0 ? " (klog year from file mtime)" : "");
    } else if (f->lines > 0) {
        printf("  time unknown (no line has a time)\n");
    }
    if (f->redacted > 0)
        printf("  %llu secrets redacted from the lines shown\n",
               (unsigned long long)f->redacted);
    if (f->matched == 0) {
        printf("  no signature matched\n\n");
        return;
    }
    printf("  %-12s %-32s %7s  %-24s  %s\n", "SIGNATURE", "CLASS", "COUNT",
           "FIRST", "LAST");
    for (size_t k = 0; k < ps_sigset_count(s); k++) {
        if (f->sig_count[k] == 0)
            continue;
        const struct ps_signature *g = ps_sigset_get(s, k);
        if (f->sig_first[k] != INT64_MAX) {
            ps_fmt_time_ms(f->sig_first[k], a, sizeof(a));
            ps_fmt_time_ms(f->sig_last[k], b, sizeof(b));
        } else {
            strcpy(a, "-");
            strcpy(b, "-");
        }
        printf("  %-12s %-32s %6llu%s  %-24s  %s\n", g->id, g->cls,
               (unsigned long long)f->sig_count[k], g->lower_bound ? "+" : " ",
               a, b);
    }
    printf("\n");
}

static void
print_record_text(const struct ps_logs_ctx *c, const struct ps_logs_record *r)
{
    const struct ps_sigset *s = ps_logs_ctx_sigset(c);
    const struct ps_signature *g = r->sig >= 0 ? ps_sigset_get(s, (size_t)r->sig) : NULL;
    char t[40];
    if (r->has_t)
        ps_fmt_time_ms(r->t, t, sizeof(t));
    else
        strcpy(t, "-");
    char loc[64];
    if (r->line > 0)
        snprintf(loc, sizeof(loc), "%u", r->line);
    else
        snprintf(loc, sizeof(loc), "doc %llu", (unsigned long long)r->off + 1);
    printf("%s:%s  %s  %s  %s", ps_logs_ctx_file(c, r->file)->path, loc, t,
           g != NULL ? g->id : "-", g != NULL ? g->cls : ps_log_level_name(r->level));
    if (r->pod != NULL)
        printf(" [%s%s%s]", r->pod, r->container != NULL ? "/" : "",
               r->container != NULL ? r->container : "");
    for (size_t i = 0; i < r->nfields; i++)
        printf(" %s=%s", r->fields[i].name, r->fields[i].value);
    printf("\n    %s\n", r->text);
}

static int
print_text(const struct ps_logs_ctx *c, int summary, int all)
{
    uint64_t lines = 0, matched = 0;
    for (size_t i = 0; i < ps_logs_ctx_nfiles(c); i++) {
        lines += ps_logs_ctx_file(c, i)->lines;
        matched += ps_logs_ctx_file(c, i)->matched;
    }
    printf("%zu log files, %llu lines, %llu matched a signature\n",
           ps_logs_ctx_nfiles(c), (unsigned long long)lines,
           (unsigned long long)matched);
    if (any_lower_bound(c))
        printf("note: counts marked + are lower bounds: Prometheus suppresses\n"
               "identical remote-storage log lines for one minute.\n");
    printf("\n");
    for (size_t i = 0; i < ps_logs_ctx_nfiles(c); i++)
        print_file_text(c, ps_logs_ctx_file(c, i));
    if (summary)
        return PS_EXIT_OK;
    size_t nm = 0, nu = 0;
    for (size_t i = 0; i < ps_logs_ctx_nrecords(c); i++) {
        if (ps_logs_ctx_record(c, i)->sig >= 0)
            nm++;
        else
            nu++;
    }
    printf("Matched lines (%zu):\n", nm);
    for (size_t i = 0; i < ps_logs_ctx_nrecords(c); i++)
        if (ps_logs_ctx_record(c, i)->sig >= 0)
            print_record_text(c, ps_logs_ctx_record(c, i));
    if (all) {
        printf("\nUnmatched warn/error/fatal lines (%zu):\n", nu);
        for (size_t i = 0; i < ps_logs_ctx_nrecords(c); i++)
            if (ps_logs_ctx_record(c, i)->sig < 0)
                print_record_text(c, ps_logs_ctx_record(c, i));
    }
    if (ps_logs_ctx_records_dropped(c) > 0)
        printf("(%zu more lines not kept for display)\n",
               ps_logs_ctx_records_dropped(c));
    return PS_EXIT_OK;
}

int
ps_cmd_logs(int argc, char **argv)
{
    enum ps_out_format fmt = PS_FMT_TEXT;
    const char *sigdir = NULL;
    int all = 0, summary = 0;
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'},
        {"signatures", required_argument, NULL, 's'},
        {"all", no_argument, NULL, 'a'},
        {"summary", no_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'f':
            if (ps_cli_parse_format(optarg, &fmt) != 0)
                return PS_EXIT_USAGE;
            break;
        case 's':
            sigdir = optarg;
            break;
        case 'a':
            all = 1;
            break;
        case 'S':
            summary = 1;
            break;
        case 'h':
            usage(stdout);
            return PS_EXIT_OK;
        default:
            return ps_cli_usage_error("logs", "unknown option");
        }
    }
    if (optind != argc - 1)
        return ps_cli_usage_error("logs", "expected exactly one PATH");
    const char *path = argv[optind];
    char defdir[4096];
    if (sigdir == NULL) {
        snprintf(defdir, sizeof(defdir), "%s/signatures", ps_models_dir());
        sigdir = defdir;
    }

    struct ps_diags diags;
    ps_diags_init(&diags);
    struct ps_sigset *sigs = NULL;
    struct ps_logs_ctx *ctx = NULL;
    struct ps_bundle *b = NULL;
    struct ps_facts *facts = NULL;
    int rc = PS_EXIT_ERROR;
    if (ps_sigset_new(&sigs) != PS_OK)
        goto out;
    if (ps_sigset_load_dir(sigs, sigdir, &diags) != PS_OK ||
        ps_sigset_compile(sigs, &diags) != PS_OK) {
        ps_cli_print_diags(&diags);
        fprintf(stderr, "promsight logs: bad signature files in %s\n", sigdir);
        goto out;
    }
    struct ps_logs_opts lo = {.keep_records = !summary, .keep_unmatched = all && !summary};
    facts = ps_facts_new();
    if (facts == NULL || ps_logs_ctx_new(sigs, &lo, &ctx) != PS_OK)
        goto out;
    if (ps_bundle_open(path, NULL, &diags, &b) != PS_OK) {
        ps_cli_print_diags(&diags);
        fprintf(stderr, "promsight logs: cannot open %s\n", path);
        goto out;
    }
    enum ps_err e = ps_logs_ingest_bundle(ctx, b, facts, &diags);
    if (e == PS_OK)
        e = ps_logs_ctx_finish(ctx, facts);
    ps_cli_print_diags(&diags);
    if (e != PS_OK && e != PS_DONE) {
        fprintf(stderr, "promsight logs: %s\n", ps_strerror(e));
        goto out;
    }
    rc = fmt == PS_FMT_JSON ? print_json(ctx, summary, &diags)
                            : print_text(ctx, summary, all);
out:
    ps_logs_ctx_free(ctx);
    ps_bundle_close(b);
    ps_facts_free(facts);
    ps_sigset_free(sigs);
    ps_diags_free(&diags);
    return rc;
}
