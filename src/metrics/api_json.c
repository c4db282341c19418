/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * api_json.c - answers of the Prometheus HTTP API saved as JSON, into the
 * fact store. Every answer is {"status":"success","data":...} (or
 * {"status":"error","errorType":...,"error":...}); what `data` holds says
 * which endpoint answered (the file name is only a tie-breaker):
 *
 *   data.resultType + data.result  query / query_range
 *       "matrix": [{"metric":{..},"values":[[<sec float>,"<value>"],..]}]
 *       "vector": [{"metric":{..},"value":[<sec>,"<value>"]}]
 *       "scalar": [<sec>,"<value>"]          "string": skipped
 *   data.headStats                 status/tsdb
 *   data.activeTargets             targets
 *   data.yaml                      status/config  (handed to the hook)
 *   data.reloadConfigSuccess ...   status/runtimeinfo
 *   data.goVersion + version       status/buildinfo
 *   data = {"flag.name":"value"}   status/flags
 *
 * Nesting deeper than the limit is cut before jansson sees it: each
 * too-deep subtree is overwritten with "null" and blanks in a copy, with
 * a located warning, so the rest of the answer is still read. (jansson
 * 2.14 itself stops at JSON_PARSER_MAX_DEPTH = 2048 and fails the whole
 * document.)
 */
#include "metrics/metrics_int.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PS_API_MAX_ITEM_DIAGS 20

struct api_ctx {
    struct ps_metrics *m;
    const struct ps_entry *e;
    size_t fi;
    uint32_t src;
    int64_t t;                  /* file time (filename), or INT64_MIN */
    uint64_t ndiags;
    struct ps_label *labs;      /* max_labels + 4 */
    char *tmp;                  /* redaction scratch */
    size_t tmpcap;
    enum ps_err fatal;
};

static struct ps_metrics_file *
cur(struct api_ctx *c)
{
    return &c->m->files[c->fi];
}

static void warn(struct api_ctx *c, enum ps_sev sev, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
warn(struct api_ctx *c, enum ps_sev sev, uint64_t off, const char *fmt, ...)
{
    c->ndiags++;
    if (c->ndiags > PS_API_MAX_ITEM_DIAGS)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    ps_diag_add(c->m->diags, sev, PS_E_SYNTAX, c->e->path, off, 0,
                "metrics: API JSON", "%s", msg);
}

/* ---- depth cut ---- */

/*
 * Overwrite every value nested deeper than max in s[0..n) with "null"
 * padded with blanks. Returns the number of subtrees cut; *first gets the
 * offset of the first.
 */
static size_t
cut_deep(char *s, size_t n, unsigned max, uint64_t *first)
{
    size_t cuts = 0, start = 0;
    unsigned depth = 0, cut_at = 0;
    int in_str = 0, cutting = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (in_str) {
            if (ch == '\\')
                i++;
            else if (ch == '"')
                in_str = 0;
            continue;
        }
        if (ch == '"') {
            in_str = 1;
        } else if (ch == '[' || ch == '{') {
            depth++;
            if (!cutting && depth > max) {
                cutting = 1;
                cut_at = depth;
                start = i;
                if (cuts++ == 0)
                    *first = i;
            }
        } else if (ch == ']' || ch == '}') {
            if (depth > 0)
                depth--;
            if (cutting && depth < cut_at) {
                memset(s + start, ' ', i + 1 - start);
                memcpy(s + start, "null", i + 1 - start >= 4 ? 4 : i + 1 - start);
                cutting = 0;
            }
        }
    }
    if (cutting) {
        memset(s + start, ' ', n - start);
        memcpy(s + start, "null", n - start >= 4 ? 4 : n - start);
    }
    return cuts;
}

/* ---- adding ---- */

