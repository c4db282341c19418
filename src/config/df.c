/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * df.c - `df` output (GNU coreutils, busybox, POSIX -P), in the shapes a
 * support script captures inside a pod:
 *
 *   Filesystem     1B-blocks       Used   Available Use% Mounted on   (df -B1)
 *   Filesystem     1K-blocks       Used   Available Use% Mounted on   (df, df -k)
 *   Filesystem   1024-blocks       Used   Available Capacity Mounted on (df -P)
 *   Filesystem      Size  Used Avail Use% Mounted on                  (df -h)
 *   Filesystem     Type  1K-blocks ...                                (df -T)
 *
 * Columns: filesystem, [type], size, used, available, use%, mount point
 * (the rest of the line: it may hold spaces). A filesystem name too long
 * for its column makes GNU df wrap the numbers onto the next line; that
 * line is joined. Block counts are multiplied by the header's block size;
 * -h sizes are read with powers of 1024 (df -H, powers of 1000, has the
 * same header and is read the same way: at most 2.4% off).
 *
 * Every row is published as promsight_df_{size,used,available}_bytes{pod,
 * mountpoint, filesystem}; rows that can be volumes (not the container's
 * root, tmpfs/shm/overlay, /dev, /proc, /sys, /etc/hosts-style node files,
 * secrets) also under the kubelet's names, so rules written against a
 * cluster's kubelet_volume_stats_* work on a bundle with only df output:
 * kubelet_volume_stats_{capacity,used,available}_bytes{pod, mountpoint,
 * filesystem}.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_int.h"

#define PHASE "config: df"
#define MAX_FIELDS 16
#define HEADER_SEARCH_LINES 3

struct field {
    const char *s;
    size_t n;
};

/* Split [s, e) on blanks into at most max fields; returns the count. */
static size_t
split(const char *s, const char *e, struct field *f, size_t max)
{
    size_t k = 0;
    while (s < e && k < max) {
        while (s < e && (*s == ' ' || *s == '\t' || *s == '\r'))
            s++;
        if (s >= e)
            break;
        const char *b = s;
        while (s < e && *s != ' ' && *s != '\t' && *s != '\r')
            s++;
        f[k].s = b;
        f[k].n = (size_t)(s - b);
        k++;
    }
    return k;
}

static int
feq(const struct field *f, const char *w)
{
    return f->n == strlen(w) && memcmp(f->s, w, f->n) == 0;
}

/* "1K-blocks" -> 1024, "1B-blocks" -> 1, "512-blocks" -> 512, "Size" -> 0 (units) */
static int
block_size(const struct field *f, double *mul)
{
    if (feq(f, "Size")) {
        *mul = 0;
        return 1;
    }
    static const char suf[] = "-blocks";
    size_t sl = sizeof(suf) - 1;
    if (f->n <= sl || memcmp(f->s + f->n - sl, suf, sl) != 0)
        return 0;
    return ps_config_parse_size(f->s, f->n - sl, mul) && *mul > 0;
}

static int
value(const struct field *f, double mul, double *out)
{
    if (mul > 0) {
        for (size_t i = 0; i < f->n; i++)
            if (!isdigit((unsigned char)f->s[i]))
                return 0;
        if (f->n == 0 || f->n > 20)
            return 0;
        *out = strtod(f->s, NULL) * mul;
        return 1;
    }
    return ps_config_parse_size(f->s, f->n, out);
}

/*
 * Could this mount be a volume (what kubelet_volume_stats_* cover)? Not the
 * container's root, in-memory and kernel filesystems, nor the files the
 * kubelet bind-mounts from the node (/etc/hosts, termination-log, secrets).
 */
static int
volume_like(const char *fs, const char *mount)
{
    static const char *const pseudo_fs[] = {"overlay", "tmpfs", "shm", "devtmpfs", "udev",
                                            "none", "proc", "sysfs", "cgroup", "cgroup2",
                                            "mqueue", "devpts"};
    static const char *const node_mounts[] = {"/dev", "/proc", "/sys", "/etc/",
                                              "/run/secrets", "/var/run/secrets"};
    for (size_t i = 0; i < sizeof(pseudo_fs) / sizeof(pseudo_fs[0]); i++)
        if (strcmp(fs, pseudo_fs[i]) == 0)
            return 0;
    if (strcmp(mount, "/") == 0)
        return 0;
    for (size_t i = 0; i < sizeof(node_mounts) / sizeof(node_mounts[0]); i++) {
        size_t n = strlen(node_mounts[i]);
        if (strncmp(mount, node_mounts[i], n) == 0 &&
            (node_mounts[i][n - 1] == '/' || mount[n] == 0 || mount[n] == '/'))
            return 0;
    }
    return 1;
}

