/* test_ssh_negotiate.c — SSH algorithm negotiation and set-up failures against real sshd
 * configurations: secure defaults negotiated and reported; a legacy server (only
 * diffie-hellman-group14-sha1 and an ssh-rsa host key) refused with NA_E_ALGO naming the
 * category and the opt-in, then accepted once the inventory opts in; the same for a CBC cipher
 * and hmac-sha1; a server offering only what libssh2 lacks (sntrup761 key exchange); bad
 * algorithm names; a listener that
 * never speaks (key exchange deadline); a service that is not SSH; a closed port. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ssh.h"
#include "ssh_common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

typedef struct fx {
    na_sshd modern, legacy, cbc, sha1mac, exotic;
    char dir[256];
    char key[320];
} fx;

static fx F;

static int start(na_sshd *s, const char *extra, bool rsa_only)
{
    char eb[2048];
    na_sshd_opts o = {.extra_config = extra, .rsa_only = rsa_only};
    if (na_sshd_start(s, &o, eb, sizeof eb) < 0) {
        fprintf(stderr, "# sshd: %s\n", eb);
        return -1;
    }
    char pub[340];
    snprintf(pub, sizeof pub, "%s.pub", F.key);
    return na_sshd_authorize(s, pub);
}

static int setup(void **st)
{
    (void)st;
    if (na_sshd_mkdtemp("sshneg", F.dir, sizeof F.dir) < 0)
        return -1;
    snprintf(F.key, sizeof F.key, "%s/id_ed25519", F.dir);
    if (na_sshd_keygen(F.key, "ed25519", NULL) < 0)
        return -1;
    if (start(&F.modern, NULL, false) < 0 ||
        start(&F.legacy, "KexAlgorithms diffie-hellman-group14-sha1\n"
                         "HostKeyAlgorithms ssh-rsa\n", true) < 0 ||
        start(&F.cbc, "Ciphers aes128-cbc\n", false) < 0 ||
        start(&F.sha1mac, "MACs hmac-sha1\n", false) < 0 ||
        start(&F.exotic, "KexAlgorithms sntrup761x25519-sha512@openssh.com\n", false) < 0)
        return -1;
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    na_sshd_stop(&F.modern);
    na_sshd_stop(&F.legacy);
    na_sshd_stop(&F.cbc);
    na_sshd_stop(&F.sha1mac);
    na_sshd_stop(&F.exotic);
    na_sshd_rm_rf(F.dir);
    return 0;
}

static na_conn_params params(const na_sshd *s)
{
    na_conn_params p = {.name = "sw1", .host = "127.0.0.1", .port = s->port,
                        .username = test_me(), .key_file = F.key,
                        .host_key_policy = NA_HOSTKEY_OFF, .no_shell = true};
    return p;
}

static void secure_defaults(void **st)
{
    (void)st;
    const char *kex = na_ssh_default_algos("kex");
    const char *hk = na_ssh_default_algos("host_keys");
    const char *ciph = na_ssh_default_algos("ciphers");
    const char *macs = na_ssh_default_algos("macs");
    assert_non_null(kex);
    assert_null(na_ssh_default_algos("bogus"));
    assert_non_null(strstr(kex, "curve25519-sha256"));
    assert_null(strstr(kex, "sha1"));
    assert_null(strstr(kex, "group1-"));
    assert_non_null(strstr(hk, "ssh-ed25519"));
    assert_null(strstr(hk, "ssh-rsa"));
    assert_null(strstr(hk, "ssh-dss"));
    assert_null(strstr(ciph, "cbc"));
    assert_null(strstr(ciph, "arcfour"));
    assert_non_null(strstr(ciph, "aes256-ctr"));
    assert_null(strstr(macs, "sha1"));
    assert_null(strstr(macs, "md5"));
    assert_non_null(strstr(macs, "hmac-sha2-256"));
}

static void modern_server_negotiated_and_reported(void **st)
{
    (void)st;
    na_conn_params p = params(&F.modern);
    na_err e = NA_ERR_INIT;
    na_transport *t;
    assert_status(test_connect(&p, &t, &e), NA_OK, &e);
    assert_string_equal(t->info.kex, "curve25519-sha256");
    assert_string_equal(t->info.host_key_type, "ssh-ed25519");
    printf("# negotiated kex %s, host key %s, ciphers %s / %s, MACs %s / %s\n", t->info.kex,
           t->info.host_key_type, t->info.cipher_cs, t->info.cipher_sc, t->info.mac_cs,
           t->info.mac_sc);
    assert_string_equal(t->info.cipher_cs, "chacha20-poly1305@openssh.com");
    assert_string_equal(t->info.cipher_sc, "chacha20-poly1305@openssh.com");
    assert_memory_equal(t->info.server_banner, "SSH-2.0-OpenSSH_", 16);
    assert_memory_equal(t->info.host_key_fp, "SHA256:", 7);
    t->ops->destroy(t);
}

static void legacy_server_needs_opt_in(void **st)
{
    (void)st;
    na_conn_params p = params(&F.legacy);
    na_err e = NA_ERR_INIT;
    na_transport *t;
    assert_int_equal(test_connect(&p, &t, &e), NA_ERROR);
    assert_int_equal(e.code, NA_E_ALGO);
    if (!strstr(e.msg, "sw1: no common key exchange algorithm; the device offers "
                       "diffie-hellman-group14-sha1 — add it to ssh_algorithms.kex in the "
                       "inventory to allow it"))
        fail_msg("message: %s", e.msg);
    assert_int_equal(t->info.phase, NA_PHASE_NEGOTIATE);
    t->ops->destroy(t);

    /* kex allowed: now the host key is what is missing */
    na_err_clear(&e);
    p.algos.kex = "+diffie-hellman-group14-sha1";
    assert_int_equal(test_connect(&p, &t, &e), NA_ERROR);
    assert_int_equal(e.code, NA_E_ALGO);
    if (!strstr(e.msg, "sw1: no common host key algorithm; the device offers ssh-rsa — add it "
                       "to ssh_algorithms.host_keys"))
        fail_msg("message: %s", e.msg);
    t->ops->destroy(t);

    /* both allowed: connects, and says what it negotiated */
    na_err_clear(&e);
    p.algos.host_keys = "ssh-rsa";
    assert_status(test_connect(&p, &t, &e), NA_OK, &e);
    assert_string_equal(t->info.kex, "diffie-hellman-group14-sha1");
    assert_string_equal(t->info.host_key_type, "ssh-rsa");
    char pub[340], fp[96];
    snprintf(pub, sizeof pub, "%s.pub", F.legacy.host_key_rsa);
    assert_int_equal(test_ssh_keygen_fp(pub, fp, sizeof fp), 0);
    assert_string_equal(t->info.host_key_fp, fp);
    t->ops->destroy(t);

    /* an RSA host key can also be checked against known_hosts */
    na_err_clear(&e);
    char kh[340];
    snprintf(kh, sizeof kh, "%s/kh_legacy", F.dir);
    assert_int_equal(na_sshd_write_known_hosts(&F.legacy, kh), 0);
    p.known_hosts = kh;
    p.host_key_policy = NA_HOSTKEY_STRICT;
    assert_status(test_connect(&p, &t, &e), NA_OK, &e);
    t->ops->destroy(t);
}

