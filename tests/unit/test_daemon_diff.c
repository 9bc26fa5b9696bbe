/* test_daemon_diff.c — unit tests for daemon/diff.c: byte-exact unified diffs for the shapes a
 * configuration backup produces (changed line, insertions at either end, deletions, missing
 * final newline, hunks merged or split by context), and a randomised property test: applying
 * the produced diff to the old text (with a small patch applier written here) gives the new
 * text exactly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "diff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *udiff(const char *a, const char *b)
{
    na_err e = NA_ERR_INIT;
    char *d = na_udiff(a, strlen(a), b, strlen(b), "a", "b", 3, 0, &e);
    assert_non_null(d);
    return d;
}

static void check(const char *a, const char *b, const char *want)
{
    char *d = udiff(a, b);
    if (strcmp(d, want))
        fail_msg("got:\n%s\nwant:\n%s", d, want);
    free(d);
}

static void fixtures(void **st)
{
    (void)st;
    check("same\n", "same\n", "");
    check("", "", "");
    check("a\nb\nc\n", "a\nB\nc\n", "--- a\n+++ b\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n");
    check("", "x\n", "--- a\n+++ b\n@@ -0,0 +1 @@\n+x\n");
    check("x\n", "", "--- a\n+++ b\n@@ -1 +0,0 @@\n-x\n");
    check("1\n2\n3\n4\n5\n6\n7\n8\n", "0\n1\n2\n3\n4\n5\n6\n7\n8\n",
          "--- a\n+++ b\n@@ -1,3 +1,4 @@\n+0\n 1\n 2\n 3\n");
    check("1\n2\n3\n4\n5\n6\n7\n8\n", "1\n2\n3\n4\n5\n6\n7\n",
          "--- a\n+++ b\n@@ -5,4 +5,3 @@\n 5\n 6\n 7\n-8\n");
    check("a\nb", "a\nb\n",
          "--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n");
    /* two changes 8 lines apart: separate hunks (gap > 2 * context) */
    check("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "X\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\nY\n",
          "--- a\n+++ b\n@@ -1,4 +1,4 @@\n-1\n+X\n 2\n 3\n 4\n@@ -9,4 +9,4 @@\n 9\n 10\n 11\n-12\n+Y\n");
    /* 6 lines apart: one hunk */
    check("1\n2\n3\n4\n5\n6\n7\n8\n", "X\n2\n3\n4\n5\n6\n7\nY\n",
          "--- a\n+++ b\n@@ -1,8 +1,8 @@\n-1\n+X\n 2\n 3\n 4\n 5\n 6\n 7\n-8\n+Y\n");
    /* a running-config style change */
    check("hostname sw1\n!\ninterface Gi0/1\n description old\n switchport access vlan 10\n!\nend\n",
          "hostname sw1\n!\ninterface Gi0/1\n description uplink\n switchport access vlan 10\n "
          "spanning-tree portfast\n!\nend\n",
          "--- a\n+++ b\n@@ -1,7 +1,8 @@\n hostname sw1\n !\n interface Gi0/1\n- description old\n"
          "+ description uplink\n  switchport access vlan 10\n+ spanning-tree portfast\n !\n end\n");
}

/* ---- property: patch(a, diff(a, b)) == b ------------------------------------------------------ */

typedef struct lines {
    char **v;
    size_t n;
} lines;

static lines split(const char *s)
{
    lines l = {NULL, 0};
    size_t cap = 16;
    l.v = malloc(cap * sizeof *l.v);
    while (*s) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s + 1) : strlen(s);
        if (l.n == cap)
            l.v = realloc(l.v, (cap *= 2) * sizeof *l.v);
        l.v[l.n++] = strndup(s, n);
        s += n;
    }
    return l;
}

