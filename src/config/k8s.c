/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * k8s.c - Kubernetes objects as `kubectl get -o json|yaml` prints them: a
 * single object or a List ("kind": "List" or "PodList", ... with "items").
 *
 *   Pod          containers' command+args (flags, flags.c; a shell
 *                wrapper ["sh", "-c", "exec prometheus --a=b ..."] is split), resources
 *                (requests/limits, cpu in cores, memory/storage in bytes),
 *                volumes (PVC claims, emptyDir size limits), and status:
 *                restartCount, ready, state.waiting.reason, and
 *                lastState.terminated {reason, exitCode, finishedAt} - an
 *                OOMKilled container becomes a series and an event at the
 *                time it finished.
 *   PersistentVolumeClaim   requested and provisioned (status) capacity.
 *   StatefulSet, Deployment, DaemonSet   replicas (desired/ready/current),
 *                volumeClaimTemplates' requests, the pod template's flags
 *                and resources (labelled workload=<name>, no pod).
 *   ConfigMap    every data value is sniffed like a file of its own
 *                (prometheus.yml, hashrings.json, flags, ...) and published
 *                with configmap="<name>:<key>".
 *   Secret       never read (its values are redacted by redact_tree.c).
 *   Event        (kubectl get events -o json|yaml) an event k8s.event at
 *                its last time seen, and promsight_k8s_event_count.
 *   Prometheus, PrometheusAgent (prometheus-operator)   scrape/evaluation
 *                intervals, external labels and spec.remoteWrite with
 *                queueConfig (prom.c), labelled workload=<name>.
 *
 * Replication factor and hashring algorithm found in receive pods of the
 * same file are used to check hashrings in ConfigMaps of that file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_int.h"
#include "promsight/ps_util.h"

#define MAX_EMBED_DEPTH 2

static const char *
meta(const struct cn *obj, const char *key)
{
    return cn_str(cn_get(obj, "metadata"), key);
}

/* command + args of a container as words for the flag parser */
static enum ps_err
container_flags(const struct cn *c, struct ps_flags *f, struct ps_redact_stats *st)
{
    const struct cn *lists[2] = {cn_get(c, "command"), cn_get(c, "args")};
    size_t n = cn_len(lists[0]) + cn_len(lists[1]);
    if (n == 0) {
        memset(f, 0, sizeof(*f));
        return ps_config_parse_flags(NULL, 0, f, st);
    }
    const char **w = calloc(n, sizeof(*w));
    if (w == NULL)
        return PS_E_NOMEM;
    size_t k = 0;
    int shell = 0;
    for (int l = 0; l < 2; l++)
        for (size_t i = 0; i < cn_len(lists[l]); i++) {
            const struct cn *x = cn_item(lists[l], i);
            if (x == NULL || x->type != CN_SCALAR)
                continue;
            w[k++] = x->s;
            /* ["/bin/sh", "-c", "exec prometheus --a=b ..."] */
            if (strchr(x->s, ' ') != NULL && strstr(x->s, "--") != NULL)
                shell = 1;
        }
    enum ps_err e;
    if (!shell) {
        e = ps_config_parse_flags(w, k, f, st);
    } else {
        /* one shell line: split it as the flags-file reader does */
        struct ps_buf b = {NULL, 0, 0};
        e = PS_OK;
        for (size_t i = 0; i < k && e == PS_OK; i++)
            e = ps_buf_printf(&b, "%s%s", i > 0 ? " " : "", w[i]);
        if (e == PS_OK)
            e = ps_config_parse_flags_text(b.p, b.n, f, st);
        ps_buf_free(&b);
    }
    free(w);
    return e;
}

