/* session_ops.c — the driver operations as resumable state machines: open (transport, first
 * prompt, confirm or learn it, on-open commands, default mode), command, config (lockstep or
 * pipelined, commit or discard on a commit-model platform, always leaving config mode), save and
 * enter-mode. Each phase is one function in the table `phases` (with its name); na_sess_op_step()
 * is the dispatcher: it runs the current phase's function until one waits (NA_AGAIN) or the
 * operation ends. Every transition is logged at trace level ("sw1: open: first-prompt -> open:
 * confirm-start"), so `-vvvv` shows how the session walked through a strange device. The same
 * code serves the event loop and the blocking wrappers. Not the exchange machinery (session.c)
 * and not pattern matching (channel.c, channel_match.c). */
#include "session_int.h"
#include "clock.h"
#include "log.h"
#include "secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NUDGE_MS 1000   /* nothing recognisable after login for this long: press return ... */
#define NUDGES 3        /* ... at most this many times (a login prompt with text glued to it,
                           "Username: Kerberos: No default realm defined for Kerberos!", needs
                           one; an ASA replicating its configuration two) */
#define CONFIRM_TRIES 3

/* What a phase function tells the dispatcher. */
typedef enum {
    ST_NEXT,  /* the phase changed: run the new one now */
    ST_WAIT,  /* waiting for the device (or a deadline) */
    ST_DONE,  /* the operation ended (its error, if any, is in s->op_err) */
    ST_FAIL,  /* the operation failed (s->op_err) */
} step_rc;

typedef step_rc (*phase_fn)(na_session *s);

/* ---- starting and finishing ---- */

void na_sess_op_cleanup(na_session *s)
{
    free(s->cmd);
    s->cmd = NULL;
    for (size_t i = 0; i < s->ncmd_ans; i++) {
        na_pattern_free(s->cmd_ans[i].prompt);
        if (s->cmd_ans[i].reply)
            na_wipe(s->cmd_ans[i].reply, strlen(s->cmd_ans[i].reply));
        free(s->cmd_ans[i].reply);
    }
    free(s->cmd_ans);
    s->cmd_ans = NULL;
    s->ncmd_ans = 0;
    for (size_t i = 0; i < s->nlines; i++)
        free(s->lines[i]);
    free(s->lines);
    s->lines = NULL;
    s->nlines = s->sent = s->done = 0;
    free(s->t_sent);
    s->t_sent = NULL;
    free(s->first_line);
    s->first_line = NULL;
    s->w.active = false;
    s->committing = false;
    free(s->commit_cmd);
    s->commit_cmd = NULL;
}

static int begin_op(na_session *s, op_kind k, op_phase first, na_err *err)
{
    if (s->op != OP_NONE)
        return na_err_set(err, NA_E_INTERNAL, "%s: another operation is in progress", s->name);
    if (k == OP_OPEN && (s->opened || s->broken || s->closed))
        return na_err_set(err, NA_E_INTERNAL, "%s: the session was already opened", s->name);
    if (k != OP_OPEN && !na_session_usable(s)) {
        if (!s->opened)
            return na_err_set(err, NA_E_CLOSED, "%s: the session is not open", s->name);
        return na_err_set(err, NA_E_CLOSED,
                          "%s: the session is closed or out of step after an earlier error; "
                          "reopen it",
                          s->name);
    }
    na_result_free(&s->res);
    na_err_clear(&s->op_err);
    s->op = k;
    s->phase = first;
    s->kick = true;
    s->op_t0_us = na_now_us();
    s->op_deadline_ms = 0;
    s->stop_sending = false;
    return 0;
}

static int fail_start(na_session *s)
{
    na_sess_op_cleanup(s);
    s->op = OP_NONE;
    s->phase = PH_IDLE;
    return -1;
}

static step_rc finish(na_session *s, bool ok)
{
    na_sess_x_end(s);
    na_sess_collect_async(s);
    na_transcript_echo_done(s->tr);
    s->res.mode = na_sess_mode_name(s, s->mode);
    s->res.elapsed_us = na_now_us() - s->op_t0_us;
    s->last_op_us = s->res.elapsed_us;
    na_sess_op_cleanup(s);
    s->op = OP_NONE;
    s->phase = PH_IDLE;
    if (ok && na_err_isset(&s->op_err))
        ok = false;
    if (!ok && !na_err_isset(&s->op_err))
        na_err_set(&s->op_err, NA_E_INTERNAL, "%s: operation failed", s->name);
    return ok ? ST_DONE : ST_FAIL;
}

