/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd_wal.c - 'promsight wal PATH': read every WAL of a bundle (directory
 * or archive; one report per WAL directory, labelled with its tsdb root,
 * pod and tenant) or one segment file, and print statistics, corruption
 * and what a Prometheus repair would destroy. Text for people; --format
 * json prints the contract documented in docs/format-wal.md.
 *
 * Exit status: 0 read (corruption is reported, not an error), 1 the input
 * cannot be opened, 2 usage.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "promsight/ps_bundle.h"
#include "promsight/ps_util.h"
#include "promsight/ps_wal.h"

#define CMD "wal"

static void
usage(FILE *out)
{
    fprintf(out,
            "Usage: promsight wal [OPTIONS] PATH\n"
            "\n"
            "Read Prometheus write-ahead logs: every wal/ directory found in PATH\n"
            "(a bundle directory, an archive, a data directory) or PATH itself\n"
            "when it is one segment file. Checkpoints are read before the\n"
            "segments after them, then wbl/. Prints per-segment and total\n"
            "records, series, samples, time range, compression, scrape\n"
            "interval, churn, top metric names, corruption located as\n"
            "Prometheus reports it, and what a Prometheus repair would delete.\n"
            "\n"
            "Options:\n"
            "  --format text|json   output format (default text)\n"
            "  --threads N          read each segment in chunks on N threads\n"
            "                       (default 0: one per CPU, at most 16; 1:\n"
            "                       everything on the calling thread; at most\n"
            "                       64); the output is the same either way\n"
            "  -h, --help           this help\n"
            "\n"
            "Exit status: 0 read (corruption is reported, not an error),\n"
            "1 PATH cannot be read, 2 usage.\n");
}

static const char *
human(uint64_t n, char *buf, size_t cap)
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)n;
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, cap, "%" PRIu64 " B", n);
    else
        snprintf(buf, cap, "%.1f %s", v, unit[u]);
    return buf;
}

static const char *
tfmt(int64_t ms, int valid, char *buf, size_t cap)
{
    if (!valid)
        snprintf(buf, cap, "-");
    else
        ps_fmt_time_ms(ms, buf, cap);
    return buf;
}

