/* lock.c — the per-device lock manager (see lock.h). Waiters queue per flow (a job, or the
 * ad-hoc commands), in arrival order; a pump (run from a loop event) grants, one slot at a time
 * while the in-flight cap allows, the earliest waiter with a free device of the flow holding the
 * fewest slots (jobs only below the jobs' share), then delivers the grants. Per-device
 * exclusivity is the holder field; per-device order is arrival order within a flow. Not a
 * scheduler of work: it only says who may touch a device. */
#include "lock.h"
#include "clock.h"
#include "strmap.h"

#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

typedef struct lhost {
    nd_lock_req *holder;
    unsigned waiting;
    int64_t held_since;
    char name[];
} lhost;

typedef struct lflow lflow;

enum { RQ_WAITING, RQ_GRANTED, RQ_HELD };

struct nd_lock_req {
    lhost *h;
    lflow *f;
    char *owner;
    nd_lock_granted_cb cb;
    void *ud;
    int state;
    uint64_t seq;                  /* arrival order */
    TAILQ_ENTRY(nd_lock_req) link; /* in its flow's queue (WAITING) or readyq (GRANTED) */
};

TAILQ_HEAD(reqq, nd_lock_req);

struct lflow {
    int64_t job;        /* 0: ad-hoc commands */
    unsigned held, waiting;
    struct reqq q;      /* waiters, in arrival order */
    LIST_ENTRY(lflow) link;
};

struct nd_lockmgr {
    struct event_base *base;
    struct event *pump_ev;
    unsigned max;
    unsigned jobs_max;  /* what jobs together may hold */
    unsigned in_flight, jobs_held;
    unsigned waiting;
    uint64_t granted_total, seq;
    na_strmap *hosts;
    LIST_HEAD(, lflow) flows;
    struct reqq readyq;
};

static void pump_cb(evutil_socket_t fd, short what, void *arg);

nd_lockmgr *nd_lockmgr_new(struct event_base *base, unsigned max_in_flight)
{
    nd_lockmgr *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->base = base;
    m->max = max_in_flight;
    m->jobs_max = max_in_flight - max_in_flight / 8; /* the last eighth is not for jobs */
    LIST_INIT(&m->flows);
    TAILQ_INIT(&m->readyq);
    m->hosts = na_strmap_new();
    m->pump_ev = event_new(base, -1, 0, pump_cb, m);
    if (!m->hosts || !m->pump_ev) {
        nd_lockmgr_free(m);
        return NULL;
    }
    return m;
}

static void free_req(nd_lock_req *r)
{
    free(r->owner);
    free(r);
}

static void free_holder(const char *key, void *val, void *ud)
{
    (void)key;
    (void)ud;
    lhost *h = val;
    if (h->holder && h->holder->state == RQ_HELD)
        free_req(h->holder); /* GRANTED ones are freed from the ready queue */
    free(h);
}

void nd_lockmgr_free(nd_lockmgr *m)
{
    if (!m)
        return;
    nd_lock_req *r;
    lflow *f;
    while ((f = LIST_FIRST(&m->flows))) {
        while ((r = TAILQ_FIRST(&f->q))) {
            TAILQ_REMOVE(&f->q, r, link);
            free_req(r);
        }
        LIST_REMOVE(f, link);
        free(f);
    }
    while ((r = TAILQ_FIRST(&m->readyq))) {
        TAILQ_REMOVE(&m->readyq, r, link);
        free_req(r);
    }
    if (m->hosts) {
        na_strmap_each(m->hosts, free_holder, NULL);
        na_strmap_free(m->hosts);
    }
    if (m->pump_ev)
        event_free(m->pump_ev);
    free(m);
}

static void schedule_pump(nd_lockmgr *m)
{
    if (!event_pending(m->pump_ev, EV_TIMEOUT, NULL))
        event_active(m->pump_ev, EV_TIMEOUT, 0);
}

static lflow *flow_get(nd_lockmgr *m, int64_t job)
{
    lflow *f;
    LIST_FOREACH(f, &m->flows, link)
        if (f->job == job)
            return f;
    if (!(f = calloc(1, sizeof *f)))
        return NULL;
    f->job = job;
    TAILQ_INIT(&f->q);
    LIST_INSERT_HEAD(&m->flows, f, link);
    return f;
}

static void flow_maybe_free(lflow *f)
{
    if (f->held == 0 && f->waiting == 0) {
        LIST_REMOVE(f, link);
        free(f);
    }
}

static void maybe_drop_host(nd_lockmgr *m, lhost *h)
{
    if (!h->holder && !h->waiting)
        free(na_strmap_del(m->hosts, h->name));
}

