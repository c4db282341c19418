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
 * (folding with AVX-512 carry-less products, or three interleaved SSE4.2
 * chains, see wal_crc.c). Thread-safe. */
uint32_t wal_crc32c(const void *p, size_t n);
/* For tests: the same by one way (WAL_CRC_CHAINS or WAL_CRC_FOLD), or by
 * ps_crc32c when this CPU cannot; wal_crc32c_can says whether it can. */
enum { WAL_CRC_CHAINS, WAL_CRC_FOLD };
uint32_t wal_crc32c_by(int way, const void *p, size_t n);
int wal_crc32c_can(int way);

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

/* For tests: the size a chunk grows to before it may end (default
 * WAL_CHUNK_BYTES; a few pages make every other page a chunk boundary). */
#define WAL_CHUNK_BYTES ((size_t)1 << 20)
/* A chunk collected from a stream that grows to this many times
 * WAL_CHUNK_BYTES without a record start ends chunked reading for the
 * rest of its segment (wal_stats_read.c, chunks_go_direct). */
#define WAL_CHUNK_MAX_PAGES 16
void wal_stats_chunk_bytes(struct ps_wal_stats *s, size_t n);

/*
 * Decompress the stored record src[0..n) (compr: snappy or zstd) with
 * promsight's limits: snappy into reserve(rctx, size) when that is given
 * and does not return NULL, else into plain; zstd into plain (*zstd is
 * its context, created on first use; wal_decompress_free releases it).
 * 0: *out_p and *out_n hold the record; -1: the input is corrupt; -2: over a
 * limit or out of memory; *why says which (Prometheus' words where it has
 * them).
 */
int wal_decompress(enum ps_wal_compr compr, const uint8_t *src, size_t n,
                   struct ps_buf *plain, void **zstd,
                   uint8_t *(*reserve)(void *ctx, size_t n), void *rctx,
                   const uint8_t **out_p, size_t *out_n, const char **why);
void wal_decompress_free(void **zstd);

/*
 * A segment read on several threads (wal_chunks.c, used by wal_stats_read.c).
 * The calling thread cuts the segment into chunks that end where a
 * fragment that starts a record (full or first) begins, often inside a
 * page; worker threads read each chunk with their own reader into
 * messages (produce), and the messages are applied to the statistics in
 * chunk order (apply), one chunk at a time.
 */
struct wal_job {
    size_t seq;                /* chunk number within the pool's life */
    uint64_t seg_off;          /* segment offset of in.p[0], a page start */
    size_t start_pos;          /* the chunk starts there in its first page */
    size_t end_lim;            /* > 0: it ends there in its last page */
    int skip_start;            /* begin as after a resync (a re-read) */
    int last, cut;             /* the segment's last chunk; read to a cut */
    struct ps_buf in;          /* whole pages, but a last chunk's last one
                                  (owned, reused) */
    struct ps_buf out;         /* messages (owned, reused) */
    /* what the chunk's reader saw at its edges (produce fills them) */
    int reached_end;           /* its walk arrived at end_lim exactly */
    int open_at_end;           /* a record was in progress at the end */
    int first_starts;          /* the fragment at seg_off + start_pos
                                  passed every check and started a record */
    unsigned first_ft;         /* its fragment type (full or first) */
    uint64_t first_end;        /* the segment offset after it */
    int legacy;                /* a pre-2.4 segment (the chunk at 0) */
    int lost;                  /* messages lost to allocation failure */
    /* a chunk read from a file by the worker itself (fd >= 0): the
     * records starting from the first record start at or after page
     * offset lo up to the first at or after hi (in is not used) */
    int fd;
    uint64_t lo, hi, size;
    int empty;                 /* no record starts in [lo, hi) */
    int eof_end;               /* it ran to the end of the file: the last */
    int io_err;                /* a read failed: this and later are lost */
};
typedef void (*wal_chunk_fn)(void *ctx, unsigned worker, struct wal_job *j);

/* Start nthreads workers (ids 1..nthreads; NULL if none could start).
 * produce runs on a worker; apply on whichever worker is applying, in
 * submission order, never two at once. */
struct wal_chunks *wal_chunks_start(unsigned nthreads, wal_chunk_fn produce,
                                    wal_chunk_fn apply, void *ctx);
/* The next free job (waits while all are out), its in and out emptied;
 * the caller fills in, seg_off, last and cut, then submits it. */
struct wal_job *wal_chunks_job(struct wal_chunks *c);
void wal_chunks_submit(struct wal_chunks *c, struct wal_job *j);
/* Wait until every submitted job has been applied. */
void wal_chunks_drain(struct wal_chunks *c);
/* Jobs the workers make themselves: gen fills in a free job (seq set,
 * in and out emptied) and returns 1, or returns 0 when there are no more;
 * it runs on a worker with the pool's lock held, one call at a time.
 * Returns when every job made has been applied. Why: a calling thread
 * that submits chunk by chunk is woken for every chunk applied, and
 * each time takes a CPU from a worker (see wal_stats_read.c). */
typedef int (*wal_chunk_gen)(void *gctx, struct wal_job *j);
void wal_chunks_generate(struct wal_chunks *c, wal_chunk_gen gen, void *gctx);
/* Drain, stop the workers, free c (NULL is fine). */
void wal_chunks_stop(struct wal_chunks *c);

/* A chunk's messages. reserve: room for a record of n bytes (or n
 * decoded samples) at the end of b, so a decompressor or decoder can
 * write there and wal_msgs_record / wal_msgs_rt then skip the copy; valid
 * until the next call on b; NULL when out of memory. The others return -1
 * when out of memory (the message is lost). */
uint8_t *wal_msgs_reserve(struct ps_buf *b, size_t n);
struct wal_rt *wal_msgs_reserve_rt(struct ps_buf *b, size_t n);
int wal_msgs_record(struct ps_buf *b, const struct ps_wal_record *r);
int wal_msgs_rt(struct ps_buf *b, const struct ps_wal_record *r,
                const struct wal_rt_batch *rb);
/* c->segment is not kept: apply fills it in. */
int wal_msgs_corruption(struct ps_buf *b, const struct ps_wal_corruption *c);
/* Replay b's messages in order: exactly one of r / c is set; rb is set
 * (and r->data NULL) for a samples record decoded into refs and times. */
typedef void (*wal_msg_fn)(void *ctx, const struct ps_wal_record *r,
                           const struct ps_wal_corruption *c,
                           const struct wal_rt_batch *rb);
void wal_msgs_run(const struct ps_buf *b, wal_msg_fn fn, void *ctx);

#endif