static void
print_wal(const struct ps_wal_stats *s)
{
    struct ps_wal_summary sum;
    ps_wal_stats_summary(s, &sum);
    const struct ps_wal_seg_stats *t = &s->totals;
    char a[64], b[64];
    printf("WAL %s", s->dir);
    if (s->pod != NULL)
        printf("  pod=%s", s->pod);
    if (s->tenant != NULL)
        printf("  tenant=%s", s->tenant);
    printf("\n");
    if (s->checkpoint_index >= 0)
        printf("  checkpoint: %s (read first)\n",
               s->checkpoint_dir != NULL ? s->checkpoint_dir : "?");
    for (size_t off = 0, i = 0; i < s->nignored && off < s->ignored.n; i++) {
        const char *n = (const char *)s->ignored.p + off;
        printf("  checkpoint not read: %s\n", n);
        off += strlen(n) + 1;
    }
    int nw = 7;
    for (size_t i = 0; i < s->nsegs; i++) {
        size_t l = strlen(s->segs[i].name);
        if (l > (size_t)nw)
            nw = l > 60 ? 60 : (int)l;
    }
    printf("\n  %-*s %-10s %10s %8s %8s %10s %8s %8s %6s\n", nw, "SEGMENT", "KIND",
           "BYTES", "RECORDS", "SERIES", "SAMPLES", "HISTOS", "DROPPED", "CORR");
    for (size_t i = 0; i < s->nsegs; i++) {
        const struct ps_wal_seg_stats *g = &s->segs[i];
        uint64_t rec = 0;
        for (unsigned k = 0; k < PS_WAL_REC__COUNT; k++)
            rec += g->records[k];
        const char *name = g->name;
        size_t l = strlen(name);
        const char *dots = "";
        if (l > 60) {
            name += l - 57;
            dots = "...";
        }
        printf("  %s%-*s %-10s %10s %8" PRIu64 " %8" PRIu64 " %10" PRIu64
               " %8" PRIu64 " %8" PRIu64 " %6" PRIu64 "\n",
               dots, nw - (int)strlen(dots), name, ps_wal_seg_kind_name(g->kind),
               human(g->bytes, a, sizeof(a)),
               rec, g->series, g->samples, g->histograms,
               g->unknown_ref + g->out_of_order + g->duplicate, g->corruptions);
    }
    printf("\n  totals\n");
    printf("    segments            %zu, %s\n", s->nsegs,
           human(t->bytes, a, sizeof(a)));
    printf("    records            ");
    for (unsigned k = 1; k < PS_WAL_REC__COUNT; k++)
        if (t->records[k] != 0)
            printf(" %s=%" PRIu64, ps_wal_rec_name(k), t->records[k]);
    if (t->records[0] != 0)
        printf(" unknown=%" PRIu64, t->records[0]);
    printf("\n");
    printf("    series records      %" PRIu64 " (%" PRIu64 " distinct label sets)\n",
           t->series, sum.label_sets);
    printf("    samples             %" PRIu64 " (%" PRIu64 " stale markers)\n",
           t->samples, t->stale_markers);
    printf("    histograms          %" PRIu64 "\n", t->histograms);
    printf("    exemplars           %" PRIu64 "\n", t->exemplars);
    if (t->tombstones || t->metadata || t->mmap_markers)
        printf("    tombstones/metadata/mmap markers  %" PRIu64 "/%" PRIu64 "/%" PRIu64 "\n",
               t->tombstones, t->metadata, t->mmap_markers);
    int has_t = t->min_t <= t->max_t;
    printf("    time range          %s .. %s\n", tfmt(t->min_t, has_t, a, sizeof(a)),
           tfmt(t->max_t, has_t, b, sizeof(b)));
    if (has_t) {
        ps_fmt_duration_ms(ps_sub_wrap(t->max_t, t->min_t), a, sizeof(a));
        printf("    span                %s\n", a);
    }
    printf("    samples per second  %.1f\n", sum.samples_per_second);
    printf("    bytes per sample    %.2f\n", sum.bytes_per_sample);
    printf("    compression         %.2fx (%" PRIu64 " snappy, %" PRIu64 " zstd records)\n",
           sum.compression_ratio, t->records_snappy, t->records_zstd);
    printf("    head replay keeps   %" PRIu64 " series, %" PRIu64 " samples\n",
           sum.head_series, sum.head_samples);
    printf("    dropped on replay   %" PRIu64 " unknown ref, %" PRIu64
           " out of order, %" PRIu64 " duplicate\n",
           t->unknown_ref, t->out_of_order, t->duplicate);
    if (sum.scrape_interval_median_ms >= 0) {
        ps_fmt_duration_ms(sum.scrape_interval_median_ms, a, sizeof(a));
        printf("    scrape interval     %s (median over series)\n", a);
    }
    struct ps_wal_interval_count ic[5];
    size_t nic = ps_wal_stats_intervals(s, ic, 5);
    for (size_t i = 0; i < nic; i++) {
        ps_fmt_duration_ms(ic[i].interval_ms, a, sizeof(a));
        printf("      %-8s %" PRIu64 " series\n", a, ic[i].series);
    }
    printf("    churn               %" PRIu64 " series created after the start, "
           "%.1f per hour\n",
           sum.series_created_after_start, sum.series_created_per_hour);
    struct ps_wal_hour_count *hc = NULL;
    size_t nhc = 0;
    if (ps_wal_stats_churn(s, &hc, &nhc) == PS_OK) {
        for (size_t i = 0; i < nhc; i++)
            printf("      %s  %" PRIu64 " series first seen\n",
                   tfmt(hc[i].hour_ms, 1, a, sizeof(a)), hc[i].series);
    }
    free(hc);
    for (int by = 0; by < 2; by++) {
        struct ps_wal_top top[PS_WAL_TOP];
        size_t n = ps_wal_stats_top(s, by, top, PS_WAL_TOP);
        if (n == 0)
            continue;
        int w = 13;
        for (size_t i = 0; i < n; i++) {
            size_t l = strlen(top[i].name);
            if (l > (size_t)w)
                w = l > 80 ? 80 : (int)l;
        }
        printf("\n  top metric names by %s\n", by ? "samples" : "series");
        printf("    %-*s %8s %10s\n", w, "NAME", "SERIES", "SAMPLES");
        for (size_t i = 0; i < n; i++)
            printf("    %-*s %8" PRIu64 " %10" PRIu64 "\n", w,
                   top[i].name[0] ? top[i].name : "(no __name__)",
                   top[i].series, top[i].samples);
    }
    if (s->ncorr > 0) {
        printf("\n  corruption (%zu%s)\n", s->ncorr,
               s->corr_dropped ? ", more not listed" : "");
        for (size_t i = 0; i < s->ncorr; i++) {
            const struct ps_wal_corruption *c = &s->corr[i];
            printf("    %s: fragment at %" PRIu64 ", %s%s\n"
                   "      Prometheus: corruption in segment %s at %" PRIu64 ": %s\n",
                   ps_wal_corrupt_name(c->kind), c->fragment_offset,
                   c->message, c->triggers_repair ? "" : " (replay ignores it)",
                   c->segment, c->prom_offset, c->message);
        }
    }
    if (s->repair) {
        int has = s->repair_min_t <= s->repair_max_t;
        printf("\n  a Prometheus repair would destroy: %" PRIu64 " records, %" PRIu64
               " samples, %s .. %s\n",
               s->repair_records, s->repair_samples,
               tfmt(s->repair_min_t, has, a, sizeof(a)),
               tfmt(s->repair_max_t, has, b, sizeof(b)));
        for (size_t i = 0; i < s->nsegs; i++)
            if (s->repair_seg_kind != PS_WAL_SEG_CHECKPOINT &&
                s->segs[i].kind == s->repair_seg_kind &&
                s->segs[i].index > s->repair_seg_index)
                printf("    deletes %s\n", s->segs[i].name);
    }
    for (size_t i = 0; i < s->notes.n; i++) {
        char line[1024];
        ps_diag_format(&s->notes.v[i], line, sizeof(line));
        printf("  note: %s\n", line);
    }
    printf("\n");
}

