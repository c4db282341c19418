/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ps_dec.h - bounds-checked decoding of the primitive encodings Prometheus
 * uses on disk (tsdb/encoding): big-endian integers, Go unsigned LEB128
 * varints ("uvarint") and signed zigzag varints ("varint"), and
 * uvarint-length-prefixed strings.
 *
 * A struct ps_dec is a cursor over borrowed bytes [p, end). Every getter
 * checks the bytes left; on a short or malformed read it sets the sticky
 * `err` (PS_E_TRUNCATED or PS_E_CORRUPT) and returns 0, and every later
 * getter returns 0 too, so a decoder can read a whole structure and test
 * `err` once at the end (Prometheus' Decbuf works the same way).
 *
 * A uvarint longer than 10 bytes, or a 10th byte above 1, is PS_E_CORRUPT
 * (Go's binary.Uvarint overflow rule).
 */
#ifndef PS_DEC_H
#define PS_DEC_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "promsight/ps_err.h"

struct ps_dec {
    const uint8_t *p;     /* next byte; borrowed */
    const uint8_t *end;   /* one past the last byte */
    enum ps_err err;      /* PS_OK until the first failed read */
};

static inline void
ps_dec_init(struct ps_dec *d, const void *p, size_t n)
{
    d->p = (const uint8_t *)p;
    d->end = d->p + n;
    d->err = PS_OK;
}

static inline size_t
ps_dec_left(const struct ps_dec *d)
{
    return d->err != PS_OK ? 0 : (size_t)(d->end - d->p);
}

/* Returns 1 if n bytes are available, else sets err and returns 0. */
static inline int
ps_dec_need(struct ps_dec *d, size_t n)
{
    if (d->err != PS_OK)
        return 0;
    if ((size_t)(d->end - d->p) < n) {
        d->err = PS_E_TRUNCATED;
        return 0;
    }
    return 1;
}

static inline uint8_t
ps_dec_u8(struct ps_dec *d)
{
    if (!ps_dec_need(d, 1))
        return 0;
    return *d->p++;
}

static inline uint16_t
ps_get_be16(const uint8_t *b)
{
    return (uint16_t)((uint16_t)b[0] << 8 | b[1]);
}

static inline uint32_t
ps_get_be32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 |
           (uint32_t)b[3];
}

static inline uint64_t
ps_get_be64(const uint8_t *b)
{
    return (uint64_t)ps_get_be32(b) << 32 | ps_get_be32(b + 4);
}

static inline void
ps_put_be16(uint8_t *b, uint16_t v)
{
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
}

static inline void
ps_put_be32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 24);
    b[1] = (uint8_t)(v >> 16);
    b[2] = (uint8_t)(v >> 8);
    b[3] = (uint8_t)v;
}

static inline void
ps_put_be64(uint8_t *b, uint64_t v)
{
    ps_put_be32(b, (uint32_t)(v >> 32));
    ps_put_be32(b + 4, (uint32_t)v);
}

static inline uint16_t
ps_dec_be16(struct ps_dec *d)
{
    if (!ps_dec_need(d, 2))
        return 0;
    uint16_t v = ps_get_be16(d->p);
    d->p += 2;
    return v;
}

static inline uint32_t
ps_dec_be32(struct ps_dec *d)
{
    if (!ps_dec_need(d, 4))
        return 0;
    uint32_t v = ps_get_be32(d->p);
    d->p += 4;
    return v;
}

static inline uint64_t
ps_dec_be64(struct ps_dec *d)
{
    if (!ps_dec_need(d, 8))
        return 0;
    uint64_t v = ps_get_be64(d->p);
    d->p += 8;
    return v;
}

static inline double
ps_dec_f64(struct ps_dec *d)
{
    uint64_t bits = ps_dec_be64(d);
    double v;
    memcpy(&v, &bits, sizeof(v));
    return v;
}

/*
 * Decode a Go uvarint from [p, end). Returns the number of bytes used,
 * 0 if the input ended first, or -1 on overflow.
 */
static inline int
ps_uvarint(const uint8_t *p, const uint8_t *end, uint64_t *out)
{
    uint64_t x = 0;
    unsigned s = 0;
    for (int i = 0; i < 10; i++) {
        if (p + i >= end)
            return 0;
        uint8_t b = p[i];
        if (b < 0x80) {
            if (i == 9 && b > 1)
                return -1;
            *out = x | (uint64_t)b << s;
            return i + 1;
        }
        x |= (uint64_t)(b & 0x7f) << s;
        s += 7;
    }
    return -1;
}

static inline uint64_t
ps_dec_uvarint(struct ps_dec *d)
{
    if (d->err != PS_OK)
        return 0;
    uint64_t v = 0;
    int n = ps_uvarint(d->p, d->end, &v);
    if (n <= 0) {
        d->err = n == 0 ? PS_E_TRUNCATED : PS_E_CORRUPT;
        return 0;
    }
    d->p += n;
    return v;
}

/* Go signed varint: zigzag-decoded uvarint. */
static inline int64_t
ps_dec_varint(struct ps_dec *d)
{
    uint64_t u = ps_dec_uvarint(d);
    int64_t x = (int64_t)(u >> 1);
    if (u & 1)
        x = ~x;
    return x;
}

/* Borrow n bytes; NULL (and err set) if fewer are left. */
static inline const uint8_t *
ps_dec_bytes(struct ps_dec *d, size_t n)
{
    if (!ps_dec_need(d, n))
        return NULL;
    const uint8_t *b = d->p;
    d->p += n;
    return b;
}

/* uvarint length then bytes; borrows. *n is 0 and NULL returned on error. */
static inline const char *
ps_dec_uvarint_str(struct ps_dec *d, size_t *n)
{
    uint64_t len = ps_dec_uvarint(d);
    *n = 0;
    if (d->err != PS_OK)
        return NULL;
    if (len > (uint64_t)(d->end - d->p)) {
        d->err = PS_E_TRUNCATED;
        return NULL;
    }
    *n = (size_t)len;
    return (const char *)ps_dec_bytes(d, (size_t)len);
}

/* Encoders, for test writers and re-encoding. Return bytes written. */
static inline int
ps_put_uvarint(uint8_t *b, uint64_t v)
{
    int i = 0;
    while (v >= 0x80) {
        b[i++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    b[i++] = (uint8_t)v;
    return i;
}

static inline int
ps_put_varint(uint8_t *b, int64_t v)
{
    uint64_t u = (uint64_t)v << 1;
    if (v < 0)
        u = ~u;
    return ps_put_uvarint(b, u);
}

#endif
