/* replay.c — the replay transport: plays a parsed transcript back through the transport.h vtable,
 * checking every write against the recording (semantics in replay.h). Not a simulator and not a
 * recorder (the channel records; transcript.c writes). */
#include "replay.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

typedef struct replay {
    na_transport base; /* first: the transport pointer is the replay pointer */
    na_tr_script s;
    size_t rd, rd_off; /* next IN/EOF event to deliver, and bytes of it already delivered */
    size_t wr, wr_off; /* next OUT/SECRET event to match, and bytes of it already matched */
    int efd;
    bool readable;     /* the eventfd currently signals */
    bool eof_seen;
    bool closed;
    char pos[200];
} replay;

static bool is_out(const na_tr_event *e)
{
    return e->kind == NA_TR_OUT || e->kind == NA_TR_SECRET;
}

static size_t next_in(const replay *r)
{
    size_t i = r->rd;
    while (i < r->s.n && is_out(&r->s.ev[i]))
        i++;
    return i;
}

static size_t next_out(const replay *r)
{
    size_t i = r->wr;
    while (i < r->s.n && !is_out(&r->s.ev[i]))
        i++;
    return i;
}

/* Something to deliver now: a received chunk (or EOF) with every write before it made. */
static bool available(const replay *r)
{
    if (r->closed)
        return false;
    if (r->eof_seen)
        return true;
    size_t i = next_in(r);
    return i < r->s.n && i < next_out(r);
}

static void sync_fd(replay *r)
{
    bool want = available(r);
    if (want == r->readable)
        return;
    if (want) {
        uint64_t one = 1;
        if (write(r->efd, &one, sizeof one) == sizeof one)
            r->readable = true;
    } else {
        uint64_t v;
        if (read(r->efd, &v, sizeof v) == sizeof v || errno == EAGAIN)
            r->readable = false;
    }
}

/* Escaped, shortened text for messages. */
static void show(const char *p, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 8 < cap; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '\n')
            o += (size_t)snprintf(out + o, cap - o, "\\n");
        else if (c == '\r')
            o += (size_t)snprintf(out + o, cap - o, "\\r");
        else if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
        else
            out[o++] = (char)c;
        if (i + 1 < n && o + 8 >= cap) {
            o += (size_t)snprintf(out + o, cap - o, "...");
            break;
        }
    }
    out[o < cap ? o : cap - 1] = '\0';
}

static int mismatch(replay *r, size_t ev, const char *got, size_t gotn, bool secret, na_err *err)
{
    char g[120], x[120];
    if (secret)
        snprintf(g, sizeof g, "<secret>");
    else
        show(got, gotn, g, sizeof g);
    if (ev >= r->s.n) {
        return na_err_set(err, NA_E_PROTOCOL,
                          "replay %s: write \"%s\" after the end of the recorded writes", r->s.name,
                          g);
    }
    const na_tr_event *e = &r->s.ev[ev];
    if (e->kind == NA_TR_SECRET)
        snprintf(x, sizeof x, "<secret>");
    else
        show(e->data + r->wr_off, e->len - r->wr_off, x, sizeof x);
    return na_err_set(err, NA_E_PROTOCOL, "replay %s:%u: wrote \"%s\" but the recording expects \"%s\"",
                      r->s.name, e->line, g, x);
}

static na_status rp_open(na_transport *t, na_err *err)
{
    (void)err;
    t->info.phase = NA_PHASE_READY;
    return NA_OK;
}

static na_status rp_read(na_transport *t, char *buf, size_t cap, size_t *n, na_err *err)
{
    (void)err;
    replay *r = (replay *)t;
    *n = 0;
    if (r->eof_seen)
        return NA_EOF;
    if (!available(r))
        return NA_AGAIN;
    size_t i = next_in(r);
    const na_tr_event *e = &r->s.ev[i];
    if (e->kind == NA_TR_PAUSE) {
        r->rd = i + 1; /* nothing this time; the fd stays readable if more is deliverable */
        sync_fd(r);
        return NA_AGAIN;
    }
    if (e->kind == NA_TR_EOF) {
        r->eof_seen = true;
        r->rd = i + 1;
        sync_fd(r);
        return NA_EOF;
    }
    size_t k = e->len - r->rd_off;
    if (k > cap)
        k = cap;
    memcpy(buf, e->data + r->rd_off, k);
    r->rd_off += k;
    if (r->rd_off == e->len) {
        r->rd = i + 1;
        r->rd_off = 0;
    } else {
        r->rd = i;
    }
    *n = k;
    t->info.data_in += k;
    t->info.wire_in += k;
    sync_fd(r);
    return NA_OK;
}

