/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_block.c - libFuzzer harness: one whole TSDB block (meta.json, index,
 * up to two chunk segments, tombstones) opened from memory and analysed as
 * `promsight tsdb analyze --extended` and `verify` analyse it, once on one
 * thread and once on a two-thread pool; the two results, as JSON, must be
 * byte-identical (docs/format-tsdb.md: "the same for any thread count").
 * This is where the cross-file logic runs: series chunk refs into
 * segments, chunk times against meta.json, stats against the index, the
 * per-range walk of analyze.c / analyze_range.c and its
 * ranges_independent() proof, the gap check and every finding.
 *
 * Input (a container; tests/fuzz/corpus-gen/block_seeds.py packs real
 * blocks into it):
 *
 *   offset 0  u8 control
 *               bits 0-1  top-list limit: 0 -> 20 (the CLI default),
 *                         1 -> 0 (all), 2 -> 1, 3 -> 3
 *               bits 2-3  both set: --no-decode (decode = gaps = 0);
 *                         otherwise decode and gap check on
 *               bit 4     the second segment is named 000003 instead of
 *                         000002 (a hole in the segment numbers)
 *               bit 5     the block directory is named by a fixed ULID
 *                         (01ARZ3NDEKTSV4RRFFQ69G5FAV) instead of "block",
 *                         so meta.json's ulid is compared with it
 *   then up to five parts, in this order:
 *               meta.json, index, chunks/000001, chunks/000002 (or
 *               000003), tombstones
 *             each "u32 LE length | length bytes"; length 0xFFFFFFFF
 *             means the file does not exist (0 is an empty file). A part
 *             whose length runs past the end of the input takes what is
 *             left; parts after the end of the input do not exist.
 *
 * The block is opened through the in-memory file source of src/tsdb/
 * (struct ps_tsdb_src, tsdb_int.h: the route archive bundles use), so
 * nothing touches the file system. ps_tsdb_block_open_mem needs a struct
 * ps_tsdb_mem, which only ps_tsdb_scan_bundle can fill from an archive;
 * the harness hands its parts to ps_tsdb_block_open_src directly instead.
 *
 * What is compared: the JSON `promsight tsdb --format json` prints for
 * the block (the library's ps_tsdb_block_json, ps_tsdb_analysis_json and
 * ps_tsdb_diags_json), plus the raw float sums, the dropped-findings count
 * and the timeline point, dumped with JSON_SORT_KEYS | JSON_COMPACT. Nothing
 * is excluded, floating-point averages included: the ranges a block is cut
 * into depend on its series count alone, and the floating-point sums are
 * added per range and merged in list order (analyze.c), so the thread
 * count cannot change a single bit. (docs/format-tsdb.md's "last printed
 * digit" note compares a range-split pass with one front-to-back pass, a
 * difference that does not depend on the thread count.) Each run opens
 * its own copy of the block, because the analysis appends its findings to
 * the block's list.
 *
 * Besides the comparison, a few identities of the analysis that hold for
 * any input are checked (abort() if not):
 *   series + series_errors = entries of the all-postings list (index ok);
 *   float_samples + histogram_samples = samples;
 *   samples_decoded <= samples; sum of fullness buckets <= chunks;
 *   sum of chunks_by_enc <= chunks.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "promsight/ps_err.h"
#include "promsight/ps_pool.h"
#include "promsight/ps_tsdb.h"
#include "tsdb/tsdb_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { P_META, P_INDEX, P_SEG1, P_SEG2, P_TOMB, NPARTS };

struct part {
    const uint8_t *p;
    size_t n;
    int present;
};

struct memblock {
    char dir[64];
    char path[NPARTS][96];
    struct part part[NPARTS];
};

static void
split(const uint8_t *data, size_t size, struct memblock *mb)
{
    size_t off = 1;
    for (int i = 0; i < NPARTS; i++) {
        if (size - off < 4)
            break;
        uint32_t len = (uint32_t)data[off] | (uint32_t)data[off + 1] << 8 |
                       (uint32_t)data[off + 2] << 16 | (uint32_t)data[off + 3] << 24;
        off += 4;
        if (len == UINT32_MAX)
            continue;
        size_t take = len < size - off ? len : size - off;
        mb->part[i] = (struct part){data + off, take, 1};
        off += take;
    }
}

/* ps_tsdb_src.get: a malloc'd copy of the part (the block takes it). */
static enum ps_err
mem_get(void *ctx, const char *path, uint8_t **p, size_t *n, int *mapped,
        int64_t *mtime_ms)
{
    const struct memblock *mb = ctx;
    for (int i = 0; i < NPARTS; i++) {
        if (!mb->part[i].present || strcmp(mb->path[i], path) != 0)
            continue;
        *p = NULL;
        *n = mb->part[i].n;
        *mapped = 0;
        if (mtime_ms != NULL)
            *mtime_ms = 0;
        if (*n > 0) {
            *p = malloc(*n);
            if (*p == NULL)
                return PS_E_NOMEM;
            memcpy(*p, mb->part[i].p, *n);
        }
        return PS_OK;
    }
    return PS_E_IO;
}

/* ps_tsdb_src.list: only chunks/ is ever listed. */
static enum ps_err
mem_list(void *ctx, const char *dir, char ***names, size_t *n)
{
    const struct memblock *mb = ctx;
    *names = NULL;
    *n = 0;
    char want[80];
    snprintf(want, sizeof(want), "%s/chunks", mb->dir);
    if (strcmp(dir, want) != 0)
        return PS_E_IO;
    *names = calloc(2, sizeof(char *));
    if (*names == NULL)
        return PS_E_NOMEM;
    for (int i = P_SEG1; i <= P_SEG2; i++) /* already in name order */
        if (mb->part[i].present)
            (*names)[(*n)++] = strdup(strrchr(mb->path[i], '/') + 1);
    if (*n > 0)
        return PS_OK;
    free(*names); /* the block frees names only on success */
    *names = NULL;
    return PS_E_IO;
}

