/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_redact.c - every kind of secret the redactor knows is removed from
 * realistic lines (logfmt, YAML, JSON, flags, URLs, headers), and ordinary
 * text passes through unchanged.
 */
#include "test_util.h"

#include "promsight/ps_redact.h"

static void
check(const char *in, const char *secret, const char *want)
{
    char out[1024];
    struct ps_redact_stats st = {0};
    ps_redact_text(in, strlen(in), out, sizeof(out), &st);
    if (secret != NULL) {
        assert_null(strstr(out, secret));
        assert_true(ps_redact_total(&st) >= 1);
    } else {
        assert_int_equal(ps_redact_total(&st), 0);
    }
    if (want != NULL)
        assert_string_equal(out, want);
}

static void
test_redact_kinds(void **state)
{
    (void)state;
    check("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abc.def", "eyJhbGci",
          "Authorization: Bearer <redacted>");
    check("url=https://admin:hunter22@thanos-receive:19291/api/v1/receive",
          "hunter22",
          "url=https://<redacted>@thanos-receive:19291/api/v1/receive");
    check("  password: s3cr3t-pw", "s3cr3t-pw", "  password: <redacted>");
    check("    bearer_token: 'tok-123456789'", "tok-123456789",
          "    bearer_token: '<redacted>'");
    check("{\"client_secret\": \"abcdef0123\", \"x\": 1}", "abcdef0123",
          "{\"client_secret\": \"<redacted>\", \"x\": 1}");
    check("--web.admin-password=pw12345 --storage.tsdb.retention.time=15d",
          "pw12345", "--web.admin-password=<redacted> --storage.tsdb.retention.time=15d");
    check("GET /api?token=abc123xyz&x=1", "abc123xyz", "GET /api?token=<redacted>&x=1");
    check("level=error msg=\"auth failed\" secret_key=AKIAXYZ", "AKIAXYZ",
          "level=error msg=\"auth failed\" secret_key=<redacted>");
}

static void
test_redact_leaves_ordinary_text(void **state)
{
    (void)state;
    const char *lines[] = {
        "ts=2026-11-24T06:39:47.123Z caller=dedupe.go:112 level=warn "
        "component=remote msg=\"Failed to send batch, retrying\" "
        "err=\"Post \\\"http://thanos-receive.monitoring:19291/api/v1/write\\\": "
        "dial tcp 127.0.0.1:19291: connect: connection refused\"",
        "password_file: /etc/secrets/pw",
        "the basic idea is fine",
        "tokens_total 5",
    };
    for (size_t i = 0; i < sizeof(lines) / sizeof(*lines); i++)
        check(lines[i], NULL, lines[i]);
}

static void
test_redact_truncates_safely(void **state)
{
    (void)state;
    char out[8];
    size_t n = ps_redact_text("password=abcdefgh", 17, out, sizeof(out), NULL);
    assert_int_equal(n, 7);
    assert_int_equal(out[7], '\0');
    assert_null(strstr(out, "abcdefgh"));
    assert_true(ps_redact_is_secret_key("Client-Secret", 13));
    assert_false(ps_redact_is_secret_key("password_file", 13));
    assert_false(ps_redact_is_secret_key("job", 3));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redact_kinds),
        cmocka_unit_test(test_redact_leaves_ordinary_text),
        cmocka_unit_test(test_redact_truncates_safely),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
