/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ps_bundle.h - reading a support bundle: a directory, a single file, or an
 * archive libarchive reads (tar, tar.gz, tar.zst, tar.xz, zip), streamed
 * entry by entry and never extracted to disk.
 *
 * Every entry is classified by path AND content (ps_classify), so a renamed
 * file is still recognised. Unsafe entries (absolute paths, "..", symlinks,
 * hardlinks, devices) are listed in the inventory with `unsafe` set and are
 * never followed or read. Limits (entry size, total bytes, compression
 * ratio, entry count, path depth) stop a hostile archive with a located
 * diagnostic instead of exhausting memory or time.
 *
 * Ownership: a struct ps_bundle is owned by the caller and released with
 * ps_bundle_close(). A struct ps_entry and a struct ps_stream passed to a
 * visitor are borrowed and valid only during that call.
 */
#ifndef PS_BUNDLE_H
#define PS_BUNDLE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "promsight/ps_err.h"

enum ps_entry_type {
    PS_ET_FILE,
    PS_ET_DIR,
    PS_ET_SYMLINK,
    PS_ET_HARDLINK,
    PS_ET_DEVICE,     /* char/block device, fifo, socket */
    PS_ET_OTHER,
};

/* What an entry is. Names (ps_kind_name) are stable: JSON uses them. */
enum ps_kind {
    PS_KIND_UNKNOWN,             /* "unknown" */
    PS_KIND_WAL_SEGMENT,         /* "wal_segment"        .../wal/00000012 */
    PS_KIND_CHECKPOINT_SEGMENT,  /* "checkpoint_segment" .../wal/checkpoint.N/00000000 */
    PS_KIND_WBL_SEGMENT,         /* "wbl_segment"        .../wbl/00000003 */
    PS_KIND_BLOCK_META,          /* "block_meta"         <ULID>/meta.json */
    PS_KIND_BLOCK_INDEX,         /* "block_index"        <ULID>/index */
    PS_KIND_BLOCK_CHUNKS,        /* "block_chunks"       <ULID>/chunks/000001 */
    PS_KIND_BLOCK_TOMBSTONES,    /* "block_tombstones"   <ULID>/tombstones */
    PS_KIND_HEAD_CHUNKS,         /* "head_chunks"        chunks_head/000001 */
    PS_KIND_SHIPPER_META,        /* "shipper_meta"       thanos.shipper.json */
    PS_KIND_LOG,                 /* "log" */
    PS_KIND_METRIC_DUMP,         /* "metric_dump"        exposition / OpenMetrics text */
    PS_KIND_API_JSON,            /* "api_json"           {"status":"success","data":...} */
    PS_KIND_CONFIG,              /* "config"             Prometheus/agent/Thanos YAML or JSON */
    PS_KIND_HASHRING,            /* "hashring"           Thanos hashrings.json */
    PS_KIND_K8S_OBJECT,          /* "k8s_object"         kubectl get -o json|yaml */
    PS_KIND_ARCHIVE,             /* "archive"            nested archive (listed, not opened) */
    PS_KIND_TEXT,                /* "text"               other text (README, df output, ...) */
    PS_KIND__COUNT
};

const char *ps_kind_name(enum ps_kind k);       /* never NULL */
const char *ps_entry_type_name(enum ps_entry_type t);

struct ps_entry {
    const char *path;        /* normalised: relative, '/'-separated, no "." */
    const char *raw_path;    /* as stored in the archive / found on disk */
    enum ps_entry_type type;
    enum ps_kind kind;
    const char *kind_by;     /* "path", "content" or "path+content" */
    uint64_t size;           /* uncompressed bytes (as declared by the archive) */
    int64_t mtime_ms;        /* entry modification time, 0 if unknown */
    int unsafe;              /* absolute, "..", link or device: never read */
    const char *link_target; /* symlink/hardlink target as stored, or NULL */
    /* Labels derived from the path (NULL when the path does not say). */
    const char *pod;
    const char *container;
    const char *tenant;
    const char *tsdb_root;   /* directory holding wal/, chunks_head/, blocks */
    int64_t seq;             /* segment/file number from the name, -1 if none */
    int64_t checkpoint;      /* N of checkpoint.N for checkpoint segments, else -1 */
};

struct ps_bundle_limits {
    uint64_t max_entry_bytes;  /* one entry's uncompressed size (default 4 GiB) */
    uint64_t max_total_bytes;  /* all entries together (default 64 GiB) */
    double max_ratio;          /* uncompressed / compressed archive bytes (default 200) */
    uint64_t max_entries;      /* entries in the bundle (default 1,000,000) */
    unsigned max_depth;        /* path components (default 64) */
};