static int
is_segment_file(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    const char *base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;
    size_t n = strlen(base);
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (base[i] < '0' || base[i] > '9')
            return 0;
    return 1;
}

int
ps_cmd_wal(int argc, char **argv)
{
    enum ps_out_format fmt = PS_FMT_TEXT;
    const char *path = NULL;
    unsigned flags = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return PS_EXIT_OK;
        } else if (strcmp(a, "--format") == 0 || strncmp(a, "--format=", 9) == 0) {
            const char *v = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
            if (v == NULL)
                return ps_cli_usage_error(CMD, "--format needs a value");
            if (ps_cli_parse_format(v, &fmt) != 0)
                return PS_EXIT_USAGE;
        } else if (strcmp(a, "--threads") == 0 || strncmp(a, "--threads=", 10) == 0) {
            const char *v = a[9] == '=' ? a + 10 : (i + 1 < argc ? argv[++i] : NULL);
            char *end = NULL;
            long n = v != NULL ? strtol(v, &end, 10) : -1;
            if (v == NULL || *v == 0 || *end != 0 || n < 0 || n > 64)
                return ps_cli_usage_error(CMD, "--threads needs a number from 0 to 64");
            flags = n == 1 ? PS_WAL_SCAN_ONE_THREAD : PS_WAL_SCAN_THREADS(n);
        } else if (a[0] == '-' && a[1] != 0) {
            return ps_cli_usage_error(CMD, "unknown option '%s'", a);
        } else if (path == NULL) {
            path = a;
        } else {
            return ps_cli_usage_error(CMD, "only one PATH");
        }
    }
    if (path == NULL)
        return ps_cli_usage_error(CMD, "missing PATH");

    struct ps_diags diags;
    ps_diags_init(&diags);
    struct ps_wal_scan scan = {0};
    struct ps_bundle *b = NULL;
    enum ps_err err;
    if (is_segment_file(path)) {
        err = ps_wal_scan_file_flags(path, &diags, flags, &scan);
    } else {
        err = ps_bundle_open(path, NULL, &diags, &b);
        if (err == PS_OK)
            err = ps_wal_scan_bundle_flags(b, &diags, flags, &scan);
    }
    if (err != PS_OK) {
        ps_cli_print_diags(&diags);
        fprintf(stderr, "promsight wal: %s: %s\n", path, ps_strerror(err));
        ps_bundle_close(b);
        ps_diags_free(&diags);
        return PS_EXIT_ERROR;
    }
    int rc = PS_EXIT_OK;
    if (fmt == PS_FMT_JSON) {
        json_t *root = json_object();
        json_t *wals = json_array();
        for (size_t i = 0; i < scan.n; i++)
            json_array_append_new(wals, ps_wal_stats_json(&scan.wals[i]));
        json_object_set_new(root, "wals", wals);
        json_t *dj = json_array();
        for (size_t i = 0; i < diags.n; i++) {
            char line[1024];
            ps_diag_format(&diags.v[i], line, sizeof(line));
            json_array_append_new(dj, json_string(line));
        }
        json_object_set_new(root, "diagnostics", dj);
        if (ps_cli_dump_json(root, stdout) != 0)
            rc = PS_EXIT_ERROR;
    } else {
        if (scan.n == 0)
            printf("No WAL segments found in %s\n", path);
        for (size_t i = 0; i < scan.n; i++)
            print_wal(&scan.wals[i]);
        ps_cli_print_diags(&diags);
    }
    ps_wal_scan_free(&scan);
    ps_bundle_close(b);
    ps_diags_free(&diags);
    return rc;
}
