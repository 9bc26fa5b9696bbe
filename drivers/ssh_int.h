/* ssh_int.h — internals shared by the SSH transport's files (ssh.c: transport and set-up state
 * machine; ssh_io.c: socket layer under libssh2; ssh_auth.c: authentication; ssh_hostkey.c:
 * known_hosts; ssh_algo.c: algorithm preferences and "no common algorithm" diagnosis;
 * ssh_exec.c, ssh_scp.c: exec and SCP).
 * Not a public header: other layers use transport.h and ssh.h. */
#ifndef NA_SSH_INT_H
#define NA_SSH_INT_H

#include "buf.h"
#include "err.h"
#include "net.h"
#include "transport.h"

#include <libssh2.h>
#include <stdbool.h>
#include <stdint.h>

/* Algorithm categories, in the order libssh2 negotiates them. */
enum { ALG_KEX = 0, ALG_HOSTKEY, ALG_CIPHER, ALG_MAC, ALG__COUNT };

/* What the server's KEXINIT offered (parsed from the bytes seen by our recv callback). */
typedef struct ssh_offer {
    bool parsed;
    size_t scan;               /* sniffed bytes already searched for the banner line */
    size_t kex_at;             /* offset just after the banner line (0 = not seen yet) */
    char *list[ALG__COUNT][2]; /* [category][0: client->server, 1: server->client]; kex and host
                                  key use [0] only. malloc'd, NULL if not parsed */
} ssh_offer;

/* Authentication progress (ssh_auth.c). */
typedef struct ssh_auth {
    int step;             /* index into the method sequence */
    bool listed;          /* userauth_list done */
    char *offered;        /* methods the server allows (malloc'd) */
    char tried[192];      /* "publickey, password" */
    char notes[256];      /* why a method could not be used ("key file ...: wrong passphrase") */
    LIBSSH2_AGENT *agent;
    struct libssh2_agent_publickey *ident;
    int agent_keys;
    int kbd_rounds;
} ssh_auth;

enum {
    S_INIT = 0,
    S_TCP,        /* resolve + TCP connect (direct) */
    S_JUMP,       /* opening the jump host's own session */
    S_TUNNEL,     /* direct-tcpip channel through the jump host */
    S_HANDSHAKE,  /* banner + key exchange */
    S_AUTH,
    S_CHAN,       /* shell: open session channel */
    S_PTY,
    S_SHELL,
    S_READY,
    S_FAILED,
    S_CLOSED,
};

/* Output to the socket (or tunnel) is queued here by our libssh2 send callback, which accepts
 * every packet whole: libssh2 1.10 allows only one partially sent packet per session and fails
 * any other channel's send meanwhile (LIBSSH2_ERROR_BAD_USE), so it must never see EAGAIN on a
 * send. Senders stop handing data to libssh2 while more than WIRE_SOFT_MAX bytes wait. */
#define WIRE_SOFT_MAX ((size_t)64 << 10)
#define WIRE_HARD_MAX ((size_t)4 << 20)
#define MAX_ZOMBIES 16

typedef struct ssh_conn ssh_conn;
struct ssh_conn {
    na_transport t;             /* first member: an na_transport * is an ssh_conn * */
    const na_conn_params *p;    /* borrowed */
    char who[96];               /* name used in messages: "sw1" */
    bool is_jump;               /* serves as a jump host: never opens a shell */
    int state;
    int64_t phase_t0_us;
    int64_t start_us;           /* open() began */
    na_tcp *tcp;
    int sock;                   /* owned socket (direct connections), -1 otherwise */
    int io_fd;                  /* the socket libssh2 was given (ours, or the first hop's) */
    ssh_conn *jump;             /* owned transport to the jump host, NULL = direct */
    LIBSSH2_CHANNEL *tunnel;    /* direct-tcpip channel on jump->sess (freed with it) */
    LIBSSH2_SESSION *sess;
    LIBSSH2_CHANNEL *shell;
    na_buf wire;                /* encrypted bytes waiting for the socket / tunnel */
    na_buf outq;                /* bytes write() accepted that the channel has not taken yet */
    char *pref[ALG__COUNT];     /* effective preference lists (malloc'd) */
    na_buf sniff;               /* first bytes from the server, until its KEXINIT is parsed */
    bool sniffing;
    ssh_offer offer;
    ssh_auth auth;
    bool peer_closed;           /* the server closed the TCP connection / tunnel */
    bool wire_failed;           /* sending failed (connection reset) */
    int wire_errno;
    bool dead;                  /* after close(): callbacks refuse I/O so frees never wait */
    bool banner_seen;           /* server identification line received */
    bool kex_done;              /* handshake completed (keys exchanged) */
    int children;               /* exec/xfer objects alive on this session */
    LIBSSH2_CHANNEL *zombie[MAX_ZOMBIES]; /* abandoned channels still closing */
    int nzombie;
};

