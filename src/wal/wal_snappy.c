/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * wal_snappy.c - decoder for snappy raw blocks (the compression of WAL
 * records), accepting exactly the inputs libsnappy's snappy_uncompress
 * accepts and producing the same bytes; test_wal_snappy.c checks both
 * against libsnappy, on valid and on damaged blocks.
 *
 * Why not libsnappy: WAL sample records are mostly short literals and
 * short copies (varint deltas and 8-byte floats), where libsnappy 1.1.9
 * calls memmove for many elements; with a few bytes of slack after the
 * output this decoder copies 16 bytes unconditionally for every element
 * of up to 16 bytes instead, and it tests for the commonest elements
 * first, in an order that keeps the input position off the critical path
 * (see the loop). On the remote-write bench WAL it is the
 * largest single cost of a read (docs/format-wal.md, Benchmark).
 *
 * Block layout (github.com/google/snappy format_description.txt):
 *
 *   uvarint  uncompressed length (at most 5 bytes, at most 2^32-1)
 *   element* until the input ends; the tag byte's low 2 bits say which:
 *     00 literal: len-1 = tag>>2 if < 60, else the next (tag>>2)-59
 *        bytes little-endian; then len bytes copied to the output
 *     01 copy, len 4 + ((tag>>2)&7), offset ((tag>>5)<<8) | next byte
 *     10 copy, len 1 + (tag>>2), offset = next 2 bytes little-endian
 *     11 copy, len 1 + (tag>>2), offset = next 4 bytes little-endian
 *   A copy repeats len bytes starting offset bytes back in the output
 *   (it may overlap what it writes); offset 0 or beyond the start is an
 *   error, as is any element that runs past the input or the output, and
 *   an output shorter than the stated length.
 */
#include "wal_int.h"

#include <string.h>

static inline uint32_t
le_n(const uint8_t *p, unsigned k)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < k; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

/* One element of the kinds samples records are made of - a literal of
 * 1..16 bytes, a copy of up to 16 bytes from 16..65535 bytes back (one- or
 * two-byte offset), or the commonest pair, a one-byte literal followed
 * by a one-byte-offset copy - the caller having made sure that 17 input
 * bytes can be read and 17 output bytes written (the output advances by
 * at most 16); 0 (nothing done) for any other element. */
static inline int
fast_element(const uint8_t **ipp, uint8_t **opp, const uint8_t *dst)
{
    const uint8_t *ip = *ipp;
    uint8_t *op = *opp;
    uint8_t t = *ip;
    if (t == 0 && (ip[2] & 3) == 1) {
        /* a one-byte literal, then a copy with a one-byte offset: the
         * commonest pair in samples records (a ref's low byte changes,
         * the rest of the sample repeats an earlier one) */
        uint8_t t2 = ip[2];
        size_t o = ((size_t)(t2 >> 5) << 8) | ip[3];
        if (o < 16 || o > (size_t)(op + 1 - dst))
            return 0;
        *op = ip[1];
        memcpy(op + 1, op + 1 - o, 16);
        *opp = op + 5 + ((t2 >> 2) & 7);
        *ipp = ip + 4;
    } else if ((t & 3) == 1) {
        size_t o = ((size_t)(t >> 5) << 8) | ip[1];
        if (o < 16 || o > (size_t)(op - dst))
            return 0;
        memcpy(op, op - o, 16);
        *opp = op + 4 + ((t >> 2) & 7);
        *ipp = ip + 2;
    } else if (t == 0) {
        *op = ip[1];
        *opp = op + 1;
        *ipp = ip + 2;
    } else if ((t & 3) == 0 && t < (16 << 2)) {
        size_t l = (size_t)(t >> 2) + 1;
        memcpy(op, ip + 1, 16);
        *opp = op + l;
        *ipp = ip + 1 + l;
    } else if ((t & 3) == 2 && t < (16 << 2)) {
        size_t o = (size_t)ip[1] | (size_t)ip[2] << 8;
        if (o < 16 || o > (size_t)(op - dst))
            return 0;
        memcpy(op, op - o, 16);
        *opp = op + 1 + (t >> 2);
        *ipp = ip + 3;
    } else {
        return 0;
    }
    return 1;
}

/* See wal_int.h. libsnappy's Varint::Parse32WithLimit: the fifth byte
 * must be below 16, so the length fits in 32 bits. */
size_t
wal_snappy_length(const uint8_t *src, size_t n, size_t *out)
{
    uint32_t v = 0;
    for (size_t i = 0; i < 5 && i < n; i++) {
        uint8_t b = src[i];
        if (i == 4 && b >= 16)
            return 0;
        v |= (uint32_t)(b & 0x7f) << (7 * i);
        if (b < 0x80) {
            *out = v;
            return i + 1;
        }
    }
    return 0;
}

