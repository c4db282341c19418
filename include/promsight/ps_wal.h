/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ps_wal.h - reading Prometheus write-ahead logs (wlog): WAL segments,
 * checkpoints and the out-of-order WBL, as written by Prometheus 2.x/3.x
 * servers, agents and Thanos Receive. docs/format-wal.md has the layouts.
 *
 * Three layers, each usable alone:
 *
 *  1. ps_wal_reader - the container. Fed a segment's bytes in any chunking
 *     (begin_segment, feed..., end_segment), it cuts 32 KiB pages into
 *     fragments, checks each fragment's CRC32C, reassembles full/first/
 *     middle/last fragments into records, decompresses snappy (raw block)
 *     or zstd records, and hands every logical record to on_record.
 *     Problems become struct ps_wal_corruption (on_corruption): located by
 *     segment, fragment start and the offset Prometheus itself would print;
 *     the reader then resynchronises at the next page and goes on. Memory:
 *     one page plus the record being reassembled (capped).
 *
 *  2. ps_wal_decode - the record decoders (types 1-13). A record is
 *     decoded completely before any callback runs, so a record that fails
 *     to decode yields no partial data ("never mis-parsed").
 *
 *  3. ps_wal_stats - statistics over one WAL directory (checkpoint, then
 *     segments, then the WBL), with head-replay semantics for the counts
 *     an oracle (promtool tsdb dump) can check; ps_wal_stats_json renders
 *     the contract documented in docs/format-wal.md. ps_wal_scan_bundle
 *     drives all of it over a bundle (every WAL directory in it).
 *
 * Ownership: every struct here is owned by the caller; *_free releases it
 * and is NULL-safe. Pointers handed to callbacks are borrowed for the
 * duration of the call only.
 */
#ifndef PS_WAL_H
#define PS_WAL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "promsight/ps_err.h"
#include "promsight/ps_util.h"

/* ---- format constants (Prometheus tsdb/wlog, tsdb/record) ---- */
#define PS_WAL_PAGE_SIZE 32768u
#define PS_WAL_FRAG_HDR 7u
#define PS_WAL_FRAG_MAX (PS_WAL_PAGE_SIZE - PS_WAL_FRAG_HDR) /* 32761 */
/* Limits on what we buffer for one record (not format limits). */
#define PS_WAL_MAX_STORED_RECORD ((size_t)256 << 20)
#define PS_WAL_MAX_RECORD ((size_t)512 << 20)

enum ps_wal_seg_kind {
    PS_WAL_SEG_WAL,        /* "wal" */
    PS_WAL_SEG_CHECKPOINT, /* "checkpoint" */
    PS_WAL_SEG_WBL,        /* "wbl" */
};
const char *ps_wal_seg_kind_name(enum ps_wal_seg_kind k);

/* Record types: the first byte of a decompressed record. */
enum ps_wal_rec {
    PS_WAL_REC_UNKNOWN = 0, /* anything not 1..13 is counted here */
    PS_WAL_REC_SERIES = 1,
    PS_WAL_REC_SAMPLES = 2,
    PS_WAL_REC_TOMBSTONES = 3,
    PS_WAL_REC_EXEMPLARS = 4,
    PS_WAL_REC_MMAP_MARKERS = 5,
    PS_WAL_REC_METADATA = 6,
    PS_WAL_REC_HISTOGRAMS = 7,
    PS_WAL_REC_FLOAT_HISTOGRAMS = 8,
    PS_WAL_REC_CB_HISTOGRAMS = 9,
    PS_WAL_REC_CB_FLOAT_HISTOGRAMS = 10,
    PS_WAL_REC_SAMPLES_V2 = 11,
    PS_WAL_REC_HISTOGRAMS_V2 = 12,
    PS_WAL_REC_FLOAT_HISTOGRAMS_V2 = 13,
    PS_WAL_REC__COUNT
};
/* Stable snake_case names used as JSON keys ("series", "samples", ...). */
const char *ps_wal_rec_name(unsigned type);
/* Slot for a type byte: itself if 1..13, else PS_WAL_REC_UNKNOWN. */
static inline unsigned
ps_wal_rec_slot(unsigned type_byte)
{
    return type_byte >= 1 && type_byte < PS_WAL_REC__COUNT ? type_byte : 0;
}

enum ps_wal_compr { PS_WAL_COMPR_NONE, PS_WAL_COMPR_SNAPPY, PS_WAL_COMPR_ZSTD };

