/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * archive_lib.c - libarchive loaded on first use instead of linked.
 *
 * Why: libarchive's DT_NEEDED chain (libxml2, libicuuc, libicudata,
 * libstdc++, libgcc_s, nettle, acl, lzma, lz4, bz2, z) dominates process
 * start. Measured: an empty C program linked with promsight's libraries
 * starts in 2.34-2.55 ms, without libarchive in 1.12-1.20 ms, about 9 % of
 * a 12.5 ms `promsight tsdb analyze` of a 10k-series block. Most commands
 * read directory bundles and never need it, so it is dlopen()ed only when
 * a regular file is probed or an archive is opened.
 *
 * dlopen() of a bare soname searches where the dynamic linker would have
 * searched for a DT_NEEDED entry of the executable (LD_LIBRARY_PATH,
 * RUNPATH, ld.so.cache, the default directories), so it finds the same
 * library linking would have. RTLD_NOW resolves libarchive's own symbols
 * at load (a broken install fails here, not mid-walk); RTLD_LOCAL keeps
 * them out of the global namespace. Once loaded, the library is never
 * unloaded.
 */
#include "bundle/archive_lib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* dlsym returns a void *; POSIX guarantees it converts to a function
 * pointer of the same size, copied bytewise below (ISO C has no cast). */
_Static_assert(sizeof(void *) == sizeof(void (*)(void)),
               "function and data pointers differ in size");

int
ps_la_load(const char *soname, struct ps_la *out, char *why, size_t why_n)
{
    if (why_n > 0)
        why[0] = 0;
    memset(out, 0, sizeof(*out));
    dlerror();
    void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        const char *e = dlerror();
        snprintf(why, why_n, "%s", e != NULL ? e : "dlopen failed");
        return -1;
    }
    void *p;
#define PS_LA_LOAD(field, sym)                                           \
    p = dlsym(h, #sym);                                                 \
    if (p == NULL) {                                                    \
        snprintf(why, why_n, "symbol %s not found in %s", #sym, soname); \
        memset(out, 0, sizeof(*out));                                   \
        dlclose(h);                                                     \
        return -1;                                                      \
    }                                                                   \
    memcpy(&out->field, &p, sizeof(p));
    PS_LA_FUNCS(PS_LA_LOAD)
#undef PS_LA_LOAD
    return 0;
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const char *soname = PS_LIBARCHIVE_SONAME;
static struct ps_la table;
static int loaded;
static char reason[512];

static void
load_once(void)
{
    char why[400];
    if (ps_la_load(soname, &table, why, sizeof(why)) == 0)
        loaded = 1;
    else
        snprintf(reason, sizeof(reason), "cannot load libarchive (%s): %s",
                 soname, why);
}

const struct ps_la *
ps_la_get(const char **why)
{
    pthread_once(&once, load_once);
    if (why != NULL)
        *why = loaded ? NULL : reason;
    return loaded ? &table : NULL;
}

void
ps_la_set_soname_for_tests(const char *name)
{
    soname = name;
}
