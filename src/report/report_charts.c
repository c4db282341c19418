/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * report_charts.c - the fact-driven parts of the report: charts
 * (remote-write lag and backlog, WAL size, series), data at risk (unsent
 * WAL span, outage vs agent retention, un-shipped blocks, restart time)
 * and the operations checklist the team runs daily, weekly and monthly.
 *
 * Metric names are Prometheus 2.x/3.x and Thanos names as documented in
 * ../shared/reference/formats.md section 6; each chart or check says which
 * it reads, and a check whose inputs are absent says "unknown".
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "promsight/ps_facts.h"
#include "promsight/ps_ingest.h"
#include "report/report_build_int.h"
#include "report/report_int.h"

#define MAX_CHART_SERIES 6
#define MAX_CHART_POINTS 400
/* Agent default --storage.agent.retention.max-time (tsdb/agent/db.go). */
#define AGENT_DEFAULT_MAX_WAL_TIME_S (4 * 3600)
/* WAL replay rate used when the bundle measured none: conservative figure
 * for snappy WAL on one core (documented in docs/reading-a-report.md). */
#define DEFAULT_REPLAY_BYTES_PER_S (50.0 * 1024 * 1024)

/* ---- charts ---- */

static json_t *
points_of(const struct ps_facts *f, uint32_t id, double scale)
{
    const struct ps_sample *s;
    size_t n = ps_facts_series_samples(f, id, &s);
    size_t step = n > MAX_CHART_POINTS ? (n + MAX_CHART_POINTS - 1) / MAX_CHART_POINTS : 1;
    json_t *pts = json_array();
    for (size_t i = 0; i < n; i += step)
        if (isfinite(s[i].v))
            json_array_append_new(pts, json_pack("[I, f]", (json_int_t)s[i].t,
                                                 s[i].v * scale));
    return pts;
}

static void
series_name(const struct ps_facts *f, uint32_t id, char *buf, size_t n)
{
    const char *who = ps_facts_series_label(f, id, "pod");
    if (who == NULL)
        who = ps_facts_series_label(f, id, "instance");
    if (who == NULL)
        who = ps_facts_series_metric(f, id);
    const char *rn = ps_facts_series_label(f, id, "remote_name");
    const char *url = ps_facts_series_label(f, id, "url");
    const char *tenant = ps_facts_series_label(f, id, "tenant");
    /* the URL's path tells two queues of one remote apart (e.g. a fixed URL) */
    const char *path = url != NULL ? strstr(url, "://") : NULL;
    path = path != NULL ? strchr(path + 3, '/') : NULL;
    snprintf(buf, n, "%s%s%s%s%s%s", who, rn != NULL ? " " : "", rn != NULL ? rn : "",
             path != NULL ? path : "", tenant != NULL ? " " : "", tenant != NULL ? tenant : "");
}

static json_t *
chart(const char *title, const char *unit)
{
    return json_pack("{s:s, s:s, s:[], s:n, s:[]}", "title", title, "unit", unit,
                     "series", "band", "markers");
}

static void
add_metric(json_t *c, const struct ps_facts *f, const char *metric)
{
    const uint32_t *ids;
    size_t n = ps_facts_metric_series(f, metric, &ids);
    json_t *ser = json_object_get(c, "series");
    for (size_t i = 0; i < n && json_array_size(ser) < MAX_CHART_SERIES; i++) {
        /* API query results repeat what the dumps hold; chart the dumps */
        const char *source = ps_facts_series_label(f, ids[i], "source");
        if (source != NULL && strcmp(source, "api") == 0 && n > 1)
            continue;
        char name[256];
        series_name(f, ids[i], name, sizeof(name));
        json_array_append_new(ser, json_pack("{s:o, s:o}", "name", rb_text(name, 200),
                                             "points", points_of(f, ids[i], 1)));
    }
}

