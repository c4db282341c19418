/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_rules_engine.c - rule files, range evaluation and findings: `for:`
 * over steps, first/last/peak of an episode, two episodes, events linked
 * by class, time and shared labels, rules skipped with their missing
 * inputs (absent() and `or` do not require their inputs), --disable, the
 * JSON contract, event series, templates and series notation.
 */
#include <math.h>

#include "promsight/ps_facts.h"
#include "promsight/ps_rules.h"
#include "test_util.h"

#define MIN 60000

static const char rule_file[] =
    "groups:\n"
    "- name: g\n"
    "  rules:\n"
    "  - alert: LagHigh\n"
    "    expr: lag > 30\n"
    "    for: 1m\n"
    "    labels: {severity: critical, class: remote_write.unreachable}\n"
    "    annotations:\n"
    "      summary: '{{ $labels.pod }} lag {{ $value }}'\n"
    "      summary_ko: '{{ $labels.pod }} 지연 {{ $value }}'\n"
    "      description: 'd'\n"
    "  - alert: NeedsMissing\n"
    "    expr: nothere > 0 and alsomissing > 0\n"
    "    labels: {severity: warning, class: tsdb.gap}\n"
    "    annotations: {summary: s, description: d}\n"
    "  - alert: AbsentOk\n"
    "    expr: absent(nothere)\n"
    "    labels: {severity: info, class: tsdb.gap}\n"
    "    annotations: {summary: s, description: d}\n"
    "  - alert: OrOk\n"
    "    expr: nothere > 0 or lag > 1000\n"
    "    labels: {severity: info, class: tsdb.gap}\n"
    "    annotations: {summary: s, description: d}\n";

/* lag{pod="a"}: 0 until 10m, 60 from 10m to 20m (every 15 s), 0 after,
 * then 90 from 40m to 45m. lag{pod="b"} stays 0. */
static struct ps_facts *
lag_facts(void)
{
    struct ps_facts *f = ps_facts_new();
    assert_non_null(f);
    uint32_t src = ps_facts_source(f, "agent/prometheus.log");
    struct ps_label la = {"pod", "a"}, lb = {"pod", "b"};
    for (int64_t t = 0; t <= 60 * MIN; t += 15000) {
        double v = 0;
        if (t >= 10 * MIN && t < 20 * MIN)
            v = 60;
        if (t >= 40 * MIN && t < 45 * MIN)
            v = 90;
        assert_int_equal(ps_facts_add(f, "lag", &la, 1, t, v, src), PS_OK);
        assert_int_equal(ps_facts_add(f, "lag", &lb, 1, t, 0, src), PS_OK);
    }
    /* events: one for pod a in the first episode, one for pod b (labels
     * disagree), one of another class, one long before */
    struct ps_label ea = {"pod", "a"}, eb = {"pod", "b"};
    struct ps_event ev = {.t = 10 * MIN + 5000, .cls = "remote_write.unreachable",
                          .signature = "P3", .sev = PS_SEV_WARN, .labels = &ea,
                          .nlabels = 1, .message = "connect: connection refused",
                          .src = src, .off = PS_OFF_NONE, .line = 42};
    assert_int_equal(ps_facts_add_event(f, &ev), PS_OK);
    ev.labels = &eb;
    ev.line = 43;
    assert_int_equal(ps_facts_add_event(f, &ev), PS_OK);
    ev.labels = &ea;
    ev.cls = "remote_write.timeout";
    ev.line = 44;
    assert_int_equal(ps_facts_add_event(f, &ev), PS_OK);
    ev.cls = "remote_write.unreachable";
    ev.t = 1 * MIN;
    ev.line = 2;
    assert_int_equal(ps_facts_add_event(f, &ev), PS_OK);
    return f;
}

static struct ps_rules *
load(const char *text)
{
    struct ps_rules *rs = ps_rules_new();
    struct ps_diags d;
    ps_diags_init(&d);
    assert_int_equal(ps_rules_load_mem(rs, "mem.yaml", text, strlen(text), &d), PS_OK);
    assert_int_equal(ps_diags_count(&d, PS_SEV_WARN), 0);
    ps_diags_free(&d);
    return rs;
}

static const struct ps_finding *
find(const struct ps_rules_result *r, const char *rule, size_t nth)
{
    for (size_t i = 0; i < r->nfindings; i++)
        if (strcmp(r->findings[i].rule, rule) == 0 && nth-- == 0)
            return &r->findings[i];
    return NULL;
}

