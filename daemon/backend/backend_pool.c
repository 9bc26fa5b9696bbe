/* backend_pool.c — netautod's device session pool: logged-in na_session objects kept after an
 * ad-hoc command so the next command to the same device skips the login. At most one session
 * per device is open at any time: whoever holds a device's lock (lock.h) closes the device's
 * idle session of another transport (commands) or all of them (jobs, which open their own), and
 * only a lock holder returns a session. Idle sessions are closed after the idle timeout, when the
 * pool is full (oldest first), when the inventory is reloaded, and when found dead on reuse.
 * Each session has one event (evwatch.h): its socket and deadline while an owner drives it, the
 * idle timer while pooled. Not the command logic (backend_cmd.c). */
#include "backend_int.h"
#include "clock.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

static void idle_unlink(nd_be_sess *x)
{
    nd_be *be = x->be;
    if (!x->idle)
        return;
    TAILQ_REMOVE(&be->idle, x, idle_link);
    if (na_strmap_get(be->idle_by_host, x->host) == x)
        na_strmap_del(be->idle_by_host, x->host);
    be->n_idle--;
    x->idle = false;
}

void nd_be_pool_close(nd_be_sess *x)
{
    if (!x)
        return;
    nd_be *be = x->be;
    idle_unlink(x);
    TAILQ_REMOVE(&be->sessions, x, link);
    be->n_sessions--;
    na_evwatch_free(&x->w);
    na_session_free(x->s); /* graceful, non-blocking close of the transport */
    nd_be_inv_unref(x->gen);
    free(x->host);
    free(x);
}

/* The session's one event: the owner's driver while busy; the idle timer while pooled. */
static void sess_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    nd_be_sess *x = arg;
    if (x->owner) {
        x->fn(x->owner);
        return;
    }
    if (!x->idle)
        return;
    int64_t due = x->idle_since_ms + (int64_t)x->be->pool_idle_s * 1000;
    if (na_now_ms() < due) { /* woke early: wait the rest */
        na_err e = NA_ERR_INIT;
        if (na_evwatch_arm(&x->w, -1, 0, due, false, &e) == 0)
            return;
    }
    NA_LOGD(x->host, "pooled %s session idle for %us: closed", na_transport_kind_name(x->kind),
            x->be->pool_idle_s);
    nd_be_pool_close(x);
}

