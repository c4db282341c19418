/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pq_int.h - internals of promsight's PromQL subset, shared by the files of
 * src/rules/: the syntax tree the parser (pq_parse.c) builds, the values the
 * evaluator (pq_eval.c, pq_func.c) passes around, and the per-evaluation
 * bump allocator (pq_arena.c) that owns every intermediate value.
 *
 * Ownership: a tree is owned by its root (pq_node_free); strings in it are
 * malloc'd copies. Values made while evaluating one instant live in a
 * struct pq_arena and die at pq_arena_reset(); label strings in them are
 * either borrowed from the fact store (valid while it is not added to) or
 * copied into the arena.
 */
#ifndef PS_RULES_PQ_INT_H
#define PS_RULES_PQ_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "promsight/ps_err.h"
#include "promsight/ps_facts.h"

#define PQ_LOOKBACK_MS (5 * 60 * 1000)   /* staleness lookback of instant selectors */
#define PQ_MAX_DEPTH 200                 /* nesting limit of the parser */
#define PQ_ERRLEN 256

/* ---- arena ---- */
struct pq_arena_blk;
struct pq_arena {
    struct pq_arena_blk *head;
    size_t used_total;
};
void *pq_alloc(struct pq_arena *a, size_t n);          /* zeroed; NULL on OOM */
void *pq_alloc_array(struct pq_arena *a, size_t n, size_t elem);
/* Not zeroed: for arrays every used entry of which is written first. */
void *pq_alloc_nz(struct pq_arena *a, size_t n);
void *pq_alloc_array_nz(struct pq_arena *a, size_t n, size_t elem);
char *pq_strdup(struct pq_arena *a, const char *s, size_t n);
void pq_arena_reset(struct pq_arena *a);   /* keeps the first block */
void pq_arena_free(struct pq_arena *a);

/* Large buffers given back by one rule for the next to reuse (the
 * per-step grids of the selector caches are megabytes each; taking fresh
 * ones from the system for every rule costs page faults). Owned by the
 * evaluation of a rule set; NULL pools just malloc and free. */
#define PQ_POOL_SLOTS 16
struct pq_pool {
    struct {
        void *p;
        size_t cap;
    } b[PQ_POOL_SLOTS];
    size_t n;
};
/* A buffer of at least n bytes (not zeroed), its size in *cap. */
void *pq_pool_get(struct pq_pool *pl, size_t n, size_t *cap);
/* Give p (cap bytes, may be NULL) back; freed if the pool is full. */
void pq_pool_put(struct pq_pool *pl, void *p, size_t cap);
void pq_pool_free(struct pq_pool *pl);   /* frees every buffer held */

/* ---- syntax tree ---- */
enum pq_type { PQ_T_SCALAR, PQ_T_VECTOR, PQ_T_MATRIX, PQ_T_STRING };

enum pq_kind {
    PQ_NUM, PQ_STR, PQ_SEL, PQ_CALL, PQ_AGG, PQ_BIN, PQ_NEG
};

enum pq_mop { PQ_M_EQ, PQ_M_NE, PQ_M_RE, PQ_M_NRE };

struct pq_matcher {
    char *name;
    char *value;
    enum pq_mop op;
    pcre2_code *re;          /* anchored, for =~ and !~ */
};

enum pq_binop {
    PQ_OP_ADD, PQ_OP_SUB, PQ_OP_MUL, PQ_OP_DIV, PQ_OP_MOD, PQ_OP_POW,
    PQ_OP_EQ, PQ_OP_NE, PQ_OP_GT, PQ_OP_LT, PQ_OP_GE, PQ_OP_LE,
    PQ_OP_AND, PQ_OP_OR, PQ_OP_UNLESS
};

enum pq_card { PQ_CARD_ONE, PQ_CARD_MANY_ONE, PQ_CARD_ONE_MANY, PQ_CARD_MANY };

enum pq_aggop {
    PQ_AGG_SUM, PQ_AGG_MIN, PQ_AGG_MAX, PQ_AGG_AVG, PQ_AGG_COUNT,
    PQ_AGG_TOPK, PQ_AGG_BOTTOMK, PQ_AGG_GROUP, PQ_AGG_QUANTILE
};

struct pq_func {
    const char *name;
    enum pq_type ret;
    enum pq_type args[5];
    int nargs;          /* required */
    int nopt;           /* optional trailing args */
    int id;             /* enum pq_fn in pq_func.c */
};

struct pq_strlist {
    char **v;
    size_t n;
};

