/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * svg.c - inline SVG charts for the HTML report: a time-series line chart
 * with an optional prediction band and vertical markers, and an event
 * timeline strip. Pure SVG with <title> tooltips: no script, no external
 * resource, prints cleanly. Coordinates are printed with fixed precision
 * so the output is deterministic.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "promsight/ps_report.h"

#define PAD_L 64
#define PAD_R 16
#define PAD_T 28
#define PAD_B 36

static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                      "#9467bd", "#8c564b", "#e377c2", "#17becf"};

struct frame {
    double t0, t1, v0, v1;
    int w, h;
};

static double
px_x(const struct frame *f, double t)
{
    double span = f->t1 > f->t0 ? f->t1 - f->t0 : 1;
    return PAD_L + (t - f->t0) / span * (f->w - PAD_L - PAD_R);
}

static double
px_y(const struct frame *f, double v)
{
    double span = f->v1 > f->v0 ? f->v1 - f->v0 : 1;
    return f->h - PAD_B - (v - f->v0) / span * (f->h - PAD_T - PAD_B);
}

static int
point(const json_t *p, double *t, double *v)
{
    if (!json_is_array(p) || json_array_size(p) < 2)
        return 0;
    const json_t *jt = json_array_get(p, 0), *jv = json_array_get(p, 1);
    if (!json_is_number(jt) || !json_is_number(jv))
        return 0;
    *t = json_number_value(jt);
    *v = json_number_value(jv);
    return isfinite(*t) && isfinite(*v);
}

static void
extend(struct frame *f, const json_t *points, int *any)
{
    size_t i;
    const json_t *p;
    json_array_foreach(points, i, p) {
        double t, v;
        if (!point(p, &t, &v))
            continue;
        if (!*any) {
            f->t0 = f->t1 = t;
            f->v0 = f->v1 = v;
            *any = 1;
        }
        f->t0 = fmin(f->t0, t);
        f->t1 = fmax(f->t1, t);
        f->v0 = fmin(f->v0, v);
        f->v1 = fmax(f->v1, v);
    }
}

static void
fmt_tick_time(double t_ms, double span_ms, char *buf, size_t n)
{
    char iso[40];
    ps_fmt_time_ms((int64_t)t_ms, iso, sizeof(iso));
    /* iso = YYYY-MM-DDTHH:MM:SS... */
    if (span_ms > 3 * 86400000.0)
        snprintf(buf, n, "%.10s", iso);
    else if (span_ms > 86400000.0)
        snprintf(buf, n, "%.5s %.5s", iso + 5, iso + 11);
    else
        snprintf(buf, n, "%.5s", iso + 11);
}

static enum ps_err
axes(struct ps_buf *o, const struct frame *f, const char *unit)
{
    enum ps_err e = ps_buf_printf(
        o, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fff\" "
           "stroke=\"#999\"/>\n",
        PAD_L, PAD_T, f->w - PAD_L - PAD_R, f->h - PAD_T - PAD_B);
    for (int i = 0; i <= 4 && e == PS_OK; i++) {
        double v = f->v0 + (f->v1 - f->v0) * i / 4;
        double y = px_y(f, v);
        char lab[32];
        ps_humanize(v, unit, lab, sizeof(lab));
        e = ps_buf_printf(o,
                          "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
                          "stroke=\"#eee\"/><text x=\"%d\" y=\"%.1f\" "
                          "font-size=\"10\" text-anchor=\"end\">%s</text>\n",
                          PAD_L, y, f->w - PAD_R, y, PAD_L - 4, y + 3, lab);
    }
    for (int i = 0; i <= 4 && e == PS_OK; i++) {
        double t = f->t0 + (f->t1 - f->t0) * i / 4;
        char lab[32];
        fmt_tick_time(t, f->t1 - f->t0, lab, sizeof(lab));
        e = ps_buf_printf(o,
                          "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" "
                          "text-anchor=\"middle\">%s</text>\n",
                          px_x(f, t), f->h - PAD_B + 14, lab);
    }
    return e;
}

static enum ps_err
polyline(struct ps_buf *o, const struct frame *f, const json_t *points,
         const char *color)
{
    enum ps_err e = ps_buf_printf(o, "<polyline fill=\"none\" stroke=\"%s\" "
                                     "stroke-width=\"1.5\" points=\"", color);
    size_t i;
    const json_t *p;
    json_array_foreach(points, i, p) {
        double t, v;
        if (e == PS_OK && point(p, &t, &v))
            e = ps_buf_printf(o, "%.1f,%.1f ", px_x(f, t), px_y(f, v));
    }
    return e == PS_OK ? ps_buf_printf(o, "\"/>\n") : e;
}

