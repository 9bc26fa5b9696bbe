/* ssh.c — the SSH transport (transport.h) on libssh2 in non-blocking mode: construction, the
 * set-up state machine (TCP connect or a direct-tcpip tunnel through a jump host, key exchange,
 * host key check, authentication, PTY + shell), the byte I/O of the interactive shell channel,
 * fd/want, close and destroy. Not here: the socket layer under libssh2 (ssh_io.c),
 * authentication (ssh_auth.c), known_hosts (ssh_hostkey.c), algorithm lists (ssh_algo.c), exec
 * and file transfers (ssh_exec.c, ssh_xfer.c, ssh_scp.c, ssh_sftp.c), prompts (the channel
 * layer). */
#include "ssh.h"
#include "ssh_int.h"

#include "clock.h"
#include "log.h"
#include "secret.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_JUMP_DEPTH 8
#define OUTQ_MAX ((size_t)1 << 20)
#define SNIFF_MAX ((size_t)64 << 10)

static const na_transport_ops ssh_ops;

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static int lib_rc;
static void lib_init(void)
{
    /* the library found at run time must be at least the one compiled against (a program
     * linked to the system's 1.10 by mistake would lack rsa-sha2 and strict key exchange) */
    lib_rc = libssh2_version(LIBSSH2_VERSION_NUM) ? libssh2_init(0) : -1;
}

static int lib_failed(na_err *err)
{
    if (lib_rc == -1)
        return na_err_set(err, NA_E_INTERNAL, "netauto was built with libssh2 %s but runs with "
                          "libssh2 %s; rebuild it (make clean; make)", LIBSSH2_VERSION,
                          libssh2_version(0));
    return na_err_set(err, NA_E_INTERNAL, "libssh2_init failed (%d)", lib_rc);
}

bool na_is_ssh(const na_transport *t) { return t && t->ops == &ssh_ops; }

/* ---- phases ------------------------------------------------------------------------------ */

static const char *phase_label(na_phase ph)
{
    switch (ph) {
    case NA_PHASE_RESOLVE:
    case NA_PHASE_CONNECT: return "TCP connect";
    case NA_PHASE_NEGOTIATE: return "SSH key exchange";
    case NA_PHASE_AUTH: return "SSH authentication";
    case NA_PHASE_SHELL: return "SSH shell start (PTY and shell request)";
    default: return "SSH";
    }
}

/* Add the time since the current phase began to its phase_us (TCP phases come from net.c). */
static void account(na_ssh_conn *c)
{
    int64_t now = na_now_us();
    na_phase cur = c->t.info.phase;
    if (c->phase_t0_us && cur != NA_PHASE_RESOLVE && cur < NA_PHASE_READY)
        c->t.info.phase_us[cur] += now - c->phase_t0_us;
    c->phase_t0_us = now;
}

static void begin_phase(na_ssh_conn *c, na_phase ph)
{
    account(c);
    c->t.info.phase = ph;
    if (ph == NA_PHASE_READY || ph == NA_PHASE_CLOSED)
        c->t.deadline_ms = 0;
    else
        c->t.deadline_ms = na_now_ms() + na_timeout_ms(&c->p->timeouts, ph);
}

static bool deadline_passed(const na_ssh_conn *c)
{
    return c->t.deadline_ms > 0 && na_now_ms() >= c->t.deadline_ms;
}

static na_status fail(na_ssh_conn *c)
{
    account(c); /* how long the failing phase took */
    c->state = S_FAILED;
    return NA_ERROR;
}

static na_status timeout(na_ssh_conn *c, na_err *err)
{
    na_phase ph = c->t.info.phase;
    double secs = na_timeout_ms(&c->p->timeouts, ph) / 1000.0;
    if (c->state == S_TUNNEL)
        na_err_set(err, NA_E_TIMEOUT, "%s via jump %s: opening a tunnel to %s:%d did not "
                   "complete within %.1f s", c->who, c->jump->who, c->p->host,
                   c->p->port > 0 ? c->p->port : 22, secs);
    else
        na_err_set(err, NA_E_TIMEOUT, "%s: %s did not complete within %.1f s", c->who,
                   phase_label(ph), secs);
    return fail(c);
}

