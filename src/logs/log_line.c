/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * log_line.c - what one log line says: its framing (CRI, kubectl
 * --timestamps), and its body's format, time and level.
 *
 * Line shapes read here (signatures-and-anchors.md section 5):
 *   CRI (containerd)  2026-11-24T06:34:45.1234Z stdout F <msg>
 *                     (RFC3339Nano, trailing zeros trimmed: 0..9 digits)
 *   CRI (CRI-O)       2026-11-24T06:34:45.123456789+09:00 stderr P <msg>
 *                     (tag P = partial, F = full; more tags after ':')
 *   kubectl --timestamps   2026-11-24T06:34:45.123456789Z <msg>
 * Body formats:
 *   logfmt   ts=2026-11-24T06:34:45.179Z caller=main.go:185 level=info msg=..
 *            time=2025-06-17T09:15:18.698Z level=WARN source=q.go:2031 msg=..
 *   JSON     {"caller":"main.go:513","level":"info","msg":"..","ts":"..."}
 *            rewritten as logfmt (nested objects flattened with dots) so
 *            one signature pattern serves both.
 *   klog     I1124 06:34:45.123456   12345 file.go:123] msg   (no year)
 *   plain    anything else: no level, no time.
 * Every time becomes UTC milliseconds (fractions beyond ms truncated).
 */
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "logs/logs_int.h"

static const char *const shape_names[PS_LSHAPE__COUNT] = {
    "empty", "bare", "kubectl_timestamps", "cri", "docker_json", "es_ndjson",
    "es_hits",
};
static const char *const format_names[PS_LFMT__COUNT] = {
    "plain", "logfmt", "json", "klog",
};
static const char *const level_names[PS_LLVL__COUNT] = {
    "unknown", "debug", "info", "warn", "error", "fatal",
};

const char *
ps_log_shape_name(enum ps_log_shape s)
{
    return (unsigned)s < PS_LSHAPE__COUNT ? shape_names[s] : "unknown";
}

const char *
ps_log_format_name(enum ps_log_format f)
{
    return (unsigned)f < PS_LFMT__COUNT ? format_names[f] : "unknown";
}

const char *
ps_log_level_name(enum ps_log_level l)
{
    return (unsigned)l < PS_LLVL__COUNT ? level_names[l] : "unknown";
}

enum ps_log_level
ps_log_level_parse(const char *s, size_t n)
{
    static const struct {
        const char *w;
        enum ps_log_level l;
    } words[] = {
        {"debug", PS_LLVL_DEBUG}, {"trace", PS_LLVL_DEBUG},
        {"info", PS_LLVL_INFO},   {"notice", PS_LLVL_INFO},
        {"warning", PS_LLVL_WARN}, {"warn", PS_LLVL_WARN},
        {"error", PS_LLVL_ERROR}, {"err", PS_LLVL_ERROR},
        {"fatal", PS_LLVL_FATAL}, {"panic", PS_LLVL_FATAL},
        {"dpanic", PS_LLVL_FATAL}, {"critical", PS_LLVL_FATAL},
        {"crit", PS_LLVL_FATAL},  {"emerg", PS_LLVL_FATAL},
        {"alert", PS_LLVL_FATAL},
    };
    if (n == 1) {
        switch (s[0]) {
        case 'D': case 'd': return PS_LLVL_DEBUG;
        case 'I': case 'i': return PS_LLVL_INFO;
        case 'W': case 'w': return PS_LLVL_WARN;
        case 'E': case 'e': return PS_LLVL_ERROR;
        case 'F': case 'f': return PS_LLVL_FATAL;
        default: return PS_LLVL_UNKNOWN;
        }
    }
    /* slog writes WARN+2, ERROR-4 for levels between the named ones. */
    size_t m = 0;
    while (m < n && s[m] != '+' && s[m] != '-')
        m++;
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strlen(words[i].w) == m && strncasecmp(s, words[i].w, m) == 0)
            return words[i].l;
    return PS_LLVL_UNKNOWN;
}

static int
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

size_t
ps_log_time_token(const char *s, size_t n, int64_t *ms)
{
    /* Shortest: 2006-01-02T15:04:05Z (20 bytes). Longest we accept:
     * 9 fraction digits and a +hh:mm offset (35 bytes). */
    if (n < 20 || !is_digit(s[0]) || s[4] != '-' || s[10] != 'T')
        return 0;
    size_t e = 19;
    while (e < n && e < 40 && s[e] != ' ')
        e++;
    if (e >= 40)
        return 0;
    return ps_parse_rfc3339_ms(s, e, ms) ? e : 0;
}

