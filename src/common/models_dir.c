/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * models_dir.c - where the data files (rule sets, signatures, sizing and
 * pricing models) live; see ps_models_dir() in ps_util.h.
 */
#include <stdlib.h>
#include <sys/stat.h>

#include "promsight/ps_util.h"

#ifndef PS_DATADIR
#define PS_DATADIR "/usr/local/share/promsight"
#endif

const char *
ps_models_dir(void)
{
    const char *env = getenv("PROMSIGHT_MODELS");
    if (env != NULL && env[0] != '\0')
        return env;
    struct stat st;
    if (stat("models/rules", &st) == 0 && S_ISDIR(st.st_mode))
        return "models";
    return PS_DATADIR "/models";
}
