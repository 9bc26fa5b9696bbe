/* ssh_int.h — internals shared by the SSH transport's files (ssh.c: transport and set-up state
 * machine; ssh_resolve.c: the parameters in effect (inventory, ssh_config, defaults); ssh_io.c:
 * socket layer under libssh2; ssh_auth.c: authentication; ssh_hostkey.c: known_hosts policy;
 * ssh_algo.c: algorithm preferences and "no common algorithm" diagnosis; ssh_exec.c: exec;
 * ssh_xfer.c: file transfers (local side, deadlines), ssh_scp.c: SCP, ssh_sftp.c: SFTP).
 * Not a public header: other layers use transport.h and ssh.h. */
#ifndef NA_SSH_INT_H
#define NA_SSH_INT_H

#include "buf.h"
#include "err.h"
#include "net.h"
#include "ssh.h"
#include "transport.h"

#include <libssh2.h>
#include <libssh2_sftp.h>

/* rsa-sha2-256/512 host and user keys, strict key exchange (Terrapin), AES-GCM: 1.11 */
#if LIBSSH2_VERSION_NUM < 0x010b00
#error "netauto needs libssh2 >= 1.11 (scripts/install-deps.sh builds it on Debian 12)"
#endif
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Algorithm categories, in the order libssh2 negotiates them. */
enum { ALG_KEX = 0, ALG_HOSTKEY, ALG_CIPHER, ALG_MAC, ALG__COUNT };

/* What the server's KEXINIT offered (parsed from the bytes seen by our recv callback). */
typedef struct na_ssh_offer {
    bool parsed;
    size_t scan;               /* sniffed bytes already searched for the banner line */
    size_t kex_at;             /* offset just after the banner line (0 = not seen yet) */
    char *list[ALG__COUNT][2]; /* [category][0: client->server, 1: server->client]; kex and host
                                  key use [0] only. malloc'd, NULL if not parsed */
} na_ssh_offer;

typedef struct na_ssh_conn na_ssh_conn;

/* Authentication progress (ssh_auth.c). */
typedef struct na_ssh_auth {
    int step;             /* index into the method sequence */
    bool listed;          /* userauth_list done */
    char *offered;        /* methods the server allows (malloc'd) */
    char tried[192];      /* "publickey, password" */
    char notes[400];      /* why a method could not be used ("key file ...: wrong passphrase") */
    LIBSSH2_AGENT *agent;
    struct libssh2_agent_publickey *order[64]; /* agent keys to offer, in order */
    int norder, next;     /* keys in order[], the next one to offer */
    int agent_keys;       /* agent keys offered */
    bool *via_agent;      /* per identity file: its key is in the agent (offered there) */
    size_t id;            /* next identity file to try */
    bool offering;        /* ... being offered (libssh2 call in progress) */
    int file_keys;        /* identity files offered */
    int kbd_rounds;
    int64_t agent_deadline_ms; /* for answers from ssh-agent (a local socket, see ssh_io.c) */
    bool agent_stuck;     /* ssh-agent did not answer by then */
} na_ssh_auth;

/* ---- the parameters in effect (ssh_resolve.c) ----------------------------------------------
 * The caller's na_conn_params completed, when p->ssh_config is set, from the OpenSSH client
 * configuration and OpenSSH's defaults ("inventory, then ssh_config, then defaults"). */
#define NA_SSH_MAX_IDS 32
#define NA_SSH_MAX_KH 16
#define NA_SSH_MAX_HOPS 8

typedef struct na_ssh_res {
    na_conn_params p;           /* what the transport uses (c->p and t.params point here) */
    bool openssh;               /* ssh_config set: OpenSSH's habits apply */
    const char *ids[NA_SSH_MAX_IDS]; /* private key files to offer, in order */
    bool id_configured[NA_SSH_MAX_IDS]; /* named by the inventory or ssh_config (else one of
                                           OpenSSH's default ~/.ssh/id_* files) */
    size_t nids;
    bool identities_only;       /* IdentitiesOnly: agent keys only if they are one of ids */
    bool agent;                 /* ask ssh-agent */
    bool agent_asked;           /* use_agent: true or IdentityAgent: failing to reach it is news */
    const char *agent_sock;     /* IdentityAgent path, NULL = $SSH_AUTH_SOCK */
    const char *kh[NA_SSH_MAX_KH]; /* known_hosts files: the user's first ([0] gets new keys
                                      under accept-new), then the global ones */
    size_t nkh, nkh_user;
    const char *kh_host;        /* the name known_hosts is searched for (HostKeyAlias or host) */
    char cfg_where[ALG__COUNT][320]; /* "ssh_config FILE:LINE" of an algorithm list, or "" */
    char **owned;               /* strings allocated for the above */
    size_t nowned, capowned;
    na_conn_params *hops;       /* ProxyJump hops built from ssh_config (owned) */
    size_t nhops;
} na_ssh_res;

