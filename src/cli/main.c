/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * main.c - promsight's entry point: dispatch to a subcommand through a
 * table sorted by name (a unit test keeps it sorted).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

#define PS_VERSION "0.1.0"

struct ps_cmd {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct ps_cmd commands[] = {
    {"analyze", ps_cmd_analyze, "run every stage and write the reports"},
    {"diagnose", ps_cmd_diagnose, "evaluate the rule sets and print findings"},
    {"diff", ps_cmd_diff, "compare two JSON reports"},
    {"facts", ps_cmd_facts, "show the series and events extracted from a bundle"},
    {"forecast", ps_cmd_forecast, "fit growth models to one series (CSV or API JSON)"},
    {"inventory", ps_cmd_inventory, "list and classify every entry of a bundle"},
    {"logs", ps_cmd_logs, "parse logs and match failure signatures"},
    {"metrics", ps_cmd_metrics, "parse metric dumps and Prometheus API JSON"},
    {"plan", ps_cmd_plan, "capacity forecasts and sized, priced recommendations"},
    {"rules", ps_cmd_rules, "check or unit-test rule files"},
    {"tsdb", ps_cmd_tsdb, "list, verify and analyze TSDB blocks"},
    {"wal", ps_cmd_wal, "read WAL segments and checkpoints; statistics and corruption"},
};

static void
usage(FILE *out)
{
    fprintf(out,
            "Usage: promsight COMMAND [OPTIONS] BUNDLE|PATH\n"
            "\n"
            "Offline analysis of support bundles from a Prometheus Agent ->\n"
            "Thanos Receive stack. A BUNDLE is a directory or an archive\n"
            "(tar, tar.gz, tar.zst, tar.xz, zip); it is never extracted.\n"
            "\n"
            "Commands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out,
            "\n"
            "Run 'promsight COMMAND --help' for a command's options.\n"
            "Exit status: 0 ok, 1 error, 2 usage, 3 critical finding,\n"
            "4 warning finding (with --fail-on warning).\n");
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return PS_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return PS_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("promsight %s\n", PS_VERSION);
        return PS_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            int rc = commands[i].run(argc - 1, argv + 1);
            if (fflush(stdout) != 0 || ferror(stdout)) {
                fprintf(stderr, "promsight: error writing output\n");
                return PS_EXIT_ERROR;
            }
            return rc;
        }
    }
    fprintf(stderr, "promsight: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return PS_EXIT_USAGE;
}
