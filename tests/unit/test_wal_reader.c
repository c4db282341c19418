/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_wal_reader.c - the WAL container reader: fragments and pages,
 * CRC32C, full/first/middle/last reassembly, snappy/zstd/plain records
 * mixed in one segment, any feed chunking, and every corruption kind with
 * its located offsets and the resynchronisation after it. Segments are
 * built by the test writer (test_wal_writer.h).
 */
#include "test_util.h"
#include "test_wal_writer.h"

#include "promsight/ps_wal.h"

#define MAXREC 64

struct got {
    size_t nrec;
    struct ps_buf rec[MAXREC];
    enum ps_wal_compr compr[MAXREC];
    uint64_t off[MAXREC], end[MAXREC];
    unsigned nfrag[MAXREC];
    size_t ncorr;
    struct ps_wal_corruption corr[16];
};

static void
got_record(void *ctx, const struct ps_wal_record *r)
{
    struct got *g = ctx;
    if (g->nrec >= MAXREC)
        return;
    memset(&g->rec[g->nrec], 0, sizeof(g->rec[0]));
    ps_buf_append(&g->rec[g->nrec], r->data, r->len);
    g->compr[g->nrec] = r->compr;
    g->off[g->nrec] = r->offset;
    g->end[g->nrec] = r->end_offset;
    g->nfrag[g->nrec] = r->nfragments;
    g->nrec++;
}

static void
got_corruption(void *ctx, const struct ps_wal_corruption *c)
{
    struct got *g = ctx;
    if (g->ncorr < 16)
        g->corr[g->ncorr] = *c;
    g->ncorr++;
}

static void
got_free(struct got *g)
{
    for (size_t i = 0; i < g->nrec && i < MAXREC; i++)
        ps_buf_free(&g->rec[i]);
    memset(g, 0, sizeof(*g));
}

/* Read seg (n bytes) fed in chunks of `chunk` bytes, ended as a whole
 * segment (ps_wal_reader_end) or as one whose bytes stopped coming
 * (cut = 1: ps_wal_reader_cut). */
static void
read_seg_as(const uint8_t *seg, size_t n, size_t chunk, int cut, struct got *g)
{
    struct ps_wal_reader r;
    memset(g, 0, sizeof(*g));
    ps_wal_reader_init(&r, got_record, got_corruption, g);
    ps_wal_reader_begin(&r, "seg", PS_WAL_SEG_WAL, 3);
    for (size_t off = 0; off < n; off += chunk)
        ps_wal_reader_feed(&r, seg + off, n - off < chunk ? n - off : chunk);
    if (cut)
        ps_wal_reader_cut(&r);
    else
        ps_wal_reader_end(&r);
    ps_wal_reader_free(&r);
}

static void
read_seg(const uint8_t *seg, size_t n, size_t chunk, struct got *g)
{
    read_seg_as(seg, n, chunk, 0, g);
}

/* A record of n bytes: type byte 2 then a compressible or random body. */
static void
make_rec(struct ps_buf *b, size_t n, int compressible, uint32_t seed)
{
    b->n = 0;
    tw_u8(b, 2);
    uint32_t x = seed | 1;
    for (size_t i = 1; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        tw_u8(b, compressible ? (uint8_t)(i / 64) : (uint8_t)x);
    }
}

