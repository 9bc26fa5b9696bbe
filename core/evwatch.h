/* evwatch.h — ONE libevent event that watches what a non-blocking operation (a session, an SSH
 * exec or transfer) waits for: its socket in the wanted direction(s), persistent, with its
 * deadline as the timeout. Re-registered only when the descriptor or the direction changes (or
 * when the caller says the descriptor may have been reused, as while a transport opens). Shared
 * by the runner's host programs (runner_host.c) and netautod's session pool (daemon/backend_*.c).
 * Not a scheduler and not a timer wheel: the callback decides what to step. Knows nothing of
 * sessions: na_evwatch_session() (drivers/session.h) arms one for what a session waits for.
 *
 *   na_evwatch w;
 *   na_evwatch_init(&w, base, cb, arg);       // no event yet pending
 *   na_evwatch_kick(&w);                      // cb runs from the loop soon
 *   ... in cb: step; on NA_AGAIN:
 *   na_evwatch_arm(&w, fd, want, deadline, false, &err); // wait for fd/want/deadline
 *   na_evwatch_free(&w);
 */
#ifndef NA_EVWATCH_H
#define NA_EVWATCH_H

#include "err.h"

#include <event2/event.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct na_evwatch {
    struct event *ev;
    struct event_base *base;
    event_callback_fn cb;
    void *arg;
    int fd;     /* descriptor assigned, -1 when none */
    short what; /* EV_READ / EV_WRITE assigned (0 = a pure timer or nothing) */
} na_evwatch;

/* Allocate the event (nothing pending). -1 on OOM. cb(fd, what, arg) runs from base's loop. */
int na_evwatch_init(na_evwatch *w, struct event_base *base, event_callback_fn cb,
                    void *arg) NA_MUST_CHECK;
/* Delete and free the event; safe on a zeroed or already freed watch. */
void na_evwatch_free(na_evwatch *w);

/* Wait for fd in the NA_WANT_* directions of `want` until deadline_ms (absolute na_now_ms(); <= 0
 * = none). fd < 0 or want == 0 with a deadline makes a pure timer. reassign: register again even
 * if fd and direction look unchanged (a descriptor number can be reused while a transport
 * opens). -1 + err (NA_E_INTERNAL) when there is nothing to wait for or libevent refuses. */
int na_evwatch_arm(na_evwatch *w, int fd, int want, int64_t deadline_ms, bool reassign,
                   na_err *err) NA_MUST_CHECK;
/* Stop watching (nothing pending afterwards). */
void na_evwatch_stop(na_evwatch *w);
/* Stop watching, then make cb run once from the loop (EV_TIMEOUT), never inside this call. */
void na_evwatch_kick(na_evwatch *w);

#endif
