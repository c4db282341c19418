/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * wal_int.h - private to src/wal/: the two-thread pipeline that lets the
 * thread reading a segment (pages, CRC32C, decompression) run ahead of the
 * thread decoding records and updating statistics. Messages keep their
 * order, so results are identical to a single-threaded read. Also the
 * fragment checksum (wal_crc.c).
 */
#ifndef PS_WAL_INT_H
#define PS_WAL_INT_H

#include "promsight/ps_wal.h"

/* CRC-32C of p[0..n), equal to ps_crc32c(p, n); faster on long inputs
 * (three interleaved SSE4.2 chains, see wal_crc.c). Thread-safe. */
uint32_t wal_crc32c(const void *p, size_t n);

/* Bytes a wal_snappy_decode output buffer needs after the record. */
#define WAL_SNAPPY_SLACK 16
/* Decode the snappy raw block src[0..n) whose stated length is out into
 * dst, which has room for out + WAL_SNAPPY_SLACK bytes (the slack may be
 * overwritten). 0 on success, -1 on any input libsnappy rejects. */
int wal_snappy_decode(const uint8_t *src, size_t n, uint8_t *dst, size_t out);

struct wal_pipe;

/* Called on the worker thread, in order, with exactly one of r / c set. */
typedef void (*wal_pipe_fn)(void *ctx, const struct ps_wal_record *r,
                            const struct ps_wal_corruption *c);

/* Start a worker; NULL if threads are unavailable (caller goes on alone). */
struct wal_pipe *wal_pipe_start(wal_pipe_fn fn, void *ctx);
/* Room for a record of n bytes inside the queue, so a decompressor can
 * write there and wal_pipe_record() then skips the copy. NULL on OOM.
 * Valid until the next call on p. */
uint8_t *wal_pipe_reserve(struct wal_pipe *p, size_t n);
/* Queue a copy of r / c (c->segment is not copied: the worker fills it). */
void wal_pipe_record(struct wal_pipe *p, const struct ps_wal_record *r);
void wal_pipe_corruption(struct wal_pipe *p, const struct ps_wal_corruption *c);
/* Hand over what is queued, wait for the worker to finish, free p.
 * Returns the number of messages lost to allocation failure. */
size_t wal_pipe_finish(struct wal_pipe *p);

#endif
