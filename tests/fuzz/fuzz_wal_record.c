/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_wal_record.c - any byte string as one decompressed WAL record: the
 * first byte selects the decoder (series, samples, tombstones, exemplars,
 * mmap markers, metadata, histograms and float histograms V1/V2, custom
 * buckets, samples V2). The visitor reads every byte it is handed, so an
 * out-of-bounds label or string pointer is caught by ASan.
 */
#include <stddef.h>
#include <stdint.h>

#include "promsight/ps_wal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint64_t sink;

static void
touch(const char *p, uint32_t n)
{
    uint64_t h = 0;
    for (uint32_t i = 0; i < n; i++)
        h = h * 31 + (uint8_t)p[i];
    sink += h;
}

static void
v_series(void *ctx, const struct ps_wal_series *s, size_t n)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < s[i].nlabels; k++) {
            touch(s[i].labels[k].name, s[i].labels[k].name_len);
            touch(s[i].labels[k].value, s[i].labels[k].value_len);
        }
}

static void
v_samples(void *ctx, const struct ps_wal_sample *s, size_t n)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++)
        sink += s[i].ref + (uint64_t)s[i].t;
}

static void
v_hist(void *ctx, const struct ps_wal_histogram *h, size_t n)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++)
        sink += h[i].nbuckets + (uint64_t)h[i].schema;
}

static void
v_meta(void *ctx, const struct ps_wal_metadata *m, size_t n)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++) {
        if (m[i].unit != NULL)
            touch(m[i].unit, m[i].unit_len);
        if (m[i].help != NULL)
            touch(m[i].help, m[i].help_len);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ps_wal_decoder d = {0};
    struct ps_wal_visitor v = {v_series, v_samples, v_hist, NULL, NULL,
                               v_meta,   NULL,      NULL};
    size_t n = 0;
    ps_wal_decode(&d, data, size, &v, &n);
    ps_wal_decoder_free(&d);
    return 0;
}
