/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ps_json.h - the small jansson helpers every JSON writer needs, defined
 * once: a string or null, an unsigned count, a number or null (JSON has
 * no NaN or infinity). Each returns a new reference (NULL only when
 * jansson is out of memory).
 */
#ifndef PS_JSON_H
#define PS_JSON_H

#include <jansson.h>
#include <math.h>
#include <stdint.h>

static inline json_t *
ps_json_str_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

/* Counts above INT64_MAX (json_int_t) wrap, as a cast does. */
static inline json_t *
ps_json_u64(uint64_t v)
{
    return json_integer((json_int_t)v);
}

static inline json_t *
ps_json_num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

#endif
