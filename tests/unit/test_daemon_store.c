/* test_daemon_store.c — unit tests for daemon/store.c on a real SQLite file: schema version,
 * insert and transitions, results and events, listing and counts, recovery after a crash (a
 * child process that SIGKILLs itself mid-job), refusal of a newer schema, redaction of
 * registered secrets, grouped commits on an event loop, and backups with pruning. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "secret.h"
#include "store.h"

#include <event2/event.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[256];
static char path[300];

static int setup(void **st)
{
    (void)st;
    snprintf(dir, sizeof dir, "/tmp/na-store-test.XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof path, "%s/jobs.db", dir);
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static long long scalar(const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *q;
    long long v = -1;
    if (sqlite3_open(path, &db) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK) {
        if (sqlite3_step(q) == SQLITE_ROW)
            v = sqlite3_column_int64(q, 0);
        sqlite3_finalize(q);
    }
    sqlite3_close(db);
    return v;
}

static json_t *targets3(void) { return json_pack("[s,s,s]", "sw1", "sw2", "sw3"); }

static void lifecycle(void **st)
{
    (void)st;
    na_err e = NA_ERR_INIT;
    nd_store *s = nd_store_open(path, true, NULL, &e);
    assert_non_null(s);
    assert_int_equal(scalar("PRAGMA user_version"), ND_STORE_SCHEMA);
    json_t *req = json_pack("{s:s}", "playbook", "vlan"), *tg = targets3();
    int64_t id = nd_store_job_insert(s, "playbook", "ci", req, tg, 1000, &e);
    assert_true(id > 0);
    nd_job_state js;
    assert_int_equal(nd_store_job_state(s, id, &js, &e), 0);
    assert_int_equal(js, ND_JOB_QUEUED);
    assert_int_equal(nd_store_job_started(s, id, 2000, &e), 0);
    json_t *res = json_pack("{s:b,s:b,s:n,s:[]}", "ok", 1, "changed", 1, "error", "tasks");
    assert_int_equal(nd_store_host_result(s, id, "sw1", res, 2500, &e), 0);
    json_decref(res);
    res = json_pack("{s:b,s:b,s:s,s:[]}", "ok", 0, "changed", 0, "error", "boom", "tasks");
    assert_int_equal(nd_store_host_result(s, id, "sw2", res, 2600, &e), 0);
    json_decref(res);
    for (int i = 1; i <= 3; i++) {
        json_t *d = json_pack("{s:i}", "n", i);
        assert_int_equal(nd_store_event(s, id, i, 3000 + i, i == 3 ? "job_finished" : "x", d, &e),
                         0);
        json_decref(d);
    }
    assert_int_equal(nd_store_last_seq(s, id), 3);
    json_t *j = nd_store_job_get(s, id, &e);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "state")), "running");
    assert_string_equal(json_string_value(json_object_get(j, "created")), "1970-01-01T00:00:01.000Z");
    assert_true(json_is_null(json_object_get(j, "finished")));
    json_t *sum = json_object_get(j, "summary");
    assert_int_equal(json_integer_value(json_object_get(sum, "targets")), 3);
    assert_int_equal(json_integer_value(json_object_get(sum, "finished")), 2);
    assert_int_equal(json_integer_value(json_object_get(sum, "ok")), 1);
    assert_int_equal(json_integer_value(json_object_get(sum, "failed")), 1);
    assert_int_equal(json_integer_value(json_object_get(sum, "changed")), 1);
    assert_true(json_is_true(json_object_get(json_object_get(json_object_get(j, "hosts"), "sw1"),
                                             "ok")));
    json_decref(j);
    assert_int_equal(nd_store_job_finished(s, id, ND_JOB_FAILED, 4000, "1 host failed", &e), 0);
    /* list and counts */
    int64_t id2 = nd_store_job_insert(s, "playbook", "ops", req, tg, 5000, &e);
    assert_true(id2 > id);
    json_t *l = nd_store_job_list(s, ND_JOB_FAILED, 10, 0, &e);
    assert_int_equal(json_array_size(l), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(l, 0), "id")), id);
    json_decref(l);
    l = nd_store_job_list(s, -1, 10, 0, &e);
    assert_int_equal(json_array_size(l), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(l, 0), "id")), id2);
    json_decref(l);
    uint64_t counts[6];
    assert_int_equal(nd_store_count_by_state(s, counts, &e), 0);
    assert_int_equal(counts[ND_JOB_FAILED], 1);
    assert_int_equal(counts[ND_JOB_QUEUED], 1);
    /* not found */
    assert_null(nd_store_job_get(s, 999, &e));
    assert_int_equal(e.code, NA_E_NOTFOUND);
    json_decref(req);
    json_decref(tg);
    nd_store_close(s);
}

