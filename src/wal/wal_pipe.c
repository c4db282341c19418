/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * wal_pipe.c - an ordered single-producer/single-consumer queue of WAL
 * records and corruption reports between the reading thread and one
 * worker thread (see wal_int.h).
 *
 * The producer appends messages to a fill buffer; at SLOT_BYTES it swaps
 * the buffer into one of NSLOTS slots (no copy) and the worker swaps it
 * out again, so memory is bounded by NSLOTS+2 buffers of about SLOT_BYTES
 * (a single record larger than that travels alone). Message layout in a
 * buffer: struct msg, then its payload (a record's msg.len bytes, or
 * msg.nrt struct wal_rt), padded to 8 bytes so every message and every
 * wal_rt array is aligned; back to back.
 */
#include "wal_int.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NSLOTS 4
_Static_assert(NSLOTS + 2 == WAL_PIPE_NBUF, "wal_int.h counts the buffers");
#define SLOT_BYTES ((size_t)512 << 10)

enum { MSG_REC, MSG_STORED, MSG_CORR, MSG_RT };

struct msg {
    int kind;
    size_t len, stored_len;
    enum ps_wal_compr compr;
    uint64_t offset, end_offset;
    unsigned nfragments;
    size_t nrt;                /* MSG_RT: samples following */
    uint64_t base_ref;         /* MSG_RT: struct wal_rt_batch's */
    int64_t base_t;
    uint64_t stale;
    int64_t min_t, max_t;
    struct ps_wal_corruption corr;
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
    return m->kind == MSG_REC || m->kind == MSG_STORED ? m->len
           : m->kind == MSG_RT ? m->nrt * sizeof(struct wal_rt) : 0;
}

struct wal_pipe {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv_data, cv_room;
    struct ps_buf slot[NSLOTS];
    size_t head, count;
    int done;
    struct ps_buf fill;      /* producer's */
    struct ps_buf work;      /* consumer's */
    wal_pipe_fn fn;
    void *ctx;
    size_t lost;             /* messages dropped for lack of memory */
    const uint8_t *reserved; /* wal_pipe_reserve's answer, or NULL */
    struct wal_pipe_bufs *keep; /* where the buffers go at the end */
};

static void
run_buffer(struct wal_pipe *p, const struct ps_buf *b)
{
    size_t off = 0;
    while (off + sizeof(struct msg) <= b->n) {
        struct msg m;
        memcpy(&m, b->p + off, sizeof(m));
        off += sizeof(m);
        const uint8_t *data = b->p + off;
        off += pad8(payload(&m));
        if (m.kind == MSG_CORR) {
            p->fn(p->ctx, NULL, &m.corr, NULL, 0);
            continue;
        }
        struct ps_wal_record r;
        memset(&r, 0, sizeof(r));
        r.len = m.len;
        r.stored_len = m.stored_len;
        r.compr = m.compr;
        r.offset = m.offset;
        r.end_offset = m.end_offset;
        r.nfragments = m.nfragments;
        if (m.kind != MSG_RT) {
            r.data = data;
            p->fn(p->ctx, &r, NULL, NULL, m.kind == MSG_STORED);
        } else {
            struct wal_rt_batch rb;
            rb.v = (const struct wal_rt *)(const void *)data;
            rb.n = m.nrt;
            rb.base_ref = m.base_ref;
            rb.base_t = m.base_t;
            rb.stale = m.stale;
            rb.min_t = m.min_t;
            rb.max_t = m.max_t;
            p->fn(p->ctx, &r, NULL, &rb, 0);
        }
    }
}

static void *
worker(void *arg)
{
    struct wal_pipe *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (p->count == 0 && !p->done)
            pthread_cond_wait(&p->cv_data, &p->mu);
        if (p->count == 0) {
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
        struct ps_buf t = p->slot[p->head];
        p->slot[p->head] = p->work;
        p->work = t;
        p->head = (p->head + 1) % NSLOTS;
        p->count--;
        pthread_cond_signal(&p->cv_room);
        pthread_mutex_unlock(&p->mu);
        run_buffer(p, &p->work);
        p->work.n = 0;
    }
}

struct wal_pipe *
wal_pipe_start(wal_pipe_fn fn, void *ctx, struct wal_pipe_bufs *keep)
{
    struct wal_pipe *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL;
    p->fn = fn;
    p->ctx = ctx;
    p->keep = keep;
    if (keep != NULL) {
        /* buffers of the previous segment: their pages are mapped already */
        for (int i = 0; i < NSLOTS; i++)
            p->slot[i] = keep->b[i];
        p->fill = keep->b[NSLOTS];
        p->work = keep->b[NSLOTS + 1];
        memset(keep, 0, sizeof(*keep));
    }
    if (pthread_mutex_init(&p->mu, NULL) != 0) {
        free(p);
        return NULL;
    }
    pthread_cond_init(&p->cv_data, NULL);
    pthread_cond_init(&p->cv_room, NULL);
    if (pthread_create(&p->th, NULL, worker, p) != 0) {
        pthread_cond_destroy(&p->cv_data);
        pthread_cond_destroy(&p->cv_room);
        pthread_mutex_destroy(&p->mu);
        free(p);
        return NULL;
    }
    return p;
}