nd_lock_req *nd_lockmgr_acquire(nd_lockmgr *m, const char *host, const char *owner, int64_t job,
                                nd_lock_granted_cb cb, void *ud)
{
    lhost *h = na_strmap_get(m->hosts, host);
    if (!h) {
        size_t n = strlen(host);
        h = calloc(1, sizeof *h + n + 1);
        if (!h)
            return NULL;
        memcpy(h->name, host, n + 1);
        if (na_strmap_put(m->hosts, host, h) < 0) {
            free(h);
            return NULL;
        }
    }
    lflow *f = flow_get(m, job > 0 ? job : 0);
    nd_lock_req *r = f ? calloc(1, sizeof *r) : NULL;
    if (!r || !(r->owner = strdup(owner ? owner : "?"))) {
        free(r);
        if (f)
            flow_maybe_free(f);
        maybe_drop_host(m, h);
        return NULL;
    }
    r->h = h;
    r->f = f;
    r->cb = cb;
    r->ud = ud;
    r->state = RQ_WAITING;
    r->seq = ++m->seq;
    h->waiting++;
    f->waiting++;
    m->waiting++;
    TAILQ_INSERT_TAIL(&f->q, r, link);
    schedule_pump(m);
    return r;
}

void nd_lockmgr_release(nd_lockmgr *m, nd_lock_req *r)
{
    if (!r)
        return;
    lhost *h = r->h;
    lflow *f = r->f;
    switch (r->state) {
    case RQ_WAITING:
        TAILQ_REMOVE(&f->q, r, link);
        h->waiting--;
        f->waiting--;
        m->waiting--;
        break;
    case RQ_GRANTED:
        TAILQ_REMOVE(&m->readyq, r, link);
        /* fall through */
    case RQ_HELD:
        h->holder = NULL;
        f->held--;
        if (f->job)
            m->jobs_held--;
        m->in_flight--;
        schedule_pump(m);
        break;
    }
    free_req(r);
    flow_maybe_free(f);
    maybe_drop_host(m, h);
}

/* The next request to grant: of the flows that may take a slot now, the one holding the fewest
 * (ties: the earliest request), its earliest waiter whose device is free. */
static nd_lock_req *next_grant(nd_lockmgr *m)
{
    nd_lock_req *best = NULL;
    unsigned best_held = 0;
    lflow *f;
    LIST_FOREACH(f, &m->flows, link) {
        if (!f->waiting || (f->job && m->max && m->jobs_held >= m->jobs_max))
            continue;
        if (best && f->held > best_held)
            continue;
        nd_lock_req *r;
        TAILQ_FOREACH(r, &f->q, link)
            if (!r->h->holder)
                break;
        if (r && (!best || f->held < best_held || r->seq < best->seq)) {
            best = r;
            best_held = f->held;
        }
    }
    return best;
}

static void pump_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    nd_lockmgr *m = arg;
    nd_lock_req *r;
    while ((m->max == 0 || m->in_flight < m->max) && (r = next_grant(m))) {
        lflow *f = r->f;
        TAILQ_REMOVE(&f->q, r, link);
        r->h->waiting--;
        f->waiting--;
        m->waiting--;
        r->h->holder = r;
        r->h->held_since = na_now_ms();
        r->state = RQ_GRANTED;
        f->held++;
        if (f->job)
            m->jobs_held++;
        m->in_flight++;
        m->granted_total++;
        TAILQ_INSERT_TAIL(&m->readyq, r, link);
    }
    /* Deliver one at a time: a callback may release (or acquire) anything. */
    while ((r = TAILQ_FIRST(&m->readyq))) {
        TAILQ_REMOVE(&m->readyq, r, link);
        r->state = RQ_HELD;
        r->cb(r, r->ud);
    }
}

const char *nd_lock_req_host(const nd_lock_req *req) { return req->h->name; }

void nd_lockmgr_stats(const nd_lockmgr *m, nd_lock_stats *out)
{
    out->held = m->in_flight;
    out->waiting = m->waiting;
    out->granted_total = m->granted_total;
}

json_t *nd_lockmgr_host_json(const nd_lockmgr *m, const char *host)
{
    lhost *h = na_strmap_get(m->hosts, host);
    if (!h || !h->holder)
        return json_pack("{s:n,s:n,s:i}", "holder", "held_ms", "waiting",
                         (json_int_t)(h ? h->waiting : 0));
    return json_pack("{s:s,s:I,s:i}", "holder", h->holder->owner, "held_ms",
                     (json_int_t)(na_now_ms() - h->held_since), "waiting", (json_int_t)h->waiting);
}
