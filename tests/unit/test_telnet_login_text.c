/* test_telnet_login_text.c — the login text classifier (drivers/telnet_login.c): which endings
 * are username / password / CLI prompts, what a banner cut mid-line must not be taken for,
 * failure messages and the error-message summary. Pure functions, no sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "telnet_login.h"

#include <stdlib.h>
#include <string.h>

static na_tl_kind cls(const char *s, bool strict) { return na_tl_classify(s, strlen(s), strict); }

static void username_prompts(void **st)
{
    (void)st;
    assert_int_equal(cls("\r\nUser Access Verification\r\n\r\nUsername: ", true), NA_TL_USER);
    assert_int_equal(cls("debian login: ", true), NA_TL_USER);
    assert_int_equal(cls("User Name:", true), NA_TL_USER);
    assert_int_equal(cls("USERNAME :\t", true), NA_TL_USER);
    assert_int_equal(cls("\x1b[1;32mlogin:\x1b[0m ", true), NA_TL_USER);
    assert_int_equal(na_tl_classify("login:\r\0 ", 9, true), NA_TL_NONE); /* line ended */
    assert_int_equal(na_tl_classify("login: \0", 8, true), NA_TL_USER); /* NUL padding */
    /* not at the end, or followed by a line break: not a prompt */
    assert_int_equal(cls("Username: \r\n", true), NA_TL_NONE);
    assert_int_equal(cls("Username: admin", true), NA_TL_NONE);
    /* a Linux "Last login:" line cut after the colon is not a login prompt */
    assert_int_equal(cls("\r\nLast login: ", false), NA_TL_NONE);
}

static void password_prompts(void **st)
{
    (void)st;
    assert_int_equal(cls("Password: ", true), NA_TL_PASS);
    assert_int_equal(cls("admin\r\nPassword:", false), NA_TL_PASS);
    assert_int_equal(cls("Enter PASSCODE: ", true), NA_TL_PASS);
    assert_int_equal(cls("Password for admin: ", true), NA_TL_NONE);
}

static void cli_prompts(void **st)
{
    (void)st;
    assert_int_equal(cls("\r\nsw1>", true), NA_TL_PROMPT);
    assert_int_equal(cls("\r\nsw1(config)#", true), NA_TL_PROMPT);
    assert_int_equal(cls("admin@host:~$ ", true), NA_TL_PROMPT);
    assert_int_equal(cls("[admin@MikroTik] > ", true), NA_TL_PROMPT);
    assert_int_equal(cls("<HUAWEI>", true), NA_TL_PROMPT);
    assert_int_equal(cls("[edit]", true), NA_TL_PROMPT);
    assert_int_equal(cls("user@router% ", true), NA_TL_PROMPT);
    /* a shell prompt with no letters counts once credentials were sent... */
    assert_int_equal(cls("\r\n$ ", false), NA_TL_PROMPT);
    /* ...but not before: a banner cut inside a line of '#' is not a prompt */
    assert_int_equal(cls("\r\n$ ", true), NA_TL_NONE);
    assert_int_equal(cls("#####################", true), NA_TL_NONE);
    char longline[300];
    memset(longline, 'x', sizeof longline - 2);
    longline[sizeof longline - 2] = '#';
    longline[sizeof longline - 1] = '\0';
    assert_int_equal(cls(longline, true), NA_TL_NONE);
    assert_int_equal(cls(longline, false), NA_TL_PROMPT);
    /* plain text */
    assert_int_equal(cls("", true), NA_TL_NONE);
    assert_int_equal(cls("   ", true), NA_TL_NONE);
    assert_int_equal(cls("Welcome\r\n", true), NA_TL_NONE);
    assert_int_equal(cls("sw1#\r\n", true), NA_TL_NONE);
}

static void failure_messages(void **st)
{
    (void)st;
    char msg[128];
    bool done = false;
    const char *s = "\r\n% Login invalid\r\n\r\nUsername: ";
    assert_true(na_tl_failure(s, strlen(s), msg, sizeof msg, &done));
    assert_string_equal(msg, "% Login invalid");
    assert_true(done);
    s = "\r\nLogin inc";
    assert_false(na_tl_failure(s, strlen(s), msg, sizeof msg, &done));
    s = "\r\n  LOGIN INCORRECT";
    assert_true(na_tl_failure(s, strlen(s), msg, sizeof msg, &done));
    assert_string_equal(msg, "LOGIN INCORRECT");
    assert_false(done); /* the line may go on */
    s = "x\r\n% Bad passwords\r\n";
    assert_true(na_tl_failure(s, strlen(s), msg, sizeof msg, &done));
    assert_string_equal(msg, "% Bad passwords");
    s = "\r\n% Authentication failed\r\n";
    assert_true(na_tl_failure(s, strlen(s), msg, sizeof msg, NULL));
    assert_string_equal(msg, "% Authentication failed");
    s = "\r\nAccess denied\r\n";
    assert_true(na_tl_failure(s, strlen(s), msg, sizeof msg, NULL));
    assert_string_equal(msg, "Access denied");
    s = "\r\nsw1>";
    assert_false(na_tl_failure(s, strlen(s), msg, sizeof msg, NULL));
    /* the earliest message in the text is reported */
    s = "Access denied\r\n% Login invalid\r\n";
    assert_true(na_tl_failure(s, strlen(s), msg, sizeof msg, NULL));
    assert_string_equal(msg, "Access denied");
}

/* Classification looks at a bounded tail: a long line is cut (never a strict prompt), more than
 * 1024 trailing blanks are not a prompt's trailing space. Same answers, bounded work. */
static void long_tails(void **st)
{
    (void)st;
    size_t n = (size_t)1 << 20;
    char *s = malloc(n + 16);
    assert_non_null(s);
    memset(s, 'a', n);
    memcpy(s + n, "sw1#", 4);
    assert_int_equal(na_tl_classify(s, n + 4, false), NA_TL_PROMPT);
    assert_int_equal(na_tl_classify(s, n + 4, true), NA_TL_NONE); /* cut: not a strict prompt */
    memcpy(s + n - 20, "\r\nsw1#", 6);
    assert_int_equal(na_tl_classify(s, n - 14, true), NA_TL_PROMPT);
    memcpy(s, "Username:", 9);
    memset(s + 9, ' ', 1024);
    assert_int_equal(na_tl_classify(s, 9 + 1024, true), NA_TL_USER);
    memset(s + 9, ' ', 1025);
    assert_int_equal(na_tl_classify(s, 9 + 1025, true), NA_TL_NONE);
    free(s);
}

static void summaries(void **st)
{
    (void)st;
    char out[64];
    na_tl_summary("", 0, 20, out, sizeof out);
    assert_string_equal(out, "(nothing)");
    na_tl_summary("ab\r\n\"c\"\x01", 8, 20, out, sizeof out);
    assert_string_equal(out, "ab\\r\\n\\\"c\\\"\\x01");
    na_tl_summary("0123456789", 10, 4, out, sizeof out);
    assert_string_equal(out, "...6789");
    /* never overflows its output */
    char small[8];
    na_tl_summary("abcdefghijkl", 12, 12, small, sizeof small);
    assert_true(strlen(small) < sizeof small);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(username_prompts), cmocka_unit_test(password_prompts),
        cmocka_unit_test(cli_prompts),      cmocka_unit_test(failure_messages),
        cmocka_unit_test(summaries),        cmocka_unit_test(long_tails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
