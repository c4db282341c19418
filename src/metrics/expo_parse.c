/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * expo_parse.c - one line of the Prometheus text exposition format 0.0.4
 * or OpenMetrics 1.0 into a struct ps_expo_item: a single hand-written
 * pass over the bytes, no regular expressions and no allocation (labels
 * and unescaped strings go to the parser's scratch, sized once from the
 * line limit).
 *
 * Grammar accepted (ws = space or tab; both formats in one parser, the
 * loader decides what a timestamp means):
 *
 *   line     = ws* ( comment | sample )? ws*
 *   comment  = "#" ws* ( "HELP" ws name ( ws text )?
 *                      | "TYPE" ws name ws type
 *                      | "UNIT" ws name ( ws unit )?
 *                      | "EOF"                      -- exactly "# EOF"
 *                      | anything )
 *   sample   = name ws* ( "{" labels? "}" )? ws+ value ( ws+ ts )?
 *              ( ws* "#" ws* exemplar )?            -- OpenMetrics, skipped
 *   labels   = label ( ws* "," ws* label )* ( ws* "," )? ws*
 *   label    = lname ws* "=" ws* '"' ( char | "\\" | "\"" | "\n" )* '"'
 *   name     = [a-zA-Z_:][a-zA-Z0-9_:]*     lname = [a-zA-Z_][a-zA-Z0-9_]*
 *   value    = decimal float, [+-]Inf(inity), NaN (any case); no hex, no '_'
 *   ts       = integer (text format: ms) or float (OpenMetrics: seconds)
 *   type     = counter | gauge | histogram | summary | untyped
 *            | unknown | info | stateset | gaugehistogram
 *
 * HELP text unescapes "\\" and "\n" (and "\"" for OpenMetrics). Any other
 * escape in a label value is an error, as in Prometheus' text parser.
 */
#include "metrics/metrics_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Character classes for names (bit 1: first char, bit 2: later chars). */
enum { C_FIRST = 1, C_REST = 2, C_LFIRST = 4, C_LREST = 8 };
static unsigned char cls[256];
static int cls_ready;

static void
cls_init(void)
{
    for (int c = 0; c < 256; c++) {
        unsigned char v = 0;
        int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        int digit = c >= '0' && c <= '9';
        if (alpha || c == ':')
            v |= C_FIRST | C_REST;
        if (digit)
            v |= C_REST | C_LREST;
        if (alpha)
            v |= C_LFIRST | C_LREST;
        cls[c] = v;
    }
    cls_ready = 1;
}

static const char *const TYPES[] = {
    "counter", "gauge", "histogram", "summary", "untyped",
    "unknown", "info", "stateset", "gaugehistogram",
};

enum ps_err
ps_expo_parser_init(struct ps_expo_parser *p, size_t max_line, size_t max_labels)
{
    memset(p, 0, sizeof(*p));
    if (!cls_ready)
        cls_init();
    if (max_line > (SIZE_MAX - 64) / 2 || max_labels == 0 ||
        max_labels > SIZE_MAX / sizeof(struct ps_expo_label))
        return PS_E_USAGE;
    p->scratch_cap = max_line * 2 + 64;
    p->scratch = malloc(p->scratch_cap);
    p->labels = malloc(max_labels * sizeof(*p->labels));
    p->max_labels = max_labels;
    if (p->scratch == NULL || p->labels == NULL) {
        ps_expo_parser_free(p);
        return PS_E_NOMEM;
    }
    return PS_OK;
}

void
ps_expo_parser_free(struct ps_expo_parser *p)
{
    if (p == NULL)
        return;
    free(p->scratch);
    free(p->labels);
    memset(p, 0, sizeof(*p));
}

static inline int
is_ws(char c)
{
    return c == ' ' || c == '\t';
}

/* ---- floats ---- */

static const double POW10[] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

static int
ieq(const char *s, size_t n, const char *lit)
{
    size_t k = strlen(lit);
    if (n != k)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != lit[i])
            return 0;
    }
    return 1;
}

/*
 * Slow path: strtod on a NUL-terminated copy, whole token consumed. Only
 * decimal digits, '.', exponents and signs: Prometheus' text parser
 * rejects hex floats and '_' (client_golang expfmt parseFloat).
 */
