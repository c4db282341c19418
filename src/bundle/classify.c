/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * classify.c - what is this bundle entry? Decided from two independent
 * pieces of evidence, the path and the first bytes of content, so a
 * renamed file is still recognised and a misnamed one is caught.
 *
 * Path evidence follows the Prometheus/Thanos on-disk layout:
 *   .../wal/00000012                    wal_segment
 *   .../wal/checkpoint.00000007/00000000 checkpoint_segment
 *   .../wbl/00000003                    wbl_segment
 *   <ULID>/meta.json|index|tombstones   block_meta|block_index|block_tombstones
 *   <ULID>/chunks/000001                block_chunks
 *   chunks_head/000001                  head_chunks
 *   thanos.shipper.json, hashrings.json, *.log, *.prom, *.yml, api/NAME.json,
 *   *.tar.gz|*.zip|..., *.txt
 * (<ULID> is 26 characters of Crockford base32.)
 *
 * Content evidence (all integers big-endian):
 *   bytes 0..3 = 0xBAAAD700  block index       0x85BD40DD  block chunks
 *              = 0x0130BC91  head chunks       0x0130BA30  tombstones
 *   gzip 1F 8B, zstd 28 B5 2F FD, xz FD 37 7A 58 5A 00, bzip2 "BZh",
 *   zip "PK\3\4"/"PK\5\6", tar "ustar" at 257            archive
 *   WAL/WBL/checkpoint segments have no magic. The first page starts with
 *   a fragment header:
 *     byte 0    type: bits 0-2 record type 1..4, bit 3 snappy, bit 4 zstd,
 *               bits 5-7 zero
 *     bytes 1-2 payload length (1..32761, must lie inside the head)
 *     bytes 3-6 CRC32C of the payload
 *   and is only accepted when the CRC matches.
 *   Text: JSON keys ("ulid"+"minTime" meta, "uploaded" shipper,
 *   "status"+"data" API, "apiVersion"+"kind" Kubernetes, array of objects
 *   with "endpoints" hashring), log line shapes (logfmt, JSON lines, CRI,
 *   klog, RFC 3339 prefix), exposition text, YAML.
 *
 * Combination: agreeing evidence gives "path+content"; a specific content
 * finding beats the path ("content"), and `conflict` is set when the path
 * evidence was specific too, so the walker can note the mismatch.
 */
#include <ctype.h>
#include <string.h>

#include "bundle/bundle_int.h"
#include "promsight/ps_crc32c.h"
#include "promsight/ps_dec.h"

#define MAGIC_INDEX 0xBAAAD700u
#define MAGIC_CHUNKS 0x85BD40DDu
#define MAGIC_HEAD_CHUNKS 0x0130BC91u
#define MAGIC_TOMBSTONES 0x0130BA30u

#define WAL_FRAG_HDR 7
#define WAL_MAX_FRAG 32761u

static const char *const kind_names[PS_KIND__COUNT] = {
    [PS_KIND_UNKNOWN] = "unknown",
    [PS_KIND_WAL_SEGMENT] = "wal_segment",
    [PS_KIND_CHECKPOINT_SEGMENT] = "checkpoint_segment",
    [PS_KIND_WBL_SEGMENT] = "wbl_segment",
    [PS_KIND_BLOCK_META] = "block_meta",
    [PS_KIND_BLOCK_INDEX] = "block_index",
    [PS_KIND_BLOCK_CHUNKS] = "block_chunks",
    [PS_KIND_BLOCK_TOMBSTONES] = "block_tombstones",
    [PS_KIND_HEAD_CHUNKS] = "head_chunks",
    [PS_KIND_SHIPPER_META] = "shipper_meta",
    [PS_KIND_LOG] = "log",
    [PS_KIND_METRIC_DUMP] = "metric_dump",
    [PS_KIND_API_JSON] = "api_json",
    [PS_KIND_CONFIG] = "config",
    [PS_KIND_HASHRING] = "hashring",
    [PS_KIND_K8S_OBJECT] = "k8s_object",
    [PS_KIND_ARCHIVE] = "archive",
    [PS_KIND_TEXT] = "text",
};

