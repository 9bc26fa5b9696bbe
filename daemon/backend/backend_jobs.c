/* backend_jobs.c — playbook jobs for netautod: load the playbook (a name in playbook_dir, or
 * inline YAML; script tasks confined to playbook_dir), prepare the runner against an inventory
 * generation within the request's validation budget (everything is validated before the daemon
 * answers 202: errors are 400 with file:line:column; this part runs on the validator thread,
 * backend_validate.c), then run it on the daemon's loop with forks 0 — the daemon's lock manager
 * paces the hosts — mapping the runner's acquire/release to host_acquire/host_release, its
 * events to the job sink and its metrics hooks to the daemon's. A job keeps its inventory
 * generation until it is freed. Not the runner (playbooks/runner.h) and not the job store
 * (daemon/jobs.c). */
#include "backend_int.h"
#include "log.h"
#include "playbook.h"
#include "runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct nd_be_job {
    nd_be *be;              /* set while running */
    nd_be_inv *gen;            /* reference: the runner borrows its inventory and platforms */
    na_playbook *pb;
    na_runner *r;
    bool resumable;         /* resumable: true, or check mode: may run again after a restart */
    nd_job_sink sink;
    int64_t id;
    char owner[48];         /* "job 12" */
    LIST_ENTRY(nd_be_job) link;
};

/* A runner host's request for a device: the trampoline between the runner's grant function and
 * the daemon's lock callback. */
typedef struct nd_be_grant {
    nd_be_job *j;
    na_run_grant_fn grant;
    void *grant_ud;
    nd_lock_req *req;
    bool granted;
    char host[];
} nd_be_grant;

bool nd_be_err_unreached(const na_err *err)
{
    switch (err->code) {
    case NA_E_DNS:
    case NA_E_BADADDR:
    case NA_E_REFUSED:
    case NA_E_UNREACHABLE:
    case NA_E_AUTH:
    case NA_E_HOSTKEY_UNKNOWN:
    case NA_E_HOSTKEY_CHANGED:
    case NA_E_ALGO:
    case NA_E_PROTOCOL: return true;
    default: return false;
    }
}

static void job_free(nd_be_job *j)
{
    if (j->be)
        LIST_REMOVE(j, link);
    na_runner_free(j->r); /* a running runner gives its locks back (release hook) */
    na_pb_free(j->pb);
    nd_be_inv_unref(j->gen);
    free(j);
}

/* ---- loading ------------------------------------------------------------------------------- */

/* Inline playbooks may not upload scripts or copy files: their paths name files on the daemon's
 * machine, and only playbooks the operator put in playbook_dir may choose those (and even then a
 * copy's local paths stay inside playbook_dir: na_run_opts.confine_local). */
static int no_scripts(const na_playbook *pb, const char *label, na_err *err)
{
    for (size_t p = 0; p < na_pb_play_count(pb); p++) {
        const na_play *pl = na_pb_play(pb, p);
        for (size_t t = 0; t < na_play_task_count(pl); t++) {
            const na_task *tk = na_play_task(pl, t);
            na_task_kind k = na_task_kind_of(tk);
            if (k == NA_TASK_SCRIPT || k == NA_TASK_COPY)
                return na_err_set(err, NA_E_CONFIG,
                                  "%s:%u:%u: task '%s': %s tasks are only allowed in "
                                  "playbooks stored in netautod's playbook directory, not inline",
                                  label, na_task_line(tk), na_task_col(tk), na_task_name(tk),
                                  na_task_kind_name(k));
        }
    }
    return 0;
}

static na_playbook *load_playbook(nd_be *be, const char *spec, na_err *err)
{
    if (strchr(spec, '\n')) {
        const char *label = "<inline playbook>";
        na_playbook *pb = na_pb_load_mem(label, spec, strlen(spec), be->playbook_dir, err);
        if (pb && no_scripts(pb, label, err) < 0) {
            na_pb_free(pb);
            return NULL;
        }
        return pb;
    }
    /* A name: no directory part, so nothing outside playbook_dir can be named. */
    if (!*spec || strchr(spec, '/') || spec[0] == '.' || strlen(spec) > 200) {
        na_err_set(err, NA_E_USAGE, "playbook names may not contain '/' or start with '.' (a "
                                    "name in netautod's playbook directory, or inline YAML)");
        return NULL;
    }
    static const char *const ext[] = {"", ".yaml", ".yml"};
    char path[4400];
    for (size_t k = 0; k < 3; k++) {
        struct stat st;
        snprintf(path, sizeof path, "%s/%s%s", be->playbook_dir, spec, ext[k]);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            /* its scripts (whatever API vars make of their paths) stay in playbook_dir */
            na_playbook *pb = na_pb_load_file(path, err);
            if (pb && na_pb_confine_scripts(pb, be->playbook_dir, err) < 0) {
                na_pb_free(pb);
                return NULL;
            }
            return pb;
        }
    }
    na_err_set(err, NA_E_NOTFOUND, "no playbook '%s' in %s", spec, be->playbook_dir);
    return NULL;
}