static void
test_episodes_and_evidence(void **state)
{
    (void)state;
    struct ps_facts *f = lag_facts();
    struct ps_rules *rs = load(rule_file);
    struct ps_rules_opts o = {.step = 15000};
    struct ps_rules_result res;
    struct ps_diags d;
    ps_diags_init(&d);
    assert_int_equal(ps_rules_eval(rs, f, &o, &res, &d), PS_OK);
    assert_int_equal(res.start, 0);
    assert_int_equal(res.end, 60 * MIN);
    assert_int_equal(res.step, 15000);
    /* first episode: returned from 10m, firing after for: 1m at 11m; the
     * last 60 is at 19m45s (lookback does not extend a value that was
     * replaced by 0 at 20m) */
    const struct ps_finding *a = find(&res, "LagHigh", 0);
    assert_non_null(a);
    assert_int_equal(a->first, 11 * MIN);
    assert_int_equal(a->last, 20 * MIN - 15000);
    assert_true(a->peak == 60);
    assert_string_equal(a->cls, "remote_write.unreachable");
    assert_int_equal(a->sev, PS_RSEV_CRITICAL);
    assert_string_equal(a->summary, "a lag 60");
    assert_int_equal(a->nlabels, 1);
    assert_string_equal(a->labels[0].name, "pod");
    assert_string_equal(a->labels[0].value, "a");
    assert_int_equal(a->nseries, 1);
    assert_true(a->series[0].n >= 2);
    assert_int_equal(a->series[0].t[0], 11 * MIN);
    /* events: same class, pod a, within [first - 5m, last] */
    assert_int_equal(a->events_total, 1);
    assert_int_equal(a->events[0].line, 42);
    assert_string_equal(a->events[0].file, "agent/prometheus.log");
    assert_string_equal(a->events[0].signature, "P3");
    /* second episode, peak 90 */
    const struct ps_finding *b = find(&res, "LagHigh", 1);
    assert_non_null(b);
    assert_int_equal(b->first, 41 * MIN);
    assert_int_equal(b->last, 45 * MIN - 15000);
    assert_true(b->peak == 90);
    assert_int_equal(b->events_total, 0);
    /* skipped: both names; absent() and `or` do not need theirs */
    assert_int_equal(res.nskipped, 1);
    assert_string_equal(res.skipped[0].rule, "NeedsMissing");
    assert_int_equal(res.skipped[0].nmissing, 2);
    assert_string_equal(res.skipped[0].missing[0], "nothere");
    assert_string_equal(res.skipped[0].missing[1], "alsomissing");
    /* AbsentOk fires for the whole window: one info finding */
    const struct ps_finding *ab = find(&res, "AbsentOk", 0);
    assert_non_null(ab);
    assert_int_equal(ab->first, 0);
    assert_int_equal(ab->last, 60 * MIN);
    assert_null(find(&res, "OrOk", 0));
    /* order: critical before info */
    assert_int_equal(res.findings[0].sev, PS_RSEV_CRITICAL);
    assert_int_equal(res.findings[res.nfindings - 1].sev, PS_RSEV_INFO);

    /* the JSON contract */
    json_t *j = ps_rules_result_json(&res);
    json_t *fa = json_object_get(j, "findings");
    assert_true(json_is_array(fa));
    json_t *f0 = json_array_get(fa, 0);
    static const char *const keys[] = {"rule", "class", "severity", "first", "last",
                                       "peak", "labels", "evidence"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        assert_non_null(json_object_get(f0, keys[i]));
    assert_string_equal(json_string_value(json_object_get(f0, "first")),
                        "1970-01-01T00:11:00Z");
    json_t *ev0 = json_array_get(json_object_get(json_object_get(f0, "evidence"), "events"), 0);
    assert_int_equal(json_integer_value(json_object_get(ev0, "line")), 42);
    assert_true(json_is_array(json_object_get(j, "skipped")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "window"), "step")),
                        "15s");
    json_decref(j);
    ps_rules_result_free(&res);

    /* --lang ko, --disable by class, --at */
    assert_int_equal(ps_rules_disable(rs, "tsdb.gap"), 3);
    o.lang = "ko";
    o.at = 15 * MIN;
    assert_int_equal(ps_rules_eval(rs, f, &o, &res, &d), PS_OK);
    assert_int_equal(res.nfindings, 1);
    assert_int_equal(res.nskipped, 0);
    assert_string_equal(res.findings[0].summary, "a 지연 60");
    assert_int_equal(res.findings[0].last, 15 * MIN);
    ps_rules_result_free(&res);
    ps_diags_free(&d);
    ps_rules_free(rs);
    ps_facts_free(f);
}

