/* sshd.h — test helpers around REAL OpenSSH tools: start /usr/sbin/sshd on a free loopback port
 * with a generated config in a temp dir, restart it (same port, optionally new host keys),
 * stop it; generate keys with ssh-keygen; run ssh-agent; create the password-login test user
 * when running as root. Every process started here is killed by the matching stop function,
 * by an atexit handler, and (PR_SET_PDEATHSIG) if the test process dies. Not a mock: tests
 * using it speak real SSH. Functions return 0 / -1 and put a reason in errbuf when given. */
#ifndef NA_TEST_SSHD_H
#define NA_TEST_SSHD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define NA_TEST_USER "netauto-test"
#define NA_TEST_USER_PASSWORD "Netauto-test-pw-7"

typedef struct na_sshd_opts {
    /* sshd_config lines placed BEFORE netauto's defaults (sshd keeps the first value of a
     * keyword, so these win), e.g. "KexAlgorithms diffie-hellman-group14-sha1\n". May be NULL. */
    const char *extra_config;
    bool rsa_only;       /* serve only the RSA host key (default: ed25519 and RSA) */
    bool use_pam;        /* UsePAM yes: needed for keyboard-interactive with OpenSSH */
} na_sshd_opts;

typedef struct na_sshd {
    pid_t pid;                 /* 0 when not running */
    int port;
    char dir[256];             /* temp dir holding everything below; removed by stop */
    char config[320];
    char log[320];             /* sshd -e output */
    char authorized_keys[320]; /* AuthorizedKeysFile for every user */
    char host_key_ed25519[320], host_key_rsa[320];
    na_sshd_opts opts;
    char *extra;               /* copy of opts.extra_config */
} na_sshd;

/* Generate host keys, write the config, start sshd -D -e on a free port of 127.0.0.1, wait
 * (deadline 15 s) until it listens. On failure everything started is stopped again. */
int na_sshd_start(na_sshd *s, const na_sshd_opts *o, char *errbuf, size_t cap);
/* Stop (if running) and start again on the same port; new_host_keys regenerates the keys
 * first (a "changed host key"). */
int na_sshd_restart(na_sshd *s, bool new_host_keys, char *errbuf, size_t cap);
/* SIGTERM, reap (SIGKILL after 5 s), remove the temp dir. Idempotent; s may be zeroed. */
void na_sshd_stop(na_sshd *s);
/* Append a public key file's line to the authorized keys. */
int na_sshd_authorize(na_sshd *s, const char *pubkey_path);
/* Write known_hosts lines ("[127.0.0.1]:PORT TYPE BASE64") for the served host keys to path
 * (created/truncated). */
int na_sshd_write_known_hosts(const na_sshd *s, const char *path);
/* The usual set-up of a test against sshd: start it with default options (errors on stderr as
 * "# sshd: ..."), make an ed25519 user key DIR/KEYNAME (no passphrase) and authorize it, and
 * write DIR/KHNAME with the served host keys. key and kh (at least 320 bytes each) get the two
 * paths. 0 or -1. */
int na_sshd_start_keyed(na_sshd *s, const char *dir, const char *keyname, const char *khname,
                        char *key, char *kh);
/* Last lines of the sshd log, for failure messages (static buffer). */
const char *na_sshd_log_tail(const na_sshd *s);

/* ssh-keygen -q -t TYPE -N PASSPHRASE -f PATH (type "ed25519", "rsa", "ecdsa"; passphrase
 * NULL = none). Overwrites. */
int na_sshd_keygen(const char *path, const char *type, const char *passphrase);

/* Fork/exec argv[0] (absolute path) with stdin from /dev/null (or `input` on a pipe when not
 * NULL) and stdout+stderr appended to `log` (NULL = /dev/null); extra environment entries
 * "K=V" in env (NULL-terminated, may be NULL). Wait for it (deadline 60 s). Returns its exit
 * status, or -1. */
int na_sshd_run(char *const argv[], char *const env[], const char *input, const char *log);
/* Start a long-running process the same way without waiting; pid or -1. Registered for the
 * atexit kill. */
pid_t na_sshd_spawn(char *const argv[], char *const env[], const char *log);
/* SIGTERM, reap (SIGKILL after 5 s); *pid = 0. */
void na_sshd_kill(pid_t *pid);

/* ssh-agent -D -a SOCK (sock path inside dir); waits for the socket. */
typedef struct na_sshd_agent {
    pid_t pid;
    char sock[300];
} na_sshd_agent;
int na_sshd_agent_start(na_sshd_agent *a, const char *dir);
int na_sshd_agent_add(const na_sshd_agent *a, const char *key_path);
/* The same for a key protected by a passphrase (given to ssh-add through SSH_ASKPASS). */
int na_sshd_agent_add_pw(const na_sshd_agent *a, const char *key_path, const char *passphrase);
void na_sshd_agent_stop(na_sshd_agent *a);

/* Running as root (useradd and password logins possible)? */
bool na_sshd_is_root(void);
/* As root: create NA_TEST_USER (useradd -m) if missing and set NA_TEST_USER_PASSWORD
 * (chpasswd). Idempotent. -1 when not root or on failure. */
int na_sshd_user_ensure(void);

/* Temp dir under $TMPDIR or /tmp ("netauto-<tag>-XXXXXX") into out; rm -rf of a tree. */
int na_sshd_mkdtemp(const char *tag, char *out, size_t cap);
void na_sshd_rm_rf(const char *path);

#endif
