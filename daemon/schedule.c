/* schedule.c — scheduled jobs (see schedule.h): a one-second tick against the wall clock (robust to
 * clock changes and suspend) fires each schedule whose next time has come, through the job
 * manager (playbooks) or the backup executor (backups). A schedule whose previous run is still
 * active is skipped (logged), and runs missed while netautod was down are not made up. Not cron:
 * only the daemon's own schedules, and not an executor. */
#include "schedule.h"
#include "backup.h"
#include "clock.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A schedule's playbook job being validated. */
typedef struct firing {
    nd_sched *s;
    size_t i;
    nd_jobs_sub *sub;
    nd_jobs_submitted_cb done; /* the API's, for a run asked for (NULL: the tick's) */
    void *ud;
} firing;

struct nd_sched {
    nd_jobs *jobs;
    const nd_conf *cfg;
    struct event *timer;
    int64_t *next;    /* per schedule: next fire (s since epoch), -1 never */
    int64_t *job;     /* per schedule: the job it started, while active (0: none) */
    firing **firing;  /* per schedule: its job being validated, or NULL */
};

static void tick_cb(evutil_socket_t fd, short what, void *arg);

static void job_ended(void *ud, nd_job *j)
{
    nd_sched *s = ud;
    for (size_t i = 0; i < s->cfg->n_schedules; i++)
        if (s->job[i] == nd_job_id(j))
            s->job[i] = 0;
}

