/* sim_srv.h — the simulator's server: one libevent loop serving every device's SSH (libssh)
 * and Telnet (libtelnet) listener, the connections, the timing faults (slow, banner-delay),
 * signals (SIGTERM/SIGINT stop, SIGUSR1 writes stats) and the instrumentation files. Not the
 * device model (sim_device.h / sim_term.h): it only moves bytes between sockets and sessions. */
#ifndef SIM_SRV_H
#define SIM_SRV_H

#include "err.h"
#include "sim_device.h"
#include "sim_opts.h"

#include <libssh/libssh.h>
#include <libssh/server.h>
#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct event;
struct evconnlistener;
typedef struct sim_conn sim_conn;
typedef struct sim_srv sim_srv;

/* Per-device runtime: listeners, ports, SSH keys. */
typedef struct sim_dev_rt {
    sim_srv *srv;
    sim_device *dev;
    struct evconnlistener *l_ssh, *l_telnet;
    int ssh_port, telnet_port;
    ssh_bind bind;      /* carries the presented host key and the algorithm lists */
    ssh_key usual;      /* the key known_hosts records (owned) */
    ssh_key shown;      /* the key presented (== usual unless hostkey-change; owned) */
    sim_conn *conns;    /* connections to this device */
    unsigned seen_epoch;
} sim_dev_rt;

struct sim_srv {
    struct event_base *base;
    const sim_opts *opts;   /* borrowed */
    sim_creds creds;
    sim_device *devs;       /* ndevs devices (owned) */
    sim_dev_rt *rt;
    size_t ndevs;
    ssh_key *authkeys;      /* --authorized-keys (owned) */
    size_t nauthkeys;
    sim_conn *conns;        /* every connection */
    size_t nconns;
    unsigned stats_seq;
    struct event *sig_term, *sig_int, *sig_usr1;
    ssh_key legacy_rsa, legacy_rsa_alt; /* shared RSA keys for legacy-crypto devices */
};

/* Create the devices, keys and listeners (nothing is accepted until sim_srv_run). */
int sim_srv_init(sim_srv *s, const sim_opts *o, na_err *err);
/* Run the loop until SIGTERM or SIGINT. Returns 0, or -1 when the loop failed. */
int sim_srv_run(sim_srv *s);
/* Write --stats-file (seq incremented first). */
int sim_srv_write_stats(sim_srv *s, na_err *err);
/* Close everything and free. Safe after a failed init. */
void sim_srv_free(sim_srv *s);

#endif
