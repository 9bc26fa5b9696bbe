/* test_textfsm.c — unit tests for the TextFSM engine (parsing/tfsm.h) and template selection
 * (parsing/tfsm_lib.h), each with its expected records written out: every Value option
 * (Filldown, Fillup, Key, Required, List with and without nested groups) and their order, every
 * action (Next, Continue, Error, Record, NoRecord, Clear, Clearall, state changes, End, EOF),
 * ${VALUE}/$$ substitution, the implicit record at the end of the input, template errors with
 * file:line:column, the input's line splitting and invalid UTF-8, limits; the index (header,
 * comments, dropped rows, [[...]] completion, first match, several templates merged by Key or
 * row by row) and the built-in templates. The same behaviour is compared with python3-textfsm
 * itself in tests/e2e/test_textfsm_diff.py; these pin it down without Python. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tfsm.h"
#include "tfsm_lib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Parse text with a template; compare compact JSON with want (or the error with want_err). */
static void run(const char *tpl, const char *text, const char *want)
{
    na_err e = NA_ERR_INIT;
    na_tfsm *t = na_tfsm_load("t.textfsm", tpl, strlen(tpl), &e);
    if (!t)
        fail_msg("template: %s", e.msg);
    na_tfsm_result *r = na_tfsm_parse(t, text, strlen(text), NULL, &e);
    if (!r)
        fail_msg("parse: %s", e.msg);
    json_t *j = na_tfsm_result_json(r, NA_TFSM_KEYS_ASIS);
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (strcmp(s, want) != 0)
        fail_msg("got  %s\nwant %s", s, want);
    free(s);
    json_decref(j);
    na_tfsm_result_free(r);
    na_tfsm_free(t);
}

static void load_fails(const char *tpl, na_code code, const char *want)
{
    na_err e = NA_ERR_INIT;
    na_tfsm *t = na_tfsm_load("t.textfsm", tpl, strlen(tpl), &e);
    if (t)
        fail_msg("loaded, want error '%s'", want);
    if (e.code != code || !strstr(e.msg, want))
        fail_msg("got [%s] %s\nwant [%s] %s", na_code_name(e.code), e.msg, na_code_name(code),
                 want);
}

static void parse_fails(const char *tpl, const char *text, na_code code, const char *want)
{
    na_err e = NA_ERR_INIT;
    na_tfsm *t = na_tfsm_load("t.textfsm", tpl, strlen(tpl), &e);
    if (!t)
        fail_msg("template: %s", e.msg);
    na_tfsm_result *r = na_tfsm_parse(t, text, strlen(text), NULL, &e);
    if (r)
        fail_msg("parsed, want error '%s'", want);
    if (e.code != code || !strstr(e.msg, want))
        fail_msg("got [%s] %s\nwant [%s] %s", na_code_name(e.code), e.msg, na_code_name(code),
                 want);
    na_tfsm_free(t);
}

/* ---- options ------------------------------------------------------------------------------ */

static void opt_filldown(void **st)
{
    (void)st;
    const char *t = "Value Filldown C (\\S+)\nValue S (\\d+)\n\nStart\n  ^c ${C}\n"
                    "  ^s ${S} -> Record\n  ^reset -> Clearall\n";
    run(t, "c x\ns 1\ns 2\nreset\ns 3\n",
        "[{\"C\":\"x\",\"S\":\"1\"},{\"C\":\"x\",\"S\":\"2\"},{\"C\":\"\",\"S\":\"3\"}]");
}

static void opt_fillup(void **st)
{
    (void)st;
    /* Fillup writes back until a record already has the value */
    const char *t = "Value Fillup V (\\S+)\nValue P (\\S+)\n\nStart\n  ^p ${P} -> Record\n"
                    "  ^v ${V}\n";
    run(t, "p 1\np 2\nv red\np 3\nv blue\n",
        "[{\"V\":\"red\",\"P\":\"1\"},{\"V\":\"red\",\"P\":\"2\"},{\"V\":\"red\",\"P\":\"3\"},"
        "{\"V\":\"blue\",\"P\":\"\"}]");
    /* (record 3 took the current value; blue stops at it and makes the last record) */
}

static void opt_required(void **st)
{
    (void)st;
    const char *t = "Value Required N (\\w+)\nValue A (\\S*)\n\nStart\n  ^n ${N}\n"
                    "  ^a ${A}\n  ^end -> Record\n";
    /* a record without N is dropped (and cleared); one where every value is empty is not
     * emitted at all */
    run(t, "a x\nend\nn k\nend\nend\n", "[{\"N\":\"k\",\"A\":\"\"}]");
}

