/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * hashring.c - Thanos Receive hashrings.json: a JSON list of rings, each
 * {"hashring": name, "tenants": [...], "tenant_matcher_type": ...,
 *  "endpoints": [...], "algorithm": ..., "external_labels": {...}},
 * where an endpoint is either a string "host:port" (all versions) or an
 * object {"address": "host:port", "az": "zone"} (Thanos >= 0.32). A ring
 * without tenants is the catch-all ring.
 *
 * Events (class config.hashring), each located at the ring's line:
 *   - an endpoint listed twice in one ring (it gets twice the share);
 *   - fewer endpoints than the replication factor ("insufficient nodes",
 *     T9/T10 in signatures-and-anchors.md) - only when RF is known;
 *   - no catch-all ring: tenants not listed get HTTP 500 ("no matching
 *     hashring to handle tenant", T8);
 *   - the hashmod algorithm with PS_HASHMOD_MANY or more endpoints:
 *     scaling hashmod reshuffles every series; Thanos advises ketama.
 */
#include <stdlib.h>
#include <string.h>

#include "config/cfg_int.h"

#define PHASE "config: hashrings.json"
#define PS_HASHMOD_MANY 4
#define DUP_CHECK_MAX 4096   /* quadratic duplicate check only up to this */

void
ps_hashrings_free(struct ps_hashrings *h)
{
    if (h == NULL)
        return;
    for (size_t i = 0; i < h->n; i++) {
        struct ps_hashring *r = &h->v[i];
        free(r->name);
        free(r->algorithm);
        for (size_t k = 0; k < r->ntenants; k++)
            free(r->tenants[k]);
        free(r->tenants);
        for (size_t k = 0; k < r->neps; k++) {
            free(r->eps[k].address);
            free(r->eps[k].az);
        }
        free(r->eps);
    }
    free(h->v);
    h->v = NULL;
    h->n = 0;
}

static void
bad(struct ps_diags *d, const char *path, const struct cn *n, const char *msg)
{
    ps_diag_add(d, PS_SEV_WARN, PS_E_SYNTAX, path, n != NULL ? n->off : PS_OFF_NONE,
                n != NULL ? n->line : 0, PHASE, "%s", msg);
}

static enum ps_err
ring_from(const struct cn *r, struct ps_hashring *o, const char *path,
          struct ps_diags *d)
{
    memset(o, 0, sizeof(*o));
    o->line = r->line;
    const char *name = cn_str(r, "hashring");
    const char *algo = cn_str(r, "algorithm");
    if ((o->name = strdup(name != NULL ? name : "")) == NULL)
        return PS_E_NOMEM;
    if (algo != NULL && (o->algorithm = strdup(algo)) == NULL)
        return PS_E_NOMEM;
    const struct cn *t = cn_get(r, "tenants");
    size_t nt = cn_len(t);
    if (nt > 0 && t->type == CN_SEQ) {
        if ((o->tenants = calloc(nt, sizeof(*o->tenants))) == NULL)
            return PS_E_NOMEM;
        for (size_t i = 0; i < nt; i++) {
            const struct cn *x = cn_item(t, i);
            if (x == NULL || x->type != CN_SCALAR)
                continue;
            if ((o->tenants[o->ntenants] = strdup(x->s)) == NULL)
                return PS_E_NOMEM;
            o->ntenants++;
        }
    }
    const struct cn *e = cn_get(r, "endpoints");
    size_t ne = cn_len(e);
    if (e == NULL || (e->type != CN_SEQ && !cn_is_null(e))) {
        bad(d, path, r, "hashring without an \"endpoints\" list");
        return PS_OK;
    }
    if (ne == 0)
        return PS_OK;
    if ((o->eps = calloc(ne, sizeof(*o->eps))) == NULL)
        return PS_E_NOMEM;
    for (size_t i = 0; i < ne; i++) {
        const struct cn *x = cn_item(e, i);
        const char *addr = NULL, *az = NULL;
        if (x != NULL && x->type == CN_SCALAR) {
            addr = x->s;
        } else if (x != NULL && x->type == CN_MAP) {
            addr = cn_str(x, "address");
            az = cn_str(x, "az");
        }
        if (addr == NULL || addr[0] == 0) {
            bad(d, path, x != NULL ? x : e, "endpoint is neither \"host:port\" nor {\"address\": ...}");
            continue;
        }
        struct ps_hashring_endpoint *ep = &o->eps[o->neps];
        ep->line = x->line;
        ep->address = strdup(addr);
        ep->az = az != NULL ? strdup(az) : NULL;
        if (ep->address == NULL || (az != NULL && ep->az == NULL)) {
            free(ep->address);
            free(ep->az);
            return PS_E_NOMEM;
        }
        o->neps++;
    }
    return PS_OK;
}

enum ps_err
cfg_hashrings_from_tree(const struct cn *root, const char *path,
                        struct ps_hashrings *out, struct ps_diags *diags)
{
    out->v = NULL;
    out->n = 0;
    root = cn_deref(root);
    if (root == NULL || root->type != CN_SEQ) {
        bad(diags, path, root, "hashrings file: expected a JSON list of hashrings");
        return PS_E_SYNTAX;
    }
    size_t n = cn_len(root);
    if (n == 0)
        return PS_OK;
    if ((out->v = calloc(n, sizeof(*out->v))) == NULL)
        return PS_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        const struct cn *r = cn_item(root, i);
        if (r == NULL || r->type != CN_MAP) {
            bad(diags, path, r, "hashring entry is not an object");
            continue;
        }
        enum ps_err e = ring_from(r, &out->v[out->n], path, diags);
        out->n++;   /* counted even if partial, so free sees it */
        if (e != PS_OK) {
            ps_hashrings_free(out);
            return e;
        }
    }
    return PS_OK;
}

