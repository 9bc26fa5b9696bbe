/* runner.c — the runner's outer part: prepare a run (select hosts per play and --limit, find
 * platforms, validate the playbook for every host — nothing is sent), schedule host programs on
 * the event loop under the forks cap and the optional acquire hook, batch after batch, cancel,
 * and finish with the summary. Not the batches and failure budget (runner_batch.c), not a host
 * program (runner_host.c) and not what a task sends (runner_task.c). */
#include "clock.h"
#include "log.h"
#include "pb_int.h"
#include "runner_int.h"
#include "strmap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- prepare -------------------------------------------------------------------------------- */

/* Append " (host 'NAME')" to an error message that names no host yet. */
static void err_for_host(na_err *err, const char *host)
{
    char tag[300];
    snprintf(tag, sizeof tag, "host '%s'", host);
    size_t n = strlen(err->msg);
    if (!strstr(err->msg, tag))
        snprintf(err->msg + n, sizeof err->msg - n, " (%s)", tag);
}

/* Select a play's hosts; errors positioned at the play's `hosts`. */
static int select_play(na_runner *r, const na_play *p, na_inv_selection *sel, na_err *err)
{
    na_err local = NA_ERR_INIT;
    if (na_inv_select(r->inv, na_play_hosts(p), sel, &local) == 0)
        return 0;
    const char *msg = local.msg;
    if (!strncmp(msg, "--limit: ", 9))
        msg += 9;
    na_ydoc *d = (na_ydoc *)&r->pb->doc;
    na_ynode *hn = na_ymap_get(d, p->node, "hosts");
    return na_yerr_code(err, local.code == NA_E_NOMEM ? NA_E_NOMEM : NA_E_CONFIG, d, hn,
                        "play '%s': hosts: %s", na_play_name(p), msg);
}

/* script and copy tasks need SSH; copy tasks a platform that describes file transfers */
static int script_needs_ssh(na_runner *r, const rn_host *h, na_err *err)
{
    for (size_t p = 0; p < na_pb_play_count(r->pb); p++) {
        if (!h->plays[p])
            continue;
        const na_play *pl = na_pb_play(r->pb, p);
        for (size_t t = 0; t < na_play_task_count(pl) + na_play_handler_count(pl); t++) {
            bool handler = t >= na_play_task_count(pl);
            const na_task *tk = handler ? na_play_handler(pl, t - na_play_task_count(pl))
                                        : na_play_task(pl, t);
            if (!handler && !na_rn_selected(r, p, t))
                continue;
            na_task_kind k = na_task_kind_of(tk);
            if ((k == NA_TASK_SCRIPT || k == NA_TASK_COPY) && h->kind != NA_TRANSPORT_SSH)
                return na_yerr(err, &r->pb->doc, tk->node,
                               "task '%s': %s tasks need SSH, and host '%s' uses %s",
                               na_task_name(tk), na_task_kind_name(k), h->inv->name,
                               na_transport_kind_name(h->kind));
            if (k == NA_TASK_COPY && !h->plat->files)
                return na_yerr(err, &r->pb->doc, tk->node,
                               "task '%s': host '%s' has platform '%s', which describes no file "
                               "transfers (no files: block)",
                               na_task_name(tk), h->inv->name, h->plat->name);
        }
    }
    return 0;
}