/* Labels from a JSON object (strings only), redacted, into c->labs[*k..]. */
static int
labels_from(struct api_ctx *c, json_t *obj, size_t *k, size_t *w, const char **name)
{
    const char *key;
    json_t *v;
    if (!json_is_object(obj))
        return 1;
    json_object_foreach(obj, key, v) {
        if (!json_is_string(v) || key[0] == 0)
            continue;
        if (strcmp(key, "__name__") == 0) {
            if (name != NULL && json_string_value(v)[0] != 0)
                *name = json_string_value(v);
            continue;
        }
        if (*k >= c->m->lim.max_labels) {
            warn(c, PS_SEV_WARN, PS_OFF_NONE, "more than %zu labels: series skipped",
                 c->m->lim.max_labels);
            return 0;
        }
        size_t vn = json_string_length(v);
        if (*w + 2 * vn + 64 > c->tmpcap) {
            warn(c, PS_SEV_WARN, PS_OFF_NONE, "labels longer than the line limit: "
                 "series skipped");
            return 0;
        }
        const char *rv = ps_metrics_redact_label(c->m, key, json_string_value(v), vn,
                                                 c->tmp + *w, c->tmpcap - *w,
                                                 &cur(c)->redacted);
        if (rv == NULL) {
            c->fatal = PS_E_NOMEM;
            return 0;
        }
        if (rv == c->tmp + *w)
            *w += strlen(rv) + 1;
        c->labs[(*k)++] = (struct ps_label){key, rv};
    }
    return 1;
}

static void
base_labels(struct api_ctx *c, size_t *k)
{
    if (c->e->pod != NULL)
        c->labs[(*k)++] = (struct ps_label){"pod", c->e->pod};
    if (c->e->tenant != NULL)
        c->labs[(*k)++] = (struct ps_label){"tenant", c->e->tenant};
    c->labs[(*k)++] = (struct ps_label){"source", "api"};
}

static int
series(struct api_ctx *c, const char *metric, size_t k, uint32_t *id)
{
    enum ps_err e = ps_facts_series(c->m->facts, metric, c->labs, k, id);
    if (e != PS_OK) {
        if (e == PS_E_NOMEM)
            c->fatal = e;
        else
            warn(c, PS_SEV_WARN, PS_OFF_NONE, "series %s not stored: %s", metric,
                 ps_strerror(e));
        cur(c)->skipped++;
        return 0;
    }
    int fresh = ps_metrics_stamp(c->m, *id, c->fi);
    if (fresh < 0) {
        c->fatal = PS_E_NOMEM;
        return 0;
    }
    if (fresh)
        cur(c)->series++;
    return 1;
}

/* Sample at t; t == INT64_MIN: the file's time, or pending until finish. */
static void
sample(struct api_ctx *c, uint32_t id, int64_t t, double v)
{
    struct ps_metrics_file *f = cur(c);
    if (t == INT64_MIN)
        t = c->t;
    if (t == INT64_MIN) {
        if (ps_metrics_pending_add(c->m, id, v, c->src, c->fi) != PS_OK)
            c->fatal = PS_E_NOMEM;
        return;
    }
    enum ps_err e = ps_facts_add_sample(c->m->facts, id, t, v, c->src);
    if (e != PS_OK) {
        if (e == PS_E_NOMEM)
            c->fatal = e;
        f->skipped++;
        return;
    }
    f->samples++;
}

/* metric{labels, pod, source="api"} = v at t. */
static void
put1(struct api_ctx *c, const char *metric, const struct ps_label *extra, size_t nextra,
     int64_t t, double v)
{
    size_t k = 0;
    for (size_t i = 0; i < nextra; i++)
        c->labs[k++] = extra[i];
    base_labels(c, &k);
    uint32_t id;
    if (series(c, metric, k, &id))
        sample(c, id, t, v);
}

static void
put_num(struct api_ctx *c, const char *metric, json_t *v, int64_t t)
{
    if (json_is_number(v))
        put1(c, metric, NULL, 0, t, json_number_value(v));
    else if (json_is_boolean(v))
        put1(c, metric, NULL, 0, t, json_is_true(v) ? 1.0 : 0.0);
}

/* Redacted copy of a label value held in c->tmp at *w; NULL on OOM/too long. */
static const char *
redact_val(struct api_ctx *c, const char *name, const char *v, size_t *w)
{
    size_t vn = strlen(v);
    if (*w + 2 * vn + 64 > c->tmpcap)
        return NULL;
    const char *r = ps_metrics_redact_label(c->m, name, v, vn, c->tmp + *w,
                                            c->tmpcap - *w, &cur(c)->redacted);
    if (r == c->tmp + *w)
        *w += strlen(r) + 1;
    return r;
}

