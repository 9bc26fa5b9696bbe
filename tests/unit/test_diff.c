/* test_diff.c — unit tests for core/diff.[ch]: byte-exact unified diffs (the same bytes
 * `diff -u --label before --label after` prints for these inputs), volatile lines ignored,
 * missing final newlines, hunk merging, the size and work bounds, and a randomized check that
 * every diff applies back to the second text and is minimal (against an LCS by dynamic
 * programming). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "diff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *diff(const char *a, const char *b, const na_diff_opts *o, bool *changed)
{
    na_buf out;
    na_buf_init(&out, 0);
    na_err e = NA_ERR_INIT;
    if (na_diff_unified(a, strlen(a), b, strlen(b), o, &out, changed, &e) < 0)
        fail_msg("diff failed: %s", e.msg);
    char *s = na_buf_steal(&out);
    return s;
}

static void expect_diff(const char *a, const char *b, const char *want)
{
    bool changed = true;
    char *got = diff(a, b, NULL, &changed);
    if (strcmp(got, want) != 0)
        fail_msg("diff:\n%s\nwant:\n%s", got, want);
    assert_int_equal(changed, want[0] != '\0');
    free(got);
}

static const char *RUN_BEFORE =
    "Building configuration...\n"
    "\n"
    "Current configuration : 1234 bytes\n"
    "!\n"
    "! Last configuration change at 10:00:01 UTC Mon Mar 1 2021 by admin\n"
    "!\n"
    "version 15.2\n"
    "hostname sw1\n"
    "!\n"
    "vlan 10\n"
    " name users\n"
    "!\n"
    "interface GigabitEthernet0/1\n"
    " switchport access vlan 10\n"
    "!\n"
    "interface GigabitEthernet0/2\n"
    "!\n"
    "line vty 0 4\n"
    " login local\n"
    "end\n";

static const char *RUN_AFTER =
    "Building configuration...\n"
    "\n"
    "Current configuration : 1301 bytes\n"
    "!\n"
    "! Last configuration change at 10:05:44 UTC Mon Mar 1 2021 by admin\n"
    "!\n"
    "version 15.2\n"
    "hostname sw1\n"
    "!\n"
    "vlan 10\n"
    " name staff\n"
    "!\n"
    "vlan 20\n"
    " name voice\n"
    "!\n"
    "interface GigabitEthernet0/1\n"
    " switchport access vlan 10\n"
    "!\n"
    "interface GigabitEthernet0/2\n"
    "!\n"
    "line vty 0 4\n"
    " login local\n"
    "end\n";

static void running_config(void **st)
{
    (void)st;
    /* line numbers count the compared lines (the three volatile ones are gone) */
    expect_diff(RUN_BEFORE, RUN_AFTER,
                "--- before\n"
                "+++ after\n"
                "@@ -5,7 +5,10 @@\n"
                " hostname sw1\n"
                " !\n"
                " vlan 10\n"
                "- name users\n"
                "+ name staff\n"
                "+!\n"
                "+vlan 20\n"
                "+ name voice\n"
                " !\n"
                " interface GigabitEthernet0/1\n"
                "  switchport access vlan 10\n");
    /* only volatile lines differ: no diff, not changed */
    const char *a = "Current configuration : 10 bytes\nhostname a\n! Last configuration change "
                    "at x\nntp clock-period 17179\n!Time: Mon\n";
    const char *b = "Current configuration : 99 bytes\nhostname a\n! NVRAM config last updated "
                    "at y\n";
    expect_diff(a, b, "");
    expect_diff(RUN_BEFORE, RUN_BEFORE, "");
    /* keep_volatile compares them too */
    na_diff_opts o = NA_DIFF_OPTS_DEFAULT;
    o.keep_volatile = true;
    o.context = 0;
    o.label_a = "sw1 running-config (before)";
    o.label_b = "sw1 running-config (after)";
    bool changed;
    char *got = diff(a, b, &o, &changed);
    assert_true(changed);
    assert_string_equal(got, "--- sw1 running-config (before)\n"
                             "+++ sw1 running-config (after)\n"
                             "@@ -1 +1 @@\n"
                             "-Current configuration : 10 bytes\n"
                             "+Current configuration : 99 bytes\n"
                             "@@ -3,3 +3 @@\n"
                             "-! Last configuration change at x\n"
                             "-ntp clock-period 17179\n"
                             "-!Time: Mon\n"
                             "+! NVRAM config last updated at y\n");
    free(got);
}