/* lag = highest timestamp appended - highest timestamp sent, per queue. */
static void
add_lag(json_t *c, const struct ps_facts *f)
{
    static const char *const highest[] = {
        "prometheus_remote_storage_queue_highest_timestamp_seconds",
        "prometheus_remote_storage_highest_timestamp_in_seconds"};
    const uint32_t *sent;
    size_t ns = ps_facts_metric_series(
        f, "prometheus_remote_storage_queue_highest_sent_timestamp_seconds", &sent);
    json_t *ser = json_object_get(c, "series");
    for (size_t i = 0; i < ns && json_array_size(ser) < MAX_CHART_SERIES; i++) {
        const char *pod = ps_facts_series_label(f, sent[i], "pod");
        const char *rn = ps_facts_series_label(f, sent[i], "remote_name");
        uint32_t hid = UINT32_MAX;
        for (size_t k = 0; k < 2 && hid == UINT32_MAX; k++) {
            const uint32_t *hs;
            size_t nh = ps_facts_metric_series(f, highest[k], &hs);
            for (size_t j = 0; j < nh && hid == UINT32_MAX; j++) {
                const char *hp = ps_facts_series_label(f, hs[j], "pod");
                const char *hr = ps_facts_series_label(f, hs[j], "remote_name");
                if ((pod == NULL) == (hp == NULL) && (pod == NULL || strcmp(pod, hp) == 0) &&
                    (hr == NULL || rn == NULL || strcmp(hr, rn) == 0))
                    hid = hs[j];
            }
        }
        if (hid == UINT32_MAX)
            continue;
        const struct ps_sample *a, *b;
        size_t na = ps_facts_series_samples(f, hid, &a);
        size_t nb = ps_facts_series_samples(f, sent[i], &b);
        json_t *pts = json_array();
        for (size_t x = 0, y = 0; x < na && y < nb;) {
            if (a[x].t < b[y].t) {
                x++;
            } else if (a[x].t > b[y].t) {
                y++;
            } else {
                double lag = a[x].v - b[y].v;
                if (isfinite(lag) && b[y].v > 0)
                    json_array_append_new(pts, json_pack("[I, f]", (json_int_t)a[x].t,
                                                         lag < 0 ? 0 : lag));
                x++;
                y++;
            }
        }
        char name[256];
        series_name(f, sent[i], name, sizeof(name));
        json_array_append_new(ser, json_pack("{s:o, s:o}", "name", rb_text(name, 200),
                                             "points", pts));
    }
}

static void
add_markers(json_t *c, const json_t *findings)
{
    json_t *mk = json_object_get(c, "markers");
    size_t i;
    const json_t *fd;
    json_array_foreach(findings, i, fd) {
        if (rp_sev_rank(rp_str(fd, "severity")) > 1)
            continue;
        int64_t ms;
        const char *ts = rp_str(fd, "first");
        if (ps_parse_rfc3339_ms(ts, strlen(ts), &ms))
            json_array_append_new(mk, json_pack("{s:I, s:s}", "time", (json_int_t)ms,
                                                "text", rp_str(fd, "rule")));
    }
}

json_t *
rb_charts(const struct ps_facts *f, const json_t *findings, const json_t *plan)
{
    json_t *charts = json_array();
    json_t *c = chart("Remote-write lag (highest appended - highest sent)", "seconds");
    add_lag(c, f);
    json_t *c2 = chart("Remote-write pending samples", "");
    add_metric(c2, f, "prometheus_remote_storage_samples_pending");
    json_t *c3 = chart("WAL size", "bytes");
    add_metric(c3, f, "prometheus_tsdb_wal_storage_size_bytes");
    json_t *c4 = chart("Active / head series", "");
    add_metric(c4, f, "prometheus_agent_active_series");
    add_metric(c4, f, "prometheus_tsdb_head_series");
    json_t *all[] = {c, c2, c3, c4};
    for (size_t i = 0; i < 4; i++) {
        if (json_array_size(json_object_get(all[i], "series")) == 0) {
            json_decref(all[i]);
            continue;
        }
        add_markers(all[i], findings);
        json_array_append_new(charts, all[i]);
    }
    /* forecast charts the capacity plan provides, as they are */
    size_t i;
    const json_t *pc;
    json_array_foreach(json_object_get(plan, "charts"), i, pc)
        json_array_append(charts, (json_t *)pc);
    return charts;
}

