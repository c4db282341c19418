/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ps_metrics.h - metric dumps and Prometheus HTTP API answers as facts.
 *
 * Two kinds of bundle entries become series in the fact store here:
 *
 *  - Metric dumps: Prometheus text exposition format 0.0.4 and OpenMetrics
 *    1.0 (what `curl host:port/metrics` saves). A sequence of dumps of one
 *    target becomes one time series per metric. Every sample gets the
 *    target's identity from the bundle path: pod="<pod>" (and
 *    container="<container>" when the path names one) and source="dump".
 *    An exposed label that collides with one of those is renamed
 *    exported_<name>, as Prometheus does without honor_labels.
 *    The time of a sample is its explicit timestamp if it has one, else
 *    the scrape time of the file: a timestamp in the file name (epoch
 *    seconds or milliseconds, or RFC 3339), else the entry's mtime. Which
 *    one was used is recorded per file (struct ps_metrics_file).
 *
 *  - Prometheus HTTP API JSON ({"status":"success","data":...}): query
 *    (vector, scalar, matrix), query_range (matrix), status/tsdb,
 *    status/runtimeinfo, status/flags, status/buildinfo, status/config
 *    (handed to a hook, never stored) and targets. Query results keep
 *    their own labels plus source="api"; status answers become
 *    promsight_api_* series labelled with the answering pod. See
 *    docs/metric-dumps.md for every series name.
 *
 * Histograms and summaries are stored as the text format spells them
 * (_bucket{le=...}, _sum, _count, {quantile=...}); counters as exposed
 * (_total, and OpenMetrics' _created). NaN values are stored as NaN
 * samples: in an exposition NaN is a value (e.g. a summary quantile with
 * no observations), not a staleness marker.
 *
 * Every label value passes through ps_redact_text(), and values of labels
 * whose name names a secret are replaced whole.
 *
 * Ownership: a struct ps_metrics is owned by the caller (ps_metrics_free);
 * it borrows the fact store and the diagnostics list given to
 * ps_metrics_new, which must outlive it. Everything returned by the
 * accessors is borrowed from the struct ps_metrics.
 */
#ifndef PS_METRICS_H
#define PS_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "promsight/ps_bundle.h"
#include "promsight/ps_err.h"
#include "promsight/ps_facts.h"
#include "promsight/ps_redact.h"

/*
 * Synthetic series written for every dump with a scrape time:
 * promsight_dump_samples{pod,container,source="dump"} = samples stored
 * from that dump, at its scrape time (0 for an empty scrape).
 */
#define PS_DUMP_SAMPLES_METRIC "promsight_dump_samples"

/* What a file turned out to be. Names (ps_metrics_format_name) are stable. */
enum ps_metrics_format {
    PS_MF_UNKNOWN,      /* "unknown" */
    PS_MF_TEXT,         /* "text-0.0.4" */
    PS_MF_OPENMETRICS,  /* "openmetrics-1.0.0" */
    PS_MF_API_JSON,     /* "api-json" (kind in ps_metrics_file.api_kind) */
};

/* Where the time of a file's samples came from. Names are stable. */
enum ps_metrics_time_src {
    PS_MTS_NONE,        /* "none": no time known, samples not stored */
    PS_MTS_SAMPLE,      /* "sample": every sample had its own timestamp */
    PS_MTS_FILENAME,    /* "filename": epoch or RFC 3339 time in the name */
    PS_MTS_CONTENT,     /* "content": a time in the answer (headStats.maxTime, lastScrape) */
    PS_MTS_CAPTURE_END, /* "capture-end": timeless API answer, latest time in the store */
    PS_MTS_MTIME,       /* "mtime": the entry's modification time */
};

const char *ps_metrics_format_name(enum ps_metrics_format f);   /* never NULL */
const char *ps_metrics_time_src_name(enum ps_metrics_time_src s); /* never NULL */

/* What was read from one file. */
struct ps_metrics_file {
    const char *path;               /* entry path */
    enum ps_metrics_format format;
    const char *api_kind;           /* "query_range", "status/tsdb", ...; NULL for dumps */
    enum ps_metrics_time_src time_src;
    int64_t time_ms;                /* scrape time used; INT64_MIN if none */
    uint64_t bytes;                 /* bytes read */
    uint64_t lines;                 /* lines (dumps) */
    uint64_t samples;               /* samples stored */
    uint64_t samples_with_ts;       /* of those, with their own timestamp */
    uint64_t series;                /* distinct series written by this file */
    uint64_t families;              /* # TYPE / # HELP families seen */
    uint64_t skipped;               /* lines or items not stored (see diagnostics) */
    uint64_t events;                /* events added (targets with lastError) */
    struct ps_redact_stats redacted; /* what was redacted in this file */
    int eof_marker;                 /* OpenMetrics "# EOF" seen */
};

/* Metric family metadata from # TYPE / # HELP / # UNIT lines. */
struct ps_metrics_family {
    const char *name;
    const char *type;   /* "counter", "gauge", "histogram", "summary", "untyped", ... or NULL */
    const char *help;   /* unescaped, or NULL */
    const char *unit;   /* OpenMetrics UNIT, or NULL */
};

/*
 * Hook for status/config: the YAML text of a Prometheus configuration as
 * the API returned it (not redacted; the config stage redacts). Return
 * PS_OK; anything else is recorded as a diagnostic.
 */
typedef enum ps_err (*ps_metrics_config_fn)(void *ctx, const struct ps_entry *e,
                                            const char *yaml, size_t n);

/* Limits; ps_metrics_limits_default() fills them. */
struct ps_metrics_limits {
    size_t max_line;          /* bytes in one exposition line (default 1 MiB) */
    size_t max_labels;        /* label pairs in one sample (default 512) */
    uint64_t max_samples;     /* samples stored from one file (default 50,000,000) */
    size_t max_json;          /* bytes of one API JSON answer (default 64 MiB) */
    unsigned max_json_depth;  /* nesting of an API JSON answer (default 64) */
};

void ps_metrics_limits_default(struct ps_metrics_limits *lim);

struct ps_metrics;

/* facts and diags are borrowed; lim may be NULL. NULL on OOM. */
struct ps_metrics *ps_metrics_new(struct ps_facts *facts, struct ps_diags *diags,
                                  const struct ps_metrics_limits *lim);
void ps_metrics_free(struct ps_metrics *m);   /* NULL-safe */

void ps_metrics_set_config_hook(struct ps_metrics *m, ps_metrics_config_fn fn,
                                void *ctx);

/* Reads bytes of an entry: like ps_stream_read (n read, 0 at end, -1 error). */
typedef ssize_t (*ps_metrics_read_fn)(void *ctx, void *buf, size_t n);

/*
 * Load one exposition-format file (text or OpenMetrics), streamed. e gives
 * the path (for the file-name time and diagnostics), pod/container and
 * mtime_ms. Problems become diagnostics; the rest of the file is read.
 * Returns PS_OK unless memory ran out.
 */
enum ps_err ps_metrics_load_exposition(struct ps_metrics *m, const struct ps_entry *e,
                                       ps_metrics_read_fn rd, void *rctx);
enum ps_err ps_metrics_load_exposition_mem(struct ps_metrics *m,
                                           const struct ps_entry *e,
                                           const uint8_t *p, size_t n);

/* Load one API JSON answer held in memory. */
enum ps_err ps_metrics_load_api_json(struct ps_metrics *m, const struct ps_entry *e,
                                     const uint8_t *p, size_t n);

/*
 * Bundle visitor (ctx = struct ps_metrics *): loads PS_KIND_METRIC_DUMP and
 * PS_KIND_API_JSON entries, ignores every other entry.
 */
enum ps_err ps_metrics_visit(void *ctx, const struct ps_entry *e, struct ps_stream *s);

/*
 * After the last file: gives timeless API answers (flags, runtimeinfo,
 * buildinfo) the latest time in the fact store, or their mtime when the
 * store holds no time. Call once.
 */
enum ps_err ps_metrics_finish(struct ps_metrics *m);

size_t ps_metrics_nfiles(const struct ps_metrics *m);
const struct ps_metrics_file *ps_metrics_file(const struct ps_metrics *m, size_t i);

/*
 * Family of a sample name: exact match, else the name without _bucket,
 * _sum, _count, _total, _created, _info, _gcount, _gsum. NULL if none.
 */
const struct ps_metrics_family *ps_metrics_family_of(const struct ps_metrics *m,
                                                     const char *metric);

/*
 * Scrape time from a file name (the last path component): a run of 10
 * digits (epoch seconds) or 13 digits (epoch ms) not touching other
 * digits, or an RFC 3339 time (also with '-' or no separators in the
 * time of day, as file names need). Returns 1 and sets *ms if found.
 */
int ps_metrics_time_from_name(const char *path, int64_t *ms);

/* Prometheus duration ("1d12h", "90s", "0s") -> ms; 1 on success. */
int ps_metrics_parse_duration(const char *s, size_t n, int64_t *ms);
/* Prometheus byte size ("512MB", "10GiB", "0B") -> bytes; 1 on success. */
int ps_metrics_parse_bytes(const char *s, size_t n, double *bytes);

/* ---- what was extracted, for `promsight metrics` and the reports ---- */

/* One series at a glance. */
struct ps_metrics_series_stats {
    size_t n;            /* samples */
    size_t nan;          /* of those, NaN */
    int64_t first, last; /* ms; 0 when n == 0 */
    double min, max;     /* over non-NaN values; NaN if none */
    double last_value;
    int64_t max_gap_ms;  /* longest time between consecutive samples */
    int64_t max_gap_at;  /* time of the sample before that gap */
};

void ps_metrics_series_stats(const struct ps_facts *f, uint32_t id,
                             struct ps_metrics_series_stats *st);

/*
 * 1 if series id was written by this stage: its "source" label is "dump"
 * or "api".
 */
int ps_metrics_is_ours(const struct ps_facts *f, uint32_t id);

/*
 * A series selector as `promsight metrics --metric` takes it: a metric
 * name with optional equality matchers in exposition syntax,
 * `name{label="value",...}`. Owned by the caller.
 */
struct ps_metrics_selector;
/* NULL if s does not parse (or on OOM). */
struct ps_metrics_selector *ps_metrics_selector_new(const char *s);
void ps_metrics_selector_free(struct ps_metrics_selector *sel);   /* NULL-safe */
const char *ps_metrics_selector_name(const struct ps_metrics_selector *sel);
/* 1 if series id has the selector's name and every matcher's value. */
int ps_metrics_selector_match(const struct ps_metrics_selector *sel,
                              const struct ps_facts *f, uint32_t id);

/*
 * The stage summary as JSON (owned by the caller): {"files": [...],
 * "metrics": [{"name","type","help","unit","series":[{"labels",
 * "samples","first","last","min","max","last_value","max_gap",...}]}]}.
 * names/nnames are selectors (ps_metrics_selector_new syntax) that pick
 * series; NULL, 0: all of ours; a selector that does not parse matches
 * nothing.
 * with_samples adds every sample to each series. NULL on OOM.
 */
json_t *ps_metrics_json(const struct ps_metrics *m, const struct ps_facts *f,
                        const char *const *names, size_t nnames, int with_samples);

/*
 * A compact summary for reports, bounded by the number of files and metric
 * names rather than series: {"files": [...], "metrics": [{"name", "type",
 * "series", "samples", "first", "last"}]}. NULL on OOM.
 */
json_t *ps_metrics_summary_json(const struct ps_metrics *m, const struct ps_facts *f);

#endif
