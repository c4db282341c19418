/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd_wal.c - 'promsight wal'. NOT BUILT YET: placeholder until its issue
 * lands; it refuses to run rather than pretend.
 */
#include <stdio.h>

#include "cli/cli.h"

int
ps_cmd_wal(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "promsight wal: not implemented yet\n");
    return PS_EXIT_ERROR;
}
