/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * flags.c - command-line flags of Prometheus and Thanos, from a pod spec's
 * command+args or from a text file of flags (a shell command line, one
 * flag per line, or both). Both "--flag=value" and "--flag value" are
 * read; a word that does not start with "--" after a flag known to be
 * boolean is not taken as its value.
 *
 * Values of flags whose name marks a secret (--*password*, --*token*,
 * --*secret*, ... but not --*-file paths) are redacted, and every other
 * value goes through ps_redact_text (user:password@ in URLs).
 *
 * Thanos' content flags --receive.hashrings=<json> and
 * --receive.limits-config=<yaml> are read like files of their own, the
 * hashring checked against the same command line's replication factor.
 *
 * Defaults (ps_config_flags_effective), from the programs' documentation:
 * agent retention max-time 4h and min-time 5m (tsdb/agent/db.go: a zero
 * value means the default); server retention 15d when neither time nor
 * size is given; Thanos receive --tsdb.retention 15d,
 * --receive.replication-factor 1, --receive.hashrings-algorithm hashmod.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_int.h"
#include "promsight/ps_util.h"

#define MS_H (3600LL * 1000)
#define MS_D (24 * MS_H)

/* Boolean flags that must not swallow the next word. */
static const char *const bool_flags[] = {
    "web.enable-lifecycle", "web.enable-admin-api", "web.enable-remote-write-receiver",
    "storage.tsdb.wal-compression", "storage.agent.wal-compression",
    "storage.tsdb.no-lockfile", "storage.agent.no-lockfile", "agent",
    "storage.tsdb.allow-overlapping-blocks", "web.enable-otlp-receiver",
    "receive.local-endpoint-is-router", "tsdb.allow-overlapping-blocks",
    "tsdb.no-lockfile", "tsdb.wal-compression", "tsdb.enable-exemplars",
    "shipper.upload-compacted", "version", "help",
};

static int
is_bool_flag(const char *name, size_t n)
{
    if (n > 3 && memcmp(name, "no-", 3) == 0)
        return 1;
    for (size_t i = 0; i < sizeof(bool_flags) / sizeof(bool_flags[0]); i++)
        if (strlen(bool_flags[i]) == n && memcmp(bool_flags[i], name, n) == 0)
            return 1;
    return 0;
}

static void
flags_init(struct ps_flags *f)
{
    memset(f, 0, sizeof(*f));
    f->program = PS_PROG_UNKNOWN;
    f->agent_retention_max_ms = PS_CFG_UNSET;
    f->agent_retention_min_ms = PS_CFG_UNSET;
    f->tsdb_retention_ms = PS_CFG_UNSET;
    f->tsdb_retention_bytes = PS_CFG_UNSET;
    f->thanos_retention_ms = PS_CFG_UNSET;
    f->thanos_retention_bytes = PS_CFG_UNSET;
    f->replication_factor = PS_CFG_UNSET;
}

void
ps_flags_free(struct ps_flags *f)
{
    if (f == NULL)
        return;
    free(f->hashrings_algorithm);
    free(f->config_file);
    free(f->hashrings_file);
    free(f->limits_config_file);
    for (size_t i = 0; i < f->nall; i++) {
        free(f->all[i].name);
        free(f->all[i].value);
    }
    free(f->all);
    flags_init(f);
}

static int
set_str(char **dst, const char *v)
{
    char *s = strdup(v);
    if (s == NULL)
        return 0;
    free(*dst);
    *dst = s;
    return 1;
}

static void
set_dur(int64_t *dst, const char *v)
{
    int64_t ms;
    if (ps_config_parse_duration(v, strlen(v), &ms) && ms > 0)
        *dst = ms;
}

static void
set_size(int64_t *dst, const char *v)
{
    double b;
    if (ps_config_parse_size(v, strlen(v), &b) && b > 0 && b < 9.0e18)
        *dst = (int64_t)b;
}

