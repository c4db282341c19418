/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_config_values.c - value syntaxes (durations, Kubernetes quantities,
 * sizes), queue_config defaults, and command-line flags.
 *
 * Expected durations follow Prometheus' model.ParseDuration grammar
 * (units y w d h m s ms in that order, y = 365d); quantities follow the
 * Kubernetes resource.Quantity suffixes (Ki = 2^10, k = 10^3, m = 10^-3).
 */
#include "test_util.h"

#include <math.h>

#include "promsight/ps_config.h"

static int64_t
dur(const char *s)
{
    int64_t ms = -12345;
    if (!ps_config_parse_duration(s, strlen(s), &ms))
        return -1;
    return ms;
}

static void
test_durations(void **state)
{
    (void)state;
    assert_int_equal(dur("5s"), 5000);
    assert_int_equal(dur("30ms"), 30);
    assert_int_equal(dur("1h30m"), 5400000);
    assert_int_equal(dur("15d"), 15LL * 86400 * 1000);
    assert_int_equal(dur("1y"), 365LL * 86400 * 1000);
    assert_int_equal(dur("2w1d"), 15LL * 86400 * 1000);
    assert_int_equal(dur("1m5s100ms"), 65100);
    assert_int_equal(dur("0"), 0);
    assert_int_equal(dur("0s"), 0);
    /* invalid: wrong order, repeated unit, no unit, fractions, junk */
    assert_int_equal(dur("5s1m"), -1);
    assert_int_equal(dur("1m1m"), -1);
    assert_int_equal(dur("15"), -1);
    assert_int_equal(dur("1.5h"), -1);
    assert_int_equal(dur(""), -1);
    assert_int_equal(dur("h"), -1);
    assert_int_equal(dur("-5s"), -1);
    assert_int_equal(dur("99999999999999999999y"), -1);
}

static double
qty(const char *s)
{
    double v;
    return ps_config_parse_quantity(s, strlen(s), &v) ? v : -1;
}

static double
sz(const char *s)
{
    double v;
    return ps_config_parse_size(s, strlen(s), &v) ? v : -1;
}

static void
test_quantities(void **state)
{
    (void)state;
    assert_true(qty("2Gi") == 2147483648.0);
    assert_true(qty("1536Mi") == 1536.0 * 1048576);
    assert_true(fabs(qty("500m") - 0.5) < 1e-12);
    assert_true(qty("1") == 1);
    assert_true(qty("1G") == 1e9);
    assert_true(qty("1e3") == 1000);
    assert_true(qty("1E") == 1e18);
    assert_true(qty("100k") == 1e5);
    assert_true(qty("1.5Gi") == 1.5 * 1073741824.0);
    assert_true(qty("Gi") == -1);
    assert_true(qty("1Gb") == -1);
    assert_true(qty("0x10") == -1);
    assert_true(qty("") == -1);
}

static void
test_sizes(void **state)
{
    (void)state;
    assert_true(sz("4096") == 4096);
    assert_true(sz("9.8G") == 9.8 * 1073741824.0);
    assert_true(sz("64M") == 64.0 * 1048576);
    assert_true(sz("512MB") == 512.0 * 1048576);
    assert_true(sz("40GiB") == 40.0 * 1073741824.0);
    assert_true(sz("0") == 0);
    assert_true(sz("1K") == 1024);
    assert_true(sz("1X") == -1);
    assert_true(sz("G") == -1);
    assert_true(sz("1GGB") == -1);
}

static void
test_queue_defaults(void **state)
{
    (void)state;
    struct ps_rw_queue q;
    /* 2.42: read from a running Debian prometheus 2.42.0's
     * /api/v1/status/config with a remote_write without queue_config */
    ps_config_queue_defaults(&q, PS_RW_DEFAULTS_2_42);
    assert_int_equal(q.capacity, 2500);
    assert_int_equal(q.max_shards, 200);
    assert_int_equal(q.min_shards, 1);
    assert_int_equal(q.max_samples_per_send, 500);
    assert_int_equal(q.batch_send_deadline_ms, 5000);
    assert_int_equal(q.min_backoff_ms, 30);
    assert_int_equal(q.max_backoff_ms, 5000);
    assert_int_equal(q.retry_on_http_429, 0);
    assert_int_equal(q.given, 0);
    ps_config_queue_defaults(&q, PS_RW_DEFAULTS_LATEST);
    assert_int_equal(q.capacity, 10000);
    assert_int_equal(q.max_shards, 50);
    assert_int_equal(q.max_samples_per_send, 2000);
}

