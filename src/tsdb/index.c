/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * index.c - a block's index file (Prometheus tsdb/index/index.go), read
 * from memory with every length, count and offset checked.
 *
 *   offset 0   be32 magic 0xBAAAD700, u8 version (1, 2 or 3; 3 == 2)
 *   ...        sections, each "be32 len | len bytes | be32 CRC32C(len bytes)"
 *              except series entries; zero padding may sit between them
 *   n-52       TOC: be64 symbols, series, label_indices,
 *              label_indices_table, postings, postings_table,
 *              be32 CRC32C of those 48 bytes
 *
 * Symbols: be32 len, be32 count, count x (uvarint len, bytes), CRC.
 *   v2/v3 refer to a symbol by its 0-based ordinal, v1 by its file offset.
 * Series (v2: 16-byte aligned, ref = offset/16; v1: ref = offset):
 *   uvarint len, then len bytes: uvarint nlabels, nlabels x (uvarint name
 *   symref, uvarint value symref), uvarint nchunks, chunk 0: varint mint,
 *   uvarint maxt-mint, uvarint ref; chunk i: uvarint mint-prev maxt,
 *   uvarint maxt-mint, varint ref-prev ref; then be32 CRC32C of the len
 *   bytes.
 * Postings list: be32 len (= 4 + 4n), be32 n, n x be32 series ref, CRC.
 * Postings offset table: be32 len, be32 n, n x (uvarint 2, uvarint-str
 *   name, uvarint-str value, uvarint offset of the list), CRC.
 * Label index (before v3.7): be32 len, be32 #names, be32 #entries,
 *   refs..., CRC; label offset table: be32 len, be32 n, n x (u8 1,
 *   uvarint-str name, uvarint offset), CRC. Only their CRCs are checked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promsight/ps_crc32c.h"
#include "promsight/ps_dec.h"
#include "promsight/ps_tsdb.h"
#include "promsight/ps_util.h"

#define INDEX_MAGIC 0xBAAAD700u
#define TOC_LEN 52
#define PH "tsdb/index"

/*
 * Bounds- and CRC-check the "be32 len | body | be32 crc" section at off.
 * On success body and blen get the body. Returns 0 (with a diagnostic) if it
 * does not fit; 1 if it fits (CRC mismatch is a diagnostic, still 1).
 */
static int
section(const struct ps_tsdb_index *ix, uint64_t off, const char *what,
        const uint8_t **body, size_t *blen, int *crc_ok, struct ps_diags *d)
{
    size_t lim = ix->n - TOC_LEN;
    if (off > lim || lim - off < 8) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_CORRUPT, ix->path, off, 0, PH,
                    "%s: offset %llu is outside the file (%zu bytes before the TOC)",
                    what, (unsigned long long)off, lim);
        return 0;
    }
    uint32_t len = ps_get_be32(ix->p + off);
    if ((uint64_t)len > lim - off - 8) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_TRUNCATED, ix->path, off, 0, PH,
                    "%s: length %u runs past the end of the file (%llu bytes left)",
                    what, len, (unsigned long long)(lim - off - 8));
        return 0;
    }
    *body = ix->p + off + 4;
    *blen = len;
    uint32_t want = ps_get_be32(*body + len);
    uint32_t got = ps_crc32c(*body, len);
    *crc_ok = want == got;
    if (!*crc_ok)
        ps_diag_add(d, PS_SEV_ERROR, PS_E_CORRUPT, ix->path, off + 4 + len, 0,
                    "tsdb/index-crc", "%s: CRC32C 0x%08x stored, 0x%08x computed",
                    what, want, got);
    return 1;
}

static int
str_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    return c != 0 ? c : (an > bn) - (an < bn);
}

