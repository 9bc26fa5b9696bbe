/* sim_ssh.c — the SSH side of the simulator with libssh's server API: per-device ssh_bind
 * (host key, algorithms, version banner), non-blocking key exchange, password / public-key /
 * keyboard-interactive authentication, PTY, shell, exec and window-change requests, and the
 * channel output pump with backpressure (channel window + libssh's socket buffer). Each session
 * has its own ssh_event that is polled only when libevent reports its socket ready, so nothing
 * here scans other sessions and nothing blocks. Not the event loop (sim_srv.c). */
#include "sim_fchan_int.h"
#include "sim_srv_int.h"

#include "log.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int sim_ssh_bind_setup(sim_dev_rt *rt, na_err *err)
{
    static const char *const banners[SIM_PERSONA__COUNT] = {
        "Cisco-1.25", "OpenSSH_7.3", "OpenSSH_7.8", "Cisco-2.0", "OpenSSH_7.5"};
    rt->bind = ssh_bind_new();
    if (!rt->bind)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    bool no = false;
    int verbosity = na_log_get_level() >= NA_LOG_TRACE ? SSH_LOG_PROTOCOL : SSH_LOG_NOLOG;
    ssh_key k = ssh_key_dup(rt->shown);
    if (!k || ssh_bind_options_set(rt->bind, SSH_BIND_OPTIONS_PROCESS_CONFIG, &no) < 0 ||
        ssh_bind_options_set(rt->bind, SSH_BIND_OPTIONS_LOG_VERBOSITY, &verbosity) < 0 ||
        ssh_bind_options_set(rt->bind, SSH_BIND_OPTIONS_IMPORT_KEY, k) < 0 ||
        ssh_bind_options_set(rt->bind, SSH_BIND_OPTIONS_BANNER, banners[rt->dev->persona]) < 0)
        return na_err_set(err, NA_E_INTERNAL, "SSH server set-up failed: %s",
                          ssh_get_error(rt->bind));
    if (rt->dev->f.legacy_crypto &&
        (ssh_bind_options_set(rt->bind, SSH_BIND_OPTIONS_KEY_EXCHANGE,
                              "diffie-hellman-group14-sha1") < 0 ||
         ssh_bind_options_set(rt->bind, SSH_BIND_OPTIONS_HOSTKEY_ALGORITHMS, "ssh-rsa") < 0))
        return na_err_set(err, NA_E_INTERNAL, "legacy-crypto set-up failed: %s",
                          ssh_get_error(rt->bind));
    /* an RSA host key with SHA-2 signatures only, as most IOS and IOS-XE devices today */
    if (rt->dev->f.rsa_host_key && !rt->dev->f.legacy_crypto &&
        ssh_bind_options_set(rt->bind, SSH_BIND_OPTIONS_HOSTKEY_ALGORITHMS,
                             "rsa-sha2-512,rsa-sha2-256") < 0)
        return na_err_set(err, NA_E_INTERNAL, "rsa-host-key set-up failed: %s",
                          ssh_get_error(rt->bind));
    return 0;
}

/* ---- authentication --------------------------------------------------------------------- */

static void auth_ok(sim_conn *c, const char *user, const char *method)
{
    c->authed = true;
    snprintf(c->user, sizeof c->user, "%s", user);
    c->dev->c.logins_ssh++;
    sim_conn_log(c, "login", user);
    NA_LOGD(c->dev->name, "ssh %s: %s authenticated (%s)", c->peer, user, method);
}

static void auth_failed(sim_conn *c, const char *user)
{
    c->dev->c.login_failures++;
    sim_conn_log(c, "login-failed", user ? user : "");
    if (++c->auth_fails >= 3)
        c->kill = true; /* like "ip ssh authentication-retries 3" */
}

static bool creds_ok(sim_conn *c, const char *user, const char *pass)
{
    const sim_creds *cr = &c->srv->creds;
    return !c->dev->f.refuse_login && user && pass && strcmp(user, cr->username) == 0 &&
           strcmp(pass, cr->password) == 0;
}

