/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * facts.c - the fact store (see ps_facts.h).
 *
 * Layout:
 *   strings  - every name, value, class and message is interned once in a
 *              chunked arena (strings never move, so pointers handed out
 *              stay valid) behind an open-addressing hash set; equal
 *              strings therefore have equal pointers, and label sets can
 *              be compared and hashed by pointer.
 *   series   - metric pointer + label array (sorted by name, __name__
 *              included) + a sample vector kept sorted by time. Found by a
 *              hash of the label pointers (open addressing over series ids).
 *   metrics  - metric name -> ascending vector of series ids, and a sorted
 *              array of distinct metric names, both maintained eagerly.
 *   events   - a vector of struct ps_event with interned strings.
 *   sources  - bundle entry paths, interned; a source id indexes them.
 */
#include "promsight/ps_facts.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "promsight/ps_util.h"

#define ARENA_BLOCK (64 * 1024)
#define NAME_LABEL "__name__"

struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    char data[];
};

struct strset {
    const char **slot;    /* interned strings, NULL = empty */
    uint64_t *hash;
    size_t n, cap;        /* cap: power of two */
};

struct series {
    const char *metric;
    struct ps_label *labels;
    size_t nlabels;
    uint64_t hash;
    struct ps_sample *s;
    size_t n, cap;
};

struct idvec {
    uint32_t *v;
    size_t n, cap;
    int sorted;     /* v is in canonical (label) order */
};

struct ps_facts {
    struct arena_block *arena;
    struct strset strs;

    struct series *series;
    size_t nseries, cap_series;
    uint32_t *series_slots;   /* id+1, 0 = empty */
    size_t nslots;

    struct ps_map64 metric_ix; /* metric ptr -> index in mvecs */
    struct idvec *mvecs;
    size_t nmetrics, cap_mvecs;
    const char **metric_names; /* sorted */
    size_t cap_names;

    struct ps_event *events;
    size_t nevents, cap_events;

    const char **sources;
    size_t nsources, cap_sources;
    struct ps_map64 source_ix; /* path ptr -> id */

    int have_range;
    int64_t min_t, max_t;
    const char *name_label;   /* interned "__name__" */
};

/* ---- arena + interning ---- */

static char *
arena_alloc(struct ps_facts *f, size_t n)
{
    struct arena_block *b = f->arena;
    if (b == NULL || b->cap - b->used < n) {
        size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        b = malloc(sizeof(*b) + cap);
        if (b == NULL)
            return NULL;
        b->cap = cap;
        b->used = 0;
        /* keep the current (partly free) block first if the new one is a
         * one-off big string, so small strings keep filling it */
        if (n > ARENA_BLOCK && f->arena != NULL) {
            b->next = f->arena->next;
            f->arena->next = b;
        } else {
            b->next = f->arena;
            f->arena = b;
        }
    }
    char *p = b->data + b->used;
    b->used += n;
    return p;
}

static int
strset_grow(struct strset *s)
{
    size_t ncap = s->cap != 0 ? s->cap * 2 : 1024;
    const char **slot = calloc(ncap, sizeof(*slot));
    uint64_t *hash = calloc(ncap, sizeof(*hash));
    if (slot == NULL || hash == NULL) {
        free(slot);
        free(hash);
        return -1;
    }
    for (size_t i = 0; i < s->cap; i++) {
        if (s->slot[i] == NULL)
            continue;
        size_t j = s->hash[i] & (ncap - 1);
        while (slot[j] != NULL)
            j = (j + 1) & (ncap - 1);
        slot[j] = s->slot[i];
        hash[j] = s->hash[i];
    }
    free(s->slot);
    free(s->hash);
    s->slot = slot;
    s->hash = hash;
    s->cap = ncap;
    return 0;
}

/* Intern [p, p+n): the same pointer for the same bytes. NULL on OOM. */
static const char *
intern_n(struct ps_facts *f, const char *p, size_t n)
{
    struct strset *s = &f->strs;
    if ((s->n + 1) * 2 > s->cap && strset_grow(s) != 0)
        return NULL;
    uint64_t h = ps_hash_bytes(p, n, 7);
    size_t j = h & (s->cap - 1);
    while (s->slot[j] != NULL) {
        if (s->hash[j] == h && strncmp(s->slot[j], p, n) == 0 &&
            s->slot[j][n] == '\0')
            return s->slot[j];
        j = (j + 1) & (s->cap - 1);
    }
    char *c = arena_alloc(f, n + 1);
    if (c == NULL)
        return NULL;
    memcpy(c, p, n);
    c[n] = '\0';
    s->slot[j] = c;
    s->hash[j] = h;
    s->n++;
    return c;
}

