/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * wal_scan.c - find every WAL directory in a bundle and read it in
 * Prometheus' replay order: the newest checkpoint (checkpoint.N/<segments>),
 * then the WAL segments after N in ascending order, then the WBL (wbl/
 * beside wal/). Older checkpoints and interrupted ones (checkpoint.N.tmp)
 * are reported, not read; segments at or before N are reported as what
 * Prometheus skips; gaps in numbering are reported as Prometheus refuses
 * them ("segments are not sequential").
 *
 * Streaming: the bundle is walked once per phase (checkpoints, WAL, WBL;
 * a phase with nothing to read is not walked) and every segment that comes
 * in order is fed to its reader page by page. A segment an archive stores
 * out of order is read afterwards by random access (ps_bundle_read_entry),
 * one segment at a time, so memory never holds more than one segment.
 *
 * Hooks (ps_wal_scan_bundle_hooks) are called around each segment on the
 * calling thread, while no worker runs: a caller (the samples step of
 * ingest) picks the visitor for that segment and learns whether it was
 * read whole.
 */
#include "promsight/ps_wal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "promsight/ps_bundle.h"

#define READ_CHUNK ((size_t)256 << 10)
#define MAX_RANDOM_ENTRY ((size_t)1 << 30)

enum phase { PH_CHECKPOINT, PH_WAL, PH_WBL, PH__COUNT };

struct seg_ent {
    char *path;
    int64_t seq;
    int64_t cp;              /* checkpoint N, -1 if not in a checkpoint */
    int tmp;                 /* inside checkpoint.N.tmp */
    enum ps_wal_seg_kind kind;
    int read;                /* selected for reading */
    int done;
};

struct group {
    char *dir;               /* the wal/ directory */
    char *tsdb_root, *pod, *tenant;
    struct seg_ent *v;
    size_t n, cap;
    /* per phase: indices of segments to read, in order */
    size_t *order[PH__COUNT];
    size_t norder[PH__COUNT];
    size_t next[PH__COUNT];
    struct ps_wal_stats *stats;
};

struct scan {
    struct group *g;
    size_t n, cap;
    struct ps_diags *diags;
    struct ps_bundle *b;
    enum phase ph;
    uint8_t *buf;
    enum ps_err err;
    const struct ps_wal_scan_hooks *hooks; /* may be NULL */
    int broken;                /* a walk stopped early: see walk() */
};

static int
all_digits(const char *s, size_t n)
{
    if (n == 0 || n > 18)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

static char *
strndup_s(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p != NULL) {
        memcpy(p, s, n);
        p[n] = 0;
    }
    return p;
}

/*
 * Parse ".../wal/00000012", ".../wal/checkpoint.00000007[.tmp]/00000000",
 * ".../wbl/00000003". Returns 1 and fills the outputs if path is a segment;
 * *dir gets the wal/ directory (malloc'd).
 */
static int
parse_segment_path(const char *path, char **dir, struct seg_ent *e)
{
    const char *base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;
    if (!all_digits(base, strlen(base)))
        return 0;
    e->seq = strtoll(base, NULL, 10);
    e->cp = -1;
    e->tmp = 0;
    size_t plen = (size_t)(base - path);          /* includes the '/' */
    size_t dlen = plen > 0 ? plen - 1 : 0;         /* parent dir length */
    const char *pstart = path;
    for (size_t i = dlen; i > 0; i--)
        if (path[i - 1] == '/') {
            pstart = path + i;
            break;
        }
    size_t pnlen = (size_t)(path + dlen - pstart); /* parent name length */
    if (pnlen > 11 && memcmp(pstart, "checkpoint.", 11) == 0) {
        const char *num = pstart + 11;
        size_t nl = pnlen - 11;
        if (nl > 4 && memcmp(num + nl - 4, ".tmp", 4) == 0) {
            e->tmp = 1;
            nl -= 4;
        }
        if (!all_digits(num, nl))
            return 0;
        e->cp = strtoll(num, NULL, 10);
        e->kind = PS_WAL_SEG_CHECKPOINT;
        size_t wl = pstart > path ? (size_t)(pstart - path) - 1 : 0;
        *dir = strndup_s(path, wl);
        return *dir != NULL;
    }
    if (pnlen == 3 && memcmp(pstart, "wbl", 3) == 0) {
        e->kind = PS_WAL_SEG_WBL;
        /* pair with the wal/ directory beside it */
        size_t root = (size_t)(pstart - path);
        char *d = malloc(root + 4);
        if (d == NULL)
            return 0;
        memcpy(d, path, root);
        memcpy(d + root, "wal", 4);
        *dir = d;
        return 1;
    }
    e->kind = PS_WAL_SEG_WAL;
    *dir = strndup_s(path, dlen);
    return *dir != NULL;
}

