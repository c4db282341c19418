/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * log_text.c - turning raw log bytes into text that may be stored and
 * printed: valid UTF-8 (JSON output needs it), no control bytes, secrets
 * redacted, and a bounded length with a marker saying how much was cut.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

/* 1 if every byte is printable ASCII or a tab: nothing to replace.
 * Eight bytes at a time: a word passes if no byte is below 0x20, at or
 * above 0x7F (tabs fall back to the byte loop). */
static int
plain_ascii(const unsigned char *u, size_t n)
{
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, u + i, 8);
        uint64_t low = (w - 0x20 * ones) & ~w;            /* byte < 0x20 */
        uint64_t del = (w + 0x01 * ones) & high;          /* byte >= 0x7F */
        if (((low | w | del) & high) != 0) {
            for (size_t k = i; k < i + 8; k++)
                if (u[k] < 0x20 ? u[k] != '\t' : u[k] > 0x7E)
                    return 0;
        }
    }
    for (; i < n; i++)
        if (u[i] < 0x20 ? u[i] != '\t' : u[i] > 0x7E)
            return 0;
    return 1;
}

/*
 * Adjacent byte pairs that can start a redaction trigger: the first two
 * letters of each trigger word in any case, and '@' followed by anything.
 * Generated (a 65536-bit table; word index = pair >> 6).
 */
static const uint64_t trigger_pairs[1024] = {
        [256] = 0xffffffffffffffffULL,
        [257] = 0xffffffffffffffffULL,
        [258] = 0xffffffffffffffffULL,
        [259] = 0xffffffffffffffffULL,
        [261] = 0x0020000000200000ULL,
        [265] = 0x0000002200000022ULL,
        [269] = 0x0004000000040000ULL,
        [301] = 0x0000002000000020ULL,
        [321] = 0x0000000200000002ULL,
        [333] = 0x0000002000000020ULL,
        [337] = 0x0000800000008000ULL,
        [389] = 0x0020000000200000ULL,
        [393] = 0x0000002200000022ULL,
        [397] = 0x0004000000040000ULL,
        [429] = 0x0000002000000020ULL,
        [449] = 0x0000000200000002ULL,
        [461] = 0x0000002000000020ULL,
        [465] = 0x0000800000008000ULL
};

/*
 * 1 if ps_redact_text() could change s: a conservative superset of what
 * its detectors look for ("Bearer "/"Basic " schemes, "://user:pw@", and
 * key names containing password/passwd/secret/token/credential/..._key/
 * authorization). Most log lines contain none of these, and skipping the
 * redactor for them is what keeps matched-line throughput up. If the
 * redactor learns a new trigger, add it here (test_logs_text.c checks
 * the two agree on a battery of lines).
 */
/* 1 if the n bytes at s start with the lower-case ASCII word w (length
 * wl), ignoring ASCII case. */
static int
starts_with_word(const unsigned char *s, size_t n, const char *w, size_t wl)
{
    if (n < wl)
        return 0;
    for (size_t i = 0; i < wl; i++) {
        unsigned c = s[i];
        if (c >= 'A' && c <= 'Z')
            c += 'a' - 'A';
        if (c != (unsigned char)w[i])
            return 0;
    }
    return 1;
}

/* 1 if a trigger starts at u[i] (i + 1 < n). */
static int
trigger_at(const unsigned char *u, size_t n, size_t i)
{
    unsigned p = (unsigned)u[i] << 8 | u[i + 1];
    if (!((trigger_pairs[p >> 6] >> (p & 63)) & 1))
        return 0;
    if (u[i] == '@')
        return 1;
    /* Only the words starting with this letter can match here. */
    const unsigned char *at = u + i;
    size_t left = n - i;
    switch (u[i] | 0x20) {
    case 'b':
        return starts_with_word(at, left, "bearer", 6) ||
               starts_with_word(at, left, "basic", 5);
    case 'p': return starts_with_word(at, left, "pass", 4);
    case 's': return starts_with_word(at, left, "secret", 6);
    case 't': return starts_with_word(at, left, "token", 5);
    case 'c': return starts_with_word(at, left, "credential", 10);
    case 'k': return starts_with_word(at, left, "key", 3);
    case 'a': return starts_with_word(at, left, "auth", 4);
    default: return 0;
    }
}

