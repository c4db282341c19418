/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * plan_facts.c - capacity series from the fact store: pick the well-known
 * metrics (docs/capacity-planning.md lists every name read here), turn
 * counters into rates and sawtooth signals into per-window maxima, fit and
 * forecast each series, aggregate them into the plan's quantities, read the
 * configured numbers (replication, retention, limits, queue_config, volume
 * sizes, memory limits), compute ETAs and the recommendations.
 *
 * Role of a series: its pod label (else its instance label without the
 * port) containing "receive" makes it a receiver's, "agent" an agent's.
 * Several series with the same metric and role identity (a dump and an
 * API answer of the same pod, or an old remote-write URL) are reduced to
 * the one with the latest last sample (then the most samples).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promsight/ps_plan.h"
#include "promsight/ps_util.h"

enum shape { GAUGE, SAWTOOTH, COUNTER };
enum role { ANY, RECV, AGENT };
enum agg { SUM, MAX };

struct rule {
    const char *metric;
    enum shape shape;
    enum role role;    /* series of other roles are shown but feed no quantity */
    int qty;           /* enum ps_plan_qty, or -1 */
    enum agg agg;
};

/* Documented in docs/capacity-planning.md; keep the two in step. */
static const struct rule rules[] = {
    {"prometheus_tsdb_head_series", SAWTOOTH, RECV, PS_Q_RECV_SERIES, SUM},
    {"prometheus_tsdb_head_samples_appended_total", COUNTER, RECV, PS_Q_RECV_SPS, SUM},
    {"prometheus_tsdb_wal_storage_size_bytes", SAWTOOTH, RECV, PS_Q_RECV_WAL_BYTES, MAX},
    {"kubelet_volume_stats_used_bytes", SAWTOOTH, RECV, PS_Q_RECV_DISK_BYTES, MAX},
    {"prometheus_agent_active_series", GAUGE, AGENT, PS_Q_AGENT_SERIES, MAX},
    {"prometheus_agent_samples_appended_total", COUNTER, AGENT, PS_Q_AGENT_SPS, MAX},
    {"prometheus_remote_storage_samples_total", COUNTER, AGENT, PS_Q_RW_SPS, MAX},
    {"promsight_object_storage_bytes", GAUGE, ANY, PS_Q_OBJ_BYTES, SUM},
    {"promsight_block_bytes", GAUGE, ANY, -1, SUM},
    {"promsight_block_series", GAUGE, ANY, -1, SUM},
};

/* ---- small fact-store helpers ---- */

static void
identity(const struct ps_facts *f, uint32_t id, char *buf, size_t n)
{
    const char *pod = ps_facts_series_label(f, id, "pod");
    const char *inst = ps_facts_series_label(f, id, "instance");
    const char *tsdb = ps_facts_series_label(f, id, "tsdb");
    const char *tenant = ps_facts_series_label(f, id, "tenant");
    if (tsdb == NULL)
        tsdb = ps_facts_series_label(f, id, "wal");
    if (pod != NULL)
        snprintf(buf, n, "%s", pod);
    else if (inst != NULL) {
        snprintf(buf, n, "%s", inst);
        char *colon = strrchr(buf, ':');
        if (colon != NULL)
            *colon = 0;
    } else
        snprintf(buf, n, "%s", tsdb != NULL ? tsdb : "");
    if (tenant != NULL)
        snprintf(buf + strlen(buf), n - strlen(buf), "/%s", tenant);
}

static enum role
role_of(const char *ident)
{
    if (strstr(ident, "receive") != NULL)
        return RECV;
    if (strstr(ident, "agent") != NULL)
        return AGENT;
    return ANY;
}

static char *
series_name(const struct ps_facts *f, uint32_t id)
{
    const struct ps_label *ls;
    size_t n = ps_facts_series_labels(f, id, &ls);
    struct ps_buf b = {0};
    enum ps_err rc = ps_buf_printf(&b, "%s{", ps_facts_series_metric(f, id));
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(ls[i].name, "__name__") == 0)
            continue;
        rc |= ps_buf_printf(&b, "%s%s=\"%s\"", first ? "" : ",", ls[i].name, ls[i].value);
        first = 0;
    }
    rc |= ps_buf_append(&b, "}", 2);
    if (rc != PS_OK) {
        ps_buf_free(&b);
        return NULL;
    }
    return (char *)b.p;
}

