/* backend_int.h — the production backend's internal shape, shared by its files:
 *   backend_runner.c  the vtable (nd_backend_default), create/destroy, options, stats
 *   backend_inv.c     inventory generations (refcounted), JSON, --limit, host status
 *   backend_jobs.c    playbook jobs: load, validate (na_runner_new), run on the daemon's loop
 *   backend_validate.c  the validator thread: job validation off the loop
 *   backend_parse.c   the parser thread: TextFSM records of command outputs off the loop
 *   backend_pool.c    the session pool: idle sessions per device, idle timeout, global bound
 *   backend_cmd.c     ad-hoc commands on pooled sessions (POST /v1/commands, backups)
 *   backend_shell.c   interactive shells (the web page's terminal) on fresh sessions
 * Everything runs on the daemon's one event loop (backend.h). Not public: the daemon sees only
 * backend.h. */
#ifndef ND_BACKEND_INT_H
#define ND_BACKEND_INT_H

#include "backend.h"
#include "evwatch.h"
#include "inventory.h"
#include "platform.h"
#include "playbook.h"
#include "session.h"
#include "strmap.h"
#include "tfsm_lib.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#define ND_BE_POOL_SIZE_DEFAULT 100

/* ---- inventory generations (backend_inv.c) ------------------------------------------------- */

/* One loaded inventory with its platform registry. Everything that borrows from it (a prepared
 * or running job, a command, a pooled session: na_conn_params, hosts, platforms) holds a
 * reference, so a reload (SIGHUP) never pulls memory from under work in progress: the old
 * generation is freed when its last user lets go. Independent of the backend (a job discarded
 * after the backend is destroyed can still drop its reference). */
typedef struct nd_be_inv {
    unsigned refs;
    unsigned gen;          /* 1, 2, ... per successful load */
    na_inventory *inv;
    na_platforms *plats;
    na_tfsm_lib *tfsm;     /* TextFSM templates (the inventory's templates:, $NET_TEXTFSM,
                              $NTC_TEMPLATES_DIR, built-ins): made by the first request that
                              parses (nd_be_inv_templates), on the loop */
    na_err tfsm_err;       /* why they could not be loaded */
} nd_be_inv;

/* The generation's templates (loaded on first use, once); NULL + err when its template
 * directory is unusable. */
na_tfsm_lib *nd_be_inv_templates(nd_be_inv *g, na_err *err);

/* Load path (vault passphrase: vault_password_file, else $NETAUTO_VAULT_PASSWORD) with one
 * reference, or NULL + err. */
nd_be_inv *nd_be_inv_load(const char *path, const char *vault_password_file, unsigned gen,
                          na_err *err);
nd_be_inv *nd_be_inv_ref(nd_be_inv *g); /* returns g */
/* The platform of a host of generation g, or NULL + err (NA_E_CONFIG, naming host and
 * platform). */
const na_platform *nd_be_inv_platform(nd_be_inv *g, const na_inv_host *h, na_err *err);
/* What a request names, resolved in the current generation: the host (NA_E_NOTFOUND), the
 * transport (its own unless transport is "ssh" or "telnet"; NA_E_USAGE otherwise) and its
 * platform. 0, or -1 + err. */
int nd_be_target(nd_be_inv *g, const char *host, const char *transport, const na_inv_host **h,
                 na_transport_kind *kind, const na_platform **plat, na_err *err);
void nd_be_inv_unref(nd_be_inv *g);  /* NULL is fine */

/* What the backend knows about a device (kept by name across reloads). */
typedef struct nd_be_hstat {
    int reachable;          /* -1 never tried, 0 the last attempt could not log in, 1 it did */
    int64_t last_seen;      /* wall ms of the last successful contact, 0 = never */
    int64_t last_try;       /* wall ms of the last attempt, 0 = never */
    unsigned job_sessions;  /* job host programs holding the device (a runner session each) */
    char last_error[300];   /* the last failure's message, "" when the last attempt succeeded */
} nd_be_hstat;

/* The host's record, created on first use; NULL on OOM. */
nd_be_hstat *nd_be_hstat_get(nd_be *be, const char *host);
/* Record an attempt: reached = a session was logged in; err (may be NULL) = what failed. */
void nd_be_hstat_contact(nd_be *be, const char *host, bool reached, const na_err *err);

