/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_config_ingest.c - ps_config_ingest on the fixtures in
 * testdata/config/ (see its README for what each holds) and on the lab's
 * real configs: the facts and events published, their labels and values.
 * Expected values are read off the fixture files by hand (e.g. 1536Mi =
 * 1536 * 2^20 bytes), not copied from promsight's output.
 */
#include "test_util.h"

#include <math.h>

#include "promsight/ps_config.h"
#include "promsight/ps_facts.h"

#define T0 1795503351000LL   /* lab end time, ms */

struct fx {
    struct ps_facts *f;
    struct ps_diags d;
    struct ps_redact_stats st;
    enum ps_config_what what;
};

static void
ingest(struct fx *x, const char *file, const char *pod, enum ps_kind kind)
{
    char path[512];
    snprintf(path, sizeof(path), "testdata/config/%s", file);
    size_t n = 0;
    uint8_t *buf = ps_test_read_file(path, &n);
    assert_non_null(buf);
    x->f = ps_facts_new();
    assert_non_null(x->f);
    ps_diags_init(&x->d);
    memset(&x->st, 0, sizeof(x->st));
    struct ps_entry e;
    memset(&e, 0, sizeof(e));
    e.path = path;
    e.kind = kind;
    e.pod = pod;
    assert_int_equal(ps_config_ingest(&e, buf, n, T0, x->f, &x->st, &x->d, &x->what), PS_OK);
    free(buf);
}

static void
done(struct fx *x)
{
    ps_facts_free(x->f);
    ps_diags_free(&x->d);
}

/*
 * Value of the one series of metric whose labels include all of the
 * NULL-terminated name,value pairs; NAN if none, fails if several.
 */
static double
val(struct fx *x, const char *metric, ...)
{
    const uint32_t *ids;
    size_t n = ps_facts_metric_series(x->f, metric, &ids);
    double found = NAN;
    int hits = 0;
    for (size_t i = 0; i < n; i++) {
        va_list ap;
        va_start(ap, metric);
        int ok = 1;
        const char *k;
        while (ok && (k = va_arg(ap, const char *)) != NULL) {
            const char *v = va_arg(ap, const char *);
            const char *have = ps_facts_series_label(x->f, ids[i], k);
            ok = have != NULL && strcmp(have, v) == 0;
        }
        va_end(ap);
        if (!ok)
            continue;
        const struct ps_sample *s;
        size_t ns = ps_facts_series_samples(x->f, ids[i], &s);
        assert_int_equal(ns, 1);
        assert_int_equal(s[0].t, T0);
        found = s[0].v;
        hits++;
    }
    assert_true(hits <= 1);
    return found;
}

static size_t
events(struct fx *x, const char *cls, enum ps_sev sev, const char *needle)
{
    size_t c = 0;
    for (size_t i = 0; i < ps_facts_nevents(x->f); i++) {
        const struct ps_event *e = ps_facts_event(x->f, i);
        if (strcmp(e->cls, cls) == 0 && e->sev == sev &&
            (needle == NULL || strstr(e->message, needle) != NULL))
            c++;
    }
    return c;
}

static const struct ps_event *
event_with(struct fx *x, const char *cls, const char *needle)
{
    for (size_t i = 0; i < ps_facts_nevents(x->f); i++) {
        const struct ps_event *e = ps_facts_event(x->f, i);
        if (strcmp(e->cls, cls) == 0 && strstr(e->message, needle) != NULL)
            return e;
    }
    return NULL;
}

