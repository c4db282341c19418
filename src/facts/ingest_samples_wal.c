/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ingest_samples_wal.c - the head part of the samples step of ingest
 * (ingest_samples.c has the rest and the overview): the samples of wanted
 * series in each TSDB root's WAL.
 *
 * WAL (head): each TSDB root's WAL (the inventory's segments with that
 * tsdb_root) is replayed in Prometheus' order (the plan: newest
 * checkpoint.N not .tmp, segments > N, then the WBL; each by seq; not
 * unsafe, at most MAX_SEGMENT_BYTES): series records whose
 * __name__ is wanted map a WAL ref to a fact series, sample records of
 * those refs are added. As Prometheus' head replay does, samples older
 * than the newest block's maxTime of that root are dropped; that time is
 * only known after the TSDB step, so publishing waits for it.
 *
 * The segments are not read for this: the WAL step's scan (one read of
 * every WAL, ps_wal_scan_bundle_hooks) calls hooks around each segment,
 * and the visitor set there keeps, per root, the wanted series records and
 * the samples/histograms of their refs (keep_series: a tagged log, at most
 * MAX_KEPT_BYTES for all roots). Publishing replays that log through the
 * same handlers a segment read from the bundle goes through. The scan's
 * worker thread runs the visitor; c->cur and the root being read are
 * touched by nothing else meanwhile, and the hooks run between segments.
 *
 * Samples are decoded for the visitor (which takes the statistics off
 * their fast samples path) only in a root's first segment and once the
 * root has a wanted series; a later segment where the first wanted series
 * appears is read again from the bundle at publish. A root whose segments
 * the scan did not read exactly as planned (order, a segment missing, cut
 * short or listed twice) or whose log passed the limit is read again from
 * the bundle at publish, as before: the result is the same either way. A
 * segment the bundle cut short (an archive that ends inside it) is read up
 * to the cut on both ways, as the WAL step does.
 */
#include <stdlib.h>
#include <string.h>

#include "facts/samples_int.h"

/* ps_ingest_samples_set_for_tests (tests only) */
static int test_reread;
static size_t kept_limit = MAX_KEPT_BYTES;

void
ps_ingest_samples_set_for_tests(int reread, size_t limit)
{
    test_reread = reread;
    kept_limit = limit;
}

/* Tags of what the WAL step's scan keeps (see keep_series). */
enum { KEPT_SERIES = 1, KEPT_SAMPLES = 2, KEPT_HISTOGRAMS = 3 };

/* ---- WAL: publishing (the same for kept records and records read now) ---- */

/* Is series x one whose samples are loaded (its last __name__ wanted)? */
static int
series_wanted(const struct ps_samples *c, const struct ps_wal_series *x)
{
    int want = 0;
    for (size_t j = 0; j < x->nlabels; j++)
        if (x->labels[j].name_len == 8 && memcmp(x->labels[j].name, "__name__", 8) == 0)
            want = samples_wanted(c, x->labels[j].value, x->labels[j].value_len);
    return want && x->nlabels <= MAX_LABELS;
}

static void
on_series(void *ctx, const struct ps_wal_series *s, size_t n)
{
    struct ps_samples *c = ctx;
    for (size_t i = 0; i < n; i++) {
        const struct ps_wal_series *x = &s[i];
        if (!series_wanted(c, x))
            continue;
        const char *nm[MAX_LABELS], *vv[MAX_LABELS];
        uint32_t nl[MAX_LABELS], vl[MAX_LABELS];
        for (size_t j = 0; j < x->nlabels; j++) {
            nm[j] = x->labels[j].name, nl[j] = x->labels[j].name_len;
            vv[j] = x->labels[j].value, vl[j] = x->labels[j].value_len;
        }
        uint32_t id;
        if (samples_fact_series(c, nm, nl, vv, vl, x->nlabels, &id) != 0)
            continue;
        ps_map64_put(&c->map, x->ref, id);
    }
}