/* ---- the pool (backend_pool.c) -------------------------------------------------------------- */

typedef struct nd_be_sess nd_be_sess;
/* Called when the session's socket is ready or its deadline passed, while an owner uses it. */
typedef void (*nd_be_sess_fn)(void *owner);

struct nd_be_sess {
    nd_be *be;
    nd_be_inv *gen;              /* reference: the host's connection parameters and platform */
    char *host;
    na_transport_kind kind;
    na_session *s;
    na_evwatch w;             /* busy: the owner's socket/deadline; idle: the idle timer */
    nd_be_sess_fn fn;            /* busy: the owner's driver */
    void *owner;              /* NULL while idle */
    bool idle;
    bool opened;              /* logged in at least once (a reuse candidate) */
    int64_t idle_since_ms;    /* na_now_ms() when it went idle */
    TAILQ_ENTRY(nd_be_sess) link;      /* be->sessions */
    TAILQ_ENTRY(nd_be_sess) idle_link; /* be->idle, oldest first */
};
TAILQ_HEAD(nd_be_sessq, nd_be_sess);

/* A new session for h over kind (no I/O yet; the caller starts its open), busy for owner/fn.
 * Takes a reference on g. NULL + err. */
nd_be_sess *nd_be_pool_new(nd_be *be, nd_be_inv *g, const na_inv_host *h, na_transport_kind kind,
                     const na_platform *plat, nd_be_sess_fn fn, void *owner, na_err *err);
/* An idle session for host over kind from generation g, checked alive (usable, transport
 * alive), now busy for owner/fn; NULL when there is none. Dead or stale ones met on the way are
 * closed. */
nd_be_sess *nd_be_pool_take(nd_be *be, const char *host, na_transport_kind kind, nd_be_inv *g,
                      nd_be_sess_fn fn, void *owner);
/* Wait for what the session's operation waits for (reassign while it opens). */
int nd_be_pool_arm(nd_be_sess *x, na_err *err);
/* Done with it: back to the pool when it is usable, pooling is on and its inventory is still
 * current (the oldest idle session is closed when the pool is full), else closed. */
void nd_be_pool_put(nd_be_sess *x);
/* Close and free (a busy session's owner forgets it first). */
void nd_be_pool_close(nd_be_sess *x);
/* Close the idle sessions of host (all of them, or those not over keep_kind when keep_kind >= 0):
 * the holder of a device's lock makes sure no other session of it stays open. */
void nd_be_pool_evict_host(nd_be *be, const char *host, int keep_kind);
/* Close every idle session (inventory reload). */
void nd_be_pool_flush(nd_be *be);
/* Close everything (destroy). */
void nd_be_pool_free_all(nd_be *be);
/* Sessions of host: open (busy + idle), and idle. */
void nd_be_pool_host_counts(nd_be *be, const char *host, unsigned *open, unsigned *idle);

/* ---- the backend ----------------------------------------------------------------------------- */

typedef struct nd_be_validator nd_be_validator; /* backend_validate.c */
typedef struct nd_be_parser nd_be_parser;       /* backend_parse.c */
LIST_HEAD(nd_be_jobl, nd_be_job);
LIST_HEAD(nd_be_cmdl, nd_be_cmd);
LIST_HEAD(nd_be_shelll, nd_be_shell);

struct nd_be {
    nd_backend_services svc;
    char *playbook_dir;
    char *vault_password_file;
    unsigned pool_idle_s;      /* 0: no pooling */
    unsigned pool_size;        /* idle sessions kept at most */
    nd_be_inv *cur;            /* the current inventory, NULL before the first load */
    unsigned next_gen;
    na_strmap *hstat;          /* host name -> nd_be_hstat */
    struct nd_be_sessq sessions; /* every pool session, busy or idle */
    struct nd_be_sessq idle;   /* idle ones, oldest first */
    na_strmap *idle_by_host;   /* host -> its idle session (at most one per host, see
                                  nd_be_pool_evict_host) */
    unsigned n_sessions, n_idle;
    unsigned job_sessions;     /* runner host programs holding a device */
    struct nd_be_jobl jobs;    /* running jobs */
    struct nd_be_cmdl cmds;    /* commands in progress */
    struct nd_be_shelll shells; /* interactive shells (backend_shell.c) */
    nd_be_validator *validator;
    nd_be_parser *parser;
    size_t validate_bytes;     /* the validation budget of one job: expanded text */
    unsigned validate_s;       /* ... and time */
};

