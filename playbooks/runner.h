/* runner.h — the playbook runner: plays x hosts -> one host program per device, all driven by ONE
 * libevent event_base (no thread or process per device), with results as JSON. Used by
 * `netauto run` (cli/cmd_run.c) and by netautod's backend (daemon/backend.h), which runs it on its
 * own loop with its per-device lock and its event sink.
 *
 *   na_run_opts o = NA_RUN_OPTS_INIT;          // then set limit, check, forks, hooks ...
 *   na_runner *r = na_runner_new(inv, pb, &o, &err);   // resolve + validate: NOTHING is sent
 *   if (!r) exit 2;                                    // invalid input (err says where)
 *   na_runner_run(r, &err);                            // own loop, returns when every host is done
 *   json_t *res = na_runner_results(r);                // {"hosts": {...}, "summary": {...}}
 *   int status = na_runner_exit_status(r);             // 0 all ok, 1 a host or task failed
 *   na_runner_free(r);
 *
 * Prepare (na_runner_new) resolves each play's `hosts` against the inventory, intersected with
 * o->limit; looks up every selected host's platform; validates the playbook for every host
 * (na_pb_validate); checks that script tasks run over SSH and that `parse: true` finds a
 * template for each host's platform and each (literal) command. Any failure there is invalid
 * input.
 * Run: each host program opens its session, runs every task of every play that includes the host,
 * in order (only the tasks --tags/--skip-tags select; then the play's handlers its changed tasks
 * notified), and closes; its tasks stop at its first failure unless the task has ignore_errors;
 * a failing host never affects the others — unless a play has serial, max_fail_percentage or
 * any_errors_fatal: then plays run one after the other, each in batches, and a batch that
 * spends its failure budget stops the run (hosts not started are reported "skipped"). `forks`
 * caps hosts in flight. docs/runner.md has the details and the results schema.
 *
 * Event-loop contract (the daemon's, backend.h): na_runner_start() only schedules work; no hook
 * ever runs inside na_runner_start() or na_runner_cancel() — hooks run later, from the loop.
 * Not thread-safe: one runner is used from the thread running its event_base. */
#ifndef NA_RUNNER_H
#define NA_RUNNER_H

#include "buf.h"
#include "err.h"
#include "inventory.h"
#include "platform.h"
#include "playbook.h"
#include "transport.h"

#include <event2/event.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct na_runner na_runner;

/* The runner's grant callback, handed to the acquire hook: call it once, later, from the loop. */
typedef void (*na_run_grant_fn)(void *grant_ud);
/* The runner's callback for a write-ahead record (the record hook below): call it once, later
 * (it only schedules work, so it may be called from inside anything but the record hook
 * itself), with err NULL when the record is durable, or the reason it could not be kept. */
typedef void (*na_run_durable_fn)(void *durable_ud, const na_err *err);

/* Optional callbacks (every member may be NULL). JSON handed to a hook is borrowed: valid during
 * the call only (json_incref / json_deep_copy to keep it). Per host the order is host_started,
 * task_result*, host_finished; run_finished is the last call of a run. */
