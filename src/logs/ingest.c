/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ingest.c - reading one log file (a bundle stream or bytes in memory)
 * line by line: detecting its shape, undoing the framing (CRI and docker
 * partial lines joined, OpenSearch/Elasticsearch documents unpacked),
 * parsing each body, matching signatures, and publishing what was found:
 * per-file statistics and records in the ctx, events in the fact store,
 * and the cumulative counters at ps_logs_ctx_finish().
 *
 * Memory is bounded whatever the input: a line is read through a buffer
 * of PS_LOGS_MAX_LINE plus one chunk; a longer line is matched on its
 * first PS_LOGS_MAX_LINE bytes and the rest skipped; joined partial lines
 * stop growing at the same size; an OpenSearch search response (one JSON
 * document) is read whole only up to ES_HITS_MAX bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "logs/logs_int.h"

#define CHUNK ((size_t)256 << 10)
#define ES_HITS_MAX ((size_t)256 << 20)
#define DEFAULT_MAX_RECORDS 100000

/* ---- counters kept until finish ---- */

struct tvec {
    int64_t *t;
    size_t n, cap;
};

/* promsight_log_lines_total: one bucket per (key, minute). */
struct lbucket {
    uint32_t key;
    int64_t minute;
    uint64_t count;
    int64_t maxt;
};

struct ps_logs_ctx {
    struct ps_sigset *sigs;
    struct ps_logs_opts o;
    struct ps_logs_file *files;
    size_t nfiles, capfiles;
    struct ps_logs_record *recs;
    size_t nrecs, caprecs, dropped;
    /* event counters: key "sig\x1fpod\x1fcontainer\x1fns" -> times */
    struct ps_intern ekeys;
    struct tvec *etimes;
    size_t ecap;
    /* line counters: key "level\x1fpod\x1fcontainer\x1fns" */
    struct ps_intern lkeys;
    struct lbucket *lb;
    size_t nlb, caplb;
    struct ps_map64 lbmap;           /* hash(key, minute) -> index+1 chain-free */
    struct ps_buf scratch;           /* JSON bodies rewritten as logfmt */
    struct ps_buf keybuf;
    int finished;
};

/* ---- line reader over a pull function ---- */

typedef ssize_t (*pull_fn)(void *arg, void *buf, size_t n);

struct reader {
    pull_fn pull;
    void *arg;
    char *buf;
    size_t cap, beg, end;
    int eof;
    int skipping;        /* inside an over-long line: drop to its newline */
    uint64_t off;        /* file offset of buf[beg] */
    int err;
};

static int
reader_fill(struct reader *r)
{
    if (r->eof)
        return 0;
    if (r->beg > 0) {
        memmove(r->buf, r->buf + r->beg, r->end - r->beg);
        r->end -= r->beg;
        r->beg = 0;
    }
    size_t room = r->cap - r->end;
    if (room == 0)
        return 0;
    if (room > CHUNK)
        room = CHUNK;
    ssize_t got = r->pull(r->arg, r->buf + r->end, room);
    if (got <= 0) {
        r->eof = 1;
        if (got < 0)
            r->err = 1;
        return 0;
    }
    r->end += (size_t)got;
    return 1;
}

/*
 * Next physical line (without '\n', and without a trailing '\r').
 * Returns 1 with *line, *n, *off, *truncated set; 0 at the end.
 * The line is valid until the next call.
 */
static int
reader_line(struct reader *r, const char **line, size_t *n, uint64_t *off,
            int *truncated)
{
    *truncated = 0;
    for (;;) {
        char *nl = r->end > r->beg ? memchr(r->buf + r->beg, '\n', r->end - r->beg)
                                   : NULL;
        if (r->skipping) {
            if (nl != NULL) {
                size_t adv = (size_t)(nl - (r->buf + r->beg)) + 1;
                r->off += adv;
                r->beg += adv;
                r->skipping = 0;
                continue;
            }
            r->off += r->end - r->beg;
            r->beg = r->end = 0;
            if (!reader_fill(r))
                return 0;
            continue;
        }
        if (nl != NULL) {
            size_t len = (size_t)(nl - (r->buf + r->beg));
            *line = r->buf + r->beg;
            *off = r->off;
            r->beg += len + 1;
            r->off += len + 1;
            if (len > 0 && (*line)[len - 1] == '\r')
                len--;
            *n = len;
            return 1;
        }
        if (r->end - r->beg >= PS_LOGS_MAX_LINE) {
            *line = r->buf + r->beg;
            *n = PS_LOGS_MAX_LINE;
            *off = r->off;
            *truncated = 1;
            r->beg += PS_LOGS_MAX_LINE;
            r->off += PS_LOGS_MAX_LINE;
            r->skipping = 1;
            return 1;
        }
        if (!reader_fill(r)) {
            if (r->end > r->beg) {
                size_t len = r->end - r->beg;
                *line = r->buf + r->beg;
                *off = r->off;
                r->off += len;
                r->beg = r->end;
                if (len > 0 && (*line)[len - 1] == '\r')
                    len--;
                *n = len;
                return 1;
            }
            return 0;
        }
    }
}

struct mem_src {
    const uint8_t *p;
    size_t n, pos;
};

static ssize_t
mem_pull(void *arg, void *buf, size_t n)
{
    struct mem_src *m = arg;
    size_t k = m->n - m->pos < n ? m->n - m->pos : n;
    memcpy(buf, m->p + m->pos, k);
    m->pos += k;
    return (ssize_t)k;
}

