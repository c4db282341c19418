/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * rules_template.c - renders the Go text/template subset Prometheus alert
 * annotations use: text with {{ actions }}, where an action is a pipeline
 * `operand | func args | ...` or `if PIPELINE`, `else`, `end`, or a
 * comment. Operands: $value / .Value, $labels.NAME / .Labels.NAME (a
 * missing label renders empty, as Prometheus' missingkey=zero does),
 * $externalLabels.NAME, "strings", `raw strings`, numbers. Functions:
 * humanize, humanize1024, humanizeDuration, humanizePercentage,
 * humanizeTimestamp, printf, toUpper, toLower, title, eq, ne, lt, le,
 * gt, ge, not. {{- and -}} trim the whitespace beside them.
 *
 * Numbers print as Go's %v does (ps_rules_fmt_go_float) so that rendered
 * annotations compare equal with promtool's in rule tests. The input is
 * untrusted (user rule files, fuzzed): every scan is bounded by n, output
 * is capped at PS_TMPL_MAX_OUT bytes and if-nesting at PS_TMPL_MAX_DEPTH.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promsight/ps_rules.h"
#include "rules/pq_int.h"

/* Largest printf width/precision a template may ask for. */
#define TEMPLATE_MAX_WIDTH 999UL

#define PS_TMPL_MAX_OUT (64 * 1024)
#define PS_TMPL_MAX_DEPTH 32
#define PS_TMPL_MAX_TOKS 64

struct tval {
    int is_num;
    double num;
    const char *s;
};

struct tctx {
    const struct ps_label *labels;
    size_t nlabels;
    double value;
    struct pq_arena a;
    char *err;
    size_t errn;
    int failed;
};

static void
terr(struct tctx *c, const char *fmt, const char *arg)
{
    if (c->failed)
        return;
    c->failed = 1;
    snprintf(c->err, c->errn, fmt, arg);
}

void
ps_rules_fmt_go_float(double v, char *buf, size_t n)
{
    if (isnan(v)) {
        snprintf(buf, n, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, n, "%s", v > 0 ? "+Inf" : "-Inf");
        return;
    }
    if (v == 0) {
        snprintf(buf, n, "%s", signbit(v) ? "-0" : "0");
        return;
    }
    char tmp[64];
    int p;
    for (p = 1; p <= 17; p++) {
        snprintf(tmp, sizeof(tmp), "%.*e", p - 1, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    if (p > 17)
        p = 17;
    const char *e = strchr(tmp, 'e');
    int exp = e != NULL ? atoi(e + 1) : 0;
    if (exp < -4 || exp >= 6) {
        snprintf(buf, n, "%s", tmp);
        return;
    }
    int prec = p - 1 - exp;
    if (prec < 0)
        prec = 0;
    snprintf(buf, n, "%.*f", prec, v);
}

/* Go's %.4g: like C's except for the special values. */
static void
g4(struct ps_buf *b, double v, const char *suffix)
{
    if (isnan(v))
        ps_buf_printf(b, "NaN%s", suffix);
    else if (isinf(v))
        ps_buf_printf(b, "%s%s", v > 0 ? "+Inf" : "-Inf", suffix);
    else
        ps_buf_printf(b, "%.4g%s", v, suffix);
}

static void
humanize(struct ps_buf *b, double v)
{
    if (v == 0 || isnan(v) || isinf(v)) {
        g4(b, v, "");
        return;
    }
    static const char *const big[] = {"k", "M", "G", "T", "P", "E", "Z", "Y"};
    static const char *const small[] = {"m", "u", "n", "p", "f", "a", "z", "y"};
    const char *prefix = "";
    if (fabs(v) >= 1) {
        for (size_t i = 0; i < 8 && fabs(v) >= 1000; i++) {
            prefix = big[i];
            v /= 1000;
        }
    } else {
        for (size_t i = 0; i < 8 && fabs(v) < 1; i++) {
            prefix = small[i];
            v *= 1000;
        }
    }
    g4(b, v, prefix);
}

static void
humanize1024(struct ps_buf *b, double v)
{
    if (fabs(v) <= 1 || isnan(v) || isinf(v)) {
        g4(b, v, "");
        return;
    }
    static const char *const pre[] = {"ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"};
    const char *prefix = "";
    for (size_t i = 0; i < 8 && fabs(v) >= 1024; i++) {
        prefix = pre[i];
        v /= 1024;
    }
    g4(b, v, prefix);
}

static void
humanize_duration(struct ps_buf *b, double v)
{
    if (isnan(v) || isinf(v)) {
        g4(b, v, "");
        return;
    }
    if (v == 0) {
        g4(b, v, "s");
        return;
    }
    if (fabs(v) >= 1) {
        const char *sign = "";
        if (v < 0) {
            sign = "-";
            v = -v;
        }
        double capped = v > 9.2e18 ? 9.2e18 : v;
        int64_t d = (int64_t)capped;
        int64_t secs = d % 60, mins = (d / 60) % 60, hours = (d / 3600) % 24,
                days = d / 86400;
        if (days != 0)
            ps_buf_printf(b, "%s%lldd %lldh %lldm %llds", sign, (long long)days,
                          (long long)hours, (long long)mins, (long long)secs);
        else if (hours != 0)
            ps_buf_printf(b, "%s%lldh %lldm %llds", sign, (long long)hours,
                          (long long)mins, (long long)secs);
        else if (mins != 0)
            ps_buf_printf(b, "%s%lldm %llds", sign, (long long)mins, (long long)secs);
        else
            ps_buf_printf(b, "%s%.4gs", sign, v);
        return;
    }
    static const char *const small[] = {"m", "u", "n", "p", "f", "a", "z", "y"};
    const char *prefix = "";
    for (size_t i = 0; i < 8 && fabs(v) < 1; i++) {
        prefix = small[i];
        v *= 1000;
    }
    ps_buf_printf(b, "%.4g%ss", v, prefix);
}

static double
to_num(const struct tval *v)
{
    if (v->is_num)
        return v->num;
    char *end;
    double d = strtod(v->s, &end);
    return end != v->s ? d : NAN;
}

static const char *
to_str(struct tctx *c, const struct tval *v)
{
    if (!v->is_num)
        return v->s;
    char buf[64];
    ps_rules_fmt_go_float(v->num, buf, sizeof(buf));
    return pq_strdup(&c->a, buf, strlen(buf));
}

static int
truthy(const struct tval *v)
{
    return v->is_num ? v->num != 0 : v->s[0] != 0;
}

/* ---- action tokens ---- */

struct ttok {
    int kind;   /* 'w' word, 's' string, 'n' number, '|' */
    const char *p;
    size_t n;
};

static int
tokenize(struct tctx *c, const char *s, size_t n, struct ttok *t, size_t *nt)
{
    size_t i = 0, k = 0;
    while (i < n) {
        if (isspace((unsigned char)s[i])) {
            i++;
            continue;
        }
        if (k == PS_TMPL_MAX_TOKS) {
            terr(c, "template action too long%s", "");
            return -1;
        }
        if (s[i] == '|') {
            t[k].kind = '|';
            t[k].p = s + i;
            t[k++].n = 1;
            i++;
            continue;
        }
        if (s[i] == '"' || s[i] == '`') {
            char q = s[i];
            size_t j = i + 1;
            while (j < n && s[j] != q) {
                if (q == '"' && s[j] == '\\' && j + 1 < n)
                    j++;
                j++;
            }
            if (j >= n) {
                terr(c, "unterminated string in template%s", "");
                return -1;
            }
            t[k].kind = 's';
            t[k].p = s + i;
            t[k++].n = j + 1 - i;
            i = j + 1;
            continue;
        }
        if (s[i] == '(' || s[i] == ')') {
            terr(c, "parentheses are not supported in templates%s", "");
            return -1;
        }
        size_t j = i;
        while (j < n && !isspace((unsigned char)s[j]) && s[j] != '|' && s[j] != '"' &&
               s[j] != '`' && s[j] != '(' && s[j] != ')')
            j++;
        int num = isdigit((unsigned char)s[i]) ||
                  ((s[i] == '-' || s[i] == '+' || s[i] == '.') && j > i + 1 &&
                   isdigit((unsigned char)s[i + 1]));
        t[k].kind = num ? 'n' : 'w';
        t[k].p = s + i;
        t[k++].n = j - i;
        i = j;
    }
    *nt = k;
    return 0;
}

static int
tok_eq(const struct ttok *t, const char *w)
{
    return t->kind == 'w' && strlen(w) == t->n && memcmp(t->p, w, t->n) == 0;
}

static const char *
label_value(const struct tctx *c, const char *name, size_t n)
{
    for (size_t i = 0; i < c->nlabels; i++)
        if (strlen(c->labels[i].name) == n && memcmp(c->labels[i].name, name, n) == 0)
            return c->labels[i].value;
    return "";
}

static int
operand(struct tctx *c, const struct ttok *t, struct tval *out)
{
    memset(out, 0, sizeof(*out));
    if (t->kind == 's') {
        /* decode a string literal */
        char *s = pq_alloc(&c->a, t->n);
        if (s == NULL)
            return -1;
        size_t k = 0;
        for (size_t i = 1; i + 1 < t->n; i++) {
            char ch = t->p[i];
            if (t->p[0] == '"' && ch == '\\' && i + 2 < t->n) {
                ch = t->p[++i];
                ch = ch == 'n' ? '\n' : ch == 't' ? '\t' : ch;
            }
            s[k++] = ch;
        }
        s[k] = 0;
        out->s = s;
        return 0;
    }
    if (t->kind == 'n') {
        char buf[64];
        size_t l = t->n < 63 ? t->n : 63;
        memcpy(buf, t->p, l);
        buf[l] = 0;
        char *end;
        out->is_num = 1;
        out->num = strtod(buf, &end);
        if (*end != 0) {
            terr(c, "bad number \"%s\" in template", buf);
            return -1;
        }
        return 0;
    }
    static const char *const lab_pfx[] = {"$labels.", ".Labels.", "$externalLabels.",
                                          ".ExternalLabels."};
    if (tok_eq(t, "$value") || tok_eq(t, ".Value")) {
        out->is_num = 1;
        out->num = c->value;
        return 0;
    }
    for (size_t i = 0; i < 4; i++) {
        size_t pl = strlen(lab_pfx[i]);
        if (t->n > pl && memcmp(t->p, lab_pfx[i], pl) == 0) {
            out->s = i < 2 ? label_value(c, t->p + pl, t->n - pl) : "";
            return 0;
        }
    }
    if (tok_eq(t, "$externalURL") || tok_eq(t, ".ExternalURL")) {
        out->s = "";
        return 0;
    }
    char buf[64];
    snprintf(buf, sizeof(buf), "%.*s", (int)(t->n > 40 ? 40 : t->n), t->p);
    terr(c, "unknown template operand \"%s\"", buf);
    return -1;
}

/* printf with Go verbs mapped onto C: %v %s %d %f %e %g %x %q %%. */
static int
go_printf(struct tctx *c, const struct tval *args, size_t nargs, struct ps_buf *b)
{
    if (nargs == 0 || args[0].is_num) {
        terr(c, "printf needs a format string%s", "");
        return -1;
    }
    const char *f = args[0].s;
    size_t ai = 1;
    for (const char *p = f; *p;) {
        if (*p != '%') {
            ps_buf_append(b, p, 1);
            p++;
            continue;
        }
        if (p[1] == '%') {
            ps_buf_append(b, "%", 1);
            p += 2;
            continue;
        }
        char spec[32];
        size_t k = 0;
        spec[k++] = *p++;
        while (*p && strchr("+-# 0", *p) && k < 8)
            spec[k++] = *p++;
        /* width and precision are read in full but capped at
         * TEMPLATE_MAX_WIDTH: a rule file comes with the bundle, and
         * "%999999999x" must not allocate a gigabyte per alert */
        unsigned long w = 0;
        int have_w = 0;
        while (*p && isdigit((unsigned char)*p)) {
            w = w < TEMPLATE_MAX_WIDTH ? w * 10 + (unsigned long)(*p - '0') : w;
            have_w = 1;
            p++;
        }
        if (have_w)
            k += (size_t)snprintf(spec + k, 8, "%lu", w < TEMPLATE_MAX_WIDTH ? w : TEMPLATE_MAX_WIDTH);
        if (*p == '.') {
            spec[k++] = *p++;
            unsigned long pr = 0;
            while (*p && isdigit((unsigned char)*p)) {
                pr = pr < TEMPLATE_MAX_WIDTH ? pr * 10 + (unsigned long)(*p - '0') : pr;
                p++;
            }
            k += (size_t)snprintf(spec + k, 8, "%lu", pr < TEMPLATE_MAX_WIDTH ? pr : TEMPLATE_MAX_WIDTH);
        }
        char verb = *p;
        if (verb == 0) {
            ps_buf_printf(b, "%%!(NOVERB)");
            break;
        }
        p++;
        if (ai >= nargs) {
            ps_buf_printf(b, "%%!%c(MISSING)", verb);
            continue;
        }
        const struct tval *a = &args[ai++];
        switch (verb) {
        case 'v':
        case 's':
            if (a->is_num && verb == 'v') {
                char nb[64];
                ps_rules_fmt_go_float(a->num, nb, sizeof(nb));
                ps_buf_printf(b, "%s", nb);
            } else if (a->is_num) {
                char nb[64];
                ps_rules_fmt_go_float(a->num, nb, sizeof(nb));
                ps_buf_printf(b, "%%!s(float64=%s)", nb);
            } else {
                spec[k++] = 's';
                spec[k] = 0;
                ps_buf_printf(b, spec, a->s);
            }
            break;
        case 'q':
            ps_buf_printf(b, "\"%s\"", to_str(c, a));
            break;
        case 'd':
        case 'x':
        case 'X': {
            double v = to_num(a);
            if (isnan(v) || isinf(v) || fabs(v) > 9e18) {
                ps_buf_printf(b, "%%!%c(float64=%g)", verb, v);
                break;
            }
            spec[k++] = 'l';
            spec[k++] = 'l';
            spec[k++] = verb;
            spec[k] = 0;
            ps_buf_printf(b, spec, (long long)v);
            break;
        }
        case 'f':
        case 'F':
        case 'e':
        case 'E':
        case 'g':
        case 'G': {
            double v = to_num(a);
            if (isnan(v) || isinf(v)) {
                ps_buf_printf(b, "%s", isnan(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf");
                break;
            }
            spec[k++] = verb;
            spec[k] = 0;
            ps_buf_printf(b, spec, v);
            break;
        }
        default:
            ps_buf_printf(b, "%%!%c(unsupported)", verb);
            break;
        }
    }
    return 0;
}

static int
call_func(struct tctx *c, const struct ttok *fn, struct tval *args, size_t nargs,
          struct tval *out)
{
    struct ps_buf b = {0};
    memset(out, 0, sizeof(*out));
    int rc = 0;
    int one = nargs == 1;
    if (tok_eq(fn, "humanize") && one)
        humanize(&b, to_num(&args[0]));
    else if (tok_eq(fn, "humanize1024") && one)
        humanize1024(&b, to_num(&args[0]));
    else if (tok_eq(fn, "humanizeDuration") && one)
        humanize_duration(&b, to_num(&args[0]));
    else if (tok_eq(fn, "humanizePercentage") && one)
        g4(&b, to_num(&args[0]) * 100, "%");
    else if (tok_eq(fn, "humanizeTimestamp") && one) {
        double v = to_num(&args[0]);
        if (isnan(v) || isinf(v) || fabs(v) > 1e14)
            g4(&b, v, "");
        else {
            char tb[64];
            ps_fmt_time_ms((int64_t)llround(v * 1000), tb, sizeof(tb));
            ps_buf_printf(&b, "%s", tb);
        }
    } else if (tok_eq(fn, "printf"))
        rc = go_printf(c, args, nargs, &b);
    else if ((tok_eq(fn, "toUpper") || tok_eq(fn, "toLower") || tok_eq(fn, "title")) && one) {
        const char *s = to_str(c, &args[0]);
        int up = tok_eq(fn, "toUpper"), title = tok_eq(fn, "title"), start = 1;
        for (; s != NULL && *s; s++) {
            char ch = *s;
            if (up || (title && start))
                ch = (char)toupper((unsigned char)ch);
            else if (!title)
                ch = (char)tolower((unsigned char)ch);
            start = !isalnum((unsigned char)*s);
            ps_buf_append(&b, &ch, 1);
        }
    } else if (tok_eq(fn, "not") && one) {
        out->is_num = 0;
        out->s = truthy(&args[0]) ? "" : "true";
        return 0;
    } else if ((tok_eq(fn, "eq") || tok_eq(fn, "ne") || tok_eq(fn, "lt") ||
                tok_eq(fn, "le") || tok_eq(fn, "gt") || tok_eq(fn, "ge")) &&
               nargs == 2) {
        int r;
        if (args[0].is_num || args[1].is_num) {
            double x = to_num(&args[0]), y = to_num(&args[1]);
            int cmp = x < y ? -1 : x > y ? 1 : 0;
            if (isnan(x) || isnan(y))
                cmp = 2;
            r = tok_eq(fn, "eq") ? cmp == 0 : tok_eq(fn, "ne") ? cmp != 0
              : tok_eq(fn, "lt") ? cmp == -1 : tok_eq(fn, "le") ? (cmp == -1 || cmp == 0)
              : tok_eq(fn, "gt") ? cmp == 1 : (cmp == 1 || cmp == 0);
        } else {
            int cmp = strcmp(args[0].s, args[1].s);
            r = tok_eq(fn, "eq") ? cmp == 0 : tok_eq(fn, "ne") ? cmp != 0
              : tok_eq(fn, "lt") ? cmp < 0 : tok_eq(fn, "le") ? cmp <= 0
              : tok_eq(fn, "gt") ? cmp > 0 : cmp >= 0;
        }
        out->s = r ? "true" : "";
        return 0;
    } else {
        char buf[64];
        snprintf(buf, sizeof(buf), "%.*s", (int)(fn->n > 40 ? 40 : fn->n), fn->p);
        terr(c, "unknown template function or wrong argument count: \"%s\"", buf);
        rc = -1;
    }
    out->s = pq_strdup(&c->a, b.p != NULL ? (const char *)b.p : "", b.n);
    ps_buf_free(&b);
    if (out->s == NULL)
        return -1;
    return rc;
}

static int
pipeline(struct tctx *c, const struct ttok *t, size_t nt, struct tval *out)
{
    struct tval piped;
    int have = 0;
    size_t i = 0;
    if (nt == 0) {
        terr(c, "empty template action%s", "");
        return -1;
    }
    while (i < nt) {
        size_t j = i;
        while (j < nt && t[j].kind != '|')
            j++;
        if (j == i) {
            terr(c, "empty command in template pipeline%s", "");
            return -1;
        }
        struct tval args[PS_TMPL_MAX_TOKS + 1];
        size_t na = 0;
        if (t[i].kind == 'w' && t[i].p[0] != '$' && t[i].p[0] != '.') {
            for (size_t k = i + 1; k < j; k++)
                if (operand(c, &t[k], &args[na++]) != 0)
                    return -1;
            if (have)
                args[na++] = piped;
            if (call_func(c, &t[i], args, na, &piped) != 0)
                return -1;
        } else {
            if (j - i != 1 || have) {
                terr(c, "a template operand takes no arguments%s", "");
                return -1;
            }
            if (operand(c, &t[i], &piped) != 0)
                return -1;
        }
        have = 1;
        i = j + 1;
        if (j + 1 == nt && t[j].kind == '|') {
            terr(c, "template pipeline ends with '|'%s", "");
            return -1;
        }
    }
    *out = piped;
    return 0;
}

int
ps_rules_render(const char *tmpl, size_t n, const struct ps_label *labels,
                size_t nlabels, double value, struct ps_buf *out, char *err,
                size_t errn)
{
    struct tctx c;
    memset(&c, 0, sizeof(c));
    char dummy[8];
    c.labels = labels;
    c.nlabels = nlabels;
    c.value = value;
    c.err = err != NULL && errn > 0 ? err : dummy;
    c.errn = err != NULL && errn > 0 ? errn : sizeof(dummy);
    c.err[0] = 0;
    /* if-stack: bit per level, active when all enclosing branches are */
    int active[PS_TMPL_MAX_DEPTH + 1];
    int taken[PS_TMPL_MAX_DEPTH + 1];
    int depth = 0;
    active[0] = 1;
    taken[0] = 1;
    size_t i = 0;
    int trim_next = 0;
    while (i < n && !c.failed) {
        const char *open = NULL;
        for (size_t j = i; j + 1 < n; j++)
            if (tmpl[j] == '{' && tmpl[j + 1] == '{') {
                open = tmpl + j;
                break;
            }
        size_t text_end = open != NULL ? (size_t)(open - tmpl) : n;
        size_t ts = i, te = text_end;
        if (trim_next)
            while (ts < te && isspace((unsigned char)tmpl[ts]))
                ts++;
        if (open != NULL && open + 2 < tmpl + n && open[2] == '-' &&
            (open + 3 >= tmpl + n || isspace((unsigned char)open[3])))
            while (te > ts && isspace((unsigned char)tmpl[te - 1]))
                te--;
        if (active[depth] && te > ts)
            ps_buf_append(out, tmpl + ts, te - ts);
        trim_next = 0;
        if (open == NULL)
            break;
        size_t as = text_end + 2;
        if (as < n && tmpl[as] == '-' && (as + 1 >= n || isspace((unsigned char)tmpl[as + 1])))
            as++;
        const char *close = NULL;
        for (size_t j = as; j + 1 < n; j++)
            if (tmpl[j] == '}' && tmpl[j + 1] == '}') {
                close = tmpl + j;
                break;
            }
        if (close == NULL) {
            terr(&c, "unclosed template action%s", "");
            break;
        }
        size_t ae = (size_t)(close - tmpl);
        if (ae > as && tmpl[ae - 1] == '-' && ae - 1 > as &&
            isspace((unsigned char)tmpl[ae - 2])) {
            ae--;
            trim_next = 1;
        }
        i = (size_t)(close - tmpl) + 2;
        /* comment */
        size_t cs = as;
        while (cs < ae && isspace((unsigned char)tmpl[cs]))
            cs++;
        if (cs + 1 < ae && tmpl[cs] == '/' && tmpl[cs + 1] == '*')
            continue;
        struct ttok t[PS_TMPL_MAX_TOKS];
        size_t nt;
        if (tokenize(&c, tmpl + as, ae - as, t, &nt) != 0)
            break;
        if (nt > 0 && tok_eq(&t[0], "if")) {
            if (depth == PS_TMPL_MAX_DEPTH) {
                terr(&c, "template if-nesting too deep%s", "");
                break;
            }
            struct tval v = {0};
            int cond = 0;
            if (active[depth]) {
                if (pipeline(&c, t + 1, nt - 1, &v) != 0)
                    break;
                cond = truthy(&v);
            }
            depth++;
            active[depth] = active[depth - 1] && cond;
            taken[depth] = cond;
            continue;
        }
        if (nt > 0 && tok_eq(&t[0], "else")) {
            if (depth == 0 || nt != 1) {
                terr(&c, "unexpected {{else}}%s", "");
                break;
            }
            active[depth] = active[depth - 1] && !taken[depth];
            taken[depth] = 1;
            continue;
        }
        if (nt > 0 && tok_eq(&t[0], "end")) {
            if (depth == 0) {
                terr(&c, "unexpected {{end}}%s", "");
                break;
            }
            depth--;
            continue;
        }
        if (nt > 0 && (tok_eq(&t[0], "range") || tok_eq(&t[0], "with") ||
                       tok_eq(&t[0], "define") || tok_eq(&t[0], "template") ||
                       tok_eq(&t[0], "block"))) {
            terr(&c, "template action \"%s\" is not supported",
                 tok_eq(&t[0], "range") ? "range" : "with/define/template");
            break;
        }
        if (nt > 0 && t[0].kind == 'w' && t[0].p[0] == '$' && nt > 1 &&
            (tok_eq(&t[1], ":=") || tok_eq(&t[1], "="))) {
            terr(&c, "template variables are not supported%s", "");
            break;
        }
        if (!active[depth]) {
            /* still check syntax of the skipped pipeline's operands lazily */
            continue;
        }
        struct tval v;
        if (pipeline(&c, t, nt, &v) != 0)
            break;
        const char *s = to_str(&c, &v);
        if (s == NULL) {
            terr(&c, "out of memory%s", "");
            break;
        }
        ps_buf_append(out, s, strlen(s));
        if (out->n > PS_TMPL_MAX_OUT) {
            terr(&c, "template output too long%s", "");
            break;
        }
    }
    if (!c.failed && depth != 0)
        terr(&c, "missing {{end}}%s", "");
    pq_arena_free(&c.a);
    return c.failed ? -1 : 0;
}
