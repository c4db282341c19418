/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_metrics_api.c - Prometheus HTTP API answers (shapes as documented at
 * prometheus.io/docs/prometheus/latest/querying/api/) into facts: vector,
 * scalar and matrix results, error answers, targets with lastError as
 * events, flags and runtimeinfo with retention parsed and secrets
 * redacted, status/config to the hook, an empty head in status/tsdb,
 * and hostile answers (deep nesting, truncation).
 */
#include "test_util.h"

#include <math.h>

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

static void
load(struct fx *x, const char *path, const char *pod, const char *json)
{
    struct ps_entry e;
    memset(&e, 0, sizeof(e));
    e.path = path;
    e.raw_path = path;
    e.kind = PS_KIND_API_JSON;
    e.pod = pod;
    e.seq = -1;
    e.checkpoint = -1;
    assert_int_equal(ps_metrics_load_api_json(x->m, &e, (const uint8_t *)json,
                                              strlen(json)), PS_OK);
}

static size_t
nseries(struct fx *x, const char *metric, const uint32_t **ids)
{
    return ps_facts_metric_series(x->f, metric, ids);
}

static double
first_value(struct fx *x, uint32_t id, int64_t *t)
{
    const struct ps_sample *s;
    size_t n = ps_facts_series_samples(x->f, id, &s);
    assert_true(n >= 1);
    if (t != NULL)
        *t = s[0].t;
    return s[0].v;
}

static void
test_query_vector_scalar_matrix(void **state)
{
    (void)state;
    struct fx x;
    fx_open(&x);
    load(&x, "api/query-up.json", "prom-0",
         "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
         "{\"metric\":{\"__name__\":\"up\",\"job\":\"a\",\"instance\":\"h:1\"},"
         "\"value\":[1795502084.5,\"1\"]},"
         "{\"metric\":{\"__name__\":\"up\",\"job\":\"b\",\"instance\":\"h:2\"},"
         "\"value\":[1795502084.5,\"0\"]}]}}");
    load(&x, "api/query-time.json", NULL,
         "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\","
         "\"result\":[1795502084,\"NaN\"]}}");
    load(&x, "api/query_range-sum_rate_x.json", NULL,
         "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
         "{\"metric\":{\"instance\":\"a\"},\"values\":[[1795502084,\"1.5\"],"
         "[1795502099,\"+Inf\"],[1795502114,\"2\"]]}]}}");
    assert_int_equal(ps_diags_count(&x.d, PS_SEV_WARN), 0);
    const uint32_t *ids;
    assert_int_equal(nseries(&x, "up", &ids), 2);
    int64_t t;
    for (int i = 0; i < 2; i++) {
        const char *job = ps_facts_series_label(x.f, ids[i], "job");
        double v = first_value(&x, ids[i], &t);
        assert_int_equal(t, 1795502084500LL);
        assert_true(v == (strcmp(job, "a") == 0 ? 1.0 : 0.0));
        assert_string_equal(ps_facts_series_label(x.f, ids[i], "source"), "api");
    }
    assert_int_equal(nseries(&x, "time", &ids), 1);       /* name from the file */
    assert_true(isnan(first_value(&x, ids[0], NULL)));
    assert_int_equal(nseries(&x, "sum_rate_x", &ids), 1);
    const struct ps_sample *s;
    assert_int_equal(ps_facts_series_samples(x.f, ids[0], &s), 3);
    assert_int_equal(s[1].t, 1795502099000LL);
    assert_true(isinf(s[1].v));
    assert_string_equal(ps_metrics_file(x.m, 2)->api_kind, "query_range");
    assert_int_equal(ps_metrics_file(x.m, 2)->time_src, PS_MTS_SAMPLE);
    fx_close(&x);
}

