/* backend_double.c — TEST DOUBLE of the device backend (see backend_double.h): scripted jobs and
 * commands that complete on libevent timers, under the daemon's device locks. For tests of the
 * daemon's service shell only; not a simulator of devices (tests/sim/ is) and never part of the
 * production netautod. */
#include "backend_double.h"
#include "clock.h"
#include "secret.h"
#include "strmap.h"
#include "ydoc.h"
#include "yjson.h"

#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/stat.h>

typedef struct dhost {
    char *name;
    json_t *groups;   /* array of strings */
    int latency_ms;
    json_t *commands; /* object command -> output */
    bool login_fail;
} dhost;

typedef struct hstat {
    int busy;
    int overlaps;
    int64_t ops;
    int64_t last_seen;
} hstat;

typedef struct dtask {
    char *name;
    char *command;
    int delay_ms;
    json_t *delay_by_host;
    json_t *fail_on;
    bool changed;
} dtask;

typedef struct dprog dprog;
LIST_HEAD(jobl, nd_be_job);
LIST_HEAD(cmdl, nd_be_cmd);

LIST_HEAD(prepl, nd_be_prep);

struct nd_be {
    nd_backend_services svc;
    char *playbook_dir;
    dhost *hosts;
    size_t n_hosts;
    na_strmap *stats; /* host -> hstat* */
    struct jobl jobs;
    struct cmdl cmds;
    struct prepl preps;
    unsigned busy_hosts;
};

/* A validation: done at once, delivered from the loop (as the contract says). */
struct nd_be_prep {
    nd_be *be;
    nd_be_job *job;
    na_err err;
    nd_job_prepared_cb done;
    void *ud;
    struct event *ev;
    LIST_ENTRY(nd_be_prep) link;
};

struct dprog {
    nd_be_job *job;
    dhost h;           /* a copy: an inventory reload does not pull it away */
    nd_lock_req *lock;
    bool granted, done;
    size_t task_i;
    struct event *timer;
    json_t *tasks;     /* results so far */
    bool changed;
    int64_t t_task;
    void *rec_wait;    /* the write-ahead record of the task's command is not durable yet */
    bool rec_failed;   /* ... or could not be kept: the task fails without running */
    char rec_err[300];
};

struct nd_be_job {
    nd_be *be;
    int64_t id;
    dtask *tasks;
    size_t n_tasks;
    json_t *targets;
    bool resumable;
    int cancel_grace_ms; /* cancel_grace_ms: a cancel ends the job this much later (a device
                            operation that must complete first) */
    nd_job_sink sink;
    dprog *progs;
    size_t n_progs, remaining;
    bool cancelled, running;
    struct event *finish_ev;
    LIST_ENTRY(nd_be_job) link;
};

struct nd_be_cmd {
    nd_be *be;
    dhost h;
    char **commands;
    size_t n, i;
    char *transport;
    char *owner;
    nd_lock_req *lock;
    bool granted;
    struct event *timer;
    json_t *results;
    int64_t t0, t_cmd;
    nd_cmd_done_cb done;
    void *ud;
    bool ok;
    json_t *error;
    LIST_ENTRY(nd_be_cmd) link;
};

/* ---- hosts -------------------------------------------------------------------------------- */

static void host_free(dhost *h)
{
    free(h->name);
    json_decref(h->groups);
    json_decref(h->commands);
    memset(h, 0, sizeof *h);
}

static int host_copy(dhost *dst, const dhost *src)
{
    dst->name = strdup(src->name);
    dst->groups = json_incref(src->groups);
    dst->commands = json_incref(src->commands);
    dst->latency_ms = src->latency_ms;
    dst->login_fail = src->login_fail;
    return dst->name ? 0 : -1;
}

static dhost *find_host(nd_be *be, const char *name)
{
    for (size_t i = 0; i < be->n_hosts; i++)
        if (!strcmp(be->hosts[i].name, name))
            return &be->hosts[i];
    return NULL;
}

static hstat *stat_of(nd_be *be, const char *host)
{
    hstat *s = na_strmap_get(be->stats, host);
    if (!s && (s = calloc(1, sizeof *s)) && na_strmap_put(be->stats, host, s) < 0) {
        free(s);
        s = NULL;
    }
    return s;
}

