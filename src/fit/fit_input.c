/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fit_input.c - reading a bare series for 'promsight forecast': CSV
 * ("time,value", epoch s/ms or RFC 3339) or the JSON the Prometheus HTTP
 * API returns for query_range (matrix) and query (vector). Also the
 * duration syntax used by --horizon and --window.
 *
 * Everything here is untrusted: lines are copied into bounded buffers
 * before number parsing (the input is not NUL-terminated), counts are
 * capped (PS_FIT_INPUT_MAX_SERIES / _POINTS), and every rejected line or
 * value becomes a diagnostic with its line number.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "promsight/ps_fit.h"
#include "promsight/ps_util.h"

#define PHASE_CSV "forecast: csv"
#define PHASE_JSON "forecast: api json"
#define CSV_MAX_FIELDS 64
#define FIELD_MAX 128 /* longest number or timestamp we accept */

struct builder {
    struct ps_fit_input *out;
    size_t *cap;       /* per series capacity of t and v */
    size_t cap_series;
    size_t total;
};

static enum ps_err
add_series(struct builder *b, const char *name, size_t *idx)
{
    if (b->out->n >= PS_FIT_INPUT_MAX_SERIES)
        return PS_E_LIMIT;
    size_t cs = b->cap_series;
    if (ps_grow((void **)&b->out->s, &b->cap_series, b->out->n + 1,
                sizeof(*b->out->s)) != PS_OK)
        return PS_E_NOMEM;
    if (ps_grow((void **)&b->cap, &cs, b->out->n + 1, sizeof(*b->cap)) != PS_OK)
        return PS_E_NOMEM;
    struct ps_fit_input_series *s = &b->out->s[b->out->n];
    memset(s, 0, sizeof(*s));
    b->cap[b->out->n] = 0;
    s->name = strdup(name);
    if (s->name == NULL)
        return PS_E_NOMEM;
    *idx = b->out->n++;
    return PS_OK;
}

static enum ps_err
add_point(struct builder *b, size_t idx, double t, double v)
{
    if (b->total >= PS_FIT_INPUT_MAX_POINTS)
        return PS_E_LIMIT;
    struct ps_fit_input_series *s = &b->out->s[idx];
    if (s->n == b->cap[idx]) {
        size_t c = b->cap[idx];
        if (ps_grow((void **)&s->t, &c, s->n + 1, sizeof(double)) != PS_OK)
            return PS_E_NOMEM;
        c = b->cap[idx];
        if (ps_grow((void **)&s->v, &c, s->n + 1, sizeof(double)) != PS_OK)
            return PS_E_NOMEM;
        b->cap[idx] = c;
    }
    s->t[s->n] = t;
    s->v[s->n] = v;
    s->n++;
    b->total++;
    return PS_OK;
}

void
ps_fit_input_free(struct ps_fit_input *in)
{
    if (in == NULL)
        return;
    for (size_t i = 0; i < in->n; i++) {
        free(in->s[i].name);
        free(in->s[i].t);
        free(in->s[i].v);
    }
    free(in->s);
    in->s = NULL;
    in->n = 0;
}

/* Copy [s, s+n) trimmed into buf (NUL-terminated); 0 if too long. */
static int
field_copy(const char *s, size_t n, char *buf, size_t cap)
{
    while (n > 0 && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
        s++;
        n -= 2;
    }
    if (n >= cap)
        return 0;
    memcpy(buf, s, n);
    buf[n] = 0;
    return 1;
}

/* Whole string is a float (strtod syntax incl. NaN, Inf). */
static int
parse_num(const char *s, double *x)
{
    if (*s == 0)
        return 0;
    char *end;
    *x = strtod(s, &end);
    return *end == 0;
}

/* epoch seconds, epoch ms (|t| > 1e11) or RFC 3339 -> seconds */
static int
parse_time(const char *s, double *t)
{
    double x;
    if (parse_num(s, &x)) {
        if (!isfinite(x))
            return 0;
        *t = fabs(x) > 1e11 ? x / 1000 : x;
        return 1;
    }
    int64_t ms;
    if (ps_parse_rfc3339_ms(s, strlen(s), &ms)) {
        *t = (double)ms / 1000;
        return 1;
    }
    return 0;
}

/* Split a line into fields at sep; returns the count (<= CSV_MAX_FIELDS). */
static size_t
split(const char *line, size_t n, char sep, const char **fs, size_t *fl)
{
    size_t nf = 0, start = 0;
    for (size_t i = 0; i <= n && nf < CSV_MAX_FIELDS; i++)
        if (i == n || line[i] == sep) {
            fs[nf] = line + start;
            fl[nf] = i - start;
            nf++;
            start = i + 1;
        }
    return nf;
}