static void
test_mixed_compression_and_reassembly(void **state)
{
    (void)state;
    struct tw w = {0};
    struct ps_buf r[6] = {{0}};
    make_rec(&r[0], 100, 1, 1);      /* snappy, full */
    make_rec(&r[1], 100, 0, 2);      /* random: snappy does not help -> plain */
    make_rec(&r[2], 100000, 0, 3);   /* plain, first/middle/last over 4 pages */
    make_rec(&r[3], 200000, 1, 4);   /* zstd */
    make_rec(&r[4], 1, 1, 5);        /* one byte */
    make_rec(&r[5], 70000, 1, 6);    /* snappy, may span pages */
    enum tw_compr c[6] = {TW_SNAPPY, TW_SNAPPY, TW_NONE, TW_ZSTD, TW_SNAPPY,
                          TW_SNAPPY};
    size_t off[6];
    for (int i = 0; i < 6; i++)
        off[i] = tw_log(&w, r[i].p, r[i].n, c[i]);
    static const size_t chunks[] = {1, 7, 4096, 32768, 1 << 20};
    for (size_t k = 0; k < sizeof(chunks) / sizeof(chunks[0]); k++) {
        struct got g;
        read_seg(w.seg.p, w.seg.n, chunks[k], &g);
        assert_int_equal(g.ncorr, 0);
        assert_int_equal(g.nrec, 6);
        for (int i = 0; i < 6; i++) {
            assert_int_equal(g.rec[i].n, r[i].n);
            assert_memory_equal(g.rec[i].p, r[i].p, r[i].n);
            assert_int_equal(g.off[i], off[i]);
        }
        assert_int_equal(g.compr[0], PS_WAL_COMPR_SNAPPY);
        assert_int_equal(g.compr[1], PS_WAL_COMPR_NONE);
        assert_int_equal(g.compr[2], PS_WAL_COMPR_NONE);
        assert_int_equal(g.compr[3], PS_WAL_COMPR_ZSTD);
        assert_true(g.nfrag[2] >= 4);
        got_free(&g);
    }
    for (int i = 0; i < 6; i++)
        ps_buf_free(&r[i]);
    tw_free(&w);
}

/* Every fragment of a multi-page record sits inside one page, and a page
 * with < 7 bytes left is padded (the writer's rule, checked on its output
 * so the corruption tests below damage realistic segments). */
static void
test_writer_follows_page_rules(void **state)
{
    (void)state;
    /* 7 + 32761 fills page 0 exactly; 7 + 32755 leaves 6 bytes, which the
     * writer pads: either way the next record starts on page 1. 7 + 32754
     * leaves exactly 7: Prometheus then writes a zero-length "first"
     * fragment there and the rest on page 1. */
    static const size_t first[] = {32761, 32755, 32754};
    static const size_t want[] = {TW_PAGE, TW_PAGE, 7 + 32754};
    for (int k = 0; k < 3; k++) {
        struct tw w = {0};
        struct ps_buf r = {0};
        make_rec(&r, first[k], 0, 9);
        tw_log(&w, r.p, r.n, TW_NONE);
        make_rec(&r, 10, 0, 10);
        size_t o = tw_log(&w, r.p, r.n, TW_NONE);
        assert_int_equal(o, want[k]);
        struct got g;
        read_seg(w.seg.p, w.seg.n, 999, &g);
        assert_int_equal(g.ncorr, 0);
        assert_int_equal(g.nrec, 2);
        assert_int_equal(g.rec[0].n, first[k]);
        assert_int_equal(g.nfrag[0], 1);
        assert_int_equal(g.nfrag[1], k == 2 ? 2 : 1);
        got_free(&g);
        ps_buf_free(&r);
        tw_free(&w);
    }
}

/* Segment with three records, the middle one spanning pages 0-2. */
static void
three_records(struct tw *w, size_t off[3])
{
    struct ps_buf r = {0};
    make_rec(&r, 1000, 0, 11);
    off[0] = tw_log(w, r.p, r.n, TW_NONE);
    make_rec(&r, 70000, 0, 12);
    off[1] = tw_log(w, r.p, r.n, TW_NONE);
    make_rec(&r, 500, 0, 13);
    off[2] = tw_log(w, r.p, r.n, TW_NONE);
    tw_pad_page(w);
    make_rec(&r, 300, 0, 14);
    tw_log(w, r.p, r.n, TW_NONE); /* page 3: after any resync */
    ps_buf_free(&r);
}

static void
test_checksum_mismatch_located(void **state)
{
    (void)state;
    struct tw w = {0};
    size_t off[3];
    three_records(&w, off);
    w.seg.p[off[0] + 7 + 10] ^= 0x40; /* payload byte of record 0 */
    struct got g;
    read_seg(w.seg.p, w.seg.n, 4096, &g);
    assert_true(g.ncorr >= 1);
    assert_int_equal(g.corr[0].kind, PS_WAL_C_CHECKSUM);
    assert_int_equal(g.corr[0].fragment_offset, off[0]);
    assert_int_equal(g.corr[0].prom_offset, off[0] + 7 + 1000);
    assert_int_equal(g.corr[0].seg_index, 3);
    assert_true(g.corr[0].triggers_repair);
    assert_non_null(strstr(g.corr[0].message, "unexpected checksum"));
    /* resync at page 1: the rest of record 1 is skipped silently, record 2
     * (on page 2) and the record on page 3 are read */
    assert_int_equal(g.ncorr, 1);
    assert_int_equal(g.nrec, 2);
    assert_int_equal(g.rec[0].n, 500);
    assert_int_equal(g.rec[1].n, 300);
    got_free(&g);
    tw_free(&w);
}