static enum ps_err
read_symbols(struct ps_tsdb_index *ix, struct ps_diags *d)
{
    const uint8_t *body;
    size_t blen;
    int ok;
    if (ix->toc.symbols == 0 ||
        !section(ix, ix->toc.symbols, "symbol table", &body, &blen, &ok, d))
        return PS_E_CORRUPT;
    struct ps_dec dec;
    ps_dec_init(&dec, body, blen);
    uint32_t cnt = ps_dec_be32(&dec);
    if (cnt > blen) { /* every symbol takes at least one byte */
        ps_diag_add(d, PS_SEV_ERROR, PS_E_CORRUPT, ix->path, ix->toc.symbols + 4, 0,
                    PH, "symbol table: count %u larger than the section (%zu bytes)",
                    cnt, blen);
        cnt = (uint32_t)blen;
    }
    ix->syms = calloc(cnt ? cnt : 1, sizeof(*ix->syms));
    ix->sym_off = ix->version == 1 ? calloc(cnt ? cnt : 1, sizeof(uint64_t)) : NULL;
    if (ix->syms == NULL || (ix->version == 1 && ix->sym_off == NULL))
        return PS_E_NOMEM;
    ix->empty_sym = UINT32_MAX;
    for (uint32_t i = 0; i < cnt; i++) {
        uint64_t at = (uint64_t)(dec.p - ix->p);
        size_t sl;
        const char *s = ps_dec_uvarint_str(&dec, &sl);
        if (dec.err != PS_OK) {
            ps_diag_add(d, PS_SEV_ERROR, PS_E_TRUNCATED, ix->path, at, 0, PH,
                        "symbol %u of %u: string runs past the section", i, cnt);
            break;
        }
        ix->syms[i].p = s;
        ix->syms[i].n = (uint32_t)sl;
        if (ix->sym_off != NULL)
            ix->sym_off[i] = at;
        if (sl == 0)
            ix->empty_sym = i;
        if (i > 0 && str_cmp(ix->syms[i - 1].p, ix->syms[i - 1].n, s, sl) >= 0)
            ps_diag_add(d, PS_SEV_ERROR, PS_E_CORRUPT, ix->path, at, 0,
                        "tsdb/index-order", "symbol %u is not above symbol %u "
                        "(symbols must be sorted and unique)", i, i - 1);
        ix->nsyms = i + 1;
    }
    return PS_OK;
}

struct ps_tsdb_str
ps_tsdb_index_sym(const struct ps_tsdb_index *ix, uint32_t o)
{
    struct ps_tsdb_str none = {NULL, 0};
    return o < ix->nsyms ? ix->syms[o] : none;
}

/* v1: file offset -> ordinal by binary search; UINT32_MAX if none. */
static uint32_t
v1_sym(const struct ps_tsdb_index *ix, uint64_t off)
{
    size_t lo = 0, hi = ix->nsyms;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->sym_off[mid] < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < ix->nsyms && ix->sym_off[lo] == off ? (uint32_t)lo : UINT32_MAX;
}

/* Read one postings list; returns its count or -1. refs may be NULL. */
static int64_t
postings_list(struct ps_tsdb_index *ix, uint64_t off, const char *what,
              uint32_t **refs, struct ps_diags *d)
{
    const uint8_t *body;
    size_t blen;
    int ok;
    if (!section(ix, off, what, &body, &blen, &ok, d))
        return -1;
    if (blen < 4) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_CORRUPT, ix->path, off, 0, PH,
                    "%s: length %zu too short for a count", what, blen);
        return -1;
    }
    uint32_t n = ps_get_be32(body);
    if ((uint64_t)n * 4 != blen - 4) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_CORRUPT, ix->path, off + 4, 0, PH,
                    "%s: count %u does not match length %zu (expected 4+4*count)",
                    what, n, blen);
        if ((uint64_t)n * 4 > blen - 4)
            n = (uint32_t)((blen - 4) / 4);
    }
    if (refs != NULL) {
        *refs = malloc((size_t)n * 4 + 4);
        if (*refs == NULL)
            return -1;
        uint32_t prev = 0;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t r = ps_get_be32(body + 4 + 4 * (size_t)i);
            if (i > 0 && r <= prev)
                ps_diag_add(d, PS_SEV_ERROR, PS_E_CORRUPT, ix->path,
                            off + 8 + 4 * (uint64_t)i, 0, "tsdb/index-order",
                            "%s: series ref %u not above the previous %u", what, r,
                            prev);
            (*refs)[i] = prev = r;
        }
    }
    return n;
}

