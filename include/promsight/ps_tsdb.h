/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ps_tsdb.h - Prometheus TSDB blocks: parsers for every file of a block
 * (meta.json, index, chunk segments, tombstones) and of chunks_head/, the
 * chunk decoders, a block model, discovery of TSDB roots under a path, the
 * health checks and the promtool-compatible analysis.
 *
 * Layers, bottom up:
 *   1. parsers over an in-memory byte range (fuzzers and tests use these):
 *      ps_tsdb_meta_parse, ps_tsdb_shipper_parse, ps_tsdb_index_open,
 *      ps_tsdb_seg_check / ps_tsdb_chunk_at, ps_tsdb_xor_*,
 *      ps_tsdb_tombstones_parse, ps_tsdb_head_chunks_scan;
 *   2. a block (ps_tsdb_block_open maps a <ULID>/ directory read-only);
 *   3. discovery (ps_tsdb_scan: every TSDB root and block under a path);
 *   4. checks and analysis (ps_tsdb_block_analyze, ps_tsdb_root_check).
 *
 * Problems in the input are diagnostics (ps_err.h), never crashes: every
 * health-check finding is a struct ps_diag whose `phase` is the stable
 * check name "tsdb/<check>" (docs/format-tsdb.md lists them), with the file
 * and byte offset where it was found.
 *
 * Ownership: every struct filled by a parse, open, analyze or scan
 * function owns its memory and is released with the matching *_free /
 * *_close (all NULL-safe and safe on a zeroed struct). Index and chunk
 * views borrow the bytes they were opened on; those must outlive them.
 */
#ifndef PS_TSDB_H
#define PS_TSDB_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "promsight/ps_err.h"

#define PS_TSDB_ULID_LEN 26

/* ------------------------------------------------------------------ */
/* meta.json                                                           */
/* ------------------------------------------------------------------ */

struct ps_tsdb_stats {
    uint64_t num_samples, num_float_samples, num_histogram_samples;
    uint64_t num_series, num_chunks, num_tombstones;
};

struct ps_tsdb_parent {
    char ulid[PS_TSDB_ULID_LEN + 1];
    int64_t min_time, max_time;
};

struct ps_tsdb_file {          /* Thanos "files" entry */
    char *rel_path;
    int64_t size_bytes;        /* -1 when absent (meta.json's own entry) */
    char *hash_func, *hash;    /* NULL when absent */
};

struct ps_tsdb_kv {
    char *name, *value;
};

struct ps_tsdb_meta {
    char ulid[PS_TSDB_ULID_LEN + 1];
    int64_t min_time, max_time;  /* ms; max exclusive */
    struct ps_tsdb_stats stats;  /* absent fields are zero */
    int version;
    /* compaction */
    int level;
    char (*sources)[PS_TSDB_ULID_LEN + 1];
    size_t nsources;
    struct ps_tsdb_parent *parents;
    size_t nparents;
    int deletable, failed;
    char **hints;
    size_t nhints;
    /* Thanos section (has_thanos 0: absent, as on a receiver's disk) */
    int has_thanos;
    struct ps_tsdb_kv *labels;
    size_t nlabels;
    int64_t downsample_resolution;
    char *source;
    struct ps_tsdb_file *files;
    size_t nfiles;
    int64_t series_max_size, chunk_max_size;
    char *upload_time;
};

/*
 * Parse a meta.json of n bytes. Wrong types, missing ULID and absurd
 * numbers become diagnostics (path, "tsdb/meta"); returns PS_E_SYNTAX if
 * the text is not a JSON object, else PS_OK with whatever was readable.
 */
enum ps_err ps_tsdb_meta_parse(const uint8_t *p, size_t n, const char *path,
                               struct ps_tsdb_meta *m, struct ps_diags *d);
void ps_tsdb_meta_free(struct ps_tsdb_meta *m);

/* thanos.shipper.json: {"version":1,"uploaded":[ULID...]} */
struct ps_tsdb_shipper {
    int version;
    char (*uploaded)[PS_TSDB_ULID_LEN + 1];
    size_t nuploaded;
};

enum ps_err ps_tsdb_shipper_parse(const uint8_t *p, size_t n, const char *path,
                                  struct ps_tsdb_shipper *s, struct ps_diags *d);
void ps_tsdb_shipper_free(struct ps_tsdb_shipper *s);

