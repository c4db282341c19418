/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * plan_model.c - the sizing model and pricing profiles: built-in defaults
 * (the same numbers and sources as models/sizing.yaml) and the libyaml
 * loaders for models/sizing.yaml and models/pricing/NAME.yaml.
 *
 * sizing.yaml shape:
 *   constants:
 *     <key>: {value: N, range: [lo, hi], unit: "...", source: "..."}
 * pricing shape:
 *   name, currency, region, effective_date, example, source_url,
 *   object_storage: {tiers: [{up_to_gb: N|null, per_gb_month: N}...],
 *                    class_a_per_1000: N, class_b_per_1000: N}
 *   volume: {type: "...", per_gib_month: N}
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "promsight/ps_plan.h"

#define PHASE "plan: model file"

struct sz_default {
    const char *key;
    double v, lo, hi;
    const char *source;
};

static const struct sz_default sz_defaults[PS_SZ__COUNT] = {
    [PS_SZ_BYTES_PER_SAMPLE_DISK] = {"bytes_per_sample_disk", 1.5, 1, 2,
        "Prometheus docs/storage.md: 'an average of only 1-2 bytes per sample'; "
        "replaced by numBytes/numSamples of the bundle's blocks when present"},
    [PS_SZ_WAL_BYTES_PER_SAMPLE] = {"wal_bytes_per_sample", 6.5, 3, 13,
        "Robust Perception 'How much space does the WAL take up': ~13 B/sample "
        "uncompressed; docs/storage.md: WAL compression (default since 2.20) halves it"},
    [PS_SZ_WAL_WINDOW_S] = {"wal_window_seconds", 10800, 7200, 10800,
        "docs/storage.md: the WAL keeps at least 2h of raw data; a checkpoint "
        "covers the last ~3h of samples"},
    [PS_SZ_MEM_PER_SERIES_REQUEST] = {"memory_per_series_request_bytes", 3072, 3072, 8192,
        "Robust Perception 'Why does Prometheus use so much RAM': ~3 kB per head "
        "series as of 2.20"},
    [PS_SZ_MEM_PER_SERIES_LIMIT] = {"memory_per_series_limit_bytes", 8192, 3072, 8192,
        "prometheus/prometheus#4553 (maintainer): 'empirical rule of requiring "
        "8kB per active serie'"},
    [PS_SZ_RW_BYTES_PER_SLOT] = {"remote_write_bytes_per_queued_sample", 167, 100, 200,
        "Prometheus docs practices/remote_write: shard memory ~ shards x (capacity + "
        "max_samples_per_send), < 2 MB per shard at 10000 + 2000 -> 2e6/12000"},
    [PS_SZ_REPLICATION_FACTOR] = {"replication_factor", 1, 1, 3,
        "Thanos receive: --receive.replication-factor defaults to 1"},
    [PS_SZ_RECEIVER_FILL_TARGET] = {"receiver_fill_target", 0.8, 0.8, 0.85,
        "docs/storage.md: set retention size to at most 80-85% of the disk; the same "
        "margin is kept for receiver memory"},
    [PS_SZ_DISK_FILL_TARGET] = {"disk_fill_target", 0.8, 0.8, 0.85,
        "docs/storage.md 'Right-Sizing Retention Size': at most 80-85% of the disk"},
    [PS_SZ_COMPACTION_HEADROOM] = {"compaction_headroom", 1.2, 1.2, 1.2,
        "Robust Perception 'How much disk space do Prometheus blocks use': +10% for "
        "blocks straddling retention, +10% temporary space during compaction"},
    [PS_SZ_AGENT_TRUNCATE_S] = {"agent_truncate_seconds", 7200, 7200, 7200,
        "prometheus tsdb/agent/db.go DefaultTruncateFrequency = 2h"},
    [PS_SZ_AGENT_MAX_WAL_S] = {"agent_max_wal_seconds", 14400, 300, 14400,
        "prometheus tsdb/agent/db.go DefaultMaxWALTime = 4h "
        "(--storage.agent.retention.max-time)"},
    [PS_SZ_OUTAGE_S] = {"outage_seconds", 7200, 0, 14400,
        "docs practices/remote_write: retries without loss unless the endpoint is "
        "down for more than 2 hours"},
    [PS_SZ_RW_MAX_SHARDS] = {"remote_write_max_shards", 50, 50, 50,
        "prometheus config/config.go DefaultQueueConfig MaxShards = 50"},
    [PS_SZ_RW_CAPACITY] = {"remote_write_capacity", 10000, 10000, 10000,
        "prometheus config/config.go DefaultQueueConfig Capacity = 10000"},
    [PS_SZ_RW_MAX_SAMPLES_PER_SEND] = {"remote_write_max_samples_per_send", 2000, 2000, 2000,
        "prometheus config/config.go DefaultQueueConfig MaxSamplesPerSend = 2000"},
    [PS_SZ_RW_SEND_LATENCY_S] = {"remote_write_send_latency_seconds", 0.1, 0.01, 1,
        "prometheus config/config.go comment: 'assuming an average of 100ms remote "
        "write time'"},
    [PS_SZ_RW_SHARD_HEADROOM] = {"remote_write_shard_headroom", 2, 2, 3,
        "derived: max_shards 2-3x the shards the observed rate needs, so a backlog "
        "after an outage drains (capacity.md 1.5)"},
    [PS_SZ_RW_CAPACITY_PER_SEND] = {"remote_write_capacity_per_send", 5, 3, 10,
        "docs practices/remote_write: 'set capacity to 3-10 times max_samples_per_send'"},
    [PS_SZ_RECEIVER_MEMORY_BYTES] = {"receiver_memory_bytes", 17179869184.0,
        4294967296.0, 68719476736.0,
        "assumption, no upstream figure: 16 GiB per receiver pod; used only when the "
        "bundle has no memory limit - set it to your pod size"},
    [PS_SZ_DOWNSAMPLE_RATIO] = {"downsample_size_ratio", 1.0, 0.3, 1.0,
        "Thanos docs components/compact.md: downsampled blocks are 'only slightly "
        "smaller or relatively similar size to raw blocks' (~3x if all kept)"},
    [PS_SZ_RECEIVER_RETENTION_S] = {"receiver_retention_seconds", 1296000, 7200, 1296000,
        "Thanos receive --tsdb.retention defaults to 15d (local blocks; older data "
        "is served from object storage)"},
};