static void
test_agent_lab(void **state)
{
    (void)state;
    struct fx x;
    ingest(&x, "agent-lab.yml", "prometheus-agent-0", PS_KIND_CONFIG);
    assert_int_equal(x.what, PS_CFG_PROMETHEUS);
    assert_int_equal(ps_diags_count(&x.d, PS_SEV_NOTE), 0);
    /* queue_config: {max_shards: 10, capacity: 2500, max_samples_per_send: 500} */
    const char *rw = "promsight_config_remote_write_queue";
    assert_true(val(&x, rw, "param", "max_shards", "remote_name", "thanos", "pod", "prometheus-agent-0", NULL) == 10);
    assert_true(val(&x, rw, "param", "capacity", NULL) == 2500);
    assert_true(val(&x, rw, "param", "max_samples_per_send", NULL) == 500);
    /* not in the file: 2.42 defaults */
    assert_true(val(&x, rw, "param", "min_shards", NULL) == 1);
    assert_true(val(&x, rw, "param", "batch_send_deadline_seconds", NULL) == 5);
    assert_true(val(&x, rw, "param", "min_backoff_seconds", NULL) == 0.03);
    assert_true(val(&x, rw, "param", "retry_on_http_429", NULL) == 0);
    assert_true(val(&x, rw, "param", "capacity", "url",
                    "http://thanos-receive.monitoring:19291/api/v1/write", NULL) == 2500);
    assert_true(val(&x, "promsight_config_scrape_interval_seconds", "job", "app", NULL) == 5);
    assert_true(val(&x, "promsight_config_global_scrape_interval_seconds", NULL) == 5);
    assert_true(val(&x, "promsight_config_external_label", "name", "prometheus_replica",
                    "value", "prometheus-agent-0", NULL) == 1);
    /* the host says Thanos but the path is Prometheus' (the lab's stand-in
     * receiver really is Prometheus): a note, not a warning */
    assert_int_equal(events(&x, "remote_write.misconfigured", PS_SEV_NOTE, NULL), 1);
    assert_int_equal(events(&x, "remote_write.misconfigured", PS_SEV_WARN, NULL), 0);
    assert_int_equal(events(&x, "config.queue", PS_SEV_WARN, NULL), 0);
    const struct ps_event *e = event_with(&x, "remote_write.misconfigured", "thanos");
    assert_non_null(e);
    assert_int_equal(e->line, 12);   /* the "- url:" line */
    assert_string_equal(ps_facts_source_path(x.f, e->src), "testdata/config/agent-lab.yml");
    done(&x);
}

static void
test_server(void **state)
{
    (void)state;
    struct fx x;
    ingest(&x, "prometheus-server.yml", "prometheus-0", PS_KIND_CONFIG);
    assert_int_equal(x.what, PS_CFG_PROMETHEUS);
    /* merge key: node-exporter inherits 15s from &common */
    assert_true(val(&x, "promsight_config_scrape_interval_seconds", "job", "node-exporter", NULL) == 15);
    assert_true(val(&x, "promsight_config_scrape_timeout_seconds", "job", "node-exporter", NULL) == 5);
    assert_true(val(&x, "promsight_config_scrape_interval_seconds", "job", "prometheus", NULL) == 30);
    /* own key beats the merged one */
    assert_true(val(&x, "promsight_config_scrape_timeout_seconds", "job", "blackbox", NULL) == 4);
    assert_true(val(&x, "promsight_config_scrape_interval_seconds", "job", "blackbox", NULL) == 15);
    assert_true(val(&x, "promsight_config_scrape_interval_seconds", "job", "kube-state-metrics", NULL) == 60);
    assert_true(val(&x, "promsight_config_remote_writes", NULL) == 3);
    const char *rw = "promsight_config_remote_write_queue";
    assert_true(val(&x, rw, "remote_name", "thanos", "param", "max_shards", NULL) == 200);
    assert_true(val(&x, rw, "remote_name", "vendor", "param", "max_shards", NULL) == 20);
    assert_true(val(&x, rw, "remote_name", "vendor", "param", "min_shards", NULL) == 2);
    assert_true(val(&x, rw, "remote_name", "vendor", "param", "max_backoff_seconds", NULL) == 10);
    assert_true(val(&x, rw, "remote_name", "vendor", "param", "min_backoff_seconds", NULL) == 0.1);
    assert_true(val(&x, rw, "remote_name", "vendor", "param", "retry_on_http_429", NULL) == 1);
    assert_true(val(&x, rw, "remote_name", "vendor", "param", "remote_timeout_seconds", NULL) == 60);
    /* 5000 > 1000 */
    const struct ps_event *e = event_with(&x, "config.queue", "max_samples_per_send 5000 > capacity 1000");
    assert_non_null(e);
    assert_int_equal(e->sev, PS_SEV_WARN);
    assert_int_equal(e->line, 34);   /* "- url:" of the vendor item */
    /* /api/v1/push/ is Mimir's; /api/v1/recieve is a typo */
    e = event_with(&x, "remote_write.misconfigured", "/api/v1/recieve");
    assert_non_null(e);
    assert_int_equal(e->sev, PS_SEV_WARN);
    assert_int_equal(e->line, 46);
    assert_int_equal(events(&x, "remote_write.misconfigured", PS_SEV_WARN, NULL), 1);
    assert_int_equal(events(&x, "remote_write.misconfigured", PS_SEV_NOTE, NULL), 0);

    /* the struct API agrees */
    size_t n = 0;
    uint8_t *buf = ps_test_read_file("testdata/config/prometheus-server.yml", &n);
    struct ps_prom_config c;
    assert_int_equal(ps_config_parse_prom(buf, n, "p.yml", PS_RW_DEFAULTS_LATEST, &c, NULL, &x.d), PS_OK);
    free(buf);
    assert_int_equal(c.nrw, 3);
    assert_true(c.has_rules);
    assert_int_equal(c.rw[0].queue.capacity, 10000);
    assert_int_equal(c.rw[0].queue.given, 0);
    assert_int_equal(c.rw[1].queue.capacity, 1000);
    assert_int_equal(c.rw[1].queue.given & PS_RWQ_CAPACITY, PS_RWQ_CAPACITY);
    assert_int_equal(c.rw[1].queue.given & PS_RWQ_MAX_SHARDS, PS_RWQ_MAX_SHARDS);
    assert_int_equal(c.rw[1].queue.batch_send_deadline_ms, 10000);
    assert_int_equal(c.nexternal_labels, 2);
    assert_string_equal(c.external_labels[1].value, "prometheus-0");
    ps_prom_config_free(&c);
    done(&x);
}

