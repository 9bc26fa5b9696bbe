/* ssh_xfer.c — what every file transfer of the SSH transport shares, whatever the protocol (see
 * ssh.h): the local side (a source file read in pieces, or bytes in memory; a destination written
 * to a part file renamed into place when complete, or in place, or collected in memory), the
 * payload count and tap, the whole-transfer and stall deadlines, the public step/free functions
 * that hand over to SCP (ssh_scp.c) or SFTP (ssh_sftp.c), and the blocking wrappers. Local files
 * use ordinary (blocking) disk I/O. Not a protocol implementation. */
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
#include <sys/statvfs.h>
#include <unistd.h>

#define DEFAULT_MAX_GET ((uint64_t)64 << 20)

const char *na_xfer_proto_name(na_xfer_proto p) { return p == NA_XFER_SFTP ? "sftp" : "scp"; }

static na_ssh_xfer *xfer_new(na_transport *t, const char *remote, bool upload,
                             na_xfer_proto proto, int timeout_ms, int stall_ms, na_err *err)
{
    char what[48];
    snprintf(what, sizeof what, "%s %s", proto == NA_XFER_SFTP ? "SFTP" : "SCP",
             upload ? "upload" : "download");
    if (na_ssh_usable(t, what, err) < 0)
        return NULL;
    if (!remote || !*remote || strpbrk(remote, "\r\n")) {
        na_err_set(err, NA_E_USAGE, "%s: bad remote path", what);
        return NULL;
    }
    if (proto != NA_XFER_SCP && proto != NA_XFER_SFTP) {
        na_err_set(err, NA_E_USAGE, "file transfer: unknown protocol");
        return NULL;
    }
    na_ssh_xfer *x = calloc(1, sizeof *x);
    if (!x || !(x->remote = strdup(remote))) {
        free(x);
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    x->c = na_ssh_of(t);
    x->proto = proto;
    x->upload = upload;
    x->in_fd = -1;
    x->out_fd = -1;
    x->scp.exit_status = -1;
    x->timeout_ms = na_ssh_timeout_of(x->c, timeout_ms);
    x->stall_ms = stall_ms > 0 ? stall_ms : 0;
    x->deadline = na_now_ms() + x->timeout_ms;
    x->last_move_ms = na_now_ms();
    na_buf_init(&x->data, 1);
    x->c->children++;
    return x;
}

static int proto_start(na_ssh_xfer *x, na_err *err)
{
    return x->proto == NA_XFER_SFTP ? na_ssh_sftp_start(x, err) : na_ssh_scp_start(x, err);
}

na_ssh_xfer *na_ssh_put_start(na_transport *t, const char *remote_path, const na_ssh_put_opts *o,
                              na_err *err)
{
    if (!o || (!o->local_path && !o->data && o->len)) {
        na_err_set(err, NA_E_USAGE, "upload: no source (local_path or data)");
        return NULL;
    }
    na_ssh_xfer *x = xfer_new(t, remote_path, true, o->proto, o->timeout_ms, o->stall_ms, err);
    if (!x)
        return NULL;
    x->mode = o->mode & 07777;
    x->tap = o->tap;
    x->tap_ud = o->tap_ud;
    x->resume = o->resume && o->proto == NA_XFER_SFTP;
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
    } else {
        x->mem = o->data;
        x->size = o->len;
    }
    if (!x->mode)
        x->mode = 0644;
    if (proto_start(x, err) < 0) {
        na_ssh_xfer_free(x);
        return NULL;
    }
    NA_LOGD(x->c->who, "%s upload of %" PRIu64 " bytes to %s", na_xfer_proto_name(x->proto),
            x->size, remote_path);
    return x;
}

na_ssh_xfer *na_ssh_get_start(na_transport *t, const char *remote_path, const na_ssh_get_opts *o,
                              na_err *err)
{
    static const na_ssh_get_opts none;
    if (!o)
        o = &none;
    na_ssh_xfer *x = xfer_new(t, remote_path, false, o->proto, o->timeout_ms, o->stall_ms, err);
    if (!x)
        return NULL;
    x->max = o->max_bytes ? o->max_bytes : DEFAULT_MAX_GET;
    x->tap = o->tap;
    x->tap_ud = o->tap_ud;
    if (o->local_path) {
        x->in_place = o->in_place;
        x->local = strdup(o->local_path);
        size_t tl = strlen(o->local_path) + 40;
        x->tmp = malloc(tl);
        if (!x->local || !x->tmp) {
            na_ssh_xfer_free(x);
            na_err_set(err, NA_E_NOMEM, "out of memory");
            return NULL;
        }
        if (x->in_place)
            snprintf(x->tmp, tl, "%s", o->local_path);
        else
            snprintf(x->tmp, tl, "%s.netauto-part-%ld", o->local_path, (long)getpid());
    }
    if (proto_start(x, err) < 0) {
        na_ssh_xfer_free(x);
        return NULL;
    }
    NA_LOGD(x->c->who, "%s download of %s", na_xfer_proto_name(x->proto), remote_path);
    return x;
}