/* 1 if s is 26 Crockford base32 characters with a valid first digit. */
int ps_tsdb_is_ulid(const char *s, size_t n);
/* The ULID's 48-bit creation time in ms, or -1 if s is not a ULID. */
int64_t ps_tsdb_ulid_time(const char *s);

/* ------------------------------------------------------------------ */
/* index                                                               */
/* ------------------------------------------------------------------ */

struct ps_tsdb_toc {
    uint64_t symbols, series, label_indices, label_indices_table;
    uint64_t postings, postings_table;
};

struct ps_tsdb_str {              /* borrowed from the index bytes */
    const char *p;
    uint32_t n;
};

struct ps_tsdb_postings_entry {   /* one row of the postings offset table */
    uint32_t name, value;         /* symbol ordinals; UINT32_MAX: not a symbol */
    uint32_t count;               /* entries in the list (0 if unreadable) */
};

struct ps_tsdb_index {
    const uint8_t *p;             /* borrowed */
    size_t n;
    const char *path;             /* borrowed, for diagnostics */
    int version;                  /* 1, 2 or 3 */
    struct ps_tsdb_toc toc;
    struct ps_tsdb_str *syms;     /* ordinal -> string */
    uint32_t nsyms;
    uint64_t *sym_off;            /* v1: ordinal -> file offset (sorted) */
    struct ps_tsdb_postings_entry *pt;   /* postings table, sorted by
                                            (name, value) ordinal */
    size_t npt;
    uint32_t *all;                /* series refs from the ("","") list */
    size_t nall;
    int has_label_indices;        /* pre-3.7 label index sections present */
    uint32_t empty_sym;           /* ordinal of "" or UINT32_MAX */
};

/*
 * Open an index held in [p, p+n): header, TOC and its CRC, symbols,
 * postings table, the all-postings list and every postings list's CRC.
 * Damage is reported in d; returns PS_E_CORRUPT only when nothing usable
 * remains (bad magic, unusable TOC), else PS_OK.
 */
enum ps_err ps_tsdb_index_open(const uint8_t *p, size_t n, const char *path,
                               struct ps_tsdb_index *ix, struct ps_diags *d);
void ps_tsdb_index_close(struct ps_tsdb_index *ix);

/* Resolve a symbol ordinal; {NULL,0} when out of range. */
struct ps_tsdb_str ps_tsdb_index_sym(const struct ps_tsdb_index *ix, uint32_t o);
/* Ordinal of the symbol equal to [s, s+n), or UINT32_MAX. */
uint32_t ps_tsdb_index_sym_find(const struct ps_tsdb_index *ix, const char *s, size_t n);
/* Index in ix->pt of the (name, value) ordinal pair, or -1. */
int64_t ps_tsdb_index_pair(const struct ps_tsdb_index *ix, uint32_t name, uint32_t value);

struct ps_tsdb_chunk_meta {
    int64_t min_time, max_time;   /* inclusive */
    uint64_t ref;                 /* segment index << 32 | offset */
};

/* One decoded series; the caller reuses it across calls. */
struct ps_tsdb_series {
    uint64_t off;                 /* byte offset of the entry */
    uint32_t *lbl;                /* 2*nlabels symbol ordinals: name, value */
    size_t nlabels, lcap;
    struct ps_tsdb_chunk_meta *chk;
    size_t nchunks, ccap;
};

/*
 * Decode the series with reference ref (v2: offset/16, v1: offset). CRC
 * and bounds problems are reported in d (once per series) and return
 * PS_E_CORRUPT / PS_E_TRUNCATED; s is then empty.
 */
enum ps_err ps_tsdb_index_series(const struct ps_tsdb_index *ix, uint32_t ref,
                                 struct ps_tsdb_series *s, struct ps_diags *d);
void ps_tsdb_series_free(struct ps_tsdb_series *s);

/* ------------------------------------------------------------------ */
/* chunks                                                              */
/* ------------------------------------------------------------------ */

enum ps_tsdb_enc {
    PS_TSDB_ENC_NONE = 0,
    PS_TSDB_ENC_XOR = 1,
    PS_TSDB_ENC_HISTOGRAM = 2,
    PS_TSDB_ENC_FLOAT_HISTOGRAM = 3,
    PS_TSDB_ENC_XOR2 = 4,
    PS_TSDB_ENC_HISTOGRAM_ST = 5,
    PS_TSDB_ENC_FLOAT_HISTOGRAM_ST = 6,
    PS_TSDB_ENC_THANOS_AGGR = 0xFF,
};
const char *ps_tsdb_enc_name(unsigned enc);   /* never NULL */