static void
test_error_answer(void **state)
{
    (void)state;
    struct fx x;
    fx_open(&x);
    load(&x, "api/query.json", NULL,
         "{\"status\":\"error\",\"errorType\":\"bad_data\","
         "\"error\":\"invalid parameter \\\"query\\\"\"}");
    assert_int_equal(ps_diags_count(&x.d, PS_SEV_WARN), 1);
    assert_non_null(strstr(x.d.v[0].msg, "bad_data"));
    assert_int_equal(ps_facts_nseries(x.f), 0);
    fx_close(&x);
}

static void
test_targets(void **state)
{
    (void)state;
    struct fx x;
    fx_open(&x);
    load(&x, "prometheus-0/api/targets.json", "prometheus-0",
         "{\"status\":\"success\",\"data\":{\"activeTargets\":["
         "{\"labels\":{\"instance\":\"r:10902\",\"job\":\"receive\"},"
         "\"scrapePool\":\"receive\",\"scrapeUrl\":\"http://u:s3cret@r:10902/metrics\","
         "\"lastError\":\"Get \\\"http://u:s3cret@r:10902/metrics\\\": connection refused\","
         "\"lastScrape\":\"2026-11-24T06:55:51.651Z\",\"lastScrapeDuration\":0.0007,"
         "\"health\":\"down\",\"scrapeInterval\":\"5s\",\"scrapeTimeout\":\"5s\"},"
         "{\"labels\":{\"instance\":\"a:1\",\"job\":\"app\"},\"scrapePool\":\"app\","
         "\"lastError\":\"\",\"lastScrape\":\"2026-11-24T06:55:50Z\","
         "\"lastScrapeDuration\":0.004,\"health\":\"up\",\"scrapeInterval\":\"1m\","
         "\"scrapeTimeout\":\"10s\"}],\"droppedTargets\":[{},{}]}}");
    const uint32_t *ids;
    assert_int_equal(nseries(&x, "promsight_api_target_up", &ids), 2);
    for (int i = 0; i < 2; i++) {
        int64_t t;
        double up = first_value(&x, ids[i], &t);
        if (strcmp(ps_facts_series_label(x.f, ids[i], "job"), "receive") == 0) {
            assert_true(up == 0);
            assert_int_equal(t, 1795503351651LL);
        } else {
            assert_true(up == 1);
            assert_int_equal(t, 1795503350000LL);
        }
    }
    assert_int_equal(nseries(&x, "promsight_api_target_scrape_interval_seconds", &ids), 2);
    assert_int_equal(nseries(&x, "promsight_api_targets_dropped", &ids), 1);
    assert_true(first_value(&x, ids[0], NULL) == 2);
    assert_int_equal(ps_facts_nevents(x.f), 1);
    const struct ps_event *ev = ps_facts_event(x.f, 0);
    assert_string_equal(ev->cls, "scrape.target_error");
    assert_int_equal(ev->t, 1795503351651LL);
    assert_non_null(strstr(ev->message, "connection refused"));
    assert_null(strstr(ev->message, "s3cret"));
    assert_int_equal(ps_metrics_file(x.m, 0)->time_src, PS_MTS_CONTENT);
    fx_close(&x);
}

