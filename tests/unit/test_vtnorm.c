/* test_vtnorm.c — the terminal-output normaliser, byte-exact, fed whole, byte by byte and split at
 * every possible boundary (one and two split points), plus the pattern wrapper it feeds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "clock.h"
#include "pattern.h"
#include "vtnorm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Normalise in[0..n) fed in the pieces given by the split points (ascending, 0 < p < n). */
static char *feed_split(const char *in, size_t n, const size_t *splits, size_t ns, size_t *outn)
{
    na_vtnorm v;
    na_buf b;
    na_err e = NA_ERR_INIT;
    na_vtnorm_init(&v);
    na_buf_init(&b, 1 << 20);
    size_t at = 0;
    for (size_t i = 0; i <= ns; i++) {
        size_t end = i < ns ? splits[i] : n;
        assert_int_equal(na_vtnorm_feed(&v, &b, in + at, end - at, "test", &e), 0);
        at = end;
    }
    *outn = b.len;
    return na_buf_steal(&b);
}

static void show_diff(const char *what, const char *got, size_t gn, const char *want, size_t wn)
{
    fprintf(stderr, "# %s: got %zu bytes [", what, gn);
    for (size_t i = 0; i < gn; i++)
        fprintf(stderr, (unsigned char)got[i] < 0x20 ? "\\x%02x" : "%c", (unsigned char)got[i]);
    fprintf(stderr, "] want %zu bytes [", wn);
    for (size_t i = 0; i < wn; i++)
        fprintf(stderr, (unsigned char)want[i] < 0x20 ? "\\x%02x" : "%c", (unsigned char)want[i]);
    fprintf(stderr, "]\n");
}

/* The same result for every way of splitting the input. */
static void check(const char *in, size_t n, const char *want, size_t wn)
{
    size_t gn;
    char *got = feed_split(in, n, NULL, 0, &gn);
    if (gn != wn || memcmp(got, want, wn)) {
        show_diff("whole", got, gn, want, wn);
        fail();
    }
    free(got);
    for (size_t i = 1; i < n; i++) {
        got = feed_split(in, n, &i, 1, &gn);
        if (gn != wn || memcmp(got, want, wn)) {
            fprintf(stderr, "# split at %zu\n", i);
            show_diff("split", got, gn, want, wn);
            fail();
        }
        free(got);
        for (size_t j = i + 1; j < n && n <= 200; j++) {
            size_t two[2] = {i, j};
            got = feed_split(in, n, two, 2, &gn);
            if (gn != wn || memcmp(got, want, wn)) {
                fprintf(stderr, "# split at %zu and %zu\n", i, j);
                show_diff("split2", got, gn, want, wn);
                fail();
            }
            free(got);
        }
    }
    /* byte by byte */
    size_t *all = malloc(n * sizeof *all);
    for (size_t i = 1; i < n; i++)
        all[i - 1] = i;
    got = feed_split(in, n, all, n ? n - 1 : 0, &gn);
    free(all);
    if (gn != wn || memcmp(got, want, wn)) {
        show_diff("bytewise", got, gn, want, wn);
        fail();
    }
    free(got);
}

#define CHECK(in, want) check(in, sizeof(in) - 1, want, sizeof(want) - 1)

static void newlines(void **st)
{
    (void)st;
    CHECK("line1\r\nline2\r\n", "line1\nline2\n");
    CHECK("a\r\r\nb\n\nc", "a\nb\n\nc");
    CHECK("sw1#show ver\r\n\r\nCisco IOS\r\nsw1#", "sw1#show ver\n\nCisco IOS\nsw1#");
}

static void carriage_return(void **st)
{
    (void)st;
    /* Telnet CR NUL is a bare carriage return: the cursor goes back and text overwrites */
    CHECK("abc\r\0XY", "XYc");
    CHECK("progress 10%\rprogress 20%\r\ndone", "progress 20%\ndone");
    /* CR then erase-line: the usual "redraw this line" */
    CHECK("Building...\r\x1b[Ksw1#", "sw1#");
    /* a CR at the very end changes nothing visible yet */
    CHECK("sw1#\r", "sw1#");
    CHECK("abc\r\0\r\ndef", "abc\ndef");
    /* erase by overwriting with blanks: the blanks left after the cursor are not text */
    CHECK("<--- More --->\r              \rentry 2\r\n", "entry 2\n");
    CHECK("abcdef\rXY\r\n", "XYcdef\n");
    /* ordinary trailing blanks stay */
    CHECK("1002 fddi-default act/unsup \r\n", "1002 fddi-default act/unsup \n");
}