/* "[<sec>, "<value>"]" -> t (ms), v. */
static int
point(json_t *p, int64_t *t, double *v)
{
    if (!json_is_array(p) || json_array_size(p) != 2)
        return 0;
    json_t *jt = json_array_get(p, 0), *jv = json_array_get(p, 1);
    if (!json_is_number(jt) || !json_is_string(jv))
        return 0;
    double sec = json_number_value(jt);
    if (!(sec > -6.2e10 && sec < 2.5e11))
        return 0;
    *t = (int64_t)llround(sec * 1000.0);
    return ps_expo_parse_float(json_string_value(jv), json_string_length(jv), v);
}

/* Metric name for results without __name__: the file name, sanitised. */
static void
name_from_file(const char *path, char *out, size_t cap)
{
    const char *b = ps_metrics_basename(path);
    static const char *const prefixes[] = {"query_range-", "query_range_",
                                           "query-", "query_"};
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        size_t k = strlen(prefixes[i]);
        if (strncmp(b, prefixes[i], k) == 0 && b[k] != 0) {
            b += k;
            break;
        }
    }
    size_t o = 0;
    const char *dot = strrchr(b, '.');
    size_t n = dot != NULL && dot != b ? (size_t)(dot - b) : strlen(b);
    if (n > 0 && b[0] >= '0' && b[0] <= '9' && o + 1 < cap)
        out[o++] = '_';
    for (size_t i = 0; i < n && o + 1 < cap; i++) {
        char ch = b[i];
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                 (ch >= '0' && ch <= '9') || ch == '_' || ch == ':';
        out[o++] = ok ? ch : '_';
    }
    out[o] = 0;
    if (o == 0)
        snprintf(out, cap, "promsight_api_result");
}

static void
query_result(struct api_ctx *c, json_t *data)
{
    json_t *rt = json_object_get(data, "resultType");
    json_t *res = json_object_get(data, "result");
    const char *type = json_string_value(rt);
    char fname[256];
    name_from_file(c->e->path, fname, sizeof(fname));
    if (type == NULL) {
        warn(c, PS_SEV_WARN, PS_OFF_NONE, "resultType is not a string");
        return;
    }
    if (strcmp(type, "scalar") == 0) {
        int64_t t;
        double v;
        if (point(res, &t, &v)) {
            size_t k = 0;
            c->labs[k++] = (struct ps_label){"source", "api"};
            uint32_t id;
            if (series(c, fname, k, &id))
                sample(c, id, t, v);
        } else
            warn(c, PS_SEV_WARN, PS_OFF_NONE, "scalar result is not [time, \"value\"]");
        return;
    }
    if (strcmp(type, "string") == 0) {
        cur(c)->skipped++;
        return;
    }
    int matrix = strcmp(type, "matrix") == 0;
    if (!matrix && strcmp(type, "vector") != 0) {
        warn(c, PS_SEV_WARN, PS_OFF_NONE, "unknown resultType \"%s\"", type);
        return;
    }
    if (!json_is_array(res)) {
        warn(c, PS_SEV_WARN, PS_OFF_NONE, "result is not an array");
        return;
    }
    size_t i;
    json_t *r;
    json_array_foreach(res, i, r) {
        if (c->fatal != PS_OK)
            return;
        size_t k = 0, w = 0;
        const char *metric = fname;
        if (!json_is_object(r) ||
            !labels_from(c, json_object_get(r, "metric"), &k, &w, &metric)) {
            cur(c)->skipped++;
            continue;
        }
        c->labs[k++] = (struct ps_label){"source", "api"};
        json_t *pts = matrix ? json_object_get(r, "values") : NULL;
        json_t *one = matrix ? NULL : json_object_get(r, "value");
        if (json_object_get(r, "histograms") != NULL ||
            json_object_get(r, "histogram") != NULL) {
            warn(c, PS_SEV_NOTE, PS_OFF_NONE, "native histogram samples of result %zu "
                 "not stored", i);
        }
        if ((matrix && !json_is_array(pts)) || (!matrix && one == NULL)) {
            if (json_object_get(r, "histograms") == NULL &&
                json_object_get(r, "histogram") == NULL)
                warn(c, PS_SEV_WARN, PS_OFF_NONE, "result %zu has no %s", i,
                     matrix ? "values" : "value");
            cur(c)->skipped++;
            continue;
        }
        uint32_t id;
        if (!series(c, metric, k, &id))
            continue;
        if (!matrix) {
            int64_t t;
            double v;
            if (point(one, &t, &v))
                sample(c, id, t, v);
            else {
                cur(c)->skipped++;
                warn(c, PS_SEV_WARN, PS_OFF_NONE, "result %zu: value is not "
                     "[time, \"value\"]", i);
            }
            continue;
        }
        size_t j;
        json_t *p;
        json_array_foreach(pts, j, p) {
            int64_t t;
            double v;
            if (point(p, &t, &v))
                sample(c, id, t, v);
            else {
                cur(c)->skipped++;
                warn(c, PS_SEV_WARN, PS_OFF_NONE, "result %zu point %zu is not "
                     "[time, \"value\"]", i, j);
            }
        }
    }
}

