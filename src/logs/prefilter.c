/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * prefilter.c - finds, in one pass over a line, which signatures' required
 * literals it contains, so the (much slower) regular expressions only run
 * on candidate lines.
 *
 * A pair filter: for every literal one anchor - the pair of adjacent bytes
 * in it that is least likely in log text (upper case and rare punctuation
 * score low, lower-case letters, digits, spaces and logfmt punctuation
 * high) - is set in a 65536-bit table (8 KiB, stays in L1), and the
 * anchor pair plus the byte after it in a second 65536-bit table indexed
 * by a hash of the three bytes. The scan tests every adjacent byte pair of
 * the line against the first table and, on a hit, the triple against the
 * second; unlike an automaton the tests do not depend on each other, so
 * the loop runs at about a byte per cycle. Only when both pass are the
 * literals anchored at that pair compared in full (memcmp), so the result
 * is exact: a signature is reported iff one of its literals occurs in the
 * line.
 */
#include <stdlib.h>
#include <string.h>

#include "logs/logs_int.h"

void
ps_prefilter_free(struct ps_prefilter *pf)
{
    if (pf == NULL)
        return;
    free(pf->ent);
    memset(pf, 0, sizeof(*pf));
}

/* How common a byte is in log text (higher: more common). */
static int
byte_freq(unsigned char c)
{
    if (c == ' ' || c == 'e' || c == 't' || c == 'a' || c == 'o' || c == 'i' ||
        c == 'n' || c == 's' || c == 'r')
        return 10;
    if (c >= 'a' && c <= 'z')
        return 7;
    if (c >= '0' && c <= '9')
        return 8;
    if (c == '=' || c == '"' || c == ':' || c == '.' || c == '-' || c == '/' ||
        c == '_')
        return 8;
    if (c >= 'A' && c <= 'Z')
        return 3;
    return 2;
}

static unsigned
tri_hash(unsigned b0, unsigned b1, unsigned b2)
{
    return ((b0 << 16 | b1 << 8 | b2) * 2654435761u) >> 16;
}

static int
cmp_ent(const void *a, const void *b)
{
    const struct ps_pf_ent *x = a, *y = b;
    if (x->pair != y->pair)
        return x->pair < y->pair ? -1 : 1;
    return (x->owner > y->owner) - (x->owner < y->owner);
}

enum ps_err
ps_prefilter_build(struct ps_prefilter *pf, const char *const *lits,
                   const size_t *lens, const uint32_t *owner, size_t n)
{
    memset(pf, 0, sizeof(*pf));
    pf->ent = calloc(n + 1, sizeof(*pf->ent));
    if (pf->ent == NULL)
        return PS_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        if (lens[i] < 3)
            return PS_E_USAGE;
        size_t best = 0;
        int best_score = 1000;
        /* The anchor pair needs a byte after it for the triple check. */
        for (size_t k = 0; k + 2 < lens[i]; k++) {
            int sc = byte_freq((unsigned char)lits[i][k]) +
                     byte_freq((unsigned char)lits[i][k + 1]);
            if (sc < best_score) {
                best_score = sc;
                best = k;
            }
        }
        uint16_t pair = (uint16_t)((unsigned char)lits[i][best] << 8 |
                                   (unsigned char)lits[i][best + 1]);
        pf->ent[i] = (struct ps_pf_ent){pair, (uint32_t)best, owner[i],
                                        lits[i], lens[i]};
        pf->bits[pair >> 6] |= (uint64_t)1 << (pair & 63);
        unsigned h = tri_hash((unsigned char)lits[i][best], (unsigned char)lits[i][best + 1],
                              (unsigned char)lits[i][best + 2]);
        pf->bits3[h >> 6] |= (uint64_t)1 << (h & 63);
    }
    pf->nent = n;
    qsort(pf->ent, n, sizeof(*pf->ent), cmp_ent);
    return PS_OK;
}

/* Verify every literal anchored at pair p found at s[i]. */
static size_t
verify(const struct ps_prefilter *pf, uint16_t p, const char *s, size_t n,
       size_t i, uint32_t *stamp, uint32_t gen, uint32_t *hits, size_t nh,
       size_t cap)
{
    /* Lower bound of p in the sorted entries. */
    size_t lo = 0, hi = pf->nent;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (pf->ent[mid].pair < p)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t e = lo; e < pf->nent && pf->ent[e].pair == p; e++) {
        const struct ps_pf_ent *en = &pf->ent[e];
        if (stamp[en->owner] == gen || i < en->at || i - en->at + en->len > n)
            continue;
        if (memcmp(s + i - en->at, en->lit, en->len) != 0)
            continue;
        stamp[en->owner] = gen;
        if (nh < cap)
            hits[nh++] = en->owner;
    }
    return nh;
}

size_t
ps_prefilter_scan(const struct ps_prefilter *pf, const char *s, size_t n,
                  uint32_t *stamp, uint32_t gen, uint32_t *hits, size_t cap)
{
    if (pf->nent == 0 || n < 3)
        return 0;
    const unsigned char *u = (const unsigned char *)s;
    const uint64_t *bits = pf->bits, *bits3 = pf->bits3;
    size_t nh = 0;
    unsigned prev = u[0];
    /* The pair ends at i; a literal needs the byte after it too. */
    for (size_t i = 1; i + 1 < n; i++) {
        unsigned p = prev << 8 | u[i];
        prev = u[i];
        if (!((bits[p >> 6] >> (p & 63)) & 1))
            continue;
        unsigned h = tri_hash(p >> 8, p & 255, u[i + 1]);
        if ((bits3[h >> 6] >> (h & 63)) & 1)
            nh = verify(pf, (uint16_t)p, s, n, i - 1, stamp, gen, hits, nh, cap);
    }
    return nh;
}
