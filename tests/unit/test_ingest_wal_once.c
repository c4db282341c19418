/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_ingest_wal_once.c - the head samples the WAL step's scan keeps for
 * the samples step (ingest_samples.c) give the same facts as reading every
 * WAL segment again from the bundle at publish (the path used before the
 * scan kept anything, and still the fallback).
 *
 * Each bundle is ingested once normally and once with
 * ps_ingest_samples_set_for_tests(1, ...) (no hooks: every root re-read),
 * and the TSDB-sourced series (labels, every sample's time, value bits and
 * source path) plus the samples step's diagnostics must be byte-identical;
 * the samples whose source is a WAL/WBL directory must not be empty, so no
 * comparison passes on nothing. The fallbacks, each against the forced
 * re-read:
 *   - a later segment in which a root's first wanted series appears (the
 *     synthetic bundle's p1/wal/00000001), between kept segments;
 *   - log caps of 0, 100, 1000, 20000 and 100000 bytes: every root gives
 *     up at its first record, or after some; on the lab bundle 100000 keeps
 *     the receiver's WAL whole while the agent's overflows;
 *   - archives: the files as a ustar (which must also equal the directory:
 *     entry paths are relative to the bundle either way, and nothing else
 *     differs), the same in reverse order, each WAL segment path listed
 *     twice (the second copy with another segment's bytes; the scan reads
 *     both copies, the plan lists the path twice), and the archive cut
 *     halfway into each WAL segment (today the scan's listing walk stops
 *     at the cut and the scan reads no segment, so no root is read as
 *     planned; on synthetic p2 alone and on the corpus's agent WAL, whose
 *     only segment is the first the scan reads, a scan that went on up to
 *     the cut would report that segment incomplete). A cut archive must
 *     also give the series of a directory holding what arrived (the
 *     entries before the cut whole, the cut segment's first half): the
 *     cut segment is read up to the cut, not dropped.
 * Not reachable from a bundle here: a segment over 1 GiB (too big for a
 * unit test), and the scan reading a root's segments in another order
 * than the plan other than by a path listed twice.
 *
 * Bundles: testdata/wal/receive-cp7-seg8 (checkpoint + segment),
 * testdata/lab-bundle.tar.zst (an agent's and a receiver's WAL), a
 * synthetic bundle written here (three roots, checkpoint, a segment below
 * it, WBL), and the shared lab corpus when PS_SHARED has it.
 */
#include "test_util.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "facts/ingest_int.h"
#include "promsight/ps_facts.h"
#include "promsight/ps_ingest.h"
#include "test_wal_writer.h"

#define DEFAULT_LIMIT ((size_t)32 << 20)
#define LAB "corpus/lab-2026-11-24"

/* ---- what is compared ---- */

static int
wal_src(const char *p)
{
    size_t n = strlen(p);
    return strcmp(p, "wal") == 0 || strcmp(p, "wbl") == 0 ||
           (n > 4 && (strcmp(p + n - 4, "/wal") == 0 || strcmp(p + n - 4, "/wbl") == 0));
}

/* The TSDB-sourced series and the samples step's diagnostics as text
 * (malloc'd); *nwal gets the number of samples from a WAL/WBL directory. */
static char *
dump(const struct ps_ingest *in, size_t *nwal)
{
    struct ps_buf b = {0};
    char line[8192];
    *nwal = 0;
    const char *const *names;
    size_t nm = ps_facts_metric_names(in->facts, &names);
    for (size_t m = 0; m < nm; m++) {
        const uint32_t *ids;
        size_t n = ps_facts_metric_series(in->facts, names[m], &ids);
        for (size_t i = 0; i < n; i++) {
            const char *src = ps_facts_series_label(in->facts, ids[i], "source");
            if (src == NULL || strcmp(src, "tsdb") != 0)
                continue;
            const struct ps_label *l;
            size_t nl = ps_facts_series_labels(in->facts, ids[i], &l);
            for (size_t j = 0; j < nl; j++) {
                snprintf(line, sizeof(line), "%s%s=%s", j ? "," : "{", l[j].name, l[j].value);
                ps_buf_append(&b, line, strlen(line));
            }
            ps_buf_append(&b, "}\n", 2);
            const struct ps_sample *s;
            size_t ns = ps_facts_series_samples(in->facts, ids[i], &s);
            for (size_t j = 0; j < ns; j++) {
                uint64_t bits;
                memcpy(&bits, &s[j].v, 8);
                const char *p = ps_facts_source_path(in->facts, s[j].src);
                snprintf(line, sizeof(line), "  %lld %016llx %s\n", (long long)s[j].t,
                         (unsigned long long)bits, p != NULL ? p : "?");
                ps_buf_append(&b, line, strlen(line));
                *nwal += p != NULL && wal_src(p);
            }
        }
    }
    for (size_t i = 0; i < in->diags.n; i++) {
        const struct ps_diag *g = &in->diags.v[i];
        if (g->phase == NULL || strcmp(g->phase, "facts/tsdb-samples") != 0)
            continue;
        ps_diag_format(g, line, sizeof(line));
        ps_buf_append(&b, line, strlen(line));
        ps_buf_append(&b, "\n", 1);
    }
    ps_buf_append(&b, "", 1);
    return (char *)b.p;
}

/* Ingest path with the built-in rules' metrics (as analyze does); reread
 * and limit as ps_ingest_samples_set_for_tests takes them. */
static char *
run(const char *path, int reread, size_t limit, size_t *nwal)
{
    struct ps_ingest_opts o = {.models_dir = "models"};
    struct ps_ingest in;
    ps_ingest_samples_set_for_tests(reread, limit);
    assert_int_equal(ps_ingest_bundle(path, &o, &in), PS_OK);
    ps_ingest_samples_set_for_tests(0, DEFAULT_LIMIT);
    char *d = dump(&in, nwal);
    ps_ingest_free(&in);
    return d;
}

/* Fail with the first differing line of two dumps. */
static void
same(const char *what, const char *want, const char *got)
{
    if (strcmp(want, got) == 0)
        return;
    size_t i = 0, ln = 1, start = 0;
    for (; want[i] != 0 && want[i] == got[i]; i++)
        if (want[i] == '\n')
            ln++, start = i + 1;
    print_error("%s: differs at line %zu\n  re-read: %.200s\n  kept:    %.200s\n", what, ln,
                want + start, got + start);
    fail();
}

/* Caps that overflow at the first record and after some (every bundle
 * here keeps more than the largest). */
static const size_t caps[] = {0, 100, 1000, 20000, 100000};

/*
 * path normally, then with every cap, each equal to the forced re-read;
 * returns the re-read dump (caller frees) and its WAL sample count.
 */
static char *
check_bundle(const char *path, size_t *nwal_out)
{
    size_t nwal = 0, k = 0;
    char what[4400];
    char *want = run(path, 1, DEFAULT_LIMIT, &nwal);
    assert_true(nwal > 0);
    char *got = run(path, 0, DEFAULT_LIMIT, &k);
    snprintf(what, sizeof(what), "%s (kept, default limit)", path);
    same(what, want, got);
    free(got);
    for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
        got = run(path, 0, caps[i], &k);
        snprintf(what, sizeof(what), "%s (kept, limit %zu bytes)", path, caps[i]);
        same(what, want, got);
        free(got);
    }
    if (nwal_out != NULL)
        *nwal_out = nwal;
    return want;
}

