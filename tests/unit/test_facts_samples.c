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

#include "promsight/ps_crc32c.h"
#include "promsight/ps_facts.h"
#include "promsight/ps_ingest.h"
#include "promsight/ps_tsdb.h"

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

/* Copy block `id` of testdata/tsdb/om into a new directory under /tmp;
 * *dir gets the root, b the block path. */
static void
copy_block(char *dir, char *b, size_t bn, const char *id, size_t chunk_keep)
{
    char f[4300], src[4300];
    assert_non_null(mkdtemp(dir));
    snprintf(b, bn, "%s/%s", dir, id);
    assert_int_equal(mkdir(b, 0700), 0);
    snprintf(f, sizeof(f), "%s/chunks", b);
    assert_int_equal(mkdir(f, 0700), 0);
    static const char *const files[] = {"meta.json", "index", "tombstones", "chunks/000001"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(src, sizeof(src), OM "/%s/%s", id, files[i]);
        snprintf(f, sizeof(f), "%s/%s", b, files[i]);
        copy_file(src, f, i == 3 ? chunk_keep : SIZE_MAX);
    }
}

static void
remove_block(const char *dir, const char *b)
{
    char f[4300];
    static const char *const files[] = {"chunks/000001", "tombstones", "index", "meta.json"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(f, sizeof(f), "%s/%s", b, files[i]);
        unlink(f);
    }
    snprintf(f, sizeof(f), "%s/chunks", b);
    rmdir(f);
    rmdir(b);
    rmdir(dir);
}

static size_t
put_uvarint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/* A tombstone over part of one series: its samples in [mint, maxt] are not
 * loaded, every other sample is. (Checked once by hand: promtool tsdb dump
 * of the directory this test writes, kept, prints 2270 = 2290 - 20 samples
 * of app_memory_bytes.) */
static void
test_tombstones(void **state)
{
    (void)state;
    char dir[] = "/tmp/ps-samples-XXXXXX", b[4200], f[4300];
    copy_block(dir, b, sizeof(b), "01M883062QQPFXRRHV9ARCNYS2", SIZE_MAX);
    static const char *const m[] = {"app_memory_bytes"};
    struct ps_ingest in;
    ingest(dir, m, 1, &in);
    size_t before = summarise(in.facts, "app_memory_bytes", NULL).samples;
    assert_int_equal(before, 2290); /* promtool: dump of this block alone */

    /* the first app_memory_bytes series of the index, and its samples */
    struct ps_tsdb_block blk;
    assert_int_equal(ps_tsdb_block_open(b, &blk), PS_OK);
    uint32_t name = ps_tsdb_index_sym_find(&blk.index, "__name__", 8);
    uint32_t val = ps_tsdb_index_sym_find(&blk.index, "app_memory_bytes", 16);
    struct ps_tsdb_series se;
    memset(&se, 0, sizeof(se));
    uint32_t ref = UINT32_MAX;
    char pod[64] = "";
    for (size_t i = 0; i < blk.index.nall && ref == UINT32_MAX; i++) {
        struct ps_diags d;
        ps_diags_init(&d);
        assert_int_equal(ps_tsdb_index_series(&blk.index, blk.index.all[i], &se, &d), PS_OK);
        ps_diags_free(&d);
        int hit = 0;
        for (size_t j = 0; j < se.nlabels; j++) {
            if (se.lbl[2 * j] == name && se.lbl[2 * j + 1] == val)
                hit = 1;
            struct ps_tsdb_str ln = ps_tsdb_index_sym(&blk.index, se.lbl[2 * j]);
            struct ps_tsdb_str lv = ps_tsdb_index_sym(&blk.index, se.lbl[2 * j + 1]);
            if (ln.n == 3 && memcmp(ln.p, "pod", 3) == 0 && lv.n < sizeof(pod))
                snprintf(pod, sizeof(pod), "%.*s", (int)lv.n, lv.p);
        }
        if (hit)
            ref = blk.index.all[i];
    }
    assert_true(ref != UINT32_MAX);
    int64_t mint = blk.meta.min_time + 600000, maxt = blk.meta.min_time + 1200000;
    ps_tsdb_series_free(&se);
    ps_tsdb_block_close(&blk);
    size_t inside = 0, series_n = 0;
    const uint32_t *ids;
    size_t n = ps_facts_metric_series(in.facts, "app_memory_bytes", &ids);
    for (size_t i = 0; i < n; i++) {
        const char *p = ps_facts_series_label(in.facts, ids[i], "pod");
        if (p == NULL || strcmp(p, pod) != 0)
            continue;
        const struct ps_sample *sm;
        series_n = ps_facts_series_samples(in.facts, ids[i], &sm);
        for (size_t j = 0; j < series_n; j++)
            inside += sm[j].t >= mint && sm[j].t <= maxt;
    }
    ps_ingest_free(&in);
    assert_true(inside > 0 && inside < series_n);

    /* write the tombstone: magic, version, ref, mint, maxt (zigzag), CRC */
    uint8_t t[64] = {0x01, 0x30, 0xBA, 0x30, 0x01};
    size_t k = 5;
    k += put_uvarint(t + k, ref);
    k += put_uvarint(t + k, ((uint64_t)mint << 1) ^ (uint64_t)(mint >> 63));
    k += put_uvarint(t + k, ((uint64_t)maxt << 1) ^ (uint64_t)(maxt >> 63));
    uint32_t crc = ps_crc32c(t + 5, k - 5);
    t[k++] = (uint8_t)(crc >> 24), t[k++] = (uint8_t)(crc >> 16);
    t[k++] = (uint8_t)(crc >> 8), t[k++] = (uint8_t)crc;
    snprintf(f, sizeof(f), "%s/tombstones", b);
    FILE *fp = fopen(f, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(t, 1, k, fp), k);
    fclose(fp);
    ingest(dir, m, 1, &in);
    assert_int_equal(summarise(in.facts, "app_memory_bytes", NULL).samples, before - inside);
    ps_ingest_free(&in);
    remove_block(dir, b);
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
        cmocka_unit_test(test_tombstones),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