/* ---- shared pieces ----------------------------------------------------------------------- */

void na_ssh_xfer_progress(na_ssh_xfer *x) { x->last_move_ms = na_now_ms(); }

void na_ssh_xfer_moved(na_ssh_xfer *x, const void *p, size_t n)
{
    if (!n)
        return;
    x->done += n;
    x->last_move_ms = na_now_ms();
    if (x->tap)
        x->tap(x->tap_ud, p, n);
}

int na_ssh_xfer_timeout(na_ssh_xfer *x, na_err *err)
{
    int64_t now = na_now_ms();
    const char *dir = x->upload ? "upload to" : "download of";
    const char *proto = x->proto == NA_XFER_SFTP ? "SFTP" : "SCP";
    if (now >= x->deadline)
        return na_err_set(err, NA_E_TIMEOUT, "%s: %s %s %s did not finish within %.1f s (%" PRIu64
                          " of %" PRIu64 " bytes moved)", x->c->who, proto, dir, x->remote,
                          x->timeout_ms / 1000.0, x->done, x->size);
    if (x->stall_ms > 0 && now >= x->last_move_ms + x->stall_ms)
        return na_err_set(err, NA_E_TIMEOUT, "%s: %s %s %s stalled: nothing moved for %.1f s (%"
                          PRIu64 " of %" PRIu64 " bytes moved)", x->c->who, proto, dir,
                          x->remote, x->stall_ms / 1000.0, x->done, x->size);
    return NA_AGAIN;
}

