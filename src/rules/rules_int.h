/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * rules_int.h - internals shared by the rule engine's files: a loaded rule,
 * the rule set, the YAML helpers (libyaml's document API), and the per-rule
 * alert state machine that both the range evaluation (rules_eval.c) and
 * the promtool-style tests (rules_test.c) step through time.
 *
 * Ownership: struct ps_rules owns its rules and everything in them; an
 * alert state owns copies of its alerts' label sets.
 */
#ifndef PS_RULES_RULES_INT_H
#define PS_RULES_RULES_INT_H

#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#include "promsight/ps_rules.h"
#include "rules/pq_int.h"

#define PS_RULES_MAX_PER_FILE 10000
#define PS_RULES_MAX_ALERTS 100000   /* live alerts of one rule */

struct rule_kv {
    char *k, *v;
};

struct rule {
    char *id;
    char *cls;                /* NULL if no class label */
    char *sev_text;           /* NULL if no severity label */
    enum ps_rule_sev sev;
    char *expr_src;
    struct pq_expr *expr;
    int64_t for_ms;
    struct rule_kv *labels;   /* rule labels, sorted by key */
    size_t nlabels;
    struct rule_kv *ann;      /* annotations, in file order */
    size_t nann;
    char *file;
    char *group;
    uint32_t line;
    int disabled;
};

struct ps_rules {
    struct rule *v;
    size_t n, cap;
};

const char *rule_ann(const struct rule *r, const char *key);

/* ---- YAML helpers ---- */
yaml_node_t *ry_get(yaml_document_t *doc, yaml_node_t *map, const char *key);
/* Scalar text (NUL-terminated by libyaml) or NULL if not a scalar. */
const char *ry_str(yaml_node_t *n);
uint32_t ry_line(yaml_node_t *n);   /* 1-based */
/* Parse a Prometheus duration ("1m", "1h30m", "0s"); 0 on success. */
int ry_duration(const char *s, int64_t *ms);

/* ---- alert state machine ---- */
struct alert {
    struct ps_label *lab;     /* sample labels incl. __name__, owned */
    uint32_t nlab;
    uint64_t h;
    uint32_t sid;             /* series the labels came from, or UINT32_MAX */
    int64_t active_at;
    double v;
    int seen;
    int firing;
    /* evidence of the current episode */
    int in_episode;
    int64_t ep_first, ep_last, ep_peak_t;
    double ep_first_v, ep_last_v, ep_peak_v;
};

struct alert_state {
    struct alert *v;
    size_t n, cap;
    struct ps_map64 idx;      /* label hash -> index+1 (probe on collision) */
    size_t *order;            /* alert index of each element of the last step */
    size_t norder, order_cap;
    struct pq_selcache *cache;
    uint32_t ncache;
    struct pq_arena arena;
    struct pq_sigcache *sigc;
    struct pq_pool *pool;         /* borrowed; NULL: plain malloc/free */
    int64_t grid_t0, grid_step;   /* the steps to come, if known (pq_ctx) */
    size_t grid_n;
};

void alert_state_init(struct alert_state *st, const struct rule *r);
void alert_state_free(struct alert_state *st);

/*
 * Evaluate rule r at time t over f and update the alerts (pending ->
 * firing after for:, gone when not returned). Returns PS_OK, or PS_E_EVAL
 * with a message in err.
 */
enum ps_err alert_state_step(struct alert_state *st, const struct rule *r,
                             const struct ps_facts *f, int64_t t, char *err,
                             size_t errn);
/* Drop the alerts not returned by the last step; on_remove (may be NULL)
 * sees each first and may take its labels (set a->lab = NULL). */
int alert_state_sweep(struct alert_state *st,
                      void (*on_remove)(struct alert *a, void *arg), void *arg);

/* Alert labels: sample labels minus __name__, then the rule's labels
 * (rendered) and alertname, sorted. Returns a malloc'd array whose strings
 * are malloc'd too (rules_labels_free), count in *n; NULL on OOM. */
struct ps_label *alert_labels(const struct rule *r, const struct alert *a, size_t *n);
void rules_labels_free(struct ps_label *l, size_t n);
/* Deep copy (malloc'd strings); NULL on OOM. */
struct ps_label *rules_labels_dup(const struct ps_label *l, size_t n);

/* Render annotation `key` (or key_ko with lang "ko" if present); malloc'd
 * string, NULL if the rule has no such annotation. */
char *alert_render(const struct rule *r, const char *key, const char *lang,
                   const struct alert *a);

/* Parse a series descriptor `metric{a="b"}` (promtool input_series). */
int rules_parse_series(const char *s, char **metric, struct ps_label **labels,
                       size_t *nlabels, char *err, size_t errn);

#endif