/* ---- status/tsdb ---- */

static void
tsdb_list(struct api_ctx *c, json_t *data, const char *key, const char *metric,
          const char *label, int split_pair)
{
    json_t *arr = json_object_get(data, key);
    size_t i;
    json_t *it;
    if (!json_is_array(arr))
        return;
    json_array_foreach(arr, i, it) {
        json_t *jn = json_object_get(it, "name"), *jv = json_object_get(it, "value");
        if (!json_is_string(jn) || !json_is_number(jv)) {
            cur(c)->skipped++;
            continue;
        }
        const char *name = json_string_value(jn);
        struct ps_label l[2];
        size_t nl = 0, w = 0;
        char lname[256];
        if (split_pair) {
            const char *eq = strchr(name, '=');
            size_t kn = eq != NULL ? (size_t)(eq - name) : strlen(name);
            if (kn >= sizeof(lname))
                kn = sizeof(lname) - 1;
            memcpy(lname, name, kn);
            lname[kn] = 0;
            l[nl++] = (struct ps_label){"label_name", lname};
            const char *v = redact_val(c, lname, eq != NULL ? eq + 1 : "", &w);
            if (v == NULL) {
                cur(c)->skipped++;
                continue;
            }
            l[nl++] = (struct ps_label){"label_value", v};
        } else {
            l[nl++] = (struct ps_label){label, name};
        }
        put1(c, metric, l, nl, INT64_MIN, json_number_value(jv));
    }
}

static void
status_tsdb(struct api_ctx *c, json_t *data)
{
    json_t *hs = json_object_get(data, "headStats");
    json_t *mx = json_object_get(hs, "maxTime"), *mn = json_object_get(hs, "minTime");
    /* An empty head reports minTime = MaxInt64, maxTime = MinInt64. */
    int valid = json_is_integer(mx) && json_is_integer(mn) &&
                json_integer_value(mx) >= json_integer_value(mn) &&
                json_integer_value(mx) > 0 && json_integer_value(mx) < 253402300799000LL;
    if (c->t == INT64_MIN && valid) {
        c->t = json_integer_value(mx);
        cur(c)->time_src = PS_MTS_CONTENT;
        cur(c)->time_ms = c->t;
    }
    put_num(c, "promsight_api_tsdb_head_series", json_object_get(hs, "numSeries"),
            INT64_MIN);
    put_num(c, "promsight_api_tsdb_head_label_pairs",
            json_object_get(hs, "numLabelPairs"), INT64_MIN);
    put_num(c, "promsight_api_tsdb_head_chunks", json_object_get(hs, "chunkCount"),
            INT64_MIN);
    if (valid) {
        put1(c, "promsight_api_tsdb_head_min_time_seconds", NULL, 0, INT64_MIN,
             (double)json_integer_value(mn) / 1000.0);
        put1(c, "promsight_api_tsdb_head_max_time_seconds", NULL, 0, INT64_MIN,
             (double)json_integer_value(mx) / 1000.0);
    }
    tsdb_list(c, data, "seriesCountByMetricName",
              "promsight_api_tsdb_series_count_by_metric", "metric_name", 0);
    tsdb_list(c, data, "labelValueCountByLabelName",
              "promsight_api_tsdb_label_value_count_by_label_name", "label_name", 0);
    tsdb_list(c, data, "memoryInBytesByLabelName",
              "promsight_api_tsdb_memory_bytes_by_label_name", "label_name", 0);
    tsdb_list(c, data, "seriesCountByLabelValuePair",
              "promsight_api_tsdb_series_count_by_label_pair", NULL, 1);
}

