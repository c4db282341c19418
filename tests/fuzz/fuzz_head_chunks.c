/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_head_chunks.c - libFuzzer harness: one chunks_head/ file (records, CRCs, zero tail).
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
    struct ps_tsdb_head_stats st;
    ps_tsdb_head_chunks_scan(data, size, "fuzz", &st, &d);
    ps_diags_free(&d);
    return 0;
}
