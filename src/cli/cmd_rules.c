/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd_rules.c - 'promsight rules check|test|list': check rule files (parse,
 * unknown functions, classes and severities, missing annotations,
 * duplicate ids), run promtool-shaped rule unit tests, and list the rules
 * a set of directories holds.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "promsight/ps_ingest.h"
#include "promsight/ps_rules.h"
#include "promsight/ps_util.h"

static void
usage(FILE *out)
{
    fprintf(out,
            "Usage: promsight rules check FILE|DIR...\n"
            "       promsight rules test TESTFILE...\n"
            "       promsight rules list [--rules DIR]... [--no-builtin] [--format text|json]\n"
            "       promsight rules query BUNDLE EXPR [TIME]\n"
            "\n"
            "check  parse rule files and apply promsight's requirements: a known\n"
            "       labels.class, labels.severity critical|warning|info, summary and\n"
            "       description annotations, unique alert names. Exit 1 on any error.\n"
            "test   run unit tests in the shape of `promtool test rules`\n"
            "       (input_series, alert_rule_test, promql_expr_test). Exit 1 if any\n"
            "       test fails.\n"
            "list   list the rules of the built-in set (models/rules) and --rules DIRs.\n"
            "query  evaluate one expression over a bundle's facts at TIME (RFC 3339;\n"
            "       default: the end of the data) - to see why a rule did not fire.\n"
            "\n"
            "docs/rules.md is the rule-writing guide; docs/problem-classes.md lists\n"
            "the classes.\n");
}

static int
is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int
cmd_check(int argc, char **argv)
{
    if (argc < 1)
        return ps_cli_usage_error("rules", "check needs at least one FILE");
    int rc = PS_EXIT_OK;
    struct ps_rules *all = ps_rules_new();
    if (all == NULL)
        return PS_EXIT_ERROR;
    for (int i = 0; i < argc; i++) {
        struct ps_diags d;
        ps_diags_init(&d);
        size_t before = ps_rules_count(all);
        enum ps_err e = is_dir(argv[i]) ? ps_rules_load_dir(all, argv[i], &d)
                                        : ps_rules_load_file(all, argv[i], &d);
        ps_cli_print_diags(&d);
        if (e != PS_OK || ps_diags_count(&d, PS_SEV_ERROR) > 0)
            rc = PS_EXIT_ERROR;
        else
            printf("%s: %zu rules parsed\n", argv[i], ps_rules_count(all) - before);
        ps_diags_free(&d);
    }
    struct ps_diags d;
    ps_diags_init(&d);
    size_t errs = ps_rules_check(all, &d);
    ps_cli_print_diags(&d);
    ps_diags_free(&d);
    if (errs > 0)
        rc = PS_EXIT_ERROR;
    printf("%zu rules, %zu problem%s\n", ps_rules_count(all), errs, errs == 1 ? "" : "s");
    ps_rules_free(all);
    return rc;
}

static int
cmd_test(int argc, char **argv)
{
    if (argc < 1)
        return ps_cli_usage_error("rules", "test needs at least one TESTFILE");
    int rc = PS_EXIT_OK;
    for (int i = 0; i < argc; i++) {
        struct ps_diags d;
        ps_diags_init(&d);
        struct ps_buf log = {0};
        size_t failed = 0;
        printf("Unit testing: %s\n", argv[i]);
        enum ps_err e = ps_rules_test_file(argv[i], &log, &failed, &d);
        ps_cli_print_diags(&d);
        if (log.n > 0)
            fwrite(log.p, 1, log.n, stdout);
        if (e != PS_OK) {
            printf("  FAILED: %s\n", ps_strerror(e));
            rc = PS_EXIT_ERROR;
        } else if (failed > 0 || ps_diags_count(&d, PS_SEV_ERROR) > 0) {
            printf("  FAILED (%zu failure%s)\n", failed, failed == 1 ? "" : "s");
            rc = PS_EXIT_ERROR;
        } else {
            printf("  SUCCESS\n");
        }
        ps_buf_free(&log);
        ps_diags_free(&d);
    }
    return rc;
}