int
cfg_pub_df(struct cfg_pub *p, const uint8_t *buf, size_t n)
{
    const char *s = (const char *)buf, *end = s + n;
    const char *line = s;
    double mul = -1;
    int type_col = 0;
    uint32_t lineno = 0;
    /* header within the first lines (a captured "$ df -h" may precede) */
    while (line < end && lineno < HEADER_SEARCH_LINES) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        const char *le = nl != NULL ? nl : end;
        lineno++;
        struct field f[MAX_FIELDS];
        size_t k = split(line, le, f, MAX_FIELDS);
        line = nl != NULL ? nl + 1 : end;
        if (k >= 7 && feq(&f[0], "Filesystem") && feq(&f[k - 2], "Mounted") && feq(&f[k - 1], "on")) {
            type_col = feq(&f[1], "Type");
            if (!block_size(&f[1 + type_col], &mul))
                return 0;
            break;
        }
    }
    if (mul < 0)
        return 0;
    char carry[512];
    size_t carry_n = 0;
    while (line < end) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        const char *le = nl != NULL ? nl : end;
        const char *ls = line;
        uint32_t at = ++lineno;
        line = nl != NULL ? nl + 1 : end;
        struct field f[MAX_FIELDS];
        size_t k = split(ls, le, f, MAX_FIELDS);
        if (k == 0)
            continue;
        if (k == 1 && carry_n == 0 && f[0].n < sizeof(carry)) {
            memcpy(carry, f[0].s, f[0].n);   /* wrapped filesystem name */
            carry_n = f[0].n;
            continue;
        }
        size_t first = 0;
        struct field fs = f[0];
        if (carry_n > 0) {
            fs.s = carry;
            fs.n = carry_n;
            first = 0;   /* numbers start at f[0] */
        } else {
            first = 1;
        }
        carry_n = 0;
        size_t need = first + (size_t)type_col + 4;   /* size used avail use% */
        if (k < need + 1) {
            ps_diag_add(p->diags, PS_SEV_WARN, PS_E_SYNTAX, p->path, PS_OFF_NONE, at, PHASE,
                        "expected filesystem, size, used, available, use%% and mount point");
            continue;
        }
        size_t c = first + (size_t)type_col;
        double cap, used, avail;
        if (!value(&f[c], mul, &cap) || !value(&f[c + 1], mul, &used) ||
            !value(&f[c + 2], mul, &avail)) {
            ps_diag_add(p->diags, PS_SEV_WARN, PS_E_SYNTAX, p->path, PS_OFF_NONE, at, PHASE,
                        "size, used or available is not a number of %s",
                        mul > 0 ? "blocks" : "bytes with a unit");
            continue;
        }
        /* mount point: from field c+4 to the end of the line */
        const char *ms = f[c + 4].s;
        const char *me = le;
        while (me > ms && (me[-1] == ' ' || me[-1] == '\t' || me[-1] == '\r'))
            me--;
        char mount[512], fsname[512];
        size_t ml = (size_t)(me - ms) < sizeof(mount) - 1 ? (size_t)(me - ms) : sizeof(mount) - 1;
        memcpy(mount, ms, ml);
        mount[ml] = 0;
        size_t fl = fs.n < sizeof(fsname) - 1 ? fs.n : sizeof(fsname) - 1;
        memcpy(fsname, fs.s, fl);
        fsname[fl] = 0;
        struct ps_label l[] = {{"pod", p->pod}, {"mountpoint", mount}, {"filesystem", fsname}};
        cfg_pub_sample(p, "promsight_df_size_bytes", cap, l, 3);
        cfg_pub_sample(p, "promsight_df_used_bytes", used, l, 3);
        cfg_pub_sample(p, "promsight_df_available_bytes", avail, l, 3);
        if (!volume_like(fsname, mount))
            continue;
        cfg_pub_sample(p, "kubelet_volume_stats_capacity_bytes", cap, l, 3);
        cfg_pub_sample(p, "kubelet_volume_stats_used_bytes", used, l, 3);
        cfg_pub_sample(p, "kubelet_volume_stats_available_bytes", avail, l, 3);
    }
    return 1;
}
