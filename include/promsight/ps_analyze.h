/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ps_analyze.h - the whole job, as `promsight analyze` runs it: ingest the
 * bundle once (ps_ingest.h), evaluate the rule sets over the facts
 * (ps_rules.h), fit and size capacity (ps_plan.h), and assemble the report
 * document (ps_report.h). The CLI only parses options, renders the
 * document into files and prints a verdict.
 *
 * Ownership: *report is a new JSON reference owned by the caller.
 */
#ifndef PS_ANALYZE_H
#define PS_ANALYZE_H

#include <jansson.h>

#include "promsight/ps_err.h"

#define PS_ANALYZE_MAX_RULE_DIRS 16
#define PS_ANALYZE_MAX_DISABLE 64

/* Progress callback: stage name, stage number (1-based) and count. */
typedef void (*ps_analyze_progress_fn)(void *ctx, const char *stage, int i, int n);

struct ps_analyze_opts {
    const char *bundle;             /* path of the bundle */
    const char *models_dir;         /* NULL: ps_models_dir() */
    const char *rule_dirs[PS_ANALYZE_MAX_RULE_DIRS]; /* --rules, in addition */
    size_t nrule_dirs;
    const char *disable[PS_ANALYZE_MAX_DISABLE];     /* --disable ID|CLASS */
    size_t ndisable;
    const char *pricing;            /* --pricing FILE, NULL: the shipped example */
    const char *lang;               /* "en" or "ko" (rule annotations) */
    int64_t at_ms;                  /* --at: evaluate one instant; 0: whole window */
    int64_t step_ms;                /* --step; 0: from the data */
    ps_analyze_progress_fn progress;
    void *progress_ctx;
};

/*
 * Run every stage. Problems with the input end up in the report
 * ("problems"); only an unopenable bundle or OOM fail the call. diags
 * receives rule-file problems (a broken user rule file is an error the
 * user must see).
 */
enum ps_err ps_analyze_run(const struct ps_analyze_opts *o, json_t **report,
                           struct ps_diags *diags);

/* "name" of a bundle path as the report shows it: the last component
 * without archive suffixes (so a directory and its archives agree). */
void ps_analyze_bundle_name(const char *path, char *buf, size_t n);

#endif