static int
cmd_list(int argc, char **argv)
{
    static const struct option opts[] = {
        {"rules", required_argument, NULL, 'r'},
        {"no-builtin", no_argument, NULL, 'n'},
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    enum ps_out_format fmt = PS_FMT_TEXT;
    int builtin = 1;
    const char *dirs[64];
    size_t ndirs = 0;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'r':
            if (ndirs == 64)
                return ps_cli_usage_error("rules", "too many --rules");
            dirs[ndirs++] = optarg;
            break;
        case 'n':
            builtin = 0;
            break;
        case 'f':
            if (ps_cli_parse_format(optarg, &fmt) != 0)
                return PS_EXIT_USAGE;
            break;
        case 'h':
            usage(stdout);
            return PS_EXIT_OK;
        default:
            return ps_cli_usage_error("rules", "unknown option");
        }
    }
    if (optind != argc)
        return ps_cli_usage_error("rules", "list takes no operands");
    struct ps_rules *rs = ps_rules_new();
    struct ps_diags d;
    ps_diags_init(&d);
    int rc = PS_EXIT_OK;
    char path[4096];
    if (builtin) {
        snprintf(path, sizeof(path), "%s/rules", ps_models_dir());
        if (ps_rules_load_dir(rs, path, &d) != PS_OK)
            rc = PS_EXIT_ERROR;
    }
    for (size_t i = 0; i < ndirs; i++)
        if ((is_dir(dirs[i]) ? ps_rules_load_dir(rs, dirs[i], &d)
                             : ps_rules_load_file(rs, dirs[i], &d)) != PS_OK)
            rc = PS_EXIT_ERROR;
    ps_cli_print_diags(&d);
    ps_diags_free(&d);
    if (fmt == PS_FMT_JSON) {
        json_t *a = json_array();
        for (size_t i = 0; i < ps_rules_count(rs); i++) {
            struct ps_rule_info ri;
            ps_rules_get(rs, i, &ri);
            json_t *o = json_object();
            json_object_set_new(o, "rule", json_string(ri.id));
            json_object_set_new(o, "class", ri.cls ? json_string(ri.cls) : json_null());
            json_object_set_new(o, "severity", ri.sev_text ? json_string(ri.sev_text) : json_null());
            json_object_set_new(o, "file", json_string(ri.file));
            json_object_set_new(o, "line", json_integer(ri.line));
            json_object_set_new(o, "expr", json_string(ri.expr));
            json_array_append_new(a, o);
        }
        json_t *root = json_object();
        json_object_set_new(root, "rules", a);
        if (ps_cli_dump_json(root, stdout) != 0)
            rc = PS_EXIT_ERROR;
    } else {
        printf("%-40s %-30s %-9s %s\n", "RULE", "CLASS", "SEVERITY", "FILE:LINE");
        for (size_t i = 0; i < ps_rules_count(rs); i++) {
            struct ps_rule_info ri;
            ps_rules_get(rs, i, &ri);
            printf("%-40s %-30s %-9s %s:%u\n", ri.id, ri.cls ? ri.cls : "-",
                   ri.sev_text ? ri.sev_text : "-", ri.file, ri.line);
        }
        printf("%zu rules\n", ps_rules_count(rs));
    }
    ps_rules_free(rs);
    return rc;
}

static int
cmd_query(int argc, char **argv)
{
    if (argc < 2 || argc > 3)
        return ps_cli_usage_error("rules", "query needs BUNDLE EXPR [TIME]");
    int64_t at = 0;
    if (argc == 3 && !ps_parse_rfc3339_ms(argv[2], strlen(argv[2]), &at))
        return ps_cli_usage_error("rules", "bad TIME '%s' (RFC 3339)", argv[2]);
    struct ps_ingest in;
    memset(&in, 0, sizeof(in));
    enum ps_err e = ps_ingest_bundle(argv[0], NULL, &in);
    if (e != PS_OK || in.facts == NULL) {
        fprintf(stderr, "promsight rules: %s: %s\n", argv[0], ps_strerror(e));
        ps_ingest_free(&in);
        return PS_EXIT_ERROR;
    }
    /* the same fact store diagnose evaluates: events as series too */
    if (ps_rules_add_event_series(in.facts) != PS_OK) {
        fprintf(stderr, "promsight rules: out of memory\n");
        ps_ingest_free(&in);
        return PS_EXIT_ERROR;
    }
    int64_t lo, hi;
    if (argc < 3 && ps_facts_time_range(in.facts, &lo, &hi))
        at = hi;
    struct ps_query_sample *qs;
    size_t n;
    int is_scalar;
    char err[256];
    e = ps_rules_query(in.facts, argv[1], at, &qs, &n, &is_scalar, err, sizeof(err));
    int rc = PS_EXIT_OK;
    if (e != PS_OK) {
        fprintf(stderr, "promsight rules: %s\n", err);
        rc = e == PS_E_SYNTAX ? PS_EXIT_USAGE : PS_EXIT_ERROR;
    } else {
        char tb[48];
        ps_fmt_time_ms(at, tb, sizeof(tb));
        printf("# at %s: %zu %s\n", tb, n, is_scalar ? "scalar" : "samples");
        for (size_t i = 0; i < n; i++) {
            char vb[64];
            ps_rules_fmt_go_float(qs[i].v, vb, sizeof(vb));
            printf("%s %s\n", is_scalar ? "scalar" : qs[i].labels, vb);
        }
        ps_rules_query_free(qs, n);
    }
    ps_ingest_free(&in);
    return rc;
}

int
ps_cmd_rules(int argc, char **argv)
{
    if (argc < 2)
        return ps_cli_usage_error("rules", "missing subcommand (check, test or list)");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return PS_EXIT_OK;
    }
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return PS_EXIT_OK;
        }
    if (strcmp(argv[1], "check") == 0)
        return cmd_check(argc - 2, argv + 2);
    if (strcmp(argv[1], "test") == 0)
        return cmd_test(argc - 2, argv + 2);
    if (strcmp(argv[1], "list") == 0)
        return cmd_list(argc - 1, argv + 1);
    if (strcmp(argv[1], "query") == 0)
        return cmd_query(argc - 2, argv + 2);
    return ps_cli_usage_error("rules", "unknown subcommand '%s'", argv[1]);
}
