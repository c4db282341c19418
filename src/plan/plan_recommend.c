/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * plan_recommend.c - sized, priced recommendations from a struct
 * ps_plan_inputs: pure arithmetic, every step written out as text (the
 * inputs with their origin, the formula with the numbers substituted, the
 * result) so a reader can redo it by hand.
 *
 * Formulas (capacity.md / docs/capacity-planning.md):
 *   receivers   N = max(RF, ceil(S_hi / (M x f / B_lim)))
 *               S_hi = upper bound of the summed receiver head series (it
 *               already counts the RF copies), M memory per receiver, f the
 *               receiver fill target, B_lim bytes per series (high end)
 *   memory      share = S_hi / N; request = share x B_req; limit = share x B_lim / f
 *   rcv volume  share_sps = R_hi / N (R = summed receiver samples/s)
 *               blocks = share_sps x retention x bytes_per_sample x headroom
 *               wal = share_sps x wal_window x wal_bytes_per_sample
 *               size = max(blocks + wal, used_hi) / fill
 *   agent vol   size = A_hi x (truncate + min(outage, max_wal)) x wal_bps / fill
 *   queue       shards = ceil(W_hi x latency / max_samples_per_send)
 *               max_shards = ceil(shards x headroom); capacity = mspd x k
 *               memory = max_shards x (capacity + mspd) x bytes_per_slot
 *   retention   raw bytes/day = (R_now / RF) x 86400 x bytes_per_sample
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promsight/ps_plan.h"
#include "promsight/ps_util.h"

static const char *const qty_names[PS_Q__COUNT] = {
    [PS_Q_RECV_SERIES] = "receiver_head_series",
    [PS_Q_RECV_SPS] = "receiver_samples_per_second",
    [PS_Q_RECV_WAL_BYTES] = "receiver_wal_bytes",
    [PS_Q_RECV_DISK_BYTES] = "receiver_volume_used_bytes",
    [PS_Q_AGENT_SERIES] = "agent_active_series",
    [PS_Q_AGENT_SPS] = "agent_samples_per_second",
    [PS_Q_RW_SPS] = "remote_write_samples_per_second",
    [PS_Q_OBJ_BYTES] = "object_storage_bytes",
};

const char *
ps_plan_qty_name(enum ps_plan_qty q)
{
    return (unsigned)q < PS_Q__COUNT ? qty_names[q] : "?";
}

void
ps_plan_inputs_init(struct ps_plan_inputs *in)
{
    memset(in, 0, sizeof(*in));
    static const double h[] = {30, 90, 180, 365};
    in->nhorizon = 4;
    for (size_t i = 0; i < 4; i++)
        in->horizon_s[i] = h[i] * 86400;
    in->size_h = 1;
    in->level = 0.95;
    in->bytes_per_sample_blocks = in->wal_bytes_per_sample = NAN;
    in->agent_wal_bytes_per_sample = NAN;
    in->retention_s = in->replication_factor = in->receivers = NAN;
    in->receiver_mem_limit = in->receiver_volume_bytes = NAN;
    in->agents = in->agent_volume_bytes = in->head_series_limit = NAN;
    in->agent_rss_bytes = NAN;
    in->rw_max_shards = in->rw_capacity = in->rw_max_samples_per_send = NAN;
    in->rw_send_latency_s = in->outage_s = in->raw_retention_s = NAN;
}

/* ---- formatting ---- */

/* A ring of buffers so one printf can format many numbers. */
struct fmtring {
    char b[24][48];
    int i;
};

static char *
ring(struct fmtring *r)
{
    r->i = (r->i + 1) % 24;
    return r->b[r->i];
}

