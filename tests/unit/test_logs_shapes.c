/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_logs_shapes.c - every file shape through the bundle layer, from
 * the fixtures in testdata/logs/ (each directory's README says what they
 * hold and what must come out): must-gather and troubleshoot.sh layouts,
 * kubelet CRI files (containerd partial lines joined, CRI-O offsets),
 * docker json-file, OpenSearch NDJSON and search responses with per-line
 * pod labels, real `prometheus --log.format=json` output, 3.x slog,
 * Thanos, and klog with the year from the file's mtime.
 */
#include <sys/stat.h>
#include <time.h>

#include "test_util.h"

#include "promsight/ps_bundle.h"
#include "promsight/ps_facts.h"
#include "promsight/ps_logs.h"

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

static struct ps_sigset *sigs;
static struct ps_logs_ctx *ctx;
static struct ps_facts *facts;
static struct ps_diags diags;

static int
setup(void **state)
{
    (void)state;
    ps_diags_init(&diags);
    if (ps_sigset_new(&sigs) != PS_OK ||
        ps_sigset_load_dir(sigs, "models/signatures", &diags) != PS_OK ||
        ps_sigset_compile(sigs, &diags) != PS_OK)
        return -1;
    struct ps_logs_opts o = {.keep_records = 1, .keep_unmatched = 1};
    if (ps_logs_ctx_new(sigs, &o, &ctx) != PS_OK || (facts = ps_facts_new()) == NULL)
        return -1;
    struct ps_bundle *b;
    if (ps_bundle_open("testdata/logs", NULL, &diags, &b) != PS_OK)
        return -1;
    enum ps_err e = ps_logs_ingest_bundle(ctx, b, facts, &diags);
    ps_bundle_close(b);
    if (e != PS_OK)
        return -1;
    return ps_logs_ctx_finish(ctx, facts) == PS_OK ? 0 : -1;
}

static int
teardown(void **state)
{
    (void)state;
    ps_logs_ctx_free(ctx);
    ps_sigset_free(sigs);
    ps_facts_free(facts);
    ps_diags_free(&diags);
    return 0;
}

static const struct ps_logs_file *
file(const char *suffix, size_t *idx)
{
    for (size_t i = 0; i < ps_logs_ctx_nfiles(ctx); i++) {
        const struct ps_logs_file *f = ps_logs_ctx_file(ctx, i);
        size_t n = strlen(f->path), m = strlen(suffix);
        if (n >= m && strcmp(f->path + n - m, suffix) == 0) {
            if (idx != NULL)
                *idx = i;
            return f;
        }
    }
    fail_msg("no file %s", suffix);
    return NULL;
}

/* The n-th (0-based) record of file fi with signature id (NULL: any). */
static const struct ps_logs_record *
rec(size_t fi, const char *id, size_t nth)
{
    for (size_t i = 0; i < ps_logs_ctx_nrecords(ctx); i++) {
        const struct ps_logs_record *r = ps_logs_ctx_record(ctx, i);
        if (r->file != fi || r->sig < 0)
            continue;
        if (id != NULL && strcmp(ps_sigset_get(sigs, (size_t)r->sig)->id, id) != 0)
            continue;
        if (nth-- == 0)
            return r;
    }
    fail_msg("no record %s #%zu in file %zu", id ? id : "*", nth, fi);
    return NULL;
}

static const char *
rfield(const struct ps_logs_record *r, const char *name)
{
    for (size_t i = 0; i < r->nfields; i++)
        if (strcmp(r->fields[i].name, name) == 0)
            return r->fields[i].value;
    return NULL;
}

static uint64_t
count(const struct ps_logs_file *f, const char *id)
{
    int si = ps_sigset_find(sigs, id);
    assert_true(si >= 0);
    return f->sig_count[si];
}

