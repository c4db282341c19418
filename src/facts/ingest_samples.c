/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ingest_samples.c - the samples step of ingest: load, from every TSDB of
 * the bundle, the samples of the series whose metric name is referenced
 * (ps_ingest_opts.tsdb_metrics, else the built-in set: the capacity
 * planner's metrics plus every metric the rules in <models>/rules select),
 * so rules and forecasts run over the TSDB's history. Memory is bounded by
 * what is referenced: only those series' chunks are decoded, and a cap per
 * series and in total stops loading (with a diagnostic).
 *
 * Published as
 *   <metric>{<series labels>, tsdb="<root>", tsdb_tenant="<tenant>", source="tsdb"}
 * with src = the block directory (or the WAL directory for head samples);
 * a series label already named tsdb/tsdb_tenant/source is kept as
 * exported_<name>. The TSDB's tenant is not called "tenant": the capacity
 * planner takes a tenant label as part of a series' identity, and an
 * agent's series remote-written to a receiver tenant is still that agent's.
 * Blocks of a root are read in minTime order, then its WAL: the fact store
 * keeps one sample per timestamp, so overlapping blocks and the head replace
 * each other.
 *
 * Blocks (index format in src/tsdb/index.c):
 *   postings offset table at TOC.postings_table:
 *     be32 len | be32 n | n x (uvarint 2, uvarint-str name, uvarint-str
 *     value, uvarint offset) | be32 CRC32C
 *   postings list at offset: be32 len (= 4 + 4k) | be32 k | k x be32 series
 *     ref | be32 CRC32C
 * Only the rows ("__name__", <wanted metric>) are followed; their series
 * entries are decoded with ps_tsdb_index_series and their chunks read with
 * ps_tsdb_chunk_at. XOR chunks are decoded; histogram chunks are counted
 * and skipped; tombstoned intervals are dropped as a querier would.
 *
 * WAL (head): each TSDB root's WAL (the inventory's segments with that
 * tsdb_root) is replayed in Prometheus' order (the plan: newest
 * checkpoint.N not .tmp, segments > N, then the WBL; each by seq; not
 * unsafe, at most MAX_SEGMENT_BYTES): series records whose
 * __name__ is wanted map a WAL ref to a fact series, sample records of
 * those refs are added. As Prometheus' head replay does, samples older
 * than the newest block's maxTime of that root are dropped; that time is
 * only known after the TSDB step, so publishing waits for it.
 *
 * The segments are not read for this: the WAL step's scan (one read of
 * every WAL, ps_wal_scan_bundle_hooks) calls hooks around each segment,
 * and the visitor set there keeps, per root, the wanted series records and
 * the samples/histograms of their refs (keep_series: a tagged log, at most
 * MAX_KEPT_BYTES for all roots). Publishing replays that log through the
 * same handlers a segment read from the bundle goes through. The scan's
 * worker thread runs the visitor; c->cur and the root being read are
 * touched by nothing else meanwhile, and the hooks run between segments.
 *
 * Samples are decoded for the visitor (which takes the statistics off
 * their fast samples path) only in a root's first segment and once the
 * root has a wanted series; a later segment where the first wanted series
 * appears is read again from the bundle at publish. A root whose segments
 * the scan did not read exactly as planned (order, a segment missing, cut
 * short or listed twice) or whose log passed the limit is read again from
 * the bundle at publish, as before: the result is the same either way.
 */
#include <stdlib.h>
#include <string.h>

#include "facts/ingest_int.h"
#include "promsight/ps_crc32c.h"
#include "promsight/ps_dec.h"
#include "promsight/ps_rules.h"
#include "promsight/ps_tsdb.h"
#include "promsight/ps_util.h"
#include "promsight/ps_wal.h"

#define PH "facts/tsdb-samples"
#define MAX_SAMPLES_TOTAL ((uint64_t)5000000)
#define MAX_SAMPLES_SERIES ((size_t)1000000)
#define MAX_LABELS 64
#define MAX_SEGMENT_BYTES ((size_t)1 << 30)
/* What the WAL step's scan may keep for the head samples (all roots);
 * beyond, a root's WAL is read again at publish. */
#define MAX_KEPT_BYTES ((size_t)32 << 20)

/* Metrics the capacity planner reads (docs/capacity-planning.md). */
static const char *const capacity_metrics[] = {
    "kubelet_volume_stats_capacity_bytes",
    "kubelet_volume_stats_used_bytes",
    "process_resident_memory_bytes",
    "prometheus_agent_active_series",
    "prometheus_agent_samples_appended_total",
    "prometheus_remote_storage_samples_total",
    "prometheus_remote_storage_sent_batch_duration_seconds_count",
    "prometheus_remote_storage_sent_batch_duration_seconds_sum",
    "prometheus_remote_storage_shards_max",
    "prometheus_remote_storage_shard_capacity",
    "prometheus_remote_storage_max_samples_per_send",
    "prometheus_tsdb_compaction_chunk_samples_sum",
    "prometheus_tsdb_compaction_chunk_size_bytes_sum",
    "prometheus_tsdb_head_samples_appended_total",
    "prometheus_tsdb_head_series",
    "prometheus_tsdb_wal_storage_size_bytes",
};

/* ps_ingest_samples_set_for_tests (tests only) */
static int test_reread;
static size_t kept_limit = MAX_KEPT_BYTES;

void
ps_ingest_samples_set_for_tests(int reread, size_t limit)
{
    test_reread = reread;
    kept_limit = limit;
}

/* Tags of what the WAL step's scan keeps (see keep_series). */
enum { KEPT_SERIES = 1, KEPT_SAMPLES = 2, KEPT_HISTOGRAMS = 3 };

