/* test_core.c — unit tests for core/: errors (first wins, redaction), bounded buffers (and the
 * operations callers used to do by hand on their fields), hex digits, the secret registry, and
 * YAML loading with file:line:column errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "buf.h"
#include "err.h"
#include "hex.h"
#include "secret.h"
#include "ydoc.h"
#include "yjson.h"

#include <stdio.h>
#include <string.h>

static void err_first_wins(void **st)
{
    (void)st;
    na_err e = NA_ERR_INIT;
    assert_false(na_err_isset(&e));
    assert_int_equal(na_err_set(&e, NA_E_TIMEOUT, "inner %d", 1), -1);
    na_err_set(&e, NA_E_AUTH, "outer");
    assert_int_equal(e.code, NA_E_TIMEOUT);
    assert_string_equal(e.msg, "inner 1");
    na_err_prefix(&e, "sw%d: ", 7);
    assert_string_equal(e.msg, "sw7: inner 1");
    assert_string_equal(na_code_name(NA_E_HOSTKEY_CHANGED), "hostkey-changed");
    assert_int_equal(na_err_set(NULL, NA_E_IO, "x"), -1);
}

static void buf_bounded(void **st)
{
    (void)st;
    na_buf b;
    na_err e = NA_ERR_INIT;
    na_buf_init(&b, 10);
    assert_int_equal(na_buf_append(&b, "hello", 5, "output", &e), 0);
    assert_int_equal(na_buf_append(&b, "world", 5, "output", &e), 0);
    assert_int_equal(b.len, 10);
    assert_int_equal(na_buf_append(&b, "!", 1, "output", &e), -1);
    assert_int_equal(e.code, NA_E_OVERFLOW);
    assert_string_equal(e.msg, "output exceeded its limit of 10 bytes");
    assert_string_equal(na_buf_cstr(&b), "helloworld");
    na_buf_consume(&b, 5);
    assert_string_equal(na_buf_cstr(&b), "world");
    na_buf_truncate(&b, 2);
    assert_string_equal(na_buf_cstr(&b), "wo");
    na_err_clear(&e);
    assert_int_equal(na_buf_printf(&b, &e, "%d", 12345678), 0);
    assert_int_equal(na_buf_printf(&b, &e, "%d", 123), -1);
    char *s = na_buf_steal(&b);
    assert_string_equal(s, "wo12345678");
    free(s);
    assert_int_equal(b.len, 0);
    na_buf_free(&b);
}

/* In-place writes (reserve + commit), the ceiling (set_limit, headroom), erase and shrink. */
static void buf_operations(void **st)
{
    (void)st;
    na_err e = NA_ERR_INIT;
    na_buf b;
    na_buf_init(&b, 8);
    char *p = na_buf_reserve(&b, 5, "file", &e);
    assert_non_null(p);
    memcpy(p, "abcde", 5);
    na_buf_commit(&b, 3); /* only 3 of the 5 reserved bytes were written */
    assert_int_equal(b.len, 3);
    assert_string_equal(na_buf_cstr(&b), "abc");
    assert_int_equal(na_buf_headroom(&b), 5);
    assert_null(na_buf_reserve(&b, 6, "file", &e));
    assert_int_equal(e.code, NA_E_OVERFLOW);
    assert_string_equal(e.msg, "file exceeded its limit of 8 bytes");
    assert_string_equal(na_buf_cstr(&b), "abc"); /* unchanged */
    na_buf_commit(&b, 1000); /* more than reserved: ignored, the buffer stays consistent */
    assert_int_equal(b.len, 3);
    na_buf_set_limit(&b, 4);
    assert_int_equal(na_buf_headroom(&b), 1);
    na_err_clear(&e);
    assert_int_equal(na_buf_append(&b, "xy", 2, NULL, &e), -1);
    assert_int_equal(na_buf_append(&b, "x", 1, NULL, &e), 0);
    na_buf_set_limit(&b, 2); /* below len: no more appends, contents kept */
    assert_int_equal(na_buf_headroom(&b), 0);
    assert_string_equal(na_buf_cstr(&b), "abcx");
    na_buf_set_limit(&b, 0);
    assert_int_equal(b.max, NA_BUF_DEFAULT_MAX);
    na_buf_erase(&b, 1, 2);
    assert_string_equal(na_buf_cstr(&b), "ax");
    na_buf_erase(&b, 1, 100); /* clamped */
    assert_string_equal(na_buf_cstr(&b), "a");
    na_buf_erase(&b, 5, 1); /* past the end: nothing */
    assert_int_equal(b.len, 1);
    /* shrink: only when big and mostly empty */
    p = na_buf_reserve(&b, 100000, NULL, &e);
    assert_non_null(p);
    assert_true(b.cap > 100000);
    na_buf_shrink(&b, 1 << 20); /* not above the threshold: kept */
    assert_true(b.cap > 100000);
    na_buf_shrink(&b, 4096);
    assert_int_equal(b.cap, 256);
    assert_string_equal(na_buf_cstr(&b), "a");
    na_buf_free_wipe(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
}

static void hex_digits(void **st)
{
    (void)st;
    const char *digits = "0123456789abcdefABCDEF";
    const int values[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
                          10, 11, 12, 13, 14, 15};
    for (size_t i = 0; digits[i]; i++)
        assert_int_equal(na_hexval(digits[i]), values[i]);
    assert_int_equal(na_hexval('g'), -1);
    assert_int_equal(na_hexval('G'), -1);
    assert_int_equal(na_hexval('/'), -1);
    assert_int_equal(na_hexval(':'), -1);
    assert_int_equal(na_hexval('\0'), -1);
    assert_int_equal(na_hexval(0xff), -1);
}

static void secret_redaction(void **st)
{
    (void)st;
    na_secret_clear_registry();
    char *pw = na_secret_dup("s3cret");
    na_secret_register("s3cret-longer");
    char out[64];
    na_redact_cstr("pw=s3cret-longer and s3cret.", out, sizeof out);
    assert_string_equal(out, "pw=" NA_REDACTED " and " NA_REDACTED ".");
    assert_true(na_contains_secret("xxs3cretxx", 10));
    assert_false(na_contains_secret("s3cre", 5));
    /* truncated output still NUL-terminated, return value is the full length */
    size_t need = na_redact_cstr("s3cret", out, 4);
    assert_int_equal(need, strlen(NA_REDACTED));
    assert_int_equal(strlen(out), 3);
    na_err e = NA_ERR_INIT;
    na_err_set(&e, NA_E_AUTH, "login with password %s refused", pw);
    assert_string_equal(e.msg, "login with password " NA_REDACTED " refused");
    na_secret_free(pw);
    /* a short secret is redacted only as a whole token */
    na_secret_register("p");
    na_redact_cstr("pw=p; passphrase p.", out, sizeof out);
    assert_string_equal(out, "pw=" NA_REDACTED "; passphrase " NA_REDACTED ".");
    na_secret_clear_registry();
}

/* A long text redacted a piece at a time gives what redacting it whole gives, wherever the pieces
 * are cut (a secret across a cut is matched whole); held secrets go when the last hold does. */
static void secret_span_and_hold(void **st)
{
    (void)st;
    na_secret_clear_registry();
    assert_int_equal(na_secret_hold("hunter2-long"), 0);
    assert_int_equal(na_secret_max_len(), 12);
    const char *text = "a hunter2-long b hunter2-longhunter2-long c hunter2-lon";
    char whole[256];
    na_redact_cstr(text, whole, sizeof whole);
    size_t n = strlen(text);
    for (size_t piece = 1; piece < n; piece++) {
        char out[256] = "", part[256];
        size_t at = 0;
        while (at < n) {
            size_t stop = at + piece < n ? at + piece : n, look = stop + 11 < n ? stop + 11 : n;
            size_t used;
            na_redact_span(text + at, look - at, stop - at, part, sizeof part, &used);
            strcat(out, part);
            at += used;
        }
        if (strcmp(out, whole))
            fail_msg("piece %zu: %s != %s", piece, out, whole);
    }
    /* holds are counted; a registered secret is not released by someone else's hold */
    assert_int_equal(na_secret_hold("hunter2-long"), 0);
    na_secret_release("hunter2-long");
    assert_true(na_contains_secret("hunter2-long", 12));
    na_secret_release("hunter2-long");
    assert_false(na_contains_secret("hunter2-long", 12));
    na_secret_register("inv-pass");
    assert_int_equal(na_secret_hold("inv-pass"), 0);
    na_secret_release("inv-pass");
    assert_true(na_contains_secret("inv-pass", 8));
    na_secret_clear_registry();
    assert_int_equal(na_secret_max_len(), 0);
}

static void ydoc_errors_have_positions(void **st)
{
    (void)st;
    na_ydoc d;
    na_err e = NA_ERR_INIT;
    const char *bad = "hosts:\n  sw1:\n    host: [1, 2\n";
    assert_int_equal(na_ydoc_load_mem(&d, "inv.yaml", bad, strlen(bad), &e), -1);
    assert_int_equal(e.code, NA_E_YAML);
    assert_non_null(strstr(e.msg, "inv.yaml:4:1: "));
    na_ydoc_free(&d);

    na_err_clear(&e);
    const char *dup = "a: 1\nb: 2\na: 3\n";
    assert_int_equal(na_ydoc_load_mem(&d, "dup.yaml", dup, strlen(dup), &e), -1);
    assert_string_equal(e.msg, "dup.yaml:3:1: duplicate key 'a' (first at line 1)");
    na_ydoc_free(&d);

    /* a large mapping (sorted path) reports the first duplicate in document order */
    na_err_clear(&e);
    char big[4096];
    size_t o = 0;
    for (int i = 0; i < 100; i++)
        o += (size_t)snprintf(big + o, sizeof big - o, "h%d: 1\n", i == 70 ? 5 : i == 90 ? 7 : i);
    assert_int_equal(na_ydoc_load_mem(&d, "big.yaml", big, o, &e), -1);
    assert_string_equal(e.msg, "big.yaml:71:1: duplicate key 'h5' (first at line 6)");
    na_ydoc_free(&d);

    na_err_clear(&e);
    const char *ok = "port: 22x\nflag: yes\nn: ~\nlist: [a, b]\n";
    assert_int_equal(na_ydoc_load_mem(&d, "ok.yaml", ok, strlen(ok), &e), 0);
    na_ynode *root = na_ydoc_root(&d);
    long v;
    assert_int_equal(na_ylong(&d, na_ymap_get(&d, root, "port"), 1, 65535, &v, &e), -1);
    assert_string_equal(e.msg, "ok.yaml:1:7: expected an integer, got '22x'");
    bool b = false;
    assert_int_equal(na_ybool(&d, na_ymap_get(&d, root, "flag"), &b, NULL), 0);
    assert_true(b);
    assert_true(na_yis_null(na_ymap_get(&d, root, "n")));
    na_ynode *list = na_ymap_get(&d, root, "list");
    assert_int_equal(na_yseq_len(list), 2);
    assert_string_equal(na_yscalar(na_yseq_item(&d, list, 1)), "b");
    na_err_clear(&e);
    static const char *const allowed[] = {"port", "flag", "n", NULL};
    assert_int_equal(na_ycheck_keys(&d, root, allowed, "host", &e), -1);
    assert_string_equal(e.msg, "ok.yaml:4:1: unknown key 'list' in host (expected one of: "
                               "port, flag, n)");
    na_ydoc_free(&d);
}

/* Aliases share nodes: a few hundred bytes can expand to 10^9 nodes ("billion laughs"); a self
 * reference is a cycle. Both are refused at load time, quickly; ordinary anchors still work. */
static void ydoc_alias_bombs(void **st)
{
    (void)st;
    char bomb[1024];
    size_t o = (size_t)snprintf(bomb, sizeof bomb, "a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for (char c = 'b'; c <= 'i'; c++) {
        o += (size_t)snprintf(bomb + o, sizeof bomb - o, "%c: &%c [", c, c);
        for (int i = 0; i < 10; i++)
            o += (size_t)snprintf(bomb + o, sizeof bomb - o, "%s*%c", i ? ", " : "", c - 1);
        o += (size_t)snprintf(bomb + o, sizeof bomb - o, "]\n");
    }
    na_ydoc d;
    na_err e = NA_ERR_INIT;
    assert_int_equal(na_ydoc_load_mem(&d, "bomb.yaml", bomb, o, &e), -1);
    assert_int_equal(e.code, NA_E_YAML);
    assert_non_null(strstr(e.msg, "aliases expand the document by more than 100000 nodes"));
    na_ydoc_free(&d);

    na_err_clear(&e);
    const char *cycle = "a: &x [1, *x]\n";
    assert_int_equal(na_ydoc_load_mem(&d, "cycle.yaml", cycle, strlen(cycle), &e), -1);
    assert_non_null(strstr(e.msg, "document nested too deeply"));
    na_ydoc_free(&d);

    na_err_clear(&e);
    const char *ok = "base: &b {user: admin, port: 22}\nsw1: *b\nsw2: *b\n";
    assert_int_equal(na_ydoc_load_mem(&d, "ok.yaml", ok, strlen(ok), &e), 0);
    json_t *j = na_ynode_to_json(&d, na_ydoc_root(&d), &e);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "sw2"), "port")), 22);
    json_decref(j);
    na_ydoc_free(&d);

    /* a duplicate inside an aliased mapping is still found */
    const char *dup = "base: &b {user: admin, user: root}\nsw1: *b\n";
    assert_int_equal(na_ydoc_load_mem(&d, "dup.yaml", dup, strlen(dup), &e), -1);
    assert_non_null(strstr(e.msg, "duplicate key 'user'"));
    na_ydoc_free(&d);
}

static void yjson_typing(void **st)
{
    (void)st;
    na_ydoc d;
    na_err e = NA_ERR_INIT;
    const char *y = "a: 10\nb: '10'\nc: yes\nd: ~\ne: 1.5\nf: [x, {g: 0x1f}]\nh: 010\n";
    assert_int_equal(na_ydoc_load_mem(&d, "v.yaml", y, strlen(y), &e), 0);
    json_t *j = na_ynode_to_json(&d, na_ydoc_root(&d), &e);
    assert_non_null(j);
    char *dump = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_string_equal(dump, "{\"a\":10,\"b\":\"10\",\"c\":true,\"d\":null,\"e\":1.5,"
                              "\"f\":[\"x\",{\"g\":31}],\"h\":\"010\"}");
    free(dump);
    json_decref(j);
    na_ydoc_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(err_first_wins),
        cmocka_unit_test(buf_bounded),
        cmocka_unit_test(buf_operations),
        cmocka_unit_test(hex_digits),
        cmocka_unit_test(secret_redaction),
        cmocka_unit_test(secret_span_and_hold),
        cmocka_unit_test(ydoc_errors_have_positions),
        cmocka_unit_test(ydoc_alias_bombs),
        cmocka_unit_test(yjson_typing),
    };
    return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