/* last sample value of the series, NAN if none */
static double
last_value(const struct ps_facts *f, uint32_t id, int64_t *t)
{
    const struct ps_sample *s;
    size_t n = ps_facts_series_samples(f, id, &s);
    for (size_t i = n; i > 0; i--)
        if (isfinite(s[i - 1].v)) {
            if (t != NULL)
                *t = s[i - 1].t;
            return s[i - 1].v;
        }
    return NAN;
}

/*
 * Latest value over the series of metric whose label `lname` equals lval
 * (lval NULL: any) and whose identity has role r (ANY: any); agg picks
 * max or min. NAN if none.
 */
static double
config_value(const struct ps_facts *f, const char *metric, const char *lname,
             const char *lval, enum role r, int want_min)
{
    const uint32_t *ids;
    size_t n = ps_facts_metric_series(f, metric, &ids);
    double best = NAN;
    char ident[256];
    for (size_t i = 0; i < n; i++) {
        if (lname != NULL) {
            const char *v = ps_facts_series_label(f, ids[i], lname);
            if (v == NULL || (lval != NULL && strcmp(v, lval) != 0))
                continue;
        }
        identity(f, ids[i], ident, sizeof(ident));
        if (r != ANY && role_of(ident) != r)
            continue;
        double v = last_value(f, ids[i], NULL);
        if (!isfinite(v))
            continue;
        if (isnan(best) || (want_min ? v < best : v > best))
            best = v;
    }
    return best;
}

/* sum over series of (last - first) of a counter; NAN if no series */
static double
counter_increase(const struct ps_facts *f, const char *metric, enum role r)
{
    const uint32_t *ids;
    size_t n = ps_facts_metric_series(f, metric, &ids);
    double sum = NAN;
    char ident[256];
    for (size_t i = 0; i < n; i++) {
        identity(f, ids[i], ident, sizeof(ident));
        if (r != ANY && role_of(ident) != r)
            continue;
        const struct ps_sample *s;
        size_t m = ps_facts_series_samples(f, ids[i], &s);
        double inc = 0;
        for (size_t k = 1; k < m; k++) {
            double dv = s[k].v - s[k - 1].v;
            if (isfinite(dv))
                inc += dv >= 0 ? dv : s[k].v; /* counter reset */
        }
        if (m >= 2)
            sum = (isnan(sum) ? 0 : sum) + inc;
    }
    return sum;
}

/* ---- transforms ---- */

static double
median_spacing(const double *t, size_t n)
{
    if (n < 2)
        return 1;
    double *d = malloc((n - 1) * sizeof(double));
    if (d == NULL)
        return t[n - 1] - t[0];
    for (size_t i = 1; i < n; i++)
        d[i - 1] = t[i] - t[i - 1];
    ps_sort_doubles(d, n - 1);
    double m = d[(n - 1) / 2];
    free(d);
    return m > 0 ? m : 1;
}

/*
 * Counter -> per-window rate: increases (resets count the new value) and
 * elapsed time of consecutive pairs are summed per window; one point per
 * window at its last sample, rate = increase / elapsed.
 */
static enum ps_err
to_rate(const struct ps_fit_data *in, double w, struct ps_fit_data *out)
{
    memset(out, 0, sizeof(*out));
    if (in->n < 2)
        return PS_OK;
    if (ps_fit_data_alloc(out, in->n) != PS_OK)
        return PS_E_NOMEM;
    double inc = 0, el = 0, cur = floor(in->t[1] / w);
    for (size_t i = 1; i <= in->n; i++) {
        double win = i < in->n ? floor(in->t[i] / w) : NAN;
        if (i == in->n || win != cur) {
            if (el > 0) {
                out->t[out->n] = in->t[i - 1];
                out->v[out->n] = inc / el;
                out->n++;
            }
            if (i == in->n)
                break;
            inc = el = 0;
            cur = win;
        }
        double dv = in->v[i] - in->v[i - 1];
        inc += dv >= 0 ? dv : in->v[i];
        el += in->t[i] - in->t[i - 1];
    }
    return PS_OK;
}

/* ---- gathering ---- */

