/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * meta.c - a block's meta.json (Prometheus fields plus the Thanos section)
 * and a tenant's thanos.shipper.json, read with jansson.
 *
 * meta.json (Prometheus tsdb/block.go, Thanos pkg/block/metadata/meta.go):
 *   {"ulid": ULID, "minTime": int64 ms, "maxTime": int64 ms (exclusive),
 *    "stats": {numSamples, numFloatSamples, numHistogramSamples, numSeries,
 *              numChunks, numTombstones}      zero fields are omitted,
 *    "compaction": {level, sources[], parents[{ulid,minTime,maxTime}],
 *                   deletable, failed, hints[]},
 *    "version": 1,
 *    "thanos": {version, labels{}, downsample{resolution}, source,
 *               files[{rel_path, size_bytes, hash{hashFunc,value}}],
 *               index_stats{series_max_size, chunk_max_size}, upload_time}}
 * Every field is optional to this reader; wrong types and absurd values
 * (negative counts, maxTime < minTime, level < 1, > 1M sources) are
 * diagnostics, and the field keeps its zero value.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "promsight/ps_tsdb.h"

#define PHASE "tsdb/meta"
#define MAX_LIST 1000000

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static int
crock_val(char c)
{
    const char *q = c != 0 ? strchr(crockford, c) : NULL;
    return q == NULL ? -1 : (int)(q - crockford);
}

int
ps_tsdb_is_ulid(const char *s, size_t n)
{
    if (n != PS_TSDB_ULID_LEN)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (crock_val(s[i]) < 0)
            return 0;
    return crock_val(s[0]) <= 7;
}

int64_t
ps_tsdb_ulid_time(const char *s)
{
    if (s == NULL || !ps_tsdb_is_ulid(s, strlen(s)))
        return -1;
    int64_t t = 0;
    for (int i = 0; i < 10; i++)
        t = t * 32 + crock_val(s[i]);
    return t;
}

/* Integer field: absent leaves *out; wrong type or range is a diagnostic. */
static void
get_int(json_t *o, const char *key, int64_t lo, int64_t hi, int64_t *out,
        const char *path, struct ps_diags *d, const char *ctx)
{
    json_t *v = json_object_get(o, key);
    if (v == NULL)
        return;
    if (!json_is_integer(v)) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_SYNTAX, path, PS_OFF_NONE, 0, PHASE,
                    "%s%s: expected an integer", ctx, key);
        return;
    }
    json_int_t x = json_integer_value(v);
    if (x < lo || x > hi) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_CORRUPT, path, PS_OFF_NONE, 0, PHASE,
                    "%s%s: %lld is out of range [%lld, %lld]", ctx, key,
                    (long long)x, (long long)lo, (long long)hi);
        return;
    }
    *out = (int64_t)x;
}

static void
get_u64(json_t *o, const char *key, uint64_t *out, const char *path,
        struct ps_diags *d, const char *ctx)
{
    int64_t x = -1;
    get_int(o, key, 0, INT64_MAX, &x, path, d, ctx);
    if (x >= 0)
        *out = (uint64_t)x;
}

static void
get_bool(json_t *o, const char *key, int *out, const char *path,
         struct ps_diags *d, const char *ctx)
{
    json_t *v = json_object_get(o, key);
    if (v == NULL)
        return;
    if (!json_is_boolean(v)) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_SYNTAX, path, PS_OFF_NONE, 0, PHASE,
                    "%s%s: expected a boolean", ctx, key);
        return;
    }
    *out = json_is_true(v);
}

static json_t *
get_typed(json_t *o, const char *key, json_type type, const char *tname,
          const char *path, struct ps_diags *d, const char *ctx)
{
    json_t *v = json_object_get(o, key);
    if (v == NULL)
        return NULL;
    if (json_typeof(v) != type) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_SYNTAX, path, PS_OFF_NONE, 0, PHASE,
                    "%s%s: expected %s", ctx, key, tname);
        return NULL;
    }
    return v;
}

