/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * scrape_time.c - times and sizes written as text: the scrape time in a
 * metric dump's file name (epoch seconds, epoch milliseconds or RFC 3339,
 * as collection scripts name their files), Prometheus durations ("15d",
 * "1h30m") and Prometheus byte sizes ("512MB" = 512 MiB, base 2, as
 * --storage.tsdb.retention.size reads them).
 */
#include "metrics/metrics_int.h"

#include <string.h>

/* Plausible scrape times: 2000-01-01 .. 2100-01-01. */
#define PS_MT_MIN_S 946684800LL
#define PS_MT_MAX_S 4102444800LL

static int
isdig(char c)
{
    return c >= '0' && c <= '9';
}

static int
ndigits(const char *s, size_t n, size_t at, size_t cnt)
{
    if (at + cnt > n)
        return 0;
    for (size_t i = 0; i < cnt; i++)
        if (!isdig(s[at + i]))
            return 0;
    return 1;
}

/*
 * Try an RFC 3339-like time starting at s[i]: date YYYY-MM-DD or YYYYMMDD,
 * 'T' (or '_' or ' '), time HH:MM:SS, HH-MM-SS or HHMMSS, optional
 * fraction, optional zone (Z, +HH:MM, +HHMM; none means UTC).
 */
static int
try_rfc3339(const char *s, size_t n, size_t i, int64_t *ms)
{
    char buf[48];
    size_t o = 0, k = i;
    if (ndigits(s, n, k, 4) && k + 4 < n && s[k + 4] == '-' &&
        ndigits(s, n, k + 5, 2) && k + 7 < n && s[k + 7] == '-' &&
        ndigits(s, n, k + 8, 2)) {
        memcpy(buf, s + k, 10);
        k += 10;
    } else if (ndigits(s, n, k, 8)) {
        memcpy(buf, s + k, 4);
        buf[4] = '-';
        memcpy(buf + 5, s + k + 4, 2);
        buf[7] = '-';
        memcpy(buf + 8, s + k + 6, 2);
        k += 8;
    } else {
        return 0;
    }
    o = 10;
    if (k >= n || (s[k] != 'T' && s[k] != 't' && s[k] != '_' && s[k] != ' '))
        return 0;
    k++;
    buf[o++] = 'T';
    if (!ndigits(s, n, k, 2))
        return 0;
    buf[o++] = s[k];
    buf[o++] = s[k + 1];
    k += 2;
    char sep = k < n ? s[k] : 0;
    int sepd = sep == ':' || sep == '-';
    for (int part = 0; part < 2; part++) {
        if (sepd) {
            if (k >= n || s[k] != sep)
                return 0;
            k++;
        }
        if (!ndigits(s, n, k, 2))
            return 0;
        buf[o++] = ':';
        buf[o++] = s[k];
        buf[o++] = s[k + 1];
        k += 2;
    }
    if (k < n && (s[k] == '.' || s[k] == ',') && k + 1 < n && isdig(s[k + 1])) {
        buf[o++] = '.';
        k++;
        while (k < n && isdig(s[k])) {
            if (o < 29)
                buf[o++] = s[k];
            k++;
        }
    }
    if (k < n && (s[k] == 'Z' || s[k] == 'z')) {
        buf[o++] = 'Z';
    } else if (k < n && (s[k] == '+' || s[k] == '-') && ndigits(s, n, k + 1, 2)) {
        buf[o++] = s[k];
        buf[o++] = s[k + 1];
        buf[o++] = s[k + 2];
        buf[o++] = ':';
        size_t m = k + 3;
        if (m < n && s[m] == ':')
            m++;
        if (!ndigits(s, n, m, 2))
            return 0;
        buf[o++] = s[m];
        buf[o++] = s[m + 1];
    } else {
        buf[o++] = 'Z';
    }
    return ps_parse_rfc3339_ms(buf, o, ms);
}

const char *
ps_metrics_basename(const char *path)
{
    const char *b = strrchr(path, '/');
    return b != NULL ? b + 1 : path;
}