static void opt_list(void **st)
{
    (void)st;
    const char *t = "Value List P (\\S+)\nValue N (\\S+)\n\nStart\n  ^p ${P}\n"
                    "  ^n ${N} -> Record\n";
    run(t, "p a\np b\nn 1\nn 2\n", "[{\"P\":[\"a\",\"b\"],\"N\":\"1\"},{\"P\":[],\"N\":\"2\"}]");
    /* nested named groups give mappings; a list kept by Filldown */
    const char *t2 = "Value List M ((?P<k>\\w)=(?P<v>\\d)?)\nValue List,Filldown F (\\w)\n"
                     "Value N (\\d)\n\nStart\n  ^m ${M}\n  ^f ${F}\n  ^n ${N} -> Record\n";
    run(t2, "m a=1\nm b=\nf x\nn 1\nf y\nn 2\n",
        "[{\"M\":[{\"k\":\"a\",\"v\":\"1\"},{\"k\":\"b\",\"v\":null}],\"F\":[\"x\"],\"N\":\"1\"},"
        "{\"M\":[],\"F\":[\"x\",\"y\"],\"N\":\"2\"},{\"M\":[],\"F\":[\"x\",\"y\"],\"N\":\"\"}]");
}

static void opt_order(void **st)
{
    (void)st;
    /* Required before List checks the last string assigned; List before Required checks the
     * list: the same input gives different records */
    const char *a = "Value Required,List L (\\w)\nValue N (\\d)\n\nStart\n  ^l ${L}\n"
                    "  ^n ${N} -> Record\n  ^x -> Clear\n";
    const char *b = "Value List,Required L (\\w)\nValue N (\\d)\n\nStart\n  ^l ${L}\n"
                    "  ^n ${N} -> Record\n  ^x -> Clear\n";
    run(a, "l a\nn 1\nn 2\n", "[{\"L\":[\"a\"],\"N\":\"1\"}]");
    run(b, "l a\nn 1\nn 2\n", "[{\"L\":[\"a\"],\"N\":\"1\"}]");
    run(a, "l a\nx\nn 1\n", "[]");
    assert_int_equal(NA_TFSM_OPT_KEY, 4);
    na_err e = NA_ERR_INIT;
    const char *k = "Value Key,Required K (\\w)\nValue OptionBase X (x)\n\nStart\n  ^${K}\n";
    na_tfsm *t = na_tfsm_load("k", k, strlen(k), &e);
    assert_non_null(t);
    assert_int_equal(na_tfsm_value_options(t, 0), NA_TFSM_OPT_KEY | NA_TFSM_OPT_REQUIRED);
    assert_int_equal(na_tfsm_value_options(t, 1), 0);
    na_tfsm_free(t);
}

/* ---- actions ------------------------------------------------------------------------------ */

static void act_continue(void **st)
{
    (void)st;
    const char *t = "Value A (\\d)\nValue B (\\d)\n\nStart\n  ^${A} -> Continue\n"
                    "  ^\\d ${B} -> Continue.Record\n  ^\\d \\d\n";
    run(t, "1 2\n3 4\n", "[{\"A\":\"1\",\"B\":\"2\"},{\"A\":\"3\",\"B\":\"4\"}]");
}

static void act_states(void **st)
{
    (void)st;
    const char *t = "Value X (\\d+)\n\nStart\n  ^begin -> Table\n\nTable\n"
                    "  ^${X} -> Next.Record\n  ^stop -> End\n";
    run(t, "1\nbegin\n2\n3\nstop\n4\n", "[{\"X\":\"2\"},{\"X\":\"3\"}]");
}

static void act_clear(void **st)
{
    (void)st;
    const char *t = "Value Filldown F (\\w)\nValue A (\\w)\n\nStart\n  ^f ${F}\n  ^a ${A}\n"
                    "  ^clear -> Clear\n  ^all -> Clearall\n  ^rec -> Record\n";
    run(t, "f x\na 1\nclear\nrec\nf y\na 2\nall\nrec\n", "[{\"F\":\"x\",\"A\":\"\"}]");
}