/* backend_inv.c: the inventory part of the vtable */
int nd_be_inventory_load(nd_be *be, const char *path, na_err *err);
json_t *nd_be_inventory_json(nd_be *be);
json_t *nd_be_host_json(nd_be *be, const char *name);
json_t *nd_be_host_status(nd_be *be, const char *name);
json_t *nd_be_resolve_limit(nd_be *be, const char *limit, na_err *err);

/* backend_jobs.c */
/* Load and validate a job against generation gen within budget. Runs on the validator thread:
 * touches no reference count and nothing of the backend but its constant settings. On success
 * the job owns the caller's reference on gen; on failure the caller keeps it. */
nd_be_job *nd_be_job_validate(nd_be *be, nd_be_inv *gen, const nd_job_spec *spec,
                              na_pb_budget *budget, json_t **targets, na_err *err);
int nd_be_job_run(nd_be *be, nd_be_job *job, int64_t id, const nd_job_sink *sink, na_err *err);
void nd_be_job_cancel(nd_be *be, nd_be_job *job);
void nd_be_job_discard(nd_be *be, nd_be_job *job);
bool nd_be_job_resumable(nd_be *be, const nd_be_job *job);
void nd_be_jobs_free_all(nd_be *be); /* running jobs, no sink callback (destroy) */
/* Is the error one of reaching/logging in to the device (not a command's)? */
bool nd_be_err_unreached(const na_err *err);

/* backend_validate.c: the vtable's job_prepare / job_prepare_abandon, and the thread */
nd_be_validator *nd_be_validator_new(nd_be *be, na_err *err);
void nd_be_validator_free(nd_be_validator *v); /* stops the thread; no callback after this */
nd_be_prep *nd_be_job_prepare(nd_be *be, const nd_job_spec *spec, nd_job_prepared_cb done,
                              void *ud, na_err *err);
void nd_be_job_prepare_abandon(nd_be *be, nd_be_prep *p);

/* backend_parse.c: TextFSM off the loop. One output to parse: command and text (malloc'd, len
 * bytes) are the batch's once submitted; the thread sets recs (new reference) or err. */
typedef struct nd_be_parse_item {
    char *command;
    char *text;
    size_t len;
    json_t *recs;  /* done may take it (and set NULL) */
    na_err err;
} nd_be_parse_item;
typedef struct nd_be_parsing nd_be_parsing;
typedef void (*nd_be_parsed_cb)(void *ud, nd_be_parse_item *items, size_t n); /* on the loop */
nd_be_parser *nd_be_parser_new(struct event_base *base, na_err *err);
void nd_be_parser_free(nd_be_parser *q); /* stops the thread, drops the batches: no callback */
/* Parse items[0..n) (a malloc'd array; the batch's from now on, even on failure) for a host of
 * platform `platform` (borrowed from gen) with gen's template library; done(ud, items, n) on
 * the loop, after which the batch is freed. NULL + err (NA_E_OVERFLOW when too many wait). */
nd_be_parsing *nd_be_parse_submit(nd_be *be, nd_be_inv *gen, const char *platform,
                                  nd_be_parse_item *items, size_t n, nd_be_parsed_cb done,
                                  void *ud, na_err *err);
/* No callback for p (on the loop). */
void nd_be_parse_abandon(nd_be *be, nd_be_parsing *p);

/* backend_cmd.c */
nd_be_cmd *nd_be_cmd_run(nd_be *be, const nd_cmd_spec *spec, nd_cmd_done_cb done, void *ud,
                      na_err *err);
void nd_be_cmd_cancel(nd_be *be, nd_be_cmd *cmd);
void nd_be_cmds_free_all(nd_be *be); /* no callback (destroy) */

/* backend_shell.c */
nd_be_shell *nd_be_shell_open(nd_be *be, const nd_shell_spec *spec, const nd_shell_sink *sink,
                              na_err *err);
int nd_be_shell_write(nd_be *be, nd_be_shell *sh, const char *data, size_t n, na_err *err);
void nd_be_shell_close(nd_be *be, nd_be_shell *sh);
void nd_be_shells_free_all(nd_be *be); /* no callback (destroy) */

#endif
