/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_config_redact.c - no secret from a configuration reaches the fact
 * store, a diagnostic or the redacted tree, and every secret is counted.
 *
 * The fixtures testdata/config/secrets.yml and secrets-k8s.yaml put the
 * marker "SEKRIT" in every secret value (and nowhere else outside
 * comments). The expected counts are the secrets listed in those files,
 * counted by hand: secrets.yml (valid for promtool check config) has 3
 * bearer-like values (bearer_token, bearer_token through an alias,
 * authorization.credentials), 1 URL password and 5 other secret values
 * (basic_auth.password, client_secret, access_key, secret_key, the
 * X-Api-Secret header); secrets-extra.yml (keys Prometheus rejects) has an
 * Authorization header (bearer), my_custom_secret and extra.api_token.
 */
#include "test_util.h"

#include "config/cfg_int.h"
#include "promsight/ps_config.h"
#include "promsight/ps_facts.h"

#define MARK "SEKRIT"

/* Every string the fact store holds: metric names, labels, events, sources. */
static void
assert_store_clean(struct ps_facts *f)
{
    size_t checked = 0;
    for (uint32_t id = 0; id < ps_facts_nseries(f); id++) {
        const struct ps_label *l;
        size_t nl = ps_facts_series_labels(f, id, &l);
        for (size_t i = 0; i < nl; i++) {
            assert_null(strstr(l[i].name, MARK));
            assert_null(strstr(l[i].value, MARK));
            checked++;
        }
    }
    for (size_t i = 0; i < ps_facts_nevents(f); i++) {
        const struct ps_event *e = ps_facts_event(f, i);
        assert_null(strstr(e->message, MARK));
        assert_null(strstr(e->cls, MARK));
        for (size_t k = 0; k < e->nlabels; k++)
            assert_null(strstr(e->labels[k].value, MARK));
        checked++;
    }
    for (uint32_t s = 0; s < ps_facts_nsources(f); s++)
        assert_null(strstr(ps_facts_source_path(f, s), MARK));
    assert_true(checked > 10);   /* the files did publish something */
}

static void
assert_diags_clean(const struct ps_diags *d)
{
    for (size_t i = 0; i < d->n; i++) {
        char buf[2048];
        ps_diag_format(&d->v[i], buf, sizeof(buf));
        assert_null(strstr(buf, MARK));
    }
}

static void
assert_tree_clean(const uint8_t *buf, size_t n, struct ps_redact_stats *st)
{
    struct ps_diags d;
    ps_diags_init(&d);
    struct cfg_doc *doc;
    assert_int_equal(cfg_doc_parse(buf, n, "t", &d, &doc, NULL), PS_OK);
    assert_int_equal(cfg_redact_tree(doc, st), PS_OK);
    for (size_t i = 0; i < doc->nall; i++)
        if (doc->all[i]->type == CN_SCALAR)
            assert_null(strstr(doc->all[i]->s, MARK));
    cfg_doc_free(doc);
    ps_diags_free(&d);
}