/* A refused or unanswerable prompted input ended a command: the error for it. */
static void refusal_error(na_session *s, const char *cmd, const char *out, size_t len)
{
    const char *asked = s->x.refused_prompt ? s->x.refused_prompt : "?";
    if (s->x.refused_kind == NA_HIT_UNANSWERED) {
        na_sess_s_err(&s->op_err, NA_E_AUTH, "%s: '%s' asks '%s' but no %s is configured", s->name,
                      cmd, asked, s->x.refused_secret ? "secret" : "answer");
        return;
    }
    char *msg = na_sess_find_device_error(s, out, len);
    na_sess_s_err(&s->op_err, s->x.refused_secret ? NA_E_AUTH : NA_E_DEVICE,
          "%s: '%s' was refused at '%s'%s%s", s->name, cmd, asked, msg ? ": " : "",
          msg ? msg : "");
    free(msg);
}

/* The exchange just ended: its output (owned by the result from now on) and the command that
 * produced it (masked) go into s->res. Returns the output, or NULL with err set. */
static char *take_result(na_session *s, const char *cmd, size_t *len, na_err *err)
{
    char *out = na_channel_take_output(s->ch, len, err);
    if (!out)
        return NULL;
    s->res.output = out;
    s->res.output_len = *len;
    s->res.command = na_sess_typed_masked(cmd);
    return out;
}

/* Walking between modes, as a phase: ST_NEXT (to `next`) once there. */
static step_rc walk_phase(na_session *s, op_phase next);
static void go(na_session *s, op_phase p);

/* ---- open ---- */

static step_rc open_transport(na_session *s)
{
    na_err *err = &s->op_err;
    if (s->op_deadline_ms > 0 && na_now_ms() >= s->op_deadline_ms) {
        s->broken = true;
        na_err_set(err, NA_E_TIMEOUT, "%s: could not open the session within %.1f s (%s)",
                   s->name, s->open_timeout_ms / 1000.0, na_phase_name(s->t->info.phase));
        return ST_FAIL;
    }
    na_status st = s->t->ops->open(s->t, err);
    if (st == NA_AGAIN)
        return ST_WAIT;
    if (st == NA_ERROR) {
        s->broken = true;
        return ST_FAIL;
    }
    s->transport_us = na_now_us() - s->op_t0_us;
    int64_t now = na_now_ms();
    int ms = s->shell_timeout_ms;
    if (s->op_deadline_ms > 0 && s->op_deadline_ms - now < ms)
        ms = (int)(s->op_deadline_ms - now > 0 ? s->op_deadline_ms - now : 1);
    s->prompt_deadline_ms = now + ms;
    go(s, PH_OPEN_FIRST_START);
    return ST_NEXT;
}

/* The first prompt (or prompt-like line, once it stood still for SETTLE_MS), answering the
 * platform's login prompts. */
static step_rc open_first_start(na_session *s)
{
    int64_t dl = s->prompt_deadline_ms;
    if (s->nudges < NUDGES && dl > na_now_ms() + NUDGE_MS)
        dl = na_now_ms() + NUDGE_MS;
    xspec sp = {.login = true,
                .open_prompts = true,
                .timeout_ms = s->shell_timeout_ms,
                .deadline_ms = dl,
                .phase = "after login"};
    if (na_sess_x_start(s, &sp, &s->op_err) < 0)
        return ST_FAIL;
    go(s, PH_OPEN_FIRST);
    return ST_NEXT;
}

static step_rc open_first(na_session *s)
{
    na_err local = NA_ERR_INIT;
    na_status st = na_sess_x_step(s, &local);
    if (st == NA_AGAIN)
        return ST_WAIT;
    if (st == NA_ERROR) {
        if (local.code == NA_E_TIMEOUT && s->nudges < NUDGES &&
            na_now_ms() < s->prompt_deadline_ms) {
            /* nothing to answer: press return (no credential is ever typed at a line that is
             * not certainly its question), then wait again */
            s->nudges++;
            s->broken = false;
            NA_LOGD(s->name, "no prompt yet: sending a return");
            if (na_sess_send_line(s, "", false, &s->op_err) < 0)
                return ST_FAIL;
            go(s, PH_OPEN_FIRST_START);
            return ST_NEXT;
        }
        na_err_set_exact(&s->op_err, local.code, "%s", local.msg);
        return ST_FAIL;
    }
    s->first_prompt_us = na_now_us() - s->op_t0_us;
    free(s->first_line);
    s->first_line = strdup(s->prompt ? s->prompt : "");
    na_channel_consume(s->ch);
    na_sess_x_end(s);
    go(s, PH_OPEN_CONFIRM_START);
    return ST_NEXT;
}

