/* test_ssh_config_e2e.c — the SSH transport reading an OpenSSH client configuration, against
 * real sshd servers: a host known only by its ssh_config name (HostName, Port, User,
 * IdentityFile, UserKnownHostsFile, StrictHostKeyChecking) reached through a jump host given only
 * by ProxyJump (the jump host's sshd sees the direct-tcpip request), and through two jump hosts;
 * the caller's (inventory's) values winning over the file; HostKeyAlias with accept-new;
 * ConnectTimeout; algorithm lists with names only OpenSSH knows; ProxyCommand and Match exec
 * refused with the file and line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ssh.h"
#include "ssh_common.h"
#include "ssh_config.h"

#include <sys/stat.h>

typedef struct fx {
    na_sshd bastion, bastion2, target;
    char dir[256];
    char key[320], known_hosts[320], cfg[320];
} fx;

static fx F;

static int start(na_sshd *s, const char *extra)
{
    char eb[2048];
    na_sshd_opts o = {.extra_config = extra};
    if (na_sshd_start(s, &o, eb, sizeof eb) < 0) {
        fprintf(stderr, "# sshd: %s\n", eb);
        return -1;
    }
    char pub[340];
    snprintf(pub, sizeof pub, "%s.pub", F.key);
    return na_sshd_authorize(s, pub);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **st)
{
    (void)st;
    if (na_sshd_mkdtemp("sshcfg", F.dir, sizeof F.dir) < 0)
        return -1;
    snprintf(F.key, sizeof F.key, "%s/id_lab", F.dir);
    if (na_sshd_keygen(F.key, "ed25519", NULL) < 0)
        return -1;
    /* the jump hosts log their forwarding requests */
    if (start(&F.bastion, "LogLevel DEBUG1\n") < 0 || start(&F.bastion2, "LogLevel DEBUG1\n") < 0 ||
        start(&F.target, NULL) < 0)
        return -1;
    snprintf(F.known_hosts, sizeof F.known_hosts, "%s/known_hosts", F.dir);
    char a[340], b[340], c[340], cmd[1400];
    snprintf(a, sizeof a, "%s/kh_a", F.dir);
    snprintf(b, sizeof b, "%s/kh_b", F.dir);
    snprintf(c, sizeof c, "%s/kh_c", F.dir);
    if (na_sshd_write_known_hosts(&F.bastion, a) < 0 ||
        na_sshd_write_known_hosts(&F.bastion2, b) < 0 ||
        na_sshd_write_known_hosts(&F.target, c) < 0)
        return -1;
    snprintf(cmd, sizeof cmd, "cat '%s' '%s' '%s' > '%s'", a, b, c, F.known_hosts);
    if (system(cmd) != 0)
        return -1;
    snprintf(F.cfg, sizeof F.cfg, "%s/ssh_config", F.dir);
    char text[4000];
    snprintf(text, sizeof text,
             "# an engineer's ~/.ssh/config (the first value obtained wins)\n"
             "Host target-2hops\n"
             "    ProxyJump bastion,%s@127.0.0.1:%d\n"
             "Host target-badport\n"
             "    Port 1\n"
             "Host target target-2hops target-badport\n"
             "    HostName 127.0.0.1\n"
             "    Port %d\n"
             "    User %s\n"
             "    ProxyJump bastion\n"
             "Host bastion\n"
             "    HostName 127.0.0.1\n"
             "    Port %d\n"
             "Host aliased\n"
             "    HostName 127.0.0.1\n"
             "    Port %d\n"
             "    HostKeyAlias lab-target\n"
             "    StrictHostKeyChecking accept-new\n"
             "    UserKnownHostsFile %s/aliased_known_hosts\n"
             "    ConnectTimeout 7\n"
             "    KexAlgorithms sntrup761x25519-sha512@openssh.com,curve25519-sha256\n"
             "Host only-exotic\n"
             "    HostName 127.0.0.1\n"
             "    Port %d\n"
             "    Ciphers umac-nonsense@openssh.com\n"
             "Host proxied\n"
             "    ProxyCommand nc %%h %%p\n"
             "Match host exec-* exec \"true\"\n"
             "    Port 2\n"
             "Host *\n"
             "    IdentityFile %s\n"
             "    UserKnownHostsFile %s\n"
             "    StrictHostKeyChecking yes\n",
             test_me(), F.bastion2.port, F.target.port, test_me(), F.bastion.port,
             F.target.port, F.dir, F.target.port, F.key, F.known_hosts);
    write_file(F.cfg, text);
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    na_sshd_stop(&F.bastion);
    na_sshd_stop(&F.bastion2);
    na_sshd_stop(&F.target);
    na_sshd_rm_rf(F.dir);
    return 0;
}

