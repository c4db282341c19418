/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * discover.c - find every TSDB root under a directory and check a root's
 * blocks against each other.
 *
 * A directory is a TSDB root when it holds a block (<ULID>/ with a
 * meta.json), chunks_head/ or thanos.shipper.json. A path that is itself a
 * block directory is a root of that one block. <ULID>.tmp-for-creation,
 * <ULID>.tmp-for-deletion and <ULID>.tmp are incomplete blocks: listed,
 * never read. The walk does not enter blocks, wal/ or chunks_head/, and
 * stops at depth 12. Thanos Receive keeps one root per tenant, so a root's
 * tenant is its directory name.
 *
 * Cross-block checks (ps_tsdb_root_check):
 *   tsdb/overlap     two blocks' [minTime, maxTime) intersect
 *   tsdb/hole        more than one minute between one block's maxTime and
 *                    the next block's minTime (smaller gaps are the normal
 *                    offset of the first scrape after a block boundary)
 *   tsdb/not-shipped a local block absent from thanos.shipper.json: lost
 *                    if the volume is lost; its age is measured from the
 *                    newest block's maxTime, so output never depends on the
 *                    wall clock
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "promsight/ps_tsdb.h"
#include "promsight/ps_util.h"
#include "tsdb/tsdb_int.h"

#define MAX_DEPTH 12
#define HOLE_MIN_MS 60000

static int
is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static int
is_file(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

static int
has_file(const char *dir, const char *name)
{
    char *p = ps_tsdb_join(dir, name);
    int r = p != NULL && is_file(p);
    free(p);
    return r;
}

static int
is_tmp_block(const char *name)
{
    size_t n = strlen(name);
    if (n <= PS_TSDB_ULID_LEN || !ps_tsdb_is_ulid(name, PS_TSDB_ULID_LEN))
        return 0;
    const char *s = name + PS_TSDB_ULID_LEN;
    return strcmp(s, ".tmp-for-creation") == 0 || strcmp(s, ".tmp-for-deletion") == 0 ||
           strcmp(s, ".tmp") == 0;
}

static enum ps_err
push(char ***v, size_t *n, size_t *cap, char *s)
{
    if (s == NULL)
        return PS_E_NOMEM;
    if (*n == *cap && ps_grow((void **)v, cap, *n + 1, sizeof(char *)) != PS_OK) {
        free(s);
        return PS_E_NOMEM;
    }
    (*v)[(*n)++] = s;
    return PS_OK;
}

static enum ps_err
add_root(struct ps_tsdb_scan *s, size_t *cap, const char *dir, char **names,
         size_t n, struct ps_diags *d)
{
    if (s->nroots == *cap &&
        ps_grow((void **)&s->roots, cap, s->nroots + 1, sizeof(*s->roots)) != PS_OK)
        return PS_E_NOMEM;
    struct ps_tsdb_root *r = &s->roots[s->nroots++];
    memset(r, 0, sizeof(*r));
    ps_diags_init(&r->diags);
    r->dir = strdup(dir);
    const char *base = strrchr(dir, '/');
    r->tenant = strdup(base != NULL ? base + 1 : dir);
    size_t bc = 0, ic = 0, hc = 0;
    for (size_t i = 0; i < n; i++) {
        char *p = ps_tsdb_join(dir, names[i]);
        if (p == NULL)
            return PS_E_NOMEM;
        if (ps_tsdb_is_ulid(names[i], strlen(names[i])) && is_dir(p)) {
            if (!has_file(p, "meta.json"))
                ps_diag_add(&r->diags, PS_SEV_WARN, PS_E_CORRUPT, p, PS_OFF_NONE, 0,
                            "tsdb/incomplete-block",
                            "block directory without meta.json: not a complete block");
            push(&r->block_dirs, &r->nblocks, &bc, p);
        } else if (is_tmp_block(names[i]) && is_dir(p)) {
            ps_diag_add(&r->diags, PS_SEV_NOTE, PS_E_CORRUPT, p, PS_OFF_NONE, 0,
                        "tsdb/incomplete-block",
                        "unfinished compaction or deletion: reported, not read");
            push(&r->incomplete, &r->nincomplete, &ic, p);
        } else if (strcmp(names[i], "thanos.shipper.json") == 0 && is_file(p)) {
            uint8_t *b = NULL;
            size_t bn = 0;
            int mapped = 0;
            if (ps_tsdb_map_file(p, &b, &bn, &mapped, NULL) == PS_OK) {
                if (bn <= (16u << 20) &&
                    ps_tsdb_shipper_parse(b, bn, p, &r->shipper, &r->diags) == PS_OK)
                    r->has_shipper = 1;
                ps_tsdb_unmap_file(b, bn, mapped);
            }
            free(p);
        } else if (strcmp(names[i], "chunks_head") == 0 && is_dir(p)) {
            char **hn = NULL;
            size_t hnn = 0;
            if (ps_tsdb_list_dir(p, &hn, &hnn) == PS_OK)
                for (size_t k = 0; k < hnn; k++)
                    push(&r->head_files, &r->nhead, &hc, ps_tsdb_join(p, hn[k]));
            ps_tsdb_free_names(hn, hnn);
            free(p);
        } else {
            free(p);
        }
    }
    (void)d;
    return PS_OK;
}

static enum ps_err
walk(struct ps_tsdb_scan *s, size_t *cap, const char *dir, unsigned depth,
     struct ps_diags *d)
{
    char **names = NULL;
    size_t n = 0;
    if (ps_tsdb_list_dir(dir, &names, &n) != PS_OK) {
        ps_diag_add(d, PS_SEV_WARN, PS_E_IO, dir, PS_OFF_NONE, 0, "tsdb/discover",
                    "directory cannot be read");
        return PS_OK;
    }
    int root = 0;
    for (size_t i = 0; i < n && !root; i++) {
        char *p = ps_tsdb_join(dir, names[i]);
        if (p == NULL)
            break;
        if ((ps_tsdb_is_ulid(names[i], strlen(names[i])) && is_dir(p) &&
             has_file(p, "meta.json")) ||
            (strcmp(names[i], "chunks_head") == 0 && is_dir(p)) ||
            strcmp(names[i], "thanos.shipper.json") == 0 || is_tmp_block(names[i]))
            root = 1;
        free(p);
    }
    enum ps_err rc = PS_OK;
    if (root)
        rc = add_root(s, cap, dir, names, n, d);
    for (size_t i = 0; i < n && rc == PS_OK && depth < MAX_DEPTH; i++) {
        if (ps_tsdb_is_ulid(names[i], strlen(names[i])) || is_tmp_block(names[i]) ||
            strcmp(names[i], "wal") == 0 || strcmp(names[i], "chunks_head") == 0 ||
            strcmp(names[i], "wbl") == 0 || strcmp(names[i], "lost+found") == 0)
            continue;
        char *p = ps_tsdb_join(dir, names[i]);
        if (p == NULL)
            break;
        struct stat sb;
        if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) /* never follow links */
            rc = walk(s, cap, p, depth + 1, d);
        free(p);
    }
    ps_tsdb_free_names(names, n);
    return rc;
}

