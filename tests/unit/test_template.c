/* test_template.c — unit tests for playbooks/template.[ch]: paths, indexes, literals, filters,
 * tests and comparisons, native values, lazy variables, unknown (runtime-only) values, literal
 * braces, and every class of error with its exact message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "template.h"

#include <stdlib.h>
#include <string.h>

static json_t *vars(void)
{
    json_error_t je;
    json_t *v = json_loads(
        "{\"site\": \"lab1\", \"n\": 7, \"pi\": 3.5, \"flag\": true, \"nothing\": null,"
        " \"names\": [\"users\", \"voice\", \"guests\"],"
        " \"vlans\": [{\"id\": 2, \"name\": \"users\"}, {\"id\": 3, \"name\": \"voice\"}],"
        " \"sub\": {\"list\": [10, 20, 30], \"key\": \"k\"},"
        " \"byid\": {\"10\": \"ten\"}, \"empty\": \"\", \"idx\": 1,"
        " \"kv\": [{\"key\": \"a\", \"value\": 1}],"
        " \"lazy\": \"{{ site }}-core\", \"lazylist\": \"{{ names }}\","
        " \"loop1\": \"{{ loop2 }}\", \"loop2\": \"{{ loop1 }}\","
        " \"nested\": {\"x\": \"{{ n }}\", \"bad\": \"{{ nope }}\"}}",
        0, &je);
    assert_non_null(v);
    return v;
}

/* Render src against vars(); returns malloc'd text or NULL with err. */
static char *render(const char *src, na_err *err)
{
    json_t *v = vars();
    char *s = na_tpl_render_string(src, v, err);
    json_decref(v);
    return s;
}

static void expect_render(const char *src, const char *want)
{
    na_err e = NA_ERR_INIT;
    char *s = render(src, &e);
    if (!s)
        fail_msg("'%s': unexpected error: %s", src, e.msg);
    if (strcmp(s, want) != 0)
        fail_msg("'%s': got '%s', want '%s'", src, s, want);
    free(s);
}

static void expect_error(const char *src, const char *want)
{
    na_err e = NA_ERR_INIT;
    char *s = render(src, &e);
    if (s)
        fail_msg("'%s': rendered '%s', wanted error '%s'", src, s, want);
    if (strcmp(e.msg, want) != 0)
        fail_msg("'%s': got error '%s', want '%s'", src, e.msg, want);
}

static void paths_and_indexes(void **st)
{
    (void)st;
    expect_render("plain text", "plain text");
    expect_render("vlan {{ n }}", "vlan 7");
    expect_render("{{site}}/{{ n }}", "lab1/7");
    expect_render("{{ vlans[1].name }}", "voice");
    expect_render("{{ vlans.0.id }}", "2");
    expect_render("{{ vlans[-1]['name'] }}", "voice");
    expect_render("{{ sub.list[idx] }}", "20");
    expect_render("{{ sub['key'] }}", "k");
    expect_render("{{ byid[10] }}", "ten");
    expect_render("{{ [10, [20, 'x']][1][1] }} {{ (names | join(',')) }}", "x users,voice,guests");
    expect_render("{{ pi }} {{ flag }} [{{ nothing }}]", "3.5 true []");
    expect_render("{{ names }}", "[\"users\",\"voice\",\"guests\"]");
    expect_render("{{ 'a\\'b' }} {{ \"x\" }} {{ -3 }} {{ 2.0 }}", "a'b x -3 2.0");
    /* literal braces */
    expect_render("{{ '{{' }} not a var {{ '}}' }}", "{{ not a var }}");
    expect_render("a } b { c }} d", "a } b { c }} d");
}

static void filters(void **st)
{
    (void)st;
    expect_render("{{ missing | default('x') }}", "x");
    expect_render("{{ missing | d(5) }}", "5");
    expect_render("{{ sub.nope | default('none') }}", "none");
    expect_render("{{ empty | default('e', true) }}", "e");
    expect_render("{{ empty | default('e') }}", "");
    expect_render("{{ site | default('x') }}", "lab1");
    expect_render("{{ site | upper }} {{ 'ABC' | lower }}", "LAB1 abc");
    expect_render("{{ names | join(',') }}", "users,voice,guests");
    /* items2dict (Ansible's): fields as given, or key/value; keys as text */
    expect_render("{{ (vlans | items2dict('id', 'name'))['3'] }}", "voice");
    expect_render("{{ '2' in (vlans | items2dict('id', 'name')) }}", "true");
    expect_render("{{ kv | items2dict }}", "{\"a\":1}");
    expect_error("{{ vlans | items2dict('id', 'nope') }}",
                 "filter 'items2dict': item 0 has no 'id' or no 'nope'");
    expect_render("{{ sub.list | join }}", "102030");
    expect_render("{{ names | length }} {{ site | length }} {{ sub | count }}", "3 4 2");
    expect_render("[{{ '  x y  ' | trim }}]", "[x y]");
    expect_render("{{ 'Gi0/1' | replace('Gi', 'GigabitEthernet') }}", "GigabitEthernet0/1");
    expect_render("{{ '42' | int }} {{ pi | int }} {{ n | string | length }}", "42 3 1");
    expect_render("{{ names | join(', ') | upper }}", "USERS, VOICE, GUESTS");
}

