/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * report_md.c - the Markdown rendering of a report document, for tickets.
 * Order: verdict, top findings, timeline, finding details with evidence,
 * data at risk, the stage sections (WAL/TSDB health, cardinality,
 * capacity, recommendations ...), checklist, skipped rules, unreadable
 * input, redactions, inventory. Every bundle-derived string goes through
 * ps_md_escape.
 */
#include <string.h>

#include "report/report_int.h"

#define MAX_TIMELINE_ROWS 80
#define MAX_EVIDENCE_EVENTS 8

static void
heading(struct rp_out *m, int level, const char *key)
{
    rp_put(m, "\n");
    for (int i = 0; i < level; i++)
        rp_put(m, "#");
    rp_put(m, " ");
    rp_put(m, ps_tr(m->lang, key));
    rp_put(m, "\n\n");
}

static void
table_head(struct rp_out *m, const char *const *keys, size_t n)
{
    rp_put(m, "|");
    for (size_t i = 0; i < n; i++) {
        rp_put(m, " ");
        rp_put(m, ps_tr(m->lang, keys[i]));
        rp_put(m, " |");
    }
    rp_put(m, "\n|");
    for (size_t i = 0; i < n; i++)
        rp_put(m, "---|");
    rp_put(m, "\n");
}

static void
cells(struct rp_out *m, const char *const *vals, size_t n)
{
    rp_put(m, "|");
    for (size_t i = 0; i < n; i++) {
        rp_put(m, " ");
        rp_esc(m, vals[i]);
        rp_put(m, " |");
    }
    rp_put(m, "\n");
}

static void
verdict(struct rp_out *m, const json_t *r)
{
    const json_t *v = json_object_get(r, "verdict");
    char key[40];
    snprintf(key, sizeof(key), "status_%s", rp_str(v, "status"));
    rp_put(m, "# ");
    rp_put(m, ps_tr(m->lang, "report_title"));
    rp_put(m, "\n\n**");
    rp_put(m, ps_tr(m->lang, "verdict"));
    rp_put(m, ": ");
    rp_put(m, ps_tr(m->lang, key));
    rp_put(m, "** — ");
    rp_esc(m, rp_loc(v, "headline", m->lang));
    rp_put(m, "\n\n");
    const json_t *w = json_object_get(r, "window");
    const json_t *b = json_object_get(r, "bundle");
    rp_put(m, "- ");
    rp_put(m, ps_tr(m->lang, "window"));
    rp_put(m, ": ");
    rp_esc(m, rp_str(w, "start"));
    rp_put(m, " – ");
    rp_esc(m, rp_str(w, "end"));
    rp_put(m, "\n- Bundle: `");
    rp_esc(m, rp_str(b, "name"));
    rp_put(m, "`\n- ");
    rp_put(m, rp_str(r, "generator"));
    rp_put(m, "\n");
}

static void
top_findings(struct rp_out *m, const json_t *findings)
{
    heading(m, 2, "top_findings");
    if (json_array_size(findings) == 0) {
        rp_put(m, ps_tr(m->lang, "no_findings"));
        rp_put(m, "\n");
        return;
    }
    static const char *const cols[] = {"severity", "rule", "class", "first",
                                       "last", "summary"};
    table_head(m, cols, 6);
    size_t i;
    const json_t *f;
    json_array_foreach(findings, i, f) {
        const char *v[6] = {rp_sev_text(m->lang, rp_str(f, "severity")), rp_str(f, "rule"),
                            rp_str(f, "class"), rp_str(f, "first"),
                            rp_str(f, "last"), rp_loc(f, "summary", m->lang)};
        cells(m, v, 6);
    }
}

