/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_facts.c - the fact store: series identity (label order, empty
 * values, __name__), sample ordering and replacement, metric index,
 * events, provenance and time range.
 */
#include "test_util.h"

#include "promsight/ps_facts.h"

static void
test_series_identity(void **state)
{
    (void)state;
    struct ps_facts *f = ps_facts_new();
    assert_non_null(f);
    struct ps_label a[] = {{"pod", "agent-0"}, {"job", "node"}};
    struct ps_label b[] = {{"job", "node"}, {"pod", "agent-0"}, {"empty", ""}};
    struct ps_label c[] = {{"job", "node"}, {"pod", "agent-1"}};
    uint32_t ia, ib, ic, id;
    assert_int_equal(ps_facts_series(f, "up", a, 2, &ia), PS_OK);
    assert_int_equal(ps_facts_series(f, "up", b, 3, &ib), PS_OK);
    assert_int_equal(ps_facts_series(f, "up", c, 2, &ic), PS_OK);
    assert_int_equal(ps_facts_series(f, "down", a, 2, &id), PS_OK);
    assert_int_equal(ia, ib);           /* order and empty values ignored */
    assert_int_not_equal(ia, ic);
    assert_int_not_equal(ia, id);
    assert_int_equal(ps_facts_nseries(f), 3);
    const struct ps_label *l;
    size_t n = ps_facts_series_labels(f, ia, &l);
    assert_int_equal(n, 3);
    assert_string_equal(l[0].name, "__name__");
    assert_string_equal(l[0].value, "up");
    assert_string_equal(l[1].name, "job");
    assert_string_equal(l[2].name, "pod");
    assert_string_equal(ps_facts_series_label(f, ic, "pod"), "agent-1");
    assert_null(ps_facts_series_label(f, ic, "nope"));
    const uint32_t *ids;
    assert_int_equal(ps_facts_metric_series(f, "up", &ids), 2);
    assert_int_equal(ids[0], ia);
    assert_int_equal(ids[1], ic);
    assert_int_equal(ps_facts_metric_series(f, "missing", &ids), 0);
    const char *const *names;
    assert_int_equal(ps_facts_metric_names(f, &names), 2);
    assert_string_equal(names[0], "down");
    assert_string_equal(names[1], "up");
    ps_facts_free(f);
}

static void
test_samples_sorted(void **state)
{
    (void)state;
    struct ps_facts *f = ps_facts_new();
    uint32_t src = ps_facts_source(f, "agent/dumps/1.prom");
    assert_int_equal(ps_facts_source(f, "agent/dumps/1.prom"), src);
    uint32_t id;
    assert_int_equal(ps_facts_series(f, "m", NULL, 0, &id), PS_OK);
    const int64_t ts[] = {30, 10, 20, 40, 20, 5};
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(ps_facts_add_sample(f, id, ts[i], (double)i, src), PS_OK);
    const struct ps_sample *s;
    size_t n = ps_facts_series_samples(f, id, &s);
    assert_int_equal(n, 5);
    const int64_t want_t[] = {5, 10, 20, 30, 40};
    const double want_v[] = {5, 1, 4, 0, 3}; /* t=20 replaced by the later add */
    for (size_t i = 0; i < n; i++) {
        assert_true(s[i].t == want_t[i]);
        assert_true(s[i].v == want_v[i]);
        assert_int_equal(s[i].src, src);
    }
    assert_string_equal(ps_facts_source_path(f, src), "agent/dumps/1.prom");
    int64_t lo, hi;
    assert_true(ps_facts_time_range(f, &lo, &hi));
    assert_true(lo == 5 && hi == 40);
    ps_facts_free(f);
}

