/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * report_common.c - small accessors shared by the renderers
 * (report_int.h).
 */
#include <stdio.h>
#include <string.h>

#include "report/report_int.h"

const char *
rp_str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s != NULL ? s : "";
}

const char *
rp_cell(const json_t *v, char *buf, size_t n)
{
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v))
        snprintf(buf, n, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(buf, n, "%.6g", json_real_value(v));
    else if (json_is_true(v))
        snprintf(buf, n, "yes");
    else if (json_is_false(v))
        snprintf(buf, n, "no");
    else
        snprintf(buf, n, "-");
    return buf;
}

const char *
rp_loc(const json_t *o, const char *key, enum ps_lang lang)
{
    if (lang == PS_LANG_KO) {
        char k[64];
        snprintf(k, sizeof(k), "%s_ko", key);
        const char *s = json_string_value(json_object_get(o, k));
        if (s != NULL && s[0] != '\0')
            return s;
    }
    return rp_str(o, key);
}

int
rp_sev_rank(const char *sev)
{
    if (strcmp(sev, "critical") == 0)
        return 0;
    if (strcmp(sev, "warning") == 0)
        return 1;
    if (strcmp(sev, "info") == 0)
        return 2;
    return 3;
}

void
rp_point_time(const json_t *t, char *buf, size_t n)
{
    if (json_is_string(t))
        snprintf(buf, n, "%s", json_string_value(t));
    else
        ps_fmt_time_ms((int64_t)json_number_value(t), buf, n);
}

const char *
rp_sev_text(enum ps_lang lang, const char *sev)
{
    char key[40];
    snprintf(key, sizeof(key), "sev_%s", sev);
    const char *t = ps_tr(lang, key);
    return strcmp(t, key) == 0 ? sev : t;
}

void
rp_put(struct rp_out *w, const char *s)
{
    if (w->e == PS_OK)
        w->e = ps_buf_append(w->o, s, strlen(s));
}

void
rp_esc(struct rp_out *w, const char *s)
{
    if (w->e == PS_OK)
        w->e = w->escape(w->o, s);
}

const char *
rp_where(const json_t *o, enum rp_where_style st, char *buf, size_t n)
{
    const json_t *line = json_object_get(o, "line");
    const json_t *off = json_object_get(o, "offset");
    buf[0] = '\0';
    if (json_is_integer(line) && (st == RP_WHERE_LINE_FIRST || !json_is_integer(off)))
        snprintf(buf, n, ":%lld", (long long)json_integer_value(line));
    else if (json_is_integer(off))
        snprintf(buf, n, "%s@%lld", st == RP_WHERE_OFFSET_FIRST ? " " : "",
                 (long long)json_integer_value(off));
    return buf;
}