struct pick {
    uint32_t id;
    uint32_t *merge;   /* per-block series merged into one (promsight_block_*) */
    size_t nmerge, capmerge;
    const struct rule *rule;
    enum role role;
    char ident[256];
    int64_t last_t;
    size_t n;
};

static int
better(const struct pick *a, const struct pick *b)
{
    return a->last_t != b->last_t ? a->last_t > b->last_t : a->n > b->n;
}

static enum ps_err
add_series(struct ps_plan *p, size_t *cap, const struct ps_facts *f, const struct pick *pk,
           struct ps_diags *d)
{
    (void)d;
    const struct ps_sample *s;
    size_t n = 0;
    uint32_t one = pk->id;
    const uint32_t *ids = pk->nmerge > 0 ? pk->merge : &one;
    size_t nids = pk->nmerge > 0 ? pk->nmerge : 1;
    for (size_t k = 0; k < nids; k++)
        n += ps_facts_series_samples(f, ids[k], &s);
    if (n < 2)
        return PS_OK;
    double *t = malloc(n * sizeof(double)), *v = malloc(n * sizeof(double));
    if (t == NULL || v == NULL) {
        free(t);
        free(v);
        return PS_E_NOMEM;
    }
    n = 0;
    for (size_t k = 0; k < nids; k++) {
        size_t m = ps_facts_series_samples(f, ids[k], &s);
        for (size_t i = 0; i < m; i++) {
            t[n] = (double)s[i].t;
            v[n] = s[i].v;
            n++;
        }
    }
    struct ps_fit_data raw, dd;
    enum ps_err rc = ps_fit_data_init(&raw, t, v, n, 0.001);
    free(t);
    free(v);
    if (rc != PS_OK)
        return rc;
    char tr[120];
    double span = raw.n > 1 ? raw.t[raw.n - 1] - raw.t[0] : 0;
    double step = median_spacing(raw.t, raw.n);
    if (pk->rule->shape == COUNTER) {
        double w = fmin(fmax(4 * step, span / 40), 3600);
        rc = to_rate(&raw, w, &dd);
        snprintf(tr, sizeof(tr), "rate per second over %gs windows", w);
        ps_fit_data_free(&raw);
    } else if (pk->rule->shape == SAWTOOTH) {
        double w = span >= 2 * 86400 ? 7200 : fmax(4 * step, span / 20);
        rc = ps_fit_data_window_max(&raw, w, &dd);
        snprintf(tr, sizeof(tr), "per-window maxima over %gs", w);
        ps_fit_data_free(&raw);
    } else {
        dd = raw;
        snprintf(tr, sizeof(tr), "as sampled");
    }
    if (rc != PS_OK)
        return rc;
    if (ps_grow((void **)&p->series, cap, p->nseries + 1, sizeof(*p->series)) != PS_OK) {
        ps_fit_data_free(&dd);
        return PS_E_NOMEM;
    }
    struct ps_plan_series *ps = &p->series[p->nseries];
    memset(ps, 0, sizeof(*ps));
    if (pk->nmerge > 0) { /* name the group, not one block */
        const char *tsdb = ps_facts_series_label(f, pk->id, "tsdb");
        const char *tenant = ps_facts_series_label(f, pk->id, "tenant");
        struct ps_buf nb = {0};
        if (ps_buf_printf(&nb, "%s{tsdb=\"%s\"%s%s%s} (%zu blocks)", pk->rule->metric,
                          tsdb != NULL ? tsdb : "", tenant != NULL ? ",tenant=\"" : "",
                          tenant != NULL ? tenant : "", tenant != NULL ? "\"" : "",
                          pk->nmerge) == PS_OK &&
            ps_buf_append(&nb, "", 1) == PS_OK)
            ps->name = (char *)nb.p;
        else
            ps_buf_free(&nb);
    } else {
        ps->name = series_name(f, pk->id);
    }
    ps->transform = strdup(tr);
    ps->sel = malloc(sizeof(*ps->sel));
    ps->data = dd;
    int feeds = pk->rule->qty >= 0 && (pk->rule->role == ANY || pk->rule->role == pk->role);
    ps->qty = feeds ? (enum ps_plan_qty)pk->rule->qty : PS_Q__COUNT;
    p->nseries++;
    if (ps->name == NULL || ps->transform == NULL || ps->sel == NULL)
        return PS_E_NOMEM;
    double hmax = 0;
    for (size_t h = 0; h < p->in.nhorizon; h++)
        hmax = fmax(hmax, p->in.horizon_s[h]);
    return ps_fit_select(&ps->data, -1, hmax, ps->sel);
}

