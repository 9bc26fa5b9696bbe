/* telnet.c — the Telnet transport (transport.h, telnet.h): libtelnet as a pure protocol state
 * machine over our own non-blocking socket. Bytes from recv() go to telnet_recv(); libtelnet's
 * SEND events fill a bounded outbound buffer that goes out in one send() per line; DATA events
 * fill a bounded inbound buffer handed out by read(). Option negotiation accepts remote ECHO and
 * SGA both ways, offers NAWS and TTYPE when asked, refuses the rest. The in-band login
 * (Username/Password dialog) is the AUTH phase of open(); telnet_login.c reads its text. The
 * username is typed once its question is the last line of what the drained socket gave; a
 * password asked first (a line password) only once the device has also been quiet for
 * CRED_SETTLE_MS (the password asked in answer to the username is the device's reply to
 * what was typed, and is answered at once); a line that looks like a CLI prompt ends the login only after
 * PROMPT_SETTLE_MS of quiet (a banner line ending in '#' followed by a pause is not a prompt);
 * when the device stays quiet with nothing recognisable at the end (a login question with a
 * notice glued to it: "Username: Kerberos: No default realm defined for Kerberos!"), Enter is
 * pressed, never a credential. States are logged at trace level.
 * Not a channel (no command/prompt handling after login) and not a recorder (t->transcript is
 * left to the channel). */
#include "telnet.h"

#include "buf.h"
#include "clock.h"
#include "log.h"
#include "net.h"
#include "secret.h"
#include "telnet_login.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libtelnet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { TS_CONNECT, TS_NEGOTIATE, TS_AUTH, TS_READY, TS_FAILED, TS_CLOSED };
enum { LG_WAIT_FIRST, LG_SENT_USER, LG_SENT_PASS };
static const char *const ts_names[] = {"connect", "negotiate", "auth", "ready", "failed",
                                       "closed"};
static const char *const lg_names[] = {"wait-first", "sent-username", "sent-password"};

#define CRED_SETTLE_MS 50    /* a first question asking for a password stands still this long
                                before the secret is typed */
#define PROMPT_SETTLE_MS 300 /* a prompt-like last line, before it ends the login */
#define NUDGE_MS 1000        /* quiet with nothing to answer: press Enter ... */
#define NUDGES 3             /* ... at most this many times */

#define RECV_CHUNK 16384
#define MAX_ROUNDS 64 /* recv() calls per open() step, so a flood cannot hold the caller */
#define TAIL_MAX 160  /* last data bytes kept for error messages */
#define FAIL_WINDOW 4096 /* login refusals are looked for in this much recent text */

typedef struct tn {
    na_transport base; /* first: the transport is freed through it */
    char who[64];
    na_tcp *tcp; /* while resolving/connecting */
    int fd;
    telnet_t *tel;
    na_buf in, out;
    na_err cb_err; /* raised inside a libtelnet callback, collected after telnet_recv() */
    na_err fail;   /* why open() failed, repeated to later calls */
    int state, login;
    bool eof, reset;
    bool him_echo, him_sga, us_sga, us_naws, us_ttype, heard_option;
    int phase_ms; /* length of the current phase's deadline, for messages */
    int64_t phase_t0_us;
    int64_t last_in_ms; /* when data last arrived (quiet periods of the login) */
    int nudges;
    char tail[TAIL_MAX];
    size_t tail_len;
} tn;

static const telnet_telopt_t telopts[] = {
    {TELNET_TELOPT_ECHO, TELNET_WONT, TELNET_DO},  /* the device echoes; we never do */
    {TELNET_TELOPT_SGA, TELNET_WILL, TELNET_DO},   /* character-at-a-time, no GA */
    {TELNET_TELOPT_NAWS, TELNET_WILL, TELNET_DONT}, /* we tell our window size */
    {TELNET_TELOPT_TTYPE, TELNET_WILL, TELNET_DONT}, /* we tell our terminal type */
    {-1, 0, 0},
};

/* ---- small helpers ------------------------------------------------------------------------ */

static const char *term_type(const tn *t)
{
    const char *tt = t->base.params->term_type;
    return tt && *tt ? tt : "vt100";
}

