/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_rules_promql.c - the PromQL subset: parse errors (message and
 * column), type checks, and evaluation over small fact stores built here,
 * against values worked out by hand from Prometheus' documented semantics
 * (the comments show the arithmetic). The promtool comparison lives in
 * tests/cli/rules_promtool_oracle.sh.
 */
#include <math.h>

#include "promsight/ps_facts.h"
#include "promsight/ps_rules.h"
#include "test_util.h"

static struct ps_facts *
facts(void)
{
    struct ps_facts *f = ps_facts_new();
    assert_non_null(f);
    return f;
}

static void
add(struct ps_facts *f, const char *metric, const char *ln, const char *lv, int64_t t,
    double v)
{
    struct ps_label l = {ln, lv};
    assert_int_equal(ps_facts_add(f, metric, ln != NULL ? &l : NULL, ln != NULL ? 1 : 0,
                                  t, v, 0),
                     PS_OK);
}

/* Query at t; returns the number of samples, out[0..] valid until free. */
static size_t
q(const struct ps_facts *f, const char *expr, int64_t t, struct ps_query_sample **out)
{
    size_t n;
    int sc;
    char err[256];
    enum ps_err e = ps_rules_query(f, expr, t, out, &n, &sc, err, sizeof(err));
    if (e != PS_OK)
        fail_msg("%s: %s", expr, err);
    return n;
}

static double
q1(const struct ps_facts *f, const char *expr, int64_t t, const char *want_labels)
{
    struct ps_query_sample *s;
    size_t n = q(f, expr, t, &s);
    if (n != 1)
        fail_msg("%s: %zu samples, want 1", expr, n);
    if (want_labels != NULL)
        assert_string_equal(s[0].labels, want_labels);
    double v = s[0].v;
    ps_rules_query_free(s, n);
    return v;
}

static void
parse_err(const char *expr, const char *want_msg, unsigned want_col)
{
    struct ps_facts *f = facts();
    struct ps_query_sample *s;
    size_t n;
    int sc;
    char err[256];
    enum ps_err e = ps_rules_query(f, expr, 0, &s, &n, &sc, err, sizeof(err));
    if (e != PS_E_SYNTAX)
        fail_msg("%s: parsed (%d), want a syntax error", expr, (int)e);
    char col[32];
    snprintf(col, sizeof(col), "col %u: ", want_col);
    if (strncmp(err, col, strlen(col)) != 0 || strstr(err, want_msg) == NULL)
        fail_msg("%s: got \"%s\", want \"%s%s\"", expr, err, col, want_msg);
    ps_facts_free(f);
}

static void
test_parse_errors(void **state)
{
    (void)state;
    parse_err("rate(up[5m]) >", "unexpected end of input", 15);
    parse_err("sum(", "unexpected end of input", 5);
    parse_err("up{job=\"a\"", "expected \",\" or \"}\"", 11);
    parse_err("frob(up)", "unknown function \"frob\"", 1);
    parse_err("1 > 2", "comparisons between scalars must use BOOL", 3);
    parse_err("up[5m] + 1", "binary expression must contain only scalar and instant vector", 8);
    parse_err("rate(up)", "argument 1 must be range vector, got instant vector", 6);
    parse_err("{}", "at least one non-empty matcher", 1);
    parse_err("{job=\"\"}", "at least one non-empty matcher", 1);
    parse_err("(up)[5m]", "ranges only allowed for vector selectors", 5);
    parse_err("up offset 1m offset 1m", "offset may not be set multiple times", 14);
    parse_err("up[5m:1m]", "subqueries are not supported", 6);
    parse_err("up @ 100", "the @ modifier is not supported", 4);
    parse_err("up{job=~\"(\"}", "bad regular expression", 4);
    parse_err("1 and 2", "set operator not allowed in binary scalar expression", 3);
    parse_err("topk(up, up)", "parameter must be a scalar", 6);
    parse_err("up ) ", "unexpected \")\" after expression", 4);
    parse_err("\"abc", "unterminated string", 1);
    parse_err("up $", "unexpected character '$'", 4);
    parse_err("up + on(job) group_left(job) up", "must not occur in ON and GROUP", 14);
    /* nesting is bounded, not a stack overflow */
    char deep[2100];
    memset(deep, '(', 1000);
    memcpy(deep + 1000, "1", 2);
    struct ps_facts *f = facts();
    struct ps_query_sample *s;
    size_t n;
    int sc;
    char err[256];
    assert_int_equal(ps_rules_query(f, deep, 0, &s, &n, &sc, err, sizeof(err)), PS_E_SYNTAX);
    assert_non_null(strstr(err, "nested too deeply"));
    ps_facts_free(f);
}