enum ps_err
ps_tsdb_scan(const char *path, struct ps_tsdb_scan *s, struct ps_diags *d)
{
    memset(s, 0, sizeof(*s));
    size_t cap = 0;
    size_t pl = strlen(path);
    char *dir = malloc(pl + 1);
    if (dir == NULL)
        return PS_E_NOMEM;
    memcpy(dir, path, pl + 1);
    while (pl > 1 && dir[pl - 1] == '/')
        dir[--pl] = 0;
    if (!is_dir(dir)) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_IO, dir, PS_OFF_NONE, 0, "tsdb/discover",
                    "not a directory");
        free(dir);
        return PS_E_IO;
    }
    enum ps_err rc;
    if (has_file(dir, "meta.json") && (has_file(dir, "index") || is_dir(dir))) {
        /* a lone block directory */
        if (ps_grow((void **)&s->roots, &cap, 1, sizeof(*s->roots)) != PS_OK) {
            free(dir);
            return PS_E_NOMEM;
        }
        struct ps_tsdb_root *r = &s->roots[0];
        memset(r, 0, sizeof(*r));
        ps_diags_init(&r->diags);
        r->dir = strdup(dir);
        size_t bc = 0;
        rc = push(&r->block_dirs, &r->nblocks, &bc, strdup(dir));
        s->nroots = 1;
    } else {
        rc = walk(s, &cap, dir, 0, d);
    }
    free(dir);
    return rc;
}

void
ps_tsdb_scan_free(struct ps_tsdb_scan *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->nroots; i++) {
        struct ps_tsdb_root *r = &s->roots[i];
        free(r->dir);
        free(r->tenant);
        ps_tsdb_free_names(r->block_dirs, r->nblocks);
        ps_tsdb_free_names(r->incomplete, r->nincomplete);
        ps_tsdb_free_names(r->head_files, r->nhead);
        ps_tsdb_shipper_free(&r->shipper);
        ps_diags_free(&r->diags);
    }
    free(s->roots);
    memset(s, 0, sizeof(*s));
}