const char *
ps_kind_name(enum ps_kind k)
{
    if ((unsigned)k >= PS_KIND__COUNT || kind_names[k] == NULL)
        return "unknown";
    return kind_names[k];
}

const char *
ps_entry_type_name(enum ps_entry_type t)
{
    switch (t) {
    case PS_ET_FILE: return "file";
    case PS_ET_DIR: return "dir";
    case PS_ET_SYMLINK: return "symlink";
    case PS_ET_HARDLINK: return "hardlink";
    case PS_ET_DEVICE: return "device";
    case PS_ET_OTHER: return "other";
    }
    return "other";
}

/* ---------------------------------------------------------------- path */

static int
all_digits(const char *s, size_t n)
{
    if (n == 0 || n > 20)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* Crockford base32 as ULIDs use it (upper case, no I L O U). */
static int
is_ulid(const char *s, size_t n)
{
    if (n != 26)
        return 0;
    if (s[0] < '0' || s[0] > '7')      /* 128-bit value: first char <= 7 */
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
        if (!ok || c == 'I' || c == 'L' || c == 'O' || c == 'U')
            return 0;
    }
    return 1;
}

static int
ends_with(const char *s, size_t n, const char *suf)
{
    size_t m = strlen(suf);
    if (n < m)
        return 0;
    for (size_t i = 0; i < m; i++)
        if (tolower((unsigned char)s[n - m + i]) != suf[i])
            return 0;
    return 1;
}

