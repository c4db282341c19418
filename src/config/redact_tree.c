/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * redact_tree.c - redaction of a parsed configuration tree, run right after
 * parsing and before anything is read from the tree.
 *
 * Three rules, in order, over every node of the tree:
 *   1. a map value whose key names a secret (cfg_is_secret_key: password,
 *      bearer_token, credentials, client_secret, secret_key, access_key,
 *      Authorization, ...) is replaced whole; an alias in that place
 *      redacts the scalar it names. Counted as `bearer` for bearer_token,
 *      credentials and Authorization, else `key_value`. Keys naming a
 *      *path* or *reference* to a secret (password_file, bearer_token_file,
 *      secretName, secretKeyRef, token_url, ...) are kept: they are not
 *      secrets and an SRE needs them.
 *   2. Kubernetes env entries {name: DB_PASSWORD, value: ...} redact value;
 *      in argument lists, the word after "--api-token" (no '=') is redacted;
 *      a Kubernetes Secret's data and stringData values are all redacted.
 *   3. a scalar holding a JSON document (last-applied-configuration) is
 *      parsed and redacted as a tree; if it held a secret it is replaced
 *      whole. Every other scalar goes through ps_redact_text (user:password@ in
 *      URLs, "Bearer <token>", key=value inside free text such as a
 *      kubectl last-applied-configuration annotation).
 * Values already equal to PS_REDACTED are left alone and not recounted.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/cfg_int.h"

static int
ends_with_ci(const char *s, size_t n, const char *suf)
{
    size_t sl = strlen(suf);
    return n >= sl && strncasecmp(s + n - sl, suf, sl) == 0;
}

int
cfg_is_secret_key(const char *k, size_t n)
{
    /* references and paths, in snake_case and camelCase */
    static const char *const keep[] = {"file", "path", "name", "ref", "_type",
                                       "refs", "names", "files", "url", "uri"};
    for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
        if (ends_with_ci(k, n, keep[i]))
            return 0;
    return ps_redact_is_secret_key(k, n);
}

static int
is_bearer_key(const char *k, size_t n)
{
    return (n == 12 && strncasecmp(k, "bearer_token", n) == 0) ||
           (n == 11 && strncasecmp(k, "credentials", n) == 0) ||
           (n == 13 && strncasecmp(k, "authorization", n) == 0);
}

static enum ps_err
set_redacted(struct cn *v)
{
    char *s = strdup(PS_REDACTED);
    if (s == NULL)
        return PS_E_NOMEM;
    free(v->s);
    v->s = s;
    v->len = strlen(PS_REDACTED);
    v->plain = 0;
    return PS_OK;
}

static int
already(const struct cn *v)
{
    return v->len == strlen(PS_REDACTED) && memcmp(v->s, PS_REDACTED, v->len) == 0;
}

/* Is this scalar worth hiding? Empty, null and booleans hide nothing. */
static int
worth(const struct cn *v)
{
    if (v->len == 0 || already(v))
        return 0;
    if (v->plain && (strcasecmp(v->s, "true") == 0 || strcasecmp(v->s, "false") == 0 ||
                     strcasecmp(v->s, "null") == 0 || strcmp(v->s, "~") == 0))
        return 0;
    return 1;
}

/* Redact the value node v (following one alias) because of its key. */
static enum ps_err
redact_value(struct cn *v, int bearer, struct ps_redact_stats *st)
{
    if (v->type == CN_ALIAS)
        v = v->target;
    if (v == NULL || v->type != CN_SCALAR || !worth(v))
        return PS_OK;
    if (bearer)
        st->bearer++;
    else
        st->key_value++;
    return set_redacted(v);
}

/* A Kubernetes Secret: every value of data and stringData. */
static enum ps_err
redact_secret_object(struct cn *m, struct ps_redact_stats *st)
{
    static const char *const keys[] = {"data", "stringData"};
    for (int k = 0; k < 2; k++) {
        struct cn *data = (struct cn *)cn_get(m, keys[k]);
        if (data == NULL || data->type != CN_MAP)
            continue;
        for (size_t j = 1; j < data->n; j += 2) {
            enum ps_err e = redact_value(data->kids[j], 0, st);
            if (e != PS_OK)
                return e;
        }
    }
    return PS_OK;
}

char *
cfg_redact_str(const char *s, size_t n, struct ps_redact_stats *stats)
{
    if (n > (SIZE_MAX - 64) / 2)
        return NULL;
    size_t cap = 2 * n + 64;
    char *out = malloc(cap);
    if (out == NULL)
        return NULL;
    ps_redact_text(s, n, out, cap, stats);
    return out;
}

/* "--name" (no '=') naming a secret, as one word of an argument list */
static int
is_secret_flag_word(const struct cn *w)
{
    if (w == NULL || w->type != CN_SCALAR || w->len < 3 || w->s[0] != '-' || w->s[1] != '-' ||
        memchr(w->s, '=', w->len) != NULL)
        return 0;
    return cfg_is_secret_key(w->s + 2, w->len - 2);
}