/* ---- a synthetic bundle ---- */

static void
put_file(const char *dir, const char *rel, const void *p, size_t n)
{
    char f[4400];
    snprintf(f, sizeof(f), "%s/%s", dir, rel);
    for (char *s = strchr(f + strlen(dir) + 1, '/'); s != NULL; s = strchr(s + 1, '/')) {
        *s = 0;
        mkdir(f, 0700);
        *s = '/';
    }
    FILE *fp = fopen(f, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(p, 1, n, fp), n);
    fclose(fp);
}

struct seg {
    struct tw w;
    size_t wanted; /* samples of wanted series written */
};

static void
seg_series(struct seg *s, uint64_t ref, const char *metric, const char *pod)
{
    const char *kv[] = {"__name__", metric, "pod", pod, NULL};
    struct ps_buf b = {0};
    tw_u8(&b, 1);
    tw_series(&b, ref, kv);
    tw_log(&s->w, b.p, b.n, TW_SNAPPY);
    ps_buf_free(&b);
}

/* n samples of ref at t0, t0+1, ...; wanted: counted in s->wanted */
static void
seg_samples(struct seg *s, uint64_t ref, int64_t t0, size_t n, double v0, int wanted)
{
    struct tw_sample v[64];
    assert_true(n <= 64);
    for (size_t i = 0; i < n; i++)
        v[i] = (struct tw_sample){ref, t0 + (int64_t)i, v0 + (double)i};
    struct ps_buf b = {0};
    tw_samples(&b, v, n);
    tw_log(&s->w, b.p, b.n, TW_SNAPPY);
    ps_buf_free(&b);
    s->wanted += wanted ? n : 0;
}

