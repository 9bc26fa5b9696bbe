/* test_drv_hostkey.c — the driver over SSH to simulated devices: host-key policies (strict with an
 * unknown key -> refused with its fingerprint; accept-new records it; a changed key is refused
 * with both fingerprints, under strict and accept-new; off accepts anything and writes nothing),
 * legacy algorithms (a --opt legacy-crypto device: the secure default fails with NA_E_ALGO, the
 * inventory's opt-in works), and a jump host: a real OpenSSH server (tests/lib/sshd.h) forwarding
 * to a simulated device. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "drvtest.h"
#include "sshd.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SSH NA_TRANSPORT_SSH

static drvt_sim S;
static na_sshd D;
static char dir[256], jump_key[320], jump_kh[320];
static char fp_sw1[96], fp_sw2[96];

static const char *me(void)
{
    struct passwd *pw = getpwuid(getuid());
    return pw ? pw->pw_name : "root";
}

/* The fingerprint a strict, known-host connection sees. */
static void fingerprint(const char *dev, char *out, size_t cap)
{
    na_conn_params p = drvt_params(&S, dev, SSH);
    na_err e = NA_ERR_INIT;
    na_session *s = drvt_open(&S, dev, SSH, &p, NULL, &e);
    if (!s)
        fail_msg("%s: %s", dev, e.msg);
    snprintf(out, cap, "%s", na_session_transport(s)->info.host_key_fp);
    na_session_free(s);
}

