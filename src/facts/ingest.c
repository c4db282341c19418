/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ingest.c - a whole bundle into facts (ps_ingest.h).
 *
 * Passes over the bundle:
 *   1. inventory (every entry, classified);
 *   2. one content walk that streams logs and metric dumps / API JSON to
 *      their readers and keeps config-like entries (configs, hashrings,
 *      Kubernetes objects, df output; small, capped) for step 4;
 *   3. the WAL reader over every WAL directory in replay order (which also
 *      keeps the head samples of referenced metrics for the samples step),
 *      and the TSDB reader over every TSDB root (both need their own order
 *      or random access, so they walk on their own);
 *   4. configs, stamped with the latest time in the fact store (configs
 *      carry no time of their own; using the data's time keeps the output
 *      independent of file mtimes, so a directory and its archive agree).
 * Each stage's JSON summary is kept for the report, and the WAL and TSDB
 * summaries are published as promsight_wal_* / promsight_block_* series.
 */
#define _GNU_SOURCE /* memmem */
#include "promsight/ps_ingest.h"

#include <stdlib.h>
#include <string.h>

#include "facts/ingest_int.h"
#include "promsight/ps_config.h"
#include "promsight/ps_logs.h"
#include "promsight/ps_metrics.h"
#include "promsight/ps_util.h"
#include "promsight/ps_wal.h"

#define CONFIG_ENTRY_MAX ((size_t)16 << 20)
#define CONFIG_TOTAL_MAX ((size_t)256 << 20)
#define API_JSON_MAX ((size_t)64 << 20)

struct kept {
    struct ps_entry e;       /* strings copied into `strings` */
    uint8_t *buf;
    size_t n;
};

struct walk {
    struct ps_ingest *in;
    struct ps_logs_ctx *logs;
    struct ps_metrics *metrics;
    struct kept *kept;
    size_t nkept, cap_kept, kept_bytes;
};

