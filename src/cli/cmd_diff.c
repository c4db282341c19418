/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd_diff.c - 'promsight diff OLD.json NEW.json': findings added, removed
 * and changed, and metrics that moved, between two report.json files.
 * Exit 0 when they agree, 1 when they differ (so CI can gate on it), 2 on
 * usage errors or unreadable input.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "promsight/ps_report.h"

static void
usage(FILE *out)
{
    fprintf(out,
            "Usage: promsight diff [--format text|json] [--tolerance R] OLD.json NEW.json\n"
            "\n"
            "Compare two report.json files written by 'promsight analyze'.\n"
            "Findings are matched by rule id and labels; metrics (the report's\n"
            "\"metrics\" object) move when they differ by more than R relative\n"
            "(default 0.01).\n"
            "\n"
            "Exit status: 0 no difference, 1 differences, 2 usage or unreadable input.\n");
}

/* One "NAME: OLD -> NEW" line after lead, from c's "old" and "new". */
static void
print_change(const char *lead, const char *name, const json_t *c)
{
    char *o = json_dumps(json_object_get(c, "old"), JSON_ENCODE_ANY);
    char *n = json_dumps(json_object_get(c, "new"), JSON_ENCODE_ANY);
    printf("%s%s: %s -> %s\n", lead, name, o != NULL ? o : "", n != NULL ? n : "");
    free(o);
    free(n);
}

static void
print_text(const json_t *d)
{
    static const char *const parts[] = {"added", "removed", "changed"};
    for (size_t p = 0; p < 3; p++) {
        size_t i;
        const json_t *f;
        json_array_foreach(json_object_get(d, parts[p]), i, f) {
            char *labels = json_dumps(json_object_get(f, "labels"),
                                      JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
            printf("%-8s %-9s %s %s %s\n", parts[p],
                   json_string_value(json_object_get(f, "severity")),
                   json_string_value(json_object_get(f, "rule")),
                   json_string_value(json_object_get(f, "class")),
                   labels != NULL ? labels : "");
            free(labels);
            size_t j;
            const json_t *fld;
            json_array_foreach(json_object_get(f, "fields"), j, fld)
                print_change("         ", json_string_value(json_object_get(fld, "field")),
                             fld);
        }
    }
    size_t i;
    const json_t *m;
    json_array_foreach(json_object_get(d, "moved"), i, m)
        print_change("moved    ", json_string_value(json_object_get(m, "metric")), m);
    printf("%lld difference(s)\n",
           (long long)json_integer_value(json_object_get(d, "differences")));
}

int
ps_cmd_diff(int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'},
        {"tolerance", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    enum ps_out_format fmt = PS_FMT_TEXT;
    double tol = 0.01;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:t:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (ps_cli_parse_format(optarg, &fmt) != 0)
                return PS_EXIT_USAGE;
            break;
        case 't': {
            char *end;
            tol = strtod(optarg, &end);
            if (*end != '\0' || !(tol >= 0))
                return ps_cli_usage_error("diff", "bad --tolerance '%s'", optarg);
            break;
        }
        case 'h':
            usage(stdout);
            return PS_EXIT_OK;
        default:
            return ps_cli_usage_error("diff", "unknown option");
        }
    }
    if (argc - optind != 2)
        return ps_cli_usage_error("diff", "need OLD.json and NEW.json");
    json_error_t err;
    json_t *docs[2];
    for (int i = 0; i < 2; i++) {
        docs[i] = json_load_file(argv[optind + i], 0, &err);
        if (docs[i] == NULL) {
            fprintf(stderr, "promsight diff: %s:%d:%d: %s\n", argv[optind + i],
                    err.line, err.column, err.text);
            if (i == 1)
                json_decref(docs[0]);
            return PS_EXIT_USAGE;
        }
    }
    json_t *d = ps_report_diff(docs[0], docs[1], tol);
    json_decref(docs[0]);
    json_decref(docs[1]);
    if (d == NULL) {
        fprintf(stderr, "promsight diff: out of memory\n");
        return PS_EXIT_ERROR;
    }
    long long ndiff = (long long)json_integer_value(json_object_get(d, "differences"));
    if (fmt == PS_FMT_JSON) {
        if (ps_cli_dump_json(d, stdout) != 0)
            return PS_EXIT_ERROR;
    } else {
        print_text(d);
        json_decref(d);
    }
    return ndiff != 0 ? PS_EXIT_ERROR : PS_EXIT_OK;
}
