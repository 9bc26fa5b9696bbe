/* store.h — netautod's durable state in SQLite (WAL): jobs, per-host results, job events, the
 * audit trail and configuration backups. Schema versioned with PRAGMA user_version.
 *
 * Durability: the connection runs with synchronous=FULL by default (NORMAL on request). A job is
 * inserted and committed (fsync'd with FULL) before nd_store_job_insert returns, so a 202 always
 * refers to a durable job; final job states are committed the same way. Progress (events, host
 * results, audit lines) is grouped: written inside an open transaction that commits at the end
 * of the current loop iteration (one commit for many events), or at once when the store has no
 * event base. A kill -9 therefore loses at most the progress of the last loop iteration. What
 * must be durable before something happens (the record of what is about to be sent to a
 * device) waits for that commit (nd_store_wait_commit): group commit. Restart recovery reads
 * the unfinished jobs (nd_store_unfinished) and jobs.c resumes them.
 *
 * Secrets: what devices sent (job results, events, backups: outputs and diffs) is stored byte
 * for byte; those results already have what netauto typed masked (commands, task names, error
 * messages). netauto's own texts (backup commands, job errors' context, the audit trail) pass
 * through na_redact. The caller masks secret-looking vars before insert (jobs.c). Not a cache:
 * reads go to SQLite. */
#ifndef ND_STORE_H
#define ND_STORE_H

#include "buf.h"
#include "err.h"

#include <event2/event.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define ND_STORE_SCHEMA 2

typedef enum {
    ND_JOB_QUEUED = 0,
    ND_JOB_RUNNING,
    ND_JOB_SUCCEEDED,
    ND_JOB_FAILED,
    ND_JOB_CANCELLED,
    ND_JOB_INTERRUPTED,
} nd_job_state;
extern const char *const nd_job_state_names[6];
int nd_job_state_parse(const char *s); /* -1 if unknown */
static inline bool nd_job_state_final(nd_job_state s) { return s >= ND_JOB_SUCCEEDED; }

typedef struct nd_store nd_store;

/* Open (creating the file and schema if needed). base may be NULL: then every write commits
 * immediately. Fails with NA_E_CONFIG for a store written by a newer schema. */
nd_store *nd_store_open(const char *path, bool sync_full, struct event_base *base, na_err *err);
/* Cap the store's size (SQLite's max_page_count): past it, writes fail as on a full disk.
 * 0 = no cap. */
int nd_store_set_max_size(nd_store *s, uint64_t bytes, na_err *err);

/* A write failure loses progress: a statement of one job, or a whole grouped transaction (its
 * commit failed, or SQLite rolled it back: a full disk). The hook is told, from the loop, of
 * every job whose events or results may be missing, with the store's message. */
typedef void (*nd_store_loss_cb)(void *ud, int64_t job, const char *why);
void nd_store_on_loss(nd_store *s, nd_store_loss_cb cb, void *ud);
uint64_t nd_store_failures(const nd_store *s); /* writes that failed since start */
void nd_store_close(nd_store *s); /* commits pending progress */
int nd_store_flush(nd_store *s, na_err *err); /* commit pending progress now */

/* Group commit for what must be durable before something else happens (the write-ahead record
 * of what is sent to a device): after the grouped write, ask to be told when it is durable.
 * 0 with *w NULL: everything written so far is committed already (go on now); 0 with a handle:
 * cb(ud, NULL) follows once the grouped transaction holding the write has committed (fsync'd
 * with store.synchronous full; written to the WAL with normal), or cb(ud, err) when it was lost
 * (a write or the commit failed: it never became durable); -1 + err on OOM. cb runs inside
 * whatever commits (the loop's commit event, or a durable write such as a job insert), so it
 * must only schedule work. nd_store_wait_cancel drops a handle before it fires (cb never
 * runs). */
typedef struct nd_store_waiter nd_store_waiter;
typedef void (*nd_store_commit_cb)(void *ud, const na_err *err);
int nd_store_wait_commit(nd_store *s, nd_store_commit_cb cb, void *ud, nd_store_waiter **w,
                         na_err *err);
void nd_store_wait_cancel(nd_store *s, nd_store_waiter *w);

/* ---- durability (store_durable.c; docs/daemon.md, Durability) ---------------------------- */

/* The write-ahead record of what is sent to a device: before an operation sends anything, its
 * lines (kind "command", "config", "save", "script") are written with the job's next record
 * seq (grouped write: wait for it with nd_store_wait_commit before sending); as it goes and
 * when it ends, how many lines the device answered and its state ("sending", "done",
 * "failed"). A host's records go when its result is stored. 0 or -1 + err. */
int nd_store_sent_add(nd_store *s, int64_t job, int64_t seq, const char *host, int64_t ts,
                      const char *kind, const char *const *lines, size_t n, na_err *err);
int nd_store_sent_update(nd_store *s, int64_t job, int64_t seq, size_t answered,
                         const char *state, na_err *err);

