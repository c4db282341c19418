/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_logs_line.c - line framing and bodies: RFC 3339 times with 0-9
 * fraction digits and offsets (checked against libc timegm), CRI and
 * kubectl prefixes, per-file shape detection, and the time, level and
 * format of logfmt (2.x, 3.x slog, Thanos), JSON, klog and plain bodies.
 */
#include <time.h>

#include "test_util.h"

#include "logs/logs_int.h"

/* Independent oracle: UTC ms from civil fields via timegm. */
static int64_t
utc_ms(int y, int mo, int d, int h, int mi, int s, int ms)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return (int64_t)timegm(&tm) * 1000 + ms;
}

static void
test_time_tokens(void **state)
{
    (void)state;
    int64_t t;
    const char *s = "2026-11-24T06:34:45.1Z stdout F x";
    assert_int_equal(ps_log_time_token(s, strlen(s), &t), 22);
    assert_int_equal(t, utc_ms(2026, 11, 24, 6, 34, 45, 100));
    s = "2026-11-24T06:34:45Z rest";
    assert_int_equal(ps_log_time_token(s, strlen(s), &t), 20);
    assert_int_equal(t, utc_ms(2026, 11, 24, 6, 34, 45, 0));
    s = "2026-11-24T06:34:45.123456789Z";
    assert_int_equal(ps_log_time_token(s, strlen(s), &t), strlen(s));
    assert_int_equal(t, utc_ms(2026, 11, 24, 6, 34, 45, 123));
    /* CRI-O: 9 digits and a local offset. */
    s = "2026-11-24T15:34:45.987654321+09:00 stderr F y";
    assert_int_equal(ps_log_time_token(s, strlen(s), &t), 35);
    assert_int_equal(t, utc_ms(2026, 11, 24, 6, 34, 45, 987));
    s = "2026-11-23T20:00:00.5-05:00";
    assert_int_equal(ps_log_time_token(s, strlen(s), &t), strlen(s));
    assert_int_equal(t, utc_ms(2026, 11, 24, 1, 0, 0, 500));
    assert_int_equal(ps_log_time_token("ts=2026-11-24T06:34:45Z", 23, &t), 0);
    assert_int_equal(ps_log_time_token("2026-13-24T06:34:45Z x", 22, &t), 0);
}

static void
test_cri(void **state)
{
    (void)state;
    int64_t t;
    int partial;
    const char *m;
    size_t mn;
    const char *s = "2016-10-06T00:17:09.669794202Z stdout P log content 1";
    assert_true(ps_log_parse_cri(s, strlen(s), &t, &partial, &m, &mn));
    assert_int_equal(partial, 1);
    assert_int_equal(mn, strlen("log content 1"));
    assert_memory_equal(m, "log content 1", mn);
    assert_int_equal(t, utc_ms(2016, 10, 6, 0, 17, 9, 669));
    s = "2016-10-06T00:17:09Z stderr F:x full";
    assert_true(ps_log_parse_cri(s, strlen(s), &t, &partial, &m, &mn));
    assert_int_equal(partial, 0);
    assert_memory_equal(m, "full", mn);
    s = "2016-10-06T00:17:09Z stdout F";   /* empty message */
    assert_true(ps_log_parse_cri(s, strlen(s), &t, &partial, &m, &mn));
    assert_int_equal(mn, 0);
    s = "2016-10-06T00:17:09Z stdin F x";
    assert_false(ps_log_parse_cri(s, strlen(s), &t, &partial, &m, &mn));
    s = "2016-10-06T00:17:09Z stdout X x";
    assert_false(ps_log_parse_cri(s, strlen(s), &t, &partial, &m, &mn));
    /* kubectl --timestamps */
    s = "2023-10-20T12:34:56.789012345Z ts=2023-10-20T12:34:56.789Z level=warn";
    assert_true(ps_log_parse_kubectl(s, strlen(s), &t, &m, &mn));
    assert_int_equal(t, utc_ms(2023, 10, 20, 12, 34, 56, 789));
    assert_memory_equal(m, "ts=", 3);
}

static void
test_shapes(void **state)
{
    (void)state;
    static const struct {
        const char *line;
        enum ps_log_shape shape;
    } cases[] = {
        {"ts=2026-11-24T06:34:45.179Z caller=main.go:185 level=info msg=x", PS_LSHAPE_BARE},
        {"2026-11-24T06:34:45.1Z stdout F ts=1 level=info", PS_LSHAPE_CRI},
        {"2026-11-24T06:34:45.123456789+09:00 stderr P part", PS_LSHAPE_CRI},
        {"2026-11-24T06:34:45.123456789Z level=info msg=x", PS_LSHAPE_KUBECTL_TS},
        {"{\"log\":\"x\\n\",\"stream\":\"stderr\",\"time\":\"2026-11-24T06:34:45Z\"}", PS_LSHAPE_DOCKER_JSON},
        {"{\"@timestamp\":\"2026-11-24T06:34:45Z\",\"log\":\"x\"}", PS_LSHAPE_ES_NDJSON},
        {"{\"_index\":\"i\",\"_source\":{\"log\":\"x\"}}", PS_LSHAPE_ES_NDJSON},
        {"{", PS_LSHAPE_ES_HITS},
        {"{\"took\":1,\"hits\":{\"hits\":[]}}", PS_LSHAPE_ES_HITS},
        {"{\"caller\":\"main.go:1\",\"level\":\"info\",\"msg\":\"m\",\"ts\":\"2026-11-24T06:34:45Z\"}", PS_LSHAPE_BARE},
        {"I1124 06:34:45.123456 1 main.go:1] hi", PS_LSHAPE_BARE},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum ps_log_shape got = ps_log_detect_shape(cases[i].line, strlen(cases[i].line));
        if (got != cases[i].shape)
            fail_msg("case %zu: got %s want %s", i, ps_log_shape_name(got),
                     ps_log_shape_name(cases[i].shape));
    }
    assert_int_equal(ps_log_detect_shape("", 0), PS_LSHAPE_EMPTY);
}