/* ---- status/runtimeinfo, status/buildinfo ---- */

static int
json_time(json_t *v, int64_t *ms)
{
    const char *s = json_string_value(v);
    if (s == NULL || !ps_parse_rfc3339_ms(s, strlen(s), ms))
        return 0;
    return *ms > 0;   /* Go's zero time (0001-01-01) means "never" */
}

/* "15d", "10GiB" or "15d or 10GiB" -> retention series. */
static void
retention(struct api_ctx *c, const char *s)
{
    const char *p = s;
    while (*p != 0) {
        while (*p == ' ')
            p++;
        const char *q = p;
        while (*q != 0 && *q != ' ')
            q++;
        int64_t ms;
        double b;
        if (ps_metrics_parse_duration(p, (size_t)(q - p), &ms) && q > p)
            put1(c, "promsight_api_runtime_storage_retention_seconds", NULL, 0,
                 INT64_MIN, (double)ms / 1000.0);
        else if (q > p && ps_metrics_parse_bytes(p, (size_t)(q - p), &b))
            put1(c, "promsight_api_runtime_storage_retention_bytes", NULL, 0,
                 INT64_MIN, b);
        p = q;
        if (strncmp(p, " or ", 4) == 0)
            p += 4;
    }
}

static void
status_runtime(struct api_ctx *c, json_t *data)
{
    int64_t ms;
    if (json_time(json_object_get(data, "startTime"), &ms))
        put1(c, "promsight_api_runtime_start_time_seconds", NULL, 0, INT64_MIN,
             (double)ms / 1000.0);
    if (json_time(json_object_get(data, "lastConfigTime"), &ms))
        put1(c, "promsight_api_runtime_last_config_time_seconds", NULL, 0, INT64_MIN,
             (double)ms / 1000.0);
    put_num(c, "promsight_api_runtime_reload_config_success",
            json_object_get(data, "reloadConfigSuccess"), INT64_MIN);
    put_num(c, "promsight_api_runtime_corruption_count",
            json_object_get(data, "corruptionCount"), INT64_MIN);
    put_num(c, "promsight_api_runtime_goroutines",
            json_object_get(data, "goroutineCount"), INT64_MIN);
    put_num(c, "promsight_api_runtime_gomaxprocs",
            json_object_get(data, "GOMAXPROCS"), INT64_MIN);
    const char *ret = json_string_value(json_object_get(data, "storageRetention"));
    if (ret != NULL)
        retention(c, ret);
    struct ps_label l[3];
    size_t nl = 0, w = 0;
    static const char *const keys[][2] = {
        {"storageRetention", "storage_retention"}, {"CWD", "cwd"}, {"GOGC", "gogc"},
    };
    for (size_t i = 0; i < 3; i++) {
        const char *v = json_string_value(json_object_get(data, keys[i][0]));
        if (v != NULL && *v != 0 && (v = redact_val(c, keys[i][1], v, &w)) != NULL)
            l[nl++] = (struct ps_label){keys[i][1], v};
    }
    put1(c, "promsight_api_runtime_info", l, nl, INT64_MIN, 1.0);
}

static void
status_build(struct api_ctx *c, json_t *data)
{
    static const char *const keys[][2] = {
        {"version", "version"}, {"revision", "revision"}, {"branch", "branch"},
        {"goVersion", "go_version"},
    };
    struct ps_label l[4];
    size_t nl = 0, w = 0;
    for (size_t i = 0; i < 4; i++) {
        const char *v = json_string_value(json_object_get(data, keys[i][0]));
        if (v != NULL && *v != 0 && (v = redact_val(c, keys[i][1], v, &w)) != NULL)
            l[nl++] = (struct ps_label){keys[i][1], v};
    }
    put1(c, "promsight_api_build_info", l, nl, INT64_MIN, 1.0);
}

/* ---- status/flags ---- */

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
has_alpha(const char *s)
{
    for (; *s != 0; s++)
        if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))
            return 1;
    return 0;
}

