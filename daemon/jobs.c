/* jobs.c — netautod's job manager (see jobs.h): accept (validate through the backend, commit to
 * the store, queue), start under the jobs_running limit, turn executor callbacks into stored
 * events and per-host results, cancel, drain, and settle the final state. A job lives in memory
 * only while queued or running; afterwards the store is the only truth. Not an executor:
 * playbook jobs run in the backend (the adapter below), backups in backup.c. */
#include "jobs.h"
#include "api_req.h"
#include "clock.h"
#include "log.h"
#include "secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#define MAX_OBSERVERS 4

struct nd_job {
    nd_jobs *m;
    int64_t id;
    nd_job_state state;
    char kind[16];            /* "playbook" | "backup" */
    char *submitted_by;
    json_t *targets;          /* host names (array) */
    const nd_job_exec *exec;
    void *exec_state;         /* playbook jobs: the backend's nd_be_job */
    int64_t next_seq;
    int hosts_total, hosts_done, hosts_ok, hosts_failed;
    bool started;             /* exec->start succeeded */
    bool cancel_requested;    /* DELETE /v1/jobs/{id} */
    bool interrupt_requested; /* drain ran out of grace */
    char **secrets;           /* held (na_secret_hold) while the job lives */
    size_t n_secrets;
    bool lost;                /* some of its events or results could not be stored */
    char lost_why[300];
    char *final_error;        /* unsettled: the final state waits to be stored */
    int64_t finished_ms;
    TAILQ_ENTRY(nd_job) link;
};
TAILQ_HEAD(nd_jobq, nd_job);

/* A playbook job being validated by the backend. */
struct nd_jobs_sub {
    nd_jobs *m;
    nd_be_prep *prep;
    char *who;
    json_t *masked;           /* the request as stored */
    char what[200];           /* for the audit and the log */
    char **secrets;
    size_t n_secrets;
    nd_jobs_submitted_cb done;
    void *ud;
    TAILQ_ENTRY(nd_jobs_sub) link;
};
TAILQ_HEAD(nd_subq, nd_jobs_sub);

struct nd_jobs {
    nd_jobs_env env;
    struct nd_jobq queued, running;
    struct nd_jobq unsettled; /* finished, but the store refused the final state: retried */
    struct event *retry_ev;
    struct nd_subq subs;
    unsigned n_queued, n_running, n_subs;
    struct event *pump_ev;
    bool draining;
    nd_jobs_observer obs[MAX_OBSERVERS];
    int n_obs;
};

static void pump_cb(evutil_socket_t fd, short what, void *arg);
static void notify_idle(nd_jobs *m);

static void retry_cb(evutil_socket_t fd, short what, void *arg);

/* The store lost some of job id's progress (a full disk, store.max_size): the job will say so. */
static void store_lost(void *ud, int64_t id, const char *why)
{
    nd_jobs *m = ud;
    nd_job *j = nd_jobs_find(m, id);
    if (!j) {
        NA_LOGE("jobs", "job %lld: an event after its end could not be stored: %s",
                (long long)id, why);
        return;
    }
    if (!j->lost)
        NA_LOGE("jobs", "job %lld: some of its events or results could not be stored: %s",
                (long long)id, why);
    j->lost = true;
    snprintf(j->lost_why, sizeof j->lost_why, "%s", why);
}