int
ps_log_parse_cri(const char *s, size_t n, int64_t *t, int *partial,
                 const char **msg, size_t *msg_n)
{
    size_t e = ps_log_time_token(s, n, t);
    if (e == 0 || e + 8 > n || s[e] != ' ')
        return 0;
    size_t i = e + 1;
    if (memcmp(s + i, "stdout ", 7) != 0 && memcmp(s + i, "stderr ", 7) != 0)
        return 0;
    i += 7;
    if (i >= n || (s[i] != 'P' && s[i] != 'F'))
        return 0;
    *partial = s[i] == 'P';
    i++;
    /* Further tags: "F:x". */
    if (i < n && s[i] == ':')
        while (i < n && s[i] != ' ')
            i++;
    if (i < n && s[i] != ' ')
        return 0;
    if (i < n)
        i++;
    *msg = s + i;
    *msg_n = n - i;
    return 1;
}

int
ps_log_parse_kubectl(const char *s, size_t n, int64_t *t, const char **msg,
                     size_t *msg_n)
{
    size_t e = ps_log_time_token(s, n, t);
    if (e == 0 || (e < n && s[e] != ' '))
        return 0;
    size_t i = e < n ? e + 1 : e;
    *msg = s + i;
    *msg_n = n - i;
    return 1;
}

int
ps_log_year_of(int64_t ms)
{
    /* Civil-from-days (Howard Hinnant), enough for the year. */
    int64_t z = (ms >= 0 ? ms / 86400000 : (ms - 86399999) / 86400000) + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    return (int)(y + (m <= 2));
}

/* klog: [IWEF]mmdd hh:mm:ss.uuuuuu ... */
static int
parse_klog(const char *s, size_t n, int year, struct ps_log_body *b)
{
    if (n < 21 || strchr("IWEF", s[0]) == NULL || s[0] == 0)
        return 0;
    for (int i = 1; i <= 4; i++)
        if (!is_digit(s[i]))
            return 0;
    if (s[5] != ' ' || !is_digit(s[6]) || s[8] != ':' || s[11] != ':' ||
        s[14] != '.')
        return 0;
    b->fmt = PS_LFMT_KLOG;
    b->level = ps_log_level_parse(s, 1);
    if (year <= 0 || year > 9999)
        return 1;
    size_t fe = 15;
    while (fe < n && fe < 21 && is_digit(s[fe]))
        fe++;
    char buf[48];
    int k = snprintf(buf, sizeof(buf), "%04d-%.2s-%.2sT%.8s.%.*sZ", year,
                     s + 1, s + 3, s + 6, (int)(fe - 15), s + 15);
    int64_t ms;
    if (k > 0 && (size_t)k < sizeof(buf) && fe > 15 &&
        ps_parse_rfc3339_ms(buf, (size_t)k, &ms)) {
        b->t = ms;
        b->has_t = 1;
        b->klog_no_year = 1;
    }
    return 1;
}

static int
looks_logfmt(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && i < 64 &&
           ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
            is_digit(s[i]) || s[i] == '_' || s[i] == '.' || s[i] == '@' ||
            s[i] == '-'))
        i++;
    return i > 0 && i < n && s[i] == '=';
}

static void
logfmt_body(const char *s, size_t n, struct ps_log_body *b)
{
    struct ps_logfmt_pair pairs[48];
    int unterminated = 0;
    size_t np = ps_logfmt_parse(s, n, pairs, 48, &unterminated);
    if (np > 48)
        np = 48;
    b->fmt = PS_LFMT_LOGFMT;
    b->unterminated = unterminated;
    for (size_t i = 0; i < np; i++) {
        const struct ps_logfmt_pair *p = &pairs[i];
        if ((p->kn == 5 && memcmp(p->k, "level", 5) == 0) ||
            (p->kn == 3 && memcmp(p->k, "lvl", 3) == 0)) {
            b->level = ps_log_level_parse(p->v, p->vn);
        } else if (!b->has_t && ((p->kn == 2 && memcmp(p->k, "ts", 2) == 0) ||
                                 (p->kn == 4 && memcmp(p->k, "time", 4) == 0))) {
            int64_t ms;
            if (ps_parse_rfc3339_ms(p->v, p->vn, &ms)) {
                b->t = ms;
                b->has_t = 1;
            }
        }
    }
}