static void tests_and_logic(void **st)
{
    (void)st;
    expect_render("{{ n == 7 }} {{ n != 7 }} {{ n > 3 }} {{ n <= 6 }}", "true false true false");
    expect_render("{{ 'voice' in names }} {{ 'x' not in names }} {{ 'ab' in site }}",
                  "true true true");
    expect_render("{{ 'key' in sub }} {{ pi == 3.5 }} {{ n == 7.0 }}", "true true true");
    expect_render("{{ missing is defined }} {{ missing is not defined }} {{ n is defined }}",
                  "false true true");
    expect_render("{{ missing is undefined }}", "true");
    expect_render("{{ not flag }} {{ flag and n > 9 }} {{ flag or missing }}",
                  "false false true");
    expect_render("{{ (n > 3 and site == 'lab1') or false }}", "true");
    expect_render("{{ missing is defined and missing > 3 }}", "false"); /* short circuit */
    expect_render("{{ [1, 'a'] }} {{ 2 in [1, 2] }}", "[1,\"a\"] true");
}

static void lazy_variables(void **st)
{
    (void)st;
    expect_render("{{ lazy }}", "lab1-core");
    expect_render("{{ lazylist[2] }}", "guests");
    expect_render("{{ nested.x }}", "7");
    expect_error("{{ nested.bad }}", "undefined variable 'nope' (in the value of 'nested.bad')");
    expect_error("{{ loop1 }}",
                 "variables nested more than 32 deep (does 'loop1' refer to itself?)");
}

/* Variables that each use the next one twice: 2^30 evaluations in 31 short strings. The work
 * per environment is bounded (NA_TPL_MAX_STEPS), so this fails quickly instead of hanging. */
static void exponential_variables(void **st)
{
    (void)st;
    json_t *v = json_object();
    char k[16], val[64];
    for (int i = 0; i < 30; i++) {
        snprintf(k, sizeof k, "v%d", i);
        snprintf(val, sizeof val, "{{ v%d }}{{ v%d }}", i + 1, i + 1);
        json_object_set_new(v, k, json_string(val));
    }
    json_object_set_new(v, "v30", json_string(""));
    na_err e = NA_ERR_INIT;
    assert_null(na_tpl_render_string("{{ v0 }}", v, &e));
    assert_int_equal(e.code, NA_E_CONFIG);
    assert_non_null(strstr(e.msg, "evaluation takes more than 1000000 steps"));
    /* a few levels are fine: 2^10 evaluations */
    na_err_clear(&e);
    char *r = na_tpl_render_string("{{ v20 }}x", v, &e);
    assert_non_null(r);
    assert_string_equal(r, "x");
    free(r);
    json_decref(v);
}

/* A list that repeats a big value (device output registered by a task: up to 16 MiB) is
 * rendered into text within NA_TPL_MAX_OUT, never materialised whole first: 4000 references to
 * 4 MiB would be 16 GB. */
static int raw_lookup(na_tpl_env *env, const char *name, json_t **out, na_err *err)
{
    (void)err;
    *out = json_incref(json_object_get(env->ud, name));
    return *out ? NA_TPL_FOUND_RAW : NA_TPL_UNDEF;
}

