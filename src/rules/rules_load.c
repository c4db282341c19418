/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * rules_load.c - reads Prometheus-shaped rule files with libyaml:
 *
 *   groups:
 *   - name: remote-write
 *     rules:
 *     - alert: RemoteWriteUnreachable        # the rule id
 *       expr: <PromQL subset>
 *       for: 2m
 *       labels: {severity: critical, class: remote_write.unreachable}
 *       annotations: {summary: .., description: .., advice: .., runbook_url: ..}
 *
 * Recording rules (record:) are not evaluated and are reported as a
 * warning. Problems become diagnostics naming the file, the line, the
 * rule and, for expressions, the column; the rules that can be read are
 * kept. Template annotations are test-rendered at load so an unknown
 * function is reported here, not at evaluation time.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules_int.h"

#define PHASE "rules: load"

yaml_node_t *
ry_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
    if (map == NULL || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        if (k != NULL && k->type == YAML_SCALAR_NODE &&
            strcmp((const char *)k->data.scalar.value, key) == 0)
            return yaml_document_get_node(doc, p->value);
    }
    return NULL;
}

const char *
ry_str(yaml_node_t *n)
{
    if (n == NULL || n->type != YAML_SCALAR_NODE)
        return NULL;
    return (const char *)n->data.scalar.value;
}

uint32_t
ry_line(yaml_node_t *n)
{
    return n != NULL ? (uint32_t)n->start_mark.line + 1 : 0;
}

int
ry_duration(const char *s, int64_t *ms)
{
    int64_t total = 0;
    const char *p = s;
    if (*p == 0)
        return -1;
    if (strcmp(s, "0") == 0) {
        *ms = 0;
        return 0;
    }
    while (*p) {
        if (*p < '0' || *p > '9')
            return -1;
        int64_t v = 0;
        while (*p >= '0' && *p <= '9') {
            if (v > (INT64_MAX / 10) - 10)
                return -1;
            v = v * 10 + (*p++ - '0');
        }
        int64_t mul;
        if (p[0] == 'm' && p[1] == 's') {
            mul = 1;
            p += 2;
        } else {
            switch (*p) {
            case 's': mul = 1000; break;
            case 'm': mul = 60000; break;
            case 'h': mul = 3600000; break;
            case 'd': mul = 86400000; break;
            case 'w': mul = 604800000; break;
            case 'y': mul = 31536000000LL; break;
            default: return -1;
            }
            p++;
        }
        if (v != 0 && mul > INT64_MAX / v)
            return -1;
        if (total > INT64_MAX - v * mul)
            return -1;
        total += v * mul;
    }
    *ms = total;
    return 0;
}

const char *
rule_ann(const struct rule *r, const char *key)
{
    for (size_t i = 0; i < r->nann; i++)
        if (strcmp(r->ann[i].k, key) == 0)
            return r->ann[i].v;
    return NULL;
}

struct ps_rules *
ps_rules_new(void)
{
    return calloc(1, sizeof(struct ps_rules));
}

static void
kv_free(struct rule_kv *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].k);
        free(v[i].v);
    }
    free(v);
}

static void
rule_free(struct rule *r)
{
    free(r->id);
    free(r->cls);
    free(r->sev_text);
    free(r->expr_src);
    pq_expr_free(r->expr);
    kv_free(r->labels, r->nlabels);
    kv_free(r->ann, r->nann);
    free(r->file);
    free(r->group);
}

void
ps_rules_free(struct ps_rules *rs)
{
    if (rs == NULL)
        return;
    for (size_t i = 0; i < rs->n; i++)
        rule_free(&rs->v[i]);
    free(rs->v);
    free(rs);
}

size_t
ps_rules_count(const struct ps_rules *rs)
{
    return rs->n;
}

void
ps_rules_get(const struct ps_rules *rs, size_t i, struct ps_rule_info *out)
{
    const struct rule *r = &rs->v[i];
    out->id = r->id;
    out->cls = r->cls;
    out->sev_text = r->sev_text;
    out->expr = r->expr_src;
    out->file = r->file;
    out->line = r->line;
    out->for_ms = r->for_ms;
    out->disabled = r->disabled;
}

size_t
ps_rules_disable(struct ps_rules *rs, const char *key)
{
    size_t n = 0;
    for (size_t i = 0; i < rs->n; i++) {
        struct rule *r = &rs->v[i];
        if (strcmp(r->id, key) == 0 || (r->cls != NULL && strcmp(r->cls, key) == 0)) {
            r->disabled = 1;
            n++;
        }
    }
    return n;
}