static void
timeline(struct rp_out *m, const json_t *tl)
{
    if (json_array_size(tl) == 0)
        return;
    heading(m, 2, "timeline");
    static const char *const cols[] = {"time", "severity", "kind", "file", "summary"};
    table_head(m, cols, 5);
    size_t i;
    const json_t *ev;
    json_array_foreach(tl, i, ev) {
        if (i >= MAX_TIMELINE_ROWS) {
            char more[80];
            snprintf(more, sizeof(more), "\n… %zu more in report.json\n",
                     json_array_size(tl) - MAX_TIMELINE_ROWS);
            rp_put(m, more);
            break;
        }
        const char *v[5] = {rp_str(ev, "time"), rp_sev_text(m->lang, rp_str(ev, "severity")),
                            rp_str(ev, "kind"), rp_str(ev, "source"),
                            rp_loc(ev, "text", m->lang)};
        cells(m, v, 5);
    }
}

static void
evidence(struct rp_out *m, const json_t *ev)
{
    const json_t *series = json_object_get(ev, "series");
    size_t i;
    const json_t *s;
    json_array_foreach(series, i, s) {
        rp_put(m, "- `");
        const json_t *labels = json_object_get(s, "labels");
        const char *k;
        const json_t *lv;
        int first = 1;
        rp_put(m, "{");
        json_object_foreach((json_t *)labels, k, lv) {
            if (!first)
                rp_put(m, ", ");
            first = 0;
            rp_esc(m, k);
            rp_put(m, "=\"");
            rp_esc(m, json_string_value(lv) != NULL ? json_string_value(lv) : "");
            rp_put(m, "\"");
        }
        rp_put(m, "}`");
        const json_t *vals = json_object_get(s, "values");
        if (json_array_size(vals) > 0) {
            rp_put(m, ": ");
            size_t j;
            const json_t *p;
            json_array_foreach(vals, j, p) {
                if (j >= 6)
                    break;
                char buf[96], tbuf[40];
                rp_point_time(json_array_get(p, 0), tbuf, sizeof(tbuf));
                snprintf(buf, sizeof(buf), "%s%.6g @ %s", j ? ", " : "",
                         json_number_value(json_array_get(p, 1)), tbuf + 11);
                rp_put(m, buf);
            }
        }
        rp_put(m, "\n");
    }
    const json_t *events = json_object_get(ev, "events");
    const json_t *e;
    json_array_foreach(events, i, e) {
        if (i >= MAX_EVIDENCE_EVENTS) {
            char more[64];
            snprintf(more, sizeof(more), "- … %zu more events\n",
                     json_array_size(events) - i);
            rp_put(m, more);
            break;
        }
        char loc[64];
        rp_where(e, RP_WHERE_LINE_FIRST, loc, sizeof(loc));
        rp_put(m, "- ");
        rp_esc(m, rp_str(e, "time"));
        rp_put(m, " `");
        rp_esc(m, rp_str(e, "file"));
        rp_put(m, loc);
        rp_put(m, "` ");
        rp_esc(m, rp_str(e, "message"));
        rp_put(m, "\n");
    }
}

