/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bundle.c - the bundle object: open (directory, archive or single file),
 * limits, the entry streams handed to visitors, the per-entry pipeline
 * every walker shares (normalise, limit, classify, label, visit), and
 * random access by path.
 *
 * A stream first hands out the head bytes that were read to classify the
 * entry, then continues from the source (a file descriptor or libarchive),
 * charging every byte to the entry and bundle limits; for archives it also
 * checks the uncompressed/compressed ratio (bundle_archive.c). Crossing a
 * limit records a located diagnostic; an entry limit ends that entry, a
 * bundle limit (total bytes, ratio, entry count) ends the walk with
 * PS_E_LIMIT.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle/archive_lib.h"
#include "bundle/bundle_int.h"

#define PHASE "bundle"

void
ps_bundle_limits_default(struct ps_bundle_limits *lim)
{
    lim->max_entry_bytes = (uint64_t)4 << 30;
    lim->max_total_bytes = (uint64_t)64 << 30;
    lim->max_ratio = 200.0;
    lim->max_entries = 1000000;
    lim->max_depth = 64;
}

static enum ps_err
bundle_new(const char *path, const struct ps_bundle_limits *lim,
           struct ps_diags *diags, struct ps_bundle **out)
{
    struct ps_bundle *b = calloc(1, sizeof(*b));
    if (b == NULL)
        return PS_E_NOMEM;
    b->path = strdup(path);
    b->head = malloc(PS_BUNDLE_HEAD);
    if (b->path == NULL || b->head == NULL) {
        ps_bundle_close(b);
        return PS_E_NOMEM;
    }
    if (lim != NULL)
        b->lim = *lim;
    else
        ps_bundle_limits_default(&b->lim);
    b->diags = diags;
    *out = b;
    return PS_OK;
}

/* b->ctx: the last two components of the bundle directory (of the
 * file's directory in single-file mode), resolved with realpath. */
static void
set_context(struct ps_bundle *b, int parent)
{
    char *rp = realpath(b->path, NULL);
    if (rp == NULL)
        return;
    size_t n = strlen(rp);
    if (parent) {
        while (n > 0 && rp[n - 1] != '/')
            n--;
        if (n > 0)
            n--;            /* drop the '/' before the base name */
    }
    rp[n] = 0;
    /* start of the second-to-last component */
    size_t s = n, comps = 0;
    while (s > 0 && comps < 2) {
        s--;
        if (rp[s] == '/')
            comps++;
    }
    if (rp[s] == '/')
        s++;
    snprintf(b->ctx, sizeof(b->ctx), "%s", rp + s);
    free(rp);
}

/* A single file whose first bytes say "compressed archive" but which
 * libarchive could not list: a damaged archive, worth saying so. */
static void
note_broken_archive(struct ps_bundle *b, const char *why)
{
    int fd = open(b->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, b->head, 512);
    close(fd);
    if (n <= 0 || ps_classify(NULL, b->head, (size_t)n, NULL) != PS_KIND_ARCHIVE)
        return;
    ps_diag_add(b->diags, PS_SEV_WARN, PS_E_CORRUPT, b->path, 0, 0, PHASE,
                "starts like a compressed archive but cannot be listed (%s); "
                "read as a single file",
                why != NULL && why[0] != 0 ? why : "no entry found");
}

