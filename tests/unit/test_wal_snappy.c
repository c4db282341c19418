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

/* Both decoders on one block; they must agree. */
static void
agree(const uint8_t *c, size_t cn)
{
    size_t want = 0, mine = 0;
    snappy_status ls = snappy_uncompressed_length((const char *)c, cn, &want);
    size_t pre = wal_snappy_length(c, cn, &mine);
    if ((ls == SNAPPY_OK) != (pre != 0) || (pre != 0 && mine != want))
        fail_msg("length: libsnappy %d (%zu), wal_snappy_length %zu (%zu)",
                 (int)ls, want, pre, mine);
    if (ls != SNAPPY_OK || want > (1u << 20))
        return; /* the reader never calls the decoder then */
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

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_and_damage),
        cmocka_unit_test(test_preambles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
