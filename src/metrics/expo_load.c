/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * expo_load.c - a metric dump (text format 0.0.4 or OpenMetrics) into the
 * fact store: streams the entry through a fixed buffer (max_line plus one
 * read chunk), hands each line to expo_parse.c, and turns every sample
 * into a series of the fact store with the target's identity (pod,
 * container, source="dump") and a time:
 *
 *   explicit sample timestamp  >  time in the file name  >  entry mtime
 *
 * Text-format timestamps are integer milliseconds; OpenMetrics timestamps
 * are float seconds. A file is OpenMetrics once it shows "# EOF",
 * "# UNIT", an exemplar, an OpenMetrics-only type or a fractional
 * timestamp; an integer timestamp below 1e11 (1973 as milliseconds) is
 * read as seconds in either format.
 *
 * Bad lines (syntax, too long, too many labels) become located warnings
 * (at most PS_EXPO_MAX_DIAGS per file, then a count) and the rest of the
 * file is read. Memory is bounded by the line limit, not the file size.
 *
 * From a target's second dump on, a cache maps the series text as written
 * ("name{labels}") to the series id (verified byte for byte), trying the
 * entry after the last hit first, so repeated dumps skip redaction and
 * the store's label lookup. Every dump also adds one sample of
 * promsight_dump_samples (samples it held) at its scrape time.
 */
#include "metrics/metrics_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PS_EXPO_CHUNK ((size_t)1 << 20)    /* bytes per read */
#define PS_EXPO_MAX_DIAGS 20               /* warnings per file before counting */
#define PS_EXPO_SECONDS_BELOW 1e11         /* integer ts below: seconds, not ms */
#define PS_EXPO_MIN_MS (-62135596800000.0) /* year 1 */
#define PS_EXPO_MAX_MS (253402300799000.0) /* year 9999 */
#define PS_SERIES_CACHE_BYTES ((size_t)64 << 20) /* verbatim keys kept */

struct expo_ctx {
    struct ps_metrics *m;
    const struct ps_entry *e;
    size_t fi;                    /* file index in m->files */
    uint32_t src;
    uint32_t target;              /* id of "pod\0container" in m->targets */
    uint64_t seed;                /* series cache hash seed for the target */
    int use_cache;                /* not the target's first dump */
    size_t cursor;                /* cache entry expected next (dumps keep order) */
    struct ps_expo_parser p;
    struct ps_label *labs;        /* max_labels + 3 */
    char *tmp;                    /* redaction output, exported_ names */
    size_t tmpcap;
    int64_t file_ms;              /* from name or mtime; INT64_MIN if none */
    enum ps_metrics_time_src file_src;
    int om;
    int eof_seen;
    int after_eof_warned;
    int secs_noted;
    uint64_t no_time;             /* samples without any time */
    uint64_t ndiags;              /* warnings for this file */
    uint64_t last_fam_hash;
    int have_last_fam;
    struct ps_intern typed;       /* names with a # TYPE line in this file */
    struct ps_intern helped;      /* names with a # HELP line in this file */
    struct ps_intern sampled;     /* sample names seen in this file */
    char last_sample[128];        /* name of the previous sample line */
    enum ps_err fatal;            /* PS_E_NOMEM stops the file */
};

static struct ps_metrics_file *
cur(struct expo_ctx *c)
{
    return &c->m->files[c->fi];
}

