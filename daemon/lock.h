/* lock.h — netautod's per-device lock manager: at most one holder per device at any time, a
 * global cap on devices in flight (limits.hosts_in_flight), and the slots shared fairly between
 * flows — each job is a flow, ad-hoc commands together are one:
 *  - when a slot frees up it goes to the flow holding the fewest slots (ties: the earliest
 *    request), to that flow's earliest waiter whose device is free (no head-of-line blocking
 *    behind a busy device; within a flow, arrival order);
 *  - jobs together never hold the last eighth of the slots (hosts_in_flight / 8, none below 8),
 *    so a job over stalled devices cannot keep an ad-hoc command waiting for a slot.
 * Grants are delivered from the event loop, never inside acquire/release. Not a distributed
 * lock: it serialises what one netautod does. */
#ifndef ND_LOCK_H
#define ND_LOCK_H

#include "backend.h" /* nd_lock_req, nd_lock_granted_cb */

#include <event2/event.h>
#include <jansson.h>
#include <stdint.h>

typedef struct nd_lockmgr nd_lockmgr;

/* max_in_flight == 0: no global cap. NULL on OOM. Free with nd_lockmgr_free (frees any request
 * still outstanding; their callbacks never run). */
nd_lockmgr *nd_lockmgr_new(struct event_base *base, unsigned max_in_flight);
void nd_lockmgr_free(nd_lockmgr *m);

/* Queue a request for `host` (owner copied) in flow `job` (a job's id; 0: an ad-hoc command).
 * `cb` runs from the loop once granted. Returns the request, owned by the manager until
 * nd_lockmgr_release; NULL on OOM. */
nd_lock_req *nd_lockmgr_acquire(nd_lockmgr *m, const char *host, const char *owner, int64_t job,
                                nd_lock_granted_cb cb, void *ud);
/* Release a held grant or withdraw a waiting request (its callback then never runs). Frees req. */
void nd_lockmgr_release(nd_lockmgr *m, nd_lock_req *req);

/* The host a request is for (valid until released). */
const char *nd_lock_req_host(const nd_lock_req *req);

typedef struct nd_lock_stats {
    unsigned held;     /* devices in flight */
    unsigned waiting;  /* requests queued */
    uint64_t granted_total;
} nd_lock_stats;
void nd_lockmgr_stats(const nd_lockmgr *m, nd_lock_stats *out);
/* New reference: {"holder": owner|null, "held_ms": N|null, "waiting": N} for one host. */
json_t *nd_lockmgr_host_json(const nd_lockmgr *m, const char *host);

#endif