static enum ps_err
band(struct ps_buf *o, const struct frame *f, const json_t *lo, const json_t *hi)
{
    enum ps_err e = ps_buf_printf(o, "<polygon fill=\"#1f77b4\" fill-opacity=\"0.15\" "
                                     "stroke=\"none\" points=\"");
    size_t i;
    const json_t *p;
    double t, v;
    json_array_foreach(hi, i, p) {
        if (e == PS_OK && point(p, &t, &v))
            e = ps_buf_printf(o, "%.1f,%.1f ", px_x(f, t), px_y(f, v));
    }
    for (size_t k = json_array_size(lo); k-- > 0;) {
        if (e == PS_OK && point(json_array_get(lo, k), &t, &v))
            e = ps_buf_printf(o, "%.1f,%.1f ", px_x(f, t), px_y(f, v));
    }
    return e == PS_OK ? ps_buf_printf(o, "\"/>\n") : e;
}

enum ps_err
ps_svg_chart(struct ps_buf *o, const json_t *chart, int width, int height)
{
    const char *title = json_string_value(json_object_get(chart, "title"));
    const char *unit = json_string_value(json_object_get(chart, "unit"));
    const json_t *series = json_object_get(chart, "series");
    const json_t *bnd = json_object_get(chart, "band");
    const json_t *markers = json_object_get(chart, "markers");
    struct frame f = {0, 1, 0, 1, width, height};
    int any = 0;
    size_t i;
    const json_t *s;
    json_array_foreach(series, i, s) extend(&f, json_object_get(s, "points"), &any);
    if (json_is_object(bnd)) {
        extend(&f, json_object_get(bnd, "lo"), &any);
        extend(&f, json_object_get(bnd, "hi"), &any);
    }
    if (f.v0 > 0 && f.v0 < f.v1 * 0.5)
        f.v0 = 0; /* anchor at zero unless that flattens the curve */
    if (f.v1 == f.v0) {
        f.v1 += f.v1 != 0 ? fabs(f.v1) * 0.1 : 1;
        f.v0 -= f.v0 != 0 ? fabs(f.v0) * 0.1 : 0;
    }
    enum ps_err e = ps_buf_printf(
        o, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
           "viewBox=\"0 0 %d %d\" role=\"img\" font-family=\"sans-serif\">\n",
        width, height, width, height);
    if (e == PS_OK && title != NULL) {
        e = ps_buf_printf(o, "<title>");
        if (e == PS_OK)
            e = ps_html_escape(o, title);
        if (e == PS_OK)
            e = ps_buf_printf(o, "</title><text x=\"%d\" y=\"16\" font-size=\"13\" "
                                 "font-weight=\"bold\">", PAD_L);
        if (e == PS_OK)
            e = ps_html_escape(o, title);
        if (e == PS_OK)
            e = ps_buf_printf(o, "</text>\n");
    }
    if (e == PS_OK && !any)
        return ps_buf_printf(o, "<text x=\"%d\" y=\"%d\" font-size=\"12\">no data"
                                "</text></svg>\n", PAD_L, height / 2);
    if (e == PS_OK)
        e = axes(o, &f, unit);
    if (e == PS_OK && json_is_object(bnd))
        e = band(o, &f, json_object_get(bnd, "lo"), json_object_get(bnd, "hi"));
    json_array_foreach(series, i, s) {
        if (e == PS_OK)
            e = polyline(o, &f, json_object_get(s, "points"), palette[i % 8]);
    }
    /* legend */
    json_array_foreach(series, i, s) {
        const char *name = json_string_value(json_object_get(s, "name"));
        if (e != PS_OK || name == NULL || i >= 6)
            continue;
        double x = PAD_L + 8 + (double)(i % 3) * (width - PAD_L - PAD_R) / 3.0;
        double y = PAD_T + 12 + (double)(i / 3) * 12;
        e = ps_buf_printf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"3\" "
                             "fill=\"%s\"/><text x=\"%.1f\" y=\"%.1f\" "
                             "font-size=\"10\">", x, y - 3, palette[i % 8], x + 14, y);
        if (e == PS_OK)
            e = ps_html_escape(o, name);
        if (e == PS_OK)
            e = ps_buf_printf(o, "</text>\n");
    }
    json_array_foreach(markers, i, s) {
        const json_t *jt = json_object_get(s, "time");
        const char *text = json_string_value(json_object_get(s, "text"));
        if (e != PS_OK || !json_is_number(jt))
            continue;
        double t = json_number_value(jt);
        if (t < f.t0 || t > f.t1)
            continue;
        double x = px_x(&f, t);
        e = ps_buf_printf(o, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
                             "stroke=\"#d62728\" stroke-dasharray=\"4 3\"><title>",
                          x, PAD_T, x, height - PAD_B);
        if (e == PS_OK)
            e = ps_html_escape(o, text != NULL ? text : "");
        if (e == PS_OK)
            e = ps_buf_printf(o, "</title></line>\n");
    }
    return e == PS_OK ? ps_buf_printf(o, "</svg>\n") : e;
}

