/* session_ops.c — the driver operations as resumable state machines: open (transport, first
 * prompt, confirm or learn it, on-open commands, default mode), command, config (lockstep or
 * pipelined, always leaving config mode), save and enter-mode. Each *_step() does what it can
 * and returns NA_AGAIN to wait; the same code serves the event loop and the blocking wrappers.
 * Not the exchange machinery (session.c) and not pattern matching (channel.c). */
#include "session_int.h"
#include "clock.h"
#include "log.h"
#include "secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NUDGE_MS 2000   /* silent after login for this long: send a return once */
#define CONFIRM_TRIES 3

/* ---- starting and finishing ---- */

void op_cleanup(na_session *s)
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
}

static int begin_op(na_session *s, op_kind k, na_err *err)
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
    s->phase = 0;
    s->kick = true;
    s->op_t0_us = na_now_us();
    s->op_deadline_ms = 0;
    s->stop_sending = false;
    return 0;
}

static int fail_start(na_session *s)
{
    op_cleanup(s);
    s->op = OP_NONE;
    return -1;
}

static na_status finish(na_session *s, bool ok)
{
    x_end(s);
    s->res.mode = mode_name(s, s->mode);
    s->res.elapsed_us = na_now_us() - s->op_t0_us;
    s->last_op_us = s->res.elapsed_us;
    op_cleanup(s);
    s->op = OP_NONE;
    if (ok && na_err_isset(&s->op_err))
        ok = false;
    if (!ok && !na_err_isset(&s->op_err))
        na_err_set(&s->op_err, NA_E_INTERNAL, "%s: operation failed", s->name);
    return ok ? NA_OK : NA_ERROR;
}

/* A refused or unanswerable prompted input ended a command: the error for it. */
static void refusal_error(na_session *s, const char *cmd, const char *out, size_t len)
{
    const char *asked = s->x.refused_prompt ? s->x.refused_prompt : "?";
    if (s->x.refused_kind == NA_HIT_UNANSWERED) {
        na_err_set(&s->op_err, NA_E_AUTH, "%s: '%s' asks '%s' but no %s is configured", s->name,
                   cmd, asked, s->x.refused_secret ? "secret" : "answer");
        return;
    }
    char *msg = find_device_error(s, out, len);
    na_err_set(&s->op_err, s->x.refused_secret ? NA_E_AUTH : NA_E_DEVICE,
               "%s: '%s' was refused at '%s'%s%s", s->name, cmd, asked, msg ? ": " : "",
               msg ? msg : "");
    free(msg);
}

/* ---- open ---- */

enum {
    O_TRANSPORT = 0, /* must be 0: na_session_fd() waits on the transport then */
    O_FIRST_START,
    O_FIRST,
    O_CONFIRM_START,
    O_CONFIRM,
    O_ONOPEN,
    O_WALK_START,
    O_WALK,
};

/* The exchange just ended: its output (owned by the result from now on) and the command that
 * produced it go into s->res. Returns the output, or NULL with err set. */
static char *take_result(na_session *s, const char *cmd, size_t *len, na_err *err)
{
    char *out = na_channel_take_output(s->ch, len, err);
    if (!out)
        return NULL;
    s->res.output = out;
    s->res.output_len = *len;
    s->res.command = strdup(cmd);
    return out;
}