/* A planned WAL segment of a root, and where its kept records are. */
struct plan_seg {
    const struct ps_entry *e;   /* borrowed from the inventory */
    int kept;                   /* 1: records in the root's log [lo, hi) */
    size_t lo, hi;
};

/* One TSDB root's WAL: its segments in replay order and what the scan kept. */
struct wal_root {
    const char *root, *tenant;  /* borrowed from the inventory */
    struct plan_seg *seg;       /* slice of ps_samples.segs */
    size_t nseg;
    size_t next;                /* the plan's segment the scan should read next */
    int broken;                 /* read all of it from the bundle at publish */
    struct ps_map64 refs;       /* refs of wanted series seen by the scan */
    struct ps_buf log;          /* kept records (keep_series) */
};

struct path_ix {
    const char *path;
    uint32_t root, pos;
};

struct root_info {
    char *dir;          /* relative to the bundle */
    char *tenant;
    int64_t min_valid;  /* newest block maxTime */
};

struct ps_samples {
    struct ps_ingest *in;
    const char *bundle;
    struct ps_rules *rules;     /* owns the strings of rnames */
    const char **rnames;        /* names the built-in rules select */
    const char **names;         /* sorted, distinct */
    size_t nnames;
    uint64_t loaded, capped, hist_skipped;
    struct root_info *roots;
    size_t nroots;
    /* current series/root being loaded */
    const char *tsdb, *tenant;
    uint32_t src;
    /* blocks */
    struct ps_tsdb_stone *stones;   /* the current block's, sorted by ref */
    size_t nstones;
    /* WAL: the plan and what the WAL step's scan kept (owned here) */
    int planned;
    struct wal_root *wr;        /* in load order (tsdb_root) */
    size_t nwr;
    struct plan_seg *segs;
    struct path_ix *ix;         /* planned segments by path */
    size_t nix;
    size_t kept_bytes;          /* all roots' logs, <= MAX_KEPT_BYTES */
    struct ps_wal_scan_hooks hooks;
    /* the segment the scan reads (scan thread only) */
    struct wal_root *cur;
    size_t cur_pos, cur_lo;
    int cur_samples, cur_reread;
    /* WAL publishing */
    struct ps_map64 map;        /* WAL ref -> fact series id (wanted refs only) */
    struct ps_wal_decoder dec;
    int64_t min_valid;
    struct ps_buf lbuf;         /* label strings of one series */
};

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Is [s, s+n) one of the wanted names? */
static int
wanted(const struct ps_samples *c, const char *s, size_t n)
{
    size_t lo = 0, hi = c->nnames;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        size_t ln = strlen(c->names[mid]);
        int r = memcmp(c->names[mid], s, ln < n ? ln : n); /* s may hold NULs */
        if (r == 0)
            r = (ln > n) - (ln < n);
        if (r == 0)
            return 1;
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* ---- adding samples, with the caps ---- */

static int
add_sample(struct ps_samples *c, uint32_t id, int64_t t, double v, uint32_t src)
{
    if (c->loaded >= MAX_SAMPLES_TOTAL) {
        c->capped++;
        return 0;
    }
    const struct ps_sample *s;
    if (ps_facts_series_samples(c->in->facts, id, &s) >= MAX_SAMPLES_SERIES) {
        c->capped++;
        return 0;
    }
    if (ps_facts_add_sample(c->in->facts, id, t, v, src) != PS_OK)
        return -1;
    c->loaded++;
    return 0;
}

/*
 * Find the fact series for a label set given as n (name, value) pairs of
 * counted strings (the metric name among them). Returns 0 and *id, or -1.
 */
static int
fact_series(struct ps_samples *c, const char *const *nm, const uint32_t *nl, const char *const *vv,
            const uint32_t *vl, size_t n, uint32_t *id)
{
    struct ps_label l[MAX_LABELS + 3];
    size_t off[2 * MAX_LABELS];
    const char *metric = NULL;
    size_t moff = 0, k = 0;
    if (n > MAX_LABELS)
        return -1;
    int bad = 0;
    c->lbuf.n = 0;
    for (size_t i = 0; i < n; i++) {
        int is_name = nl[i] == 8 && memcmp(nm[i], "__name__", 8) == 0;
        int clash = (nl[i] == 4 && memcmp(nm[i], "tsdb", 4) == 0) ||
                    (nl[i] == 11 && memcmp(nm[i], "tsdb_tenant", 11) == 0) ||
                    (nl[i] == 6 && memcmp(nm[i], "source", 6) == 0);
        if (is_name) {
            moff = c->lbuf.n;
            metric = "";
            bad |= ps_buf_append(&c->lbuf, vv[i], vl[i]) != PS_OK;
            bad |= ps_buf_append(&c->lbuf, "", 1) != PS_OK;
            continue;
        }
        off[2 * k] = c->lbuf.n;
        if (clash)
            bad |= ps_buf_append(&c->lbuf, "exported_", 9) != PS_OK;
        bad |= ps_buf_append(&c->lbuf, nm[i], nl[i]) != PS_OK;
        bad |= ps_buf_append(&c->lbuf, "", 1) != PS_OK;
        off[2 * k + 1] = c->lbuf.n;
        bad |= ps_buf_append(&c->lbuf, vv[i], vl[i]) != PS_OK;
        bad |= ps_buf_append(&c->lbuf, "", 1) != PS_OK;
        k++;
    }
    if (metric == NULL || bad)
        return -1;
    const char *base = (const char *)c->lbuf.p;
    metric = base + moff;
    for (size_t i = 0; i < k; i++)
        l[i] = (struct ps_label){base + off[2 * i], base + off[2 * i + 1]};
    l[k++] = (struct ps_label){"tsdb", c->tsdb};
    if (c->tenant != NULL)
        l[k++] = (struct ps_label){"tsdb_tenant", c->tenant};
    l[k++] = (struct ps_label){"source", "tsdb"};
    return ps_facts_series(c->in->facts, metric, l, k, id) == PS_OK ? 0 : -1;
}

/* ---- blocks ---- */

static int
stone_cmp(const void *a, const void *b)
{
    const struct ps_tsdb_stone *x = a, *y = b;
    return (x->ref > y->ref) - (x->ref < y->ref);
}

/* The block's tombstones sorted by series ref (c->stones), so a series
 * finds its intervals by binary search whatever the file holds. */
static void
sort_stones(struct ps_samples *c, const struct ps_tsdb_block *b)
{
    free(c->stones);
    c->stones = NULL;
    c->nstones = 0;
    if (!b->has_tombstones || b->tomb.n == 0)
        return;
    c->stones = malloc(b->tomb.n * sizeof(*c->stones));
    if (c->stones == NULL)
        return;
    memcpy(c->stones, b->tomb.v, b->tomb.n * sizeof(*c->stones));
    c->nstones = b->tomb.n;
    qsort(c->stones, c->nstones, sizeof(*c->stones), stone_cmp);
}

/* [*lo, *hi): the intervals of series ref in c->stones. */
static void
stones_of(const struct ps_samples *c, uint64_t ref, size_t *lo, size_t *hi)
{
    size_t a = 0, z = c->nstones;
    while (a < z) {
        size_t mid = a + (z - a) / 2;
        if (c->stones[mid].ref < ref)
            a = mid + 1;
        else
            z = mid;
    }
    *lo = a;
    while (a < c->nstones && c->stones[a].ref == ref)
        a++;
    *hi = a;
}

static int
tombstoned(const struct ps_samples *c, size_t lo, size_t hi, int64_t t)
{
    for (size_t i = lo; i < hi; i++)
        if (t >= c->stones[i].mint && t <= c->stones[i].maxt)
            return 1;
    return 0;
}

static void
load_series(struct ps_samples *c, struct ps_tsdb_block *b, uint32_t ref, struct ps_tsdb_series *s,
            struct ps_diags *scratch)
{
    const struct ps_tsdb_index *ix = &b->index;
    if (ps_tsdb_index_series(ix, ref, s, scratch) != PS_OK || s->nlabels > MAX_LABELS)
        return;
    const char *nm[MAX_LABELS], *vv[MAX_LABELS];
    uint32_t nl[MAX_LABELS], vl[MAX_LABELS];
    for (size_t i = 0; i < s->nlabels; i++) {
        struct ps_tsdb_str a = ps_tsdb_index_sym(ix, s->lbl[2 * i]);
        struct ps_tsdb_str v = ps_tsdb_index_sym(ix, s->lbl[2 * i + 1]);
        if (a.p == NULL || v.p == NULL)
            return;
        nm[i] = a.p, nl[i] = a.n, vv[i] = v.p, vl[i] = v.n;
    }
    uint32_t id;
    if (fact_series(c, nm, nl, vv, vl, s->nlabels, &id) != 0)
        return;
    size_t slo, shi;
    stones_of(c, ref, &slo, &shi);
    for (size_t i = 0; i < s->nchunks; i++) {
        uint64_t sg = s->chk[i].ref >> 32, off = s->chk[i].ref & 0xffffffffu;
        struct ps_tsdb_chunk ch;
        if (sg >= b->nsegs || b->segs[sg].p == NULL ||
            ps_tsdb_chunk_at(&b->segs[sg], off, &ch) != PS_OK || !ch.crc_ok)
            continue; /* the TSDB stage reports damaged chunks */
        if (ch.enc != PS_TSDB_ENC_XOR || c->loaded >= MAX_SAMPLES_TOTAL) {
            /* not decoded: a histogram chunk, or the total limit is reached */
            int k = ps_tsdb_chunk_num_samples(ch.enc, ch.data, ch.len);
            if (ch.enc != PS_TSDB_ENC_XOR)
                c->hist_skipped += k > 0 ? (uint64_t)k : 0;
            else
                c->capped += k > 0 ? (uint64_t)k : 0;
            continue;
        }
        struct ps_tsdb_xor_it it;
        int64_t t;
        double v;
        ps_tsdb_xor_init(&it, ch.data, ch.len);
        while (ps_tsdb_xor_next(&it, &t, &v) == PS_OK)
            if (!tombstoned(c, slo, shi, t) && add_sample(c, id, t, v, c->src) != 0)
                return;
    }
}

/* Follow the postings list at off (bounds- and CRC-checked). */
static void
load_postings(struct ps_samples *c, struct ps_tsdb_block *b, uint64_t off, struct ps_tsdb_series *s,
              struct ps_diags *scratch)
{
    const struct ps_tsdb_index *ix = &b->index;
    if (ix->n < 52 || off > ix->n - 52 || ix->n - 52 - off < 12)
        return;
    uint32_t len = ps_get_be32(ix->p + off);
    if (len < 4 || len > ix->n - 52 - off - 8)
        return;
    const uint8_t *body = ix->p + off + 4;
    if (ps_crc32c(body, len) != ps_get_be32(body + len))
        return;
    uint32_t k = ps_get_be32(body);
    if ((uint64_t)k * 4 != (uint64_t)len - 4)
        return;
    uint32_t prev = 0;
    for (uint32_t i = 0; i < k; i++) {
        uint32_t ref = ps_get_be32(body + 4 + 4 * (size_t)i);
        if (i > 0 && ref <= prev)
            continue; /* lists are strictly increasing: no series twice */
        load_series(c, b, ref, s, scratch);
        prev = ref;
    }
}

static void
load_block(struct ps_samples *c, struct ps_tsdb_block *b)
{
    const struct ps_tsdb_index *ix = &b->index;
    if (!b->index_ok || ix->p == NULL)
        return;
    uint32_t name = ps_tsdb_index_sym_find(ix, "__name__", 8);
    if (name == UINT32_MAX)
        return;
    size_t any = 0;
    for (size_t i = 0; i < c->nnames && !any; i++) {
        uint32_t v = ps_tsdb_index_sym_find(ix, c->names[i], strlen(c->names[i]));
        any = v != UINT32_MAX && ps_tsdb_index_pair(ix, name, v) >= 0;
    }
    if (!any)
        return; /* nothing referenced in this block: not one chunk read */
    uint64_t pt = ix->toc.postings_table;
    if (ix->n < 52 || pt > ix->n - 52 || ix->n - 52 - pt < 8)
        return;
    uint32_t len = ps_get_be32(ix->p + pt);
    if (len > ix->n - 52 - pt - 8)
        return;
    struct ps_dec d;
    ps_dec_init(&d, ix->p + pt + 4, len);
    uint32_t cnt = ps_dec_be32(&d);
    struct ps_tsdb_series s;
    memset(&s, 0, sizeof(s));
    struct ps_diags scratch;
    ps_diags_init(&scratch);
    c->src = ps_facts_source(c->in->facts, ps_ingest_rel_path(c->in, b->dir));
    sort_stones(c, b);
    for (uint32_t i = 0; i < cnt && d.err == PS_OK; i++) {
        uint64_t kc = ps_dec_uvarint(&d);
        size_t nl, vl;
        const char *nm = ps_dec_uvarint_str(&d, &nl);
        const char *vv = ps_dec_uvarint_str(&d, &vl);
        uint64_t off = ps_dec_uvarint(&d);
        if (d.err != PS_OK || kc != 2)
            break;
        if (nl == 8 && memcmp(nm, "__name__", 8) == 0 && wanted(c, vv, vl))
            load_postings(c, b, off, &s, &scratch);
    }
    ps_tsdb_series_free(&s);
    ps_diags_free(&scratch);
}

static void
note_root(struct ps_samples *c, const char *dir, const char *tenant, int64_t min_valid)
{
    struct root_info *r = realloc(c->roots, (c->nroots + 1) * sizeof(*r));
    if (r == NULL)
        return;
    c->roots = r;
    r[c->nroots].dir = strdup(dir);
    r[c->nroots].tenant = tenant != NULL ? strdup(tenant) : NULL;
    r[c->nroots].min_valid = min_valid;
    if (r[c->nroots].dir != NULL)
        c->nroots++;
}

void
ps_ingest_samples_root(struct ps_samples *c, const struct ps_tsdb_root *r,
                       struct ps_tsdb_block *blocks, size_t nb)
{
    if (c == NULL)
        return;
    c->tsdb = ps_ingest_rel_path(c->in, r->dir);
    c->tenant = r->tenant;
    int64_t newest = INT64_MIN;
    for (size_t i = 0; i < nb; i++) {
        load_block(c, &blocks[i]);
        if (blocks[i].meta_ok && blocks[i].meta.max_time > newest)
            newest = blocks[i].meta.max_time;
    }
    note_root(c, c->tsdb, r->tenant, newest);
}


/* ---- WAL: publishing (the same for kept records and records read now) ---- */

/* Is series x one whose samples are loaded (its last __name__ wanted)? */
static int
series_wanted(const struct ps_samples *c, const struct ps_wal_series *x)
{
    int want = 0;
    for (size_t j = 0; j < x->nlabels; j++)
        if (x->labels[j].name_len == 8 && memcmp(x->labels[j].name, "__name__", 8) == 0)
            want = wanted(c, x->labels[j].value, x->labels[j].value_len);
    return want && x->nlabels <= MAX_LABELS;
}

static void
on_series(void *ctx, const struct ps_wal_series *s, size_t n)
{
    struct ps_samples *c = ctx;
    for (size_t i = 0; i < n; i++) {
        const struct ps_wal_series *x = &s[i];
        if (!series_wanted(c, x))
            continue;
        const char *nm[MAX_LABELS], *vv[MAX_LABELS];
        uint32_t nl[MAX_LABELS], vl[MAX_LABELS];
        for (size_t j = 0; j < x->nlabels; j++) {
            nm[j] = x->labels[j].name, nl[j] = x->labels[j].name_len;
            vv[j] = x->labels[j].value, vl[j] = x->labels[j].value_len;
        }
        uint32_t id;
        if (fact_series(c, nm, nl, vv, vl, x->nlabels, &id) != 0)
            continue;
        ps_map64_put(&c->map, x->ref, id);
    }
}

static void
on_samples(void *ctx, const struct ps_wal_sample *s, size_t n)
{
    struct ps_samples *c = ctx;
    for (size_t i = 0; i < n; i++) {
        uint64_t id;
        if (ps_map64_get(&c->map, s[i].ref, &id) && s[i].t >= c->min_valid)
            add_sample(c, (uint32_t)id, s[i].t, s[i].v, c->src);
    }
}

static void
on_histograms(void *ctx, const struct ps_wal_histogram *h, size_t n)
{
    struct ps_samples *c = ctx;
    uint64_t id;
    for (size_t i = 0; i < n; i++)
        if (ps_map64_get(&c->map, h[i].ref, &id))
            c->hist_skipped++;
}

static void
on_record(void *ctx, const struct ps_wal_record *r)
{
    struct ps_samples *c = ctx;
    if (r->len == 0)
        return;
    unsigned t = r->data[0];
    if (t != PS_WAL_REC_SERIES && t != PS_WAL_REC_SAMPLES && t != PS_WAL_REC_SAMPLES_V2 &&
        t != PS_WAL_REC_HISTOGRAMS && t != PS_WAL_REC_FLOAT_HISTOGRAMS &&
        t != PS_WAL_REC_HISTOGRAMS_V2 && t != PS_WAL_REC_FLOAT_HISTOGRAMS_V2)
        return;
    struct ps_wal_visitor v = {.series = on_series, .samples = on_samples,
                               .histograms = on_histograms, .ctx = c};
    ps_wal_decode(&c->dec, r->data, r->len, &v, NULL); /* the WAL stage reports damage */
}

static void
on_corruption(void *ctx, const struct ps_wal_corruption *k)
{
    (void)ctx;
    (void)k; /* reported by the WAL stage */
}

/* Replay the records kept for one segment (format: kept_* below) through
 * the same handlers as a segment read from the bundle. */
static void
replay_kept(struct ps_samples *c, const uint8_t *p, size_t n)
{
    size_t off = 0;
    while (off < n) {
        uint8_t tag = p[off++];
        uint32_t k;
        if (tag == KEPT_SERIES) {
            struct ps_wal_label l[MAX_LABELS];
            struct ps_wal_series x;
            memcpy(&x.ref, p + off, 8);
            memcpy(&k, p + off + 8, 4);
            off += 12;
            for (uint32_t j = 0; j < k; j++) {
                memcpy(&l[j].name_len, p + off, 4);
                memcpy(&l[j].value_len, p + off + 4, 4);
                off += 8;
                l[j].name = (const char *)p + off;
                off += l[j].name_len;
                l[j].value = (const char *)p + off;
                off += l[j].value_len;
            }
            x.labels = l;
            x.nlabels = k;
            on_series(c, &x, 1);
            continue;
        }
        memcpy(&k, p + off, 4);
        off += 4;
        if (tag == KEPT_SAMPLES) {
            struct ps_wal_sample v[256];
            for (uint32_t i = 0; i < k;) {
                uint32_t m = 0;
                for (; m < 256 && i < k; m++, i++, off += 24) {
                    memcpy(&v[m].ref, p + off, 8);
                    memcpy(&v[m].t, p + off + 8, 8);
                    memcpy(&v[m].v, p + off + 16, 8);
                    v[m].st = 0;
                }
                on_samples(c, v, m);
            }
        } else { /* KEPT_HISTOGRAMS */
            for (uint32_t i = 0; i < k; i++, off += 8) {
                struct ps_wal_histogram h;
                memset(&h, 0, sizeof(h));
                memcpy(&h.ref, p + off, 8);
                on_histograms(c, &h, 1);
            }
        }
    }
}

/* ---- WAL: the plan (which segments, in which order) ---- */

/* Replay order of one WAL's segments: checkpoint, WAL, WBL; then seq. */
static int
seg_rank(const struct ps_entry *e)
{
    return e->kind == PS_KIND_CHECKPOINT_SEGMENT ? 0 : e->kind == PS_KIND_WAL_SEGMENT ? 1 : 2;
}

static int
seg_cmp(const void *a, const void *b)
{
    const struct ps_entry *x = *(const struct ps_entry *const *)a;
    const struct ps_entry *y = *(const struct ps_entry *const *)b;
    int c = strcmp(x->tsdb_root != NULL ? x->tsdb_root : "",
                   y->tsdb_root != NULL ? y->tsdb_root : "");
    if (c != 0)
        return c;
    if (seg_rank(x) != seg_rank(y))
        return seg_rank(x) - seg_rank(y);
    return (x->seq > y->seq) - (x->seq < y->seq);
}

static int
ix_cmp(const void *a, const void *b)
{
    const struct path_ix *x = a, *y = b;
    int c = strcmp(x->path, y->path);
    return c != 0 ? c : (x->root > y->root) - (x->root < y->root);
}

/* The segments each TSDB root's WAL is replayed from, in order: the
 * newest checkpoint.N (not .tmp), WAL segments > N, the WBL; readable ones
 * only (not unsafe, at most MAX_SEGMENT_BYTES as listed). Built from the
 * inventory, once. */
static void
build_plan(struct ps_samples *c)
{
    if (c->planned)
        return;
    c->planned = 1;
    const struct ps_inventory *inv = &c->in->inventory;
    const struct ps_entry **v = malloc((inv->n ? inv->n : 1) * sizeof(*v));
    c->segs = calloc(inv->n ? inv->n : 1, sizeof(*c->segs));
    c->wr = calloc(inv->n ? inv->n : 1, sizeof(*c->wr));
    c->ix = calloc(inv->n ? inv->n : 1, sizeof(*c->ix));
    if (v == NULL || c->segs == NULL || c->wr == NULL || c->ix == NULL) {
        free(v);
        c->nwr = 0;
        return;
    }
    size_t n = 0, nseg = 0;
    for (size_t i = 0; i < inv->n; i++) {
        enum ps_kind k = inv->v[i].kind;
        if ((k == PS_KIND_WAL_SEGMENT || k == PS_KIND_CHECKPOINT_SEGMENT ||
             k == PS_KIND_WBL_SEGMENT) && inv->v[i].tsdb_root != NULL)
            v[n++] = &inv->v[i];
    }
    if (n > 1)
        qsort(v, n, sizeof(*v), seg_cmp);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && strcmp(v[j]->tsdb_root, v[i]->tsdb_root) == 0)
            j++;
        int64_t ckpt = -1;
        for (size_t x = i; x < j; x++)
            if (v[x]->kind == PS_KIND_CHECKPOINT_SEGMENT && strstr(v[x]->path, ".tmp") == NULL &&
                v[x]->checkpoint > ckpt)
                ckpt = v[x]->checkpoint;
        struct wal_root *r = &c->wr[c->nwr++];
        r->root = v[i]->tsdb_root;
        r->tenant = v[i]->tenant;
        r->seg = &c->segs[nseg];
        for (size_t x = i; x < j; x++) {
            const struct ps_entry *e = v[x];
            if (e->kind == PS_KIND_CHECKPOINT_SEGMENT &&
                (e->checkpoint != ckpt || strstr(e->path, ".tmp") != NULL))
                continue;
            if (e->kind == PS_KIND_WAL_SEGMENT && e->seq <= ckpt)
                continue;
            if (e->unsafe || e->size > MAX_SEGMENT_BYTES)
                continue;
            c->ix[c->nix++] = (struct path_ix){e->path, (uint32_t)(c->nwr - 1),
                                               (uint32_t)r->nseg};
            r->seg[r->nseg++].e = e;
            nseg++;
        }
        i = j;
    }
    free(v);
    if (c->nix > 1)
        qsort(c->ix, c->nix, sizeof(*c->ix), ix_cmp);
    /* a path listed twice (an archive may hold it twice): which copy the
     * scan reads is not which one the bundle's lookup finds; read such a
     * WAL at publish */
    for (size_t i = 1; i < c->nix; i++)
        if (strcmp(c->ix[i - 1].path, c->ix[i].path) == 0) {
            c->wr[c->ix[i - 1].root].broken = 1;
            c->wr[c->ix[i].root].broken = 1;
        }
}

