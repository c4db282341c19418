/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * block.c - open one block directory <ULID>/ read-only: meta.json, the
 * index and every chunks/NNNNNN segment are mapped, the tombstones file
 * parsed. Every file problem is a diagnostic in the block's own list; a
 * block with a broken file is still returned with what could be read.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "promsight/ps_tsdb.h"
#include "tsdb/tsdb_int.h"

static void
note_mtime(struct ps_tsdb_block *b, int64_t t)
{
    if (t > b->mtime_ms)
        b->mtime_ms = t;
}

static int
is_seg_name(const char *s)
{
    size_t n = strlen(s);
    if (n < 6)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static void
open_chunks(struct ps_tsdb_block *b, const struct ps_tsdb_src *src)
{
    char *cdir = ps_tsdb_join(b->dir, "chunks");
    char **names = NULL;
    size_t n = 0;
    if (cdir == NULL)
        return;
    if (src->list(src->ctx, cdir, &names, &n) != PS_OK) {
        ps_diag_add(&b->diags, PS_SEV_ERROR, PS_E_IO, cdir, PS_OFF_NONE, 0,
                    "tsdb/missing-file", "chunks/ directory cannot be read");
        free(cdir);
        return;
    }
    b->segs = calloc(n ? n : 1, sizeof(*b->segs));
    b->seg_p = calloc(n ? n : 1, sizeof(uint8_t *));
    b->seg_mapped = calloc(n ? n : 1, sizeof(int));
    b->seg_path = calloc(n ? n : 1, sizeof(char *));
    if (b->segs == NULL || b->seg_p == NULL || b->seg_mapped == NULL ||
        b->seg_path == NULL)
        goto out;
    long expect = 1;
    for (size_t i = 0; i < n; i++) {
        if (!is_seg_name(names[i]))
            continue;
        char *path = ps_tsdb_join(cdir, names[i]);
        if (path == NULL)
            break;
        long num = strtol(names[i], NULL, 10);
        if (num != expect)
            ps_diag_add(&b->diags, PS_SEV_ERROR, PS_E_CORRUPT, path, PS_OFF_NONE, 0,
                        "tsdb/missing-file", "segment %06ld follows %06ld: segment "
                        "numbers must be consecutive from 000001 (chunk refs index "
                        "files by position)", num, expect - 1);
        expect = num + 1;
        size_t k = b->nsegs;
        size_t len = 0;
        int64_t mt = 0;
        b->seg_path[k] = path;
        if (src->get(src->ctx, path, &b->seg_p[k], &len, &b->seg_mapped[k], &mt) != PS_OK)
            ps_diag_add(&b->diags, PS_SEV_ERROR, PS_E_IO, path, PS_OFF_NONE, 0,
                        "tsdb/missing-file", "cannot be read");
        note_mtime(b, mt);
        b->segs[k].p = b->seg_p[k];
        b->segs[k].n = len;
        b->segs[k].path = path;
        ps_tsdb_seg_check(&b->segs[k], PS_TSDB_CHUNKS_MAGIC, &b->diags);
        b->chunk_bytes += len;
        b->nsegs++;
    }
    if (b->nsegs == 0)
        ps_diag_add(&b->diags, PS_SEV_WARN, PS_E_CORRUPT, cdir, PS_OFF_NONE, 0,
                    "tsdb/missing-file", "no chunk segment files");
out:
    ps_tsdb_free_names(names, n);
    free(cdir);
}

static enum ps_err
dir_get(void *ctx, const char *path, uint8_t **p, size_t *n, int *mapped,
        int64_t *mtime_ms)
{
    (void)ctx;
    return ps_tsdb_map_file(path, p, n, mapped, mtime_ms);
}

static enum ps_err
dir_list(void *ctx, const char *dir, char ***names, size_t *n)
{
    (void)ctx;
    return ps_tsdb_list_dir(dir, names, n);
}

enum ps_err
ps_tsdb_block_open(const char *dir, struct ps_tsdb_block *b)
{
    struct ps_tsdb_src src = {dir_get, dir_list, NULL};
    return ps_tsdb_block_open_src(dir, &src, b);
}

enum ps_err
ps_tsdb_block_open_src(const char *dir, const struct ps_tsdb_src *src,
                       struct ps_tsdb_block *b)
{
    memset(b, 0, sizeof(*b));
    ps_diags_init(&b->diags);
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/')
        dl--;
    b->dir = malloc(dl + 1);
    if (b->dir == NULL)
        return PS_E_NOMEM;
    memcpy(b->dir, dir, dl);
    b->dir[dl] = 0;
    const char *base = strrchr(b->dir, '/');
    base = base != NULL ? base + 1 : b->dir;
    if (ps_tsdb_is_ulid(base, strlen(base)))
        memcpy(b->ulid, base, PS_TSDB_ULID_LEN + 1);

    /* meta.json */
    char *path = ps_tsdb_join(b->dir, "meta.json");
    uint8_t *p = NULL;
    size_t n = 0;
    int mapped = 0;
    int64_t mt = 0;
    if (path == NULL)
        return PS_E_NOMEM;
    if (src->get(src->ctx, path, &p, &n, &mapped, &mt) != PS_OK) {
        ps_diag_add(&b->diags, PS_SEV_ERROR, PS_E_IO, path, PS_OFF_NONE, 0,
                    "tsdb/missing-file", "meta.json missing or unreadable");
    } else {
        note_mtime(b, mt);
        b->meta_bytes = n;
        if (n > (64u << 20))
            ps_diag_add(&b->diags, PS_SEV_ERROR, PS_E_LIMIT, path, PS_OFF_NONE, 0,
                        "tsdb/meta", "meta.json of %zu bytes is larger than 64 MiB", n);
        else if (ps_tsdb_meta_parse(p, n, path, &b->meta, &b->diags) == PS_OK)
            b->meta_ok = 1;
        ps_tsdb_unmap_file(p, n, mapped);
        if (b->meta_ok && b->ulid[0] != 0 && strcmp(b->meta.ulid, b->ulid) != 0)
            ps_diag_add(&b->diags, PS_SEV_WARN, PS_E_CORRUPT, path, PS_OFF_NONE, 0,
                        "tsdb/meta", "ulid %s differs from the directory name %s",
                        b->meta.ulid, b->ulid);
        if (b->ulid[0] == 0 && b->meta.ulid[0] != 0)
            memcpy(b->ulid, b->meta.ulid, sizeof(b->ulid));
        if (b->meta_ok && b->meta.failed)
            ps_diag_add(&b->diags, PS_SEV_ERROR, PS_E_CORRUPT, path, PS_OFF_NONE, 0,
                        "tsdb/compaction-failed",
                        "compaction.failed is true: the compactor gave up on this block");
    }
    free(path);

    /* index */
    path = ps_tsdb_join(b->dir, "index");
    if (path == NULL)
        return PS_E_NOMEM;
    if (src->get(src->ctx, path, &b->index_p, &b->index_n, &b->index_mapped, &mt) !=
        PS_OK) {
        ps_diag_add(&b->diags, PS_SEV_ERROR, PS_E_IO, path, PS_OFF_NONE, 0,
                    "tsdb/missing-file", "index missing or unreadable");
        b->index_path = path;
    } else {
        note_mtime(b, mt);
        b->index_bytes = b->index_n;
        b->index_path = path; /* owned by the block; the index borrows it */
        enum ps_err e = ps_tsdb_index_open(b->index_p, b->index_n, b->index_path,
                                           &b->index, &b->diags);
        b->index_ok = e == PS_OK;
    }

    open_chunks(b, src);

    /* tombstones */
    path = ps_tsdb_join(b->dir, "tombstones");
    if (path == NULL)
        return PS_E_NOMEM;
    if (src->get(src->ctx, path, &p, &n, &mapped, &mt) == PS_OK) {
        note_mtime(b, mt);
        b->has_tombstones = 1;
        b->tombstone_bytes = n;
        ps_tsdb_tombstones_parse(p, n, path, &b->tomb, &b->diags);
        ps_tsdb_unmap_file(p, n, mapped);
    }
    free(path);
    b->size_bytes = b->index_bytes + b->chunk_bytes + b->tombstone_bytes + b->meta_bytes;
    return PS_OK;
}

void
ps_tsdb_block_close(struct ps_tsdb_block *b)
{
    if (b == NULL)
        return;
    ps_tsdb_index_close(&b->index);
    ps_tsdb_unmap_file(b->index_p, b->index_n, b->index_mapped);
    for (size_t i = 0; i < b->nsegs; i++) {
        ps_tsdb_unmap_file(b->seg_p[i], b->segs[i].n, b->seg_mapped[i]);
        free(b->seg_path[i]);
    }
    free(b->segs);
    free(b->seg_p);
    free(b->seg_mapped);
    free(b->seg_path);
    ps_tsdb_meta_free(&b->meta);
    ps_tsdb_tombstones_free(&b->tomb);
    ps_diags_free(&b->diags);
    free(b->dir);
    free(b->index_path);
    memset(b, 0, sizeof(*b));
}