static enum ps_err
gather(struct ps_plan *p, const struct ps_facts *f, struct ps_diags *d)
{
    size_t cap = 0;
    for (size_t r = 0; r < sizeof(rules) / sizeof(rules[0]); r++) {
        const uint32_t *ids;
        size_t n = ps_facts_metric_series(f, rules[r].metric, &ids);
        struct pick *pk = calloc(n + 1, sizeof(*pk));
        if (pk == NULL)
            return PS_E_NOMEM;
        size_t np = 0;
        for (size_t i = 0; i < n; i++) {
            struct pick c;
            memset(&c, 0, sizeof(c));
            c.id = ids[i];
            c.rule = &rules[r];
            identity(f, ids[i], c.ident, sizeof(c.ident));
            c.role = role_of(c.ident);
            const struct ps_sample *s;
            c.n = ps_facts_series_samples(f, ids[i], &s);
            c.last_t = c.n > 0 ? s[c.n - 1].t : INT64_MIN;
            /* dedupe by identity; per-block series are merged instead */
            int merge = strncmp(rules[r].metric, "promsight_block_", 16) == 0;
            size_t j;
            for (j = 0; j < np; j++)
                if (strcmp(pk[j].ident, c.ident) == 0)
                    break;
            if (j == np)
                pk[np++] = c;
            else if (!merge && better(&c, &pk[j]))
                pk[j] = c;
            if (merge) {
                if (ps_grow((void **)&pk[j].merge, &pk[j].capmerge, pk[j].nmerge + 1,
                            sizeof(uint32_t)) != PS_OK) {
                    for (size_t k = 0; k < np; k++)
                        free(pk[k].merge);
                    free(pk);
                    return PS_E_NOMEM;
                }
                pk[j].merge[pk[j].nmerge++] = ids[i];
            }
        }
        enum ps_err rc = PS_OK;
        for (size_t j = 0; j < np && rc == PS_OK; j++)
            rc = add_series(p, &cap, f, &pk[j], d);
        for (size_t j = 0; j < np; j++)
            free(pk[j].merge);
        free(pk);
        if (rc != PS_OK)
            return rc;
    }
    return PS_OK;
}

/* ---- quantities ---- */

static void
aggregate(struct ps_plan *p, double t_now)
{
    struct ps_plan_inputs *in = &p->in;
    for (int q = 0; q < PS_Q__COUNT; q++) {
        struct ps_plan_qval *qv = &in->q[q];
        size_t cnt = 0, nfc = 0;
        const struct ps_plan_series *one = NULL;
        int agg_sum = 0;
        for (size_t r = 0; r < sizeof(rules) / sizeof(rules[0]); r++)
            if (rules[r].qty == q)
                agg_sum = rules[r].agg == SUM;
        for (size_t i = 0; i < p->nseries; i++) {
            const struct ps_plan_series *s = &p->series[i];
            if ((int)s->qty != q || s->data.n == 0)
                continue;
            double now = s->data.v[s->data.n - 1];
            int fc = s->sel->chosen_ok;
            double mean[PS_PLAN_MAX_H], hi[PS_PLAN_MAX_H];
            for (size_t h = 0; h < in->nhorizon && fc; h++) {
                double lo;
                const struct ps_fit *ft = &s->sel->fits[s->sel->chosen];
                ps_fit_predict(ft, t_now + in->horizon_s[h], in->level, &mean[h], &lo, &hi[h]);
                if (!isfinite(hi[h]))
                    hi[h] = mean[h];
                if (!isfinite(mean[h]))
                    fc = 0;
                /* counts, rates and bytes are never negative */
                mean[h] = fmax(mean[h], 0);
                hi[h] = fmax(hi[h], 0);
            }
            if (cnt == 0) {
                qv->now = now;
                qv->forecast = fc;
                for (size_t h = 0; h < in->nhorizon && fc; h++) {
                    qv->mean[h] = mean[h];
                    qv->hi[h] = hi[h];
                }
            } else {
                qv->now = agg_sum ? qv->now + now : fmax(qv->now, now);
                qv->forecast = qv->forecast && fc;
                for (size_t h = 0; h < in->nhorizon && qv->forecast; h++) {
                    qv->mean[h] = agg_sum ? qv->mean[h] + mean[h] : fmax(qv->mean[h], mean[h]);
                    qv->hi[h] = agg_sum ? qv->hi[h] + hi[h] : fmax(qv->hi[h], hi[h]);
                }
            }
            nfc += fc;
            one = s;
            cnt++;
        }
        if (cnt == 0)
            continue;
        qv->known = 1;
        if (cnt == 1)
            snprintf(qv->from, sizeof(qv->from), "%s, %s, model %s", one->name, one->transform,
                     one->sel->chosen_ok ? ps_fit_model_name(one->sel->chosen) : "none");
        else
            snprintf(qv->from, sizeof(qv->from), "%s of %zu series (%zu forecast); upper bounds "
                     "%s, which is conservative", agg_sum ? "sum" : "largest", cnt, nfc,
                     agg_sum ? "added" : "maximised");
    }
}