static int
float_slow(const char *s, size_t n, double *v)
{
    char buf[128];
    if (n == 0 || n >= sizeof(buf))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' ||
              c == '+' || c == '-'))
            return 0;
    }
    memcpy(buf, s, n);
    buf[n] = 0;
    char *end;
    double d = strtod(buf, &end);
    if (end != buf + n)
        return 0;
    *v = d;
    return 1;
}

int
ps_expo_parse_float(const char *s, size_t n, double *v)
{
    if (n == 0)
        return 0;
    size_t i = 0;
    int neg = 0;
    if (s[0] == '+' || s[0] == '-') {
        neg = s[0] == '-';
        i = 1;
    }
    if (i < n && (s[i] == 'i' || s[i] == 'I' || s[i] == 'n' || s[i] == 'N')) {
        if (ieq(s + i, n - i, "inf") || ieq(s + i, n - i, "infinity")) {
            *v = neg ? -HUGE_VAL : HUGE_VAL;
            return 1;
        }
        if (ieq(s + i, n - i, "nan")) {
            *v = NAN;
            return 1;
        }
        return 0;
    }
    /* Fast path (Clinger): <= 19 digits, exact mantissa, |exp| <= 22. */
    uint64_t mant = 0;
    int ndig = 0, frac = 0, seen = 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        seen = 1;
        if (mant == 0 && s[i] == '0')
            continue;
        if (ndig >= 19)
            return float_slow(s, n, v);
        mant = mant * 10 + (uint64_t)(s[i] - '0');
        ndig++;
    }
    if (i < n && s[i] == '.') {
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            seen = 1;
            if (mant == 0 && s[i] == '0') {
                frac++;
                continue;
            }
            if (ndig >= 19)
                return float_slow(s, n, v);
            mant = mant * 10 + (uint64_t)(s[i] - '0');
            ndig++;
            frac++;
        }
    }
    if (!seen)
        return float_slow(s, n, v);
    int exp = 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        int eneg = 0;
        if (i < n && (s[i] == '+' || s[i] == '-')) {
            eneg = s[i] == '-';
            i++;
        }
        if (i >= n || s[i] < '0' || s[i] > '9')
            return 0;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            if (exp < 100000)
                exp = exp * 10 + (s[i] - '0');
        }
        if (eneg)
            exp = -exp;
    }
    if (i != n)
        return float_slow(s, n, v);
    int e10 = exp - frac;
    double d;
    if (mant == 0) {
        d = 0.0;
    } else if (mant <= ((uint64_t)1 << 53) && e10 >= -22 && e10 <= 22) {
        d = (double)mant;
        d = e10 < 0 ? d / POW10[-e10] : d * POW10[e10];
    } else {
        return float_slow(s, n, v);
    }
    *v = neg ? -d : d;
    return 1;
}

/* ---- lines ---- */

static void
fail(struct ps_expo_item *it, const char *what, size_t col)
{
    it->kind = PS_EL_ERROR;
    it->err = what;
    it->err_col = col;
}

/* Copy [s, s+n) into scratch at *w with a NUL; returns the copy. */
static const char *
put(struct ps_expo_parser *p, size_t *w, const char *s, size_t n)
{
    char *d = p->scratch + *w;
    memcpy(d, s, n);
    d[n] = 0;
    *w += n + 1;
    return d;
}

/* Metric name length at line[i..n), 0 if none. */
static size_t
name_len(const char *line, size_t i, size_t n)
{
    size_t j = i;
    if (j >= n || !(cls[(unsigned char)line[j]] & C_FIRST))
        return 0;
    for (j++; j < n && (cls[(unsigned char)line[j]] & C_REST); j++)
        ;
    return j - i;
}

static size_t
lname_len(const char *line, size_t i, size_t n)
{
    size_t j = i;
    if (j >= n || !(cls[(unsigned char)line[j]] & C_LFIRST))
        return 0;
    for (j++; j < n && (cls[(unsigned char)line[j]] & C_LREST); j++)
        ;
    return j - i;
}

