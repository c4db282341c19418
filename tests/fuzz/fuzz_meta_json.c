/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_meta_json.c - libFuzzer harness: meta.json (with the Thanos section) and thanos.shipper.json on the same bytes.
 */
#include <stddef.h>
#include <stdint.h>

#include "promsight/ps_err.h"
#include "promsight/ps_tsdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ps_diags d;
    ps_diags_init(&d);
    struct ps_tsdb_meta m;
    struct ps_tsdb_shipper s;
    ps_tsdb_meta_parse(data, size, "fuzz", &m, &d);
    ps_tsdb_meta_free(&m);
    ps_tsdb_shipper_parse(data, size, "fuzz", &s, &d);
    ps_tsdb_shipper_free(&s);
    ps_diags_free(&d);
    return 0;
}