static int
cmp_block(const void *x, const void *y)
{
    const struct ps_tsdb_block *a = x, *b = y;
    if (a->meta.min_time != b->meta.min_time)
        return (a->meta.min_time > b->meta.min_time) - (a->meta.min_time < b->meta.min_time);
    return strcmp(a->ulid, b->ulid);
}

void
ps_tsdb_blocks_sort(struct ps_tsdb_block *blocks, size_t n)
{
    if (n > 1)
        qsort(blocks, n, sizeof(*blocks), cmp_block);
}

void
ps_tsdb_root_check(struct ps_tsdb_root *r, struct ps_tsdb_block *bl, size_t n)
{
    char a[40], b[40], du[40];
    int64_t newest = INT64_MIN;
    for (size_t i = 0; i < n; i++) {
        if (!bl[i].meta_ok)
            continue;
        if (bl[i].meta.max_time > newest)
            newest = bl[i].meta.max_time;
        for (size_t j = i + 1; j < n; j++) {
            if (!bl[j].meta_ok || bl[j].meta.min_time >= bl[i].meta.max_time)
                continue;
            if (bl[j].meta.max_time <= bl[i].meta.min_time)
                continue;
            int64_t lo = bl[j].meta.min_time > bl[i].meta.min_time ? bl[j].meta.min_time
                                                                   : bl[i].meta.min_time;
            int64_t hi = bl[j].meta.max_time < bl[i].meta.max_time ? bl[j].meta.max_time
                                                                   : bl[i].meta.max_time;
            ps_fmt_time_ms(lo, a, sizeof(a));
            ps_fmt_time_ms(hi, b, sizeof(b));
            ps_diag_add(&r->diags, PS_SEV_ERROR, PS_E_CORRUPT, bl[j].dir, PS_OFF_NONE, 0,
                        "tsdb/overlap", "block %s overlaps block %s over [%s, %s)",
                        bl[j].ulid, bl[i].ulid, a, b);
        }
    }
    for (size_t i = 0; i + 1 < n; i++) {
        if (!bl[i].meta_ok || !bl[i + 1].meta_ok)
            continue;
        int64_t gap = bl[i + 1].meta.min_time - bl[i].meta.max_time;
        if (gap > HOLE_MIN_MS) {
            ps_fmt_time_ms(bl[i].meta.max_time, a, sizeof(a));
            ps_fmt_time_ms(bl[i + 1].meta.min_time, b, sizeof(b));
            ps_fmt_duration_ms(gap, du, sizeof(du));
            ps_diag_add(&r->diags, PS_SEV_WARN, PS_E_CORRUPT, bl[i + 1].dir, PS_OFF_NONE,
                        0, "tsdb/hole", "no block covers [%s, %s) (%s) between %s "
                        "and %s", a, b, du, bl[i].ulid, bl[i + 1].ulid);
        }
    }
    if (!r->has_shipper)
        return;
    for (size_t i = 0; i < n; i++) {
        int found = 0;
        for (size_t k = 0; k < r->shipper.nuploaded && !found; k++)
            found = strcmp(r->shipper.uploaded[k], bl[i].ulid) == 0;
        if (found)
            continue;
        ps_fmt_duration_ms(bl[i].meta_ok && newest != INT64_MIN
                               ? newest - bl[i].meta.max_time
                               : 0,
                           du, sizeof(du));
        ps_diag_add(&r->diags, PS_SEV_WARN, PS_E_CORRUPT, bl[i].dir, PS_OFF_NONE, 0,
                    "tsdb/not-shipped", "block %s (%llu bytes, %llu samples) is not in "
                    "thanos.shipper.json: only this volume holds it; it ends %s before "
                    "the newest block", bl[i].ulid, (unsigned long long)bl[i].size_bytes,
                    (unsigned long long)bl[i].meta.stats.num_samples, du);
    }
}

void
ps_tsdb_timeline(const struct ps_tsdb_block *bl, size_t n,
                 struct ps_tsdb_timeline_point *out)
{
    for (size_t i = 0; i < n; i++) {
        struct ps_tsdb_timeline_point *p = &out[i];
        memcpy(p->ulid, bl[i].ulid, sizeof(p->ulid));
        p->min_time = bl[i].meta.min_time;
        p->max_time = bl[i].meta.max_time;
        p->series = bl[i].meta.stats.num_series;
        p->samples = bl[i].meta.stats.num_samples;
        p->chunks = bl[i].meta.stats.num_chunks;
        p->bytes = bl[i].size_bytes;
    }
}