static int
cmp_kv(const void *a, const void *b)
{
    return strcmp(((const struct rule_kv *)a)->k, ((const struct rule_kv *)b)->k);
}

/* Read a string->string mapping; non-scalar values are diagnosed. */
static int
read_kv(yaml_document_t *doc, yaml_node_t *map, struct rule_kv **out, size_t *n,
        const char *file, const char *what, const char *rule, struct ps_diags *d)
{
    *out = NULL;
    *n = 0;
    if (map == NULL)
        return 0;
    if (map->type != YAML_MAPPING_NODE) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_SYNTAX, file, PS_OFF_NONE, ry_line(map), PHASE,
                    "rule %s: %s must be a mapping", rule, what);
        return -1;
    }
    size_t cnt = (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
    struct rule_kv *v = calloc(cnt ? cnt : 1, sizeof(*v));
    if (v == NULL)
        return -1;
    size_t k = 0;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++) {
        const char *key = ry_str(yaml_document_get_node(doc, p->key));
        yaml_node_t *vn = yaml_document_get_node(doc, p->value);
        const char *val = ry_str(vn);
        if (key == NULL || val == NULL) {
            ps_diag_add(d, PS_SEV_ERROR, PS_E_SYNTAX, file, PS_OFF_NONE, ry_line(vn),
                        PHASE, "rule %s: %s values must be strings", rule, what);
            continue;
        }
        int dup = 0;
        for (size_t j = 0; j < k; j++)
            if (strcmp(v[j].k, key) == 0)
                dup = 1;
        if (dup) {
            ps_diag_add(d, PS_SEV_ERROR, PS_E_SYNTAX, file, PS_OFF_NONE, ry_line(vn),
                        PHASE, "rule %s: duplicate %s key \"%s\"", rule, what, key);
            continue;
        }
        v[k].k = strdup(key);
        v[k].v = strdup(val);
        if (v[k].k == NULL || v[k].v == NULL) {
            kv_free(v, k + 1);
            return -1;
        }
        k++;
    }
    *out = v;
    *n = k;
    return 0;
}

/* Locate column col (1-based) of expression text starting at node n. */
static void
expr_pos(yaml_node_t *n, const char *src, uint32_t col, uint32_t *line, uint32_t *ecol)
{
    uint32_t l = ry_line(n);
    int block = n->data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
                n->data.scalar.style == YAML_FOLDED_SCALAR_STYLE;
    if (block)
        l++;
    uint32_t c = col;
    for (uint32_t i = 0; src[i] && i + 1 < col; i++) {
        if (src[i] == '\n') {
            l++;
            c = col - i - 1;
        }
    }
    *line = l;
    *ecol = c;
}