static void
test_scalars_and_precedence(void **state)
{
    (void)state;
    struct ps_facts *f = facts();
    /* ^ binds tighter than unary minus and is right-associative */
    assert_true(q1(f, "-2 ^ 2", 0, "") == -4);
    assert_true(q1(f, "2 ^ 3 ^ 2", 0, "") == 512);
    assert_true(q1(f, "1 + 2 * 3 - 4 / 2", 0, "") == 5);
    assert_true(q1(f, "7 % 4", 0, "") == 3);
    assert_true(q1(f, "2 > bool 1", 0, "") == 1);
    assert_true(q1(f, "time()", 90000, "") == 90);
    assert_true(q1(f, "0x10 + 1e1", 0, "") == 26);
    ps_facts_free(f);
}

/* rate() over irregular samples, worked by hand:
 *   samples (s, v): (0,0) (10,10) (20,20) (35,35); range [0 s, 60 s]
 *   raw increase 35, sampled 35 s over 3 intervals: avg 11.667 s
 *   start: 0 s away (and zero is 0 s away) -> +0
 *   end: 25 s away > 1.1 * 11.667 -> + avg / 2 = 5.8333 s
 *   increase = 35 * 40.8333 / 35 = 40.8333; rate = 40.8333 / 60 = 0.68056 */
static void
test_rate_extrapolation(void **state)
{
    (void)state;
    struct ps_facts *f = facts();
    add(f, "c", "job", "a", 0, 0);
    add(f, "c", "job", "a", 10000, 10);
    add(f, "c", "job", "a", 20000, 20);
    add(f, "c", "job", "a", 35000, 35);
    double r = q1(f, "rate(c[1m])", 60000, "{job=\"a\"}");
    assert_float_equal(r, (35.0 + 35.0 / 3 / 2) / 60, 1e-12);
    double inc = q1(f, "increase(c[1m])", 60000, NULL);
    assert_float_equal(inc, 35.0 + 35.0 / 3 / 2, 1e-12);
    /* irate: last two samples, 15 units in 15 s */
    assert_float_equal(q1(f, "irate(c[1m])", 60000, NULL), 1.0, 1e-12);
    /* a reset: 35 -> 5 adds 35; increase over [35 s, 65 s] of 35, 5:
     * raw 5 - 35 + 35 = 5; sampled 30 s, 1 interval; both ends 0 s away */
    add(f, "c", "job", "a", 65000, 5);
    assert_float_equal(q1(f, "increase(c[30s])", 65000, NULL), 5.0, 1e-12);
    assert_float_equal(q1(f, "resets(c[2m])", 65000, NULL), 1.0, 0);
    /* delta is not a counter: 5 - 35 = -30 */
    assert_float_equal(q1(f, "delta(c[30s])", 65000, NULL), -30.0, 1e-12);
    /* fewer than two samples: no result */
    struct ps_query_sample *s;
    size_t n = q(f, "rate(c[5s])", 65000, &s);
    assert_int_equal(n, 0);
    ps_rules_query_free(s, n);
    ps_facts_free(f);
}

static void
test_lookback_offset_stale(void **state)
{
    (void)state;
    struct ps_facts *f = facts();
    add(f, "g", "job", "a", 0, 7);
    struct ps_query_sample *s;
    /* inclusive at exactly 5 minutes, gone 1 ms later */
    assert_true(q1(f, "g", 300000, "g{job=\"a\"}") == 7);
    size_t n = q(f, "g", 300001, &s);
    assert_int_equal(n, 0);
    ps_rules_query_free(s, n);
    /* offset moves the lookback window */
    assert_true(q1(f, "g offset 5m", 600000, NULL) == 7);
    n = q(f, "g offset 1m", 30000, &s);
    assert_int_equal(n, 0);
    ps_rules_query_free(s, n);
    /* a stale marker ends the series */
    double stale;
    uint64_t bits = 0x7ff0000000000002ULL;
    memcpy(&stale, &bits, sizeof(stale));
    add(f, "g", "job", "a", 60000, stale);
    n = q(f, "g", 90000, &s);
    assert_int_equal(n, 0);
    ps_rules_query_free(s, n);
    /* ... and is skipped inside ranges */
    assert_true(q1(f, "count_over_time(g[2m])", 90000, NULL) == 1);
    ps_facts_free(f);
}

static void
test_nan_comparisons(void **state)
{
    (void)state;
    struct ps_facts *f = facts();
    add(f, "x", "i", "1", 0, NAN);
    add(f, "x", "i", "2", 0, 3);
    struct ps_query_sample *s;
    size_t n = q(f, "x > 1", 0, &s);   /* NaN > 1 is false */
    assert_int_equal(n, 1);
    assert_string_equal(s[0].labels, "x{i=\"2\"}");
    ps_rules_query_free(s, n);
    n = q(f, "x != 1", 0, &s);          /* NaN != 1 is true */
    assert_int_equal(n, 2);
    assert_true(isnan(s[0].v));
    ps_rules_query_free(s, n);
    n = q(f, "x == bool x", 0, &s);     /* NaN == NaN is false */
    assert_int_equal(n, 2);
    assert_true(s[0].v == 0 && s[1].v == 1);
    ps_rules_query_free(s, n);
    ps_facts_free(f);
}

