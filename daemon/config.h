/* config.h — netautod's configuration file (YAML, loaded through core/ydoc.h so every problem
 * is reported as FILE:LINE:COLUMN). Relative paths are taken relative to the config file's
 * directory. See docs/daemon.md for the reference. Not the inventory: that is the backend's. */
#ifndef ND_CONFIG_H
#define ND_CONFIG_H

#include "cron.h"
#include "err.h"
#include "log.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct nd_schedule_cfg {
    char *name;
    char *cron_expr;
    nd_cron cron;
    char *playbook;       /* a job (name or inline YAML), or NULL */
    char *backup_command; /* a configuration backup ("show running-config"), or NULL */
    char *transport;      /* for backups: ssh|telnet|NULL */
    char *limit;          /* NULL = all hosts */
    bool check;
    json_t *vars;         /* object or NULL (owned) */
} nd_schedule_cfg;

typedef struct nd_conf {
    char *path;         /* the config file */
    char *listen;       /* default 127.0.0.1 */
    int port;           /* default 8443 */
    char *state_dir;    /* default $STATE_DIRECTORY, else the config file's directory */
    char *tls_cert;     /* NULL: self-signed pair generated in state_dir */
    char *tls_key;
    char *tokens_file;  /* default <state_dir>/tokens */
    char *inventory;    /* may be NULL */
    char *vault_password_file; /* passphrase for the inventory's vault (first line), or NULL:
                                  then $NETAUTO_VAULT_PASSWORD */
    char *playbook_dir; /* default <config dir>/playbooks */
    char *job_store;    /* default <state_dir>/jobs.db */
    bool sync_full;     /* store.synchronous: full (default) | normal */
    uint64_t store_max_bytes; /* store.max_size: the job store's size cap (0: none) */
    int64_t keep_jobs_s;      /* retention.jobs: finished jobs kept (seconds, 0: forever) */
    int64_t keep_events_s;    /* retention.events: their event history */
    int64_t keep_audit_s;     /* retention.audit: audit rows */
    unsigned hosts_in_flight;   /* limits.hosts_in_flight, default 64 */
    unsigned jobs_running;      /* limits.jobs_running, default 8 */
    unsigned jobs_queued;       /* limits.jobs_queued: accepted but not finished, default 1000 */
    size_t max_body;            /* limits.body_bytes, default 1 MiB */
    unsigned max_connections;   /* limits.connections, default 256 */
    unsigned max_conn_per_addr; /* limits.connections_per_address, default 64 */
    unsigned client_timeout_s;  /* limits.client_timeout, default 30 */
    unsigned request_timeout_s; /* limits.request_timeout: a whole request, default 10 */
    unsigned token_rate;        /* limits.token_rate: requests a second per token, default 100
                                   (0: unlimited) */
    unsigned token_burst;       /* limits.token_burst, default 500 */
    size_t stream_backlog;      /* limits.stream_backlog: unsent bytes per response, 1 MiB */
    unsigned validate_s;        /* limits.validation_time: one playbook's validation, 10 s */
    unsigned validations_per_token; /* limits.validations_per_token: jobs one token may have
                                       waiting for validation, default 8 */
    size_t validate_bytes;      /* limits.validation_bytes: text one request's validation may
                                   expand to (all hosts and tasks), 64 MiB */
    unsigned sse_heartbeat_s;   /* limits.sse_heartbeat, default 15 */
    unsigned drain_grace_s;     /* limits.drain_grace, default 60 */
    unsigned pool_idle_s;       /* session_pool.idle_timeout, default 120 */
    char *log_file;             /* NULL = stderr */
    na_log_level log_level;     /* default info */
    bool cron_utc;              /* timezone: utc | local (default local) */
    unsigned backups_keep;      /* backups.keep per host and command, default 100 */
    json_t *backend;            /* backend: mapping passed to the backend as JSON (owned) */
    nd_schedule_cfg *schedules;
    size_t n_schedules;
} nd_conf;

/* Load and validate. On failure err holds "FILE:LINE:COL: message" and *c is freed. */
int nd_conf_load(const char *path, nd_conf *c, na_err *err);
void nd_conf_free(nd_conf *c);
/* The schedule named `name`, or NULL. */
const nd_schedule_cfg *nd_conf_schedule(const nd_conf *c, const char *name);

#endif
