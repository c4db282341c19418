/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ps_plan.h - capacity planning: the sizing model (models/sizing.yaml),
 * pricing profiles (models/pricing/NAME.yaml), capacity series gathered from
 * the fact store with their forecasts, and sized, priced recommendations
 * whose arithmetic is spelled out as text.
 *
 * Layers, each testable alone:
 *   ps_sizing / ps_pricing   constants and prices, loaded from YAML or
 *                            the built-in defaults (same numbers, same sources)
 *   ps_plan_inputs           a plain struct of measured and configured
 *                            numbers plus forecasts per quantity
 *   ps_plan_recommend()      arithmetic only: inputs -> recommendations
 *   ps_plan_from_facts()     fact store -> capacity series (fitted with
 *                            ps_fit) and ps_plan_inputs
 *
 * Ownership: struct ps_plan owns its series and recommendations
 * (ps_plan_free). Sizing and pricing are plain values.
 */
#ifndef PS_PLAN_H
#define PS_PLAN_H

#include <stddef.h>

#include <jansson.h>

#include "promsight/ps_err.h"
#include "promsight/ps_facts.h"
#include "promsight/ps_fit.h"

/* ---- sizing model ---- */

enum ps_sz {
    PS_SZ_BYTES_PER_SAMPLE_DISK,   /* B/sample in blocks when not measured */
    PS_SZ_WAL_BYTES_PER_SAMPLE,    /* B/sample in a compressed WAL when not measured */
    PS_SZ_WAL_WINDOW_S,            /* span of samples a server/receiver WAL holds */
    PS_SZ_MEM_PER_SERIES_REQUEST,  /* B per active series, low end (request) */
    PS_SZ_MEM_PER_SERIES_LIMIT,    /* B per active series, high end (limit) */
    PS_SZ_RW_BYTES_PER_SLOT,       /* B per queued sample slot of a remote-write shard */
    PS_SZ_REPLICATION_FACTOR,      /* when the bundle does not say */
    PS_SZ_RECEIVER_FILL_TARGET,    /* fraction of receiver memory/volume to plan for */
    PS_SZ_DISK_FILL_TARGET,        /* fraction of any volume to plan for */
    PS_SZ_COMPACTION_HEADROOM,     /* block bytes x this */
    PS_SZ_AGENT_TRUNCATE_S,        /* agent WAL truncation period */
    PS_SZ_AGENT_MAX_WAL_S,         /* agent keeps unsent data at most this long */
    PS_SZ_OUTAGE_S,                /* outage the agent volume must ride out */
    PS_SZ_RW_MAX_SHARDS,           /* queue_config defaults */
    PS_SZ_RW_CAPACITY,
    PS_SZ_RW_MAX_SAMPLES_PER_SEND,
    PS_SZ_RW_SEND_LATENCY_S,       /* when the bundle has no batch duration */
    PS_SZ_RW_SHARD_HEADROOM,       /* max_shards = required x this */
    PS_SZ_RW_CAPACITY_PER_SEND,    /* capacity = max_samples_per_send x this */
    PS_SZ_RECEIVER_MEMORY_BYTES,   /* per receiver when the bundle has no limit */
    PS_SZ_DOWNSAMPLE_RATIO,        /* size of one downsampled level / raw */
    PS_SZ_RECEIVER_RETENTION_S,    /* receiver local retention when not configured */
    PS_SZ__COUNT
};

struct ps_sizing {
    double v[PS_SZ__COUNT];
    double lo[PS_SZ__COUNT], hi[PS_SZ__COUNT]; /* documented range (= v if none) */
    char source[PS_SZ__COUNT][200];
};

/* YAML key of a constant, e.g. "bytes_per_sample_disk". */
const char *ps_sizing_key(enum ps_sz k);
/* Built-in defaults: the same numbers and sources as models/sizing.yaml. */
void ps_sizing_defaults(struct ps_sizing *s);
/*
 * Load a sizing file over the defaults. Unknown keys and constants without
 * a numeric value or a source become diagnostics. PS_E_IO if unreadable,
 * PS_E_SYNTAX if not YAML of the expected shape.
 */
