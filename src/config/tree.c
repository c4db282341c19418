/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tree.c - builds the bounded YAML/JSON tree of cfg_int.h from libyaml
 * parser events, and the lookup helpers the readers use.
 *
 * libyaml's event parser never expands aliases and keeps its own state on
 * the heap, so the only unbounded things are ours: depth and alias
 * expansion. Nodes counted with aliases expanded may exceed the input's
 * size by at most PS_CFG_MAX_NODES (real nodes cost at least a byte each,
 * so the tree itself is bounded by the input), and nesting by
 * PS_CFG_MAX_DEPTH; past a cap the subtree or alias becomes a null node
 * and one located warning is recorded. An anchor is registered only once its node is complete, so an
 * alias can never point into an open collection (no cycles). JSON is read
 * by the same parser: it is YAML's flow style. Flow nesting past the cap
 * is blanked before libyaml sees it (flatten_deep_flow: libyaml is
 * quadratic in flow depth).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "config/cfg_int.h"
#include "promsight/ps_util.h"

#define PHASE "config: yaml/json"

static enum ps_err parse_events(const uint8_t *buf, size_t n, const char *path,
                                struct ps_diags *diags, struct cfg_doc **out,
                                enum ps_err *perr, int depth_warned);

struct builder {
    struct cfg_doc *d;
    struct cn *stack[PS_CFG_MAX_DEPTH + 1];
    size_t depth;
    size_t skip;             /* >0: inside a subtree cut for depth */
    struct ps_intern anchors;
    struct cn **anchor_node; /* anchor id -> node */
    size_t nanchor_cap;
    const char *path;
    struct ps_diags *diags;
    int warned_depth, warned_alias, warned_nodes, warned_anchor;
    uint64_t limit;          /* expanded node budget: the file's own + cap */
};

static struct cn *
node_new(struct builder *b, enum cn_type t, const yaml_mark_t *m)
{
    struct cfg_doc *d = b->d;
    if (d->nall == d->capall &&
        ps_grow((void **)&d->all, &d->capall, d->nall + 1, sizeof(*d->all)) != PS_OK)
        return NULL;
    struct cn *n = calloc(1, sizeof(*n));
    if (n == NULL)
        return NULL;
    n->type = t;
    n->line = (uint32_t)(m->line + 1 > UINT32_MAX ? UINT32_MAX : m->line + 1);
    n->off = m->index;
    n->weight = 1;
    d->all[d->nall++] = n;
    return n;
}

static enum ps_err
attach(struct builder *b, struct cn *n)
{
    if (b->depth == 0) {
        struct cfg_doc *d = b->d;
        if (d->ndocs == d->capdocs &&
            ps_grow((void **)&d->docs, &d->capdocs, d->ndocs + 1, sizeof(*d->docs)) != PS_OK)
            return PS_E_NOMEM;
        d->docs[d->ndocs++] = n;
        return PS_OK;
    }
    struct cn *p = b->stack[b->depth - 1];
    if (p->n == p->cap &&
        ps_grow((void **)&p->kids, &p->cap, p->n + 1, sizeof(*p->kids)) != PS_OK)
        return PS_E_NOMEM;
    p->kids[p->n++] = n;
    return PS_OK;
}

static uint64_t
sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static enum ps_err
anchor_set(struct builder *b, const yaml_char_t *name, struct cn *n)
{
    if (name == NULL)
        return PS_OK;
    uint32_t id;
    if (ps_intern_get(&b->anchors, (const char *)name, strlen((const char *)name), &id) != PS_OK)
        return PS_E_NOMEM;
    if (id >= b->nanchor_cap) {
        size_t cap = b->nanchor_cap;
        if (ps_grow((void **)&b->anchor_node, &cap, (size_t)id + 1, sizeof(*b->anchor_node)) != PS_OK)
            return PS_E_NOMEM;
        for (size_t i = b->nanchor_cap; i < cap; i++)
            b->anchor_node[i] = NULL;
        b->nanchor_cap = cap;
    }
    b->anchor_node[id] = n;   /* a redefinition replaces, as in YAML */
    return PS_OK;
}

