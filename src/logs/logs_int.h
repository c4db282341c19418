/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * logs_int.h - private to src/logs/ (and its unit tests and fuzz
 * harnesses): the logfmt tokenizer, line-shape and body parsers, the
 * multi-literal prefilter, and text sanitising. Nothing here is a stable
 * interface; other stages use ps_logs.h.
 */
#ifndef PS_LOGS_INT_H
#define PS_LOGS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "promsight/ps_logs.h"
#include "promsight/ps_redact.h"
#include "promsight/ps_util.h"

/* ---- logfmt (logfmt.c) ---- */

/* One key=value pair; k/v borrow the line. v excludes the quotes of a
 * quoted value (escapes are still in place: ps_logfmt_unquote). */
struct ps_logfmt_pair {
    const char *k;
    size_t kn;
    const char *v;
    size_t vn;
    int quoted;
};

/*
 * Tokenize s[0..n) as logfmt. Stores at most cap pairs and returns the
 * number of pairs seen (may exceed cap). A bare word without '=' is a key
 * with an empty value. *unterminated (may be NULL) is set to 1 if a quoted
 * value runs to the end of the line without its closing quote.
 */
size_t ps_logfmt_parse(const char *s, size_t n, struct ps_logfmt_pair *pairs,
                       size_t cap, int *unterminated);

/* Undo \" \\ \n \t escapes of a quoted value into out (cap bytes, not
 * NUL-terminated); returns the length written (truncated at cap). */
size_t ps_logfmt_unquote(const char *v, size_t vn, char *out, size_t cap);

/* Find key k (last occurrence) among pairs; NULL if absent. */
const struct ps_logfmt_pair *ps_logfmt_find(const struct ps_logfmt_pair *pairs,
                                            size_t npairs, const char *k);

/* Append v to b as a logfmt value: bare if it has no space, '=', '"' or
 * control byte, else quoted with \" \\ \n escapes. */
enum ps_err ps_logfmt_put_value(struct ps_buf *b, const char *v, size_t n);

/* ---- one line body (log_line.c) ---- */

/* What the body of a line says. text/n is what signatures match: the
 * body itself, or for JSON bodies the members rewritten as logfmt into
 * the scratch buffer passed to ps_log_parse_body. */
struct ps_log_body {
    enum ps_log_format fmt;
    enum ps_log_level level;
    int64_t t;
    int has_t;
    int klog_no_year;        /* klog time: year was taken from year_hint */
    int unterminated;        /* logfmt quote never closed */
    const char *text;
    size_t n;
};

/*
 * Parse one body. year_hint is used for klog times (which have no year);
 * 0 means unknown (the time is then not set). scratch receives the logfmt
 * rewrite of a JSON body (reset by this call).
 */
void ps_log_parse_body(const char *s, size_t n, int year_hint,
                       struct ps_buf *scratch, struct ps_log_body *out);

/* Level from a word ("warn", "WARNING", "E", ...), case-insensitive. */
enum ps_log_level ps_log_level_parse(const char *s, size_t n);

/* Length of an RFC 3339 timestamp token at s (up to the first space), and
 * its value; 0 if s does not start with one. */
size_t ps_log_time_token(const char *s, size_t n, int64_t *ms);

/* A CRI line "<time> <stdout|stderr> <tag> <msg>": 1 if it is one. *msg
 * and *msg_n get the message, *partial is 1 for tag P. */
int ps_log_parse_cri(const char *s, size_t n, int64_t *t, int *partial,
                     const char **msg, size_t *msg_n);

/* A kubectl --timestamps line "<RFC3339Nano> <msg>": 1 if it is one. */
int ps_log_parse_kubectl(const char *s, size_t n, int64_t *t,
                         const char **msg, size_t *msg_n);

/* Shape of a file from its first non-empty line (n bytes, no newline). */
enum ps_log_shape ps_log_detect_shape(const char *s, size_t n);

/* Year of a UTC ms time. */
int ps_log_year_of(int64_t ms);

/* ---- text for people (log_text.c) ---- */

/*
 * Make s[0..n) safe to store and print: invalid UTF-8 and control bytes
 * other than tab become U+FFFD, the result is redacted (ps_redact_text),
 * and cut at max bytes with a "...[N bytes cut]" marker. Returns a
 * malloc'd NUL-terminated string (NULL on OOM). *bad (may be NULL) gets
 * the number of bytes replaced; st (may be NULL) counts what was redacted.
 */
char *ps_log_clean_text(const char *s, size_t n, size_t max, size_t *bad,
                        struct ps_redact_stats *st);

/* 1 if ps_redact_text() might change s[0..n) (conservative). */
int ps_log_may_hold_secret(const char *s, size_t n);

/* 1 if s[0..n) is valid UTF-8 without NUL. */
int ps_log_utf8_valid(const char *s, size_t n);

/* ---- multi-literal prefilter (prefilter.c) ---- */

/* One literal, anchored at its rarest adjacent byte pair. */
struct ps_pf_ent {
    uint16_t pair;           /* lit[at] << 8 | lit[at + 1] */
    uint32_t at;
    uint32_t owner;          /* signature index */
    const char *lit;         /* borrowed from the signature */
    size_t len;
};

/*
 * Pair filter: a 65536-bit table of anchor pairs and one of hashed anchor
 * triples, then an exact memcmp of the literals anchored at a pair that
 * occurs. Literal i belongs to
 * signature owner[i]; the literals must outlive the filter.
 */
struct ps_prefilter {
    uint64_t bits[1024];     /* anchor pairs */
    uint64_t bits3[1024];    /* hashed anchor pair + next byte */
    struct ps_pf_ent *ent;   /* sorted by pair, then owner */
    size_t nent;
};

/* Build from n literals lits[i] (lengths lens[i] >= 3) owned by owner[i]. */
enum ps_err ps_prefilter_build(struct ps_prefilter *pf, const char *const *lits,
                               const size_t *lens, const uint32_t *owner,
                               size_t n);
void ps_prefilter_free(struct ps_prefilter *pf);

/*
 * Scan s[0..n); for every signature whose literal occurs, set
 * stamp[sig] = gen and append sig to hits (capacity cap) if stamp[sig]
 * was not gen already. Returns the number of hits appended.
 */
size_t ps_prefilter_scan(const struct ps_prefilter *pf, const char *s,
                         size_t n, uint32_t *stamp, uint32_t gen,
                         uint32_t *hits, size_t cap);

#endif