enum ps_err
ps_bundle_open(const char *path, const struct ps_bundle_limits *lim,
               struct ps_diags *diags, struct ps_bundle **out)
{
    struct stat st;
    *out = NULL;
    if (path == NULL || diags == NULL)
        return PS_E_USAGE;
    if (stat(path, &st) != 0) {
        ps_diag_add(diags, PS_SEV_FATAL, PS_E_IO, path, PS_OFF_NONE, 0, PHASE,
                    "cannot open bundle: %s", strerror(errno));
        return PS_E_IO;
    }
    enum ps_bundle_mode mode;
    char why[512];
    if (S_ISDIR(st.st_mode))
        mode = PS_BM_DIR;            /* never probed: libarchive stays unloaded */
    else if (S_ISREG(st.st_mode)) {
        int arc = ps_bundle_probe_archive(path, why, sizeof(why));
        if (arc < 0) {
            /* without libarchive a file cannot be told apart from an
             * archive: refuse rather than misread an archive */
            ps_diag_add(diags, PS_SEV_FATAL, PS_E_IO, path, PS_OFF_NONE, 0,
                        PHASE ": archive", "%s", why);
            return PS_E_IO;
        }
        mode = arc ? PS_BM_ARCHIVE : PS_BM_FILE;
    } else {
        ps_diag_add(diags, PS_SEV_FATAL, PS_E_UNSUPPORTED, path, PS_OFF_NONE,
                    0, PHASE,
                    "not a directory, archive or regular file");
        return PS_E_UNSUPPORTED;
    }
    if (mode == PS_BM_FILE && access(path, R_OK) != 0) {
        ps_diag_add(diags, PS_SEV_FATAL, PS_E_IO, path, PS_OFF_NONE, 0, PHASE,
                    "cannot read: %s", strerror(errno));
        return PS_E_IO;
    }
    enum ps_err e = bundle_new(path, lim, diags, out);
    if (e != PS_OK)
        return e;
    (*out)->mode = mode;
    if (mode == PS_BM_FILE)
        note_broken_archive(*out, why);
    if (mode != PS_BM_ARCHIVE)
        set_context(*out, mode == PS_BM_FILE);
    return PS_OK;
}

enum ps_err
ps_bundle_open_memory(const void *mem, size_t n,
                      const struct ps_bundle_limits *lim,
                      struct ps_diags *diags, struct ps_bundle **out)
{
    *out = NULL;
    enum ps_err e = bundle_new("<memory>", lim, diags, out);
    if (e != PS_OK)
        return e;
    (*out)->mode = PS_BM_ARCHIVE;
    (*out)->mem = mem;
    (*out)->mem_n = n;
    return PS_OK;
}

void
ps_bundle_close(struct ps_bundle *b)
{
    if (b == NULL)
        return;
    free(b->path);
    free(b->head);
    free(b);
}

int
ps_bundle_is_archive(const struct ps_bundle *b)
{
    return b != NULL && b->mode == PS_BM_ARCHIVE;
}

const char *
ps_bundle_path(const struct ps_bundle *b)
{
    return b != NULL ? b->path : "";
}

/* ------------------------------------------------------------ streams */

/* uncompressed > max_ratio * compressed, after the grace amount */
static int
ratio_exceeded(struct ps_bundle *b, struct archive *a, uint64_t *unc,
               uint64_t *comp)
{
    int64_t f0 = b->la->filter_bytes(a, 0);
    int64_t fl = b->la->filter_bytes(a, -1);
    uint64_t u = b->produced;
    if (f0 > 0 && (uint64_t)f0 > u)
        u = (uint64_t)f0;
    uint64_t c = fl > 0 ? (uint64_t)fl : 1;
    *unc = u;
    *comp = c;
    return u > PS_BUNDLE_RATIO_GRACE && (double)u > b->lim.max_ratio * (double)c;
}

int
ps_bundle_check_ratio(struct ps_bundle *b, struct archive *a, const char *path,
                      uint64_t off)
{
    uint64_t u, c;
    if (b->stop != PS_OK)
        return -1;
    if (!ratio_exceeded(b, a, &u, &c))
        return 0;
    ps_diag_add(b->diags, PS_SEV_ERROR, PS_E_LIMIT, path, off, 0,
                PHASE ": compression ratio",
                "%llu uncompressed bytes from %llu compressed (ratio %.0f > "
                "limit %.0f): stopping, possible compression bomb",
                (unsigned long long)u, (unsigned long long)c,
                (double)u / (double)c, b->lim.max_ratio);
    b->stop = PS_E_LIMIT;
    return -1;
}

