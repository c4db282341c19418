/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * archive_lib.h - libarchive, loaded at run time (private to src/bundle/).
 *
 * promsight does not link libarchive: it dlopen()s it on the first archive
 * open (see archive_lib.c for why) and calls it through struct ps_la. The
 * header <archive.h> still supplies the types, the constants and, through
 * __typeof__, the exact type of every pointer.
 */
#ifndef PS_ARCHIVE_LIB_H
#define PS_ARCHIVE_LIB_H

#include <stddef.h>

#include <archive.h>
#include <archive_entry.h>

/* PS_LIBARCHIVE_SONAME, the soname dlopen()ed, is set by the Makefile
 * from the libarchive pkg-config finds. */
#ifndef PS_LIBARCHIVE_SONAME
#error "PS_LIBARCHIVE_SONAME is not defined (the Makefile sets it)"
#endif

/* Every libarchive function src/ calls: X(field, symbol). */
#define PS_LA_FUNCS(X)                                        \
    X(read_new, archive_read_new)                             \
    X(read_support_filter_all, archive_read_support_filter_all) \
    X(read_support_format_all, archive_read_support_format_all) \
    X(read_open_memory, archive_read_open_memory)             \
    X(read_open_filename, archive_read_open_filename)         \
    X(read_next_header, archive_read_next_header)             \
    X(read_data, archive_read_data)                           \
    X(read_data_block, archive_read_data_block)               \
    X(read_free, archive_read_free)                           \
    X(format, archive_format)                                 \
    X(filter_count, archive_filter_count)                     \
    X(filter_bytes, archive_filter_bytes)                     \
    X(error_string, archive_error_string)                     \
    X(entry_filetype, archive_entry_filetype)                 \
    X(entry_pathname, archive_entry_pathname)                 \
    X(entry_pathname_utf8, archive_entry_pathname_utf8)       \
    X(entry_hardlink, archive_entry_hardlink)                 \
    X(entry_symlink, archive_entry_symlink)                   \
    X(entry_size, archive_entry_size)                         \
    X(entry_size_is_set, archive_entry_size_is_set)           \
    X(entry_mtime, archive_entry_mtime)                       \
    X(entry_mtime_nsec, archive_entry_mtime_nsec)             \
    X(entry_mtime_is_set, archive_entry_mtime_is_set)

struct ps_la {
#define PS_LA_FIELD(field, sym) __typeof__(sym) *field;
    PS_LA_FUNCS(PS_LA_FIELD)
#undef PS_LA_FIELD
};

/*
 * The process-wide table, loaded from PS_LIBARCHIVE_SONAME on the first
 * call (thread-safe; later calls return the same answer). NULL if
 * libarchive cannot be loaded; then *why (if why != NULL) points to a
 * static message "cannot load libarchive (<soname>): <reason>". The table
 * and the message live until exit (the library is never unloaded).
 */
const struct ps_la *ps_la_get(const char **why);

/*
 * Load soname into *out without caching (the work behind ps_la_get;
 * tests use it with other sonames). 0 on success; -1 with the reason
 * (dlerror's text, or the first missing symbol) in why (capacity why_n).
 * A library loaded successfully is never unloaded.
 */
int ps_la_load(const char *soname, struct ps_la *out, char *why, size_t why_n);

/*
 * Tests only: make the first ps_la_get load soname instead of
 * PS_LIBARCHIVE_SONAME (to exercise the "cannot load" paths). No effect
 * once ps_la_get has run. Not thread-safe; soname must outlive the call.
 */
void ps_la_set_soname_for_tests(const char *soname);

#endif