static void
test_hashrings(void **state)
{
    (void)state;
    struct fx x;
    ingest(&x, "hashrings.json", "thanos-receive-0", PS_KIND_HASHRING);
    assert_int_equal(x.what, PS_CFG_HASHRINGS);
    assert_true(val(&x, "promsight_hashring_endpoints", "hashring", "tenant-a", NULL) == 3);
    assert_true(val(&x, "promsight_hashring_endpoints", "hashring", "default", NULL) == 4);
    assert_true(val(&x, "promsight_hashring_tenants", "hashring", "tenant-a", NULL) == 2);
    assert_true(val(&x, "promsight_hashring_tenants", "hashring", "default", NULL) == 0);
    assert_true(val(&x, "promsight_hashring_endpoint", "hashring", "default", "az", "zone-c",
                    "endpoint", "thanos-receive-default-2.thanos-receive-default.monitoring.svc.cluster.local:10901",
                    NULL) == 1);
    const struct ps_event *e = event_with(&x, "config.hashring", "twice");
    assert_non_null(e);
    assert_int_equal(e->line, 8);    /* the second listing */
    assert_int_equal(e->sev, PS_SEV_WARN);
    /* default ring says hashmod with 4 endpoints */
    assert_int_equal(events(&x, "config.hashring", PS_SEV_NOTE, "ketama"), 1);
    /* RF unknown here: no "fewer than the replication factor" */
    assert_int_equal(events(&x, "config.hashring", PS_SEV_ERROR, NULL), 0);
    done(&x);

    /* struct API */
    size_t n = 0;
    uint8_t *buf = ps_test_read_file("testdata/config/hashrings.json", &n);
    struct ps_hashrings h;
    struct ps_diags d;
    ps_diags_init(&d);
    assert_int_equal(ps_config_parse_hashrings(buf, n, "h.json", &h, NULL, &d), PS_OK);
    free(buf);
    assert_int_equal(h.n, 2);
    assert_int_equal(h.v[0].neps, 3);
    assert_null(h.v[0].eps[0].az);
    assert_string_equal(h.v[1].eps[3].az, "zone-a");
    assert_string_equal(h.v[1].algorithm, "hashmod");
    assert_string_equal(h.v[0].tenants[1], "team-b");
    ps_hashrings_free(&h);
    ps_diags_free(&d);
}