/* 3 significant digits with k/M/G/T */
static const char *
hn(struct fmtring *fr, double x)
{
    char *b = ring(fr);
    size_t n = sizeof(fr->b[0]);
    static const char *suf[] = {"", "k", "M", "G", "T", "P"};
    if (!isfinite(x)) {
        snprintf(b, n, "?");
        return b;
    }
    double a = fabs(x);
    int i = 0;
    while (a >= 999.5 && i < 5) {
        a /= 1000;
        x /= 1000;
        i++;
    }
    if (i == 0 && a == floor(a))
        snprintf(b, n, "%.0f", x);
    else
        snprintf(b, n, "%.3g%s", x, suf[i]);
    return b;
}

/* bytes with IEC units */
static const char *
hb(struct fmtring *fr, double x)
{
    char *b = ring(fr);
    size_t n = sizeof(fr->b[0]);
    static const char *suf[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    if (!isfinite(x)) {
        snprintf(b, n, "?");
        return b;
    }
    int i = 0;
    while (fabs(x) >= 1023.5 && i < 5) {
        x /= 1024;
        i++;
    }
    snprintf(b, n, i == 0 ? "%.0f %s" : "%.3g %s", x, suf[i]);
    return b;
}

static const char *
hd(struct fmtring *fr, double sec)
{
    char *b = ring(fr);
    size_t n = sizeof(fr->b[0]);
    if (!isfinite(sec)) {
        snprintf(b, n, "?");
        return b;
    }
    if (sec >= 86400 && fmod(sec, 86400) == 0)
        snprintf(b, n, "%gd", sec / 86400);
    else if (sec >= 3600 && fmod(sec, 3600) == 0)
        snprintf(b, n, "%gh", sec / 3600);
    else if (sec >= 60)
        snprintf(b, n, "%.3gm", sec / 60);
    else
        snprintf(b, n, "%.3gs", sec);
    return b;
}

/* ---- building recommendations ---- */

static struct ps_plan_rec *
rec_new(struct ps_plan_result *r, const char *id, const char *title)
{
    if (ps_grow((void **)&r->rec, &r->cap, r->nrec + 1, sizeof(*r->rec)) != PS_OK)
        return NULL;
    struct ps_plan_rec *x = &r->rec[r->nrec++];
    memset(x, 0, sizeof(*x));
    snprintf(x->id, sizeof(x->id), "%s", id);
    snprintf(x->title, sizeof(x->title), "%s", title);
    x->value = NAN;
    x->monthly_delta = NAN;
    return x;
}

static void
cat(char *dst, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void
cat(char *dst, size_t cap, const char *fmt, ...)
{
    size_t l = strlen(dst);
    if (l + 1 >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst + l, cap - l, fmt, ap);
    va_end(ap);
}

static void
set(char *dst, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void
set(char *dst, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst, cap, fmt, ap);
    va_end(ap);
}

/*
 * A quantity at the sizing horizon: the upper interval bound if there is
 * a forecast, else the current value. Describes itself into desc.
 */
static double
qhi(const struct ps_plan_inputs *in, enum ps_plan_qty q, char *desc, size_t n)
{
    const struct ps_plan_qval *v = &in->q[q];
    struct fmtring ring_, *fr = &ring_;
    ring_.i = 0;
    if (!v->known) {
        snprintf(desc, n, "%s unknown", qty_names[q]);
        return NAN;
    }
    if (v->forecast && in->size_h < in->nhorizon) {
        double hi = v->hi[in->size_h];
        snprintf(desc, n, "%s %s now, %s at +%s (upper %g%% bound; %s)%s", qty_names[q],
                 hn(fr, v->now), hn(fr, hi), hd(fr, in->horizon_s[in->size_h]),
                 in->level * 100, v->from,
                 hi < v->now ? "; the forecast falls, so today's value is used" : "");
        return fmax(hi, v->now);
    }
    snprintf(desc, n, "%s %s now (no forecast: %s)", qty_names[q], hn(fr, v->now),
             v->from);
    return v->now;
}

/* measured value if finite, else the sizing constant; says which */
static double
pick(double measured, const struct ps_sizing *s, enum ps_sz k, const char *what,
     char *desc, size_t n)
{
    struct fmtring ring_, *fr = &ring_;
    ring_.i = 0;
    if (isfinite(measured)) {
        snprintf(desc, n, "%s %s (from the bundle)", what, hn(fr, measured));
        return measured;
    }
    snprintf(desc, n, "%s %s (default %s in sizing.yaml)", what, hn(fr, s->v[k]),
             ps_sizing_key(k));
    return s->v[k];
}

static double
vol_price(const struct ps_pricing *p, double bytes)
{
    return p != NULL ? ps_pricing_volume_monthly(p, bytes) : NAN;
}

enum ps_err
ps_plan_recommend(const struct ps_plan_inputs *in, const struct ps_sizing *s,
                  const struct ps_pricing *p, struct ps_plan_result *out)
{
    memset(out, 0, sizeof(*out));
    char d1[400], d2[200], d3[200], d4[200];
    struct fmtring ring_, *fr = &ring_;
    ring_.i = 0;
    struct ps_plan_rec *r;
#define NEW(id, title)                          \
    do {                                        \
        if ((r = rec_new(out, id, title)) == NULL) \
            return PS_E_NOMEM;                  \
    } while (0)

    /* ---- receivers and hashring ---- */
    double RF = pick(in->replication_factor, s, PS_SZ_REPLICATION_FACTOR,
                     "replication factor", d2, sizeof(d2));
    double M = pick(in->receiver_mem_limit, s, PS_SZ_RECEIVER_MEMORY_BYTES,
                    "memory per receiver (bytes)", d3, sizeof(d3));
    double f_r = s->v[PS_SZ_RECEIVER_FILL_TARGET];
    double B_lim = s->v[PS_SZ_MEM_PER_SERIES_LIMIT], B_req = s->v[PS_SZ_MEM_PER_SERIES_REQUEST];
    double S_hi = qhi(in, PS_Q_RECV_SERIES, d1, sizeof(d1));
    double N = NAN;
    NEW("receiver.replicas", "Receiver replicas (hashring size)");
    set(r->inputs, sizeof(r->inputs), "%s; %s; %s; fill target %g; %s B per series "
             "(sizing.yaml memory_per_series_limit_bytes)",
             d1, d2, d3, f_r, hn(fr, B_lim));
    if (isfinite(S_hi)) {
        double budget = M * f_r / B_lim;
        N = fmax(RF, ceil(S_hi / budget));
        set(r->formula, sizeof(r->formula),
                 "per-receiver budget = %s x %g / %s = %s series; "
                 "N = max(RF %g, ceil(%s / %s)) = %g",
                 hb(fr, M), f_r, hn(fr, B_lim),
                 hn(fr, budget), RF, hn(fr, S_hi),
                 hn(fr, budget), N);
        set(r->result, sizeof(r->result), "%g receiver%s%s", N, N == 1 ? "" : "s",
                 isfinite(in->receivers) ? "" : " (current count unknown)");
        if (isfinite(in->receivers))
            cat(r->result, sizeof(r->result), " (now %g%s)", in->receivers,
                N > in->receivers ? ": scale up" : ": enough");
        r->value = N;
        set(r->unit, sizeof(r->unit), "replicas");
    } else {
        set(r->result, sizeof(r->result), "cannot size: no receiver head series in the bundle");
    }

    NEW("receiver.hashring", "Hashring algorithm");
    set(r->inputs, sizeof(r->inputs), "configured algorithm: %s",
             in->hashring_algorithm[0] ? in->hashring_algorithm : "unknown (Thanos default hashmod)");
    set(r->formula, sizeof(r->formula),
             "Thanos docs components/receive.md: ketama (consistent hashing) is recommended; "
             "with hashmod, adding receivers reshuffles series (churn, memory spikes, "
             "head flush and ingestion pause)");
    set(r->result, sizeof(r->result), "%s",
             strcmp(in->hashring_algorithm, "ketama") == 0
                 ? "ketama already: keep it"
                 : "switch to --receive.hashrings-algorithm=ketama before resizing the hashring");

    /* ---- receiver memory ---- */
    NEW("receiver.memory", "Receiver memory request and limit");
    set(r->inputs, sizeof(r->inputs), "%s; receivers N = %s; %s B/series (request) and "
             "%s B/series (limit) from sizing.yaml; fill target %g",
             d1, hn(fr, N), hn(fr, B_req), hn(fr, B_lim), f_r);
    if (isfinite(S_hi) && isfinite(N)) {
        double share = S_hi / N, req = share * B_req, lim = share * B_lim / f_r;
        set(r->formula, sizeof(r->formula),
                 "series per receiver = %s / %g = %s; request = %s x %s = %s; "
                 "limit = %s x %s / %g = %s",
                 hn(fr, S_hi), N, hn(fr, share), hn(fr, share),
                 hn(fr, B_req), hb(fr, req), hn(fr, share),
                 hn(fr, B_lim), f_r, hb(fr, lim));
        set(r->result, sizeof(r->result), "requests.memory %s, limits.memory %s per receiver",
                 hb(fr, req), hb(fr, lim));
        r->value = lim;
        set(r->unit, sizeof(r->unit), "bytes");
    } else {
        set(r->result, sizeof(r->result), "cannot size without receiver head series");
    }

    /* ---- receiver volume ---- */
    NEW("receiver.volume", "Receiver volume size");
    double R_hi = qhi(in, PS_Q_RECV_SPS, d1, sizeof(d1));
    double bps = pick(in->bytes_per_sample_blocks, s, PS_SZ_BYTES_PER_SAMPLE_DISK,
                      "bytes/sample in blocks", d2, sizeof(d2));
    double ret = pick(in->retention_s, s, PS_SZ_RECEIVER_RETENTION_S, "retention (s)", d3,
                      sizeof(d3));
    double wbps = pick(in->wal_bytes_per_sample, s, PS_SZ_WAL_BYTES_PER_SAMPLE,
                       "WAL bytes/sample", d4, sizeof(d4));
    double used_hi = NAN;
    char dused[300];
    used_hi = qhi(in, PS_Q_RECV_DISK_BYTES, dused, sizeof(dused));
    double hr = s->v[PS_SZ_COMPACTION_HEADROOM], fd = s->v[PS_SZ_DISK_FILL_TARGET];
    double wwin = s->v[PS_SZ_WAL_WINDOW_S];
    set(r->inputs, sizeof(r->inputs), "%s; %s; %s; %s; %s; N = %s; headroom %g; WAL "
             "window %s; fill target %g",
             d1, d2, d3, d4, dused, hn(fr, N), hr, hd(fr, wwin), fd);
    double rvol = NAN;
    if (isfinite(R_hi) && isfinite(N)) {
        double share = R_hi / N;
        double blocks = share * ret * bps * hr, wal = share * wwin * wbps;
        double need = blocks + wal;
        set(r->formula, sizeof(r->formula),
                 "samples/s per receiver = %s / %g = %s; blocks = %s x %s x %g x %g = %s; "
                 "WAL = %s x %s x %g = %s",
                 hn(fr, R_hi), N, hn(fr, share), hn(fr, share),
                 hn(fr, ret), bps, hr, hb(fr, blocks),
                 hn(fr, share), hn(fr, wwin), wbps, hb(fr, wal));
        if (isfinite(used_hi) && used_hi > need) {
            cat(r->formula, sizeof(r->formula), "; observed use %s is larger, so it is used",
                hb(fr, used_hi));
            need = used_hi;
        }
        rvol = need / fd;
        cat(r->formula, sizeof(r->formula), "; size = %s / %g = %s", hb(fr, need),
            fd, hb(fr, rvol));
    } else if (isfinite(used_hi)) {
        rvol = used_hi / fd;
        set(r->formula, sizeof(r->formula), "no ingestion rate: size = observed use %s / %g = %s",
                 hb(fr, used_hi), fd, hb(fr, rvol));
    }
    if (isfinite(rvol)) {
        set(r->result, sizeof(r->result), "%s per receiver", hb(fr, rvol));
        if (isfinite(in->receiver_volume_bytes))
            cat(r->result, sizeof(r->result), " (now %s%s)",
                hb(fr, in->receiver_volume_bytes),
                rvol > in->receiver_volume_bytes ? ": grow it" : ": enough");
        r->value = rvol;
        set(r->unit, sizeof(r->unit), "bytes");
        if (p != NULL && isfinite(in->receiver_volume_bytes) && isfinite(N) &&
            rvol > in->receiver_volume_bytes)
            r->monthly_delta = vol_price(p, (rvol - in->receiver_volume_bytes) * N);
    } else {
        set(r->result, sizeof(r->result), "cannot size: no receiver ingestion rate or disk use");
    }

    /* ---- agent volume ---- */
    NEW("agent.volume", "Agent volume size (WAL through an outage)");
    double A_hi = qhi(in, PS_Q_AGENT_SPS, d1, sizeof(d1));
    double O = isfinite(in->outage_s) ? in->outage_s : s->v[PS_SZ_OUTAGE_S];
    double T = s->v[PS_SZ_AGENT_TRUNCATE_S], MX = s->v[PS_SZ_AGENT_MAX_WAL_S];
    double win = T + fmin(O, MX);
    double awbps = pick(in->agent_wal_bytes_per_sample, s, PS_SZ_WAL_BYTES_PER_SAMPLE,
                        "agent WAL bytes/sample", d4, sizeof(d4));
    set(r->inputs, sizeof(r->inputs), "%s; outage to ride out %s; truncation every %s; "
             "max unsent age %s; %s; fill target %g",
             d1, hd(fr, O), hd(fr, T), hd(fr, MX), d4, fd);
    if (isfinite(A_hi)) {
        double need = A_hi * win * awbps, avol = need / fd;
        set(r->formula, sizeof(r->formula),
                 "WAL = %s samples/s x (%s + min(%s, %s)) x %g B = %s; size = %s / %g = %s",
                 hn(fr, A_hi), hd(fr, T), hd(fr, O),
                 hd(fr, MX), awbps, hb(fr, need), hb(fr, need),
                 fd, hb(fr, avol));
        set(r->result, sizeof(r->result), "%s per agent", hb(fr, avol));
        if (isfinite(in->agent_volume_bytes)) {
            double now_sps = in->q[PS_Q_AGENT_SPS].now;
            double ride = in->agent_volume_bytes * fd / (now_sps * awbps) - T;
            cat(r->result, sizeof(r->result), " (now %s, which rides out about %s at today's rate)",
                hb(fr, in->agent_volume_bytes), hd(fr, fmax(ride, 0)));
            double na = isfinite(in->agents) ? in->agents : 1;
            if (p != NULL && avol > in->agent_volume_bytes)
                r->monthly_delta = vol_price(p, (avol - in->agent_volume_bytes) * na);
        }
        if (O > MX)
            cat(r->result, sizeof(r->result), "; an outage longer than %s loses data whatever "
                "the size unless --storage.agent.retention.max-time is raised",
                hd(fr, MX));
        r->value = avol;
        set(r->unit, sizeof(r->unit), "bytes");
    } else {
        set(r->result, sizeof(r->result), "cannot size: no agent ingestion rate in the bundle");
    }

    /* ---- queue_config ---- */
    NEW("agent.queue_config", "Agent remote-write queue_config");
    char dw[400];
    double W_hi = qhi(in, PS_Q_RW_SPS, dw, sizeof(dw));
    if (!isfinite(W_hi)) {
        W_hi = A_hi;
        set(dw, sizeof(dw), "no remote-write rate; using the agent ingestion rate: %s", d1);
    }
    double L = pick(in->rw_send_latency_s, s, PS_SZ_RW_SEND_LATENCY_S, "send latency (s)", d2,
                    sizeof(d2));
    double mspd = pick(in->rw_max_samples_per_send, s, PS_SZ_RW_MAX_SAMPLES_PER_SEND,
                       "max_samples_per_send", d3, sizeof(d3));
    double cur_ms = pick(in->rw_max_shards, s, PS_SZ_RW_MAX_SHARDS, "max_shards", d4, sizeof(d4));
    double H = s->v[PS_SZ_RW_SHARD_HEADROOM], kc = s->v[PS_SZ_RW_CAPACITY_PER_SEND];
    double slot = s->v[PS_SZ_RW_BYTES_PER_SLOT];
    set(r->inputs, sizeof(r->inputs), "%s; %s; %s; %s; shard headroom %g; capacity = %g x "
             "max_samples_per_send; %g B per queued sample",
             dw, d2, d3, d4, H, kc, slot);
    if (isfinite(W_hi)) {
        double need = ceil(W_hi * L / mspd);
        if (need < 1)
            need = 1;
        double ms = fmax(ceil(need * H), cur_ms), cap = mspd * kc;
        double mem = ms * (cap + mspd) * slot, ceiling = cur_ms * mspd / L;
        set(r->formula, sizeof(r->formula),
                 "shards needed = ceil(%s x %g / %g) = %g; max_shards = max(ceil(%g x %g), "
                 "current %g) = %g; capacity = %g x %g = %g; queue memory <= %g x (%g + %g) x "
                 "%g B = %s; current ceiling = %g x %g / %g = %s samples/s",
                 hn(fr, W_hi), L, mspd, need, need, H, cur_ms, ms, mspd, kc, cap, ms,
                 cap, mspd, slot, hb(fr, mem), cur_ms, mspd, L,
                 hn(fr, ceiling));
        set(r->result, sizeof(r->result),
                 "queue_config: {max_shards: %g, capacity: %g, max_samples_per_send: %g} "
                 "(queue memory up to %s)", ms, cap, mspd, hb(fr, mem));
        r->value = ms;
        set(r->unit, sizeof(r->unit), "shards");
    } else {
        set(r->result, sizeof(r->result), "cannot size: no remote-write or agent rate");
    }

    /* ---- agent memory ---- */
    NEW("agent.memory", "Agent memory request and limit");
    double AS_hi = qhi(in, PS_Q_AGENT_SERIES, d1, sizeof(d1));
    double AS_now = in->q[PS_Q_AGENT_SERIES].known ? in->q[PS_Q_AGENT_SERIES].now : NAN;
    if (isfinite(in->agent_rss_bytes) && isfinite(AS_now) && AS_now > 0 && isfinite(AS_hi)) {
        /*
         * today's resident memory plus the forecast growth at the per-series
         * rule (scaling RSS by series alone would scale the process's fixed
         * overhead too)
         */
        double grow = fmax(AS_hi - AS_now, 0);
        double req = in->agent_rss_bytes + grow * B_req;
        double lim = (in->agent_rss_bytes + grow * B_lim) / f_r;
        set(r->inputs, sizeof(r->inputs), "%s; agent resident memory now %s "
            "(process_resident_memory_bytes, largest agent); %s and %s B per added series "
            "(sizing.yaml); fill target %g",
            d1, hb(fr, in->agent_rss_bytes), hn(fr, B_req), hn(fr, B_lim), f_r);
        set(r->formula, sizeof(r->formula), "added series = %s - %s = %s; request = %s + %s x "
            "%s = %s; limit = (%s + %s x %s) / %g = %s", hn(fr, AS_hi), hn(fr, AS_now),
            hn(fr, grow), hb(fr, in->agent_rss_bytes), hn(fr, grow), hn(fr, B_req),
            hb(fr, req), hb(fr, in->agent_rss_bytes), hn(fr, grow), hn(fr, B_lim), f_r,
            hb(fr, lim));
        set(r->result, sizeof(r->result), "requests.memory %s, limits.memory %s per agent",
            hb(fr, req), hb(fr, lim));
        r->value = lim;
        snprintf(r->unit, sizeof(r->unit), "bytes");
    } else if (isfinite(AS_hi)) {
        double req = AS_hi * B_req, lim = AS_hi * B_lim / f_r;
        set(r->inputs, sizeof(r->inputs), "%s; no agent resident memory in the bundle; %s and "
            "%s B/series from sizing.yaml (figures for a full Prometheus head: agent mode "
            "keeps no chunks or index, so this is an upper bound)",
            d1, hn(fr, B_req), hn(fr, B_lim));
        set(r->formula, sizeof(r->formula), "request = %s x %s = %s; limit = %s x %s / %g = %s",
            hn(fr, AS_hi), hn(fr, B_req), hb(fr, req), hn(fr, AS_hi), hn(fr, B_lim), f_r,
            hb(fr, lim));
        set(r->result, sizeof(r->result), "requests.memory %s, limits.memory %s per agent "
            "(upper bound; measure process_resident_memory_bytes)", hb(fr, req), hb(fr, lim));
        r->value = lim;
        snprintf(r->unit, sizeof(r->unit), "bytes");
    } else {
        set(r->inputs, sizeof(r->inputs), "%s", d1);
        set(r->result, sizeof(r->result), "cannot size: no agent active series in the bundle");
    }

    /* ---- retention and downsampling ---- */
    NEW("storage.retention", "Object storage retention and downsampling");
    double Rn = in->q[PS_Q_RECV_SPS].known ? in->q[PS_Q_RECV_SPS].now : NAN;
    double ratio = s->v[PS_SZ_DOWNSAMPLE_RATIO];
    set(r->inputs, sizeof(r->inputs), "receiver samples/s now %s (all replicas); RF %g; "
             "bytes/sample %g; downsampled level ~%g x raw (sizing.yaml); raw retention %s",
             hn(fr, Rn), RF, bps, ratio,
             isfinite(in->raw_retention_s) ? hd(fr, in->raw_retention_s)
                                           : "unknown (Thanos default: keep forever)");
    if (isfinite(Rn)) {
        double per_day = Rn / RF * 86400 * bps;
        set(r->formula, sizeof(r->formula),
                 "raw bytes/day after deduplication = %s / %g x 86400 x %g = %s; each "
                 "downsampled resolution adds about %g x that for as long as it is kept",
                 hn(fr, Rn), RF, bps, hb(fr, per_day), ratio);
        set(r->result, sizeof(r->result),
                 "downsampling alone saves no space; only a shorter raw retention does: "
                 "each day of raw retention is %s", hb(fr, per_day));
        if (p != NULL) {
            double m = ps_pricing_object_monthly(p, per_day);
            cat(r->result, sizeof(r->result), " = %.4g %s/month", m, p->currency);
            if (isfinite(in->raw_retention_s) && in->raw_retention_s > 30 * 86400.0) {
                double days = (in->raw_retention_s - 30 * 86400.0) / 86400;
                r->monthly_delta = -ps_pricing_object_monthly(p, per_day * days);
                cat(r->result, sizeof(r->result), "; raw retention 30d (keeping 5m/1h longer) "
                    "saves %.4g %s/month", -r->monthly_delta, p->currency);
            }
        }
        r->value = per_day;
        set(r->unit, sizeof(r->unit), "bytes/day");
    } else {
        set(r->result, sizeof(r->result), "no receiver ingestion rate: cannot estimate");
    }

    /* ---- monthly cost ---- */
    struct ps_plan_cost *pc = &out->cost;
    if (p != NULL) {
        pc->priced = 1;
        double Ncur = isfinite(in->receivers) ? in->receivers : N;
        double rv = isfinite(in->receiver_volume_bytes) ? in->receiver_volume_bytes : rvol;
        double na = isfinite(in->agents) ? in->agents : 1;
        double av = in->agent_volume_bytes;
        double vol_now = 0;
        set(pc->basis, sizeof(pc->basis), "pricing '%s' (%s, %s, effective %s%s): ",
                 p->name, p->currency, p->region, p->effective_date,
                 p->example ? ", EXAMPLE prices" : "");
        if (isfinite(Ncur) && isfinite(rv)) {
            vol_now += vol_price(p, Ncur * rv);
            cat(pc->basis, sizeof(pc->basis), "%g receiver volume%s x %s at %g/GiB-month; ",
                Ncur, Ncur == 1 ? "" : "s", hb(fr, rv), p->volume_per_gib_month);
        }
        if (isfinite(av)) {
            vol_now += vol_price(p, na * av);
            cat(pc->basis, sizeof(pc->basis), "%g agent volume%s x %s; ", na, na == 1 ? "" : "s",
                hb(fr, av));
        }
        const struct ps_plan_qval *ob = &in->q[PS_Q_OBJ_BYTES];
        double per_day = isfinite(Rn) ? Rn / RF * 86400 * bps : NAN;
        double obj_now = ob->known ? ob->now : NAN;
        if (ob->known)
            cat(pc->basis, sizeof(pc->basis), "object storage %s now", hb(fr, obj_now));
        else
            cat(pc->basis, sizeof(pc->basis), "object storage size unknown (counted as 0 now)");
        if (ob->forecast)
            cat(pc->basis, sizeof(pc->basis), ", its mean forecast at each horizon");
        else if (isfinite(per_day))
            cat(pc->basis, sizeof(pc->basis), ", growing %s/day of raw data (no retention "
                "assumed, downsampled copies not counted)", hb(fr, per_day));
        /*
         * Upload requests: every receiver ships a block per 2h block range
         * (meta.json, index, at least one chunks file: 3 PUTs) -> 12 x 3 x
         * 30.44 PUTs per month per receiver (per tenant). Reads by store
         * gateways and the compactor depend on queries: not estimated.
         */
        double nput = isfinite(Ncur) ? Ncur * 12 * 3 * 30.44 : NAN;
        double req = isfinite(nput) ? nput / 1000 * p->class_a_per_1000 : 0;
        if (isfinite(nput))
            cat(pc->basis, sizeof(pc->basis), "; uploads %g receiver%s x 12 blocks/day x 3 "
                "objects x 30.44 days = %.0f PUTs at %g/1000 = %.4g (reads not estimated)",
                Ncur, Ncur == 1 ? "" : "s", nput, p->class_a_per_1000, req);
        cat(pc->basis, sizeof(pc->basis), "; volumes at horizons use the recommended sizes "
            "(volumes do not shrink)");
        pc->now = vol_now + req +
                  (isfinite(obj_now) ? ps_pricing_object_monthly(p, obj_now) : 0);
        for (size_t i = 0; i < in->nhorizon && i < PS_PLAN_MAX_H; i++) {
            double obj = ob->forecast ? ob->mean[i]
                         : (isfinite(obj_now) ? obj_now : 0) +
                               (isfinite(per_day) ? per_day * in->horizon_s[i] / 86400 : 0);
            double vol = 0;
            double nn = isfinite(N) ? fmax(N, isfinite(Ncur) ? Ncur : 0) : Ncur;
            double rr = isfinite(rvol) ? fmax(rvol, isfinite(rv) ? rv : 0) : rv;
            if (isfinite(nn) && isfinite(rr))
                vol += vol_price(p, nn * rr);
            if (isfinite(av))
                vol += vol_price(p, na * av);
            double nreq = isfinite(nn) ? nn * 12 * 3 * 30.44 / 1000 * p->class_a_per_1000 : req;
            pc->at[i] = vol + nreq + ps_pricing_object_monthly(p, fmax(obj, 0));
        }
    }
#undef NEW
    return PS_OK;
}

void
ps_plan_result_free(struct ps_plan_result *r)
{
    if (r == NULL)
        return;
    free(r->rec);
    r->rec = NULL;
    r->nrec = r->cap = 0;
}
