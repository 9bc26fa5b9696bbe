/* store.c — the SQLite job store (see store.h for the durability contract). One connection,
 * used only from the daemon's loop; statements are prepared once and cached. Grouped writes
 * open a transaction and schedule its commit as a loop event. Not an ORM. */
#include "store.h"
#include "clock.h"
#include "log.h"
#include "secret.h"
#include "store_int.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const nd_job_state_names[6] = {"queued",    "running",   "succeeded",
                                           "failed",    "cancelled", "interrupted"};

int nd_job_state_parse(const char *s)
{
    for (int i = 0; i < 6; i++)
        if (s && !strcmp(s, nd_job_state_names[i]))
            return i;
    return -1;
}

enum {
    ST_EVENT,
    ST_HOSTRES,
    ST_STARTED,
    ST_FINISHED,
    ST_INSERT,
    ST_AUDIT,
    ST_LASTSEQ,
    ST_EVENTS,
    ST_GETJOB,
    ST_GETHOSTS,
    ST_STATE,
    ST__N
};

_Static_assert((int)ST__N == (int)ND_STORE_NSTMT,
               "store_int.h: ND_STORE_NSTMT must match the statements");

static const char *const stmt_sql[ST__N] = {
    [ST_EVENT] = "INSERT INTO events(job_id, seq, ts, type, data) VALUES(?,?,?,?,?)",
    [ST_HOSTRES] = "INSERT OR REPLACE INTO host_results(job_id, host, ok, changed, result, "
                   "finished) VALUES(?,?,?,?,?,?)",
    [ST_STARTED] = "UPDATE jobs SET state='running', started=? WHERE id=?",
    [ST_FINISHED] = "UPDATE jobs SET state=?, finished=?, error=? WHERE id=?",
    [ST_INSERT] = "INSERT INTO jobs(kind, state, created, submitted_by, request, targets) "
                  "VALUES(?, 'queued', ?, ?, ?, ?)",
    [ST_AUDIT] = "INSERT INTO audit(ts, who, action, target, detail) VALUES(?,?,?,?,?)",
    [ST_LASTSEQ] = "SELECT coalesce(max(seq), 0) FROM events WHERE job_id=?",
    [ST_EVENTS] = "SELECT seq, ts, type, data FROM events WHERE job_id=? AND seq>? ORDER BY seq",
    [ST_GETJOB] = "SELECT id, kind, state, created, started, finished, submitted_by, request, "
                  "targets, error FROM jobs WHERE id=?",
    [ST_GETHOSTS] = "SELECT host, ok, changed, result FROM host_results WHERE job_id=? ORDER BY "
                    "finished, host",
    [ST_STATE] = "SELECT state FROM jobs WHERE id=?",
};


static const char schema_v1[] =
    "CREATE TABLE jobs("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  kind TEXT NOT NULL,"
    "  state TEXT NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  started INTEGER,"
    "  finished INTEGER,"
    "  submitted_by TEXT NOT NULL,"
    "  request TEXT NOT NULL,"
    "  targets TEXT NOT NULL,"
    "  error TEXT);"
    "CREATE INDEX jobs_state ON jobs(state);"
    "CREATE TABLE host_results("
    "  job_id INTEGER NOT NULL REFERENCES jobs(id),"
    "  host TEXT NOT NULL,"
    "  ok INTEGER NOT NULL,"
    "  changed INTEGER NOT NULL,"
    "  result TEXT NOT NULL,"
    "  finished INTEGER NOT NULL,"
    "  PRIMARY KEY(job_id, host));"
    "CREATE TABLE events("
    "  job_id INTEGER NOT NULL REFERENCES jobs(id),"
    "  seq INTEGER NOT NULL,"
    "  ts INTEGER NOT NULL,"
    "  type TEXT NOT NULL,"
    "  data TEXT NOT NULL,"
    "  PRIMARY KEY(job_id, seq));"
    "CREATE TABLE audit("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  ts INTEGER NOT NULL,"
    "  who TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  target TEXT,"
    "  detail TEXT);"
    "CREATE TABLE backups("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  host TEXT NOT NULL,"
    "  command TEXT NOT NULL,"
    "  job_id INTEGER,"
    "  ts INTEGER NOT NULL,"
    "  changed INTEGER NOT NULL,"
    "  output TEXT NOT NULL,"
    "  diff TEXT NOT NULL,"
    "  prev_id INTEGER);"
    "CREATE INDEX backups_host ON backups(host, command, id);"
    "PRAGMA user_version=1;";

