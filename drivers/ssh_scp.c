/* ssh_scp.c — the SCP protocol over an exec channel of an open SSH transport (see ssh.h for why
 * not libssh2_scp_*): upload runs "scp -t PATH" on the device and sends "C<mode> <size> <name>",
 * the bytes and a zero byte, checking each acknowledgement; download runs "scp -f PATH",
 * acknowledges, reads the "C" header, refuses files over the size limit before any data, and
 * reads exactly that many bytes. Every step is resumable; the device's own error lines ("scp:
 * /x: Permission denied") become the error message. The local side and the deadlines are
 * ssh_xfer.c's. Not SFTP (ssh_sftp.c), not recursive. */
#include "ssh.h"
#include "ssh_int.h"

#include "clock.h"
#include "log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 32768

enum { T_START = 0, T_PROTO, T_EOF, T_DRAIN, T_CLOSE, T_DONE };
/* protocol sub-steps */
enum {
    U_ACK0 = 0, U_HDR, U_ACK1, U_DATA, U_END, U_ACK2,             /* upload */
    D_GO = 10, D_HDR, D_GO2, D_DATA, D_ACK, D_END,               /* download */
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

int na_ssh_scp_start(na_ssh_xfer *x, na_err *err)
{
    char *q = quote_path(x->remote);
    size_t cl = q ? strlen(q) + 16 : 0;
    x->scp.cmd = q ? malloc(cl) : NULL;
    if (!x->scp.cmd) {
        free(q);
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    }
    snprintf(x->scp.cmd, cl, "scp %s %s", x->upload ? "-t" : "-f", q);
    free(q);
    if (x->upload) {
        x->scp.sub = U_ACK0;
        if (!x->mem && !(x->scp.chunk = malloc(CHUNK)))
            return na_err_set(err, NA_E_NOMEM, "out of memory");
        const char *base = strrchr(x->remote, '/');
        base = base ? base + 1 : x->remote;
        const char *colon = strrchr(base, ':'); /* "flash:name" */
        if (colon)
            base = colon + 1;
        if (!*base)
            base = "file";
        int n = snprintf(x->scp.w, sizeof x->scp.w, "C%04o %" PRIu64 " %.500s\n", x->mode,
                         x->size, base);
        x->scp.wlen = (size_t)n < sizeof x->scp.w ? (size_t)n : sizeof x->scp.w - 1;
    } else {
        x->scp.sub = D_GO;
        x->scp.w[0] = '\0'; /* "ready" */
        x->scp.wlen = 1;
    }
    return 0;
}

/* ---- steps ------------------------------------------------------------------------------- */

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
        ssize_t n = libssh2_channel_read_stderr(x->scp.ch, buf, sizeof buf);
        if (n > 0) {
            size_t room = sizeof x->scp.errtxt - 1 - x->scp.errlen;
            size_t k = (size_t)n < room ? (size_t)n : room;
            memcpy(x->scp.errtxt + x->scp.errlen, buf, k);
            x->scp.errlen += k;
            x->scp.errtxt[x->scp.errlen] = '\0';
            continue;
        }
        if (n == 0 || na_ssh_again((int)n))
            return 0;
        return na_ssh_fail(x->c, (int)n, "SCP", err);
    }
}

/* Write w[woff..wlen). 1 done, 0 wait, -1 error. */
static int put_small(na_ssh_xfer *x, na_err *err)
{
    while (x->scp.woff < x->scp.wlen) {
        if (!na_ssh_can_send(x->c))
            return 0;
        ssize_t n = libssh2_channel_write(x->scp.ch, x->scp.w + x->scp.woff,
                                          x->scp.wlen - x->scp.woff);
        if (n > 0) {
            x->scp.woff += (size_t)n;
            continue;
        }
        if (n == 0 || na_ssh_again((int)n))
            return 0;
        return na_ssh_fail(x->c, (int)n, "SCP", err);
    }
    x->scp.woff = x->scp.wlen = 0;
    return 1;
}