nd_be_sess *nd_be_pool_new(nd_be *be, nd_be_inv *g, const na_inv_host *h, na_transport_kind kind,
                           const na_platform *plat, nd_be_sess_fn fn, void *owner, na_err *err)
{
    nd_be_sess *x = calloc(1, sizeof *x);
    if (!x || !(x->host = strdup(h->name)) ||
        na_evwatch_init(&x->w, be->svc.base, sess_cb, x) < 0) {
        if (x) {
            free(x->host);
            na_evwatch_free(&x->w);
        }
        free(x);
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    na_transport *t = na_transport_new(kind, na_inv_conn(h, kind), err);
    na_session_opts so = {.name = h->name, .secret = h->secret};
    if (!t || !(x->s = na_session_new(t, plat, &so, err))) { /* session_new owns t */
        na_evwatch_free(&x->w);
        free(x->host);
        free(x);
        return NULL;
    }
    x->be = be;
    x->gen = nd_be_inv_ref(g);
    x->kind = kind;
    x->fn = fn;
    x->owner = owner;
    TAILQ_INSERT_TAIL(&be->sessions, x, link);
    be->n_sessions++;
    return x;
}

nd_be_sess *nd_be_pool_take(nd_be *be, const char *host, na_transport_kind kind, nd_be_inv *g,
                            nd_be_sess_fn fn, void *owner)
{
    nd_be_sess *x = na_strmap_get(be->idle_by_host, host);
    if (!x)
        return NULL;
    const char *why = NULL;
    na_transport *t = na_session_transport(x->s);
    if (x->kind != kind)
        why = "another transport was asked for";
    else if (x->gen != g)
        why = "the inventory was reloaded";
    else if (!na_session_usable(x->s))
        why = "it is out of step with the device";
    else if (!t->ops->is_alive(t))
        why = "the device closed it";
    if (why) {
        NA_LOGI(host, "pooled %s session not reused (%s): closed", na_transport_kind_name(x->kind),
                why);
        nd_be_pool_close(x);
        return NULL;
    }
    idle_unlink(x);
    na_evwatch_stop(&x->w);
    x->fn = fn;
    x->owner = owner;
    NA_LOGD(host, "reusing the pooled %s session (idle %lld ms)", na_transport_kind_name(kind),
            (long long)(na_now_ms() - x->idle_since_ms));
    return x;
}

int nd_be_pool_arm(nd_be_sess *x, na_err *err)
{
    return na_evwatch_session(&x->w, x->s, 0, !x->opened, err);
}

void nd_be_pool_put(nd_be_sess *x)
{
    nd_be *be = x->be;
    x->owner = NULL;
    x->fn = NULL;
    na_evwatch_stop(&x->w);
    const char *why = NULL;
    if (!be->pool_idle_s || !be->pool_size)
        why = "pooling is off";
    else if (x->gen != be->cur)
        why = "the inventory was reloaded";
    else if (!x->opened || !na_session_usable(x->s))
        why = "it is not usable";
    if (why) {
        NA_LOGD(x->host, "%s session closed (%s)", na_transport_kind_name(x->kind), why);
        nd_be_pool_close(x);
        return;
    }
    nd_be_sess *old = na_strmap_get(be->idle_by_host, x->host);
    if (old && old != x)
        nd_be_pool_close(old);
    while (be->n_idle >= be->pool_size && !TAILQ_EMPTY(&be->idle)) {
        nd_be_sess *lru = TAILQ_FIRST(&be->idle);
        NA_LOGD(lru->host, "pool full (%u idle sessions): the oldest closed", be->pool_size);
        nd_be_pool_close(lru);
    }
    if (na_strmap_put(be->idle_by_host, x->host, x) < 0) {
        nd_be_pool_close(x);
        return;
    }
    x->idle = true;
    x->idle_since_ms = na_now_ms();
    TAILQ_INSERT_TAIL(&be->idle, x, idle_link);
    be->n_idle++;
    na_err e = NA_ERR_INIT;
    if (na_evwatch_arm(&x->w, -1, 0, x->idle_since_ms + (int64_t)be->pool_idle_s * 1000, true,
                       &e) < 0) {
        NA_LOGW(x->host, "cannot pool the session: %s", e.msg);
        nd_be_pool_close(x);
    }
}

void nd_be_pool_evict_host(nd_be *be, const char *host, int keep_kind)
{
    nd_be_sess *x = na_strmap_get(be->idle_by_host, host);
    if (x && (keep_kind < 0 || (int)x->kind != keep_kind)) {
        NA_LOGD(host, "pooled %s session closed: the device is needed by other work",
                na_transport_kind_name(x->kind));
        nd_be_pool_close(x);
    }
}

void nd_be_pool_flush(nd_be *be)
{
    while (!TAILQ_EMPTY(&be->idle))
        nd_be_pool_close(TAILQ_FIRST(&be->idle));
}

void nd_be_pool_free_all(nd_be *be)
{
    while (!TAILQ_EMPTY(&be->sessions))
        nd_be_pool_close(TAILQ_FIRST(&be->sessions));
}

void nd_be_pool_host_counts(nd_be *be, const char *host, unsigned *open, unsigned *idle)
{
    *open = *idle = 0;
    nd_be_sess *x;
    TAILQ_FOREACH(x, &be->sessions, link) {
        if (strcmp(x->host, host))
            continue;
        (*open)++;
        *idle += x->idle;
    }
}
