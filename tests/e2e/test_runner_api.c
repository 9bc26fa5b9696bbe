/* test_runner_api.c — the runner as the daemon uses it (playbooks/runner.h with daemon/backend.h
 * in mind), against the simulator: on an external event_base; no hook inside na_runner_start /
 * na_runner_cancel; per host host_started, task_result*, host_finished, then run_finished last;
 * an asynchronous acquire hook (grants from a timer, a "lock manager" of two) paces the hosts,
 * and release comes exactly once per acquire; cancel from inside a hook stops the run (hosts not
 * started get no events, waiting ones are released); na_runner_free inside run_finished; freeing
 * a running runner releases its locks and closes its sessions without any other hook; a
 * prepared runner that never runs is just freed; command and login metrics hooks; the
 * write-ahead record hooks: every command is announced before it is sent and nothing reaches the
 * device (the simulator's command count) until the record is durable; a record that cannot be
 * kept fails the task with nothing sent (the simulator's log). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "clock.h"
#include "runner.h"
#include "simproc.h"

#include <stdio.h>
#include <string.h>

#define NDEV 6

static simproc SP;

static int setup(void **st)
{
    (void)st;
    na_err e = NA_ERR_INIT;
    const char *args[] = {"--devices", "6", "--fault", "sw6:refuse-login", NULL};
    if (simproc_start(&SP, args, 15000, &e) < 0) {
        fprintf(stderr, "# %s\n", e.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    return simproc_stop(&SP) == 0 ? 0 : -1;
}

/* ---- a recording daemon stand-in ---------------------------------------------------------- */

#define MAXEV 256
typedef struct lockreq {
    char host[32];
    na_run_grant_fn grant;
    void *gud;
    bool granted, released;
} lockreq;

typedef struct rec {
    struct event_base *base;
    na_runner *r;
    bool in_call;                  /* inside na_runner_start / na_runner_cancel */
    int hook_in_call;              /* hooks that ran inside such a call (must stay 0) */
    char ev[MAXEV][48];            /* "S sw1", "T sw1", "F sw1", "END" */
    int nev;
    int finished;
    na_code end_code;
    json_t *end_results;
    /* lock manager */
    bool use_locks;
    unsigned lock_cap, held, max_held;
    lockreq locks[32];
    int nlocks;
    struct event *grant_timer;
    /* behaviour */
    int cancel_after_finished;     /* cancel inside the Nth host_finished (0 = never) */
    bool free_in_finish;
    int commands_ok, commands_failed, logins_failed;
    /* write-ahead record */
    bool use_record;
    const char *refuse;            /* the record of this line cannot be kept */
    char recs[16][64];             /* "command:show version" */
    int nrec;
    int answered_done;             /* record_answered(done) calls, ok ones */
    int sent_while_waiting;        /* commands the device got while a record was not durable */
    long count_at_record;
    na_run_durable_fn durable;
    void *dud;
    struct event *durable_timer;
} rec;

static void add_ev(rec *c, const char *kind, const char *host)
{
    if (c->in_call)
        c->hook_in_call++;
    if (c->nev < MAXEV)
        snprintf(c->ev[c->nev++], sizeof c->ev[0], "%s %s", kind, host ? host : "");
}

static void grant_some(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    rec *c = arg;
    for (int i = 0; i < c->nlocks && c->held < c->lock_cap; i++) {
        lockreq *l = &c->locks[i];
        if (!l->granted && !l->released) {
            l->granted = true;
            c->held++;
            if (c->held > c->max_held)
                c->max_held = c->held;
            l->grant(l->gud); /* from the loop, never inside acquire */
        }
    }
}

static void schedule_grants(rec *c)
{
    struct timeval tv = {0, 20000};
    evtimer_add(c->grant_timer, &tv);
}

static void *h_acquire(void *ud, const char *host, na_run_grant_fn grant, void *gud)
{
    rec *c = ud;
    if (c->in_call)
        c->hook_in_call++;
    assert_true(c->nlocks < 32);
    lockreq *l = &c->locks[c->nlocks++];
    snprintf(l->host, sizeof l->host, "%s", host);
    l->grant = grant;
    l->gud = gud;
    schedule_grants(c);
    return l;
}

