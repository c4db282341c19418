/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_cri.c - libFuzzer harness for CRI and kubectl framing: the line
 * parsers on the input, then the whole reader on the input forced into a
 * CRI file (a valid first line is prepended), so partial-line joining,
 * over-long fragments and unclosed partials are exercised.
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
    "    prefilter: 'Failed to send'\n"
    "    pattern: '^(?=.*?Failed to send)(?=.*?(?<reason>refused|reset))'\n"
    "    fields: [reason, url]\n"
    "    source: 'fuzz'\n"
    "    summary: 'fuzz'\n";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    int64_t t;
    int partial;
    const char *m;
    size_t mn;
    if (ps_log_parse_cri(s, size, &t, &partial, &m, &mn) &&
        (m < s || m + mn > s + size))
        abort();
    if (ps_log_parse_kubectl(s, size, &t, &m, &mn) && (m < s || m + mn > s + size))
        abort();

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
    static const char first[] = "2026-11-24T07:00:00Z stdout F start\n";
    uint8_t *buf = malloc(sizeof(first) - 1 + size);
    if (buf == NULL)
        return 0;
    memcpy(buf, first, sizeof(first) - 1);
    memcpy(buf + sizeof(first) - 1, data, size);
    struct ps_logs_ctx *c;
    struct ps_logs_opts o = {.keep_records = 1, .keep_unmatched = 1};
    struct ps_diags d;
    ps_diags_init(&d);
    struct ps_facts *f = ps_facts_new();
    if (ps_logs_ctx_new(set, &o, &c) == PS_OK) {
        ps_logs_ingest_mem(c, "fuzz.log", NULL, buf, sizeof(first) - 1 + size, f, &d);
        ps_logs_ctx_finish(c, f);
        ps_logs_ctx_free(c);
    }
    ps_facts_free(f);
    ps_diags_free(&d);
    free(buf);
    return 0;
}
