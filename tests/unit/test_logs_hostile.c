/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_logs_hostile.c - bad input: a 10 MB line, NUL bytes, invalid UTF-8,
 * an unterminated quote, CRI partial lines never closed or joined past
 * the line limit, broken JSON. Each gives a located diagnostic, the rest
 * of the file is still read, and what is stored is valid UTF-8.
 */
#include "test_util.h"

#include "logs/logs_int.h"
#include "promsight/ps_facts.h"

#define P3_LINE                                                                   \
    "ts=2026-11-24T06:39:51.394Z caller=dedupe.go:112 component=remote level=warn " \
    "remote_name=thanos url=http://r:19291/api/v1/write msg=\"Failed to send batch, "  \
    "retrying\" err=\"Post \\\"http://r:19291/api/v1/write\\\": dial tcp 127.0.0.1:19291: " \
    "connect: connection refused\""

struct run {
    struct ps_sigset *sigs;
    struct ps_logs_ctx *ctx;
    struct ps_facts *facts;
    struct ps_diags d;
};

static void
run_mem(struct run *r, const void *p, size_t n)
{
    ps_diags_init(&r->d);
    assert_int_equal(ps_sigset_new(&r->sigs), PS_OK);
    assert_int_equal(ps_sigset_load_dir(r->sigs, "models/signatures", &r->d), PS_OK);
    assert_int_equal(ps_sigset_compile(r->sigs, &r->d), PS_OK);
    struct ps_logs_opts o = {.keep_records = 1, .keep_unmatched = 1};
    assert_int_equal(ps_logs_ctx_new(r->sigs, &o, &r->ctx), PS_OK);
    r->facts = ps_facts_new();
    assert_int_equal(ps_logs_ingest_mem(r->ctx, "bad.log", NULL, p, n, r->facts, &r->d), PS_OK);
    assert_int_equal(ps_logs_ctx_finish(r->ctx, r->facts), PS_OK);
    for (size_t i = 0; i < ps_logs_ctx_nrecords(r->ctx); i++) {
        const char *t = ps_logs_ctx_record(r->ctx, i)->text;
        assert_true(ps_log_utf8_valid(t, strlen(t)));
    }
    for (size_t i = 0; i < ps_facts_nevents(r->facts); i++) {
        const char *t = ps_facts_event(r->facts, i)->message;
        assert_true(ps_log_utf8_valid(t, strlen(t)));
    }
}

static void
run_free(struct run *r)
{
    ps_logs_ctx_free(r->ctx);
    ps_sigset_free(r->sigs);
    ps_facts_free(r->facts);
    ps_diags_free(&r->d);
}

/* The diagnostic whose message contains needle; fails if none. */
static const struct ps_diag *
diag(const struct run *r, const char *needle)
{
    for (size_t i = 0; i < r->d.n; i++)
        if (strstr(r->d.v[i].msg, needle) != NULL)
            return &r->d.v[i];
    fail_msg("no diagnostic containing '%s'", needle);
    return NULL;
}

static const char *
sig_of(const struct run *r, size_t rec)
{
    const struct ps_logs_record *x = ps_logs_ctx_record(r->ctx, rec);
    assert_non_null(x);
    return x->sig >= 0 ? ps_sigset_get(r->sigs, (size_t)x->sig)->id : "-";
}

