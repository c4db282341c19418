/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pq_arena.c - the bump allocator that owns every value made while the
 * PromQL evaluator works on one instant. Blocks grow geometrically; reset
 * keeps the first block so a range evaluation reuses its memory step after
 * step instead of calling malloc for each vector.
 */
#include <stdlib.h>
#include <string.h>

#include "rules/pq_int.h"

#define PQ_ARENA_MIN 65536

struct pq_arena_blk {
    struct pq_arena_blk *next;
    size_t cap, used;
    _Alignas(max_align_t) unsigned char data[];
};

void *
pq_alloc(struct pq_arena *a, size_t n)
{
    void *p = pq_alloc_nz(a, n);
    if (p != NULL)
        memset(p, 0, n);
    return p;
}

void *
pq_alloc_nz(struct pq_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n == 0)
        n = 16;
    struct pq_arena_blk *b = a->head;
    if (b == NULL || b->cap - b->used < n) {
        size_t cap = b != NULL ? b->cap * 2 : PQ_ARENA_MIN;
        if (cap < n)
            cap = n;
        if (cap > SIZE_MAX - sizeof(*b))
            return NULL;
        struct pq_arena_blk *nb = malloc(sizeof(*nb) + cap);
        if (nb == NULL)
            return NULL;
        nb->cap = cap;
        nb->used = 0;
        nb->next = b;
        a->head = nb;
        b = nb;
    }
    void *p = b->data + b->used;
    b->used += n;
    a->used_total += n;
    return p;
}

void *
pq_alloc_array_nz(struct pq_arena *a, size_t n, size_t elem)
{
    if (elem != 0 && n > SIZE_MAX / elem)
        return NULL;
    return pq_alloc_nz(a, n * elem);
}

void *
pq_alloc_array(struct pq_arena *a, size_t n, size_t elem)
{
    if (elem != 0 && n > SIZE_MAX / elem)
        return NULL;
    return pq_alloc(a, n * elem);
}

char *
pq_strdup(struct pq_arena *a, const char *s, size_t n)
{
    char *p = pq_alloc(a, n + 1);
    if (p != NULL) {
        memcpy(p, s, n);
        p[n] = 0;
    }
    return p;
}

void
pq_arena_reset(struct pq_arena *a)
{
    struct pq_arena_blk *b = a->head;
    if (b == NULL)
        return;
    /* keep the largest (newest) block */
    struct pq_arena_blk *rest = b->next;
    while (rest != NULL) {
        struct pq_arena_blk *nx = rest->next;
        free(rest);
        rest = nx;
    }
    b->next = NULL;
    b->used = 0;
    a->used_total = 0;
}

void
pq_arena_free(struct pq_arena *a)
{
    struct pq_arena_blk *b = a->head;
    while (b != NULL) {
        struct pq_arena_blk *nx = b->next;
        free(b);
        b = nx;
    }
    a->head = NULL;
    a->used_total = 0;
}

void *
pq_pool_get(struct pq_pool *pl, size_t n, size_t *cap)
{
    size_t best = SIZE_MAX;
    for (size_t i = 0; pl != NULL && i < pl->n; i++)
        if (pl->b[i].cap >= n && (best == SIZE_MAX || pl->b[i].cap < pl->b[best].cap))
            best = i;
    if (best == SIZE_MAX) {
        *cap = n ? n : 1;
        return malloc(*cap);
    }
    void *p = pl->b[best].p;
    *cap = pl->b[best].cap;
    pl->b[best] = pl->b[--pl->n];
    return p;
}

void
pq_pool_put(struct pq_pool *pl, void *p, size_t cap)
{
    if (p == NULL)
        return;
    if (pl == NULL || pl->n == PQ_POOL_SLOTS) {
        free(p);
        return;
    }
    pl->b[pl->n].p = p;
    pl->b[pl->n].cap = cap;
    pl->n++;
}

void
pq_pool_free(struct pq_pool *pl)
{
    for (size_t i = 0; pl != NULL && i < pl->n; i++)
        free(pl->b[i].p);
    if (pl != NULL)
        pl->n = 0;
}