static void update_options(tn *t)
{
    char *o = t->base.info.telnet_options;
    size_t cap = sizeof t->base.info.telnet_options;
    snprintf(o, cap, "%s%s%s%s", t->him_echo ? "ECHO " : "",
             (t->him_sga || t->us_sga) ? "SGA " : "", t->us_naws ? "NAWS " : "",
             t->us_ttype ? "TTYPE " : "");
    size_t l = strlen(o);
    if (l && o[l - 1] == ' ')
        o[l - 1] = '\0';
}

static void send_naws(tn *t)
{
    const na_conn_params *p = t->base.params;
    int w = p->term_width > 0 ? p->term_width : 511;
    int h = p->term_height > 0 ? p->term_height : 24;
    if (w > 65535)
        w = 65535;
    if (h > 65535)
        h = 65535;
    unsigned char sz[4] = {(unsigned char)(w >> 8), (unsigned char)w, (unsigned char)(h >> 8),
                           (unsigned char)h};
    telnet_begin_sb(t->tel, TELNET_TELOPT_NAWS);
    telnet_send(t->tel, (const char *)sz, sizeof sz); /* doubles a 0xff byte */
    telnet_finish_sb(t->tel);
}

static void remember_tail(tn *t, const char *s, size_t n)
{
    if (n >= TAIL_MAX) {
        memcpy(t->tail, s + n - TAIL_MAX, TAIL_MAX);
        t->tail_len = TAIL_MAX;
        return;
    }
    if (t->tail_len + n > TAIL_MAX) {
        size_t drop = t->tail_len + n - TAIL_MAX;
        memmove(t->tail, t->tail + drop, t->tail_len - drop);
        t->tail_len -= drop;
    }
    memcpy(t->tail + t->tail_len, s, n);
    t->tail_len += n;
}

static void on_data(tn *t, const char *s, size_t n)
{
    if (na_err_isset(&t->cb_err))
        return;
    if (n > na_buf_headroom(&t->in)) {
        if (t->state == TS_READY)
            na_err_set(&t->cb_err, NA_E_OVERFLOW, "%s: more than %zu KiB received from the "
                       "device and not read", t->who, t->in.max >> 10);
        else
            na_err_set(&t->cb_err, NA_E_OVERFLOW, "%s: more than %zu KiB received during login "
                       "without a login prompt or CLI prompt", t->who, t->in.max >> 10);
        return;
    }
    if (na_buf_append(&t->in, s, n, "telnet input", &t->cb_err) < 0)
        return;
    t->last_in_ms = na_now_ms();
    t->base.info.data_in += n;
    remember_tail(t, s, n);
}

static void on_event(telnet_t *tel, telnet_event_t *ev, void *ud)
{
    tn *t = ud;
    switch (ev->type) {
    case TELNET_EV_DATA:
        on_data(t, ev->data.buffer, ev->data.size);
        break;
    case TELNET_EV_SEND:
        if (!na_err_isset(&t->cb_err) &&
            na_buf_append(&t->out, ev->data.buffer, ev->data.size, "telnet output queue",
                          &t->cb_err) < 0)
            na_err_prefix(&t->cb_err, "%s: ", t->who);
        break;
    case TELNET_EV_WILL:
    case TELNET_EV_WONT: {
        bool on = ev->type == TELNET_EV_WILL;
        t->heard_option = true;
        if (ev->neg.telopt == TELNET_TELOPT_ECHO)
            t->him_echo = on;
        else if (ev->neg.telopt == TELNET_TELOPT_SGA)
            t->him_sga = on;
        update_options(t);
        break;
    }
    case TELNET_EV_DO:
    case TELNET_EV_DONT: {
        bool on = ev->type == TELNET_EV_DO;
        t->heard_option = true;
        if (ev->neg.telopt == TELNET_TELOPT_SGA)
            t->us_sga = on;
        else if (ev->neg.telopt == TELNET_TELOPT_NAWS) {
            t->us_naws = on;
            if (on)
                send_naws(t);
        } else if (ev->neg.telopt == TELNET_TELOPT_TTYPE)
            t->us_ttype = on;
        update_options(t);
        break;
    }
    case TELNET_EV_TTYPE:
        if (ev->ttype.cmd == TELNET_TTYPE_SEND) {
            if (t->us_ttype)
                telnet_ttype_is(tel, term_type(t));
            else
                NA_LOGD(t->who, "telnet: TTYPE SEND without TTYPE enabled, ignored");
        }
        break;
    case TELNET_EV_WARNING:
        NA_LOGD(t->who, "telnet: %s", ev->error.msg);
        break;
    case TELNET_EV_ERROR:
        na_err_set(&t->cb_err, NA_E_PROTOCOL, "%s: Telnet protocol error: %s", t->who,
                   ev->error.msg);
        break;
    default:
        break;
    }
}