static const char *
intern(struct ps_facts *f, const char *p)
{
    return intern_n(f, p, strlen(p));
}

/* ---- lifecycle ---- */

struct ps_facts *
ps_facts_new(void)
{
    struct ps_facts *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return NULL;
    f->name_label = intern(f, NAME_LABEL);
    if (f->name_label == NULL) {
        ps_facts_free(f);
        return NULL;
    }
    return f;
}

void
ps_facts_free(struct ps_facts *f)
{
    if (f == NULL)
        return;
    for (struct arena_block *b = f->arena, *nb; b != NULL; b = nb) {
        nb = b->next;
        free(b);
    }
    free(f->strs.slot);
    free(f->strs.hash);
    for (size_t i = 0; i < f->nseries; i++) {
        free(f->series[i].labels);
        free(f->series[i].s);
    }
    free(f->series);
    free(f->series_slots);
    ps_map64_free(&f->metric_ix);
    for (size_t i = 0; i < f->nmetrics; i++)
        free(f->mvecs[i].v);
    free(f->mvecs);
    free(f->metric_names);
    for (size_t i = 0; i < f->nevents; i++)
        free((void *)f->events[i].labels);
    free(f->events);
    free(f->sources);
    ps_map64_free(&f->source_ix);
    free(f);
}

/* ---- sources ---- */

uint32_t
ps_facts_source(struct ps_facts *f, const char *path)
{
    const char *p = intern(f, path != NULL ? path : "");
    if (p == NULL)
        return PS_SRC_NONE;
    int inserted;
    uint64_t *slot = ps_map64_slot(&f->source_ix, (uint64_t)(uintptr_t)p, &inserted);
    if (slot == NULL)
        return PS_SRC_NONE;
    if (!inserted)
        return (uint32_t)*slot;
    if (ps_grow((void **)&f->sources, &f->cap_sources, f->nsources + 1,
                sizeof(*f->sources)) != PS_OK) {
        *slot = PS_SRC_NONE;
        return PS_SRC_NONE;
    }
    f->sources[f->nsources] = p;
    *slot = f->nsources;
    return (uint32_t)f->nsources++;
}

const char *
ps_facts_source_path(const struct ps_facts *f, uint32_t src)
{
    return src < f->nsources ? f->sources[src] : NULL;
}

size_t
ps_facts_nsources(const struct ps_facts *f)
{
    return f->nsources;
}

/* ---- series ---- */

static int
label_cmp(const void *a, const void *b)
{
    const struct ps_label *x = a, *y = b;
    return strcmp(x->name, y->name);
}

static uint64_t
labels_hash(const struct ps_label *l, size_t n)
{
    uint64_t h = 0x243f6a8885a308d3ULL;
    for (size_t i = 0; i < n; i++) {
        h = ps_hash_u64(h ^ (uint64_t)(uintptr_t)l[i].name);
        h = ps_hash_u64(h ^ (uint64_t)(uintptr_t)l[i].value);
    }
    return h;
}

static int
labels_equal(const struct ps_label *a, size_t na, const struct ps_label *b,
             size_t nb)
{
    if (na != nb)
        return 0;
    for (size_t i = 0; i < na; i++)
        if (a[i].name != b[i].name || a[i].value != b[i].value)
            return 0;
    return 1;
}

static enum ps_err
series_slots_grow(struct ps_facts *f)
{
    size_t ns = f->nslots != 0 ? f->nslots * 2 : 1024;
    uint32_t *slots = calloc(ns, sizeof(*slots));
    if (slots == NULL)
        return PS_E_NOMEM;
    for (size_t id = 0; id < f->nseries; id++) {
        size_t j = f->series[id].hash & (ns - 1);
        while (slots[j] != 0)
            j = (j + 1) & (ns - 1);
        slots[j] = (uint32_t)id + 1;
    }
    free(f->series_slots);
    f->series_slots = slots;
    f->nslots = ns;
    return PS_OK;
}

