/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ingest_int.h - the per-stage steps of ps_ingest_bundle(): each reads its
 * part of the bundle, publishes facts, and stores its JSON summary in the
 * struct ps_ingest.
 */
#ifndef PS_INGEST_INT_H
#define PS_INGEST_INT_H

#include "promsight/ps_ingest.h"

struct ps_logs_ctx;
struct ps_samples;

/*
 * p relative to the bundle: "<dir>/x" and "<archive>:x" give "x", the
 * bundle itself ".", anything else p unchanged (borrowed from p). Readers
 * that work on paths (TSDB) report them like bundle entry paths, so output
 * does not depend on where the bundle sits and a directory agrees with its
 * archive.
 */
const char *ps_ingest_rel_path(const struct ps_ingest *in, const char *p);

/*
 * WAL: every WAL directory, read once; summary JSON + promsight_wal_*
 * series. samples (may be NULL) rides along the same read
 * (ps_ingest_samples_wal_hooks) and publishes in ps_ingest_samples_end.
 */
enum ps_err ps_ingest_wal(struct ps_bundle *b, struct ps_ingest *in, struct ps_samples *samples);
/* TSDB: every root and block; summary JSON + promsight_block_* series. */
enum ps_err ps_ingest_tsdb(struct ps_bundle *b, const char *path, struct ps_ingest *in,
                           struct ps_samples *samples);
/*
 * TSDB/WAL samples of the referenced metrics (ingest_samples.c), in steps
 * so every block is opened once and every WAL segment read once: begin
 * (which metrics; NULL when the bundle has no block or WAL, or nothing is
 * wanted), hooks for the WAL step's scan (what the head samples need is
 * kept while the WAL step reads), one call per TSDB root with its opened
 * blocks (from ps_ingest_tsdb), end (publishes the WAL/head part, then
 * releases; NULL-safe).
 */
struct ps_samples;
struct ps_tsdb_root;
struct ps_tsdb_block;
struct ps_wal_scan_hooks;
struct ps_samples *ps_ingest_samples_begin(const char *path, const struct ps_ingest_opts *opts,
                                           struct ps_ingest *in);
/* For ps_wal_scan_bundle_hooks (NULL when s is NULL). Owned by s; the
 * kept records are owned by s until ps_ingest_samples_end publishes and
 * frees them. The scan must come before ps_ingest_samples_end; without it
 * the end step reads the WAL segments itself. */
const struct ps_wal_scan_hooks *ps_ingest_samples_wal_hooks(struct ps_samples *s);
void ps_ingest_samples_root(struct ps_samples *s, const struct ps_tsdb_root *r,
                            struct ps_tsdb_block *blocks, size_t nb);
void ps_ingest_samples_end(struct ps_samples *s, struct ps_bundle *b);
/*
 * Tests only (tests/unit/test_ingest_wal_once.c): for the rest of the
 * process, reread != 0 gives the WAL step's scan no hooks, so every root's
 * WAL is read from the bundle at publish (the path the kept records must
 * agree with); kept_limit replaces the 32 MiB the scan may keep for all
 * roots (0: a root's log overflows on its first record). Not thread-safe.
 */
void ps_ingest_samples_set_for_tests(int reread, size_t kept_limit);
/* Logs summary JSON (per file: shape, lines, levels, matches). */
json_t *ps_ingest_logs_json(const struct ps_logs_ctx *c);
/* Config summary JSON: what the config facts say (promsight_config_*). */
json_t *ps_ingest_config_json(const struct ps_ingest *in);

#endif
