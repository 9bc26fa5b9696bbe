/* transport.h — the one interface every byte to or from a device goes through: a vtable filled
 * with designated initialisers (telnet.c, ssh.c, replay.c), non-blocking and resumable so the same
 * transport serves one CLI call or ten thousand sessions on one event loop.
 *
 * Contract for every implementation:
 *  - open() advances connection set-up (resolve, TCP connect, negotiation, authentication, PTY +
 *    shell). It returns NA_AGAIN while it must wait: the caller waits for ops->fd() to become ready
 *    in the direction(s) ops->want() says, or until t->deadline_ms, then calls open() again. When
 *    the deadline has passed, open() fails with NA_E_TIMEOUT naming the phase. NA_OK = ready.
 *  - read() returns NA_OK with *n > 0 bytes, NA_AGAIN with *n == 0 (nothing yet), NA_EOF when the
 *    device closed the session, or NA_ERROR. Telnet commands/negotiation never reach the caller:
 *    only data bytes do.
 *  - write() queues the whole buffer (bounded; overflow is NA_E_OVERFLOW) and sends what the
 *    socket takes now; flush() sends more and returns NA_OK once nothing is pending, NA_AGAIN
 *    otherwise (want() then includes NA_WANT_WRITE). Lines are written as "...\n"; a transport
 *    converts to its wire convention (Telnet NVT: "\r\n", bare "\r" as "\r\0").
 *  - Nothing blocks and nothing sleeps; nothing prints. Errors go into the caller's na_err.
 *  - Bytes in both directions are counted in t->info and, when t->transcript is set, recorded
 *    (writes flagged secret are recorded redacted).
 */
#ifndef NA_TRANSPORT_H
#define NA_TRANSPORT_H

#include "err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { NA_TRANSPORT_SSH = 0, NA_TRANSPORT_TELNET = 1 } na_transport_kind;

typedef enum {
    NA_HOSTKEY_STRICT = 0, /* unknown or changed key: refuse (default) */
    NA_HOSTKEY_ACCEPT_NEW, /* unknown key: record it in known_hosts; changed key: refuse */
    NA_HOSTKEY_OFF,        /* accept anything (warned about loudly, once per host) */
} na_hostkey_policy;

/* Per-phase deadlines in milliseconds; 0 means "use the default" (in parentheses). */
typedef struct na_timeouts {
    int connect_ms;   /* DNS + TCP connect (10000) */
    int negotiate_ms; /* SSH key exchange / Telnet option negotiation (10000) */
    int auth_ms;      /* SSH authentication; Telnet: the Username/Password dialog (15000) */
    int shell_ms;     /* PTY + shell + first prompt (15000) */
    int command_ms;   /* one command, prompt to prompt (30000) */
} na_timeouts;

/* SSH algorithm preferences as comma-separated lists in preference order (OpenSSH names).
 * NULL = netauto's secure default, which leaves out SHA-1 key exchange, ssh-rsa (SHA-1) host
 * keys, CBC ciphers and hmac-sha1; an inventory opts in per host for old devices. */
typedef struct na_ssh_algos {
    const char *kex;
    const char *host_keys;
    const char *ciphers;
    const char *macs;
} na_ssh_algos;

/* ssh-agent use: the default follows OpenSSH (when `ssh_config` is set: the agent is used when
 * $SSH_AUTH_SOCK is set or ssh_config's IdentityAgent names one; otherwise not at all). */
typedef enum { NA_AGENT_DEFAULT = 0, NA_AGENT_YES = 1, NA_AGENT_NO = 2 } na_agent_use;

/* ssh_config value meaning "the user's own ~/.ssh/config, read when it exists" (what ssh does
 * without -F); any other path must exist; "none" reads no file. */
#define NA_SSH_CONFIG_DEFAULT "~/.ssh/config"

/* Everything needed to reach and log in to one device. All pointers are borrowed and must
 * outlive the transport (the inventory owns them). */
typedef struct na_conn_params na_conn_params;
struct na_conn_params {
    const char *name;           /* inventory name, used in messages ("sw1") */
    const char *host;           /* address or DNS name */
    int port;                   /* 0 = 22 for SSH, 23 for Telnet */
    const char *username;
    const char *password;       /* secret; also used for keyboard-interactive */
    const char *key_file;       /* SSH private key (OpenSSH/PEM), NULL = none */
    const char *key_passphrase; /* secret, NULL = unencrypted key */
    na_agent_use use_agent;     /* try the keys in ssh-agent ($SSH_AUTH_SOCK) */
    na_hostkey_policy host_key_policy;
    bool host_key_policy_given; /* with ssh_config: host_key_policy was set (else
                                   StrictHostKeyChecking decides, then strict) */
    const char *known_hosts;    /* NULL = ~/.ssh/known_hosts */
    na_ssh_algos algos;
    const na_conn_params *jump; /* SSH jump host (direct-tcpip through it), NULL = direct */
    const char *term_type;      /* PTY / Telnet TERMINAL-TYPE, NULL = "vt100" */
    int term_width;             /* 0 = 511 */
    int term_height;            /* 0 = 24 */
    bool no_shell;              /* SSH: authenticate only, no PTY/shell (exec/SCP use) */
    na_timeouts timeouts;
    /* OpenSSH's habits (what inventory hosts get; docs/ssh.md "How a host is resolved"): when
     * set, the SSH transport completes what the fields above leave unset (NULL strings, port 0,
     * zero timeouts, use_agent NA_AGENT_DEFAULT, !host_key_policy_given, no jump) from this
     * OpenSSH client configuration file (a path, NA_SSH_CONFIG_DEFAULT or "none"), then from
     * OpenSSH's defaults: the local user name, port 22, the agent, ~/.ssh/id_rsa, id_ecdsa and
     * id_ed25519, ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts. NULL = the fields are used
     * exactly as given (no file, no defaults). */
    const char *ssh_config;
};

