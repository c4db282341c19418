/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_hashring.c - libFuzzer harness: Thanos hashrings.json,
 * through ps_config_ingest (sniff, bounded tree, redaction, publishing to
 * a fact store) and the struct API. Seeds: tests/fuzz/corpus/hashring/.
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
    struct ps_hashrings h;
    if (ps_config_parse_hashrings(data, size, "fuzz", &h, &st, &d) == PS_OK)
        ps_hashrings_free(&h);
    ps_facts_free(f);
    ps_diags_free(&d);
    return 0;
}
