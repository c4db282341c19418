/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * rules_events.c - makes the fact store's events visible to rule
 * expressions: every event becomes a +1 step of the cumulative counter
 *
 *   promsight_events_total{class="<cls>", signature="<sig>",
 *                          severity="note|warning|error|fatal", <event labels>}
 *
 * at the event's time (one sample per event; events at the same
 * millisecond of the same series add up). Rules count them with
 * count_over_time() or max_over_time(); see docs/rules.md. Log events also
 * have the logs stage's own promsight_log_events_total; this series covers
 * every reader (WAL, TSDB, logs, config).
 */
#include <stdlib.h>
#include <string.h>

#include "rules/rules_int.h"

#define EVENTS_METRIC "promsight_events_total"
#define MAX_EVENT_LABELS 16

struct evref {
    uint32_t id;
    uint32_t src;
    int64_t t;
};

static int
cmp_evref(const void *a, const void *b)
{
    const struct evref *x = a, *y = b;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return x->t < y->t ? -1 : x->t > y->t;
}

enum ps_err
ps_rules_add_event_series(struct ps_facts *f)
{
    size_t n = ps_facts_nevents(f);
    if (n == 0)
        return PS_OK;
    /* snapshot first: adding series does not add events, but keep the
     * loop independent of the store's internals */
    struct evref *ev = calloc(n, sizeof(*ev));
    if (ev == NULL)
        return PS_E_NOMEM;
    enum ps_err rc = PS_OK;
    size_t k = 0;
    for (size_t i = 0; i < n && rc == PS_OK; i++) {
        const struct ps_event *e = ps_facts_event(f, i);
        if (e->cls == NULL || e->cls[0] == 0)
            continue;
        struct ps_label l[MAX_EVENT_LABELS + 3];
        size_t nl = 0;
        l[nl].name = "class";
        l[nl++].value = e->cls;
        if (e->signature != NULL && e->signature[0] != 0) {
            l[nl].name = "signature";
            l[nl++].value = e->signature;
        }
        l[nl].name = "severity";
        l[nl++].value = ps_sev_name(e->sev);
        for (size_t j = 0; j < e->nlabels && nl < MAX_EVENT_LABELS + 3; j++) {
            const char *nm = e->labels[j].name;
            if (strcmp(nm, "class") == 0 || strcmp(nm, "signature") == 0 ||
                strcmp(nm, "severity") == 0 ||
                strcmp(nm, "__name__") == 0)
                continue;
            l[nl++] = e->labels[j];
        }
        rc = ps_facts_series(f, EVENTS_METRIC, l, nl, &ev[k].id);
        ev[k].t = e->t;
        ev[k].src = e->src;
        k++;
    }
    /* cumulative counts per series, in time order */
    if (k > 1)
        qsort(ev, k, sizeof(*ev), cmp_evref);
    double count = 0;
    for (size_t i = 0; i < k && rc == PS_OK; i++) {
        if (i == 0 || ev[i].id != ev[i - 1].id)
            count = 0;
        count += 1;
        rc = ps_facts_add_sample(f, ev[i].id, ev[i].t, count, ev[i].src);
    }
    free(ev);
    return rc;
}
