/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_logs_corpus.c - the real Prometheus 2.42 logs of the shared corpus
 * (../shared/corpus/lab-2026-11-24, timeline in its README): the agent's
 * 404 "non-recoverable error" lines (06:34:44 start .. 06:35:12 URL fixed)
 * and its "connection refused" lines (receiver down 06:39:46 .. 06:44:48)
 * must become events of the right class at the right times, counted in
 * promsight_log_events_total and promsight_log_lines_total. The expected
 * lines and times are read from the log text here, independently of the
 * parser (strstr and sscanf).
 */
#include <time.h>

#include "test_util.h"

#include "promsight/ps_facts.h"
#include "promsight/ps_logs.h"

#define AGENT "corpus/lab-2026-11-24/prometheus-agent-0/prometheus.log"
#define RECEIVER "corpus/lab-2026-11-24/thanos-receive-0/prometheus.log"

static int64_t
utc_ms(int y, int mo, int d, int h, int mi, int s, int ms)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return (int64_t)timegm(&tm) * 1000 + ms;
}

/* Times (from "ts=") of the lines containing all of needles (NULL-ended). */
static size_t
lines_with(const uint8_t *p, size_t n, const char *const *needles, int64_t *t,
           size_t cap)
{
    size_t k = 0, s0 = 0;
    char *line = malloc(n + 1);
    for (size_t i = 0; i <= n; i++) {
        if (i < n && p[i] != '\n')
            continue;
        memcpy(line, p + s0, i - s0);
        line[i - s0] = 0;
        s0 = i + 1;
        int all = line[0] != 0;
        for (size_t j = 0; needles[j] != NULL && all; j++)
            all = strstr(line, needles[j]) != NULL;
        if (!all)
            continue;
        int Y, M, D, h, m, s, ms;
        const char *ts = strstr(line, "ts=");
        assert_non_null(ts);
        assert_int_equal(sscanf(ts, "ts=%d-%d-%dT%d:%d:%d.%dZ", &Y, &M, &D, &h, &m, &s, &ms), 7);
        if (k < cap)
            t[k] = utc_ms(Y, M, D, h, m, s, ms);
        k++;
    }
    free(line);
    return k;
}

struct world {
    struct ps_sigset *sigs;
    struct ps_logs_ctx *ctx;
    struct ps_facts *facts;
    struct ps_diags diags;
    uint8_t *p;
    size_t n;
};

static void
ingest(struct world *w, const char *rel, const char *pod)
{
    char path[1024];
    ps_diags_init(&w->diags);
    assert_int_equal(ps_sigset_new(&w->sigs), PS_OK);
    assert_int_equal(ps_sigset_load_dir(w->sigs, "models/signatures", &w->diags), PS_OK);
    assert_int_equal(ps_sigset_compile(w->sigs, &w->diags), PS_OK);
    struct ps_logs_opts o = {.keep_records = 1};
    assert_int_equal(ps_logs_ctx_new(w->sigs, &o, &w->ctx), PS_OK);
    w->facts = ps_facts_new();
    assert_non_null(w->facts);
    w->p = ps_test_read_file(ps_test_shared_path(path, sizeof(path), rel), &w->n);
    assert_non_null(w->p);
    struct ps_entry e;
    memset(&e, 0, sizeof(e));
    e.path = rel;
    e.kind = PS_KIND_LOG;
    e.pod = pod;
    e.container = "prometheus";
    assert_int_equal(ps_logs_ingest_mem(w->ctx, NULL, &e, w->p, w->n, w->facts, &w->diags),
                     PS_OK);
    assert_int_equal(ps_logs_ctx_finish(w->ctx, w->facts), PS_OK);
    assert_int_equal(w->diags.n, 0);
}

static void
world_free(struct world *w)
{
    ps_logs_ctx_free(w->ctx);
    ps_sigset_free(w->sigs);
    ps_facts_free(w->facts);
    ps_diags_free(&w->diags);
    free(w->p);
}

/* Events of class cls, in insertion (= file) order. */
static size_t
events_of(struct ps_facts *f, const char *cls, const struct ps_event **out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < ps_facts_nevents(f); i++) {
        const struct ps_event *e = ps_facts_event(f, i);
        if (strcmp(e->cls, cls) != 0)
            continue;
        if (k < cap)
            out[k] = e;
        k++;
    }
    return k;
}

static const char *
label(const struct ps_event *e, const char *name)
{
    for (size_t i = 0; i < e->nlabels; i++)
        if (strcmp(e->labels[i].name, name) == 0)
            return e->labels[i].value;
    return NULL;
}

/* Last value of metric{signature=sig} (or {level=lvl}); -1 if absent. */
static double
last_value(struct ps_facts *f, const char *metric, const char *lname, const char *lval,
           int *monotonic)
{
    const uint32_t *ids;
    size_t n = ps_facts_metric_series(f, metric, &ids);
    for (size_t i = 0; i < n; i++) {
        const char *v = ps_facts_series_label(f, ids[i], lname);
        if (v == NULL || strcmp(v, lval) != 0)
            continue;
        const struct ps_sample *s;
        size_t ns = ps_facts_series_samples(f, ids[i], &s);
        *monotonic = 1;
        for (size_t k = 1; k < ns; k++)
            if (s[k].v <= s[k - 1].v || s[k].t <= s[k - 1].t)
                *monotonic = 0;
        return ns > 0 ? s[ns - 1].v : -1;
    }
    return -1;
}