static void
test_flags_runtime_build(void **state)
{
    (void)state;
    struct fx x;
    fx_open(&x);
    /* A dump gives the store a time: timeless answers take its end. */
    struct ps_entry e;
    memset(&e, 0, sizeof(e));
    e.path = "d/1795503351.prom";
    e.kind = PS_KIND_METRIC_DUMP;
    assert_int_equal(ps_metrics_load_exposition_mem(x.m, &e, (const uint8_t *)"a 1\n", 4),
                     PS_OK);
    load(&x, "p/api/status_flags.json", "prom-0",
         "{\"status\":\"success\",\"data\":{\"storage.tsdb.retention.time\":\"15d\","
         "\"storage.tsdb.retention.size\":\"512MB\",\"web.config.file\":\"\","
         "\"remote.write.password\":\"hunter2\",\"query.max-concurrency\":\"20\"}}");
    load(&x, "p/api/status_runtimeinfo.json", "prom-0",
         "{\"status\":\"success\",\"data\":{\"startTime\":\"2026-11-24T06:34:45Z\","
         "\"CWD\":\"/prometheus\",\"reloadConfigSuccess\":false,\"lastConfigTime\":"
         "\"2026-11-24T06:34:45Z\",\"corruptionCount\":0,\"goroutineCount\":42,"
         "\"GOMAXPROCS\":2,\"GOGC\":\"\",\"GODEBUG\":\"\",\"storageRetention\":"
         "\"15d or 10GiB\"}}");
    load(&x, "p/api/status_buildinfo.json", "prom-0",
         "{\"status\":\"success\",\"data\":{\"version\":\"2.42.0\",\"revision\":\"r\","
         "\"branch\":\"b\",\"buildUser\":\"u\",\"buildDate\":\"d\",\"goVersion\":\"go1.19.8\"}}");
    assert_int_equal(ps_metrics_finish(x.m), PS_OK);
    const uint32_t *ids;
    size_t n = nseries(&x, "promsight_api_flag_seconds", &ids);
    assert_int_equal(n, 1);
    int64_t t;
    assert_true(first_value(&x, ids[0], &t) == 15 * 86400.0);
    assert_int_equal(t, 1795503351000LL);
    assert_int_equal(nseries(&x, "promsight_api_flag_bytes", &ids), 1);
    assert_true(first_value(&x, ids[0], NULL) == 512.0 * 1024 * 1024);
    n = nseries(&x, "promsight_api_flag", &ids);
    assert_int_equal(n, 4);   /* the empty web.config.file is not a series */
    for (size_t i = 0; i < n; i++)
        if (strcmp(ps_facts_series_label(x.f, ids[i], "flag"), "remote.write.password") == 0)
            assert_string_equal(ps_facts_series_label(x.f, ids[i], "value"), PS_REDACTED);
    assert_int_equal(nseries(&x, "promsight_api_runtime_storage_retention_seconds", &ids), 1);
    assert_true(first_value(&x, ids[0], NULL) == 15 * 86400.0);
    assert_int_equal(nseries(&x, "promsight_api_runtime_storage_retention_bytes", &ids), 1);
    assert_true(first_value(&x, ids[0], NULL) == 10.0 * 1024 * 1024 * 1024);
    assert_int_equal(nseries(&x, "promsight_api_runtime_reload_config_success", &ids), 1);
    assert_true(first_value(&x, ids[0], NULL) == 0);
    assert_int_equal(nseries(&x, "promsight_api_runtime_start_time_seconds", &ids), 1);
    assert_true(first_value(&x, ids[0], NULL) == 1795502085.0);
    assert_int_equal(nseries(&x, "promsight_api_build_info", &ids), 1);
    assert_string_equal(ps_facts_series_label(x.f, ids[0], "version"), "2.42.0");
    assert_string_equal(ps_facts_series_label(x.f, ids[0], "pod"), "prom-0");
    assert_int_equal(ps_metrics_file(x.m, 1)->time_src, PS_MTS_CAPTURE_END);
    fx_close(&x);
}

static size_t hook_calls;
static char hook_yaml[64];

static enum ps_err
hook(void *ctx, const struct ps_entry *e, const char *yaml, size_t n)
{
    (void)ctx;
    (void)e;
    hook_calls++;
    snprintf(hook_yaml, sizeof(hook_yaml), "%.*s", (int)n, yaml);
    return PS_OK;
}