/* Press return and read the prompt again: a banner line that only looked like a prompt does not
 * repeat, and a prompt no pattern knows can be learned. */
static step_rc open_confirm_start(na_session *s)
{
    xspec sp = {.send = "",
                .echo = "",
                .login = true,
                .open_prompts = true,
                .timeout_ms = s->shell_timeout_ms,
                .deadline_ms = s->prompt_deadline_ms,
                .phase = "after pressing return"};
    if (na_sess_x_start(s, &sp, &s->op_err) < 0)
        return ST_FAIL;
    go(s, PH_OPEN_CONFIRM);
    return ST_NEXT;
}

static step_rc open_confirm(na_session *s)
{
    na_err *err = &s->op_err;
    na_status st = na_sess_x_step(s, err);
    if (st == NA_AGAIN)
        return ST_WAIT;
    if (st == NA_ERROR)
        return ST_FAIL;
    bool known = na_channel_result(s->ch)->index < s->nprompts;
    char *line = strdup(s->prompt ? s->prompt : "");
    na_channel_consume(s->ch);
    na_sess_x_end(s);
    if (!line)
        return na_err_set(err, NA_E_NOMEM, "out of memory"), ST_FAIL;
    if (known) {
        size_t mode;
        if (s->p->na_sess_learn_host && !s->nlearned &&
            na_sess_learn_host(s, line, &mode, err) < 0) {
            free(line);
            return ST_FAIL;
        }
        free(line);
        NA_LOGD(s->name, "prompt '%s' (mode %s)", s->prompt, na_sess_mode_name(s, s->mode));
        go(s, PH_OPEN_ON_OPEN);
    } else if (s->first_line && !strcmp(line, s->first_line)) {
        int rc = na_sess_learn_prompt(s, line, err);
        free(line);
        if (rc < 0)
            return ST_FAIL;
        go(s, PH_OPEN_ON_OPEN);
    } else if (++s->tries >= CONFIRM_TRIES) {
        na_sess_s_err(err, NA_E_PROMPT,
              "%s: no prompt of platform %s found, and the last line differs after every return "
              "('%s', then '%s')",
              s->name, s->p->name, s->first_line ? s->first_line : "", line);
        free(line);
        return ST_FAIL;
    } else {
        free(s->first_line);
        s->first_line = line;
        go(s, PH_OPEN_CONFIRM_START);
    }
    return ST_NEXT;
}

static step_rc open_on_open(na_session *s)
{
    na_err *err = &s->op_err;
    if (s->skip_on_open || s->on_open_i >= s->p->non_open) {
        go(s, PH_OPEN_MODE_START);
        return ST_NEXT;
    }
    const char *cmd = s->p->on_open[s->on_open_i];
    if (!s->x.active) {
        xspec sp = {.send = cmd, .echo = cmd, .recover = true, .strip_async = true, .cmd = cmd};
        na_transcript_comment(s->tr, "on-open: %s", cmd);
        if (na_sess_x_start(s, &sp, err) < 0)
            return ST_FAIL;
    }
    na_status st = na_sess_x_step(s, err);
    if (st == NA_AGAIN)
        return ST_WAIT;
    if (st == NA_ERROR)
        return ST_FAIL;
    size_t len;
    char *out = na_channel_take_output(s->ch, &len, err);
    if (!out)
        return ST_FAIL;
    char *msg = na_sess_find_device_error(s, out, len);
    if (msg || s->x.refused >= 0)
        NA_LOGI(s->name, "on-open command '%s' failed (ignored): %s", cmd, msg ? msg : "refused");
    free(msg);
    free(out);
    na_sess_x_end(s);
    s->on_open_i++;
    return ST_NEXT; /* the next on-open command, in the same phase */
}

