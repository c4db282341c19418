/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_k8s_json.c - libFuzzer harness: Kubernetes objects and Lists (JSON or YAML), with embedded ConfigMap data,
 * through ps_config_ingest (sniff, bounded tree, redaction, publishing to
 * a fact store) and the struct API. Seeds: tests/fuzz/corpus/k8s_json/.
 */
#include <stddef.h>
#include <stdint.h>

#include "promsight/ps_config.h"
#include "promsight/ps_facts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ps_facts *f = ps_facts_new();
    struct ps_diags d;
    struct ps_redact_stats st = {0, 0, 0};
    struct ps_entry e = {0};
    e.path = "fuzz";
    e.kind = PS_KIND_CONFIG;
    e.pod = "pod-0";
    ps_diags_init(&d);
    if (f != NULL)
        (void)ps_config_ingest(&e, data, size, 1000, f, &st, &d, NULL);

    ps_facts_free(f);
    ps_diags_free(&d);
    return 0;
}