static void
test_ten_mb_line(void **state)
{
    (void)state;
    const char *head = "ts=2026-11-24T06:34:51.382Z level=error msg=\"non-recoverable error\" "
                       "err=\"server returned HTTP status 404 Not Found: ";
    size_t big = (size_t)10 << 20;
    struct ps_buf b = {0};
    assert_int_equal(ps_buf_append(&b, head, strlen(head)), PS_OK);
    assert_int_equal(ps_buf_reserve(&b, big), PS_OK);
    memset(b.p + b.n, 'A', big);
    b.n += big;
    /* A second long line whose signature text is beyond the first MiB. */
    ps_buf_append(&b, "\"\nts=2026-11-24T06:34:52Z level=info msg=", 41);
    assert_int_equal(ps_buf_reserve(&b, (size_t)2 << 20), PS_OK);
    memset(b.p + b.n, 'B', (size_t)2 << 20);
    b.n += (size_t)2 << 20;
    ps_buf_append(&b, " Failed to send batch, retrying connection refused\n", 51);
    ps_buf_append(&b, P3_LINE "\n", strlen(P3_LINE) + 1);
    struct run r;
    run_mem(&r, b.p, b.n);
    const struct ps_logs_file *f = ps_logs_ctx_file(r.ctx, 0);
    assert_int_equal(f->phys_lines, 3);
    assert_int_equal(f->bytes, b.n);
    const struct ps_diag *g = diag(&r, "longer than 1 MiB");
    assert_int_equal(g->line, 1);
    assert_int_equal(g->sev, PS_SEV_WARN);
    assert_non_null(strstr(diag(&r, "2 lines in all")->msg, "first at line 1"));
    /* Line 1 matched on its first MiB; line 2's text is past it; line 3 read. */
    assert_int_equal(ps_logs_ctx_nrecords(r.ctx), 2);
    assert_string_equal(sig_of(&r, 0), "P4.404");
    assert_int_equal(ps_logs_ctx_record(r.ctx, 0)->line, 1);
    assert_non_null(strstr(ps_logs_ctx_record(r.ctx, 0)->text, "bytes cut]"));
    assert_true(strlen(ps_logs_ctx_record(r.ctx, 0)->text) < PS_LOGS_MAX_MESSAGE + 64);
    assert_string_equal(sig_of(&r, 1), "P3");
    assert_int_equal(ps_logs_ctx_record(r.ctx, 1)->line, 3);
    run_free(&r);
    ps_buf_free(&b);
}

static void
test_nul_utf8_quote(void **state)
{
    (void)state;
    static const char input[] =
        "ts=2026-11-24T06:39:50Z level=info msg=\"ok\"\n"
        "ts=2026-11-24T06:39:51Z level=warn msg=\"Failed to send batch, retrying\" err=\"dial\0tcp: connection refused\"\n"
        "ts=2026-11-24T06:39:52Z level=warn msg=\"Failed to send batch, retrying\" err=\"\xff\xfe\xc3 connection refused\"\n"
        "ts=2026-11-24T06:39:53Z level=error msg=\"Failed to send batch, retrying\" err=\"connection refused\n"
        "ts=2026-11-24T06:39:54Z level=info msg=\"after\"\n";
    struct run r;
    run_mem(&r, input, sizeof(input) - 1);
    assert_int_equal(diag(&r, "NUL bytes")->line, 2);
    assert_int_equal(diag(&r, "invalid UTF-8")->line, 3);
    assert_int_equal(diag(&r, "unterminated quoted value")->line, 4);
    const struct ps_logs_file *f = ps_logs_ctx_file(r.ctx, 0);
    assert_int_equal(f->lines, 5);
    assert_int_equal(f->sig_count[ps_sigset_find(r.sigs, "P3")], 3);
    assert_null(memchr(ps_logs_ctx_record(r.ctx, 0)->text, 0, 1));
    assert_non_null(strstr(ps_logs_ctx_record(r.ctx, 1)->text, "\xEF\xBF\xBD"));
    run_free(&r);
}

