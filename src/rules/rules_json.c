/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * rules_json.c - the JSON shape of a rule evaluation, a contract the
 * reports keep (docs/rules.md):
 *
 *   {"findings": [{"rule","class","severity","summary","description",
 *                  "advice","runbook_url","first","last","peak",
 *                  "labels":{..},
 *                  "evidence":{"series":[{"labels":{..},"values":[[t,v],..]}],
 *                              "series_total":N,
 *                              "events":[{"time","file","line"|"offset",
 *                                         "signature","message"}],
 *                              "events_total":N}}],
 *    "skipped": [{"rule","class","missing":[..]}],
 *    "window": {"start","end","step"}}
 *
 * Times are RFC 3339 UTC strings; "step" is a Go-style duration; values
 * that are NaN or infinite become null (JSON has no such numbers). Keys
 * are added in a fixed order so the output is deterministic.
 */
#include <math.h>

#include "rules/rules_int.h"
#include "promsight/ps_json.h"

static json_t *
jtime(int64_t ms)
{
    char b[48];
    ps_fmt_time_ms(ms, b, sizeof(b));
    return json_string(b);
}

static json_t *
jnum(double v)
{
    if (isnan(v) || isinf(v))
        return json_null();
    return json_real(v);
}

static json_t *
jlabels(const struct ps_label *l, size_t n)
{
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++)
        json_object_set_new(o, l[i].name, json_string(l[i].value));
    return o;
}

json_t *
ps_rules_result_json(const struct ps_rules_result *res)
{
    json_t *root = json_object();
    json_t *fa = json_array();
    for (size_t i = 0; i < res->nfindings; i++) {
        const struct ps_finding *fd = &res->findings[i];
        json_t *o = json_object();
        json_object_set_new(o, "rule", json_string(fd->rule));
        json_object_set_new(o, "class", json_string(fd->cls));
        json_object_set_new(o, "severity", json_string(ps_rule_sev_name(fd->sev)));
        json_object_set_new(o, "summary", ps_json_str_or_null(fd->summary));
        json_object_set_new(o, "description", ps_json_str_or_null(fd->description));
        json_object_set_new(o, "advice", ps_json_str_or_null(fd->advice));
        json_object_set_new(o, "runbook_url", ps_json_str_or_null(fd->runbook_url));
        json_object_set_new(o, "first", jtime(fd->first));
        json_object_set_new(o, "last", jtime(fd->last));
        json_object_set_new(o, "peak", jnum(fd->peak));
        json_object_set_new(o, "labels", jlabels(fd->labels, fd->nlabels));
        json_t *ev = json_object();
        json_t *sa = json_array();
        for (size_t j = 0; j < fd->nseries; j++) {
            const struct ps_evidence_series *es = &fd->series[j];
            json_t *so = json_object();
            json_object_set_new(so, "labels", jlabels(es->labels, es->nlabels));
            json_t *va = json_array();
            for (size_t k = 0; k < es->n; k++) {
                json_t *pt = json_array();
                json_array_append_new(pt, jtime(es->t[k]));
                json_array_append_new(pt, jnum(es->v[k]));
                json_array_append_new(va, pt);
            }
            json_object_set_new(so, "values", va);
            json_array_append_new(sa, so);
        }
        json_object_set_new(ev, "series", sa);
        json_object_set_new(ev, "series_total", json_integer((json_int_t)fd->series_total));
        json_t *ea = json_array();
        for (size_t j = 0; j < fd->nevents; j++) {
            const struct ps_evidence_event *e = &fd->events[j];
            json_t *eo = json_object();
            json_object_set_new(eo, "time", jtime(e->t));
            json_object_set_new(eo, "file", json_string(e->file));
            if (e->line > 0)
                json_object_set_new(eo, "line", json_integer(e->line));
            else if (e->off != PS_OFF_NONE)
                json_object_set_new(eo, "offset", json_integer((json_int_t)e->off));
            json_object_set_new(eo, "signature", ps_json_str_or_null(e->signature));
            json_object_set_new(eo, "message", json_string(e->message));
            json_array_append_new(ea, eo);
        }
        json_object_set_new(ev, "events", ea);
        json_object_set_new(ev, "events_total", json_integer((json_int_t)fd->events_total));
        json_object_set_new(o, "evidence", ev);
        json_array_append_new(fa, o);
    }
    json_object_set_new(root, "findings", fa);
    json_t *ska = json_array();
    for (size_t i = 0; i < res->nskipped; i++) {
        const struct ps_skipped *s = &res->skipped[i];
        json_t *o = json_object();
        json_object_set_new(o, "rule", json_string(s->rule));
        json_object_set_new(o, "class", json_string(s->cls));
        json_t *m = json_array();
        for (size_t j = 0; j < s->nmissing; j++)
            json_array_append_new(m, json_string(s->missing[j]));
        json_object_set_new(o, "missing", m);
        json_array_append_new(ska, o);
    }
    json_object_set_new(root, "skipped", ska);
    json_t *w = json_object();
    json_object_set_new(w, "start", jtime(res->start));
    json_object_set_new(w, "end", jtime(res->end));
    char sb[48];
    ps_fmt_duration_ms(res->step, sb, sizeof(sb));
    json_object_set_new(w, "step", json_string(sb));
    json_object_set_new(root, "window", w);
    return root;
}