static void
status_flags(struct api_ctx *c, json_t *data)
{
    size_t n = json_object_size(data), k = 0;
    const char **keys = calloc(n ? n : 1, sizeof(*keys));
    if (keys == NULL) {
        c->fatal = PS_E_NOMEM;
        return;
    }
    const char *key;
    json_t *v;
    json_object_foreach(data, key, v) {
        if (k < n)
            keys[k++] = key;
    }
    qsort(keys, k, sizeof(*keys), cmp_str);   /* deterministic series order */
    for (size_t i = 0; i < k && c->fatal == PS_OK; i++) {
        const char *val = json_string_value(json_object_get(data, keys[i]));
        if (val == NULL || *val == 0)
            continue;
        size_t w = 0;
        const char *rv = redact_val(c, keys[i], val, &w);
        if (rv == NULL) {
            cur(c)->skipped++;
            continue;
        }
        struct ps_label l[2] = {{"flag", keys[i]}, {"value", rv}};
        put1(c, "promsight_api_flag", l, 2, INT64_MIN, 1.0);
        if (rv != val)
            continue;                          /* never parse a secret */
        int64_t ms;
        double b;
        size_t vn = strlen(val);
        if (has_alpha(val) && ps_metrics_parse_duration(val, vn, &ms))
            put1(c, "promsight_api_flag_seconds", l, 1, INT64_MIN, (double)ms / 1000.0);
        else if (vn > 0 && val[vn - 1] == 'B' && ps_metrics_parse_bytes(val, vn, &b))
            put1(c, "promsight_api_flag_bytes", l, 1, INT64_MIN, b);
    }
    free(keys);
}

static int
looks_like_flags(json_t *data)
{
    const char *key;
    json_t *v;
    size_t dotted = 0;
    if (json_object_size(data) == 0)
        return 0;
    json_object_foreach(data, key, v) {
        if (!json_is_string(v))
            return 0;
        if (strchr(key, '.') != NULL)
            dotted++;
    }
    return dotted > 0;
}

/* ---- targets ---- */

static double
dur_s(json_t *v)
{
    const char *s = json_string_value(v);
    int64_t ms;
    if (s == NULL || !ps_metrics_parse_duration(s, strlen(s), &ms))
        return NAN;
    return (double)ms / 1000.0;
}

static void
targets(struct api_ctx *c, json_t *data)
{
    json_t *act = json_object_get(data, "activeTargets");
    json_t *drop = json_object_get(data, "droppedTargets");
    int64_t latest = INT64_MIN;
    size_t i;
    json_t *tg;
    json_array_foreach(act, i, tg) {
        if (c->fatal != PS_OK)
            return;
        int64_t t = INT64_MIN, ms;
        if (json_time(json_object_get(tg, "lastScrape"), &ms)) {
            t = ms;
            if (ms > latest)
                latest = ms;
        }
        size_t k = 0, w = 0;
        if (!labels_from(c, json_object_get(tg, "labels"), &k, &w, NULL)) {
            cur(c)->skipped++;
            continue;
        }
        const char *pool = json_string_value(json_object_get(tg, "scrapePool"));
        if (pool != NULL && (pool = redact_val(c, "scrape_pool", pool, &w)) != NULL)
            c->labs[k++] = (struct ps_label){"scrape_pool", pool};
        c->labs[k++] = (struct ps_label){"source", "api"};
        size_t nk = k;
        const char *health = json_string_value(json_object_get(tg, "health"));
        double up = NAN;
        if (health != NULL && strcmp(health, "up") == 0)
            up = 1;
        else if (health != NULL && strcmp(health, "down") == 0)
            up = 0;
        struct {
            const char *metric;
            double v;
        } vals[] = {
            {"promsight_api_target_up", up},
            {"promsight_api_target_scrape_duration_seconds",
             json_is_number(json_object_get(tg, "lastScrapeDuration"))
                 ? json_number_value(json_object_get(tg, "lastScrapeDuration")) : NAN},
            {"promsight_api_target_scrape_interval_seconds",
             dur_s(json_object_get(tg, "scrapeInterval"))},
            {"promsight_api_target_scrape_timeout_seconds",
             dur_s(json_object_get(tg, "scrapeTimeout"))},
        };
        for (size_t j = 0; j < sizeof(vals) / sizeof(vals[0]); j++) {
            uint32_t id;
            if (j > 0 && isnan(vals[j].v))
                continue;
            if (series(c, vals[j].metric, nk, &id))
                sample(c, id, t, vals[j].v);
        }
        const char *err = json_string_value(json_object_get(tg, "lastError"));
        if (err != NULL && *err != 0) {
            const char *url = json_string_value(json_object_get(tg, "scrapeUrl"));
            char raw[1024];
            snprintf(raw, sizeof(raw), "scrape of %s failed (health %s): %s",
                     url != NULL ? url : "?", health != NULL ? health : "?", err);
            char *msg = ps_metrics_redact_text(raw, strlen(raw), &cur(c)->redacted);
            if (msg == NULL) {
                c->fatal = PS_E_NOMEM;
                return;
            }
            struct ps_event ev = {
                .t = t != INT64_MIN ? t : (c->t != INT64_MIN ? c->t : 0),
                .cls = "scrape.target_error",
                .signature = NULL,
                .sev = PS_SEV_WARN,
                .labels = c->labs,
                .nlabels = nk,
                .message = msg,
                .src = c->src,
                .off = PS_OFF_NONE,
                .line = 0,
            };
            if (ev.t == 0)
                warn(c, PS_SEV_NOTE, PS_OFF_NONE, "target %zu: lastError without a "
                     "time: event not stored", i);
            else if (ps_facts_add_event(c->m->facts, &ev) == PS_OK)
                cur(c)->events++;
            free(msg);
        }
    }
    if (c->t == INT64_MIN && latest != INT64_MIN) {
        c->t = latest;
        cur(c)->time_src = PS_MTS_CONTENT;
        cur(c)->time_ms = latest;
    }
    put1(c, "promsight_api_targets_active", NULL, 0, INT64_MIN,
         (double)json_array_size(act));
    if (json_is_array(drop))
        put1(c, "promsight_api_targets_dropped", NULL, 0, INT64_MIN,
             (double)json_array_size(drop));
}

