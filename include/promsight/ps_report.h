/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ps_report.h - reports for people and machines.
 *
 * One mechanism: the report IS a JSON document (schema in
 * docs/report-schema.json, "schema_version": 1). `analyze` assembles it
 * from the stages' outputs; Markdown, HTML and JUnit are renderings of
 * that document, and `diff` compares two of them. Nothing in a rendering
 * comes from anywhere but the document, so a captured bundle plus its
 * report.json is a complete regression test.
 *
 * Every function here reads the document and writes to a ps_buf; none
 * prints. Text from the bundle is escaped for the target format (HTML
 * entities, Markdown table pipes, XML attributes).
 */
#ifndef PS_REPORT_H
#define PS_REPORT_H

#include <jansson.h>

#include "promsight/ps_err.h"
#include "promsight/ps_util.h"

enum ps_lang { PS_LANG_EN, PS_LANG_KO };

/* "en"/"ko" -> lang; returns 0, or -1 for anything else. */
int ps_lang_parse(const char *s, enum ps_lang *lang);
/* Heading/label text for key in lang (falls back to English, then key). */
const char *ps_tr(enum ps_lang lang, const char *key);

enum ps_err ps_report_render_md(const json_t *report, enum ps_lang lang,
                                struct ps_buf *out);
enum ps_err ps_report_render_html(const json_t *report, enum ps_lang lang,
                                  struct ps_buf *out);
enum ps_err ps_report_render_junit(const json_t *report, struct ps_buf *out);

/*
 * Compare two report documents: findings added, removed and changed (by
 * rule + labels), and numeric metrics that moved (capacity forecasts,
 * WAL/TSDB totals) by more than rel_tol. Returns a new JSON object
 * {"added":[...],"removed":[...],"changed":[...],"moved":[...],
 * "differences":N} (caller owns).
 */
json_t *ps_report_diff(const json_t *old_report, const json_t *new_report,
                       double rel_tol);

/* ---- assembling the document ---- */

struct ps_ingest;

struct ps_report_inputs {
    const struct ps_ingest *ingest;  /* facts, inventory, diagnostics, stage JSON */
    const json_t *diagnosis;  /* rule engine output: {"findings","skipped","rules","window"} */
    const json_t *plan;       /* capacity plan JSON, or NULL */
    const char *bundle_name;  /* shown in the report; no directories, no archive suffix */
    const char *generator;    /* "promsight 0.1.0" */
};

/*
 * Build the report document (schema_version 1, docs/report-schema.json)
 * from everything `analyze` computed. Deterministic: the same inputs give
 * byte-identical JSON. Returns a new reference, NULL on OOM.
 */
json_t *ps_report_build(const struct ps_report_inputs *in);

/* ---- building blocks, shared by the renderers ---- */

/* Append s escaped for HTML text and attributes. */
enum ps_err ps_html_escape(struct ps_buf *out, const char *s);
/* Append s for a Markdown table cell / inline text (pipes, newlines,
 * backticks, angle brackets escaped). */
enum ps_err ps_md_escape(struct ps_buf *out, const char *s);
/* Append s escaped for XML (JUnit). */
enum ps_err ps_xml_escape(struct ps_buf *out, const char *s);

/*
 * Draw a chart object of the report ({"title","unit","series":[{"name",
 * "points":[[t_ms,v],...]}],"band":{"lo":[...],"hi":[...]}|null,
 * "markers":[{"time":t_ms,"text"}]}) as inline SVG.
 */
enum ps_err ps_svg_chart(struct ps_buf *out, const json_t *chart, int width,
                         int height);
/* Draw the report's "timeline" array as an inline SVG event strip. */
enum ps_err ps_svg_timeline(struct ps_buf *out, const json_t *timeline,
                            int width);

/* "12.3k", "4.56M", "1.2GiB" (binary when unit is "bytes"). */
void ps_humanize(double v, const char *unit, char *buf, size_t n);

#endif
