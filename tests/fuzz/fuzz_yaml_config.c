/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_yaml_config.c - libFuzzer harness: Prometheus/agent YAML, flags, df and anything else ps_config_ingest sniffs,
 * through ps_config_ingest (sniff, bounded tree, redaction, publishing to
 * a fact store) and the struct API. Seeds: tests/fuzz/corpus/yaml_config/.
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
    struct ps_prom_config c;
    if (ps_config_parse_prom(data, size, "fuzz", PS_RW_DEFAULTS_2_42, &c, &st, &d) != PS_E_NOMEM)
        ps_prom_config_free(&c);
    struct ps_flags fl;
    if (ps_config_parse_flags_text(data, size, &fl, &st) == PS_OK) {
        ps_config_flags_effective(&fl);
        ps_flags_free(&fl);
    }
    ps_diags_free(&d);
    return 0;
}