static int
load_rule(struct ps_rules *rs, yaml_document_t *doc, yaml_node_t *rn, const char *file,
          const char *group, struct ps_diags *d)
{
    uint32_t line = ry_line(rn);
    if (rn->type != YAML_MAPPING_NODE) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_SYNTAX, file, PS_OFF_NONE, line, PHASE,
                    "group %s: a rule must be a mapping", group);
        return -1;
    }
    if (ry_get(doc, rn, "record") != NULL) {
        ps_diag_add(d, PS_SEV_WARN, PS_E_UNSUPPORTED, file, PS_OFF_NONE, line, PHASE,
                    "group %s: recording rule \"%s\" ignored (only alerting rules are "
                    "evaluated)", group,
                    ry_str(ry_get(doc, rn, "record")) ? ry_str(ry_get(doc, rn, "record"))
                                                      : "?");
        return 0;
    }
    const char *id = ry_str(ry_get(doc, rn, "alert"));
    if (id == NULL || *id == 0) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_SYNTAX, file, PS_OFF_NONE, line, PHASE,
                    "group %s: rule without an \"alert\" name", group);
        return -1;
    }
    yaml_node_t *en = ry_get(doc, rn, "expr");
    const char *expr = ry_str(en);
    if (expr == NULL || *expr == 0) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_SYNTAX, file, PS_OFF_NONE, line, PHASE,
                    "rule %s: missing expr", id);
        return -1;
    }
    struct rule r;
    memset(&r, 0, sizeof(r));
    r.line = line;
    char err[PQ_ERRLEN];
    uint32_t col;
    enum ps_err e = pq_parse(expr, strlen(expr), &r.expr, err, sizeof(err), &col);
    if (e != PS_OK) {
        uint32_t el, ec;
        expr_pos(en, expr, col, &el, &ec);
        ps_diag_add(d, PS_SEV_ERROR, e, file, PS_OFF_NONE, el, PHASE,
                    "rule %s: expr column %u: %s", id, ec, err);
        return -1;
    }
    if (r.expr->root->type != PQ_T_VECTOR && r.expr->root->type != PQ_T_SCALAR) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_SYNTAX, file, PS_OFF_NONE, ry_line(en), PHASE,
                    "rule %s: expr must be an instant vector", id);
        pq_expr_free(r.expr);
        return -1;
    }
    yaml_node_t *fn = ry_get(doc, rn, "for");
    if (fn != NULL) {
        const char *fs = ry_str(fn);
        if (fs == NULL || ry_duration(fs, &r.for_ms) != 0) {
            ps_diag_add(d, PS_SEV_ERROR, PS_E_SYNTAX, file, PS_OFF_NONE, ry_line(fn), PHASE,
                        "rule %s: bad \"for\" duration \"%s\"", id, fs ? fs : "");
            pq_expr_free(r.expr);
            return -1;
        }
    }
    int bad = 0;
    if (read_kv(doc, ry_get(doc, rn, "labels"), &r.labels, &r.nlabels, file, "labels", id, d) != 0 ||
        read_kv(doc, ry_get(doc, rn, "annotations"), &r.ann, &r.nann, file, "annotations", id, d) != 0)
        bad = 1;
    if (r.nlabels > 1)
        qsort(r.labels, r.nlabels, sizeof(*r.labels), cmp_kv);
    /* test-render templates so unknown functions show up now */
    for (size_t i = 0; i < r.nann + r.nlabels && !bad; i++) {
        const struct rule_kv *kv = i < r.nann ? &r.ann[i] : &r.labels[i - r.nann];
        struct ps_buf b = {0};
        char terr[256];
        if (ps_rules_render(kv->v, strlen(kv->v), NULL, 0, 1.0, &b, terr, sizeof(terr)) != 0) {
            ps_diag_add(d, PS_SEV_ERROR, PS_E_SYNTAX, file, PS_OFF_NONE, line, PHASE,
                        "rule %s: %s \"%s\": %s", id, i < r.nann ? "annotation" : "label",
                        kv->k, terr);
            bad = 1;
        }
        ps_buf_free(&b);
    }
    if (bad) {
        pq_expr_free(r.expr);
        kv_free(r.labels, r.nlabels);
        kv_free(r.ann, r.nann);
        return -1;
    }
    for (size_t i = 0; i < r.nlabels; i++) {
        if (strcmp(r.labels[i].k, "class") == 0)
            r.cls = strdup(r.labels[i].v);
        if (strcmp(r.labels[i].k, "severity") == 0) {
            r.sev_text = strdup(r.labels[i].v);
            enum ps_rule_sev s;
            if (ps_rule_sev_parse(r.labels[i].v, &s) == 0)
                r.sev = s;
        }
    }
    r.id = strdup(id);
    r.expr_src = strdup(expr);
    r.file = strdup(file);
    r.group = strdup(group);
    if (ps_grow((void **)&rs->v, &rs->cap, rs->n + 1, sizeof(*rs->v)) != PS_OK ||
        r.id == NULL || r.expr_src == NULL || r.file == NULL || r.group == NULL) {
        rule_free(&r);
        return -1;
    }
    rs->v[rs->n++] = r;
    return 0;
}