static int
comp_is(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/* "checkpoint.N" (N digits) */
static int
is_checkpoint_dir(const char *s, size_t n)
{
    return n > 11 && memcmp(s, "checkpoint.", 11) == 0 &&
           all_digits(s + 11, n - 11);
}

static const char *const archive_suffixes[] = {
    ".tar", ".tgz", ".tar.gz", ".gz", ".zst", ".zstd", ".xz", ".txz",
    ".bz2", ".tbz2", ".zip", ".7z", ".lz4",
};

/* Kind by path alone; *strong says whether it is specific evidence. */
static enum ps_kind
classify_path(const char *path, int *strong)
{
    /* Split the last three components: gp/parent/base. */
    const char *c[3] = {NULL, NULL, NULL};
    size_t cl[3] = {0, 0, 0};
    size_t len = strlen(path);
    size_t end = len;
    int found = 0;
    for (int k = 2; k >= 0 && end > 0; k--) {
        size_t st = end;
        while (st > 0 && path[st - 1] != '/')
            st--;
        c[k] = path + st;
        cl[k] = end - st;
        found++;
        if (st == 0)
            break;
        end = st - 1;
    }
    *strong = 1;
    if (found == 0 || cl[2] == 0)
        return *strong = 0, PS_KIND_UNKNOWN;
    const char *base = c[2];
    size_t bl = cl[2];
    const char *par = c[1];
    size_t pl = cl[1];

    if (par != NULL && all_digits(base, bl)) {
        if (comp_is(par, pl, "wal"))
            return PS_KIND_WAL_SEGMENT;
        if (comp_is(par, pl, "wbl"))
            return PS_KIND_WBL_SEGMENT;
        if (is_checkpoint_dir(par, pl))
            return PS_KIND_CHECKPOINT_SEGMENT;
        if (comp_is(par, pl, "chunks_head"))
            return PS_KIND_HEAD_CHUNKS;
        if (comp_is(par, pl, "chunks") && c[0] != NULL && is_ulid(c[0], cl[0]))
            return PS_KIND_BLOCK_CHUNKS;
    }
    if (par != NULL && is_ulid(par, pl)) {
        if (comp_is(base, bl, "meta.json"))
            return PS_KIND_BLOCK_META;
        if (comp_is(base, bl, "index"))
            return PS_KIND_BLOCK_INDEX;
        if (comp_is(base, bl, "tombstones"))
            return PS_KIND_BLOCK_TOMBSTONES;
    }
    if (comp_is(base, bl, "thanos.shipper.json"))
        return PS_KIND_SHIPPER_META;
    if (comp_is(base, bl, "hashrings.json") || comp_is(base, bl, "hashring.json"))
        return PS_KIND_HASHRING;
    for (size_t i = 0; i < sizeof(archive_suffixes) / sizeof(archive_suffixes[0]); i++)
        if (ends_with(base, bl, archive_suffixes[i]))
            return PS_KIND_ARCHIVE;
    if (ends_with(base, bl, ".log"))
        return PS_KIND_LOG;
    /* rotated logs: x.log.1 */
    for (size_t i = bl; i > 0; i--) {
        if (base[i - 1] == '.') {
            if (i < bl && all_digits(base + i, bl - i) &&
                ends_with(base, i - 1, ".log"))
                return PS_KIND_LOG;
            break;
        }
    }
    if (ends_with(base, bl, ".prom") || ends_with(base, bl, ".om") ||
        ends_with(base, bl, ".metrics"))
        return PS_KIND_METRIC_DUMP;
    if (par != NULL && ends_with(base, bl, ".json") &&
        (comp_is(par, pl, "api") || comp_is(par, pl, "api-json")))
        return PS_KIND_API_JSON;
    if (par != NULL && (comp_is(par, pl, "logs") || comp_is(par, pl, "log")) &&
        ends_with(base, bl, ".txt"))
        return PS_KIND_LOG;

    /* Weak hints: a content finding may refine these silently. */
    *strong = 0;
    if (ends_with(base, bl, ".yml") || ends_with(base, bl, ".yaml"))
        return PS_KIND_CONFIG;
    if (ends_with(base, bl, ".txt") || ends_with(base, bl, ".md") ||
        comp_is(base, bl, "README"))
        return PS_KIND_TEXT;
    return PS_KIND_UNKNOWN;
}

/* ------------------------------------------------------------- content */

static int
wal_first_fragment(const uint8_t *h, size_t n)
{
    if (n < WAL_FRAG_HDR)
        return 0;
    uint8_t t = h[0];
    if ((t & 0xE0) != 0 || (t & 0x18) == 0x18)
        return 0;
    uint8_t rt = t & 0x07;
    if (rt < 1 || rt > 4)
        return 0;
    uint32_t len = ps_get_be16(h + 1);
    if (len == 0 || len > WAL_MAX_FRAG || (size_t)len > n - WAL_FRAG_HDR)
        return 0;
    return ps_crc32c(h + WAL_FRAG_HDR, len) == ps_get_be32(h + 3);
}

static int
has_bytes(const uint8_t *h, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    if (m == 0 || n < m)
        return 0;
    const uint8_t *p = h;
    const uint8_t *end = h + n;
    while ((size_t)(end - p) >= m) {
        const uint8_t *q = memchr(p, lit[0], (size_t)(end - p) - m + 1);
        if (q == NULL)
            return 0;
        if (memcmp(q, lit, m) == 0)
            return 1;
        p = q + 1;
    }
    return 0;
}

/* Text: no NUL and few control bytes in the head. */
static int
looks_text(const uint8_t *h, size_t n)
{
    size_t ctl = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = h[i];
        if (c == 0)
            return 0;
        if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' &&
            c != 0x1b)
            ctl++;
    }
    return ctl * 100 <= n;
}

/* Next line [*ls, *le) starting at *pos; returns 0 at the end. Lines that
 * run past the head (cut off) are still returned. */
static int
next_line(const uint8_t *h, size_t n, size_t *pos, const uint8_t **ls,
          size_t *ll)
{
    while (*pos < n) {
        size_t s = *pos;
        const uint8_t *nl = memchr(h + s, '\n', n - s);
        size_t e = nl != NULL ? (size_t)(nl - h) : n;
        *pos = nl != NULL ? e + 1 : n;
        size_t l = e - s;
        if (l > 0 && h[s + l - 1] == '\r')
            l--;
        if (l == 0)
            continue;
        *ls = h + s;
        *ll = l;
        return 1;
    }
    return 0;
}

static int
starts(const uint8_t *l, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    return n >= m && memcmp(l, lit, m) == 0;
}

