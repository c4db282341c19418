/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_exposition.c - libFuzzer harness: any bytes as three dumps of one
 * target (text format 0.0.4 / OpenMetrics) into a fact store, in memory
 * and streamed in small reads, so the series cache is filled and hit,
 * with small limits so long lines, the label limit and the sample limit
 * are reached often. The JSON report is built for one input in four (by
 * length, so the text itself stays free): it was a quarter of the time of
 * the harness and is the same straight-line jansson calls for every input.
 */
#include <stdint.h>
#include <string.h>

#include "promsight/ps_facts.h"
#include "promsight/ps_metrics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct rd {
    const uint8_t *p;
    size_t n, off;
};

static ssize_t
rd_read(void *ctx, void *buf, size_t n)
{
    struct rd *r = ctx;
    size_t k = r->n - r->off;
    if (k > 7)
        k = 7;
    if (k > n)
        k = n;
    memcpy(buf, r->p + r->off, k);
    r->off += k;
    return (ssize_t)k;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ps_metrics_limits lim;
    ps_metrics_limits_default(&lim);
    lim.max_line = 256;
    lim.max_labels = 8;
    lim.max_samples = 64;
    struct ps_diags d;
    ps_diags_init(&d);
    struct ps_facts *f = ps_facts_new();
    struct ps_metrics *m = f != NULL ? ps_metrics_new(f, &d, &lim) : NULL;
    if (m != NULL) {
        struct ps_entry e;
        memset(&e, 0, sizeof(e));
        e.path = "fuzz/1795502084.prom";
        e.kind = PS_KIND_METRIC_DUMP;
        e.pod = "p";
        e.container = "c";
        (void)ps_metrics_load_exposition_mem(m, &e, data, size);
        e.path = "fuzz/1795502099.prom";    /* the target's next dump: fills the cache */
        (void)ps_metrics_load_exposition_mem(m, &e, data, size);
        struct rd r = {data, size, 0};     /* and the one after: cache hits */
        e.path = "fuzz/metrics.om";
        e.mtime_ms = 1795502099000;
        (void)ps_metrics_load_exposition(m, &e, rd_read, &r);
        (void)ps_metrics_finish(m);
        if (size % 4 == 0) {
            json_t *j = ps_metrics_json(m, f, NULL, 0, 1);
            json_decref(j);
        }
    }
    ps_metrics_free(m);
    ps_facts_free(f);
    ps_diags_free(&d);
    return 0;
}