static enum ps_err
parse_csv(const char *buf, size_t len, const char *path, struct builder *b,
          struct ps_diags *d)
{
    char sep = 0;
    size_t ncols = 0, first_series = b->out->n;
    uint32_t lineno = 0;
    size_t pos = 0;
    enum ps_err rc = PS_OK;
    char f[FIELD_MAX];
    while (pos < len && rc == PS_OK) {
        const char *line = buf + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t n = nl != NULL ? (size_t)(nl - line) : len - pos;
        pos += n + (nl != NULL);
        lineno++;
        if (n > 0 && line[n - 1] == '\r')
            n--;
        size_t k = 0;
        while (k < n && isspace((unsigned char)line[k]))
            k++;
        if (k == n || line[k] == '#')
            continue;
        if (sep == 0)
            sep = memchr(line, ',', n) ? ',' : memchr(line, ';', n) ? ';'
                : memchr(line, '\t', n) ? '\t' : ',';
        const char *fs[CSV_MAX_FIELDS];
        size_t fl[CSV_MAX_FIELDS];
        size_t nf = split(line, n, sep, fs, fl);
        double t = 0;
        int time_ok = field_copy(fs[0], fl[0], f, sizeof(f)) && parse_time(f, &t);
        if (ncols == 0) {
            if (nf < 2) {
                ps_diag_add(d, PS_SEV_ERROR, PS_E_SYNTAX, path, PS_OFF_NONE,
                            lineno, PHASE_CSV, "expected 'time,value'");
                return PS_E_SYNTAX;
            }
            ncols = nf;
            for (size_t j = 1; j < nf && rc == PS_OK; j++) {
                char name[FIELD_MAX];
                size_t idx;
                if (time_ok || !field_copy(fs[j], fl[j], name, sizeof(name)) ||
                    name[0] == 0) {
                    if (nf == 2)
                        snprintf(name, sizeof(name), "value");
                    else
                        snprintf(name, sizeof(name), "column %zu", j + 1);
                }
                rc = add_series(b, name, &idx);
            }
            if (rc != PS_OK || !time_ok)
                continue; /* a header row */
        }
        if (!time_ok) {
            ps_diag_add(d, PS_SEV_WARN, PS_E_SYNTAX, path, PS_OFF_NONE, lineno,
                        PHASE_CSV, "time is not epoch seconds, ms or RFC 3339");
            continue;
        }
        for (size_t j = 1; j < nf && j < ncols && rc == PS_OK; j++) {
            double v;
            if (!field_copy(fs[j], fl[j], f, sizeof(f)) || f[0] == 0)
                continue;
            if (!parse_num(f, &v)) {
                ps_diag_add(d, PS_SEV_WARN, PS_E_SYNTAX, path, PS_OFF_NONE,
                            lineno, PHASE_CSV, "column %zu is not a number", j + 1);
                continue;
            }
            rc = add_point(b, first_series + j - 1, t, v);
        }
    }
    if (rc == PS_E_LIMIT)
        ps_diag_add(d, PS_SEV_ERROR, rc, path, PS_OFF_NONE, lineno, PHASE_CSV,
                    "more than %d series or %d points", PS_FIT_INPUT_MAX_SERIES,
                    PS_FIT_INPUT_MAX_POINTS);
    return rc;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* metric{a="x",b="y"} with label names sorted; NULL on OOM. */
static char *
series_name(json_t *metric)
{
    struct ps_buf out = {0};
    size_t nk = json_is_object(metric) ? json_object_size(metric) : 0;
    const char **keys = calloc(nk + 1, sizeof(*keys));
    if (keys == NULL)
        return NULL;
    size_t m = 0;
    const char *key;
    json_t *val;
    if (nk > 0)
        json_object_foreach(metric, key, val) if (m < nk && strcmp(key, "__name__") != 0)
            keys[m++] = key;
    qsort(keys, m, sizeof(*keys), cmp_str);
    json_t *nm = json_object_get(metric, "__name__");
    enum ps_err rc = ps_buf_printf(&out, "%s", json_is_string(nm) ? json_string_value(nm) : "");
    if (m > 0)
        rc |= ps_buf_append(&out, "{", 1);
    for (size_t i = 0; i < m; i++) {
        const char *v = json_string_value(json_object_get(metric, keys[i]));
        rc |= ps_buf_printf(&out, "%s%s=\"", i ? "," : "", keys[i]);
        for (const char *p = v != NULL ? v : ""; *p; p++) {
            if (*p == '"' || *p == '\\')
                rc |= ps_buf_append(&out, "\\", 1);
            rc |= ps_buf_append(&out, p, 1);
        }
        rc |= ps_buf_append(&out, "\"", 1);
    }
    if (m > 0)
        rc |= ps_buf_append(&out, "}", 1);
    if (out.n == 0)
        rc |= ps_buf_printf(&out, "{}");
    rc |= ps_buf_append(&out, "", 1);
    free(keys);
    if (rc != PS_OK) {
        ps_buf_free(&out);
        return NULL;
    }
    return (char *)out.p;
}

/* One [time, "value"] pair -> t, v; 0 if malformed. */
static int
api_pair(json_t *pair, double *t, double *v)
{
    if (!json_is_array(pair) || json_array_size(pair) != 2)
        return 0;
    json_t *jt = json_array_get(pair, 0), *jv = json_array_get(pair, 1);
    if (!json_is_number(jt))
        return 0;
    *t = json_number_value(jt);
    if (json_is_number(jv)) {
        *v = json_number_value(jv);
        return 1;
    }
    char f[FIELD_MAX];
    if (!json_is_string(jv) || !field_copy(json_string_value(jv),
                                           json_string_length(jv), f, sizeof(f)))
        return 0;
    return parse_num(f, v) && isfinite(*t);
}

static enum ps_err
parse_api_json(const char *buf, size_t len, const char *path, struct builder *b,
               struct ps_diags *d)
{
    json_error_t err;
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err);
    if (root == NULL) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_SYNTAX, path, PS_OFF_NONE,
                    err.line > 0 ? (uint32_t)err.line : 0, PHASE_JSON, "%s", err.text);
        return PS_E_SYNTAX;
    }
    json_t *data = json_object_get(root, "data");
    if (data == NULL)
        data = root;
    json_t *result = json_object_get(data, "result");
    const char *type = json_string_value(json_object_get(data, "resultType"));
    enum ps_err rc = PS_OK;
    if (!json_is_array(result) || type == NULL ||
        (strcmp(type, "matrix") != 0 && strcmp(type, "vector") != 0)) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_SYNTAX, path, PS_OFF_NONE, 0, PHASE_JSON,
                    "expected data.resultType \"matrix\" or \"vector\" and "
                    "data.result");
        json_decref(root);
        return PS_E_SYNTAX;
    }
    int matrix = strcmp(type, "matrix") == 0;
    size_t i;
    json_t *r;
    json_array_foreach(result, i, r)
    {
        if (rc != PS_OK)
            break;
        char *name = series_name(json_object_get(r, "metric"));
        if (name == NULL) {
            rc = PS_E_NOMEM;
            break;
        }
        size_t idx;
        rc = add_series(b, name, &idx);
        free(name);
        if (rc != PS_OK)
            break;
        size_t bad = 0;
        double t, v;
        if (matrix) {
            json_t *vals = json_object_get(r, "values"), *pair;
            size_t j;
            if (!json_is_array(vals))
                bad++;
            json_array_foreach(vals, j, pair)
            {
                if (!api_pair(pair, &t, &v))
                    bad++;
                else if ((rc = add_point(b, idx, t, v)) != PS_OK)
                    break;
            }
        } else if (!api_pair(json_object_get(r, "value"), &t, &v)) {
            bad++;
        } else {
            rc = add_point(b, idx, t, v);
        }
        if (bad > 0)
            ps_diag_add(d, PS_SEV_WARN, PS_E_SYNTAX, path, PS_OFF_NONE, 0,
                        PHASE_JSON, "result %zu: %zu malformed sample%s skipped",
                        i, bad, bad == 1 ? "" : "s");
    }
    if (rc == PS_E_LIMIT)
        ps_diag_add(d, PS_SEV_ERROR, rc, path, PS_OFF_NONE, 0, PHASE_JSON,
                    "more than %d series or %d points", PS_FIT_INPUT_MAX_SERIES,
                    PS_FIT_INPUT_MAX_POINTS);
    json_decref(root);
    return rc;
}