static void
test_flags_argv(void **state)
{
    (void)state;
    const char *argv[] = {"/bin/prometheus", "--config.file", "/etc/p.yml",
                          "--enable-feature=exemplar-storage,agent",
                          "--storage.agent.retention.max-time=2h",
                          "--web.enable-lifecycle", "--web.listen-address", ":9090",
                          "--web.basic-auth-password=hunter2",
                          "--remote.url=https://u:pw123@x.example/api/v1/write"};
    struct ps_flags f;
    struct ps_redact_stats st = {0, 0, 0};
    assert_int_equal(ps_config_parse_flags(argv, sizeof(argv) / sizeof(argv[0]), &f, &st), PS_OK);
    assert_int_equal(f.program, PS_PROG_AGENT);
    assert_string_equal(f.config_file, "/etc/p.yml");
    assert_int_equal(f.agent_retention_max_ms, 2 * 3600 * 1000);
    assert_int_equal(f.agent_retention_min_ms, PS_CFG_UNSET);
    assert_int_equal(f.nall, 7);
    /* a boolean flag does not eat the next flag, and "--a b" pairs */
    assert_string_equal(f.all[3].name, "web.enable-lifecycle");
    assert_string_equal(f.all[3].value, "");
    assert_string_equal(f.all[4].name, "web.listen-address");
    assert_string_equal(f.all[4].value, ":9090");
    assert_string_equal(f.all[5].value, PS_REDACTED);
    assert_null(strstr(f.all[6].value, "pw123"));
    assert_int_equal(st.key_value, 1);
    assert_int_equal(st.url_auth, 1);
    ps_config_flags_effective(&f);
    assert_int_equal(f.agent_retention_max_ms, 2 * 3600 * 1000);
    assert_int_equal(f.agent_retention_min_ms, 5 * 60 * 1000);
    ps_flags_free(&f);
}

static void
test_flags_text(void **state)
{
    (void)state;
    size_t n = 0;
    uint8_t *buf = ps_test_read_file("testdata/config/flags.txt", &n);
    assert_non_null(buf);
    struct ps_flags f;
    assert_int_equal(ps_config_parse_flags_text(buf, n, &f, NULL), PS_OK);
    free(buf);
    assert_int_equal(f.program, PS_PROG_THANOS_RECEIVE);
    assert_int_equal(f.replication_factor, 3);
    assert_string_equal(f.hashrings_algorithm, "ketama");
    assert_string_equal(f.hashrings_file, "/etc/thanos/hashrings.json");
    assert_string_equal(f.limits_config_file, "/etc/thanos/limits.yaml");
    assert_int_equal(f.thanos_retention_ms, 86400 * 1000);
    assert_int_equal(f.thanos_retention_bytes, 40LL << 30);
    /* the quoted label keeps its inner quotes' content */
    int found = 0;
    for (size_t i = 0; i < f.nall; i++)
        if (strcmp(f.all[i].name, "label") == 0) {
            assert_string_equal(f.all[i].value, "replica=\"$(NAME)\"");
            found = 1;
        }
    assert_true(found);
    ps_flags_free(&f);

    /* defaults for a bare receiver */
    const char *argv[] = {"thanos", "receive", "--tsdb.path=/data"};
    assert_int_equal(ps_config_parse_flags(argv, 3, &f, NULL), PS_OK);
    assert_int_equal(f.program, PS_PROG_THANOS_RECEIVE);
    assert_int_equal(f.replication_factor, PS_CFG_UNSET);
    ps_config_flags_effective(&f);
    assert_int_equal(f.replication_factor, 1);
    assert_string_equal(f.hashrings_algorithm, "hashmod");
    assert_int_equal(f.thanos_retention_ms, 15LL * 86400 * 1000);
    ps_flags_free(&f);

    /* Thanos: --tsdb.retention=0d keeps forever */
    const char *argv3[] = {"thanos", "receive", "--tsdb.retention=0d"};
    assert_int_equal(ps_config_parse_flags(argv3, 3, &f, NULL), PS_OK);
    ps_config_flags_effective(&f);
    assert_int_equal(f.thanos_retention_ms, PS_CFG_INFINITE);
    ps_flags_free(&f);

    /* a server with only a size limit has no time limit */
    const char *argv2[] = {"prometheus", "--storage.tsdb.retention.size=512MB"};
    assert_int_equal(ps_config_parse_flags(argv2, 2, &f, NULL), PS_OK);
    ps_config_flags_effective(&f);
    assert_int_equal(f.program, PS_PROG_PROMETHEUS);
    assert_int_equal(f.tsdb_retention_bytes, 512LL << 20);
    assert_int_equal(f.tsdb_retention_ms, PS_CFG_UNSET);
    ps_flags_free(&f);
}

