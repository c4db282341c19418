/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd_inventory.c - 'promsight inventory BUNDLE': list and classify every
 * entry of a bundle (directory, archive or single file) without
 * extracting it. Text output is a table, per-kind totals, unsafe entries
 * and diagnostics; --format json gives the same as one JSON document with
 * stable keys. Exit 0 when the bundle could be read (diagnostics allowed),
 * 1 when it cannot be opened, 2 on bad usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "promsight/ps_bundle.h"
#include "promsight/ps_util.h"
#include "promsight/ps_json.h"

#define CMD "inventory"

static void
usage(FILE *out)
{
    fprintf(out,
            "Usage: promsight inventory [OPTIONS] BUNDLE\n"
            "\n"
            "List every entry of BUNDLE (a directory, an archive - tar, tar.gz,\n"
            "tar.zst, tar.xz, zip - or a single file) with its type, its kind\n"
            "(classified by path and content), size and the pod/tenant its path\n"
            "names. Nothing is extracted; links, devices, absolute and '..'\n"
            "paths are listed as unsafe and never read.\n"
            "\n"
            "Options:\n"
            "  --format text|json      output format (default text)\n"
            "  --max-entry-bytes N     largest entry read (default 4294967296)\n"
            "  --max-total-bytes N     all content read (default 68719476736)\n"
            "  --max-ratio R           uncompressed/compressed limit (default 200)\n"
            "  --max-entries N         entries in the bundle (default 1000000)\n"
            "  --max-depth N           path components (default 64)\n"
            "  -h, --help              this help\n"
            "\n"
            "Exit status: 0 listed (diagnostics allowed), 1 cannot open the\n"
            "bundle, 2 usage.\n");
}

static int
parse_u64(const char *s, uint64_t *v)
{
    char *end;
    errno = 0;
    if (s[0] == '-' || s[0] == 0)
        return -1;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno != 0 || *end != 0)
        return -1;
    *v = x;
    return 0;
}

static const char *
dash(const char *s)
{
    return s != NULL ? s : "-";
}

static void
print_text(const char *bpath, const struct ps_inventory *inv,
           const struct ps_diags *d, enum ps_err werr)
{
    size_t wp = 4, wt = 4, wk = 4, wb = 2, wpod = 3;
    for (size_t i = 0; i < inv->n; i++) {
        const struct ps_entry *e = &inv->v[i];
        size_t l = strlen(e->path);
        wp = l > wp ? l : wp;
        l = strlen(ps_entry_type_name(e->type));
        wt = l > wt ? l : wt;
        l = strlen(ps_kind_name(e->kind));
        wk = l > wk ? l : wk;
        l = strlen(e->kind_by);
        wb = l > wb ? l : wb;
        l = strlen(dash(e->pod));
        wpod = l > wpod ? l : wpod;
    }
    if (wp > 90)
        wp = 90;
    printf("Bundle %s: %zu entries, %zu unsafe, %s in regular files%s\n\n",
           bpath, inv->n, inv->nunsafe,
           ps_fmt_bytes(inv->total_bytes, (char[32]){0}, 32),
           werr == PS_OK ? "" : " (listing incomplete)");
    printf("%-*s  %-*s  %-*s  %-*s  %10s  %-*s  %s\n", (int)wp, "PATH", (int)wt,
           "TYPE", (int)wk, "KIND", (int)wb, "BY", "SIZE", (int)wpod, "POD",
           "TENANT");
    for (size_t i = 0; i < inv->n; i++) {
        const struct ps_entry *e = &inv->v[i];
        char b[32];
        int dir = e->type == PS_ET_DIR;
        printf("%-*s  %-*s  %-*s  %-*s  %10s  %-*s  %s%s\n", (int)wp, e->path,
               (int)wt, ps_entry_type_name(e->type), (int)wk,
               dir ? "-" : ps_kind_name(e->kind), (int)wb,
               dir ? "-" : e->kind_by,
               e->type == PS_ET_FILE ? ps_fmt_bytes(e->size, b, sizeof(b)) : "-",
               (int)wpod, dash(e->pod), dash(e->tenant),
               e->unsafe ? "  UNSAFE" : "");
    }
    printf("\nTotals by kind (regular files):\n");
    uint64_t bytes[PS_KIND__COUNT] = {0};
    for (size_t i = 0; i < inv->n; i++)
        if (inv->v[i].type == PS_ET_FILE)
            bytes[inv->v[i].kind] += inv->v[i].size;
    for (int k = 0; k < PS_KIND__COUNT; k++) {
        if (inv->count[k] == 0)
            continue;
        char b[32];
        printf("  %-20s %6zu  %12s\n", ps_kind_name((enum ps_kind)k),
               inv->count[k], ps_fmt_bytes(bytes[k], b, sizeof(b)));
    }
    if (inv->nunsafe > 0) {
        printf("\nUnsafe entries (listed, never read or followed):\n");
        for (size_t i = 0; i < inv->n; i++) {
            const struct ps_entry *e = &inv->v[i];
            if (!e->unsafe)
                continue;
            printf("  %-8s %s%s%s\n", ps_entry_type_name(e->type), e->raw_path,
                   e->link_target != NULL ? " -> " : "",
                   e->link_target != NULL ? e->link_target : "");
        }
    }
    if (d->n > 0 || d->dropped > 0) {
        printf("\nDiagnostics:\n");
        char line[1024];
        for (size_t i = 0; i < d->n; i++) {
            ps_diag_format(&d->v[i], line, sizeof(line));
            printf("  %s\n", line);
        }
        if (d->dropped > 0)
            printf("  ... %zu further diagnostics not stored\n", d->dropped);
    }
}

