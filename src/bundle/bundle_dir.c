/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bundle_dir.c - bundles that are a directory or a single plain file.
 *
 * A directory is listed first (lstat semantics: fstatat with
 * AT_SYMLINK_NOFOLLOW, so symbolic links are recorded, never followed),
 * down to the depth limit, then visited in byte-wise sorted path order so
 * every walk sees the same sequence. File content is streamed with read(2);
 * files are opened one path component at a time with O_NOFOLLOW, so a
 * symlink swapped in after the listing is refused, not followed.
 *
 * More entries than max_entries: the walk visits nothing and returns
 * PS_E_LIMIT (which entries were listed would depend on readdir order).
 *
 * A single plain file is a bundle of one entry named by its base name.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle/bundle_int.h"

#define PHASE "bundle: directory"

struct dent {
    char *rel;
    enum ps_entry_type type;
    uint64_t size;
    int64_t mtime_ms;
    char *link;
};

struct dlist {
    struct dent *v;
    size_t n, cap;
    int stopped;       /* entry limit reached while listing */
};

static void
dlist_free(struct dlist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].rel);
        free(l->v[i].link);
    }
    free(l->v);
}

static enum ps_entry_type
mode_type(mode_t m)
{
    if (S_ISREG(m))
        return PS_ET_FILE;
    if (S_ISDIR(m))
        return PS_ET_DIR;
    if (S_ISLNK(m))
        return PS_ET_SYMLINK;
    if (S_ISCHR(m) || S_ISBLK(m) || S_ISFIFO(m) || S_ISSOCK(m))
        return PS_ET_DEVICE;
    return PS_ET_OTHER;
}

static int64_t
mtime_ms(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000 + st->st_mtim.tv_nsec / 1000000;
}

static char *
join(const char *rel, const char *name)
{
    size_t a = strlen(rel), n = strlen(name);
    char *s = malloc(a + n + 2);
    if (s == NULL)
        return NULL;
    if (a > 0) {
        memcpy(s, rel, a);
        s[a++] = '/';
    }
    memcpy(s + a, name, n + 1);
    return s;
}

/* List dirfd (path rel, depth components) into l; closes nothing it
 * did not open. */
static enum ps_err
collect(struct ps_bundle *b, int dirfd, const char *rel, unsigned depth,
        struct dlist *l)
{
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return PS_E_IO;
    DIR *d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return PS_E_IO;
    }
    enum ps_err rc = PS_OK;
    struct dirent *de;
    while (rc == PS_OK && (de = readdir(d)) != NULL) {
        const char *name = de->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        if (l->n >= b->lim.max_entries + 1) {
            l->stopped = 1;    /* emit reports the limit */
            break;
        }
        struct stat st;
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            ps_diag_add(b->diags, PS_SEV_WARN, PS_E_IO, rel, PS_OFF_NONE, 0,
                        PHASE, "cannot stat %s: %s", name, strerror(errno));
            continue;
        }
        if (ps_grow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v)) != PS_OK) {
            rc = PS_E_NOMEM;
            break;
        }
        struct dent *e = &l->v[l->n];
        memset(e, 0, sizeof(*e));
        e->rel = join(rel, name);
        if (e->rel == NULL) {
            rc = PS_E_NOMEM;
            break;
        }
        l->n++;
        e->type = mode_type(st.st_mode);
        e->size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
        e->mtime_ms = mtime_ms(&st);
        if (e->type == PS_ET_SYMLINK) {
            char tgt[4096];
            ssize_t k = readlinkat(dirfd, name, tgt, sizeof(tgt) - 1);
            if (k >= 0) {
                tgt[k] = 0;
                e->link = strdup(tgt);
            }
        } else if (e->type == PS_ET_DIR) {
            if (depth + 1 >= b->lim.max_depth) {
                if (!b->walked)
                    ps_diag_add(b->diags, PS_SEV_WARN, PS_E_LIMIT, e->rel,
                                PS_OFF_NONE, 0, PHASE,
                                "directory at the depth limit %u: not listed",
                                b->lim.max_depth);
                continue;
            }
            int sub = openat(dirfd, name,
                             O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub < 0) {
                ps_diag_add(b->diags, PS_SEV_WARN, PS_E_IO, e->rel,
                            PS_OFF_NONE, 0, PHASE, "cannot open: %s",
                            strerror(errno));
                continue;
            }
            char *sub_rel = strdup(e->rel);   /* l->v may move */
            if (sub_rel == NULL) {
                close(sub);
                rc = PS_E_NOMEM;
                break;
            }
            rc = collect(b, sub, sub_rel, depth + 1, l);
            free(sub_rel);
            close(sub);
            if (rc == PS_E_IO)
                rc = PS_OK;    /* reported; keep listing the rest */
        }
    }
    closedir(d);
    return rc;
}

static int
dent_cmp(const void *a, const void *b)
{
    return strcmp(((const struct dent *)a)->rel, ((const struct dent *)b)->rel);
}

/*
 * Open rel (normalised, relative, no "..") below rootfd without following
 * any symbolic link. Returns an fd or -1.
 */
