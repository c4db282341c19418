/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ps_facts.h - the fact store: one world of time series and events with
 * labels, which every reader writes and the rule engine and growth models
 * read. Sources never get special cases downstream: the WAL reader's
 * statistics, a block's stats, a log line that matched a signature and a
 * scraped metric all end up as series or events here.
 *
 * Series: a metric name plus a label set -> samples (ms timestamp, float).
 * The metric name is stored as the label "__name__" as in Prometheus, and
 * label sets are kept sorted by name. Samples of a series are kept sorted
 * by time; a second sample at an existing timestamp replaces the first.
 * Events: timestamp, class, labels, message, and where they came from.
 *
 * Provenance: every sample and event carries a source id (ps_facts_source)
 * naming the bundle entry it came from, plus, for events, a byte offset or
 * line number.
 *
 * Strings are interned; everything returned is borrowed from the store
 * and valid until ps_facts_free() (label arrays and sample arrays: until the
 * next call that adds to that series).
 *
 * Secrets: callers redact before adding (ps_redact.h); the store does not
 * inspect values.
 */
#ifndef PS_FACTS_H
#define PS_FACTS_H

#include <stddef.h>
#include <stdint.h>

#include "promsight/ps_err.h"

struct ps_facts;

struct ps_label {
    const char *name;
    const char *value;
};

struct ps_sample {
    int64_t t;       /* ms since epoch, UTC */
    double v;
    uint32_t src;    /* ps_facts_source id */
};

struct ps_event {
    int64_t t;                 /* ms since epoch, UTC */
    const char *cls;           /* problem class or event kind, e.g. "remote_write.unreachable" */
    const char *signature;     /* signature id, e.g. "P3", or NULL */
    enum ps_sev sev;
    const struct ps_label *labels;  /* sorted by name */
    size_t nlabels;
    const char *message;       /* redacted raw line or summary */
    uint32_t src;              /* source id */
    uint64_t off;              /* byte offset in the source, PS_OFF_NONE if n/a */
    uint32_t line;             /* 1-based line in the source, 0 if n/a */
};

#define PS_SRC_NONE UINT32_MAX

struct ps_facts *ps_facts_new(void);   /* NULL on OOM */
void ps_facts_free(struct ps_facts *f); /* NULL-safe */

/* Register (or find) a source: a bundle entry path, or "derived:<what>". */
uint32_t ps_facts_source(struct ps_facts *f, const char *path);
const char *ps_facts_source_path(const struct ps_facts *f, uint32_t src);
size_t ps_facts_nsources(const struct ps_facts *f);

/*
 * Find or create the series metric{labels}. labels need not be sorted and
 * must not contain "__name__" (pass the name as metric). Empty label values
 * are dropped, as Prometheus does. *id gets the series id (0..n-1).
 */
enum ps_err ps_facts_series(struct ps_facts *f, const char *metric,
                            const struct ps_label *labels, size_t nlabels,
                            uint32_t *id);

/* Add one sample. Out-of-order times are inserted in place. */
enum ps_err ps_facts_add_sample(struct ps_facts *f, uint32_t id, int64_t t,
                                double v, uint32_t src);

/* Shorthand: ps_facts_series + ps_facts_add_sample. */
enum ps_err ps_facts_add(struct ps_facts *f, const char *metric,
                         const struct ps_label *labels, size_t nlabels,
                         int64_t t, double v, uint32_t src);

/*
 * Add an event. ev->labels need not be sorted; all strings are copied
 * (interned). ev->message is stored as given: redact first.
 */
enum ps_err ps_facts_add_event(struct ps_facts *f, const struct ps_event *ev);

/* ---- reading ---- */

size_t ps_facts_nseries(const struct ps_facts *f);
const char *ps_facts_series_metric(const struct ps_facts *f, uint32_t id);
/* Labels of a series, sorted by name, including __name__. */
size_t ps_facts_series_labels(const struct ps_facts *f, uint32_t id,
                              const struct ps_label **labels);
/* Value of one label, or NULL. */
const char *ps_facts_series_label(const struct ps_facts *f, uint32_t id,
                                  const char *name);
/* Samples sorted by time. */
size_t ps_facts_series_samples(const struct ps_facts *f, uint32_t id,
                               const struct ps_sample **samples);

/*
 * Ids of all series with this metric name, in label-set order (canonical:
 * the same whatever order the sources were read in, so a directory and its
 * archive give the same output); count returned. Iterate series through
 * metric names and this function rather than by id.
 */
size_t ps_facts_metric_series(const struct ps_facts *f, const char *metric,
                              const uint32_t **ids);
/* Every distinct metric name, sorted; count returned. */
size_t ps_facts_metric_names(const struct ps_facts *f, const char *const **names);

size_t ps_facts_nevents(const struct ps_facts *f);
/* Events in insertion order; ps_facts_sort_events() orders them
 * canonically: by time, source path, line, offset, class, message. */
const struct ps_event *ps_facts_event(const struct ps_facts *f, size_t i);
void ps_facts_sort_events(struct ps_facts *f);

/* Earliest and latest sample or event time; returns 0 if the store is empty. */
int ps_facts_time_range(const struct ps_facts *f, int64_t *min_t, int64_t *max_t);

#endif