static int
pe_cmp(const void *x, const void *y)
{
    const struct ps_tsdb_postings_entry *a = x, *b = y;
    if (a->name != b->name)
        return (a->name > b->name) - (a->name < b->name);
    return (a->value > b->value) - (a->value < b->value);
}

uint32_t
ps_tsdb_index_sym_find(const struct ps_tsdb_index *ix, const char *s, size_t n)
{
    size_t lo = 0, hi = ix->nsyms;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = str_cmp(ix->syms[mid].p, ix->syms[mid].n, s, n);
        if (c == 0)
            return (uint32_t)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return UINT32_MAX;
}

int64_t
ps_tsdb_index_pair(const struct ps_tsdb_index *ix, uint32_t name, uint32_t value)
{
    struct ps_tsdb_postings_entry k = {name, value, 0};
    size_t lo = 0, hi = ix->npt;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = pe_cmp(&ix->pt[mid], &k);
        if (c == 0)
            return (int64_t)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static enum ps_err
read_postings_table(struct ps_tsdb_index *ix, struct ps_diags *d)
{
    const uint8_t *body;
    size_t blen;
    int ok;
    if (ix->toc.postings_table == 0 ||
        !section(ix, ix->toc.postings_table, "postings offset table", &body, &blen,
                 &ok, d))
        return PS_E_CORRUPT;
    struct ps_dec dec;
    ps_dec_init(&dec, body, blen);
    uint32_t cnt = ps_dec_be32(&dec);
    if ((uint64_t)cnt * 4 > blen) { /* an entry takes at least 4 bytes */
        ps_diag_add(d, PS_SEV_ERROR, PS_E_CORRUPT, ix->path, ix->toc.postings_table + 4,
                    0, PH, "postings offset table: count %u larger than the section "
                    "(%zu bytes) allows", cnt, blen);
        cnt = (uint32_t)(blen / 4);
    }
    ix->pt = calloc(cnt ? cnt : 1, sizeof(*ix->pt));
    if (ix->pt == NULL)
        return PS_E_NOMEM;
    int all_found = 0;
    const char *prev_nm = NULL, *prev_vv = NULL;
    size_t prev_nl = 0, prev_vl = 0;
    for (uint32_t i = 0; i < cnt; i++) {
        uint64_t at = (uint64_t)(dec.p - ix->p);
        uint64_t kc = ps_dec_uvarint(&dec);
        size_t nl, vl;
        const char *nm = ps_dec_uvarint_str(&dec, &nl);
        const char *vv = ps_dec_uvarint_str(&dec, &vl);
        uint64_t off = ps_dec_uvarint(&dec);
        if (dec.err != PS_OK) {
            ps_diag_add(d, PS_SEV_ERROR, PS_E_TRUNCATED, ix->path, at, 0, PH,
                        "postings offset table entry %u of %u runs past the section",
                        i, cnt);
            break;
        }
        if (kc != 2) {
            ps_diag_add(d, PS_SEV_ERROR, PS_E_CORRUPT, ix->path, at, 0, PH,
                        "postings offset table entry %u: key count %llu, expected 2",
                        i, (unsigned long long)kc);
            continue;
        }
        struct ps_tsdb_postings_entry *e = &ix->pt[ix->npt];
        e->name = ps_tsdb_index_sym_find(ix, nm, nl);
        e->value = ps_tsdb_index_sym_find(ix, vv, vl);
        if ((nl > 0 || vl > 0) && (e->name == UINT32_MAX || e->value == UINT32_MAX))
            ps_diag_add(d, PS_SEV_ERROR, PS_E_CORRUPT, ix->path, at, 0, PH,
                        "postings offset table entry %u: name or value is not in "
                        "the symbol table", i);
        if (ix->version >= 2 && ix->npt > 0 && prev_nm != NULL) {
            int c = str_cmp(prev_nm, prev_nl, nm, nl);
            if (c > 0 || (c == 0 && str_cmp(prev_vv, prev_vl, vv, vl) >= 0))
                ps_diag_add(d, PS_SEV_ERROR, PS_E_CORRUPT, ix->path, at, 0,
                            "tsdb/index-order", "postings offset table entry %u is "
                            "not above the previous one", i);
        }
        prev_nm = nm;
        prev_nl = nl;
        prev_vv = vv;
        prev_vl = vl;
        char what[64];
        snprintf(what, sizeof(what), "postings list %u", i);
        int64_t c;
        if (nl == 0 && vl == 0 && !all_found) {
            all_found = 1;
            c = postings_list(ix, off, "all-postings list", &ix->all, d);
            if (c > 0)
                ix->nall = (size_t)c;
        } else {
            c = postings_list(ix, off, what, NULL, d);
        }
        e->count = c > 0 ? (uint32_t)c : 0;
        ix->npt++;
    }
    if (!all_found)
        ps_diag_add(d, PS_SEV_ERROR, PS_E_CORRUPT, ix->path, ix->toc.postings_table, 0,
                    PH, "postings offset table has no all-postings (\"\",\"\") entry");
    /* v1 tables are unsorted; damaged v2 ones may be too */
    for (size_t i = 1; i < ix->npt; i++) {
        if (pe_cmp(&ix->pt[i - 1], &ix->pt[i]) > 0) {
            qsort(ix->pt, ix->npt, sizeof(*ix->pt), pe_cmp);
            break;
        }
    }
    return PS_OK;
}

static void
check_label_indices(struct ps_tsdb_index *ix, struct ps_diags *d)
{
    const struct ps_tsdb_toc *t = &ix->toc;
    if (t->label_indices_table == 0 || t->label_indices_table == t->postings_table)
        return;
    ix->has_label_indices = 1;
    const uint8_t *body;
    size_t blen;
    int ok;
    if (!section(ix, t->label_indices_table, "label offset table", &body, &blen, &ok, d))
        return;
    struct ps_dec dec;
    ps_dec_init(&dec, body, blen);
    uint32_t cnt = ps_dec_be32(&dec);
    for (uint32_t i = 0; i < cnt && dec.err == PS_OK; i++) {
        uint8_t k = ps_dec_u8(&dec);
        for (uint8_t j = 0; j < k && dec.err == PS_OK; j++) {
            size_t sl;
            (void)ps_dec_uvarint_str(&dec, &sl);
        }
        uint64_t off = ps_dec_uvarint(&dec);
        if (dec.err != PS_OK)
            break;
        const uint8_t *b2;
        size_t l2;
        (void)section(ix, off, "label index", &b2, &l2, &ok, d);
    }
    if (dec.err != PS_OK)
        ps_diag_add(d, PS_SEV_ERROR, PS_E_TRUNCATED, ix->path, t->label_indices_table,
                    0, PH, "label offset table: entries run past the section");
}

enum ps_err
ps_tsdb_index_open(const uint8_t *p, size_t n, const char *path,
                   struct ps_tsdb_index *ix, struct ps_diags *d)
{
    memset(ix, 0, sizeof(*ix));
    ix->p = p;
    ix->n = n;
    ix->path = path;
    ix->empty_sym = UINT32_MAX;
    if (n < 5 + TOC_LEN) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_TRUNCATED, path, 0, 0, PH,
                    "file of %zu bytes is too short for a header and TOC (%d bytes)",
                    n, 5 + TOC_LEN);
        return PS_E_CORRUPT;
    }
    uint32_t magic = ps_get_be32(p);
    if (magic != INDEX_MAGIC) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_CORRUPT, path, 0, 0, PH,
                    "magic 0x%08x, expected 0x%08x", magic, INDEX_MAGIC);
        return PS_E_CORRUPT;
    }
    ix->version = p[4];
    if (ix->version < 1 || ix->version > 3) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_UNSUPPORTED, path, 4, 0, PH,
                    "index version %d, expected 1, 2 or 3", ix->version);
        return PS_E_CORRUPT;
    }
    const uint8_t *toc = p + n - TOC_LEN;
    uint32_t want = ps_get_be32(toc + 48), got = ps_crc32c(toc, 48);
    if (want != got)
        ps_diag_add(d, PS_SEV_ERROR, PS_E_CORRUPT, path, n - 4, 0, "tsdb/index-crc",
                    "TOC: CRC32C 0x%08x stored, 0x%08x computed", want, got);
    ix->toc.symbols = ps_get_be64(toc);
    ix->toc.series = ps_get_be64(toc + 8);
    ix->toc.label_indices = ps_get_be64(toc + 16);
    ix->toc.label_indices_table = ps_get_be64(toc + 24);
    ix->toc.postings = ps_get_be64(toc + 32);
    ix->toc.postings_table = ps_get_be64(toc + 40);
    const uint64_t *f = &ix->toc.symbols;
    static const char *const names[] = {"symbols", "series", "label indices",
                                        "label indices table", "postings",
                                        "postings table"};
    for (int i = 0; i < 6; i++)
        if (f[i] >= n - TOC_LEN || (f[i] != 0 && f[i] < 5))
            ps_diag_add(d, PS_SEV_ERROR, PS_E_CORRUPT, path, n - TOC_LEN + 8 * (uint64_t)i,
                        0, PH, "TOC %s offset %llu is outside the file "
                        "(expected 5..%zu)", names[i], (unsigned long long)f[i],
                        n - TOC_LEN);
    enum ps_err e = read_symbols(ix, d);
    if (e == PS_E_NOMEM)
        return e;
    e = read_postings_table(ix, d);
    if (e == PS_E_NOMEM)
        return e;
    check_label_indices(ix, d);
    return ix->nsyms > 0 || ix->npt > 0 ? PS_OK : PS_E_CORRUPT;
}

