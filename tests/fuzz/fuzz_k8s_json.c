/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_k8s_json.c - libFuzzer harness: Kubernetes objects and Lists (JSON or YAML), with embedded ConfigMap data,
 * through ps_config_ingest (sniff, bounded tree, redaction, publishing to
 * a fact store) and the struct API. Seeds: tests/fuzz/corpus/k8s_json/.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_config_ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ps_diags d;
    struct ps_redact_stats st = {0, 0, 0};
    ps_diags_init(&d);
    fuzz_config_ingest(data, size, &st, &d);
    ps_diags_free(&d);
    return 0;
}
