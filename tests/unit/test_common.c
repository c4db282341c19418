/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_common.c - CRC32C against published vectors, varint round trips and
 * Go's overflow rule, the sticky decoder, the u64 map, the interner, and
 * the time helpers.
 */
#include "test_util.h"

#include <math.h>

#include "promsight/ps_crc32c.h"
#include "promsight/ps_dec.h"
#include "promsight/ps_err.h"
#include "promsight/ps_util.h"

/* RFC 3720 (iSCSI) appendix B.4 test vectors, and the classic check value. */
static void
test_crc32c_vectors(void **state)
{
    (void)state;
    uint8_t buf[48];
    assert_int_equal(ps_crc32c("123456789", 9), 0xE3069283u);
    memset(buf, 0, 32);
    assert_int_equal(ps_crc32c(buf, 32), 0x8A9136AAu);
    memset(buf, 0xff, 32);
    assert_int_equal(ps_crc32c(buf, 32), 0x62A8AB43u);
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)i;
    assert_int_equal(ps_crc32c(buf, 32), 0x46DD794Eu);
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)(31 - i);
    assert_int_equal(ps_crc32c(buf, 32), 0x113FDB5Cu);
    assert_int_equal(ps_crc32c(NULL, 0), 0u);
}

/* Hardware and portable paths agree on every length and alignment. */
static void
test_crc32c_paths_agree(void **state)
{
    (void)state;
    uint8_t buf[300];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 7 + 3);
    for (size_t off = 0; off < 9; off++)
        for (size_t n = 0; n + off <= sizeof(buf); n += 13)
            assert_int_equal(ps_crc32c_update(0, buf + off, n),
                             ps_crc32c_portable(0, buf + off, n));
    /* incremental == one shot */
    uint32_t c = ps_crc32c_update(0, buf, 100);
    c = ps_crc32c_update(c, buf + 100, 200);
    assert_int_equal(c, ps_crc32c(buf, 300));
}

static void
test_varint_roundtrip(void **state)
{
    (void)state;
    const int64_t vals[] = {0, 1, -1, 63, -64, 64, 300, -300, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        uint8_t b[10];
        int n = ps_put_varint(b, vals[i]);
        struct ps_dec d;
        ps_dec_init(&d, b, (size_t)n);
        assert_true(ps_dec_varint(&d) == vals[i]);
        assert_int_equal(d.err, PS_OK);
        assert_int_equal(ps_dec_left(&d), 0);
    }
    uint8_t b[10];
    int n = ps_put_uvarint(b, UINT64_MAX);
    assert_int_equal(n, 10);
    struct ps_dec d;
    ps_dec_init(&d, b, 10);
    assert_true(ps_dec_uvarint(&d) == UINT64_MAX);
    /* zigzag: -1 encodes as 1, 1 as 2 (Go binary.PutVarint) */
    assert_int_equal(ps_put_varint(b, -1), 1);
    assert_int_equal(b[0], 1);
    ps_put_varint(b, 1);
    assert_int_equal(b[0], 2);
}

static void
test_varint_malformed(void **state)
{
    (void)state;
    /* 10th byte > 1 overflows in Go's binary.Uvarint */
    const uint8_t over[10] = {0xff, 0xff, 0xff, 0xff, 0xff,
                              0xff, 0xff, 0xff, 0xff, 0x02};
    struct ps_dec d;
    ps_dec_init(&d, over, sizeof(over));
    assert_int_equal(ps_dec_uvarint(&d), 0);
    assert_int_equal(d.err, PS_E_CORRUPT);
    /* 11 continuation bytes */
    const uint8_t longv[11] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                               0x80, 0x80, 0x80, 0x80, 0x00};
    ps_dec_init(&d, longv, sizeof(longv));
    ps_dec_uvarint(&d);
    assert_int_equal(d.err, PS_E_CORRUPT);
    /* input ends inside the varint */
    const uint8_t cut[2] = {0x80, 0x80};
    ps_dec_init(&d, cut, sizeof(cut));
    ps_dec_uvarint(&d);
    assert_int_equal(d.err, PS_E_TRUNCATED);
}