static void h_release(void *ud, void *handle)
{
    rec *c = ud;
    lockreq *l = handle;
    assert_false(l->released); /* exactly once */
    l->released = true;
    if (l->granted)
        c->held--;
    schedule_grants(c);
}

static void h_started(void *ud, const char *host) { add_ev(ud, "S", host); }

static void h_task(void *ud, const char *host, json_t *task)
{
    assert_non_null(json_object_get(task, "name"));
    add_ev(ud, "T", host);
}

static void h_finished(void *ud, const char *host, json_t *result)
{
    rec *c = ud;
    assert_non_null(json_object_get(result, "status"));
    add_ev(c, "F", host);
    c->finished++;
    if (c->cancel_after_finished && c->finished == c->cancel_after_finished) {
        c->in_call = true;
        na_runner_cancel(c->r);
        na_runner_cancel(c->r); /* twice is fine */
        c->in_call = false;
    }
}

static void h_run_finished(void *ud, json_t *results, const na_err *err)
{
    rec *c = ud;
    add_ev(c, "END", NULL);
    c->end_code = err ? err->code : NA_E_NONE;
    c->end_results = json_deep_copy(results);
    if (c->free_in_finish) {
        na_runner_free(c->r);
        c->r = NULL;
    }
}

static void h_command(void *ud, const char *host, int64_t ms, bool ok)
{
    (void)host;
    rec *c = ud;
    assert_true(ms >= 0);
    if (ok)
        c->commands_ok++;
    else
        c->commands_failed++;
}

static void h_login_failed(void *ud, const char *host)
{
    rec *c = ud;
    assert_string_equal(host, "sw6");
    c->logins_failed++;
}

static long sim_commands(const char *dev)
{
    json_t *st = NULL;
    na_err e = NA_ERR_INIT;
    if (simproc_stats(&SP, 5000, &st, &e) < 0)
        fail_msg("stats: %s", e.msg);
    long n = simproc_counter(st, dev, "commands");
    json_decref(st);
    return n;
}

/* The record "becomes durable" 50 ms later; first: did anything reach the device meanwhile? */
static void make_durable(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    rec *c = arg;
    if (sim_commands("sw1") != c->count_at_record)
        c->sent_while_waiting++;
    na_run_durable_fn d = c->durable;
    c->durable = NULL;
    d(c->dud, NULL);
}

static int h_record(void *ud, const char *host, const char *kind, const char *const *lines,
                    size_t n, na_run_durable_fn durable, void *dud, void **wait, na_err *err)
{
    rec *c = ud;
    assert_int_equal(c->hook_in_call, 0);
    assert_true(n >= 1 && c->nrec < 16);
    snprintf(c->recs[c->nrec++], 64, "%s:%s", kind, lines[0]);
    if (c->refuse && !strcmp(lines[0], c->refuse))
        return na_err_set(err, NA_E_IO, "disk full");
    assert_null(c->durable); /* one host: one operation at a time */
    c->count_at_record = sim_commands(host);
    c->durable = durable;
    c->dud = dud;
    *wait = c;
    struct timeval tv = {0, 50 * 1000};
    evtimer_add(c->durable_timer, &tv);
    return 0;
}

static void h_record_drop(void *ud, void *wait)
{
    rec *c = ud;
    assert_ptr_equal(wait, c);
    evtimer_del(c->durable_timer);
    c->durable = NULL;
}

static void h_answered(void *ud, const char *host, size_t answered, bool done, bool ok)
{
    (void)host;
    rec *c = ud;
    if (done && ok && answered == 1)
        c->answered_done++;
}

static const char PB[] = "- hosts: all\n"
                         "  tasks:\n"
                         "    - name: one\n"
                         "      command: show version\n"
                         "    - name: two\n"
                         "      command: [show clock, show privilege]\n";

typedef struct job {
    na_inventory *inv;
    na_playbook *pb;
} job;

