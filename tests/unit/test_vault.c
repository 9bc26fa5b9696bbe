/* test_vault.c — unit tests for inventory/vault.c: round trip, the file format checked by an
 * independent decryption written here with OpenSSL, KDF parameters honoured, wrong passphrase
 * and every tampered byte refused with the same clear message, crafted headers refused without
 * allocating, plaintext validation, passphrase sources, atomic 0600 writes, and an inventory
 * resolving ${vault:NAME}. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "inventory.h"
#include "secret.h"
#include "vault.h"

#include <dirent.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const na_vault_kdf fast = {.N = 1024, .r = 8, .p = 1}; /* keeps the tests quick */
static const char plain[] = "enable_secret: \"en@ble s3cret\"\nsnmp: public-ro-77\n";

static char *encrypt_str(const char *text, const char *pass, const na_vault_kdf *kdf)
{
    na_err e = NA_ERR_INIT;
    na_buf out;
    na_buf_init(&out, 0);
    if (na_vault_encrypt("t.vault", text, strlen(text), pass, kdf, &out, &e) < 0)
        fail_msg("encrypt: %s", e.msg);
    return na_buf_steal(&out);
}

static int decrypt_str(const char *vault, const char *pass, na_buf *out, na_vault_kdf *kdf,
                       na_err *e)
{
    na_buf_init(out, 0);
    na_err_clear(e);
    return na_vault_decrypt("t.vault", vault, strlen(vault), pass, out, kdf, e);
}

static void round_trip(void **st)
{
    (void)st;
    char *v = encrypt_str(plain, "horse battery", &fast);
    assert_true(na_vault_is_vault(v, strlen(v)));
    assert_null(strstr(v, "s3cret"));
    assert_int_equal(strncmp(v, "$NETAUTO_VAULT;1;AES256-GCM;scrypt;N=1024,r=8,p=1\n", 50), 0);
    /* 64-column base64 lines */
    const char *body = strchr(v, '\n') + 1;
    assert_int_equal(strcspn(body, "\n"), 64);
    na_buf out;
    na_err e = NA_ERR_INIT;
    na_vault_kdf k;
    assert_int_equal(decrypt_str(v, "horse battery", &out, &k, &e), 0);
    assert_string_equal(na_buf_cstr(&out), plain);
    assert_int_equal(out.len, strlen(plain));
    assert_int_equal(k.N, 1024);
    assert_int_equal(k.r, 8);
    assert_int_equal(k.p, 1);
    na_buf_free(&out);
    /* fresh salt and nonce every time */
    char *v2 = encrypt_str(plain, "horse battery", &fast);
    assert_string_not_equal(v, v2);
    /* the empty vault works too */
    char *v3 = encrypt_str("", "horse battery", &fast);
    assert_int_equal(decrypt_str(v3, "horse battery", &out, NULL, &e), 0);
    assert_int_equal(out.len, 0);
    na_buf_free(&out);
    free(v);
    free(v2);
    free(v3);
}

/* Decrypt with OpenSSL directly, from the documented format and the header's parameters. */
static char *independent_decrypt(const char *vault, const char *pass)
{
    const char *nl = strchr(vault, '\n');
    char header[200];
    snprintf(header, sizeof header, "%.*s", (int)(nl - vault), vault);
    unsigned long long N;
    unsigned r, p;
    if (sscanf(header, "$NETAUTO_VAULT;1;AES256-GCM;scrypt;N=%llu,r=%u,p=%u", &N, &r, &p) != 3)
        return NULL;
    char b64[4096];
    size_t m = 0;
    for (const char *c = nl + 1; *c; c++)
        if (*c != '\n')
            b64[m++] = *c;
    unsigned char raw[4096];
    int rl = EVP_DecodeBlock(raw, (unsigned char *)b64, (int)m);
    while (m > 0 && b64[--m] == '=')
        rl--;
    unsigned char key[32];
    if (!EVP_PBE_scrypt(pass, strlen(pass), raw, 16, N, r, p, 1ull << 30, key, 32))
        return NULL;
    size_t clen = (size_t)rl - 16 - 12 - 16;
    char *out = calloc(1, clen + 1);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len, ok = EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, raw + 16);
    ok = ok && EVP_DecryptUpdate(c, NULL, &len, (unsigned char *)header, (int)strlen(header));
    ok = ok && EVP_DecryptUpdate(c, (unsigned char *)out, &len, raw + 28, (int)clen);
    ok = ok && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, raw + 28 + clen);
    ok = ok && EVP_DecryptFinal_ex(c, (unsigned char *)out + len, &len);
    EVP_CIPHER_CTX_free(c);
    if (!ok) {
        free(out);
        return NULL;
    }
    return out;
}

