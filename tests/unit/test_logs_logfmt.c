/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_logs_logfmt.c - the logfmt tokenizer: unordered pairs, quoting and
 * escapes, repeated keys, bare words, unterminated quotes, and the writer
 * round trip.
 */
#include "test_util.h"

#include "logs/logs_int.h"

static void
pair_is(const struct ps_logfmt_pair *p, const char *k, const char *v)
{
    assert_int_equal(p->kn, strlen(k));
    assert_memory_equal(p->k, k, p->kn);
    char buf[256];
    size_t n = p->quoted ? ps_logfmt_unquote(p->v, p->vn, buf, sizeof(buf))
                         : p->vn;
    if (!p->quoted)
        memcpy(buf, p->v, n);
    assert_int_equal(n, strlen(v));
    assert_memory_equal(buf, v, n);
}

static void
test_thanos_line(void **state)
{
    (void)state;
    const char *l = "ts=2026-11-24T07:01:00.1Z caller=writer.go:178 level=warn "
                    "component=receive component=receive-writer tenant=team-a "
                    "msg=\"Error on ingesting out-of-order samples\" numDropped=12";
    struct ps_logfmt_pair p[16];
    int unterminated = -1;
    size_t n = ps_logfmt_parse(l, strlen(l), p, 16, &unterminated);
    assert_int_equal(n, 8);
    assert_int_equal(unterminated, 0);
    pair_is(&p[0], "ts", "2026-11-24T07:01:00.1Z");
    pair_is(&p[6], "msg", "Error on ingesting out-of-order samples");
    pair_is(&p[7], "numDropped", "12");
    /* Repeated key: the last occurrence wins. */
    const struct ps_logfmt_pair *c = ps_logfmt_find(p, n, "component");
    assert_non_null(c);
    pair_is(c, "component", "receive-writer");
    assert_null(ps_logfmt_find(p, n, "missing"));
}

static void
test_escapes(void **state)
{
    (void)state;
    const char *l = "msg=\"Failed to send batch, retrying\" err=\"Post \\\"http://r:1/w\\\": "
                    "x=y \\\\ end\" bare k=";
    struct ps_logfmt_pair p[8];
    size_t n = ps_logfmt_parse(l, strlen(l), p, 8, NULL);
    assert_int_equal(n, 4);
    pair_is(&p[1], "err", "Post \"http://r:1/w\": x=y \\ end");
    pair_is(&p[2], "bare", "");
    pair_is(&p[3], "k", "");
}

static void
test_unterminated(void **state)
{
    (void)state;
    const char *l = "level=warn msg=\"never closed \\\" still inside";
    struct ps_logfmt_pair p[8];
    int unterminated = 0;
    size_t n = ps_logfmt_parse(l, strlen(l), p, 8, &unterminated);
    assert_int_equal(n, 2);
    assert_int_equal(unterminated, 1);
    pair_is(&p[1], "msg", "never closed \" still inside");
}

static void
test_cap(void **state)
{
    (void)state;
    const char *l = "a=1 b=2 c=3 d=4 e=5";
    struct ps_logfmt_pair p[2];
    memset(p, 0, sizeof(p));
    assert_int_equal(ps_logfmt_parse(l, strlen(l), p, 2, NULL), 5);
    pair_is(&p[1], "b", "2");
}

static void
test_round_trip(void **state)
{
    (void)state;
    const char *vals[] = {"plain", "two words", "has \"quotes\"", "a=b",
                          "back\\slash", "new\nline\ttab", ""};
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        struct ps_buf b = {0};
        assert_int_equal(ps_buf_append(&b, "k=", 2), PS_OK);
        assert_int_equal(ps_logfmt_put_value(&b, vals[i], strlen(vals[i])), PS_OK);
        assert_int_equal(ps_buf_append(&b, " z=1", 4), PS_OK);
        struct ps_logfmt_pair p[4];
        size_t n = ps_logfmt_parse((const char *)b.p, b.n, p, 4, NULL);
        assert_int_equal(n, 2);
        pair_is(&p[0], "k", vals[i]);
        pair_is(&p[1], "z", "1");
        ps_buf_free(&b);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thanos_line),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_unterminated),
        cmocka_unit_test(test_cap),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
