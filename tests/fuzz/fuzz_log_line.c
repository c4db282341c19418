/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_log_line.c - libFuzzer harness for a whole log file: shape
 * detection (bare, kubectl, CRI, docker json, OpenSearch NDJSON and search
 * responses), body parsing (logfmt, JSON, klog, plain), signature
 * matching, event publishing and the counters. Every text that comes out
 * must be valid UTF-8.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "logs/logs_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char sigs_yaml[] =
    "signatures:\n"
    "  - id: X1\n"
    "    class: remote_write.unreachable\n"
    "    severity: warning\n"
    "    prefilter: ['Failed to send', 'refused']\n"
    "    pattern: '(?:Failed to send|refused)(?:.*?(?<status>\\d\\d\\d))?'\n"
    "    fields: [status, url, err, tenant]\n"
    "    lower_bound: true\n"
    "    source: 'fuzz'\n"
    "    summary: 'fuzz'\n"
    "  - id: X2\n"
    "    class: disk.full\n"
    "    severity: critical\n"
    "    prefilter: 'no space'\n"
    "    pattern: 'no space'\n"
    "    source: 'fuzz'\n"
    "    summary: 'fuzz'\n";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ps_sigset *set;
    if (set == NULL) {
        struct ps_diags d;
        ps_diags_init(&d);
        if (ps_sigset_new(&set) != PS_OK ||
            ps_sigset_add_yaml(set, "fuzz.yaml", sigs_yaml, sizeof(sigs_yaml) - 1, &d) != PS_OK ||
            ps_sigset_compile(set, &d) != PS_OK)
            abort();
        ps_diags_free(&d);
    }
    struct ps_logs_ctx *c;
    struct ps_logs_opts o = {.keep_records = 1, .keep_unmatched = 1, .max_records = 1000};
    struct ps_diags d;
    ps_diags_init(&d);
    struct ps_facts *f = ps_facts_new();
    struct ps_entry e;
    memset(&e, 0, sizeof(e));
    e.path = "namespaces/ns/pods/p-0/c/c/logs/current.log";
    e.pod = "p-0";
    e.container = "c";
    e.mtime_ms = 1795502084000;
    if (f != NULL && ps_logs_ctx_new(set, &o, &c) == PS_OK) {
        ps_logs_ingest_mem(c, NULL, &e, data, size, f, &d);
        ps_logs_ctx_finish(c, f);
        for (size_t i = 0; i < ps_logs_ctx_nrecords(c); i++) {
            const char *t = ps_logs_ctx_record(c, i)->text;
            if (!ps_log_utf8_valid(t, strlen(t)))
                abort();
        }
        ps_logs_ctx_free(c);
    }
    ps_facts_free(f);
    ps_diags_free(&d);
    return 0;
}