static void act_eof(void **st)
{
    (void)st;
    /* the last record is taken at the end of the input ... */
    run("Value A (\\w)\n\nStart\n  ^${A}\n", "a\nb\n", "[{\"A\":\"b\"}]");
    /* ... and when a rule goes to EOF, but not with an EOF state or after End */
    run("Value A (\\w)\n\nStart\n  ^${A}\n  ^! -> EOF\n", "a\n!\nb\n", "[{\"A\":\"a\"}]");
    run("Value A (\\w)\n\nStart\n  ^${A}\n\nEOF\n", "a\nb\n", "[]");
    run("Value A (\\w)\n\nStart\n  ^${A}\n  ^! -> End\n", "a\n!\n", "[]");
    run("Value A (\\w)\n\nStart\n  ^${A} -> Record\n\nEnd\n", "a\nb\n",
        "[{\"A\":\"a\"},{\"A\":\"b\"}]");
}

static void act_error(void **st)
{
    (void)st;
    const char *t = "Value A (\\w)\n\nStart\n  ^x -> Error \"bad x\"\n  ^y -> Error y_seen\n"
                    "  ^z -> Error\n";
    parse_fails(t, "a\nx\n", NA_E_PARSE,
                "t.textfsm:4:1: Error: \"bad x\". Rule Line: 4. Input Line: x. [input line 2]");
    parse_fails(t, "y\n", NA_E_PARSE, "Error: y_seen. Rule Line: 5. Input Line: y.");
    parse_fails(t, "z\n", NA_E_PARSE, "State Error raised. Rule Line: 6. Input Line: z");
}

static void substitution(void **st)
{
    (void)st;
    run("Value A_1 (\\w+)\n\nStart\n  ^$A_1 costs \\$$5$$ -> Record\n", "x costs $5\n",
        "[{\"A_1\":\"x\"}]");
    /* without Values nothing is substituted: $ is the regex anchor */
    run("\nStart\n  ^x$ -> Record\n", "x\n", "[]");
    load_fails("Value A (x)\n\nStart\n  ^${B}\n", NA_E_CONFIG,
               "t.textfsm:4:4: Duplicate or invalid variable substitution: '^${B}'. Line: 4.");
    load_fails("Value A (x)\n\nStart\n  ^x$\n", NA_E_CONFIG,
               "Duplicate or invalid variable substitution: '^x$'. Line: 4.");
}

/* ---- template errors (python3-textfsm's messages) ------------------------------------------ */

static void template_errors(void **st)
{
    (void)st;
    load_fails("Value A\n\nStart\n", NA_E_CONFIG, "t.textfsm:1:1: Expect at least 3 tokens on "
                                                  "line. Line 1.");
    load_fails("Value Fildown A (x)\n\nStart\n", NA_E_CONFIG,
               "t.textfsm:1:7: Unknown option \"Fildown\" Line 1.");
    load_fails("Value A x\n\nStart\n", NA_E_CONFIG, "Unknown option \"A\" Line 1.");
    load_fails("Value A (x\n\nStart\n", NA_E_CONFIG,
               "Value '(x' must be contained within a '()' pair. Line 1.");
    load_fails("Value List A ((?P<a>x)(?P<a>y))\n\nStart\n", NA_E_CONFIG,
               "t.textfsm:1:27: redefinition of group name 'a' as group 3; was group 2 at "
               "position 13 Line 1.");
    load_fails("Value A (x)\nStart\n", NA_E_CONFIG,
               "Expected blank line after last Value entry. Line: 2.");
    load_fails("Value A (x)\n\nStart\n  ^x -> Continue Other\n", NA_E_CONFIG,
               "Action 'Continue' with new state Other specified. Line: 4.");
    load_fails("Value A (x)\n\nStart\n  ^x -> Other\n", NA_E_CONFIG,
               "State 'Other' not found, referenced in state 'Start'");
    load_fails("Value A (x)\n\nBegin\n  ^x\n", NA_E_CONFIG, "Missing state 'Start'.");
    load_fails("Value A (x)\n\nStart\n^x\n", NA_E_CONFIG,
               "Missing white space or carat ('^') before rule. Line: 4");
    load_fails("Value A (x)\n\nStart\n  ^(${A}\n", NA_E_CONFIG,
               "t.textfsm:4:4: Invalid regular expression: '^((?P<A>x)'. Line: 4. [missing ), "
               "unterminated subpattern at position 1]");
    load_fails("Value A (x)\n\nStart\n  ^\\N{DASH}\n", NA_E_UNSUPPORTED,
               "named Unicode characters are not supported");
    load_fails("Value A (\xff)\n\nStart\n", NA_E_CONFIG, "t.textfsm:1:10: the template is not "
                                                        "valid UTF-8");
}

