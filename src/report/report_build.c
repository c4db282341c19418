/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * report_build.c - assemble the report document from what `analyze`
 * computed (ps_report_build). Facts give the timeline, the charts, the
 * data-at-risk figures and the operations checklist; the rule engine gives
 * findings, skipped rules and the rule list; the stages give their own JSON
 * (kept under "stages") and the summary tables in "sections".
 *
 * Determinism: everything is derived from sorted inputs, arrays are
 * sorted with total orders, and no wall-clock time is read.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "promsight/ps_facts.h"
#include "promsight/ps_ingest.h"
#include "report/report_build_int.h"
#include "report/report_int.h"

#define TIMELINE_RUN_GAP_MS (5 * 60 * 1000)
#define TIMELINE_TEXT_MAX 400
#define TIMELINE_RUN_LOOKAHEAD 4096

/* ---- small helpers ---- */

static json_t *
time_str(int64_t ms)
{
    char buf[40];
    ps_fmt_time_ms(ms, buf, sizeof(buf));
    return json_string(buf);
}

const char *
rb_sev_name(enum ps_sev s)
{
    switch (s) {
    case PS_SEV_NOTE: return "info";
    case PS_SEV_WARN: return "warning";
    default: return "critical";
    }
}

/* Valid-UTF-8 copy of s, truncated to max bytes (jansson rejects invalid
 * UTF-8; bundle text may hold anything). */
json_t *
rb_text(const char *s, size_t max)
{
    struct ps_buf b = {0};
    size_t n = strlen(s);
    if (n > max)
        n = max;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t len = c < 0x80 ? 1 : (c >= 0xC2 && c <= 0xDF) ? 2
                   : (c >= 0xE0 && c <= 0xEF) ? 3 : (c >= 0xF0 && c <= 0xF4) ? 4 : 0;
        int ok = len > 0 && i + len <= n;
        for (size_t k = 1; ok && k < len; k++)
            ok = ((unsigned char)s[i + k] & 0xC0) == 0x80;
        if (ok && c >= 0x20 && c != 0x7f) {
            ps_buf_append(&b, s + i, len);
            i += len;
        } else if (ok && len == 1) {
            ps_buf_append(&b, c == '\t' ? "\t" : " ", 1);
            i++;
        } else {
            ps_buf_append(&b, "\xEF\xBF\xBD", 3);
            i++;
        }
    }
    json_t *j = json_stringn(b.p != NULL ? (const char *)b.p : "", b.n);
    ps_buf_free(&b);
    return j;
}

/* Labels of a series as a JSON object without __name__. */
json_t *
rb_labels(const struct ps_facts *f, uint32_t id)
{
    const struct ps_label *l;
    size_t n = ps_facts_series_labels(f, id, &l);
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++)
        if (strcmp(l[i].name, "__name__") != 0)
            json_object_set_new(o, l[i].name, rb_text(l[i].value, 512));
    return o;
}

/* Last sample of a series, or 0 if none. */
int
rb_last(const struct ps_facts *f, uint32_t id, struct ps_sample *out)
{
    const struct ps_sample *s;
    size_t n = ps_facts_series_samples(f, id, &s);
    for (size_t i = n; i-- > 0;) {
        if (!isnan(s[i].v)) {
            *out = s[i];
            return 1;
        }
    }
    return 0;
}

/* ---- verdict ---- */

static json_t *
verdict(const json_t *findings)
{
    size_t crit = 0, warn = 0, info = 0, i;
    const json_t *f;
    json_array_foreach(findings, i, f) {
        int r = rp_sev_rank(rp_str(f, "severity"));
        crit += r == 0;
        warn += r == 1;
        info += r == 2;
    }
    const char *status = crit ? "critical" : warn ? "warning" : info ? "info" : "ok";
    char head[256], head_ko[256];
    if (crit + warn + info == 0) {
        snprintf(head, sizeof(head), "No problem found in this bundle.");
        snprintf(head_ko, sizeof(head_ko), "이 번들에서 문제가 발견되지 않았습니다.");
    } else {
        const json_t *top = json_array_get(findings, 0);
        snprintf(head, sizeof(head), "%zu critical, %zu warning, %zu info. Top: %s",
                 crit, warn, info, rp_str(top, "summary"));
        snprintf(head_ko, sizeof(head_ko), "심각 %zu, 경고 %zu, 정보 %zu. 가장 중요한 문제: %s",
                 crit, warn, info, rp_loc(top, "summary", PS_LANG_KO));
    }
    return json_pack("{s:s, s:i, s:i, s:i, s:o, s:o}", "status", status,
                     "critical", (json_int_t)crit, "warning", (json_int_t)warn,
                     "info", (json_int_t)info, "headline", rb_text(head, 255),
                     "headline_ko", rb_text(head_ko, 255));
}