static int
copy_ulid(json_t *v, char out[PS_TSDB_ULID_LEN + 1], const char *path,
          struct ps_diags *d, const char *what)
{
    const char *s = json_string_value(v);
    if (s == NULL || !ps_tsdb_is_ulid(s, strlen(s))) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_SYNTAX, path, PS_OFF_NONE, 0, PHASE,
                    "%s: expected a 26-character ULID string", what);
        return 0;
    }
    memcpy(out, s, PS_TSDB_ULID_LEN + 1);
    return 1;
}

static void
parse_compaction(json_t *c, struct ps_tsdb_meta *m, const char *path,
                 struct ps_diags *d)
{
    int64_t lvl = 0;
    get_int(c, "level", 0, 1000, &lvl, path, d, "compaction.");
    m->level = (int)lvl;
    get_bool(c, "deletable", &m->deletable, path, d, "compaction.");
    get_bool(c, "failed", &m->failed, path, d, "compaction.");
    json_t *a = get_typed(c, "sources", JSON_ARRAY, "an array", path, d, "compaction.");
    size_t n = a != NULL ? json_array_size(a) : 0;
    if (n > MAX_LIST) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_LIMIT, path, PS_OFF_NONE, 0, PHASE,
                    "compaction.sources: %zu entries, more than %d", n, MAX_LIST);
        n = 0;
    }
    if (n > 0 && (m->sources = calloc(n, sizeof(*m->sources))) != NULL) {
        for (size_t i = 0; i < n; i++)
            if (copy_ulid(json_array_get(a, i), m->sources[m->nsources], path, d,
                          "compaction.sources[]"))
                m->nsources++;
    }
    a = get_typed(c, "parents", JSON_ARRAY, "an array", path, d, "compaction.");
    n = a != NULL ? json_array_size(a) : 0;
    if (n > MAX_LIST)
        n = 0;
    if (n > 0 && (m->parents = calloc(n, sizeof(*m->parents))) != NULL) {
        for (size_t i = 0; i < n; i++) {
            json_t *p = json_array_get(a, i);
            if (!json_is_object(p))
                continue;
            struct ps_tsdb_parent *pp = &m->parents[m->nparents];
            if (!copy_ulid(json_object_get(p, "ulid"), pp->ulid, path, d,
                           "compaction.parents[].ulid"))
                continue;
            get_int(p, "minTime", INT64_MIN, INT64_MAX, &pp->min_time, path, d,
                    "compaction.parents[].");
            get_int(p, "maxTime", INT64_MIN, INT64_MAX, &pp->max_time, path, d,
                    "compaction.parents[].");
            m->nparents++;
        }
    }
    a = get_typed(c, "hints", JSON_ARRAY, "an array", path, d, "compaction.");
    n = a != NULL ? json_array_size(a) : 0;
    if (n > 64)
        n = 64;
    if (n > 0 && (m->hints = calloc(n, sizeof(char *))) != NULL) {
        for (size_t i = 0; i < n; i++) {
            const char *s = json_string_value(json_array_get(a, i));
            if (s != NULL && (m->hints[m->nhints] = strdup(s)) != NULL)
                m->nhints++;
        }
    }
}

