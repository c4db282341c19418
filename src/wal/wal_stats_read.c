/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * wal_stats_read.c - feeding segments to the statistics: on the calling
 * thread, or in chunks on worker threads (see "reading a segment" below,
 * and wal_chunks.c), with the same results either way; bytes fed by the
 * caller, or read from a file where it lies. The counting itself is
 * wal_stats.c's.
 */
#include "promsight/ps_pool.h"
#include "promsight/ps_util.h"
#include "promsight/ps_wal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "promsight/ps_dec.h"
#include "wal_int.h"
#include "wal_stats_int.h"

/* ---- reading a segment ----
 *
 * On one thread (no_threads, or no worker could start) the reader's
 * callbacks are wal_stats.c's handlers. Otherwise the segment is read in
 * chunks (wal_int.h, wal_chunks.c): the calling thread collects the
 * bytes, cutting a chunk at the first page at least chunk_bytes in whose
 * first fragment starts a record; workers read chunks with their own
 * readers into messages, decoding samples records into refs and times
 * (wal_decode_samples_rt) where they are; the messages are applied in
 * order. Why chunks and not a pipeline (reading on one thread, decoding
 * on another, the design until 2026-11-25): each chunk's decompressed
 * bytes stay in the cache of the CPU that decodes them, the threads share
 * any amount of work evenly, and more CPUs help (a pipeline has two
 * stages). The same records reach the same handlers in the same order,
 * so the results are those of one thread; what differs at a chunk's
 * edge is made good in chunk_apply.
 */

static void
rd_record(void *ctx, const struct ps_wal_record *r)
{
    wal_stats_on_record(ctx, r);
}

static void
rd_corruption(void *ctx, const struct ps_wal_corruption *c)
{
    wal_stats_add_corruption(ctx, c);
}

/* One worker's reader and the job it is reading. */
struct chunk_reader {
    struct ps_wal_stats *s;
    struct ps_wal_reader rd;
    struct wal_job *job;
    struct ps_buf rbuf;        /* pread blocks (chunks read from a file) */
};

static void
ck_record(void *ctx, const struct ps_wal_record *r)
{
    struct chunk_reader *w = ctx;
    struct ps_buf *out = &w->job->out;
    if (r->len > 0 && r->data[0] == PS_WAL_REC_SAMPLES && rt_ok(w->s)) {
        struct wal_rt *v = wal_msgs_reserve_rt(out, wal_samples_rt_max(r->len));
        struct wal_rt_batch rb;
        if (v != NULL && wal_decode_samples_rt(r->data, r->len, v, &rb) == PS_OK) {
            if (wal_msgs_rt(out, r, &rb) != 0)
                w->job->lost = 1;
            return;
        }
        /* no memory, damaged, or wide: the general path handles it */
    }
    if (wal_msgs_record(out, r) != 0)
        w->job->lost = 1;
}

static void
ck_corruption(void *ctx, const struct ps_wal_corruption *c)
{
    struct chunk_reader *w = ctx;
    if (wal_msgs_corruption(&w->job->out, c) != 0)
        w->job->lost = 1;
}

/* Where a worker's reader decompresses a snappy record: into the
 * messages (no copy afterwards) when samples records are passed on whole
 * (a user visitor wants them); else into the reader's own buffer, which
 * stays in this CPU's cache, because nearly every record is then a
 * samples record decoded from there into 8 bytes a sample (the record
 * type is known only after decompressing). */
static uint8_t *
ck_reserve(void *ctx, size_t n)
{
    struct chunk_reader *w = ctx;
    return rt_ok(w->s) ? NULL : wal_msgs_reserve(&w->job->out, n);
}

/*
 * Where in page pg the first fragment that starts a record (full or
 * first) begins, following the fragment headers from the page start; -1
 * if none does, or the headers stop making sense (padding, an unknown
 * type, a length past the page) before one. CRCs are not checked here:
 * the chunk's reader does (see chunk_apply).
 */
static long
record_start_in_page(const uint8_t *pg)
{
    size_t x = 0;
    while (x + PS_WAL_FRAG_HDR <= PS_WAL_PAGE_SIZE) {
        unsigned ft = pg[x] & 0x07u;
        if (ft == 1 || ft == 2)
            return (long)x;
        if (ft == 0 || ft > 4)
            return -1;
        size_t len = ps_get_be16(pg + x + 1);
        if (len > PS_WAL_FRAG_MAX || x + PS_WAL_FRAG_HDR + len > PS_WAL_PAGE_SIZE)
            return -1;
        x += PS_WAL_FRAG_HDR + len;
    }
    return -1;
}

