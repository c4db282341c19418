/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * wal_reader.c - the WAL container: pages, fragments, CRC32C, reassembly
 * and decompression (Prometheus tsdb/wlog). Fed a segment in any chunking;
 * holds one 32 KiB page and the record being reassembled, never a whole
 * segment. Corruption is located, reported and skipped, never repaired.
 *
 * Segment layout (no file header; every page 32768 bytes, the last page of
 * a segment may be short on disk and then reads as if zero-padded):
 *
 *   page := fragment* [0x00 zero-padding to the page end]
 *   fragment header, 7 bytes:
 *     +0  u8    type: bits 0-2 fragment type (0 padding, 1 full, 2 first,
 *               3 middle, 4 last), bit 3 snappy, bit 4 zstd, bits 5-7 unused
 *     +1  be16  payload length (<= 32761; a fragment never crosses a page)
 *     +3  be32  CRC32C (Castagnoli) of the payload bytes only, as stored
 *     +7        payload
 *
 * A record is one full fragment or first, middle*, last; the whole record
 * is compressed (snappy raw block, or a zstd frame) before it is split,
 * and every fragment carries the flag. Records never span segments.
 *
 * Offsets reported: fragment_offset = where the bad fragment's header
 * starts; prom_offset = how many bytes of the segment Prometheus' reader
 * had consumed when it raised the error (for a checksum mismatch, the end
 * of the bad fragment). After a container error the reader drops the
 * record in progress and resumes at the next page; fragments that continue
 * a dropped record (middle/last) are skipped silently until the next
 * full/first fragment.
 */
#include "promsight/ps_wal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "promsight/ps_crc32c.h"
#include "promsight/ps_dec.h"
#include "wal_int.h"

enum {
    FT_PAD = 0,
    FT_FULL = 1,
    FT_FIRST = 2,
    FT_MIDDLE = 3,
    FT_LAST = 4,
};
#define FLAG_SNAPPY 0x08u
#define FLAG_ZSTD 0x10u
#define FTYPE_MASK 0x07u
#define LEGACY_MAGIC 0x43AF00EFu

static const char *const corrupt_names[PS_WAL_C__COUNT] = {
    [PS_WAL_C_CHECKSUM] = "checksum_mismatch",
    [PS_WAL_C_TORN_RECORD] = "torn_record",
    [PS_WAL_C_INVALID_SIZE] = "invalid_record_size",
    [PS_WAL_C_FRAGMENT_ORDER] = "unexpected_fragment",
    [PS_WAL_C_FRAGMENT_TYPE] = "unknown_fragment_type",
    [PS_WAL_C_NONZERO_PADDING] = "nonzero_padding",
    [PS_WAL_C_PAGE_OVERFLOW] = "record_overflows_page",
    [PS_WAL_C_UNKNOWN_RECORD] = "unknown_record_type",
    [PS_WAL_C_DECOMPRESS] = "decompression_failed",
    [PS_WAL_C_TRUNCATED_BODY] = "truncated_record_body",
    [PS_WAL_C_TOO_LARGE] = "record_too_large",
    [PS_WAL_C_LEGACY] = "legacy_wal",
};

const char *
ps_wal_corrupt_name(enum ps_wal_corrupt k)
{
    return (unsigned)k < PS_WAL_C__COUNT ? corrupt_names[k] : "unknown";
}

const char *
ps_wal_seg_kind_name(enum ps_wal_seg_kind k)
{
    switch (k) {
    case PS_WAL_SEG_WAL: return "wal";
    case PS_WAL_SEG_CHECKPOINT: return "checkpoint";
    case PS_WAL_SEG_WBL: return "wbl";
    }
    return "wal";
}

void
ps_wal_reader_init(struct ps_wal_reader *r, ps_wal_record_fn on_record,
                   ps_wal_corrupt_fn on_corruption, void *ctx)
{
    memset(r, 0, sizeof(*r));
    r->on_record = on_record;
    r->on_corruption = on_corruption;
    r->ctx = ctx;
}

void
ps_wal_reader_free(struct ps_wal_reader *r)
{
    if (r == NULL)
        return;
    ps_buf_free(&r->stored);
    ps_buf_free(&r->plain);
    wal_decompress_free(&r->zstd);
}

static void
reset_record(struct ps_wal_reader *r)
{
    r->stored.n = 0;
    r->nfrag = 0;
    r->overflow = 0;
    r->compr = PS_WAL_COMPR_NONE;
}