static void
pub_resources(struct cfg_pub *p, const char *ns, const char *pod,
              const char *container, const struct cn *res)
{
    static const char *const kinds[] = {"requests", "limits"};
    static const char *const kindlab[] = {"request", "limit"};
    for (int k = 0; k < 2; k++) {
        const struct cn *m = cn_get(res, kinds[k]);
        for (size_t i = 0; i < cn_len(m); i++) {
            const struct cn *rk = cn_key(m, i), *rv = cn_val(m, i);
            double v;
            if (rk == NULL || rk->type != CN_SCALAR || rv == NULL || rv->type != CN_SCALAR)
                continue;
            if (!ps_config_parse_quantity(rv->s, rv->len, &v)) {
                ps_diag_add(p->diags, PS_SEV_WARN, PS_E_SYNTAX, p->path, rv->off, rv->line,
                            "config: kubernetes", "resource %s: \"%s\" is not a quantity",
                            rk->s, rv->s);
                continue;
            }
            struct ps_label l[] = {{"namespace", ns}, {"pod", pod}, {"container", container},
                                   {"resource", rk->s}, {"kind", kindlab[k]}};
            cfg_pub_sample(p, "promsight_k8s_container_resource", v, l, 5);
        }
    }
}

static void
pub_containers(struct cfg_pub *p, const char *ns, const char *pod,
               const struct cn *spec)
{
    static const char *const lists[] = {"initContainers", "containers"};
    for (int l = 0; l < 2; l++) {
        const struct cn *cs = cn_get(spec, lists[l]);
        for (size_t i = 0; i < cn_len(cs); i++) {
            const struct cn *c = cn_item(cs, i);
            const char *name = cn_str(c, "name");
            struct ps_flags f;
            if (container_flags(c, &f, p->stats) != PS_OK) {
                p->err = PS_E_NOMEM;
                return;
            }
            if (f.nall > 0)
                cfg_pub_flags(p, &f, pod, name);
            ps_flags_free(&f);
            pub_resources(p, ns, pod, name, cn_get(c, "resources"));
        }
    }
    const struct cn *vols = cn_get(spec, "volumes");
    for (size_t i = 0; i < cn_len(vols); i++) {
        const struct cn *v = cn_item(vols, i);
        const char *vname = cn_str(v, "name");
        const char *claim = cn_str(cn_get(v, "persistentVolumeClaim"), "claimName");
        const struct cn *ed = cn_get(v, "emptyDir");
        const char *type = claim != NULL ? "persistentVolumeClaim"
                           : ed != NULL  ? "emptyDir"
                           : cn_get(v, "configMap") != NULL ? "configMap"
                           : cn_get(v, "secret") != NULL ? "secret"
                           : cn_get(v, "hostPath") != NULL ? "hostPath"
                                                            : "other";
        struct ps_label l[] = {{"namespace", ns}, {"pod", pod}, {"volume", vname},
                               {"type", type}, {"claim", claim}};
        cfg_pub_sample(p, "promsight_k8s_pod_volume", 1, l, 5);
        const char *lim = cn_str(ed, "sizeLimit");
        double b;
        if (lim != NULL && ps_config_parse_quantity(lim, strlen(lim), &b))
            cfg_pub_sample(p, "promsight_k8s_pod_volume_size_limit_bytes", b, l, 3);
    }
}

static int64_t
rfc3339(const char *s, int64_t dflt)
{
    int64_t ms;
    return s != NULL && ps_parse_rfc3339_ms(s, strlen(s), &ms) ? ms : dflt;
}

static void
pub_terminated(struct cfg_pub *p, const char *ns, const char *pod,
               const char *container, const struct cn *term, int last)
{
    if (term == NULL || term->type != CN_MAP)
        return;
    const char *reason = cn_str(term, "reason");
    int64_t code = 0;
    const struct cn *ec = cn_get(term, "exitCode");
    if (ec != NULL)
        (void)cn_int(ec, &code);
    if (reason == NULL)
        reason = "Unknown";
    struct ps_label l[] = {{"namespace", ns}, {"pod", pod}, {"container", container},
                           {"reason", reason}};
    cfg_pub_sample(p, last ? "promsight_k8s_pod_last_terminated"
                           : "promsight_k8s_pod_terminated", 1, l, 4);
    cfg_pub_sample(p, last ? "promsight_k8s_pod_last_terminated_exit_code"
                           : "promsight_k8s_pod_terminated_exit_code", (double)code, l, 3);
    int64_t keep = p->t_ms;
    p->t_ms = rfc3339(cn_str(term, "finishedAt"), p->t_ms);
    int bad = strcmp(reason, "Completed") != 0;
    cfg_pub_event(p, strcmp(reason, "OOMKilled") == 0 ? "k8s.oom_killed" : "k8s.container_terminated",
                  bad ? PS_SEV_WARN : PS_SEV_NOTE, term->line, l, 4,
                  "%s/%s container %s %sterminated: %s (exit code %lld)", ns != NULL ? ns : "",
                  pod != NULL ? pod : "", container != NULL ? container : "",
                  last ? "last " : "", reason, (long long)code);
    p->t_ms = keep;
}

