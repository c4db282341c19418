/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * report_sections.c - the report parts that summarise other stages: the
 * bundle, window and rule list; "sections" (WAL health, TSDB health,
 * cardinality, capacity) as titled tables built from each stage's own
 * JSON; the inventory; unreadable input; redactions; and the flat
 * "metrics" object that `promsight diff` compares.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "promsight/ps_ingest.h"
#include "report/report_build_int.h"
#include "report/report_int.h"

#define MAX_TABLE_ROWS 50

/* Regular files only: archives list directories or not, as they please. */
static json_int_t
file_count(const struct ps_inventory *inv)
{
    size_t n = 0;
    for (int k = 0; k < PS_KIND__COUNT; k++)
        n += inv->count[k];
    return (json_int_t)n;
}

json_t *
rb_bundle(const struct ps_report_inputs *in)
{
    const struct ps_inventory *inv = &in->ingest->inventory;
    json_t *kinds = json_object();
    for (int k = 0; k < PS_KIND__COUNT; k++)
        if (inv->count[k] > 0)
            json_object_set_new(kinds, ps_kind_name((enum ps_kind)k),
                                json_integer((json_int_t)inv->count[k]));
    return json_pack("{s:s, s:I, s:I, s:o}", "name", in->bundle_name, "entries",
                     file_count(inv), "bytes", (json_int_t)inv->total_bytes,
                     "kinds", kinds);
}

json_t *
rb_window(const struct ps_report_inputs *in)
{
    const json_t *w = json_object_get(in->diagnosis, "window");
    if (json_is_object(w))
        return json_deep_copy(w);
    int64_t a, b;
    char s1[40] = "", s2[40] = "";
    if (ps_facts_time_range(in->ingest->facts, &a, &b)) {
        ps_fmt_time_ms(a, s1, sizeof(s1));
        ps_fmt_time_ms(b, s2, sizeof(s2));
    }
    return json_pack("{s:s, s:s}", "start", s1, "end", s2);
}

json_t *
rb_rules(const json_t *diagnosis)
{
    const json_t *rules = json_object_get(diagnosis, "rules");
    if (json_is_array(rules))
        return json_deep_copy(rules);
    /* derive from findings and skipped when the engine gave no rule list */
    json_t *out = json_array();
    size_t i;
    const json_t *x;
    json_array_foreach(json_object_get(diagnosis, "findings"), i, x) {
        int seen = 0;
        size_t j;
        const json_t *y;
        json_array_foreach(out, j, y) seen |= strcmp(rp_str(y, "rule"), rp_str(x, "rule")) == 0;
        if (!seen)
            json_array_append_new(out, json_pack("{s:s, s:s, s:s}", "rule", rp_str(x, "rule"),
                                                 "class", rp_str(x, "class"), "status", "fired"));
    }
    json_array_foreach(json_object_get(diagnosis, "skipped"), i, x) {
        json_t *m = json_object_get(x, "missing");
        json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:O}", "rule", rp_str(x, "rule"),
                                             "class", rp_str(x, "class"), "status", "skipped",
                                             "missing", m != NULL ? m : json_array()));
    }
    return out;
}

/* A table {"title","columns","rows"} of the scalar members of obj. */
static json_t *
kv_table(const char *title, const json_t *obj)
{
    json_t *rows = json_array();
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        if (json_is_object(v) || json_is_array(v))
            continue;
        json_array_append_new(rows, json_pack("[s, O]", k, v));
    }
    return json_pack("{s:s, s:[s, s], s:o}", "title", title, "columns", "metric",
                     "value", "rows", rows);
}

/* A table of an array of objects, with the given columns. */
static json_t *
list_table(const char *title, const json_t *arr, const char *const *cols, size_t ncols)
{
    json_t *jcols = json_array(), *rows = json_array();
    for (size_t c = 0; c < ncols; c++)
        json_array_append_new(jcols, json_string(cols[c]));
    size_t i;
    const json_t *x;
    json_array_foreach(arr, i, x) {
        if (i >= MAX_TABLE_ROWS)
            break;
        json_t *row = json_array();
        for (size_t c = 0; c < ncols; c++) {
            const json_t *v = json_object_get(x, cols[c]);
            json_array_append_new(row, v != NULL && !json_is_object(v) && !json_is_array(v)
                                           ? json_deep_copy(v) : json_null());
        }
        json_array_append_new(rows, row);
    }
    return json_pack("{s:s, s:o, s:o}", "title", title, "columns", jcols, "rows", rows);
}

static json_t *
section(const char *id, const char *title, const char *title_ko)
{
    return json_pack("{s:s, s:s, s:s, s:[], s:[]}", "id", id, "title", title,
                     "title_ko", title_ko, "notes", "tables");
}

