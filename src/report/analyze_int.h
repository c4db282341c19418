/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * analyze_int.h - steps of the analyze pipeline kept out of analyze.c.
 */
#ifndef PS_ANALYZE_INT_H
#define PS_ANALYZE_INT_H

#include <jansson.h>

#include "promsight/ps_ingest.h"

/*
 * The capacity plan as JSON for the report ("charts", "report_sections",
 * "metrics", "object_storage" ...), from the ingested facts, the sizing
 * model in models_dir and the pricing file (NULL: the shipped example).
 * NULL when the bundle holds no capacity series.
 */
json_t *ps_analyze_plan_json(struct ps_ingest *in, const char *models_dir,
                             const char *pricing);

#endif