/* Fill c->res from params (reading ssh_config when asked). 0, or -1 + err (NA_E_CONFIG: a bad
 * ssh_config, ProxyCommand, an unknown %token). */
int na_ssh_resolve(na_ssh_conn *c, const na_conn_params *params, na_err *err);
void na_ssh_res_free(na_ssh_res *r);

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
 * every packet whole: libssh2 allows only one partially sent packet per session and refuses any
 * other channel's send meanwhile (1.10: LIBSSH2_ERROR_BAD_USE; 1.11: EAGAIN until that packet
 * is out), so it must never see EAGAIN on a send. Senders stop handing data to libssh2 while
 * more than WIRE_SOFT_MAX bytes wait. */
#define WIRE_SOFT_MAX ((size_t)64 << 10)
#define WIRE_HARD_MAX ((size_t)4 << 20)
#define MAX_ZOMBIES 16
#define MAX_SFTP_ZOMBIES 16

/* An SFTP transfer given up half-way: its handle must be closed (libssh2 frees a handle only
 * then) before its SFTP channel is freed; both are non-blocking, so they finish later. */
typedef struct na_ssh_sftp_zombie {
    LIBSSH2_SFTP *sftp;
    LIBSSH2_SFTP_HANDLE *fh;   /* NULL once closed */
} na_ssh_sftp_zombie;

struct na_ssh_conn {
    na_transport t;             /* first member: an na_transport * is an na_ssh_conn * */
    const na_conn_params *p;    /* the parameters in effect: &res.p */
    na_ssh_res res;
    char who[96];               /* name used in messages: "sw1" */
    bool is_jump;               /* serves as a jump host: never opens a shell */
    int state;
    int64_t phase_t0_us;
    int64_t start_us;           /* open() began */
    na_tcp *tcp;
    int sock;                   /* owned socket (direct connections), -1 otherwise */
    int io_fd;                  /* the socket libssh2 was given (ours, or the first hop's) */
    na_ssh_conn *jump;             /* owned transport to the jump host, NULL = direct */
    LIBSSH2_CHANNEL *tunnel;    /* direct-tcpip channel on jump->sess (freed with it) */
    LIBSSH2_SESSION *sess;
    LIBSSH2_CHANNEL *shell;
    na_buf wire;                /* encrypted bytes waiting for the socket / tunnel */
    na_buf outq;                /* bytes write() accepted that the channel has not taken yet */
    char *pref[ALG__COUNT];     /* effective preference lists (malloc'd) */
    na_buf sniff;               /* first bytes from the server, until its KEXINIT is parsed */
    bool sniffing;
    na_ssh_offer offer;
    na_ssh_auth auth;
    bool peer_closed;           /* the server closed the TCP connection / tunnel */
    bool wire_failed;           /* sending failed (connection reset) */
    int wire_errno;
    bool dead;                  /* after close(): callbacks refuse I/O so frees never wait */
    bool banner_seen;           /* server identification line received */
    bool kex_done;              /* handshake completed (keys exchanged) */
    int children;               /* exec/xfer objects alive on this session */
    LIBSSH2_CHANNEL *zombie[MAX_ZOMBIES]; /* abandoned channels still closing */
    int nzombie;
    na_ssh_sftp_zombie sftp_zombie[MAX_SFTP_ZOMBIES]; /* abandoned SFTP transfers */
    int nsftp_zombie;
    const void *sftp_initing;   /* the transfer whose libssh2_sftp_init is under way: libssh2
                                   keeps that state per session, one at a time */
};

static inline na_ssh_conn *na_ssh_of(na_transport *t) { return (na_ssh_conn *)t; }

/* The socket everything of c goes through: its own, or the first hop's. */
static inline int root_fd(const na_ssh_conn *c)
{
    while (c->jump)
        c = c->jump;
    return c->sock;
}

