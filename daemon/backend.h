/* backend.h — the seam between netautod's service shell (HTTP API, auth, job store, locks,
 * metrics, schedules) and everything that touches devices (inventory, playbook runner, session
 * pool). The daemon calls a backend through the vtable below; the backend calls back into the
 * daemon through nd_backend_services. Everything runs on the daemon's single libevent loop
 * (svc->base): no operation may block, and no callback ever runs inside the call that started
 * the operation (callbacks are always delivered later, from the loop).
 *
 * Not an implementation: daemon/backend/ (backend_runner.c with backend_inv/jobs/cmd/pool.c) is the one
 * netautod ships; tests/lib/backend_double.c is a scripted test double.
 *
 * Per-device exclusivity is the DAEMON's rule, enforced by its lock manager (lock.h): before a
 * backend touches a device (job or command), it calls svc->host_acquire and waits for the grant;
 * it calls svc->host_release when done with that device or to stop waiting. A host program holds
 * at most one device at a time (no hold-and-wait, hence no deadlock). The lock manager also
 * enforces the global "hosts in flight" limit, so a backend may simply acquire every target host
 * at once and let grants pace the work.
 *
 * Error codes returned synchronously map to HTTP statuses: NA_E_NOTFOUND -> 404 for a host
 * (400 for a playbook), NA_E_USAGE / NA_E_YAML / NA_E_CONFIG -> 400, NA_E_UNSUPPORTED -> 501,
 * anything else -> 500. Messages are shown to API clients as-is (no secrets in them). */
#ifndef ND_BACKEND_H
#define ND_BACKEND_H

#include "err.h"

#include <event2/event.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Opaque types each backend defines for itself. */
typedef struct nd_be nd_be;           /* one backend instance */
typedef struct nd_be_job nd_be_job;   /* a prepared / running job */
typedef struct nd_be_prep nd_be_prep; /* a job being validated */
typedef struct nd_be_cmd nd_be_cmd;   /* a running ad-hoc command request */

/* A grant (or a wait for one) from the daemon's lock manager; see lock.h. */
typedef struct nd_lock_req nd_lock_req;
typedef void (*nd_lock_granted_cb)(nd_lock_req *req, void *ud);

/* ---- what the daemon offers the backend (valid from create() until destroy() returns) ------ */
typedef struct nd_backend_services {
    struct event_base *base; /* the one loop; the backend adds its own events to it */
    void *ctx;               /* first argument of every function below */

    /* Ask for exclusive use of `host`. `owner` ("job 12", "command by ci") is copied and shown in
     * /v1/hosts/{name}; `job` is the job the work belongs to (0: an ad-hoc command), for sharing
     * the slots fairly between jobs and commands (lock.h). `granted` runs later from the loop (never inside this call). Returns the
     * request (never NULL; the daemon aborts on OOM). The backend must call host_release exactly
     * once per request: after it is done with the device, or to give up waiting (cancel). */
    nd_lock_req *(*host_acquire)(void *ctx, const char *host, const char *owner, int64_t job,
                                 nd_lock_granted_cb granted, void *ud);
    void (*host_release)(void *ctx, nd_lock_req *req);

    /* Metrics the backend reports: one device command finished (for the latency histogram),
     * and one login refused by a device (NA_E_AUTH). */
    void (*command_observed)(void *ctx, const char *host, int64_t elapsed_ms, bool ok);
    void (*login_failed)(void *ctx, const char *host);
} nd_backend_services;

/* ---- configuration handed to create() (all borrowed; copy what you keep) ------------------- */
typedef struct nd_backend_config {
    const char *inventory;     /* inventory file (may be NULL: no inventory yet) */
    const char *playbook_dir;  /* where playbooks named in POST /v1/jobs are looked up */
    const char *state_dir;     /* the daemon's state directory (known_hosts, caches...) */
    unsigned hosts_in_flight;  /* global limit, already enforced by host_acquire */
    unsigned pool_idle_s;      /* session-pool idle timeout in seconds (0: no pooling) */
    json_t *options;           /* the config's `backend:` mapping as JSON (may be NULL) */
    const char *vault_password_file; /* the inventory vault's passphrase file, or NULL */
    size_t validate_bytes;     /* what one job's validation may expand, all hosts together */
    unsigned validate_s;       /* and how long it may take */
} nd_backend_config;

/* ---- jobs ----------------------------------------------------------------------------------- */
typedef struct nd_job_spec {
    const char *playbook;     /* a playbook name in playbook_dir, or inline YAML (has '\n') */
    const char *limit;        /* host pattern, NULL = every host the playbook names */
    bool check;               /* dry run */
    json_t *vars;             /* extra vars (object; NOT redacted: the real values) */
    const char *submitted_by; /* token name */
    const char *const *hosts; /* only these of the hosts selected (a job resumed after a
                                 restart runs the hosts it has left); NULL = all */
    size_t n_hosts;
} nd_job_spec;                /* borrowed by job_prepare, which copies what it keeps */

