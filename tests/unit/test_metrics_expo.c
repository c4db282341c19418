/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_metrics_expo.c - the exposition parser and loader on hand-built
 * inputs whose expected values come from the format specifications (text
 * format 0.0.4, OpenMetrics 1.0): label escaping, +Inf/-Inf/NaN,
 * timestamps in both formats, histograms and summaries, _created,
 * exemplars, UNIT, # EOF, target labels and exported_ renaming, the
 * scrape-time precedence, redaction, and recovery after bad lines.
 */
#include "test_util.h"

#include <math.h>

#include "metrics/metrics_int.h"
#include "promsight/ps_facts.h"
#include "promsight/ps_metrics.h"

struct fx {
    struct ps_facts *f;
    struct ps_diags d;
    struct ps_metrics *m;
};

static void
fx_open(struct fx *x)
{
    x->f = ps_facts_new();
    assert_non_null(x->f);
    ps_diags_init(&x->d);
    x->m = ps_metrics_new(x->f, &x->d, NULL);
    assert_non_null(x->m);
}

static void
fx_close(struct fx *x)
{
    ps_metrics_free(x->m);
    ps_facts_free(x->f);
    ps_diags_free(&x->d);
}

static struct ps_entry
entry(const char *path, const char *pod, int64_t mtime)
{
    struct ps_entry e;
    memset(&e, 0, sizeof(e));
    e.path = path;
    e.raw_path = path;
    e.type = PS_ET_FILE;
    e.kind = PS_KIND_METRIC_DUMP;
    e.pod = pod;
    e.mtime_ms = mtime;
    e.seq = -1;
    e.checkpoint = -1;
    return e;
}

static void
load(struct fx *x, const char *path, const char *pod, int64_t mtime, const char *text)
{
    struct ps_entry e = entry(path, pod, mtime);
    assert_int_equal(ps_metrics_load_exposition_mem(x->m, &e, (const uint8_t *)text,
                                                    strlen(text)),
                     PS_OK);
}

/* The only series of metric (asserts there is exactly one). */
static uint32_t
only(struct fx *x, const char *metric)
{
    const uint32_t *ids;
    size_t n = ps_facts_metric_series(x->f, metric, &ids);
    if (n != 1)
        fail_msg("%s: %zu series, expected 1", metric, n);
    return ids[0];
}

static double
value_at(struct fx *x, uint32_t id, size_t i, int64_t *t)
{
    const struct ps_sample *s;
    size_t n = ps_facts_series_samples(x->f, id, &s);
    assert_true(i < n);
    if (t != NULL)
        *t = s[i].t;
    return s[i].v;
}

static size_t
count_warnings(const struct ps_diags *d)
{
    return ps_diags_count(d, PS_SEV_WARN);
}