/* Migrations: migrations[v] brings a store at version v to v+1. */
static const char *const migrations[ND_STORE_SCHEMA] = {schema_v1};

int nd_store_db_err(nd_store *s, na_err *err, const char *what)
{
    return na_err_set(err, NA_E_IO, "job store: %s: %s", what, sqlite3_errmsg(s->db));
}

static int exec(nd_store *s, const char *sql, na_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        na_err_set(err, NA_E_IO, "job store: %s", msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static sqlite3_stmt *stmt(nd_store *s, int i, na_err *err)
{
    if (!s->st[i] && sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                                        &s->st[i], NULL) != SQLITE_OK) {
        nd_store_db_err(s, err, "prepare");
        return NULL;
    }
    sqlite3_reset(s->st[i]);
    sqlite3_clear_bindings(s->st[i]);
    return s->st[i];
}

void nd_store_touch(nd_store *s, int64_t job)
{
    if (job <= 0 || (s->n_touched && s->touched[s->n_touched - 1] == job))
        return;
    for (size_t i = 0; i < s->n_touched; i++)
        if (s->touched[i] == job)
            return;
    if (s->n_touched == s->cap_touched) {
        size_t nc = s->cap_touched ? s->cap_touched * 2 : 16;
        int64_t *n = realloc(s->touched, nc * sizeof *n);
        if (!n)
            return; /* then a loss may go unreported for this job: logged by the writer */
        s->touched = n;
        s->cap_touched = nc;
    }
    s->touched[s->n_touched++] = job;
}

/* The grouped transaction is gone: every job with progress in it lost some. */
static void batch_lost(nd_store *s, const char *why)
{
    size_t n = s->n_touched;
    s->n_touched = 0;
    s->in_txn = false;
    for (size_t i = 0; i < n && s->lost; i++)
        s->lost(s->lost_ud, s->touched[i], why);
}

int nd_store_write_failed(nd_store *s, int64_t job, na_err *err)
{
    s->failures++;
    const char *why = err && na_err_isset(err) ? err->msg : sqlite3_errmsg(s->db);
    if (job > 0 && s->lost)
        s->lost(s->lost_ud, job, why);
    if (s->in_txn && sqlite3_get_autocommit(s->db))
        batch_lost(s, why); /* SQLite rolled the whole transaction back */
    return -1;
}

static int commit(nd_store *s, na_err *err)
{
    if (!s->in_txn)
        return 0;
    s->in_txn = false;
    na_err local = NA_ERR_INIT;
    if (!err)
        err = &local;
    if (exec(s, "COMMIT", err) < 0) {
        if (!sqlite3_get_autocommit(s->db))
            exec(s, "ROLLBACK", NULL); /* leave no half-open transaction behind */
        s->failures++;
        s->in_txn = true; /* for batch_lost */
        batch_lost(s, err->msg);
        return -1;
    }
    s->n_touched = 0;
    return 0;
}

void nd_store_on_loss(nd_store *s, nd_store_loss_cb cb, void *ud)
{
    s->lost = cb;
    s->lost_ud = ud;
}

uint64_t nd_store_failures(const nd_store *s) { return s->failures; }

int nd_store_set_max_size(nd_store *s, uint64_t bytes, na_err *err)
{
    if (!bytes)
        return 0;
    sqlite3_stmt *q;
    int64_t page = 4096;
    if (sqlite3_prepare_v2(s->db, "PRAGMA page_size", -1, &q, NULL) == SQLITE_OK) {
        if (sqlite3_step(q) == SQLITE_ROW)
            page = sqlite3_column_int64(q, 0);
        sqlite3_finalize(q);
    }
    char sql[80];
    snprintf(sql, sizeof sql, "PRAGMA max_page_count=%llu",
             (unsigned long long)(bytes / (uint64_t)(page > 0 ? page : 4096)));
    return exec(s, sql, err);
}

static void commit_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    nd_store *s = arg;
    na_err e = NA_ERR_INIT;
    commit(s, &e); /* a failure already rolled back; the next write starts afresh */
}

