/* test_daemon_lock.c — unit tests for daemon/lock.c on a real libevent loop: grants come only
 * from the loop, one holder per device ever (randomised stress with timers), FIFO per device,
 * the global in-flight cap without head-of-line blocking, withdrawing a waiting request,
 * releasing a grant before its callback ran, and the slots shared fairly between jobs and ad-hoc
 * commands. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lock.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct rec {
    nd_lockmgr *m;
    nd_lock_req *req;
    int id;
    int *order;
    int *norder;
    bool granted;
} rec;

static void on_grant(nd_lock_req *req, void *ud)
{
    rec *r = ud;
    assert_ptr_equal(req, r->req);
    r->granted = true;
    r->order[(*r->norder)++] = r->id;
}

static void run_loop(struct event_base *b)
{
    event_base_loop(b, EVLOOP_NONBLOCK);
    event_base_loop(b, EVLOOP_NONBLOCK);
}

static void grants_from_loop_and_fifo(void **st)
{
    (void)st;
    struct event_base *b = event_base_new();
    nd_lockmgr *m = nd_lockmgr_new(b, 0);
    int order[8], n = 0;
    rec r[4];
    for (int i = 0; i < 4; i++) {
        r[i] = (rec){m, NULL, i, order, &n, false};
        r[i].req = nd_lockmgr_acquire(m, "sw1", "test", 0, on_grant, &r[i]);
        assert_non_null(r[i].req);
    }
    assert_int_equal(n, 0); /* never inside acquire */
    run_loop(b);
    assert_int_equal(n, 1);
    assert_int_equal(order[0], 0);
    json_t *h = nd_lockmgr_host_json(m, "sw1");
    assert_string_equal(json_string_value(json_object_get(h, "holder")), "test");
    assert_int_equal(json_integer_value(json_object_get(h, "waiting")), 3);
    json_decref(h);
    for (int i = 0; i < 3; i++) {
        nd_lockmgr_release(m, r[i].req);
        assert_int_equal(n, i + 1); /* never inside release either */
        run_loop(b);
        assert_int_equal(n, i + 2);
        assert_int_equal(order[i + 1], i + 1); /* arrival order */
    }
    nd_lockmgr_release(m, r[3].req);
    nd_lock_stats s;
    nd_lockmgr_stats(m, &s);
    assert_int_equal(s.held, 0);
    assert_int_equal(s.waiting, 0);
    assert_int_equal(s.granted_total, 4);
    nd_lockmgr_free(m);
    event_base_free(b);
}

static void global_cap_no_hol(void **st)
{
    (void)st;
    struct event_base *b = event_base_new();
    nd_lockmgr *m = nd_lockmgr_new(b, 2);
    int order[8], n = 0;
    rec a1 = {m, NULL, 1, order, &n, false}, a2 = {m, NULL, 2, order, &n, false},
        b1 = {m, NULL, 3, order, &n, false}, c1 = {m, NULL, 4, order, &n, false};
    a1.req = nd_lockmgr_acquire(m, "a", "t", 0, on_grant, &a1);
    a2.req = nd_lockmgr_acquire(m, "a", "t", 0, on_grant, &a2);
    b1.req = nd_lockmgr_acquire(m, "b", "t", 0, on_grant, &b1);
    c1.req = nd_lockmgr_acquire(m, "c", "t", 0, on_grant, &c1);
    run_loop(b);
    /* a1 holds a; a2 waits for a; b1 is NOT blocked behind a2; c1 waits for a slot */
    assert_true(a1.granted && !a2.granted && b1.granted && !c1.granted);
    nd_lock_stats s;
    nd_lockmgr_stats(m, &s);
    assert_int_equal(s.held, 2);
    assert_int_equal(s.waiting, 2);
    /* releasing a: the earliest waiter whose device is free is a2 (arrived before c1) */
    nd_lockmgr_release(m, a1.req);
    run_loop(b);
    assert_true(a2.granted && !c1.granted);
    nd_lockmgr_release(m, b1.req);
    run_loop(b);
    assert_true(c1.granted);
    nd_lockmgr_release(m, a2.req);
    nd_lockmgr_release(m, c1.req);
    nd_lockmgr_free(m);
    event_base_free(b);
}

/* Slots shared fairly: a job over many devices keeps the last eighth free for ad-hoc commands,
 * and a freed slot goes to the flow holding the fewest. */
static void fair_between_jobs_and_commands(void **st)
{
    (void)st;
    struct event_base *b = event_base_new();
    nd_lockmgr *m = nd_lockmgr_new(b, 8); /* jobs may hold 7 */
    int order[32], n = 0;
    rec big[10], cmd = {m, NULL, 100, order, &n, false}, other = {m, NULL, 200, order, &n, false};
    char name[16];
    for (int i = 0; i < 10; i++) {
        big[i] = (rec){m, NULL, i, order, &n, false};
        snprintf(name, sizeof name, "stalled%d", i);
        big[i].req = nd_lockmgr_acquire(m, name, "job 1", 1, on_grant, &big[i]);
    }
    run_loop(b);
    int held = 0;
    for (int i = 0; i < 10; i++)
        held += big[i].granted;
    assert_int_equal(held, 7);
    cmd.req = nd_lockmgr_acquire(m, "healthy", "commands by ci", 0, on_grant, &cmd);
    other.req = nd_lockmgr_acquire(m, "other", "job 2", 2, on_grant, &other);
    run_loop(b);
    assert_true(cmd.granted);    /* at once: the slot jobs leave free */
    assert_false(other.granted); /* jobs together are at their share */
    nd_lockmgr_release(m, big[0].req);
    run_loop(b);
    assert_true(other.granted);  /* job 2 holds nothing: it gets the freed slot, not job 1 */
    assert_false(big[7].granted);
    nd_lockmgr_free(m);
    event_base_free(b);
}

