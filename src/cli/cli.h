/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cli.h - the thin command-line layer: one ps_cmd_<name>() per subcommand
 * (src/cli/cmd_<name>.c), dispatched from main.c's sorted table, plus the
 * few helpers every command shares. Only this layer prints or exits.
 */
#ifndef PS_CLI_H
#define PS_CLI_H

#include <stdio.h>

#include <jansson.h>

#include "promsight/ps_err.h"

/* Exit codes (docs/exit-codes.md). */
enum {
    PS_EXIT_OK = 0,       /* nothing at or above --fail-on */
    PS_EXIT_ERROR = 1,    /* could not do the job (I/O, OOM, bad input path) */
    PS_EXIT_USAGE = 2,    /* bad command line */
    PS_EXIT_CRITICAL = 3, /* a critical finding */
    PS_EXIT_WARNING = 4,  /* a warning finding (with --fail-on warning) */
};

enum ps_out_format { PS_FMT_TEXT, PS_FMT_JSON };

/* Every subcommand: argv[0] is the subcommand name. Returns an exit code. */
int ps_cmd_inventory(int argc, char **argv);
int ps_cmd_wal(int argc, char **argv);
int ps_cmd_tsdb(int argc, char **argv);
int ps_cmd_logs(int argc, char **argv);
int ps_cmd_metrics(int argc, char **argv);
int ps_cmd_facts(int argc, char **argv);
int ps_cmd_rules(int argc, char **argv);
int ps_cmd_diagnose(int argc, char **argv);
int ps_cmd_forecast(int argc, char **argv);
int ps_cmd_plan(int argc, char **argv);
int ps_cmd_analyze(int argc, char **argv);
int ps_cmd_diff(int argc, char **argv);

/* "text" or "json" -> *f; returns 0 on success, -1 (after a message) else. */
int ps_cli_parse_format(const char *s, enum ps_out_format *f);

/*
 * For commands that walk argv by hand: when argv[*i] is "--NAME=V" or
 * "--NAME", return 1 with *val = V, or for "--NAME" the next argument
 * (advancing *i; *val = NULL when there is none). Otherwise return 0 and
 * leave *i and *val alone.
 */
int ps_cli_opt_value(int argc, char **argv, int *i, const char *name,
                     const char **val);

/*
 * A hand-walked --format value (v from ps_cli_opt_value): sets *f and
 * returns PS_EXIT_OK, or returns PS_EXIT_USAGE after a message ("--format
 * needs a value" for NULL, as ps_cli_parse_format for an unknown name).
 */
int ps_cli_format_value(const char *cmd, const char *v, enum ps_out_format *f);

/* Print every diagnostic to stderr as "promsight: path:off: sev: msg". */
void ps_cli_print_diags(const struct ps_diags *d);

/*
 * Write j to out as deterministic JSON (keys in insertion order, 2-space
 * indent, floats with 17 significant digits, trailing newline) and
 * release j. Returns 0, or -1 on write error.
 */
int ps_cli_dump_json(json_t *j, FILE *out);


/* Usage error: print "promsight CMD: msg" and a --help hint; returns 2. */
int ps_cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