/* Escapes \\ \" \n in label values; special floats; integer ms timestamps. */
static void
test_text_escapes_and_floats(void **state)
{
    (void)state;
    struct fx x;
    fx_open(&x);
    load(&x, "dumps/a.prom", "p1", 0,
         "# HELP esc_total Help with \\\\ backslash and \\n newline.\n"
         "# TYPE esc_total counter\n"
         "esc_total{path=\"C:\\\\dir\",q=\"say \\\"hi\\\"\",nl=\"a\\nb\"} 3 1795502084123\n"
         "pinf +Inf 1795502084000\n"
         "ninf -Inf 1795502084000\n"
         "nan NaN 1795502084000\n"
         "exp 1.5e-3 1795502084000\n"
         "  spaced_out   { a = \"1\" , }   42   1795502084000  \n");
    assert_int_equal(count_warnings(&x.d), 0);
    uint32_t id = only(&x, "esc_total");
    assert_string_equal(ps_facts_series_label(x.f, id, "path"), "C:\\dir");
    assert_string_equal(ps_facts_series_label(x.f, id, "q"), "say \"hi\"");
    assert_string_equal(ps_facts_series_label(x.f, id, "nl"), "a\nb");
    assert_string_equal(ps_facts_series_label(x.f, id, "pod"), "p1");
    assert_string_equal(ps_facts_series_label(x.f, id, "source"), "dump");
    int64_t t;
    assert_true(value_at(&x, id, 0, &t) == 3.0);
    assert_int_equal(t, 1795502084123LL);
    assert_true(isinf(value_at(&x, only(&x, "pinf"), 0, NULL)) &&
                value_at(&x, only(&x, "pinf"), 0, NULL) > 0);
    assert_true(isinf(value_at(&x, only(&x, "ninf"), 0, NULL)) &&
                value_at(&x, only(&x, "ninf"), 0, NULL) < 0);
    assert_true(isnan(value_at(&x, only(&x, "nan"), 0, NULL)));
    assert_true(value_at(&x, only(&x, "exp"), 0, NULL) == 1.5e-3);
    assert_true(value_at(&x, only(&x, "spaced_out"), 0, NULL) == 42.0);
    const struct ps_metrics_family *fam = ps_metrics_family_of(x.m, "esc_total");
    assert_non_null(fam);
    assert_string_equal(fam->type, "counter");
    assert_string_equal(fam->help, "Help with \\ backslash and \n newline.");
    const struct ps_metrics_file *f = ps_metrics_file(x.m, 0);
    assert_int_equal(f->format, PS_MF_TEXT);
    assert_int_equal(f->time_src, PS_MTS_SAMPLE);
    assert_int_equal(f->samples, 6);
    assert_int_equal(f->samples_with_ts, 6);
    fx_close(&x);
}

/* Values must round-trip exactly as Go's ParseFloat would give them. */
static void
test_float_exactness(void **state)
{
    (void)state;
    static const char *const v[] = {
        "0.0021106210785649462", "1.795502386e+09", "4.9191e-05", "1e308",
        "123456789012345678901234567890", "-0", "2.2250738585072014e-308",
        "0.1", "9007199254740993",
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        double got;
        assert_true(ps_expo_parse_float(v[i], strlen(v[i]), &got));
        assert_true(got == strtod(v[i], NULL));
    }
    double d;
    assert_true(ps_expo_parse_float("Infinity", 8, &d) && isinf(d));
    assert_true(ps_expo_parse_float("nan", 3, &d) && isnan(d));
    assert_false(ps_expo_parse_float("1.2.3", 5, &d));
    assert_false(ps_expo_parse_float("abc", 3, &d));
    assert_false(ps_expo_parse_float("1e", 2, &d));
    assert_false(ps_expo_parse_float("", 0, &d));
    assert_false(ps_expo_parse_float("nan(1)", 6, &d));
    assert_false(ps_expo_parse_float("0x1p-2", 6, &d));   /* promtool rejects hex */
    assert_false(ps_expo_parse_float("1_000", 5, &d));
}

