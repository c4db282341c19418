/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ingest_tsdb.c - the TSDB step of ingest: every TSDB root and block
 * (ps_tsdb_scan), verified and analysed; a summary JSON for the report
 * (blocks, health problems, un-shipped blocks, the newest block's
 * cardinality analysis) and, per block at its maxTime, the series
 *   promsight_block_series, _samples, _chunks, _bytes
 *     {tsdb="<root>", tenant=, block="<ULID>"}
 * which the capacity stage fits as growth curves; TSDB health findings
 * become events of class tsdb.corruption / tsdb.overlap / tsdb.gap /
 * tsdb.compaction_failed located by file and offset.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facts/ingest_int.h"
#include "promsight/ps_tsdb.h"
#include "promsight/ps_util.h"

#define TOP_N 10

/* Rewrite the paths of diagnostics [from, d->n) relative to the bundle. */
static void
relativize_diags(const struct ps_ingest *in, struct ps_diags *d, size_t from)
{
    for (size_t i = from; i < d->n; i++) {
        const char *r = ps_ingest_rel_path(in, d->v[i].path);
        if (r != NULL && r != d->v[i].path) {
            char *c = strdup(r);
            if (c != NULL) {
                free(d->v[i].path);
                d->v[i].path = c;
            }
        }
    }
}

/* Problem class of a TSDB check (its diagnostic phase, docs/format-tsdb.md). */
static const char *
check_class(const char *phase)
{
    static const struct {
        const char *phase, *cls;
    } map[] = {
        {"tsdb/not-shipped", "receiver.upload_stalled"},
        {"tsdb/shipper", "receiver.upload_stalled"},
        {"tsdb/overlap", "tsdb.overlap"},
        {"tsdb/hole", "tsdb.gap"},
        {"tsdb/compaction-failed", "tsdb.compaction_failed"},
        {"tsdb/incomplete-block", "tsdb.compaction_failed"},
    };
    for (size_t i = 0; phase != NULL && i < sizeof(map) / sizeof(*map); i++)
        if (strcmp(phase, map[i].phase) == 0)
            return map[i].cls;
    return "tsdb.corruption";
}

static void
problems_from(struct ps_ingest *in, const struct ps_diags *d, int64_t t,
              const char *tenant, json_t *out)
{
    for (size_t i = 0; i < d->n; i++) {
        const struct ps_diag *g = &d->v[i];
        const char *file = g->path != NULL ? ps_ingest_rel_path(in, g->path) : "";
        json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "check",
                              g->phase != NULL ? g->phase : "tsdb",
                              "severity", ps_sev_name(g->sev), "file", file, "message",
                              g->msg != NULL ? g->msg : "");
        if (g->off != PS_OFF_NONE)
            json_object_set_new(o, "offset", json_integer((json_int_t)g->off));
        json_array_append_new(out, o);
        if (g->sev < PS_SEV_WARN)
            continue;
        /* located damage is also an ingest problem the report lists */
        ps_diag_add(&in->diags, g->sev, g->code, file, g->off, g->line, g->phase, "%s",
                    g->msg != NULL ? g->msg : "");
        if (t <= 0)
            continue; /* no trustworthy time to put an event at */
        struct ps_label l[] = {{"tenant", tenant}, {"check", g->phase}};
        struct ps_event ev = {
            .t = t, .cls = check_class(g->phase), .sev = g->sev, .labels = l,
            .nlabels = 2, .message = g->msg != NULL ? g->msg : "",
            .src = ps_facts_source(in->facts, g->path != NULL ? file : "tsdb"),
            .off = g->off, .line = g->line,
        };
        ps_facts_add_event(in->facts, &ev);
    }
}

/* Read a whole file (a chunks_head file; at most max bytes). */
static uint8_t *
read_file(const char *path, size_t max, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    uint8_t *p = NULL;
    size_t cap = 0;
    *n = 0;
    for (;;) {
        if (*n == cap) {
            if (cap >= max || ps_grow((void **)&p, &cap, cap + 65536, 1) != PS_OK)
                break;
        }
        size_t r = fread(p + *n, 1, cap - *n, f);
        if (r == 0)
            break;
        *n += r;
    }
    fclose(f);
    return p;
}

#define HEAD_FILE_MAX ((size_t)256 << 20)

