/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * util.c - byte buffer, hashing, u64 map, interner, time and byte-size
 * formatting.
 * See ps_util.h for ownership rules.
 */
#define _GNU_SOURCE
#include "promsight/ps_util.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum ps_err
ps_grow(void **v, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return PS_OK;
    size_t ncap = *cap != 0 ? *cap : 8;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2)
            return PS_E_NOMEM;
        ncap *= 2;
    }
    if (elem != 0 && ncap > SIZE_MAX / elem)
        return PS_E_NOMEM;
    void *nv = realloc(*v, ncap * elem);
    if (nv == NULL)
        return PS_E_NOMEM;
    *v = nv;
    *cap = ncap;
    return PS_OK;
}

enum ps_err
ps_buf_reserve(struct ps_buf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->n)
        return PS_E_NOMEM;
    return ps_grow((void **)&b->p, &b->cap, b->n + extra, 1);
}

enum ps_err
ps_buf_append(struct ps_buf *b, const void *p, size_t n)
{
    if (n == 0)
        return PS_OK;
    enum ps_err e = ps_buf_reserve(b, n);
    if (e != PS_OK)
        return e;
    memcpy(b->p + b->n, p, n);
    b->n += n;
    return PS_OK;
}

enum ps_err
ps_buf_printf(struct ps_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0)
        return PS_E_INTERNAL;
    enum ps_err e = ps_buf_reserve(b, (size_t)len + 1);
    if (e != PS_OK)
        return e;
    va_start(ap, fmt);
    vsnprintf((char *)b->p + b->n, (size_t)len + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)len;
    return PS_OK;
}

void
ps_buf_free(struct ps_buf *b)
{
    if (b == NULL)
        return;
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

/* 64-bit hash: 8 bytes at a time through a multiply-xorshift mix. */
uint64_t
ps_hash_bytes(const void *buf, size_t n, uint64_t seed)
{
    const uint8_t *p = buf;
    uint64_t h = seed ^ (0x9e3779b97f4a7c15ULL * (n + 1));
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = ps_hash_u64(h ^ w) + 0x9e3779b97f4a7c15ULL;
        p += 8;
        n -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, p, n);
    return ps_hash_u64(h ^ w ^ ((uint64_t)n << 56));
}

/* ---- map64 ---- */

static enum ps_err
map64_rehash(struct ps_map64 *m, size_t ncap)
{
    struct ps_map64 nm = {0};
    nm.keys = calloc(ncap, sizeof(uint64_t));
    nm.vals = calloc(ncap, sizeof(uint64_t));
    nm.used = calloc(ncap, 1);
    if (nm.keys == NULL || nm.vals == NULL || nm.used == NULL) {
        ps_map64_free(&nm);
        return PS_E_NOMEM;
    }
    nm.cap = ncap;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->used[i])
            continue;
        size_t j = ps_hash_u64(m->keys[i]) & (ncap - 1);
        while (nm.used[j])
            j = (j + 1) & (ncap - 1);
        nm.used[j] = 1;
        nm.keys[j] = m->keys[i];
        nm.vals[j] = m->vals[i];
    }
    nm.n = m->n;
    ps_map64_free(m);
    *m = nm;
    return PS_OK;
}

int
ps_map64_get(const struct ps_map64 *m, uint64_t key, uint64_t *val)
{
    if (m->cap == 0)
        return 0;
    size_t j = ps_hash_u64(key) & (m->cap - 1);
    while (m->used[j]) {
        if (m->keys[j] == key) {
            *val = m->vals[j];
            return 1;
        }
        j = (j + 1) & (m->cap - 1);
    }
    return 0;
}

uint64_t *
ps_map64_slot(struct ps_map64 *m, uint64_t key, int *inserted)
{
    if ((m->n + 1) * 4 > m->cap * 3) {
        if (map64_rehash(m, m->cap != 0 ? m->cap * 2 : 64) != PS_OK)
            return NULL;
    }
    size_t j = ps_hash_u64(key) & (m->cap - 1);
    while (m->used[j]) {
        if (m->keys[j] == key) {
            if (inserted != NULL)
                *inserted = 0;
            return &m->vals[j];
        }
        j = (j + 1) & (m->cap - 1);
    }
    m->used[j] = 1;
    m->keys[j] = key;
    m->vals[j] = 0;
    m->n++;
    if (inserted != NULL)
        *inserted = 1;
    return &m->vals[j];
}

enum ps_err
ps_map64_put(struct ps_map64 *m, uint64_t key, uint64_t val)
{
    uint64_t *slot = ps_map64_slot(m, key, NULL);
    if (slot == NULL)
        return PS_E_NOMEM;
    *slot = val;
    return PS_OK;
}