static void
check_agent_pod(struct fx *x)
{
    const char *ns = "monitoring", *pod = "prometheus-agent-0";
    assert_true(val(x, "promsight_k8s_pod_restarts", "namespace", ns, "pod", pod,
                    "container", "prometheus", NULL) == 7);
    assert_true(val(x, "promsight_k8s_pod_restarts", "pod", pod, "container", "config-reloader", NULL) == 0);
    assert_true(val(x, "promsight_k8s_pod_last_terminated", "pod", pod, "container", "prometheus",
                    "reason", "OOMKilled", NULL) == 1);
    assert_true(val(x, "promsight_k8s_pod_last_terminated_exit_code", "pod", pod,
                    "container", "prometheus", NULL) == 137);
    assert_true(val(x, "promsight_k8s_container_resource", "pod", pod, "container", "prometheus",
                    "resource", "memory", "kind", "limit", NULL) == 2147483648.0);
    assert_true(val(x, "promsight_k8s_container_resource", "pod", pod, "container", "prometheus",
                    "resource", "memory", "kind", "request", NULL) == 1536.0 * 1048576);
    assert_true(val(x, "promsight_k8s_container_resource", "pod", pod, "container", "prometheus",
                    "resource", "cpu", "kind", "request", NULL) == 0.5);
    assert_true(val(x, "promsight_k8s_pod_volume", "pod", pod, "volume", "data",
                    "claim", "data-prometheus-agent-0", NULL) == 1);
    assert_true(val(x, "promsight_k8s_pod_volume_size_limit_bytes", "pod", pod, "volume", "tmp",
                    NULL) == 500.0 * 1048576);
    assert_true(val(x, "promsight_config_retention_seconds", "pod", pod, "container", "prometheus",
                    "kind", "agent", NULL) == 7200);
    assert_true(val(x, "promsight_config_retention_seconds", "pod", pod, "kind", "agent_min", NULL) == 300);
    assert_true(val(x, "promsight_config_program", "pod", pod, "container", "prometheus",
                    "program", "agent", NULL) == 1);
    assert_true(val(x, "promsight_config_flag", "pod", pod, "flag", "web.enable-lifecycle", NULL) == 1);
    /* the OOM kill is an event at the time the container finished */
    const struct ps_event *e = event_with(x, "k8s.oom_killed", "prometheus-agent-0");
    assert_non_null(e);
    assert_int_equal(e->t, 1795501858000LL);   /* 2026-11-24T06:30:58Z */
    assert_int_equal(e->sev, PS_SEV_WARN);
}

static void
test_pods_json(void **state)
{
    (void)state;
    struct fx x;
    ingest(&x, "pods.json", NULL, PS_KIND_K8S_OBJECT);
    assert_int_equal(x.what, PS_CFG_K8S);
    check_agent_pod(&x);
    const char *pod = "thanos-receive-0";
    assert_true(val(&x, "promsight_config_replication_factor", "pod", pod, NULL) == 3);
    assert_true(val(&x, "promsight_config_retention_seconds", "pod", pod, "kind", "thanos", NULL) == 86400);
    assert_true(val(&x, "promsight_config_hashrings_algorithm", "pod", pod, "algorithm", "hashmod", NULL) == 1);
    assert_true(val(&x, "promsight_k8s_container_waiting", "pod", pod, "reason", "CrashLoopBackOff", NULL) == 1);
    assert_true(val(&x, "promsight_k8s_container_ready", "pod", pod, NULL) == 0);
    assert_int_equal(events(&x, "k8s.container_waiting", PS_SEV_WARN, "CrashLoopBackOff"), 1);
    assert_int_equal(events(&x, "k8s.container_terminated", PS_SEV_WARN, "Error (exit code 1)"), 1);
    assert_int_equal(ps_diags_count(&x.d, PS_SEV_WARN), 0);
    done(&x);
}

static void
test_pod_yaml_same(void **state)
{
    (void)state;
    struct fx x;
    ingest(&x, "pod-agent.yaml", NULL, PS_KIND_K8S_OBJECT);
    assert_int_equal(x.what, PS_CFG_K8S);
    check_agent_pod(&x);
    done(&x);
}

