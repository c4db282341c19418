/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_facts_samples.c - TSDB and WAL samples as facts (ingest_samples.c):
 * the samples ps_ingest_bundle loads for the referenced metrics equal what
 * promtool tsdb dump prints (count and an order-independent checksum of
 * (labels, t, v)), unreferenced metrics are not loaded, and damaged input
 * does not crash.
 *
 * The expected checksums come from promtool 2.42 with this script (stdin:
 * `promtool tsdb dump [--match=...] <dir>`; for testdata/tsdb/om an empty
 * wal/ directory has to be created in a copy first):
 *
 *   import re, struct, sys
 *   lab = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
 *   tot = n = 0
 *   for line in sys.stdin:
 *       j = line.rindex("}")
 *       l = dict(lab.findall(line[1:j])); name = l.pop("__name__")
 *       v, t = line[j + 1:].split()
 *       bits = struct.unpack("<Q", struct.pack("<d", float(v)))[0]
 *       s = "%s{%s} %d %016x" % (name, ",".join('%s="%s"' % kv
 *           for kv in sorted(l.items())), int(t), bits)
 *       h = 0xcbf29ce484222325
 *       for c in s.encode(): h = ((h ^ c) * 0x100000001b3) & (2**64 - 1)
 *       tot = (tot + h) & (2**64 - 1); n += 1
 *   print(n, "0x%016x" % tot)
 *
 * The counts of all samples of the om blocks are also checked against the
 * promtool outputs committed in testdata/tsdb/expected/dump-*.count.
 */
#include "test_util.h"

#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include "promsight/ps_facts.h"
#include "promsight/ps_ingest.h"

#define OM "testdata/tsdb/om"

struct sum {
    size_t series, samples;
    uint64_t cks;
};

static uint64_t
fnv(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
    return h;
}

static int
extra_label(const char *n)
{
    return strcmp(n, "__name__") == 0 || strcmp(n, "tsdb") == 0 ||
           strcmp(n, "tsdb_tenant") == 0 || strcmp(n, "source") == 0;
}

/* Count and checksum the TSDB-sourced samples of metric (of one tsdb if
 * tsdb != NULL). */
static struct sum
summarise(const struct ps_facts *f, const char *metric, const char *tsdb)
{
    struct sum r = {0, 0, 0};
    const uint32_t *ids;
    size_t n = ps_facts_metric_series(f, metric, &ids);
    for (size_t i = 0; i < n; i++) {
        const char *src = ps_facts_series_label(f, ids[i], "source");
        const char *db = ps_facts_series_label(f, ids[i], "tsdb");
        if (src == NULL || strcmp(src, "tsdb") != 0 || db == NULL ||
            (tsdb != NULL && strcmp(db, tsdb) != 0))
            continue;
        const struct ps_label *l;
        size_t nl = ps_facts_series_labels(f, ids[i], &l);
        char lbl[4096] = "";
        size_t k = 0;
        for (size_t j = 0; j < nl; j++) {
            if (extra_label(l[j].name))
                continue;
            k += (size_t)snprintf(lbl + k, sizeof(lbl) - k, "%s%s=\"%s\"", k ? "," : "",
                                  l[j].name, l[j].value);
            assert_true(k < sizeof(lbl));
        }
        const struct ps_sample *s;
        size_t ns = ps_facts_series_samples(f, ids[i], &s);
        for (size_t j = 0; j < ns; j++) {
            uint64_t bits;
            memcpy(&bits, &s[j].v, sizeof(bits));
            if (isnan(s[j].v))
                bits = 0x7ff8000000000000ull; /* promtool prints any NaN as NaN */
            char line[4400];
            snprintf(line, sizeof(line), "%s{%s} %lld %016llx", metric, lbl,
                     (long long)s[j].t, (unsigned long long)bits);
            r.cks += fnv(line);
        }
        r.series++;
        r.samples += ns;
    }
    return r;
}

static void
ingest(const char *path, const char *const *metrics, size_t n, struct ps_ingest *in)
{
    struct ps_ingest_opts o = {.tsdb_metrics = metrics, .ntsdb_metrics = n};
    assert_int_equal(ps_ingest_bundle(path, &o, in), PS_OK);
}

static size_t
read_count(const char *path)
{
    size_t n = 0;
    uint8_t *p = ps_test_read_file(path, &n);
    assert_non_null(p);
    size_t c = (size_t)strtoul((const char *)p, NULL, 10);
    free(p);
    return c;
}

/* One metric of two blocks: promtool's count and checksum; the other
 * metrics of the blocks are not loaded. */
static void
test_om_one_metric(void **state)
{
    (void)state;
    static const char *const m[] = {"app_memory_bytes"};
    struct ps_ingest in;
    ingest(OM, m, 1, &in);
    struct sum s = summarise(in.facts, "app_memory_bytes", NULL);
    assert_int_equal(s.series, 10);
    assert_int_equal(s.samples, 2890);
    assert_true(s.cks == 0x9fb198d77e2e2a47ull);
    assert_int_equal(summarise(in.facts, "app_queue_depth", NULL).series, 0);
    assert_int_equal(summarise(in.facts, "app_inflight_requests", NULL).series, 0);
    ps_ingest_free(&in);
}

