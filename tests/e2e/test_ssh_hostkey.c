/* test_ssh_hostkey.c — host key policies against a real sshd: strict refuses an unknown key
 * naming its SHA256 fingerprint (checked against ssh-keygen -lf) and how to accept it;
 * accept-new records it (file and directory created with safe modes, a line OpenSSH itself
 * finds) and a strict reconnect then succeeds; a changed key (sshd restarted with new keys) is
 * refused by strict and accept-new with both fingerprints; off accepts anything; unparsable
 * known_hosts lines are skipped; the recorded key type is preferred (as OpenSSH does), a key of
 * another type is reported as such, and accept-new refuses it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "log.h"
#include "ssh.h"
#include "ssh_common.h"

#include <sys/stat.h>

typedef struct fx {
    na_sshd sshd;
    char dir[256];
    char key[320];
    char fp_ed25519[96];
    int case_no;
} fx;

static fx F;

static int setup(void **st)
{
    (void)st;
    char eb[2048];
    if (na_sshd_mkdtemp("sshhk", F.dir, sizeof F.dir) < 0)
        return -1;
    if (na_sshd_start(&F.sshd, NULL, eb, sizeof eb) < 0) {
        fprintf(stderr, "# sshd: %s\n", eb);
        return -1;
    }
    snprintf(F.key, sizeof F.key, "%s/id_ed25519", F.dir);
    char pub[340];
    snprintf(pub, sizeof pub, "%s.pub", F.key);
    if (na_sshd_keygen(F.key, "ed25519", NULL) < 0 || na_sshd_authorize(&F.sshd, pub) < 0)
        return -1;
    snprintf(pub, sizeof pub, "%s.pub", F.sshd.host_key_ed25519);
    return test_ssh_keygen_fp(pub, F.fp_ed25519, sizeof F.fp_ed25519);
}

static int teardown(void **st)
{
    (void)st;
    na_sshd_stop(&F.sshd);
    na_sshd_rm_rf(F.dir);
    return 0;
}

/* a fresh known_hosts path for each case (the file does not exist yet) */
static void fresh_path(char *out, size_t cap, const char *sub)
{
    snprintf(out, cap, "%s/case%d/%s", F.dir, ++F.case_no, sub);
}

static na_conn_params params(const char *known_hosts, na_hostkey_policy pol)
{
    na_conn_params p = {.name = "sw1", .host = "127.0.0.1", .port = F.sshd.port,
                        .username = test_me(), .key_file = F.key, .known_hosts = known_hosts,
                        .host_key_policy = pol, .no_shell = true};
    return p;
}

static void strict_unknown_is_refused_with_fingerprint(void **st)
{
    (void)st;
    char kh[400];
    fresh_path(kh, sizeof kh, "known_hosts");
    na_conn_params p = params(kh, NA_HOSTKEY_STRICT);
    na_err e = NA_ERR_INIT;
    na_transport *t;
    assert_int_equal(test_connect(&p, &t, &e), NA_ERROR);
    assert_int_equal(e.code, NA_E_HOSTKEY_UNKNOWN);
    char want[300];
    snprintf(want, sizeof want, "sw1: the host key of [127.0.0.1]:%d is not known: ssh-ed25519 %s",
             F.sshd.port, F.fp_ed25519);
    if (!strstr(e.msg, want))
        fail_msg("message: %s\nwanted: %s", e.msg, want);
    assert_non_null(strstr(e.msg, "accept-new"));
    assert_string_equal(t->info.host_key_fp, F.fp_ed25519);
    assert_string_equal(t->info.host_key_type, "ssh-ed25519");
    assert_int_equal(t->info.phase, NA_PHASE_NEGOTIATE);
    t->ops->destroy(t);
    struct stat sb;
    assert_int_not_equal(stat(kh, &sb), 0); /* strict never writes */
}