static step_rc open_mode_start(na_session *s)
{
    if (s->mode == NA_NO_MODE && s->p->default_mode != NA_NO_MODE) {
        NA_LOGW(s->name, "mode unknown: staying where the device is instead of going to mode '%s'",
                na_sess_mode_name(s, s->p->default_mode));
    } else if (na_sess_walk_begin(s, s->p->default_mode, &s->op_err) < 0) {
        return ST_FAIL;
    }
    go(s, PH_OPEN_MODE);
    return ST_NEXT;
}

static step_rc open_mode(na_session *s)
{
    step_rc rc = walk_phase(s, PH_IDLE);
    if (rc != ST_NEXT)
        return rc;
    s->opened = true;
    s->open_us = na_now_us() - s->op_t0_us;
    return ST_DONE;
}

int na_session_start_open(na_session *s, na_err *err)
{
    if (begin_op(s, OP_OPEN, PH_OPEN_TRANSPORT, err) < 0)
        return -1;
    if (s->open_timeout_ms > 0)
        s->op_deadline_ms = na_now_ms() + s->open_timeout_ms;
    s->nudges = 0;
    s->tries = 0;
    s->on_open_i = 0;
    na_transcript_comment(s->tr, "open %s (platform %s)", s->name, s->p->name);
    return 0;
}

/* ---- command ---- */

static step_rc cmd_mode_start(na_session *s)
{
    if (na_sess_walk_begin(s, s->target_mode, &s->op_err) < 0)
        return ST_FAIL;
    go(s, PH_CMD_MODE);
    return ST_NEXT;
}

static step_rc cmd_mode(na_session *s) { return walk_phase(s, PH_CMD_SEND); }

static step_rc cmd_send(na_session *s)
{
    xspec sp = {.send = s->cmd,
                .echo = s->cmd,
                .cmd_answers = true,
                .recover = true,
                .timeout_ms = s->cmd_timeout,
                .max_output = s->cmd_max_output,
                .cmd = s->cmd};
    if (na_sess_x_start(s, &sp, &s->op_err) < 0)
        return ST_FAIL;
    go(s, PH_CMD_WAIT);
    return ST_NEXT;
}

static step_rc cmd_wait(na_session *s)
{
    na_err *err = &s->op_err;
    na_status st = na_sess_x_step(s, err);
    if (st == NA_AGAIN)
        return ST_WAIT;
    if (st == NA_ERROR)
        return ST_FAIL;
    size_t len;
    char *out = take_result(s, s->cmd, &len, err);
    if (!out)
        return ST_FAIL;
    if (s->x.refused >= 0) {
        refusal_error(s, s->res.command ? s->res.command : "?", out, len);
    } else if (!s->cmd_no_error_check) {
        char *msg = na_sess_find_device_error(s, out, len);
        if (msg) {
            s->res.device_error = msg;
            na_sess_s_err(err, NA_E_DEVICE, "%s: '%s' failed: %s", s->name,
                  s->res.command ? s->res.command : "?", msg);
        }
    }
    return ST_DONE;
}

static int resolve_mode(na_session *s, const char *mode, size_t dflt, size_t *out, na_err *err)
{
    if (!mode) {
        *out = dflt;
    } else if (!*mode) {
        *out = NA_NO_MODE;
    } else if ((*out = na_platform_mode(s->p, mode)) == NA_NO_MODE) {
        return na_err_set(err, NA_E_NOTFOUND, "%s: platform %s has no mode '%s'", s->name,
                          s->p->name, mode);
    }
    return 0;
}

static bool uses_secret(const char *r)
{
    return strstr(r, "${secret}") || strstr(r, "${password}");
}