const char *
ps_sizing_key(enum ps_sz k)
{
    return (unsigned)k < PS_SZ__COUNT ? sz_defaults[k].key : "?";
}

void
ps_sizing_defaults(struct ps_sizing *s)
{
    for (int k = 0; k < PS_SZ__COUNT; k++) {
        s->v[k] = sz_defaults[k].v;
        s->lo[k] = sz_defaults[k].lo;
        s->hi[k] = sz_defaults[k].hi;
        snprintf(s->source[k], sizeof(s->source[k]), "%s", sz_defaults[k].source);
    }
}

/* ---- small libyaml document helpers ---- */

static yaml_node_t *
ynode(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
    if (map == NULL || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        if (k != NULL && k->type == YAML_SCALAR_NODE &&
            strlen(key) == k->data.scalar.length &&
            memcmp(k->data.scalar.value, key, k->data.scalar.length) == 0)
            return yaml_document_get_node(doc, p->value);
    }
    return NULL;
}

/* scalar text, copied into buf; 0 if not a scalar or too long */
static int
ystr(yaml_node_t *n, char *buf, size_t cap)
{
    if (n == NULL || n->type != YAML_SCALAR_NODE || n->data.scalar.length >= cap)
        return 0;
    memcpy(buf, n->data.scalar.value, n->data.scalar.length);
    buf[n->data.scalar.length] = 0;
    return 1;
}

static int
ynum(yaml_node_t *n, double *x)
{
    char b[64], *end;
    if (!ystr(n, b, sizeof(b)) || b[0] == 0)
        return 0;
    *x = strtod(b, &end);
    return *end == 0 && isfinite(*x);
}

static int
ynull(yaml_node_t *n)
{
    char b[8];
    return n == NULL || (ystr(n, b, sizeof(b)) && (strcmp(b, "null") == 0 ||
                                                    strcmp(b, "~") == 0 || b[0] == 0));
}

static enum ps_err
yload(const char *path, yaml_document_t *doc, struct ps_diags *d)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_IO, path, PS_OFF_NONE, 0, PHASE, "cannot open");
        return PS_E_IO;
    }
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        fclose(f);
        return PS_E_NOMEM;
    }
    yaml_parser_set_input_file(&p, f);
    int ok = yaml_parser_load(&p, doc);
    if (!ok)
        ps_diag_add(d, PS_SEV_ERROR, PS_E_SYNTAX, path, PS_OFF_NONE,
                    (uint32_t)p.problem_mark.line + 1, PHASE, "%s",
                    p.problem != NULL ? p.problem : "YAML error");
    yaml_parser_delete(&p);
    fclose(f);
    if (!ok)
        return PS_E_SYNTAX;
    if (yaml_document_get_root_node(doc) == NULL) {
        yaml_document_delete(doc);
        ps_diag_add(d, PS_SEV_ERROR, PS_E_SYNTAX, path, PS_OFF_NONE, 0, PHASE, "empty file");
        return PS_E_SYNTAX;
    }
    return PS_OK;
}