static void
read_config(struct ps_plan *p, const struct ps_facts *f)
{
    struct ps_plan_inputs *in = &p->in;
    in->replication_factor = config_value(f, "promsight_config_replication_factor", NULL, NULL,
                                          ANY, 0);
    in->retention_s = config_value(f, "promsight_config_retention_seconds", "kind", "thanos",
                                   ANY, 0);
    if (isnan(in->retention_s))
        in->retention_s = config_value(f, "promsight_config_retention_seconds", "kind", "tsdb",
                                       RECV, 0);
    const uint32_t *ids;
    size_t n = ps_facts_metric_series(f, "promsight_config_hashrings_algorithm", &ids);
    for (size_t i = 0; i < n; i++) {
        const char *a = ps_facts_series_label(f, ids[i], "algorithm");
        if (a != NULL)
            snprintf(in->hashring_algorithm, sizeof(in->hashring_algorithm), "%s", a);
    }
    in->head_series_limit = config_value(f, "promsight_config_receive_limit", "limit",
                                         "head_series_limit", ANY, 1);
    static const struct {
        const char *param, *metric;
        size_t off;
    } q[] = {
        {"max_shards", "prometheus_remote_storage_shards_max",
         offsetof(struct ps_plan_inputs, rw_max_shards)},
        {"capacity", "prometheus_remote_storage_shard_capacity",
         offsetof(struct ps_plan_inputs, rw_capacity)},
        {"max_samples_per_send", "prometheus_remote_storage_max_samples_per_send",
         offsetof(struct ps_plan_inputs, rw_max_samples_per_send)},
    };
    for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
        double v = config_value(f, "promsight_config_remote_write_queue", "param", q[i].param,
                                ANY, 0);
        if (isnan(v)) /* the agent's own gauges */
            v = config_value(f, q[i].metric, NULL, NULL, AGENT, 0);
        *(double *)((char *)in + q[i].off) = v;
    }
    double bs = counter_increase(f, "prometheus_remote_storage_sent_batch_duration_seconds_sum", AGENT);
    double bc = counter_increase(f, "prometheus_remote_storage_sent_batch_duration_seconds_count", AGENT);
    if (isfinite(bs) && isfinite(bc) && bc > 0)
        in->rw_send_latency_s = bs / bc;
    in->receiver_mem_limit = NAN;
    n = ps_facts_metric_series(f, "promsight_k8s_container_resource", &ids);
    char ident[256];
    for (size_t i = 0; i < n; i++) {
        const char *res = ps_facts_series_label(f, ids[i], "resource");
        const char *kind = ps_facts_series_label(f, ids[i], "kind");
        identity(f, ids[i], ident, sizeof(ident));
        if (res == NULL || kind == NULL || strcmp(res, "memory") != 0 ||
            strcmp(kind, "limit") != 0 || role_of(ident) != RECV)
            continue;
        double v = last_value(f, ids[i], NULL);
        if (isnan(in->receiver_mem_limit) || v < in->receiver_mem_limit)
            in->receiver_mem_limit = v;
    }
    in->receiver_volume_bytes = config_value(f, "kubelet_volume_stats_capacity_bytes", NULL, NULL,
                                             RECV, 0);
    in->agent_rss_bytes = config_value(f, "process_resident_memory_bytes", NULL, NULL, AGENT, 0);
    in->agent_volume_bytes = config_value(f, "kubelet_volume_stats_capacity_bytes", NULL, NULL,
                                          AGENT, 0);
    /* measured bytes per sample: block stats, else the compaction histograms */
    double bb = 0, bsm = 0;
    n = ps_facts_metric_series(f, "promsight_block_bytes", &ids);
    for (size_t i = 0; i < n; i++) {
        const struct ps_sample *s;
        size_t m = ps_facts_series_samples(f, ids[i], &s);
        for (size_t k = 0; k < m; k++)
            bb += isfinite(s[k].v) ? s[k].v : 0;
    }
    n = ps_facts_metric_series(f, "promsight_block_samples", &ids);
    for (size_t i = 0; i < n; i++) {
        const struct ps_sample *s;
        size_t m = ps_facts_series_samples(f, ids[i], &s);
        for (size_t k = 0; k < m; k++)
            bsm += isfinite(s[k].v) ? s[k].v : 0;
    }
    if (bb > 0 && bsm > 0)
        in->bytes_per_sample_blocks = bb / bsm;
    else {
        double cb = config_value(f, "prometheus_tsdb_compaction_chunk_size_bytes_sum", NULL,
                                 NULL, RECV, 0);
        double cs = config_value(f, "prometheus_tsdb_compaction_chunk_samples_sum", NULL, NULL,
                                 RECV, 0);
        if (isfinite(cb) && isfinite(cs) && cb > 0 && cs > 0)
            in->bytes_per_sample_blocks = cb / cs;
    }
    in->wal_bytes_per_sample = config_value(f, "promsight_wal_bytes_per_sample", NULL, NULL,
                                            RECV, 0);
    in->agent_wal_bytes_per_sample = config_value(f, "promsight_wal_bytes_per_sample", NULL,
                                                  NULL, AGENT, 0);
    /* replica counts: distinct identities among the capacity series */
    size_t nr = 0, na = 0;
    for (size_t i = 0; i < p->nseries; i++) {
        if (p->series[i].qty == PS_Q_RECV_SERIES)
            nr++;
        if (p->series[i].qty == PS_Q_AGENT_SERIES)
            na++;
    }
    if (nr > 0)
        in->receivers = (double)nr;
    if (na > 0)
        in->agents = (double)na;
}