static void withdraw_and_early_release(void **st)
{
    (void)st;
    struct event_base *b = event_base_new();
    nd_lockmgr *m = nd_lockmgr_new(b, 0);
    int order[8], n = 0;
    rec r1 = {m, NULL, 1, order, &n, false}, r2 = {m, NULL, 2, order, &n, false},
        r3 = {m, NULL, 3, order, &n, false};
    r1.req = nd_lockmgr_acquire(m, "x", "t", 0, on_grant, &r1);
    /* released before the loop delivered the grant: its callback never runs */
    nd_lockmgr_release(m, r1.req);
    r2.req = nd_lockmgr_acquire(m, "x", "t", 0, on_grant, &r2);
    r3.req = nd_lockmgr_acquire(m, "x", "t", 0, on_grant, &r3);
    run_loop(b);
    assert_false(r1.granted);
    assert_true(r2.granted);
    nd_lockmgr_release(m, r3.req); /* withdraw a waiter */
    nd_lockmgr_release(m, r2.req);
    run_loop(b);
    assert_false(r3.granted);
    assert_int_equal(n, 1);
    /* an outstanding request at free time is simply dropped */
    r1.req = nd_lockmgr_acquire(m, "y", "t", 0, on_grant, &r1);
    r2.req = nd_lockmgr_acquire(m, "y", "t", 0, on_grant, &r2);
    run_loop(b);
    nd_lockmgr_free(m);
    event_base_free(b);
}

/* ---- randomised stress: no device ever has two holders --------------------------------------- */

#define NHOSTS 5
#define NREQ 400
#define CAP 3

typedef struct stress {
    struct event_base *b;
    nd_lockmgr *m;
    int holders[NHOSTS];
    int in_flight, max_in_flight;
    int done;
    int violations;
    int last_grant_seq[NHOSTS];
} stress;

typedef struct sreq {
    stress *s;
    int host;
    int seq; /* arrival order per host */
    nd_lock_req *req;
    struct event *hold;
} sreq;

static void hold_over(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    sreq *r = arg;
    r->s->holders[r->host]--;
    r->s->in_flight--;
    r->s->done++;
    nd_lockmgr_release(r->s->m, r->req);
    event_free(r->hold);
}

static void s_grant(nd_lock_req *req, void *ud)
{
    (void)req;
    sreq *r = ud;
    stress *s = r->s;
    if (++s->holders[r->host] > 1)
        s->violations++;
    if (r->seq < s->last_grant_seq[r->host]) /* FIFO per device */
        s->violations++;
    s->last_grant_seq[r->host] = r->seq;
    if (++s->in_flight > s->max_in_flight)
        s->max_in_flight = s->in_flight;
    struct timeval tv = {0, (rand() % 3) * 1000};
    r->hold = event_new(s->b, -1, 0, hold_over, r);
    event_add(r->hold, &tv);
}

static void stress_no_overlap(void **st)
{
    (void)st;
    srand(12345);
    stress s;
    memset(&s, 0, sizeof s);
    s.b = event_base_new();
    s.m = nd_lockmgr_new(s.b, CAP);
    static sreq reqs[NREQ];
    int seqs[NHOSTS] = {0};
    char name[16];
    for (int i = 0; i < NREQ; i++) {
        reqs[i].s = &s;
        reqs[i].host = rand() % NHOSTS;
        reqs[i].seq = ++seqs[reqs[i].host];
        snprintf(name, sizeof name, "h%d", reqs[i].host);
        reqs[i].req = nd_lockmgr_acquire(s.m, name, "stress", 0, s_grant, &reqs[i]);
    }
    while (s.done < NREQ)
        event_base_loop(s.b, EVLOOP_ONCE);
    assert_int_equal(s.violations, 0);
    assert_true(s.max_in_flight <= CAP);
    assert_true(s.max_in_flight >= 2); /* the cap was actually used */
    nd_lock_stats ls;
    nd_lockmgr_stats(s.m, &ls);
    assert_int_equal(ls.granted_total, NREQ);
    assert_int_equal(ls.held, 0);
    nd_lockmgr_free(s.m);
    event_base_free(s.b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(grants_from_loop_and_fifo),
        cmocka_unit_test(global_cap_no_hol),
        cmocka_unit_test(withdraw_and_early_release),
        cmocka_unit_test(fair_between_jobs_and_commands),
        cmocka_unit_test(stress_no_overlap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