#define PS_TSDB_CHUNKS_MAGIC 0x85BD40DDu
#define PS_TSDB_HEAD_CHUNKS_MAGIC 0x0130BC91u
#define PS_TSDB_SEG_HEADER 8

/* A mapped chunk segment file; bytes borrowed. */
struct ps_tsdb_seg {
    const uint8_t *p;
    size_t n;
    const char *path;
    int header_ok;
};

/* Check a segment's 8-byte header; diagnostics in d. Returns 1 if ok. */
int ps_tsdb_seg_check(struct ps_tsdb_seg *s, uint32_t magic, struct ps_diags *d);

struct ps_tsdb_chunk {
    unsigned enc;
    const uint8_t *data;          /* borrowed */
    size_t len;
    uint64_t off;                 /* offset of the chunk's length varint */
    size_t total;                 /* bytes on disk: len varint+enc+data+crc */
    int crc_ok;
};

/*
 * Read the block chunk at byte offset off of seg (no CRC problems are
 * reported here: c->crc_ok says). PS_E_TRUNCATED if it does not fit.
 */
enum ps_err ps_tsdb_chunk_at(const struct ps_tsdb_seg *seg, uint64_t off,
                             struct ps_tsdb_chunk *c);

/* Walk every chunk record of a block segment in file order. */
struct ps_tsdb_seg_stats {
    uint64_t chunks, bad_crc, bytes;
    uint64_t by_enc[8];           /* 0..6, [7] = 0xFF and other */
};
enum ps_err ps_tsdb_seg_scan(const struct ps_tsdb_seg *seg,
                             struct ps_tsdb_seg_stats *st, struct ps_diags *d);

/* Sample count from a chunk's header for any known encoding; -1 if unknown. */
int ps_tsdb_chunk_num_samples(unsigned enc, const uint8_t *p, size_t n);

/* XOR decoding: iterator over (t, v). */
struct ps_tsdb_xor_it {
    const uint8_t *p, *end;       /* unread bytes of the bit stream */
    uint64_t buf;                 /* next bits, MSB first */
    unsigned cnt;                 /* valid bits in buf */
    uint16_t total, read;
    int64_t t, tdelta;
    uint64_t vbits;
    uint8_t leading, trailing;
    enum ps_err err;
};
void ps_tsdb_xor_init(struct ps_tsdb_xor_it *it, const uint8_t *p, size_t n);
/* PS_OK with *t,*v set; PS_DONE at the end; PS_E_CORRUPT/TRUNCATED. */
enum ps_err ps_tsdb_xor_next(struct ps_tsdb_xor_it *it, int64_t *t, double *v);

/*
 * The differences between neighbouring timestamps of the samples decoded
 * (t[i] - t[i-1] with 64-bit wrap-around), summarised: meaningful when at
 * least 2 samples were decoded. `wrapped` is set when a timestamp
 * overflowed int64 on the way.
 */
struct ps_tsdb_tdelta {
    int64_t min, max;
    int wrapped;
};

/*
 * Decode a whole XOR chunk: up to cap samples into t[] (and v[] unless
 * NULL); *got gets the number decoded, *dl (unless NULL) their deltas.
 * PS_OK when all numSamples samples were read (cap permitting), else the
 * error that stopped decoding.
 */
enum ps_err ps_tsdb_xor_decode(const uint8_t *p, size_t n, int64_t *t, double *v,
                               size_t cap, size_t *got, struct ps_tsdb_tdelta *dl);

/*
 * Timestamps of a histogram (2) or float histogram (3) chunk: every sample
 * is walked (bucket values parsed and skipped); up to cap timestamps go to
 * t[], *got gets their number. PS_E_UNSUPPORTED for other encodings.
 */
enum ps_err ps_tsdb_hist_timestamps(unsigned enc, const uint8_t *p, size_t n,
                                    int64_t *t, size_t cap, size_t *got);

/* Tombstones file: intervals (series ref, mint, maxt). */
struct ps_tsdb_stone {
    uint64_t ref;
    int64_t mint, maxt;
};
struct ps_tsdb_tombstones {
    struct ps_tsdb_stone *v;
    size_t n;
    int crc_ok;
};
enum ps_err ps_tsdb_tombstones_parse(const uint8_t *p, size_t n, const char *path,
                                     struct ps_tsdb_tombstones *t,
                                     struct ps_diags *d);
void ps_tsdb_tombstones_free(struct ps_tsdb_tombstones *t);