static int take_cb_err(tn *t, na_err *err)
{
    na_err_set(err, t->cb_err.code, "%s", t->cb_err.msg);
    return -1;
}

/* Mark the transport failed with the error already in err (first error wins), release the
 * socket. */
static na_status fail_with(tn *t, na_err *err)
{
    if (!na_err_isset(&t->fail)) {
        if (na_err_isset(err))
            t->fail = *err;
        else
            na_err_set(&t->fail, NA_E_INTERNAL, "%s: Telnet open failed", t->who);
    }
    t->state = TS_FAILED;
    t->base.deadline_ms = 0;
    if (t->fd >= 0) {
        close(t->fd);
        t->fd = -1;
    }
    return NA_ERROR;
}

static na_status failf(tn *t, na_err *err, na_code code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static na_status failf(tn *t, na_err *err, na_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err)
        na_err_vset(err, code, fmt, ap);
    else
        na_err_vset(&t->fail, code, fmt, ap);
    va_end(ap);
    return fail_with(t, err);
}

/* ---- socket I/O --------------------------------------------------------------------------- */

/* Receive and decode. drain: until the socket has nothing more (bounded); otherwise stop once
 * data bytes are buffered. Sets t->eof at end of stream or reset. 0 ok, -1 error. */
static int pump(tn *t, na_err *err, bool drain)
{
    char buf[RECV_CHUNK];
    for (int round = 0; round < MAX_ROUNDS && !t->eof; round++) {
        ssize_t r = recv(t->fd, buf, sizeof buf, MSG_DONTWAIT);
        if (r > 0) {
            t->base.info.wire_in += (uint64_t)r;
            telnet_recv(t->tel, buf, (size_t)r);
            if (na_err_isset(&t->cb_err))
                return take_cb_err(t, err);
            if (!drain && t->in.len > 0)
                return 0;
            continue;
        }
        if (r == 0) {
            t->eof = true;
            return 0;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        if (errno == ECONNRESET) {
            t->eof = t->reset = true;
            return 0;
        }
        return na_err_set(err, NA_E_IO, "%s: receive failed: %s", t->who, strerror(errno));
    }
    return 0;
}

/* Send what is queued. NA_OK when nothing is left, NA_AGAIN when the socket is full. */
static na_status flush_out(tn *t, na_err *err)
{
    while (t->out.len > 0) {
        ssize_t w = send(t->fd, t->out.data, t->out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0) {
            t->base.info.wire_out += (uint64_t)w;
            na_buf_consume(&t->out, (size_t)w);
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return NA_AGAIN;
        if (w < 0 && (errno == EPIPE || errno == ECONNRESET)) {
            t->eof = true;
            na_err_set(err, NA_E_CLOSED, "%s: the device closed the connection", t->who);
            return NA_ERROR;
        }
        na_err_set(err, NA_E_IO, "%s: send failed: %s", t->who, w < 0 ? strerror(errno) : "0");
        return NA_ERROR;
    }
    return NA_OK;
}

/* Bytes queue_text() puts on the wire for s[0..n). */
static size_t encoded_len(const char *s, size_t n)
{
    size_t e = n;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == (char)TELNET_IAC)
            e++;
        else if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
            i++; /* CR LF stays two bytes */
        else if (s[i] == '\r' || s[i] == '\n')
            e++;
    }
    return e;
}

/* Encode text for the wire: "\n" and "\r\n" -> CR LF, a bare "\r" -> CR NUL, IAC doubled by
 * telnet_send(). Appends to the outbound queue (nothing is sent here). All or nothing. */