static void
report(struct ps_wal_reader *r, enum ps_wal_corrupt kind, uint64_t frag_off,
       uint64_t prom_off, int repair, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void
report(struct ps_wal_reader *r, enum ps_wal_corrupt kind, uint64_t frag_off,
       uint64_t prom_off, int repair, const char *fmt, ...)
{
    struct ps_wal_corruption c;
    memset(&c, 0, sizeof(c));
    c.kind = kind;
    c.segment = r->seg;
    c.seg_index = r->seg_index;
    c.seg_kind = r->seg_kind;
    c.fragment_offset = frag_off;
    c.prom_offset = prom_off;
    c.triggers_repair = repair;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c.message, sizeof(c.message), fmt, ap);
    va_end(ap);
    if (r->on_corruption != NULL)
        r->on_corruption(r->ctx, &c);
}

void
ps_wal_reader_begin(struct ps_wal_reader *r, const char *name,
                    enum ps_wal_seg_kind kind, int64_t index)
{
    r->seg = name;
    r->seg_kind = kind;
    r->seg_index = index;
    r->seg_off = 0;
    r->page_n = 0;
    r->bytes = 0;
    r->skipping = 0;
    r->start_pos = 0;
    r->reached_cut = 0;
    r->first_rec_off = UINT64_MAX;
    r->first_rec_end = 0;
    r->first_rec_ft = 0;
    reset_record(r);
}

/* See wal_int.h. */
int
wal_decompress(enum ps_wal_compr compr, const uint8_t *src, size_t n,
               struct ps_buf *plain, void **zstd,
               uint8_t *(*reserve)(void *ctx, size_t n), void *rctx,
               const uint8_t **out_p, size_t *out_n, const char **why)
{
    plain->n = 0;
    if (compr == PS_WAL_COMPR_SNAPPY) {
        size_t out = 0;
        if (wal_snappy_length(src, n, &out) == 0) {
            *why = "snappy: corrupt input";
            return -1;
        }
        /* A snappy element of n bytes yields at most 64 bytes (a 3-byte
         * copy), so a longer claimed length is a lie: never allocate it. */
        if (out / 32 > n + 2) {
            *why = "snappy: corrupt input";
            return -1;
        }
        if (out > PS_WAL_MAX_RECORD) {
            *why = "snappy: decoded length over promsight's record limit";
            return -2;
        }
        /* wal_snappy_decode (not libsnappy's snappy_uncompress, which it
         * matches) for speed; it needs WAL_SNAPPY_SLACK spare bytes. */
        size_t room = out + WAL_SNAPPY_SLACK;
        uint8_t *dst = reserve != NULL ? reserve(rctx, room) : NULL;
        if (dst == NULL) {
            if (ps_buf_reserve(plain, room) != PS_OK) {
                *why = "out of memory";
                return -2;
            }
            dst = plain->p;
        }
        if (wal_snappy_decode(src, n, dst, out) != 0) {
            *why = "snappy: corrupt input";
            return -1;
        }
        *out_p = dst;
        *out_n = out;
        return 0;
    }
    /* zstd: stream into a buffer that grows up to the limit. */
    if (*zstd == NULL) {
        *zstd = ZSTD_createDCtx();
        if (*zstd == NULL) {
            *why = "out of memory";
            return -2;
        }
    }
    ZSTD_DCtx_reset(*zstd, ZSTD_reset_session_only);
    ZSTD_inBuffer in = {src, n, 0};
    for (;;) {
        if (plain->cap - plain->n < 65536) {
            if (plain->n >= PS_WAL_MAX_RECORD) {
                *why = "zstd: decoded length over promsight's record limit";
                return -2;
            }
            if (ps_buf_reserve(plain, 65536) != PS_OK) {
                *why = "out of memory";
                return -2;
            }
        }
        ZSTD_outBuffer out = {plain->p, plain->cap, plain->n};
        size_t rc = ZSTD_decompressStream(*zstd, &out, &in);
        plain->n = out.pos;
        *out_p = plain->p;
        *out_n = plain->n;
        if (ZSTD_isError(rc)) {
            *why = ZSTD_getErrorName(rc);
            return -1;
        }
        if (rc == 0) {
            /* Frame complete; Go's DecodeAll also decodes further frames,
             * but its encoder writes one. Trailing bytes are an error. */
            if (in.pos != in.size) {
                *why = "zstd: trailing bytes after frame";
                return -1;
            }
            return 0;
        }
        if (in.pos == in.size && out.pos < out.size) {
            *why = "zstd: unexpected end of frame";
            return -1;
        }
    }
}

