/* ssh_exec.c — run one command on its own SSH channel of an open transport (see ssh.h): open a
 * session channel, "exec", feed optional stdin then EOF, collect stdout and stderr into bounded
 * buffers, close and read the exit status or signal; all resumable, with a deadline. Plus the
 * blocking wrapper for the CLI. Not an interactive shell (ssh.c) nor prompt handling. */
#include "ssh.h"
#include "ssh_int.h"

#include "clock.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_STDOUT ((size_t)16 << 20)
#define DEFAULT_MAX_STDERR ((size_t)1 << 20)

enum { X_OPEN = 0, X_RUN, X_CLOSE, X_DONE, X_FAILED };

struct na_ssh_exec {
    na_ssh_conn *c;
    char *cmd;
    const char *in;
    size_t in_len, in_off;
    int timeout_ms;
    int64_t deadline;
    LIBSSH2_CHANNEL *ch;
    int st, stage;
    bool eof_sent;
    na_buf out, errb;
    int exit_status;
    char sig[32];
};

na_status na_ssh_exec_begin(na_ssh_conn *c, LIBSSH2_CHANNEL **ch, int *stage, const char *cmd,
                            na_err *err)
{
    if (*stage == 0) {
        if (!na_ssh_can_send(c))
            return NA_AGAIN;
        *ch = libssh2_channel_open_session(c->sess);
        if (!*ch) {
            int rc = libssh2_session_last_errno(c->sess);
            if (na_ssh_again(rc))
                return NA_AGAIN;
            na_ssh_fail(c, rc, "opening a channel", err);
            return NA_ERROR;
        }
        *stage = 1;
    }
    if (*stage == 1) {
        int rc = libssh2_channel_process_startup(*ch, "exec", 4, cmd, (unsigned)strlen(cmd));
        if (na_ssh_again(rc))
            return NA_AGAIN;
        if (rc) {
            if (rc == LIBSSH2_ERROR_CHANNEL_REQUEST_DENIED)
                na_err_set(err, NA_E_DEVICE, "%s: the device refused to run '%.80s'", c->who,
                           cmd);
            else
                na_ssh_fail(c, rc, "starting a command", err);
            return NA_ERROR;
        }
        *stage = 2;
    }
    return NA_OK;
}