/*
 * Make sure an archive stream has bytes at hand (s->blk / s->hole), taking
 * libarchive's next data block when the last is used up; 0 when it has
 * (or the entry ended: both empty), -1 after a read error (reported).
 * Blocks, not archive_read_data: that fills the whole buffer it is given
 * from as many blocks as it takes and, when a later block fails (an
 * archive cut inside the entry), returns the error and drops what it had
 * copied - so what arrived before a cut depended on the caller's buffer
 * size. Block by block, every byte libarchive had is handed out. A gap
 * between blocks (or before the end libarchive gives with its EOF) is a
 * sparse entry's hole and reads as zeros, as archive_read_data gives it.
 */
static int
archive_block(struct ps_stream *s)
{
    struct ps_bundle *b = s->b;
    /* empty blocks are skipped, but not forever (a hostile archive) */
    for (unsigned empty = 0; s->blk_n == 0 && s->hole == 0; empty++) {
        const void *p = NULL;
        size_t n = 0;
        la_int64_t at = 0;
        int rc = b->la->read_data_block(s->a, &p, &n, &at);
        if (rc == ARCHIVE_EOF) {
            /* a sparse entry ending in a hole: its zeros, then the end */
            if (at > 0 && (uint64_t)at > s->raw)
                s->hole = (uint64_t)at - s->raw;
            return 0;
        }
        if (rc < ARCHIVE_WARN || at < 0 || (uint64_t)at < s->raw ||
            (n > 0 && p == NULL) || empty > 4096) {
            ps_diag_add(b->diags, PS_SEV_ERROR, PS_E_CORRUPT, s->path, s->raw,
                        0, PHASE ": archive data", "%s",
                        rc < ARCHIVE_WARN && b->la->error_string(s->a) != NULL
                            ? b->la->error_string(s->a)
                            : "data blocks out of order or empty");
            s->failed = 1;
            return -1;
        }
        s->hole = (uint64_t)at - s->raw;
        s->blk = p;
        s->blk_n = n;
    }
    return 0;
}

ssize_t
ps_stream_source_read(struct ps_stream *s, void *buf, size_t n)
{
    struct ps_bundle *b = s->b;
    if (s->failed || b->stop != PS_OK)
        return -1;
    if (n == 0)
        return 0;
    ssize_t r;
    if (s->a != NULL) {
        if (archive_block(s) != 0)
            return -1;
        size_t k = 0; /* nothing at hand: the entry's end */
        if (s->hole > 0) {
            k = s->hole < n ? (size_t)s->hole : n;
            memset(buf, 0, k);
            s->hole -= k;
        } else if (s->blk_n > 0) {
            k = s->blk_n < n ? s->blk_n : n;
            memcpy(buf, s->blk, k);
            s->blk += k;
            s->blk_n -= k;
        }
        r = (ssize_t)k;
    } else {
        do
            r = read(s->fd, buf, n);
        while (r < 0 && errno == EINTR);
        if (r < 0) {
            ps_diag_add(b->diags, PS_SEV_ERROR, PS_E_IO, s->path, s->raw, 0,
                        PHASE ": read", "%s", strerror(errno));
            s->failed = 1;
            return -1;
        }
    }
    s->raw += (uint64_t)r;
    b->produced += (uint64_t)r;
    if (s->raw > b->lim.max_entry_bytes) {
        ps_diag_add(b->diags, PS_SEV_ERROR, PS_E_LIMIT, s->path,
                    b->lim.max_entry_bytes, 0, PHASE ": entry size",
                    "entry larger than the limit of %llu bytes; rest not read",
                    (unsigned long long)b->lim.max_entry_bytes);
        s->failed = 1;
        return -1;
    }
    if (b->produced > b->lim.max_total_bytes) {
        ps_diag_add(b->diags, PS_SEV_ERROR, PS_E_LIMIT, s->path, s->raw, 0,
                    PHASE ": total size",
                    "bundle content exceeds the limit of %llu bytes: stopping",
                    (unsigned long long)b->lim.max_total_bytes);
        b->stop = PS_E_LIMIT;
        s->failed = 1;
        return -1;
    }
    if (s->a != NULL && ps_bundle_check_ratio(b, s->a, s->path, s->raw) != 0) {
        s->failed = 1;
        return -1;
    }
    return r;
}

