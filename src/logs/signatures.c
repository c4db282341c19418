/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * signatures.c - log failure signatures kept as data: loading and
 * validating models/signatures/ YAML files, compiling them (PCRE2 with JIT
 * behind an Aho-Corasick literal prefilter), and matching a line.
 *
 * File format (strict: anything else is a located error):
 *
 *   signatures:
 *     - id: P3                         unique across all files
 *       class: remote_write.unreachable
 *       severity: warning              info | warning | error | critical
 *       prefilter: 'Failed to send batch'   literal (or list of literals,
 *                                      one of which every match contains)
 *       pattern: 'msg="?Failed to send batch.*(connection refused|...)'
 *       fields: [url, err]             named groups of pattern, else logfmt keys
 *       lower_bound: true              optional: a deduplicating logger
 *       source: 'prometheus storage/remote/queue_manager.go:2097'
 *       summary: 'remote-write endpoint unreachable'
 *
 * Matching is first-match in load order (files by name, then document
 * order), so specific signatures come before catch-alls.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcre2.h>
#include <yaml.h>

#include "logs/logs_int.h"

#define SIG_MAX_FILE_BYTES ((size_t)4 << 20)
#define SIG_MAX_GROUPS 32
#define SIG_FIELD_CAP 1024
#define SIG_MATCH_LIMIT 200000
#define SIG_MAX_HITS 256

struct sig_rt {
    pcre2_code *re;
    int jit;
    int group[PS_SIG_MAX_FIELDS];    /* capture group number, or 0: logfmt key */
};

struct ps_sigset {
    struct ps_signature *v;
    struct sig_rt *rt;
    size_t n, cap;
    int compiled;
    struct ps_prefilter pf;
    uint32_t *stamp;                 /* per signature, prefilter generation */
    uint32_t gen;
    uint32_t *always;                /* signatures without a usable prefilter */
    size_t nalways;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    char scratch[PS_SIG_MAX_FIELDS][SIG_FIELD_CAP];
};

enum ps_err
ps_sigset_new(struct ps_sigset **out)
{
    struct ps_sigset *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return PS_E_NOMEM;
    *out = s;
    return PS_OK;
}

static void
sig_free(struct ps_signature *g)
{
    free(g->id);
    free(g->cls);
    free(g->pattern);
    for (size_t i = 0; g->prefilter != NULL && i < g->nprefilter; i++)
        free(g->prefilter[i]);
    free(g->prefilter);
    for (size_t i = 0; g->fields != NULL && i < g->nfields; i++)
        free(g->fields[i]);
    free(g->fields);
    free(g->source);
    free(g->summary);
    free(g->file);
}

void
ps_sigset_free(struct ps_sigset *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n; i++) {
        sig_free(&s->v[i]);
        if (s->rt != NULL)
            pcre2_code_free(s->rt[i].re);
    }
    free(s->v);
    free(s->rt);
    free(s->stamp);
    free(s->always);
    ps_prefilter_free(&s->pf);
    pcre2_match_data_free(s->md);
    pcre2_match_context_free(s->mctx);
    free(s);
}

size_t
ps_sigset_count(const struct ps_sigset *s)
{
    return s->n;
}

const struct ps_signature *
ps_sigset_get(const struct ps_sigset *s, size_t i)
{
    return i < s->n ? &s->v[i] : NULL;
}

int
ps_sigset_find(const struct ps_sigset *s, const char *id)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i].id, id) == 0)
            return (int)i;
    return -1;
}

/* ---- YAML ---- */

struct yctx {
    yaml_document_t *doc;
    const char *path;
    struct ps_diags *d;
    int bad;
};

static void
yerr(struct yctx *y, const yaml_node_t *at, const char *fmt, const char *a,
     const char *b)
{
    char msg[512];
    snprintf(msg, sizeof(msg), fmt, a != NULL ? a : "", b != NULL ? b : "");
    ps_diag_add(y->d, PS_SEV_ERROR, PS_E_SYNTAX, y->path, PS_OFF_NONE,
                at != NULL ? (uint32_t)at->start_mark.line + 1 : 0,
                "signatures", "%s", msg);
    y->bad = 1;
}