void
wal_decompress_free(void **zstd)
{
    if (*zstd != NULL)
        ZSTD_freeDCtx(*zstd);
    *zstd = NULL;
}

/* The record's stored bytes are [src, src+n): r->stored, or the page
 * itself for a single full fragment (no copy). */
static void
finish_record(struct ps_wal_reader *r, const uint8_t *src, size_t n,
              uint64_t end_off)
{
    struct ps_wal_record rec;
    memset(&rec, 0, sizeof(rec));
    rec.stored_len = n;
    rec.compr = r->compr;
    rec.offset = r->rec_off;
    rec.end_offset = end_off;
    rec.nfragments = r->nfrag;
    if (r->overflow) {
        report(r, PS_WAL_C_TOO_LARGE, r->rec_off, end_off, 0,
               "record of more than %zu bytes not read", PS_WAL_MAX_STORED_RECORD);
        reset_record(r);
        return;
    }
    if (r->compr != PS_WAL_COMPR_NONE && n > 0) {
        const char *why = "";
        int rc = wal_decompress(r->compr, src, n, &r->plain, &r->zstd,
                                r->out_reserve, r->ctx, &r->out, &r->out_n,
                                &why);
        if (rc != 0) {
            report(r, rc == -1 ? PS_WAL_C_DECOMPRESS : PS_WAL_C_TOO_LARGE,
                   r->rec_off, end_off, rc == -1, "%s", why);
            reset_record(r);
            return;
        }
        rec.data = r->out;
        rec.len = r->out_n;
    } else {
        rec.data = src;
        rec.len = n;
    }
    if (r->on_record != NULL)
        r->on_record(r->ctx, &rec);
    reset_record(r);
}

/* Drop the record in progress and skip its continuation fragments. */
static void
resync(struct ps_wal_reader *r)
{
    reset_record(r);
    r->skipping = 1;
}

static void
process_page(struct ps_wal_reader *r, const uint8_t *pg)
{
    size_t pos = r->start_pos;
    r->start_pos = 0;

    if (r->seg_off == 0 && pos == 0 && ps_get_be32(pg) == LEGACY_MAGIC) {
        report(r, PS_WAL_C_LEGACY, 0, 0, 1,
               "pre-2.4 WAL (magic 0x43AF00EF): not a wlog segment");
        r->skipping = 2; /* ignore the whole segment */
    }
    if (r->skipping == 2)
        return;

    /* ps_wal_reader_cut: bytes from lim on never arrived */
    size_t lim = r->cut_n != 0 ? r->cut_n : PS_WAL_PAGE_SIZE;
    while (pos < PS_WAL_PAGE_SIZE) {
        if (pos >= lim) {
            r->reached_cut = pos == lim;
            return;
        }
        uint64_t at = r->seg_off + pos;
        uint8_t t = pg[pos];
        unsigned ft = t & FTYPE_MASK;
        if (ft == FT_PAD) {
            for (size_t i = pos + 1; i < PS_WAL_PAGE_SIZE; i++) {
                if (pg[i] != 0) {
                    report(r, PS_WAL_C_NONZERO_PADDING, at,
                           r->seg_off + PS_WAL_PAGE_SIZE, 1,
                           "unexpected non-zero byte in padded page");
                    resync(r);
                    break;
                }
            }
            return;
        }
        if (pos + PS_WAL_FRAG_HDR > PS_WAL_PAGE_SIZE) {
            report(r, PS_WAL_C_PAGE_OVERFLOW, at, at + PS_WAL_FRAG_HDR, 1,
                   "fragment header crosses the page boundary");
            resync(r);
            return;
        }
        if (pos + PS_WAL_FRAG_HDR > lim)
            return;
        uint16_t len = ps_get_be16(pg + pos + 1);
        uint32_t crc = ps_get_be32(pg + pos + 3);
        if (len > PS_WAL_FRAG_MAX) {
            report(r, PS_WAL_C_INVALID_SIZE, at, at + PS_WAL_FRAG_HDR, 1,
                   "invalid record size %u", (unsigned)len);
            resync(r);
            return;
        }
        uint64_t end = at + PS_WAL_FRAG_HDR + len;
        if (pos + PS_WAL_FRAG_HDR + len > PS_WAL_PAGE_SIZE) {
            report(r, PS_WAL_C_PAGE_OVERFLOW, at, end, 1,
                   "record would overflow current page");
            resync(r);
            return;
        }
        if (pos + PS_WAL_FRAG_HDR + len > lim)
            return;
        const uint8_t *payload = pg + pos + PS_WAL_FRAG_HDR;
        uint32_t c = wal_crc32c(payload, len);
        if (c != crc) {
            report(r, PS_WAL_C_CHECKSUM, at, end, 1,
                   "unexpected checksum %x, expected %x", (unsigned)c,
                   (unsigned)crc);
            resync(r);
            return;
        }
        pos += PS_WAL_FRAG_HDR + len;
        if (ft > FT_LAST) {
            report(r, PS_WAL_C_FRAGMENT_TYPE, at, end, 1,
                   "unexpected record type %u", ft);
            resync(r);
            return;
        }
        if (r->skipping) {
            if (ft == FT_MIDDLE || ft == FT_LAST)
                continue;
            r->skipping = 0;
        }
        if ((ft == FT_FULL || ft == FT_FIRST) && r->nfrag != 0) {
            report(r, PS_WAL_C_FRAGMENT_ORDER, at, end, 1, "%s",
                   ft == FT_FULL ? "unexpected full record"
                                 : "unexpected first record, dropping buffer");
            reset_record(r); /* the new fragment starts a fresh record */
        } else if ((ft == FT_MIDDLE || ft == FT_LAST) && r->nfrag == 0) {
            report(r, PS_WAL_C_FRAGMENT_ORDER, at, end, 1, "%s",
                   ft == FT_MIDDLE ? "unexpected middle record, dropping buffer"
                                   : "unexpected last record, dropping buffer");
            r->skipping = 1;
            continue;
        }
        if (r->nfrag == 0) {
            r->rec_off = at;
            if (r->first_rec_off == UINT64_MAX) {
                r->first_rec_off = at;
                r->first_rec_end = end;
                r->first_rec_ft = ft;
            }
        }
        r->nfrag++;
        r->compr = (t & FLAG_SNAPPY) ? PS_WAL_COMPR_SNAPPY
                   : (t & FLAG_ZSTD) ? PS_WAL_COMPR_ZSTD
                                     : PS_WAL_COMPR_NONE;
        if (ft == FT_FULL) {
            finish_record(r, payload, len, end);
            continue;
        }
        if (!r->overflow) {
            if (r->stored.n + len > PS_WAL_MAX_STORED_RECORD ||
                ps_buf_append(&r->stored, payload, len) != PS_OK) {
                r->overflow = 1;
                r->stored.n = 0;
            }
        }
        if (ft == FT_LAST)
            finish_record(r, r->stored.p, r->stored.n, end);
    }
}