/* Start (or join) the grouped transaction for a progress write. */
int nd_store_batch(nd_store *s, na_err *err)
{
    if (s->in_txn)
        return 0;
    if (exec(s, "BEGIN IMMEDIATE", err) < 0)
        return -1;
    s->in_txn = true;
    if (s->commit_ev)
        event_active(s->commit_ev, EV_TIMEOUT, 0);
    return 0;
}

/* After a progress write: without a loop, commit at once. */
int nd_store_batch_done(nd_store *s, na_err *err)
{
    return s->commit_ev ? 0 : commit(s, err);
}

int nd_store_flush(nd_store *s, na_err *err) { return commit(s, err); }

nd_store *nd_store_open(const char *path, bool sync_full, struct event_base *base, na_err *err)
{
    nd_store *s = calloc(1, sizeof *s);
    if (!s) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    s->sync_full = sync_full;
    if (sqlite3_open_v2(path, &s->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        na_err_set(err, NA_E_IO, "job store %s: %s", path,
                   s->db ? sqlite3_errmsg(s->db) : "cannot open");
        goto fail;
    }
    sqlite3_busy_timeout(s->db, 5000);
    sqlite3_extended_result_codes(s->db, 1);
    if (exec(s, "PRAGMA journal_mode=WAL", err) < 0 ||
        exec(s, sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", err) < 0 ||
        exec(s, "PRAGMA foreign_keys=ON", err) < 0)
        goto fail;
    sqlite3_stmt *v;
    int ver = 0;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &v, NULL) != SQLITE_OK) {
        nd_store_db_err(s, err, "read schema version");
        goto fail;
    }
    if (sqlite3_step(v) == SQLITE_ROW)
        ver = sqlite3_column_int(v, 0);
    sqlite3_finalize(v);
    if (ver > ND_STORE_SCHEMA) {
        na_err_set(err, NA_E_CONFIG,
                   "job store %s has schema version %d; this netautod knows up to %d (written by "
                   "a newer netautod?)",
                   path, ver, ND_STORE_SCHEMA);
        goto fail;
    }
    for (; ver < ND_STORE_SCHEMA; ver++) {
        if (exec(s, "BEGIN IMMEDIATE", err) < 0)
            goto fail;
        if (exec(s, migrations[ver], err) < 0) {
            exec(s, "ROLLBACK", NULL);
            goto fail;
        }
        if (exec(s, "COMMIT", err) < 0)
            goto fail;
    }
    /* The order a job's results are read in (GET /v1/jobs/{id}, a host at a time): without it
     * each step sorted every host of the job (5,000 hosts: 6 s). An index, not a schema
     * change: stores of every version get it. */
    if (exec(s, "CREATE INDEX IF NOT EXISTS host_results_order ON host_results(job_id, finished, "
                "host)", err) < 0)
        goto fail;
    if (base) {
        s->commit_ev = event_new(base, -1, 0, commit_cb, s);
        if (!s->commit_ev) {
            na_err_set(err, NA_E_NOMEM, "out of memory");
            goto fail;
        }
    }
    return s;
fail:
    nd_store_close(s);
    return NULL;
}

void nd_store_close(nd_store *s)
{
    if (!s)
        return;
    if (s->db)
        commit(s, NULL);
    for (int i = 0; i < ST__N; i++)
        sqlite3_finalize(s->st[i]);
    if (s->commit_ev)
        event_free(s->commit_ev);
    if (s->db)
        sqlite3_close(s->db);
    free(s->touched);
    free(s);
}