int na_ssh_fail(na_ssh_conn *c, int rc, const char *what, na_err *err)
{
    if (c->peer_closed || rc == LIBSSH2_ERROR_SOCKET_DISCONNECT)
        return na_err_set(err, NA_E_CLOSED, "%s: the device closed the connection during %s",
                          c->who, what);
    if (c->wire_failed)
        return na_err_set(err, NA_E_CLOSED, "%s: connection lost during %s: %s", c->who, what,
                          strerror(c->wire_errno));
    switch (rc) {
    case LIBSSH2_ERROR_SOCKET_RECV:
    case LIBSSH2_ERROR_SOCKET_SEND:
        return na_err_set(err, NA_E_CLOSED, "%s: connection lost during %s", c->who, what);
    case LIBSSH2_ERROR_ALLOC:
        return na_err_set(err, NA_E_NOMEM, "%s: out of memory during %s", c->who, what);
    case LIBSSH2_ERROR_TIMEOUT:
        return na_err_set(err, NA_E_TIMEOUT, "%s: %s timed out", c->who, what);
    default:
        return na_err_set(err, NA_E_PROTOCOL, "%s: %s failed: %s (libssh2 error %d)", c->who,
                          what, na_ssh_last_error(c->sess), rc);
    }
}

/* ---- set-up ------------------------------------------------------------------------------ */

static int session_create(na_ssh_conn *c, na_err *err)
{
    c->sess = libssh2_session_init_ex(NULL, NULL, NULL, c);
    if (!c->sess)
        return na_err_set(err, NA_E_NOMEM, "%s: cannot create an SSH session (out of memory)",
                          c->who);
    libssh2_session_set_blocking(c->sess, 0);
    libssh2_session_callback_set2(c->sess, LIBSSH2_CALLBACK_SEND,
                                  (libssh2_cb_generic *)na_ssh_cb_send);
    libssh2_session_callback_set2(c->sess, LIBSSH2_CALLBACK_RECV,
                                  (libssh2_cb_generic *)na_ssh_cb_recv);
    if (na_ssh_algo_apply(c, err) < 0)
        return -1;
    na_buf_init(&c->sniff, SNIFF_MAX);
    c->sniffing = true;
    return 0;
}

static na_status handshake_failed(na_ssh_conn *c, int rc, na_err *err)
{
    int port = c->p->port > 0 ? c->p->port : 22;
    if (rc == LIBSSH2_ERROR_KEX_FAILURE) {
        na_ssh_algo_explain(c, err);
    } else if (!c->banner_seen && !c->sniff.len &&
               (c->peer_closed || rc == LIBSSH2_ERROR_SOCKET_DISCONNECT)) {
        na_err_set(err, NA_E_CLOSED, "%s: the device closed the connection before sending an "
                   "SSH banner (SSH server not ready, too many connections, or not an SSH "
                   "port?)", c->who);
    } else if (!c->banner_seen && (c->sniff.len || rc == LIBSSH2_ERROR_BANNER_RECV)) {
        char seen[64];
        size_t k = 0;
        for (size_t i = 0; i < c->sniff.len && k + 1 < sizeof seen; i++) {
            unsigned char ch = (unsigned char)c->sniff.data[i];
            seen[k++] = (ch >= 32 && ch < 127) ? (char)ch : '.';
        }
        seen[k] = '\0';
        na_err_set(err, NA_E_PROTOCOL, "%s: no SSH banner from the device (is port %d an SSH "
                   "service?); it sent \"%s\"", c->who, port, seen);
    } else {
        na_ssh_fail(c, rc, "SSH key exchange", err);
    }
    return fail(c);
}

static void became_ready(na_ssh_conn *c)
{
    begin_phase(c, NA_PHASE_READY);
    c->state = S_READY;
    NA_LOGD(c->who, "SSH ready in %.1f ms (kex %s, host key %s %s, cipher %s, auth %s)",
            (double)(na_now_us() - c->start_us) / 1000.0, c->t.info.kex,
            c->t.info.host_key_type, c->t.info.host_key_fp, c->t.info.cipher_cs,
            c->t.info.auth_method);
}