/* Append a JSON value as logfmt pairs, flattening objects with dots. */
static void
put_json(struct ps_buf *o, const char *prefix, size_t pn, json_t *v, int depth)
{
    if (json_is_object(v) && depth < 4) {
        const char *k;
        json_t *m;
        json_object_foreach(v, k, m) {
            char key[256];
            int kn = pn > 0 ? snprintf(key, sizeof(key), "%.*s.%s", (int)pn,
                                       prefix, k)
                            : snprintf(key, sizeof(key), "%s", k);
            if (kn <= 0)
                continue;
            if ((size_t)kn >= sizeof(key))
                kn = (int)sizeof(key) - 1;
            put_json(o, key, (size_t)kn, m, depth + 1);
        }
        return;
    }
    if (o->n > 0)
        ps_buf_append(o, " ", 1);
    ps_buf_append(o, prefix, pn);
    ps_buf_append(o, "=", 1);
    if (json_is_string(v)) {
        ps_logfmt_put_value(o, json_string_value(v), json_string_length(v));
    } else {
        char *d = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        if (d != NULL) {
            ps_logfmt_put_value(o, d, strlen(d));
            free(d);
        }
    }
}

static const char *
json_str_member(json_t *o, const char *k, size_t *n)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_string(v))
        return NULL;
    *n = json_string_length(v);
    return json_string_value(v);
}

static int
json_body(const char *s, size_t n, struct ps_buf *scratch,
          struct ps_log_body *b)
{
    json_error_t jerr;
    json_t *j = json_loadb(s, n, JSON_ALLOW_NUL, &jerr);
    if (!json_is_object(j)) {
        json_decref(j);
        return 0;
    }
    b->fmt = PS_LFMT_JSON;
    size_t vn;
    const char *v;
    if ((v = json_str_member(j, "level", &vn)) != NULL ||
        (v = json_str_member(j, "severity", &vn)) != NULL ||
        (v = json_str_member(j, "lvl", &vn)) != NULL)
        b->level = ps_log_level_parse(v, vn);
    static const char *const tkeys[] = {"ts", "time", "@timestamp", "timestamp"};
    for (size_t i = 0; i < 4 && !b->has_t; i++) {
        int64_t ms;
        if ((v = json_str_member(j, tkeys[i], &vn)) != NULL &&
            ps_parse_rfc3339_ms(v, vn, &ms)) {
            b->t = ms;
            b->has_t = 1;
        }
    }
    scratch->n = 0;
    put_json(scratch, "", 0, j, 0);
    json_decref(j);
    b->text = (const char *)scratch->p;
    b->n = scratch->n;
    if (b->text == NULL)
        b->text = "";
    return 1;
}

void
ps_log_parse_body(const char *s, size_t n, int year_hint,
                  struct ps_buf *scratch, struct ps_log_body *out)
{
    memset(out, 0, sizeof(*out));
    out->text = s;
    out->n = n;
    out->fmt = PS_LFMT_PLAIN;
    if (n == 0)
        return;
    if (s[0] == '{' && json_body(s, n, scratch, out))
        return;
    if (looks_logfmt(s, n)) {
        logfmt_body(s, n, out);
        return;
    }
    parse_klog(s, n, year_hint, out);
}

enum ps_log_shape
ps_log_detect_shape(const char *s, size_t n)
{
    int64_t t;
    int partial;
    const char *m;
    size_t mn;
    if (n == 0)
        return PS_LSHAPE_EMPTY;
    if (s[0] == '{') {
        json_error_t jerr;
        json_t *j = json_loadb(s, n, JSON_ALLOW_NUL, &jerr);
        enum ps_log_shape sh = PS_LSHAPE_BARE;
        if (j == NULL) {
            /* A pretty-printed document: a search response. */
            sh = PS_LSHAPE_ES_HITS;
        } else if (json_is_object(j)) {
            if (json_object_get(j, "hits") != NULL)
                sh = PS_LSHAPE_ES_HITS;
            else if (json_object_get(j, "_source") != NULL ||
                     json_object_get(j, "@timestamp") != NULL ||
                     json_object_get(j, "kubernetes") != NULL ||
                     json_object_get(j, "kubernetes.pod_name") != NULL)
                sh = PS_LSHAPE_ES_NDJSON;
            else if (json_is_string(json_object_get(j, "log")) &&
                     json_object_get(j, "stream") != NULL)
                sh = PS_LSHAPE_DOCKER_JSON;
        }
        json_decref(j);
        return sh;
    }
    if (ps_log_parse_cri(s, n, &t, &partial, &m, &mn))
        return PS_LSHAPE_CRI;
    if (ps_log_parse_kubectl(s, n, &t, &m, &mn))
        return PS_LSHAPE_KUBECTL_TS;
    return PS_LSHAPE_BARE;
}
