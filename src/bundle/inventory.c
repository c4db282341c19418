/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * inventory.c - ps_bundle_inventory: one walk that copies every entry
 * (with its classification and labels) into a struct ps_inventory.
 *
 * count[] and total_bytes cover regular files only (safe or not);
 * directories and links are listed but not counted. Every string is a
 * private copy released by ps_inventory_free.
 */
#include <stdlib.h>
#include <string.h>

#include "bundle/bundle_int.h"

static enum ps_err
dup_str(const char *s, const char **out)
{
    *out = NULL;
    if (s == NULL)
        return PS_OK;
    char *d = strdup(s);
    if (d == NULL)
        return PS_E_NOMEM;
    *out = d;
    return PS_OK;
}

static void
entry_free(struct ps_entry *e)
{
    free((char *)e->path);
    free((char *)e->raw_path);
    free((char *)e->link_target);
    free((char *)e->pod);
    free((char *)e->container);
    free((char *)e->tenant);
    free((char *)e->tsdb_root);
}

struct inv_ctx {
    struct ps_inventory *inv;
    size_t cap;
};

static enum ps_err
inv_visit(void *ctx, const struct ps_entry *e, struct ps_stream *s)
{
    (void)s;
    struct inv_ctx *c = ctx;
    struct ps_inventory *inv = c->inv;
    if (ps_grow((void **)&inv->v, &c->cap, inv->n + 1, sizeof(*inv->v)) != PS_OK)
        return PS_E_NOMEM;
    struct ps_entry *d = &inv->v[inv->n];
    *d = *e;
    d->path = d->raw_path = d->link_target = NULL;
    d->pod = d->container = d->tenant = d->tsdb_root = NULL;
    inv->n++;
    if (dup_str(e->path, &d->path) != PS_OK ||
        dup_str(e->raw_path, &d->raw_path) != PS_OK ||
        dup_str(e->link_target, &d->link_target) != PS_OK ||
        dup_str(e->pod, &d->pod) != PS_OK ||
        dup_str(e->container, &d->container) != PS_OK ||
        dup_str(e->tenant, &d->tenant) != PS_OK ||
        dup_str(e->tsdb_root, &d->tsdb_root) != PS_OK)
        return PS_E_NOMEM;
    if (e->unsafe)
        inv->nunsafe++;
    if (e->type == PS_ET_FILE) {
        inv->count[e->kind]++;
        inv->total_bytes += e->size;
    }
    return PS_OK;
}

enum ps_err
ps_bundle_inventory(struct ps_bundle *b, struct ps_inventory *inv)
{
    memset(inv, 0, sizeof(*inv));
    if (b == NULL)
        return PS_E_USAGE;
    struct inv_ctx c = {.inv = inv, .cap = 0};
    enum ps_err e = ps_bundle_walk(b, inv_visit, &c);
    if (e == PS_E_NOMEM) {
        ps_inventory_free(inv);
        return e;
    }
    return e;    /* partial inventory kept on PS_E_LIMIT/CORRUPT/IO */
}

void
ps_inventory_free(struct ps_inventory *inv)
{
    if (inv == NULL)
        return;
    for (size_t i = 0; i < inv->n; i++)
        entry_free(&inv->v[i]);
    free(inv->v);
    memset(inv, 0, sizeof(*inv));
}
