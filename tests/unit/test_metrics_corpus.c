/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_metrics_corpus.c - the shared corpus (Prometheus 2.42 lab, dumps
 * every 15 s through a receiver outage) read through the bundle layer.
 * Expected values are taken from the dump files themselves with a
 * separate, naive reader (strstr + strtod on the line), and the outage
 * window from timeline.txt (06:39:46-06:44:48 UTC).
 */
#include "test_util.h"

#include <dirent.h>
#include <math.h>

#include "promsight/ps_bundle.h"
#include "promsight/ps_facts.h"
#include "promsight/ps_metrics.h"

#define LAB "corpus/lab-2026-11-24"
#define OUTAGE_FROM 1795502386000LL   /* receiver-killed (timeline.txt) */
#define OUTAGE_TO 1795502688000LL     /* receiver-restarted */

struct world {
    struct ps_facts *f;
    struct ps_diags d;
    struct ps_metrics *m;
};

static struct world W;

static int
setup(void **state)
{
    (void)state;
    char path[512];
    W.f = ps_facts_new();
    ps_diags_init(&W.d);
    W.m = ps_metrics_new(W.f, &W.d, NULL);
    struct ps_bundle *b = NULL;
    if (W.f == NULL || W.m == NULL ||
        ps_bundle_open(ps_test_shared_path(path, sizeof(path), LAB), NULL, &W.d, &b) != PS_OK)
        return -1;
    enum ps_err e = ps_bundle_walk(b, ps_metrics_visit, W.m);
    ps_bundle_close(b);
    if (e != PS_OK || ps_metrics_finish(W.m) != PS_OK)
        return -1;
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    ps_metrics_free(W.m);
    ps_facts_free(W.f);
    ps_diags_free(&W.d);
    return 0;
}

/* The series of metric whose label name=value (asserts exactly one). */
static uint32_t
find(const char *metric, const char *name, const char *value, const char *name2,
     const char *value2)
{
    const uint32_t *ids;
    size_t n = ps_facts_metric_series(W.f, metric, &ids), hit = 0;
    uint32_t id = 0;
    for (size_t i = 0; i < n; i++) {
        const char *v = ps_facts_series_label(W.f, ids[i], name);
        const char *v2 = name2 != NULL ? ps_facts_series_label(W.f, ids[i], name2) : NULL;
        if (v != NULL && strcmp(v, value) == 0 &&
            (name2 == NULL || (v2 != NULL && strcmp(v2, value2) == 0))) {
            id = ids[i];
            hit++;
        }
    }
    if (hit != 1)
        fail_msg("%s{%s=%s}: %zu series", metric, name, value, hit);
    return id;
}

static int
sample_at(uint32_t id, int64_t t, double *v)
{
    const struct ps_sample *s;
    size_t n = ps_facts_series_samples(W.f, id, &s);
    for (size_t i = 0; i < n; i++)
        if (s[i].t == t) {
            *v = s[i].v;
            return 1;
        }
    return 0;
}

/* Naive reader: the value on the line that starts with prefix, or NAN. */
static double
grep_value(const char *text, const char *prefix)
{
    size_t pl = strlen(prefix);
    for (const char *p = text; p != NULL && *p != 0;) {
        if (strncmp(p, prefix, pl) == 0) {
            const char *sp = strchr(p, ' ');
            return sp != NULL ? strtod(sp + 1, NULL) : NAN;
        }
        p = strchr(p, '\n');
        if (p != NULL)
            p++;
    }
    return NAN;
}