static void
test_cri_partials(void **state)
{
    (void)state;
    struct ps_buf b = {0};
    ps_buf_printf(&b, "2026-11-24T07:00:00Z stdout F ts=2026-11-24T07:00:00Z level=info msg=start\n");
    /* 20 partial fragments of 100 KiB: 2 MB, more than the line limit. */
    char *frag = malloc(100 << 10);
    memset(frag, 'x', 100 << 10);
    for (int i = 0; i < 20; i++) {
        ps_buf_printf(&b, "2026-11-24T07:00:01.%03dZ stdout P ", i);
        ps_buf_append(&b, frag, 100 << 10);
        ps_buf_append(&b, "\n", 1);
    }
    free(frag);
    ps_buf_printf(&b, "2026-11-24T07:00:02Z stdout F end\n");
    ps_buf_printf(&b, "2026-11-24T07:00:03Z stderr F " P3_LINE "\n");
    ps_buf_printf(&b, "garbage that is not CRI\n");
    ps_buf_printf(&b, "2026-11-24T07:00:04Z stderr P ts=2026-11-24T07:00:04Z level=error msg=\"Failed to send batch, ret");
    struct run r;
    run_mem(&r, b.p, b.n);
    const struct ps_logs_file *f = ps_logs_ctx_file(r.ctx, 0);
    assert_int_equal(f->shape, PS_LSHAPE_CRI);
    assert_int_equal(f->phys_lines, 25);
    /* start, the joined 2 MB line, P3, garbage, the unclosed partial. */
    assert_int_equal(f->lines, 5);
    assert_int_equal(diag(&r, "longer than 1 MiB")->line, 12);
    assert_int_equal(diag(&r, "does not have the file's framing")->line, 24);
    const struct ps_diag *g = diag(&r, "never closed");
    assert_int_equal(g->line, 25);
    assert_int_equal(f->sig_count[ps_sigset_find(r.sigs, "P3")], 1);
    run_free(&r);
    ps_buf_free(&b);
}

static void
test_empty_and_json(void **state)
{
    (void)state;
    struct run r;
    run_mem(&r, "", 0);
    assert_int_equal(ps_logs_ctx_file(r.ctx, 0)->shape, PS_LSHAPE_EMPTY);
    assert_int_equal(ps_logs_ctx_file(r.ctx, 0)->lines, 0);
    assert_int_equal(r.d.n, 0);
    run_free(&r);
    run_mem(&r, "\n\n\r\n", 4);
    assert_int_equal(ps_logs_ctx_file(r.ctx, 0)->lines, 0);
    run_free(&r);
    static const char dj[] =
        "{\"log\":\"a\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-24T07:00:00Z\"}\n"
        "{\"log\":\"unterminated\n"
        "{\"stream\":\"stdout\"}\n";
    run_mem(&r, dj, sizeof(dj) - 1);
    assert_int_equal(diag(&r, "not valid JSON")->line, 2);
    assert_int_equal(diag(&r, "does not have the file's framing")->line, 3);
    run_free(&r);
    static const char hits[] = "{\n  \"hits\": {\"hits\": [ {\"_source\": 5}, \n";
    run_mem(&r, hits, sizeof(hits) - 1);
    assert_int_equal(ps_logs_ctx_file(r.ctx, 0)->shape, PS_LSHAPE_ES_HITS);
    assert_non_null(diag(&r, "not a JSON search response"));
    run_free(&r);
}

/* An OpenSearch document whose "log" is a raw CRI line (shipped without
 * a CRI parser) and has no @timestamp: the CRI time and body are used. */
static void
test_es_raw_cri(void **state)
{
    (void)state;
    static const char doc[] =
        "{\"log\":\"2026-11-24T16:05:00.5+09:00 stderr F open /wal/00000012: no space left on device\\n\","
        "\"kubernetes\":{\"pod_name\":\"p-1\",\"namespace_name\":\"ns\",\"container_name\":\"c\"}}\n";
    struct run r;
    run_mem(&r, doc, sizeof(doc) - 1);
    assert_int_equal(ps_logs_ctx_file(r.ctx, 0)->shape, PS_LSHAPE_ES_NDJSON);
    assert_int_equal(ps_logs_ctx_nrecords(r.ctx), 1);
    const struct ps_logs_record *x = ps_logs_ctx_record(r.ctx, 0);
    assert_string_equal(sig_of(&r, 0), "D1");
    assert_string_equal(x->text, "open /wal/00000012: no space left on device");
    assert_string_equal(x->pod, "p-1");
    assert_string_equal(x->ns, "ns");
    /* 16:05:00.5+09:00 = 07:05:00.500Z */
    assert_int_equal(x->t, (int64_t)1795503900500);
    run_free(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ten_mb_line),
        cmocka_unit_test(test_nul_utf8_quote),
        cmocka_unit_test(test_cri_partials),
        cmocka_unit_test(test_empty_and_json),
        cmocka_unit_test(test_es_raw_cri),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