static void
finding_details(struct rp_out *m, const json_t *findings)
{
    if (json_array_size(findings) == 0)
        return;
    heading(m, 2, "findings");
    size_t i;
    const json_t *f;
    json_array_foreach(findings, i, f) {
        rp_put(m, "### ");
        rp_esc(m, rp_sev_text(m->lang, rp_str(f, "severity")));
        rp_put(m, ": ");
        rp_esc(m, rp_loc(f, "summary", m->lang));
        rp_put(m, "\n\n- ");
        rp_put(m, ps_tr(m->lang, "rule"));
        rp_put(m, ": `");
        rp_esc(m, rp_str(f, "rule"));
        rp_put(m, "` (");
        rp_esc(m, rp_str(f, "class"));
        rp_put(m, ")\n- ");
        rp_put(m, ps_tr(m->lang, "first"));
        rp_put(m, ": ");
        rp_esc(m, rp_str(f, "first"));
        rp_put(m, ", ");
        rp_put(m, ps_tr(m->lang, "last"));
        rp_put(m, ": ");
        rp_esc(m, rp_str(f, "last"));
        char peak[64];
        rp_put(m, ", ");
        rp_put(m, ps_tr(m->lang, "peak"));
        rp_put(m, ": ");
        rp_put(m, rp_cell(json_object_get(f, "peak"), peak, sizeof(peak)));
        rp_put(m, "\n");
        const char *d = rp_loc(f, "description", m->lang);
        if (d[0] != '\0') {
            rp_put(m, "\n");
            rp_esc(m, d);
            rp_put(m, "\n");
        }
        const char *a = rp_loc(f, "advice", m->lang);
        if (a[0] != '\0') {
            rp_put(m, "\n**");
            rp_put(m, ps_tr(m->lang, "advice"));
            rp_put(m, ":** ");
            rp_esc(m, a);
            rp_put(m, "\n");
        }
        const char *rb = rp_str(f, "runbook_url");
        if (rb[0] != '\0') {
            rp_put(m, "\nRunbook: ");
            rp_esc(m, rb);
            rp_put(m, "\n");
        }
        rp_put(m, "\n**");
        rp_put(m, ps_tr(m->lang, "evidence"));
        rp_put(m, ":**\n\n");
        evidence(m, json_object_get(f, "evidence"));
        rp_put(m, "\n");
    }
}

static void
statements(struct rp_out *m, const char *key, const json_t *obj)
{
    const json_t *st = json_object_get(obj, m->lang == PS_LANG_KO &&
                                               json_object_get(obj, "statements_ko")
                                           ? "statements_ko" : "statements");
    if (json_array_size(st) == 0)
        return;
    heading(m, 2, key);
    size_t i;
    const json_t *s;
    json_array_foreach(st, i, s) {
        rp_put(m, "- ");
        rp_esc(m, json_string_value(s) != NULL ? json_string_value(s) : "");
        rp_put(m, "\n");
    }
}

/* Generic section: {"id","title","title_ko","notes":[...],
 * "tables":[{"title","columns":[...],"rows":[[...]]}]} */
static void
section(struct rp_out *m, const json_t *sec)
{
    rp_put(m, "\n## ");
    rp_esc(m, rp_loc(sec, "title", m->lang));
    rp_put(m, "\n\n");
    size_t i;
    const json_t *x;
    json_array_foreach(json_object_get(sec, "notes"), i, x) {
        rp_put(m, "- ");
        rp_esc(m, json_string_value(x) != NULL ? json_string_value(x) : "");
        rp_put(m, "\n");
    }
    json_array_foreach(json_object_get(sec, "tables"), i, x) {
        const char *title = rp_loc(x, "title", m->lang);
        if (title[0] != '\0') {
            rp_put(m, "\n**");
            rp_esc(m, title);
            rp_put(m, "**\n");
        }
        rp_put(m, "\n|");
        size_t j;
        const json_t *c;
        const json_t *cols = json_object_get(x, "columns");
        json_array_foreach(cols, j, c) {
            rp_put(m, " ");
            rp_esc(m, json_string_value(c) != NULL ? json_string_value(c) : "");
            rp_put(m, " |");
        }
        rp_put(m, "\n|");
        for (j = 0; j < json_array_size(cols); j++)
            rp_put(m, "---|");
        rp_put(m, "\n");
        const json_t *row;
        json_array_foreach(json_object_get(x, "rows"), j, row) {
            rp_put(m, "|");
            size_t k;
            json_array_foreach(row, k, c) {
                char buf[64];
                rp_put(m, " ");
                rp_esc(m, rp_cell(c, buf, sizeof(buf)));
                rp_put(m, " |");
            }
            rp_put(m, "\n");
        }
    }
}