/* The device is now in use by us: count an overlap if it already was. */
static void enter(nd_be *be, const char *host)
{
    hstat *s = stat_of(be, host);
    if (!s)
        return;
    if (s->busy++ > 0)
        s->overlaps++;
    else
        be->busy_hosts++;
    s->ops++;
    s->last_seen = na_wall_ms();
}

static void leave(nd_be *be, const char *host)
{
    hstat *s = stat_of(be, host);
    if (s && --s->busy == 0)
        be->busy_hosts--;
}

static int load_inventory(nd_be *be, const char *path, na_err *err)
{
    na_ydoc d;
    if (na_ydoc_load_file(&d, path, err) < 0)
        return -1;
    static const char *const top[] = {"hosts", NULL};
    static const char *const hk[] = {"groups",     "latency_ms", "commands",
                                     "login_fail", "password",   NULL};
    na_ynode *root = na_ydoc_root(&d), *hosts;
    dhost *v = NULL;
    size_t n = 0;
    int rc = -1;
    if (na_ycheck_keys(&d, root, top, "the inventory", err) < 0)
        goto out;
    hosts = na_ymap_get(&d, root, "hosts");
    if (!na_yis_map(hosts)) {
        na_yerr(err, &d, hosts ? hosts : root, "hosts must be a mapping");
        goto out;
    }
    size_t len = na_ymap_len(hosts);
    v = calloc(len ? len : 1, sizeof *v);
    if (!v) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < len; i++, n++) {
        na_ynode *k = na_ymap_key(&d, hosts, i), *m = na_ymap_val(&d, hosts, i);
        dhost *h = &v[i];
        h->name = strdup(na_yscalar(k) ? na_yscalar(k) : "?");
        h->latency_ms = 5;
        h->groups = json_array();
        h->commands = json_object();
        if (na_yis_null(m))
            continue;
        if (na_ycheck_keys(&d, m, hk, "a host", err) < 0)
            goto out;
        na_ynode *x;
        long lv;
        if ((x = na_ymap_get(&d, m, "latency_ms"))) {
            if (na_ylong(&d, x, 0, 600000, &lv, err) < 0)
                goto out;
            h->latency_ms = (int)lv;
        }
        if ((x = na_ymap_get(&d, m, "login_fail")) && na_ybool(&d, x, &h->login_fail, err) < 0)
            goto out;
        if ((x = na_ymap_get(&d, m, "password")) && na_yscalar(x))
            na_secret_register(na_yscalar(x));
        if ((x = na_ymap_get(&d, m, "groups"))) {
            json_decref(h->groups);
            if (!(h->groups = na_ynode_to_json(&d, x, err)))
                goto out;
        }
        if ((x = na_ymap_get(&d, m, "commands"))) {
            json_decref(h->commands);
            if (!(h->commands = na_ynode_to_json(&d, x, err)))
                goto out;
        }
    }
    for (size_t i = 0; i < be->n_hosts; i++)
        host_free(&be->hosts[i]);
    free(be->hosts);
    be->hosts = v;
    be->n_hosts = n;
    v = NULL;
    rc = 0;
out:
    if (v) {
        for (size_t i = 0; i <= n && i < len; i++)
            host_free(&v[i]);
        free(v);
    }
    na_ydoc_free(&d);
    return rc;
}

/* ---- limits ------------------------------------------------------------------------------- */

static bool host_matches(const dhost *h, const char *pat)
{
    if (!strcmp(pat, "all") || !fnmatch(pat, h->name, 0))
        return true;
    size_t i;
    json_t *g;
    json_array_foreach(h->groups, i, g) if (json_is_string(g) &&
                                            !fnmatch(pat, json_string_value(g), 0)) return true;
    return false;
}

static json_t *resolve(nd_be *be, const char *limit, na_err *err)
{
    const char *lim = limit && *limit ? limit : "all";
    char *copy = strdup(lim);
    json_t *out = json_array();
    if (!copy || !out) {
        free(copy);
        json_decref(out);
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < be->n_hosts; i++) {
        bool in = false, excluded = false;
        char *save = NULL, *buf = strdup(copy);
        for (char *t = strtok_r(buf, ",:", &save); t; t = strtok_r(NULL, ",:", &save)) {
            while (*t == ' ')
                t++;
            if (*t == '!')
                excluded |= host_matches(&be->hosts[i], t + 1);
            else
                in |= host_matches(&be->hosts[i], t);
        }
        free(buf);
        if (in && !excluded)
            json_array_append_new(out, json_string(be->hosts[i].name));
    }
    free(copy);
    if (json_array_size(out) == 0) {
        json_decref(out);
        na_err_set(err, NA_E_CONFIG, "limit '%s' matches no host in the inventory", lim);
        return NULL;
    }
    return out;
}