static na_runner *prepare(rec *c, job *j, const char *limit)
{
    na_err e = NA_ERR_INIT;
    memset(j, 0, sizeof *j);
    j->inv = na_inv_load(SP.inventory_path, NULL, &e);
    if (!j->inv)
        fail_msg("inventory: %s", e.msg);
    j->pb = na_pb_load_mem("api.yaml", PB, strlen(PB), NULL, &e);
    if (!j->pb)
        fail_msg("playbook: %s", e.msg);
    c->base = event_base_new();
    c->grant_timer = evtimer_new(c->base, grant_some, c);
    na_run_opts o = NA_RUN_OPTS_INIT;
    o.base = c->base;
    o.limit = limit;
    o.forks = c->use_locks ? 0 : 2;
    o.owner = "job 1";
    o.hooks = (na_run_hooks){
        .ud = c,
        .acquire = c->use_locks ? h_acquire : NULL,
        .release = c->use_locks ? h_release : NULL,
        .host_started = h_started,
        .task_result = h_task,
        .host_finished = h_finished,
        .run_finished = h_run_finished,
        .command_observed = h_command,
        .login_failed = h_login_failed,
        .record = c->use_record ? h_record : NULL,
        .record_drop = c->use_record ? h_record_drop : NULL,
        .record_answered = c->use_record ? h_answered : NULL,
    };
    c->durable_timer = evtimer_new(c->base, make_durable, c);
    c->r = na_runner_new(j->inv, j->pb, &o, &e);
    if (!c->r)
        fail_msg("prepare: %s", e.msg);
    return c->r;
}

static void start(rec *c)
{
    na_err e = NA_ERR_INIT;
    c->in_call = true;
    int rc = na_runner_start(c->r, &e);
    c->in_call = false;
    if (rc < 0)
        fail_msg("start: %s", e.msg);
    assert_int_equal(c->nev, 0); /* nothing happened inside start */
}

static void loop_until_end(rec *c)
{
    int64_t deadline = na_now_ms() + 30000;
    while (!c->end_results && na_now_ms() < deadline)
        event_base_loop(c->base, EVLOOP_ONCE);
    assert_non_null(c->end_results);
}

static void cleanup(rec *c, job *j)
{
    na_runner_free(c->r);
    if (c->grant_timer)
        event_free(c->grant_timer);
    if (c->durable_timer)
        event_free(c->durable_timer);
    event_base_free(c->base);
    json_decref(c->end_results);
    na_pb_free(j->pb);
    na_inv_free(j->inv);
}

/* index of the event, -1 if absent */
static int find_ev(const rec *c, const char *what)
{
    for (int i = 0; i < c->nev; i++)
        if (!strcmp(c->ev[i], what))
            return i;
    return -1;
}

static void check_order(const rec *c, const char *host, int ntasks)
{
    char s[48], f[48];
    snprintf(s, sizeof s, "S %s", host);
    snprintf(f, sizeof f, "F %s", host);
    int is = find_ev(c, s), iF = find_ev(c, f), nt = 0;
    assert_true(is >= 0 && iF > is);
    for (int i = 0; i < c->nev; i++) {
        char t[48];
        snprintf(t, sizeof t, "T %s", host);
        if (!strcmp(c->ev[i], t)) {
            assert_true(i > is && i < iF);
            nt++;
        }
    }
    assert_int_equal(nt, ntasks);
}

/* ---- tests ----------------------------------------------------------------------------------- */

static void events_in_order_on_external_loop(void **st)
{
    (void)st;
    rec c = {0};
    job j;
    prepare(&c, &j, NULL);
    json_t *targets = na_runner_targets(c.r);
    assert_int_equal(json_array_size(targets), NDEV);
    json_decref(targets);
    start(&c);
    loop_until_end(&c);
    for (int i = 1; i < NDEV; i++) {
        char h[8];
        snprintf(h, sizeof h, "sw%d", i);
        check_order(&c, h, 2);
    }
    check_order(&c, "sw6", 0); /* login refused: started and finished, no task */
    assert_string_equal(c.ev[c.nev - 1], "END ");
    assert_int_equal(c.hook_in_call, 0);
    assert_int_equal(c.end_code, NA_E_NONE);
    assert_true(na_runner_done(c.r));
    assert_int_equal(na_runner_exit_status(c.r), 1);
    json_t *sum = json_object_get(c.end_results, "summary");
    assert_int_equal(json_integer_value(json_object_get(sum, "ok")), 5);
    assert_int_equal(json_integer_value(json_object_get(sum, "failed")), 1);
    assert_int_equal(c.commands_ok, 5 * 3); /* show version, show clock, show privilege */
    assert_int_equal(c.commands_failed, 0);
    assert_int_equal(c.logins_failed, 1);
    na_run_progress p;
    na_runner_progress(c.r, &p);
    assert_int_equal(p.total, NDEV);
    assert_int_equal(p.ok + p.failed, NDEV);
    assert_int_equal(p.running + p.queued + p.waiting, 0);
    cleanup(&c, &j);
}

