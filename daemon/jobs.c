/* jobs.c — netautod's job manager: accept (validate through the backend, commit to the store,
 * queue), start under the jobs_running limit, turn executor callbacks into stored events and
 * per-host results, cancel, drain, and settle the final state. A job lives in memory only while
 * queued or running; afterwards the store is the only truth. Not an executor: playbook jobs run
 * in the backend, backup jobs in sched.c. */
#include "api_req.h"
#include "clock.h"
#include "log.h"
#include "netautod.h"
#include "secret.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void pump_cb(evutil_socket_t fd, short what, void *arg);

json_t *nd_mask_secrets(const json_t *v)
{
    static const char *const words[] = {"password", "passwd", "secret", "token", "passphrase",
                                        "private_key", "api_key", NULL};
    if (json_is_object(v)) {
        json_t *o = json_object();
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x) {
            bool secret = false;
            for (int i = 0; words[i] && !secret; i++)
                secret = strcasestr(k, words[i]) != NULL;
            json_object_set_new(o, k, secret ? json_string(NA_REDACTED) : nd_mask_secrets(x));
        }
        return o;
    }
    if (json_is_array(v)) {
        json_t *a = json_array();
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) json_array_append_new(a, nd_mask_secrets(x));
        return a;
    }
    return json_deep_copy(v);
}

nd_job *nd_job_find(nd *d, int64_t id)
{
    nd_job *j;
    TAILQ_FOREACH(j, &d->running, link)
        if (j->id == id)
            return j;
    TAILQ_FOREACH(j, &d->queued, link)
        if (j->id == id)
            return j;
    return NULL;
}

static void schedule_pump(nd *d)
{
    if (!d->job_pump_ev)
        d->job_pump_ev = event_new(d->base, -1, 0, pump_cb, d);
    if (d->job_pump_ev)
        event_active(d->job_pump_ev, EV_TIMEOUT, 0);
}

/* Store and broadcast one event; data is consumed. */
static void emit(nd_job *j, const char *type, json_t *data)
{
    nd *d = j->d;
    if (!data) { /* json_pack failed: out of memory or a NULL from the backend */
        NA_LOGE("jobs", "job %lld: cannot build the %s event", (long long)j->id, type);
        return;
    }
    int64_t now = na_wall_ms();
    char ts[40];
    na_format_wall(now, ts, sizeof ts);
    json_object_set_new(data, "job", json_integer(j->id));
    json_object_set_new(data, "time", json_string(ts));
    int64_t seq = j->next_seq++;
    na_err e = NA_ERR_INIT;
    if (na_store_event(d->store, j->id, seq, now, type, data, &e) < 0)
        NA_LOGE("jobs", "job %lld: %s", (long long)j->id, e.msg);
    if (!LIST_EMPTY(&j->streams)) {
        char *txt = json_dumps(data, JSON_COMPACT); /* results: already safe, device text exact */
        if (txt)
            nd_sse_push(j, seq, type, txt);
        free(txt);
    }
    json_decref(data);
}

static nd_job *job_new(nd *d, int64_t id, const char *kind, const char *who, json_t *targets)
{
    nd_job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->d = d;
    j->id = id;
    j->state = NA_JOB_QUEUED;
    snprintf(j->kind, sizeof j->kind, "%s", kind);
    j->submitted_by = strdup(who);
    j->targets = json_incref(targets);
    j->hosts_total = (int)json_array_size(targets);
    j->next_seq = 1;
    LIST_INIT(&j->streams);
    if (!j->submitted_by) {
        json_decref(j->targets);
        free(j);
        return NULL;
    }
    return j;
}

static void job_free(nd_job *j)
{
    if (j->bk)
        nd_backup_free(j->bk);
    free(j->submitted_by);
    free(j->error);
    free(j->bk_command);
    free(j->bk_transport);
    json_decref(j->targets);
    free(j);
}

static void enqueue(nd *d, nd_job *j, const char *what)
{
    TAILQ_INSERT_TAIL(&d->queued, j, link);
    d->n_queued++;
    d->metrics.jobs_submitted++;
    emit(j, "job_queued",
         json_pack("{s:s,s:s,s:O}", "kind", j->kind, "submitted_by", j->submitted_by, "targets",
                   j->targets));
    char target[40];
    snprintf(target, sizeof target, "job %lld", (long long)j->id);
    nd_audit(d, j->submitted_by, "job.submit", target, what);
    NA_LOGI("jobs", "job %lld accepted from %s: %s (%d hosts)", (long long)j->id, j->submitted_by,
            what, j->hosts_total);
    schedule_pump(d);
}

