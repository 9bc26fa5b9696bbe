/* store_text.c — stored texts read a piece at a time (see store.h): event rows without their
 * data, and nd_text_reader, which reads a value through SQLite's incremental BLOB I/O (only the
 * pages of the piece, opened and closed per piece so that no read transaction stays open while a
 * slow client reads), byte for byte: what the store holds is already safe (netauto's own texts
 * were redacted when written, a device's words are kept exact). Not the API that sends the
 * pieces (api.c, sse.c). */
#include "store.h"
#include "store_int.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

int nd_store_event_rows(nd_store *s, int64_t id, int64_t after_seq, nd_store_event_row_cb cb,
                        void *ud, na_err *err)
{
    sqlite3_stmt *q; /* not cached: the callback reads the store */
    if (sqlite3_prepare_v2(s->db,
                           "SELECT seq, type, rowid FROM events WHERE job_id=? AND seq>? ORDER BY "
                           "seq",
                           -1, &q, NULL) != SQLITE_OK)
        return nd_store_db_err(s, err, "read events");
    sqlite3_bind_int64(q, 1, id);
    sqlite3_bind_int64(q, 2, after_seq);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (cb(ud, sqlite3_column_int64(q, 0), (const char *)sqlite3_column_text(q, 1),
               sqlite3_column_int64(q, 2))) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? 0 : nd_store_db_err(s, err, "read events");
}

void nd_text_open(nd_text_reader *t, nd_store *s, const char *table, const char *column,
                  int64_t rowid)
{
    *t = (nd_text_reader){s, table, column, rowid, 0, -1};
}

int nd_text_next(nd_text_reader *t, size_t piece, na_buf *out, na_err *err)
{
    sqlite3_blob *b = NULL;
    if (sqlite3_blob_open(t->s->db, "main", t->table, t->column, t->rowid, 0, &b) != SQLITE_OK) {
        sqlite3_blob_close(b);
        return nd_store_db_err(t->s, err, "read a stored text");
    }
    int64_t size = sqlite3_blob_bytes(b);
    if (t->size >= 0 && size != t->size) {
        sqlite3_blob_close(b);
        return na_err_set(err, NA_E_IO, "job store: a stored text changed while it was read");
    }
    t->size = size;
    size_t left = (size_t)(size - t->off);
    size_t want = piece < left ? piece : left;
    char *in = malloc(want + 1);
    int rc = in ? sqlite3_blob_read(b, in, (int)want, (int)t->off) : SQLITE_NOMEM;
    sqlite3_blob_close(b);
    if (rc != SQLITE_OK) {
        free(in);
        return rc == SQLITE_NOMEM ? na_err_set(err, NA_E_NOMEM, "out of memory")
                                  : nd_store_db_err(t->s, err, "read a stored text");
    }
    rc = na_buf_append(out, in, want, "a stored text", err);
    free(in);
    if (rc < 0)
        return -1;
    t->off += (int64_t)want;
    return t->off < t->size ? 1 : 0;
}