/* ---- input --------------------------------------------------------------------------------- */

static void input_lines(void **st)
{
    (void)st;
    const char *t = "Value L (.*)\n\nStart\n  ^${L} -> Record\n";
    /* str.splitlines(): \r\n, \r, \v, \f, \x1c-\x1e, U+0085, U+2028, U+2029; no empty last */
    run(t, "a\r\nb\rc\vd\fe\x1c" "f\xc2\x85g\xe2\x80\xa8h\n",
        "[{\"L\":\"a\"},{\"L\":\"b\"},{\"L\":\"c\"},{\"L\":\"d\"},{\"L\":\"e\"},{\"L\":\"f\"},"
        "{\"L\":\"g\"},{\"L\":\"h\"}]");
    /* invalid UTF-8 becomes U+FFFD, one per maximal subpart */
    run(t, "x\xff\xe2\x82y\n", "[{\"L\":\"x\xef\xbf\xbd\xef\xbf\xbdy\"}]");
    /* CRLF templates read like LF ones */
    run("Value A (\\d)\r\n\r\nStart\r\n  ^${A} -> Record\r\n", "1\n", "[{\"A\":\"1\"}]");
}

static void limits(void **st)
{
    (void)st;
    const char *t = "Value Filldown,List L (\\w+)\nValue N (\\d)\n\nStart\n  ^l ${L}\n"
                    "  ^${N} -> Record\n";
    na_err e = NA_ERR_INIT;
    na_tfsm *tp = na_tfsm_load("t", t, strlen(t), &e);
    assert_non_null(tp);
    char *text = malloc(200000);
    size_t n = 0;
    for (int i = 0; i < 20000; i++)
        n += (size_t)sprintf(text + n, i % 2 ? "1\n" : "l x\n");
    na_tfsm_limits lim = {.max_result = 1 << 20};
    na_tfsm_result *r = na_tfsm_parse(tp, text, n, &lim, &e);
    assert_null(r);
    assert_int_equal(e.code, NA_E_OVERFLOW);
    na_err_clear(&e);
    na_tfsm_limits small = {.max_input = 100};
    assert_null(na_tfsm_parse(tp, text, n, &small, &e));
    assert_int_equal(e.code, NA_E_OVERFLOW);
    free(text);
    na_tfsm_free(tp);
    /* a regex that backtracks without end stops at PCRE2's limit, with the input line */
    const char *slow = "Value A (x)\n\nStart\n  ^(a|aa)+$$ -> Record\n";
    tp = na_tfsm_load("t", slow, strlen(slow), &e);
    assert_non_null(tp);
    char line[200];
    memset(line, 'a', 120);
    line[120] = 'b';
    line[121] = '\0';
    na_err_clear(&e);
    na_tfsm_limits few = {.match_limit = 100000};
    assert_null(na_tfsm_parse(tp, line, strlen(line), &few, &e));
    assert_int_equal(e.code, NA_E_OVERFLOW);
    assert_non_null(strstr(e.msg, "backtracked too much"));
    na_tfsm_free(tp);
}

/* ---- the index and the library --------------------------------------------------------------- */

static char dir[256];