static void
pub_statuses(struct cfg_pub *p, const char *ns, const char *pod,
             const struct cn *status)
{
    static const char *const lists[] = {"initContainerStatuses", "containerStatuses"};
    const char *phase = cn_str(status, "phase");
    if (phase != NULL) {
        struct ps_label l[] = {{"namespace", ns}, {"pod", pod}, {"phase", phase}};
        cfg_pub_sample(p, "promsight_k8s_pod_phase", 1, l, 3);
    }
    for (int k = 0; k < 2; k++) {
        const struct cn *cs = cn_get(status, lists[k]);
        for (size_t i = 0; i < cn_len(cs); i++) {
            const struct cn *c = cn_item(cs, i);
            const char *name = cn_str(c, "name");
            struct ps_label l[] = {{"namespace", ns}, {"pod", pod}, {"container", name}};
            int64_t restarts;
            if (cn_int(cn_get(c, "restartCount"), &restarts))
                cfg_pub_sample(p, "promsight_k8s_pod_restarts", (double)restarts, l, 3);
            int ready;
            if (cn_bool(cn_get(c, "ready"), &ready))
                cfg_pub_sample(p, "promsight_k8s_container_ready", ready, l, 3);
            const struct cn *st = cn_get(c, "state");
            const char *wreason = cn_str(cn_get(st, "waiting"), "reason");
            if (wreason != NULL) {
                struct ps_label lw[] = {{"namespace", ns}, {"pod", pod}, {"container", name},
                                        {"reason", wreason}};
                cfg_pub_sample(p, "promsight_k8s_container_waiting", 1, lw, 4);
                if (strcmp(wreason, "ContainerCreating") != 0 && strcmp(wreason, "PodInitializing") != 0)
                    cfg_pub_event(p, "k8s.container_waiting", PS_SEV_WARN, c->line, lw, 4,
                                  "%s/%s container %s waiting: %s", ns != NULL ? ns : "",
                                  pod != NULL ? pod : "", name != NULL ? name : "", wreason);
            }
            pub_terminated(p, ns, pod, name, cn_get(st, "terminated"), 0);
            pub_terminated(p, ns, pod, name, cn_get(cn_get(c, "lastState"), "terminated"), 1);
        }
    }
}

static void
pub_pvc(struct cfg_pub *p, const struct cn *obj)
{
    const char *ns = meta(obj, "namespace"), *name = meta(obj, "name");
    const struct cn *spec = cn_get(obj, "spec");
    const char *sc = cn_str(spec, "storageClassName");
    struct ps_label l[] = {{"namespace", ns}, {"persistentvolumeclaim", name},
                           {"storageclass", sc}};
    const char *req = cn_str(cn_get(cn_get(spec, "resources"), "requests"), "storage");
    const char *cap = cn_str(cn_get(cn_get(obj, "status"), "capacity"), "storage");
    double b;
    if (req != NULL && ps_config_parse_quantity(req, strlen(req), &b))
        cfg_pub_sample(p, "promsight_k8s_pvc_request_bytes", b, l, 3);
    if (cap != NULL && ps_config_parse_quantity(cap, strlen(cap), &b))
        cfg_pub_sample(p, "promsight_k8s_pvc_capacity_bytes", b, l, 3);
}

