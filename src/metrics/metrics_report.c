/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * metrics_report.c - what the metrics stage extracted, as data: per-series
 * statistics (count, first/last time, value range, the longest gap
 * between samples - where an outage shows) and the stage's JSON summary,
 * which `promsight metrics --format json` prints and the reports embed.
 * Built in a deterministic order: files as loaded, metrics by name,
 * series by id (creation order).
 */
#include "metrics/metrics_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void
ps_metrics_series_stats(const struct ps_facts *f, uint32_t id,
                        struct ps_metrics_series_stats *st)
{
    const struct ps_sample *s;
    size_t n = ps_facts_series_samples(f, id, &s);
    memset(st, 0, sizeof(*st));
    st->n = n;
    st->min = NAN;
    st->max = NAN;
    st->last_value = NAN;
    if (n == 0)
        return;
    st->first = s[0].t;
    st->last = s[n - 1].t;
    st->last_value = s[n - 1].v;
    for (size_t i = 0; i < n; i++) {
        double v = s[i].v;
        if (isnan(v))
            st->nan++;
        else {
            if (isnan(st->min) || v < st->min)
                st->min = v;
            if (isnan(st->max) || v > st->max)
                st->max = v;
        }
        if (i > 0 && s[i].t - s[i - 1].t > st->max_gap_ms) {
            st->max_gap_ms = s[i].t - s[i - 1].t;
            st->max_gap_at = s[i - 1].t;
        }
    }
}

int
ps_metrics_is_ours(const struct ps_facts *f, uint32_t id)
{
    const char *src = ps_facts_series_label(f, id, "source");
    return src != NULL && (strcmp(src, "dump") == 0 || strcmp(src, "api") == 0);
}

/* ---- selectors ---- */

struct ps_metrics_selector {
    char *name;
    size_t n;
    char **lname, **lval;
};

void
ps_metrics_selector_free(struct ps_metrics_selector *sel)
{
    if (sel == NULL)
        return;
    for (size_t i = 0; i < sel->n; i++) {
        free(sel->lname[i]);
        free(sel->lval[i]);
    }
    free(sel->lname);
    free(sel->lval);
    free(sel->name);
    free(sel);
}

struct ps_metrics_selector *
ps_metrics_selector_new(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 4096)
        return NULL;
    /* Reuse the exposition parser: "<selector> 0" is a sample line. */
    char *line = malloc(n + 3);
    struct ps_expo_parser p;
    struct ps_metrics_selector *sel = calloc(1, sizeof(*sel));
    if (line == NULL || sel == NULL || ps_expo_parser_init(&p, n + 2, 64) != PS_OK) {
        free(line);
        free(sel);
        return NULL;
    }
    memcpy(line, s, n);
    memcpy(line + n, " 0", 3);
    struct ps_expo_item it;
    ps_expo_parse_line(&p, line, n + 2, &it);
    int ok = it.kind == PS_EL_SAMPLE && !it.has_ts;
    if (ok) {
        sel->name = strdup(it.name);
        sel->lname = calloc(it.nlabels + 1, sizeof(char *));
        sel->lval = calloc(it.nlabels + 1, sizeof(char *));
        ok = sel->name != NULL && sel->lname != NULL && sel->lval != NULL;
        for (size_t i = 0; ok && i < it.nlabels; i++) {
            sel->lname[i] = strdup(it.labels[i].name);
            sel->lval[i] = strdup(it.labels[i].value);
            sel->n = i + 1;
            ok = sel->lname[i] != NULL && sel->lval[i] != NULL;
        }
    }
    ps_expo_parser_free(&p);
    free(line);
    if (!ok) {
        ps_metrics_selector_free(sel);
        return NULL;
    }
    return sel;
}

const char *
ps_metrics_selector_name(const struct ps_metrics_selector *sel)
{
    return sel->name;
}

int
ps_metrics_selector_match(const struct ps_metrics_selector *sel,
                          const struct ps_facts *f, uint32_t id)
{
    const char *m = ps_facts_series_metric(f, id);
    if (m == NULL || strcmp(m, sel->name) != 0)
        return 0;
    for (size_t i = 0; i < sel->n; i++) {
        const char *v = ps_facts_series_label(f, id, sel->lname[i]);
        if (v == NULL)
            v = "";                 /* an empty value matches a missing label */
        if (strcmp(v, sel->lval[i]) != 0)
            return 0;
    }
    return 1;
}