static void put(const char *name, const char *text)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void index_rules(void **st)
{
    (void)st;
    snprintf(dir, sizeof dir, "/tmp/netauto-test-textfsm.%d", (int)getpid());
    mkdir(dir, 0700);
    put("index", "# comment\n\n  Template ,Hostname, Platform, Command  # header\n"
                 "# a comment row\n"
                 "first.textfsm, .*, acme, sh[[ow]] ve[[rsion]]$\n"
                 "wrong width, acme\n"
                 "second.textfsm, .*, acme, show\n"
                 "a.textfsm:b.textfsm, .*, zeta, show things\n"
                 "c.textfsm:d.textfsm, .*, omega, show things\n");
    put("first.textfsm", "Value V (\\S+)\n\nStart\n  ^v ${V} -> Record\n");
    put("second.textfsm", "Value S (\\S+)\n\nStart\n  ^(?P<S>.*) -> Record\n");
    put("a.textfsm", "Value Key N (\\w)\nValue C (\\w+)\n\nStart\n  ^${N} colour ${C} -> Record\n");
    put("b.textfsm", "Value Key N (\\w)\nValue S (\\d+)\n\nStart\n  ^${N} size ${S} -> Record\n");
    put("c.textfsm", "Value N (\\w)\n\nStart\n  ^${N} colour -> Record\n");
    put("d.textfsm", "Value S (\\d+)\n\nStart\n  ^\\w size ${S} -> Record\n");
    const char *dirs[] = {dir, NULL};
    na_err e = NA_ERR_INIT;
    na_tfsm_lib *lib = na_tfsm_lib_new(dirs, false, &e);
    if (!lib)
        fail_msg("%s", e.msg);
    const char *tpl, *where;
    assert_int_equal(na_tfsm_lib_lookup(lib, "acme", "sho ver", &tpl, &where, &e), 0);
    assert_string_equal(tpl, "first.textfsm");
    /* re.match: a prefix is enough unless the regex ends with $ (for the platform too:
     * "acme" would match "acme2") */
    assert_int_equal(na_tfsm_lib_lookup(lib, "acme", "show version detail", &tpl, &where, &e), 0);
    assert_string_equal(tpl, "second.textfsm");
    assert_int_equal(na_tfsm_lib_lookup(lib, "acme", "s ver", &tpl, &where, &e), -1);
    assert_int_equal(e.code, NA_E_NOTFOUND);
    na_err_clear(&e);
    /* several templates: merged on the Key values ... */
    const char *text = "a colour red\nb colour blue\nb size 7\nc size 9\n";
    json_t *j = na_tfsm_lib_parse(lib, "zeta", "show things", text, strlen(text), NULL, &e);
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_string_equal(s, "[{\"n\":\"a\",\"c\":\"red\",\"s\":\"\"},{\"n\":\"b\",\"c\":\"blue\","
                           "\"s\":\"7\"}]");
    free(s);
    json_decref(j);
    /* ... or row by row without Keys */
    j = na_tfsm_lib_parse(lib, "omega", "show things", text, strlen(text), NULL, &e);
    s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_string_equal(s, "[{\"n\":\"a\",\"s\":\"7\"},{\"n\":\"b\",\"s\":\"9\"}]");
    free(s);
    json_decref(j);
    na_tfsm_lib_free(lib);
    /* a bad regex in the index is found when it is read */
    put("index", "Template, Platform, Command\nx.textfsm, acme(, show\n");
    assert_null(na_tfsm_lib_new(dirs, false, &e));
    assert_int_equal(e.code, NA_E_CONFIG);
    assert_non_null(strstr(e.msg, "index:2: the Platform regex"));
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void builtin_templates(void **st)
{
    (void)st;
    na_err e = NA_ERR_INIT;
    na_tfsm_lib *lib = na_tfsm_lib_new(NULL, true, &e);
    assert_non_null(lib);
    const char *plats[] = {"cisco_ios", "cisco_nxos", "arista_eos"};
    const char *cmds[] = {"show vlan", "sh vl br", "show ip interface brief", "show version",
                          "show clock"};
    for (size_t p = 0; p < 3; p++)
        for (size_t c = 0; c < 5; c++)
            if (na_tfsm_lib_prepare(lib, plats[p], cmds[c], &e) < 0)
                fail_msg("%s %s: %s", plats[p], cmds[c], e.msg);
    const char *out = "VLAN Name                             Status    Ports\n"
                      "---- -------------------------------- --------- ------------------------"
                      "-------\n1    default                          active    Gi0/1, Gi0/2\n";
    json_t *j = na_tfsm_lib_parse(lib, "cisco_ios", "show vlan brief", out, strlen(out), NULL,
                                  &e);
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_string_equal(s, "[{\"vlan_id\":\"1\",\"vlan_name\":\"default\",\"status\":\"active\","
                           "\"interfaces\":[\"Gi0/1\",\"Gi0/2\"]}]");
    free(s);
    json_decref(j);
    na_tfsm_lib_free(lib);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(opt_filldown),    cmocka_unit_test(opt_fillup),
        cmocka_unit_test(opt_required),    cmocka_unit_test(opt_list),
        cmocka_unit_test(opt_order),       cmocka_unit_test(act_continue),
        cmocka_unit_test(act_states),      cmocka_unit_test(act_clear),
        cmocka_unit_test(act_eof),         cmocka_unit_test(act_error),
        cmocka_unit_test(substitution),    cmocka_unit_test(template_errors),
        cmocka_unit_test(input_lines),     cmocka_unit_test(limits),
        cmocka_unit_test(index_rules),     cmocka_unit_test(builtin_templates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
