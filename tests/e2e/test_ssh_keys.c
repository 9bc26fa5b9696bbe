/* test_ssh_keys.c — user keys and host keys as real networks have them, against Debian's
 * OpenSSH server (9.2, which refuses SHA-1 ssh-rsa signatures by default): RSA 3072, ECDSA and
 * Ed25519 user keys, each with and without a passphrase, from a file and from a real ssh-agent;
 * OpenSSH's habits (the default ~/.ssh/id_* files, the agent when $SSH_AUTH_SOCK is set,
 * IdentitiesOnly); clear errors (a key refused for its type, a key with a passphrase and none
 * given, an agent that is not there, an agent that does not answer); an sshd whose only host key
 * is RSA with HostKeyAlgorithms rsa-sha2-512,rsa-sha2-256, under default settings and strict host
 * keys. Jump hosts from ssh_config are in test_ssh_config_e2e.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ssh.h"
#include "ssh_common.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#define PW "key pass 3072"

enum { K_RSA, K_ECDSA, K_ED25519, NTYPES };
static const char *const TYPE[NTYPES] = {"rsa", "ecdsa", "ed25519"};

typedef struct fx {
    na_sshd sshd;      /* Debian's defaults */
    na_sshd edonly;    /* PubkeyAcceptedAlgorithms ssh-ed25519 */
    na_sshd rsahost;   /* only an RSA host key, HostKeyAlgorithms rsa-sha2-512,rsa-sha2-256 */
    char dir[256];
    char key[NTYPES][2][320]; /* [type][0 plain, 1 with passphrase] */
    char known_hosts[320];
    char home[320];           /* a HOME with .ssh/id_rsa, for the default identity files */
} fx;

static fx F;

static int keygen(const char *path, const char *type, const char *pw)
{
    char *argv[] = {"/usr/bin/ssh-keygen", "-q", "-t", (char *)type, "-N", (char *)pw, "-C",
                    "netauto-test", "-f", (char *)path, !strcmp(type, "rsa") ? "-b" : NULL,
                    "3072", NULL};
    unlink(path);
    return na_sshd_run(argv, NULL, NULL, NULL) == 0 ? 0 : -1;
}

static int start(na_sshd *s, const na_sshd_opts *o)
{
    char eb[2048];
    if (na_sshd_start(s, o, eb, sizeof eb) < 0) {
        fprintf(stderr, "# sshd: %s\n", eb);
        return -1;
    }
    for (int t = 0; t < NTYPES; t++)
        for (int w = 0; w < 2; w++) {
            char pub[340];
            snprintf(pub, sizeof pub, "%s.pub", F.key[t][w]);
            if (na_sshd_authorize(s, pub) < 0)
                return -1;
        }
    return 0;
}

