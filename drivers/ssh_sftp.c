/* ssh_sftp.c — file transfer with SFTP (libssh2_sftp_*, non-blocking) on its own channel of an
 * open SSH transport (see ssh.h): start the "sftp" subsystem, open the remote file, for a
 * resumed upload find how much of it is there and continue from that offset, stream the bytes
 * (libssh2 pipelines the writes and reads; we hand it at most SFTP_WINDOW bytes at a time), close
 * the handle (where a full disk often shows) and shut the subsystem down. Transfers given up
 * half-way are finished in the background (closing a handle is the only way libssh2 frees it).
 * The local side and the deadlines are ssh_xfer.c's. Not SCP (ssh_scp.c); no directories. */
#include "ssh.h"
#include "ssh_int.h"

#include "log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* bytes handed to libssh2_sftp_write at once (it keeps that much in flight): bounded memory,
 * enough to keep a long fat pipe busy */
#define SFTP_WINDOW ((size_t)512 << 10)

enum { SF_INIT = 0, SF_OPEN, SF_STAT, SF_TRUNC, SF_DATA, SF_CLOSE, SF_SHUTDOWN, SF_DONE };

static const char *fx_text(unsigned long fx)
{
    switch (fx) {
    case LIBSSH2_FX_EOF: return "end of file";
    case LIBSSH2_FX_NO_SUCH_FILE: return "No such file or directory";
    case LIBSSH2_FX_PERMISSION_DENIED: return "Permission denied";
    case LIBSSH2_FX_FAILURE: return "failure (the device gave no reason)";
    case LIBSSH2_FX_BAD_MESSAGE: return "bad message";
    case LIBSSH2_FX_OP_UNSUPPORTED: return "operation not supported";
    case LIBSSH2_FX_NO_SUCH_PATH: return "No such file or directory";
    case LIBSSH2_FX_FILE_ALREADY_EXISTS: return "File exists";
    case LIBSSH2_FX_WRITE_PROTECT: return "write-protected";
    case LIBSSH2_FX_NO_MEDIA: return "no media";
    case LIBSSH2_FX_NO_SPACE_ON_FILESYSTEM: return "No space left on device";
    case LIBSSH2_FX_QUOTA_EXCEEDED: return "Disk quota exceeded";
    default: return "SFTP error";
    }
}

/* A failed libssh2 SFTP call: the device's SFTP status when there is one. */
static int sftp_fail(na_ssh_xfer *x, int rc, const char *doing, na_err *err)
{
    if (rc == LIBSSH2_ERROR_SFTP_PROTOCOL && x->sftp.sftp) {
        unsigned long fx = libssh2_sftp_last_error(x->sftp.sftp);
        return na_err_set(err, NA_E_DEVICE, "%s: SFTP %s %s: %s: %s (SFTP status %lu)",
                          x->c->who, x->upload ? "upload to" : "download of", x->remote, doing,
                          fx_text(fx), fx);
    }
    if (x->c->peer_closed || x->c->wire_failed)
        return na_ssh_fail(x->c, LIBSSH2_ERROR_SOCKET_DISCONNECT, "SFTP", err);
    return na_ssh_fail(x->c, rc, "SFTP", err);
}

int na_ssh_sftp_start(na_ssh_xfer *x, na_err *err)
{
    x->sftp.cap = SFTP_WINDOW;
    if (!(x->sftp.buf = malloc(x->sftp.cap)))
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    return 0;
}

/* libssh2 keeps SFTP set-up state per session: one transfer sets up at a time. */
static na_status init_step(na_ssh_xfer *x, na_err *err)
{
    na_ssh_conn *c = x->c;
    if (c->sftp_initing && c->sftp_initing != x)
        return NA_AGAIN;
    if (!na_ssh_can_send(c))
        return NA_AGAIN;
    c->sftp_initing = x;
    x->sftp.sftp = libssh2_sftp_init(c->sess);
    if (x->sftp.sftp) {
        c->sftp_initing = NULL;
        return NA_OK;
    }
    int rc = libssh2_session_last_errno(c->sess);
    if (na_ssh_again(rc))
        return NA_AGAIN;
    c->sftp_initing = NULL;
    if (c->peer_closed || c->wire_failed)
        return na_ssh_fail(c, LIBSSH2_ERROR_SOCKET_DISCONNECT, "SFTP", err), NA_ERROR;
    na_err_set(err, NA_E_DEVICE, "%s: the device refused SFTP (no SFTP server, or it is "
               "disabled): %s", c->who, na_ssh_last_error(c->sess));
    return NA_ERROR;
}