typedef enum {
    NA_PHASE_RESOLVE = 0,
    NA_PHASE_CONNECT,
    NA_PHASE_NEGOTIATE,
    NA_PHASE_AUTH,
    NA_PHASE_SHELL,
    NA_PHASE_READY,
    NA_PHASE_CLOSED,
    NA_PHASE__COUNT
} na_phase;

const char *na_phase_name(na_phase p); /* "resolve", "connect", "negotiate", "auth", "shell"... */

/* What a transport learned and measured; filled as it goes (what `netauto compare` reports). */
typedef struct na_conn_info {
    na_phase phase;
    int64_t phase_us[NA_PHASE__COUNT]; /* time spent in each set-up phase */
    uint64_t wire_in, wire_out;        /* bytes on the wire (encrypted, with protocol overhead) */
    uint64_t data_in, data_out;        /* payload bytes delivered by read() / taken by write() */
    char peer[64];                     /* "127.0.0.1:2201" */
    char auth_method[32];              /* "password", "publickey", "agent", "keyboard-interactive",
                                          "telnet-login" */
    bool cleartext_password;           /* credentials crossed the wire unencrypted (Telnet) */
    /* SSH only */
    char server_banner[128];           /* "SSH-2.0-..." */
    char kex[64], host_key_type[64], cipher_cs[64], cipher_sc[64], mac_cs[64], mac_sc[64];
    char host_key_fp[96];              /* "SHA256:base64" */
    /* Telnet only: options agreed, e.g. "ECHO SGA NAWS TTYPE" (remote ECHO = server echoes) */
    char telnet_options[128];
} na_conn_info;

typedef struct na_transport na_transport;
typedef struct na_transcript na_transcript; /* drivers/transcript.h */

typedef struct na_transport_ops {
    const char *name; /* "ssh", "telnet", "replay" */
    na_status (*open)(na_transport *t, na_err *err);
    na_status (*read)(na_transport *t, char *buf, size_t cap, size_t *n, na_err *err);
    /* secret: the bytes are a password/secret (recorded redacted in the transcript) */
    na_status (*write)(na_transport *t, const char *buf, size_t len, bool secret, na_err *err);
    na_status (*flush)(na_transport *t, na_err *err);
    int (*fd)(const na_transport *t);   /* -1 when there is nothing to wait on */
    int (*want)(const na_transport *t); /* NA_WANT_* mask */
    bool (*is_alive)(na_transport *t);  /* cheap check that the session still stands */
    void (*close)(na_transport *t);     /* graceful best-effort close; non-blocking; idempotent */
    void (*destroy)(na_transport *t);   /* close if needed and free everything */
} na_transport_ops;

struct na_transport {
    const na_transport_ops *ops;
    const na_conn_params *params; /* in effect: SSH points to its own completed copy (ssh_config
                                     and defaults applied), valid until destroy; others borrow
                                     the caller's */
    na_conn_info info;
    int64_t deadline_ms;          /* absolute na_now_ms() deadline of the current phase, 0 = none */
    int64_t wake_ms;              /* open() wants to be called again at this moment even without
                                     I/O (a quiet period it waits out), 0 = none */
    na_transcript *transcript;    /* borrowed, optional */
};

/* Constructors. They allocate but do no I/O; open() does. Free with t->ops->destroy(t). */
na_transport *na_telnet_new(const na_conn_params *p, na_err *err);
na_transport *na_ssh_new(const na_conn_params *p, na_err *err);

/* The transport for `kind` (ssh or telnet) with parameters p; same ownership as above. */
na_transport *na_transport_new(na_transport_kind kind, const na_conn_params *p, na_err *err);
const char *na_transport_kind_name(na_transport_kind kind); /* "ssh" / "telnet" */
/* "ssh" / "telnet" -> kind; 0 ok, -1 unknown. */
int na_transport_kind_parse(const char *s, na_transport_kind *out);

/* Default timeouts resolved (0 -> default). */
int na_timeout_ms(const na_timeouts *t, na_phase phase);
int na_command_timeout_ms(const na_timeouts *t);

/* Blocking helper for CLI use and tests: wait (poll) until t's fd is ready in the wanted
 * direction or its deadline / wake time / `deadline_ms` (whichever is sooner, 0 = none) passes.
 * Returns 0 when ready or when a deadline passed (the next call reports the timeout), -1 on poll
 * error. */
int na_transport_wait(na_transport *t, int64_t deadline_ms, na_err *err);

#endif
