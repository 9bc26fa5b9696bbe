/* backend_int.h — the production backend's internal shape, shared by its files:
 *   backend_runner.c  the vtable (na_backend_default), create/destroy, options, stats
 *   backend_inv.c     inventory generations (refcounted), JSON, --limit, host status
 *   backend_jobs.c    playbook jobs: load, validate (na_runner_new), run on the daemon's loop
 *   backend_pool.c    the session pool: idle sessions per device, idle timeout, global bound
 *   backend_cmd.c     ad-hoc commands on pooled sessions (POST /v1/commands, backups)
 * Everything runs on the daemon's one event loop (backend.h). Not public: the daemon sees only
 * backend.h. */
#ifndef NA_BACKEND_INT_H
#define NA_BACKEND_INT_H

#include "backend.h"
#include "evwatch.h"
#include "inventory.h"
#include "platform.h"
#include "session.h"
#include "strmap.h"
#include "tfsm_lib.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#define BE_POOL_SIZE_DEFAULT 100

/* ---- inventory generations (backend_inv.c) ------------------------------------------------- */

/* One loaded inventory with its platform registry. Everything that borrows from it (a prepared
 * or running job, a command, a pooled session: na_conn_params, hosts, platforms) holds a
 * reference, so a reload (SIGHUP) never pulls memory from under work in progress: the old
 * generation is freed when its last user lets go. Independent of the backend (a job discarded
 * after the backend is destroyed can still drop its reference). */
typedef struct be_inv {
    unsigned refs;
    unsigned gen;          /* 1, 2, ... per successful load */
    na_inventory *inv;
    na_platforms *plats;
    na_tfsm_lib *tfsm;     /* TextFSM templates (the inventory's templates:, $NET_TEXTFSM,
                              $NTC_TEMPLATES_DIR, built-ins): made by the first request that
                              parses (be_inv_templates) */
    na_err tfsm_err;       /* why they could not be loaded */
} be_inv;

/* The generation's templates (loaded on first use, once); NULL + err when its template
 * directory is unusable. */
na_tfsm_lib *be_inv_templates(be_inv *g, na_err *err);

/* Load path (vault passphrase: vault_password_file, else $NETAUTO_VAULT_PASSWORD) with one
 * reference, or NULL + err. */
be_inv *be_inv_load(const char *path, const char *vault_password_file, unsigned gen, na_err *err);
be_inv *be_inv_ref(be_inv *g); /* returns g */
void be_inv_unref(be_inv *g);  /* NULL is fine */

/* What the backend knows about a device (kept by name across reloads). */
typedef struct be_hstat {
    int reachable;          /* -1 never tried, 0 the last attempt could not log in, 1 it did */
    int64_t last_seen;      /* wall ms of the last successful contact, 0 = never */
    int64_t last_try;       /* wall ms of the last attempt, 0 = never */
    unsigned job_sessions;  /* job host programs holding the device (a runner session each) */
    char last_error[300];   /* the last failure's message, "" when the last attempt succeeded */
} be_hstat;

/* The host's record, created on first use; NULL on OOM. */
be_hstat *be_hstat_get(na_be *be, const char *host);
/* Record an attempt: reached = a session was logged in; err (may be NULL) = what failed. */
void be_hstat_contact(na_be *be, const char *host, bool reached, const na_err *err);

/* ---- the pool (backend_pool.c) -------------------------------------------------------------- */

typedef struct be_sess be_sess;
/* Called when the session's socket is ready or its deadline passed, while an owner uses it. */
typedef void (*be_sess_fn)(void *owner);

struct be_sess {
    na_be *be;
    be_inv *gen;              /* reference: the host's connection parameters and platform */
    char *host;
    na_transport_kind kind;
    na_session *s;
    na_evwatch w;             /* busy: the owner's socket/deadline; idle: the idle timer */
    be_sess_fn fn;            /* busy: the owner's driver */
    void *owner;              /* NULL while idle */
    bool idle;
    bool opened;              /* logged in at least once (a reuse candidate) */
    int64_t idle_since_ms;    /* na_now_ms() when it went idle */
    TAILQ_ENTRY(be_sess) link;      /* be->sessions */
    TAILQ_ENTRY(be_sess) idle_link; /* be->idle, oldest first */
};
TAILQ_HEAD(be_sessq, be_sess);

