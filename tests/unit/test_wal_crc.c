/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_wal_crc.c - wal_crc32c, each of its two ways (folding with AVX-512
 * carry-less products; three interleaved SSE4.2 chains joined with shift
 * tables; src/wal/wal_crc.c), against the independent table-driven
 * ps_crc32c_portable and the RFC 3720 check value, at every length around
 * the round and step sizes (3 x 512, 256 bytes), up to a full 32761-byte
 * fragment, and at odd start addresses. A way this CPU lacks is reported
 * as skipped, not passed.
 */
#include "test_util.h"

#include "promsight/ps_crc32c.h"
#include "wal/wal_int.h"

static void
test_check_value(void **state)
{
    (void)state;
    /* RFC 3720 B.4 / the usual CRC-32C check value */
    assert_int_equal(wal_crc32c("123456789", 9), 0xE3069283u);
    assert_int_equal(wal_crc32c("", 0), 0);
}

static void
test_lengths_match_portable(void **state)
{
    (void)state;
    enum { MAX = 32761 + 64 };
    uint8_t *buf = malloc(MAX + 8);
    assert_non_null(buf);
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (size_t i = 0; i < MAX + 8; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = (uint8_t)x;
    }
    /* every length up to 4 rounds plus the tail cases, then a sweep to
     * the largest fragment, each at four alignments */
    for (size_t n = 0; n <= MAX; n += n < 4 * 1536 + 16 ? 1 : 97) {
        for (size_t a = 0; a < 4; a++) {
            uint32_t want = ps_crc32c_portable(0, buf + a, n);
            if (wal_crc32c(buf + a, n) != want)
                fail_msg("length %zu, offset %zu", n, a);
            for (int way = WAL_CRC_CHAINS; way <= WAL_CRC_FOLD; way++)
                if (wal_crc32c_by(way, buf + a, n) != want)
                    fail_msg("way %d, length %zu, offset %zu", way, n, a);
        }
    }
    assert_int_equal(wal_crc32c(buf, 32761), ps_crc32c_portable(0, buf, 32761));
    free(buf);
}

/* A fragment of all-ones bytes, zeros and a single set bit at each
 * position of a 512-byte buffer: the folding constants show through
 * there rather than being hidden by random data. */
static void
test_sparse_inputs(void **state)
{
    (void)state;
    uint8_t buf[2048];
    memset(buf, 0xff, sizeof(buf));
    for (int way = WAL_CRC_CHAINS; way <= WAL_CRC_FOLD; way++) {
        assert_int_equal(wal_crc32c_by(way, buf, sizeof(buf)),
                         ps_crc32c_portable(0, buf, sizeof(buf)));
    }
    for (size_t bit = 0; bit < 8 * 1600; bit += 7) {
        memset(buf, 0, sizeof(buf));
        buf[bit / 8] = (uint8_t)(1u << (bit % 8));
        uint32_t want = ps_crc32c_portable(0, buf, 1600);
        for (int way = WAL_CRC_CHAINS; way <= WAL_CRC_FOLD; way++)
            if (wal_crc32c_by(way, buf, 1600) != want)
                fail_msg("way %d, bit %zu", way, bit);
    }
}

static void
test_ways_available(void **state)
{
    (void)state;
    if (!wal_crc32c_can(WAL_CRC_FOLD))
        skip(); /* no AVX-512 + VPCLMULQDQ here: folding not exercised */
    assert_true(wal_crc32c_can(WAL_CRC_CHAINS));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_value),
        cmocka_unit_test(test_lengths_match_portable),
        cmocka_unit_test(test_sparse_inputs),
        cmocka_unit_test(test_ways_available),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
