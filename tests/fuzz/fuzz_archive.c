/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_archive.c - libFuzzer harness for the archive walker: the input is
 * opened as an in-memory archive (ps_bundle_open_memory, private to
 * src/bundle/), walked twice with small limits while every safe regular
 * file is read in small pieces or slurped, then listed with
 * ps_bundle_inventory and searched with ps_bundle_read_entry. Must never
 * crash, hang, leak or read outside its buffers.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/bundle_int.h"
#include "promsight/ps_bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum ps_err
visit(void *ctx, const struct ps_entry *e, struct ps_stream *s)
{
    unsigned *mode = ctx;
    if (s == NULL)
        return PS_OK;
    if ((*mode + strlen(e->path)) % 2 == 0) {
        uint8_t *p;
        size_t n;
        if (ps_stream_slurp(s, 1 << 20, &p, &n) == PS_OK)
            free(p);
    } else {
        uint8_t buf[513];
        while (ps_stream_read(s, buf, sizeof(buf)) > 0)
            ;
    }
    (*mode)++;
    return PS_OK;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ps_bundle_limits lim;
    ps_bundle_limits_default(&lim);
    lim.max_entry_bytes = 1 << 20;
    lim.max_total_bytes = 8 << 20;
    lim.max_entries = 200;
    lim.max_depth = 16;
    lim.max_ratio = 50;
    struct ps_diags d;
    ps_diags_init(&d);
    struct ps_bundle *b;
    if (ps_bundle_open_memory(data, size, &lim, &d, &b) != PS_OK) {
        ps_diags_free(&d);
        return 0;
    }
    unsigned mode = 0;
    (void)ps_bundle_walk(b, visit, &mode);
    (void)ps_bundle_walk(b, visit, &mode);
    struct ps_inventory inv;
    (void)ps_bundle_inventory(b, &inv);
    if (inv.n > 0) {
        char path[256];
        snprintf(path, sizeof(path), "%s", inv.v[inv.n - 1].path);
        uint8_t *p;
        size_t n;
        if (ps_bundle_read_entry(b, path, 1 << 16, &p, &n) == PS_OK)
            free(p);
    }
    ps_inventory_free(&inv);
    ps_bundle_close(b);
    ps_diags_free(&d);
    return 0;
}