ssize_t na_ssh_xfer_read_src(na_ssh_xfer *x, char *p, size_t n, na_err *err)
{
    uint64_t left = x->size - x->done;
    if (n > left)
        n = (size_t)left;
    if (x->mem) {
        memcpy(p, x->mem + x->done, n);
        return (ssize_t)n;
    }
    for (;;) {
        ssize_t r = read(x->in_fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return na_err_set(err, NA_E_IO, "%s: reading the local file for %s: %s", x->c->who,
                              x->remote, strerror(errno));
        if (r == 0 && n > 0)
            return na_err_set(err, NA_E_IO, "%s: reading the local file for %s: the file "
                              "shrank while it was sent", x->c->who, x->remote);
        return r;
    }
}

int na_ssh_xfer_seek_src(na_ssh_xfer *x, uint64_t off, na_err *err)
{
    if (x->in_fd >= 0 && lseek(x->in_fd, (off_t)off, SEEK_SET) < 0)
        return na_err_set(err, NA_E_IO, "%s: reading the local file for %s: %s", x->c->who,
                          x->remote, strerror(errno));
    return 0;
}

int na_ssh_xfer_open_dst(na_ssh_xfer *x, na_err *err)
{
    if (x->size > x->max)
        return na_err_set(err, NA_E_OVERFLOW, "%s: %s is %" PRIu64 " bytes, more than the "
                          "download limit of %" PRIu64 " bytes (max_bytes)", x->c->who,
                          x->remote, x->size, x->max);
    if (x->tmp) {
        x->out_fd = open(x->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (x->out_fd < 0)
            return na_err_set(err, NA_E_IO, "%s: cannot write %s: %s", x->c->who, x->tmp,
                              strerror(errno));
        /* the size is known now: a local disk without room for it fails before a byte moves
           (the file system may still fill up meanwhile: write() reports that) */
        struct statvfs sv;
        if (fstatvfs(x->out_fd, &sv) == 0 && sv.f_frsize &&
            (uint64_t)sv.f_bavail < (x->size + sv.f_frsize - 1) / sv.f_frsize)
            return na_err_set(err, NA_E_IO, "%s: not enough local space for %s: %" PRIu64
                              " bytes needed, %" PRIu64 " free where %s is written", x->c->who,
                              x->remote, x->size, (uint64_t)sv.f_bavail * sv.f_frsize, x->tmp);
    } else {
        na_buf_init(&x->data, (size_t)x->size + 1);
    }
    return 0;
}

int na_ssh_xfer_write_dst(na_ssh_xfer *x, const char *p, size_t n, na_err *err)
{
    if (x->out_fd >= 0) {
        for (size_t off = 0; off < n;) {
            ssize_t w = write(x->out_fd, p + off, n - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                return na_err_set(err, NA_E_IO, "%s: writing %s: %s", x->c->who, x->tmp,
                                  strerror(errno));
            off += (size_t)w;
        }
    } else if (na_buf_append(&x->data, p, n, "download", err) < 0) {
        return -1;
    }
    na_ssh_xfer_moved(x, p, n);
    return 0;
}

int na_ssh_xfer_finish_dst(na_ssh_xfer *x, na_err *err)
{
    if (x->out_fd < 0)
        return 0;
    if (!x->in_place && fchmod(x->out_fd, (mode_t)((x->mode & 0755) | 0600)) < 0) {
        /* the file stays owner-only: nothing to report */
    }
    int rc = close(x->out_fd);
    int e = errno;
    x->out_fd = -1;
    if (rc == 0 && !x->in_place && rename(x->tmp, x->local) < 0) {
        rc = -1;
        e = errno;
    }
    if (rc < 0) {
        if (!x->in_place)
            unlink(x->tmp);
        return na_err_set(err, NA_E_IO, "%s: cannot write %s: %s", x->c->who, x->local,
                          strerror(e));
    }
    return 0;
}

/* ---- public steps -------------------------------------------------------------------------- */

static void drop_local(na_ssh_xfer *x)
{
    if (x->out_fd >= 0) {
        close(x->out_fd);
        x->out_fd = -1;
        if (!x->in_place)
            unlink(x->tmp);
    }
}

na_status na_ssh_xfer_step(na_ssh_xfer *x, na_err *err)
{
    if (x->st == XS_DONE)
        return NA_OK;
    if (x->st == XS_FAILED)
        return na_err_set(err, NA_E_INTERNAL, "%s: transfer already failed", x->c->who), NA_ERROR;
    na_status s;
    x->more = false;
    if (na_ssh_pump(x->c, err) < 0) {
        s = NA_ERROR;
    } else {
        na_ssh_reap(x->c);
        s = x->proto == NA_XFER_SFTP ? na_ssh_sftp_step(x, err) : na_ssh_scp_step(x, err);
        if (s == NA_AGAIN && na_ssh_xfer_timeout(x, err) < 0)
            s = NA_ERROR;
    }
    if (s == NA_OK) {
        x->st = XS_DONE;
        NA_LOGD(x->c->who, "%s %s %s done: %" PRIu64 " bytes", na_xfer_proto_name(x->proto),
                x->upload ? "upload to" : "download of", x->remote, x->done);
    } else if (s == NA_ERROR) {
        x->st = XS_FAILED;
        drop_local(x);
    }
    return s;
}

int64_t na_ssh_xfer_deadline(const na_ssh_xfer *x)
{
    if (x->more)
        return na_now_ms(); /* more to do at once (after the other sessions had their turn) */
    int64_t d = x->deadline;
    if (x->stall_ms > 0 && x->last_move_ms + x->stall_ms < d)
        d = x->last_move_ms + x->stall_ms;
    return d;
}

uint64_t na_ssh_xfer_bytes(const na_ssh_xfer *x) { return x->done; }
uint64_t na_ssh_xfer_size(const na_ssh_xfer *x) { return x->size; }
uint64_t na_ssh_xfer_resumed_at(const na_ssh_xfer *x)
{
    return x->resumed_at;
}
int na_ssh_xfer_mode(const na_ssh_xfer *x) { return x->mode; }
const na_buf *na_ssh_xfer_data(const na_ssh_xfer *x) { return &x->data; }

void na_ssh_xfer_free(na_ssh_xfer *x)
{
    if (!x)
        return;
    if (x->proto == NA_XFER_SFTP)
        na_ssh_sftp_abandon(x);
    else
        na_ssh_scp_abandon(x);
    drop_local(x);
    if (x->in_fd >= 0)
        close(x->in_fd);
    x->c->children--;
    na_buf_free(&x->data);
    free(x->remote);
    free(x->local);
    free(x->tmp);
    free(x);
}

/* ---- blocking wrappers --------------------------------------------------------------------- */

static na_status drive(na_transport *t, na_ssh_xfer *x, na_err *err)
{
    na_status s;
    while ((s = na_ssh_xfer_step(x, err)) == NA_AGAIN)
        if (na_transport_wait(t, na_ssh_xfer_deadline(x), err) < 0)
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