void
ps_map64_free(struct ps_map64 *m)
{
    if (m == NULL)
        return;
    free(m->keys);
    free(m->vals);
    free(m->used);
    memset(m, 0, sizeof(*m));
}

/* ---- interner ---- */

static int
intern_lookup(const struct ps_intern *in, const char *s, size_t n, uint64_t h,
              size_t *slot)
{
    size_t mask = in->nslots - 1;
    size_t j = h & mask;
    while (in->slots[j] != 0) {
        uint32_t id = in->slots[j] - 1;
        if (in->len[id] == n && memcmp(in->data.p + in->off[id], s, n) == 0) {
            *slot = j;
            return 1;
        }
        j = (j + 1) & mask;
    }
    *slot = j;
    return 0;
}

static enum ps_err
intern_rehash(struct ps_intern *in)
{
    size_t ns = in->nslots != 0 ? in->nslots * 2 : 256;
    uint32_t *slots = calloc(ns, sizeof(uint32_t));
    if (slots == NULL)
        return PS_E_NOMEM;
    for (size_t id = 0; id < in->n; id++) {
        uint64_t h = ps_hash_bytes(in->data.p + in->off[id], in->len[id], 0);
        size_t j = h & (ns - 1);
        while (slots[j] != 0)
            j = (j + 1) & (ns - 1);
        slots[j] = (uint32_t)id + 1;
    }
    free(in->slots);
    in->slots = slots;
    in->nslots = ns;
    return PS_OK;
}

int
ps_intern_find(const struct ps_intern *in, const char *s, size_t n,
               uint32_t *id)
{
    if (in->nslots == 0)
        return 0;
    size_t slot;
    if (!intern_lookup(in, s, n, ps_hash_bytes(s, n, 0), &slot))
        return 0;
    *id = in->slots[slot] - 1;
    return 1;
}

enum ps_err
ps_intern_get(struct ps_intern *in, const char *s, size_t n, uint32_t *id)
{
    if (n > UINT32_MAX || in->n >= UINT32_MAX - 1)
        return PS_E_LIMIT;
    if ((in->n + 1) * 2 > in->nslots) {
        enum ps_err e = intern_rehash(in);
        if (e != PS_OK)
            return e;
    }
    uint64_t h = ps_hash_bytes(s, n, 0);
    size_t slot;
    if (intern_lookup(in, s, n, h, &slot)) {
        *id = in->slots[slot] - 1;
        return PS_OK;
    }
    size_t cap_off = in->cap, cap_len = in->cap;
    enum ps_err e = ps_grow((void **)&in->off, &cap_off, in->n + 1, sizeof(size_t));
    if (e == PS_OK)
        e = ps_grow((void **)&in->len, &cap_len, in->n + 1, sizeof(uint32_t));
    if (e != PS_OK)
        return e;
    in->cap = cap_off < cap_len ? cap_off : cap_len;
    size_t off = in->data.n;
    static const char nul = 0;
    if ((e = ps_buf_append(&in->data, s, n)) != PS_OK ||
        (e = ps_buf_append(&in->data, &nul, 1)) != PS_OK)
        return e;
    in->off[in->n] = off;
    in->len[in->n] = (uint32_t)n;
    in->slots[slot] = (uint32_t)in->n + 1;
    *id = (uint32_t)in->n++;
    return PS_OK;
}

const char *
ps_intern_str(const struct ps_intern *in, uint32_t id)
{
    return (const char *)in->data.p + in->off[id];
}

void
ps_intern_free(struct ps_intern *in)
{
    if (in == NULL)
        return;
    ps_buf_free(&in->data);
    free(in->off);
    free(in->len);
    free(in->slots);
    memset(in, 0, sizeof(*in));
}

/* ---- time ---- */

void
ps_fmt_time_ms(int64_t ms, char *buf, size_t n)
{
    int64_t sec = ms / 1000, frac = ms % 1000;
    if (frac < 0) {
        frac += 1000;
        sec -= 1;
    }
    time_t t = (time_t)sec;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL) {
        snprintf(buf, n, "%" PRId64 "ms", ms);
        return;
    }
    char base[32];
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    if (frac != 0)
        snprintf(buf, n, "%s.%03" PRId64 "Z", base, frac);
    else
        snprintf(buf, n, "%sZ", base);
}

void
ps_fmt_time_s(double sec, char *buf, size_t n)
{
    if (!isfinite(sec) || fabs(sec) > 9e15)
        snprintf(buf, n, "-");
    else
        ps_fmt_time_ms((int64_t)llround(sec * 1000), buf, n);
}

