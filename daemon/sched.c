/* sched.c — scheduled jobs (cron expressions from the config) and the backup executor: a
 * backup job runs one command on every target host through the backend's command API, keeps
 * each capture in the store with a unified diff against the previous capture of the same host
 * and command. A schedule whose previous run is still active is skipped (logged), and runs
 * missed while netautod was down are not made up. Not cron: only the daemon's own schedules. */
#include "clock.h"
#include "diff.h"
#include "log.h"
#include "netautod.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct bk_host {
    nd_backup *b;
    char *host;
    na_be_cmd *cmd;
} bk_host;

struct nd_backup {
    nd_job *j;
    bk_host *hosts;
    size_t n;
    size_t pending;
    struct event *done_ev; /* finishes a job with nothing pending, from the loop */
};

static void tick_cb(evutil_socket_t fd, short what, void *arg);

static int64_t fire(nd *d, size_t i, const char *who, na_err *err)
{
    const na_schedule_cfg *s = &d->cfg.schedules[i];
    if (d->sched_job[i])
        return na_err_set(err, NA_E_CONFIG, "schedule '%s': its previous run (job %lld) is still "
                          "active", s->name, (long long)d->sched_job[i]->id);
    char owner[160];
    snprintf(owner, sizeof owner, "%s", who ? who : "");
    if (!who)
        snprintf(owner, sizeof owner, "schedule:%s", s->name);
    int64_t id;
    if (s->backup_command) {
        id = nd_job_submit_backup(d, s->name, s->backup_command, s->transport, s->limit, owner,
                                  err);
    } else {
        json_t *req = json_pack("{s:s,s:s?,s:b,s:O?}", "playbook", s->playbook, "limit", s->limit,
                                "check", s->check, "vars", s->vars);
        id = req ? nd_job_submit(d, req, owner, err) : -1;
        json_decref(req);
    }
    if (id > 0)
        d->sched_job[i] = nd_job_find(d, id);
    return id;
}

int nd_sched_start(nd *d, na_err *err)
{
    size_t n = d->cfg.n_schedules;
    d->sched_next = calloc(n ? n : 1, sizeof *d->sched_next);
    d->sched_job = calloc(n ? n : 1, sizeof *d->sched_job);
    if (!d->sched_next || !d->sched_job)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    time_t now = time(NULL);
    for (size_t i = 0; i < n; i++) {
        d->sched_next[i] = na_cron_next(&d->cfg.schedules[i].cron, now, d->cfg.cron_utc);
        if (d->sched_next[i] < 0)
            NA_LOGW("sched", "schedule '%s' (%s) never fires", d->cfg.schedules[i].name,
                    d->cfg.schedules[i].cron_expr);
    }
    if (n == 0)
        return 0;
    /* A one-second tick against the wall clock: robust to clock changes and suspend. */
    d->sched_timer = event_new(d->base, -1, EV_PERSIST, tick_cb, d);
    struct timeval tv = {1, 0};
    if (!d->sched_timer || event_add(d->sched_timer, &tv) < 0)
        return na_err_set(err, NA_E_NOMEM, "cannot start the scheduler");
    return 0;
}

void nd_sched_stop(nd *d)
{
    if (d->sched_timer)
        event_free(d->sched_timer);
    d->sched_timer = NULL;
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    nd *d = arg;
    if (d->draining)
        return;
    time_t now = time(NULL);
    for (size_t i = 0; i < d->cfg.n_schedules; i++) {
        if (d->sched_next[i] < 0 || now < d->sched_next[i])
            continue;
        const na_schedule_cfg *s = &d->cfg.schedules[i];
        na_err e = NA_ERR_INIT;
        int64_t id = fire(d, i, NULL, &e);
        if (id > 0)
            NA_LOGI("sched", "schedule '%s' started job %lld", s->name, (long long)id);
        else
            NA_LOGW("sched", "schedule '%s' skipped: %s", s->name, e.msg);
        d->sched_next[i] = na_cron_next(&s->cron, now, d->cfg.cron_utc);
    }
}

int64_t nd_sched_run(nd *d, const char *name, const char *who, na_err *err)
{
    for (size_t i = 0; i < d->cfg.n_schedules; i++) {
        if (strcmp(d->cfg.schedules[i].name, name))
            continue;
        char owner[200];
        snprintf(owner, sizeof owner, "%s (schedule:%s)", who, name);
        return fire(d, i, owner, err);
    }
    return na_err_set(err, NA_E_NOTFOUND, "no schedule named '%s'", name);
}

void nd_sched_job_ended(nd *d, nd_job *j)
{
    for (size_t i = 0; d->sched_job && i < d->cfg.n_schedules; i++)
        if (d->sched_job[i] == j)
            d->sched_job[i] = NULL;
}

json_t *nd_sched_json(nd *d)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < d->cfg.n_schedules; i++) {
        const na_schedule_cfg *s = &d->cfg.schedules[i];
        char next[40] = "";
        if (d->sched_next && d->sched_next[i] > 0)
            na_format_wall((int64_t)d->sched_next[i] * 1000, next, sizeof next);
        json_array_append_new(
            arr, json_pack("{s:s,s:s,s:s,s:s,s:s?,s:s?,s:s?,s:o}", "name", s->name, "cron",
                           s->cron_expr, "kind", s->backup_command ? "backup" : "playbook",
                           "next", next, "playbook", s->playbook, "backup", s->backup_command,
                           "limit", s->limit, "running_job",
                           d->sched_job && d->sched_job[i]
                               ? json_integer(d->sched_job[i]->id)
                               : json_null()));
    }
    return arr;
}