/* Root and position of a planned segment path, or NULL. */
static struct wal_root *
planned(struct ps_samples *c, const char *path, size_t *pos)
{
    size_t lo = 0, hi = c->nix;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = strcmp(c->ix[mid].path, path);
        if (r == 0) {
            *pos = c->ix[mid].pos;
            return &c->wr[c->ix[mid].root];
        }
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* This root's WAL is read from the bundle at publish; drop what was kept. */
static void
give_up(struct ps_samples *c, struct wal_root *r)
{
    r->broken = 1;
    c->kept_bytes -= r->log.n;
    ps_buf_free(&r->log);
    ps_map64_free(&r->refs);
}

/* ---- WAL: keeping records during the WAL step's scan ---- */
/*
 * Runs as the visitor of ps_wal_scan_bundle_hooks, on its worker thread
 * (or the calling thread), one segment at a time: c->cur and its root are
 * touched by nothing else while a segment is read. Kept per root, in
 * r->log, as tagged entries (host byte order, unaligned):
 *   KEPT_SERIES:     u64 ref | u32 n | n x (u32 name_len, u32 value_len,
 *                    name, value)          (wanted series only)
 *   KEPT_SAMPLES:    u32 k | k x (u64 ref, i64 t, f64 v)
 *   KEPT_HISTOGRAMS: u32 k | k x u64 ref
 * Samples and histograms are kept when their ref belongs to a wanted
 * series seen so far (r->refs), a superset of what publishing maps.
 */
static int
keep(struct ps_samples *c, struct wal_root *r, const void *p, size_t n)
{
    if (c->kept_bytes + n > kept_limit || ps_buf_append(&r->log, p, n) != PS_OK) {
        give_up(c, r);
        return -1;
    }
    c->kept_bytes += n;
    return 0;
}

static void
keep_series(void *ctx, const struct ps_wal_series *s, size_t n)
{
    struct ps_samples *c = ctx;
    struct wal_root *r = c->cur;
    for (size_t i = 0; i < n && r != NULL && !r->broken; i++) {
        const struct ps_wal_series *x = &s[i];
        if (!series_wanted(c, x))
            continue;
        if (ps_map64_put(&r->refs, x->ref, 1) != PS_OK) {
            give_up(c, r);
            return;
        }
        if (!c->cur_samples) {
            /* this segment's samples were not kept: read it at publish */
            c->cur_reread = 1;
            continue;
        }
        uint8_t hdr[13];
        uint32_t k = (uint32_t)x->nlabels;
        hdr[0] = KEPT_SERIES;
        memcpy(hdr + 1, &x->ref, 8);
        memcpy(hdr + 9, &k, 4);
        if (keep(c, r, hdr, sizeof(hdr)) != 0)
            return;
        for (size_t j = 0; j < x->nlabels; j++) {
            const struct ps_wal_label *l = &x->labels[j];
            uint32_t len[2] = {l->name_len, l->value_len};
            if (keep(c, r, len, 8) != 0 || keep(c, r, l->name, l->name_len) != 0 ||
                keep(c, r, l->value, l->value_len) != 0)
                return;
        }
    }
}

/* Start a KEPT_SAMPLES / KEPT_HISTOGRAMS entry; its count is filled in by
 * end_batch (the entry is dropped when nothing was kept). */
static int
begin_batch(struct ps_samples *c, struct wal_root *r, uint8_t tag, size_t *at)
{
    uint8_t hdr[5] = {tag, 0, 0, 0, 0};
    *at = r->log.n;
    return keep(c, r, hdr, sizeof(hdr));
}

static void
end_batch(struct ps_samples *c, struct wal_root *r, size_t at, uint32_t k)
{
    if (r->broken)
        return;
    if (k == 0) {
        c->kept_bytes -= r->log.n - at;
        r->log.n = at;
        return;
    }
    memcpy(r->log.p + at + 1, &k, 4);
}

static void
keep_samples(void *ctx, const struct ps_wal_sample *s, size_t n)
{
    struct ps_samples *c = ctx;
    struct wal_root *r = c->cur;
    size_t at;
    if (r == NULL || r->broken || r->refs.n == 0 || begin_batch(c, r, KEPT_SAMPLES, &at) != 0)
        return;
    uint32_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t one;
        if (!ps_map64_get(&r->refs, s[i].ref, &one))
            continue;
        uint8_t e[24];
        memcpy(e, &s[i].ref, 8);
        memcpy(e + 8, &s[i].t, 8);
        memcpy(e + 16, &s[i].v, 8);
        if (keep(c, r, e, sizeof(e)) != 0)
            return;
        k++;
    }
    end_batch(c, r, at, k);
}