static char *
dup(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

static void
kept_free(struct kept *k)
{
    free((char *)k->e.path);
    free((char *)k->e.raw_path);
    free((char *)k->e.pod);
    free((char *)k->e.container);
    free((char *)k->e.tenant);
    free((char *)k->e.tsdb_root);
    free(k->buf);
}

/* Take ownership of p[0..n) as a kept copy of entry e. */
static enum ps_err
keep_bytes(struct walk *w, const struct ps_entry *e, uint8_t *p, size_t n)
{
    if (ps_grow((void **)&w->kept, &w->cap_kept, w->nkept + 1, sizeof(*w->kept)) != PS_OK) {
        free(p);
        return PS_E_NOMEM;
    }
    struct kept *k = &w->kept[w->nkept++];
    k->e = *e;
    k->e.path = dup(e->path);
    k->e.raw_path = dup(e->raw_path);
    k->e.pod = dup(e->pod);
    k->e.container = dup(e->container);
    k->e.tenant = dup(e->tenant);
    k->e.tsdb_root = dup(e->tsdb_root);
    k->e.link_target = NULL;
    k->e.kind_by = NULL;
    k->buf = p;
    k->n = n;
    w->kept_bytes += n;
    return PS_OK;
}

static enum ps_err
keep_entry(struct walk *w, const struct ps_entry *e, struct ps_stream *s)
{
    if (w->kept_bytes >= CONFIG_TOTAL_MAX) {
        ps_diag_add(&w->in->diags, PS_SEV_WARN, PS_E_LIMIT, e->path, PS_OFF_NONE, 0,
                    "ingest: configs", "config-like entries beyond %zu MiB not read",
                    CONFIG_TOTAL_MAX >> 20);
        return PS_OK;
    }
    uint8_t *p = NULL;
    size_t n = 0;
    if (ps_stream_slurp(s, CONFIG_ENTRY_MAX, &p, &n) != PS_OK)
        return PS_OK; /* the bundle layer recorded why */
    return keep_bytes(w, e, p, n);
}

/*
 * API JSON goes to the metrics stage (query results, status/tsdb, targets)
 * and, when it is status/config or status/flags, is also kept for the
 * config stage.
 */
static enum ps_err
api_json(struct walk *w, const struct ps_entry *e, struct ps_stream *s)
{
    uint8_t *p = NULL;
    size_t n = 0;
    if (ps_stream_slurp(s, API_JSON_MAX, &p, &n) != PS_OK)
        return PS_OK; /* the bundle layer recorded why */
    enum ps_err err = ps_metrics_load_api_json(w->metrics, e, p, n);
    int config = strstr(e->path, "flags") != NULL ||
                 memmem(p, n < 4096 ? n : 4096, "\"yaml\"", 6) != NULL;
    if (err == PS_E_NOMEM || !config || w->kept_bytes + n > CONFIG_TOTAL_MAX) {
        free(p);
        return err == PS_E_NOMEM ? err : PS_OK;
    }
    return keep_bytes(w, e, p, n);
}

static enum ps_err
visit(void *ctx, const struct ps_entry *e, struct ps_stream *s)
{
    struct walk *w = ctx;
    if (s == NULL)
        return PS_OK;
    switch (e->kind) {
    case PS_KIND_LOG:
        return ps_logs_ingest_stream(w->logs, e, s, w->in->facts, &w->in->diags) ==
                       PS_E_NOMEM ? PS_E_NOMEM : PS_OK;
    case PS_KIND_METRIC_DUMP:
        return ps_metrics_visit(w->metrics, e, s) == PS_E_NOMEM ? PS_E_NOMEM : PS_OK;
    case PS_KIND_API_JSON:
        return api_json(w, e, s);
    case PS_KIND_CONFIG:
    case PS_KIND_HASHRING:
    case PS_KIND_K8S_OBJECT:
    case PS_KIND_TEXT:
        return keep_entry(w, e, s);
    default:
        return PS_OK;
    }
}

const char *
ps_ingest_rel_path(const struct ps_ingest *in, const char *p)
{
    const char *root = in->bundle_path;
    if (p == NULL || root == NULL)
        return p;
    size_t n = strlen(root);
    while (n > 0 && root[n - 1] == '/')
        n--;
    if (strncmp(p, root, n) != 0)
        return p;
    if (p[n] == '/' || p[n] == ':')
        return p + n + 1;
    return p[n] == '\0' ? "." : p;
}

void
ps_ingest_note_redaction(struct ps_ingest *in, const char *path,
                         const struct ps_redact_stats *st)
{
    if (ps_redact_total(st) == 0)
        return;
    for (size_t i = 0; i < in->nredacted; i++) {
        if (strcmp(in->redacted[i].path, path) == 0) {
            in->redacted[i].stats.bearer += st->bearer;
            in->redacted[i].stats.url_auth += st->url_auth;
            in->redacted[i].stats.key_value += st->key_value;
            return;
        }
    }
    size_t cap = in->nredacted;
    if (ps_grow((void **)&in->redacted, &cap, in->nredacted + 1, sizeof(*in->redacted)) != PS_OK)
        return;
    in->redacted[in->nredacted].path = strdup(path);
    in->redacted[in->nredacted].stats = *st;
    if (in->redacted[in->nredacted].path != NULL)
        in->nredacted++;
}

static void
ingest_configs(struct walk *w)
{
    int64_t lo = 0, hi = 0;
    ps_facts_time_range(w->in->facts, &lo, &hi);
    for (size_t i = 0; i < w->nkept; i++) {
        struct kept *k = &w->kept[i];
        struct ps_redact_stats st = {0};
        enum ps_config_what what;
        ps_config_ingest(&k->e, k->buf, k->n, hi, w->in->facts, &st, &w->in->diags, &what);
        ps_ingest_note_redaction(w->in, k->e.path, &st);
    }
}

static int
path_cmp(const void *a, const void *b)
{
    const char *x = json_string_value(json_object_get(*(json_t *const *)a, "path"));
    const char *y = json_string_value(json_object_get(*(json_t *const *)b, "path"));
    return strcmp(x != NULL ? x : "", y != NULL ? y : "");
}

/* Sort an array of {"path": ...} objects in place: an archive lists its
 * entries in its own order, a directory walk in path order. */
static void
sort_by_path(json_t *arr)
{
    size_t n = json_array_size(arr);
    if (n < 2)
        return;
    json_t **v = malloc(n * sizeof(*v));
    if (v == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        v[i] = json_incref(json_array_get(arr, i));
    qsort(v, n, sizeof(*v), path_cmp);
    json_array_clear(arr);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, v[i]);
    free(v);
}

enum ps_err
ps_ingest_bundle(const char *path, const struct ps_ingest_opts *opts,
                 struct ps_ingest *out)
{
    memset(out, 0, sizeof(*out));
    ps_diags_init(&out->diags);
    out->facts = ps_facts_new();
    out->bundle_path = strdup(path);
    if (out->facts == NULL || out->bundle_path == NULL)
        return PS_E_NOMEM;
    const char *models = opts != NULL && opts->models_dir != NULL ? opts->models_dir
                                                                  : ps_models_dir();
    struct ps_bundle *b = NULL;
    enum ps_err e = ps_bundle_open(path, opts != NULL ? opts->limits : NULL, &out->diags, &b);
    if (e != PS_OK)
        return e;
    struct walk w = {.in = out};
    struct ps_sigset *sigs = NULL;
    /* a damaged archive (truncated, a bomb stopped by the limits) still has
     * readable entries before the damage: note it and go on with those */
    if ((e = ps_bundle_inventory(b, &out->inventory)) != PS_OK) {
        if (e == PS_E_NOMEM)
            goto done;
        ps_diag_add(&out->diags, PS_SEV_ERROR, e, path, PS_OFF_NONE, 0, "ingest: inventory",
                    "bundle only partly listed (%s); analysing what was read", ps_strerror(e));
    }

    /* signatures for the log reader */
    char sigdir[4096];
    snprintf(sigdir, sizeof(sigdir), "%s/signatures", models);
    if ((e = ps_sigset_new(&sigs)) != PS_OK)
        goto done;
    ps_sigset_load_dir(sigs, sigdir, &out->diags);
    ps_sigset_compile(sigs, &out->diags);
    if ((e = ps_logs_ctx_new(sigs, NULL, &w.logs)) != PS_OK)
        goto done;
    w.metrics = ps_metrics_new(out->facts, &out->diags, NULL);
    if (w.metrics == NULL) {
        e = PS_E_NOMEM;
        goto done;
    }
    if ((e = ps_bundle_walk(b, visit, &w)) != PS_OK && e != PS_DONE) {
        if (e == PS_E_NOMEM)
            goto done;
        ps_diag_add(&out->diags, PS_SEV_ERROR, e, path, PS_OFF_NONE, 0, "ingest: read",
                    "bundle only partly read (%s); analysing what was read", ps_strerror(e));
    }
    /* OpenSearch/Elasticsearch log exports look like plain text to the
     * bundle layer; the log reader recognises them */
    for (size_t i = 0; i < w.nkept; i++) {
        struct kept *k = &w.kept[i];
        if (k->e.kind == PS_KIND_TEXT && ps_logs_looks_like_export(k->buf, k->n))
            ps_logs_ingest_mem(w.logs, k->e.path, &k->e, k->buf, k->n, out->facts, &out->diags);
    }
    ps_logs_ctx_finish(w.logs, out->facts);
    ps_metrics_finish(w.metrics);
    out->logs = ps_ingest_logs_json(w.logs);
    out->metrics = ps_metrics_summary_json(w.metrics, out->facts);
    sort_by_path(json_object_get(out->metrics, "files"));

    /* WAL segments are read once and blocks opened once: the WAL step's
     * scan keeps what the samples step needs of the WAL, the TSDB step
     * checks the blocks and hands them to the samples step, which then
     * publishes the WAL/head samples */
    struct ps_samples *samples = ps_ingest_samples_begin(path, opts, out);
    if ((e = ps_ingest_wal(b, out, samples)) != PS_OK) {
        ps_ingest_samples_end(samples, NULL);
        goto done;
    }
    e = ps_ingest_tsdb(b, path, out, samples);
    ps_ingest_samples_end(samples, e == PS_OK ? b : NULL);
    if (e != PS_OK)
        goto done;
    ingest_configs(&w);
    out->config = ps_ingest_config_json(out);
    e = PS_OK;
done:
    for (size_t i = 0; i < w.nkept; i++)
        kept_free(&w.kept[i]);
    free(w.kept);
    ps_metrics_free(w.metrics);
    ps_logs_ctx_free(w.logs);
    ps_sigset_free(sigs);
    ps_bundle_close(b);
    return e;
}

void
ps_ingest_free(struct ps_ingest *in)
{
    if (in == NULL)
        return;
    ps_facts_free(in->facts);
    free(in->bundle_path);
    ps_inventory_free(&in->inventory);
    ps_diags_free(&in->diags);
    for (size_t i = 0; i < in->nredacted; i++)
        free(in->redacted[i].path);
    free(in->redacted);
    json_decref(in->wal);
    json_decref(in->tsdb);
    json_decref(in->logs);
    json_decref(in->metrics);
    json_decref(in->config);
    memset(in, 0, sizeof(*in));
}
