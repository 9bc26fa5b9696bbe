/* store_retention.c — retention of the job store (see store.h): finished jobs older than
 * retention.jobs go with their results and events, events of finished jobs older than
 * retention.events go, audit rows older than retention.audit go. A few hundred rows per call,
 * in the grouped transaction, so a large prune never holds the loop; the caller calls again
 * while *more. Running jobs (not finished) are never touched. Not the schedule of prunes
 * (daemon.c) nor backups (their own `keep`, store_backup.c). */
#include "store.h"
#include "store_int.h"

#include <sqlite3.h>

/* One DELETE ... of at most `limit` rows selected by `sel` (a SELECT of rowids with ?1 the
 * cutoff and ?2 the limit). Returns the rows deleted, or -1. */
static int delete_some(nd_store *s, const char *sql, int64_t cutoff, int limit, na_err *err)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK)
        return nd_store_db_err(s, err, "retention");
    sqlite3_bind_int64(q, 1, cutoff);
    sqlite3_bind_int(q, 2, limit);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE) {
        nd_store_db_err(s, err, "retention");
        return nd_store_write_failed(s, 0, err);
    }
    return sqlite3_changes(s->db);
}

int nd_store_prune(nd_store *s, int64_t now_ms, int64_t keep_jobs_s, int64_t keep_events_s,
                   int64_t keep_audit_s, int max_rows, bool *more, int64_t *deleted, na_err *err)
{
    *more = false;
    if (nd_store_batch(s, err) < 0)
        return -1;
    int left = max_rows, n;
    if (keep_jobs_s > 0 && left > 0) {
        int64_t cut = now_ms - keep_jobs_s * 1000;
        /* children first (foreign keys), then the jobs themselves */
        static const char *const sql[] = {
            "DELETE FROM host_results WHERE rowid IN (SELECT h.rowid FROM host_results h JOIN "
            "jobs j ON j.id=h.job_id WHERE j.finished IS NOT NULL AND j.finished < ?1 LIMIT ?2)",
            "DELETE FROM events WHERE rowid IN (SELECT e.rowid FROM events e JOIN jobs j ON "
            "j.id=e.job_id WHERE j.finished IS NOT NULL AND j.finished < ?1 LIMIT ?2)",
            "DELETE FROM jobs WHERE id IN (SELECT j.id FROM jobs j WHERE j.finished IS NOT NULL "
            "AND j.finished < ?1 AND NOT EXISTS (SELECT 1 FROM host_results h WHERE "
            "h.job_id=j.id) AND NOT EXISTS (SELECT 1 FROM events e WHERE e.job_id=j.id) LIMIT "
            "?2)",
        };
        for (int i = 0; i < 3 && left > 0; i++) {
            if ((n = delete_some(s, sql[i], cut, left, err)) < 0)
                return -1;
            left -= n;
            *deleted += n;
        }
    }
    if (keep_events_s > 0 && left > 0) {
        n = delete_some(s,
                        "DELETE FROM events WHERE rowid IN (SELECT e.rowid FROM events e JOIN "
                        "jobs j ON j.id=e.job_id WHERE j.finished IS NOT NULL AND j.finished < ?1 "
                        "LIMIT ?2)",
                        now_ms - keep_events_s * 1000, left, err);
        if (n < 0)
            return -1;
        left -= n;
        *deleted += n;
    }
    if (keep_audit_s > 0 && left > 0) {
        n = delete_some(s,
                        "DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE ts < ?1 "
                        "ORDER BY id LIMIT ?2)",
                        now_ms - keep_audit_s * 1000, left, err);
        if (n < 0)
            return -1;
        left -= n;
        *deleted += n;
    }
    *more = left == 0;
    return nd_store_batch_done(s, err);
}