/* What went wrong. Names (ps_wal_corrupt_name) are stable JSON values. */
enum ps_wal_corrupt {
    PS_WAL_C_CHECKSUM,          /* "checksum_mismatch" */
    PS_WAL_C_TORN_RECORD,       /* "torn_record": segment ends in first/middle */
    PS_WAL_C_INVALID_SIZE,      /* "invalid_record_size": len > 32761 */
    PS_WAL_C_FRAGMENT_ORDER,    /* "unexpected_fragment": full/first/middle/last order */
    PS_WAL_C_FRAGMENT_TYPE,     /* "unknown_fragment_type": type bits 5..7 */
    PS_WAL_C_NONZERO_PADDING,   /* "nonzero_padding" */
    PS_WAL_C_PAGE_OVERFLOW,     /* "record_overflows_page" */
    PS_WAL_C_UNKNOWN_RECORD,    /* "unknown_record_type" (not a replay error) */
    PS_WAL_C_DECOMPRESS,        /* "decompression_failed" */
    PS_WAL_C_TRUNCATED_BODY,    /* "truncated_record_body": decoder ran out / bad varint */
    PS_WAL_C_TOO_LARGE,         /* "record_too_large": over promsight's limits */
    PS_WAL_C_LEGACY,            /* "legacy_wal": pre-2.4 magic 0x43AF00EF */
    PS_WAL_C__COUNT
};
const char *ps_wal_corrupt_name(enum ps_wal_corrupt k);

struct ps_wal_corruption {
    enum ps_wal_corrupt kind;
    const char *segment;       /* segment name/path as given to begin_segment */
    int64_t seg_index;
    enum ps_wal_seg_kind seg_kind;
    uint64_t fragment_offset;  /* where the bad fragment (or record) starts */
    uint64_t prom_offset;      /* what Prometheus prints: bytes consumed */
    int triggers_repair;       /* 1 if Prometheus' head replay fails here */
    char message[160];         /* Prometheus' wording where it has one */
};

/* One logical record as the container hands it over (borrowed). */
struct ps_wal_record {
    const uint8_t *data;       /* decompressed; data[0] is the type */
    size_t len;
    size_t stored_len;         /* bytes of fragment payload (compressed) */
    enum ps_wal_compr compr;
    uint64_t offset;           /* first fragment's header offset in segment */
    uint64_t end_offset;       /* one past the last fragment */
    unsigned nfragments;
};

typedef void (*ps_wal_record_fn)(void *ctx, const struct ps_wal_record *r);
typedef void (*ps_wal_corrupt_fn)(void *ctx, const struct ps_wal_corruption *c);

/* ---- 1. container reader ---- */
struct ps_wal_reader {
    ps_wal_record_fn on_record;
    ps_wal_corrupt_fn on_corruption;
    void *ctx;
    /* Optional: where to decompress a snappy record: n bytes, the record
     * plus a few bytes of slack the decoder may overwrite (NULL:
     * the reader's own buffer). Lets a consumer receive records without
     * a copy; the bytes must stay valid until on_record returns. */
    uint8_t *(*out_reserve)(void *ctx, size_t n);
    /* private */
    const char *seg;
    int64_t seg_index;
    enum ps_wal_seg_kind seg_kind;
    uint64_t seg_off;          /* offset of page[0] in the segment */
    uint8_t page[PS_WAL_PAGE_SIZE];
    size_t page_n;
    struct ps_buf stored;      /* reassembly of the current record */
    struct ps_buf plain;       /* decompression output */
    const uint8_t *out;        /* the last decompressed record */
    size_t out_n;
    unsigned nfrag;            /* fragments in the current record */
    enum ps_wal_compr compr;
    uint64_t rec_off;
    int skipping;              /* after a resync: drop middle/last */
    int overflow;              /* current record exceeded the limit */
    size_t cut_n;              /* 0, or the bytes of the last page that
                                  exist (ps_wal_reader_cut) */
    uint64_t bytes;            /* bytes fed in this segment */
    void *zstd;                /* ZSTD_DCtx, lazily created */
    /* src/wal's chunked reading: the first page is read from start_pos
     * on; the first record started since begin (offset, UINT64_MAX for
     * none, end, fragment type); reached_cut = the walk of a page read
     * with cut_n arrived at exactly cut_n, at a fragment boundary */
    size_t start_pos;
    uint64_t first_rec_off, first_rec_end;
    unsigned first_rec_ft;
    int reached_cut;
};