static na_status ssh_open(na_transport *t, na_err *err)
{
    na_ssh_conn *c = na_ssh_of(t);
    pthread_once(&lib_once, lib_init);
    if (lib_rc != 0)
        return lib_failed(err), NA_ERROR;
    if (c->state > S_INIT && c->state < S_READY)
        na_ssh_pump(c, NULL); /* a failure is reported by the step below, via the callbacks */
    for (;;) {
        switch (c->state) {
        case S_INIT: {
            c->start_us = na_now_us();
            c->t.info.phase = NA_PHASE_RESOLVE;
            c->t.deadline_ms = na_now_ms() + na_timeout_ms(&c->p->timeouts, NA_PHASE_CONNECT);
            if (c->jump) {
                c->t.info.phase = NA_PHASE_CONNECT;
                c->phase_t0_us = na_now_us();
                c->state = S_JUMP;
                continue;
            }
            int port = c->p->port > 0 ? c->p->port : 22;
            c->tcp = na_tcp_new(c->p->host, port, c->who, err);
            if (!c->tcp)
                return fail(c);
            c->state = S_TCP;
            continue;
        }
        case S_TCP: {
            na_status s = na_tcp_step(c->tcp, c->t.deadline_ms, err);
            if (s == NA_AGAIN) {
                c->t.info.phase = na_tcp_want(c->tcp) == NA_WANT_READ ? NA_PHASE_RESOLVE
                                                                      : NA_PHASE_CONNECT;
                return NA_AGAIN;
            }
            if (s != NA_OK)
                return fail(c);
            c->sock = na_tcp_take_fd(c->tcp);
            snprintf(c->t.info.peer, sizeof c->t.info.peer, "%s", na_tcp_peer(c->tcp));
            c->t.info.phase_us[NA_PHASE_RESOLVE] = na_tcp_resolve_us(c->tcp);
            c->t.info.phase_us[NA_PHASE_CONNECT] = na_tcp_connect_us(c->tcp);
            na_tcp_free(c->tcp);
            c->tcp = NULL;
            c->t.info.phase = NA_PHASE_RESOLVE; /* so begin_phase adds nothing to it */
            goto start_handshake;
        }
        case S_JUMP: {
            na_transport *jt = &c->jump->t;
            na_status s = jt->ops->open(jt, err);
            if (s == NA_AGAIN) {
                c->t.deadline_ms = jt->deadline_ms;
                return NA_AGAIN;
            }
            if (s != NA_OK) {
                na_err_prefix(err, "%s via jump ", c->who);
                return fail(c);
            }
            c->t.deadline_ms = na_now_ms() + na_timeout_ms(&c->p->timeouts, NA_PHASE_CONNECT);
            c->state = S_TUNNEL;
            continue;
        }
        case S_TUNNEL: {
            int port = c->p->port > 0 ? c->p->port : 22;
            c->tunnel = libssh2_channel_direct_tcpip_ex(c->jump->sess, c->p->host, port,
                                                        "127.0.0.1", 22);
            if (!c->tunnel) {
                int rc = libssh2_session_last_errno(c->jump->sess);
                bool pumped = na_ssh_pump(c->jump, NULL) == 0;
                if (na_ssh_again(rc) && pumped) {
                    if (deadline_passed(c))
                        return timeout(c, err);
                    return NA_AGAIN;
                }
                const char *why = na_ssh_again(rc) ? "" : na_ssh_last_error(c->jump->sess);
                na_err_set(err, NA_E_REFUSED, "%s via jump %s: cannot open a tunnel to %s:%d: "
                           "%s", c->who, c->jump->who, c->p->host, port,
                           *why ? why : "connection lost");
                return fail(c);
            }
            snprintf(c->t.info.peer, sizeof c->t.info.peer, "%.30s:%d via %.20s", c->p->host,
                     port, c->jump->who);
            c->t.info.phase_us[NA_PHASE_CONNECT] = na_now_us() - c->start_us;
            c->t.info.phase = NA_PHASE_RESOLVE;
            goto start_handshake;
        }
        start_handshake:
            if (session_create(c, err) < 0)
                return fail(c);
            begin_phase(c, NA_PHASE_NEGOTIATE);
            c->state = S_HANDSHAKE;
            continue;
        case S_HANDSHAKE: {
            c->io_fd = root_fd(c);
            int rc = libssh2_session_handshake(c->sess, c->io_fd);
            if (na_ssh_again(rc)) {
                if (deadline_passed(c))
                    return timeout(c, err);
                return NA_AGAIN;
            }
            if (rc)
                return handshake_failed(c, rc, err);
            c->kex_done = true;
            c->sniffing = false;
            na_buf_free(&c->sniff);
            na_ssh_algo_record(c);
            if (na_ssh_hostkey_check(c, err) < 0)
                return fail(c);
            begin_phase(c, NA_PHASE_AUTH);
            c->state = S_AUTH;
            continue;
        }
        case S_AUTH: {
            na_status s = na_ssh_auth_step(c, err);
            if (s == NA_AGAIN) {
                if (deadline_passed(c))
                    return timeout(c, err);
                return NA_AGAIN;
            }
            if (s != NA_OK)
                return fail(c);
            na_ssh_auth_free(c);
            if (c->is_jump || c->p->no_shell) {
                became_ready(c);
                return NA_OK;
            }
            begin_phase(c, NA_PHASE_SHELL);
            c->state = S_CHAN;
            continue;
        }
        case S_CHAN:
            c->shell = libssh2_channel_open_session(c->sess);
            if (!c->shell) {
                int rc = libssh2_session_last_errno(c->sess);
                if (na_ssh_again(rc)) {
                    if (deadline_passed(c))
                        return timeout(c, err);
                    return NA_AGAIN;
                }
                na_ssh_fail(c, rc, "opening the shell channel", err);
                return fail(c);
            }
            /* a PTY merges stderr already; merging keeps stray extended data from stalling
             * the window */
            libssh2_channel_handle_extended_data2(c->shell, LIBSSH2_CHANNEL_EXTENDED_DATA_MERGE);
            c->state = S_PTY;
            continue;
        case S_PTY: {
            const char *term = c->p->term_type && *c->p->term_type ? c->p->term_type : "vt100";
            int w = c->p->term_width > 0 ? c->p->term_width : 511;
            int h = c->p->term_height > 0 ? c->p->term_height : 24;
            int rc = libssh2_channel_request_pty_ex(c->shell, term, (unsigned)strlen(term), NULL,
                                                    0, w, h, 0, 0);
            if (na_ssh_again(rc)) {
                if (deadline_passed(c))
                    return timeout(c, err);
                return NA_AGAIN;
            }
            if (rc) {
                if (rc == LIBSSH2_ERROR_CHANNEL_REQUEST_DENIED)
                    na_err_set(err, NA_E_PROTOCOL, "%s: the device refused a terminal (PTY "
                               "request for %s %dx%d denied)", c->who, term, w, h);
                else
                    na_ssh_fail(c, rc, "the PTY request", err);
                return fail(c);
            }
            c->state = S_SHELL;
            continue;
        }
        case S_SHELL: {
            int rc = libssh2_channel_shell(c->shell);
            if (na_ssh_again(rc)) {
                if (deadline_passed(c))
                    return timeout(c, err);
                return NA_AGAIN;
            }
            if (rc) {
                if (rc == LIBSSH2_ERROR_CHANNEL_REQUEST_DENIED)
                    na_err_set(err, NA_E_PROTOCOL, "%s: the device refused to start a shell",
                               c->who);
                else
                    na_ssh_fail(c, rc, "the shell request", err);
                return fail(c);
            }
            became_ready(c);
            return NA_OK;
        }
        case S_READY:
            return NA_OK;
        case S_CLOSED:
            na_err_set(err, NA_E_CLOSED, "%s: the SSH connection is closed", c->who);
            return NA_ERROR;
        default:
            na_err_set(err, NA_E_CLOSED, "%s: the SSH connection failed earlier", c->who);
            return NA_ERROR;
        }
    }
}

