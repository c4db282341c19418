/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_logs_text.c - text that leaves the log reader: invalid UTF-8 and
 * control bytes replaced, long lines cut with a marker, secrets redacted;
 * and the redaction fast path (ps_log_may_hold_secret) agreeing with
 * ps_redact_text: whenever it says "no secret", the redactor must indeed
 * leave the line unchanged.
 */
#include "test_util.h"

#include "logs/logs_int.h"
#include "promsight/ps_redact.h"

static void
test_clean(void **state)
{
    (void)state;
    size_t bad = 0;
    char *t = ps_log_clean_text("a\0b\xff" "c\xc3\xa9", 7, 100, &bad, NULL);
    assert_non_null(t);
    assert_int_equal(bad, 2);
    assert_string_equal(t, "a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\xc3\xa9");
    assert_true(ps_log_utf8_valid(t, strlen(t)));
    free(t);
    /* Overlong encoding and a lone surrogate are invalid. */
    assert_false(ps_log_utf8_valid("\xc0\xaf", 2));
    assert_false(ps_log_utf8_valid("\xed\xa0\x80", 3));
    assert_true(ps_log_utf8_valid("\xf0\x9f\x98\x80", 4));
    /* Cut, on a character boundary, with a marker. */
    t = ps_log_clean_text("abcdefgh\xc3\xa9xyz", 13, 9, NULL, NULL);
    assert_string_equal(t, "abcdefgh...[5 bytes cut]");
    free(t);
    /* Redacted. */
    const char *l = "url=https://user:hunter2@thanos:19291/api password=swordfish msg=x";
    struct ps_redact_stats st = {0, 0, 0};
    t = ps_log_clean_text(l, strlen(l), 4096, NULL, &st);
    assert_int_equal(st.url_auth, 1);
    assert_int_equal(st.key_value, 1);
    assert_null(strstr(t, "hunter2"));
    assert_null(strstr(t, "swordfish"));
    assert_non_null(strstr(t, PS_REDACTED));
    free(t);
}

/* Every position of a 40-byte line, every kind of odd byte: the fast
 * 8-byte scan must find it exactly like a byte loop would. */
static void
test_clean_every_position(void **state)
{
    (void)state;
    static const unsigned char odd[] = {0x7F, 0x1F, 0x00, 0x80, 0xFF, '\t'};
    for (size_t k = 0; k < sizeof(odd); k++) {
        for (size_t pos = 0; pos < 40; pos++) {
            char line[41];
            memset(line, 'x', 40);
            line[40] = 0;
            line[pos] = (char)odd[k];
            size_t bad = 99;
            char *t = ps_log_clean_text(line, 40, 100, &bad, NULL);
            assert_non_null(t);
            if (odd[k] == '\t') {
                assert_int_equal(bad, 0);
                assert_memory_equal(t, line, 40);
            } else {
                assert_int_equal(bad, 1);
                assert_int_equal(strlen(t), 42);
                assert_memory_equal(t + pos, "\xEF\xBF\xBD", 3);
            }
            free(t);
        }
    }
}

static void
agree(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(2 * n + 64);
    assert_non_null(out);
    size_t w = ps_redact_text(s, n, out, 2 * n + 64, NULL);
    int changed = w != n || memcmp(out, s, n) != 0;
    if (changed && !ps_log_may_hold_secret(s, n))
        fail_msg("redactor changed a line the fast path calls clean: %s", s);
    free(out);
}

static void
test_fast_path_agrees(void **state)
{
    (void)state;
    static const char *const lines[] = {
        "Authorization: Bearer abcdefghijklmnop",
        "authorization=\"Basic dXNlcjpwYXNzd29yZA==\"",
        "url=https://admin:s3cret@host/path",
        "password=hunter2 msg=x",
        "bearer_token=abcdef123456",
        "--client-secret=xyz",
        "{\"api_key\": \"k-123\"}",
        "x-api-key: 1234567890",
        "access.key=AKIA1234",
        "PRIVATE_KEY=-----BEGIN",
        "session_key=1",
        "credentials_json=\"{}\"",
        "TOKEN=abc",
        "passwd: hunter2",
        "msg=\"Failed to send batch, retrying\" err=\"connection refused\"",
        "ts=2026-11-24T06:34:45.179Z caller=main.go:185 level=info msg=x",
    };
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
        agree(lines[i]);
    /* Every line of the real corpus logs too. */
    const char *files[] = {"corpus/lab-2026-11-24/prometheus-agent-0/prometheus.log",
                           "corpus/lab-2026-11-24/thanos-receive-0/prometheus.log",
                           "corpus/lab-2026-11-24/prometheus-0/prometheus.log",
                           "corpus/lab-2026-11-24/node-exporter/node-exporter.log"};
    for (size_t f = 0; f < 4; f++) {
        char path[1024];
        size_t n = 0;
        uint8_t *p = ps_test_read_file(ps_test_shared_path(path, sizeof(path), files[f]), &n);
        assert_non_null(p);
        char *line = malloc(n + 1);
        size_t s0 = 0;
        for (size_t i = 0; i <= n; i++) {
            if (i == n || p[i] == '\n') {
                memcpy(line, p + s0, i - s0);
                line[i - s0] = 0;
                agree(line);
                s0 = i + 1;
            }
        }
        free(line);
        free(p);
    }
    /* And the triggers themselves. */
    assert_true(ps_log_may_hold_secret("x@y", 3));
    assert_true(ps_log_may_hold_secret("PassWord", 8));
    assert_false(ps_log_may_hold_secret("level=info msg=ready", 20));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean),
        cmocka_unit_test(test_clean_every_position),
        cmocka_unit_test(test_fast_path_agrees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