ssize_t
ps_stream_read(struct ps_stream *s, void *buf, size_t n)
{
    if (s == NULL || (buf == NULL && n > 0))
        return -1;
    if (s->head_off < s->head_n) {
        size_t k = s->head_n - s->head_off;
        if (k > n)
            k = n;
        memcpy(buf, s->head + s->head_off, k);
        s->head_off += k;
        s->off += k;
        return (ssize_t)k;
    }
    ssize_t r = ps_stream_source_read(s, buf, n);
    if (r > 0)
        s->off += (uint64_t)r;
    return r;
}

int
ps_stream_file(struct ps_stream *s, uint64_t *size)
{
    struct stat st;
    if (s == NULL || s->a != NULL || s->fd < 0 || s->failed ||
        s->b->stop != PS_OK || s->off != 0 || fstat(s->fd, &st) != 0 ||
        !S_ISREG(st.st_mode))
        return -1;
    uint64_t n = (uint64_t)st.st_size;
    struct ps_bundle *b = s->b;
    if (n > b->lim.max_entry_bytes || b->produced + n > b->lim.max_total_bytes)
        return -1;
    /* counted now, as if read: the caller reads it all */
    b->produced += n - s->raw;
    s->raw = n;
    s->off = n;
    s->head_off = s->head_n;
    *size = n;
    return s->fd;
}

enum ps_err
ps_stream_slurp(struct ps_stream *s, size_t max, uint8_t **p, size_t *n)
{
    return ps_stream_slurp_upto(s, max, p, n, NULL);
}

enum ps_err
ps_stream_slurp_upto(struct ps_stream *s, size_t max, uint8_t **p, size_t *n,
                     int *cut)
{
    struct ps_buf buf = {0};
    *p = NULL;
    *n = 0;
    if (cut != NULL)
        *cut = 0;
    if (s == NULL)
        return PS_E_USAGE;
    for (;;) {
        if (ps_buf_reserve(&buf, 65536) != PS_OK) {
            ps_buf_free(&buf);
            return PS_E_NOMEM;
        }
        ssize_t r = ps_stream_read(s, buf.p + buf.n, buf.cap - buf.n);
        if (r < 0 && cut != NULL) {
            *cut = 1; /* keep what came before the error (read reported it) */
            break;
        }
        if (r < 0) {
            ps_buf_free(&buf);
            return s->b->stop != PS_OK ? s->b->stop : PS_E_IO;
        }
        if (r == 0)
            break;
        buf.n += (size_t)r;
        if (buf.n > max) {
            ps_diag_add(s->b->diags, PS_SEV_ERROR, PS_E_LIMIT, s->path, max, 0,
                        PHASE ": read entry",
                        "entry larger than the %zu bytes the reader accepts",
                        max);
            ps_buf_free(&buf);
            return PS_E_LIMIT;
        }
    }
    if (buf.p == NULL) {
        buf.p = malloc(1);
        if (buf.p == NULL)
            return PS_E_NOMEM;
    }
    *p = buf.p;
    *n = buf.n;
    return PS_OK;
}

/* ------------------------------------------------------- entry pipeline */