static void
parse_comment(struct ps_expo_parser *p, const char *line, size_t n, size_t i,
              struct ps_expo_item *it)
{
    size_t w = 0;
    i++; /* '#' */
    while (i < n && is_ws(line[i]))
        i++;
    size_t k = i;
    while (k < n && !is_ws(line[k]))
        k++;
    size_t kl = k - i;
    const char *kw = line + i;
    if (kl == 3 && memcmp(kw, "EOF", 3) == 0) {
        while (k < n && is_ws(line[k]))
            k++;
        it->kind = k == n ? PS_EL_EOF : PS_EL_COMMENT;
        return;
    }
    enum ps_expo_line kind;
    if (kl == 4 && memcmp(kw, "HELP", 4) == 0)
        kind = PS_EL_HELP;
    else if (kl == 4 && memcmp(kw, "TYPE", 4) == 0)
        kind = PS_EL_TYPE;
    else if (kl == 4 && memcmp(kw, "UNIT", 4) == 0)
        kind = PS_EL_UNIT;
    else {
        it->kind = PS_EL_COMMENT;
        return;
    }
    if (k >= n) {           /* "# HELP" alone: just a comment */
        it->kind = PS_EL_COMMENT;
        return;
    }
    while (k < n && is_ws(line[k]))
        k++;
    size_t nl = name_len(line, k, n);
    if (nl == 0 || (k + nl < n && !is_ws(line[k + nl]))) {
        fail(it, "a metric name after # HELP/TYPE/UNIT", k);
        return;
    }
    it->name = put(p, &w, line + k, nl);
    k += nl;
    if (k < n)
        k++;                /* the single separating blank */
    if (kind == PS_EL_HELP) {
        char *d = p->scratch + w;
        size_t o = 0;
        for (; k < n; k++) {
            char c = line[k];
            if (c == '\\' && k + 1 < n) {
                char e = line[k + 1];
                if (e == 'n') {
                    d[o++] = '\n';
                    k++;
                    continue;
                }
                if (e == '\\' || e == '"') {
                    d[o++] = e;
                    k++;
                    continue;
                }
            }
            d[o++] = c;
        }
        d[o] = 0;
        it->text = d;
        it->kind = PS_EL_HELP;
        return;
    }
    while (k < n && is_ws(line[k]))
        k++;
    size_t e = n;
    while (e > k && is_ws(line[e - 1]))
        e--;
    if (kind == PS_EL_TYPE) {
        for (size_t t = 0; t < sizeof(TYPES) / sizeof(TYPES[0]); t++) {
            if (strlen(TYPES[t]) == e - k && memcmp(TYPES[t], line + k, e - k) == 0) {
                it->text = TYPES[t];
                it->kind = PS_EL_TYPE;
                return;
            }
        }
        fail(it, "a metric type (counter, gauge, histogram, summary, untyped, "
                 "unknown, info, stateset, gaugehistogram)", k);
        return;
    }
    it->text = put(p, &w, line + k, e - k);
    it->kind = PS_EL_UNIT;
}

/* Labels from line[*pi] just after '{'; on success *pi is after '}'. */
static int
parse_labels(struct ps_expo_parser *p, const char *line, size_t n, size_t *pi,
             size_t *w, struct ps_expo_item *it)
{
    size_t i = *pi;
    size_t nlab = 0;
    for (;;) {
        while (i < n && is_ws(line[i]))
            i++;
        if (i < n && line[i] == '}') {
            i++;
            break;
        }
        size_t ln = lname_len(line, i, n);
        if (ln == 0) {
            fail(it, i >= n ? "'}' to close the label set" : "a label name", i);
            return 0;
        }
        if (nlab >= p->max_labels) {
            fail(it, "at most the label limit of label pairs", i);
            return 0;
        }
        struct ps_expo_label *lab = &p->labels[nlab];
        lab->name = put(p, w, line + i, ln);
        i += ln;
        while (i < n && is_ws(line[i]))
            i++;
        if (i >= n || line[i] != '=') {
            fail(it, "'=' after the label name", i);
            return 0;
        }
        i++;
        while (i < n && is_ws(line[i]))
            i++;
        if (i >= n || line[i] != '"') {
            fail(it, "'\"' to open the label value", i);
            return 0;
        }
        i++;
        char *d = p->scratch + *w;
        size_t o = 0;
        for (;;) {
            /* Copy the plain run up to the next quote or backslash. */
            size_t j = i;
            while (j < n && line[j] != '"' && line[j] != '\\')
                j++;
            memcpy(d + o, line + i, j - i);
            o += j - i;
            i = j;
            if (i >= n) {
                fail(it, "'\"' to close the label value", i);
                return 0;
            }
            if (line[i] == '"')
                break;
            if (i + 1 >= n) {
                fail(it, "an escape after '\\'", i);
                return 0;
            }
            char e = line[i + 1];
            if (e == '\\' || e == '"')
                d[o++] = e;
            else if (e == 'n')
                d[o++] = '\n';
            else {
                fail(it, "a valid escape (\\\\, \\\", \\n) in the label value", i);
                return 0;
            }
            i += 2;
        }
        i++; /* closing quote */
        d[o] = 0;
        lab->value = d;
        lab->value_len = o;
        *w += o + 1;
        nlab++;
        while (i < n && is_ws(line[i]))
            i++;
        if (i < n && line[i] == ',') {
            i++;
            continue;
        }
        if (i < n && line[i] == '}') {
            i++;
            break;
        }
        fail(it, "',' or '}' after the label value", i);
        return 0;
    }
    it->labels = p->labels;
    it->nlabels = nlab;
    *pi = i;
    return 1;
}