static const char *
scalar(const yaml_node_t *n)
{
    return n != NULL && n->type == YAML_SCALAR_NODE
               ? (const char *)n->data.scalar.value
               : NULL;
}

static int
valid_class(const char *c)
{
    int dot = 0;
    if (c[0] < 'a' || c[0] > 'z')
        return 0;
    for (const char *p = c; *p; p++) {
        if (*p == '.')
            dot = 1;
        else if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
                   *p == '_'))
            return 0;
    }
    return dot && c[strlen(c) - 1] != '.';
}

static int
is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int
valid_name(const char *c)
{
    if (!is_alpha(c[0]))
        return 0;
    for (const char *p = c; *p; p++)
        if (!is_alpha(*p) && !(*p >= '0' && *p <= '9'))
            return 0;
    return strlen(c) < 64;
}

/* 1 if lit occurs in pat once regex escapes (\x -> x) are removed. */
static int
literal_in_pattern(const char *pat, const char *lit)
{
    size_t n = strlen(pat);
    char *u = malloc(n + 1);
    if (u == NULL)
        return 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (pat[i] == '\\' && i + 1 < n && strchr("ntrdDsSwWbB", pat[i + 1]) == NULL) {
            u[o++] = pat[++i];
            continue;
        }
        u[o++] = pat[i];
    }
    u[o] = 0;
    int ok = strstr(u, lit) != NULL;
    free(u);
    return ok;
}

static int
parse_sev(const char *s, enum ps_sev *sev)
{
    if (strcmp(s, "info") == 0)
        *sev = PS_SEV_NOTE;
    else if (strcmp(s, "warning") == 0)
        *sev = PS_SEV_WARN;
    else if (strcmp(s, "error") == 0)
        *sev = PS_SEV_ERROR;
    else if (strcmp(s, "critical") == 0)
        *sev = PS_SEV_FATAL;
    else
        return 0;
    return 1;
}

static char *
dup_s(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

static enum ps_err
add_sig(struct ps_sigset *s, struct ps_signature *g)
{
    enum ps_err e = ps_grow((void **)&s->v, &s->cap, s->n + 1, sizeof(*s->v));
    if (e != PS_OK)
        return e;
    s->v[s->n++] = *g;
    return PS_OK;
}

/* A scalar or a list of scalars -> malloc'd array of copies (NULL-terminated). */
static char **
str_list(struct yctx *y, yaml_node_t *v, const char *id, const char *key,
         size_t max, size_t *n)
{
    *n = 0;
    size_t cnt = 1;
    if (v->type == YAML_SEQUENCE_NODE)
        cnt = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
    else if (v->type != YAML_SCALAR_NODE)
        cnt = 0;
    if (cnt == 0 || cnt > max) {
        char what[96];
        snprintf(what, sizeof(what), "%s of %s", key, id);
        yerr(y, v, "%s must be a scalar or a list of 1 to %s scalars", what,
             max == PS_SIG_MAX_FIELDS ? "8" : "16");
        return NULL;
    }
    char **out = calloc(cnt + 1, sizeof(char *));
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < cnt; i++) {
        yaml_node_t *it = v->type == YAML_SEQUENCE_NODE
                              ? yaml_document_get_node(y->doc,
                                                       v->data.sequence.items.start[i])
                              : v;
        const char *sv = scalar(it);
        if (sv == NULL || (out[i] = strdup(sv)) == NULL) {
            yerr(y, it, "signature %s: %s entries must be scalars", id, key);
            for (size_t k = 0; k < i; k++)
                free(out[k]);
            free(out);
            *n = 0;
            return NULL;
        }
        *n = i + 1;
    }
    return out;
}

