/* runner_host.c — one host's program on the event loop: open the session, then for each play
 * that includes the host and each of its tasks: expand (with the results registered so far), run
 * the task's operations (runner_task.c), record and report its result; --diff reads the
 * running-config around the changes; close. One persistent libevent event per host watches the
 * session's fd in the direction it wants, with its deadline as the timeout: no busy loop, no
 * sleep. Not scheduling (runner.c) and not what a task sends (runner_task.c). */
#include "clock.h"
#include "diff.h"
#include "log.h"
#include "runner_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void host_cb(evutil_socket_t fd, short what, void *arg);

/* ---- recording ---------------------------------------------------------------------------- */

static void host_fail(rn_host *h, const na_err *e)
{
    h->ok = false;
    if (!na_err_isset(&h->err) && e)
        h->err = *e;
}

/* Build the host's result and put it in the run's results. Returns it (borrowed). */
static json_t *host_record(rn_host *h)
{
    rn_host_sum s = {
        .status = h->skipped ? "skipped" : h->cancelled ? "cancelled" : h->ok ? "ok" : "failed",
        .ok = h->ok && !h->cancelled && !h->skipped,
        .changed = h->changed,
        .err = &h->err,
        .elapsed_ms = h->elapsed_ms,
        .transport = na_transport_kind_name(h->kind),
        .platform = h->plat ? h->plat->name : h->inv->platform,
        .diff = h->diff,
        .tasks = h->tasks,
    };
    json_t *j = na_rn_host_json(&s);
    if (j)
        json_object_set_new(h->r->hosts_json, h->inv->name, j);
    return j;
}

void na_rn_host_record(rn_host *h) { host_record(h); }

/* The task in h->cur is over: result JSON, hook, register, and whether the host goes on. */
static void end_task(rn_host *h)
{
    na_runner *r = h->r;
    rn_task_rec *t = &h->cur;
    t->elapsed_ms = (na_now_us() - t->start_us) / 1000;
    if (!t->ok && h->x && h->x->ignore_errors)
        t->ignored = true;
    const na_play *pl = na_pb_play(r->pb, t->play);
    json_t *tj = na_rn_task_json(t, na_play_name(pl), r->check);
    if (tj) {
        json_array_append_new(h->tasks, tj);
        r->ntasks++;
        if (r->hooks.task_result)
            r->hooks.task_result(r->hooks.ud, h->inv->name, tj);
    }
    /* what else may have changed the configuration: read it again before the next config
     * task (config tasks mark it themselves when they send) */
    if (!r->check && h->x && h->x->kind != NA_TASK_CONFIG && h->x->kind != NA_TASK_ASSERT &&
        h->x->kind != NA_TASK_SAVE && !t->skipped)
        h->running_stale = true;
    const char *reg = t->task ? na_task_register(t->task) : NULL;
    if (reg && t->reg)
        json_object_set(h->registered, reg, t->reg);
    h->changed |= t->changed;
    if (t->changed && t->task && h->notified) /* its handlers run at the end of the play */
        for (size_t i = 0; i < na_task_notify_count(t->task); i++)
            h->notified[na_task_notify(t->task, i)] = 1;
    if (!t->ok) {
        /* a result, reported to the hooks and in the results: information, not a warning
         * (warnings are for what nobody would see otherwise, such as an unverified host key) */
        NA_LOGI(h->inv->name, "task '%s' failed%s: %s", t->name ? t->name : "?",
                t->ignored ? " (ignored)" : "", t->err.msg);
        if (!t->ignored)
            host_fail(h, &t->err);
        else if (h->s && !na_session_usable(h->s)) {
            na_err e = NA_ERR_INIT;
            na_err_set(&e, NA_E_CLOSED, "the session is lost after task '%s' (%s)",
                       t->name ? t->name : "?", t->err.msg);
            host_fail(h, &e);
        }
    } else {
        NA_LOGD(h->inv->name, "task '%s': %s in %lld ms", t->name ? t->name : "?",
                t->skipped ? "skipped" : t->changed ? "changed" : "ok", (long long)t->elapsed_ms);
    }
    na_task_exp_free(h->x);
    h->x = NULL;
    na_rn_task_rec_free(&h->cur);
}

/* ---- the program ---------------------------------------------------------------------------- */

