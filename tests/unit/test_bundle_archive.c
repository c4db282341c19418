/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_bundle_archive.c - archive bundles built here with libarchive's
 * write API (tar/pax, tar.gz, tar.zst, tar.xz, zip) holding hostile
 * entries: "../evil", "/etc/passwd", a symlink, a hardlink, a device
 * node, duplicate names, a too-deep path and a nested archive. Checks
 * what the walk, the inventory and read_entry report, that compression
 * bombs stop with PS_E_LIMIT after reading a bounded amount, that
 * truncated archives end with a diagnostic instead of a crash, and that an
 * entry cut short hands out every byte that arrived, however it is read.
 */
#include "test_util.h"

#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "bundle/bundle_int.h"
#include "promsight/ps_bundle.h"
#include "promsight/ps_crc32c.h"
#include "promsight/ps_dec.h"

#define BIGLOG 100000

struct ent {
    const char *path;
    unsigned type;          /* AE_IF* */
    const char *link;       /* symlink or hardlink target */
    const uint8_t *data;
    size_t n;
};

static uint8_t wal[4096];
static uint8_t biglog[BIGLOG];
static const uint8_t gz_magic[] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};

static void
init_data(void)
{
    static const uint8_t payload[] = {1, 0x80, 0x01, 2, 'u', 'p'};
    memset(wal, 0, sizeof(wal));
    wal[0] = 1;
    ps_put_be16(wal + 1, sizeof(payload));
    ps_put_be32(wal + 3, ps_crc32c(payload, sizeof(payload)));
    memcpy(wal + 7, payload, sizeof(payload));
    const char *line = "ts=2026-11-24T06:34:45.103Z level=warn msg=\"x y\" n=1\n";
    size_t ll = strlen(line), o = 0;
    while (o + ll <= BIGLOG) {
        memcpy(biglog + o, line, ll);
        o += ll;
    }
    memset(biglog + o, '\n', BIGLOG - o);
}

#define S(x) (const uint8_t *)(x), sizeof(x) - 1

static const struct ent hostile[] = {
    {"./ok/wal/00000001", AE_IFREG, NULL, wal, sizeof(wal)},
    {"../evil", AE_IFREG, NULL, S("evil\n")},
    {"/etc/passwd", AE_IFREG, NULL, S("root:x:0:0\n")},
    {"lnk", AE_IFLNK, "/etc/shadow", NULL, 0},
    {"hl", AE_IFREG, "ok/wal/00000001", NULL, 0},     /* hardlink */
    {"dev/null", AE_IFCHR, NULL, NULL, 0},
    {"dup.txt", AE_IFREG, NULL, S("first\n")},
    {"dup.txt", AE_IFREG, NULL, S("second\n")},
    {"a/b/c/d/e/f/g/h.txt", AE_IFREG, NULL, S("deep\n")},
    {"inner.tar.gz", AE_IFREG, NULL, gz_magic, sizeof(gz_magic)},
    {"logs/big.log", AE_IFREG, NULL, biglog, sizeof(biglog)},
};
#define NHOSTILE (sizeof(hostile) / sizeof(hostile[0]))

enum fmt { F_TAR, F_TGZ, F_TZST, F_TXZ, F_ZIP, F_7Z };
static const char *const fmt_name[] = {"tar", "tar.gz", "tar.zst", "tar.xz", "zip",
                                       "7z"};

/* Write ents into a malloc'd archive; *n gets its size. Entry types the
 * format cannot hold are left out (zip: hardlink, device). */