static int on_auth_password(ssh_session ss, const char *user, const char *pass, void *ud)
{
    (void)ss;
    sim_conn *c = ud;
    if (creds_ok(c, user, pass)) {
        auth_ok(c, user, "password");
        return SSH_AUTH_SUCCESS;
    }
    auth_failed(c, user);
    return SSH_AUTH_DENIED;
}

static int on_auth_pubkey(ssh_session ss, const char *user, struct ssh_key_struct *pubkey,
                          char state, void *ud)
{
    (void)ss;
    sim_conn *c = ud;
    bool known = false;
    for (size_t i = 0; i < c->srv->nauthkeys && !known; i++)
        known = ssh_key_cmp(c->srv->authkeys[i], pubkey, SSH_KEY_CMP_PUBLIC) == 0;
    bool ok = known && !c->dev->f.refuse_login && user &&
              strcmp(user, c->srv->creds.username) == 0;
    if (state == SSH_PUBLICKEY_STATE_NONE)
        return ok ? SSH_AUTH_SUCCESS : SSH_AUTH_DENIED; /* "would this key do?" */
    if (state == SSH_PUBLICKEY_STATE_VALID && ok) {
        auth_ok(c, user, "publickey");
        return SSH_AUTH_SUCCESS;
    }
    auth_failed(c, user);
    return SSH_AUTH_DENIED;
}

/* keyboard-interactive has no server callback in libssh 0.10: it arrives as a message */
static int on_message(ssh_session ss, ssh_message msg, void *ud)
{
    sim_conn *c = ud;
    if (ssh_message_type(msg) != SSH_REQUEST_AUTH ||
        ssh_message_subtype(msg) != SSH_AUTH_METHOD_INTERACTIVE)
        return 1; /* libssh sends the default (failure) reply */
    if (!ssh_message_auth_kbdint_is_response(msg)) {
        /* the user name comes with this request only, not with the answers */
        const char *u = ssh_message_auth_user(msg);
        snprintf(c->user, sizeof c->user, "%s", u ? u : "");
        const char *prompts[1] = {"Password: "};
        char echo[1] = {0};
        ssh_message_auth_interactive_request(msg, "", "", 1, prompts, echo);
        return 0;
    }
    char user[64];
    snprintf(user, sizeof user, "%s", c->user);
    const char *ans = ssh_userauth_kbdint_getnanswers(ss) == 1
                          ? ssh_userauth_kbdint_getanswer(ss, 0)
                          : NULL;
    if (creds_ok(c, user, ans)) {
        auth_ok(c, user, "keyboard-interactive");
        ssh_message_auth_reply_success(msg, 0);
        return 0;
    }
    auth_failed(c, user);
    return 1;
}

/* ---- channel ---------------------------------------------------------------------------------- */

static int on_pty(ssh_session ss, ssh_channel ch, const char *term, int w, int h, int pw, int ph,
                  void *ud)
{
    (void)ss;
    (void)ch;
    (void)term;
    (void)pw;
    (void)ph;
    sim_conn *c = ud;
    c->pty_w = w;
    c->pty_h = h;
    return SSH_OK;
}

static int start_term(sim_conn *c, const char *exec_cmd)
{
    if (c->term)
        return SSH_ERROR;
    sim_term_cfg cfg = {.transport = SIM_TR_SSH, .user = c->user, .peer = c->peer,
                        .width = c->pty_w, .height = c->pty_h, .exec_cmd = exec_cmd,
                        .seed = c->srv->opts->seed + (uint32_t)c->dev->c.connections};
    sim_term *t = sim_term_new(c->dev, &cfg);
    if (!t)
        return SSH_ERROR;
    sim_conn_attach_term(c, t);
    return SSH_OK;
}

static int on_shell(ssh_session ss, ssh_channel ch, void *ud)
{
    (void)ss;
    (void)ch;
    return start_term(ud, NULL);
}

static int on_exec(ssh_session ss, ssh_channel ch, const char *cmd, void *ud)
{
    (void)ss;
    sim_conn *c = ud;
    int r = sim_fchan_claim_exec(c, ch, cmd); /* "scp -t/-f": a file channel (sim_fchan.c) */
    if (r != 0) {
        if (r > 0)
            c->ch = NULL;
        return r > 0 ? SSH_OK : SSH_ERROR;
    }
    return start_term(ud, cmd);
}