static ssize_t
stream_pull(void *arg, void *buf, size_t n)
{
    return ps_stream_read(arg, buf, n);
}

/* ---- ctx ---- */

enum ps_err
ps_logs_ctx_new(struct ps_sigset *sigs, const struct ps_logs_opts *opts,
                struct ps_logs_ctx **out)
{
    struct ps_logs_ctx *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return PS_E_NOMEM;
    c->sigs = sigs;
    if (opts != NULL)
        c->o = *opts;
    if (c->o.max_records == 0)
        c->o.max_records = DEFAULT_MAX_RECORDS;
    *out = c;
    return PS_OK;
}

static void
record_free(struct ps_logs_record *r)
{
    free(r->text);
    for (size_t i = 0; i < r->nfields; i++) {
        free((char *)r->fields[i].name);
        free((char *)r->fields[i].value);
    }
    free(r->pod);
    free(r->container);
    free(r->ns);
}

void
ps_logs_ctx_free(struct ps_logs_ctx *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->nfiles; i++) {
        struct ps_logs_file *f = &c->files[i];
        free(f->path);
        free(f->pod);
        free(f->container);
        free(f->ns);
        free(f->sig_count);
        free(f->sig_first);
        free(f->sig_last);
    }
    free(c->files);
    for (size_t i = 0; i < c->nrecs; i++)
        record_free(&c->recs[i]);
    free(c->recs);
    for (size_t i = 0; i < c->ekeys.n; i++)
        free(c->etimes[i].t);
    free(c->etimes);
    ps_intern_free(&c->ekeys);
    ps_intern_free(&c->lkeys);
    free(c->lb);
    ps_map64_free(&c->lbmap);
    ps_buf_free(&c->scratch);
    ps_buf_free(&c->keybuf);
    free(c);
}

size_t
ps_logs_ctx_nfiles(const struct ps_logs_ctx *c)
{
    return c->nfiles;
}

const struct ps_logs_file *
ps_logs_ctx_file(const struct ps_logs_ctx *c, size_t i)
{
    return i < c->nfiles ? &c->files[i] : NULL;
}

size_t
ps_logs_ctx_nrecords(const struct ps_logs_ctx *c)
{
    return c->nrecs;
}

const struct ps_logs_record *
ps_logs_ctx_record(const struct ps_logs_ctx *c, size_t i)
{
    return i < c->nrecs ? &c->recs[i] : NULL;
}

size_t
ps_logs_ctx_records_dropped(const struct ps_logs_ctx *c)
{
    return c->dropped;
}

const struct ps_sigset *
ps_logs_ctx_sigset(const struct ps_logs_ctx *c)
{
    return c->sigs;
}

/* ---- labels from the path ---- */

static char *
dup_n(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p != NULL) {
        memcpy(p, s, n);
        p[n] = 0;
    }
    return p;
}

/* Namespace from kubelet (pods/<ns>_<pod>_<uid>/), must-gather
 * (namespaces/<ns>/) and troubleshoot (pods/logs/<ns>/) paths. */
static char *
path_namespace(const char *path)
{
    const char *p;
    if ((p = strstr(path, "namespaces/")) != NULL &&
        (p == path || p[-1] == '/')) {
        p += 11;
        const char *e = strchr(p, '/');
        if (e != NULL && e > p)
            return dup_n(p, (size_t)(e - p));
    }
    if ((p = strstr(path, "pods/logs/")) != NULL && (p == path || p[-1] == '/')) {
        p += 10;
        const char *e = strchr(p, '/');
        if (e != NULL && e > p && strchr(e + 1, '/') != NULL)
            return dup_n(p, (size_t)(e - p));
    }
    if ((p = strstr(path, "log/pods/")) != NULL) {
        p += 9;
        const char *e = strchr(p, '/');
        const char *u = memchr(p, '_', e != NULL ? (size_t)(e - p) : 0);
        if (u != NULL && u > p)
            return dup_n(p, (size_t)(u - p));
    }
    return NULL;
}

static enum ps_err
file_new(struct ps_logs_ctx *c, const char *path, const struct ps_entry *e,
         size_t *fi)
{
    enum ps_err err = ps_grow((void **)&c->files, &c->capfiles, c->nfiles + 1,
                              sizeof(*c->files));
    if (err != PS_OK)
        return err;
    struct ps_logs_file *f = &c->files[c->nfiles];
    memset(f, 0, sizeof(*f));
    size_t ns = ps_sigset_count(c->sigs);
    f->path = strdup(path);
    f->sig_count = calloc(ns + 1, sizeof(*f->sig_count));
    f->sig_first = calloc(ns + 1, sizeof(*f->sig_first));
    f->sig_last = calloc(ns + 1, sizeof(*f->sig_last));
    if (e != NULL) {
        f->pod = e->pod != NULL ? strdup(e->pod) : NULL;
        f->container = e->container != NULL ? strdup(e->container) : NULL;
    }
    for (size_t i = 0; i <= ns; i++) {
        f->sig_first[i] = INT64_MAX;
        f->sig_last[i] = INT64_MIN;
    }
    f->ns = path_namespace(path);
    const char *base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;
    f->previous = strstr(base, "previous") != NULL;
    if (f->path == NULL || f->sig_count == NULL || f->sig_first == NULL ||
        f->sig_last == NULL) {
        free(f->path);
        free(f->sig_count);
        free(f->sig_first);
        free(f->sig_last);
        free(f->pod);
        free(f->container);
        free(f->ns);
        return PS_E_NOMEM;
    }
    *fi = c->nfiles++;
    return PS_OK;
}

