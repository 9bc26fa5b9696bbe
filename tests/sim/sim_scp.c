/* sim_scp.c — the simulated device's SCP server: "scp -t PATH" (the client uploads: the sink
 * side) and "scp -f PATH" (the client downloads: the source side) on a file channel
 * (sim_fchan_int.h), one file at a time onto the device's flash, as OpenSSH's scp does it: a zero
 * byte acknowledges, "\1scp: PATH: reason" refuses, a write error (a full flash) is reported once
 * the client has sent the whole file, and the exit status says whether everything went. The
 * faults (a stall after N bytes, a corrupted byte, a full flash) come from sim_flash.c. Not
 * recursive, no directories. */
#include "sim_fchan_int.h"

#include "log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    K_CMD = 0,  /* sink: a control line ("C0644 123 name", "T...") or the end */
    K_DATA,     /* sink: the file's bytes */
    K_END,      /* sink: the client's zero byte after the data */
    K_WAIT0,    /* source: the client's first zero byte */
    K_OPEN,     /* source: got it; the pump opens the file and sends the C line */
    K_WAIT1,    /* source: the client's answer to our C line */
    K_SEND,     /* source: the file's bytes, then a zero byte */
    K_WAIT2,    /* source: the client's answer after the data */
    K_OVER,
};

/* "scp [-options] [--] PATH" with -t or -f. 0, or -1 when it is not one we serve. */
int sim_scp_start(sim_fchan *fc, const char *cmd)
{
    char buf[1100];
    snprintf(buf, sizeof buf, "%s", cmd + 4);
    bool t = false, f = false;
    char *path = NULL, *save = NULL;
    bool opts = true;
    for (char *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        if (opts && !strcmp(w, "--")) {
            opts = false;
        } else if (opts && w[0] == '-') {
            for (const char *o = w + 1; *o; o++) {
                if (*o == 't')
                    t = true;
                else if (*o == 'f')
                    f = true;
                else if (*o == 'r')
                    return -1; /* no directories */
            }
        } else if (!path) {
            path = w;
        }
    }
    if (t == f || !path)
        return -1;
    size_t n = strlen(path);
    if (n >= 2 && path[0] == '\'' && path[n - 1] == '\'') { /* quoted by the client */
        path[n - 1] = '\0';
        path++;
    }
    fc->scp.target = strdup(path);
    if (!fc->scp.target)
        return -1;
    fc->scp.sink = t;
    if (t) {
        fc->scp.st = K_CMD;
        if (sim_fchan_send(fc, "", 1) < 0) /* ready */
            return -1;
    } else {
        fc->scp.st = K_WAIT0;
    }
    return 0;
}

static void refuse(sim_fchan *fc, const char *path, int eno)
{
    char msg[700];
    int n = snprintf(msg, sizeof msg, "\1scp: %s: %s\n", path, strerror(eno));
    if (sim_fchan_send(fc, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1) < 0) {
        /* the channel breaks: nothing more to say */
    }
    fc->exit_status = 1;
}

/* The file a sink writes: the target itself, or NAME inside it when it names the flash. */
static void sink_path(sim_fchan *fc, const char *name, char *out, size_t cap)
{
    char host[4400], nm[256];
    const char *t = fc->scp.target;
    if (sim_flash_resolve(fc->c->dev, t, host, sizeof host, nm, sizeof nm) == 0) {
        snprintf(out, cap, "%s", t);
        return;
    }
    size_t l = strlen(t);
    bool sep = l && (t[l - 1] == '/' || t[l - 1] == ':');
    snprintf(out, cap, "%s%s%s", t, sep || !l ? "" : "/", name);
}

/* A sink's control line. */
static void sink_line(sim_fchan *fc)
{
    char *l = fc->scp.line;
    if (l[0] == 'T') {
        if (sim_fchan_send(fc, "", 1) < 0) {
            /* broken channel */
        }
        return;
    }
    if (l[0] != 'C') {
        refuse(fc, fc->scp.target, l[0] == 'D' ? EISDIR : EINVAL);
        return;
    }
    unsigned mode = 0;
    unsigned long long size = 0;
    int pos = 0;
    if (sscanf(l + 1, "%o %llu %n", &mode, &size, &pos) < 2 || pos <= 0) {
        refuse(fc, fc->scp.target, EINVAL);
        return;
    }
    char name[256];
    snprintf(name, sizeof name, "%s", l + 1 + pos);
    name[strcspn(name, "\r\n")] = '\0';
    char path[1400];
    sink_path(fc, name, path, sizeof path);
    int eno = 0;
    fc->scp.ff = sim_ffile_write(fc->c->dev, path, true, (int)mode, &eno);
    if (!fc->scp.ff) {
        refuse(fc, path, eno);
        return;
    }
    snprintf(fc->scp.name, sizeof fc->scp.name, "%s", path);
    fc->scp.size = size;
    fc->scp.off = 0;
    fc->scp.werr = 0;
    fc->scp.st = size ? K_DATA : K_END;
    if (sim_fchan_send(fc, "", 1) < 0) {
        /* broken channel */
    }
}