static uint8_t *
build(enum fmt f, const struct ent *ents, size_t ne, size_t cap, size_t *n)
{
    struct archive *a = archive_write_new();
    assert_non_null(a);
    if (f == F_ZIP)
        assert_int_equal(archive_write_set_format_zip(a), ARCHIVE_OK);
    else
        assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
    if (f == F_TGZ) {
        assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
        archive_write_set_filter_option(a, "gzip", "compression-level", "1");
    } else if (f == F_TZST) {
        assert_int_equal(archive_write_add_filter_zstd(a), ARCHIVE_OK);
    } else if (f == F_TXZ) {
        assert_int_equal(archive_write_add_filter_xz(a), ARCHIVE_OK);
        archive_write_set_filter_option(a, "xz", "compression-level", "0");
    }
    if (f == F_ZIP)
        archive_write_set_format_option(a, "zip", "compression-level", "1");
    uint8_t *buf = malloc(cap);
    assert_non_null(buf);
    size_t used = 0;
    assert_int_equal(archive_write_open_memory(a, buf, cap, &used), ARCHIVE_OK);
    for (size_t i = 0; i < ne; i++) {
        const struct ent *e = &ents[i];
        int hard = e->type == AE_IFREG && e->link != NULL;
        if (f == F_ZIP && (hard || e->type == AE_IFCHR))
            continue;
        struct archive_entry *ae = archive_entry_new();
        archive_entry_set_pathname(ae, e->path);
        archive_entry_set_filetype(ae, e->type);
        archive_entry_set_perm(ae, 0644);
        archive_entry_set_mtime(ae, 1795502084, 0);
        if (e->type == AE_IFLNK)
            archive_entry_set_symlink(ae, e->link);
        if (hard)
            archive_entry_set_hardlink(ae, e->link);
        if (e->type == AE_IFCHR)
            archive_entry_set_rdev(ae, 0x0103);
        archive_entry_set_size(ae, e->type == AE_IFREG && !hard ? (la_int64_t)e->n : 0);
        int r = archive_write_header(a, ae);
        if (r != ARCHIVE_OK)
            fail_msg("%s: header %s: %s", fmt_name[f], e->path,
                     archive_error_string(a));
        if (e->n > 0)
            assert_int_equal(archive_write_data(a, e->data, e->n), (la_ssize_t)e->n);
        archive_entry_free(ae);
    }
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    *n = used;
    return buf;
}

static const struct ps_entry *
inv_find(const struct ps_inventory *inv, const char *path, int nth)
{
    for (size_t i = 0; i < inv->n; i++)
        if (strcmp(inv->v[i].path, path) == 0 && nth-- == 0)
            return &inv->v[i];
    return NULL;
}

static size_t
count_diag(const struct ps_diags *d, enum ps_err code, const char *needle)
{
    size_t n = 0;
    for (size_t i = 0; i < d->n; i++)
        if (d->v[i].code == code &&
            (needle == NULL || (d->v[i].msg != NULL && strstr(d->v[i].msg, needle)) ||
             (d->v[i].phase != NULL && strstr(d->v[i].phase, needle))))
            n++;
    return n;
}

/* Unsafe entries and non-files never get a stream. */
static enum ps_err
never_unsafe_visit(void *ctx, const struct ps_entry *e, struct ps_stream *s)
{
    size_t *streams = ctx;
    if (s != NULL) {
        if (e->unsafe || e->type != PS_ET_FILE)
            fail_msg("stream for %s (%s)", e->raw_path, ps_entry_type_name(e->type));
        (*streams)++;
    }
    return PS_OK;
}