static void big_values_stay_bounded(void **st)
{
    (void)st;
    size_t big = (size_t)4 << 20;
    char *text = malloc(big + 1);
    assert_non_null(text);
    memset(text, 'x', big);
    text[big] = '\0';
    json_t *vars = json_pack("{s:s}", "out", text);
    free(text);
    na_buf src;
    na_buf_init(&src, 0);
    assert_int_equal(na_buf_puts(&src, "{{ [", NULL), 0);
    for (int i = 0; i < 4000; i++)
        assert_int_equal(na_buf_puts(&src, i ? ", out" : "out", NULL), 0);
    assert_int_equal(na_buf_puts(&src, "] }} and more", NULL), 0);
    na_err e = NA_ERR_INIT;
    na_tpl *t = na_tpl_compile(na_buf_cstr(&src), &e);
    assert_non_null(t);
    na_tpl_env env = {.lookup = raw_lookup, .ud = vars};
    na_buf out;
    na_buf_init(&out, NA_TPL_MAX_OUT);
    assert_int_equal(na_tpl_render(t, &env, &out, &e), -1);
    assert_int_equal(e.code, NA_E_OVERFLOW);
    assert_true(out.len <= NA_TPL_MAX_OUT);
    na_buf_free(&out);
    na_tpl_free(t);
    na_buf_free(&src);
    json_decref(vars);
}

static void errors(void **st)
{
    (void)st;
    expect_error("{{ vlan_list }}", "undefined variable 'vlan_list'");
    expect_error("{{ sub.nope }}", "'sub' has no field 'nope'");
    expect_error("{{ sub.list[5] }}", "'sub.list' has no item [5] (it has 3)");
    expect_error("{{ site.x }}", "'site' is a string, not a mapping (looking for field 'x')");
    expect_error("{{ names['a'] }}", "cannot index 'names' (a list) with a string");
    expect_error("{{ missing | upper }}", "undefined variable 'missing'");
    expect_error("{{ names | upper }}", "filter 'upper' expects a string, got a list");
    expect_error("{{ site | join(',') }}", "filter 'join' expects a list, got a string");
    expect_error("{{ 'x1' | int }}", "filter 'int': 'x1' is not an integer");
    expect_error("{{ n < 'a' }}", "cannot compare an integer with a string");
    /* syntax errors */
    expect_error("vlan {{ n", "template syntax error: expected '}}' but found end of text "
                              "(missing '}}') in '{{ n'");
    expect_error("{{ }}", "template syntax error: empty expression in '{{ }}'");
    expect_error("{{ a b }}", "template syntax error: expected '}}' but found 'b' in '{{ a b }}'");
    expect_error("{{ a | nosuch }}", "template syntax error: unknown filter 'nosuch' (filters: "
                                     "default (d), upper, lower, join, length (count), trim, "
                                     "replace, int, string, regex_search, regex_replace, "
                                     "split, first, last, unique, sort, min, max, items2dict) "
                                     "in '{{ a | nosuch }}'");
    expect_error("{{ a | upper(1) }}",
                 "template syntax error: filter 'upper' takes no arguments in '{{ a | upper(1) }}'");
    expect_error("{{ a | replace('x') }}", "template syntax error: filter 'replace' takes 2 "
                                           "arguments in '{{ a | replace('x') }}'");
    expect_error("{{ 'abc }}", "template syntax error: unterminated string in '{{ 'abc }}'");
    expect_error("{{ a = 1 }}", "template syntax error: '=' is not an operator (use '==' to "
                                "compare) in '{{ a = 1 }}'");
    expect_error("{% if x %}y{% endif %}",
                 "template syntax error: '{%' blocks are not supported (only {{ expressions }}; "
                 "write a literal '{%' as {{ '{%' }}) in '{% if x %}y{% endif %}'");
    expect_error("{{ a is empty }}", "template syntax error: only 'is defined' and 'is "
                                     "undefined' tests exist, found 'empty' in '{{ a is empty }}'");
    expect_error("{{ (a }}", "template syntax error: expected ')' but found '}}' in '{{ (a }}'");
    /* nesting bound */
    char deep[400] = "{{ ";
    for (int i = 0; i < 100; i++)
        strcat(deep, "(");
    strcat(deep, "1 }}");
    na_err e = NA_ERR_INIT;
    char *s = render(deep, &e);
    assert_null(s);
    assert_non_null(strstr(e.msg, "expression nested too deeply (more than 64 levels)"));
}