/* The OpenMetrics example exposition (spec section "Overall structure"). */
static void
test_openmetrics(void **state)
{
    (void)state;
    struct fx x;
    fx_open(&x);
    load(&x, "om/metrics.txt", "p2", 0,
         "# TYPE acme_http_router_request_seconds summary\n"
         "# UNIT acme_http_router_request_seconds seconds\n"
         "# HELP acme_http_router_request_seconds Latency though all of ACME's HTTP request router.\n"
         "acme_http_router_request_seconds_sum{path=\"/api/v1\",method=\"GET\"} 9036.32 1605281325.5\n"
         "acme_http_router_request_seconds_count{path=\"/api/v1\",method=\"GET\"} 807283.0 1605281325.5\n"
         "acme_http_router_request_seconds_created{path=\"/api/v1\",method=\"GET\"} 1605281325.0 1605281325.5\n"
         "# TYPE foo counter\n"
         "foo_total 17.0 1520879607.789 # {trace_id=\"KOO5S4vxi0o\"} 0.67\n"
         "# TYPE h histogram\n"
         "h_bucket{le=\"0.1\"} 1 1520879607\n"
         "h_bucket{le=\"+Inf\"} 3 1520879607\n"
         "h_sum 1.5 1520879607\n"
         "h_count 3 1520879607\n"
         "# EOF\n");
    assert_int_equal(count_warnings(&x.d), 0);
    const struct ps_metrics_file *f = ps_metrics_file(x.m, 0);
    assert_int_equal(f->format, PS_MF_OPENMETRICS);
    assert_true(f->eof_marker);
    assert_int_equal(f->samples, 8);
    int64_t t;
    assert_true(value_at(&x, only(&x, "foo_total"), 0, &t) == 17.0);
    assert_int_equal(t, 1520879607789LL);              /* seconds -> ms */
    assert_true(value_at(&x, only(&x, "acme_http_router_request_seconds_created"), 0,
                         &t) == 1605281325.0);
    assert_int_equal(t, 1605281325500LL);
    /* Integer OpenMetrics timestamps are seconds too. */
    value_at(&x, only(&x, "h_sum"), 0, &t);
    assert_int_equal(t, 1520879607000LL);
    const uint32_t *ids;
    assert_int_equal(ps_facts_metric_series(x.f, "h_bucket", &ids), 2);
    const struct ps_metrics_family *fam =
        ps_metrics_family_of(x.m, "acme_http_router_request_seconds_sum");
    assert_non_null(fam);
    assert_string_equal(fam->type, "summary");
    assert_string_equal(fam->unit, "seconds");
    assert_string_equal(ps_metrics_family_of(x.m, "h_bucket")->type, "histogram");
    fx_close(&x);
}

/* OpenMetrics without # EOF is reported as possibly truncated. */
static void
test_openmetrics_truncated(void **state)
{
    (void)state;
    struct fx x;
    fx_open(&x);
    load(&x, "om/1795502084.txt", NULL, 0,
         "# TYPE a gauge\n# UNIT a bytes\na 1\na_more 2\n");
    assert_int_equal(ps_metrics_file(x.m, 0)->format, PS_MF_OPENMETRICS);
    assert_int_equal(ps_metrics_file(x.m, 0)->samples, 2);
    int found = 0;
    for (size_t i = 0; i < x.d.n; i++)
        if (x.d.v[i].code == PS_E_TRUNCATED && strstr(x.d.v[i].msg, "EOF") != NULL)
            found = 1;
    assert_true(found);
    fx_close(&x);
}

/* Histogram and summary series as the text format spells them. */
static void
test_histogram_summary(void **state)
{
    (void)state;
    struct fx x;
    fx_open(&x);
    load(&x, "d/1795502084.prom", "p", 0,
         "# TYPE rq histogram\n"
         "rq_bucket{le=\"0.05\"} 24054\n"
         "rq_bucket{le=\"0.1\"} 33444\n"
         "rq_bucket{le=\"+Inf\"} 144320\n"
         "rq_sum 53423\n"
         "rq_count 144320\n"
         "# TYPE rpc summary\n"
         "rpc{quantile=\"0.5\"} 4773\n"
         "rpc{quantile=\"0.99\"} NaN\n"
         "rpc_sum 1.7560473e+07\n"
         "rpc_count 2693\n");
    assert_int_equal(count_warnings(&x.d), 0);
    const uint32_t *ids;
    size_t n = ps_facts_metric_series(x.f, "rq_bucket", &ids);
    assert_int_equal(n, 3);
    int inf = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(ps_facts_series_label(x.f, ids[i], "le"), "+Inf") == 0) {
            inf = 1;
            assert_true(value_at(&x, ids[i], 0, NULL) == 144320);
        }
    assert_true(inf);
    assert_int_equal(ps_facts_metric_series(x.f, "rpc", &ids), 2);
    assert_true(value_at(&x, only(&x, "rq_count"), 0, NULL) == 144320);
    assert_string_equal(ps_metrics_family_of(x.m, "rpc_count")->type, "summary");
    fx_close(&x);
}