static size_t
seg_write(struct seg *s, const char *dir, const char *rel)
{
    tw_pad_page(&s->w);
    put_file(dir, rel, s->w.seg.p, s->w.seg.n);
    tw_free(&s->w);
    size_t k = s->wanted;
    memset(s, 0, sizeof(*s));
    return k;
}

#define HEAD "prometheus_tsdb_head_series"          /* wanted (capacity) */
#define RW "prometheus_remote_storage_samples_total" /* wanted (capacity) */
#define OTHER "promsight_test_not_referenced"

/*
 * Three TSDB roots. p0: checkpoint.00000001, a segment <= the checkpoint
 * (not replayed), segments 2 and 3 (a wanted series first appears in 2),
 * a WBL. p1: no wanted series in its first segment; the first appears in
 * segment 1 (read again at publish), more in segment 2. p2: one larger
 * segment. Returns the
 * number of wanted samples a replay loads.
 */
static size_t
make_synthetic(const char *dir)
{
    struct seg s;
    memset(&s, 0, sizeof(s));
    size_t n = 0;
    seg_series(&s, 1, HEAD, "a");
    seg_series(&s, 2, OTHER, "a");
    seg_samples(&s, 1, 1000, 10, 1, 1);
    seg_samples(&s, 2, 1000, 10, 1, 0);
    n += seg_write(&s, dir, "p0/wal/checkpoint.00000001/00000000");
    seg_series(&s, 1, HEAD, "a");
    seg_samples(&s, 1, 500, 5, 999, 1);
    (void)seg_write(&s, dir, "p0/wal/00000001"); /* before the checkpoint */
    seg_samples(&s, 1, 1010, 10, 11, 1);
    seg_samples(&s, 2, 1010, 10, 11, 0);
    seg_series(&s, 3, RW, "a");
    seg_samples(&s, 3, 1010, 10, 100, 1);
    n += seg_write(&s, dir, "p0/wal/00000002");
    seg_samples(&s, 1, 1020, 10, 21, 1);
    seg_samples(&s, 3, 1020, 10, 110, 1);
    n += seg_write(&s, dir, "p0/wal/00000003");
    seg_samples(&s, 1, 990, 5, -1, 1);
    n += seg_write(&s, dir, "p0/wbl/00000000");

    seg_series(&s, 1, OTHER, "b");
    seg_samples(&s, 1, 2000, 10, 1, 0);
    n += seg_write(&s, dir, "p1/wal/00000000");
    seg_samples(&s, 1, 2010, 10, 1, 0);
    seg_series(&s, 2, HEAD, "b");
    seg_samples(&s, 2, 2010, 10, 7, 1);
    n += seg_write(&s, dir, "p1/wal/00000001");
    seg_samples(&s, 2, 2020, 10, 17, 1);
    seg_series(&s, 3, HEAD, "c");
    seg_samples(&s, 3, 2020, 10, 70, 1);
    seg_samples(&s, 1, 2020, 10, 1, 0);
    n += seg_write(&s, dir, "p1/wal/00000002");

    /* p2: one segment of a few pages (cut inside it, the root's only
     * segment was read up to the cut) */
    seg_series(&s, 5, HEAD, "d");
    for (int64_t i = 0; i < 200; i++)
        seg_samples(&s, 5, 64 * i, 64, (double)i, 1);
    n += seg_write(&s, dir, "p2/wal/00000000");
    return n;
}

