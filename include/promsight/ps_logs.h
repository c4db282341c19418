/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ps_logs.h - reading container and component logs and matching them
 * against failure signatures kept as data (models/signatures/ YAML files).
 *
 * A log file has a *shape* (how lines are framed: bare, `kubectl logs
 * --timestamps`, CRI, docker json-file, OpenSearch/Elasticsearch NDJSON or
 * search hits), detected per file from its first line, and each line body
 * has a *format* (logfmt, JSON, klog, plain), detected per line. logfmt is
 * read as an unordered map, so Prometheus 2.x (ts= caller= level=), 3.x
 * slog (time= level=WARN source=) and Thanos (repeated component=) lines
 * are all understood. Every timestamp becomes UTC milliseconds.
 *
 * Each line that matches a signature (first match in load order wins)
 * becomes an event in the fact store, and increments the cumulative
 * counter promsight_log_events_total{signature,class,pod,container,
 * namespace} at the line's time. Lines are also counted by level in
 * promsight_log_lines_total{level,pod,container,namespace} (one cumulative
 * sample per minute that had lines). Every stored or returned text went
 * through ps_redact_text() first.
 *
 * Bad input (very long lines, NUL bytes, invalid UTF-8, unterminated
 * quotes, a CRI partial line never closed) gives a located diagnostic;
 * memory stays bounded (PS_LOGS_MAX_LINE) and the rest of the file is read.
 *
 * Ownership: a struct ps_sigset and a struct ps_logs_ctx are owned by the
 * caller (ps_sigset_free, ps_logs_ctx_free). The ctx borrows the sigset,
 * which must outlive it. Everything reachable from a ctx (files, records)
 * is owned by the ctx. Not thread-safe: one ctx, one sigset per thread.
 */
#ifndef PS_LOGS_H
#define PS_LOGS_H

#include <stddef.h>
#include <stdint.h>

#include "promsight/ps_bundle.h"
#include "promsight/ps_err.h"
#include "promsight/ps_facts.h"

/* Longest logical line kept for matching; the rest is skipped (warned). */
#define PS_LOGS_MAX_LINE ((size_t)1 << 20)
/* Longest message stored in an event or record (a marker says how much
 * was cut). */
#define PS_LOGS_MAX_MESSAGE 4096
/* Fields a signature may extract. */
#define PS_SIG_MAX_FIELDS 8

/* ---- shapes, formats, levels (names are stable: JSON uses them) ---- */

enum ps_log_shape {
    PS_LSHAPE_EMPTY,        /* "empty"        no line at all */
    PS_LSHAPE_BARE,         /* "bare"         application lines as written */
    PS_LSHAPE_KUBECTL_TS,   /* "kubectl_timestamps"  RFC3339Nano + space + line */
    PS_LSHAPE_CRI,          /* "cri"          <time> <stream> <P|F> <line> */
    PS_LSHAPE_DOCKER_JSON,  /* "docker_json"  {"log":..,"stream":..,"time":..} */
    PS_LSHAPE_ES_NDJSON,    /* "es_ndjson"    one OpenSearch/ES document per line */
    PS_LSHAPE_ES_HITS,      /* "es_hits"      a search response {"hits":{"hits":[..]}} */
    PS_LSHAPE__COUNT
};

enum ps_log_format {
    PS_LFMT_PLAIN,          /* "plain" */
    PS_LFMT_LOGFMT,         /* "logfmt" */
    PS_LFMT_JSON,           /* "json" */
    PS_LFMT_KLOG,           /* "klog" */
    PS_LFMT__COUNT
};

enum ps_log_level {
    PS_LLVL_UNKNOWN,        /* "unknown" */
    PS_LLVL_DEBUG,          /* "debug" */
    PS_LLVL_INFO,           /* "info" */
    PS_LLVL_WARN,           /* "warn" */
    PS_LLVL_ERROR,          /* "error" */
    PS_LLVL_FATAL,          /* "fatal" (also panic, crit) */
    PS_LLVL__COUNT
};

