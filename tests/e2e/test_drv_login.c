/* test_drv_login.c — the driver (session.h) logging in to the simulator over real SSH and Telnet:
 * SSH password, public key without and with passphrase, ssh-agent; Telnet username + password;
 * a wrong password on both; enable with the secret and with a wrong secret on both; the NX-OS
 * and EOS personalities on their platforms. (SSH keyboard-interactive: the simulator offers it
 * next to password, and the transport prefers password; test_ssh_auth.c covers it against an
 * OpenSSH server that offers nothing else.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "clock.h"
#include "drvtest.h"
#include "secret.h"
#include "sshd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static drvt_sim S;
static na_sshd_agent A;
static char dir[256], key[320], key_pw[320], key_agent[320], authkeys[320];
#define SSH NA_TRANSPORT_SSH
#define TELNET NA_TRANSPORT_TELNET

#define KEY_PASSPHRASE "drv-test passphrase 9"

static int setup(void **st)
{
    (void)st;
    if (na_sshd_mkdtemp("drvlogin", dir, sizeof dir) < 0)
        return -1;
    snprintf(key, sizeof key, "%s/id_plain", dir);
    snprintf(key_pw, sizeof key_pw, "%s/id_pass", dir);
    snprintf(key_agent, sizeof key_agent, "%s/id_agent", dir);
    snprintf(authkeys, sizeof authkeys, "%s/authorized_keys", dir);
    if (na_sshd_keygen(key, "ed25519", NULL) < 0 ||
        na_sshd_keygen(key_pw, "ed25519", KEY_PASSPHRASE) < 0 ||
        na_sshd_keygen(key_agent, "ed25519", NULL) < 0)
        return -1;
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "cat '%s.pub' '%s.pub' '%s.pub' > '%s'", key, key_pw, key_agent,
             authkeys);
    if (system(cmd) != 0)
        return -1;
    const char *args[] = {"--devices", "1", "--devices", "1:nxos", "--devices", "1:eos",
                          "--authorized-keys", authkeys, NULL};
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
    na_sshd_agent_stop(&A);
    na_sshd_rm_rf(dir);
    return 0;
}

static void expect_open(na_session *s, const na_err *e)
{
    if (!s)
        fail_msg("open failed: %s", e->msg);
}

static void ssh_password(void **st)
{
    (void)st;
    na_conn_params p = drvt_params(&S, "sw1", SSH);
    na_err e = NA_ERR_INIT;
    na_session *s = drvt_open(&S, "sw1", SSH, &p, NULL, &e);
    expect_open(s, &e);
    na_transport *t = na_session_transport(s);
    assert_string_equal(t->info.auth_method, "password");
    assert_false(t->info.cleartext_password);
    assert_string_equal(na_session_mode(s), "privileged"); /* enable done with the secret */
    assert_string_equal(na_session_prompt(s), "sw1#");
    char *out = drvt_cmd(s, "show privilege", &e);
    if (!out)
        fail_msg("%s", e.msg);
    assert_non_null(strstr(out, "15"));
    free(out);
    na_session_free(s);
}

static void open_with_key(const char *keyfile, const char *passphrase, bool agent,
                          const char *want_method)
{
    na_conn_params p = drvt_params(&S, "sw1", SSH);
    p.password = NULL; /* only the key (or the agent) can log in */
    p.key_file = keyfile;
    p.key_passphrase = passphrase;
    p.use_agent = agent;
    na_err e = NA_ERR_INIT;
    na_session *s = drvt_open(&S, "sw1", SSH, &p, NULL, &e);
    expect_open(s, &e);
    assert_string_equal(na_session_transport(s)->info.auth_method, want_method);
    assert_string_equal(na_session_mode(s), "privileged");
    na_session_free(s);
}

static void ssh_key_without_passphrase(void **st)
{
    (void)st;
    open_with_key(key, NULL, false, "publickey");
}

static void ssh_key_with_passphrase(void **st)
{
    (void)st;
    open_with_key(key_pw, KEY_PASSPHRASE, false, "publickey");
    /* the wrong passphrase: the key cannot be used, and nothing else is offered */
    na_conn_params p = drvt_params(&S, "sw1", SSH);
    p.password = NULL;
    p.key_file = key_pw;
    p.key_passphrase = "not the passphrase";
    na_err e = NA_ERR_INIT;
    assert_null(drvt_open(&S, "sw1", SSH, &p, NULL, &e));
    assert_int_equal(e.code, NA_E_AUTH);
}