static void
test_invalid_size_and_fragment_type(void **state)
{
    (void)state;
    struct tw w = {0};
    size_t off[3];
    three_records(&w, off);
    ps_put_be16(w.seg.p + off[0] + 1, 40000);
    struct got g;
    read_seg(w.seg.p, w.seg.n, 32768, &g);
    assert_int_equal(g.corr[0].kind, PS_WAL_C_INVALID_SIZE);
    assert_int_equal(g.corr[0].prom_offset, off[0] + 7);
    assert_string_equal(g.corr[0].message, "invalid record size 40000");
    got_free(&g);
    tw_free(&w);

    struct tw w2 = {0};
    three_records(&w2, off);
    w2.seg.p[off[2]] = 0x07; /* type 7 is not a fragment type; CRC still fine */
    read_seg(w2.seg.p, w2.seg.n, 32768, &g);
    assert_int_equal(g.ncorr, 1);
    assert_int_equal(g.corr[0].kind, PS_WAL_C_FRAGMENT_TYPE);
    assert_int_equal(g.corr[0].prom_offset, off[2] + 7 + 500);
    assert_string_equal(g.corr[0].message, "unexpected record type 7");
    assert_int_equal(g.nrec, 3); /* 0, 1 and the one on page 3 */
    got_free(&g);
    tw_free(&w2);
}

static void
test_fragment_order(void **state)
{
    (void)state;
    struct tw w = {0};
    size_t off[3];
    three_records(&w, off);
    /* record 0's full fragment relabelled "last": no record in progress */
    w.seg.p[off[0]] = 0x04;
    struct got g;
    read_seg(w.seg.p, w.seg.n, 32768, &g);
    assert_int_equal(g.ncorr, 1);
    assert_int_equal(g.corr[0].kind, PS_WAL_C_FRAGMENT_ORDER);
    assert_string_equal(g.corr[0].message,
                        "unexpected last record, dropping buffer");
    assert_int_equal(g.corr[0].prom_offset, off[0] + 7 + 1000);
    assert_int_equal(g.nrec, 3); /* records 1, 2 and page 3 */
    assert_int_equal(g.rec[0].n, 70000);
    got_free(&g);
    tw_free(&w);
}

static void
test_nonzero_padding(void **state)
{
    (void)state;
    struct tw w = {0};
    size_t off[3];
    three_records(&w, off);
    size_t pad = off[2] + 7 + 500; /* page 2 is padded after record 2 */
    assert_int_equal(w.seg.p[pad], 0);
    w.seg.p[pad + 100] = 1;
    struct got g;
    read_seg(w.seg.p, w.seg.n, 32768, &g);
    assert_int_equal(g.ncorr, 1);
    assert_int_equal(g.corr[0].kind, PS_WAL_C_NONZERO_PADDING);
    assert_int_equal(g.corr[0].fragment_offset, pad);
    assert_int_equal(g.corr[0].prom_offset, 3 * TW_PAGE);
    assert_string_equal(g.corr[0].message,
                        "unexpected non-zero byte in padded page");
    assert_int_equal(g.nrec, 4);
    got_free(&g);
    tw_free(&w);
}

