/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_tombstones.c - libFuzzer harness: a block's tombstones file.
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
    struct ps_tsdb_tombstones t;
    ps_tsdb_tombstones_parse(data, size, "fuzz", &t, &d);
    ps_tsdb_tombstones_free(&t);
    ps_diags_free(&d);
    return 0;
}
