/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd_analyze.c - 'promsight analyze BUNDLE [-o DIR]': run every stage
 * (ps_analyze_run), write report.json, report.md, report.html and
 * report.junit.xml into DIR, print a short verdict and the top findings,
 * and exit by the worst finding against --fail-on.
 *
 * Files are written only inside DIR, under fixed names; nothing from the
 * bundle ever names a file.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "promsight/ps_analyze.h"
#include "promsight/ps_report.h"
#include "promsight/ps_util.h"

#define TOP_FINDINGS 5

enum { OUT_JSON = 1, OUT_MD = 2, OUT_HTML = 4, OUT_JUNIT = 8, OUT_ALL = 15 };

static void
usage(FILE *out)
{
    fprintf(out,
        "Usage: promsight analyze [options] BUNDLE\n"
        "\n"
        "Run every stage on BUNDLE (directory, file, or tar/tar.gz/tar.zst/tar.xz/zip\n"
        "archive) and write the reports.\n"
        "\n"
        "Options:\n"
        "  -o, --output DIR        where to write the reports (default: promsight-report)\n"
        "      --format LIST       comma list of json,md,html,junit (default: all)\n"
        "      --lang en|ko        language of the Markdown/HTML reports and terminal (default: en)\n"
        "      --fail-on SEV       critical|warning|info|none: exit 3/4 when a finding is at or\n"
        "                          above SEV (default: critical)\n"
        "      --rules DIR         add the rule files in DIR (repeatable)\n"
        "      --disable ID|CLASS  turn a rule or a problem class off (repeatable)\n"
        "      --pricing FILE      pricing model (default: the shipped example profile)\n"
        "      --models DIR        rule sets, signatures, sizing and pricing (default: %s)\n"
        "      --at TIME           evaluate rules at one instant (RFC 3339) instead of the window\n"
        "      --step SECONDS      rule evaluation step (default: from the data)\n"
        "  -q, --quiet             no terminal summary\n"
        "  -h, --help              this help\n"
        "\n"
        "Exit status: 0 nothing at or above --fail-on, 3 critical, 4 warning, 1 error, 2 usage.\n",
        ps_models_dir());
}

static int
parse_formats(const char *s, int *mask)
{
    *mask = 0;
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", s);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        if (strcmp(tok, "json") == 0)
            *mask |= OUT_JSON;
        else if (strcmp(tok, "md") == 0 || strcmp(tok, "markdown") == 0)
            *mask |= OUT_MD;
        else if (strcmp(tok, "html") == 0)
            *mask |= OUT_HTML;
        else if (strcmp(tok, "junit") == 0)
            *mask |= OUT_JUNIT;
        else
            return -1;
    }
    return *mask != 0 ? 0 : -1;
}

static int
write_file(const char *dir, const char *name, const void *p, size_t n)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        fprintf(stderr, "promsight analyze: %s: %s\n", path, strerror(errno));
        return -1;
    }
    int ok = fwrite(p, 1, n, f) == n;
    ok &= fclose(f) == 0;
    if (!ok)
        fprintf(stderr, "promsight analyze: error writing %s\n", path);
    return ok ? 0 : -1;
}

static void
progress_bar(void *ctx, const char *stage, int i, int n)
{
    (void)ctx;
    fprintf(stderr, "\r[%d/%d] %-10s", i, n, stage);
    if (i == n)
        fprintf(stderr, "\r%30s\r", "");
    fflush(stderr);
}

struct colors {
    const char *crit, *warn, *info, *ok, *off;
};

static void
print_summary(const json_t *r, enum ps_lang lang, const struct colors *c, const char *dir)
{
    const json_t *v = json_object_get(r, "verdict");
    const char *st = json_string_value(json_object_get(v, "status"));
    const char *col = strcmp(st, "critical") == 0 ? c->crit
                    : strcmp(st, "warning") == 0 ? c->warn
                    : strcmp(st, "info") == 0 ? c->info : c->ok;
    char key[40];
    snprintf(key, sizeof(key), "status_%s", st);
    const char *head = json_string_value(json_object_get(
        v, lang == PS_LANG_KO ? "headline_ko" : "headline"));
    printf("%s%s%s: %s\n", col, ps_tr(lang, key), c->off, head != NULL ? head : "");
    size_t i;
    const json_t *f;
    json_array_foreach(json_object_get(r, "findings"), i, f) {
        if (i >= TOP_FINDINGS) {
            printf("  ... %zu more in %s/report.md\n",
                   json_array_size(json_object_get(r, "findings")) - i, dir);
            break;
        }
        const char *sev = json_string_value(json_object_get(f, "severity"));
        const char *sc = strcmp(sev, "critical") == 0 ? c->crit
                       : strcmp(sev, "warning") == 0 ? c->warn : c->info;
        const char *sum = json_string_value(json_object_get(
            f, lang == PS_LANG_KO ? "summary_ko" : "summary"));
        if (sum == NULL || sum[0] == '\0')
            sum = json_string_value(json_object_get(f, "summary"));
        printf("  %s%-8s%s %s  %s .. %s\n      %s\n", sc, sev, c->off,
               json_string_value(json_object_get(f, "class")),
               json_string_value(json_object_get(f, "first")),
               json_string_value(json_object_get(f, "last")), sum != NULL ? sum : "");
    }
    printf("reports: %s/\n", dir);
}

static int
exit_for(const json_t *r, int fail_rank)
{
    const json_t *v = json_object_get(r, "verdict");
    if (fail_rank >= 0 && json_integer_value(json_object_get(v, "critical")) > 0)
        return PS_EXIT_CRITICAL;
    if (fail_rank >= 1 && json_integer_value(json_object_get(v, "warning")) > 0)
        return PS_EXIT_WARNING;
    if (fail_rank >= 2 && json_integer_value(json_object_get(v, "info")) > 0)
        return PS_EXIT_WARNING;
    return PS_EXIT_OK;
}

