/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_signatures_yaml.c - libFuzzer harness for the signature file
 * loader: any bytes as a YAML signature file, then compile and match a
 * few lines. Bad files must give diagnostics, never a crash; whatever was
 * accepted must compile and match safely.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "logs/logs_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ps_sigset *s;
    struct ps_diags d;
    ps_diags_init(&d);
    if (ps_sigset_new(&s) != PS_OK)
        return 0;
    ps_sigset_add_yaml(s, "fuzz.yaml", (const char *)data, size, &d);
    if (ps_sigset_compile(s, &d) == PS_OK) {
        static const char *const lines[] = {
            "ts=2026-11-24T06:39:51Z level=warn msg=\"Failed to send batch, retrying\" err=\"connection refused\"",
            "",
            "no space left on device",
        };
        for (size_t i = 0; i < 3; i++) {
            struct ps_sig_match m;
            int r = ps_sigset_match(s, lines[i], strlen(lines[i]), &m);
            if (r >= (int)ps_sigset_count(s) || m.nf > PS_SIG_MAX_FIELDS)
                abort();
        }
    }
    ps_sigset_free(s);
    ps_diags_free(&d);
    return 0;
}
