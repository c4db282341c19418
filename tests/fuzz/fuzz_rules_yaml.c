/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_rules_yaml.c - libFuzzer harness for rule-file loading: the input
 * is a rule file; what loads is checked and evaluated over an empty fact
 * store (one step). Must never crash, leak or hang.
 */
#include <stdint.h>

#include "promsight/ps_facts.h"
#include "promsight/ps_rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    struct ps_rules *rs = ps_rules_new();
    struct ps_facts *f = ps_facts_new();
    struct ps_diags d;
    ps_diags_init(&d);
    if (rs != NULL && f != NULL) {
        ps_rules_load_mem(rs, "fuzz.yaml", (const char *)data, size, &d);
        ps_rules_check(rs, &d);
        ps_facts_add(f, "up", NULL, 0, 0, 1, 0);
        struct ps_rules_opts o = {.start = 0, .end = 60000, .step = 15000};
        struct ps_rules_result res;
        if (ps_rules_eval(rs, f, &o, &res, &d) == PS_OK)
            ps_rules_result_free(&res);
    }
    ps_diags_free(&d);
    ps_facts_free(f);
    ps_rules_free(rs);
    return 0;
}