/* ---- dispatch ---- */

static const char *
kind_of(const struct ps_entry *e, json_t *data)
{
    if (json_is_object(data)) {
        if (json_object_get(data, "resultType") != NULL)
            return strstr(ps_metrics_basename(e->path), "query_range") != NULL
                       ? "query_range" : "query";
        if (json_object_get(data, "headStats") != NULL)
            return "status/tsdb";
        if (json_object_get(data, "activeTargets") != NULL)
            return "targets";
        if (json_is_string(json_object_get(data, "yaml")))
            return "status/config";
        if (json_object_get(data, "reloadConfigSuccess") != NULL ||
            json_object_get(data, "storageRetention") != NULL ||
            json_object_get(data, "goroutineCount") != NULL)
            return "status/runtimeinfo";
        if (json_object_get(data, "goVersion") != NULL &&
            json_object_get(data, "version") != NULL)
            return "status/buildinfo";
        if (looks_like_flags(data))
            return "status/flags";
    }
    return NULL;
}

enum ps_err
ps_metrics_load_api_json(struct ps_metrics *m, const struct ps_entry *e,
                         const uint8_t *p, size_t n)
{
    struct api_ctx c;
    memset(&c, 0, sizeof(c));
    c.m = m;
    c.e = e;
    long fi = ps_metrics_file_add(m, e->path, PS_MF_API_JSON);
    if (fi < 0)
        return PS_E_NOMEM;
    c.fi = (size_t)fi;
    cur(&c)->bytes = n;
    c.src = ps_facts_source(m->facts, e->path);
    c.t = INT64_MIN;
    int64_t t;
    if (ps_metrics_time_from_name(e->path, &t)) {
        c.t = t;
        cur(&c)->time_src = PS_MTS_FILENAME;
        cur(&c)->time_ms = t;
    } else if (e->mtime_ms != 0) {
        cur(&c)->time_ms = e->mtime_ms;   /* last resort, see ps_metrics_finish */
    }
    char *copy = malloc(n + 1);
    c.tmpcap = 2 * m->lim.max_line + 64;
    c.tmp = malloc(c.tmpcap);
    c.labs = malloc((m->lim.max_labels + 4) * sizeof(*c.labs));
    if (copy == NULL || c.tmp == NULL || c.labs == NULL) {
        free(copy);
        free(c.tmp);
        free(c.labs);
        return PS_E_NOMEM;
    }
    memcpy(copy, p, n);
    copy[n] = 0;
    uint64_t first = 0;
    size_t cuts = cut_deep(copy, n, m->lim.max_json_depth, &first);
    if (cuts != 0)
        ps_diag_add(m->diags, PS_SEV_WARN, PS_E_LIMIT, e->path, first, 0,
                    "metrics: API JSON", "nesting deeper than %u levels: %zu "
                    "subtree(s) replaced by null, the rest is read",
                    m->lim.max_json_depth, cuts);
    json_error_t jerr;
    json_t *root = json_loadb(copy, n, JSON_REJECT_DUPLICATES, &jerr);
    free(copy);
    if (root == NULL) {
        ps_diag_add(m->diags, PS_SEV_WARN, PS_E_SYNTAX, e->path,
                    jerr.position >= 0 ? (uint64_t)jerr.position : PS_OFF_NONE, 0,
                    "metrics: API JSON", "does not parse (line %d column %d): %s",
                    jerr.line, jerr.column, jerr.text);
        cur(&c)->skipped++;
        goto out;
    }
    const char *status = json_string_value(json_object_get(root, "status"));
    if (status != NULL && strcmp(status, "success") != 0) {
        const char *et = json_string_value(json_object_get(root, "errorType"));
        const char *er = json_string_value(json_object_get(root, "error"));
        char *red = er != NULL ? ps_metrics_redact_text(er, strlen(er), &cur(&c)->redacted)
                               : NULL;
        ps_diag_add(m->diags, PS_SEV_WARN, PS_E_SYNTAX, e->path, PS_OFF_NONE, 0,
                    "metrics: API JSON", "the API answered status \"%s\" (%s: %s)",
                    status, et != NULL ? et : "-", red != NULL ? red : "-");
        free(red);
        goto out;
    }
    json_t *data = json_object_get(root, "data");
    const char *kind = kind_of(e, data);
    if (kind == NULL) {
        ps_diag_add(m->diags, PS_SEV_NOTE, PS_E_UNSUPPORTED, e->path, PS_OFF_NONE, 0,
                    "metrics: API JSON", "not an API answer promsight reads "
                    "(query, query_range, status/tsdb|runtimeinfo|flags|buildinfo|"
                    "config, targets): skipped");
        goto out;
    }
    cur(&c)->api_kind = kind;
    if (strcmp(kind, "query") == 0 || strcmp(kind, "query_range") == 0) {
        /* Every point carries its own time. */
        cur(&c)->time_src = PS_MTS_SAMPLE;
        cur(&c)->time_ms = INT64_MIN;
        query_result(&c, data);
        if (cur(&c)->samples == 0)
            cur(&c)->time_src = PS_MTS_NONE;
    }
    else if (strcmp(kind, "status/tsdb") == 0)
        status_tsdb(&c, data);
    else if (strcmp(kind, "targets") == 0)
        targets(&c, data);
    else if (strcmp(kind, "status/runtimeinfo") == 0)
        status_runtime(&c, data);
    else if (strcmp(kind, "status/buildinfo") == 0)
        status_build(&c, data);
    else if (strcmp(kind, "status/flags") == 0)
        status_flags(&c, data);
    else if (strcmp(kind, "status/config") == 0) {
        json_t *y = json_object_get(data, "yaml");
        if (m->config_fn != NULL) {
            enum ps_err r = m->config_fn(m->config_ctx, e, json_string_value(y),
                                         json_string_length(y));
            if (r != PS_OK)
                ps_diag_add(m->diags, PS_SEV_WARN, r, e->path, PS_OFF_NONE, 0,
                            "metrics: API JSON", "status/config: the config "
                            "stage failed: %s", ps_strerror(r));
        } else {
            ps_diag_add(m->diags, PS_SEV_NOTE, PS_OK, e->path, PS_OFF_NONE, 0,
                        "metrics: API JSON", "status/config: YAML not stored "
                        "as facts (the config stage reads configurations)");
        }
    }
    if (c.ndiags > PS_API_MAX_ITEM_DIAGS)
        ps_diag_add(m->diags, PS_SEV_WARN, PS_E_SYNTAX, e->path, PS_OFF_NONE, 0,
                    "metrics: API JSON", "%llu more problems not shown",
                    (unsigned long long)(c.ndiags - PS_API_MAX_ITEM_DIAGS));
out:
    json_decref(root);
    free(c.tmp);
    free(c.labs);
    return c.fatal;
}