typedef struct na_run_hooks {
    void *ud; /* first argument of every hook */

    /* Per-device exclusivity (the daemon's lock). acquire asks for `host` and returns a handle
     * (never NULL), then calls grant(grant_ud) later from the loop — never inside acquire. The
     * runner calls release(handle) exactly once per acquire: when the host is done, or to stop
     * waiting (cancel, na_runner_free). Without acquire, hosts start as soon as forks allow. */
    void *(*acquire)(void *ud, const char *host, na_run_grant_fn grant, void *grant_ud);
    void (*release)(void *ud, void *handle);

    /* Events. task: one task result (schema in docs/runner.md); result: the host's result;
     * results: {"hosts": {...}, "summary": {...}}; err NULL when the run went to its end (host
     * failures are in the results), NA_E_CANCELLED after na_runner_cancel. na_runner_free may be
     * called from inside run_finished (and only there among the hooks) when the run was started
     * with na_runner_start (na_runner_run still reads the runner after the loop). */
    void (*host_started)(void *ud, const char *host);
    void (*task_result)(void *ud, const char *host, json_t *task);
    void (*host_finished)(void *ud, const char *host, json_t *result);
    void (*run_finished)(void *ud, json_t *results, const na_err *err);

    /* Write-ahead record of what is sent (netautod keeps it durably, so that after a crash it
     * knows exactly what a host in flight had been sent; every member may be NULL). Right after
     * a task starts an operation that sends to the device — a command, a configuration push,
     * a save, a script's upload, run or removal — and before any of it is written, the runner
     * calls record with every line the operation may send and its kind ("command", "config",
     * "save", "script"). It returns 0 and *wait NULL: send now; 0 and a handle in *wait: the
     * runner sends nothing until durable(durable_ud, err) is called (later), or gives up
     * waiting with record_drop(ud, handle) (cancel, free; durable is then never called); -1 +
     * err: the record cannot be kept. When the record could not be kept (-1, or durable with
     * an error) nothing of the operation is sent: the session is closed and the task fails with
     * that error. While the operation runs and when it ends, record_answered tells how many of
     * its lines the device answered (its prompt came back after each; a rejected line counts:
     * the device had it), done = the operation is over (ok: without error). Lines after the
     * answered ones of an operation that failed or was cut off may or may not have reached the
     * device. */
    int (*record)(void *ud, const char *host, const char *kind, const char *const *lines,
                  size_t n, na_run_durable_fn durable, void *durable_ud, void **wait,
                  na_err *err);
    void (*record_drop)(void *ud, void *wait);
    void (*record_answered)(void *ud, const char *host, size_t answered, bool done, bool ok);

    /* Metrics: one device command (command, config push, save, read) finished; a login refused
     * by a device (NA_E_AUTH while opening). */
    void (*command_observed)(void *ud, const char *host, int64_t elapsed_ms, bool ok);
    void (*login_failed)(void *ud, const char *host);

    /* Optional: asked before each step of a host's program (each time it would go on talking to
     * the device); false stops the host at once, as cancelled ("the lease on the device was
     * lost"). Must be cheap: it runs on every event of every host. */
    bool (*may_proceed)(void *ud, const char *host);
} na_run_hooks;

#define NA_RUN_DEFAULT_FORKS 100

typedef struct na_run_opts {
    const char *limit;           /* --limit pattern; NULL or "" = every host the plays name */
    const json_t *extra_vars;    /* object or NULL; deep-copied */
    bool check;                  /* send nothing that changes state; render what would be sent */
    bool diff;                   /* running-config before/after, unified diff per host */
    unsigned forks;              /* hosts in flight (between acquire and release); 0 = unlimited;
                                    NA_RUN_OPTS_INIT sets NA_RUN_DEFAULT_FORKS */
    bool transport_override;     /* use `transport` for every host instead of the inventory's */
    na_transport_kind transport;
    int task_timeout_ms;         /* per-command deadline for tasks without `timeout`; 0 = the
                                    inventory's (timeouts.command) */
    int host_timeout_ms;         /* a host's whole program (open to close); 0 = none */
    const char *transcript_dir;  /* one transcript per host session (DIR/HOST.transcript; the
                                    directory is created); NULL = none */
    const char *backup_dir;      /* backup: the running configuration before a host's first
                                    change, DIR/HOST_YYYYmmddTHHMMSS.cfg (UTC; the directory is
                                    created, mode 0700, when the first backup is written);
                                    NULL = "backups" */
    na_platforms *platforms;     /* borrowed registry; NULL = the runner makes one with the
                                    inventory's platform_dirs */
    struct event_base *base;     /* borrowed loop to run on; NULL = na_runner_run makes one */
    size_t config_window;        /* config lines in flight (na_config_opts.window); 0/1 =
                                    lockstep */
    size_t max_output;           /* output ceiling per command (na_session_opts.max_output);
                                    0 = the driver's default (16 MiB) */
    const char *templates_dir;   /* TextFSM templates for `parse: true` (an ntc-templates
                                    index); NULL = the inventory's templates:, then
                                    $NET_TEXTFSM / $NTC_TEMPLATES_DIR; built-ins last */
    const char *owner;           /* label for logs ("job 12"); copied; NULL = "run" */
    na_pb_budget *budget;        /* borrowed: bounds the whole validation in na_runner_new (all
                                    hosts and tasks together); NULL = none */
    const char *const *tags;     /* --tags (copied); NULL/0 = every task (`all`) */
    size_t n_tags;
    const char *const *skip_tags; /* --skip-tags (copied) */
    size_t n_skip_tags;
    const char *const *hosts;    /* only these hosts of those the plays and `limit` select (a
                                    restart resuming part of a job; names not selected are
                                    ignored); NULL = all of them. Read during na_runner_new */
    size_t n_hosts;
    bool confine_local;          /* copy tasks' local paths must stay inside the playbook's
                                    directory (netautod) */
    na_run_hooks hooks;          /* copied */
} na_run_opts;

