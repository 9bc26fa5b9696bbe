/* store_durable.c — what the job store keeps so that acknowledged work survives a restart (see
 * store.h, "durability"): the unfinished jobs with their results and write-ahead records as a
 * restart finds them, a job's sealed vars, the requeue and cancel marks, Idempotency-Keys and
 * the schedules' next due times. The hot writes (the records themselves) are in store.c with
 * the other grouped writes. Not the decisions taken on restart (jobs.c, jobs_recover.c). */
#include "store.h"
#include "store_int.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One job's host results: {HOST: {"ok", "changed", "recovery"}}. */
static int job_results(nd_store *s, int64_t id, json_t *out, na_err *err)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT host, ok, changed, recovery FROM host_results WHERE job_id=?",
                           -1, &q, NULL) != SQLITE_OK)
        return nd_store_db_err(s, err, "read results");
    sqlite3_bind_int64(q, 1, id);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW)
        json_object_set_new(out, (const char *)sqlite3_column_text(q, 0),
                            json_pack("{s:b,s:b,s:o}", "ok", sqlite3_column_int(q, 1),
                                      "changed", sqlite3_column_int(q, 2), "recovery",
                                      nd_store_col_text(q, 3)));
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? 0 : nd_store_db_err(s, err, "read results");
}

/* One job's records of hosts without a result: {HOST: [records in order]}; *max_seq the
 * highest record seq of the job (results or not). */
static int job_inflight(nd_store *s, int64_t id, json_t *out, int64_t *max_seq, na_err *err)
{
    sqlite3_stmt *q;
    *max_seq = 0;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT seq, host, kind, lines, answered, state, EXISTS (SELECT 1 FROM "
                           "host_results h WHERE h.job_id=s.job_id AND h.host=s.host) FROM sent s "
                           "WHERE job_id=? ORDER BY seq",
                           -1, &q, NULL) != SQLITE_OK)
        return nd_store_db_err(s, err, "read records");
    sqlite3_bind_int64(q, 1, id);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t seq = sqlite3_column_int64(q, 0);
        if (seq > *max_seq)
            *max_seq = seq;
        if (sqlite3_column_int(q, 6))
            continue; /* the host's result is in (its records are about to go) */
        const char *host = (const char *)sqlite3_column_text(q, 1);
        json_t *list = json_object_get(out, host);
        if (!list) {
            list = json_array();
            json_object_set_new(out, host, list);
        }
        json_array_append_new(list,
                              json_pack("{s:o,s:o,s:I,s:o}", "kind", nd_store_col_text(q, 2),
                                        "commands", nd_store_col_json(q, 3), "answered",
                                        (json_int_t)sqlite3_column_int64(q, 4), "state",
                                        nd_store_col_text(q, 5)));
    }
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? 0 : nd_store_db_err(s, err, "read records");
}

json_t *nd_store_unfinished(nd_store *s, na_err *err)
{
    if (nd_store_commit(s, err) < 0)
        return NULL;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT id, kind, state, submitted_by, request, targets, resumable, "
                           "cancel_by, sealed_vars IS NOT NULL, (SELECT coalesce(max(seq), 0) "
                           "FROM events e WHERE e.job_id=j.id), started IS NOT NULL FROM jobs j "
                           "WHERE state IN "
                           "('queued', 'running') ORDER BY id",
                           -1, &q, NULL) != SQLITE_OK) {
        nd_store_db_err(s, err, "read unfinished jobs");
        return NULL;
    }
    json_t *jobs = json_array();
    int rc;
    while (jobs && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        json_t *j = json_pack("{s:I,s:o,s:o,s:o,s:o,s:o,s:b,s:o,s:b,s:I,s:b}", "id",
                              (json_int_t)sqlite3_column_int64(q, 0), "kind",
                              nd_store_col_text(q, 1), "state", nd_store_col_text(q, 2),
                              "submitted_by", nd_store_col_text(q, 3), "request",
                              nd_store_col_json(q, 4), "targets", nd_store_col_json(q, 5),
                              "resumable", sqlite3_column_int(q, 6), "cancel_by",
                              nd_store_col_text(q, 7), "sealed", sqlite3_column_int(q, 8),
                              "last_seq", (json_int_t)sqlite3_column_int64(q, 9), "started",
                              sqlite3_column_int(q, 10));
        if (!j || json_array_append_new(jobs, j) < 0) {
            json_decref(jobs);
            jobs = NULL;
        }
    }
    sqlite3_finalize(q);
    if (!jobs) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    if (rc != SQLITE_DONE) {
        json_decref(jobs);
        nd_store_db_err(s, err, "read unfinished jobs");
        return NULL;
    }
    size_t i;
    json_t *j;
    json_array_foreach(jobs, i, j) {
        int64_t id = json_integer_value(json_object_get(j, "id")), max_seq = 0;
        json_t *res = json_object(), *inflight = json_object();
        json_object_set_new(j, "results", res);
        json_object_set_new(j, "inflight", inflight);
        if (!res || !inflight || job_results(s, id, res, err) < 0 ||
            job_inflight(s, id, inflight, &max_seq, err) < 0) {
            if (!na_err_isset(err))
                na_err_set(err, NA_E_NOMEM, "out of memory");
            json_decref(jobs);
            return NULL;
        }
        json_object_set_new(j, "sent_seq", json_integer(max_seq));
    }
    return jobs;
}

