/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_classify.c - libFuzzer harness for ps_classify and the path
 * helpers: the input is classified as content under a few paths that
 * trigger each path rule, then used itself as a path (NUL-terminated
 * copy) for normalisation, label derivation and path-only classification.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/bundle_int.h"
#include "promsight/ps_bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const paths[] = {
    "renamed.bin",
    "p-0/data/wal/00000012",
    "t/wal/checkpoint.00000007/00000000",
    "01M864D9H9AE6X0DTHX5JE1SN3/meta.json",
    "01M864D9H9AE6X0DTHX5JE1SN3/chunks/000001",
    "chunks_head/000001",
    "logs/pod-0/c.log",
    "dumps/1.prom",
    "api/targets.json",
    "config/prometheus.yml",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n = size < PS_BUNDLE_HEAD ? size : PS_BUNDLE_HEAD;
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        const char *by = NULL;
        enum ps_kind k = ps_classify(paths[i], data, n, &by);
        if ((unsigned)k >= PS_KIND__COUNT || by == NULL)
            abort();
        struct ps_labels l;
        ps_bundle_labels(paths[i], k, &l);
    }
    char *p = malloc(size + 1);
    if (p == NULL)
        return 0;
    memcpy(p, data, size);
    p[size] = 0;
    char norm[4096];
    unsigned depth;
    ps_bundle_path_norm(p, norm, sizeof(norm), &depth);
    for (int k = 0; k < PS_KIND__COUNT; k++) {
        struct ps_labels l;
        ps_bundle_labels(norm, (enum ps_kind)k, &l);
    }
    (void)ps_classify(norm, data, n, NULL);
    (void)ps_classify(p, NULL, 0, NULL);
    free(p);
    return 0;
}