static void
check_hostile(enum fmt f)
{
    size_t an;
    uint8_t *ab = build(f, hostile, NHOSTILE, 4 << 20, &an);
    struct ps_bundle_limits lim;
    ps_bundle_limits_default(&lim);
    lim.max_depth = 6;
    struct ps_diags d;
    ps_diags_init(&d);
    struct ps_bundle *b;
    assert_int_equal(ps_bundle_open_memory(ab, an, &lim, &d, &b), PS_OK);
    assert_true(ps_bundle_is_archive(b));
    struct ps_inventory inv;
    enum ps_err e = ps_bundle_inventory(b, &inv);
    if (e != PS_OK)
        fail_msg("%s: inventory %s", fmt_name[f], ps_strerror(e));

    const struct ps_entry *x = inv_find(&inv, "ok/wal/00000001", 0);
    assert_non_null(x);
    assert_int_equal(x->type, PS_ET_FILE);
    assert_false(x->unsafe);
    assert_int_equal(x->kind, PS_KIND_WAL_SEGMENT);
    assert_string_equal(x->kind_by, "path+content");
    assert_string_equal(x->raw_path, "./ok/wal/00000001");
    assert_int_equal(x->size, sizeof(wal));
    assert_string_equal(x->tsdb_root, "ok");
    assert_int_equal(x->seq, 1);

    x = inv_find(&inv, "../evil", 0);
    assert_non_null(x);
    assert_true(x->unsafe);
    x = inv_find(&inv, "etc/passwd", 0);
    assert_non_null(x);
    assert_true(x->unsafe);
    assert_string_equal(x->raw_path, "/etc/passwd");
    x = inv_find(&inv, "lnk", 0);
    assert_non_null(x);
    assert_int_equal(x->type, PS_ET_SYMLINK);
    assert_true(x->unsafe);
    assert_string_equal(x->link_target, "/etc/shadow");
    size_t want_unsafe = 4;      /* ../evil, /etc/passwd, lnk, deep */
    if (f != F_ZIP) {
        x = inv_find(&inv, "hl", 0);
        assert_non_null(x);
        assert_int_equal(x->type, PS_ET_HARDLINK);
        assert_true(x->unsafe);
        assert_string_equal(x->link_target, "ok/wal/00000001");
        x = inv_find(&inv, "dev/null", 0);
        assert_non_null(x);
        assert_int_equal(x->type, PS_ET_DEVICE);
        assert_true(x->unsafe);
        want_unsafe += 2;
    }
    assert_non_null(inv_find(&inv, "dup.txt", 0));
    assert_non_null(inv_find(&inv, "dup.txt", 1));
    assert_false(inv_find(&inv, "dup.txt", 1)->unsafe);
    assert_int_equal(count_diag(&d, PS_E_UNSAFE, "duplicate"), 1);
    x = inv_find(&inv, "a/b/c/d/e/f/g/h.txt", 0);
    assert_non_null(x);
    assert_true(x->unsafe);
    assert_int_equal(count_diag(&d, PS_E_LIMIT, "depth"), 1);
    x = inv_find(&inv, "inner.tar.gz", 0);
    assert_non_null(x);
    assert_int_equal(x->kind, PS_KIND_ARCHIVE);
    assert_false(x->unsafe);
    x = inv_find(&inv, "logs/big.log", 0);
    assert_int_equal(x->kind, PS_KIND_LOG);
    assert_string_equal(x->kind_by, "path+content");
    assert_int_equal(inv.nunsafe, want_unsafe);
    size_t ndiag = d.n;
    size_t ninv = inv.n;
    ps_inventory_free(&inv);
    size_t streams = 0;
    assert_int_equal(ps_bundle_walk(b, never_unsafe_visit, &streams), PS_OK);
    assert_int_equal(streams, 5);   /* wal, dup x2, inner.tar.gz, big.log */

    /* random access: safe files only, first of duplicates */
    uint8_t *p;
    size_t n;
    assert_int_equal(ps_bundle_read_entry(b, "dup.txt", 100, &p, &n), PS_OK);
    assert_int_equal(n, 6);
    assert_memory_equal(p, "first\n", 6);
    free(p);
    assert_int_equal(ps_bundle_read_entry(b, "logs/big.log", 1 << 20, &p, &n), PS_OK);
    assert_int_equal(n, BIGLOG);
    assert_memory_equal(p, biglog, BIGLOG);
    free(p);
    assert_int_equal(ps_bundle_read_entry(b, "ok/wal/00000001", 1 << 20, &p, &n),
                     PS_OK);
    assert_memory_equal(p, wal, sizeof(wal));
    free(p);
    assert_int_equal(ps_bundle_read_entry(b, "logs/big.log", 1000, &p, &n),
                     PS_E_LIMIT);
    static const char *const never[] = {"../evil", "etc/passwd", "/etc/passwd",
                                        "lnk", "hl", "dev/null",
                                        "a/b/c/d/e/f/g/h.txt", "nope"};
    for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
        p = NULL;
        if (ps_bundle_read_entry(b, never[i], 1 << 20, &p, &n) != PS_DONE)
            fail_msg("%s: read_entry(%s) should be PS_DONE", fmt_name[f], never[i]);
        assert_null(p);
    }
    /* a second inventory: same entries, no repeated notes (one extra
     * diagnostic from the PS_E_LIMIT read above) */
    assert_int_equal(ps_bundle_inventory(b, &inv), PS_OK);
    assert_int_equal(inv.n, ninv);
    assert_int_equal(d.n, ndiag + 1);
    ps_inventory_free(&inv);
    ps_bundle_close(b);
    ps_diags_free(&d);
    free(ab);
}

