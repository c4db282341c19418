/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pq_parse.c - lexer and recursive-descent parser of promsight's PromQL
 * subset. It builds the tree of pq_int.h and type-checks it as it goes
 * (function argument types, set operators only between vectors,
 * comparisons of two scalars only with `bool`, grouping modifiers only
 * between vectors), so the evaluator can trust what it gets.
 *
 * Grammar (precedence low to high, all left-associative except ^):
 *   or < and unless < == != > < >= <= < + - < * / % < unary -/+ < ^
 *   primary: number | "string" | selector [range] [offset d]
 *          | func(args) | agg [by|without (l,..)] (args) [by|without (..)]
 *          | ( expr )
 * Errors carry the 1-based column of the offending token. Input is
 * untrusted: nesting is limited to PQ_MAX_DEPTH and every string is
 * bounded by the input length.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/pq_int.h"

enum tok {
    T_EOF, T_ERR, T_IDENT, T_NUM, T_DUR, T_STR,
    T_LBRACE, T_RBRACE, T_LPAREN, T_RPAREN, T_LBRACK, T_RBRACK, T_COMMA,
    T_COLON, T_AT,
    T_ASSIGN, T_NEQ, T_REQ, T_NRE, /* =  !=  =~  !~ */
    T_EQL, T_GTR, T_LSS, T_GTE, T_LTE,
    T_ADD, T_SUB, T_MUL, T_DIV, T_MOD, T_POW
};

struct lexer {
    const char *s;
    size_t n, pos;
    /* current token */
    enum tok t;
    size_t start, len;
    double num;
    int64_t dur;
    char *str;             /* decoded string literal (malloc'd) */
};

struct parser {
    struct lexer lx;
    char *err;
    size_t errn;
    uint32_t errcol;
    int failed;
    int depth;
    uint32_t nsel;
};

static void
perr(struct parser *p, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
perr(struct parser *p, size_t at, const char *fmt, ...)
{
    if (p->failed)
        return;
    p->failed = 1;
    p->errcol = (uint32_t)(at + 1);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err, p->errn, fmt, ap);
    va_end(ap);
}

/* ---- lexer ---- */

static int
is_ident_start(int c)
{
    return isalpha(c) || c == '_' || c == ':';
}

static int
is_ident_char(int c)
{
    return isalnum(c) || c == '_' || c == ':';
}

/* Parse a duration like 1h30m, 5m, 100ms at s[0..n); returns length or 0. */
static size_t
lex_duration(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    int64_t total = 0;
    int any = 0;
    while (i < n && isdigit((unsigned char)s[i])) {
        int64_t v = 0;
        while (i < n && isdigit((unsigned char)s[i])) {
            if (v > INT64_MAX / 10 - 10)
                return 0;
            v = v * 10 + (s[i] - '0');
            i++;
        }
        int64_t mul;
        if (i + 1 < n && s[i] == 'm' && s[i + 1] == 's') {
            mul = 1;
            i += 2;
        } else if (i < n) {
            switch (s[i]) {
            case 's': mul = 1000; break;
            case 'm': mul = 60000; break;
            case 'h': mul = 3600000; break;
            case 'd': mul = 86400000; break;
            case 'w': mul = 7 * 86400000LL; break;
            case 'y': mul = 365 * 86400000LL; break;
            default: return 0;
            }
            i++;
        } else {
            return 0;
        }
        if (v != 0 && mul > INT64_MAX / v)
            return 0;
        if (total > INT64_MAX - v * mul)
            return 0;
        total += v * mul;
        any = 1;
    }
    if (!any || (i < n && (isalnum((unsigned char)s[i]) || s[i] == '_')))
        return 0;
    *out = total;
    return i;
}

static void
lex_string(struct parser *p)
{
    struct lexer *lx = &p->lx;
    char q = lx->s[lx->pos];
    size_t i = lx->pos + 1;
    size_t cap = lx->n - lx->pos + 1;
    char *out = malloc(cap);
    size_t k = 0;
    if (out == NULL) {
        perr(p, lx->pos, "out of memory");
        lx->t = T_ERR;
        return;
    }
    for (;;) {
        if (i >= lx->n) {
            perr(p, lx->start, "unterminated string");
            free(out);
            lx->t = T_ERR;
            return;
        }
        char c = lx->s[i];
        if (c == q) {
            i++;
            break;
        }
        if (c == '\n' && q != '`') {
            perr(p, i, "newline in string");
            free(out);
            lx->t = T_ERR;
            return;
        }
        if (c == '\\' && q != '`') {
            if (i + 1 >= lx->n) {
                perr(p, i, "unterminated escape");
                free(out);
                lx->t = T_ERR;
                return;
            }
            char e = lx->s[i + 1];
            i += 2;
            switch (e) {
            case 'n': out[k++] = '\n'; break;
            case 't': out[k++] = '\t'; break;
            case 'r': out[k++] = '\r'; break;
            case 'a': out[k++] = '\a'; break;
            case 'b': out[k++] = '\b'; break;
            case 'f': out[k++] = '\f'; break;
            case 'v': out[k++] = '\v'; break;
            case '\\': case '"': case '\'': out[k++] = e; break;
            default:
                /* keep unknown escapes verbatim (regex escapes like \. ) */
                out[k++] = '\\';
                out[k++] = e;
                break;
            }
            continue;
        }
        out[k++] = c;
        i++;
    }
    out[k] = 0;
    lx->str = out;
    lx->t = T_STR;
    lx->len = i - lx->start;
    lx->pos = i;
}