/* A validation's outcome, from the loop: the prepared job (the daemon now owns it: job_run or
 * job_discard) and its targets (borrowed: an array of host names), or err (job NULL). */
typedef void (*nd_job_prepared_cb)(void *ud, nd_be_job *job, const json_t *targets,
                                   const na_err *err);

/* Callbacks from a running job to the daemon. All JSON is borrowed (valid during the call).
 * Per-host results have the shape of `netauto run --json` hosts entries:
 *   {"ok": bool, "changed": bool, "error": null|..., "tasks": [{"name", "ok", "changed",
 *    "output", "elapsed_ms", "commands"}]}
 * Order per host: host_started, task_result*, host_finished. job_finished is the last callback;
 * the backend frees its job after job_finished returns, and the daemon never touches the handle
 * again. err == NULL (or no error): the job ran to its end (host failures are in the results);
 * NA_E_CANCELLED after job_cancel; anything else: the job failed as a whole. */
typedef struct nd_job_sink {
    void (*host_started)(void *ud, const char *host);
    void (*task_result)(void *ud, const char *host, json_t *task);
    void (*host_finished)(void *ud, const char *host, json_t *result);
    void (*job_finished)(void *ud, const na_err *err);
    /* Optional (NULL: not used). note: one more event of the job, stored and streamed like the
     * others (type, data borrowed): the cluster says why hosts wait ("site_waiting").
     * may_proceed: asked before each step of a host's program (anything it would send);
     * false stops the host at once, as cancelled (a cluster worker that lost the device's
     * lease). */
    void (*note)(void *ud, const char *type, json_t *data);
    bool (*may_proceed)(void *ud, const char *host);
    /* The write-ahead record of what is sent to a device (the daemon keeps it durably; the
     * contract of playbooks/runner.h's record hooks): before anything of an operation is
     * written to `host`, record(...) with its kind and every line it may send; 0 and *wait
     * NULL: send now; 0 and a handle: send nothing until durable(dud, err) is called (err set:
     * it could not be kept: send nothing, fail); record_drop(ud, wait) to stop waiting (durable
     * is then never called); -1 + err: not kept, send nothing. record_answered tells how many
     * lines the device answered, as the operation goes (done false) and when it is over. */
    int (*record)(void *ud, const char *host, const char *kind, const char *const *lines,
                  size_t n, void (*durable)(void *dud, const na_err *err), void *dud,
                  void **wait, na_err *err);
    void (*record_drop)(void *ud, void *wait);
    void (*record_answered)(void *ud, const char *host, size_t answered, bool done, bool ok);
    void *ud;
} nd_job_sink;

/* ---- ad-hoc commands (POST /v1/commands) ---------------------------------------------------- */
typedef struct nd_cmd_spec {
    const char *host;
    const char *transport;          /* "ssh", "telnet", or NULL for the host's own */
    const char *const *commands;    /* n_commands strings */
    size_t n_commands;
    const char *requested_by;       /* token name */
    int64_t job;                    /* the job it belongs to (a backup's), 0 when ad hoc */
    bool parse;                     /* TextFSM records for each command's output */
} nd_cmd_spec;

/* result (borrowed) when the device part ran, successful or not:
 *   {"host", "transport", "ok": bool, "error": null|..., "elapsed_ms",
 *    "commands": [{"command", "output", "ok", "elapsed_ms"}]}
 * with spec->parse each successful command also has "parsed" (records) or "parse_error"
 * ({"code", "message"}: no template for the platform and command, the template's Error...);
 * a parse error does not make the request fail.
 * err set (result NULL) when the request could not be run at all (cancelled, backend failure).
 * After this callback the backend frees its nd_be_cmd. */
typedef void (*nd_cmd_done_cb)(void *ud, json_t *result, const na_err *err);

/* ---- interactive shells (the web page's terminal) ------------------------------------------ */
typedef struct nd_be_shell nd_be_shell; /* one open shell */
typedef struct nd_shell_spec {
    const char *host;
    const char *transport;    /* "ssh", "telnet", or NULL for the host's own */
    const char *requested_by; /* token name (the lock's owner) */
} nd_shell_spec;
typedef struct nd_shell_sink {
    void (*opened)(void *ud, const char *transport, const char *mode);
    void (*output)(void *ud, const char *data, size_t n);
    void (*closed)(void *ud, const na_err *err); /* err NULL or unset: the device closed it */
    void *ud;
} nd_shell_sink;

typedef struct nd_backend_stats {
    unsigned sessions_open;   /* device sessions currently connected (busy + idle in the pool) */
    unsigned sessions_idle;   /* of those, idle in the pool */
} nd_backend_stats;

