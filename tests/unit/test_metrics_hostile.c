/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_metrics_hostile.c - hostile metric dumps, generated on the fly by a
 * reader so that nothing big is held by the test: a 100 MB line, a line
 * with a million label pairs, a sample over the label limit, a flood of
 * bad lines, binary garbage. Each gives a located warning, the lines
 * after it are still read, and peak memory grows far less than the input.
 */
#include "test_util.h"

#include <sys/resource.h>

#include "promsight/ps_facts.h"
#include "promsight/ps_metrics.h"

/* Yields prefix, then `count` copies of unit, then suffix. */
struct gen {
    const char *prefix, *unit, *suffix;
    size_t count;
    size_t stage, pos, done;
};

static ssize_t
gen_read(void *ctx, void *buf, size_t n)
{
    struct gen *g = ctx;
    char *out = buf;
    size_t w = 0;
    while (w < n && g->stage < 3) {
        const char *s = g->stage == 0 ? g->prefix : g->stage == 1 ? g->unit : g->suffix;
        size_t len = strlen(s);
        size_t k = len - g->pos;
        if (k > n - w)
            k = n - w;
        memcpy(out + w, s + g->pos, k);
        w += k;
        g->pos += k;
        if (g->pos == len) {
            g->pos = 0;
            if (g->stage == 1 && ++g->done < g->count)
                continue;
            g->stage++;
        }
    }
    return (ssize_t)w;
}

static long
max_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

struct fx {
    struct ps_facts *f;
    struct ps_diags d;
    struct ps_metrics *m;
};

static void
run(struct fx *x, struct gen *g)
{
    x->f = ps_facts_new();
    ps_diags_init(&x->d);
    x->m = ps_metrics_new(x->f, &x->d, NULL);
    assert_non_null(x->m);
    struct ps_entry e;
    memset(&e, 0, sizeof(e));
    e.path = "hostile/1795502084.prom";
    e.kind = PS_KIND_METRIC_DUMP;
    e.pod = "p";
    assert_int_equal(ps_metrics_load_exposition(x->m, &e, gen_read, g), PS_OK);
}

static void
done(struct fx *x)
{
    ps_metrics_free(x->m);
    ps_facts_free(x->f);
    ps_diags_free(&x->d);
}

static int
has(struct fx *x, const char *metric)
{
    const uint32_t *ids;
    return ps_facts_metric_series(x->f, metric, &ids) == 1;
}

static uint32_t
warn_line(struct fx *x, const char *needle)
{
    for (size_t i = 0; i < x->d.n; i++)
        if (x->d.v[i].sev == PS_SEV_WARN && strstr(x->d.v[i].msg, needle) != NULL)
            return x->d.v[i].line;
    return 0;
}

/* 100 MB on one line: skipped with a warning at line 2, memory bounded. */
static void
test_100mb_line(void **state)
{
    (void)state;
    long before = max_rss_kb();
    struct gen g = {"before 1\nhuge{a=\"", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
                    "\"} 1\nafter 2\n", 1000000, 0, 0, 0};
    struct fx x;
    run(&x, &g);
    assert_true(has(&x, "before"));
    assert_true(has(&x, "after"));
    assert_false(has(&x, "huge"));
    assert_int_equal(warn_line(&x, "line limit"), 2);
    assert_int_equal(ps_metrics_file(x.m, 0)->bytes, 100000000 + strlen(g.prefix) + strlen(g.suffix));
    assert_int_equal(ps_metrics_file(x.m, 0)->lines, 3);
    done(&x);
    assert_true(max_rss_kb() - before < 64 * 1024);   /* input was ~95 MiB */
}

/* A million label pairs on one line (~11 MB): over the line limit. */
static void
test_million_labels(void **state)
{
    (void)state;
    struct gen g = {"m{", "aaaa=\"b\",", "} 1\nnext 1\n", 1000000, 0, 0, 0};
    struct fx x;
    run(&x, &g);
    assert_false(has(&x, "m"));
    assert_true(has(&x, "next"));
    assert_int_equal(warn_line(&x, "line limit"), 1);
    done(&x);
}

/* 600 label pairs fit the line but not the label limit (512). */
static void
test_label_limit(void **state)
{
    (void)state;
    static char unit[16];
    snprintf(unit, sizeof(unit), "l=\"v\",");
    /* Repeated names would be duplicates; the limit trips first (at 513). */
    struct gen g = {"ok 1\nm{", unit, "} 1\nnext 1\n", 600, 0, 0, 0};
    struct fx x;
    run(&x, &g);
    assert_true(has(&x, "ok"));
    assert_false(has(&x, "m"));
    assert_true(has(&x, "next"));
    assert_int_equal(warn_line(&x, "label limit"), 2);
    done(&x);
}

/* A flood of bad lines: at most 20 located warnings plus a count. */
static void
test_bad_line_flood(void **state)
{
    (void)state;
    struct gen g = {"", "{{{ not a sample\n", "last 1\n", 100000, 0, 0, 0};
    struct fx x;
    run(&x, &g);
    assert_true(has(&x, "last"));
    assert_true(x.d.n <= 22);
    assert_non_null(strstr(x.d.v[x.d.n - 1].msg, "99980 more problems"));
    assert_int_equal(ps_metrics_file(x.m, 0)->skipped, 100000);
    done(&x);
}

/* Binary garbage with NULs and CRs never crashes and keeps good lines. */
static void
test_binary_garbage(void **state)
{
    (void)state;
    static char junk[4097];
    uint32_t s = 12345;
    for (size_t i = 0; i < sizeof(junk) - 1; i++) {
        s = s * 1103515245u + 12345u;
        char c = (char)(s >> 16);
        junk[i] = c == 0 ? 1 : c;   /* strlen-safe for the generator */
    }
    struct gen g = {"a 1\r\n", junk, "\nz 2\n", 50, 0, 0, 0};
    struct fx x;
    run(&x, &g);
    assert_true(has(&x, "a"));
    assert_true(has(&x, "z"));
    done(&x);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_100mb_line),
        cmocka_unit_test(test_million_labels),
        cmocka_unit_test(test_label_limit),
        cmocka_unit_test(test_bad_line_flood),
        cmocka_unit_test(test_binary_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