enum { ADV_WAIT = 0, ADV_DONE = 1 };

static bool changes_config(na_task_kind k) { return k == NA_TASK_CONFIG || k == NA_TASK_VLANS; }

/* Start reading the running-config; -1 with e when it cannot start. */
static int start_diff_read(rn_host *h, rn_phase phase, na_err *e)
{
    h->phase = phase;
    na_cmd_opts co = {.timeout_ms = h->r->task_timeout_ms};
    const char *cmd = h->plat->running.show ? h->plat->running.show : RN_RUNNING_CONFIG_CMD;
    if (na_session_start_command(h->s, cmd, &co, e) < 0) {
        na_err_prefix(e, "--diff: reading the running-config: ");
        return -1;
    }
    h->op = RN_OP_SESSION;
    rn_op_started(h);
    const char *line = RN_RUNNING_CONFIG_CMD;
    na_rn_record(h, "command", &line, 1);
    return 0;
}

static void begin_task(rn_host *h, size_t p, const na_task *t)
{
    na_rn_task_rec_free(&h->cur);
    na_rn_task_rec_room(&h->cur, h->r->max_output);
    h->cur.task = t;
    h->cur.play = p;
    h->cur.start_us = na_now_us();
    h->cur.ok = true;
    h->sub = 0;
    h->iter = h->cmd = 0;
    na_strv_free(&h->iter_out);
}

/* The next task of the phase for h: a selected task of its play, then the play's notified
 * handlers, then the next play. NULL at the end of the phase. */
static const na_task *pick_task(rn_host *h)
{
    na_runner *r = h->r;
    while (h->play < r->phase_to) {
        const na_play *pl = na_pb_play(r->pb, h->play);
        if (h->plays[h->play] && !h->in_handlers) {
            while (h->task < na_play_task_count(pl) && !na_rn_selected(r, h->play, h->task))
                h->task++;
            if (h->task < na_play_task_count(pl))
                return na_play_task(pl, h->task++);
            h->in_handlers = true;
            h->handler = 0;
        }
        if (h->plays[h->play]) {
            while (h->handler < na_play_handler_count(pl) && !h->notified[h->handler])
                h->handler++;
            if (h->handler < na_play_handler_count(pl)) {
                h->notified[h->handler] = 0;
                return na_play_handler(pl, h->handler++);
            }
        }
        h->in_handlers = false;
        if (h->notified)
            memset(h->notified, 0, r->max_handlers);
        h->play++;
        h->task = 0;
    }
    return NULL;
}

/* The next confirm / rollback command: 0 started, 1 none left, -1 failed to start. */
static int confirm_step(rn_host *h)
{
    const na_platform *p = h->plat;
    char *const *cmds = h->cf_keep ? p->confirm.confirm : p->confirm.rollback;
    size_t n = h->cf_keep ? p->confirm.nconfirm : p->confirm.nrollback;
    if (h->cf_step >= n)
        return 1;
    const char *mode = p->confirm.mode != NA_NO_MODE ? p->modes[p->confirm.mode].name : NULL;
    return na_rn_start_command_in(h, cmds[h->cf_step++], h->r->task_timeout_ms, mode);
}

/* A commit-confirmed change is due at the end of its play: confirm it when the host is still
 * fine, else roll it back at once. A result of its own ("confirm" / "rollback"). -1 when it
 * cannot be sent (the session is gone: the device's timer undoes the change). */
static int start_confirm(rn_host *h)
{
    bool keep = h->ok && !h->cancelled;
    h->cf_pending = false;
    if (!h->s || !na_session_usable(h->s) || h->cancelled) {
        NA_LOGW(h->inv->name, "the change of task '%s' is neither confirmed nor rolled back: the "
                "device's timer will undo it", h->cf_task ? h->cf_task : "?");
        return -1;
    }
    begin_task(h, h->cf_play, NULL);
    h->cur.action = keep ? "confirm" : "rollback";
    char name[600];
    snprintf(name, sizeof name, "%s the change of '%s'", keep ? "confirm" : "roll back",
             h->cf_task ? h->cf_task : "?");
    h->cur.name = strdup(name);
    h->cf_keep = keep;
    h->cf_step = 0;
    h->phase = PH_CONFIRM;
    if (confirm_step(h) < 0) {
        end_task(h);
        return -1;
    }
    return 0;
}

