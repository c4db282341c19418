/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_bundle_dir.c - directory and single-file bundles: sorted walk
 * order, symlinks/fifos listed but never followed or read, streaming of
 * content larger than the classification head, random access with
 * ps_bundle_read_entry, and the entry, depth and count limits. Each test
 * builds its own tree under a mkdtemp directory and removes it.
 */
#define _XOPEN_SOURCE 700    /* nftw FTW_DEPTH/FTW_PHYS */
#include "test_util.h"

#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle/bundle_int.h"
#include "promsight/ps_bundle.h"
#include "promsight/ps_crc32c.h"
#include "promsight/ps_dec.h"

#define BIG 100000

static char root[256];

static void
put_file(const char *rel, const void *p, size_t n)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", root, rel);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
}

static void
mk(const char *rel)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", root, rel);
    assert_int_equal(mkdir(path, 0755), 0);
}

static uint8_t big[BIG];

/* A WAL segment: one full record with a valid CRC, then a zero page tail. */
static size_t
wal_bytes(uint8_t *b, size_t cap)
{
    static const uint8_t payload[] = {1, 0x80, 0x01, 2, 'u', 'p'};
    memset(b, 0, cap);
    b[0] = 1;
    ps_put_be16(b + 1, sizeof(payload));
    ps_put_be32(b + 3, ps_crc32c(payload, sizeof(payload)));
    memcpy(b + 7, payload, sizeof(payload));
    return cap;
}

static int
setup(void **state)
{
    (void)state;
    snprintf(root, sizeof(root), "/tmp/ps-bundle-dir-XXXXXX");
    assert_non_null(mkdtemp(root));
    mk("a");
    mk("a/wal");
    mk("a-b");
    mk("d1");
    mk("d1/d2");
    mk("d1/d2/d3");
    mk("d1/d2/d3/d4");
    uint8_t wal[4096];
    put_file("a/wal/00000001", wal, wal_bytes(wal, sizeof(wal)));
    put_file("a/wal/00000002", "", 0);    /* a freshly cut, empty segment */
    const char *log = "ts=2026-11-24T06:34:45Z level=info msg=hello\n";
    put_file("a-b/x.log", log, strlen(log));
    for (size_t i = 0; i < BIG; i++)
        big[i] = (uint8_t)('a' + i % 23);
    big[BIG - 1] = '\n';
    put_file("big.txt", big, BIG);
    put_file("head-exact.txt", big, PS_BUNDLE_HEAD);       /* head boundary */
    put_file("head-plus1.txt", big, PS_BUNDLE_HEAD + 1);
    put_file("d1/d2/d3/d4/deep.txt", "deep\n", 5);
    char path[512], tgt[512];
    snprintf(path, sizeof(path), "%s/link", root);
    assert_int_equal(symlink("/etc/passwd", path), 0);
    snprintf(path, sizeof(path), "%s/dirlink", root);
    snprintf(tgt, sizeof(tgt), "%s/a", root);
    assert_int_equal(symlink(tgt, path), 0);
    snprintf(path, sizeof(path), "%s/fifo", root);
    assert_int_equal(mkfifo(path, 0600), 0);
    return 0;
}

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static int
teardown(void **state)
{
    (void)state;
    return nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

struct rec {
    char path[64][128];
    enum ps_entry_type type[64];
    enum ps_kind kind[64];
    int unsafe[64];
    int had_stream[64];
    char link[64][128];
    size_t n;
    uint8_t *content;     /* of big.txt, read through the stream */
    size_t content_n;
};

static enum ps_err
rec_visit(void *ctx, const struct ps_entry *e, struct ps_stream *s)
{
    struct rec *r = ctx;
    assert_true(r->n < 64);
    snprintf(r->path[r->n], sizeof(r->path[0]), "%s", e->path);
    r->type[r->n] = e->type;
    r->kind[r->n] = e->kind;
    r->unsafe[r->n] = e->unsafe;
    r->had_stream[r->n] = s != NULL;
    snprintf(r->link[r->n], sizeof(r->link[0]), "%s",
             e->link_target != NULL ? e->link_target : "");
    r->n++;
    if (s != NULL && strncmp(e->path, "head-", 5) == 0) {
        /* whole content through the stream, one byte at a time at the end */
        uint8_t buf[PS_BUNDLE_HEAD + 8];
        size_t got = 0;
        ssize_t k;
        while ((k = ps_stream_read(s, buf + got, got < PS_BUNDLE_HEAD - 1 ? 4096 : 1)) > 0)
            got += (size_t)k;
        assert_int_equal(k, 0);
        assert_int_equal(got, e->size);
        assert_memory_equal(buf, big, got);
        assert_int_equal(ps_stream_read(s, buf, 1), 0);    /* stays at the end */
    }
    if (s != NULL && strcmp(e->path, "big.txt") == 0) {
        /* read in odd-sized pieces across the head boundary */
        uint8_t *buf = malloc(BIG + 10);
        size_t got = 0;
        ssize_t k;
        while ((k = ps_stream_read(s, buf + got, 7001)) > 0)
            got += (size_t)k;
        assert_int_equal(k, 0);
        r->content = buf;
        r->content_n = got;
    }
    return PS_OK;
}

static int
find(const struct rec *r, const char *path)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->path[i], path) == 0)
            return (int)i;
    return -1;
}

