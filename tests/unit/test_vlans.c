/* test_vlans.c — unit tests for playbooks/vlans.[ch]: `show vlan brief` parsing on IOS, NX-OS and
 * EOS layouts (tests/fixtures/vlans/, laid out like the real outputs in ntc-templates' fixtures:
 * wrapped port lists, CRLF, a 5-wide EOS id column, an over-long NX-OS name, the extra tables of
 * IOS `show vlan`), command generation for the four states, the default VLANs that are never
 * touched, idempotence (plan against the state the plan produces is empty) and verification. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vlans.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(const char *rel, size_t *n)
{
    const char *root = getenv("NETAUTO_ROOT");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fixtures/vlans/%s", root ? root : ".", rel);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    char *buf = malloc(1 << 16);
    assert_non_null(buf);
    *n = fread(buf, 1, (1 << 16) - 1, f);
    buf[*n] = '\0';
    fclose(f);
    return buf;
}

static void parse_fixture(const char *name, na_vlan_list *l)
{
    size_t n;
    char *t = slurp(name, &n);
    na_err e = NA_ERR_INIT;
    if (na_vlans_parse(t, n, l, &e) < 0)
        fail_msg("%s: %s", name, e.msg);
    free(t);
}

/* "id name status p1,p2|..." for compact comparisons */
static void expect_vlans(const na_vlan_list *l, const char *const *want, size_t n)
{
    if (l->n != n)
        fail_msg("got %zu VLANs, want %zu", l->n, n);
    for (size_t i = 0; i < n; i++) {
        char b[2048];
        size_t o = (size_t)snprintf(b, sizeof b, "%d|%s|%s|", l->v[i].id, l->v[i].name,
                                    l->v[i].status);
        for (size_t p = 0; p < l->v[i].ports.n; p++)
            o += (size_t)snprintf(b + o, sizeof b - o, "%s%s", p ? "," : "", l->v[i].ports.v[p]);
        if (strcmp(b, want[i]) != 0)
            fail_msg("VLAN #%zu: got '%s', want '%s'", i, b, want[i]);
    }
}

static void parse_ios(void **st)
{
    (void)st;
    na_vlan_list l;
    parse_fixture("ios_show_vlan_brief.txt", &l);
    static const char *const want[] = {
        "1|default|active|Gi0/1,Gi0/2,Gi0/3,Gi0/4,Gi0/5,Gi0/6,Gi0/7,Gi0/8,Gi0/9,Gi0/10,Gi0/11,"
        "Gi0/12",
        "10|Management|active|",
        "20|users|active|Gi0/13,Gi0/14",
        "30|a-name-that-is-exactly-32-chars!|act/lshut|",
        "40|VLAN0040|suspended|Gi0/15",
        "1002|fddi-default|act/unsup|",
        "1003|token-ring-default|act/unsup|",
        "1004|fddinet-default|act/unsup|",
        "1005|trnet-default|act/unsup|",
    };
    expect_vlans(&l, want, sizeof want / sizeof want[0]);
    na_vlan_list_free(&l);

    parse_fixture("ios_show_vlan.txt", &l); /* full `show vlan`: later tables ignored */
    static const char *const want2[] = {
        "1|default|active|Gi0/1",
        "10|Management|active|",
        "50|VLan50|active|Fa0/1,Fa0/2,Fa0/3,Fa0/4,Fa0/5,Fa0/6,Fa0/7,Fa0/8,Fa0/9,Fa0/10,Fa0/11,"
        "Fa0/12",
        "1002|fddi-default|act/unsup|",
        "1003|token-ring-default|act/unsup|",
        "1004|fddinet-default|act/unsup|",
        "1005|trnet-default|act/unsup|",
    };
    expect_vlans(&l, want2, sizeof want2 / sizeof want2[0]);
    na_vlan_list_free(&l);
}

static void parse_nxos(void **st)
{
    (void)st;
    na_vlan_list l;
    parse_fixture("nxos_show_vlan_brief.txt", &l);
    static const char *const want[] = {
        "1|default|active|Eth1/2,Eth1/3,Eth1/4,Eth1/5,Eth1/6,Eth1/7,Eth1/8,Eth1/9,Eth1/10,"
        "Eth1/11,Eth1/12,Po1,Eth2/1",
        "10|WEB|active|",
        "20|VLAN0020|active|Eth2/12",
        "30|VLAN0030|act/lshut|",
        "100|this-name-is-longer-than-32-characters|active|Eth2/13,Eth2/14",
    };
    expect_vlans(&l, want, sizeof want / sizeof want[0]);
    na_vlan_list_free(&l);
}