/* Apply one flag (name without "--", value may be "" for booleans). */
static enum ps_err
apply(struct ps_flags *f, const char *name, const char *value)
{
    if (strcmp(name, "storage.agent.retention.max-time") == 0)
        set_dur(&f->agent_retention_max_ms, value);
    else if (strcmp(name, "storage.agent.retention.min-time") == 0)
        set_dur(&f->agent_retention_min_ms, value);
    else if (strcmp(name, "storage.tsdb.retention.time") == 0 ||
             strcmp(name, "storage.tsdb.retention") == 0)
        set_dur(&f->tsdb_retention_ms, value);
    else if (strcmp(name, "storage.tsdb.retention.size") == 0)
        set_size(&f->tsdb_retention_bytes, value);
    else if (strcmp(name, "tsdb.retention") == 0) {
        /* Thanos: 0 disables the retention policy (keep forever) */
        int64_t ms;
        if (ps_config_parse_duration(value, strlen(value), &ms))
            f->thanos_retention_ms = ms > 0 ? ms : PS_CFG_INFINITE;
    }
    else if (strcmp(name, "tsdb.max-retention-bytes") == 0)
        set_size(&f->thanos_retention_bytes, value);
    else if (strcmp(name, "receive.replication-factor") == 0) {
        char *end;
        long v = strtol(value, &end, 10);
        if (end != value && *end == 0 && v > 0 && v < 1000)
            f->replication_factor = v;
    } else if (strcmp(name, "receive.hashrings-algorithm") == 0) {
        if (!set_str(&f->hashrings_algorithm, value))
            return PS_E_NOMEM;
    } else if (strcmp(name, "config.file") == 0) {
        if (!set_str(&f->config_file, value))
            return PS_E_NOMEM;
    } else if (strcmp(name, "receive.hashrings-file") == 0) {
        if (!set_str(&f->hashrings_file, value))
            return PS_E_NOMEM;
    } else if (strcmp(name, "receive.limits-config-file") == 0) {
        if (!set_str(&f->limits_config_file, value))
            return PS_E_NOMEM;
    } else if (strcmp(name, "enable-feature") == 0) {
        /* comma-separated list */
        const char *s = value;
        while (*s != 0) {
            const char *e = strchr(s, ',');
            size_t n = e != NULL ? (size_t)(e - s) : strlen(s);
            if (n == 5 && memcmp(s, "agent", 5) == 0)
                f->program = PS_PROG_AGENT;
            s += n;
            if (*s == ',')
                s++;
        }
    } else if (strcmp(name, "agent") == 0) {
        f->program = PS_PROG_AGENT;   /* Prometheus 3.x */
    } else if (strcmp(name, "storage.agent.path") == 0) {
        /* a hint only: a 2.x server lists this flag too (status/flags) */
        if (f->program == PS_PROG_UNKNOWN)
            f->program = PS_PROG_AGENT;
    } else if (strncmp(name, "receive.", 8) == 0 && f->program == PS_PROG_UNKNOWN) {
        f->program = PS_PROG_THANOS_RECEIVE;
    }
    return PS_OK;
}

static enum ps_err
add_kv(struct ps_flags *f, const char *name, size_t nl, const char *value,
       size_t vl, struct ps_redact_stats *st)
{
    struct ps_kv *v = realloc(f->all, (f->nall + 1) * sizeof(*v));
    if (v == NULL)
        return PS_E_NOMEM;
    f->all = v;
    struct ps_kv *kv = &f->all[f->nall];
    kv->name = strndup(name, nl);
    if (vl > 0 && cfg_is_secret_key(name, nl)) {
        /* not counted twice when the tree already redacted it */
        if (vl != strlen(PS_REDACTED) || memcmp(value, PS_REDACTED, vl) != 0)
            st->key_value++;
        kv->value = strdup(PS_REDACTED);
    } else {
        kv->value = cfg_redact_str(value, vl, st);
    }
    if (kv->name == NULL || kv->value == NULL) {
        free(kv->name);
        free(kv->value);
        return PS_E_NOMEM;
    }
    f->nall++;
    return apply(f, kv->name, kv->value);
}

static void
guess_program(struct ps_flags *f, const char *w, int *after_thanos)
{
    const char *base = strrchr(w, '/');
    base = base != NULL ? base + 1 : w;
    if (strcmp(base, "thanos") == 0) {
        *after_thanos = 1;
        if (f->program == PS_PROG_UNKNOWN)
            f->program = PS_PROG_THANOS_OTHER;
    } else if (*after_thanos && strcmp(base, "receive") == 0) {
        f->program = PS_PROG_THANOS_RECEIVE;
    } else if (strcmp(base, "prometheus") == 0 && f->program == PS_PROG_UNKNOWN) {
        f->program = PS_PROG_PROMETHEUS;
    }
}

