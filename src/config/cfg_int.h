/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cfg_int.h - private to src/config/: the bounded YAML/JSON tree every
 * reader in this stage walks, its redaction pass, and the fact/event
 * helpers the publishers share.
 *
 * A tree (struct cfg_doc) owns every node in one array (nodes are never
 * freed one by one). Aliases are nodes of type CN_ALIAS pointing at the
 * completed node their anchor names, so a "billion laughs" file costs one
 * node per alias; the builder still counts each alias as the size of its
 * target and refuses aliases past PS_CFG_MAX_NODES. Lookup helpers follow
 * aliases and YAML merge keys ("<<").
 */
#ifndef PS_CFG_INT_H
#define PS_CFG_INT_H

#include <stddef.h>
#include <stdint.h>

#include "promsight/ps_config.h"

enum cn_type { CN_NULL, CN_SCALAR, CN_SEQ, CN_MAP, CN_ALIAS };

struct cn {
    enum cn_type type;
    uint32_t line;           /* 1-based */
    uint64_t off;            /* byte offset of the node's start */
    char *s;                 /* scalar text, NUL-terminated (owned) */
    size_t len;
    int plain;               /* scalar was unquoted */
    int block;               /* scalar was a literal or folded block */
    struct cn **kids;        /* seq: items; map: key0,val0,key1,val1,... */
    size_t n, cap;
    struct cn *target;       /* CN_ALIAS: the anchored node */
    uint64_t weight;         /* nodes when aliases are expanded (saturating) */
};

struct cfg_doc {
    struct cn **docs;        /* one root per YAML document */
    size_t ndocs, capdocs;
    struct cn **all;         /* every node, for freeing */
    size_t nall, capall;
    uint64_t expanded;       /* running expanded node count */
    int truncated;           /* a limit stopped or cut the build */
};

/*
 * Build a tree from YAML or JSON text. Always returns a usable doc (maybe
 * with no documents) unless allocation fails (PS_E_NOMEM). Parse errors and
 * limits become diagnostics against path; *perr (may be NULL) gets
 * PS_E_SYNTAX if libyaml stopped on an error.
 */
enum ps_err cfg_doc_parse(const uint8_t *buf, size_t n, const char *path,
                          struct ps_diags *diags, struct cfg_doc **out,
                          enum ps_err *perr);
void cfg_doc_free(struct cfg_doc *d);

/* Follows aliases; NULL stays NULL. */
const struct cn *cn_deref(const struct cn *n);
/* Map lookup by exact key (follows aliases and "<<" merges); NULL if absent. */
const struct cn *cn_get(const struct cn *map, const char *key);
/* Scalar text of a map value, or NULL if absent or not a scalar. */
const char *cn_str(const struct cn *map, const char *key);
/* 1 if n is a scalar that means null ("", "~", "null" unquoted). */
int cn_is_null(const struct cn *n);
/* Number of items (seq) or pairs (map) after deref; 0 otherwise. */
size_t cn_len(const struct cn *n);
/* Item i of a seq, or key/value i of a map. */
const struct cn *cn_item(const struct cn *n, size_t i);
const struct cn *cn_key(const struct cn *n, size_t i);
const struct cn *cn_val(const struct cn *n, size_t i);
/* Scalar -> number; 1 on success. */
int cn_int(const struct cn *n, int64_t *v);
int cn_double(const struct cn *n, double *v);
int cn_bool(const struct cn *n, int *v);

/*
 * Redact the tree in place: secret-named keys, headers, URL userinfo and
 * free text (ps_redact_text). Counts go to stats (may be NULL).
 */
enum ps_err cfg_redact_tree(struct cfg_doc *d, struct ps_redact_stats *stats);
/* Redact one string into a new malloc'd copy (NULL on OOM). */
char *cfg_redact_str(const char *s, size_t n, struct ps_redact_stats *stats);
/* 1 if a config key names a secret value (not a *_file path). */
int cfg_is_secret_key(const char *k, size_t n);

/* ---- publishing ---- */

struct cfg_pub {
    struct ps_facts *facts;
    struct ps_diags *diags;
    struct ps_redact_stats *stats;
    const char *path;        /* entry path for diagnostics */
    uint32_t src;            /* fact source id */
    int64_t t_ms;
    const char *pod;         /* from the entry, may be NULL */
    const char *container;
    const char *xname;       /* one extra label on every series (e.g. the */
    const char *xval;        /* ConfigMap a config came from), may be NULL */
    const char *file;        /* if set, label file=<this> on every series:
                                a config with no pod would otherwise collide
                                with another file's same series */
    uint32_t line_base;      /* added to event lines (config inside a block
                                scalar of another file) */
    uint32_t line_fixed;     /* if nonzero, every event gets this line */
    int64_t rf;              /* replication factor seen in the same file, 0 */
    const char *algorithm;   /* hashring algorithm seen in the same file */
    int depth;               /* embedding depth (ConfigMap in a List ...) */
    char algo_buf[32];       /* storage for algorithm */
    int expect;              /* the entry was classified as a config */
    enum ps_err err;         /* first PS_E_NOMEM seen */
};

/* Add one sample at p->t_ms; NULL or empty label values are dropped and
 * p's extra label is appended. */
void cfg_pub_sample(struct cfg_pub *p, const char *metric, double v,
                    const struct ps_label *l, size_t nl);
void cfg_pub_event(struct cfg_pub *p, const char *cls, enum ps_sev sev,
                   uint32_t line, const struct ps_label *l, size_t nl,
                   const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

/* Publishers per kind, each on an already redacted tree. */
void cfg_pub_prom(struct cfg_pub *p, const struct cn *root);
/* spec of a prometheus-operator Prometheus / PrometheusAgent resource */
void cfg_pub_prom_operator(struct cfg_pub *p, const struct cn *spec);
void cfg_pub_hashrings(struct cfg_pub *p, const struct cn *root,
                       int64_t rf, const char *algorithm);
void cfg_pub_k8s(struct cfg_pub *p, const struct cn *root);
void cfg_pub_flags(struct cfg_pub *p, const struct ps_flags *f,
                   const char *pod, const char *container);
/* Sniff text (a ConfigMap value or a whole entry) and publish it; returns
 * what it was. Used by ps_config_ingest and for ConfigMap data. */
enum ps_config_what cfg_ingest_text(struct cfg_pub *p, const uint8_t *buf,
                                    size_t n);
/* df output; returns 1 if the text looked like df. */
int cfg_pub_df(struct cfg_pub *p, const uint8_t *buf, size_t n);

/* Structs from trees (shared by ps_config_parse_* and publishers). */
enum ps_err cfg_prom_from_tree(const struct cn *root, const char *path,
                               enum ps_rw_defaults defaults,
                               struct ps_prom_config *out,
                               struct ps_diags *diags);
enum ps_err cfg_hashrings_from_tree(const struct cn *root, const char *path,
                                    struct ps_hashrings *out,
                                    struct ps_diags *diags);

#endif