void ps_bundle_limits_default(struct ps_bundle_limits *lim);

struct ps_bundle;
struct ps_stream;

/*
 * Open path: a directory, an archive, or a single plain file (a bundle of
 * one entry). lim may be NULL for defaults. Problems found later are added
 * to diags (which must outlive the bundle). *out is owned by the caller.
 */
enum ps_err ps_bundle_open(const char *path, const struct ps_bundle_limits *lim,
                           struct ps_diags *diags, struct ps_bundle **out);
void ps_bundle_close(struct ps_bundle *b);           /* NULL-safe */
int ps_bundle_is_archive(const struct ps_bundle *b);
const char *ps_bundle_path(const struct ps_bundle *b);

/*
 * Read up to n bytes of the current entry into buf. Returns the bytes read,
 * 0 at the end of the entry, or -1 on error (a diagnostic is recorded).
 */
ssize_t ps_stream_read(struct ps_stream *s, void *buf, size_t n);
/*
 * For readers that want to read an entry's bytes at any offset, from
 * several threads (pread): the entry's file descriptor when it is a plain
 * file of a directory bundle (or the bundle file itself) that nothing has
 * been read from beyond the classification head, with its size in *size,
 * its bytes counted against the bundle's limits as read; -1 otherwise
 * (an archive, or a size over a limit: read with ps_stream_read, which
 * reports it). The descriptor stays owned by the stream.
 */
int ps_stream_file(struct ps_stream *s, uint64_t *size);

/*
 * Read the rest of the current entry into a malloc'd buffer (caller frees).
 * More than max bytes -> PS_E_LIMIT with a diagnostic, nothing returned.
 * A read that stops part-way (a cut archive, an I/O error, a bundle limit
 * such as the entry or total size, each reported as a diagnostic) returns
 * its error, nothing returned - or, when cut is not NULL, PS_OK with the
 * bytes read before it and *cut = 1 (0 when the entry was read whole): a
 * reader of a format that can stop anywhere (a WAL segment) goes as far as
 * the bundle does, as the streaming readers do.
 */
enum ps_err ps_stream_slurp(struct ps_stream *s, size_t max, uint8_t **p,
                            size_t *n);
enum ps_err ps_stream_slurp_upto(struct ps_stream *s, size_t max, uint8_t **p,
                                 size_t *n, int *cut);

/*
 * Visitor: called once per entry. s is NULL for anything but a safe
 * regular file. Return PS_OK to go on; any other value stops the walk and
 * is returned by ps_bundle_walk. A visitor need not read the whole entry.
 */
typedef enum ps_err (*ps_bundle_visit_fn)(void *ctx, const struct ps_entry *e,
                                          struct ps_stream *s);

/*
 * Visit every entry once: archives in stored order, directories in
 * byte-wise sorted path order (deterministic). May be called again (the
 * archive is re-opened).
 */
enum ps_err ps_bundle_walk(struct ps_bundle *b, ps_bundle_visit_fn fn, void *ctx);

/*
 * Random access: read one entry by normalised path into a malloc'd buffer
 * (caller frees). Directories open the file; archives scan from the start.
 * PS_DONE if there is no such safe regular file.
 */
enum ps_err ps_bundle_read_entry(struct ps_bundle *b, const char *path,
                                 size_t max, uint8_t **p, size_t *n);
/* The same, keeping what was read before a read error (*cut = 1; see
 * ps_stream_slurp_upto). */
enum ps_err ps_bundle_read_entry_upto(struct ps_bundle *b, const char *path,
                                      size_t max, uint8_t **p, size_t *n,
                                      int *cut);

/*
 * Classify from path and the first bytes of content (head, n may be 0).
 * *by (may be NULL) gets "path", "content" or "path+content". Pure
 * function: usable on a single file outside any bundle.
 */
enum ps_kind ps_classify(const char *path, const uint8_t *head, size_t n,
                         const char **by);

/* A snapshot of every entry, for `promsight inventory` and reports. */
struct ps_inventory {
    struct ps_entry *v;      /* strings owned by the inventory */
    size_t n;
    size_t count[PS_KIND__COUNT];
    size_t nunsafe;
    uint64_t total_bytes;
};

enum ps_err ps_bundle_inventory(struct ps_bundle *b, struct ps_inventory *inv);
void ps_inventory_free(struct ps_inventory *inv);    /* NULL-safe */

#endif
