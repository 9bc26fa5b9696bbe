/* ssh_scp.c — file transfer with the SCP protocol over an exec channel of an open SSH transport
 * (see ssh.h for why not libssh2_scp_*): upload runs "scp -t PATH" on the device and sends
 * "C<mode> <size> <name>", the bytes and a zero byte, checking each acknowledgement; download
 * runs "scp -f PATH", acknowledges, reads the "C" header, refuses files over the size limit
 * before any data, and reads exactly that many bytes. Every step is resumable with a deadline;
 * the device's own error lines ("scp: /x: Permission denied") become the error message.
 * Local files are read and written with ordinary (blocking) disk I/O. Not SFTP, not recursive. */
#include "ssh.h"
#include "ssh_int.h"

#include "clock.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_MAX_GET ((uint64_t)64 << 20)
#define CHUNK 32768
#define MSG_MAX 256

enum { T_START = 0, T_PROTO, T_EOF, T_DRAIN, T_CLOSE, T_DONE, T_FAILED };
/* protocol sub-steps */
enum {
    U_ACK0 = 0, U_HDR, U_ACK1, U_DATA, U_END, U_ACK2,             /* upload */
    D_GO = 10, D_HDR, D_GO2, D_DATA, D_ACK, D_END,               /* download */
};

struct na_ssh_xfer {
    na_ssh_conn *c;
    bool upload;
    char *remote, *cmd;
    int st, stage, sub;
    LIBSSH2_CHANNEL *ch;
    int timeout_ms;
    int64_t deadline;
    uint64_t size, done, max;
    int mode;
    /* upload source */
    int in_fd;
    const unsigned char *mem;
    char *chunk;
    size_t chunk_len, chunk_off;
    /* small protocol writes (header line, zero bytes) */
    char w[600];
    size_t wlen, woff;
    /* protocol lines read from the device (header, error) */
    char line[1024];
    size_t line_len;
    /* download destination */
    char *local, *tmp;
    int out_fd;
    na_buf data;
    /* stderr of the remote scp (kept short, for messages) */
    char errtxt[MSG_MAX];
    size_t errlen;
    int exit_status;
};

/* A path as one shell word: unchanged when it is plain (device paths like flash:/x stay as
 * they are), single-quoted otherwise. */
static char *quote_path(const char *p)
{
    bool plain = *p != '\0';
    for (const char *s = p; *s; s++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:+@%=,-~",
                    *s))
            plain = false;
    size_t n = strlen(p);
    char *q = malloc(n * 4 + 3);
    if (!q)
        return NULL;
    if (plain) {
        memcpy(q, p, n + 1);
        return q;
    }
    char *o = q;
    *o++ = '\'';
    for (const char *s = p; *s; s++) {
        if (*s == '\'') {
            memcpy(o, "'\\''", 4);
            o += 4;
        } else {
            *o++ = *s;
        }
    }
    *o++ = '\'';
    *o = '\0';
    return q;
}

