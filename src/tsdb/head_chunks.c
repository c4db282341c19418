/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * head_chunks.c - one chunks_head/NNNNNN file (Prometheus
 * tsdb/chunks/head_chunks.go): the m-mapped chunks of the head block.
 *
 *   offset 0  be32 magic 0x0130BC91, u8 version 1, 3 zero bytes
 *   then records:
 *             be64 series ref, be64 mint, be64 maxt,
 *             u8 encoding (bit 7 = out-of-order chunk), uvarint dataLen,
 *             data[dataLen], be32 CRC32C over everything from the series
 *             ref through the data
 *   Files are preallocated: a zero tail is normal. The data ends where
 *   fewer than 34 bytes remain and all are zero, or at a record whose
 *   series ref, mint and maxt are all zero.
 */
#include <string.h>

#include "promsight/ps_crc32c.h"
#include "promsight/ps_dec.h"
#include "promsight/ps_tsdb.h"
#include "promsight/ps_util.h"

#define PH "tsdb/head-chunks"
#define META_MAX 34

static int
all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0)
            return 0;
    return 1;
}

enum ps_err
ps_tsdb_head_chunks_scan(const uint8_t *p, size_t n, const char *path,
                         struct ps_tsdb_head_stats *st, struct ps_diags *d)
{
    memset(st, 0, sizeof(*st));
    st->min_time = INT64_MAX;
    st->max_time = INT64_MIN;
    struct ps_tsdb_seg seg = {p, n, path, 0};
    if (!ps_tsdb_seg_check(&seg, PS_TSDB_HEAD_CHUNKS_MAGIC, d))
        return PS_E_CORRUPT;
    struct ps_map64 refs = {0};
    size_t off = PS_TSDB_SEG_HEADER;
    enum ps_err rc = PS_OK;
    while (off < n) {
        size_t left = n - off;
        if (left < META_MAX && all_zero(p + off, left)) {
            st->zero_tail_bytes = left;
            break;
        }
        if (left < 25) {
            ps_diag_add(d, PS_SEV_ERROR, PS_E_TRUNCATED, path, off, 0, PH,
                        "%zu bytes left: not zero and too short for a chunk header",
                        left);
            rc = PS_E_TRUNCATED;
            break;
        }
        uint64_t ref = ps_get_be64(p + off);
        int64_t mint = (int64_t)ps_get_be64(p + off + 8);
        int64_t maxt = (int64_t)ps_get_be64(p + off + 16);
        if (ref == 0 && mint == 0 && maxt == 0) {
            if (!all_zero(p + off, left))
                ps_diag_add(d, PS_SEV_WARN, PS_E_CORRUPT, path, off, 0, PH,
                            "end-of-data marker followed by non-zero bytes");
            st->zero_tail_bytes = left;
            break;
        }
        unsigned enc = p[off + 24];
        uint64_t len;
        int k = ps_uvarint(p + off + 25, p + n, &len);
        if (k <= 0 || len > left - 25 - (size_t)k || left - 25 - (size_t)k - len < 4) {
            ps_diag_add(d, PS_SEV_ERROR, PS_E_TRUNCATED, path, off, 0, PH,
                        "chunk record runs past the end of the file");
            rc = PS_E_TRUNCATED;
            break;
        }
        size_t body = 25 + (size_t)k + (size_t)len;
        uint32_t want = ps_get_be32(p + off + body), got = ps_crc32c(p + off, body);
        if (want != got) {
            st->bad_crc++;
            ps_diag_add(d, PS_SEV_ERROR, PS_E_CORRUPT, path, off + body, 0,
                        "tsdb/head-chunks-crc",
                        "chunk of series %llu: CRC32C 0x%08x stored, 0x%08x computed",
                        (unsigned long long)ref, want, got);
        }
        if (enc & 0x80)
            st->ooo_chunks++;
        int ns = ps_tsdb_chunk_num_samples(enc & 0x7f, p + off + 25 + k, (size_t)len);
        if (ns > 0)
            st->samples += (uint64_t)ns;
        st->chunks++;
        if (mint < st->min_time)
            st->min_time = mint;
        if (maxt > st->max_time)
            st->max_time = maxt;
        int ins = 0;
        if (ps_map64_slot(&refs, ref, &ins) != NULL && ins)
            st->series++;
        off += body + 4;
    }
    ps_map64_free(&refs);
    return rc;
}