static void
test_hostile_tar(void **state)
{
    (void)state;
    check_hostile(F_TAR);
}

static void
test_hostile_tgz(void **state)
{
    (void)state;
    check_hostile(F_TGZ);
}

static void
test_hostile_tzst(void **state)
{
    (void)state;
    check_hostile(F_TZST);
}

static void
test_hostile_txz(void **state)
{
    (void)state;
    check_hostile(F_TXZ);
}

static void
test_hostile_zip(void **state)
{
    (void)state;
    check_hostile(F_ZIP);
}

/* Archives on disk are recognised by ps_bundle_open; plain files are not. */
static void
test_open_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/ps-bundle-arc-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    struct ps_diags d;
    ps_diags_init(&d);
    struct ps_bundle *b;
    static const struct {
        enum fmt f;
        const char *name;
    } files[] = {{F_TGZ, "b.tar.gz"}, {F_ZIP, "b.zip"}, {F_TZST, "b.data"}};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        size_t an;
        uint8_t *ab = build(files[i].f, hostile, 1, 1 << 20, &an);
        snprintf(path, sizeof(path), "%s/%s", dir, files[i].name);
        FILE *fp = fopen(path, "wb");
        assert_non_null(fp);
        assert_int_equal(fwrite(ab, 1, an, fp), an);
        fclose(fp);
        free(ab);
        assert_int_equal(ps_bundle_open(path, NULL, &d, &b), PS_OK);
        assert_true(ps_bundle_is_archive(b));
        uint8_t *p;
        size_t n;
        assert_int_equal(ps_bundle_read_entry(b, "ok/wal/00000001", 1 << 20, &p, &n),
                         PS_OK);
        assert_int_equal(n, sizeof(wal));
        free(p);
        ps_bundle_close(b);
        unlink(path);
    }
    /* plain text and an empty file are single-file bundles */
    static const char *const plain[] = {"ts=2026-11-24T06:34:45Z level=info msg=x\n", ""};
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof(path), "%s/p%zu.log", dir, i);
        FILE *fp = fopen(path, "wb");
        fputs(plain[i], fp);
        fclose(fp);
        assert_int_equal(ps_bundle_open(path, NULL, &d, &b), PS_OK);
        assert_false(ps_bundle_is_archive(b));
        struct ps_inventory inv;
        assert_int_equal(ps_bundle_inventory(b, &inv), PS_OK);
        assert_int_equal(inv.n, 1);
        assert_int_equal(inv.v[0].kind, PS_KIND_LOG);
        ps_inventory_free(&inv);
        ps_bundle_close(b);
        unlink(path);
    }
    assert_int_equal(rmdir(dir), 0);
    ps_diags_free(&d);
}