/* only: the names the run is restricted to (na_run_opts.hosts), or NULL. */
static int prepare_hosts(na_runner *r, const na_strmap *only, na_err *err)
{
    size_t ninv = na_inv_count(r->inv), nplays = na_pb_play_count(r->pb);
    unsigned char *in_limit = calloc(ninv ? ninv : 1, 1);
    unsigned char *plays = calloc(ninv * (nplays ? nplays : 1) + 1, 1);
    int rc = 0;
    if (!in_limit || !plays)
        rc = na_err_set(err, NA_E_NOMEM, "out of memory");
    na_inv_selection sel = {0};
    if (rc == 0 && r->limit && *r->limit) {
        if ((rc = na_inv_select(r->inv, r->limit, &sel, err)) == 0)
            for (size_t i = 0; i < sel.n; i++)
                in_limit[sel.hosts[i]->index] = 1;
        na_inv_selection_free(&sel);
    } else if (rc == 0) {
        memset(in_limit, 1, ninv);
    }
    if (rc == 0 && only)
        for (size_t k = 0; k < ninv; k++)
            if (in_limit[k] && !na_strmap_get(only, na_inv_host_at(r->inv, k)->name))
                in_limit[k] = 0;
    size_t nsel = 0;
    for (size_t p = 0; rc == 0 && p < nplays; p++) {
        if ((rc = select_play(r, na_pb_play(r->pb, p), &sel, err)) < 0)
            break;
        for (size_t i = 0; i < sel.n; i++) {
            size_t k = sel.hosts[i]->index;
            if (in_limit[k] && in_limit[k] != 2) {
                in_limit[k] = 2; /* selected */
                nsel++;
            }
            if (in_limit[k])
                plays[k * nplays + p] = 1;
        }
        na_inv_selection_free(&sel);
    }
    if (rc == 0 && nsel == 0)
        rc = na_err_set(err, NA_E_NOTFOUND, "no host to run on: %s",
                        r->limit && *r->limit
                            ? "no host named by the plays' hosts matches --limit"
                            : "the plays name no host");
    if (rc == 0 && !(r->hosts = calloc(nsel, sizeof *r->hosts)))
        rc = na_err_set(err, NA_E_NOMEM, "out of memory");
    for (size_t k = 0; rc == 0 && k < ninv; k++) {
        if (in_limit[k] != 2)
            continue;
        rn_host *h = &r->hosts[r->nhosts];
        h->r = r;
        h->index = r->nhosts++;
        h->inv = na_inv_host_at(r->inv, k);
        h->kind = r->transport_override ? r->transport : h->inv->transport;
        if (!(h->plays = malloc(nplays ? nplays : 1)) || !(h->registered = json_object()) ||
            !(h->tasks = json_array())) {
            rc = na_err_set(err, NA_E_NOMEM, "out of memory");
            break;
        }
        memcpy(h->plays, plays + k * nplays, nplays);
        na_rn_task_rec_init(&h->cur);
    }
    free(in_limit);
    free(plays);
    return rc;
}

/* `parse: true`: a template for the host's platform and every command known now (commands
 * with templates that wait for registered results are checked when they run). */
static int parse_prepare(na_runner *r, rn_host *h, const na_pb_vars *v, na_err *err)
{
    for (size_t p = 0; p < na_pb_play_count(r->pb); p++) {
        const na_play *pl = na_pb_play(r->pb, p);
        for (size_t k = 0; h->plays[p] && k < na_play_task_count(pl); k++) {
            const na_task *t = na_play_task(pl, k);
            if (na_task_parse_kind(t) != NA_PARSE_INDEX)
                continue;
            na_pb_vars pv = *v;
            pv.registered_partial = true;
            na_task_exp *x = NULL;
            na_err e = NA_ERR_INIT;
            if (na_task_expand(t, &pv, &x, &e) < 0) {
                na_task_exp_free(x);
                continue; /* na_pb_validate reports what it can; the rest fails at runtime */
            }
            int rc = 0;
            for (size_t i = 0; !x->partial && rc == 0 && i < x->n_iters; i++)
                for (size_t c = 0; rc == 0 && !x->iters[i].skipped &&
                                   c < x->iters[i].commands.n; c++)
                    rc = na_tfsm_lib_prepare(r->tfsm, h->inv->platform,
                                             x->iters[i].commands.v[c], err);
            na_task_exp_free(x);
            if (rc < 0) {
                if (err->code == NA_E_NOTFOUND)
                    err->code = NA_E_CONFIG;
                na_err_prefix(err, "task '%s': parse: ", na_task_name(t));
                err_for_host(err, h->inv->name);
                return -1;
            }
        }
    }
    return 0;
}

static bool wants_templates(const na_playbook *pb)
{
    for (size_t p = 0; p < na_pb_play_count(pb); p++) {
        const na_play *pl = na_pb_play(pb, p);
        for (size_t k = 0; k < na_play_task_count(pl); k++)
            if (na_task_parse_kind(na_play_task(pl, k)) == NA_PARSE_INDEX)
                return true;
        for (size_t k = 0; k < na_play_handler_count(pl); k++)
            if (na_task_parse_kind(na_play_handler(pl, k)) == NA_PARSE_INDEX)
                return true;
    }
    return false;
}

