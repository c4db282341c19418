/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * metrics.c - the metrics loader's state: its lifecycle and limits, the
 * per-file records `promsight metrics` prints, metric family metadata
 * from # TYPE/# HELP/# UNIT, label redaction with a memo (label values
 * repeat in every dump of a target), timeless API samples held until
 * ps_metrics_finish(), and the bundle visitor that sends each entry to
 * the exposition or API JSON loader.
 */
#include "metrics/metrics_int.h"

#include <stdlib.h>
#include <string.h>

#define PS_MARENA_CHUNK 65536
#define PS_REDACT_MEMO_MAX (1u << 20)   /* distinct values remembered */

void
ps_metrics_limits_default(struct ps_metrics_limits *lim)
{
    lim->max_line = (size_t)1 << 20;
    lim->max_labels = 512;
    lim->max_samples = 50000000;
    lim->max_json = (size_t)64 << 20;
    lim->max_json_depth = 64;
}

const char *
ps_metrics_format_name(enum ps_metrics_format f)
{
    switch (f) {
    case PS_MF_TEXT:
        return "text-0.0.4";
    case PS_MF_OPENMETRICS:
        return "openmetrics-1.0.0";
    case PS_MF_API_JSON:
        return "api-json";
    case PS_MF_UNKNOWN:
        break;
    }
    return "unknown";
}

const char *
ps_metrics_time_src_name(enum ps_metrics_time_src s)
{
    switch (s) {
    case PS_MTS_SAMPLE:
        return "sample";
    case PS_MTS_FILENAME:
        return "filename";
    case PS_MTS_CONTENT:
        return "content";
    case PS_MTS_CAPTURE_END:
        return "capture-end";
    case PS_MTS_MTIME:
        return "mtime";
    case PS_MTS_NONE:
        break;
    }
    return "none";
}

struct ps_metrics *
ps_metrics_new(struct ps_facts *facts, struct ps_diags *diags,
               const struct ps_metrics_limits *lim)
{
    struct ps_metrics *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return NULL;
    m->facts = facts;
    m->diags = diags;
    if (lim != NULL)
        m->lim = *lim;
    else
        ps_metrics_limits_default(&m->lim);
    if (m->lim.max_line < 64)
        m->lim.max_line = 64;
    if (m->lim.max_labels == 0)
        m->lim.max_labels = 1;
    return m;
}

void
ps_metrics_free(struct ps_metrics *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->arena.n; i++)
        free(m->arena.chunks[i]);
    free(m->arena.chunks);
    free(m->files);
    ps_intern_free(&m->fam_names);
    free(m->fams);
    for (size_t i = 0; i < m->redact_in.n && i < m->redact_cap; i++)
        free(m->redact_val[i]);
    ps_intern_free(&m->redact_in);
    free(m->redact_state);
    free(m->redact_val);
    free(m->redact_st);
    ps_intern_free(&m->key_names);
    free(m->key_secret);
    free(m->pend);
    free(m->stamp);
    ps_map64_free(&m->cache);
    free(m->cache_ent);
    ps_buf_free(&m->cache_keys);
    ps_intern_free(&m->targets);
    free(m->target_files);
    ps_map64_free(&m->target_times);
    free(m);
}

void
ps_metrics_set_config_hook(struct ps_metrics *m, ps_metrics_config_fn fn, void *ctx)
{
    m->config_fn = fn;
    m->config_ctx = ctx;
}

const char *
ps_metrics_str(struct ps_metrics *m, const char *s, size_t n)
{
    struct ps_marena *a = &m->arena;
    if (n >= SIZE_MAX - PS_MARENA_CHUNK)
        return NULL;
    if (a->n == 0 || a->size - a->used < n + 1) {
        size_t sz = n + 1 > PS_MARENA_CHUNK ? n + 1 : PS_MARENA_CHUNK;
        if (ps_grow((void **)&a->chunks, &a->cap, a->n + 1, sizeof(char *)) != PS_OK)
            return NULL;
        char *c = malloc(sz);
        if (c == NULL)
            return NULL;
        a->chunks[a->n++] = c;
        a->used = 0;
        a->size = sz;
    }
    char *d = a->chunks[a->n - 1] + a->used;
    memcpy(d, s, n);
    d[n] = 0;
    a->used += n + 1;
    return d;
}

