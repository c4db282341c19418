/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_wal_writer.h - a WAL writer for the tests, written from the format
 * description (docs/format-wal.md), not from promsight's reader: it builds
 * records (series, samples, histograms, ...) and segments with chosen
 * compression and page fill, following Prometheus' writer rules (whole
 * record compressed only if that saves bytes; fragments never cross a
 * page; a page with fewer than 7 bytes left is zero-padded). Tests then
 * damage the bytes where they want a corruption.
 */
#ifndef TEST_WAL_WRITER_H
#define TEST_WAL_WRITER_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <snappy-c.h>
#include <zstd.h>

#include "promsight/ps_crc32c.h"
#include "promsight/ps_dec.h"
#include "promsight/ps_util.h"

#define TW_PAGE 32768u

enum tw_compr { TW_NONE, TW_SNAPPY, TW_ZSTD };

struct tw {
    struct ps_buf seg;     /* the segment being written */
    size_t alloc;          /* bytes used in the current page */
};

static inline void
tw_pad_page(struct tw *w)
{
    if (w->alloc == 0)
        return;
    size_t k = TW_PAGE - w->alloc;
    uint8_t z[TW_PAGE];
    memset(z, 0, k);
    ps_buf_append(&w->seg, z, k);
    w->alloc = 0;
}

/* Log one record; returns the offset of its first fragment. */
static inline size_t
tw_log(struct tw *w, const uint8_t *rec, size_t n, enum tw_compr c)
{
    uint8_t *cbuf = NULL;
    const uint8_t *p = rec;
    size_t len = n;
    uint8_t flag = 0;
    if (c != TW_NONE && n > 0) {
        size_t cap = c == TW_SNAPPY ? snappy_max_compressed_length(n)
                                    : ZSTD_compressBound(n);
        cbuf = malloc(cap);
        size_t out = cap;
        int ok;
        if (c == TW_SNAPPY) {
            ok = snappy_compress((const char *)rec, n, (char *)cbuf, &out) ==
                 SNAPPY_OK;
        } else {
            /* Go's zstd encoder writes a content checksum by default */
            ZSTD_CCtx *cc = ZSTD_createCCtx();
            ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
            out = ZSTD_compress2(cc, cbuf, cap, rec, n);
            ZSTD_freeCCtx(cc);
            ok = !ZSTD_isError(out);
        }
        if (ok && out < n) {
            p = cbuf;
            len = out;
            flag = c == TW_SNAPPY ? 0x08 : 0x10;
        }
    }
    if (TW_PAGE - w->alloc < 7)
        tw_pad_page(w);
    size_t start = w->seg.n;
    size_t i = 0, iter = 0;
    do {
        if (TW_PAGE - w->alloc < 7)
            tw_pad_page(w);
        size_t room = TW_PAGE - w->alloc - 7;
        size_t part = len - i < room ? len - i : room;
        uint8_t typ;
        if (iter == 0 && part == len)
            typ = 1;
        else if (iter == 0)
            typ = 2;
        else if (i + part == len)
            typ = 4;
        else
            typ = 3;
        uint8_t h[7];
        h[0] = (uint8_t)(typ | flag);
        ps_put_be16(h + 1, (uint16_t)part);
        ps_put_be32(h + 3, ps_crc32c(p + i, part));
        ps_buf_append(&w->seg, h, 7);
        ps_buf_append(&w->seg, p + i, part);
        w->alloc += 7 + part;
        i += part;
        iter++;
    } while (i < len);
    free(cbuf);
    return start;
}

static inline void
tw_free(struct tw *w)
{
    ps_buf_free(&w->seg);
}

/* ---- record builders (into a ps_buf the caller frees) ---- */
static inline void
tw_u8(struct ps_buf *b, uint8_t v)
{
    ps_buf_append(b, &v, 1);
}
static inline void
tw_be64(struct ps_buf *b, uint64_t v)
{
    uint8_t x[8];
    ps_put_be64(x, v);
    ps_buf_append(b, x, 8);
}
static inline void
tw_uvar(struct ps_buf *b, uint64_t v)
{
    uint8_t x[10];
    ps_buf_append(b, x, (size_t)ps_put_uvarint(x, v));
}
static inline void
tw_var(struct ps_buf *b, int64_t v)
{
    uint8_t x[10];
    ps_buf_append(b, x, (size_t)ps_put_varint(x, v));
}
static inline void
tw_str(struct ps_buf *b, const char *s)
{
    tw_uvar(b, strlen(s));
    ps_buf_append(b, s, strlen(s));
}
static inline void
tw_f64(struct ps_buf *b, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, 8);
    tw_be64(b, bits);
}

/* Series record entry: labels as NULL-terminated name,value,... list. */
static inline void
tw_series(struct ps_buf *b, uint64_t ref, const char *const *kv)
{
    size_t n = 0;
    while (kv[2 * n] != NULL)
        n++;
    tw_be64(b, ref);
    tw_uvar(b, n);
    for (size_t i = 0; i < n; i++) {
        tw_str(b, kv[2 * i]);
        tw_str(b, kv[2 * i + 1]);
    }
}

struct tw_sample {
    uint64_t ref;
    int64_t t;
    double v;
};

/* Full samples record (type 2). */
static inline void
tw_samples(struct ps_buf *b, const struct tw_sample *s, size_t n)
{
    tw_u8(b, 2);
    if (n == 0)
        return;
    tw_be64(b, s[0].ref);
    tw_be64(b, (uint64_t)s[0].t);
    for (size_t i = 0; i < n; i++) {
        tw_var(b, (int64_t)(s[i].ref - s[0].ref));
        tw_var(b, (int64_t)((uint64_t)s[i].t - (uint64_t)s[0].t)); /* Go wraps */
        tw_f64(b, s[i].v);
    }
}

#endif
