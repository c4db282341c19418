/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_bundle_classify.c - ps_classify by path, by content and by both,
 * path normalisation, and the labels derived from paths (Prometheus,
 * Thanos Receive, kubelet, must-gather, troubleshoot.sh layouts).
 * Content samples are built here byte by byte from the format rules, and
 * real files from the shared corpus are classified with misleading names.
 */
#include "test_util.h"

#include "bundle/bundle_int.h"
#include "promsight/ps_bundle.h"
#include "promsight/ps_crc32c.h"
#include "promsight/ps_dec.h"

struct path_case {
    const char *path;
    enum ps_kind kind;
};

static void
test_by_path(void **state)
{
    (void)state;
    static const struct path_case cases[] = {
        {"prometheus-agent-0/data/wal/00000012", PS_KIND_WAL_SEGMENT},
        {"wal/00000000", PS_KIND_WAL_SEGMENT},
        {"x/wal/checkpoint.00000007/00000000", PS_KIND_CHECKPOINT_SEGMENT},
        {"data/wbl/00000003", PS_KIND_WBL_SEGMENT},
        {"t/01M864D9H9AE6X0DTHX5JE1SN3/meta.json", PS_KIND_BLOCK_META},
        {"01M864D9H9AE6X0DTHX5JE1SN3/index", PS_KIND_BLOCK_INDEX},
        {"01M864D9H9AE6X0DTHX5JE1SN3/tombstones", PS_KIND_BLOCK_TOMBSTONES},
        {"a/01M864D9H9AE6X0DTHX5JE1SN3/chunks/000001", PS_KIND_BLOCK_CHUNKS},
        {"a/chunks_head/000009", PS_KIND_HEAD_CHUNKS},
        {"r/default-tenant/thanos.shipper.json", PS_KIND_SHIPPER_META},
        {"etc/thanos/hashrings.json", PS_KIND_HASHRING},
        {"logs/prometheus-0.log", PS_KIND_LOG},
        {"logs/receive.log.1", PS_KIND_LOG},
        {"dumps/1795502884.prom", PS_KIND_METRIC_DUMP},
        {"prometheus-0/api/targets.json", PS_KIND_API_JSON},
        {"config/prometheus.yml", PS_KIND_CONFIG},
        {"bundle.tar.gz", PS_KIND_ARCHIVE},
        {"inner.zip", PS_KIND_ARCHIVE},
        {"README.md", PS_KIND_TEXT},
        /* near misses */
        {"wal/0000001a", PS_KIND_UNKNOWN},
        {"01M864D9H9AE6X0DTHX5JE1SNI/index", PS_KIND_UNKNOWN}, /* I not Crockford */
        {"01M864D9H9AE6X0DTHX5JE1SN/index", PS_KIND_UNKNOWN},  /* 25 chars */
        {"chunks/000001", PS_KIND_UNKNOWN},                    /* no ULID */
        {"index", PS_KIND_UNKNOWN},
        {"", PS_KIND_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *by = NULL;
        enum ps_kind k = ps_classify(cases[i].path, NULL, 0, &by);
        if (k != cases[i].kind)
            fail_msg("%s: got %s, want %s", cases[i].path, ps_kind_name(k),
                     ps_kind_name(cases[i].kind));
        assert_string_equal(by, k == PS_KIND_UNKNOWN ? "none" : "path");
    }
}

/* A WAL segment head: one full record fragment with a valid CRC. */
static size_t
make_wal_head(uint8_t *b, size_t cap, uint8_t type, int bad_crc)
{
    static const uint8_t payload[] = {1, 2, 0x80, 0x01, 3, 'u', 'p', 0, 9};
    assert_true(cap >= 7 + sizeof(payload) + 16);
    memset(b, 0, cap);
    b[0] = type;
    ps_put_be16(b + 1, (uint16_t)sizeof(payload));
    uint32_t crc = ps_crc32c(payload, sizeof(payload));
    ps_put_be32(b + 3, bad_crc ? crc ^ 1 : crc);
    memcpy(b + 7, payload, sizeof(payload));
    return 7 + sizeof(payload) + 16;
}

static void
test_wal_content(void **state)
{
    (void)state;
    uint8_t b[64];
    const char *by;
    size_t n = make_wal_head(b, sizeof(b), 1, 0);
    assert_int_equal(ps_classify("renamed.bin", b, n, &by), PS_KIND_WAL_SEGMENT);
    assert_string_equal(by, "content");
    /* snappy flag, first fragment */
    n = make_wal_head(b, sizeof(b), 0x08 | 2, 0);
    assert_int_equal(ps_classify("x", b, n, &by), PS_KIND_WAL_SEGMENT);
    /* agreeing path: checkpoint/wbl keep their path kind */
    assert_int_equal(ps_classify("wal/checkpoint.3/00000000", b, n, &by),
                     PS_KIND_CHECKPOINT_SEGMENT);
    assert_string_equal(by, "path+content");
    assert_int_equal(ps_classify("wbl/00000001", b, n, &by),
                     PS_KIND_WBL_SEGMENT);
    assert_string_equal(by, "path+content");
    /* bad CRC: content says nothing, the path decides */
    n = make_wal_head(b, sizeof(b), 1, 1);
    assert_int_equal(ps_classify("x", b, n, &by), PS_KIND_UNKNOWN);
    assert_int_equal(ps_classify("wal/00000001", b, n, &by),
                     PS_KIND_WAL_SEGMENT);
    assert_string_equal(by, "path");
    /* high bits set or record type 0/5: not a fragment header */
    n = make_wal_head(b, sizeof(b), 0x21, 0);
    assert_int_equal(ps_classify("x", b, n, NULL), PS_KIND_UNKNOWN);
    n = make_wal_head(b, sizeof(b), 5, 0);
    assert_int_equal(ps_classify("x", b, n, NULL), PS_KIND_UNKNOWN);
    /* fragment longer than the head */
    n = make_wal_head(b, sizeof(b), 1, 0);
    assert_int_equal(ps_classify("x", b, 10, NULL), PS_KIND_UNKNOWN);
}

static void
test_magic_content(void **state)
{
    (void)state;
    static const struct {
        uint32_t magic;
        enum ps_kind kind;
        const char *path;   /* a matching path */
    } m[] = {
        {0xBAAAD700u, PS_KIND_BLOCK_INDEX, "01M864D9H9AE6X0DTHX5JE1SN3/index"},
        {0x85BD40DDu, PS_KIND_BLOCK_CHUNKS, "01M864D9H9AE6X0DTHX5JE1SN3/chunks/000001"},
        {0x0130BC91u, PS_KIND_HEAD_CHUNKS, "chunks_head/000001"},
        {0x0130BA30u, PS_KIND_BLOCK_TOMBSTONES, "01M864D9H9AE6X0DTHX5JE1SN3/tombstones"},
    };
    for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
        uint8_t b[16] = {0};
        const char *by;
        ps_put_be32(b, m[i].magic);
        b[4] = 1;
        assert_int_equal(ps_classify("renamed", b, sizeof(b), &by), m[i].kind);
        assert_string_equal(by, "content");
        assert_int_equal(ps_classify(m[i].path, b, sizeof(b), &by), m[i].kind);
        assert_string_equal(by, "path+content");
    }
    static const uint8_t gz[] = {0x1f, 0x8b, 8, 0};
    static const uint8_t zst[] = {0x28, 0xb5, 0x2f, 0xfd, 0};
    static const uint8_t xz[] = {0xfd, '7', 'z', 'X', 'Z', 0, 0};
    static const uint8_t zip[] = {'P', 'K', 3, 4, 0};
    assert_int_equal(ps_classify("a", gz, sizeof(gz), NULL), PS_KIND_ARCHIVE);
    assert_int_equal(ps_classify("a", zst, sizeof(zst), NULL), PS_KIND_ARCHIVE);
    assert_int_equal(ps_classify("a", xz, sizeof(xz), NULL), PS_KIND_ARCHIVE);
    assert_int_equal(ps_classify("a", zip, sizeof(zip), NULL), PS_KIND_ARCHIVE);
    /* a gzip'd log named .log: content (archive) wins over the name */
    const char *by;
    assert_int_equal(ps_classify("x/prom.log", gz, sizeof(gz), &by),
                     PS_KIND_ARCHIVE);
    assert_string_equal(by, "content");
}