static na_status rp_write(na_transport *t, const char *buf, size_t len, bool secret, na_err *err)
{
    replay *r = (replay *)t;
    if (r->closed)
        return na_err_set(err, NA_E_CLOSED, "replay %s: write after close", r->s.name), NA_ERROR;
    if (r->eof_seen) /* like Telnet and SSH once they have read the device's close */
        return na_err_set(err, NA_E_CLOSED, "replay %s: the connection is closed", r->s.name),
               NA_ERROR;
    size_t w = next_out(r);
    if (secret) {
        if (w >= r->s.n || r->s.ev[w].kind != NA_TR_SECRET || r->wr_off) {
            mismatch(r, w, buf, len, true, err);
            return NA_ERROR;
        }
        r->wr = w + 1;
        r->wr_off = 0;
    } else {
        size_t i = 0;
        while (i < len) {
            w = next_out(r);
            if (w >= r->s.n || r->s.ev[w].kind == NA_TR_SECRET) {
                mismatch(r, w, buf + i, len - i, false, err);
                return NA_ERROR;
            }
            const na_tr_event *e = &r->s.ev[w];
            size_t k = e->len - r->wr_off;
            if (k > len - i)
                k = len - i;
            if (memcmp(buf + i, e->data + r->wr_off, k) != 0) {
                r->wr = w;
                mismatch(r, w, buf + i, len - i, false, err);
                return NA_ERROR;
            }
            i += k;
            r->wr_off += k;
            if (r->wr_off == e->len) {
                r->wr = w + 1;
                r->wr_off = 0;
            } else {
                r->wr = w;
            }
        }
    }
    t->info.data_out += len;
    t->info.wire_out += len;
    sync_fd(r);
    return NA_OK;
}

static na_status rp_flush(na_transport *t, na_err *err)
{
    (void)t;
    (void)err;
    return NA_OK;
}

static int rp_fd(const na_transport *t)
{
    return ((const replay *)t)->efd;
}

static int rp_want(const na_transport *t)
{
    (void)t;
    return NA_WANT_READ;
}

static bool rp_alive(na_transport *t)
{
    replay *r = (replay *)t;
    return !r->closed && !r->eof_seen;
}

static void rp_close(na_transport *t)
{
    replay *r = (replay *)t;
    r->closed = true;
    t->info.phase = NA_PHASE_CLOSED;
    sync_fd(r);
}

static void rp_destroy(na_transport *t)
{
    if (!t)
        return;
    replay *r = (replay *)t;
    na_tr_script_free(&r->s);
    if (r->efd >= 0)
        close(r->efd);
    free(r);
}

static const na_transport_ops replay_ops = {
    .name = "replay",
    .open = rp_open,
    .read = rp_read,
    .write = rp_write,
    .flush = rp_flush,
    .fd = rp_fd,
    .want = rp_want,
    .is_alive = rp_alive,
    .close = rp_close,
    .destroy = rp_destroy,
};

static na_transport *from_script(na_tr_script *s, const na_conn_params *p, na_err *err)
{
    replay *r = calloc(1, sizeof *r);
    if (!r) {
        na_tr_script_free(s);
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    r->s = *s;
    r->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (r->efd < 0) {
        na_err_set(err, NA_E_IO, "eventfd: %s", strerror(errno));
        rp_destroy(&r->base);
        return NULL;
    }
    r->base.ops = &replay_ops;
    r->base.params = p;
    r->base.info.phase = NA_PHASE_CONNECT;
    snprintf(r->base.info.peer, sizeof r->base.info.peer, "replay");
    sync_fd(r);
    return &r->base;
}

na_transport *na_replay_new(const char *path, const na_conn_params *p, na_err *err)
{
    na_tr_script s;
    if (na_tr_script_load(path, &s, err) < 0) {
        na_tr_script_free(&s);
        return NULL;
    }
    return from_script(&s, p, err);
}

na_transport *na_replay_new_mem(const char *name, const char *text, size_t n,
                                const na_conn_params *p, na_err *err)
{
    na_tr_script s;
    if (na_tr_script_parse(name, text, n, &s, err) < 0) {
        na_tr_script_free(&s);
        return NULL;
    }
    return from_script(&s, p, err);
}

bool na_replay_finished(const na_transport *t)
{
    const replay *r = (const replay *)t;
    if (next_out(r) < r->s.n)
        return false;
    size_t i = next_in(r);
    return i >= r->s.n || (r->eof_seen && i >= r->s.n);
}

const char *na_replay_position(const na_transport *t)
{
    replay *r = (replay *)(uintptr_t)t;
    size_t i = next_in(r), w = next_out(r);
    size_t k = i < w ? i : w;
    if (k >= r->s.n) {
        snprintf(r->pos, sizeof r->pos, "end of recording");
        return r->pos;
    }
    const na_tr_event *e = &r->s.ev[k];
    char d[120] = "";
    if (e->data)
        show(e->data, e->len, d, sizeof d);
    snprintf(r->pos, sizeof r->pos, "line %u: %s \"%s\"", e->line,
             e->kind == NA_TR_IN ? "<" : e->kind == NA_TR_EOF ? "eof" : ">", d);
    return r->pos;
}
