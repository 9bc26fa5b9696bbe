/* jobs.h — netautod's job manager: accept a job (validated by whoever runs it, committed to the
 * store before the caller answers), queue it, start it under limits.jobs_running, turn the
 * executor's callbacks into stored events and per-host results, cancel, drain, and settle the
 * final state. A job lives in memory only while queued or running; afterwards the store is the
 * only truth.
 *
 * Executors: playbook jobs run in the device backend (backend.h), through the adapter in jobs.c;
 * other kinds (backups, backup.h) bring their own nd_job_exec. Observers (event streams, the
 * scheduler, the daemon's drain) are told about every event and every job that ends, so this
 * module calls none of them by name. Used by api.c, sse.c, schedule.c, backup.c and daemon.c. */
#ifndef ND_JOBS_H
#define ND_JOBS_H

#include "backend.h"
#include "config.h"
#include "err.h"
#include "metrics.h"
#include "store.h"

#include <event2/event.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct nd_jobs nd_jobs;
typedef struct nd_job nd_job;

/* What runs a job's hosts. start: begin (callbacks below follow from the loop); -1 + err when
 * it cannot (the job then fails; the executor has freed its state). cancel: stop soon;
 * nd_job_finished follows. discard: free the executor's state without any callback: a job that
 * never started (nd_job_started false), or one still running at exit (after the backend was
 * destroyed). After nd_job_finished the executor frees its own state. */
typedef struct nd_job_exec {
    int (*start)(nd_job *j, na_err *err);
    void (*cancel)(nd_job *j);
    void (*discard)(nd_job *j);
} nd_job_exec;

/* Told about jobs (every member may be NULL). event: stored event seq of job j (data is the
 * redacted JSON text). ended: j reached its final state (after its job_finished event; j is
 * freed right after). idle: the last queued or running job ended. */
typedef struct nd_jobs_observer {
    void (*event)(void *ud, nd_job *j, int64_t seq, const char *type, const char *data);
    void (*ended)(void *ud, nd_job *j);
    void (*idle)(void *ud);
    void *ud;
} nd_jobs_observer;

/* The services a job manager works with (borrowed; must outlive it). */
typedef struct nd_jobs_env {
    struct event_base *base;
    const nd_conf *cfg;
    nd_store *store;
    nd_metrics *metrics;
    const nd_backend_ops *be_ops;
    nd_be *be;
} nd_jobs_env;

nd_jobs *nd_jobs_new(const nd_jobs_env *env, na_err *err);
const nd_jobs_env *nd_jobs_env_of(const nd_jobs *m);
/* At exit, after the backend is destroyed: queued and running jobs are settled interrupted. */
void nd_jobs_free(nd_jobs *m);
/* Up to 4 observers. */
int nd_jobs_observe(nd_jobs *m, const nd_jobs_observer *o);

/* Accept a playbook job from a checked request ({"playbook", "limit", "check", "vars"}, see
 * api_req.h): its secret-looking vars are held as secrets (redacted everywhere) until the job
 * ends, the backend validates it (off the loop), then it is stored (durable) and queued, and
 * done(ud, id, NULL) runs from the loop — or done(ud, -1, err) with the validation's error
 * (NA_E_NOTFOUND/YAML/CONFIG/USAGE/OVERFLOW: the request is invalid), NA_E_CANCELLED (shutting
 * down) or NA_E_IO (the store). Returns the submission, or NULL + err at once: NA_E_USAGE (the
 * fields' types), NA_E_OVERFLOW (queue full, or the validator's), NA_E_CANCELLED (draining). */
typedef struct nd_jobs_sub nd_jobs_sub;
typedef void (*nd_jobs_submitted_cb)(void *ud, int64_t id, const na_err *err);
nd_jobs_sub *nd_jobs_submit(nd_jobs *m, const json_t *request, const char *who,
                            nd_jobs_submitted_cb done, void *ud, na_err *err);
/* Stop caring about a submission (its client went away): done never runs, nothing is stored. */
void nd_jobs_submit_abandon(nd_jobs *m, nd_jobs_sub *s);
/* Accept a job of another kind: `request` (stored as given) and `targets` (array of host names)
 * are copied; exec runs it with exec_state (owned by the job from now on, even on failure:
 * exec->discard frees it). Same errors as nd_jobs_submit. */
int64_t nd_jobs_submit_exec(nd_jobs *m, const char *kind, const json_t *request,
                            const json_t *targets, const char *who, const char *what,
                            const nd_job_exec *exec, void *exec_state, na_err *err);
nd_job *nd_jobs_find(nd_jobs *m, int64_t id); /* queued or running */
/* A job netautod still holds in memory — queued, running, or finished while the store refused
 * its final state — as it really is, for answers that read the store (which may lag after a
 * write failure). false: the store is the truth. *error may be NULL, *finished_ms 0. */
bool nd_jobs_overlay(nd_jobs *m, int64_t id, nd_job_state *st, const char **error,
                     int64_t *finished_ms);
/* 0 cancelled (or cancelling; *was_queued says which); NA_E_NOTFOUND; NA_E_CONFIG when already
 * finished (-> 409). */
int nd_jobs_cancel(nd_jobs *m, int64_t id, const char *who, bool *was_queued, na_err *err);
/* SIGTERM: accept nothing more; submissions being validated end (done: NA_E_CANCELLED),
 * queued jobs become interrupted. */
void nd_jobs_drain(nd_jobs *m);
/* Grace period over: running jobs are cancelled, their final state is interrupted. */
void nd_jobs_interrupt(nd_jobs *m);
bool nd_jobs_idle(const nd_jobs *m); /* nothing validating, queued or running */
unsigned nd_jobs_running(const nd_jobs *m);

/* A job, for executors and observers. */
int64_t nd_job_id(const nd_job *j);
const char *nd_job_kind(const nd_job *j);
const char *nd_job_submitted_by(const nd_job *j);
const json_t *nd_job_targets(const nd_job *j);
void *nd_job_exec_state(const nd_job *j);
bool nd_job_stopping(const nd_job *j); /* cancel or interrupt requested */
bool nd_job_started(const nd_job *j);
nd_jobs *nd_job_manager(const nd_job *j);

/* Executor callbacks (JSON borrowed). Per host: host_started, task_result*, host_finished;
 * nd_job_finished last (err NULL: ran to its end), from the loop; j is freed inside it. */
void nd_job_host_started(nd_job *j, const char *host);
void nd_job_task_result(nd_job *j, const char *host, json_t *task);
void nd_job_host_finished(nd_job *j, const char *host, json_t *result);
void nd_job_finished(nd_job *j, const na_err *err);

#endif
