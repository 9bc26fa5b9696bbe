/* test_drv_faults.c — every fault the simulator can inject, met by the driver over SSH and
 * Telnet: each ends in its own error code, within its deadline (elapsed <= deadline + margin):
 *   refuse-login -> NA_E_AUTH          close-after=N  -> NA_E_CLOSED on command N+1
 *   stall-after=N -> NA_E_TIMEOUT       slow=BPS       -> NA_E_TIMEOUT with a short deadline,
 *                                                          success with an ordinary one
 *   garbage -> exactly the clean device's output
 *   huge-output -> NA_E_OVERFLOW with the default limit, success with a raised limit
 *   hostkey-change -> NA_E_HOSTKEY_CHANGED (SSH)
 *   banner-delay -> NA_E_TIMEOUT (negotiation) past the deadline, success within it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "clock.h"
#include "drvtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Slack on top of a deadline for "ended within its deadline" (sanitizers and valgrind are
 * slow; the point is that nothing waits for the default 30 s or forever). */
#define MARGIN_MS 4000
#define HUGE_BYTES 17000000 /* just over the default 16 MiB output limit */

static drvt_sim S;

static int setup(void **st)
{
    (void)st;
    const char *args[] = {"--devices", "1:ios:clean",   "--devices", "1:ios:refuse",
                          "--devices", "1:ios:close",   "--devices", "1:ios:stall",
                          "--devices", "1:ios:slow",    "--devices", "1:ios:garbage",
                          "--devices", "1:ios:huge",    "--devices", "1:ios:rekeyed",
                          "--devices", "1:ios:delay",
                          "--fault", "refuse1:refuse-login",
                          "--fault", "close1:close-after=4",
                          "--fault", "stall1:stall-after=4",
                          "--fault", "slow1:slow=4000",
                          "--fault", "garbage1:garbage",
                          "--fault", "huge1:huge-output=17000000",
                          "--fault", "rekeyed1:hostkey-change",
                          "--fault", "delay1:banner-delay=2500",
                          NULL};
    na_err e = NA_ERR_INIT;
    if (drvt_sim_start(&S, args, &e) < 0) {
        fprintf(stderr, "# simulator: %s\n", e.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    drvt_sim_stop(&S);
    return 0;
}

static void within(int64_t t0, int deadline_ms, const char *what)
{
    int64_t took = drvt_since(t0);
    if (took > deadline_ms + MARGIN_MS)
        fail_msg("%s took %lld ms, deadline %d ms", what, (long long)took, deadline_ms);
}

static na_session *open_ok(const char *dev, na_transport_kind k, na_conn_params *p,
                           const na_session_opts *o)
{
    na_err e = NA_ERR_INIT;
    na_session *s = drvt_open(&S, dev, k, p, o, &e);
    if (!s)
        fail_msg("%s over %s: %s", dev, drvt_kind(k), e.msg);
    return s;
}

static void refuse_login(void **st)
{
    na_transport_kind k = drvt_state_kind(st);
    na_conn_params p = drvt_params(&S, "refuse1", k);
    p.timeouts.auth_ms = 8000;
    na_err e = NA_ERR_INIT;
    int64_t t0 = na_now_ms();
    assert_null(drvt_open(&S, "refuse1", k, &p, NULL, &e));
    assert_int_equal(e.code, NA_E_AUTH);
    assert_non_null(strstr(e.msg, "refuse1"));
    within(t0, p.timeouts.auth_ms, "refused login");
}

static void close_after(void **st)
{
    na_transport_kind k = drvt_state_kind(st);
    na_conn_params p = drvt_params(&S, "close1", k);
    p.timeouts.command_ms = 5000;
    /* open = 2 on-open commands + enable; the 4th command is answered, the 5th never */
    na_session *s = open_ok("close1", k, &p, NULL);
    na_err e = NA_ERR_INIT;
    char *out = drvt_cmd(s, "show clock", &e);
    if (!out)
        fail_msg("first command: %s", e.msg);
    free(out);
    int64_t t0 = na_now_ms();
    assert_null(drvt_cmd(s, "show vlan brief", &e));
    assert_int_equal(e.code, NA_E_CLOSED);
    assert_non_null(strstr(e.msg, "closed"));
    within(t0, p.timeouts.command_ms, "command on a closed connection");
    assert_false(na_session_usable(s));
    na_session_free(s);
}

static void stall_after(void **st)
{
    na_transport_kind k = drvt_state_kind(st);
    na_conn_params p = drvt_params(&S, "stall1", k);
    p.timeouts.command_ms = 1500;
    na_session *s = open_ok("stall1", k, &p, NULL);
    na_err e = NA_ERR_INIT;
    char *out = drvt_cmd(s, "show clock", &e);
    if (!out)
        fail_msg("first command: %s", e.msg);
    free(out);
    int64_t t0 = na_now_ms();
    assert_null(drvt_cmd(s, "show vlan brief", &e));
    int64_t took = drvt_since(t0);
    assert_int_equal(e.code, NA_E_TIMEOUT);
    assert_non_null(strstr(e.msg, "show vlan brief"));
    assert_true(took >= p.timeouts.command_ms - 50); /* it did wait for the deadline */
    within(t0, p.timeouts.command_ms, "stalled command");
    assert_false(na_session_usable(s));
    na_session_free(s);
}

static void slow(void **st)
{
    na_transport_kind k = drvt_state_kind(st);
    na_conn_params p = drvt_params(&S, "slow1", k);
    na_session *s = open_ok("slow1", k, &p, NULL);
    /* ~3 KB at 4000 B/s: well past a 300 ms deadline */
    na_cmd_opts o = {.timeout_ms = 300};
    na_result r;
    na_err e = NA_ERR_INIT;
    int64_t t0 = na_now_ms();
    assert_int_equal(na_session_command(s, "show running-config", &o, &r, &e), -1);
    na_result_free(&r);
    assert_int_equal(e.code, NA_E_TIMEOUT);
    assert_non_null(strstr(e.msg, "last line"));
    within(t0, 300, "slow command with a short deadline");
    na_session_free(s);
    /* with an ordinary deadline the same command completes, and matches a clean device's */
    na_conn_params pc = drvt_params(&S, "clean1", k);
    na_session *c = open_ok("clean1", k, &pc, NULL);
    s = open_ok("slow1", k, &p, NULL);
    char *a = drvt_cmd(s, "show vlan brief", &e);
    if (!a)
        fail_msg("%s", e.msg);
    char *b = drvt_cmd(c, "show vlan brief", &e);
    assert_non_null(b);
    assert_string_equal(a, b);
    free(a);
    free(b);
    na_session_free(s);
    na_session_free(c);
}

/* Garbage output (junk bytes, colours, cursor codes, line erases where devices put them) is
 * normalised to exactly what a clean device prints. */
static void garbage(void **st)
{
    na_transport_kind k = drvt_state_kind(st);
    na_conn_params pg = drvt_params(&S, "garbage1", k), pc = drvt_params(&S, "clean1", k);
    na_session *g = open_ok("garbage1", k, &pg, NULL);
    na_session *c = open_ok("clean1", k, &pc, NULL);
    static const char *const cmds[] = {"show vlan brief", "show ip interface brief",
                                       "show interfaces status", "show clock | count UTC",
                                       "show running-config | include interface"};
    size_t bytes = 0;
    for (int round = 0; round < 3; round++)
        for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
            na_err e = NA_ERR_INIT;
            char *a = drvt_cmd(g, cmds[i], &e);
            if (!a)
                fail_msg("'%s' on the garbage device: %s", cmds[i], e.msg);
            char *b = drvt_cmd(c, cmds[i], &e);
            assert_non_null(b);
            if (strcmp(a, b) != 0)
                fail_msg("'%s' on the garbage device:\n%s\n--- should be ---\n%s", cmds[i], a, b);
            bytes += strlen(a);
            free(a);
            free(b);
        }
    assert_true(bytes > 5000);
    assert_string_equal(na_session_prompt(g), "garbage1#");
    na_session_free(g);
    na_session_free(c);
}

static void huge_output(void **st)
{
    na_transport_kind k = drvt_state_kind(st);
    na_conn_params p = drvt_params(&S, "huge1", k);
    p.timeouts.command_ms = 120000;
    na_session *s = open_ok("huge1", k, &p, NULL);
    na_result r;
    na_err e = NA_ERR_INIT;
    assert_int_equal(na_session_command(s, "show tech-support", NULL, &r, &e), -1);
    na_result_free(&r);
    assert_int_equal(e.code, NA_E_OVERFLOW);
    assert_non_null(strstr(e.msg, "16777216"));
    assert_false(na_session_usable(s));
    na_session_free(s);

    na_session_opts o = {.max_output = 32u << 20};
    s = open_ok("huge1", k, &p, &o);
    if (na_session_command(s, "show tech-support", NULL, &r, &e) < 0)
        fail_msg("with a raised limit: %s", e.msg);
    /* HUGE_BYTES on the wire in 80-byte lines ending in \r\n; \n alone once normalised */
    size_t lines = HUGE_BYTES / 80;
    assert_true(r.output_len >= HUGE_BYTES - lines - 100);
    assert_true(r.output_len <= HUGE_BYTES);
    na_result_free(&r);
    assert_true(na_session_usable(s));
    char *out = drvt_cmd(s, "show clock", &e);
    assert_non_null(out);
    free(out);
    na_session_free(s);
}

static void hostkey_change(void **st)
{
    (void)st;
    na_conn_params p = drvt_params(&S, "rekeyed1", NA_TRANSPORT_SSH);
    na_err e = NA_ERR_INIT;
    int64_t t0 = na_now_ms();
    assert_null(drvt_open(&S, "rekeyed1", NA_TRANSPORT_SSH, &p, NULL, &e));
    assert_int_equal(e.code, NA_E_HOSTKEY_CHANGED);
    assert_non_null(strstr(e.msg, "CHANGED"));
    /* both fingerprints: the recorded one and the presented one */
    const char *first = strstr(e.msg, "SHA256:");
    assert_non_null(first);
    const char *second = strstr(first + 7, "SHA256:");
    assert_non_null(second);
    assert_memory_not_equal(first, second, 20);
    within(t0, 10000, "host key check");
    /* Telnet has no host key: the same device still answers there */
    na_conn_params pt = drvt_params(&S, "rekeyed1", NA_TRANSPORT_TELNET);
    na_session *s = open_ok("rekeyed1", NA_TRANSPORT_TELNET, &pt, NULL);
    na_session_free(s);
}

static void banner_delay(void **st)
{
    na_transport_kind k = drvt_state_kind(st);
    na_conn_params p = drvt_params(&S, "delay1", k);
    p.timeouts.negotiate_ms = 800; /* the device says nothing for 2.5 s */
    na_err e = NA_ERR_INIT;
    int64_t t0 = na_now_ms();
    assert_null(drvt_open(&S, "delay1", k, &p, NULL, &e));
    int64_t took = drvt_since(t0);
    assert_int_equal(e.code, NA_E_TIMEOUT);
    assert_true(took >= p.timeouts.negotiate_ms - 50);
    within(t0, p.timeouts.negotiate_ms, "negotiation with a silent device");
    /* with a deadline past the delay, the login goes through */
    p.timeouts.negotiate_ms = 10000;
    t0 = na_now_ms();
    na_session *s = open_ok("delay1", k, &p, NULL);
    assert_true(drvt_since(t0) >= 2400);
    na_session_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        DRVT_BOTH(refuse_login),
        DRVT_BOTH(close_after),
        DRVT_BOTH(stall_after),
        DRVT_BOTH(slow),
        DRVT_BOTH(garbage),
        DRVT_BOTH(huge_output),
        cmocka_unit_test(hostkey_change),
        DRVT_BOTH(banner_delay),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