int na_session_start_command(na_session *s, const char *cmd, const na_cmd_opts *o, na_err *err)
{
    static const na_cmd_opts none;
    if (!o)
        o = &none;
    if (!cmd || strchr(cmd, '\n') || strchr(cmd, '\r'))
        return na_err_set(err, NA_E_USAGE, "%s: a command must be one line", s->name);
    if (begin_op(s, OP_COMMAND, PH_CMD_MODE_START, err) < 0)
        return -1;
    if (!(s->cmd = strdup(cmd))) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return fail_start(s);
    }
    if (resolve_mode(s, o->mode, s->p->default_mode, &s->target_mode, err) < 0)
        return fail_start(s);
    if (s->mode == NA_NO_MODE) /* learned prompt of unknown mode: run where the device is */
        s->target_mode = NA_NO_MODE;
    s->cmd_no_error_check = o->no_error_check;
    s->cmd_timeout = o->timeout_ms > 0 ? o->timeout_ms : s->cmd_timeout_ms;
    s->cmd_max_output = o->max_output ? o->max_output : s->max_output;
    if (o->nanswers) {
        s->cmd_ans = calloc(o->nanswers, sizeof *s->cmd_ans);
        if (!s->cmd_ans) {
            na_err_set(err, NA_E_NOMEM, "out of memory");
            return fail_start(s);
        }
        for (size_t i = 0; i < o->nanswers; i++) {
            const na_cmd_answer *a = &o->answers[i];
            na_panswer *pa = &s->cmd_ans[i];
            s->ncmd_ans = i + 1;
            na_err perr = NA_ERR_INIT;
            pa->prompt = na_pattern_new(a->prompt, 0, &perr);
            if (!pa->prompt) {
                na_err_set(err, perr.code, "%s: answer %zu of '%s': %s", s->name, i + 1, cmd,
                           perr.msg);
                return fail_start(s);
            }
            pa->reply = strdup(a->reply ? a->reply : "");
            if (!pa->reply) {
                na_err_set(err, NA_E_NOMEM, "out of memory");
                return fail_start(s);
            }
            pa->secret = a->secret || uses_secret(pa->reply);
            pa->newline = !a->no_newline;
            pa->max = pa->secret ? 1 : 0;
        }
    }
    na_transcript_comment(s->tr, "command: %s", cmd);
    return 0;
}

/* ---- config ---- */

static step_rc cfg_enter_start(na_session *s)
{
    s->mode_before = s->mode;
    if (na_sess_walk_begin(s, s->target_mode, &s->op_err) < 0)
        return ST_FAIL;
    go(s, PH_CFG_ENTER);
    return ST_NEXT;
}

static step_rc cfg_enter(na_session *s) { return walk_phase(s, PH_CFG_LINES); }

/* The answer to config line i (or to the commit / discard) arrived. */
static int line_done(na_session *s, size_t i, const char *line, na_err *err)
{
    size_t len;
    char *out = na_channel_take_output(s->ch, &len, err);
    if (!out)
        return -1;
    na_line_result *lr = &s->res.lines[s->res.nlines];
    if (s->x.cmd && s->x.cmd_src == line) { /* already masked for this exchange's messages */
        lr->line = s->x.cmd;
        s->x.cmd = NULL;
    } else {
        lr->line = na_sess_typed_masked(line);
    }
    lr->output = out;
    lr->elapsed_us = na_now_us() - (i < s->nlines ? s->t_sent[i] : s->x.t0_us);
    lr->after_error = s->res.failed_line && i < s->nlines && i >= s->res.failed_line;
    s->res.nlines++;
    char *msg = na_sess_find_device_error(s, out, len);
    if (!msg && s->x.refused >= 0)
        msg = strdup(s->x.refused_prompt ? s->x.refused_prompt : "refused");
    if (!msg)
        msg = na_sess_find_config_error(s, out, len);
    if (!msg && i == s->nlines && s->p->commit.success && !s->res.failed_line &&
        !na_pattern_find(s->p->commit.success, s->m, out, len, false, NULL, NULL)) {
        size_t b = len;
        while (b > 0 && (out[b - 1] == '\n' || out[b - 1] == ' '))
            b--;
        size_t a = b;
        while (a > 0 && out[a - 1] != '\n')
            a--;
        msg = strndup(out + a, b - a);
    }
    if (msg && !s->res.failed_line) {
        s->res.failed_line = s->res.nlines;
        s->res.device_error = msg;
        s->stop_sending = true;
        if (i < s->nlines)
            na_sess_s_err(err, NA_E_DEVICE, "%s: config line %zu '%s' failed: %s", s->name, i + 1,
                  lr->line ? lr->line : "?", msg);
        else
            na_sess_s_err(err, NA_E_DEVICE, "%s: '%s' failed: %s", s->name,
                          lr->line ? lr->line : "?", msg);
    } else {
        free(msg);
    }
    na_sess_x_end(s);
    return 0;
}