static void
head_chunks(struct ps_ingest *in, const struct ps_tsdb_root *r, struct ps_tsdb_mem *mem,
            int64_t t, const char *tenant, json_t *out)
{
    for (size_t i = 0; i < r->nhead; i++) {
        size_t n = 0;
        uint8_t *own = NULL;
        const uint8_t *p = mem != NULL ? ps_tsdb_mem_file(mem, r->head_files[i], &n)
                                       : (own = read_file(r->head_files[i], HEAD_FILE_MAX, &n));
        if (p == NULL)
            continue;
        struct ps_tsdb_head_stats st;
        struct ps_diags d;
        ps_diags_init(&d);
        ps_tsdb_head_chunks_scan(p, n, r->head_files[i], &st, &d);
        problems_from(in, &d, t, tenant, json_object_get(out, "problems"));
        ps_diags_free(&d);
        free(own);
    }
}

static json_t *
top_json(const struct ps_tsdb_top *t)
{
    json_t *a = json_array();
    for (size_t i = 0; i < t->n && i < TOP_N; i++)
        json_array_append_new(a, json_pack("{s:I, s:s}", "count", (json_int_t)t->v[i].n,
                                           "name", t->v[i].name));
    return a;
}

static json_t *
analysis_json(const struct ps_tsdb_block *b, const struct ps_tsdb_analysis *a)
{
    return json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:o}",
                     "block", b->ulid, "series", (json_int_t)a->series,
                     "label_names", (json_int_t)a->label_names,
                     "postings_unique_label_pairs", (json_int_t)a->postings_unique,
                     "postings_entries", (json_int_t)a->postings_entries,
                     "chunks", (json_int_t)a->chunks, "samples", (json_int_t)a->samples,
                     "gaps", (json_int_t)a->gaps, "gap_series", (json_int_t)a->gap_series,
                     "highest_cardinality_metric_names", top_json(&a->cardinality_metrics),
                     "highest_cardinality_labels", top_json(&a->cardinality_labels),
                     "label_pairs_most_involved_in_churning", top_json(&a->churn_pairs),
                     "most_common_label_pairs", top_json(&a->common_pairs));
}

static void
publish_block(struct ps_ingest *in, const struct ps_tsdb_root *r,
              const struct ps_tsdb_block *b)
{
    /* a damaged meta.json must not put facts in 1970 or year 292277026596:
     * the rule window spans every fact */
    if (!b->meta_ok || b->meta.max_time <= 0 || b->meta.max_time < b->meta.min_time)
        return;
    struct ps_label l[3];
    size_t n = 0;
    l[n++] = (struct ps_label){"tsdb", ps_ingest_rel_path(in, r->dir)};
    if (r->tenant != NULL)
        l[n++] = (struct ps_label){"tenant", r->tenant};
    l[n++] = (struct ps_label){"block", b->ulid};
    int64_t t = b->meta.max_time;
    uint32_t src = ps_facts_source(in->facts, ps_ingest_rel_path(in, b->dir));
    ps_facts_add(in->facts, "promsight_block_series", l, n, t, (double)b->meta.stats.num_series, src);
    ps_facts_add(in->facts, "promsight_block_samples", l, n, t, (double)b->meta.stats.num_samples, src);
    ps_facts_add(in->facts, "promsight_block_chunks", l, n, t, (double)b->meta.stats.num_chunks, src);
    ps_facts_add(in->facts, "promsight_block_bytes", l, n, t, (double)b->size_bytes, src);
}

static int
shipped(const struct ps_tsdb_root *r, const char *ulid)
{
    for (size_t i = 0; i < r->shipper.nuploaded; i++)
        if (strcmp(r->shipper.uploaded[i], ulid) == 0)
            return 1;
    return 0;
}