/* ---- counters ---- */

static enum ps_err
key4(struct ps_logs_ctx *c, struct ps_intern *in, const char *a,
     const char *pod, const char *ctr, const char *ns, uint32_t *id)
{
    c->keybuf.n = 0;
    const char *parts[4] = {a, pod, ctr, ns};
    for (int i = 0; i < 4; i++) {
        if (i > 0)
            ps_buf_append(&c->keybuf, "\x1f", 1);
        if (parts[i] != NULL)
            ps_buf_append(&c->keybuf, parts[i], strlen(parts[i]));
    }
    if (c->keybuf.p == NULL)
        return PS_E_NOMEM;
    return ps_intern_get(in, (const char *)c->keybuf.p, c->keybuf.n, id);
}

static void
count_event(struct ps_logs_ctx *c, uint32_t id, int64_t t)
{
    if (id >= c->ecap) {
        size_t old = c->ecap;
        if (ps_grow((void **)&c->etimes, &c->ecap, (size_t)id + 1,
                    sizeof(*c->etimes)) != PS_OK)
            return;
        memset(c->etimes + old, 0, (c->ecap - old) * sizeof(*c->etimes));
    }
    struct tvec *v = &c->etimes[id];
    if (ps_grow((void **)&v->t, &v->cap, v->n + 1, sizeof(*v->t)) == PS_OK)
        v->t[v->n++] = t;
}

/* Add one line to bucket (id, minute of t); returns the bucket index + 1,
 * or 0 on OOM. */
static size_t
count_line(struct ps_logs_ctx *c, uint32_t id, int64_t t)
{
    int64_t minute = t >= 0 ? t / 60000 : (t - 59999) / 60000;
    uint64_t h = ps_hash_u64(((uint64_t)id << 40) ^ (uint64_t)minute);
    /* Collisions of the 64-bit hash are resolved by probing h+1, h+2... */
    for (uint64_t k = h;; k++) {
        int ins = 0;
        uint64_t *slot = ps_map64_slot(&c->lbmap, k, &ins);
        if (slot == NULL)
            return 0;
        if (ins) {
            if (ps_grow((void **)&c->lb, &c->caplb, c->nlb + 1, sizeof(*c->lb)) != PS_OK) {
                *slot = 0;
                return 0;
            }
            c->lb[c->nlb] = (struct lbucket){id, minute, 0, t};
            *slot = ++c->nlb;
        }
        if (*slot == 0)
            return 0;
        struct lbucket *b = &c->lb[*slot - 1];
        if (b->key != id || b->minute != minute)
            continue;
        b->count++;
        if (t > b->maxt)
            b->maxt = t;
        return (size_t)*slot;
    }
}

static int
cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int
cmp_lb(const void *a, const void *b)
{
    const struct lbucket *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->minute > y->minute) - (x->minute < y->minute);
}

/* Split a key back into its four parts (in place in a copy). */
static void
split4(char *k, const char *part[4])
{
    for (int i = 0; i < 4; i++) {
        part[i] = k;
        char *sep = strchr(k, '\x1f');
        if (sep == NULL) {
            for (int j = i + 1; j < 4; j++)
                part[j] = "";
            return;
        }
        *sep = 0;
        k = sep + 1;
    }
}

enum ps_err
ps_logs_ctx_finish(struct ps_logs_ctx *c, struct ps_facts *facts)
{
    if (c->finished || facts == NULL)
        return PS_OK;
    c->finished = 1;
    uint32_t src = ps_facts_source(facts, "derived:logs");
    enum ps_err rc = PS_OK;
    for (uint32_t id = 0; id < c->ekeys.n && id < c->ecap && rc == PS_OK; id++) {
        struct tvec *v = &c->etimes[id];
        if (v->n == 0)
            continue;
        char *k = strdup(ps_intern_str(&c->ekeys, id));
        if (k == NULL)
            return PS_E_NOMEM;
        const char *part[4];
        split4(k, part);
        int si = ps_sigset_find(c->sigs, part[0]);
        const char *cls = si >= 0 ? ps_sigset_get(c->sigs, (size_t)si)->cls : "";
        struct ps_label l[5] = {{"signature", part[0]}, {"class", cls},
                                {"pod", part[1]}, {"container", part[2]},
                                {"namespace", part[3]}};
        uint32_t sid;
        rc = ps_facts_series(facts, "promsight_log_events_total", l, 5, &sid);
        qsort(v->t, v->n, sizeof(*v->t), cmp_i64);
        for (size_t i = 0; i < v->n && rc == PS_OK; i++)
            if (i + 1 == v->n || v->t[i + 1] != v->t[i])
                rc = ps_facts_add_sample(facts, sid, v->t[i], (double)(i + 1), src);
        free(k);
    }
    if (c->nlb > 0)
        qsort(c->lb, c->nlb, sizeof(*c->lb), cmp_lb);
    uint64_t cum = 0;
    uint32_t sid = 0;
    for (size_t i = 0; i < c->nlb && rc == PS_OK; i++) {
        struct lbucket *b = &c->lb[i];
        if (i == 0 || b->key != c->lb[i - 1].key) {
            cum = 0;
            char *k = strdup(ps_intern_str(&c->lkeys, b->key));
            if (k == NULL)
                return PS_E_NOMEM;
            const char *part[4];
            split4(k, part);
            struct ps_label l[4] = {{"level", part[0]}, {"pod", part[1]},
                                    {"container", part[2]}, {"namespace", part[3]}};
            rc = ps_facts_series(facts, "promsight_log_lines_total", l, 4, &sid);
            free(k);
            if (rc != PS_OK)
                break;
        }
        cum += b->count;
        rc = ps_facts_add_sample(facts, sid, b->maxt, (double)cum, src);
    }
    return rc;
}