static step_rc cfg_lines(na_session *s)
{
    na_err *err = &s->op_err;
    /* pipelining needs the echo to tell lines apart */
    size_t window = s->no_echo ? 1 : s->window;
    while (!s->stop_sending && s->sent < s->nlines && s->sent - s->done < window) {
        if (na_sess_send_line(s, s->lines[s->sent], false, err) < 0)
            return ST_FAIL;
        s->t_sent[s->sent++] = na_now_us();
    }
    if (s->done >= s->sent) {
        bool commit = s->p->commit.send && !s->res.failed_line;
        bool discard = s->p->commit.discard && s->res.failed_line;
        go(s, commit || discard ? PH_CFG_COMMIT_SEND : PH_CFG_LEAVE_START);
        return ST_NEXT;
    }
    if (!s->x.active) {
        const char *next = s->done + 1 < s->sent ? s->lines[s->done + 1] : NULL;
        xspec sp = {.echo = s->lines[s->done],
                    .next_echo = next,
                    .recover = true,
                    .strip_async = true,
                    .timeout_ms = s->cmd_timeout,
                    .cmd = s->lines[s->done]};
        if (na_sess_x_start(s, &sp, err) < 0)
            return ST_FAIL;
    }
    na_status st = na_sess_x_step(s, err);
    if (st == NA_AGAIN)
        return ST_WAIT;
    if (st == NA_ERROR)
        return ST_FAIL;
    if (line_done(s, s->done, s->lines[s->done], err) < 0)
        return ST_FAIL;
    s->done++;
    return ST_NEXT; /* the next line, in the same phase */
}

/* Commit model: commit what the lines changed, or discard it after a rejected line. */
static step_rc cfg_commit_send(na_session *s)
{
    const na_platform *p = s->p;
    const char *cmd = s->res.failed_line ? p->commit.discard
                      : s->commit_cmd            ? s->commit_cmd
                                                 : p->commit.send;
    xspec sp = {.send = cmd,
                .echo = cmd,
                .extra = s->res.failed_line ? NULL : p->commit.answers,
                .nextra = s->res.failed_line ? 0 : p->commit.nanswers,
                .recover = true,
                .strip_async = true,
                .timeout_ms = p->commit.timeout_ms > 0 ? p->commit.timeout_ms : s->cmd_timeout,
                .cmd = cmd};
    na_transcript_comment(s->tr, "%s: %s", s->res.failed_line ? "discard" : "commit", cmd);
    if (na_sess_x_start(s, &sp, &s->op_err) < 0)
        return ST_FAIL;
    s->committing = true;
    go(s, PH_CFG_COMMIT_WAIT);
    return ST_NEXT;
}

static step_rc cfg_commit_wait(na_session *s)
{
    na_status st = na_sess_x_step(s, &s->op_err);
    if (st == NA_AGAIN)
        return ST_WAIT;
    if (st == NA_ERROR)
        return ST_FAIL;
    bool discard = s->res.failed_line != 0;
    const char *cmd = discard ? s->p->commit.discard
                      : s->commit_cmd ? s->commit_cmd
                                      : s->p->commit.send;
    if (line_done(s, s->nlines, cmd, &s->op_err) < 0)
        return ST_FAIL;
    s->committing = false;
    /* a rejected commit leaves the candidate changed: throw it away too */
    if (!discard && s->res.failed_line && s->p->commit.discard) {
        go(s, PH_CFG_COMMIT_SEND);
        return ST_NEXT;
    }
    go(s, PH_CFG_LEAVE_START);
    return ST_NEXT;
}

static step_rc cfg_leave_start(na_session *s)
{
    /* always leave config mode, also after a rejected line */
    size_t back = s->mode_before != NA_NO_MODE ? s->mode_before : s->p->default_mode;
    if (na_sess_walk_begin(s, back, &s->op_err) < 0)
        return ST_FAIL;
    go(s, PH_CFG_LEAVE);
    return ST_NEXT;
}

static step_rc cfg_leave(na_session *s)
{
    step_rc rc = walk_phase(s, PH_IDLE);
    return rc == ST_NEXT ? ST_DONE : rc;
}

