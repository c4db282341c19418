/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * redact.c - replace secrets in free text with "<redacted>" (ps_redact.h).
 *
 * One left-to-right pass, three detectors tried at each position:
 *   1. "Bearer " / "Basic " followed by a token (Authorization headers,
 *      curl lines, logged requests): the token is replaced.
 *   2. scheme://user:password@host: the userinfo is replaced.
 *   3. key<sep>value where key names a secret (ps_redact_is_secret_key)
 *      and sep is '=', ':' or '": "' (logfmt, flags, YAML, JSON, query
 *      strings): the value is replaced, quoted or not.
 * Anything else is copied unchanged. The pass is linear in the input.
 */
#include "promsight/ps_redact.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* Substrings of a key name that mark its value as secret. */
static const char *const secret_words[] = {
    "password", "passwd", "secret", "token", "credential", "api_key",
    "apikey", "access_key", "accesskey", "private_key", "authorization",
    "auth_key", "session_key",
};

/* Keys that contain a secret word but hold no secret (a path or a flag). */
static const char *const not_secret_suffixes[] = {"_file", "_path", "_type",
                                                  "_ref"};

int
ps_redact_is_secret_key(const char *key, size_t n)
{
    char low[128];
    if (n == 0 || n >= sizeof(low))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = (char)tolower((unsigned char)key[i]);
        low[i] = c == '-' || c == '.' ? '_' : c;
    }
    low[n] = '\0';
    for (size_t i = 0; i < sizeof(not_secret_suffixes) / sizeof(*not_secret_suffixes); i++) {
        size_t sl = strlen(not_secret_suffixes[i]);
        if (n > sl && strcmp(low + n - sl, not_secret_suffixes[i]) == 0)
            return 0;
    }
    for (size_t i = 0; i < sizeof(secret_words) / sizeof(*secret_words); i++)
        if (strstr(low, secret_words[i]) != NULL)
            return 1;
    return 0;
}

struct out {
    char *p;
    size_t n, cap;
};

static void
emit(struct out *o, const char *s, size_t n)
{
    if (o->cap == 0)
        return;
    size_t room = o->cap - 1 - o->n;
    if (n > room)
        n = room;
    memcpy(o->p + o->n, s, n);
    o->n += n;
}

static int
is_key_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.';
}

/* End of a value starting at s[i]: quoted (with escapes) or up to a
 * delimiter. *q gets the quote char or 0. */
static size_t
value_end(const char *s, size_t n, size_t i, char *q)
{
    *q = 0;
    if (i < n && (s[i] == '"' || s[i] == '\'')) {
        *q = s[i];
        size_t j = i + 1;
        while (j < n && s[j] != *q) {
            if (s[j] == '\\' && j + 1 < n)
                j++;
            j++;
        }
        return j < n ? j + 1 : n;
    }
    size_t j = i;
    while (j < n && !isspace((unsigned char)s[j]) && s[j] != '&' &&
           s[j] != ',' && s[j] != '"' && s[j] != '\'' && s[j] != '}' &&
           s[j] != ';')
        j++;
    return j;
}

/* Try "Bearer <tok>" / "Basic <tok>" at s[i]. Returns bytes consumed or 0. */
static size_t
try_bearer(const char *s, size_t n, size_t i, struct out *o)
{
    static const char *const schemes[] = {"bearer ", "basic "};
    if (i > 0 && isalnum((unsigned char)s[i - 1]))
        return 0;
    for (size_t k = 0; k < 2; k++) {
        size_t sl = strlen(schemes[k]);
        if (n - i <= sl || strncasecmp(s + i, schemes[k], sl) != 0)
            continue;
        size_t j = i + sl;
        while (j < n && s[j] == ' ')
            j++;
        size_t t = j;
        while (t < n && (isalnum((unsigned char)s[t]) || strchr("-._~+/=:", s[t])))
            t++;
        if (t - j < 8) /* too short to be a token: ordinary prose */
            return 0;
        emit(o, s + i, j - i);
        emit(o, PS_REDACTED, strlen(PS_REDACTED));
        return t - i;
    }
    return 0;
}

/* Try "://user:pass@" at s[i] (i at ':'). Returns bytes consumed or 0. */
static size_t
try_url_auth(const char *s, size_t n, size_t i, struct out *o)
{
    if (n - i < 4 || strncmp(s + i, "://", 3) != 0)
        return 0;
    size_t j = i + 3, colon = 0;
    while (j < n && s[j] != '@' && s[j] != '/' && !isspace((unsigned char)s[j]) &&
           s[j] != '"' && s[j] != '\'') {
        if (s[j] == ':' && colon == 0)
            colon = j;
        j++;
    }
    if (j >= n || s[j] != '@' || colon == 0)
        return 0;
    emit(o, "://", 3);
    emit(o, PS_REDACTED, strlen(PS_REDACTED));
    emit(o, "@", 1);
    return j + 1 - i;
}

/* At a separator after a secret key: copy the separator, redact the value. */
static size_t
try_key_value(const char *s, size_t n, size_t i, size_t key_start,
              struct out *o)
{
    /* s[i] is '=' or ':' (possibly after a closing quote of a JSON key) */
    if (!ps_redact_is_secret_key(s + key_start, i - key_start))
        return 0;
    size_t j = i;
    if (j < n && s[j] == '"')
        j++; /* "key": */
    if (j >= n || (s[j] != '=' && s[j] != ':'))
        return 0;
    j++;
    while (j < n && (s[j] == ' ' || s[j] == '\t'))
        j++;
    /* "Authorization: Bearer <tok>": the scheme stays, the token goes */
    struct out probe = {NULL, 0, 0};
    if (try_bearer(s, n, j, &probe) != 0) {
        emit(o, s + i, j - i);
        return j - i + try_bearer(s, n, j, o);
    }
    char q;
    size_t e = value_end(s, n, j, &q);
    if (e == j || (q != 0 && e <= j + 2))
        return 0; /* empty value: nothing to hide */
    emit(o, s + i, j - i);
    if (q != 0)
        emit(o, &q, 1);
    emit(o, PS_REDACTED, strlen(PS_REDACTED));
    if (q != 0)
        emit(o, &q, 1);
    return e - i;
}

size_t
ps_redact_text(const char *s, size_t n, char *outbuf, size_t cap,
               struct ps_redact_stats *stats)
{
    struct out o = {outbuf, 0, cap};
    struct ps_redact_stats dummy = {0};
    if (stats == NULL)
        stats = &dummy;
    size_t i = 0, key_start = 0;
    int in_key = 0;
    while (i < n) {
        char c = s[i];
        size_t used;
        if ((c == 'B' || c == 'b') && (used = try_bearer(s, n, i, &o)) != 0) {
            stats->bearer++;
            i += used;
            in_key = 0;
            continue;
        }
        if (c == ':' && (used = try_url_auth(s, n, i, &o)) != 0) {
            stats->url_auth++;
            i += used;
            in_key = 0;
            continue;
        }
        if ((c == '=' || c == ':' || c == '"') && in_key &&
            (used = try_key_value(s, n, i, key_start, &o)) != 0) {
            stats->key_value++;
            i += used;
            in_key = 0;
            continue;
        }
        if (is_key_char(c)) {
            if (!in_key) {
                key_start = i;
                in_key = 1;
            }
        } else {
            in_key = 0;
        }
        emit(&o, s + i, 1);
        i++;
    }
    if (cap > 0)
        outbuf[o.n] = '\0';
    return o.n;
}