/* Bind a redacted copy of text. */
int nd_store_bind_red(sqlite3_stmt *st, int i, const char *text)
{
    if (!text)
        return sqlite3_bind_null(st, i);
    char *r = na_redact_dup(text, strlen(text));
    if (!r)
        return SQLITE_NOMEM;
    return sqlite3_bind_text(st, i, r, -1, free);
}

int nd_store_bind_exact(sqlite3_stmt *st, int i, const char *text)
{
    if (!text)
        return sqlite3_bind_null(st, i);
    return sqlite3_bind_text(st, i, text, -1, SQLITE_TRANSIENT);
}

/* A JSON document. exact: results and events, built from runner results where the device's
 * text is exact and netauto's own already masked (redacting the whole document again would
 * rewrite the device's output: "administratively" with the lab password "admin", issue 12);
 * otherwise (requests, targets: what users sent) registered secrets are masked. */
static int bind_json(sqlite3_stmt *st, int i, const json_t *j, bool exact)
{
    char *txt = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!txt)
        return SQLITE_NOMEM;
    int rc = exact ? nd_store_bind_exact(st, i, txt) : nd_store_bind_red(st, i, txt);
    free(txt);
    return rc;
}

static int step_done(nd_store *s, sqlite3_stmt *st, na_err *err, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return nd_store_db_err(s, err, what);
    return 0;
}

int64_t nd_store_job_insert(nd_store *s, const char *kind, const char *submitted_by,
                            const json_t *request, const json_t *targets, int64_t created_ms,
                            na_err *err)
{
    sqlite3_stmt *st = stmt(s, ST_INSERT, err);
    if (!st)
        return -1;
    if (nd_store_batch(s, err) < 0)
        return -1;
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, created_ms);
    sqlite3_bind_text(st, 3, submitted_by, -1, SQLITE_TRANSIENT);
    bind_json(st, 4, request, false);
    bind_json(st, 5, targets, false);
    if (step_done(s, st, err, "insert job") < 0)
        return nd_store_write_failed(s, 0, err);
    int64_t id = sqlite3_last_insert_rowid(s->db);
    if (commit(s, err) < 0) /* durable before the caller answers 202 */
        return -1;
    return id;
}

int nd_store_job_started(nd_store *s, int64_t id, int64_t ts, na_err *err)
{
    sqlite3_stmt *st = stmt(s, ST_STARTED, err);
    if (!st || nd_store_batch(s, err) < 0)
        return nd_store_write_failed(s, id, err);
    sqlite3_bind_int64(st, 1, ts);
    sqlite3_bind_int64(st, 2, id);
    nd_store_touch(s, id);
    if (step_done(s, st, err, "mark job started") < 0)
        return nd_store_write_failed(s, id, err);
    return nd_store_batch_done(s, err);
}

int nd_store_job_finished(nd_store *s, int64_t id, nd_job_state state, int64_t ts,
                          const char *error, na_err *err)
{
    sqlite3_stmt *st = stmt(s, ST_FINISHED, err);
    if (!st || nd_store_batch(s, err) < 0)
        return -1;
    sqlite3_bind_text(st, 1, nd_job_state_names[state], -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, ts);
    nd_store_bind_red(st, 3, error);
    sqlite3_bind_int64(st, 4, id);
    if (step_done(s, st, err, "finish job") < 0) {
        nd_store_write_failed(s, 0, err); /* the caller keeps the final state and retries */
        return -1;
    }
    return commit(s, err);
}

int nd_store_host_result(nd_store *s, int64_t id, const char *host, const json_t *result,
                         int64_t ts, na_err *err)
{
    sqlite3_stmt *st = stmt(s, ST_HOSTRES, err);
    if (!st || nd_store_batch(s, err) < 0)
        return nd_store_write_failed(s, id, err);
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, host, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, json_is_true(json_object_get(result, "ok")));
    sqlite3_bind_int(st, 4, json_is_true(json_object_get(result, "changed")));
    bind_json(st, 5, result, true);
    sqlite3_bind_int64(st, 6, ts);
    nd_store_touch(s, id);
    if (step_done(s, st, err, "store host result") < 0)
        return nd_store_write_failed(s, id, err);
    return nd_store_batch_done(s, err);
}

