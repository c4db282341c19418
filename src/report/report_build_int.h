/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * report_build_int.h - the parts of ps_report_build(), one per report
 * section, split over report_build.c (verdict, timeline, assembly),
 * report_charts.c (charts, data at risk, checklist) and report_sections.c
 * (stage tables, inventory, problems, redactions, metrics). Each returns a
 * new JSON reference.
 */
#ifndef PS_REPORT_BUILD_INT_H
#define PS_REPORT_BUILD_INT_H

#include <jansson.h>

#include "promsight/ps_facts.h"
#include "promsight/ps_report.h"

json_t *rb_bundle(const struct ps_report_inputs *in);
json_t *rb_window(const struct ps_report_inputs *in);
json_t *rb_rules(const json_t *diagnosis);
json_t *rb_charts(const struct ps_facts *f, const json_t *findings,
                  const json_t *plan);
json_t *rb_data_at_risk(const struct ps_report_inputs *in, const json_t *findings);
json_t *rb_checklist(const struct ps_report_inputs *in, const json_t *findings);
json_t *rb_sections(const struct ps_report_inputs *in);
json_t *rb_inventory(const struct ps_report_inputs *in);
json_t *rb_problems(const struct ps_report_inputs *in);
json_t *rb_redactions(const struct ps_report_inputs *in);
json_t *rb_metrics(const struct ps_report_inputs *in, const json_t *findings);

/* shared helpers (report_build.c) */
const char *rb_sev_name(enum ps_sev s);
json_t *rb_text(const char *s, size_t max);
json_t *rb_labels(const struct ps_facts *f, uint32_t id);
int rb_last(const struct ps_facts *f, uint32_t id, struct ps_sample *out);
json_t *rb_sorted(const json_t *arr, int (*cmp)(const void *, const void *));

#endif