static void
keep_histograms(void *ctx, const struct ps_wal_histogram *h, size_t n)
{
    struct ps_samples *c = ctx;
    struct wal_root *r = c->cur;
    size_t at;
    if (r == NULL || r->broken || r->refs.n == 0 || begin_batch(c, r, KEPT_HISTOGRAMS, &at) != 0)
        return;
    uint32_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t one;
        if (!ps_map64_get(&r->refs, h[i].ref, &one))
            continue;
        if (keep(c, r, &h[i].ref, 8) != 0)
            return;
        k++;
    }
    end_batch(c, r, at, k);
}

/*
 * Hooks, on the scan's calling thread between segments. A segment is kept
 * when it is the next one of its root's plan; the samples of a segment are
 * only decoded for us (which costs the statistics their fast path) once
 * the root has a wanted series; a segment where the first wanted series
 * appears is therefore read again at publish. Anything else that differs
 * from the plan (order, a segment missing or cut short) makes the whole
 * root read at publish, as before.
 */
static void
scan_segment_begin(void *ctx, struct ps_wal_stats *s, const char *path)
{
    struct ps_samples *c = ctx;
    size_t pos = 0;
    struct wal_root *r = planned(c, path, &pos);
    c->cur = NULL;
    c->cur_samples = 0;
    if (r != NULL && !r->broken) {
        if (pos != r->next) {
            give_up(c, r);
        } else {
            r->next++;
            c->cur = r;
            c->cur_pos = pos;
            c->cur_lo = r->log.n;
            c->cur_reread = 0;
            c->cur_samples = pos == 0 || r->refs.n > 0;
        }
    }
    struct ps_wal_visitor v = {.series = keep_series, .ctx = c};
    if (c->cur_samples) {
        v.samples = keep_samples;
        v.histograms = keep_histograms;
    }
    ps_wal_stats_set_visitor(s, c->cur != NULL ? &v : NULL);
}