static void
test_bodies(void **state)
{
    (void)state;
    struct ps_buf scratch = {0};
    struct ps_log_body b;
    /* Prometheus 2.x go-kit: level after component. */
    const char *s = "ts=2026-11-24T06:39:51.394Z caller=dedupe.go:112 component=remote "
                    "level=warn remote_name=thanos msg=\"Failed to send batch, retrying\"";
    ps_log_parse_body(s, strlen(s), 0, &scratch, &b);
    assert_int_equal(b.fmt, PS_LFMT_LOGFMT);
    assert_int_equal(b.level, PS_LLVL_WARN);
    assert_true(b.has_t);
    assert_int_equal(b.t, utc_ms(2026, 11, 24, 6, 39, 51, 394));
    assert_ptr_equal(b.text, s);
    /* 3.x slog: upper-case level, local offset. */
    s = "time=2026-11-24T16:02:10.000+09:00 level=WARN source=queue_manager.go:2097 msg=x";
    ps_log_parse_body(s, strlen(s), 0, &scratch, &b);
    assert_int_equal(b.level, PS_LLVL_WARN);
    assert_int_equal(b.t, utc_ms(2026, 11, 24, 7, 2, 10, 0));
    s = "time=2026-11-24T07:00:00Z level=ERROR-4 msg=x";
    ps_log_parse_body(s, strlen(s), 0, &scratch, &b);
    assert_int_equal(b.level, PS_LLVL_ERROR);
    /* JSON (--log.format=json): rewritten as logfmt. */
    s = "{\"caller\":\"main.go:551\",\"level\":\"info\",\"mode\":\"server\","
        "\"msg\":\"Starting Prometheus Server\",\"ts\":\"2026-11-25T00:42:54.802Z\","
        "\"n\":3,\"err\":\"Post \\\"http://x\\\": refused\"}";
    ps_log_parse_body(s, strlen(s), 0, &scratch, &b);
    assert_int_equal(b.fmt, PS_LFMT_JSON);
    assert_int_equal(b.level, PS_LLVL_INFO);
    assert_int_equal(b.t, utc_ms(2026, 11, 25, 0, 42, 54, 802));
    char text[512];
    assert_true(b.n < sizeof(text));
    memcpy(text, b.text, b.n);
    text[b.n] = 0;
    assert_non_null(strstr(text, "msg=\"Starting Prometheus Server\""));
    assert_non_null(strstr(text, "n=3"));
    assert_non_null(strstr(text, "err=\"Post \\\"http://x\\\": refused\""));
    /* klog: no year; with a hint it gets one. */
    s = "E1124 07:02:03.654321       1 writer.go:51] write failed";
    ps_log_parse_body(s, strlen(s), 2026, &scratch, &b);
    assert_int_equal(b.fmt, PS_LFMT_KLOG);
    assert_int_equal(b.level, PS_LLVL_ERROR);
    assert_true(b.has_t);
    assert_true(b.klog_no_year);
    assert_int_equal(b.t, utc_ms(2026, 11, 24, 7, 2, 3, 654));
    ps_log_parse_body(s, strlen(s), 0, &scratch, &b);
    assert_int_equal(b.fmt, PS_LFMT_KLOG);
    assert_false(b.has_t);
    /* plain */
    s = "panic: runtime error: invalid memory address";
    ps_log_parse_body(s, strlen(s), 2026, &scratch, &b);
    assert_int_equal(b.fmt, PS_LFMT_PLAIN);
    assert_int_equal(b.level, PS_LLVL_UNKNOWN);
    assert_false(b.has_t);
    ps_buf_free(&scratch);
}

static void
test_levels_and_years(void **state)
{
    (void)state;
    assert_int_equal(ps_log_level_parse("warning", 7), PS_LLVL_WARN);
    assert_int_equal(ps_log_level_parse("WARN+2", 6), PS_LLVL_WARN);
    assert_int_equal(ps_log_level_parse("E", 1), PS_LLVL_ERROR);
    assert_int_equal(ps_log_level_parse("crit", 4), PS_LLVL_FATAL);
    assert_int_equal(ps_log_level_parse("Debug", 5), PS_LLVL_DEBUG);
    assert_int_equal(ps_log_level_parse("bogus", 5), PS_LLVL_UNKNOWN);
    /* Year of ms, against gmtime, around year and leap boundaries. */
    int64_t probes[] = {0, utc_ms(2024, 2, 29, 23, 59, 59, 999),
                        utc_ms(2025, 12, 31, 23, 59, 59, 999),
                        utc_ms(2026, 1, 1, 0, 0, 0, 0), -1, -86400001,
                        utc_ms(2100, 3, 1, 0, 0, 0, 0)};
    for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
        time_t secs = (time_t)(probes[i] >= 0 ? probes[i] / 1000
                                              : (probes[i] - 999) / 1000);
        struct tm tm;
        gmtime_r(&secs, &tm);
        assert_int_equal(ps_log_year_of(probes[i]), tm.tm_year + 1900);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_tokens),
        cmocka_unit_test(test_cri),
        cmocka_unit_test(test_shapes),
        cmocka_unit_test(test_bodies),
        cmocka_unit_test(test_levels_and_years),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