void ps_wal_reader_init(struct ps_wal_reader *r, ps_wal_record_fn on_record,
                        ps_wal_corrupt_fn on_corruption, void *ctx);
void ps_wal_reader_free(struct ps_wal_reader *r);
/* name is borrowed until end_segment. */
void ps_wal_reader_begin(struct ps_wal_reader *r, const char *name,
                         enum ps_wal_seg_kind kind, int64_t index);
enum ps_err ps_wal_reader_feed(struct ps_wal_reader *r, const void *p,
                               size_t n);
/* Pads a torn last page with zeros (as Prometheus does) and checks for a
 * torn last record. */
enum ps_err ps_wal_reader_end(struct ps_wal_reader *r);
/* Instead of ps_wal_reader_end when the segment's bytes stopped coming for
 * a reason outside the segment (an archive cut short, a read error): the
 * fragments complete in what was fed are read, the rest - a partial
 * fragment, a record it ends inside - is dropped without a corruption
 * report, since nothing is known about bytes that never arrived. */
enum ps_err ps_wal_reader_cut(struct ps_wal_reader *r);

/* ---- 2. record decoders ---- */
struct ps_wal_label {
    const char *name, *value;  /* borrowed from the record, not NUL-terminated */
    uint32_t name_len, value_len;
};
struct ps_wal_series {
    uint64_t ref;
    const struct ps_wal_label *labels;
    size_t nlabels;
};
struct ps_wal_sample {
    uint64_t ref;
    int64_t t;
    int64_t st;                /* start time, V2 records only, else 0 */
    double v;
};
struct ps_wal_histogram {
    uint64_t ref;
    int64_t t;
    int64_t st;
    int is_float;
    int32_t schema;
    double count, sum;
    uint32_t nbuckets;         /* positive + negative */
    uint32_t ncustom;          /* custom bucket bounds (schema -53) */
};
struct ps_wal_exemplar {
    uint64_t ref;
    int64_t t;
    double v;
    size_t nlabels;
};
struct ps_wal_tombstone {
    uint64_t ref;
    int64_t mint, maxt;
};
struct ps_wal_metadata {
    uint64_t ref;
    uint8_t type;
    const char *unit, *help;
    uint32_t unit_len, help_len;
};
struct ps_wal_mmap_marker {
    uint64_t ref, chunk_ref;
};

/* Callbacks; any may be NULL. Arrays are borrowed for the call. */
struct ps_wal_visitor {
    void (*series)(void *ctx, const struct ps_wal_series *s, size_t n);
    void (*samples)(void *ctx, const struct ps_wal_sample *s, size_t n);
    void (*histograms)(void *ctx, const struct ps_wal_histogram *h, size_t n);
    void (*exemplars)(void *ctx, const struct ps_wal_exemplar *e, size_t n);
    void (*tombstones)(void *ctx, const struct ps_wal_tombstone *t, size_t n);
    void (*metadata)(void *ctx, const struct ps_wal_metadata *m, size_t n);
    void (*mmap_markers)(void *ctx, const struct ps_wal_mmap_marker *m,
                         size_t n);
    void *ctx;
};

/* Scratch arrays reused from record to record (grow with record size). */
struct ps_wal_decoder {
    struct ps_wal_label *labels;
    size_t nlabels_cap;
    struct ps_wal_series *series;
    size_t series_cap;
    void *items;               /* samples/histograms/... */
    size_t items_cap;          /* bytes */
};

void ps_wal_decoder_free(struct ps_wal_decoder *d);

/*
 * Decode one decompressed record and call the visitor. Returns PS_OK,
 * PS_E_UNSUPPORTED for an unknown type (nothing called), PS_E_TRUNCATED /
 * PS_E_CORRUPT when the body does not decode (nothing called), PS_E_NOMEM.
 * *nitems (may be NULL) gets the number of entries decoded.
 */
enum ps_err ps_wal_decode(struct ps_wal_decoder *d, const uint8_t *rec,
                          size_t n, const struct ps_wal_visitor *v,
                          size_t *nitems);

/* ---- 3. statistics ---- */
#define PS_WAL_MAX_CORRUPTIONS 1000
#define PS_WAL_TOP 10