int
wal_snappy_decode(const uint8_t *ip, size_t n, uint8_t *dst, size_t out)
{
    const uint8_t *end = ip + n;
    size_t stated, pre = wal_snappy_length(ip, n, &stated);
    if (pre == 0 || stated != out)
        return -1;
    ip += pre;
    uint8_t *op = dst;
    uint8_t *const oend = dst + out;
    for (;;) {
        /* While eight elements of the fast kinds below (at most 17 input
         * bytes each, the output advancing by at most 16 and written at
         * most 17 bytes ahead, which the slack covers) surely fit, they
         * are decoded eight at a time without bounds tests: an unknown
         * kind, or a copy from less than 16 bytes back or from before the
         * output, leaves for the general code below, which also handles
         * the input's last bytes. (19% less time than testing bounds per
         * element, measured on the remote-write bench WAL; 2 at a time
         * 10%, 4 15%. The pair and the two-byte offsets: 3% less CPU for
         * a whole read, which left the loop at every such copy before.) */
        while (end - ip >= 8 * 17 && oend - op >= 8 * 16) {
#pragma GCC unroll 8
            for (int k = 0; k < 8; k++)
                if (!fast_element(&ip, &op, dst))
                    goto one;
        }
    one:
        if (ip >= end)
            break;
        uint8_t tag = *ip++;
        size_t len, off;
        /* The commonest elements of WAL records first (on the
         * remote-write bench WAL 56% 1-byte-offset copies of 4..11 bytes,
         * 34% one-byte literals, 3% other short literals). Decoding is
         * bound by the chain "input position -> next tag -> input
         * position"; in these fast paths the input advances by a constant
         * (1 after a copy's offset byte, 1 after a one-byte literal), so
         * the next tag's load depends only on a predicted branch, not on
         * this tag's value (20% less time than one literal path for all
         * lengths, measured on that WAL). */
        if ((tag & 3) == 1 && ip < end) {
            len = 4 + ((tag >> 2) & 7);
            off = ((size_t)(tag >> 5) << 8) | *ip;
            if (off >= 16 && off <= (size_t)(op - dst) &&
                len <= (size_t)(oend - op)) {
                memcpy(op, op - off, 16);
                op += len;
                ip++;
                continue;
            }
        } else if (tag == 0) { /* a literal of one byte */
            if (ip < end && op < oend) {
                *op++ = *ip++;
                continue;
            }
        } else if ((tag & 3) == 0 && tag < (16 << 2)) {
            len = (size_t)(tag >> 2) + 1;
            if (end - ip >= 16 && len <= (size_t)(oend - op)) {
                memcpy(op, ip, 16);
                op += len;
                ip += len;
                continue;
            }
        }
        switch (tag & 3) {
        case 0: {
            uint64_t l64 = tag >> 2;
            if (l64 >= 60) {
                unsigned k = (unsigned)l64 - 59;
                if ((size_t)(end - ip) < k)
                    return -1;
                l64 = le_n(ip, k);
                ip += k;
            }
            l64 += 1; /* up to 2^32: 64 bits, so no wrap on any size_t */
            if ((uint64_t)(end - ip) < l64 || (uint64_t)(oend - op) < l64)
                return -1;
            len = (size_t)l64;
            /* op + 16 <= oend + 15 < the slack's end */
            if (len <= 16 && end - ip >= 16)
                memcpy(op, ip, 16);
            else
                memcpy(op, ip, len);
            op += len;
            ip += len;
            continue;
        }
        case 1:
            if (ip == end)
                return -1;
            len = 4 + ((tag >> 2) & 7);
            off = ((size_t)(tag >> 5) << 8) | *ip++;
            break;
        case 2:
            if (end - ip < 2)
                return -1;
            len = 1 + (tag >> 2);
            off = le_n(ip, 2);
            ip += 2;
            break;
        default:
            if (end - ip < 4)
                return -1;
            len = 1 + (tag >> 2);
            off = le_n(ip, 4);
            ip += 4;
            break;
        }
        if (off == 0 || off > (size_t)(op - dst) || len > (size_t)(oend - op))
            return -1;
        const uint8_t *src = op - off;
        if (off >= 16 && len <= 16) {
            memcpy(op, src, 16); /* src + 16 <= op: no overlap */
        } else if (off >= 8) {
            /* 8-byte steps never overlap; the last may run into slack */
            for (size_t i = 0; i < len; i += 8)
                memcpy(op + i, src + i, 8);
        } else {
            for (size_t i = 0; i < len; i++) /* a short repeating pattern */
                op[i] = src[i];
        }
        op += len;
    }
    return op == oend ? 0 : -1;
}
