/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench_metrics_parse.c - benchmark driver for bench_metrics.sh (built by
 * that script against the library, not by the Makefile): times the
 * exposition line parser alone over a file held in memory, then the whole
 * loader (parse + redaction + fact store) over the same bytes, and prints
 * MB/s for each. Usage: bench_metrics_parse FILE
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics/metrics_int.h"
#include "promsight/ps_facts.h"

static double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE\n", argv[0]);
        return 2;
    }
    FILE *fp = fopen(argv[1], "rb");
    if (fp == NULL) {
        perror(argv[1]);
        return 1;
    }
    fseek(fp, 0, SEEK_END);
    long sz = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = malloc((size_t)sz + 1);
    if (buf == NULL || fread(buf, 1, (size_t)sz, fp) != (size_t)sz) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 1;
    }
    fclose(fp);
    double mb = (double)sz / 1e6;

    struct ps_expo_parser p;
    if (ps_expo_parser_init(&p, (size_t)1 << 20, 512) != PS_OK)
        return 1;
    size_t samples = 0, errors = 0;
    double t0 = now();
    for (size_t i = 0; i < (size_t)sz;) {
        const char *nl = memchr(buf + i, '\n', (size_t)sz - i);
        size_t end = nl != NULL ? (size_t)(nl - buf) : (size_t)sz;
        struct ps_expo_item it;
        if (end - i <= ((size_t)1 << 20)) {
            ps_expo_parse_line(&p, buf + i, end - i, &it);
            samples += it.kind == PS_EL_SAMPLE;
            errors += it.kind == PS_EL_ERROR;
        }
        i = end + 1;
    }
    double t1 = now();
    ps_expo_parser_free(&p);
    printf("parse only:        %8.1f MB in %6.3f s = %7.1f MB/s (%zu samples, %zu errors)\n",
           mb, t1 - t0, mb / (t1 - t0), samples, errors);

    struct ps_diags d;
    ps_diags_init(&d);
    struct ps_facts *f = ps_facts_new();
    struct ps_metrics *m = ps_metrics_new(f, &d, NULL);
    struct ps_entry e;
    memset(&e, 0, sizeof(e));
    e.path = "bench/1795502084.prom";
    e.kind = PS_KIND_METRIC_DUMP;
    e.pod = "bench-0";
    t0 = now();
    enum ps_err r = ps_metrics_load_exposition_mem(m, &e, (const uint8_t *)buf, (size_t)sz);
    t1 = now();
    printf("parse + fact store:%8.1f MB in %6.3f s = %7.1f MB/s (%zu series, %s)\n",
           mb, t1 - t0, mb / (t1 - t0), ps_facts_nseries(f), ps_strerror(r));
    ps_metrics_free(m);
    ps_facts_free(f);
    ps_diags_free(&d);
    free(buf);
    return 0;
}