/* Dump labels: pod, container, source; exposed colliding labels -> exported_. */
static void
test_target_labels(void **state)
{
    (void)state;
    struct fx x;
    fx_open(&x);
    struct ps_entry e = entry("pods/app-0/app/1795502084.prom", "app-0", 0);
    e.container = "app";
    const char *txt = "reqs{pod=\"payments-7\",container=\"c\",source=\"s\",x=\"y\"} 5\n";
    assert_int_equal(ps_metrics_load_exposition_mem(x.m, &e, (const uint8_t *)txt,
                                                    strlen(txt)), PS_OK);
    uint32_t id = only(&x, "reqs");
    assert_string_equal(ps_facts_series_label(x.f, id, "pod"), "app-0");
    assert_string_equal(ps_facts_series_label(x.f, id, "container"), "app");
    assert_string_equal(ps_facts_series_label(x.f, id, "source"), "dump");
    assert_string_equal(ps_facts_series_label(x.f, id, "exported_pod"), "payments-7");
    assert_string_equal(ps_facts_series_label(x.f, id, "exported_container"), "c");
    assert_string_equal(ps_facts_series_label(x.f, id, "exported_source"), "s");
    assert_string_equal(ps_facts_series_label(x.f, id, "x"), "y");
    fx_close(&x);
}

/*
 * Scrape time: file name (epoch s, epoch ms, RFC 3339) > mtime > none.
 * 06:34:44Z on 2026-11-24 is 1795502084 (corpus timeline.txt).
 */
static void
test_scrape_time_precedence(void **state)
{
    (void)state;
    int64_t ms;
    assert_true(ps_metrics_time_from_name("x/dumps/1795502084.prom", &ms));
    assert_int_equal(ms, 1795502084000LL);
    assert_true(ps_metrics_time_from_name("agent-metrics-1795502084.prom", &ms));
    assert_int_equal(ms, 1795502084000LL);
    assert_true(ps_metrics_time_from_name("m-1795502084123.txt", &ms));
    assert_int_equal(ms, 1795502084123LL);
    assert_true(ps_metrics_time_from_name("a/metrics-2026-11-24T06:34:44Z.prom", &ms));
    assert_int_equal(ms, 1795502084000LL);
    assert_true(ps_metrics_time_from_name("metrics_2026-11-24T06-34-44Z.txt", &ms));
    assert_int_equal(ms, 1795502084000LL);
    assert_true(ps_metrics_time_from_name("metrics_20261124T063444Z.txt", &ms));
    assert_int_equal(ms, 1795502084000LL);
    assert_true(ps_metrics_time_from_name("m-2026-11-24T08:34:44+02:00.prom", &ms));
    assert_int_equal(ms, 1795502084000LL);
    /* Digits that are not a plausible time in the directory do not count. */
    assert_true(ps_metrics_time_from_name("1795502084/metrics.prom", &ms) == 0);
    assert_false(ps_metrics_time_from_name("metrics-12345.prom", &ms));
    assert_false(ps_metrics_time_from_name("metrics-0000000001.prom", &ms));

    struct fx x;
    fx_open(&x);
    load(&x, "d/metrics-1795502084.prom", "p", 1700000000000LL, "a 1\n");
    load(&x, "d/metrics.prom", "p", 1700000000000LL, "b 1\n");
    load(&x, "d/nothing.prom", "p", 0, "c 1\nc2 2 1795502084000\n");
    int64_t t;
    value_at(&x, only(&x, "a"), 0, &t);
    assert_int_equal(t, 1795502084000LL);
    assert_int_equal(ps_metrics_file(x.m, 0)->time_src, PS_MTS_FILENAME);
    value_at(&x, only(&x, "b"), 0, &t);
    assert_int_equal(t, 1700000000000LL);
    assert_int_equal(ps_metrics_file(x.m, 1)->time_src, PS_MTS_MTIME);
    /* Same target, same mtime: the second file's values replace the first's. */
    load(&x, "d/metrics-b.prom", "p", 1700000000000LL, "b 2\n");
    int same = 0;
    for (size_t i = 0; i < x.d.n; i++)
        if (strstr(x.d.v[i].msg, "same scrape time") != NULL &&
            strcmp(x.d.v[i].path, "d/metrics-b.prom") == 0)
            same = 1;
    assert_true(same);
    /* No time: c is not stored, c2 keeps its own timestamp. */
    const uint32_t *ids;
    assert_int_equal(ps_facts_metric_series(x.f, "c", &ids), 0);
    value_at(&x, only(&x, "c2"), 0, &t);
    assert_int_equal(t, 1795502084000LL);
    assert_int_equal(ps_metrics_file(x.m, 2)->time_src, PS_MTS_NONE);
    assert_int_equal(ps_metrics_file(x.m, 2)->skipped, 1);
    assert_true(count_warnings(&x.d) >= 1);
    fx_close(&x);
}