static void set_small(na_ssh_xfer *x, const char *p, size_t n)
{
    memcpy(x->scp.w, p, n);
    x->scp.wlen = n;
    x->scp.woff = 0;
}

static int refused(na_ssh_xfer *x, const char *why, na_err *err)
{
    char msg[600];
    snprintf(msg, sizeof msg, "%s", why);
    trim(msg);
    if (!msg[0]) {
        snprintf(msg, sizeof msg, "%s", x->scp.errtxt);
        trim(msg);
    }
    if (na_err_isset(err)) /* the first error stands */
        return -1;
    /* the device's words exact, netauto's context masked of registered secrets */
    na_err_set_exact(err, NA_E_DEVICE, "%s", msg[0] ? msg : "no reason given");
    na_err_prefix(err, "%s: SCP %s %s refused by the device: ", x->c->who,
                  x->upload ? "upload to" : "download of", x->remote);
    return -1;
}

/* Read one protocol line (through '\n') into line. 1 done, 0 wait, -1 error. */
static int get_line(na_ssh_xfer *x, na_err *err)
{
    for (;;) {
        char ch;
        ssize_t n = libssh2_channel_read(x->scp.ch, &ch, 1);
        if (n == 1) {
            if (x->scp.line_len + 1 >= sizeof x->scp.line)
                return na_err_set(err, NA_E_PROTOCOL, "%s: SCP: protocol line too long",
                                  x->c->who);
            x->scp.line[x->scp.line_len++] = ch;
            x->scp.line[x->scp.line_len] = '\0';
            if (ch == '\n')
                return 1;
            continue;
        }
        if (na_ssh_again((int)n) || (n == 0 && libssh2_channel_eof(x->scp.ch) != 1))
            return 0;
        if (n == 0) {
            if (drain_stderr(x, err) < 0)
                return -1;
            return refused(x, x->scp.line_len ? x->scp.line : "", err);
        }
        return na_ssh_fail(x->c, (int)n, "SCP", err);
    }
}

