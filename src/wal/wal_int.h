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

/* The uncompressed length a snappy raw block states (its preamble, a
 * uvarint of at most 5 bytes and 32 bits) in *out; the preamble's size,
 * or 0 when libsnappy's snappy_uncompressed_length would fail. */
size_t wal_snappy_length(const uint8_t *src, size_t n, size_t *out);

/* Bytes a wal_snappy_decode output buffer needs after the record. */
#define WAL_SNAPPY_SLACK 16
/* Decode the snappy raw block src[0..n) whose stated length is out into
 * dst, which has room for out + WAL_SNAPPY_SLACK bytes (the slack may be
 * overwritten). 0 on success, -1 on any input libsnappy rejects. */
int wal_snappy_decode(const uint8_t *src, size_t n, uint8_t *dst, size_t out);

/*
 * What the statistics need of a samples record (type 2): each sample's
 * ref and timestamp, how many values are stale markers, the time range.
 * wal_decode_samples_rt accepts exactly the records ps_wal_decode accepts
 * and yields the same refs and timestamps, written to out (room for
 * wal_samples_rt_max(n) entries) as 32-bit differences from the record's
 * first sample: 8 bytes a sample instead of 16, which matters when one
 * thread decodes and the other reads them (half the bytes that cross
 * between the CPUs' caches). On failure it returns ps_wal_decode's error;
 * a record that decodes but whose refs or timestamps spread wider than 32
 * bits (or whose timestamps would wrap) gives PS_E_UNSUPPORTED. Either way
 * the caller then takes the general path, which reports the error or
 * handles the wide record.
 */
/* A float sample's value bits that mark a series stale. */
#define WAL_STALE_NAN_BITS 0x7ff0000000000002ULL

struct wal_rt {
    int32_t dref;              /* ref - base_ref */
    int32_t dt;                /* t - base_t */
};
struct wal_rt_batch {
    const struct wal_rt *v;
    size_t n;
    uint64_t base_ref;         /* ref of v[i] = base_ref + v[i].dref */
    int64_t base_t;            /* t of v[i] = base_t + v[i].dt, no wrap */
    uint64_t stale;
    int64_t min_t, max_t;      /* INT64_MAX / INT64_MIN when n == 0 */
};
size_t wal_samples_rt_max(size_t n);
enum ps_err wal_decode_samples_rt(const uint8_t *rec, size_t n,
                                  struct wal_rt *out, struct wal_rt_batch *b);

/* For tests: which thread decodes samples records when there are two
 * (wal_stats.c, reader_decodes, rd_reserve): 0 (the default) an
 * uncompressed one the worker unless it is behind, a compressed one the
 * thread that decompressed it; 1 always the reading thread; 2 always the
 * worker (the reader decompresses into the queue). And who decompresses:
 * 0 the reader unless the worker waits for work, 3 always the worker
 * (which then also decodes), 4 always the reader (which then also
 * decodes); 5 as 0 but the worker is stopped after 16 records of each
 * segment (as when it does not run in parallel, see maybe_go_solo); 1 to
 * 4 never stop it. */
void wal_stats_decode_policy(struct ps_wal_stats *s, int policy);

/*
 * Decompress the stored record src[0..n) (compr: snappy or zstd) with
 * promsight's limits: snappy into reserve(rctx, size) when that is given
 * and does not return NULL, else into plain; zstd into plain (*zstd is
 * its context, created on first use; wal_decompress_free releases it).
 * 0: *out_p and *out_n hold the record; -1: the input is corrupt; -2: over a
 * limit or out of memory; *why says which (Prometheus' words where it has
 * them). The container reader and the worker thread use the same code, so
 * either reports the same failure.
 */
int wal_decompress(enum ps_wal_compr compr, const uint8_t *src, size_t n,
                   struct ps_buf *plain, void **zstd,
                   uint8_t *(*reserve)(void *ctx, size_t n), void *rctx,
                   const uint8_t **out_p, size_t *out_n, const char **why);
void wal_decompress_free(void **zstd);

struct wal_pipe;

/* Called on the worker thread, in order, with exactly one of r / c set;
 * b is set only with r, for a samples record the reading thread decoded
 * already (r->data is then NULL); stored = 1 for a record queued with
 * wal_pipe_stored (r->data still compressed). */
typedef void (*wal_pipe_fn)(void *ctx, const struct ps_wal_record *r,
                            const struct ps_wal_corruption *c,
                            const struct wal_rt_batch *b, int stored);

/* The queue's buffers, kept from one segment to the next: a freed buffer
 * of a few MiB goes back to the kernel, and the next segment's would pay
 * for its pages again (about 3% of a read). */
#define WAL_PIPE_NBUF 6
struct wal_pipe_bufs {
    struct ps_buf b[WAL_PIPE_NBUF];
};

/* Start a worker; NULL if threads are unavailable (caller goes on alone).
 * keep (may be NULL) lends its buffers to the pipe, which gives them back
 * (emptied) in wal_pipe_finish; the caller frees them with ps_buf_free. */
struct wal_pipe *wal_pipe_start(wal_pipe_fn fn, void *ctx,
                                struct wal_pipe_bufs *keep);
/* Room for a record of n bytes inside the queue, so a decompressor can
 * write there and wal_pipe_record() then skips the copy. NULL on OOM.
 * Valid until the next call on p. */
uint8_t *wal_pipe_reserve(struct wal_pipe *p, size_t n);
/* The same for n decoded samples, for wal_pipe_rt(). */
struct wal_rt *wal_pipe_reserve_rt(struct wal_pipe *p, size_t n);
/* Queue a copy of r / c (c->segment is not copied: the worker fills it). */
void wal_pipe_record(struct wal_pipe *p, const struct ps_wal_record *r);
void wal_pipe_corruption(struct wal_pipe *p, const struct ps_wal_corruption *c);
/* Queue a copy of a record still compressed (the worker decompresses),
 * and hand what is queued to the worker at once: this is for a worker
 * that waits for work. */
void wal_pipe_stored(struct wal_pipe *p, const struct ps_wal_record *r);
/* Queue the decoded samples record r (its data is not queued); b->v must
 * be what wal_pipe_reserve_rt() returned just before. */
void wal_pipe_rt(struct wal_pipe *p, const struct ps_wal_record *r,
                 const struct wal_rt_batch *b);
/* Buffers queued and not yet taken by the worker (0..4): a high value
 * means the worker is behind. */
size_t wal_pipe_backlog(struct wal_pipe *p);
/* Hand over what is queued, wait for the worker to finish, free p.
 * Returns the number of messages lost to allocation failure. */
size_t wal_pipe_finish(struct wal_pipe *p);

#endif