static void hunks(void **st)
{
    (void)st;
    const char *a = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n";
    /* changes 6 lines apart share a hunk; 7+ apart do not */
    expect_diff(a, "1\nX\n3\n4\n5\n6\n7\n8\nY\n10\n11\n12\n13\n14\n15\n16\nZ\n18\n19\n20\n",
                "--- before\n+++ after\n"
                "@@ -1,12 +1,12 @@\n"
                " 1\n-2\n+X\n 3\n 4\n 5\n 6\n 7\n 8\n-9\n+Y\n 10\n 11\n 12\n"
                "@@ -14,7 +14,7 @@\n"
                " 14\n 15\n 16\n-17\n+Z\n 18\n 19\n 20\n");
    /* insertion at the top, deletion at the end */
    expect_diff("a\nb\n", "new\na\nb\n", "--- before\n+++ after\n@@ -1,2 +1,3 @@\n+new\n a\n b\n");
    expect_diff("a\nb\nc\nd\ne\n", "a\nb\nc\nd\n",
                "--- before\n+++ after\n@@ -2,4 +2,3 @@\n b\n c\n d\n-e\n");
    /* from and to nothing */
    expect_diff("", "x\ny\n", "--- before\n+++ after\n@@ -0,0 +1,2 @@\n+x\n+y\n");
    expect_diff("x\n", "", "--- before\n+++ after\n@@ -1 +0,0 @@\n-x\n");
    na_buf nb;
    na_buf_init(&nb, 0);
    na_err e = NA_ERR_INIT;
    bool ch = false;
    assert_int_equal(na_diff_unified(NULL, 0, "x\n", 2, NULL, &nb, &ch, &e), 0);
    assert_string_equal(nb.data, "--- before\n+++ after\n@@ -0,0 +1 @@\n+x\n");
    assert_true(ch);
    na_buf_free(&nb);
    /* pure insertion in the middle with context 0: the range is the line before */
    na_diff_opts o = NA_DIFF_OPTS_DEFAULT;
    o.context = 0;
    char *got = diff("a\nb\nc\n", "a\nb\nNEW\nc\n", &o, NULL);
    assert_string_equal(got, "--- before\n+++ after\n@@ -2,0 +3 @@\n+NEW\n");
    free(got);
}

static void no_newline_at_end(void **st)
{
    (void)st;
    expect_diff("a\nb", "a\nb\n",
                "--- before\n+++ after\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n");
    expect_diff("a\nb", "a\nc",
                "--- before\n+++ after\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n"
                "+c\n\\ No newline at end of file\n");
    expect_diff("x\na\nb", "y\na\nb",
                "--- before\n+++ after\n@@ -1,3 +1,3 @@\n-x\n+y\n a\n b\n"
                "\\ No newline at end of file\n");
    expect_diff("a\r\nb\r\n", "a\r\nb\r\n", ""); /* CR is just content */
}

static void bounds(void **st)
{
    (void)st;
    na_buf out;
    na_buf_init(&out, 0);
    na_err e = NA_ERR_INIT;
    na_diff_opts o = NA_DIFF_OPTS_DEFAULT;
    o.max_lines = 3;
    assert_int_equal(na_diff_unified("1\n2\n3\n4\n", 8, "1\n", 2, &o, &out, NULL, &e), -1);
    assert_int_equal(e.code, NA_E_OVERFLOW);
    assert_string_equal(e.msg, "the first text is too large to diff (4 lines, limit 3)");
    /* two completely different texts of 2000 lines need ~4M steps */
    size_t n = 2000;
    char *a = malloc(n * 8), *b = malloc(n * 8);
    size_t ao = 0, bo = 0;
    for (size_t i = 0; i < n; i++) {
        ao += (size_t)sprintf(a + ao, "a%zu\n", i);
        bo += (size_t)sprintf(b + bo, "b%zu\n", i);
    }
    o = (na_diff_opts)NA_DIFF_OPTS_DEFAULT;
    o.max_work = 100000;
    na_err_clear(&e);
    assert_int_equal(na_diff_unified(a, ao, b, bo, &o, &out, NULL, &e), -1);
    assert_int_equal(e.code, NA_E_OVERFLOW);
    assert_string_equal(e.msg, "the texts differ too much to diff within the work limit (2000 "
                               "and 2000 lines, more than 100000 comparison steps)");
    /* within the default budget it works: 2000 deletions and 2000 insertions */
    na_err_clear(&e);
    na_buf_reset(&out);
    bool changed = false;
    assert_int_equal(na_diff_unified(a, ao, b, bo, NULL, &out, &changed, &e), 0);
    assert_true(changed);
    assert_non_null(strstr(out.data, "@@ -1,2000 +1,2000 @@\n-a0\n"));
    /* the output buffer's own ceiling is honoured */
    na_buf small;
    na_buf_init(&small, 100);
    na_err_clear(&e);
    assert_int_equal(na_diff_unified(a, ao, b, bo, NULL, &small, NULL, &e), -1);
    assert_int_equal(e.code, NA_E_OVERFLOW);
    na_buf_free(&small);
    na_buf_free(&out);
    free(a);
    free(b);
}

/* ---- randomized: apply the diff back, and check minimality against an LCS ---- */

static size_t split(const char *t, const char **lines, size_t *lens)
{
    size_t n = 0;
    for (const char *p = t; *p;) {
        const char *nl = strchr(p, '\n');
        lines[n] = p;
        lens[n++] = (size_t)(nl - p);
        p = nl + 1;
    }
    return n;
}