enum ps_err
ps_sizing_load(struct ps_sizing *s, const char *path, struct ps_diags *d)
{
    yaml_document_t doc;
    enum ps_err rc = yload(path, &doc, d);
    if (rc != PS_OK)
        return rc;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    yaml_node_t *c = ynode(&doc, root, "constants");
    if (c == NULL || c->type != YAML_MAPPING_NODE) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_SYNTAX, path, PS_OFF_NONE, 0, PHASE,
                    "expected a 'constants' mapping");
        yaml_document_delete(&doc);
        return PS_E_SYNTAX;
    }
    for (yaml_node_pair_t *p = c->data.mapping.pairs.start; p < c->data.mapping.pairs.top; p++) {
        char key[80];
        yaml_node_t *kn = yaml_document_get_node(&doc, p->key);
        yaml_node_t *vn = yaml_document_get_node(&doc, p->value);
        uint32_t line = kn != NULL ? (uint32_t)kn->start_mark.line + 1 : 0;
        if (!ystr(kn, key, sizeof(key)))
            continue;
        int k;
        for (k = 0; k < PS_SZ__COUNT; k++)
            if (strcmp(key, sz_defaults[k].key) == 0)
                break;
        if (k == PS_SZ__COUNT) {
            ps_diag_add(d, PS_SEV_WARN, PS_E_SYNTAX, path, PS_OFF_NONE, line, PHASE,
                        "unknown constant '%s'", key);
            continue;
        }
        double v;
        char src[sizeof(s->source[0])];
        if (!ynum(ynode(&doc, vn, "value"), &v)) {
            ps_diag_add(d, PS_SEV_WARN, PS_E_SYNTAX, path, PS_OFF_NONE, line, PHASE,
                        "%s: no numeric value; keeping the default", key);
            continue;
        }
        if (!ystr(ynode(&doc, vn, "source"), src, sizeof(src)) || src[0] == 0) {
            ps_diag_add(d, PS_SEV_WARN, PS_E_SYNTAX, path, PS_OFF_NONE, line, PHASE,
                        "%s: no source (or longer than %zu bytes); keeping the default",
                        key, sizeof(src) - 1);
            continue;
        }
        s->v[k] = v;
        s->lo[k] = s->hi[k] = v;
        yaml_node_t *r = ynode(&doc, vn, "range");
        if (r != NULL && r->type == YAML_SEQUENCE_NODE &&
            r->data.sequence.items.top - r->data.sequence.items.start == 2) {
            double lo, hi;
            if (ynum(yaml_document_get_node(&doc, r->data.sequence.items.start[0]), &lo) &&
                ynum(yaml_document_get_node(&doc, r->data.sequence.items.start[1]), &hi)) {
                s->lo[k] = lo;
                s->hi[k] = hi;
            }
        }
        memcpy(s->source[k], src, sizeof(src));
    }
    yaml_document_delete(&doc);
    return PS_OK;
}

