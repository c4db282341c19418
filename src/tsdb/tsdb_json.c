/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tsdb_json.c - the JSON of a block, its analysis and its findings, as
 * `promsight tsdb ... --format json` prints them (docs/format-tsdb.md,
 * "JSON"), in the library so that every user of an analysis - the CLI,
 * the whole-block fuzzer that compares thread counts - builds the same
 * document. Keys are set in the documented order.
 */
#include <string.h>

#include <jansson.h>

#include "promsight/ps_tsdb.h"
#include "promsight/ps_util.h"
#include "promsight/ps_json.h"

/* See ps_tsdb.h. */
json_t *
ps_tsdb_diags_json(const struct ps_diags *d, json_t *arr)
{
    for (size_t i = 0; i < d->n; i++) {
        const struct ps_diag *g = &d->v[i];
        json_t *o = json_object();
        json_object_set_new(o, "severity", json_string(ps_sev_name(g->sev)));
        json_object_set_new(o, "check", ps_json_str_or_null(g->phase));
        json_object_set_new(o, "path", ps_json_str_or_null(g->path));
        json_object_set_new(o, "offset",
                            g->off == PS_OFF_NONE ? json_null() : ps_json_u64(g->off));
        json_object_set_new(o, "message", ps_json_str_or_null(g->msg));
        json_array_append_new(arr, o);
    }
    return arr;
}

static json_t *
j_top(const struct ps_tsdb_top *t)
{
    json_t *a = json_array();
    for (size_t i = 0; i < t->n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(t->v[i].name));
        json_object_set_new(o, "count", ps_json_u64(t->v[i].n));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *
j_mm(const struct ps_tsdb_minmax *m)
{
    json_t *o = json_object();
    json_object_set_new(o, "count", ps_json_u64(m->n));
    json_object_set_new(o, "min", m->n ? json_real(m->min) : json_null());
    json_object_set_new(o, "avg", m->n ? json_real(m->sum / (double)m->n) : json_null());
    json_object_set_new(o, "max", m->n ? json_real(m->max) : json_null());
    return o;
}

/* See ps_tsdb.h. */
json_t *
ps_tsdb_block_json(const struct ps_tsdb_block *b, const struct ps_tsdb_root *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "ulid", json_string(b->ulid));
    json_object_set_new(o, "dir", json_string(b->dir));
    json_object_set_new(o, "min_time", json_integer(b->meta.min_time));
    json_object_set_new(o, "max_time", json_integer(b->meta.max_time));
    json_object_set_new(o, "duration_ms", json_integer(ps_sub_wrap(b->meta.max_time, b->meta.min_time)));
    json_object_set_new(o, "num_samples", ps_json_u64(b->meta.stats.num_samples));
    json_object_set_new(o, "num_chunks", ps_json_u64(b->meta.stats.num_chunks));
    json_object_set_new(o, "num_series", ps_json_u64(b->meta.stats.num_series));
    json_object_set_new(o, "num_tombstones", ps_json_u64(b->meta.stats.num_tombstones));
    json_object_set_new(o, "size_bytes", ps_json_u64(b->size_bytes));
    json_object_set_new(o, "compaction_level", json_integer(b->meta.level));
    json_object_set_new(o, "compaction_failed", json_boolean(b->meta.failed));
    json_object_set_new(o, "deletable", json_boolean(b->meta.deletable));
    json_t *src = json_array();
    for (size_t i = 0; i < b->meta.nsources; i++)
        json_array_append_new(src, json_string(b->meta.sources[i]));
    json_object_set_new(o, "sources", src);
    json_t *h = json_array();
    for (size_t i = 0; i < b->meta.nhints; i++)
        json_array_append_new(h, json_string(b->meta.hints[i]));
    json_object_set_new(o, "hints", h);
    if (r != NULL && r->has_shipper) {
        int found = 0;
        for (size_t k = 0; k < r->shipper.nuploaded && !found; k++)
            found = strcmp(r->shipper.uploaded[k], b->ulid) == 0;
        json_object_set_new(o, "shipped", json_boolean(found));
    } else {
        json_object_set_new(o, "shipped", json_null());
    }
    if (b->meta.has_thanos) {
        json_t *t = json_object();
        json_t *l = json_object();
        for (size_t i = 0; i < b->meta.nlabels; i++)
            if (b->meta.labels[i].name != NULL && b->meta.labels[i].value != NULL)
                json_object_set_new(l, b->meta.labels[i].name,
                                    json_string(b->meta.labels[i].value));
        json_object_set_new(t, "labels", l);
        json_object_set_new(t, "downsample_resolution",
                            json_integer(b->meta.downsample_resolution));
        json_object_set_new(t, "source", ps_json_str_or_null(b->meta.source));
        json_object_set_new(t, "files", json_integer((json_int_t)b->meta.nfiles));
        json_object_set_new(t, "series_max_size", json_integer(b->meta.series_max_size));
        json_object_set_new(t, "chunk_max_size", json_integer(b->meta.chunk_max_size));
        json_object_set_new(t, "upload_time", ps_json_str_or_null(b->meta.upload_time));
        json_object_set_new(o, "thanos", t);
    } else {
        json_object_set_new(o, "thanos", json_null());
    }
    return o;
}