static void
test_pvc_sts_configmap(void **state)
{
    (void)state;
    struct fx x;
    ingest(&x, "pvc.json", NULL, PS_KIND_K8S_OBJECT);
    assert_true(val(&x, "promsight_k8s_pvc_capacity_bytes", "namespace", "monitoring",
                    "persistentvolumeclaim", "data-prometheus-agent-0", "storageclass", "gp3", NULL) ==
                20.0 * 1073741824);
    assert_true(val(&x, "promsight_k8s_pvc_request_bytes", NULL) == 10.0 * 1073741824);
    done(&x);

    ingest(&x, "statefulset.yaml", NULL, PS_KIND_K8S_OBJECT);
    const char *m = "promsight_k8s_statefulset_replicas";
    assert_true(val(&x, m, "statefulset", "thanos-receive", "state", "desired", NULL) == 3);
    assert_true(val(&x, m, "statefulset", "thanos-receive", "state", "ready", NULL) == 2);
    assert_true(val(&x, m, "statefulset", "thanos-receive", "state", "available", NULL) == 2);
    assert_true(val(&x, "promsight_k8s_volume_claim_template_request_bytes", "claim", "data", NULL) ==
                50.0 * 1073741824);
    assert_true(val(&x, "promsight_config_replication_factor", "workload", "thanos-receive", NULL) == 3);
    assert_true(val(&x, "promsight_config_hashrings_algorithm", "workload", "thanos-receive",
                    "algorithm", "ketama", NULL) == 1);
    assert_true(val(&x, "promsight_k8s_container_resource", "workload", "thanos-receive",
                    "resource", "memory", "kind", "limit", NULL) == 8.0 * 1073741824);
    done(&x);

    ingest(&x, "configmap-prometheus.yaml", NULL, PS_KIND_K8S_OBJECT);
    assert_int_equal(x.what, PS_CFG_K8S);
    assert_true(val(&x, "promsight_config_remote_write_queue", "param", "capacity",
                    "configmap", "prometheus-agent-config:prometheus.yml", NULL) == 2000);
    assert_true(val(&x, "promsight_config_scrape_interval_seconds", "job", "kubernetes-pods", NULL) == 30);
    assert_true(val(&x, "promsight_hashring_endpoints", "hashring", "default",
                    "configmap", "prometheus-agent-config:hashrings.json", NULL) == 2);
    /* line of "- url:" inside the block scalar, counted in the outer file:
     * the block starts after line 13 ("prometheus.yml: |"), "- url:" is
     * its 11th line, so line 24 of the file */
    const struct ps_event *e = event_with(&x, "config.queue", "3000 > capacity 2000");
    assert_non_null(e);
    assert_int_equal(e->line, 24);
    done(&x);
}

static void
test_df(void **state)
{
    (void)state;
    struct fx x;
    const double G = 1073741824.0;
    ingest(&x, "df-h.txt", "prometheus-agent-0", PS_KIND_TEXT);
    assert_int_equal(x.what, PS_CFG_DF);
    assert_true(val(&x, "kubelet_volume_stats_capacity_bytes", "pod", "prometheus-agent-0",
                    "mountpoint", "/prometheus", NULL) == 9.8 * G);
    assert_true(val(&x, "kubelet_volume_stats_used_bytes", "mountpoint", "/prometheus", NULL) == 7.4 * G);
    assert_true(val(&x, "kubelet_volume_stats_available_bytes", "mountpoint", "/prometheus", NULL) == 2.4 * G);
    /* every row under promsight_df_*, only volumes under the kubelet's names */
    assert_true(val(&x, "promsight_df_used_bytes", "mountpoint", "/dev", "filesystem", "tmpfs", NULL) == 0);
    assert_true(val(&x, "promsight_df_size_bytes", "mountpoint", "/", NULL) == 97 * G);
    assert_true(isnan(val(&x, "kubelet_volume_stats_used_bytes", "mountpoint", "/dev", NULL)));
    assert_true(isnan(val(&x, "kubelet_volume_stats_used_bytes", "mountpoint", "/", NULL)));
    assert_true(isnan(val(&x, "kubelet_volume_stats_used_bytes", "mountpoint", "/dev/shm", NULL)));
    done(&x);

    ingest(&x, "df-B1.txt", "thanos-receive-0", PS_KIND_TEXT);
    assert_int_equal(x.what, PS_CFG_DF);
    /* the wrapped line: long device name alone, numbers on the next */
    assert_true(val(&x, "kubelet_volume_stats_capacity_bytes", "mountpoint", "/var/thanos/receive",
                    "filesystem", "/dev/mapper/vg0-pvc--0a6e1c1e--4f3b--4d7e--9b7e--6f0c2c1d2e3f",
                    NULL) == 10501771264.0);
    assert_true(val(&x, "promsight_df_used_bytes", "mountpoint", "/", NULL) == 43889364992.0);
    done(&x);

    ingest(&x, "df-k.txt", NULL, PS_KIND_TEXT);
    assert_true(val(&x, "kubelet_volume_stats_capacity_bytes", "mountpoint", "/prometheus", NULL) ==
                10255636.0 * 1024);
    done(&x);

    ingest(&x, "df-PT.txt", NULL, PS_KIND_TEXT);
    assert_true(val(&x, "kubelet_volume_stats_available_bytes", "mountpoint", "/data/my volume",
                    NULL) == 2479544.0 * 1024);
    done(&x);
}

