/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ps_config.h - configuration readers: Prometheus server and agent YAML,
 * command-line flags (from pod specs or a file of flags), Thanos
 * hashrings.json, Kubernetes objects (`kubectl get -o json|yaml`, single
 * objects and Lists: Pods, PVCs, StatefulSets, ConfigMaps) and `df` output.
 *
 * Two ways in:
 *   - ps_config_ingest() sniffs what a bundle entry holds and publishes it
 *     to the fact store as series (sampled at the caller's t_ms, since a
 *     config has no time of its own) and events (problems that are problems
 *     by themselves: a duplicated hashring endpoint, a queue_config whose
 *     max_samples_per_send exceeds capacity, ...). docs/configs.md lists
 *     every name published.
 *   - the ps_config_parse_* functions return plain C structs (defaults
 *     filled in) for the capacity planner.
 *
 * YAML and JSON are both read with libyaml (JSON is YAML's flow style) into
 * a bounded tree: counting every alias as the size of what it names, at
 * most PS_CFG_MAX_NODES nodes more than the input has bytes, and at most
 * PS_CFG_MAX_DEPTH levels. Past a
 * limit the offending subtree or alias becomes null, a located warning is
 * recorded and the rest of the file is still read.
 *
 * Redaction: secrets (passwords, bearer tokens, credentials, *_secret
 * keys, Authorization headers, user:password@ in URLs, values of flags
 * naming a password/token/secret) are replaced with PS_REDACTED in the
 * tree right after parsing, before any struct, fact, event or diagnostic
 * string is made; each replacement is counted in the caller's
 * struct ps_redact_stats (which may be NULL).
 *
 * Ownership: every struct returned is owned by the caller and released
 * with its *_free() function (NULL-safe); all strings inside are owned by
 * the struct.
 */
#ifndef PS_CONFIG_H
#define PS_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "promsight/ps_bundle.h"
#include "promsight/ps_err.h"
#include "promsight/ps_facts.h"
#include "promsight/ps_redact.h"

#define PS_CFG_MAX_NODES 1000000u  /* alias expansion beyond the input's size */
#define PS_CFG_MAX_DEPTH 128u      /* nesting levels */
#define PS_CFG_UNSET INT64_MIN     /* a numeric field not given */
#define PS_CFG_INFINITE INT64_MAX  /* e.g. Thanos --tsdb.retention=0d: no limit */

/* ---- remote_write ---- */

/* Which Prometheus release's queue_config defaults fill the gaps. */
enum ps_rw_defaults {
    PS_RW_DEFAULTS_2_42,   /* capacity 2500, max_shards 200, max_samples_per_send 500
                              (verified against Debian's prometheus 2.42.0) */
    PS_RW_DEFAULTS_LATEST, /* capacity 10000, max_shards 50, max_samples_per_send 2000 */
};

/* Bits of ps_rw_queue.given: which fields the file set explicitly. */
enum {
    PS_RWQ_CAPACITY = 1 << 0,
    PS_RWQ_MAX_SHARDS = 1 << 1,
    PS_RWQ_MIN_SHARDS = 1 << 2,
    PS_RWQ_MAX_SAMPLES_PER_SEND = 1 << 3,
    PS_RWQ_BATCH_SEND_DEADLINE = 1 << 4,
    PS_RWQ_MIN_BACKOFF = 1 << 5,
    PS_RWQ_MAX_BACKOFF = 1 << 6,
    PS_RWQ_RETRY_ON_HTTP_429 = 1 << 7,
};

struct ps_rw_queue {
    int64_t capacity;
    int64_t max_shards;
    int64_t min_shards;
    int64_t max_samples_per_send;
    int64_t batch_send_deadline_ms;
    int64_t min_backoff_ms;
    int64_t max_backoff_ms;
    int retry_on_http_429;
    unsigned given;            /* PS_RWQ_* bits */
};

void ps_config_queue_defaults(struct ps_rw_queue *q, enum ps_rw_defaults which);

struct ps_remote_write {
    char *name;                /* "name:" or "" */
    char *url;                 /* redacted */
    int64_t remote_timeout_ms; /* default 30s */
    struct ps_rw_queue queue;  /* defaults filled in */
    uint32_t line;             /* 1-based line of the list item */
};

struct ps_scrape_job {
    char *job;
    int64_t interval_ms;       /* own or global */
    int64_t timeout_ms;        /* own or global */
    uint32_t line;
};

struct ps_kv {
    char *name;
    char *value;
};

struct ps_prom_config {
    int64_t scrape_interval_ms;      /* global, default 1m */
    int64_t scrape_timeout_ms;       /* global, default 10s */
    int64_t evaluation_interval_ms;  /* global, default 1m */
    struct ps_kv *external_labels;   /* in file order, redacted */
    size_t nexternal_labels;
    struct ps_scrape_job *jobs;
    size_t njobs;
    struct ps_remote_write *rw;
    size_t nrw;
    int has_rules;                   /* rule_files or alerting present */
};

/*
 * Parse a Prometheus (server or agent) configuration file. Problems are
 * recorded in diags with path and line; what can be read is returned.
 * PS_E_SYNTAX if nothing could be read as a YAML mapping.
 */
enum ps_err ps_config_parse_prom(const uint8_t *buf, size_t n, const char *path,
                                 enum ps_rw_defaults defaults,
                                 struct ps_prom_config *out,
                                 struct ps_redact_stats *stats,
                                 struct ps_diags *diags);
void ps_prom_config_free(struct ps_prom_config *c);

/* ---- command-line flags ---- */

enum ps_flags_program {
    PS_PROG_UNKNOWN,
    PS_PROG_PROMETHEUS,   /* server */
    PS_PROG_AGENT,        /* --enable-feature=agent or --agent */
    PS_PROG_THANOS_RECEIVE,
    PS_PROG_THANOS_OTHER,
};

struct ps_flags {
    enum ps_flags_program program;
    int64_t agent_retention_max_ms;  /* --storage.agent.retention.max-time */
    int64_t agent_retention_min_ms;  /* --storage.agent.retention.min-time */
    int64_t tsdb_retention_ms;       /* --storage.tsdb.retention(.time) */
    int64_t tsdb_retention_bytes;    /* --storage.tsdb.retention.size */
    int64_t thanos_retention_ms;     /* --tsdb.retention (Thanos); 0d -> PS_CFG_INFINITE */
    int64_t thanos_retention_bytes;  /* --tsdb.max-retention-bytes */
    int64_t replication_factor;      /* --receive.replication-factor */
    char *hashrings_algorithm;       /* --receive.hashrings-algorithm or NULL */
    char *config_file;               /* --config.file or NULL */
    char *hashrings_file;            /* --receive.hashrings-file or NULL */
    char *limits_config_file;        /* --receive.limits-config-file or NULL */
    struct ps_kv *all;               /* every --flag and its value, redacted */
    size_t nall;
};

/*
 * Parse argv-style words ("--a=b", "--a b", "--bool"). The program is
 * guessed from argv[0]/words ("prometheus", "thanos receive", agent
 * feature). Unset numbers are PS_CFG_UNSET; Thanos' defaults (RF 1,
 * hashmod, retention 15d) are NOT filled in here: ps_config_flags_effective
 * does that.
 */
enum ps_err ps_config_parse_flags(const char *const *argv, size_t argc,
                                  struct ps_flags *out,
                                  struct ps_redact_stats *stats);
/* Split a text of flags (one or many per line, # comments) into words. */
enum ps_err ps_config_parse_flags_text(const uint8_t *buf, size_t n,
                                       struct ps_flags *out,
                                       struct ps_redact_stats *stats);
/* Fill the program's documented defaults into unset fields. */
void ps_config_flags_effective(struct ps_flags *f);
void ps_flags_free(struct ps_flags *f);

/* ---- Thanos hashrings ---- */

struct ps_hashring_endpoint {
    char *address;
    char *az;                  /* NULL for the plain-string form */
    uint32_t line;
};

struct ps_hashring {
    char *name;                /* "hashring" or "" */
    char **tenants;            /* empty: the catch-all ring */
    size_t ntenants;
    struct ps_hashring_endpoint *eps;
    size_t neps;
    char *algorithm;           /* per-ring "algorithm" or NULL */
    uint32_t line;
};

struct ps_hashrings {
    struct ps_hashring *v;
    size_t n;
};

enum ps_err ps_config_parse_hashrings(const uint8_t *buf, size_t n,
                                      const char *path, struct ps_hashrings *out,
                                      struct ps_redact_stats *stats,
                                      struct ps_diags *diags);
void ps_hashrings_free(struct ps_hashrings *h);

/* ---- values ---- */

/* Prometheus duration ("1h30m", "15d", "500ms", "1y"); 1 on success. */
int ps_config_parse_duration(const char *s, size_t n, int64_t *ms);
/* Kubernetes quantity ("512Mi", "1G", "250m", "1e3"); 1 on success. */
int ps_config_parse_quantity(const char *s, size_t n, double *v);
/* Byte size as written by df -h / Prometheus ("1.5G", "512MB", "10GiB",
 * "4096" = bytes, "100K"); powers of 1024 for df's single letters and for
 * Prometheus' "KB/MB/GB" units as Prometheus uses them. 1 on success. */
int ps_config_parse_size(const char *s, size_t n, double *bytes);

/* ---- the bundle entry point ---- */

/* What ps_config_ingest recognised (ps_config_what_name for text). */
enum ps_config_what {
    PS_CFG_NONE,
    PS_CFG_PROMETHEUS,     /* "prometheus" */
    PS_CFG_HASHRINGS,      /* "hashrings" */
    PS_CFG_K8S,            /* "k8s" */
    PS_CFG_DF,             /* "df" */
    PS_CFG_FLAGS,          /* "flags" */
    PS_CFG_LIMITS,         /* "limits": Thanos receive limits config */
};
const char *ps_config_what_name(enum ps_config_what w);

/*
 * Sniff one bundle entry's content and publish what it holds. e gives the
 * path (provenance) and the pod/container labels; e may be NULL (then
 * path "-" and no labels). t_ms is the time facts are stamped with (the
 * entry's mtime or the bundle's end time). *what (may be NULL) says what
 * was recognised. Never fails on bad input: problems become diagnostics.
 * PS_E_NOMEM only on allocation failure.
 */
enum ps_err ps_config_ingest(const struct ps_entry *e, const uint8_t *buf,
                             size_t n, int64_t t_ms, struct ps_facts *facts,
                             struct ps_redact_stats *stats,
                             struct ps_diags *diags,
                             enum ps_config_what *what);

#endif
