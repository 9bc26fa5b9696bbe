/* test_template_ansible.c — differential test of the template filters Ansible playbooks use
 * (regex_search, regex_replace, split, first, last, unique, sort, min, max, items2dict, `~`,
 * name=value arguments) against the reference: each expression is evaluated by netauto's engine
 * and by Ansible's own Templar (tests/fixtures/jinja/oracle.py, run here with Debian's python3
 * and ansible-core), and the values must be equal; an expression Ansible refuses must be refused
 * too. Documented differences are normalised: none and "" are the same result (Ansible renders
 * a filter's None as ""), a lone number is compared as text (Ansible renders it as text,
 * netauto keeps the number), and `~` renders lists as JSON where Python prints its repr (no
 * list is concatenated below). Backslashes in string literals are Ansible's: ordinary
 * characters. Without ansible-core the test is skipped, not passed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char VARS[] =
    "{\"names\": [\"B\", \"a\", \"C\", \"a\"], \"ints\": [3, 1, 2, 3], \"reals\": [2.5, 1, 3],"
    " \"mixed\": [\"b\", \"A\", \"a\", \"B\"],"
    " \"s\": \"GigabitEthernet0/1 is up, line protocol is up\","
    " \"ver\": \"Cisco IOS Software, Version 15.2(4)E10, RELEASE SOFTWARE (fc2)\","
    " \"csv\": \"a,b,,c\", \"spaced\": \"  one  two\\tthree \","
    " \"vlans\": [{\"id\": 20, \"name\": \"users\"}, {\"id\": 10, \"name\": \"Voice\"},"
    "             {\"id\": 30, \"name\": \"mgmt\"}],"
    " \"dicts\": [{\"a\": 1}, {\"a\": 1}, {\"a\": 2}], \"lists\": [[2, 1], [1, 2], [2, 1]],"
    " \"kv\": [{\"key\": \"a\", \"value\": 1}, {\"key\": \"b\", \"value\": [2]}],"
    " \"word\": \"héllo\"}";

static const char *const EXPRS[] = {
    /* sort */
    "names | sort", "names | sort(reverse=true)", "names | sort(case_sensitive=true)",
    "ints | sort", "reals | sort", "vlans | sort(attribute='id')",
    "vlans | sort(attribute='name')", "vlans | sort(attribute='name', case_sensitive=true)",
    "vlans | sort(attribute='id', reverse=true)", "lists | sort", "mixed | sort",
    "names | sort(true)",
    /* unique */
    "names | unique", "names | unique(case_sensitive=true)", "ints | unique", "dicts | unique",
    "mixed | unique", "lists | unique", "'aAbB' | unique",
    /* min, max */
    "names | min", "names | max", "ints | min", "ints | max", "reals | max",
    "names | max(case_sensitive=true)", "vlans | min(attribute='id')",
    "vlans | max(attribute='name')", "mixed | min",
    /* first, last */
    "names | first", "names | last", "s | first", "s | last", "ints | first", "word | last",
    "vlans | first", "(names | first) ~ (names | last)",
    /* split */
    "csv | split(',')", "spaced | split", "spaced | split(' ')", "csv | split(',', 1)",
    "s | split(' ', 2)", "s | split(', ')", "'' | split", "'' | split(',')",
    "csv | split(sep=',')", "s | split(maxsplit=1)",
    /* regex_search */
    "s | regex_search('\\d+/\\d+')", "s | regex_search('Ethernet(\\d+)/(\\d+)', '\\1')",
    "s | regex_search('Ethernet(\\d+)/(\\d+)', '\\2', '\\1')",
    "ver | regex_search('Version (?P<v>[^,]+)', '\\g<v>')",
    "s | regex_search('IS UP', ignorecase=true)", "s | regex_search('IS UP')",
    "s | regex_search('^line', multiline=true)", "ver | regex_search('\\((\\w+)\\)$', '\\1')",
    "s | regex_search('(x)?Gig', '\\1')",
    /* regex_replace */
    "s | regex_replace('(\\w+)Ethernet(\\d+)', '\\1-\\2')", "s | regex_replace('up', 'down')",
    "s | regex_replace('^\\w+', 'X')", "'abxd' | regex_replace('x*', '-')",
    "s | regex_replace('(?P<t>Giga)bit', '\\g<t>')", "ver | regex_replace('\\(', '[')",
    "s | regex_replace('UP', 'down', ignorecase=true)", "s | regex_replace('is ', '')",
    "ver | regex_replace('(\\d+)\\.(\\d+)', '\\g<2>.\\g<1>')", "'a b' | regex_replace(' ', '\\n')",
    "'aaa' | regex_replace('a', 'b')", "'' | regex_replace('^$', 'empty')",
    "ver | regex_replace('(?P<x>IOS)|(?P<y>nomatch)', '[\\g<y>]')",
    /* items2dict */
    "kv | items2dict", "vlans | items2dict('id', 'name')",
    "vlans | items2dict(key_name='name', value_name='id')", "(vlans | items2dict('id', 'name'))[20]",
    "vlans | items2dict", "ints | items2dict",
    /* ~ and combinations */
    "'a' ~ 'b' ~ 1", "names | first ~ '-' ~ names | last", "(ints | max) ~ ''",
    "names | join(',') | upper", "names | sort | first", "(s | split(' '))[0] | lower",
    "'vlan ' ~ (vlans | sort(attribute='id') | first).id",
    /* errors in both */
    "s | regex_search('(')", "ints | first | split", "vlans | sort", "empty_missing | sort",
};

