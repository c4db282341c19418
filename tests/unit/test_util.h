/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_util.h - shared helpers for the cmocka unit tests.
 *
 * Tests run from the project root (tests/run-tests.sh cds there), so
 * testdata/ is "testdata/" and the shared corpus is PS_SHARED (default
 * "../shared", overridable with the environment variable PS_SHARED).
 */
#ifndef PS_TEST_UTIL_H
#define PS_TEST_UTIL_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* |a - b| <= eps, printing both values on failure (cmocka 1.1.5 has no
 * float assertion). */
#define assert_near(a, b, eps)                                                 \
    do {                                                                       \
        double a_ = (a), b_ = (b);                                             \
        if (!(fabs(a_ - b_) <= (eps))) {                                       \
            print_error("%s = %.17g, expected %.17g (+- %g)\n", #a, a_, b_,     \
                        (double)(eps));                                        \
            fail();                                                            \
        }                                                                      \
    } while (0)

static inline const char *
ps_test_shared(void)
{
    const char *s = getenv("PS_SHARED");
    return s != NULL && *s != 0 ? s : "../shared";
}

/* Join the shared dir and rel into buf; returns buf. */
static inline char *
ps_test_shared_path(char *buf, size_t n, const char *rel)
{
    snprintf(buf, n, "%s/%s", ps_test_shared(), rel);
    return buf;
}

/* Read a whole file into a malloc'd buffer (caller frees); NULL on error. */
static inline uint8_t *
ps_test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc(sz > 0 ? (size_t)sz : 1);
    if (p != NULL && sz > 0 && fread(p, 1, (size_t)sz, f) != (size_t)sz) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *len = sz > 0 ? (size_t)sz : 0;
    return p;
}

/* testdata/<dir>/<file> read whole (caller frees); the test fails when it
 * cannot be read. */
static inline uint8_t *
ps_test_load(const char *dir, const char *file, size_t *len)
{
    char path[512];
    snprintf(path, sizeof(path), "testdata/%s/%s", dir, file);
    uint8_t *p = ps_test_read_file(path, len);
    assert_non_null(p);
    return p;
}

#endif