static void backspace_pager_erase(void **st)
{
    (void)st;
    /* IOS erases ` --More-- ` with backspaces, spaces, backspaces */
    CHECK("line1\n --More-- \b\b\b\b\b\b\b\b\b\b          \b\b\b\b\b\b\b\b\b\bline2\n",
          "line1\nline2\n");
    /* more backspaces than the line has: never crosses the newline */
    CHECK("ab\n\b\b\bc", "ab\nc");
    /* a backspace erases a whole UTF-8 character */
    CHECK("caf\xc3\xa9\b!", "caf!");
    /* in the middle of a line (after moving the cursor back): erase 'b', then overwrite 'c' */
    CHECK("abcd\x1b[2D\bX", "aXd");
}

static void ansi_sequences(void **st)
{
    (void)st;
    CHECK("\x1b[1;32mgreen\x1b[0m text", "green text");
    CHECK("\x1b[?2004hroot@h:~# ", "root@h:~# ");
    /* OSC ending in BEL and in ESC \ */
    CHECK("\x1b]0;user@host: ~\x07user@host:~$ ", "user@host:~$ ");
    CHECK("\x1b]2;title\x1b\\prompt# ", "prompt# ");
    /* two-byte and intermediate escapes */
    CHECK("\x1b" "7a\x1b" "8b\x1b(Bc\x1b=d\x1b>e", "abcde");
    /* erase to end of line, cursor back/forward/absolute */
    CHECK("abcdef\x1b[3D\x1b[Kz", "abcz");
    CHECK("abc\r\x1b[2CX", "abX");
    CHECK("abcdef\x1b[2GZ", "aZcdef");
    CHECK("abc\x1b[2Kxy", "xy");
    CHECK("abcdef\x1b[3D\x1b[1Kz", "   zef");
    /* a colour prompt as bash draws it */
    CHECK("\x1b]0;admin@web1: ~\x07\x1b[01;32madmin@web1\x1b[00m:\x1b[01;34m~\x1b[00m$ ",
          "admin@web1:~$ ");
    /* ESC ESC, cancel with CAN, a control inside CSI aborts it */
    CHECK("a\x1b\x1b[31mb\x1b[3\x18" "c", "abc");
}

static void junk_controls(void **st)
{
    (void)st;
    CHECK("a\0b\ac\x7f" "d\x01" "e\tf\x0e\x0f\x1a", "abcde\tf");
    CHECK("\x9b\xc3\xa9", "\x9b\xc3\xa9"); /* bytes >= 0x80 are kept as they are */
}

static void long_strings_abandoned(void **st)
{
    (void)st;
    /* an OSC that never ends stops being one after 4096 bytes: the text after it survives */
    size_t n = 2 + 5000 + 5;
    char *in = malloc(n);
    memcpy(in, "\x1b]", 2);
    memset(in + 2, 'x', 5000);
    memcpy(in + 5002, "\nsw1#", 5);
    size_t gn;
    char *got = feed_split(in, n, NULL, 0, &gn);
    assert_true(gn >= 5);
    assert_memory_equal(got + gn - 5, "\nsw1#", 5);
    assert_true(gn < 5000);
    free(got);
    free(in);
}

static void line_tracking(void **st)
{
    (void)st;
    na_vtnorm v;
    na_buf b;
    na_err e = NA_ERR_INIT;
    na_vtnorm_init(&v);
    na_buf_init(&b, 64);
    assert_int_equal(na_vtnorm_feed(&v, &b, "one\r\ntwo\r\nsw1#", 14, "x", &e), 0);
    assert_string_equal(b.data, "one\ntwo\nsw1#");
    assert_int_equal(v.line_start, 8);
    assert_int_equal(v.col, 4);
    na_buf_consume(&b, 4);
    na_vtnorm_shifted(&v, 4);
    assert_int_equal(v.line_start, 4);
    na_buf_truncate(&b, 6);
    na_vtnorm_truncated(&v, &b);
    assert_int_equal(v.col, 2);
    /* the ceiling is enforced */
    na_buf_free(&b);
    na_buf_init(&b, 8);
    na_vtnorm_init(&v);
    assert_int_equal(na_vtnorm_feed(&v, &b, "0123456789", 10, "output", &e), -1);
    assert_int_equal(e.code, NA_E_OVERFLOW);
    na_buf_free(&b);
    size_t n;
    char *s = na_vtnorm_string("a\r\nb", 4, &n);
    assert_string_equal(s, "a\nb");
    assert_int_equal(n, 3);
    free(s);
}

