/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bundle_src.c - TSDB blocks inside an archive bundle. One walk over the
 * archive (ps_bundle_walk, classification by path and content) reads every
 * block file, chunks_head/ file and thanos.shipper.json into memory; the
 * roots are then derived from the paths exactly as ps_tsdb_scan derives
 * them from a directory tree, and blocks open from memory through the same
 * code as directories (ps_tsdb_block_open_src).
 */
#include <stdlib.h>
#include <string.h>

#include "promsight/ps_bundle.h"
#include "promsight/ps_tsdb.h"
#include "promsight/ps_util.h"
#include "tsdb/tsdb_int.h"

#define MAX_ENTRY ((size_t)2 << 30)

struct memfile {
    char *path;             /* "<archive>:<entry path>" */
    uint8_t *p;
    size_t n;
    int64_t mtime_ms;
    int taken;
};

struct ps_tsdb_mem {
    struct memfile *v;
    size_t n, cap;
    char **tmp;             /* incomplete block dirs seen */
    size_t ntmp, tcap;
    const char *prefix;
};

static char *
dupn(const char *s, size_t n)
{
    char *r = malloc(n + 1);
    if (r != NULL) {
        memcpy(r, s, n);
        r[n] = 0;
    }
    return r;
}

static char *
prefixed(const char *prefix, const char *path)
{
    size_t a = strlen(prefix), b = strlen(path);
    char *r = malloc(a + b + 2);
    if (r == NULL)
        return NULL;
    memcpy(r, prefix, a);
    r[a] = ':';
    memcpy(r + a + 1, path, b + 1);
    return r;
}

/* Directory part of p ("" if none), malloc'd. */
static char *
dirname_of(const char *p)
{
    const char *s = strrchr(p, '/');
    return s == NULL ? dupn("", 0) : dupn(p, (size_t)(s - p));
}

static const char *
base_of(const char *p)
{
    const char *s = strrchr(p, '/');
    return s == NULL ? p : s + 1;
}

static int
tmp_component(const char *path, size_t *end)
{
    const char *s = path;
    while (*s) {
        const char *e = strchr(s, '/');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len > PS_TSDB_ULID_LEN && ps_tsdb_is_ulid(s, PS_TSDB_ULID_LEN) &&
            ((len == PS_TSDB_ULID_LEN + 17 &&
              (memcmp(s + PS_TSDB_ULID_LEN, ".tmp-for-creation", 17) == 0 ||
               memcmp(s + PS_TSDB_ULID_LEN, ".tmp-for-deletion", 17) == 0)) ||
             (len == PS_TSDB_ULID_LEN + 4 && memcmp(s + PS_TSDB_ULID_LEN, ".tmp", 4) == 0))) {
            *end = (size_t)(s - path) + len;
            return 1;
        }
        if (e == NULL)
            break;
        s = e + 1;
    }
    return 0;
}

static int
wanted(const struct ps_entry *e)
{
    switch (e->kind) {
    case PS_KIND_BLOCK_META:
    case PS_KIND_BLOCK_INDEX:
    case PS_KIND_BLOCK_CHUNKS:
    case PS_KIND_BLOCK_TOMBSTONES:
    case PS_KIND_HEAD_CHUNKS:
    case PS_KIND_SHIPPER_META:
        return 1;
    default:
        break;
    }
    /* by path, in case content classification said otherwise */
    const char *b = base_of(e->path);
    return strcmp(b, "meta.json") == 0 || strcmp(b, "index") == 0 ||
           strcmp(b, "tombstones") == 0 || strcmp(b, "thanos.shipper.json") == 0;
}