nd_jobs *nd_jobs_new(const nd_jobs_env *env, na_err *err)
{
    nd_jobs *m = calloc(1, sizeof *m);
    if (!m || !(m->pump_ev = event_new(env->base, -1, 0, pump_cb, m)) ||
        !(m->retry_ev = event_new(env->base, -1, 0, retry_cb, m))) {
        if (m && m->pump_ev)
            event_free(m->pump_ev);
        free(m);
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    m->env = *env;
    TAILQ_INIT(&m->queued);
    TAILQ_INIT(&m->running);
    TAILQ_INIT(&m->unsettled);
    TAILQ_INIT(&m->subs);
    nd_store_on_loss(env->store, store_lost, m);
    return m;
}

const nd_jobs_env *nd_jobs_env_of(const nd_jobs *m) { return &m->env; }

int nd_jobs_observe(nd_jobs *m, const nd_jobs_observer *o)
{
    if (m->n_obs == MAX_OBSERVERS)
        return -1;
    m->obs[m->n_obs++] = *o;
    return 0;
}

int64_t nd_job_id(const nd_job *j) { return j->id; }
const char *nd_job_kind(const nd_job *j) { return j->kind; }
const char *nd_job_submitted_by(const nd_job *j) { return j->submitted_by; }
const json_t *nd_job_targets(const nd_job *j) { return j->targets; }
void *nd_job_exec_state(const nd_job *j) { return j->exec_state; }
bool nd_job_stopping(const nd_job *j) { return j->cancel_requested || j->interrupt_requested; }
bool nd_job_started(const nd_job *j) { return j->started; }
nd_jobs *nd_job_manager(const nd_job *j) { return j->m; }
bool nd_jobs_idle(const nd_jobs *m)
{
    return m->n_queued == 0 && m->n_running == 0 && m->n_subs == 0;
}
unsigned nd_jobs_running(const nd_jobs *m) { return m->n_running; }

nd_job *nd_jobs_find(nd_jobs *m, int64_t id)
{
    nd_job *j;
    TAILQ_FOREACH(j, &m->running, link)
        if (j->id == id)
            return j;
    TAILQ_FOREACH(j, &m->queued, link)
        if (j->id == id)
            return j;
    return NULL;
}

bool nd_jobs_overlay(nd_jobs *m, int64_t id, nd_job_state *st, const char **error,
                     int64_t *finished_ms)
{
    nd_job *j = nd_jobs_find(m, id);
    if (!j)
        TAILQ_FOREACH(j, &m->unsettled, link)
            if (j->id == id)
                break;
    if (!j)
        return false;
    *st = j->state;
    *error = j->final_error;
    *finished_ms = j->finished_ms;
    return true;
}

static void schedule_pump(nd_jobs *m) { event_active(m->pump_ev, EV_TIMEOUT, 0); }

/* Store and broadcast one event; data is consumed. */
static void emit(nd_job *j, const char *type, json_t *data)
{
    nd_jobs *m = j->m;
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
    if (nd_store_event(m->env.store, j->id, seq, now, type, data, &e) < 0)
        NA_LOGE("jobs", "job %lld: %s", (long long)j->id, e.msg);
    bool wanted = false;
    for (int i = 0; i < m->n_obs; i++)
        wanted |= m->obs[i].event != NULL;
    if (wanted) {
        char *txt = json_dumps(data, JSON_COMPACT); /* results: already safe, device text exact */
        for (int i = 0; txt && i < m->n_obs; i++)
            if (m->obs[i].event)
                m->obs[i].event(m->obs[i].ud, j, seq, type, txt);
        free(txt);
    }
    json_decref(data);
}

static nd_job *job_new(nd_jobs *m, int64_t id, const char *kind, const char *who,
                       const json_t *targets)
{
    nd_job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->m = m;
    j->id = id;
    j->state = ND_JOB_QUEUED;
    snprintf(j->kind, sizeof j->kind, "%s", kind);
    j->submitted_by = strdup(who);
    j->targets = json_deep_copy(targets);
    j->hosts_total = (int)json_array_size(targets);
    j->next_seq = 1;
    if (!j->submitted_by || !j->targets) {
        free(j->submitted_by);
        json_decref(j->targets);
        free(j);
        return NULL;
    }
    return j;
}

/* Hold the secret values of a job's vars for its lifetime. 0, or -1 + err (nothing held). */
static int hold_secrets(const json_t *vars, char ***out, size_t *n, na_err *err)
{
    *out = NULL;
    *n = 0;
    json_t *vals = nd_vars_secrets(vars);
    size_t k = json_array_size(vals);
    if (!vals || (k && !(*out = calloc(k, sizeof **out)))) {
        json_decref(vals);
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < k; i++) {
        const char *v = json_string_value(json_array_get(vals, i));
        char *c = strdup(v);
        if (!c || na_secret_hold(v) < 0) {
            free(c);
            json_decref(vals);
            for (size_t j = 0; j < *n; j++) {
                na_secret_release((*out)[j]);
                na_wipe((*out)[j], strlen((*out)[j]));
                free((*out)[j]);
            }
            free(*out);
            *out = NULL;
            *n = 0;
            return na_err_set(err, NA_E_OVERFLOW,
                              "too many secrets are held by running jobs; try again later");
        }
        (*out)[(*n)++] = c;
    }
    json_decref(vals);
    return 0;
}

static void release_secrets(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        na_secret_release(v[i]);
        na_wipe(v[i], strlen(v[i]));
        free(v[i]);
    }
    free(v);
}