static void
parse_thanos(json_t *t, struct ps_tsdb_meta *m, const char *path,
             struct ps_diags *d)
{
    m->has_thanos = 1;
    json_t *l = get_typed(t, "labels", JSON_OBJECT, "an object", path, d, "thanos.");
    size_t n = l != NULL ? json_object_size(l) : 0;
    if (n > 0 && n <= MAX_LIST &&
        (m->labels = calloc(n, sizeof(*m->labels))) != NULL) {
        const char *k;
        json_t *v;
        json_object_foreach(l, k, v) {
            const char *s = json_string_value(v);
            if (s == NULL || m->nlabels >= n)
                continue;
            m->labels[m->nlabels].name = strdup(k);
            m->labels[m->nlabels].value = strdup(s);
            m->nlabels++;
        }
    }
    json_t *ds = get_typed(t, "downsample", JSON_OBJECT, "an object", path, d, "thanos.");
    if (ds != NULL)
        get_int(ds, "resolution", 0, INT64_C(1) << 40, &m->downsample_resolution,
                path, d, "thanos.downsample.");
    json_t *s = get_typed(t, "source", JSON_STRING, "a string", path, d, "thanos.");
    if (s != NULL)
        m->source = strdup(json_string_value(s));
    json_t *u = get_typed(t, "upload_time", JSON_STRING, "a string", path, d, "thanos.");
    if (u != NULL)
        m->upload_time = strdup(json_string_value(u));
    json_t *is = get_typed(t, "index_stats", JSON_OBJECT, "an object", path, d, "thanos.");
    if (is != NULL) {
        get_int(is, "series_max_size", 0, INT64_MAX, &m->series_max_size, path, d,
                "thanos.index_stats.");
        get_int(is, "chunk_max_size", 0, INT64_MAX, &m->chunk_max_size, path, d,
                "thanos.index_stats.");
    }
    json_t *f = get_typed(t, "files", JSON_ARRAY, "an array", path, d, "thanos.");
    n = f != NULL ? json_array_size(f) : 0;
    if (n > 0 && n <= MAX_LIST && (m->files = calloc(n, sizeof(*m->files))) != NULL) {
        for (size_t i = 0; i < n; i++) {
            json_t *e = json_array_get(f, i);
            const char *rp = json_string_value(json_object_get(e, "rel_path"));
            if (rp == NULL) {
                ps_diag_add(d, PS_SEV_ERROR, PS_E_SYNTAX, path, PS_OFF_NONE, 0,
                            PHASE, "thanos.files[%zu].rel_path: expected a string", i);
                continue;
            }
            struct ps_tsdb_file *ff = &m->files[m->nfiles++];
            ff->rel_path = strdup(rp);
            ff->size_bytes = -1;
            get_int(e, "size_bytes", 0, INT64_MAX, &ff->size_bytes, path, d,
                    "thanos.files[].");
            json_t *h = json_object_get(e, "hash");
            if (json_is_object(h)) {
                const char *hf = json_string_value(json_object_get(h, "hashFunc"));
                const char *hv = json_string_value(json_object_get(h, "value"));
                ff->hash_func = hf != NULL ? strdup(hf) : NULL;
                ff->hash = hv != NULL ? strdup(hv) : NULL;
            }
        }
    }
}