static int setup(void **st)
{
    (void)st;
    if (na_sshd_mkdtemp("drvhostkey", dir, sizeof dir) < 0)
        return -1;
    const char *args[] = {"--devices", "3", "--opt", "sw3:legacy-crypto", NULL};
    na_err e = NA_ERR_INIT;
    if (drvt_sim_start(&S, args, &e) < 0) {
        fprintf(stderr, "# simulator: %s\n", e.msg);
        return -1;
    }
    if (na_sshd_start_keyed(&D, dir, "id_jump", "jump_known_hosts", jump_key, jump_kh) < 0)
        return -1;
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    drvt_sim_stop(&S);
    na_sshd_stop(&D);
    na_sshd_rm_rf(dir);
    return 0;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void strict_unknown(void **st)
{
    (void)st;
    fingerprint("sw1", fp_sw1, sizeof fp_sw1);
    assert_true(!strncmp(fp_sw1, "SHA256:", 7));
    char kh[320];
    snprintf(kh, sizeof kh, "%s/empty_known_hosts", dir);
    write_file(kh, "");
    na_conn_params p = drvt_params(&S, "sw1", SSH);
    p.known_hosts = kh;
    p.host_key_policy = NA_HOSTKEY_STRICT;
    na_err e = NA_ERR_INIT;
    assert_null(drvt_open(&S, "sw1", SSH, &p, NULL, &e));
    assert_int_equal(e.code, NA_E_HOSTKEY_UNKNOWN);
    assert_non_null(strstr(e.msg, "is not known"));
    assert_non_null(strstr(e.msg, fp_sw1)); /* the fingerprint to check against the device */
}

static void accept_new_records(void **st)
{
    (void)st;
    char kh[320];
    snprintf(kh, sizeof kh, "%s/new/known_hosts", dir); /* neither file nor directory exists */
    na_conn_params p = drvt_params(&S, "sw1", SSH);
    p.known_hosts = kh;
    p.host_key_policy = NA_HOSTKEY_ACCEPT_NEW;
    na_err e = NA_ERR_INIT;
    na_session *s = drvt_open(&S, "sw1", SSH, &p, NULL, &e);
    if (!s)
        fail_msg("%s", e.msg);
    na_session_free(s);
    char *text = drvt_slurp(kh, NULL);
    assert_non_null(text);
    char want[64];
    snprintf(want, sizeof want, "[127.0.0.1]:%d ssh-ed25519 ", p.port);
    assert_non_null(strstr(text, want));
    free(text);
    /* now known: strict accepts it */
    p.host_key_policy = NA_HOSTKEY_STRICT;
    s = drvt_open(&S, "sw1", SSH, &p, NULL, &e);
    if (!s)
        fail_msg("strict after accept-new: %s", e.msg);
    na_session_free(s);
}

static void changed_key(void **st)
{
    (void)st;
    if (!fp_sw1[0])
        fingerprint("sw1", fp_sw1, sizeof fp_sw1);
    fingerprint("sw2", fp_sw2, sizeof fp_sw2);
    assert_string_not_equal(fp_sw1, fp_sw2);
    /* a known_hosts file that records sw2's key for sw1's address and port */
    const na_inv_host *h1 = drvt_host(&S, "sw1"), *h2 = drvt_host(&S, "sw2");
    char *all = drvt_slurp(S.sp.known_hosts_path, NULL);
    assert_non_null(all);
    char tag[48];
    snprintf(tag, sizeof tag, "[127.0.0.1]:%d ", h2->ssh_port);
    char *line = strstr(all, tag);
    assert_non_null(line);
    char *end = strchr(line, '\n');
    if (end)
        *end = '\0';
    char kh[320], text[2048];
    snprintf(kh, sizeof kh, "%s/changed_known_hosts", dir);
    snprintf(text, sizeof text, "[127.0.0.1]:%d %s\n", h1->ssh_port, line + strlen(tag));
    free(all);
    write_file(kh, text);
    static const na_hostkey_policy pols[] = {NA_HOSTKEY_STRICT, NA_HOSTKEY_ACCEPT_NEW};
    for (int i = 0; i < 2; i++) {
        na_conn_params p = drvt_params(&S, "sw1", SSH);
        p.known_hosts = kh;
        p.host_key_policy = pols[i];
        na_err e = NA_ERR_INIT;
        assert_null(drvt_open(&S, "sw1", SSH, &p, NULL, &e));
        assert_int_equal(e.code, NA_E_HOSTKEY_CHANGED);
        assert_non_null(strstr(e.msg, fp_sw2)); /* recorded */
        assert_non_null(strstr(e.msg, fp_sw1)); /* presented */
    }
    char *after = drvt_slurp(kh, NULL);
    assert_string_equal(after, text); /* accept-new never overwrites a recorded key */
    free(after);
    /* off: accepted, and the file is neither read nor written */
    na_conn_params p = drvt_params(&S, "sw1", SSH);
    p.known_hosts = kh;
    p.host_key_policy = NA_HOSTKEY_OFF;
    na_err e = NA_ERR_INIT;
    na_session *s = drvt_open(&S, "sw1", SSH, &p, NULL, &e);
    if (!s)
        fail_msg("policy off: %s", e.msg);
    assert_string_equal(na_session_transport(s)->info.host_key_fp, fp_sw1);
    na_session_free(s);
    after = drvt_slurp(kh, NULL);
    assert_string_equal(after, text);
    free(after);
}

static void legacy_crypto(void **st)
{
    (void)st;
    na_conn_params p = drvt_params(&S, "sw3", SSH);
    assert_non_null(p.algos.kex); /* the inventory opts in for this device */
    na_err e = NA_ERR_INIT;
    na_session *s = drvt_open(&S, "sw3", SSH, &p, NULL, &e);
    if (!s)
        fail_msg("with the opt-in: %s", e.msg);
    na_transport *t = na_session_transport(s);
    assert_string_equal(t->info.kex, "diffie-hellman-group14-sha1");
    assert_string_equal(t->info.host_key_type, "ssh-rsa");
    char *out = drvt_cmd(s, "show clock", &e);
    assert_non_null(out);
    free(out);
    na_session_free(s);
    /* netauto's secure defaults: no common algorithm, and the message says how to opt in */
    memset(&p.algos, 0, sizeof p.algos);
    assert_null(drvt_open(&S, "sw3", SSH, &p, NULL, &e));
    assert_int_equal(e.code, NA_E_ALGO);
    assert_non_null(strstr(e.msg, "diffie-hellman-group14-sha1"));
    assert_non_null(strstr(e.msg, "ssh_algorithms"));
}

static void jump_host(void **st)
{
    (void)st;
    na_conn_params jump = {.name = "bastion", .host = "127.0.0.1", .port = D.port,
                           .username = me(), .key_file = jump_key, .known_hosts = jump_kh};
    na_conn_params p = drvt_params(&S, "sw2", SSH);
    p.jump = &jump;
    na_err e = NA_ERR_INIT;
    na_session *s = drvt_open(&S, "sw2", SSH, &p, NULL, &e);
    if (!s)
        fail_msg("through the jump host: %s\n%s", e.msg, na_sshd_log_tail(&D));
    na_transport *t = na_session_transport(s);
    assert_non_null(strstr(t->info.peer, "via bastion"));
    assert_string_equal(t->info.server_banner, "SSH-2.0-Cisco-1.25"); /* the device's, not sshd's */
    const char *lines[] = {"vlan 77", "name via-jump"};
    na_result r;
    if (na_session_config(s, lines, 2, NULL, &r, &e) < 0)
        fail_msg("%s", e.msg);
    na_result_free(&r);
    char *out = drvt_cmd(s, "show vlan brief", &e);
    assert_non_null(out);
    assert_non_null(strstr(out, "77   via-jump"));
    free(out);
    na_session_free(s);
    /* the device's own host key is still checked at the end of the tunnel */
    char kh[320];
    snprintf(kh, sizeof kh, "%s/empty_known_hosts", dir);
    write_file(kh, "");
    p.known_hosts = kh;
    assert_null(drvt_open(&S, "sw2", SSH, &p, NULL, &e));
    assert_int_equal(e.code, NA_E_HOSTKEY_UNKNOWN);
    /* a refused login on the jump host names the hop */
    p = drvt_params(&S, "sw2", SSH);
    jump.key_file = NULL;
    p.jump = &jump;
    na_err_clear(&e);
    assert_null(drvt_open(&S, "sw2", SSH, &p, NULL, &e));
    assert_int_equal(e.code, NA_E_AUTH);
    assert_non_null(strstr(e.msg, "via jump bastion"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(strict_unknown),
        cmocka_unit_test(accept_new_records),
        cmocka_unit_test(changed_key),
        cmocka_unit_test(legacy_crypto),
        cmocka_unit_test(jump_host),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