static void
scan_segment_end(void *ctx, struct ps_wal_stats *s, const char *path, uint64_t bytes,
                 int complete)
{
    struct ps_samples *c = ctx;
    struct wal_root *r = c->cur;
    (void)path;
    ps_wal_stats_set_visitor(s, NULL);
    c->cur = NULL;
    if (r == NULL || r->broken)
        return;
    if (!complete || bytes > MAX_SEGMENT_BYTES) {
        give_up(c, r);
        return;
    }
    struct plan_seg *g = &r->seg[c->cur_pos];
    if (c->cur_reread) {
        c->kept_bytes -= r->log.n - c->cur_lo;
        r->log.n = c->cur_lo;
        return;
    }
    g->kept = 1;
    g->lo = c->cur_lo;
    g->hi = r->log.n;
}

const struct ps_wal_scan_hooks *
ps_ingest_samples_wal_hooks(struct ps_samples *c)
{
    if (c == NULL || c->nnames == 0 || test_reread)
        return NULL;
    build_plan(c);
    c->hooks = (struct ps_wal_scan_hooks){scan_segment_begin, scan_segment_end, c};
    return &c->hooks;
}

/* ---- WAL: publishing, after the TSDB step ---- */

/* ".../wal" of a segment entry (malloc'd). */
static char *
wal_dir(const struct ps_entry *e)
{
    char *d = strdup(e->path);
    if (d == NULL)
        return NULL;
    for (int k = e->kind == PS_KIND_CHECKPOINT_SEGMENT ? 2 : 1; k > 0; k--) {
        char *sl = strrchr(d, '/');
        if (sl == NULL) {
            d[0] = '\0';
            break;
        }
        *sl = '\0';
    }
    return d;
}

