/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * analyze_plan.c - the capacity step of analyze (analyze_int.h).
 * PROVISIONAL: returns no plan until the capacity stage exposes its JSON;
 * the report then shows no capacity section.
 */
#include "report/analyze_int.h"

json_t *
ps_analyze_plan_json(struct ps_ingest *in, const char *models_dir, const char *pricing)
{
    (void)in;
    (void)models_dir;
    (void)pricing;
    return NULL;
}