static na_status open_step(na_ssh_xfer *x, na_err *err)
{
    unsigned long flags = x->upload ? LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT |
                                          (x->resume ? 0 : LIBSSH2_FXF_TRUNC)
                                    : LIBSSH2_FXF_READ;
    x->sftp.fh = libssh2_sftp_open_ex(x->sftp.sftp, x->remote, (unsigned)strlen(x->remote),
                                      flags, x->upload ? x->mode & 0777 : 0,
                                      LIBSSH2_SFTP_OPENFILE);
    if (x->sftp.fh)
        return NA_OK;
    int rc = libssh2_session_last_errno(x->c->sess);
    if (na_ssh_again(rc))
        return NA_AGAIN;
    sftp_fail(x, rc, "cannot open the file", err);
    return NA_ERROR;
}

/* After open: an upload that may resume learns the remote size; a download learns size and
 * mode. */
static na_status stat_step(na_ssh_xfer *x, na_err *err)
{
    LIBSSH2_SFTP_ATTRIBUTES a;
    memset(&a, 0, sizeof a);
    int rc = libssh2_sftp_fstat_ex(x->sftp.fh, &a, 0);
    if (na_ssh_again(rc))
        return NA_AGAIN;
    if (rc) {
        sftp_fail(x, rc, "cannot read the file's size", err);
        return NA_ERROR;
    }
    if (!(a.flags & LIBSSH2_SFTP_ATTR_SIZE)) {
        na_err_set(err, NA_E_PROTOCOL, "%s: SFTP %s: the device did not say the file's size",
                   x->c->who, x->remote);
        return NA_ERROR;
    }
    if (!x->upload) {
        if ((a.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) &&
            !LIBSSH2_SFTP_S_ISREG(a.permissions)) {
            na_err_set(err, NA_E_DEVICE, "%s: SFTP download of %s: not a regular file",
                       x->c->who, x->remote);
            return NA_ERROR;
        }
        x->size = a.filesize;
        x->mode = (a.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) ? (int)(a.permissions & 07777)
                                                            : 0644;
        return na_ssh_xfer_open_dst(x, err) < 0 ? NA_ERROR : NA_OK;
    }
    if (a.filesize > x->size) { /* not a prefix of this source: start over */
        x->resumed_at = 0;
        x->sftp.st = SF_TRUNC;
        return NA_AGAIN;
    }
    x->resumed_at = a.filesize;
    if (a.filesize && na_ssh_xfer_seek_src(x, a.filesize, err) < 0)
        return NA_ERROR;
    libssh2_sftp_seek64(x->sftp.fh, a.filesize);
    x->done = a.filesize;
    if (a.filesize)
        NA_LOGI(x->c->who, "SFTP upload to %s resumes at byte %" PRIu64 " of %" PRIu64,
                x->remote, (uint64_t)a.filesize, x->size);
    return NA_OK;
}

static na_status trunc_step(na_ssh_xfer *x, na_err *err)
{
    LIBSSH2_SFTP_ATTRIBUTES a;
    memset(&a, 0, sizeof a);
    a.flags = LIBSSH2_SFTP_ATTR_SIZE;
    a.filesize = 0;
    int rc = libssh2_sftp_fsetstat(x->sftp.fh, &a);
    if (na_ssh_again(rc))
        return NA_AGAIN;
    if (rc) {
        sftp_fail(x, rc, "cannot truncate the partial file", err);
        return NA_ERROR;
    }
    libssh2_sftp_seek64(x->sftp.fh, 0);
    return NA_OK;
}

