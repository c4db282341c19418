/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_report.c - the renderers of a report document: hostile text is
 * escaped (a planted <script> never survives into HTML, pipes never break
 * a Markdown table, invalid UTF-8 becomes U+FFFD), Korean headings are
 * used with --lang ko, JUnit counts match the rules, charts draw bands and
 * markers, and diff finds added/removed/changed findings and moved metrics.
 */
#include "test_util.h"

#include "promsight/ps_report.h"
#include "report/report_int.h"

static const char *doc_text =
    "{\"schema_version\":1,\"generator\":\"promsight test\","
    "\"bundle\":{\"name\":\"b\"},"
    "\"window\":{\"start\":\"2026-11-24T06:34:44Z\",\"end\":\"2026-11-24T06:55:51Z\"},"
    "\"verdict\":{\"status\":\"critical\",\"headline\":\"1 critical\"},"
    "\"findings\":[{\"rule\":\"RemoteWriteUnreachable\",\"class\":\"remote_write.unreachable\","
    "\"severity\":\"critical\",\"summary\":\"receiver down | <b>x</b>\","
    "\"summary_ko\":\"수신기 중단\",\"first\":\"2026-11-24T06:39:47Z\","
    "\"last\":\"2026-11-24T06:44:47Z\",\"peak\":3,\"labels\":{\"pod\":\"a\"},"
    "\"evidence\":{\"series\":[],\"events\":[{\"time\":\"2026-11-24T06:39:47Z\","
    "\"file\":\"agent/prometheus.log\",\"line\":12,"
    "\"message\":\"<script>alert(1)</script> bad \\u0001 byte\"}]}}],"
    "\"skipped\":[{\"rule\":\"X\",\"class\":\"disk.full\",\"missing\":[\"kubelet_volume_stats_used_bytes\"]}],"
    "\"rules\":[{\"rule\":\"RemoteWriteUnreachable\",\"class\":\"remote_write.unreachable\",\"status\":\"fired\"},"
    "{\"rule\":\"X\",\"class\":\"disk.full\",\"status\":\"skipped\",\"missing\":[\"kubelet_volume_stats_used_bytes\"]},"
    "{\"rule\":\"Y\",\"class\":\"wal.growth\",\"status\":\"passed\"}],"
    "\"timeline\":[{\"t\":1795502387000,\"time\":\"2026-11-24T06:39:47Z\",\"kind\":\"event\","
    "\"severity\":\"warning\",\"source\":\"agent\",\"text\":\"<script>x</script>\"}],"
    "\"charts\":[{\"title\":\"lag\",\"unit\":\"seconds\",\"series\":[{\"name\":\"lag\","
    "\"points\":[[1795502084000,0],[1795502400000,300],[1795502700000,5]]}],"
    "\"band\":{\"lo\":[[1795502084000,0],[1795502700000,1]],\"hi\":[[1795502084000,2],[1795502700000,9]]},"
    "\"markers\":[{\"time\":1795502386000,\"text\":\"receiver-killed\"}]}],"
    "\"metrics\":{\"wal.samples\":1000,\"tsdb.series\":50}}";

static json_t *
load_doc(void)
{
    json_error_t err;
    json_t *d = json_loads(doc_text, JSON_ALLOW_NUL, &err);
    if (d == NULL)
        fprintf(stderr, "%s at %d\n", err.text, err.column);
    assert_non_null(d);
    return d;
}

static char *
as_str(struct ps_buf *b)
{
    ps_buf_append(b, "", 1);
    return (char *)b->p;
}

