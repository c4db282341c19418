/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ingest.c - ps_config_ingest: decide what one bundle entry (or one value
 * of a ConfigMap) holds and hand it to its publisher.
 *
 * Sniffing, in order, on content only (the entry's kind is only used to
 * decide whether a text that is none of these deserves a diagnostic):
 *   1. df output (a "Filesystem ... Mounted on" header)       -> df.c
 *   2. a command line / file of flags ("--" first, or a program name
 *      followed by flags)                                     -> flags.c
 *   3. YAML or JSON (tree.c, redacted by redact_tree.c), per document:
 *      apiVersion+kind          Kubernetes object or List     -> k8s.c
 *      list of {endpoints|hashring}  Thanos hashrings.json    -> hashring.c
 *      list of "--flag" words   container args as YAML        -> flags.c
 *      global/scrape_configs/remote_write/...  prometheus.yml -> prom.c
 *        (not with Alertmanager's route/receivers or Loki's server)
 *      write: {global|default|tenants}  Thanos receive limits -> here
 *      {"status", "data": {"yaml"}}  /api/v1/status/config    -> prom.c
 *      {"status", "data": {flags}}   /api/v1/status/flags     -> flags.c
 * A text that is none of these is left alone; YAML syntax diagnostics are
 * kept only if the entry was classified as a config (it may be a README).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_int.h"
#include "promsight/ps_util.h"

const char *
ps_config_what_name(enum ps_config_what w)
{
    switch (w) {
    case PS_CFG_PROMETHEUS: return "prometheus";
    case PS_CFG_HASHRINGS: return "hashrings";
    case PS_CFG_K8S: return "k8s";
    case PS_CFG_DF: return "df";
    case PS_CFG_FLAGS: return "flags";
    case PS_CFG_LIMITS: return "limits";
    default: return "none";
    }
}

static int
word_is_program(const char *s, size_t n)
{
    /* last path component */
    const char *b = s;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '/')
            b = s + i + 1;
    size_t bl = n - (size_t)(b - s);
    return (bl == 10 && memcmp(b, "prometheus", 10) == 0) ||
           (bl == 6 && memcmp(b, "thanos", 6) == 0);
}

/* A text of flags: first word "--x" or a program name followed by "--x"
 * (possibly a subcommand in between), with no YAML "key: value" start. */
static int
looks_like_flags(const char *s, size_t n)
{
    size_t i = 0;
    for (;;) {   /* blanks, "$ " prompts and # comment lines */
        while (i < n && (isspace((unsigned char)s[i]) || s[i] == '$'))
            i++;
        if (i >= n || s[i] != '#')
            break;
        while (i < n && s[i] != '\n')
            i++;
    }
    if (i + 2 < n && s[i] == '-' && s[i + 1] == '-' && isalpha((unsigned char)s[i + 2]))
        return 1;
    size_t b = i;
    while (i < n && !isspace((unsigned char)s[i]))
        i++;
    if (!word_is_program(s + b, i - b))
        return 0;
    for (int words = 0; words < 3 && i < n; words++) {
        while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\\' || s[i] == '\n'))
            i++;
        if (i + 1 < n && s[i] == '-' && s[i + 1] == '-')
            return 1;
        while (i < n && !isspace((unsigned char)s[i]))
            i++;
    }
    return 0;
}

static int
has_any(const struct cn *m, const char *const *keys, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (cn_get(m, keys[i]) != NULL)
            return 1;
    return 0;
}

static int
is_flag_list(const struct cn *seq)
{
    size_t n = cn_len(seq);
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        const struct cn *x = cn_item(seq, i);
        if (x == NULL || x->type != CN_SCALAR)
            return 0;
        if (i == 0 && (x->len < 3 || x->s[0] != '-' || x->s[1] != '-'))
            return 0;
    }
    return 1;
}

static void
pub_flag_list(struct cfg_pub *p, const struct cn *seq)
{
    size_t n = cn_len(seq);
    const char **w = calloc(n, sizeof(*w));
    if (w == NULL) {
        p->err = PS_E_NOMEM;
        return;
    }
    for (size_t i = 0; i < n; i++)
        w[i] = cn_item(seq, i)->s;
    struct ps_flags f;
    /* already redacted in the tree: no stats */
    if (ps_config_parse_flags(w, n, &f, NULL) != PS_OK) {
        p->err = PS_E_NOMEM;
    } else {
        cfg_pub_flags(p, &f, p->pod, p->container);
        ps_flags_free(&f);
    }
    free(w);
}

