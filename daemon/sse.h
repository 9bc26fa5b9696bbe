/* sse.h — server-sent event streams for GET /v1/jobs/{id}/events: replay the stored events after
 * Last-Event-ID (or ?after=N), then forward live ones (as the job manager reports them) until the
 * job ends. Used by api.c and daemon.c. Not a general pub/sub. */
#ifndef ND_SSE_H
#define ND_SSE_H

#include "http.h"
#include "jobs.h"

typedef struct nd_sse nd_sse;

/* Registers with the job manager for its events. */
nd_sse *nd_sse_new(nd_jobs *jobs, nd_store *store, const nd_conf *cfg, struct event_base *base,
                   na_err *err);
/* Take over r for job_id's stream (r is consumed: answered here, or 404/500). */
void nd_sse_start(nd_sse *s, nd_req *r, int64_t job_id, int64_t after);
/* Shutting down: every stream ends after what it has; new ones replay only. */
void nd_sse_close_all(nd_sse *s);
unsigned nd_sse_count(const nd_sse *s);
uint64_t nd_sse_total(const nd_sse *s);
void nd_sse_free(nd_sse *s);

#endif