/* ---- data at risk ---- */

static double
last_value(const struct ps_facts *f, const char *metric, const char *pod, int64_t *t)
{
    const uint32_t *ids;
    size_t n = ps_facts_metric_series(f, metric, &ids);
    double best = NAN;
    for (size_t i = 0; i < n; i++) {
        const char *p = ps_facts_series_label(f, ids[i], "pod");
        if (pod != NULL && (p == NULL || strcmp(p, pod) != 0))
            continue;
        struct ps_sample s;
        if (rb_last(f, ids[i], &s) && (isnan(best) || s.v > best)) {
            best = s.v;
            if (t != NULL)
                *t = s.t;
        }
    }
    return best;
}

static void
say(json_t *en, json_t *ko, const char *e, const char *k)
{
    json_array_append_new(en, json_string(e));
    json_array_append_new(ko, json_string(k));
}

json_t *
rb_data_at_risk(const struct ps_report_inputs *in, const json_t *findings)
{
    const struct ps_facts *f = in->ingest->facts;
    json_t *en = json_array(), *ko = json_array();
    json_t *out = json_object();
    char e[512], k[512], d1[32], d2[32];

    /* unsent WAL span at the end of the capture */
    int64_t t = 0;
    double sent = last_value(f, "prometheus_remote_storage_queue_highest_sent_timestamp_seconds",
                             NULL, &t);
    double high = last_value(f, "prometheus_remote_storage_queue_highest_timestamp_seconds",
                             NULL, NULL);
    if (isnan(high))
        high = last_value(f, "prometheus_remote_storage_highest_timestamp_in_seconds",
                          NULL, NULL);
    if (!isnan(sent) && !isnan(high)) {
        double lag = high > sent ? high - sent : 0;
        ps_humanize(lag, "seconds", d1, sizeof(d1));
        snprintf(e, sizeof(e), "At the end of the capture the agent had %s of samples "
                 "appended but not yet sent (remote-write lag).", d1);
        snprintf(k, sizeof(k), "수집 종료 시점에 에이전트에 아직 전송되지 않은 샘플이 %s 분량 "
                 "남아 있었습니다 (remote-write 지연).", d1);
        say(en, ko, e, k);
        json_object_set_new(out, "unsent_seconds", json_real(lag));
    }

    /* outage vs agent WAL retention */
    double outage = 0;
    size_t i;
    const json_t *fd;
    json_array_foreach(findings, i, fd) {
        if (strcmp(rp_str(fd, "class"), "remote_write.unreachable") != 0)
            continue;
        int64_t a, b;
        const char *fs = rp_str(fd, "first"), *ls = rp_str(fd, "last");
        if (ps_parse_rfc3339_ms(fs, strlen(fs), &a) && ps_parse_rfc3339_ms(ls, strlen(ls), &b) &&
            (double)(b - a) / 1000.0 > outage)
            outage = (double)(b - a) / 1000.0;
    }
    double retention = last_value(f, "promsight_config_retention_seconds", NULL, NULL);
    const char *ret_src = "configured";
    if (isnan(retention) || retention <= 0) {
        retention = AGENT_DEFAULT_MAX_WAL_TIME_S;
        ret_src = "default --storage.agent.retention.max-time";
    }
    if (outage > 0) {
        ps_humanize(outage, "seconds", d1, sizeof(d1));
        ps_humanize(retention, "seconds", d2, sizeof(d2));
        int lost = outage > retention;
        snprintf(e, sizeof(e), "Remote write was unreachable for %s; the agent keeps up to "
                 "%s of WAL (%s): %s", d1, d2, ret_src,
                 lost ? "samples older than that were lost (RPO exceeded)."
                      : "nothing was lost to WAL truncation (RPO met).");
        snprintf(k, sizeof(k), "Remote write가 %s 동안 불가했습니다. 에이전트 WAL 보존 기간은 %s "
                 "입니다: %s", d1, d2, lost ? "그보다 오래된 샘플은 유실되었습니다 (RPO 초과)."
                                          : "WAL 절단으로 인한 유실은 없습니다 (RPO 충족).");
        say(en, ko, e, k);
        json_object_set_new(out, "outage_seconds", json_real(outage));
    }
    json_object_set_new(out, "agent_retention_seconds", json_real(retention));

    /* restart time = WAL bytes / replay rate */
    double wal = last_value(f, "prometheus_tsdb_wal_storage_size_bytes", NULL, NULL);
    if (isnan(wal))
        wal = last_value(f, "promsight_wal_bytes", NULL, NULL);
    /* no reader measures a replay rate yet (the replay log lines give a
     * duration, but the bundle rarely says how big the WAL was then) */
    double rate = DEFAULT_REPLAY_BYTES_PER_S;
    const char *rate_src = "documented default";
    if (!isnan(wal)) {
        double secs = wal / rate;
        char sz[32], rt[32];
        ps_humanize(wal, "bytes", sz, sizeof(sz));
        ps_humanize(rate, "bytes", rt, sizeof(rt));
        ps_humanize(secs, "seconds", d1, sizeof(d1));
        snprintf(e, sizeof(e), "A restart replays %s of WAL at %s/s (%s): about %s before "
                 "the pod is ready.", sz, rt, rate_src, d1);
        snprintf(k, sizeof(k), "재시작 시 WAL %s를 %s/s 속도로 재생합니다: 준비까지 약 %s.", sz, rt, d1);
        say(en, ko, e, k);
        json_object_set_new(out, "estimated_restart_seconds", json_real(secs));
        json_object_set_new(out, "replay_bytes_per_second", json_real(rate));
    }

    /* un-shipped blocks (TSDB stage) */
    const json_t *unshipped = json_object_get(in->ingest->tsdb, "unshipped");
    if (json_array_size(unshipped) > 0) {
        double bytes = 0;
        const json_t *u;
        json_array_foreach(unshipped, i, u)
            bytes += json_number_value(json_object_get(u, "bytes"));
        ps_humanize(bytes, "bytes", d1, sizeof(d1));
        snprintf(e, sizeof(e), "%zu block(s) (%s) exist only on the receiver's volume, not in "
                 "object storage: lost if the volume is lost.", json_array_size(unshipped), d1);
        snprintf(k, sizeof(k), "블록 %zu개 (%s)가 오브젝트 스토리지에 없고 수신기 볼륨에만 있습니다: "
                 "볼륨 유실 시 함께 유실됩니다.", json_array_size(unshipped), d1);
        say(en, ko, e, k);
        json_object_set_new(out, "unshipped_blocks", json_deep_copy(unshipped));
    }
    if (json_array_size(en) == 0)
        say(en, ko, "The bundle holds no remote-write, WAL or block data to assess data at risk.",
            "유실 위험을 평가할 remote-write, WAL, 블록 데이터가 번들에 없습니다.");
    json_object_set_new(out, "statements", en);
    json_object_set_new(out, "statements_ko", ko);
    return out;
}