static void
test_walk(void **state)
{
    (void)state;
    struct ps_diags d;
    ps_diags_init(&d);
    struct ps_bundle *b;
    assert_int_equal(ps_bundle_open(root, NULL, &d, &b), PS_OK);
    assert_false(ps_bundle_is_archive(b));
    struct rec *r = calloc(1, sizeof(*r));
    assert_int_equal(ps_bundle_walk(b, rec_visit, r), PS_OK);

    /* byte-wise sorted */
    for (size_t i = 1; i < r->n; i++)
        if (strcmp(r->path[i - 1], r->path[i]) >= 0)
            fail_msg("not sorted: %s then %s", r->path[i - 1], r->path[i]);
    assert_true(find(r, "a-b") < find(r, "a/wal"));

    int i = find(r, "a/wal/00000001");
    assert_true(i >= 0);
    assert_int_equal(r->kind[i], PS_KIND_WAL_SEGMENT);
    assert_true(r->had_stream[i]);
    i = find(r, "a-b/x.log");
    assert_int_equal(r->kind[i], PS_KIND_LOG);

    i = find(r, "link");
    assert_true(i >= 0);
    assert_int_equal(r->type[i], PS_ET_SYMLINK);
    assert_true(r->unsafe[i]);
    assert_false(r->had_stream[i]);
    assert_string_equal(r->link[i], "/etc/passwd");

    i = find(r, "dirlink");
    assert_int_equal(r->type[i], PS_ET_SYMLINK);
    assert_int_equal(find(r, "dirlink/wal/00000001"), -1);   /* not followed */

    i = find(r, "fifo");
    assert_int_equal(r->type[i], PS_ET_DEVICE);
    assert_true(r->unsafe[i]);
    assert_false(r->had_stream[i]);

    assert_true(find(r, "d1/d2/d3/d4/deep.txt") >= 0);

    /* streamed content equals the file */
    assert_int_equal(r->content_n, BIG);
    assert_memory_equal(r->content, big, BIG);
    free(r->content);

    /* notes for the symlinks and the fifo */
    size_t unsafe_diags = 0;
    for (size_t k = 0; k < d.n; k++)
        unsafe_diags += d.v[k].code == PS_E_UNSAFE;
    assert_int_equal(unsafe_diags, 3);

    /* a second walk: same sequence, no repeated notes */
    size_t nd = d.n;
    struct rec *r2 = calloc(1, sizeof(*r2));
    assert_int_equal(ps_bundle_walk(b, rec_visit, r2), PS_OK);
    assert_int_equal(r2->n, r->n);
    for (size_t k = 0; k < r->n; k++)
        assert_string_equal(r->path[k], r2->path[k]);
    assert_int_equal(d.n, nd);
    free(r2->content);
    free(r2);
    free(r);

    /* inventory */
    struct ps_inventory inv;
    assert_int_equal(ps_bundle_inventory(b, &inv), PS_OK);
    assert_int_equal(inv.nunsafe, 3);
    assert_int_equal(inv.count[PS_KIND_WAL_SEGMENT], 2);
    assert_int_equal(inv.count[PS_KIND_LOG], 1);
    assert_int_equal(inv.total_bytes, 4096 + strlen(
        "ts=2026-11-24T06:34:45Z level=info msg=hello\n") + BIG + 5 +
        2 * PS_BUNDLE_HEAD + 1);
    ps_inventory_free(&inv);
    ps_inventory_free(NULL);

    ps_bundle_close(b);
    ps_diags_free(&d);
}