/* A float as JSON: a number when finite, else "NaN", "+Inf", "-Inf". */
static json_t *
jnum(double v)
{
    if (isnan(v))
        return json_string("NaN");
    if (isinf(v))
        return json_string(v > 0 ? "+Inf" : "-Inf");
    return json_real(v);
}

static json_t *
jtime(int64_t ms)
{
    char buf[64];
    if (ms == INT64_MIN)
        return json_null();
    ps_fmt_time_ms(ms, buf, sizeof(buf));
    return json_string(buf);
}

static json_t *
jstr(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

static json_t *
file_json(const struct ps_metrics_file *f)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    json_object_set_new(o, "path", json_string(f->path));
    json_object_set_new(o, "format", json_string(ps_metrics_format_name(f->format)));
    json_object_set_new(o, "api_kind", jstr(f->api_kind));
    json_object_set_new(o, "time_source", json_string(ps_metrics_time_src_name(f->time_src)));
    json_object_set_new(o, "time", jtime(f->time_ms));
    json_object_set_new(o, "bytes", json_integer((json_int_t)f->bytes));
    json_object_set_new(o, "lines", json_integer((json_int_t)f->lines));
    json_object_set_new(o, "samples", json_integer((json_int_t)f->samples));
    json_object_set_new(o, "samples_with_timestamp",
                        json_integer((json_int_t)f->samples_with_ts));
    json_object_set_new(o, "series", json_integer((json_int_t)f->series));
    json_object_set_new(o, "families", json_integer((json_int_t)f->families));
    json_object_set_new(o, "skipped", json_integer((json_int_t)f->skipped));
    json_object_set_new(o, "events", json_integer((json_int_t)f->events));
    json_object_set_new(o, "redacted",
                        json_integer((json_int_t)ps_redact_total(&f->redacted)));
    json_object_set_new(o, "eof_marker", json_boolean(f->eof_marker));
    return o;
}

static json_t *
series_json(const struct ps_facts *f, uint32_t id, int with_samples)
{
    json_t *o = json_object(), *labels = json_object();
    if (o == NULL || labels == NULL) {
        json_decref(o);
        json_decref(labels);
        return NULL;
    }
    const struct ps_label *l;
    size_t nl = ps_facts_series_labels(f, id, &l);
    for (size_t i = 0; i < nl; i++)
        if (strcmp(l[i].name, "__name__") != 0)
            json_object_set_new(labels, l[i].name, json_string(l[i].value));
    json_object_set_new(o, "labels", labels);
    struct ps_metrics_series_stats st;
    ps_metrics_series_stats(f, id, &st);
    char gap[64];
    ps_fmt_duration_ms(st.max_gap_ms, gap, sizeof(gap));
    json_object_set_new(o, "samples", json_integer((json_int_t)st.n));
    json_object_set_new(o, "first", st.n ? jtime(st.first) : json_null());
    json_object_set_new(o, "last", st.n ? jtime(st.last) : json_null());
    json_object_set_new(o, "min", st.n ? jnum(st.min) : json_null());
    json_object_set_new(o, "max", st.n ? jnum(st.max) : json_null());
    json_object_set_new(o, "last_value", st.n ? jnum(st.last_value) : json_null());
    json_object_set_new(o, "nan_samples", json_integer((json_int_t)st.nan));
    json_object_set_new(o, "max_gap", json_string(gap));
    json_object_set_new(o, "max_gap_after", st.n > 1 ? jtime(st.max_gap_at) : json_null());
    if (with_samples) {
        json_t *arr = json_array();
        const struct ps_sample *s;
        size_t n = ps_facts_series_samples(f, id, &s);
        for (size_t i = 0; arr != NULL && i < n; i++) {
            json_t *p = json_array();
            json_array_append_new(p, jtime(s[i].t));
            json_array_append_new(p, jnum(s[i].v));
            json_array_append_new(p, json_string(ps_facts_source_path(f, s[i].src)));
            json_array_append_new(arr, p);
        }
        json_object_set_new(o, "values", arr != NULL ? arr : json_null());
    }
    return o;
}

