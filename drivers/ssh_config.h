/* ssh_config.h — OpenSSH client configuration files (ssh_config(5)), read the way OpenSSH 9.2's
 * ssh reads them, for the options netauto uses: Host and Match blocks (host, originalhost, user,
 * localuser, all, final, canonical; '!' negation), Include (globs, ~/.ssh-relative, depth 16,
 * inactive blocks parse-only), first value wins, IdentityFile cumulative, quoting and '#'
 * comments, "Keyword=value", IgnoreUnknown. Every other OpenSSH keyword is accepted and ignored;
 * an unknown one, a missing argument, a bad value or bad Match syntax is an error with FILE:LINE,
 * as with ssh itself. Files are parsed once per process and cached (re-read when any of them
 * changes). Not the merge with the inventory and the defaults: ssh_resolve.c does that.
 *
 * Unsupported on purpose (an error naming the line when it applies to a host, never a silent
 * skip): Match exec (netauto runs no commands from config files), ProxyCommand (use ProxyJump).
 * Not implemented: hostname canonicalisation by DNS (CanonicalizeHostname only triggers the
 * final pass, with the host name as it is) and the system-wide /etc/ssh/ssh_config. */
#ifndef NA_SSH_CONFIG_H
#define NA_SSH_CONFIG_H

#include "err.h"

#include <stdbool.h>
#include <stddef.h>

/* What the caller already decided, as OpenSSH's command line would (it wins over the files and
 * Match user sees it). */
typedef struct na_ssh_cfg_query {
    const char *host;       /* the name given (what Host patterns match), required */
    const char *user;       /* remote user already chosen (ssh -l), NULL = none */
    int port;               /* port already chosen (ssh -p), 0 = none */
    const char *home;       /* for ~ and %d; NULL = $HOME, else the password database */
    const char *local_user; /* for Match localuser, %u; NULL = the current user's name */
} na_ssh_cfg_query;

#define NA_SSH_CFG_MAX_IDS 100   /* as OpenSSH (SSH_MAX_IDENTITY_FILES) */
#define NA_SSH_CFG_MAX_KH 16     /* known_hosts files per option (SSH_MAX_HOSTS_FILES) */

/* What the files say for one host. Strings are malloc'd (freed by na_ssh_cfg_free); NULL / 0 /
 * -1 = not set by the files. where_* hold "FILE:LINE" of the line that set the value. */
typedef struct na_ssh_cfg {
    char *hostname;          /* HostName with %h expanded */
    char *user;
    int port;
    char *identity_files[NA_SSH_CFG_MAX_IDS]; /* as written (~ and %tokens NOT expanded) */
    size_t n_identity_files;
    int identities_only;     /* -1, 0, 1 */
    char *identity_agent;    /* as written */
    char *proxy_jump;        /* as written; "none" = none */
    char *proxy_command;     /* set when a ProxyCommand applies (netauto refuses it) */
    char where_proxy_command[300];
    bool user_known_hosts_set, global_known_hosts_set; /* "none" = set with 0 entries */
    char *user_known_hosts[NA_SSH_CFG_MAX_KH];   /* as written */
    size_t n_user_known_hosts;
    char *global_known_hosts[NA_SSH_CFG_MAX_KH];
    size_t n_global_known_hosts;
    char *strict_host_key_checking; /* "yes", "no", "ask" or "accept-new" */
    int connect_timeout;     /* seconds; -1 = not set, 0 = none */
    char *host_key_algorithms, *kex_algorithms, *ciphers, *macs; /* as written (+/-/^ kept) */
    char where_host_key_algorithms[300], where_kex_algorithms[300], where_ciphers[300],
        where_macs[300];
    char *host_key_alias;
} na_ssh_cfg;

/* Parse path (and what it includes) into the cache, so that syntax errors surface early:
 * "FILE:LINE: ..." (NA_E_CONFIG). must_exist: a missing file is an error (an explicitly named
 * file, like ssh -F) rather than an empty configuration (the default ~/.ssh/config, which is
 * also checked for safe ownership and permissions, as ssh does). "none" is always empty. */
int na_ssh_config_check(const char *path, bool must_exist, const char *home, na_err *err);

/* Evaluate the configuration for q. out is filled (free with na_ssh_cfg_free, also after an
 * error). 0, or -1 + err: a syntax error (as above), Match exec reached for this host, a
 * percent token that does not exist. */
int na_ssh_config_lookup(const char *path, bool must_exist, const na_ssh_cfg_query *q,
                         na_ssh_cfg *out, na_err *err);
void na_ssh_cfg_free(na_ssh_cfg *c);

/* Expand "~/", "~user/", ${ENV} and OpenSSH's %tokens (%% %C %d %h %i %k %L %l %n %p %r %u) in
 * s, as ssh does for IdentityFile, UserKnownHostsFile and IdentityAgent. tokens: the values
 * for h (host name), k (host key alias), n (name as given), p (port), r (remote user); the rest
 * come from the system. Returns a malloc'd string, or NULL + err (unknown %token, unset
 * ${ENV}, no such ~user). */
typedef struct na_ssh_cfg_tokens {
    const char *host, *alias, *original, *user, *home, *local_user;
    int port;
} na_ssh_cfg_tokens;
char *na_ssh_config_expand(const char *s, const na_ssh_cfg_tokens *tk, const char *what,
                           na_err *err);

/* The home directory and user name ~, %d, %u and Match localuser stand for: home when given,
 * else $HOME, else the password database; the current user's name. Per-thread buffers. */
const char *na_ssh_config_home(const char *home);
const char *na_ssh_config_user(void);

/* Drop every cached file (tests). */
void na_ssh_config_flush(void);

#endif