/* The jobs a restart must deal with (state queued or running), oldest first. New reference:
 * [{"id", "kind", "state", "started" (bool: it had started, before this or an earlier
 * restart), "submitted_by", "request", "targets", "resumable", "cancel_by"
 * (null or who), "sealed" (bool: sealed vars kept), "last_seq" (events), "sent_seq" (records),
 * "results": {HOST: {"ok", "changed", "recovery"}}, "inflight": {HOST: [{"kind", "commands",
 * "answered", "state"}]} (hosts with records and no result)}], or NULL + err. */
json_t *nd_store_unfinished(nd_store *s, na_err *err);
/* A job's sealed vars (malloc'd, caller frees; *len 0 and NULL when none). 0 or -1 + err. */
int nd_store_job_sealed(nd_store *s, int64_t id, void **data, size_t *len, na_err *err);
/* A job taken up by a restart: one more restart counted, and (queue) state queued again: it
 * waits to run (durable). */
int nd_store_job_requeued(nd_store *s, int64_t id, bool queue, na_err *err);
/* A cancel was accepted for running job id (durable before the caller answers). */
int nd_store_job_cancel_by(nd_store *s, int64_t id, const char *who, na_err *err);

/* Idempotency-Key of an accepted submission (who, key) no older than since_ms: 1 with *job and
 * fp (its request's fingerprint, 64 hex digits + NUL), 0 when none, -1 + err. Keys are kept 24
 * hours (nd_store_prune). */
#define ND_IDEM_KEEP_MS ((int64_t)24 * 3600 * 1000)
int nd_store_idem_get(nd_store *s, const char *who, const char *key, int64_t since_ms,
                      int64_t *job, char fp[65], na_err *err);

/* A schedule's next due time (s since the epoch) and the cron expression it was computed with:
 * 1 found (*cron malloc'd, caller frees), 0 none, -1 + err. Set writes it durably. */
int nd_store_sched_get(nd_store *s, const char *name, char **cron, int64_t *next_due,
                       na_err *err);
int nd_store_sched_set(nd_store *s, const char *name, const char *cron, int64_t next_due,
                       na_err *err);

/* Durable insert (state queued); returns the new id (> 0) or -1. request/targets are copied
 * (request as given: the caller has masked secret vars). */
int64_t nd_store_job_insert(nd_store *s, const char *kind, const char *submitted_by,
                            const json_t *request, const json_t *targets, int64_t created_ms,
                            na_err *err);
/* The same, with what a job needs to be resumed after a restart and its Idempotency-Key (all
 * optional; x may be NULL): the key's row is written in the same transaction as the job. */
typedef struct nd_store_job_extra {
    bool resumable;          /* in-flight hosts may be run again after a restart */
    const void *sealed;      /* its secret vars, sealed (store_seal.h); kept until it ends */
    size_t sealed_len;
    const char *idem_key;    /* Idempotency-Key (per submitted_by), or NULL */
    const char *idem_fp;     /* the request's fingerprint (hex) */
} nd_store_job_extra;
int64_t nd_store_job_insert_x(nd_store *s, const char *kind, const char *submitted_by,
                              const json_t *request, const json_t *targets, int64_t created_ms,
                              const nd_store_job_extra *x, na_err *err);
int nd_store_job_started(nd_store *s, int64_t id, int64_t ts, na_err *err);
/* Durable final state (error may be NULL). */
int nd_store_job_finished(nd_store *s, int64_t id, nd_job_state st, int64_t ts, const char *error,
                          na_err *err);
/* A host's result (grouped write); its "recovery" member ("resumed", "rerun", "interrupted"),
 * when there is one, is kept in its own column for the summaries. The host's write-ahead
 * records go in the same transaction. */
int nd_store_host_result(nd_store *s, int64_t id, const char *host, const json_t *result,
                         int64_t ts, na_err *err);
int nd_store_event(nd_store *s, int64_t id, int64_t seq, int64_t ts, const char *type,
                   const json_t *data, na_err *err);
int64_t nd_store_last_seq(nd_store *s, int64_t id); /* 0 if none, -1 on error */

/* A job's summary: {"targets", "finished", "ok", "failed", "changed"}, and for a job that went
 * through a restart (recovered) also "resumed", "rerun", "interrupted": its hosts that ran after
 * a restart without having begun before it, that were run again after having been in flight,
 * and that were left interrupted. Counted per host result with nd_store_recovery_count. */
typedef struct nd_store_sum {
    int finished, ok, changed;
    int resumed, rerun, interrupted;
} nd_store_sum;
void nd_store_recovery_count(nd_store_sum *c, const char *recovery); /* NULL: none */
json_t *nd_store_summary(int64_t targets, const nd_store_sum *c, bool recovered); /* new ref */

/* Reads. New references; NULL + err (NA_E_NOTFOUND for an unknown job). A job that went
 * through restarts has "recovered": N. */
