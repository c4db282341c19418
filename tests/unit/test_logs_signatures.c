/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_logs_signatures.c - the shipped signature set and its loader:
 * every reference signature (P1-P21, T1-T19) is present with a known
 * problem class; strict validation reports the file line of each mistake;
 * the prefilter never changes a result (checked against running every
 * pattern in order with plain pcre2_match on every line of the corpus and
 * the fixtures); field extraction from groups and logfmt keys.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "test_util.h"

#include "logs/logs_int.h"

static struct ps_sigset *
load_models(void)
{
    struct ps_sigset *s;
    struct ps_diags d;
    ps_diags_init(&d);
    assert_int_equal(ps_sigset_new(&s), PS_OK);
    assert_int_equal(ps_sigset_load_dir(s, "models/signatures", &d), PS_OK);
    assert_int_equal(ps_sigset_compile(s, &d), PS_OK);
    assert_int_equal(d.n, 0);
    ps_diags_free(&d);
    return s;
}

/* Problem classes agreed for rules and reports (issue 4), plus lifecycle. */
static const char *const classes[] = {
    "remote_write.unreachable", "remote_write.timeout", "remote_write.throttled",
    "remote_write.server_error", "remote_write.rejected", "remote_write.misconfigured",
    "remote_write.behind", "remote_write.shards_maxed", "remote_write.data_loss_risk",
    "wal.corruption", "wal.truncation_failed", "wal.growth", "disk.full",
    "disk.exhaustion_forecast", "receiver.hashring", "receiver.replication",
    "receiver.forwarding", "receiver.not_ready", "receiver.tenant_limit",
    "receiver.out_of_order", "receiver.duplicate", "receiver.out_of_bounds",
    "receiver.upload_stalled", "tsdb.overlap", "tsdb.corruption",
    "tsdb.compaction_failed", "tsdb.gap", "cardinality.high", "churn.high",
    "pod.restarts", "pod.oomkilled", "config.queue", "config.hashring",
};

static void
test_all_reference_signatures(void **state)
{
    (void)state;
    struct ps_sigset *s = load_models();
    for (int k = 0; k < 2; k++) {
        for (int i = 1; i <= (k == 0 ? 21 : 19); i++) {
            char id[16];
            snprintf(id, sizeof(id), "%c%d", k == 0 ? 'P' : 'T', i);
            if (ps_sigset_find(s, id) < 0)
                fail_msg("signature %s missing", id);
        }
    }
    for (size_t i = 0; i < ps_sigset_count(s); i++) {
        const struct ps_signature *g = ps_sigset_get(s, i);
        int ok = strncmp(g->cls, "lifecycle.", 10) == 0;
        for (size_t c = 0; c < sizeof(classes) / sizeof(classes[0]) && !ok; c++)
            ok = strcmp(g->cls, classes[c]) == 0;
        if (!ok)
            fail_msg("%s: class %s is not an agreed class", g->id, g->cls);
        assert_true(strlen(g->source) > 10);
        assert_true(strlen(g->summary) > 5);
        assert_true(g->nprefilter >= 1);
    }
    /* The storage catch-alls and the disk-full shape are there too. */
    assert_true(ps_sigset_find(s, "S1") >= 0);
    assert_true(ps_sigset_find(s, "D1") >= 0);
    ps_sigset_free(s);
}

struct bad_case {
    const char *yaml;
    uint32_t line;
    const char *needle;
};

