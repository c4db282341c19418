/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ps_redact.h - redaction at the door. Every text that can reach the fact
 * store or a report passes through ps_redact_text() first: bearer tokens,
 * Authorization headers, basic-auth user:password in URLs, and values of
 * keys that name secrets (password, passwd, secret, token, api_key,
 * access_key, client_secret, credentials, ... in YAML, JSON, logfmt,
 * flags and query strings) are replaced with "<redacted>".
 *
 * What was redacted is counted per file in a struct ps_redact_stats so the
 * report can say how many and where, never what.
 */
#ifndef PS_REDACT_H
#define PS_REDACT_H

#include <stddef.h>

#define PS_REDACTED "<redacted>"

struct ps_redact_stats {
    size_t bearer;      /* bearer tokens / Authorization header values */
    size_t url_auth;    /* user:password@ in URLs */
    size_t key_value;   /* values of secret-named keys */
};

/*
 * Redact s[0..n) into out (capacity cap, NUL-terminated, truncated if it
 * does not fit). Returns the length written. s and out may not overlap.
 * stats may be NULL. The output is never longer than n + 64 per secret
 * found, so cap = 2*n + 64 always suffices.
 */
size_t ps_redact_text(const char *s, size_t n, char *out, size_t cap,
                      struct ps_redact_stats *stats);

/* 1 if a key name (case-insensitive) names a secret, e.g. "bearer_token". */
int ps_redact_is_secret_key(const char *key, size_t n);

static inline size_t
ps_redact_total(const struct ps_redact_stats *st)
{
    return st->bearer + st->url_auth + st->key_value;
}

#endif