int na_session_start_config(na_session *s, const char *const *lines, size_t n,
                            const na_config_opts *o, na_err *err)
{
    static const na_config_opts none;
    if (!o)
        o = &none;
    for (size_t i = 0; i < n; i++)
        if (!lines[i] || strchr(lines[i], '\n') || strchr(lines[i], '\r'))
            return na_err_set(err, NA_E_USAGE, "%s: config line %zu must be one line", s->name,
                              i + 1);
    if (begin_op(s, OP_CONFIG, PH_CFG_ENTER_START, err) < 0)
        return -1;
    if (resolve_mode(s, o->mode, s->p->config_mode, &s->target_mode, err) < 0)
        return fail_start(s);
    s->lines = calloc(n ? n : 1, sizeof *s->lines);
    s->t_sent = calloc(n ? n : 1, sizeof *s->t_sent);
    s->res.lines = calloc(n + 2, sizeof *s->res.lines); /* + the commit and the discard */
    if (!s->lines || !s->t_sent || !s->res.lines) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return fail_start(s);
    }
    for (size_t i = 0; i < n; i++) {
        if (!(s->lines[i] = strdup(lines[i]))) {
            s->nlines = i;
            na_err_set(err, NA_E_NOMEM, "out of memory");
            return fail_start(s);
        }
    }
    s->nlines = n;
    if (o->commit && !(s->commit_cmd = strdup(o->commit))) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return fail_start(s);
    }
    s->sent = s->done = 0;
    s->window = o->window > 1 ? o->window : 1;
    s->cmd_timeout = o->timeout_ms > 0 ? o->timeout_ms : s->cmd_timeout_ms;
    na_transcript_comment(s->tr, "config: %zu lines, window %zu", n, s->window);
    return 0;
}

/* ---- save ---- */

static step_rc save_mode_start(na_session *s)
{
    if (na_sess_walk_begin(s, s->mode == NA_NO_MODE ? NA_NO_MODE : s->p->save.mode, &s->op_err) < 0)
        return ST_FAIL;
    go(s, PH_SAVE_MODE);
    return ST_NEXT;
}

static step_rc save_mode(na_session *s) { return walk_phase(s, PH_SAVE_SEND); }

static step_rc save_send(na_session *s)
{
    const na_platform *p = s->p;
    xspec sp = {.send = p->save.send,
                .echo = p->save.send,
                .extra = p->save.answers,
                .nextra = p->save.nanswers,
                .recover = true,
                .timeout_ms = p->save.timeout_ms > 0 ? p->save.timeout_ms : s->cmd_timeout_ms,
                .cmd = p->save.send};
    if (na_sess_x_start(s, &sp, &s->op_err) < 0)
        return ST_FAIL;
    go(s, PH_SAVE_WAIT);
    return ST_NEXT;
}

static step_rc save_wait(na_session *s)
{
    na_err *err = &s->op_err;
    const na_platform *p = s->p;
    na_status st = na_sess_x_step(s, err);
    if (st == NA_AGAIN)
        return ST_WAIT;
    if (st == NA_ERROR)
        return ST_FAIL;
    size_t len;
    char *out = take_result(s, p->save.send, &len, err);
    if (!out)
        return ST_FAIL;
    char *msg;
    if (s->x.refused >= 0) {
        refusal_error(s, p->save.send, out, len);
    } else if ((msg = na_sess_find_device_error(s, out, len))) {
        s->res.device_error = msg;
        na_sess_s_err(err, NA_E_DEVICE, "%s: save ('%s') failed: %s", s->name, p->save.send, msg);
    } else if (p->save.success &&
               !na_pattern_find(p->save.success, s->m, out, len, false, NULL, NULL)) {
        char last[120];
        size_t b = len;
        while (b > 0 && (out[b - 1] == '\n' || out[b - 1] == ' '))
            b--;
        size_t a = b;
        while (a > 0 && out[a - 1] != '\n')
            a--;
        snprintf(last, sizeof last, "%.*s", (int)(b - a), out + a);
        s->res.device_error = strdup(last);
        na_sess_s_err(err, NA_E_DEVICE,
              "%s: save ('%s') did not report success (expected /%s/); last line: '%s'", s->name,
              p->save.send, na_pattern_src(p->save.success), last);
    }
    return ST_DONE;
}

int na_session_start_save(na_session *s, na_err *err)
{
    if (!s->p->save.send)
        return na_err_set(err, NA_E_UNSUPPORTED, "%s: platform %s has no save command", s->name,
                          s->p->name);
    if (begin_op(s, OP_SAVE, PH_SAVE_MODE_START, err) < 0)
        return -1;
    na_transcript_comment(s->tr, "save: %s", s->p->save.send);
    return 0;
}

/* ---- enter mode ---- */