static int
finding_cmp(const void *a, const void *b)
{
    const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;
    int d = rp_sev_rank(rp_str(x, "severity")) - rp_sev_rank(rp_str(y, "severity"));
    if (d != 0)
        return d;
    d = strcmp(rp_str(x, "first"), rp_str(y, "first"));
    if (d != 0)
        return d;
    return strcmp(rp_str(x, "rule"), rp_str(y, "rule"));
}

/* Copy of arr sorted with cmp (stable order for equal keys by index). */
json_t *
rb_sorted(const json_t *arr, int (*cmp)(const void *, const void *))
{
    size_t n = json_array_size(arr);
    json_t *out = json_array();
    if (n == 0)
        return out;
    const json_t **v = malloc(n * sizeof(*v));
    if (v == NULL)
        return out;
    for (size_t i = 0; i < n; i++)
        v[i] = json_array_get(arr, i);
    qsort(v, n, sizeof(*v), cmp);
    for (size_t i = 0; i < n; i++)
        json_array_append(out, (json_t *)v[i]);
    free(v);
    return out;
}

/* ---- timeline ---- */

static int
timeline_cmp(const void *a, const void *b)
{
    const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;
    double tx = json_number_value(json_object_get(x, "t"));
    double ty = json_number_value(json_object_get(y, "t"));
    if (tx != ty)
        return tx < ty ? -1 : 1;
    int d = strcmp(rp_str(x, "source"), rp_str(y, "source"));
    return d != 0 ? d : strcmp(rp_str(x, "text"), rp_str(y, "text"));
}

/* Short name for where an event came from: the pod, else the file. */
static const char *
event_source(const struct ps_facts *f, const struct ps_event *e)
{
    for (size_t i = 0; i < e->nlabels; i++)
        if (strcmp(e->labels[i].name, "pod") == 0)
            return e->labels[i].value;
    const char *p = ps_facts_source_path(f, e->src);
    return p != NULL ? p : "";
}

static void
add_event_runs(const struct ps_facts *f, json_t *tl)
{
    /* events are sorted by time; a run = same (class, signature, source)
     * with gaps under TIMELINE_RUN_GAP_MS. */
    size_t n = ps_facts_nevents(f);
    unsigned char *used = calloc(n ? n : 1, 1);
    if (used == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        if (used[i])
            continue;
        const struct ps_event *e = ps_facts_event(f, i);
        const char *src = event_source(f, e);
        int64_t last = e->t;
        size_t count = 1;
        used[i] = 1;
        /* the lookahead is bounded so a flood of unrelated events inside
         * one gap cannot make this quadratic */
        for (size_t j = i + 1; j < n && j - i <= TIMELINE_RUN_LOOKAHEAD; j++) {
            const struct ps_event *g = ps_facts_event(f, j);
            if (g->t - last > TIMELINE_RUN_GAP_MS)
                break;
            if (used[j] || g->cls != e->cls || g->signature != e->signature ||
                strcmp(event_source(f, g), src) != 0)
                continue;
            used[j] = 1;
            last = g->t;
            count++;
        }
        char text[TIMELINE_TEXT_MAX + 96], until[40];
        ps_fmt_time_ms(last, until, sizeof(until));
        if (count > 1)
            snprintf(text, sizeof(text), "[%s] %s (x%zu until %s)", e->cls,
                     e->message, count, until + 11);
        else
            snprintf(text, sizeof(text), "[%s] %s", e->cls, e->message);
        json_t *o = json_pack("{s:I, s:o, s:s, s:s, s:o, s:o, s:I}", "t",
                              (json_int_t)e->t, "time", time_str(e->t), "kind", "log",
                              "severity", rb_sev_name(e->sev), "source",
                              rb_text(src, 200), "text",
                              rb_text(text, TIMELINE_TEXT_MAX), "count",
                              (json_int_t)count);
        const char *file = ps_facts_source_path(f, e->src);
        if (file != NULL)
            json_object_set_new(o, "file", rb_text(file, 512));
        if (e->line != 0)
            json_object_set_new(o, "line", json_integer(e->line));
        json_array_append_new(tl, o);
    }
    free(used);
}