enum ps_err
ps_pricing_load(struct ps_pricing *pr, const char *path, struct ps_diags *d)
{
    memset(pr, 0, sizeof(*pr));
    yaml_document_t doc;
    enum ps_err rc = yload(path, &doc, d);
    if (rc != PS_OK)
        return rc;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    const char *missing = NULL;
    char ex[16] = "";
    if (!ystr(ynode(&doc, root, "name"), pr->name, sizeof(pr->name)))
        missing = "name";
    else if (!ystr(ynode(&doc, root, "currency"), pr->currency, sizeof(pr->currency)))
        missing = "currency";
    else if (!ystr(ynode(&doc, root, "region"), pr->region, sizeof(pr->region)))
        missing = "region";
    else if (!ystr(ynode(&doc, root, "effective_date"), pr->effective_date,
                   sizeof(pr->effective_date)))
        missing = "effective_date";
    else if (!ystr(ynode(&doc, root, "example"), ex, sizeof(ex)))
        missing = "example";
    ystr(ynode(&doc, root, "source_url"), pr->source_url, sizeof(pr->source_url));
    pr->example = strcmp(ex, "true") == 0;
    yaml_node_t *os = ynode(&doc, root, "object_storage");
    yaml_node_t *tiers = ynode(&doc, os, "tiers");
    if (missing == NULL && (tiers == NULL || tiers->type != YAML_SEQUENCE_NODE))
        missing = "object_storage.tiers";
    for (yaml_node_item_t *it = tiers != NULL && missing == NULL
                                    ? tiers->data.sequence.items.start : NULL;
         it != NULL && it < tiers->data.sequence.items.top; it++) {
        yaml_node_t *t = yaml_document_get_node(&doc, *it);
        if (pr->ntier >= PS_PRICE_MAX_TIERS) {
            missing = "object_storage.tiers (at most 8)";
            break;
        }
        yaml_node_t *up = ynode(&doc, t, "up_to_gb");
        double upto = INFINITY, price;
        if ((!ynull(up) && !ynum(up, &upto)) ||
            !ynum(ynode(&doc, t, "per_gb_month"), &price)) {
            missing = "object_storage.tiers[].per_gb_month";
            break;
        }
        pr->tier_upto_gb[pr->ntier] = upto;
        pr->tier_per_gb_month[pr->ntier] = price;
        pr->ntier++;
    }
    if (missing == NULL && pr->ntier == 0)
        missing = "object_storage.tiers";
    if (missing == NULL && (!ynum(ynode(&doc, os, "class_a_per_1000"), &pr->class_a_per_1000) ||
                            !ynum(ynode(&doc, os, "class_b_per_1000"), &pr->class_b_per_1000)))
        missing = "object_storage.class_a_per_1000 / class_b_per_1000";
    yaml_node_t *vol = ynode(&doc, root, "volume");
    if (missing == NULL && (!ystr(ynode(&doc, vol, "type"), pr->volume_type,
                                  sizeof(pr->volume_type)) ||
                            !ynum(ynode(&doc, vol, "per_gib_month"), &pr->volume_per_gib_month)))
        missing = "volume.type / volume.per_gib_month";
    yaml_document_delete(&doc);
    if (missing != NULL) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_SYNTAX, path, PS_OFF_NONE, 0, PHASE,
                    "pricing profile: missing or bad '%s'", missing);
        return PS_E_SYNTAX;
    }
    return PS_OK;
}

double
ps_pricing_object_monthly(const struct ps_pricing *p, double bytes)
{
    double gb = bytes / 1e9, cost = 0, below = 0;
    for (size_t i = 0; i < p->ntier && gb > below; i++) {
        double top = p->tier_upto_gb[i];
        double in_tier = (gb < top ? gb : top) - below;
        cost += in_tier * p->tier_per_gb_month[i];
        below = top;
    }
    return cost;
}

double
ps_pricing_volume_monthly(const struct ps_pricing *p, double bytes)
{
    return bytes / 1073741824.0 * p->volume_per_gib_month;
}

enum ps_err
ps_plan_load_models(const char *models_dir, const char *sizing_path, const char *pricing_path,
                    struct ps_sizing *sz, char *sizing_desc, size_t desc_len,
                    struct ps_pricing *pr, int *have_pricing, struct ps_diags *d)
{
    char path[4096];
    *have_pricing = 0;
    ps_sizing_defaults(sz);
    if (sizing_path != NULL)
        snprintf(path, sizeof(path), "%s", sizing_path);
    else
        snprintf(path, sizeof(path), "%s/sizing.yaml", models_dir);
    struct ps_diags quiet;
    ps_diags_init(&quiet);
    enum ps_err e = ps_sizing_load(sz, path, sizing_path != NULL ? d : &quiet);
    if (e != PS_OK && sizing_path != NULL)
        return e;
    if (e == PS_E_IO) {
        snprintf(sizing_desc, desc_len, "built-in defaults (no %s)", path);
    } else {
        ps_diags_merge(d, &quiet);
        snprintf(sizing_desc, desc_len, "%s", path);
    }
    ps_diags_free(&quiet);
    if (pricing_path != NULL && strcmp(pricing_path, "none") == 0)
        return PS_OK;
    if (pricing_path != NULL)
        snprintf(path, sizeof(path), "%s", pricing_path);
    else
        snprintf(path, sizeof(path), "%s/pricing/%s", models_dir, PS_PLAN_DEFAULT_PRICING);
    ps_diags_init(&quiet);
    e = ps_pricing_load(pr, path, pricing_path != NULL ? d : &quiet);
    ps_diags_free(&quiet);
    if (e == PS_OK)
        *have_pricing = 1;
    else if (pricing_path != NULL)
        return e;
    return PS_OK;
}