int
ps_metrics_time_from_name(const char *path, int64_t *ms)
{
    const char *s = ps_metrics_basename(path);
    size_t n = strlen(s);
    /* RFC 3339 first: its digit runs would otherwise not be epochs anyway. */
    for (size_t i = 0; i + 15 <= n; i++) {
        if ((i == 0 || !isdig(s[i - 1])) && isdig(s[i])) {
            int64_t t;
            if (try_rfc3339(s, n, i, &t) && t >= PS_MT_MIN_S * 1000 &&
                t < PS_MT_MAX_S * 1000) {
                *ms = t;
                return 1;
            }
        }
    }
    int found = 0;
    int64_t best = 0;
    for (size_t i = 0; i < n;) {
        if (!isdig(s[i])) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && isdig(s[j]))
            j++;
        size_t len = j - i;
        if (len == 10 || len == 13) {
            int64_t v = 0;
            for (size_t k = i; k < j; k++)
                v = v * 10 + (s[k] - '0');
            int64_t t = len == 10 ? v * 1000 : v;
            if (t >= PS_MT_MIN_S * 1000 && t < PS_MT_MAX_S * 1000) {
                /* The last plausible run wins ("dump-001-1795502084.prom"). */
                best = t;
                found = 1;
            }
        }
        i = j;
    }
    if (found)
        *ms = best;
    return found;
}

int
ps_metrics_parse_duration(const char *s, size_t n, int64_t *ms)
{
    static const struct {
        const char *u;
        int64_t ms;
    } units[] = {
        {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000},
        {"d", 86400000}, {"w", 604800000}, {"y", 31536000000LL},
    };
    if (n == 1 && s[0] == '0') {
        *ms = 0;
        return 1;
    }
    if (n == 0)
        return 0;
    int64_t total = 0;
    size_t i = 0;
    int64_t last_unit = INT64_MAX;
    while (i < n) {
        if (!isdig(s[i]))
            return 0;
        int64_t v = 0;
        for (; i < n && isdig(s[i]); i++) {
            if (v > INT64_MAX / 10 - 10)
                return 0;
            v = v * 10 + (s[i] - '0');
        }
        size_t u0 = i;
        while (i < n && s[i] >= 'a' && s[i] <= 'z')
            i++;
        int64_t um = 0;
        for (size_t k = 0; k < sizeof(units) / sizeof(units[0]); k++)
            if (strlen(units[k].u) == i - u0 && memcmp(units[k].u, s + u0, i - u0) == 0)
                um = units[k].ms;
        if (um == 0 || um >= last_unit)   /* units must go down: "1h30m" */
            return 0;
        last_unit = um;
        if (v > (INT64_MAX - total) / um)
            return 0;
        total += v * um;
    }
    *ms = total;
    return 1;
}

int
ps_metrics_parse_bytes(const char *s, size_t n, double *bytes)
{
    static const struct {
        const char *u;
        double mult;
    } units[] = {
        {"B", 1.0},
        {"KB", 1024.0}, {"KiB", 1024.0},
        {"MB", 1048576.0}, {"MiB", 1048576.0},
        {"GB", 1073741824.0}, {"GiB", 1073741824.0},
        {"TB", 1099511627776.0}, {"TiB", 1099511627776.0},
        {"PB", 1125899906842624.0}, {"PiB", 1125899906842624.0},
        {"EB", 1152921504606846976.0}, {"EiB", 1152921504606846976.0},
    };
    if (n == 1 && s[0] == '0') {
        *bytes = 0;
        return 1;
    }
    size_t i = 0;
    double total = 0;
    if (n == 0)
        return 0;
    while (i < n) {
        size_t v0 = i;
        while (i < n && (isdig(s[i]) || s[i] == '.'))
            i++;
        double v;
        if (i == v0 || !ps_expo_parse_float(s + v0, i - v0, &v))
            return 0;
        size_t u0 = i;
        while (i < n && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
            i++;
        double mult = 0;
        for (size_t k = 0; k < sizeof(units) / sizeof(units[0]); k++)
            if (strlen(units[k].u) == i - u0 && memcmp(units[k].u, s + u0, i - u0) == 0)
                mult = units[k].mult;
        if (mult == 0)
            return 0;
        total += v * mult;
    }
    *bytes = total;
    return 1;
}
