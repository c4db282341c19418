/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ps_util.h - small shared containers: a growable byte buffer, a u64->u64
 * open-addressing hash map, a string interner, time and byte-size
 * formatting.
 *
 * Ownership: every container owns its storage; *_free() releases it and is
 * NULL-safe. Growth is geometric and every grow checks for size_t overflow;
 * a failed allocation returns PS_E_NOMEM and leaves the container as it was.
 */
#ifndef PS_UTIL_H
#define PS_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "promsight/ps_err.h"

/* ---- byte buffer ---- */
struct ps_buf {
    uint8_t *p;
    size_t n, cap;
};

enum ps_err ps_buf_reserve(struct ps_buf *b, size_t extra);
enum ps_err ps_buf_append(struct ps_buf *b, const void *p, size_t n);
enum ps_err ps_buf_printf(struct ps_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ps_buf_free(struct ps_buf *b);

/* Grow *v (elements of size elem) so that it can hold need elements. */
enum ps_err ps_grow(void **v, size_t *cap, size_t need, size_t elem);

/*
 * a - b with 64-bit wrap-around. Times and counts read from a bundle may be
 * anything (a meta.json with minTime INT64_MIN and maxTime INT64_MAX), and
 * signed overflow is undefined behaviour: differences of untrusted values
 * go through this.
 */
static inline int64_t
ps_sub_wrap(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a - (uint64_t)b);
}

/* ---- hashing ---- */
uint64_t ps_hash_bytes(const void *p, size_t n, uint64_t seed);
static inline uint64_t
ps_hash_u64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/* ---- u64 -> u64 map (open addressing, linear probing) ---- */
struct ps_map64 {
    uint64_t *keys;
    uint64_t *vals;
    uint8_t *used;
    size_t n, cap;   /* cap is 0 or a power of two */
};

/* Returns 1 and sets *val if found, else 0. */
int ps_map64_get(const struct ps_map64 *m, uint64_t key, uint64_t *val);
enum ps_err ps_map64_put(struct ps_map64 *m, uint64_t key, uint64_t val);
/* Pointer to the value slot for key, inserting 0 if absent. NULL on OOM. */
uint64_t *ps_map64_slot(struct ps_map64 *m, uint64_t key, int *inserted);
void ps_map64_free(struct ps_map64 *m);

/* ---- string interner: equal strings get equal ids (0..n-1) ---- */
struct ps_intern {
    struct ps_buf data;      /* NUL-terminated strings back to back */
    size_t *off;             /* id -> offset in data */
    uint32_t *len;           /* id -> length */
    size_t n, cap;
    uint32_t *slots;         /* hash slots: id+1, 0 = empty */
    size_t nslots;
};

/* Intern [s, s+n); *id gets the id. */
enum ps_err ps_intern_get(struct ps_intern *in, const char *s, size_t n,
                          uint32_t *id);
/* Look up without inserting; returns 1 if found. */
int ps_intern_find(const struct ps_intern *in, const char *s, size_t n,
                   uint32_t *id);
/* Borrowed: valid until the next ps_intern_get or ps_intern_free. */
const char *ps_intern_str(const struct ps_intern *in, uint32_t id);
static inline uint32_t
ps_intern_len(const struct ps_intern *in, uint32_t id)
{
    return in->len[id];
}
void ps_intern_free(struct ps_intern *in);

/* ---- time ---- */
/* "2026-11-24T06:34:44.123Z" (milliseconds dropped when zero). */
void ps_fmt_time_ms(int64_t ms, char *buf, size_t n);
/* The same for a time in (fractional) epoch seconds, rounded to the
 * millisecond; "-" when sec is not finite or beyond +-9e15 s. */
void ps_fmt_time_s(double sec, char *buf, size_t n);
/* Go-style duration "1h2m3.5s" for ms. */
void ps_fmt_duration_ms(int64_t ms, char *buf, size_t n);
/*
 * Byte size for people, as the CLI tables print it: "512 B" below 1 KiB,
 * else one decimal and an IEC unit up to TiB ("12.3 MiB", "2048.0 TiB").
 * Always NUL-terminates; returns buf (so it can be a printf argument).
 */
const char *ps_fmt_bytes(uint64_t bytes, char *buf, size_t n);
/* Parse RFC 3339 (with optional fraction and zone); returns 1 on success. */
int ps_parse_rfc3339_ms(const char *s, size_t n, int64_t *ms);

/* Quantile of an ascending-sorted array, q in [0,1], interpolating between
 * closest ranks as PromQL quantile_over_time does. NaN when n == 0. */
double ps_quantile_sorted(const double *v, size_t n, double q);
void ps_sort_doubles(double *v, size_t n);
void ps_sort_i64(int64_t *v, size_t n);

/* ---- data files ---- */
/*
 * Directory holding rules/, signatures/, sizing.yaml, pricing/: the
 * PROMSIGHT_MODELS environment variable, else ./models when it exists (a
 * source checkout), else the installed PS_DATADIR/models. Never NULL.
 */
const char *ps_models_dir(void);

#endif
