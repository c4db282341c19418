/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd_tsdb.c - 'promsight tsdb': list, verify and analyze the TSDB blocks
 * found under a path (every TSDB root, e.g. one per Thanos tenant), as text
 * in promtool's layout or as JSON (docs/format-tsdb.md).
 *
 *   promsight tsdb list    PATH            promtool tsdb list columns
 *   promsight tsdb analyze PATH [ULID]     promtool tsdb analyze numbers,
 *                                          chunk statistics, gaps, timeline
 *   promsight tsdb verify  PATH [ULID]     every health check; exit 3 on an
 *                                          error-level finding
 *   promsight tsdb dump    PATH [ULID]     samples as promtool tsdb dump
 *                                          prints them (decoder proof)
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include <sys/stat.h>

#include "promsight/ps_bundle.h"
#include "promsight/ps_pool.h"
#include "promsight/ps_tsdb.h"
#include "promsight/ps_util.h"

enum mode { M_LIST, M_ANALYZE, M_VERIFY, M_DUMP };

struct opts {
    enum mode mode;
    enum ps_out_format fmt;
    const char *path, *ulid;
    size_t limit;
    int extended, no_decode;
    int threads;                  /* 0: one per online CPU */
    struct ps_pool *pool;         /* analyze, verify: started before loading */
};

struct rootdata {
    struct ps_tsdb_root *r;
    struct ps_tsdb_block *b;
    size_t nb;
    struct ps_tsdb_analysis *a;   /* NULL unless analysed */
    int *sel;                     /* block selected by ULID */
    struct ps_tsdb_head_stats *hs;
    struct ps_diags hdiags;       /* head chunk findings */
};

static void
usage(FILE *out)
{
    fprintf(out,
            "Usage: promsight tsdb [list|analyze|verify|dump] [OPTIONS] PATH [ULID]\n"
            "\n"
            "Read every TSDB block under PATH (a data directory, a Thanos Receive\n"
            "directory with one TSDB per tenant, a bundle directory, or one block).\n"
            "\n"
            "  list      one row per block (promtool tsdb list columns)\n"
            "  analyze   promtool tsdb analyze numbers for each block (or ULID),\n"
            "            chunk statistics, missed scrapes, per-TSDB block timeline\n"
            "            (default)\n"
            "  verify    every health check; exit 3 on an error-level finding\n"
            "  dump      every sample as 'promtool tsdb dump' prints it\n"
            "\n"
            "Options:\n"
            "  --format text|json  output format (default text)\n"
            "  --limit N           entries per top list (default 20, 0 = all)\n"
            "  --extended          analyze: chunk fullness and size statistics\n"
            "  --no-decode         analyze: do not decode chunk samples (no gaps)\n"
            "  --threads N         analyze, verify: walk a block's series on up to N\n"
            "                      threads (default 0: one per CPU); the output is\n"
            "                      the same for any N\n"
            "  -h, --help          this help\n");
}

/* Go's time.Duration.String() for a count of milliseconds. */
static void
go_duration(int64_t ms, char *buf, size_t n)
{
    if (ms == 0) {
        snprintf(buf, n, "0s");
        return;
    }
    if (ms > -1000 && ms < 1000) {
        snprintf(buf, n, "%" PRId64 "ms", ms);
        return;
    }
    ps_fmt_duration_ms(ms, buf, n);
    /* ps_fmt_duration_ms prints "1h0m0s" like Go; nothing else differs */
}

/* Go's %g for a float64: the shortest digits that round-trip, in
 * e-notation when the decimal exponent is < -4 or >= 6 (strconv's rule
 * for the shortest precision), exponent with at least two digits. */