/* A sequence of dumps of one target is one series per metric. */
static void
test_sequence_one_series(void **state)
{
    (void)state;
    struct fx x;
    fx_open(&x);
    load(&x, "p/dumps/1795502100.prom", "agent", 0, "q{u=\"x\"} 1\n");
    load(&x, "p/dumps/1795502115.prom", "agent", 0, "q{u=\"x\"} 2\n");
    load(&x, "p/dumps/1795502130.prom", "agent", 0, "q{u=\"x\"} 4\n");
    load(&x, "r/dumps/1795502130.prom", "receiver", 0, "q{u=\"x\"} 9\n");
    const uint32_t *ids;
    assert_int_equal(ps_facts_metric_series(x.f, "q", &ids), 2);
    uint32_t a = ids[0];
    if (strcmp(ps_facts_series_label(x.f, a, "pod"), "agent") != 0)
        a = ids[1];
    const struct ps_sample *s;
    assert_int_equal(ps_facts_series_samples(x.f, a, &s), 3);
    assert_int_equal(s[0].t, 1795502100000LL);
    assert_int_equal(s[2].t, 1795502130000LL);
    assert_true(s[1].v == 2 && s[2].v == 4);
    struct ps_metrics_series_stats st;
    ps_metrics_series_stats(x.f, a, &st);
    assert_int_equal(st.n, 3);
    assert_true(st.min == 1 && st.max == 4 && st.last_value == 4);
    assert_int_equal(st.max_gap_ms, 15000);
    fx_close(&x);
}

/* The series cache: reordered, new and vanished series between dumps. */
static void
test_series_cache_reorder(void **state)
{
    (void)state;
    struct fx x;
    fx_open(&x);
    const char *d1 = "s{k=\"a\"} 1\ns{k=\"b\"} 2\ns{k=\"c\"} 3\n";
    load(&x, "t/dumps/1795502100.prom", "pod-a", 0, d1);
    load(&x, "t/dumps/1795502115.prom", "pod-a", 0, d1);
    load(&x, "t/dumps/1795502130.prom", "pod-a", 0,
         "s{k=\"c\"} 30\ns{k=\"a\"} 10\ns{k=\"d\"} 40\ns{k=\"b\"} 20\n");
    load(&x, "u/dumps/1795502130.prom", "pod-b", 0, "s{k=\"a\"} 99\n");
    const uint32_t *ids;
    size_t n = ps_facts_metric_series(x.f, "s", &ids);
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++) {
        const char *k = ps_facts_series_label(x.f, ids[i], "k");
        const char *pod = ps_facts_series_label(x.f, ids[i], "pod");
        const struct ps_sample *smp;
        size_t ns = ps_facts_series_samples(x.f, ids[i], &smp);
        if (strcmp(pod, "pod-b") == 0) {
            assert_int_equal(ns, 1);
            assert_true(smp[0].v == 99);
            continue;
        }
        if (strcmp(k, "d") == 0) {
            assert_int_equal(ns, 1);
            assert_true(smp[0].v == 40);
            continue;
        }
        double base = k[0] == 'a' ? 1 : k[0] == 'b' ? 2 : 3;
        assert_int_equal(ns, 3);
        assert_true(smp[0].v == base && smp[1].v == base && smp[2].v == base * 10);
        assert_int_equal(smp[2].t, 1795502130000LL);
    }
    assert_int_equal(ps_metrics_file(x.m, 2)->series, 4);
    fx_close(&x);
}