static struct cn *
anchor_get(struct builder *b, const yaml_char_t *name)
{
    uint32_t id;
    if (name == NULL ||
        !ps_intern_find(&b->anchors, (const char *)name, strlen((const char *)name), &id) ||
        id >= b->nanchor_cap)
        return NULL;
    return b->anchor_node[id];
}

/* Count a new node (weight w) against the expansion cap; 0 if over. */
static int
budget(struct builder *b, uint64_t w)
{
    uint64_t t = sat_add(b->d->expanded, w);
    if (t > b->limit)
        return 0;
    b->d->expanded = t;
    return 1;
}

static void
warn_at(struct builder *b, const yaml_mark_t *m, int *once, const char *fmt,
        const char *what)
{
    b->d->truncated = 1;
    if (*once)
        return;
    *once = 1;
    ps_diag_add(b->diags, PS_SEV_WARN, PS_E_LIMIT, b->path, m->index,
                (uint32_t)(m->line + 1), PHASE, fmt, what);
}

/* Handle one event; returns PS_E_NOMEM or PS_OK; *stop set at stream end. */
static enum ps_err
on_event(struct builder *b, const yaml_event_t *ev, int *stop)
{
    const yaml_mark_t *m = &ev->start_mark;
    struct cn *n;

    if (b->skip > 0) {
        if (ev->type == YAML_SEQUENCE_START_EVENT || ev->type == YAML_MAPPING_START_EVENT)
            b->skip++;
        else if (ev->type == YAML_SEQUENCE_END_EVENT || ev->type == YAML_MAPPING_END_EVENT)
            b->skip--;
        return PS_OK;
    }
    switch (ev->type) {
    case YAML_STREAM_END_EVENT:
        *stop = 1;
        return PS_OK;
    case YAML_SCALAR_EVENT:
        if (!budget(b, 1)) {
            warn_at(b, m, &b->warned_nodes, "more than %s nodes: rest of the document ignored",
                    "1000000");
            *stop = 1;
            return PS_OK;
        }
        if ((n = node_new(b, CN_SCALAR, m)) == NULL)
            return PS_E_NOMEM;
        n->len = ev->data.scalar.length;
        n->s = malloc(n->len + 1);
        if (n->s == NULL)
            return PS_E_NOMEM;
        memcpy(n->s, ev->data.scalar.value, n->len);
        n->s[n->len] = 0;
        n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        n->block = ev->data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
                   ev->data.scalar.style == YAML_FOLDED_SCALAR_STYLE;
        if (attach(b, n) != PS_OK)
            return PS_E_NOMEM;
        return anchor_set(b, ev->data.scalar.anchor, n);
    case YAML_ALIAS_EVENT: {
        struct cn *t = anchor_get(b, ev->data.alias.anchor);
        if ((n = node_new(b, CN_NULL, m)) == NULL)
            return PS_E_NOMEM;
        if (t == NULL) {
            warn_at(b, m, &b->warned_anchor, "alias to an unknown or unfinished anchor%s: read as null", "");
        } else if (!budget(b, t->weight)) {
            warn_at(b, m, &b->warned_alias,
                    "aliases expand to more than %s nodes beyond the file's own (alias bomb?): "
                    "alias read as null", "1000000");
        } else {
            n->type = CN_ALIAS;
            n->target = t;
            n->weight = t->weight;
        }
        return attach(b, n);
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        if (b->depth >= PS_CFG_MAX_DEPTH) {
            warn_at(b, m, &b->warned_depth,
                    "nesting deeper than %s levels: subtree read as null", "128");
            b->skip = 1;
            if ((n = node_new(b, CN_NULL, m)) == NULL)
                return PS_E_NOMEM;
            return attach(b, n);
        }
        if (!budget(b, 1)) {
            warn_at(b, m, &b->warned_nodes, "more than %s nodes: rest of the document ignored",
                    "1000000");
            *stop = 1;
            return PS_OK;
        }
        n = node_new(b, ev->type == YAML_SEQUENCE_START_EVENT ? CN_SEQ : CN_MAP, m);
        if (n == NULL || attach(b, n) != PS_OK)
            return PS_E_NOMEM;
        /* the anchor is registered at the end event, once complete */
        n->target = NULL;
        n->s = ev->type == YAML_SEQUENCE_START_EVENT
                   ? (ev->data.sequence_start.anchor ? strdup((const char *)ev->data.sequence_start.anchor) : NULL)
                   : (ev->data.mapping_start.anchor ? strdup((const char *)ev->data.mapping_start.anchor) : NULL);
        b->stack[b->depth++] = n;
        return PS_OK;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        if (b->depth == 0)
            return PS_OK;
        n = b->stack[--b->depth];
        for (size_t i = 0; i < n->n; i++)
            n->weight = sat_add(n->weight, n->kids[i]->weight);
        if (n->type == CN_MAP && n->n % 2 != 0)
            n->n--;   /* cannot happen with libyaml, but keep pairs whole */
        if (n->s != NULL) {
            enum ps_err e = anchor_set(b, (const yaml_char_t *)n->s, n);
            free(n->s);
            n->s = NULL;
            return e;
        }
        return PS_OK;
    default:
        return PS_OK;
    }
}

/*
 * Flow nesting pre-scan. libyaml re-checks every open flow level's simple
 * key on every token, so N nested '[' cost O(N^2) before our depth cap
 * sees a single event (10,000 levels: ~0.1 s; a 1 MB file: minutes). So
 * brackets are counted here first (outside quoted scalars and comments);
 * a collection that would open deeper than PS_CFG_MAX_DEPTH is blanked in
 * a copy - "~" (null) then spaces, newlines kept so lines and offsets do
 * not move - and a located warning is recorded. Returns the copy (caller
 * frees) or NULL when nothing needed blanking (or on OOM: *oom set).
 */
static size_t
skip_quoted(const uint8_t *b, size_t n, size_t i)
{
    uint8_t q = b[i++];
    while (i < n) {
        if (q == '"' && b[i] == '\\' && i + 1 < n) {
            i += 2;
            continue;
        }
        if (b[i] == q) {
            if (q == '\'' && i + 1 < n && b[i + 1] == '\'') {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i++;
    }
    return n;
}

static uint8_t *
flatten_deep_flow(const uint8_t *buf, size_t n, const char *path,
                  struct ps_diags *diags, int *oom)
{
    uint8_t *copy = NULL;
    size_t depth = 0;
    uint32_t line = 1;
    *oom = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = buf[i];
        if (c == '\n') {
            line++;
        } else if (c == '#' && (i == 0 || buf[i - 1] == ' ' || buf[i - 1] == '\t' ||
                                buf[i - 1] == '\n')) {
            while (i + 1 < n && buf[i + 1] != '\n')
                i++;
        } else if (c == '"' || (c == '\'' && (i == 0 || strchr("[{,: \t\n", buf[i - 1]) != NULL))) {
            size_t e = skip_quoted(buf, n, i);
            for (size_t k = i; k < e; k++)
                line += buf[k] == '\n';
            i = e - 1;
        } else if (c == ']' || c == '}') {
            if (depth > 0)
                depth--;
        } else if (c == '[' || c == '{') {
            if (depth < PS_CFG_MAX_DEPTH) {
                depth++;
                continue;
            }
            /* blank this collection up to its matching close */
            if (copy == NULL) {
                if ((copy = malloc(n)) == NULL) {
                    *oom = 1;
                    return NULL;
                }
                memcpy(copy, buf, n);
                ps_diag_add(diags, PS_SEV_WARN, PS_E_LIMIT, path, i, line, PHASE,
                            "nesting deeper than %u levels: subtree read as null",
                            (unsigned)PS_CFG_MAX_DEPTH);
            }
            size_t d = 0, j = i;
            for (; j < n; j++) {
                uint8_t x = buf[j];
                if (x == '"' || (x == '\'' && strchr("[{,: \t\n", buf[j - 1]) != NULL)) {
                    size_t e = skip_quoted(buf, n, j);
                    for (size_t k = j; k < e; k++)
                        if (buf[k] != '\n' && buf[k] != '\r')
                            copy[k] = ' ';
                    j = e - 1;
                    continue;
                }
                if (x == '[' || x == '{')
                    d++;
                else if ((x == ']' || x == '}') && --d == 0)
                    break;
                if (x != '\n' && x != '\r')
                    copy[j] = ' ';
                else
                    line += x == '\n';
            }
            if (j < n)
                copy[j] = ' ';
            copy[i] = '~';
            i = j < n ? j : n;
        }
    }
    return copy;
}

enum ps_err
cfg_doc_parse(const uint8_t *buf, size_t n, const char *path,
              struct ps_diags *diags, struct cfg_doc **out, enum ps_err *perr)
{
    int oom;
    uint8_t *flat = flatten_deep_flow(buf, n, path, diags, &oom);
    if (oom)
        return PS_E_NOMEM;
    if (flat != NULL)
        buf = flat;
    enum ps_err e = parse_events(buf, n, path, diags, out, perr, flat != NULL);
    if (e == PS_OK && flat != NULL)
        (*out)->truncated = 1;
    free(flat);
    return e;
}

static enum ps_err
parse_events(const uint8_t *buf, size_t n, const char *path,
             struct ps_diags *diags, struct cfg_doc **out, enum ps_err *perr,
             int depth_warned)
{
    struct builder b;
    memset(&b, 0, sizeof(b));
    *out = NULL;
    if (perr != NULL)
        *perr = PS_OK;
    b.d = calloc(1, sizeof(*b.d));
    if (b.d == NULL)
        return PS_E_NOMEM;
    b.path = path;
    b.diags = diags;
    b.warned_depth = depth_warned;   /* one depth warning per file */
    /* every real node costs at least one input byte, so only aliases can
     * reach this: up to PS_CFG_MAX_NODES expansions beyond the file's own */
    b.limit = (uint64_t)n + PS_CFG_MAX_NODES;

    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        free(b.d);
        return PS_E_NOMEM;
    }
    yaml_parser_set_input_string(&p, buf, n);
    enum ps_err rc = PS_OK;
    int stop = 0;
    while (!stop) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            if (p.error == YAML_MEMORY_ERROR) {
                rc = PS_E_NOMEM;
                break;
            }
            ps_diag_add(diags, PS_SEV_WARN, PS_E_SYNTAX, path, p.problem_mark.index,
                        (uint32_t)(p.problem_mark.line + 1), PHASE, "%s%s%s",
                        p.context != NULL ? p.context : "", p.context != NULL ? ": " : "",
                        p.problem != NULL ? p.problem : "syntax error");
            if (perr != NULL)
                *perr = PS_E_SYNTAX;
            break;
        }
        rc = on_event(&b, &ev, &stop);
        yaml_event_delete(&ev);
        if (rc != PS_OK)
            break;
    }
    yaml_parser_delete(&p);
    /* close what an error left open: compute weights, drop anchor names */
    while (b.depth > 0) {
        struct cn *c = b.stack[--b.depth];
        free(c->s);
        c->s = NULL;
        if (c->type == CN_MAP && c->n % 2 != 0)
            c->n--;
    }
    ps_intern_free(&b.anchors);
    free(b.anchor_node);
    if (rc != PS_OK) {
        cfg_doc_free(b.d);
        return rc;
    }
    *out = b.d;
    return PS_OK;
}

