/* test_avault.c — unit tests for inventory/avault.c (Ansible Vault 1.1/1.2) and the password
 * sources shared with netauto's vault: files made by ansible-vault decrypt byte for byte, a 1.2
 * vault id picks its key first, a wrong password / a changed byte / a truncated file / a bad
 * envelope are clear errors that never show the password, no key at all says how to give one,
 * our own encryption round-trips, password files are read (first line) or run (executable:
 * first line of stdout, --vault-id LABEL for *-client scripts, stderr shown on failure,
 * bounded time). The differential tests with ansible-vault at test time are in
 * tests/e2e/test_inventory_ansible.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "avault.h"
#include "secret.h"
#include "vault.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Made with ansible-vault 2.14.18 (ansible-core, Debian 12):
 *   printf 'enable_secret: "s3cret value"\nlist: [1, 2]\n' > p1
 *   ansible-vault encrypt --vault-password-file fpw p1 --output f11.txt
 *   ansible-vault encrypt --vault-id core@fpw p1 --output f12.txt
 *   ansible-vault encrypt_string --vault-password-file fpw 'inline-secret-42' --name x
 * with fpw holding "ansible-vault-fixture-pw". */
static const char FPW[] = "ansible-vault-fixture-pw";
static const char PLAIN[] = "enable_secret: \"s3cret value\"\nlist: [1, 2]\n";
static const char F11[] =
    "$ANSIBLE_VAULT;1.1;AES256\n"
    "35646463353234353061663363306463343035616261303233616461343031666364393162343738\n"
    "3832323332623034353464313963363064656135316363300a613761663963653866336161323536\n"
    "61306261636237386466623465383834626266393662636434633462313466303365616165643439\n"
    "3832366638393962360a313039356334616166356630353033643962326264366535356664383434\n"
    "62393937383734346438633764383934303439633731653432323363613532333636653062396165\n"
    "3363616337633166366336333863306336323438343133316266\n";
static const char F12[] =
    "$ANSIBLE_VAULT;1.2;AES256;core\n"
    "62383565633230336538323938303862356462303535636239316162346363363337636238386665\n"
    "3930373531666538656539396533353439383536336438640a303636616139316232616266396137\n"
    "31656630306236363266303136366661323664353135636334353630636630306239653739396234\n"
    "6634346163636334380a623935653030616330663533633133623636626131623538646462663837\n"
    "38343536326633326133326131373337343933336231633434303563643530653031396666383534\n"
    "3839353232363865303430303035633430613564386135306564\n";
/* the inline value as YAML hands it over: the block's indentation removed */
static const char INLINE[] =
    "$ANSIBLE_VAULT;1.1;AES256\n"
    "61366638316663643163393238303861323062643830386531323837346132633635363961393338\n"
    "6637323836616663353664333862363932346637373663300a623934303663373631353837313139\n"
    "62386666643739353362366665646363326434306664633265336134383733323464383165643262\n"
    "6533626338326434300a396438303936376263623565383134353338613364323738386165653065\n"
    "38393264386330343631653331383733373430636131353839646466386135313933";

static char dir[] = "/tmp/na-avault.XXXXXX";