/* The filters from Ansible and `~` (their values against Ansible's own: test_template_ansible) */
static void ansible_filters(void **st)
{
    (void)st;
    expect_render("{{ 'vlan' ~ n ~ '-' ~ site }}", "vlan7-lab1");
    expect_render("{{ 'x' ~ names | first | upper }}", "xUSERS"); /* filters bind first */
    expect_render("{{ 'a' ~ 'b' == 'ab' }}", "true");              /* ~ before == */
    expect_render("{{ names | sort | join(',') }}", "guests,users,voice");
    expect_render("{{ names | sort(reverse=true) | first }}", "voice");
    expect_render("{{ vlans | sort(attribute='name', reverse=true) | first }}",
                  "{\"id\":3,\"name\":\"voice\"}");
    expect_render("{{ names | max }} {{ names | min }}", "voice guests");
    expect_render("{{ [3, 1, 3] | unique | join }}", "31");
    expect_render("{{ 'Gi0/1 up' | regex_search('\\d+/\\d+') }}", "0/1");
    expect_render("{{ 'Gi0/1' | regex_search('(\\d+)/(\\d+)', '\\2') | first }}", "1");
    expect_render("[{{ 'abc' | regex_search('z') }}]", "[]"); /* no match: none */
    expect_render("{{ 'Gi0/1' | regex_replace('(\\w+?)(\\d+)/(\\d+)', '\\1 \\g<3>') }}",
                  "Gi 1");
    expect_render("{{ 'a,b,,c' | split(',') | length }}", "4");
    expect_render("{{ ' a  b ' | split | join('|') }}", "a|b");
    expect_render("{{ 'a\\'b' }}", "a'b"); /* \' is the one escape; other \ stay */
    expect_render("{{ 'C:\\dir' }}", "C:\\dir");
    /* name=value arguments are checked when the template is compiled */
    expect_error("{{ names | sort(rev=true) }}",
                 "template syntax error: filter 'sort' has no argument 'rev' in "
                 "'{{ names | sort(rev=true) }}'");
    expect_error("{{ names | sort(reverse=true, false) }}",
                 "template syntax error: filter 'sort' has a positional argument after a "
                 "name=value one in '{{ names | sort(reverse=true, false) }}'");
    expect_error("{{ names | first(1) }}", "template syntax error: filter 'first' takes no "
                                           "arguments in '{{ names | first(1) }}'");
    expect_error("{{ names | regex_search }}", "template syntax error: filter 'regex_search' "
                                               "takes at least 1 argument in "
                                               "'{{ names | regex_search }}'");
    expect_error("{{ site | regex_search('(') }}",
                 "filter 'regex_search': bad regular expression '(': missing closing "
                 "parenthesis at offset 1");
    expect_error("{{ [1, 'a'] | sort }}", "filter 'sort': cannot compare an integer with a "
                                          "string");
    expect_error("{{ [] | first }}", "filter 'first': the list is empty");
    expect_error("{{ vlans | max }}", "filter 'max': cannot compare a mapping with a mapping");
    expect_error("{{ n | split }}", "filter 'split' expects a string, got an integer");
}

static void native_values_and_unknown(void **st)
{
    (void)st;
    json_t *v = vars();
    na_tpl_layers l = {.layer = {v}, .n = 1};
    na_tpl_env env;
    na_tpl_env_layers(&env, &l);
    na_err e = NA_ERR_INIT;

    na_tpl *t = na_tpl_compile("  {{ vlans }} ", &e);
    assert_non_null(t);
    assert_true(na_tpl_is_single_expr(t));
    json_t *out;
    assert_int_equal(na_tpl_eval(t, &env, &out, &e), NA_TPL_OK);
    assert_true(json_is_array(out));
    assert_int_equal(json_array_size(out), 2);
    json_decref(out);
    na_tpl_free(t);

    t = na_tpl_compile("{{ n }}x", &e);
    assert_false(na_tpl_is_single_expr(t));
    assert_int_equal(na_tpl_eval(t, &env, &out, &e), NA_TPL_OK);
    assert_string_equal(json_string_value(out), "7x");
    json_decref(out);
    na_tpl_free(t);

    t = na_tpl_compile("{{ lazylist }}", &e);
    assert_int_equal(na_tpl_eval(t, &env, &out, &e), NA_TPL_OK);
    assert_true(json_is_array(out)); /* a lazy variable's native value survives */
    json_decref(out);
    na_tpl_free(t);

    /* `when`-style bare expressions */
    bool b;
    t = na_tpl_compile_expr("site == 'lab1' and n > 5", &e);
    assert_non_null(t);
    assert_int_equal(na_tpl_test(t, &env, &b, &e), NA_TPL_OK);
    assert_true(b);
    na_tpl_free(t);
    t = na_tpl_compile_expr("{{ empty }}", &e);
    assert_int_equal(na_tpl_test(t, &env, &b, &e), NA_TPL_OK);
    assert_false(b);
    na_tpl_free(t);
    assert_null(na_tpl_compile_expr("n ==", &e));
    assert_string_equal(e.msg, "template syntax error: expected a value but found end of "
                               "expression in 'n =='");
    json_decref(v);
}