/* ---- backend ops: lifecycle, inventory ------------------------------------------------------ */

static nd_be *d_create(const nd_backend_config *cfg, const nd_backend_services *svc, na_err *err)
{
    nd_be *be = calloc(1, sizeof *be);
    if (!be || !(be->stats = na_strmap_new()) ||
        !(be->playbook_dir = strdup(cfg->playbook_dir ? cfg->playbook_dir : "."))) {
        if (be)
            na_strmap_free(be->stats);
        free(be);
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    be->svc = *svc;
    LIST_INIT(&be->jobs);
    LIST_INIT(&be->cmds);
    LIST_INIT(&be->preps);
    return be;
}

static void job_free(nd_be_job *j);
static void cmd_free(nd_be_cmd *c);

static void free_stat(const char *k, void *v, void *ud)
{
    (void)k;
    (void)ud;
    free(v);
}

static void prep_free(nd_be_prep *p);

static void d_destroy(nd_be *be)
{
    if (!be)
        return;
    while (!LIST_EMPTY(&be->preps))
        prep_free(LIST_FIRST(&be->preps));
    while (!LIST_EMPTY(&be->jobs))
        job_free(LIST_FIRST(&be->jobs));
    while (!LIST_EMPTY(&be->cmds))
        cmd_free(LIST_FIRST(&be->cmds));
    for (size_t i = 0; i < be->n_hosts; i++)
        host_free(&be->hosts[i]);
    free(be->hosts);
    na_strmap_each(be->stats, free_stat, NULL);
    na_strmap_free(be->stats);
    free(be->playbook_dir);
    free(be);
}

static int d_inventory_load(nd_be *be, const char *path, na_err *err)
{
    return load_inventory(be, path, err);
}

static json_t *host_to_json(const dhost *h)
{
    return json_pack("{s:O,s:i,s:O,s:b,s:s}", "groups", h->groups, "latency_ms", h->latency_ms,
                     "commands", h->commands, "login_fail", h->login_fail, "password",
                     NA_REDACTED);
}

static json_t *d_inventory_json(nd_be *be)
{
    json_t *hosts = json_object();
    for (size_t i = 0; i < be->n_hosts; i++)
        json_object_set_new(hosts, be->hosts[i].name, host_to_json(&be->hosts[i]));
    return json_pack("{s:o,s:{}}", "hosts", hosts, "groups");
}

static json_t *d_host_json(nd_be *be, const char *name)
{
    dhost *h = find_host(be, name);
    return h ? host_to_json(h) : NULL;
}

static json_t *d_host_status(nd_be *be, const char *name)
{
    dhost *h = find_host(be, name);
    if (!h)
        return NULL;
    hstat *s = na_strmap_get(be->stats, name);
    return json_pack("{s:b,s:o,s:i,s:i,s:I}", "reachable", !h->login_fail, "last_seen",
                     s && s->last_seen ? json_integer(s->last_seen) : json_null(), "sessions",
                     s ? s->busy : 0, "double_overlaps", s ? s->overlaps : 0, "double_ops",
                     (json_int_t)(s ? s->ops : 0));
}

static json_t *d_resolve(nd_be *be, const char *limit, na_err *err)
{
    return resolve(be, limit, err);
}

/* ---- playbooks ---------------------------------------------------------------------------- */

static void tasks_free(dtask *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(t[i].name);
        free(t[i].command);
        json_decref(t[i].delay_by_host);
        json_decref(t[i].fail_on);
    }
    free(t);
}