static void
set_src(struct ps_samples *c, const struct ps_entry *e)
{
    char *dir = wal_dir(e);
    c->src = ps_facts_source(c->in->facts, dir != NULL ? dir : e->path);
    free(dir);
}

static void
publish_wal_root(struct ps_samples *c, struct ps_bundle *b, struct wal_root *w)
{
    const char *root = w->root;
    c->tsdb = root;
    c->tenant = w->tenant;
    c->min_valid = INT64_MIN;
    for (size_t i = 0; i < c->nroots; i++)
        if (strcmp(c->roots[i].dir, root) == 0) {
            c->tenant = c->roots[i].tenant;
            c->min_valid = c->roots[i].min_valid;
        }
    if (w->next != w->nseg)
        give_up(c, w); /* the scan did not read all of it */
    ps_map64_free(&c->map); /* refs are per WAL */
    struct ps_wal_reader rd;
    ps_wal_reader_init(&rd, on_record, on_corruption, c);
    for (size_t i = 0; i < w->nseg; i++) {
        const struct plan_seg *g = &w->seg[i];
        const struct ps_entry *e = g->e;
        if (g->kept && !w->broken) {
            set_src(c, e);
            replay_kept(c, w->log.p + g->lo, g->hi - g->lo);
            continue;
        }
        uint8_t *p = NULL;
        size_t len = 0;
        if (ps_bundle_read_entry(b, e->path, MAX_SEGMENT_BYTES, &p, &len) != PS_OK)
            continue;
        set_src(c, e);
        enum ps_wal_seg_kind k = e->kind == PS_KIND_CHECKPOINT_SEGMENT ? PS_WAL_SEG_CHECKPOINT
                                 : e->kind == PS_KIND_WAL_SEGMENT      ? PS_WAL_SEG_WAL
                                                                       : PS_WAL_SEG_WBL;
        ps_wal_reader_begin(&rd, e->path, k, e->seq);
        ps_wal_reader_feed(&rd, p, len);
        ps_wal_reader_end(&rd);
        free(p);
    }
    ps_wal_reader_free(&rd);
    c->kept_bytes -= w->log.n;
    ps_buf_free(&w->log);
    ps_map64_free(&w->refs);
}