/* ---- per-file state ---- */

struct lineinfo {
    const char *s;
    size_t n;
    uint32_t line;
    uint64_t off;
    int64_t frame_t;
    int has_frame_t;
    const char *pod, *container, *ns;   /* NULL: the file's */
};

enum warn_kind { W_LONG, W_NUL, W_UTF8, W_QUOTE, W_FRAME, W_JSON, W_NOTIME, W__COUNT };

struct fstate {
    struct ps_logs_ctx *c;
    size_t fi;
    struct ps_logs_file *f;
    struct ps_facts *facts;
    struct ps_diags *d;
    uint32_t src;
    int year_hint;
    int64_t last_t;
    int has_last_t;
    /* partial lines (CRI P, docker json without '\n') */
    struct ps_buf join;
    int joining;
    uint32_t join_line;
    uint64_t join_off;
    int64_t join_t;
    int join_has_t;
    int join_cut;
    /* first occurrence and count of each input problem */
    uint64_t wcount[W__COUNT];
    uint32_t wline[W__COUNT];
    uint64_t unpublished;        /* matches without any time */
    /* Counter keys for lines carrying the file's own labels. */
    uint32_t lkey[PS_LLVL__COUNT];
    uint8_t lkey_ok[PS_LLVL__COUNT];
    size_t lb_last[PS_LLVL__COUNT];     /* bucket index + 1 of the last line */
    uint32_t *ekey;                      /* per signature */
    uint8_t *ekey_ok;
};

static int
file_labels(const struct fstate *fs, const struct lineinfo *li)
{
    return li->pod == fs->f->pod && li->container == fs->f->container &&
           li->ns == fs->f->ns;
}

static void
add_line_count(struct fstate *fs, const struct lineinfo *li,
               enum ps_log_level lvl, int64_t t)
{
    struct ps_logs_ctx *c = fs->c;
    uint32_t id;
    int own = file_labels(fs, li);
    if (own && fs->lkey_ok[lvl]) {
        id = fs->lkey[lvl];
        size_t last = fs->lb_last[lvl];
        int64_t minute = t >= 0 ? t / 60000 : (t - 59999) / 60000;
        if (last > 0 && c->lb[last - 1].key == id && c->lb[last - 1].minute == minute) {
            c->lb[last - 1].count++;
            if (t > c->lb[last - 1].maxt)
                c->lb[last - 1].maxt = t;
            return;
        }
    } else if (key4(c, &c->lkeys, ps_log_level_name(lvl), li->pod, li->container,
                    li->ns, &id) != PS_OK) {
        return;
    }
    size_t b = count_line(c, id, t);
    if (own) {
        fs->lkey[lvl] = id;
        fs->lkey_ok[lvl] = 1;
        fs->lb_last[lvl] = b;
    }
}

static void
add_event_count(struct fstate *fs, const struct lineinfo *li, int si,
                const char *sig, int64_t t)
{
    uint32_t id;
    int own = file_labels(fs, li) && fs->ekey != NULL;
    if (own && fs->ekey_ok[si]) {
        id = fs->ekey[si];
    } else {
        if (key4(fs->c, &fs->c->ekeys, sig, li->pod, li->container, li->ns,
                 &id) != PS_OK)
            return;
        if (own) {
            fs->ekey[si] = id;
            fs->ekey_ok[si] = 1;
        }
    }
    count_event(fs->c, id, t);
}

static const char *const warn_text[W__COUNT] = {
    "line longer than 1 MiB: matched on its first 1 MiB, the rest skipped",
    "NUL bytes in line",
    "invalid UTF-8 in line (replaced with U+FFFD in output)",
    "unterminated quoted value in logfmt line",
    "line does not have the file's framing; read as a bare line",
    "line is not valid JSON",
    "line has no time and none could be carried from an earlier line",
};

static void
warn(struct fstate *fs, enum warn_kind k, uint32_t line, uint64_t off)
{
    if (fs->wcount[k]++ == 0) {
        fs->wline[k] = line;
        ps_diag_add(fs->d, k == W_NOTIME ? PS_SEV_NOTE : PS_SEV_WARN,
                    k == W_LONG ? PS_E_LIMIT : PS_E_SYNTAX, fs->f->path,
                    line > 0 ? PS_OFF_NONE : off, line, "logs", "%s",
                    warn_text[k]);
    }
}

/* ---- one logical line ---- */

static int
has_high_byte(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, u + i, 8);
        if (w & 0x8080808080808080ULL)
            return 1;
    }
    for (; i < n; i++)
        if (u[i] & 0x80)
            return 1;
    return 0;
}

