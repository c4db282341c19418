/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd_forecast.c - 'promsight forecast'. NOT BUILT YET: placeholder until its issue
 * lands; it refuses to run rather than pretend.
 */
#include <stdio.h>

#include "cli/cli.h"

int
ps_cmd_forecast(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "promsight forecast: not implemented yet\n");
    return PS_EXIT_ERROR;
}