/* The engine's value for one expression: JSON text, or "ERROR" when it fails. */
static char *netauto_eval(const json_t *vars, const char *expr)
{
    char src[1024];
    snprintf(src, sizeof src, "{{ %s }}", expr);
    na_err e = NA_ERR_INIT;
    na_tpl *t = na_tpl_compile(src, &e);
    if (!t)
        return strdup("ERROR");
    na_tpl_layers l = {.layer = {vars}, .n = 1};
    na_tpl_env env;
    na_tpl_env_layers(&env, &l);
    json_t *out = NULL;
    int rc = na_tpl_eval(t, &env, &out, &e);
    na_tpl_free(t);
    if (rc != 0)
        return strdup("ERROR");
    if (json_is_string(out) && json_string_length(out) == 0) { /* "" and none are alike */
        json_decref(out);
        out = json_null();
    } else if (json_is_number(out)) { /* Ansible renders a lone number as text */
        na_buf b;
        na_buf_init(&b, 0);
        na_tpl_stringify(out, &b, &e);
        json_decref(out);
        out = json_string(na_buf_cstr(&b));
        na_buf_free(&b);
    }
    char *s = json_dumps(out, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(out);
    return s;
}

static void against_ansible(void **st)
{
    (void)st;
    json_error_t je;
    json_t *vars = json_loads(VARS, 0, &je);
    assert_non_null(vars);
    size_t n = sizeof EXPRS / sizeof *EXPRS;
    json_t *req = json_object(), *ex = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(ex, json_string(EXPRS[i]));
    json_object_set(req, "vars", vars);
    json_object_set_new(req, "exprs", ex);
    char in[] = "/tmp/na-jinja-in.XXXXXX";
    int fd = mkstemp(in);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(json_dump_file(req, in, 0), 0);
    json_decref(req);
    const char *root = getenv("NETAUTO_ROOT");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/tests/fixtures/jinja/oracle.py %s",
             root ? root : ".", in);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    json_t *res = json_loadf(p, 0, &je);
    int status = pclose(p);
    unlink(in);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
        json_decref(vars);
        skip(); /* ansible-core is not installed: nothing was compared */
    }
    if (!res || !json_is_array(res) || json_array_size(res) != n)
        fail_msg("the oracle failed (status %d): %s", status, res ? "bad output" : je.text);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *r = json_array_get(res, i);
        char *want = NULL;
        if (json_object_get(r, "error")) {
            want = strdup("ERROR");
        } else {
            json_t *v = json_object_get(r, "value");
            if (json_is_string(v) && json_string_length(v) == 0)
                v = json_null();
            want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        }
        char *got = netauto_eval(vars, EXPRS[i]);
        if (strcmp(got, want) != 0) {
            bad++;
            printf("# %s\n#   netauto: %s\n#   ansible: %s%s%s\n", EXPRS[i], got, want,
                   json_object_get(r, "error") ? " " : "",
                   json_string_value(json_object_get(r, "error")) ?: "");
        }
        free(got);
        free(want);
    }
    json_decref(res);
    json_decref(vars);
    if (bad)
        fail_msg("%zu of %zu expressions differ from Ansible's", bad, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(against_ansible),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