static int load_playbook(nd_be *be, const char *pb, dtask **out, size_t *nout, char **hosts,
                         bool *resumable, int *cancel_grace_ms, na_err *err)
{
    na_ydoc d;
    *out = NULL;
    *nout = 0;
    *hosts = NULL;
    if (strchr(pb, '\n')) {
        if (na_ydoc_load_mem(&d, "<inline playbook>", pb, strlen(pb), err) < 0)
            return -1;
    } else {
        if (strchr(pb, '/') || pb[0] == '.')
            return na_err_set(err, NA_E_USAGE, "playbook names may not contain '/' or start "
                                               "with '.'");
        static const char *const ext[] = {"", ".yaml", ".yml"};
        char path[4200];
        struct stat st;
        size_t k = 0;
        for (; k < 3; k++) {
            snprintf(path, sizeof path, "%s/%s%s", be->playbook_dir, pb, ext[k]);
            if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
                break;
        }
        if (k == 3)
            return na_err_set(err, NA_E_NOTFOUND, "no playbook '%s' in %s", pb, be->playbook_dir);
        if (na_ydoc_load_file(&d, path, err) < 0)
            return -1;
    }
    static const char *const top[] = {"name", "hosts", "tasks", "resumable", "cancel_grace_ms",
                                      NULL};
    static const char *const tk[] = {"name", "command", "delay_ms", "delay_ms_by_host",
                                     "fail_on", "changed", NULL};
    na_ynode *root = na_ydoc_root(&d), *tasks, *x;
    dtask *t = NULL;
    size_t n = 0, len = 0;
    if (na_ycheck_keys(&d, root, top, "a playbook", err) < 0)
        goto fail;
    tasks = na_ymap_get(&d, root, "tasks");
    if (!na_yis_seq(tasks) || na_yseq_len(tasks) == 0) {
        na_yerr(err, &d, tasks ? tasks : root, "a playbook needs a non-empty list of tasks");
        goto fail;
    }
    if ((x = na_ymap_get(&d, root, "hosts")) && na_yscalar(x))
        *hosts = strdup(na_yscalar(x));
    if ((x = na_ymap_get(&d, root, "resumable")) && na_ybool(&d, x, resumable, err) < 0)
        goto fail;
    if ((x = na_ymap_get(&d, root, "cancel_grace_ms")) && na_yscalar(x))
        *cancel_grace_ms = atoi(na_yscalar(x));
    len = na_yseq_len(tasks);
    t = calloc(len, sizeof *t);
    if (!t)
        goto fail;
    for (; n < len; n++) {
        na_ynode *m = na_yseq_item(&d, tasks, n);
        dtask *k = &t[n];
        if (na_ycheck_keys(&d, m, tk, "a task", err) < 0)
            goto fail;
        k->name = strdup(na_yscalar(na_ymap_get(&d, m, "name")) ? na_yscalar(na_ymap_get(&d, m, "name"))
                                                                 : "task");
        if ((x = na_ymap_get(&d, m, "command")) && na_yscalar(x))
            k->command = strdup(na_yscalar(x));
        long v;
        if ((x = na_ymap_get(&d, m, "delay_ms"))) {
            if (na_ylong(&d, x, 0, 3600000, &v, err) < 0)
                goto fail;
            k->delay_ms = (int)v;
        }
        if ((x = na_ymap_get(&d, m, "delay_ms_by_host")) &&
            !(k->delay_by_host = na_ynode_to_json(&d, x, err)))
            goto fail;
        if ((x = na_ymap_get(&d, m, "fail_on")) && !(k->fail_on = na_ynode_to_json(&d, x, err)))
            goto fail;
        if ((x = na_ymap_get(&d, m, "changed")) && na_ybool(&d, x, &k->changed, err) < 0)
            goto fail;
    }
    na_ydoc_free(&d);
    *out = t;
    *nout = n;
    return 0;
fail:
    if (!na_err_isset(err))
        na_err_set(err, NA_E_NOMEM, "out of memory");
    if (t)
        tasks_free(t, n < len ? n + 1 : n);
    free(*hosts);
    *hosts = NULL;
    na_ydoc_free(&d);
    return -1;
}

/* ---- jobs --------------------------------------------------------------------------------- */

static void job_free(nd_be_job *j)
{
    nd_be *be = j->be;
    for (size_t i = 0; i < j->n_progs; i++) {
        dprog *p = &j->progs[i];
        if (p->rec_wait && j->sink.record_drop)
            j->sink.record_drop(j->sink.ud, p->rec_wait);
        if (p->timer)
            event_free(p->timer);
        if (p->lock) {
            if (p->granted)
                leave(be, p->h.name);
            be->svc.host_release(be->svc.ctx, p->lock);
        }
        json_decref(p->tasks);
        host_free(&p->h);
    }
    free(j->progs);
    tasks_free(j->tasks, j->n_tasks);
    json_decref(j->targets);
    if (j->finish_ev)
        event_free(j->finish_ev);
    if (j->running)
        LIST_REMOVE(j, link);
    free(j);
}

