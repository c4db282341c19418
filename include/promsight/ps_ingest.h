/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ps_ingest.h - turn a whole bundle into facts: walk it once, hand every
 * entry to the stage that reads its kind (WAL, TSDB, logs, metric dumps,
 * API JSON, configs), and collect the fact store, the inventory, every
 * diagnostic, what was redacted where, and each stage's JSON summary (the
 * same JSON its own subcommand prints), which the reports embed.
 *
 * Ownership: everything in a struct ps_ingest is owned by it; release with
 * ps_ingest_free().
 */
#ifndef PS_INGEST_H
#define PS_INGEST_H

#include <jansson.h>

#include "promsight/ps_bundle.h"
#include "promsight/ps_err.h"
#include "promsight/ps_facts.h"
#include "promsight/ps_redact.h"

struct ps_ingest_opts {
    const struct ps_bundle_limits *limits;  /* NULL: defaults */
    const char *models_dir;                 /* NULL: ps_models_dir() */
    /* Metric names whose samples to load from TSDB blocks and WAL (the
     * names rule expressions reference; docs/tsdb-samples-as-facts.md).
     * NULL: the names the built-in rules reference. The capacity
     * planner's names are always added. */
    const char *const *tsdb_metrics;
    size_t ntsdb_metrics;
};

struct ps_redact_file {
    char *path;
    struct ps_redact_stats stats;
};

struct ps_ingest {
    char *bundle_path;                 /* as given; paths in output are relative to it */
    struct ps_facts *facts;
    struct ps_inventory inventory;
    struct ps_diags diags;
    struct ps_redact_file *redacted;   /* files where something was redacted */
    size_t nredacted;
    /* Stage summaries (NULL when the bundle had nothing for the stage). */
    json_t *wal;
    json_t *tsdb;
    json_t *logs;
    json_t *metrics;
    json_t *config;
};

enum ps_err ps_ingest_bundle(const char *path, const struct ps_ingest_opts *opts,
                             struct ps_ingest *out);
void ps_ingest_free(struct ps_ingest *in);   /* NULL-safe */

/* Record that a file had secrets redacted (merged per path). */
void ps_ingest_note_redaction(struct ps_ingest *in, const char *path,
                              const struct ps_redact_stats *st);

#endif