/* ---- operations checklist ---- */

struct check {
    const char *id, *period, *en, *ko;
};

static const char *
worst_for_prefix(const json_t *findings, const char *prefix)
{
    int best = 3;
    size_t i;
    const json_t *fd;
    json_array_foreach(findings, i, fd) {
        if (strncmp(rp_str(fd, "class"), prefix, strlen(prefix)) == 0) {
            int r = rp_sev_rank(rp_str(fd, "severity"));
            if (r < best)
                best = r;
        }
    }
    return best == 0 ? "fail" : best == 1 ? "warn" : NULL;
}

static void
row(json_t *cl, const struct check *c, const char *status, const char *detail)
{
    json_array_append_new(cl, json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "id", c->id,
                                        "period", c->period, "check", c->en, "check_ko",
                                        c->ko, "status", status, "detail",
                                        rb_text(detail, 400)));
}

static int
has_metric(const struct ps_facts *f, const char *m)
{
    const uint32_t *ids;
    return ps_facts_metric_series(f, m, &ids) > 0;
}

/* Newest value of every series of metric as "pod=value" pairs. */
static void
versions(const struct ps_facts *f, const char *metric, char *buf, size_t n, int *distinct)
{
    const uint32_t *ids;
    size_t cnt = ps_facts_metric_series(f, metric, &ids);
    const char *first = NULL;
    for (size_t i = 0; i < cnt; i++) {
        const char *v = ps_facts_series_label(f, ids[i], "version");
        const char *pod = ps_facts_series_label(f, ids[i], "pod");
        if (v == NULL)
            continue;
        if (first != NULL && strcmp(first, v) != 0)
            *distinct = 1;
        if (first == NULL)
            first = v;
        size_t len = strlen(buf);
        snprintf(buf + len, n - len, "%s%s=%s", len ? ", " : "", pod != NULL ? pod : "?", v);
    }
}