static void
test_config_hook_and_tsdb(void **state)
{
    (void)state;
    struct fx x;
    fx_open(&x);
    ps_metrics_set_config_hook(x.m, hook, NULL);
    hook_calls = 0;
    load(&x, "api/status_config.json", NULL,
         "{\"status\":\"success\",\"data\":{\"yaml\":\"global:\\n  a: 1\\n\"}}");
    assert_int_equal(hook_calls, 1);
    assert_string_equal(hook_yaml, "global:\n  a: 1\n");
    assert_int_equal(ps_facts_nseries(x.f), 0);
    /* An empty head: minTime MaxInt64, maxTime MinInt64 -> no time series. */
    load(&x, "api/status_tsdb-1795503351.json", "recv-0",
         "{\"status\":\"success\",\"data\":{\"headStats\":{\"numSeries\":0,"
         "\"numLabelPairs\":0,\"chunkCount\":0,\"minTime\":9223372036854775807,"
         "\"maxTime\":-9223372036854775808},\"seriesCountByMetricName\":[],"
         "\"labelValueCountByLabelName\":[],\"memoryInBytesByLabelName\":[],"
         "\"seriesCountByLabelValuePair\":[{\"name\":\"job=x\",\"value\":3}]}}");
    const uint32_t *ids;
    assert_int_equal(nseries(&x, "promsight_api_tsdb_head_series", &ids), 1);
    int64_t t;
    assert_true(first_value(&x, ids[0], &t) == 0);
    assert_int_equal(t, 1795503351000LL);                 /* from the file name */
    assert_int_equal(nseries(&x, "promsight_api_tsdb_head_min_time_seconds", &ids), 0);
    assert_int_equal(nseries(&x, "promsight_api_tsdb_series_count_by_label_pair", &ids), 1);
    assert_string_equal(ps_facts_series_label(x.f, ids[0], "label_name"), "job");
    assert_string_equal(ps_facts_series_label(x.f, ids[0], "label_value"), "x");
    fx_close(&x);
}

/* Nesting beyond the limit is cut with a located warning; the rest is read. */
static void
test_deep_nesting(void **state)
{
    (void)state;
    const char *head = "{\"status\":\"success\",\"data\":{\"junk\":";
    const char *tail = ",\"resultType\":\"vector\",\"result\":[{\"metric\":"
                       "{\"__name__\":\"x\"},\"value\":[1795502084,\"7\"]}]}}";
    size_t depth = 100000, hn = strlen(head), tn = strlen(tail);
    char *json = malloc(hn + 2 * depth + tn + 1);
    assert_non_null(json);
    memcpy(json, head, hn);
    memset(json + hn, '[', depth);
    memset(json + hn + depth, ']', depth);
    memcpy(json + hn + 2 * depth, tail, tn + 1);
    struct fx x;
    fx_open(&x);
    load(&x, "api/query-x.json", NULL, json);
    const uint32_t *ids;
    assert_int_equal(nseries(&x, "x", &ids), 1);
    assert_true(first_value(&x, ids[0], NULL) == 7);
    assert_int_equal(ps_diags_count(&x.d, PS_SEV_WARN), 1);
    assert_true(x.d.v[0].off != PS_OFF_NONE && x.d.v[0].off > hn);
    /* Unbalanced: truncated after the opening brackets. */
    json[hn + depth] = 0;
    load(&x, "api/query-y.json", NULL, json);
    assert_true(ps_diags_count(&x.d, PS_SEV_WARN) >= 2);
    free(json);
    fx_close(&x);
}

static void
test_truncated_and_garbage(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "{", "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{",
        "[1,2,3]", "{\"status\":\"success\"}", "{\"status\":\"success\",\"data\":{\"resultType\":7}}",
        ("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":"
         "{\"a\":1},\"values\":[[\"x\",\"1\"],[1,2],[1795502084,\"1\",3]]}]}}"),
    };
    struct fx x;
    fx_open(&x);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        load(&x, "api/q.json", NULL, bad[i]);
    assert_true(ps_diags_count(&x.d, PS_SEV_NOTE) >= sizeof(bad) / sizeof(bad[0]) - 1);
    fx_close(&x);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_vector_scalar_matrix),
        cmocka_unit_test(test_error_answer),
        cmocka_unit_test(test_targets),
        cmocka_unit_test(test_flags_runtime_build),
        cmocka_unit_test(test_config_hook_and_tsdb),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_truncated_and_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
