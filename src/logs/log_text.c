/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * log_text.c - turning raw log bytes into text that may be stored and
 * printed: valid UTF-8 (JSON output needs it), no control bytes, secrets
 * redacted, and a bounded length with a marker saying how much was cut.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "logs/logs_int.h"
#include "promsight/ps_redact.h"

#define REPLACEMENT "\xEF\xBF\xBD"

/* Length of the valid UTF-8 sequence at s[0..n), 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    uint32_t min;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    uint32_t cp = c & (0x7F >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

int
ps_log_utf8_valid(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        if (u[i] == 0)
            return 0;
        if (u[i] < 0x80) {
            i++;
            continue;
        }
        size_t l = utf8_len(u + i, n - i);
        if (l == 0)
            return 0;
        i += l;
    }
    return 1;
}

/* 1 if every byte is printable ASCII or a tab: nothing to replace. */
static int
plain_ascii(const unsigned char *u, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (u[i] < 0x20 ? u[i] != '\t' : u[i] > 0x7E)
            return 0;
    return 1;
}

/*
 * 1 if ps_redact_text() could change s: a conservative superset of what
 * its detectors look for ("Bearer "/"Basic " schemes, "://user:pw@", and
 * key names containing password/passwd/secret/token/credential/..._key/
 * authorization). Most log lines contain none of these, and skipping the
 * redactor for them is what keeps matched-line throughput up. If the
 * redactor learns a new trigger, add it here (test_logs_text.c checks
 * the two agree on a battery of lines).
 */
int
ps_log_may_hold_secret(const char *s, size_t n)
{
    /* Bytes that can start a trigger: @ and the first letters. */
    static const uint8_t start[256] = {
        ['@'] = 1, ['a'] = 1, ['A'] = 1, ['b'] = 1, ['B'] = 1, ['c'] = 1,
        ['C'] = 1, ['k'] = 1, ['K'] = 1, ['p'] = 1, ['P'] = 1, ['s'] = 1,
        ['S'] = 1, ['t'] = 1, ['T'] = 1,
    };
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n; i++) {
        const char *w;
        size_t wl;
        if (!start[u[i]])
            continue;
        if (s[i] == '@')
            return 1;
        if (i + 1 >= n)
            break;
        char d = (char)(s[i + 1] | 0x20);
        switch (s[i] | 0x20) {
        case 'b':
            if (d == 'e')
                w = "bearer", wl = 6;
            else if (d == 'a')
                w = "basic", wl = 5;
            else
                continue;
            break;
        case 'p': if (d != 'a') continue; w = "pass", wl = 4; break;
        case 's': if (d != 'e') continue; w = "secret", wl = 6; break;
        case 't': if (d != 'o') continue; w = "token", wl = 5; break;
        case 'c': if (d != 'r') continue; w = "credential", wl = 10; break;
        case 'k': if (d != 'e') continue; w = "key", wl = 3; break;
        case 'a': if (d != 'u') continue; w = "auth", wl = 4; break;
        default: continue;
        }
        if (n - i >= wl && strncasecmp(s + i, w, wl) == 0)
            return 1;
    }
    return 0;
}

char *
ps_log_clean_text(const char *s, size_t n, size_t max, size_t *bad,
                  struct ps_redact_stats *st)
{
    size_t cut = 0;
    if (n > max) {
        /* Cut on a character boundary. */
        size_t m = max;
        while (m > 0 && ((unsigned char)s[m] & 0xC0) == 0x80)
            m--;
        cut = n - m;
        n = m;
    }
    if (plain_ascii((const unsigned char *)s, n) && !ps_log_may_hold_secret(s, n)) {
        char *out = malloc(n + 48);
        if (out == NULL)
            return NULL;
        memcpy(out, s, n);
        out[n] = 0;
        if (bad != NULL)
            *bad = 0;
        if (cut > 0)
            snprintf(out + n, 48, "...[%zu bytes cut]", cut);
        return out;
    }
    /* Each byte can become 3 (U+FFFD). */
    char *clean = malloc(n * 3 + 1);
    if (clean == NULL)
        return NULL;
    const unsigned char *u = (const unsigned char *)s;
    size_t o = 0, nbad = 0;
    for (size_t i = 0; i < n;) {
        size_t l = utf8_len(u + i, n - i);
        if (l == 0 || (u[i] < 0x20 && u[i] != '\t') || u[i] == 0x7F) {
            memcpy(clean + o, REPLACEMENT, 3);
            o += 3;
            nbad++;
            i++;
            continue;
        }
        memcpy(clean + o, u + i, l);
        o += l;
        i += l;
    }
    if (bad != NULL)
        *bad = nbad;
    size_t cap = 2 * o + 64 + 48;
    char *out = malloc(cap);
    if (out == NULL) {
        free(clean);
        return NULL;
    }
    size_t w = ps_redact_text(clean, o, out, cap - 48, st);
    free(clean);
    if (cut > 0)
        snprintf(out + w, 48, "...[%zu bytes cut]", cut);
    return out;
}