static void
test_limits_and_flags_file(void **state)
{
    (void)state;
    struct fx x;
    ingest(&x, "limits.yaml", "thanos-receive-0", PS_KIND_CONFIG);
    assert_int_equal(x.what, PS_CFG_LIMITS);
    const char *m = "promsight_config_receive_limit";
    assert_true(val(&x, m, "tenant", "global", "limit", "max_concurrency", NULL) == 30);
    assert_true(val(&x, m, "tenant", "default", "limit", "series_limit", NULL) == 5000);
    assert_true(val(&x, m, "tenant", "default", "limit", "head_series_limit", NULL) == 2000000);
    assert_true(val(&x, m, "tenant", "team-a", "limit", "head_series_limit", NULL) == 500000);
    done(&x);

    ingest(&x, "flags.txt", "thanos-receive-0", PS_KIND_TEXT);
    assert_int_equal(x.what, PS_CFG_FLAGS);
    assert_true(val(&x, "promsight_config_replication_factor", "pod", "thanos-receive-0", NULL) == 3);
    assert_true(val(&x, "promsight_config_retention_bytes", "kind", "thanos", NULL) == 40.0 * 1073741824);
    done(&x);
}

/* Prometheus' own API answers from the lab (prometheus-0/api/). */
static void
test_api_status(void **state)
{
    (void)state;
    struct fx x;
    ingest(&x, "api-status-config.json", "prometheus-0", PS_KIND_API_JSON);
    assert_int_equal(x.what, PS_CFG_PROMETHEUS);
    /* prometheus-0.yml sets no timeout; the server reports 5s = the interval */
    assert_true(val(&x, "promsight_config_scrape_timeout_seconds", "job", "node-exporter",
                    "pod", "prometheus-0", NULL) == 5);
    assert_true(val(&x, "promsight_config_evaluation_interval_seconds", NULL) == 15);
    done(&x);

    ingest(&x, "api-status-flags.json", "prometheus-0", PS_KIND_API_JSON);
    assert_int_equal(x.what, PS_CFG_FLAGS);
    assert_true(val(&x, "promsight_config_program", "program", "prometheus", NULL) == 1);
    /* "storage.tsdb.retention.time": "2d" */
    assert_true(val(&x, "promsight_config_retention_seconds", "kind", "tsdb", NULL) == 2 * 86400);
    assert_true(val(&x, "promsight_config_flag", "flag", "config.file", "value", "prometheus-0.yml",
                    NULL) == 1);
    /* a server: no agent retention series although the agent flags are listed */
    assert_true(isnan(val(&x, "promsight_config_retention_seconds", "kind", "agent", NULL)));
    done(&x);
}

/* --receive.hashrings=<json> is read and checked against the same
 * command line's replication factor (3 > 2 endpoints). */