/* ---- shell I/O --------------------------------------------------------------------------- */

static bool lost(const na_ssh_conn *c)
{
    return c->peer_closed || (c->wire_failed && (c->wire_errno == EPIPE ||
                                                 c->wire_errno == ECONNRESET));
}

static na_status flush_outq(na_ssh_conn *c, na_err *err)
{
    while (c->outq.len) {
        if (!na_ssh_can_send(c))
            return NA_AGAIN;
        ssize_t n = libssh2_channel_write(c->shell, c->outq.data, c->outq.len);
        if (n > 0) {
            na_buf_consume(&c->outq, (size_t)n);
            continue;
        }
        if (n == 0 || na_ssh_again((int)n))
            return NA_AGAIN;
        if (lost(c))
            return NA_EOF;
        na_ssh_fail(c, (int)n, "sending to the shell", err);
        return NA_ERROR;
    }
    return NA_OK;
}

static bool wire_pending(const na_ssh_conn *c)
{
    for (; c; c = c->jump)
        if (c->wire.len)
            return true;
    return false;
}

static na_status ready_or_fail(na_ssh_conn *c, na_err *err)
{
    if (c->state == S_READY)
        return NA_OK;
    if (c->state == S_CLOSED)
        return NA_EOF;
    na_err_set(err, NA_E_INTERNAL, "%s: the SSH transport is not open", c->who);
    return NA_ERROR;
}

