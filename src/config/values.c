/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * values.c - the value syntaxes configurations use: Prometheus durations
 * ("1h30m", "15d", "500ms"; units y w d h m s ms, each at most once, in
 * decreasing order, as Prometheus' model.ParseDuration accepts; "0" alone
 * is zero), Kubernetes quantities ("512Mi", "1G", "250m", "1e3"), and byte
 * sizes as df -h, Prometheus' --storage.tsdb.retention.size and Thanos'
 * --tsdb.max-retention-bytes write them ("1.5G", "512MB", "10GiB").
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_int.h"

#define MS_S 1000LL
#define MS_M (60 * MS_S)
#define MS_H (60 * MS_M)
#define MS_D (24 * MS_H)
#define MS_W (7 * MS_D)
#define MS_Y (365 * MS_D)

int
ps_config_parse_duration(const char *s, size_t n, int64_t *ms)
{
    static const struct {
        const char *u;
        int64_t mul;
    } units[] = {{"y", MS_Y}, {"w", MS_W}, {"d", MS_D}, {"h", MS_H},
                 {"ms", 1}, {"m", MS_M}, {"s", MS_S}};
    /* rank: order in which units must appear (ms is last) */
    static const int rank[] = {0, 1, 2, 3, 6, 4, 5};
    while (n > 0 && isspace((unsigned char)s[0]))
        s++, n--;
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    if (n == 0 || n > 64)
        return 0;
    if (n == 1 && s[0] == '0') {
        *ms = 0;
        return 1;
    }
    int64_t total = 0;
    int last = -1;
    size_t i = 0;
    while (i < n) {
        if (!isdigit((unsigned char)s[i]))
            return 0;
        int64_t v = 0;
        while (i < n && isdigit((unsigned char)s[i])) {
            if (v > (INT64_MAX - 9) / 10)
                return 0;
            v = v * 10 + (s[i] - '0');
            i++;
        }
        size_t k;
        for (k = 0; k < sizeof(units) / sizeof(units[0]); k++) {
            size_t ul = strlen(units[k].u);
            if (i + ul <= n && memcmp(s + i, units[k].u, ul) == 0 &&
                /* "m" must not eat the "m" of "ms" */
                !(ul == 1 && units[k].u[0] == 'm' && i + 1 < n && s[i + 1] == 's'))
                break;
        }
        if (k == sizeof(units) / sizeof(units[0]) || rank[k] <= last)
            return 0;
        last = rank[k];
        i += strlen(units[k].u);
        if (v > 0 && units[k].mul > INT64_MAX / v)
            return 0;
        if (total > INT64_MAX - v * units[k].mul)
            return 0;
        total += v * units[k].mul;
    }
    *ms = total;
    return 1;
}

/* strtod over a bounded, NUL-terminated copy; *used gets chars consumed */
static int
lead_number(const char *s, size_t n, double *v, size_t *used)
{
    char tmp[72];
    if (n == 0 || n >= sizeof(tmp))
        return 0;
    memcpy(tmp, s, n);
    tmp[n] = 0;
    /* no hex, inf or nan: only [+-]digits[.digits][e[+-]digits] */
    size_t i = 0;
    if (tmp[i] == '+' || tmp[i] == '-')
        i++;
    if (!isdigit((unsigned char)tmp[i]) && !(tmp[i] == '.' && isdigit((unsigned char)tmp[i + 1])))
        return 0;
    char *end;
    errno = 0;
    double d = strtod(tmp, &end);
    if (end == tmp || errno == ERANGE || !isfinite(d))
        return 0;
    for (const char *c = tmp; c < end; c++)
        if (*c == 'x' || *c == 'X' || *c == 'p' || *c == 'P')
            return 0;
    *v = d;
    *used = (size_t)(end - tmp);
    return 1;
}

int
ps_config_parse_quantity(const char *s, size_t n, double *v)
{
    static const struct {
        const char *suf;
        double mul;
    } sufs[] = {
        {"Ki", 1024.0}, {"Mi", 1048576.0}, {"Gi", 1073741824.0},
        {"Ti", 1099511627776.0}, {"Pi", 1125899906842624.0},
        {"Ei", 1152921504606846976.0},
        {"n", 1e-9}, {"u", 1e-6}, {"m", 1e-3}, {"k", 1e3}, {"M", 1e6},
        {"G", 1e9}, {"T", 1e12}, {"P", 1e15}, {"E", 1e18}, {"", 1.0},
    };
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    double d;
    size_t used;
    /* "1e3" is an exponent but "1E" is exa: strtod would take "1E" as
     * invalid exponent and stop before it, which is what we want */
    if (!lead_number(s, n, &d, &used))
        return 0;
    const char *suf = s + used;
    size_t sl = n - used;
    for (size_t k = 0; k < sizeof(sufs) / sizeof(sufs[0]); k++)
        if (strlen(sufs[k].suf) == sl && memcmp(sufs[k].suf, suf, sl) == 0) {
            *v = d * sufs[k].mul;
            return isfinite(*v);
        }
    return 0;
}

int
ps_config_parse_size(const char *s, size_t n, double *bytes)
{
    while (n > 0 && isspace((unsigned char)s[0]))
        s++, n--;
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    double d;
    size_t used;
    if (!lead_number(s, n, &d, &used) || d < 0)
        return 0;
    const char *u = s + used;
    size_t ul = n - used;
    static const char letters[] = "BKMGTPE";
    double mul = 1.0;
    if (ul == 0) {
        *bytes = d;
        return 1;
    }
    const char *p = strchr(letters, toupper((unsigned char)u[0]));
    if (p == NULL || u[0] == 0)
        return 0;
    int exp = (int)(p - letters);
    /* accepted: K, KB, KiB, Ki (and B alone); all powers of 1024 as df -h
     * and Prometheus' units.Base2Bytes use them */
    if (exp == 0) {
        if (ul != 1)
            return 0;
    } else if (ul == 1) {
        /* "K" */
    } else if (ul == 2 && (u[1] == 'B' || u[1] == 'b' || u[1] == 'i')) {
        /* "KB", "Ki" */
    } else if (ul == 3 && u[1] == 'i' && (u[2] == 'B' || u[2] == 'b')) {
        /* "KiB" */
    } else {
        return 0;
    }
    for (int i = 0; i < exp; i++)
        mul *= 1024.0;
    *bytes = d * mul;
    return isfinite(*bytes);
}