/* ---- runner hooks ----------------------------------------------------------------------------- */

static void h_granted(nd_lock_req *req, void *ud)
{
    (void)req;
    nd_be_grant *g = ud;
    nd_be *be = g->j->be;
    g->granted = true;
    nd_be_pool_evict_host(be, g->host, -1); /* the runner opens its own session */
    nd_be_hstat *s = nd_be_hstat_get(be, g->host);
    if (s)
        s->job_sessions++;
    be->job_sessions++;
    g->grant(g->grant_ud);
}

static void *h_acquire(void *ud, const char *host, na_run_grant_fn grant, void *grant_ud)
{
    nd_be_job *j = ud;
    size_t n = strlen(host) + 1;
    nd_be_grant *g = calloc(1, sizeof *g + n);
    if (!g) {
        NA_LOGE("backend", "out of memory asking for a device lock; aborting");
        abort(); /* the runner needs a handle; the daemon aborts on OOM here too */
    }
    memcpy(g->host, host, n);
    g->j = j;
    g->grant = grant;
    g->grant_ud = grant_ud;
    g->req = j->be->svc.host_acquire(j->be->svc.ctx, host, j->owner, j->id, h_granted, g);
    return g;
}

static void h_release(void *ud, void *handle)
{
    nd_be_job *j = ud;
    nd_be_grant *g = handle;
    nd_be *be = j->be;
    if (g->granted) {
        nd_be_hstat *s = na_strmap_get(be->hstat, g->host);
        if (s && s->job_sessions)
            s->job_sessions--;
        if (be->job_sessions)
            be->job_sessions--;
    }
    be->svc.host_release(be->svc.ctx, g->req);
    free(g);
}

static void h_host_started(void *ud, const char *host)
{
    nd_be_job *j = ud;
    j->sink.host_started(j->sink.ud, host);
}

static void h_task_result(void *ud, const char *host, json_t *task)
{
    nd_be_job *j = ud;
    j->sink.task_result(j->sink.ud, host, task);
}

static void h_host_finished(void *ud, const char *host, json_t *result)
{
    nd_be_job *j = ud;
    json_t *e = json_object_get(result, "error");
    const char *status = json_string_value(json_object_get(result, "status"));
    if (!status || strcmp(status, "cancelled")) {
        na_err err = NA_ERR_INIT;
        if (json_is_object(e)) {
            const char *code = json_string_value(json_object_get(e, "code"));
            const char *msg = json_string_value(json_object_get(e, "message"));
            na_code c = NA_E_INTERNAL;
            for (int k = 1; k < NA_E__COUNT; k++)
                if (code && !strcmp(na_code_name((na_code)k), code))
                    c = (na_code)k;
            na_err_set(&err, c, "%s", msg ? msg : "failed");
        }
        /* no task ran and a connection-type error: the device could not be reached */
        bool unreached = json_array_size(json_object_get(result, "tasks")) == 0 &&
                         na_err_isset(&err) && (nd_be_err_unreached(&err) ||
                                                err.code == NA_E_TIMEOUT ||
                                                err.code == NA_E_CLOSED);
        nd_be_hstat_contact(j->be, host, !unreached, &err);
    }
    j->sink.host_finished(j->sink.ud, host, result);
}

static void h_run_finished(void *ud, json_t *results, const na_err *err)
{
    (void)results;
    nd_be_job *j = ud;
    j->sink.job_finished(j->sink.ud, err);
    job_free(j); /* na_runner_free inside run_finished is allowed */
}

static int h_record(void *ud, const char *host, const char *kind, const char *const *lines,
                    size_t n, na_run_durable_fn durable, void *durable_ud, void **wait,
                    na_err *err)
{
    nd_be_job *j = ud;
    *wait = NULL;
    if (!j->sink.record)
        return 0;
    return j->sink.record(j->sink.ud, host, kind, lines, n, durable, durable_ud, wait, err);
}