long
ps_metrics_file_add(struct ps_metrics *m, const char *path, enum ps_metrics_format fmt)
{
    const char *p = ps_metrics_str(m, path, strlen(path));
    if (p == NULL ||
        ps_grow((void **)&m->files, &m->capfiles, m->nfiles + 1, sizeof(*m->files)) != PS_OK)
        return -1;
    struct ps_metrics_file *f = &m->files[m->nfiles];
    memset(f, 0, sizeof(*f));
    f->path = p;
    f->format = fmt;
    f->time_ms = INT64_MIN;
    return (long)m->nfiles++;
}

size_t
ps_metrics_nfiles(const struct ps_metrics *m)
{
    return m->nfiles;
}

const struct ps_metrics_file *
ps_metrics_file(const struct ps_metrics *m, size_t i)
{
    return i < m->nfiles ? &m->files[i] : NULL;
}

enum ps_err
ps_metrics_family_note(struct ps_metrics *m, const char *name, const char *type,
                       const char *help, const char *unit, int *is_new)
{
    uint32_t id;
    size_t before = m->fam_names.n;
    enum ps_err e = ps_intern_get(&m->fam_names, name, strlen(name), &id);
    if (e != PS_OK)
        return e;
    *is_new = m->fam_names.n != before;
    if (*is_new) {
        e = ps_grow((void **)&m->fams, &m->capfams, (size_t)id + 1, sizeof(*m->fams));
        if (e != PS_OK)
            return e;
        memset(&m->fams[id], 0, sizeof(m->fams[id]));
        m->fams[id].name = ps_metrics_str(m, name, strlen(name));
        if (m->fams[id].name == NULL)
            return PS_E_NOMEM;
    }
    struct ps_metrics_family *f = &m->fams[id];
    if (type != NULL && f->type == NULL)
        f->type = type;       /* one of expo_parse.c's static type names */
    if (help != NULL && f->help == NULL &&
        (f->help = ps_metrics_str(m, help, strlen(help))) == NULL)
        return PS_E_NOMEM;
    if (unit != NULL && f->unit == NULL &&
        (f->unit = ps_metrics_str(m, unit, strlen(unit))) == NULL)
        return PS_E_NOMEM;
    return PS_OK;
}

static const struct ps_metrics_family *
family_exact(const struct ps_metrics *m, const char *s, size_t n)
{
    uint32_t id;
    if (m->fam_names.n == 0 || !ps_intern_find(&m->fam_names, s, n, &id))
        return NULL;
    return &m->fams[id];
}

const struct ps_metrics_family *
ps_metrics_family_of(const struct ps_metrics *m, const char *metric)
{
    static const char *const suffixes[] = {
        "_bucket", "_sum", "_count", "_total", "_created", "_info",
        "_gcount", "_gsum",
    };
    size_t n = strlen(metric);
    const struct ps_metrics_family *f = family_exact(m, metric, n);
    if (f != NULL)
        return f;
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        size_t k = strlen(suffixes[i]);
        if (n > k && memcmp(metric + n - k, suffixes[i], k) == 0 &&
            (f = family_exact(m, metric, n - k)) != NULL)
            return f;
    }
    return NULL;
}

/* ---- redaction ---- */

static int
may_hold_secret(const char *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = v[i];
        if (c == '@' || c == '=' || c == ':' || c == '?' || c == '&' || c == ' ')
            return 1;
    }
    return 0;
}

static int
name_is_secret(struct ps_metrics *m, const char *name, int *secret)
{
    size_t nl = strlen(name);
    unsigned slot = nl == 0 ? 0
                            : ((unsigned)nl * 31u + (unsigned char)name[0] * 7u +
                               (unsigned char)name[nl - 1]) & 63u;
    if (nl < sizeof(m->keycache[0].name) && m->keycache[slot].secret != 0 &&
        memcmp(m->keycache[slot].name, name, nl + 1) == 0) {
        *secret = m->keycache[slot].secret == 2;
        return 0;
    }
    uint32_t id;
    size_t before = m->key_names.n;
    if (ps_intern_get(&m->key_names, name, nl, &id) != PS_OK)
        return -1;
    if (m->key_names.n != before) {
        if (ps_grow((void **)&m->key_secret, &m->key_cap, (size_t)id + 1, 1) != PS_OK)
            return -1;
        m->key_secret[id] = ps_redact_is_secret_key(name, nl) ? 2 : 1;
    }
    uint8_t v = id < m->key_cap ? m->key_secret[id] : 1;
    *secret = v == 2;
    if (nl < sizeof(m->keycache[0].name)) {
        memcpy(m->keycache[slot].name, name, nl + 1);
        m->keycache[slot].secret = v;
    }
    return 0;
}