static int insert_event(nd_store *s, int64_t id, int64_t seq, int64_t ts, const char *type,
                        const json_t *data, na_err *err)
{
    sqlite3_stmt *st = stmt(s, ST_EVENT, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, seq);
    sqlite3_bind_int64(st, 3, ts);
    sqlite3_bind_text(st, 4, type, -1, SQLITE_TRANSIENT);
    bind_json(st, 5, data, true);
    return step_done(s, st, err, "store event");
}

int nd_store_event(nd_store *s, int64_t id, int64_t seq, int64_t ts, const char *type,
                   const json_t *data, na_err *err)
{
    if (nd_store_batch(s, err) < 0)
        return nd_store_write_failed(s, id, err);
    nd_store_touch(s, id);
    if (insert_event(s, id, seq, ts, type, data, err) < 0)
        return nd_store_write_failed(s, id, err);
    return nd_store_batch_done(s, err);
}

int64_t nd_store_last_seq(nd_store *s, int64_t id)
{
    sqlite3_stmt *st = stmt(s, ST_LASTSEQ, NULL);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    int64_t r = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_reset(st);
    return r;
}

int nd_store_recover(nd_store *s, int64_t now_ms, json_t **ids_out, na_err *err)
{
    if (ids_out)
        *ids_out = NULL;
    json_t *ids = json_array();
    sqlite3_stmt *q = NULL;
    if (!ids)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    if (commit(s, err) < 0 || exec(s, "BEGIN IMMEDIATE", err) < 0)
        goto fail;
    s->in_txn = true;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT id FROM jobs WHERE state IN ('queued','running') ORDER BY id",
                           -1, &q, NULL) != SQLITE_OK) {
        nd_store_db_err(s, err, "recover");
        goto fail;
    }
    while (sqlite3_step(q) == SQLITE_ROW)
        json_array_append_new(ids, json_integer(sqlite3_column_int64(q, 0)));
    sqlite3_finalize(q);
    q = NULL;
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v) {
        int64_t id = json_integer_value(v);
        const char *msg = "netautod stopped while the job was unfinished (recovered at restart)";
        sqlite3_stmt *st = stmt(s, ST_FINISHED, err);
        if (!st)
            goto fail;
        sqlite3_bind_text(st, 1, "interrupted", -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, now_ms);
        sqlite3_bind_text(st, 3, msg, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, id);
        if (step_done(s, st, err, "recover job") < 0)
            goto fail;
        int64_t seq = nd_store_last_seq(s, id);
        json_t *data = json_pack("{s:I,s:s,s:s}", "id", (json_int_t)id, "state", "interrupted",
                                 "error", msg);
        int rc = data ? insert_event(s, id, seq + 1, now_ms, "job_finished", data, err) : -1;
        json_decref(data);
        if (rc < 0)
            goto fail;
    }
    if (commit(s, err) < 0)
        goto fail;
    if (ids_out)
        *ids_out = ids;
    else
        json_decref(ids);
    return 0;
fail:
    if (q)
        sqlite3_finalize(q);
    if (s->in_txn) {
        exec(s, "ROLLBACK", NULL);
        s->in_txn = false;
    }
    json_decref(ids);
    return -1;
}

static json_t *col_json(sqlite3_stmt *st, int i)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    if (!t)
        return json_null();
    json_t *j = json_loads(t, JSON_DECODE_ANY, NULL);
    return j ? j : json_string(t);
}

json_t *nd_store_col_time(sqlite3_stmt *st, int i)
{
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        return json_null();
    char buf[40];
    na_format_wall(sqlite3_column_int64(st, i), buf, sizeof buf);
    return json_string(buf);
}

json_t *nd_store_col_text(sqlite3_stmt *st, int i)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    return t ? json_string(t) : json_null();
}