static void parse_eos(void **st)
{
    (void)st;
    na_vlan_list l;
    parse_fixture("eos_show_vlan_brief.txt", &l);
    static const char *const want[] = {
        "1|default|active|Cpu,Et1,Et2,Et3,Et4,Et5,Et6,Et7,Et8,Et9,Et10",
        "10|Test1|active|Et11,PEt11",
        "20|Test2|suspended|",
        "30|VLAN0030|suspended|",
        "4094|mlag peer|active|Cpu,Po1000",
    };
    expect_vlans(&l, want, sizeof want / sizeof want[0]);
    na_vlan_list_free(&l);
}

static void parse_errors(void **st)
{
    (void)st;
    na_vlan_list l;
    na_err e = NA_ERR_INIT;
    const char *bad = "show vlan brief\n% Invalid input detected at '^' marker.\n";
    assert_int_equal(na_vlans_parse(bad, strlen(bad), &l, &e), -1);
    assert_int_equal(e.code, NA_E_PROTOCOL);
    assert_string_equal(e.msg, "no VLAN table in the output (expected a 'VLAN Name Status "
                               "Ports' header with a dashed line under it)");
    na_err_clear(&e);
    const char *dup = "VLAN Name                             Status    Ports\n"
                      "---- -------------------------------- --------- -----\n"
                      "10   a                                active    \n"
                      "10   b                                active    \n";
    assert_int_equal(na_vlans_parse(dup, strlen(dup), &l, &e), -1);
    assert_string_equal(e.msg, "show vlan: VLAN 10 listed twice");
    /* an empty table is a valid, empty list */
    const char *empty = "VLAN Name                             Status    Ports\n"
                        "---- -------------------------------- --------- -----\n";
    assert_int_equal(na_vlans_parse(empty, strlen(empty), &l, &e), 0);
    assert_int_equal(l.n, 0);
    na_vlan_list_free(&l);
}

/* Render commands as one string joined by '|'. */
static void expect_plan(na_vlans_state stt, const na_vlan_want *w, size_t n,
                        const na_vlan_list *cur, const char *want)
{
    na_strv c = NA_STRV_INIT;
    na_err e = NA_ERR_INIT;
    if (na_vlans_plan(stt, w, n, cur, &c, &e) < 0)
        fail_msg("plan failed: %s", e.msg);
    char b[4096] = "";
    size_t o = 0;
    for (size_t i = 0; i < c.n; i++)
        o += (size_t)snprintf(b + o, sizeof b - o, "%s%s", i ? "|" : "", c.v[i]);
    na_strv_free(&c);
    if (strcmp(b, want) != 0)
        fail_msg("%s: got '%s', want '%s'", na_vlans_state_name(stt), b, want);
}

static void plan_states(void **st)
{
    (void)st;
    na_vlan_list cur;
    parse_fixture("ios_show_vlan_brief.txt", &cur); /* 1, 10 Management, 20 users, 30, 40 */
    na_vlan_want w[] = {{20, "staff"}, {50, "voice"}, {10, NULL}, {40, NULL}};
    /* merged: rename 20, create 50; 10 and 40 exist and have no name asked: untouched */
    expect_plan(NA_VLANS_MERGED, w, 4, &cur, "vlan 20|name staff|exit|vlan 50|name voice|exit");
    /* replaced: also 10 back to its default name; 40 already has it */
    expect_plan(NA_VLANS_REPLACED, w, 4, &cur,
                "vlan 10|no name|exit|vlan 20|name staff|exit|vlan 50|name voice|exit");
    /* overridden: and 30 goes; the defaults 1 and 1002-1005 are never touched */
    expect_plan(NA_VLANS_OVERRIDDEN, w, 4, &cur,
                "no vlan 30|vlan 10|no name|exit|vlan 20|name staff|exit|vlan 50|name voice|exit");
    /* deleted: listed ones that exist (50 does not) */
    expect_plan(NA_VLANS_DELETED, w, 4, &cur, "no vlan 10|no vlan 20|no vlan 40");
    /* deleted with nothing listed: every non-default VLAN */
    expect_plan(NA_VLANS_DELETED, NULL, 0, &cur, "no vlan 10|no vlan 20|no vlan 30|no vlan 40");
    /* overridden with nothing listed: same as deleting everything non-default */
    expect_plan(NA_VLANS_OVERRIDDEN, NULL, 0, &cur,
                "no vlan 10|no vlan 20|no vlan 30|no vlan 40");
    /* replaced creating a VLAN without a name: just the VLAN */
    na_vlan_want w2[] = {{60, NULL}};
    expect_plan(NA_VLANS_REPLACED, w2, 1, &cur, "vlan 60|exit");
    na_vlan_list_free(&cur);
}