enum ps_err ps_sizing_load(struct ps_sizing *s, const char *path, struct ps_diags *d);

/* ---- pricing ---- */

#define PS_PRICE_MAX_TIERS 8

struct ps_pricing {
    char name[64];
    char currency[8];
    char region[64];
    char effective_date[16];
    char source_url[200];
    int example;                        /* shipped illustration, not a quote */
    size_t ntier;
    double tier_upto_gb[PS_PRICE_MAX_TIERS]; /* cumulative GB; INFINITY for the last */
    double tier_per_gb_month[PS_PRICE_MAX_TIERS];
    double class_a_per_1000;            /* PUT, COPY, POST, LIST */
    double class_b_per_1000;            /* GET and the rest */
    char volume_type[32];
    double volume_per_gib_month;
};

/* Load a pricing profile; every field is required except source_url. */
enum ps_err ps_pricing_load(struct ps_pricing *p, const char *path, struct ps_diags *d);
/* Monthly object-storage cost of `bytes` stored (tiers by GB = 1e9 B). */
double ps_pricing_object_monthly(const struct ps_pricing *p, double bytes);
/* Monthly cost of provisioned volume bytes (GiB = 2^30 B). */
double ps_pricing_volume_monthly(const struct ps_pricing *p, double bytes);

/* ---- inputs ---- */

#define PS_PLAN_MAX_H 8

enum ps_plan_qty {
    PS_Q_RECV_SERIES,     /* receiver head series, all receivers */
    PS_Q_RECV_SPS,        /* receiver samples appended per second, all receivers */
    PS_Q_RECV_WAL_BYTES,  /* receiver WAL bytes, largest receiver */
    PS_Q_RECV_DISK_BYTES, /* receiver volume used bytes, largest receiver */
    PS_Q_AGENT_SERIES,    /* agent active series, largest agent */
    PS_Q_AGENT_SPS,       /* agent samples appended per second, largest agent */
    PS_Q_RW_SPS,          /* remote-write samples sent per second, largest agent */
    PS_Q_OBJ_BYTES,       /* object storage bytes */
    PS_Q__COUNT
};

const char *ps_plan_qty_name(enum ps_plan_qty q); /* "receiver_head_series", ... */

struct ps_plan_qval {
    int known;
    double now;                      /* latest measured value */
    int forecast;                    /* mean/hi below are valid */
    double mean[PS_PLAN_MAX_H];      /* forecast at each horizon, floored at 0 */
    double hi[PS_PLAN_MAX_H];        /* upper bound of the level interval, >= 0 */
    char from[400];                  /* where the numbers came from */
};

struct ps_plan_inputs {
    size_t nhorizon;
    double horizon_s[PS_PLAN_MAX_H];
    double level;                    /* interval level used for sizing, e.g. 0.95 */
    struct ps_plan_qval q[PS_Q__COUNT];
    /* measured or configured; NAN when unknown */
    double bytes_per_sample_blocks;  /* sum numBytes / sum numSamples of blocks */
    double wal_bytes_per_sample;     /* measured receiver WAL bytes per sample */
    double agent_wal_bytes_per_sample; /* measured agent WAL bytes per sample */
    double retention_s;              /* receiver local retention (--tsdb.retention) */
    double replication_factor;
    double receivers;                /* receiver replicas */
    char hashring_algorithm[16];     /* "" unknown */
    double receiver_mem_limit;       /* bytes per receiver */
    double receiver_volume_bytes;    /* capacity per receiver */
    double agents;
    double agent_volume_bytes;       /* capacity per agent */
    double agent_rss_bytes;          /* largest agent process_resident_memory_bytes */
    double head_series_limit;        /* tenant head_series_limit */
    double rw_max_shards, rw_capacity, rw_max_samples_per_send;
    double rw_send_latency_s;        /* mean batch send duration */
    double outage_s;                 /* outage to ride out; NAN: sizing default */
    double raw_retention_s;          /* object storage raw retention; NAN unknown */
    size_t size_h;                   /* horizon index sizing is done for */
};