/* Pick and start the next task (or the diff read, or the end). */
static int next_task(rn_host *h)
{
    na_runner *r = h->r;
    for (;;) {
        if (r->stopping && h->ok && !h->cancelled) { /* the batch spent its failure budget */
            na_err e = NA_ERR_INIT;
            na_err_set(&e, NA_E_CANCELLED, "stopped: %s", r->stop_reason);
            host_fail(h, &e);
        }
        bool stop = !h->ok || h->cancelled;
        const na_task *t;
        if (h->cf_next || h->phase == PH_CONFIRM) { /* picked before the confirmation */
            t = stop ? NULL : h->cf_next;
            h->cf_next = NULL;
            h->phase = PH_TASK;
        } else {
            t = stop ? NULL : pick_task(h);
        }
        if (h->cf_pending && (!t || h->play != h->cf_play)) {
            h->cf_next = t;
            if (start_confirm(h) == 0)
                return ADV_WAIT;
            h->phase = PH_TASK;
            continue; /* resumes with cf_next (or stops when the host failed) */
        }
        if (!t) {
            na_err e = NA_ERR_INIT;
            if (r->check && r->diff && h->cfg_before && h->running && !h->cancelled) {
                /* --check --diff: what the changes would make of the configuration read */
                na_buf after;
                na_buf_init(&after, 0);
                if (na_cfg_render(h->running, &after, &e) < 0)
                    host_fail(h, &e);
                else
                    na_rn_host_diff(h, h->cfg_before, na_buf_cstr(&after));
                na_buf_free(&after);
                h->phase = PH_END;
                return ADV_DONE;
            }
            if (h->cfg_before && h->s && na_session_usable(h->s) && !h->cancelled) {
                if (start_diff_read(h, PH_DIFF_AFTER, &e) == 0)
                    return ADV_WAIT;
                host_fail(h, &e);
            }
            h->phase = PH_END;
            return ADV_DONE;
        }
        size_t p = h->play;
        begin_task(h, p, t);
        na_pb_vars v = {
            .host = h->inv->name,
            .host_vars = h->inv->vars,
            .extra_vars = r->extra,
            .registered = h->registered,
            .registered_partial = r->check,
            .confine_local = r->confine_local,
        };
        na_err e = NA_ERR_INIT;
        if (na_task_expand(t, &v, &h->x, &e) < 0) {
            h->cur.name = strdup(na_task_name(t));
            na_rn_task_fail(h, &e);
            end_task(h);
            continue;
        }
        h->cur.name = strdup(h->x->name);
        h->cur.partial = h->x->partial;
        if (h->x->skipped) {
            h->cur.skipped = true;
            h->cur.reg = na_result_skipped();
            end_task(h);
            continue;
        }
        if (h->diff_wanted && !h->cfg_before && changes_config(h->x->kind)) {
            if (start_diff_read(h, PH_DIFF_BEFORE, &e) == 0)
                return ADV_WAIT;
            na_rn_task_fail(h, &e); /* the session is gone: the task cannot run */
            end_task(h);
            continue;
        }
        h->phase = PH_TASK;
        if (na_rn_task_step(h) == RN_WAIT)
            return ADV_WAIT;
        end_task(h);
    }
}

static int open_session(rn_host *h)
{
    na_runner *r = h->r;
    na_err e = NA_ERR_INIT;
    if (r->transcript_dir) {
        char path[4096], name[256];
        snprintf(name, sizeof name, "%s", h->inv->name);
        for (char *c = name; *c; c++)
            if (*c == '/')
                *c = '_';
        snprintf(path, sizeof path, "%s/%s.transcript", r->transcript_dir, name);
        char label[512];
        snprintf(label, sizeof label, "%s %s over %s", h->inv->name, h->plat->name,
                 na_transport_kind_name(h->kind));
        if (!(h->tr = na_transcript_open(path, label, &e))) {
            host_fail(h, &e);
            return -1;
        }
    }
    na_transport *t = na_transport_new(h->kind, na_inv_conn(h->inv, h->kind), &e);
    if (!t) {
        host_fail(h, &e);
        return -1;
    }
    na_session_opts so = {
        .name = h->inv->name,
        .secret = h->inv->secret,
        .command_timeout_ms = r->task_timeout_ms,
        .max_output = r->max_output,
        .transcript = h->tr,
    };
    if (!(h->s = na_session_new(t, h->plat, &so, &e)) || na_session_start_open(h->s, &e) < 0) {
        host_fail(h, &e);
        return -1;
    }
    h->phase = PH_OPEN;
    h->op = RN_OP_SESSION;
    rn_op_started(h);
    return 0;
}