static int check_capacity(nd *d, na_err *err)
{
    if (d->draining)
        return na_err_set(err, NA_E_CANCELLED, "netautod is shutting down; not accepting jobs");
    if (d->n_queued + d->n_running >= d->cfg.jobs_queued)
        return na_err_set(err, NA_E_OVERFLOW,
                          "too many unfinished jobs (%u); try again when some have finished",
                          d->cfg.jobs_queued);
    return 0;
}

int64_t nd_job_submit(nd *d, const json_t *request, const char *who, na_err *err)
{
    if (check_capacity(d, err) < 0)
        return -1;
    nd_job_req rq;
    if (nd_job_req_parse(request, &rq, err) < 0)
        return -1;
    json_t *vars_obj = rq.vars ? json_incref((json_t *)rq.vars) : json_object();
    na_job_spec spec = {
        .playbook = rq.playbook,
        .limit = rq.limit,
        .check = rq.check,
        .vars = vars_obj,
        .submitted_by = who,
    };
    json_t *targets = NULL;
    na_be_job *bj = d->be_ops->job_prepare(d->be, &spec, &targets, err);
    if (!bj) {
        json_decref(vars_obj);
        json_decref(targets);
        return -1;
    }
    if (!json_is_array(targets)) { /* a backend that names no targets: none known yet */
        json_decref(targets);
        targets = json_array();
    }
    json_t *masked = json_object();
    bool inline_yaml = strchr(spec.playbook, '\n') != NULL;
    json_object_set_new(masked, "playbook", json_string(spec.playbook));
    json_object_set_new(masked, "limit", spec.limit ? json_string(spec.limit) : json_null());
    json_object_set_new(masked, "check", json_boolean(spec.check));
    json_object_set_new(masked, "vars", nd_mask_secrets(vars_obj));
    json_decref(vars_obj);
    int64_t id = na_store_job_insert(d->store, "playbook", who, masked, targets, na_wall_ms(), err);
    json_decref(masked);
    nd_job *j = id > 0 ? job_new(d, id, "playbook", who, targets) : NULL;
    json_decref(targets);
    if (!j) {
        d->be_ops->job_discard(d->be, bj);
        if (id > 0) { /* stored but cannot run: settle it */
            na_store_job_finished(d->store, id, NA_JOB_FAILED, na_wall_ms(), "out of memory", NULL);
            na_err_set(err, NA_E_NOMEM, "out of memory");
        }
        return -1;
    }
    j->bj = bj;
    char what[160];
    if (inline_yaml)
        snprintf(what, sizeof what, "inline playbook (%zu bytes)%s%s", strlen(spec.playbook),
                 spec.limit ? " limit " : "", spec.limit ? spec.limit : "");
    else
        snprintf(what, sizeof what, "playbook %s%s%s%s", spec.playbook,
                 spec.limit ? " limit " : "", spec.limit ? spec.limit : "",
                 spec.check ? " (check)" : "");
    enqueue(d, j, what);
    return id;
}

int64_t nd_job_submit_backup(nd *d, const char *schedule, const char *command,
                             const char *transport, const char *limit, const char *who,
                             na_err *err)
{
    if (check_capacity(d, err) < 0)
        return -1;
    json_t *targets = d->be_ops->resolve_limit(d->be, limit, err);
    if (!targets)
        return -1;
    json_t *req = json_pack("{s:s,s:s,s:s?,s:s?}", "backup", command, "schedule", schedule,
                            "limit", limit, "transport", transport);
    int64_t id = na_store_job_insert(d->store, "backup", who, req, targets, na_wall_ms(), err);
    json_decref(req);
    nd_job *j = id > 0 ? job_new(d, id, "backup", who, targets) : NULL;
    json_decref(targets);
    if (j) {
        j->bk_command = strdup(command);
        j->bk_transport = transport ? strdup(transport) : NULL;
        if (!j->bk_command || (transport && !j->bk_transport)) {
            job_free(j);
            j = NULL;
        }
    }
    if (!j) {
        if (id > 0) {
            na_store_job_finished(d->store, id, NA_JOB_FAILED, na_wall_ms(), "out of memory", NULL);
            na_err_set(err, NA_E_NOMEM, "out of memory");
        }
        return -1;
    }
    char what[200];
    snprintf(what, sizeof what, "backup '%s'%s%s", command, limit ? " limit " : "",
             limit ? limit : "");
    enqueue(d, j, what);
    return id;
}