static void async_acquire_paces_hosts(void **st)
{
    (void)st;
    rec c = {.use_locks = true, .lock_cap = 2};
    job j;
    prepare(&c, &j, "sw1:sw2:sw3:sw4:sw5");
    start(&c);
    assert_int_equal(c.nlocks, 0); /* the acquire hook is not called inside start either */
    loop_until_end(&c);
    assert_int_equal(c.nlocks, 5);
    for (int i = 0; i < c.nlocks; i++)
        assert_true(c.locks[i].granted && c.locks[i].released);
    assert_int_equal(c.max_held, 2);
    assert_int_equal(c.held, 0);
    assert_int_equal(c.hook_in_call, 0);
    assert_int_equal(na_runner_exit_status(c.r), 0);
    cleanup(&c, &j);
}

static void cancel_inside_a_hook(void **st)
{
    (void)st;
    rec c = {.use_locks = true, .lock_cap = 1, .cancel_after_finished = 1};
    job j;
    prepare(&c, &j, "sw1:sw2:sw3:sw4");
    start(&c);
    loop_until_end(&c);
    assert_int_equal(c.hook_in_call, 0); /* cancel ran no hook synchronously */
    assert_int_equal(c.end_code, NA_E_CANCELLED);
    assert_string_equal(c.ev[c.nev - 1], "END ");
    /* one host ran; the rest never started: no events for them */
    assert_int_equal(find_ev(&c, "S sw2") >= 0 ? 1 : 0, 0);
    for (int i = 0; i < c.nlocks; i++)
        assert_true(c.locks[i].released);
    json_t *hosts = json_object_get(c.end_results, "hosts");
    assert_int_equal(json_object_size(hosts), 4);
    assert_string_equal(json_string_value(json_object_get(json_object_get(hosts, "sw1"),
                                                          "status")), "ok");
    for (int i = 2; i <= 4; i++) {
        char h[8];
        snprintf(h, sizeof h, "sw%d", i);
        json_t *hj = json_object_get(hosts, h);
        assert_string_equal(json_string_value(json_object_get(hj, "status")), "cancelled");
        assert_string_equal(json_string_value(json_object_get(json_object_get(hj, "error"),
                                                              "code")), "cancelled");
    }
    na_err e = NA_ERR_INIT;
    assert_int_equal(na_runner_start(c.r, &e), -1); /* a runner runs once */
    cleanup(&c, &j);
}

static void free_inside_run_finished(void **st)
{
    (void)st;
    rec c = {.free_in_finish = true};
    job j;
    prepare(&c, &j, "sw1");
    start(&c);
    loop_until_end(&c);
    assert_null(c.r); /* freed in the hook; ASan/valgrind see any use after it */
    assert_int_equal(event_base_get_num_events(c.base, EVENT_BASE_COUNT_ADDED), 0);
    cleanup(&c, &j);
}

static void free_while_running(void **st)
{
    (void)st;
    rec c = {.use_locks = true, .lock_cap = 3};
    job j;
    prepare(&c, &j, "sw1:sw2:sw3:sw4:sw5");
    start(&c);
    int64_t deadline = na_now_ms() + 10000;
    while (find_ev(&c, "S sw3") < 0 && na_now_ms() < deadline)
        event_base_loop(c.base, EVLOOP_ONCE);
    assert_true(find_ev(&c, "S sw3") >= 0);
    int nev = c.nev;
    na_runner_free(c.r); /* the daemon's destroy(): no hook but release */
    c.r = NULL;
    assert_int_equal(c.nev, nev);
    for (int i = 0; i < c.nlocks; i++)
        assert_true(c.locks[i].released);
    event_del(c.grant_timer);
    assert_int_equal(event_base_get_num_events(c.base, EVENT_BASE_COUNT_ADDED), 0);
    /* the sessions it had open are closed: the devices see nobody logged in */
    na_err e = NA_ERR_INIT;
    json_t *stats = NULL;
    long open = 1;
    for (int tries = 0; tries < 50 && open; tries++) {
        json_decref(stats);
        if (simproc_stats(&SP, 5000, &stats, &e) < 0)
            fail_msg("%s", e.msg);
        open = 0;
        for (int i = 1; i <= 5; i++) {
            char h[8];
            snprintf(h, sizeof h, "sw%d", i);
            open += simproc_counter(stats, h, "sessions_open");
        }
    }
    json_decref(stats);
    assert_int_equal(open, 0);
    cleanup(&c, &j);
}