static void
wal_section(json_t *secs, const json_t *wal)
{
    const json_t *wals = json_object_get(wal, "wals");
    if (json_array_size(wals) == 0)
        return;
    json_t *s = section("wal", "WAL health", "WAL 상태");
    json_t *tables = json_object_get(s, "tables");
    size_t i;
    const json_t *w;
    json_array_foreach(wals, i, w) {
        char title[512];
        snprintf(title, sizeof(title), "%s", rp_str(w, "dir"));
        const json_t *tot = json_object_get(w, "totals");
        if (json_is_object(tot))
            json_array_append_new(tables, kv_table(title, tot));
        static const char *const ccols[] = {"segment", "kind", "prometheus_offset",
                                            "fragment_offset", "message"};
        const json_t *corr = json_object_get(w, "corruptions");
        if (json_array_size(corr) > 0)
            json_array_append_new(tables, list_table("corruptions", corr, ccols, 5));
        const json_t *ri = json_object_get(w, "repair_impact");
        if (json_is_object(ri))
            json_array_append_new(tables, kv_table("what a Prometheus repair would delete", ri));
    }
    json_array_append_new(secs, s);
}

static void
tsdb_section(json_t *secs, const json_t *tsdb)
{
    if (tsdb == NULL)
        return;
    json_t *s = section("tsdb", "TSDB health", "TSDB 상태");
    json_t *tables = json_object_get(s, "tables");
    static const char *const bcols[] = {"ulid", "min_time", "max_time", "num_series",
                                        "num_samples", "num_chunks", "bytes"};
    const json_t *blocks = json_object_get(tsdb, "blocks");
    if (json_array_size(blocks) > 0)
        json_array_append_new(tables, list_table("blocks", blocks, bcols, 7));
    static const char *const ccols[] = {"check", "severity", "file", "offset", "message"};
    const json_t *problems = json_object_get(tsdb, "problems");
    if (json_array_size(problems) > 0)
        json_array_append_new(tables, list_table("verify", problems, ccols, 5));
    static const char *const gcols[] = {"series", "gaps", "missed_seconds", "first_gap"};
    const json_t *gaps = json_object_get(tsdb, "gaps");
    if (json_array_size(gaps) > 0)
        json_array_append_new(tables, list_table("missed scrapes", gaps, gcols, 4));
    if (json_array_size(tables) == 0 && json_is_object(tsdb))
        json_array_append_new(tables, kv_table("summary", tsdb));
    json_array_append_new(secs, s);
}

static void
cardinality_section(json_t *secs, const json_t *tsdb)
{
    const json_t *an = json_object_get(tsdb, "analyze");
    if (!json_is_object(an))
        return;
    json_t *s = section("cardinality", "Cardinality and churn", "카디널리티와 처닝");
    json_t *tables = json_object_get(s, "tables");
    json_array_append_new(tables, kv_table("totals", an));
    static const char *const cols[] = {"count", "name"};
    static const char *const lists[] = {"highest_cardinality_metric_names",
                                        "highest_cardinality_labels",
                                        "label_pairs_most_involved_in_churning"};
    for (size_t i = 0; i < 3; i++) {
        const json_t *l = json_object_get(an, lists[i]);
        if (json_array_size(l) > 0)
            json_array_append_new(tables, list_table(lists[i], l, cols, 2));
    }
    json_array_append_new(secs, s);
}

static void
plan_sections(json_t *secs, const json_t *plan)
{
    /* the capacity stage describes its own sections in report form */
    size_t i;
    const json_t *x;
    json_array_foreach(json_object_get(plan, "report_sections"), i, x)
        json_array_append(secs, (json_t *)x);
}

json_t *
rb_sections(const struct ps_report_inputs *in)
{
    json_t *secs = json_array();
    wal_section(secs, in->ingest->wal);
    tsdb_section(secs, in->ingest->tsdb);
    cardinality_section(secs, in->ingest->tsdb);
    plan_sections(secs, in->plan);
    return secs;
}

json_t *
rb_inventory(const struct ps_report_inputs *in)
{
    const struct ps_inventory *inv = &in->ingest->inventory;
    json_t *kinds = json_object(), *unsafe = json_array();
    for (int k = 0; k < PS_KIND__COUNT; k++)
        if (inv->count[k] > 0)
            json_object_set_new(kinds, ps_kind_name((enum ps_kind)k),
                                json_integer((json_int_t)inv->count[k]));
    for (size_t i = 0; i < inv->n; i++) {
        const struct ps_entry *e = &inv->v[i];
        if (!e->unsafe)
            continue;
        json_array_append_new(unsafe, json_pack("{s:o, s:s, s:o}", "path",
                                                rb_text(e->raw_path != NULL ? e->raw_path : "", 512),
                                                "type", ps_entry_type_name(e->type),
                                                "target", rb_text(e->link_target != NULL
                                                                      ? e->link_target : "", 512)));
    }
    return json_pack("{s:I, s:I, s:o, s:o}", "entries", file_count(inv), "bytes",
                     (json_int_t)inv->total_bytes, "kinds", kinds, "unsafe", unsafe);
}