/* One "- id: ..." mapping. */
static void
load_one(struct ps_sigset *s, struct yctx *y, yaml_node_t *m)
{
    enum { K_ID, K_CLASS, K_SEV, K_PAT, K_PRE, K_FIELDS, K_SRC, K_SUM, K_LB, K__N };
    static const char *const keys[K__N] = {"id", "class", "severity", "pattern",
                                           "prefilter", "fields", "source",
                                           "summary", "lower_bound"};
    const char *val[K__N] = {0};
    yaml_node_t *node[K__N] = {0};
    int bad = 0;
    if (m == NULL || m->type != YAML_MAPPING_NODE) {
        yerr(y, m, "a signature must be a mapping%s%s", NULL, NULL);
        return;
    }
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
         p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(y->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(y->doc, p->value);
        const char *ks = scalar(k);
        size_t i = 0;
        while (ks != NULL && i < K__N && strcmp(ks, keys[i]) != 0)
            i++;
        if (ks == NULL || i == K__N) {
            yerr(y, k, "unknown key '%s'%s", ks != NULL ? ks : "?", NULL);
            bad = 1;
            continue;
        }
        if (node[i] != NULL) {
            yerr(y, k, "duplicate key '%s'%s", ks, NULL);
            bad = 1;
            continue;
        }
        node[i] = v;
        if (i == K_PRE || i == K_FIELDS)
            continue;
        if (scalar(v) == NULL) {
            yerr(y, v, "'%s' must be a scalar%s", ks, NULL);
            bad = 1;
            continue;
        }
        val[i] = scalar(v);
    }
    for (size_t i = 0; i < K__N; i++) {
        if (i == K_FIELDS || i == K_LB)
            continue;
        if (node[i] == NULL || (i != K_PRE && (val[i] == NULL || val[i][0] == 0))) {
            if (!bad)
                yerr(y, m, "missing key '%s' in signature %s", keys[i],
                     val[K_ID] != NULL ? val[K_ID] : "?");
            bad = 1;
        }
    }
    if (bad)
        return;
    const char *id = val[K_ID];
    struct ps_signature g;
    memset(&g, 0, sizeof(g));
    if (ps_sigset_find(s, id) >= 0) {
        yerr(y, m, "duplicate signature id '%s'%s", id, NULL);
        return;
    }
    if (!valid_class(val[K_CLASS])) {
        yerr(y, node[K_CLASS], "signature %s: class '%s' is not of the form area.problem",
             id, val[K_CLASS]);
        return;
    }
    if (!parse_sev(val[K_SEV], &g.sev)) {
        yerr(y, node[K_SEV],
             "signature %s: severity '%s' is not info, warning, error or critical",
             id, val[K_SEV]);
        return;
    }
    if (val[K_LB] != NULL) {
        if (strcmp(val[K_LB], "true") == 0)
            g.lower_bound = 1;
        else if (strcmp(val[K_LB], "false") != 0) {
            yerr(y, node[K_LB], "signature %s: lower_bound must be true or false%s",
                 id, NULL);
            return;
        }
    }
    /* The regex must compile. */
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)val[K_PAT], PCRE2_ZERO_TERMINATED,
                                   0, &ec, &eo, NULL);
    if (re == NULL) {
        char why[256];
        pcre2_get_error_message(ec, (PCRE2_UCHAR *)why, sizeof(why));
        char msg[400];
        snprintf(msg, sizeof(msg), "%s at pattern offset %zu", why, (size_t)eo);
        yerr(y, node[K_PAT], "signature %s: bad pattern: %s", id, msg);
        return;
    }
    uint32_t ncap = 0;
    pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &ncap);
    pcre2_code_free(re);
    if (ncap >= SIG_MAX_GROUPS) {
        yerr(y, node[K_PAT], "signature %s: more than 31 capture groups%s", id, NULL);
        return;
    }
    g.prefilter = str_list(y, node[K_PRE], id, "prefilter", 16, &g.nprefilter);
    if (g.prefilter == NULL)
        return;
    for (size_t i = 0; i < g.nprefilter; i++) {
        if (strlen(g.prefilter[i]) < 3) {
            yerr(y, node[K_PRE], "signature %s: prefilter '%s' is shorter than 3 bytes",
                 id, g.prefilter[i]);
            sig_free(&g);
            return;
        }
        if (!literal_in_pattern(val[K_PAT], g.prefilter[i])) {
            yerr(y, node[K_PRE],
                 "signature %s: prefilter '%s' does not occur literally in the pattern",
                 id, g.prefilter[i]);
            sig_free(&g);
            return;
        }
    }
    if (node[K_FIELDS] != NULL) {
        g.fields = str_list(y, node[K_FIELDS], id, "fields", PS_SIG_MAX_FIELDS,
                            &g.nfields);
        if (g.fields == NULL) {
            sig_free(&g);
            return;
        }
        for (size_t i = 0; i < g.nfields; i++)
            if (!valid_name(g.fields[i])) {
                yerr(y, node[K_FIELDS],
                     "signature %s: field name '%s' is not [A-Za-z_][A-Za-z0-9_]*",
                     id, g.fields[i]);
                sig_free(&g);
                return;
            }
    }
    g.id = dup_s(id);
    g.cls = dup_s(val[K_CLASS]);
    g.pattern = dup_s(val[K_PAT]);
    g.source = dup_s(val[K_SRC]);
    g.summary = dup_s(val[K_SUM]);
    g.file = dup_s(y->path);
    g.line = (uint32_t)m->start_mark.line + 1;
    if (g.id == NULL || g.cls == NULL || g.pattern == NULL ||
        g.source == NULL || g.summary == NULL || g.file == NULL ||
        add_sig(s, &g) != PS_OK) {
        sig_free(&g);
        y->bad = 1;
    }
}

