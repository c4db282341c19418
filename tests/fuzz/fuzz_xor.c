/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_xor.c - libFuzzer harness: the XOR chunk decoder on raw chunk data (be16 count, bit stream).
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
    while (ps_tsdb_xor_next(&it, &t, &v) == PS_OK)
        ;
    ps_diags_free(&d);
    return 0;
}