static void
lex_next(struct parser *p)
{
    struct lexer *lx = &p->lx;
    free(lx->str);
    lx->str = NULL;
    for (;;) {
        while (lx->pos < lx->n && isspace((unsigned char)lx->s[lx->pos]))
            lx->pos++;
        if (lx->pos < lx->n && lx->s[lx->pos] == '#') {
            while (lx->pos < lx->n && lx->s[lx->pos] != '\n')
                lx->pos++;
            continue;
        }
        break;
    }
    lx->start = lx->pos;
    lx->len = 1;
    if (lx->pos >= lx->n) {
        lx->t = T_EOF;
        lx->len = 0;
        return;
    }
    const char *s = lx->s + lx->pos;
    size_t rem = lx->n - lx->pos;
    unsigned char c = (unsigned char)s[0];
    char c1 = rem > 1 ? s[1] : 0;
    if (c == '"' || c == '\'' || c == '`') {
        lex_string(p);
        return;
    }
    if (isdigit(c) || (c == '.' && rem > 1 && isdigit((unsigned char)c1))) {
        int64_t d;
        size_t dl = lex_duration(s, rem, &d);
        if (dl > 0) {
            lx->t = T_DUR;
            lx->dur = d;
            lx->len = dl;
            lx->pos += dl;
            return;
        }
        /* number: copy a bounded slice for strtod */
        char buf[64];
        size_t k = 0;
        while (k < rem && k < sizeof(buf) - 1 &&
               (isalnum((unsigned char)s[k]) || s[k] == '.' ||
                ((s[k] == '+' || s[k] == '-') && k > 0 &&
                 (s[k - 1] == 'e' || s[k - 1] == 'E') &&
                 !(k > 1 && (s[1] == 'x' || s[1] == 'X')))))
            k++;
        memcpy(buf, s, k);
        buf[k] = 0;
        char *end;
        errno = 0;
        double v;
        if (k > 2 && buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'X'))
            v = (double)strtoull(buf, &end, 16);
        else
            v = strtod(buf, &end);
        if (end != buf + k || k == 0) {
            perr(p, lx->pos, "bad number or duration \"%.*s\"", (int)k, buf);
            lx->t = T_ERR;
            return;
        }
        lx->t = T_NUM;
        lx->num = v;
        lx->len = k;
        lx->pos += k;
        return;
    }
    if (is_ident_start(c)) {
        size_t k = 1;
        while (k < rem && is_ident_char((unsigned char)s[k]))
            k++;
        lx->t = T_IDENT;
        lx->len = k;
        lx->pos += k;
        return;
    }
    enum tok t = T_ERR;
    size_t l = 1;
    switch (c) {
    case '{': t = T_LBRACE; break;
    case '}': t = T_RBRACE; break;
    case '(': t = T_LPAREN; break;
    case ')': t = T_RPAREN; break;
    case '[': t = T_LBRACK; break;
    case ']': t = T_RBRACK; break;
    case ',': t = T_COMMA; break;
    case ':': t = T_COLON; break;
    case '@': t = T_AT; break;
    case '+': t = T_ADD; break;
    case '-': t = T_SUB; break;
    case '*': t = T_MUL; break;
    case '/': t = T_DIV; break;
    case '%': t = T_MOD; break;
    case '^': t = T_POW; break;
    case '=':
        if (c1 == '=') { t = T_EQL; l = 2; }
        else if (c1 == '~') { t = T_REQ; l = 2; }
        else t = T_ASSIGN;
        break;
    case '!':
        if (c1 == '=') { t = T_NEQ; l = 2; }
        else if (c1 == '~') { t = T_NRE; l = 2; }
        break;
    case '>':
        if (c1 == '=') { t = T_GTE; l = 2; } else t = T_GTR;
        break;
    case '<':
        if (c1 == '=') { t = T_LTE; l = 2; } else t = T_LSS;
        break;
    default:
        break;
    }
    if (t == T_ERR) {
        if (c >= 0x20 && c < 0x7f)
            perr(p, lx->pos, "unexpected character '%c'", c);
        else
            perr(p, lx->pos, "unexpected byte 0x%02x", c);
    }
    lx->t = t;
    lx->len = l;
    lx->pos += l;
}

static int
tok_is(const struct parser *p, const char *word)
{
    size_t l = strlen(word);
    return p->lx.t == T_IDENT && p->lx.len == l &&
           strncmp(p->lx.s + p->lx.start, word, l) == 0;
}