static int on_subsystem(ssh_session ss, ssh_channel ch, const char *name, void *ud)
{
    (void)ss;
    sim_conn *c = ud;
    if (sim_fchan_claim_subsystem(c, ch, name) <= 0) /* "sftp" (sim_fchan.c) */
        return SSH_ERROR;
    c->ch = NULL;
    return SSH_OK;
}

static int on_window(ssh_session ss, ssh_channel ch, int w, int h, int pw, int ph, void *ud)
{
    (void)ss;
    (void)ch;
    (void)pw;
    (void)ph;
    sim_conn *c = ud;
    c->pty_w = w;
    c->pty_h = h;
    if (c->term)
        sim_term_resize(c->term, w, h);
    return SSH_OK;
}

static int on_data(ssh_session ss, ssh_channel ch, void *data, uint32_t len, int is_stderr,
                   void *ud)
{
    (void)ss;
    (void)is_stderr;
    sim_conn *c = ud;
    if (ch != c->ch)
        return 0; /* a file channel now: its own callbacks take the data */
    if (c->term)
        sim_term_feed(c->term, data, len);
    return (int)len;
}

static void on_eof(ssh_session ss, ssh_channel ch, void *ud)
{
    (void)ss;
    sim_conn *c = ud;
    if (ch != c->ch)
        return;
    c->shell_done = true; /* finish what was typed, then close */
}

static void on_close(ssh_session ss, ssh_channel ch, void *ud)
{
    (void)ss;
    sim_conn *c = ud;
    if (ch != c->ch)
        return;
    c->kill = true;
}

static ssh_channel on_channel_open(ssh_session ss, void *ud)
{
    sim_conn *c = ud;
    if (!c->authed)
        return NULL;
    if (c->ch)
        return sim_fchan_open(c, ss); /* next to the terminal: SCP or SFTP only */
    c->ch = ssh_channel_new(ss);
    if (!c->ch)
        return NULL;
    memset(&c->ccb, 0, sizeof c->ccb);
    c->ccb.userdata = c;
    c->ccb.channel_pty_request_function = on_pty;
    c->ccb.channel_shell_request_function = on_shell;
    c->ccb.channel_exec_request_function = on_exec;
    c->ccb.channel_pty_window_change_function = on_window;
    c->ccb.channel_data_function = on_data;
    c->ccb.channel_eof_function = on_eof;
    c->ccb.channel_close_function = on_close;
    c->ccb.channel_subsystem_request_function = on_subsystem;
    ssh_callbacks_init(&c->ccb);
    ssh_set_channel_callbacks(c->ch, &c->ccb);
    return c->ch;
}

/* ---- life cycle -------------------------------------------------------------------------------- */

int sim_ssh_start(sim_conn *c)
{
    c->ss = ssh_new();
    if (!c->ss)
        return -1;
    /* libssh gets its own descriptor of the socket: it closes that one whenever it sees an
     * error or EOF, while libevent keeps watching ours until we free the connection */
    int mine = dup(c->fd);
    if (mine < 0)
        return -1;
    int rc = ssh_bind_accept_fd(c->rt->bind, c->ss, mine);
    if (ssh_get_fd(c->ss) != mine)
        close(mine);
    if (rc != SSH_OK) {
        NA_LOGW(c->dev->name, "ssh %s: accept failed: %s", c->peer, ssh_get_error(c->rt->bind));
        return -1;
    }
    ssh_set_blocking(c->ss, 0);
    memset(&c->scb, 0, sizeof c->scb);
    c->scb.userdata = c;
    c->scb.auth_password_function = on_auth_password;
    c->scb.auth_pubkey_function = on_auth_pubkey;
    c->scb.channel_open_request_session_function = on_channel_open;
    ssh_callbacks_init(&c->scb);
    ssh_set_server_callbacks(c->ss, &c->scb);
    ssh_set_message_callback(c->ss, on_message, c);
    ssh_set_auth_methods(c->ss, SSH_AUTH_METHOD_PASSWORD | SSH_AUTH_METHOD_PUBLICKEY |
                                    SSH_AUTH_METHOD_INTERACTIVE);
    rc = ssh_handle_key_exchange(c->ss); /* sends our version string; SSH_AGAIN from here */
    if (rc == SSH_ERROR) {
        NA_LOGD(c->dev->name, "ssh %s: key exchange failed: %s", c->peer, ssh_get_error(c->ss));
        return -1;
    }
    c->sev = ssh_event_new();
    if (!c->sev || ssh_event_add_session(c->sev, c->ss) != SSH_OK)
        return -1;
    return 0;
}

