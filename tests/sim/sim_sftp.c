/* sim_sftp.c — the simulated device's SFTP server on a file channel (sim_fchan_int.h), with
 * libssh's server-side SFTP (sftp_server_new, sftp_server_init, sftp_get_client_message,
 * sftp_reply_*): open, read, write, close, stat and fstat, setstat and fsetstat (size), remove,
 * rename and posix-rename@openssh.com, realpath, on the device's flash. libssh 0.10 reads an SFTP
 * packet with blocking-style reads, so packets are taken from the channel only once they are
 * whole: the data callback counts complete packets and leaves the bytes where they are, and the
 * pump handles that many (only while the client's window has room for a reply). The faults
 * (stall, corrupted byte, full flash) come from sim_flash.c. Not an SFTP implementation of our
 * own; no directories. */
#include "sim_fchan_int.h"

#include "log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READ_MAX 65536
#define REPLY_ROOM (READ_MAX + 1024)

/* the SFTP status libssh2 turns into "No space left on device" (SFTP drafts 5+) */
#define FX_NO_SPACE 14

typedef struct sh {
    sim_ffile *ff;
    bool writing;
    struct sh *next;   /* the channel's open handles */
} sh;

static void sh_forget(sim_fchan *fc, sh *h)
{
    for (sh **pp = (sh **)&fc->sftp.open; *pp; pp = &(*pp)->next)
        if (*pp == h) {
            *pp = h->next;
            break;
        }
}

int sim_sftp_start(sim_fchan *fc)
{
    fc->sftp.sftp = sftp_server_new(fc->c->ss, fc->ch);
    return fc->sftp.sftp ? 0 : -1;
}

size_t sim_sftp_input(sim_fchan *fc, const char *p, size_t n)
{
    /* count whole packets from the start of what the channel holds; take none */
    size_t off = 0, k = 0;
    while (off + 4 <= n) {
        uint32_t len;
        memcpy(&len, p + off, 4);
        len = ntohl(len);
        if (len == 0 || len > (256u << 10)) { /* nonsense: let libssh fail on it */
            k++;
            break;
        }
        if (off + 4 + len > n)
            break;
        off += 4 + len;
        k++;
    }
    fc->sftp.ready = k;
    return 0;
}

static int status_of(int eno)
{
    switch (eno) {
    case ENOENT: return SSH_FX_NO_SUCH_FILE;
    case EACCES:
    case EPERM: return SSH_FX_PERMISSION_DENIED;
    case ENOSPC: return FX_NO_SPACE;
    default: return SSH_FX_FAILURE;
    }
}

static void reply_errno(sftp_client_message m, int eno)
{
    sftp_reply_status(m, (uint32_t)status_of(eno), strerror(eno));
}

static sh *handle_of(sim_fchan *fc, sftp_client_message m)
{
    return m->handle ? sftp_handle(fc->sftp.sftp, m->handle) : NULL;
}

static void attrs_reply(sftp_client_message m, uint64_t size, int mode)
{
    struct sftp_attributes_struct a;
    memset(&a, 0, sizeof a);
    a.flags = SSH_FILEXFER_ATTR_SIZE | SSH_FILEXFER_ATTR_PERMISSIONS;
    a.size = size;
    a.permissions = 0100000u | (uint32_t)(mode & 0777);
    sftp_reply_attr(m, &a);
}