/*
 * Quantities no fitted series gave a value for, from single values the
 * WAL stage publishes (no forecast), aggregated as the quantity is.
 */
static void
wal_fallbacks(struct ps_plan *p, const struct ps_facts *f)
{
    static const struct {
        int qty;
        const char *metric;
        enum role role;
        enum agg agg;
    } fb[] = {
        {PS_Q_RECV_SERIES, "promsight_wal_head_series", RECV, SUM},
        {PS_Q_RECV_SPS, "promsight_wal_samples_per_second", RECV, SUM},
        {PS_Q_RECV_WAL_BYTES, "promsight_wal_bytes", RECV, MAX},
        {PS_Q_AGENT_SERIES, "promsight_wal_head_series", AGENT, MAX},
        {PS_Q_AGENT_SPS, "promsight_wal_samples_per_second", AGENT, MAX},
    };
    char ident[256];
    for (size_t k = 0; k < sizeof(fb) / sizeof(fb[0]); k++) {
        struct ps_plan_qval *qv = &p->in.q[fb[k].qty];
        if (qv->known)
            continue;
        const uint32_t *ids;
        size_t n = ps_facts_metric_series(f, fb[k].metric, &ids), cnt = 0;
        double acc = 0;
        for (size_t i = 0; i < n; i++) {
            identity(f, ids[i], ident, sizeof(ident));
            double v = last_value(f, ids[i], NULL);
            if (role_of(ident) != fb[k].role || !isfinite(v))
                continue;
            acc = fb[k].agg == SUM ? acc + v : fmax(acc, v);
            cnt++;
        }
        if (cnt == 0)
            continue;
        qv->known = 1;
        qv->now = acc;
        snprintf(qv->from, sizeof(qv->from), "%s %s of %zu %s WAL%s (one value from the "
                 "WAL reader, no forecast)", fb[k].agg == SUM ? "sum of" : "largest",
                 fb[k].metric, cnt,
                 fb[k].role == RECV ? "receiver" : "agent", cnt == 1 ? "" : "s");
    }
}

