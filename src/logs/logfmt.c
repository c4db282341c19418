/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * logfmt.c - tokenizing logfmt lines (go-kit log, Go slog's text handler,
 * Thanos) as an unordered list of key=value pairs.
 *
 * Grammar as the writers produce it: pairs separated by spaces; a key runs
 * to '=' (or to a space: a bare word, value empty); a value is either bare
 * (to the next space) or double-quoted with backslash escapes (\" \\ \n
 * \t \r and \uXXXX left as is). Keys can repeat (Thanos writes
 * component=receive component=receive-writer); lookups take the last.
 * Nothing here allocates; pairs borrow the line.
 */
#include <string.h>

#include "logs/logs_int.h"

/* End of a quoted value starting after its opening quote at s[i]; sets
 * *closed. Returns the index of the closing quote (or n). */
static size_t
quoted_end(const char *s, size_t n, size_t i, int *closed)
{
    while (i < n) {
        const char *q = memchr(s + i, '"', n - i);
        if (q == NULL)
            break;
        size_t j = (size_t)(q - s);
        /* Count the backslashes right before the quote. */
        size_t bs = 0;
        while (j - bs > i && s[j - bs - 1] == '\\')
            bs++;
        if ((bs & 1) == 0) {
            *closed = 1;
            return j;
        }
        i = j + 1;
    }
    *closed = 0;
    return n;
}

size_t
ps_logfmt_parse(const char *s, size_t n, struct ps_logfmt_pair *pairs,
                size_t cap, int *unterminated)
{
    size_t i = 0, np = 0;
    if (unterminated != NULL)
        *unterminated = 0;
    while (i < n) {
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
            i++;
        if (i >= n)
            break;
        size_t ks = i;
        while (i < n && s[i] != '=' && s[i] != ' ' && s[i] != '\t')
            i++;
        size_t kn = i - ks;
        const char *v = s + i;
        size_t vn = 0;
        int quoted = 0;
        if (i < n && s[i] == '=') {
            i++;
            if (i < n && s[i] == '"') {
                int closed;
                size_t e = quoted_end(s, n, i + 1, &closed);
                v = s + i + 1;
                vn = e - (i + 1);
                quoted = 1;
                if (!closed && unterminated != NULL)
                    *unterminated = 1;
                i = closed ? e + 1 : n;
            } else {
                size_t vs = i;
                const char *sp = memchr(s + i, ' ', n - i);
                i = sp != NULL ? (size_t)(sp - s) : n;
                v = s + vs;
                vn = i - vs;
            }
        }
        if (np < cap) {
            pairs[np].k = s + ks;
            pairs[np].kn = kn;
            pairs[np].v = v;
            pairs[np].vn = vn;
            pairs[np].quoted = quoted;
        }
        np++;
    }
    return np;
}

size_t
ps_logfmt_unquote(const char *v, size_t vn, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < vn && o < cap; i++) {
        char c = v[i];
        if (c == '\\' && i + 1 < vn) {
            char e = v[++i];
            switch (e) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case '"': c = '"'; break;
            case '\\': c = '\\'; break;
            default:
                /* Unknown escape: keep it as written. */
                out[o++] = '\\';
                if (o >= cap)
                    return o;
                c = e;
                break;
            }
        }
        out[o++] = c;
    }
    return o;
}

const struct ps_logfmt_pair *
ps_logfmt_find(const struct ps_logfmt_pair *pairs, size_t npairs, const char *k)
{
    size_t kn = strlen(k);
    for (size_t i = npairs; i-- > 0;)
        if (pairs[i].kn == kn && memcmp(pairs[i].k, k, kn) == 0)
            return &pairs[i];
    return NULL;
}

enum ps_err
ps_logfmt_put_value(struct ps_buf *b, const char *v, size_t n)
{
    int need = n == 0;
    for (size_t i = 0; i < n && !need; i++) {
        unsigned char c = (unsigned char)v[i];
        need = c <= ' ' || c == '=' || c == '"' || c == 0x7f;
    }
    if (!need)
        return ps_buf_append(b, v, n);
    enum ps_err e = ps_buf_append(b, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n && e == PS_OK; i++) {
        const char *esc = NULL;
        switch (v[i]) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default: break;
        }
        if (esc == NULL)
            continue;
        e = ps_buf_append(b, v + run, i - run);
        if (e == PS_OK)
            e = ps_buf_append(b, esc, 2);
        run = i + 1;
    }
    if (e == PS_OK)
        e = ps_buf_append(b, v + run, n - run);
    if (e == PS_OK)
        e = ps_buf_append(b, "\"", 1);
    return e;
}