/* See ps_tsdb.h. */
json_t *
ps_tsdb_analysis_json(const struct ps_tsdb_analysis *a, int decoded)
{
    json_t *o = json_object();
    json_t *p = json_object();
    json_object_set_new(p, "duration_ms", json_integer(a->duration_ms));
    json_object_set_new(p, "series", ps_json_u64(a->series_meta));
    json_object_set_new(p, "label_names", ps_json_u64(a->label_names));
    json_object_set_new(p, "postings_unique", ps_json_u64(a->postings_unique));
    json_object_set_new(p, "postings_entries", ps_json_u64(a->postings_entries));
    json_object_set_new(p, "churn_label_pairs", j_top(&a->churn_pairs));
    json_object_set_new(p, "churn_label_names", j_top(&a->churn_names));
    json_object_set_new(p, "common_label_pairs", j_top(&a->common_pairs));
    json_object_set_new(p, "label_value_lengths", j_top(&a->value_lengths));
    json_object_set_new(p, "cardinality_labels", j_top(&a->cardinality_labels));
    json_object_set_new(p, "cardinality_metric_names", j_top(&a->cardinality_metrics));
    json_t *f = json_array();
    for (int i = 0; i < PS_TSDB_HIST_BUCKETS; i++)
        json_array_append_new(f, ps_json_u64(a->fullness[i]));
    json_object_set_new(p, "fullness_chunks", f);
    json_object_set_new(o, "promtool", p);
    json_t *c = json_object();
    json_object_set_new(c, "series", ps_json_u64(a->series));
    json_object_set_new(c, "chunks", ps_json_u64(a->chunks));
    json_object_set_new(c, "samples", ps_json_u64(a->samples));
    json_object_set_new(c, "float_samples", ps_json_u64(a->float_samples));
    json_object_set_new(c, "histogram_samples", ps_json_u64(a->histogram_samples));
    json_object_set_new(c, "samples_decoded", ps_json_u64(a->samples_decoded));
    json_object_set_new(c, "chunk_data_bytes", ps_json_u64(a->chunk_bytes));
    json_t *e = json_object();
    static const char *const en[8] = {"none", "xor", "histogram", "float_histogram",
                                      "xor2", "histogram_st", "float_histogram_st",
                                      "other"};
    for (int i = 0; i < 8; i++)
        json_object_set_new(e, en[i], ps_json_u64(a->chunks_by_enc[i]));
    json_object_set_new(c, "by_encoding", e);
    json_object_set_new(c, "samples_per_chunk", j_mm(&a->samples_per_chunk));
    json_object_set_new(c, "bytes_per_chunk", j_mm(&a->bytes_per_chunk));
    json_object_set_new(c, "bytes_per_sample", j_mm(&a->bytes_per_sample));
    json_object_set_new(c, "crc_failures", ps_json_u64(a->crc_failures));
    json_object_set_new(c, "decode_errors", ps_json_u64(a->decode_errors));
    json_object_set_new(c, "series_errors", ps_json_u64(a->series_errors));
    json_object_set_new(o, "chunks", c);
    if (decoded) {
        json_t *g = json_object();
        json_object_set_new(g, "series_with_gaps", ps_json_u64(a->gap_series));
        json_object_set_new(g, "gaps", ps_json_u64(a->gaps));
        json_object_set_new(g, "missed_samples", ps_json_u64(a->gap_missed_samples));
        json_object_set_new(g, "missing_ms", json_integer(a->gap_ms));
        if (a->common_gap_series > 0) {
            json_object_set_new(g, "widest_shared_start", json_integer(a->common_gap_start));
            json_object_set_new(g, "widest_shared_end", json_integer(a->common_gap_end));
        } else {
            json_object_set_new(g, "widest_shared_start", json_null());
            json_object_set_new(g, "widest_shared_end", json_null());
        }
        json_object_set_new(g, "widest_shared_series", ps_json_u64(a->common_gap_series));
        json_object_set_new(o, "gaps", g);
    } else {
        json_object_set_new(o, "gaps", json_null());
    }
    return o;
}

/* See ps_tsdb.h. */
json_t *
ps_tsdb_timeline_point_json(const struct ps_tsdb_timeline_point *tp)
{
    json_t *o = json_object();
    json_object_set_new(o, "ulid", json_string(tp->ulid));
    json_object_set_new(o, "min_time", json_integer(tp->min_time));
    json_object_set_new(o, "max_time", json_integer(tp->max_time));
    json_object_set_new(o, "series", ps_json_u64(tp->series));
    json_object_set_new(o, "samples", ps_json_u64(tp->samples));
    json_object_set_new(o, "chunks", ps_json_u64(tp->chunks));
    json_object_set_new(o, "bytes", ps_json_u64(tp->bytes));
    return o;
}

/* See ps_tsdb.h. */
json_t *
ps_tsdb_head_json(const char *path, const struct ps_tsdb_head_stats *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "path", json_string(path));
    json_object_set_new(o, "chunks", ps_json_u64(s->chunks));
    json_object_set_new(o, "samples", ps_json_u64(s->samples));
    json_object_set_new(o, "series", ps_json_u64(s->series));
    json_object_set_new(o, "ooo_chunks", ps_json_u64(s->ooo_chunks));
    json_object_set_new(o, "bad_crc", ps_json_u64(s->bad_crc));
    json_object_set_new(o, "zero_tail_bytes", ps_json_u64(s->zero_tail_bytes));
    json_object_set_new(o, "min_time", s->chunks ? json_integer(s->min_time) : json_null());
    json_object_set_new(o, "max_time", s->chunks ? json_integer(s->max_time) : json_null());
    return o;
}