static enum ps_err
metric_index_add(struct ps_facts *f, const char *metric, uint32_t id)
{
    int inserted;
    uint64_t *slot = ps_map64_slot(&f->metric_ix, (uint64_t)(uintptr_t)metric,
                                   &inserted);
    if (slot == NULL)
        return PS_E_NOMEM;
    if (inserted) {
        size_t cap_names = f->cap_names;
        if (ps_grow((void **)&f->mvecs, &f->cap_mvecs, f->nmetrics + 1,
                    sizeof(*f->mvecs)) != PS_OK ||
            ps_grow((void **)&f->metric_names, &cap_names, f->nmetrics + 1,
                    sizeof(*f->metric_names)) != PS_OK) {
            return PS_E_NOMEM; /* slot stays 0: harmless, points at mvec 0 */
        }
        f->cap_names = cap_names;
        memset(&f->mvecs[f->nmetrics], 0, sizeof(struct idvec));
        *slot = f->nmetrics;
        /* insert into the sorted name array */
        size_t lo = 0, hi = f->nmetrics;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (strcmp(f->metric_names[mid], metric) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        memmove(&f->metric_names[lo + 1], &f->metric_names[lo],
                (f->nmetrics - lo) * sizeof(*f->metric_names));
        f->metric_names[lo] = metric;
        f->nmetrics++;
    }
    struct idvec *v = &f->mvecs[*slot];
    if (ps_grow((void **)&v->v, &v->cap, v->n + 1, sizeof(*v->v)) != PS_OK)
        return PS_E_NOMEM;
    v->v[v->n++] = id;
    v->sorted = v->n < 2;
    return PS_OK;
}

enum ps_err
ps_facts_series(struct ps_facts *f, const char *metric,
                const struct ps_label *labels, size_t nlabels, uint32_t *id)
{
    if (metric == NULL || nlabels > 4096)
        return PS_E_USAGE;
    struct ps_label tmp[64];
    struct ps_label *l = nlabels + 1 <= 64 ? tmp : malloc((nlabels + 1) * sizeof(*l));
    if (l == NULL)
        return PS_E_NOMEM;
    enum ps_err e = PS_OK;
    size_t n = 0;
    const char *m = intern(f, metric);
    if (m == NULL) {
        e = PS_E_NOMEM;
        goto out;
    }
    l[n++] = (struct ps_label){f->name_label, m};
    for (size_t i = 0; i < nlabels; i++) {
        if (labels[i].value == NULL || labels[i].value[0] == '\0' ||
            labels[i].name == NULL || strcmp(labels[i].name, NAME_LABEL) == 0)
            continue;
        const char *ln = intern(f, labels[i].name);
        const char *lv = intern(f, labels[i].value);
        if (ln == NULL || lv == NULL) {
            e = PS_E_NOMEM;
            goto out;
        }
        l[n++] = (struct ps_label){ln, lv};
    }
    qsort(l, n, sizeof(*l), label_cmp);
    /* a repeated label name: the last one given wins (drop earlier ones) */
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (w > 0 && l[w - 1].name == l[i].name)
            w--;
        l[w++] = l[i];
    }
    n = w;
    uint64_t h = labels_hash(l, n);
    if (f->nslots != 0) {
        size_t j = h & (f->nslots - 1);
        while (f->series_slots[j] != 0) {
            struct series *s = &f->series[f->series_slots[j] - 1];
            if (s->hash == h && labels_equal(s->labels, s->nlabels, l, n)) {
                *id = f->series_slots[j] - 1;
                goto out;
            }
            j = (j + 1) & (f->nslots - 1);
        }
    }
    if (f->nseries >= UINT32_MAX - 1) {
        e = PS_E_LIMIT;
        goto out;
    }
    if ((f->nseries + 1) * 2 > f->nslots && (e = series_slots_grow(f)) != PS_OK)
        goto out;
    if ((e = ps_grow((void **)&f->series, &f->cap_series, f->nseries + 1,
                     sizeof(*f->series))) != PS_OK)
        goto out;
    struct series *s = &f->series[f->nseries];
    memset(s, 0, sizeof(*s));
    s->labels = malloc(n * sizeof(*s->labels));
    if (s->labels == NULL) {
        e = PS_E_NOMEM;
        goto out;
    }
    memcpy(s->labels, l, n * sizeof(*l));
    s->nlabels = n;
    s->metric = m;
    s->hash = h;
    uint32_t nid = (uint32_t)f->nseries++;
    size_t j = h & (f->nslots - 1);
    while (f->series_slots[j] != 0)
        j = (j + 1) & (f->nslots - 1);
    f->series_slots[j] = nid + 1;
    e = metric_index_add(f, m, nid);
    *id = nid;
out:
    if (l != tmp)
        free(l);
    return e;
}