static struct group *
find_group(struct scan *sc, const char *dir)
{
    for (size_t i = 0; i < sc->n; i++)
        if (strcmp(sc->g[i].dir, dir) == 0)
            return &sc->g[i];
    if (ps_grow((void **)&sc->g, &sc->cap, sc->n + 1, sizeof(*sc->g)) != PS_OK)
        return NULL;
    struct group *g = &sc->g[sc->n];
    memset(g, 0, sizeof(*g));
    g->dir = strdup(dir);
    if (g->dir == NULL)
        return NULL;
    sc->n++;
    return g;
}

static enum ps_err
add_entry(struct scan *sc, const char *path, const struct ps_entry *pe)
{
    struct seg_ent e;
    char *dir = NULL;
    memset(&e, 0, sizeof(e));
    if (!parse_segment_path(path, &dir, &e)) {
        free(dir);
        return PS_OK;
    }
    struct group *g = find_group(sc, dir);
    free(dir);
    if (g == NULL)
        return PS_E_NOMEM;
    if (ps_grow((void **)&g->v, &g->cap, g->n + 1, sizeof(*g->v)) != PS_OK)
        return PS_E_NOMEM;
    e.path = strdup(path);
    if (e.path == NULL)
        return PS_E_NOMEM;
    g->v[g->n++] = e;
    if (pe != NULL && g->tsdb_root == NULL && pe->tsdb_root != NULL)
        g->tsdb_root = strdup(pe->tsdb_root);
    if (pe != NULL && g->pod == NULL && pe->pod != NULL)
        g->pod = strdup(pe->pod);
    if (pe != NULL && g->tenant == NULL && pe->tenant != NULL)
        g->tenant = strdup(pe->tenant);
    return PS_OK;
}

static enum ps_err
list_visit(void *ctx, const struct ps_entry *e, struct ps_stream *s)
{
    (void)s;
    struct scan *sc = ctx;
    if (e->type != PS_ET_FILE || e->unsafe)
        return PS_OK;
    int seg_kind = e->kind == PS_KIND_WAL_SEGMENT ||
                   e->kind == PS_KIND_CHECKPOINT_SEGMENT ||
                   e->kind == PS_KIND_WBL_SEGMENT;
    const char *base = strrchr(e->path, '/');
    base = base != NULL ? base + 1 : e->path;
    /* By path shape too: an empty segment has no content to classify. */
    if (!seg_kind && !all_digits(base, strlen(base)))
        return PS_OK;
    if (!seg_kind) {
        const char *p = e->path;
        if (strstr(p, "wal/") == NULL && strstr(p, "wbl/") == NULL)
            return PS_OK;
    }
    return add_entry(sc, e->path, e);
}