/* Only a name and the file: everything else comes from ssh_config. */
static na_conn_params named(const char *name)
{
    na_conn_params p = {.name = name, .host = name, .ssh_config = F.cfg, .no_shell = true,
                        .use_agent = NA_AGENT_NO};
    return p;
}

static int count_in_log(const na_sshd *s, const char *needle)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "grep -c '%s' '%s'", needle, s->log);
    FILE *p = popen(cmd, "r");
    int n = 0;
    if (p && fscanf(p, "%d", &n) != 1)
        n = 0;
    if (p)
        pclose(p);
    return n;
}

static void jump_host_only_in_ssh_config(void **st)
{
    (void)st;
    int before = count_in_log(&F.bastion, "direct-tcpip");
    na_conn_params p = named("target");
    na_err e = NA_ERR_INIT;
    na_transport *t;
    assert_status(test_connect(&p, &t, &e), NA_OK, &e);
    char want[200];
    snprintf(want, sizeof want, "127.0.0.1:%d via bastion", F.target.port);
    assert_string_equal(t->info.peer, want);
    /* the parameters in effect: from the file */
    assert_string_equal(t->params->host, "127.0.0.1");
    assert_int_equal(t->params->port, F.target.port);
    assert_string_equal(t->params->username, test_me());
    assert_int_equal(t->params->host_key_policy, NA_HOSTKEY_STRICT);
    assert_non_null(t->params->jump);
    assert_string_equal(t->params->jump->host, "bastion");
    /* and what it did: commands run on the target */
    na_ssh_exec_result r;
    assert_status(na_ssh_run(t, "echo via-jump", NULL, &r, &e), NA_OK, &e);
    assert_memory_equal(r.out.data, "via-jump\n", 9);
    na_ssh_exec_result_free(&r);
    t->ops->destroy(t);
    /* the bastion's sshd forwarded it */
    assert_true(count_in_log(&F.bastion, "direct-tcpip") > before);
}

static void two_jump_hosts(void **st)
{
    (void)st;
    int b1 = count_in_log(&F.bastion, "direct-tcpip");
    int b2 = count_in_log(&F.bastion2, "direct-tcpip");
    na_conn_params p = named("target-2hops");
    na_err e = NA_ERR_INIT;
    na_transport *t;
    assert_status(test_connect(&p, &t, &e), NA_OK, &e);
    char want[200];
    snprintf(want, sizeof want, "127.0.0.1:%d via 127.0.0.1", F.target.port);
    assert_string_equal(t->info.peer, want);
    t->ops->destroy(t);
    assert_true(count_in_log(&F.bastion, "direct-tcpip") > b1);  /* bastion -> bastion2 */
    assert_true(count_in_log(&F.bastion2, "direct-tcpip") > b2); /* bastion2 -> target */
}