static int
dig(uint8_t c)
{
    return c >= '0' && c <= '9';
}

/* "2026-11-24T06:34:44" at l (date, 'T' or ' ', time). */
static int
rfc3339_prefix(const uint8_t *l, size_t n)
{
    if (n < 19)
        return 0;
    return dig(l[0]) && dig(l[1]) && dig(l[2]) && dig(l[3]) && l[4] == '-' &&
           dig(l[5]) && dig(l[6]) && l[7] == '-' && dig(l[8]) && dig(l[9]) &&
           (l[10] == 'T' || l[10] == ' ') && dig(l[11]) && dig(l[12]) &&
           l[13] == ':' && dig(l[14]) && dig(l[15]) && l[16] == ':' &&
           dig(l[17]) && dig(l[18]);
}

static int
mem_has(const uint8_t *l, size_t n, const char *lit)
{
    return has_bytes(l, n, lit);
}

/* One log line shape. */
static int
log_line(const uint8_t *l, size_t n)
{
    if (starts(l, n, "ts=") || starts(l, n, "level=") || starts(l, n, "time=") ||
        starts(l, n, "t="))
        return mem_has(l, n, "level=") || mem_has(l, n, "msg=") ||
               mem_has(l, n, "lvl=");
    if (l[0] == '{')
        return (mem_has(l, n, "\"level\"") || mem_has(l, n, "\"lvl\"")) &&
               (mem_has(l, n, "\"msg\"") || mem_has(l, n, "\"message\""));
    /* klog: I1124 06:34:44.123456 */
    if (n >= 14 && (l[0] == 'I' || l[0] == 'W' || l[0] == 'E' || l[0] == 'F') &&
        dig(l[1]) && dig(l[2]) && dig(l[3]) && dig(l[4]) && l[5] == ' ' &&
        dig(l[6]) && dig(l[7]) && l[8] == ':')
        return 1;
    /* CRI: 2026-11-24T06:34:44.1Z stdout F ...; kubectl --timestamps:
     * "2026-...Z ts=..."; plain RFC 3339 prefixed lines with level words. */
    if (rfc3339_prefix(l, n)) {
        const uint8_t *sp = memchr(l, ' ', n);
        if (sp == NULL)
            return 0;
        size_t rest = n - (size_t)(sp + 1 - l);
        const uint8_t *r = sp + 1;
        if (starts(r, rest, "stdout ") || starts(r, rest, "stderr "))
            return 1;
        return mem_has(r, rest, "level=") || mem_has(r, rest, "msg=") ||
               mem_has(r, rest, "\"level\"") || mem_has(r, rest, "INFO") ||
               mem_has(r, rest, "WARN") || mem_has(r, rest, "ERROR") ||
               mem_has(r, rest, "info") || mem_has(r, rest, "warn") ||
               mem_has(r, rest, "error");
    }
    return 0;
}

static int
metric_name_char(uint8_t c, int first)
{
    return isalpha(c) || c == '_' || c == ':' || (!first && dig(c));
}

/* "name{...} value [ts]" or "name value [ts]" */
static int
sample_line(const uint8_t *l, size_t n)
{
    size_t i = 0;
    if (n == 0 || !metric_name_char(l[0], 1))
        return 0;
    while (i < n && metric_name_char(l[i], i == 0))
        i++;
    if (i < n && l[i] == '{') {
        const uint8_t *cb = memchr(l + i, '}', n - i);
        if (cb == NULL)
            return 0;
        i = (size_t)(cb - l) + 1;
    }
    if (i >= n || l[i] != ' ')
        return 0;
    i++;
    size_t vs = i;
    while (i < n && l[i] != ' ') {
        uint8_t c = l[i];
        if (!(dig(c) || c == '.' || c == '-' || c == '+' || c == 'e' ||
              c == 'E' || c == 'I' || c == 'n' || c == 'f' || c == 'N' ||
              c == 'a'))
            return 0;
        i++;
    }
    return i > vs;
}

/* YAML mapping key, possibly indented or a list item: "key:" followed by
 * a space or the end of the line. *col0 says it started at column 0. */