static void
test_read_entry(void **state)
{
    (void)state;
    struct ps_diags d;
    ps_diags_init(&d);
    struct ps_bundle *b;
    assert_int_equal(ps_bundle_open(root, NULL, &d, &b), PS_OK);
    uint8_t *p;
    size_t n;
    assert_int_equal(ps_bundle_read_entry(b, "big.txt", BIG, &p, &n), PS_OK);
    assert_int_equal(n, BIG);
    assert_memory_equal(p, big, BIG);
    free(p);
    assert_int_equal(ps_bundle_read_entry(b, "./a//wal/00000001", 1 << 20, &p, &n),
                     PS_OK);
    assert_int_equal(n, 4096);
    free(p);
    /* too big for the caller's max */
    assert_int_equal(ps_bundle_read_entry(b, "big.txt", 1000, &p, &n), PS_E_LIMIT);
    assert_null(p);
    /* never through links, never outside, never non-files */
    assert_int_equal(ps_bundle_read_entry(b, "link", 1 << 20, &p, &n), PS_DONE);
    assert_int_equal(ps_bundle_read_entry(b, "dirlink/wal/00000001", 1 << 20, &p, &n),
                     PS_DONE);
    assert_int_equal(ps_bundle_read_entry(b, "../etc/passwd", 1 << 20, &p, &n),
                     PS_DONE);
    assert_int_equal(ps_bundle_read_entry(b, "/etc/passwd", 1 << 20, &p, &n),
                     PS_DONE);
    assert_int_equal(ps_bundle_read_entry(b, "fifo", 1 << 20, &p, &n), PS_DONE);
    assert_int_equal(ps_bundle_read_entry(b, "a", 1 << 20, &p, &n), PS_DONE);
    assert_int_equal(ps_bundle_read_entry(b, "nope", 1 << 20, &p, &n), PS_DONE);
    ps_bundle_close(b);
    ps_diags_free(&d);
}

static void
test_single_file(void **state)
{
    (void)state;
    struct ps_diags d;
    ps_diags_init(&d);
    struct ps_bundle *b;
    char path[512];
    snprintf(path, sizeof(path), "%s/a/wal/00000001", root);
    assert_int_equal(ps_bundle_open(path, NULL, &d, &b), PS_OK);
    assert_false(ps_bundle_is_archive(b));
    struct rec *r = calloc(1, sizeof(*r));
    assert_int_equal(ps_bundle_walk(b, rec_visit, r), PS_OK);
    assert_int_equal(r->n, 1);
    assert_string_equal(r->path[0], "00000001");
    assert_int_equal(r->kind[0], PS_KIND_WAL_SEGMENT);   /* by content */
    uint8_t *p;
    size_t n;
    assert_int_equal(ps_bundle_read_entry(b, "00000001", 1 << 20, &p, &n), PS_OK);
    assert_int_equal(n, 4096);
    free(p);
    free(r);
    ps_bundle_close(b);

    snprintf(path, sizeof(path), "%s/big.txt", root);
    assert_int_equal(ps_bundle_open(path, NULL, &d, &b), PS_OK);
    r = calloc(1, sizeof(*r));
    assert_int_equal(ps_bundle_walk(b, rec_visit, r), PS_OK);
    assert_int_equal(r->content_n, BIG);
    assert_memory_equal(r->content, big, BIG);
    free(r->content);
    free(r);
    ps_bundle_close(b);

    assert_int_equal(ps_bundle_open("/nonexistent/x", NULL, &d, &b), PS_E_IO);
    assert_null(b);
    assert_true(ps_diags_count(&d, PS_SEV_ERROR) >= 1);
    ps_bundle_close(NULL);
    ps_diags_free(&d);
}

/* A bundle that IS a wal directory: entries are named "00000001", yet
 * the directory's own name classifies them (even the empty one). */
static void
test_context(void **state)
{
    (void)state;
    struct ps_diags d;
    ps_diags_init(&d);
    struct ps_bundle *b;
    char path[512];
    snprintf(path, sizeof(path), "%s/a/wal", root);
    assert_int_equal(ps_bundle_open(path, NULL, &d, &b), PS_OK);
    struct ps_inventory inv;
    assert_int_equal(ps_bundle_inventory(b, &inv), PS_OK);
    assert_int_equal(inv.n, 2);
    assert_string_equal(inv.v[0].path, "00000001");
    assert_int_equal(inv.v[0].kind, PS_KIND_WAL_SEGMENT);
    assert_string_equal(inv.v[0].kind_by, "path+content");
    assert_int_equal(inv.v[1].kind, PS_KIND_WAL_SEGMENT);
    assert_string_equal(inv.v[1].kind_by, "path");
    assert_int_equal(inv.v[1].seq, 2);
    ps_inventory_free(&inv);
    ps_bundle_close(b);
    /* the same for a single file given by its path */
    snprintf(path, sizeof(path), "%s/a/wal/00000002", root);
    assert_int_equal(ps_bundle_open(path, NULL, &d, &b), PS_OK);
    assert_int_equal(ps_bundle_inventory(b, &inv), PS_OK);
    assert_int_equal(inv.n, 1);
    assert_int_equal(inv.v[0].kind, PS_KIND_WAL_SEGMENT);
    ps_inventory_free(&inv);
    ps_bundle_close(b);
    /* a neutral directory adds nothing */
    snprintf(path, sizeof(path), "%s/a-b", root);
    assert_int_equal(ps_bundle_open(path, NULL, &d, &b), PS_OK);
    assert_int_equal(ps_bundle_inventory(b, &inv), PS_OK);
    assert_int_equal(inv.v[0].kind, PS_KIND_LOG);
    assert_string_equal(inv.v[0].kind_by, "path+content");
    ps_inventory_free(&inv);
    ps_bundle_close(b);
    ps_diags_free(&d);
}

