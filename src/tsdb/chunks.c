/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * chunks.c - block chunk segment files (Prometheus tsdb/chunks/chunks.go):
 * header check, random access to one chunk by reference, a sequential scan
 * of every record, and the sample count of each chunk encoding's header.
 *
 *   offset 0  be32 magic 0x85BD40DD, u8 version 1, 3 zero bytes
 *   then chunks back to back:
 *             uvarint dataLen (data only), u8 encoding, data[dataLen],
 *             be32 CRC32C over (encoding byte + data)
 * A chunk ref is (0-based index of the file in chunks/) << 32 | offset of
 * the dataLen varint.
 *
 * Sample counts: XOR(1), histogram(2), float histogram(3), XOR2(4) keep
 * be16 numSamples in data[0:2]; the ST histogram variants (5, 6) keep it
 * in the low 14 bits of that be16. Thanos' aggregate chunk (0xFF) holds
 * sub-chunks and has no single count.
 */
#include <string.h>

#include "promsight/ps_crc32c.h"
#include "promsight/ps_dec.h"
#include "promsight/ps_tsdb.h"

const char *
ps_tsdb_enc_name(unsigned enc)
{
    switch (enc) {
    case PS_TSDB_ENC_NONE: return "none";
    case PS_TSDB_ENC_XOR: return "XOR";
    case PS_TSDB_ENC_HISTOGRAM: return "histogram";
    case PS_TSDB_ENC_FLOAT_HISTOGRAM: return "floathistogram";
    case PS_TSDB_ENC_XOR2: return "XOR2";
    case PS_TSDB_ENC_HISTOGRAM_ST: return "histogramST";
    case PS_TSDB_ENC_FLOAT_HISTOGRAM_ST: return "floathistogramST";
    case PS_TSDB_ENC_THANOS_AGGR: return "thanos-aggr";
    default: return "unknown";
    }
}

int
ps_tsdb_seg_check(struct ps_tsdb_seg *s, uint32_t magic, struct ps_diags *d)
{
    s->header_ok = 0;
    if (s->n < PS_TSDB_SEG_HEADER) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_TRUNCATED, s->path, 0, 0, "tsdb/chunks",
                    "file of %zu bytes is shorter than the %d-byte header", s->n,
                    PS_TSDB_SEG_HEADER);
        return 0;
    }
    uint32_t m = ps_get_be32(s->p);
    if (m != magic) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_CORRUPT, s->path, 0, 0, "tsdb/chunks",
                    "magic 0x%08x, expected 0x%08x", m, magic);
        return 0;
    }
    if (s->p[4] != 1)
        ps_diag_add(d, PS_SEV_ERROR, PS_E_UNSUPPORTED, s->path, 4, 0, "tsdb/chunks",
                    "segment version %u, expected 1", s->p[4]);
    s->header_ok = 1;
    return 1;
}

enum ps_err
ps_tsdb_chunk_at(const struct ps_tsdb_seg *seg, uint64_t off, struct ps_tsdb_chunk *c)
{
    memset(c, 0, sizeof(*c));
    c->off = off;
    if (off < PS_TSDB_SEG_HEADER || off >= seg->n)
        return PS_E_TRUNCATED;
    uint64_t len;
    int k = ps_uvarint(seg->p + off, seg->p + seg->n, &len);
    if (k <= 0)
        return k == 0 ? PS_E_TRUNCATED : PS_E_CORRUPT;
    uint64_t left = seg->n - off - (uint64_t)k;
    if (left < 5 || len > left - 5)
        return PS_E_TRUNCATED;
    const uint8_t *e = seg->p + off + k;
    c->enc = e[0];
    c->data = e + 1;
    c->len = (size_t)len;
    c->total = (size_t)k + 1 + (size_t)len + 4;
    c->crc_ok = ps_crc32c(e, (size_t)len + 1) == ps_get_be32(e + 1 + len);
    return PS_OK;
}

enum ps_err
ps_tsdb_seg_scan(const struct ps_tsdb_seg *seg, struct ps_tsdb_seg_stats *st,
                 struct ps_diags *d)
{
    memset(st, 0, sizeof(*st));
    uint64_t off = PS_TSDB_SEG_HEADER;
    while (off < seg->n) {
        struct ps_tsdb_chunk c;
        enum ps_err e = ps_tsdb_chunk_at(seg, off, &c);
        if (e != PS_OK) {
            ps_diag_add(d, PS_SEV_ERROR, e, seg->path, off, 0, "tsdb/chunks",
                        "chunk record runs past the end of the file (%llu bytes left)",
                        (unsigned long long)(seg->n - off));
            return e;
        }
        st->chunks++;
        st->bytes += c.total;
        st->by_enc[c.enc <= 6 ? c.enc : 7]++;
        if (!c.crc_ok)
            st->bad_crc++;
        off += c.total;
    }
    return PS_OK;
}

int
ps_tsdb_chunk_num_samples(unsigned enc, const uint8_t *p, size_t n)
{
    if (n < 2)
        return -1;
    switch (enc) {
    case PS_TSDB_ENC_XOR:
    case PS_TSDB_ENC_HISTOGRAM:
    case PS_TSDB_ENC_FLOAT_HISTOGRAM:
    case PS_TSDB_ENC_XOR2:
        return ps_get_be16(p);
    case PS_TSDB_ENC_HISTOGRAM_ST:
    case PS_TSDB_ENC_FLOAT_HISTOGRAM_ST:
        return ps_get_be16(p) & 0x3FFF;
    default:
        return -1;
    }
}