struct text_case {
    const char *text;
    enum ps_kind kind;
};

static void
test_text_content(void **state)
{
    (void)state;
    static const struct text_case cases[] = {
        {"{\"ulid\":\"01M864D9H9AE6X0DTHX5JE1SN3\",\"minTime\":1,\"maxTime\":2}",
         PS_KIND_BLOCK_META},
        {"{\n \"version\": 1,\n \"uploaded\": []\n}", PS_KIND_SHIPPER_META},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\"}}",
         PS_KIND_API_JSON},
        {"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{}}",
         PS_KIND_K8S_OBJECT},
        {"{\"apiVersion\":\"v1\",\"items\":[]}", PS_KIND_K8S_OBJECT},
        {"[\n  {\"hashring\":\"default\",\"endpoints\":[\"a:10901\"]}\n]",
         PS_KIND_HASHRING},
        {"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
         PS_KIND_K8S_OBJECT},
        {"ts=2026-11-24T06:34:45.103Z caller=main.go:551 level=info msg=\"Starting\"\n"
         "ts=2026-11-24T06:34:45.104Z caller=main.go:556 level=info msg=x\n",
         PS_KIND_LOG},
        {"time=2026-11-24T06:34:45.103Z level=INFO source=main.go:1 msg=hi\n",
         PS_KIND_LOG},
        {"{\"level\":\"info\",\"ts\":\"2026-11-24T06:34:45Z\",\"msg\":\"hi\"}\n"
         "{\"level\":\"warn\",\"ts\":\"2026-11-24T06:34:46Z\",\"msg\":\"x\"}\n",
         PS_KIND_LOG},
        {"2026-11-24T06:34:45.103456789Z stdout F level=info msg=x\n"
         "2026-11-24T06:34:45.203456789Z stderr P partial\n",
         PS_KIND_LOG},
        {"I1124 06:34:45.123456       1 main.go:42] started\n"
         "W1124 06:34:46.123456       1 main.go:43] careful\n",
         PS_KIND_LOG},
        {"# HELP up Whether the target is up.\n# TYPE up gauge\n"
         "up{job=\"a\",instance=\"b\"} 1\n",
         PS_KIND_METRIC_DUMP},
        {"go_goroutines 42\nprocess_cpu_seconds_total 1.5e+01\n",
         PS_KIND_METRIC_DUMP},
        {"global:\n  scrape_interval: 15s\nscrape_configs:\n  - job_name: x\n",
         PS_KIND_CONFIG},
        {"# agent config\nglobal:\n  scrape_interval: 5s\n  external_labels: {a: b}\n"
         "scrape_configs:\n  - job_name: node\n    static_configs: [{targets: ['x:1']}]\n"
         "remote_write:\n  - url: http://r:19291/api/v1/write\n    name: thanos\n",
         PS_KIND_CONFIG},
        {"---\ntype: S3\nconfig:\n  bucket: thanos\n", PS_KIND_CONFIG},
        {"{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"x\"}",
         PS_KIND_API_JSON},
        {"#!/bin/sh\n# collect\nkubectl get pods -A\necho done\n", PS_KIND_TEXT},
        {"import http.server, time\nstart = time.time()\n", PS_KIND_TEXT},
        {"2026-11-24T06:34:44Z 1795502084 start\n2026-11-24T06:35:12Z 1795502112 reload\n",
         PS_KIND_TEXT},
        {"Filesystem 1K-blocks Used Available\n/dev/sda1 100 50 50\n",
         PS_KIND_TEXT},
        {"   \n\n", PS_KIND_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *t = cases[i].text;
        const char *by;
        enum ps_kind k = ps_classify("renamed", (const uint8_t *)t, strlen(t), &by);
        if (k != cases[i].kind)
            fail_msg("case %zu: got %s, want %s", i, ps_kind_name(k),
                     ps_kind_name(cases[i].kind));
        if (k != PS_KIND_UNKNOWN)
            assert_string_equal(by, "content");
    }
}