/* Every agent dump's remote-write gauges are samples at the file's time. */
static void
test_agent_remote_write_series(void **state)
{
    (void)state;
    static const char *const metrics[] = {
        "prometheus_remote_storage_samples_pending",
        "prometheus_remote_storage_shards",
        "prometheus_remote_storage_queue_highest_sent_timestamp_seconds",
    };
    const char *url = "http://thanos-receive.monitoring:19291/api/v1/write";
    uint32_t ids[3];
    for (int k = 0; k < 3; k++)
        ids[k] = find(metrics[k], "pod", "prometheus-agent-0", "url", url);
    char dir[512];
    ps_test_shared_path(dir, sizeof(dir), LAB "/prometheus-agent-0/dumps");
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    size_t checked = 0;
    while ((de = readdir(d)) != NULL) {
        long long sec;
        char tail[16];
        if (sscanf(de->d_name, "%lld.%15s", &sec, tail) != 2 || strcmp(tail, "prom") != 0)
            continue;
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        size_t n = 0;
        char *text = (char *)ps_test_read_file(path, &n);
        assert_non_null(text);
        char *z = realloc(text, n + 1);
        assert_non_null(z);
        text = z;
        text[n] = 0;
        for (int k = 0; k < 3; k++) {
            char prefix[256];
            snprintf(prefix, sizeof(prefix), "%s{remote_name=\"thanos\",url=\"%s\"}",
                     metrics[k], url);
            double want = grep_value(text, prefix), got;
            if (isnan(want))
                continue;        /* the empty first dump, or the 404 phase */
            if (!sample_at(ids[k], sec * 1000, &got))
                fail_msg("%s: no sample at %lld", metrics[k], sec);
            assert_true(got == want);
            checked++;
        }
        free(text);
    }
    closedir(d);
    /* 84 non-empty dumps, one with the old URL: 83 x 3 values. */
    assert_int_equal(checked, 83 * 3);
    struct ps_metrics_series_stats st;
    ps_metrics_series_stats(W.f, ids[0], &st);
    assert_int_equal(st.n, 83);
    assert_int_equal(st.first, 1795502115000LL);
    assert_int_equal(st.last, 1795503351000LL);
}

/* The outage shows: pending samples pile up, highest sent time stands still. */
static void
test_outage_visible(void **state)
{
    (void)state;
    const char *url = "http://thanos-receive.monitoring:19291/api/v1/write";
    uint32_t pend = find("prometheus_remote_storage_samples_pending", "pod",
                         "prometheus-agent-0", "url", url);
    uint32_t hs = find("prometheus_remote_storage_queue_highest_sent_timestamp_seconds",
                       "pod", "prometheus-agent-0", "url", url);
    const struct ps_sample *s;
    size_t n = ps_facts_series_samples(W.f, pend, &s);
    double max_before = 0, min_during = INFINITY, max_after = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i].t <= OUTAGE_FROM)
            max_before = fmax(max_before, s[i].v);
        else if (s[i].t <= OUTAGE_TO)
            min_during = fmin(min_during, s[i].v);
        else if (s[i].t >= OUTAGE_TO + 60000)
            max_after = fmax(max_after, s[i].v);
    }
    assert_true(min_during > 3 * max_before);
    assert_true(max_after < min_during);
    const struct ps_sample *h;
    n = ps_facts_series_samples(W.f, hs, &h);
    for (size_t i = 0; i < n; i++)
        if (h[i].t > OUTAGE_FROM && h[i].t <= OUTAGE_TO)
            assert_true(h[i].v <= OUTAGE_FROM / 1000.0);
}

/* The receiver's dumps stop during the outage: a gap of ~5 minutes. */
static void
test_receiver_gap(void **state)
{
    (void)state;
    uint32_t id = find("prometheus_tsdb_head_series", "pod", "thanos-receive-0", "source",
                       "dump");
    struct ps_metrics_series_stats st;
    ps_metrics_series_stats(W.f, id, &st);
    assert_true(st.max_gap_ms >= 300000);
    assert_true(st.max_gap_at >= OUTAGE_FROM - 15000 && st.max_gap_at <= OUTAGE_FROM);
    /* The agent's head series stay apart from the receiver's. */
    uint32_t a = find("prometheus_agent_active_series", "pod", "prometheus-agent-0",
                      "source", "dump");
    assert_true(a != id);
}