/* Secrets in label values never reach the store. */
static void
test_redaction(void **state)
{
    (void)state;
    struct fx x;
    fx_open(&x);
    load(&x, "d/1795502084.prom", "p", 0,
         "rw{url=\"http://user:hunter2@receiver:19291/api/v1/write\"} 1\n"
         "rw2{password=\"hunter2\"} 1\n"
         "rw3{url=\"http://receiver:19291/api/v1/write\"} 1\n");
    const char *u = ps_facts_series_label(x.f, only(&x, "rw"), "url");
    assert_non_null(u);
    assert_null(strstr(u, "hunter2"));
    assert_non_null(strstr(u, "receiver:19291"));
    assert_string_equal(ps_facts_series_label(x.f, only(&x, "rw2"), "password"),
                        PS_REDACTED);
    assert_string_equal(ps_facts_series_label(x.f, only(&x, "rw3"), "url"),
                        "http://receiver:19291/api/v1/write");
    assert_true(ps_redact_total(&ps_metrics_file(x.m, 0)->redacted) >= 2);
    /* The next dump of the target: same series, still counted as redacted. */
    load(&x, "d/1795502099.prom", "p", 0,
         "rw{url=\"http://user:hunter2@receiver:19291/api/v1/write\"} 2\n"
         "rw3{url=\"http://receiver:19291/api/v1/write\"} 2\n");
    assert_true(ps_redact_total(&ps_metrics_file(x.m, 1)->redacted) >= 1);
    const struct ps_sample *s;
    assert_int_equal(ps_facts_series_samples(x.f, only(&x, "rw"), &s), 2);
    assert_int_equal(ps_facts_series_samples(x.f, only(&x, "rw3"), &s), 2);
    assert_int_equal(ps_metrics_file(x.m, 1)->series, 2);
    fx_close(&x);
}

/* Bad lines become located warnings; the lines after them are read. */
static void
test_recovery(void **state)
{
    (void)state;
    struct fx x;
    fx_open(&x);
    load(&x, "d/1795502084.prom", "p", 0,
         "good1 1\n"
         "bad{a=\"unterminated} 1\n"
         "bad2 not_a_number\n"
         "bad3{a=\"\\x\"} 1\n"
         "# TYPE t nonsense\n"
         "bad4{1a=\"b\"} 1\n"
         "dup{a=\"1\",a=\"2\"} 1\n"
         "good2 2\n"
         "tail_without_newline 3");
    assert_int_equal(ps_facts_metric_series(x.f, "good1", &(const uint32_t *){0}), 1);
    assert_int_equal(ps_facts_metric_series(x.f, "good2", &(const uint32_t *){0}), 1);
    /* A last line without its newline may be cut off: not stored. */
    assert_int_equal(ps_facts_metric_series(x.f, "tail_without_newline",
                                            &(const uint32_t *){0}), 0);
    assert_int_equal(ps_facts_metric_series(x.f, "dup", &(const uint32_t *){0}), 0);
    uint32_t lines[8];
    size_t nw = 0;
    for (size_t i = 0; i < x.d.n && nw < 8; i++)
        if (x.d.v[i].sev == PS_SEV_WARN)
            lines[nw++] = x.d.v[i].line;
    assert_int_equal(nw, 7);
    static const uint32_t want[] = {2, 3, 4, 5, 6, 7, 9};
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(lines[i], want[i]);
    assert_int_equal(ps_metrics_file(x.m, 0)->skipped, 7);
    fx_close(&x);
}

