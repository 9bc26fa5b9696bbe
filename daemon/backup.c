/* backup.c — the backup executor (see backup.h): a backup job runs one command on every target
 * host through the backend's command API (so it uses the session pool and the device locks like
 * any command), keeps each capture in the store with a unified diff against the previous capture
 * of the same host and command, and reports each host to the job manager. Not the scheduler
 * (schedule.c) and not the diff (diff.h). */
#include "backup.h"
#include "clock.h"
#include "diff.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct bk_host {
    struct bk *b;
    char *host;
    nd_be_cmd *cmd;
} bk_host;

typedef struct bk {
    nd_job *j;
    nd_jobs *m;
    char *command, *transport;
    bk_host *hosts;
    size_t n;
    size_t pending;
    struct event *done_ev; /* finishes a job with nothing pending, from the loop */
} bk;

static void bk_free(bk *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++)
        free(b->hosts[i].host); /* commands still running: only at exit, the backend is gone */
    free(b->hosts);
    free(b->command);
    free(b->transport);
    if (b->done_ev)
        event_free(b->done_ev);
    free(b);
}

/* The job is over: tell the manager (which forgets b), then free b. */
static void finish(bk *b, const na_err *err)
{
    nd_job_finished(b->j, err);
    bk_free(b);
}

static void host_done(bk_host *h, json_t *result)
{
    bk *b = h->b;
    nd_job_host_finished(b->j, h->host, result);
    json_decref(result);
    if (--b->pending == 0) {
        na_err e = NA_ERR_INIT;
        if (nd_job_stopping(b->j))
            na_err_set(&e, NA_E_CANCELLED, "cancelled");
        finish(b, &e);
    }
}

static json_t *error_result(const char *code, const char *msg)
{
    return json_pack("{s:b,s:b,s:{s:s,s:s},s:[]}", "ok", 0, "changed", 0, "error", "code", code,
                     "message", msg);
}

/* Keep the capture: diff against the previous one of (host, command), store. 0 or -1 + err. */
static int keep(bk *b, const char *host, const char *out, json_t *res, json_t *task, na_err *e)
{
    const nd_jobs_env *env = nd_jobs_env_of(b->m);
    int64_t prev_id = 0;
    char *prev = NULL;
    int have = nd_store_backup_latest(env->store, host, b->command, &prev_id, &prev, e);
    if (have < 0)
        return -1;
    char *diff = NULL;
    /* unchanged unless the configs differ beyond volatile lines (timestamps, byte counts) */
    bool changed = have != 1;
    if (have == 1) {
        char la[200], lb[200];
        snprintf(la, sizeof la, "%s backup %lld", host, (long long)prev_id);
        snprintf(lb, sizeof lb, "%s job %lld", host, (long long)nd_job_id(b->j));
        na_diff_opts o = {.context = 3, .label_a = la, .label_b = lb};
        na_buf db;
        na_buf_init(&db, (size_t)16 << 20);
        na_err de = NA_ERR_INIT;
        if (na_diff_unified(prev, strlen(prev), out, strlen(out), &o, &db, &changed, &de) < 0) {
            changed = strcmp(prev, out) != 0;
            na_buf_reset(&db);
            if (na_buf_printf(&db, NULL, "(no diff: %s)\n", de.msg) < 0) {
                /* only without memory: the diff stays empty */
            }
        }
        if (changed)
            diff = na_buf_steal(&db);
        na_buf_free(&db);
    }
    int64_t id = nd_store_backup_add(env->store, host, b->command, nd_job_id(b->j), na_wall_ms(),
                                     out, changed, diff ? diff : "", prev_id,
                                     env->cfg->backups_keep, e);
    free(prev);
    free(diff);
    if (id < 0)
        return -1;
    json_object_set_new(res, "backup_id", json_integer(id));
    json_object_set_new(res, "changed", json_boolean(changed));
    json_object_set_new(task, "changed", json_boolean(changed));
    return 0;
}

static void cmd_done(void *ud, json_t *result, const na_err *err)
{
    bk_host *h = ud;
    bk *b = h->b;
    h->cmd = NULL;
    if (!result) {
        host_done(h, error_result(na_code_name(err ? err->code : NA_E_INTERNAL),
                                  err ? err->msg : "no result"));
        return;
    }
    json_t *c0 = json_array_get(json_object_get(result, "commands"), 0);
    const char *out = json_string_value(json_object_get(c0, "output"));
    bool ok = json_is_true(json_object_get(result, "ok")) && out;
    json_t *task = json_pack("{s:s,s:b,s:b,s:s,s:O?,s:[s]}", "name", b->command, "ok", ok,
                             "changed", 0, "output", out ? out : "", "elapsed_ms",
                             json_object_get(c0, "elapsed_ms"), "commands", b->command);
    json_t *res = json_pack("{s:b,s:b,s:O?,s:[o]}", "ok", ok, "changed", 0, "error",
                            json_object_get(result, "error"), "tasks", task);
    na_err e = NA_ERR_INIT;
    if (ok && keep(b, h->host, out, res, task, &e) < 0) {
        NA_LOGE(h->host, "cannot store the backup: %s", e.msg);
        json_object_set_new(res, "ok", json_false());
        json_object_set_new(res, "error", json_pack("{s:s,s:s}", "code", "io", "message", e.msg));
    }
    host_done(h, res);
}

