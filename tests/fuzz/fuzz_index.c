/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_index.c - libFuzzer harness: a block index (ps_tsdb_index_open), then every series of the all-postings list decoded and every label resolved.
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
    struct ps_tsdb_index ix;
    if (ps_tsdb_index_open(data, size, "fuzz", &ix, &d) == PS_OK) {
        struct ps_tsdb_series s = {0};
        for (size_t i = 0; i < ix.nall; i++)
            if (ps_tsdb_index_series(&ix, ix.all[i], &s, &d) == PS_OK)
                for (size_t l = 0; l < 2 * s.nlabels; l++)
                    (void)ps_tsdb_index_sym(&ix, s.lbl[l]);
        ps_tsdb_series_free(&s);
    }
    ps_tsdb_index_close(&ix);
    ps_diags_free(&d);
    return 0;
}