static void cancel_before_start(void **st)
{
    (void)st;
    rec c = {.use_locks = true, .lock_cap = 1};
    job j;
    prepare(&c, &j, "sw1:sw2");
    c.in_call = true;
    na_runner_cancel(c.r);
    c.in_call = false;
    start(&c);
    loop_until_end(&c);
    assert_int_equal(c.nev, 1); /* only END: no host started */
    assert_int_equal(c.end_code, NA_E_CANCELLED);
    assert_int_equal(c.nlocks, 0);
    json_t *sum = json_object_get(c.end_results, "summary");
    assert_int_equal(json_integer_value(json_object_get(sum, "cancelled")), 2);
    cleanup(&c, &j);
}

static void prepared_never_run(void **st)
{
    (void)st;
    rec c = {.use_locks = true, .lock_cap = 1};
    job j;
    prepare(&c, &j, "sw2");
    assert_int_equal(na_runner_host_count(c.r), 1);
    assert_string_equal(na_runner_host(c.r, 0)->name, "sw2");
    na_runner_free(c.r); /* job_discard */
    c.r = NULL;
    assert_int_equal(c.nev + c.nlocks, 0);
    cleanup(&c, &j);
}

static void record_before_sending(void **st)
{
    (void)st;
    rec c = {.use_record = true};
    job j;
    prepare(&c, &j, "sw1");
    start(&c);
    loop_until_end(&c);
    assert_int_equal(c.nrec, 3);
    assert_string_equal(c.recs[0], "command:show version");
    assert_string_equal(c.recs[1], "command:show clock");
    assert_string_equal(c.recs[2], "command:show privilege");
    assert_int_equal(c.sent_while_waiting, 0); /* nothing reached the device before "durable" */
    assert_int_equal(c.answered_done, 3);
    json_t *h = json_object_get(json_object_get(c.end_results, "hosts"), "sw1");
    assert_true(json_is_true(json_object_get(h, "ok")));
    cleanup(&c, &j);
}

static void record_refused_sends_nothing(void **st)
{
    (void)st;
    rec c = {.use_record = true, .refuse = "show clock"};
    job j;
    FILE *f = fopen(SP.log_path, "r"); /* the log of this test only: from its end now */
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    prepare(&c, &j, "sw1");
    start(&c);
    loop_until_end(&c);
    json_t *h = json_object_get(json_object_get(c.end_results, "hosts"), "sw1");
    assert_false(json_is_true(json_object_get(h, "ok")));
    const char *msg = json_string_value(json_object_get(json_object_get(h, "error"), "message"));
    if (!msg)
        msg = json_string_value(json_object_get(h, "error"));
    assert_non_null(msg);
    assert_non_null(strstr(msg, "nothing was sent"));
    assert_int_equal(c.nrec, 2); /* show version, then show clock refused: no show privilege */
    /* the simulator's log: show version reached sw1, show clock never did */
    char line[1024];
    int version = 0, clock = 0;
    while (fgets(line, sizeof line, f)) {
        if (strstr(line, " sw1 ") && strstr(line, " command show version"))
            version++;
        if (strstr(line, " sw1 ") && strstr(line, " command show clock"))
            clock++;
    }
    fclose(f);
    assert_true(version >= 1);
    assert_int_equal(clock, 0);
    cleanup(&c, &j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(events_in_order_on_external_loop),
        cmocka_unit_test(async_acquire_paces_hosts),
        cmocka_unit_test(cancel_inside_a_hook),
        cmocka_unit_test(free_inside_run_finished),
        cmocka_unit_test(free_while_running),
        cmocka_unit_test(cancel_before_start),
        cmocka_unit_test(prepared_never_run),
        cmocka_unit_test(record_before_sending),
        cmocka_unit_test(record_refused_sends_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
