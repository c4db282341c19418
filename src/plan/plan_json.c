/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * plan_json.c - the capacity plan as one JSON document (what
 * 'promsight plan --format json' prints and the report embeds): every
 * capacity series with its models, chosen model and reason, forecasts with
 * intervals and time to limit; the quantities and inputs used for sizing;
 * the recommendations with their inputs, formula and result; monthly cost.
 * Keys are inserted in a fixed order; non-finite numbers become null.
 */
#include <math.h>
#include <stdio.h>

#include <jansson.h>

#include "promsight/ps_plan.h"
#include "promsight/ps_util.h"
#include "promsight/ps_json.h"

static json_t *
series_json(const struct ps_plan *p, const struct ps_plan_series *s)
{
    const struct ps_plan_inputs *in = &p->in;
    char a[64];
    json_t *j = json_object();
    json_object_set_new(j, "series", json_string(s->name));
    json_object_set_new(j, "feeds", s->qty < PS_Q__COUNT
                                        ? json_string(ps_plan_qty_name(s->qty)) : json_null());
    json_object_set_new(j, "transform", json_string(s->transform));
    json_object_set_new(j, "points", json_integer((json_int_t)s->data.n));
    if (s->data.n > 0) {
        ps_fmt_time_s(s->data.t[0], a, sizeof(a));
        json_object_set_new(j, "first", json_string(a));
        ps_fmt_time_s(s->data.t[s->data.n - 1], a, sizeof(a));
        json_object_set_new(j, "last", json_string(a));
        json_object_set_new(j, "last_value", ps_json_num(s->data.v[s->data.n - 1]));
    }
    json_object_set_new(j, "chosen", s->sel->chosen_ok
                                         ? json_string(ps_fit_model_name(s->sel->chosen))
                                         : json_null());
    json_object_set_new(j, "reason", json_string(s->sel->reason));
    json_t *models = json_array();
    for (int m = 0; m < PS_FIT_NMODELS; m++) {
        const struct ps_fit *f = &s->sel->fits[m];
        json_t *jm = json_object();
        json_object_set_new(jm, "model", json_string(ps_fit_model_name((enum ps_fit_model)m)));
        json_object_set_new(jm, "fitted", json_boolean(f->ok));
        if (f->ok) {
            int cmp = m != PS_FIT_HOLT && m != PS_FIT_ROBUST;
            json_object_set_new(jm, "aicc", cmp ? ps_json_num(f->aicc) : json_null());
            json_object_set_new(jm, "mase", ps_json_num(f->mase));
            json_object_set_new(jm, "mape_percent", ps_json_num(f->mape));
        } else {
            json_object_set_new(jm, "why", json_string(f->why));
        }
        json_array_append_new(models, jm);
    }
    json_object_set_new(j, "models", models);
    json_t *fc = json_array();
    if (s->sel->chosen_ok && s->data.n > 0) {
        const struct ps_fit *f = &s->sel->fits[s->sel->chosen];
        for (size_t h = 0; h < in->nhorizon; h++) {
            double t = s->data.t[s->data.n - 1] + in->horizon_s[h], m, lo, hi;
            ps_fit_predict(f, t, in->level, &m, &lo, &hi);
            /* capacity series are counts, rates and bytes: never below 0 */
            m = fmax(m, 0);
            lo = fmax(lo, 0);
            hi = fmax(hi, 0);
            json_t *jf = json_object();
            json_object_set_new(jf, "horizon_seconds", ps_json_num(in->horizon_s[h]));
            ps_fmt_time_s(t, a, sizeof(a));
            json_object_set_new(jf, "at", json_string(a));
            json_object_set_new(jf, "mean", ps_json_num(m));
            json_object_set_new(jf, "level", ps_json_num(in->level));
            json_object_set_new(jf, "lo", ps_json_num(lo));
            json_object_set_new(jf, "hi", ps_json_num(hi));
            json_array_append_new(fc, jf);
        }
    }
    json_object_set_new(j, "forecasts", fc);
    if (s->eta.set) {
        json_t *je = json_object();
        json_object_set_new(je, "what", json_string(s->eta.what));
        json_object_set_new(je, "limit", ps_json_num(s->eta.limit));
        const struct ps_fit_eta *e = &s->eta.eta;
        json_object_set_new(je, "status",
                            json_string(e->status == PS_ETA_ALREADY ? "already"
                                        : e->status == PS_ETA_REACHED ? "reached"
                                                                      : "not_reached"));
        const double ts[3] = {e->t_mean, e->t_early, e->t_late};
        const char *k[3] = {"mean", "earliest", "latest"};
        for (int i = 0; i < 3; i++) {
            ps_fmt_time_s(ts[i], a, sizeof(a));
            json_object_set_new(je, k[i], isfinite(ts[i]) ? json_string(a) : json_null());
        }
        json_object_set_new(j, "limit", je);
    }
    return j;
}