static int queue_text(tn *t, const char *s, size_t n, na_err *err)
{
    if (encoded_len(s, n) > na_buf_headroom(&t->out))
        return na_err_set(err, NA_E_OVERFLOW, "%s: more than %zu KiB waiting to be sent to the "
                          "device", t->who, t->out.max >> 10);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\n' && s[i] != '\r')
            continue;
        if (i > run)
            telnet_send(t->tel, s + run, i - run);
        if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
            i++;
        if (s[i] == '\n')
            telnet_send(t->tel, "\r\n", 2);
        else
            telnet_send(t->tel, "\r\0", 2);
        run = i + 1;
    }
    if (n > run)
        telnet_send(t->tel, s + run, n - run);
    if (na_err_isset(&t->cb_err))
        return take_cb_err(t, err);
    t->base.info.data_out += n;
    return 0;
}

/* ---- open: connect, negotiate, login ------------------------------------------------------ */

static void begin_phase(tn *t, int state, na_phase phase)
{
    NA_LOGT(t->who, "telnet: %s -> %s", ts_names[t->state], ts_names[state]);
    int64_t now = na_now_us();
    if (t->state == TS_NEGOTIATE || t->state == TS_AUTH)
        t->base.info.phase_us[t->base.info.phase] = now - t->phase_t0_us;
    t->phase_t0_us = now;
    t->state = state;
    t->base.info.phase = phase;
    if (phase == NA_PHASE_READY) {
        t->base.deadline_ms = 0;
        t->phase_ms = 0;
    } else {
        t->phase_ms = na_timeout_ms(&t->base.params->timeouts, phase);
        t->base.deadline_ms = na_now_ms() + t->phase_ms;
    }
}

static int start_negotiate(tn *t, na_err *err)
{
    t->tel = telnet_init(telopts, on_event, 0, t);
    if (!t->tel)
        return na_err_set(err, NA_E_NOMEM, "%s: out of memory (telnet_init)", t->who);
    begin_phase(t, TS_NEGOTIATE, NA_PHASE_NEGOTIATE);
    NA_LOGD(t->who, "telnet: connected to %s", t->base.info.peer);
    return 0;
}

static na_status step_connect(tn *t, na_err *err)
{
    if (!t->tcp) /* adopted socket */
        return start_negotiate(t, err) < 0 ? fail_with(t, err) : NA_OK;
    if (t->base.deadline_ms == 0) {
        t->phase_ms = na_timeout_ms(&t->base.params->timeouts, NA_PHASE_CONNECT);
        t->base.deadline_ms = na_now_ms() + t->phase_ms;
        t->base.info.phase = NA_PHASE_RESOLVE;
    }
    na_status s = na_tcp_step(t->tcp, t->base.deadline_ms, err);
    if (s == NA_AGAIN)
        t->base.info.phase = na_tcp_want(t->tcp) == NA_WANT_READ ? NA_PHASE_RESOLVE
                                                                 : NA_PHASE_CONNECT;
    if (s != NA_OK)
        return s == NA_ERROR ? fail_with(t, err) : s;
    t->base.info.phase_us[NA_PHASE_RESOLVE] = na_tcp_resolve_us(t->tcp);
    t->base.info.phase_us[NA_PHASE_CONNECT] = na_tcp_connect_us(t->tcp);
    snprintf(t->base.info.peer, sizeof t->base.info.peer, "%s", na_tcp_peer(t->tcp));
    t->fd = na_tcp_take_fd(t->tcp);
    na_tcp_free(t->tcp);
    t->tcp = NULL;
    return start_negotiate(t, err) < 0 ? fail_with(t, err) : NA_OK;
}

/* "last received: \"...\"" or "nothing received", for messages. */
static void summary(const tn *t, char *out, size_t cap)
{
    if (!t->tail_len) {
        snprintf(out, cap, "nothing received");
        return;
    }
    char s[TAIL_MAX * 4 + 8];
    na_tl_summary(t->tail, t->tail_len, 100, s, sizeof s);
    snprintf(out, cap, "last received: \"%s\"", s);
}

static na_status send_credential(tn *t, const char *value, bool secret, int next, na_err *err)
{
    na_buf_reset(&t->in); /* the dialog so far is ours; the channel sees what follows */
    if (queue_text(t, value, strlen(value), err) < 0 || queue_text(t, "\n", 1, err) < 0)
        return fail_with(t, err);
    NA_LOGT(t->who, "telnet: login %s -> %s", lg_names[t->login], lg_names[next]);
    t->login = next;
    t->base.wake_ms = 0;
    if (secret)
        t->base.info.cleartext_password = true;
    snprintf(t->base.info.auth_method, sizeof t->base.info.auth_method, "telnet-login");
    NA_LOGD(t->who, "telnet: sent the %s", secret ? "password" : "username");
    return NA_AGAIN;
}