static void
note_time(struct ps_facts *f, int64_t t)
{
    if (!f->have_range) {
        f->min_t = f->max_t = t;
        f->have_range = 1;
        return;
    }
    if (t < f->min_t)
        f->min_t = t;
    if (t > f->max_t)
        f->max_t = t;
}

enum ps_err
ps_facts_add_sample(struct ps_facts *f, uint32_t id, int64_t t, double v,
                    uint32_t src)
{
    if (id >= f->nseries)
        return PS_E_USAGE;
    struct series *s = &f->series[id];
    struct ps_sample smp = {.t = t, .v = v, .src = src};
    if (s->n > 0 && s->s[s->n - 1].t == t) {
        s->s[s->n - 1] = smp;
        return PS_OK;
    }
    if (ps_grow((void **)&s->s, &s->cap, s->n + 1, sizeof(*s->s)) != PS_OK)
        return PS_E_NOMEM;
    if (s->n == 0 || s->s[s->n - 1].t < t) {
        s->s[s->n++] = smp;
    } else {
        /* out of order: binary search the insertion point */
        size_t lo = 0, hi = s->n;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (s->s[mid].t < t)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (s->s[lo].t == t) {
            s->s[lo] = smp;
            return PS_OK;
        }
        memmove(&s->s[lo + 1], &s->s[lo], (s->n - lo) * sizeof(*s->s));
        s->s[lo] = smp;
        s->n++;
    }
    note_time(f, t);
    return PS_OK;
}

enum ps_err
ps_facts_add(struct ps_facts *f, const char *metric,
             const struct ps_label *labels, size_t nlabels, int64_t t, double v,
             uint32_t src)
{
    uint32_t id;
    enum ps_err e = ps_facts_series(f, metric, labels, nlabels, &id);
    if (e != PS_OK)
        return e;
    return ps_facts_add_sample(f, id, t, v, src);
}

/* ---- events ---- */

enum ps_err
ps_facts_add_event(struct ps_facts *f, const struct ps_event *ev)
{
    if (ev->nlabels > 4096)
        return PS_E_USAGE;
    if (ps_grow((void **)&f->events, &f->cap_events, f->nevents + 1,
                sizeof(*f->events)) != PS_OK)
        return PS_E_NOMEM;
    struct ps_event e = *ev;
    struct ps_label *l = NULL;
    size_t n = 0;
    if (ev->nlabels > 0) {
        l = malloc(ev->nlabels * sizeof(*l));
        if (l == NULL)
            return PS_E_NOMEM;
        for (size_t i = 0; i < ev->nlabels; i++) {
            if (ev->labels[i].name == NULL || ev->labels[i].value == NULL ||
                ev->labels[i].value[0] == '\0')
                continue;
            l[n].name = intern(f, ev->labels[i].name);
            l[n].value = intern(f, ev->labels[i].value);
            if (l[n].name == NULL || l[n].value == NULL) {
                free(l);
                return PS_E_NOMEM;
            }
            n++;
        }
        if (n > 1)
            qsort(l, n, sizeof(*l), label_cmp);
    }
    e.labels = l;
    e.nlabels = n;
    e.cls = ev->cls != NULL ? intern(f, ev->cls) : intern(f, "");
    e.signature = ev->signature != NULL ? intern(f, ev->signature) : NULL;
    e.message = intern(f, ev->message != NULL ? ev->message : "");
    if (e.cls == NULL || e.message == NULL ||
        (ev->signature != NULL && e.signature == NULL)) {
        free(l);
        return PS_E_NOMEM;
    }
    f->events[f->nevents++] = e;
    note_time(f, ev->t);
    return PS_OK;
}

/* ---- reading ---- */

size_t
ps_facts_nseries(const struct ps_facts *f)
{
    return f->nseries;
}

const char *
ps_facts_series_metric(const struct ps_facts *f, uint32_t id)
{
    return id < f->nseries ? f->series[id].metric : NULL;
}