/* ---- archives of a directory ---- */

struct file {
    char *rel;
    uint8_t *p;
    size_t n;
};

struct files {
    struct file *v;
    size_t n;
};

static void
collect(const char *root, const char *rel, struct files *fs)
{
    char d[4400];
    snprintf(d, sizeof(d), "%s%s%s", root, *rel ? "/" : "", rel);
    DIR *dp = opendir(d);
    assert_non_null(dp);
    struct dirent *de;
    while ((de = readdir(dp)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char r[4400], f[8900];
        snprintf(r, sizeof(r), "%s%s%s", rel, *rel ? "/" : "", de->d_name);
        snprintf(f, sizeof(f), "%s/%s", root, r);
        struct stat st;
        if (lstat(f, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            collect(root, r, fs);
        } else if (S_ISREG(st.st_mode)) {
            fs->v = realloc(fs->v, (fs->n + 1) * sizeof(*fs->v));
            assert_non_null(fs->v);
            struct file *x = &fs->v[fs->n++];
            x->rel = strdup(r);
            x->p = ps_test_read_file(f, &x->n);
            assert_non_null(x->p);
        }
    }
    closedir(dp);
}

static int
file_cmp(const void *a, const void *b)
{
    return strcmp(((const struct file *)a)->rel, ((const struct file *)b)->rel);
}

static void
files_free(struct files *fs)
{
    for (size_t i = 0; i < fs->n; i++) {
        free(fs->v[i].rel);
        free(fs->v[i].p);
    }
    free(fs->v);
}

/* Is rel a WAL, checkpoint or WBL segment (.../wal/N, .../checkpoint.N/N,
 * .../wbl/N with N eight digits)? */
static int
is_segment(const char *rel)
{
    const char *b = strrchr(rel, '/');
    if (b == NULL || strspn(b + 1, "0123456789") != 8 || b[9] != 0)
        return 0;
    const char *d = b;
    while (d > rel && d[-1] != '/')
        d--;
    size_t n = (size_t)(b - d);
    return (n == 3 && (strncmp(d, "wal", 3) == 0 || strncmp(d, "wbl", 3) == 0)) ||
           (n > 11 && strncmp(d, "checkpoint.", 11) == 0);
}

enum shape { IN_ORDER, REVERSED, TWICE };

/*
 * Write fs as a ustar archive to out: in order, reversed, or in order with
 * segment dup listed a second time (right after its first copy) with the
 * content of segment other.
 */
static void
write_tar(const char *out, const struct files *fs, enum shape sh, size_t dup, size_t other)
{
    struct archive *a = archive_write_new();
    assert_non_null(a);
    assert_int_equal(archive_write_set_format_ustar(a), ARCHIVE_OK);
    assert_int_equal(archive_write_open_filename(a, out), ARCHIVE_OK);
    for (size_t k = 0; k < fs->n; k++) {
        size_t i = sh == REVERSED ? fs->n - 1 - k : k;
        for (int copy = 0; copy < (sh == TWICE && i == dup ? 2 : 1); copy++) {
            const struct file *f = copy ? &fs->v[other] : &fs->v[i];
            struct archive_entry *ae = archive_entry_new();
            archive_entry_set_pathname(ae, fs->v[i].rel);
            archive_entry_set_filetype(ae, AE_IFREG);
            archive_entry_set_perm(ae, 0644);
            archive_entry_set_mtime(ae, 1795502084, 0);
            archive_entry_set_size(ae, (la_int64_t)f->n);
            assert_int_equal(archive_write_header(a, ae), ARCHIVE_OK);
            if (f->n > 0)
                assert_int_equal(archive_write_data(a, f->p, f->n), (la_ssize_t)f->n);
            archive_entry_free(ae);
        }
    }
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
}

/* Cut the ustar archive at path halfway into the data of entry rel;
 * returns how many of its bytes are left. */
static size_t
cut_tar(const char *path, const char *rel)
{
    size_t n = 0;
    uint8_t *p = ps_test_read_file(path, &n);
    assert_non_null(p);
    size_t off = 0, at = 0, kept = 0;
    while (off + 512 <= n && p[off] != 0) {
        char name[260];
        if (p[off + 345] != 0)
            snprintf(name, sizeof(name), "%.155s/%.100s", (const char *)p + off + 345,
                     (const char *)p + off);
        else
            snprintf(name, sizeof(name), "%.100s", (const char *)p + off);
        size_t size = (size_t)strtoull((const char *)p + off + 124, NULL, 8);
        if (strcmp(name, rel) == 0) {
            kept = size / 2;
            at = off + 512 + kept;
            break;
        }
        off += 512 + (size + 511) / 512 * 512;
    }
    assert_true(at > 0);
    assert_int_equal(truncate(path, (off_t)at), 0);
    free(p);
    return kept;
}

/* The series part of a dump (its diagnostics cut off: a directory holding
 * a short segment and an archive cut inside it report differently). */
static char *
series_part(const char *dump)
{
    char *d = strdup(dump);
    assert_non_null(d);
    for (char *l = d; *l != 0;) {
        if (*l != '{' && *l != ' ') {
            *l = 0;
            break;
        }
        char *nl = strchr(l, '\n');
        if (nl == NULL)
            break;
        l = nl + 1;
    }
    return d;
}

static void
rm_rf(const char *dir)
{
    char cmd[4400];
    snprintf(cmd, sizeof(cmd), "rm -rf '%.4300s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* The archive cases of the files under dir (see the top); direct: the
 * directory's dump. */
static void
archive_cases(const char *dir, const char *tmp, const char *direct)
{
    struct files fs = {0};
    collect(dir, "", &fs);
    qsort(fs.v, fs.n, sizeof(*fs.v), file_cmp);
    size_t seg[512], ns = 0;
    for (size_t i = 0; i < fs.n && ns < 512; i++)
        if (is_segment(fs.v[i].rel))
            seg[ns++] = i;
    assert_true(ns >= 1);
    char tar[4400], what[4500];
    snprintf(tar, sizeof(tar), "%s/bundle.tar", tmp);

    /* in order: equal to the directory too (paths are relative) */
    write_tar(tar, &fs, IN_ORDER, 0, 0);
    char *want = check_bundle(tar, NULL);
    snprintf(what, sizeof(what), "%s as a tar vs directory", dir);
    same(what, direct, want);
    free(want);

    write_tar(tar, &fs, REVERSED, 0, 0);
    free(check_bundle(tar, NULL));

    /* each segment listed twice, the second copy another segment's bytes
     * (the first segment's copy of the last one, the others' of the first) */
    for (size_t k = 0; k < ns; k++) {
        write_tar(tar, &fs, TWICE, seg[k], seg[k == 0 ? ns - 1 : 0]);
        free(check_bundle(tar, NULL));
    }

    /* cut inside each segment (all later entries are gone too): the same
     * series as a directory of what arrived - the entries before it whole,
     * the cut one's first half - so the cut segment's records up to the
     * cut are kept, as the WAL step counts them */
    char arrived[4096];
    snprintf(arrived, sizeof(arrived), "%s/arrived", tmp);
    for (size_t k = 0; k < ns; k++) {
        write_tar(tar, &fs, IN_ORDER, 0, 0);
        size_t kept = cut_tar(tar, fs.v[seg[k]].rel);
        size_t nwal = 0, ndir = 0;
        char *w = run(tar, 1, DEFAULT_LIMIT, &nwal);
        char *g = run(tar, 0, DEFAULT_LIMIT, &nwal);
        snprintf(what, sizeof(what), "%s as a tar cut inside %s", dir, fs.v[seg[k]].rel);
        same(what, w, g);
        assert_int_equal(mkdir(arrived, 0700), 0);
        for (size_t i = 0; i <= seg[k]; i++)
            put_file(arrived, fs.v[i].rel, fs.v[i].p, i < seg[k] ? fs.v[i].n : kept);
        char *d = run(arrived, 1, DEFAULT_LIMIT, &ndir);
        char *ws = series_part(w), *ds = series_part(d);
        snprintf(what, sizeof(what), "%s cut inside %s vs the directory of what arrived",
                 dir, fs.v[seg[k]].rel);
        same(what, ds, ws);
        free(ws);
        free(ds);
        free(d);
        rm_rf(arrived);
        free(w);
        free(g);
    }
    unlink(tar);
    files_free(&fs);
}

/* ---- the tests ---- */

/* A later segment with a root's first wanted series, a skipped segment
 * below the checkpoint, a WBL: kept == re-read == what was written. */
static void
test_synthetic(void **state)
{
    (void)state;
    char tmp[] = "/tmp/ps-walonce-XXXXXX", dir[4400];
    assert_non_null(mkdtemp(tmp));
    snprintf(dir, sizeof(dir), "%s/b", tmp);
    assert_int_equal(mkdir(dir, 0700), 0);
    size_t written = make_synthetic(dir);
    size_t nwal = 0;
    char *want = check_bundle(dir, &nwal);
    assert_int_equal(nwal, written);
    assert_non_null(strstr(want, "p0/wbl"));
    archive_cases(dir, tmp, want);
    free(want);
    /* p2 alone: cut inside a root's only segment, that segment is the
     * first the scan reads (a checkpoint elsewhere would be read first,
     * and the cut stops the scan there) */
    char p2[4500];
    snprintf(p2, sizeof(p2), "%s/p2", dir);
    want = check_bundle(p2, NULL);
    archive_cases(p2, tmp, want);
    free(want);
    rm_rf(tmp);
}

/* testdata: a receiver's WAL (checkpoint + segment), directory and tars. */
static void
test_testdata_receive(void **state)
{
    (void)state;
    char tmp[] = "/tmp/ps-walonce-XXXXXX";
    assert_non_null(mkdtemp(tmp));
    char *want = check_bundle("testdata/wal/receive-cp7-seg8", NULL);
    archive_cases("testdata/wal/receive-cp7-seg8", tmp, want);
    free(want);
    rm_rf(tmp);
}

/* testdata: the lab bundle as tar.zst (an agent's and a receiver's WAL). */
static void
test_testdata_lab_archive(void **state)
{
    (void)state;
    free(check_bundle("testdata/lab-bundle.tar.zst", NULL));
}

/* The shared lab corpus directory, and its tars. */
static void
test_corpus(void **state)
{
    (void)state;
    char p[4096];
    struct stat st;
    ps_test_shared_path(p, sizeof(p), LAB);
    if (stat(p, &st) != 0)
        skip();
    char tmp[] = "/tmp/ps-walonce-XXXXXX";
    assert_non_null(mkdtemp(tmp));
    char *want = check_bundle(p, NULL);
    archive_cases(p, tmp, want);
    free(want);
    rm_rf(tmp);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_synthetic),
        cmocka_unit_test(test_testdata_receive),
        cmocka_unit_test(test_testdata_lab_archive),
        cmocka_unit_test(test_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