static void
test_validation(void **state)
{
    (void)state;
    static const char head[] = "signatures:\n"
                               "  - id: A1\n"
                               "    class: disk.full\n"
                               "    severity: warning\n"
                               "    prefilter: 'no space'\n"
                               "    pattern: 'no space left'\n"
                               "    source: 'somewhere.go:1'\n"
                               "    summary: 'disk full'\n";
    static const struct bad_case cases[] = {
        {"  - id: A2\n    class: disk.full\n    severity: warning\n    prefilter: 'abc'\n"
         "    pattern: 'abc'\n    source: 'x.go:1'\n    summary: 's'\n    colour: red\n",
         16, "unknown key 'colour'"},
        {"  - id: A1\n    class: disk.full\n    severity: warning\n    prefilter: 'abc'\n"
         "    pattern: 'abc'\n    source: 'x.go:1'\n    summary: 's'\n",
         9, "duplicate signature id 'A1'"},
        {"  - id: A3\n    class: disk.full\n    severity: warning\n    prefilter: 'abc'\n"
         "    pattern: 'abc(('\n    source: 'x.go:1'\n    summary: 's'\n",
         13, "bad pattern"},
        {"  - id: A4\n    class: disk.full\n    severity: warning\n    prefilter: 'xyz'\n"
         "    pattern: 'abc'\n    source: 'x.go:1'\n    summary: 's'\n",
         12, "does not occur literally"},
        {"  - id: A5\n    class: disk.full\n    severity: loud\n    prefilter: 'abc'\n"
         "    pattern: 'abc'\n    source: 'x.go:1'\n    summary: 's'\n",
         11, "severity 'loud'"},
        {"  - id: A6\n    class: Disk\n    severity: info\n    prefilter: 'abc'\n"
         "    pattern: 'abc'\n    source: 'x.go:1'\n    summary: 's'\n",
         10, "class 'Disk'"},
        {"  - id: A7\n    class: disk.full\n    severity: info\n    prefilter: 'abc'\n"
         "    pattern: 'abc'\n    summary: 's'\n",
         9, "missing key 'source'"},
        {"  - id: A8\n    class: disk.full\n    severity: info\n    prefilter: 'abc'\n"
         "    pattern: 'abc'\n    source: 'x.go:1'\n    summary: 's'\n    fields: [ok, 'bad-name']\n",
         16, "field name 'bad-name'"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char yaml[2048];
        snprintf(yaml, sizeof(yaml), "%s%s", head, cases[i].yaml);
        struct ps_sigset *s;
        struct ps_diags d;
        ps_diags_init(&d);
        assert_int_equal(ps_sigset_new(&s), PS_OK);
        assert_int_equal(ps_sigset_add_yaml(s, "t.yaml", yaml, strlen(yaml), &d),
                         PS_E_SYNTAX);
        /* The good signature before the bad one is kept. */
        assert_true(ps_sigset_find(s, "A1") >= 0);
        assert_true(d.n >= 1);
        if (strstr(d.v[0].msg, cases[i].needle) == NULL || d.v[0].line != cases[i].line)
            fail_msg("case %zu: got line %u '%s', want line %u '%s'", i, d.v[0].line,
                     d.v[0].msg, cases[i].line, cases[i].needle);
        assert_string_equal(d.v[0].path, "t.yaml");
        ps_sigset_free(s);
        ps_diags_free(&d);
    }
    /* Not YAML at all, and the wrong top level. */
    struct ps_sigset *s;
    struct ps_diags d;
    ps_diags_init(&d);
    assert_int_equal(ps_sigset_new(&s), PS_OK);
    assert_int_equal(ps_sigset_add_yaml(s, "u.yaml", "a: [b\n", 6, &d), PS_E_SYNTAX);
    assert_int_equal(ps_sigset_add_yaml(s, "v.yaml", "rules: []\n", 10, &d), PS_E_SYNTAX);
    assert_int_equal(d.n, 2);
    assert_non_null(strstr(d.v[1].msg, "unknown top-level key 'rules'"));
    assert_int_equal(d.v[1].line, 1);
    ps_sigset_free(s);
    ps_diags_free(&d);
}

/* First match by running every pattern in order, without prefilter or JIT. */
static int
brute_force(pcre2_code **re, size_t n, const char *line, size_t len,
            pcre2_match_data *md)
{
    for (size_t i = 0; i < n; i++)
        if (re[i] != NULL &&
            pcre2_match(re[i], (PCRE2_SPTR)line, len, 0, 0, md, NULL) >= 0)
            return (int)i;
    return -1;
}

static size_t
check_file(struct ps_sigset *s, pcre2_code **re, pcre2_match_data *md,
           const char *path, size_t *matched)
{
    size_t n = 0, lines = 0;
    uint8_t *p = ps_test_read_file(path, &n);
    if (p == NULL)
        fail_msg("cannot read %s", path);
    struct ps_buf scratch = {0};
    size_t s0 = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && p[i] != '\n')
            continue;
        struct ps_log_body b;
        ps_log_parse_body((const char *)p + s0, i - s0, 2026, &scratch, &b);
        struct ps_sig_match m;
        int got = ps_sigset_match(s, b.text, b.n, &m);
        int want = brute_force(re, ps_sigset_count(s), b.text, b.n, md);
        if (got != want)
            fail_msg("%s:%zu: prefiltered %d, brute force %d", path, lines + 1, got, want);
        *matched += got >= 0;
        lines++;
        s0 = i + 1;
    }
    ps_buf_free(&scratch);
    free(p);
    return lines;
}