/* All numbers NAN, nothing known, horizons 30/90/180/365 d, level 0.95,
 * sizing for the 90 d horizon. */
void ps_plan_inputs_init(struct ps_plan_inputs *in);

/* ---- recommendations ---- */

struct ps_plan_rec {
    char id[40];          /* stable id, e.g. "receiver.replicas" */
    char title[120];
    char inputs[1200];     /* the numbers used, with where they came from */
    char formula[800];    /* the arithmetic, with those numbers substituted */
    char result[400];     /* the recommendation */
    double value;         /* the recommended number (NAN if none) */
    char unit[16];
    double monthly_delta; /* cost (+) or saving (-) per month; NAN if not priced */
};

struct ps_plan_cost {
    double now;                      /* monthly cost now */
    double at[PS_PLAN_MAX_H];        /* at each horizon (mean forecasts) */
    char basis[800];                 /* what is priced, and how */
    int priced;
};

struct ps_plan_result {
    struct ps_plan_rec *rec;
    size_t nrec, cap;
    struct ps_plan_cost cost;
};

/*
 * Compute the recommendations from in, s and (optional, may be NULL) p.
 * Pure arithmetic; missing inputs are reported in the rec's text and fall
 * back to sizing defaults (and say so).
 */
enum ps_err ps_plan_recommend(const struct ps_plan_inputs *in, const struct ps_sizing *s,
                              const struct ps_pricing *p, struct ps_plan_result *out);
void ps_plan_result_free(struct ps_plan_result *r); /* NULL-safe */

/* ---- capacity series from the fact store ---- */

struct ps_plan_eta {
    int set;
    char what[120];       /* e.g. "volume capacity 10 GiB" */
    double limit;
    struct ps_fit_eta eta;
};

struct ps_plan_series {
    char *name;                      /* metric{labels} */
    char *transform;                 /* "gauge", "per-window max over 2h", "rate" */
    enum ps_plan_qty qty;            /* which quantity it feeds */
    struct ps_fit_data data;
    struct ps_fit_selection *sel;
    struct ps_plan_eta eta;
};

struct ps_plan {
    struct ps_plan_series *series;
    size_t nseries;
    struct ps_plan_inputs in;
    struct ps_plan_result result;
};

struct ps_plan_opts {
    size_t nhorizon;                 /* 0: 30/90/180/365 d */
    double horizon_s[PS_PLAN_MAX_H];
    double level;                    /* 0: 0.95 */
    double outage_s;                 /* 0: sizing default */
};

/*
 * Gather the capacity series named in docs/capacity-planning.md from f,
 * fit and forecast each, fill p->in, compute ETAs and the recommendations.
 * p is owned by the caller (ps_plan_free).
 */
enum ps_err ps_plan_from_facts(const struct ps_facts *f, const struct ps_plan_opts *o,
                               const struct ps_sizing *s, const struct ps_pricing *pr,
                               struct ps_plan *p, struct ps_diags *d);
void ps_plan_free(struct ps_plan *p); /* NULL-safe */

/*
 * The plan as a JSON document (new reference; NULL on OOM). pr may be NULL
 * (no prices); sizing_path names the sizing model used.
 */
json_t *ps_plan_json(const struct ps_plan *p, const struct ps_pricing *pr,
                     const char *sizing_path);

/*
 * Load models_dir/sizing.yaml over the defaults (a missing file keeps the
 * defaults and *sizing_desc says so) and the pricing profile: pricing_path,
 * or models_dir/pricing/aws-us-east-1.example.yaml when NULL, or none when
 * "none". Returns PS_OK, or the error of a file the caller named
 * explicitly. *have_pricing tells whether pr was filled.
 */
#define PS_PLAN_DEFAULT_PRICING "aws-us-east-1.example.yaml"
enum ps_err ps_plan_load_models(const char *models_dir, const char *sizing_path,
                                const char *pricing_path, struct ps_sizing *sz,
                                char *sizing_desc, size_t desc_len,
                                struct ps_pricing *pr, int *have_pricing,
                                struct ps_diags *d);

#endif