/* chunks_head/ file scan. */
struct ps_tsdb_head_stats {
    uint64_t chunks, samples, bad_crc, ooo_chunks, zero_tail_bytes;
    int64_t min_time, max_time;   /* INT64_MAX/INT64_MIN when no chunks */
    uint64_t series;              /* distinct series refs */
};
enum ps_err ps_tsdb_head_chunks_scan(const uint8_t *p, size_t n, const char *path,
                                     struct ps_tsdb_head_stats *st,
                                     struct ps_diags *d);

/* ------------------------------------------------------------------ */
/* block, analysis                                                     */
/* ------------------------------------------------------------------ */

struct ps_tsdb_block {
    char *dir;                    /* path of <ULID>/ */
    char ulid[PS_TSDB_ULID_LEN + 1];  /* from the directory name */
    struct ps_tsdb_meta meta;
    int meta_ok;
    char *index_path;
    uint8_t *index_p;             /* mapped or malloc'd */
    size_t index_n;
    int index_mapped;
    struct ps_tsdb_index index;
    int index_ok;
    struct ps_tsdb_seg *segs;
    size_t nsegs;
    uint8_t **seg_p;
    int *seg_mapped;
    char **seg_path;
    struct ps_tsdb_tombstones tomb;
    int has_tombstones;
    uint64_t size_bytes;          /* promtool's Block.Size() */
    uint64_t index_bytes, chunk_bytes, tombstone_bytes, meta_bytes;
    int64_t mtime_ms;             /* newest file mtime (for the shipper age) */
    struct ps_diags diags;        /* parse problems and health findings */
};

/* Open <ULID>/ read-only (mmap). Problems go to b->diags. */
enum ps_err ps_tsdb_block_open(const char *dir, struct ps_tsdb_block *b);
void ps_tsdb_block_close(struct ps_tsdb_block *b);

#define PS_TSDB_HIST_BUCKETS 10

struct ps_tsdb_count {            /* one "%d %s" line of promtool analyze */
    char *name;
    uint64_t n;
};
struct ps_tsdb_top {
    struct ps_tsdb_count *v;      /* sorted: n desc, then name asc */
    size_t n;
};

struct ps_tsdb_minmax {
    uint64_t n;                   /* observations */
    double min, max, sum;
};

struct ps_tsdb_analysis {
    /* promtool tsdb analyze */
    int64_t duration_ms;
    uint64_t series_meta;         /* "Series:" = meta stats numSeries */
    uint64_t label_names;
    uint64_t postings_unique, postings_entries;
    struct ps_tsdb_top churn_pairs, churn_names, common_pairs;
    struct ps_tsdb_top value_lengths, cardinality_labels, cardinality_metrics;
    uint64_t fullness[PS_TSDB_HIST_BUCKETS];  /* --extended histogram */
    /* what the index and chunks hold */
    uint64_t series, chunks, samples, float_samples, histogram_samples;
    uint64_t chunk_bytes;         /* sum of chunk data lengths */
    uint64_t chunks_by_enc[8];    /* 0..6, [7] = 0xFF / unknown */
    uint64_t samples_decoded;     /* fully decoded XOR samples */
    struct ps_tsdb_minmax samples_per_chunk, bytes_per_chunk, bytes_per_sample;
    uint64_t crc_failures;
    /* gaps (missed scrapes) */
    uint64_t gap_series, gaps, gap_missed_samples;
    int64_t gap_ms;               /* sum of gap durations beyond the interval */
    int64_t common_gap_start, common_gap_end;  /* widest shared gap, or 0,0 */
    uint64_t common_gap_series;
    uint64_t decode_errors;       /* XOR chunks that did not decode */
    uint64_t series_errors;       /* series entries that did not decode */
};

struct ps_pool;

struct ps_tsdb_opts {
    int decode;                   /* decode XOR chunks fully (default 1) */
    int gaps;                     /* run the gap check (needs decode) */
    size_t limit;                 /* entries kept per top list; 0 = all */
    int threads;                  /* series walked on up to this many threads;
                                     0 = one per online CPU. The result does
                                     not depend on it. */
    struct ps_pool *pool;         /* borrowed: threads to use instead of
                                     starting `threads` for each block */
};

/*
 * One pass over the block: promtool analyze numbers, chunk statistics,
 * and the per-block health checks (findings into b->diags).
 */
enum ps_err ps_tsdb_block_analyze(struct ps_tsdb_block *b,
                                  const struct ps_tsdb_opts *o,
                                  struct ps_tsdb_analysis *a);