enum ps_err
ps_fit_input_parse(const char *buf, size_t len, const char *path,
                   struct ps_fit_input *out, struct ps_diags *d)
{
    memset(out, 0, sizeof(*out));
    struct builder b = {out, NULL, 0, 0};
    size_t k = 0;
    while (k < len && isspace((unsigned char)buf[k]))
        k++;
    enum ps_err rc;
    if (k < len && (buf[k] == '{' || buf[k] == '['))
        rc = parse_api_json(buf, len, path, &b, d);
    else
        rc = parse_csv(buf, len, path, &b, d);
    free(b.cap);
    if (rc == PS_E_NOMEM) {
        ps_fit_input_free(out);
        return rc;
    }
    if (rc == PS_OK && (out->n == 0 || b.total == 0)) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_SYNTAX, path, PS_OFF_NONE, 0,
                    "forecast: input", "no samples found");
        rc = PS_E_SYNTAX;
    }
    return rc;
}

int
ps_fit_parse_duration(const char *s, double *sec)
{
    if (s == NULL || *s == 0)
        return -1;
    char *end;
    double x = strtod(s, &end);
    if (*end == 0) {
        if (!isfinite(x) || x < 0)
            return -1;
        *sec = x;
        return 0;
    }
    double total = 0;
    const char *p = s;
    while (*p) {
        if (!isdigit((unsigned char)*p))
            return -1;
        double num = 0;
        while (isdigit((unsigned char)*p)) {
            num = num * 10 + (*p - '0');
            if (num > 1e12)
                return -1;
            p++;
        }
        double unit;
        if (p[0] == 'm' && p[1] == 's') {
            unit = 0.001;
            p += 2;
        } else {
            switch (*p) {
            case 'y': unit = 365 * 86400.0; break;
            case 'w': unit = 7 * 86400.0; break;
            case 'd': unit = 86400; break;
            case 'h': unit = 3600; break;
            case 'm': unit = 60; break;
            case 's': unit = 1; break;
            default: return -1;
            }
            p++;
        }
        total += num * unit;
    }
    *sec = total;
    return 0;
}