static void
test_default_step_and_event_series(void **state)
{
    (void)state;
    struct ps_facts *f = lag_facts();
    assert_int_equal(ps_rules_add_event_series(f), PS_OK);
    /* 3 of the 4 events are unreachable, 2 of them for pod a */
    struct ps_query_sample *s;
    size_t n;
    int sc;
    char err[128];
    assert_int_equal(ps_rules_query(f,
                                    "sum by (class) (count_over_time(promsight_events_total[2h]))",
                                    60 * MIN, &s, &n, &sc, err, sizeof(err)),
                     PS_OK);
    assert_int_equal(n, 2);
    assert_string_equal(s[0].labels, "{class=\"remote_write.timeout\"}");
    assert_true(s[0].v == 1);
    assert_true(s[1].v == 3);
    ps_rules_query_free(s, n);
    assert_int_equal(ps_rules_query(f,
                                    "promsight_events_total{pod=\"a\", class=\"remote_write.unreachable\"}",
                                    11 * MIN, &s, &n, &sc, err, sizeof(err)),
                     PS_OK);
    assert_int_equal(n, 1);
    assert_true(s[0].v == 2);   /* cumulative */
    assert_non_null(strstr(s[0].labels, "severity=\"warning\""));
    ps_rules_query_free(s, n);
    /* default step: the median spacing, 15 s */
    struct ps_rules *rs = load(rule_file);
    struct ps_rules_result res;
    struct ps_diags d;
    ps_diags_init(&d);
    assert_int_equal(ps_rules_eval(rs, f, NULL, &res, &d), PS_OK);
    assert_int_equal(res.step, 15000);
    ps_rules_result_free(&res);
    ps_diags_free(&d);
    ps_rules_free(rs);
    ps_facts_free(f);
}

static void
test_load_errors(void **state)
{
    (void)state;
    static const char bad[] =
        "groups:\n"
        "- name: g\n"
        "  rules:\n"
        "  - alert: A\n"
        "    expr: |\n"
        "      sum(rate(x[5m]))\n"
        "        > on(+\n"
        "  - alert: B\n"
        "    expr: up\n"
        "    for: 5 minutes\n"
        "  - alert: C\n"
        "    expr: up\n"
        "    annotations: {summary: '{{ nosuchfunc $value }}'}\n"
        "  - record: r\n"
        "    expr: up\n"
        "  - alert: D\n"
        "    expr: up\n";
    struct ps_rules *rs = ps_rules_new();
    struct ps_diags d;
    ps_diags_init(&d);
    assert_int_equal(ps_rules_load_mem(rs, "bad.yaml", bad, strlen(bad), &d), PS_E_SYNTAX);
    assert_int_equal(ps_rules_count(rs), 1);   /* only D */
    char buf[512];
    int saw_col = 0, saw_for = 0, saw_tmpl = 0, saw_record = 0;
    for (size_t i = 0; i < d.n; i++) {
        ps_diag_format(&d.v[i], buf, sizeof(buf));
        /* line 7 of the file, column 8 of that line of the expression
         * (the block scalar's indentation removed) */
        if (strstr(buf, "bad.yaml:7:") && strstr(buf, "rule A: expr column 8"))
            saw_col = 1;
        if (strstr(buf, "bad \"for\" duration"))
            saw_for = 1;
        if (strstr(buf, "rule C: annotation \"summary\"") && strstr(buf, "nosuchfunc"))
            saw_tmpl = 1;
        if (strstr(buf, "recording rule \"r\" ignored"))
            saw_record = 1;
    }
    if (!saw_col || !saw_for || !saw_tmpl || !saw_record) {
        for (size_t i = 0; i < d.n; i++) {
            ps_diag_format(&d.v[i], buf, sizeof(buf));
            fprintf(stderr, "%s\n", buf);
        }
        fail_msg("col %d for %d tmpl %d record %d", saw_col, saw_for, saw_tmpl, saw_record);
    }
    /* rules check: D lacks class, severity and annotations */
    ps_diags_free(&d);
    ps_diags_init(&d);
    assert_int_equal(ps_rules_check(rs, &d), 4);
    ps_diags_free(&d);
    ps_rules_free(rs);

    /* not YAML at all, and not our shape */
    rs = ps_rules_new();
    ps_diags_init(&d);
    assert_int_equal(ps_rules_load_mem(rs, "x", "groups: [", 9, &d), PS_E_SYNTAX);
    assert_int_equal(ps_rules_load_mem(rs, "y", "- 1\n- 2\n", 8, &d), PS_E_SYNTAX);
    assert_int_equal(ps_rules_count(rs), 0);
    ps_diags_free(&d);
    ps_rules_free(rs);
}