static void never_touch_defaults(void **st)
{
    (void)st;
    na_vlan_list cur;
    parse_fixture("ios_show_vlan_brief.txt", &cur);
    na_strv c = NA_STRV_INIT;
    na_err e = NA_ERR_INIT;
    int ids[] = {1, 1002, 1003, 1004, 1005};
    for (size_t i = 0; i < 5; i++) {
        na_vlan_want w[] = {{10, "a"}, {ids[i], "x"}};
        na_err_clear(&e);
        assert_int_equal(na_vlans_plan(NA_VLANS_DELETED, w, 2, &cur, &c, &e), -1);
        char want[128];
        snprintf(want, sizeof want,
                 "VLAN %d is a default VLAN (1, 1002-1005) and is never changed", ids[i]);
        assert_string_equal(e.msg, want);
        assert_int_equal(c.n, 0);
    }
    na_vlan_want bad[][1] = {{{0, NULL}}, {{4095, NULL}}, {{7, "has space"}},
                             {{7, "this-name-is-longer-than-32-characters"}}, {{7, ""}}};
    const char *msgs[] = {"VLAN id 0 is out of range (1-4094)",
                          "VLAN id 4095 is out of range (1-4094)",
                          "VLAN 7: name 'has space' contains a space (VLAN names are one word)",
                          "VLAN 7: name 'this-name-is-longer-than-32-characters' is longer than "
                          "32 characters",
                          "VLAN 7: name '' is empty"};
    for (size_t i = 0; i < 5; i++) {
        na_err_clear(&e);
        assert_int_equal(na_vlans_check(bad[i], 1, &e), -1);
        assert_string_equal(e.msg, msgs[i]);
    }
    na_vlan_want dup[] = {{7, NULL}, {7, "x"}};
    na_err_clear(&e);
    assert_int_equal(na_vlans_check(dup, 2, &e), -1);
    assert_string_equal(e.msg, "VLAN 7 is listed twice");
    na_vlan_list_free(&cur);
}

/* Build the `show vlan brief` text a device would print after applying cmds to cur. */
static char *apply(const na_vlan_list *cur, const na_strv *cmds)
{
    char names[4095][40];
    memset(names, 0, sizeof names);
    for (size_t i = 0; i < cur->n; i++)
        snprintf(names[cur->v[i].id], 40, "%s", cur->v[i].name);
    int in = 0;
    for (size_t i = 0; i < cmds->n; i++) {
        const char *c = cmds->v[i];
        int id;
        if (sscanf(c, "no vlan %d", &id) == 1) {
            names[id][0] = '\0';
        } else if (sscanf(c, "vlan %d", &id) == 1) {
            in = id;
            if (!names[id][0])
                snprintf(names[id], 40, "VLAN%04d", id);
        } else if (!strncmp(c, "name ", 5)) {
            snprintf(names[in], 40, "%s", c + 5);
        } else if (!strcmp(c, "no name")) {
            snprintf(names[in], 40, "VLAN%04d", in);
        } else {
            assert_string_equal(c, "exit");
        }
    }
    char *out = malloc(300000);
    size_t o = (size_t)sprintf(out, "VLAN Name                             Status    Ports\n"
                                    "---- -------------------------------- --------- -----\n");
    for (int id = 1; id <= 4094; id++)
        if (names[id][0])
            o += (size_t)sprintf(out + o, "%-4d %-32s %-9s \n", id, names[id], "active");
    return out;
}

