/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_hashring.c - libFuzzer harness: Thanos hashrings.json,
 * through ps_config_ingest (sniff, bounded tree, redaction, publishing to
 * a fact store) and the struct API. Seeds: tests/fuzz/corpus/hashring/.
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
    struct ps_hashrings h;
    if (ps_config_parse_hashrings(data, size, "fuzz", &h, &st, &d) == PS_OK)
        ps_hashrings_free(&h);
    ps_diags_free(&d);
    return 0;
}
