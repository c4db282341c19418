/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fsutil.c - read-only file mapping and sorted directory listing for the
 * TSDB reader (see tsdb_int.h).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "promsight/ps_util.h"
#include "tsdb/tsdb_int.h"

enum ps_err
ps_tsdb_map_file(const char *path, uint8_t **p, size_t *n, int *mapped,
                 int64_t *mtime_ms)
{
    *p = NULL;
    *n = 0;
    *mapped = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return PS_E_IO;
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return PS_E_IO;
    }
    if (mtime_ms != NULL)
        *mtime_ms = (int64_t)sb.st_mtim.tv_sec * 1000 + sb.st_mtim.tv_nsec / 1000000;
    if (sb.st_size == 0) {
        close(fd);
        return PS_OK;
    }
    void *m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED)
        return PS_E_IO;
    *p = m;
    *n = (size_t)sb.st_size;
    *mapped = 1;
    return PS_OK;
}

void
ps_tsdb_unmap_file(uint8_t *p, size_t n, int mapped)
{
    if (p == NULL)
        return;
    if (mapped)
        munmap(p, n);
    else
        free(p);
}

void
ps_tsdb_drop_pages(const uint8_t *base, size_t from, size_t to)
{
    static size_t pg;
    if (pg == 0) {
        long v = sysconf(_SC_PAGESIZE);
        pg = v > 0 ? (size_t)v : 4096;
    }
    size_t a = (from + pg - 1) / pg * pg, b = to / pg * pg;
    if (base != NULL && b > a)
        (void)madvise((void *)(uintptr_t)(base + a), b - a, MADV_DONTNEED);
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

enum ps_err
ps_tsdb_list_dir(const char *dir, char ***names, size_t *n)
{
    *names = NULL;
    *n = 0;
    DIR *dh = opendir(dir);
    if (dh == NULL)
        return PS_E_IO;
    size_t cap = 0;
    struct dirent *de;
    enum ps_err rc = PS_OK;
    while ((de = readdir(dh)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (*n == cap && ps_grow((void **)names, &cap, *n + 1, sizeof(char *)) != PS_OK) {
            rc = PS_E_NOMEM;
            break;
        }
        size_t l = strlen(de->d_name);
        char *s = malloc(l + 1);
        if (s == NULL) {
            rc = PS_E_NOMEM;
            break;
        }
        memcpy(s, de->d_name, l + 1);
        (*names)[(*n)++] = s;
    }
    closedir(dh);
    if (*n > 1)
        qsort(*names, *n, sizeof(char *), cmp_str);
    return rc;
}

void
ps_tsdb_free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

char *
ps_tsdb_join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *r = malloc(la + lb + 2);
    if (r == NULL)
        return NULL;
    memcpy(r, a, la);
    r[la] = '/';
    memcpy(r + la + 1, b, lb + 1);
    return r;
}