struct ps_wal_seg_stats {
    char *name;                /* path of the segment */
    int64_t index;
    enum ps_wal_seg_kind kind;
    uint64_t bytes;            /* file bytes */
    uint64_t records[PS_WAL_REC__COUNT];
    uint64_t records_snappy, records_zstd;
    uint64_t stored_bytes, raw_bytes; /* record payload before/after decompression */
    uint64_t series;           /* series entries */
    uint64_t new_label_sets;   /* label sets first seen here */
    uint64_t samples, histograms, exemplars, tombstones, metadata,
        mmap_markers;
    uint64_t unknown_ref;      /* samples+histograms whose ref has no series */
    uint64_t out_of_order;     /* t < last appended t of the series */
    uint64_t duplicate;        /* t == last appended t */
    uint64_t stale_markers;
    int64_t min_t, max_t;      /* INT64_MAX/INT64_MIN when no samples */
    uint64_t corruptions;
};

struct ps_wal_series_state;    /* private to wal_stats.c */

struct ps_wal_stats {
    char *dir;                 /* WAL directory (path) */
    char *tsdb_root, *pod, *tenant; /* labels from the bundle, may be NULL */
    /* checkpoint read (newest) */
    int64_t checkpoint_index;  /* -1: none */
    char *checkpoint_dir;
    struct ps_buf ignored;     /* NUL-separated names of older/.tmp checkpoints */
    size_t nignored;
    struct ps_wal_seg_stats *segs;
    size_t nsegs, segs_cap;
    struct ps_wal_seg_stats totals;
    /* per distinct label set */
    struct ps_wal_series_state *st;
    /* corruptions, in reading order */
    struct ps_wal_corruption *corr; /* .segment strings owned here */
    size_t ncorr, corr_cap, corr_dropped;
    /* what a Prometheus repair would destroy (after the first repair-
     * triggering corruption) */
    int repair;
    struct ps_wal_corruption repair_at;
    uint64_t repair_records, repair_samples;
    int64_t repair_min_t, repair_max_t;
    int64_t repair_seg_index;
    enum ps_wal_seg_kind repair_seg_kind;
    /* gaps / notes for the report */
    struct ps_diags notes;
    /* 1 = decode on the calling thread only. Default 0: while a segment
     * is fed, worker threads decode its records and update these stats
     * (and run a visitor set with ps_wal_stats_set_visitor, one call at a
     * time, in order), so read the stats only after
     * ps_wal_stats_end_segment. */
    int no_threads;
    /* worker threads with no_threads = 0: 0 = one per CPU (ps_cpus, at
     * most 16), else that many (at most 64). */
    unsigned threads;
    /* internal */
    void *chunks;
    struct ps_wal_reader rd;
    struct ps_wal_decoder dec;
    struct ps_wal_seg_stats *cur;
    int in_record_decode;
};

enum ps_err ps_wal_stats_init(struct ps_wal_stats *s, const char *dir);
void ps_wal_stats_free(struct ps_wal_stats *s);
/* Segment framing: call begin, feed the bytes, then end. */
enum ps_err ps_wal_stats_begin_segment(struct ps_wal_stats *s, const char *name,
                                       enum ps_wal_seg_kind kind, int64_t index);
enum ps_err ps_wal_stats_feed(struct ps_wal_stats *s, const void *p, size_t n);
/* Instead of feed: the segment is the first size bytes of the file fd,
 * read with pread (by the worker threads themselves, when there are
 * some). PS_E_IO when a read failed: the statistics keep what came
 * before, so end the segment with ps_wal_stats_end_segment_cut. */
enum ps_err ps_wal_stats_read_fd(struct ps_wal_stats *s, int fd, uint64_t size);
enum ps_err ps_wal_stats_end_segment(struct ps_wal_stats *s);
/* Instead of end when the segment's bytes stopped coming for a reason
 * outside the WAL (ps_wal_reader_cut): no torn-record finding for a cut
 * the bundle made. */
enum ps_err ps_wal_stats_end_segment_cut(struct ps_wal_stats *s);
/* Optional: called for every successfully decoded record (e.g. to load
 * selected series into the fact store). */
void ps_wal_stats_set_visitor(struct ps_wal_stats *s,
                              const struct ps_wal_visitor *v);