static na_status become_ready(tn *t)
{
    t->base.wake_ms = 0;
    if (!t->base.info.auth_method[0])
        snprintf(t->base.info.auth_method, sizeof t->base.info.auth_method, "none");
    begin_phase(t, TS_READY, NA_PHASE_READY);
    NA_LOGD(t->who, "telnet: ready (options: %s; auth: %s)",
            t->base.info.telnet_options[0] ? t->base.info.telnet_options : "none",
            t->base.info.auth_method);
    return NA_OK;
}

static bool has_newline(const char *s, size_t n)
{
    return memchr(s, '\n', n) || memchr(s, '\r', n);
}

/* Has the device been quiet for ms? If not, ask to be called again when it will have been. */
static bool quiet_for(tn *t, int ms)
{
    int64_t at = t->last_in_ms + ms;
    if (na_now_ms() >= at)
        return true;
    t->base.wake_ms = at;
    return false;
}

/* Nothing to answer at the end of what came: once the device has been quiet for NUDGE_MS,
 * press Enter (a login question with a notice glued to it comes back clean). */
static na_status nudge(tn *t, na_err *err)
{
    if (t->nudges >= NUDGES || t->in.len == 0 || !quiet_for(t, NUDGE_MS))
        return NA_AGAIN;
    t->nudges++;
    t->last_in_ms = na_now_ms(); /* the next nudge counts from here */
    t->base.wake_ms = t->last_in_ms + NUDGE_MS;
    NA_LOGD(t->who, "telnet: nothing to answer at '%.40s...': pressing Enter",
            na_buf_cstr(&t->in));
    if (queue_text(t, "\n", 1, err) < 0)
        return fail_with(t, err);
    return NA_AGAIN;
}

/* Look at what arrived and answer it. NA_AGAIN keeps waiting, NA_OK = logged in. */
static na_status login_step(tn *t, na_err *err)
{
    const na_conn_params *p = t->base.params;
    const char *s = na_buf_cstr(&t->in);
    size_t n = t->in.len;
    char msg[200], sum[TAIL_MAX * 4 + 8];
    bool complete = false;
    /* a refusal is looked for in the recent text only: this runs after every read, and
     * searching everything since the credential each time would be quadratic */
    size_t fw = n > FAIL_WINDOW ? n - FAIL_WINDOW : 0;
    if (t->login != LG_WAIT_FIRST && na_tl_failure(s + fw, n - fw, msg, sizeof msg, &complete)) {
        /* a refusal is followed by a new login prompt or a hang-up, never by a CLI prompt:
         * with a CLI prompt at the end, the words were banner text ("access denied ...") */
        na_tl_kind end = na_tl_classify(s, n, false);
        if (end != NA_TL_PROMPT) {
            if (complete || t->eof || end != NA_TL_NONE)
                return failf(t, err, NA_E_AUTH, "%s: login refused: %s", t->who, msg);
            return NA_AGAIN; /* let the message line finish */
        }
    }
    na_tl_kind k = na_tl_classify(s, n, t->login == LG_WAIT_FIRST);
    t->base.wake_ms = 0;
    /* a secret is never typed, and no prompt believed, before the device stands still. A
     * username is not a secret: it is typed once its question ends what the drained socket gave
     * (a notice glued to the question comes in the same burst, and then the question is not
     * last); waiting here would add CRED_SETTLE_MS to every Telnet login */
    if (k == NA_TL_PASS && t->login == LG_WAIT_FIRST && !quiet_for(t, CRED_SETTLE_MS))
        return NA_AGAIN;
    if (k == NA_TL_PROMPT && t->login != LG_SENT_PASS && !quiet_for(t, PROMPT_SETTLE_MS))
        return NA_AGAIN;
    switch (t->login) {
    case LG_WAIT_FIRST:
        if (k == NA_TL_NONE)
            return nudge(t, err);
        if (k == NA_TL_USER) {
            if (!p->username || !*p->username) {
                na_tl_summary(s, n, 40, sum, sizeof sum);
                return failf(t, err, NA_E_AUTH, "%s: the device asks for a username (\"%s\") "
                             "but none is configured", t->who, sum);
            }
            return send_credential(t, p->username, false, LG_SENT_USER, err);
        }
        if (k == NA_TL_PASS)
            goto password;
        return become_ready(t); /* NA_TL_PROMPT */
    case LG_SENT_USER:
        if (k == NA_TL_PASS)
            goto password;
        if (k == NA_TL_USER)
            return failf(t, err, NA_E_AUTH, "%s: login refused: the device asked for the "
                         "username again (username not accepted?)", t->who);
        if (k == NA_TL_PROMPT && has_newline(s, n)) /* no password asked */
            return become_ready(t);
        return NA_AGAIN;
    default:
        if (k == NA_TL_USER)
            return failf(t, err, NA_E_AUTH, "%s: login refused: the device asked for the "
                         "username again (wrong username or password?)", t->who);
        if (k == NA_TL_PASS)
            return failf(t, err, NA_E_AUTH, "%s: login refused: the device asked for the "
                         "password again (wrong password?)", t->who);
        if (k == NA_TL_PROMPT)
            return become_ready(t);
        return NA_AGAIN;
    }
password:
    if (!p->password)
        return failf(t, err, NA_E_AUTH, "%s: the device asks for a password but none is "
                     "configured", t->who);
    return send_credential(t, p->password, true, LG_SENT_PASS, err);
}