static void
keep_record(struct fstate *fs, const struct lineinfo *li, int64_t t, int has_t,
            int sig, enum ps_log_level lvl, const char *text,
            const struct ps_label *fl, size_t nfl)
{
    struct ps_logs_ctx *c = fs->c;
    if (c->nrecs >= c->o.max_records) {
        c->dropped++;
        return;
    }
    if (ps_grow((void **)&c->recs, &c->caprecs, c->nrecs + 1, sizeof(*c->recs)) != PS_OK) {
        c->dropped++;
        return;
    }
    struct ps_logs_record *r = &c->recs[c->nrecs];
    memset(r, 0, sizeof(*r));
    r->file = fs->fi;
    r->line = li->line;
    r->off = li->off;
    r->t = t;
    r->has_t = has_t;
    r->sig = sig;
    r->level = lvl;
    r->text = strdup(text);
    for (size_t i = 0; i < nfl; i++) {
        r->fields[i].name = strdup(fl[i].name);
        r->fields[i].value = strdup(fl[i].value);
        r->nfields++;
    }
    r->pod = li->pod != NULL ? strdup(li->pod) : NULL;
    r->container = li->container != NULL ? strdup(li->container) : NULL;
    r->ns = li->ns != NULL ? strdup(li->ns) : NULL;
    c->nrecs++;
}

static void
process(struct fstate *fs, struct lineinfo *li)
{
    struct ps_logs_ctx *c = fs->c;
    struct ps_logs_file *f = fs->f;
    if (li->pod == NULL && li->container == NULL && li->ns == NULL) {
        li->pod = f->pod;
        li->container = f->container;
        li->ns = f->ns;
    }
    if (li->has_frame_t)
        fs->year_hint = ps_log_year_of(li->frame_t);
    struct ps_log_body b;
    ps_log_parse_body(li->s, li->n, fs->year_hint, &c->scratch, &b);
    if (b.klog_no_year && !li->has_frame_t && f->year_from_mtime >= 0)
        f->year_from_mtime = 1;
    int64_t t = 0;
    int has_t = 1;
    if (b.has_t)
        t = b.t;
    else if (li->has_frame_t)
        t = li->frame_t;
    else if (fs->has_last_t) {
        t = fs->last_t;
        f->no_time++;
    } else {
        has_t = 0;
        f->no_time++;
        warn(fs, W_NOTIME, li->line, li->off);
    }
    if (has_t) {
        fs->last_t = t;
        fs->has_last_t = 1;
        if (!f->has_t || t < f->t_min)
            f->t_min = t;
        if (!f->has_t || t > f->t_max)
            f->t_max = t;
        f->has_t = 1;
    }
    f->lines++;
    f->by_level[b.level]++;
    f->by_format[b.fmt]++;
    if (memchr(li->s, 0, li->n) != NULL)
        warn(fs, W_NUL, li->line, li->off);
    if (has_high_byte(li->s, li->n) && !ps_log_utf8_valid(li->s, li->n))
        warn(fs, W_UTF8, li->line, li->off);
    if (b.unterminated)
        warn(fs, W_QUOTE, li->line, li->off);
    if (has_t && fs->facts != NULL)
        add_line_count(fs, li, b.level, t);

    struct ps_sig_match m;
    int si = ps_sigset_match(c->sigs, b.text, b.n, &m);
    if (si < 0 && !(c->o.keep_unmatched && b.level >= PS_LLVL_WARN))
        return;
    const struct ps_signature *g = si >= 0 ? ps_sigset_get(c->sigs, (size_t)si) : NULL;
    if (si >= 0) {
        f->matched++;
        if (has_t && t < f->sig_first[si])
            f->sig_first[si] = t;
        if (has_t && t > f->sig_last[si])
            f->sig_last[si] = t;
        f->sig_count[si]++;
    }
    struct ps_redact_stats rst = {0, 0, 0};
    char *text = ps_log_clean_text(li->s, li->n, PS_LOGS_MAX_MESSAGE, NULL, &rst);
    if (text == NULL)
        return;
    f->redacted += ps_redact_total(&rst);
    struct ps_label fl[PS_SIG_MAX_FIELDS];
    char *fv[PS_SIG_MAX_FIELDS];
    size_t nfl = 0;
    for (size_t i = 0; si >= 0 && i < m.nf; i++) {
        fv[nfl] = ps_log_clean_text(m.f[i].v, m.f[i].n, 512, NULL, NULL);
        if (fv[nfl] == NULL)
            continue;
        fl[nfl].name = m.f[i].name;
        fl[nfl].value = fv[nfl];
        nfl++;
    }
    if (g != NULL && fs->facts != NULL) {
        if (has_t) {
            struct ps_label ev_l[PS_SIG_MAX_FIELDS + 3];
            size_t nl = 0;
            ev_l[nl++] = (struct ps_label){"pod", li->pod != NULL ? li->pod : ""};
            ev_l[nl++] = (struct ps_label){"container",
                                           li->container != NULL ? li->container : ""};
            ev_l[nl++] = (struct ps_label){"namespace", li->ns != NULL ? li->ns : ""};
            for (size_t i = 0; i < nfl; i++) {
                /* A field named like a path label must not duplicate it. */
                int dup = 0;
                for (size_t k = 0; k < nl; k++)
                    dup |= strcmp(ev_l[k].name, fl[i].name) == 0;
                if (!dup)
                    ev_l[nl++] = fl[i];
            }
            /* Drop empty values: the store keeps label sets as given. */
            size_t w = 0;
            for (size_t i = 0; i < nl; i++)
                if (ev_l[i].value[0] != 0)
                    ev_l[w++] = ev_l[i];
            struct ps_event ev = {
                .t = t, .cls = g->cls, .signature = g->id, .sev = g->sev,
                .labels = ev_l, .nlabels = w, .message = text, .src = fs->src,
                /* Search-response documents have an index, not an offset. */
                .off = li->line > 0 ? li->off : PS_OFF_NONE, .line = li->line,
            };
            ps_facts_add_event(fs->facts, &ev);
            add_event_count(fs, li, si, g->id, t);
        } else {
            fs->unpublished++;
        }
    }
    if (c->o.keep_records)
        keep_record(fs, li, t, has_t, si, b.level, text, fl, nfl);
    for (size_t i = 0; i < nfl; i++)
        free(fv[i]);
    free(text);
}