static void
test_prometheus_secrets(void **state)
{
    (void)state;
    size_t n = 0;
    uint8_t *buf = ps_test_load("config", "secrets.yml", &n);
    struct ps_redact_stats st = {0, 0, 0};
    assert_tree_clean(buf, n, &st);
    assert_int_equal(st.bearer, 3);
    assert_int_equal(st.url_auth, 1);
    assert_int_equal(st.key_value, 5);

    struct ps_facts *f = ps_facts_new();
    struct ps_diags d;
    ps_diags_init(&d);
    struct ps_entry e;
    memset(&e, 0, sizeof(e));
    e.path = "cfg/prometheus.yml";
    e.kind = PS_KIND_CONFIG;
    e.pod = "prometheus-0";
    memset(&st, 0, sizeof(st));
    enum ps_config_what w;
    assert_int_equal(ps_config_ingest(&e, buf, n, 1000, f, &st, &d, &w), PS_OK);
    assert_int_equal(w, PS_CFG_PROMETHEUS);
    assert_int_equal(ps_redact_total(&st), 9);
    assert_store_clean(f);
    assert_diags_clean(&d);
    /* all three URLs are right (Amazon Managed Prometheus' path included) */
    for (size_t i = 0; i < ps_facts_nevents(f); i++)
        assert_string_not_equal(ps_facts_event(f, i)->cls, "remote_write.misconfigured");
    /* what is kept: the username, the password *file* path, the host */
    const uint32_t *ids;
    size_t ns = ps_facts_metric_series(f, "promsight_config_remote_write_queue", &ids);
    int saw_url = 0;
    for (size_t i = 0; i < ns; i++) {
        const char *url = ps_facts_series_label(f, ids[i], "url");
        if (url != NULL && strstr(url, "metrics.example.com/api/v1/write") != NULL) {
            assert_non_null(strstr(url, PS_REDACTED "@metrics.example.com"));
            saw_url = 1;
        }
    }
    assert_true(saw_url);
    ps_facts_free(f);
    ps_diags_free(&d);

    /* the struct API redacts too */
    struct ps_prom_config c;
    memset(&st, 0, sizeof(st));
    assert_int_equal(ps_config_parse_prom(buf, n, "p", PS_RW_DEFAULTS_2_42, &c, &st, NULL), PS_OK);
    assert_int_equal(ps_redact_total(&st), 9);
    /* the anchored node is shared: the external label is redacted too */
    int saw_build = 0;
    for (size_t i = 0; i < c.nexternal_labels; i++)
        if (strcmp(c.external_labels[i].name, "build") == 0) {
            assert_string_equal(c.external_labels[i].value, PS_REDACTED);
            saw_build = 1;
        }
    assert_true(saw_build);
    for (size_t i = 0; i < c.nrw; i++)
        assert_null(strstr(c.rw[i].url, MARK));
    ps_prom_config_free(&c);
    free(buf);

    buf = ps_test_load("config", "secrets-extra.yml", &n);
    memset(&st, 0, sizeof(st));
    assert_tree_clean(buf, n, &st);
    assert_int_equal(st.bearer, 1);
    assert_int_equal(st.key_value, 2);
    assert_int_equal(st.url_auth, 0);
    free(buf);
}

static void
test_k8s_secrets(void **state)
{
    (void)state;
    size_t n = 0;
    uint8_t *buf = ps_test_load("config", "secrets-k8s.yaml", &n);
    struct ps_redact_stats st = {0, 0, 0};
    assert_tree_clean(buf, n, &st);
    /* Secret: 3 values; annotation JSON: 1 env value; args: --db.password=,
     * URL password, --api-token <word>; env DB_PASSWORD; ConfigMap's
     * prometheus.yml: URL password and basic_auth password */
    assert_int_equal(st.key_value, 8);
    assert_int_equal(st.url_auth, 2);
    assert_int_equal(st.bearer, 0);

    struct ps_facts *f = ps_facts_new();
    struct ps_diags d;
    ps_diags_init(&d);
    memset(&st, 0, sizeof(st));
    enum ps_config_what w;
    assert_int_equal(ps_config_ingest(NULL, buf, n, 1000, f, &st, &d, &w), PS_OK);
    assert_int_equal(w, PS_CFG_K8S);
    /* counted once each, even though flags and the ConfigMap are read twice */
    assert_int_equal(st.key_value, 8);
    assert_int_equal(st.url_auth, 2);
    assert_store_clean(f);
    assert_diags_clean(&d);
    /* non-secrets survive: the *_FILE path and the plain flag */
    const uint32_t *ids;
    size_t ns = ps_facts_metric_series(f, "promsight_config_flag", &ids);
    int saw_level = 0, saw_token = 0;
    for (size_t i = 0; i < ns; i++) {
        const char *flag = ps_facts_series_label(f, ids[i], "flag");
        const char *v = ps_facts_series_label(f, ids[i], "value");
        if (strcmp(flag, "log.level") == 0 && v != NULL && strcmp(v, "info") == 0)
            saw_level = 1;
        if (strcmp(flag, "api-token") == 0 && v != NULL && strcmp(v, PS_REDACTED) == 0)
            saw_token = 1;
    }
    assert_true(saw_level);
    assert_true(saw_token);
    ps_facts_free(f);
    ps_diags_free(&d);
    free(buf);
}

static void
test_secret_keys(void **state)
{
    (void)state;
#define K(s) cfg_is_secret_key(s, strlen(s))
    assert_true(K("password"));
    assert_true(K("bearer_token"));
    assert_true(K("client_secret"));
    assert_true(K("secret_key"));
    assert_true(K("access_key"));
    assert_true(K("credentials"));
    assert_true(K("Authorization"));
    assert_true(K("my_custom_secret"));
    assert_false(K("password_file"));
    assert_false(K("bearer_token_file"));
    assert_false(K("credentials_file"));
    assert_false(K("secretName"));
    assert_false(K("secretKeyRef"));
    assert_false(K("token_url"));
    assert_false(K("username"));
    assert_false(K("client_id"));
#undef K
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prometheus_secrets),
        cmocka_unit_test(test_k8s_secrets),
        cmocka_unit_test(test_secret_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
