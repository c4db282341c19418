/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_config_hostile.c - bad and hostile configuration input: a YAML
 * alias bomb, 10000-deep JSON and YAML nesting, syntax errors midway,
 * aliases to unknown or unfinished anchors, binary junk. Each must give a
 * located diagnostic, bounded memory (node counts are checked against the
 * caps), and the rest of the file must still be read.
 */
#include "test_util.h"

#include <math.h>

#include "config/cfg_int.h"
#include "promsight/ps_config.h"
#include "promsight/ps_facts.h"

static const struct ps_diag *
diag_with(const struct ps_diags *d, enum ps_err code)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->v[i].code == code)
            return &d->v[i];
    return NULL;
}

static double
one(struct ps_facts *f, const char *metric, const char *lname, const char *lval)
{
    const uint32_t *ids;
    size_t n = ps_facts_metric_series(f, metric, &ids);
    for (size_t i = 0; i < n; i++) {
        const char *v = lval != NULL ? ps_facts_series_label(f, ids[i], lname) : NULL;
        if (lval == NULL || (v != NULL && strcmp(v, lval) == 0)) {
            const struct ps_sample *s;
            if (ps_facts_series_samples(f, ids[i], &s) == 1)
                return s[0].v;
        }
    }
    return NAN;
}

static void
test_alias_bomb(void **state)
{
    (void)state;
    size_t n = 0;
    uint8_t *buf = ps_test_load("config", "alias-bomb.yaml", &n);
    struct ps_diags d;
    ps_diags_init(&d);
    struct cfg_doc *doc;
    assert_int_equal(cfg_doc_parse(buf, n, "bomb.yaml", &d, &doc, NULL), PS_OK);
    /* 10^9 nodes if expanded; we hold ~100 nodes and counted <= the cap */
    assert_true(doc->nall < 200);
    assert_true(doc->expanded <= PS_CFG_MAX_NODES + n);
    assert_true(doc->truncated);
    const struct ps_diag *g = diag_with(&d, PS_E_LIMIT);
    assert_non_null(g);
    /* a0 = 11 nodes, a(k) = 10 a(k-1) + 1: a4 = 111111, so the running
     * total passes 10^6 inside a5's list, on line 6 */
    assert_int_equal(g->line, 6);
    assert_non_null(strstr(g->msg, "alias"));
    /* the mapping after the bomb is still there */
    assert_int_equal(doc->ndocs, 1);
    const char *si = cn_str(cn_get(doc->docs[0], "global"), "scrape_interval");
    assert_non_null(si);
    assert_string_equal(si, "15s");
    cfg_doc_free(doc);
    ps_diags_free(&d);

    /* through the entry point: the config is still published */
    struct ps_facts *f = ps_facts_new();
    ps_diags_init(&d);
    assert_int_equal(ps_config_ingest(NULL, buf, n, 0, f, NULL, &d, NULL), PS_OK);
    assert_true(one(f, "promsight_config_global_scrape_interval_seconds", NULL, NULL) == 15);
    assert_non_null(diag_with(&d, PS_E_LIMIT));
    ps_facts_free(f);
    ps_diags_free(&d);
    free(buf);
}

static void
test_deep_json(void **state)
{
    (void)state;
    size_t n = 0;
    uint8_t *buf = ps_test_load("config", "deep.json", &n);
    struct ps_facts *f = ps_facts_new();
    struct ps_diags d;
    ps_diags_init(&d);
    enum ps_config_what w;
    assert_int_equal(ps_config_ingest(NULL, buf, n, 0, f, NULL, &d, &w), PS_OK);
    assert_int_equal(w, PS_CFG_HASHRINGS);
    const struct ps_diag *g = diag_with(&d, PS_E_LIMIT);
    assert_non_null(g);
    assert_int_equal(g->line, 1);
    /* the cut starts at the 128th level: byte offset of that '[' */
    assert_true(g->off > 50 && g->off < 50 + PS_CFG_MAX_DEPTH + 10);
    assert_true(one(f, "promsight_hashring_endpoints", "hashring", "deep") == 1);
    assert_true(one(f, "promsight_hashring_endpoints", "hashring", "after") == 2);
    ps_facts_free(f);
    ps_diags_free(&d);
    free(buf);

    buf = ps_test_load("config", "deep.yaml", &n);
    f = ps_facts_new();
    ps_diags_init(&d);
    assert_int_equal(ps_config_ingest(NULL, buf, n, 0, f, NULL, &d, &w), PS_OK);
    assert_int_equal(w, PS_CFG_PROMETHEUS);
    assert_non_null(diag_with(&d, PS_E_LIMIT));
    assert_true(one(f, "promsight_config_global_scrape_interval_seconds", NULL, NULL) == 20);
    ps_facts_free(f);
    ps_diags_free(&d);
    free(buf);
}