static int
yaml_key_line(const uint8_t *l, size_t n, int *col0)
{
    size_t i = 0;
    while (i < n && l[i] == ' ')
        i++;
    *col0 = i == 0;
    if (i + 1 < n && l[i] == '-' && l[i + 1] == ' ')
        i += 2;
    size_t ks = i;
    while (i < n && (isalnum(l[i]) || l[i] == '_' || l[i] == '-' || l[i] == '.'))
        i++;
    if (i == ks || i >= n || l[i] != ':')
        return 0;
    return i + 1 == n || l[i + 1] == ' ';
}

static enum ps_kind
classify_json(const uint8_t *h, size_t n, size_t first, int *strong)
{
    *strong = 1;
    if (h[first] == '{') {
        if (has_bytes(h, n, "\"ulid\"") && has_bytes(h, n, "\"minTime\""))
            return PS_KIND_BLOCK_META;
        if (has_bytes(h, n, "\"uploaded\""))
            return PS_KIND_SHIPPER_META;
        if (has_bytes(h, n, "\"apiVersion\"") &&
            (has_bytes(h, n, "\"kind\"") || has_bytes(h, n, "\"items\"")))
            return PS_KIND_K8S_OBJECT;
        if (has_bytes(h, n, "\"status\"") &&
            (has_bytes(h, n, "\"data\"") || has_bytes(h, n, "\"errorType\"")))
            return PS_KIND_API_JSON;
        /* JSON lines logs */
        size_t pos = first;
        const uint8_t *l;
        size_t ll;
        if (next_line(h, n, &pos, &l, &ll) && log_line(l, ll))
            return PS_KIND_LOG;
    } else {
        size_t i = first + 1;
        while (i < n && isspace(h[i]))
            i++;
        if (i < n && h[i] == '{' && has_bytes(h, n, "\"endpoints\""))
            return PS_KIND_HASHRING;
    }
    *strong = 0;
    return PS_KIND_TEXT;
}

static enum ps_kind
classify_text(const uint8_t *h, size_t n, int *strong)
{
    size_t first = 0;
    if (n >= 3 && h[0] == 0xEF && h[1] == 0xBB && h[2] == 0xBF)
        first = 3;
    while (first < n && isspace(h[first]))
        first++;
    if (first >= n)
        return *strong = 0, PS_KIND_UNKNOWN;
    if (h[first] == '{' || h[first] == '[')
        return classify_json(h, n, first, strong);

    *strong = 1;
    size_t pos = first;
    const uint8_t *l;
    size_t ll;
    int lines = 0, logs = 0, samples = 0, meta = 0, yaml = 0, comments = 0;
    int api_version = 0, kind = 0, yaml_first = 0;
    while (lines < 20 && next_line(h, n, &pos, &l, &ll)) {
        lines++;
        int col0 = 0;
        if (l[0] == '#' && !starts(l, ll, "# HELP ") &&
            !starts(l, ll, "# TYPE ") && !starts(l, ll, "# UNIT ") &&
            !starts(l, ll, "# EOF")) {
            comments++;    /* YAML/shell comment: neutral */
            continue;
        }
        if (starts(l, ll, "# HELP ") || starts(l, ll, "# TYPE ") ||
            starts(l, ll, "# UNIT ") || starts(l, ll, "# EOF"))
            meta++;
        else if (log_line(l, ll))
            logs++;
        else if (sample_line(l, ll))
            samples++;
        if (yaml_key_line(l, ll, &col0) || (lines - comments == 1 &&
                                              starts(l, ll, "---"))) {
            yaml++;
            if (lines - comments == 1 && (col0 || starts(l, ll, "---")))
                yaml_first = 1;
        }
        if (starts(l, ll, "apiVersion:") || starts(l, ll, "- apiVersion:"))
            api_version = 1;
        if (starts(l, ll, "kind:") || starts(l, ll, "  kind:"))
            kind = 1;
    }
    if (lines == comments) {
        *strong = 0;
        return lines == 0 ? PS_KIND_UNKNOWN : PS_KIND_TEXT;
    }
    lines -= comments;
    if (api_version && kind)
        return PS_KIND_K8S_OBJECT;
    if (logs * 2 >= lines)
        return PS_KIND_LOG;
    if (meta > 0 && meta + samples >= lines - lines / 4)
        return PS_KIND_METRIC_DUMP;
    if (samples * 4 >= lines * 3 && samples >= 1 && meta == 0 && lines >= 1 &&
        logs == 0)
        return PS_KIND_METRIC_DUMP;
    *strong = 0;
    if (yaml_first && yaml * 2 >= lines)
        return PS_KIND_CONFIG;
    return PS_KIND_TEXT;
}