static void
render_is(const char *tmpl, double v, const char *want)
{
    struct ps_label l[2] = {{"__name__", "up"}, {"pod", "p-0"}};
    struct ps_buf b = {0};
    char err[128];
    if (ps_rules_render(tmpl, strlen(tmpl), l, 2, v, &b, err, sizeof(err)) != 0)
        fail_msg("%s: %s", tmpl, err);
    ps_buf_append(&b, "", 1);
    if (strcmp((const char *)b.p, want) != 0)
        fail_msg("%s: got \"%s\", want \"%s\"", tmpl, (const char *)b.p, want);
    ps_buf_free(&b);
}

static void
test_templates(void **state)
{
    (void)state;
    /* Go's %v for float64: the shortest representation, in exponent form
     * when the exponent is < -4 or >= 6 */
    render_is("{{ $value }}", 1e6, "1e+06");
    render_is("{{ $value }}", 123456, "123456");
    render_is("{{ $value }}", 0.0001, "0.0001");
    render_is("{{ $value }}", 0.00001, "1e-05");
    render_is("{{ $value }}", 1.0 / 3, "0.3333333333333333");
    render_is("{{ $value }}", NAN, "NaN");
    render_is("{{ $value }}", -INFINITY, "-Inf");
    render_is("{{ .Value | humanize }}", 1234567, "1.235M");
    render_is("{{ humanize $value }}", 0.0012, "1.2m");
    render_is("{{ $value | humanize1024 }}", 1536, "1.5ki");
    render_is("{{ $value | humanizeDuration }}", 3725, "1h 2m 5s");
    render_is("{{ $value | humanizeDuration }}", 0.25, "250ms");
    render_is("{{ $value | humanizePercentage }}", 0.5, "50%");
    render_is("{{ printf \"%.1f|%5s|%d\" $value \"ab\" 42 }}", 2.25, "2.2|   ab|42");
    render_is("{{ $labels.pod }}/{{ .Labels.__name__ }}/{{ $labels.none }}.", 0, "p-0/up/.");
    render_is("{{ if gt $value 10.0 }}big{{ else }}small{{ end }}", 11, "big");
    render_is("{{ if gt $value 10.0 }}big{{ else }}small{{ end }}", 9, "small");
    render_is("a {{- \" b \" -}} c", 0, "a b c");
    render_is("{{/* comment */}}x{{ toUpper $labels.pod }}", 0, "xP-0");
    struct ps_buf b = {0};
    char err[128];
    assert_int_equal(ps_rules_render("{{ nope }}", 10, NULL, 0, 0, &b, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "nope"));
    assert_int_equal(ps_rules_render("{{ $value ", 10, NULL, 0, 0, &b, err, sizeof(err)), -1);
    assert_int_equal(ps_rules_render("{{ if 1 }}x", 11, NULL, 0, 0, &b, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "missing {{end}}"));
    assert_int_equal(ps_rules_render("{{ range $labels }}{{ end }}", 27, NULL, 0, 0, &b, err,
                                     sizeof(err)),
                     -1);
    ps_buf_free(&b);
}

static void
test_series_notation(void **state)
{
    (void)state;
    double *v;
    uint8_t *p;
    size_t n;
    char err[128];
    assert_int_equal(ps_rules_expand_values("1+2x3 _ -1-1x1 _x2 stale 7x1", &v, &p, &n, 100,
                                            err, sizeof(err)),
                     0);
    /* 1 3 5 7 | gap | -1 -2 | gap gap | stale | 7 7 */
    assert_int_equal(n, 12);
    double want[] = {1, 3, 5, 7, 0, -1, -2, 0, 0, 0, 7, 7};
    uint8_t pres[] = {1, 1, 1, 1, 0, 1, 1, 0, 0, 1, 1, 1};
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(p[i], pres[i]);
        if (pres[i] && i != 9)
            assert_true(v[i] == want[i]);
    }
    uint64_t bits;
    memcpy(&bits, &v[9], sizeof(bits));
    assert_true(bits == 0x7ff0000000000002ULL);
    free(v);
    free(p);
    assert_int_equal(ps_rules_expand_values("1+x3", &v, &p, &n, 100, err, sizeof(err)), -1);
    assert_int_equal(ps_rules_expand_values("abc", &v, &p, &n, 100, err, sizeof(err)), -1);
    assert_int_equal(ps_rules_expand_values("1x1000", &v, &p, &n, 100, err, sizeof(err)), -1);
    assert_int_equal(ps_rules_expand_values("1+1", &v, &p, &n, 100, err, sizeof(err)), -1);
}

