/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * log_text.c - turning raw log bytes into text that may be stored and
 * printed: valid UTF-8 (JSON output needs it), no control bytes, secrets
 * redacted, and a bounded length with a marker saying how much was cut.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

char *
ps_log_clean_text(const char *s, size_t n, size_t max, size_t *bad)
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
    size_t w = ps_redact_text(clean, o, out, cap - 48, NULL);
    free(clean);
    if (cut > 0)
        snprintf(out + w, 48, "...[%zu bytes cut]", cut);
    return out;
}
