/* lock.c — the per-device lock manager (see lock.h). One global wait queue in arrival order;
 * a pump (run from a loop event) grants, in order, every waiter whose device is free while the
 * in-flight cap allows, then delivers the grants. Per-device FIFO follows from the global order:
 * a later waiter for a device can only be reached after the earlier one was granted (and the
 * device is then held). Not a scheduler of work: it only says who may touch a device. */
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

enum { RQ_WAITING, RQ_GRANTED, RQ_HELD };

struct nd_lock_req {
    lhost *h;
    char *owner;
    nd_lock_granted_cb cb;
    void *ud;
    int state;
    TAILQ_ENTRY(nd_lock_req) link; /* in waitq (WAITING) or readyq (GRANTED) */
};

TAILQ_HEAD(reqq, nd_lock_req);

struct nd_lockmgr {
    struct event_base *base;
    struct event *pump_ev;
    unsigned max;
    unsigned in_flight;
    unsigned waiting;
    uint64_t granted_total;
    na_strmap *hosts;
    struct reqq waitq;
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
    TAILQ_INIT(&m->waitq);
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
        free_req(h->holder); /* GRANTED ones were freed from the ready queue */
    free(h);
}

void nd_lockmgr_free(nd_lockmgr *m)
{
    if (!m)
        return;
    nd_lock_req *r;
    while ((r = TAILQ_FIRST(&m->waitq))) {
        TAILQ_REMOVE(&m->waitq, r, link);
        free_req(r);
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

nd_lock_req *nd_lockmgr_acquire(nd_lockmgr *m, const char *host, const char *owner,
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
    nd_lock_req *r = calloc(1, sizeof *r);
    if (!r || !(r->owner = strdup(owner ? owner : "?"))) {
        free(r);
        if (!h->holder && !h->waiting)
            free(na_strmap_del(m->hosts, host));
        return NULL;
    }
    r->h = h;
    r->cb = cb;
    r->ud = ud;
    r->state = RQ_WAITING;
    h->waiting++;
    m->waiting++;
    TAILQ_INSERT_TAIL(&m->waitq, r, link);
    schedule_pump(m);
    return r;
}

static void maybe_drop_host(nd_lockmgr *m, lhost *h)
{
    if (!h->holder && !h->waiting)
        free(na_strmap_del(m->hosts, h->name));
}

void nd_lockmgr_release(nd_lockmgr *m, nd_lock_req *r)
{
    if (!r)
        return;
    lhost *h = r->h;
    switch (r->state) {
    case RQ_WAITING:
        TAILQ_REMOVE(&m->waitq, r, link);
        h->waiting--;
        m->waiting--;
        break;
    case RQ_GRANTED:
        TAILQ_REMOVE(&m->readyq, r, link);
        /* fall through */
    case RQ_HELD:
        h->holder = NULL;
        m->in_flight--;
        schedule_pump(m);
        break;
    }
    free_req(r);
    maybe_drop_host(m, h);
}

static void pump_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    nd_lockmgr *m = arg;
    nd_lock_req *r = TAILQ_FIRST(&m->waitq), *next;
    for (; r && (m->max == 0 || m->in_flight < m->max); r = next) {
        next = TAILQ_NEXT(r, link);
        if (r->h->holder)
            continue;
        TAILQ_REMOVE(&m->waitq, r, link);
        r->h->waiting--;
        m->waiting--;
        r->h->holder = r;
        r->h->held_since = na_now_ms();
        r->state = RQ_GRANTED;
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
