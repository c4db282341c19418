/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_plan_facts.c - ps_plan_from_facts on a fact store filled here with
 * series whose rates and growth are known: roles from pod/instance names,
 * deduplication of a dump and an API copy, counters to rates across a
 * reset, sums over receivers, configured numbers, and the time-to-limit.
 */
#include "test_util.h"

#include <math.h>

#include "promsight/ps_facts.h"
#include "promsight/ps_plan.h"

#define T0 1795502099000LL /* ms */
#define STEP 60000LL       /* 1 min */
#define NPTS 240           /* 4 hours */

static void
add(struct ps_facts *f, const char *metric, const char *l1, const char *v1,
    const char *l2, const char *v2, int64_t t, double v)
{
    struct ps_label l[2] = {{l1, v1}, {l2, v2}};
    size_t nl = l1 == NULL ? 0 : l2 == NULL ? 1 : 2;
    assert_int_equal(ps_facts_add(f, metric, l, nl, t, v, 0), PS_OK);
}

static struct ps_facts *
build(void)
{
    struct ps_facts *f = ps_facts_new();
    assert_non_null(f);
    for (int i = 0; i < NPTS; i++) {
        int64_t t = T0 + STEP * i;
        /* two receivers: 10000 + 5/min and 20000 + 5/min series */
        add(f, "prometheus_tsdb_head_series", "pod", "thanos-receive-0", NULL, NULL, t,
            10000 + 5.0 * i);
        add(f, "prometheus_tsdb_head_series", "pod", "thanos-receive-1", NULL, NULL, t,
            20000 + 5.0 * i);
        /* 1000 samples/s each; receive-1 restarts at i = 120 (counter reset) */
        add(f, "prometheus_tsdb_head_samples_appended_total", "pod", "thanos-receive-0", NULL,
            NULL, t, 60000.0 * i);
        add(f, "prometheus_tsdb_head_samples_appended_total", "pod", "thanos-receive-1", NULL,
            NULL, t, i < 120 ? 60000.0 * i : 60000.0 * (i - 120) + 60000);
        /* a Prometheus server: not a receiver, shown but feeds nothing */
        add(f, "prometheus_tsdb_head_series", "instance", "prometheus-0:9090", NULL, NULL, t,
            500);
        /* agent: dump copy (pod) and API copy (instance) of the same target */
        add(f, "prometheus_agent_active_series", "pod", "prometheus-agent-0", NULL, NULL, t,
            3000 + i);
        if (i % 4 == 0)
            add(f, "prometheus_agent_active_series", "instance", "prometheus-agent-0:19190",
                NULL, NULL, t, 3000 + i);
        add(f, "prometheus_agent_samples_appended_total", "pod", "prometheus-agent-0", NULL,
            NULL, t, 30000.0 * i); /* 500/s */
        /* remote write: an old URL that stopped early and the live one */
        if (i < 10)
            add(f, "prometheus_remote_storage_samples_total", "pod", "prometheus-agent-0", "url",
                "http://old/api/v1/receive", t, 1000.0 * i);
        add(f, "prometheus_remote_storage_samples_total", "pod", "prometheus-agent-0", "url",
            "http://new/api/v1/write", t, 30000.0 * i);
        add(f, "prometheus_remote_storage_sent_batch_duration_seconds_sum", "pod",
            "prometheus-agent-0", NULL, NULL, t, 0.25 * i);
        add(f, "prometheus_remote_storage_sent_batch_duration_seconds_count", "pod",
            "prometheus-agent-0", NULL, NULL, t, 1.0 * i);
    }
    /* three blocks of one tenant: merged into one series; 6000 B / 4000 samples */
    static const char *const ulid[] = {"01A", "01B", "01C"};
    for (int b = 0; b < 3; b++) {
        struct ps_label bl[3] = {{"tsdb", "thanos-receive-0/default-tenant"},
                                 {"tenant", "default-tenant"}, {"block", ulid[b]}};
        int64_t t = T0 + 7200000LL * (b + 1);
        assert_int_equal(ps_facts_add(f, "promsight_block_series", bl, 3, t, 100 + 50 * b, 0), PS_OK);
        assert_int_equal(ps_facts_add(f, "promsight_block_samples", bl, 3, t, 1000 + 500 * b, 0), PS_OK);
        assert_int_equal(ps_facts_add(f, "promsight_block_bytes", bl, 3, t, 1500 + 750 * b, 0), PS_OK);
    }
    int64_t tl = T0 + STEP * (NPTS - 1);
    /* WAL reader's single values: used only for quantities nothing else gives */
    add(f, "promsight_wal_bytes", "pod", "thanos-receive-0", "wal", "thanos-receive-0/wal", tl,
        4e6);
    add(f, "promsight_wal_bytes", "pod", "thanos-receive-1", "wal", "thanos-receive-1/wal", tl,
        5e6);
    add(f, "promsight_wal_samples_per_second", "pod", "thanos-receive-0", "wal",
        "thanos-receive-0/wal", tl, 777);
    add(f, "promsight_config_replication_factor", "pod", "thanos-receive-0", NULL, NULL, tl, 2);
    add(f, "promsight_config_hashrings_algorithm", "pod", "thanos-receive-0", "algorithm",
        "hashmod", tl, 1);
    add(f, "promsight_config_receive_limit", "limit", "head_series_limit", "tenant", "default",
        tl, 100000);
    add(f, "promsight_config_remote_write_queue", "param", "max_shards", "pod",
        "prometheus-agent-0", tl, 10);
    add(f, "promsight_config_remote_write_queue", "param", "max_samples_per_send", "pod",
        "prometheus-agent-0", tl, 500);
    add(f, "kubelet_volume_stats_capacity_bytes", "pod", "thanos-receive-0", NULL, NULL, tl,
        10.0 * 1073741824);
    return f;
}