static int
open_rel(int rootfd, const char *rel)
{
    char comp[4096];
    int fd = rootfd;
    const char *p = rel;
    for (;;) {
        const char *s = p;
        while (*p != 0 && *p != '/')
            p++;
        size_t n = (size_t)(p - s);
        if (n == 0 || n >= sizeof(comp)) {
            if (fd != rootfd)
                close(fd);
            return -1;
        }
        memcpy(comp, s, n);
        comp[n] = 0;
        int last = *p == 0;
        int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
                    (last ? O_NONBLOCK : O_DIRECTORY);
        int nfd = openat(fd, comp, flags);
        if (fd != rootfd)
            close(fd);
        if (nfd < 0 || last)
            return nfd;
        fd = nfd;
        p++;
    }
}

enum ps_err
ps_bundle_walk_dir(struct ps_bundle *b, ps_bundle_visit_fn fn, void *ctx)
{
    int root = open(b->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) {
        ps_diag_add(b->diags, PS_SEV_ERROR, PS_E_IO, b->path, PS_OFF_NONE, 0,
                    PHASE, "cannot open: %s", strerror(errno));
        return PS_E_IO;
    }
    struct dlist l = {0};
    enum ps_err rc = collect(b, root, "", 0, &l);
    if (rc != PS_OK) {
        dlist_free(&l);
        close(root);
        return rc;
    }
    if (l.stopped) {
        /* Which entries were listed depends on readdir order: visiting
         * them would make the walk nondeterministic, so visit none. */
        ps_diag_add(b->diags, PS_SEV_ERROR, PS_E_LIMIT, b->path, PS_OFF_NONE,
                    0, PHASE ": entry count",
                    "more than %llu entries: nothing visited (raise the limit)",
                    (unsigned long long)b->lim.max_entries);
        dlist_free(&l);
        close(root);
        return PS_E_LIMIT;
    }
    qsort(l.v, l.n, sizeof(*l.v), dent_cmp);
    for (size_t i = 0; i < l.n && rc == PS_OK; i++) {
        struct dent *d = &l.v[i];
        struct ps_raw_entry r = {
            .raw_path = d->rel, .type = d->type, .size = d->size,
            .mtime_ms = d->mtime_ms, .link_target = d->link, .dup = 0,
        };
        struct ps_stream s = {.b = b, .path = d->rel, .fd = -1};
        struct ps_stream *sp = NULL;
        if (d->type == PS_ET_FILE) {
            s.fd = open_rel(root, d->rel);
            struct stat st;
            if (s.fd >= 0 && (fstat(s.fd, &st) != 0 || !S_ISREG(st.st_mode))) {
                close(s.fd);
                s.fd = -1;
                errno = EINVAL;
            }
            if (s.fd < 0)
                ps_diag_add(b->diags, PS_SEV_WARN, PS_E_IO, d->rel, PS_OFF_NONE,
                            0, PHASE, "cannot open: %s", strerror(errno));
            else
                sp = &s;
        }
        rc = ps_bundle_emit(b, &r, sp, fn, ctx);
        if (s.fd >= 0)
            close(s.fd);
    }
    dlist_free(&l);
    close(root);
    return rc;
}

enum ps_err
ps_bundle_walk_file(struct ps_bundle *b, ps_bundle_visit_fn fn, void *ctx)
{
    int fd = open(b->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        ps_diag_add(b->diags, PS_SEV_ERROR, PS_E_IO, b->path, PS_OFF_NONE, 0,
                    "bundle: file", "cannot open: %s", strerror(errno));
        return PS_E_IO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return PS_E_IO;
    }
    const char *base = strrchr(b->path, '/');
    base = base != NULL ? base + 1 : b->path;
    struct ps_raw_entry r = {
        .raw_path = base, .type = PS_ET_FILE, .size = (uint64_t)st.st_size,
        .mtime_ms = mtime_ms(&st), .link_target = NULL, .dup = 0,
    };
    struct ps_stream s = {.b = b, .path = base, .fd = fd};
    enum ps_err rc = ps_bundle_emit(b, &r, &s, fn, ctx);
    close(fd);
    return rc;
}

enum ps_err
ps_bundle_read_dir_entry(struct ps_bundle *b, const char *path, size_t max,
                         uint8_t **p, size_t *n, int *cut)
{
    char norm[4096];
    unsigned depth = 0;
    unsigned fl = ps_bundle_path_norm(path, norm, sizeof(norm), &depth);
    if (fl != 0 || depth > b->lim.max_depth)
        return PS_DONE;
    int root = open(b->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) {
        ps_diag_add(b->diags, PS_SEV_ERROR, PS_E_IO, b->path, PS_OFF_NONE, 0,
                    PHASE, "cannot open: %s", strerror(errno));
        return PS_E_IO;
    }
    int fd = open_rel(root, norm);
    close(root);
    if (fd < 0)
        return PS_DONE;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return PS_DONE;
    }
    b->produced = 0;
    b->stop = PS_OK;
    struct ps_stream s = {.b = b, .path = norm, .fd = fd};
    enum ps_err rc = ps_stream_slurp_upto(&s, max, p, n, cut);
    close(fd);
    return rc;
}
