/* lock.h — netautod's per-device lock manager: at most one holder per device at any time, FIFO
 * among waiters for the same device, and a global cap on devices in flight. When a slot or a
 * device frees up, the earliest waiter whose device is free is granted (no head-of-line blocking
 * behind a busy device, and no starvation: waiters for one device are served in arrival order).
 * Grants are delivered from the event loop, never inside acquire/release. Not a distributed
 * lock: it serialises what one netautod does. */
#ifndef NA_LOCK_H
#define NA_LOCK_H

#include "backend.h" /* na_lock_req, na_lock_granted_cb */

#include <event2/event.h>
#include <jansson.h>
#include <stdint.h>

typedef struct na_lockmgr na_lockmgr;

/* max_in_flight == 0: no global cap. NULL on OOM. Free with na_lockmgr_free (frees any request
 * still outstanding; their callbacks never run). */
na_lockmgr *na_lockmgr_new(struct event_base *base, unsigned max_in_flight);
void na_lockmgr_free(na_lockmgr *m);

/* Queue a request for `host` (owner copied). `cb` runs from the loop once granted. Returns the
 * request, owned by the manager until na_lockmgr_release; NULL on OOM. */
na_lock_req *na_lockmgr_acquire(na_lockmgr *m, const char *host, const char *owner,
                                na_lock_granted_cb cb, void *ud);
/* Release a held grant or withdraw a waiting request (its callback then never runs). Frees req. */
void na_lockmgr_release(na_lockmgr *m, na_lock_req *req);

/* The host a request is for (valid until released). */
const char *na_lock_req_host(const na_lock_req *req);

typedef struct na_lock_stats {
    unsigned held;     /* devices in flight */
    unsigned waiting;  /* requests queued */
    uint64_t granted_total;
} na_lock_stats;
void na_lockmgr_stats(const na_lockmgr *m, na_lock_stats *out);
/* New reference: {"holder": owner|null, "held_ms": N|null, "waiting": N} for one host. */
json_t *na_lockmgr_host_json(const na_lockmgr *m, const char *host);

#endif