int
ps_log_may_hold_secret(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    if (n > 0 && u[n - 1] == '@')
        return 1;
    size_t i = 0;
#if defined(__SSE2__)
    /* 16 pair positions at a time: the same pairs as trigger_pairs
     * ('@' + any byte, or the two letters with ASCII case folded by
     * OR 0x20, which maps no other byte onto a letter); candidates are
     * then checked one by one. */
    const __m128i fold = _mm_set1_epi8(0x20);
#define PS_EQ(x, ch) _mm_cmpeq_epi8((x), _mm_set1_epi8(ch))
#define PS_PAIR(c0, c1) _mm_and_si128(PS_EQ(a, c0), PS_EQ(b, c1))
    for (; i + 17 <= n; i += 16) {
        __m128i r0 = _mm_loadu_si128((const __m128i *)(const void *)(u + i));
        __m128i r1 = _mm_loadu_si128((const __m128i *)(const void *)(u + i + 1));
        __m128i a = _mm_or_si128(r0, fold), b = _mm_or_si128(r1, fold);
        __m128i m = PS_EQ(r0, '@');
        m = _mm_or_si128(m, _mm_and_si128(PS_EQ(a, 'b'),
                                          _mm_or_si128(PS_EQ(b, 'a'), PS_EQ(b, 'e'))));
        m = _mm_or_si128(m, PS_PAIR('p', 'a'));
        m = _mm_or_si128(m, PS_PAIR('s', 'e'));
        m = _mm_or_si128(m, PS_PAIR('t', 'o'));
        m = _mm_or_si128(m, PS_PAIR('c', 'r'));
        m = _mm_or_si128(m, PS_PAIR('k', 'e'));
        m = _mm_or_si128(m, PS_PAIR('a', 'u'));
        unsigned mask = (unsigned)_mm_movemask_epi8(m);
        while (mask != 0) {
            unsigned k = (unsigned)__builtin_ctz(mask);
            mask &= mask - 1;
            if (trigger_at(u, n, i + k))
                return 1;
        }
    }
#undef PS_PAIR
#undef PS_EQ
#endif
    for (; i + 1 < n; i++)
        if (trigger_at(u, n, i))
            return 1;
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
    /* 1. Valid UTF-8 without control bytes (tab aside) is kept as it
     *    is; anything else is copied with U+FFFD replacements. */
    const unsigned char *u = (const unsigned char *)s;
    const char *text = s;
    char *clean = NULL;
    size_t o = n, nbad = 0;
    int ok = plain_ascii(u, n);
    for (size_t i = 0; !ok && i <= n; i++) {
        if (i == n) {
            ok = 1;
            break;
        }
        if ((u[i] < 0x20 && u[i] != '\t') || u[i] == 0x7F)
            break;
        size_t l = utf8_len(u + i, n - i);
        if (l == 0)
            break;
        i += l - 1;
    }
    if (!ok) {
        /* Each byte can become 3 (U+FFFD). */
        clean = malloc(n * 3 + 1);
        if (clean == NULL)
            return NULL;
        o = 0;
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
        text = clean;
    }
    /* 2. Redacted, unless it holds none of the redactor's triggers. */
    if (bad != NULL)
        *bad = nbad;
    if (!ps_log_may_hold_secret(text, o)) {
        char *out = malloc(o + 48);
        if (out != NULL) {
            memcpy(out, text, o);
            out[o] = 0;
            if (cut > 0)
                snprintf(out + o, 48, "...[%zu bytes cut]", cut);
        }
        free(clean);
        return out;
    }
    size_t cap = 2 * o + 64 + 48;
    char *out = malloc(cap);
    if (out == NULL) {
        free(clean);
        return NULL;
    }
    size_t w = ps_redact_text(text, o, out, cap - 48, st);
    free(clean);
    if (cut > 0)
        snprintf(out + w, 48, "...[%zu bytes cut]", cut);
    return out;
}