static void
test_prefilter_exact(void **state)
{
    (void)state;
    struct ps_sigset *s = load_models();
    size_t ns = ps_sigset_count(s);
    pcre2_code **re = calloc(ns, sizeof(*re));
    for (size_t i = 0; i < ns; i++) {
        int ec;
        PCRE2_SIZE eo;
        re[i] = pcre2_compile((PCRE2_SPTR)ps_sigset_get(s, i)->pattern,
                              PCRE2_ZERO_TERMINATED, 0, &ec, &eo, NULL);
        assert_non_null(re[i]);
    }
    pcre2_match_data *md = pcre2_match_data_create(64, NULL);
    const char *shared[] = {"corpus/lab-2026-11-24/prometheus-agent-0/prometheus.log",
                            "corpus/lab-2026-11-24/thanos-receive-0/prometheus.log",
                            "corpus/lab-2026-11-24/prometheus-0/prometheus.log",
                            "corpus/lab-2026-11-24/node-exporter/node-exporter.log"};
    const char *local[] = {"testdata/logs/thanos/receive.log",
                           "testdata/logs/slog-3x/prometheus-agent.log",
                           "testdata/logs/prometheus-json/remote-write-refused.log",
                           "testdata/logs/prometheus-json/empty-config.log",
                           "testdata/logs/klog/sidecar.log"};
    size_t lines = 0, matched = 0;
    char path[1024];
    for (size_t i = 0; i < 4; i++)
        lines += check_file(s, re, md, ps_test_shared_path(path, sizeof(path), shared[i]),
                            &matched);
    for (size_t i = 0; i < 5; i++)
        lines += check_file(s, re, md, local[i], &matched);
    assert_true(lines > 400);
    assert_true(matched > 100);
    for (size_t i = 0; i < ns; i++)
        pcre2_code_free(re[i]);
    free(re);
    pcre2_match_data_free(md);
    ps_sigset_free(s);
}

static const char *
field(const struct ps_sig_match *m, const char *name, char *buf, size_t cap)
{
    for (size_t i = 0; i < m->nf; i++)
        if (strcmp(m->f[i].name, name) == 0) {
            size_t n = m->f[i].n < cap - 1 ? m->f[i].n : cap - 1;
            memcpy(buf, m->f[i].v, n);
            buf[n] = 0;
            return buf;
        }
    return NULL;
}

