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
 * The head (WAL) part is in ingest_samples_wal.c.
 */
#include <stdlib.h>
#include <string.h>

#include "facts/samples_int.h"
#include "promsight/ps_crc32c.h"
#include "promsight/ps_dec.h"
#include "promsight/ps_rules.h"

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

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* See samples_int.h. */
int
samples_wanted(const struct ps_samples *c, const char *s, size_t n)
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

/* See samples_int.h. */
int
samples_add(struct ps_samples *c, uint32_t id, int64_t t, double v, uint32_t src)
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

/* See samples_int.h. */
int
samples_fact_series(struct ps_samples *c, const char *const *nm, const uint32_t *nl,
                    const char *const *vv, const uint32_t *vl, size_t n, uint32_t *id)
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
    if (samples_fact_series(c, nm, nl, vv, vl, s->nlabels, &id) != 0)
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
            if (!tombstoned(c, slo, shi, t) && samples_add(c, id, t, v, c->src) != 0)
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
        if (nl == 8 && memcmp(nm, "__name__", 8) == 0 && samples_wanted(c, vv, vl))
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
        samples_publish_wals(c, b);
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
    samples_wal_free(c);
    free(c->stones);
    free(c->names);
    free(c->rnames);
    ps_rules_free(c->rules);
    free(c);
}