static void
test_events(void **state)
{
    (void)state;
    struct ps_facts *f = ps_facts_new();
    int64_t lo, hi;
    assert_false(ps_facts_time_range(f, &lo, &hi));
    uint32_t src = ps_facts_source(f, "agent/prometheus.log");
    char msg[64];
    strcpy(msg, "connection refused");
    struct ps_label l[] = {{"pod", "prometheus-agent-0"}, {"container", "prometheus"}};
    struct ps_event ev = {.t = 2000, .cls = "remote_write.unreachable",
                          .signature = "P3", .sev = PS_SEV_WARN, .labels = l,
                          .nlabels = 2, .message = msg, .src = src,
                          .off = PS_OFF_NONE, .line = 42};
    assert_int_equal(ps_facts_add_event(f, &ev), PS_OK);
    ev.t = 1000;
    ev.line = 7;
    ev.signature = NULL;
    assert_int_equal(ps_facts_add_event(f, &ev), PS_OK);
    msg[0] = 'X'; /* the store keeps its own copy */
    ps_facts_sort_events(f);
    assert_int_equal(ps_facts_nevents(f), 2);
    const struct ps_event *e0 = ps_facts_event(f, 0);
    assert_true(e0->t == 1000);
    assert_int_equal(e0->line, 7);
    assert_null(e0->signature);
    assert_string_equal(e0->message, "connection refused");
    assert_string_equal(e0->labels[0].name, "container");
    const struct ps_event *e1 = ps_facts_event(f, 1);
    assert_string_equal(e1->signature, "P3");
    assert_null(ps_facts_event(f, 2));
    assert_true(ps_facts_time_range(f, &lo, &hi));
    assert_true(lo == 1000 && hi == 2000);
    ps_facts_free(f);
}

/* Series of a metric come back in label order, whatever the insertion
 * order (a directory and its archive are read in different orders). */
static void
test_canonical_order(void **state)
{
    (void)state;
    struct ps_facts *f = ps_facts_new();
    const char *pods[] = {"c", "a", "b"};
    uint32_t id[3];
    for (int i = 0; i < 3; i++) {
        struct ps_label l[] = {{"pod", pods[i]}};
        assert_int_equal(ps_facts_series(f, "m", l, 1, &id[i]), PS_OK);
    }
    const uint32_t *ids;
    assert_int_equal(ps_facts_metric_series(f, "m", &ids), 3);
    assert_string_equal(ps_facts_series_label(f, ids[0], "pod"), "a");
    assert_string_equal(ps_facts_series_label(f, ids[1], "pod"), "b");
    assert_string_equal(ps_facts_series_label(f, ids[2], "pod"), "c");
    /* a later insertion is placed in order too */
    struct ps_label l[] = {{"pod", "0"}};
    uint32_t z;
    assert_int_equal(ps_facts_series(f, "m", l, 1, &z), PS_OK);
    assert_int_equal(ps_facts_metric_series(f, "m", &ids), 4);
    assert_int_equal(ids[0], z);
    /* events: same time, ordered by source path, not by source id */
    uint32_t s2 = ps_facts_source(f, "z.log"), s1 = ps_facts_source(f, "a.log");
    struct ps_event ev = {.t = 5, .cls = "x", .message = "m", .src = s2, .off = PS_OFF_NONE};
    assert_int_equal(ps_facts_add_event(f, &ev), PS_OK);
    ev.src = s1;
    assert_int_equal(ps_facts_add_event(f, &ev), PS_OK);
    ps_facts_sort_events(f);
    assert_string_equal(ps_facts_source_path(f, ps_facts_event(f, 0)->src), "a.log");
    ps_facts_free(f);
}

static void
test_many_series(void **state)
{
    (void)state;
    struct ps_facts *f = ps_facts_new();
    char pod[32];
    for (int i = 0; i < 20000; i++) {
        snprintf(pod, sizeof(pod), "pod-%d", i);
        struct ps_label l[] = {{"pod", pod}};
        assert_int_equal(ps_facts_add(f, "x", l, 1, i, i, 0), PS_OK);
    }
    for (int i = 0; i < 20000; i += 997) {
        snprintf(pod, sizeof(pod), "pod-%d", i);
        struct ps_label l[] = {{"pod", pod}};
        uint32_t id;
        assert_int_equal(ps_facts_series(f, "x", l, 1, &id), PS_OK);
        assert_int_equal(id, (uint32_t)i);
    }
    assert_int_equal(ps_facts_nseries(f), 20000);
    ps_facts_free(f);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_series_identity),
        cmocka_unit_test(test_samples_sorted),
        cmocka_unit_test(test_events),
        cmocka_unit_test(test_canonical_order),
        cmocka_unit_test(test_many_series),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