/* confirm: on a config task needs a platform that says how to undo a change by itself. */
static int confirm_supported(na_runner *r, rn_host *h, na_err *err)
{
    for (size_t p = 0; p < na_pb_play_count(r->pb); p++) {
        const na_play *pl = na_pb_play(r->pb, p);
        for (size_t k = 0; h->plays[p] && k < na_play_task_count(pl); k++) {
            const na_task *t = na_play_task(pl, k);
            if (!na_task_confirm(t) || !na_rn_selected(r, p, k) || h->plat->confirm.enter ||
                h->plat->confirm.commit)
                continue;
            na_err_set(err, NA_E_CONFIG,
                       "%s:%u:%u: task '%s': confirm: platform '%s' cannot undo a change by "
                       "itself (its platform file has no confirm:)",
                       na_pb_file(r->pb), na_task_line(t), na_task_col(t), na_task_name(t),
                       h->plat->name);
            err_for_host(err, h->inv->name);
            return -1;
        }
    }
    return 0;
}

/* Platform, script transport and playbook validation for every host: all before any I/O. */
static int validate_hosts(na_runner *r, na_err *err)
{
    for (size_t i = 0; i < r->nhosts; i++) {
        rn_host *h = &r->hosts[i];
        h->plat = na_platform_find(r->platforms, h->inv->platform, err);
        if (!h->plat) {
            if (err->code == NA_E_NOTFOUND)
                err->code = NA_E_CONFIG;
            na_err_prefix(err, "host '%s': platform '%s': ", h->inv->name, h->inv->platform);
            return -1;
        }
        h->diff_wanted = r->diff && !r->check && h->plat->config_mode != NA_NO_MODE;
        if (script_needs_ssh(r, h, err) < 0)
            return -1;
        na_pb_vars v = {.host = h->inv->name,
                        .host_vars = h->inv->vars,
                        .extra_vars = r->extra,
                        .confine_local = r->confine_local,
                        .budget = r->budget};
        for (size_t p = 0; p < na_pb_play_count(r->pb); p++) {
            if (h->plays[p] &&
                na_pb_validate_tags(r->pb, na_pb_play(r->pb, p), &v, &r->tags, err) < 0) {
                err_for_host(err, h->inv->name);
                return -1;
            }
        }
        if (r->tfsm && parse_prepare(r, h, &v, err) < 0)
            return -1;
        if (confirm_supported(r, h, err) < 0)
            return -1;
    }
    return 0;
}

static int make_dir(const char *dir, na_err *err)
{
    struct stat st;
    if (stat(dir, &st) == 0)
        return S_ISDIR(st.st_mode)
                   ? 0
                   : na_err_set(err, NA_E_USAGE, "transcripts: '%s' is not a directory", dir);
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return na_err_set(err, NA_E_IO, "transcripts: cannot create '%s': %s", dir,
                          strerror(errno));
    return 0;
}

static char *dup_or_null(const char *s, bool *oom)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *oom = true;
    return d;
}

