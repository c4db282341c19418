/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_plan_sizing.c - the sizing model and pricing files load to what the
 * code documents, and the recommendation arithmetic matches sums worked
 * out by hand (in the comments) for a made-up but plausible stack.
 */
#include "test_util.h"

#include <math.h>

#include "promsight/ps_plan.h"

/* models/sizing.yaml holds exactly the built-in defaults, each with a source. */
static void
test_sizing_yaml_matches_defaults(void **state)
{
    (void)state;
    struct ps_sizing def, y;
    ps_sizing_defaults(&def);
    ps_sizing_defaults(&y);
    for (int k = 0; k < PS_SZ__COUNT; k++) { /* poison, so the file must set them */
        y.v[k] = -1;
        y.source[k][0] = 0;
    }
    struct ps_diags d;
    ps_diags_init(&d);
    assert_int_equal(ps_sizing_load(&y, "models/sizing.yaml", &d), PS_OK);
    for (size_t i = 0; i < d.n; i++)
        print_error("%s\n", d.v[i].msg);
    assert_int_equal(d.n, 0);
    for (int k = 0; k < PS_SZ__COUNT; k++) {
        if (y.v[k] != def.v[k] || strcmp(y.source[k], def.source[k]) != 0)
            print_error("%s differs: %g '%s'\n", ps_sizing_key((enum ps_sz)k), y.v[k],
                        y.source[k]);
        assert_true(y.v[k] == def.v[k]);
        assert_string_equal(y.source[k], def.source[k]);
        assert_true(strlen(y.source[k]) > 20);
        assert_true(y.lo[k] <= y.v[k] && y.v[k] <= y.hi[k]);
    }
    ps_diags_free(&d);
}

static void
test_sizing_bad_files(void **state)
{
    (void)state;
    struct ps_sizing s;
    ps_sizing_defaults(&s);
    struct ps_diags d;
    ps_diags_init(&d);
    assert_int_equal(ps_sizing_load(&s, "testdata/plan/no-such.yaml", &d), PS_E_IO);
    assert_int_equal(ps_diags_count(&d, PS_SEV_ERROR), 1);
    ps_diags_free(&d);
    ps_diags_init(&d);
    assert_int_equal(ps_sizing_load(&s, "testdata/plan/sizing-bad.yaml", &d), PS_OK);
    /* unknown key, value without source, non-numeric value: 3 warnings, the
     * one good override applied, the rest kept */
    assert_int_equal(ps_diags_count(&d, PS_SEV_WARN), 3);
    assert_true(s.v[PS_SZ_DISK_FILL_TARGET] == 0.85);
    assert_true(s.v[PS_SZ_BYTES_PER_SAMPLE_DISK] == 1.5);
    assert_true(s.v[PS_SZ_COMPACTION_HEADROOM] == 1.2);
    ps_diags_free(&d);
}

/*
 * AWS example: 100 TB = 100,000 GB = first 51,200 GB at 0.023 (1177.6)
 * + 48,800 GB at 0.022 (1073.6) = 2251.2 USD/month; 100 GiB gp3 = 8 USD.
 */
static void
test_pricing_profiles(void **state)
{
    (void)state;
    struct ps_pricing p;
    struct ps_diags d;
    ps_diags_init(&d);
    assert_int_equal(ps_pricing_load(&p, "models/pricing/aws-us-east-1.example.yaml", &d), PS_OK);
    assert_true(p.example);
    assert_string_equal(p.region, "us-east-1");
    assert_string_equal(p.effective_date, "2026-03-01");
    assert_int_equal(p.ntier, 3);
    assert_true(isinf(p.tier_upto_gb[2]));
    assert_near(ps_pricing_object_monthly(&p, 100e12), 2251.2, 1e-6);
    assert_near(ps_pricing_object_monthly(&p, 1e9), 0.023, 1e-12);
    assert_near(ps_pricing_volume_monthly(&p, 100.0 * 1073741824), 8, 1e-9);
    assert_int_equal(ps_pricing_load(&p, "models/pricing/gcp-us-central1.example.yaml", &d), PS_OK);
    assert_true(p.example);
    assert_near(ps_pricing_object_monthly(&p, 2e12), 40, 1e-9);
    assert_int_equal(d.n, 0);
    assert_int_equal(ps_pricing_load(&p, "testdata/plan/pricing-bad.yaml", &d), PS_E_SYNTAX);
    assert_int_equal(d.n, 1);
    assert_non_null(strstr(d.v[0].msg, "effective_date"));
    ps_diags_free(&d);
}

