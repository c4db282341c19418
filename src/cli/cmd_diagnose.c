/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd_diagnose.c - 'promsight diagnose'. NOT BUILT YET: placeholder until its issue
 * lands; it refuses to run rather than pretend.
 */
#include <stdio.h>

#include "cli/cli.h"

int
ps_cmd_diagnose(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "promsight diagnose: not implemented yet\n");
    return PS_EXIT_ERROR;
}