static json_t *
metric_json(const struct ps_metrics *m, const struct ps_facts *f, const char *name,
            struct ps_metrics_selector *const *sel, size_t nsel, int with_samples)
{
    const uint32_t *ids;
    size_t n = ps_facts_metric_series(f, name, &ids);
    json_t *arr = json_array();
    if (arr == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (!ps_metrics_is_ours(f, ids[i]))
            continue;
        if (nsel != 0) {
            size_t k = 0;
            while (k < nsel && (sel[k] == NULL || !ps_metrics_selector_match(sel[k], f, ids[i])))
                k++;
            if (k == nsel)
                continue;
        }
        json_array_append_new(arr, series_json(f, ids[i], with_samples));
    }
    if (json_array_size(arr) == 0) {
        json_decref(arr);
        return json_null();
    }
    const struct ps_metrics_family *fam = ps_metrics_family_of(m, name);
    json_t *o = json_object();
    if (o == NULL) {
        json_decref(arr);
        return NULL;
    }
    json_object_set_new(o, "name", json_string(name));
    json_object_set_new(o, "type", jstr(fam != NULL ? fam->type : NULL));
    json_object_set_new(o, "help", jstr(fam != NULL ? fam->help : NULL));
    json_object_set_new(o, "unit", jstr(fam != NULL ? fam->unit : NULL));
    json_object_set_new(o, "series", arr);
    return o;
}

json_t *
ps_metrics_json(const struct ps_metrics *m, const struct ps_facts *f,
                const char *const *names, size_t nnames, int with_samples)
{
    json_t *root = json_object(), *files = json_array(), *metrics = json_array();
    if (root == NULL || files == NULL || metrics == NULL) {
        json_decref(root);
        json_decref(files);
        json_decref(metrics);
        return NULL;
    }
    for (size_t i = 0; i < m->nfiles; i++)
        json_array_append_new(files, file_json(&m->files[i]));
    json_object_set_new(root, "files", files);
    struct ps_metrics_selector **sel = NULL;
    if (nnames != 0) {
        sel = calloc(nnames, sizeof(*sel));
        if (sel == NULL) {
            json_decref(root);
            json_decref(metrics);
            return NULL;
        }
        for (size_t k = 0; k < nnames; k++)
            sel[k] = ps_metrics_selector_new(names[k]);
    }
    const char *const *all;
    size_t nall = ps_facts_metric_names(f, &all);
    for (size_t i = 0; i < nall; i++) {
        if (nnames != 0) {
            size_t k = 0;
            while (k < nnames && (sel[k] == NULL || strcmp(sel[k]->name, all[i]) != 0))
                k++;
            if (k == nnames)
                continue;
        }
        json_t *mj = metric_json(m, f, all[i], sel, nnames, with_samples);
        if (mj != NULL && !json_is_null(mj))
            json_array_append_new(metrics, mj);
        else
            json_decref(mj);
    }
    for (size_t k = 0; k < nnames; k++)
        ps_metrics_selector_free(sel[k]);
    free(sel);
    json_object_set_new(root, "metrics", metrics);
    return root;
}

json_t *
ps_metrics_summary_json(const struct ps_metrics *m, const struct ps_facts *f)
{
    json_t *root = json_object(), *files = json_array(), *metrics = json_array();
    if (root == NULL || files == NULL || metrics == NULL) {
        json_decref(root);
        json_decref(files);
        json_decref(metrics);
        return NULL;
    }
    for (size_t i = 0; i < m->nfiles; i++)
        json_array_append_new(files, file_json(&m->files[i]));
    json_object_set_new(root, "files", files);
    const char *const *all;
    size_t nall = ps_facts_metric_names(f, &all);
    for (size_t i = 0; i < nall; i++) {
        const uint32_t *ids;
        size_t n = ps_facts_metric_series(f, all[i], &ids), nours = 0, nsamp = 0;
        int64_t first = INT64_MIN, last = INT64_MIN;
        for (size_t k = 0; k < n; k++) {
            if (!ps_metrics_is_ours(f, ids[k]))
                continue;
            const struct ps_sample *s;
            size_t c = ps_facts_series_samples(f, ids[k], &s);
            nours++;
            nsamp += c;
            if (c == 0)
                continue;
            if (first == INT64_MIN || s[0].t < first)
                first = s[0].t;
            if (last == INT64_MIN || s[c - 1].t > last)
                last = s[c - 1].t;
        }
        if (nours == 0)
            continue;
        const struct ps_metrics_family *fam = ps_metrics_family_of(m, all[i]);
        json_t *o = json_object();
        if (o == NULL)
            break;
        json_object_set_new(o, "name", json_string(all[i]));
        json_object_set_new(o, "type", jstr(fam != NULL ? fam->type : NULL));
        json_object_set_new(o, "series", json_integer((json_int_t)nours));
        json_object_set_new(o, "samples", json_integer((json_int_t)nsamp));
        json_object_set_new(o, "first", jtime(first));
        json_object_set_new(o, "last", jtime(last));
        json_array_append_new(metrics, o);
    }
    json_object_set_new(root, "metrics", metrics);
    return root;
}