na_runner *na_runner_new(const na_inventory *inv, const na_playbook *pb, const na_run_opts *o,
                         na_err *err)
{
    na_run_opts defaults = NA_RUN_OPTS_INIT;
    if (!o)
        o = &defaults;
    if (!inv || !pb) {
        na_err_set(err, NA_E_INTERNAL, "runner: no inventory or playbook");
        return NULL;
    }
    na_runner *r = calloc(1, sizeof *r);
    if (!r) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    bool oom = false;
    r->inv = inv;
    r->pb = pb;
    r->base = o->base;
    r->limit = dup_or_null(o->limit, &oom);
    r->owner = dup_or_null(o->owner ? o->owner : "run", &oom);
    r->transcript_dir = dup_or_null(o->transcript_dir, &oom);
    r->backup_dir = dup_or_null(o->backup_dir ? o->backup_dir : "backups", &oom);
    r->extra = o->extra_vars ? json_deep_copy(o->extra_vars) : NULL;
    oom |= o->extra_vars && !r->extra;
    r->check = o->check;
    r->confine_local = o->confine_local;
    r->diff = o->diff;
    r->forks = o->forks;
    r->transport_override = o->transport_override;
    r->transport = o->transport;
    r->task_timeout_ms = o->task_timeout_ms;
    r->host_timeout_ms = o->host_timeout_ms;
    r->config_window = o->config_window;
    r->max_output = o->max_output;
    r->hooks = o->hooks;
    r->budget = o->budget;
    oom |= na_rn_copy_tags(&r->tags.only, &r->tags.n_only, o->tags, o->n_tags) < 0 ||
           na_rn_copy_tags(&r->tags.skip, &r->tags.n_skip, o->skip_tags, o->n_skip_tags) < 0;
    r->results = json_object();
    r->hosts_json = json_object();
    oom |= !r->results || !r->hosts_json;
    if (oom) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        na_runner_free(r);
        return NULL;
    }
    json_object_set(r->results, "hosts", r->hosts_json);
    if (r->extra && !json_is_object(r->extra)) {
        na_err_set(err, NA_E_USAGE, "extra vars must be a mapping");
        na_runner_free(r);
        return NULL;
    }
    if (o->platforms) {
        r->platforms = o->platforms;
    } else {
        size_t nd = 0;
        const char *const *dirs = na_inv_platform_dirs(inv, &nd);
        if (!(r->platforms = na_platforms_new(dirs, nd, err))) {
            na_runner_free(r);
            return NULL;
        }
        r->own_platforms = true;
    }
    if (wants_templates(pb) &&
        !(r->tfsm = na_tfsm_lib_for(o->templates_dir, na_inv_templates_dir(inv), err))) {
        na_runner_free(r);
        return NULL;
    }
    na_strmap *only = o->hosts ? na_strmap_new() : NULL;
    for (size_t i = 0; only && i < o->n_hosts; i++)
        if (o->hosts[i] && na_strmap_put(only, o->hosts[i], (void *)1) < 0) {
            na_strmap_free(only);
            only = NULL;
        }
    if (o->hosts && !only) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        na_runner_free(r);
        return NULL;
    }
    int prc = na_rn_select_tasks(r, err) < 0 ? -1 : prepare_hosts(r, only, err);
    na_strmap_free(only);
    if (prc < 0 || validate_hosts(r, err) < 0 ||
        na_rn_prepare_phases(r, err) < 0 ||
        (r->transcript_dir && make_dir(r->transcript_dir, err) < 0)) {
        na_runner_free(r);
        return NULL;
    }
    r->prog.total = r->prog.queued = r->nhosts;
    r->budget = NULL; /* validation is over; the caller's budget may go */
    return r;
}

int na_runner_set_owner(na_runner *r, const char *owner, na_err *err)
{
    char *o = strdup(owner ? owner : "run");
    if (!o)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    free(r->owner);
    r->owner = o;
    return 0;
}

size_t na_runner_host_count(const na_runner *r) { return r ? r->nhosts : 0; }

const na_inv_host *na_runner_host(const na_runner *r, size_t i)
{
    return r && i < r->nhosts ? r->hosts[i].inv : NULL;
}

json_t *na_runner_targets(const na_runner *r)
{
    json_t *a = json_array();
    for (size_t i = 0; a && r && i < r->nhosts; i++)
        json_array_append_new(a, json_string(r->hosts[i].inv->name));
    return a;
}

/* ---- scheduling ----------------------------------------------------------------------------- */

static void finish_run(na_runner *r);

static void granted(void *ud)
{
    rn_host *h = ud;
    if (h->state != RH_WAITING || h->granted)
        return;
    h->granted = true;
    h->r->prog.waiting--;
    na_rn_host_begin(h);
}

/* Start queued hosts while forks allow; move on to the next batch or phase once the batch is
 * over. Never runs a host program synchronously (each begins from its own event), so it never
 * re-enters. */
static void start_more(na_runner *r)
{
    while (!r->cancelled && !r->stopping) {
        if (r->next >= r->batch_n) {
            if (r->batch_done < r->batch_n || !na_rn_next_batch(r))
                return;
            continue;
        }
        if (r->forks && r->in_flight >= r->forks)
            return;
        rn_host *h = &r->hosts[r->batch[r->next++]];
        r->in_flight++;
        if (r->hooks.acquire) {
            h->state = RH_WAITING;
            r->prog.waiting++;
            h->lock = r->hooks.acquire(r->hooks.ud, h->inv->name, granted, h);
        } else {
            na_rn_host_begin(h);
        }
    }
}

