/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_logfmt.c - libFuzzer harness for the logfmt tokenizer: every pair
 * must lie inside the input, unquoting must stay inside its buffer, and a
 * value written back with ps_logfmt_put_value must read back the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "logs/logs_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    struct ps_logfmt_pair p[64];
    int unterminated;
    size_t n = ps_logfmt_parse(s, size, p, 64, &unterminated);
    if (n > 64)
        n = 64;
    char buf[512];
    for (size_t i = 0; i < n; i++) {
        if (p[i].k < s || p[i].k + p[i].kn > s + size || p[i].v < s ||
            p[i].v + p[i].vn > s + size)
            abort();
        size_t u = ps_logfmt_unquote(p[i].v, p[i].vn, buf, sizeof(buf));
        if (u > sizeof(buf))
            abort();
        if (u < sizeof(buf) && p[i].quoted) {
            /* Round trip of the unquoted value. */
            struct ps_buf b = {0};
            ps_buf_append(&b, "k=", 2);
            ps_logfmt_put_value(&b, buf, u);
            struct ps_logfmt_pair q[2];
            size_t m = ps_logfmt_parse((const char *)b.p, b.n, q, 2, NULL);
            char back[1100];
            if (m >= 1 && b.p != NULL) {
                size_t w = q[0].quoted
                               ? ps_logfmt_unquote(q[0].v, q[0].vn, back, sizeof(back))
                               : q[0].vn;
                if (!q[0].quoted)
                    memcpy(back, q[0].v, w);
                if (m != 1 || w != u || memcmp(back, buf, u) != 0)
                    abort();
            }
            ps_buf_free(&b);
        }
    }
    (void)ps_logfmt_find(p, n, "level");
    return 0;
}