enum ps_err
ps_config_parse_flags(const char *const *argv, size_t argc, struct ps_flags *out,
                      struct ps_redact_stats *stats)
{
    struct ps_redact_stats dummy = {0, 0, 0};
    struct ps_redact_stats *st = stats != NULL ? stats : &dummy;
    flags_init(out);
    int after_thanos = 0;
    enum ps_err e = PS_OK;
    for (size_t i = 0; i < argc && e == PS_OK; i++) {
        const char *w = argv[i];
        if (w == NULL)
            continue;
        if (strncmp(w, "--", 2) != 0 || w[2] == 0) {
            guess_program(out, w, &after_thanos);
            continue;
        }
        const char *name = w + 2;
        const char *eq = strchr(name, '=');
        if (eq != NULL) {
            e = add_kv(out, name, (size_t)(eq - name), eq + 1, strlen(eq + 1), st);
            continue;
        }
        size_t nl = strlen(name);
        if (i + 1 < argc && argv[i + 1] != NULL && argv[i + 1][0] != '-' &&
            !is_bool_flag(name, nl)) {
            e = add_kv(out, name, nl, argv[i + 1], strlen(argv[i + 1]), st);
            i++;
        } else {
            e = add_kv(out, name, nl, "", 0, st);
        }
    }
    if (out->program == PS_PROG_UNKNOWN && out->tsdb_retention_ms != PS_CFG_UNSET)
        out->program = PS_PROG_PROMETHEUS;
    if (e != PS_OK)
        ps_flags_free(out);
    return e;
}

/* ---- text of flags ---- */

struct words {
    char **v;
    size_t n, cap;
};

static enum ps_err
word_push(struct words *w, const char *s, size_t n)
{
    if (w->n == w->cap && ps_grow((void **)&w->v, &w->cap, w->n + 1, sizeof(*w->v)) != PS_OK)
        return PS_E_NOMEM;
    if ((w->v[w->n] = strndup(s, n)) == NULL)
        return PS_E_NOMEM;
    w->n++;
    return PS_OK;
}

#define MAX_WORDS 100000

enum ps_err
ps_config_parse_flags_text(const uint8_t *buf, size_t n, struct ps_flags *out,
                           struct ps_redact_stats *stats)
{
    struct words w = {NULL, 0, 0};
    struct ps_buf cur = {NULL, 0, 0};
    enum ps_err e = PS_OK;
    const char *s = (const char *)buf;
    size_t i = 0;
    int inword = 0, at_line_start = 1;
    flags_init(out);
    while (i <= n && e == PS_OK && w.n < MAX_WORDS) {
        char c = i < n ? s[i] : '\n';
        if (c == '#' && !inword && at_line_start) {
            while (i < n && s[i] != '\n')
                i++;
            continue;
        }
        if (c == '\\' && i + 1 < n && s[i + 1] == '\n') {
            i += 2;   /* line continuation */
            continue;
        }
        if (c == '\'' || c == '"') {
            size_t j = i + 1;
            while (j < n && s[j] != c && s[j] != '\n')
                j++;
            e = ps_buf_append(&cur, s + i + 1, j - i - 1);
            inword = 1;
            i = j < n && s[j] == c ? j + 1 : j;
            at_line_start = 0;
            continue;
        }
        if (isspace((unsigned char)c) || c == 0) {
            if (inword) {
                e = word_push(&w, cur.n > 0 ? (const char *)cur.p : "", cur.n);
                cur.n = 0;
                inword = 0;
            }
            if (c == '\n')
                at_line_start = 1;
            i++;
            continue;
        }
        at_line_start = 0;
        e = ps_buf_append(&cur, &c, 1);
        inword = 1;
        i++;
    }
    ps_buf_free(&cur);
    if (e == PS_OK)
        e = ps_config_parse_flags((const char *const *)w.v, w.n, out, stats);
    for (size_t k = 0; k < w.n; k++)
        free(w.v[k]);
    free(w.v);
    return e;
}

void
ps_config_flags_effective(struct ps_flags *f)
{
    switch (f->program) {
    case PS_PROG_AGENT:
        if (f->agent_retention_max_ms == PS_CFG_UNSET)
            f->agent_retention_max_ms = 4 * MS_H;
        if (f->agent_retention_min_ms == PS_CFG_UNSET)
            f->agent_retention_min_ms = 5 * 60 * 1000;
        break;
    case PS_PROG_PROMETHEUS:
        if (f->tsdb_retention_ms == PS_CFG_UNSET && f->tsdb_retention_bytes == PS_CFG_UNSET)
            f->tsdb_retention_ms = 15 * MS_D;
        break;
    case PS_PROG_THANOS_RECEIVE:
        if (f->replication_factor == PS_CFG_UNSET)
            f->replication_factor = 1;
        if (f->hashrings_algorithm == NULL)
            f->hashrings_algorithm = strdup("hashmod");   /* NULL on OOM: stays unknown */
        /* fall through */
    case PS_PROG_THANOS_OTHER:
        if (f->thanos_retention_ms == PS_CFG_UNSET)
            f->thanos_retention_ms = 15 * MS_D;
        break;
    default:
        break;
    }
}