static void inventory_values_win(void **st)
{
    (void)st;
    /* the file says Port 1 for this name: the caller's port wins */
    na_conn_params p = named("target-badport");
    na_err e = NA_ERR_INIT;
    na_transport *t;
    assert_int_equal(test_connect(&p, &t, &e), NA_ERROR);
    t->ops->destroy(t);
    p.port = F.target.port;
    p.username = test_me();
    na_err_clear(&e);
    assert_status(test_connect(&p, &t, &e), NA_OK, &e);
    t->ops->destroy(t);
    /* a given user wins too: this one does not exist, so the login fails */
    p.username = "no-such-user-here";
    na_err_clear(&e);
    assert_int_equal(test_connect(&p, &t, &e), NA_ERROR);
    assert_non_null(strstr(e.msg, "authentication failed for user no-such-user-here"));
    t->ops->destroy(t);
}

static void alias_accept_new_timeout_and_algorithms(void **st)
{
    (void)st;
    na_conn_params p = named("aliased");
    na_err e = NA_ERR_INIT;
    na_transport *t;
    assert_status(test_connect(&p, &t, &e), NA_OK, &e);
    assert_int_equal(t->params->timeouts.connect_ms, 7000);
    assert_int_equal(t->params->host_key_policy, NA_HOSTKEY_ACCEPT_NEW);
    assert_string_equal(t->info.kex, "curve25519-sha256"); /* sntrup761 left out: libssh2 */
    t->ops->destroy(t);
    /* recorded under the alias, in the file ssh_config names; OpenSSH finds it there */
    char cmd[700];
    snprintf(cmd, sizeof cmd, "/usr/bin/ssh-keygen -F lab-target -f '%s/aliased_known_hosts' "
             "| grep -q 'added by netauto'", F.dir);
    assert_int_equal(system(cmd), 0);
    /* an OpenSSH-only cipher list leaves nothing: an error naming the line */
    p = named("only-exotic");
    na_err_clear(&e);
    assert_null(na_ssh_new(&p, &e));
    char want[500];
    snprintf(want, sizeof want, "only-exotic: ssh_config %s:25 is empty once the names libssh2 "
             "does not support are left out", F.cfg);
    assert_string_equal(e.msg, want);
}

static void proxycommand_and_match_exec_refused(void **st)
{
    (void)st;
    na_conn_params p = named("proxied");
    na_err e = NA_ERR_INIT;
    assert_null(na_ssh_new(&p, &e));
    assert_int_equal(e.code, NA_E_CONFIG);
    char want[600];
    snprintf(want, sizeof want, "proxied: ssh_config %s:27: ProxyCommand applies to proxied; "
             "netauto does not run proxy commands: use ProxyJump there, or jump_host in the "
             "inventory", F.cfg);
    assert_string_equal(e.msg, want);
    p = named("exec-1");
    na_err_clear(&e);
    assert_null(na_ssh_new(&p, &e));
    snprintf(want, sizeof want, "exec-1: ssh_config %s:28: Match exec applies to exec-1", F.cfg);
    if (strncmp(e.msg, want, strlen(want)))
        fail_msg("got %s", e.msg);
    /* a syntax error: early (na_ssh_check_config) and when connecting, with FILE:LINE */
    char bad[340];
    snprintf(bad, sizeof bad, "%s/bad_config", F.dir);
    write_file(bad, "Host x\n  Port\n");
    na_err_clear(&e);
    assert_int_equal(na_ssh_check_config(bad, &e), -1);
    snprintf(want, sizeof want, "ssh_config %s:2: no argument after keyword \"port\"", bad);
    assert_string_equal(e.msg, want);
    p = named("x");
    p.ssh_config = bad;
    na_err_clear(&e);
    assert_null(na_ssh_new(&p, &e));
    snprintf(want, sizeof want, "x: ssh_config %s:2: no argument after keyword \"port\"", bad);
    assert_string_equal(e.msg, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(jump_host_only_in_ssh_config),
        cmocka_unit_test(two_jump_hosts),
        cmocka_unit_test(inventory_values_win),
        cmocka_unit_test(alias_accept_new_timeout_and_algorithms),
        cmocka_unit_test(proxycommand_and_match_exec_refused),
    };
    return cmocka_run_group_tests_name("ssh_config_e2e", tests, setup, teardown);
}