static int
problem_cmp(const void *a, const void *b)
{
    const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;
    int d = strcmp(rp_str(x, "file"), rp_str(y, "file"));
    if (d != 0)
        return d;
    json_int_t ox = json_integer_value(json_object_get(x, "offset"));
    json_int_t oy = json_integer_value(json_object_get(y, "offset"));
    if (ox != oy)
        return ox < oy ? -1 : 1;
    json_int_t lx = json_integer_value(json_object_get(x, "line"));
    json_int_t ly = json_integer_value(json_object_get(y, "line"));
    if (lx != ly)
        return lx < ly ? -1 : 1;
    d = strcmp(rp_str(x, "message"), rp_str(y, "message"));
    return d != 0 ? d : strcmp(rp_str(x, "phase"), rp_str(y, "phase"));
}

json_t *
rb_problems(const struct ps_report_inputs *in)
{
    const struct ps_diags *d = &in->ingest->diags;
    json_t *out = json_array();
    for (size_t i = 0; i < d->n; i++) {
        const struct ps_diag *g = &d->v[i];
        if (g->sev < PS_SEV_WARN)
            continue;
        json_t *o = json_pack("{s:s, s:o, s:o, s:o}", "severity", ps_sev_name(g->sev),
                              "file", rb_text(g->path != NULL ? g->path : "-", 512),
                              "message", rb_text(g->msg != NULL ? g->msg : "", 512),
                              "phase", rb_text(g->phase != NULL ? g->phase : "", 128));
        if (g->off != PS_OFF_NONE)
            json_object_set_new(o, "offset", json_integer((json_int_t)g->off));
        if (g->line != 0)
            json_object_set_new(o, "line", json_integer(g->line));
        json_array_append_new(out, o);
    }
    /* canonical order: an archive is read in its own order */
    json_t *sorted = rb_sorted(out, problem_cmp);
    json_decref(out);
    if (d->dropped > 0)
        json_array_append_new(sorted, json_pack("{s:s, s:s, s:I}", "severity", "note", "message",
                                                "further diagnostics not stored", "count",
                                                (json_int_t)d->dropped));
    return sorted;
}

json_t *
rb_redactions(const struct ps_report_inputs *in)
{
    json_t *out = json_array();
    for (size_t i = 0; i < in->ingest->nredacted; i++) {
        const struct ps_redact_file *r = &in->ingest->redacted[i];
        json_array_append_new(out, json_pack(
            "{s:o, s:I, s:{s:I, s:I, s:I}}", "file", rb_text(r->path, 512), "count",
            (json_int_t)ps_redact_total(&r->stats), "kinds", "bearer",
            (json_int_t)r->stats.bearer, "url_auth", (json_int_t)r->stats.url_auth,
            "key_value", (json_int_t)r->stats.key_value));
    }
    return out;
}

static void
put_num(json_t *m, const char *k, const json_t *v)
{
    if (json_is_number(v))
        json_object_set_new(m, k, json_real(json_number_value(v)));
}

json_t *
rb_metrics(const struct ps_report_inputs *in, const json_t *findings)
{
    json_t *m = json_object();
    json_object_set_new(m, "findings", json_integer((json_int_t)json_array_size(findings)));
    json_object_set_new(m, "facts.series",
                        json_integer((json_int_t)ps_facts_nseries(in->ingest->facts)));
    json_object_set_new(m, "facts.events",
                        json_integer((json_int_t)ps_facts_nevents(in->ingest->facts)));
    size_t i;
    const json_t *w;
    json_array_foreach(json_object_get(in->ingest->wal, "wals"), i, w) {
        const json_t *tot = json_object_get(w, "totals");
        const char *k;
        const json_t *v;
        json_object_foreach((json_t *)tot, k, v) {
            char key[512];
            snprintf(key, sizeof(key), "wal.%s.%s", rp_str(w, "dir"), k);
            put_num(m, key, v);
        }
    }
    const json_t *pm = json_object_get(in->plan, "metrics");
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)pm, k, v) {
        char key[512];
        snprintf(key, sizeof(key), "plan.%s", k);
        put_num(m, key, v);
    }
    return m;
}