/* Editing reaches back NA_VTNORM_EDIT_MAX bytes from the end of a line: on a longer line a
 * carriage return stops there, so "\rX\b" (overwrite the first byte, erase it: the whole line
 * moves) cannot cost the line's length per 3 input bytes. Before the limit, 4 MiB of line plus
 * a million of those took minutes; the deadline below is very generous. */
static void long_lines_stay_linear(void **st)
{
    (void)st;
    size_t head = 5000;
    char *in = malloc(head + 2);
    memset(in, 'A', head);
    memcpy(in + head, "\rB", 2);
    size_t gn;
    char *got = na_vtnorm_string(in, head + 2, &gn);
    assert_int_equal(gn, head);
    size_t lo = head - NA_VTNORM_EDIT_MAX;
    assert_int_equal(got[lo - 1], 'A');
    assert_int_equal(got[lo], 'B');
    assert_int_equal(got[lo + 1], 'A');
    free(got);
    free(in);

    size_t line = (size_t)4 << 20, reps = 1000000, n = line + 3 * reps;
    in = malloc(n);
    memset(in, 'A', line);
    for (size_t i = 0; i < reps; i++)
        memcpy(in + line + 3 * i, "\rX\b", 3);
    int64_t t0 = na_now_ms();
    got = na_vtnorm_string(in, n, &gn);
    int64_t ms = na_now_ms() - t0;
    assert_non_null(got);
    assert_int_equal(gn, line - reps);
    if (ms > 20000)
        fail_msg("normalising took %lld ms", (long long)ms);
    free(got);
    free(in);
}

/* The other readings of a bare CR: a line break before the prompt (NX-OS md5sum), a soft wrap
 * (EOS " \r"), and none for a line erased first or a plain newline. */
static void cr_history(void **st)
{
    (void)st;
    na_vtnorm v;
    na_buf b;
    na_err e = NA_ERR_INIT;
    const char *prev;
    size_t pl, nl;
    /* NX-OS: the hash, a bare CR (CR NUL over Telnet), then the prompt overwrites it */
    static const char md5[] = "md5sum\r\n098f6bcd4621d373cade4e832627b4f6\r\0switch# ";
    na_vtnorm_init(&v);
    na_buf_init(&b, 4096);
    assert_int_equal(na_vtnorm_feed(&v, &b, md5, sizeof md5 - 1, "t", &e), 0);
    assert_string_equal(na_buf_cstr(&b), "md5sum\nswitch# 4621d373cade4e832627b4f6");
    assert_true(na_vtnorm_cr_split(&v, &b, &prev, &pl, &nl));
    assert_int_equal(pl, 32);
    assert_memory_equal(prev, "098f6bcd4621d373cade4e832627b4f6", 32);
    assert_int_equal(nl, 8);
    assert_int_equal(na_vtnorm_cr_break(&v, &b, "t", &e), 1);
    assert_string_equal(na_buf_cstr(&b), "md5sum\n098f6bcd4621d373cade4e832627b4f6\nswitch# ");
    assert_int_equal(v.line_start, strlen("md5sum\n098f6bcd4621d373cade4e832627b4f6\n"));
    assert_int_equal(v.col, 8);
    assert_false(na_vtnorm_cr_split(&v, &b, &prev, &pl, &nl));
    na_buf_free(&b);

    /* EOS wraps at the screen edge: row, " \r", the rest; twice for a long line */
    struct ctx {
        char alt[256];
        size_t n;
    } cx = {{0}, 0};
    const char *wrap = "eos1(config)#interface Ethernet1 \rdescription uplink to \rcore\r\n";
    na_vtnorm_init(&v);
    na_buf_init(&b, 4096);
    assert_int_equal(na_vtnorm_feed(&v, &b, wrap, strlen(wrap) - 2, "t", &e), 0);
    cx.n = na_vtnorm_cr_wrapped(&v, &b, v.line_start, b.len, cx.alt, sizeof cx.alt);
    assert_int_equal(cx.n, strlen("eos1(config)#interface Ethernet1description uplink tocore"));
    assert_memory_equal(cx.alt, "eos1(config)#interface Ethernet1description uplink tocore", cx.n);
    na_buf_free(&b);

    /* erased first (CR, erase line, text): not a rewrite; a plain newline neither */
    const char *erased = "Building...\r\x1b[Ksw1#";
    na_vtnorm_init(&v);
    na_buf_init(&b, 4096);
    assert_int_equal(na_vtnorm_feed(&v, &b, erased, strlen(erased), "t", &e), 0);
    assert_string_equal(na_buf_cstr(&b), "sw1#");
    assert_false(na_vtnorm_cr_split(&v, &b, &prev, &pl, &nl));
    assert_int_equal(na_vtnorm_cr_break(&v, &b, "t", &e), 0);
    na_buf_free(&b);
    na_vtnorm_init(&v);
    na_buf_init(&b, 4096);
    assert_int_equal(na_vtnorm_feed(&v, &b, "ab\r\ncd", 6, "t", &e), 0);
    assert_false(na_vtnorm_cr_split(&v, &b, &prev, &pl, &nl));
    na_buf_free(&b);
}