static void job_free(nd_job *j)
{
    if (j->exec_state && j->exec->discard)
        j->exec->discard(j);
    release_secrets(j->secrets, j->n_secrets);
    free(j->final_error);
    free(j->submitted_by);
    json_decref(j->targets);
    free(j);
}

static void enqueue(nd_jobs *m, nd_job *j, const char *what)
{
    TAILQ_INSERT_TAIL(&m->queued, j, link);
    m->n_queued++;
    m->env.metrics->jobs_submitted++;
    emit(j, "job_queued",
         json_pack("{s:s,s:s,s:O}", "kind", j->kind, "submitted_by", j->submitted_by, "targets",
                   j->targets));
    char target[40];
    snprintf(target, sizeof target, "job %lld", (long long)j->id);
    nd_audit(m->env.store, j->submitted_by, "job.submit", target, what);
    NA_LOGI("jobs", "job %lld accepted from %s: %s (%d hosts)", (long long)j->id, j->submitted_by,
            what, j->hosts_total);
    schedule_pump(m);
}

static int check_capacity(nd_jobs *m, na_err *err)
{
    if (m->draining)
        return na_err_set(err, NA_E_CANCELLED, "netautod is shutting down; not accepting jobs");
    if (m->n_queued + m->n_running + m->n_subs >= m->env.cfg->jobs_queued)
        return na_err_set(err, NA_E_OVERFLOW,
                          "too many unfinished jobs (%u); try again when some have finished",
                          m->env.cfg->jobs_queued);
    return 0;
}

/* Store a job and queue it; on any failure exec->discard(exec_state) has run. The job takes
 * *secrets (held) when it is created. */
static int64_t accept_job(nd_jobs *m, const char *kind, const json_t *request,
                          const json_t *targets, const char *who, const char *what,
                          const nd_job_exec *exec, void *exec_state, char ***secrets,
                          size_t *n_secrets, na_err *err)
{
    int64_t id = nd_store_job_insert(m->env.store, kind, who, request, targets, na_wall_ms(), err);
    nd_job *j = id > 0 ? job_new(m, id, kind, who, targets) : NULL;
    if (j && secrets) {
        j->secrets = *secrets;
        j->n_secrets = *n_secrets;
        *secrets = NULL;
        *n_secrets = 0;
    }
    if (!j) {
        nd_job tmp = {.exec = exec, .exec_state = exec_state};
        if (exec_state && exec->discard)
            exec->discard(&tmp);
        if (id > 0) { /* stored but cannot run: settle it */
            nd_store_job_finished(m->env.store, id, ND_JOB_FAILED, na_wall_ms(), "out of memory",
                                  NULL);
            na_err_set(err, NA_E_NOMEM, "out of memory");
        }
        return -1;
    }
    j->exec = exec;
    j->exec_state = exec_state;
    enqueue(m, j, what);
    return id;
}

/* ---- playbook jobs: the backend as executor -------------------------------------------------- */

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

static int be_start(nd_job *j, na_err *err)
{
    nd_jobs *m = j->m;
    nd_job_sink sink = {
        .host_started = sink_host_started,
        .task_result = sink_task_result,
        .host_finished = sink_host_finished,
        .job_finished = sink_job_finished,
        .ud = j,
    };
    nd_be_job *bj = j->exec_state;
    j->exec_state = NULL; /* the backend owns it now, even on failure */
    if (m->env.be_ops->job_run(m->env.be, bj, j->id, &sink, err) < 0)
        return -1;
    j->exec_state = bj;
    return 0;
}

static void be_cancel(nd_job *j)
{
    if (j->exec_state)
        j->m->env.be_ops->job_cancel(j->m->env.be, j->exec_state);
}

static void be_discard(nd_job *j)
{
    /* a prepared job never run; a running one belongs to the backend (and is gone with it) */
    if (!j->started && j->exec_state)
        j->m->env.be_ops->job_discard(j->m->env.be, j->exec_state);
    j->exec_state = NULL;
}

static const nd_job_exec backend_exec = {be_start, be_cancel, be_discard};

static void sub_free(nd_jobs_sub *s)
{
    release_secrets(s->secrets, s->n_secrets);
    free(s->who);
    json_decref(s->masked);
    free(s);
}

static void sub_unlink(nd_jobs_sub *s)
{
    TAILQ_REMOVE(&s->m->subs, s, link);
    s->m->n_subs--;
}