static void
parse_text(const char *text, struct ps_diags *d, struct cfg_doc **doc)
{
    ps_diags_init(d);
    assert_int_equal(cfg_doc_parse((const uint8_t *)text, strlen(text), "t.yaml", d, doc, NULL), PS_OK);
}

static void
test_bad_yaml(void **state)
{
    (void)state;
    struct ps_diags d;
    struct cfg_doc *doc;

    /* a syntax error on line 4: what came before is kept, located diag */
    parse_text("global:\n  scrape_interval: 7s\nremote_write:\n  - url: [unclosed\n", &d, &doc);
    const struct ps_diag *g = diag_with(&d, PS_E_SYNTAX);
    assert_non_null(g);
    assert_true(g->line >= 4);
    assert_string_equal(cn_str(cn_get(doc->docs[0], "global"), "scrape_interval"), "7s");
    cfg_doc_free(doc);
    ps_diags_free(&d);

    /* alias to an unknown anchor, and to its own unfinished anchor */
    parse_text("a: *nope\nb: &self [1, *self]\nc: ok\n", &d, &doc);
    assert_non_null(diag_with(&d, PS_E_LIMIT));
    assert_true(cn_is_null(cn_get(doc->docs[0], "a")));
    const struct cn *b = cn_get(doc->docs[0], "b");
    assert_int_equal(cn_len(b), 2);
    assert_true(cn_is_null(cn_item(b, 1)));
    assert_string_equal(cn_str(doc->docs[0], "c"), "ok");
    cfg_doc_free(doc);
    ps_diags_free(&d);

    /* merge keys: own keys win, merged ones are found */
    parse_text("base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n", &d, &doc);
    assert_int_equal(d.n, 0);
    const struct cn *m = cn_get(doc->docs[0], "m");
    assert_string_equal(cn_str(m, "x"), "1");
    assert_string_equal(cn_str(m, "y"), "3");
    cfg_doc_free(doc);
    ps_diags_free(&d);
}

static void
test_junk(void **state)
{
    (void)state;
    /* binary junk and odd texts through the entry point: no crash, no facts */
    static const uint8_t junk[] = {0xff, 0xfe, 0x00, 0x01, '{', '[', 0x80, '\n', ':', '-', '&'};
    struct ps_facts *f = ps_facts_new();
    struct ps_diags d;
    ps_diags_init(&d);
    enum ps_config_what w;
    assert_int_equal(ps_config_ingest(NULL, junk, sizeof(junk), 0, f, NULL, &d, &w), PS_OK);
    assert_int_equal(w, PS_CFG_NONE);
    assert_int_equal(ps_facts_nseries(f), 0);
    const char *odd[] = {
        "Filesystem Size Used Avail Use% Mounted on\n/dev/x 1Q 2 3 4% /\n",   /* bad df row */
        "--\n--=\n-- --\n",
        "- --x\n- \n",
        "[{\"endpoints\": 5}, 7, {\"endpoints\": [{}, 3, \"\"]}]",
        "remote_write: 5\nscrape_configs: {a: b}\nglobal: [1]\n",
        "remote_write:\n  - url: x\n    queue_config: {capacity: 1e400, max_shards: -1, min_backoff: 5}\n",
        "apiVersion: v1\nkind: List\nitems: [1, {kind: Pod}, {kind: ConfigMap, data: {a: 5}}]\n",
    };
    for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
        assert_int_equal(ps_config_ingest(NULL, (const uint8_t *)odd[i], strlen(odd[i]), 0, f,
                                          NULL, &d, &w), PS_OK);
    /* the bad queue_config values were each located */
    size_t located = 0;
    for (size_t i = 0; i < d.n; i++)
        if (d.v[i].line == 3 && strstr(d.v[i].phase, "prometheus.yml") != NULL)
            located++;
    assert_int_equal(located, 2);   /* capacity 1e400, min_backoff 5 */
    ps_facts_free(f);
    ps_diags_free(&d);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alias_bomb),
        cmocka_unit_test(test_deep_json),
        cmocka_unit_test(test_bad_yaml),
        cmocka_unit_test(test_junk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