static int setup(void **st)
{
    (void)st;
    if (na_sshd_mkdtemp("sshkeys", F.dir, sizeof F.dir) < 0)
        return -1;
    for (int t = 0; t < NTYPES; t++)
        for (int w = 0; w < 2; w++) {
            snprintf(F.key[t][w], sizeof F.key[t][w], "%s/id_%s%s", F.dir, TYPE[t],
                     w ? "_pw" : "");
            if (keygen(F.key[t][w], TYPE[t], w ? PW : "") < 0)
                return -1;
        }
    na_sshd_opts plain = {0};
    na_sshd_opts ed = {.extra_config = "PubkeyAcceptedAlgorithms ssh-ed25519\n"};
    na_sshd_opts rsa = {.rsa_only = true,
                        .extra_config = "HostKeyAlgorithms rsa-sha2-512,rsa-sha2-256\n"};
    if (start(&F.sshd, &plain) < 0 || start(&F.edonly, &ed) < 0 || start(&F.rsahost, &rsa) < 0)
        return -1;
    snprintf(F.known_hosts, sizeof F.known_hosts, "%s/known_hosts", F.dir);
    char a[340], b[340], c[340], cmd[1400];
    snprintf(a, sizeof a, "%s/kh1", F.dir);
    snprintf(b, sizeof b, "%s/kh2", F.dir);
    snprintf(c, sizeof c, "%s/kh3", F.dir);
    if (na_sshd_write_known_hosts(&F.sshd, a) < 0 || na_sshd_write_known_hosts(&F.edonly, b) < 0 ||
        na_sshd_write_known_hosts(&F.rsahost, c) < 0)
        return -1;
    snprintf(cmd, sizeof cmd, "cat '%s' '%s' '%s' > '%s'", a, b, c, F.known_hosts);
    if (system(cmd) != 0)
        return -1;
    /* a home directory whose only key is ~/.ssh/id_rsa (the RSA key without passphrase) */
    snprintf(F.home, sizeof F.home, "%s/home", F.dir);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/.ssh' && chmod 700 '%s/.ssh' && cp '%s' "
             "'%s/.ssh/id_rsa' && cp '%s.pub' '%s/.ssh/id_rsa.pub'", F.home, F.home,
             F.key[K_RSA][0], F.home, F.key[K_RSA][0], F.home);
    return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    na_sshd_stop(&F.sshd);
    na_sshd_stop(&F.edonly);
    na_sshd_stop(&F.rsahost);
    na_sshd_rm_rf(F.dir);
    return 0;
}

static na_conn_params base(const na_sshd *s)
{
    na_conn_params p = {.name = "sw1", .host = "127.0.0.1", .port = s->port,
                        .username = test_me(), .known_hosts = F.known_hosts, .no_shell = true};
    return p;
}

/* Run with $SSH_AUTH_SOCK (and optionally $HOME) set, restoring both afterwards. */
typedef struct env_save {
    char *sock, *home;
} env_save;

static env_save env_set(const char *sock, const char *home)
{
    env_save s = {getenv("SSH_AUTH_SOCK") ? strdup(getenv("SSH_AUTH_SOCK")) : NULL,
                  getenv("HOME") ? strdup(getenv("HOME")) : NULL};
    if (sock)
        setenv("SSH_AUTH_SOCK", sock, 1);
    else
        unsetenv("SSH_AUTH_SOCK");
    if (home)
        setenv("HOME", home, 1);
    return s;
}

static void env_restore(env_save *s)
{
    if (s->sock)
        setenv("SSH_AUTH_SOCK", s->sock, 1);
    else
        unsetenv("SSH_AUTH_SOCK");
    if (s->home)
        setenv("HOME", s->home, 1);
    free(s->sock);
    free(s->home);
}

static void every_key_from_a_file(void **st)
{
    (void)st;
    for (int t = 0; t < NTYPES; t++)
        for (int w = 0; w < 2; w++) {
            na_conn_params p = base(&F.sshd);
            p.key_file = F.key[t][w];
            p.key_passphrase = w ? PW : NULL;
            na_err e = NA_ERR_INIT;
            na_transport *tr;
            na_status s = test_connect(&p, &tr, &e);
            if (s != NA_OK)
                fail_msg("%s key%s: %s", TYPE[t], w ? " with passphrase" : "", e.msg);
            assert_string_equal(tr->info.auth_method, "publickey");
            tr->ops->destroy(tr);
        }
}

static void every_key_from_the_agent(void **st)
{
    (void)st;
    for (int t = 0; t < NTYPES; t++)
        for (int w = 0; w < 2; w++) {
            na_sshd_agent ag;
            assert_int_equal(na_sshd_agent_start(&ag, F.dir), 0);
            int added = w ? na_sshd_agent_add_pw(&ag, F.key[t][w], PW)
                          : na_sshd_agent_add(&ag, F.key[t][w]);
            env_save sv = env_set(ag.sock, NULL);
            na_conn_params p = base(&F.sshd);
            p.use_agent = NA_AGENT_YES;
            na_err e = NA_ERR_INIT;
            na_transport *tr = NULL;
            na_status s = added == 0 ? test_connect(&p, &tr, &e) : NA_ERROR;
            env_restore(&sv);
            na_sshd_agent_stop(&ag);
            if (added < 0)
                fail_msg("ssh-add %s failed", F.key[t][w]);
            if (s != NA_OK)
                fail_msg("%s key%s in the agent: %s", TYPE[t], w ? " with passphrase" : "",
                         e.msg);
            assert_string_equal(tr->info.auth_method, "agent");
            tr->ops->destroy(tr);
        }
}