#define NA_RUN_OPTS_INIT {.forks = NA_RUN_DEFAULT_FORKS}

/* Prepare a run: select hosts, find platforms, validate everything. Nothing is sent. inv and pb
 * (and o->platforms, o->base) are borrowed and must outlive the runner; the rest of o is copied.
 * Returns a new runner (free with na_runner_free) or NULL + err: NA_E_YAML / NA_E_CONFIG /
 * NA_E_NOTFOUND / NA_E_USAGE — all invalid input (exit status 2) — or NA_E_NOMEM / NA_E_IO. */
na_runner *na_runner_new(const na_inventory *inv, const na_playbook *pb, const na_run_opts *o,
                         na_err *err);

/* The selected hosts, in inventory order (borrowed from the inventory). */
size_t na_runner_host_count(const na_runner *r);
const na_inv_host *na_runner_host(const na_runner *r, size_t i);
/* New reference: array of the selected host names. */
json_t *na_runner_targets(const na_runner *r);

/* Change the label used in logs (o->owner) before the run starts, e.g. once the daemon knows its
 * job id; copied. -1 + err on OOM (the old label stays). */
int na_runner_set_owner(na_runner *r, const char *owner, na_err *err);

/* Start on o->base: schedules the first hosts and returns; the caller runs the loop. Hooks follow
 * from the loop. -1 + err if already started or without a base. */
int na_runner_start(na_runner *r, na_err *err);
/* Blocking: start (with a private event_base when o->base is NULL) and dispatch until every host
 * is done. Returns 0 when the run went to its end (hosts may have failed: see the results), -1 +
 * err when it could not run or was cancelled. */
int na_runner_run(na_runner *r, na_err *err);

/* Stop: hosts not started are not started (cancelled), running hosts are stopped at once (their
 * sessions closed, the task in progress and the host marked cancelled), lock requests released;
 * run_finished(NA_E_CANCELLED) follows from the loop. No-op when done or already cancelled. */
void na_runner_cancel(na_runner *r);

bool na_runner_done(const na_runner *r);

typedef struct na_run_progress {
    size_t total;      /* selected hosts */
    size_t queued;     /* not started (waiting for a fork slot) */
    size_t waiting;    /* asked the acquire hook, not yet granted */
    size_t running;    /* host programs in progress */
    size_t ok, failed, cancelled; /* finished */
    size_t skipped;    /* not run: the failure budget of a batch was spent first */
    size_t changed;    /* finished hosts with a change */
    int64_t elapsed_ms;
} na_run_progress;
void na_runner_progress(const na_runner *r, na_run_progress *p);

/* Results so far: {"hosts": {NAME: host result}, "summary": {...}} (schema: docs/runner.md).
 * Borrowed: valid until na_runner_free. Host entries appear when hosts finish; the summary is
 * final once na_runner_done(). */
json_t *na_runner_results(const na_runner *r);
/* 0 when every host succeeded, 1 otherwise (failed, cancelled or skipped hosts). */
int na_runner_exit_status(const na_runner *r);

/* ---- JSON building blocks of the results (runner_result.c; pure) ---- */

/* Device text as a JSON string exactly as results hold it: registered secrets redacted, invalid
 * UTF-8 replaced by U+FFFD. New reference (NULL only on OOM); s NULL gives "". */
json_t *na_run_text(const char *s, size_t n);
/* null without an error, else {"code": na_code_name(), "message": redacted}. New reference. */
json_t *na_run_error_json(const na_err *err);

/* ---- text for people (runner_fmt.c; pure) ---- */

/* One progress line without newline, e.g. "[ 37/100] 30 ok, 2 failed, 5 running, 63 queued,
 * 1.2 s", cut to `width` columns (0 = no limit). Returns the length written (buf always
 * NUL-terminated when cap > 0). */
size_t na_run_progress_line(const na_run_progress *p, unsigned width, char *buf, size_t cap);

/* The end-of-run table from na_runner_results(): one line per host (HOST STATUS CHANGED TASKS
 * TIME ERROR; hosts in the order of the results) and a final line "N hosts: N ok, N failed, N
 * changed in T s". Errors are cut to `err_width` characters (0 = whole). Appends to out. */
int na_run_summary_table(const json_t *results, unsigned err_width, na_buf *out, na_err *err);

/* Free. A runner still running is stopped without any hook except release (locks are given
 * back). Safe inside run_finished. NULL is fine. */
void na_runner_free(na_runner *r);

#endif