static void
test_absent_topk_matching(void **state)
{
    (void)state;
    struct ps_facts *f = facts();
    add(f, "m", "a", "2", 0, 5);
    add(f, "m", "a", "1", 0, 5);
    add(f, "m", "a", "0", 0, 4);
    add(f, "one", "x", "y", 0, 10);
    /* absent(): labels of the equality matchers, minus duplicated names */
    assert_true(q1(f, "absent(nope{job=\"j\", env=~\"e\", z=\"1\", z=\"2\"})", 0,
                   "{job=\"j\"}") == 1);
    struct ps_query_sample *s;
    size_t n = q(f, "absent(m)", 0, &s);
    assert_int_equal(n, 0);
    ps_rules_query_free(s, n);
    /* topk ties: the first series in label order */
    assert_true(q1(f, "topk(1, m)", 0, "m{a=\"1\"}") == 5);
    assert_true(q1(f, "bottomk(1, m)", 0, "m{a=\"0\"}") == 4);
    /* vector matching: on() with one series on the right is one-to-one
     * only if the left has one series */
    char err[256];
    int sc;
    assert_int_equal(ps_rules_query(f, "m + on() one", 0, &s, &n, &sc, err, sizeof(err)),
                     PS_E_EVAL);
    assert_non_null(strstr(err, "many-to-one matching must be explicit"));
    assert_int_equal(ps_rules_query(f, "one + on() m", 0, &s, &n, &sc, err, sizeof(err)),
                     PS_E_EVAL);
    assert_non_null(strstr(err, "duplicate series"));
    /* group_left copies x from the one side */
    n = q(f, "m * on() group_left(x) one", 0, &s);
    assert_int_equal(n, 3);
    assert_string_equal(s[0].labels, "{a=\"0\", x=\"y\"}");
    assert_true(s[0].v == 40);
    ps_rules_query_free(s, n);
    /* label_replace: match, and no match leaves the series alone */
    assert_true(q1(f, "label_replace(one, \"d\", \"<$1>\", \"x\", \"(.)\")", 0,
                   "one{d=\"<y>\", x=\"y\"}") == 10);
    assert_true(q1(f, "label_replace(one, \"d\", \"$1\", \"x\", \"z(.*)\")", 0,
                   "one{x=\"y\"}") == 10);
    /* aggregation */
    assert_true(q1(f, "sum without (a) (m)", 0, "{}") == 14);
    assert_true(q1(f, "count by (a) (m{a=\"1\"})", 0, "{a=\"1\"}") == 1);
    assert_float_equal(q1(f, "avg(m)", 0, "{}"), 14.0 / 3, 1e-12);
    assert_true(q1(f, "quantile(0.5, m)", 0, "{}") == 5);
    ps_facts_free(f);
}

static void
test_over_time_and_regression(void **state)
{
    (void)state;
    struct ps_facts *f = facts();
    /* y = 2 + 0.5 * t(s) at t = 0, 10, ..., 60 s */
    for (int i = 0; i <= 6; i++)
        add(f, "lin", NULL, NULL, (int64_t)i * 10000, 2 + 0.5 * i * 10);
    assert_float_equal(q1(f, "deriv(lin[1m])", 60000, "{}"), 0.5, 1e-12);
    /* predicted 100 s after the evaluation time: 32 + 50 */
    assert_float_equal(q1(f, "predict_linear(lin[1m], 100)", 60000, "{}"), 82, 1e-9);
    assert_true(q1(f, "max_over_time(lin[1m])", 60000, "{}") == 32);
    assert_true(q1(f, "min_over_time(lin[1m])", 60000, "{}") == 2);
    assert_true(q1(f, "sum_over_time(lin[1m])", 60000, "{}") == 119);
    assert_true(q1(f, "avg_over_time(lin[1m])", 60000, "{}") == 17);
    assert_true(q1(f, "last_over_time(lin[1m])", 60000, "lin") == 32);
    assert_true(q1(f, "changes(lin[1m])", 60000, "{}") == 6);
    /* 7 values 2..32 step 5: the 0.25 quantile is at rank 1.5: 9.5 */
    assert_float_equal(q1(f, "quantile_over_time(0.25, lin[1m])", 60000, "{}"), 9.5, 1e-12);
    assert_true(q1(f, "timestamp(lin)", 65000, "{}") == 60);
    assert_true(q1(f, "clamp(lin, 0, 10)", 60000, "{}") == 10);
    ps_facts_free(f);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_scalars_and_precedence),
        cmocka_unit_test(test_rate_extrapolation),
        cmocka_unit_test(test_lookback_offset_stale),
        cmocka_unit_test(test_nan_comparisons),
        cmocka_unit_test(test_absent_topk_matching),
        cmocka_unit_test(test_over_time_and_regression),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