/* ---- partial lines ---- */

static void
join_add(struct fstate *fs, const char *s, size_t n, uint32_t line,
         uint64_t off, int64_t t, int has_t)
{
    if (!fs->joining) {
        fs->joining = 1;
        fs->join.n = 0;
        fs->join_line = line;
        fs->join_off = off;
        fs->join_t = t;
        fs->join_has_t = has_t;
        fs->join_cut = 0;
    }
    size_t room = PS_LOGS_MAX_LINE - fs->join.n;
    if (n > room) {
        n = room;
        if (!fs->join_cut)
            warn(fs, W_LONG, line, off);
        fs->join_cut = 1;
    }
    ps_buf_append(&fs->join, s, n);
}

static void
join_flush(struct fstate *fs)
{
    if (!fs->joining)
        return;
    struct lineinfo li = {(const char *)fs->join.p, fs->join.n, fs->join_line,
                          fs->join_off, fs->join_t, fs->join_has_t,
                          NULL, NULL, NULL};
    if (li.s == NULL)
        li.s = "";
    fs->joining = 0;
    process(fs, &li);
}

/* ---- OpenSearch / Elasticsearch documents ---- */

static const char *
jstr(json_t *o, const char *k, size_t *n)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_string(v))
        return NULL;
    if (n != NULL)
        *n = json_string_length(v);
    return json_string_value(v);
}

/* kubernetes.<k> nested or flattened with a dot. */
static const char *
k8s_field(json_t *doc, const char *k)
{
    json_t *k8s = json_object_get(doc, "kubernetes");
    const char *v = json_is_object(k8s) ? jstr(k8s, k, NULL) : NULL;
    if (v == NULL) {
        char key[64];
        snprintf(key, sizeof(key), "kubernetes.%s", k);
        v = jstr(doc, key, NULL);
    }
    return v;
}

static void
process_doc(struct fstate *fs, json_t *doc, uint32_t line, uint64_t off)
{
    json_t *src = json_object_get(doc, "_source");
    if (json_is_object(src))
        doc = src;
    size_t mn = 0;
    const char *msg = jstr(doc, "log", &mn);
    if (msg == NULL)
        msg = jstr(doc, "message", &mn);
    if (msg == NULL) {
        warn(fs, W_FRAME, line, off);
        return;
    }
    while (mn > 0 && (msg[mn - 1] == '\n' || msg[mn - 1] == '\r'))
        mn--;
    struct lineinfo li = {msg, mn, line, off, 0, 0, k8s_field(doc, "pod_name"),
                          k8s_field(doc, "container_name"),
                          k8s_field(doc, "namespace_name")};
    const char *ts = jstr(doc, "@timestamp", NULL);
    if (ts == NULL)
        ts = jstr(doc, "time", NULL);
    if (ts == NULL)
        ts = jstr(doc, "timestamp", NULL);
    if (ts != NULL && ps_parse_rfc3339_ms(ts, strlen(ts), &li.frame_t))
        li.has_frame_t = 1;
    /* A CRI or kubectl prefix left in the message by a raw shipper. */
    int64_t t2;
    int partial;
    const char *m2;
    size_t m2n;
    if (ps_log_parse_cri(li.s, li.n, &t2, &partial, &m2, &m2n)) {
        li.s = m2;
        li.n = m2n;
        if (!li.has_frame_t) {
            li.frame_t = t2;
            li.has_frame_t = 1;
        }
    }
    process(fs, &li);
}

static void
read_es_hits(struct fstate *fs, struct reader *r, const char *first,
             size_t first_n)
{
    struct ps_buf all = {0};
    ps_buf_append(&all, first, first_n);
    ps_buf_append(&all, "\n", 1);
    /* Everything still buffered, then the rest of the stream. */
    int over = 0;
    for (;;) {
        if (r->end > r->beg) {
            size_t k = r->end - r->beg;
            if (all.n + k > ES_HITS_MAX) {
                over = 1;
                break;
            }
            ps_buf_append(&all, r->buf + r->beg, k);
            r->beg = r->end;
        }
        if (!reader_fill(r))
            break;
    }
    fs->f->bytes = all.n;
    if (over) {
        ps_diag_add(fs->d, PS_SEV_ERROR, PS_E_LIMIT, fs->f->path, PS_OFF_NONE, 0,
                    "logs", "search response larger than 256 MiB: not read");
        ps_buf_free(&all);
        return;
    }
    json_error_t jerr;
    json_t *j = json_loadb((const char *)all.p, all.n, JSON_ALLOW_NUL, &jerr);
    ps_buf_free(&all);
    if (j == NULL) {
        ps_diag_add(fs->d, PS_SEV_WARN, PS_E_SYNTAX, fs->f->path,
                    (uint64_t)jerr.position, (uint32_t)(jerr.line > 0 ? jerr.line : 0),
                    "logs", "not a JSON search response: %s", jerr.text);
        return;
    }
    json_t *hits = json_object_get(json_object_get(j, "hits"), "hits");
    if (!json_is_array(hits)) {
        ps_diag_add(fs->d, PS_SEV_WARN, PS_E_SYNTAX, fs->f->path, PS_OFF_NONE, 0,
                    "logs", "JSON document without hits.hits[]");
    } else {
        size_t i;
        json_t *h;
        json_array_foreach(hits, i, h) {
            fs->f->phys_lines++;
            if (json_is_object(h))
                process_doc(fs, h, 0, (uint64_t)i);
        }
    }
    json_decref(j);
}