static int
cmp_seq(const void *a, const void *b, void *ctx)
{
    const struct seg_ent *v = ctx;
    const struct seg_ent *x = &v[*(const size_t *)a], *y = &v[*(const size_t *)b];
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Simple insertion sort with context (groups are small lists). */
static void
sort_idx(size_t *idx, size_t n, const struct seg_ent *v)
{
    for (size_t i = 1; i < n; i++) {
        size_t x = idx[i], j = i;
        while (j > 0 && cmp_seq(&idx[j - 1], &x, (void *)(uintptr_t)v) > 0) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = x;
    }
}

static void
note(struct ps_wal_stats *s, enum ps_sev sev, const char *path,
     const char *fmt, const char *arg)
{
    ps_diag_add(&s->notes, sev, PS_OK, path, PS_OFF_NONE, 0, "wal: replay order",
                fmt, arg);
}

static enum ps_err
ignore_checkpoint(struct ps_wal_stats *s, const char *name)
{
    for (size_t off = 0, i = 0; i < s->nignored; i++) {
        const char *n = (const char *)s->ignored.p + off;
        if (strcmp(n, name) == 0)
            return PS_OK;
        off += strlen(n) + 1;
    }
    s->nignored++;
    return ps_buf_append(&s->ignored, name, strlen(name) + 1);
}

/* Decide what to read and in which order; create the stats. */
static enum ps_err
plan_group(struct group *g, unsigned flags)
{
    g->stats = calloc(1, sizeof(*g->stats));
    if (g->stats == NULL || ps_wal_stats_init(g->stats, g->dir) != PS_OK)
        return PS_E_NOMEM;
    struct ps_wal_stats *s = g->stats;
    s->no_threads = (flags & PS_WAL_SCAN_ONE_THREAD) != 0;
    s->threads = (flags >> 8) & 0xffu;
    if (g->tsdb_root != NULL)
        s->tsdb_root = strdup(g->tsdb_root);
    if (g->pod != NULL)
        s->pod = strdup(g->pod);
    if (g->tenant != NULL)
        s->tenant = strdup(g->tenant);
    int64_t cp = -1;
    for (size_t i = 0; i < g->n; i++)
        if (g->v[i].kind == PS_WAL_SEG_CHECKPOINT && !g->v[i].tmp &&
            g->v[i].cp > cp)
            cp = g->v[i].cp;
    s->checkpoint_index = cp;
    if (cp >= 0) {
        char name[64];
        snprintf(name, sizeof(name), "checkpoint.%08lld", (long long)cp);
        size_t need = strlen(g->dir) + strlen(name) + 2;
        s->checkpoint_dir = malloc(need);
        if (s->checkpoint_dir == NULL)
            return PS_E_NOMEM;
        snprintf(s->checkpoint_dir, need, "%s/%s", g->dir, name);
    }
    for (int ph = 0; ph < PH__COUNT; ph++) {
        g->order[ph] = malloc((g->n + 1) * sizeof(size_t));
        if (g->order[ph] == NULL)
            return PS_E_NOMEM;
    }
    for (size_t i = 0; i < g->n; i++) {
        struct seg_ent *e = &g->v[i];
        if (e->kind == PS_WAL_SEG_CHECKPOINT) {
            if (e->tmp || e->cp != cp) {
                char name[64];
                snprintf(name, sizeof(name), "checkpoint.%08lld%s",
                         (long long)e->cp, e->tmp ? ".tmp" : "");
                if (ignore_checkpoint(s, name) != PS_OK)
                    return PS_E_NOMEM;
                continue;
            }
            g->order[PH_CHECKPOINT][g->norder[PH_CHECKPOINT]++] = i;
        } else if (e->kind == PS_WAL_SEG_WAL) {
            if (cp >= 0 && e->seq <= cp) {
                note(s, PS_SEV_NOTE, e->path, "%s",
                     "segment at or before the checkpoint: replay skips it "
                     "(Prometheus deletes it at the next truncation)");
                continue;
            }
            g->order[PH_WAL][g->norder[PH_WAL]++] = i;
        } else {
            g->order[PH_WBL][g->norder[PH_WBL]++] = i;
        }
    }
    for (int ph = 0; ph < PH__COUNT; ph++) {
        sort_idx(g->order[ph], g->norder[ph], g->v);
        /* Prometheus (2.42 head.Init) opens segment cp+1 (or 0) first and
         * fails when it is missing. */
        if (ph == PH_WAL && g->norder[ph] > 0) {
            const struct seg_ent *f = &g->v[g->order[ph][0]];
            int64_t want = cp >= 0 ? cp + 1 : 0;
            if (f->seq != want) {
                char msg[128];
                snprintf(msg, sizeof(msg), "replay starts at segment %lld but the "
                         "first one here is %lld", (long long)want, (long long)f->seq);
                note(s, PS_SEV_ERROR, f->path,
                     "%s: Prometheus fails to open this WAL (open WAL segment)", msg);
            }
        }
        for (size_t k = 0; k < g->norder[ph]; k++) {
            struct seg_ent *e = &g->v[g->order[ph][k]];
            e->read = 1;
            if (k > 0) {
                const struct seg_ent *p = &g->v[g->order[ph][k - 1]];
                if (e->seq != p->seq + 1) {
                    char msg[96];
                    snprintf(msg, sizeof(msg), "%lld then %lld",
                             (long long)p->seq, (long long)e->seq);
                    note(s, ph == PH_CHECKPOINT ? PS_SEV_WARN : PS_SEV_ERROR,
                         e->path,
                         "segments are not sequential (%s): Prometheus refuses "
                         "to open this WAL", msg);
                }
            }
        }
    }
    return PS_OK;
}

static void
hook_begin(struct scan *sc, struct group *g, const struct seg_ent *e)
{
    if (sc->hooks != NULL && sc->hooks->segment_begin != NULL)
        sc->hooks->segment_begin(sc->hooks->ctx, g->stats, e->path);
}

static void
hook_end(struct scan *sc, struct group *g, const struct seg_ent *e, uint64_t bytes,
         int complete)
{
    if (sc->hooks != NULL && sc->hooks->segment_end != NULL)
        sc->hooks->segment_end(sc->hooks->ctx, g->stats, e->path, bytes, complete);
}

/* What a segment the bundle cut short gets (read as far as it came). */
#define CUT_NOTE                                                                \
    "read error: the rest of this segment was not read (the statistics stop "  \
    "at its last complete fragment; no torn-record finding for a cut the "    \
    "bundle made)"

static enum ps_err
read_stream(struct scan *sc, struct group *g, struct seg_ent *e,
            struct ps_stream *st)
{
    struct ps_wal_stats *s = g->stats;
    hook_begin(sc, g, e);
    enum ps_err err = ps_wal_stats_begin_segment(s, e->path, e->kind, e->seq);
    if (err != PS_OK)
        return err;
    uint64_t bytes = 0;
    int complete = 1;
    /* a file of a directory: read where it lies, by the workers */
    uint64_t size = 0;
    int fd = ps_stream_file(st, &size);
    if (fd >= 0) {
        err = ps_wal_stats_read_fd(s, fd, size);
        if (err == PS_E_IO) {
            note(s, PS_SEV_ERROR, e->path, "%s", CUT_NOTE);
            complete = 0;
            err = PS_OK;
        }
        if (err != PS_OK)
            return err;
        bytes = size;
    }
    while (fd < 0) {
        ssize_t r = ps_stream_read(st, sc->buf, READ_CHUNK);
        if (r < 0) {
            note(s, PS_SEV_ERROR, e->path, "%s", CUT_NOTE);
            complete = 0;
            break;
        }
        if (r == 0)
            break;
        bytes += (uint64_t)r;
        err = ps_wal_stats_feed(s, sc->buf, (size_t)r);
        if (err != PS_OK)
            return err;
    }
    e->done = 1;
    err = complete ? ps_wal_stats_end_segment(s) : ps_wal_stats_end_segment_cut(s);
    hook_end(sc, g, e, bytes, complete && err == PS_OK);
    return err;
}

static enum ps_err
read_visit(void *ctx, const struct ps_entry *pe, struct ps_stream *st)
{
    struct scan *sc = ctx;
    if (st == NULL)
        return PS_OK;
    for (size_t i = 0; i < sc->n; i++) {
        struct group *g = &sc->g[i];
        size_t k = g->next[sc->ph];
        if (k >= g->norder[sc->ph])
            continue;
        struct seg_ent *e = &g->v[g->order[sc->ph][k]];
        if (strcmp(e->path, pe->path) != 0)
            continue;
        g->next[sc->ph]++;
        return read_stream(sc, g, e, st);
    }
    return PS_OK;
}

static enum ps_err
read_random(struct scan *sc, struct group *g, struct seg_ent *e)
{
    struct ps_wal_stats *s = g->stats;
    uint8_t *p = NULL;
    size_t n = 0;
    int cut = 0;
    enum ps_err err =
        ps_bundle_read_entry_upto(sc->b, e->path, MAX_RANDOM_ENTRY, &p, &n, &cut);
    if (err != PS_OK) {
        note(s, PS_SEV_ERROR, e->path, "%s", "segment could not be read");
        return err == PS_E_NOMEM ? err : PS_OK;
    }
    if (cut)
        note(s, PS_SEV_ERROR, e->path, "%s", CUT_NOTE);
    hook_begin(sc, g, e);
    err = ps_wal_stats_begin_segment(s, e->path, e->kind, e->seq);
    if (err == PS_OK) {
        for (size_t off = 0; off < n && err == PS_OK; off += READ_CHUNK)
            err = ps_wal_stats_feed(s, p + off, n - off < READ_CHUNK ? n - off : READ_CHUNK);
        enum ps_err e2 = cut ? ps_wal_stats_end_segment_cut(s) : ps_wal_stats_end_segment(s);
        if (err == PS_OK)
            err = e2;
        hook_end(sc, g, e, n, !cut && err == PS_OK);
    }
    e->done = 1;
    free(p);
    return err;
}

static void
free_groups(struct scan *sc)
{
    for (size_t i = 0; i < sc->n; i++) {
        struct group *g = &sc->g[i];
        for (size_t k = 0; k < g->n; k++)
            free(g->v[k].path);
        free(g->v);
        for (int ph = 0; ph < PH__COUNT; ph++)
            free(g->order[ph]);
        free(g->dir);
        free(g->tsdb_root);
        free(g->pod);
        free(g->tenant);
        if (g->stats != NULL) {
            ps_wal_stats_free(g->stats);
            free(g->stats);
        }
    }
    free(sc->g);
    free(sc->buf);
}

/* Move the stats out of the groups into out (groups keep none). */
static enum ps_err
finish(struct scan *sc, struct ps_wal_scan *out)
{
    out->wals = sc->n > 0 ? calloc(sc->n, sizeof(*out->wals)) : NULL;
    if (sc->n > 0 && out->wals == NULL)
        return PS_E_NOMEM;
    for (size_t i = 0; i < sc->n; i++) {
        out->wals[i] = *sc->g[i].stats;
        free(sc->g[i].stats);
        sc->g[i].stats = NULL;
        out->n++;
    }
    return PS_OK;
}

static int
cmp_group(const void *a, const void *b)
{
    return strcmp(((const struct group *)a)->dir, ((const struct group *)b)->dir);
}

enum ps_err
ps_wal_scan_bundle(struct ps_bundle *b, struct ps_diags *diags,
                   struct ps_wal_scan *out)
{
    return ps_wal_scan_bundle_flags(b, diags, 0, out);
}

enum ps_err
ps_wal_scan_bundle_flags(struct ps_bundle *b, struct ps_diags *diags,
                         unsigned flags, struct ps_wal_scan *out)
{
    return ps_wal_scan_bundle_hooks(b, diags, flags, NULL, out);
}

/*
 * One walk over the bundle. A bundle that breaks off - a truncated or
 * damaged archive, a read error, a size or compression-ratio limit - has
 * been reported by the bundle layer where it broke; the walk delivered the
 * entries before that point (a segment cut there is read as far as it
 * goes and noted), so the scan goes on with them rather than throwing the
 * statistics of every intact segment away. Only running out of memory
 * (or an error of the scan itself) stops it.
 */
static enum ps_err
walk(struct scan *sc, ps_bundle_visit_fn fn)
{
    enum ps_err err = ps_bundle_walk(sc->b, fn, sc);
    switch (err) {
    case PS_E_IO:
    case PS_E_TRUNCATED:
    case PS_E_CORRUPT:
    case PS_E_LIMIT:
        if (!sc->broken && sc->diags != NULL)
            ps_diag_add(sc->diags, PS_SEV_WARN, err, ps_bundle_path(sc->b), PS_OFF_NONE, 0,
                        "wal", "the bundle could not be read to its end (%s): WAL "
                        "statistics cover the segments before that point",
                        ps_strerror(err));
        sc->broken = 1;
        return PS_OK;
    default:
        return err;
    }
}

enum ps_err
ps_wal_scan_bundle_hooks(struct ps_bundle *b, struct ps_diags *diags,
                         unsigned flags, const struct ps_wal_scan_hooks *h,
                         struct ps_wal_scan *out)
{
    struct scan sc;
    memset(&sc, 0, sizeof(sc));
    memset(out, 0, sizeof(*out));
    sc.diags = diags;
    sc.b = b;
    sc.hooks = h;
    enum ps_err err = walk(&sc, list_visit);
    if (err == PS_OK && sc.n > 1)
        qsort(sc.g, sc.n, sizeof(*sc.g), cmp_group);
    for (size_t i = 0; err == PS_OK && i < sc.n; i++)
        err = plan_group(&sc.g[i], flags);
    if (err == PS_OK) {
        sc.buf = malloc(READ_CHUNK);
        if (sc.buf == NULL)
            err = PS_E_NOMEM;
    }
    for (int ph = 0; err == PS_OK && ph < PH__COUNT; ph++) {
        size_t want = 0;
        for (size_t i = 0; i < sc.n; i++)
            want += sc.g[i].norder[ph];
        if (want == 0)
            continue;
        sc.ph = (enum phase)ph;
        err = walk(&sc, read_visit);
        /* whatever the walk could not stream in order */
        for (size_t i = 0; err == PS_OK && i < sc.n; i++) {
            struct group *g = &sc.g[i];
            while (err == PS_OK && g->next[ph] < g->norder[ph]) {
                struct seg_ent *e = &g->v[g->order[ph][g->next[ph]++]];
                if (!e->done)
                    err = read_random(&sc, g, e);
            }
        }
    }
    if (err == PS_OK)
        err = finish(&sc, out);
    free_groups(&sc);
    if (err != PS_OK) {
        ps_wal_scan_free(out);
        if (diags != NULL)
            ps_diag_add(diags, PS_SEV_ERROR, err, ps_bundle_path(b), PS_OFF_NONE,
                        0, "wal", "WAL scan stopped: %s", ps_strerror(err));
    }
    return err;
}

enum ps_err
ps_wal_scan_file(const char *path, struct ps_diags *diags,
                 struct ps_wal_scan *out)
{
    return ps_wal_scan_file_flags(path, diags, 0, out);
}

enum ps_err
ps_wal_scan_file_flags(const char *path, struct ps_diags *diags,
                       unsigned flags, struct ps_wal_scan *out)
{
    struct scan sc;
    memset(&sc, 0, sizeof(sc));
    memset(out, 0, sizeof(*out));
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        ps_diag_add(diags, PS_SEV_ERROR, PS_E_IO, path, PS_OFF_NONE, 0, "wal",
                    "cannot open segment");
        return PS_E_IO;
    }
    struct seg_ent e;
    char *dir = NULL;
    memset(&e, 0, sizeof(e));
    if (!parse_segment_path(path, &dir, &e)) {
        /* Not named like a segment: read it as WAL segment -1. */
        free(dir);
        const char *slash = strrchr(path, '/');
        dir = slash != NULL ? strndup_s(path, (size_t)(slash - path)) : strdup(".");
        e.seq = -1;
        e.cp = -1;
        e.kind = PS_WAL_SEG_WAL;
    }
    enum ps_err err = PS_E_NOMEM;
    struct ps_wal_stats *s = calloc(1, sizeof(*s));
    sc.buf = malloc(READ_CHUNK);
    if (dir != NULL && s != NULL && sc.buf != NULL &&
        (err = ps_wal_stats_init(s, dir)) == PS_OK) {
        s->no_threads = (flags & PS_WAL_SCAN_ONE_THREAD) != 0;
        s->threads = (flags >> 8) & 0xffu;
        if (e.kind == PS_WAL_SEG_CHECKPOINT)
            s->checkpoint_index = e.cp;
        err = ps_wal_stats_begin_segment(s, path, e.kind, e.seq);
        struct stat st;
        int cut = 0;
        if (err == PS_OK && fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode)) {
            /* read where it lies, by the workers */
            err = ps_wal_stats_read_fd(s, fileno(f), (uint64_t)st.st_size);
        } else {
            size_t r;
            while (err == PS_OK && (r = fread(sc.buf, 1, READ_CHUNK, f)) > 0)
                err = ps_wal_stats_feed(s, sc.buf, r);
            if (ferror(f))
                err = PS_E_IO;
        }
        if (err == PS_E_IO) {
            ps_diag_add(diags, PS_SEV_ERROR, PS_E_IO, path, PS_OFF_NONE, 0,
                        "wal", "read error");
            cut = 1;
            err = PS_OK;
        }
        if (err == PS_OK)
            err = cut ? ps_wal_stats_end_segment_cut(s) : ps_wal_stats_end_segment(s);
    }
    fclose(f);
    free(dir);
    free(sc.buf);
    if (err == PS_OK) {
        out->wals = s;
        out->n = 1;
        return PS_OK;
    }
    if (s != NULL) {
        ps_wal_stats_free(s);
        free(s);
    }
    return err;
}

void
ps_wal_scan_free(struct ps_wal_scan *sc)
{
    if (sc == NULL)
        return;
    for (size_t i = 0; i < sc->n; i++)
        ps_wal_stats_free(&sc->wals[i]);
    free(sc->wals);
    sc->wals = NULL;
    sc->n = 0;
}