void sim_ssh_io(sim_conn *c)
{
    if (!c->sev || c->dead)
        return;
    int rc = ssh_event_dopoll(c->sev, 0);
    int st = ssh_get_status(c->ss);
    /* libssh closes its descriptor when it sees EOF or an error */
    if (rc == SSH_ERROR || (st & (SSH_CLOSED | SSH_CLOSED_ERROR)) || c->kill ||
        ssh_get_fd(c->ss) == SSH_INVALID_SOCKET) {
        NA_LOGD(c->dev->name, "ssh %s: session ends (%s)", c->peer,
                c->kill ? "closed" : ssh_get_error(c->ss));
        c->dead = true;
    }
}

bool sim_ssh_want_write(sim_conn *c)
{
    return c->ss && !c->dead && (ssh_get_poll_flags(c->ss) & SSH_WRITE_PENDING);
}

static void close_channel(sim_conn *c)
{
    ssh_channel_request_send_exit_status(c->ch, 0);
    ssh_channel_send_eof(c->ch);
    ssh_channel_close(c->ch);
    c->closing = true;
    struct timeval tv = {2, 0}; /* then wait (a little) for the client to hang up */
    evtimer_add(c->ev_deadline, &tv);
}

void sim_ssh_pump(sim_conn *c)
{
    if (c->ss && !c->dead)
        sim_fchan_pump(c);
    if (!c->ss || !c->ch || !c->term || c->closing || c->dead)
        return;
    for (;;) {
        if (c->pend_off < c->pend_len) {
            uint32_t win = ssh_channel_window_size(c->ch);
            if (win == 0)
                break;
            size_t n = c->pend_len - c->pend_off;
            if (n > win)
                n = win;
            int w = ssh_channel_write(c->ch, c->pend + c->pend_off, (uint32_t)n);
            if (w < 0) {
                c->dead = true;
                return;
            }
            c->pend_off += (size_t)w;
            if (c->pend_off < c->pend_len)
                break;
            c->pend_off = c->pend_len = 0;
        }
        if (ssh_get_poll_flags(c->ss) & SSH_WRITE_PENDING)
            break; /* the client is not reading: stop generating */
        uint32_t win = ssh_channel_window_size(c->ch);
        if (win == 0 || !sim_term_pending(c->term))
            break;
        size_t b = sim_conn_budget(c, win < SIM_CHUNK ? win : SIM_CHUNK);
        if (b == 0)
            break;
        size_t n = sim_term_pull(c->term, c->pend, b);
        if (n == 0) {
            (void)sim_conn_budget(c, 0); /* a pause just began: its timer */
            break;
        }
        sim_conn_spent(c, n);
        c->pend_len = n;
        c->pend_off = 0;
    }
    if (c->pend_len)
        return;
    sim_term_status st = sim_term_status_of(c->term);
    if (st == SIM_TS_DROP && !(ssh_get_poll_flags(c->ss) & SSH_WRITE_PENDING)) {
        /* like a device that just went away: no SSH goodbye */
        sim_conn_linger(c);
    } else if (st == SIM_TS_CLOSE || (c->shell_done && !sim_term_pending(c->term))) {
        close_channel(c);
    }
}

void sim_ssh_free(sim_conn *c)
{
    sim_fchan_free_all(c);
    if (c->ss) {
        if (c->sev) {
            ssh_event_remove_session(c->sev, c->ss);
            ssh_event_free(c->sev);
        }
        if (!c->lingering && ssh_is_connected(c->ss))
            ssh_disconnect(c->ss);
        ssh_free(c->ss); /* frees the channel and closes the socket */
    }
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->ss = NULL;
    c->sev = NULL;
    c->ch = NULL;
}