/* The job row (without hosts) from a ST_GETJOB-shaped row; summary filled later. */
static json_t *job_row(sqlite3_stmt *st)
{
    json_t *j = json_object();
    json_object_set_new(j, "id", json_integer(sqlite3_column_int64(st, 0)));
    json_object_set_new(j, "kind", nd_store_col_text(st, 1));
    json_object_set_new(j, "state", nd_store_col_text(st, 2));
    json_object_set_new(j, "created", nd_store_col_time(st, 3));
    json_object_set_new(j, "started", nd_store_col_time(st, 4));
    json_object_set_new(j, "finished", nd_store_col_time(st, 5));
    json_object_set_new(j, "submitted_by", nd_store_col_text(st, 6));
    json_object_set_new(j, "request", col_json(st, 7));
    json_object_set_new(j, "targets", col_json(st, 8));
    json_object_set_new(j, "error", nd_store_col_text(st, 9));
    return j;
}

static json_t *summary(json_t *targets, int finished, int ok, int changed)
{
    return json_pack("{s:I,s:i,s:i,s:i,s:i}", "targets", (json_int_t)json_array_size(targets),
                     "finished", finished, "ok", ok, "failed", finished - ok, "changed", changed);
}

json_t *nd_store_job_head(nd_store *s, int64_t id, na_err *err)
{
    sqlite3_stmt *st = stmt(s, ST_GETJOB, err);
    if (!st)
        return NULL;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    json_t *j = rc == SQLITE_ROW ? job_row(st) : NULL;
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        na_err_set(err, NA_E_NOTFOUND, "no job %lld", (long long)id);
    else if (rc != SQLITE_ROW)
        nd_store_db_err(s, err, "read job");
    return j;
}

int nd_store_host_results(nd_store *s, int64_t id, int64_t after_finished, const char *after_host,
                          nd_store_result_cb cb, void *ud, na_err *err)
{
    /* not a cached statement: the callback may read the store */
    sqlite3_stmt *q;
    /* two forms, so that the row-value range uses the index host_results_order (inside an OR
     * it would scan the job's every row at each step) */
    if (sqlite3_prepare_v2(s->db,
                           after_finished < 0
                               ? "SELECT host, finished, ok, changed, rowid FROM host_results "
                                 "WHERE job_id=?1 AND ?2 < 0 ORDER BY finished, host"
                               : "SELECT host, finished, ok, changed, rowid FROM host_results "
                                 "WHERE job_id=?1 AND (finished, host) > (?2, ?3) ORDER BY "
                                 "finished, host",
                           -1, &q, NULL) != SQLITE_OK)
        return nd_store_db_err(s, err, "read host results");
    sqlite3_bind_int64(q, 1, id);
    sqlite3_bind_int64(q, 2, after_finished);
    sqlite3_bind_text(q, 3, after_host ? after_host : "", -1, SQLITE_TRANSIENT);
    int rc, n = 0;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        n++;
        if (cb(ud, (const char *)sqlite3_column_text(q, 0), sqlite3_column_int64(q, 1),
               sqlite3_column_int(q, 2) != 0, sqlite3_column_int(q, 3) != 0,
               sqlite3_column_int64(q, 4))) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? n : nd_store_db_err(s, err, "read host results");
}

json_t *nd_store_job_get(nd_store *s, int64_t id, na_err *err)
{
    sqlite3_stmt *st = stmt(s, ST_GETJOB, err);
    if (!st)
        return NULL;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        if (rc == SQLITE_DONE)
            na_err_set(err, NA_E_NOTFOUND, "no job %lld", (long long)id);
        else
            nd_store_db_err(s, err, "read job");
        return NULL;
    }
    json_t *j = job_row(st);
    sqlite3_reset(st);
    json_t *hosts = json_object();
    int finished = 0, ok = 0, changed = 0;
    sqlite3_stmt *h = stmt(s, ST_GETHOSTS, err);
    if (!h) {
        json_decref(j);
        json_decref(hosts);
        return NULL;
    }
    sqlite3_bind_int64(h, 1, id);
    while ((rc = sqlite3_step(h)) == SQLITE_ROW) {
        json_object_set_new(hosts, (const char *)sqlite3_column_text(h, 0), col_json(h, 3));
        finished++;
        ok += sqlite3_column_int(h, 1) != 0;
        changed += sqlite3_column_int(h, 2) != 0;
    }
    sqlite3_reset(h);
    json_object_set_new(j, "hosts", hosts);
    json_object_set_new(j, "summary", summary(json_object_get(j, "targets"), finished, ok, changed));
    return j;
}

