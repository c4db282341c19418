/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * prom.c - Prometheus server and agent configuration files (prometheus.yml):
 * global scrape/evaluation intervals and external labels, each scrape job's
 * interval, and every remote_write with its queue_config, the gaps filled
 * with the defaults of the Prometheus release chosen (2.42 by default: the
 * release in the lab corpus; its defaults were read from a running
 * Debian prometheus 2.42.0's /api/v1/status/config).
 *
 * An unset scrape_timeout (global or per job) is the global one capped at
 * the scrape interval, as Prometheus does. The oracle test compares all
 * of this with Prometheus 2.42's own /api/v1/status/config.
 *
 * Problems that are problems by themselves become events:
 *   config.queue               max_samples_per_send > capacity, capacity
 *                              under 3x max_samples_per_send (the remote
 *                              write tuning guide's advice), min_shards >
 *                              max_shards
 *   remote_write.misconfigured a URL without scheme/host, or a path that is
 *                              does not end in /api/v1/receive (Thanos
 *                              Receive), /api/v1/write (Prometheus receiver)
 *                              or a known vendor push path; a host named like
 *                              Thanos with the Prometheus path (a note:
 *                              the lab's stand-in receiver really is
 *                              Prometheus)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/cfg_int.h"

#define PHASE "config: prometheus.yml"

#define DEF_SCRAPE_INTERVAL_MS 60000
#define DEF_SCRAPE_TIMEOUT_MS 10000
#define DEF_EVAL_INTERVAL_MS 60000
#define DEF_REMOTE_TIMEOUT_MS 30000
#define CAPACITY_PER_SEND_MIN 3   /* docs/practices/remote_write.md: 3-10x */

void
ps_config_queue_defaults(struct ps_rw_queue *q, enum ps_rw_defaults which)
{
    memset(q, 0, sizeof(*q));
    if (which == PS_RW_DEFAULTS_LATEST) {
        q->capacity = 10000;
        q->max_shards = 50;
        q->max_samples_per_send = 2000;
    } else {
        q->capacity = 2500;
        q->max_shards = 200;
        q->max_samples_per_send = 500;
    }
    q->min_shards = 1;
    q->batch_send_deadline_ms = 5000;
    q->min_backoff_ms = 30;
    q->max_backoff_ms = 5000;
    q->retry_on_http_429 = 0;
}

static void
bad(struct ps_diags *d, const char *path, const struct cn *n, const char *what,
    const char *key)
{
    ps_diag_add(d, PS_SEV_WARN, PS_E_SYNTAX, path, n != NULL ? n->off : PS_OFF_NONE,
                n != NULL ? n->line : 0, PHASE, "%s: expected %s", key, what);
}

/* Duration at map[key] into *ms if present and valid. */
static void
get_dur(const struct cn *map, const char *key, int64_t *ms, const char *path,
        struct ps_diags *d, int *given)
{
    const struct cn *v = cn_get(map, key);
    if (v == NULL || cn_is_null(v))
        return;
    int64_t t;
    if (v->type == CN_SCALAR && ps_config_parse_duration(v->s, v->len, &t)) {
        *ms = t;
        if (given != NULL)
            *given = 1;
    } else {
        bad(d, path, v, "a duration like 15s or 1h30m", key);
    }
}

static void
get_int(const struct cn *map, const char *key, int64_t *out, const char *path,
        struct ps_diags *d, int *given)
{
    const struct cn *v = cn_get(map, key);
    if (v == NULL || cn_is_null(v))
        return;
    int64_t t;
    if (cn_int(v, &t)) {
        *out = t;
        if (given != NULL)
            *given = 1;
    } else {
        bad(d, path, v, "an integer", key);
    }
}

static void
parse_queue(const struct cn *q, struct ps_rw_queue *o, const char *path,
            struct ps_diags *d)
{
    if (q == NULL || cn_is_null(q))
        return;
    if (q->type != CN_MAP) {
        bad(d, path, q, "a mapping", "queue_config");
        return;
    }
    int g;
#define QI(key, field, bit)                                  \
    g = 0;                                                   \
    get_int(q, key, &o->field, path, d, &g);                 \
    if (g)                                                   \
        o->given |= bit;
#define QD(key, field, bit)                                  \
    g = 0;                                                   \
    get_dur(q, key, &o->field, path, d, &g);                 \
    if (g)                                                   \
        o->given |= bit;
    QI("capacity", capacity, PS_RWQ_CAPACITY)
    QI("max_shards", max_shards, PS_RWQ_MAX_SHARDS)
    QI("min_shards", min_shards, PS_RWQ_MIN_SHARDS)
    QI("max_samples_per_send", max_samples_per_send, PS_RWQ_MAX_SAMPLES_PER_SEND)
    QD("batch_send_deadline", batch_send_deadline_ms, PS_RWQ_BATCH_SEND_DEADLINE)
    QD("min_backoff", min_backoff_ms, PS_RWQ_MIN_BACKOFF)
    QD("max_backoff", max_backoff_ms, PS_RWQ_MAX_BACKOFF)
#undef QI
#undef QD
    const struct cn *r = cn_get(q, "retry_on_http_429");
    if (r != NULL && !cn_is_null(r)) {
        if (cn_bool(r, &o->retry_on_http_429))
            o->given |= PS_RWQ_RETRY_ON_HTTP_429;
        else
            bad(d, path, r, "true or false", "retry_on_http_429");
    }
}

void
ps_prom_config_free(struct ps_prom_config *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->nexternal_labels; i++) {
        free(c->external_labels[i].name);
        free(c->external_labels[i].value);
    }
    free(c->external_labels);
    for (size_t i = 0; i < c->njobs; i++)
        free(c->jobs[i].job);
    free(c->jobs);
    for (size_t i = 0; i < c->nrw; i++) {
        free(c->rw[i].name);
        free(c->rw[i].url);
    }
    free(c->rw);
    memset(c, 0, sizeof(*c));
}

enum ps_err
cfg_prom_from_tree(const struct cn *root, const char *path,
                   enum ps_rw_defaults defaults, struct ps_prom_config *out,
                   struct ps_diags *diags)
{
    memset(out, 0, sizeof(*out));
    out->scrape_interval_ms = DEF_SCRAPE_INTERVAL_MS;
    out->scrape_timeout_ms = DEF_SCRAPE_TIMEOUT_MS;
    out->evaluation_interval_ms = DEF_EVAL_INTERVAL_MS;
    root = cn_deref(root);
    if (root == NULL || root->type != CN_MAP) {
        if (root != NULL && !cn_is_null(root))
            bad(diags, path, root, "a mapping at the top", "prometheus.yml");
        return PS_E_SYNTAX;
    }
    const struct cn *g = cn_get(root, "global");
    if (g != NULL && g->type == CN_MAP) {
        int given = 0;
        get_dur(g, "scrape_interval", &out->scrape_interval_ms, path, diags, NULL);
        get_dur(g, "scrape_timeout", &out->scrape_timeout_ms, path, diags, &given);
        /* as Prometheus: an unset timeout is capped at the interval */
        if (!given && out->scrape_timeout_ms > out->scrape_interval_ms)
            out->scrape_timeout_ms = out->scrape_interval_ms;
        get_dur(g, "evaluation_interval", &out->evaluation_interval_ms, path, diags, NULL);
        const struct cn *el = cn_get(g, "external_labels");
        size_t n = cn_len(el);
        if (n > 0 && el->type == CN_MAP) {
            out->external_labels = calloc(n, sizeof(*out->external_labels));
            if (out->external_labels == NULL)
                return PS_E_NOMEM;
            for (size_t i = 0; i < n; i++) {
                const struct cn *k = cn_key(el, i), *v = cn_val(el, i);
                if (k == NULL || k->type != CN_SCALAR || v == NULL || v->type != CN_SCALAR)
                    continue;
                struct ps_kv *kv = &out->external_labels[out->nexternal_labels];
                kv->name = strdup(k->s);
                kv->value = strdup(v->s);
                if (kv->name == NULL || kv->value == NULL) {
                    free(kv->name);
                    free(kv->value);
                    return PS_E_NOMEM;
                }
                out->nexternal_labels++;
            }
        }
    }
    out->has_rules = cn_get(root, "rule_files") != NULL || cn_get(root, "alerting") != NULL;

    const struct cn *sc = cn_get(root, "scrape_configs");
    size_t n = cn_len(sc);
    if (n > 0 && sc->type == CN_SEQ) {
        out->jobs = calloc(n, sizeof(*out->jobs));
        if (out->jobs == NULL)
            return PS_E_NOMEM;
        for (size_t i = 0; i < n; i++) {
            const struct cn *j = cn_item(sc, i);
            const char *name = cn_str(j, "job_name");
            if (name == NULL) {
                bad(diags, path, j, "a job_name", "scrape_configs item");
                continue;
            }
            struct ps_scrape_job *sj = &out->jobs[out->njobs];
            sj->interval_ms = out->scrape_interval_ms;
            sj->timeout_ms = out->scrape_timeout_ms;
            int given = 0;
            get_dur(j, "scrape_interval", &sj->interval_ms, path, diags, NULL);
            get_dur(j, "scrape_timeout", &sj->timeout_ms, path, diags, &given);
            if (!given && sj->timeout_ms > sj->interval_ms)
                sj->timeout_ms = sj->interval_ms;
            sj->line = j->line;
            if ((sj->job = strdup(name)) == NULL)
                return PS_E_NOMEM;
            out->njobs++;
        }
    }

    const struct cn *rw = cn_get(root, "remote_write");
    n = cn_len(rw);
    if (n > 0 && rw->type == CN_SEQ) {
        out->rw = calloc(n, sizeof(*out->rw));
        if (out->rw == NULL)
            return PS_E_NOMEM;
        for (size_t i = 0; i < n; i++) {
            const struct cn *r = cn_item(rw, i);
            const char *url = cn_str(r, "url");
            if (url == NULL) {
                bad(diags, path, r, "a url", "remote_write item");
                continue;
            }
            struct ps_remote_write *w = &out->rw[out->nrw];
            const char *name = cn_str(r, "name");
            w->url = strdup(url);
            w->name = strdup(name != NULL ? name : "");
            w->line = r->line;
            if (w->url == NULL || w->name == NULL) {
                free(w->url);
                free(w->name);
                return PS_E_NOMEM;
            }
            w->remote_timeout_ms = DEF_REMOTE_TIMEOUT_MS;
            get_dur(r, "remote_timeout", &w->remote_timeout_ms, path, diags, NULL);
            ps_config_queue_defaults(&w->queue, defaults);
            parse_queue(cn_get(r, "queue_config"), &w->queue, path, diags);
            out->nrw++;
        }
    }
    return PS_OK;
}

enum ps_err
ps_config_parse_prom(const uint8_t *buf, size_t n, const char *path,
                     enum ps_rw_defaults defaults, struct ps_prom_config *out,
                     struct ps_redact_stats *stats, struct ps_diags *diags)
{
    struct cfg_doc *d;
    memset(out, 0, sizeof(*out));
    enum ps_err e = cfg_doc_parse(buf, n, path, diags, &d, NULL);
    if (e != PS_OK)
        return e;
    e = cfg_redact_tree(d, stats);
    if (e == PS_OK)
        e = cfg_prom_from_tree(d->ndocs > 0 ? d->docs[0] : NULL, path, defaults, out, diags);
    cfg_doc_free(d);
    if (e == PS_E_NOMEM)
        ps_prom_config_free(out);
    return e;
}

/* ---- publishing ---- */

/* Split url into path (after host); returns 0 if there is no scheme://host. */
static int
url_path(const char *url, const char **host, size_t *hostlen, const char **path)
{
    const char *s = strstr(url, "://");
    if (s == NULL || s == url)
        return 0;
    s += 3;
    const char *at = NULL;
    const char *e = s;
    while (*e != 0 && *e != '/' && *e != '?' && *e != '#') {
        if (*e == '@')
            at = e;
        e++;
    }
    if (at != NULL)
        s = at + 1;
    if (e == s)
        return 0;
    *host = s;
    *hostlen = (size_t)(e - s);
    *path = *e == '/' ? e : "/";
    return 1;
}

/* 1 if the path (query and trailing '/' ignored) ends with suffix at a '/' boundary */
static int
path_ends(const char *p, const char *suffix)
{
    size_t n = strcspn(p, "?#");
    while (n > 1 && p[n - 1] == '/')
        n--;
    size_t sl = strlen(suffix);
    return n >= sl && memcmp(p + n - sl, suffix, sl) == 0;
}

static void
check_url(struct cfg_pub *p, const struct ps_remote_write *w)
{
    /* push paths of other well-known receivers, possibly behind a prefix:
     * Cortex/Mimir (legacy and current), Amazon Managed Prometheus,
     * Grafana Cloud, VictoriaMetrics (.../api/v1/write) */
    static const char *const others[] = {"/api/prom/push", "/api/v1/push",
                                         "/api/v1/remote_write", "/push"};
    const char *host, *path;
    size_t hl;
    struct ps_label l[] = {{"remote_name", w->name}, {"url", w->url}, {"pod", p->pod}};
    if (!url_path(w->url, &host, &hl, &path)) {
        cfg_pub_event(p, "remote_write.misconfigured", PS_SEV_ERROR, w->line, l, 3,
                      "remote_write url %s has no scheme://host", w->url);
        return;
    }
    char hostbuf[256];
    snprintf(hostbuf, sizeof(hostbuf), "%.*s", (int)(hl < 255 ? hl : 255), host);
    for (char *c = hostbuf; *c != 0; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    int thanosish = strstr(hostbuf, "thanos") != NULL || strstr(hostbuf, "receive") != NULL;
    if (path_ends(path, "/api/v1/receive"))
        return;
    if (path_ends(path, "/api/v1/write")) {
        if (thanosish)
            cfg_pub_event(p, "remote_write.misconfigured", PS_SEV_NOTE, w->line, l, 3,
                          "remote_write url %s: host looks like Thanos Receive, which serves "
                          "/api/v1/receive; /api/v1/write is right only if the receiver is "
                          "Prometheus (--web.enable-remote-write-receiver)", w->url);
        return;
    }
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
        if (path_ends(path, others[i]))
            return;
    cfg_pub_event(p, "remote_write.misconfigured", PS_SEV_WARN, w->line, l, 3,
                  "remote_write url %s: path %s is neither /api/v1/receive (Thanos Receive) "
                  "nor /api/v1/write (Prometheus); expect HTTP 404 and dropped samples",
                  w->url, path);
}

static void
check_queue(struct cfg_pub *p, const struct ps_remote_write *w)
{
    const struct ps_rw_queue *q = &w->queue;
    struct ps_label l[] = {{"remote_name", w->name}, {"url", w->url}, {"pod", p->pod}};
    if (q->max_samples_per_send > q->capacity)
        cfg_pub_event(p, "config.queue", PS_SEV_WARN, w->line, l, 3,
                      "remote_write %s: queue_config max_samples_per_send %lld > capacity %lld: "
                      "batches can never fill and every send waits for batch_send_deadline",
                      w->name[0] ? w->name : w->url, (long long)q->max_samples_per_send,
                      (long long)q->capacity);
    else if (q->capacity < CAPACITY_PER_SEND_MIN * q->max_samples_per_send)
        cfg_pub_event(p, "config.queue", PS_SEV_NOTE, w->line, l, 3,
                      "remote_write %s: capacity %lld is under 3x max_samples_per_send %lld "
                      "(the remote write tuning guide advises 3-10x)",
                      w->name[0] ? w->name : w->url, (long long)q->capacity,
                      (long long)q->max_samples_per_send);
    if (q->min_shards > q->max_shards)
        cfg_pub_event(p, "config.queue", PS_SEV_WARN, w->line, l, 3,
                      "remote_write %s: min_shards %lld > max_shards %lld",
                      w->name[0] ? w->name : w->url, (long long)q->min_shards,
                      (long long)q->max_shards);
    if (q->capacity <= 0 || q->max_shards <= 0 || q->max_samples_per_send <= 0)
        cfg_pub_event(p, "config.queue", PS_SEV_ERROR, w->line, l, 3,
                      "remote_write %s: capacity, max_shards and max_samples_per_send must be > 0",
                      w->name[0] ? w->name : w->url);
}

static void publish(struct cfg_pub *p, const struct ps_prom_config *c);

void
cfg_pub_prom(struct cfg_pub *p, const struct cn *root)
{
    struct ps_prom_config c;
    enum ps_err e = cfg_prom_from_tree(root, p->path, PS_RW_DEFAULTS_2_42, &c, p->diags);
    if (e != PS_OK) {
        if (e == PS_E_NOMEM)
            p->err = e;
        ps_prom_config_free(&c);
        return;
    }
    publish(p, &c);
    ps_prom_config_free(&c);
}

/*
 * A prometheus-operator Prometheus or PrometheusAgent resource
 * (monitoring.coreos.com): spec.scrapeInterval (operator default 30s),
 * spec.evaluationInterval, spec.externalLabels and spec.remoteWrite[] with
 * camelCase queueConfig (capacity, maxShards, minShards, maxSamplesPerSend,
 * batchSendDeadline, minBackoff, maxBackoff, retryOnRateLimit). The
 * operator passes unset queue fields through, so Prometheus' defaults
 * apply as for a file.
 */
void
cfg_pub_prom_operator(struct cfg_pub *p, const struct cn *spec)
{
    struct ps_prom_config c;
    memset(&c, 0, sizeof(c));
    c.scrape_interval_ms = 30000;
    c.scrape_timeout_ms = DEF_SCRAPE_TIMEOUT_MS;
    c.evaluation_interval_ms = 30000;
    get_dur(spec, "scrapeInterval", &c.scrape_interval_ms, p->path, p->diags, NULL);
    get_dur(spec, "scrapeTimeout", &c.scrape_timeout_ms, p->path, p->diags, NULL);
    get_dur(spec, "evaluationInterval", &c.evaluation_interval_ms, p->path, p->diags, NULL);
    const struct cn *el = cn_get(spec, "externalLabels");
    size_t n = cn_len(el);
    if (n > 0 && el->type == CN_MAP &&
        (c.external_labels = calloc(n, sizeof(*c.external_labels))) == NULL)
        goto oom;
    for (size_t i = 0; i < n && c.external_labels != NULL; i++) {
        const struct cn *k = cn_key(el, i), *v = cn_val(el, i);
        if (k == NULL || k->type != CN_SCALAR || v == NULL || v->type != CN_SCALAR)
            continue;
        struct ps_kv *kv = &c.external_labels[c.nexternal_labels++];
        kv->name = strdup(k->s);
        kv->value = strdup(v->s);
        if (kv->name == NULL || kv->value == NULL)
            goto oom;
    }
    const struct cn *rw = cn_get(spec, "remoteWrite");
    n = cn_len(rw);
    if (n > 0 && rw->type == CN_SEQ && (c.rw = calloc(n, sizeof(*c.rw))) == NULL)
        goto oom;
    for (size_t i = 0; i < n && c.rw != NULL; i++) {
        const struct cn *r = cn_item(rw, i);
        const char *url = cn_str(r, "url"), *name = cn_str(r, "name");
        if (url == NULL) {
            bad(p->diags, p->path, r, "a url", "spec.remoteWrite item");
            continue;
        }
        struct ps_remote_write *w = &c.rw[c.nrw++];
        w->url = strdup(url);
        w->name = strdup(name != NULL ? name : "");
        w->line = r->line;
        if (w->url == NULL || w->name == NULL)
            goto oom;
        w->remote_timeout_ms = DEF_REMOTE_TIMEOUT_MS;
        get_dur(r, "remoteTimeout", &w->remote_timeout_ms, p->path, p->diags, NULL);
        ps_config_queue_defaults(&w->queue, PS_RW_DEFAULTS_2_42);
        const struct cn *q = cn_get(r, "queueConfig");
        struct ps_rw_queue *o = &w->queue;
        int g;
#define QI(key, field, bit) \
    g = 0; get_int(q, key, &o->field, p->path, p->diags, &g); if (g) o->given |= bit;
#define QD(key, field, bit) \
    g = 0; get_dur(q, key, &o->field, p->path, p->diags, &g); if (g) o->given |= bit;
        QI("capacity", capacity, PS_RWQ_CAPACITY)
        QI("maxShards", max_shards, PS_RWQ_MAX_SHARDS)
        QI("minShards", min_shards, PS_RWQ_MIN_SHARDS)
        QI("maxSamplesPerSend", max_samples_per_send, PS_RWQ_MAX_SAMPLES_PER_SEND)
        QD("batchSendDeadline", batch_send_deadline_ms, PS_RWQ_BATCH_SEND_DEADLINE)
        QD("minBackoff", min_backoff_ms, PS_RWQ_MIN_BACKOFF)
        QD("maxBackoff", max_backoff_ms, PS_RWQ_MAX_BACKOFF)
#undef QI
#undef QD
        if (cn_bool(cn_get(q, "retryOnRateLimit"), &o->retry_on_http_429))
            o->given |= PS_RWQ_RETRY_ON_HTTP_429;
    }
    publish(p, &c);
    ps_prom_config_free(&c);
    return;
oom:
    p->err = PS_E_NOMEM;
    ps_prom_config_free(&c);
}

static void
publish(struct cfg_pub *p, const struct ps_prom_config *cfg)
{
    const struct ps_prom_config c = *cfg;
    struct ps_label pl[] = {{"pod", p->pod}};
    cfg_pub_sample(p, "promsight_config_global_scrape_interval_seconds",
                   (double)c.scrape_interval_ms / 1000.0, pl, 1);
    cfg_pub_sample(p, "promsight_config_evaluation_interval_seconds",
                   (double)c.evaluation_interval_ms / 1000.0, pl, 1);
    cfg_pub_sample(p, "promsight_config_remote_writes", (double)c.nrw, pl, 1);
    for (size_t i = 0; i < c.nexternal_labels; i++) {
        struct ps_label l[] = {{"pod", p->pod}, {"name", c.external_labels[i].name},
                               {"value", c.external_labels[i].value}};
        cfg_pub_sample(p, "promsight_config_external_label", 1, l, 3);
    }
    for (size_t i = 0; i < c.njobs; i++) {
        struct ps_label l[] = {{"pod", p->pod}, {"job", c.jobs[i].job}};
        cfg_pub_sample(p, "promsight_config_scrape_interval_seconds",
                       (double)c.jobs[i].interval_ms / 1000.0, l, 2);
        cfg_pub_sample(p, "promsight_config_scrape_timeout_seconds",
                       (double)c.jobs[i].timeout_ms / 1000.0, l, 2);
    }
    for (size_t i = 0; i < c.nrw; i++) {
        const struct ps_remote_write *w = &c.rw[i];
        const struct ps_rw_queue *q = &w->queue;
        const struct {
            const char *param;
            double v;
        } params[] = {
            {"capacity", (double)q->capacity},
            {"max_shards", (double)q->max_shards},
            {"min_shards", (double)q->min_shards},
            {"max_samples_per_send", (double)q->max_samples_per_send},
            {"batch_send_deadline_seconds", (double)q->batch_send_deadline_ms / 1000.0},
            {"min_backoff_seconds", (double)q->min_backoff_ms / 1000.0},
            {"max_backoff_seconds", (double)q->max_backoff_ms / 1000.0},
            {"retry_on_http_429", (double)q->retry_on_http_429},
            {"remote_timeout_seconds", (double)w->remote_timeout_ms / 1000.0},
        };
        for (size_t k = 0; k < sizeof(params) / sizeof(params[0]); k++) {
            struct ps_label l[] = {{"remote_name", w->name}, {"url", w->url},
                                   {"pod", p->pod}, {"param", params[k].param}};
            cfg_pub_sample(p, "promsight_config_remote_write_queue", params[k].v, l, 4);
        }
        check_url(p, w);
        check_queue(p, w);
    }
}