/* The whole job: its row, "hosts" (every per-host result) and "summary". */
json_t *nd_store_job_get(nd_store *s, int64_t id, na_err *err);
/* The job's row only (no "hosts", no "summary"): what a streamed job view starts with. */
json_t *nd_store_job_head(nd_store *s, int64_t id, na_err *err);
/* Per-host results of job id in the order they finished (finished, host), after the cursor
 * (after_finished < 0: from the first); the result text itself is read with nd_text_reader
 * (table "host_results", column "result", the row's rowid). cb returns non-zero to stop.
 * Returns the number of rows given to cb, or -1 + err. */
typedef int (*nd_store_result_cb)(void *ud, const char *host, int64_t finished, bool ok,
                                  bool changed, const char *recovery, int64_t rowid);
int nd_store_host_results(nd_store *s, int64_t id, int64_t after_finished, const char *after_host,
                          nd_store_result_cb cb, void *ud, na_err *err);
/* A list view, newest first: per job its id, kind, state, times, submitted_by, error, a short
 * "request" (a playbook's name, or "inline": true and its size in "bytes"; limit, check; a
 * backup's command and schedule) and "summary" (no targets, no vars, no inline text). state -1 =
 * any; limit <= 0 = 100; before_id > 0 lists older ids only. */
json_t *nd_store_job_list(nd_store *s, int state, int limit, int64_t before_id, na_err *err);
int nd_store_job_state(nd_store *s, int64_t id, nd_job_state *out, na_err *err);
/* Events with seq > after_seq in order; cb returns non-zero to stop. data is JSON text. */
typedef int (*nd_store_event_cb)(void *ud, int64_t seq, int64_t ts, const char *type,
                                 const char *data);
int nd_store_events(nd_store *s, int64_t id, int64_t after_seq, nd_store_event_cb cb, void *ud,
                    na_err *err);
int nd_store_count_by_state(nd_store *s, uint64_t out[6], na_err *err);
/* Events after after_seq in order without their data: seq, type and the rowid to read the data
 * with nd_text_reader (table "events", column "data"). cb returns non-zero to stop. */
typedef int (*nd_store_event_row_cb)(void *ud, int64_t seq, const char *type, int64_t rowid);
int nd_store_event_rows(nd_store *s, int64_t id, int64_t after_seq, nd_store_event_row_cb cb,
                        void *ud, na_err *err);

/* A stored text (a host result, an event's data: megabytes of device output at times) read a
 * piece at a time, byte for byte (it was made safe when written), so that serving it never
 * copies the whole value at once. Open with the table, column
 * and rowid; each nd_text_next appends about `piece` bytes to out. */
typedef struct nd_text_reader {
    nd_store *s;
    const char *table, *column;
    int64_t rowid;
    int64_t off;  /* bytes consumed */
    int64_t size; /* -1 until the first read */
} nd_text_reader;
void nd_text_open(nd_text_reader *t, nd_store *s, const char *table, const char *column,
                  int64_t rowid);
/* 1 more to come, 0 the text is complete, -1 + err (the row changed or is gone). */
int nd_text_next(nd_text_reader *t, size_t piece, na_buf *out, na_err *err);

/* Retention: delete at most `max_rows` rows older than their limit (seconds; 0 = keep): finished
 * jobs with their results and events (keep_jobs_s), events of finished jobs (keep_events_s),
 * audit rows (keep_audit_s). *more tells whether rows are left to delete. Rows are counted in
 * *deleted. 0, or -1 + err. */
int nd_store_prune(nd_store *s, int64_t now_ms, int64_t keep_jobs_s, int64_t keep_events_s,
                   int64_t keep_audit_s, int max_rows, bool *more, int64_t *deleted, na_err *err);

/* Audit trail (grouped write). target/detail may be NULL. nd_audit is the same with the time
 * taken now and a failure logged rather than returned. */
void nd_audit(nd_store *s, const char *who, const char *action, const char *target,
              const char *detail);
int nd_store_audit(nd_store *s, int64_t ts, const char *who, const char *action,
                   const char *target, const char *detail, na_err *err);
json_t *nd_store_audit_list(nd_store *s, int limit, na_err *err);

/* Backups: one row per capture. The newest `keep` per (host, command) are kept. */
int64_t nd_store_backup_add(nd_store *s, const char *host, const char *command, int64_t job_id,
                            int64_t ts, const char *output, bool changed, const char *diff,
                            int64_t prev_id, unsigned keep, na_err *err);
/* The newest capture of (host, command): 1 + *id, *output (malloc'd, caller frees) when found,
 * 0 when none, -1 on error. */
int nd_store_backup_latest(nd_store *s, const char *host, const char *command, int64_t *id,
                           char **output, na_err *err);
json_t *nd_store_backup_list(nd_store *s, const char *host, na_err *err);
json_t *nd_store_backup_get(nd_store *s, const char *host, int64_t id, na_err *err);

#endif
