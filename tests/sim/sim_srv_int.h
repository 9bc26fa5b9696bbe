/* sim_srv_int.h — one client connection of the simulator's server and the protocol hooks the
 * generic server (sim_srv.c) calls into (sim_ssh.c, sim_telnet.c). Internal to the server. */
#ifndef SIM_SRV_INT_H
#define SIM_SRV_INT_H

#include "buf.h"
#include "sim_srv.h"
#include "sim_term.h"

#include <libssh/callbacks.h>
#include <libtelnet.h>
#include <stdint.h>

#define SIM_CHUNK 16384

struct sim_conn {
    sim_srv *srv;
    sim_dev_rt *rt;
    sim_device *dev;
    sim_transport kind;
    int fd;                  /* the socket (ours; libssh has its own dup of it) */
    bool lingering;          /* we sent FIN; read and discard until the client closes */
    char peer[64];
    struct event *ev_read, *ev_write, *ev_timer, *ev_deadline;
    bool started;            /* protocol started (after banner-delay) */
    int64_t start_at_us;     /* banner-delay: not before this (na_now_us) */
    bool write_armed;
    bool dead;               /* free at the end of the current callback */
    bool closing;            /* graceful close under way (SSH: channel closed, waiting) */
    sim_term *term;
    /* slow fault: token bucket */
    double tokens;
    int64_t tb_us;
    bool timer_armed;
    /* bytes pulled from the terminal that the transport has not taken yet */
    char pend[SIM_CHUNK];
    size_t pend_len, pend_off;
    /* SSH */
    ssh_session ss;
    ssh_event sev;
    ssh_channel ch;
    struct ssh_server_callbacks_struct scb;
    struct ssh_channel_callbacks_struct ccb;
    int auth_fails;
    bool authed, kill, shell_done;
    int pty_w, pty_h;
    char user[64];
    /* Telnet */
    telnet_t *tn;
    na_buf tout;
    int naws_w, naws_h;
    struct sim_fchan *fchans; /* SSH channels serving SCP / SFTP (sim_fchan.c) */
    /* lists */
    sim_conn *next, *prev;   /* server list */
    sim_conn *dnext;         /* device list */
};

/* generic (sim_srv.c) */
void sim_conn_pump(sim_conn *c);          /* move terminal output to the transport */
void sim_conn_update_io(sim_conn *c);     /* (re)arm read/write interest */
void sim_conn_attach_term(sim_conn *c, sim_term *t);
/* Half-close (FIN after the data already queued), then discard input until the client closes
 * or 2 s pass — so unread input never turns our close into a reset that loses output. */
void sim_conn_linger(sim_conn *c);
void sim_conn_log(sim_conn *c, const char *event, const char *text);
/* How many bytes the slow fault lets through now (want when there is no fault). */
size_t sim_conn_budget(sim_conn *c, size_t want);
void sim_conn_spent(sim_conn *c, size_t n);

/* SSH (sim_ssh.c) */
int sim_ssh_bind_setup(sim_dev_rt *rt, na_err *err);
int sim_ssh_start(sim_conn *c);
void sim_ssh_io(sim_conn *c);
void sim_ssh_pump(sim_conn *c);
bool sim_ssh_want_write(sim_conn *c);
void sim_ssh_free(sim_conn *c);

/* Telnet (sim_telnet.c) */
int sim_telnet_start(sim_conn *c);
void sim_telnet_io(sim_conn *c, bool readable);
void sim_telnet_pump(sim_conn *c);
bool sim_telnet_want_write(sim_conn *c);
void sim_telnet_free(sim_conn *c);

#endif