void ps_tsdb_analysis_free(struct ps_tsdb_analysis *a);

/* ------------------------------------------------------------------ */
/* discovery                                                           */
/* ------------------------------------------------------------------ */

/* One point of the per-TSDB block timeline (the capacity stage's input). */
struct ps_tsdb_timeline_point {
    char ulid[PS_TSDB_ULID_LEN + 1];
    int64_t min_time, max_time;
    uint64_t series, samples, chunks, bytes;
};

struct ps_tsdb_root {
    char *dir;                    /* the TSDB directory */
    char *tenant;                 /* last path component; NULL for a lone block */
    char **block_dirs;            /* sorted by meta minTime once opened */
    size_t nblocks;
    char **incomplete;            /* *.tmp-for-creation / -deletion / .tmp */
    size_t nincomplete;
    int has_shipper;
    struct ps_tsdb_shipper shipper;
    char **head_files;            /* chunks_head/NNNNNN */
    size_t nhead;
    struct ps_diags diags;        /* discovery and cross-block findings */
};

struct ps_tsdb_scan {
    struct ps_tsdb_root *roots;
    size_t nroots;
};

/*
 * Find every TSDB root under path (a directory; a lone block directory is
 * a root of one block). Deterministic: sorted by path.
 */
enum ps_err ps_tsdb_scan(const char *path, struct ps_tsdb_scan *s,
                         struct ps_diags *d);
void ps_tsdb_scan_free(struct ps_tsdb_scan *s);

/*
 * Cross-block checks of one root over its opened blocks (sorted by
 * minTime): overlaps, holes, blocks not in thanos.shipper.json. Findings go
 * to r->diags. A block's "age" is measured from the newest block's
 * maxTime, so output never depends on the wall clock.
 */
void ps_tsdb_root_check(struct ps_tsdb_root *r, struct ps_tsdb_block *blocks,
                        size_t n);

/*
 * Archives: read every TSDB file of an archive bundle (block files,
 * chunks_head/ files, thanos.shipper.json; never anything under a
 * .tmp-for-* directory) into memory in one pass, and describe the roots
 * as ps_tsdb_scan does. Paths are "<archive>:<entry path>". *mem owns the
 * bytes until a block takes them (ps_tsdb_block_open_mem).
 */
struct ps_bundle;
struct ps_tsdb_mem;
enum ps_err ps_tsdb_scan_bundle(struct ps_bundle *bu, struct ps_tsdb_scan *s,
                                struct ps_tsdb_mem **mem, struct ps_diags *d);
enum ps_err ps_tsdb_block_open_mem(struct ps_tsdb_mem *mem, const char *dir,
                                   struct ps_tsdb_block *b);
/* Borrowed bytes of a file still held by mem, or NULL. */
const uint8_t *ps_tsdb_mem_file(const struct ps_tsdb_mem *mem, const char *path,
                                size_t *n);
void ps_tsdb_mem_free(struct ps_tsdb_mem *mem);     /* NULL-safe */

/*
 * The block timeline of one root: out[i] for blocks[i] (sorted first with
 * ps_tsdb_blocks_sort). Values come from meta.json and the file sizes.
 * out must hold n points.
 */
void ps_tsdb_timeline(const struct ps_tsdb_block *blocks, size_t n,
                      struct ps_tsdb_timeline_point *out);

/* Sort blocks by (minTime, ULID) as promtool list does. */
void ps_tsdb_blocks_sort(struct ps_tsdb_block *blocks, size_t n);

/*
 * JSON (docs/format-tsdb.md), new references owned by the caller:
 * a block's meta.json summary (r: its root, for "shipped"; NULL gives
 * null), an analysis (decoded: whether samples were decoded, else "gaps"
 * is null), findings appended to arr (returned); below, a timeline
 * point and a head file.
 */
json_t *ps_tsdb_block_json(const struct ps_tsdb_block *b, const struct ps_tsdb_root *r);
json_t *ps_tsdb_analysis_json(const struct ps_tsdb_analysis *a, int decoded);
json_t *ps_tsdb_diags_json(const struct ps_diags *d, json_t *arr);
/* One point of a root's block timeline, and one chunks_head file's stats
 * (path: the file, borrowed). */
json_t *ps_tsdb_timeline_point_json(const struct ps_tsdb_timeline_point *tp);
json_t *ps_tsdb_head_json(const char *path, const struct ps_tsdb_head_stats *s);

#endif
