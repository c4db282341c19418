/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * rules_check.c - the problem classes promsight knows (stable keys the JSON
 * report, tests and users rely on; docs/problem-classes.md), severities,
 * and `rules check`: promsight's requirements on a loaded rule set beyond
 * syntax (known class, valid severity, summary and description present,
 * unique ids), plus the metric names the rules read.
 */
#include <stdlib.h>
#include <string.h>

#include "rules/rules_int.h"

#define PHASE "rules: check"

static const char *const classes[] = {
    "cardinality.high",
    "churn.high",
    "config.hashring",
    "config.queue",
    "disk.exhaustion_forecast",
    "disk.full",
    "pod.oomkilled",
    "pod.restarts",
    "receiver.duplicate",
    "receiver.forwarding",
    "receiver.hashring",
    "receiver.not_ready",
    "receiver.out_of_bounds",
    "receiver.out_of_order",
    "receiver.replication",
    "receiver.tenant_limit",
    "receiver.upload_stalled",
    "remote_write.behind",
    "remote_write.data_loss_risk",
    "remote_write.misconfigured",
    "remote_write.rejected",
    "remote_write.server_error",
    "remote_write.shards_maxed",
    "remote_write.throttled",
    "remote_write.timeout",
    "remote_write.unreachable",
    "tsdb.compaction_failed",
    "tsdb.corruption",
    "tsdb.gap",
    "tsdb.overlap",
    "wal.corruption",
    "wal.growth",
    "wal.truncation_failed",
};

const char *const *
ps_rules_classes(size_t *n)
{
    *n = sizeof(classes) / sizeof(classes[0]);
    return classes;
}

int
ps_rules_class_known(const char *cls)
{
    for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
        if (strcmp(classes[i], cls) == 0)
            return 1;
    return 0;
}

const char *
ps_rule_sev_name(enum ps_rule_sev s)
{
    switch (s) {
    case PS_RSEV_INFO: return "info";
    case PS_RSEV_WARNING: return "warning";
    case PS_RSEV_CRITICAL: return "critical";
    }
    return "?";
}

int
ps_rule_sev_parse(const char *s, enum ps_rule_sev *out)
{
    if (strcmp(s, "info") == 0)
        *out = PS_RSEV_INFO;
    else if (strcmp(s, "warning") == 0)
        *out = PS_RSEV_WARNING;
    else if (strcmp(s, "critical") == 0)
        *out = PS_RSEV_CRITICAL;
    else
        return -1;
    return 0;
}

size_t
ps_rules_check(const struct ps_rules *rs, struct ps_diags *d)
{
    size_t errs = 0;
    for (size_t i = 0; i < rs->n; i++) {
        const struct rule *r = &rs->v[i];
        if (r->cls == NULL) {
            ps_diag_add(d, PS_SEV_ERROR, PS_E_SYNTAX, r->file, PS_OFF_NONE, r->line, PHASE,
                        "rule %s: missing labels.class", r->id);
            errs++;
        } else if (!ps_rules_class_known(r->cls)) {
            ps_diag_add(d, PS_SEV_ERROR, PS_E_SYNTAX, r->file, PS_OFF_NONE, r->line, PHASE,
                        "rule %s: unknown class \"%s\" (see docs/problem-classes.md)",
                        r->id, r->cls);
            errs++;
        }
        enum ps_rule_sev s;
        if (r->sev_text == NULL || ps_rule_sev_parse(r->sev_text, &s) != 0) {
            ps_diag_add(d, PS_SEV_ERROR, PS_E_SYNTAX, r->file, PS_OFF_NONE, r->line, PHASE,
                        "rule %s: labels.severity must be critical, warning or info%s%s%s",
                        r->id, r->sev_text ? " (got \"" : "", r->sev_text ? r->sev_text : "",
                        r->sev_text ? "\")" : "");
            errs++;
        }
        static const char *const need[] = {"summary", "description"};
        for (size_t k = 0; k < 2; k++) {
            const char *a = rule_ann(r, need[k]);
            if (a == NULL || *a == 0) {
                ps_diag_add(d, PS_SEV_ERROR, PS_E_SYNTAX, r->file, PS_OFF_NONE, r->line,
                            PHASE, "rule %s: missing annotation \"%s\"", r->id, need[k]);
                errs++;
            }
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(rs->v[j].id, r->id) == 0) {
                ps_diag_add(d, PS_SEV_ERROR, PS_E_SYNTAX, r->file, PS_OFF_NONE, r->line,
                            PHASE, "rule %s: duplicate id (first defined in %s:%u)", r->id,
                            rs->v[j].file, rs->v[j].line);
                errs++;
                break;
            }
        }
    }
    return errs;
}

struct names {
    const char **v;
    size_t n, cap;
    int fail;
};

static void
add_name(const struct pq_node *sel, int in_absent, void *arg)
{
    (void)in_absent;
    struct names *nm = arg;
    if (sel->metric == NULL || nm->fail)
        return;
    for (size_t i = 0; i < nm->n; i++)
        if (strcmp(nm->v[i], sel->metric) == 0)
            return;
    if (ps_grow((void **)&nm->v, &nm->cap, nm->n + 1, sizeof(*nm->v)) != PS_OK) {
        nm->fail = 1;
        return;
    }
    nm->v[nm->n++] = sel->metric;
}

static int
cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

size_t
ps_rules_metric_names(const struct ps_rules *rs, const char ***out)
{
    struct names nm = {0};
    for (size_t i = 0; i < rs->n; i++)
        if (!rs->v[i].disabled)
            pq_walk_selectors(rs->v[i].expr->root, 0, add_name, &nm);
    if (nm.fail) {
        free(nm.v);
        *out = NULL;
        return 0;
    }
    if (nm.n > 1)
        qsort(nm.v, nm.n, sizeof(*nm.v), cmp_cstr);
    *out = nm.v;
    return nm.n;
}