static const char *login_stage(const tn *t)
{
    if (t->state == TS_NEGOTIATE)
        return "before sending any text";
    switch (t->login) {
    case LG_WAIT_FIRST: return "while waiting for a login prompt";
    case LG_SENT_USER: return "after the username was sent";
    default: return "after the password was sent";
    }
}

static na_status closed_error(tn *t, na_err *err)
{
    char sum[TAIL_MAX * 4 + 8];
    summary(t, sum, sizeof sum);
    return failf(t, err, NA_E_CLOSED, "%s: the device %s the connection during login, %s (%s)",
                 t->who, t->reset ? "reset" : "closed", login_stage(t), sum);
}

static na_status timeout_error(tn *t, na_err *err)
{
    char sum[TAIL_MAX * 4 + 8], msg[200];
    double secs = t->phase_ms / 1000.0;
    summary(t, sum, sizeof sum);
    if (t->state == TS_NEGOTIATE)
        return failf(t, err, NA_E_TIMEOUT, "%s: no login prompt within %.1f s (device silent "
                     "after connect%s)", t->who, secs,
                     t->heard_option ? "; only Telnet option negotiation was received" : "");
    if (t->login != LG_WAIT_FIRST &&
        na_tl_failure(na_buf_cstr(&t->in), t->in.len, msg, sizeof msg, NULL))
        return failf(t, err, NA_E_AUTH, "%s: login refused: %s", t->who, msg);
    switch (t->login) {
    case LG_WAIT_FIRST:
        return failf(t, err, NA_E_TIMEOUT, "%s: no login prompt or CLI prompt within %.1f s "
                     "(%s)", t->who, secs, sum);
    case LG_SENT_USER:
        return failf(t, err, NA_E_TIMEOUT, "%s: no password prompt after sending the username "
                     "within %.1f s (%s)", t->who, secs, sum);
    default:
        return failf(t, err, NA_E_TIMEOUT, "%s: no answer after sending the password within "
                     "%.1f s (%s)", t->who, secs, sum);
    }
}

/* Send what is queued; a peer that went away shows up as EOF for the login to report. */
static int flush_quiet(tn *t, na_err *err)
{
    na_err e = NA_ERR_INIT;
    if (flush_out(t, &e) != NA_ERROR)
        return 0;
    if (e.code == NA_E_CLOSED)
        return 0;
    na_err_set(err, e.code, "%s", e.msg);
    return -1;
}