void
ps_fmt_duration_ms(int64_t ms, char *buf, size_t n)
{
    const char *sign = "";
    uint64_t u = (uint64_t)ms;
    if (ms < 0) {
        sign = "-";
        u = (uint64_t)0 - (uint64_t)ms;
    }
    uint64_t h = u / 3600000, m = (u / 60000) % 60, s = (u / 1000) % 60,
             f = u % 1000;
    char sec[32];
    if (f != 0)
        snprintf(sec, sizeof(sec), "%" PRIu64 ".%03" PRIu64, s, f);
    else
        snprintf(sec, sizeof(sec), "%" PRIu64, s);
    /* trim trailing zeros of the fraction, as Go does */
    char *dot = strchr(sec, '.');
    if (dot != NULL) {
        char *e = sec + strlen(sec) - 1;
        while (e > dot && *e == '0')
            *e-- = 0;
    }
    if (h != 0)
        snprintf(buf, n, "%s%" PRIu64 "h%" PRIu64 "m%ss", sign, h, m, sec);
    else if (m != 0)
        snprintf(buf, n, "%s%" PRIu64 "m%ss", sign, m, sec);
    else
        snprintf(buf, n, "%s%ss", sign, sec);
}

const char *
ps_fmt_bytes(uint64_t bytes, char *buf, size_t n)
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)bytes;
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, n, "%" PRIu64 " B", bytes);
    else
        snprintf(buf, n, "%.1f %s", v, unit[u]);
    return buf;
}

static int
digits(const char *s, size_t n, size_t at, size_t cnt, int *out)
{
    if (at + cnt > n)
        return 0;
    int v = 0;
    for (size_t i = 0; i < cnt; i++) {
        char c = s[at + i];
        if (c < '0' || c > '9')
            return 0;
        v = v * 10 + (c - '0');
    }
    *out = v;
    return 1;
}

/* Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

int
ps_parse_rfc3339_ms(const char *s, size_t n, int64_t *ms)
{
    int Y, M, D, h, mi, sec;
    if (!digits(s, n, 0, 4, &Y) || n < 19 || s[4] != '-' ||
        !digits(s, n, 5, 2, &M) || s[7] != '-' || !digits(s, n, 8, 2, &D) ||
        (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        !digits(s, n, 11, 2, &h) || s[13] != ':' || !digits(s, n, 14, 2, &mi) ||
        s[16] != ':' || !digits(s, n, 17, 2, &sec))
        return 0;
    if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || mi > 59 || sec > 60)
        return 0;
    size_t i = 19;
    int64_t frac_ms = 0;
    if (i < n && (s[i] == '.' || s[i] == ',')) {
        i++;
        int nd = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (nd < 3)
                frac_ms = frac_ms * 10 + (s[i] - '0');
            nd++;
            i++;
        }
        if (nd == 0)
            return 0;
        for (; nd < 3; nd++)
            frac_ms *= 10;
    }
    int64_t off_min = 0;
    if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        int oh, om;
        int neg = s[i] == '-';
        if (!digits(s, n, i + 1, 2, &oh))
            return 0;
        size_t j = i + 3;
        if (j < n && s[j] == ':')
            j++;
        if (!digits(s, n, j, 2, &om))
            return 0;
        off_min = (int64_t)oh * 60 + om;
        if (neg)
            off_min = -off_min;
        i = j + 2;
    } else {
        return 0;
    }
    if (i != n)
        return 0;
    int64_t days = days_from_civil(Y, (unsigned)M, (unsigned)D);
    int64_t secs = days * 86400 + (int64_t)h * 3600 + mi * 60 + sec - off_min * 60;
    *ms = secs * 1000 + frac_ms;
    return 1;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int
cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

void
ps_sort_doubles(double *v, size_t n)
{
    qsort(v, n, sizeof(double), cmp_double);
}

void
ps_sort_i64(int64_t *v, size_t n)
{
    qsort(v, n, sizeof(int64_t), cmp_i64);
}

/* Linear interpolation between closest ranks (Prometheus' quantile). */
double
ps_quantile_sorted(const double *v, size_t n, double q)
{
    if (n == 0)
        return 0.0 / 0.0;
    if (q <= 0)
        return v[0];
    if (q >= 1)
        return v[n - 1];
    double rank = q * (double)(n - 1);
    size_t lo = (size_t)rank;
    size_t hi = lo + 1 < n ? lo + 1 : lo;
    double w = rank - (double)lo;
    return v[lo] * (1 - w) + v[hi] * w;
}