enum ps_err
ps_sigset_add_yaml(struct ps_sigset *s, const char *path, const char *text,
                   size_t n, struct ps_diags *d)
{
    if (s->compiled)
        return PS_E_USAGE;
    yaml_parser_t parser;
    yaml_document_t doc;
    struct yctx y = {&doc, path, d, 0};
    if (!yaml_parser_initialize(&parser))
        return PS_E_NOMEM;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, n);
    if (!yaml_parser_load(&parser, &doc)) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_SYNTAX, path, PS_OFF_NONE,
                    (uint32_t)parser.problem_mark.line + 1, "signatures",
                    "YAML: %s", parser.problem != NULL ? parser.problem : "parse error");
        yaml_parser_delete(&parser);
        return PS_E_SYNTAX;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root == NULL) {
        yerr(&y, NULL, "empty signature file%s%s", NULL, NULL);
    } else if (root->type != YAML_MAPPING_NODE) {
        yerr(&y, root, "top level must be a mapping with 'signatures:'%s%s", NULL, NULL);
    } else {
        for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
             p < root->data.mapping.pairs.top; p++) {
            yaml_node_t *k = yaml_document_get_node(&doc, p->key);
            yaml_node_t *v = yaml_document_get_node(&doc, p->value);
            const char *ks = scalar(k);
            if (ks == NULL || strcmp(ks, "signatures") != 0) {
                yerr(&y, k, "unknown top-level key '%s'%s", ks != NULL ? ks : "?", NULL);
                continue;
            }
            if (v->type != YAML_SEQUENCE_NODE) {
                yerr(&y, v, "'signatures' must be a list%s%s", NULL, NULL);
                continue;
            }
            for (yaml_node_item_t *it = v->data.sequence.items.start;
                 it < v->data.sequence.items.top; it++)
                load_one(s, &y, yaml_document_get_node(&doc, *it));
        }
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return y.bad ? PS_E_SYNTAX : PS_OK;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n > m && strcmp(s + n - m, suf) == 0;
}