/* Thanos receive limits config (--receive.limits-config(-file)). */
static void
pub_limits(struct cfg_pub *p, const struct cn *write)
{
    static const char *const req_limits[] = {"size_bytes_limit", "series_limit",
                                             "samples_limit"};
    const struct cn *g = cn_get(write, "global");
    int64_t v;
    if (cn_int(cn_get(g, "max_concurrency"), &v)) {
        struct ps_label l[] = {{"pod", p->pod}, {"tenant", "global"}, {"limit", "max_concurrency"}};
        cfg_pub_sample(p, "promsight_config_receive_limit", (double)v, l, 3);
    }
    const struct cn *tenants = cn_get(write, "tenants");
    size_t nt = cn_len(tenants);
    for (size_t t = 0; t <= nt; t++) {
        const struct cn *lim = t == 0 ? cn_get(write, "default") : cn_val(tenants, t - 1);
        const struct cn *tk = t == 0 ? NULL : cn_key(tenants, t - 1);
        const char *tenant = t == 0 ? "default" : tk != NULL && tk->type == CN_SCALAR ? tk->s : NULL;
        if (lim == NULL || tenant == NULL)
            continue;
        const struct cn *req = cn_get(lim, "request");
        for (size_t k = 0; k < 3; k++)
            if (cn_int(cn_get(req, req_limits[k]), &v)) {
                struct ps_label l[] = {{"pod", p->pod}, {"tenant", tenant}, {"limit", req_limits[k]}};
                cfg_pub_sample(p, "promsight_config_receive_limit", (double)v, l, 3);
            }
        if (cn_int(cn_get(lim, "head_series_limit"), &v)) {
            struct ps_label l[] = {{"pod", p->pod}, {"tenant", tenant}, {"limit", "head_series_limit"}};
            cfg_pub_sample(p, "promsight_config_receive_limit", (double)v, l, 3);
        }
    }
}

/*
 * Prometheus HTTP API answers: /api/v1/status/config ({"data": {"yaml":
 * "..."}}, the config as the server loaded it, defaults spelled out) and
 * /api/v1/status/flags ({"data": {"flag": "value", ...}}, every flag).
 */
static enum ps_config_what
pub_api(struct cfg_pub *p, const struct cn *data)
{
    const struct cn *yaml = cn_get(data, "yaml");
    if (yaml != NULL && yaml->type == CN_SCALAR) {
        struct cfg_pub sub = *p;
        sub.depth = p->depth + 1;
        sub.line_fixed = yaml->line;
        enum ps_config_what w = cfg_ingest_text(&sub, (const uint8_t *)yaml->s, yaml->len);
        if (sub.err != PS_OK)
            p->err = sub.err;
        return w;
    }
    if (cn_get(data, "config.file") == NULL && cn_get(data, "storage.tsdb.path") == NULL &&
        cn_get(data, "storage.agent.path") == NULL)
        return PS_CFG_NONE;
    size_t n = cn_len(data);
    char **w = calloc(n + 1, sizeof(*w));
    if (w == NULL) {
        p->err = PS_E_NOMEM;
        return PS_CFG_NONE;
    }
    size_t k = 0;
    w[k++] = strdup("prometheus");
    for (size_t i = 0; i < n && w[0] != NULL; i++) {
        const struct cn *key = cn_key(data, i), *v = cn_val(data, i);
        if (key == NULL || key->type != CN_SCALAR || v == NULL || v->type != CN_SCALAR)
            continue;
        struct ps_buf b = {NULL, 0, 0};
        if (ps_buf_printf(&b, "--%s=%s", key->s, v->s) != PS_OK) {
            ps_buf_free(&b);
            p->err = PS_E_NOMEM;
            break;
        }
        w[k++] = (char *)b.p;
    }
    if (w[0] == NULL)
        p->err = PS_E_NOMEM;
    struct ps_flags f;
    if (p->err == PS_OK && ps_config_parse_flags((const char *const *)w, k, &f, NULL) == PS_OK) {
        cfg_pub_flags(p, &f, p->pod, p->container);
        ps_flags_free(&f);
    } else if (p->err == PS_OK) {
        p->err = PS_E_NOMEM;
    }
    for (size_t i = 0; i < k; i++)
        free(w[i]);
    free(w);
    return PS_CFG_FLAGS;
}