int
ps_metrics_stamp(struct ps_metrics *m, uint32_t id, size_t fi)
{
    if ((size_t)id >= m->stamp_cap) {
        size_t old = m->stamp_cap;
        if (ps_grow((void **)&m->stamp, &m->stamp_cap, (size_t)id + 1,
                    sizeof(*m->stamp)) != PS_OK)
            return -1;
        memset(m->stamp + old, 0, (m->stamp_cap - old) * sizeof(*m->stamp));
    }
    uint32_t want = (uint32_t)fi + 1;
    if (m->stamp[id] == want)
        return 0;
    m->stamp[id] = want;
    return 1;
}

static void
stats_add(struct ps_redact_stats *to, const struct ps_redact_stats *st)
{
    to->bearer += st->bearer;
    to->url_auth += st->url_auth;
    to->key_value += st->key_value;
}

char *
ps_metrics_redact_text(const char *s, size_t n, struct ps_redact_stats *to)
{
    if (n > (SIZE_MAX - 64) / 2)
        return NULL;
    size_t cap = 2 * n + 64;
    char *out = malloc(cap);
    if (out == NULL)
        return NULL;
    struct ps_redact_stats st = {0, 0, 0};
    ps_redact_text(s, n, out, cap, &st);
    if (to != NULL)
        stats_add(to, &st);
    return out;
}

static enum ps_err
memo_grow(struct ps_metrics *m, size_t need)
{
    if (need <= m->redact_cap)
        return PS_OK;
    size_t c1 = m->redact_cap, c2 = m->redact_cap, c3 = m->redact_cap;
    if (ps_grow((void **)&m->redact_state, &c1, need, 1) != PS_OK ||
        ps_grow((void **)&m->redact_val, &c2, need, sizeof(char *)) != PS_OK ||
        ps_grow((void **)&m->redact_st, &c3, need, sizeof(*m->redact_st)) != PS_OK)
        return PS_E_NOMEM;
    size_t c = c1 < c2 ? c1 : c2;
    c = c < c3 ? c : c3;
    size_t old = m->redact_cap;
    memset(m->redact_state + old, 0, c - old);
    memset(m->redact_val + old, 0, (c - old) * sizeof(char *));
    memset(m->redact_st + old, 0, (c - old) * sizeof(*m->redact_st));
    m->redact_cap = c;
    return PS_OK;
}

const char *
ps_metrics_redact_label(struct ps_metrics *m, const char *name, const char *v,
                        size_t vn, char *tmp, size_t tmpcap,
                        struct ps_redact_stats *to)
{
    int secret = 0;
    if (vn == 0)
        return v;
    if (name_is_secret(m, name, &secret) != 0)
        return NULL;
    if (secret) {
        to->key_value++;
        return PS_REDACTED;
    }
    if (!may_hold_secret(v, vn))
        return v;
    uint32_t id;
    if (m->redact_in.n < PS_REDACT_MEMO_MAX ||
        ps_intern_find(&m->redact_in, v, vn, &id)) {
        if (ps_intern_get(&m->redact_in, v, vn, &id) != PS_OK ||
            memo_grow(m, (size_t)id + 1) != PS_OK)
            return NULL;
        if (m->redact_state[id] == 0) {
            struct ps_redact_stats st = {0, 0, 0};
            char *out = ps_metrics_redact_text(v, vn, &st);
            if (out == NULL)
                return NULL;
            if (ps_redact_total(&st) == 0 && strlen(out) == vn &&
                memcmp(out, v, vn) == 0) {
                free(out);
                m->redact_state[id] = 1;
            } else {
                m->redact_val[id] = out;
                m->redact_st[id] = st;
                m->redact_state[id] = 2;
            }
        }
        if (m->redact_state[id] == 1)
            return v;
        stats_add(to, &m->redact_st[id]);
        return m->redact_val[id];
    }
    /* Memo full: redact into the caller's buffer. */
    if (tmp == NULL || tmpcap < 2 * vn + 64)
        return NULL;
    struct ps_redact_stats st = {0, 0, 0};
    size_t w = ps_redact_text(v, vn, tmp, tmpcap, &st);
    if (ps_redact_total(&st) == 0 && w == vn && memcmp(tmp, v, vn) == 0)
        return v;
    stats_add(to, &st);
    return tmp;
}