enum ps_err
ps_sigset_load_dir(struct ps_sigset *s, const char *dir, struct ps_diags *d)
{
    DIR *dh = opendir(dir);
    if (dh == NULL) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_IO, dir, PS_OFF_NONE, 0, "signatures",
                    "cannot open signature directory");
        return PS_E_IO;
    }
    char **names = NULL;
    size_t nn = 0, cap = 0;
    struct dirent *de;
    enum ps_err rc = PS_OK;
    while ((de = readdir(dh)) != NULL) {
        if (de->d_name[0] == '.' ||
            !(has_suffix(de->d_name, ".yaml") || has_suffix(de->d_name, ".yml")))
            continue;
        if (ps_grow((void **)&names, &cap, nn + 1, sizeof(*names)) != PS_OK ||
            (names[nn] = strdup(de->d_name)) == NULL) {
            rc = PS_E_NOMEM;
            break;
        }
        nn++;
    }
    closedir(dh);
    if (names != NULL)
        qsort(names, nn, sizeof(*names), cmp_str);
    for (size_t i = 0; i < nn && rc != PS_E_NOMEM; i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        FILE *f = fopen(path, "rb");
        if (f == NULL) {
            ps_diag_add(d, PS_SEV_ERROR, PS_E_IO, path, PS_OFF_NONE, 0,
                        "signatures", "cannot open");
            rc = PS_E_IO;
            continue;
        }
        char *buf = malloc(SIG_MAX_FILE_BYTES + 1);
        size_t got = buf != NULL ? fread(buf, 1, SIG_MAX_FILE_BYTES + 1, f) : 0;
        fclose(f);
        if (buf == NULL) {
            rc = PS_E_NOMEM;
        } else if (got > SIG_MAX_FILE_BYTES) {
            ps_diag_add(d, PS_SEV_ERROR, PS_E_LIMIT, path, PS_OFF_NONE, 0,
                        "signatures", "file larger than 4 MiB");
            rc = PS_E_LIMIT;
        } else {
            enum ps_err e = ps_sigset_add_yaml(s, path, buf, got, d);
            if (e != PS_OK && rc == PS_OK)
                rc = e;
        }
        free(buf);
    }
    for (size_t i = 0; i < nn; i++)
        free(names[i]);
    free(names);
    return rc;
}

enum ps_err
ps_sigset_compile(struct ps_sigset *s, struct ps_diags *d)
{
    if (s->compiled)
        return PS_OK;
    s->rt = calloc(s->n + 1, sizeof(*s->rt));
    s->stamp = calloc(s->n + 1, sizeof(*s->stamp));
    s->always = calloc(s->n + 1, sizeof(*s->always));
    size_t nlit = 1;
    for (size_t i = 0; i < s->n; i++)
        nlit += s->v[i].nprefilter;
    const char **lits = calloc(nlit, sizeof(*lits));
    size_t *lens = calloc(nlit, sizeof(*lens));
    uint32_t *owner = calloc(nlit, sizeof(*owner));
    s->md = pcre2_match_data_create(SIG_MAX_GROUPS, NULL);
    s->mctx = pcre2_match_context_create(NULL);
    enum ps_err rc = PS_E_NOMEM;
    if (s->rt == NULL || s->stamp == NULL || s->always == NULL ||
        lits == NULL || lens == NULL || owner == NULL || s->md == NULL ||
        s->mctx == NULL)
        goto out;
    pcre2_set_match_limit(s->mctx, SIG_MATCH_LIMIT);
    pcre2_set_depth_limit(s->mctx, SIG_MATCH_LIMIT);
    size_t nl = 0;
    for (size_t i = 0; i < s->n; i++) {
        struct ps_signature *g = &s->v[i];
        int ec;
        PCRE2_SIZE eo;
        s->rt[i].re = pcre2_compile((PCRE2_SPTR)g->pattern,
                                    PCRE2_ZERO_TERMINATED, 0, &ec, &eo, NULL);
        if (s->rt[i].re == NULL) {
            ps_diag_add(d, PS_SEV_ERROR, PS_E_SYNTAX, g->file, PS_OFF_NONE,
                        g->line, "signatures", "signature %s: bad pattern", g->id);
            continue;
        }
        s->rt[i].jit = pcre2_jit_compile(s->rt[i].re, PCRE2_JIT_COMPLETE) == 0;
        for (size_t f = 0; f < g->nfields; f++) {
            int gn = pcre2_substring_number_from_name(s->rt[i].re,
                                                      (PCRE2_SPTR)g->fields[f]);
            s->rt[i].group[f] = gn > 0 ? gn : 0;
        }
        for (size_t k = 0; k < g->nprefilter; k++) {
            lits[nl] = g->prefilter[k];
            lens[nl] = strlen(g->prefilter[k]);
            owner[nl] = (uint32_t)i;
            nl++;
        }
    }
    rc = ps_prefilter_build(&s->pf, lits, lens, owner, nl);
    if (rc == PS_E_LIMIT) {
        /* Too many literal bytes for the automaton: every signature is a
         * candidate (correct, slower). */
        ps_diag_add(d, PS_SEV_WARN, PS_E_LIMIT, NULL, PS_OFF_NONE, 0,
                    "signatures", "prefilter too large; matching every pattern");
        for (size_t i = 0; i < s->n; i++)
            s->always[s->nalways++] = (uint32_t)i;
        rc = PS_OK;
    }
    if (rc == PS_OK)
        s->compiled = 1;
out:
    free(lits);
    free(lens);
    free(owner);
    return rc;
}

