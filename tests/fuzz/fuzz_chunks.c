/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_chunks.c - libFuzzer harness: a block chunk segment file: header
 * check, a scan of every record, then each record read by offset, counted
 * and decoded (XOR fully, histograms to timestamps).
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
    struct ps_tsdb_seg seg = {data, size, "fuzz", 0};
    struct ps_tsdb_seg_stats st;
    ps_tsdb_seg_check(&seg, PS_TSDB_CHUNKS_MAGIC, &d);
    ps_tsdb_seg_scan(&seg, &st, &d);
    uint64_t off = PS_TSDB_SEG_HEADER;
    struct ps_tsdb_chunk c;
    while (ps_tsdb_chunk_at(&seg, off, &c) == PS_OK) {
        (void)ps_tsdb_chunk_num_samples(c.enc, c.data, c.len);
        if (c.enc == PS_TSDB_ENC_HISTOGRAM || c.enc == PS_TSDB_ENC_FLOAT_HISTOGRAM) {
            static int64_t ts[65536];
            size_t got;
            ps_tsdb_hist_timestamps(c.enc, c.data, c.len, ts, 65536, &got);
        }
        if (c.enc == PS_TSDB_ENC_XOR) {
            struct ps_tsdb_xor_it it;
            int64_t t;
            double v;
            ps_tsdb_xor_init(&it, c.data, c.len);
            while (ps_tsdb_xor_next(&it, &t, &v) == PS_OK)
                ;
        }
        off += c.total;
    }
    ps_diags_free(&d);
    return 0;
}