static void openssh_defaults_key_file_and_agent(void **st)
{
    (void)st;
    /* no key named anywhere: ~/.ssh/id_rsa is found and used, as ssh would */
    env_save sv = env_set(NULL, F.home);
    na_conn_params p = base(&F.sshd);
    p.ssh_config = "none";
    na_err e = NA_ERR_INIT;
    na_transport *tr;
    na_status s = test_connect(&p, &tr, &e);
    env_restore(&sv);
    assert_status(s, NA_OK, &e);
    assert_string_equal(tr->info.auth_method, "publickey");
    tr->ops->destroy(tr);

    /* $SSH_AUTH_SOCK set and use_agent not set: the agent is used */
    na_sshd_agent ag;
    assert_int_equal(na_sshd_agent_start(&ag, F.dir), 0);
    assert_int_equal(na_sshd_agent_add(&ag, F.key[K_ED25519][0]), 0);
    sv = env_set(ag.sock, F.dir); /* a HOME without keys */
    na_err_clear(&e);
    s = test_connect(&p, &tr, &e);
    /* ... but not when use_agent says no, nor without ssh_config (the API's plain mode) */
    na_conn_params q = p;
    q.use_agent = NA_AGENT_NO;
    na_err e2 = NA_ERR_INIT;
    na_transport *tr2;
    na_status s2 = test_connect(&q, &tr2, &e2);
    na_conn_params r = base(&F.sshd);
    na_err e3 = NA_ERR_INIT;
    na_transport *tr3;
    na_status s3 = test_connect(&r, &tr3, &e3);
    env_restore(&sv);
    na_sshd_agent_stop(&ag);
    assert_status(s, NA_OK, &e);
    assert_string_equal(tr->info.auth_method, "agent");
    tr->ops->destroy(tr);
    assert_int_equal(s2, NA_ERROR);
    assert_int_equal(e2.code, NA_E_AUTH);
    tr2->ops->destroy(tr2);
    assert_int_equal(s3, NA_ERROR);
    assert_non_null(strstr(e3.msg, "nothing to try"));
    tr3->ops->destroy(tr3);
}

static void identities_only(void **st)
{
    (void)st;
    /* the agent holds an authorized key; the configured key file (RSA) is not accepted on
     * edonly. Without IdentitiesOnly the agent key logs in; with it, only the file is offered */
    char cfg[340], cmd[900];
    snprintf(cfg, sizeof cfg, "%s/cfg_idonly", F.dir);
    na_sshd_agent ag;
    assert_int_equal(na_sshd_agent_start(&ag, F.dir), 0);
    assert_int_equal(na_sshd_agent_add(&ag, F.key[K_ED25519][0]), 0);
    env_save sv = env_set(ag.sock, F.dir);
    na_conn_params p = base(&F.edonly);
    p.ssh_config = cfg;
    na_status s[2];
    na_err e[2] = {NA_ERR_INIT, NA_ERR_INIT};
    char method[2][32] = {"", ""};
    for (int only = 0; only < 2; only++) {
        snprintf(cmd, sizeof cmd, "printf 'Host 127.0.0.1\\n  IdentitiesOnly %s\\n  IdentityFile "
                 "%s\\n' > '%s'", only ? "yes" : "no", F.key[K_RSA][0], cfg);
        assert_int_equal(system(cmd), 0);
        na_transport *tr;
        s[only] = test_connect(&p, &tr, &e[only]);
        snprintf(method[only], sizeof method[only], "%s", tr->info.auth_method);
        tr->ops->destroy(tr);
    }
    env_restore(&sv);
    na_sshd_agent_stop(&ag);
    assert_status(s[0], NA_OK, &e[0]);
    assert_string_equal(method[0], "agent");
    assert_int_equal(s[1], NA_ERROR);
    assert_int_equal(e[1].code, NA_E_AUTH);
    if (!strstr(e[1].msg, "ssh-agent holds none of the key files (IdentitiesOnly)") ||
        !strstr(e[1].msg, "the server refused the ssh-rsa key"))
        fail_msg("message: %s", e[1].msg);
}