json_t *nd_store_job_list(nd_store *s, int state, int limit, int64_t before_id, na_err *err)
{
    if (limit <= 0)
        limit = 100;
    sqlite3_stmt *q;
    /* the request's big parts (inline YAML, vars, targets) stay in the database */
    const char *sql =
        "SELECT j.id, j.kind, j.state, j.created, j.started, j.finished, j.submitted_by, "
        "json_array_length(j.targets), j.error, "
        "(SELECT count(*) FROM host_results h WHERE h.job_id=j.id), "
        "(SELECT coalesce(sum(ok),0) FROM host_results h WHERE h.job_id=j.id), "
        "(SELECT coalesce(sum(changed),0) FROM host_results h WHERE h.job_id=j.id), "
        "json_extract(j.request, '$.playbook') AS pb, "
        "json_extract(j.request, '$.limit'), json_extract(j.request, '$.check'), "
        "json_extract(j.request, '$.backup'), json_extract(j.request, '$.schedule') "
        "FROM jobs j WHERE (?1 IS NULL OR j.state=?1) AND (?2 <= 0 OR j.id < ?2) "
        "ORDER BY j.id DESC LIMIT ?3";
    if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK) {
        nd_store_db_err(s, err, "list jobs");
        return NULL;
    }
    if (state >= 0)
        sqlite3_bind_text(q, 1, nd_job_state_names[state], -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, before_id);
    sqlite3_bind_int(q, 3, limit);
    json_t *arr = json_array();
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        json_t *j = json_object();
        json_object_set_new(j, "id", json_integer(sqlite3_column_int64(q, 0)));
        json_object_set_new(j, "kind", nd_store_col_text(q, 1));
        json_object_set_new(j, "state", nd_store_col_text(q, 2));
        json_object_set_new(j, "created", nd_store_col_time(q, 3));
        json_object_set_new(j, "started", nd_store_col_time(q, 4));
        json_object_set_new(j, "finished", nd_store_col_time(q, 5));
        json_object_set_new(j, "submitted_by", nd_store_col_text(q, 6));
        json_object_set_new(j, "error", nd_store_col_text(q, 8));
        json_t *rq = json_object();
        const char *pb = (const char *)sqlite3_column_text(q, 12);
        if (pb && strchr(pb, '\n')) {
            json_object_set_new(rq, "playbook", json_null());
            json_object_set_new(rq, "inline", json_true());
            json_object_set_new(rq, "bytes", json_integer(sqlite3_column_bytes(q, 12)));
        } else if (pb) {
            json_object_set_new(rq, "playbook", json_string(pb));
        }
        if (pb) {
            json_object_set_new(rq, "limit", nd_store_col_text(q, 13));
            json_object_set_new(rq, "check", json_boolean(sqlite3_column_int(q, 14)));
        }
        if (sqlite3_column_type(q, 15) != SQLITE_NULL) {
            json_object_set_new(rq, "backup", nd_store_col_text(q, 15));
            json_object_set_new(rq, "schedule", nd_store_col_text(q, 16));
        }
        json_object_set_new(j, "request", rq);
        int fin = sqlite3_column_int(q, 9), ok = sqlite3_column_int(q, 10);
        json_object_set_new(j, "summary",
                            json_pack("{s:I,s:i,s:i,s:i,s:i}", "targets",
                                      (json_int_t)sqlite3_column_int64(q, 7), "finished", fin,
                                      "ok", ok, "failed", fin - ok, "changed",
                                      sqlite3_column_int(q, 11)));
        json_array_append_new(arr, j);
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE) {
        json_decref(arr);
        nd_store_db_err(s, err, "list jobs");
        return NULL;
    }
    return arr;
}

