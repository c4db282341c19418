/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_template.c - libFuzzer harness for the alert template renderer: the
 * input is a template, rendered with two labels and a value taken from
 * its first bytes. Must never crash, leak or hang.
 */
#include <stdint.h>
#include <string.h>

#include "promsight/ps_rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    double v = 0;
    if (size >= sizeof(v)) {
        memcpy(&v, data, sizeof(v));
        data += sizeof(v);
        size -= sizeof(v);
    }
    struct ps_label l[2] = {{"__name__", "up"}, {"pod", "p-0"}};
    struct ps_buf b = {0};
    char err[128];
    ps_rules_render((const char *)data, size, l, 2, v, &b, err, sizeof(err));
    ps_buf_free(&b);
    return 0;
}
