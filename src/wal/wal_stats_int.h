/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * wal_stats_int.h - private to the WAL statistics (wal_stats.c counts,
 * wal_stats_read.c feeds segments on one or more threads,
 * wal_stats_derived.c derives summaries): the per-label-set state and the
 * handlers the readers call.
 */
#ifndef PS_WAL_STATS_INT_H
#define PS_WAL_STATS_INT_H

#include "promsight/ps_wal.h"

#include "wal_int.h"

#define RESERVOIR 16
#define STALE_NAN_BITS WAL_STALE_NAN_BITS

/* Per label set, touched for every sample (see "Speed" above). Deltas
 * seen = kept samples - 1, so delta number k (0-based) is the one that
 * arrives with the count at k + 1 (mod 2^32, as the count's low half). */
struct series_hot {
    int64_t last_t;            /* of kept samples */
    uint32_t samples;          /* kept samples + histograms, low 32 bits */
    uint32_t next_keep;        /* number of the next delta res keeps */
};

/* Per label set, touched rarely; same index as its struct series_hot. */
struct series_rec {
    uint64_t hash;
    size_t lab_off;
    uint32_t lab_len;
    uint32_t name_id;
    int64_t first_t;           /* of kept samples */
    uint32_t samples_hi;       /* kept samples >> 32 (series_hot.samples) */
    uint8_t stride_log2;       /* res holds every 2^stride_log2-th delta */
    uint8_t nres;              /* deltas held in res */
    uint32_t res[RESERVOIR];   /* systematic sample of scrape deltas (ms) */
};

struct ps_wal_series_state {
    struct series_rec *v;
    struct series_hot *hot;    /* parallel to v, hot_cap entries */
    size_t n, cap, hot_cap;
    struct ps_buf labels;      /* canonical label bytes, back to back */
    struct ps_buf scratch;
    struct ps_buf rt;          /* struct wal_rt of one record (on_record) */
    struct ps_map64 by_hash;   /* label hash -> index */
    struct ps_map64 by_ref;    /* series ref -> index (sparse refs) */
    uint32_t *dense;           /* ref -> index+1 for small refs (0: none) */
    size_t ndense;
    struct ps_intern names;    /* metric names */
    uint64_t *name_series;   /* label sets per metric name */
    size_t names_cap;
    struct ps_wal_visitor user;
    int has_user;
    /* chunked reading (see "reading a segment"): the workers' readers,
     * and the calling thread's chunk in collection; chunk_apply's view of
     * the chunks applied so far */
    void *workers;             /* struct chunk_reader[nworkers] */
    size_t nworkers;
    int ck_failed;             /* no workers: read on the calling thread */
    size_t chunk_bytes;        /* wal_stats_chunk_bytes (0: default) */
    struct wal_job *ck_job;
    uint64_t ck_off;           /* segment offset of the next chunk */
    int ck_open;               /* the last applied chunk ended in a record */
    int ck_reached;            /* ... and its reader arrived at its end */
    int ck_legacy;             /* the segment is pre-2.4: ignore the rest */
    int ck_ioerr;              /* a chunk could not be read: ignore the rest */
    int ck_direct;             /* 1: the rest of the segment goes to the
                                  calling thread's reader (chunks_go_direct);
                                  2: it is ignored (a pre-2.4 segment) */
    int ck_fd;                 /* this segment's chunks were all submitted
                                  by ps_wal_stats_read_fd */
    enum ps_err oom;
};

/* Kept samples of label set i (both halves of the count). */
static inline uint64_t
kept(const struct ps_wal_series_state *st, size_t i)
{
    return (uint64_t)st->v[i].samples_hi << 32 | st->hot[i].samples;
}

/* Does a samples record go the short way (wal_decode_samples_rt)? Not
 * when the user's visitor wants the samples themselves. */
static inline int
rt_ok(const struct ps_wal_stats *s)
{
    return !s->st->has_user || s->st->user.samples == NULL;
}

void wal_stats_seg_reset(struct ps_wal_seg_stats *g);
/* The handlers, in reading order (one call at a time): a whole record, a
 * samples record decoded by wal_decode_samples_rt (after counting it with
 * wal_stats_count_record), a corruption. ctx / s: the stats. */
void wal_stats_on_record(void *ctx, const struct ps_wal_record *rec);
void wal_stats_count_record(struct ps_wal_stats *s, const struct ps_wal_record *rec,
                            unsigned slot);
void wal_stats_accept_rt(struct ps_wal_stats *s, const struct wal_rt_batch *rb);
void wal_stats_add_corruption(struct ps_wal_stats *s, const struct ps_wal_corruption *c);
/* Stop the workers and free their readers (wal_stats_read.c). */
void wal_stats_read_free(struct ps_wal_stats *s);

#endif
