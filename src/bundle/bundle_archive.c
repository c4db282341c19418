/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bundle_archive.c - bundles that are an archive libarchive reads (tar in
 * any of its dialects, optionally gzip/zstd/xz/bzip2/lz4-compressed, zip,
 * 7z, cpio, ...), streamed entry by entry with archive_read_data and never
 * extracted. Each walk re-opens the archive.
 *
 * Entry types come from the header: a regular file with a hardlink name is
 * a hard link; symlinks, hardlinks, devices, fifos and sockets are listed
 * with their target and never read. Duplicate names are all listed and the
 * later ones flagged. Nested archives are only classified.
 *
 * Compression bombs: after every read and every header the uncompressed
 * bytes produced so far (the larger of what the entries yielded and what
 * the top decompression filter emitted, archive_filter_bytes(a, 0)) are
 * compared with the compressed bytes consumed (archive_filter_bytes(a, -1));
 * past PS_BUNDLE_RATIO_GRACE a ratio above max_ratio stops the walk with
 * PS_E_LIMIT. When skipping would decompress (a compressed stream, or 7z
 * and other formats with their own compression, zip excepted), the unread
 * rest of an entry is drained through the same checks rather than skipped
 * inside libarchive, so a skipped entry cannot decompress without bound
 * either.
 *
 * libarchive is called through the table archive_lib.c loads on first use
 * (b->la while walking); probing a path loads it, so callers probe regular
 * files only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/archive_lib.h"
#include "bundle/bundle_int.h"

#define PHASE "bundle: archive"
#define BLOCK 65536

static struct archive *
arc_new(const struct ps_la *la)
{
    struct archive *a = la->read_new();
    if (a == NULL)
        return NULL;
    la->read_support_filter_all(a);
    la->read_support_format_all(a);
    return a;
}

static int
arc_open(struct ps_bundle *b, struct archive *a)
{
    if (b->mem != NULL)
        return b->la->read_open_memory(a, b->mem, b->mem_n);
    return b->la->read_open_filename(a, b->path, BLOCK);
}

/* Formats that are archives of files (not "empty", not mtree specs). */
static int
real_format(const struct ps_la *la, struct archive *a)
{
    int f = la->format(a) & ARCHIVE_FORMAT_BASE_MASK;
    return f != 0 && f != ARCHIVE_FORMAT_EMPTY && f != ARCHIVE_FORMAT_MTREE &&
           f != ARCHIVE_FORMAT_RAW;
}

int
ps_bundle_probe_archive(const char *path, char *why, size_t why_n)
{
    const char *err;
    const struct ps_la *la = ps_la_get(&err);
    if (why_n > 0)
        why[0] = 0;
    if (la == NULL) {
        snprintf(why, why_n, "%s", err);
        return -1;
    }
    struct archive *a = arc_new(la);
    if (a == NULL)
        return 0;
    int ok = 0;
    if (la->read_open_filename(a, path, BLOCK) == ARCHIVE_OK) {
        struct archive_entry *ae;
        int r = la->read_next_header(a, &ae);
        if (r == ARCHIVE_OK || r == ARCHIVE_WARN || r == ARCHIVE_EOF)
            ok = real_format(la, a);
    }
    if (!ok && why_n > 0 && la->error_string(a) != NULL)
        snprintf(why, why_n, "%s", la->error_string(a));
    la->read_free(a);
    return ok;
}

static enum ps_entry_type
entry_type(const struct ps_la *la, struct archive_entry *ae)
{
    switch (la->entry_filetype(ae)) {
    case AE_IFREG:
        return la->entry_hardlink(ae) != NULL ? PS_ET_HARDLINK : PS_ET_FILE;
    case AE_IFDIR:
        return PS_ET_DIR;
    case AE_IFLNK:
        return PS_ET_SYMLINK;
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO:
    case AE_IFSOCK:
        return PS_ET_DEVICE;
    case 0:
        /* pax/tar hardlink entries may carry no file type */
        return la->entry_hardlink(ae) != NULL ? PS_ET_HARDLINK : PS_ET_OTHER;
    default:
        return PS_ET_OTHER;
    }
}

/* Read and discard the rest of the current entry, charging the bytes. */
static void
drain(struct ps_bundle *b, struct archive *a, const char *path, uint64_t off,
      uint8_t *buf)
{
    for (;;) {
        la_ssize_t k = b->la->read_data(a, buf, BLOCK);
        if (k <= 0)
            return;
        b->produced += (uint64_t)k;
        off += (uint64_t)k;
        if (b->produced > b->lim.max_total_bytes) {
            ps_diag_add(b->diags, PS_SEV_ERROR, PS_E_LIMIT, path, off,
                        0, PHASE ": total size",
                        "bundle content exceeds the limit of %llu bytes: "
                        "stopping",
                        (unsigned long long)b->lim.max_total_bytes);
            b->stop = PS_E_LIMIT;
            return;
        }
        if (ps_bundle_check_ratio(b, a, path, off) != 0)
            return;
    }
}

/*
 * Whether skipping the rest of an entry means decompressing it: always for
 * a compressed stream (tar.gz, ...), and for formats with their own
 * compression other than zip (7z, rar, ... may decompress solid blocks to
 * skip). Plain tar/cpio/ar/iso seek, zip skips by compressed size.
 */
