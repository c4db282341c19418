/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tombstones.c - a block's tombstones file (Prometheus
 * tsdb/tombstones/tombstones.go; its .md is stale on the trailer).
 *
 *   be32 magic 0x0130BA30, u8 version 1
 *   repeat: uvarint series ref, varint mint, varint maxt   (one interval)
 *   be32 CRC32C over the entries only (not magic, not version)
 * An empty file is 01 30 BA 30 01 00 00 00 00.
 */
#include <stdlib.h>
#include <string.h>

#include "promsight/ps_crc32c.h"
#include "promsight/ps_dec.h"
#include "promsight/ps_tsdb.h"
#include "promsight/ps_util.h"

#define TOMB_MAGIC 0x0130BA30u
#define PH "tsdb/tombstones"

enum ps_err
ps_tsdb_tombstones_parse(const uint8_t *p, size_t n, const char *path,
                         struct ps_tsdb_tombstones *t, struct ps_diags *d)
{
    memset(t, 0, sizeof(*t));
    if (n < 9) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_TRUNCATED, path, 0, 0, PH,
                    "file of %zu bytes is shorter than 9 (magic, version, CRC)", n);
        return PS_E_TRUNCATED;
    }
    if (ps_get_be32(p) != TOMB_MAGIC) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_CORRUPT, path, 0, 0, PH,
                    "magic 0x%08x, expected 0x%08x", ps_get_be32(p), TOMB_MAGIC);
        return PS_E_CORRUPT;
    }
    if (p[4] != 1)
        ps_diag_add(d, PS_SEV_ERROR, PS_E_UNSUPPORTED, path, 4, 0, PH,
                    "version %u, expected 1", p[4]);
    const uint8_t *body = p + 5;
    size_t blen = n - 9;
    uint32_t want = ps_get_be32(p + n - 4), got = ps_crc32c(body, blen);
    t->crc_ok = want == got;
    if (!t->crc_ok)
        ps_diag_add(d, PS_SEV_ERROR, PS_E_CORRUPT, path, n - 4, 0, "tsdb/tombstones-crc",
                    "CRC32C 0x%08x stored, 0x%08x computed", want, got);
    struct ps_dec dec;
    ps_dec_init(&dec, body, blen);
    size_t cap = 0;
    while (ps_dec_left(&dec) > 0) {
        uint64_t at = (uint64_t)(dec.p - p);
        struct ps_tsdb_stone s;
        s.ref = ps_dec_uvarint(&dec);
        s.mint = ps_dec_varint(&dec);
        s.maxt = ps_dec_varint(&dec);
        if (dec.err != PS_OK) {
            ps_diag_add(d, PS_SEV_ERROR, dec.err, path, at, 0, PH,
                        "interval %zu: truncated or malformed varint", t->n);
            return dec.err;
        }
        if (s.maxt < s.mint)
            ps_diag_add(d, PS_SEV_WARN, PS_E_CORRUPT, path, at, 0, PH,
                        "interval %zu: maxt %lld before mint %lld", t->n,
                        (long long)s.maxt, (long long)s.mint);
        if (t->n == cap && ps_grow((void **)&t->v, &cap, t->n + 1, sizeof(s)) != PS_OK)
            return PS_E_NOMEM;
        t->v[t->n++] = s;
    }
    return PS_OK;
}

void
ps_tsdb_tombstones_free(struct ps_tsdb_tombstones *t)
{
    if (t == NULL)
        return;
    free(t->v);
    memset(t, 0, sizeof(*t));
}