static void
test_torn_last_record_and_tail(void **state)
{
    (void)state;
    struct tw w = {0};
    size_t off[3];
    three_records(&w, off);
    /* cut after page 1: record 1 (first on page 0, middle on page 1) */
    struct got g;
    read_seg(w.seg.p, 2 * TW_PAGE, 5000, &g);
    assert_int_equal(g.ncorr, 1);
    assert_int_equal(g.corr[0].kind, PS_WAL_C_TORN_RECORD);
    assert_int_equal(g.corr[0].fragment_offset, off[1]);
    assert_int_equal(g.corr[0].prom_offset, 2 * TW_PAGE);
    assert_string_equal(g.corr[0].message, "last record is torn");
    assert_int_equal(g.nrec, 1);
    got_free(&g);
    /* cut inside record 2's fragment: the tail reads as zeros, so the
     * checksum fails at the fragment's (virtual) end */
    read_seg(w.seg.p, off[2] + 7 + 100, 5000, &g);
    assert_int_equal(g.corr[0].kind, PS_WAL_C_CHECKSUM);
    assert_int_equal(g.corr[0].prom_offset, off[2] + 7 + 500);
    got_free(&g);
    /* cut exactly after record 2: a clean short segment */
    read_seg(w.seg.p, off[2] + 7 + 500, 5000, &g);
    assert_int_equal(g.ncorr, 0);
    assert_int_equal(g.nrec, 3);
    got_free(&g);
    tw_free(&w);
}

/*
 * A segment whose bytes stop coming at any offset (an archive cut short):
 * ps_wal_reader_cut delivers exactly the records whose fragments all lie
 * before the cut - the first k records of the whole segment, k = those
 * ending at or before it - and reports no corruption, where
 * ps_wal_reader_end on the same bytes reports a torn record or a checksum
 * mismatch for a cut inside a record. Every offset of a segment of
 * full, multi-page, snappy and zstd records, fed in two chunk sizes.
 */
static void
test_cut_segment_keeps_complete_records(void **state)
{
    (void)state;
    struct tw w = {0};
    struct ps_buf r[5] = {{0}};
    make_rec(&r[0], 300, 1, 11);
    make_rec(&r[1], 50000, 0, 12);     /* plain, first/middle/last */
    make_rec(&r[2], 40, 1, 13);
    make_rec(&r[3], 90000, 1, 14);     /* zstd */
    make_rec(&r[4], 2000, 1, 15);      /* snappy */
    enum tw_compr c[5] = {TW_SNAPPY, TW_NONE, TW_NONE, TW_ZSTD, TW_SNAPPY};
    for (int i = 0; i < 5; i++)
        (void)tw_log(&w, r[i].p, r[i].n, c[i]);
    struct got full;
    read_seg(w.seg.p, w.seg.n, 4096, &full);
    assert_int_equal(full.ncorr, 0);
    assert_int_equal(full.nrec, 5);
    size_t torn_seen = 0;
    for (size_t cutat = 0; cutat <= w.seg.n; cutat += cutat < 70000 ? 97 : 1009) {
        for (int ck = 0; ck < 2; ck++) {
            struct got g;
            read_seg_as(w.seg.p, cutat, ck ? 4096 : 333, 1, &g);
            assert_int_equal(g.ncorr, 0);
            size_t want = 0;
            while (want < full.nrec && full.end[want] <= cutat)
                want++;
            if (g.nrec != want)
                fail_msg("cut at %zu: %zu records, want %zu", cutat, g.nrec, want);
            for (size_t i = 0; i < g.nrec; i++) {
                assert_int_equal(g.rec[i].n, full.rec[i].n);
                assert_memory_equal(g.rec[i].p, full.rec[i].p, full.rec[i].n);
            }
            got_free(&g);
        }
        struct got e;
        read_seg_as(w.seg.p, cutat, 4096, 0, &e);
        torn_seen += e.ncorr > 0;
        got_free(&e);
    }
    /* the cuts really land inside records (ending them would complain) */
    assert_true(torn_seen > 100);
    got_free(&full);
    for (int i = 0; i < 5; i++)
        ps_buf_free(&r[i]);
    tw_free(&w);
}