static void path_in(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

static void write_file(const char *name, const char *text, mode_t mode)
{
    char p[600];
    path_in(p, sizeof p, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    chmod(p, mode);
}

static int decrypt(na_avault_keys *k, const char *data, na_buf *out, na_err *e)
{
    na_buf_init(out, 0);
    na_err_clear(e);
    return na_avault_decrypt(k, "f.yml", data, strlen(data), out, e);
}

static void files_made_by_ansible_vault(void **st)
{
    (void)st;
    na_avault_keys *k = na_avault_keys_new(NULL, NULL);
    na_err e = NA_ERR_INIT;
    assert_int_equal(na_avault_keys_add_pass(k, "default", FPW, &e), 0);
    na_buf out;
    assert_true(na_avault_is_vault(F11, strlen(F11)));
    assert_false(na_avault_is_vault(PLAIN, strlen(PLAIN)));
    assert_int_equal(decrypt(k, F11, &out, &e), 0);
    assert_int_equal(out.len, strlen(PLAIN));
    assert_memory_equal(out.data, PLAIN, out.len);
    na_buf_free(&out);
    assert_int_equal(decrypt(k, F12, &out, &e), 0); /* 1.2: any key may fit */
    assert_memory_equal(out.data, PLAIN, out.len);
    na_buf_free(&out);
    assert_int_equal(decrypt(k, INLINE, &out, &e), 0);
    assert_string_equal(na_buf_cstr(&out), "inline-secret-42");
    na_buf_free(&out);
    na_avault_keys_free(k);
}

static void vault_ids_and_wrong_passwords(void **st)
{
    (void)st;
    na_err e = NA_ERR_INIT;
    na_buf out;
    /* the key labelled like the 1.2 header is tried first; others after it */
    na_avault_keys *k = na_avault_keys_new(NULL, NULL);
    na_avault_keys_add_pass(k, "default", "not-this-one", &e);
    na_avault_keys_add_pass(k, "core", FPW, &e);
    assert_int_equal(decrypt(k, F12, &out, &e), 0);
    na_buf_free(&out);
    assert_int_equal(decrypt(k, F11, &out, &e), 0); /* found after the wrong one */
    na_buf_free(&out);
    na_avault_keys_free(k);

    k = na_avault_keys_new(NULL, NULL);
    na_avault_keys_add_pass(k, "core", "wrong-password-123", &e);
    assert_int_equal(decrypt(k, F12, &out, &e), -1);
    assert_int_equal(e.code, NA_E_CONFIG);
    assert_string_equal(e.msg, "f.yml: wrong Ansible Vault password (1 password tried, vault "
                               "id 'core')");
    na_buf_free(&out);
    /* every changed byte of the data (not the header) is refused, never garbage */
    char *bad = strdup(F11);
    size_t body = strlen("$ANSIBLE_VAULT;1.1;AES256\n");
    for (size_t i = body; i < strlen(F11); i += 7) {
        if (bad[i] == '\n')
            continue;
        char was = bad[i];
        bad[i] = was == '3' ? '4' : '3';
        na_avault_keys *good = na_avault_keys_new(NULL, NULL);
        na_avault_keys_add_pass(good, "default", FPW, &e);
        int rc = decrypt(good, bad, &out, &e);
        if (rc == 0)
            fail_msg("byte %zu changed, still decrypted", i);
        assert_null(strstr(e.msg, FPW));
        na_buf_free(&out);
        na_avault_keys_free(good);
        bad[i] = was;
    }
    free(bad);
    na_avault_keys_free(k);
}

static void envelopes_and_no_keys(void **st)
{
    (void)st;
    na_err e = NA_ERR_INIT;
    na_buf out;
    assert_int_equal(decrypt(NULL, F12, &out, &e), -1);
    assert_int_equal(e.code, NA_E_USAGE);
    assert_string_equal(e.msg, "f.yml is encrypted with Ansible Vault (vault id 'core'): give "
                               "its password with --vault-id, --vault-password-file or "
                               "ANSIBLE_VAULT_PASSWORD_FILE");
    na_buf_free(&out);
    na_avault_keys *k = na_avault_keys_new(NULL, NULL);
    na_avault_keys_add_pass(k, "default", FPW, &e);
    static const struct { const char *data, *msg; } bad[] = {
        {"$ANSIBLE_VAULT;1.0;AES\n6162\n", "f.yml: Ansible Vault version '1.0' is not supported "
                                           "(netauto reads 1.1 and 1.2; rekey it with a "
                                           "current ansible-vault)"},
        {"$ANSIBLE_VAULT;1.1;AES128\n6162\n", "f.yml: Ansible Vault cipher 'AES128' is not "
                                              "supported (only AES256)"},
        {"$ANSIBLE_VAULT;1.1;AES256\nzz\n", "f.yml: Ansible Vault format error: the data is "
                                            "not hexadecimal"},
        {"$ANSIBLE_VAULT;1.1;AES256\n6162\n", "f.yml: Ansible Vault format error: expected "
                                              "salt, HMAC and ciphertext"},
        {"$ANSIBLE_VAULT\n", "f.yml: Ansible Vault format error: the header is not "
                             "$ANSIBLE_VAULT;VERSION;CIPHER"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (decrypt(k, bad[i].data, &out, &e) == 0 || strcmp(e.msg, bad[i].msg) != 0)
            fail_msg("case %zu: got '%s'", i, e.msg);
        na_buf_free(&out);
    }
    /* a truncated file */
    char cut[200];
    snprintf(cut, sizeof cut, "%.180s", F11);
    assert_int_equal(decrypt(k, cut, &out, &e), -1);
    na_buf_free(&out);
    na_avault_keys_free(k);
}

static void our_encryption_round_trips(void **st)
{
    (void)st;
    na_err e = NA_ERR_INIT;
    na_buf enc, out;
    const char *ids[] = {NULL, "lab"};
    for (int i = 0; i < 2; i++) {
        na_buf_init(&enc, 0);
        assert_int_equal(na_avault_encrypt(PLAIN, strlen(PLAIN), "rt-pass", ids[i], &enc, &e), 0);
        assert_int_equal(strncmp(enc.data, i ? "$ANSIBLE_VAULT;1.2;AES256;lab\n"
                                             : "$ANSIBLE_VAULT;1.1;AES256\n", i ? 30 : 26), 0);
        assert_int_equal(strcspn(strchr(enc.data, '\n') + 1, "\n"), 80);
        na_avault_keys *k = na_avault_keys_new(NULL, NULL);
        na_avault_keys_add_pass(k, "x", "rt-pass", &e);
        assert_int_equal(decrypt(k, enc.data, &out, &e), 0);
        assert_string_equal(na_buf_cstr(&out), PLAIN);
        na_buf_free(&out);
        na_buf_free(&enc);
        na_avault_keys_free(k);
    }
}

static void password_sources(void **st)
{
    (void)st;
    na_err e = NA_ERR_INIT;
    char p[600];
    /* a file: its first line */
    write_file("pw.txt", "ansible-vault-fixture-pw\nignored second line\n", 0600);
    path_in(p, sizeof p, "pw.txt");
    char *pw = na_vault_pass_from_file("t", p, NULL, &e);
    assert_non_null(pw);
    assert_string_equal(pw, FPW);
    na_secret_free(pw);
    /* an executable: run, first line of stdout; a *-client script gets --vault-id LABEL */
    write_file("pw.sh", "#!/bin/sh\necho ansible-vault-fixture-pw\necho more\n", 0700);
    path_in(p, sizeof p, "pw.sh");
    pw = na_vault_pass_from_file("t", p, "core", &e);
    assert_non_null(pw);
    assert_string_equal(pw, FPW);
    na_secret_free(pw);
    write_file("vault-client.sh", "#!/bin/sh\n[ \"$1\" = --vault-id ] && echo \"pw-for-$2\"\n",
               0700);
    path_in(p, sizeof p, "vault-client.sh");
    pw = na_vault_pass_from_file("t", p, "core", &e);
    assert_non_null(pw);
    assert_string_equal(pw, "pw-for-core");
    na_secret_free(pw);
    /* a failing script: its exit status and stderr */
    write_file("bad.sh", "#!/bin/sh\necho 'no such key' >&2\nexit 3\n", 0700);
    path_in(p, sizeof p, "bad.sh");
    na_err_clear(&e);
    assert_null(na_vault_pass_from_file("t", p, NULL, &e));
    assert_int_equal(e.code, NA_E_USAGE);
    assert_non_null(strstr(e.msg, "exited with status 3: no such key"));
    /* the key ring reads sources when needed: an id through a script decrypts the fixture */
    char id[700];
    path_in(p, sizeof p, "pw.sh");
    snprintf(id, sizeof id, "core@%s", p);
    na_avault_keys *k = na_avault_keys_new(NULL, NULL);
    assert_int_equal(na_avault_keys_add_id(k, id, &e), 0);
    na_buf out;
    assert_int_equal(decrypt(k, F12, &out, &e), 0);
    na_buf_free(&out);
    na_err_clear(&e);
    assert_int_equal(na_avault_keys_add_id(k, "x@/no/such/file", &e), -1);
    assert_string_equal(e.msg, "--vault-id 'x@/no/such/file': the vault password file "
                               "/no/such/file was not found");
    na_avault_keys_free(k);
}

static int setup(void **st)
{
    (void)st;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(files_made_by_ansible_vault),
        cmocka_unit_test(vault_ids_and_wrong_passwords),
        cmocka_unit_test(envelopes_and_no_keys),
        cmocka_unit_test(our_encryption_round_trips),
        cmocka_unit_test(password_sources),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
