/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * err.c - error names (human and machine) and the bounded diagnostics
 * list (see ps_err.h).
 */
#include "promsight/ps_err.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *
ps_strerror(enum ps_err e)
{
    switch (e) {
    case PS_OK: return "ok";
    case PS_DONE: return "done";
    case PS_E_NOMEM: return "out of memory";
    case PS_E_IO: return "I/O error";
    case PS_E_TRUNCATED: return "truncated";
    case PS_E_CORRUPT: return "corrupt";
    case PS_E_UNSUPPORTED: return "unsupported";
    case PS_E_LIMIT: return "limit exceeded";
    case PS_E_SYNTAX: return "syntax error";
    case PS_E_EVAL: return "evaluation error";
    case PS_E_USAGE: return "usage error";
    case PS_E_UNSAFE: return "unsafe entry";
    case PS_E_INTERNAL: return "internal error";
    case PS_E__COUNT: break;
    }
    return "unknown error";
}

const char *
ps_err_name(enum ps_err e)
{
    switch (e) {
    case PS_OK: return "ok";
    case PS_DONE: return "done";
    case PS_E_NOMEM: return "nomem";
    case PS_E_IO: return "io";
    case PS_E_TRUNCATED: return "truncated";
    case PS_E_CORRUPT: return "corrupt";
    case PS_E_UNSUPPORTED: return "unsupported";
    case PS_E_LIMIT: return "limit";
    case PS_E_SYNTAX: return "syntax";
    case PS_E_EVAL: return "eval";
    case PS_E_USAGE: return "usage";
    case PS_E_UNSAFE: return "unsafe";
    case PS_E_INTERNAL: return "internal";
    case PS_E__COUNT: break;
    }
    return "internal";
}

const char *
ps_sev_name(enum ps_sev s)
{
    switch (s) {
    case PS_SEV_NOTE: return "note";
    case PS_SEV_WARN: return "warning";
    case PS_SEV_ERROR: return "error";
    case PS_SEV_FATAL: return "fatal";
    }
    return "?";
}

void
ps_diags_init(struct ps_diags *d)
{
    memset(d, 0, sizeof(*d));
}

void
ps_diags_free(struct ps_diags *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->n; i++) {
        free(d->v[i].path);
        free(d->v[i].phase);
        free(d->v[i].msg);
    }
    free(d->v);
    memset(d, 0, sizeof(*d));
}

static char *
dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

static void
add_owned(struct ps_diags *d, struct ps_diag g)
{
    if (d->n == d->cap) {
        size_t ncap = d->cap != 0 ? d->cap * 2 : 16;
        if (ncap > PS_DIAGS_MAX)
            ncap = PS_DIAGS_MAX;
        struct ps_diag *nv = d->n < ncap ? realloc(d->v, ncap * sizeof(*nv)) : NULL;
        if (nv == NULL) {
            d->dropped++;
            free(g.path);
            free(g.phase);
            free(g.msg);
            return;
        }
        d->v = nv;
        d->cap = ncap;
    }
    d->v[d->n++] = g;
}

void
ps_diag_add(struct ps_diags *d, enum ps_sev sev, enum ps_err code,
            const char *path, uint64_t off, uint32_t line, const char *phase,
            const char *fmt, ...)
{
    if (d == NULL)
        return;
    if (d->n >= PS_DIAGS_MAX) {
        d->dropped++;
        return;
    }
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    struct ps_diag g = {
        .sev = sev, .code = code, .path = dup_or_null(path), .off = off,
        .line = line, .phase = dup_or_null(phase), .msg = strdup(msg),
    };
    add_owned(d, g);
}

size_t
ps_diags_count(const struct ps_diags *d, enum ps_sev min_sev)
{
    size_t c = 0;
    for (size_t i = 0; i < d->n; i++)
        c += d->v[i].sev >= min_sev;
    return c;
}

void
ps_diags_merge(struct ps_diags *dst, const struct ps_diags *src)
{
    for (size_t i = 0; i < src->n; i++) {
        const struct ps_diag *g = &src->v[i];
        ps_diag_add(dst, g->sev, g->code, g->path, g->off, g->line, g->phase,
                    "%s", g->msg != NULL ? g->msg : "");
    }
    dst->dropped += src->dropped;
}

void
ps_diag_format(const struct ps_diag *g, char *buf, size_t n)
{
    char where[64] = "";
    if (g->off != PS_OFF_NONE)
        snprintf(where, sizeof(where), ":%" PRIu64, g->off);
    else if (g->line != 0)
        snprintf(where, sizeof(where), ":%" PRIu32, g->line);
    snprintf(buf, n, "%s%s: %s: %s%s%s%s", g->path != NULL ? g->path : "-",
             where, ps_sev_name(g->sev), g->msg != NULL ? g->msg : "",
             g->phase != NULL ? " (while " : "",
             g->phase != NULL ? g->phase : "", g->phase != NULL ? ")" : "");
}