enum ps_err
ps_wal_reader_feed(struct ps_wal_reader *r, const void *p, size_t n)
{
    const uint8_t *b = p;
    r->bytes += n;
    while (n > 0) {
        if (r->page_n == 0 && n >= PS_WAL_PAGE_SIZE) {
            /* a whole page straight from the caller's buffer, no copy */
            process_page(r, b);
            r->seg_off += PS_WAL_PAGE_SIZE;
            b += PS_WAL_PAGE_SIZE;
            n -= PS_WAL_PAGE_SIZE;
            continue;
        }
        size_t take = PS_WAL_PAGE_SIZE - r->page_n;
        if (take > n)
            take = n;
        memcpy(r->page + r->page_n, b, take);
        r->page_n += take;
        b += take;
        n -= take;
        if (r->page_n == PS_WAL_PAGE_SIZE) {
            process_page(r, r->page);
            r->seg_off += PS_WAL_PAGE_SIZE;
            r->page_n = 0;
        }
    }
    return PS_OK;
}

enum ps_err
ps_wal_reader_end(struct ps_wal_reader *r)
{
    if (r->page_n > 0) {
        memset(r->page + r->page_n, 0, PS_WAL_PAGE_SIZE - r->page_n);
        process_page(r, r->page);
        r->seg_off += PS_WAL_PAGE_SIZE;
        r->page_n = 0;
    }
    if (r->nfrag > 0 && r->skipping != 2)
        report(r, PS_WAL_C_TORN_RECORD, r->rec_off, r->seg_off, 1,
               "last record is torn");
    reset_record(r);
    r->skipping = 0;
    return PS_OK;
}

enum ps_err
ps_wal_reader_cut(struct ps_wal_reader *r)
{
    if (r->page_n > 0) {
        memset(r->page + r->page_n, 0, PS_WAL_PAGE_SIZE - r->page_n);
        r->cut_n = r->page_n;
        process_page(r, r->page);
        r->cut_n = 0;
        r->page_n = 0;
    }
    reset_record(r);
    r->skipping = 0;
    return PS_OK;
}