/* ssh_io.c */
/* libssh2's last error as text ("" if none). */
const char *na_ssh_last_error(LIBSSH2_SESSION *s);
/* The session's send/recv callbacks (abstract = the na_ssh_conn). */
LIBSSH2_SEND_FUNC(na_ssh_cb_send);
LIBSSH2_RECV_FUNC(na_ssh_cb_recv);
/* Push queued wire bytes (whole chain through jump hosts). 0, or -1 + err when the connection
 * failed. */
int na_ssh_pump(na_ssh_conn *c, na_err *err);
/* May more data be handed to libssh2 now (queued wire bytes under WIRE_SOFT_MAX)? */
bool na_ssh_can_send(const na_ssh_conn *c);
/* Finish closing abandoned channels (non-blocking) / hand one over to be finished later. */
void na_ssh_reap(na_ssh_conn *c);
void na_ssh_zombie(na_ssh_conn *c, LIBSSH2_CHANNEL *ch);

/* ssh.c */
/* EAGAIN from a libssh2 call: nothing to do but wait (want() is derived from the session). */
static inline bool na_ssh_again(int rc) { return rc == LIBSSH2_ERROR_EAGAIN; }
/* Record a libssh2 failure of `what` in err (code chosen from rc and the connection state). */
int na_ssh_fail(na_ssh_conn *c, int rc, const char *what, na_err *err);

/* ssh_algo.c */
/* Validate params->algos and build c->pref (defaults where not given). */
int na_ssh_algo_prepare(na_ssh_conn *c, na_err *err);
/* Apply c->pref to the session. */
int na_ssh_algo_apply(na_ssh_conn *c, na_err *err);
/* Feed bytes received during negotiation; parses the server's KEXINIT when complete. */
void na_ssh_algo_sniff(na_ssh_conn *c, const void *data, size_t n);
/* The handshake failed with LIBSSH2_ERROR_KEX_FAILURE: explain which category has nothing in
 * common and how to opt in (NA_E_ALGO). */
int na_ssh_algo_explain(na_ssh_conn *c, na_err *err);
/* Fill info.kex, host_key_type, cipher_cs/sc, mac_cs/sc, server_banner after the handshake. */
void na_ssh_algo_record(na_ssh_conn *c);
void na_ssh_offer_free(na_ssh_offer *o);

/* ssh_hostkey.c: check the presented host key against the policy; fills info.host_key_*. */
int na_ssh_hostkey_check(na_ssh_conn *c, na_err *err);
/* Key types ("ssh-rsa", "ssh-ed25519") known_hosts records for c's host, up to max (0 when
 * none, or with host_key_policy off). */
int na_ssh_hostkey_types(na_ssh_conn *c, char types[][64], int max);

/* ssh_keyfile.c: what a private key file is, without decrypting it. */
typedef struct na_ssh_keyinfo {
    bool known_format;          /* OpenSSH or PEM private key */
    bool encrypted;             /* protected by a passphrase */
    char type[64];              /* "ssh-rsa", "ssh-ed25519", "ecdsa-sha2-nistp256", "" */
    unsigned char blob[2048];   /* the public key (from PATH.pub or the OpenSSH header) */
    size_t blob_len;            /* 0 = not known */
    char fp[96];                /* its SHA256 fingerprint, "" when not known */
    int err_no;                 /* why the file could not be read */
} na_ssh_keyinfo;
/* 0, or -1 with k->err_no when the file cannot be read. */
int na_ssh_keyfile_info(const char *path, na_ssh_keyinfo *k);

/* ssh_auth.c: NA_OK authenticated, NA_AGAIN, NA_ERROR (NA_E_AUTH ...). */
na_status na_ssh_auth_step(na_ssh_conn *c, na_err *err);
void na_ssh_auth_free(na_ssh_conn *c);

/* ssh_exec.c: open a session channel on c and exec cmd. Resumable: *ch = NULL and *stage = 0
 * at first; NA_OK once the command runs (*ch is then the caller's to close and free). */
na_status na_ssh_exec_begin(na_ssh_conn *c, LIBSSH2_CHANNEL **ch, int *stage, const char *cmd,
                            na_err *err);

/* ---- file transfers (ssh_xfer.c common, ssh_scp.c, ssh_sftp.c) ------------------------------ */