static na_status tn_open(na_transport *bt, na_err *err)
{
    tn *t = (tn *)bt;
    switch (t->state) {
    case TS_READY:
        return NA_OK;
    case TS_FAILED:
        na_err_set(err, t->fail.code, "%s", t->fail.msg);
        return NA_ERROR;
    case TS_CLOSED:
        na_err_set(err, NA_E_CLOSED, "%s: the Telnet session was closed", t->who);
        return NA_ERROR;
    case TS_CONNECT: {
        na_status s = step_connect(t, err);
        if (s != NA_OK)
            return s;
        break;
    }
    default:
        break;
    }
    if (flush_quiet(t, err) < 0 || pump(t, err, true) < 0 || flush_quiet(t, err) < 0)
        return fail_with(t, err);
    if (t->state == TS_NEGOTIATE && t->in.len > 0)
        begin_phase(t, TS_AUTH, NA_PHASE_AUTH);
    if (t->state == TS_AUTH) {
        na_status s = login_step(t, err);
        if (s == NA_ERROR)
            return s;
        if (flush_quiet(t, err) < 0)
            return fail_with(t, err);
        if (s == NA_OK)
            return NA_OK;
    }
    if (t->eof)
        return closed_error(t, err);
    if (na_now_ms() >= t->base.deadline_ms)
        return timeout_error(t, err);
    return NA_AGAIN;
}

/* ---- data phase --------------------------------------------------------------------------- */

static na_status tn_read(na_transport *bt, char *buf, size_t cap, size_t *n, na_err *err)
{
    tn *t = (tn *)bt;
    *n = 0;
    if (t->state == TS_FAILED) {
        na_err_set(err, t->fail.code, "%s", t->fail.msg);
        return NA_ERROR;
    }
    if (t->state == TS_CLOSED)
        return NA_EOF;
    if (t->state != TS_READY) {
        na_err_set(err, NA_E_INTERNAL, "%s: Telnet read() before open() finished", t->who);
        return NA_ERROR;
    }
    if (t->in.len == 0 && !t->eof) {
        if (pump(t, err, false) < 0 || flush_quiet(t, err) < 0)
            return NA_ERROR;
    }
    if (t->in.len > 0) {
        size_t k = t->in.len < cap ? t->in.len : cap;
        memcpy(buf, t->in.data, k);
        na_buf_consume(&t->in, k);
        *n = k;
        return NA_OK;
    }
    if (t->eof) {
        if (t->reset) {
            na_err_set(err, NA_E_CLOSED, "%s: the device reset the connection", t->who);
            return NA_ERROR;
        }
        return NA_EOF;
    }
    return NA_AGAIN;
}

static na_status tn_write(na_transport *bt, const char *buf, size_t len, bool secret,
                          na_err *err)
{
    tn *t = (tn *)bt;
    if (t->state == TS_FAILED || t->state == TS_CLOSED || t->eof)
        return na_err_set(err, NA_E_CLOSED, "%s: cannot send: the connection is closed",
                          t->who),
               NA_ERROR;
    if (t->state != TS_READY)
        return na_err_set(err, NA_E_INTERNAL, "%s: Telnet write() before open() finished",
                          t->who),
               NA_ERROR;
    if (queue_text(t, buf, len, err) < 0)
        return NA_ERROR;
    NA_LOGT(t->who, "telnet: write %zu bytes%s", len, secret ? " (secret)" : "");
    return flush_out(t, err) == NA_ERROR ? NA_ERROR : NA_OK;
}

static na_status tn_flush(na_transport *bt, na_err *err)
{
    tn *t = (tn *)bt;
    if (t->state == TS_FAILED) {
        na_err_set(err, t->fail.code, "%s", t->fail.msg);
        return NA_ERROR;
    }
    if (t->fd < 0 || t->out.len == 0)
        return NA_OK;
    return flush_out(t, err);
}

static int tn_fd(const na_transport *bt)
{
    const tn *t = (const tn *)bt;
    if (t->state == TS_CONNECT)
        return t->tcp ? na_tcp_fd(t->tcp) : t->fd;
    return t->fd;
}

static int tn_want(const na_transport *bt)
{
    const tn *t = (const tn *)bt;
    if (t->state == TS_CONNECT)
        return t->tcp ? na_tcp_want(t->tcp) : NA_WANT_WRITE;
    if (t->fd < 0)
        return NA_WANT_NONE;
    int w = t->eof ? NA_WANT_NONE : NA_WANT_READ;
    if (t->out.len > 0)
        w |= NA_WANT_WRITE;
    return w;
}

