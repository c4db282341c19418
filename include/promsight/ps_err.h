/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ps_err.h - promsight's one error type and its diagnostics list.
 *
 * Every fallible library function returns enum ps_err. Problems found in
 * the input (a bad CRC, a torn record, a line that does not parse) are not
 * fatal: the parser records a struct ps_diag - file, byte offset or line,
 * phase, message - in a struct ps_diags and carries on with what it can
 * read. Only the CLI prints diagnostics; the library never prints or exits.
 *
 * Ownership: a ps_diags owns copies of every string added to it; free it
 * with ps_diags_free(). A ps_diags holds at most PS_DIAGS_MAX entries and
 * counts the rest in `dropped`, so a hostile input cannot grow it without
 * bound.
 */
#ifndef PS_ERR_H
#define PS_ERR_H

#include <stddef.h>
#include <stdint.h>

enum ps_err {
    PS_OK = 0,
    PS_DONE,          /* iterator exhausted; not an error */
    PS_E_NOMEM,       /* allocation failed */
    PS_E_IO,          /* read/write/open failed */
    PS_E_TRUNCATED,   /* input ended inside a structure */
    PS_E_CORRUPT,     /* checksum or structural violation */
    PS_E_UNSUPPORTED, /* well-formed but unknown version/feature */
    PS_E_LIMIT,       /* a configured limit was exceeded */
    PS_E_SYNTAX,      /* text input does not parse */
    PS_E_EVAL,        /* rule/expression evaluation */
    PS_E_USAGE,       /* API or CLI misuse */
    PS_E_UNSAFE,      /* unsafe path/entry in a bundle (.., /, links) */
    PS_E_INTERNAL,    /* a bug */
    PS_E__COUNT
};

enum ps_sev { PS_SEV_NOTE, PS_SEV_WARN, PS_SEV_ERROR, PS_SEV_FATAL };

#define PS_OFF_NONE UINT64_MAX
#define PS_DIAGS_MAX 10000

struct ps_diag {
    enum ps_sev sev;
    enum ps_err code;
    char *path;        /* bundle entry or file; may be NULL */
    uint64_t off;      /* byte offset, PS_OFF_NONE if not applicable */
    uint32_t line;     /* 1-based line for text inputs, 0 if n/a */
    char *phase;       /* what was being read, e.g. "wal: fragment header" */
    char *msg;         /* what was wrong / what was expected */
};

struct ps_diags {
    struct ps_diag *v;
    size_t n, cap;
    size_t dropped;    /* diagnostics not stored because of PS_DIAGS_MAX */
};

const char *ps_strerror(enum ps_err e);           /* never NULL */
const char *ps_sev_name(enum ps_sev s);           /* "note", "warning", ... */
/*
 * Short stable machine name for JSON and scripts: "ok", "done", "nomem",
 * "io", "truncated", "corrupt", "unsupported", "limit", "syntax", "eval",
 * "usage", "unsafe", "internal" (also for out-of-range values). Never NULL.
 */
const char *ps_err_name(enum ps_err e);

void ps_diags_init(struct ps_diags *d);
void ps_diags_free(struct ps_diags *d);           /* NULL-safe */

/*
 * Record a diagnostic. path may be NULL, off PS_OFF_NONE, line 0.
 * Strings are copied. Never fails visibly: on allocation failure or when
 * full, the diagnostic is counted in d->dropped.
 */
void ps_diag_add(struct ps_diags *d, enum ps_sev sev, enum ps_err code,
                 const char *path, uint64_t off, uint32_t line,
                 const char *phase, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));

/* Count of diagnostics at or above sev (stored ones only). */
size_t ps_diags_count(const struct ps_diags *d, enum ps_sev min_sev);

/* Append all of src's diagnostics to dst (copies). */
void ps_diags_merge(struct ps_diags *dst, const struct ps_diags *src);

/*
 * Render one diagnostic as "path:off: warning: msg (while phase)" (or
 * "path:line:" for text inputs) into buf; always NUL-terminates.
 */
void ps_diag_format(const struct ps_diag *g, char *buf, size_t n);

#endif
