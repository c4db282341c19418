/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_xor.c - libFuzzer harness: both XOR chunk decoders (sample by sample
 * and whole chunk) on raw chunk data; they must decode the same count.
 */
#include <stddef.h>
#include <stdint.h>

#include "promsight/ps_err.h"
#include "promsight/ps_tsdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ps_diags d;
    ps_diags_init(&d);
    struct ps_tsdb_xor_it it;
    int64_t t;
    double v;
    ps_tsdb_xor_init(&it, data, size);
    size_t n = 0, got = 0;
    while (ps_tsdb_xor_next(&it, &t, &v) == PS_OK)
        n++;
    static int64_t ts[65536];
    static double vs[65536];
    ps_tsdb_xor_decode(data, size, ts, vs, 65536, &got);
    if (got != n)
        __builtin_trap(); /* the two decoders must agree */
    ps_diags_free(&d);
    return 0;
}
