/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * wal_chunks.c - a segment read on several threads: the calling thread
 * cuts the bytes into chunks (or, for a file, the workers make the
 * chunks' jobs themselves: wal_chunks_generate), worker threads turn each
 * chunk into messages (decoded records, corruption reports), and the
 * messages are applied to the statistics strictly in chunk order (see
 * wal_int.h).
 *
 * Ordering without a dedicated consumer thread: a worker that finishes a
 * chunk applies every finished chunk that is next in line, unless another
 * worker is already doing so (which then takes this one too). So no
 * thread waits for a turn, and the chunks are applied one at a time, in
 * order, each seeing the effects of the ones before (the mutex hands them
 * over). Memory: at most `cap` chunks are out at once (input and
 * messages); wal_chunks_job waits for one to come back, a worker making
 * a job waits for a free slot the same way.
 *
 * Message layout in a chunk's out buffer: struct msg, then its payload
 * (a record's msg.rec.len bytes, or msg.rt.n struct wal_rt), padded to 8
 * bytes so every message and every wal_rt array is aligned; back to back.
 */
#include "wal_int.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { MSG_REC, MSG_CORR, MSG_RT };

/* The record and the batch as the reader and decoder gave them, their
 * pointers (data, v) NULL: what they point to follows the message. */
struct msg {
    int kind;
    struct ps_wal_record rec;  /* MSG_REC, MSG_RT (len: the decoded record's) */
    struct wal_rt_batch rt;    /* MSG_RT */
    struct ps_wal_corruption corr; /* MSG_CORR (segment NULL) */
};
_Static_assert(sizeof(struct msg) % 8 == 0, "messages stay 8-byte aligned");

static inline size_t
pad8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

static size_t
payload(const struct msg *m)
{
    return m->kind == MSG_REC ? m->rec.len
           : m->kind == MSG_RT ? m->rt.n * sizeof(struct wal_rt) : 0;
}

/* ---- messages (one chunk's out buffer; one thread at a time) ---- */

uint8_t *
wal_msgs_reserve(struct ps_buf *b, size_t n)
{
    if (n > SIZE_MAX / 2 || ps_buf_reserve(b, sizeof(struct msg) + pad8(n)) != PS_OK)
        return NULL;
    return b->p + b->n + sizeof(struct msg);
}

struct wal_rt *
wal_msgs_reserve_rt(struct ps_buf *b, size_t n)
{
    if (n > SIZE_MAX / 4 / sizeof(struct wal_rt))
        return NULL;
    return (struct wal_rt *)(void *)wal_msgs_reserve(b, n * sizeof(struct wal_rt));
}

/* Append m and its payload: in place when data is where wal_msgs_reserve
 * said (no copy), else copied. -1 when out of memory. The room is checked
 * too: past the buffer's end, the address wal_msgs_reserve would give can
 * be another allocation's - a record the reader holds (found by
 * fuzz_wal_segment: a heap overflow). */
static int
put(struct ps_buf *b, const struct msg *m, const uint8_t *data)
{
    size_t pl = payload(m);
    if (data != NULL && b->p != NULL && data == b->p + b->n + sizeof(*m) &&
        b->cap - b->n >= sizeof(*m) + pad8(pl)) {
        memcpy(b->p + b->n, m, sizeof(*m));
        b->n += sizeof(*m) + pad8(pl);
        return 0;
    }
    if (ps_buf_reserve(b, sizeof(*m) + pad8(pl)) != PS_OK)
        return -1;
    memcpy(b->p + b->n, m, sizeof(*m));
    if (pl > 0 && data != NULL)
        memcpy(b->p + b->n + sizeof(*m), data, pl);
    b->n += sizeof(*m) + pad8(pl);
    return 0;
}

static void
msg_init(struct msg *m, const struct ps_wal_record *r, int kind)
{
    memset(m, 0, sizeof(*m));
    m->kind = kind;
    m->rec = *r;
    m->rec.data = NULL;
}

int
wal_msgs_record(struct ps_buf *b, const struct ps_wal_record *r)
{
    struct msg m;
    msg_init(&m, r, MSG_REC);
    return put(b, &m, r->data);
}

int
wal_msgs_rt(struct ps_buf *b, const struct ps_wal_record *r,
            const struct wal_rt_batch *rb)
{
    struct msg m;
    msg_init(&m, r, MSG_RT);
    m.rt = *rb;
    m.rt.v = NULL;
    return put(b, &m, (const uint8_t *)rb->v);
}

int
wal_msgs_corruption(struct ps_buf *b, const struct ps_wal_corruption *c)
{
    struct msg m;
    memset(&m, 0, sizeof(m));
    m.kind = MSG_CORR;
    m.corr = *c;
    m.corr.segment = NULL;
    return put(b, &m, NULL);
}

void
wal_msgs_run(const struct ps_buf *b, wal_msg_fn fn, void *ctx)
{
    size_t off = 0;
    while (off + sizeof(struct msg) <= b->n) {
        struct msg m;
        memcpy(&m, b->p + off, sizeof(m));
        off += sizeof(m);
        const uint8_t *data = b->p + off;
        off += pad8(payload(&m));
        if (m.kind == MSG_CORR) {
            fn(ctx, NULL, &m.corr, NULL);
            continue;
        }
        if (m.kind == MSG_REC) {
            m.rec.data = data;
            fn(ctx, &m.rec, NULL, NULL);
        } else {
            m.rt.v = (const struct wal_rt *)(const void *)data;
            fn(ctx, &m.rec, NULL, &m.rt); /* rec.data stays NULL */
        }
    }
}

/* ---- the pool ---- */

enum { JOB_FREE, JOB_QUEUED, JOB_RUNNING, JOB_DONE };

struct wal_chunks {
    pthread_mutex_t mu;
    pthread_cond_t cv_work;    /* a job queued, or stop */
    pthread_cond_t cv_back;    /* a job applied (its slot is free again) */
    pthread_cond_t cv_done;    /* every job applied, none left to make */
    pthread_t *th;
    unsigned nth;
    struct wal_job *jobs;      /* ring of cap slots, by sequence number */
    int *state;
    size_t cap;
    size_t submitted, started, applied; /* sequence numbers */
    int applying;              /* a worker is applying jobs */
    int stop;
    unsigned back_waiters;     /* threads waiting on cv_back */
    unsigned done_waiters;     /* ... on cv_done */
    wal_chunk_gen gen;         /* jobs the workers make (NULL: none) */
    void *gctx;
    wal_chunk_fn produce, apply;
    void *ctx;
};

struct worker_arg {
    struct wal_chunks *c;
    unsigned id;
};

/* Wake wal_chunks_drain's caller once all is done; with mu held. Only
 * then: a caller woken for every chunk would take a CPU from a worker
 * each time. */
static void
wake_done(struct wal_chunks *c)
{
    if (c->done_waiters > 0 && c->applied == c->submitted && c->gen == NULL)
        pthread_cond_broadcast(&c->cv_done);
}

/* Apply every finished job that is next in line; called with mu held. */
static void
apply_ready(struct wal_chunks *c)
{
    if (c->applying)
        return;
    c->applying = 1;
    while (c->applied < c->submitted && c->state[c->applied % c->cap] == JOB_DONE) {
        struct wal_job *j = &c->jobs[c->applied % c->cap];
        pthread_mutex_unlock(&c->mu);
        c->apply(c->ctx, 0, j);
        pthread_mutex_lock(&c->mu);
        c->state[c->applied % c->cap] = JOB_FREE;
        c->applied++;
        if (c->back_waiters > 0)
            pthread_cond_broadcast(&c->cv_back);
        if (c->gen != NULL)
            pthread_cond_signal(&c->cv_work); /* a slot for a worker's job */
    }
    c->applying = 0;
    wake_done(c);
}

/* The next job for a worker, called with mu held: a submitted one, or
 * one it makes with gen while a slot is free; NULL if there is none now.
 * The generator's end wakes whoever waits for the jobs to be done. */
static struct wal_job *
next_job(struct wal_chunks *c)
{
    if (c->started == c->submitted && c->gen != NULL &&
        c->submitted - c->applied < c->cap) {
        struct wal_job *j = &c->jobs[c->submitted % c->cap];
        j->in.n = 0;
        j->out.n = 0;
        j->seq = c->submitted;
        if (c->gen(c->gctx, j)) {
            c->state[c->submitted % c->cap] = JOB_QUEUED;
            c->submitted++;
        } else {
            c->gen = NULL;
            wake_done(c);
        }
    }
    if (c->started == c->submitted)
        return NULL;
    size_t seq = c->started++;
    c->state[seq % c->cap] = JOB_RUNNING;
    return &c->jobs[seq % c->cap];
}

static void *
worker(void *arg)
{
    struct worker_arg *wa = arg;
    struct wal_chunks *c = wa->c;
    unsigned id = wa->id;
    free(wa);
    pthread_mutex_lock(&c->mu);
    for (;;) {
        struct wal_job *j;
        while ((j = next_job(c)) == NULL && !c->stop)
            pthread_cond_wait(&c->cv_work, &c->mu);
        if (j == NULL)
            break; /* stop, nothing left */
        pthread_mutex_unlock(&c->mu);
        c->produce(c->ctx, id, j);
        pthread_mutex_lock(&c->mu);
        c->state[j->seq % c->cap] = JOB_DONE;
        apply_ready(c);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

struct wal_chunks *
wal_chunks_start(unsigned nthreads, wal_chunk_fn produce, wal_chunk_fn apply,
                 void *ctx)
{
    if (nthreads == 0)
        return NULL;
    struct wal_chunks *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->cap = 2 * (size_t)nthreads + 2;
    c->jobs = calloc(c->cap, sizeof(*c->jobs));
    c->state = calloc(c->cap, sizeof(*c->state));
    c->th = calloc(nthreads, sizeof(*c->th));
    c->produce = produce;
    c->apply = apply;
    c->ctx = ctx;
    if (c->jobs == NULL || c->state == NULL || c->th == NULL ||
        pthread_mutex_init(&c->mu, NULL) != 0) {
        free(c->jobs);
        free(c->state);
        free(c->th);
        free(c);
        return NULL;
    }
    pthread_cond_init(&c->cv_work, NULL);
    pthread_cond_init(&c->cv_back, NULL);
    pthread_cond_init(&c->cv_done, NULL);
    for (unsigned i = 0; i < nthreads; i++) {
        struct worker_arg *wa = malloc(sizeof(*wa));
        if (wa == NULL)
            break;
        wa->c = c;
        wa->id = i + 1; /* 0 is the calling thread */
        if (pthread_create(&c->th[i], NULL, worker, wa) != 0) {
            free(wa);
            break;
        }
        c->nth++;
    }
    if (c->nth == 0) {
        wal_chunks_stop(c);
        return NULL;
    }
    return c;
}

struct wal_job *
wal_chunks_job(struct wal_chunks *c)
{
    pthread_mutex_lock(&c->mu);
    c->back_waiters++;
    while (c->submitted - c->applied == c->cap)
        pthread_cond_wait(&c->cv_back, &c->mu);
    c->back_waiters--;
    struct wal_job *j = &c->jobs[c->submitted % c->cap];
    pthread_mutex_unlock(&c->mu);
    j->in.n = 0;
    j->out.n = 0;
    return j;
}

void
wal_chunks_submit(struct wal_chunks *c, struct wal_job *j)
{
    pthread_mutex_lock(&c->mu);
    j->seq = c->submitted;
    c->state[c->submitted % c->cap] = JOB_QUEUED;
    c->submitted++;
    pthread_cond_signal(&c->cv_work);
    pthread_mutex_unlock(&c->mu);
}

void
wal_chunks_drain(struct wal_chunks *c)
{
    pthread_mutex_lock(&c->mu);
    c->done_waiters++;
    while (c->applied != c->submitted || c->gen != NULL)
        pthread_cond_wait(&c->cv_done, &c->mu);
    c->done_waiters--;
    pthread_mutex_unlock(&c->mu);
}

void
wal_chunks_generate(struct wal_chunks *c, wal_chunk_gen gen, void *gctx)
{
    pthread_mutex_lock(&c->mu);
    c->gen = gen;
    c->gctx = gctx;
    pthread_cond_broadcast(&c->cv_work);
    pthread_mutex_unlock(&c->mu);
    wal_chunks_drain(c);
}

void
wal_chunks_stop(struct wal_chunks *c)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&c->mu);
    c->stop = 1;
    pthread_cond_broadcast(&c->cv_work);
    pthread_mutex_unlock(&c->mu);
    for (unsigned i = 0; i < c->nth; i++)
        pthread_join(c->th[i], NULL);
    for (size_t i = 0; i < c->cap; i++) {
        ps_buf_free(&c->jobs[i].in);
        ps_buf_free(&c->jobs[i].out);
    }
    pthread_cond_destroy(&c->cv_work);
    pthread_cond_destroy(&c->cv_back);
    pthread_cond_destroy(&c->cv_done);
    pthread_mutex_destroy(&c->mu);
    free(c->jobs);
    free(c->state);
    free(c->th);
    free(c);
}