static nd_be_job *validate(nd_be *be, const nd_job_spec *spec, na_err *err)
{
    nd_be_job *j = calloc(1, sizeof *j);
    if (!j) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    j->be = be;
    char *pb_hosts = NULL;
    if (load_playbook(be, spec->playbook, &j->tasks, &j->n_tasks, &pb_hosts, &j->resumable,
                      &j->cancel_grace_ms, err) < 0) {
        free(j);
        return NULL;
    }
    j->resumable |= spec->check;
    j->targets = resolve(be, spec->limit ? spec->limit : pb_hosts, err);
    free(pb_hosts);
    if (!j->targets) {
        job_free(j);
        return NULL;
    }
    if (spec->hosts) { /* only these (a job resumed after a restart) */
        json_t *only = json_array();
        size_t i;
        json_t *v;
        json_array_foreach(j->targets, i, v) {
            for (size_t k = 0; k < spec->n_hosts; k++)
                if (!strcmp(spec->hosts[k], json_string_value(v)))
                    json_array_append(only, v);
        }
        json_decref(j->targets);
        j->targets = only;
        if (json_array_size(only) == 0) {
            na_err_set(err, NA_E_NOTFOUND, "no host to run on");
            job_free(j);
            return NULL;
        }
    }
    return j;
}

static void prep_free(nd_be_prep *p)
{
    LIST_REMOVE(p, link);
    if (p->job)
        job_free(p->job);
    event_free(p->ev);
    free(p);
}

static void prep_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    nd_be_prep *p = arg;
    nd_be_job *j = p->job;
    p->job = NULL;
    p->done(p->ud, j, j ? j->targets : NULL, j ? NULL : &p->err);
    prep_free(p);
}

static nd_be_prep *d_prepare(nd_be *be, const nd_job_spec *spec, nd_job_prepared_cb done,
                             void *ud, na_err *err)
{
    nd_be_prep *p = calloc(1, sizeof *p);
    if (!p || !(p->ev = event_new(be->svc.base, -1, 0, prep_cb, p))) {
        free(p);
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    p->be = be;
    p->done = done;
    p->ud = ud;
    p->job = validate(be, spec, &p->err);
    LIST_INSERT_HEAD(&be->preps, p, link);
    event_active(p->ev, EV_TIMEOUT, 0);
    return p;
}

static void d_prepare_abandon(nd_be *be, nd_be_prep *p)
{
    (void)be;
    prep_free(p);
}

static void prog_next(dprog *p);

static void job_finish_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    nd_be_job *j = arg;
    na_err e = NA_ERR_INIT;
    if (j->cancelled)
        na_err_set(&e, NA_E_CANCELLED, "cancelled");
    j->sink.job_finished(j->sink.ud, &e);
    job_free(j);
}

static void prog_finish(dprog *p, const char *error)
{
    nd_be_job *j = p->job;
    nd_be *be = j->be;
    p->done = true;
    leave(be, p->h.name);
    be->svc.host_release(be->svc.ctx, p->lock);
    p->lock = NULL;
    p->granted = false;
    json_t *res = json_pack("{s:b,s:b,s:s?,s:O}", "ok", error == NULL, "changed", p->changed,
                            "error", error, "tasks", p->tasks);
    j->sink.host_finished(j->sink.ud, p->h.name, res);
    json_decref(res);
    if (--j->remaining == 0)
        event_active(j->finish_ev, EV_TIMEOUT, 0);
}

static bool in_list(json_t *list, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) if (json_is_string(v) && !strcmp(json_string_value(v), name))
        return true;
    return false;
}

static const char *output_for(const dhost *h, const char *cmd, char *buf, size_t cap)
{
    const char *o = json_string_value(json_object_get(h->commands, cmd));
    if (o)
        return o;
    snprintf(buf, cap, "%s# %s\n(test double output)\n", h->name, cmd);
    return buf;
}