static json_t *
j_u64(uint64_t v)
{
    return json_integer((json_int_t)v);
}

/* The CLI's JSON of the block, its analysis and findings (tsdb_json.c),
 * plus what the CLI does not print: the raw float sums behind the
 * averages (a stricter check), the count of dropped findings and the
 * block's timeline point. */
static void
add_sum(json_t *chunks, const char *key, const struct ps_tsdb_minmax *m)
{
    json_object_set_new(json_object_get(chunks, key), "sum", json_real(m->sum));
}

static json_t *
j_block(const struct ps_tsdb_block *b, const struct ps_tsdb_analysis *a, int decoded)
{
    json_t *o = ps_tsdb_block_json(b, NULL);
    json_t *an = ps_tsdb_analysis_json(a, decoded);
    json_t *c = json_object_get(an, "chunks");
    add_sum(c, "samples_per_chunk", &a->samples_per_chunk);
    add_sum(c, "bytes_per_chunk", &a->bytes_per_chunk);
    add_sum(c, "bytes_per_sample", &a->bytes_per_sample);
    json_object_set_new(o, "analysis", an);
    json_object_set_new(o, "findings", ps_tsdb_diags_json(&b->diags, json_array()));
    json_object_set_new(o, "findings_dropped", j_u64(b->diags.dropped));
    struct ps_tsdb_timeline_point tp;
    ps_tsdb_timeline(b, 1, &tp);
    json_object_set_new(o, "timeline", ps_tsdb_timeline_point_json(&tp));
    return o;
}

static void
identities(const struct ps_tsdb_block *b, const struct ps_tsdb_analysis *a)
{
    uint64_t full = 0, enc = 0;
    for (int i = 0; i < PS_TSDB_HIST_BUCKETS; i++)
        full += a->fullness[i];
    for (int i = 0; i < 8; i++)
        enc += a->chunks_by_enc[i];
    if ((b->index_ok && a->series + a->series_errors != b->index.nall) ||
        a->float_samples + a->histogram_samples != a->samples ||
        a->samples_decoded > a->samples || full > a->chunks || enc > a->chunks) {
        fprintf(stderr, "fuzz_block: analysis identity broken: series %llu + errors "
                "%llu vs %zu listed; samples %llu = %llu float + %llu histogram, %llu "
                "decoded; chunks %llu, fullness %llu, by encoding %llu\n",
                (unsigned long long)a->series, (unsigned long long)a->series_errors,
                b->index.nall, (unsigned long long)a->samples,
                (unsigned long long)a->float_samples,
                (unsigned long long)a->histogram_samples,
                (unsigned long long)a->samples_decoded, (unsigned long long)a->chunks,
                (unsigned long long)full, (unsigned long long)enc);
        abort();
    }
}

/* Open the block afresh, analyse it with o, return its JSON (malloc'd). */
static char *
run(struct memblock *mb, const struct ps_tsdb_opts *o)
{
    struct ps_tsdb_src src = {mem_get, mem_list, mb};
    struct ps_tsdb_block b;
    struct ps_tsdb_analysis a;
    char *out = NULL;
    if (ps_tsdb_block_open_src(mb->dir, &src, &b) != PS_OK) {
        ps_tsdb_block_close(&b);
        return NULL;
    }
    if (ps_tsdb_block_analyze(&b, o, &a) == PS_OK) {
        identities(&b, &a);
        json_t *j = j_block(&b, &a, o->decode);
        out = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
        json_decref(j);
    }
    ps_tsdb_analysis_free(&a);
    ps_tsdb_block_close(&b);
    return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* made once and kept for the process, as the CLI starts its pool once */
    static struct ps_pool *pool;
    if (pool == NULL)
        pool = ps_pool_new(2);
    if (size < 1)
        return 0;
    unsigned ctl = data[0];
    static const size_t limits[4] = {20, 0, 1, 3};
    int decode = (ctl & 0x0C) != 0x0C;
    struct memblock mb;
    memset(&mb, 0, sizeof(mb));
    /* a local, not mb.dir, as the source below: gcc's -Wrestrict */
    const char *dir = ctl & 0x20 ? "fuzz/01ARZ3NDEKTSV4RRFFQ69G5FAV" : "fuzz/block";
    snprintf(mb.dir, sizeof(mb.dir), "%s", dir);
    static const char *const names[NPARTS] = {"meta.json", "index", "chunks/000001",
                                              "chunks/000002", "tombstones"};
    for (int i = 0; i < NPARTS; i++)
        snprintf(mb.path[i], sizeof(mb.path[i]), "%s/%s", dir,
                 i == P_SEG2 && (ctl & 0x10) ? "chunks/000003" : names[i]);
    split(data, size, &mb);

    struct ps_tsdb_opts one = {decode, decode, limits[ctl & 3], 1, NULL};
    struct ps_tsdb_opts two = {decode, decode, limits[ctl & 3], 2, pool};
    char *j1 = run(&mb, &one);
    char *j2 = run(&mb, &two);
    if ((j1 == NULL) != (j2 == NULL) || (j1 != NULL && strcmp(j1, j2) != 0)) {
        fprintf(stderr, "fuzz_block: 1 thread and 2 threads differ\n1: %s\n2: %s\n",
                j1 ? j1 : "(failed)", j2 ? j2 : "(failed)");
        abort();
    }
    free(j1);
    free(j2);
    return 0;
}