static enum ps_err
visit(void *ctx, const struct ps_entry *e, struct ps_stream *s)
{
    struct ps_tsdb_mem *m = ctx;
    size_t end;
    if (e->type == PS_ET_DIR || s == NULL) {
        if (e->type == PS_ET_DIR && tmp_component(e->path, &end) &&
            end == strlen(e->path)) {
            if (m->ntmp == m->tcap &&
                ps_grow((void **)&m->tmp, &m->tcap, m->ntmp + 1, sizeof(char *)) != PS_OK)
                return PS_E_NOMEM;
            m->tmp[m->ntmp++] = prefixed(m->prefix, e->path);
        }
        return PS_OK;
    }
    if (tmp_component(e->path, &end)) {
        /* record the tmp directory even when the archive has no dir entry */
        char *dir = dupn(e->path, end);
        char *pd = dir != NULL ? prefixed(m->prefix, dir) : NULL;
        free(dir);
        int seen = 0;
        for (size_t i = 0; pd != NULL && i < m->ntmp && !seen; i++)
            seen = strcmp(m->tmp[i], pd) == 0;
        if (pd != NULL && !seen &&
            ps_grow((void **)&m->tmp, &m->tcap, m->ntmp + 1, sizeof(char *)) == PS_OK)
            m->tmp[m->ntmp++] = pd;
        else
            free(pd);
        return PS_OK;
    }
    if (!wanted(e))
        return PS_OK;
    if (m->n == m->cap && ps_grow((void **)&m->v, &m->cap, m->n + 1, sizeof(*m->v)) != PS_OK)
        return PS_E_NOMEM;
    struct memfile *f = &m->v[m->n];
    memset(f, 0, sizeof(*f));
    if (ps_stream_slurp(s, MAX_ENTRY, &f->p, &f->n) != PS_OK)
        return PS_OK; /* the bundle layer recorded why */
    f->path = prefixed(m->prefix, e->path);
    f->mtime_ms = e->mtime_ms;
    if (f->path == NULL) {
        free(f->p);
        return PS_E_NOMEM;
    }
    m->n++;
    return PS_OK;
}

static struct memfile *
find(const struct ps_tsdb_mem *m, const char *path)
{
    for (size_t i = 0; i < m->n; i++)
        if (!m->v[i].taken && strcmp(m->v[i].path, path) == 0)
            return &m->v[i];
    return NULL;
}

const uint8_t *
ps_tsdb_mem_file(const struct ps_tsdb_mem *m, const char *path, size_t *n)
{
    struct memfile *f = m != NULL ? find(m, path) : NULL;
    *n = f != NULL ? f->n : 0;
    return f != NULL ? f->p : NULL;
}

static enum ps_err
mem_get(void *ctx, const char *path, uint8_t **p, size_t *n, int *mapped,
        int64_t *mtime_ms)
{
    struct memfile *f = find(ctx, path);
    if (f == NULL)
        return PS_E_IO;
    *p = f->p;
    *n = f->n;
    *mapped = 0;
    if (mtime_ms != NULL)
        *mtime_ms = f->mtime_ms;
    f->p = NULL;
    f->taken = 1;
    return PS_OK;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static enum ps_err
mem_list(void *ctx, const char *dir, char ***names, size_t *n)
{
    struct ps_tsdb_mem *m = ctx;
    size_t dl = strlen(dir), cap = 0;
    *names = NULL;
    *n = 0;
    for (size_t i = 0; i < m->n; i++) {
        const char *p = m->v[i].path;
        if (m->v[i].taken || strncmp(p, dir, dl) != 0 || p[dl] != '/' ||
            strchr(p + dl + 1, '/') != NULL)
            continue;
        if (*n == cap && ps_grow((void **)names, &cap, *n + 1, sizeof(char *)) != PS_OK)
            return PS_E_NOMEM;
        (*names)[(*n)++] = dupn(p + dl + 1, strlen(p + dl + 1));
    }
    if (*n > 1)
        qsort(*names, *n, sizeof(char *), cmp_str);
    return *n > 0 ? PS_OK : PS_E_IO;
}

enum ps_err
ps_tsdb_block_open_mem(struct ps_tsdb_mem *mem, const char *dir, struct ps_tsdb_block *b)
{
    struct ps_tsdb_src src = {mem_get, mem_list, mem};
    return ps_tsdb_block_open_src(dir, &src, b);
}

static struct ps_tsdb_root *
root_for(struct ps_tsdb_scan *s, size_t *cap, const char *dir)
{
    for (size_t i = 0; i < s->nroots; i++)
        if (strcmp(s->roots[i].dir, dir) == 0)
            return &s->roots[i];
    if (s->nroots == *cap &&
        ps_grow((void **)&s->roots, cap, s->nroots + 1, sizeof(*s->roots)) != PS_OK)
        return NULL;
    struct ps_tsdb_root *r = &s->roots[s->nroots++];
    memset(r, 0, sizeof(*r));
    ps_diags_init(&r->diags);
    r->dir = dupn(dir, strlen(dir));
    const char *c = strrchr(dir, ':');
    const char *t = base_of(c != NULL ? c + 1 : dir);
    r->tenant = *t != 0 ? dupn(t, strlen(t)) : NULL;
    return r;
}

static void
add_name(char ***v, size_t *n, const char *s)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*v)[i], s) == 0)
            return;
    char **nv = realloc(*v, (*n + 1) * sizeof(char *));
    if (nv == NULL)
        return;
    *v = nv;
    (*v)[(*n)++] = dupn(s, strlen(s));
}

