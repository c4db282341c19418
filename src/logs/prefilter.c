/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * prefilter.c - finds, in one pass over a line, which signatures' required
 * literals it contains, so the (much slower) regular expressions only run
 * on candidate lines.
 *
 * An Aho-Corasick automaton compiled to a full DFA: bytes are mapped to
 * classes first (bytes that appear in no literal share class 0), so the
 * table is nstates x nclass 16-bit entries - a few tens of KiB for the
 * shipped signature set, which stays in cache. Each state lists the
 * signatures whose literal ends there (including via failure links).
 */
#include <stdlib.h>
#include <string.h>

#include "logs/logs_int.h"

#define PF_MAX_STATES 65535u

void
ps_prefilter_free(struct ps_prefilter *pf)
{
    if (pf == NULL)
        return;
    free(pf->delta);
    free(pf->out_start);
    free(pf->out_sig);
    free(pf->accept);
    memset(pf, 0, sizeof(*pf));
}

enum ps_err
ps_prefilter_build(struct ps_prefilter *pf, const char *const *lits,
                   const size_t *lens, const uint32_t *owner, size_t n)
{
    memset(pf, 0, sizeof(*pf));
    size_t total = 1;
    for (size_t i = 0; i < n; i++)
        total += lens[i];
    if (total >= PF_MAX_STATES)
        return PS_E_LIMIT;
    /* Byte classes. */
    unsigned ncls = 1;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < lens[i]; k++) {
            uint8_t b = (uint8_t)lits[i][k];
            if (pf->cls[b] == 0)
                pf->cls[b] = (uint8_t)ncls++;
        }
    if (ncls > 255)
        return PS_E_LIMIT;
    pf->nclass = ncls;
    uint16_t *go = calloc(total * ncls, sizeof(*go));   /* 0 = no edge */
    uint16_t *fail = calloc(total, sizeof(*fail));
    uint32_t *queue = calloc(total, sizeof(*queue));
    /* Per state, the literals ending exactly there (linked list). */
    int32_t *term_head = malloc(total * sizeof(*term_head));
    int32_t *term_next = malloc((n + 1) * sizeof(*term_next));
    pf->out_start = calloc(total + 1, sizeof(*pf->out_start));
    pf->accept = calloc(total, 1);
    enum ps_err rc = PS_E_NOMEM;
    if (go == NULL || fail == NULL || queue == NULL || term_head == NULL ||
        term_next == NULL || pf->out_start == NULL || pf->accept == NULL)
        goto out;
    for (size_t s = 0; s < total; s++)
        term_head[s] = -1;
    uint32_t ns = 1;
    for (size_t i = 0; i < n; i++) {
        uint32_t s = 0;
        for (size_t k = 0; k < lens[i]; k++) {
            unsigned c = pf->cls[(uint8_t)lits[i][k]];
            if (go[s * ncls + c] == 0)
                go[s * ncls + c] = (uint16_t)ns++;
            s = go[s * ncls + c];
        }
        term_next[i] = term_head[s];
        term_head[s] = (int32_t)i;
    }
    pf->nstates = ns;
    /* BFS: failure links, and complete the DFA in place. */
    size_t qh = 0, qt = 0;
    for (unsigned c = 0; c < ncls; c++) {
        uint16_t t = go[c];
        if (t != 0) {
            fail[t] = 0;
            queue[qt++] = t;
        }
    }
    while (qh < qt) {
        uint32_t s = queue[qh++];
        for (unsigned c = 0; c < ncls; c++) {
            uint16_t t = go[s * ncls + c];
            if (t != 0) {
                fail[t] = go[(size_t)fail[s] * ncls + c];
                queue[qt++] = t;
            } else {
                go[s * ncls + c] = go[(size_t)fail[s] * ncls + c];
            }
        }
    }
    /* Outputs: literals ending at s or at any state on its failure chain. */
    size_t nout = 0, cap = 0;
    uint32_t *outv = NULL;
    for (uint32_t s = 0; s < ns; s++) {
        pf->out_start[s] = (uint32_t)nout;
        for (uint32_t f = s;; f = fail[f]) {
            for (int32_t i = term_head[f]; i >= 0; i = term_next[i]) {
                if (nout == cap) {
                    size_t nc = cap ? cap * 2 : 64;
                    uint32_t *nv = realloc(outv, nc * sizeof(*nv));
                    if (nv == NULL) {
                        free(outv);
                        goto out;
                    }
                    outv = nv;
                    cap = nc;
                }
                outv[nout++] = owner[i];
            }
            if (f == 0)
                break;
        }
        pf->accept[s] = nout > pf->out_start[s];
    }
    pf->out_start[ns] = (uint32_t)nout;
    pf->out_sig = outv != NULL ? outv : calloc(1, sizeof(uint32_t));
    if (pf->out_sig == NULL)
        goto out;
    pf->delta = go;
    go = NULL;
    rc = PS_OK;
out:
    free(go);
    free(fail);
    free(queue);
    free(term_head);
    free(term_next);
    if (rc != PS_OK)
        ps_prefilter_free(pf);
    return rc;
}

size_t
ps_prefilter_scan(const struct ps_prefilter *pf, const char *s, size_t n,
                  uint32_t *stamp, uint32_t gen, uint32_t *hits, size_t cap)
{
    if (pf->delta == NULL)
        return 0;
    const uint16_t *delta = pf->delta;
    const uint8_t *cls = pf->cls;
    const uint8_t *acc = pf->accept;
    const unsigned ncls = pf->nclass;
    const uint8_t *p = (const uint8_t *)s, *end = p + n;
    uint32_t st = 0;
    size_t nh = 0;
    while (p < end) {
        st = delta[st * ncls + cls[*p++]];
        if (acc[st]) {
            for (uint32_t i = pf->out_start[st]; i < pf->out_start[st + 1]; i++) {
                uint32_t sig = pf->out_sig[i];
                if (stamp[sig] != gen) {
                    stamp[sig] = gen;
                    if (nh < cap)
                        hits[nh++] = sig;
                }
            }
        }
    }
    return nh;
}
