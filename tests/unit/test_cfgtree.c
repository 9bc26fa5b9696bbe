/* test_cfgtree.c — unit tests for core/cfgtree.[ch] on real running configurations
 * (tests/fixtures/config/, each naming its source): what a block is missing for each match and
 * replace mode, nested sections (`router bgp` / `address-family`), trailing spaces, snippets,
 * and where added lines go (the text the device would show, byte for byte). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cfgtree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const COMMENTS[] = {"!"};
static const char *const ENDS[] = {"exit", "end", "exit-address-family"};
static const na_cfg_syntax SYN = {COMMENTS, 1, ENDS, 3};

static char *slurp(const char *name)
{
    const char *root = getenv("NETAUTO_ROOT");
    char *p = NULL;
    assert_true(asprintf(&p, "%s/tests/fixtures/config/%s", root ? root : ".", name) > 0);
    FILE *f = fopen(p, "rb");
    if (!f)
        fail_msg("cannot open %s", p);
    free(p);
    char *buf = calloc(1, 1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static na_cfg *parse(const char *text)
{
    na_err e = NA_ERR_INIT;
    na_cfg *c = na_cfg_parse(text, strlen(text), &SYN, &e);
    if (!c)
        fail_msg("parse: %s", e.msg);
    return c;
}

/* The lines planned, joined by '|'. */
static char *plan(const na_cfg *c, const na_cfg_block *b, size_t *nmissing)
{
    na_strv out = NA_STRV_INIT;
    na_err e = NA_ERR_INIT;
    if (na_cfg_plan(c, b, &out, nmissing, &e) < 0)
        fail_msg("plan: %s", e.msg);
    char *s = calloc(1, 1 << 16);
    for (size_t i = 0; i < out.n; i++) {
        if (i)
            strcat(s, "|");
        strcat(s, out.v[i]);
    }
    na_strv_free(&out);
    return s;
}

#define BLOCK(P, L) {P, sizeof P / sizeof *P, L, sizeof L / sizeof *L, NULL, 0, NULL, 0, 0, 0}

static void expect_plan(const na_cfg *c, const na_cfg_block *b, const char *want, size_t miss)
{
    size_t m = 99;
    char *got = plan(c, b, &m);
    if (strcmp(got, want) != 0)
        fail_msg("plan: got '%s', want '%s'", got, want);
    assert_int_equal(m, miss);
    free(got);
}

static void t_interfaces_match_line(void **st)
{
    (void)st;
    char *txt = slurp("ios_config_ansible.cfg");
    na_cfg *c = parse(txt);
    assert_int_equal(na_cfg_count(c), 8);
    const char *p[] = {"interface GigabitEthernet0/0"};
    const char *have[] = {"description test string", "ip address 1.2.3.4 255.255.255.0"};
    na_cfg_block b = BLOCK(p, have); /* present in another order: match line holds */
    expect_plan(c, &b, "", 0);
    /* trailing spaces on the wanted line and indentation do not matter */
    const char *spaced[] = {"  description test string   "};
    na_cfg_block b2 = BLOCK(p, spaced);
    expect_plan(c, &b2, "", 0);
    /* a missing line: parents + only that line */
    const char *one[] = {"description test string", "no shutdown"};
    na_cfg_block b3 = BLOCK(p, one);
    expect_plan(c, &b3, "interface GigabitEthernet0/0|no shutdown", 1);
    /* replace block: every line */
    b3.replace = NA_CFG_REPLACE_BLOCK;
    expect_plan(c, &b3, "interface GigabitEthernet0/0|description test string|no shutdown", 1);
    /* a line of another section does not count */
    const char *p2[] = {"interface GigabitEthernet2"};
    const char *shut[] = {"shutdown"};
    na_cfg_block b4 = BLOCK(p2, shut);
    expect_plan(c, &b4, "", 0);
    na_cfg_block b5 = BLOCK(p, shut);
    expect_plan(c, &b5, "interface GigabitEthernet0/0|shutdown", 1);
    /* abbreviations are not the device's text: missing */
    const char *pa[] = {"int gi0/0"};
    const char *da[] = {"description test string"};
    na_cfg_block b6 = BLOCK(pa, da);
    expect_plan(c, &b6, "int gi0/0|description test string", 1);
    /* top level, no parents */
    const char *top[] = {"hostname router"};
    na_cfg_block b7 = {NULL, 0, top, 1, NULL, 0, NULL, 0, 0, 0};
    expect_plan(c, &b7, "", 0);
    na_cfg_free(c);
    free(txt);
}