nd_sched *nd_sched_new(nd_jobs *jobs, const nd_conf *cfg, struct event_base *base, na_err *err)
{
    size_t n = cfg->n_schedules;
    nd_sched *s = calloc(1, sizeof *s);
    if (!s || !(s->next = calloc(n ? n : 1, sizeof *s->next)) ||
        !(s->job = calloc(n ? n : 1, sizeof *s->job)) ||
        !(s->firing = calloc(n ? n : 1, sizeof *s->firing))) {
        nd_sched_free(s);
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    s->jobs = jobs;
    s->cfg = cfg;
    nd_jobs_observer o = {.ended = job_ended, .ud = s};
    nd_jobs_observe(jobs, &o);
    time_t now = time(NULL);
    for (size_t i = 0; i < n; i++) {
        s->next[i] = nd_cron_next(&cfg->schedules[i].cron, now, cfg->cron_utc);
        if (s->next[i] < 0)
            NA_LOGW("sched", "schedule '%s' (%s) never fires", cfg->schedules[i].name,
                    cfg->schedules[i].cron_expr);
    }
    if (n == 0)
        return s;
    s->timer = event_new(base, -1, EV_PERSIST, tick_cb, s);
    struct timeval tv = {1, 0};
    if (!s->timer || event_add(s->timer, &tv) < 0) {
        nd_sched_free(s);
        na_err_set(err, NA_E_NOMEM, "cannot start the scheduler");
        return NULL;
    }
    return s;
}

void nd_sched_stop(nd_sched *s)
{
    if (s && s->timer)
        event_free(s->timer);
    if (s)
        s->timer = NULL;
}

void nd_sched_free(nd_sched *s)
{
    if (!s)
        return;
    nd_sched_stop(s);
    for (size_t i = 0; s->firing && i < s->cfg->n_schedules; i++)
        if (s->firing[i]) {
            nd_jobs_submit_abandon(s->jobs, s->firing[i]->sub);
            free(s->firing[i]);
        }
    free(s->next);
    free(s->job);
    free(s->firing);
    free(s);
}

/* A schedule's playbook job was validated (or refused). */
static void fired(void *ud, int64_t id, const na_err *err)
{
    firing *f = ud;
    nd_sched *s = f->s;
    const nd_schedule_cfg *c = &s->cfg->schedules[f->i];
    s->firing[f->i] = NULL;
    if (id > 0) {
        s->job[f->i] = id;
        NA_LOGI("sched", "schedule '%s' started job %lld", c->name, (long long)id);
    } else {
        NA_LOGW("sched", "schedule '%s' skipped: %s", c->name, err->msg);
    }
    if (f->done)
        f->done(f->ud, id, err);
    free(f);
}

static int64_t fire(nd_sched *s, size_t i, const char *who, nd_jobs_submitted_cb done, void *ud,
                    na_err *err)
{
    const nd_schedule_cfg *c = &s->cfg->schedules[i];
    if (s->job[i])
        return na_err_set(err, NA_E_CONFIG, "schedule '%s': its previous run (job %lld) is still "
                          "active", c->name, (long long)s->job[i]);
    if (s->firing[i])
        return na_err_set(err, NA_E_CONFIG, "schedule '%s': its previous run is still being "
                          "validated", c->name);
    char owner[160];
    snprintf(owner, sizeof owner, "%s", who ? who : "");
    if (!who)
        snprintf(owner, sizeof owner, "schedule:%s", c->name);
    int64_t id;
    if (c->backup_command) {
        id = nd_backup_submit(s->jobs, c->name, c->backup_command, c->transport, c->limit, owner,
                              err);
    } else {
        json_t *req = json_pack("{s:s,s:s?,s:b,s:O?}", "playbook", c->playbook, "limit", c->limit,
                                "check", c->check, "vars", c->vars);
        firing *f = calloc(1, sizeof *f);
        if (!req || !f) {
            json_decref(req);
            free(f);
            return na_err_set(err, NA_E_NOMEM, "out of memory");
        }
        *f = (firing){s, i, NULL, done, ud};
        f->sub = nd_jobs_submit(s->jobs, req, owner, fired, f, err);
        json_decref(req);
        if (!f->sub) {
            free(f);
            return -1;
        }
        s->firing[i] = f;
        return 0;
    }
    if (id > 0)
        s->job[i] = id;
    return id;
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    nd_sched *s = arg;
    time_t now = time(NULL);
    for (size_t i = 0; i < s->cfg->n_schedules; i++) {
        if (s->next[i] < 0 || now < s->next[i])
            continue;
        const nd_schedule_cfg *c = &s->cfg->schedules[i];
        na_err e = NA_ERR_INIT;
        int64_t id = fire(s, i, NULL, NULL, NULL, &e);
        if (id > 0)
            NA_LOGI("sched", "schedule '%s' started job %lld", c->name, (long long)id);
        else if (id < 0)
            NA_LOGW("sched", "schedule '%s' skipped: %s", c->name, e.msg);
        s->next[i] = nd_cron_next(&c->cron, now, s->cfg->cron_utc);
    }
}

int64_t nd_sched_run(nd_sched *s, const char *name, const char *who, nd_jobs_submitted_cb done,
                     void *ud, na_err *err)
{
    for (size_t i = 0; i < s->cfg->n_schedules; i++) {
        if (strcmp(s->cfg->schedules[i].name, name))
            continue;
        char owner[200];
        snprintf(owner, sizeof owner, "%s (schedule:%s)", who, name);
        return fire(s, i, owner, done, ud, err);
    }
    return na_err_set(err, NA_E_NOTFOUND, "no schedule named '%s'", name);
}

json_t *nd_sched_json(nd_sched *s)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < s->cfg->n_schedules; i++) {
        const nd_schedule_cfg *c = &s->cfg->schedules[i];
        char next[40] = "";
        if (s->next[i] > 0)
            na_format_wall(s->next[i] * 1000, next, sizeof next);
        json_array_append_new(
            arr, json_pack("{s:s,s:s,s:s,s:s,s:s?,s:s?,s:s?,s:o}", "name", c->name, "cron",
                           c->cron_expr, "kind", c->backup_command ? "backup" : "playbook",
                           "next", next, "playbook", c->playbook, "backup", c->backup_command,
                           "limit", c->limit, "running_job",
                           s->job[i] ? json_integer(s->job[i]) : json_null()));
    }
    return arr;
}