static size_t
count_code(const struct ps_diags *d, enum ps_err code)
{
    size_t n = 0;
    for (size_t i = 0; i < d->n; i++)
        n += d->v[i].code == code;
    return n;
}

static enum ps_err
slurp_visit(void *ctx, const struct ps_entry *e, struct ps_stream *s)
{
    (void)e;
    size_t *nread = ctx;
    if (s == NULL)
        return PS_OK;
    uint8_t *p;
    size_t n;
    if (ps_stream_slurp(s, 1 << 20, &p, &n) == PS_OK) {
        *nread += n;
        free(p);
    }
    return PS_OK;
}

static void
test_limits(void **state)
{
    (void)state;
    struct ps_bundle_limits lim;
    struct ps_diags d;
    struct ps_bundle *b;
    struct rec *r = calloc(1, sizeof(*r));

    /* depth: d1/d2/d3 is listed, d1/d2/d3/d4 is not descended */
    ps_bundle_limits_default(&lim);
    lim.max_depth = 3;
    ps_diags_init(&d);
    assert_int_equal(ps_bundle_open(root, &lim, &d, &b), PS_OK);
    assert_int_equal(ps_bundle_walk(b, rec_visit, r), PS_OK);
    assert_true(find(r, "d1/d2/d3") >= 0);
    assert_int_equal(find(r, "d1/d2/d3/d4"), -1);
    assert_int_equal(find(r, "d1/d2/d3/d4/deep.txt"), -1);
    assert_int_equal(count_code(&d, PS_E_LIMIT), 1);
    free(r->content);
    ps_bundle_close(b);
    ps_diags_free(&d);

    /* entry size: big.txt fails to slurp, others read */
    ps_bundle_limits_default(&lim);
    lim.max_entry_bytes = 50000;
    ps_diags_init(&d);
    assert_int_equal(ps_bundle_open(root, &lim, &d, &b), PS_OK);
    size_t nread = 0;
    assert_int_equal(ps_bundle_walk(b, slurp_visit, &nread), PS_OK);
    assert_int_equal(nread, 4096 + strlen(
        "ts=2026-11-24T06:34:45Z level=info msg=hello\n") + 5 +
        2 * PS_BUNDLE_HEAD + 1);
    assert_true(count_code(&d, PS_E_LIMIT) >= 1);
    ps_bundle_close(b);
    ps_diags_free(&d);

    /* total bytes: the walk stops */
    ps_bundle_limits_default(&lim);
    lim.max_total_bytes = 2000;
    ps_diags_init(&d);
    assert_int_equal(ps_bundle_open(root, &lim, &d, &b), PS_OK);
    nread = 0;
    assert_int_equal(ps_bundle_walk(b, slurp_visit, &nread), PS_E_LIMIT);
    assert_true(count_code(&d, PS_E_LIMIT) >= 1);
    ps_bundle_close(b);
    ps_diags_free(&d);

    /* entry count */
    ps_bundle_limits_default(&lim);
    lim.max_entries = 4;
    ps_diags_init(&d);
    assert_int_equal(ps_bundle_open(root, &lim, &d, &b), PS_OK);
    memset(r, 0, sizeof(*r));
    assert_int_equal(ps_bundle_walk(b, rec_visit, r), PS_E_LIMIT);
    assert_int_equal(r->n, 0);    /* deterministic: nothing, not a subset */
    assert_int_equal(count_code(&d, PS_E_LIMIT), 1);
    ps_bundle_close(b);
    ps_diags_free(&d);
    free(r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_walk),
        cmocka_unit_test(test_read_entry),
        cmocka_unit_test(test_single_file),
        cmocka_unit_test(test_context),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