/* Every dump's time came from its file name; API answers are typed. */
static void
test_file_records(void **state)
{
    (void)state;
    size_t dumps = 0, api = 0, tsdb = 0;
    for (size_t i = 0; i < ps_metrics_nfiles(W.m); i++) {
        const struct ps_metrics_file *f = ps_metrics_file(W.m, i);
        if (f->format == PS_MF_TEXT) {
            dumps++;
            assert_int_equal(f->time_src, PS_MTS_FILENAME);
        } else if (f->format == PS_MF_API_JSON) {
            api++;
            assert_non_null(f->api_kind);
            if (strcmp(f->api_kind, "status/tsdb") == 0)
                tsdb++;
        }
    }
    assert_int_equal(dumps, 85 + 65);
    assert_int_equal(api, 15);   /* the .json files under the api dirs */
    assert_int_equal(tsdb, 2);
    /* No warnings on real Prometheus output. */
    for (size_t i = 0; i < W.d.n; i++)
        if (W.d.v[i].sev >= PS_SEV_WARN && W.d.v[i].path != NULL &&
            (strstr(W.d.v[i].path, "dumps/") != NULL || strstr(W.d.v[i].path, "api/") != NULL))
            fail_msg("%s: %s", W.d.v[i].path, W.d.v[i].msg);
}

/* status/tsdb of both servers: numSeries as a series per pod. */
static void
test_api_tsdb_per_pod(void **state)
{
    (void)state;
    double v;
    uint32_t p = find("promsight_api_tsdb_head_series", "pod", "prometheus-0", NULL, NULL);
    uint32_t r = find("promsight_api_tsdb_head_series", "pod", "thanos-receive-0", NULL, NULL);
    /* headStats.maxTime is the sample time; numSeries the value (files). */
    assert_true(sample_at(p, 1795503353402LL, &v) && v == 2203);
    assert_true(sample_at(r, 1795503351341LL, &v) && v == 1222);
}

/* One synthetic sample per agent dump: 0 for the empty first scrape. */
static void
test_dump_samples_series(void **state)
{
    (void)state;
    uint32_t id = find(PS_DUMP_SAMPLES_METRIC, "pod", "prometheus-agent-0", NULL, NULL);
    const struct ps_sample *s;
    size_t n = ps_facts_series_samples(W.f, id, &s);
    assert_int_equal(n, 85);                  /* the .prom files in the directory */
    assert_int_equal(s[0].t, 1795502084000LL);
    assert_true(s[0].v == 0);                 /* 1795502084.prom is empty */
    for (size_t i = 1; i < n; i++)
        assert_true(s[i].v > 100);
    /* The receiver's dumps stop for five minutes: the outage. */
    uint32_t r = find(PS_DUMP_SAMPLES_METRIC, "pod", "thanos-receive-0", NULL, NULL);
    struct ps_metrics_series_stats st;
    ps_metrics_series_stats(W.f, r, &st);
    assert_int_equal(st.n, 65);
    assert_int_equal(st.max_gap_ms, (1795502703LL - 1795502386LL) * 1000);
}

/* The compact summary accounts for every stored sample exactly once. */
static void
test_summary_json(void **state)
{
    (void)state;
    json_t *j = ps_metrics_summary_json(W.m, W.f);
    assert_non_null(j);
    json_int_t from_files = 0, from_metrics = 0;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(j, "files"), i, v)
        from_files += json_integer_value(json_object_get(v, "samples"));
    json_array_foreach(json_object_get(j, "metrics"), i, v)
        if (strcmp(json_string_value(json_object_get(v, "name")), PS_DUMP_SAMPLES_METRIC) != 0)
            from_metrics += json_integer_value(json_object_get(v, "samples"));
    assert_true(from_files > 40000);
    assert_int_equal(from_files, from_metrics);
    json_decref(j);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agent_remote_write_series),
        cmocka_unit_test(test_outage_visible),
        cmocka_unit_test(test_receiver_gap),
        cmocka_unit_test(test_file_records),
        cmocka_unit_test(test_api_tsdb_per_pod),
        cmocka_unit_test(test_summary_json),
        cmocka_unit_test(test_dump_samples_series),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