static void cbc_cipher_needs_opt_in(void **st)
{
    (void)st;
    na_conn_params p = params(&F.cbc);
    na_err e = NA_ERR_INIT;
    na_transport *t;
    assert_int_equal(test_connect(&p, &t, &e), NA_ERROR);
    assert_int_equal(e.code, NA_E_ALGO);
    if (!strstr(e.msg, "sw1: no common cipher algorithm; the device offers aes128-cbc — add it "
                       "to ssh_algorithms.ciphers"))
        fail_msg("message: %s", e.msg);
    t->ops->destroy(t);
    na_err_clear(&e);
    p.algos.ciphers = "aes256-ctr, aes128-cbc"; /* blanks are allowed between names */
    assert_status(test_connect(&p, &t, &e), NA_OK, &e);
    assert_string_equal(t->info.cipher_cs, "aes128-cbc");
    assert_string_equal(t->info.cipher_sc, "aes128-cbc");
    t->ops->destroy(t);
}

static void sha1_mac_needs_opt_in(void **st)
{
    (void)st;
    na_conn_params p = params(&F.sha1mac);
    na_err e = NA_ERR_INIT;
    na_transport *t;
    assert_int_equal(test_connect(&p, &t, &e), NA_ERROR);
    assert_int_equal(e.code, NA_E_ALGO);
    if (!strstr(e.msg, "sw1: no common MAC algorithm; the device offers hmac-sha1 — add it to "
                       "ssh_algorithms.macs"))
        fail_msg("message: %s", e.msg);
    t->ops->destroy(t);
    na_err_clear(&e);
    p.algos.macs = "+hmac-sha1";
    assert_status(test_connect(&p, &t, &e), NA_OK, &e);
    assert_string_equal(t->info.mac_cs, "hmac-sha1");
    t->ops->destroy(t);
}

