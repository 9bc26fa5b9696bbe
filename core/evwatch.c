/* evwatch.c — one persistent libevent event per non-blocking operation: socket direction plus
 * deadline (see evwatch.h). Not a loop of its own: the caller's event_base runs it. */
#include "evwatch.h"
#include "clock.h"

#include <string.h>

int na_evwatch_init(na_evwatch *w, struct event_base *base, event_callback_fn cb, void *arg)
{
    memset(w, 0, sizeof *w);
    w->base = base;
    w->cb = cb;
    w->arg = arg;
    w->fd = -1;
    w->ev = event_new(base, -1, 0, cb, arg);
    return w->ev ? 0 : -1;
}

void na_evwatch_free(na_evwatch *w)
{
    if (w->ev)
        event_free(w->ev); /* event_free deletes a pending event first */
    w->ev = NULL;
    w->fd = -1;
    w->what = 0;
}

int na_evwatch_arm(na_evwatch *w, int fd, int want, int64_t deadline_ms, bool reassign,
                   na_err *err)
{
    if (!w->ev)
        return na_err_set(err, NA_E_INTERNAL, "event watch used after it was freed");
    short what = fd < 0 ? 0 : (short)((want & NA_WANT_READ ? EV_READ : 0) |
                                      (want & NA_WANT_WRITE ? EV_WRITE : 0));
    if (!what && deadline_ms <= 0)
        return na_err_set(err, NA_E_INTERNAL, "nothing to wait for (no socket, no deadline)");
    if (reassign || what != w->what || (what && fd != w->fd)) {
        event_del(w->ev);
        event_assign(w->ev, w->base, what ? fd : -1, what ? (short)(what | EV_PERSIST) : 0, w->cb,
                     w->arg);
        w->fd = what ? fd : -1;
        w->what = what;
    }
    int64_t ms = 3600 * 1000;
    if (deadline_ms > 0) {
        ms = deadline_ms - na_now_ms();
        ms = ms <= 0 ? 0 : ms + 1; /* +1: never wake a hair before the deadline; due now (a
                                     session that yielded, na_channel_wake): at once */
    }
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
    if (event_add(w->ev, &tv) < 0)
        return na_err_set(err, NA_E_INTERNAL, "cannot watch the session's socket");
    return 0;
}

void na_evwatch_stop(na_evwatch *w)
{
    if (w->ev)
        event_del(w->ev);
}

void na_evwatch_kick(na_evwatch *w)
{
    if (!w->ev)
        return;
    event_del(w->ev);
    event_assign(w->ev, w->base, -1, 0, w->cb, w->arg);
    w->fd = -1;
    w->what = 0;
    event_active(w->ev, EV_TIMEOUT, 0);
}
