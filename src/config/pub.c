/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pub.c - the two ways a config reader publishes: a sample of a series at
 * the caller's time, and an event for a problem found in a file. Both take
 * strings that came from an already redacted tree. Allocation failures are
 * remembered in p->err so publishers can stay simple.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config/cfg_int.h"

#define MAX_LABELS 16

static size_t
collect(const struct cfg_pub *p, const struct ps_label *l, size_t nl,
        struct ps_label *out)
{
    size_t k = 0;
    for (size_t i = 0; i < nl && k < MAX_LABELS - 2; i++)
        if (l[i].value != NULL && l[i].value[0] != 0)
            out[k++] = l[i];
    if (p->xname != NULL && p->xval != NULL && p->xval[0] != 0)
        out[k++] = (struct ps_label){p->xname, p->xval};
    if (p->file != NULL && p->file[0] != 0 && k < MAX_LABELS)
        out[k++] = (struct ps_label){"file", p->file};
    return k;
}

void
cfg_pub_sample(struct cfg_pub *p, const char *metric, double v,
               const struct ps_label *l, size_t nl)
{
    struct ps_label ls[MAX_LABELS];
    size_t k = collect(p, l, nl, ls);
    if (p->facts == NULL)
        return;
    enum ps_err e = ps_facts_add(p->facts, metric, ls, k, p->t_ms, v, p->src);
    if (e != PS_OK && p->err == PS_OK)
        p->err = e;
}

void
cfg_pub_event(struct cfg_pub *p, const char *cls, enum ps_sev sev,
              uint32_t line, const struct ps_label *l, size_t nl,
              const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    struct ps_label ls[MAX_LABELS];
    size_t k = collect(p, l, nl, ls);
    if (p->facts == NULL)
        return;
    struct ps_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.t = p->t_ms;
    ev.cls = cls;
    ev.signature = NULL;
    ev.sev = sev;
    ev.labels = ls;
    ev.nlabels = k;
    ev.message = msg;
    ev.src = p->src;
    ev.off = PS_OFF_NONE;
    ev.line = p->line_fixed != 0 ? p->line_fixed
              : line != 0 && line <= UINT32_MAX - p->line_base ? line + p->line_base : line;
    enum ps_err e = ps_facts_add_event(p->facts, &ev);
    if (e != PS_OK && p->err == PS_OK)
        p->err = e;
}