static void server_offers_only_unsupported(void **st)
{
    (void)st;
    na_conn_params p = params(&F.exotic);
    na_err e = NA_ERR_INIT;
    na_transport *t;
    assert_int_equal(test_connect(&p, &t, &e), NA_ERROR);
    assert_int_equal(e.code, NA_E_ALGO);
    if (!strstr(e.msg, "sw1: no common key exchange algorithm; the device offers "
                       "sntrup761x25519-sha512@openssh.com, none of which"))
        fail_msg("message: %s", e.msg);
    assert_non_null(strstr(e.msg, "none of which this build of netauto"));
    t->ops->destroy(t);
}

static void bad_algorithm_names(void **st)
{
    (void)st;
    na_conn_params p = params(&F.modern);
    p.algos.kex = "curve25519-sha256,no-such-kex";
    na_err e = NA_ERR_INIT;
    assert_null(na_ssh_new(&p, &e));
    assert_int_equal(e.code, NA_E_CONFIG);
    assert_non_null(strstr(e.msg, "sw1: ssh_algorithms.kex: 'no-such-kex' is not a key exchange "
                                  "algorithm this build supports (supported: "));
    na_err_clear(&e);
    p.algos.kex = " , ";
    assert_null(na_ssh_new(&p, &e));
    assert_int_equal(e.code, NA_E_CONFIG);
    assert_string_equal(e.msg, "sw1: ssh_algorithms.kex is empty");
}

static int listener(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 512), 0); /* never accepted: room for every attempt */
    socklen_t l = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &l);
    *port = ntohs(a.sin_port);
    return fd;
}

static void silent_server_hits_kex_deadline(void **st)
{
    (void)st;
    int port, lfd = listener(&port); /* the kernel accepts; nobody ever speaks */
    na_conn_params p = params(&F.modern);
    p.port = port;
    p.timeouts.negotiate_ms = 800;
    na_err e = NA_ERR_INIT;
    na_transport *t;
    int64_t t0 = na_now_ms();
    na_status s = test_connect(&p, &t, &e);
    int64_t took = na_now_ms() - t0;
    close(lfd);
    assert_int_equal(s, NA_ERROR);
    assert_int_equal(e.code, NA_E_TIMEOUT);
    assert_string_equal(e.msg, "sw1: SSH key exchange did not complete within 0.8 s");
    assert_int_equal(t->info.phase, NA_PHASE_NEGOTIATE);
    assert_true(took >= 790 && took < 3000); /* ended at its deadline, generous margin */
    assert_true(t->info.wire_out > 0);       /* our banner went out */
    t->ops->destroy(t);
}