enum ps_err
ps_rules_load_mem(struct ps_rules *rs, const char *name, const char *buf, size_t n,
                  struct ps_diags *d)
{
    yaml_parser_t p;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&p))
        return PS_E_NOMEM;
    yaml_parser_set_input_string(&p, (const unsigned char *)buf, n);
    if (!yaml_parser_load(&p, &doc)) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_SYNTAX, name, PS_OFF_NONE,
                    (uint32_t)p.problem_mark.line + 1, PHASE, "YAML: %s",
                    p.problem != NULL ? p.problem : "parse error");
        yaml_parser_delete(&p);
        return PS_E_SYNTAX;
    }
    enum ps_err rc = PS_OK;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    yaml_node_t *groups = ry_get(&doc, root, "groups");
    size_t loaded = 0;
    if (root != NULL && (groups == NULL || groups->type != YAML_SEQUENCE_NODE)) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_SYNTAX, name, PS_OFF_NONE, ry_line(root), PHASE,
                    "expected a top-level \"groups\" list");
        rc = PS_E_SYNTAX;
    }
    if (groups != NULL && groups->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *gi = groups->data.sequence.items.start;
             gi < groups->data.sequence.items.top; gi++) {
            yaml_node_t *g = yaml_document_get_node(&doc, *gi);
            const char *gname = ry_str(ry_get(&doc, g, "name"));
            yaml_node_t *rules = ry_get(&doc, g, "rules");
            if (g == NULL || gname == NULL || rules == NULL ||
                rules->type != YAML_SEQUENCE_NODE) {
                ps_diag_add(d, PS_SEV_ERROR, PS_E_SYNTAX, name, PS_OFF_NONE, ry_line(g),
                            PHASE, "a group needs a \"name\" and a \"rules\" list");
                rc = PS_E_SYNTAX;
                continue;
            }
            for (yaml_node_item_t *ri = rules->data.sequence.items.start;
                 ri < rules->data.sequence.items.top; ri++) {
                yaml_node_t *rn = yaml_document_get_node(&doc, *ri);
                if (rn == NULL)
                    continue;
                if (++loaded > PS_RULES_MAX_PER_FILE) {
                    ps_diag_add(d, PS_SEV_ERROR, PS_E_LIMIT, name, PS_OFF_NONE,
                                ry_line(rn), PHASE, "more than %d rules in one file",
                                PS_RULES_MAX_PER_FILE);
                    rc = PS_E_LIMIT;
                    goto done;
                }
                if (load_rule(rs, &doc, rn, name, gname, d) != 0)
                    rc = PS_E_SYNTAX;
            }
        }
    }
done:
    yaml_document_delete(&doc);
    yaml_parser_delete(&p);
    return rc;
}

enum ps_err
ps_rules_load_file(struct ps_rules *rs, const char *path, struct ps_diags *d)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_IO, path, PS_OFF_NONE, 0, PHASE, "cannot open: %s",
                    strerror(errno));
        return PS_E_IO;
    }
    struct ps_buf b = {0};
    char chunk[65536];
    size_t r;
    enum ps_err e = PS_OK;
    while ((r = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (b.n + r > ((size_t)64 << 20)) {
            ps_diag_add(d, PS_SEV_ERROR, PS_E_LIMIT, path, PS_OFF_NONE, 0, PHASE,
                        "rule file larger than 64 MiB");
            e = PS_E_LIMIT;
            break;
        }
        if (ps_buf_append(&b, chunk, r) != PS_OK) {
            e = PS_E_NOMEM;
            break;
        }
    }
    if (ferror(f) && e == PS_OK) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_IO, path, PS_OFF_NONE, 0, PHASE, "read error");
        e = PS_E_IO;
    }
    fclose(f);
    if (e == PS_OK)
        e = ps_rules_load_mem(rs, path, b.p != NULL ? (const char *)b.p : "", b.n, d);
    ps_buf_free(&b);
    return e;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

enum ps_err
ps_rules_load_dir(struct ps_rules *rs, const char *dir, struct ps_diags *d)
{
    DIR *dh = opendir(dir);
    if (dh == NULL) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_IO, dir, PS_OFF_NONE, 0, PHASE,
                    "cannot open directory: %s", strerror(errno));
        return PS_E_IO;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    enum ps_err rc = PS_OK;
    while ((de = readdir(dh)) != NULL) {
        size_t l = strlen(de->d_name);
        if (de->d_name[0] == '.')
            continue;
        if (!((l > 5 && strcmp(de->d_name + l - 5, ".yaml") == 0) ||
              (l > 4 && strcmp(de->d_name + l - 4, ".yml") == 0)))
            continue;
        if (ps_grow((void **)&names, &cap, n + 1, sizeof(*names)) != PS_OK) {
            rc = PS_E_NOMEM;
            break;
        }
        size_t pl = strlen(dir) + l + 2;
        names[n] = malloc(pl);
        if (names[n] == NULL) {
            rc = PS_E_NOMEM;
            break;
        }
        snprintf(names[n], pl, "%s/%s", dir, de->d_name);
        n++;
    }
    closedir(dh);
    if (n > 1)
        qsort(names, n, sizeof(*names), cmp_str);
    for (size_t i = 0; i < n; i++) {
        if (rc == PS_OK || rc == PS_E_SYNTAX) {
            enum ps_err e = ps_rules_load_file(rs, names[i], d);
            if (e != PS_OK)
                rc = e;
        }
        free(names[i]);
    }
    free(names);
    return rc;
}