void
cfg_doc_free(struct cfg_doc *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->nall; i++) {
        free(d->all[i]->s);
        free(d->all[i]->kids);
        free(d->all[i]);
    }
    free(d->all);
    free(d->docs);
    free(d);
}

/* ---- lookups ---- */

const struct cn *
cn_deref(const struct cn *n)
{
    /* alias targets are never aliases' parents; one hop may land on an
     * alias only if the anchor was put on an alias node, which libyaml
     * does not allow; loop a bounded number of times anyway */
    for (int i = 0; n != NULL && n->type == CN_ALIAS && i < 8; i++)
        n = n->target;
    return n != NULL && n->type == CN_ALIAS ? NULL : n;
}

static const struct cn *
get_depth(const struct cn *map, const char *key, int depth)
{
    map = cn_deref(map);
    if (map == NULL || map->type != CN_MAP || depth > 8)
        return NULL;
    size_t kl = strlen(key);
    for (size_t i = 0; i + 1 < map->n; i += 2) {
        const struct cn *k = cn_deref(map->kids[i]);
        if (k != NULL && k->type == CN_SCALAR && k->len == kl && memcmp(k->s, key, kl) == 0)
            return cn_deref(map->kids[i + 1]);
    }
    for (size_t i = 0; i + 1 < map->n; i += 2) {
        const struct cn *k = cn_deref(map->kids[i]);
        if (k == NULL || k->type != CN_SCALAR || !k->plain || strcmp(k->s, "<<") != 0)
            continue;
        const struct cn *v = cn_deref(map->kids[i + 1]);
        if (v == NULL)
            continue;
        if (v->type == CN_MAP)
            return get_depth(v, key, depth + 1);
        if (v->type == CN_SEQ)
            for (size_t j = 0; j < v->n; j++) {
                const struct cn *r = get_depth(v->kids[j], key, depth + 1);
                if (r != NULL)
                    return r;
            }
    }
    return NULL;
}

