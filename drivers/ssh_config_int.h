/* ssh_config_int.h — what ssh_config.c (parsing, the cache) and ssh_config_eval.c (evaluating
 * the blocks for a host, expanding paths) share: the parsed form of a configuration and a few
 * helpers that follow OpenSSH's rules. Not a public header: other files use ssh_config.h. */
#ifndef NA_SSH_CONFIG_INT_H
#define NA_SSH_CONFIG_INT_H

#include "ssh_config.h"

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#define SSHCFG_MAX_DEPTH 16                 /* READCONF_MAX_DEPTH */
#define SSHCFG_MAX_FILE ((size_t)1 << 20)   /* a config file larger than 1 MiB is refused */
#define SSHCFG_MAX_FILES 256
#define SSHCFG_MAX_ARGS 256

/* ---- keywords ------------------------------------------------------------------------------
 * Every keyword OpenSSH 9.2 (with Debian's GSSAPI patch) accepts. The ones netauto uses get their
 * own code; the rest are accepted and ignored, as ssh ignores deprecated ones. */
enum {
    K_OTHER = 0, K_HOST, K_MATCH, K_INCLUDE, K_HOSTNAME, K_USER, K_PORT, K_IDENTITYFILE,
    K_IDENTITIESONLY, K_IDENTITYAGENT, K_PROXYJUMP, K_PROXYCOMMAND, K_USERKNOWNHOSTSFILE,
    K_GLOBALKNOWNHOSTSFILE, K_STRICTHOSTKEYCHECKING, K_CONNECTTIMEOUT, K_HOSTKEYALGORITHMS,
    K_KEXALGORITHMS, K_CIPHERS, K_MACS, K_HOSTKEYALIAS, K_IGNOREUNKNOWN, K_CANONICALIZEHOSTNAME,
    K_UNKNOWN,   /* not a keyword: an error unless IgnoreUnknown covers it */
    K_INC_BEGIN, /* structure: the directives of one included file follow */
    K_INC_END,
};

/* ---- the parsed form ----------------------------------------------------------------------- */

typedef struct sshcfg_dir {
    int k;
    int file;        /* index into sshcfg.files */
    unsigned line;
    int argc;
    char **argv;     /* arguments after the keyword, unquoted */
    char *rest;      /* the text after the keyword (ProxyJump, ProxyCommand keep it whole) */
    char *keyword;   /* K_UNKNOWN: the keyword as written, lowercased */
} sshcfg_dir;

typedef struct sshcfg_file {
    char *path;
    bool missing;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
} sshcfg_file;

typedef struct sshcfg_glob {  /* an Include pattern and what it matched when parsed */
    char *pattern;
    char **paths;
    size_t n;
} sshcfg_glob;

typedef struct sshcfg {
    char *path, *home;
    bool must_exist;
    sshcfg_file files[SSHCFG_MAX_FILES];
    int nfiles;
    sshcfg_glob *globs;
    size_t nglobs;
    sshcfg_dir *d;
    size_t n, cap;
    bool has_ignore_unknown;
    na_err error;    /* a syntax error found when parsing (returned to every caller) */
    struct sshcfg *next;
} sshcfg;

/* The cache: every parsed configuration, guarded by na_sshcfg_lock. na_sshcfg_get returns the
 * configuration for path as it is on disk now (parsed again when a file changed), NULL only
 * when out of memory; a syntax error is in ->error. Call with the lock held. */
extern pthread_mutex_t na_sshcfg_lock;
sshcfg *na_sshcfg_get(const char *path, bool must_exist, const char *home);

/* OpenSSH's small rules (readconf.c, match.c, misc.c). */
int na_sshcfg_port(const char *s);                    /* a2port: 1..65535, 0 if invalid */
long na_sshcfg_time(const char *s);                   /* convtime: "1m30s", -1 if invalid */
int na_sshcfg_flag(const char *s);                    /* yes/true 1, no/false 0, else -1 */
const char *na_sshcfg_strict(const char *s);          /* StrictHostKeyChecking, NULL if bad */
bool na_sshcfg_match_pattern(const char *s, const char *p); /* '*' '?', case-sensitive */
int na_sshcfg_match_list(const char *s, const char *list, bool dolower); /* 1, 0, -1 (!) */
int na_sshcfg_match_host(const char *host, const char *list); /* lowercased host */

#endif