/* The backend's verdict, from the loop. */
static void prepared(void *ud, nd_be_job *bj, const json_t *targets, const na_err *verr)
{
    nd_jobs_sub *s = ud;
    nd_jobs *m = s->m;
    sub_unlink(s);
    na_err e = NA_ERR_INIT;
    int64_t id = -1;
    if (!bj) {
        e = *verr;
    } else if (m->draining) {
        m->env.be_ops->job_discard(m->env.be, bj);
        na_err_set(&e, NA_E_CANCELLED, "netautod is shutting down; not accepting jobs");
    } else {
        json_t *tg = json_is_array(targets) ? json_incref((json_t *)targets) : json_array();
        id = accept_job(m, "playbook", s->masked, tg, s->who, s->what, &backend_exec, bj,
                        &s->secrets, &s->n_secrets, &e);
        json_decref(tg);
    }
    nd_jobs_submitted_cb done = s->done;
    void *dud = s->ud;
    sub_free(s); /* its secrets are the job's now, or released */
    done(dud, id, id > 0 ? NULL : &e);
    notify_idle(m);
}

nd_jobs_sub *nd_jobs_submit(nd_jobs *m, const json_t *request, const char *who,
                            nd_jobs_submitted_cb done, void *ud, na_err *err)
{
    if (check_capacity(m, err) < 0)
        return NULL;
    nd_job_req rq;
    if (nd_job_req_parse(request, &rq, err) < 0)
        return NULL;
    nd_jobs_sub *s = calloc(1, sizeof *s);
    json_t *vars = rq.vars ? json_incref((json_t *)rq.vars) : json_object();
    if (!s || !vars || !(s->who = strdup(who)) || !(s->masked = json_object())) {
        json_decref(vars);
        if (s)
            sub_free(s);
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    s->m = m;
    s->done = done;
    s->ud = ud;
    /* the real values go to the backend only; from now on they are redacted everywhere */
    if (hold_secrets(vars, &s->secrets, &s->n_secrets, err) < 0) {
        json_decref(vars);
        sub_free(s);
        return NULL;
    }
    json_object_set_new(s->masked, "playbook", json_string(rq.playbook));
    json_object_set_new(s->masked, "limit", rq.limit ? json_string(rq.limit) : json_null());
    json_object_set_new(s->masked, "check", json_boolean(rq.check));
    json_object_set_new(s->masked, "vars", nd_vars_mask(vars));
    if (strchr(rq.playbook, '\n'))
        snprintf(s->what, sizeof s->what, "inline playbook (%zu bytes)%s%s",
                 strlen(rq.playbook), rq.limit ? " limit " : "", rq.limit ? rq.limit : "");
    else
        snprintf(s->what, sizeof s->what, "playbook %s%s%s%s", rq.playbook,
                 rq.limit ? " limit " : "", rq.limit ? rq.limit : "", rq.check ? " (check)" : "");
    nd_job_spec spec = {rq.playbook, rq.limit, rq.check, vars, who};
    s->prep = m->env.be_ops->job_prepare(m->env.be, &spec, prepared, s, err);
    json_decref(vars);
    if (!s->prep) {
        sub_free(s);
        return NULL;
    }
    TAILQ_INSERT_TAIL(&m->subs, s, link);
    m->n_subs++;
    return s;
}

void nd_jobs_submit_abandon(nd_jobs *m, nd_jobs_sub *s)
{
    m->env.be_ops->job_prepare_abandon(m->env.be, s->prep);
    sub_unlink(s);
    sub_free(s);
    notify_idle(m);
}

int64_t nd_jobs_submit_exec(nd_jobs *m, const char *kind, const json_t *request,
                            const json_t *targets, const char *who, const char *what,
                            const nd_job_exec *exec, void *exec_state, na_err *err)
{
    if (check_capacity(m, err) < 0) {
        nd_job tmp = {.m = m, .exec = exec, .exec_state = exec_state};
        if (exec_state && exec->discard)
            exec->discard(&tmp);
        return -1;
    }
    return accept_job(m, kind, request, targets, who, what, exec, exec_state, NULL, NULL, err);
}

/* ---- running ------------------------------------------------------------------------------- */

static void notify_ended(nd_jobs *m, nd_job *j)
{
    for (int i = 0; i < m->n_obs; i++)
        if (m->obs[i].ended)
            m->obs[i].ended(m->obs[i].ud, j);
}

static void notify_idle(nd_jobs *m)
{
    if (!nd_jobs_idle(m))
        return;
    for (int i = 0; i < m->n_obs; i++)
        if (m->obs[i].idle)
            m->obs[i].idle(m->obs[i].ud);
}

/* Retry the final states the store refused (every 5 s while it refuses). */
static void retry_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    nd_jobs *m = arg;
    nd_job *j, *next;
    for (j = TAILQ_FIRST(&m->unsettled); j; j = next) {
        next = TAILQ_NEXT(j, link);
        na_err e = NA_ERR_INIT;
        if (nd_store_job_finished(m->env.store, j->id, j->state, j->finished_ms, j->final_error,
                                  &e) < 0)
            continue;
        NA_LOGI("jobs", "job %lld: its final state is stored now", (long long)j->id);
        TAILQ_REMOVE(&m->unsettled, j, link);
        job_free(j);
    }
    struct timeval tv = {5, 0};
    if (!TAILQ_EMPTY(&m->unsettled))
        event_add(m->retry_ev, &tv);
}