/* The operation in h->op ended: collect how. */
static void op_complete(rn_host *h, na_status st)
{
    na_runner *r = h->r;
    h->op_st = st == NA_OK ? NA_OK : NA_ERROR;
    if (h->op == RN_OP_SESSION) {
        na_result_free(&h->res);
        na_session_take_result(h->s, &h->res);
        for (size_t i = 0; h->phase != PH_OPEN && i < h->res.nasync; i++)
            if (na_strv_push(&h->cur.async, h->res.async[i], NULL) < 0 && h->op_st == NA_OK) {
                h->op_st = NA_ERROR;
                na_err_set(&h->op_err, NA_E_NOMEM, "%s: out of memory", h->inv->name);
            }
        if (h->phase != PH_OPEN && r->hooks.command_observed)
            r->hooks.command_observed(r->hooks.ud, h->inv->name,
                                      (na_now_us() - h->op_start_us) / 1000, h->op_st == NA_OK);
    }
    h->op = RN_OP_NONE;
}

/* Advance the program after an operation ended (or at the beginning). */
static int advance(rn_host *h)
{
    na_runner *r = h->r;
    switch (h->phase) {
    case PH_OPEN:
        if (h->op_st != NA_OK) {
            if (h->op_err.code == NA_E_AUTH && r->hooks.login_failed)
                r->hooks.login_failed(r->hooks.ud, h->inv->name);
            host_fail(h, &h->op_err);
            h->phase = PH_END;
            return ADV_DONE;
        }
        NA_LOGD(h->inv->name, "open (%s, %s) in %lld ms", na_transport_kind_name(h->kind),
                h->plat->name, (long long)(na_now_us() - h->op_start_us) / 1000);
        return next_task(h);
    case PH_TASK:
        if (na_rn_task_step(h) == RN_WAIT)
            return ADV_WAIT;
        end_task(h);
        return next_task(h);
    case PH_DIFF_BEFORE:
        if (h->op_st != NA_OK) {
            na_rn_task_fail(h, &h->op_err); /* the task that was about to change the config */
            na_err_prefix(&h->cur.err, "--diff: reading the running-config: ");
            end_task(h);
            return next_task(h);
        }
        h->cfg_before = h->res.output ? strdup(h->res.output) : strdup("");
        /* the same read serves the config task (read once) */
        if (h->plat->running.show && na_rn_running_parse(h, h->res.output, h->res.output_len) < 0) {
            end_task(h);
            return next_task(h);
        }
        h->phase = PH_TASK;
        if (na_rn_task_step(h) == RN_WAIT)
            return ADV_WAIT;
        end_task(h);
        return next_task(h);
    case PH_DIFF_AFTER: {
        if (h->op_st != NA_OK) {
            na_err_prefix(&h->op_err, "--diff: reading the running-config afterwards: ");
            host_fail(h, &h->op_err);
        } else {
            na_rn_host_diff(h, h->cfg_before, h->res.output ? h->res.output : "");
        }
        h->phase = PH_END;
        return ADV_DONE;
    }
    case PH_CONFIRM: {
        const char *out = h->res.output ? h->res.output : "";
        na_rn_task_rec_append(&h->cur, &h->cur.output, out, h->res.output ? h->res.output_len : 0);
        if (h->op_st != NA_OK)
            na_rn_task_fail(h, &h->op_err);
        else if (confirm_step(h) == 0) /* the sequence's next command */
            return ADV_WAIT;
        /* a rollback changed the device back */
        h->cur.changed = h->cur.ok && strcmp(h->cur.action, "rollback") == 0;
        end_task(h);
        return next_task(h);
    }
    case PH_BEGIN:
    case PH_END: return ADV_DONE;
    }
    return ADV_DONE;
}