static int
render_all(const json_t *r, const char *dir, int mask, enum ps_lang lang)
{
    int rc = 0;
    if (mask & OUT_JSON) {
        char *s = json_dumps(r, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
        if (s == NULL)
            return -1;
        size_t n = strlen(s);
        s[n] = '\n';
        rc |= write_file(dir, "report.json", s, n + 1);
        free(s);
    }
    struct {
        int bit;
        const char *name;
    } outs[] = {{OUT_MD, "report.md"}, {OUT_HTML, "report.html"}, {OUT_JUNIT, "report.junit.xml"}};
    for (size_t i = 0; i < 3; i++) {
        if (!(mask & outs[i].bit))
            continue;
        struct ps_buf b = {0};
        enum ps_err e = outs[i].bit == OUT_MD ? ps_report_render_md(r, lang, &b)
                      : outs[i].bit == OUT_HTML ? ps_report_render_html(r, lang, &b)
                      : ps_report_render_junit(r, &b);
        rc |= e != PS_OK ? -1 : write_file(dir, outs[i].name, b.p, b.n);
        ps_buf_free(&b);
    }
    return rc;
}

int
ps_cmd_analyze(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'}, {"format", required_argument, NULL, 'f'},
        {"lang", required_argument, NULL, 'l'}, {"fail-on", required_argument, NULL, 'F'},
        {"rules", required_argument, NULL, 'r'}, {"disable", required_argument, NULL, 'd'},
        {"pricing", required_argument, NULL, 'p'}, {"models", required_argument, NULL, 'm'},
        {"at", required_argument, NULL, 'a'}, {"step", required_argument, NULL, 's'},
        {"quiet", no_argument, NULL, 'q'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct ps_analyze_opts ao;
    memset(&ao, 0, sizeof(ao));
    const char *dir = "promsight-report";
    int mask = OUT_ALL, quiet = 0, fail_rank = 0;
    enum ps_lang lang = PS_LANG_EN;
    ao.lang = "en";
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'o': dir = optarg; break;
        case 'f':
            if (parse_formats(optarg, &mask) != 0)
                return ps_cli_usage_error("analyze", "bad --format '%s'", optarg);
            break;
        case 'l':
            if (ps_lang_parse(optarg, &lang) != 0)
                return ps_cli_usage_error("analyze", "--lang must be en or ko");
            ao.lang = optarg;
            break;
        case 'F':
            if (strcmp(optarg, "critical") == 0) fail_rank = 0;
            else if (strcmp(optarg, "warning") == 0) fail_rank = 1;
            else if (strcmp(optarg, "info") == 0) fail_rank = 2;
            else if (strcmp(optarg, "none") == 0) fail_rank = -1;
            else return ps_cli_usage_error("analyze", "bad --fail-on '%s'", optarg);
            break;
        case 'r':
            if (ao.nrule_dirs == PS_ANALYZE_MAX_RULE_DIRS)
                return ps_cli_usage_error("analyze", "too many --rules");
            ao.rule_dirs[ao.nrule_dirs++] = optarg;
            break;
        case 'd':
            if (ao.ndisable == PS_ANALYZE_MAX_DISABLE)
                return ps_cli_usage_error("analyze", "too many --disable");
            ao.disable[ao.ndisable++] = optarg;
            break;
        case 'p': ao.pricing = optarg; break;
        case 'm': ao.models_dir = optarg; break;
        case 'a':
            if (!ps_parse_rfc3339_ms(optarg, strlen(optarg), &ao.at_ms))
                return ps_cli_usage_error("analyze", "--at wants RFC 3339, e.g. 2026-11-24T06:40:00Z");
            break;
        case 's': {
            char *end;
            double s = strtod(optarg, &end);
            if (*end != '\0' || !(s > 0 && s < 1e7))
                return ps_cli_usage_error("analyze", "bad --step '%s'", optarg);
            ao.step_ms = (int64_t)(s * 1000);
            break;
        }
        case 'q': quiet = 1; break;
        case 'h': usage(stdout); return PS_EXIT_OK;
        default: return ps_cli_usage_error("analyze", "unknown option");
        }
    }
    if (argc - optind != 1)
        return ps_cli_usage_error("analyze", "need exactly one BUNDLE");
    ao.bundle = argv[optind];
    if (!quiet && isatty(STDERR_FILENO))
        ao.progress = progress_bar;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "promsight analyze: cannot create %s: %s\n", dir, strerror(errno));
        return PS_EXIT_ERROR;
    }
    struct ps_diags diags;
    ps_diags_init(&diags);
    json_t *r = NULL;
    enum ps_err e = ps_analyze_run(&ao, &r, &diags);
    ps_cli_print_diags(&diags);
    ps_diags_free(&diags);
    if (e != PS_OK) {
        fprintf(stderr, "promsight analyze: %s: %s\n", ao.bundle, ps_strerror(e));
        return PS_EXIT_ERROR;
    }
    if (render_all(r, dir, mask, lang) != 0) {
        json_decref(r);
        return PS_EXIT_ERROR;
    }
    int tty = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
    struct colors col = tty ? (struct colors){"\033[1;31m", "\033[1;33m", "\033[1;34m",
                                              "\033[1;32m", "\033[0m"}
                            : (struct colors){"", "", "", "", ""};
    if (!quiet)
        print_summary(r, lang, &col, dir);
    int rc = exit_for(r, fail_rank);
    json_decref(r);
    return rc;
}