static int
cmp_root(const void *a, const void *b)
{
    return strcmp(((const struct ps_tsdb_root *)a)->dir, ((const struct ps_tsdb_root *)b)->dir);
}

enum ps_err
ps_tsdb_scan_bundle(struct ps_bundle *bu, struct ps_tsdb_scan *s,
                    struct ps_tsdb_mem **memp, struct ps_diags *d)
{
    memset(s, 0, sizeof(*s));
    struct ps_tsdb_mem *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return PS_E_NOMEM;
    *memp = m;
    m->prefix = ps_bundle_path(bu);
    enum ps_err rc = ps_bundle_walk(bu, visit, m);
    if (rc != PS_OK && rc != PS_DONE) {
        ps_diag_add(d, PS_SEV_ERROR, rc, m->prefix, PS_OFF_NONE, 0, "tsdb/discover",
                    "reading the archive stopped: %s", ps_strerror(rc));
    }
    size_t cap = 0;
    for (size_t i = 0; i < m->n; i++) {
        const char *p = m->v[i].path, *b = base_of(p);
        char *dir = dirname_of(p), *rdir = NULL, *blk = NULL;
        if (dir == NULL)
            continue;
        const char *db = base_of(dir);
        if (strcmp(b, "thanos.shipper.json") == 0) {
            struct ps_tsdb_root *r = root_for(s, &cap, dir);
            if (r != NULL && !r->has_shipper &&
                ps_tsdb_shipper_parse(m->v[i].p, m->v[i].n, p, &r->shipper, &r->diags) ==
                    PS_OK)
                r->has_shipper = 1;
        } else if (strcmp(db, "chunks_head") == 0) {
            rdir = dirname_of(dir);
            struct ps_tsdb_root *r = rdir != NULL ? root_for(s, &cap, rdir) : NULL;
            if (r != NULL)
                add_name(&r->head_files, &r->nhead, p);
        } else if (strcmp(db, "chunks") == 0) {
            blk = dirname_of(dir);
        } else if (ps_tsdb_is_ulid(db, strlen(db))) {
            blk = dupn(dir, strlen(dir));
        }
        if (blk != NULL && ps_tsdb_is_ulid(base_of(blk), strlen(base_of(blk)))) {
            rdir = dirname_of(blk);
            struct ps_tsdb_root *r = rdir != NULL ? root_for(s, &cap, rdir) : NULL;
            if (r != NULL)
                add_name(&r->block_dirs, &r->nblocks, blk);
        }
        free(blk);
        free(rdir);
        free(dir);
    }
    for (size_t i = 0; i < m->ntmp; i++) {
        char *rdir = dirname_of(m->tmp[i]);
        struct ps_tsdb_root *r = rdir != NULL ? root_for(s, &cap, rdir) : NULL;
        if (r != NULL) {
            add_name(&r->incomplete, &r->nincomplete, m->tmp[i]);
            ps_diag_add(&r->diags, PS_SEV_NOTE, PS_E_CORRUPT, m->tmp[i], PS_OFF_NONE, 0,
                        "tsdb/incomplete-block",
                        "unfinished compaction or deletion: reported, not read");
        }
        free(rdir);
    }
    if (s->nroots > 1)
        qsort(s->roots, s->nroots, sizeof(*s->roots), cmp_root);
    for (size_t i = 0; i < s->nroots; i++) {
        struct ps_tsdb_root *r = &s->roots[i];
        if (r->nblocks > 1)
            qsort(r->block_dirs, r->nblocks, sizeof(char *), cmp_str);
        if (r->nhead > 1)
            qsort(r->head_files, r->nhead, sizeof(char *), cmp_str);
    }
    return PS_OK;
}

void
ps_tsdb_mem_free(struct ps_tsdb_mem *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].p);
        free(m->v[i].path);
    }
    free(m->v);
    for (size_t i = 0; i < m->ntmp; i++)
        free(m->tmp[i]);
    free(m->tmp);
    free(m);
}