enum ps_err
ps_tsdb_meta_parse(const uint8_t *p, size_t n, const char *path,
                   struct ps_tsdb_meta *m, struct ps_diags *d)
{
    memset(m, 0, sizeof(*m));
    json_error_t jerr;
    json_t *root = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL || !json_is_object(root)) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_SYNTAX, path,
                    root == NULL ? (uint64_t)jerr.position : 0,
                    root == NULL ? (uint32_t)jerr.line : 0, PHASE,
                    "expected a JSON object%s%s", root == NULL ? ": " : "",
                    root == NULL ? jerr.text : "");
        json_decref(root);
        return PS_E_SYNTAX;
    }
    json_t *u = json_object_get(root, "ulid");
    if (u == NULL)
        ps_diag_add(d, PS_SEV_ERROR, PS_E_SYNTAX, path, PS_OFF_NONE, 0, PHASE,
                    "ulid: missing");
    else
        copy_ulid(u, m->ulid, path, d, "ulid");
    get_int(root, "minTime", INT64_MIN, INT64_MAX, &m->min_time, path, d, "");
    get_int(root, "maxTime", INT64_MIN, INT64_MAX, &m->max_time, path, d, "");
    if (m->max_time < m->min_time)
        ps_diag_add(d, PS_SEV_ERROR, PS_E_CORRUPT, path, PS_OFF_NONE, 0, PHASE,
                    "maxTime %lld is before minTime %lld", (long long)m->max_time,
                    (long long)m->min_time);
    int64_t ver = 0;
    get_int(root, "version", 0, 1000, &ver, path, d, "");
    m->version = (int)ver;
    if (ver != 1)
        ps_diag_add(d, PS_SEV_WARN, PS_E_UNSUPPORTED, path, PS_OFF_NONE, 0, PHASE,
                    "version: expected 1, found %lld", (long long)ver);
    json_t *st = get_typed(root, "stats", JSON_OBJECT, "an object", path, d, "");
    if (st != NULL) {
        get_u64(st, "numSamples", &m->stats.num_samples, path, d, "stats.");
        get_u64(st, "numFloatSamples", &m->stats.num_float_samples, path, d, "stats.");
        get_u64(st, "numHistogramSamples", &m->stats.num_histogram_samples, path, d,
                "stats.");
        get_u64(st, "numSeries", &m->stats.num_series, path, d, "stats.");
        get_u64(st, "numChunks", &m->stats.num_chunks, path, d, "stats.");
        get_u64(st, "numTombstones", &m->stats.num_tombstones, path, d, "stats.");
    }
    json_t *c = get_typed(root, "compaction", JSON_OBJECT, "an object", path, d, "");
    if (c != NULL)
        parse_compaction(c, m, path, d);
    json_t *t = get_typed(root, "thanos", JSON_OBJECT, "an object", path, d, "");
    if (t != NULL)
        parse_thanos(t, m, path, d);
    json_decref(root);
    return PS_OK;
}

void
ps_tsdb_meta_free(struct ps_tsdb_meta *m)
{
    if (m == NULL)
        return;
    free(m->sources);
    free(m->parents);
    for (size_t i = 0; i < m->nhints; i++)
        free(m->hints[i]);
    free(m->hints);
    for (size_t i = 0; i < m->nlabels; i++) {
        free(m->labels[i].name);
        free(m->labels[i].value);
    }
    free(m->labels);
    free(m->source);
    for (size_t i = 0; i < m->nfiles; i++) {
        free(m->files[i].rel_path);
        free(m->files[i].hash_func);
        free(m->files[i].hash);
    }
    free(m->files);
    free(m->upload_time);
    memset(m, 0, sizeof(*m));
}

enum ps_err
ps_tsdb_shipper_parse(const uint8_t *p, size_t n, const char *path,
                      struct ps_tsdb_shipper *s, struct ps_diags *d)
{
    memset(s, 0, sizeof(*s));
    json_error_t jerr;
    json_t *root = json_loadb((const char *)p, n, 0, &jerr);
    if (root == NULL || !json_is_object(root)) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_SYNTAX, path, PS_OFF_NONE, 0,
                    "tsdb/shipper", "expected a JSON object");
        json_decref(root);
        return PS_E_SYNTAX;
    }
    int64_t v = 0;
    get_int(root, "version", 0, 1000, &v, path, d, "");
    s->version = (int)v;
    json_t *a = get_typed(root, "uploaded", JSON_ARRAY, "an array", path, d, "");
    size_t k = a != NULL ? json_array_size(a) : 0;
    if (k > MAX_LIST)
        k = 0;
    if (k > 0 && (s->uploaded = calloc(k, sizeof(*s->uploaded))) != NULL)
        for (size_t i = 0; i < k; i++)
            if (copy_ulid(json_array_get(a, i), s->uploaded[s->nuploaded], path, d,
                          "uploaded[]"))
                s->nuploaded++;
    json_decref(root);
    return PS_OK;
}

void
ps_tsdb_shipper_free(struct ps_tsdb_shipper *s)
{
    if (s == NULL)
        return;
    free(s->uploaded);
    memset(s, 0, sizeof(*s));
}
