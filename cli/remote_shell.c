/* remote_shell.c — `netauto --server URL shell HOST [--transport ssh|telnet]`: the web page's
 * terminal from the command line. Asks netautod for a terminal ticket (POST /v1/shell/HOST),
 * opens the WebSocket (RFC 6455) on a verified TLS connection (remote_http.c), then moves
 * bytes: keystrokes as masked binary frames, the device's bytes (binary frames) to standard
 * output, netautod's status (JSON text frames) to standard error. netautod logs in with its own
 * credentials and holds the device's lock meanwhile; the terminal is in raw mode when it is one
 * (restored on every exit and on SIGTERM/SIGHUP), `~.` at the start of a line disconnects.
 * With standard input not a terminal, its lines are sent and the session ends once the device
 * has been silent for 2 s after the end of input. Not the local `netauto shell` (cmd_shell.c). */
#include "remote_shell.h"
#include "clock.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/rand.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#define EOF_IDLE_MS 2000
#define FRAME_MAX (1 << 20)

static struct termios saved_tio;
static volatile sig_atomic_t tio_saved, got_signal;

static void restore_tty(void)
{
    if (tio_saved) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
        tio_saved = 0;
    }
}

static void on_signal(int sig)
{
    got_signal = sig;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* One masked client frame. */
static int send_frame(na_remote_conn *c, int opcode, const char *p, size_t n, na_err *e)
{
    unsigned char hd[14], mask[4];
    size_t hl = 2;
    if (n > 4096)
        return na_err_set(e, NA_E_INTERNAL, "a keystroke frame over 4 KiB");
    if (RAND_bytes(mask, sizeof mask) != 1)
        return na_err_set(e, NA_E_INTERNAL, "no random bytes for a WebSocket mask");
    hd[0] = (unsigned char)(0x80 | opcode);
    if (n < 126) {
        hd[1] = (unsigned char)(0x80 | n);
    } else {
        hd[1] = 0x80 | 126;
        hd[2] = (unsigned char)(n >> 8);
        hd[3] = (unsigned char)n;
        hl = 4;
    }
    memcpy(hd + hl, mask, 4);
    hl += 4;
    char buf[14 + 4096];
    memcpy(buf, hd, hl);
    for (size_t i = 0; i < n; i++)
        buf[hl + i] = (char)(p[i] ^ mask[i & 3]);
    return cli_remote_conn_write(c, buf, hl + n, na_now_ms() + 30000, e);
}

/* `~.` at the start of a line ends the session; `~~` sends one `~`. */
typedef struct keys {
    bool line_start, tilde;
} keys;

static long filter(keys *k, const char *in, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = in[i];
        if (k->tilde) {
            k->tilde = false;
            if (ch == '.')
                return -1;
            if (ch != '~')
                out[o++] = '~';
        } else if (k->line_start && ch == '~') {
            k->tilde = true;
            continue;
        }
        out[o++] = ch;
        k->line_start = ch == '\r' || ch == '\n';
    }
    return (long)o;
}

/* A status frame from netautod: say it on standard error; 1 when it says the shell closed, 2
 * when it is open. */
static int status_frame(const char *p, size_t n, const char *host)
{
    json_t *j = json_loadb(p, n, 0, NULL);
    const char *st = json_string_value(json_object_get(j, "status"));
    int closed = 0;
    restore_tty();
    if (st && !strcmp(st, "connecting")) {
        fprintf(stderr, "netautod is logging in to %s...\r\n", host);
    } else if (st && !strcmp(st, "open")) {
        fprintf(stderr, "Connected to %s over %s through netautod (%s mode). Type ~. at the "
                        "start of a line to disconnect.\r\n", host,
                json_string_value(json_object_get(j, "transport")),
                json_string_value(json_object_get(j, "mode")));
        closed = 2;
    } else if (st && !strcmp(st, "closed")) {
        const char *err = json_string_value(json_object_get(j, "error"));
        fprintf(stderr, "\r\nConnection to %s closed%s%s.\n", host, err ? ": " : "",
                err ? err : "");
        closed = 1;
    }
    json_decref(j);
    return closed;
}