/* The evaluation grid (all steps of a selector or range function at
 * once) must agree with evaluating each step on its own: for each
 * expression, the episode's first, last and peak from ps_rules_eval equal
 * those from ps_rules_query at every step. */
static void
test_grid_matches_per_step(void **state)
{
    (void)state;
    struct ps_facts *f = ps_facts_new();
    static const char *const pods[] = {"a", "b", "c"};
    for (int p = 0; p < 3; p++) {
        struct ps_label l[2] = {{"pod", pods[p]}, {"job", p == 2 ? "y" : "x"}};
        double c = 0;
        for (int i = 0; i < 80; i++) {
            if (p == 1 && i >= 30 && i < 50)
                continue;                        /* a gap longer than 5 min */
            c += (double)((i * 7 + p * 3) % 11);
            if (p == 2 && i == 40)
                c = 3;                           /* a counter reset */
            int64_t t = (int64_t)i * 15000 + (p == 0 ? 0 : 4000);
            ps_facts_add(f, "cnt_total", l, 2, t, c, 0);
            ps_facts_add(f, "gauge", l, 2, t, (double)((i * 13 + p) % 17) - 5, 0);
        }
    }
    static const char *const exprs[] = {
        "rate(cnt_total[1m]) > 0",
        "increase(cnt_total[2m] offset 30s) >= 0",
        "deriv(gauge[3m]) > -100",
        "predict_linear(gauge[5m], 60 * 10) > -1000",
        "avg_over_time(gauge[2m]) + max_over_time(gauge[1m]) > -100",
        "changes(gauge[4m]) + resets(cnt_total[4m]) >= 0",
        "irate(cnt_total[1m]) >= 0",
        "gauge > -10",
        "gauge offset 1m > -10",
        "sum by (job) (rate(cnt_total[1m])) / on(job) group_left count by (job) (gauge) >= 0",
        "gauge * on(pod, job) cnt_total >= -100000",
        "quantile_over_time(0.9, gauge[2m]) > -10",
        "timestamp(gauge) > 0",
    };
    int64_t lo, hi;
    assert_true(ps_facts_time_range(f, &lo, &hi));
    for (size_t x = 0; x < sizeof(exprs) / sizeof(exprs[0]); x++) {
        /* per step */
        int64_t first = -1, last = -1;
        double peak = -INFINITY;
        for (int64_t t = lo; t <= hi; t += 15000) {
            struct ps_query_sample *s;
            size_t n;
            int sc;
            char err[256];
            assert_int_equal(ps_rules_query(f, exprs[x], t, &s, &n, &sc, err, sizeof(err)),
                             PS_OK);
            for (size_t i = 0; i < n; i++)
                if (s[i].v > peak)
                    peak = s[i].v;
            if (n > 0) {
                if (first < 0)
                    first = t;
                last = t;
            }
            ps_rules_query_free(s, n);
        }
        /* the grid, through a rule */
        char yaml[1024];
        snprintf(yaml, sizeof(yaml),
                 "groups:\n- name: g\n  rules:\n  - alert: X\n    expr: '%s'\n"
                 "    labels: {severity: info, class: tsdb.gap}\n", exprs[x]);
        struct ps_rules *rs = load(yaml);
        struct ps_rules_opts o = {.start = lo, .end = hi, .step = 15000};
        struct ps_rules_result res;
        struct ps_diags d;
        ps_diags_init(&d);
        assert_int_equal(ps_rules_eval(rs, f, &o, &res, &d), PS_OK);
        if (d.n > 0)
            fail_msg("%s: %s", exprs[x], d.v[0].msg);
        /* one episode is enough for this data: every expression holds
         * whenever its inputs exist, and some series always exists */
        if (res.nfindings != 1)
            fail_msg("%s: %zu findings", exprs[x], res.nfindings);
        if (res.findings[0].first != first || res.findings[0].last != last ||
            res.findings[0].peak != peak)
            fail_msg("%s: grid %lld..%lld peak %.17g, per step %lld..%lld peak %.17g",
                     exprs[x], (long long)res.findings[0].first,
                     (long long)res.findings[0].last, res.findings[0].peak,
                     (long long)first, (long long)last, peak);
        ps_rules_result_free(&res);
        ps_diags_free(&d);
        ps_rules_free(rs);
    }
    ps_facts_free(f);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_episodes_and_evidence),
        cmocka_unit_test(test_default_step_and_event_series),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_templates),
        cmocka_unit_test(test_series_notation),
        cmocka_unit_test(test_grid_matches_per_step),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
