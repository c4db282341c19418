/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cli_util.c - helpers shared by the subcommands (see cli.h).
 */
#include "cli/cli.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

int
ps_cli_parse_format(const char *s, enum ps_out_format *f)
{
    if (strcmp(s, "text") == 0)
        *f = PS_FMT_TEXT;
    else if (strcmp(s, "json") == 0)
        *f = PS_FMT_JSON;
    else {
        fprintf(stderr, "promsight: unknown --format '%s' (text or json)\n", s);
        return -1;
    }
    return 0;
}

int
ps_cli_opt_value(int argc, char **argv, int *i, const char *name,
                 const char **val)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, "--", 2) != 0 || strncmp(a + 2, name, n) != 0)
        return 0;
    if (a[2 + n] == '=') {
        *val = a + 3 + n;
        return 1;
    }
    if (a[2 + n] != 0)
        return 0;
    *val = *i + 1 < argc ? argv[++*i] : NULL;
    return 1;
}

int
ps_cli_format_value(const char *cmd, const char *v, enum ps_out_format *f)
{
    if (v == NULL)
        return ps_cli_usage_error(cmd, "--format needs a value");
    return ps_cli_parse_format(v, f) == 0 ? PS_EXIT_OK : PS_EXIT_USAGE;
}

void
ps_cli_print_diags(const struct ps_diags *d)
{
    char line[1024];
    for (size_t i = 0; i < d->n; i++) {
        ps_diag_format(&d->v[i], line, sizeof(line));
        fprintf(stderr, "promsight: %s\n", line);
    }
    if (d->dropped != 0)
        fprintf(stderr, "promsight: %zu further diagnostics not shown\n",
                d->dropped);
}

int
ps_cli_dump_json(json_t *j, FILE *out)
{
    int rc = json_dumpf(j, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                                    JSON_REAL_PRECISION(17));
    json_decref(j);
    if (rc != 0 || fputc('\n', out) == EOF)
        return -1;
    return 0;
}

int
ps_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "promsight %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'promsight %s --help'.\n", cmd);
    return PS_EXIT_USAGE;
}
