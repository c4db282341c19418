/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * escape.c - escaping bundle text for HTML, Markdown and XML, and number
 * humanising shared by the renderers. Bundle text is hostile: a log line
 * may hold "<script>", a pipe that would break a Markdown table, or bytes
 * that are not UTF-8. Invalid UTF-8 becomes U+FFFD and control characters
 * other than tab become spaces, so a rendering is always well-formed.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "promsight/ps_report.h"

/* Length of a valid UTF-8 sequence at s (0 if invalid). */
static size_t
utf8_len(const unsigned char *s, size_t left)
{
    unsigned char c = s[0];
    size_t n;
    if (c < 0x80)
        return 1;
    else if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4;
    else
        return 0;
    if (n > left)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if (n == 3 && c == 0xE0 && s[1] < 0xA0)
        return 0; /* overlong */
    if (n == 3 && c == 0xED && s[1] >= 0xA0)
        return 0; /* surrogate */
    if (n == 4 && c == 0xF0 && s[1] < 0x90)
        return 0;
    if (n == 4 && c == 0xF4 && s[1] >= 0x90)
        return 0;
    return n;
}

typedef const char *(*esc_fn)(unsigned char c);

static enum ps_err
escape_with(struct ps_buf *out, const char *str, esc_fn esc)
{
    if (str == NULL)
        return PS_OK;
    const unsigned char *s = (const unsigned char *)str;
    size_t left = strlen(str);
    enum ps_err e = PS_OK;
    while (left > 0 && e == PS_OK) {
        size_t n = utf8_len(s, left);
        if (n == 0) {
            e = ps_buf_append(out, "\xEF\xBF\xBD", 3);
            s++;
            left--;
            continue;
        }
        if (n == 1) {
            const char *rep = esc(*s);
            if (rep != NULL)
                e = ps_buf_append(out, rep, strlen(rep));
            else if (*s < 0x20 && *s != '\t')
                e = ps_buf_append(out, " ", 1);
            else
                e = ps_buf_append(out, s, 1);
        } else {
            e = ps_buf_append(out, s, n);
        }
        s += n;
        left -= n;
    }
    return e;
}

static const char *
html_esc(unsigned char c)
{
    switch (c) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '"': return "&quot;";
    case '\'': return "&#39;";
    default: return NULL;
    }
}

static const char *
md_esc(unsigned char c)
{
    switch (c) {
    case '|': return "\\|";
    case '`': return "\\`";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '&': return "&amp;";
    case '*': return "\\*";
    case '_': return "\\_";
    case '[': return "\\[";
    case ']': return "\\]";
    case '\n': return " ";
    case '\r': return " ";
    default: return NULL;
    }
}

static const char *
xml_esc(unsigned char c)
{
    return html_esc(c);
}

enum ps_err
ps_html_escape(struct ps_buf *out, const char *s)
{
    return escape_with(out, s, html_esc);
}

enum ps_err
ps_md_escape(struct ps_buf *out, const char *s)
{
    return escape_with(out, s, md_esc);
}

enum ps_err
ps_xml_escape(struct ps_buf *out, const char *s)
{
    return escape_with(out, s, xml_esc);
}

void
ps_humanize(double v, const char *unit, char *buf, size_t n)
{
    int bytes = unit != NULL && strcmp(unit, "bytes") == 0;
    int secs = unit != NULL && strcmp(unit, "seconds") == 0;
    if (isnan(v)) {
        snprintf(buf, n, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, n, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    if (secs) {
        double a = fabs(v);
        if (a >= 86400)
            snprintf(buf, n, "%.3gd", v / 86400);
        else if (a >= 3600)
            snprintf(buf, n, "%.3gh", v / 3600);
        else if (a >= 60)
            snprintf(buf, n, "%.3gm", v / 60);
        else
            snprintf(buf, n, "%.3gs", v);
        return;
    }
    static const char *const dec[] = {"", "k", "M", "G", "T", "P", "E"};
    static const char *const bin[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double base = bytes ? 1024 : 1000, a = fabs(v);
    int i = 0;
    while (a >= base && i < 6) {
        a /= base;
        v /= base;
        i++;
    }
    snprintf(buf, n, "%.3g%s", v, bytes ? bin[i] : dec[i]);
}