/* ---- the vtable ---------------------------------------------------------------------------- */
typedef struct nd_backend_ops {
    const char *name; /* "runner", "test-double" ... (shown in /healthz) */

    /* Create / destroy one backend. destroy() cancels whatever still runs WITHOUT calling any
     * sink or done callback, releases its lock requests, and frees everything. */
    nd_be *(*create)(const nd_backend_config *cfg, const nd_backend_services *svc, na_err *err);
    void (*destroy)(nd_be *be);

    /* Inventory (synchronous: a local file). On error the previous inventory stays in use. */
    int (*inventory_load)(nd_be *be, const char *path, na_err *err);
    /* New reference: {"hosts": {NAME: {...}}, "groups": {...}} with secrets masked. */
    json_t *(*inventory_json)(nd_be *be);
    /* New reference: one host's resolved settings (secrets masked), NULL when unknown. */
    json_t *(*host_json)(nd_be *be, const char *name);
    /* New reference: {"reachable": true|false|null, "last_seen": ms-since-epoch|null,
     * "sessions": N, ...backend extras}, NULL when unknown. */
    json_t *(*host_status)(nd_be *be, const char *name);
    /* New reference: array of host names matching `limit` (NULL = all). Error for a bad
     * pattern or no match. */
    json_t *(*resolve_limit)(nd_be *be, const char *limit, na_err *err);

    /* Validate a job (playbook exists and parses, limit matches) without touching any device,
     * within the configured validation budget and without holding the loop (a big playbook is
     * validated off it): `done` follows from the loop (-> 400 on error). Returns a handle, or
     * NULL + err at once (no inventory; NA_E_OVERFLOW when too many wait to be validated ->
     * 429). The daemon then stores the job, answers 202, and later calls job_run (or
     * job_discard if it will never run). */
    nd_be_prep *(*job_prepare)(nd_be *be, const nd_job_spec *spec, nd_job_prepared_cb done,
                               void *ud, na_err *err);
    /* The daemon no longer wants the outcome (client gone, shutting down): `done` never runs,
     * the work is dropped when it ends. */
    void (*job_prepare_abandon)(nd_be *be, nd_be_prep *prep);
    /* Start a prepared job; id is the daemon's durable job id (for logs and lock owners). The
     * sink (copied) receives the events; the daemon may free sink->ud inside job_finished. On
     * error (-1) the job is freed and no callback runs. */
    int (*job_run)(nd_be *be, nd_be_job *job, int64_t id, const nd_job_sink *sink, na_err *err);
    /* Ask a running job to stop: hosts not started are skipped, running hosts are interrupted
     * at the next safe point; job_finished(NA_E_CANCELLED) follows from the loop. */
    void (*job_cancel)(nd_be *be, nd_be_job *job);
    /* Free a prepared job that was never run. */
    void (*job_discard)(nd_be *be, nd_be_job *job);
    /* A prepared job whose hosts may safely run again after having been cut off half-way (a
     * playbook saying `resumable: true`, or one in check mode): after a restart, its hosts
     * that were in flight are run again instead of being left interrupted. */
    bool (*job_resumable)(nd_be *be, const nd_be_job *job);

    /* Run commands on one host. Returns a handle (done_cb follows later) or NULL + err
     * synchronously (unknown host -> NA_E_NOTFOUND, bad transport -> NA_E_USAGE). */
    nd_be_cmd *(*cli_cmd_run)(nd_be *be, const nd_cmd_spec *spec, nd_cmd_done_cb done, void *ud,
                          na_err *err);
    /* Stop waiting for / running it; done(NA_E_CANCELLED) follows from the loop. */
    void (*cmd_cancel)(nd_be *be, nd_be_cmd *cmd);

    void (*stats)(nd_be *be, nd_backend_stats *out);

    /* An interactive shell on one host (the web page's terminal): NULL in a backend without
     * one (-> 501). shell_open takes the device's lock, logs in with the inventory's
     * credentials (a fresh session: never a pooled one, and it never goes back to the pool)
     * and then hands the device's bytes to sink->output as they come; sink->opened(err NULL)
     * when logged in, sink->closed(err) once when it ends (device closed, login failed, error;
     * the backend frees the shell after it returns). shell_write sends keystrokes as they are;
     * shell_close ends it from the daemon's side (no callback after; never from inside opened
     * or output). */
    nd_be_shell *(*shell_open)(nd_be *be, const nd_shell_spec *spec, const nd_shell_sink *sink,
                               na_err *err);
    int (*shell_write)(nd_be *be, nd_be_shell *sh, const char *data, size_t n, na_err *err);
    void (*shell_close)(nd_be *be, nd_be_shell *sh);
} nd_backend_ops;

/* The backend this netautod build binds (daemon/backend/backend_runner.c). */
const nd_backend_ops *nd_backend_default(void);

#endif