struct pq_node {
    enum pq_kind kind;
    enum pq_type type;
    uint32_t col;               /* 1-based column in the expression */
    /* PQ_NUM */
    double num;
    /* PQ_STR */
    char *str;
    /* PQ_SEL */
    char *metric;               /* NULL when only {...} */
    struct pq_matcher *m;       /* includes the __name__ matcher if any */
    size_t nm;
    int64_t range_ms;           /* > 0 for a range selector */
    int64_t offset_ms;
    uint32_t sel_idx;           /* index into the evaluator's selector cache */
    /* PQ_CALL */
    const struct pq_func *fn;
    struct pq_node **args;
    size_t nargs;
    /* PQ_AGG */
    enum pq_aggop agg;
    struct pq_node *param;      /* k of topk, q of quantile */
    struct pq_strlist grouping;
    int without;
    int has_grouping;
    /* PQ_BIN / PQ_NEG (lhs only) / PQ_AGG (lhs = expression) */
    enum pq_binop op;
    struct pq_node *lhs, *rhs;
    int ret_bool;
    enum pq_card card;
    int on;                     /* on(...) given (else ignoring) */
    int has_matching;           /* on/ignoring given at all */
    struct pq_strlist mlabels;  /* on/ignoring labels */
    struct pq_strlist include;  /* group_left/right labels */
};

/* A parsed expression with its selector count. */
struct pq_expr {
    struct pq_node *root;
    uint32_t nsel;
    char *src;
};

/*
 * Parse src (length n). On error returns PS_E_SYNTAX, fills err with a
 * message and *col with the 1-based column. *out is owned by the caller.
 */
enum ps_err pq_parse(const char *src, size_t n, struct pq_expr **out,
                     char *err, size_t errn, uint32_t *col);
void pq_expr_free(struct pq_expr *e);
const struct pq_func *pq_func_lookup(const char *name, size_t n);

/* Visit every selector: cb(sel, inside_absent, arg). */
void pq_walk_selectors(const struct pq_node *n, int in_absent,
                       void (*cb)(const struct pq_node *, int, void *),
                       void *arg);
/* Longest range selector (plus offset) in the tree, in ms. */
int64_t pq_max_range(const struct pq_node *n);

/* ---- values ---- */
struct pq_el {               /* one vector element */
    const struct ps_label *lab;
    uint32_t nlab;
    uint32_t sid;            /* series whose labels these are (perhaps without
                              * __name__), UINT32_MAX if computed */
    double v;
    int64_t t;               /* sample time (for timestamp()) */
};

struct pq_mel {              /* one matrix element */
    const struct ps_label *lab;
    uint32_t nlab;
    uint32_t sid;
    const struct ps_sample *s;
    size_t n;
};

typedef struct pq_value_ {
    enum pq_type type;
    double scalar;
    const char *str;
    struct pq_el *vec;
    struct pq_mel *mat;
    size_t n;
} pq_value;

/* ---- evaluation ---- */
struct pq_selser {           /* one matching series, borrowed from the store */
    const struct ps_label *lab;
    const struct ps_sample *s;
    size_t ns;
    uint32_t nlab;
    uint32_t id;
    int has_stale;           /* any stale marker among its samples */
    /* The labels without __name__, when that needs no copy (dl_ok). */
    const struct ps_label *dlab;
    uint32_t dnlab;
    int dl_ok;
    size_t hint;             /* sample index found at the last evaluation */
    size_t hint_lo;          /* first sample of the last range */
};

struct pq_selcache {
    int done;
    uint32_t *ids;           /* matching series, ordered by label set */
    struct pq_selser *ser;   /* same order */
    size_t n;
    int any_stale;
    /* Values precomputed for every step of the evaluation grid, step-major
     * (entry k * n + i): of the selector itself (instant) or of the
     * function that owns it (range). pre: 0 not tried, 1 ready, -1 no. */
    int pre;
    double *pv;
    int64_t *pt;
    uint8_t *pok;
    size_t pv_cap, pt_cap, pok_cap;   /* their sizes in bytes (for the pool) */
};

#ifndef PQ_PRECOMPUTE_MAX
#define PQ_PRECOMPUTE_MAX 4000000   /* steps x series kept per selector */
#endif

struct pq_ctx {
    const struct ps_facts *f;
    struct pq_arena *a;
    struct pq_selcache *cache;   /* expr->nsel entries, owned by the caller */
    uint32_t ncache;
    int64_t t;                   /* evaluation time, ms */
    /* The times the caller will evaluate at, if known in advance:
     * grid_t0 + k * grid_step for k < grid_n (0: unknown). Selectors and
     * range functions then compute all steps at once, series by series. */
    int64_t grid_t0, grid_step;
    size_t grid_n;
    struct pq_sigcache *sigc;    /* match signatures by series, or NULL */
    struct pq_pool *pool;        /* buffers to reuse, or NULL */
    char err[PQ_ERRLEN];
};