static na_status ssh_read(na_transport *t, char *buf, size_t cap, size_t *n, na_err *err)
{
    na_ssh_conn *c = na_ssh_of(t);
    *n = 0;
    na_status s = ready_or_fail(c, err);
    if (s != NA_OK)
        return s;
    if (!c->shell)
        return na_err_set(err, NA_E_UNSUPPORTED, "%s: no interactive shell on this SSH "
                          "connection (opened for exec/file transfer only)", c->who),
               NA_ERROR;
    na_err perr = NA_ERR_INIT;
    bool pump_failed = na_ssh_pump(c, &perr) < 0;
    if (pump_failed && !lost(c)) {
        na_err_set(err, perr.code, "%s", perr.msg);
        return NA_ERROR;
    }
    /* when the device is gone, what libssh2 already holds is still delivered, then EOF */
    na_ssh_reap(c);
    if (!pump_failed && c->outq.len) {
        s = flush_outq(c, err);
        if (s == NA_ERROR || s == NA_EOF)
            return s;
    }
    ssize_t rc = libssh2_channel_read(c->shell, buf, cap);
    if (rc > 0) {
        *n = (size_t)rc;
        c->t.info.data_in += (uint64_t)rc;
        return NA_OK;
    }
    if (rc == 0 || na_ssh_again((int)rc)) {
        if (libssh2_channel_eof(c->shell) == 1 || c->peer_closed)
            return NA_EOF;
        return NA_AGAIN;
    }
    if (lost(c) || rc == LIBSSH2_ERROR_SOCKET_DISCONNECT)
        return NA_EOF;
    na_ssh_fail(c, (int)rc, "reading from the shell", err);
    return NA_ERROR;
}

static na_status ssh_flush(na_transport *t, na_err *err)
{
    na_ssh_conn *c = na_ssh_of(t);
    na_status s = ready_or_fail(c, err);
    if (s == NA_EOF)
        return na_err_set(err, NA_E_CLOSED, "%s: the SSH connection is closed", c->who),
               NA_ERROR;
    if (s != NA_OK)
        return s;
    if (na_ssh_pump(c, err) < 0)
        return NA_ERROR;
    if (c->shell) {
        s = flush_outq(c, err);
        if (s == NA_EOF)
            return na_err_set(err, NA_E_CLOSED, "%s: the device closed the connection",
                              c->who),
                   NA_ERROR;
        if (s != NA_OK)
            return s;
        if (na_ssh_pump(c, err) < 0)
            return NA_ERROR;
    }
    return wire_pending(c) ? NA_AGAIN : NA_OK;
}

static na_status ssh_write(na_transport *t, const char *buf, size_t len, bool secret,
                           na_err *err)
{
    (void)secret; /* the channel layer records transcripts */
    na_ssh_conn *c = na_ssh_of(t);
    na_status s = ready_or_fail(c, err);
    if (s == NA_EOF)
        return na_err_set(err, NA_E_CLOSED, "%s: the SSH connection is closed", c->who),
               NA_ERROR;
    if (s != NA_OK)
        return s;
    if (!c->shell)
        return na_err_set(err, NA_E_UNSUPPORTED, "%s: no interactive shell on this SSH "
                          "connection (opened for exec/file transfer only)", c->who),
               NA_ERROR;
    if (na_buf_append(&c->outq, buf, len, "SSH output queue", err) < 0)
        return NA_ERROR;
    c->t.info.data_out += len;
    s = ssh_flush(t, err);
    return s == NA_ERROR ? NA_ERROR : NA_OK;
}

static int ssh_fd(const na_transport *t)
{
    const na_ssh_conn *c = (const na_ssh_conn *)t;
    if (c->state == S_TCP && c->tcp)
        return na_tcp_fd(c->tcp);
    if (c->state == S_JUMP)
        return c->jump->t.ops->fd(&c->jump->t);
    return root_fd(c);
}