static void accept_new_records_then_strict_works(void **st)
{
    (void)st;
    char kh[400];
    fresh_path(kh, sizeof kh, "sub/dir/known_hosts"); /* directories do not exist yet */
    na_conn_params p = params(kh, NA_HOSTKEY_ACCEPT_NEW);
    na_err e = NA_ERR_INIT;
    na_transport *t;
    assert_status(test_connect(&p, &t, &e), NA_OK, &e);
    t->ops->destroy(t);
    struct stat sb;
    assert_int_equal(stat(kh, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    char d[400];
    snprintf(d, sizeof d, "%s", kh);
    *strrchr(d, '/') = '\0';
    assert_int_equal(stat(d, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    /* one line, in the [host]:port form, that OpenSSH's own tools find */
    FILE *f = fopen(kh, "r");
    char line[2048] = "", extra[16];
    assert_non_null(fgets(line, sizeof line, f));
    assert_null(fgets(extra, sizeof extra, f));
    fclose(f);
    char prefix[64];
    snprintf(prefix, sizeof prefix, "[127.0.0.1]:%d ssh-ed25519 AAAA", F.sshd.port);
    assert_memory_equal(line, prefix, strlen(prefix));
    char cmd[700];
    snprintf(cmd, sizeof cmd, "/usr/bin/ssh-keygen -F '[127.0.0.1]:%d' -f '%s' >/dev/null",
             F.sshd.port, kh);
    assert_int_equal(system(cmd), 0);
    /* now known: strict accepts, accept-new does not add a second line */
    p.host_key_policy = NA_HOSTKEY_STRICT;
    assert_status(test_connect(&p, &t, &e), NA_OK, &e);
    t->ops->destroy(t);
    p.host_key_policy = NA_HOSTKEY_ACCEPT_NEW;
    assert_status(test_connect(&p, &t, &e), NA_OK, &e);
    t->ops->destroy(t);
    f = fopen(kh, "r");
    int lines = 0;
    while (fgets(line, sizeof line, f))
        lines++;
    fclose(f);
    assert_int_equal(lines, 1);
}

static void unparsable_lines_are_skipped(void **st)
{
    (void)st;
    char kh[400], good[400];
    fresh_path(kh, sizeof kh, "known_hosts");
    snprintf(good, sizeof good, "%s.good", kh);
    char d[400];
    snprintf(d, sizeof d, "%s", kh);
    *strrchr(d, '/') = '\0';
    mkdir(d, 0700);
    assert_int_equal(na_sshd_write_known_hosts(&F.sshd, good), 0);
    char cmd[1400];
    snprintf(cmd, sizeof cmd,
             "{ echo '# a comment'; echo '@cert-authority *.example.com ssh-ed25519 AAAAC3Nz';"
             " echo 'weird.example sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5';"
             " echo 'garbage'; echo; cat '%s'; } > '%s'", good, kh);
    assert_int_equal(system(cmd), 0);
    na_conn_params p = params(kh, NA_HOSTKEY_STRICT);
    na_err e = NA_ERR_INIT;
    na_transport *t;
    assert_status(test_connect(&p, &t, &e), NA_OK, &e);
    t->ops->destroy(t);
}

static void hashed_entries(void **st)
{
    (void)st;
    char kh[400];
    fresh_path(kh, sizeof kh, "known_hosts");
    char d[400];
    snprintf(d, sizeof d, "%s", kh);
    *strrchr(d, '/') = '\0';
    mkdir(d, 0700);
    assert_int_equal(na_sshd_write_known_hosts(&F.sshd, kh), 0);
    char cmd[900];
    snprintf(cmd, sizeof cmd, "/usr/bin/ssh-keygen -q -H -f '%s' >/dev/null 2>&1 && "
             "grep -q '^|1|' '%s' && ! grep -q 127.0.0.1 '%s'", kh, kh, kh);
    assert_int_equal(system(cmd), 0);
    na_conn_params p = params(kh, NA_HOSTKEY_STRICT);
    na_err e = NA_ERR_INIT;
    na_transport *t;
    assert_status(test_connect(&p, &t, &e), NA_OK, &e);
    t->ops->destroy(t);
}

static void revoked_key_is_refused(void **st)
{
    (void)st;
    char kh[400], good[400];
    fresh_path(kh, sizeof kh, "known_hosts");
    snprintf(good, sizeof good, "%s.good", kh);
    char d[400];
    snprintf(d, sizeof d, "%s", kh);
    *strrchr(d, '/') = '\0';
    mkdir(d, 0700);
    assert_int_equal(na_sshd_write_known_hosts(&F.sshd, good), 0);
    /* the key is recorded for the host AND revoked (for every host): revocation wins */
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "{ cat '%s'; printf '@revoked * '; cut -d' ' -f1,2 '%s.pub'; } > '%s'",
             good, F.sshd.host_key_ed25519, kh);
    assert_int_equal(system(cmd), 0);
    na_conn_params p = params(kh, NA_HOSTKEY_STRICT);
    na_err e = NA_ERR_INIT;
    na_transport *t;
    assert_int_equal(test_connect(&p, &t, &e), NA_ERROR);
    assert_int_equal(e.code, NA_E_HOSTKEY_CHANGED);
    assert_non_null(strstr(e.msg, "is marked @revoked in"));
    assert_non_null(strstr(e.msg, F.fp_ed25519));
    t->ops->destroy(t);
}

static void other_key_type_only(void **st)
{
    (void)st;
    char kh[400], both[400];
    fresh_path(kh, sizeof kh, "known_hosts");
    snprintf(both, sizeof both, "%s.both", kh);
    char d[400];
    snprintf(d, sizeof d, "%s", kh);
    *strrchr(d, '/') = '\0';
    mkdir(d, 0700);
    assert_int_equal(na_sshd_write_known_hosts(&F.sshd, both), 0);
    char cmd[900];
    snprintf(cmd, sizeof cmd, "grep ssh-rsa '%s' > '%s'", both, kh);
    assert_int_equal(system(cmd), 0);
    char rsa_fp[96], pub[340];
    snprintf(pub, sizeof pub, "%s.pub", F.sshd.host_key_rsa);
    assert_int_equal(test_ssh_keygen_fp(pub, rsa_fp, sizeof rsa_fp), 0);

    /* as OpenSSH does, the host key algorithms for the recorded type come first: the server
     * has both keys, so the recorded RSA key is the one negotiated (with SHA-2 signatures) */
    na_conn_params p = params(kh, NA_HOSTKEY_STRICT);
    na_err e = NA_ERR_INIT;
    na_transport *t;
    assert_status(test_connect(&p, &t, &e), NA_OK, &e);
    assert_string_equal(t->info.host_key_type, "rsa-sha2-512");
    assert_string_equal(t->info.host_key_fp, rsa_fp);
    t->ops->destroy(t);

    /* an explicit list without RSA: the Ed25519 key is presented, and only an RSA key is known */
    p.algos.host_keys = "ssh-ed25519";
    na_err_clear(&e);
    assert_int_equal(test_connect(&p, &t, &e), NA_ERROR);
    assert_int_equal(e.code, NA_E_HOSTKEY_UNKNOWN);
    assert_non_null(strstr(e.msg, "only keys of another type are recorded"));
    t->ops->destroy(t);

    /* accept-new does not add a key of another type (OpenSSH neither): refused, with both
     * fingerprints, and the file is left alone */
    struct stat before, after;
    assert_int_equal(stat(kh, &before), 0);
    p.host_key_policy = NA_HOSTKEY_ACCEPT_NEW;
    na_err_clear(&e);
    assert_int_equal(test_connect(&p, &t, &e), NA_ERROR);
    assert_int_equal(e.code, NA_E_HOSTKEY_CHANGED);
    char want[400];
    snprintf(want, sizeof want, "presents a ssh-ed25519 host key %s, but a ssh-rsa key %s is "
             "recorded for it (%s:1); accept-new does not add a key of another type", F.fp_ed25519,
             rsa_fp, kh);
    if (!strstr(e.msg, want))
        fail_msg("message: %s\nwanted: %s", e.msg, want);
    t->ops->destroy(t);
    assert_int_equal(stat(kh, &after), 0);
    assert_int_equal(before.st_size, after.st_size);
}

static void changed_key_is_refused_with_both_fingerprints(void **st)
{
    (void)st;
    char kh[400];
    fresh_path(kh, sizeof kh, "known_hosts");
    na_conn_params p = params(kh, NA_HOSTKEY_ACCEPT_NEW);
    na_err e = NA_ERR_INIT;
    na_transport *t;
    assert_status(test_connect(&p, &t, &e), NA_OK, &e); /* records the current key */
    t->ops->destroy(t);
    char old_fp[96];
    snprintf(old_fp, sizeof old_fp, "%s", F.fp_ed25519);

    char eb[2048];
    if (na_sshd_restart(&F.sshd, true, eb, sizeof eb) < 0)
        fail_msg("restart: %s", eb);
    char pub[340];
    snprintf(pub, sizeof pub, "%s.pub", F.sshd.host_key_ed25519);
    assert_int_equal(test_ssh_keygen_fp(pub, F.fp_ed25519, sizeof F.fp_ed25519), 0);
    assert_string_not_equal(old_fp, F.fp_ed25519);

    na_hostkey_policy pols[2] = {NA_HOSTKEY_STRICT, NA_HOSTKEY_ACCEPT_NEW};
    for (int i = 0; i < 2; i++) {
        na_err_clear(&e);
        p.host_key_policy = pols[i];
        assert_int_equal(test_connect(&p, &t, &e), NA_ERROR);
        assert_int_equal(e.code, NA_E_HOSTKEY_CHANGED);
        char want[400];
        snprintf(want, sizeof want, "has CHANGED: recorded %s, presented %s", old_fp,
                 F.fp_ed25519);
        if (!strstr(e.msg, want))
            fail_msg("message: %s\nwanted: %s", e.msg, want);
        assert_non_null(strstr(e.msg, "ssh-keygen -R"));
        t->ops->destroy(t);
    }

    /* off: accepted (warned about), nothing written */
    struct stat before, after;
    assert_int_equal(stat(kh, &before), 0);
    p.host_key_policy = NA_HOSTKEY_OFF;
    na_err_clear(&e);
    assert_status(test_connect(&p, &t, &e), NA_OK, &e);
    assert_string_equal(t->info.host_key_fp, F.fp_ed25519);
    t->ops->destroy(t);
    assert_int_equal(stat(kh, &after), 0);
    assert_int_equal(before.st_size, after.st_size);
}

static void off_accepts_unknown_and_warns_once(void **st)
{
    (void)st;
    char logpath[400];
    snprintf(logpath, sizeof logpath, "%s/warn.log", F.dir);
    FILE *lf = fopen(logpath, "w");
    na_log_set_file(lf);
    na_conn_params p = params(NULL, NA_HOSTKEY_OFF);
    p.known_hosts = "/nonexistent/never/read";
    p.host = "::ffff:127.0.0.1"; /* an address no earlier case used: its first warning */
    na_err e = NA_ERR_INIT;
    na_transport *t;
    for (int i = 0; i < 2; i++) {
        assert_status(test_connect(&p, &t, &e), NA_OK, &e);
        t->ops->destroy(t);
    }
    na_log_set_file(stderr);
    fclose(lf);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "test \"$(grep -c 'HOST KEY NOT VERIFIED' '%s')\" = 1", logpath);
    assert_int_equal(system(cmd), 0);
}

static void fingerprint_helper_matches_openssh(void **st)
{
    (void)st;
    /* the raw key blob is the base64 field of the .pub file */
    char pub[340];
    snprintf(pub, sizeof pub, "%s.pub", F.key);
    FILE *f = fopen(pub, "r");
    char type[64], b64[1024];
    assert_int_equal(fscanf(f, "%63s %1023s", type, b64), 2);
    fclose(f);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "echo '%s' | base64 -d > '%s/blob'", b64, F.dir);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s/blob", F.dir);
    f = fopen(cmd, "rb");
    unsigned char blob[512];
    size_t n = fread(blob, 1, sizeof blob, f);
    fclose(f);
    char fp[96], want[96];
    assert_int_equal(na_ssh_fingerprint(blob, n, fp, sizeof fp), 0);
    assert_int_equal(test_ssh_keygen_fp(pub, want, sizeof want), 0);
    assert_string_equal(fp, want);
    assert_int_equal(na_ssh_fingerprint(blob, n, fp, 20), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(strict_unknown_is_refused_with_fingerprint),
        cmocka_unit_test(accept_new_records_then_strict_works),
        cmocka_unit_test(unparsable_lines_are_skipped),
        cmocka_unit_test(hashed_entries),
        cmocka_unit_test(revoked_key_is_refused),
        cmocka_unit_test(other_key_type_only),
        cmocka_unit_test(changed_key_is_refused_with_both_fingerprints),
        cmocka_unit_test(off_accepts_unknown_and_warns_once),
        cmocka_unit_test(fingerprint_helper_matches_openssh),
    };
    return cmocka_run_group_tests_name("ssh_hostkey", tests, setup, teardown);
}