/* Match signatures of series (pq_labels_sig of their labels for one
 * names/on pair), remembered across steps: the hashing dominates vector
 * matching and grouping otherwise. Owned by whoever owns the pq_ctx. */
#define PQ_SIGCACHE_SLOTS 8
struct pq_sigcache {
    struct {
        const struct pq_strlist *names;
        int on;
        uint64_t *h;       /* by series id */
        uint64_t *h2;      /* a second, independent hash */
        uint8_t *have;
    } e[PQ_SIGCACHE_SLOTS];
    size_t nseries;
};
void pq_sigcache_free(struct pq_sigcache *sc);   /* NULL-safe */
/* Signature of an element, through the cache when it can be used. h2 is
 * a second independent hash, 0 when not known: two elements whose h and
 * h2 both agree are taken as equal without comparing labels (a false
 * match needs a 128-bit collision). */
struct pq_sig {
    uint64_t h, h2;
};
struct pq_sig pq_el_sig(struct pq_ctx *c, const struct pq_el *e,
                        const struct pq_strlist *names, int on);

/* Step index of ctx->t on the grid, or -1. */
ptrdiff_t pq_grid_step(const struct pq_ctx *c);
/* Selector cache entry of n (resolving it if needed); NULL + err on error. */
struct pq_selcache *pq_sel_cache(struct pq_ctx *c, const struct pq_node *n);

/* Prepare a cache for e: returns calloc'd array of e->nsel entries. */
struct pq_selcache *pq_cache_new(const struct pq_expr *e);
void pq_cache_free(struct pq_selcache *c, uint32_t n);
/* The same, giving the per-step grids to pool (may be NULL). */
void pq_cache_free_pool(struct pq_selcache *c, uint32_t n, struct pq_pool *pool);
/* Allocate the per-step grids of sc for ns x nser entries from c->pool:
 * pv, pok (zeroed) and, if with_t, pt. 0, or -1 on OOM. */
int pq_cache_grids(struct pq_ctx *c, struct pq_selcache *sc, size_t ncell, int with_t);

/* Evaluate e at ctx->t into *out (arena-owned). PS_E_EVAL + ctx->err on error. */
enum ps_err pq_eval(struct pq_ctx *ctx, const struct pq_expr *e, pq_value *out);
int pq_eval_node(struct pq_ctx *ctx, const struct pq_node *n, pq_value *out);
int pq_call(struct pq_ctx *ctx, const struct pq_node *n, pq_value *out);

/* ---- label sets ---- */
int pq_labels_cmp(const struct ps_label *a, uint32_t na,
                  const struct ps_label *b, uint32_t nb);
const char *pq_label_get(const struct ps_label *l, uint32_t n, const char *name);
/* Copy without __name__ into the arena. */
int pq_labels_drop_name(struct pq_arena *a, const struct ps_label *l, uint32_t n,
                        const struct ps_label **out, uint32_t *nout);
/* Copy with name set to value (value NULL or "" deletes). */
int pq_labels_set(struct pq_arena *a, const struct ps_label *l, uint32_t n,
                  const char *name, const char *value,
                  const struct ps_label **out, uint32_t *nout);
/* Hash of the labels selected by (names, on): on=1 keeps only names,
 * on=0 drops names and __name__. */
uint64_t pq_labels_sig(const struct ps_label *l, uint32_t n,
                       const struct pq_strlist *names, int on);
uint64_t pq_labels_sig_seed(const struct ps_label *l, uint32_t n,
                            const struct pq_strlist *names, int on, uint64_t seed);
int pq_labels_sig_eq(const struct ps_label *a, uint32_t na,
                     const struct ps_label *b, uint32_t nb,
                     const struct pq_strlist *names, int on);
/* Keep only / drop names (drop also removes __name__). */
int pq_labels_project(struct pq_arena *a, const struct ps_label *l, uint32_t n,
                      const struct pq_strlist *names, int on,
                      const struct ps_label **out, uint32_t *nout);
/* Format as metric{a="b",...} into buf (for tests and messages). */
void pq_labels_format(const struct ps_label *l, uint32_t n, char *buf, size_t len);

/* Prometheus' stale marker (inline: tested for every sample read). */
#define PQ_STALE_BITS 0x7ff0000000000002ULL
static inline int
pq_is_stale(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof(b));
    return b == PQ_STALE_BITS;
}
double pq_stale_nan(void);

#endif