static bool tn_is_alive(na_transport *bt)
{
    tn *t = (tn *)bt;
    if (t->fd < 0 || t->eof || t->state == TS_FAILED || t->state == TS_CLOSED)
        return false;
    char c;
    ssize_t r = recv(t->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (r > 0)
        return true;
    if (r == 0)
        return false;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

static void tn_close(na_transport *bt)
{
    tn *t = (tn *)bt;
    if (t->tcp) {
        na_tcp_free(t->tcp);
        t->tcp = NULL;
    }
    if (t->fd >= 0) {
        na_err ignored = NA_ERR_INIT;
        if (t->out.len > 0)
            (void)flush_out(t, &ignored);
        close(t->fd);
        t->fd = -1;
    }
    if (t->state != TS_FAILED) {
        if (t->state == TS_NEGOTIATE || t->state == TS_AUTH)
            t->base.info.phase_us[t->base.info.phase] = na_now_us() - t->phase_t0_us;
        t->state = TS_CLOSED;
        t->base.info.phase = NA_PHASE_CLOSED;
    }
    t->base.deadline_ms = 0;
}

static void tn_destroy(na_transport *bt)
{
    if (!bt)
        return;
    tn *t = (tn *)bt;
    tn_close(bt);
    if (t->tel)
        telnet_free(t->tel);
    na_buf_free_wipe(&t->out); /* may have held the password */
    na_buf_free(&t->in);
    free(t);
}

static const na_transport_ops telnet_ops = {
    .name = "telnet",
    .open = tn_open,
    .read = tn_read,
    .write = tn_write,
    .flush = tn_flush,
    .fd = tn_fd,
    .want = tn_want,
    .is_alive = tn_is_alive,
    .close = tn_close,
    .destroy = tn_destroy,
};

/* ---- constructors ------------------------------------------------------------------------- */

static tn *alloc_tn(const na_conn_params *p, na_err *err)
{
    if (!p) {
        na_err_set(err, NA_E_INTERNAL, "telnet: no connection parameters");
        return NULL;
    }
    const char *who = p->name && *p->name ? p->name : p->host && *p->host ? p->host : "device";
    if (p->term_type) {
        for (const char *c = p->term_type; *c; c++) {
            if (*c < 0x21 || *c > 0x7e) {
                na_err_set(err, NA_E_CONFIG, "%s: terminal type '%s' must be printable ASCII "
                           "without spaces", who, p->term_type);
                return NULL;
            }
        }
    }
    tn *t = calloc(1, sizeof *t);
    if (!t) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    snprintf(t->who, sizeof t->who, "%s", who);
    t->base.ops = &telnet_ops;
    t->base.params = p;
    t->base.info.phase = NA_PHASE_RESOLVE;
    t->fd = -1;
    t->state = TS_CONNECT;
    na_buf_init(&t->in, NA_TELNET_MAX_IN);
    na_buf_init(&t->out, NA_TELNET_MAX_OUT);
    if (p->password)
        na_secret_register(p->password);
    return t;
}

na_transport *na_telnet_new(const na_conn_params *p, na_err *err)
{
    tn *t = alloc_tn(p, err);
    if (!t)
        return NULL;
    t->tcp = na_tcp_new(p->host, p->port > 0 ? p->port : 23, t->who, err);
    if (!t->tcp) {
        free(t);
        return NULL;
    }
    return &t->base;
}

static void peer_name(int fd, char *out, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t l = sizeof ss;
    char ip[INET6_ADDRSTRLEN] = "?";
    snprintf(out, cap, "local");
    if (getpeername(fd, (struct sockaddr *)&ss, &l) != 0)
        return;
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
        snprintf(out, cap, "%s:%d", ip, ntohs(a->sin_port));
    } else if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
        snprintf(out, cap, "[%s]:%d", ip, ntohs(a->sin6_port));
    }
}

na_transport *na_telnet_new_fd(const na_conn_params *p, int fd, na_err *err)
{
    if (fd < 0) {
        na_err_set(err, NA_E_INTERNAL, "telnet: invalid socket");
        return NULL;
    }
    tn *t = alloc_tn(p, err);
    int fl = fcntl(fd, F_GETFL);
    if (t && (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)) {
        na_err_set(err, NA_E_IO, "%s: cannot make the socket non-blocking: %s", t->who,
                   strerror(errno));
        free(t);
        t = NULL;
    }
    if (!t) {
        close(fd);
        return NULL;
    }
    t->fd = fd;
    peer_name(fd, t->base.info.peer, sizeof t->base.info.peer);
    return &t->base;
}