static void kdf_parameters_honoured(void **st)
{
    (void)st;
    const na_vault_kdf custom = {.N = 2048, .r = 4, .p = 2};
    char *v = encrypt_str(plain, "horse battery", &custom);
    assert_int_equal(strncmp(v, "$NETAUTO_VAULT;1;AES256-GCM;scrypt;N=2048,r=4,p=2\n", 50), 0);
    char *d = independent_decrypt(v, "horse battery");
    assert_non_null(d); /* the key really is scrypt(N=2048, r=4, p=2) */
    assert_string_equal(d, plain);
    free(d);
    assert_null(independent_decrypt(v, "horse batterx"));
    na_buf out;
    na_err e = NA_ERR_INIT;
    na_vault_kdf k;
    assert_int_equal(decrypt_str(v, "horse battery", &out, &k, &e), 0);
    assert_int_equal(k.N, 2048);
    assert_int_equal(k.r, 4);
    assert_int_equal(k.p, 2);
    na_buf_free(&out);
    free(v);

    /* the default: N=2^15, r=8, p=3 */
    v = encrypt_str(plain, "horse battery", NULL);
    assert_int_equal(strncmp(v, "$NETAUTO_VAULT;1;AES256-GCM;scrypt;N=32768,r=8,p=3\n", 51), 0);
    d = independent_decrypt(v, "horse battery");
    assert_non_null(d);
    assert_string_equal(d, plain);
    free(d);
    free(v);

    /* parameters a crafted file could use to exhaust memory are refused before any work */
    na_err_clear(&e);
    const na_vault_kdf huge = {.N = (uint64_t)1 << 30, .r = 8, .p = 1};
    na_buf_init(&out, 0);
    assert_int_equal(na_vault_encrypt("t.vault", "a: b", 4, "pw", &huge, &out, &e), -1);
    assert_string_equal(e.msg, "vault t.vault: unsupported scrypt parameters N=1073741824,r=8,p=1 "
                               "(N must be a power of two from 1024 to 1048576, r 1..32, p 1..16, "
                               "at most 1 GiB)");
    const char crafted[] = "$NETAUTO_VAULT;1;AES256-GCM;scrypt;N=4294967296,r=32,p=16\n"
                           "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n";
    assert_int_equal(decrypt_str(crafted, "pw", &out, NULL, &e), -1);
    assert_string_equal(e.msg, "vault t.vault: unsupported scrypt parameters N=4294967296,r=32,p=16 "
                               "(N must be a power of two from 1024 to 1048576, r 1..32, p 1..16, "
                               "at most 1 GiB)");
    const char v2[] = "$NETAUTO_VAULT;2;AES256-GCM;scrypt;N=1024,r=8,p=1\nAAAA\n";
    assert_int_equal(decrypt_str(v2, "pw", &out, NULL, &e), -1);
    assert_string_equal(e.msg, "vault t.vault: unsupported vault version '2' (this netauto reads 1)");
    assert_int_equal(decrypt_str("enable: x\n", "pw", &out, NULL, &e), -1);
    assert_string_equal(e.msg, "vault t.vault: not a netauto vault (encrypt it with: netauto "
                               "vault encrypt t.vault)");
    na_buf_free(&out);
}