static enum ps_err
slurp_visit(void *ctx, const struct ps_entry *e, struct ps_stream *s)
{
    (void)e;
    if (s == NULL || ctx == NULL)
        return PS_OK;
    uint8_t *p;
    size_t n;
    if (ps_stream_slurp(s, (size_t)1 << 30, &p, &n) == PS_OK)
        free(p);
    return PS_OK;
}

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 200 MiB of zeros, compressed: the ratio limit must stop the walk early,
 * whether the visitor reads the entry or skips it (tar.gz: skipping means
 * decompressing; zip: skipping seeks over the compressed bytes). */
static void
check_bomb(enum fmt f, size_t mib)
{
    struct archive *a = archive_write_new();
    if (f == F_ZIP) {
        archive_write_set_format_zip(a);
        archive_write_set_format_option(a, "zip", "compression-level", "1");
    } else if (f == F_7Z) {
        assert_int_equal(archive_write_set_format_7zip(a), ARCHIVE_OK);
        archive_write_set_format_option(a, "7zip", "compression", "deflate");
        archive_write_set_format_option(a, "7zip", "compression-level", "1");
    } else {
        archive_write_set_format_pax_restricted(a);
        archive_write_add_filter_gzip(a);
        archive_write_set_filter_option(a, "gzip", "compression-level", "1");
    }
    size_t cap = 4 << 20, used = 0;
    uint8_t *buf = malloc(cap);
    assert_int_equal(archive_write_open_memory(a, buf, cap, &used), ARCHIVE_OK);
    struct archive_entry *ae = archive_entry_new();
    archive_entry_set_pathname(ae, "zeros.log");
    archive_entry_set_filetype(ae, AE_IFREG);
    archive_entry_set_perm(ae, 0644);
    archive_entry_set_size(ae, (la_int64_t)mib << 20);
    assert_int_equal(archive_write_header(a, ae), ARCHIVE_OK);
    uint8_t *z = calloc(1, 1 << 20);
    for (size_t i = 0; i < mib; i++)
        assert_int_equal(archive_write_data(a, z, 1 << 20), 1 << 20);
    free(z);
    archive_entry_free(ae);
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);

    for (int read_it = 0; read_it < 2; read_it++) {
        struct ps_diags d;
        ps_diags_init(&d);
        struct ps_bundle *b;
        assert_int_equal(ps_bundle_open_memory(buf, used, NULL, &d, &b), PS_OK);
        double t0 = now_s();
        enum ps_err e = ps_bundle_walk(b, slurp_visit, read_it ? &d : NULL);
        double dt = now_s() - t0;
        if (f == F_ZIP && !read_it) {
            /* zip entries carry their compressed size: a skipped entry is
             * not decompressed at all, only the classification head is */
            assert_int_equal(e, PS_OK);
            assert_true(b->produced <= PS_BUNDLE_HEAD);
            assert_true(dt < 5.0);
            ps_bundle_close(b);
            ps_diags_free(&d);
            continue;
        }
        if (e != PS_E_LIMIT)
            fail_msg("%s bomb (read=%d): walk returned %s", fmt_name[f], read_it,
                     ps_strerror(e));
        assert_int_equal(count_diag(&d, PS_E_LIMIT, "ratio"), 1);
        /* stopped soon after the grace amount, not after 200 MiB */
        if (b->produced > 16u << 20)
            fail_msg("%s bomb: %llu bytes produced before stopping", fmt_name[f],
                     (unsigned long long)b->produced);
        assert_true(dt < 5.0);
        ps_bundle_close(b);
        ps_diags_free(&d);
    }
    free(buf);
}

static void
test_bomb_tgz(void **state)
{
    (void)state;
    check_bomb(F_TGZ, 200);
}

static void
test_bomb_zip(void **state)
{
    (void)state;
    check_bomb(F_ZIP, 200);
}

/* 7z compresses inside the format: a skipped entry is drained and checked */
static void
test_bomb_7z(void **state)
{
    (void)state;
    check_bomb(F_7Z, 64);
}