/* A new session for h over kind (no I/O yet; the caller starts its open), busy for owner/fn.
 * Takes a reference on g. NULL + err. */
be_sess *be_pool_new(na_be *be, be_inv *g, const na_inv_host *h, na_transport_kind kind,
                     const na_platform *plat, be_sess_fn fn, void *owner, na_err *err);
/* An idle session for host over kind from generation g, checked alive (usable, transport
 * alive), now busy for owner/fn; NULL when there is none. Dead or stale ones met on the way are
 * closed. */
be_sess *be_pool_take(na_be *be, const char *host, na_transport_kind kind, be_inv *g,
                      be_sess_fn fn, void *owner);
/* Wait for what the session's operation waits for (reassign while it opens). */
int be_pool_arm(be_sess *x, na_err *err);
/* Done with it: back to the pool when it is usable, pooling is on and its inventory is still
 * current (the oldest idle session is closed when the pool is full), else closed. */
void be_pool_put(be_sess *x);
/* Close and free (a busy session's owner forgets it first). */
void be_pool_close(be_sess *x);
/* Close the idle sessions of host (all of them, or those not over keep_kind when keep_kind >= 0):
 * the holder of a device's lock makes sure no other session of it stays open. */
void be_pool_evict_host(na_be *be, const char *host, int keep_kind);
/* Close every idle session (inventory reload). */
void be_pool_flush(na_be *be);
/* Close everything (destroy). */
void be_pool_free_all(na_be *be);
/* Sessions of host: open (busy + idle), and idle. */
void be_pool_host_counts(na_be *be, const char *host, unsigned *open, unsigned *idle);

/* ---- the backend ----------------------------------------------------------------------------- */

LIST_HEAD(be_jobl, na_be_job);
LIST_HEAD(be_cmdl, na_be_cmd);

struct na_be {
    na_backend_services svc;
    char *playbook_dir;
    char *vault_password_file;
    unsigned pool_idle_s;      /* 0: no pooling */
    unsigned pool_size;        /* idle sessions kept at most */
    be_inv *cur;               /* the current inventory, NULL before the first load */
    unsigned next_gen;
    na_strmap *hstat;          /* host name -> be_hstat */
    struct be_sessq sessions;  /* every pool session, busy or idle */
    struct be_sessq idle;      /* idle ones, oldest first */
    na_strmap *idle_by_host;   /* host -> its idle session (at most one: see be_pool_evict_host) */
    unsigned n_sessions, n_idle;
    unsigned job_sessions;     /* runner host programs holding a device */
    struct be_jobl jobs;       /* running jobs */
    struct be_cmdl cmds;       /* commands in progress */
};

/* backend_inv.c: the inventory part of the vtable */
int be_inventory_load(na_be *be, const char *path, na_err *err);
json_t *be_inventory_json(na_be *be);
json_t *be_host_json(na_be *be, const char *name);
json_t *be_host_status(na_be *be, const char *name);
json_t *be_resolve_limit(na_be *be, const char *limit, na_err *err);

/* backend_jobs.c */
na_be_job *be_job_prepare(na_be *be, const na_job_spec *spec, json_t **targets, na_err *err);
int be_job_run(na_be *be, na_be_job *job, int64_t id, const na_job_sink *sink, na_err *err);
void be_job_cancel(na_be *be, na_be_job *job);
void be_job_discard(na_be *be, na_be_job *job);
void be_jobs_free_all(na_be *be); /* running jobs, no sink callback (destroy) */
/* Is the error one of reaching/logging in to the device (not a command's)? */
bool be_err_unreached(const na_err *err);

/* backend_cmd.c */
na_be_cmd *be_cmd_run(na_be *be, const na_cmd_spec *spec, na_cmd_done_cb done, void *ud,
                      na_err *err);
void be_cmd_cancel(na_be *be, na_be_cmd *cmd);
void be_cmds_free_all(na_be *be); /* no callback (destroy) */

#endif
