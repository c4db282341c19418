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
 *   bits 0-1   00: the segment is also read in chunks of one page by two
 *              worker threads, and that report must equal the one-thread
 *              report byte for byte (a differential test of the chunk
 *              edges, wal_stats_read.c); else one thread;
 *   bit 5      with 00 above: the chunked read is from a file (an
 *              in-memory one), by the workers (ps_wal_stats_read_fd);
 *              else fed;
 *   bits 2-3   00: the JSON report is built (always when comparing);
 *   bit 4      1: the input is read twice, as a checkpoint then as a WAL
 *              segment, so refs defined by the first are used by the
 *              second; 0: once, as a WAL segment.
 * One input in four takes the threads and one in four builds the report
 * (rather than every other input and every input): profiled on the
 * campaign corpus under ASan, thread start and the report of an input
 * with its 1000 listed corruptions were each a quarter to a third of the
 * harness' time, while the code they exercise is the same for every
 * input; the reader and decoders are what this harness is for.
 */
#define _GNU_SOURCE /* memfd_create */
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "promsight/ps_wal.h"
#include "wal/wal_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *
read_all(const uint8_t *data, size_t size, unsigned ctl, int chunked, int json)
{
    size_t feed = (ctl * 257u) % 40000u + 1;
    struct ps_wal_stats st;
    if (ps_wal_stats_init(&st, "fuzz/wal") != PS_OK)
        return NULL;
    st.no_threads = !chunked;
    st.threads = 2;
    if (chunked)
        wal_stats_chunk_bytes(&st, PS_WAL_PAGE_SIZE);
    for (int pass = (ctl & 16) ? 0 : 1; pass < 2; pass++) {
        ps_wal_stats_begin_segment(&st, pass ? "fuzz/wal/00000001"
                                             : "fuzz/wal/checkpoint.00000000/00000000",
                                   pass ? PS_WAL_SEG_WAL : PS_WAL_SEG_CHECKPOINT,
                                   pass ? 1 : 0);
        int fd = -1;
        if (chunked && (ctl & 32) && (fd = memfd_create("seg", 0)) >= 0 &&
            write(fd, data, size) == (ssize_t)size) {
            ps_wal_stats_read_fd(&st, fd, size);
        } else {
            for (size_t off = 0; off < size; off += feed)
                ps_wal_stats_feed(&st, data + off, size - off < feed ? size - off : feed);
        }
        if (fd >= 0)
            close(fd);
        ps_wal_stats_end_segment(&st);
    }
    char *out = NULL;
    if (json) {
        json_t *j = ps_wal_stats_json(&st);
        out = json_dumps(j, JSON_SORT_KEYS);
        json_decref(j);
    }
    ps_wal_stats_free(&st);
    return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned ctl = size > 0 ? data[0] : 0;
    int compare = (ctl & 3) == 0;
    char *one = read_all(data, size, ctl, 0, compare || (ctl & 12) == 0);
    if (compare) {
        char *chunks = read_all(data, size, ctl, 1, 1);
        if (one != NULL && chunks != NULL && strcmp(one, chunks) != 0)
            abort(); /* the chunked read differs from one thread */
        free(chunks);
    }
    free(one);
    return 0;
}