static void h_record_drop(void *ud, void *wait)
{
    nd_be_job *j = ud;
    if (j->sink.record_drop)
        j->sink.record_drop(j->sink.ud, wait);
}

static void h_record_answered(void *ud, const char *host, size_t answered, bool done, bool ok)
{
    nd_be_job *j = ud;
    if (j->sink.record_answered)
        j->sink.record_answered(j->sink.ud, host, answered, done, ok);
}

static void h_command(void *ud, const char *host, int64_t elapsed_ms, bool ok)
{
    nd_be_job *j = ud;
    j->be->svc.command_observed(j->be->svc.ctx, host, elapsed_ms, ok);
}

static void h_login_failed(void *ud, const char *host)
{
    nd_be_job *j = ud;
    j->be->svc.login_failed(j->be->svc.ctx, host);
}

static bool h_may_proceed(void *ud, const char *host)
{
    nd_be_job *j = ud;
    return !j->sink.may_proceed || j->sink.may_proceed(j->sink.ud, host);
}

/* ---- the vtable part ------------------------------------------------------------------------- */

nd_be_job *nd_be_job_validate(nd_be *be, nd_be_inv *gen, const nd_job_spec *spec,
                              na_pb_budget *budget, json_t **targets, na_err *err)
{
    *targets = NULL;
    nd_be_job *j = calloc(1, sizeof *j);
    if (!j) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    j->gen = gen; /* the caller's reference becomes the job's on success */
    snprintf(j->owner, sizeof j->owner, "job");
    if (!(j->pb = load_playbook(be, spec->playbook, err)))
        goto fail;
    na_run_opts o = NA_RUN_OPTS_INIT;
    o.confine_local = true; /* copy tasks: local files inside playbook_dir only */
    o.limit = spec->limit;
    o.check = spec->check;
    o.extra_vars = json_object_size(spec->vars) ? spec->vars : NULL;
    o.forks = 0; /* the daemon's lock manager caps the devices in flight */
    o.platforms = gen->plats;
    o.base = be->svc.base;
    o.owner = "job";
    o.budget = budget;
    o.hosts = spec->hosts;
    o.n_hosts = spec->n_hosts;
    o.hooks = (na_run_hooks){
        .ud = j,
        .acquire = h_acquire,
        .release = h_release,
        .host_started = h_host_started,
        .task_result = h_task_result,
        .host_finished = h_host_finished,
        .run_finished = h_run_finished,
        .command_observed = h_command,
        .login_failed = h_login_failed,
        .may_proceed = h_may_proceed,
        .record = h_record,
        .record_drop = h_record_drop,
        .record_answered = h_record_answered,
    };
    if (!(j->r = na_runner_new(gen->inv, j->pb, &o, err)))
        goto fail;
    j->resumable = spec->check || na_pb_resumable(j->pb);
    if (!(*targets = na_runner_targets(j->r))) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        goto fail;
    }
    return j;
fail:
    j->gen = NULL; /* stays the caller's (only the loop touches reference counts) */
    job_free(j);
    return NULL;
}

int nd_be_job_run(nd_be *be, nd_be_job *j, int64_t id, const nd_job_sink *sink, na_err *err)
{
    j->be = be;
    LIST_INSERT_HEAD(&be->jobs, j, link);
    j->id = id;
    j->sink = *sink;
    snprintf(j->owner, sizeof j->owner, "job %lld", (long long)id);
    if (na_runner_set_owner(j->r, j->owner, err) < 0 || na_runner_start(j->r, err) < 0) {
        job_free(j);
        return -1;
    }
    return 0;
}

void nd_be_job_cancel(nd_be *be, nd_be_job *j)
{
    (void)be;
    NA_LOGI(j->owner, "cancelling");
    na_runner_cancel(j->r); /* run_finished(NA_E_CANCELLED) follows from the loop */
}

void nd_be_job_discard(nd_be *be, nd_be_job *j)
{
    (void)be; /* may be called after the backend is gone (daemon teardown) */
    if (j)
        job_free(j);
}

bool nd_be_job_resumable(nd_be *be, const nd_be_job *j)
{
    (void)be;
    return j->resumable;
}

void nd_be_jobs_free_all(nd_be *be)
{
    while (!LIST_EMPTY(&be->jobs))
        job_free(LIST_FIRST(&be->jobs));
}