/* Settle a job's final state: store (durable), final event, end streams, free. j must already
 * be unlinked from its queue. */
static void settle(nd_job *j, na_job_state st, const char *error)
{
    nd *d = j->d;
    int64_t now = na_wall_ms();
    na_err e = NA_ERR_INIT;
    j->state = st;
    if (na_store_job_finished(d->store, j->id, st, now, error, &e) < 0)
        NA_LOGE("jobs", "job %lld: %s", (long long)j->id, e.msg);
    json_t *summary = json_pack("{s:i,s:i,s:i,s:i}", "targets", j->hosts_total, "finished",
                                j->hosts_done, "ok", j->hosts_ok, "failed", j->hosts_failed);
    emit(j, "job_finished",
         json_pack("{s:s,s:o,s:s?}", "state", na_job_state_names[st], "summary", summary, "error",
                   error));
    NA_LOGI("jobs", "job %lld %s (%d/%d hosts ok)%s%s", (long long)j->id, na_job_state_names[st],
            j->hosts_ok, j->hosts_total, error ? ": " : "", error ? error : "");
    nd_sse_job_ended(j);
    nd_sched_job_ended(d, j);
    job_free(j);
}

/* The backend's sink: typed trampolines to the job callbacks below. */
static void sink_host_started(void *ud, const char *host) { nd_job_host_started(ud, host); }
static void sink_task_result(void *ud, const char *host, json_t *task)
{
    nd_job_task_result(ud, host, task);
}
static void sink_host_finished(void *ud, const char *host, json_t *result)
{
    nd_job_host_finished(ud, host, result);
}
static void sink_job_finished(void *ud, const na_err *err) { nd_job_finished(ud, err); }

static void start_job(nd *d, nd_job *j)
{
    na_err e = NA_ERR_INIT;
    j->state = NA_JOB_RUNNING;
    TAILQ_INSERT_TAIL(&d->running, j, link);
    d->n_running++;
    if (na_store_job_started(d->store, j->id, na_wall_ms(), &e) < 0)
        NA_LOGE("jobs", "job %lld: %s", (long long)j->id, e.msg);
    emit(j, "job_started", json_object());
    int rc;
    if (!strcmp(j->kind, "backup")) {
        rc = nd_backup_start(j, j->bk_command, j->bk_transport, j->targets, &e);
    } else {
        na_job_sink sink = {
            .host_started = sink_host_started,
            .task_result = sink_task_result,
            .host_finished = sink_host_finished,
            .job_finished = sink_job_finished,
            .ud = j,
        };
        na_be_job *bj = j->bj;
        j->bj = NULL; /* the backend owns it now, even on failure */
        rc = d->be_ops->job_run(d->be, bj, j->id, &sink, &e);
        if (rc == 0)
            j->bj = bj;
    }
    if (rc < 0) {
        TAILQ_REMOVE(&d->running, j, link);
        d->n_running--;
        settle(j, NA_JOB_FAILED, e.msg);
    }
}

static void pump_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    nd *d = arg;
    while (!d->draining && d->n_running < d->cfg.jobs_running && !TAILQ_EMPTY(&d->queued)) {
        nd_job *j = TAILQ_FIRST(&d->queued);
        TAILQ_REMOVE(&d->queued, j, link);
        d->n_queued--;
        start_job(d, j);
    }
}

void nd_job_host_started(nd_job *j, const char *host)
{
    emit(j, "host_started", json_pack("{s:s}", "host", host));
}

void nd_job_task_result(nd_job *j, const char *host, json_t *task)
{
    emit(j, "task_result", json_pack("{s:s,s:O}", "host", host, "task", task));
}

