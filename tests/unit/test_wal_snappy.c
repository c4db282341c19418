/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_wal_snappy.c - wal_snappy_decode against libsnappy, the reference:
 * blocks libsnappy compresses (WAL-like sample records, zeros, random
 * bytes, long literals, short repeating patterns) must decode to the
 * original; then every one of them damaged (a byte changed, truncated,
 * extended) must be accepted by wal_snappy_decode exactly when
 * snappy_uncompress accepts it, with the same bytes.
 */
#include "test_util.h"

#include <snappy-c.h>

#include "wal/wal_int.h"

static uint64_t rng = 0x243F6A8885A308D3ULL;

static uint32_t
next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

/* kind 0: sample-record-like; 1: zeros; 2: random; 3: periods 1..7 */
static size_t
make_input(uint8_t *p, size_t max, int kind)
{
    size_t n = next() % max;
    for (size_t i = 0; i < n; i++) {
        switch (kind) {
        case 0: p[i] = (i % 11) < 3 ? (uint8_t)(next() & 0x7f)
                       : (i % 11) == 3 ? 0x40 : (i % 11) == 4 ? (uint8_t)(i >> 4) : 0;
            break;
        case 1: p[i] = 0; break;
        case 2: p[i] = (uint8_t)next(); break;
        default: p[i] = (uint8_t)(i % (1 + kind % 7)); break;
        }
    }
    return n;
}

/* Both decoders on one block; they must agree. 1 when both decoded it. */
static int
agree(const uint8_t *c, size_t cn)
{
    size_t want = 0, mine = 0;
    snappy_status ls = snappy_uncompressed_length((const char *)c, cn, &want);
    size_t pre = wal_snappy_length(c, cn, &mine);
    if ((ls == SNAPPY_OK) != (pre != 0) || (pre != 0 && mine != want))
        fail_msg("length: libsnappy %d (%zu), wal_snappy_length %zu (%zu)",
                 (int)ls, want, pre, mine);
    if (ls != SNAPPY_OK || want > (1u << 20))
        return 0; /* the reader never calls the decoder then */
    char *ref = malloc(want + 1);
    uint8_t *got = malloc(want + WAL_SNAPPY_SLACK);
    assert_non_null(ref);
    assert_non_null(got);
    size_t rn = want;
    ls = snappy_uncompress((const char *)c, cn, ref, &rn);
    int rc = wal_snappy_decode(c, cn, got, want);
    if ((ls == SNAPPY_OK) != (rc == 0))
        fail_msg("libsnappy %d, wal_snappy_decode %d (block of %zu)", (int)ls, rc, cn);
    if (rc == 0) {
        assert_int_equal(rn, want);
        assert_memory_equal(got, ref, want);
    }
    free(ref);
    free(got);
    return rc == 0;
}

static void
test_roundtrip_and_damage(void **state)
{
    (void)state;
    enum { MAX = 70000 };
    uint8_t *in = malloc(MAX);
    size_t cmax = snappy_max_compressed_length(MAX);
    char *c = malloc(cmax + 8);
    uint8_t *out = malloc(MAX + WAL_SNAPPY_SLACK);
    assert_non_null(in);
    assert_non_null(c);
    assert_non_null(out);
    for (int round = 0; round < 400; round++) {
        size_t n = make_input(in, round < 40 ? 64 : MAX, round % 10);
        size_t cn = cmax;
        assert_int_equal(snappy_compress((const char *)in, n, c, &cn), SNAPPY_OK);
        assert_int_equal(wal_snappy_decode((const uint8_t *)c, cn, out, n), 0);
        assert_memory_equal(out, in, n);
        /* wrong stated length */
        assert_int_equal(wal_snappy_decode((const uint8_t *)c, cn, out, n + 1), -1);
        /* damaged copies */
        for (int k = 0; k < 8 && cn > 0; k++) {
            size_t at = next() % cn;
            uint8_t save = (uint8_t)c[at];
            c[at] = (char)(uint8_t)next();
            agree((const uint8_t *)c, cn);
            c[at] = (char)save;
        }
        agree((const uint8_t *)c, cn > 0 ? cn - 1 - next() % (cn < 8 ? cn : 8) : 0);
        c[cn] = 0;
        agree((const uint8_t *)c, cn + 1);
    }
    free(in);
    free(c);
    free(out);
}

/* Every preamble shape: 1..6 bytes, continuation bits, the fifth byte
 * around 16 (libsnappy's 32-bit limit), cut short; the length function
 * must agree with snappy_uncompressed_length on each (agree() checks). */
