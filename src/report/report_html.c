/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * report_html.c - the HTML rendering: one self-contained file with inline
 * CSS and inline SVG charts, no script and no external request, that
 * prints cleanly to PDF. Same order as the Markdown rendering; charts
 * (the document's "charts" array) and the event timeline strip come right
 * after the verdict. Every bundle-derived string goes through
 * ps_html_escape, and a Content-Security-Policy forbids scripts outright,
 * so a "<script>" planted in a log line can neither appear nor run.
 */
#include <string.h>

#include "report/report_int.h"

#define MAX_TIMELINE_ROWS 200
#define CHART_W 900
#define CHART_H 260

static const char css[] =
    "body{font-family:sans-serif;margin:2em auto;max-width:960px;color:#222;"
    "line-height:1.4}"
    "h1{margin-bottom:.2em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;"
    "margin-top:1.6em}"
    "table{border-collapse:collapse;width:100%;margin:.6em 0;font-size:.9em}"
    "th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;"
    "vertical-align:top;word-break:break-word}"
    "th{background:#f4f4f4}td:nth-child(1){white-space:nowrap}"
    "[class^=sev-]{white-space:nowrap}"
    ".sev-critical{color:#fff;background:#d62728;padding:0 .4em;border-radius:3px}"
    ".sev-warning{color:#fff;background:#ff7f0e;padding:0 .4em;border-radius:3px}"
    ".sev-info{color:#fff;background:#1f77b4;padding:0 .4em;border-radius:3px}"
    ".st-pass{color:#2ca02c}.st-fail{color:#d62728}.st-warn{color:#ff7f0e}"
    ".st-unknown{color:#888}"
    ".verdict{font-size:1.3em;padding:.5em;border-radius:4px;background:#f4f4f4}"
    "code,.mono{font-family:monospace;font-size:.85em}"
    ".finding{border-left:4px solid #ccc;padding-left:.8em;margin:1em 0;"
    "page-break-inside:avoid}"
    "svg{max-width:100%;height:auto;page-break-inside:avoid}"
    "@media print{body{margin:0;max-width:none}a{color:#000}}";

static void
tag_text(struct rp_out *h, const char *open, const char *text, const char *close)
{
    rp_put(h, open);
    rp_esc(h, text);
    rp_put(h, close);
}

static void
heading(struct rp_out *h, const char *key)
{
    tag_text(h, "<h2>", ps_tr(h->lang, key), "</h2>\n");
}

static void
sev_badge(struct rp_out *h, const char *sev)
{
    rp_put(h, "<span class=\"sev-");
    rp_esc(h, sev);
    rp_put(h, "\">");
    rp_esc(h, rp_sev_text(h->lang, sev));
    rp_put(h, "</span>");
}

static void
th_row(struct rp_out *h, const char *const *keys, size_t n)
{
    rp_put(h, "<table><tr>");
    for (size_t i = 0; i < n; i++)
        tag_text(h, "<th>", ps_tr(h->lang, keys[i]), "</th>");
    rp_put(h, "</tr>\n");
}

static void
td(struct rp_out *h, const char *s)
{
    tag_text(h, "<td>", s, "</td>");
}

static void
verdict(struct rp_out *h, const json_t *r)
{
    const json_t *v = json_object_get(r, "verdict");
    char key[40];
    snprintf(key, sizeof(key), "status_%s", rp_str(v, "status"));
    tag_text(h, "<h1>", ps_tr(h->lang, "report_title"), "</h1>\n");
    rp_put(h, "<p class=\"verdict\"><strong>");
    rp_esc(h, ps_tr(h->lang, "verdict"));
    rp_put(h, ": ");
    rp_esc(h, ps_tr(h->lang, key));
    rp_put(h, "</strong> — ");
    rp_esc(h, rp_loc(v, "headline", h->lang));
    rp_put(h, "</p>\n<p class=\"mono\">");
    const json_t *w = json_object_get(r, "window");
    rp_esc(h, ps_tr(h->lang, "window"));
    rp_put(h, ": ");
    rp_esc(h, rp_str(w, "start"));
    rp_put(h, " – ");
    rp_esc(h, rp_str(w, "end"));
    rp_put(h, "<br>Bundle: ");
    rp_esc(h, rp_str(json_object_get(r, "bundle"), "name"));
    rp_put(h, "<br>");
    rp_esc(h, rp_str(r, "generator"));
    rp_put(h, "</p>\n");
}

static void
top_findings(struct rp_out *h, const json_t *findings)
{
    heading(h, "top_findings");
    if (json_array_size(findings) == 0) {
        tag_text(h, "<p>", ps_tr(h->lang, "no_findings"), "</p>\n");
        return;
    }
    static const char *const cols[] = {"severity", "rule", "class", "first",
                                       "last", "summary"};
    th_row(h, cols, 6);
    size_t i;
    const json_t *f;
    json_array_foreach(findings, i, f) {
        rp_put(h, "<tr><td>");
        sev_badge(h, rp_str(f, "severity"));
        rp_put(h, "</td>");
        rp_put(h, "<td><a href=\"#f");
        char id[32];
        snprintf(id, sizeof(id), "%zu", i);
        rp_put(h, id);
        rp_put(h, "\">");
        rp_esc(h, rp_str(f, "rule"));
        rp_put(h, "</a></td>");
        td(h, rp_str(f, "class"));
        td(h, rp_str(f, "first"));
        td(h, rp_str(f, "last"));
        td(h, rp_loc(f, "summary", h->lang));
        rp_put(h, "</tr>\n");
    }
    rp_put(h, "</table>\n");
}

static void
charts(struct rp_out *h, const json_t *r)
{
    const json_t *tl = json_object_get(r, "timeline");
    if (json_array_size(tl) > 0) {
        heading(h, "timeline");
        if (h->e == PS_OK)
            h->e = ps_svg_timeline(h->o, tl, CHART_W);
    }
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(r, "charts"), i, c) {
        if (h->e == PS_OK)
            h->e = ps_svg_chart(h->o, c, CHART_W, CHART_H);
    }
    if (json_array_size(tl) > 0) {
        static const char *const cols[] = {"time", "severity", "kind", "file",
                                           "summary"};
        rp_put(h, "<details><summary>");
        rp_esc(h, ps_tr(h->lang, "events"));
        rp_put(h, "</summary>\n");
        th_row(h, cols, 5);
        const json_t *ev;
        json_array_foreach(tl, i, ev) {
            if (i >= MAX_TIMELINE_ROWS)
                break;
            rp_put(h, "<tr>");
            td(h, rp_str(ev, "time"));
            rp_put(h, "<td>");
            sev_badge(h, rp_str(ev, "severity"));
            rp_put(h, "</td>");
            td(h, rp_str(ev, "kind"));
            td(h, rp_str(ev, "source"));
            td(h, rp_loc(ev, "text", h->lang));
            rp_put(h, "</tr>\n");
        }
        rp_put(h, "</table></details>\n");
    }
}