static void ssh_agent(void **st)
{
    (void)st;
    if (na_sshd_agent_start(&A, dir) < 0 || na_sshd_agent_add(&A, key_agent) < 0)
        fail_msg("cannot start ssh-agent");
    setenv("SSH_AUTH_SOCK", A.sock, 1);
    open_with_key(NULL, NULL, true, "agent");
    unsetenv("SSH_AUTH_SOCK");
    na_sshd_agent_stop(&A);
}

static void telnet_login(void **st)
{
    (void)st;
    na_conn_params p = drvt_params(&S, "sw1", TELNET);
    na_err e = NA_ERR_INIT;
    na_session *s = drvt_open(&S, "sw1", TELNET, &p, NULL, &e);
    expect_open(s, &e);
    na_transport *t = na_session_transport(s);
    assert_string_equal(t->info.auth_method, "telnet-login");
    assert_true(t->info.cleartext_password);
    assert_non_null(strstr(t->info.telnet_options, "ECHO"));
    assert_string_equal(na_session_mode(s), "privileged");
    na_session_free(s);
}

static void wrong_password(void **st)
{
    na_transport_kind k = drvt_state_kind(st);
    na_conn_params p = drvt_params(&S, "sw1", k);
    p.password = "not-the-password";
    na_secret_register(p.password);
    na_err e = NA_ERR_INIT;
    int64_t t0 = na_now_ms();
    assert_null(drvt_open(&S, "sw1", k, &p, NULL, &e));
    assert_int_equal(e.code, NA_E_AUTH);
    assert_null(strstr(e.msg, "not-the-password"));
    assert_true(drvt_since(t0) <= 15000 + 5000); /* auth deadline + margin */
}

static void enable_secret(void **st)
{
    na_transport_kind k = drvt_state_kind(st);
    na_conn_params p = drvt_params(&S, "sw1", k);
    na_err e = NA_ERR_INIT;
    /* open without going to the default mode: land in exec, then enable by hand */
    na_session *s = drvt_session(&S, "sw1", k, &p, NULL, &e);
    expect_open(s, &e);
    assert_int_equal(na_session_open(s, &e), 0);
    assert_int_equal(na_session_enter_mode(s, "exec", &e), 0);
    assert_string_equal(na_session_prompt(s), "sw1>");
    if (na_session_enter_mode(s, "privileged", &e) < 0)
        fail_msg("%s", e.msg);
    assert_string_equal(na_session_prompt(s), "sw1#");
    na_session_free(s);
}

static void enable_wrong_secret(void **st)
{
    na_transport_kind k = drvt_state_kind(st);
    na_conn_params p = drvt_params(&S, "sw1", k);
    na_session_opts o = {.secret = "wrong-enable-secret"};
    na_err e = NA_ERR_INIT;
    int64_t t0 = na_now_ms();
    na_session *s = drvt_open(&S, "sw1", k, &p, &o, &e);
    assert_null(s);
    assert_int_equal(e.code, NA_E_AUTH);
    assert_null(strstr(e.msg, "wrong-enable-secret"));
    assert_true(drvt_since(t0) <= 30000 + 5000);
    assert_non_null(strstr(e.msg, "secret"));
    print_message("# %s\n", e.msg);
}

static void personalities(void **st)
{
    na_transport_kind k = drvt_state_kind(st);
    static const char *const devs[] = {"nx1", "eos1"};
    for (size_t i = 0; i < 2; i++) {
        na_conn_params p = drvt_params(&S, devs[i], k);
        na_err e = NA_ERR_INIT;
        na_session *s = drvt_open(&S, devs[i], k, &p, NULL, &e);
        if (!s)
            fail_msg("%s over %s: %s", devs[i], drvt_kind(k), e.msg);
        const char *lines[] = {"vlan 42", "name drv-test"};
        na_result r;
        if (na_session_config(s, lines, 2, NULL, &r, &e) < 0)
            fail_msg("%s: %s", devs[i], e.msg);
        na_result_free(&r);
        char *out = drvt_cmd(s, "show vlan brief", &e);
        if (!out)
            fail_msg("%s: %s", devs[i], e.msg);
        assert_non_null(strstr(out, "drv-test"));
        free(out);
        assert_string_equal(na_session_mode(s), "privileged");
        na_session_free(s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ssh_password),
        cmocka_unit_test(ssh_key_without_passphrase),
        cmocka_unit_test(ssh_key_with_passphrase),
        cmocka_unit_test(ssh_agent),
        cmocka_unit_test(telnet_login),
        DRVT_BOTH(wrong_password),
        DRVT_BOTH(enable_secret),
        DRVT_BOTH(enable_wrong_secret),
        DRVT_BOTH(personalities),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