static void
test_html_escapes(void **state)
{
    (void)state;
    json_t *d = load_doc();
    struct ps_buf b = {0};
    assert_int_equal(ps_report_render_html(d, PS_LANG_EN, &b), PS_OK);
    char *s = as_str(&b);
    assert_null(strstr(s, "<script"));
    assert_non_null(strstr(s, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_null(strstr(s, "<b>x</b>"));
    assert_non_null(strstr(s, "Content-Security-Policy"));
    assert_non_null(strstr(s, "<polygon"));      /* the prediction band */
    assert_non_null(strstr(s, "receiver-killed"));
    assert_null(strstr(s, "src=\"http"));
    ps_buf_free(&b);
    json_decref(d);
}

static void
test_md_escapes_and_korean(void **state)
{
    (void)state;
    json_t *d = load_doc();
    struct ps_buf b = {0};
    assert_int_equal(ps_report_render_md(d, PS_LANG_EN, &b), PS_OK);
    char *s = as_str(&b);
    assert_non_null(strstr(s, "receiver down \\| &lt;b&gt;x&lt;/b&gt;"));
    assert_null(strstr(s, "<script>"));
    assert_non_null(strstr(s, "`agent/prometheus.log:12`"));
    assert_non_null(strstr(s, "kubelet\\_volume\\_stats\\_used\\_bytes"));
    ps_buf_free(&b);
    struct ps_buf k = {0};
    assert_int_equal(ps_report_render_md(d, PS_LANG_KO, &k), PS_OK);
    s = as_str(&k);
    assert_non_null(strstr(s, "수신기 중단"));
    assert_non_null(strstr(s, "## 주요 발견 사항"));
    assert_non_null(strstr(s, "판정: 심각"));
    ps_buf_free(&k);
    json_decref(d);
    assert_true(ps_tr_table_sorted());
    assert_string_equal(ps_tr(PS_LANG_KO, "no-such-key"), "no-such-key");
}

static void
test_junit(void **state)
{
    (void)state;
    json_t *d = load_doc();
    struct ps_buf b = {0};
    assert_int_equal(ps_report_render_junit(d, &b), PS_OK);
    char *s = as_str(&b);
    assert_non_null(strstr(s, "tests=\"3\" failures=\"1\" skipped=\"1\""));
    assert_non_null(strstr(s, "<failure type=\"critical\""));
    assert_non_null(strstr(s, "missing inputs: kubelet_volume_stats_used_bytes"));
    assert_non_null(strstr(s, "&lt;b&gt;"));
    ps_buf_free(&b);
    json_decref(d);
}

static void
test_diff(void **state)
{
    (void)state;
    json_t *a = load_doc();
    json_t *b = json_deep_copy(a);
    json_t *same = ps_report_diff(a, b, 0.01);
    assert_int_equal(json_integer_value(json_object_get(same, "differences")), 0);
    json_decref(same);
    /* change: peak of the finding, a new finding, a moved metric */
    json_t *f0 = json_array_get(json_object_get(b, "findings"), 0);
    json_object_set_new(f0, "peak", json_integer(7));
    json_t *nf = json_deep_copy(f0);
    json_object_set_new(nf, "rule", json_string("NewRule"));
    json_array_append_new(json_object_get(b, "findings"), nf);
    json_object_set_new(json_object_get(b, "metrics"), "wal.samples", json_real(1005));
    json_object_set_new(json_object_get(b, "metrics"), "tsdb.series", json_real(60));
    json_t *d = ps_report_diff(a, b, 0.01);
    assert_int_equal(json_array_size(json_object_get(d, "added")), 1);
    assert_int_equal(json_array_size(json_object_get(d, "removed")), 0);
    assert_int_equal(json_array_size(json_object_get(d, "changed")), 1);
    /* 1000 -> 1005 is within 1 %, 50 -> 60 is not */
    assert_int_equal(json_array_size(json_object_get(d, "moved")), 1);
    assert_int_equal(json_integer_value(json_object_get(d, "differences")), 3);
    json_decref(d);
    d = ps_report_diff(b, a, 0.01);
    assert_int_equal(json_array_size(json_object_get(d, "removed")), 1);
    json_decref(d);
    json_decref(a);
    json_decref(b);
}

static void
test_escape_invalid_utf8(void **state)
{
    (void)state;
    struct ps_buf b = {0};
    assert_int_equal(ps_html_escape(&b, "a\xff<\xc3\xa9\x01"), PS_OK);
    char *s = as_str(&b);
    assert_string_equal(s, "a\xEF\xBF\xBD&lt;\xc3\xa9 ");
    ps_buf_free(&b);
}

static void
test_humanize(void **state)
{
    (void)state;
    char buf[32];
    ps_humanize(1536, "bytes", buf, sizeof(buf));
    assert_string_equal(buf, "1.5KiB");
    ps_humanize(2500000, NULL, buf, sizeof(buf));
    assert_string_equal(buf, "2.5M");
    ps_humanize(300, "seconds", buf, sizeof(buf));
    assert_string_equal(buf, "5m");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_html_escapes),
        cmocka_unit_test(test_md_escapes_and_korean),
        cmocka_unit_test(test_junit),
        cmocka_unit_test(test_diff),
        cmocka_unit_test(test_escape_invalid_utf8),
        cmocka_unit_test(test_humanize),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