/* Settle a job's final state: store (durable; if the store refuses, kept in memory — answers
 * show it — and retried), final event, observers, free. j must already be unlinked from its
 * queue. A job that lost results to the store ends failed and says so. */
static void settle(nd_job *j, nd_job_state st, const char *error)
{
    nd_jobs *m = j->m;
    int64_t now = na_wall_ms();
    na_err e = NA_ERR_INIT;
    char lostmsg[1024];
    if (j->lost && (st == ND_JOB_SUCCEEDED || st == ND_JOB_FAILED)) {
        snprintf(lostmsg, sizeof lostmsg,
                 "some of this job's results could not be stored (%s): what netautod shows of it "
                 "is incomplete%s%s",
                 j->lost_why, error ? "; " : "", error ? error : "");
        st = ND_JOB_FAILED;
        error = lostmsg;
    }
    j->state = st;
    j->finished_ms = now;
    bool stored = nd_store_job_finished(m->env.store, j->id, st, now, error, &e) == 0;
    if (!stored) {
        NA_LOGE("jobs", "job %lld: its final state (%s) could not be stored: %s; netautod keeps "
                "it and tries again", (long long)j->id, nd_job_state_names[st], e.msg);
        j->final_error = error ? strdup(error) : NULL;
    }
    json_t *summary = json_pack("{s:i,s:i,s:i,s:i}", "targets", j->hosts_total, "finished",
                                j->hosts_done, "ok", j->hosts_ok, "failed", j->hosts_failed);
    emit(j, "job_finished",
         json_pack("{s:s,s:o,s:s?}", "state", nd_job_state_names[st], "summary", summary, "error",
                   error));
    NA_LOGI("jobs", "job %lld %s (%d/%d hosts ok)%s%s", (long long)j->id, nd_job_state_names[st],
            j->hosts_ok, j->hosts_total, error ? ": " : "", error ? error : "");
    notify_ended(m, j);
    if (stored) {
        job_free(j);
        return;
    }
    if (j->exec_state && j->exec->discard)
        j->exec->discard(j);
    j->exec_state = NULL;
    TAILQ_INSERT_TAIL(&m->unsettled, j, link);
    struct timeval tv = {5, 0};
    if (!event_pending(m->retry_ev, EV_TIMEOUT, NULL))
        event_add(m->retry_ev, &tv);
}

static void start_job(nd_jobs *m, nd_job *j)
{
    na_err e = NA_ERR_INIT;
    TAILQ_INSERT_TAIL(&m->running, j, link);
    m->n_running++;
    if (nd_store_job_started(m->env.store, j->id, na_wall_ms(), &e) < 0)
        NA_LOGE("jobs", "job %lld: %s", (long long)j->id, e.msg);
    emit(j, "job_started", json_object());
    j->state = ND_JOB_RUNNING;
    if (j->exec->start(j, &e) < 0) {
        TAILQ_REMOVE(&m->running, j, link);
        m->n_running--;
        settle(j, ND_JOB_FAILED, e.msg);
        return;
    }
    j->started = true;
}

