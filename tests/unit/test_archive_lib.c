/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_archive_lib.c - libarchive loaded at run time (src/bundle/
 * archive_lib.c). ps_la_load on the build's soname fills every pointer;
 * on a missing library or one without libarchive's symbols it fails with
 * the reason. With the process-wide load pointed at a missing library
 * (ps_la_set_soname_for_tests, before anything loads it), opening a
 * regular file and walking an in-memory archive fail with a located
 * diagnostic and no crash, while a directory bundle still walks.
 *
 * This binary does not link libarchive (only test_bundle_archive does).
 */
#include "test_util.h"

#include <sys/stat.h>
#include <unistd.h>

#include "bundle/archive_lib.h"
#include "bundle/bundle_int.h"
#include "promsight/ps_bundle.h"

#define MISSING "libpromsight-no-such-library.so.0"

static void
loads_the_build_soname(void **state)
{
    (void)state;
    struct ps_la la;
    char why[256] = "x";
    assert_int_equal(ps_la_load(PS_LIBARCHIVE_SONAME, &la, why, sizeof(why)), 0);
    assert_string_equal(why, "");
    /* every pointer resolved */
    const unsigned char *p = (const unsigned char *)&la;
    void *none = NULL;
    for (size_t i = 0; i < sizeof(la); i += sizeof(void *))
        assert_true(memcmp(p + i, &none, sizeof(void *)) != 0);
    struct archive *a = la.read_new();
    assert_non_null(a);
    assert_int_equal(la.read_free(a), ARCHIVE_OK);
}

static void
missing_library(void **state)
{
    (void)state;
    struct ps_la la;
    char why[256];
    assert_int_equal(ps_la_load(MISSING, &la, why, sizeof(why)), -1);
    assert_non_null(strstr(why, MISSING));      /* dlerror's text */
    assert_null(la.read_new);
}

static void
library_without_the_symbols(void **state)
{
    (void)state;
    struct ps_la la;
    char why[256];
    /* libc is loaded in every process and has no archive_* */
    assert_int_equal(ps_la_load("libc.so.6", &la, why, sizeof(why)), -1);
    assert_string_equal(why, "symbol archive_read_new not found in libc.so.6");
    assert_null(la.read_new);
}

static enum ps_err
count(void *ctx, const struct ps_entry *e, struct ps_stream *s)
{
    (void)e;
    (void)s;
    (*(int *)ctx)++;
    return PS_OK;
}

/* Runs first: the process-wide load is pointed at MISSING in main(). */
static void
unloadable_library_is_a_located_error(void **state)
{
    (void)state;
    char dir[] = "/tmp/ps-la-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char file[64];
    snprintf(file, sizeof(file), "%s/b.tar", dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fputs("not even an archive\n", f);
    fclose(f);

    /* a regular file needs the probe, which cannot run */
    struct ps_diags d = {0};
    struct ps_bundle *b = NULL;
    assert_int_equal(ps_bundle_open(file, NULL, &d, &b), PS_E_IO);
    assert_null(b);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.v[0].sev, PS_SEV_FATAL);
    assert_string_equal(d.v[0].path, file);
    assert_string_equal(d.v[0].phase, "bundle: archive");
    assert_non_null(strstr(d.v[0].msg, "cannot load libarchive (" MISSING "): "));
    ps_diags_free(&d);

    /* an in-memory archive fails at the walk */
    memset(&d, 0, sizeof(d));
    static const uint8_t mem[512] = {'x'};
    assert_int_equal(ps_bundle_open_memory(mem, sizeof(mem), NULL, &d, &b), PS_OK);
    int n = 0;
    assert_int_equal(ps_bundle_walk(b, count, &n), PS_E_IO);
    assert_int_equal(n, 0);
    assert_true(d.n >= 1);
    assert_string_equal(d.v[0].path, "<memory>");
    assert_string_equal(d.v[0].phase, "bundle: archive");
    assert_non_null(strstr(d.v[0].msg, "cannot load libarchive (" MISSING "): "));
    ps_bundle_close(b);
    ps_diags_free(&d);

    /* a directory bundle never needs libarchive */
    memset(&d, 0, sizeof(d));
    assert_int_equal(ps_bundle_open(dir, NULL, &d, &b), PS_OK);
    n = 0;
    assert_int_equal(ps_bundle_walk(b, count, &n), PS_OK);
    assert_int_equal(n, 1);
    ps_bundle_close(b);
    ps_diags_free(&d);

    const char *why = NULL;
    assert_null(ps_la_get(&why));
    assert_non_null(strstr(why, MISSING));
    unlink(file);
    rmdir(dir);
}

int
main(void)
{
    ps_la_set_soname_for_tests(MISSING);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unloadable_library_is_a_located_error),
        cmocka_unit_test(loads_the_build_soname),
        cmocka_unit_test(missing_library),
        cmocka_unit_test(library_without_the_symbols),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