static void
test_inline_hashrings_flag(void **state)
{
    (void)state;
    static const char text[] =
        "thanos receive --receive.replication-factor=3 \\\n"
        "  --receive.hashrings='[{\"hashring\": \"r\", \"endpoints\": [\"a:10901\", \"b:10901\"]}]' \\\n"
        "  --receive.limits-config='write: {default: {head_series_limit: 42}}'\n";
    struct ps_facts *f = ps_facts_new();
    struct ps_diags d;
    ps_diags_init(&d);
    struct ps_entry e;
    memset(&e, 0, sizeof(e));
    e.path = "thanos-receive-0/cmdline";
    e.pod = "thanos-receive-0";
    e.kind = PS_KIND_TEXT;
    enum ps_config_what w;
    assert_int_equal(ps_config_ingest(&e, (const uint8_t *)text, sizeof(text) - 1, T0, f, NULL, &d, &w), PS_OK);
    assert_int_equal(w, PS_CFG_FLAGS);
    struct fx x = {f, d, {0, 0, 0}, w};
    assert_true(val(&x, "promsight_hashring_endpoints", "hashring", "r", "pod", "thanos-receive-0", NULL) == 2);
    assert_true(val(&x, "promsight_config_receive_limit", "tenant", "default", NULL) == 42);
    assert_int_equal(events(&x, "config.hashring", PS_SEV_ERROR, "fewer than the replication factor 3"), 1);
    ps_facts_free(f);
    ps_diags_free(&d);
}

/* prometheus-operator's PrometheusAgent resource */
static void
test_operator_cr(void **state)
{
    (void)state;
    struct fx x;
    ingest(&x, "prometheusagent-cr.yaml", NULL, PS_KIND_K8S_OBJECT);
    assert_int_equal(x.what, PS_CFG_K8S);
    const char *rw = "promsight_config_remote_write_queue";
    assert_true(val(&x, rw, "workload", "agent", "param", "capacity", NULL) == 1000);
    assert_true(val(&x, rw, "workload", "agent", "param", "max_samples_per_send", NULL) == 2000);
    assert_true(val(&x, rw, "workload", "agent", "param", "max_shards", NULL) == 30);
    assert_true(val(&x, rw, "workload", "agent", "param", "min_backoff_seconds", NULL) == 0.05);
    assert_true(val(&x, rw, "workload", "agent", "param", "retry_on_http_429", NULL) == 1);
    assert_true(val(&x, rw, "workload", "agent", "param", "min_shards", NULL) == 1);   /* default */
    assert_true(val(&x, "promsight_config_global_scrape_interval_seconds", "workload", "agent", NULL) == 15);
    const struct ps_event *e = event_with(&x, "config.queue", "2000 > capacity 1000");
    assert_non_null(e);
    assert_int_equal(e->line, 12);
    /* basicAuth refers to a Secret by name: nothing to redact, no diag */
    assert_int_equal(ps_redact_total(&x.st), 0);
    assert_int_equal(x.d.n, 0);
    done(&x);
}

/* kubectl get events -o json */
static void
test_k8s_events(void **state)
{
    (void)state;
    struct fx x;
    ingest(&x, "events.json", NULL, PS_KIND_K8S_OBJECT);
    assert_int_equal(x.what, PS_CFG_K8S);
    assert_true(val(&x, "promsight_k8s_event_count", "object", "prometheus-agent-0",
                    "reason", "BackOff", "type", "Warning", "object_kind", "Pod", NULL) == 4);
    const struct ps_event *e = event_with(&x, "k8s.event", "BackOff (x4)");
    assert_non_null(e);
    assert_int_equal(e->sev, PS_SEV_WARN);
    assert_int_equal(e->t, 1795501859000LL);   /* lastTimestamp 06:30:59Z */
    e = event_with(&x, "k8s.event", "Started");
    assert_non_null(e);
    assert_int_equal(e->sev, PS_SEV_NOTE);
    done(&x);
}

/* A shell-wrapped command line in a pod spec is split into flags. */
static void
test_shell_wrapped_args(void **state)
{
    (void)state;
    static const char pod[] =
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p-0, namespace: m}\n"
        "spec:\n  containers:\n  - name: prometheus\n"
        "    command: [/bin/sh, -c]\n"
        "    args:\n    - exec /bin/prometheus --enable-feature=agent "
        "--storage.agent.retention.max-time=6h --config.file='/etc/p.yml'\n";
    struct ps_facts *f = ps_facts_new();
    struct ps_diags d;
    ps_diags_init(&d);
    assert_int_equal(ps_config_ingest(NULL, (const uint8_t *)pod, sizeof(pod) - 1, T0, f, NULL, &d, NULL), PS_OK);
    struct fx x = {f, d, {0, 0, 0}, PS_CFG_K8S};
    assert_true(val(&x, "promsight_config_retention_seconds", "pod", "p-0", "kind", "agent", NULL) == 6 * 3600);
    assert_true(val(&x, "promsight_config_flag", "pod", "p-0", "flag", "config.file", "value", "/etc/p.yml", NULL) == 1);
    assert_true(val(&x, "promsight_config_program", "pod", "p-0", "program", "agent", NULL) == 1);
    ps_facts_free(f);
    ps_diags_free(&d);
}