static void warn_line(struct expo_ctx *c, uint32_t line, enum ps_err code,
                      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
warn_line(struct expo_ctx *c, uint32_t line, enum ps_err code, const char *fmt, ...)
{
    c->ndiags++;
    if (c->ndiags > PS_EXPO_MAX_DIAGS)
        return;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    ps_diag_add(c->m->diags, PS_SEV_WARN, code, c->e->path, PS_OFF_NONE, line,
                "metrics: exposition line", "%s", msg);
}

static int
is_target_label(const struct expo_ctx *c, const char *name)
{
    if (strcmp(name, "source") == 0)
        return 1;
    if (c->e->pod != NULL && strcmp(name, "pod") == 0)
        return 1;
    if (c->e->container != NULL && strcmp(name, "container") == 0)
        return 1;
    return 0;
}

/*
 * What Prometheus' text parser rejects about metadata: a second TYPE or
 * HELP line for a name, and a TYPE line after samples of that name.
 */
static void
check_metadata(struct expo_ctx *c, const struct ps_expo_item *it, uint32_t line)
{
    struct ps_intern *set = it->kind == PS_EL_TYPE ? &c->typed : &c->helped;
    size_t n = strlen(it->name);
    uint32_t id;
    if (it->kind == PS_EL_UNIT)
        return;
    if (set->n != 0 && ps_intern_find(set, it->name, n, &id)) {
        warn_line(c, line, PS_E_SYNTAX, "second %s line for metric name %s",
                  it->kind == PS_EL_TYPE ? "TYPE" : "HELP", it->name);
        return;
    }
    if (ps_intern_get(set, it->name, n, &id) != PS_OK) {
        c->fatal = PS_E_NOMEM;
        return;
    }
    if (it->kind == PS_EL_TYPE && c->sampled.n != 0 &&
        ps_intern_find(&c->sampled, it->name, n, &id))
        warn_line(c, line, PS_E_SYNTAX, "TYPE line for metric name %s after "
                  "its samples", it->name);
}

/* Remember sample names (only when the name changes: samples come grouped). */
static void
note_sample_name(struct expo_ctx *c, const char *name)
{
    size_t n = strlen(name);
    if (n < sizeof(c->last_sample) && strcmp(name, c->last_sample) == 0)
        return;
    uint32_t id;
    if (ps_intern_get(&c->sampled, name, n, &id) != PS_OK)
        c->fatal = PS_E_NOMEM;
    if (n < sizeof(c->last_sample))
        memcpy(c->last_sample, name, n + 1);
    else
        c->last_sample[0] = 0;
}

static void
note_family(struct expo_ctx *c, const struct ps_expo_item *it)
{
    uint64_t h = ps_hash_bytes(it->name, strlen(it->name), 0);
    if (!c->have_last_fam || h != c->last_fam_hash)
        cur(c)->families++;
    c->have_last_fam = 1;
    c->last_fam_hash = h;
    int is_new;
    enum ps_err e = ps_metrics_family_note(
        c->m, it->name, it->kind == PS_EL_TYPE ? it->text : NULL,
        it->kind == PS_EL_HELP ? it->text : NULL,
        it->kind == PS_EL_UNIT ? it->text : NULL, &is_new);
    if (e == PS_E_NOMEM)
        c->fatal = e;
}

/* Sample time in ms from the item and the file; 0 when there is none. */
static int
sample_time(struct expo_ctx *c, const struct ps_expo_item *it, uint32_t line,
            int64_t *t)
{
    if (!it->has_ts) {
        if (c->file_src == PS_MTS_NONE)
            return 0;
        *t = c->file_ms;
        return 1;
    }
    double ms;
    if (it->ts_float || c->om)
        ms = it->ts * 1000.0;
    else if (fabs(it->ts) < PS_EXPO_SECONDS_BELOW && it->ts != 0) {
        ms = it->ts * 1000.0;
        if (!c->secs_noted) {
            c->secs_noted = 1;
            ps_diag_add(c->m->diags, PS_SEV_NOTE, PS_OK, c->e->path, PS_OFF_NONE,
                        line, "metrics: exposition timestamp",
                        "integer timestamps below 1e11 read as seconds, not "
                        "milliseconds");
        }
    } else
        ms = it->ts;
    if (!(ms >= PS_EXPO_MIN_MS && ms <= PS_EXPO_MAX_MS)) {
        warn_line(c, line, PS_E_SYNTAX, "timestamp out of range: sample not stored");
        return -1;
    }
    *t = (int64_t)llround(ms);
    return 1;
}

/* Remember "name{labels}" of this target -> id (best effort, bounded). */
static void
cache_put(struct ps_metrics *m, const struct expo_ctx *c, uint64_t h,
          const struct ps_expo_item *it, uint32_t id)
{
    if (it->series_len > UINT32_MAX ||
        m->cache_keys.n + it->series_len > PS_SERIES_CACHE_BYTES ||
        ps_grow((void **)&m->cache_ent, &m->capcache, m->ncache + 1,
                sizeof(*m->cache_ent)) != PS_OK)
        return;
    uint64_t off = m->cache_keys.n;
    if (ps_buf_append(&m->cache_keys, it->series_text, it->series_len) != PS_OK)
        return;
    if (ps_map64_put(&m->cache, h, m->ncache + 1) != PS_OK) {
        m->cache_keys.n = off;
        return;
    }
    m->cache_ent[m->ncache++] = (struct ps_cache_ent){off, (uint32_t)it->series_len,
                                                      c->target, id};
}

static void
add_sample(struct expo_ctx *c, const struct ps_expo_item *it, uint32_t line)
{
    struct ps_metrics *m = c->m;
    struct ps_metrics_file *f = cur(c);
    if (f->samples >= m->lim.max_samples) {
        f->skipped++;
        if (f->samples == m->lim.max_samples && f->skipped == 1)
            warn_line(c, line, PS_E_LIMIT, "sample limit (%llu) reached: the rest "
                      "of the file's samples are not stored",
                      (unsigned long long)m->lim.max_samples);
        return;
    }
    int64_t t = 0;
    int tr = sample_time(c, it, line, &t);
    if (tr <= 0) {
        f->skipped++;
        if (tr == 0)
            c->no_time++;
        return;
    }
    uint32_t id;
    enum ps_err e;
    int cacheable = c->use_cache;
    uint64_t h = 0, slot;
    if (cacheable && c->cursor < m->ncache) {
        /* The next dump lists the series in the same order: try the entry
         * after the last hit before hashing. */
        const struct ps_cache_ent *ce = &m->cache_ent[c->cursor];
        if (ce->target == c->target && ce->len == it->series_len &&
            memcmp(m->cache_keys.p + ce->off, it->series_text, ce->len) == 0) {
            id = ce->series;
            c->cursor++;
            e = PS_OK;
            goto have_id;
        }
    }
    if (cacheable)
        h = ps_hash_bytes(it->series_text, it->series_len, c->seed);
    if (cacheable && ps_map64_get(&m->cache, h, &slot)) {
        const struct ps_cache_ent *ce = &m->cache_ent[slot - 1];
        if (ce->target == c->target && ce->len == it->series_len &&
            memcmp(m->cache_keys.p + ce->off, it->series_text, ce->len) == 0) {
            id = ce->series;
            c->cursor = (size_t)slot;  /* the entry after this one */
            e = PS_OK;
            goto have_id;
        }
        cacheable = 0;                 /* a hash collision: leave the entry */
    }
    size_t red0 = ps_redact_total(&f->redacted);
    size_t w = 0, k = 0;
    for (size_t i = 0; i < it->nlabels; i++) {
        const struct ps_expo_label *l = &it->labels[i];
        const char *name = l->name;
        if (strcmp(name, "__name__") == 0) {
            warn_line(c, line, PS_E_SYNTAX, "a label named __name__: sample not stored");
            f->skipped++;
            return;
        }
        if (is_target_label(c, name)) {
            size_t nl = strlen(name);
            char *d = c->tmp + w;
            memcpy(d, "exported_", 9);
            memcpy(d + 9, name, nl + 1);
            w += nl + 10;
            name = d;
        }
        for (size_t j = 0; j < i && it->nlabels <= 64; j++) {
            if (strcmp(it->labels[j].name, l->name) == 0) {
                warn_line(c, line, PS_E_SYNTAX, "duplicate label %s: sample not "
                          "stored", l->name);
                f->skipped++;
                return;
            }
        }
        const char *v = ps_metrics_redact_label(m, name, l->value, l->value_len,
                                                c->tmp + w, c->tmpcap - w,
                                                &f->redacted);
        if (v == NULL) {
            c->fatal = PS_E_NOMEM;
            return;
        }
        if (v == c->tmp + w)
            w += strlen(v) + 1;
        c->labs[k++] = (struct ps_label){name, v};
    }
    if (c->e->pod != NULL)
        c->labs[k++] = (struct ps_label){"pod", c->e->pod};
    if (c->e->container != NULL)
        c->labs[k++] = (struct ps_label){"container", c->e->container};
    c->labs[k++] = (struct ps_label){"source", "dump"};
    e = ps_facts_series(m->facts, it->name, c->labs, k, &id);
    if (e == PS_OK && cacheable && ps_redact_total(&f->redacted) == red0)
        cache_put(m, c, h, it, id);   /* redacted series always take the long way */
have_id:
    if (e == PS_OK)
        e = ps_facts_add_sample(m->facts, id, t, it->value, c->src);
    if (e != PS_OK) {
        if (e == PS_E_NOMEM)
            c->fatal = e;
        else
            warn_line(c, line, e, "sample not stored: %s", ps_strerror(e));
        f->skipped++;
        return;
    }
    f->samples++;
    if (it->has_ts)
        f->samples_with_ts++;
    int fresh = ps_metrics_stamp(m, id, c->fi);
    if (fresh < 0)
        c->fatal = PS_E_NOMEM;
    else if (fresh)
        f->series++;
}

static void process_line(struct expo_ctx *c, const char *line, size_t n,
                         uint32_t lineno);

/*
 * The last line of a file without its newline: Prometheus rejects it
 * ("unexpected end of input stream") and a cut-off value would be wrong,
 * so only "# EOF", blanks and comments pass; a sample is not stored.
 */
static void
process_last_unterminated(struct expo_ctx *c, const char *line, size_t n,
                          uint32_t lineno)
{
    struct ps_expo_item it;
    ps_expo_parse_line(&c->p, line, n, &it);
    if (it.kind == PS_EL_EOF || it.kind == PS_EL_BLANK || it.kind == PS_EL_COMMENT) {
        process_line(c, line, n, lineno);
        return;
    }
    cur(c)->lines++;
    cur(c)->skipped++;
    warn_line(c, lineno, PS_E_TRUNCATED, "the file ends inside this line (no "
              "newline): it may be cut off, not stored");
}

static void
process_line(struct expo_ctx *c, const char *line, size_t n, uint32_t lineno)
{
    struct ps_expo_item it;
    struct ps_metrics_file *f = cur(c);
    f->lines++;
    ps_expo_parse_line(&c->p, line, n, &it);
    if (c->eof_seen && it.kind != PS_EL_BLANK && !c->after_eof_warned) {
        c->after_eof_warned = 1;
        warn_line(c, lineno, PS_E_SYNTAX, "content after '# EOF'; read on");
    }
    switch (it.kind) {
    case PS_EL_BLANK:
    case PS_EL_COMMENT:
        break;
    case PS_EL_EOF:
        c->om = 1;
        c->eof_seen = 1;
        f->eof_marker = 1;
        break;
    case PS_EL_UNIT:
        c->om = 1;
        note_family(c, &it);
        break;
    case PS_EL_TYPE:
        if (strcmp(it.text, "unknown") == 0 || strcmp(it.text, "info") == 0 ||
            strcmp(it.text, "stateset") == 0 || strcmp(it.text, "gaugehistogram") == 0)
            c->om = 1;
        check_metadata(c, &it, lineno);
        note_family(c, &it);
        break;
    case PS_EL_HELP:
        check_metadata(c, &it, lineno);
        note_family(c, &it);
        break;
    case PS_EL_SAMPLE:
        if (it.exemplar || it.ts_float)
            c->om = 1;
        note_sample_name(c, it.name);
        add_sample(c, &it, lineno);
        break;
    case PS_EL_ERROR:
        f->skipped++;
        warn_line(c, lineno, PS_E_SYNTAX, "line does not parse: expected %s "
                  "at column %zu", it.err, it.err_col + 1);
        break;
    }
}

static enum ps_err
ctx_init(struct expo_ctx *c, struct ps_metrics *m, const struct ps_entry *e)
{
    memset(c, 0, sizeof(*c));
    c->m = m;
    c->e = e;
    long fi = ps_metrics_file_add(m, e->path, PS_MF_TEXT);
    if (fi < 0)
        return PS_E_NOMEM;
    c->fi = (size_t)fi;
    c->src = ps_facts_source(m->facts, e->path);
    {
        char key[512];
        int kn = snprintf(key, sizeof(key), "%s%c%s", e->pod != NULL ? e->pod : "", 0,
                          e->container != NULL ? e->container : "");
        if (kn < 0 || (size_t)kn >= sizeof(key))
            kn = 0;                    /* absurdly long names: one shared key */
        if (ps_intern_get(&m->targets, key, (size_t)kn, &c->target) != PS_OK)
            return PS_E_NOMEM;
        c->seed = ps_hash_u64((uint64_t)c->target + 1);
        size_t old = m->cap_target_files;
        if ((size_t)c->target >= old) {
            if (ps_grow((void **)&m->target_files, &m->cap_target_files,
                        (size_t)c->target + 1, sizeof(uint32_t)) != PS_OK)
                return PS_E_NOMEM;
            memset(m->target_files + old, 0,
                   (m->cap_target_files - old) * sizeof(uint32_t));
        }
        /* Fill the cache from a target's second dump on: a single big
         * dump would only pay for it. */
        c->use_cache = m->target_files[c->target] > 0;
        if (m->target_files[c->target] < UINT32_MAX)
            m->target_files[c->target]++;
    }
    size_t L = m->lim.max_line, nl = m->lim.max_labels;
    if (L > SIZE_MAX / 4 || nl > SIZE_MAX / 128 - 8)
        return PS_E_USAGE;
    c->tmpcap = 3 * L + 80 * (nl + 4);
    c->tmp = malloc(c->tmpcap);
    c->labs = malloc((nl + 3) * sizeof(*c->labs));
    if (c->tmp == NULL || c->labs == NULL)
        return PS_E_NOMEM;
    enum ps_err r = ps_expo_parser_init(&c->p, L, nl);
    if (r != PS_OK)
        return r;
    int64_t t;
    if (ps_metrics_time_from_name(e->path, &t)) {
        c->file_ms = t;
        c->file_src = PS_MTS_FILENAME;
    } else if (e->mtime_ms != 0) {
        c->file_ms = e->mtime_ms;
        c->file_src = PS_MTS_MTIME;
    } else {
        c->file_ms = INT64_MIN;
        c->file_src = PS_MTS_NONE;
    }
    /* Two dumps of one target at one time: the later one's values win. */
    if (c->file_src != PS_MTS_NONE && c->file_ms >= 0 && c->file_ms < ((int64_t)1 << 42) &&
        c->target < (1u << 21)) {
        uint64_t key = ((uint64_t)c->target << 42) | (uint64_t)c->file_ms;
        int fresh = 0;
        uint64_t *slot = ps_map64_slot(&m->target_times, key, &fresh);
        if (slot == NULL)
            return PS_E_NOMEM;
        if (!fresh && *slot - 1 < m->nfiles) {
            char when[40];
            ps_fmt_time_ms(c->file_ms, when, sizeof(when));
            ps_diag_add(m->diags, PS_SEV_WARN, PS_E_CORRUPT, e->path, PS_OFF_NONE, 0,
                        "metrics: scrape time", "same scrape time (%s, from the %s) "
                        "as %s of the same target: this file's samples replace "
                        "that one's", when, ps_metrics_time_src_name(c->file_src),
                        m->files[*slot - 1].path);
        }
        *slot = (uint64_t)c->fi + 1;
    }
    return PS_OK;
}

/* Record the outcome on the file and free the context. */
static enum ps_err
ctx_done(struct expo_ctx *c, enum ps_err r)
{
    if (c->m != NULL && c->fi < c->m->nfiles) {
        struct ps_metrics_file *f = cur(c);
        f->format = c->om ? PS_MF_OPENMETRICS : PS_MF_TEXT;
        if (f->samples != 0 && f->samples == f->samples_with_ts && c->no_time == 0) {
            f->time_src = PS_MTS_SAMPLE;
            f->time_ms = INT64_MIN;
        } else {
            f->time_src = c->file_src;
            f->time_ms = c->file_ms;
        }
        const char *path = c->e->path;
        if (c->ndiags > PS_EXPO_MAX_DIAGS)
            ps_diag_add(c->m->diags, PS_SEV_WARN, PS_E_SYNTAX, path, PS_OFF_NONE, 0,
                        "metrics: exposition", "%llu more problems in this file "
                        "not shown", (unsigned long long)(c->ndiags - PS_EXPO_MAX_DIAGS));
        if (c->no_time != 0)
            ps_diag_add(c->m->diags, PS_SEV_WARN, PS_E_SYNTAX, path, PS_OFF_NONE, 0,
                        "metrics: scrape time", "no time for %llu samples (no "
                        "timestamp in the samples or the file name, no mtime): "
                        "not stored", (unsigned long long)c->no_time);
        if (c->om && !c->eof_seen && r == PS_OK)
            ps_diag_add(c->m->diags, PS_SEV_WARN, PS_E_TRUNCATED, path, PS_OFF_NONE,
                        f->lines, "metrics: exposition", "OpenMetrics without "
                        "'# EOF' at the end: the file may be truncated");
        /* One synthetic sample per dump: how many samples it held, so an
         * empty or missing scrape shows as a series of its own. */
        if (r == PS_OK && c->fatal == PS_OK && c->file_src != PS_MTS_NONE) {
            struct ps_label l[3];
            size_t k = 0;
            if (c->e->pod != NULL)
                l[k++] = (struct ps_label){"pod", c->e->pod};
            if (c->e->container != NULL)
                l[k++] = (struct ps_label){"container", c->e->container};
            l[k++] = (struct ps_label){"source", "dump"};
            if (ps_facts_add(c->m->facts, PS_DUMP_SAMPLES_METRIC, l, k, c->file_ms,
                             (double)f->samples, c->src) == PS_E_NOMEM)
                c->fatal = PS_E_NOMEM;
        }
        if (f->bytes == 0 && r == PS_OK)
            ps_diag_add(c->m->diags, PS_SEV_NOTE, PS_OK, path, PS_OFF_NONE, 0,
                        "metrics: exposition", "empty file");
    }
    ps_expo_parser_free(&c->p);
    free(c->tmp);
    free(c->labs);
    ps_intern_free(&c->typed);
    ps_intern_free(&c->helped);
    ps_intern_free(&c->sampled);
    if (r == PS_OK && c->fatal != PS_OK)
        r = c->fatal;
    return r;
}

static uint32_t
next_line(uint32_t l)
{
    return l == UINT32_MAX ? l : l + 1;
}

enum ps_err
ps_metrics_load_exposition_mem(struct ps_metrics *m, const struct ps_entry *e,
                               const uint8_t *p, size_t n)
{
    struct expo_ctx c;
    enum ps_err r = ctx_init(&c, m, e);
    if (r != PS_OK)
        return ctx_done(&c, r);
    cur(&c)->bytes = n;
    const char *s = (const char *)p;
    size_t i = 0;
    uint32_t lineno = 0;
    while (i < n && c.fatal == PS_OK) {
        const char *nlp = memchr(s + i, '\n', n - i);
        size_t end = nlp != NULL ? (size_t)(nlp - s) : n;
        lineno = next_line(lineno);
        if (end - i > m->lim.max_line) {
            cur(&c)->lines++;
            cur(&c)->skipped++;
            warn_line(&c, lineno, PS_E_LIMIT, "line longer than the line limit "
                      "(%zu bytes): skipped", m->lim.max_line);
        } else if (nlp == NULL) {
            process_last_unterminated(&c, s + i, end - i, lineno);
        } else {
            process_line(&c, s + i, end - i, lineno);
        }
        i = end + 1;
    }
    return ctx_done(&c, PS_OK);
}

enum ps_err
ps_metrics_load_exposition(struct ps_metrics *m, const struct ps_entry *e,
                           ps_metrics_read_fn rd, void *rctx)
{
    struct expo_ctx c;
    enum ps_err r = ctx_init(&c, m, e);
    if (r != PS_OK)
        return ctx_done(&c, r);
    size_t L = m->lim.max_line;
    size_t cap = L + PS_EXPO_CHUNK;
    char *buf = malloc(cap);
    if (buf == NULL)
        return ctx_done(&c, PS_E_NOMEM);
    size_t len = 0;       /* bytes held: a partial line at buf[0..len) */
    int skipping = 0;     /* inside an over-long line */
    uint32_t lineno = 0;
    for (;;) {
        ssize_t got = rd(rctx, buf + len, cap - len);
        if (got < 0) {
            ps_diag_add(m->diags, PS_SEV_WARN, PS_E_IO, e->path, PS_OFF_NONE,
                        next_line(lineno), "metrics: exposition",
                        "read failed; the file is used up to here");
            break;
        }
        if (got == 0)
            break;
        cur(&c)->bytes += (uint64_t)got;
        size_t end = len + (size_t)got, i = 0;
        while (c.fatal == PS_OK) {
            const char *nlp = memchr(buf + i, '\n', end - i);
            if (nlp == NULL)
                break;
            size_t le = (size_t)(nlp - buf);
            if (skipping)
                skipping = 0;
            else {
                lineno = next_line(lineno);
                if (le - i > L) {
                    cur(&c)->lines++;
                    cur(&c)->skipped++;
                    warn_line(&c, lineno, PS_E_LIMIT, "line longer than the line "
                              "limit (%zu bytes): skipped", L);
                } else
                    process_line(&c, buf + i, le - i, lineno);
            }
            i = le + 1;
        }
        if (c.fatal != PS_OK)
            break;
        len = end - i;
        if (skipping) {
            len = 0;                      /* drop the rest of a long line */
        } else if (len > L) {
            lineno = next_line(lineno);
            cur(&c)->lines++;
            cur(&c)->skipped++;
            warn_line(&c, lineno, PS_E_LIMIT, "line longer than the line limit "
                      "(%zu bytes): skipped", L);
            skipping = 1;
            len = 0;
        } else {
            memmove(buf, buf + i, len);
        }
    }
    if (len > 0 && !skipping && c.fatal == PS_OK) {
        lineno = next_line(lineno);
        process_last_unterminated(&c, buf, len, lineno);
    }
    free(buf);
    return ctx_done(&c, PS_OK);
}