static void kick_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    na_runner *r = arg;
    start_more(r);
}

static bool all_final(const na_runner *r)
{
    return r->prog.ok + r->prog.failed + r->prog.cancelled + r->prog.skipped == r->nhosts;
}

void na_rn_host_done(rn_host *h)
{
    na_runner *r = h->r;
    if (h->lock && r->hooks.release)
        r->hooks.release(r->hooks.ud, h->lock);
    h->lock = NULL;
    r->in_flight--;
    r->batch_done++;
    if (!h->ok && !h->cancelled)
        r->batch_failed++;
    if (h->final)
        na_rn_count_final(r, h);
    if (r->in_cancel)
        return; /* cancel_cb finishes the run once every host is settled */
    if (!h->final && r->stopping)
        na_rn_skip_host(r, h); /* its later plays will not run */
    na_rn_check_budget(r);
    start_more(r);
    if (all_final(r))
        finish_run(r);
}

int na_runner_start(na_runner *r, na_err *err)
{
    if (r->started)
        return na_err_set(err, NA_E_INTERNAL, "runner: already started");
    if (!r->base)
        return na_err_set(err, NA_E_INTERNAL, "runner: no event loop");
    r->kick = event_new(r->base, -1, 0, kick_cb, r);
    if (!r->kick)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    for (size_t i = 0; i < r->nhosts; i++)
        if (na_rn_host_init(&r->hosts[i]) < 0)
            return na_err_set(err, NA_E_NOMEM, "out of memory");
    r->started = true;
    r->next = r->batch_n = r->batch_done = 0; /* start_more takes the first batch */
    r->start_ms = na_now_ms();
    NA_LOGI(r->owner, "%zu host%s, forks %u%s%s", r->nhosts, r->nhosts == 1 ? "" : "s", r->forks,
            r->check ? ", check mode" : "", r->diff ? ", diff" : "");
    event_active(r->kick, EV_TIMEOUT, 0);
    if (r->cancelled) { /* cancelled before it started: settle every host from the loop */
        r->cancelled = false;
        na_runner_cancel(r);
    }
    return 0;
}

int na_runner_run(na_runner *r, na_err *err)
{
    if (!r->base) {
        if (!(r->base = event_base_new()))
            return na_err_set(err, NA_E_NOMEM, "cannot create an event loop");
        r->own_base = true;
    }
    if (na_runner_start(r, err) < 0)
        return -1;
    while (!r->finished) {
        int rc = event_base_loop(r->base, EVLOOP_ONCE);
        if (rc < 0)
            return na_err_set(err, NA_E_INTERNAL, "event loop failed");
        if (rc == 1 && !r->finished)
            return na_err_set(err, NA_E_INTERNAL, "runner: nothing left to wait for, but %zu "
                                                  "host(s) unfinished", r->in_flight);
    }
    if (r->cancelled)
        return na_err_set(err, NA_E_CANCELLED, "cancelled");
    return 0;
}

/* ---- cancel and finish ---------------------------------------------------------------------- */

static void cancel_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    na_runner *r = arg;
    if (r->finished || !r->started)
        return;
    r->in_cancel = true;
    for (size_t i = 0; i < r->nhosts; i++) {
        rn_host *h = &r->hosts[i];
        if (h->final)
            continue;
        if (h->state == RH_QUEUED || h->state == RH_DONE) { /* not started (again) */
            h->state = RH_DONE;
            h->cancelled = true;
            h->final = true;
            r->prog.cancelled++;
            na_err_clear(&h->err);
            na_err_set(&h->err, NA_E_CANCELLED, "cancelled before it started");
            na_rn_host_record(h);
            if (h->begun && r->hooks.host_finished) {
                json_t *j = json_object_get(r->hosts_json, h->inv->name);
                if (j)
                    r->hooks.host_finished(r->hooks.ud, h->inv->name, j);
            }
        } else if (h->state == RH_WAITING) {
            r->prog.waiting--;
            h->state = RH_DONE;
            h->cancelled = true;
            h->final = true;
            na_err_clear(&h->err);
            na_err_set(&h->err, NA_E_CANCELLED, "cancelled while waiting for the device");
            na_rn_host_record(h);
            na_rn_host_done(h);
        } else if (h->state == RH_RUNNING) {
            na_rn_host_abort(h);
        }
    }
    r->next = r->batch_n;
    r->cur_phase = r->nphases;
    r->in_cancel = false;
    finish_run(r);
}