static void t_match_modes(void **st)
{
    (void)st;
    char *txt = slurp("ios_config_ansible.cfg");
    na_cfg *c = parse(txt);
    const char *p[] = {"interface GigabitEthernet2"};
    const char *inorder[] = {"ip address 6.7.8.9 255.255.255.0", "description test string"};
    const char *swapped[] = {"description test string", "ip address 6.7.8.9 255.255.255.0"};
    na_cfg_block b = BLOCK(p, inorder);
    b.match = NA_CFG_MATCH_STRICT;
    expect_plan(c, &b, "", 0);
    na_cfg_block s = BLOCK(p, swapped);
    s.match = NA_CFG_MATCH_STRICT; /* line 0 and line 1 are not at their places */
    expect_plan(c, &s, "interface GigabitEthernet2|description test string|"
                       "ip address 6.7.8.9 255.255.255.0", 2);
    /* exact: the section also has `shutdown`, so these two lines are not it */
    b.match = NA_CFG_MATCH_EXACT;
    expect_plan(c, &b, "interface GigabitEthernet2|ip address 6.7.8.9 255.255.255.0|"
                       "description test string", 2);
    const char *all[] = {"ip address 6.7.8.9 255.255.255.0", "description test string",
                         "shutdown"};
    na_cfg_block x = BLOCK(p, all);
    x.match = NA_CFG_MATCH_EXACT;
    expect_plan(c, &x, "", 0);
    /* none: always */
    x.match = NA_CFG_MATCH_NONE;
    expect_plan(c, &x, "interface GigabitEthernet2|ip address 6.7.8.9 255.255.255.0|"
                       "description test string|shutdown", 3);
    /* before / after only when something is sent */
    const char *bef[] = {"default interface GigabitEthernet2"};
    const char *aft[] = {"do write memory"};
    na_cfg_block y = BLOCK(p, all);
    y.before = bef;
    y.nbefore = 1;
    y.after = aft;
    y.nafter = 1;
    expect_plan(c, &y, "", 0);
    const char *more[] = {"description test string", "mtu 9000"};
    y.lines = more;
    y.nlines = 2;
    expect_plan(c, &y, "default interface GigabitEthernet2|interface GigabitEthernet2|mtu 9000|"
                       "do write memory", 1);
    /* no tree known: everything */
    expect_plan(NULL, &y, "default interface GigabitEthernet2|interface GigabitEthernet2|"
                          "description test string|mtu 9000|do write memory", 2);
    na_cfg_free(c);
    free(txt);
}

static void t_bgp_nested(void **st)
{
    (void)st;
    char *txt = slurp("ios_bgp_af_ansible.cfg");
    na_cfg *c = parse(txt);
    const char *p[] = {"router bgp 65000", "address-family ipv4 multicast vrf blue"};
    const char *l[] = {"neighbor 198.51.100.1 activate", "bgp dampening 1 1 1 1"};
    na_cfg_block b = BLOCK(p, l);
    expect_plan(c, &b, "", 0);
    /* the same line in another address family is not this one */
    const char *p2[] = {"router bgp 65000", "address-family ipv4 mdt"};
    const char *l2[] = {"neighbor 198.51.100.1 activate"};
    na_cfg_block b2 = BLOCK(p2, l2);
    expect_plan(c, &b2, "router bgp 65000|address-family ipv4 mdt|neighbor 198.51.100.1 activate",
                1);
    /* `address-family ipv4` (no exit-address-family in the text) still holds its lines */
    const char *p3[] = {"router bgp 65000", "address-family ipv4"};
    const char *l3[] = {"neighbor 2001:db8::1 activate", "redistribute connected"};
    na_cfg_block b3 = BLOCK(p3, l3);
    expect_plan(c, &b3, "", 0);
    /* a router-level line is not an address-family line */
    const char *l4[] = {"bgp log-neighbor-changes"};
    na_cfg_block b4 = BLOCK(p3, l4);
    expect_plan(c, &b4, "router bgp 65000|address-family ipv4|bgp log-neighbor-changes", 1);
    const char *p5[] = {"router bgp 65000"};
    na_cfg_block b5 = BLOCK(p5, l4);
    expect_plan(c, &b5, "", 0);
    /* a new address family: all its lines */
    const char *p6[] = {"router bgp 65000", "address-family ipv6"};
    const char *l6[] = {"neighbor 2001:db8::1 activate"};
    na_cfg_block b6 = BLOCK(p6, l6);
    expect_plan(c, &b6, "router bgp 65000|address-family ipv6|neighbor 2001:db8::1 activate", 1);
    /* applied, it is there (at the end of router bgp, indented like its siblings) */
    na_err e = NA_ERR_INIT;
    assert_int_equal(na_cfg_apply(c, &b6, &e), 0);
    expect_plan(c, &b6, "", 0);
    na_buf out;
    na_buf_init(&out, 0);
    assert_int_equal(na_cfg_render(c, &out, &e), 0);
    const char *tail = " exit-address-family\n address-family ipv6\n  neighbor 2001:db8::1 "
                       "activate\n";
    const char *r = na_buf_cstr(&out);
    assert_true(strlen(r) > strlen(tail));
    assert_string_equal(r + strlen(r) - strlen(tail), tail);
    na_buf_free(&out);
    na_cfg_free(c);
    free(txt);
}