int nd_store_job_state(nd_store *s, int64_t id, nd_job_state *out, na_err *err)
{
    sqlite3_stmt *st = stmt(s, ST_STATE, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    int r = -1;
    if (rc == SQLITE_ROW) {
        int v = nd_job_state_parse((const char *)sqlite3_column_text(st, 0));
        if (v >= 0) {
            *out = (nd_job_state)v;
            r = 0;
        } else
            na_err_set(err, NA_E_INTERNAL, "job %lld has an unknown state", (long long)id);
    } else if (rc == SQLITE_DONE)
        na_err_set(err, NA_E_NOTFOUND, "no job %lld", (long long)id);
    else
        nd_store_db_err(s, err, "read job state");
    sqlite3_reset(st);
    return r;
}

int nd_store_events(nd_store *s, int64_t id, int64_t after_seq, nd_store_event_cb cb, void *ud,
                    na_err *err)
{
    /* not the cached statement: a callback may call back into the store */
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(s->db, stmt_sql[ST_EVENTS], -1, &q, NULL) != SQLITE_OK)
        return nd_store_db_err(s, err, "read events");
    sqlite3_bind_int64(q, 1, id);
    sqlite3_bind_int64(q, 2, after_seq);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (cb(ud, sqlite3_column_int64(q, 0), sqlite3_column_int64(q, 1),
               (const char *)sqlite3_column_text(q, 2), (const char *)sqlite3_column_text(q, 3))) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? 0 : nd_store_db_err(s, err, "read events");
}

int nd_store_count_by_state(nd_store *s, uint64_t out[6], na_err *err)
{
    memset(out, 0, 6 * sizeof *out);
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(s->db, "SELECT state, count(*) FROM jobs GROUP BY state", -1, &q,
                           NULL) != SQLITE_OK)
        return nd_store_db_err(s, err, "count jobs");
    while (sqlite3_step(q) == SQLITE_ROW) {
        int v = nd_job_state_parse((const char *)sqlite3_column_text(q, 0));
        if (v >= 0)
            out[v] = (uint64_t)sqlite3_column_int64(q, 1);
    }
    sqlite3_finalize(q);
    return 0;
}

int nd_store_audit(nd_store *s, int64_t ts, const char *who, const char *action,
                   const char *target, const char *detail, na_err *err)
{
    sqlite3_stmt *st = stmt(s, ST_AUDIT, err);
    if (!st || nd_store_batch(s, err) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, ts);
    nd_store_bind_red(st, 2, who ? who : "-");
    nd_store_bind_red(st, 3, action);
    nd_store_bind_red(st, 4, target);
    nd_store_bind_red(st, 5, detail);
    if (step_done(s, st, err, "audit") < 0)
        return nd_store_write_failed(s, 0, err);
    return nd_store_batch_done(s, err);
}

void nd_audit(nd_store *s, const char *who, const char *action, const char *target,
              const char *detail)
{
    na_err e = NA_ERR_INIT;
    if (nd_store_audit(s, na_wall_ms(), who, action, target, detail, &e) < 0)
        NA_LOGE("audit", "%s", e.msg);
}

json_t *nd_store_audit_list(nd_store *s, int limit, na_err *err)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT id, ts, who, action, target, detail FROM audit ORDER BY id "
                           "DESC LIMIT ?",
                           -1, &q, NULL) != SQLITE_OK) {
        nd_store_db_err(s, err, "read audit");
        return NULL;
    }
    sqlite3_bind_int(q, 1, limit > 0 ? limit : 100);
    json_t *arr = json_array();
    while (sqlite3_step(q) == SQLITE_ROW) {
        json_t *e = json_object();
        json_object_set_new(e, "id", json_integer(sqlite3_column_int64(q, 0)));
        json_object_set_new(e, "time", nd_store_col_time(q, 1));
        json_object_set_new(e, "who", nd_store_col_text(q, 2));
        json_object_set_new(e, "action", nd_store_col_text(q, 3));
        json_object_set_new(e, "target", nd_store_col_text(q, 4));
        json_object_set_new(e, "detail", nd_store_col_text(q, 5));
        json_array_append_new(arr, e);
    }
    sqlite3_finalize(q);
    return arr;
}