/* The chunk size: chunk_bytes (tests) or WAL_CHUNK_BYTES, whole pages. */
static size_t
chunk_target(const struct ps_wal_series_state *st)
{
    size_t n = st->chunk_bytes != 0 ? st->chunk_bytes : WAL_CHUNK_BYTES;
    if (n < PS_WAL_PAGE_SIZE)
        n = PS_WAL_PAGE_SIZE;
    return n - n % PS_WAL_PAGE_SIZE;
}

/* w's reader set to read chunk j from j->seg_off + j->start_pos. */
static void
begin_chunk(struct ps_wal_stats *s, struct chunk_reader *w, struct wal_job *j)
{
    struct ps_wal_seg_stats *g = s->cur;
    struct ps_wal_reader *r = &w->rd;
    ps_wal_reader_begin(r, g->name, g->kind, g->index);
    r->seg_off = j->seg_off;
    r->start_pos = j->start_pos;
    r->skipping = j->skip_start;
}

/* What w's reader saw at the chunk's edges, for chunk_apply; at the end
 * of the segment (end: 1, or 2 for a cut) the reader ends it, which also
 * reads a short last page, so before first_* are taken. */
static void
finish_chunk(struct chunk_reader *w, struct wal_job *j, int end)
{
    struct ps_wal_reader *r = &w->rd;
    j->open_at_end = r->nfrag > 0;
    j->legacy = r->skipping == 2;
    if (end == 2)
        ps_wal_reader_cut(r);
    else if (end == 1)
        ps_wal_reader_end(r);
    j->first_starts = r->first_rec_off == j->seg_off + j->start_pos;
    j->first_ft = r->first_rec_ft;
    j->first_end = r->first_rec_end;
}

/* Read chunk j with w's reader into j->out. */
static void
read_chunk(struct ps_wal_stats *s, struct chunk_reader *w, struct wal_job *j)
{
    struct ps_wal_reader *r = &w->rd;
    w->job = j;
    j->lost = 0;
    j->out.n = 0;
    begin_chunk(s, w, j);
    size_t whole = j->in.n;
    if (j->end_lim > 0 && whole >= PS_WAL_PAGE_SIZE)
        whole -= PS_WAL_PAGE_SIZE; /* the last page, read up to end_lim */
    ps_wal_reader_feed(r, j->in.p, whole);
    j->reached_end = 0;
    if (whole < j->in.n) {
        r->cut_n = j->end_lim;
        ps_wal_reader_feed(r, j->in.p + whole, PS_WAL_PAGE_SIZE);
        r->cut_n = 0;
        j->reached_end = r->reached_cut;
    }
    finish_chunk(w, j, j->last ? 1 + j->cut : 0);
    w->job = NULL;
}

#define FD_BLOCK ((size_t)256 << 10) /* a multiple of the page size */

