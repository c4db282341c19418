/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * labels.c - entry path normalisation and the labels a path implies.
 *
 * Normalisation keeps the path as stored except for noise: a leading "/"
 * or "./", repeated "/", "." components and a trailing "/" are removed.
 * ".." components are kept (and flagged) so the inventory shows them.
 * Backslashes are not separators, but "..\" components and "\x" or
 * "C:\x" names are flagged too: a Windows extractor would honour them.
 *
 * Labels (all NULL / -1 when the path does not say):
 *   tsdb_root   the directory holding wal/, wbl/, chunks_head/, ULID block
 *               directories or thanos.shipper.json ("." at the bundle root);
 *               set only for TSDB kinds.
 *   tenant      Thanos Receive: the TSDB root's own name when an ancestor
 *               directory's name contains "receive"
 *               (thanos-receive-0/default-tenant/wal/... -> default-tenant).
 *   pod, container, from the first layout that matches:
 *     kubelet       .../log/pods/<ns>_<pod>_<uid>/<container>/0.log
 *     must-gather   .../namespaces/<ns>/pods/<pod>/<container>/...
 *     troubleshoot  .../pods/logs/<ns>/<pod>/<container>.log
 *     logs dir      .../logs/<pod>/<container>.log, .../logs/<pod>[-previous].log
 *     pod-like dir  the first directory named like a pod: StatefulSet
 *                   "<name>-<ordinal>", Deployment "<name>-<hash>-<5>",
 *                   DaemonSet "<name>-<5>" (Kubernetes' safe alphabet)
 *     top file      <pod>[-previous].log at the bundle root, pod-like names
 *   seq         the number an all-digit file name encodes (00000012 -> 12)
 *   checkpoint  N of a parent directory checkpoint.N
 */
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "bundle/bundle_int.h"

#define MAX_COMPS 128

unsigned
ps_bundle_path_norm(const char *raw, char *out, size_t cap, unsigned *depth)
{
    unsigned flags = 0, d = 0;
    size_t o = 0;
    if (raw[0] == '/' || raw[0] == '\\' ||
        (((raw[0] | 0x20) >= 'a' && (raw[0] | 0x20) <= 'z') && raw[1] == ':' &&
         (raw[2] == '\\' || raw[2] == '/')))
        flags |= PS_PATH_ABS;          /* also "\\x" and "C:\\x" (zip from Windows) */
    /* ".." between backslashes is a traversal for Windows extractors */
    for (const char *q = raw; (q = strstr(q, "..")) != NULL; q += 2) {
        int start = q == raw || q[-1] == '/' || q[-1] == '\\';
        int end = q[2] == 0 || q[2] == '/' || q[2] == '\\';
        if (start && end)
            flags |= PS_PATH_DOTDOT;
    }
    const char *p = raw;
    while (*p != 0) {
        while (*p == '/')
            p++;
        if (*p == 0)
            break;
        const char *s = p;
        while (*p != 0 && *p != '/')
            p++;
        size_t n = (size_t)(p - s);
        if (n == 1 && s[0] == '.')
            continue;
        if (n == 2 && s[0] == '.' && s[1] == '.')
            flags |= PS_PATH_DOTDOT;
        d++;
        size_t need = n + (o > 0 ? 1 : 0);
        if (o + need + 1 > cap) {
            flags |= PS_PATH_LONG;
            continue;
        }
        if (o > 0)
            out[o++] = '/';
        memcpy(out + o, s, n);
        o += n;
    }
    if (cap > 0)
        out[o < cap ? o : cap - 1] = 0;
    if (o == 0)
        flags |= PS_PATH_EMPTY;
    *depth = d;
    return flags;
}

struct comp {
    const char *s;
    size_t n;
};

static int
ceq(const struct comp *c, const char *lit)
{
    return strlen(lit) == c->n && memcmp(c->s, lit, c->n) == 0;
}

static int
digits(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int64_t
parse_num(const char *s, size_t n)
{
    if (!digits(s, n))
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (v > ((uint64_t)INT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    return (int64_t)v;
}

static int
ulid_comp(const struct comp *c)
{
    if (c->n != 26 || c->s[0] < '0' || c->s[0] > '7')
        return 0;
    for (size_t i = 0; i < c->n; i++) {
        char ch = c->s[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z')) ||
            ch == 'I' || ch == 'L' || ch == 'O' || ch == 'U')
            return 0;
    }
    return 1;
}

/* Kubernetes' SafeEncodeString alphabet (no vowels, no 0 1 3). */
static int
safe_alnum(const char *s, size_t n)
{
    static const char alpha[] = "bcdfghjklmnpqrstvwxz2456789";
    for (size_t i = 0; i < n; i++)
        if (strchr(alpha, s[i]) == NULL || s[i] == 0)
            return 0;
    return 1;
}

/* Looks like a pod name (see the file comment). */
static int
pod_like(const char *s, size_t n)
{
    if (n < 3 || n > 253)
        return 0;
    int letter = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '.'))
            return 0;
        letter |= ch >= 'a' && ch <= 'z';
    }
    if (!letter || s[0] == '-' || s[n - 1] == '-')
        return 0;
    /* split the last two '-' segments */
    size_t d1 = n;
    while (d1 > 0 && s[d1 - 1] != '-')
        d1--;
    if (d1 == 0)
        return 0;
    const char *last = s + d1;
    size_t ln = n - d1;
    size_t pe = d1 - 1;                      /* prefix [0, pe) */
    size_t d2 = pe;
    while (d2 > 0 && s[d2 - 1] != '-')
        d2--;
    const char *prev = s + d2;
    size_t pn = pe - d2;
    if (pe == 0)
        return 0;
    /* StatefulSet ordinal; reject dates like lab-2026-11-24 */
    if (ln >= 1 && ln <= 4 && digits(last, ln))
        return !digits(prev, pn);
    if (ln == 5 && safe_alnum(last, ln)) {
        if (d2 > 0 && pn >= 6 && pn <= 10 && safe_alnum(prev, pn))
            return 1;                        /* Deployment */
        return 1;                            /* DaemonSet / Job */
    }
    return 0;
}

/* Copy [s, s+n) into l->buf at *off; NULL if it does not fit. */
static const char *
put(struct ps_labels *l, size_t *off, const char *s, size_t n)
{
    if (*off + n + 1 > sizeof(l->buf))
        return NULL;
    char *d = l->buf + *off;
    memcpy(d, s, n);
    d[n] = 0;
    *off += n + 1;
    return d;
}

/* Join comps [0, k) with '/'. */
static const char *
put_join(struct ps_labels *l, size_t *off, const struct comp *c, size_t k)
{
    if (k == 0)
        return put(l, off, ".", 1);
    const char *s = c[0].s;
    size_t n = (size_t)(c[k - 1].s + c[k - 1].n - s);
    return put(l, off, s, n);
}

static int
tsdb_kind(enum ps_kind k)
{
    switch (k) {
    case PS_KIND_WAL_SEGMENT:
    case PS_KIND_CHECKPOINT_SEGMENT:
    case PS_KIND_WBL_SEGMENT:
    case PS_KIND_BLOCK_META:
    case PS_KIND_BLOCK_INDEX:
    case PS_KIND_BLOCK_CHUNKS:
    case PS_KIND_BLOCK_TOMBSTONES:
    case PS_KIND_HEAD_CHUNKS:
    case PS_KIND_SHIPPER_META:
        return 1;
    default:
        return 0;
    }
}

static int
contains_ci(const char *s, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    for (size_t i = 0; i + m <= n; i++) {
        size_t j = 0;
        while (j < m && tolower((unsigned char)s[i + j]) == lit[j])
            j++;
        if (j == m)
            return 1;
    }
    return 0;
}

/* base name without ".log"/"-previous.log"/".txt"; 0 if no such suffix */
static size_t
strip_log_suffix(const struct comp *c)
{
    static const char *const suf[] = {"-previous.log", ".previous.log",
                                      ".log", ".txt"};
    for (size_t i = 0; i < sizeof(suf) / sizeof(suf[0]); i++) {
        size_t m = strlen(suf[i]);
        if (c->n > m && memcmp(c->s + c->n - m, suf[i], m) == 0)
            return c->n - m;
    }
    return 0;
}

static void
derive_pod(struct ps_labels *l, size_t *off, const struct comp *c, size_t n,
           size_t root_end)
{
    size_t last = n - 1;
    for (size_t i = 0; i < n; i++) {
        if (!ceq(&c[i], "pods"))
            continue;
        /* kubelet: log/pods/<ns>_<pod>_<uid>/<container>/N.log */
        if (i >= 1 && ceq(&c[i - 1], "log") && i + 1 < last) {
            const struct comp *d = &c[i + 1];
            const char *u1 = memchr(d->s, '_', d->n);
            const char *u2 = NULL;
            for (size_t k = d->n; k > 0; k--)
                if (d->s[k - 1] == '_') {
                    u2 = d->s + k - 1;
                    break;
                }
            if (u1 != NULL && u2 != NULL && u2 > u1 + 1) {
                l->pod = put(l, off, u1 + 1, (size_t)(u2 - u1 - 1));
                if (i + 2 < last)
                    l->container = put(l, off, c[i + 2].s, c[i + 2].n);
                return;
            }
        }
        /* troubleshoot.sh: pods/logs/<ns>/<pod>/<container>.log */
        if (i + 1 < n && ceq(&c[i + 1], "logs") && i + 3 < last) {
            l->pod = put(l, off, c[i + 3].s, c[i + 3].n);
            if (i + 4 == last) {
                size_t m = strip_log_suffix(&c[last]);
                if (m > 0)
                    l->container = put(l, off, c[last].s, m);
            }
            return;
        }
        /* must-gather: namespaces/<ns>/pods/<pod>/<container>/... */
        if (i >= 2 && ceq(&c[i - 2], "namespaces") && i + 1 < last) {
            l->pod = put(l, off, c[i + 1].s, c[i + 1].n);
            if (i + 2 < last)
                l->container = put(l, off, c[i + 2].s, c[i + 2].n);
            return;
        }
    }
    /* logs/<pod>/<container>.log or logs/<pod>[-previous].log */
    for (size_t i = 0; i < last; i++) {
        if (!ceq(&c[i], "logs"))
            continue;
        size_t m = strip_log_suffix(&c[last]);
        if (i + 2 == last && m > 0) {
            l->pod = put(l, off, c[i + 1].s, c[i + 1].n);
            l->container = put(l, off, c[last].s, m);
            return;
        }
        if (i + 1 == last && m > 0) {
            l->pod = put(l, off, c[last].s, m);
            return;
        }
    }
    /* the first pod-like directory above the file (and the TSDB root) */
    size_t lim = root_end < last ? root_end : last;
    for (size_t i = 0; i < lim; i++) {
        if (pod_like(c[i].s, c[i].n)) {
            l->pod = put(l, off, c[i].s, c[i].n);
            return;
        }
    }
    if (n == 1) {
        size_t m = strip_log_suffix(&c[0]);
        if (m > 0 && pod_like(c[0].s, m))
            l->pod = put(l, off, c[0].s, m);
    }
}

void
ps_bundle_labels(const char *path, enum ps_kind kind, struct ps_labels *l)
{
    l->pod = l->container = l->tenant = l->tsdb_root = NULL;
    l->seq = -1;
    l->checkpoint = -1;
    l->buf[0] = 0;

    struct comp c[MAX_COMPS];
    size_t n = 0;
    const char *p = path;
    while (*p != 0) {
        while (*p == '/')
            p++;
        if (*p == 0)
            break;
        if (n == MAX_COMPS)
            return;
        c[n].s = p;
        while (*p != 0 && *p != '/')
            p++;
        c[n].n = (size_t)(p - c[n].s);
        n++;
    }
    if (n == 0)
        return;
    size_t off = 0;
    const struct comp *base = &c[n - 1];

    l->seq = parse_num(base->s, base->n);
    if (n >= 2 && c[n - 2].n > 11 && memcmp(c[n - 2].s, "checkpoint.", 11) == 0)
        l->checkpoint = parse_num(c[n - 2].s + 11, c[n - 2].n - 11);

    /* TSDB root: the directory above the first wal/wbl/chunks_head/ULID. */
    size_t root_end = n;    /* number of comps in the root, n if none */
    if (tsdb_kind(kind)) {
        for (size_t i = 0; i + 1 < n; i++) {
            if (ceq(&c[i], "wal") || ceq(&c[i], "wbl") ||
                ceq(&c[i], "chunks_head") || ulid_comp(&c[i])) {
                root_end = i;
                break;
            }
        }
        if (root_end == n && ceq(base, "thanos.shipper.json"))
            root_end = n - 1;
        if (root_end < n) {
            l->tsdb_root = put_join(l, &off, c, root_end);
            /* tenant: root's name under a receive directory */
            if (root_end >= 2) {
                const struct comp *t = &c[root_end - 1];
                int recv = 0;
                for (size_t i = 0; i + 1 < root_end; i++)
                    recv |= contains_ci(c[i].s, c[i].n, "receive");
                if (recv && !ceq(t, "data") && !ceq(t, "tsdb") &&
                    !ceq(t, "prometheus") && !ceq(t, "prometheus-db") &&
                    !ceq(t, "db") && !ceq(t, "storage"))
                    l->tenant = put(l, &off, t->s, t->n);
            }
        }
    }
    derive_pod(l, &off, c, n, root_end);
}
