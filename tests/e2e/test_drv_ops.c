/* test_drv_ops.c — the driver's operations against the simulator, each over SSH and over Telnet:
 * config mode and VLAN creation (verified with show vlan brief), a config push rejected at line
 * k, a rejected command, paging on (terminal length 24, --More-- answered) and off, prompted
 * commands (copy run start with its Destination filename, save, reload with [confirm]), a
 * pipelined push (window > 1) leaving the same device state as lockstep, the same commands over
 * both transports giving identical output, and transcripts that hold no password or secret. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "drvtest.h"
#include "secret.h"
#include "sshd.h"
#include "transcript.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static drvt_sim S;
static char dir[256];

static int setup(void **st)
{
    (void)st;
    if (na_sshd_mkdtemp("drvops", dir, sizeof dir) < 0)
        return -1;
    const char *args[] = {"--devices", "8", NULL};
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
    na_sshd_rm_rf(dir);
    return 0;
}

/* An open session on dev over k; params are kept in *p (must outlive the session). */
static na_session *open_dev(const char *dev, na_transport_kind k, na_conn_params *p,
                            const na_session_opts *o)
{
    *p = drvt_params(&S, dev, k);
    na_err e = NA_ERR_INIT;
    na_session *s = drvt_open(&S, dev, k, p, o, &e);
    if (!s)
        fail_msg("%s over %s: %s", dev, drvt_kind(k), e.msg);
    return s;
}

static char *cmd_ok(na_session *s, const char *cmd)
{
    na_err e = NA_ERR_INIT;
    char *out = drvt_cmd(s, cmd, &e);
    if (!out)
        fail_msg("'%s': %s", cmd, e.msg);
    return out;
}

static void config_ok(na_session *s, const char *const *lines, size_t n, size_t window)
{
    na_config_opts co = {.window = window};
    na_result r;
    na_err e = NA_ERR_INIT;
    if (na_session_config(s, lines, n, &co, &r, &e) < 0)
        fail_msg("config: %s", e.msg);
    assert_int_equal(r.nlines, n);
    assert_int_equal(r.failed_line, 0);
    na_result_free(&r);
}

static void config_vlans(void **st)
{
    na_transport_kind k = drvt_state_kind(st);
    na_conn_params p;
    na_session *s = open_dev("sw1", k, &p, NULL);
    char a[32], b[32], c[32];
    int base = k == NA_TRANSPORT_SSH ? 100 : 300;
    snprintf(a, sizeof a, "vlan %d", base + 1);
    snprintf(b, sizeof b, "name drv-%s", drvt_kind(k));
    snprintf(c, sizeof c, "vlan %d", base + 2);
    const char *lines[] = {a, b, c, "name second"};
    config_ok(s, lines, 4, 1);
    assert_string_equal(na_session_mode(s), "privileged"); /* back where it was */
    char *out = cmd_ok(s, "show vlan brief");
    char want[64];
    snprintf(want, sizeof want, "%d  drv-%s", base + 1, drvt_kind(k));
    assert_non_null(strstr(out, want));
    snprintf(want, sizeof want, "%d  second", base + 2);
    assert_non_null(strstr(out, want));
    free(out);
    /* explicit config mode: prompt and mode follow */
    na_err e = NA_ERR_INIT;
    assert_int_equal(na_session_enter_mode(s, "config", &e), 0);
    assert_string_equal(na_session_prompt(s), "sw1(config)#");
    assert_int_equal(na_session_enter_mode(s, "privileged", &e), 0);
    assert_string_equal(na_session_prompt(s), "sw1#");
    na_session_free(s);
}

static void config_rejected_line(void **st)
{
    na_transport_kind k = drvt_state_kind(st);
    na_conn_params p;
    na_session *s = open_dev("sw1", k, &p, NULL);
    const char *lines[] = {"vlan 120", "name fine", "vlan 5000", "vlan 121"};
    na_config_opts co = {.window = 1};
    na_result r;
    na_err e = NA_ERR_INIT;
    assert_int_equal(na_session_config(s, lines, 4, &co, &r, &e), -1);
    assert_int_equal(e.code, NA_E_DEVICE);
    assert_int_equal(r.failed_line, 3);
    assert_non_null(r.device_error);
    assert_non_null(strstr(r.device_error, "% Invalid input"));
    assert_string_equal(r.lines[2].line, "vlan 5000");
    assert_non_null(strstr(e.msg, "config line 3 'vlan 5000' failed"));
    na_result_free(&r);
    assert_true(na_session_usable(s));
    assert_string_equal(na_session_mode(s), "privileged");
    char *out = cmd_ok(s, "show vlan brief");
    assert_non_null(strstr(out, "120  fine"));
    assert_null(strstr(out, "121 ")); /* lockstep stops at the rejected line */
    free(out);
    na_session_free(s);
}