static void
test_preambles(void **state)
{
    (void)state;
    static const uint8_t fifth[] = {0x00, 0x01, 0x0f, 0x10, 0x11, 0x7f, 0x80, 0x8f, 0xff};
    for (size_t len = 0; len <= 6; len++) {
        for (size_t f = 0; f < sizeof(fifth); f++) {
            for (unsigned cont = 0; cont < 64; cont++) {
                uint8_t b[8] = {0};
                for (size_t i = 0; i < len; i++)
                    b[i] = (uint8_t)(((cont >> i) & 1) ? 0x80 | (i * 37) : (i * 37) & 0x7f);
                if (len >= 5)
                    b[4] = fifth[f];
                agree(b, len);
            }
        }
    }
    /* the largest length libsnappy accepts, and one past it */
    const uint8_t max[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
    const uint8_t over[] = {0x80, 0x80, 0x80, 0x80, 0x10};
    size_t v = 0;
    assert_int_equal(wal_snappy_length(max, sizeof(max), &v), 5);
    assert_true(v == UINT32_MAX);
    assert_int_equal(wal_snappy_length(over, sizeof(over), &v), 0);
}

/* Append one element to a hand-built block (format: wal_snappy.c). */
static size_t
put_literal(uint8_t *b, size_t n, size_t len)
{
    if (len <= 60) {
        b[n++] = (uint8_t)((len - 1) << 2);
    } else {
        b[n++] = 60 << 2; /* one length byte follows */
        b[n++] = (uint8_t)(len - 1);
    }
    for (size_t i = 0; i < len; i++)
        b[n++] = (uint8_t)next();
    return n;
}

static size_t
put_copy(uint8_t *b, size_t n, int kind, size_t len, size_t off)
{
    if (kind == 1) { /* len 4..11, off < 2048 */
        b[n++] = (uint8_t)(1 | (len - 4) << 2 | (off >> 8) << 5);
        b[n++] = (uint8_t)off;
    } else if (kind == 2) { /* len 1..64, off < 65536 */
        b[n++] = (uint8_t)(2 | (len - 1) << 2);
        b[n++] = (uint8_t)off;
        b[n++] = (uint8_t)(off >> 8);
    } else { /* len 1..64, 4-byte off */
        b[n++] = (uint8_t)(3 | (len - 1) << 2);
        for (int i = 0; i < 4; i++)
            b[n++] = (uint8_t)(off >> (8 * i));
    }
    return n;
}

/*
 * Hand-built blocks that libsnappy's compressor never writes but a
 * damaged or hostile WAL can hold: long runs of the elements the decoder
 * takes in its unrolled loop (one-byte literals, a one-byte literal then
 * a one-byte-offset copy, copies with one- and two-byte offsets of up to
 * 16 bytes), with offsets at the edges of its fast paths (15 and 16 bytes
 * back, exactly as far back as the output goes, one byte further) and
 * lengths at its limits, mixed with long literals and 4-byte offsets.
 * Both decoders must agree on every block, whole and cut short.
 */
static void
test_crafted_elements(void **state)
{
    (void)state;
    enum { CAP = 8192 };
    int valid = 0;
    uint8_t *b = malloc(CAP + 16);
    assert_non_null(b);
    for (int round = 0; round < 3000; round++) {
        size_t n = 5, out = 0; /* room for the preamble */
        uint8_t body[CAP];
        size_t bn = 0;
        int elems = 8 + (int)(next() % 300);
        int bad_at = next() % 4 == 0 ? (int)(next() % (unsigned)elems) : -1;
        for (int e = 0; e < elems && bn < CAP - 80; e++) {
            unsigned pick = next() % 16;
            size_t len, off;
            if (pick < 5 || out == 0) {
                len = pick == 0 ? 2 + next() % 70 : 1;
                bn = put_literal(body, bn, len);
                out += len;
                continue;
            }
            int kind = pick < 11 ? 1 : pick < 15 ? 2 : 3;
            len = kind == 1 ? 4 + next() % 8 : 1 + next() % (next() % 4 == 0 ? 64 : 16);
            /* one block in four has one offset one byte before the
             * output's start; the others decode, so outputs are compared */
            unsigned r = next() % 100;
            off = e == bad_at ? out + 1 : r < 12 ? 15 : r < 24 ? 16
                  : r < 30 ? out : r < 40 ? 1 + next() % 8
                  : 1 + next() % (out < 2047 ? out : 2047);
            if (off > out && e != bad_at)
                off = out;
            if (kind == 1 && off > 2047)
                off = 2047;
            bn = put_copy(body, bn, kind, len, off);
            out += len;
        }
        /* preamble: the uncompressed length, then the elements */
        size_t k = 0;
        uint8_t pre[5];
        size_t v = out;
        do {
            pre[k++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
            v >>= 7;
        } while (v > 0);
        n = 0;
        memcpy(b, pre, k);
        n = k;
        memcpy(b + n, body, bn);
        n += bn;
        valid += agree(b, n);
        agree(b, n - 1 - next() % 4);
    }
    assert_true(valid > 1500); /* most blocks decode: outputs compared */
    free(b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_and_damage),
        cmocka_unit_test(test_preambles),
        cmocka_unit_test(test_crafted_elements),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
