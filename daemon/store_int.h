/* store_int.h — what store.c shares with store_backup.c: the store's structure and its write
 * helpers. Private to the store; everyone else uses store.h. */
#ifndef ND_STORE_INT_H
#define ND_STORE_INT_H

#include "store.h"

#include <sqlite3.h>

enum { ND_STORE_NSTMT = 11 };

struct nd_store {
    sqlite3 *db;
    sqlite3_stmt *st[ND_STORE_NSTMT];
    struct event *commit_ev;
    bool in_txn;
    bool sync_full;
    /* the jobs whose progress is in the open grouped transaction: told when it is lost */
    int64_t *touched;
    size_t n_touched, cap_touched;
    nd_store_loss_cb lost;
    void *lost_ud;
    uint64_t failures;
};

/* NA_E_IO "job store: WHAT: sqlite message"; returns -1. */
int nd_store_db_err(nd_store *s, na_err *err, const char *what);
/* Join (or open) the grouped progress transaction; then nd_store_batch_done after the write. */
int nd_store_batch(nd_store *s, na_err *err);
int nd_store_batch_done(nd_store *s, na_err *err);
/* Job `job` has progress in the open grouped transaction. */
void nd_store_touch(nd_store *s, int64_t job);
/* A write of job `job` (0: none) failed: tell the loss hook, and if SQLite rolled the grouped
 * transaction back with it (a full disk does), every job with progress in it. Returns -1. */
int nd_store_write_failed(nd_store *s, int64_t job, na_err *err);
/* Bind a redacted copy of text (NULL binds NULL). */
int nd_store_bind_red(sqlite3_stmt *st, int i, const char *text);
/* Bind text as it is (a device's words, or JSON built from results that are already safe). */
int nd_store_bind_exact(sqlite3_stmt *st, int i, const char *text);
/* New references: an ISO-8601 time / a string column (JSON null for SQL NULL). */
json_t *nd_store_col_time(sqlite3_stmt *st, int i);
json_t *nd_store_col_text(sqlite3_stmt *st, int i);

#endif