/* Every prefix-truncation of a tar.gz ends with diagnostics, no crash. */
static void
test_truncated(void **state)
{
    (void)state;
    size_t an;
    uint8_t *ab = build(F_TGZ, hostile, NHOSTILE, 4 << 20, &an);
    static const double cut[] = {0.1, 0.5, 0.9, 0.99};
    for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
        size_t n = (size_t)((double)an * cut[i]);
        struct ps_diags d;
        ps_diags_init(&d);
        struct ps_bundle *b;
        assert_int_equal(ps_bundle_open_memory(ab, n, NULL, &d, &b), PS_OK);
        struct ps_inventory inv;
        enum ps_err e = ps_bundle_inventory(b, &inv);
        assert_int_not_equal(e, PS_OK);
        assert_true(ps_diags_count(&d, PS_SEV_ERROR) >= 1);
        assert_true(inv.n <= NHOSTILE);
        ps_inventory_free(&inv);
        ps_bundle_close(b);
        ps_diags_free(&d);
    }
    free(ab);
}

/* ---- an entry the archive cuts short: every byte that arrived ---- */

struct cut_read {
    const char *path;
    size_t step;      /* bytes per ps_stream_read */
    struct ps_buf got;
    int failed;       /* a read returned -1 */
    int found;
};

static enum ps_err
cut_visit(void *ctx, const struct ps_entry *e, struct ps_stream *s)
{
    struct cut_read *c = ctx;
    if (s == NULL || strcmp(e->path, c->path) != 0)
        return PS_OK;
    c->found = 1;
    uint8_t *buf = malloc(c->step);
    assert_non_null(buf);
    for (;;) {
        ssize_t r = ps_stream_read(s, buf, c->step);
        if (r < 0)
            c->failed = 1;
        if (r <= 0)
            break;
        assert_int_equal(ps_buf_append(&c->got, buf, (size_t)r), PS_OK);
    }
    free(buf);
    return PS_DONE;
}

/* Read entry path of the archive ab[0..n) with steps of every size here:
 * the same bytes each time (returned, malloc'd; *cut_out: a read failed);
 * NULL when the archive is cut before the entry (not found). */
static uint8_t *
read_cut_entry(const uint8_t *ab, size_t n, const char *path, size_t *len, int *cut_out)
{
    static const size_t steps[] = {1, 7, 4096, 65536, 1 << 20};
    uint8_t *first = NULL;
    size_t first_n = 0;
    int first_cut = 0;
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        struct ps_diags d;
        ps_diags_init(&d);
        struct ps_bundle *b;
        assert_int_equal(ps_bundle_open_memory(ab, n, NULL, &d, &b), PS_OK);
        struct cut_read c = {.path = path, .step = steps[i]};
        ps_bundle_walk(b, cut_visit, &c);
        if (i == 0 && !c.found) {
            ps_bundle_close(b);
            ps_diags_free(&d);
            return NULL;
        }
        assert_true(c.found);
        if (i == 0) {
            first = c.got.p != NULL ? c.got.p : malloc(1);
            first_n = c.got.n;
            first_cut = c.failed;
        } else {
            if (c.got.n != first_n || (first_n > 0 && memcmp(c.got.p, first, first_n) != 0) ||
                c.failed != first_cut)
                fail_msg("%s: reading %zu bytes at a time gave %zu bytes (cut %d), "
                         "one at a time %zu (cut %d)", path, steps[i], c.got.n, c.failed,
                         first_n, first_cut);
            ps_buf_free(&c.got);
        }
        /* random access: the same bytes, and the cut said */
        uint8_t *p = NULL;
        size_t pn = 0;
        int cut = -1;
        assert_int_equal(ps_bundle_read_entry_upto(b, path, 1 << 24, &p, &pn, &cut), PS_OK);
        assert_int_equal(cut, first_cut);
        assert_int_equal(pn, first_n);
        assert_true(pn == 0 || memcmp(p, first, pn) == 0);
        free(p);
        if (first_cut) {
            p = NULL;
            assert_int_not_equal(ps_bundle_read_entry(b, path, 1 << 24, &p, &pn), PS_OK);
            assert_null(p);
            assert_true(ps_diags_count(&d, PS_SEV_ERROR) >= 1);
        }
        ps_bundle_close(b);
        ps_diags_free(&d);
    }
    *len = first_n;
    *cut_out = first_cut;
    return first;
}

