/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bundle_int.h - private to src/bundle/ (and its tests and fuzz harnesses):
 * the bundle and stream structures, the per-entry pipeline shared by the
 * directory, single-file and archive walkers, path normalisation, label
 * derivation, and an in-memory archive opener for the fuzzer.
 *
 * Nothing here is a stable interface; other stages use ps_bundle.h only.
 */
#ifndef PS_BUNDLE_INT_H
#define PS_BUNDLE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "promsight/ps_bundle.h"
#include "promsight/ps_util.h"

struct archive;
struct ps_la;

/* Bytes of content read before classifying an entry: one WAL page, so the
 * first fragment (at most 32761 payload bytes + 7) fits and its CRC can be
 * verified. */
#define PS_BUNDLE_HEAD 32768

/* Ratio checks start once this many uncompressed bytes were produced. */
#define PS_BUNDLE_RATIO_GRACE ((uint64_t)1 << 20)

enum ps_bundle_mode { PS_BM_DIR, PS_BM_FILE, PS_BM_ARCHIVE };

struct ps_bundle {
    enum ps_bundle_mode mode;
    char *path;                    /* as given to ps_bundle_open */
    struct ps_bundle_limits lim;
    struct ps_diags *diags;        /* borrowed */
    const uint8_t *mem;            /* archive bytes for open_memory; borrowed */
    const struct ps_la *la;        /* libarchive, set by an archive walk */
    size_t mem_n;
    int walked;                    /* a walk completed: entry notes once only */
    /* Directory/file mode: the last two components of the directory the
     * entries live in ("data/wal" for a bundle that is a WAL directory),
     * prefixed to entry paths for classification only, so segments of a
     * bundle that IS a wal/, chunks_head/ or block directory (even empty
     * ones) are still recognised by path. Empty for archives. */
    char ctx[512];
    uint8_t *head;                 /* PS_BUNDLE_HEAD bytes, scratch */
    /* per walk */
    uint64_t produced;             /* uncompressed bytes read this walk */
    uint64_t nentries;
    enum ps_err stop;              /* PS_OK, or why the walk must stop */
};

/* Where a stream's bytes come from. */
struct ps_stream {
    struct ps_bundle *b;
    const char *path;              /* entry path, for diagnostics */
    int fd;                        /* directory/file mode, else -1 */
    struct archive *a;             /* archive mode, else NULL */
    const uint8_t *head;           /* bytes already read for classification */
    size_t head_n, head_off;
    uint64_t off;                  /* entry bytes handed out so far */
    uint64_t raw;                  /* entry bytes pulled from the source */
    int failed;                    /* a limit or I/O error ended the entry */
    /* archive mode: what is left of libarchive's current data block, and
     * of the hole (a sparse entry's zeros) before it */
    const uint8_t *blk;
    size_t blk_n;
    uint64_t hole;
};

/* Result of classifying with the evidence kept apart (classify.c). */
struct ps_class {
    enum ps_kind kind;             /* the decision */
    enum ps_kind by_path;          /* PS_KIND_UNKNOWN if the path says nothing */
    enum ps_kind by_content;
    const char *by;                /* "path", "content", "path+content", "none" */
    int conflict;                  /* strong path and content evidence disagree */
};

void ps_classify_ex(const char *path, const uint8_t *head, size_t n,
                    struct ps_class *c);

/*
 * Normalise raw into out (capacity cap, NUL-terminated): strip leading
 * "/" and "./", collapse "//", drop "." components and a trailing "/".
 * Returns flags: PS_PATH_ABS, PS_PATH_DOTDOT, PS_PATH_EMPTY, PS_PATH_LONG
 * (did not fit); *depth gets the number of components.
 */
enum {
    PS_PATH_ABS = 1,
    PS_PATH_DOTDOT = 2,
    PS_PATH_EMPTY = 4,
    PS_PATH_LONG = 8,
};
unsigned ps_bundle_path_norm(const char *raw, char *out, size_t cap,
                             unsigned *depth);

/* Labels derived from a normalised path; strings point into `buf`. */
struct ps_labels {
    const char *pod, *container, *tenant, *tsdb_root;
    int64_t seq, checkpoint;
    char buf[1024];
};
void ps_bundle_labels(const char *path, enum ps_kind kind, struct ps_labels *l);

/* Raw read from a stream's source with limit accounting (bundle.c). */
ssize_t ps_stream_source_read(struct ps_stream *s, void *buf, size_t n);

/* Ratio check for archives: 0 fine, -1 exceeded (diagnostic recorded and
 * b->stop set to PS_E_LIMIT). off locates the diagnostic in path. */
int ps_bundle_check_ratio(struct ps_bundle *b, struct archive *a,
                          const char *path, uint64_t off);

/*
 * The per-entry pipeline every walker calls: normalise, check limits,
 * read the head of a safe regular file through s (may be NULL), classify,
 * derive labels, call fn. dup != 0 marks a duplicate archive name.
 */
struct ps_raw_entry {
    const char *raw_path;
    enum ps_entry_type type;
    uint64_t size;
    int64_t mtime_ms;
    const char *link_target;
    int dup;
};
enum ps_err ps_bundle_emit(struct ps_bundle *b, const struct ps_raw_entry *r,
                           struct ps_stream *s, ps_bundle_visit_fn fn,
                           void *ctx);

/* Walkers (bundle_dir.c, bundle_archive.c). */
enum ps_err ps_bundle_walk_dir(struct ps_bundle *b, ps_bundle_visit_fn fn,
                               void *ctx);
enum ps_err ps_bundle_walk_file(struct ps_bundle *b, ps_bundle_visit_fn fn,
                                void *ctx);
enum ps_err ps_bundle_walk_archive(struct ps_bundle *b, ps_bundle_visit_fn fn,
                                   void *ctx);
enum ps_err ps_bundle_read_dir_entry(struct ps_bundle *b, const char *path,
                                     size_t max, uint8_t **p, size_t *n,
                                     int *cut);

/* 1 if path is an archive libarchive can list (bundle_archive.c); else 0
 * with libarchive's complaint, if any, in why; -1 if libarchive cannot be
 * loaded, with "cannot load libarchive (<soname>): <reason>" in why.
 * Loads libarchive (archive_lib.h): callers probe regular files only. */
int ps_bundle_probe_archive(const char *path, char *why, size_t why_n);

/*
 * Open an archive held in memory (the fuzz harness; tests). mem must
 * outlive the bundle. PS_E_UNSUPPORTED if libarchive cannot read it.
 */
enum ps_err ps_bundle_open_memory(const void *mem, size_t n,
                                  const struct ps_bundle_limits *lim,
                                  struct ps_diags *diags,
                                  struct ps_bundle **out);

#endif