static void task_done_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    dprog *p = arg;
    nd_be_job *j = p->job;
    dtask *t = &j->tasks[p->task_i];
    if (p->rec_failed) { /* its record could not be kept: nothing was "sent" */
        p->rec_failed = false;
        prog_finish(p, p->rec_err);
        return;
    }
    bool fail = in_list(t->fail_on, p->h.name);
    if (t->command && j->sink.record_answered) /* a scripted failure is the device's answer */
        j->sink.record_answered(j->sink.ud, p->h.name, 1, true, !fail);
    int64_t el = na_now_ms() - p->t_task;
    char buf[512];
    const char *out = t->command ? output_for(&p->h, t->command, buf, sizeof buf) : "";
    json_t *res = json_pack("{s:s,s:b,s:b,s:s,s:I,s:[]}", "name", t->name, "ok", !fail, "changed",
                            !fail && t->changed, "output", fail ? "% scripted failure\n" : out,
                            "elapsed_ms", (json_int_t)el, "commands");
    if (t->command)
        json_array_append_new(json_object_get(res, "commands"), json_string(t->command));
    j->be->svc.command_observed(j->be->svc.ctx, p->h.name, el, !fail);
    json_array_append(p->tasks, res);
    j->sink.task_result(j->sink.ud, p->h.name, res);
    json_decref(res);
    if (!fail && t->changed)
        p->changed = true;
    if (fail) {
        char msg[300];
        snprintf(msg, sizeof msg, "task '%s' failed (scripted)", t->name);
        prog_finish(p, msg);
        return;
    }
    p->task_i++;
    prog_next(p);
}

/* Wait the task's delay: it "runs" on the device. */
static void task_run(dprog *p)
{
    nd_be_job *j = p->job;
    dtask *t = &j->tasks[p->task_i];
    json_t *dh = json_object_get(t->delay_by_host, p->h.name);
    int delay = json_is_integer(dh) ? (int)json_integer_value(dh) : t->delay_ms;
    struct timeval tv = {delay / 1000, (delay % 1000) * 1000};
    p->t_task = na_now_ms();
    event_add(p->timer, &tv);
}

/* The record of the task's command is durable (or lost): called from inside a commit, so
 * only schedules. */
static void rec_durable(void *ud, const na_err *err)
{
    dprog *p = ud;
    p->rec_wait = NULL;
    if (err) {
        p->rec_failed = true;
        snprintf(p->rec_err, sizeof p->rec_err, "nothing was sent: %s", err->msg);
        struct timeval now = {0, 0};
        event_add(p->timer, &now);
        return;
    }
    task_run(p);
}

static void prog_next(dprog *p)
{
    nd_be_job *j = p->job;
    if (p->task_i == j->n_tasks) {
        prog_finish(p, NULL);
        return;
    }
    dtask *t = &j->tasks[p->task_i];
    if (t->command && j->sink.record) { /* "sent" only once its record is durable */
        const char *line = t->command;
        na_err e = NA_ERR_INIT;
        void *wait = NULL;
        if (j->sink.record(j->sink.ud, p->h.name, "command", &line, 1, rec_durable, p, &wait,
                           &e) < 0) {
            p->rec_failed = true;
            snprintf(p->rec_err, sizeof p->rec_err, "nothing was sent: %s", e.msg);
            struct timeval now = {0, 0};
            event_add(p->timer, &now);
            return;
        }
        if ((p->rec_wait = wait))
            return;
    }
    task_run(p);
}

static void granted_cb(nd_lock_req *req, void *ud)
{
    (void)req;
    dprog *p = ud;
    nd_be_job *j = p->job;
    p->granted = true;
    enter(j->be, p->h.name);
    j->sink.host_started(j->sink.ud, p->h.name);
    if (p->h.login_fail) {
        j->be->svc.login_failed(j->be->svc.ctx, p->h.name);
        prog_finish(p, "authentication failed (scripted login_fail)");
        return;
    }
    prog_next(p);
}