/* One message. false: stop (stalled: the message stays unanswered, as a hung device would). */
static bool handle_msg(sim_fchan *fc, sftp_client_message m)
{
    sim_device *d = fc->c->dev;
    int eno = 0;
    switch (sftp_client_message_get_type(m)) {
    case SSH_FXP_OPEN: {
        uint32_t fl = sftp_client_message_get_flags(m);
        const char *path = sftp_client_message_get_filename(m);
        bool w = fl & SSH_FXF_WRITE;
        int mode = m->attr && (m->attr->flags & SSH_FILEXFER_ATTR_PERMISSIONS)
                       ? (int)(m->attr->permissions & 0777)
                       : 0644;
        sim_ffile *ff = w ? sim_ffile_write(d, path, fl & SSH_FXF_TRUNC, mode, &eno)
                          : sim_ffile_read(d, path, &eno);
        if (!ff) {
            reply_errno(m, eno);
            break;
        }
        sh *h = calloc(1, sizeof *h);
        ssh_string hs = h ? sftp_handle_alloc(fc->sftp.sftp, h) : NULL;
        if (!hs) {
            sim_ffile_close(ff);
            free(h);
            sftp_reply_status(m, SSH_FX_FAILURE, "too many open files");
            break;
        }
        h->ff = ff;
        h->writing = w;
        h->next = fc->sftp.open;
        fc->sftp.open = h;
        sftp_reply_handle(m, hs);
        ssh_string_free(hs);
        break;
    }
    case SSH_FXP_WRITE: {
        sh *h = handle_of(fc, m);
        if (!h || !h->writing) {
            sftp_reply_status(m, SSH_FX_FAILURE, "bad handle");
            break;
        }
        size_t n = m->data ? ssh_string_len(m->data) : 0;
        if (sim_ffile_stall_left(h->ff, fc->sftp.moved) < n)
            return false; /* the stall fault: never answered */
        if (sim_ffile_pwrite(h->ff, m->offset, ssh_string_data(m->data), n, &eno) < 0) {
            reply_errno(m, eno);
            break;
        }
        fc->sftp.moved += n;
        sftp_reply_status(m, SSH_FX_OK, NULL);
        break;
    }
    case SSH_FXP_READ: {
        sh *h = handle_of(fc, m);
        if (!h) {
            sftp_reply_status(m, SSH_FX_FAILURE, "bad handle");
            break;
        }
        char buf[READ_MAX];
        size_t want = m->len < sizeof buf ? m->len : sizeof buf;
        uint64_t allow = sim_ffile_stall_left(h->ff, fc->sftp.moved);
        if (allow == 0)
            return false;
        if (want > allow)
            want = (size_t)allow;
        ssize_t r = sim_ffile_pread(h->ff, m->offset, buf, want, &eno);
        if (r < 0)
            reply_errno(m, eno);
        else if (r == 0)
            sftp_reply_status(m, SSH_FX_EOF, NULL);
        else {
            fc->sftp.moved += (uint64_t)r;
            sftp_reply_data(m, buf, (int)r);
        }
        break;
    }
    case SSH_FXP_CLOSE: {
        sh *h = handle_of(fc, m);
        if (!h) {
            sftp_reply_status(m, SSH_FX_FAILURE, "bad handle");
            break;
        }
        sftp_handle_remove(fc->sftp.sftp, h);
        sh_forget(fc, h);
        sim_ffile_close(h->ff);
        free(h);
        sftp_reply_status(m, SSH_FX_OK, NULL);
        break;
    }
    case SSH_FXP_FSTAT: {
        sh *h = handle_of(fc, m);
        if (!h)
            sftp_reply_status(m, SSH_FX_FAILURE, "bad handle");
        else
            attrs_reply(m, sim_ffile_size(h->ff), sim_ffile_mode(h->ff));
        break;
    }
    case SSH_FXP_STAT:
    case SSH_FXP_LSTAT: {
        uint64_t size;
        int mode;
        if (sim_flash_stat(d, sftp_client_message_get_filename(m), &size, &mode) < 0)
            reply_errno(m, errno);
        else
            attrs_reply(m, size, mode);
        break;
    }
    case SSH_FXP_FSETSTAT:
    case SSH_FXP_SETSTAT: {
        /* only the size matters here (a restarted upload truncates its part file) */
        sh *h = sftp_client_message_get_type(m) == SSH_FXP_FSETSTAT ? handle_of(fc, m) : NULL;
        if (h && m->attr && (m->attr->flags & SSH_FILEXFER_ATTR_SIZE) &&
            sim_ffile_truncate(h->ff, m->attr->size, &eno) < 0) {
            reply_errno(m, eno);
            break;
        }
        sftp_reply_status(m, SSH_FX_OK, NULL);
        break;
    }
    case SSH_FXP_REMOVE:
        if (sim_flash_remove(d, sftp_client_message_get_filename(m)) < 0)
            reply_errno(m, errno);
        else
            sftp_reply_status(m, SSH_FX_OK, NULL);
        break;
    case SSH_FXP_RENAME:
    case SSH_FXP_EXTENDED: {
        const char *sub = sftp_client_message_get_submessage(m);
        bool posix = sftp_client_message_get_type(m) == SSH_FXP_EXTENDED;
        if (posix && (!sub || strcmp(sub, "posix-rename@openssh.com"))) {
            sftp_reply_status(m, SSH_FX_OP_UNSUPPORTED, "unsupported extension");
            break;
        }
        const char *to = sftp_client_message_get_data(m);
        uint64_t sz;
        int md;
        if (!posix && to && sim_flash_stat(d, to, &sz, &md) == 0) {
            sftp_reply_status(m, SSH_FX_FAILURE, "File exists");
            break;
        }
        if (!to || sim_flash_rename(d, sftp_client_message_get_filename(m), to) < 0)
            reply_errno(m, to ? errno : EINVAL);
        else
            sftp_reply_status(m, SSH_FX_OK, NULL);
        break;
    }
    case SSH_FXP_REALPATH: {
        const char *p = sftp_client_message_get_filename(m);
        struct sftp_attributes_struct a;
        memset(&a, 0, sizeof a);
        sftp_reply_name(m, !p || !*p || !strcmp(p, ".") ? "/" : p, &a);
        break;
    }
    default:
        sftp_reply_status(m, SSH_FX_OP_UNSUPPORTED, "not supported by this device");
        break;
    }
    return true;
}

void sim_sftp_pump(sim_fchan *fc)
{
    if (fc->done)
        return;
    while (fc->sftp.ready > 0) {
        if (sim_fchan_room(fc) < REPLY_ROOM)
            return; /* the client's window: wait for it */
        if (!fc->sftp.inited) {
            fc->sftp.ready--;
            if (sftp_server_init(fc->sftp.sftp) < 0) {
                sim_fchan_finish(fc, 1);
                return;
            }
            fc->sftp.inited = true;
            continue;
        }
        sftp_client_message m = sftp_get_client_message(fc->sftp.sftp);
        if (!m) {
            NA_LOGD(fc->c->dev->name, "sftp: a message libssh cannot read: %s",
                    ssh_get_error(fc->c->ss));
            sim_fchan_finish(fc, 1);
            return;
        }
        bool go = handle_msg(fc, m);
        if (!go) {
            /* stalled: this message (already read) is never answered, and nothing after it */
            fc->sftp.ready = 0;
            sftp_client_message_free(m);
            fc->sftp.moved = UINT64_MAX / 2;
            return;
        }
        sftp_client_message_free(m);
        fc->sftp.ready--;
    }
    if (fc->peer_eof && fc->sftp.ready == 0)
        sim_fchan_finish(fc, 0);
}

void sim_sftp_free(sim_fchan *fc)
{
    if (!fc->sftp.sftp)
        return;
    /* close what the client left open */
    while (fc->sftp.open) {
        sh *h = fc->sftp.open;
        fc->sftp.open = h->next;
        sim_ffile_close(h->ff);
        free(h);
    }
    sftp_server_free(fc->sftp.sftp); /* not the channel: the file channel frees that */
    fc->sftp.sftp = NULL;
}
