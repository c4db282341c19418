/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * histogram.c - timestamps of native histogram chunks (Prometheus
 * tsdb/chunkenc/histogram.go, float_histogram.go, varbit.go; layout in
 * tsdb/docs/format/chunks.md). Only what is needed to walk every sample is
 * kept: bucket values are parsed and skipped.
 *
 *   be16 numSamples, u8 flags (counter reset bits), then a bit stream:
 *   zero threshold: byte 0 | byte 1..254 | byte 255 + 64-bit float
 *   schema varbit_int; positive spans, negative spans: varbit_uint count,
 *     count x (varbit_uint length, varbit_int offset)
 *   schema -53 only: varbit_uint n, n x custom value ('1'.. varbit_uint |
 *     '0' + 64 bits)
 *   histogram (2):  sample 0: varbit_int t, varbit_uint count, varbit_uint
 *       zero count, 64-bit sum, one varbit_int per bucket;
 *     sample 1: varbit_int t delta, count delta, zero count delta, sum XOR,
 *       bucket deltas; sample n: the same with delta-of-deltas
 *   float histogram (3): sample 0: varbit_int t, 64-bit count, zero count,
 *       sum and buckets; later samples: varbit_int t delta / dod, then a
 *       value XOR (as in XOR chunks, one leading/trailing window per
 *       field) for count, zero count, sum and every bucket
 * varbit_int: prefix '0' (value 0) | '10' 3 bits | '110' 6 | '1110' 9 |
 *   '11110' 12 | '111110' 18 | '1111110' 25 | '11111110' 56 |
 *   '11111111' 64; n-bit fields are two's complement. varbit_uint uses the
 *   same buckets, unsigned.
 */
#include <stdlib.h>
#include <string.h>

#include "promsight/ps_tsdb.h"

struct br {
    const uint8_t *p;
    size_t nbits, pos;
    int err;
};

static uint64_t
rd(struct br *b, unsigned k)
{
    if (b->err || k > b->nbits - b->pos) {
        b->err = 1;
        return 0;
    }
    uint64_t v = 0;
    for (unsigned i = 0; i < k; i++, b->pos++)
        v = v << 1 | ((b->p[b->pos >> 3] >> (7 - (b->pos & 7))) & 1);
    return v;
}

static const unsigned vb_width[9] = {0, 3, 6, 9, 12, 18, 25, 56, 64};

static uint64_t
varbit(struct br *b, int is_signed)
{
    unsigned ones = 0;
    while (ones < 8 && rd(b, 1) == 1)
        ones++;
    unsigned w = vb_width[ones];
    if (w == 0 || b->err)
        return 0;
    uint64_t x = rd(b, w);
    if (is_signed && w < 64 && x > (UINT64_C(1) << (w - 1)))
        x -= UINT64_C(1) << w;
    return x;
}

/* Skip a value XOR with its own leading/trailing window. */
static void
xor_skip(struct br *b, uint8_t *lead, uint8_t *trail)
{
    if (rd(b, 1) == 0)
        return;
    if (rd(b, 1) == 1) {
        unsigned l = (unsigned)rd(b, 5), sig = (unsigned)rd(b, 6);
        if (sig == 0)
            sig = 64;
        if (l + sig > 64) {
            b->err = 1;
            return;
        }
        *lead = (uint8_t)l;
        *trail = (uint8_t)(64 - l - sig);
    }
    (void)rd(b, 64u - *lead - *trail);
}

static uint64_t
spans(struct br *b)
{
    uint64_t n = varbit(b, 0), total = 0;
    for (uint64_t i = 0; i < n && !b->err; i++) {
        total += varbit(b, 0);
        (void)varbit(b, 1);
        if (total > b->nbits) /* each bucket costs at least a bit */
            b->err = 1;
    }
    return total;
}

enum ps_err
ps_tsdb_hist_timestamps(unsigned enc, const uint8_t *p, size_t n, int64_t *t,
                        size_t cap, size_t *got)
{
    *got = 0;
    if (n < 4)
        return PS_E_TRUNCATED;
    if (enc != PS_TSDB_ENC_HISTOGRAM && enc != PS_TSDB_ENC_FLOAT_HISTOGRAM)
        return PS_E_UNSUPPORTED;
    size_t total = (size_t)(p[0] << 8 | p[1]);
    if (total > cap)
        total = cap;
    struct br b = {p + 3, (n - 3) * 8, 0, 0};
    if (total == 0)
        return PS_OK;
    if (rd(&b, 8) == 255)
        (void)rd(&b, 64);
    int64_t schema = (int64_t)varbit(&b, 1);
    uint64_t nb = spans(&b);
    nb += spans(&b);
    if (schema == -53) {
        uint64_t nc = varbit(&b, 0);
        for (uint64_t i = 0; i < nc && !b.err; i++) {
            if (b.pos < b.nbits && ((p[3 + (b.pos >> 3)] >> (7 - (b.pos & 7))) & 1) == 0) {
                (void)rd(&b, 1);
                (void)rd(&b, 64);
            } else {
                (void)varbit(&b, 0);
            }
        }
    }
    if (b.err || nb > b.nbits)
        return PS_E_CORRUPT;
    /* float histograms keep a XOR window per field: count, zero, sum, buckets */
    size_t nwin = enc == PS_TSDB_ENC_FLOAT_HISTOGRAM ? 3 + (size_t)nb : 1;
    uint8_t *win = calloc(nwin * 2, 1);
    if (win == NULL)
        return PS_E_NOMEM;
    int64_t ts = 0, td = 0;
    size_t k = 0;
    for (; k < total && !b.err; k++) {
        int64_t x = (int64_t)varbit(&b, 1);
        if (k == 0) {
            ts = x;
        } else {
            td = k == 1 ? x : (int64_t)((uint64_t)td + (uint64_t)x);
            ts = (int64_t)((uint64_t)ts + (uint64_t)td);
        }
        if (enc == PS_TSDB_ENC_HISTOGRAM) {
            if (k == 0) {
                (void)varbit(&b, 0);
                (void)varbit(&b, 0);
                (void)rd(&b, 64);
            } else {
                (void)varbit(&b, 1);
                (void)varbit(&b, 1);
                xor_skip(&b, &win[0], &win[1]);
            }
            for (uint64_t i = 0; i < nb && !b.err; i++)
                (void)varbit(&b, 1);
        } else {
            for (size_t f = 0; f < nwin && !b.err; f++) {
                if (k == 0)
                    (void)rd(&b, 64);
                else
                    xor_skip(&b, &win[2 * f], &win[2 * f + 1]);
            }
        }
        if (!b.err)
            t[k] = ts;
    }
    free(win);
    if (b.err) {
        *got = k - 1;
        return PS_E_TRUNCATED;
    }
    *got = k;
    return PS_OK;
}