static void
publish(struct wal_pipe *p)
{
    if (p->fill.n == 0)
        return;
    pthread_mutex_lock(&p->mu);
    while (p->count == NSLOTS)
        pthread_cond_wait(&p->cv_room, &p->mu);
    size_t tail = (p->head + p->count) % NSLOTS;
    struct ps_buf t = p->slot[tail];
    p->slot[tail] = p->fill;
    p->fill = t;
    p->fill.n = 0;
    p->count++;
    pthread_cond_signal(&p->cv_data);
    pthread_mutex_unlock(&p->mu);
}

/* Append; on allocation failure the message is counted as lost (the
 * caller reports PS_E_NOMEM). */
static void
push(struct wal_pipe *p, const struct msg *m, const uint8_t *data)
{
    size_t pl = payload(m);
    if (ps_buf_reserve(&p->fill, sizeof(*m) + pad8(pl)) != PS_OK) {
        p->lost++;
        return;
    }
    ps_buf_append(&p->fill, m, sizeof(*m));
    if (pl > 0)
        memcpy(p->fill.p + p->fill.n, data, pl);
    p->fill.n += pad8(pl);
    if (p->fill.n >= SLOT_BYTES)
        publish(p);
}

uint8_t *
wal_pipe_reserve(struct wal_pipe *p, size_t n)
{
    p->reserved = NULL;
    if (n > SIZE_MAX - sizeof(struct msg) - 8 ||
        ps_buf_reserve(&p->fill, sizeof(struct msg) + pad8(n)) != PS_OK)
        return NULL;
    uint8_t *at = p->fill.p + p->fill.n + sizeof(struct msg);
    p->reserved = at;
    return at;
}

/* A message header for record r (payload fields left to the caller). */
static void
msg_init(struct msg *m, const struct ps_wal_record *r, int kind)
{
    memset(m, 0, sizeof(*m));
    m->kind = kind;
    m->len = r->len;
    m->stored_len = r->stored_len;
    m->compr = r->compr;
    m->offset = r->offset;
    m->end_offset = r->end_offset;
    m->nfragments = r->nfragments;
}

/* Queue m with its payload data: in place when data is the slot reserved
   after the header (no copy), else copied. */
static void
queue_msg(struct wal_pipe *p, const struct msg *m, const uint8_t *data)
{
    if (data != NULL && data == p->reserved) {
        memcpy(p->fill.p + p->fill.n, m, sizeof(*m));
        p->fill.n += sizeof(*m) + pad8(payload(m));
        p->reserved = NULL;
        if (p->fill.n >= SLOT_BYTES)
            publish(p);
        return;
    }
    p->reserved = NULL;
    push(p, m, data);
}

static void
queue_record(struct wal_pipe *p, const struct ps_wal_record *r, int kind)
{
    struct msg m;
    msg_init(&m, r, kind);
    queue_msg(p, &m, r->data);
}

void
wal_pipe_record(struct wal_pipe *p, const struct ps_wal_record *r)
{
    queue_record(p, r, MSG_REC);
}

void
wal_pipe_stored(struct wal_pipe *p, const struct ps_wal_record *r)
{
    queue_record(p, r, MSG_STORED);
    publish(p);
}

struct wal_rt *
wal_pipe_reserve_rt(struct wal_pipe *p, size_t n)
{
    if (n > SIZE_MAX / 2 / sizeof(struct wal_rt))
        return NULL;
    return (struct wal_rt *)(void *)wal_pipe_reserve(p, n * sizeof(struct wal_rt));
}

void
wal_pipe_rt(struct wal_pipe *p, const struct ps_wal_record *r,
            const struct wal_rt_batch *b)
{
    struct msg m;
    msg_init(&m, r, MSG_RT);
    m.nrt = b->n;
    m.base_ref = b->base_ref;
    m.base_t = b->base_t;
    m.stale = b->stale;
    m.min_t = b->min_t;
    m.max_t = b->max_t;
    queue_msg(p, &m, (const uint8_t *)b->v);
}

size_t
wal_pipe_backlog(struct wal_pipe *p)
{
    pthread_mutex_lock(&p->mu);
    size_t n = p->count;
    pthread_mutex_unlock(&p->mu);
    return n;
}

void
wal_pipe_corruption(struct wal_pipe *p, const struct ps_wal_corruption *c)
{
    struct msg m;
    p->reserved = NULL;
    memset(&m, 0, sizeof(m));
    m.kind = MSG_CORR;
    m.corr = *c;
    m.corr.segment = NULL;
    push(p, &m, NULL);
}

size_t
wal_pipe_finish(struct wal_pipe *p)
{
    if (p == NULL)
        return 0;
    publish(p);
    pthread_mutex_lock(&p->mu);
    p->done = 1;
    pthread_cond_signal(&p->cv_data);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->th, NULL);
    struct ps_buf *all[WAL_PIPE_NBUF];
    for (int i = 0; i < NSLOTS; i++)
        all[i] = &p->slot[i];
    all[NSLOTS] = &p->fill;
    all[NSLOTS + 1] = &p->work;
    for (int i = 0; i < WAL_PIPE_NBUF; i++) {
        /* one that grew for a huge record is not kept */
        if (p->keep != NULL && all[i]->cap <= 2 * SLOT_BYTES) {
            p->keep->b[i] = *all[i];
            p->keep->b[i].n = 0;
        } else {
            ps_buf_free(all[i]);
        }
    }
    pthread_cond_destroy(&p->cv_data);
    pthread_cond_destroy(&p->cv_room);
    pthread_mutex_destroy(&p->mu);
    size_t lost = p->lost;
    free(p);
    return lost;
}