size_t sim_scp_input(sim_fchan *fc, const char *p, size_t n)
{
    size_t used = 0;
    while (used < n) {
        switch (fc->scp.st) {
        case K_CMD:
        case K_WAIT0:
        case K_WAIT1:
        case K_WAIT2: {
            if (fc->scp.st != K_CMD) { /* an acknowledgement */
                char b = p[used++];
                if (b != 0) {
                    fc->scp.st = K_OVER; /* the client gave up */
                    sim_fchan_finish(fc, 1);
                    return n;
                }
                if (fc->scp.st == K_WAIT0)
                    fc->scp.st = K_OPEN;
                fc->scp.ack_wait = false;
                continue;
            }
            char ch = p[used++];
            if (fc->scp.line_len + 1 >= sizeof fc->scp.line) {
                refuse(fc, fc->scp.target, ENAMETOOLONG);
                fc->scp.line_len = 0;
                continue;
            }
            fc->scp.line[fc->scp.line_len++] = ch;
            fc->scp.line[fc->scp.line_len] = '\0';
            if (ch == '\n') {
                sink_line(fc);
                fc->scp.line_len = 0;
            }
            continue;
        }
        case K_DATA: {
            uint64_t left = fc->scp.size - fc->scp.off;
            uint64_t allow = sim_ffile_stall_left(fc->scp.ff, fc->scp.off);
            size_t k = n - used;
            if (k > left)
                k = (size_t)left;
            if (k > allow)
                k = (size_t)allow;
            if (k == 0)
                return used; /* stalled: the window closes */
            int eno = 0;
            if (!fc->scp.werr &&
                sim_ffile_pwrite(fc->scp.ff, fc->scp.off, p + used, k, &eno) < 0)
                fc->scp.werr = eno; /* reported after the data, as scp does */
            fc->scp.off += k;
            used += k;
            if (fc->scp.off == fc->scp.size)
                fc->scp.st = K_END;
            continue;
        }
        case K_END: {
            used++; /* the client's zero byte */
            sim_ffile_close(fc->scp.ff);
            fc->scp.ff = NULL;
            if (fc->scp.werr) {
                NA_LOGD(fc->c->dev->name, "scp: %s: %s", fc->scp.name, strerror(fc->scp.werr));
                refuse(fc, fc->scp.name, fc->scp.werr);
            } else if (sim_fchan_send(fc, "", 1) < 0) {
                /* broken channel */
            }
            fc->scp.st = K_CMD;
            continue;
        }
        default:
            return n;
        }
    }
    return used;
}

/* ---- the source side and the end ------------------------------------------------------------- */

static void source_open(sim_fchan *fc)
{
    int eno = 0;
    fc->scp.ff = sim_ffile_read(fc->c->dev, fc->scp.target, &eno);
    if (!fc->scp.ff) {
        refuse(fc, fc->scp.target, eno);
        fc->scp.st = K_OVER;
        sim_fchan_finish(fc, 1);
        return;
    }
    /* the name after the last '/', as OpenSSH's scp expects it back ("flash:x" stays whole) */
    const char *base = strrchr(fc->scp.target, '/');
    base = base ? base + 1 : fc->scp.target;
    char hdr[400];
    int n = snprintf(hdr, sizeof hdr, "C%04o %" PRIu64 " %s\n", sim_ffile_mode(fc->scp.ff),
                     sim_ffile_size(fc->scp.ff), base);
    fc->scp.size = sim_ffile_size(fc->scp.ff);
    fc->scp.off = 0;
    if (sim_fchan_send(fc, hdr, (size_t)n) < 0)
        fc->peer_closed = true;
    fc->scp.st = K_WAIT1;
    fc->scp.ack_wait = true;
}

void sim_scp_pump(sim_fchan *fc)
{
    if (fc->done)
        return;
    if (fc->scp.sink) {
        if (fc->peer_eof && fc->scp.st == K_CMD && fc->scp.line_len == 0)
            sim_fchan_finish(fc, fc->exit_status);
        return;
    }
    switch (fc->scp.st) {
    case K_OPEN: /* got the first zero byte: send the header */
        source_open(fc);
        return;
    case K_WAIT1:
        if (!fc->scp.ack_wait) {
            fc->scp.st = K_SEND;
            break;
        }
        return;
    case K_WAIT2:
        if (!fc->scp.ack_wait) {
            sim_ffile_close(fc->scp.ff);
            fc->scp.ff = NULL;
            fc->scp.st = K_OVER;
            sim_fchan_finish(fc, 0);
        }
        return;
    default:
        break;
    }
    if (fc->scp.st != K_SEND)
        return;
    char buf[32768];
    while (fc->scp.off < fc->scp.size && fc->out.len < sizeof buf &&
           sim_fchan_room(fc) > fc->out.len) {
        uint64_t want = fc->scp.size - fc->scp.off;
        uint64_t allow = sim_ffile_stall_left(fc->scp.ff, fc->scp.off);
        if (want > sizeof buf)
            want = sizeof buf;
        if (want > allow)
            want = allow;
        if (want == 0)
            return; /* stalled */
        int eno = 0;
        ssize_t r = sim_ffile_pread(fc->scp.ff, fc->scp.off, buf, (size_t)want, &eno);
        if (r <= 0) {
            fc->peer_closed = true; /* the file went away under us: end the channel */
            return;
        }
        if (sim_fchan_send(fc, buf, (size_t)r) < 0)
            return;
        fc->scp.off += (uint64_t)r;
    }
    if (fc->scp.off == fc->scp.size && sim_fchan_send(fc, "", 1) == 0) {
        fc->scp.st = K_WAIT2;
        fc->scp.ack_wait = true;
    }
}

void sim_scp_free(sim_fchan *fc)
{
    sim_ffile_close(fc->scp.ff);
    fc->scp.ff = NULL;
    free(fc->scp.target);
    fc->scp.target = NULL;
}