static enum ps_config_what
pub_root(struct cfg_pub *p, const struct cn *root)
{
    static const char *const prom_keys[] = {"global", "scrape_configs", "remote_write",
                                            "rule_files", "alerting", "remote_read",
                                            "scrape_config_files", "storage", "tracing"};
    /* Alertmanager (global + route), Loki/Tempo/Mimir (server, ...) */
    static const char *const not_prom_keys[] = {"route", "receivers", "inhibit_rules",
                                                "server", "schema_config", "ingester"};
    root = cn_deref(root);
    if (root == NULL)
        return PS_CFG_NONE;
    if (root->type == CN_MAP) {
        if (cn_str(root, "apiVersion") != NULL && cn_str(root, "kind") != NULL) {
            const char *keep = p->file;
            p->file = NULL;   /* objects name their own pods */
            cfg_pub_k8s(p, root);
            p->file = keep;
            return PS_CFG_K8S;
        }
        if (has_any(root, prom_keys, sizeof(prom_keys) / sizeof(prom_keys[0])) &&
            !has_any(root, not_prom_keys, sizeof(not_prom_keys) / sizeof(not_prom_keys[0]))) {
            cfg_pub_prom(p, root);
            return PS_CFG_PROMETHEUS;
        }
        const char *status = cn_str(root, "status");
        const struct cn *data = cn_get(root, "data");
        if (status != NULL && data != NULL && data->type == CN_MAP)
            return pub_api(p, data);
        const struct cn *w = cn_get(root, "write");
        if (w != NULL && (cn_get(w, "global") != NULL || cn_get(w, "default") != NULL ||
                          cn_get(w, "tenants") != NULL)) {
            pub_limits(p, w);
            return PS_CFG_LIMITS;
        }
        return PS_CFG_NONE;
    }
    if (root->type == CN_SEQ) {
        int ring = 0;
        for (size_t i = 0; i < cn_len(root) && i < 4 && !ring; i++) {
            const struct cn *it = cn_item(root, i);
            ring = it != NULL && it->type == CN_MAP &&
                   (cn_get(it, "endpoints") != NULL || cn_get(it, "hashring") != NULL);
        }
        if (ring) {
            cfg_pub_hashrings(p, root, p->rf, p->algorithm);
            return PS_CFG_HASHRINGS;
        }
        if (is_flag_list(root)) {
            pub_flag_list(p, root);
            return PS_CFG_FLAGS;
        }
    }
    return PS_CFG_NONE;
}

enum ps_config_what
cfg_ingest_text(struct cfg_pub *p, const uint8_t *buf, size_t n)
{
    size_t i = 0;
    if (n >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF)
        i = 3;
    while (i < n && isspace(buf[i]))
        i++;
    if (i == n)
        return PS_CFG_NONE;
    if (cfg_pub_df(p, buf, n))
        return PS_CFG_DF;
    if (looks_like_flags((const char *)buf + i, n - i)) {
        struct ps_flags f;
        if (ps_config_parse_flags_text(buf + i, n - i, &f, p->stats) != PS_OK) {
            p->err = PS_E_NOMEM;
            return PS_CFG_NONE;
        }
        cfg_pub_flags(p, &f, p->pod, p->container);
        ps_flags_free(&f);
        return PS_CFG_FLAGS;
    }
    struct ps_diags local;
    ps_diags_init(&local);
    struct cfg_doc *d;
    if (cfg_doc_parse(buf, n, p->path, &local, &d, NULL) != PS_OK) {
        p->err = PS_E_NOMEM;
        ps_diags_free(&local);
        return PS_CFG_NONE;
    }
    enum ps_config_what what = PS_CFG_NONE;
    if (cfg_redact_tree(d, p->stats) != PS_OK) {
        p->err = PS_E_NOMEM;
    } else {
        struct ps_diags *keep = p->diags;
        p->diags = &local;
        for (size_t k = 0; k < d->ndocs; k++) {
            enum ps_config_what w = pub_root(p, d->docs[k]);
            if (what == PS_CFG_NONE)
                what = w;
        }
        p->diags = keep;
    }
    cfg_doc_free(d);
    /* a text that was none of ours keeps quiet: it may be a README */
    if (what != PS_CFG_NONE || (p->depth == 0 && p->expect)) {
        for (size_t k = 0; k < local.n; k++)
            if (p->line_fixed != 0)
                local.v[k].line = p->line_fixed;
            else if (local.v[k].line != 0 && local.v[k].line <= UINT32_MAX - p->line_base)
                local.v[k].line += p->line_base;
        ps_diags_merge(p->diags, &local);
    }
    ps_diags_free(&local);
    return what;
}

enum ps_err
ps_config_ingest(const struct ps_entry *e, const uint8_t *buf, size_t n,
                 int64_t t_ms, struct ps_facts *facts,
                 struct ps_redact_stats *stats, struct ps_diags *diags,
                 enum ps_config_what *what)
{
    struct cfg_pub p;
    memset(&p, 0, sizeof(p));
    struct ps_redact_stats dummy = {0, 0, 0};
    p.facts = facts;
    p.diags = diags;
    p.stats = stats != NULL ? stats : &dummy;
    p.path = e != NULL && e->path != NULL ? e->path : "-";
    p.src = facts != NULL ? ps_facts_source(facts, p.path) : PS_SRC_NONE;
    p.t_ms = t_ms;
    p.pod = e != NULL ? e->pod : NULL;
    p.container = e != NULL ? e->container : NULL;
    /* a file with no pod in its path: name it, or two such files' series
     * (same job, same remote) would land on one series */
    p.file = p.pod == NULL ? p.path : NULL;
    p.expect = e == NULL || e->kind == PS_KIND_CONFIG || e->kind == PS_KIND_HASHRING ||
               e->kind == PS_KIND_K8S_OBJECT;
    p.err = PS_OK;
    enum ps_config_what w = cfg_ingest_text(&p, buf, n);
    if (what != NULL)
        *what = w;
    return p.err == PS_E_NOMEM ? PS_E_NOMEM : PS_OK;
}