/*
 * Oracle: Prometheus 2.42's own view of a config (/api/v1/status/config,
 * every default written out, merge keys resolved) must parse to exactly
 * what promsight makes of the file it ran with. See the oracle files'
 * headers for the commands.
 */
static void
load_prom(const char *path, struct ps_prom_config *c)
{
    size_t n = 0;
    uint8_t *buf = ps_test_read_file(path, &n);
    assert_non_null(buf);
    struct ps_diags d;
    ps_diags_init(&d);
    assert_int_equal(ps_config_parse_prom(buf, n, path, PS_RW_DEFAULTS_2_42, c, NULL, &d), PS_OK);
    assert_int_equal(d.n, 0);
    ps_diags_free(&d);
    free(buf);
}

static void
compare_with_oracle(const char *file, const char *oracle)
{
    struct ps_prom_config a, b;
    load_prom(file, &a);
    load_prom(oracle, &b);
    assert_int_equal(a.scrape_interval_ms, b.scrape_interval_ms);
    assert_int_equal(a.scrape_timeout_ms, b.scrape_timeout_ms);
    assert_int_equal(a.evaluation_interval_ms, b.evaluation_interval_ms);
    assert_int_equal(a.njobs, b.njobs);
    for (size_t i = 0; i < a.njobs; i++) {
        assert_string_equal(a.jobs[i].job, b.jobs[i].job);
        assert_int_equal(a.jobs[i].interval_ms, b.jobs[i].interval_ms);
        assert_int_equal(a.jobs[i].timeout_ms, b.jobs[i].timeout_ms);
    }
    assert_int_equal(a.nrw, b.nrw);
    assert_true(a.nrw > 0);
    for (size_t i = 0; i < a.nrw; i++) {
        const struct ps_rw_queue *x = &a.rw[i].queue, *y = &b.rw[i].queue;
        assert_string_equal(a.rw[i].url, b.rw[i].url);
        assert_int_equal(a.rw[i].remote_timeout_ms, b.rw[i].remote_timeout_ms);
        assert_int_equal(x->capacity, y->capacity);
        assert_int_equal(x->max_shards, y->max_shards);
        assert_int_equal(x->min_shards, y->min_shards);
        assert_int_equal(x->max_samples_per_send, y->max_samples_per_send);
        assert_int_equal(x->batch_send_deadline_ms, y->batch_send_deadline_ms);
        assert_int_equal(x->min_backoff_ms, y->min_backoff_ms);
        assert_int_equal(x->max_backoff_ms, y->max_backoff_ms);
        assert_int_equal(x->retry_on_http_429, y->retry_on_http_429);
        /* the oracle spells every default out */
        assert_true((y->given & 0x7f) == 0x7f);
    }
    ps_prom_config_free(&a);
    ps_prom_config_free(&b);
}

static void
test_prometheus_2_42_oracle(void **state)
{
    (void)state;
    compare_with_oracle("testdata/config/prometheus-server.yml",
                        "testdata/config/oracle/prometheus-server.status-config.yml");
    compare_with_oracle("testdata/config/agent-lab.yml",
                        "testdata/config/oracle/agent-lab.status-config.yml");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_quantities),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_queue_defaults),
        cmocka_unit_test(test_flags_argv),
        cmocka_unit_test(test_flags_text),
        cmocka_unit_test(test_prometheus_2_42_oracle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