/* A tar cut inside an entry hands out exactly the entry's bytes before the
 * cut, however they are read (ps_stream_read of 1 byte to 1 MiB, or
 * ps_bundle_read_entry_upto), and says it was cut; a tar.gz cut there
 * hands out a prefix of the entry, the same one every way. Before, each
 * read took as many of libarchive's blocks as the caller's buffer held and
 * lost them all when one failed, so what arrived depended on the buffer. */
static void
test_cut_entry_reads_what_arrived(void **state)
{
    (void)state;
    enum { N = 300000 };
    uint8_t *data = malloc(N);
    assert_non_null(data);
    uint64_t x = 0x2545F4914F6CDD1DULL;
    for (size_t i = 0; i < N; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        data[i] = (uint8_t)(x >> 24);
    }
    const struct ent ents[] = {
        {"p/wal/00000001", AE_IFREG, NULL, data, N},
        {"p/after.log", AE_IFREG, NULL, (const uint8_t *)"later\n", 6},
    };
    for (int f = F_TAR; f <= F_TGZ; f++) {
        size_t an;
        uint8_t *ab = build((enum fmt)f, ents, 2, 4 << 20, &an);
        size_t len;
        int cut;
        uint8_t *got = read_cut_entry(ab, an, "p/wal/00000001", &len, &cut);
        assert_non_null(got);
        assert_int_equal(cut, 0);
        assert_int_equal(len, N);
        assert_memory_equal(got, data, N);
        free(got);
        /* where the entry's data starts (a plain tar only) */
        size_t at = 0;
        if (f == F_TAR) {
            for (at = 0; at + 64 <= an && memcmp(ab + at, data, 64) != 0; at += 512)
                ;
            assert_true(at + 64 <= an);
        }
        static const double frac[] = {0.001, 0.2, 0.5, 0.9};
        size_t cases = 0;
        for (size_t k = 0; k < sizeof(frac) / sizeof(frac[0]); k++) {
            size_t keep = (size_t)(N * frac[k]);
            size_t n = f == F_TAR ? at + keep : (size_t)((double)an * frac[k]);
            got = read_cut_entry(ab, n, "p/wal/00000001", &len, &cut);
            if (got == NULL && f == F_TGZ)
                continue; /* the gzip stream cut too early to open */
            assert_non_null(got);
            cases++;
            assert_int_equal(cut, 1);
            if (f == F_TAR)
                assert_int_equal(len, keep);
            assert_true(len < N);
            assert_true(len == 0 || memcmp(got, data, len) == 0);
            free(got);
        }
        assert_true(cases >= 2);
        free(ab);
    }
    free(data);
}

/* A sparse entry (pax, data at 0 and at 100000, a hole to its end at
 * 200000) reads as archive_read_data gives it - the holes as zeros -
 * however it is read. */