void
ps_tsdb_index_close(struct ps_tsdb_index *ix)
{
    if (ix == NULL)
        return;
    free(ix->syms);
    free(ix->sym_off);
    free(ix->pt);
    free(ix->all);
    memset(ix, 0, sizeof(*ix));
}

enum ps_err
ps_tsdb_index_series(const struct ps_tsdb_index *ix, uint32_t ref,
                     struct ps_tsdb_series *s, struct ps_diags *d)
{
    s->nlabels = 0;
    s->nchunks = 0;
    uint64_t off = ix->version >= 2 ? (uint64_t)ref * 16 : ref;
    s->off = off;
    size_t lim = ix->n >= TOC_LEN ? ix->n - TOC_LEN : 0;
    if (off < 5 || off >= lim) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_CORRUPT, ix->path, off, 0, PH,
                    "series ref %u points outside the file (offset %llu)", ref,
                    (unsigned long long)off);
        return PS_E_CORRUPT;
    }
    struct ps_dec dec;
    ps_dec_init(&dec, ix->p + off, lim - off);
    uint64_t len = ps_dec_uvarint(&dec);
    if (dec.err != PS_OK || len > ps_dec_left(&dec) || ps_dec_left(&dec) - len < 4) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_TRUNCATED, ix->path, off, 0, PH,
                    "series %u: length %llu runs past the file", ref,
                    (unsigned long long)len);
        return PS_E_TRUNCATED;
    }
    const uint8_t *body = dec.p;
    uint32_t want = ps_get_be32(body + len), got = ps_crc32c(body, (size_t)len);
    if (want != got) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_CORRUPT, ix->path,
                    (uint64_t)(body + len - ix->p), 0, "tsdb/index-crc",
                    "series %u: CRC32C 0x%08x stored, 0x%08x computed", ref, want, got);
        return PS_E_CORRUPT;
    }
    ps_dec_init(&dec, body, (size_t)len);
    uint64_t nl = ps_dec_uvarint(&dec);
    if (nl > len / 2) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_CORRUPT, ix->path, off, 0, PH,
                    "series %u: %llu labels cannot fit in %llu bytes", ref,
                    (unsigned long long)nl, (unsigned long long)len);
        return PS_E_CORRUPT;
    }
    if (nl * 2 > s->lcap &&
        ps_grow((void **)&s->lbl, &s->lcap, (size_t)nl * 2, sizeof(uint32_t)) != PS_OK)
        return PS_E_NOMEM;
    for (uint64_t i = 0; i < nl; i++) {
        for (int k = 0; k < 2; k++) {
            uint64_t r = ps_dec_uvarint(&dec);
            uint32_t o = ix->version >= 2 ? (r < ix->nsyms ? (uint32_t)r : UINT32_MAX)
                                          : v1_sym(ix, r);
            if (dec.err == PS_OK && o == UINT32_MAX) {
                ps_diag_add(d, PS_SEV_ERROR, PS_E_CORRUPT, ix->path, off, 0, PH,
                            "series %u: label %llu refers to symbol %llu, which "
                            "does not exist", ref, (unsigned long long)i,
                            (unsigned long long)r);
                return PS_E_CORRUPT;
            }
            s->lbl[2 * i + (uint64_t)k] = o;
        }
    }
    s->nlabels = (size_t)nl;
    uint64_t nc = ps_dec_uvarint(&dec);
    if (dec.err == PS_OK && nc > len / 3) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_CORRUPT, ix->path, off, 0, PH,
                    "series %u: %llu chunks cannot fit in %llu bytes", ref,
                    (unsigned long long)nc, (unsigned long long)len);
        s->nlabels = 0;
        return PS_E_CORRUPT;
    }
    if (nc > s->ccap &&
        ps_grow((void **)&s->chk, &s->ccap, (size_t)nc, sizeof(*s->chk)) != PS_OK)
        return PS_E_NOMEM;
    int64_t prev_max = 0;
    uint64_t prev_ref = 0;
    for (uint64_t i = 0; i < nc && dec.err == PS_OK; i++) {
        struct ps_tsdb_chunk_meta *c = &s->chk[i];
        if (i == 0) {
            c->min_time = ps_dec_varint(&dec);
            c->max_time = (int64_t)((uint64_t)c->min_time + ps_dec_uvarint(&dec));
            c->ref = ps_dec_uvarint(&dec);
        } else {
            c->min_time = (int64_t)((uint64_t)prev_max + ps_dec_uvarint(&dec));
            c->max_time = (int64_t)((uint64_t)c->min_time + ps_dec_uvarint(&dec));
            c->ref = prev_ref + (uint64_t)ps_dec_varint(&dec);
        }
        prev_max = c->max_time;
        prev_ref = c->ref;
    }
    if (dec.err != PS_OK) {
        ps_diag_add(d, PS_SEV_ERROR, PS_E_TRUNCATED, ix->path, off, 0, PH,
                    "series %u: entry ends inside its labels or chunk metas", ref);
        s->nlabels = 0;
        return PS_E_TRUNCATED;
    }
    s->nchunks = (size_t)nc;
    return PS_OK;
}

void
ps_tsdb_series_free(struct ps_tsdb_series *s)
{
    if (s == NULL)
        return;
    free(s->lbl);
    free(s->chk);
    memset(s, 0, sizeof(*s));
}