#define EMBED_MAX_DEPTH 2
#define EMBED_MAX_BYTES (1u << 20)

static enum ps_err redact_doc(struct cfg_doc *d, struct ps_redact_stats *st, int depth);

/*
 * A scalar holding a JSON document (a kubectl last-applied-configuration
 * annotation, a hashrings.json in a ConfigMap): redact it as a tree. If
 * anything in it was secret, the whole scalar is replaced (we do not
 * re-serialise JSON) and the secrets found inside are counted. Returns 1
 * if it was handled that way.
 */
static int
redact_embedded_json(struct cn *v, struct ps_redact_stats *st, int depth, enum ps_err *err)
{
    size_t i = 0;
    while (i < v->len && (v->s[i] == ' ' || v->s[i] == '\n' || v->s[i] == '\t' || v->s[i] == '\r'))
        i++;
    if (depth >= EMBED_MAX_DEPTH || v->len > EMBED_MAX_BYTES || i >= v->len ||
        (v->s[i] != '{' && v->s[i] != '['))
        return 0;
    struct ps_diags quiet;
    ps_diags_init(&quiet);
    struct cfg_doc *sub;
    enum ps_err perr;
    *err = cfg_doc_parse((const uint8_t *)v->s, v->len, NULL, &quiet, &sub, &perr);
    ps_diags_free(&quiet);
    if (*err != PS_OK)
        return 1;
    struct ps_redact_stats inner = {0, 0, 0};
    *err = redact_doc(sub, &inner, depth + 1);
    cfg_doc_free(sub);
    if (*err != PS_OK)
        return 1;
    if (perr != PS_OK && ps_redact_total(&inner) == 0)
        return 0;   /* not JSON after all: treat as text */
    if (ps_redact_total(&inner) == 0)
        return 1;
    st->bearer += inner.bearer;
    st->url_auth += inner.url_auth;
    st->key_value += inner.key_value;
    *err = set_redacted(v);
    return 1;
}

static enum ps_err
redact_doc(struct cfg_doc *d, struct ps_redact_stats *st, int depth)
{
    enum ps_err e;

    /* 1 and 2: map values by key */
    for (size_t i = 0; i < d->nall; i++) {
        struct cn *m = d->all[i];
        if (m->type == CN_SEQ) {
            /* argument lists: "--api-token", "<value>" */
            for (size_t j = 0; j + 1 < m->n; j++)
                if (is_secret_flag_word(cn_deref(m->kids[j])) && m->kids[j + 1]->type == CN_SCALAR &&
                    m->kids[j + 1]->s[0] != '-' &&
                    (e = redact_value(m->kids[j + 1], 0, st)) != PS_OK)
                    return e;
            continue;
        }
        if (m->type != CN_MAP)
            continue;
        const char *kind = cn_str(m, "kind");
        if (kind != NULL && strcmp(kind, "Secret") == 0 &&
            (e = redact_secret_object(m, st)) != PS_OK)
            return e;
        for (size_t j = 0; j + 1 < m->n; j += 2) {
            const struct cn *k = cn_deref(m->kids[j]);
            if (k == NULL || k->type != CN_SCALAR)
                continue;
            if (cfg_is_secret_key(k->s, k->len)) {
                if ((e = redact_value(m->kids[j + 1], is_bearer_key(k->s, k->len), st)) != PS_OK)
                    return e;
            } else if (k->len == 4 && memcmp(k->s, "name", 4) == 0) {
                const struct cn *nv = cn_deref(m->kids[j + 1]);
                if (nv == NULL || nv->type != CN_SCALAR || !cfg_is_secret_key(nv->s, nv->len))
                    continue;
                for (size_t q = 0; q + 1 < m->n; q += 2) {
                    const struct cn *k2 = cn_deref(m->kids[q]);
                    if (k2 != NULL && k2->type == CN_SCALAR && strcmp(k2->s, "value") == 0 &&
                        (e = redact_value(m->kids[q + 1], 0, st)) != PS_OK)
                        return e;
                }
            }
        }
    }
    /* 3: free text in every remaining scalar */
    for (size_t i = 0; i < d->nall; i++) {
        struct cn *v = d->all[i];
        if (v->type != CN_SCALAR || !worth(v))
            continue;
        e = PS_OK;
        if (redact_embedded_json(v, st, depth, &e)) {
            if (e != PS_OK)
                return e;
            continue;
        }
        struct ps_redact_stats before = *st;
        char *r = cfg_redact_str(v->s, v->len, st);
        if (r == NULL)
            return PS_E_NOMEM;
        if (ps_redact_total(st) != ps_redact_total(&before)) {
            free(v->s);
            v->s = r;
            v->len = strlen(r);
        } else {
            free(r);
        }
    }
    return PS_OK;
}

enum ps_err
cfg_redact_tree(struct cfg_doc *d, struct ps_redact_stats *stats)
{
    struct ps_redact_stats dummy = {0, 0, 0};
    return redact_doc(d, stats != NULL ? stats : &dummy, 0);
}