static void
test_agent_404_and_refused(void **state)
{
    (void)state;
    struct world w;
    ingest(&w, AGENT, "prometheus-agent-0");
    int64_t want404[16], wantref[16];
    const char *n404[] = {"non-recoverable error", "HTTP status 404", NULL};
    const char *nref[] = {"Failed to send batch", "connection refused", NULL};
    size_t k404 = lines_with(w.p, w.n, n404, want404, 16);
    size_t kref = lines_with(w.p, w.n, nref, wantref, 16);
    assert_int_equal(k404, 2);      /* deduplicated: one line per minute at most */
    assert_int_equal(kref, 6);

    const struct ps_event *ev[16];
    assert_int_equal(events_of(w.facts, "remote_write.misconfigured", ev, 16), k404);
    for (size_t i = 0; i < k404; i++) {
        assert_int_equal(ev[i]->t, want404[i]);
        assert_true(ev[i]->t >= utc_ms(2026, 11, 24, 6, 34, 44, 0));
        assert_true(ev[i]->t <= utc_ms(2026, 11, 24, 6, 35, 12, 0));
        assert_string_equal(ev[i]->signature, "P4.404");
        assert_string_equal(label(ev[i], "status"), "404");
        assert_string_equal(label(ev[i], "pod"), "prometheus-agent-0");
        assert_string_equal(label(ev[i], "url"),
                            "http://thanos-receive.monitoring:19291/api/v1/receive");
        assert_non_null(strstr(ev[i]->message, "404 page not found"));
        assert_int_equal(ev[i]->sev, PS_SEV_ERROR);
        assert_true(ev[i]->line > 0);
    }
    assert_int_equal(events_of(w.facts, "remote_write.unreachable", ev, 16), kref);
    for (size_t i = 0; i < kref; i++) {
        assert_int_equal(ev[i]->t, wantref[i]);
        /* Receiver down 06:39:46; the last failure is logged on the first
         * retry after it came back at 06:44:48. */
        assert_true(ev[i]->t >= utc_ms(2026, 11, 24, 6, 39, 46, 0));
        assert_true(ev[i]->t < utc_ms(2026, 11, 24, 6, 45, 0, 0));
        assert_string_equal(ev[i]->signature, "P3");
        assert_string_equal(label(ev[i], "reason"), "connection refused");
    }
    /* Cumulative counters. */
    int mono = 0;
    assert_true(last_value(w.facts, "promsight_log_events_total", "signature", "P3", &mono) ==
                (double)kref);
    assert_true(mono);
    assert_true(last_value(w.facts, "promsight_log_events_total", "signature", "P4.404",
                           &mono) == (double)k404);
    const char *nwarn[] = {"level=warn", NULL};
    int64_t dummy[1];
    size_t kwarn = lines_with(w.p, w.n, nwarn, dummy, 0);
    assert_true(last_value(w.facts, "promsight_log_lines_total", "level", "warn", &mono) ==
                (double)kwarn);
    assert_true(mono);
    /* Per-file statistics. */
    const struct ps_logs_file *f = ps_logs_ctx_file(w.ctx, 0);
    const char *nall[] = {"ts=", NULL};
    assert_int_equal(f->lines, lines_with(w.p, w.n, nall, dummy, 0));
    assert_int_equal(f->by_format[PS_LFMT_LOGFMT], f->lines);
    int si = ps_sigset_find(w.sigs, "P3");
    assert_int_equal(f->sig_count[si], kref);
    assert_int_equal(f->sig_first[si], wantref[0]);
    assert_int_equal(f->sig_last[si], wantref[kref - 1]);
    /* Lifecycle: one start with its version, two config loads. */
    assert_int_equal(events_of(w.facts, "lifecycle.start", ev, 16), 1);
    assert_string_equal(label(ev[0], "version"), "2.42.0+ds");
    assert_int_equal(events_of(w.facts, "lifecycle.config_reload", ev, 16), 2);
    world_free(&w);
}

static void
test_receiver_out_of_bounds(void **state)
{
    (void)state;
    struct world w;
    ingest(&w, RECEIVER, "thanos-receive-0");
    int64_t want[128];
    const char *nb[] = {"Out of order sample from remote write", "err=\"out of bounds\"", NULL};
    size_t k = lines_with(w.p, w.n, nb, want, 128);
    assert_true(k > 50 && k <= 128);
    const struct ps_event *ev[128];
    assert_int_equal(events_of(w.facts, "receiver.out_of_bounds", ev, 128), k);
    for (size_t i = 0; i < k; i++) {
        assert_int_equal(ev[i]->t, want[i]);
        /* The backlog drained after the receiver restarted at 06:44:48. */
        assert_true(ev[i]->t >= utc_ms(2026, 11, 24, 6, 44, 48, 0));
    }
    /* Two starts (06:34:45 and 06:44:48), two replays with durations. */
    assert_int_equal(events_of(w.facts, "lifecycle.start", ev, 128), 2);
    assert_int_equal(events_of(w.facts, "lifecycle.replay_done", ev, 128), 2);
    assert_string_equal(label(ev[1], "duration"), "32.199687ms");
    world_free(&w);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agent_404_and_refused),
        cmocka_unit_test(test_receiver_out_of_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