/* Two pod-less files with the same job must not share a series. */
static void
test_file_label(void **state)
{
    (void)state;
    struct ps_facts *f = ps_facts_new();
    struct ps_diags d;
    ps_diags_init(&d);
    const char *files[] = {"testdata/config/agent-lab.yml", "testdata/config/prometheus-lab.yml"};
    for (int i = 0; i < 2; i++) {
        size_t n = 0;
        uint8_t *buf = ps_test_read_file(files[i], &n);
        assert_non_null(buf);
        struct ps_entry e;
        memset(&e, 0, sizeof(e));
        e.path = files[i];
        e.kind = PS_KIND_CONFIG;
        assert_int_equal(ps_config_ingest(&e, buf, n, T0, f, NULL, &d, NULL), PS_OK);
        free(buf);
    }
    const uint32_t *ids;
    size_t n = ps_facts_metric_series(f, "promsight_config_scrape_interval_seconds", &ids);
    size_t node = 0;
    for (size_t i = 0; i < n; i++) {
        const char *job = ps_facts_series_label(f, ids[i], "job");
        if (strcmp(job, "node-exporter") == 0) {
            node++;
            assert_non_null(ps_facts_series_label(f, ids[i], "file"));
        }
    }
    assert_int_equal(node, 2);
    ps_facts_free(f);
    ps_diags_free(&d);
}

static void
test_not_ours(void **state)
{
    (void)state;
    struct ps_facts *f = ps_facts_new();
    struct ps_diags d;
    ps_diags_init(&d);
    enum ps_config_what w;
    static const char readme[] = "This bundle was collected by collect.sh: run it again.\n";
    struct ps_entry e;
    memset(&e, 0, sizeof(e));
    e.path = "README";
    e.kind = PS_KIND_TEXT;
    assert_int_equal(ps_config_ingest(&e, (const uint8_t *)readme, sizeof(readme) - 1, T0, f, NULL, &d, &w), PS_OK);
    assert_int_equal(w, PS_CFG_NONE);
    assert_int_equal(ps_facts_nseries(f), 0);
    assert_int_equal(d.n, 0);
    assert_int_equal(ps_config_ingest(&e, NULL, 0, T0, f, NULL, &d, &w), PS_OK);
    assert_int_equal(w, PS_CFG_NONE);
    /* an Alertmanager config has "global" too */
    static const char am[] = "global:\n  resolve_timeout: 5m\nroute:\n  receiver: team\n"
                             "receivers:\n  - name: team\n";
    e.kind = PS_KIND_CONFIG;
    assert_int_equal(ps_config_ingest(&e, (const uint8_t *)am, sizeof(am) - 1, T0, f, NULL, &d, &w), PS_OK);
    assert_int_equal(w, PS_CFG_NONE);
    assert_int_equal(ps_facts_nseries(f), 0);
    ps_facts_free(f);
    ps_diags_free(&d);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agent_lab),
        cmocka_unit_test(test_server),
        cmocka_unit_test(test_hashrings),
        cmocka_unit_test(test_pods_json),
        cmocka_unit_test(test_pod_yaml_same),
        cmocka_unit_test(test_pvc_sts_configmap),
        cmocka_unit_test(test_df),
        cmocka_unit_test(test_limits_and_flags_file),
        cmocka_unit_test(test_api_status),
        cmocka_unit_test(test_inline_hashrings_flag),
        cmocka_unit_test(test_operator_cr),
        cmocka_unit_test(test_k8s_events),
        cmocka_unit_test(test_shell_wrapped_args),
        cmocka_unit_test(test_file_label),
        cmocka_unit_test(test_not_ours),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