static void
on_samples(void *ctx, const struct ps_wal_sample *s, size_t n)
{
    struct ps_samples *c = ctx;
    for (size_t i = 0; i < n; i++) {
        uint64_t id;
        if (ps_map64_get(&c->map, s[i].ref, &id) && s[i].t >= c->min_valid)
            samples_add(c, (uint32_t)id, s[i].t, s[i].v, c->src);
    }
}

static void
on_histograms(void *ctx, const struct ps_wal_histogram *h, size_t n)
{
    struct ps_samples *c = ctx;
    uint64_t id;
    for (size_t i = 0; i < n; i++)
        if (ps_map64_get(&c->map, h[i].ref, &id))
            c->hist_skipped++;
}

static void
on_record(void *ctx, const struct ps_wal_record *r)
{
    struct ps_samples *c = ctx;
    if (r->len == 0)
        return;
    unsigned t = r->data[0];
    if (t != PS_WAL_REC_SERIES && t != PS_WAL_REC_SAMPLES && t != PS_WAL_REC_SAMPLES_V2 &&
        t != PS_WAL_REC_HISTOGRAMS && t != PS_WAL_REC_FLOAT_HISTOGRAMS &&
        t != PS_WAL_REC_HISTOGRAMS_V2 && t != PS_WAL_REC_FLOAT_HISTOGRAMS_V2)
        return;
    struct ps_wal_visitor v = {.series = on_series, .samples = on_samples,
                               .histograms = on_histograms, .ctx = c};
    ps_wal_decode(&c->dec, r->data, r->len, &v, NULL); /* the WAL stage reports damage */
}

static void
on_corruption(void *ctx, const struct ps_wal_corruption *k)
{
    (void)ctx;
    (void)k; /* reported by the WAL stage */
}

/* Replay the records kept for one segment (format: kept_* below) through
 * the same handlers as a segment read from the bundle. */
static void
replay_kept(struct ps_samples *c, const uint8_t *p, size_t n)
{
    size_t off = 0;
    while (off < n) {
        uint8_t tag = p[off++];
        uint32_t k;
        if (tag == KEPT_SERIES) {
            /* k <= MAX_LABELS: keep_series keeps only series_wanted ones */
            struct ps_wal_label l[MAX_LABELS];
            struct ps_wal_series x;
            memcpy(&x.ref, p + off, 8);
            memcpy(&k, p + off + 8, 4);
            off += 12;
            for (uint32_t j = 0; j < k; j++) {
                memcpy(&l[j].name_len, p + off, 4);
                memcpy(&l[j].value_len, p + off + 4, 4);
                off += 8;
                l[j].name = (const char *)p + off;
                off += l[j].name_len;
                l[j].value = (const char *)p + off;
                off += l[j].value_len;
            }
            x.labels = l;
            x.nlabels = k;
            on_series(c, &x, 1);
            continue;
        }
        memcpy(&k, p + off, 4);
        off += 4;
        if (tag == KEPT_SAMPLES) {
            struct ps_wal_sample v[256];
            for (uint32_t i = 0; i < k;) {
                uint32_t m = 0;
                for (; m < 256 && i < k; m++, i++, off += 24) {
                    memcpy(&v[m].ref, p + off, 8);
                    memcpy(&v[m].t, p + off + 8, 8);
                    memcpy(&v[m].v, p + off + 16, 8);
                    v[m].st = 0;
                }
                on_samples(c, v, m);
            }
        } else { /* KEPT_HISTOGRAMS */
            for (uint32_t i = 0; i < k; i++, off += 8) {
                struct ps_wal_histogram h;
                memset(&h, 0, sizeof(h));
                memcpy(&h.ref, p + off, 8);
                on_histograms(c, &h, 1);
            }
        }
    }
}

/* ---- WAL: the plan (which segments, in which order) ---- */

/* Replay order of one WAL's segments: checkpoint, WAL, WBL; then seq. */
static int
seg_rank(const struct ps_entry *e)
{
    return e->kind == PS_KIND_CHECKPOINT_SEGMENT ? 0 : e->kind == PS_KIND_WAL_SEGMENT ? 1 : 2;
}