/* ---- backup executor ----------------------------------------------------------------------- */

void nd_backup_free(nd_backup *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++) {
        if (b->hosts[i].cmd) /* only at exit, after the backend is gone */
            b->hosts[i].cmd = NULL;
        free(b->hosts[i].host);
    }
    free(b->hosts);
    if (b->done_ev)
        event_free(b->done_ev);
    free(b);
}

static void host_done(bk_host *h, json_t *result)
{
    nd_backup *b = h->b;
    nd_job_host_finished(b->j, h->host, result);
    json_decref(result);
    if (--b->pending == 0) {
        na_err e = NA_ERR_INIT;
        if (b->j->cancel_requested || b->j->interrupt_requested)
            na_err_set(&e, NA_E_CANCELLED, "cancelled");
        nd_job_finished(b->j, &e); /* frees the job and b */
    }
}

static json_t *error_result(const char *code, const char *msg)
{
    return json_pack("{s:b,s:b,s:{s:s,s:s},s:[]}", "ok", 0, "changed", 0, "error", "code", code,
                     "message", msg);
}

static void cmd_done(void *ud, json_t *result, const na_err *err)
{
    bk_host *h = ud;
    nd_backup *b = h->b;
    nd *d = b->j->d;
    const char *command = b->j->bk_command;
    h->cmd = NULL;
    if (!result) {
        host_done(h, error_result(na_code_name(err ? err->code : NA_E_INTERNAL),
                                  err ? err->msg : "no result"));
        return;
    }
    json_t *c0 = json_array_get(json_object_get(result, "commands"), 0);
    const char *out = json_string_value(json_object_get(c0, "output"));
    bool ok = json_is_true(json_object_get(result, "ok")) && out;
    json_t *task = json_pack("{s:s,s:b,s:b,s:s,s:O?,s:[s]}", "name", command, "ok", ok, "changed",
                             0, "output", out ? out : "", "elapsed_ms",
                             json_object_get(c0, "elapsed_ms"), "commands", command);
    json_t *res = json_pack("{s:b,s:b,s:O?,s:[o]}", "ok", ok, "changed", 0, "error",
                            json_object_get(result, "error"), "tasks", task);
    if (ok) {
        na_err e = NA_ERR_INIT;
        int64_t prev_id = 0;
        char *prev = NULL;
        int have = na_store_backup_latest(d->store, h->host, command, &prev_id, &prev, &e);
        char *diff = NULL;
        /* unchanged unless the configs differ beyond volatile lines (timestamps, byte counts) */
        bool changed = have != 1;
        if (have == 1) {
            char la[200], lb[200];
            snprintf(la, sizeof la, "%s backup %lld", h->host, (long long)prev_id);
            snprintf(lb, sizeof lb, "%s job %lld", h->host, (long long)b->j->id);
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
        int64_t id = have >= 0 ? na_store_backup_add(d->store, h->host, command, b->j->id,
                                                     na_wall_ms(), out, changed, diff ? diff : "",
                                                     prev_id, d->cfg.backups_keep, &e)
                               : -1;
        if (id > 0) {
            json_object_set_new(res, "backup_id", json_integer(id));
            json_object_set_new(res, "changed", json_boolean(changed));
            json_object_set_new(task, "changed", json_boolean(changed));
        } else {
            NA_LOGE(h->host, "cannot store the backup: %s", e.msg);
            json_object_set_new(res, "ok", json_false());
            json_object_set_new(res, "error", json_pack("{s:s,s:s}", "code", "io", "message", e.msg));
        }
        free(prev);
        free(diff);
    }
    host_done(h, res);
}

static void done_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    nd_backup *b = arg;
    nd_job_finished(b->j, NULL);
}

int nd_backup_start(nd_job *j, const char *command, const char *transport, json_t *targets,
                    na_err *err)
{
    nd *d = j->d;
    nd_backup *b = calloc(1, sizeof *b);
    size_t n = json_array_size(targets);
    if (!b || !(b->hosts = calloc(n ? n : 1, sizeof *b->hosts)) ||
        !(b->done_ev = event_new(d->base, -1, 0, done_cb, b))) {
        nd_backup_free(b);
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    }
    b->j = j;
    j->bk = b;
    for (size_t i = 0; i < n; i++) {
        bk_host *h = &b->hosts[b->n];
        h->b = b;
        h->host = strdup(json_string_value(json_array_get(targets, i)));
        if (!h->host)
            continue;
        b->n++;
        b->pending++;
    }
    /* Issue the commands; synchronous failures finish their host at once, but the job itself
     * only finishes from the loop. */
    b->pending++; /* hold the job open while issuing */
    for (size_t i = 0; i < b->n; i++) {
        bk_host *h = &b->hosts[i];
        const char *cmds[1] = {command};
        na_cmd_spec spec = {h->host, transport, cmds, 1, j->submitted_by, false};
        na_err e = NA_ERR_INIT;
        nd_job_host_started(j, h->host);
        h->cmd = d->be_ops->cmd_run(d->be, &spec, cmd_done, h, &e);
        if (!h->cmd) {
            json_t *res = error_result(na_code_name(e.code), e.msg);
            nd_job_host_finished(j, h->host, res);
            json_decref(res);
            b->pending--;
        }
    }
    if (--b->pending == 0)
        event_active(b->done_ev, EV_TIMEOUT, 0);
    return 0;
}

void nd_backup_cancel(nd_job *j)
{
    nd_backup *b = j->bk;
    for (size_t i = 0; i < b->n; i++)
        if (b->hosts[i].cmd)
            j->d->be_ops->cmd_cancel(j->d->be, b->hosts[i].cmd);
}