/* Rendering without a change gives back the text byte for byte. */
static void t_render_identity(void **st)
{
    (void)st;
    const char *names[] = {"ios_config_ansible.cfg", "ios_bgp_af_ansible.cfg"};
    for (size_t i = 0; i < 2; i++) {
        char *txt = slurp(names[i]);
        na_cfg *c = parse(txt);
        na_buf out;
        na_buf_init(&out, 0);
        na_err e = NA_ERR_INIT;
        assert_int_equal(na_cfg_render(c, &out, &e), 0);
        assert_string_equal(na_buf_cstr(&out), txt);
        na_buf_free(&out);
        na_cfg_free(c);
        free(txt);
    }
}

/* Where IOS puts new lines: a line at the end of its section, a new `vlan N` section after
 * `vlan internal allocation policy ascending` and its `!`, with a `!` of its own. */
static void t_apply_positions(void **st)
{
    (void)st;
    const char *run = "Building configuration...\n\nCurrent configuration : 99 bytes\n!\n"
                      "hostname sw1\n!\nvlan internal allocation policy ascending\n!\n"
                      "interface GigabitEthernet0/1\n!\ninterface GigabitEthernet0/2\n"
                      " shutdown\n!\nline vty 0 4\n login local\n!\nend\n";
    na_cfg *c = parse(run);
    na_err e = NA_ERR_INIT;
    const char *v2[] = {"vlan 2"}, *n2[] = {"name users"};
    const char *v3[] = {"vlan 3"}, *n3[] = {"name voice"};
    const char *gi[] = {"interface GigabitEthernet0/2"}, *d[] = {"description uplink"};
    const char *top[] = {"ip ssh version 2"};
    na_cfg_block a = BLOCK(v2, n2), b = BLOCK(v3, n3), g = BLOCK(gi, d);
    na_cfg_block t = {NULL, 0, top, 1, NULL, 0, NULL, 0, 0, 0};
    assert_int_equal(na_cfg_apply(c, &a, &e), 0);
    assert_int_equal(na_cfg_apply(c, &b, &e), 0);
    assert_int_equal(na_cfg_apply(c, &g, &e), 0);
    assert_int_equal(na_cfg_apply(c, &t, &e), 0);
    na_buf out;
    na_buf_init(&out, 0);
    assert_int_equal(na_cfg_render(c, &out, &e), 0);
    assert_string_equal(na_buf_cstr(&out),
                        "Building configuration...\n\nCurrent configuration : 99 bytes\n!\n"
                        "hostname sw1\n!\nvlan internal allocation policy ascending\n!\n"
                        "vlan 2\n name users\n!\nvlan 3\n name voice\n!\n"
                        "interface GigabitEthernet0/1\n!\ninterface GigabitEthernet0/2\n"
                        " shutdown\n description uplink\n!\nline vty 0 4\n login local\n!\n"
                        "ip ssh version 2\nend\n");
    na_buf_free(&out);
    na_cfg_free(c);
}

/* A list-form task's lines as a snippet (indentation = sections). */
static void t_snippet(void **st)
{
    (void)st;
    char *txt = slurp("ios_bgp_af_ansible.cfg");
    na_cfg *c = parse(txt);
    na_cfg *yes = parse("router bgp 65000\n address-family ipv4 mdt\n  bgp dmzlink-bw   \n"
                        " exit-address-family\n!\n");
    na_cfg *no = parse("router bgp 65000\n address-family ipv4 mdt\n  bgp dmzlink-bw\n"
                       "  bgp always-compare-med\n");
    na_cfg *flat = parse("router bgp 65000\nbgp log-neighbor-changes\n"); /* not indented */
    na_cfg *empty = parse("!\nexit\n");
    assert_true(na_cfg_contains(c, yes));
    assert_false(na_cfg_contains(c, no));
    assert_false(na_cfg_contains(c, flat));
    assert_true(na_cfg_contains(c, empty));
    assert_false(na_cfg_contains(NULL, yes));
    na_err e = NA_ERR_INIT;
    assert_int_equal(na_cfg_apply_snippet(c, no, &e), 0);
    assert_true(na_cfg_contains(c, no));
    na_cfg_free(yes);
    na_cfg_free(no);
    na_cfg_free(flat);
    na_cfg_free(empty);
    na_cfg_free(c);
    free(txt);
}

static void t_words(void **st)
{
    (void)st;
    na_cfg_match m;
    na_cfg_replace r;
    assert_int_equal(na_cfg_match_parse("strict", &m), 0);
    assert_int_equal(m, NA_CFG_MATCH_STRICT);
    assert_int_equal(na_cfg_match_parse("exact", &m), 0);
    assert_int_equal(na_cfg_match_parse("none", &m), 0);
    assert_int_equal(m, NA_CFG_MATCH_NONE);
    assert_int_equal(na_cfg_match_parse("Line", &m), -1);
    assert_int_equal(na_cfg_replace_parse("block", &r), 0);
    assert_int_equal(r, NA_CFG_REPLACE_BLOCK);
    assert_int_equal(na_cfg_replace_parse("config", &r), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_interfaces_match_line), cmocka_unit_test(t_match_modes),
        cmocka_unit_test(t_bgp_nested),            cmocka_unit_test(t_render_identity),
        cmocka_unit_test(t_apply_positions),       cmocka_unit_test(t_snippet),
        cmocka_unit_test(t_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