const struct cn *
cn_get(const struct cn *map, const char *key)
{
    return get_depth(map, key, 0);
}

int
cn_is_null(const struct cn *n)
{
    n = cn_deref(n);
    if (n == NULL || n->type == CN_NULL)
        return 1;
    if (n->type != CN_SCALAR || !n->plain)
        return 0;
    return n->len == 0 || strcmp(n->s, "~") == 0 || strcasecmp(n->s, "null") == 0;
}

const char *
cn_str(const struct cn *map, const char *key)
{
    const struct cn *v = cn_get(map, key);
    if (v == NULL || v->type != CN_SCALAR || cn_is_null(v))
        return NULL;
    return v->s;
}

size_t
cn_len(const struct cn *n)
{
    n = cn_deref(n);
    if (n == NULL)
        return 0;
    if (n->type == CN_SEQ)
        return n->n;
    if (n->type == CN_MAP)
        return n->n / 2;
    return 0;
}

const struct cn *
cn_item(const struct cn *n, size_t i)
{
    n = cn_deref(n);
    return n != NULL && n->type == CN_SEQ && i < n->n ? cn_deref(n->kids[i]) : NULL;
}

const struct cn *
cn_key(const struct cn *n, size_t i)
{
    n = cn_deref(n);
    return n != NULL && n->type == CN_MAP && 2 * i + 1 < n->n ? cn_deref(n->kids[2 * i]) : NULL;
}