/* Every metric: the sum of promtool's per-block dump counts. */
static void
test_om_all_metrics(void **state)
{
    (void)state;
    static const char *const m[] = {"app_temperature_celsius", "app_queue_depth",
                                    "app_memory_bytes", "app_inflight_requests",
                                    "not_in_the_blocks", "app_memory_bytes"};
    struct ps_ingest in;
    ingest(OM, m, 6, &in);
    size_t want = read_count("testdata/tsdb/expected/dump-01M883062QQPFXRRHV9ARCNYS2.count") +
                  read_count("testdata/tsdb/expected/dump-01M883063HE78EJ20YCRVWSQ5V.count");
    struct sum t = {0, 0, 0};
    for (size_t i = 0; i < 5; i++) {
        struct sum s = summarise(in.facts, m[i], NULL);
        t.series += s.series, t.samples += s.samples, t.cks += s.cks;
    }
    assert_int_equal(t.series, 40);
    assert_int_equal(t.samples, want);
    assert_true(t.cks == 0xdc99c643ca3ecd26ull);
    ps_ingest_free(&in);
}

/* An empty (non-NULL) list loads nothing. */
static void
test_om_nothing_referenced(void **state)
{
    (void)state;
    static const char *const m[] = {NULL};
    struct ps_ingest in;
    ingest(OM, m, 0, &in);
    assert_int_equal(summarise(in.facts, "app_memory_bytes", NULL).series, 0);
    ps_ingest_free(&in);
}

/* The receiver TSDB of the lab corpus: blocks and the WAL head together
 * equal promtool's dump (which replays the head). */
static void
test_corpus_receiver(void **state)
{
    (void)state;
    char p[4096];
    struct stat st;
    ps_test_shared_path(p, sizeof(p), "corpus/lab-2026-11-24/thanos-receive-0");
    if (stat(p, &st) != 0)
        skip();
    static const char *const m[] = {"prometheus_agent_active_series"};
    struct ps_ingest in;
    ingest(p, m, 1, &in);
    struct sum s = summarise(in.facts, "prometheus_agent_active_series", "default-tenant");
    assert_int_equal(s.samples, 324);
    assert_true(s.cks == 0x32c1ec7596a8d552ull);
    assert_int_equal(summarise(in.facts, "up", NULL).series, 0);
    ps_ingest_free(&in);
}

static void
copy_file(const char *from, const char *to, size_t keep)
{
    size_t n = 0;
    uint8_t *p = ps_test_read_file(from, &n);
    assert_non_null(p);
    FILE *f = fopen(to, "wb");
    assert_non_null(f);
    if (keep > n)
        keep = n;
    assert_int_equal(fwrite(p, 1, keep, f), keep);
    fclose(f);
    free(p);
}

/* Damaged blocks: a truncated chunk file and an index with flipped bytes
 * load what can be read and do not crash. */
static void
test_damaged_block(void **state)
{
    (void)state;
    char dir[] = "/tmp/ps-samples-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char b[4200], f[4300], src[4300];
    const char *id = "01M883062QQPFXRRHV9ARCNYS2";
    snprintf(b, sizeof(b), "%s/%s", dir, id);
    assert_int_equal(mkdir(b, 0700), 0);
    snprintf(f, sizeof(f), "%s/chunks", b);
    assert_int_equal(mkdir(f, 0700), 0);
    static const char *const files[] = {"meta.json", "index", "tombstones", "chunks/000001"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(src, sizeof(src), OM "/%s/%s", id, files[i]);
        snprintf(f, sizeof(f), "%s/%s", b, files[i]);
        copy_file(src, f, i == 3 ? 2000 : SIZE_MAX);
    }
    static const char *const m[] = {"app_memory_bytes", "app_queue_depth"};
    struct ps_ingest in;
    ingest(dir, m, 2, &in);
    struct sum s = summarise(in.facts, "app_memory_bytes", NULL);
    assert_true(s.samples < 2890); /* chunks past byte 2000 are gone */
    ps_ingest_free(&in);

    /* flip bytes all over the index */
    snprintf(f, sizeof(f), "%s/index", b);
    size_t n = 0;
    uint8_t *p = ps_test_read_file(f, &n);
    assert_non_null(p);
    for (size_t i = 5; i < n; i += 97)
        p[i] ^= 0x5a;
    FILE *fp = fopen(f, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(p, 1, n, fp), n);
    fclose(fp);
    free(p);
    ingest(dir, m, 2, &in);
    ps_ingest_free(&in);

    for (size_t i = 0; i < 4; i++) {
        snprintf(f, sizeof(f), "%s/%s", b, files[3 - i]);
        unlink(f);
    }
    snprintf(f, sizeof(f), "%s/chunks", b);
    rmdir(f);
    rmdir(b);
    rmdir(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_om_one_metric),
        cmocka_unit_test(test_om_all_metrics),
        cmocka_unit_test(test_om_nothing_referenced),
        cmocka_unit_test(test_corpus_receiver),
        cmocka_unit_test(test_damaged_block),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