/* A lookup where `out` is known only at runtime. */
static int unknown_lookup(na_tpl_env *env, const char *name, json_t **out, na_err *err)
{
    (void)err;
    if (!strcmp(name, "out"))
        return NA_TPL_UNKNOWN;
    if (!strcmp(name, "raw")) {
        *out = json_string("{{ not evaluated }}");
        return NA_TPL_FOUND_RAW;
    }
    const json_t *v = env->ud;
    json_t *j = json_object_get(v, name);
    if (!j)
        return NA_TPL_UNDEF;
    *out = json_incref(j);
    return NA_TPL_FOUND;
}

static void unknown_values(void **st)
{
    (void)st;
    json_t *v = vars();
    na_tpl_env env = {.lookup = unknown_lookup, .ud = v};
    na_err e = NA_ERR_INIT;
    na_buf b;
    na_buf_init(&b, 0);
    na_tpl *t = na_tpl_compile("show {{ out.stdout[0] | upper }} on {{ site }}", &e);
    assert_int_equal(na_tpl_render(t, &env, &b, &e), NA_TPL_UNKNOWN_VALUE);
    assert_string_equal(na_buf_cstr(&b), "show {{ out.stdout[0] | upper }} on lab1");
    na_tpl_free(t);
    /* undefined variables are still errors next to unknown ones */
    na_buf_reset(&b);
    t = na_tpl_compile("{{ out.x }} {{ vlan_list }}", &e);
    assert_int_equal(na_tpl_render(t, &env, &b, &e), -1);
    assert_string_equal(e.msg, "undefined variable 'vlan_list'");
    na_tpl_free(t);
    na_err_clear(&e);
    /* raw values are never evaluated (device output may contain braces) */
    na_buf_reset(&b);
    t = na_tpl_compile("{{ raw }}", &e);
    assert_int_equal(na_tpl_render(t, &env, &b, &e), NA_TPL_OK);
    assert_string_equal(na_buf_cstr(&b), "{{ not evaluated }}");
    na_tpl_free(t);
    /* unknown in conditions: `false and unknown` is false, `true and unknown` unknown */
    bool r;
    t = na_tpl_compile_expr("flag and out.failed", &e);
    assert_int_equal(na_tpl_test(t, &env, &r, &e), NA_TPL_UNKNOWN_VALUE);
    na_tpl_free(t);
    t = na_tpl_compile_expr("not flag and out.failed", &e);
    assert_int_equal(na_tpl_test(t, &env, &r, &e), NA_TPL_OK);
    assert_false(r);
    na_tpl_free(t);
    na_buf_free(&b);
    json_decref(v);
}

/* Random expressions: compile and render must succeed or fail with a message, never crash. */
static void random_expressions(void **st)
{
    (void)st;
    static const char *const tok[] = {
        "{{", "}}", "item", "vlans", "names", ".", "[", "]", "(", ")", "0", "-1", "'a'", "\"b\"",
        "|", "default", "upper", "join", "length", "replace", "int", ",", "==", "!=", "<", "in",
        "not", "and", "or", "is", "defined", "lazy", "sub", "list", " ", "x", "{%", "'{{'"};
    unsigned seed = 99;
    json_t *v = vars();
    for (int iter = 0; iter < 20000; iter++) {
        char src[512] = "";
        int n = 1 + iter % 24;
        for (int k = 0; k < n; k++) {
            seed = seed * 1103515245u + 12345u;
            strcat(src, tok[(seed >> 12) % (sizeof tok / sizeof tok[0])]);
        }
        na_err e = NA_ERR_INIT;
        char *out = na_tpl_render_string(src, v, &e);
        if (out)
            free(out);
        else
            assert_true(e.code != NA_E_NONE && e.msg[0]);
        na_tpl *t = na_tpl_compile_expr(src, &e);
        na_tpl_free(t);
    }
    json_decref(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(paths_and_indexes),   cmocka_unit_test(filters),
        cmocka_unit_test(tests_and_logic),     cmocka_unit_test(lazy_variables),
        cmocka_unit_test(errors),              cmocka_unit_test(native_values_and_unknown),
        cmocka_unit_test(exponential_variables), cmocka_unit_test(big_values_stay_bounded),
        cmocka_unit_test(unknown_values),      cmocka_unit_test(random_expressions),
        cmocka_unit_test(ansible_filters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