/* Fill the head buffer from the source: up to PS_BUNDLE_HEAD bytes. */
static size_t
read_head(struct ps_bundle *b, struct ps_stream *s)
{
    size_t n = 0;
    while (n < PS_BUNDLE_HEAD) {
        ssize_t r = ps_stream_source_read(s, b->head + n, PS_BUNDLE_HEAD - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    return n;
}

enum ps_err
ps_bundle_emit(struct ps_bundle *b, const struct ps_raw_entry *r,
               struct ps_stream *s, ps_bundle_visit_fn fn, void *ctx)
{
    char path[4096];
    unsigned depth = 0;
    int note = !b->walked;    /* per-entry notes on the first walk only */

    if (b->stop != PS_OK)
        return b->stop;
    b->nentries++;
    if (b->nentries > b->lim.max_entries) {
        ps_diag_add(b->diags, PS_SEV_ERROR, PS_E_LIMIT, r->raw_path,
                    PS_OFF_NONE, 0, PHASE ": entry count",
                    "more than %llu entries: stopping",
                    (unsigned long long)b->lim.max_entries);
        b->stop = PS_E_LIMIT;
        return PS_E_LIMIT;
    }
    unsigned fl = ps_bundle_path_norm(r->raw_path, path, sizeof(path), &depth);

    struct ps_entry e;
    memset(&e, 0, sizeof(e));
    e.path = path;
    e.raw_path = r->raw_path;
    e.type = r->type;
    e.size = r->size;
    e.mtime_ms = r->mtime_ms;
    e.link_target = r->link_target;

    if ((fl & PS_PATH_EMPTY) && r->type == PS_ET_DIR)
        return PS_OK;    /* "./": the bundle root itself */
    const char *why = NULL;
    if (fl & PS_PATH_EMPTY)
        why = "empty name";
    else if (fl & PS_PATH_ABS)
        why = "absolute path";
    else if (fl & PS_PATH_DOTDOT)
        why = "\"..\" component";
    else if (fl & PS_PATH_LONG)
        why = "path too long";
    else if (depth > b->lim.max_depth)
        why = "path deeper than the depth limit";
    else if (r->type == PS_ET_SYMLINK)
        why = "symbolic link";
    else if (r->type == PS_ET_HARDLINK)
        why = "hard link";
    else if (r->type == PS_ET_DEVICE || r->type == PS_ET_OTHER)
        why = "device, fifo or socket";
    e.unsafe = why != NULL;
    if (e.unsafe && note) {
        int is_limit = depth > b->lim.max_depth && !(fl & ~PS_PATH_LONG);
        ps_diag_add(b->diags, PS_SEV_WARN, is_limit ? PS_E_LIMIT : PS_E_UNSAFE,
                    r->raw_path, PS_OFF_NONE, 0, PHASE ": entry",
                    "%s%s%s: listed, never read or followed", why,
                    r->link_target != NULL ? " -> " : "",
                    r->link_target != NULL ? r->link_target : "");
    }
    if (r->dup && note)
        ps_diag_add(b->diags, PS_SEV_WARN, PS_E_UNSAFE, path, PS_OFF_NONE, 0,
                    PHASE ": entry",
                    "duplicate entry name: both listed, reads use the first");

    struct ps_class cl;
    int readable = !e.unsafe && r->type == PS_ET_FILE && s != NULL;
    size_t hn = 0;
    if (readable) {
        if (r->size > b->lim.max_entry_bytes && note)
            ps_diag_add(b->diags, PS_SEV_WARN, PS_E_LIMIT, path, PS_OFF_NONE,
                        0, PHASE ": entry size",
                        "declared size %llu exceeds the entry limit %llu",
                        (unsigned long long)r->size,
                        (unsigned long long)b->lim.max_entry_bytes);
        hn = read_head(b, s);
        if (b->stop != PS_OK)
            return b->stop;
        s->head = b->head;
        s->head_n = hn;
        s->head_off = 0;
        s->off = 0;
    }
    if (r->type == PS_ET_FILE || r->type == PS_ET_HARDLINK ||
        r->type == PS_ET_SYMLINK) {
        char cpath[sizeof(path) + sizeof(b->ctx)];
        const char *cp = path;
        if (b->ctx[0] != 0) {
            snprintf(cpath, sizeof(cpath), "%s/%s", b->ctx, path);
            cp = cpath;
        }
        ps_classify_ex(cp, readable ? b->head : NULL, hn, &cl);
    } else {
        cl.kind = PS_KIND_UNKNOWN;
        cl.by = "none";
        cl.conflict = 0;
        cl.by_path = cl.by_content = PS_KIND_UNKNOWN;
    }
    e.kind = cl.kind;
    e.kind_by = cl.by;
    if (cl.conflict && note)
        ps_diag_add(b->diags, PS_SEV_NOTE, PS_E_CORRUPT, path, 0, 0,
                    PHASE ": classify",
                    "name says %s but content is %s; treated as %s",
                    ps_kind_name(cl.by_path), ps_kind_name(cl.by_content),
                    ps_kind_name(cl.kind));

    struct ps_labels lb;
    if (r->type == PS_ET_DIR) {
        /* a directory's labels are those of a file inside it (so a pod
         * directory carries its own pod label); the dummy base name
         * matches no rule */
        char dpath[sizeof(path) + 3];
        snprintf(dpath, sizeof(dpath), "%s/\001", path);
        ps_bundle_labels(dpath, e.kind, &lb);
        lb.seq = -1;
    } else {
        ps_bundle_labels(path, e.kind, &lb);
    }
    e.pod = lb.pod;
    e.container = lb.container;
    e.tenant = lb.tenant;
    e.tsdb_root = lb.tsdb_root;
    e.seq = lb.seq;
    e.checkpoint = lb.checkpoint;

    enum ps_err rc = fn(ctx, &e, readable ? s : NULL);
    if (rc != PS_OK)
        return rc;
    return b->stop;
}

/* ------------------------------------------------------------- walking */

enum ps_err
ps_bundle_walk(struct ps_bundle *b, ps_bundle_visit_fn fn, void *ctx)
{
    if (b == NULL || fn == NULL)
        return PS_E_USAGE;
    b->produced = 0;
    b->nentries = 0;
    b->stop = PS_OK;
    enum ps_err e;
    switch (b->mode) {
    case PS_BM_DIR: e = ps_bundle_walk_dir(b, fn, ctx); break;
    case PS_BM_FILE: e = ps_bundle_walk_file(b, fn, ctx); break;
    case PS_BM_ARCHIVE: e = ps_bundle_walk_archive(b, fn, ctx); break;
    default: e = PS_E_INTERNAL; break;
    }
    b->walked = 1;
    return e;
}

struct find_ctx {
    const char *path;
    size_t max;
    uint8_t *p;
    size_t n;
    enum ps_err err;
    int found;
    int *cut; /* NULL: a read error is an error */
};

static enum ps_err
find_visit(void *ctx, const struct ps_entry *e, struct ps_stream *s)
{
    struct find_ctx *f = ctx;
    if (s == NULL || strcmp(e->path, f->path) != 0)
        return PS_OK;
    f->found = 1;
    f->err = ps_stream_slurp_upto(s, f->max, &f->p, &f->n, f->cut);
    return PS_DONE;    /* stop the walk */
}

enum ps_err
ps_bundle_read_entry(struct ps_bundle *b, const char *path, size_t max,
                     uint8_t **p, size_t *n)
{
    return ps_bundle_read_entry_upto(b, path, max, p, n, NULL);
}

enum ps_err
ps_bundle_read_entry_upto(struct ps_bundle *b, const char *path, size_t max,
                          uint8_t **p, size_t *n, int *cut)
{
    *p = NULL;
    *n = 0;
    if (cut != NULL)
        *cut = 0;
    if (b == NULL || path == NULL)
        return PS_E_USAGE;
    if (b->mode == PS_BM_DIR)
        return ps_bundle_read_dir_entry(b, path, max, p, n, cut);
    struct find_ctx f = {.path = path, .max = max, .err = PS_OK, .cut = cut};
    /* a search is not a full walk: keep per-entry notes for the first one */
    int walked = b->walked;
    b->walked = 1;
    enum ps_err e = ps_bundle_walk(b, find_visit, &f);
    b->walked = walked;
    if (!f.found)
        return e == PS_OK || e == PS_DONE ? PS_DONE : e;
    if (f.err != PS_OK)
        return f.err;
    *p = f.p;
    *n = f.n;
    return PS_OK;
}