static const struct ps_plan_rec *
find(const struct ps_plan_result *r, const char *id)
{
    for (size_t i = 0; i < r->nrec; i++)
        if (strcmp(r->rec[i].id, id) == 0)
            return &r->rec[i];
    fail_msg("no recommendation %s", id);
    return NULL;
}

static void
set_q(struct ps_plan_inputs *in, enum ps_plan_qty q, double now, double hi90)
{
    in->q[q].known = 1;
    in->q[q].now = now;
    in->q[q].forecast = 1;
    for (size_t i = 0; i < in->nhorizon; i++)
        in->q[q].mean[i] = in->q[q].hi[i] = now;
    in->q[q].hi[1] = hi90;
    snprintf(in->q[q].from, sizeof(in->q[q].from), "test");
}

/*
 * Hand arithmetic, sizing at +90d (upper bounds):
 *   receivers: budget = 32 GiB x 0.8 / 8192 B = 3,355,443.2 series;
 *              N = max(3, ceil(12e6 / 3355443.2 = 3.58)) = 4
 *   memory:    share = 12e6 / 4 = 3e6; request = 3e6 x 3072 = 9.216e9 B;
 *              limit = 3e6 x 8192 / 0.8 = 3.072e10 B
 *   volume:    per receiver 400k / 4 = 100k samples/s;
 *              blocks = 1e5 x 1,296,000 s x 1.2 B x 1.2 = 1.86624e11;
 *              WAL = 1e5 x 10,800 s x 4 B = 4.32e9; sum 1.90944e11;
 *              / 0.8 = 2.3868e11 B
 *   agent:     50k x (7200 + min(7200, 14400)) x 4 B = 2.88e9; / 0.8 = 3.6e9 B
 *   queue:     ceil(50k x 0.2 / 2000) = 5; ceil(5 x 2) = 10 > current 8;
 *              capacity 2000 x 5 = 10000
 *   retention: 300k / 3 x 86400 x 1.2 = 1.0368e10 B/day
 */
static void
test_recommend_arithmetic(void **state)
{
    (void)state;
    struct ps_sizing s;
    ps_sizing_defaults(&s);
    struct ps_plan_inputs in;
    ps_plan_inputs_init(&in);
    set_q(&in, PS_Q_RECV_SERIES, 9e6, 12e6);
    set_q(&in, PS_Q_RECV_SPS, 300e3, 400e3);
    set_q(&in, PS_Q_AGENT_SPS, 40e3, 50e3);
    set_q(&in, PS_Q_RW_SPS, 40e3, 50e3);
    in.replication_factor = 3;
    in.receiver_mem_limit = 32.0 * 1073741824;
    in.bytes_per_sample_blocks = 1.2;
    in.wal_bytes_per_sample = 4;
    in.agent_wal_bytes_per_sample = 4;
    in.rw_send_latency_s = 0.2;
    in.rw_max_shards = 8;
    in.rw_max_samples_per_send = 2000;
    in.receivers = 3;
    in.receiver_volume_bytes = 100.0 * 1073741824;
    in.agents = 2;
    in.agent_volume_bytes = 2.0 * 1073741824;
    snprintf(in.hashring_algorithm, sizeof(in.hashring_algorithm), "hashmod");
    struct ps_pricing p;
    struct ps_diags d;
    ps_diags_init(&d);
    assert_int_equal(ps_pricing_load(&p, "models/pricing/aws-us-east-1.example.yaml", &d), PS_OK);
    struct ps_plan_result r;
    assert_int_equal(ps_plan_recommend(&in, &s, &p, &r), PS_OK);
    assert_near(find(&r, "receiver.replicas")->value, 4, 0);
    assert_non_null(strstr(find(&r, "receiver.replicas")->formula, "ceil(12M / 3.36M)"));
    assert_non_null(strstr(find(&r, "receiver.hashring")->result, "ketama"));
    const struct ps_plan_rec *m = find(&r, "receiver.memory");
    assert_near(m->value, 3.072e10, 1);
    assert_non_null(strstr(m->result, "8.58 GiB")); /* 9.216e9 B = 8.58 GiB */
    const struct ps_plan_rec *v = find(&r, "receiver.volume");
    assert_near(v->value, 2.3868e11, 1e3);
    /* grow 100 GiB -> 222.3 GiB on 4 receivers at 0.08/GiB-month */
    assert_near(v->monthly_delta, (2.3868e11 - 100.0 * 1073741824) * 4 / 1073741824 * 0.08, 1e-6);
    assert_near(find(&r, "agent.volume")->value, 3.6e9, 1);
    const struct ps_plan_rec *q = find(&r, "agent.queue_config");
    assert_near(q->value, 10, 0);
    assert_non_null(strstr(q->result, "max_shards: 10, capacity: 10000, max_samples_per_send: 2000"));
    assert_near(find(&r, "storage.retention")->value, 1.0368e10, 1);
    /* no agent series: agent memory cannot be sized */
    assert_non_null(strstr(find(&r, "agent.memory")->result, "cannot size"));
    assert_non_null(strstr(find(&r, "storage.retention")->result, "saves no space"));
    assert_true(r.cost.priced);
    /* now: 3 x 100 GiB x 0.08 + 2 x 2 GiB x 0.08 = 24 + 0.32; no object store
     * known; uploads 3 x 12 x 3 x 30.44 = 3287.52 PUTs x 0.005/1000 = 0.0164376 */
    assert_near(r.cost.now, 24.32 + 0.0164376, 1e-9);
    assert_true(r.cost.at[3] > r.cost.at[0]);
    ps_plan_result_free(&r);
    ps_diags_free(&d);
}