static void command_rejected(void **st)
{
    na_transport_kind k = drvt_state_kind(st);
    na_conn_params p;
    na_session *s = open_dev("sw1", k, &p, NULL);
    na_result r;
    na_err e = NA_ERR_INIT;
    assert_int_equal(na_session_command(s, "show foo", NULL, &r, &e), -1);
    assert_int_equal(e.code, NA_E_DEVICE);
    assert_non_null(r.output);
    assert_non_null(strstr(r.output, "^")); /* the caret line is kept in the output */
    assert_non_null(strstr(r.device_error, "% Invalid input detected at '^' marker."));
    na_result_free(&r);
    assert_true(na_session_usable(s));
    char *out = cmd_ok(s, "show clock");
    assert_non_null(strstr(out, "UTC"));
    free(out);
    na_session_free(s);
}

static void paging_on_and_off(void **st)
{
    na_transport_kind k = drvt_state_kind(st);
    na_conn_params p1, p2;
    na_session_opts paged = {.skip_on_open = true}; /* terminal length stays 24 */
    na_session *s1 = open_dev("sw2", k, &p1, &paged);
    char *a = cmd_ok(s1, "show running-config");
    na_session_stats st1;
    na_session_stats_get(s1, &st1);
    na_session *s2 = open_dev("sw2", k, &p2, NULL); /* on_open: terminal length 0 */
    char *b = cmd_ok(s2, "show running-config");
    na_session_stats st2;
    na_session_stats_get(s2, &st2);
    assert_true(st1.pages >= 3); /* > 72 lines at 23 a page */
    assert_int_equal(st2.pages, 0);
    assert_null(strstr(a, "More"));
    assert_true(strlen(a) > 1500);
    assert_string_equal(a, b); /* the pager left no trace */
    free(a);
    free(b);
    na_session_free(s1);
    na_session_free(s2);
}

static void prompted_commands(void **st)
{
    na_transport_kind k = drvt_state_kind(st);
    const char *dev = k == NA_TRANSPORT_SSH ? "sw3" : "sw4";
    na_conn_params p;
    na_session *s = open_dev(dev, k, &p, NULL);
    const char *keep[] = {"vlan 130", "name saved"};
    config_ok(s, keep, 2, 1);
    /* copy run start asks "Destination filename [startup-config]?" (a platform answer) */
    char *out = cmd_ok(s, "copy running-config startup-config");
    assert_non_null(strstr(out, "[OK]"));
    free(out);
    out = cmd_ok(s, "show startup-config");
    assert_non_null(strstr(out, "name saved"));
    free(out);
    /* save() does the same through the platform's save section */
    const char *lost[] = {"vlan 131", "name unsaved"};
    config_ok(s, lost, 2, 1);
    na_result r;
    na_err e = NA_ERR_INIT;
    if (na_session_save(s, &r, &e) < 0)
        fail_msg("save: %s", e.msg);
    na_result_free(&r);
    const char *later[] = {"vlan 132", "name after-save"};
    config_ok(s, later, 2, 1);
    /* reload asks "Proceed with reload? [confirm]"; the device then closes the session */
    assert_int_equal(na_session_command(s, "reload", NULL, &r, &e), -1);
    assert_int_equal(e.code, NA_E_CLOSED);
    na_result_free(&r);
    assert_false(na_session_usable(s));
    na_session_free(s);
    /* the running config came back from the startup config */
    s = open_dev(dev, k, &p, NULL);
    out = cmd_ok(s, "show vlan brief");
    assert_non_null(strstr(out, "130  saved"));
    assert_non_null(strstr(out, "131  unsaved"));
    assert_null(strstr(out, "after-save"));
    free(out);
    na_session_free(s);
}