static void
test_thanos_fixture_ids_and_fields(void **state)
{
    (void)state;
    /* testdata/logs/thanos/README.md: the expected signature per line. */
    static const char *const want[] = {
        NULL, "T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9", "T10",
        "T11", "T12", "T13", "T14", "T15", "T16", "T17", "T18", "T19", NULL,
    };
    struct ps_sigset *s = load_models();
    size_t n = 0;
    uint8_t *p = ps_test_read_file("testdata/logs/thanos/receive.log", &n);
    assert_non_null(p);
    size_t s0 = 0, ln = 0;
    char buf[256];
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '\n')
            continue;
        assert_true(ln < sizeof(want) / sizeof(want[0]));
        struct ps_sig_match m;
        int got = ps_sigset_match(s, (const char *)p + s0, i - s0, &m);
        const char *gid = got >= 0 ? ps_sigset_get(s, (size_t)got)->id : NULL;
        if ((gid == NULL) != (want[ln] == NULL) ||
            (gid != NULL && strcmp(gid, want[ln]) != 0))
            fail_msg("line %zu: got %s want %s", ln + 1, gid ? gid : "none",
                     want[ln] ? want[ln] : "none");
        if (gid != NULL && strcmp(gid, "T9") == 0) {
            assert_string_equal(field(&m, "have", buf, sizeof(buf)), "1");
            assert_string_equal(field(&m, "want", buf, sizeof(buf)), "2");
        }
        if (gid != NULL && strcmp(gid, "T1") == 0) {
            assert_string_equal(field(&m, "tenant", buf, sizeof(buf)), "team-a");
            assert_string_equal(field(&m, "numDropped", buf, sizeof(buf)), "12");
        }
        if (gid != NULL && strcmp(gid, "T6") == 0)
            assert_string_equal(field(&m, "endpoint", buf, sizeof(buf)),
                                "thanos-receive-2.thanos-receive-headless.monitoring.svc.cluster.local:10901");
        ln++;
        s0 = i + 1;
    }
    assert_int_equal(ln, sizeof(want) / sizeof(want[0]));
    free(p);
    /* Fields from groups and from quoted logfmt values. */
    const char *l = "ts=2026-11-24T06:34:51.382Z caller=dedupe.go:112 component=remote "
                    "level=error remote_name=thanos url=http://thanos-receive.monitoring:19291/api/v1/receive "
                    "msg=\"non-recoverable error\" count=500 exemplarCount=0 "
                    "err=\"server returned HTTP status 404 Not Found: 404 page not found\"";
    struct ps_sig_match m;
    int got = ps_sigset_match(s, l, strlen(l), &m);
    assert_true(got >= 0);
    assert_string_equal(ps_sigset_get(s, (size_t)got)->id, "P4.404");
    assert_string_equal(ps_sigset_get(s, (size_t)got)->cls, "remote_write.misconfigured");
    assert_true(ps_sigset_get(s, (size_t)got)->lower_bound);
    assert_string_equal(field(&m, "status", buf, sizeof(buf)), "404");
    assert_string_equal(field(&m, "count", buf, sizeof(buf)), "500");
    assert_string_equal(field(&m, "remote_name", buf, sizeof(buf)), "thanos");
    /* Same message, other statuses, other classes. */
    static const struct {
        const char *status;
        const char *id;
    } st[] = {{"429 Too Many Requests", "P4.429"}, {"403 Forbidden", "P4.auth"},
              {"409 Conflict", "P4"}, {"400 Bad Request", "P4"}};
    for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
        char line[256];
        snprintf(line, sizeof(line),
                 "level=error msg=\"non-recoverable error\" err=\"server returned HTTP status %s: x\"",
                 st[i].status);
        got = ps_sigset_match(s, line, strlen(line), &m);
        assert_true(got >= 0);
        assert_string_equal(ps_sigset_get(s, (size_t)got)->id, st[i].id);
    }
    /* Prometheus' scrape loop logs T1's text for a target's own samples. */
    l = "ts=2026-11-24T07:00:00Z caller=scrape.go:1 level=warn component=\"scrape manager\" "
        "scrape_pool=node target=http://x:9100/metrics msg=\"Error on ingesting out-of-order samples\" "
        "num_dropped=3";
    assert_int_equal(ps_sigset_match(s, l, strlen(l), &m), -1);
    /* The agent disk-full shape. */
    l = "ts=2026-11-24T07:09:00Z caller=scrape.go:1470 level=error component=\"scrape manager\" "
        "scrape_pool=node msg=\"Scrape commit failed\" err=\"write /data/agent/wal/00000042: no space left on device\"";
    got = ps_sigset_match(s, l, strlen(l), &m);
    assert_true(got >= 0);
    assert_string_equal(ps_sigset_get(s, (size_t)got)->id, "P18");
    assert_string_equal(ps_sigset_get(s, (size_t)got)->cls, "disk.full");
    assert_string_equal(field(&m, "segment", buf, sizeof(buf)), "00000042");
    ps_sigset_free(s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_reference_signatures),
        cmocka_unit_test(test_validation),
        cmocka_unit_test(test_prefilter_exact),
        cmocka_unit_test(test_thanos_fixture_ids_and_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