/* Head-replay view, computed from the state (cheap). */
struct ps_wal_summary {
    uint64_t label_sets;        /* distinct label sets seen in series records */
    uint64_t head_series;       /* label sets with >= 1 accepted sample */
    uint64_t head_samples;      /* samples + histograms the head would keep */
    double samples_per_second;
    double bytes_per_sample;
    double compression_ratio;   /* raw / stored */
    int64_t scrape_interval_median_ms;   /* median of per-series medians, -1 */
    uint64_t series_created_after_start; /* first sample > 2 intervals after WAL start */
    double series_created_per_hour;
};
void ps_wal_stats_summary(const struct ps_wal_stats *s,
                          struct ps_wal_summary *out);

/* Render the "wals[]" element documented in docs/format-wal.md. */
json_t *ps_wal_stats_json(const struct ps_wal_stats *s);

/* Top metric names (by series or by samples), sorted, at most max. */
struct ps_wal_top {
    const char *name;          /* borrowed from the stats */
    uint64_t series, samples;
};
size_t ps_wal_stats_top(const struct ps_wal_stats *s, int by_samples,
                        struct ps_wal_top *out, size_t max);

/* Per-series scrape interval histogram: intervals rounded to whole
 * seconds (ms when < 1 s), most common first. */
struct ps_wal_interval_count {
    int64_t interval_ms;
    uint64_t series;
};
size_t ps_wal_stats_intervals(const struct ps_wal_stats *s,
                              struct ps_wal_interval_count *out, size_t max);

/* Series first seen per UTC hour. *out is malloc'd (caller frees). */
struct ps_wal_hour_count {
    int64_t hour_ms;
    uint64_t series;
};
enum ps_err ps_wal_stats_churn(const struct ps_wal_stats *s,
                               struct ps_wal_hour_count **out, size_t *n);

/* ---- 4. bundle scan: every WAL directory of a bundle ---- */
struct ps_bundle;
struct ps_wal_scan {
    struct ps_wal_stats *wals;
    size_t n;
};
/*
 * Read every WAL/checkpoint/WBL segment of b, one ps_wal_stats per WAL
 * directory (tsdb root), in Prometheus' replay order. Bundle problems go
 * to diags. Release with ps_wal_scan_free.
 */
enum ps_err ps_wal_scan_bundle(struct ps_bundle *b, struct ps_diags *diags,
                               struct ps_wal_scan *out);
/* Same, with flags: PS_WAL_SCAN_ONE_THREAD reads and decodes on the
 * calling thread only (ps_wal_stats.no_threads); PS_WAL_SCAN_THREADS(n)
 * with n workers (ps_wal_stats.threads; 0 = one per CPU). */
#define PS_WAL_SCAN_ONE_THREAD 1u
#define PS_WAL_SCAN_THREADS(n) (((unsigned)(n) & 0xffu) << 8)
enum ps_err ps_wal_scan_bundle_flags(struct ps_bundle *b, struct ps_diags *diags,
                                     unsigned flags, struct ps_wal_scan *out);
/*
 * Same, with hooks around every segment the scan reads (h may be NULL).
 * Both run on the calling thread while no worker thread runs (before
 * ps_wal_stats_begin_segment, after ps_wal_stats_end_segment), so
 * segment_begin may set the visitor that decodes this segment's records
 * (ps_wal_stats_set_visitor; it stays set for later segments until
 * changed). path is the bundle entry (borrowed for the call); segment_end
 * gets the bytes read and complete = 0 when a read error or a failure of
 * the statistics cut the segment short. A segment that cannot be opened
 * gets neither hook. Segments of different WAL directories interleave
 * (all checkpoints, then all WAL segments, then all WBLs); within one
 * directory they come in replay order.
 */
struct ps_wal_scan_hooks {
    void (*segment_begin)(void *ctx, struct ps_wal_stats *s, const char *path);
    void (*segment_end)(void *ctx, struct ps_wal_stats *s, const char *path, uint64_t bytes,
                        int complete);
    void *ctx;
};
enum ps_err ps_wal_scan_bundle_hooks(struct ps_bundle *b, struct ps_diags *diags,
                                     unsigned flags, const struct ps_wal_scan_hooks *h,
                                     struct ps_wal_scan *out);
/* One segment file on its own (not a bundle). */
enum ps_err ps_wal_scan_file(const char *path, struct ps_diags *diags,
                             struct ps_wal_scan *out);
enum ps_err ps_wal_scan_file_flags(const char *path, struct ps_diags *diags,
                                   unsigned flags, struct ps_wal_scan *out);
void ps_wal_scan_free(struct ps_wal_scan *sc);

#endif
