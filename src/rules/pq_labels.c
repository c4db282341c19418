/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pq_labels.c - label-set operations of the PromQL evaluator: ordering
 * (Prometheus' labels.Compare), lookup, the copies binary operators and
 * aggregations make (drop __name__, keep or drop a list of names), and the
 * match signature used by on()/ignoring()/by()/without().
 *
 * Label sets are arrays of struct ps_label sorted by name; copies live in
 * the caller's arena.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "promsight/ps_util.h"
#include "rules/pq_int.h"

/* Strings from the fact store are interned: equal pointers are the
 * common case and need no comparison. */
static inline int
streq(const char *a, const char *b)
{
    return a == b || strcmp(a, b) == 0;
}

static const uint64_t stale_bits = PQ_STALE_BITS;

double
pq_stale_nan(void)
{
    double v;
    memcpy(&v, &stale_bits, sizeof(v));
    return v;
}

int
pq_labels_cmp(const struct ps_label *a, uint32_t na, const struct ps_label *b,
              uint32_t nb)
{
    uint32_t n = na < nb ? na : nb;
    for (uint32_t i = 0; i < n; i++) {
        int c = a[i].name == b[i].name ? 0 : strcmp(a[i].name, b[i].name);
        if (c != 0)
            return c;
        c = a[i].value == b[i].value ? 0 : strcmp(a[i].value, b[i].value);
        if (c != 0)
            return c;
    }
    return na < nb ? -1 : na > nb ? 1 : 0;
}

const char *
pq_label_get(const struct ps_label *l, uint32_t n, const char *name)
{
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(l[i].name, name) == 0)
            return l[i].value;
    return NULL;
}

int
pq_labels_drop_name(struct pq_arena *a, const struct ps_label *l, uint32_t n,
                    const struct ps_label **out, uint32_t *nout)
{
    /* label sets are sorted: __name__ is first unless a name sorts before
     * it (capitals); then dropping it is just skipping it */
    if (n > 0 && strcmp(l[0].name, "__name__") == 0) {
        *out = l + 1;
        *nout = n - 1;
        return 0;
    }
    if (pq_label_get(l, n, "__name__") == NULL) {
        *out = l;
        *nout = n;
        return 0;
    }
    return pq_labels_set(a, l, n, "__name__", NULL, out, nout);
}

int
pq_labels_set(struct pq_arena *a, const struct ps_label *l, uint32_t n,
              const char *name, const char *value, const struct ps_label **out,
              uint32_t *nout)
{
    struct ps_label *v = pq_alloc_array(a, (size_t)n + 1, sizeof(*v));
    if (v == NULL)
        return -1;
    uint32_t k = 0;
    int placed = value == NULL || *value == 0;
    for (uint32_t i = 0; i < n; i++) {
        int c = strcmp(l[i].name, name);
        if (c == 0)
            continue;
        if (c > 0 && !placed) {
            v[k].name = name;
            v[k++].value = value;
            placed = 1;
        }
        v[k++] = l[i];
    }
    if (!placed) {
        v[k].name = name;
        v[k++].value = value;
    }
    *out = v;
    *nout = k;
    return 0;
}

static inline int
in_list(const struct pq_strlist *names, const char *s)
{
    if (names == NULL)
        return 0;
    for (size_t i = 0; i < names->n; i++)
        if (names->v[i][0] == s[0] && strcmp(names->v[i], s) == 0)
            return 1;
    return 0;
}

static inline int
is_name_label(const char *s)
{
    return s[0] == '_' && s[1] == '_' && strcmp(s, "__name__") == 0;
}

static inline int
keep_label(const char *name, const struct pq_strlist *names, int on)
{
    if (on)
        return in_list(names, name);
    return !is_name_label(name) && !in_list(names, name);
}

uint64_t
pq_labels_sig(const struct ps_label *l, uint32_t n, const struct pq_strlist *names,
              int on)
{
    return pq_labels_sig_seed(l, n, names, on, 0x9e3779b97f4a7c15ULL);
}

uint64_t
pq_labels_sig_seed(const struct ps_label *l, uint32_t n, const struct pq_strlist *names,
                   int on, uint64_t seed)
{
    uint64_t h = seed;
    for (uint32_t i = 0; i < n; i++) {
        if (!keep_label(l[i].name, names, on))
            continue;
        /* ps_hash_bytes mixes in the length, so no separators are needed */
        h = ps_hash_bytes(l[i].name, strlen(l[i].name), h);
        h = ps_hash_bytes(l[i].value, strlen(l[i].value), h ^ 0xff);
    }
    return h;
}

int
pq_labels_sig_eq(const struct ps_label *a, uint32_t na, const struct ps_label *b,
                 uint32_t nb, const struct pq_strlist *names, int on)
{
    uint32_t i = 0, j = 0;
    for (;;) {
        while (i < na && !keep_label(a[i].name, names, on))
            i++;
        while (j < nb && !keep_label(b[j].name, names, on))
            j++;
        if (i == na || j == nb)
            return i == na && j == nb;
        if (!streq(a[i].name, b[j].name) || !streq(a[i].value, b[j].value))
            return 0;
        i++;
        j++;
    }
}

int
pq_labels_project(struct pq_arena *a, const struct ps_label *l, uint32_t n,
                  const struct pq_strlist *names, int on,
                  const struct ps_label **out, uint32_t *nout)
{
    struct ps_label *v = pq_alloc_array(a, n ? n : 1, sizeof(*v));
    if (v == NULL)
        return -1;
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++)
        if (keep_label(l[i].name, names, on))
            v[k++] = l[i];
    *out = v;
    *nout = k;
    return 0;
}

void
pq_labels_format(const struct ps_label *l, uint32_t n, char *buf, size_t len)
{
    struct ps_buf b = {0};
    const char *name = pq_label_get(l, n, "__name__");
    if (name != NULL)
        ps_buf_printf(&b, "%s", name);
    int first = 1;
    if (name == NULL || n > 1)
        ps_buf_printf(&b, "{");
    for (uint32_t i = 0; i < n; i++) {
        if (strcmp(l[i].name, "__name__") == 0)
            continue;
        ps_buf_printf(&b, "%s%s=\"", first ? "" : ", ", l[i].name);
        for (const char *p = l[i].value; *p; p++) {
            if (*p == '"' || *p == '\\')
                ps_buf_printf(&b, "\\%c", *p);
            else if (*p == '\n')
                ps_buf_printf(&b, "\\n");
            else
                ps_buf_printf(&b, "%c", *p);
        }
        ps_buf_printf(&b, "\"");
        first = 0;
    }
    if (name == NULL || n > 1)
        ps_buf_printf(&b, "}");
    if (len > 0) {
        size_t c = b.n < len - 1 ? b.n : len - 1;
        if (c > 0)
            memcpy(buf, b.p, c);
        buf[c] = 0;
    }
    ps_buf_free(&b);
}
