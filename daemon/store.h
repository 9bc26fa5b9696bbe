/* store.h — netautod's durable state in SQLite (WAL): jobs, per-host results, job events, the
 * audit trail and configuration backups. Schema versioned with PRAGMA user_version.
 *
 * Durability: the connection runs with synchronous=FULL by default (NORMAL on request). A job is
 * inserted and committed (fsync'd with FULL) before nd_store_job_insert returns, so a 202 always
 * refers to a durable job; final job states are committed the same way. Progress (events, host
 * results, audit lines) is grouped: written inside an open transaction that commits at the end
 * of the current loop iteration (one commit for many events), or at once when the store has no
 * event base. A kill -9 therefore loses at most the progress of the last loop iteration, and
 * restart recovery marks unfinished jobs `interrupted` keeping the hosts that had finished.
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

#define ND_STORE_SCHEMA 1

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

/* Restart recovery: every queued/running job becomes interrupted (finished = now), with a final
 * job_finished event. *ids (new reference, may be NULL) lists them. */
int nd_store_recover(nd_store *s, int64_t now_ms, json_t **ids, na_err *err);

/* Durable insert (state queued); returns the new id (> 0) or -1. request/targets are copied
 * (request as given: the caller has masked secret vars). */
int64_t nd_store_job_insert(nd_store *s, const char *kind, const char *submitted_by,
                            const json_t *request, const json_t *targets, int64_t created_ms,
                            na_err *err);
int nd_store_job_started(nd_store *s, int64_t id, int64_t ts, na_err *err);
/* Durable final state (error may be NULL). */
int nd_store_job_finished(nd_store *s, int64_t id, nd_job_state st, int64_t ts, const char *error,
                          na_err *err);
int nd_store_host_result(nd_store *s, int64_t id, const char *host, const json_t *result,
                         int64_t ts, na_err *err);
int nd_store_event(nd_store *s, int64_t id, int64_t seq, int64_t ts, const char *type,
                   const json_t *data, na_err *err);
int64_t nd_store_last_seq(nd_store *s, int64_t id); /* 0 if none, -1 on error */

/* Reads. New references; NULL + err (NA_E_NOTFOUND for an unknown job). */
/* The whole job: its row, "hosts" (every per-host result) and "summary". */
json_t *nd_store_job_get(nd_store *s, int64_t id, na_err *err);
/* The job's row only (no "hosts", no "summary"): what a streamed job view starts with. */
json_t *nd_store_job_head(nd_store *s, int64_t id, na_err *err);
/* Per-host results of job id in the order they finished (finished, host), after the cursor
 * (after_finished < 0: from the first); the result text itself is read with nd_text_reader
 * (table "host_results", column "result", the row's rowid). cb returns non-zero to stop.
 * Returns the number of rows given to cb, or -1 + err. */
typedef int (*nd_store_result_cb)(void *ud, const char *host, int64_t finished, bool ok,
                                  bool changed, int64_t rowid);
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