enum ps_err
ps_config_parse_hashrings(const uint8_t *buf, size_t n, const char *path,
                          struct ps_hashrings *out, struct ps_redact_stats *stats,
                          struct ps_diags *diags)
{
    struct cfg_doc *d;
    out->v = NULL;
    out->n = 0;
    enum ps_err e = cfg_doc_parse(buf, n, path, diags, &d, NULL);
    if (e != PS_OK)
        return e;
    e = cfg_redact_tree(d, stats);
    if (e == PS_OK)
        e = cfg_hashrings_from_tree(d->ndocs > 0 ? d->docs[0] : NULL, path, out, diags);
    cfg_doc_free(d);
    return e;
}

void
cfg_pub_hashrings(struct cfg_pub *p, const struct cn *root, int64_t rf,
                  const char *algorithm)
{
    struct ps_hashrings h;
    enum ps_err e = cfg_hashrings_from_tree(root, p->path, &h, p->diags);
    if (e != PS_OK) {
        if (e == PS_E_NOMEM)
            p->err = e;
        return;
    }
    int catch_all = 0;
    for (size_t i = 0; i < h.n; i++) {
        const struct ps_hashring *r = &h.v[i];
        const char *algo = r->algorithm != NULL ? r->algorithm : algorithm;
        struct ps_label l[] = {{"hashring", r->name}, {"pod", p->pod}};
        cfg_pub_sample(p, "promsight_hashring_endpoints", (double)r->neps, l, 2);
        cfg_pub_sample(p, "promsight_hashring_tenants", (double)r->ntenants, l, 2);
        if (r->ntenants == 0)
            catch_all = 1;
        for (size_t k = 0; k < r->ntenants; k++) {
            struct ps_label lt[] = {{"hashring", r->name}, {"tenant", r->tenants[k]},
                                    {"pod", p->pod}};
            cfg_pub_sample(p, "promsight_hashring_tenant", 1, lt, 3);
        }
        for (size_t k = 0; k < r->neps; k++) {
            struct ps_label le[] = {{"hashring", r->name}, {"endpoint", r->eps[k].address},
                                    {"az", r->eps[k].az}, {"pod", p->pod}};
            cfg_pub_sample(p, "promsight_hashring_endpoint", 1, le, 4);
            for (size_t j = 0; j < k && r->neps <= DUP_CHECK_MAX; j++)
                if (strcmp(r->eps[j].address, r->eps[k].address) == 0) {
                    struct ps_label ld[] = {{"hashring", r->name},
                                            {"endpoint", r->eps[k].address}, {"pod", p->pod}};
                    cfg_pub_event(p, "config.hashring", PS_SEV_WARN, r->eps[k].line, ld, 3,
                                  "hashring %s lists endpoint %s twice (lines %u and %u): it "
                                  "gets a double share of series",
                                  r->name[0] ? r->name : "(unnamed)", r->eps[k].address,
                                  r->eps[j].line, r->eps[k].line);
                    break;
                }
        }
        if (r->neps == 0)
            cfg_pub_event(p, "config.hashring", PS_SEV_ERROR, r->line, l, 2,
                          "hashring %s has no endpoints", r->name[0] ? r->name : "(unnamed)");
        else if (rf > 0 && (int64_t)r->neps < rf)
            cfg_pub_event(p, "config.hashring", PS_SEV_ERROR, r->line, l, 2,
                          "hashring %s has %zu endpoints, fewer than the replication factor "
                          "%lld: writes fail with \"insufficient nodes\"",
                          r->name[0] ? r->name : "(unnamed)", r->neps, (long long)rf);
        if (algo != NULL && strcmp(algo, "hashmod") == 0 && r->neps >= PS_HASHMOD_MANY)
            cfg_pub_event(p, "config.hashring", PS_SEV_NOTE, r->line, l, 2,
                          "hashring %s uses hashmod with %zu endpoints: adding or removing a "
                          "receiver reshuffles every series; Thanos advises ketama",
                          r->name[0] ? r->name : "(unnamed)", r->neps);
    }
    if (h.n > 0 && !catch_all) {
        struct ps_label l[] = {{"pod", p->pod}};
        cfg_pub_event(p, "config.hashring", PS_SEV_NOTE, h.v[0].line, l, 1,
                      "no catch-all hashring (one without tenants): writes for any tenant "
                      "not listed fail with \"no matching hashring to handle tenant\"");
    }
    ps_hashrings_free(&h);
}