static inline ssh_conn *ssh_of(na_transport *t) { return (ssh_conn *)t; }

/* The socket everything of c goes through: its own, or the first hop's. */
static inline int root_fd(const ssh_conn *c)
{
    while (c->jump)
        c = c->jump;
    return c->sock;
}

/* ssh_io.c */
/* libssh2's last error as text ("" if none). */
const char *ssh_last_error(LIBSSH2_SESSION *s);
/* The session's send/recv callbacks (abstract = the ssh_conn). */
LIBSSH2_SEND_FUNC(ssh_cb_send);
LIBSSH2_RECV_FUNC(ssh_cb_recv);
/* Push queued wire bytes (whole chain through jump hosts). 0, or -1 + err when the connection
 * failed. */
int ssh_pump(ssh_conn *c, na_err *err);
/* May more data be handed to libssh2 now (queued wire bytes under WIRE_SOFT_MAX)? */
bool ssh_can_send(const ssh_conn *c);
/* Finish closing abandoned channels (non-blocking) / hand one over to be finished later. */
void ssh_reap(ssh_conn *c);
void ssh_zombie(ssh_conn *c, LIBSSH2_CHANNEL *ch);

/* ssh.c */
/* EAGAIN from a libssh2 call: nothing to do but wait (want() is derived from the session). */
static inline bool ssh_again(int rc) { return rc == LIBSSH2_ERROR_EAGAIN; }
/* Record a libssh2 failure of `what` in err (code chosen from rc and the connection state). */
int ssh_fail(ssh_conn *c, int rc, const char *what, na_err *err);

/* ssh_algo.c */
/* Validate params->algos and build c->pref (defaults where not given). */
int ssh_algo_prepare(ssh_conn *c, na_err *err);
/* Apply c->pref to the session. */
int ssh_algo_apply(ssh_conn *c, na_err *err);
/* Feed bytes received during negotiation; parses the server's KEXINIT when complete. */
void ssh_algo_sniff(ssh_conn *c, const void *data, size_t n);
/* The handshake failed with LIBSSH2_ERROR_KEX_FAILURE: explain which category has nothing in
 * common and how to opt in (NA_E_ALGO). */
int ssh_algo_explain(ssh_conn *c, na_err *err);
/* Fill info.kex, host_key_type, cipher_cs/sc, mac_cs/sc, server_banner after the handshake. */
void ssh_algo_record(ssh_conn *c);
void ssh_offer_free(ssh_offer *o);

/* ssh_hostkey.c: check the presented host key against the policy; fills info.host_key_*. */
int ssh_hostkey_check(ssh_conn *c, na_err *err);

/* ssh_auth.c: NA_OK authenticated, NA_AGAIN, NA_ERROR (NA_E_AUTH ...). */
na_status ssh_auth_step(ssh_conn *c, na_err *err);
void ssh_auth_free(ssh_conn *c);

/* ssh_exec.c: open a session channel on c and exec cmd. Resumable: *ch = NULL and *stage = 0
 * at first; NA_OK once the command runs (*ch is then the caller's to close and free). */
na_status ssh_exec_begin(ssh_conn *c, LIBSSH2_CHANNEL **ch, int *stage, const char *cmd,
                         na_err *err);

/* ssh_exec.c / ssh_scp.c: the transport is open (ready) and usable for new channels. */
int ssh_usable(na_transport *t, const char *what, na_err *err);
int ssh_timeout_of(ssh_conn *c, int timeout_ms);

#endif
