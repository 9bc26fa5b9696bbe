/* store_backup.c — configuration backups in the job store (see store.h): one row per capture
 * with its diff against the previous capture, pruned to the newest `keep` per host and command.
 * Not the diff itself (diff.c) nor the executor (backup.c). */
#include "store.h"
#include "store_int.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

int64_t nd_store_backup_add(nd_store *s, const char *host, const char *command, int64_t job_id,
                            int64_t ts, const char *output, bool changed, const char *diff,
                            int64_t prev_id, unsigned keep, na_err *err)
{
    sqlite3_stmt *q;
    if (nd_store_batch(s, err) < 0)
        return -1;
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO backups(host, command, job_id, ts, changed, output, diff, "
                           "prev_id) VALUES(?,?,?,?,?,?,?,?)",
                           -1, &q, NULL) != SQLITE_OK)
        return nd_store_db_err(s, err, "store backup");
    sqlite3_bind_text(q, 1, host, -1, SQLITE_TRANSIENT);
    nd_store_bind_red(q, 2, command);
    if (job_id > 0)
        sqlite3_bind_int64(q, 3, job_id);
    sqlite3_bind_int64(q, 4, ts);
    sqlite3_bind_int(q, 5, changed);
    nd_store_bind_exact(q, 6, output); /* the device's configuration, byte for byte */
    nd_store_bind_exact(q, 7, diff ? diff : "");
    if (prev_id > 0)
        sqlite3_bind_int64(q, 8, prev_id);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return nd_store_db_err(s, err, "store backup");
    int64_t id = sqlite3_last_insert_rowid(s->db);
    if (sqlite3_prepare_v2(s->db,
                           "DELETE FROM backups WHERE host=?1 AND command=?2 AND id NOT IN "
                           "(SELECT id FROM backups WHERE host=?1 AND command=?2 ORDER BY id DESC "
                           "LIMIT ?3)",
                           -1, &q, NULL) != SQLITE_OK)
        return nd_store_db_err(s, err, "prune backups");
    sqlite3_bind_text(q, 1, host, -1, SQLITE_TRANSIENT);
    nd_store_bind_red(q, 2, command);
    sqlite3_bind_int(q, 3, (int)(keep ? keep : 100));
    rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return nd_store_db_err(s, err, "prune backups");
    return nd_store_batch_done(s, err) < 0 ? -1 : id;
}

int nd_store_backup_latest(nd_store *s, const char *host, const char *command, int64_t *id,
                           char **output, na_err *err)
{
    sqlite3_stmt *q;
    *output = NULL;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT id, output FROM backups WHERE host=? AND command=? ORDER BY id "
                           "DESC LIMIT 1",
                           -1, &q, NULL) != SQLITE_OK)
        return nd_store_db_err(s, err, "read backup");
    sqlite3_bind_text(q, 1, host, -1, SQLITE_TRANSIENT);
    nd_store_bind_red(q, 2, command);
    int r = 0;
    if (sqlite3_step(q) == SQLITE_ROW) {
        *id = sqlite3_column_int64(q, 0);
        *output = strdup((const char *)sqlite3_column_text(q, 1));
        r = *output ? 1 : na_err_set(err, NA_E_NOMEM, "out of memory");
    }
    sqlite3_finalize(q);
    return r;
}

json_t *nd_store_backup_list(nd_store *s, const char *host, na_err *err)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT id, ts, command, changed, job_id, length(output) FROM backups "
                           "WHERE host=? ORDER BY id DESC",
                           -1, &q, NULL) != SQLITE_OK) {
        nd_store_db_err(s, err, "list backups");
        return NULL;
    }
    sqlite3_bind_text(q, 1, host, -1, SQLITE_TRANSIENT);
    json_t *arr = json_array();
    while (sqlite3_step(q) == SQLITE_ROW) {
        json_t *e = json_object();
        json_object_set_new(e, "id", json_integer(sqlite3_column_int64(q, 0)));
        json_object_set_new(e, "time", nd_store_col_time(q, 1));
        json_object_set_new(e, "command", nd_store_col_text(q, 2));
        json_object_set_new(e, "changed", json_boolean(sqlite3_column_int(q, 3)));
        json_object_set_new(e, "job_id", sqlite3_column_type(q, 4) == SQLITE_NULL
                                             ? json_null()
                                             : json_integer(sqlite3_column_int64(q, 4)));
        json_object_set_new(e, "bytes", json_integer(sqlite3_column_int64(q, 5)));
        json_array_append_new(arr, e);
    }
    sqlite3_finalize(q);
    return arr;
}

json_t *nd_store_backup_get(nd_store *s, const char *host, int64_t id, na_err *err)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT id, ts, command, changed, job_id, output, diff, prev_id FROM "
                           "backups WHERE host=? AND id=?",
                           -1, &q, NULL) != SQLITE_OK) {
        nd_store_db_err(s, err, "read backup");
        return NULL;
    }
    sqlite3_bind_text(q, 1, host, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 2, id);
    json_t *e = NULL;
    if (sqlite3_step(q) == SQLITE_ROW) {
        e = json_object();
        json_object_set_new(e, "id", json_integer(sqlite3_column_int64(q, 0)));
        json_object_set_new(e, "host", json_string(host));
        json_object_set_new(e, "time", nd_store_col_time(q, 1));
        json_object_set_new(e, "command", nd_store_col_text(q, 2));
        json_object_set_new(e, "changed", json_boolean(sqlite3_column_int(q, 3)));
        json_object_set_new(e, "job_id", sqlite3_column_type(q, 4) == SQLITE_NULL
                                             ? json_null()
                                             : json_integer(sqlite3_column_int64(q, 4)));
        json_object_set_new(e, "text", nd_store_col_text(q, 5));
        json_object_set_new(e, "diff", nd_store_col_text(q, 6));
        json_object_set_new(e, "previous", sqlite3_column_type(q, 7) == SQLITE_NULL
                                               ? json_null()
                                               : json_integer(sqlite3_column_int64(q, 7)));
    } else
        na_err_set(err, NA_E_NOTFOUND, "no backup %lld for host '%s'", (long long)id, host);
    sqlite3_finalize(q);
    return e;
}