static int io_want(const na_ssh_conn *c)
{
    int w = 0;
    if (c->jump)
        w |= io_want(c->jump);
    else if (c->wire.len)
        w |= NA_WANT_WRITE;
    if (c->sess) {
        int d = libssh2_session_block_directions(c->sess);
        if (d & LIBSSH2_SESSION_BLOCK_INBOUND)
            w |= NA_WANT_READ;
        if (d & LIBSSH2_SESSION_BLOCK_OUTBOUND)
            w |= NA_WANT_WRITE;
    }
    return w;
}

static int ssh_want(const na_transport *t)
{
    const na_ssh_conn *c = (const na_ssh_conn *)t;
    switch (c->state) {
    case S_INIT:
    case S_FAILED:
    case S_CLOSED: return NA_WANT_NONE;
    case S_TCP: return c->tcp ? na_tcp_want(c->tcp) : NA_WANT_NONE;
    case S_JUMP: return c->jump->t.ops->want(&c->jump->t);
    default: break;
    }
    int w = io_want(c);
    if (!(w & NA_WANT_READ)) /* anything from the server can unblock us (window, data) */
        w |= NA_WANT_READ;
    return w;
}

static bool ssh_is_alive(na_transport *t)
{
    na_ssh_conn *c = na_ssh_of(t);
    if (c->state != S_READY || c->dead || lost(c) || c->wire_failed)
        return false;
    if (c->shell && libssh2_channel_eof(c->shell) == 1)
        return false;
    for (const na_ssh_conn *j = c->jump; j; j = j->jump)
        if (j->peer_closed || j->wire_failed)
            return false;
    if (c->jump && c->tunnel && libssh2_channel_eof(c->tunnel) == 1)
        return false;
    struct pollfd p = {.fd = root_fd(c), .events = POLLRDHUP};
    if (p.fd < 0)
        return false;
    if (poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR | POLLRDHUP | POLLNVAL)))
        return false;
    return true;
}

/* ---- close and free ---------------------------------------------------------------------- */

static void ssh_close(na_transport *t)
{
    na_ssh_conn *c = na_ssh_of(t);
    if (c->state == S_CLOSED)
        return;
    /* Best effort, each step tried once: our send callback queues whole packets, so these
     * never leave libssh2 half-way through a send; what the socket does not take now is
     * dropped with it. */
    if (c->sess && c->kex_done && !c->dead && !lost(c) && !c->wire_failed) {
        if (c->shell) {
            libssh2_channel_send_eof(c->shell);
            libssh2_channel_close(c->shell);
        }
        libssh2_session_disconnect(c->sess, "netauto closing");
        na_ssh_pump(c, NULL);
    }
    c->dead = true;
    if (c->jump) {
        if (c->tunnel && !c->jump->dead) {
            libssh2_channel_send_eof(c->tunnel);
            libssh2_channel_close(c->tunnel);
        }
        c->jump->t.ops->close(&c->jump->t);
    }
    if (c->sock >= 0)
        close(c->sock);
    c->sock = -1;
    if (c->tcp) {
        na_tcp_free(c->tcp);
        c->tcp = NULL;
    }
    begin_phase(c, NA_PHASE_CLOSED);
    c->state = S_CLOSED;
}

static void free_channel(LIBSSH2_CHANNEL **ch)
{
    /* dead callbacks make every send fail at once, so this cannot wait; bounded anyway */
    for (int i = 0; *ch && i < 4; i++)
        if (libssh2_channel_free(*ch) != LIBSSH2_ERROR_EAGAIN)
            *ch = NULL;
    *ch = NULL;
}

static void conn_free(na_ssh_conn *c)
{
    if (!c)
        return;
    ssh_close(&c->t);
    if (c->children)
        NA_LOGW(c->who, "SSH transport destroyed with %d exec/transfer object(s) still alive",
                c->children);
    na_ssh_auth_free(c);
    na_ssh_sftp_drop_all(c);
    free_channel(&c->shell);
    for (int i = 0; i < c->nzombie; i++)
        free_channel(&c->zombie[i]);
    if (c->sess) {
        for (int i = 0; i < 4; i++)
            if (libssh2_session_free(c->sess) != LIBSSH2_ERROR_EAGAIN)
                break;
        c->sess = NULL;
    }
    if (c->jump) {
        free_channel(&c->tunnel);
        conn_free(c->jump);
    }
    na_buf_free(&c->wire);
    na_buf_free(&c->outq);
    na_buf_free(&c->sniff);
    na_ssh_offer_free(&c->offer);
    for (int i = 0; i < ALG__COUNT; i++)
        free(c->pref[i]);
    na_ssh_res_free(&c->res);
    free(c);
}