static void
test_must_gather(void **state)
{
    (void)state;
    size_t fi;
    const struct ps_logs_file *f = file("prometheus/logs/current.log", &fi);
    assert_int_equal(f->shape, PS_LSHAPE_KUBECTL_TS);
    assert_string_equal(f->pod, "prometheus-agent-0");
    assert_string_equal(f->container, "prometheus");
    assert_string_equal(f->ns, "monitoring");
    assert_int_equal(f->lines, 8);
    assert_int_equal(count(f, "P3"), 2);
    assert_int_equal(count(f, "P16"), 1);
    const struct ps_logs_record *r = rec(fi, "P3", 0);
    assert_int_equal(r->t, utc_ms(2026, 11, 24, 7, 1, 0, 123));
    assert_string_equal(rfield(r, "reason"), "no such host");
    /* The URL's user:password never leaves the reader. */
    assert_null(strstr(r->text, "hunter2"));
    assert_null(strstr(rfield(r, "url"), "hunter2"));
    assert_non_null(strstr(r->text, "<redacted>"));
    assert_int_equal(f->redacted, 1);
    assert_string_equal(rfield(rec(fi, "P3", 1), "reason"),
                        "x509: certificate signed by unknown authority");
    assert_false(f->previous);
    f = file("prometheus/logs/previous.log", &fi);
    assert_true(f->previous);
    assert_int_equal(count(f, "P15"), 3);
    assert_int_equal(count(f, "P13"), 1);
    r = rec(fi, "P13", 0);
    assert_string_equal(rfield(r, "segment"), "/prometheus/wal/00000619");
    assert_string_equal(rfield(r, "offset"), "525634");
}

static void
test_troubleshoot(void **state)
{
    (void)state;
    const struct ps_logs_file *f = file("pods/logs/monitoring/prometheus-agent-0/prometheus.log", NULL);
    assert_int_equal(f->shape, PS_LSHAPE_BARE);
    assert_string_equal(f->pod, "prometheus-agent-0");
    assert_string_equal(f->ns, "monitoring");
    assert_int_equal(count(f, "P4.404"), 2);
}

static void
test_cri(void **state)
{
    (void)state;
    size_t fi;
    const struct ps_logs_file *f = file("thanos-receive/0.log", &fi);
    assert_int_equal(f->shape, PS_LSHAPE_CRI);
    assert_string_equal(f->pod, "thanos-receive-0");
    assert_string_equal(f->ns, "monitoring");
    assert_int_equal(f->phys_lines, 7);
    assert_int_equal(f->lines, 4);       /* P+P+F joined; the empty line skipped */
    const struct ps_logs_record *r = rec(fi, "T1", 0);
    assert_int_equal(r->line, 2);
    assert_int_equal(r->t, utc_ms(2026, 11, 24, 7, 1, 0, 100));
    assert_non_null(strstr(r->text, "msg=\"Error on ingesting out-of-order samples\" numDropped=12"));
    assert_non_null(strstr(r->text, "pod=\\\"api-1\\\"}\""));
    assert_string_equal(rfield(r, "tenant"), "team-a");
    assert_int_equal(count(f, "T11"), 1);    /* tag "F:x" */
    /* CRI-O: the line without its own time takes the CRI time, in UTC. */
    f = file("prometheus/0.log", &fi);
    assert_int_equal(f->shape, PS_LSHAPE_CRI);
    assert_int_equal(f->lines, 3);
    r = rec(fi, "D1", 0);
    assert_int_equal(r->t, utc_ms(2026, 11, 24, 7, 5, 0, 0));
    assert_int_equal(f->t_max, utc_ms(2026, 11, 24, 7, 5, 1, 250));
    /* The P/F pair joined into one Go panic line. */
    r = rec(fi, "G2", 0);
    assert_string_equal(r->text, "panic: runtime error: invalid memory address or nil pointer dereference");
    assert_int_equal(r->line, 3);
    assert_int_equal(r->t, utc_ms(2026, 11, 24, 7, 5, 1, 250));
}

