/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tsdb_int.h - helpers shared by the files of src/tsdb/ only: mapping a
 * file read-only and listing a directory in sorted order.
 */
#ifndef PS_TSDB_INT_H
#define PS_TSDB_INT_H

#include <stddef.h>
#include <stdint.h>

#include "promsight/ps_err.h"
#include "promsight/ps_tsdb.h"

/*
 * Map path read-only (empty files give *p = NULL, *n = 0). *mapped says
 * whether to munmap (1) or free (0). *mtime_ms gets the file's mtime.
 */
enum ps_err ps_tsdb_map_file(const char *path, uint8_t **p, size_t *n,
                             int *mapped, int64_t *mtime_ms);
void ps_tsdb_unmap_file(uint8_t *p, size_t n, int mapped);
/*
 * Tell the kernel the whole pages of a read-only mapping inside
 * [base+from, base+to) are not needed now (they leave this process' RSS
 * and are read again from the page cache if touched).
 */
void ps_tsdb_drop_pages(const uint8_t *base, size_t from, size_t to);

/* Sorted names in dir (no "." / ".."); caller frees each and *names. */
enum ps_err ps_tsdb_list_dir(const char *dir, char ***names, size_t *n);
void ps_tsdb_free_names(char **names, size_t n);

/* malloc'd "a/b"; NULL on OOM. */
char *ps_tsdb_join(const char *a, const char *b);

/*
 * Where a block's files come from: a directory (mmap) or entries already
 * read into memory (an archive). get() hands over ownership of the bytes
 * (*mapped 1: munmap, 0: free); PS_E_IO if there is no such file.
 * list() gives the sorted names in a subdirectory of the block.
 */
struct ps_tsdb_src {
    enum ps_err (*get)(void *ctx, const char *path, uint8_t **p, size_t *n,
                       int *mapped, int64_t *mtime_ms);
    enum ps_err (*list)(void *ctx, const char *dir, char ***names, size_t *n);
    void *ctx;
};

enum ps_err ps_tsdb_block_open_src(const char *dir, const struct ps_tsdb_src *src,
                                   struct ps_tsdb_block *b);

#endif