static void
test_conflict(void **state)
{
    (void)state;
    const char *log = "ts=2026-11-24T06:34:45.103Z level=info msg=x\n";
    struct ps_class c;
    ps_classify_ex("data/wal/00000012", (const uint8_t *)log, strlen(log), &c);
    assert_int_equal(c.kind, PS_KIND_LOG);
    assert_int_equal(c.by_path, PS_KIND_WAL_SEGMENT);
    assert_int_equal(c.by_content, PS_KIND_LOG);
    assert_string_equal(c.by, "content");
    assert_true(c.conflict);
    /* weak path (.yml) refined by content: no conflict */
    const char *k8s = "apiVersion: apps/v1\nkind: StatefulSet\n";
    ps_classify_ex("x/sts.yaml", (const uint8_t *)k8s, strlen(k8s), &c);
    assert_int_equal(c.kind, PS_KIND_K8S_OBJECT);
    assert_false(c.conflict);
    /* plain text content does not override a specific path */
    const char *txt = "hello there\n";
    ps_classify_ex("x/app.log", (const uint8_t *)txt, strlen(txt), &c);
    assert_int_equal(c.kind, PS_KIND_LOG);
    assert_string_equal(c.by, "path");
    assert_false(c.conflict);
    /* binary garbage under a WAL name: the path stands */
    static const uint8_t junk[] = {0xde, 0xad, 0, 0xbe, 0xef, 0, 0, 0};
    ps_classify_ex("wal/00000001", junk, sizeof(junk), &c);
    assert_int_equal(c.kind, PS_KIND_WAL_SEGMENT);
    assert_string_equal(c.by, "path");
}