static void wrong_passphrase_and_tampering(void **st)
{
    (void)st;
    na_secret_clear_registry();
    const char *msg = "vault t.vault: wrong passphrase or corrupted file";
    char *v = encrypt_str(plain, "horse battery", &fast);
    na_buf out;
    na_err e = NA_ERR_INIT;
    assert_int_equal(decrypt_str(v, "horse batterY", &out, NULL, &e), -1);
    assert_int_equal(e.code, NA_E_CONFIG);
    assert_string_equal(e.msg, msg);
    assert_int_equal(out.len, 0); /* never garbage */
    na_buf_free(&out);

    /* every byte of the body, changed to another base64 character, is caught */
    size_t hl = (size_t)(strchr(v, '\n') - v);
    size_t n = strlen(v), tried = 0;
    for (size_t i = hl + 1; i < n; i++) {
        if (v[i] == '\n' || v[i] == '=')
            continue;
        char saved = v[i];
        v[i] = saved == 'A' ? 'B' : 'A';
        int rc = decrypt_str(v, "horse battery", &out, NULL, &e);
        v[i] = saved;
        if (rc != -1 || strcmp(e.msg, msg) != 0 || out.len != 0)
            fail_msg("tampered byte %zu accepted or odd message: %s", i, e.msg);
        na_buf_free(&out);
        tried++;
    }
    assert_true(tried > 80);
    /* the header is authenticated: change p=1 to p=2, or N */
    char *t = strdup(v);
    t[hl - 1] = '2';
    assert_int_equal(decrypt_str(t, "horse battery", &out, NULL, &e), -1);
    assert_string_equal(e.msg, msg);
    strcpy(t, v);
    memcpy(strstr(t, "N=1024"), "N=2048", 6);
    assert_int_equal(decrypt_str(t, "horse battery", &out, NULL, &e), -1);
    assert_string_equal(e.msg, msg);
    /* truncation and extra bytes */
    strcpy(t, v);
    t[n - 10] = '\0';
    assert_int_equal(decrypt_str(t, "horse battery", &out, NULL, &e), -1);
    assert_string_equal(e.msg, msg);
    assert_int_equal(decrypt_str("$NETAUTO_VAULT;1;AES256-GCM;scrypt;N=1024,r=8,p=1\nAAAA\n",
                                 "horse battery", &out, NULL, &e), -1);
    assert_string_equal(e.msg, msg);
    na_buf_free(&out);
    free(t);
    free(v);
}

static void plaintext_checks(void **st)
{
    (void)st;
    na_secret_clear_registry();
    static const struct { const char *text, *msg; } bad[] = {
        {"- a\n- b\n", "p.yaml:1:1: a vault holds a YAML mapping of NAME: secret"},
        {"a: 1\nb c: 2\n", "p.yaml:2:1: vault names are letters, digits, '_', '-' and '.'"},
        {"a: 1\nb: 2\na: 3\n", "p.yaml:3:1: duplicate vault name 'a' (first at line 1)"},
        {"a: [1, 2]\n", "p.yaml:1:4: vault entry 'a' must be a string"},
        {"a: 'x\n", "p.yaml:2:1: found unexpected end of stream while scanning a quoted scalar"},
    };
    na_err e = NA_ERR_INIT;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        na_err_clear(&e);
        if (na_vault_check_plain("p.yaml", bad[i].text, strlen(bad[i].text), &e) != -1 ||
            strcmp(e.msg, bad[i].msg) != 0)
            fail_msg("case %zu: got '%s' want '%s'", i, e.msg, bad[i].msg);
    }
    assert_int_equal(na_vault_check_plain("p.yaml", "", 0, &e), 0);
    assert_int_equal(na_vault_check_plain("p.yaml", "# only a comment\n", 17, &e), 0);
    assert_int_equal(na_vault_check_plain("p.yaml", plain, strlen(plain), &e), 0);

    char *v = encrypt_str(plain, "horse battery", &fast);
    na_err_clear(&e);
    na_vault *vault = na_vault_open_mem("t.vault", v, strlen(v), "horse battery", &e);
    assert_non_null(vault);
    assert_int_equal(na_vault_count(vault), 2);
    assert_string_equal(na_vault_get(vault, "enable_secret"), "en@ble s3cret");
    assert_string_equal(na_vault_get(vault, "snmp"), "public-ro-77");
    assert_null(na_vault_get(vault, "nope"));
    assert_true(na_contains_secret("public-ro-77", 12)); /* registered for redaction */
    na_vault_free(vault);
    free(v);
    v = encrypt_str("a: [1]\n", "horse battery", &fast);
    assert_null(na_vault_open_mem("t.vault", v, strlen(v), "horse battery", &e));
    assert_string_equal(e.msg, "t.vault (decrypted):1:4: vault entry 'a' must be a string");
    free(v);
}

/* ---- passphrase sources and files --------------------------------------------------------- */

static int prompts;