static void
pub_workload(struct cfg_pub *p, const struct cn *obj, const char *kind)
{
    const char *ns = meta(obj, "namespace"), *name = meta(obj, "name");
    char metric[64], lab[32];
    const char *lk = strcmp(kind, "StatefulSet") == 0 ? "statefulset"
                     : strcmp(kind, "Deployment") == 0 ? "deployment" : "daemonset";
    snprintf(lab, sizeof(lab), "%s", lk);
    snprintf(metric, sizeof(metric), "promsight_k8s_%s_replicas", lk);
    const struct cn *spec = cn_get(obj, "spec"), *status = cn_get(obj, "status");
    const struct {
        const struct cn *m;
        const char *key, *state;
    } reps[] = {
        {spec, "replicas", "desired"},         {status, "replicas", "current"},
        {status, "readyReplicas", "ready"},    {status, "availableReplicas", "available"},
        {status, "updatedReplicas", "updated"},
        {status, "desiredNumberScheduled", "desired"}, {status, "numberReady", "ready"},
    };
    for (size_t i = 0; i < sizeof(reps) / sizeof(reps[0]); i++) {
        int64_t v;
        if (!cn_int(cn_get(reps[i].m, reps[i].key), &v))
            continue;
        struct ps_label l[] = {{"namespace", ns}, {lab, name}, {"state", reps[i].state}};
        cfg_pub_sample(p, metric, (double)v, l, 3);
    }
    const struct cn *vct = cn_get(spec, "volumeClaimTemplates");
    for (size_t i = 0; i < cn_len(vct); i++) {
        const struct cn *t = cn_item(vct, i);
        const char *claim = meta(t, "name");
        const char *req = cn_str(cn_get(cn_get(cn_get(t, "spec"), "resources"), "requests"), "storage");
        double b;
        if (req != NULL && ps_config_parse_quantity(req, strlen(req), &b)) {
            struct ps_label l[] = {{"namespace", ns}, {lab, name}, {"claim", claim}};
            cfg_pub_sample(p, "promsight_k8s_volume_claim_template_request_bytes", b, l, 3);
        }
    }
    /* the pod template: flags and resources for every pod of the workload */
    const char *xn = p->xname, *xv = p->xval;
    p->xname = "workload";
    p->xval = name;
    pub_containers(p, ns, NULL, cn_get(cn_get(spec, "template"), "spec"));
    p->xname = xn;
    p->xval = xv;
}

static void
pub_configmap(struct cfg_pub *p, const struct cn *obj)
{
    if (p->depth >= MAX_EMBED_DEPTH)
        return;
    const char *name = meta(obj, "name");
    const struct cn *data = cn_get(obj, "data");
    for (size_t i = 0; i < cn_len(data); i++) {
        const struct cn *k = cn_key(data, i), *v = cn_val(data, i);
        if (k == NULL || k->type != CN_SCALAR || v == NULL || v->type != CN_SCALAR)
            continue;
        char lab[512];
        snprintf(lab, sizeof(lab), "%s:%s", name != NULL ? name : "", k->s);
        struct cfg_pub sub = *p;
        sub.xname = "configmap";
        sub.xval = lab;
        sub.depth = p->depth + 1;
        sub.line_base = v->block ? v->line : 0;
        sub.line_fixed = v->block ? 0 : v->line;
        (void)cfg_ingest_text(&sub, (const uint8_t *)v->s, v->len);
        if (sub.err != PS_OK)
            p->err = sub.err;
    }
}

/*
 * A Kubernetes Event (core/v1: involvedObject, count, lastTimestamp;
 * events.k8s.io/v1: regarding, note, deprecatedCount, eventTime) as a fact
 * event at the time it was last seen, and its count as a series.
 */
static void
pub_k8s_event(struct cfg_pub *p, const struct cn *obj)
{
    const struct cn *inv = cn_get(obj, "involvedObject");
    if (inv == NULL)
        inv = cn_get(obj, "regarding");
    const char *ns = cn_str(inv, "namespace");
    if (ns == NULL)
        ns = meta(obj, "namespace");
    const char *okind = cn_str(inv, "kind"), *oname = cn_str(inv, "name");
    const char *reason = cn_str(obj, "reason"), *type = cn_str(obj, "type");
    const char *msg = cn_str(obj, "message");
    if (msg == NULL)
        msg = cn_str(obj, "note");
    int64_t count = 1;
    if (!cn_int(cn_get(obj, "count"), &count))
        (void)cn_int(cn_get(obj, "deprecatedCount"), &count);
    const char *when = cn_str(obj, "lastTimestamp");
    if (when == NULL)
        when = cn_str(cn_get(obj, "series"), "lastObservedTime");
    if (when == NULL)
        when = cn_str(obj, "eventTime");
    if (when == NULL)
        when = cn_str(obj, "firstTimestamp");
    struct ps_label l[] = {{"namespace", ns}, {"object_kind", okind}, {"object", oname},
                           {"reason", reason}, {"type", type}};
    cfg_pub_sample(p, "promsight_k8s_event_count", (double)count, l, 5);
    int64_t keep = p->t_ms;
    p->t_ms = rfc3339(when, p->t_ms);
    int warn = type != NULL && strcmp(type, "Warning") == 0;
    cfg_pub_event(p, "k8s.event", warn ? PS_SEV_WARN : PS_SEV_NOTE, obj->line, l, 5,
                  "%s %s/%s: %s (x%lld): %s", okind != NULL ? okind : "?", ns != NULL ? ns : "",
                  oname != NULL ? oname : "?", reason != NULL ? reason : "?", (long long)count,
                  msg != NULL ? msg : "");
    p->t_ms = keep;
}