static void
add_finding_marks(const json_t *findings, json_t *tl)
{
    size_t i;
    const json_t *fd;
    json_array_foreach(findings, i, fd) {
        static const char *const ends[] = {"first", "last"};
        for (int k = 0; k < 2; k++) {
            int64_t ms;
            const char *ts = rp_str(fd, ends[k]);
            if (!ps_parse_rfc3339_ms(ts, strlen(ts), &ms))
                continue;
            if (k == 1 && strcmp(ts, rp_str(fd, "first")) == 0)
                continue;
            char text[400], text_ko[400];
            snprintf(text, sizeof(text), "%s %s: %s", rp_str(fd, "rule"),
                     k == 0 ? "starts" : "ends", rp_str(fd, "summary"));
            snprintf(text_ko, sizeof(text_ko), "%s %s: %s", rp_str(fd, "rule"),
                     k == 0 ? "시작" : "종료", rp_loc(fd, "summary", PS_LANG_KO));
            json_array_append_new(tl, json_pack(
                "{s:I, s:s, s:s, s:s, s:s, s:o, s:o}", "t", (json_int_t)ms, "time", ts,
                "kind", k == 0 ? "finding_start" : "finding_end", "severity",
                rp_str(fd, "severity"), "source", "findings", "text",
                rb_text(text, 399), "text_ko", rb_text(text_ko, 399)));
        }
    }
}

static json_t *
timeline(const struct ps_facts *f, const json_t *findings)
{
    json_t *tl = json_array();
    add_event_runs(f, tl);
    add_finding_marks(findings, tl);
    json_t *sorted = rb_sorted(tl, timeline_cmp);
    json_decref(tl);
    return sorted;
}

json_t *
ps_report_build(const struct ps_report_inputs *in)
{
    const struct ps_facts *f = in->ingest->facts;
    ps_facts_sort_events((struct ps_facts *)f);
    json_t *r = json_object();
    json_object_set_new(r, "schema_version", json_integer(1));
    json_object_set_new(r, "generator", json_string(in->generator));
    json_object_set_new(r, "bundle", rb_bundle(in));
    json_object_set_new(r, "window", rb_window(in));
    json_t *findings = rb_sorted(json_object_get(in->diagnosis, "findings"), finding_cmp);
    json_object_set_new(r, "verdict", verdict(findings));
    json_object_set_new(r, "findings", findings);
    json_t *sk = json_object_get(in->diagnosis, "skipped");
    json_object_set_new(r, "skipped", sk != NULL ? json_deep_copy(sk) : json_array());
    json_object_set_new(r, "rules", rb_rules(in->diagnosis));
    json_object_set_new(r, "timeline", timeline(f, findings));
    json_object_set_new(r, "charts", rb_charts(f, findings, in->plan));
    json_object_set_new(r, "data_at_risk", rb_data_at_risk(in, findings));
    json_object_set_new(r, "sections", rb_sections(in));
    json_object_set_new(r, "checklist", rb_checklist(in, findings));
    json_object_set_new(r, "inventory", rb_inventory(in));
    json_object_set_new(r, "problems", rb_problems(in));
    json_object_set_new(r, "redactions", rb_redactions(in));
    json_object_set_new(r, "metrics", rb_metrics(in, findings));
    json_t *stages = json_object();
    const struct ps_ingest *ig = in->ingest;
    static const char *const names[] = {"wal", "tsdb", "logs", "metrics", "config"};
    json_t *const vals[] = {ig->wal, ig->tsdb, ig->logs, ig->metrics, ig->config};
    for (size_t i = 0; i < 5; i++)
        if (vals[i] != NULL)
            json_object_set(stages, names[i], vals[i]);
    if (in->plan != NULL)
        json_object_set_new(stages, "plan", json_deep_copy(in->plan));
    json_object_set_new(r, "stages", stages);
    return r;
}