static void
test_decompression_failure(void **state)
{
    (void)state;
    struct tw w = {0};
    struct ps_buf r = {0};
    make_rec(&r, 5000, 1, 21);
    size_t o = tw_log(&w, r.p, r.n, TW_SNAPPY);
    make_rec(&r, 5000, 1, 22);
    size_t o2 = tw_log(&w, r.p, r.n, TW_ZSTD);
    make_rec(&r, 50, 0, 23);
    tw_log(&w, r.p, r.n, TW_NONE);
    /* damage compressed bytes and fix the CRCs so only decoding fails */
    uint16_t l1 = ps_get_be16(w.seg.p + o + 1);
    memset(w.seg.p + o + 7, 0xff, 4);
    ps_put_be32(w.seg.p + o + 3, ps_crc32c(w.seg.p + o + 7, l1));
    uint16_t l2 = ps_get_be16(w.seg.p + o2 + 1);
    memset(w.seg.p + o2 + 7 + l2 / 2, 0xaa, 8);
    ps_put_be32(w.seg.p + o2 + 3, ps_crc32c(w.seg.p + o2 + 7, l2));
    struct got g;
    read_seg(w.seg.p, w.seg.n, 32768, &g);
    assert_int_equal(g.ncorr, 2);
    assert_int_equal(g.corr[0].kind, PS_WAL_C_DECOMPRESS);
    assert_int_equal(g.corr[0].prom_offset, o + 7 + l1);
    assert_int_equal(g.corr[1].kind, PS_WAL_C_DECOMPRESS);
    assert_int_equal(g.corr[1].fragment_offset, o2);
    assert_int_equal(g.nrec, 1);
    assert_int_equal(g.rec[0].n, 50);
    got_free(&g);
    ps_buf_free(&r);
    tw_free(&w);
}

/* A snappy header claiming 256 MiB for a 7-byte payload is rejected
 * before anything is allocated for it. */
static void
test_snappy_length_lie(void **state)
{
    (void)state;
    struct tw w = {0};
    uint8_t payload[16];
    int k = ps_put_uvarint(payload, (uint64_t)256 << 20);
    memcpy(payload + k, "\x08" "abc", 4);
    size_t len = (size_t)k + 4;
    uint8_t h[7];
    h[0] = 0x01 | 0x08; /* full, snappy */
    ps_put_be16(h + 1, (uint16_t)len);
    ps_put_be32(h + 3, ps_crc32c(payload, len));
    ps_buf_append(&w.seg, h, 7);
    ps_buf_append(&w.seg, payload, len);
    struct got g;
    read_seg(w.seg.p, w.seg.n, 4096, &g);
    assert_int_equal(g.ncorr, 1);
    assert_int_equal(g.corr[0].kind, PS_WAL_C_DECOMPRESS);
    assert_int_equal(g.corr[0].prom_offset, 7 + len);
    assert_int_equal(g.nrec, 0);
    got_free(&g);
    tw_free(&w);
}

static void
test_random_bytes_never_crash(void **state)
{
    (void)state;
    uint8_t *buf = malloc(3 * TW_PAGE + 123);
    uint32_t x = 7;
    for (int round = 0; round < 20; round++) {
        for (size_t i = 0; i < 3 * TW_PAGE + 123; i++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            buf[i] = (uint8_t)(round & 1 ? x : (x & 0x0f)); /* small bytes too */
        }
        struct got g;
        read_seg(buf, 3 * TW_PAGE + 123, 1000, &g);
        assert_true(g.ncorr >= 1); /* random bytes never pass as a WAL */
        assert_true(g.ncorr <= 4 * (TW_PAGE / 7));
        got_free(&g);
    }
    free(buf);
}

static void
test_crc32c_paths_agree(void **state)
{
    (void)state;
    uint8_t b[1000];
    for (size_t i = 0; i < sizeof(b); i++)
        b[i] = (uint8_t)(i * 31 + 7);
    for (size_t n = 0; n < sizeof(b); n += 37)
        assert_int_equal(ps_crc32c(b, n), ps_crc32c_portable(0, b, n));
    /* RFC 3720 B.4: 32 bytes of zeros */
    uint8_t z[32] = {0};
    assert_int_equal(ps_crc32c(z, 32), 0x8a9136aa);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mixed_compression_and_reassembly),
        cmocka_unit_test(test_writer_follows_page_rules),
        cmocka_unit_test(test_checksum_mismatch_located),
        cmocka_unit_test(test_invalid_size_and_fragment_type),
        cmocka_unit_test(test_fragment_order),
        cmocka_unit_test(test_nonzero_padding),
        cmocka_unit_test(test_torn_last_record_and_tail),
        cmocka_unit_test(test_cut_segment_keeps_complete_records),
        cmocka_unit_test(test_decompression_failure),
        cmocka_unit_test(test_snappy_length_lie),
        cmocka_unit_test(test_random_bytes_never_crash),
        cmocka_unit_test(test_crc32c_paths_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