enum { XS_RUN = 0, XS_DONE, XS_FAILED };

/* Payload bytes one step moves at most before it returns (with x->more set), so one fast
 * transfer cannot starve the other sessions of the event loop. */
#define XFER_STEP_BUDGET ((uint64_t)1 << 20)

struct na_ssh_xfer {
    na_ssh_conn *c;
    na_xfer_proto proto;
    bool upload;
    char *remote;
    int st;                     /* XS_* */
    int timeout_ms, stall_ms;
    int64_t deadline;           /* whole transfer */
    int64_t last_move_ms;       /* last progress (stall deadline = this + stall_ms) */
    bool more;                  /* the last step stopped at its work budget (XFER_STEP_BUDGET)
                                   with more to do: the deadline is "now" */
    uint64_t size, done, max, resumed_at;
    bool resume;                /* SFTP upload: continue a partial remote file */
    int mode;
    /* local source (upload) */
    int in_fd;
    const unsigned char *mem;
    /* local destination (download) */
    char *local, *tmp;          /* tmp: the file written (== local when in_place) */
    bool in_place;
    int out_fd;
    na_buf data;                /* download into memory */
    na_xfer_tap tap;
    void *tap_ud;
    /* SCP (ssh_scp.c) */
    struct {
        char *cmd;
        int st, stage, sub;
        LIBSSH2_CHANNEL *ch;
        char *chunk;
        size_t chunk_len, chunk_off;
        char w[600];
        size_t wlen, woff;
        char line[1024];
        size_t line_len;
        char errtxt[256];
        size_t errlen;
        int exit_status;
    } scp;
    /* SFTP (ssh_sftp.c) */
    struct {
        int st;
        LIBSSH2_SFTP *sftp;
        LIBSSH2_SFTP_HANDLE *fh;
        char *buf;              /* upload: bytes given to libssh2_sftp_write, not acknowledged */
        size_t buf_len, cap;
        bool src_eof;
    } sftp;
};

/* ssh_xfer.c: shared by the protocols. */
int na_ssh_xfer_timeout(na_ssh_xfer *x, na_err *err);   /* NA_AGAIN, or fail with the timeout */
void na_ssh_xfer_progress(na_ssh_xfer *x);              /* something moved: stall clock reset */
/* Payload moved: count it (and show it to the tap). */
void na_ssh_xfer_moved(na_ssh_xfer *x, const void *p, size_t n);
/* Read up to n source bytes at the current position into p: bytes read, or -1 + err. */
ssize_t na_ssh_xfer_read_src(na_ssh_xfer *x, char *p, size_t n, na_err *err);
/* Position the source at off (resume). 0 or -1 + err. */
int na_ssh_xfer_seek_src(na_ssh_xfer *x, uint64_t off, na_err *err);
/* Open the local destination once the size is known (refuses over max). 0 or -1 + err. */
int na_ssh_xfer_open_dst(na_ssh_xfer *x, na_err *err);
/* Write downloaded bytes to the destination. 0 or -1 + err. */
int na_ssh_xfer_write_dst(na_ssh_xfer *x, const char *p, size_t n, na_err *err);
/* Close (and rename into place) the local destination after success. 0 or -1 + err. */
int na_ssh_xfer_finish_dst(na_ssh_xfer *x, na_err *err);

/* ssh_scp.c / ssh_sftp.c: start (after the common set-up), step, give up (non-blocking). */
int na_ssh_scp_start(na_ssh_xfer *x, na_err *err);
na_status na_ssh_scp_step(na_ssh_xfer *x, na_err *err);
void na_ssh_scp_abandon(na_ssh_xfer *x);
int na_ssh_sftp_start(na_ssh_xfer *x, na_err *err);
na_status na_ssh_sftp_step(na_ssh_xfer *x, na_err *err);
void na_ssh_sftp_abandon(na_ssh_xfer *x);
/* Advance abandoned SFTP transfers (from na_ssh_reap) / end them at destroy (I/O refused). */
void na_ssh_sftp_reap(na_ssh_conn *c);
void na_ssh_sftp_drop_all(na_ssh_conn *c);

/* ssh_exec.c / ssh_xfer.c: the transport is open (ready) and usable for new channels. */
int na_ssh_usable(na_transport *t, const char *what, na_err *err);
int na_ssh_timeout_of(na_ssh_conn *c, int timeout_ms);

#endif