static int d_run(nd_be *be, nd_be_job *j, int64_t id, const nd_job_sink *sink, na_err *err)
{
    j->id = id;
    j->sink = *sink;
    size_t n = json_array_size(j->targets);
    j->progs = calloc(n ? n : 1, sizeof *j->progs);
    j->finish_ev = event_new(be->svc.base, -1, 0, job_finish_cb, j);
    if (!j->progs || !j->finish_ev) {
        job_free(j);
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    }
    LIST_INSERT_HEAD(&be->jobs, j, link);
    j->running = true;
    char owner[64];
    snprintf(owner, sizeof owner, "job %lld", (long long)id);
    for (size_t i = 0; i < n; i++) {
        dprog *p = &j->progs[j->n_progs];
        dhost *h = find_host(be, json_string_value(json_array_get(j->targets, i)));
        if (!h || host_copy(&p->h, h) < 0)
            continue; /* removed by a reload since prepare: no result for it */
        p->job = j;
        p->tasks = json_array();
        p->timer = event_new(be->svc.base, -1, 0, task_done_cb, p);
        j->n_progs++;
        j->remaining++;
    }
    for (size_t i = 0; i < j->n_progs; i++)
        j->progs[i].lock =
            be->svc.host_acquire(be->svc.ctx, j->progs[i].h.name, owner, j->id, granted_cb,
                                 &j->progs[i]);
    if (j->remaining == 0)
        event_active(j->finish_ev, EV_TIMEOUT, 0);
    return 0;
}

static void d_cancel(nd_be *be, nd_be_job *j)
{
    if (j->cancelled)
        return;
    j->cancelled = true;
    for (size_t i = 0; i < j->n_progs; i++) {
        dprog *p = &j->progs[i];
        if (p->done)
            continue;
        p->done = true;
        event_del(p->timer);
        if (p->rec_wait && j->sink.record_drop)
            j->sink.record_drop(j->sink.ud, p->rec_wait);
        p->rec_wait = NULL;
        if (p->lock) {
            if (p->granted)
                leave(be, p->h.name);
            be->svc.host_release(be->svc.ctx, p->lock);
            p->lock = NULL;
            p->granted = false;
        }
    }
    struct timeval tv = {j->cancel_grace_ms / 1000, (j->cancel_grace_ms % 1000) * 1000};
    if (j->cancel_grace_ms > 0)
        event_add(j->finish_ev, &tv);
    else
        event_active(j->finish_ev, EV_TIMEOUT, 0);
}

static void d_discard(nd_be *be, nd_be_job *j)
{
    (void)be;
    job_free(j);
}

static bool d_resumable(nd_be *be, const nd_be_job *j)
{
    (void)be;
    return j->resumable;
}

/* ---- commands ----------------------------------------------------------------------------- */

static void cmd_free(nd_be_cmd *c)
{
    if (c->timer)
        event_free(c->timer);
    if (c->lock) {
        if (c->granted)
            leave(c->be, c->h.name);
        c->be->svc.host_release(c->be->svc.ctx, c->lock);
    }
    for (size_t i = 0; i < c->n; i++)
        free(c->commands[i]);
    free(c->commands);
    free(c->transport);
    free(c->owner);
    json_decref(c->results);
    json_decref(c->error);
    host_free(&c->h);
    LIST_REMOVE(c, link);
    free(c);
}

static void cli_cmd_complete(nd_be_cmd *c, const na_err *err)
{
    if (c->lock) {
        if (c->granted)
            leave(c->be, c->h.name);
        c->be->svc.host_release(c->be->svc.ctx, c->lock);
        c->lock = NULL;
    }
    if (na_err_isset(err)) {
        c->done(c->ud, NULL, err);
    } else {
        json_t *r = json_pack("{s:s,s:s,s:b,s:O,s:I,s:O}", "host", c->h.name, "transport",
                              c->transport ? c->transport : "ssh", "ok", c->ok, "error",
                              c->error ? c->error : json_null(), "elapsed_ms",
                              (json_int_t)(na_now_ms() - c->t0), "commands", c->results);
        c->done(c->ud, r, NULL);
        json_decref(r);
    }
    cmd_free(c);
}

static void cmd_step_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    nd_be_cmd *c = arg;
    if (c->i == (size_t)-1) { /* cancelled */
        na_err e = NA_ERR_INIT;
        na_err_set(&e, NA_E_CANCELLED, "cancelled");
        cli_cmd_complete(c, &e);
        return;
    }
    int64_t el = na_now_ms() - c->t_cmd;
    char buf[512];
    const char *out = output_for(&c->h, c->commands[c->i], buf, sizeof buf);
    json_array_append_new(c->results, json_pack("{s:s,s:s,s:b,s:I}", "command", c->commands[c->i],
                                                "output", out, "ok", 1, "elapsed_ms",
                                                (json_int_t)el));
    c->be->svc.command_observed(c->be->svc.ctx, c->h.name, el, true);
    if (++c->i == c->n) {
        cli_cmd_complete(c, NULL);
        return;
    }
    c->t_cmd = na_now_ms();
    struct timeval tv = {c->h.latency_ms / 1000, (c->h.latency_ms % 1000) * 1000};
    event_add(c->timer, &tv);
}

