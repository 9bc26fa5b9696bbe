/* api.h — netautod's HTTP API: the route table, authentication (Bearer tokens, tokens.h) and the
 * handlers, on top of the services the daemon wires together. The handler of nd_http (http.h).
 * Used by daemon.c only. Not the server plumbing (http.c). */
#ifndef ND_API_H
#define ND_API_H

#include "backend.h"
#include "http.h"
#include "jobs.h"
#include "lock.h"
#include "metrics.h"
#include "schedule.h"
#include "sse.h"
#include "store.h"
#include "tokens.h"

typedef struct nd_api nd_api;

/* What the API works with (borrowed; set before the first request, valid until nd_api_free). */
typedef struct nd_api_env {
    const nd_conf *cfg;
    nd_store *store;
    nd_tokens *tokens;
    nd_metrics *metrics;
    nd_lockmgr *locks;
    const nd_backend_ops *be_ops;
    nd_be *be;
    nd_jobs *jobs;
    nd_sse *sse;
    nd_sched *sched;
    nd_http *http;         /* for the connection gauge (nd_api_set_http) */
    int64_t started_ms;    /* na_now_ms() at start (uptime) */
    void (*idle)(void *ud);/* the last request answered later (a command) is done */
    void *idle_ud;
} nd_api_env;

nd_api *nd_api_new(const nd_api_env *env, na_err *err);
/* The server the API answers for (created after the API, which is its handler). */
void nd_api_set_http(nd_api *a, nd_http *h);
void nd_api_free(nd_api *a); /* forgets pending requests (their evhttp requests go with http) */
/* The nd_http handler (ctx = the nd_api). */
void nd_api_handle(void *ctx, nd_req *r);
/* The handler, the head check (a full body only with a valid token, or on a public route) and
 * the audit of requests the server refused itself, for nd_http_new. */
nd_http_hooks nd_api_http_hooks(nd_api *a);
/* SIGTERM: new jobs and commands get 503. */
void nd_api_drain(nd_api *a);
/* Grace period over: cancel the commands still running. */
void nd_api_interrupt(nd_api *a);
/* No request answered later (commands) is pending. */
bool nd_api_idle(const nd_api *a);

#endif