static const char *
sev_color(const char *sev)
{
    if (sev == NULL)
        return "#888";
    if (strcmp(sev, "critical") == 0)
        return "#d62728";
    if (strcmp(sev, "warning") == 0)
        return "#ff7f0e";
    if (strcmp(sev, "info") == 0)
        return "#1f77b4";
    return "#888";
}

enum ps_err
ps_svg_timeline(struct ps_buf *o, const json_t *timeline, int width)
{
    /* rows = distinct "source" values in first-seen order (max 12) */
    const char *rows[12];
    size_t nrows = 0;
    double t0 = 0, t1 = 0;
    int any = 0;
    size_t i;
    const json_t *ev;
    json_array_foreach(timeline, i, ev) {
        const json_t *jt = json_object_get(ev, "t");
        if (!json_is_number(jt))
            continue;
        double t = json_number_value(jt);
        if (!any || t < t0)
            t0 = t;
        if (!any || t > t1)
            t1 = t;
        any = 1;
        const char *src = json_string_value(json_object_get(ev, "source"));
        if (src == NULL)
            src = "";
        size_t r = 0;
        while (r < nrows && strcmp(rows[r], src) != 0)
            r++;
        if (r == nrows && nrows < 12)
            rows[nrows++] = src;
    }
    int height = PAD_T + PAD_B + (int)(nrows > 0 ? nrows : 1) * 22;
    struct frame f = {t0, t1 > t0 ? t1 : t0 + 1, 0, 1, width, height};
    enum ps_err e = ps_buf_printf(
        o, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
           "viewBox=\"0 0 %d %d\" role=\"img\" font-family=\"sans-serif\">\n",
        width, height, width, height);
    if (e == PS_OK && !any)
        return ps_buf_printf(o, "<text x=\"%d\" y=\"%d\" font-size=\"12\">no events"
                                "</text></svg>\n", PAD_L, height / 2);
    for (size_t r = 0; r < nrows && e == PS_OK; r++) {
        double y = PAD_T + (double)r * 22 + 11;
        e = ps_buf_printf(o, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
                             "stroke=\"#eee\"/><text x=\"%d\" y=\"%.1f\" "
                             "font-size=\"10\" text-anchor=\"end\">",
                          PAD_L, y, width - PAD_R, y, PAD_L - 4, y + 3);
        char shortname[24];
        snprintf(shortname, sizeof(shortname), "%.20s", rows[r]);
        if (e == PS_OK)
            e = ps_html_escape(o, shortname);
        if (e == PS_OK)
            e = ps_buf_printf(o, "</text>\n");
    }
    for (int k = 0; k <= 4 && e == PS_OK; k++) {
        double t = f.t0 + (f.t1 - f.t0) * k / 4;
        char lab[32];
        fmt_tick_time(t, f.t1 - f.t0, lab, sizeof(lab));
        e = ps_buf_printf(o, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" "
                             "text-anchor=\"middle\">%s</text>\n",
                          px_x(&f, t), height - PAD_B + 14, lab);
    }
    json_array_foreach(timeline, i, ev) {
        const json_t *jt = json_object_get(ev, "t");
        if (e != PS_OK || !json_is_number(jt))
            continue;
        const char *src = json_string_value(json_object_get(ev, "source"));
        size_t r = 0;
        while (r < nrows && strcmp(rows[r], src != NULL ? src : "") != 0)
            r++;
        if (r == nrows)
            continue;
        const char *sev = json_string_value(json_object_get(ev, "severity"));
        const char *text = json_string_value(json_object_get(ev, "text"));
        const char *when = json_string_value(json_object_get(ev, "time"));
        e = ps_buf_printf(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\" "
                             "fill-opacity=\"0.8\"><title>",
                          px_x(&f, json_number_value(jt)), PAD_T + (double)r * 22 + 11,
                          sev_color(sev));
        if (e == PS_OK)
            e = ps_html_escape(o, when != NULL ? when : "");
        if (e == PS_OK)
            e = ps_buf_printf(o, " ");
        if (e == PS_OK)
            e = ps_html_escape(o, text != NULL ? text : "");
        if (e == PS_OK)
            e = ps_buf_printf(o, "</title></circle>\n");
    }
    return e == PS_OK ? ps_buf_printf(o, "</svg>\n") : e;
}
