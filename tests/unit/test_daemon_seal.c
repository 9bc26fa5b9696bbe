/* test_daemon_seal.c — unit tests for daemon/seal.c: the key file is made once (32 bytes, 0600)
 * and reused; a key file of another size is refused, not replaced; what is sealed opens with the
 * same key only, and not once altered; sealing twice gives different bytes (fresh nonce); the
 * fingerprint is keyed (another key, another fingerprint) and stable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "seal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256], key1[300], key2[300];

static int setup(void **st)
{
    (void)st;
    snprintf(dir, sizeof dir, "/tmp/na-seal-test.XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(key1, sizeof key1, "%s/store.key", dir);
    snprintf(key2, sizeof key2, "%s/other.key", dir);
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    unlink(key1);
    unlink(key2);
    rmdir(dir);
    return 0;
}

static void key_file(void **st)
{
    (void)st;
    nd_seal a, b;
    na_err e = NA_ERR_INIT;
    assert_int_equal(nd_seal_load(&a, key1, &e), 0);
    struct stat sb;
    assert_int_equal(stat(key1, &sb), 0);
    assert_int_equal(sb.st_size, 32);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(nd_seal_load(&b, key1, &e), 0); /* reused, same keys */
    assert_memory_equal(a.enc, b.enc, sizeof a.enc);
    assert_memory_equal(a.mac, b.mac, sizeof a.mac);
    assert_memory_not_equal(a.enc, a.mac, sizeof a.enc); /* two derived keys */
    FILE *f = fopen(key2, "w");
    assert_non_null(f);
    fputs("short", f);
    fclose(f);
    assert_int_equal(nd_seal_load(&b, key2, &e), -1);
    assert_int_equal(e.code, NA_E_CONFIG);
    assert_non_null(strstr(e.msg, "not a netautod key"));
    assert_int_equal(stat(key2, &sb), 0);
    assert_int_equal(sb.st_size, 5); /* not replaced */
    nd_seal_wipe(&a);
    nd_seal_wipe(&b);
}

static void seal_open(void **st)
{
    (void)st;
    nd_seal a, b;
    na_err e = NA_ERR_INIT;
    unlink(key2);
    assert_int_equal(nd_seal_load(&a, key1, &e), 0);
    assert_int_equal(nd_seal_load(&b, key2, &e), 0);
    const char *vars = "{\"enable_password\":\"S3cr3t-Pass-42\"}";
    unsigned char *s1 = NULL, *s2 = NULL;
    size_t n1 = 0, n2 = 0;
    assert_int_equal(nd_seal_data(&a, vars, strlen(vars), &s1, &n1, &e), 0);
    assert_int_equal(nd_seal_data(&a, vars, strlen(vars), &s2, &n2, &e), 0);
    assert_int_equal(n1, 12 + strlen(vars) + 16);
    assert_memory_not_equal(s1, s2, n1); /* fresh nonce each time */
    assert_null(memmem(s1, n1, "S3cr3t", 6));
    char *p = NULL;
    size_t pn = 0;
    assert_int_equal(nd_seal_open(&a, s1, n1, &p, &pn, &e), 0);
    assert_int_equal(pn, strlen(vars));
    assert_string_equal(p, vars);
    free(p);
    assert_int_equal(nd_seal_open(&b, s1, n1, &p, &pn, &e), -1); /* another key */
    assert_null(p);
    s1[14] ^= 1; /* altered */
    assert_int_equal(nd_seal_open(&a, s1, n1, &p, &pn, &e), -1);
    assert_int_equal(nd_seal_open(&a, s2, 10, &p, &pn, &e), -1); /* too short */
    free(s1);
    free(s2);
    char f1[65], f2[65], f3[65];
    nd_seal_fingerprint(&a, vars, strlen(vars), f1);
    nd_seal_fingerprint(&a, vars, strlen(vars), f2);
    nd_seal_fingerprint(&b, vars, strlen(vars), f3);
    assert_int_equal(strlen(f1), 64);
    assert_string_equal(f1, f2);
    assert_string_not_equal(f1, f3);
    nd_seal_wipe(&a);
    nd_seal_wipe(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(key_file),
        cmocka_unit_test(seal_open),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