/* Real corpus files under neutral names are recognised by content. */
static void
test_corpus_renamed(void **state)
{
    (void)state;
    static const struct {
        const char *rel;
        enum ps_kind kind;
    } f[] = {
        {"prometheus-agent-0/data/wal/00000000", PS_KIND_WAL_SEGMENT},
        {"thanos-receive-0/default-tenant/wal/checkpoint.00000007/00000000",
         PS_KIND_WAL_SEGMENT},
        {"thanos-receive-0/default-tenant/01M864D9H9AE6X0DTHX5JE1SN3/index",
         PS_KIND_BLOCK_INDEX},
        {"thanos-receive-0/default-tenant/01M864D9H9AE6X0DTHX5JE1SN3/chunks/000001",
         PS_KIND_BLOCK_CHUNKS},
        {"thanos-receive-0/default-tenant/01M864D9H9AE6X0DTHX5JE1SN3/meta.json",
         PS_KIND_BLOCK_META},
        {"thanos-receive-0/default-tenant/01M864D9H9AE6X0DTHX5JE1SN3/tombstones",
         PS_KIND_BLOCK_TOMBSTONES},
        {"thanos-receive-0/default-tenant/chunks_head/000009", PS_KIND_HEAD_CHUNKS},
        {"thanos-receive-0/default-tenant/thanos.shipper.json", PS_KIND_SHIPPER_META},
        {"prometheus-0/prometheus.log", PS_KIND_LOG},
        {"node-exporter/node-exporter.log", PS_KIND_LOG},
        {"prometheus-agent-0/dumps/1795502100.prom", PS_KIND_METRIC_DUMP},
        {"prometheus-0/api/targets.json", PS_KIND_API_JSON},
        {"prometheus-0/api/status_config.json", PS_KIND_API_JSON},
    };
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
        char rel[512], path[1024];
        snprintf(rel, sizeof(rel), "corpus/lab-2026-11-24/%s", f[i].rel);
        ps_test_shared_path(path, sizeof(path), rel);
        size_t n = 0;
        uint8_t *p = ps_test_read_file(path, &n);
        if (p == NULL)
            fail_msg("cannot read %s", path);
        size_t hn = n < PS_BUNDLE_HEAD ? n : PS_BUNDLE_HEAD;
        const char *by;
        enum ps_kind k = ps_classify("renamed.dat", p, hn, &by);
        if (k != f[i].kind)
            fail_msg("%s: got %s, want %s", f[i].rel, ps_kind_name(k),
                     ps_kind_name(f[i].kind));
        assert_string_equal(by, "content");
        free(p);
    }
}