const char *ps_log_shape_name(enum ps_log_shape s);   /* never NULL */
const char *ps_log_format_name(enum ps_log_format f); /* never NULL */
const char *ps_log_level_name(enum ps_log_level l);   /* never NULL */

/* ---- signatures ---- */

struct ps_signature {
    char *id;            /* "P3", "T13", "L1", ... unique in a set */
    char *cls;           /* problem class, e.g. "remote_write.unreachable" */
    enum ps_sev sev;     /* severity hint */
    char *pattern;       /* PCRE2 pattern */
    char **prefilter;    /* literals: every matching line contains one */
    size_t nprefilter;
    char **fields;       /* names: a named group of pattern, else a logfmt key */
    size_t nfields;
    char *source;        /* upstream source location */
    char *summary;       /* one line for people */
    int lower_bound;     /* emitted by a deduplicating logger: counts are
                            lower bounds */
    char *file;          /* YAML file it came from */
    uint32_t line;       /* line of its "- id:" in that file */
};

struct ps_sigset;

/* Extracted field of a match; v borrows the matched line or the set's
 * scratch and is valid until the next ps_sigset_match on the set. */
struct ps_sig_field {
    const char *name;
    const char *v;
    size_t n;
};

struct ps_sig_match {
    int sig;                                   /* index, -1 if none */
    struct ps_sig_field f[PS_SIG_MAX_FIELDS];
    size_t nf;
};

enum ps_err ps_sigset_new(struct ps_sigset **out);
void ps_sigset_free(struct ps_sigset *s);            /* NULL-safe */

/*
 * Add the signatures of one YAML document (text[0..n), named path for
 * diagnostics). Strict: unknown keys, missing keys, duplicate ids, a bad
 * severity, a regex that does not compile, a prefilter the pattern cannot
 * contain, are errors located by file and line; the bad signature is
 * skipped, the others are kept. Returns PS_E_SYNTAX if anything was wrong.
 */
enum ps_err ps_sigset_add_yaml(struct ps_sigset *s, const char *path,
                               const char *text, size_t n,
                               struct ps_diags *d);

/* Add every *.yaml / *.yml file of dir, in byte-wise sorted name order. */
enum ps_err ps_sigset_load_dir(struct ps_sigset *s, const char *dir,
                               struct ps_diags *d);

/* Build the multi-literal prefilter and JIT-compile every pattern. Must be
 * called once after the last add and before matching. */
enum ps_err ps_sigset_compile(struct ps_sigset *s, struct ps_diags *d);

size_t ps_sigset_count(const struct ps_sigset *s);
const struct ps_signature *ps_sigset_get(const struct ps_sigset *s, size_t i);
/* Index of the signature with this id, or -1. */
int ps_sigset_find(const struct ps_sigset *s, const char *id);

/*
 * Match one line (no trailing newline). Returns the index of the first
 * signature (load order) whose prefilter and pattern match, filling m,
 * or -1. Named fields that are not pattern groups (or whose group did not
 * take part in the match) are looked up as logfmt
 * keys of the line (the last occurrence wins), unquoted.
 */
int ps_sigset_match(struct ps_sigset *s, const char *line, size_t n,
                    struct ps_sig_match *m);

/* ---- ingestion ---- */

struct ps_logs_opts {
    int keep_records;        /* keep matched lines as records (for the CLI) */
    int keep_unmatched;      /* also keep unmatched warn/error/fatal lines */
    size_t max_records;      /* 0 = 100000; beyond it records are counted only */
};

/* A line kept for display. Strings are redacted and valid UTF-8. */
struct ps_logs_record {
    size_t file;             /* index into ps_logs_ctx_file() */
    uint32_t line;           /* 1-based physical line where it starts */
    uint64_t off;            /* byte offset where it starts */
    int64_t t;               /* UTC ms; meaningful if has_t */
    int has_t;
    int sig;                 /* signature index, -1 for an unmatched line */
    enum ps_log_level level;
    char *text;              /* the line, truncated at PS_LOGS_MAX_MESSAGE */
    struct ps_label fields[PS_SIG_MAX_FIELDS];   /* extracted fields (owned) */
    size_t nfields;
    char *pod, *container, *ns;   /* may be NULL */
};