static void
evidence(struct rp_out *h, const json_t *ev)
{
    size_t i;
    const json_t *s;
    rp_put(h, "<ul>\n");
    json_array_foreach(json_object_get(ev, "series"), i, s) {
        rp_put(h, "<li><code>{");
        const char *k;
        const json_t *lv;
        int first = 1;
        json_object_foreach(json_object_get(s, "labels"), k, lv) {
            if (!first)
                rp_put(h, ", ");
            first = 0;
            rp_esc(h, k);
            rp_put(h, "=&quot;");
            rp_esc(h, json_string_value(lv) != NULL ? json_string_value(lv) : "");
            rp_put(h, "&quot;");
        }
        rp_put(h, "}</code>");
        size_t j;
        const json_t *p;
        json_array_foreach(json_object_get(s, "values"), j, p) {
            if (j >= 6)
                break;
            char buf[96], tbuf[40];
            rp_point_time(json_array_get(p, 0), tbuf, sizeof(tbuf));
            snprintf(buf, sizeof(buf), "%s%.6g @ %s", j ? ", " : ": ",
                     json_number_value(json_array_get(p, 1)), tbuf + 11);
            rp_esc(h, buf);
        }
        rp_put(h, "</li>\n");
    }
    json_array_foreach(json_object_get(ev, "events"), i, s) {
        char loc[64];
        rp_where(s, RP_WHERE_LINE_FIRST, loc, sizeof(loc));
        rp_put(h, "<li>");
        rp_esc(h, rp_str(s, "time"));
        rp_put(h, " <code>");
        rp_esc(h, rp_str(s, "file"));
        rp_esc(h, loc);
        rp_put(h, "</code><br><code>");
        rp_esc(h, rp_str(s, "message"));
        rp_put(h, "</code></li>\n");
    }
    rp_put(h, "</ul>\n");
}