static int
tok_is_ci(const struct parser *p, const char *word)
{
    size_t l = strlen(word);
    return p->lx.t == T_IDENT && p->lx.len == l &&
           strncasecmp(p->lx.s + p->lx.start, word, l) == 0;
}

static const char *
tok_desc(const struct parser *p, char *buf, size_t n)
{
    if (p->lx.t == T_EOF)
        return "end of input";
    int l = (int)(p->lx.len > 40 ? 40 : p->lx.len);
    snprintf(buf, n, "\"%.*s\"", l, p->lx.s + p->lx.start);
    return buf;
}

static void
expect_fail(struct parser *p, const char *what)
{
    char b[64];
    perr(p, p->lx.start, "unexpected %s, expected %s", tok_desc(p, b, sizeof(b)),
         what);
}

static int
expect(struct parser *p, enum tok t, const char *what)
{
    if (p->lx.t != t) {
        expect_fail(p, what);
        return -1;
    }
    lex_next(p);
    return p->failed ? -1 : 0;
}

/* ---- tree helpers ---- */

static void
strlist_free(struct pq_strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static void
node_free(struct pq_node *n)
{
    if (n == NULL)
        return;
    free(n->str);
    free(n->metric);
    for (size_t i = 0; i < n->nm; i++) {
        free(n->m[i].name);
        free(n->m[i].value);
        if (n->m[i].re != NULL)
            pcre2_code_free(n->m[i].re);
    }
    free(n->m);
    for (size_t i = 0; i < n->nargs; i++)
        node_free(n->args[i]);
    free(n->args);
    node_free(n->param);
    node_free(n->lhs);
    node_free(n->rhs);
    strlist_free(&n->grouping);
    strlist_free(&n->mlabels);
    strlist_free(&n->include);
    free(n);
}

void
pq_expr_free(struct pq_expr *e)
{
    if (e == NULL)
        return;
    node_free(e->root);
    free(e->src);
    free(e);
}

static struct pq_node *
node_new(struct parser *p, enum pq_kind k, size_t at)
{
    struct pq_node *n = calloc(1, sizeof(*n));
    if (n == NULL) {
        perr(p, at, "out of memory");
        return NULL;
    }
    n->kind = k;
    n->col = (uint32_t)(at + 1);
    return n;
}

static char *
tok_dup(const struct parser *p)
{
    char *s = malloc(p->lx.len + 1);
    if (s != NULL) {
        memcpy(s, p->lx.s + p->lx.start, p->lx.len);
        s[p->lx.len] = 0;
    }
    return s;
}

static const char *
type_name(enum pq_type t)
{
    switch (t) {
    case PQ_T_SCALAR: return "scalar";
    case PQ_T_VECTOR: return "instant vector";
    case PQ_T_MATRIX: return "range vector";
    case PQ_T_STRING: return "string";
    }
    return "?";
}

/* ---- grammar ---- */

static struct pq_node *parse_expr(struct parser *p, int minprec);

/* ( ident, ident, ... ) into l; also used for by/without/on/ignoring. */
static int
parse_label_list(struct parser *p, struct pq_strlist *l)
{
    if (expect(p, T_LPAREN, "\"(\"") != 0)
        return -1;
    while (p->lx.t != T_RPAREN) {
        if (p->lx.t != T_IDENT) {
            expect_fail(p, "label name");
            return -1;
        }
        char **nv = realloc(l->v, (l->n + 1) * sizeof(*nv));
        if (nv == NULL) {
            perr(p, p->lx.start, "out of memory");
            return -1;
        }
        l->v = nv;
        if ((l->v[l->n] = tok_dup(p)) == NULL) {
            perr(p, p->lx.start, "out of memory");
            return -1;
        }
        l->n++;
        lex_next(p);
        if (p->failed)
            return -1;
        if (p->lx.t == T_COMMA) {
            lex_next(p);
            continue;
        }
        if (p->lx.t != T_RPAREN) {
            expect_fail(p, "\",\" or \")\"");
            return -1;
        }
    }
    lex_next(p);
    return p->failed ? -1 : 0;
}

static int
add_matcher(struct parser *p, struct pq_node *n, char *name, char *value,
            enum pq_mop op, size_t at)
{
    struct pq_matcher *nm = realloc(n->m, (n->nm + 1) * sizeof(*nm));
    if (nm == NULL) {
        free(name);
        free(value);
        perr(p, at, "out of memory");
        return -1;
    }
    n->m = nm;
    struct pq_matcher *m = &n->m[n->nm++];
    m->name = name;
    m->value = value;
    m->op = op;
    m->re = NULL;
    if (op == PQ_M_RE || op == PQ_M_NRE) {
        int ec;
        PCRE2_SIZE eo;
        m->re = pcre2_compile((PCRE2_SPTR)value, PCRE2_ZERO_TERMINATED,
                              PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_UTF |
                                  PCRE2_DOTALL,
                              &ec, &eo, NULL);
        if (m->re == NULL) {
            char msg[128];
            pcre2_get_error_message(ec, (PCRE2_UCHAR *)msg, sizeof(msg));
            perr(p, at, "bad regular expression \"%s\": %s", value, msg);
            return -1;
        }
    }
    return 0;
}

static int
parse_matchers(struct parser *p, struct pq_node *n)
{
    lex_next(p); /* { */
    while (!p->failed && p->lx.t != T_RBRACE) {
        if (p->lx.t != T_IDENT) {
            expect_fail(p, "label name");
            return -1;
        }
        size_t at = p->lx.start;
        char *name = tok_dup(p);
        lex_next(p);
        enum pq_mop op;
        switch (p->lx.t) {
        case T_ASSIGN: op = PQ_M_EQ; break;
        case T_NEQ: op = PQ_M_NE; break;
        case T_REQ: op = PQ_M_RE; break;
        case T_NRE: op = PQ_M_NRE; break;
        default:
            free(name);
            expect_fail(p, "label matching operator (=, !=, =~, !~)");
            return -1;
        }
        lex_next(p);
        if (p->lx.t != T_STR) {
            free(name);
            expect_fail(p, "quoted label value");
            return -1;
        }
        char *value = p->lx.str;
        p->lx.str = NULL;
        if (name == NULL || value == NULL) {
            free(name);
            free(value);
            perr(p, at, "out of memory");
            return -1;
        }
        if (add_matcher(p, n, name, value, op, at) != 0)
            return -1;
        lex_next(p);
        if (p->lx.t == T_COMMA) {
            lex_next(p);
            continue;
        }
        if (p->lx.t != T_RBRACE) {
            expect_fail(p, "\",\" or \"}\"");
            return -1;
        }
    }
    if (p->failed)
        return -1;
    lex_next(p); /* } */
    return p->failed ? -1 : 0;
}

static int
selector_has_positive(const struct pq_node *n)
{
    for (size_t i = 0; i < n->nm; i++) {
        const struct pq_matcher *m = &n->m[i];
        if (m->op == PQ_M_EQ && m->value[0] != 0)
            return 1;
        if (m->op == PQ_M_NE && m->value[0] == 0)
            return 1;
        if (m->op == PQ_M_RE && m->re != NULL) {
            pcre2_match_data *md = pcre2_match_data_create_from_pattern(m->re, NULL);
            int r = md != NULL ? pcre2_match(m->re, (PCRE2_SPTR) "", 0, 0, 0, md, NULL) : 0;
            pcre2_match_data_free(md);
            if (r < 0)
                return 1;
        }
    }
    return 0;
}

/* selector: [metric] [{...}] */
static struct pq_node *
parse_selector(struct parser *p, char *metric, size_t at)
{
    struct pq_node *n = node_new(p, PQ_SEL, at);
    if (n == NULL) {
        free(metric);
        return NULL;
    }
    n->type = PQ_T_VECTOR;
    n->sel_idx = p->nsel++;
    if (metric != NULL) {
        n->metric = metric;
        char *nm = strdup("__name__"), *v = strdup(metric);
        if (add_matcher(p, n, nm, v, PQ_M_EQ, at) != 0) {
            node_free(n);
            return NULL;
        }
    }
    if (p->lx.t == T_LBRACE && parse_matchers(p, n) != 0) {
        node_free(n);
        return NULL;
    }
    if (metric == NULL) {
        for (size_t i = 0; i < n->nm; i++)
            if (strcmp(n->m[i].name, "__name__") == 0 && n->m[i].op == PQ_M_EQ &&
                n->metric == NULL)
                n->metric = strdup(n->m[i].value);
    }
    if (!selector_has_positive(n)) {
        perr(p, at, "vector selector must contain at least one non-empty matcher");
        node_free(n);
        return NULL;
    }
    return n;
}

static int
parse_args(struct parser *p, struct pq_node *n)
{
    if (expect(p, T_LPAREN, "\"(\"") != 0)
        return -1;
    while (p->lx.t != T_RPAREN) {
        struct pq_node *a = parse_expr(p, 0);
        if (a == NULL)
            return -1;
        struct pq_node **na = realloc(n->args, (n->nargs + 1) * sizeof(*na));
        if (na == NULL) {
            node_free(a);
            perr(p, p->lx.start, "out of memory");
            return -1;
        }
        n->args = na;
        n->args[n->nargs++] = a;
        if (p->lx.t == T_COMMA) {
            lex_next(p);
            if (p->failed)
                return -1;
            continue;
        }
        if (p->lx.t != T_RPAREN) {
            expect_fail(p, "\",\" or \")\"");
            return -1;
        }
    }
    lex_next(p);
    return p->failed ? -1 : 0;
}

static const struct {
    const char *name;
    enum pq_aggop op;
    int param;
} aggs[] = {
    {"sum", PQ_AGG_SUM, 0},       {"min", PQ_AGG_MIN, 0},
    {"max", PQ_AGG_MAX, 0},       {"avg", PQ_AGG_AVG, 0},
    {"count", PQ_AGG_COUNT, 0},   {"topk", PQ_AGG_TOPK, 1},
    {"bottomk", PQ_AGG_BOTTOMK, 1}, {"group", PQ_AGG_GROUP, 0},
    {"quantile", PQ_AGG_QUANTILE, 1},
};

static int
parse_grouping(struct parser *p, struct pq_node *n)
{
    if (n->has_grouping) {
        perr(p, p->lx.start, "duplicate grouping clause");
        return -1;
    }
    n->without = tok_is(p, "without");
    n->has_grouping = 1;
    lex_next(p);
    return parse_label_list(p, &n->grouping);
}

static struct pq_node *
parse_aggregation(struct parser *p, size_t ai, size_t at)
{
    struct pq_node *n = node_new(p, PQ_AGG, at);
    if (n == NULL)
        return NULL;
    n->agg = aggs[ai].op;
    n->type = PQ_T_VECTOR;
    lex_next(p);
    if ((tok_is(p, "by") || tok_is(p, "without")) && parse_grouping(p, n) != 0)
        goto fail;
    if (p->lx.t != T_LPAREN) {
        expect_fail(p, "\"(\" after aggregation");
        goto fail;
    }
    if (parse_args(p, n) != 0)
        goto fail;
    if ((tok_is(p, "by") || tok_is(p, "without")) && parse_grouping(p, n) != 0)
        goto fail;
    size_t want = aggs[ai].param ? 2 : 1;
    if (n->nargs != want) {
        perr(p, at, "%s expects %zu argument%s, got %zu", aggs[ai].name, want,
             want == 1 ? "" : "s", n->nargs);
        goto fail;
    }
    if (aggs[ai].param) {
        n->param = n->args[0];
        n->lhs = n->args[1];
        if (n->param->type != PQ_T_SCALAR) {
            perr(p, n->param->col - 1, "%s: parameter must be a scalar, got %s",
                 aggs[ai].name, type_name(n->param->type));
            n->param = NULL;
            n->lhs = NULL;
            goto fail;
        }
    } else {
        n->lhs = n->args[0];
    }
    free(n->args);
    n->args = NULL;
    n->nargs = 0;
    if (n->lhs->type != PQ_T_VECTOR) {
        perr(p, n->lhs->col - 1, "%s: expected instant vector, got %s",
             aggs[ai].name, type_name(n->lhs->type));
        goto fail;
    }
    return n;
fail:
    node_free(n);
    return NULL;
}

static struct pq_node *
parse_call(struct parser *p, const struct pq_func *fn, size_t at)
{
    struct pq_node *n = node_new(p, PQ_CALL, at);
    if (n == NULL)
        return NULL;
    n->fn = fn;
    n->type = fn->ret;
    lex_next(p);
    if (parse_args(p, n) != 0) {
        node_free(n);
        return NULL;
    }
    if ((int)n->nargs < fn->nargs || (int)n->nargs > fn->nargs + fn->nopt) {
        perr(p, at, "function %s expects %d%s argument%s, got %zu", fn->name,
             fn->nargs, fn->nopt ? " or more" : "", fn->nargs == 1 ? "" : "s",
             n->nargs);
        node_free(n);
        return NULL;
    }
    for (size_t i = 0; i < n->nargs; i++) {
        enum pq_type want = fn->args[i];
        if (n->args[i]->type != want) {
            perr(p, n->args[i]->col - 1,
                 "function %s: argument %zu must be %s, got %s", fn->name, i + 1,
                 type_name(want), type_name(n->args[i]->type));
            node_free(n);
            return NULL;
        }
    }
    return n;
}

static struct pq_node *
parse_postfix(struct parser *p, struct pq_node *n)
{
    for (;;) {
        if (p->lx.t == T_LBRACK) {
            size_t at = p->lx.start;
            if (n->kind != PQ_SEL || n->type != PQ_T_VECTOR || n->offset_ms != 0) {
                perr(p, at, "ranges only allowed for vector selectors");
                goto fail;
            }
            lex_next(p);
            if (p->lx.t != T_DUR) {
                expect_fail(p, "duration in range selector");
                goto fail;
            }
            if (p->lx.dur <= 0) {
                perr(p, p->lx.start, "range must be positive");
                goto fail;
            }
            n->range_ms = p->lx.dur;
            lex_next(p);
            if (p->lx.t == T_COLON ||
                (p->lx.t == T_IDENT && p->lx.s[p->lx.start] == ':')) {
                perr(p, p->lx.start, "subqueries are not supported");
                goto fail;
            }
            if (expect(p, T_RBRACK, "\"]\"") != 0)
                goto fail;
            n->type = PQ_T_MATRIX;
            continue;
        }
        if (tok_is(p, "offset")) {
            size_t at = p->lx.start;
            if (n->kind != PQ_SEL) {
                perr(p, at, "offset modifier must be preceded by a selector");
                goto fail;
            }
            if (n->offset_ms != 0) {
                perr(p, at, "offset may not be set multiple times");
                goto fail;
            }
            lex_next(p);
            int neg = 0;
            if (p->lx.t == T_SUB) {
                neg = 1;
                lex_next(p);
            }
            if (p->lx.t != T_DUR) {
                expect_fail(p, "duration after offset");
                goto fail;
            }
            n->offset_ms = neg ? -p->lx.dur : p->lx.dur;
            lex_next(p);
            continue;
        }
        if (p->lx.t == T_AT) {
            perr(p, p->lx.start, "the @ modifier is not supported");
            goto fail;
        }
        break;
    }
    if (p->failed)
        goto fail;
    return n;
fail:
    node_free(n);
    return NULL;
}

static struct pq_node *
parse_primary(struct parser *p)
{
    size_t at = p->lx.start;
    struct pq_node *n = NULL;
    switch (p->lx.t) {
    case T_NUM:
        n = node_new(p, PQ_NUM, at);
        if (n == NULL)
            return NULL;
        n->type = PQ_T_SCALAR;
        n->num = p->lx.num;
        lex_next(p);
        break;
    case T_DUR:
        perr(p, at, "unexpected duration, expected expression");
        return NULL;
    case T_STR:
        n = node_new(p, PQ_STR, at);
        if (n == NULL)
            return NULL;
        n->type = PQ_T_STRING;
        n->str = p->lx.str;
        p->lx.str = NULL;
        lex_next(p);
        break;
    case T_LPAREN: {
        lex_next(p);
        n = parse_expr(p, 0);
        if (n == NULL)
            return NULL;
        if (expect(p, T_RPAREN, "\")\"") != 0) {
            node_free(n);
            return NULL;
        }
        /* a parenthesised expression takes neither [range] nor offset */
        if (p->lx.t == T_LBRACK || tok_is(p, "offset")) {
            perr(p, p->lx.start, p->lx.t == T_LBRACK
                                     ? "ranges only allowed for vector selectors"
                                     : "offset modifier must be preceded by a selector");
            node_free(n);
            return NULL;
        }
        return n;
    }
    case T_LBRACE:
        n = parse_selector(p, NULL, at);
        break;
    case T_IDENT: {
        if (tok_is_ci(p, "inf") || tok_is_ci(p, "nan")) {
            n = node_new(p, PQ_NUM, at);
            if (n == NULL)
                return NULL;
            n->type = PQ_T_SCALAR;
            n->num = tok_is_ci(p, "inf") ? INFINITY : NAN;
            lex_next(p);
            break;
        }
        for (size_t i = 0; i < sizeof(aggs) / sizeof(aggs[0]); i++) {
            if (tok_is(p, aggs[i].name)) {
                /* "sum" alone could be a metric; aggregations need ( or by */
                size_t save = p->lx.pos;
                size_t q = save;
                while (q < p->lx.n && isspace((unsigned char)p->lx.s[q]))
                    q++;
                if (q < p->lx.n && (p->lx.s[q] == '(' ||
                                    strncmp(p->lx.s + q, "by", 2) == 0 ||
                                    strncmp(p->lx.s + q, "without", 7) == 0)) {
                    n = parse_aggregation(p, i, at);
                    return n == NULL ? NULL : parse_postfix(p, n);
                }
            }
        }
        char *name = tok_dup(p);
        if (name == NULL) {
            perr(p, at, "out of memory");
            return NULL;
        }
        size_t q = p->lx.pos;
        while (q < p->lx.n && isspace((unsigned char)p->lx.s[q]))
            q++;
        if (q < p->lx.n && p->lx.s[q] == '(') {
            const struct pq_func *fn = pq_func_lookup(name, strlen(name));
            if (fn == NULL) {
                perr(p, at, "unknown function \"%s\"", name);
                free(name);
                return NULL;
            }
            free(name);
            n = parse_call(p, fn, at);
            break;
        }
        static const char *const kw[] = {"by", "without", "on", "ignoring",
                                         "group_left", "group_right", "bool",
                                         "offset", "and", "or", "unless"};
        for (size_t i = 0; i < sizeof(kw) / sizeof(kw[0]); i++) {
            if (strcmp(name, kw[i]) == 0) {
                perr(p, at, "unexpected keyword \"%s\", expected expression", name);
                free(name);
                return NULL;
            }
        }
        lex_next(p);
        if (p->failed) {
            free(name);
            return NULL;
        }
        n = parse_selector(p, name, at);
        break;
    }
    case T_EOF:
        perr(p, at, "unexpected end of input, expected expression");
        return NULL;
    default: {
        char b[64];
        perr(p, at, "unexpected %s, expected expression", tok_desc(p, b, sizeof(b)));
        return NULL;
    }
    }
    if (n == NULL || p->failed) {
        node_free(n);
        return NULL;
    }
    return parse_postfix(p, n);
}

/* Binary operator at the current token: op and precedence, or -1. */
static int
binop_at(const struct parser *p, enum pq_binop *op)
{
    switch (p->lx.t) {
    case T_ADD: *op = PQ_OP_ADD; return 4;
    case T_SUB: *op = PQ_OP_SUB; return 4;
    case T_MUL: *op = PQ_OP_MUL; return 5;
    case T_DIV: *op = PQ_OP_DIV; return 5;
    case T_MOD: *op = PQ_OP_MOD; return 5;
    case T_POW: *op = PQ_OP_POW; return 7;
    case T_EQL: *op = PQ_OP_EQ; return 3;
    case T_NEQ: *op = PQ_OP_NE; return 3;
    case T_GTR: *op = PQ_OP_GT; return 3;
    case T_LSS: *op = PQ_OP_LT; return 3;
    case T_GTE: *op = PQ_OP_GE; return 3;
    case T_LTE: *op = PQ_OP_LE; return 3;
    case T_IDENT:
        if (tok_is(p, "and")) { *op = PQ_OP_AND; return 2; }
        if (tok_is(p, "unless")) { *op = PQ_OP_UNLESS; return 2; }
        if (tok_is(p, "or")) { *op = PQ_OP_OR; return 1; }
        return -1;
    default:
        return -1;
    }
}

static int
is_comparison(enum pq_binop op)
{
    return op >= PQ_OP_EQ && op <= PQ_OP_LE;
}

static int
is_setop(enum pq_binop op)
{
    return op == PQ_OP_AND || op == PQ_OP_OR || op == PQ_OP_UNLESS;
}

static struct pq_node *
parse_unary(struct parser *p)
{
    if (p->lx.t == T_SUB || p->lx.t == T_ADD) {
        int neg = p->lx.t == T_SUB;
        size_t at = p->lx.start;
        lex_next(p);
        if (p->failed)
            return NULL;
        struct pq_node *e = parse_expr(p, 6);
        if (e == NULL)
            return NULL;
        if (e->type != PQ_T_SCALAR && e->type != PQ_T_VECTOR) {
            perr(p, at, "unary expression only allowed on scalars or instant vectors");
            node_free(e);
            return NULL;
        }
        if (!neg)
            return e;
        if (e->kind == PQ_NUM) {
            e->num = -e->num;
            e->col = (uint32_t)(at + 1);
            return e;
        }
        struct pq_node *n = node_new(p, PQ_NEG, at);
        if (n == NULL) {
            node_free(e);
            return NULL;
        }
        n->lhs = e;
        n->type = e->type;
        return n;
    }
    return parse_primary(p);
}

static int
parse_bin_modifiers(struct parser *p, struct pq_node *n)
{
    if (tok_is(p, "bool")) {
        if (!is_comparison(n->op)) {
            perr(p, p->lx.start, "bool modifier can only be used on comparison operators");
            return -1;
        }
        n->ret_bool = 1;
        lex_next(p);
    }
    if (tok_is(p, "on") || tok_is(p, "ignoring")) {
        n->on = tok_is(p, "on");
        n->has_matching = 1;
        lex_next(p);
        if (parse_label_list(p, &n->mlabels) != 0)
            return -1;
        if (tok_is(p, "group_left") || tok_is(p, "group_right")) {
            if (is_setop(n->op)) {
                perr(p, p->lx.start, "no grouping allowed for \"and\", \"or\", \"unless\" operations");
                return -1;
            }
            n->card = tok_is(p, "group_left") ? PQ_CARD_MANY_ONE : PQ_CARD_ONE_MANY;
            size_t gat = p->lx.start;
            lex_next(p);
            if (p->lx.t == T_LPAREN && parse_label_list(p, &n->include) != 0)
                return -1;
            for (size_t i = 0; i < n->include.n && n->on; i++)
                for (size_t j = 0; j < n->mlabels.n; j++)
                    if (strcmp(n->include.v[i], n->mlabels.v[j]) == 0) {
                        perr(p, gat, "label \"%s\" must not occur in ON and GROUP clause at once", n->include.v[i]);
                        return -1;
                    }
        }
    } else if (tok_is(p, "group_left") || tok_is(p, "group_right")) {
        perr(p, p->lx.start, "group_left/group_right need on() or ignoring() first");
        return -1;
    }
    return p->failed ? -1 : 0;
}

static struct pq_node *
parse_expr(struct parser *p, int minprec)
{
    if (++p->depth > PQ_MAX_DEPTH) {
        perr(p, p->lx.start, "expression nested too deeply");
        p->depth--;
        return NULL;
    }
    struct pq_node *lhs = parse_unary(p);
    while (lhs != NULL && !p->failed) {
        enum pq_binop op;
        int prec = binop_at(p, &op);
        if (prec < 0 || prec < minprec)
            break;
        size_t at = p->lx.start;
        struct pq_node *n = node_new(p, PQ_BIN, at);
        if (n == NULL)
            break;
        n->op = op;
        n->lhs = lhs;
        lhs = n;
        lex_next(p);
        if (is_setop(op))
            n->card = PQ_CARD_MANY;
        if (p->failed || parse_bin_modifiers(p, n) != 0)
            break;
        /* ^ is right-associative */
        n->rhs = parse_expr(p, op == PQ_OP_POW ? prec : prec + 1);
        if (n->rhs == NULL)
            break;
        enum pq_type lt = n->lhs->type, rt = n->rhs->type;
        if ((lt != PQ_T_SCALAR && lt != PQ_T_VECTOR) ||
            (rt != PQ_T_SCALAR && rt != PQ_T_VECTOR)) {
            perr(p, at, "binary expression must contain only scalar and instant vector types");
            break;
        }
        if (is_setop(op) && (lt != PQ_T_VECTOR || rt != PQ_T_VECTOR)) {
            perr(p, at, "set operator not allowed in binary scalar expression");
            break;
        }
        if (is_comparison(op) && lt == PQ_T_SCALAR && rt == PQ_T_SCALAR &&
            !n->ret_bool) {
            perr(p, at, "comparisons between scalars must use BOOL modifier");
            break;
        }
        if ((n->has_matching || n->card != PQ_CARD_ONE) &&
            (lt != PQ_T_VECTOR || rt != PQ_T_VECTOR) && !is_setop(op)) {
            perr(p, at, "vector matching only allowed between instant vectors");
            break;
        }
        n->type = lt == PQ_T_SCALAR && rt == PQ_T_SCALAR ? PQ_T_SCALAR : PQ_T_VECTOR;
    }
    p->depth--;
    if (p->failed) {
        node_free(lhs);
        return NULL;
    }
    return lhs;
}

enum ps_err
pq_parse(const char *src, size_t n, struct pq_expr **out, char *err, size_t errn,
         uint32_t *col)
{
    struct parser p;
    memset(&p, 0, sizeof(p));
    char dummy[8];
    p.err = err != NULL && errn > 0 ? err : dummy;
    p.errn = err != NULL && errn > 0 ? errn : sizeof(dummy);
    p.err[0] = 0;
    p.lx.s = src;
    p.lx.n = n;
    *out = NULL;
    if (col != NULL)
        *col = 0;
    for (size_t i = 0; i < n; i++) {
        if (src[i] == 0) {
            perr(&p, i, "NUL byte in expression");
            if (col != NULL)
                *col = p.errcol;
            return PS_E_SYNTAX;
        }
    }
    lex_next(&p);
    struct pq_node *root = p.failed ? NULL : parse_expr(&p, 0);
    if (root != NULL && p.lx.t != T_EOF) {
        char b[64];
        perr(&p, p.lx.start, "unexpected %s after expression", tok_desc(&p, b, sizeof(b)));
    }
    free(p.lx.str);
    if (p.failed) {
        node_free(root);
        if (col != NULL)
            *col = p.errcol;
        return PS_E_SYNTAX;
    }
    struct pq_expr *e = calloc(1, sizeof(*e));
    char *copy = malloc(n + 1);
    if (e == NULL || copy == NULL) {
        free(e);
        free(copy);
        node_free(root);
        snprintf(p.err, p.errn, "out of memory");
        return PS_E_NOMEM;
    }
    memcpy(copy, src, n);
    copy[n] = 0;
    e->root = root;
    e->nsel = p.nsel;
    e->src = copy;
    *out = e;
    return PS_OK;
}

void
pq_walk_selectors(const struct pq_node *n, int in_absent,
                  void (*cb)(const struct pq_node *, int, void *), void *arg)
{
    if (n == NULL)
        return;
    if (n->kind == PQ_SEL) {
        cb(n, in_absent, arg);
        return;
    }
    int ab = in_absent;
    if (n->kind == PQ_CALL && n->fn != NULL &&
        (strcmp(n->fn->name, "absent") == 0 ||
         strcmp(n->fn->name, "absent_over_time") == 0))
        ab = 1;
    for (size_t i = 0; i < n->nargs; i++)
        pq_walk_selectors(n->args[i], ab, cb, arg);
    pq_walk_selectors(n->param, ab, cb, arg);
    pq_walk_selectors(n->lhs, ab, cb, arg);
    pq_walk_selectors(n->rhs, ab, cb, arg);
}

int64_t
pq_max_range(const struct pq_node *n)
{
    if (n == NULL)
        return 0;
    int64_t m = 0;
    if (n->kind == PQ_SEL)
        m = n->range_ms + (n->offset_ms > 0 ? n->offset_ms : 0);
    for (size_t i = 0; i < n->nargs; i++) {
        int64_t r = pq_max_range(n->args[i]);
        if (r > m)
            m = r;
    }
    const struct pq_node *kids[3] = {n->param, n->lhs, n->rhs};
    for (int i = 0; i < 3; i++) {
        int64_t r = pq_max_range(kids[i]);
        if (r > m)
            m = r;
    }
    return m;
}
