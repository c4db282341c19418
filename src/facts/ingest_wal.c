/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ingest_wal.c - the WAL step of ingest: read every WAL directory of the
 * bundle in Prometheus' replay order (ps_wal_scan_bundle), keep each
 * directory's JSON (docs/format-wal.md) for the report, and publish what
 * rules and capacity models need as series and events:
 *
 *   promsight_wal_bytes, _segments, _samples, _series (distinct label sets),
 *   _head_series, _span_seconds, _samples_per_second, _bytes_per_sample,
 *   _compression_ratio, _series_created_per_hour, _unknown_ref_samples,
 *   _out_of_order_samples, _corruptions, _repair_loss_samples
 *     {wal="<dir>", pod=, tenant=} at the WAL's newest sample time;
 *   events of class "wal.corruption" at the time of the last good sample,
 *     located by segment and byte offset.
 *
 * The same read feeds the samples step (ingest_samples.c): its hooks pick,
 * segment by segment, the visitor that keeps the series and samples of the
 * referenced metrics, which it publishes after the TSDB step. No WAL
 * segment is read twice (unless the samples step must: see there).
 */
#include <string.h>

#include "facts/ingest_int.h"
#include "promsight/ps_util.h"
#include "promsight/ps_wal.h"

struct pub {
    struct ps_facts *f;
    struct ps_label l[3];
    size_t nl;
    int64_t t;
    uint32_t src;
};

static void
put(struct pub *p, const char *metric, double v)
{
    ps_facts_add(p->f, metric, p->l, p->nl, p->t, v, p->src);
}

static void
publish(struct ps_ingest *in, const struct ps_wal_stats *s)
{
    const struct ps_wal_seg_stats *tot = &s->totals;
    for (size_t i = 0; i < s->notes.n; i++)
        if (s->notes.v[i].sev >= PS_SEV_WARN) {
            const struct ps_diag *g = &s->notes.v[i];
            ps_diag_add(&in->diags, g->sev, g->code, g->path, g->off, g->line, g->phase,
                        "%s", g->msg != NULL ? g->msg : "");
        }
    if (tot->max_t == INT64_MIN || tot->max_t < tot->min_t) {
        /* no sample: no time to put facts at, but damage is still listed */
        for (size_t i = 0; i < s->ncorr; i++) {
            const struct ps_wal_corruption *c = &s->corr[i];
            ps_diag_add(&in->diags, PS_SEV_ERROR, PS_E_CORRUPT,
                        c->segment != NULL ? c->segment : s->dir, c->fragment_offset, 0,
                        "wal: read", "%s (%s; Prometheus reports \"at %llu\")", c->message,
                        ps_wal_corrupt_name(c->kind), (unsigned long long)c->prom_offset);
        }
        return;
    }
    struct ps_wal_summary sum;
    ps_wal_stats_summary(s, &sum);
    struct pub p = {.f = in->facts, .t = tot->max_t};
    p.src = ps_facts_source(in->facts, s->dir);
    p.l[p.nl++] = (struct ps_label){"wal", s->dir};
    if (s->pod != NULL)
        p.l[p.nl++] = (struct ps_label){"pod", s->pod};
    if (s->tenant != NULL)
        p.l[p.nl++] = (struct ps_label){"tenant", s->tenant};
    uint64_t bytes = 0;
    for (size_t i = 0; i < s->nsegs; i++)
        bytes += s->segs[i].bytes;
    put(&p, "promsight_wal_bytes", (double)bytes);
    put(&p, "promsight_wal_segments", (double)s->nsegs);
    put(&p, "promsight_wal_samples", (double)tot->samples);
    put(&p, "promsight_wal_series", (double)sum.label_sets);
    put(&p, "promsight_wal_head_series", (double)sum.head_series);
    put(&p, "promsight_wal_span_seconds", (double)ps_sub_wrap(tot->max_t, tot->min_t) / 1000.0);
    put(&p, "promsight_wal_samples_per_second", sum.samples_per_second);
    put(&p, "promsight_wal_bytes_per_sample", sum.bytes_per_sample);
    put(&p, "promsight_wal_compression_ratio", sum.compression_ratio);
    put(&p, "promsight_wal_series_created_per_hour", sum.series_created_per_hour);
    put(&p, "promsight_wal_unknown_ref_samples", (double)tot->unknown_ref);
    put(&p, "promsight_wal_out_of_order_samples", (double)tot->out_of_order);
    put(&p, "promsight_wal_corruptions", (double)s->ncorr);
    put(&p, "promsight_wal_repair_loss_samples", s->repair ? (double)s->repair_samples : 0);
    for (size_t i = 0; i < s->ncorr; i++) {
        const struct ps_wal_corruption *c = &s->corr[i];
        /* located for the report's problem list: segment, fragment start,
         * and the offset Prometheus itself would print */
        ps_diag_add(&in->diags, PS_SEV_ERROR, PS_E_CORRUPT,
                    c->segment != NULL ? c->segment : s->dir, c->fragment_offset, 0,
                    "wal: read", "%s (%s; Prometheus reports \"at %llu\")%s", c->message,
                    ps_wal_corrupt_name(c->kind), (unsigned long long)c->prom_offset,
                    c->triggers_repair ? "; a Prometheus repair would truncate here" : "");
        char msg[400];
        snprintf(msg, sizeof(msg), "corruption in segment %s at %llu: %s (%s)",
                 c->segment != NULL ? c->segment : "?",
                 (unsigned long long)c->prom_offset, c->message,
                 ps_wal_corrupt_name(c->kind));
        struct ps_event ev = {
            .t = tot->max_t, .cls = "wal.corruption", .sev = PS_SEV_ERROR,
            .labels = p.l, .nlabels = p.nl, .message = msg,
            .src = ps_facts_source(in->facts, c->segment != NULL ? c->segment : s->dir),
            .off = c->fragment_offset, .line = 0,
        };
        ps_facts_add_event(in->facts, &ev);
    }
}

enum ps_err
ps_ingest_wal(struct ps_bundle *b, struct ps_ingest *in, struct ps_samples *samples)
{
    struct ps_wal_scan sc = {0};
    enum ps_err e = ps_wal_scan_bundle_hooks(b, &in->diags, 0,
                                             ps_ingest_samples_wal_hooks(samples), &sc);
    if (e != PS_OK) {
        ps_wal_scan_free(&sc);
        return e == PS_E_NOMEM ? e : PS_OK;
    }
    if (sc.n > 0) {
        json_t *wals = json_array();
        for (size_t i = 0; i < sc.n; i++) {
            json_array_append_new(wals, ps_wal_stats_json(&sc.wals[i]));
            publish(in, &sc.wals[i]);
        }
        in->wal = json_pack("{s:o}", "wals", wals);
    }
    ps_wal_scan_free(&sc);
    return PS_OK;
}