static int
seg_cmp(const void *a, const void *b)
{
    const struct ps_entry *x = *(const struct ps_entry *const *)a;
    const struct ps_entry *y = *(const struct ps_entry *const *)b;
    int c = strcmp(x->tsdb_root != NULL ? x->tsdb_root : "",
                   y->tsdb_root != NULL ? y->tsdb_root : "");
    if (c != 0)
        return c;
    if (seg_rank(x) != seg_rank(y))
        return seg_rank(x) - seg_rank(y);
    return (x->seq > y->seq) - (x->seq < y->seq);
}

static int
ix_cmp(const void *a, const void *b)
{
    const struct path_ix *x = a, *y = b;
    int c = strcmp(x->path, y->path);
    return c != 0 ? c : (x->root > y->root) - (x->root < y->root);
}

/* The segments each TSDB root's WAL is replayed from, in order: the
 * newest checkpoint.N (not .tmp), WAL segments > N, the WBL; readable ones
 * only (not unsafe, at most MAX_SEGMENT_BYTES as listed). Built from the
 * inventory, once. */
static void
build_plan(struct ps_samples *c)
{
    if (c->planned)
        return;
    c->planned = 1;
    const struct ps_inventory *inv = &c->in->inventory;
    const struct ps_entry **v = malloc((inv->n ? inv->n : 1) * sizeof(*v));
    c->segs = calloc(inv->n ? inv->n : 1, sizeof(*c->segs));
    c->wr = calloc(inv->n ? inv->n : 1, sizeof(*c->wr));
    c->ix = calloc(inv->n ? inv->n : 1, sizeof(*c->ix));
    if (v == NULL || c->segs == NULL || c->wr == NULL || c->ix == NULL) {
        free(v);
        c->nwr = 0;
        return;
    }
    size_t n = 0, nseg = 0;
    for (size_t i = 0; i < inv->n; i++) {
        enum ps_kind k = inv->v[i].kind;
        if ((k == PS_KIND_WAL_SEGMENT || k == PS_KIND_CHECKPOINT_SEGMENT ||
             k == PS_KIND_WBL_SEGMENT) && inv->v[i].tsdb_root != NULL)
            v[n++] = &inv->v[i];
    }
    if (n > 1)
        qsort(v, n, sizeof(*v), seg_cmp);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && strcmp(v[j]->tsdb_root, v[i]->tsdb_root) == 0)
            j++;
        int64_t ckpt = -1;
        for (size_t x = i; x < j; x++)
            if (v[x]->kind == PS_KIND_CHECKPOINT_SEGMENT && strstr(v[x]->path, ".tmp") == NULL &&
                v[x]->checkpoint > ckpt)
                ckpt = v[x]->checkpoint;
        struct wal_root *r = &c->wr[c->nwr++];
        r->root = v[i]->tsdb_root;
        r->tenant = v[i]->tenant;
        r->seg = &c->segs[nseg];
        for (size_t x = i; x < j; x++) {
            const struct ps_entry *e = v[x];
            if (e->kind == PS_KIND_CHECKPOINT_SEGMENT &&
                (e->checkpoint != ckpt || strstr(e->path, ".tmp") != NULL))
                continue;
            if (e->kind == PS_KIND_WAL_SEGMENT && e->seq <= ckpt)
                continue;
            if (e->unsafe || e->size > MAX_SEGMENT_BYTES)
                continue;
            c->ix[c->nix++] = (struct path_ix){e->path, (uint32_t)(c->nwr - 1),
                                               (uint32_t)r->nseg};
            r->seg[r->nseg++].e = e;
            nseg++;
        }
        i = j;
    }
    free(v);
    if (c->nix > 1)
        qsort(c->ix, c->nix, sizeof(*c->ix), ix_cmp);
    /* a path listed twice (an archive may hold it twice): which copy the
     * scan reads is not which one the bundle's lookup finds; read such a
     * WAL at publish */
    for (size_t i = 1; i < c->nix; i++)
        if (strcmp(c->ix[i - 1].path, c->ix[i].path) == 0) {
            c->wr[c->ix[i - 1].root].broken = 1;
            c->wr[c->ix[i].root].broken = 1;
        }
}

