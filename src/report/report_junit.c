/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * report_junit.c - JUnit XML for CI: one <testcase> per rule in the
 * document's "rules" array (classname = problem class, name = rule id);
 * a rule that fired is a <failure> carrying its findings, a rule skipped
 * for missing inputs is <skipped> with the missing inputs named.
 */
#include <string.h>

#include "report/report_int.h"

struct jx {
    struct ps_buf *o;
    enum ps_err e;
};

static void
put(struct jx *x, const char *s)
{
    if (x->e == PS_OK)
        x->e = ps_buf_append(x->o, s, strlen(s));
}

static void
esc(struct jx *x, const char *s)
{
    if (x->e == PS_OK)
        x->e = ps_xml_escape(x->o, s);
}

static void
failure(struct jx *x, const json_t *findings, const char *rule)
{
    size_t i;
    const json_t *f;
    int first = 1;
    json_array_foreach(findings, i, f) {
        if (strcmp(rp_str(f, "rule"), rule) != 0)
            continue;
        if (first) {
            put(x, "      <failure type=\"");
            esc(x, rp_str(f, "severity"));
            put(x, "\" message=\"");
            esc(x, rp_str(f, "summary"));
            put(x, "\">");
            first = 0;
        }
        esc(x, rp_str(f, "severity"));
        put(x, " ");
        esc(x, rp_str(f, "first"));
        put(x, " .. ");
        esc(x, rp_str(f, "last"));
        put(x, ": ");
        esc(x, rp_str(f, "summary"));
        put(x, "\n");
    }
    if (!first)
        put(x, "</failure>\n");
}

enum ps_err
ps_report_render_junit(const json_t *r, struct ps_buf *out)
{
    struct jx x = {out, PS_OK};
    const json_t *rules = json_object_get(r, "rules");
    const json_t *findings = json_object_get(r, "findings");
    size_t nfail = 0, nskip = 0, i;
    const json_t *rule;
    json_array_foreach(rules, i, rule) {
        const char *st = rp_str(rule, "status");
        nfail += strcmp(st, "fired") == 0;
        nskip += strcmp(st, "skipped") == 0;
    }
    char head[256];
    snprintf(head, sizeof(head),
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
             "<testsuites name=\"promsight\" tests=\"%zu\" failures=\"%zu\" "
             "skipped=\"%zu\">\n  <testsuite name=\"promsight.rules\" "
             "tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\">\n",
             json_array_size(rules), nfail, nskip, json_array_size(rules), nfail,
             nskip);
    put(&x, head);
    json_array_foreach(rules, i, rule) {
        const char *st = rp_str(rule, "status");
        put(&x, "    <testcase classname=\"");
        esc(&x, rp_str(rule, "class"));
        put(&x, "\" name=\"");
        esc(&x, rp_str(rule, "rule"));
        put(&x, "\">\n");
        if (strcmp(st, "fired") == 0) {
            failure(&x, findings, rp_str(rule, "rule"));
        } else if (strcmp(st, "skipped") == 0) {
            put(&x, "      <skipped message=\"missing inputs: ");
            size_t j;
            const json_t *m;
            json_array_foreach(json_object_get(rule, "missing"), j, m) {
                if (j > 0)
                    put(&x, ", ");
                esc(&x, json_string_value(m) != NULL ? json_string_value(m) : "");
            }
            put(&x, "\"/>\n");
        }
        put(&x, "    </testcase>\n");
    }
    put(&x, "  </testsuite>\n</testsuites>\n");
    return x.e;
}