static void patterns(void **st)
{
    (void)st;
    na_err e = NA_ERR_INIT;
    na_pattern *p = na_pattern_new("^[\\w.\\-]{1,63}#\\s?$", 0, &e);
    assert_non_null(p);
    na_matcher *m = na_matcher_new(&e);
    size_t a, b;
    assert_true(na_pattern_find(p, m, "sw1#", 4, false, &a, &b));
    assert_int_equal(a, 0);
    assert_int_equal(b, 4);
    assert_false(na_pattern_find(p, m, "sw1#show", 8, false, NULL, NULL));
    /* not_bol: the subject does not start a line, so ^ cannot match there */
    assert_false(na_pattern_find(p, m, "sw1#", 4, true, NULL, NULL));
    na_pattern_free(p);
    p = na_pattern_new("(?i)^(user ?name|login):\\s?$", 0, &e);
    assert_true(na_pattern_find(p, m, "Username: ", 10, false, NULL, NULL));
    assert_true(na_matcher_group(m, 1, &a, &b));
    assert_int_equal(a, 0);
    assert_int_equal(b, 8);
    na_pattern_free(p);
    /* a bad regex names itself, PCRE2's message and the offset */
    assert_null(na_pattern_new("^sw[1-", 0, &e));
    assert_int_equal(e.code, NA_E_CONFIG);
    assert_non_null(strstr(e.msg, "bad regular expression '^sw[1-': missing terminating ]"));
    assert_non_null(strstr(e.msg, "at offset 6"));
    /* quoting */
    char *q = na_regex_quote("sw!1(x)#", 8);
    assert_string_equal(q, "sw\\!1\\(x\\)\\#");
    na_err_clear(&e);
    p = na_pattern_new(q, 0, &e);
    assert_true(na_pattern_find(p, m, "sw!1(x)#", 8, false, NULL, NULL));
    na_pattern_free(p);
    free(q);
    p = na_pattern_new("a.b", NA_PAT_LITERAL, &e);
    assert_false(na_pattern_find(p, m, "axb", 3, false, NULL, NULL));
    assert_true(na_pattern_find(p, m, "za.b", 4, false, NULL, NULL));
    na_pattern_free(p);
    na_matcher_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(newlines),
        cmocka_unit_test(carriage_return),
        cmocka_unit_test(backspace_pager_erase),
        cmocka_unit_test(ansi_sequences),
        cmocka_unit_test(junk_controls),
        cmocka_unit_test(long_strings_abandoned),
        cmocka_unit_test(line_tracking),
        cmocka_unit_test(long_lines_stay_linear),
        cmocka_unit_test(cr_history),
        cmocka_unit_test(patterns),
    };
    return cmocka_run_group_tests_name("vtnorm", tests, NULL, NULL);
}