static void rsa_key_refused_for_its_type(void **st)
{
    (void)st;
    na_conn_params p = base(&F.edonly);
    p.key_file = F.key[K_RSA][0];
    na_err e = NA_ERR_INIT;
    na_transport *tr;
    assert_int_equal(test_connect(&p, &tr, &e), NA_ERROR);
    assert_int_equal(e.code, NA_E_AUTH);
    char fp[96], pub[340], want[700];
    snprintf(pub, sizeof pub, "%s.pub", F.key[K_RSA][0]);
    assert_int_equal(test_ssh_keygen_fp(pub, fp, sizeof fp), 0);
    snprintf(want, sizeof want, "the server refused the ssh-rsa key %s %s (not authorized, or the "
             "server takes none of rsa-sha2-512, rsa-sha2-256 and ssh-rsa signatures)",
             F.key[K_RSA][0], fp);
    if (!strstr(e.msg, want))
        fail_msg("message: %s\nwanted: %s", e.msg, want);
    tr->ops->destroy(tr);
    /* the Ed25519 key is fine there */
    p.key_file = F.key[K_ED25519][0];
    na_err_clear(&e);
    assert_status(test_connect(&p, &tr, &e), NA_OK, &e);
    tr->ops->destroy(tr);
}

static void passphrase_missing_or_wrong(void **st)
{
    (void)st;
    na_conn_params p = base(&F.sshd);
    p.key_file = F.key[K_ECDSA][1];
    na_err e = NA_ERR_INIT;
    na_transport *tr;
    assert_int_equal(test_connect(&p, &tr, &e), NA_ERROR);
    assert_int_equal(e.code, NA_E_AUTH);
    char want[500];
    snprintf(want, sizeof want, "key file %s is protected by a passphrase and no key_passphrase "
             "is set", F.key[K_ECDSA][1]);
    if (!strstr(e.msg, want))
        fail_msg("message: %s", e.msg);
    tr->ops->destroy(tr);
    p.key_passphrase = "not it";
    na_err_clear(&e);
    assert_int_equal(test_connect(&p, &tr, &e), NA_ERROR);
    snprintf(want, sizeof want, "key file %s could not be used: wrong key_passphrase",
             F.key[K_ECDSA][1]);
    if (!strstr(e.msg, want) || strstr(e.msg, "not it"))
        fail_msg("message: %s", e.msg);
    tr->ops->destroy(tr);
}

static void agent_not_there(void **st)
{
    (void)st;
    char sock[340];
    snprintf(sock, sizeof sock, "%s/no-agent.sock", F.dir);
    env_save sv = env_set(sock, NULL);
    na_conn_params p = base(&F.sshd);
    p.use_agent = NA_AGENT_YES;
    na_err e = NA_ERR_INIT;
    na_transport *tr;
    na_status s = test_connect(&p, &tr, &e);
    env_restore(&sv);
    assert_int_equal(s, NA_ERROR);
    assert_int_equal(e.code, NA_E_AUTH);
    char want[500];
    snprintf(want, sizeof want, "cannot reach ssh-agent at %s: No such file or directory", sock);
    if (!strstr(e.msg, want))
        fail_msg("message: %s", e.msg);
    tr->ops->destroy(tr);
}

