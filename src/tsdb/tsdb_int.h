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

/*
 * Map path read-only (empty files give *p = NULL, *n = 0). *mapped says
 * whether to munmap (1) or free (0). *mtime_ms gets the file's mtime.
 */
enum ps_err ps_tsdb_map_file(const char *path, uint8_t **p, size_t *n,
                             int *mapped, int64_t *mtime_ms);
void ps_tsdb_unmap_file(uint8_t *p, size_t n, int mapped);

/* Sorted names in dir (no "." / ".."); caller frees each and *names. */
enum ps_err ps_tsdb_list_dir(const char *dir, char ***names, size_t *n);
void ps_tsdb_free_names(char **names, size_t n);

/* malloc'd "a/b"; NULL on OOM. */
char *ps_tsdb_join(const char *a, const char *b);

#endif