static void not_an_ssh_service(void **st)
{
    (void)st;
    int port, lfd = listener(&port);
    pid_t pid = fork();
    if (pid == 0) {
        int c = accept(lfd, NULL, NULL);
        const char *msg = "HTTP/1.1 400 Bad Request\r\n\r\n";
        ssize_t w = write(c, msg, strlen(msg));
        (void)w;
        close(c);
        _exit(0);
    }
    na_conn_params p = params(&F.modern);
    p.port = port;
    na_err e = NA_ERR_INIT;
    na_transport *t;
    na_status s = test_connect(&p, &t, &e);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(lfd);
    assert_int_equal(s, NA_ERROR);
    printf("# %s\n", e.msg);
    assert_int_equal(e.code, NA_E_PROTOCOL);
    assert_non_null(strstr(e.msg, "sw1: no SSH banner from the device (is port "));
    assert_non_null(strstr(e.msg, "it sent \"HTTP/1.1 400 Bad Request"));
    t->ops->destroy(t);
}

static void destroy_while_opening(void **st)
{
    (void)st;
    /* Stop at each early point of the set-up and destroy: everything must be freed (ASan
     * checks). The silent listener keeps the stopped hop waiting for a banner, before any key
     * exchange starts: libssh2 1.10 itself leaks 64 bytes when a session is freed in the
     * middle of a curve25519 exchange (see docs/ssh.md). Variants: direct; through a jump host
     * that is the silent one; through a working jump host to the silent one. */
    int port, lfd = listener(&port);
    na_conn_params silent_jump = params(&F.modern);
    silent_jump.name = "bastion";
    silent_jump.port = port;
    na_conn_params good_jump = params(&F.modern);
    good_jump.name = "bastion";
    for (int steps = 0; steps < 8; steps++) {
        for (int variant = 0; variant < 3; variant++) {
            na_conn_params p = params(&F.modern);
            if (variant == 0) {
                p.port = port;
            } else if (variant == 1) {
                p.jump = &silent_jump;
            } else {
                p.jump = &good_jump;
                p.port = port;
            }
            na_err e = NA_ERR_INIT;
            na_transport *t = na_ssh_new(&p, &e);
            assert_non_null(t);
            /* variant 2: let the jump host's own session finish first (see above) */
            int64_t dl = na_now_ms() + 10000;
            while (variant == 2 && na_now_ms() < dl) {
                assert_int_equal(t->ops->open(t, &e), NA_AGAIN);
                if (t->info.phase == NA_PHASE_NEGOTIATE)
                    break;
                na_transport_wait(t, dl, &e);
            }
            for (int i = 0; i < steps; i++) {
                if (t->ops->open(t, &e) != NA_AGAIN)
                    break;
                na_transport_wait(t, na_now_ms() + 50, &e);
            }
            if (na_err_isset(&e))
                fail_msg("variant %d step %d: %s", variant, steps, e.msg);
            t->ops->destroy(t);
        }
    }
    close(lfd);
}

static void closed_port_is_refused(void **st)
{
    (void)st;
    int port, lfd = listener(&port);
    close(lfd);
    na_conn_params p = params(&F.modern);
    p.port = port;
    na_err e = NA_ERR_INIT;
    na_transport *t;
    assert_int_equal(test_connect(&p, &t, &e), NA_ERROR);
    assert_int_equal(e.code, NA_E_REFUSED);
    assert_non_null(strstr(e.msg, "sw1: connection refused by 127.0.0.1:"));
    assert_int_equal(t->info.phase, NA_PHASE_CONNECT);
    t->ops->destroy(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(secure_defaults),
        cmocka_unit_test(modern_server_negotiated_and_reported),
        cmocka_unit_test(legacy_server_needs_opt_in),
        cmocka_unit_test(cbc_cipher_needs_opt_in),
        cmocka_unit_test(sha1_mac_needs_opt_in),
        cmocka_unit_test(server_offers_only_unsupported),
        cmocka_unit_test(bad_algorithm_names),
        cmocka_unit_test(silent_server_hits_kex_deadline),
        cmocka_unit_test(not_an_ssh_service),
        cmocka_unit_test(destroy_while_opening),
        cmocka_unit_test(closed_port_is_refused),
    };
    return cmocka_run_group_tests_name("ssh_negotiate", tests, setup, teardown);
}