static void
test_docker_and_klog(void **state)
{
    (void)state;
    size_t fi;
    const struct ps_logs_file *f = file("docker/0123456789ab-json.log", &fi);
    assert_int_equal(f->shape, PS_LSHAPE_DOCKER_JSON);
    assert_int_equal(f->lines, 2);
    const struct ps_logs_record *r = rec(fi, "P4", 0);
    assert_string_equal(rfield(r, "status"), "400");
    assert_non_null(strstr(r->text, "400 Bad Request: out of bounds"));
    f = file("klog/sidecar.log", &fi);
    assert_int_equal(f->by_format[PS_LFMT_KLOG], 4);
    assert_int_equal(f->by_level[PS_LLVL_WARN], 1);
    assert_int_equal(f->by_level[PS_LLVL_FATAL], 1);
    struct stat st;
    assert_int_equal(stat("testdata/logs/klog/sidecar.log", &st), 0);
    struct tm tm;
    gmtime_r(&st.st_mtime, &tm);
    r = rec(fi, "D1", 0);
    assert_int_equal(r->t, utc_ms(tm.tm_year + 1900, 11, 24, 7, 2, 3, 654));
    assert_int_equal(f->year_from_mtime, 1);
}

static const char *
elabel(const struct ps_event *e, const char *name)
{
    for (size_t i = 0; i < e->nlabels; i++)
        if (strcmp(e->labels[i].name, name) == 0)
            return e->labels[i].value;
    return NULL;
}

static const struct ps_event *
event(const char *src_suffix, const char *sig)
{
    for (size_t i = 0; i < ps_facts_nevents(facts); i++) {
        const struct ps_event *e = ps_facts_event(facts, i);
        const char *p = ps_facts_source_path(facts, e->src);
        size_t n = strlen(p), m = strlen(src_suffix);
        if (n >= m && strcmp(p + n - m, src_suffix) == 0 && e->signature != NULL &&
            strcmp(e->signature, sig) == 0)
            return e;
    }
    fail_msg("no event %s in %s", sig, src_suffix);
    return NULL;
}

static void
test_opensearch(void **state)
{
    (void)state;
    const struct ps_logs_file *f = file("opensearch/fluent-bit.ndjson", NULL);
    assert_int_equal(f->shape, PS_LSHAPE_ES_NDJSON);
    assert_int_equal(f->lines, 4);
    const struct ps_event *e = event("fluent-bit.ndjson", "P3");
    assert_string_equal(elabel(e, "pod"), "prometheus-agent-0");
    assert_string_equal(elabel(e, "container"), "prometheus");
    assert_string_equal(elabel(e, "namespace"), "monitoring");
    assert_int_equal(e->t, utc_ms(2026, 11, 24, 7, 1, 0, 123));
    e = event("fluent-bit.ndjson", "T3");
    assert_string_equal(elabel(e, "pod"), "thanos-receive-1");
    assert_string_equal(elabel(e, "tenant"), "team-b");
    e = event("fluent-bit.ndjson", "L2");      /* "message" and dotted keys */
    assert_string_equal(elabel(e, "pod"), "prometheus-agent-1");
    e = event("fluent-bit.ndjson", "L4");      /* wrapped in _source */
    assert_string_equal(elabel(e, "pod"), "prometheus-agent-0");
    f = file("opensearch/search-hits.json", NULL);
    assert_int_equal(f->shape, PS_LSHAPE_ES_HITS);
    assert_int_equal(f->lines, 3);
    e = event("search-hits.json", "P4.404");
    assert_string_equal(elabel(e, "pod"), "prometheus-agent-0");
    e = event("search-hits.json", "T8");
    assert_string_equal(elabel(e, "pod"), "thanos-receive-0");
    assert_string_equal(elabel(e, "container"), "thanos-receive");
}

static void
test_prometheus_json_capture(void **state)
{
    (void)state;
    size_t fi, n = 0;
    const struct ps_logs_file *f = file("prometheus-json/remote-write-refused.log", &fi);
    assert_int_equal(f->shape, PS_LSHAPE_BARE);
    assert_int_equal(f->by_format[PS_LFMT_JSON], f->lines);
    /* Independent count of the refused sends in the raw JSON. */
    uint8_t *p = ps_test_read_file("testdata/logs/prometheus-json/remote-write-refused.log", &n);
    assert_non_null(p);
    size_t refused = 0;
    for (size_t i = 0, s0 = 0; i < n; i++) {
        if (p[i] != '\n')
            continue;
        char *line = strndup((const char *)p + s0, i - s0);
        refused += strstr(line, "Failed to send batch") != NULL &&
                   strstr(line, "connection refused") != NULL;
        free(line);
        s0 = i + 1;
    }
    free(p);
    assert_true(refused >= 1);
    assert_int_equal(count(f, "P3"), refused);
    assert_int_equal(rec(fi, "P3", 0)->t, utc_ms(2026, 11, 25, 0, 43, 9, 551));
    const struct ps_logs_record *r = rec(fi, "P9", 0);
    assert_string_equal(rfield(r, "count"), "2211");
    assert_string_equal(rfield(r, "what"), "samples");
    assert_int_equal(count(f, "P4.canceled"), 1);
}

