/* show_run.c — `netauto show`'s engine: each host is a job that opens a session and runs the
 * commands through the driver's start/step interface; one poll() loop drives every job at once
 * (at most --forks in flight), stepping a session when its fd is ready or its deadline passes.
 * Not the output (show_out.c) and not option parsing (cmd_show.c). */
#include "cli_dev.h"
#include "clock.h"
#include "log.h"
#include "show.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

/* ---- one host ---- */

void cli_show_job_finish(show_job *j)
{
    if (j->s) {
        na_session_free(j->s); /* closes the connection now: fds are released as hosts finish */
        j->s = NULL;
    }
    if (j->tr) {
        na_err e = NA_ERR_INIT;
        if (na_transcript_close(j->tr, &e) < 0) {
            cli_err_name(&e, j->h->name);
            NA_LOGW(j->h->name, "%s", e.msg);
        }
        j->tr = NULL;
    }
    j->us = na_now_us() - j->t0_us;
    j->st = J_DONE;
}

static void job_fail(show_job *j, const na_err *e)
{
    if (!j->failed) {
        j->err = *e;
        cli_err_name(&j->err, j->h->name);
    }
    j->failed = true;
}

static void job_start_cmd(show_job *j, const show_ctx *c)
{
    while (j->cur < c->ncmds) {
        na_err e = NA_ERR_INIT;
        na_cmd_opts o = {.timeout_ms = c->timeout_ms};
        if (na_session_start_command(j->s, c->cmds[j->cur], &o, &e) == 0) {
            j->outs[j->cur].ran = true;
            j->st = J_CMD;
            return;
        }
        cli_err_name(&e, j->h->name);
        job_fail(j, &e);
        j->outs[j->cur].err = e;
        j->outs[j->cur].ran = true;
        if (!na_session_usable(j->s))
            break;
        j->cur++;
    }
    cli_show_job_finish(j);
}

static void job_start(show_job *j, const show_ctx *c)
{
    na_err e = NA_ERR_INIT;
    j->t0_us = na_now_us();
    j->st = J_OPEN;
    if (c->transcript) {
        char *path = cli_transcript_path(c->transcript, j->h->name, c->several);
        if (!path) {
            na_err_set(&e, NA_E_NOMEM, "out of memory");
            job_fail(j, &e);
            cli_show_job_finish(j);
            return;
        }
        j->tr = na_transcript_open(path, j->h->name, &e);
        free(path);
        if (!j->tr) {
            job_fail(j, &e);
            cli_show_job_finish(j);
            return;
        }
    }
    cli_sess_cfg cfg = {
        .kind = c->kind_set ? c->kind : j->h->transport,
        .transcript = j->tr,
        .max_output = c->max_output,
        .command_timeout_ms = c->timeout_ms,
    };
    j->s = cli_session_new(c->reg, j->h, &cfg, &j->params, &e);
    if (!j->s || na_session_start_open(j->s, &e) < 0) {
        job_fail(j, &e);
        cli_show_job_finish(j);
    }
}

/* The session's operation ended (NA_OK or NA_ERROR). */
static void job_advance(show_job *j, const show_ctx *c, na_status st, const na_err *e)
{
    if (j->st == J_OPEN) {
        if (st != NA_OK) {
            job_fail(j, e);
            cli_show_job_finish(j);
            return;
        }
        j->cur = 0;
        job_start_cmd(j, c);
        return;
    }
    na_result r;
    na_session_take_result(j->s, &r);
    show_cmd_out *o = &j->outs[j->cur];
    o->ok = st == NA_OK;
    o->output = r.output;
    o->len = r.output ? r.output_len : 0;
    r.output = NULL;
    o->device_error = r.device_error;
    r.device_error = NULL;
    o->us = r.elapsed_us;
    na_result_free(&r);
    if (st != NA_OK) {
        o->err = *e;
        cli_err_name(&o->err, j->h->name);
        job_fail(j, e);
        if (!na_session_usable(j->s)) {
            cli_show_job_finish(j);
            return;
        }
    }
    j->cur++;
    job_start_cmd(j, c);
}

static void job_step(show_job *j, const show_ctx *c)
{
    na_err e = NA_ERR_INIT;
    na_status st = na_session_step(j->s, &e);
    if (st != NA_AGAIN)
        job_advance(j, c, st, &e);
}

/* ---- the one loop ---- */

int cli_show_run_all(show_job *jobs, size_t n, const show_ctx *c, size_t forks, na_err *err)
{
    struct pollfd *pfd = calloc(forks, sizeof *pfd);
    size_t *idx = calloc(forks, sizeof *idx);
    if (!pfd || !idx) {
        free(pfd);
        free(idx);
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    }
    size_t next = 0, done = 0;
    while (done < n) {
        size_t active = 0;
        for (size_t i = 0; i < n; i++)
            if (jobs[i].st == J_OPEN || jobs[i].st == J_CMD)
                active++;
        while (active < forks && next < n) {
            job_start(&jobs[next], c);
            if (jobs[next].st != J_DONE)
                active++;
            next++;
        }
        size_t np = 0;
        int64_t wake = 0;
        for (size_t i = 0; i < n && np < forks; i++) {
            show_job *j = &jobs[i];
            if (j->st != J_OPEN && j->st != J_CMD)
                continue;
            int want = na_session_want(j->s);
            pfd[np].fd = na_session_fd(j->s);
            pfd[np].events = (short)((want & NA_WANT_READ ? POLLIN : 0) |
                                     (want & NA_WANT_WRITE ? POLLOUT : 0));
            pfd[np].revents = 0;
            if (!pfd[np].events)
                pfd[np].fd = -1;
            idx[np++] = i;
            int64_t d = na_session_deadline(j->s);
            if (d > 0 && (wake == 0 || d < wake))
                wake = d;
        }
        if (np > 0) {
            int64_t ms = wake > 0 ? na_ms_until(wake) : 60000;
            if (ms > 60000)
                ms = 60000;
            if (poll(pfd, np, (int)ms) < 0 && errno != EINTR) {
                na_err_set(err, NA_E_IO, "poll: %s", strerror(errno));
                break;
            }
            int64_t now = na_now_ms();
            for (size_t k = 0; k < np; k++) {
                show_job *j = &jobs[idx[k]];
                int64_t d = na_session_deadline(j->s);
                if (pfd[k].revents || (d > 0 && d <= now))
                    job_step(j, c);
            }
        }
        done = 0;
        for (size_t i = 0; i < n; i++)
            done += jobs[i].st == J_DONE;
    }
    free(pfd);
    free(idx);
    return na_err_isset(err) ? -1 : 0;
}
