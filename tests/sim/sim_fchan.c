/* sim_fchan.c — the simulator's file channels (sim_fchan_int.h): channels opened next to the
 * terminal's, or the terminal's channel claimed by an "scp" exec or the "sftp" subsystem; libssh's
 * channel callbacks routed to SCP (sim_scp.c) or SFTP (sim_sftp.c); the output queue sent as the
 * channel window and libssh's socket buffer allow; exit status, EOF and close when a protocol
 * ends; freeing channels the client closed. Not the protocols themselves. */
#include "sim_fchan_int.h"

#include "log.h"

#include <stdlib.h>
#include <string.h>

#define OUT_MAX ((size_t)1 << 20)

static int fc_data(ssh_session ss, ssh_channel ch, void *data, uint32_t len, int is_stderr,
                   void *ud)
{
    (void)ss;
    (void)ch;
    sim_fchan *fc = ud;
    if (is_stderr || fc->done)
        return (int)len;
    if (fc->kind == FC_SCP)
        return (int)sim_scp_input(fc, data, len);
    if (fc->kind == FC_SFTP)
        return (int)sim_sftp_input(fc, data, len);
    return (int)len; /* nothing started: discard */
}

static void fc_eof(ssh_session ss, ssh_channel ch, void *ud)
{
    (void)ss;
    (void)ch;
    ((sim_fchan *)ud)->peer_eof = true;
}

static void fc_close(ssh_session ss, ssh_channel ch, void *ud)
{
    (void)ss;
    (void)ch;
    sim_fchan *fc = ud;
    fc->peer_closed = true;
    fc->peer_eof = true;
}

static int start_exec(sim_fchan *fc, const char *cmd)
{
    if (strncmp(cmd, "scp ", 4) != 0)
        return 0;
    if (!sim_flash_scp_on(fc->c->dev)) {
        NA_LOGD(fc->c->dev->name, "ssh %s: scp refused (the SCP server is off)", fc->c->peer);
        return -1;
    }
    if (sim_scp_start(fc, cmd) < 0)
        return -1;
    fc->kind = FC_SCP;
    sim_conn_log(fc->c, "scp", cmd);
    return 1;
}

static int start_subsystem(sim_fchan *fc, const char *name)
{
    if (strcmp(name, "sftp") != 0)
        return 0;
    if (!sim_flash_sftp_on(fc->c->dev))
        return -1;
    if (sim_sftp_start(fc) < 0)
        return -1;
    fc->kind = FC_SFTP;
    sim_conn_log(fc->c, "sftp", "subsystem sftp");
    return 1;
}

static int fc_exec(ssh_session ss, ssh_channel ch, const char *cmd, void *ud)
{
    (void)ss;
    (void)ch;
    sim_fchan *fc = ud;
    return fc->kind == FC_NEW && start_exec(fc, cmd) == 1 ? SSH_OK : SSH_ERROR;
}

static int fc_subsystem(ssh_session ss, ssh_channel ch, const char *name, void *ud)
{
    (void)ss;
    (void)ch;
    sim_fchan *fc = ud;
    return fc->kind == FC_NEW && start_subsystem(fc, name) == 1 ? SSH_OK : SSH_ERROR;
}

static sim_fchan *fc_new(sim_conn *c, ssh_channel ch)
{
    sim_fchan *fc = calloc(1, sizeof *fc);
    if (!fc)
        return NULL;
    fc->c = c;
    fc->ch = ch;
    na_buf_init(&fc->out, OUT_MAX);
    fc->cb.userdata = fc;
    fc->cb.channel_data_function = fc_data;
    fc->cb.channel_eof_function = fc_eof;
    fc->cb.channel_close_function = fc_close;
    fc->cb.channel_exec_request_function = fc_exec;
    fc->cb.channel_subsystem_request_function = fc_subsystem;
    ssh_callbacks_init(&fc->cb);
    fc->next = c->fchans;
    c->fchans = fc;
    return fc;
}

static void fc_free(sim_fchan *fc)
{
    if (fc->kind == FC_SCP)
        sim_scp_free(fc);
    else if (fc->kind == FC_SFTP)
        sim_sftp_free(fc);
    if (fc->ch) {
        ssh_remove_channel_callbacks(fc->ch, &fc->cb);
        ssh_channel_free(fc->ch);
    }
    na_buf_free(&fc->out);
    free(fc);
}

