/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * wal_json.c - the JSON contract of `promsight wal --format json`: one
 * object per WAL directory, built from a struct ps_wal_stats in a fixed
 * key order. docs/format-wal.md documents every key; later stages (fact
 * store, reports) read this shape.
 */
#include "promsight/ps_json.h"
#include "promsight/ps_wal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static json_t *
jtime(int64_t ms, int valid)
{
    return valid ? json_integer(ms) : json_null();
}

static json_t *
records_obj(const struct ps_wal_seg_stats *g)
{
    json_t *o = json_object();
    for (unsigned i = 1; i < PS_WAL_REC__COUNT; i++)
        json_object_set_new(o, ps_wal_rec_name(i), json_integer((json_int_t)g->records[i]));
    json_object_set_new(o, "unknown", json_integer((json_int_t)g->records[0]));
    return o;
}

/* Fields shared by a segment and the totals. */
static void
seg_fields(json_t *o, const struct ps_wal_seg_stats *g)
{
    int has_t = g->min_t <= g->max_t;
    json_object_set_new(o, "bytes", json_integer((json_int_t)g->bytes));
    json_object_set_new(o, "records", records_obj(g));
    json_object_set_new(o, "records_snappy", json_integer((json_int_t)g->records_snappy));
    json_object_set_new(o, "records_zstd", json_integer((json_int_t)g->records_zstd));
    json_object_set_new(o, "stored_record_bytes", json_integer((json_int_t)g->stored_bytes));
    json_object_set_new(o, "decoded_record_bytes", json_integer((json_int_t)g->raw_bytes));
    json_object_set_new(o, "series", json_integer((json_int_t)g->series));
    json_object_set_new(o, "new_label_sets", json_integer((json_int_t)g->new_label_sets));
    json_object_set_new(o, "samples", json_integer((json_int_t)g->samples));
    json_object_set_new(o, "histograms", json_integer((json_int_t)g->histograms));
    json_object_set_new(o, "exemplars", json_integer((json_int_t)g->exemplars));
    json_object_set_new(o, "tombstones", json_integer((json_int_t)g->tombstones));
    json_object_set_new(o, "metadata", json_integer((json_int_t)g->metadata));
    json_object_set_new(o, "mmap_markers", json_integer((json_int_t)g->mmap_markers));
    json_object_set_new(o, "stale_markers", json_integer((json_int_t)g->stale_markers));
    json_object_set_new(o, "unknown_ref_samples", json_integer((json_int_t)g->unknown_ref));
    json_object_set_new(o, "out_of_order_samples", json_integer((json_int_t)g->out_of_order));
    json_object_set_new(o, "duplicate_samples", json_integer((json_int_t)g->duplicate));
    json_object_set_new(o, "min_time", jtime(g->min_t, has_t));
    json_object_set_new(o, "max_time", jtime(g->max_t, has_t));
    json_object_set_new(o, "corruptions", json_integer((json_int_t)g->corruptions));
}

static json_t *
corruption_obj(const struct ps_wal_corruption *c)
{
    json_t *o = json_object();
    json_object_set_new(o, "segment", json_string(c->segment != NULL ? c->segment : ""));
    json_object_set_new(o, "segment_index", json_integer(c->seg_index));
    json_object_set_new(o, "segment_kind", json_string(ps_wal_seg_kind_name(c->seg_kind)));
    json_object_set_new(o, "fragment_offset", json_integer((json_int_t)c->fragment_offset));
    json_object_set_new(o, "prometheus_offset", json_integer((json_int_t)c->prom_offset));
    json_object_set_new(o, "kind", json_string(ps_wal_corrupt_name(c->kind)));
    json_object_set_new(o, "triggers_repair", json_boolean(c->triggers_repair));
    json_object_set_new(o, "message", json_string(c->message));
    return o;
}

static json_t *
top_arr(const struct ps_wal_stats *s, int by_samples)
{
    struct ps_wal_top top[PS_WAL_TOP];
    size_t n = ps_wal_stats_top(s, by_samples, top, PS_WAL_TOP);
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(top[i].name));
        json_object_set_new(o, "series", json_integer((json_int_t)top[i].series));
        json_object_set_new(o, "samples", json_integer((json_int_t)top[i].samples));
        json_array_append_new(a, o);
    }
    return a;
}