static int raw_mode(void)
{
    struct termios t;
    if (!isatty(STDIN_FILENO))
        return 0;
    if (tcgetattr(STDIN_FILENO, &saved_tio) < 0)
        return -1;
    t = saved_tio;
    cfmakeraw(&t);
    if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) < 0)
        return -1;
    tio_saved = 1;
    return 0;
}

typedef struct wsin {
    char *buf;
    size_t len, cap;
} wsin;

/* Frames complete in in->buf: handle each. 1 closed, 0 more to come, -1 error. */
static int frames(wsin *in, const char *host, int *got_output, bool *opened, na_err *e)
{
    for (;;) {
        if (in->len < 2)
            return 0;
        const unsigned char *b = (const unsigned char *)in->buf;
        int op = b[0] & 0x0f;
        uint64_t len = b[1] & 0x7f;
        size_t hl = 2;
        if (len == 126) {
            if (in->len < 4)
                return 0;
            len = (uint64_t)b[2] << 8 | b[3];
            hl = 4;
        } else if (len == 127) {
            if (in->len < 10)
                return 0;
            len = 0;
            for (int i = 0; i < 8; i++)
                len = len << 8 | b[2 + i];
            hl = 10;
        }
        if (b[1] & 0x80 || len > FRAME_MAX)
            return na_err_set(e, NA_E_PROTOCOL, "netautod sent a frame this client refuses");
        if (in->len < hl + len)
            return 0;
        const char *p = in->buf + hl;
        int closed = 0;
        if (op == 0x2 || op == 0x0) {
            if (write_all(STDOUT_FILENO, p, (size_t)len) < 0)
                return na_err_set(e, NA_E_IO, "writing to standard output: %s", strerror(errno));
            *got_output = 1;
        } else if (op == 0x1) {
            closed = status_frame(p, (size_t)len, host);
            if (closed == 2) { /* keystrokes from now on (none are taken before) */
                *opened = true;
                closed = 0;
                if (raw_mode() < 0)
                    return na_err_set(e, NA_E_IO, "cannot put the terminal in raw mode: %s",
                                      strerror(errno));
            }
        } else if (op == 0x8) {
            closed = 1;
        }
        memmove(in->buf, in->buf + hl + len, in->len - hl - (size_t)len);
        in->len -= hl + (size_t)len;
        if (closed)
            return 1;
    }
}

