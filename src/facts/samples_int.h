/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * samples_int.h - private to the samples step of ingest, shared by its two
 * files: ingest_samples.c (the wanted names, the caps, blocks, the step)
 * and ingest_samples_wal.c (the head: the WAL plan, what the WAL step's
 * scan keeps, publishing). Not a stage interface: facts/ingest_int.h is.
 */
#ifndef PS_SAMPLES_INT_H
#define PS_SAMPLES_INT_H

#include <stddef.h>
#include <stdint.h>

#include "facts/ingest_int.h"
#include "promsight/ps_tsdb.h"
#include "promsight/ps_util.h"
#include "promsight/ps_wal.h"

#define PH "facts/tsdb-samples"
#define MAX_SAMPLES_TOTAL ((uint64_t)5000000)
#define MAX_SAMPLES_SERIES ((size_t)1000000)
#define MAX_LABELS 64
#define MAX_SEGMENT_BYTES ((size_t)1 << 30)
/* What the WAL step's scan may keep for the head samples (all roots);
 * beyond, a root's WAL is read again at publish. */
#define MAX_KEPT_BYTES ((size_t)32 << 20)

/* A planned WAL segment of a root, and where its kept records are. */
struct plan_seg {
    const struct ps_entry *e;   /* borrowed from the inventory */
    int kept;                   /* 1: records in the root's log [lo, hi) */
    size_t lo, hi;
};

/* One TSDB root's WAL: its segments in replay order and what the scan kept. */
struct wal_root {
    const char *root, *tenant;  /* borrowed from the inventory */
    struct plan_seg *seg;       /* slice of ps_samples.segs */
    size_t nseg;
    size_t next;                /* the plan's segment the scan should read next */
    int broken;                 /* read all of it from the bundle at publish */
    struct ps_map64 refs;       /* refs of wanted series seen by the scan */
    struct ps_buf log;          /* kept records (keep_series) */
};

struct path_ix {
    const char *path;
    uint32_t root, pos;
};

struct root_info {
    char *dir;          /* relative to the bundle */
    char *tenant;
    int64_t min_valid;  /* newest block maxTime */
};

struct ps_samples {
    struct ps_ingest *in;
    const char *bundle;
    struct ps_rules *rules;     /* owns the strings of rnames */
    const char **rnames;        /* names the built-in rules select */
    const char **names;         /* sorted, distinct */
    size_t nnames;
    uint64_t loaded, capped, hist_skipped;
    struct root_info *roots;
    size_t nroots;
    /* current series/root being loaded */
    const char *tsdb, *tenant;
    uint32_t src;
    /* blocks */
    struct ps_tsdb_stone *stones;   /* the current block's, sorted by ref */
    size_t nstones;
    /* WAL: the plan and what the WAL step's scan kept (owned here) */
    int planned;
    struct wal_root *wr;        /* in load order (tsdb_root) */
    size_t nwr;
    struct plan_seg *segs;
    struct path_ix *ix;         /* planned segments by path */
    size_t nix;
    size_t kept_bytes;          /* all roots' logs, <= MAX_KEPT_BYTES */
    struct ps_wal_scan_hooks hooks;
    /* the segment the scan reads (scan thread only) */
    struct wal_root *cur;
    size_t cur_pos, cur_lo;
    int cur_samples, cur_reread;
    /* WAL publishing */
    struct ps_map64 map;        /* WAL ref -> fact series id (wanted refs only) */
    struct ps_wal_decoder dec;
    int64_t min_valid;
    struct ps_buf lbuf;         /* label strings of one series */
};

/* Is [s, s+n) one of the wanted names? (ingest_samples.c) */
int samples_wanted(const struct ps_samples *c, const char *s, size_t n);
/* Add one sample of fact series id: 0 when added or counted as over a
 * cap (MAX_SAMPLES_*; c->capped), -1 when the fact store failed. */
int samples_add(struct ps_samples *c, uint32_t id, int64_t t, double v, uint32_t src);
/* The fact series for a label set given as n (name, value) pairs of
 * counted strings (the metric name among them), with the tsdb,
 * tsdb_tenant and source labels of the current root: 0 and *id, or -1. */
int samples_fact_series(struct ps_samples *c, const char *const *nm, const uint32_t *nl,
                        const char *const *vv, const uint32_t *vl, size_t n, uint32_t *id);
/* Publish every root's head samples (ingest_samples_wal.c), after the
 * TSDB step; then free what the WAL part owns. */
void samples_publish_wals(struct ps_samples *c, struct ps_bundle *b);
void samples_wal_free(struct ps_samples *c);

#endif