static const struct ps_plan_series *
find_series(const struct ps_plan *p, const char *prefix)
{
    for (size_t i = 0; i < p->nseries; i++)
        if (strncmp(p->series[i].name, prefix, strlen(prefix)) == 0)
            return &p->series[i];
    return NULL;
}

static void
test_plan_from_facts(void **state)
{
    (void)state;
    struct ps_facts *f = build();
    struct ps_sizing sz;
    ps_sizing_defaults(&sz);
    struct ps_plan p;
    struct ps_diags d;
    ps_diags_init(&d);
    assert_int_equal(ps_plan_from_facts(f, NULL, &sz, NULL, &p, &d), PS_OK);
    const struct ps_plan_inputs *in = &p.in;

    /* receiver WAL bytes: only the WAL reader knows: the largest of 4e6, 5e6;
     * its samples/s (777) is not used, the fitted dump rate is */
    assert_true(in->q[PS_Q_RECV_WAL_BYTES].known);
    assert_false(in->q[PS_Q_RECV_WAL_BYTES].forecast);
    assert_near(in->q[PS_Q_RECV_WAL_BYTES].now, 5e6, 0);
    /* receivers: sum of the last values 11195 + 21195 */
    assert_true(in->q[PS_Q_RECV_SERIES].known);
    assert_near(in->q[PS_Q_RECV_SERIES].now, 11195 + 21195, 1e-9);
    assert_near(in->receivers, 2, 0);
    /* rates: 1000/s per receiver, despite receive-1's reset */
    assert_true(in->q[PS_Q_RECV_SPS].forecast);
    assert_near(in->q[PS_Q_RECV_SPS].now, 2000, 1e-6);
    /* agent: the dump and the API copy are one target */
    assert_near(in->agents, 1, 0);
    assert_near(in->q[PS_Q_AGENT_SPS].now, 500, 1e-9);
    /* remote write: the live URL's 500/s, not the old one */
    assert_near(in->q[PS_Q_RW_SPS].now, 500, 1e-9);
    /* configured numbers */
    assert_near(in->replication_factor, 2, 0);
    assert_string_equal(in->hashring_algorithm, "hashmod");
    assert_near(in->head_series_limit, 100000, 0);
    assert_near(in->rw_max_shards, 10, 0);
    assert_near(in->rw_max_samples_per_send, 500, 0);
    assert_near(in->rw_send_latency_s, 0.25, 1e-12);
    assert_near(in->receiver_volume_bytes, 10.0 * 1073741824, 0);

    /* blocks: one merged series of 3 points; measured bytes/sample */
    const struct ps_plan_series *bs = find_series(&p, "promsight_block_series{tsdb=");
    assert_non_null(bs);
    assert_int_equal(bs->data.n, 3);
    assert_non_null(strstr(bs->name, "(3 blocks)"));
    assert_near(in->bytes_per_sample_blocks, (1500 + 2250 + 3000) / (1000.0 + 1500 + 2000), 1e-12);

    /* the server's head series is shown but is not a receiver quantity */
    const struct ps_plan_series *srv = find_series(&p, "prometheus_tsdb_head_series{instance=");
    assert_non_null(srv);
    assert_int_equal(srv->qty, PS_Q__COUNT);

    /*
     * ETA: receive-0 grows 5 series/min from 10000 (per-window maxima keep
     * the line); its share of the limit is 100000 / 2 = 50000, reached
     * after (50000 - 10000) / 5 = 8000 min from T0.
     */
    const struct ps_plan_series *r0 =
        find_series(&p, "prometheus_tsdb_head_series{pod=\"thanos-receive-0\"}");
    assert_non_null(r0);
    assert_true(r0->eta.set);
    assert_near(r0->eta.limit, 50000, 0);
    assert_int_equal(r0->eta.eta.status, PS_ETA_REACHED);
    assert_near(r0->eta.eta.t_mean, T0 / 1000.0 + 8000 * 60.0, 120);

    /* recommendations were computed from these inputs */
    assert_true(p.result.nrec >= 6);
    int found = 0;
    for (size_t i = 0; i < p.result.nrec; i++)
        if (strcmp(p.result.rec[i].id, "receiver.replicas") == 0) {
            found = 1;
            assert_true(p.result.rec[i].value >= 2); /* N >= RF */
        }
    assert_true(found);
    ps_plan_free(&p);
    ps_diags_free(&d);
    ps_facts_free(f);
}

static void
test_plan_empty_store(void **state)
{
    (void)state;
    struct ps_facts *f = ps_facts_new();
    struct ps_sizing sz;
    ps_sizing_defaults(&sz);
    struct ps_plan p;
    struct ps_diags d;
    ps_diags_init(&d);
    assert_int_equal(ps_plan_from_facts(f, NULL, &sz, NULL, &p, &d), PS_OK);
    assert_int_equal(p.nseries, 0);
    assert_false(p.in.q[PS_Q_RECV_SERIES].known);
    ps_plan_free(&p);
    ps_diags_free(&d);
    ps_facts_free(f);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_from_facts),
        cmocka_unit_test(test_plan_empty_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