static void
checklist(struct rp_out *m, const json_t *cl)
{
    if (json_array_size(cl) == 0)
        return;
    heading(m, 2, "checklist");
    static const char *const cols[] = {"period", "summary", "status", "detail"};
    table_head(m, cols, 4);
    size_t i;
    const json_t *c;
    json_array_foreach(cl, i, c) {
        char key[40];
        snprintf(key, sizeof(key), "status_%s", rp_str(c, "status"));
        const char *v[4] = {ps_tr(m->lang, rp_str(c, "period")),
                            rp_loc(c, "check", m->lang), ps_tr(m->lang, key),
                            rp_loc(c, "detail", m->lang)};
        cells(m, v, 4);
    }
}

static void
skipped(struct rp_out *m, const json_t *sk)
{
    if (json_array_size(sk) == 0)
        return;
    heading(m, 2, "skipped");
    static const char *const cols[] = {"rule", "class", "missing_inputs"};
    table_head(m, cols, 3);
    size_t i;
    const json_t *s;
    json_array_foreach(sk, i, s) {
        struct ps_buf miss = {0};
        size_t j;
        const json_t *x;
        json_array_foreach(json_object_get(s, "missing"), j, x) {
            if (j > 0)
                ps_buf_append(&miss, ", ", 2);
            const char *t = json_string_value(x);
            if (t != NULL)
                ps_buf_append(&miss, t, strlen(t));
        }
        ps_buf_append(&miss, "", 1);
        const char *v[3] = {rp_str(s, "rule"), rp_str(s, "class"),
                            miss.p != NULL ? (char *)miss.p : ""};
        cells(m, v, 3);
        ps_buf_free(&miss);
    }
}

static void
problems(struct rp_out *m, const json_t *pr)
{
    if (json_array_size(pr) == 0)
        return;
    heading(m, 2, "problems");
    static const char *const cols[] = {"severity", "file", "detail"};
    table_head(m, cols, 3);
    size_t i;
    const json_t *p;
    json_array_foreach(pr, i, p) {
        char loc[64], where[640];
        snprintf(where, sizeof(where), "%s%s", rp_str(p, "file"),
                 rp_where(p, RP_WHERE_OFFSET_FIRST, loc, sizeof(loc)));
        const char *v[3] = {rp_str(p, "severity"), where, rp_str(p, "message")};
        cells(m, v, 3);
    }
}

static void
redactions(struct rp_out *m, const json_t *rd)
{
    if (json_array_size(rd) == 0)
        return;
    heading(m, 2, "redactions");
    static const char *const cols[] = {"file", "count"};
    table_head(m, cols, 2);
    size_t i;
    const json_t *r;
    json_array_foreach(rd, i, r) {
        char n[32];
        const char *v[2] = {rp_str(r, "file"),
                            rp_cell(json_object_get(r, "count"), n, sizeof(n))};
        cells(m, v, 2);
    }
}

static void
inventory(struct rp_out *m, const json_t *inv)
{
    const json_t *kinds = json_object_get(inv, "kinds");
    if (!json_is_object(kinds))
        return;
    heading(m, 2, "inventory");
    static const char *const cols[] = {"kind", "count"};
    table_head(m, cols, 2);
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)kinds, k, v) {
        char n[32];
        const char *c[2] = {k, rp_cell(v, n, sizeof(n))};
        cells(m, c, 2);
    }
}

enum ps_err
ps_report_render_md(const json_t *r, enum ps_lang lang, struct ps_buf *out)
{
    struct rp_out m = {out, lang, PS_OK, ps_md_escape};
    verdict(&m, r);
    top_findings(&m, json_object_get(r, "findings"));
    timeline(&m, json_object_get(r, "timeline"));
    finding_details(&m, json_object_get(r, "findings"));
    statements(&m, "data_at_risk", json_object_get(r, "data_at_risk"));
    size_t i;
    const json_t *sec;
    json_array_foreach(json_object_get(r, "sections"), i, sec) section(&m, sec);
    checklist(&m, json_object_get(r, "checklist"));
    skipped(&m, json_object_get(r, "skipped"));
    problems(&m, json_object_get(r, "problems"));
    redactions(&m, json_object_get(r, "redactions"));
    inventory(&m, json_object_get(r, "inventory"));
    return m.e;
}