static enum ps_kind
classify_content(const uint8_t *h, size_t n, int *strong)
{
    *strong = 1;
    if (h == NULL || n == 0)
        return *strong = 0, PS_KIND_UNKNOWN;
    if (n >= 4) {
        switch (ps_get_be32(h)) {
        case MAGIC_INDEX: return PS_KIND_BLOCK_INDEX;
        case MAGIC_CHUNKS: return PS_KIND_BLOCK_CHUNKS;
        case MAGIC_HEAD_CHUNKS: return PS_KIND_HEAD_CHUNKS;
        case MAGIC_TOMBSTONES: return PS_KIND_BLOCK_TOMBSTONES;
        default: break;
        }
    }
    if ((n >= 2 && h[0] == 0x1F && h[1] == 0x8B) ||
        (n >= 4 && memcmp(h, "\x28\xB5\x2F\xFD", 4) == 0) ||
        (n >= 6 && memcmp(h, "\xFD" "7zXZ\0", 6) == 0) ||
        (n >= 4 && (memcmp(h, "PK\3\4", 4) == 0 || memcmp(h, "PK\5\6", 4) == 0)) ||
        (n >= 3 && memcmp(h, "BZh", 3) == 0 && n >= 4 && dig(h[3])) ||
        (n >= 6 && memcmp(h, "7z\xBC\xAF\x27\x1C", 6) == 0) ||
        (n >= 262 && memcmp(h + 257, "ustar", 5) == 0))
        return PS_KIND_ARCHIVE;
    if (wal_first_fragment(h, n))
        return PS_KIND_WAL_SEGMENT;
    if (looks_text(h, n))
        return classify_text(h, n, strong);
    *strong = 0;
    return PS_KIND_UNKNOWN;
}

/* Path kind p and content kind c describe the same thing. */
static int
compatible(enum ps_kind p, enum ps_kind c)
{
    if (p == c)
        return 1;
    if (c == PS_KIND_WAL_SEGMENT)
        return p == PS_KIND_CHECKPOINT_SEGMENT || p == PS_KIND_WBL_SEGMENT;
    return 0;
}

void
ps_classify_ex(const char *path, const uint8_t *head, size_t n,
               struct ps_class *c)
{
    int ps = 0, cs = 0;
    c->by_path = path != NULL ? classify_path(path, &ps) : PS_KIND_UNKNOWN;
    c->by_content = classify_content(head, n, &cs);
    c->conflict = 0;
    enum ps_kind p = c->by_path, k = c->by_content;

    if (p == PS_KIND_UNKNOWN && k == PS_KIND_UNKNOWN) {
        c->kind = PS_KIND_UNKNOWN;
        c->by = "none";
    } else if (k == PS_KIND_UNKNOWN) {
        c->kind = p;
        c->by = "path";
    } else if (p == PS_KIND_UNKNOWN) {
        c->kind = k;
        c->by = "content";
    } else if (compatible(p, k)) {
        c->kind = p;
        c->by = "path+content";
    } else if (cs) {
        /* Specific content wins over the name. */
        c->kind = k;
        c->by = "content";
        c->conflict = ps;
    } else {
        /* Content only says "text"/"YAML-ish": the path is more specific. */
        c->kind = p;
        c->by = "path";
    }
}

enum ps_kind
ps_classify(const char *path, const uint8_t *head, size_t n, const char **by)
{
    struct ps_class c;
    ps_classify_ex(path, head, n, &c);
    if (by != NULL)
        *by = c.by;
    return c.kind;
}