json_t *
ps_wal_stats_json(const struct ps_wal_stats *s)
{
    struct ps_wal_summary sum;
    ps_wal_stats_summary(s, &sum);
    json_t *w = json_object();
    json_object_set_new(w, "dir", json_string(s->dir));
    json_object_set_new(w, "tsdb_root", ps_json_str_or_null(s->tsdb_root));
    json_object_set_new(w, "pod", ps_json_str_or_null(s->pod));
    json_object_set_new(w, "tenant", ps_json_str_or_null(s->tenant));

    if (s->checkpoint_index >= 0) {
        json_t *c = json_object();
        json_object_set_new(c, "dir", ps_json_str_or_null(s->checkpoint_dir));
        json_object_set_new(c, "index", json_integer(s->checkpoint_index));
        json_object_set_new(w, "checkpoint", c);
    } else {
        json_object_set_new(w, "checkpoint", json_null());
    }
    json_t *ign = json_array();
    for (size_t off = 0, i = 0; i < s->nignored && off < s->ignored.n; i++) {
        const char *name = (const char *)s->ignored.p + off;
        json_array_append_new(ign, json_string(name));
        off += strlen(name) + 1;
    }
    json_object_set_new(w, "checkpoints_not_read", ign);

    json_t *segs = json_array();
    for (size_t i = 0; i < s->nsegs; i++) {
        const struct ps_wal_seg_stats *g = &s->segs[i];
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(g->name));
        json_object_set_new(o, "index", json_integer(g->index));
        json_object_set_new(o, "kind", json_string(ps_wal_seg_kind_name(g->kind)));
        seg_fields(o, g);
        json_array_append_new(segs, o);
    }
    json_object_set_new(w, "segments", segs);

    json_t *t = json_object();
    json_object_set_new(t, "segments", json_integer((json_int_t)s->nsegs));
    seg_fields(t, &s->totals);
    json_object_set_new(t, "label_sets", json_integer((json_int_t)sum.label_sets));
    json_object_set_new(t, "head_series", json_integer((json_int_t)sum.head_series));
    json_object_set_new(t, "head_samples", json_integer((json_int_t)sum.head_samples));
    json_object_set_new(t, "samples_per_second", ps_json_num(sum.samples_per_second));
    json_object_set_new(t, "bytes_per_sample", ps_json_num(sum.bytes_per_sample));
    json_object_set_new(t, "compression_ratio", ps_json_num(sum.compression_ratio));
    json_object_set_new(w, "totals", t);

    json_t *si = json_object();
    json_object_set_new(si, "median_ms", sum.scrape_interval_median_ms >= 0
                                            ? json_integer(sum.scrape_interval_median_ms)
                                            : json_null());
    struct ps_wal_interval_count ic[PS_WAL_TOP];
    size_t nic = ps_wal_stats_intervals(s, ic, PS_WAL_TOP);
    json_t *ia = json_array();
    for (size_t i = 0; i < nic; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "interval_ms", json_integer(ic[i].interval_ms));
        json_object_set_new(o, "series", json_integer((json_int_t)ic[i].series));
        json_array_append_new(ia, o);
    }
    json_object_set_new(si, "series_by_interval", ia);
    json_object_set_new(w, "scrape_interval", si);

    json_t *ch = json_object();
    struct ps_wal_hour_count *hc = NULL;
    size_t nhc = 0;
    ps_wal_stats_churn(s, &hc, &nhc);
    json_t *ha = json_array();
    for (size_t i = 0; i < nhc; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "hour", json_integer(hc[i].hour_ms));
        json_object_set_new(o, "series_first_seen", json_integer((json_int_t)hc[i].series));
        json_array_append_new(ha, o);
    }
    free(hc);
    json_object_set_new(ch, "series_first_seen_per_hour", ha);
    json_object_set_new(ch, "series_created_after_start",
                        json_integer((json_int_t)sum.series_created_after_start));
    json_object_set_new(ch, "series_created_per_hour", ps_json_num(sum.series_created_per_hour));
    json_object_set_new(w, "churn", ch);

    json_object_set_new(w, "top_metrics_by_series", top_arr(s, 0));
    json_object_set_new(w, "top_metrics_by_samples", top_arr(s, 1));

    json_t *ca = json_array();
    for (size_t i = 0; i < s->ncorr; i++)
        json_array_append_new(ca, corruption_obj(&s->corr[i]));
    json_object_set_new(w, "corruptions", ca);
    json_object_set_new(w, "corruptions_not_listed", json_integer((json_int_t)s->corr_dropped));

    if (s->repair) {
        json_t *r = json_object();
        json_t *at = corruption_obj(&s->repair_at);
        json_object_set_new(r, "at", at);
        json_object_set_new(r, "records", json_integer((json_int_t)s->repair_records));
        json_object_set_new(r, "samples", json_integer((json_int_t)s->repair_samples));
        int has = s->repair_min_t <= s->repair_max_t;
        json_object_set_new(r, "min_time", jtime(s->repair_min_t, has));
        json_object_set_new(r, "max_time", jtime(s->repair_max_t, has));
        json_t *del = json_array();
        if (s->repair_seg_kind != PS_WAL_SEG_CHECKPOINT) {
            for (size_t i = 0; i < s->nsegs; i++)
                if (s->segs[i].kind == s->repair_seg_kind &&
                    s->segs[i].index > s->repair_seg_index)
                    json_array_append_new(del, json_string(s->segs[i].name));
        }
        json_object_set_new(r, "segments_deleted", del);
        json_object_set_new(w, "repair_impact", r);
    } else {
        json_object_set_new(w, "repair_impact", json_null());
    }

    json_t *notes = json_array();
    for (size_t i = 0; i < s->notes.n; i++) {
        const struct ps_diag *g = &s->notes.v[i];
        json_t *o = json_object();
        json_object_set_new(o, "severity", json_string(ps_sev_name(g->sev)));
        json_object_set_new(o, "path", ps_json_str_or_null(g->path));
        json_object_set_new(o, "message", json_string(g->msg != NULL ? g->msg : ""));
        json_array_append_new(notes, o);
    }
    json_object_set_new(w, "notes", notes);
    return w;
}