size_t
ps_facts_series_labels(const struct ps_facts *f, uint32_t id,
                       const struct ps_label **labels)
{
    if (id >= f->nseries) {
        *labels = NULL;
        return 0;
    }
    *labels = f->series[id].labels;
    return f->series[id].nlabels;
}

const char *
ps_facts_series_label(const struct ps_facts *f, uint32_t id, const char *name)
{
    if (id >= f->nseries)
        return NULL;
    const struct series *s = &f->series[id];
    for (size_t i = 0; i < s->nlabels; i++)
        if (strcmp(s->labels[i].name, name) == 0)
            return s->labels[i].value;
    return NULL;
}

size_t
ps_facts_series_samples(const struct ps_facts *f, uint32_t id,
                        const struct ps_sample **samples)
{
    if (id >= f->nseries) {
        *samples = NULL;
        return 0;
    }
    *samples = f->series[id].s;
    return f->series[id].n;
}

/* Label-set order, the same whatever order the sources were read in. */
static const struct ps_facts *cmp_facts;

static int
series_label_cmp(const void *a, const void *b)
{
    const struct series *x = &cmp_facts->series[*(const uint32_t *)a];
    const struct series *y = &cmp_facts->series[*(const uint32_t *)b];
    size_t n = x->nlabels < y->nlabels ? x->nlabels : y->nlabels;
    for (size_t i = 0; i < n; i++) {
        int d = strcmp(x->labels[i].name, y->labels[i].name);
        if (d == 0)
            d = strcmp(x->labels[i].value, y->labels[i].value);
        if (d != 0)
            return d;
    }
    return (x->nlabels > y->nlabels) - (x->nlabels < y->nlabels);
}

size_t
ps_facts_metric_series(const struct ps_facts *f, const char *metric,
                       const uint32_t **ids)
{
    *ids = NULL;
    /* find the interned pointer without inserting */
    const struct strset *s = &f->strs;
    if (s->cap == 0)
        return 0;
    size_t n = strlen(metric);
    uint64_t h = ps_hash_bytes(metric, n, 7);
    size_t j = h & (s->cap - 1);
    while (s->slot[j] != NULL) {
        if (s->hash[j] == h && strcmp(s->slot[j], metric) == 0) {
            uint64_t ix;
            if (!ps_map64_get(&f->metric_ix, (uint64_t)(uintptr_t)s->slot[j], &ix))
                return 0;
            struct idvec *v = &f->mvecs[ix];
            if (!v->sorted) {
                /* a cache of the canonical order, hence the cast */
                cmp_facts = f;
                qsort(v->v, v->n, sizeof(*v->v), series_label_cmp);
                ((struct idvec *)v)->sorted = 1;
            }
            *ids = v->v;
            return v->n;
        }
        j = (j + 1) & (s->cap - 1);
    }
    return 0;
}

size_t
ps_facts_metric_names(const struct ps_facts *f, const char *const **names)
{
    *names = f->metric_names;
    return f->nmetrics;
}

size_t
ps_facts_nevents(const struct ps_facts *f)
{
    return f->nevents;
}

const struct ps_event *
ps_facts_event(const struct ps_facts *f, size_t i)
{
    return i < f->nevents ? &f->events[i] : NULL;
}

static int
event_cmp(const void *a, const void *b)
{
    const struct ps_event *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->src != y->src) {
        /* by path, not by id: ids follow the order files were read in */
        const char *px = ps_facts_source_path(cmp_facts, x->src);
        const char *py = ps_facts_source_path(cmp_facts, y->src);
        int d = strcmp(px != NULL ? px : "", py != NULL ? py : "");
        if (d != 0)
            return d;
    }
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->off != y->off)
        return x->off < y->off ? -1 : 1;
    int d = strcmp(x->cls, y->cls);
    return d != 0 ? d : strcmp(x->message, y->message);
}

void
ps_facts_sort_events(struct ps_facts *f)
{
    cmp_facts = f;
    if (f->nevents > 1)
        qsort(f->events, f->nevents, sizeof(*f->events), event_cmp);
}

int
ps_facts_time_range(const struct ps_facts *f, int64_t *min_t, int64_t *max_t)
{
    if (!f->have_range)
        return 0;
    *min_t = f->min_t;
    *max_t = f->max_t;
    return 1;
}
