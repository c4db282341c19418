/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_wal_segment.c - any byte string as one WAL segment, through the
 * page/fragment reader, decompression, every record decoder and the
 * statistics (twice: a checkpoint-kind then a WAL-kind segment, so refs
 * defined by the first are used by the second), then the JSON report.
 * The first byte picks the feed chunk size, so page assembly across
 * arbitrary chunk boundaries is exercised too, its low bit whether
 * records go through the worker-thread pipeline or stay on this thread,
 * and its bits 1-2 whether the JSON report is built: one input in four.
 * (Profiled on the campaign corpus: building and freeing the report of an
 * input with its 1000 listed corruptions was 30 % of the time of the
 * whole harness, and the report code is the same straight-line jansson
 * calls for every input; the reader and the decoders are what this
 * harness is for.)
 */
#include <stddef.h>
#include <stdint.h>

#include "promsight/ps_wal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t chunk = size > 0 ? ((size_t)data[0] * 257u) % 40000u + 1 : 1;
    struct ps_wal_stats st;
    if (ps_wal_stats_init(&st, "fuzz/wal") != PS_OK)
        return 0;
    st.no_threads = size > 0 && (data[0] & 1);
    for (int pass = 0; pass < 2; pass++) {
        ps_wal_stats_begin_segment(&st, pass ? "fuzz/wal/00000001"
                                             : "fuzz/wal/checkpoint.00000000/00000000",
                                   pass ? PS_WAL_SEG_WAL : PS_WAL_SEG_CHECKPOINT,
                                   pass ? 1 : 0);
        for (size_t off = 0; off < size; off += chunk)
            ps_wal_stats_feed(&st, data + off, size - off < chunk ? size - off : chunk);
        ps_wal_stats_end_segment(&st);
    }
    if (size > 0 && (data[0] & 6) == 0) {
        json_t *j = ps_wal_stats_json(&st);
        json_decref(j);
    }
    ps_wal_stats_free(&st);
    return 0;
}
