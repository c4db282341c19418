/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_api_json.c - libFuzzer harness: any bytes as a Prometheus HTTP API
 * answer, under two file names (a query_range and a status file) so both
 * the query and the status readers run, with a small nesting limit.
 */
#include <stdint.h>
#include <string.h>

#include "promsight/ps_facts.h"
#include "promsight/ps_metrics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ps_metrics_limits lim;
    ps_metrics_limits_default(&lim);
    lim.max_json_depth = 6;
    lim.max_labels = 8;
    lim.max_line = 256;
    struct ps_diags d;
    ps_diags_init(&d);
    struct ps_facts *f = ps_facts_new();
    struct ps_metrics *m = f != NULL ? ps_metrics_new(f, &d, &lim) : NULL;
    if (m != NULL) {
        struct ps_entry e;
        memset(&e, 0, sizeof(e));
        e.kind = PS_KIND_API_JSON;
        e.pod = "prometheus-0";
        e.path = "api/query_range-up.json";
        (void)ps_metrics_load_api_json(m, &e, data, size);
        e.path = "api/status-1795502084.json";
        e.tenant = "t";
        (void)ps_metrics_load_api_json(m, &e, data, size);
        (void)ps_metrics_finish(m);
        json_t *j = ps_metrics_json(m, f, NULL, 0, 1);
        json_decref(j);
    }
    ps_metrics_free(m);
    ps_facts_free(f);
    ps_diags_free(&d);
    return 0;
}