static void ssh_destroy(na_transport *t) { conn_free(na_ssh_of(t)); }

static const na_transport_ops ssh_ops = {
    .name = "ssh",
    .open = ssh_open,
    .read = ssh_read,
    .write = ssh_write,
    .flush = ssh_flush,
    .fd = ssh_fd,
    .want = ssh_want,
    .is_alive = ssh_is_alive,
    .close = ssh_close,
    .destroy = ssh_destroy,
};

/* ---- construction ------------------------------------------------------------------------ */

static na_ssh_conn *conn_new(const na_conn_params *given, bool is_jump, int depth, na_err *err)
{
    const na_conn_params *g = given;
    const char *label = g && g->name && *g->name ? g->name : g && g->host ? g->host : "device";
    if (!g || !g->host || !*g->host) {
        na_err_set(err, NA_E_BADADDR, "%s: no host address given", label);
        return NULL;
    }
    if (depth > MAX_JUMP_DEPTH) {
        na_err_set(err, NA_E_CONFIG, "%s: more than %d jump hosts in a row (a loop?)", label,
                   MAX_JUMP_DEPTH);
        return NULL;
    }
    na_ssh_conn *c = calloc(1, sizeof *c);
    if (!c) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    c->t.ops = &ssh_ops;
    snprintf(c->who, sizeof c->who, "%s", label);
    c->is_jump = is_jump;
    c->sock = -1;
    c->io_fd = -2;
    c->state = S_INIT;
    c->t.info.phase = NA_PHASE_RESOLVE;
    na_buf_init(&c->wire, WIRE_HARD_MAX);
    na_buf_init(&c->outq, OUTQ_MAX);
    na_buf_init(&c->sniff, SNIFF_MAX);
    /* inventory, then ssh_config, then defaults */
    c->p = &c->res.p;
    c->t.params = c->p;
    if (na_ssh_resolve(c, g, err) < 0) {
        conn_free(c);
        return NULL;
    }
    const na_conn_params *p = c->p;
    if (!p->username || !*p->username) {
        na_err_set(err, NA_E_CONFIG, "%s: no username given for SSH", label);
        conn_free(c);
        return NULL;
    }
    na_secret_register(p->password);
    na_secret_register(p->key_passphrase);
    if (na_ssh_algo_prepare(c, err) < 0) {
        conn_free(c);
        return NULL;
    }
    if (p->jump) {
        c->jump = conn_new(p->jump, true, depth + 1, err);
        if (!c->jump) {
            na_err_prefix(err, "%s via jump ", c->who);
            conn_free(c);
            return NULL;
        }
    }
    return c;
}

na_transport *na_ssh_new(const na_conn_params *p, na_err *err)
{
    pthread_once(&lib_once, lib_init);
    if (lib_rc != 0) {
        lib_failed(err);
        return NULL;
    }
    na_ssh_conn *c = conn_new(p, false, 0, err);
    return c ? &c->t : NULL;
}

/* ---- shared with ssh_exec.c / ssh_xfer.c -------------------------------------------------- */

int na_ssh_usable(na_transport *t, const char *what, na_err *err)
{
    if (!na_is_ssh(t))
        return na_err_set(err, NA_E_UNSUPPORTED, "%s needs an SSH connection", what);
    na_ssh_conn *c = na_ssh_of(t);
    if (c->state != S_READY)
        return na_err_set(err, NA_E_CLOSED, "%s: %s needs an open SSH connection", c->who, what);
    if (lost(c) || c->wire_failed)
        return na_err_set(err, NA_E_CLOSED, "%s: %s: the SSH connection is lost", c->who, what);
    return 0;
}

int na_ssh_timeout_of(na_ssh_conn *c, int timeout_ms)
{
    return timeout_ms > 0 ? timeout_ms : na_command_timeout_ms(&c->p->timeouts);
}