static void
test_slog_and_thanos(void **state)
{
    (void)state;
    size_t fi;
    const struct ps_logs_file *f = file("slog-3x/prometheus-agent.log", &fi);
    assert_int_equal(f->by_level[PS_LLVL_DEBUG], 1);
    assert_int_equal(rec(fi, "P2", 0)->t, utc_ms(2026, 11, 24, 7, 2, 10, 0));
    assert_string_equal(rfield(rec(fi, "P1", 0), "status"), "503");
    assert_string_equal(rfield(rec(fi, "P4", 0), "failedSampleCount"), "2000");
    assert_string_equal(rfield(rec(fi, "L1", 0), "version"), "3.5.0");
    assert_string_equal(rfield(rec(fi, "P18", 0), "segment"), "00006644");
    /* The DEBUG scrape timeout is not a remote-write timeout. */
    assert_int_equal(count(f, "P2"), 1);
    f = file("thanos/receive.log", &fi);
    assert_int_equal(f->lines, 21);
    assert_int_equal(f->matched, 19);
    assert_int_equal(rec(fi, "T1", 0)->t, utc_ms(2026, 11, 24, 7, 1, 0, 100));
    assert_int_equal(rec(fi, "T2", 0)->t, utc_ms(2026, 11, 24, 7, 1, 1, 220));
    assert_int_equal(rec(fi, "T5", 0)->t, utc_ms(2026, 11, 24, 7, 1, 4, 555));
}

static void
test_not_logs_skipped(void **state)
{
    (void)state;
    /* READMEs and configs are neither logs nor OpenSearch exports. */
    for (size_t i = 0; i < ps_logs_ctx_nfiles(ctx); i++) {
        const char *p = ps_logs_ctx_file(ctx, i)->path;
        assert_null(strstr(p, "README"));
        assert_null(strstr(p, ".yml"));
    }
    assert_int_equal(ps_logs_ctx_nfiles(ctx), 13);
}

static void
test_looks_like_export(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        int want;
    } cases[] = {
        {"testdata/logs/opensearch/fluent-bit.ndjson", 1},
        {"testdata/logs/opensearch/search-hits.json", 1},
        {"testdata/logs/opensearch/README.md", 0},
        {"testdata/logs/thanos/receive.log", 0},
        {"testdata/logs/docker/0123456789ab-json.log", 0},
        {"testdata/logs/prometheus-json/empty-config.log", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = 0;
        uint8_t *p = ps_test_read_file(cases[i].path, &n);
        assert_non_null(p);
        if (ps_logs_looks_like_export(p, n) != cases[i].want)
            fail_msg("%s: want %d", cases[i].path, cases[i].want);
        free(p);
    }
    /* A pretty-printed JSON document that is not a search response. */
    const char *cfg = "{\n  \"hashrings\": [\n    {\"endpoints\": []}\n  ]\n}\n";
    assert_false(ps_logs_looks_like_export(cfg, strlen(cfg)));
    assert_false(ps_logs_looks_like_export("", 0));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_must_gather),
        cmocka_unit_test(test_troubleshoot),
        cmocka_unit_test(test_cri),
        cmocka_unit_test(test_docker_and_klog),
        cmocka_unit_test(test_opensearch),
        cmocka_unit_test(test_prometheus_json_capture),
        cmocka_unit_test(test_slog_and_thanos),
        cmocka_unit_test(test_not_logs_skipped),
        cmocka_unit_test(test_looks_like_export),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
