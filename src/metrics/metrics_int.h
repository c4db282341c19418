/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * metrics_int.h - private to src/metrics/ (and its tests, fuzz harnesses
 * and benchmark): the exposition line parser, the loader's shared state,
 * and the helpers the dump and API JSON loaders both use.
 *
 * Nothing here is a stable interface; other stages use ps_metrics.h.
 */
#ifndef PS_METRICS_INT_H
#define PS_METRICS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "promsight/ps_metrics.h"
#include "promsight/ps_redact.h"
#include "promsight/ps_util.h"

/* ---- exposition line parser (expo_parse.c) ---- */

/* One label of a parsed sample: NUL-terminated, unescaped, in the scratch. */
struct ps_expo_label {
    const char *name;
    const char *value;
    size_t value_len;
};

enum ps_expo_line {
    PS_EL_BLANK,      /* empty or whitespace only */
    PS_EL_COMMENT,    /* a comment that is not metadata */
    PS_EL_HELP,       /* # HELP name text */
    PS_EL_TYPE,       /* # TYPE name type */
    PS_EL_UNIT,       /* # UNIT name unit (OpenMetrics) */
    PS_EL_EOF,        /* # EOF (OpenMetrics) */
    PS_EL_SAMPLE,     /* name{labels} value [timestamp] [# exemplar] */
    PS_EL_ERROR,      /* does not parse: see err / err_col */
};

/* Result of parsing one line. Strings point into the parser's scratch. */
struct ps_expo_item {
    enum ps_expo_line kind;
    const char *name;         /* metric / family name */
    const char *text;         /* HELP text, TYPE type, UNIT unit */
    struct ps_expo_label *labels;
    size_t nlabels;
    double value;
    int has_ts;
    int ts_float;             /* timestamp had '.', 'e' (OpenMetrics seconds) */
    double ts;                /* as written: ms (text) or seconds (OpenMetrics) */
    int exemplar;             /* an exemplar followed the sample (ignored) */
    const char *series_text;  /* PS_EL_SAMPLE: "name{labels}" as written, in the line */
    size_t series_len;
    const char *err;          /* PS_EL_ERROR: what was expected */
    size_t err_col;           /* PS_EL_ERROR: 0-based byte in the line */
};

/* Per-parser scratch: labels and unescaped strings of the current line. */
struct ps_expo_parser {
    char *scratch;            /* max_line * 2 + 64 bytes */
    size_t scratch_cap;
    struct ps_expo_label *labels;
    size_t max_labels;
};

enum ps_err ps_expo_parser_init(struct ps_expo_parser *p, size_t max_line,
                                size_t max_labels);
void ps_expo_parser_free(struct ps_expo_parser *p);

/* Parse line[0..n) (no newline). n must be <= the max_line given to init. */
void ps_expo_parse_line(struct ps_expo_parser *p, const char *line, size_t n,
                        struct ps_expo_item *it);

/* Parse a float the way Go's strconv.ParseFloat and Prometheus do (also
 * +Inf, -Inf, NaN). Returns 1 on success. */
int ps_expo_parse_float(const char *s, size_t n, double *v);

/* ---- loader state (metrics.c) ---- */

struct ps_metrics_pending {      /* a timeless API sample waiting for finish */
    uint32_t series;
    double v;
    uint32_t src;
    size_t file;                 /* index into files */
};

/* Strings that never move once stored (file paths, family metadata). */
struct ps_marena {
    char **chunks;
    size_t n, cap;
    size_t used, size;           /* of the last chunk */
};

struct ps_metrics {
    struct ps_facts *facts;      /* borrowed */
    struct ps_diags *diags;      /* borrowed */
    struct ps_metrics_limits lim;
    ps_metrics_config_fn config_fn;
    void *config_ctx;
    struct ps_metrics_file *files;
    size_t nfiles, capfiles;
    struct ps_marena arena;
    /* families: id in fam_names == index in fams */
    struct ps_intern fam_names;
    struct ps_metrics_family *fams;
    size_t capfams;
    /* redaction memo by id in redact_in: 0 not yet, 1 unchanged, 2 see redact_val */
    struct ps_intern redact_in;
    uint8_t *redact_state;
    char **redact_val;
    struct ps_redact_stats *redact_st;
    size_t redact_cap;
    /* label name -> secret? by id in key_names: 1 no, 2 yes */
    struct ps_intern key_names;
    uint8_t *key_secret;
    size_t key_cap;
    /* Per series id: 1 + index of the last file that wrote it (to count
     * distinct series per file without a set per file). */
    uint32_t *stamp;
    size_t stamp_cap;
    /* Recent label names and whether they name a secret (direct-mapped). */
    struct {
        char name[32];
        uint8_t secret;
    } keycache[64];
    /*
     * Series id cache for dumps: (target, "name{labels}" as written) ->
     * series id, so the same series in the next dump of a target skips
     * redaction and the store's label lookup. Keys are kept verbatim in
     * cache_keys (at most PS_SERIES_CACHE_BYTES) and compared on a hit.
     */
    struct ps_map64 cache;           /* hash -> index + 1 in cache_ent */
    struct ps_cache_ent {
        uint64_t off;                /* key in cache_keys */
        uint32_t len;
        uint32_t target;             /* id in targets */
        uint32_t series;
    } *cache_ent;
    size_t ncache, capcache;
    struct ps_buf cache_keys;
    struct ps_intern targets;        /* "pod\0container" */
    uint32_t *target_files;          /* per target: dump files loaded so far */
    struct ps_map64 target_times;    /* (target, scrape time) -> file index + 1 */
    size_t cap_target_files;
    struct ps_metrics_pending *pend;
    size_t npend, cappend;
    int finished;
};

/* Add a file record (path copied); returns its index or -1 on OOM. */
long ps_metrics_file_add(struct ps_metrics *m, const char *path,
                         enum ps_metrics_format fmt);
/* Borrowed string kept as long as m. NULL on OOM. */
const char *ps_metrics_str(struct ps_metrics *m, const char *s, size_t n);
/* Record TYPE / HELP / UNIT for a family (first one wins). */
enum ps_err ps_metrics_family_note(struct ps_metrics *m, const char *name,
                                   const char *type, const char *help,
                                   const char *unit, int *is_new);

/*
 * Redact a label value: whole if the label name names a secret, else
 * through ps_redact_text (only when the value could hold a secret: it has
 * '@', '=', ':', '?', '&' or a blank). Returns v itself when unchanged,
 * else a string valid as long as m, or one written to tmp (capacity
 * tmpcap >= 2 * vn + 64) once the memo is full. What was redacted is
 * added to *st. NULL on OOM.
 */
const char *ps_metrics_redact_label(struct ps_metrics *m, const char *name,
                                    const char *v, size_t vn, char *tmp,
                                    size_t tmpcap, struct ps_redact_stats *st);

/* Redact free text (messages, lastError) into a new malloc'd string;
 * what was redacted is added to *st (may be NULL). NULL on OOM. */
char *ps_metrics_redact_text(const char *s, size_t n, struct ps_redact_stats *st);

/*
 * Count series id for file fi: returns 1 the first time this file writes
 * the series, 0 after, -1 on OOM.
 */
int ps_metrics_stamp(struct ps_metrics *m, uint32_t id, size_t fi);

/* Queue a timeless sample for ps_metrics_finish. */
enum ps_err ps_metrics_pending_add(struct ps_metrics *m, uint32_t series,
                                   double v, uint32_t src, size_t file);

/* Base name of a path (after the last '/'). */
const char *ps_metrics_basename(const char *path);

#endif
