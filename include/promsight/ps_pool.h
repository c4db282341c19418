/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ps_pool.h - a small pool of worker threads for data-parallel loops:
 * run fn(ctx, i, thread) for every task i in [0, n), on the pool's threads
 * and the caller's, and return when all are done.
 *
 * Why a pool and not threads per loop: a command that analyses many TSDB
 * blocks starts its threads once, before it opens its input, instead of
 * once per block.
 *
 * Tasks are claimed in index order by whichever thread is free; which
 * thread runs a task is not deterministic, so callers keep per-task
 * results apart (and per-thread state indexed by `thread`) and merge them
 * in task order if order matters.
 *
 * Ownership: the caller owns the pool (ps_pool_free); fn and ctx are
 * borrowed for the duration of ps_pool_run. One ps_pool_run at a time.
 */
#ifndef PS_POOL_H
#define PS_POOL_H

#include <stddef.h>

struct ps_pool;

/*
 * A pool of nthreads threads counting the caller's (0: one per CPU,
 * ps_cpus(); at most PS_POOL_MAX). Threads that cannot be started are simply
 * not there. Never NULL on success; NULL only when out of memory, and
 * a NULL pool is valid everywhere below (the caller runs every task).
 */
#define PS_POOL_MAX 64
struct ps_pool *ps_pool_new(int nthreads);

/* CPUs this process may run on (its affinity mask, which a container's
 * cpuset narrows; else the online CPUs), at least 1. */
int ps_cpus(void);

/* Threads that run tasks, the caller's included (1 for a NULL pool). */
size_t ps_pool_size(const struct ps_pool *p);

/* fn(ctx, i, thread) for i in [0, n); thread < ps_pool_size(p), 0 = caller. */
void ps_pool_run(struct ps_pool *p, void (*fn)(void *ctx, size_t i, size_t thread),
                 void *ctx, size_t n);

void ps_pool_free(struct ps_pool *p);   /* NULL-safe; joins the threads */

#endif