/* Nothing known: every recommendation says what it is missing; no NaN math. */
/*
 * Agent memory: RSS 200 MiB with 10k series now, 30k at +90d (upper):
 * request = 200 MiB + 20k x 3072 B = 209715200 + 61440000 = 271155200 B;
 * limit = (209715200 + 20k x 8192) / 0.8 = (209715200 + 163840000) / 0.8 = 466944000 B.
 * Without RSS: limit = 30k x 8192 / 0.8 = 307200000 B.
 */
static void
test_recommend_agent_memory(void **state)
{
    (void)state;
    struct ps_sizing s;
    ps_sizing_defaults(&s);
    struct ps_plan_inputs in;
    ps_plan_inputs_init(&in);
    set_q(&in, PS_Q_AGENT_SERIES, 10000, 30000);
    in.agent_rss_bytes = 200.0 * 1048576;
    struct ps_plan_result r;
    assert_int_equal(ps_plan_recommend(&in, &s, NULL, &r), PS_OK);
    assert_near(find(&r, "agent.memory")->value, 466944000, 1e-3);
    assert_non_null(strstr(find(&r, "agent.memory")->result, "259 MiB")); /* 271155200 B */
    ps_plan_result_free(&r);
    in.agent_rss_bytes = NAN;
    assert_int_equal(ps_plan_recommend(&in, &s, NULL, &r), PS_OK);
    assert_near(find(&r, "agent.memory")->value, 307200000, 1e-3);
    assert_non_null(strstr(find(&r, "agent.memory")->result, "upper bound"));
    ps_plan_result_free(&r);
}

static void
test_recommend_empty(void **state)
{
    (void)state;
    struct ps_sizing s;
    ps_sizing_defaults(&s);
    struct ps_plan_inputs in;
    ps_plan_inputs_init(&in);
    struct ps_plan_result r;
    assert_int_equal(ps_plan_recommend(&in, &s, NULL, &r), PS_OK);
    assert_true(r.nrec >= 6);
    assert_non_null(strstr(find(&r, "receiver.replicas")->result, "cannot size"));
    assert_non_null(strstr(find(&r, "agent.volume")->result, "cannot size"));
    assert_false(r.cost.priced);
    ps_plan_result_free(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizing_yaml_matches_defaults),
        cmocka_unit_test(test_sizing_bad_files),
        cmocka_unit_test(test_pricing_profiles),
        cmocka_unit_test(test_recommend_arithmetic),
        cmocka_unit_test(test_recommend_agent_memory),
        cmocka_unit_test(test_recommend_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