static void
do_root(struct ps_ingest *in, struct ps_tsdb_root *r, struct ps_tsdb_mem *mem,
        struct ps_samples *samples, json_t *out)
{
    struct ps_tsdb_block *blocks = calloc(r->nblocks ? r->nblocks : 1, sizeof(*blocks));
    if (blocks == NULL)
        return;
    size_t nb = 0;
    for (size_t i = 0; i < r->nblocks; i++)
        if ((mem != NULL ? ps_tsdb_block_open_mem(mem, r->block_dirs[i], &blocks[nb])
                         : ps_tsdb_block_open(r->block_dirs[i], &blocks[nb])) == PS_OK)
            nb++;
    ps_tsdb_blocks_sort(blocks, nb);
    ps_tsdb_root_check(r, blocks, nb);
    /* the referenced metrics' samples, from the same opened blocks */
    ps_ingest_samples_root(samples, r, blocks, nb);
    const char *tenant = r->tenant != NULL ? r->tenant : "";
    /* a block's age is measured from the newest data in the TSDB, not from
     * file mtimes, which archives keep with different precision (zip: 2 s) */
    int64_t newest = 0;
    for (size_t i = 0; i < nb; i++)
        if (blocks[i].meta.max_time > newest)
            newest = blocks[i].meta.max_time;
    struct ps_tsdb_opts o = {.decode = 1, .gaps = 1, .limit = TOP_N};
    for (size_t i = 0; i < nb; i++) {
        struct ps_tsdb_block *b = &blocks[i];
        struct ps_tsdb_analysis a;
        memset(&a, 0, sizeof(a));
        int ok = ps_tsdb_block_analyze(b, &o, &a) == PS_OK;
        char tmin[40], tmax[40];
        ps_fmt_time_ms(b->meta.min_time, tmin, sizeof(tmin));
        ps_fmt_time_ms(b->meta.max_time, tmax, sizeof(tmax));
        json_array_append_new(json_object_get(out, "blocks"), json_pack(
            "{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:b}", "ulid", b->ulid,
            "tenant", tenant, "min_time", tmin, "max_time", tmax,
            "num_series", (json_int_t)b->meta.stats.num_series,
            "num_samples", (json_int_t)b->meta.stats.num_samples,
            "num_chunks", (json_int_t)b->meta.stats.num_chunks,
            "bytes", (json_int_t)b->size_bytes, "gaps", (json_int_t)(ok ? a.gaps : 0),
            "shipped", r->has_shipper ? shipped(r, b->ulid) : 0));
        if (ok && i + 1 == nb)
            json_object_set_new(out, "analyze", analysis_json(b, &a));
        problems_from(in, &b->diags, b->meta_ok ? b->meta.max_time : 0, tenant,
                      json_object_get(out, "problems"));
        publish_block(in, r, b);
        if (r->has_shipper && !shipped(r, b->ulid))
            json_array_append_new(json_object_get(out, "unshipped"), json_pack(
                "{s:s, s:s, s:I, s:f}", "ulid", b->ulid, "tenant", tenant, "bytes",
                (json_int_t)b->size_bytes, "age_seconds",
                (double)(newest - b->meta.max_time) / 1000.0));
        ps_tsdb_analysis_free(&a);
    }
    int64_t t_last = nb > 0 && blocks[nb - 1].meta_ok ? blocks[nb - 1].meta.max_time : 0;
    problems_from(in, &r->diags, t_last, tenant, json_object_get(out, "problems"));
    head_chunks(in, r, mem, t_last, tenant, out);
    json_array_append_new(json_object_get(out, "roots"), json_pack(
        "{s:s, s:s, s:I, s:I, s:b}", "dir", ps_ingest_rel_path(in, r->dir), "tenant", tenant, "blocks",
        (json_int_t)nb, "incomplete", (json_int_t)r->nincomplete, "has_shipper",
        r->has_shipper));
    for (size_t i = 0; i < nb; i++)
        ps_tsdb_block_close(&blocks[i]);
    free(blocks);
}

enum ps_err
ps_ingest_tsdb(struct ps_bundle *b, const char *path, struct ps_ingest *in,
               struct ps_samples *samples)
{
    const size_t *cnt = in->inventory.count;
    if (cnt[PS_KIND_BLOCK_META] + cnt[PS_KIND_BLOCK_INDEX] + cnt[PS_KIND_BLOCK_CHUNKS] +
            cnt[PS_KIND_HEAD_CHUNKS] + cnt[PS_KIND_SHIPPER_META] == 0)
        return PS_OK; /* nothing of a TSDB in this bundle */
    struct ps_tsdb_scan sc = {0};
    struct ps_tsdb_mem *mem = NULL;
    size_t first_diag = in->diags.n;
    enum ps_err e = ps_bundle_is_archive(b) ? ps_tsdb_scan_bundle(b, &sc, &mem, &in->diags)
                                            : ps_tsdb_scan(path, &sc, &in->diags);
    if (e != PS_OK || sc.nroots == 0) {
        ps_tsdb_scan_free(&sc);
        ps_tsdb_mem_free(mem);
        relativize_diags(in, &in->diags, first_diag);
        return e == PS_E_NOMEM ? e : PS_OK;
    }
    json_t *out = json_pack("{s:[], s:[], s:[], s:[]}", "roots", "blocks", "problems",
                            "unshipped");
    for (size_t i = 0; i < sc.nroots; i++)
        do_root(in, &sc.roots[i], mem, samples, out);
    ps_tsdb_scan_free(&sc);
    ps_tsdb_mem_free(mem);
    relativize_diags(in, &in->diags, first_diag);
    in->tsdb = out;
    return PS_OK;
}