int na_rn_host_diff(rn_host *h, const char *before, const char *after)
{
    na_err e = NA_ERR_INIT;
    na_buf d;
    na_buf_init(&d, RN_OUTPUT_MAX);
    na_diff_opts o = NA_DIFF_OPTS_DEFAULT;
    char la[300], lb[300];
    snprintf(la, sizeof la, "%s running-config before", h->inv->name);
    snprintf(lb, sizeof lb, "%s running-config after", h->inv->name);
    o.label_a = la;
    o.label_b = lb;
    int rc = -1;
    if (h->diff && na_buf_puts(&d, h->diff, &e) < 0) /* an earlier play's diff */
        host_fail(h, &e);
    else if (na_diff_unified(before, strlen(before), after, strlen(after), &o, &d, NULL, &e) < 0)
        host_fail(h, &e);
    else {
        free(h->diff);
        h->diff = na_buf_steal(&d);
        rc = 0;
    }
    na_buf_free(&d);
    return rc;
}

/* ---- the event ------------------------------------------------------------------------------ */

/* Watch what the operation in flight waits for. While opening, the transport may close one
 * descriptor and get another with the same number in one step (resolver, then socket): register
 * again then. Afterwards the socket is stable. */
static int arm(rn_host *h)
{
    if (h->op == RN_OP_SESSION)
        return na_evwatch_session(&h->w, h->s, h->deadline_ms, h->phase == PH_OPEN, &h->op_err);
    if (h->op == RN_OP_COPY)
        return na_evwatch_copy(&h->w, h->copy, h->deadline_ms, &h->op_err);
    int64_t deadline = h->op == RN_OP_EXEC ? na_sexec_deadline(h->exec)
                                           : na_supload_deadline(h->xfer);
    if (h->deadline_ms > 0 && (deadline <= 0 || h->deadline_ms < deadline))
        deadline = h->deadline_ms;
    return na_evwatch_arm(&h->w, na_session_side_fd(h->s), na_session_side_want(h->s), deadline,
                          false, &h->op_err);
}

static na_status na_sess_op_step(rn_host *h)
{
    switch (h->op) {
    case RN_OP_SESSION: return na_session_step(h->s, &h->op_err);
    case RN_OP_EXEC: return na_sexec_step(h->exec, &h->op_err);
    case RN_OP_XFER: return na_supload_step(h->xfer, &h->op_err);
    case RN_OP_COPY: return na_copy_step(h->copy, &h->op_err);
    case RN_OP_NONE: break;
    }
    return NA_OK;
}

static void finish_host(rn_host *h)
{
    na_runner *r = h->r;
    na_evwatch_stop(&h->w);
    na_sexec_free(h->exec);
    h->exec = NULL;
    na_supload_free(h->xfer);
    h->xfer = NULL;
    na_copy_free(h->copy);
    h->copy = NULL;
    na_session_free(h->s); /* closes (non-blocking) */
    h->s = NULL;
    na_err e = NA_ERR_INIT;
    if (h->tr && na_transcript_close(h->tr, &e) < 0)
        NA_LOGW(h->inv->name, "transcript: %s", e.msg);
    h->tr = NULL;
    h->elapsed_ms = h->start_ms ? na_now_ms() - h->start_ms : 0;
    h->state = RH_DONE;
    /* what only the program needed goes now, not when the whole run ends (1,000s of hosts) */
    na_task_exp_free(h->x);
    h->x = NULL;
    na_rn_task_rec_free(&h->cur);
    na_strv_free(&h->iter_out);
    na_result_free(&h->res);
    na_vlan_list_free(&h->vl);
    na_strv_free(&h->plan);
    free(h->cfg_before);
    h->cfg_before = NULL;
    na_cfg_free(h->running);
    h->running = NULL;
    na_cfg_free(h->startup);
    h->startup = NULL;
    free(h->cf_task);
    h->cf_task = NULL;
    h->cf_pending = false;
    h->cf_next = NULL;
    h->final = na_rn_host_is_final(h);
    if (!h->final) { /* its registered results go on to its next play */
        host_record(h);
        na_rn_host_done(h);
        return;
    }
    json_decref(h->registered);
    h->registered = NULL;
    if (h->ok && !h->cancelled)
        NA_LOGI(h->inv->name, "ok%s, %zu task%s in %lld ms", h->changed ? ", changed" : "",
                json_array_size(h->tasks), json_array_size(h->tasks) == 1 ? "" : "s",
                (long long)h->elapsed_ms);
    else
        NA_LOGI(h->inv->name, "%s: %s", h->cancelled ? "cancelled" : "failed", h->err.msg);
    json_t *j = host_record(h);
    if (j && h->final && r->hooks.host_finished)
        r->hooks.host_finished(r->hooks.ud, h->inv->name, j);
    na_rn_host_done(h); /* the last thing: it may finish the run (and the runner be freed) */
}