static void
set_etas(struct ps_plan *p)
{
    const struct ps_plan_inputs *in = &p->in;
    double t_max_add = 5 * 365 * 86400.0;
    for (size_t i = 0; i < p->nseries; i++) {
        struct ps_plan_series *s = &p->series[i];
        if (!s->sel->chosen_ok)
            continue;
        const struct ps_fit *ft = &s->sel->fits[s->sel->chosen];
        double limit = NAN;
        if (s->qty == PS_Q_RECV_SERIES && isfinite(in->head_series_limit)) {
            double nrec = isfinite(in->receivers) ? in->receivers : 1;
            limit = in->head_series_limit / nrec;
            snprintf(s->eta.what, sizeof(s->eta.what),
                     "tenant head_series_limit %.0f / %g receivers", in->head_series_limit, nrec);
        } else if (s->qty == PS_Q_RECV_DISK_BYTES && isfinite(in->receiver_volume_bytes)) {
            limit = in->receiver_volume_bytes;
            snprintf(s->eta.what, sizeof(s->eta.what), "volume capacity %.4g GiB",
                     limit / 1073741824.0);
        } else if (s->qty == PS_Q_RW_SPS) {
            double ms = isfinite(in->rw_max_shards) ? in->rw_max_shards : 50;
            double mspd = isfinite(in->rw_max_samples_per_send) ? in->rw_max_samples_per_send : 2000;
            double lat = isfinite(in->rw_send_latency_s) ? in->rw_send_latency_s : 0.1;
            limit = ms * mspd / lat;
            snprintf(s->eta.what, sizeof(s->eta.what),
                     "max-shards throughput %g x %g / %.3gs (samples/s)", ms, mspd, lat);
        }
        if (!isfinite(limit))
            continue;
        s->eta.set = 1;
        s->eta.limit = limit;
        ps_fit_eta(ft, limit, in->level, ft->t_ref + t_max_add, &s->eta.eta);
    }
}

enum ps_err
ps_plan_from_facts(const struct ps_facts *f, const struct ps_plan_opts *o,
                   const struct ps_sizing *sz, const struct ps_pricing *pr,
                   struct ps_plan *p, struct ps_diags *d)
{
    memset(p, 0, sizeof(*p));
    ps_plan_inputs_init(&p->in);
    if (o != NULL && o->nhorizon > 0 && o->nhorizon <= PS_PLAN_MAX_H) {
        p->in.nhorizon = o->nhorizon;
        memcpy(p->in.horizon_s, o->horizon_s, o->nhorizon * sizeof(double));
    }
    if (o != NULL && o->level > 0 && o->level < 1)
        p->in.level = o->level;
    if (o != NULL && o->outage_s > 0)
        p->in.outage_s = o->outage_s;
    /* size for the horizon closest to 90 days */
    p->in.size_h = 0;
    for (size_t h = 1; h < p->in.nhorizon; h++)
        if (fabs(p->in.horizon_s[h] - 90 * 86400.0) <
            fabs(p->in.horizon_s[p->in.size_h] - 90 * 86400.0))
            p->in.size_h = h;
    enum ps_err rc = gather(p, f, d);
    if (rc != PS_OK)
        return rc;
    /* "now" of the plan: the latest point of any capacity series */
    double t_now = -INFINITY;
    for (size_t i = 0; i < p->nseries; i++)
        if (p->series[i].data.n > 0)
            t_now = fmax(t_now, p->series[i].data.t[p->series[i].data.n - 1]);
    aggregate(p, t_now);
    wal_fallbacks(p, f);
    read_config(p, f);
    set_etas(p);
    return ps_plan_recommend(&p->in, sz, pr, &p->result);
}

void
ps_plan_free(struct ps_plan *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->nseries; i++) {
        free(p->series[i].name);
        free(p->series[i].transform);
        free(p->series[i].sel);
        ps_fit_data_free(&p->series[i].data);
    }
    free(p->series);
    p->series = NULL;
    p->nseries = 0;
    ps_plan_result_free(&p->result);
}