typedef struct evs {
    int n;
    int64_t seqs[16];
} evs;

static int collect(void *ud, int64_t seq, int64_t ts, const char *type, const char *data)
{
    (void)ts;
    (void)type;
    (void)data;
    evs *v = ud;
    v->seqs[v->n++] = seq;
    return 0;
}

static void events_replay(void **st)
{
    (void)st;
    na_err e = NA_ERR_INIT;
    nd_store *s = nd_store_open(path, true, NULL, &e);
    json_t *req = json_object(), *tg = targets3();
    int64_t id = nd_store_job_insert(s, "playbook", "ci", req, tg, 1, &e);
    for (int i = 1; i <= 5; i++) {
        json_t *d = json_object();
        nd_store_event(s, id, i, i, "t", d, &e);
        json_decref(d);
    }
    evs v = {0};
    assert_int_equal(nd_store_events(s, id, 2, collect, &v, &e), 0);
    assert_int_equal(v.n, 3);
    assert_int_equal(v.seqs[0], 3);
    assert_int_equal(v.seqs[2], 5);
    json_decref(req);
    json_decref(tg);
    nd_store_close(s);
}

static void crash_recovery(void **st)
{
    (void)st;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* the "daemon": two jobs, one running with one host done; then it dies hard */
        na_err e = NA_ERR_INIT;
        nd_store *s = nd_store_open(path, true, NULL, &e);
        if (!s)
            _exit(3);
        json_t *req = json_object(), *tg = targets3();
        int64_t a = nd_store_job_insert(s, "playbook", "ci", req, tg, 10, &e);
        nd_store_job_insert(s, "playbook", "ci", req, tg, 11, &e);
        nd_store_job_started(s, a, 12, &e);
        json_t *res = json_pack("{s:b,s:b,s:n,s:[]}", "ok", 1, "changed", 0, "error", "tasks");
        nd_store_host_result(s, a, "sw1", res, 13, &e);
        json_t *d = json_pack("{s:s}", "host", "sw1");
        nd_store_event(s, a, 1, 14, "host_finished", d, &e);
        kill(getpid(), SIGKILL); /* kill -9: no close, no commit of anything pending */
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    na_err e = NA_ERR_INIT;
    nd_store *s = nd_store_open(path, true, NULL, &e);
    assert_non_null(s);
    json_t *ids = NULL;
    assert_int_equal(nd_store_recover(s, 99000, &ids, &e), 0);
    assert_int_equal(json_array_size(ids), 2);
    int64_t a = json_integer_value(json_array_get(ids, 0));
    json_t *j = nd_store_job_get(s, a, &e);
    assert_string_equal(json_string_value(json_object_get(j, "state")), "interrupted");
    assert_non_null(json_object_get(json_object_get(j, "hosts"), "sw1")); /* kept */
    assert_int_equal(json_object_size(json_object_get(j, "hosts")), 1);
    assert_non_null(json_string_value(json_object_get(j, "error")));
    json_decref(j);
    /* the final event follows the last stored one */
    assert_int_equal(nd_store_last_seq(s, a), 2);
    j = nd_store_job_get(s, json_integer_value(json_array_get(ids, 1)), &e);
    assert_string_equal(json_string_value(json_object_get(j, "state")), "interrupted");
    json_decref(j);
    json_decref(ids);
    /* recovery is idempotent */
    assert_int_equal(nd_store_recover(s, 99001, &ids, &e), 0);
    assert_int_equal(json_array_size(ids), 0);
    json_decref(ids);
    nd_store_close(s);
}