/* pread all of n bytes at off, 0 on success. */
static int
pread_all(int fd, uint8_t *p, size_t n, uint64_t off)
{
    while (n > 0) {
        ssize_t r = pread(fd, p, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

/* The page at off (zero-padded past the end of the file) into pg. */
static int
read_page(const struct wal_job *j, uint8_t *pg, uint64_t off)
{
    size_t n = j->size - off < PS_WAL_PAGE_SIZE ? (size_t)(j->size - off)
                                                : PS_WAL_PAGE_SIZE;
    memset(pg + n, 0, PS_WAL_PAGE_SIZE - n);
    return pread_all(j->fd, pg, n, off);
}

/*
 * Read chunk j from its file (wal_int.h). Where a chunk starts and ends
 * is a function of the bytes alone - the first fragment starting a
 * record in the first page at or after lo (hi) that has one - so the
 * worker reading chunk k finds the same end as the one reading chunk
 * k + 1 finds start, and nobody has to read ahead to cut. A re-read
 * (skip_start, chunk_apply) starts at the page seg_off, skipping.
 */
static void
read_chunk_fd(struct ps_wal_stats *s, struct chunk_reader *w, struct wal_job *j)
{
    struct ps_wal_reader *r = &w->rd;
    w->job = j;
    j->lost = 0;
    j->out.n = 0;
    j->empty = j->eof_end = j->io_err = 0;
    j->reached_end = j->open_at_end = j->legacy = j->first_starts = 0;
    j->end_lim = 0;
    /* a block, and a page to zero-pad the file's short last page in */
    if (ps_buf_reserve(&w->rbuf, FD_BLOCK + PS_WAL_PAGE_SIZE) != PS_OK) {
        j->io_err = 1; /* reported as a cut; st->oom says why */
        j->lost = 1;
        goto done;
    }
    uint8_t *buf = w->rbuf.p;
    uint64_t page = j->seg_off;
    size_t x = 0;
    if (!j->skip_start && j->lo > 0) {
        for (page = j->lo;; page += PS_WAL_PAGE_SIZE) {
            if (page >= j->hi || page >= j->size) {
                j->empty = 1;
                goto done;
            }
            if (read_page(j, buf, page) != 0) {
                j->io_err = 1;
                goto done;
            }
            long at = record_start_in_page(buf);
            if (at >= 0) {
                x = (size_t)at;
                break;
            }
        }
    } else if (!j->skip_start) {
        page = 0;
    }
    j->seg_off = page;
    j->start_pos = x;
    begin_chunk(s, w, j);
    for (uint64_t off = page, step = 0;; off += step) {
        if (off >= j->size) {
            j->eof_end = 1;
            break;
        }
        /* blocks up to hi, then a page at a time: the end is near */
        uint64_t most = off < j->hi ? j->hi - off : PS_WAL_PAGE_SIZE;
        if (most > FD_BLOCK)
            most = FD_BLOCK;
        if (most > j->size - off)
            most = j->size - off;
        size_t n = (size_t)most;
        step = n;
        if (pread_all(j->fd, buf, n, off) != 0) {
            j->io_err = 1;
            goto done;
        }
        for (size_t k = 0; k < n; k += PS_WAL_PAGE_SIZE) {
            size_t len = n - k < PS_WAL_PAGE_SIZE ? n - k : PS_WAL_PAGE_SIZE;
            if (off + k >= j->hi) {
                /* the file's short last page reads as zero-padded */
                const uint8_t *pg = buf + k;
                if (len < PS_WAL_PAGE_SIZE) {
                    uint8_t *pad = buf + n; /* a partial page: n < FD_BLOCK */
                    memcpy(pad, buf + k, len);
                    memset(pad + len, 0, PS_WAL_PAGE_SIZE - len);
                    pg = pad;
                }
                long at = record_start_in_page(pg);
                if (at >= 0) {
                    j->end_lim = (size_t)at;
                    if (at > 0) {
                        r->cut_n = (size_t)at;
                        ps_wal_reader_feed(r, pg, PS_WAL_PAGE_SIZE);
                        r->cut_n = 0;
                        j->reached_end = r->reached_cut;
                    }
                    goto ended;
                }
            }
            ps_wal_reader_feed(r, buf + k, len);
        }
    }
ended:
    finish_chunk(w, j, j->eof_end);
done:
    w->job = NULL;
}

static void
chunk_produce(void *ctx, unsigned worker, struct wal_job *j)
{
    struct ps_wal_stats *s = ctx;
    struct chunk_reader *w = &((struct chunk_reader *)s->st->workers)[worker];
    if (j->fd >= 0)
        read_chunk_fd(s, w, j);
    else
        read_chunk(s, w, j);
}

/* A chunk's message, applied (on the applying worker, in order). */
static void
chunk_msg(void *ctx, const struct ps_wal_record *r,
          const struct ps_wal_corruption *c, const struct wal_rt_batch *rb)
{
    struct ps_wal_stats *s = ctx;
    if (rb != NULL) {
        wal_stats_count_record(s, r, PS_WAL_REC_SAMPLES);
        if (rb->n > 0)
            wal_stats_accept_rt(s, rb);
    } else if (r != NULL) {
        wal_stats_on_record(s, r);
    } else {
        struct ps_wal_corruption cc = *c;
        cc.segment = s->cur->name;
        wal_stats_add_corruption(s, &cc);
    }
}

/* What a one-thread reader reports at j's first fragment when the
 * previous chunk ended inside a record (see chunk_apply). */
static void
fragment_order_at_start(struct ps_wal_stats *s, const struct wal_job *j)
{
    struct ps_wal_corruption c;
    memset(&c, 0, sizeof(c));
    c.kind = PS_WAL_C_FRAGMENT_ORDER;
    c.segment = s->cur->name;
    c.seg_index = s->cur->index;
    c.seg_kind = s->cur->kind;
    c.fragment_offset = j->seg_off + j->start_pos;
    c.prom_offset = j->first_end;
    c.triggers_repair = 1;
    snprintf(c.message, sizeof(c.message), "%s",
             j->first_ft == 1 ? "unexpected full record"
                              : "unexpected first record, dropping buffer");
    wal_stats_add_corruption(s, &c);
}

/*
 * Apply chunk j after the chunks before it. Read on one thread, the
 * reader would arrive at j's start in the state the previous chunk left;
 * j's reader started fresh (no record open, not skipping). Chunks start
 * where a full or first fragment begins, and that fragment, once past its
 * checks, resets both, so two cases remain. If the previous chunk ended
 * inside a record (its last fragment never came: a damaged WAL) and j's
 * first fragment passes its checks, the one-thread reader reports an
 * unexpected full/first fragment there, as done here. If the previous
 * chunk's reader did not arrive at j's start at all (a damaged fragment
 * earlier in that page made it skip the rest of the page, which the
 * cutting thread cannot see: it does not check CRCs), a one-thread reader
 * would not have read j's start either but gone on at the next page,
 * skipping continuations: j is read again that way, here. A pre-2.4
 * segment is ignored after its first page, as on one thread.
 */
static void
chunk_apply(void *ctx, unsigned worker, struct wal_job *j)
{
    (void)worker;
    struct ps_wal_stats *s = ctx;
    struct ps_wal_series_state *st = s->st;
    if (st->ck_ioerr || (j->fd >= 0 && j->empty && !j->io_err))
        return; /* after a failed read; or no record starts here */
    if (j->io_err) {
        st->ck_ioerr = 1; /* the rest of the segment is lost, as a cut */
        if (j->lost)
            st->oom = PS_E_NOMEM;
        return;
    }
    if (j->seg_off == 0 && j->start_pos == 0) {
        st->ck_legacy = j->legacy;
    } else if (st->ck_legacy) {
        return;
    } else if (!st->ck_reached) {
        /* read again from the next page, as after a resync */
        struct chunk_reader *w0 = &((struct chunk_reader *)st->workers)[0];
        j->skip_start = 1;
        j->start_pos = 0;
        if (j->fd >= 0) {
            j->seg_off += PS_WAL_PAGE_SIZE;
            read_chunk_fd(s, w0, j);
            if (j->io_err) {
                st->ck_ioerr = 1;
                return;
            }
        } else {
            size_t skip = j->in.n < PS_WAL_PAGE_SIZE ? j->in.n : PS_WAL_PAGE_SIZE;
            memmove(j->in.p, j->in.p + skip, j->in.n - skip);
            j->in.n -= skip;
            j->seg_off += skip;
            if (j->end_lim > 0 && j->in.n < PS_WAL_PAGE_SIZE)
                j->end_lim = 0; /* its end was in the page skipped */
            read_chunk(s, w0, j);
        }
    } else if (st->ck_open && j->first_starts) {
        fragment_order_at_start(s, j);
    }
    if (j->lost)
        st->oom = PS_E_NOMEM;
    st->ck_open = j->open_at_end;
    st->ck_reached = j->end_lim == 0 || j->reached_end;
    wal_msgs_run(&j->out, chunk_msg, s);
}

/* Start the workers for the next segment, if they are not running. */
static void
chunks_start(struct ps_wal_stats *s)
{
    struct ps_wal_series_state *st = s->st;
    if (s->chunks != NULL || s->no_threads || st->ck_failed)
        return;
    unsigned n = s->threads;
    if (n == 0) {
        int cpus = ps_cpus();
        n = cpus > 16 ? 16 : (unsigned)cpus;
    }
    if (n > 64)
        n = 64;
    if (n < 2) {
        st->ck_failed = 1; /* one CPU: the calling thread does it all */
        return;
    }
    st->workers = calloc((size_t)n + 1, sizeof(struct chunk_reader));
    if (st->workers == NULL) {
        st->ck_failed = 1;
        return;
    }
    struct chunk_reader *w = st->workers;
    for (unsigned i = 0; i <= n; i++) {
        w[i].s = s;
        ps_wal_reader_init(&w[i].rd, ck_record, ck_corruption, &w[i]);
        w[i].rd.out_reserve = ck_reserve;
    }
    st->nworkers = n + 1;
    s->chunks = wal_chunks_start(n, chunk_produce, chunk_apply, s);
    if (s->chunks == NULL)
        st->ck_failed = 1;
}

static void
chunks_stop(struct ps_wal_stats *s)
{
    struct ps_wal_series_state *st = s->st;
    wal_chunks_stop(s->chunks);
    s->chunks = NULL;
    if (st != NULL && st->workers != NULL) {
        struct chunk_reader *w = st->workers;
        for (size_t i = 0; i < st->nworkers; i++) {
            ps_wal_reader_free(&w[i].rd);
            ps_buf_free(&w[i].rbuf);
        }
        free(st->workers);
        st->workers = NULL;
        st->nworkers = 0;
    }
}

void
wal_stats_chunk_bytes(struct ps_wal_stats *s, size_t n)
{
    s->st->chunk_bytes = n;
}

enum ps_err
ps_wal_stats_begin_segment(struct ps_wal_stats *s, const char *name,
                           enum ps_wal_seg_kind kind, int64_t index)
{
    if (ps_grow((void **)&s->segs, &s->segs_cap, s->nsegs + 1,
                sizeof(*s->segs)) != PS_OK)
        return PS_E_NOMEM;
    struct ps_wal_seg_stats *g = &s->segs[s->nsegs];
    wal_stats_seg_reset(g);
    g->name = strdup(name != NULL ? name : "");
    if (g->name == NULL)
        return PS_E_NOMEM;
    g->index = index;
    g->kind = kind;
    s->nsegs++;
    s->cur = g;
    if (s->rd.on_record == NULL)
        ps_wal_reader_init(&s->rd, rd_record, rd_corruption, s);
    ps_wal_reader_begin(&s->rd, g->name, kind, index);
    chunks_start(s);
    struct ps_wal_series_state *st = s->st;
    st->ck_job = NULL;
    st->ck_off = 0;
    st->ck_open = 0;
    st->ck_reached = 1;
    st->ck_legacy = 0;
    st->ck_ioerr = 0;
    st->ck_fd = 0;
    st->ck_direct = 0;
    return PS_OK;
}

static enum ps_err new_chunk(struct ps_wal_stats *s, const uint8_t *pg, size_t x);

/* Submit the chunk being collected; at the end of the segment, an empty
 * one if there is none (its reader reports the end). */
static void
submit_chunk(struct ps_wal_stats *s, int last, int cut)
{
    struct ps_wal_series_state *st = s->st;
    if (st->ck_job == NULL) {
        if (!last || new_chunk(s, NULL, 0) != PS_OK)
            return;
    }
    struct wal_job *j = st->ck_job;
    j->last = last;
    j->cut = cut;
    st->ck_job = NULL;
    wal_chunks_submit(s->chunks, j);
}

/* A new chunk starting in page pg (a copy of it) at offset x. */
static enum ps_err
new_chunk(struct ps_wal_stats *s, const uint8_t *pg, size_t x)
{
    struct ps_wal_series_state *st = s->st;
    struct wal_job *j = wal_chunks_job(s->chunks);
    j->fd = -1;
    j->seg_off = st->ck_off;
    j->start_pos = x;
    j->end_lim = 0;
    j->skip_start = 0;
    st->ck_job = j;
    if (pg != NULL && ps_buf_append(&j->in, pg, PS_WAL_PAGE_SIZE) != PS_OK)
        return PS_E_NOMEM;
    return PS_OK;
}

/* Does the fragment at x in page pg (full or first) pass the checks the
 * reader makes before it starts a record with it? */
static int
first_fragment_ok(const uint8_t *pg, size_t x, uint64_t *end_off, uint64_t page_off)
{
    if (x + PS_WAL_FRAG_HDR > PS_WAL_PAGE_SIZE)
        return 0;
    size_t len = ps_get_be16(pg + x + 1);
    if (len > PS_WAL_FRAG_MAX || x + PS_WAL_FRAG_HDR + len > PS_WAL_PAGE_SIZE)
        return 0;
    *end_off = page_off + x + PS_WAL_FRAG_HDR + len;
    return wal_crc32c(pg + x + PS_WAL_FRAG_HDR, len) == ps_get_be32(pg + x + 3);
}

/*
 * A chunk being collected that has grown to WAL_CHUNK_MAX_PAGES times the
 * chunk size without a page where a record starts (a run of zero pages,
 * or one huge record) would hold that much of the segment in memory: the
 * chunks before it are applied, and the rest of the segment, this chunk's
 * bytes first, goes to the calling thread's reader, which streams. It
 * starts in the state the chunk's own reader would have had after
 * chunk_apply's corrections (see there).
 */
static void
chunks_go_direct(struct ps_wal_stats *s)
{
    struct ps_wal_series_state *st = s->st;
    struct ps_wal_seg_stats *g = s->cur;
    struct wal_job *j = st->ck_job; /* taken, never submitted: its slot stays free */
    st->ck_job = NULL;
    wal_chunks_drain(s->chunks);
    int first = j->seg_off == 0 && j->start_pos == 0;
    if (!first && st->ck_legacy) {
        st->ck_direct = 2;
        return;
    }
    struct ps_wal_reader *r = &s->rd;
    uint64_t bytes = r->bytes;
    ps_wal_reader_begin(r, g->name, g->kind, g->index);
    r->bytes = bytes - j->in.n; /* the feed below counts them again */
    const uint8_t *p = j->in.p;
    size_t n = j->in.n;
    if (!first && !st->ck_reached) {
        p += PS_WAL_PAGE_SIZE; /* as after a resync: the next page, skipping */
        n -= PS_WAL_PAGE_SIZE;
        r->seg_off = j->seg_off + PS_WAL_PAGE_SIZE;
        r->skipping = 1;
        r->bytes += PS_WAL_PAGE_SIZE;
    } else {
        r->seg_off = j->seg_off;
        r->start_pos = j->start_pos;
        if (!first && st->ck_open &&
            first_fragment_ok(j->in.p, j->start_pos, &j->first_end, j->seg_off)) {
            j->first_ft = j->in.p[j->start_pos] & 0x07u;
            fragment_order_at_start(s, j);
        }
    }
    st->ck_direct = 1;
    ps_wal_reader_feed(r, p, n);
}

/*
 * Collect n bytes into chunks. Once a chunk holds chunk_bytes, each page
 * that completes it is searched for a fragment that starts a record; the
 * chunk ends there (end_lim) and the next starts there (start_pos), both
 * holding the page.
 */
static enum ps_err
chunks_feed(struct ps_wal_stats *s, const uint8_t *p, size_t n)
{
    struct ps_wal_series_state *st = s->st;
    size_t target = chunk_target(st);
    while (n > 0) {
        if (st->ck_job == NULL && new_chunk(s, NULL, 0) != PS_OK)
            return PS_E_NOMEM;
        struct ps_buf *in = &st->ck_job->in;
        /* up to the target, then a page at a time */
        size_t room = in->n < target ? target - in->n
                                     : PS_WAL_PAGE_SIZE - in->n % PS_WAL_PAGE_SIZE;
        size_t take = n < room ? n : room;
        if (ps_buf_append(in, p, take) != PS_OK)
            return PS_E_NOMEM;
        s->rd.bytes += take; /* the segment's bytes, counted as collected */
        p += take;
        n -= take;
        if (in->n <= target || in->n % PS_WAL_PAGE_SIZE != 0)
            continue;
        const uint8_t *pg = in->p + in->n - PS_WAL_PAGE_SIZE;
        long x = record_start_in_page(pg);
        if (x < 0 && in->n >= WAL_CHUNK_MAX_PAGES * target) {
            chunks_go_direct(s);
            return ps_wal_stats_feed(s, p, n);
        }
        if (x < 0)
            continue;
        struct wal_job *j = st->ck_job;
        uint64_t page_off = j->seg_off + in->n - PS_WAL_PAGE_SIZE;
        if (x == 0)
            in->n -= PS_WAL_PAGE_SIZE; /* ends at the page start */
        else
            j->end_lim = (size_t)x;
        submit_chunk(s, 0, 0);
        st->ck_off = page_off;
        if (new_chunk(s, pg, (size_t)x) != PS_OK)
            return PS_E_NOMEM;
    }
    return PS_OK;
}

enum ps_err
ps_wal_stats_feed(struct ps_wal_stats *s, const void *p, size_t n)
{
    if (s->cur == NULL)
        return PS_E_USAGE;
    if (s->chunks == NULL || s->st->ck_direct == 1) {
        ps_wal_reader_feed(&s->rd, p, n);
        return s->st->oom;
    }
    if (s->st->ck_direct == 2) {
        s->rd.bytes += n;
        return PS_OK;
    }
    /* the workers' findings (oom) are collected at end_segment */
    return chunks_feed(s, p, n);
}

static void
merge(struct ps_wal_seg_stats *t, const struct ps_wal_seg_stats *g)
{
    t->bytes += g->bytes;
    for (unsigned i = 0; i < PS_WAL_REC__COUNT; i++)
        t->records[i] += g->records[i];
    t->records_snappy += g->records_snappy;
    t->records_zstd += g->records_zstd;
    t->stored_bytes += g->stored_bytes;
    t->raw_bytes += g->raw_bytes;
    t->series += g->series;
    t->new_label_sets += g->new_label_sets;
    t->samples += g->samples;
    t->histograms += g->histograms;
    t->exemplars += g->exemplars;
    t->tombstones += g->tombstones;
    t->metadata += g->metadata;
    t->mmap_markers += g->mmap_markers;
    t->unknown_ref += g->unknown_ref;
    t->out_of_order += g->out_of_order;
    t->duplicate += g->duplicate;
    t->stale_markers += g->stale_markers;
    if (g->min_t < t->min_t)
        t->min_t = g->min_t;
    if (g->max_t > t->max_t)
        t->max_t = g->max_t;
    t->corruptions += g->corruptions;
}

/* The chunks of a file: [lo, lo + chunk) in turn (wal_chunks_generate);
 * one even for an empty file, which ends the segment. */
struct fd_chunks {
    int fd;
    uint64_t size;
    size_t chunk;
    uint64_t lo;
};

static int
next_fd_chunk(void *gctx, struct wal_job *j)
{
    struct fd_chunks *g = gctx;
    if (g->lo > 0 && g->lo >= g->size)
        return 0;
    j->fd = g->fd;
    j->lo = g->lo;
    j->hi = g->lo + g->chunk;
    j->size = g->size;
    j->seg_off = g->lo;
    j->start_pos = 0;
    j->skip_start = 0;
    j->last = 0;
    j->cut = 0;
    g->lo += g->chunk;
    return 1;
}

enum ps_err
ps_wal_stats_read_fd(struct ps_wal_stats *s, int fd, uint64_t size)
{
    struct ps_wal_series_state *st = s->st;
    if (s->cur == NULL || st->ck_job != NULL || fd < 0)
        return PS_E_USAGE;
    if (s->chunks == NULL) {
        uint8_t *buf = malloc(FD_BLOCK);
        if (buf == NULL)
            return PS_E_NOMEM;
        enum ps_err e = PS_OK;
        for (uint64_t off = 0; off < size && e == PS_OK; off += FD_BLOCK) {
            size_t n = size - off < FD_BLOCK ? (size_t)(size - off) : FD_BLOCK;
            if (pread_all(fd, buf, n, off) != 0)
                e = PS_E_IO;
            else
                ps_wal_reader_feed(&s->rd, buf, n);
        }
        free(buf);
        return e != PS_OK ? e : st->oom;
    }
    struct fd_chunks g = {fd, size, chunk_target(st), 0};
    st->ck_fd = 1;
    s->rd.bytes += size;
    wal_chunks_generate(s->chunks, next_fd_chunk, &g);
    return st->ck_ioerr ? PS_E_IO : st->oom;
}

static enum ps_err
end_segment(struct ps_wal_stats *s, int cut)
{
    if (s->cur == NULL)
        return PS_E_USAGE;
    if (s->chunks != NULL && (s->st->ck_fd || s->st->ck_direct == 2)) {
        /* read_fd read it all, its last chunk ended it; or ignored */
    } else if (s->chunks != NULL && s->st->ck_direct == 0) {
        submit_chunk(s, 1, cut);
        wal_chunks_drain(s->chunks);
    } else if (cut) {
        ps_wal_reader_cut(&s->rd);
    } else {
        ps_wal_reader_end(&s->rd);
    }
    /* the workers stop with the segment: a bundle holds many WALs */
    chunks_stop(s);
    s->st->ck_failed = 0;
    s->cur->bytes = s->rd.bytes;
    merge(&s->totals, s->cur);
    s->cur = NULL;
    return s->st->oom;
}

enum ps_err
ps_wal_stats_end_segment(struct ps_wal_stats *s)
{
    return end_segment(s, 0);
}

enum ps_err
ps_wal_stats_end_segment_cut(struct ps_wal_stats *s)
{
    return end_segment(s, 1);
}

void
wal_stats_read_free(struct ps_wal_stats *s)
{
    chunks_stop(s);
}
