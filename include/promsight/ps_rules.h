/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ps_rules.h - the rule engine: Prometheus-style alerting rule files whose
 * expressions (a PromQL subset) are evaluated over the fact store at every
 * step of the bundle's time window, giving findings (rule, problem class,
 * severity, rendered texts, first/last time, peak, evidence series and the
 * linked log events) and the rules skipped because their inputs are absent.
 * Also: promtool-style rule unit tests, and one-off queries.
 *
 * Rule files have the shape of Prometheus rule files (groups -> rules with
 * alert, expr, for, labels, annotations); promsight reads labels.severity
 * (critical | warning | info) and labels.class (a problem class, see
 * ps_rules_classes()), and annotations summary, description, advice,
 * runbook_url and their _ko variants. docs/rules.md is the guide.
 *
 * Ownership: a struct ps_rules owns its rules (ps_rules_free). A struct
 * ps_rules_result owns every string and array in it
 * (ps_rules_result_free). The fact store is only read, and must not be
 * added to while a result's borrowed pointers are used (there are none:
 * results copy what they keep). Nothing here prints or reads the clock.
 */
#ifndef PS_RULES_H
#define PS_RULES_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "promsight/ps_err.h"
#include "promsight/ps_facts.h"
#include "promsight/ps_util.h"

enum ps_rule_sev { PS_RSEV_INFO, PS_RSEV_WARNING, PS_RSEV_CRITICAL };

const char *ps_rule_sev_name(enum ps_rule_sev s);   /* "info", ... */
/* "info" | "warning" | "critical" -> *s; returns 0, or -1 if unknown. */
int ps_rule_sev_parse(const char *s, enum ps_rule_sev *out);

/* The stable problem-class keys (docs/problem-classes.md). */
const char *const *ps_rules_classes(size_t *n);
int ps_rules_class_known(const char *cls);

struct ps_rules;

struct ps_rule_info {
    const char *id;        /* the alert name */
    const char *cls;       /* labels.class or NULL */
    const char *sev_text;  /* labels.severity as written, or NULL */
    const char *expr;
    const char *file;
    uint32_t line;         /* of the rule in its file */
    int64_t for_ms;
    int disabled;
};

struct ps_rules *ps_rules_new(void);   /* NULL on OOM */
void ps_rules_free(struct ps_rules *r); /* NULL-safe */

/*
 * Load a rule file (YAML). Problems (YAML syntax, a bad expression - with
 * file, rule and column -, unknown template functions) are diagnostics;
 * the rules that can be read are kept. Returns PS_E_IO if the file cannot
 * be read, PS_E_SYNTAX if any rule was dropped, else PS_OK.
 */
enum ps_err ps_rules_load_file(struct ps_rules *r, const char *path,
                               struct ps_diags *d);
enum ps_err ps_rules_load_mem(struct ps_rules *r, const char *name,
                              const char *buf, size_t n, struct ps_diags *d);
/* Every *.yaml / *.yml directly in dir, in name order. */
enum ps_err ps_rules_load_dir(struct ps_rules *r, const char *dir,
                              struct ps_diags *d);

size_t ps_rules_count(const struct ps_rules *r);
void ps_rules_get(const struct ps_rules *r, size_t i, struct ps_rule_info *out);

/* Disable every rule whose id or class equals key; returns how many. */
size_t ps_rules_disable(struct ps_rules *r, const char *key);

/*
 * promsight's requirements on top of the syntax: a known class, a severity
 * of critical|warning|info, summary and description annotations, unique
 * ids. Each problem is an error diagnostic; returns their number.
 */
size_t ps_rules_check(const struct ps_rules *r, struct ps_diags *d);

/* Distinct metric names the enabled rules select (sorted, borrowed from r;
 * free the array itself). */
size_t ps_rules_metric_names(const struct ps_rules *r, const char ***names);

/* ---- evaluation over a fact store ---- */

#define PS_RULES_DEFAULT_MAX_EVENTS 20
#define PS_RULES_MIN_STEP_MS 15000

struct ps_rules_opts {
    int64_t start, end;    /* window in ms; 0,0 = ps_facts_time_range() */
    int64_t step;          /* ms; 0 = median sample spacing, >= 15 s */
    int64_t at;            /* != 0: evaluate the single instant `at` */
    const char *lang;      /* "ko" picks *_ko annotations; NULL/"en" not */
    size_t max_events;     /* evidence events per finding; 0 = default */
};

