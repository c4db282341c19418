/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_wal_segment.c - any byte string as a WAL segment, through the
 * page/fragment reader, decompression, every record decoder and the
 * statistics, then the JSON report.
 *
 * The first byte steers the run, so that the fuzzer explores each choice
 * (the rest of the input is the segment, first byte included):
 *   all bits   the feed chunk size, so page assembly across arbitrary
 *              chunk boundaries is exercised too;
 *   bits 0-1   00: records go through the worker-thread pipeline, else
 *              they stay on this thread;
 *   bits 2-3   00: the JSON report is built;
 *   bit 4      1: the input is read twice, as a checkpoint then as a WAL
 *              segment, so refs defined by the first are used by the
 *              second; 0: once, as a WAL segment.
 * One input in four takes the pipeline and one in four builds the report
 * (rather than every other input and every input): profiled on the
 * campaign corpus under ASan, thread start and the queue's buffers, and
 * the report of an input with its 1000 listed corruptions, were each a
 * quarter to a third of the harness' time, while the code they exercise
 * is the same for every input; the reader and decoders are what this
 * harness is for.
 */
#include <stddef.h>
#include <stdint.h>

#include "promsight/ps_wal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned ctl = size > 0 ? data[0] : 0;
    size_t chunk = (ctl * 257u) % 40000u + 1;
    struct ps_wal_stats st;
    if (ps_wal_stats_init(&st, "fuzz/wal") != PS_OK)
        return 0;
    st.no_threads = (ctl & 3) != 0;
    for (int pass = (ctl & 16) ? 0 : 1; pass < 2; pass++) {
        ps_wal_stats_begin_segment(&st, pass ? "fuzz/wal/00000001"
                                             : "fuzz/wal/checkpoint.00000000/00000000",
                                   pass ? PS_WAL_SEG_WAL : PS_WAL_SEG_CHECKPOINT,
                                   pass ? 1 : 0);
        for (size_t off = 0; off < size; off += chunk)
            ps_wal_stats_feed(&st, data + off, size - off < chunk ? size - off : chunk);
        ps_wal_stats_end_segment(&st);
    }
    if ((ctl & 12) == 0) {
        json_t *j = ps_wal_stats_json(&st);
        json_decref(j);
    }
    ps_wal_stats_free(&st);
    return 0;
}