/* ---- the write-ahead record ---------------------------------------------------------------- */

static void rec_durable(void *ud, const na_err *err)
{
    rn_host *h = ud;
    h->rec_wait = NULL;
    if (h->rec != REC_WAIT)
        return;
    if (err) {
        h->rec = REC_FAILED;
        na_err_clear(&h->rec_err);
        na_err_set(&h->rec_err, err->code ? err->code : NA_E_IO,
                   "%s: nothing was sent: what was about to be sent could not be recorded: %s",
                   h->inv->name, err->msg);
    } else {
        h->rec = REC_SENDING;
    }
    na_evwatch_kick(&h->w); /* from the loop: the program goes on (or fails) */
}

void na_rn_record(rn_host *h, const char *kind, const char *const *lines, size_t n)
{
    na_runner *r = h->r;
    h->rec = REC_NONE;
    h->rec_lines = n;
    h->rec_answered = 0;
    if (!r->hooks.record)
        return;
    na_err e = NA_ERR_INIT;
    void *wait = NULL;
    if (r->hooks.record(r->hooks.ud, h->inv->name, kind, lines, n, rec_durable, h, &wait, &e) <
        0) {
        h->rec = REC_FAILED;
        na_err_clear(&h->rec_err);
        na_err_set(&h->rec_err, e.code ? e.code : NA_E_IO,
                   "%s: nothing was sent: what was about to be sent could not be recorded: %s",
                   h->inv->name, e.msg);
        return;
    }
    h->rec = wait ? REC_WAIT : REC_SENDING;
    h->rec_wait = wait;
}

void na_rn_record_drop(rn_host *h)
{
    na_runner *r = h->r;
    if (h->rec_wait && r->hooks.record_drop)
        r->hooks.record_drop(r->hooks.ud, h->rec_wait);
    h->rec_wait = NULL;
    if (h->rec == REC_WAIT)
        h->rec = REC_NONE;
}

/* The operation goes on: report lines the device answered since the last report. */
static void rec_progress(rn_host *h)
{
    na_runner *r = h->r;
    if (h->rec != REC_SENDING || h->op != RN_OP_SESSION || !r->hooks.record_answered)
        return;
    size_t a = na_session_lines_answered(h->s);
    if (a > h->rec_answered) {
        h->rec_answered = a;
        r->hooks.record_answered(r->hooks.ud, h->inv->name, a, false, false);
    }
}

/* The operation ended (its result is in h->res): how much of it the device answered. */
static void rec_end(rn_host *h, rn_op op, na_status st)
{
    na_runner *r = h->r;
    if (h->rec != REC_SENDING) {
        h->rec = REC_NONE;
        return;
    }
    h->rec = REC_NONE;
    if (!r->hooks.record_answered)
        return;
    size_t a;
    if (op == RN_OP_SESSION && h->res.lines) /* a configuration push */
        a = h->res.nlines;
    else /* one line: answered when it ended well, or the device answered with an error */
        a = st == NA_OK || h->op_err.code == NA_E_DEVICE ? h->rec_lines : 0;
    r->hooks.record_answered(r->hooks.ud, h->inv->name, a, true, st == NA_OK);
}