static void
publish_wals(struct ps_samples *c, struct ps_bundle *b)
{
    build_plan(c); /* no-op when the scan had the hooks */
    for (size_t i = 0; i < c->nwr; i++)
        publish_wal_root(c, b, &c->wr[i]);
}

/* ---- the step ---- */

struct ps_samples *
ps_ingest_samples_begin(const char *path, const struct ps_ingest_opts *opts,
                        struct ps_ingest *in)
{
    const size_t *cnt = in->inventory.count;
    if (cnt[PS_KIND_BLOCK_INDEX] + cnt[PS_KIND_WAL_SEGMENT] + cnt[PS_KIND_CHECKPOINT_SEGMENT] +
            cnt[PS_KIND_WBL_SEGMENT] == 0)
        return NULL;
    struct ps_samples *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->in = in;
    c->bundle = path;
    /* the capacity planner's metrics always (analyze plans over these facts),
     * plus the caller's list, else what the rules in <models>/rules select */
    const char *const *given = NULL;
    size_t ngiven = 0;
    if (opts != NULL && opts->tsdb_metrics != NULL) {
        given = opts->tsdb_metrics;
        ngiven = opts->ntsdb_metrics;
    } else {
        const char *models = opts != NULL && opts->models_dir != NULL ? opts->models_dir
                                                                      : ps_models_dir();
        char dir[4096];
        snprintf(dir, sizeof(dir), "%s/rules", models);
        struct ps_diags scratch; /* rule problems are the rules stage's */
        ps_diags_init(&scratch);
        c->rules = ps_rules_new();
        if (c->rules != NULL && ps_rules_load_dir(c->rules, dir, &scratch) != PS_E_NOMEM)
            ngiven = ps_rules_metric_names(c->rules, &c->rnames);
        given = c->rnames;
        ps_diags_free(&scratch);
    }
    size_t ncap = sizeof(capacity_metrics) / sizeof(capacity_metrics[0]);
    c->names = malloc((ncap + ngiven) * sizeof(*c->names));
    if (c->names == NULL) {
        ps_ingest_samples_end(c, NULL);
        return NULL;
    }
    for (size_t i = 0; i < ncap; i++)
        c->names[c->nnames++] = capacity_metrics[i];
    for (size_t i = 0; i < ngiven; i++)
        if (given[i] != NULL)
            c->names[c->nnames++] = given[i];
    if (c->nnames > 1)
        qsort(c->names, c->nnames, sizeof(*c->names), cmp_str);
    size_t k = 0;
    for (size_t i = 0; i < c->nnames; i++)
        if (k == 0 || strcmp(c->names[k - 1], c->names[i]) != 0)
            c->names[k++] = c->names[i];
    c->nnames = k;
    return c;
}

