/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * report_int.h - private helpers shared by the report renderers.
 */
#ifndef PS_REPORT_INT_H
#define PS_REPORT_INT_H

#include <jansson.h>

#include "promsight/ps_report.h"

/*
 * A rendering in progress: the output, the reader's language, the first
 * error (sticky: later writes are skipped), and how bundle text is escaped
 * for this format (ps_md_escape, ps_html_escape).
 */
struct rp_out {
    struct ps_buf *o;
    enum ps_lang lang;
    enum ps_err e;
    enum ps_err (*escape)(struct ps_buf *out, const char *s);
};

/* Append s as is (markup). */
void rp_put(struct rp_out *w, const char *s);
/* Append bundle text s, escaped for the format. */
void rp_esc(struct rp_out *w, const char *s);

/*
 * Where in a file an item was found, from its "line"/"offset" members:
 * evidence prefers the line (":12", else "@4096"); problem lists prefer the
 * byte offset (" @4096", else ":12"). "" when neither is there.
 */
enum rp_where_style { RP_WHERE_LINE_FIRST, RP_WHERE_OFFSET_FIRST };
const char *rp_where(const json_t *o, enum rp_where_style st, char *buf, size_t n);

/* String member or "" (never NULL). */
const char *rp_str(const json_t *o, const char *key);
/* Text of a JSON scalar for a table cell: strings as is, numbers with %.6g,
 * booleans, null as "-". Writes into buf. */
const char *rp_cell(const json_t *v, char *buf, size_t n);
/* Localised member: key_ko when lang is Korean and present, else key. */
const char *rp_loc(const json_t *o, const char *key, enum ps_lang lang);
/* "critical" -> 0, "warning" -> 1, "info" -> 2, other -> 3 */
int rp_sev_rank(const char *sev);
/* The time of an evidence point ([time, value]: time as RFC 3339 text or
 * as ms) as RFC 3339 text in buf. */
void rp_point_time(const json_t *t, char *buf, size_t n);
/* "critical"/"warning"/"info" in lang (unknown values as given). */
const char *rp_sev_text(enum ps_lang lang, const char *sev);
/* 1 if the table is sorted (unit test). */
int ps_tr_table_sorted(void);

#endif