static na_ssh_xfer *xfer_new(na_transport *t, const char *remote, bool upload, int timeout_ms,
                             na_err *err)
{
    const char *what = upload ? "SCP upload" : "SCP download";
    if (na_ssh_usable(t, what, err) < 0)
        return NULL;
    if (!remote || !*remote || strchr(remote, '\n')) {
        na_err_set(err, NA_E_USAGE, "%s: bad remote path", what);
        return NULL;
    }
    na_ssh_xfer *x = calloc(1, sizeof *x);
    char *q = quote_path(remote);
    if (!x || !q) {
        free(x);
        free(q);
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    x->c = na_ssh_of(t);
    x->upload = upload;
    x->in_fd = -1;
    x->out_fd = -1;
    x->exit_status = -1;
    x->remote = strdup(remote);
    size_t cl = strlen(q) + 16;
    x->cmd = malloc(cl);
    if (x->cmd)
        snprintf(x->cmd, cl, "scp %s %s", upload ? "-t" : "-f", q);
    free(q);
    x->timeout_ms = na_ssh_timeout_of(x->c, timeout_ms);
    x->deadline = na_now_ms() + x->timeout_ms;
    x->sub = upload ? U_ACK0 : D_GO;
    na_buf_init(&x->data, 1);
    x->c->children++;
    if (!x->remote || !x->cmd) {
        na_ssh_xfer_free(x);
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    return x;
}

na_ssh_xfer *na_ssh_put_start(na_transport *t, const char *remote_path, const na_ssh_put_opts *o,
                              na_err *err)
{
    if (!o || (!o->local_path && !o->data && o->len)) {
        na_err_set(err, NA_E_USAGE, "SCP upload: no source (local_path or data)");
        return NULL;
    }
    na_ssh_xfer *x = xfer_new(t, remote_path, true, o->timeout_ms, err);
    if (!x)
        return NULL;
    x->mode = o->mode & 07777;
    if (o->local_path) {
        x->in_fd = open(o->local_path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (x->in_fd < 0 || fstat(x->in_fd, &st) < 0 || !S_ISREG(st.st_mode)) {
            na_err_set(err, NA_E_IO, "%s: cannot upload %s: %s", x->c->who, o->local_path,
                       x->in_fd < 0 ? strerror(errno) : "not a regular file");
            na_ssh_xfer_free(x);
            return NULL;
        }
        x->size = (uint64_t)st.st_size;
        if (!x->mode)
            x->mode = (int)(st.st_mode & 0777);
        x->chunk = malloc(CHUNK);
        if (!x->chunk) {
            na_ssh_xfer_free(x);
            na_err_set(err, NA_E_NOMEM, "out of memory");
            return NULL;
        }
    } else {
        x->mem = o->data;
        x->size = o->len;
    }
    if (!x->mode)
        x->mode = 0644;
    const char *base = strrchr(remote_path, '/');
    base = base ? base + 1 : remote_path;
    const char *colon = strrchr(base, ':'); /* "flash:name" */
    if (colon)
        base = colon + 1;
    if (!*base)
        base = "file";
    int n = snprintf(x->w, sizeof x->w, "C%04o %" PRIu64 " %.500s\n", x->mode, x->size, base);
    x->wlen = (size_t)n < sizeof x->w ? (size_t)n : sizeof x->w - 1;
    NA_LOGD(x->c->who, "SCP upload of %" PRIu64 " bytes to %s", x->size, remote_path);
    return x;
}

na_ssh_xfer *na_ssh_get_start(na_transport *t, const char *remote_path, const na_ssh_get_opts *o,
                              na_err *err)
{
    static const na_ssh_get_opts none;
    if (!o)
        o = &none;
    na_ssh_xfer *x = xfer_new(t, remote_path, false, o->timeout_ms, err);
    if (!x)
        return NULL;
    x->max = o->max_bytes ? o->max_bytes : DEFAULT_MAX_GET;
    if (o->local_path) {
        x->local = strdup(o->local_path);
        size_t tl = strlen(o->local_path) + 40;
        x->tmp = malloc(tl);
        if (!x->local || !x->tmp) {
            na_ssh_xfer_free(x);
            na_err_set(err, NA_E_NOMEM, "out of memory");
            return NULL;
        }
        snprintf(x->tmp, tl, "%s.netauto-part-%ld", o->local_path, (long)getpid());
    }
    x->w[0] = '\0'; /* "ready" */
    x->wlen = 1;
    NA_LOGD(x->c->who, "SCP download of %s", remote_path);
    return x;
}

/* ---- steps ------------------------------------------------------------------------------- */

static na_status failed(na_ssh_xfer *x)
{
    x->st = T_FAILED;
    if (x->out_fd >= 0) {
        close(x->out_fd);
        x->out_fd = -1;
        unlink(x->tmp);
    }
    return NA_ERROR;
}

static na_status wait_or_timeout(na_ssh_xfer *x, na_err *err)
{
    if (na_now_ms() < x->deadline)
        return NA_AGAIN;
    na_err_set(err, NA_E_TIMEOUT, "%s: SCP %s of %s did not finish within %.1f s (%" PRIu64
               " of %" PRIu64 " bytes moved)", x->c->who, x->upload ? "upload" : "download",
               x->remote, x->timeout_ms / 1000.0, x->done, x->size);
    return failed(x);
}

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
        s[--n] = '\0';
}

/* Keep the start of the remote scp's stderr for messages; never block on it. */
static int drain_stderr(na_ssh_xfer *x, na_err *err)
{
    char buf[1024];
    for (;;) {
        ssize_t n = libssh2_channel_read_stderr(x->ch, buf, sizeof buf);
        if (n > 0) {
            size_t room = sizeof x->errtxt - 1 - x->errlen;
            size_t k = (size_t)n < room ? (size_t)n : room;
            memcpy(x->errtxt + x->errlen, buf, k);
            x->errlen += k;
            x->errtxt[x->errlen] = '\0';
            continue;
        }
        if (n == 0 || na_ssh_again((int)n))
            return 0;
        return na_ssh_fail(x->c, (int)n, "SCP", err);
    }
}

/* Write x->w[woff..wlen). 1 done, 0 wait, -1 error. */
static int put_small(na_ssh_xfer *x, na_err *err)
{
    while (x->woff < x->wlen) {
        if (!na_ssh_can_send(x->c))
            return 0;
        ssize_t n = libssh2_channel_write(x->ch, x->w + x->woff, x->wlen - x->woff);
        if (n > 0) {
            x->woff += (size_t)n;
            continue;
        }
        if (n == 0 || na_ssh_again((int)n))
            return 0;
        return na_ssh_fail(x->c, (int)n, "SCP", err);
    }
    x->woff = x->wlen = 0;
    return 1;
}

static void set_small(na_ssh_xfer *x, const char *p, size_t n)
{
    memcpy(x->w, p, n);
    x->wlen = n;
    x->woff = 0;
}

static int refused(na_ssh_xfer *x, const char *why, na_err *err)
{
    char msg[600];
    snprintf(msg, sizeof msg, "%s", why);
    trim(msg);
    if (!msg[0]) {
        snprintf(msg, sizeof msg, "%s", x->errtxt);
        trim(msg);
    }
    return na_err_set(err, NA_E_DEVICE, "%s: SCP %s %s refused by the device: %s", x->c->who,
                      x->upload ? "upload to" : "download of", x->remote,
                      msg[0] ? msg : "no reason given");
}

/* Read one protocol line (through '\n') into x->line. 1 done, 0 wait, -1 error. */
static int get_line(na_ssh_xfer *x, na_err *err)
{
    for (;;) {
        char ch;
        ssize_t n = libssh2_channel_read(x->ch, &ch, 1);
        if (n == 1) {
            if (x->line_len + 1 >= sizeof x->line)
                return na_err_set(err, NA_E_PROTOCOL, "%s: SCP: protocol line too long",
                                  x->c->who);
            x->line[x->line_len++] = ch;
            x->line[x->line_len] = '\0';
            if (ch == '\n')
                return 1;
            continue;
        }
        if (na_ssh_again((int)n) || (n == 0 && libssh2_channel_eof(x->ch) != 1))
            return 0;
        if (n == 0) {
            if (drain_stderr(x, err) < 0)
                return -1;
            return refused(x, x->line_len ? x->line : "", err);
        }
        return na_ssh_fail(x->c, (int)n, "SCP", err);
    }
}

/* Read an acknowledgement: a zero byte, or 1/2 followed by an error line. 1 ok, 0 wait, -1. */
static int get_ack(na_ssh_xfer *x, na_err *err)
{
    int r = x->line_len ? get_line(x, err) : 0;
    if (!x->line_len) {
        char ch;
        ssize_t n = libssh2_channel_read(x->ch, &ch, 1);
        if (n == 1 && ch == '\0')
            return 1;
        if (n == 1) {
            x->line[0] = ch;
            x->line[1] = '\0';
            x->line_len = 1;
            r = get_line(x, err);
        } else if (na_ssh_again((int)n) || (n == 0 && libssh2_channel_eof(x->ch) != 1)) {
            return 0;
        } else if (n == 0) {
            if (drain_stderr(x, err) < 0)
                return -1;
            return refused(x, "", err);
        } else {
            return na_ssh_fail(x->c, (int)n, "SCP", err);
        }
    }
    if (r <= 0)
        return r;
    /* a whole error line: "\1scp: /x: Permission denied\n" */
    return refused(x, x->line + 1, err);
}

static int upload_step(na_ssh_xfer *x, bool *progress, na_err *err)
{
    int r;
    switch (x->sub) {
    case U_ACK0:
    case U_ACK1:
    case U_ACK2:
        if ((r = get_ack(x, err)) <= 0)
            return r;
        *progress = true;
        /* after the first acknowledgement the header (already in x->w) goes out */
        x->sub = x->sub == U_ACK0 ? U_HDR : x->sub == U_ACK1 ? U_DATA : -1;
        return 1;
    case U_HDR:
    case U_END:
        if ((r = put_small(x, err)) <= 0)
            return r;
        *progress = true;
        x->sub = x->sub == U_HDR ? U_ACK1 : U_ACK2;
        return 1;
    case U_DATA:
        while (x->done < x->size) {
            if (x->chunk_off == x->chunk_len) {
                size_t want = x->size - x->done < CHUNK ? (size_t)(x->size - x->done) : CHUNK;
                if (x->mem) {
                    x->chunk_len = want; /* sent straight from the caller's memory */
                } else {
                    ssize_t n = read(x->in_fd, x->chunk, want);
                    if (n <= 0)
                        return na_err_set(err, NA_E_IO, "%s: reading the local file for %s: "
                                          "%s", x->c->who, x->remote,
                                          n < 0 ? strerror(errno) : "file shrank");
                    x->chunk_len = (size_t)n;
                }
                x->chunk_off = 0;
            }
            if (!na_ssh_can_send(x->c))
                return 0;
            const char *src = x->mem ? (const char *)x->mem + x->done
                                     : x->chunk + x->chunk_off;
            ssize_t n = libssh2_channel_write(x->ch, src, x->chunk_len - x->chunk_off);
            if (n > 0) {
                x->chunk_off += (size_t)n;
                x->done += (uint64_t)n;
                *progress = true;
                if (x->mem && x->chunk_off == x->chunk_len)
                    x->chunk_off = x->chunk_len = 0;
                continue;
            }
            if (n == 0 || na_ssh_again((int)n))
                return 0;
            return na_ssh_fail(x->c, (int)n, "SCP upload", err);
        }
        set_small(x, "", 1);
        x->sub = U_END;
        return 1;
    default:
        return 1;
    }
}

static int parse_header(na_ssh_xfer *x, na_err *err)
{
    char *l = x->line;
    if (l[0] == '\1' || l[0] == '\2')
        return refused(x, l + 1, err);
    unsigned mode = 0;
    unsigned long long size = 0;
    int pos = 0;
    if (l[0] != 'C' || sscanf(l + 1, "%o %llu %n", &mode, &size, &pos) < 2 || pos <= 0)
        return na_err_set(err, NA_E_PROTOCOL, "%s: SCP download of %s: unexpected reply "
                          "\"%.60s\" (a directory?)", x->c->who, x->remote, l);
    x->mode = (int)(mode & 07777);
    x->size = size;
    if (x->size > x->max)
        return na_err_set(err, NA_E_OVERFLOW, "%s: %s is %" PRIu64 " bytes, more than the "
                          "download limit of %" PRIu64 " bytes (max_bytes)", x->c->who,
                          x->remote, x->size, x->max);
    if (x->tmp) {
        x->out_fd = open(x->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (x->out_fd < 0)
            return na_err_set(err, NA_E_IO, "%s: cannot write %s: %s", x->c->who, x->tmp,
                              strerror(errno));
    } else {
        na_buf_init(&x->data, (size_t)x->size + 1);
    }
    return 1;
}

static int download_step(na_ssh_xfer *x, bool *progress, na_err *err)
{
    int r;
    switch (x->sub) {
    case D_GO:
    case D_GO2:
    case D_END:
        if ((r = put_small(x, err)) <= 0)
            return r;
        *progress = true;
        x->sub = x->sub == D_GO ? D_HDR : x->sub == D_GO2 ? D_DATA : -1;
        return 1;
    case D_HDR:
        if ((r = get_line(x, err)) <= 0)
            return r;
        *progress = true;
        if (x->line[0] == 'T') { /* times line (only with -p): acknowledge, read on */
            x->line_len = 0;
            set_small(x, "", 1);
            x->sub = D_GO;
            return 1;
        }
        if (parse_header(x, err) < 0)
            return -1;
        x->line_len = 0;
        set_small(x, "", 1);
        x->sub = D_GO2;
        return 1;
    case D_DATA: {
        char buf[CHUNK];
        while (x->done < x->size) {
            size_t want = x->size - x->done < CHUNK ? (size_t)(x->size - x->done) : CHUNK;
            ssize_t n = libssh2_channel_read(x->ch, buf, want);
            if (n > 0) {
                *progress = true;
                if (x->out_fd >= 0) {
                    for (ssize_t off = 0; off < n;) {
                        ssize_t w = write(x->out_fd, buf + off, (size_t)(n - off));
                        if (w < 0 && errno == EINTR)
                            continue;
                        if (w < 0)
                            return na_err_set(err, NA_E_IO, "%s: writing %s: %s", x->c->who,
                                              x->tmp, strerror(errno));
                        off += w;
                    }
                } else if (na_buf_append(&x->data, buf, (size_t)n, "download", err) < 0) {
                    return -1;
                }
                x->done += (uint64_t)n;
                continue;
            }
            if (na_ssh_again((int)n) || (n == 0 && libssh2_channel_eof(x->ch) != 1))
                return 0;
            if (n == 0)
                return na_err_set(err, NA_E_CLOSED, "%s: SCP download of %s ended after %"
                                  PRIu64 " of %" PRIu64 " bytes", x->c->who, x->remote, x->done,
                                  x->size);
            return na_ssh_fail(x->c, (int)n, "SCP download", err);
        }
        x->sub = D_ACK;
        return 1;
    }
    case D_ACK:
        if ((r = get_ack(x, err)) <= 0)
            return r;
        *progress = true;
        set_small(x, "", 1);
        x->sub = D_END;
        return 1;
    default:
        return 1;
    }
}

static int finish_local(na_ssh_xfer *x, na_err *err)
{
    if (x->out_fd < 0)
        return 0;
    int mode = (x->mode & 0755) | 0600;
    fchmod(x->out_fd, (mode_t)mode);
    int rc = close(x->out_fd);
    x->out_fd = -1;
    if (rc < 0 || rename(x->tmp, x->local) < 0) {
        int e = errno;
        unlink(x->tmp);
        return na_err_set(err, NA_E_IO, "%s: cannot write %s: %s", x->c->who, x->local,
                          strerror(e));
    }
    return 0;
}

na_status na_ssh_xfer_step(na_ssh_xfer *x, na_err *err)
{
    na_ssh_conn *c = x->c;
    if (x->st == T_DONE)
        return NA_OK;
    if (x->st == T_FAILED)
        return na_err_set(err, NA_E_INTERNAL, "%s: transfer already failed", c->who), NA_ERROR;
    if (na_ssh_pump(c, err) < 0)
        return failed(x);
    na_ssh_reap(c);
    for (;;) {
        switch (x->st) {
        case T_START: {
            na_status s = na_ssh_exec_begin(c, &x->ch, &x->stage, x->cmd, err);
            if (s == NA_AGAIN)
                return wait_or_timeout(x, err);
            if (s != NA_OK)
                return failed(x);
            x->st = T_PROTO;
            continue;
        }
        case T_PROTO: {
            bool progress = false;
            if (drain_stderr(x, err) < 0)
                return failed(x);
            int r = x->upload ? upload_step(x, &progress, err) : download_step(x, &progress, err);
            if (r < 0)
                return failed(x);
            if (x->sub == -1) {
                x->st = T_EOF;
                continue;
            }
            if (r > 0 || progress)
                continue;
            if (c->peer_closed || c->wire_failed) {
                na_ssh_fail(c, LIBSSH2_ERROR_SOCKET_DISCONNECT, "SCP", err);
                return failed(x);
            }
            return wait_or_timeout(x, err);
        }
        case T_EOF: {
            int rc = libssh2_channel_send_eof(x->ch);
            if (na_ssh_again(rc))
                return wait_or_timeout(x, err);
            x->st = T_DRAIN;
            continue;
        }
        case T_DRAIN: {
            char buf[256];
            if (drain_stderr(x, err) < 0)
                return failed(x);
            ssize_t n;
            while ((n = libssh2_channel_read(x->ch, buf, sizeof buf)) > 0)
                ;
            if (libssh2_channel_eof(x->ch) == 1) {
                x->st = T_CLOSE;
                continue;
            }
            if (n < 0 && !na_ssh_again((int)n)) {
                na_ssh_fail(c, (int)n, "SCP", err);
                return failed(x);
            }
            return wait_or_timeout(x, err);
        }
        case T_CLOSE: {
            int rc = libssh2_channel_close(x->ch);
            if (na_ssh_again(rc))
                return wait_or_timeout(x, err);
            x->exit_status = libssh2_channel_get_exit_status(x->ch);
            drain_stderr(x, NULL);
            libssh2_channel_free(x->ch);
            x->ch = NULL;
            if (x->exit_status != 0) {
                char why[300];
                snprintf(why, sizeof why, "%s", x->errtxt);
                trim(why);
                na_err_set(err, NA_E_DEVICE, "%s: SCP %s %s failed: remote scp exited with "
                           "status %d%s%s", c->who, x->upload ? "upload to" : "download of",
                           x->remote, x->exit_status, why[0] ? ": " : "", why);
                return failed(x);
            }
            if (finish_local(x, err) < 0)
                return failed(x);
            x->st = T_DONE;
            NA_LOGD(c->who, "SCP %s %s done: %" PRIu64 " bytes",
                    x->upload ? "upload to" : "download of", x->remote, x->done);
            return NA_OK;
        }
        default:
            return NA_ERROR;
        }
    }
}

int64_t na_ssh_xfer_deadline(const na_ssh_xfer *x) { return x->deadline; }
uint64_t na_ssh_xfer_bytes(const na_ssh_xfer *x) { return x->done; }
uint64_t na_ssh_xfer_size(const na_ssh_xfer *x) { return x->size; }
int na_ssh_xfer_mode(const na_ssh_xfer *x) { return x->mode; }
const na_buf *na_ssh_xfer_data(const na_ssh_xfer *x) { return &x->data; }

void na_ssh_xfer_free(na_ssh_xfer *x)
{
    if (!x)
        return;
    if (x->ch) {
        libssh2_channel_close(x->ch); /* once; finished later by na_ssh_reap if it must wait */
        na_ssh_zombie(x->c, x->ch);
    }
    if (x->out_fd >= 0) {
        close(x->out_fd);
        unlink(x->tmp);
    }
    if (x->in_fd >= 0)
        close(x->in_fd);
    x->c->children--;
    na_buf_free(&x->data);
    free(x->chunk);
    free(x->remote);
    free(x->cmd);
    free(x->local);
    free(x->tmp);
    free(x);
}

static na_status drive(na_transport *t, na_ssh_xfer *x, na_err *err)
{
    na_status s;
    while ((s = na_ssh_xfer_step(x, err)) == NA_AGAIN)
        if (na_transport_wait(t, x->deadline, err) < 0)
            return NA_ERROR;
    return s;
}

na_status na_ssh_put(na_transport *t, const char *remote_path, const na_ssh_put_opts *o,
                     na_err *err)
{
    na_ssh_xfer *x = na_ssh_put_start(t, remote_path, o, err);
    if (!x)
        return NA_ERROR;
    na_status s = drive(t, x, err);
    na_ssh_xfer_free(x);
    return s;
}

na_status na_ssh_get(na_transport *t, const char *remote_path, const na_ssh_get_opts *o,
                     na_buf *out, na_err *err)
{
    na_ssh_xfer *x = na_ssh_get_start(t, remote_path, o, err);
    if (!x)
        return NA_ERROR;
    na_status s = drive(t, x, err);
    if (s == NA_OK && out && !x->tmp &&
        na_buf_append(out, x->data.data ? x->data.data : "", x->data.len, "download", err) < 0)
        s = NA_ERROR;
    na_ssh_xfer_free(x);
    return s;
}