static int fake_prompt(const char *prompt, char *buf, size_t cap, void *ud, na_err *err)
{
    (void)err;
    const char *const *answers = ud;
    assert_non_null(strstr(prompt, "t.vault"));
    snprintf(buf, cap, "%s", answers[prompts++]);
    return 0;
}

static char dir[64];

static void path_in(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

static void write_text(const char *name, const char *text)
{
    char p[200];
    path_in(p, sizeof p, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void passphrase_sources(void **st)
{
    (void)st;
    na_err e = NA_ERR_INIT;
    unsetenv("NETAUTO_VAULT_PASSWORD");
    char pf[200];
    path_in(pf, sizeof pf, "pass.txt");
    write_text("pass.txt", "from-file-pass\nsecond line ignored\n");
    static const char *const same[] = {"typed-pass", "typed-pass"};
    static const char *const differ[] = {"typed-pass", "typo-pass"};

    char *p = na_vault_passphrase("t.vault", "explicit", pf, fake_prompt, (void *)same, false, &e);
    assert_string_equal(p, "explicit");
    na_secret_free(p);
    p = na_vault_passphrase("t.vault", NULL, pf, fake_prompt, (void *)same, false, &e);
    assert_string_equal(p, "from-file-pass");
    na_secret_free(p);
    setenv("NETAUTO_VAULT_PASSWORD", "from-env-pass", 1);
    p = na_vault_passphrase("t.vault", NULL, pf, fake_prompt, (void *)same, false, &e);
    assert_string_equal(p, "from-file-pass"); /* an explicit file beats the environment */
    na_secret_free(p);
    p = na_vault_passphrase("t.vault", NULL, NULL, fake_prompt, (void *)same, false, &e);
    assert_string_equal(p, "from-env-pass");
    na_secret_free(p);
    unsetenv("NETAUTO_VAULT_PASSWORD");
    prompts = 0;
    p = na_vault_passphrase("t.vault", NULL, NULL, fake_prompt, (void *)same, true, &e);
    assert_string_equal(p, "typed-pass");
    assert_int_equal(prompts, 2);
    na_secret_free(p);
    prompts = 0;
    assert_null(na_vault_passphrase("t.vault", NULL, NULL, fake_prompt, (void *)differ, true, &e));
    assert_string_equal(e.msg, "vault t.vault: the passphrases do not match");
    na_err_clear(&e);
    assert_null(na_vault_passphrase("t.vault", NULL, NULL, NULL, NULL, false, &e));
    assert_int_equal(e.code, NA_E_USAGE);
    assert_string_equal(e.msg, "vault t.vault: no passphrase: set NETAUTO_VAULT_PASSWORD, use "
                               "--vault-password-file FILE, or run on a terminal");
    na_err_clear(&e);
    write_text("empty.txt", "\n");
    path_in(pf, sizeof pf, "empty.txt");
    assert_null(na_vault_passphrase("t.vault", NULL, pf, NULL, NULL, false, &e));
    assert_non_null(strstr(e.msg, "is empty"));
}

static void atomic_write(void **st)
{
    (void)st;
    na_err e = NA_ERR_INIT;
    char p[200];
    path_in(p, sizeof p, "w.vault");
    write_text("w.vault", "old contents\n");
    chmod(p, 0644);
    assert_int_equal(na_vault_write_file(p, "new", 3, &e), 0);
    struct stat sb;
    assert_int_equal(stat(p, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    na_buf b;
    assert_int_equal(na_vault_read_file(p, 100, &b, &e), 0);
    assert_string_equal(na_buf_cstr(&b), "new");
    na_buf_free(&b);
    /* no temporary file left behind */
    DIR *d = opendir(dir);
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        assert_null(strstr(de->d_name, ".tmp."));
    closedir(d);
    /* ceilings */
    assert_int_equal(na_vault_read_file(p, 2, &b, &e), -1);
    assert_int_equal(e.code, NA_E_OVERFLOW);
    na_err_clear(&e);
    path_in(p, sizeof p, "missing.vault");
    assert_int_equal(na_vault_read_file(p, 100, &b, &e), -1);
    assert_int_equal(e.code, NA_E_NOTFOUND);
    /* a directory that does not exist: the write fails cleanly */
    na_err_clear(&e);
    path_in(p, sizeof p, "no/such/dir/x.vault");
    assert_int_equal(na_vault_write_file(p, "x", 1, &e), -1);
    assert_int_equal(e.code, NA_E_IO);
}

static void inventory_with_vault(void **st)
{
    (void)st;
    na_secret_clear_registry();
    char *v = encrypt_str(plain, "horse battery", &fast);
    write_text("secrets.vault", v);
    free(v);
    write_text("lab.yaml", "vault: secrets.vault\n"
                           "defaults:\n"
                           "  username: admin\n"
                           "  secret: ${vault:enable_secret}\n"
                           "hosts:\n"
                           "  sw1: {password: '${vault:snmp}'}\n"
                           "  sw2: {password: '${vault:missing}'}\n");
    char na_inv_resolve_path[200];
    path_in(na_inv_resolve_path, sizeof na_inv_resolve_path, "lab.yaml");
    na_err e = NA_ERR_INIT;
    unsetenv("NETAUTO_VAULT_PASSWORD");
    na_inv_opts o = {.vault_password = "horse battery"};
    na_inventory *inv = na_inv_load(na_inv_resolve_path, &o, &e);
    assert_null(inv);
    char want[600];
    snprintf(want, sizeof want, "%s:7:19: host 'sw2': password: 'missing' is not in vault "
             "%s/secrets.vault", na_inv_resolve_path, dir);
    assert_string_equal(e.msg, want);

    write_text("lab.yaml", "vault: secrets.vault\n"
                           "defaults:\n"
                           "  username: admin\n"
                           "  secret: ${vault:enable_secret}\n"
                           "hosts:\n"
                           "  sw1: {password: '${vault:snmp}'}\n"
                           "  sw2: {password: plain}\n");
    na_err_clear(&e);
    inv = na_inv_load(na_inv_resolve_path, &o, &e);
    if (!inv)
        fail_msg("%s", e.msg);
    const na_inv_host *h = na_inv_find(inv, "sw1");
    assert_string_equal(h->secret, "en@ble s3cret");
    assert_string_equal(h->password, "public-ro-77");
    assert_string_equal(h->ssh.password, "public-ro-77");
    snprintf(want, sizeof want, "%s/secrets.vault", dir);
    assert_string_equal(na_inv_vault_path(inv), want);
    na_inv_free(inv);

    /* passphrase from the environment; a wrong one is a clear error */
    setenv("NETAUTO_VAULT_PASSWORD", "horse battery", 1);
    inv = na_inv_load(na_inv_resolve_path, NULL, &e);
    assert_non_null(inv);
    na_inv_free(inv);
    setenv("NETAUTO_VAULT_PASSWORD", "not it", 1);
    inv = na_inv_load(na_inv_resolve_path, NULL, &e);
    assert_null(inv);
    snprintf(want, sizeof want, "vault %s/secrets.vault: wrong passphrase or corrupted file", dir);
    assert_string_equal(e.msg, want);
    unsetenv("NETAUTO_VAULT_PASSWORD");
    /* no source at all (no terminal prompt given) */
    na_err_clear(&e);
    assert_null(na_inv_load(na_inv_resolve_path, NULL, &e));
    assert_int_equal(e.code, NA_E_USAGE);
    /* a vault file that does not exist */
    write_text("lab.yaml", "vault: nope.vault\nhosts:\n  sw1: {secret: '${vault:x}'}\n");
    na_err_clear(&e);
    assert_null(na_inv_load(na_inv_resolve_path, &o, &e));
    assert_int_equal(e.code, NA_E_CONFIG);
    assert_non_null(strstr(e.msg, "nope.vault: cannot open: No such file or directory"));
}

static int setup(void **st)
{
    (void)st;
    snprintf(dir, sizeof dir, "/tmp/na-test-vault.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    DIR *d = opendir(dir);
    struct dirent *de;
    char p[300];
    while (d && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        unlink(p);
    }
    if (d)
        closedir(d);
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip),
        cmocka_unit_test(kdf_parameters_honoured),
        cmocka_unit_test(wrong_passphrase_and_tampering),
        cmocka_unit_test(plaintext_checks),
        cmocka_unit_test(passphrase_sources),
        cmocka_unit_test(atomic_write),
        cmocka_unit_test(inventory_with_vault),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