/* ---- one file ---- */

static void
physical_line(struct fstate *fs, const char *s, size_t n, uint32_t ln,
              uint64_t off)
{
    struct lineinfo li = {s, n, ln, off, 0, 0, NULL, NULL, NULL};
    switch (fs->f->shape) {
    case PS_LSHAPE_CRI: {
        int partial;
        const char *m;
        size_t mn;
        int64_t t;
        if (!ps_log_parse_cri(s, n, &t, &partial, &m, &mn)) {
            warn(fs, W_FRAME, ln, off);
            join_flush(fs);
            process(fs, &li);
            return;
        }
        if (partial || fs->joining) {
            join_add(fs, m, mn, ln, off, t, 1);
            if (!partial)
                join_flush(fs);
            return;
        }
        li.s = m;
        li.n = mn;
        li.frame_t = t;
        li.has_frame_t = 1;
        process(fs, &li);
        return;
    }
    case PS_LSHAPE_KUBECTL_TS:
        if (ps_log_parse_kubectl(s, n, &li.frame_t, &li.s, &li.n))
            li.has_frame_t = 1;
        else
            warn(fs, W_FRAME, ln, off);
        process(fs, &li);
        return;
    case PS_LSHAPE_DOCKER_JSON:
    case PS_LSHAPE_ES_NDJSON: {
        json_error_t jerr;
        json_t *j = json_loadb(s, n, JSON_ALLOW_NUL, &jerr);
        if (!json_is_object(j)) {
            json_decref(j);
            warn(fs, W_JSON, ln, off);
            join_flush(fs);        /* keep lines in file order */
            process(fs, &li);
            return;
        }
        if (fs->f->shape == PS_LSHAPE_ES_NDJSON) {
            process_doc(fs, j, ln, off);
        } else {
            size_t mn = 0;
            const char *m = jstr(j, "log", &mn);
            const char *ts = jstr(j, "time", NULL);
            int64_t t = 0;
            int has_t = ts != NULL && ps_parse_rfc3339_ms(ts, strlen(ts), &t);
            if (m == NULL) {
                warn(fs, W_FRAME, ln, off);
                join_flush(fs);
            } else if (mn > 0 && m[mn - 1] == '\n') {
                join_add(fs, m, mn - 1, ln, off, t, has_t);
                join_flush(fs);
            } else {
                join_add(fs, m, mn, ln, off, t, has_t);
            }
        }
        json_decref(j);
        return;
    }
    default:
        process(fs, &li);
        return;
    }
}

static void
finish_file(struct fstate *fs)
{
    struct ps_logs_file *f = fs->f;
    if (fs->joining) {
        ps_diag_add(fs->d, PS_SEV_WARN, PS_E_TRUNCATED, f->path, fs->join_off,
                    fs->join_line, "logs",
                    "partial line never closed by a full line; read as it is");
        join_flush(fs);
    }
    for (int k = 0; k < W__COUNT; k++)
        if (fs->wcount[k] > 1)
            ps_diag_add(fs->d, k == W_NOTIME ? PS_SEV_NOTE : PS_SEV_WARN,
                        PS_E_SYNTAX, f->path, PS_OFF_NONE, fs->wline[k], "logs",
                        "%s: %llu lines in all (first at line %u)", warn_text[k],
                        (unsigned long long)fs->wcount[k], fs->wline[k]);
    if (f->year_from_mtime > 0)
        ps_diag_add(fs->d, PS_SEV_NOTE, PS_E_SYNTAX, f->path, PS_OFF_NONE, 0,
                    "logs", "klog times have no year: took %d from the file's "
                    "modification time", fs->year_hint);
    if (fs->unpublished > 0)
        ps_diag_add(fs->d, PS_SEV_NOTE, PS_E_SYNTAX, f->path, PS_OFF_NONE, 0,
                    "logs", "%llu matched lines have no time and were not "
                    "published as events", (unsigned long long)fs->unpublished);
}

/* 1 if needle occurs in h[0..n) (memmem is a GNU extension). */
static int
contains(const char *h, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (const char *p = h; m <= n && (size_t)(p - h) <= n - m;) {
        p = memchr(p, needle[0], n - m + 1 - (size_t)(p - h));
        if (p == NULL)
            return 0;
        if (memcmp(p, needle, m) == 0)
            return 1;
        p++;
    }
    return 0;
}

int
ps_logs_looks_like_export(const void *head, size_t n)
{
    const char *h = head;
    size_t i = 0;
    while (i < n && (h[i] == '\n' || h[i] == '\r' || h[i] == ' ' || h[i] == '\t'))
        i++;
    const char *nl = i < n ? memchr(h + i, '\n', n - i) : NULL;
    size_t e = nl != NULL ? (size_t)(nl - h) : n;
    enum ps_log_shape sh = ps_log_detect_shape(h + i, e - i);
    if (sh == PS_LSHAPE_ES_NDJSON)
        return 1;
    if (sh != PS_LSHAPE_ES_HITS)
        return 0;
    size_t m = n < 65536 ? n : 65536;
    return contains(h, m, "\"hits\"") && contains(h, m, "\"_source\"");
}

/* Probe mode: 1 if the buffered start of the file is an export. */
static int
looks_es(const struct reader *r)
{
    return ps_logs_looks_like_export(r->buf, r->end);
}