const struct cn *
cn_val(const struct cn *n, size_t i)
{
    n = cn_deref(n);
    return n != NULL && n->type == CN_MAP && 2 * i + 1 < n->n ? cn_deref(n->kids[2 * i + 1]) : NULL;
}

int
cn_double(const struct cn *n, double *v)
{
    n = cn_deref(n);
    if (n == NULL || n->type != CN_SCALAR || n->len == 0 || n->len > 64)
        return 0;
    char *end;
    errno = 0;
    double d = strtod(n->s, &end);
    if (*end != 0 || errno == ERANGE || !isfinite(d))
        return 0;
    *v = d;
    return 1;
}

int
cn_int(const struct cn *n, int64_t *v)
{
    double d;
    if (!cn_double(n, &d) || d != floor(d) || d < -9.0e18 || d > 9.0e18)
        return 0;
    *v = (int64_t)d;
    return 1;
}

int
cn_bool(const struct cn *n, int *v)
{
    n = cn_deref(n);
    if (n == NULL || n->type != CN_SCALAR)
        return 0;
    if (strcasecmp(n->s, "true") == 0 || strcasecmp(n->s, "yes") == 0 || strcmp(n->s, "on") == 0) {
        *v = 1;
        return 1;
    }
    if (strcasecmp(n->s, "false") == 0 || strcasecmp(n->s, "no") == 0 || strcmp(n->s, "off") == 0) {
        *v = 0;
        return 1;
    }
    return 0;
}