static void pump_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    nd_jobs *m = arg;
    while (!m->draining && m->n_running < m->env.cfg->jobs_running &&
           !TAILQ_EMPTY(&m->queued)) {
        nd_job *j = TAILQ_FIRST(&m->queued);
        TAILQ_REMOVE(&m->queued, j, link);
        m->n_queued--;
        start_job(m, j);
    }
    notify_idle(m);
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
    if (nd_store_host_result(j->m->env.store, j->id, host, result, na_wall_ms(), &e) < 0)
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
    nd_jobs *m = j->m;
    j->exec_state = NULL; /* the executor frees its state after we return */
    TAILQ_REMOVE(&m->running, j, link);
    m->n_running--;
    nd_job_state st;
    const char *msg = NULL;
    if (j->interrupt_requested) {
        st = ND_JOB_INTERRUPTED;
        msg = "netautod shut down before the job finished (drain grace period over)";
    } else if (j->cancel_requested) {
        st = ND_JOB_CANCELLED;
        msg = "cancelled";
    } else if (na_err_isset(err)) {
        st = err->code == NA_E_CANCELLED ? ND_JOB_CANCELLED : ND_JOB_FAILED;
        msg = err->msg;
    } else if (j->hosts_failed > 0 || j->hosts_done < j->hosts_total) {
        st = ND_JOB_FAILED;
        if (j->hosts_done < j->hosts_total)
            msg = "some hosts have no result";
    } else
        st = ND_JOB_SUCCEEDED;
    settle(j, st, msg);
    schedule_pump(m);
}

int nd_jobs_cancel(nd_jobs *m, int64_t id, const char *who, bool *was_queued, na_err *err)
{
    nd_job *j = nd_jobs_find(m, id);
    char target[40];
    snprintf(target, sizeof target, "job %lld", (long long)id);
    *was_queued = false;
    if (!j) {
        nd_job_state st;
        if (nd_store_job_state(m->env.store, id, &st, err) < 0)
            return -1;
        return na_err_set(err, NA_E_CONFIG, "job %lld already finished (%s)", (long long)id,
                          nd_job_state_names[st]);
    }
    nd_audit(m->env.store, who, "job.cancel", target, NULL);
    if (j->state == ND_JOB_QUEUED) {
        *was_queued = true;
        TAILQ_REMOVE(&m->queued, j, link);
        m->n_queued--;
        settle(j, ND_JOB_CANCELLED, "cancelled before it started");
        notify_idle(m);
        return 0;
    }
    if (j->cancel_requested || j->interrupt_requested)
        return 0;
    j->cancel_requested = true;
    emit(j, "cancel_requested", json_pack("{s:s}", "by", who));
    j->exec->cancel(j);
    return 0;
}

void nd_jobs_drain(nd_jobs *m)
{
    m->draining = true;
    nd_jobs_sub *s;
    while ((s = TAILQ_FIRST(&m->subs))) {
        m->env.be_ops->job_prepare_abandon(m->env.be, s->prep);
        sub_unlink(s);
        nd_jobs_submitted_cb done = s->done;
        void *ud = s->ud;
        sub_free(s);
        na_err e = NA_ERR_INIT;
        na_err_set(&e, NA_E_CANCELLED, "netautod is shutting down; not accepting jobs");
        done(ud, -1, &e);
    }
    nd_job *j;
    while ((j = TAILQ_FIRST(&m->queued))) {
        TAILQ_REMOVE(&m->queued, j, link);
        m->n_queued--;
        settle(j, ND_JOB_INTERRUPTED, "netautod shut down before the job started");
    }
    notify_idle(m);
}

void nd_jobs_interrupt(nd_jobs *m)
{
    nd_job *j, *next;
    for (j = TAILQ_FIRST(&m->running); j; j = next) {
        next = TAILQ_NEXT(j, link);
        if (j->interrupt_requested)
            continue;
        j->interrupt_requested = true;
        j->exec->cancel(j);
    }
}

void nd_jobs_free(nd_jobs *m)
{
    if (!m)
        return;
    m->n_obs = 0; /* observers are gone at exit */
    nd_jobs_drain(m);
    nd_job *j;
    while ((j = TAILQ_FIRST(&m->running))) {
        TAILQ_REMOVE(&m->running, j, link);
        m->n_running--;
        /* the backend was destroyed (its jobs with it); exec->discard frees the rest */
        settle(j, ND_JOB_INTERRUPTED,
               "netautod shut down before the job finished (the backend did not stop in time)");
    }
    retry_cb(-1, 0, m); /* a last try; what is still refused is recovered at the next start */
    while ((j = TAILQ_FIRST(&m->unsettled))) {
        TAILQ_REMOVE(&m->unsettled, j, link);
        job_free(j);
    }
    event_free(m->retry_ev);
    event_free(m->pump_ev);
    free(m);
}
