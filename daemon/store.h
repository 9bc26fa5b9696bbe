/* store.h — netautod's durable state in SQLite (WAL): jobs, per-host results, job events, the
 * audit trail and configuration backups. Schema versioned with PRAGMA user_version.
 *
 * Durability: the connection runs with synchronous=FULL by default (NORMAL on request). A job is
 * inserted and committed (fsync'd with FULL) before na_store_job_insert returns, so a 202 always
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
#ifndef NA_STORE_H
#define NA_STORE_H

#include "err.h"

#include <event2/event.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define NA_STORE_SCHEMA 1

typedef enum {
    NA_JOB_QUEUED = 0,
    NA_JOB_RUNNING,
    NA_JOB_SUCCEEDED,
    NA_JOB_FAILED,
    NA_JOB_CANCELLED,
    NA_JOB_INTERRUPTED,
} na_job_state;
extern const char *const na_job_state_names[6];
int na_job_state_parse(const char *s); /* -1 if unknown */
static inline bool na_job_state_final(na_job_state s) { return s >= NA_JOB_SUCCEEDED; }

typedef struct na_store na_store;

/* Open (creating the file and schema if needed). base may be NULL: then every write commits
 * immediately. Fails with NA_E_CONFIG for a store written by a newer schema. */
na_store *na_store_open(const char *path, bool sync_full, struct event_base *base, na_err *err);
void na_store_close(na_store *s); /* commits pending progress */
int na_store_flush(na_store *s, na_err *err); /* commit pending progress now */

/* Restart recovery: every queued/running job becomes interrupted (finished = now), with a final
 * job_finished event. *ids (new reference, may be NULL) lists them. */
int na_store_recover(na_store *s, int64_t now_ms, json_t **ids, na_err *err);

/* Durable insert (state queued); returns the new id (> 0) or -1. request/targets are copied
 * (request as given: the caller has masked secret vars). */
int64_t na_store_job_insert(na_store *s, const char *kind, const char *submitted_by,
                            const json_t *request, const json_t *targets, int64_t created_ms,
                            na_err *err);
int na_store_job_started(na_store *s, int64_t id, int64_t ts, na_err *err);
/* Durable final state (error may be NULL). */
int na_store_job_finished(na_store *s, int64_t id, na_job_state st, int64_t ts, const char *error,
                          na_err *err);
int na_store_host_result(na_store *s, int64_t id, const char *host, const json_t *result,
                         int64_t ts, na_err *err);
int na_store_event(na_store *s, int64_t id, int64_t seq, int64_t ts, const char *type,
                   const json_t *data, na_err *err);
int64_t na_store_last_seq(na_store *s, int64_t id); /* 0 if none, -1 on error */

/* Reads. New references; NULL + err (NA_E_NOTFOUND for an unknown job). */
json_t *na_store_job_get(na_store *s, int64_t id, na_err *err);
/* Newest first; state -1 = any; limit <= 0 = 100; before_id > 0 lists older ids only. */
json_t *na_store_job_list(na_store *s, int state, int limit, int64_t before_id, na_err *err);
int na_store_job_state(na_store *s, int64_t id, na_job_state *out, na_err *err);
/* Events with seq > after_seq in order; cb returns non-zero to stop. data is JSON text. */
typedef int (*na_store_event_cb)(void *ud, int64_t seq, int64_t ts, const char *type,
                                 const char *data);
int na_store_events(na_store *s, int64_t id, int64_t after_seq, na_store_event_cb cb, void *ud,
                    na_err *err);
int na_store_count_by_state(na_store *s, uint64_t out[6], na_err *err);

/* Audit trail (grouped write). target/detail may be NULL. */
int na_store_audit(na_store *s, int64_t ts, const char *who, const char *action,
                   const char *target, const char *detail, na_err *err);
json_t *na_store_audit_list(na_store *s, int limit, na_err *err);

/* Backups: one row per capture. The newest `keep` per (host, command) are kept. */
int64_t na_store_backup_add(na_store *s, const char *host, const char *command, int64_t job_id,
                            int64_t ts, const char *output, bool changed, const char *diff,
                            int64_t prev_id, unsigned keep, na_err *err);
/* The newest capture of (host, command): 1 + *id, *output (malloc'd, caller frees) when found,
 * 0 when none, -1 on error. */
int na_store_backup_latest(na_store *s, const char *host, const char *command, int64_t *id,
                           char **output, na_err *err);
json_t *na_store_backup_list(na_store *s, const char *host, na_err *err);
json_t *na_store_backup_get(na_store *s, const char *host, int64_t id, na_err *err);

#endif