static na_status upload_data(na_ssh_xfer *x, bool *progress, na_err *err)
{
    uint64_t budget = XFER_STEP_BUDGET;
    for (;;) {
        uint64_t queued = x->done + x->sftp.buf_len;
        /* refill: new bytes go to libssh2 only while the wire queue is short */
        if (queued < x->size && x->sftp.buf_len < x->sftp.cap && na_ssh_can_send(x->c)) {
            ssize_t n = na_ssh_xfer_read_src(x, x->sftp.buf + x->sftp.buf_len,
                                             x->sftp.cap - x->sftp.buf_len, err);
            if (n < 0)
                return NA_ERROR;
            x->sftp.buf_len += (size_t)n;
        }
        if (x->sftp.buf_len == 0)
            return x->done >= x->size ? NA_OK : NA_AGAIN;
        ssize_t n = libssh2_sftp_write(x->sftp.fh, x->sftp.buf, x->sftp.buf_len);
        if (n > 0) {
            na_ssh_xfer_moved(x, x->sftp.buf, (size_t)n);
            memmove(x->sftp.buf, x->sftp.buf + n, x->sftp.buf_len - (size_t)n);
            x->sftp.buf_len -= (size_t)n;
            *progress = true;
            budget = (uint64_t)n >= budget ? 0 : budget - (uint64_t)n;
            if (budget == 0 && (x->done < x->size || x->sftp.buf_len)) {
                x->more = true;
                return NA_AGAIN;
            }
            continue;
        }
        if (n == 0 || na_ssh_again((int)n))
            return NA_AGAIN;
        sftp_fail(x, (int)n, "writing", err);
        return NA_ERROR;
    }
}

static na_status download_data(na_ssh_xfer *x, bool *progress, na_err *err)
{
    uint64_t budget = XFER_STEP_BUDGET;
    for (;;) {
        if (budget == 0) {
            x->more = true;
            return NA_AGAIN;
        }
        ssize_t n = libssh2_sftp_read(x->sftp.fh, x->sftp.buf, x->sftp.cap);
        if (n > 0) {
            if (x->done + (uint64_t)n > x->size) {
                na_err_set(err, NA_E_DEVICE, "%s: SFTP download of %s: the file grew while "
                           "it was read", x->c->who, x->remote);
                return NA_ERROR;
            }
            if (na_ssh_xfer_write_dst(x, x->sftp.buf, (size_t)n, err) < 0)
                return NA_ERROR;
            *progress = true;
            budget = (uint64_t)n >= budget ? 0 : budget - (uint64_t)n;
            continue;
        }
        if (n == 0) {
            if (x->done != x->size) {
                na_err_set(err, NA_E_DEVICE, "%s: SFTP download of %s ended after %" PRIu64
                           " of %" PRIu64 " bytes (the file shrank while it was read)",
                           x->c->who, x->remote, x->done, x->size);
                return NA_ERROR;
            }
            return NA_OK;
        }
        if (na_ssh_again((int)n))
            return NA_AGAIN;
        sftp_fail(x, (int)n, "reading", err);
        return NA_ERROR;
    }
}