static void pipelined_same_state(void **st)
{
    na_transport_kind k = drvt_state_kind(st);
    const char *dev_a = k == NA_TRANSPORT_SSH ? "sw5" : "sw7";
    const char *dev_b = k == NA_TRANSPORT_SSH ? "sw6" : "sw8";
    enum { NV = 30 };
    char bufs[2 * NV][48];
    const char *lines[2 * NV + 2];
    for (int i = 0; i < NV; i++) {
        snprintf(bufs[2 * i], sizeof bufs[0], "vlan %d", 400 + i);
        snprintf(bufs[2 * i + 1], sizeof bufs[0], "name pipe-%d", i);
        lines[2 * i] = bufs[2 * i];
        lines[2 * i + 1] = bufs[2 * i + 1];
    }
    lines[2 * NV] = "interface GigabitEthernet0/5";
    lines[2 * NV + 1] = "switchport access vlan 410";
    na_conn_params pa, pb;
    na_session *a = open_dev(dev_a, k, &pa, NULL);
    na_session *b = open_dev(dev_b, k, &pb, NULL);
    config_ok(a, lines, 2 * NV + 2, 1);
    config_ok(b, lines, 2 * NV + 2, 8);
    char *va = cmd_ok(a, "show vlan brief"), *vb = cmd_ok(b, "show vlan brief");
    assert_string_equal(va, vb);
    assert_non_null(strstr(va, "429  pipe-29"));
    assert_non_null(strstr(va, "Gi0/5"));
    free(va);
    free(vb);
    char *ra = cmd_ok(a, "show running-config | begin vlan"),
         *rb = cmd_ok(b, "show running-config | begin vlan");
    assert_string_equal(ra, rb);
    free(ra);
    free(rb);
    /* a rejected line in a pipelined push is still reported on its own line */
    const char *bad[] = {"vlan 450", "vlan 5000", "vlan 451", "vlan 452"};
    na_config_opts co = {.window = 4};
    na_result r;
    na_err e = NA_ERR_INIT;
    assert_int_equal(na_session_config(b, bad, 4, &co, &r, &e), -1);
    assert_int_equal(e.code, NA_E_DEVICE);
    assert_int_equal(r.failed_line, 2);
    assert_non_null(strstr(r.device_error, "% Invalid input"));
    for (size_t i = 2; i < r.nlines; i++)
        assert_true(r.lines[i].after_error);
    na_result_free(&r);
    assert_true(na_session_usable(b));
    na_session_free(a);
    na_session_free(b);
}

static void same_output_both_transports(void **st)
{
    (void)st;
    static const char *const cmds[] = {"show vlan brief", "show running-config",
                                       "show ip interface brief", "show interfaces status",
                                       "show version | include IOS"};
    na_conn_params ps, pt;
    na_session *s = open_dev("sw1", NA_TRANSPORT_SSH, &ps, NULL);
    na_session *t = open_dev("sw1", NA_TRANSPORT_TELNET, &pt, NULL);
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
        char *a = cmd_ok(s, cmds[i]), *b = cmd_ok(t, cmds[i]);
        if (strcmp(a, b))
            fail_msg("'%s' differs:\n--- ssh\n%s\n--- telnet\n%s", cmds[i], a, b);
        assert_true(strlen(a) > 20);
        free(a);
        free(b);
    }
    na_session_free(s);
    na_session_free(t);
}

static void transcript_has_no_secrets(void **st)
{
    na_transport_kind k = drvt_state_kind(st);
    char path[320];
    snprintf(path, sizeof path, "%s/tr-%s", dir, drvt_kind(k));
    na_err e = NA_ERR_INIT;
    na_transcript *tr = na_transcript_open(path, "sw1", &e);
    assert_non_null(tr);
    na_conn_params p;
    na_session_opts o = {.transcript = tr};
    na_session *s = open_dev("sw1", k, &p, &o);
    char *out = cmd_ok(s, "show running-config");
    free(out);
    na_session_free(s);
    assert_int_equal(na_transcript_close(tr, &e), 0);
    size_t n;
    char *text = drvt_slurp(path, &n);
    assert_non_null(text);
    const na_inv_host *h = drvt_host(&S, "sw1");
    assert_non_null(h->password);
    assert_non_null(h->secret);
    assert_null(strstr(text, h->password));
    assert_null(strstr(text, h->secret));
    assert_non_null(strstr(text, "> secret")); /* the enable secret was typed, unrecorded */
    assert_non_null(strstr(text, "show running-config"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        DRVT_BOTH(config_vlans),
        DRVT_BOTH(config_rejected_line),
        DRVT_BOTH(command_rejected),
        DRVT_BOTH(paging_on_and_off),
        DRVT_BOTH(prompted_commands),
        DRVT_BOTH(pipelined_same_state),
        cmocka_unit_test(same_output_both_transports),
        DRVT_BOTH(transcript_has_no_secrets),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