/* ---- hooks ----------------------------------------------------------------------------------- */

ssh_channel sim_fchan_open(sim_conn *c, ssh_session ss)
{
    ssh_channel ch = ssh_channel_new(ss);
    if (!ch)
        return NULL;
    sim_fchan *fc = fc_new(c, ch);
    if (!fc) {
        ssh_channel_free(ch);
        return NULL;
    }
    ssh_set_channel_callbacks(ch, &fc->cb);
    return ch;
}

/* The terminal's channel becomes a file channel: our callbacks are added after the terminal's,
 * which pass everything through for a channel that is no longer theirs (sim_ssh.c). */
static int claim(sim_conn *c, ssh_channel ch, int (*start)(sim_fchan *, const char *),
                 const char *arg)
{
    bool ours = start == start_exec ? !strncmp(arg, "scp ", 4) : !strcmp(arg, "sftp");
    if (!ours)
        return 0;
    sim_fchan *fc = fc_new(c, ch);
    if (!fc)
        return -1;
    int r = start(fc, arg);
    if (r != 1) {
        c->fchans = fc->next; /* just pushed: take it off again, the channel stays the term's */
        fc->ch = NULL;
        fc_free(fc);
        return -1;
    }
    ssh_add_channel_callbacks(ch, &fc->cb);
    return 1;
}

int sim_fchan_claim_exec(sim_conn *c, ssh_channel ch, const char *cmd)
{
    return claim(c, ch, start_exec, cmd);
}

int sim_fchan_claim_subsystem(sim_conn *c, ssh_channel ch, const char *name)
{
    return claim(c, ch, start_subsystem, name);
}

bool sim_fchan_any(const sim_conn *c) { return c->fchans != NULL; }

size_t sim_fchan_room(sim_fchan *fc)
{
    if (!fc->c->ss || (ssh_get_poll_flags(fc->c->ss) & SSH_WRITE_PENDING))
        return 0;
    return ssh_channel_window_size(fc->ch);
}

int sim_fchan_send(sim_fchan *fc, const void *p, size_t n)
{
    return na_buf_append(&fc->out, p, n, "file channel output", NULL);
}

void sim_fchan_finish(sim_fchan *fc, int exit_status)
{
    fc->done = true;
    fc->exit_status = exit_status;
}

/* Send what is queued, as far as the window goes. */
static void flush(sim_fchan *fc)
{
    while (fc->out.len) {
        size_t room = sim_fchan_room(fc);
        if (!room)
            return;
        size_t n = fc->out.len < room ? fc->out.len : room;
        if (n > 32768)
            n = 32768;
        int w = ssh_channel_write(fc->ch, fc->out.data, (uint32_t)n);
        if (w <= 0) {
            if (w < 0)
                fc->peer_closed = true;
            return;
        }
        na_buf_consume(&fc->out, (size_t)w);
    }
}

void sim_fchan_pump(sim_conn *c)
{
    for (sim_fchan **pp = &c->fchans; *pp;) {
        sim_fchan *fc = *pp;
        if (!fc->peer_closed && fc->ch && !ssh_channel_is_closed(fc->ch)) {
            if (fc->kind == FC_SCP)
                sim_scp_pump(fc);
            else if (fc->kind == FC_SFTP)
                sim_sftp_pump(fc);
            flush(fc);
            if (fc->done && !fc->out.len && ssh_channel_is_open(fc->ch)) {
                ssh_channel_request_send_exit_status(fc->ch, fc->exit_status);
                ssh_channel_send_eof(fc->ch);
                ssh_channel_close(fc->ch);
            }
        }
        bool gone = fc->peer_closed || !fc->ch || ssh_channel_is_closed(fc->ch);
        if (gone && (fc->peer_closed || fc->done)) {
            if (fc->ch && ssh_channel_is_open(fc->ch))
                ssh_channel_close(fc->ch);
            *pp = fc->next;
            fc_free(fc);
            continue;
        }
        pp = &fc->next;
    }
}

void sim_fchan_free_all(sim_conn *c)
{
    while (c->fchans) {
        sim_fchan *fc = c->fchans;
        c->fchans = fc->next;
        fc_free(fc);
    }
}