static void
finding_details(struct rp_out *h, const json_t *findings)
{
    if (json_array_size(findings) == 0)
        return;
    heading(h, "findings");
    size_t i;
    const json_t *f;
    json_array_foreach(findings, i, f) {
        char id[32], peak[64];
        snprintf(id, sizeof(id), "%zu", i);
        rp_put(h, "<div class=\"finding\" id=\"f");
        rp_put(h, id);
        rp_put(h, "\"><h3>");
        sev_badge(h, rp_str(f, "severity"));
        rp_put(h, " ");
        rp_esc(h, rp_loc(f, "summary", h->lang));
        rp_put(h, "</h3>\n<p class=\"mono\">");
        rp_esc(h, rp_str(f, "rule"));
        rp_put(h, " · ");
        rp_esc(h, rp_str(f, "class"));
        rp_put(h, " · ");
        rp_esc(h, rp_str(f, "first"));
        rp_put(h, " – ");
        rp_esc(h, rp_str(f, "last"));
        rp_put(h, " · ");
        rp_esc(h, ps_tr(h->lang, "peak"));
        rp_put(h, " ");
        rp_esc(h, rp_cell(json_object_get(f, "peak"), peak, sizeof(peak)));
        rp_put(h, "</p>\n");
        const char *d = rp_loc(f, "description", h->lang);
        if (d[0] != '\0')
            tag_text(h, "<p>", d, "</p>\n");
        const char *a = rp_loc(f, "advice", h->lang);
        if (a[0] != '\0') {
            rp_put(h, "<p><strong>");
            rp_esc(h, ps_tr(h->lang, "advice"));
            rp_put(h, ":</strong> ");
            rp_esc(h, a);
            rp_put(h, "</p>\n");
        }
        const char *rb = rp_str(f, "runbook_url");
        if (rb[0] != '\0')
            tag_text(h, "<p class=\"mono\">Runbook: ", rb, "</p>\n");
        evidence(h, json_object_get(f, "evidence"));
        rp_put(h, "</div>\n");
    }
}

static void
statements(struct rp_out *h, const char *key, const json_t *obj)
{
    const json_t *st = json_object_get(obj, h->lang == PS_LANG_KO &&
                                               json_object_get(obj, "statements_ko")
                                           ? "statements_ko" : "statements");
    if (json_array_size(st) == 0)
        return;
    heading(h, key);
    rp_put(h, "<ul>\n");
    size_t i;
    const json_t *s;
    json_array_foreach(st, i, s) tag_text(h, "<li>", json_string_value(s) != NULL ?
                                                      json_string_value(s) : "", "</li>\n");
    rp_put(h, "</ul>\n");
}

static void
section(struct rp_out *h, const json_t *sec)
{
    tag_text(h, "<h2>", rp_loc(sec, "title", h->lang), "</h2>\n");
    size_t i;
    const json_t *x;
    if (json_array_size(json_object_get(sec, "notes")) > 0) {
        rp_put(h, "<ul>\n");
        json_array_foreach(json_object_get(sec, "notes"), i, x)
            tag_text(h, "<li>", json_string_value(x) != NULL ? json_string_value(x) : "",
                     "</li>\n");
        rp_put(h, "</ul>\n");
    }
    json_array_foreach(json_object_get(sec, "charts"), i, x) {
        if (h->e == PS_OK)
            h->e = ps_svg_chart(h->o, x, CHART_W, CHART_H);
    }
    json_array_foreach(json_object_get(sec, "tables"), i, x) {
        const char *title = rp_loc(x, "title", h->lang);
        if (title[0] != '\0')
            tag_text(h, "<h4>", title, "</h4>\n");
        rp_put(h, "<table><tr>");
        size_t j;
        const json_t *c;
        json_array_foreach(json_object_get(x, "columns"), j, c)
            tag_text(h, "<th>", json_string_value(c) != NULL ? json_string_value(c) : "",
                     "</th>");
        rp_put(h, "</tr>\n");
        const json_t *row;
        json_array_foreach(json_object_get(x, "rows"), j, row) {
            rp_put(h, "<tr>");
            size_t k;
            json_array_foreach(row, k, c) {
                char buf[64];
                td(h, rp_cell(c, buf, sizeof(buf)));
            }
            rp_put(h, "</tr>\n");
        }
        rp_put(h, "</table>\n");
    }
}

