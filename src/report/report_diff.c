/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * report_diff.c - compare two report documents (ps_report_diff).
 *
 * Findings are matched by identity = rule id + canonical label set; a
 * matched pair is "changed" when severity, first, last or peak differ.
 * The document's flat "metrics" object (name -> number: WAL and TSDB
 * totals, forecasts at each horizon, ...) is compared value by value; a
 * value "moved" when |new - old| > rel_tol * max(|old|, |new|), or when it
 * exists on one side only.
 */
#include <math.h>
#include <string.h>

#include "report/report_int.h"

static char *
finding_key(const json_t *f)
{
    json_t *k = json_pack("{s:s, s:O}", "rule", rp_str(f, "rule"), "labels",
                          json_object_get(f, "labels") != NULL
                              ? json_object_get(f, "labels") : json_null());
    if (k == NULL)
        return NULL;
    char *s = json_dumps(k, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(k);
    return s;
}

static const json_t *
find_finding(const json_t *arr, const char *key)
{
    size_t i;
    const json_t *f;
    json_array_foreach(arr, i, f) {
        char *k = finding_key(f);
        int eq = k != NULL && strcmp(k, key) == 0;
        free(k);
        if (eq)
            return f;
    }
    return NULL;
}

static int
member_differs(const json_t *a, const json_t *b, const char *m)
{
    return !json_equal(json_object_get(a, m), json_object_get(b, m));
}

static json_t *
brief(const json_t *f)
{
    return json_pack("{s:s, s:s, s:s, s:O}", "rule", rp_str(f, "rule"),
                     "class", rp_str(f, "class"), "severity",
                     rp_str(f, "severity"), "labels",
                     json_object_get(f, "labels") != NULL
                         ? json_object_get(f, "labels") : json_null());
}

static void
diff_findings(const json_t *o, const json_t *n, json_t *out)
{
    json_t *added = json_object_get(out, "added");
    json_t *removed = json_object_get(out, "removed");
    json_t *changed = json_object_get(out, "changed");
    size_t i;
    const json_t *f;
    json_array_foreach(n, i, f) {
        char *k = finding_key(f);
        const json_t *old = k != NULL ? find_finding(o, k) : NULL;
        free(k);
        if (old == NULL) {
            json_array_append_new(added, brief(f));
            continue;
        }
        static const char *const fields[] = {"severity", "first", "last", "peak"};
        json_t *what = json_array();
        for (size_t j = 0; j < 4; j++) {
            if (!member_differs(old, f, fields[j]))
                continue;
            json_array_append_new(what, json_pack("{s:s, s:O, s:O}", "field",
                fields[j], "old", json_object_get(old, fields[j]) != NULL
                    ? json_object_get(old, fields[j]) : json_null(),
                "new", json_object_get(f, fields[j]) != NULL
                    ? json_object_get(f, fields[j]) : json_null()));
        }
        if (json_array_size(what) > 0) {
            json_t *c = brief(f);
            json_object_set_new(c, "fields", what);
            json_array_append_new(changed, c);
        } else {
            json_decref(what);
        }
    }
    json_array_foreach(o, i, f) {
        char *k = finding_key(f);
        if (k != NULL && find_finding(n, k) == NULL)
            json_array_append_new(removed, brief(f));
        free(k);
    }
}

static void
diff_metrics(const json_t *o, const json_t *n, double tol, json_t *moved)
{
    const char *k;
    const json_t *nv;
    json_object_foreach((json_t *)n, k, nv) {
        const json_t *ov = json_object_get(o, k);
        double a = json_number_value(ov), b = json_number_value(nv);
        int differs;
        if (!json_is_number(ov))
            differs = 1;
        else if (isnan(a) || isnan(b))
            differs = isnan(a) != isnan(b);
        else
            differs = fabs(b - a) > tol * fmax(fabs(a), fabs(b));
        if (differs)
            json_array_append_new(moved, json_pack("{s:s, s:O, s:O}", "metric", k,
                "old", ov != NULL ? ov : json_null(), "new", nv));
    }
    const json_t *ov;
    json_object_foreach((json_t *)o, k, ov) {
        if (json_object_get(n, k) == NULL)
            json_array_append_new(moved, json_pack("{s:s, s:O, s:n}", "metric", k,
                                                   "old", ov, "new"));
    }
}

json_t *
ps_report_diff(const json_t *old_report, const json_t *new_report, double rel_tol)
{
    json_t *out = json_pack("{s:[], s:[], s:[], s:[]}", "added", "removed",
                            "changed", "moved");
    if (out == NULL)
        return NULL;
    diff_findings(json_object_get(old_report, "findings"),
                  json_object_get(new_report, "findings"), out);
    const json_t *om = json_object_get(old_report, "metrics");
    const json_t *nm = json_object_get(new_report, "metrics");
    json_t *empty = json_object();
    diff_metrics(json_is_object(om) ? om : empty, json_is_object(nm) ? nm : empty,
                 rel_tol, json_object_get(out, "moved"));
    json_decref(empty);
    size_t total = json_array_size(json_object_get(out, "added")) +
                   json_array_size(json_object_get(out, "removed")) +
                   json_array_size(json_object_get(out, "changed")) +
                   json_array_size(json_object_get(out, "moved"));
    json_object_set_new(out, "differences", json_integer((json_int_t)total));
    return out;
}