static void done_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    finish(arg, NULL);
}

static int bk_start(nd_job *j, na_err *err)
{
    bk *b = nd_job_exec_state(j);
    const nd_jobs_env *env = nd_jobs_env_of(b->m);
    b->j = j;
    /* Issue the commands; synchronous failures finish their host at once, but the job itself
     * only finishes from the loop. */
    b->pending = b->n + 1; /* hold the job open while issuing */
    for (size_t i = 0; i < b->n; i++) {
        bk_host *h = &b->hosts[i];
        const char *cmds[1] = {b->command};
        nd_cmd_spec spec = {.host = h->host, .transport = b->transport, .commands = cmds,
                            .n_commands = 1, .requested_by = nd_job_submitted_by(j),
                            .job = nd_job_id(j)};
        na_err e = NA_ERR_INIT;
        nd_job_host_started(j, h->host);
        h->cmd = env->be_ops->cli_cmd_run(env->be, &spec, cmd_done, h, &e);
        if (!h->cmd) {
            json_t *res = error_result(na_code_name(e.code), e.msg);
            nd_job_host_finished(j, h->host, res);
            json_decref(res);
            b->pending--;
        }
    }
    (void)err;
    if (--b->pending == 0)
        event_active(b->done_ev, EV_TIMEOUT, 0);
    return 0;
}

static void bk_cancel(nd_job *j)
{
    bk *b = nd_job_exec_state(j);
    const nd_jobs_env *env = nd_jobs_env_of(b->m);
    for (size_t i = 0; i < b->n; i++)
        if (b->hosts[i].cmd)
            env->be_ops->cmd_cancel(env->be, b->hosts[i].cmd);
}

static void bk_discard(nd_job *j) { bk_free(nd_job_exec_state(j)); }

static const nd_job_exec backup_exec = {bk_start, bk_cancel, bk_discard};

/* A backup executor's state for `targets` (array of names), or NULL + err. */
static bk *bk_make(nd_jobs *m, const char *command, const char *transport, const json_t *targets,
                   na_err *err)
{
    const nd_jobs_env *env = nd_jobs_env_of(m);
    size_t n = json_array_size(targets);
    bk *b = calloc(1, sizeof *b);
    if (!b || !(b->hosts = calloc(n ? n : 1, sizeof *b->hosts)) ||
        !(b->done_ev = event_new(env->base, -1, 0, done_cb, b)) ||
        !(b->command = strdup(command)) || (transport && !(b->transport = strdup(transport)))) {
        bk_free(b);
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    b->m = m;
    for (size_t i = 0; i < n; i++) {
        bk_host *h = &b->hosts[b->n];
        h->b = b;
        if ((h->host = strdup(json_string_value(json_array_get(targets, i)))))
            b->n++;
    }
    return b;
}

int64_t nd_backup_submit(nd_jobs *m, const char *schedule, const char *command,
                         const char *transport, const char *limit, const char *who, na_err *err)
{
    const nd_jobs_env *env = nd_jobs_env_of(m);
    json_t *targets = env->be_ops->resolve_limit(env->be, limit, err);
    if (!targets)
        return -1;
    bk *b = bk_make(m, command, transport, targets, err);
    if (!b) {
        json_decref(targets);
        return -1;
    }
    json_t *req = json_pack("{s:s,s:s?,s:s?,s:s?}", "backup", command, "schedule", schedule,
                            "limit", limit, "transport", transport);
    char what[200];
    snprintf(what, sizeof what, "backup '%s'%s%s", command, limit ? " limit " : "",
             limit ? limit : "");
    int64_t id = req ? nd_jobs_submit_exec(m, "backup", req, targets, who, what, &backup_exec, b,
                                           err)
                     : (bk_free(b), na_err_set(err, NA_E_NOMEM, "out of memory"));
    json_decref(req);
    json_decref(targets);
    return id;
}

static void *bk_resume(nd_jobs *m, const json_t *request, const json_t *hosts,
                       const nd_job_exec **exec, na_err *err)
{
    const char *command = json_string_value(json_object_get(request, "backup"));
    if (!command) {
        na_err_set(err, NA_E_CONFIG, "its stored request names no backup command");
        return NULL;
    }
    bk *b = bk_make(m, command, json_string_value(json_object_get(request, "transport")), hosts,
                    err);
    *exec = &backup_exec;
    return b;
}

int nd_backup_resumer(nd_jobs *m, na_err *err)
{
    if (nd_jobs_resumer(m, "backup", bk_resume) < 0)
        return na_err_set(err, NA_E_NOMEM, "too many job resumers");
    return 0;
}