static void cmd_granted(nd_lock_req *req, void *ud)
{
    (void)req;
    nd_be_cmd *c = ud;
    c->granted = true;
    enter(c->be, c->h.name);
    if (c->h.login_fail) {
        c->be->svc.login_failed(c->be->svc.ctx, c->h.name);
        c->ok = false;
        c->error = json_pack("{s:s,s:s}", "code", "auth", "message",
                             "authentication failed (scripted login_fail)");
        cli_cmd_complete(c, NULL);
        return;
    }
    c->t_cmd = na_now_ms();
    struct timeval tv = {c->h.latency_ms / 1000, (c->h.latency_ms % 1000) * 1000};
    event_add(c->timer, &tv);
}

static nd_be_cmd *d_cmd_run(nd_be *be, const nd_cmd_spec *spec, nd_cmd_done_cb done, void *ud,
                            na_err *err)
{
    dhost *h = find_host(be, spec->host);
    if (!h) {
        na_err_set(err, NA_E_NOTFOUND, "no host '%s' in the inventory", spec->host);
        return NULL;
    }
    if (spec->transport && strcmp(spec->transport, "ssh") && strcmp(spec->transport, "telnet")) {
        na_err_set(err, NA_E_USAGE, "transport must be ssh or telnet");
        return NULL;
    }
    nd_be_cmd *c = calloc(1, sizeof *c);
    if (!c) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    c->be = be;
    LIST_INSERT_HEAD(&be->cmds, c, link);
    c->done = done;
    c->ud = ud;
    c->ok = true;
    c->t0 = na_now_ms();
    c->results = json_array();
    c->commands = calloc(spec->n_commands ? spec->n_commands : 1, sizeof *c->commands);
    c->transport = spec->transport ? strdup(spec->transport) : NULL;
    c->timer = event_new(be->svc.base, -1, 0, cmd_step_cb, c);
    char owner[200];
    snprintf(owner, sizeof owner, "commands by %s", spec->requested_by ? spec->requested_by : "?");
    if (!c->commands || !c->timer || host_copy(&c->h, h) < 0) {
        cmd_free(c);
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    for (; c->n < spec->n_commands; c->n++)
        if (!(c->commands[c->n] = strdup(spec->commands[c->n]))) {
            cmd_free(c);
            na_err_set(err, NA_E_NOMEM, "out of memory");
            return NULL;
        }
    c->lock = be->svc.host_acquire(be->svc.ctx, h->name, owner, spec->job, cmd_granted, c);
    return c;
}

static void d_cmd_cancel(nd_be *be, nd_be_cmd *c)
{
    (void)be;
    event_del(c->timer);
    if (c->lock) {
        if (c->granted)
            leave(c->be, c->h.name);
        c->be->svc.host_release(c->be->svc.ctx, c->lock);
        c->lock = NULL;
        c->granted = false;
    }
    c->i = (size_t)-1;
    event_active(c->timer, EV_TIMEOUT, 0);
}

static void d_stats(nd_be *be, nd_backend_stats *out)
{
    out->sessions_open = be->busy_hosts;
    out->sessions_idle = 0;
}

const nd_backend_ops nd_backend_double_ops = {
    .name = "test-double",
    .create = d_create,
    .destroy = d_destroy,
    .inventory_load = d_inventory_load,
    .inventory_json = d_inventory_json,
    .host_json = d_host_json,
    .host_status = d_host_status,
    .resolve_limit = d_resolve,
    .job_prepare = d_prepare,
    .job_prepare_abandon = d_prepare_abandon,
    .job_run = d_run,
    .job_cancel = d_cancel,
    .job_discard = d_discard,
    .job_resumable = d_resumable,
    .cli_cmd_run = d_cmd_run,
    .cmd_cancel = d_cmd_cancel,
    .stats = d_stats,
};