static na_status open_step(na_session *s)
{
    na_err *err = &s->op_err;
    for (;;) {
        switch (s->phase) {
        case O_TRANSPORT: {
            if (s->op_deadline_ms > 0 && na_now_ms() >= s->op_deadline_ms) {
                s->broken = true;
                na_err_set(err, NA_E_TIMEOUT, "%s: could not open the session within %.1f s (%s)",
                           s->name, s->open_timeout_ms / 1000.0,
                           na_phase_name(s->t->info.phase));
                return NA_ERROR;
            }
            na_status st = s->t->ops->open(s->t, err);
            if (st == NA_AGAIN)
                return NA_AGAIN;
            if (st == NA_ERROR) {
                s->broken = true;
                return NA_ERROR;
            }
            s->transport_us = na_now_us() - s->op_t0_us;
            int64_t now = na_now_ms();
            int ms = s->shell_timeout_ms;
            if (s->op_deadline_ms > 0 && s->op_deadline_ms - now < ms)
                ms = (int)(s->op_deadline_ms - now > 0 ? s->op_deadline_ms - now : 1);
            s->prompt_deadline_ms = now + ms;
            s->phase = O_FIRST_START;
            break;
        }
        case O_FIRST_START: {
            int64_t dl = s->prompt_deadline_ms;
            if (!s->nudged && dl > na_now_ms() + NUDGE_MS)
                dl = na_now_ms() + NUDGE_MS;
            xspec sp = {.login = true,
                        .open_prompts = true,
                        .timeout_ms = s->shell_timeout_ms,
                        .deadline_ms = dl,
                        .phase = "after login"};
            if (x_start(s, &sp, err) < 0)
                return NA_ERROR;
            s->phase = O_FIRST;
            break;
        }
        case O_FIRST: {
            na_err local = NA_ERR_INIT;
            na_status st = x_step(s, &local);
            if (st == NA_AGAIN)
                return NA_AGAIN;
            if (st == NA_ERROR) {
                if (local.code == NA_E_TIMEOUT && !s->nudged &&
                    na_now_ms() < s->prompt_deadline_ms) {
                    /* silent device: press return once, then wait until the real deadline */
                    s->nudged = true;
                    s->broken = false;
                    NA_LOGD(s->name, "no prompt yet: sending a return");
                    if (send_line(s, "", false, err) < 0)
                        return NA_ERROR;
                    s->phase = O_FIRST_START;
                    break;
                }
                na_err_set(err, local.code, "%s", local.msg);
                return NA_ERROR;
            }
            s->first_prompt_us = na_now_us() - s->op_t0_us;
            free(s->first_line);
            s->first_line = strdup(s->prompt ? s->prompt : "");
            na_channel_consume(s->ch);
            x_end(s);
            s->phase = O_CONFIRM_START;
            break;
        }
        case O_CONFIRM_START: {
            /* Press return and read the prompt again: a banner line that only looked like a
             * prompt does not repeat, and a prompt no pattern knows can be learned. */
            xspec sp = {.send = "",
                        .echo = "",
                        .login = true,
                        .open_prompts = true,
                        .timeout_ms = s->shell_timeout_ms,
                        .deadline_ms = s->prompt_deadline_ms,
                        .phase = "after pressing return"};
            if (x_start(s, &sp, err) < 0)
                return NA_ERROR;
            s->phase = O_CONFIRM;
            break;
        }
        case O_CONFIRM: {
            na_status st = x_step(s, err);
            if (st != NA_OK)
                return st;
            bool known = na_channel_result(s->ch)->index < s->nprompts;
            char *line = strdup(s->prompt ? s->prompt : "");
            na_channel_consume(s->ch);
            x_end(s);
            if (!line)
                return na_err_set(err, NA_E_NOMEM, "out of memory"), NA_ERROR;
            if (known) {
                free(line);
                NA_LOGD(s->name, "prompt '%s' (mode %s)", s->prompt, mode_name(s, s->mode));
                s->phase = O_ONOPEN;
            } else if (s->first_line && !strcmp(line, s->first_line)) {
                int rc = learn_prompt(s, line, err);
                free(line);
                if (rc < 0)
                    return NA_ERROR;
                s->phase = O_ONOPEN;
            } else if (++s->tries >= CONFIRM_TRIES) {
                na_err_set(err, NA_E_PROMPT,
                           "%s: no prompt of platform %s found, and the last line differs after "
                           "every return ('%s', then '%s')",
                           s->name, s->p->name, s->first_line ? s->first_line : "", line);
                free(line);
                return NA_ERROR;
            } else {
                free(s->first_line);
                s->first_line = line;
                s->phase = O_CONFIRM_START;
            }
            break;
        }
        case O_ONOPEN: {
            if (s->skip_on_open || s->on_open_i >= s->p->non_open) {
                s->phase = O_WALK_START;
                break;
            }
            const char *cmd = s->p->on_open[s->on_open_i];
            if (!s->x.active) {
                xspec sp = {.send = cmd, .echo = cmd, .recover = true, .cmd = cmd};
                na_transcript_comment(s->tr, "on-open: %s", cmd);
                if (x_start(s, &sp, err) < 0)
                    return NA_ERROR;
            }
            na_status st = x_step(s, err);
            if (st != NA_OK)
                return st;
            size_t len;
            char *out = na_channel_take_output(s->ch, &len, err);
            if (!out)
                return NA_ERROR;
            char *msg = find_device_error(s, out, len);
            if (msg || s->x.refused >= 0)
                NA_LOGI(s->name, "on-open command '%s' failed (ignored): %s", cmd,
                        msg ? msg : "refused");
            free(msg);
            free(out);
            x_end(s);
            s->on_open_i++;
            break;
        }
        case O_WALK_START:
            if (s->mode == NA_NO_MODE && s->p->default_mode != NA_NO_MODE) {
                NA_LOGW(s->name, "mode unknown: staying where the device is instead of going to "
                        "mode '%s'", mode_name(s, s->p->default_mode));
            } else if (walk_begin(s, s->p->default_mode, err) < 0) {
                return NA_ERROR;
            }
            s->phase = O_WALK;
            break;
        case O_WALK: {
            na_status st = walk_step(s, err);
            if (st != NA_OK)
                return st;
            s->opened = true;
            s->open_us = na_now_us() - s->op_t0_us;
            return NA_OK;
        }
        default:
            return na_err_set(err, NA_E_INTERNAL, "bad open phase"), NA_ERROR;
        }
    }
}

