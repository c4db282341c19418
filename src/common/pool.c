/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pool.c - worker threads for data-parallel loops (ps_pool.h).
 *
 * One job at a time. ps_pool_run publishes the job under the mutex and
 * bumps `gen`; each worker wakes, claims task indexes (under the mutex:
 * tasks are coarse, milliseconds each) until none is left, then counts
 * itself done. The caller claims tasks too and waits until every worker
 * has finished the job before returning, so fn and ctx never outlive it.
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include "promsight/ps_pool.h"

struct worker {
    struct ps_pool *p;
    size_t idx;                       /* 1.. (0 is the caller) */
    pthread_t th;
};

struct ps_pool {
    pthread_mutex_t mu;
    pthread_cond_t job_cv;            /* workers: a new job or stop */
    pthread_cond_t done_cv;           /* caller: a worker finished the job */
    struct worker w[PS_POOL_MAX];
    size_t nw;                        /* workers started */
    unsigned long gen;                /* job generation */
    int stop;
    void (*fn)(void *, size_t, size_t);
    void *ctx;
    size_t n, next, done;             /* tasks, next to claim, workers done */
};

/* Claim and run tasks of the current job until none is left. */
static void
drain(struct ps_pool *p, size_t thread)
{
    for (;;) {
        pthread_mutex_lock(&p->mu);
        size_t i = p->next < p->n ? p->next++ : p->n;
        pthread_mutex_unlock(&p->mu);
        if (i >= p->n)
            return;
        p->fn(p->ctx, i, thread);
    }
}

static void *
worker_main(void *arg)
{
    struct worker *w = arg;
    struct ps_pool *p = w->p;
    unsigned long seen = 0;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (!p->stop && p->gen == seen)
            pthread_cond_wait(&p->job_cv, &p->mu);
        if (p->stop) {
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
        seen = p->gen;
        pthread_mutex_unlock(&p->mu);
        drain(p, w->idx);
        pthread_mutex_lock(&p->mu);
        p->done++;
        pthread_cond_signal(&p->done_cv);
        pthread_mutex_unlock(&p->mu);
    }
}

int
ps_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus > 0 ? (int)(cpus < 4096 ? cpus : 4096) : 1;
}

struct ps_pool *
ps_pool_new(int nthreads)
{
    long want = nthreads;
    if (want <= 0)
        want = ps_cpus();
    if (want > PS_POOL_MAX)
        want = PS_POOL_MAX;
    struct ps_pool *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL;
    if (pthread_mutex_init(&p->mu, NULL) != 0) {
        free(p);
        return NULL;
    }
    pthread_cond_init(&p->job_cv, NULL);
    pthread_cond_init(&p->done_cv, NULL);
    for (long i = 1; i < want; i++) {
        struct worker *w = &p->w[p->nw];
        w->p = p;
        w->idx = p->nw + 1;
        if (pthread_create(&w->th, NULL, worker_main, w) != 0)
            break; /* run with the threads there are */
        p->nw++;
    }
    return p;
}

size_t
ps_pool_size(const struct ps_pool *p)
{
    return p != NULL ? p->nw + 1 : 1;
}

void
ps_pool_run(struct ps_pool *p, void (*fn)(void *ctx, size_t i, size_t thread), void *ctx,
            size_t n)
{
    if (p == NULL || p->nw == 0) {
        for (size_t i = 0; i < n; i++)
            fn(ctx, i, 0);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->ctx = ctx;
    p->n = n;
    p->next = 0;
    p->done = 0;
    p->gen++;
    pthread_cond_broadcast(&p->job_cv);
    pthread_mutex_unlock(&p->mu);
    drain(p, 0);
    pthread_mutex_lock(&p->mu);
    while (p->done < p->nw)
        pthread_cond_wait(&p->done_cv, &p->mu);
    p->fn = NULL;
    p->ctx = NULL;
    pthread_mutex_unlock(&p->mu);
}

void
ps_pool_free(struct ps_pool *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->job_cv);
    pthread_mutex_unlock(&p->mu);
    for (size_t i = 0; i < p->nw; i++)
        pthread_join(p->w[i].th, NULL);
    pthread_cond_destroy(&p->job_cv);
    pthread_cond_destroy(&p->done_cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