/* ---- publishing ---- */

void
cfg_pub_flags(struct cfg_pub *p, const struct ps_flags *in, const char *pod,
              const char *container)
{
    for (size_t i = 0; i < in->nall; i++) {
        struct ps_label l[] = {{"pod", pod}, {"container", container},
                               {"flag", in->all[i].name}, {"value", in->all[i].value}};
        cfg_pub_sample(p, "promsight_config_flag", 1, l, 4);
    }
    /* effective values on a shallow copy: strings borrowed from in */
    struct ps_flags f = *in;
    char *algo_dflt = NULL;
    if (f.hashrings_algorithm == NULL && f.program == PS_PROG_THANOS_RECEIVE)
        f.hashrings_algorithm = algo_dflt = strdup("hashmod");
    /* the algorithm is set above for receivers, so this allocates nothing */
    ps_config_flags_effective(&f);
    static const char *const prog[] = {"unknown", "prometheus", "agent",
                                       "thanos-receive", "thanos"};
    struct ps_label pl[] = {{"pod", pod}, {"container", container},
                            {"program", prog[f.program]}};
    cfg_pub_sample(p, "promsight_config_program", 1, pl, 3);
    const struct {
        const char *metric, *kind;
        int64_t v;
        double scale;
    } nums[] = {
        {"promsight_config_retention_seconds", "agent", f.agent_retention_max_ms, 1e-3},
        {"promsight_config_retention_seconds", "agent_min", f.agent_retention_min_ms, 1e-3},
        {"promsight_config_retention_seconds", "tsdb", f.tsdb_retention_ms, 1e-3},
        {"promsight_config_retention_seconds", "thanos", f.thanos_retention_ms, 1e-3},
        {"promsight_config_retention_bytes", "tsdb", f.tsdb_retention_bytes, 1},
        {"promsight_config_retention_bytes", "thanos", f.thanos_retention_bytes, 1},
    };
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
        if (nums[i].v == PS_CFG_UNSET)
            continue;
        struct ps_label l[] = {{"pod", pod}, {"container", container}, {"kind", nums[i].kind}};
        cfg_pub_sample(p, nums[i].metric,
                       nums[i].v == PS_CFG_INFINITE ? INFINITY : (double)nums[i].v * nums[i].scale,
                       l, 3);
    }
    if (f.replication_factor != PS_CFG_UNSET) {
        struct ps_label l[] = {{"pod", pod}, {"container", container}};
        cfg_pub_sample(p, "promsight_config_replication_factor", (double)f.replication_factor, l, 2);
    }
    if (f.hashrings_algorithm != NULL) {
        struct ps_label l[] = {{"pod", pod}, {"container", container},
                               {"algorithm", f.hashrings_algorithm}};
        cfg_pub_sample(p, "promsight_config_hashrings_algorithm", 1, l, 3);
    }
    /* Thanos' content flags: --receive.hashrings=<json>, --receive.limits-config=<yaml> */
    for (size_t i = 0; i < in->nall && p->depth < 2; i++) {
        const char *name = in->all[i].name, *v = in->all[i].value;
        if ((strcmp(name, "receive.hashrings") != 0 && strcmp(name, "receive.limits-config") != 0) ||
            v == NULL || v[0] == 0)
            continue;
        struct cfg_pub sub = *p;
        sub.depth = p->depth + 1;
        sub.pod = pod;
        sub.container = container;
        sub.rf = f.replication_factor != PS_CFG_UNSET ? f.replication_factor : 0;
        if (f.hashrings_algorithm != NULL) {
            snprintf(sub.algo_buf, sizeof(sub.algo_buf), "%s", f.hashrings_algorithm);
            sub.algorithm = sub.algo_buf;
        }
        (void)cfg_ingest_text(&sub, (const uint8_t *)v, strlen(v));
        if (sub.err != PS_OK)
            p->err = sub.err;
    }
    free(algo_dflt);
}