/* What one file held. */
struct ps_logs_file {
    char *path;
    char *pod, *container, *ns;   /* from the path (NULL if unknown) */
    enum ps_log_shape shape;
    uint64_t bytes;
    uint64_t phys_lines;          /* newline-separated lines read */
    uint64_t lines;               /* logical lines (CRI partials joined) */
    uint64_t by_level[PS_LLVL__COUNT];
    uint64_t by_format[PS_LFMT__COUNT];
    uint64_t no_time;             /* lines whose time was carried or unknown */
    int64_t t_min, t_max;         /* valid if has_t */
    int has_t;
    uint64_t matched;
    uint64_t *sig_count;          /* per signature index (ctx's sigset) */
    int64_t *sig_first, *sig_last;   /* INT64_MAX / INT64_MIN if no match
                                        of that signature had a time */
    int year_from_mtime;          /* klog lines dated with the file's year */
    uint64_t redacted;            /* secrets redacted in kept/stored lines */
    int previous;                 /* the previous container's log, by name
                                     (previous.log, <pod>-previous.log,
                                     kubectl logs --previous saved as such) */
};

struct ps_logs_ctx;

/* sigs is borrowed and must be compiled. opts may be NULL (defaults). */
enum ps_err ps_logs_ctx_new(struct ps_sigset *sigs,
                            const struct ps_logs_opts *opts,
                            struct ps_logs_ctx **out);
void ps_logs_ctx_free(struct ps_logs_ctx *c);        /* NULL-safe */

/*
 * Read one log entry from a bundle stream. Events go to facts (may be
 * NULL: statistics and records only); problems to diags. The counters
 * are written by ps_logs_ctx_finish().
 */
enum ps_err ps_logs_ingest_stream(struct ps_logs_ctx *c,
                                  const struct ps_entry *e,
                                  struct ps_stream *s, struct ps_facts *facts,
                                  struct ps_diags *diags);

/* The same over bytes in memory (tests, fuzzing). e may be NULL: then
 * path names the file and no labels are known. */
enum ps_err ps_logs_ingest_mem(struct ps_logs_ctx *c, const char *path,
                               const struct ps_entry *e, const void *p,
                               size_t n, struct ps_facts *facts,
                               struct ps_diags *diags);

/* Walk a bundle (directory, archive or single file) and ingest every
 * entry of kind "log" (every regular file when the bundle is one file),
 * plus "text", "unknown" and "api_json" entries whose first line shows an
 * OpenSearch/Elasticsearch export (others are skipped unrecorded). */
enum ps_err ps_logs_ingest_bundle(struct ps_logs_ctx *c, struct ps_bundle *b,
                                  struct ps_facts *facts,
                                  struct ps_diags *diags);

/* 1 if head[0..n) (the start of a file) is an OpenSearch/Elasticsearch
 * log export (NDJSON documents or a search response): for callers that
 * hold "text" entries in memory and want to pass those to
 * ps_logs_ingest_mem. */
int ps_logs_looks_like_export(const void *head, size_t n);

/* Write the cumulative counters (promsight_log_events_total,
 * promsight_log_lines_total) to facts. Call once, after the last ingest. */
enum ps_err ps_logs_ctx_finish(struct ps_logs_ctx *c, struct ps_facts *facts);

size_t ps_logs_ctx_nfiles(const struct ps_logs_ctx *c);
const struct ps_logs_file *ps_logs_ctx_file(const struct ps_logs_ctx *c,
                                            size_t i);
size_t ps_logs_ctx_nrecords(const struct ps_logs_ctx *c);
const struct ps_logs_record *ps_logs_ctx_record(const struct ps_logs_ctx *c,
                                                size_t i);
/* Records not kept because of max_records. */
size_t ps_logs_ctx_records_dropped(const struct ps_logs_ctx *c);
const struct ps_sigset *ps_logs_ctx_sigset(const struct ps_logs_ctx *c);

#endif