static void
pub_object(struct cfg_pub *p, const struct cn *obj, int pass)
{
    const char *kind = cn_str(obj, "kind");
    if (kind == NULL)
        return;
    if (pass == 0) {
        /* first pass: only learn the replication factor of receivers */
        if (strcmp(kind, "Pod") == 0 || strcmp(kind, "StatefulSet") == 0 ||
            strcmp(kind, "Deployment") == 0) {
            const struct cn *spec = cn_get(obj, "spec");
            if (strcmp(kind, "Pod") != 0)
                spec = cn_get(cn_get(spec, "template"), "spec");
            const struct cn *cs = cn_get(spec, "containers");
            for (size_t i = 0; i < cn_len(cs); i++) {
                struct ps_flags f;
                if (container_flags(cn_item(cs, i), &f, NULL) != PS_OK)
                    continue;
                if (f.program == PS_PROG_THANOS_RECEIVE) {
                    int64_t rf = f.replication_factor != PS_CFG_UNSET ? f.replication_factor : 1;
                    if (rf > p->rf)
                        p->rf = rf;
                    if (f.hashrings_algorithm != NULL) {
                        snprintf(p->algo_buf, sizeof(p->algo_buf), "%s", f.hashrings_algorithm);
                        p->algorithm = p->algo_buf;
                    }
                }
                ps_flags_free(&f);
            }
        }
        return;
    }
    if (strcmp(kind, "Pod") == 0) {
        const char *ns = meta(obj, "namespace"), *name = meta(obj, "name");
        pub_containers(p, ns, name, cn_get(obj, "spec"));
        pub_statuses(p, ns, name, cn_get(obj, "status"));
    } else if (strcmp(kind, "PersistentVolumeClaim") == 0) {
        pub_pvc(p, obj);
    } else if (strcmp(kind, "StatefulSet") == 0 || strcmp(kind, "Deployment") == 0 ||
               strcmp(kind, "DaemonSet") == 0) {
        pub_workload(p, obj, kind);
    } else if (strcmp(kind, "ConfigMap") == 0) {
        pub_configmap(p, obj);
    } else if (strcmp(kind, "Event") == 0) {
        pub_k8s_event(p, obj);
    } else if (strcmp(kind, "Prometheus") == 0 || strcmp(kind, "PrometheusAgent") == 0) {
        const char *xn = p->xname, *xv = p->xval;
        p->xname = "workload";
        p->xval = meta(obj, "name");
        cfg_pub_prom_operator(p, cn_get(obj, "spec"));
        p->xname = xn;
        p->xval = xv;
    }
}

void
cfg_pub_k8s(struct cfg_pub *p, const struct cn *root)
{
    const struct cn *items = cn_get(root, "items");
    const char *kind = cn_str(root, "kind");
    int is_list = items != NULL && items->type == CN_SEQ && kind != NULL &&
                  strlen(kind) >= 4 && strcmp(kind + strlen(kind) - 4, "List") == 0;
    int64_t rf0 = p->rf;
    const char *algo0 = p->algorithm;
    for (int pass = 0; pass < 2; pass++) {
        if (is_list)
            for (size_t i = 0; i < cn_len(items); i++)
                pub_object(p, cn_item(items, i), pass);
        else
            pub_object(p, root, pass);
    }
    p->rf = rf0;
    p->algorithm = algo0;
}