/* Root and position of a planned segment path, or NULL. */
static struct wal_root *
planned(struct ps_samples *c, const char *path, size_t *pos)
{
    size_t lo = 0, hi = c->nix;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = strcmp(c->ix[mid].path, path);
        if (r == 0) {
            *pos = c->ix[mid].pos;
            return &c->wr[c->ix[mid].root];
        }
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* This root's WAL is read from the bundle at publish; drop what was kept. */
static void
give_up(struct ps_samples *c, struct wal_root *r)
{
    r->broken = 1;
    c->kept_bytes -= r->log.n;
    ps_buf_free(&r->log);
    ps_map64_free(&r->refs);
}

/* ---- WAL: keeping records during the WAL step's scan ---- */
/*
 * Runs as the visitor of ps_wal_scan_bundle_hooks, on its worker thread
 * (or the calling thread), one segment at a time: c->cur and its root are
 * touched by nothing else while a segment is read. Kept per root, in
 * r->log, as tagged entries (host byte order, unaligned):
 *   KEPT_SERIES:     u64 ref | u32 n | n x (u32 name_len, u32 value_len,
 *                    name, value)          (wanted series only)
 *   KEPT_SAMPLES:    u32 k | k x (u64 ref, i64 t, f64 v)
 *   KEPT_HISTOGRAMS: u32 k | k x u64 ref
 * Samples and histograms are kept when their ref belongs to a wanted
 * series seen so far (r->refs), a superset of what publishing maps.
 */
static int
keep(struct ps_samples *c, struct wal_root *r, const void *p, size_t n)
{
    if (c->kept_bytes + n > kept_limit || ps_buf_append(&r->log, p, n) != PS_OK) {
        give_up(c, r);
        return -1;
    }
    c->kept_bytes += n;
    return 0;
}

static void
keep_series(void *ctx, const struct ps_wal_series *s, size_t n)
{
    struct ps_samples *c = ctx;
    struct wal_root *r = c->cur;
    for (size_t i = 0; i < n && r != NULL && !r->broken; i++) {
        const struct ps_wal_series *x = &s[i];
        if (!series_wanted(c, x))
            continue;
        if (ps_map64_put(&r->refs, x->ref, 1) != PS_OK) {
            give_up(c, r);
            return;
        }
        if (!c->cur_samples) {
            /* this segment's samples were not kept: read it at publish */
            c->cur_reread = 1;
            continue;
        }
        uint8_t hdr[13];
        uint32_t k = (uint32_t)x->nlabels;
        hdr[0] = KEPT_SERIES;
        memcpy(hdr + 1, &x->ref, 8);
        memcpy(hdr + 9, &k, 4);
        if (keep(c, r, hdr, sizeof(hdr)) != 0)
            return;
        for (size_t j = 0; j < x->nlabels; j++) {
            const struct ps_wal_label *l = &x->labels[j];
            uint32_t len[2] = {l->name_len, l->value_len};
            if (keep(c, r, len, 8) != 0 || keep(c, r, l->name, l->name_len) != 0 ||
                keep(c, r, l->value, l->value_len) != 0)
                return;
        }
    }
}

/* Start a KEPT_SAMPLES / KEPT_HISTOGRAMS entry; its count is filled in by
 * end_batch (the entry is dropped when nothing was kept). */
static int
begin_batch(struct ps_samples *c, struct wal_root *r, uint8_t tag, size_t *at)
{
    uint8_t hdr[5] = {tag, 0, 0, 0, 0};
    *at = r->log.n;
    return keep(c, r, hdr, sizeof(hdr));
}

static void
end_batch(struct ps_samples *c, struct wal_root *r, size_t at, uint32_t k)
{
    if (r->broken)
        return;
    if (k == 0) {
        c->kept_bytes -= r->log.n - at;
        r->log.n = at;
        return;
    }
    memcpy(r->log.p + at + 1, &k, 4);
}

static void
keep_samples(void *ctx, const struct ps_wal_sample *s, size_t n)
{
    struct ps_samples *c = ctx;
    struct wal_root *r = c->cur;
    size_t at;
    if (r == NULL || r->broken || r->refs.n == 0 || begin_batch(c, r, KEPT_SAMPLES, &at) != 0)
        return;
    uint32_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t one;
        if (!ps_map64_get(&r->refs, s[i].ref, &one))
            continue;
        uint8_t e[24];
        memcpy(e, &s[i].ref, 8);
        memcpy(e + 8, &s[i].t, 8);
        memcpy(e + 16, &s[i].v, 8);
        if (keep(c, r, e, sizeof(e)) != 0)
            return;
        k++;
    }
    end_batch(c, r, at, k);
}

