/* api_int.h — what the files of netautod's API share (api.c: the route table, authentication
 * and most handlers; api_jobs.c: the job handlers and their streamed views). Private to them;
 * everyone else uses api.h. */
#ifndef ND_API_INT_H
#define ND_API_INT_H

#include "api.h"
#include "strmap.h"

#include <sys/queue.h>

/* A request answered later: a command running in the backend, or a job being validated. */
typedef struct pending pending;
struct pending {
    nd_api *a;
    nd_req *r;
    nd_be_cmd *cmd;   /* the command in the backend, NULL once done */
    nd_jobs_sub *sub; /* the job being validated, NULL once done */
    bool counted;     /* in a->validating[r->who] */
    TAILQ_ENTRY(pending) link;
};

/* A token's request budget (token bucket): `level` requests available now. */
typedef struct bucket {
    double level;
    int64_t at_us;
} bucket;

struct nd_api {
    nd_api_env env;
    TAILQ_HEAD(, pending) pending; /* requests answered later (commands) */
    bool draining;
    na_strmap *buckets;            /* token name -> bucket */
    na_strmap *validating;         /* token name -> its jobs being validated (a counter) */
    bucket audit_fail;             /* failed authentications written to the audit trail */
    unsigned audit_fail_dropped;   /* ... and those that were not (flood) */
    char token_file_error[256];    /* the last problem re-reading the token file (logged once) */
};

/* A positive decimal id (job, backup); 0, or -1. */
int nd_api_parse_id(const char *s, int64_t *out);
/* The request's JSON body (api_req.h), or NULL + err. */
json_t *nd_api_read_body(nd_req *r, na_err *err);
/* Track r as answered later (r->ud; freed with r). NULL on OOM. */
pending *nd_api_pending_new(nd_api *a, nd_req *r);
/* Tell the daemon when no request waits for an answer any more (the drain). */
void nd_api_maybe_idle(nd_api *a);

/* api_jobs.c: the routes of /v1/jobs (args as every handler: the API, the request, the path's
 * segments). */
void nd_api_h_post_job(nd_api *a, nd_req *r, char **seg);
void nd_api_h_list_jobs(nd_api *a, nd_req *r, char **seg);
void nd_api_h_get_job(nd_api *a, nd_req *r, char **seg);
void nd_api_h_delete_job(nd_api *a, nd_req *r, char **seg);
void nd_api_h_job_events(nd_api *a, nd_req *r, char **seg);
/* The job-submission callback, also for schedules run through the API. */
void nd_api_job_submitted(void *ud, int64_t id, const na_err *err);

#endif