static void idempotence_and_verify(void **st)
{
    (void)st;
    na_vlan_list cur;
    parse_fixture("ios_show_vlan_brief.txt", &cur);
    na_vlan_want w[] = {{20, "staff"}, {50, "voice"}, {10, NULL}, {3000, "far"}};
    for (int s = NA_VLANS_MERGED; s <= NA_VLANS_DELETED; s++) {
        na_err e = NA_ERR_INIT;
        /* before the change, verification fails and says why */
        na_strv c = NA_STRV_INIT;
        assert_int_equal(na_vlans_plan((na_vlans_state)s, w, 4, &cur, &c, &e), 0);
        assert_true(c.n > 0);
        assert_int_equal(na_vlans_verify((na_vlans_state)s, w, 4, &cur, &e), -1);
        assert_int_equal(e.code, NA_E_DEVICE);
        /* the device after the commands: desired state met, no more commands */
        char *after_txt = apply(&cur, &c);
        na_vlan_list after;
        assert_int_equal(na_vlans_parse(after_txt, strlen(after_txt), &after, &e), 0);
        na_err_clear(&e);
        if (na_vlans_verify((na_vlans_state)s, w, 4, &after, &e) < 0)
            fail_msg("%s: %s", na_vlans_state_name((na_vlans_state)s), e.msg);
        na_strv again = NA_STRV_INIT;
        assert_int_equal(na_vlans_plan((na_vlans_state)s, w, 4, &after, &again, &e), 0);
        assert_int_equal(again.n, 0);
        na_strv_free(&again);
        na_strv_free(&c);
        na_vlan_list_free(&after);
        free(after_txt);
    }
    na_err e = NA_ERR_INIT;
    assert_int_equal(na_vlans_verify(NA_VLANS_MERGED, w, 4, &cur, &e), -1);
    assert_string_equal(e.msg, "VLANs not as wanted (merged): VLAN 20 is named 'users', not "
                               "'staff'; VLAN 50 is missing; VLAN 3000 is missing");
    na_err_clear(&e);
    assert_int_equal(na_vlans_verify(NA_VLANS_OVERRIDDEN, w, 4, &cur, &e), -1);
    assert_string_equal(e.msg, "VLANs not as wanted (overridden): VLAN 20 is named 'users', not "
                               "'staff'; VLAN 50 is missing; VLAN 10 is named 'Management', not "
                               "'VLAN0010'; VLAN 3000 is missing; VLAN 30 should not exist; "
                               "VLAN 40 should not exist");
    na_vlan_list_free(&cur);
}

/* Damaged tables (bytes changed, lines cut) parse or fail with a message; never crash. */
static void damaged_tables(void **st)
{
    (void)st;
    const char *files[] = {"ios_show_vlan_brief.txt", "nxos_show_vlan_brief.txt",
                           "eos_show_vlan_brief.txt", "ios_show_vlan.txt"};
    unsigned seed = 3;
    for (int f = 0; f < 4; f++) {
        size_t n;
        char *orig = slurp(files[f], &n);
        for (int iter = 0; iter < 2000; iter++) {
            char *t = malloc(n + 1);
            memcpy(t, orig, n + 1);
            size_t len = n;
            for (int k = 0; k < 1 + iter % 5; k++) {
                seed = seed * 1103515245u + 12345u;
                size_t at = (seed >> 8) % len;
                if ((seed >> 4) % 4 == 0)
                    len = at; /* truncated output */
                else
                    t[at] = " ,-\n\r0123456789aZ"[(seed >> 20) % 18];
                if (!len)
                    break;
            }
            na_vlan_list l;
            na_err e = NA_ERR_INIT;
            if (na_vlans_parse(t, len, &l, &e) == 0) {
                for (size_t i = 0; i < l.n; i++)
                    assert_true(l.v[i].id >= 1 && l.v[i].id <= 4094 && l.v[i].name &&
                                l.v[i].status);
                na_vlan_list_free(&l);
            } else {
                assert_true(e.msg[0]);
            }
            free(t);
        }
        free(orig);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_ios),        cmocka_unit_test(parse_nxos),
        cmocka_unit_test(parse_eos),        cmocka_unit_test(parse_errors),
        cmocka_unit_test(plan_states),      cmocka_unit_test(never_touch_defaults),
        cmocka_unit_test(idempotence_and_verify), cmocka_unit_test(damaged_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