static int
cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Fill m's fields for signature i matched on line. */
static void
extract(struct ps_sigset *s, size_t i, const char *line, size_t n,
        struct ps_sig_match *m)
{
    const struct ps_signature *g = &s->v[i];
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s->md);
    uint32_t npairs = pcre2_get_ovector_count(s->md);
    struct ps_logfmt_pair pairs[64];
    size_t np = (size_t)-1;
    m->nf = 0;
    for (size_t f = 0; f < g->nfields; f++) {
        int gn = s->rt[i].group[f];
        const char *v = NULL;
        size_t vn = 0;
        if (gn > 0 && (uint32_t)gn < npairs && ov[2 * gn] != PCRE2_UNSET &&
            ov[2 * gn + 1] >= ov[2 * gn] && ov[2 * gn + 1] <= n) {
            v = line + ov[2 * gn];
            vn = ov[2 * gn + 1] - ov[2 * gn];
        } else {
            /* Not a group, or a group that did not take part: the logfmt
             * key of the same name. */
            if (np == (size_t)-1) {
                np = ps_logfmt_parse(line, n, pairs, 64, NULL);
                if (np > 64)
                    np = 64;
            }
            const struct ps_logfmt_pair *p = ps_logfmt_find(pairs, np, g->fields[f]);
            if (p != NULL) {
                if (p->quoted) {
                    vn = ps_logfmt_unquote(p->v, p->vn, s->scratch[f], SIG_FIELD_CAP);
                    v = s->scratch[f];
                } else {
                    v = p->v;
                    vn = p->vn;
                }
            }
        }
        if (v == NULL || vn == 0)
            continue;
        if (vn > SIG_FIELD_CAP)
            vn = SIG_FIELD_CAP;
        m->f[m->nf].name = g->fields[f];
        m->f[m->nf].v = v;
        m->f[m->nf].n = vn;
        m->nf++;
    }
}

int
ps_sigset_match(struct ps_sigset *s, const char *line, size_t n,
                struct ps_sig_match *m)
{
    m->sig = -1;
    m->nf = 0;
    if (!s->compiled)
        return -1;
    uint32_t hits[SIG_MAX_HITS];
    if (++s->gen == 0) {
        memset(s->stamp, 0, s->n * sizeof(*s->stamp));
        s->gen = 1;
    }
    size_t nh = ps_prefilter_scan(&s->pf, line, n, s->stamp, s->gen, hits,
                                  SIG_MAX_HITS);
    for (size_t i = 0; i < s->nalways && nh < SIG_MAX_HITS; i++)
        hits[nh++] = s->always[i];
    if (nh == 0)
        return -1;
    if (nh > 1)
        qsort(hits, nh, sizeof(*hits), cmp_u32);
    for (size_t h = 0; h < nh; h++) {
        uint32_t i = hits[h];
        if (s->rt[i].re == NULL)
            continue;
        int rc = s->rt[i].jit
                     ? pcre2_jit_match(s->rt[i].re, (PCRE2_SPTR)line, n, 0, 0,
                                       s->md, s->mctx)
                     : pcre2_match(s->rt[i].re, (PCRE2_SPTR)line, n, 0, 0,
                                   s->md, s->mctx);
        if (rc < 0)
            continue;
        m->sig = (int)i;
        extract(s, i, line, n, m);
        return (int)i;
    }
    return -1;
}