static int
must_drain(const struct ps_la *la, struct archive *a)
{
    if (la->filter_count(a) > 1)
        return 1;
    switch (la->format(a) & ARCHIVE_FORMAT_BASE_MASK) {
    case ARCHIVE_FORMAT_TAR:
    case ARCHIVE_FORMAT_ZIP:
    case ARCHIVE_FORMAT_CPIO:
    case ARCHIVE_FORMAT_AR:
    case ARCHIVE_FORMAT_ISO9660:
        return 0;
    default:
        return 1;
    }
}

enum ps_err
ps_bundle_walk_archive(struct ps_bundle *b, ps_bundle_visit_fn fn, void *ctx)
{
    const char *err;
    const struct ps_la *la = ps_la_get(&err);
    if (la == NULL) {
        ps_diag_add(b->diags, PS_SEV_ERROR, PS_E_IO, b->path, PS_OFF_NONE, 0,
                    PHASE, "%s", err);
        return PS_E_IO;
    }
    b->la = la;
    struct archive *a = arc_new(la);
    if (a == NULL)
        return PS_E_NOMEM;
    if (arc_open(b, a) != ARCHIVE_OK) {
        ps_diag_add(b->diags, PS_SEV_ERROR, PS_E_IO, b->path, PS_OFF_NONE, 0,
                    PHASE, "cannot open archive: %s",
                    la->error_string(a) != NULL ? la->error_string(a)
                                                : "unknown error");
        la->read_free(a);
        return PS_E_IO;
    }
    uint8_t *scratch = malloc(BLOCK);
    struct ps_intern names = {0};
    enum ps_err rc = scratch == NULL ? PS_E_NOMEM : PS_OK;
    uint64_t index = 0;

    while (rc == PS_OK) {
        struct archive_entry *ae;
        int r = la->read_next_header(a, &ae);
        if (r == ARCHIVE_EOF)
            break;
        int64_t coff = la->filter_bytes(a, -1);
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {    /* RETRY, FAILED, FATAL */
            /* every later walk breaks at the same header: say it once */
            if (!b->walked)
                ps_diag_add(b->diags, PS_SEV_ERROR, PS_E_CORRUPT, b->path,
                            coff >= 0 ? (uint64_t)coff : PS_OFF_NONE, 0,
                            PHASE ": header",
                            "entry %llu: %s; the rest of the archive is not read",
                            (unsigned long long)index,
                            la->error_string(a) != NULL
                                ? la->error_string(a)
                                : "unreadable header");
            rc = PS_E_CORRUPT;
            break;
        }
        if (r == ARCHIVE_WARN && !b->walked)
            ps_diag_add(b->diags, PS_SEV_WARN, PS_E_CORRUPT, b->path,
                        coff >= 0 ? (uint64_t)coff : PS_OFF_NONE, 0,
                        PHASE ": header", "entry %llu: %s",
                        (unsigned long long)index,
                        la->error_string(a) != NULL
                            ? la->error_string(a)
                            : "warning");
        index++;
        if (ps_bundle_check_ratio(b, a, b->path,
                                  coff >= 0 ? (uint64_t)coff : PS_OFF_NONE) != 0) {
            rc = PS_E_LIMIT;
            break;
        }
        const char *raw = la->entry_pathname(ae);
        if (raw == NULL)
            raw = la->entry_pathname_utf8(ae);
        if (raw == NULL)
            raw = "";
        struct ps_raw_entry re = {
            .raw_path = raw,
            .type = entry_type(la, ae),
            .size = la->entry_size_is_set(ae) && la->entry_size(ae) > 0
                        ? (uint64_t)la->entry_size(ae) : 0,
            .mtime_ms = la->entry_mtime_is_set(ae)
                            ? (int64_t)la->entry_mtime(ae) * 1000 +
                                  la->entry_mtime_nsec(ae) / 1000000
                            : 0,
            .link_target = NULL,
            .dup = 0,
        };
        if (re.type == PS_ET_SYMLINK)
            re.link_target = la->entry_symlink(ae);
        else if (re.type == PS_ET_HARDLINK)
            re.link_target = la->entry_hardlink(ae);
        if (re.type != PS_ET_DIR) {
            char norm[4096];
            unsigned depth;
            ps_bundle_path_norm(raw, norm, sizeof(norm), &depth);
            uint32_t id;
            size_t nl = strlen(norm);
            if (ps_intern_find(&names, norm, nl, &id))
                re.dup = 1;
            else if (ps_intern_get(&names, norm, nl, &id) != PS_OK) {
                rc = PS_E_NOMEM;
                break;
            }
        }
        struct ps_stream s = {.b = b, .path = raw, .fd = -1, .a = a};
        rc = ps_bundle_emit(b, &re, re.type == PS_ET_FILE ? &s : NULL, fn, ctx);
        if (rc == PS_OK && b->stop == PS_OK && re.type == PS_ET_FILE &&
            must_drain(la, a))
            drain(b, a, raw, s.raw, scratch);
        if (rc == PS_OK)
            rc = b->stop;
    }
    ps_intern_free(&names);
    free(scratch);
    la->read_free(a);
    return rc;
}
