/* netautod.h — the daemon's internal shape: the one context every module of the service shell
 * shares (config, loop, TLS, HTTP server, store, locks, metrics, tokens, backend, jobs, event
 * streams, schedules), and the functions the modules call on each other. Not a public API:
 * only the daemon sources and the test binaries include it; netautod_run is the entry. */
#ifndef ND_NETAUTOD_H
#define ND_NETAUTOD_H

#include "backend.h"
#include "config.h"
#include "lock.h"
#include "metrics.h"
#include "store.h"
#include "tokens.h"

#include <event2/http.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <sys/queue.h>

#define NETAUTOD_VERSION "0.1.0"

typedef struct nd nd;
typedef struct nd_job nd_job;
typedef struct nd_sse nd_sse;
typedef struct nd_req nd_req;
typedef struct nd_backup nd_backup;

TAILQ_HEAD(nd_jobq, nd_job);
LIST_HEAD(nd_ssel, nd_sse);
TAILQ_HEAD(nd_reqq, nd_req);

/* One API request being answered (sync or async). */
struct nd_req {
    nd *d;
    struct evhttp_request *req;
    int64_t t0_us;
    char method[8];
    char *path;       /* decoded path, no query */
    char *who;        /* token name, NULL before auth */
    nd_be_cmd *cmd;   /* POST /v1/commands in flight */
    bool pending;     /* in d->pending */
    TAILQ_ENTRY(nd_req) link;
};

/* A job the daemon is running or has queued (finished jobs live only in the store). */
struct nd_job {
    nd *d;
    int64_t id;
    nd_job_state state;
    char kind[16];          /* "playbook" | "backup" */
    char *submitted_by;
    nd_be_job *bj;          /* playbook: the backend's job */
    nd_backup *bk;          /* backup: the daemon's own command fan-out (sched.c) */
    json_t *targets;        /* host names (array) */
    char *bk_command;       /* backup: the command captured */
    char *bk_transport;     /* backup: ssh|telnet|NULL */
    int64_t next_seq;
    int hosts_total, hosts_done, hosts_ok, hosts_failed;
    bool cancel_requested;  /* DELETE /v1/jobs/{id} */
    bool interrupt_requested; /* drain ran out of grace */
    char *error;
    struct nd_ssel streams;
    TAILQ_ENTRY(nd_job) link;
};

struct nd {
    nd_conf cfg;
    struct event_base *base;
    SSL_CTX *ssl;
    char fingerprint[80];
    char *cert_path, *key_path;
    struct evhttp *http;
    struct evconnlistener *listener;
    int port;               /* the bound port */
    unsigned conns;
    bool accept_paused;
    nd_store *store;
    nd_lockmgr *locks;
    nd_metrics metrics;
    nd_tokens tokens;
    const nd_backend_ops *be_ops;
    nd_be *be;
    nd_backend_services svc;
    struct nd_jobq queued, running;
    unsigned n_queued, n_running, n_streams;
    struct nd_reqq pending;   /* async API requests (commands) */
    struct event *job_pump_ev;
    struct event *sig_term, *sig_int, *sig_hup;
    struct event *drain_timer, *drain_check;
    struct event *sched_timer;
    int64_t *sched_next;     /* per schedule: next fire (s since epoch) */
    nd_job **sched_job;      /* per schedule: the job it started, while active */
    bool draining;
    bool streams_closed;     /* shutting down: event streams replay only */
    int drain_phase;         /* 0 waiting for work, 1 interrupted after grace */
    int64_t started_ms;
    FILE *log_fp;
    int lock_fd;
    int exit_code;
};

/* daemon.c */
int netautod_run(const char *config_path, const nd_backend_ops *ops);
/* `netautod ...` command line (run, token add|list|revoke, fingerprint, check-config). */
int netautod_main(int argc, char **argv, const nd_backend_ops *ops);
void nd_audit(nd *d, const char *who, const char *action, const char *target, const char *detail);
void nd_notify(const char *state); /* sd_notify by hand over $NOTIFY_SOCKET; no-op without it */
void nd_maybe_finish_drain(nd *d);

/* jobs.c */
/* Accept a playbook job from a validated request ({"playbook", "limit", "check", "vars"}).
 * Returns the durable id, or -1 + err (NA_E_NOTFOUND/YAML/CONFIG/USAGE -> 400). */
int64_t nd_job_submit(nd *d, const json_t *request, const char *who, na_err *err);
/* Accept a backup job (command captured per host). */
int64_t nd_job_submit_backup(nd *d, const char *schedule, const char *command,
                             const char *transport, const char *limit, const char *who,
                             na_err *err);
nd_job *nd_job_find(nd *d, int64_t id);
/* 0 cancelled (or cancelling); NA_E_NOTFOUND; NA_E_CONFIG when already finished (-> 409). */
int nd_job_cancel(nd *d, int64_t id, const char *who, na_err *err);
void nd_jobs_drain(nd *d);           /* queued -> interrupted */
void nd_jobs_interrupt(nd *d);       /* running -> cancel, final state interrupted */
void nd_jobs_free_all(nd *d);        /* at exit, after the backend is destroyed */
/* Executor callbacks (backend sink and backups use the same). */
void nd_job_host_started(nd_job *j, const char *host);
void nd_job_task_result(nd_job *j, const char *host, json_t *task);
void nd_job_host_finished(nd_job *j, const char *host, json_t *result);
void nd_job_finished(nd_job *j, const na_err *err);
/* A copy of v with values under secret-looking keys replaced by "********". */
json_t *nd_mask_secrets(const json_t *v);

/* sse.c */
/* Take over req for GET /v1/jobs/{id}/events: replay events after `after`, then stream live
 * ones while the job runs. r is consumed. */
void nd_sse_start(nd *d, nd_req *r, int64_t job_id, int64_t after);
void nd_sse_push(nd_job *j, int64_t seq, const char *type, const char *data);
void nd_sse_job_ended(nd_job *j); /* end every stream of j (after its final event) */
void nd_sse_close_all(nd *d);

/* sched.c */
int nd_sched_start(nd *d, na_err *err);
void nd_sched_stop(nd *d);
json_t *nd_sched_json(nd *d);
/* Run a schedule now (POST /v1/schedules/{name}/run). Returns the job id. */
int64_t nd_sched_run(nd *d, const char *name, const char *who, na_err *err);
void nd_sched_job_ended(nd *d, nd_job *j);
/* Backups executor for a backup job. */
int nd_backup_start(nd_job *j, const char *command, const char *transport, json_t *targets,
                    na_err *err);
void nd_backup_cancel(nd_job *j);
void nd_backup_free(nd_backup *b);

/* http.c */
int nd_http_start(nd *d, na_err *err);
void nd_http_stop(nd *d);
/* Answer and log the request, then free r. body is consumed (may be NULL). */
void nd_reply_json(nd_req *r, int code, json_t *body);
void nd_reply_error(nd_req *r, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void nd_reply_text(nd_req *r, int code, const char *ctype, const char *body, size_t len);
/* Log + count a request whose reply was sent elsewhere (event streams), then free r. */
void nd_req_done(nd_req *r, int code);
void nd_req_free(nd_req *r);
int nd_http_status_for(const na_err *err, bool host_scope);

/* api.c */
void nd_api_dispatch(nd_req *r);

#endif