static void
test_path_norm(void **state)
{
    (void)state;
    static const struct {
        const char *raw, *norm;
        unsigned flags, depth;
    } c[] = {
        {"./a/b", "a/b", 0, 2},
        {"a//b/./c/", "a/b/c", 0, 3},
        {"././x", "x", 0, 1},
        {"/etc/passwd", "etc/passwd", PS_PATH_ABS, 2},
        {"../evil", "../evil", PS_PATH_DOTDOT, 2},
        {"a/../../b", "a/../../b", PS_PATH_DOTDOT, 4},
        {"./", "", PS_PATH_EMPTY, 0},
        {"", "", PS_PATH_EMPTY, 0},
        {"a..b/..c", "a..b/..c", 0, 2},
        {"..\\evil", "..\\evil", PS_PATH_DOTDOT, 1},
        {"a\\..\\..\\b", "a\\..\\..\\b", PS_PATH_DOTDOT, 1},
        {"C:\\Windows\\x", "C:\\Windows\\x", PS_PATH_ABS, 1},
        {"\\srv\\share", "\\srv\\share", PS_PATH_ABS, 1},
        {"x..y\\z...", "x..y\\z...", 0, 1},
    };
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        char out[64];
        unsigned d = 99;
        unsigned fl = ps_bundle_path_norm(c[i].raw, out, sizeof(out), &d);
        assert_string_equal(out, c[i].norm);
        assert_int_equal(fl, c[i].flags);
        assert_int_equal(d, c[i].depth);
    }
    char small[4];
    unsigned d;
    unsigned fl = ps_bundle_path_norm("abcdef/gh", small, sizeof(small), &d);
    assert_true(fl & PS_PATH_LONG);
    assert_true(strlen(small) < sizeof(small));
}

struct label_case {
    const char *path;
    enum ps_kind kind;
    const char *pod, *container, *tenant, *root;
    int64_t seq, checkpoint;
};

static void
check_str(const char *what, const char *path, const char *got, const char *want)
{
    if (want == NULL && got == NULL)
        return;
    if (want == NULL || got == NULL || strcmp(want, got) != 0)
        fail_msg("%s: %s = '%s', want '%s'", path, what,
                 got != NULL ? got : "(null)", want != NULL ? want : "(null)");
}