void nd_job_host_finished(nd_job *j, const char *host, json_t *result)
{
    na_err e = NA_ERR_INIT;
    if (na_store_host_result(j->d->store, j->id, host, result, na_wall_ms(), &e) < 0)
        NA_LOGE("jobs", "job %lld: %s", (long long)j->id, e.msg);
    j->hosts_done++;
    if (json_is_true(json_object_get(result, "ok")))
        j->hosts_ok++;
    else
        j->hosts_failed++;
    emit(j, "host_finished", json_pack("{s:s,s:O}", "host", host, "result", result));
}

void nd_job_finished(nd_job *j, const na_err *err)
{
    nd *d = j->d;
    j->bj = NULL; /* the backend frees it after we return */
    TAILQ_REMOVE(&d->running, j, link);
    d->n_running--;
    na_job_state st;
    const char *msg = NULL;
    if (j->interrupt_requested) {
        st = NA_JOB_INTERRUPTED;
        msg = "netautod shut down before the job finished (drain grace period over)";
    } else if (j->cancel_requested) {
        st = NA_JOB_CANCELLED;
        msg = "cancelled";
    } else if (na_err_isset(err)) {
        st = err->code == NA_E_CANCELLED ? NA_JOB_CANCELLED : NA_JOB_FAILED;
        msg = err->msg;
    } else if (j->hosts_failed > 0 || j->hosts_done < j->hosts_total) {
        st = NA_JOB_FAILED;
        if (j->hosts_done < j->hosts_total)
            msg = "some hosts have no result";
    } else
        st = NA_JOB_SUCCEEDED;
    settle(j, st, msg);
    schedule_pump(d);
    nd_maybe_finish_drain(d);
}

int nd_job_cancel(nd *d, int64_t id, const char *who, na_err *err)
{
    nd_job *j = nd_job_find(d, id);
    char target[40];
    snprintf(target, sizeof target, "job %lld", (long long)id);
    if (!j) {
        na_job_state st;
        if (na_store_job_state(d->store, id, &st, err) < 0)
            return -1;
        return na_err_set(err, NA_E_CONFIG, "job %lld already finished (%s)", (long long)id,
                          na_job_state_names[st]);
    }
    nd_audit(d, who, "job.cancel", target, NULL);
    if (j->state == NA_JOB_QUEUED) {
        TAILQ_REMOVE(&d->queued, j, link);
        d->n_queued--;
        if (j->bj)
            d->be_ops->job_discard(d->be, j->bj);
        j->bj = NULL;
        settle(j, NA_JOB_CANCELLED, "cancelled before it started");
        nd_maybe_finish_drain(d);
        return 0;
    }
    if (j->cancel_requested || j->interrupt_requested)
        return 0;
    j->cancel_requested = true;
    emit(j, "cancel_requested", json_pack("{s:s}", "by", who));
    if (j->bk)
        nd_backup_cancel(j);
    else if (j->bj)
        d->be_ops->job_cancel(d->be, j->bj);
    return 0;
}

void nd_jobs_drain(nd *d)
{
    nd_job *j;
    while ((j = TAILQ_FIRST(&d->queued))) {
        TAILQ_REMOVE(&d->queued, j, link);
        d->n_queued--;
        if (j->bj)
            d->be_ops->job_discard(d->be, j->bj);
        j->bj = NULL;
        settle(j, NA_JOB_INTERRUPTED, "netautod shut down before the job started");
    }
}

void nd_jobs_interrupt(nd *d)
{
    nd_job *j, *next;
    for (j = TAILQ_FIRST(&d->running); j; j = next) {
        next = TAILQ_NEXT(j, link);
        if (j->interrupt_requested)
            continue;
        j->interrupt_requested = true;
        if (j->bk)
            nd_backup_cancel(j);
        else if (j->bj)
            d->be_ops->job_cancel(d->be, j->bj);
    }
}

void nd_jobs_free_all(nd *d)
{
    nd_job *j;
    nd_jobs_drain(d);
    while ((j = TAILQ_FIRST(&d->running))) {
        TAILQ_REMOVE(&d->running, j, link);
        d->n_running--;
        j->bj = NULL; /* the backend was destroyed: its job is gone */
        settle(j, NA_JOB_INTERRUPTED,
               "netautod shut down before the job finished (the backend did not stop in time)");
    }
    if (d->job_pump_ev) {
        event_free(d->job_pump_ev);
        d->job_pump_ev = NULL;
    }
}