static void
go_g(double v, char *buf, size_t n)
{
    if (isnan(v)) {
        snprintf(buf, n, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, n, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    char tmp[64];
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    /* tmp = [-]d[.ddd]e[+-]XX */
    const char *s = tmp;
    int neg = *s == '-';
    if (neg)
        s++;
    char digs[32];
    size_t nd = 0;
    for (; *s != 'e'; s++)
        if (*s != '.')
            digs[nd++] = *s;
    int exp = atoi(s + 1);
    while (nd > 1 && digs[nd - 1] == '0')
        nd--;
    digs[nd] = 0;
    int eprec = 6;
    char *o = buf;
    size_t left = n;
#define PUT(...)                                                                \
    do {                                                                        \
        int w_ = snprintf(o, left, __VA_ARGS__);                                \
        if (w_ < 0 || (size_t)w_ >= left)                                       \
            return;                                                             \
        o += w_;                                                                \
        left -= (size_t)w_;                                                     \
    } while (0)
    if (neg)
        PUT("-");
    if (exp < -4 || exp >= eprec) {
        PUT("%c", digs[0]);
        if (nd > 1)
            PUT(".%s", digs + 1);
        PUT("e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    } else if (exp < 0) {
        PUT("0.");
        for (int i = 0; i < -exp - 1; i++)
            PUT("0");
        PUT("%s", digs);
    } else {
        for (int i = 0; i <= exp; i++)
            PUT("%c", i < (int)nd ? digs[i] : '0');
        if ((int)nd > exp + 1)
            PUT(".%s", digs + exp + 1);
    }
#undef PUT
}

/* ------------------------------------------------------------------ */

/* An archive's TSDB files, read into memory (NULL for directories). */
static struct ps_tsdb_mem *g_mem;
static struct ps_bundle *g_bundle;

static int
load(const struct opts *o, struct ps_tsdb_scan *sc, struct rootdata **rdp,
     struct ps_diags *d)
{
    struct stat st;
    if (stat(o->path, &st) == 0 && !S_ISDIR(st.st_mode)) {
        if (ps_bundle_open(o->path, NULL, d, &g_bundle) != PS_OK)
            return -1;
        if (!ps_bundle_is_archive(g_bundle)) {
            fprintf(stderr, "promsight tsdb: %s is neither a directory nor an archive\n",
                    o->path);
            return -1;
        }
        if (ps_tsdb_scan_bundle(g_bundle, sc, &g_mem, d) != PS_OK)
            return -1;
    } else if (ps_tsdb_scan(o->path, sc, d) != PS_OK) {
        return -1;
    }
    struct rootdata *rd = calloc(sc->nroots ? sc->nroots : 1, sizeof(*rd));
    if (rd == NULL)
        return -1;
    *rdp = rd;
    int any = 0;
    for (size_t i = 0; i < sc->nroots; i++) {
        struct rootdata *x = &rd[i];
        x->r = &sc->roots[i];
        ps_diags_init(&x->hdiags);
        x->b = calloc(x->r->nblocks ? x->r->nblocks : 1, sizeof(*x->b));
        x->sel = calloc(x->r->nblocks ? x->r->nblocks : 1, sizeof(int));
        x->hs = calloc(x->r->nhead ? x->r->nhead : 1, sizeof(*x->hs));
        if (x->b == NULL || x->sel == NULL || x->hs == NULL)
            return -1;
        for (size_t k = 0; k < x->r->nblocks; k++) {
            enum ps_err e = g_mem != NULL
                                ? ps_tsdb_block_open_mem(g_mem, x->r->block_dirs[k],
                                                         &x->b[x->nb])
                                : ps_tsdb_block_open(x->r->block_dirs[k], &x->b[x->nb]);
            if (e != PS_OK)
                return -1;
            x->nb++;
        }
        ps_tsdb_blocks_sort(x->b, x->nb);
        ps_tsdb_root_check(x->r, x->b, x->nb);
        for (size_t k = 0; k < x->nb; k++) {
            x->sel[k] = o->ulid == NULL || strcmp(o->ulid, x->b[k].ulid) == 0;
            any |= x->sel[k];
        }
    }
    if (o->ulid != NULL && !any) {
        fprintf(stderr, "promsight tsdb: no block %s under %s\n", o->ulid, o->path);
        return -1;
    }
    return 0;
}

static void
unload(struct ps_tsdb_scan *sc, struct rootdata *rd)
{
    for (size_t i = 0; rd != NULL && i < sc->nroots; i++) {
        struct rootdata *x = &rd[i];
        for (size_t k = 0; k < x->nb; k++) {
            if (x->a != NULL)
                ps_tsdb_analysis_free(&x->a[k]);
            ps_tsdb_block_close(&x->b[k]);
        }
        free(x->a);
        free(x->b);
        free(x->sel);
        free(x->hs);
        ps_diags_free(&x->hdiags);
    }
    free(rd);
    ps_tsdb_scan_free(sc);
    ps_tsdb_mem_free(g_mem);
    g_mem = NULL;
    ps_bundle_close(g_bundle);
    g_bundle = NULL;
}

static void
scan_head(struct rootdata *x)
{
    for (size_t h = 0; h < x->r->nhead; h++) {
        if (g_mem != NULL) {
            size_t n = 0;
            const uint8_t *p = ps_tsdb_mem_file(g_mem, x->r->head_files[h], &n);
            if (p != NULL)
                ps_tsdb_head_chunks_scan(p, n, x->r->head_files[h], &x->hs[h],
                                         &x->hdiags);
            continue;
        }
        FILE *f = fopen(x->r->head_files[h], "rb");
        if (f == NULL)
            continue;
        fseek(f, 0, SEEK_END);
        long sz = ftell(f);
        fseek(f, 0, SEEK_SET);
        if (sz < 0 || sz > (256L << 20)) {
            fclose(f);
            continue;
        }
        uint8_t *p = malloc((size_t)sz + 1);
        if (p != NULL && fread(p, 1, (size_t)sz, f) == (size_t)sz)
            ps_tsdb_head_chunks_scan(p, (size_t)sz, x->r->head_files[h], &x->hs[h],
                                     &x->hdiags);
        free(p);
        fclose(f);
    }
}

static int
analyze_all(const struct opts *o, struct ps_tsdb_scan *sc, struct rootdata *rd)
{
    struct ps_tsdb_opts to = {!o->no_decode, !o->no_decode, o->limit, o->threads, o->pool};
    for (size_t i = 0; i < sc->nroots; i++) {
        struct rootdata *x = &rd[i];
        x->a = calloc(x->nb ? x->nb : 1, sizeof(*x->a));
        if (x->a == NULL)
            return -1;
        for (size_t k = 0; k < x->nb; k++)
            if (x->sel[k] && ps_tsdb_block_analyze(&x->b[k], &to, &x->a[k]) != PS_OK)
                return -1;
        scan_head(x);
    }
    return 0;
}

/* ---- text ---- */

static void
print_top(const char *title, const struct ps_tsdb_top *t)
{
    printf("\n%s:\n", title);
    for (size_t i = 0; i < t->n; i++)
        printf("%" PRIu64 " %s\n", t->v[i].n, t->v[i].name);
}

static void
print_mm(const char *what, const struct ps_tsdb_minmax *m, const char *unit)
{
    if (m->n == 0)
        printf("  %-18s -\n", what);
    else
        printf("  %-18s min %.1f, avg %.1f, max %.1f%s\n", what, m->min,
               m->sum / (double)m->n, m->max, unit);
}

static void
text_analysis(const struct opts *o, const struct ps_tsdb_block *b,
              const struct ps_tsdb_analysis *a)
{
    char du[40], t1[40], t2[40];
    go_duration(a->duration_ms, du, sizeof(du));
    printf("Block ID: %s\n", b->ulid);
    printf("Duration: %s\n", du);
    printf("Series: %" PRIu64 "\n", a->series_meta);
    printf("Label names: %" PRIu64 "\n", a->label_names);
    printf("Postings (unique label pairs): %" PRIu64 "\n", a->postings_unique);
    printf("Postings entries (total label pairs): %" PRIu64 "\n", a->postings_entries);
    print_top("Label pairs most involved in churning", &a->churn_pairs);
    print_top("Label names most involved in churning", &a->churn_names);
    print_top("Most common label pairs", &a->common_pairs);
    print_top("Label names with highest cumulative label value length", &a->value_lengths);
    print_top("Highest cardinality labels", &a->cardinality_labels);
    print_top("Highest cardinality metric names", &a->cardinality_metrics);
    if (o->extended) {
        uint64_t tot = 0;
        for (int i = 0; i < PS_TSDB_HIST_BUCKETS; i++)
            tot += a->fullness[i];
        printf("\nCompaction analysis:\n");
        printf("Fullness: Amount of samples in chunks (100%% is 120 samples)\n");
        for (int i = 0; i < PS_TSDB_HIST_BUCKETS; i++) {
            uint64_t pct = tot ? 100 * a->fullness[i] / tot : 0;
            printf("%7d%%: ", (i + 1) * 10);
            for (uint64_t j = 0; j < pct; j++)
                putchar('#');
            putchar('\n');
        }
    }
    ps_fmt_time_ms(b->meta.min_time, t1, sizeof(t1));
    ps_fmt_time_ms(b->meta.max_time, t2, sizeof(t2));
    printf("\npromsight: %s .. %s\n", t1, t2);
    printf("  index: %" PRIu64 " series, %" PRIu64 " chunks, %" PRIu64
           " samples (%" PRIu64 " float, %" PRIu64 " histogram), %" PRIu64
           " decoded\n",
           a->series, a->chunks, a->samples, a->float_samples, a->histogram_samples,
           a->samples_decoded);
    printf("  chunks by encoding:");
    static const char *const en[8] = {"none", "XOR", "histogram", "floathistogram",
                                      "XOR2", "histogramST", "floathistogramST",
                                      "other/thanos-aggr"};
    for (int i = 0; i < 8; i++)
        if (a->chunks_by_enc[i])
            printf(" %s=%" PRIu64, en[i], a->chunks_by_enc[i]);
    printf("\n");
    print_mm("samples/chunk", &a->samples_per_chunk, "");
    print_mm("bytes/chunk", &a->bytes_per_chunk, " B");
    print_mm("bytes/sample", &a->bytes_per_sample, " B");
    printf("  CRC failures: %" PRIu64 ", decode errors: %" PRIu64 "\n", a->crc_failures,
           a->decode_errors);
    if (!o->no_decode) {
        char gd[40];
        ps_fmt_duration_ms(a->gap_ms, gd, sizeof(gd));
        printf("  gaps: %" PRIu64 " in %" PRIu64 " series, %" PRIu64
               " missed samples, %s missing\n",
               a->gaps, a->gap_series, a->gap_missed_samples, gd);
        if (a->common_gap_series > 0) {
            ps_fmt_time_ms(a->common_gap_start, t1, sizeof(t1));
            ps_fmt_time_ms(a->common_gap_end, t2, sizeof(t2));
            ps_fmt_duration_ms(a->common_gap_end - a->common_gap_start, gd, sizeof(gd));
            printf("  widest shared gap: %s .. %s (%s) in %" PRIu64 " series\n", t1, t2,
                   gd, a->common_gap_series);
        }
    }
}

/* Go tabwriter(minwidth 13, padding 2) as promtool list uses it. */
static void
text_list(const struct rootdata *x)
{
    enum { NC = 8 };
    const char *hdr[NC] = {"BLOCK ULID", "MIN TIME", "MAX TIME", "DURATION",
                           "NUM SAMPLES", "NUM CHUNKS", "NUM SERIES", "SIZE"};
    size_t w[NC];
    char (*cells)[NC][40] = calloc(x->nb ? x->nb : 1, sizeof(*cells));
    if (cells == NULL)
        return;
    for (int c = 0; c < NC; c++)
        w[c] = strlen(hdr[c]);
    for (size_t k = 0; k < x->nb; k++) {
        const struct ps_tsdb_block *b = &x->b[k];
        snprintf(cells[k][0], 40, "%s", b->ulid);
        snprintf(cells[k][1], 40, "%" PRId64, b->meta.min_time);
        snprintf(cells[k][2], 40, "%" PRId64, b->meta.max_time);
        go_duration(ps_sub_wrap(b->meta.max_time, b->meta.min_time), cells[k][3], 40);
        snprintf(cells[k][4], 40, "%" PRIu64, b->meta.stats.num_samples);
        snprintf(cells[k][5], 40, "%" PRIu64, b->meta.stats.num_chunks);
        snprintf(cells[k][6], 40, "%" PRIu64, b->meta.stats.num_series);
        snprintf(cells[k][7], 40, "%" PRIu64, b->size_bytes);
        for (int c = 0; c < NC; c++)
            if (strlen(cells[k][c]) > w[c])
                w[c] = strlen(cells[k][c]);
    }
    for (int c = 0; c < NC - 1; c++)
        w[c] = w[c] + 2 < 13 ? 13 : w[c] + 2;
    for (size_t k = 0; k <= x->nb; k++) {
        for (int c = 0; c < NC; c++) {
            const char *s = k == 0 ? hdr[c] : cells[k - 1][c];
            if (c < NC - 1)
                printf("%-*s", (int)w[c], s);
            else
                printf("%s\n", s);
        }
    }
    free(cells);
}

static size_t
print_diags(const struct ps_diags *d, size_t *nerr)
{
    char buf[1024];
    for (size_t i = 0; i < d->n; i++) {
        ps_diag_format(&d->v[i], buf, sizeof(buf));
        printf("  %s\n", buf);
        if (d->v[i].sev >= PS_SEV_ERROR)
            (*nerr)++;
    }
    if (d->dropped)
        printf("  ... and %zu more findings not kept\n", d->dropped);
    return d->n + d->dropped;
}

/* ---- JSON ---- */

static json_t *
j_head(const struct rootdata *x)
{
    json_t *a = json_array();
    for (size_t h = 0; h < x->r->nhead; h++)
        json_array_append_new(a, ps_tsdb_head_json(x->r->head_files[h], &x->hs[h]));
    return a;
}

static json_t *
j_timeline(const struct rootdata *x)
{
    json_t *a = json_array();
    struct ps_tsdb_timeline_point *tp = calloc(x->nb ? x->nb : 1, sizeof(*tp));
    if (tp == NULL)
        return a;
    ps_tsdb_timeline(x->b, x->nb, tp);
    for (size_t k = 0; k < x->nb; k++)
        json_array_append_new(a, ps_tsdb_timeline_point_json(&tp[k]));
    free(tp);
    return a;
}

static int
output_json(const struct opts *o, struct ps_tsdb_scan *sc, struct rootdata *rd,
            const struct ps_diags *d, size_t *nerr)
{
    json_t *top = json_object();
    static const char *const mn[] = {"list", "analyze", "verify", "dump"};
    json_object_set_new(top, "command", json_string(mn[o->mode]));
    json_object_set_new(top, "path", json_string(o->path));
    json_t *roots = json_array();
    for (size_t i = 0; i < sc->nroots; i++) {
        struct rootdata *x = &rd[i];
        json_t *r = json_object();
        json_object_set_new(r, "dir", json_string(x->r->dir));
        json_object_set_new(r, "tenant", x->r->tenant != NULL ? json_string(x->r->tenant) : json_null());
        json_t *bl = json_array();
        for (size_t k = 0; k < x->nb; k++) {
            if (!x->sel[k])
                continue;
            json_t *b = ps_tsdb_block_json(&x->b[k], x->r);
            if (o->mode == M_ANALYZE || o->mode == M_VERIFY)
                json_object_set_new(b, "analysis", ps_tsdb_analysis_json(&x->a[k], !o->no_decode));
            if (o->mode != M_LIST) {
                json_t *fa = json_array();
                ps_tsdb_diags_json(&x->b[k].diags, fa);
                json_object_set_new(b, "findings", fa);
                for (size_t q = 0; q < x->b[k].diags.n; q++)
                    if (x->b[k].diags.v[q].sev >= PS_SEV_ERROR)
                        (*nerr)++;
            }
            json_array_append_new(bl, b);
        }
        json_object_set_new(r, "blocks", bl);
        json_t *inc = json_array();
        for (size_t k = 0; k < x->r->nincomplete; k++)
            json_array_append_new(inc, json_string(x->r->incomplete[k]));
        json_object_set_new(r, "incomplete", inc);
        if (x->r->has_shipper) {
            json_t *sh = json_array();
            for (size_t k = 0; k < x->r->shipper.nuploaded; k++)
                json_array_append_new(sh, json_string(x->r->shipper.uploaded[k]));
            json_object_set_new(r, "shipper_uploaded", sh);
        } else {
            json_object_set_new(r, "shipper_uploaded", json_null());
        }
        if (o->mode != M_LIST) {
            json_object_set_new(r, "timeline", j_timeline(x));
            json_object_set_new(r, "head_chunks", j_head(x));
            json_t *fa = json_array();
            ps_tsdb_diags_json(&x->r->diags, fa);
            ps_tsdb_diags_json(&x->hdiags, fa);
            json_object_set_new(r, "findings", fa);
            for (size_t q = 0; q < x->r->diags.n; q++)
                if (x->r->diags.v[q].sev >= PS_SEV_ERROR)
                    (*nerr)++;
            for (size_t q = 0; q < x->hdiags.n; q++)
                if (x->hdiags.v[q].sev >= PS_SEV_ERROR)
                    (*nerr)++;
        }
        json_array_append_new(roots, r);
    }
    json_object_set_new(top, "roots", roots);
    json_object_set_new(top, "findings", ps_tsdb_diags_json(d, json_array()));
    return ps_cli_dump_json(top, stdout);
}

static void
output_text(const struct opts *o, struct ps_tsdb_scan *sc, struct rootdata *rd,
            const struct ps_diags *d, size_t *nerr)
{
    if (sc->nroots == 0)
        printf("no TSDB (blocks, chunks_head/ or thanos.shipper.json) under %s\n",
               o->path);
    for (size_t i = 0; i < sc->nroots; i++) {
        struct rootdata *x = &rd[i];
        if (sc->nroots > 1 || o->mode != M_LIST)
            printf("%sTSDB %s%s%s%s\n", i > 0 ? "\n" : "", x->r->dir,
                   x->r->tenant ? " (tenant " : "", x->r->tenant ? x->r->tenant : "",
                   x->r->tenant ? ")" : "");
        if (o->mode == M_LIST) {
            text_list(x);
            continue;
        }
        if (o->mode == M_ANALYZE) {
            for (size_t k = 0; k < x->nb; k++) {
                if (!x->sel[k])
                    continue;
                printf("\n");
                text_analysis(o, &x->b[k], &x->a[k]);
            }
            printf("\nBlock timeline:\n");
            printf("  %-26s  %-24s  %-24s  %10s  %12s  %10s  %12s\n", "ULID", "MIN TIME",
                   "MAX TIME", "SERIES", "SAMPLES", "CHUNKS", "BYTES");
            for (size_t k = 0; k < x->nb; k++) {
                char t1[40], t2[40];
                const struct ps_tsdb_block *b = &x->b[k];
                ps_fmt_time_ms(b->meta.min_time, t1, sizeof(t1));
                ps_fmt_time_ms(b->meta.max_time, t2, sizeof(t2));
                printf("  %-26s  %-24s  %-24s  %10" PRIu64 "  %12" PRIu64 "  %10" PRIu64
                       "  %12" PRIu64 "\n",
                       b->ulid, t1, t2, b->meta.stats.num_series,
                       b->meta.stats.num_samples, b->meta.stats.num_chunks,
                       b->size_bytes);
            }
            for (size_t h = 0; h < x->r->nhead; h++) {
                const struct ps_tsdb_head_stats *s = &x->hs[h];
                printf("  head chunks %s: %" PRIu64 " chunks, %" PRIu64
                       " samples, %" PRIu64 " series, %" PRIu64 " zero tail bytes\n",
                       x->r->head_files[h], s->chunks, s->samples, s->series,
                       s->zero_tail_bytes);
            }
        }
        printf("\nFindings:\n");
        size_t nf = print_diags(&x->r->diags, nerr);
        nf += print_diags(&x->hdiags, nerr);
        for (size_t k = 0; k < x->nb; k++)
            if (x->sel[k])
                nf += print_diags(&x->b[k].diags, nerr);
        if (nf == 0)
            printf("  none\n");
    }
    if (d->n > 0) {
        printf("\n");
        print_diags(d, nerr);
    }
}

/* ---- dump ---- */

static void
print_labels(const struct ps_tsdb_index *ix, const struct ps_tsdb_series *s)
{
    putchar('{');
    for (size_t i = 0; i < s->nlabels; i++) {
        struct ps_tsdb_str n = ps_tsdb_index_sym(ix, s->lbl[2 * i]);
        struct ps_tsdb_str v = ps_tsdb_index_sym(ix, s->lbl[2 * i + 1]);
        printf("%s%.*s=\"", i ? ", " : "", (int)n.n, n.p);
        for (uint32_t k = 0; k < v.n; k++) {
            unsigned char ch = (unsigned char)v.p[k];
            if (ch == '"' || ch == '\\')
                printf("\\%c", ch);
            else if (ch == '\n')
                printf("\\n");
            else if (ch == '\t')
                printf("\\t");
            else if (ch < 0x20 || ch == 0x7f)
                printf("\\x%02x", ch);
            else
                putchar(ch);
        }
        putchar('"');
    }
    putchar('}');
}

static void
dump_block(struct ps_tsdb_block *b)
{
    if (!b->index_ok)
        return;
    struct ps_tsdb_series s = {0};
    char vb[64];
    for (size_t i = 0; i < b->index.nall; i++) {
        if (ps_tsdb_index_series(&b->index, b->index.all[i], &s, &b->diags) != PS_OK)
            continue;
        for (size_t c = 0; c < s.nchunks; c++) {
            uint64_t sg = s.chk[c].ref >> 32;
            struct ps_tsdb_chunk ch;
            if (sg >= b->nsegs ||
                ps_tsdb_chunk_at(&b->segs[sg], s.chk[c].ref & 0xffffffffu, &ch) != PS_OK ||
                ch.enc != PS_TSDB_ENC_XOR)
                continue;
            struct ps_tsdb_xor_it it;
            int64_t t;
            double v;
            ps_tsdb_xor_init(&it, ch.data, ch.len);
            while (ps_tsdb_xor_next(&it, &t, &v) == PS_OK) {
                print_labels(&b->index, &s);
                go_g(v, vb, sizeof(vb));
                printf(" %s %" PRId64 "\n", vb, t);
            }
        }
    }
    ps_tsdb_series_free(&s);
}

int
ps_cmd_tsdb(int argc, char **argv)
{
    struct opts o = {M_ANALYZE, PS_FMT_TEXT, NULL, NULL, 20, 0, 0, 0, NULL};
    int i = 1;
    if (i < argc) {
        if (strcmp(argv[i], "list") == 0)
            o.mode = M_LIST, i++;
        else if (strcmp(argv[i], "analyze") == 0)
            o.mode = M_ANALYZE, i++;
        else if (strcmp(argv[i], "verify") == 0)
            o.mode = M_VERIFY, i++;
        else if (strcmp(argv[i], "dump") == 0)
            o.mode = M_DUMP, i++;
    }
    for (; i < argc; i++) {
        const char *a = argv[i], *v;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return PS_EXIT_OK;
        } else if (ps_cli_opt_value(argc, argv, &i, "format", &v)) {
            if (ps_cli_format_value("tsdb", v, &o.fmt) != PS_EXIT_OK)
                return PS_EXIT_USAGE;
        } else if (ps_cli_opt_value(argc, argv, &i, "limit", &v)) {
            char *end = NULL;
            long long n = v != NULL ? strtoll(v, &end, 10) : -1;
            if (v == NULL || *end != 0 || n < 0)
                return ps_cli_usage_error("tsdb", "--limit needs a number >= 0");
            o.limit = (size_t)n;
        } else if (ps_cli_opt_value(argc, argv, &i, "threads", &v)) {
            char *end = NULL;
            long n = v != NULL ? strtol(v, &end, 10) : -1;
            if (v == NULL || *end != 0 || n < 0 || n > 1024)
                return ps_cli_usage_error("tsdb", "--threads needs a number from 0 to 1024");
            o.threads = (int)n;
        } else if (strcmp(a, "--extended") == 0) {
            o.extended = 1;
        } else if (strcmp(a, "--no-decode") == 0) {
            o.no_decode = 1;
        } else if (a[0] == '-' && a[1] != 0) {
            return ps_cli_usage_error("tsdb", "unknown option '%s'", a);
        } else if (o.path == NULL) {
            o.path = a;
        } else if (o.ulid == NULL) {
            o.ulid = a;
        } else {
            return ps_cli_usage_error("tsdb", "unexpected argument '%s'", a);
        }
    }
    if (o.path == NULL)
        return ps_cli_usage_error("tsdb", "missing PATH");
    if (o.ulid != NULL && !ps_tsdb_is_ulid(o.ulid, strlen(o.ulid)))
        return ps_cli_usage_error("tsdb", "'%s' is not a block ULID", o.ulid);

    struct ps_diags d;
    ps_diags_init(&d);
    struct ps_tsdb_scan sc;
    struct rootdata *rd = NULL;
    int rc = PS_EXIT_OK;
    memset(&sc, 0, sizeof(sc));
    /* the threads start now, while the blocks are found and opened: an
       idle CPU of a virtual machine can take milliseconds to wake */
    if ((o.mode == M_ANALYZE || o.mode == M_VERIFY) && o.threads != 1)
        o.pool = ps_pool_new(o.threads);
    if (load(&o, &sc, &rd, &d) != 0) {
        ps_cli_print_diags(&d);
        rc = PS_EXIT_ERROR;
        goto out;
    }
    if (o.mode == M_DUMP) {
        for (size_t r = 0; r < sc.nroots; r++)
            for (size_t k = 0; k < rd[r].nb; k++)
                if (rd[r].sel[k])
                    dump_block(&rd[r].b[k]);
        goto out;
    }
    if ((o.mode == M_ANALYZE || o.mode == M_VERIFY) && analyze_all(&o, &sc, rd) != 0) {
        fprintf(stderr, "promsight tsdb: out of memory\n");
        rc = PS_EXIT_ERROR;
        goto out;
    }
    size_t nerr = 0;
    if (o.fmt == PS_FMT_JSON) {
        if (output_json(&o, &sc, rd, &d, &nerr) != 0)
            rc = PS_EXIT_ERROR;
    } else {
        output_text(&o, &sc, rd, &d, &nerr);
    }
    if (o.mode == M_VERIFY && nerr > 0 && rc == PS_EXIT_OK)
        rc = PS_EXIT_CRITICAL;
out:
    ps_pool_free(o.pool);
    unload(&sc, rd);
    ps_diags_free(&d);
    return rc;
}