/* Streaming through a tiny reader gives the same result as in memory. */
struct chunky {
    const char *p;
    size_t n, off, step;
};

static ssize_t
chunky_read(void *ctx, void *buf, size_t n)
{
    struct chunky *c = ctx;
    size_t k = c->n - c->off;
    if (k > c->step)
        k = c->step;
    if (k > n)
        k = n;
    memcpy(buf, c->p + c->off, k);
    c->off += k;
    return (ssize_t)k;
}

static void
test_streaming_matches_memory(void **state)
{
    (void)state;
    const char *txt = "# HELP a x\n# TYPE a gauge\na{b=\"c\"} 1\nb 2\n\nc{d=\"e\",f=\"g\"} 3\n";
    for (size_t step = 1; step < 9; step++) {
        struct fx x;
        fx_open(&x);
        struct ps_entry e = entry("d/1795502084.prom", "p", 0);
        struct chunky c = {txt, strlen(txt), 0, step};
        assert_int_equal(ps_metrics_load_exposition(x.m, &e, chunky_read, &c), PS_OK);
        assert_int_equal(ps_metrics_file(x.m, 0)->samples, 3);
        assert_int_equal(ps_metrics_file(x.m, 0)->lines, 6);
        assert_int_equal(ps_metrics_file(x.m, 0)->bytes, strlen(txt));
        assert_int_equal(x.d.n, 0);
        assert_string_equal(ps_facts_series_label(x.f, only(&x, "c"), "f"), "g");
        fx_close(&x);
    }
}

/* Selectors: NAME{label="value"} picks series; anything else is refused. */
static void
test_selectors(void **state)
{
    (void)state;
    struct fx x;
    fx_open(&x);
    load(&x, "a/1795502084.prom", "agent", 0, "q{u=\"x\",v=\"1\"} 1\nq{u=\"y\"} 2\n");
    struct ps_metrics_selector *s1 = ps_metrics_selector_new("q{u=\"x\"}");
    struct ps_metrics_selector *s2 = ps_metrics_selector_new("q{v=\"\"}");
    struct ps_metrics_selector *s3 = ps_metrics_selector_new("q");
    assert_non_null(s1);
    assert_non_null(s2);
    assert_non_null(s3);
    assert_string_equal(ps_metrics_selector_name(s1), "q");
    const uint32_t *ids;
    assert_int_equal(ps_facts_metric_series(x.f, "q", &ids), 2);
    size_t m1 = 0, m2 = 0, m3 = 0;
    for (size_t i = 0; i < 2; i++) {
        m1 += ps_metrics_selector_match(s1, x.f, ids[i]);
        m2 += ps_metrics_selector_match(s2, x.f, ids[i]);
        m3 += ps_metrics_selector_match(s3, x.f, ids[i]);
    }
    assert_int_equal(m1, 1);
    assert_int_equal(m2, 1);     /* an empty value matches the missing label */
    assert_int_equal(m3, 2);
    ps_metrics_selector_free(s1);
    ps_metrics_selector_free(s2);
    ps_metrics_selector_free(s3);
    static const char *const bad[] = {"", "q{", "q 1", "q{u=x}", "{u=\"x\"}", "q{} # c"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_null(ps_metrics_selector_new(bad[i]));
    fx_close(&x);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_escapes_and_floats),
        cmocka_unit_test(test_float_exactness),
        cmocka_unit_test(test_openmetrics),
        cmocka_unit_test(test_openmetrics_truncated),
        cmocka_unit_test(test_histogram_summary),
        cmocka_unit_test(test_target_labels),
        cmocka_unit_test(test_scrape_time_precedence),
        cmocka_unit_test(test_sequence_one_series),
        cmocka_unit_test(test_redaction),
        cmocka_unit_test(test_recovery),
        cmocka_unit_test(test_streaming_matches_memory),
        cmocka_unit_test(test_selectors),
        cmocka_unit_test(test_series_cache_reorder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
