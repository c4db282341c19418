/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_logs_secret_scan.c - the redaction pre-check ps_log_may_hold_secret
 * (which scans 16 positions at a time where SSE2 exists) against a plain
 * reference written from its specification: a line "may hold a secret"
 * iff it ends in '@', holds '@' followed by any byte, or holds one of the
 * trigger words in any ASCII case. Every trigger is planted at every
 * offset of lines of every length up to 48 (so across the 16-byte blocks
 * and the scalar tail), among filler that is all near misses.
 */
#include <strings.h>

#include "test_util.h"

#include "logs/logs_int.h"

static const char *const words[] = {"bearer", "basic", "pass", "secret",
                                    "token", "credential", "key", "auth"};
#define NWORDS (sizeof(words) / sizeof(words[0]))

static int
reference(const char *s, size_t n)
{
    if (n > 0 && s[n - 1] == '@')
        return 1;
    for (size_t i = 0; i + 1 < n; i++) {
        if (s[i] == '@')
            return 1;
        for (size_t w = 0; w < NWORDS; w++) {
            size_t wl = strlen(words[w]);
            if (n - i >= wl && strncasecmp(s + i, words[w], wl) == 0)
                return 1;
        }
    }
    return 0;
}

/* Filler of near misses: first letters of triggers with the wrong next
 * letter, and the case-folding neighbours of '@' and the letters. */
static void
fill(char *s, size_t n, unsigned seed)
{
    static const char pool[] = "sxtipxbokxcaaxkxPXSXTI`\xc0\xe2" "Be Ke";
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        s[i] = pool[(seed >> 16) % (sizeof(pool) - 1)];
    }
}

static void
test_planted(void **state)
{
    (void)state;
    char s[64];
    size_t checked = 0, positive = 0;
    for (size_t n = 0; n <= 48; n++) {
        for (unsigned seed = 0; seed < 4; seed++) {
            fill(s, n, seed + (unsigned)n * 7u);
            int r = reference(s, n);
            assert_int_equal(ps_log_may_hold_secret(s, n), r);
            checked++;
            for (size_t w = 0; w <= NWORDS; w++) {
                const char *word = w < NWORDS ? words[w] : "@";
                size_t wl = strlen(word);
                for (size_t at = 0; at + wl <= n; at++) {
                    char t[64];
                    memcpy(t, s, n);
                    for (size_t k = 0; k < wl; k++) {
                        char c = word[k];
                        /* alternate the case of the planted letters */
                        if (((at + k + seed) & 1) && c >= 'a' && c <= 'z')
                            c = (char)(c - 'a' + 'A');
                        t[at + k] = c;
                    }
                    int want = reference(t, n);
                    assert_int_equal(ps_log_may_hold_secret(t, n), want);
                    assert_true(want);
                    checked++;
                    positive++;
                    /* one letter short of the word: never from this plant */
                    if (wl > 1) {
                        t[at + wl - 1] = 'x';
                        assert_int_equal(ps_log_may_hold_secret(t, n), reference(t, n));
                        checked++;
                    }
                }
            }
        }
    }
    assert_true(positive > 1000);
    assert_true(checked > positive);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_planted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