static void
file_drop_last(struct ps_logs_ctx *c)
{
    struct ps_logs_file *f = &c->files[--c->nfiles];
    free(f->path);
    free(f->pod);
    free(f->container);
    free(f->ns);
    free(f->sig_count);
    free(f->sig_first);
    free(f->sig_last);
}

/* probe: read the file only if it is an OpenSearch/Elasticsearch export;
 * returns PS_DONE (nothing recorded) if it is not. */
static enum ps_err
ingest(struct ps_logs_ctx *c, const char *path, const struct ps_entry *e,
       pull_fn pull, void *arg, struct ps_facts *facts, struct ps_diags *d,
       int probe)
{
    size_t fi;
    enum ps_err err = file_new(c, path, e, &fi);
    if (err != PS_OK)
        return err;
    struct fstate fs;
    memset(&fs, 0, sizeof(fs));
    fs.c = c;
    fs.fi = fi;
    fs.f = &c->files[fi];
    fs.facts = facts;
    fs.d = d;
    fs.src = facts != NULL ? ps_facts_source(facts, path) : PS_SRC_NONE;
    fs.ekey = calloc(ps_sigset_count(c->sigs) + 1, sizeof(*fs.ekey));
    fs.ekey_ok = calloc(ps_sigset_count(c->sigs) + 1, 1);
    if (e != NULL && e->mtime_ms > 0)
        fs.year_hint = ps_log_year_of(e->mtime_ms);
    else
        fs.f->year_from_mtime = -1;   /* no mtime: klog times stay unknown */
    struct reader r = {pull, arg, malloc(PS_LOGS_MAX_LINE + CHUNK),
                       PS_LOGS_MAX_LINE + CHUNK, 0, 0, 0, 0, 0, 0};
    if (r.buf == NULL)
        return PS_E_NOMEM;
    const char *s;
    size_t n;
    uint64_t off;
    int truncated;
    uint32_t ln = 0;
    int shaped = 0;
    fs.f->shape = PS_LSHAPE_EMPTY;
    while (reader_line(&r, &s, &n, &off, &truncated)) {
        if (ln < UINT32_MAX)
            ln++;
        fs.f->phys_lines++;
        if (truncated)
            warn(&fs, W_LONG, ln, off);
        if (!shaped) {
            if (n == 0)
                continue;
            shaped = 1;
            fs.f->shape = ps_log_detect_shape(s, n);
            if (probe && !looks_es(&r)) {
                free(r.buf);
                free(fs.ekey);
                free(fs.ekey_ok);
                file_drop_last(c);
                return PS_DONE;
            }
            if (fs.f->shape == PS_LSHAPE_ES_HITS) {
                read_es_hits(&fs, &r, s, n);
                break;
            }
        }
        if (n == 0)
            continue;
        physical_line(&fs, s, n, ln, off);
    }
    if (fs.f->shape != PS_LSHAPE_ES_HITS)
        fs.f->bytes = r.off;
    if (r.err)
        ps_diag_add(d, PS_SEV_ERROR, PS_E_IO, path, r.off, 0, "logs",
                    "read error; the file was read up to here");
    finish_file(&fs);
    free(r.buf);
    free(fs.ekey);
    free(fs.ekey_ok);
    ps_buf_free(&fs.join);
    return PS_OK;
}

enum ps_err
ps_logs_ingest_stream(struct ps_logs_ctx *c, const struct ps_entry *e,
                      struct ps_stream *s, struct ps_facts *facts,
                      struct ps_diags *diags)
{
    if (c == NULL || e == NULL || s == NULL)
        return PS_E_USAGE;
    return ingest(c, e->path, e, stream_pull, s, facts, diags, 0);
}

enum ps_err
ps_logs_ingest_mem(struct ps_logs_ctx *c, const char *path,
                   const struct ps_entry *e, const void *p, size_t n,
                   struct ps_facts *facts, struct ps_diags *diags)
{
    struct mem_src m = {p, n, 0};
    if (c == NULL || (p == NULL && n > 0))
        return PS_E_USAGE;
    if (path == NULL)
        path = e != NULL ? e->path : "<memory>";
    return ingest(c, path, e, mem_pull, &m, facts, diags, 0);
}

struct walk {
    struct ps_logs_ctx *c;
    struct ps_facts *facts;
    struct ps_diags *d;
    int single;
};

static enum ps_err
visit(void *arg, const struct ps_entry *e, struct ps_stream *s)
{
    struct walk *w = arg;
    if (s == NULL || e->unsafe || e->type != PS_ET_FILE)
        return PS_OK;
    enum ps_err err;
    if (e->kind == PS_KIND_LOG || w->single)
        err = ps_logs_ingest_stream(w->c, e, s, w->facts, w->d);
    else if (e->kind == PS_KIND_TEXT || e->kind == PS_KIND_UNKNOWN ||
             e->kind == PS_KIND_API_JSON)
        err = ingest(w->c, e->path, e, stream_pull, s, w->facts, w->d, 1);
    else
        return PS_OK;
    return err == PS_E_NOMEM ? err : PS_OK;
}

enum ps_err
ps_logs_ingest_bundle(struct ps_logs_ctx *c, struct ps_bundle *b,
                      struct ps_facts *facts, struct ps_diags *diags)
{
    struct walk w = {c, facts, diags, 0};
    struct stat st;
    if (!ps_bundle_is_archive(b) && stat(ps_bundle_path(b), &st) == 0 &&
        S_ISREG(st.st_mode))
        w.single = 1;
    return ps_bundle_walk(b, visit, &w);
}