static void
checklist(struct rp_out *h, const json_t *cl)
{
    if (json_array_size(cl) == 0)
        return;
    heading(h, "checklist");
    static const char *const cols[] = {"period", "summary", "status", "detail"};
    th_row(h, cols, 4);
    size_t i;
    const json_t *c;
    json_array_foreach(cl, i, c) {
        char key[40];
        const char *st = rp_str(c, "status");
        snprintf(key, sizeof(key), "status_%s", st);
        rp_put(h, "<tr>");
        td(h, ps_tr(h->lang, rp_str(c, "period")));
        td(h, rp_loc(c, "check", h->lang));
        rp_put(h, "<td class=\"st-");
        rp_esc(h, st);
        rp_put(h, "\">");
        rp_esc(h, ps_tr(h->lang, key));
        rp_put(h, "</td>");
        td(h, rp_loc(c, "detail", h->lang));
        rp_put(h, "</tr>\n");
    }
    rp_put(h, "</table>\n");
}

static void
simple_tables(struct rp_out *h, const json_t *r)
{
    size_t i, j;
    const json_t *s, *x;
    const json_t *sk = json_object_get(r, "skipped");
    if (json_array_size(sk) > 0) {
        static const char *const cols[] = {"rule", "class", "missing_inputs"};
        heading(h, "skipped");
        th_row(h, cols, 3);
        json_array_foreach(sk, i, s) {
            rp_put(h, "<tr>");
            td(h, rp_str(s, "rule"));
            td(h, rp_str(s, "class"));
            rp_put(h, "<td>");
            json_array_foreach(json_object_get(s, "missing"), j, x) {
                if (j > 0)
                    rp_put(h, ", ");
                rp_esc(h, json_string_value(x) != NULL ? json_string_value(x) : "");
            }
            rp_put(h, "</td></tr>\n");
        }
        rp_put(h, "</table>\n");
    }
    const json_t *pr = json_object_get(r, "problems");
    if (json_array_size(pr) > 0) {
        static const char *const cols[] = {"severity", "file", "detail"};
        heading(h, "problems");
        th_row(h, cols, 3);
        json_array_foreach(pr, i, s) {
            char where[64];
            rp_where(s, RP_WHERE_OFFSET_FIRST, where, sizeof(where));
            rp_put(h, "<tr>");
            td(h, rp_str(s, "severity"));
            rp_put(h, "<td class=\"mono\">");
            rp_esc(h, rp_str(s, "file"));
            rp_esc(h, where);
            rp_put(h, "</td>");
            td(h, rp_str(s, "message"));
            rp_put(h, "</tr>\n");
        }
        rp_put(h, "</table>\n");
    }
    const json_t *rd = json_object_get(r, "redactions");
    if (json_array_size(rd) > 0) {
        static const char *const cols[] = {"file", "count"};
        heading(h, "redactions");
        th_row(h, cols, 2);
        json_array_foreach(rd, i, s) {
            char n[32];
            rp_put(h, "<tr>");
            td(h, rp_str(s, "file"));
            td(h, rp_cell(json_object_get(s, "count"), n, sizeof(n)));
            rp_put(h, "</tr>\n");
        }
        rp_put(h, "</table>\n");
    }
    const json_t *kinds = json_object_get(json_object_get(r, "inventory"), "kinds");
    if (json_is_object(kinds)) {
        static const char *const cols[] = {"kind", "count"};
        heading(h, "inventory");
        th_row(h, cols, 2);
        const char *k;
        json_object_foreach((json_t *)kinds, k, x) {
            char n[32];
            rp_put(h, "<tr>");
            td(h, k);
            td(h, rp_cell(x, n, sizeof(n)));
            rp_put(h, "</tr>\n");
        }
        rp_put(h, "</table>\n");
    }
}

enum ps_err
ps_report_render_html(const json_t *r, enum ps_lang lang, struct ps_buf *out)
{
    struct rp_out h = {out, lang, PS_OK, ps_html_escape};
    rp_put(&h, "<!DOCTYPE html>\n<html lang=\"");
    rp_put(&h, lang == PS_LANG_KO ? "ko" : "en");
    rp_put(&h, "\"><head><meta charset=\"utf-8\">\n"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
            "'none'; style-src 'unsafe-inline'; img-src data:\">\n<title>");
    rp_esc(&h, ps_tr(lang, "report_title"));
    rp_put(&h, "</title>\n<style>");
    rp_put(&h, css);
    rp_put(&h, "</style></head><body>\n");
    verdict(&h, r);
    top_findings(&h, json_object_get(r, "findings"));
    charts(&h, r);
    finding_details(&h, json_object_get(r, "findings"));
    statements(&h, "data_at_risk", json_object_get(r, "data_at_risk"));
    size_t i;
    const json_t *sec;
    json_array_foreach(json_object_get(r, "sections"), i, sec) section(&h, sec);
    checklist(&h, json_object_get(r, "checklist"));
    simple_tables(&h, r);
    rp_put(&h, "</body></html>\n");
    return h.e;
}