static void agent_that_never_answers(void **st)
{
    (void)st;
    /* a socket that accepts and never answers: the wait is bounded (here by the 1.5 s
     * authentication deadline), and the message says so */
    char sock[340];
    snprintf(sock, sizeof sock, "%s/mute-agent.sock", F.dir);
    int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", sock);
    assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(lfd, 8), 0);
    env_save sv = env_set(sock, NULL);
    na_conn_params p = base(&F.sshd);
    p.use_agent = NA_AGENT_YES;
    p.timeouts.auth_ms = 1500;
    na_err e = NA_ERR_INIT;
    na_transport *tr;
    int64_t t0 = na_now_ms();
    na_status s = test_connect(&p, &tr, &e);
    int64_t took = na_now_ms() - t0;
    env_restore(&sv);
    close(lfd);
    unlink(sock);
    assert_int_equal(s, NA_ERROR);
    if (!strstr(e.msg, "did not answer within"))
        fail_msg("message: %s", e.msg);
    assert_true(took < 5000);
    tr->ops->destroy(tr);
}

static void rsa_only_host_default_settings_strict(void **st)
{
    (void)st;
    /* the device offers only rsa-sha2-512/256 host keys: with netauto's defaults and strict
     * host key checking against the recorded RSA key, it just works */
    na_conn_params p = base(&F.rsahost);
    p.key_file = F.key[K_ED25519][0];
    p.host_key_policy = NA_HOSTKEY_STRICT;
    na_err e = NA_ERR_INIT;
    na_transport *tr;
    assert_status(test_connect(&p, &tr, &e), NA_OK, &e);
    assert_string_equal(tr->info.host_key_type, "rsa-sha2-512");
    char fp[96], pub[340];
    snprintf(pub, sizeof pub, "%s.pub", F.rsahost.host_key_rsa);
    assert_int_equal(test_ssh_keygen_fp(pub, fp, sizeof fp), 0);
    assert_string_equal(tr->info.host_key_fp, fp);
    tr->ops->destroy(tr);
    /* unknown there: refused, naming the RSA key */
    char empty[340];
    snprintf(empty, sizeof empty, "%s/empty_kh", F.dir);
    p.known_hosts = empty;
    na_err_clear(&e);
    assert_int_equal(test_connect(&p, &tr, &e), NA_ERROR);
    assert_int_equal(e.code, NA_E_HOSTKEY_UNKNOWN);
    char want[300];
    snprintf(want, sizeof want, "is not known: ssh-rsa %s", fp);
    if (!strstr(e.msg, want))
        fail_msg("message: %s", e.msg);
    tr->ops->destroy(tr);
    /* and only SHA-2: an explicit ssh-rsa list is what the device lacks */
    p.known_hosts = F.known_hosts;
    p.algos.host_keys = "ssh-rsa";
    na_err_clear(&e);
    assert_int_equal(test_connect(&p, &tr, &e), NA_ERROR);
    assert_int_equal(e.code, NA_E_ALGO);
    if (!strstr(e.msg, "no common host key algorithm; the device offers rsa-sha2-512,rsa-sha2-256"))
        fail_msg("message: %s", e.msg);
    tr->ops->destroy(tr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_key_from_a_file),
        cmocka_unit_test(every_key_from_the_agent),
        cmocka_unit_test(openssh_defaults_key_file_and_agent),
        cmocka_unit_test(identities_only),
        cmocka_unit_test(rsa_key_refused_for_its_type),
        cmocka_unit_test(passphrase_missing_or_wrong),
        cmocka_unit_test(agent_not_there),
        cmocka_unit_test(agent_that_never_answers),
        cmocka_unit_test(rsa_only_host_default_settings_strict),
    };
    return cmocka_run_group_tests_name("ssh_keys", tests, setup, teardown);
}