/* Run the program until it must wait, or to its end. */
static void drive(rn_host *h)
{
    for (;;) {
        if (h->op != RN_OP_NONE) {
            na_status st;
            rn_op op = h->op;
            if (h->rec == REC_WAIT) {
                na_evwatch_stop(&h->w); /* nothing is sent before its record is durable */
                return;
            }
            if (h->rec == REC_FAILED) {
                h->rec = REC_NONE;
                na_session_close(h->s); /* the operation must not send: the host stops */
                h->op_err = h->rec_err;
                st = NA_ERROR;
            } else if (h->deadline_ms > 0 && na_now_ms() >= h->deadline_ms) {
                na_err_set(&h->op_err, NA_E_TIMEOUT, "%s: the host did not finish within %.1f s",
                           h->inv->name, h->r->host_timeout_ms / 1000.0);
                na_session_close(h->s); /* out of step now */
                st = NA_ERROR;
            } else {
                st = na_sess_op_step(h);
            }
            if (st == NA_AGAIN) {
                rec_progress(h);
                if (arm(h) == 0)
                    return;
                st = NA_ERROR;
            }
            op_complete(h, st);
            rec_end(h, op, st);
        }
        if (advance(h) == ADV_DONE) {
            finish_host(h);
            return;
        }
        if (h->op == RN_OP_NONE) { /* a bug: waiting for nothing would hang the host */
            na_err e = NA_ERR_INIT;
            na_err_set(&e, NA_E_INTERNAL, "runner: task waits without an operation");
            host_fail(h, &e);
            finish_host(h);
            return;
        }
    }
}

static void host_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    rn_host *h = arg;
    na_runner *r = h->r;
    if (h->state != RH_RUNNING)
        return;
    if (r->hooks.may_proceed && !r->hooks.may_proceed(r->hooks.ud, h->inv->name)) {
        NA_LOGW(h->inv->name, "stopped before sending anything more: no longer allowed to use "
                "the device");
        na_rn_host_abort(h);
        return;
    }
    if (h->phase == PH_BEGIN) { /* the first call of this phase's program: begin */
        int64_t now = na_now_ms();
        if (!h->begun) {
            h->begun = true;
            h->start_ms = now;
            h->ok = true;
            if (r->hooks.host_started)
                r->hooks.host_started(r->hooks.ud, h->inv->name);
        }
        if (r->host_timeout_ms > 0)
            h->deadline_ms = now + r->host_timeout_ms;
        h->play = r->phase_from;
        h->task = 0;
        h->in_handlers = false;
        if (open_session(h) < 0) {
            finish_host(h);
            return;
        }
    }
    drive(h);
}

int na_rn_host_init(rn_host *h)
{
    return na_evwatch_init(&h->w, h->r->base, host_cb, h);
}

void na_rn_host_begin(rn_host *h)
{
    h->state = RH_RUNNING;
    h->phase = PH_BEGIN;
    na_evwatch_kick(&h->w);
}

void na_rn_host_abort(rn_host *h)
{
    h->cancelled = true;
    if (h->x || h->op != RN_OP_NONE) { /* the task in progress */
        na_err e = NA_ERR_INIT;
        na_err_set(&e, NA_E_CANCELLED, "cancelled");
        if (h->x) {
            na_rn_task_fail(h, &e);
            end_task(h);
        }
    }
    na_err_set(&h->err, NA_E_CANCELLED, "cancelled");
    na_evwatch_stop(&h->w);
    na_rn_record_drop(h);
    h->rec = REC_NONE;
    h->op = RN_OP_NONE;
    if (h->phase == PH_BEGIN) { /* granted but the program never began */
        h->state = RH_DONE;
        h->final = true;
        json_t *j = host_record(h);
        if (j && h->begun && h->r->hooks.host_finished)
            h->r->hooks.host_finished(h->r->hooks.ud, h->inv->name, j);
        na_rn_host_done(h);
        return;
    }
    finish_host(h);
}

void na_rn_host_free(rn_host *h)
{
    na_evwatch_free(&h->w);
    na_sexec_free(h->exec);
    na_supload_free(h->xfer);
    na_copy_free(h->copy);
    na_session_free(h->s);
    h->s = NULL;
    na_transcript_close(h->tr, NULL);
    h->tr = NULL;
    na_task_exp_free(h->x);
    h->x = NULL;
    na_rn_task_rec_free(&h->cur);
    na_strv_free(&h->iter_out);
    na_result_free(&h->res);
    na_vlan_list_free(&h->vl);
    na_strv_free(&h->plan);
    json_decref(h->registered);
    json_decref(h->tasks);
    free(h->plays);
    free(h->cfg_before);
    free(h->diff);
    free(h->notified);
    na_cfg_free(h->running);
    na_cfg_free(h->startup);
    free(h->cf_task);
}
