/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_xor.c - libFuzzer harness: both XOR chunk decoders (sample by sample
 * and whole chunk) on raw chunk data; they must decode the same count.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "promsight/ps_err.h"
#include "promsight/ps_tsdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ps_diags d;
    ps_diags_init(&d);
    struct ps_tsdb_xor_it it;
    int64_t t;
    double v;
    static int64_t ts[65536], its[65536];
    static uint64_t ivs[65536];
    static double vs[65536];
    ps_tsdb_xor_init(&it, data, size);
    size_t n = 0, got = 0;
    while (ps_tsdb_xor_next(&it, &t, &v) == PS_OK) {
        its[n] = t;
        memcpy(&ivs[n], &v, sizeof(v));
        n++;
    }
    struct ps_tsdb_tdelta dl;
    enum ps_err e = ps_tsdb_xor_decode(data, size, ts, vs, 65536, &got, &dl);
    /* the two decoders must agree on every sample, bit for bit, and on
       whether the chunk ended cleanly */
    if (got != n || (e == PS_OK) != (it.err == PS_OK))
        __builtin_trap();
    for (size_t i = 0; i < n; i++) {
        uint64_t vb;
        memcpy(&vb, &vs[i], sizeof(vb));
        if (ts[i] != its[i] || vb != ivs[i])
            __builtin_trap();
    }
    /* timestamps only (v == NULL: a copy of the decoder without the
       values) gives the same timestamps, count, result and summary */
    static int64_t ts2[65536];
    struct ps_tsdb_tdelta dl2;
    size_t got2 = 0;
    enum ps_err e2 = ps_tsdb_xor_decode(data, size, ts2, NULL, 65536, &got2, &dl2);
    if (e2 != e || got2 != got || memcmp(ts2, ts, got * sizeof(ts[0])) != 0 ||
        (e == PS_OK && (dl2.min != dl.min || dl2.max != dl.max || dl2.wrapped != dl.wrapped)))
        __builtin_trap();
    /* the delta summary of a cleanly decoded chunk matches the samples */
    if (e == PS_OK && n >= 2) {
        int64_t mn = 0, mx = 0;
        int wr = 0;
        for (size_t i = 1; i < n; i++) {
            int64_t dd = (int64_t)((uint64_t)its[i] - (uint64_t)its[i - 1]);
            mn = i == 1 || dd < mn ? dd : mn;
            mx = i == 1 || dd > mx ? dd : mx;
            wr |= (its[i] < its[i - 1]) != (dd < 0);
        }
        if (dl.min != mn || dl.max != mx || dl.wrapped != wr)
            __builtin_trap();
    }
    ps_diags_free(&d);
    return 0;
}