static json_t *
json_inventory(const char *bpath, int archive, const struct ps_inventory *inv,
               const struct ps_diags *d, enum ps_err werr)
{
    json_t *root = json_object();
    json_t *bj = json_object();
    json_object_set_new(bj, "path", json_string(bpath));
    json_object_set_new(bj, "archive", json_boolean(archive));
    json_object_set_new(bj, "complete", json_boolean(werr == PS_OK));
    json_object_set_new(bj, "status", json_string(ps_err_name(werr)));
    json_object_set_new(bj, "entries", json_integer((json_int_t)inv->n));
    json_object_set_new(bj, "unsafe", json_integer((json_int_t)inv->nunsafe));
    json_object_set_new(bj, "total_bytes",
                        json_integer((json_int_t)inv->total_bytes));
    json_object_set_new(root, "bundle", bj);

    json_t *ents = json_array();
    uint64_t bytes[PS_KIND__COUNT] = {0};
    for (size_t i = 0; i < inv->n; i++) {
        const struct ps_entry *e = &inv->v[i];
        json_t *o = json_object();
        char tb[40];
        json_object_set_new(o, "path", json_string(e->path));
        json_object_set_new(o, "raw_path", json_string(e->raw_path));
        json_object_set_new(o, "type", json_string(ps_entry_type_name(e->type)));
        json_object_set_new(o, "kind", json_string(ps_kind_name(e->kind)));
        json_object_set_new(o, "by", json_string(e->kind_by));
        json_object_set_new(o, "size", json_integer((json_int_t)e->size));
        if (e->mtime_ms != 0) {
            ps_fmt_time_ms(e->mtime_ms, tb, sizeof(tb));
            json_object_set_new(o, "mtime", json_string(tb));
        } else {
            json_object_set_new(o, "mtime", json_null());
        }
        json_object_set_new(o, "unsafe", json_boolean(e->unsafe));
        json_object_set_new(o, "link_target", ps_json_str_or_null(e->link_target));
        json_object_set_new(o, "pod", ps_json_str_or_null(e->pod));
        json_object_set_new(o, "container", ps_json_str_or_null(e->container));
        json_object_set_new(o, "tenant", ps_json_str_or_null(e->tenant));
        json_object_set_new(o, "tsdb_root", ps_json_str_or_null(e->tsdb_root));
        json_object_set_new(o, "seq", e->seq >= 0 ? json_integer(e->seq)
                                                  : json_null());
        json_object_set_new(o, "checkpoint",
                            e->checkpoint >= 0 ? json_integer(e->checkpoint)
                                               : json_null());
        json_array_append_new(ents, o);
        if (e->type == PS_ET_FILE)
            bytes[e->kind] += e->size;
    }
    json_object_set_new(root, "entries", ents);

    json_t *tot = json_object();
    for (int k = 0; k < PS_KIND__COUNT; k++) {
        json_t *t = json_object();
        json_object_set_new(t, "files", json_integer((json_int_t)inv->count[k]));
        json_object_set_new(t, "bytes", json_integer((json_int_t)bytes[k]));
        json_object_set_new(tot, ps_kind_name((enum ps_kind)k), t);
    }
    json_object_set_new(root, "totals", tot);

    json_t *dj = json_array();
    for (size_t i = 0; i < d->n; i++) {
        const struct ps_diag *g = &d->v[i];
        json_t *o = json_object();
        json_object_set_new(o, "severity", json_string(ps_sev_name(g->sev)));
        json_object_set_new(o, "code", json_string(ps_err_name(g->code)));
        json_object_set_new(o, "path", ps_json_str_or_null(g->path));
        json_object_set_new(o, "offset", g->off != PS_OFF_NONE
                                             ? json_integer((json_int_t)g->off)
                                             : json_null());
        json_object_set_new(o, "line", g->line != 0 ? json_integer(g->line)
                                                    : json_null());
        json_object_set_new(o, "phase", ps_json_str_or_null(g->phase));
        json_object_set_new(o, "message", ps_json_str_or_null(g->msg));
        json_array_append_new(dj, o);
    }
    json_object_set_new(root, "diagnostics", dj);
    json_object_set_new(root, "diagnostics_dropped",
                        json_integer((json_int_t)d->dropped));
    return root;
}

