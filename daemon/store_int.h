/* store_int.h — what store.c shares with store_backup.c: the store's structure and its write
 * helpers. Private to the store; everyone else uses store.h. */
#ifndef NA_STORE_INT_H
#define NA_STORE_INT_H

#include "store.h"

#include <sqlite3.h>

enum { NA_STORE_NSTMT = 11 };

struct na_store {
    sqlite3 *db;
    sqlite3_stmt *st[NA_STORE_NSTMT];
    struct event *commit_ev;
    bool in_txn;
    bool sync_full;
};

/* NA_E_IO "job store: WHAT: sqlite message"; returns -1. */
int na_store_db_err(na_store *s, na_err *err, const char *what);
/* Join (or open) the grouped progress transaction; then na_store_batch_done after the write. */
int na_store_batch(na_store *s, na_err *err);
int na_store_batch_done(na_store *s, na_err *err);
/* Bind a redacted copy of text (NULL binds NULL). */
int na_store_bind_red(sqlite3_stmt *st, int i, const char *text);
/* Bind text as it is (a device's words, or JSON built from results that are already safe). */
int na_store_bind_exact(sqlite3_stmt *st, int i, const char *text);
/* New references: an ISO-8601 time / a string column (JSON null for SQL NULL). */
json_t *na_store_col_time(sqlite3_stmt *st, int i);
json_t *na_store_col_text(sqlite3_stmt *st, int i);

#endif