/* Read an acknowledgement: a zero byte, or 1/2 followed by an error line. 1 ok, 0 wait, -1. */
static int get_ack(na_ssh_xfer *x, na_err *err)
{
    int r = x->scp.line_len ? get_line(x, err) : 0;
    if (!x->scp.line_len) {
        char ch;
        ssize_t n = libssh2_channel_read(x->scp.ch, &ch, 1);
        if (n == 1 && ch == '\0')
            return 1;
        if (n == 1) {
            x->scp.line[0] = ch;
            x->scp.line[1] = '\0';
            x->scp.line_len = 1;
            r = get_line(x, err);
        } else if (na_ssh_again((int)n) || (n == 0 && libssh2_channel_eof(x->scp.ch) != 1)) {
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
    return refused(x, x->scp.line + 1, err);
}

static int upload_step(na_ssh_xfer *x, bool *progress, uint64_t *budget, na_err *err)
{
    int r;
    switch (x->scp.sub) {
    case U_ACK0:
    case U_ACK1:
    case U_ACK2:
        if ((r = get_ack(x, err)) <= 0)
            return r;
        *progress = true;
        /* after the first acknowledgement the header (already in w) goes out */
        x->scp.sub = x->scp.sub == U_ACK0 ? U_HDR : x->scp.sub == U_ACK1 ? U_DATA : -1;
        return 1;
    case U_HDR:
    case U_END:
        if ((r = put_small(x, err)) <= 0)
            return r;
        *progress = true;
        x->scp.sub = x->scp.sub == U_HDR ? U_ACK1 : U_ACK2;
        return 1;
    case U_DATA:
        while (x->done < x->size) {
            if (*budget == 0) {
                x->more = true;
                return 0;
            }
            if (!x->mem && x->scp.chunk_off == x->scp.chunk_len) {
                ssize_t n = na_ssh_xfer_read_src(x, x->scp.chunk, CHUNK, err);
                if (n < 0)
                    return -1;
                x->scp.chunk_len = (size_t)n;
                x->scp.chunk_off = 0;
            }
            if (!na_ssh_can_send(x->c))
                return 0;
            const char *src;
            size_t len;
            if (x->mem) {
                src = (const char *)x->mem + x->done;
                uint64_t left = x->size - x->done;
                len = left < CHUNK ? (size_t)left : CHUNK;
            } else {
                src = x->scp.chunk + x->scp.chunk_off;
                len = x->scp.chunk_len - x->scp.chunk_off;
            }
            ssize_t n = libssh2_channel_write(x->scp.ch, src, len);
            if (n > 0) {
                if (!x->mem)
                    x->scp.chunk_off += (size_t)n;
                na_ssh_xfer_moved(x, src, (size_t)n);
                *budget = (uint64_t)n >= *budget ? 0 : *budget - (uint64_t)n;
                *progress = true;
                continue;
            }
            if (n == 0 || na_ssh_again((int)n))
                return 0;
            return na_ssh_fail(x->c, (int)n, "SCP upload", err);
        }
        set_small(x, "", 1);
        x->scp.sub = U_END;
        return 1;
    default:
        return 1;
    }
}

static int parse_header(na_ssh_xfer *x, na_err *err)
{
    char *l = x->scp.line;
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
    return na_ssh_xfer_open_dst(x, err);
}

static int download_step(na_ssh_xfer *x, bool *progress, uint64_t *budget, na_err *err)
{
    int r;
    switch (x->scp.sub) {
    case D_GO:
    case D_GO2:
    case D_END:
        if ((r = put_small(x, err)) <= 0)
            return r;
        *progress = true;
        x->scp.sub = x->scp.sub == D_GO ? D_HDR : x->scp.sub == D_GO2 ? D_DATA : -1;
        return 1;
    case D_HDR:
        if ((r = get_line(x, err)) <= 0)
            return r;
        *progress = true;
        if (x->scp.line[0] == 'T') { /* times line (only with -p): acknowledge, read on */
            x->scp.line_len = 0;
            set_small(x, "", 1);
            x->scp.sub = D_GO;
            return 1;
        }
        if (parse_header(x, err) < 0)
            return -1;
        x->scp.line_len = 0;
        set_small(x, "", 1);
        x->scp.sub = D_GO2;
        return 1;
    case D_DATA: {
        char buf[CHUNK];
        while (x->done < x->size) {
            if (*budget == 0) {
                x->more = true;
                return 0;
            }
            size_t want = x->size - x->done < CHUNK ? (size_t)(x->size - x->done) : CHUNK;
            ssize_t n = libssh2_channel_read(x->scp.ch, buf, want);
            if (n > 0) {
                *progress = true;
                if (na_ssh_xfer_write_dst(x, buf, (size_t)n, err) < 0)
                    return -1;
                *budget = (uint64_t)n >= *budget ? 0 : *budget - (uint64_t)n;
                continue;
            }
            if (na_ssh_again((int)n) || (n == 0 && libssh2_channel_eof(x->scp.ch) != 1))
                return 0;
            if (n == 0)
                return na_err_set(err, NA_E_CLOSED, "%s: SCP download of %s ended after %"
                                  PRIu64 " of %" PRIu64 " bytes", x->c->who, x->remote, x->done,
                                  x->size);
            return na_ssh_fail(x->c, (int)n, "SCP download", err);
        }
        x->scp.sub = D_ACK;
        return 1;
    }
    case D_ACK:
        if ((r = get_ack(x, err)) <= 0)
            return r;
        *progress = true;
        set_small(x, "", 1);
        x->scp.sub = D_END;
        return 1;
    default:
        return 1;
    }
}

na_status na_ssh_scp_step(na_ssh_xfer *x, na_err *err)
{
    na_ssh_conn *c = x->c;
    uint64_t budget = XFER_STEP_BUDGET;
    for (;;) {
        switch (x->scp.st) {
        case T_START: {
            na_status s = na_ssh_exec_begin(c, &x->scp.ch, &x->scp.stage, x->scp.cmd, err);
            if (s == NA_AGAIN)
                return NA_AGAIN;
            if (s != NA_OK)
                return NA_ERROR;
            na_ssh_xfer_progress(x);
            x->scp.st = T_PROTO;
            continue;
        }
        case T_PROTO: {
            bool progress = false;
            if (drain_stderr(x, err) < 0)
                return NA_ERROR;
            int r = x->upload ? upload_step(x, &progress, &budget, err)
                              : download_step(x, &progress, &budget, err);
            if (r < 0)
                return NA_ERROR;
            if (progress)
                na_ssh_xfer_progress(x);
            if (x->scp.sub == -1) {
                x->scp.st = T_EOF;
                continue;
            }
            if (x->more)
                return NA_AGAIN;
            if (r > 0 || progress)
                continue;
            if (c->peer_closed || c->wire_failed) {
                na_ssh_fail(c, LIBSSH2_ERROR_SOCKET_DISCONNECT, "SCP", err);
                return NA_ERROR;
            }
            return NA_AGAIN;
        }
        case T_EOF: {
            int rc = libssh2_channel_send_eof(x->scp.ch);
            if (na_ssh_again(rc))
                return NA_AGAIN;
            x->scp.st = T_DRAIN;
            continue;
        }
        case T_DRAIN: {
            char buf[256];
            if (drain_stderr(x, err) < 0)
                return NA_ERROR;
            ssize_t n;
            while ((n = libssh2_channel_read(x->scp.ch, buf, sizeof buf)) > 0)
                ;
            if (libssh2_channel_eof(x->scp.ch) == 1) {
                x->scp.st = T_CLOSE;
                continue;
            }
            if (n < 0 && !na_ssh_again((int)n)) {
                na_ssh_fail(c, (int)n, "SCP", err);
                return NA_ERROR;
            }
            return NA_AGAIN;
        }
        case T_CLOSE: {
            int rc = libssh2_channel_close(x->scp.ch);
            if (na_ssh_again(rc))
                return NA_AGAIN;
            x->scp.exit_status = libssh2_channel_get_exit_status(x->scp.ch);
            drain_stderr(x, NULL);
            libssh2_channel_free(x->scp.ch);
            x->scp.ch = NULL;
            if (x->scp.exit_status != 0) {
                char why[300];
                snprintf(why, sizeof why, "%s", x->scp.errtxt);
                trim(why);
                if (na_err_isset(err)) /* the first error stands */
                    return NA_ERROR;
                na_err_set_exact(err, NA_E_DEVICE, "%s", why); /* the device's words */
                na_err_prefix(err, "%s: SCP %s %s failed: remote scp exited with status %d%s",
                              c->who, x->upload ? "upload to" : "download of", x->remote,
                              x->scp.exit_status, why[0] ? ": " : "");
                return NA_ERROR;
            }
            if (na_ssh_xfer_finish_dst(x, err) < 0)
                return NA_ERROR;
            x->scp.st = T_DONE;
            return NA_OK;
        }
        default:
            return NA_OK;
        }
    }
}

void na_ssh_scp_abandon(na_ssh_xfer *x)
{
    if (x->scp.ch) {
        libssh2_channel_close(x->scp.ch); /* once; finished later by na_ssh_reap if it must wait */
        na_ssh_zombie(x->c, x->scp.ch);
        x->scp.ch = NULL;
    }
    free(x->scp.chunk);
    free(x->scp.cmd);
    x->scp.chunk = NULL;
    x->scp.cmd = NULL;
}