static void
keep_histograms(void *ctx, const struct ps_wal_histogram *h, size_t n)
{
    struct ps_samples *c = ctx;
    struct wal_root *r = c->cur;
    size_t at;
    if (r == NULL || r->broken || r->refs.n == 0 || begin_batch(c, r, KEPT_HISTOGRAMS, &at) != 0)
        return;
    uint32_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t one;
        if (!ps_map64_get(&r->refs, h[i].ref, &one))
            continue;
        if (keep(c, r, &h[i].ref, 8) != 0)
            return;
        k++;
    }
    end_batch(c, r, at, k);
}

/*
 * Hooks, on the scan's calling thread between segments. A segment is kept
 * when it is the next one of its root's plan; the samples of a segment are
 * only decoded for us (which costs the statistics their fast path) once
 * the root has a wanted series; a segment where the first wanted series
 * appears is therefore read again at publish. Anything else that differs
 * from the plan (order, a segment missing or cut short) makes the whole
 * root read at publish, as before.
 */
static void
scan_segment_begin(void *ctx, struct ps_wal_stats *s, const char *path)
{
    struct ps_samples *c = ctx;
    size_t pos = 0;
    struct wal_root *r = planned(c, path, &pos);
    c->cur = NULL;
    c->cur_samples = 0;
    if (r != NULL && !r->broken) {
        if (pos != r->next) {
            give_up(c, r);
        } else {
            r->next++;
            c->cur = r;
            c->cur_pos = pos;
            c->cur_lo = r->log.n;
            c->cur_reread = 0;
            c->cur_samples = pos == 0 || r->refs.n > 0;
        }
    }
    struct ps_wal_visitor v = {.series = keep_series, .ctx = c};
    if (c->cur_samples) {
        v.samples = keep_samples;
        v.histograms = keep_histograms;
    }
    ps_wal_stats_set_visitor(s, c->cur != NULL ? &v : NULL);
}

static void
scan_segment_end(void *ctx, struct ps_wal_stats *s, const char *path, uint64_t bytes,
                 int complete)
{
    struct ps_samples *c = ctx;
    struct wal_root *r = c->cur;
    (void)path;
    ps_wal_stats_set_visitor(s, NULL);
    c->cur = NULL;
    if (r == NULL || r->broken)
        return;
    if (!complete || bytes > MAX_SEGMENT_BYTES) {
        give_up(c, r);
        return;
    }
    struct plan_seg *g = &r->seg[c->cur_pos];
    if (c->cur_reread) {
        c->kept_bytes -= r->log.n - c->cur_lo;
        r->log.n = c->cur_lo;
        return;
    }
    g->kept = 1;
    g->lo = c->cur_lo;
    g->hi = r->log.n;
}

