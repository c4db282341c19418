/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_config_ingest.h - the part the config harnesses (fuzz_hashring.c,
 * fuzz_k8s_json.c, fuzz_yaml_config.c) share: feed the input to
 * ps_config_ingest as a config entry of pod "pod-0" (sniff, bounded tree,
 * redaction, publishing to a fact store), with the caller's redaction
 * counters and diagnostics so it can go on to the struct API.
 */
#ifndef PS_FUZZ_CONFIG_INGEST_H
#define PS_FUZZ_CONFIG_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "promsight/ps_config.h"
#include "promsight/ps_facts.h"

static inline void
fuzz_config_ingest(const uint8_t *data, size_t size, struct ps_redact_stats *st,
                   struct ps_diags *d)
{
    struct ps_facts *f = ps_facts_new();
    struct ps_entry e = {0};
    e.path = "fuzz";
    e.kind = PS_KIND_CONFIG;
    e.pod = "pod-0";
    if (f != NULL)
        (void)ps_config_ingest(&e, data, size, 1000, f, st, d, NULL);
    ps_facts_free(f);
}

#endif