na_ssh_exec *na_ssh_exec_start(na_transport *t, const char *cmd, const na_ssh_exec_opts *o,
                               na_err *err)
{
    if (na_ssh_usable(t, "exec", err) < 0)
        return NULL;
    if (!cmd || !*cmd) {
        na_err_set(err, NA_E_USAGE, "exec: empty command");
        return NULL;
    }
    static const na_ssh_exec_opts none;
    if (!o)
        o = &none;
    na_ssh_exec *x = calloc(1, sizeof *x);
    if (!x || !(x->cmd = strdup(cmd))) {
        free(x);
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    x->c = na_ssh_of(t);
    x->in = o->stdin_data;
    x->in_len = o->stdin_data ? o->stdin_len : 0;
    x->timeout_ms = na_ssh_timeout_of(x->c, o->timeout_ms);
    x->deadline = na_now_ms() + x->timeout_ms;
    na_buf_init(&x->out, o->max_stdout ? o->max_stdout : DEFAULT_MAX_STDOUT);
    na_buf_init(&x->errb, o->max_stderr ? o->max_stderr : DEFAULT_MAX_STDERR);
    x->exit_status = -1;
    x->c->children++;
    NA_LOGD(x->c->who, "exec: %s", cmd);
    return x;
}

static na_status failed(na_ssh_exec *x)
{
    x->st = X_FAILED;
    return NA_ERROR;
}

static na_status wait_or_timeout(na_ssh_exec *x, na_err *err)
{
    if (na_now_ms() < x->deadline)
        return NA_AGAIN;
    na_err_set(err, NA_E_TIMEOUT, "%s: command '%.80s' did not finish within %.1f s", x->c->who,
               x->cmd, x->timeout_ms / 1000.0);
    return failed(x);
}

/* Read everything available on one stream. 0, or -1 + err. */
static int drain(na_ssh_exec *x, int stream, na_buf *into, bool *progress, na_err *err)
{
    char buf[16384];
    for (;;) {
        ssize_t n = libssh2_channel_read_ex(x->ch, stream, buf, sizeof buf);
        if (n > 0) {
            *progress = true;
            if (na_buf_append(into, buf, (size_t)n, stream ? "command stderr" : "command output",
                              err) < 0) {
                na_err_prefix(err, "%s: '%.60s': ", x->c->who, x->cmd);
                return -1;
            }
            continue;
        }
        if (n == 0 || na_ssh_again((int)n))
            return 0;
        return na_ssh_fail(x->c, (int)n, "reading command output", err);
    }
}

na_status na_ssh_exec_step(na_ssh_exec *x, na_err *err)
{
    na_ssh_conn *c = x->c;
    if (x->st == X_DONE)
        return NA_OK;
    if (x->st == X_FAILED)
        return na_err_set(err, NA_E_INTERNAL, "%s: exec already failed", c->who), NA_ERROR;
    if (na_ssh_pump(c, err) < 0)
        return failed(x);
    na_ssh_reap(c);
    for (;;) {
        int rc;
        switch (x->st) {
        case X_OPEN: {
            na_status s = na_ssh_exec_begin(c, &x->ch, &x->stage, x->cmd, err);
            if (s == NA_AGAIN)
                return wait_or_timeout(x, err);
            if (s != NA_OK)
                return failed(x);
            x->st = X_RUN;
            continue;
        }
        case X_RUN: {
            bool progress = false;
            if (drain(x, 0, &x->out, &progress, err) < 0 ||
                drain(x, SSH_EXTENDED_DATA_STDERR, &x->errb, &progress, err) < 0)
                return failed(x);
            if (x->in_off < x->in_len) {
                if (na_ssh_can_send(c)) {
                    ssize_t n = libssh2_channel_write(x->ch, x->in + x->in_off,
                                                      x->in_len - x->in_off);
                    if (n > 0) {
                        x->in_off += (size_t)n;
                        progress = true;
                    } else if (n < 0 && !na_ssh_again((int)n)) {
                        /* the command stopped reading (exited): keep its output */
                        x->in_off = x->in_len;
                    }
                }
            } else if (!x->eof_sent) {
                rc = libssh2_channel_send_eof(x->ch);
                if (!na_ssh_again(rc)) {
                    x->eof_sent = true;
                    progress = true;
                }
            }
            if (libssh2_channel_eof(x->ch) == 1) {
                x->st = X_CLOSE;
                continue;
            }
            if (progress)
                continue;
            if (c->peer_closed || c->wire_failed) {
                na_ssh_fail(c, LIBSSH2_ERROR_SOCKET_DISCONNECT, "a command", err);
                return failed(x);
            }
            return wait_or_timeout(x, err);
        }
        case X_CLOSE: {
            rc = libssh2_channel_close(x->ch);
            if (na_ssh_again(rc))
                return wait_or_timeout(x, err);
            x->exit_status = libssh2_channel_get_exit_status(x->ch);
            char *sig = NULL;
            size_t siglen = 0;
            if (libssh2_channel_get_exit_signal(x->ch, &sig, &siglen, NULL, NULL, NULL, NULL) ==
                    0 &&
                sig) {
                snprintf(x->sig, sizeof x->sig, "%.*s", (int)siglen, sig);
                libssh2_free(c->sess, sig);
                x->exit_status = -1;
            }
            libssh2_channel_free(x->ch); /* closed: no more I/O */
            x->ch = NULL;
            x->st = X_DONE;
            NA_LOGD(c->who, "exec done: status %d%s%s, %zu bytes out, %zu bytes err",
                    x->exit_status, x->sig[0] ? " signal " : "", x->sig, x->out.len,
                    x->errb.len);
            return NA_OK;
        }
        default:
            return NA_ERROR;
        }
    }
}

int64_t na_ssh_exec_deadline(const na_ssh_exec *x) { return x->deadline; }
const na_buf *na_ssh_exec_stdout(const na_ssh_exec *x) { return &x->out; }
const na_buf *na_ssh_exec_stderr(const na_ssh_exec *x) { return &x->errb; }
int na_ssh_exec_exit_status(const na_ssh_exec *x) { return x->exit_status; }
const char *na_ssh_exec_exit_signal(const na_ssh_exec *x) { return x->sig; }

void na_ssh_exec_free(na_ssh_exec *x)
{
    if (!x)
        return;
    if (x->ch) {
        libssh2_channel_close(x->ch); /* once; finished later by na_ssh_reap if it must wait */
        na_ssh_zombie(x->c, x->ch);
    }
    x->c->children--;
    na_buf_free(&x->out);
    na_buf_free(&x->errb);
    free(x->cmd);
    free(x);
}

na_status na_ssh_run(na_transport *t, const char *cmd, const na_ssh_exec_opts *opts,
                     na_ssh_exec_result *res, na_err *err)
{
    memset(res, 0, sizeof *res);
    res->exit_status = -1;
    na_ssh_exec *x = na_ssh_exec_start(t, cmd, opts, err);
    if (!x)
        return NA_ERROR;
    na_status s;
    while ((s = na_ssh_exec_step(x, err)) == NA_AGAIN)
        if (na_transport_wait(t, x->deadline, err) < 0) {
            s = NA_ERROR;
            break;
        }
    res->exit_status = x->exit_status;
    snprintf(res->exit_signal, sizeof res->exit_signal, "%s", x->sig);
    res->out = x->out; /* hand the buffers over */
    res->err_out = x->errb;
    na_buf_init(&x->out, 0);
    na_buf_init(&x->errb, 0);
    na_ssh_exec_free(x);
    return s;
}

void na_ssh_exec_result_free(na_ssh_exec_result *res)
{
    if (!res)
        return;
    na_buf_free(&res->out);
    na_buf_free(&res->err_out);
}