static void
test_sparse_entry_reads_as_libarchive(void **state)
{
    (void)state;
    static uint8_t ab[1 << 16];
    size_t used = 0;
    struct archive *a = archive_write_new();
    assert_non_null(a);
    assert_int_equal(archive_write_set_format_pax(a), ARCHIVE_OK);
    assert_int_equal(archive_write_open_memory(a, ab, sizeof(ab), &used), ARCHIVE_OK);
    struct archive_entry *ae = archive_entry_new();
    archive_entry_set_pathname(ae, "p/sparse.bin");
    archive_entry_set_filetype(ae, AE_IFREG);
    archive_entry_set_perm(ae, 0644);
    archive_entry_set_size(ae, 200000);
    archive_entry_sparse_add_entry(ae, 0, 4096);
    archive_entry_sparse_add_entry(ae, 100000, 4096);
    assert_int_equal(archive_write_header(a, ae), ARCHIVE_OK);
    /* the whole logical content; the writer stores the two regions */
    uint8_t *d = malloc(200000);
    assert_non_null(d);
    for (size_t i = 0; i < 200000; i++)
        d[i] = (uint8_t)(i * 7 + 1) | 1;
    assert_int_equal(archive_write_data(a, d, 200000), 200000);
    free(d);
    archive_entry_free(ae);
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    /* the reference: archive_read_data */
    struct ps_buf want = {0};
    struct archive *r = archive_read_new();
    archive_read_support_format_all(r);
    assert_int_equal(archive_read_open_memory(r, ab, used), ARCHIVE_OK);
    assert_int_equal(archive_read_next_header(r, &ae), ARCHIVE_OK);
    uint8_t big[65536];
    la_ssize_t k;
    while ((k = archive_read_data(r, big, sizeof(big))) > 0)
        assert_int_equal(ps_buf_append(&want, big, (size_t)k), PS_OK);
    assert_int_equal(k, 0);
    archive_read_free(r);
    assert_int_equal(want.n, 200000);
    assert_int_not_equal(want.p[100001], 0); /* data after the hole ... */
    assert_int_equal(want.p[5000], 0);       /* ... and zeros in it */
    assert_int_equal(want.p[150000], 0);
    size_t len;
    int cut;
    uint8_t *got = read_cut_entry(ab, used, "p/sparse.bin", &len, &cut);
    assert_non_null(got);
    assert_int_equal(cut, 0);
    assert_int_equal(len, want.n);
    assert_memory_equal(got, want.p, want.n);
    free(got);
    ps_buf_free(&want);
}

static void
test_entry_limit(void **state)
{
    (void)state;
    size_t an;
    uint8_t *ab = build(F_TAR, hostile, NHOSTILE, 4 << 20, &an);
    struct ps_bundle_limits lim;
    ps_bundle_limits_default(&lim);
    lim.max_entries = 3;
    struct ps_diags d;
    ps_diags_init(&d);
    struct ps_bundle *b;
    assert_int_equal(ps_bundle_open_memory(ab, an, &lim, &d, &b), PS_OK);
    struct ps_inventory inv;
    assert_int_equal(ps_bundle_inventory(b, &inv), PS_E_LIMIT);
    /* archives are visited in stored order: the first three are kept.
     * "./ok/wal/00000001" comes with no directory entries before it. */
    assert_int_equal(inv.n, 3);
    assert_string_equal(inv.v[0].path, "ok/wal/00000001");
    assert_string_equal(inv.v[1].path, "../evil");
    ps_inventory_free(&inv);
    ps_bundle_close(b);
    ps_diags_free(&d);

    /* entry size: the big log cannot be slurped, the walk goes on */
    ps_bundle_limits_default(&lim);
    lim.max_entry_bytes = 50000;
    ps_diags_init(&d);
    assert_int_equal(ps_bundle_open_memory(ab, an, &lim, &d, &b), PS_OK);
    assert_int_equal(ps_bundle_walk(b, slurp_visit, &d), PS_OK);
    assert_true(count_diag(&d, PS_E_LIMIT, "entry") >= 1);
    ps_bundle_close(b);
    ps_diags_free(&d);
    free(ab);
}

int
main(void)
{
    init_data();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile_tar),
        cmocka_unit_test(test_cut_entry_reads_what_arrived),
        cmocka_unit_test(test_sparse_entry_reads_as_libarchive),
        cmocka_unit_test(test_hostile_tgz),
        cmocka_unit_test(test_hostile_tzst),
        cmocka_unit_test(test_hostile_txz),
        cmocka_unit_test(test_hostile_zip),
        cmocka_unit_test(test_open_files),
        cmocka_unit_test(test_bomb_tgz),
        cmocka_unit_test(test_bomb_zip),
        cmocka_unit_test(test_bomb_7z),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_entry_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