static void
test_dec_sticky(void **state)
{
    (void)state;
    const uint8_t b[] = {0x00, 0x01, 0x02, 0x03, 0x05, 'a', 'b'};
    struct ps_dec d;
    ps_dec_init(&d, b, sizeof(b));
    assert_int_equal(ps_dec_be32(&d), 0x00010203u);
    size_t n;
    /* length 5 but only 2 bytes left */
    assert_null(ps_dec_uvarint_str(&d, &n));
    assert_int_equal(d.err, PS_E_TRUNCATED);
    /* sticky: later reads return 0 even though bytes remain */
    assert_int_equal(ps_dec_u8(&d), 0);
    assert_int_equal(ps_dec_left(&d), 0);
}

static void
test_map64(void **state)
{
    (void)state;
    struct ps_map64 m = {0};
    for (uint64_t k = 0; k < 10000; k++)
        assert_int_equal(ps_map64_put(&m, k * 7919, k), PS_OK);
    assert_int_equal(m.n, 10000);
    for (uint64_t k = 0; k < 10000; k++) {
        uint64_t v;
        assert_true(ps_map64_get(&m, k * 7919, &v));
        assert_true(v == k);
    }
    uint64_t v;
    assert_false(ps_map64_get(&m, 3, &v));
    ps_map64_free(&m);
    ps_map64_free(&m);
}

static void
test_intern(void **state)
{
    (void)state;
    struct ps_intern in = {0};
    uint32_t a, b, c;
    assert_int_equal(ps_intern_get(&in, "job", 3, &a), PS_OK);
    assert_int_equal(ps_intern_get(&in, "instance", 8, &b), PS_OK);
    assert_int_equal(ps_intern_get(&in, "jobx", 3, &c), PS_OK);
    assert_int_equal(a, c);
    assert_int_not_equal(a, b);
    char name[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof(name), "pod-%d", i);
        assert_int_equal(ps_intern_get(&in, name, strlen(name), &c), PS_OK);
    }
    assert_string_equal(ps_intern_str(&in, b), "instance");
    assert_true(ps_intern_find(&in, "pod-4999", 8, &c));
    assert_string_equal(ps_intern_str(&in, c), "pod-4999");
    assert_false(ps_intern_find(&in, "pod-5000", 8, &c));
    ps_intern_free(&in);
}

static void
test_time(void **state)
{
    (void)state;
    char buf[64];
    ps_fmt_time_ms(1795502084000, buf, sizeof(buf));
    assert_string_equal(buf, "2026-11-24T06:34:44Z");
    ps_fmt_time_ms(1795502084123, buf, sizeof(buf));
    assert_string_equal(buf, "2026-11-24T06:34:44.123Z");
    ps_fmt_time_s(1795502084.1234, buf, sizeof(buf));
    assert_string_equal(buf, "2026-11-24T06:34:44.123Z");
    ps_fmt_time_s(1795502083.9996, buf, sizeof(buf)); /* rounds to the ms */
    assert_string_equal(buf, "2026-11-24T06:34:44Z");
    ps_fmt_time_s(NAN, buf, sizeof(buf));
    assert_string_equal(buf, "-");
    ps_fmt_time_s(1e16, buf, sizeof(buf));
    assert_string_equal(buf, "-");
    int64_t ms;
    assert_true(ps_parse_rfc3339_ms("2026-11-24T06:34:44.123Z", 24, &ms));
    assert_true(ms == 1795502084123);
    assert_true(ps_parse_rfc3339_ms("2026-11-24T15:34:44+09:00", 25, &ms));
    assert_true(ms == 1795502084000);
    assert_true(ps_parse_rfc3339_ms("2026-11-24T06:34:44.123456789Z", 30, &ms));
    assert_true(ms == 1795502084123);
    assert_false(ps_parse_rfc3339_ms("2026-13-24T06:34:44Z", 20, &ms));
    assert_false(ps_parse_rfc3339_ms("2026-11-24", 10, &ms));
    ps_fmt_duration_ms(7200000, buf, sizeof(buf));
    assert_string_equal(buf, "2h0m0s");
    ps_fmt_duration_ms(1500, buf, sizeof(buf));
    assert_string_equal(buf, "1.5s");
    ps_fmt_duration_ms(302000, buf, sizeof(buf));
    assert_string_equal(buf, "5m2s");
}