static void
parse_sample(struct ps_expo_parser *p, const char *line, size_t n, size_t i,
             struct ps_expo_item *it)
{
    size_t w = 0;
    size_t nl = name_len(line, i, n);
    if (nl == 0) {
        fail(it, "a metric name", i);
        return;
    }
    it->name = put(p, &w, line + i, nl);
    it->series_text = line + i;
    i += nl;
    size_t after_name = i;
    it->series_len = nl;
    while (i < n && is_ws(line[i]))
        i++;
    if (i < n && line[i] == '{') {
        i++;
        if (!parse_labels(p, line, n, &i, &w, it))
            return;
        it->series_len = (size_t)(line + i - it->series_text);
        while (i < n && is_ws(line[i]))
            i++;
    } else if (i == after_name && i < n) {
        fail(it, "a blank or '{' after the metric name", i);
        return;
    }
    if (i >= n) {
        fail(it, "a value", i);
        return;
    }
    size_t v0 = i;
    while (i < n && !is_ws(line[i]))
        i++;
    if (!ps_expo_parse_float(line + v0, i - v0, &it->value)) {
        fail(it, "a float value", v0);
        return;
    }
    while (i < n && is_ws(line[i]))
        i++;
    if (i < n && line[i] != '#') {
        size_t t0 = i;
        while (i < n && !is_ws(line[i]))
            i++;
        size_t tn = i - t0;
        int integer = tn > 0;
        for (size_t k = t0; k < i; k++) {
            char c = line[k];
            if (!((c >= '0' && c <= '9') || (k == t0 && c == '-' && tn > 1)))
                integer = 0;
        }
        if (integer && tn <= 18) {
            int64_t t = 0;
            size_t k = t0;
            int neg = line[k] == '-';
            if (neg)
                k++;
            for (; k < i; k++)
                t = t * 10 + (line[k] - '0');
            it->ts = (double)(neg ? -t : t);
        } else if (!integer && ps_expo_parse_float(line + t0, tn, &it->ts) &&
                   isfinite(it->ts)) {
            it->ts_float = 1;
        } else {
            fail(it, "a timestamp (integer milliseconds or float seconds)", t0);
            return;
        }
        it->has_ts = 1;
        while (i < n && is_ws(line[i]))
            i++;
    }
    if (i < n && line[i] == '#') {
        /* OpenMetrics exemplar: '# {labels} value [ts]'. Tolerated only. */
        size_t k = i + 1;
        while (k < n && is_ws(line[k]))
            k++;
        if (k >= n || line[k] != '{') {
            fail(it, "an exemplar '# {labels} value' after the sample", i);
            return;
        }
        it->exemplar = 1;
        i = n;
    }
    if (i < n) {
        fail(it, "the end of the line", i);
        return;
    }
    it->kind = PS_EL_SAMPLE;
}

void
ps_expo_parse_line(struct ps_expo_parser *p, const char *line, size_t n,
                   struct ps_expo_item *it)
{
    memset(it, 0, sizeof(*it));
    if (n + 1 > p->scratch_cap / 2) {
        fail(it, "a line within the line limit", 0);
        return;
    }
    size_t i = 0;
    while (i < n && is_ws(line[i]))
        i++;
    size_t e = n;
    while (e > i && (is_ws(line[e - 1]) || line[e - 1] == '\r'))
        e--;
    if (i == e) {
        it->kind = PS_EL_BLANK;
        return;
    }
    if (line[i] == '#')
        parse_comment(p, line, e, i, it);
    else
        parse_sample(p, line, e, i, it);
}
