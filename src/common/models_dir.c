/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * models_dir.c - where the data files (rule sets, signatures, sizing and
 * pricing models) live; see ps_models_dir() in ps_util.h.
 *
 * Search order: $PROMSIGHT_MODELS; ./models (running in a checkout);
 * relative to the executable, <exe>/../../models (build/rel/promsight in a
 * checkout) and <exe>/../share/promsight/models (an installed tree moved
 * elsewhere); then the compiled-in PS_DATADIR/models.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "promsight/ps_util.h"

#ifndef PS_DATADIR
#define PS_DATADIR "/usr/local/share/promsight"
#endif

static int
has_rules(const char *dir)
{
    char p[PATH_MAX + 8];
    struct stat st;
    snprintf(p, sizeof(p), "%s/rules", dir);
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *
ps_models_dir(void)
{
    static char found[PATH_MAX];
    const char *env = getenv("PROMSIGHT_MODELS");
    if (env != NULL && env[0] != '\0')
        return env;
    if (has_rules("models"))
        return "models";
    char exe[PATH_MAX - 32];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash != NULL) {
            *slash = '\0';
            static const char *const rel[] = {"/../../models", "/../share/promsight/models"};
            for (size_t i = 0; i < 2; i++) {
                snprintf(found, sizeof(found), "%s%s", exe, rel[i]);
                if (has_rules(found))
                    return found;
            }
        }
    }
    return PS_DATADIR "/models";
}