static int pump(na_remote_conn *c, const char *host, na_err *e)
{
    wsin in = {0};
    keys k = {.line_start = true};
    bool stdin_open = true, opened = false;
    int64_t idle_since = na_now_ms();
    int rc = -1;
    for (;;) {
        if (got_signal) {
            rc = 1;
            break;
        }
        if (!stdin_open && na_now_ms() - idle_since >= EOF_IDLE_MS) {
            send_frame(c, 0x8, "\x03\xe8", 2, e);
            rc = 0;
            break;
        }
        struct pollfd pf[2] = {{cli_remote_conn_fd(c), POLLIN, 0},
                               {stdin_open && opened ? STDIN_FILENO : -1, POLLIN, 0}};
        int n = cli_remote_conn_pending(c) ? 1 : poll(pf, 2, stdin_open && opened ? -1 : 200);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            na_err_set(e, NA_E_IO, "poll: %s", strerror(errno));
            break;
        }
        if (cli_remote_conn_pending(c) || pf[0].revents) {
            if (in.cap - in.len < 16384) {
                size_t cap = in.cap ? in.cap * 2 : 65536;
                char *nb = cap <= 2 * FRAME_MAX ? realloc(in.buf, cap) : NULL;
                if (!nb) {
                    na_err_set(e, NA_E_OVERFLOW, "a frame from netautod is too large");
                    break;
                }
                in.buf = nb;
                in.cap = cap;
            }
            int r =
                cli_remote_conn_read(c, in.buf + in.len, in.cap - in.len, na_now_ms() + 30000, e);
            if (r < 0)
                break;
            if (r == 0) {
                rc = 0;
                break;
            }
            in.len += (size_t)r;
            int out = 0;
            int f = frames(&in, host, &out, &opened, e);
            if (out)
                idle_since = na_now_ms();
            if (f != 0) {
                rc = f > 0 ? 0 : -1;
                break;
            }
        }
        if (stdin_open && opened && pf[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            char kb[4096], out[4096];
            ssize_t r = read(STDIN_FILENO, kb, sizeof kb);
            if (r < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (r <= 0) {
                stdin_open = false;
                idle_since = na_now_ms();
                continue;
            }
            long m = filter(&k, kb, (size_t)r, out);
            if (m < 0) {
                restore_tty();
                fprintf(stderr, "\r\nDisconnected from %s.\n", host);
                send_frame(c, 0x8, "\x03\xe8", 2, e);
                rc = 0;
                break;
            }
            if (!isatty(STDIN_FILENO)) /* lines from a pipe: a device wants CR */
                for (long i = 0; i < m; i++)
                    if (out[i] == '\n')
                        out[i] = '\r';
            if (m > 0 && send_frame(c, 0x2, out, (size_t)m, e) < 0)
                break;
        }
    }
    free(in.buf);
    return rc;
}

int cli_remote_shell_run(const na_remote *r, const char *host, const char *transport)
{
    na_err e = NA_ERR_INIT;
    json_t *body = transport ? json_pack("{s:s}", "transport", transport) : json_object();
    char *b = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    char *qh = strdup(host), path[1024];
    for (char *p = qh; p && *p; p++) /* the host name is one path segment */
        if (*p == '/' || *p == '?' || *p == '#' || *p == '%' || *p == ' ')
            *p = '_';
    snprintf(path, sizeof path, "%s/v1/shell/%s", r->prefix, qh ? qh : host);
    free(qh);
    na_http_resp resp = {0};
    int rc = cli_remote_request(r, "POST", path, b ? b : "{}", &resp, &e);
    free(b);
    if (rc < 0) {
        fprintf(stderr, "netauto: %s\n", e.msg);
        return 1;
    }
    json_t *j = json_loadb(na_buf_cstr(&resp.body), resp.body.len, 0, NULL);
    na_buf_free(&resp.body);
    if (resp.status != 200) {
        const char *m = json_string_value(json_object_get(j, "error"));
        fprintf(stderr, "netauto: netautod answered %d: %s\n", resp.status, m ? m : "?");
        json_decref(j);
        return resp.status == 400 ? 2 : 1;
    }
    const char *url = json_string_value(json_object_get(j, "url"));
    char req[2048];
    snprintf(req, sizeof req,
             "GET %s%s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: bmV0YXV0by1zaGVsbC0xMg==\r\nSec-WebSocket-Version: 13\r\n\r\n",
             r->prefix, url ? url : "/", r->host, r->port);
    json_decref(j);
    na_remote_conn *c = cli_remote_connect(r, &e);
    if (!c || cli_remote_conn_write(c, req, strlen(req), na_now_ms() + 30000, &e) < 0) {
        fprintf(stderr, "netauto: %s\n", e.msg);
        cli_remote_conn_free(c);
        return 1;
    }
    /* the answer's head, byte by byte (what follows it is the first frame) */
    char head[4096];
    size_t hl = 0;
    while (hl < sizeof head - 1 && (hl < 4 || memcmp(head + hl - 4, "\r\n\r\n", 4))) {
        int n = cli_remote_conn_read(c, head + hl, 1, na_now_ms() + 30000, &e);
        if (n <= 0) {
            fprintf(stderr, "netauto: %s\n", n < 0 ? e.msg : "netautod closed the connection");
            cli_remote_conn_free(c);
            return 1;
        }
        hl++;
    }
    head[hl] = '\0';
    if (strncmp(head, "HTTP/1.1 101", 12)) {
        fprintf(stderr, "netauto: netautod refused the terminal: %.*s\n",
                (int)strcspn(head, "\r\n"), head);
        cli_remote_conn_free(c);
        return 1;
    }
    struct sigaction sa = {.sa_handler = on_signal}, old_term, old_hup;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGHUP, &sa, &old_hup);
    rc = pump(c, host, &e);
    restore_tty();
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGHUP, &old_hup, NULL);
    if (rc < 0)
        fprintf(stderr, "\r\nnetauto: %s\n", e.msg);
    cli_remote_conn_free(c);
    return rc < 0 ? 1 : rc;
}
