/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * analyze.c - the pipeline behind `promsight analyze` (ps_analyze.h):
 * rules are loaded first (so a broken rule file fails fast and so ingest
 * knows which metric names the rules reference), then the bundle is
 * ingested, the rules evaluated, the capacity plan computed, and the
 * report document assembled.
 */
#include "promsight/ps_analyze.h"

#include <stdlib.h>
#include <string.h>

#include "promsight/ps_ingest.h"
#include "promsight/ps_report.h"
#include "promsight/ps_rules.h"
#include "promsight/ps_util.h"
#include "report/analyze_int.h"

#define PS_VERSION_STRING "promsight 0.1.0"

void
ps_analyze_bundle_name(const char *path, char *buf, size_t n)
{
    static const char *const suffixes[] = {".tar.zst", ".tar.gz", ".tar.xz", ".tar.bz2",
                                           ".tzst", ".tgz", ".txz", ".tar", ".zip"};
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/')
        len--;
    size_t start = len;
    while (start > 0 && path[start - 1] != '/')
        start--;
    size_t l = len - start;
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(*suffixes); i++) {
        size_t sl = strlen(suffixes[i]);
        if (l > sl && strncmp(path + len - sl, suffixes[i], sl) == 0) {
            l -= sl;
            break;
        }
    }
    snprintf(buf, n, "%.*s", (int)l, path + start);
}

static void
progress(const struct ps_analyze_opts *o, const char *stage, int i)
{
    if (o->progress != NULL)
        o->progress(o->progress_ctx, stage, i, 4);
}

static enum ps_err
load_rules(const struct ps_analyze_opts *o, const char *models, struct ps_rules **out,
           struct ps_diags *diags)
{
    struct ps_rules *r = ps_rules_new();
    if (r == NULL)
        return PS_E_NOMEM;
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/rules", models);
    enum ps_err e = ps_rules_load_dir(r, dir, diags);
    for (size_t i = 0; e == PS_OK && i < o->nrule_dirs; i++)
        e = ps_rules_load_dir(r, o->rule_dirs[i], diags);
    for (size_t i = 0; e == PS_OK && i < o->ndisable; i++)
        ps_rules_disable(r, o->disable[i]);
    if (e != PS_OK) {
        ps_rules_free(r);
        return e;
    }
    *out = r;
    return PS_OK;
}

enum ps_err
ps_analyze_run(const struct ps_analyze_opts *o, json_t **report, struct ps_diags *diags)
{
    *report = NULL;
    const char *models = o->models_dir != NULL ? o->models_dir : ps_models_dir();
    struct ps_rules *rules = NULL;
    struct ps_ingest in;
    memset(&in, 0, sizeof(in));
    struct ps_rules_result res;
    memset(&res, 0, sizeof(res));
    json_t *diagnosis = NULL, *plan = NULL;

    progress(o, "rules", 1);
    enum ps_err e = load_rules(o, models, &rules, diags);
    if (e != PS_OK)
        goto out;

    progress(o, "ingest", 2);
    const char **names = NULL;
    size_t nnames = ps_rules_metric_names(rules, &names);
    struct ps_ingest_opts io = {.models_dir = models, .tsdb_metrics = names,
                                .ntsdb_metrics = nnames};
    e = ps_ingest_bundle(o->bundle, &io, &in);
    free(names); /* the array is ours; the strings belong to rules */
    if (e != PS_OK)
        goto out;

    progress(o, "diagnose", 3);
    struct ps_rules_opts ro = {.at = o->at_ms, .step = o->step_ms, .lang = o->lang};
    if ((e = ps_rules_eval(rules, in.facts, &ro, &res, &in.diags)) != PS_OK)
        goto out;
    diagnosis = ps_rules_result_json(&res);

    progress(o, "plan", 4);
    plan = ps_analyze_plan_json(&in, models, o->pricing);

    char name[256];
    ps_analyze_bundle_name(o->bundle, name, sizeof(name));
    struct ps_report_inputs ri = {.ingest = &in, .diagnosis = diagnosis, .plan = plan,
                                  .bundle_name = name, .generator = PS_VERSION_STRING};
    *report = ps_report_build(&ri);
    e = *report != NULL ? PS_OK : PS_E_NOMEM;
out:
    json_decref(diagnosis);
    json_decref(plan);
    ps_rules_result_free(&res);
    ps_rules_free(rules);
    ps_ingest_free(&in);
    return e;
}