/* Apply a unified diff to a (lines ending in '\n'); returns the result (caller frees) and the
 * number of -/+ lines in *edits. */
static char *apply(const char *a, const char *d, size_t *edits)
{
    const char *al[256];
    size_t an[256];
    size_t na = split(a, al, an), ai = 0;
    char *out = malloc(65536);
    size_t o = 0;
    *edits = 0;
    const char *p = d;
    if (*p) {
        assert_int_equal(strncmp(p, "--- before\n+++ after\n", 21), 0);
        p += 21;
    }
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = (size_t)(nl - p);
        if (*p == '@') {
            unsigned long s1, c1 = 1;
            if (sscanf(p, "@@ -%lu,%lu", &s1, &c1) < 1)
                fail_msg("bad hunk header");
            size_t start = c1 ? s1 - 1 : s1;
            while (ai < start) { /* copy unchanged lines between hunks */
                memcpy(out + o, al[ai], an[ai]);
                o += an[ai];
                out[o++] = '\n';
                ai++;
            }
        } else if (*p == ' ' || *p == '-') {
            assert_true(ai < na);
            assert_int_equal(an[ai], len - 1);
            assert_memory_equal(al[ai], p + 1, len - 1);
            if (*p == ' ') {
                memcpy(out + o, p + 1, len - 1);
                o += len - 1;
                out[o++] = '\n';
            } else {
                (*edits)++;
            }
            ai++;
        } else if (*p == '+') {
            memcpy(out + o, p + 1, len - 1);
            o += len - 1;
            out[o++] = '\n';
            (*edits)++;
        } else {
            fail_msg("bad diff line '%.*s'", (int)len, p);
        }
        p = nl + 1;
    }
    while (ai < na) {
        memcpy(out + o, al[ai], an[ai]);
        o += an[ai];
        out[o++] = '\n';
        ai++;
    }
    out[o] = '\0';
    return out;
}

static size_t lcs(const char *a, const char *b)
{
    const char *al[256], *bl[256];
    size_t an[256], bn[256];
    size_t na = split(a, al, an), nb = split(b, bl, bn);
    static size_t t[257][257];
    for (size_t i = 0; i <= na; i++)
        for (size_t j = 0; j <= nb; j++) {
            if (!i || !j)
                t[i][j] = 0;
            else if (an[i - 1] == bn[j - 1] && !memcmp(al[i - 1], bl[j - 1], an[i - 1]))
                t[i][j] = t[i - 1][j - 1] + 1;
            else
                t[i][j] = t[i - 1][j] > t[i][j - 1] ? t[i - 1][j] : t[i][j - 1];
        }
    return t[na][nb];
}

static void random_roundtrip(void **st)
{
    (void)st;
    unsigned seed = 12345;
    for (int iter = 0; iter < 3000; iter++) {
        char a[2048], b[2048];
        size_t ao = 0, bo = 0;
        seed = seed * 1103515245u + 12345u;
        int na = (int)(seed >> 16) % 60, nb;
        int alpha = 2 + (int)((seed >> 8) % 6); /* few distinct lines: many equal ones */
        for (int i = 0; i < na; i++) {
            seed = seed * 1103515245u + 12345u;
            ao += (size_t)sprintf(a + ao, "l%d\n", (int)(seed >> 16) % alpha);
        }
        a[ao] = '\0';
        /* b: a with random edits */
        const char *p = a;
        nb = 0;
        while (*p) {
            const char *nl = strchr(p, '\n');
            seed = seed * 1103515245u + 12345u;
            int r = (int)(seed >> 16) % 10;
            if (r != 0) { /* keep */
                memcpy(b + bo, p, (size_t)(nl - p + 1));
                bo += (size_t)(nl - p + 1);
                nb++;
            }
            if (r == 1 || r == 2) { /* insert */
                bo += (size_t)sprintf(b + bo, "l%d\n", (int)(seed >> 20) % (alpha + 1));
                nb++;
            }
            p = nl + 1;
        }
        b[bo] = '\0';
        for (unsigned ctx = 0; ctx < 4; ctx += 3) {
            na_diff_opts o = NA_DIFF_OPTS_DEFAULT;
            o.context = ctx;
            bool changed;
            char *d = diff(a, b, &o, &changed);
            size_t edits;
            char *back = apply(a, d, &edits);
            if (strcmp(back, b) != 0)
                fail_msg("iteration %d: diff does not apply:\nA:\n%s\nB:\n%s\nD:\n%s", iter, a, b,
                         d);
            size_t best = (size_t)na + (size_t)nb - 2 * lcs(a, b);
            if (edits != best)
                fail_msg("iteration %d: %zu edits, minimal is %zu", iter, edits, best);
            assert_int_equal(changed, best != 0);
            free(back);
            free(d);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(running_config), cmocka_unit_test(hunks),
        cmocka_unit_test(no_newline_at_end), cmocka_unit_test(bounds),
        cmocka_unit_test(random_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