json_t *
ps_plan_json(const struct ps_plan *p, const struct ps_pricing *pr, const char *sizing_path)
{
    const struct ps_plan_inputs *in = &p->in;
    json_t *j = json_object();
    if (j == NULL)
        return NULL;
    json_object_set_new(j, "sizing_model", json_string(sizing_path));
    if (pr != NULL) {
        json_t *jp = json_object();
        json_object_set_new(jp, "name", json_string(pr->name));
        json_object_set_new(jp, "example", json_boolean(pr->example));
        json_object_set_new(jp, "currency", json_string(pr->currency));
        json_object_set_new(jp, "region", json_string(pr->region));
        json_object_set_new(jp, "effective_date", json_string(pr->effective_date));
        json_object_set_new(j, "pricing", jp);
    } else {
        json_object_set_new(j, "pricing", json_null());
    }
    json_t *hz = json_array();
    for (size_t h = 0; h < in->nhorizon; h++)
        json_array_append_new(hz, ps_json_num(in->horizon_s[h]));
    json_object_set_new(j, "horizons_seconds", hz);
    json_object_set_new(j, "sizing_horizon_seconds", ps_json_num(in->horizon_s[in->size_h]));
    json_object_set_new(j, "level", ps_json_num(in->level));
    json_t *ss = json_array();
    for (size_t i = 0; i < p->nseries; i++)
        json_array_append_new(ss, series_json(p, &p->series[i]));
    json_object_set_new(j, "series", ss);
    json_t *qs = json_object();
    for (int q = 0; q < PS_Q__COUNT; q++) {
        const struct ps_plan_qval *v = &in->q[q];
        json_t *jq = json_object();
        json_object_set_new(jq, "known", json_boolean(v->known));
        if (v->known) {
            json_object_set_new(jq, "now", ps_json_num(v->now));
            json_t *mn = json_array(), *hi = json_array();
            for (size_t h = 0; h < in->nhorizon && v->forecast; h++) {
                json_array_append_new(mn, ps_json_num(v->mean[h]));
                json_array_append_new(hi, ps_json_num(v->hi[h]));
            }
            json_object_set_new(jq, "mean", mn);
            json_object_set_new(jq, "upper", hi);
            json_object_set_new(jq, "from", json_string(v->from));
        }
        json_object_set_new(qs, ps_plan_qty_name((enum ps_plan_qty)q), jq);
    }
    json_object_set_new(j, "quantities", qs);
    json_t *ji = json_object();
    json_object_set_new(ji, "bytes_per_sample_blocks", ps_json_num(in->bytes_per_sample_blocks));
    json_object_set_new(ji, "wal_bytes_per_sample", ps_json_num(in->wal_bytes_per_sample));
    json_object_set_new(ji, "agent_wal_bytes_per_sample", ps_json_num(in->agent_wal_bytes_per_sample));
    json_object_set_new(ji, "retention_seconds", ps_json_num(in->retention_s));
    json_object_set_new(ji, "replication_factor", ps_json_num(in->replication_factor));
    json_object_set_new(ji, "receivers", ps_json_num(in->receivers));
    json_object_set_new(ji, "receiver_memory_limit_bytes", ps_json_num(in->receiver_mem_limit));
    json_object_set_new(ji, "receiver_volume_bytes", ps_json_num(in->receiver_volume_bytes));
    json_object_set_new(ji, "agents", ps_json_num(in->agents));
    json_object_set_new(ji, "agent_volume_bytes", ps_json_num(in->agent_volume_bytes));
    json_object_set_new(ji, "head_series_limit", ps_json_num(in->head_series_limit));
    json_object_set_new(ji, "rw_max_shards", ps_json_num(in->rw_max_shards));
    json_object_set_new(ji, "rw_capacity", ps_json_num(in->rw_capacity));
    json_object_set_new(ji, "rw_max_samples_per_send", ps_json_num(in->rw_max_samples_per_send));
    json_object_set_new(ji, "rw_send_latency_seconds", ps_json_num(in->rw_send_latency_s));
    json_object_set_new(ji, "hashring_algorithm", in->hashring_algorithm[0]
                                                      ? json_string(in->hashring_algorithm)
                                                      : json_null());
    json_object_set_new(j, "inputs", ji);
    json_t *rs = json_array();
    for (size_t i = 0; i < p->result.nrec; i++) {
        const struct ps_plan_rec *r = &p->result.rec[i];
        json_t *jr = json_object();
        json_object_set_new(jr, "id", json_string(r->id));
        json_object_set_new(jr, "title", json_string(r->title));
        json_object_set_new(jr, "inputs", json_string(r->inputs));
        json_object_set_new(jr, "formula", json_string(r->formula));
        json_object_set_new(jr, "result", json_string(r->result));
        json_object_set_new(jr, "value", ps_json_num(r->value));
        json_object_set_new(jr, "unit", json_string(r->unit));
        json_object_set_new(jr, "monthly_cost_delta", ps_json_num(r->monthly_delta));
        json_array_append_new(rs, jr);
    }
    json_object_set_new(j, "recommendations", rs);
    const struct ps_plan_cost *c = &p->result.cost;
    if (c->priced) {
        json_t *jc = json_object();
        json_object_set_new(jc, "now", ps_json_num(c->now));
        json_t *at = json_array();
        for (size_t h = 0; h < in->nhorizon; h++)
            json_array_append_new(at, ps_json_num(c->at[h]));
        json_object_set_new(jc, "at_horizons", at);
        json_object_set_new(jc, "basis", json_string(c->basis));
        json_object_set_new(j, "monthly_cost", jc);
    } else {
        json_object_set_new(j, "monthly_cost", json_null());
    }
    return j;
}