static void
test_labels(void **state)
{
    (void)state;
    static const struct label_case c[] = {
        /* Thanos Receive per-tenant TSDB */
        {"thanos-receive-0/default-tenant/wal/00000012", PS_KIND_WAL_SEGMENT,
         "thanos-receive-0", NULL, "default-tenant",
         "thanos-receive-0/default-tenant", 12, -1},
        {"thanos-receive-0/default-tenant/wal/checkpoint.00000007/00000000",
         PS_KIND_CHECKPOINT_SEGMENT, "thanos-receive-0", NULL, "default-tenant",
         "thanos-receive-0/default-tenant", 0, 7},
        {"bundle/thanos-receive-1/data/tenant-a/01M864D9H9AE6X0DTHX5JE1SN3/chunks/000003",
         PS_KIND_BLOCK_CHUNKS, "thanos-receive-1", NULL, "tenant-a",
         "bundle/thanos-receive-1/data/tenant-a", 3, -1},
        {"var/thanos/receive/t1/chunks_head/000009", PS_KIND_HEAD_CHUNKS, NULL,
         NULL, "t1", "var/thanos/receive/t1", 9, -1},
        {"thanos-receive-0/default-tenant/thanos.shipper.json",
         PS_KIND_SHIPPER_META, "thanos-receive-0", NULL, "default-tenant",
         "thanos-receive-0/default-tenant", -1, -1},
        /* agent / server: no tenant */
        {"prometheus-agent-0/data/wal/00000000", PS_KIND_WAL_SEGMENT,
         "prometheus-agent-0", NULL, NULL, "prometheus-agent-0/data", 0, -1},
        {"wal/00000003", PS_KIND_WAL_SEGMENT, NULL, NULL, NULL, ".", 3, -1},
        {"prometheus-k8s-1/prometheus-db/01M864D9H9AE6X0DTHX5JE1SN3/index",
         PS_KIND_BLOCK_INDEX, "prometheus-k8s-1", NULL, NULL,
         "prometheus-k8s-1/prometheus-db", -1, -1},
        /* kubelet */
        {"node1/var/log/pods/monitoring_prometheus-agent-0_1234-abcd/prometheus/0.log",
         PS_KIND_LOG, "prometheus-agent-0", "prometheus", NULL, NULL, -1, -1},
        /* must-gather */
        {"must-gather.local.123/quay-io-img/namespaces/monitoring/pods/thanos-receive-2/"
         "thanos-receive/thanos-receive/logs/current.log",
         PS_KIND_LOG, "thanos-receive-2", "thanos-receive", NULL, NULL, -1, -1},
        /* troubleshoot.sh */
        {"support-bundle-2026-11-24T06_55_51/cluster-resources/pods/logs/monitoring/"
         "thanos-query-7d9f8b6c5d-x2k9p/query.log",
         PS_KIND_LOG, "thanos-query-7d9f8b6c5d-x2k9p", "query", NULL, NULL, -1, -1},
        /* logs/<pod>/<container>.log, logs/<pod>-previous.log */
        {"logs/prometheus-agent-0/prometheus.log", PS_KIND_LOG,
         "prometheus-agent-0", "prometheus", NULL, NULL, -1, -1},
        {"logs/thanos-receive-0-previous.log", PS_KIND_LOG, "thanos-receive-0",
         NULL, NULL, NULL, -1, -1},
        {"prometheus-agent-0.log", PS_KIND_LOG, "prometheus-agent-0", NULL, NULL,
         NULL, -1, -1},
        {"node-exporter-x7k2p/node.log", PS_KIND_LOG, "node-exporter-x7k2p", NULL,
         NULL, NULL, -1, -1},
        /* dates and generic names are not pods */
        {"lab-2026-11-24/timeline.txt", PS_KIND_TEXT, NULL, NULL, NULL, NULL, -1, -1},
        {"install.log", PS_KIND_LOG, NULL, NULL, NULL, NULL, -1, -1},
        {"node-exporter/node-exporter.log", PS_KIND_LOG, NULL, NULL, NULL, NULL,
         -1, -1},
        /* a tsdb-looking dir holding a non-TSDB file gets no root */
        {"x/wal/notes.txt", PS_KIND_TEXT, NULL, NULL, NULL, NULL, -1, -1},
    };
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        struct ps_labels l;
        ps_bundle_labels(c[i].path, c[i].kind, &l);
        check_str("pod", c[i].path, l.pod, c[i].pod);
        check_str("container", c[i].path, l.container, c[i].container);
        check_str("tenant", c[i].path, l.tenant, c[i].tenant);
        check_str("tsdb_root", c[i].path, l.tsdb_root, c[i].root);
        if (l.seq != c[i].seq || l.checkpoint != c[i].checkpoint)
            fail_msg("%s: seq %lld checkpoint %lld", c[i].path,
                     (long long)l.seq, (long long)l.checkpoint);
    }
}

static void
test_names(void **state)
{
    (void)state;
    /* every kind has a distinct stable name */
    for (int i = 0; i < PS_KIND__COUNT; i++)
        for (int j = i + 1; j < PS_KIND__COUNT; j++)
            assert_string_not_equal(ps_kind_name((enum ps_kind)i),
                                    ps_kind_name((enum ps_kind)j));
    assert_string_equal(ps_kind_name(PS_KIND_WAL_SEGMENT), "wal_segment");
    assert_string_equal(ps_kind_name((enum ps_kind)999), "unknown");
    assert_string_equal(ps_entry_type_name(PS_ET_HARDLINK), "hardlink");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_by_path),
        cmocka_unit_test(test_wal_content),
        cmocka_unit_test(test_magic_content),
        cmocka_unit_test(test_text_content),
        cmocka_unit_test(test_conflict),
        cmocka_unit_test(test_corpus_renamed),
        cmocka_unit_test(test_path_norm),
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
