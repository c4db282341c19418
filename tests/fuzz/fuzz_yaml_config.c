/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_yaml_config.c - libFuzzer harness: Prometheus/agent YAML, flags, df and anything else ps_config_ingest sniffs,
 * through ps_config_ingest (sniff, bounded tree, redaction, publishing to
 * a fact store) and the struct API. Seeds: tests/fuzz/corpus/yaml_config/.
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
    struct ps_prom_config c;
    if (ps_config_parse_prom(data, size, "fuzz", PS_RW_DEFAULTS_2_42, &c, &st, &d) != PS_E_NOMEM)
        ps_prom_config_free(&c);
    struct ps_flags fl;
    if (ps_config_parse_flags_text(data, size, &fl, &st) == PS_OK) {
        ps_config_flags_effective(&fl);
        ps_flags_free(&fl);
    }
    ps_facts_free(f);
    ps_diags_free(&d);
    return 0;
}