int nd_store_job_sealed(nd_store *s, int64_t id, void **data, size_t *len, na_err *err)
{
    *data = NULL;
    *len = 0;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(s->db, "SELECT sealed_vars FROM jobs WHERE id=?", -1, &q, NULL) !=
        SQLITE_OK)
        return nd_store_db_err(s, err, "read sealed vars");
    sqlite3_bind_int64(q, 1, id);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW && sqlite3_column_type(q, 0) == SQLITE_BLOB) {
        int n = sqlite3_column_bytes(q, 0);
        if (n > 0 && (*data = malloc((size_t)n))) {
            memcpy(*data, sqlite3_column_blob(q, 0), (size_t)n);
            *len = (size_t)n;
        } else if (n > 0) {
            rc = SQLITE_NOMEM;
        }
    }
    sqlite3_finalize(q);
    if (rc == SQLITE_NOMEM)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return nd_store_db_err(s, err, "read sealed vars");
    return 0;
}

/* One UPDATE/INSERT with text and integer parameters, committed at once. */
static int write_now(nd_store *s, const char *sql, const char *what, const char *t1,
                     const char *t2, int64_t i3, int64_t job, na_err *err)
{
    sqlite3_stmt *q;
    if (nd_store_batch(s, err) < 0)
        return -1;
    if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK) {
        nd_store_db_err(s, err, what);
        return nd_store_write_failed(s, job, err);
    }
    if (t1)
        nd_store_bind_red(q, 1, t1);
    if (t2)
        nd_store_bind_red(q, 2, t2);
    sqlite3_bind_int64(q, 3, i3);
    int rc = nd_store_step_done(s, q, err, what);
    sqlite3_finalize(q);
    if (rc < 0)
        return nd_store_write_failed(s, job, err);
    return nd_store_commit(s, err);
}

int nd_store_job_requeued(nd_store *s, int64_t id, bool queue, na_err *err)
{
    return write_now(s,
                     queue ? "UPDATE jobs SET state='queued', recoveries=recoveries+1 WHERE id=?3"
                           : "UPDATE jobs SET recoveries=recoveries+1 WHERE id=?3",
                     "requeue job", NULL, NULL, id, id, err);
}

int nd_store_job_cancel_by(nd_store *s, int64_t id, const char *who, na_err *err)
{
    return write_now(s, "UPDATE jobs SET cancel_by=?1 WHERE id=?3", "record the cancel",
                     who ? who : "-", NULL, id, id, err);
}

int nd_store_idem_put(nd_store *s, const char *who, const char *key, const char *fp, int64_t job,
                      int64_t ts, na_err *err)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(s->db,
                           "INSERT OR REPLACE INTO idempotency(who, key, fingerprint, job_id, "
                           "created) VALUES(?,?,?,?,?)",
                           -1, &q, NULL) != SQLITE_OK)
        return nd_store_db_err(s, err, "store the idempotency key");
    sqlite3_bind_text(q, 1, who, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 2, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 3, fp ? fp : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 4, job);
    sqlite3_bind_int64(q, 5, ts);
    int rc = nd_store_step_done(s, q, err, "store the idempotency key");
    sqlite3_finalize(q);
    return rc;
}

int nd_store_idem_get(nd_store *s, const char *who, const char *key, int64_t since_ms,
                      int64_t *job, char fp[65], na_err *err)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT i.job_id, i.fingerprint FROM idempotency i JOIN jobs j ON "
                           "j.id=i.job_id WHERE i.who=? AND i.key=? AND i.created>=?",
                           -1, &q, NULL) != SQLITE_OK)
        return nd_store_db_err(s, err, "read the idempotency key");
    sqlite3_bind_text(q, 1, who, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 2, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 3, since_ms);
    int rc = sqlite3_step(q), found = 0;
    if (rc == SQLITE_ROW) {
        *job = sqlite3_column_int64(q, 0);
        const char *f = (const char *)sqlite3_column_text(q, 1);
        snprintf(fp, 65, "%s", f ? f : "");
        found = 1;
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return nd_store_db_err(s, err, "read the idempotency key");
    return found;
}

int nd_store_sched_get(nd_store *s, const char *name, char **cron, int64_t *next_due,
                       na_err *err)
{
    *cron = NULL;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(s->db, "SELECT cron, next_due FROM schedule_state WHERE name=?", -1,
                           &q, NULL) != SQLITE_OK)
        return nd_store_db_err(s, err, "read a schedule's state");
    sqlite3_bind_text(q, 1, name, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(q), found = 0;
    if (rc == SQLITE_ROW) {
        const char *c = (const char *)sqlite3_column_text(q, 0);
        *next_due = sqlite3_column_int64(q, 1);
        if (!(*cron = strdup(c ? c : ""))) {
            sqlite3_finalize(q);
            return na_err_set(err, NA_E_NOMEM, "out of memory");
        }
        found = 1;
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return nd_store_db_err(s, err, "read a schedule's state");
    return found;
}

int nd_store_sched_set(nd_store *s, const char *name, const char *cron, int64_t next_due,
                       na_err *err)
{
    return write_now(s,
                     "INSERT OR REPLACE INTO schedule_state(name, cron, next_due) "
                     "VALUES(?1, ?2, ?3)",
                     "store a schedule's state", name, cron, next_due, 0, err);
}