static void
test_quantile(void **state)
{
    (void)state;
    double v[] = {4, 1, 3, 2};
    ps_sort_doubles(v, 4);
    assert_true(ps_quantile_sorted(v, 4, 0.5) == 2.5);
    assert_true(ps_quantile_sorted(v, 4, 0) == 1);
    assert_true(ps_quantile_sorted(v, 4, 1) == 4);
    assert_true(isnan(ps_quantile_sorted(v, 0, 0.5)));
}

static void
test_diags(void **state)
{
    (void)state;
    struct ps_diags d;
    ps_diags_init(&d);
    ps_diag_add(&d, PS_SEV_ERROR, PS_E_CORRUPT, "wal/00000001", 32775, 0,
                "wal: fragment", "unexpected checksum %x, expected %x", 1u, 2u);
    ps_diag_add(&d, PS_SEV_WARN, PS_E_SYNTAX, "x.log", PS_OFF_NONE, 12, NULL,
                "bad line");
    char buf[256];
    ps_diag_format(&d.v[0], buf, sizeof(buf));
    assert_string_equal(buf, "wal/00000001:32775: error: unexpected checksum 1, "
                             "expected 2 (while wal: fragment)");
    ps_diag_format(&d.v[1], buf, sizeof(buf));
    assert_string_equal(buf, "x.log:12: warning: bad line");
    assert_int_equal(ps_diags_count(&d, PS_SEV_ERROR), 1);
    for (int i = 0; i < PS_DIAGS_MAX + 5; i++)
        ps_diag_add(&d, PS_SEV_NOTE, PS_OK, NULL, PS_OFF_NONE, 0, NULL, "n");
    assert_int_equal(d.n, PS_DIAGS_MAX);
    assert_int_equal(d.dropped, 7);
    ps_diags_free(&d);
}

/* The inventory JSON "status"/"code" values and the CLI size column. */
static void
test_err_names_and_bytes(void **state)
{
    (void)state;
    assert_string_equal(ps_err_name(PS_OK), "ok");
    assert_string_equal(ps_err_name(PS_E_LIMIT), "limit");
    assert_string_equal(ps_err_name(PS_E_UNSAFE), "unsafe");
    assert_string_equal(ps_err_name(PS_E_IO), "io");
    assert_string_equal(ps_err_name(PS_E_CORRUPT), "corrupt");
    assert_string_equal(ps_err_name((enum ps_err)999), "internal");
    /* every code has its own name, one short lowercase word */
    for (int a = 0; a < PS_E__COUNT; a++) {
        const char *na = ps_err_name((enum ps_err)a);
        assert_true(strlen(na) > 0 && strspn(na, "abcdefghijklmnopqrstuvwxyz") == strlen(na));
        for (int b = a + 1; b < PS_E__COUNT; b++)
            assert_string_not_equal(na, ps_err_name((enum ps_err)b));
    }
    char buf[32];
    assert_string_equal(ps_fmt_bytes(0, buf, sizeof(buf)), "0 B");
    assert_string_equal(ps_fmt_bytes(1023, buf, sizeof(buf)), "1023 B");
    assert_string_equal(ps_fmt_bytes(1024, buf, sizeof(buf)), "1.0 KiB");
    assert_string_equal(ps_fmt_bytes(12897485, buf, sizeof(buf)), "12.3 MiB");
    assert_string_equal(ps_fmt_bytes((uint64_t)3 << 30, buf, sizeof(buf)), "3.0 GiB");
    assert_string_equal(ps_fmt_bytes((uint64_t)2048 << 40, buf, sizeof(buf)), "2048.0 TiB");
    assert_string_equal(ps_fmt_bytes(UINT64_MAX, buf, sizeof(buf)), "16777216.0 TiB");
    assert_true(ps_fmt_bytes(1u << 20, buf, 4) == buf && strlen(buf) == 3);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32c_vectors),
        cmocka_unit_test(test_crc32c_paths_agree),
        cmocka_unit_test(test_varint_roundtrip),
        cmocka_unit_test(test_varint_malformed),
        cmocka_unit_test(test_dec_sticky),
        cmocka_unit_test(test_map64),
        cmocka_unit_test(test_intern),
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_quantile),
        cmocka_unit_test(test_diags),
        cmocka_unit_test(test_err_names_and_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