/* Largest memory limit (else request) of any container in the pod specs:
 * promsight_k8s_container_resource{resource="memory",kind="limit|request"}. */
static double
memory_spec(const struct ps_facts *f)
{
    const uint32_t *ids;
    size_t n = ps_facts_metric_series(f, "promsight_k8s_container_resource", &ids);
    double lim = NAN, req = NAN;
    for (size_t i = 0; i < n; i++) {
        const char *res = ps_facts_series_label(f, ids[i], "resource");
        const char *kind = ps_facts_series_label(f, ids[i], "kind");
        struct ps_sample s;
        if (res == NULL || kind == NULL || strcmp(res, "memory") != 0 || !rb_last(f, ids[i], &s))
            continue;
        if (strcmp(kind, "limit") == 0 && (isnan(lim) || s.v > lim))
            lim = s.v;
        if (strcmp(kind, "request") == 0 && (isnan(req) || s.v > req))
            req = s.v;
    }
    return isnan(lim) ? req : lim;
}

json_t *
rb_checklist(const struct ps_report_inputs *in, const json_t *findings)
{
    const struct ps_facts *f = in->ingest->facts;
    json_t *cl = json_array();
    char d[512];
    const char *st;

    static const struct check rw = {"remote_write", "daily", "Agent remote write healthy",
                                    "에이전트 Remote Write 상태"};
    st = worst_for_prefix(findings, "remote_write.");
    if (st != NULL)
        row(cl, &rw, st, "see the remote_write findings above");
    else if (has_metric(f, "prometheus_remote_storage_samples_total") ||
             has_metric(f, "prometheus_remote_storage_succeeded_samples_total"))
        row(cl, &rw, "pass", "samples sent, no remote-write finding");
    else
        row(cl, &rw, "unknown", "no prometheus_remote_storage_* metrics in the bundle");

    static const struct check rc = {"receiver_ingest", "daily", "Receiver ingesting samples",
                                    "Thanos Receiver 메트릭 수신"};
    st = worst_for_prefix(findings, "receiver.");
    const uint32_t *ids;
    size_t n = ps_facts_metric_series(f, "prometheus_tsdb_head_samples_appended_total", &ids);
    if (st != NULL) {
        row(cl, &rc, st, "see the receiver findings above");
    } else if (n > 0) {
        double inc = 0;
        for (size_t i = 0; i < n; i++) {
            const struct ps_sample *s;
            size_t m = ps_facts_series_samples(f, ids[i], &s);
            if (m >= 2 && s[m - 1].v > s[0].v)
                inc += s[m - 1].v - s[0].v;
        }
        snprintf(d, sizeof(d), "%.0f samples appended during the capture", inc);
        row(cl, &rc, inc > 0 ? "pass" : "fail", d);
    } else {
        row(cl, &rc, "unknown", "no receiver TSDB metrics in the bundle");
    }

    static const struct check dk = {"disk", "daily", "Disk usage", "디스크 사용량"};
    st = worst_for_prefix(findings, "disk.");
    double used = last_value(f, "kubelet_volume_stats_used_bytes", NULL, NULL);
    double cap = last_value(f, "kubelet_volume_stats_capacity_bytes", NULL, NULL);
    if (st != NULL) {
        row(cl, &dk, st, "see the disk findings above");
    } else if (!isnan(used) && !isnan(cap) && cap > 0) {
        double pct = 100 * used / cap;
        snprintf(d, sizeof(d), "fullest volume %.0f%% used", pct);
        row(cl, &dk, pct >= 90 ? "fail" : pct >= 80 ? "warn" : "pass", d);
    } else {
        row(cl, &dk, "unknown", "no volume usage (kubelet_volume_stats_* or df) in the bundle");
    }

    static const struct check os = {"object_storage", "weekly", "Object storage (S3) usage",
                                    "S3 버킷 사용량"};
    if (in->plan != NULL && json_object_get(in->plan, "object_storage") != NULL)
        row(cl, &os, "pass", "see the capacity section");
    else
        row(cl, &os, "unknown", "the bundle has no bucket inventory or object-storage metrics");

    static const struct check tc = {"tsdb_capacity", "weekly", "Prometheus TSDB capacity",
                                    "Prometheus TSDB 용량"};
    st = worst_for_prefix(findings, "tsdb.");
    if (st != NULL)
        row(cl, &tc, st, "see the tsdb findings above");
    else if (in->ingest->tsdb != NULL)
        row(cl, &tc, "pass", "blocks read and verified; see TSDB health and capacity");
    else
        row(cl, &tc, "unknown", "no TSDB blocks in the bundle");

    static const struct check ws = {"wal_size", "weekly", "WAL size", "WAL 크기"};
    st = worst_for_prefix(findings, "wal.");
    double wal = last_value(f, "prometheus_tsdb_wal_storage_size_bytes", NULL, NULL);
    if (st != NULL) {
        row(cl, &ws, st, "see the wal findings above");
    } else if (!isnan(wal) || in->ingest->wal != NULL) {
        char sz[32] = "read from the WAL";
        if (!isnan(wal))
            ps_humanize(wal, "bytes", sz, sizeof(sz));
        snprintf(d, sizeof(d), "WAL %s, no WAL finding", sz);
        row(cl, &ws, "pass", d);
    } else {
        row(cl, &ws, "unknown", "no WAL metrics or segments in the bundle");
    }

    static const struct check ru = {"resources", "monthly", "Resource usage vs requests",
                                    "리소스 사용량 분석"};
    st = worst_for_prefix(findings, "pod.");
    double rss = last_value(f, "process_resident_memory_bytes", NULL, NULL);
    double lim = memory_spec(f);
    if (st != NULL) {
        row(cl, &ru, st, "see the pod findings above (restarts, OOM kills)");
    } else if (!isnan(rss) && !isnan(lim) && lim > 0) {
        snprintf(d, sizeof(d), "largest RSS %.0f%% of the largest memory request/limit",
                 100 * rss / lim);
        row(cl, &ru, rss > 0.9 * lim ? "warn" : "pass", d);
    } else {
        row(cl, &ru, "unknown", "needs both process metrics and pod resource specs");
    }

    static const struct check cv = {"versions", "monthly", "Component versions",
                                    "컴포넌트 버전 확인"};
    char vers[400] = "";
    int distinct = 0;
    versions(f, "prometheus_build_info", vers, sizeof(vers), &distinct);
    versions(f, "thanos_build_info", vers, sizeof(vers), &distinct);
    if (vers[0] != '\0')
        row(cl, &cv, distinct ? "warn" : "pass", vers);
    else
        row(cl, &cv, "unknown", "no *_build_info metrics in the bundle");

    static const struct check bk = {"uploads", "monthly", "Blocks shipped to object storage",
                                    "백업 검증 (블록 업로드)"};
    const json_t *unshipped = json_object_get(in->ingest->tsdb, "unshipped");
    if (worst_for_prefix(findings, "receiver.upload") != NULL)
        row(cl, &bk, worst_for_prefix(findings, "receiver.upload"), "see the findings above");
    else if (json_array_size(unshipped) > 0) {
        snprintf(d, sizeof(d), "%zu local block(s) not in thanos.shipper.json",
                 json_array_size(unshipped));
        row(cl, &bk, "warn", d);
    } else if (in->ingest->tsdb != NULL) {
        row(cl, &bk, "pass", "every local block is listed as uploaded");
    } else {
        row(cl, &bk, "unknown", "no receiver blocks or shipper file in the bundle");
    }
    return cl;
}