const struct ps_wal_scan_hooks *
ps_ingest_samples_wal_hooks(struct ps_samples *c)
{
    if (c == NULL || c->nnames == 0 || test_reread)
        return NULL;
    build_plan(c);
    c->hooks = (struct ps_wal_scan_hooks){scan_segment_begin, scan_segment_end, c};
    return &c->hooks;
}

/* ---- WAL: publishing, after the TSDB step ---- */

/* ".../wal" of a segment entry (malloc'd). */
static char *
wal_dir(const struct ps_entry *e)
{
    char *d = strdup(e->path);
    if (d == NULL)
        return NULL;
    for (int k = e->kind == PS_KIND_CHECKPOINT_SEGMENT ? 2 : 1; k > 0; k--) {
        char *sl = strrchr(d, '/');
        if (sl == NULL) {
            d[0] = '\0';
            break;
        }
        *sl = '\0';
    }
    return d;
}

static void
set_src(struct ps_samples *c, const struct ps_entry *e)
{
    char *dir = wal_dir(e);
    c->src = ps_facts_source(c->in->facts, dir != NULL ? dir : e->path);
    free(dir);
}

static void
publish_wal_root(struct ps_samples *c, struct ps_bundle *b, struct wal_root *w)
{
    const char *root = w->root;
    c->tsdb = root;
    c->tenant = w->tenant;
    c->min_valid = INT64_MIN;
    for (size_t i = 0; i < c->nroots; i++)
        if (strcmp(c->roots[i].dir, root) == 0) {
            c->tenant = c->roots[i].tenant;
            c->min_valid = c->roots[i].min_valid;
        }
    if (w->next != w->nseg)
        give_up(c, w); /* the scan did not read all of it */
    ps_map64_free(&c->map); /* refs are per WAL */
    struct ps_wal_reader rd;
    ps_wal_reader_init(&rd, on_record, on_corruption, c);
    for (size_t i = 0; i < w->nseg; i++) {
        const struct plan_seg *g = &w->seg[i];
        const struct ps_entry *e = g->e;
        if (g->kept && !w->broken) {
            set_src(c, e);
            replay_kept(c, w->log.p + g->lo, g->hi - g->lo);
            continue;
        }
        uint8_t *p = NULL;
        size_t len = 0;
        int cut = 0;
        if (ps_bundle_read_entry_upto(b, e->path, MAX_SEGMENT_BYTES, &p, &len, &cut) != PS_OK)
            continue;
        set_src(c, e);
        enum ps_wal_seg_kind k = e->kind == PS_KIND_CHECKPOINT_SEGMENT ? PS_WAL_SEG_CHECKPOINT
                                 : e->kind == PS_KIND_WAL_SEGMENT      ? PS_WAL_SEG_WAL
                                                                       : PS_WAL_SEG_WBL;
        ps_wal_reader_begin(&rd, e->path, k, e->seq);
        ps_wal_reader_feed(&rd, p, len);
        /* a segment the bundle cut short: its records up to the cut, as
         * the WAL step counts them */
        if (cut)
            ps_wal_reader_cut(&rd);
        else
            ps_wal_reader_end(&rd);
        free(p);
    }
    ps_wal_reader_free(&rd);
    c->kept_bytes -= w->log.n;
    ps_buf_free(&w->log);
    ps_map64_free(&w->refs);
}

/* See samples_int.h. */
void
samples_publish_wals(struct ps_samples *c, struct ps_bundle *b)
{
    build_plan(c); /* no-op when the scan had the hooks */
    for (size_t i = 0; i < c->nwr; i++)
        publish_wal_root(c, b, &c->wr[i]);
}

/* See samples_int.h. */
void
samples_wal_free(struct ps_samples *c)
{
    for (size_t i = 0; i < c->nwr; i++) {
        ps_buf_free(&c->wr[i].log);
        ps_map64_free(&c->wr[i].refs);
    }
    free(c->wr);
    free(c->segs);
    free(c->ix);
    ps_map64_free(&c->map);
    ps_wal_decoder_free(&c->dec);
    ps_buf_free(&c->lbuf);
}