void
ps_ingest_samples_end(struct ps_samples *c, struct ps_bundle *b)
{
    if (c == NULL)
        return;
    if (b != NULL && c->nnames > 0)
        publish_wals(c, b);
    if (c->capped > 0)
        ps_diag_add(&c->in->diags, PS_SEV_WARN, PS_E_LIMIT, c->bundle, PS_OFF_NONE, 0, PH,
                    "%llu TSDB/WAL samples not loaded (limits: %llu in total, %zu per series)",
                    (unsigned long long)c->capped, (unsigned long long)MAX_SAMPLES_TOTAL,
                    MAX_SAMPLES_SERIES);
    if (c->hist_skipped > 0)
        ps_diag_add(&c->in->diags, PS_SEV_NOTE, PS_E_UNSUPPORTED, c->bundle, PS_OFF_NONE, 0, PH,
                    "%llu histogram samples of referenced metrics not loaded (floats only)",
                    (unsigned long long)c->hist_skipped);
    for (size_t i = 0; i < c->nroots; i++) {
        free(c->roots[i].dir);
        free(c->roots[i].tenant);
    }
    free(c->roots);
    for (size_t i = 0; i < c->nwr; i++) {
        ps_buf_free(&c->wr[i].log);
        ps_map64_free(&c->wr[i].refs);
    }
    free(c->wr);
    free(c->segs);
    free(c->ix);
    ps_map64_free(&c->map);
    free(c->stones);
    ps_wal_decoder_free(&c->dec);
    ps_buf_free(&c->lbuf);
    free(c->names);
    free(c->rnames);
    ps_rules_free(c->rules);
    free(c);
}
