/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ingest_json.c - JSON summaries of the log and config steps of ingest,
 * for the report's "stages" (the WAL, TSDB and metric readers render
 * their own).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "facts/ingest_int.h"
#include "promsight/ps_logs.h"

static int
file_cmp(const void *a, const void *b)
{
    const struct ps_logs_file *x = *(const struct ps_logs_file *const *)a;
    const struct ps_logs_file *y = *(const struct ps_logs_file *const *)b;
    return strcmp(x->path, y->path);
}

json_t *
ps_ingest_logs_json(const struct ps_logs_ctx *c)
{
    size_t n = ps_logs_ctx_nfiles(c);
    if (n == 0)
        return NULL;
    /* by path: an archive lists files in its own order */
    const struct ps_logs_file **order = malloc(n * sizeof(*order));
    if (order == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++)
        order[i] = ps_logs_ctx_file(c, i);
    qsort(order, n, sizeof(*order), file_cmp);
    const struct ps_sigset *sigs = ps_logs_ctx_sigset(c);
    json_t *files = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct ps_logs_file *f = order[i];
        json_t *levels = json_object(), *sig = json_object();
        for (int l = 0; l < PS_LLVL__COUNT; l++)
            if (f->by_level[l] > 0)
                json_object_set_new(levels, ps_log_level_name((enum ps_log_level)l),
                                    json_integer((json_int_t)f->by_level[l]));
        for (size_t s = 0; f->sig_count != NULL && s < ps_sigset_count(sigs); s++)
            if (f->sig_count[s] > 0)
                json_object_set_new(sig, ps_sigset_get(sigs, s)->id,
                                    json_integer((json_int_t)f->sig_count[s]));
        json_array_append_new(files, json_pack(
            "{s:s, s:s?, s:s?, s:s, s:I, s:I, s:o, s:I, s:o}", "path", f->path,
            "pod", f->pod, "container", f->container, "shape", ps_log_shape_name(f->shape),
            "bytes", (json_int_t)f->bytes, "lines", (json_int_t)f->lines, "levels", levels,
            "matched", (json_int_t)f->matched, "signatures", sig));
    }
    free(order);
    return json_pack("{s:o, s:s}", "files", files, "note",
                     "remote-write log lines are deduplicated by Prometheus for a minute: "
                     "counts are lower bounds");
}

json_t *
ps_ingest_config_json(const struct ps_ingest *in)
{
    const char *const *names;
    size_t n = ps_facts_metric_names(in->facts, &names);
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++) {
        if (strncmp(names[i], "promsight_config_", 17) != 0 &&
            strncmp(names[i], "promsight_hashring_", 19) != 0 &&
            strncmp(names[i], "promsight_k8s_", 14) != 0)
            continue;
        const uint32_t *ids;
        size_t m = ps_facts_metric_series(in->facts, names[i], &ids);
        for (size_t k = 0; k < m; k++) {
            const struct ps_label *l;
            size_t nl = ps_facts_series_labels(in->facts, ids[k], &l);
            json_t *labels = json_object();
            for (size_t j = 0; j < nl; j++)
                if (strcmp(l[j].name, "__name__") != 0)
                    json_object_set_new(labels, l[j].name, json_string(l[j].value));
            const struct ps_sample *s;
            size_t ns = ps_facts_series_samples(in->facts, ids[k], &s);
            double v = ns > 0 ? s[ns - 1].v : NAN;
            json_array_append_new(out, json_pack("{s:s, s:o, s:o}", "fact", names[i],
                                                 "labels", labels, "value",
                                                 isfinite(v) ? json_real(v) : json_null()));
        }
    }
    if (json_array_size(out) == 0) {
        json_decref(out);
        return NULL;
    }
    return json_pack("{s:o}", "facts", out);
}