/* ---- timeless samples ---- */

enum ps_err
ps_metrics_pending_add(struct ps_metrics *m, uint32_t series, double v, uint32_t src,
                       size_t file)
{
    enum ps_err e = ps_grow((void **)&m->pend, &m->cappend, m->npend + 1, sizeof(*m->pend));
    if (e != PS_OK)
        return e;
    m->pend[m->npend++] = (struct ps_metrics_pending){series, v, src, file};
    return PS_OK;
}

enum ps_err
ps_metrics_finish(struct ps_metrics *m)
{
    if (m->finished)
        return PS_OK;
    m->finished = 1;
    int64_t lo, hi;
    int have = ps_facts_time_range(m->facts, &lo, &hi);
    for (size_t i = 0; i < m->npend; i++) {
        struct ps_metrics_pending *p = &m->pend[i];
        struct ps_metrics_file *f = &m->files[p->file];
        if (f->time_src == PS_MTS_NONE) {
            if (have) {
                f->time_src = PS_MTS_CAPTURE_END;
                f->time_ms = hi;
            } else if (f->time_ms != INT64_MIN) {
                f->time_src = PS_MTS_MTIME;   /* time_ms holds the mtime */
            } else {
                f->skipped++;
                continue;
            }
        }
        enum ps_err e = ps_facts_add_sample(m->facts, p->series, f->time_ms, p->v, p->src);
        if (e != PS_OK)
            return e;
        f->samples++;
    }
    for (size_t i = 0; i < m->nfiles; i++) {
        struct ps_metrics_file *f = &m->files[i];
        if (f->time_src == PS_MTS_NONE)
            f->time_ms = INT64_MIN;      /* an mtime kept as a fallback, unused */
        if (f->time_src == PS_MTS_NONE && f->skipped != 0 && f->samples == 0)
            ps_diag_add(m->diags, PS_SEV_WARN, PS_E_SYNTAX, f->path, PS_OFF_NONE, 0,
                        "metrics: scrape time",
                        "no time for this answer (no time in the file name, "
                        "the content, the store or the entry's mtime): "
                        "%llu values not stored", (unsigned long long)f->skipped);
    }
    free(m->pend);
    m->pend = NULL;
    m->npend = m->cappend = 0;
    return PS_OK;
}

/* ---- bundle visitor ---- */

static ssize_t
stream_read(void *ctx, void *buf, size_t n)
{
    return ps_stream_read((struct ps_stream *)ctx, buf, n);
}

enum ps_err
ps_metrics_visit(void *ctx, const struct ps_entry *e, struct ps_stream *s)
{
    struct ps_metrics *m = ctx;
    if (s == NULL || e->unsafe)
        return PS_OK;
    if (e->kind == PS_KIND_METRIC_DUMP) {
        enum ps_err r = ps_metrics_load_exposition(m, e, stream_read, s);
        return r == PS_E_NOMEM ? r : PS_OK;
    }
    if (e->kind == PS_KIND_API_JSON) {
        uint8_t *p = NULL;
        size_t n = 0;
        enum ps_err r = ps_stream_slurp(s, m->lim.max_json, &p, &n);
        if (r != PS_OK) {
            ps_diag_add(m->diags, PS_SEV_WARN, r, e->path, PS_OFF_NONE, 0,
                        "metrics: API JSON", "not read: %s (limit %zu bytes)",
                        ps_strerror(r), m->lim.max_json);
            return r == PS_E_NOMEM ? r : PS_OK;
        }
        r = ps_metrics_load_api_json(m, e, p, n);
        free(p);
        return r == PS_E_NOMEM ? r : PS_OK;
    }
    return PS_OK;
}
