/* sim_telnet.c — the Telnet side of the simulator with libtelnet in server mode: real option
 * negotiation (WILL ECHO, WILL SGA, DO NAWS, DO TTYPE on connect; clients that refuse
 * everything, like Python's telnetlib, still get a working session because the device echoes
 * anyway, as IOS does), NAWS window sizes, and the output pump. libtelnet never touches the
 * socket: received bytes go to telnet_recv, TELNET_EV_SEND fills our bounded output buffer.
 * Not the event loop (sim_srv.c) and not the login dialog (sim_term.c). */
#include "sim_srv_int.h"

#include "log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const telnet_telopt_t telopts[] = {
    {TELNET_TELOPT_ECHO, TELNET_WILL, TELNET_DONT},
    {TELNET_TELOPT_SGA, TELNET_WILL, TELNET_DO},
    {TELNET_TELOPT_NAWS, TELNET_WONT, TELNET_DO},
    {TELNET_TELOPT_TTYPE, TELNET_WONT, TELNET_DO},
    {-1, 0, 0},
};

static void on_telnet(telnet_t *tn, telnet_event_t *ev, void *ud)
{
    sim_conn *c = ud;
    switch (ev->type) {
    case TELNET_EV_DATA:
        if (c->term)
            sim_term_feed(c->term, ev->data.buffer, ev->data.size);
        break;
    case TELNET_EV_SEND:
        if (na_buf_append(&c->tout, ev->data.buffer, ev->data.size, "telnet output", NULL) < 0)
            c->dead = true; /* the client stopped reading long ago */
        break;
    case TELNET_EV_SUBNEGOTIATION:
        if (ev->sub.telopt == TELNET_TELOPT_NAWS && ev->sub.size >= 4) {
            const unsigned char *b = (const unsigned char *)ev->sub.buffer;
            c->naws_w = b[0] << 8 | b[1];
            c->naws_h = b[2] << 8 | b[3];
            if (c->term)
                sim_term_resize(c->term, c->naws_w, c->naws_h);
        }
        break;
    case TELNET_EV_WILL:
        if (ev->neg.telopt == TELNET_TELOPT_TTYPE)
            telnet_ttype_send(tn);
        break;
    case TELNET_EV_TTYPE:
        if (ev->ttype.cmd == TELNET_TTYPE_IS)
            NA_LOGD(c->dev->name, "telnet %s: terminal type %s", c->peer,
                    ev->ttype.name ? ev->ttype.name : "?");
        break;
    case TELNET_EV_ERROR:
        NA_LOGD(c->dev->name, "telnet %s: protocol error: %s", c->peer, ev->error.msg);
        c->dead = true;
        break;
    default:
        break;
    }
}

int sim_telnet_start(sim_conn *c)
{
    c->tn = telnet_init(telopts, on_telnet, 0, c);
    if (!c->tn)
        return -1;
    telnet_negotiate(c->tn, TELNET_WILL, TELNET_TELOPT_ECHO);
    telnet_negotiate(c->tn, TELNET_WILL, TELNET_TELOPT_SGA);
    telnet_negotiate(c->tn, TELNET_DO, TELNET_TELOPT_NAWS);
    telnet_negotiate(c->tn, TELNET_DO, TELNET_TELOPT_TTYPE);
    sim_term_cfg cfg = {.transport = SIM_TR_TELNET, .login = true, .peer = c->peer,
                        .width = c->naws_w, .height = c->naws_h,
                        .seed = c->srv->opts->seed + (uint32_t)c->dev->c.connections};
    sim_term *t = sim_term_new(c->dev, &cfg);
    if (!t)
        return -1;
    sim_conn_attach_term(c, t);
    return 0;
}

static void flush_out(sim_conn *c)
{
    while (c->tout.len > 0 && !c->dead) {
        ssize_t w = write(c->fd, c->tout.data, c->tout.len);
        if (w > 0) {
            na_buf_consume(&c->tout, (size_t)w);
        } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            break;
        } else {
            c->dead = true;
        }
    }
}

void sim_telnet_io(sim_conn *c, bool readable)
{
    if (!c->tn || c->dead)
        return;
    if (readable) {
        char buf[SIM_CHUNK];
        ssize_t n = read(c->fd, buf, sizeof buf);
        if (n > 0) {
            telnet_recv(c->tn, buf, (size_t)n);
        } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            NA_LOGD(c->dev->name, "telnet %s: client closed", c->peer);
            c->dead = true;
            return;
        }
    }
    flush_out(c);
}

bool sim_telnet_want_write(sim_conn *c) { return !c->dead && c->tout.len > 0; }

void sim_telnet_pump(sim_conn *c)
{
    if (!c->tn || !c->term || c->dead)
        return;
    char buf[SIM_CHUNK];
    while (c->tout.len < SIM_CHUNK && sim_term_pending(c->term)) {
        size_t b = sim_conn_budget(c, SIM_CHUNK - c->tout.len);
        if (b == 0)
            break;
        size_t n = sim_term_pull(c->term, buf, b);
        if (n == 0) {
            (void)sim_conn_budget(c, 0); /* a pause just began: its timer */
            break;
        }
        sim_conn_spent(c, n);
        telnet_send(c->tn, buf, n);
        flush_out(c);
    }
    flush_out(c);
    sim_term_status st = sim_term_status_of(c->term);
    if ((st == SIM_TS_CLOSE || st == SIM_TS_DROP) && c->tout.len == 0 &&
        !sim_term_pending(c->term))
        sim_conn_linger(c); /* closing the socket is all a device does */
}

void sim_telnet_free(sim_conn *c)
{
    if (c->tn)
        telnet_free(c->tn);
    c->tn = NULL;
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    na_buf_free(&c->tout);
}