static step_rc mode_start(na_session *s)
{
    if (na_sess_walk_begin(s, s->target_mode, &s->op_err) < 0)
        return ST_FAIL;
    go(s, PH_MODE);
    return ST_NEXT;
}

static step_rc mode_walk(na_session *s)
{
    step_rc rc = walk_phase(s, PH_IDLE);
    return rc == ST_NEXT ? ST_DONE : rc;
}

int na_session_start_mode(na_session *s, const char *mode, na_err *err)
{
    if (!mode || !*mode)
        return na_err_set(err, NA_E_USAGE, "%s: no mode given", s->name);
    if (begin_op(s, OP_MODE, PH_MODE_START, err) < 0)
        return -1;
    if (resolve_mode(s, mode, NA_NO_MODE, &s->target_mode, err) < 0)
        return fail_start(s);
    return 0;
}

/* ---- the phase table and the dispatcher ---- */

static step_rc idle(na_session *s)
{
    return na_err_set(&s->op_err, NA_E_INTERNAL, "%s: no phase to run", s->name), ST_FAIL;
}

static const struct {
    const char *name;
    phase_fn fn;
} phases[PH__COUNT] = {
    [PH_IDLE] = {"idle", idle},
    [PH_OPEN_TRANSPORT] = {"open: transport", open_transport},
    [PH_OPEN_FIRST_START] = {"open: first-prompt-start", open_first_start},
    [PH_OPEN_FIRST] = {"open: first-prompt", open_first},
    [PH_OPEN_CONFIRM_START] = {"open: confirm-start", open_confirm_start},
    [PH_OPEN_CONFIRM] = {"open: confirm", open_confirm},
    [PH_OPEN_ON_OPEN] = {"open: on-open", open_on_open},
    [PH_OPEN_MODE_START] = {"open: default-mode-start", open_mode_start},
    [PH_OPEN_MODE] = {"open: default-mode", open_mode},
    [PH_CMD_MODE_START] = {"command: mode-start", cmd_mode_start},
    [PH_CMD_MODE] = {"command: mode", cmd_mode},
    [PH_CMD_SEND] = {"command: send", cmd_send},
    [PH_CMD_WAIT] = {"command: wait", cmd_wait},
    [PH_CFG_ENTER_START] = {"config: enter-start", cfg_enter_start},
    [PH_CFG_ENTER] = {"config: enter", cfg_enter},
    [PH_CFG_LINES] = {"config: lines", cfg_lines},
    [PH_CFG_COMMIT_SEND] = {"config: commit-send", cfg_commit_send},
    [PH_CFG_COMMIT_WAIT] = {"config: commit-wait", cfg_commit_wait},
    [PH_CFG_LEAVE_START] = {"config: leave-start", cfg_leave_start},
    [PH_CFG_LEAVE] = {"config: leave", cfg_leave},
    [PH_SAVE_MODE_START] = {"save: mode-start", save_mode_start},
    [PH_SAVE_MODE] = {"save: mode", save_mode},
    [PH_SAVE_SEND] = {"save: send", save_send},
    [PH_SAVE_WAIT] = {"save: wait", save_wait},
    [PH_MODE_START] = {"mode: start", mode_start},
    [PH_MODE] = {"mode: walk", mode_walk},
};

static void go(na_session *s, op_phase p)
{
    NA_LOGT(s->name, "%s -> %s", phases[s->phase].name, phases[p].name);
    s->phase = p;
}

static step_rc walk_phase(na_session *s, op_phase next)
{
    na_status st = na_sess_walk_step(s, &s->op_err);
    if (st == NA_AGAIN)
        return ST_WAIT;
    if (st == NA_ERROR)
        return ST_FAIL;
    if (next != PH_IDLE)
        go(s, next);
    return ST_NEXT;
}

na_status na_sess_op_step(na_session *s)
{
    s->kick = false;
    for (;;) {
        step_rc rc = phases[s->phase].fn(s);
        if (rc == ST_NEXT)
            continue;
        if (rc == ST_WAIT)
            return NA_AGAIN;
        op_phase was = s->phase;
        rc = finish(s, rc == ST_DONE);
        NA_LOGT(s->name, "%s -> %s (%s)", phases[was].name, phases[PH_IDLE].name,
                rc == ST_DONE ? "done" : "failed");
        return rc == ST_DONE ? NA_OK : NA_ERROR;
    }
}
