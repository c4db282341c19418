/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd_analyze.c - 'promsight analyze'. NOT BUILT YET: placeholder until its issue
 * lands; it refuses to run rather than pretend.
 */
#include <stdio.h>

#include "cli/cli.h"

int
ps_cmd_analyze(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "promsight analyze: not implemented yet\n");
    return PS_EXIT_ERROR;
}