na_status na_ssh_sftp_step(na_ssh_xfer *x, na_err *err)
{
    na_status s;
    for (;;) {
        switch (x->sftp.st) {
        case SF_INIT:
            if ((s = init_step(x, err)) != NA_OK)
                return s;
            na_ssh_xfer_progress(x);
            x->sftp.st = SF_OPEN;
            continue;
        case SF_OPEN:
            if ((s = open_step(x, err)) != NA_OK)
                return s;
            na_ssh_xfer_progress(x);
            x->sftp.st = x->upload && !x->resume ? SF_DATA : SF_STAT;
            continue;
        case SF_STAT:
            s = stat_step(x, err);
            if (s == NA_AGAIN && x->sftp.st == SF_TRUNC)
                continue;
            if (s != NA_OK)
                return s;
            na_ssh_xfer_progress(x);
            x->sftp.st = SF_DATA;
            continue;
        case SF_TRUNC:
            if ((s = trunc_step(x, err)) != NA_OK)
                return s;
            x->sftp.st = SF_DATA;
            continue;
        case SF_DATA: {
            bool progress = false;
            s = x->upload ? upload_data(x, &progress, err) : download_data(x, &progress, err);
            if (s == NA_ERROR)
                return s;
            if (s == NA_AGAIN) {
                if (x->c->peer_closed || x->c->wire_failed) {
                    na_ssh_fail(x->c, LIBSSH2_ERROR_SOCKET_DISCONNECT, "SFTP", err);
                    return NA_ERROR;
                }
                return s;
            }
            x->sftp.st = SF_CLOSE;
            continue;
        }
        case SF_CLOSE: {
            int rc = libssh2_sftp_close_handle(x->sftp.fh);
            if (na_ssh_again(rc))
                return NA_AGAIN;
            x->sftp.fh = NULL; /* freed by libssh2 whatever rc says */
            if (rc) {
                sftp_fail(x, rc, "closing the file", err);
                return NA_ERROR;
            }
            na_ssh_xfer_progress(x);
            x->sftp.st = SF_SHUTDOWN;
            continue;
        }
        case SF_SHUTDOWN: {
            LIBSSH2_CHANNEL *ch = libssh2_sftp_get_channel(x->sftp.sftp);
            int rc = libssh2_sftp_shutdown(x->sftp.sftp);
            if (na_ssh_again(rc))
                na_ssh_zombie(x->c, ch); /* its free frees the SFTP session too */
            x->sftp.sftp = NULL;
            if (na_ssh_xfer_finish_dst(x, err) < 0)
                return NA_ERROR;
            x->sftp.st = SF_DONE;
            return NA_OK;
        }
        default:
            return NA_OK;
        }
    }
}

/* ---- giving up ----------------------------------------------------------------------------- */

/* One non-blocking attempt to end an abandoned transfer; true when nothing is left. */
static bool end_one(na_ssh_conn *c, na_ssh_sftp_zombie *z)
{
    if (z->fh) {
        if (libssh2_sftp_close_handle(z->fh) == LIBSSH2_ERROR_EAGAIN && !c->dead)
            return false;
        z->fh = NULL;
    }
    if (z->sftp) {
        LIBSSH2_CHANNEL *ch = libssh2_sftp_get_channel(z->sftp);
        if (libssh2_sftp_shutdown(z->sftp) == LIBSSH2_ERROR_EAGAIN && !c->dead)
            na_ssh_zombie(c, ch);
        z->sftp = NULL;
    }
    return true;
}

void na_ssh_sftp_abandon(na_ssh_xfer *x)
{
    na_ssh_conn *c = x->c;
    if (c->sftp_initing == x) {
        /* libssh2's set-up state is the session's: finish it in the background */
        c->sftp_initing = &c->sftp_initing;
    }
    if (x->sftp.fh || x->sftp.sftp) {
        na_ssh_sftp_zombie z = {.sftp = x->sftp.sftp, .fh = x->sftp.fh};
        if (!end_one(c, &z)) {
            if (c->nsftp_zombie < MAX_SFTP_ZOMBIES)
                c->sftp_zombie[c->nsftp_zombie++] = z;
            /* else: the handle's memory goes with the session (libssh2 cannot free it) */
        }
    }
    x->sftp.fh = NULL;
    x->sftp.sftp = NULL;
    free(x->sftp.buf);
    x->sftp.buf = NULL;
}

void na_ssh_sftp_reap(na_ssh_conn *c)
{
    if (c->sftp_initing == &c->sftp_initing) { /* an orphaned set-up */
        LIBSSH2_SFTP *s = libssh2_sftp_init(c->sess);
        if (s || !na_ssh_again(libssh2_session_last_errno(c->sess))) {
            c->sftp_initing = NULL;
            if (s) {
                na_ssh_sftp_zombie z = {.sftp = s};
                end_one(c, &z);
            }
        }
    }
    for (int i = 0; i < c->nsftp_zombie;) {
        if (!end_one(c, &c->sftp_zombie[i])) {
            i++;
            continue;
        }
        c->sftp_zombie[i] = c->sftp_zombie[--c->nsftp_zombie];
    }
}

void na_ssh_sftp_drop_all(na_ssh_conn *c)
{
    /* c->dead: every send and receive fails at once, so each ends in one call */
    for (int i = 0; i < c->nsftp_zombie; i++)
        end_one(c, &c->sftp_zombie[i]);
    c->nsftp_zombie = 0;
}