int na_session_start_open(na_session *s, na_err *err)
{
    if (begin_op(s, OP_OPEN, err) < 0)
        return -1;
    if (s->open_timeout_ms > 0)
        s->op_deadline_ms = na_now_ms() + s->open_timeout_ms;
    s->nudged = false;
    s->tries = 0;
    s->on_open_i = 0;
    na_transcript_comment(s->tr, "open %s (platform %s)", s->name, s->p->name);
    return 0;
}

/* ---- command ---- */

enum { C_WALK_START = 0, C_WALK, C_SEND, C_WAIT };

static na_status command_step(na_session *s)
{
    na_err *err = &s->op_err;
    for (;;) {
        switch (s->phase) {
        case C_WALK_START:
            if (walk_begin(s, s->target_mode, err) < 0)
                return NA_ERROR;
            s->phase = C_WALK;
            break;
        case C_WALK: {
            na_status st = walk_step(s, err);
            if (st != NA_OK)
                return st;
            s->phase = C_SEND;
            break;
        }
        case C_SEND: {
            xspec sp = {.send = s->cmd,
                        .echo = s->cmd,
                        .cmd_answers = true,
                        .recover = true,
                        .timeout_ms = s->cmd_timeout,
                        .max_output = s->cmd_max_output,
                        .cmd = s->cmd};
            if (x_start(s, &sp, err) < 0)
                return NA_ERROR;
            s->phase = C_WAIT;
            break;
        }
        case C_WAIT: {
            na_status st = x_step(s, err);
            if (st != NA_OK)
                return st;
            size_t len;
            char *out = take_result(s, s->cmd, &len, err);
            if (!out)
                return NA_ERROR;
            if (s->x.refused >= 0) {
                refusal_error(s, s->cmd, out, len);
            } else if (!s->cmd_no_error_check) {
                char *msg = find_device_error(s, out, len);
                if (msg) {
                    s->res.device_error = msg;
                    na_err_set(err, NA_E_DEVICE, "%s: '%s' failed: %s", s->name, s->cmd, msg);
                }
            }
            return NA_OK;
        }
        default:
            return na_err_set(err, NA_E_INTERNAL, "bad command phase"), NA_ERROR;
        }
    }
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
    if (begin_op(s, OP_COMMAND, err) < 0)
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

enum { G_WALK_IN_START = 0, G_WALK_IN, G_LINES, G_WALK_OUT_START, G_WALK_OUT };

static int line_done(na_session *s, na_err *err)
{
    size_t len;
    char *out = na_channel_take_output(s->ch, &len, err);
    if (!out)
        return -1;
    size_t i = s->done;
    na_line_result *lr = &s->res.lines[i];
    lr->line = strdup(s->lines[i]);
    lr->output = out;
    lr->elapsed_us = na_now_us() - s->t_sent[i];
    lr->after_error = s->res.failed_line && i >= s->res.failed_line;
    s->res.nlines = i + 1;
    char *msg = NULL;
    if (s->x.refused >= 0) {
        msg = find_device_error(s, out, len);
        if (!msg)
            msg = strdup(s->x.refused_prompt ? s->x.refused_prompt : "refused");
    } else {
        msg = find_device_error(s, out, len);
    }
    if (msg && !s->res.failed_line) {
        s->res.failed_line = i + 1;
        s->res.device_error = msg;
        s->stop_sending = true;
        na_err_set(err, NA_E_DEVICE, "%s: config line %zu '%s' failed: %s", s->name, i + 1,
                   s->lines[i], msg);
    } else {
        free(msg);
    }
    x_end(s);
    s->done++;
    return 0;
}

static na_status config_step(na_session *s)
{
    na_err *err = &s->op_err;
    for (;;) {
        switch (s->phase) {
        case G_WALK_IN_START:
            s->mode_before = s->mode;
            if (walk_begin(s, s->target_mode, err) < 0)
                return NA_ERROR;
            s->phase = G_WALK_IN;
            break;
        case G_WALK_IN: {
            na_status st = walk_step(s, err);
            if (st != NA_OK)
                return st;
            s->phase = G_LINES;
            break;
        }
        case G_LINES: {
            /* pipelining needs the echo to tell lines apart */
            size_t window = s->no_echo ? 1 : s->window;
            while (!s->stop_sending && s->sent < s->nlines && s->sent - s->done < window) {
                if (send_line(s, s->lines[s->sent], false, err) < 0)
                    return NA_ERROR;
                s->t_sent[s->sent++] = na_now_us();
            }
            if (s->done >= s->sent) {
                s->phase = G_WALK_OUT_START;
                break;
            }
            if (!s->x.active) {
                const char *next = s->done + 1 < s->sent ? s->lines[s->done + 1] : NULL;
                xspec sp = {.echo = s->lines[s->done],
                            .next_echo = next,
                            .recover = true,
                            .timeout_ms = s->cmd_timeout,
                            .cmd = s->lines[s->done]};
                if (x_start(s, &sp, err) < 0)
                    return NA_ERROR;
            }
            na_status st = x_step(s, err);
            if (st != NA_OK)
                return st;
            if (line_done(s, err) < 0)
                return NA_ERROR;
            break;
        }
        case G_WALK_OUT_START: {
            /* always leave config mode, also after a rejected line */
            size_t back = s->mode_before != NA_NO_MODE ? s->mode_before : s->p->default_mode;
            if (walk_begin(s, back, err) < 0)
                return NA_ERROR;
            s->phase = G_WALK_OUT;
            break;
        }
        case G_WALK_OUT:
            return walk_step(s, err);
        default:
            return na_err_set(err, NA_E_INTERNAL, "bad config phase"), NA_ERROR;
        }
    }
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
    if (begin_op(s, OP_CONFIG, err) < 0)
        return -1;
    if (resolve_mode(s, o->mode, s->p->config_mode, &s->target_mode, err) < 0)
        return fail_start(s);
    s->lines = calloc(n ? n : 1, sizeof *s->lines);
    s->t_sent = calloc(n ? n : 1, sizeof *s->t_sent);
    s->res.lines = calloc(n ? n : 1, sizeof *s->res.lines);
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
    s->sent = s->done = 0;
    s->window = o->window > 1 ? o->window : 1;
    s->cmd_timeout = o->timeout_ms > 0 ? o->timeout_ms : s->cmd_timeout_ms;
    na_transcript_comment(s->tr, "config: %zu lines, window %zu", n, s->window);
    return 0;
}

/* ---- save ---- */

enum { S_WALK_START = 0, S_WALK, S_SEND, S_WAIT };

static na_status save_step(na_session *s)
{
    na_err *err = &s->op_err;
    const na_platform *p = s->p;
    for (;;) {
        switch (s->phase) {
        case S_WALK_START:
            if (walk_begin(s, s->mode == NA_NO_MODE ? NA_NO_MODE : p->save.mode, err) < 0)
                return NA_ERROR;
            s->phase = S_WALK;
            break;
        case S_WALK: {
            na_status st = walk_step(s, err);
            if (st != NA_OK)
                return st;
            s->phase = S_SEND;
            break;
        }
        case S_SEND: {
            xspec sp = {.send = p->save.send,
                        .echo = p->save.send,
                        .extra = p->save.answers,
                        .nextra = p->save.nanswers,
                        .recover = true,
                        .timeout_ms = p->save.timeout_ms > 0 ? p->save.timeout_ms
                                                             : s->cmd_timeout_ms,
                        .cmd = p->save.send};
            if (x_start(s, &sp, err) < 0)
                return NA_ERROR;
            s->phase = S_WAIT;
            break;
        }
        case S_WAIT: {
            na_status st = x_step(s, err);
            if (st != NA_OK)
                return st;
            size_t len;
            char *out = take_result(s, p->save.send, &len, err);
            if (!out)
                return NA_ERROR;
            char *msg;
            if (s->x.refused >= 0) {
                refusal_error(s, p->save.send, out, len);
            } else if ((msg = find_device_error(s, out, len))) {
                s->res.device_error = msg;
                na_err_set(err, NA_E_DEVICE, "%s: save ('%s') failed: %s", s->name,
                           p->save.send, msg);
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
                na_err_set(err, NA_E_DEVICE,
                           "%s: save ('%s') did not report success (expected /%s/); last line: "
                           "'%s'",
                           s->name, p->save.send, na_pattern_src(p->save.success), last);
            }
            return NA_OK;
        }
        default:
            return na_err_set(err, NA_E_INTERNAL, "bad save phase"), NA_ERROR;
        }
    }
}

int na_session_start_save(na_session *s, na_err *err)
{
    if (!s->p->save.send)
        return na_err_set(err, NA_E_UNSUPPORTED, "%s: platform %s has no save command", s->name,
                          s->p->name);
    if (begin_op(s, OP_SAVE, err) < 0)
        return -1;
    na_transcript_comment(s->tr, "save: %s", s->p->save.send);
    return 0;
}

/* ---- enter mode ---- */

static na_status mode_step(na_session *s)
{
    na_err *err = &s->op_err;
    if (s->phase == 0) {
        if (walk_begin(s, s->target_mode, err) < 0)
            return NA_ERROR;
        s->phase = 1;
    }
    return walk_step(s, err);
}

int na_session_start_mode(na_session *s, const char *mode, na_err *err)
{
    if (!mode || !*mode)
        return na_err_set(err, NA_E_USAGE, "%s: no mode given", s->name);
    if (begin_op(s, OP_MODE, err) < 0)
        return -1;
    if (resolve_mode(s, mode, NA_NO_MODE, &s->target_mode, err) < 0)
        return fail_start(s);
    return 0;
}

/* ---- dispatch ---- */

na_status op_step(na_session *s)
{
    na_status st;
    s->kick = false;
    switch (s->op) {
    case OP_OPEN: st = open_step(s); break;
    case OP_COMMAND: st = command_step(s); break;
    case OP_CONFIG: st = config_step(s); break;
    case OP_SAVE: st = save_step(s); break;
    case OP_MODE: st = mode_step(s); break;
    default: return NA_ERROR;
    }
    if (st == NA_AGAIN)
        return NA_AGAIN;
    return finish(s, st == NA_OK);
}