struct ps_evidence_series {
    struct ps_label *labels;   /* sorted, owned */
    size_t nlabels;
    int64_t *t;
    double *v;
    size_t n;
};

struct ps_evidence_event {
    int64_t t;
    char *file;
    uint32_t line;             /* 0 if n/a */
    uint64_t off;              /* PS_OFF_NONE if n/a */
    char *signature;           /* may be NULL */
    char *message;
};

struct ps_finding {
    char *rule, *cls;
    enum ps_rule_sev sev;
    char *summary, *description, *advice, *runbook_url;  /* may be NULL */
    int64_t first, last;       /* ms */
    double peak;               /* largest value while firing */
    struct ps_label *labels;   /* labels common to every firing series */
    size_t nlabels;
    struct ps_evidence_series *series;
    size_t nseries;
    size_t series_total;
    struct ps_evidence_event *events;
    size_t nevents;
    size_t events_total;
};

struct ps_skipped {
    char *rule, *cls;
    char **missing;            /* metric names (or "logs") not in the store */
    size_t nmissing;
};

struct ps_rules_result {
    struct ps_finding *findings;   /* sorted: severity desc, first, rule */
    size_t nfindings;
    struct ps_skipped *skipped;    /* sorted by rule */
    size_t nskipped;
    int64_t start, end, step;
    size_t nrules;                 /* enabled rules evaluated or skipped */
};

/*
 * Evaluate every enabled rule at start, start+step, ... <= end. `for:`
 * holds if the series was returned at every step for that long. A finding
 * is one episode of a rule: consecutive steps at which some series fired.
 * Evaluation errors of a rule are diagnostics; other rules still run.
 */
enum ps_err ps_rules_eval(const struct ps_rules *r, const struct ps_facts *f,
                          const struct ps_rules_opts *o,
                          struct ps_rules_result *out, struct ps_diags *d);
void ps_rules_result_free(struct ps_rules_result *res);  /* NULL-safe */

/*
 * Publish every event of f as the counter promsight_events_total{class,
 * signature, <event labels>} (+1 per event at its time), so rules can use
 * events of any reader. Call once, after ingest and before ps_rules_eval.
 */
enum ps_err ps_rules_add_event_series(struct ps_facts *f);

/* The JSON contract: {"findings":[...],"skipped":[...],"window":{...}}. */
json_t *ps_rules_result_json(const struct ps_rules_result *res);

/* ---- promtool-style unit tests (`promsight rules test`) ---- */

/*
 * Run a test file in the shape of `promtool test rules`. rule_files are
 * relative to the test file. Human-readable results are appended to log;
 * *failed gets the number of failed test cases (0 = all passed). Returns
 * an error only when the file itself cannot be used.
 */
enum ps_err ps_rules_test_file(const char *path, struct ps_buf *log,
                               size_t *failed, struct ps_diags *d);

/*
 * Expand promtool's series notation ("1+2x3 _ stale 5x2") into values;
 * gaps ('_') are NAN with *present 0, stale markers are Prometheus' stale
 * NaN. Returns 0, or -1 with a message in err.
 */
int ps_rules_expand_values(const char *s, double **vals, uint8_t **present,
                           size_t *n, size_t max, char *err, size_t errn);

/* ---- templates and single queries ---- */

/*
 * Render a Prometheus alert template ({{ $value }}, {{ $labels.x }},
 * humanize, humanize1024, humanizeDuration, humanizePercentage, printf,
 * toUpper, toLower, title, if/else/end) into out. Returns 0, or -1 with
 * a message in err (out then holds what was rendered).
 */
int ps_rules_render(const char *tmpl, size_t n, const struct ps_label *labels,
                    size_t nlabels, double value, struct ps_buf *out,
                    char *err, size_t errn);

struct ps_query_sample {
    char *labels;          /* canonical metric{a="b", ...} */
    double v;
};

/*
 * Evaluate one expression at time t (ms). A scalar result is returned as
 * one sample with labels "" and *is_scalar 1. Parse errors give
 * PS_E_SYNTAX with "col N: message" in err.
 */
enum ps_err ps_rules_query(const struct ps_facts *f, const char *expr, int64_t t,
                           struct ps_query_sample **out, size_t *n,
                           int *is_scalar, char *err, size_t errn);
void ps_rules_query_free(struct ps_query_sample *s, size_t n);

/* Go's %v rendering of a float64 ("1e+06", "0.5", "NaN", "+Inf"). */
void ps_rules_fmt_go_float(double v, char *buf, size_t n);

#endif