static void free_lines(lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

/* Apply a unified diff to a; returns the result (malloc'd) or NULL if the diff does not apply. */
static char *apply(const char *a, const char *diff)
{
    lines in = split(a), d = split(diff);
    size_t cap = strlen(a) + strlen(diff) + 1;
    char *out = calloc(1, cap);
    size_t ai = 0, k = 2; /* skip --- and +++ */
    char prev_op = 0; /* a "\ No newline" marker applies to the line before it */
    int ok = 1;
    while (ok && k < d.n) {
        long as, al = 1, bs, bl = 1;
        if (sscanf(d.v[k], "@@ -%ld,%ld +%ld,%ld @@", &as, &al, &bs, &bl) != 4) {
            al = bl = 1;
            if (sscanf(d.v[k], "@@ -%ld +%ld,%ld @@", &as, &bs, &bl) != 3 &&
                sscanf(d.v[k], "@@ -%ld,%ld +%ld @@", &as, &al, &bs) != 3 &&
                sscanf(d.v[k], "@@ -%ld +%ld @@", &as, &bs) != 2) {
                ok = 0;
                break;
            }
        }
        size_t start = al == 0 ? (size_t)as : (size_t)as - 1;
        while (ai < start && ai < in.n)
            strcat(out, in.v[ai++]);
        k++;
        while (k < d.n && d.v[k][0] != '@') {
            char c = d.v[k][0];
            const char *txt = d.v[k] + 1;
            if (c == '\\') { /* the previous line had no newline */
                size_t n = strlen(out);
                if ((prev_op == '+' || prev_op == ' ') && n && out[n - 1] == '\n')
                    out[n - 1] = '\0';
                k++;
                continue;
            }
            prev_op = c;
            if (c == ' ' || c == '-') {
                if (ai >= in.n || strcmp(in.v[ai], txt)) {
                    /* the old text differs from the context (allowing the no-newline form) */
                    if (!(ai < in.n && !strncmp(in.v[ai], txt, strlen(in.v[ai])))) {
                        ok = 0;
                        break;
                    }
                }
                if (c == ' ')
                    strcat(out, in.v[ai]);
                ai++;
            } else if (c == '+') {
                strcat(out, txt);
            } else {
                ok = 0;
                break;
            }
            k++;
        }
    }
    while (ok && ai < in.n)
        strcat(out, in.v[ai++]);
    free_lines(&in);
    free_lines(&d);
    if (!ok) {
        free(out);
        return NULL;
    }
    return out;
}

static char *random_text(unsigned *seed, int nlines)
{
    static const char *const words[] = {"interface", "vlan 10", "shutdown", "!", "description x",
                                        "ip address 10.0.0.1", "end", "hostname sw1"};
    size_t cap = (size_t)nlines * 32 + 2;
    char *s = calloc(1, cap);
    for (int i = 0; i < nlines; i++) {
        strcat(s, words[rand_r(seed) % 8]);
        strcat(s, "\n");
    }
    if (nlines && rand_r(seed) % 5 == 0)
        s[strlen(s) - 1] = '\0'; /* sometimes no final newline */
    return s;
}

static char *mutate(unsigned *seed, const char *a)
{
    lines l = split(a);
    size_t cap = strlen(a) * 2 + 256;
    char *out = calloc(1, cap);
    for (size_t i = 0; i < l.n; i++) {
        int r = rand_r(seed) % 10;
        if (r == 0)
            continue; /* delete */
        if (r == 1)
            strcat(out, "inserted line\n");
        if (r == 2) {
            strcat(out, "changed line\n");
            continue;
        }
        strcat(out, l.v[i]);
        if (i + 1 < l.n && out[strlen(out) - 1] != '\n')
            strcat(out, "\n");
    }
    if (rand_r(seed) % 4 == 0)
        strcat(out, "appended\n");
    free_lines(&l);
    return out;
}

static void property_applies(void **st)
{
    (void)st;
    unsigned seed = 4242;
    for (int iter = 0; iter < 400; iter++) {
        char *a = random_text(&seed, rand_r(&seed) % 40);
        char *b = iter % 7 == 0 ? random_text(&seed, rand_r(&seed) % 40) : mutate(&seed, a);
        char *d = udiff(a, b);
        if (!strcmp(a, b)) {
            assert_string_equal(d, "");
        } else {
            char *p = apply(a, d);
            if (!p || strcmp(p, b))
                fail_msg("iteration %d: diff does not reproduce b\n--a--\n%s\n--b--\n%s\n--diff--\n%s",
                         iter, a, b, d);
            free(p);
        }
        free(a);
        free(b);
        free(d);
    }
}

static void too_different_and_ceiling(void **st)
{
    (void)st;
    /* more edits than NA_DIFF_MAX_EDITS: still a correct diff (whole middle replaced) */
    size_t n = 3000;
    char *a = calloc(n * 8 + 1, 1), *b = calloc(n * 8 + 1, 1);
    for (size_t i = 0; i < n; i++) {
        sprintf(a + strlen(a), "a%zu\n", i);
        sprintf(b + strlen(b), "b%zu\n", i);
    }
    char *d = udiff(a, b);
    char *p = apply(a, d);
    assert_non_null(p);
    assert_string_equal(p, b);
    free(p);
    free(d);
    na_err e = NA_ERR_INIT;
    assert_null(na_udiff(a, strlen(a), b, strlen(b), "a", "b", 3, 1000, &e));
    assert_int_equal(e.code, NA_E_OVERFLOW);
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fixtures),
        cmocka_unit_test(property_applies),
        cmocka_unit_test(too_different_and_ceiling),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
