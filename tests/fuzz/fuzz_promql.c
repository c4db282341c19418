/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_promql.c - libFuzzer harness for the PromQL parser and evaluator:
 * the input is an expression; if it parses, it is evaluated over a small
 * fixed fact store at a fixed time. Must never crash, leak or hang.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "promsight/ps_facts.h"
#include "promsight/ps_rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ps_facts *
store(void)
{
    static struct ps_facts *f;
    if (f != NULL)
        return f;
    f = ps_facts_new();
    if (f == NULL)
        return NULL;
    static const char *const pods[] = {"a", "b", "c"};
    for (int p = 0; p < 3; p++) {
        struct ps_label l[2] = {{"pod", pods[p]}, {"job", p == 2 ? "x" : "y"}};
        for (int i = 0; i < 40; i++) {
            ps_facts_add(f, "up", l, 2, (int64_t)i * 15000, (double)(i % 3 != 0), 0);
            ps_facts_add(f, "c_total", l, 2, (int64_t)i * 15000, (double)(i * (p + 1) % 17), 0);
            ps_facts_add(f, "g", l, 1, (int64_t)i * 15000, (double)i / (p + 1) - 3, 0);
        }
    }
    return f;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    struct ps_facts *f = store();
    if (f == NULL)
        return 0;
    char *expr = malloc(size + 1);
    if (expr == NULL)
        return 0;
    memcpy(expr, data, size);
    expr[size] = 0;
    struct ps_query_sample *s;
    size_t n;
    int sc;
    char err[256];
    if (ps_rules_query(f, expr, 300000, &s, &n, &sc, err, sizeof(err)) == PS_OK)
        ps_rules_query_free(s, n);
    free(expr);
    return 0;
}