static void newer_schema_refused(void **st)
{
    (void)st;
    na_err e = NA_ERR_INIT;
    nd_store *s = nd_store_open(path, false, NULL, &e);
    nd_store_close(s);
    sqlite3 *db;
    sqlite3_open(path, &db);
    sqlite3_exec(db, "PRAGMA user_version=99", NULL, NULL, NULL);
    sqlite3_close(db);
    s = nd_store_open(path, false, NULL, &e);
    assert_null(s);
    assert_int_equal(e.code, NA_E_CONFIG);
    assert_non_null(strstr(e.msg, "schema version 99"));
}

static void secrets_redacted(void **st)
{
    (void)st;
    na_secret_register("hunter2-secret");
    na_err e = NA_ERR_INIT;
    nd_store *s = nd_store_open(path, true, NULL, &e);
    json_t *req = json_pack("{s:s}", "note", "the password is hunter2-secret"), *tg = targets3();
    int64_t id = nd_store_job_insert(s, "playbook", "ci", req, tg, 1, &e);
    json_t *res = json_pack("{s:b,s:s}", "ok", 1, "output", "enable secret hunter2-secret");
    nd_store_host_result(s, id, "sw1", res, 2, &e);
    nd_store_audit(s, 3, "ci", "commands", "sw1", "conf t | enable secret hunter2-secret", &e);
    nd_store_close(s);
    assert_int_equal(scalar("SELECT count(*) FROM jobs WHERE request LIKE '%hunter2%'"), 0);
    assert_int_equal(scalar("SELECT count(*) FROM jobs WHERE request LIKE '%********%'"), 1);
    /* a device's output is stored byte for byte (issue 12): results are made safe field by
     * field by the runner (commands masked), never by rewriting the device's words */
    assert_int_equal(scalar("SELECT count(*) FROM host_results WHERE result LIKE "
                            "'%enable secret hunter2-secret%'"),
                     1);
    assert_int_equal(scalar("SELECT count(*) FROM audit WHERE detail LIKE '%hunter2%'"), 0);
    json_decref(req);
    json_decref(res);
    json_decref(tg);
    na_secret_clear_registry();
}

typedef struct losses {
    int64_t jobs[8];
    int n;
} losses;

static void on_loss(void *ud, int64_t job, const char *why)
{
    losses *l = ud;
    assert_non_null(strstr(why, "full"));
    if (l->n < 8)
        l->jobs[l->n++] = job;
}

/* A store that cannot grow (max_size, as a full disk): the jobs whose progress was in the lost
 * transaction are named; the final state of another job still fits; retention frees rows. */