void na_runner_cancel(na_runner *r)
{
    if (!r || r->finished || r->cancelled)
        return;
    r->cancelled = true;
    if (!r->started)
        return;
    if (!r->cancel_ev && !(r->cancel_ev = event_new(r->base, -1, 0, cancel_cb, r)))
        return; /* OOM: hosts run to their end */
    event_active(r->cancel_ev, EV_TIMEOUT, 0);
}

static void finish_run(na_runner *r)
{
    if (r->finished)
        return;
    r->finished = true;
    r->prog.elapsed_ms = na_now_ms() - r->start_ms;
    json_t *ordered = json_object(); /* hosts in inventory order, whatever order they ended in */
    for (size_t i = 0; ordered && i < r->nhosts; i++) {
        json_t *hj = json_object_get(r->hosts_json, r->hosts[i].inv->name);
        if (hj)
            json_object_set(ordered, r->hosts[i].inv->name, hj);
    }
    if (ordered) {
        json_decref(r->hosts_json);
        r->hosts_json = ordered;
        json_object_set(r->results, "hosts", ordered);
    }
    json_object_set_new(r->results, "summary", na_rn_summary_json(&r->prog, r->ntasks, r->check));
    NA_LOGI(r->owner, "done: %zu ok, %zu failed, %zu cancelled, %zu skipped, %zu changed in "
            "%lld ms", r->prog.ok, r->prog.failed, r->prog.cancelled, r->prog.skipped,
            r->prog.changed, (long long)r->prog.elapsed_ms);
    na_err e = NA_ERR_INIT;
    if (r->cancelled)
        na_err_set(&e, NA_E_CANCELLED, "cancelled");
    if (r->hooks.run_finished) /* the last thing: the hook may free the runner */
        r->hooks.run_finished(r->hooks.ud, r->results, r->cancelled ? &e : NULL);
}

bool na_runner_done(const na_runner *r) { return r && r->finished; }

void na_runner_progress(const na_runner *r, na_run_progress *p)
{
    *p = r->prog;
    if (!r->finished)
        p->elapsed_ms = r->started ? na_now_ms() - r->start_ms : 0;
    p->running = r->in_flight - r->prog.waiting;
    size_t done = p->ok + p->failed + p->cancelled + p->skipped;
    p->queued = r->nhosts > done + r->in_flight ? r->nhosts - done - r->in_flight : 0;
}

json_t *na_runner_results(const na_runner *r) { return r ? r->results : NULL; }

int na_runner_exit_status(const na_runner *r)
{
    return r && r->finished && r->prog.ok == r->nhosts ? 0 : 1;
}

void na_runner_free(na_runner *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nhosts; i++) {
        rn_host *h = &r->hosts[i];
        if (h->lock && r->hooks.release)
            r->hooks.release(r->hooks.ud, h->lock);
        h->lock = NULL;
        na_rn_record_drop(h);
        na_rn_host_free(h);
    }
    free(r->hosts);
    na_rn_free_tags(r->tags.only, r->tags.n_only);
    na_rn_free_tags(r->tags.skip, r->tags.n_skip);
    free(r->selected);
    free(r->sel_off);
    free(r->pending);
    free(r->batch_sizes);
    if (r->kick)
        event_free(r->kick);
    if (r->cancel_ev)
        event_free(r->cancel_ev);
    if (r->own_base && r->base)
        event_base_free(r->base);
    if (r->own_platforms)
        na_platforms_free(r->platforms);
    na_tfsm_lib_free(r->tfsm);
    json_decref(r->extra);
    json_decref(r->results);
    json_decref(r->hosts_json);
    free(r->limit);
    free(r->owner);
    free(r->transcript_dir);
    free(r->backup_dir);
    free(r);
}