int
ps_cmd_inventory(int argc, char **argv)
{
    enum ps_out_format fmt = PS_FMT_TEXT;
    struct ps_bundle_limits lim;
    ps_bundle_limits_default(&lim);
    const char *bpath = NULL;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return PS_EXIT_OK;
        }
        const char *val = NULL;
        const char *eq = strchr(a, '=');
        char opt[64];
        if (strncmp(a, "--", 2) == 0 && a[2] != 0) {
            size_t ol = eq != NULL ? (size_t)(eq - a) : strlen(a);
            if (ol >= sizeof(opt))
                return ps_cli_usage_error(CMD, "unknown option '%s'", a);
            memcpy(opt, a, ol);
            opt[ol] = 0;
            if (eq != NULL)
                val = eq + 1;
            else if (i + 1 < argc)
                val = argv[++i];
            else
                return ps_cli_usage_error(CMD, "%s needs a value", opt);
            uint64_t u = 0;
            if (strcmp(opt, "--format") == 0) {
                if (ps_cli_parse_format(val, &fmt) != 0)
                    return PS_EXIT_USAGE;
            } else if (strcmp(opt, "--max-ratio") == 0) {
                char *end;
                double r = strtod(val, &end);
                if (*end != 0 || !(r >= 1.0))
                    return ps_cli_usage_error(CMD, "bad --max-ratio '%s'", val);
                lim.max_ratio = r;
            } else if (parse_u64(val, &u) != 0 || u == 0) {
                return ps_cli_usage_error(CMD, "bad value '%s' for %s", val, opt);
            } else if (strcmp(opt, "--max-entry-bytes") == 0) {
                lim.max_entry_bytes = u;
            } else if (strcmp(opt, "--max-total-bytes") == 0) {
                lim.max_total_bytes = u;
            } else if (strcmp(opt, "--max-entries") == 0) {
                lim.max_entries = u;
            } else if (strcmp(opt, "--max-depth") == 0) {
                if (u > 100000)
                    return ps_cli_usage_error(CMD, "--max-depth too large");
                lim.max_depth = (unsigned)u;
            } else {
                return ps_cli_usage_error(CMD, "unknown option '%s'", opt);
            }
            continue;
        }
        if (a[0] == '-' && a[1] != 0)
            return ps_cli_usage_error(CMD, "unknown option '%s'", a);
        if (bpath != NULL)
            return ps_cli_usage_error(CMD, "only one BUNDLE");
        bpath = a;
    }
    if (bpath == NULL)
        return ps_cli_usage_error(CMD, "missing BUNDLE");

    struct ps_diags diags;
    ps_diags_init(&diags);
    struct ps_bundle *b = NULL;
    enum ps_err e = ps_bundle_open(bpath, &lim, &diags, &b);
    if (e != PS_OK) {
        ps_cli_print_diags(&diags);
        if (diags.n == 0)
            fprintf(stderr, "promsight inventory: %s: %s\n", bpath,
                    ps_strerror(e));
        ps_diags_free(&diags);
        return PS_EXIT_ERROR;
    }
    struct ps_inventory inv;
    enum ps_err werr = ps_bundle_inventory(b, &inv);
    int rc = PS_EXIT_OK;
    if (werr == PS_E_NOMEM || werr == PS_E_INTERNAL ||
        (werr == PS_E_IO && inv.n == 0)) {
        ps_cli_print_diags(&diags);
        fprintf(stderr, "promsight inventory: %s: %s\n", bpath,
                ps_strerror(werr));
        rc = PS_EXIT_ERROR;
    } else if (fmt == PS_FMT_JSON) {
        json_t *j = json_inventory(bpath, ps_bundle_is_archive(b), &inv,
                                   &diags, werr);
        if (j == NULL || ps_cli_dump_json(j, stdout) != 0)
            rc = PS_EXIT_ERROR;
    } else {
        print_text(bpath, &inv, &diags, werr);
    }
    ps_inventory_free(&inv);
    ps_bundle_close(b);
    ps_diags_free(&diags);
    return rc;
}