static void full_store_and_retention(void **st)
{
    (void)st;
    struct event_base *b = event_base_new();
    na_err e = NA_ERR_INIT;
    nd_store *s = nd_store_open(path, true, b, &e);
    assert_int_equal(nd_store_set_max_size(s, 256 * 1024, &e), 0);
    losses l = {.n = 0};
    nd_store_on_loss(s, on_loss, &l);
    json_t *req = json_object(), *tg = targets3();
    int64_t a = nd_store_job_insert(s, "playbook", "ci", req, tg, 1000, &e);
    int64_t c = nd_store_job_insert(s, "playbook", "ci", req, tg, 1000, &e);
    assert_true(a > 0 && c > 0);
    char big[20000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    json_t *d = json_pack("{s:s}", "output", big);
    nd_store_event(s, c, 1, 1001, "t", d, &e); /* c has progress in the batch too */
    int rc = 0;
    for (int i = 1; i <= 40 && rc == 0; i++)
        rc = nd_store_event(s, a, i, 1001, "t", d, &e);
    json_decref(d);
    assert_int_equal(rc, -1);
    assert_true(l.n >= 1 && l.jobs[0] == a);
    bool c_named = false;
    for (int i = 0; i < l.n; i++)
        c_named |= l.jobs[i] == c;
    assert_true(c_named); /* rolled back with the batch */
    assert_true(nd_store_failures(s) >= 1);
    na_err_clear(&e);
    assert_int_equal(nd_store_job_finished(s, c, ND_JOB_FAILED, 2000, "lost", &e), 0);
    /* retention: a finished job older than 1 s goes with its rows */
    bool more = true;
    int64_t n = 0;
    assert_int_equal(nd_store_prune(s, 5000, 1, 0, 0, 500, &more, &n, &e), 0);
    assert_false(more);
    event_base_loop(b, EVLOOP_NONBLOCK);
    na_err_clear(&e);
    json_t *gone = nd_store_job_get(s, c, &e);
    assert_null(gone);
    assert_int_equal(e.code, NA_E_NOTFOUND);
    na_err_clear(&e);
    json_t *kept = nd_store_job_get(s, a, &e); /* not finished: kept */
    assert_non_null(kept);
    json_decref(kept);
    json_decref(req);
    json_decref(tg);
    nd_store_close(s);
    event_base_free(b);
}

static void grouped_commit_on_loop(void **st)
{
    (void)st;
    struct event_base *b = event_base_new();
    na_err e = NA_ERR_INIT;
    nd_store *s = nd_store_open(path, true, b, &e);
    json_t *req = json_object(), *tg = targets3();
    int64_t id = nd_store_job_insert(s, "playbook", "ci", req, tg, 1, &e);
    /* the insert is committed at once: another connection sees it */
    assert_int_equal(scalar("SELECT count(*) FROM jobs"), 1);
    json_t *d = json_object();
    for (int i = 1; i <= 50; i++)
        nd_store_event(s, id, i, i, "t", d, &e);
    json_decref(d);
    /* same connection sees its own pending writes; others do not, yet */
    assert_int_equal(nd_store_last_seq(s, id), 50);
    assert_int_equal(scalar("SELECT count(*) FROM events"), 0);
    event_base_loop(b, EVLOOP_NONBLOCK); /* end of this loop iteration: one commit */
    assert_int_equal(scalar("SELECT count(*) FROM events"), 50);
    /* a final state is durable at once, with the progress before it */
    d = json_object();
    nd_store_event(s, id, 51, 51, "t", d, &e);
    json_decref(d);
    nd_store_job_finished(s, id, ND_JOB_SUCCEEDED, 60, NULL, &e);
    assert_int_equal(scalar("SELECT count(*) FROM events"), 51);
    assert_int_equal(scalar("SELECT count(*) FROM jobs WHERE state='succeeded'"), 1);
    json_decref(req);
    json_decref(tg);
    nd_store_close(s);
    event_base_free(b);
}

static void backups(void **st)
{
    (void)st;
    na_err e = NA_ERR_INIT;
    nd_store *s = nd_store_open(path, true, NULL, &e);
    int64_t prev = 0, id = 0;
    char *out = NULL;
    assert_int_equal(nd_store_backup_latest(s, "sw1", "show run", &prev, &out, &e), 0);
    for (int i = 0; i < 5; i++) {
        char text[32];
        snprintf(text, sizeof text, "hostname sw1\n! gen %d\n", i);
        id = nd_store_backup_add(s, "sw1", "show run", 7, 100 + i, text, true, "-x\n+y\n", id, 3,
                                 &e);
        assert_true(id > 0);
    }
    assert_int_equal(nd_store_backup_latest(s, "sw1", "show run", &prev, &out, &e), 1);
    assert_int_equal(prev, id);
    assert_string_equal(out, "hostname sw1\n! gen 4\n");
    free(out);
    json_t *l = nd_store_backup_list(s, "sw1", &e);
    assert_int_equal(json_array_size(l), 3); /* pruned to keep = 3 */
    json_decref(l);
    json_t *b = nd_store_backup_get(s, "sw1", id, &e);
    assert_string_equal(json_string_value(json_object_get(b, "diff")), "-x\n+y\n");
    assert_int_equal(json_integer_value(json_object_get(b, "previous")), id - 1);
    json_decref(b);
    assert_null(nd_store_backup_get(s, "sw2", id, &e)); /* another host's id */
    assert_int_equal(e.code, NA_E_NOTFOUND);
    nd_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(lifecycle, setup, teardown),
        cmocka_unit_test_setup_teardown(events_replay, setup, teardown),
        cmocka_unit_test_setup_teardown(crash_recovery, setup, teardown),
        cmocka_unit_test_setup_teardown(newer_schema_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(secrets_redacted, setup, teardown),
        cmocka_unit_test_setup_teardown(grouped_commit_on_loop, setup, teardown),
        cmocka_unit_test_setup_teardown(full_store_and_retention, setup, teardown),
        cmocka_unit_test_setup_teardown(backups, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
