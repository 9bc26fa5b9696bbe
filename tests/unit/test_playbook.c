/* test_playbook.c — unit tests for playbooks/playbook.h: loading good playbooks, every class of
 * structural error with its exact file:line:column message, validation for a host (undefined
 * variables, registered names known statically, when, VLAN ids, script files), expansion at
 * runtime (config loop = one push in order, command loop = one run per item, registered results,
 * variable precedence, expect), --check rendering, registered result shapes and the examples;
 * copy tasks (paths, confinement, rendering, result). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "playbook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static na_playbook *load(const char *text, na_err *e)
{
    return na_pb_load_mem("site.yaml", text, strlen(text), NULL, e);
}

static void expect_load_error(const char *text, const char *want)
{
    na_err e = NA_ERR_INIT;
    na_playbook *pb = load(text, &e);
    if (pb) {
        na_pb_free(pb);
        fail_msg("loaded, wanted error: %s", want);
    }
    if (strcmp(e.msg, want) != 0)
        fail_msg("got  '%s'\nwant '%s'", e.msg, want);
}

static json_t *J(const char *s)
{
    json_error_t je;
    json_t *j = json_loads(s, 0, &je);
    if (!j)
        fail_msg("bad JSON in test: %s", je.text);
    return j;
}

/* Validate text for host sw1 with host vars hv and extra vars ev (JSON or NULL). */
static int validate(const char *text, const char *hv, const char *ev, na_err *e)
{
    na_playbook *pb = load(text, e);
    if (!pb)
        fail_msg("load failed: %s", e->msg);
    json_t *h = hv ? J(hv) : NULL, *x = ev ? J(ev) : NULL;
    na_pb_vars v = {.host = "sw1", .host_vars = h, .extra_vars = x};
    int rc = na_pb_validate(pb, NULL, &v, e);
    json_decref(h);
    json_decref(x);
    na_pb_free(pb);
    return rc;
}

static void expect_valid(const char *text, const char *hv, const char *ev)
{
    na_err e = NA_ERR_INIT;
    if (validate(text, hv, ev, &e) < 0)
        fail_msg("validation failed: %s", e.msg);
}

static void expect_invalid(const char *text, const char *hv, const char *want)
{
    na_err e = NA_ERR_INIT;
    if (validate(text, hv, NULL, &e) == 0)
        fail_msg("validated, wanted: %s", want);
    if (strcmp(e.msg, want) != 0)
        fail_msg("got  '%s'\nwant '%s'", e.msg, want);
}

static const char *GOOD =
    "- name: lab\n"                             /* 1 */
    "  hosts: switches:&lab\n"                  /* 2 */
    "  vars:\n"                                 /* 3 */
    "    names: [users, voice]\n"               /* 4 */
    "  tasks:\n"                                /* 5 */
    "    - name: show version\n"                /* 6 */
    "      command: show version\n"             /* 7 */
    "      register: ver\n"                     /* 8 */
    "    - name: vlans\n"                       /* 9 */
    "      config: ['vlan 2', 'name {{ names[0] }}']\n"
    "    - name: save\n"                        /* 11 */
    "      save: yes\n"                         /* 12 */
    "    - name: resource\n"                    /* 13 */
    "      vlans: {state: overridden, config: [{id: 2, name: a}]}\n"
    "- hosts: [core1, core2]\n"                 /* 15 */
    "  tasks: []\n";

static void load_good(void **st)
{
    (void)st;
    na_err e = NA_ERR_INIT;
    na_playbook *pb = load(GOOD, &e);
    if (!pb)
        fail_msg("%s", e.msg);
    assert_int_equal(na_pb_play_count(pb), 2);
    const na_play *p = na_pb_play(pb, 0);
    assert_string_equal(na_play_name(p), "lab");
    assert_string_equal(na_play_hosts(p), "switches:&lab");
    assert_int_equal(na_play_task_count(p), 4);
    const na_task *t = na_play_task(p, 0);
    assert_string_equal(na_task_name(t), "show version");
    assert_int_equal(na_task_kind_of(t), NA_TASK_COMMAND);
    assert_string_equal(na_task_register(t), "ver");
    assert_int_equal(na_task_line(t), 6);
    assert_int_equal(na_task_col(t), 7);
    assert_int_equal(na_task_kind_of(na_play_task(p, 1)), NA_TASK_CONFIG);
    assert_int_equal(na_task_kind_of(na_play_task(p, 2)), NA_TASK_SAVE);
    assert_int_equal(na_task_kind_of(na_play_task(p, 3)), NA_TASK_VLANS);
    assert_null(na_task_register(na_play_task(p, 1)));
    assert_string_equal(na_task_kind_name(NA_TASK_SCRIPT), "script");
    const na_play *p2 = na_pb_play(pb, 1);
    assert_string_equal(na_play_hosts(p2), "core1:core2");
    assert_string_equal(na_play_name(p2), "core1:core2");
    assert_int_equal(na_play_task_count(p2), 0);
    assert_null(na_pb_play(pb, 2));
    na_pb_free(pb);
}

static void load_errors(void **st)
{
    (void)st;
    const char *head = "- name: lab\n  hosts: all\n  tasks:\n"; /* tasks start on line 4 */
    char b[2048];
#define TASKS(body) (snprintf(b, sizeof b, "%s%s", head, body), b)
    /* unknown key, with a suggestion and without */
    expect_load_error(TASKS("    - name: t1\n      comand: show version\n"),
                      "site.yaml:5:7: task 't1': unknown key 'comand' in a task (did you mean "
                      "'command'?)");
    expect_load_error(TASKS("    - name: t1\n      command: x\n      frobnicate: 1\n"),
                      "site.yaml:6:7: task 't1': unknown key 'frobnicate' in a task (expected "
                      "one of: name, command, config, save, vlans, script, copy, register, "
                      "expect, loop, loop_control, ignore_errors, when, timeout, vars, tags, "
                      "notify, parse, assert, confirm, backup)");
    /* missing name */
    expect_load_error(TASKS("    - command: show clock\n"),
                      "site.yaml:4:7: task #1 in play 'lab': missing 'name'");
    /* zero and two actions */
    expect_load_error(TASKS("    - name: nothing\n      register: x\n"),
                      "site.yaml:4:7: task 'nothing': no action (give one of: command, config, "
                      "save, vlans, script, assert, copy)");
    expect_load_error(TASKS("    - name: both\n      command: x\n      config: [y]\n"),
                      "site.yaml:6:7: task 'both': 'command' and 'config' in one task (a task "
                      "has exactly one action)");
    /* assert and parse */
    expect_load_error(TASKS("    - name: a\n      assert: x == 1\n"),
                      "site.yaml:5:15: task 'a': assert must be a mapping {that, msg}");
    expect_load_error(TASKS("    - name: a\n      assert: {msg: m}\n"),
                      "site.yaml:5:15: task 'a': assert needs that: a condition or a list of "
                      "them");
    expect_load_error(TASKS("    - name: a\n      assert: {that: x, msg: m, fail_msg: n}\n"),
                      "site.yaml:5:43: task 'a': assert takes msg or fail_msg, not both");
    expect_load_error(TASKS("    - name: a\n      assert: {that: x, quiet: true}\n"),
                      "site.yaml:5:25: task 'a': unknown key 'quiet' in assert (expected one "
                      "of: that, msg, fail_msg)");
    expect_load_error(TASKS("    - name: p\n      config: [x]\n      parse: true\n"),
                      "site.yaml:6:14: task 'p': parse only goes with command");
    expect_load_error(TASKS("    - name: p\n      command: x\n      parse: maybe\n"),
                      "site.yaml:6:14: task 'p': parse must be true, false or {template: FILE}");
    /* wrong types */
    expect_load_error(TASKS("    - name: t\n      command: {a: 1}\n"),
                      "site.yaml:5:16: task 't': command must be a string or a list of strings");
    expect_load_error(TASKS("    - name: t\n      config: [a, [b]]\n"),
                      "site.yaml:5:19: task 't': every item of config must be a string");
    expect_load_error(TASKS("    - name: t\n      save: false\n"),
                      "site.yaml:5:13: task 't': save must be true, changed or modified");
    expect_load_error(TASKS("    - name: t\n      save: always\n"),
                      "site.yaml:5:13: task 't': save must be true, changed or modified");
    /* confirm: seconds, on config tasks only */
    expect_load_error(TASKS("    - name: t\n      command: x\n      confirm: 60\n"),
                      "site.yaml:6:16: task 't': confirm only goes with config");
    expect_load_error(TASKS("    - name: t\n      config: [x]\n      confirm: 0\n"),
                      "site.yaml:6:16: task 't': confirm must be a number of seconds (1-86400), "
                      "got '0'");
    expect_load_error(TASKS("    - name: t\n      command: x\n      backup: true\n"),
                      "site.yaml:6:15: task 't': backup only goes with config (or a play)");
    expect_load_error("- hosts: all\n  backup: maybe\n  tasks: []\n",
                      "site.yaml:2:11: play 'all': backup must be true or false");
    /* config in the mapping form */
    expect_load_error(TASKS("    - name: t\n      config: {parents: [x]}\n"),
                      "site.yaml:5:15: task 't': config needs lines (the lines of the section)");
    expect_load_error(TASKS("    - name: t\n      config: {lines: [a], match: loose}\n"),
                      "site.yaml:5:35: task 't': config match must be line, strict, exact or "
                      "none, got 'loose'");
    expect_load_error(TASKS("    - name: t\n      config: {lines: [a], replace: all}\n"),
                      "site.yaml:5:37: task 't': config replace must be line or block, got "
                      "'all'");
    expect_load_error(TASKS("    - name: t\n      config: {lines: a, parent: x}\n"),
                      "site.yaml:5:26: task 't': unknown key 'parent' in config (did you mean "
                      "'parents'?)");
    expect_load_error(TASKS("    - name: t\n      config: {lines: [a], parents: [[x]]}\n"),
                      "site.yaml:5:38: task 't': every item of config parents must be a string");
    expect_load_error(TASKS("    - name: t\n      command: x\n      timeout: soon\n"),
                      "site.yaml:6:16: task 't': timeout must be a number of seconds (1-86400)");
    expect_load_error(TASKS("    - name: t\n      command: x\n      ignore_errors: maybe\n"),
                      "site.yaml:6:22: task 't': ignore_errors must be true or false");
    expect_load_error(TASKS("    - name: t\n      command: x\n      loop: vlans\n"),
                      "site.yaml:6:13: task 't': loop must be a list or a '{{ variable }}' "
                      "naming one");
    expect_load_error(TASKS("    - name: t\n      command: x\n      register: my-var\n"),
                      "site.yaml:6:17: task 't': register needs a variable name (letters, "
                      "digits and _), got 'my-var'");
    expect_load_error(TASKS("    - name: t\n      command: x\n      vars: {1x: 2}\n"),
                      "site.yaml:6:14: task 't': invalid variable name '1x' (letters, digits "
                      "and _, not starting with a digit)");
    expect_load_error(TASKS("    - name: t\n      config: [x]\n      expect: y\n"),
                      "site.yaml:6:15: task 't': expect only goes with command");
    /* bad regex in expect */
    expect_load_error(TASKS("    - name: t\n      command: show vlan\n      expect: ['ok', "
                            "'users (']\n"),
                      "site.yaml:6:22: task 't': bad regex in expect: missing closing "
                      "parenthesis at offset 7");
    /* vlans: state and structure */
    expect_load_error(TASKS("    - name: v\n      vlans: {state: merge, config: []}\n"),
                      "site.yaml:5:22: task 'v': vlans state must be merged, replaced, "
                      "overridden or deleted, got 'merge'");
    expect_load_error(TASKS("    - name: v\n      vlans: {config: [{id: 2, nam: x}]}\n"),
                      "site.yaml:5:32: task 'v': unknown key 'nam' in a VLAN (did you mean "
                      "'name'?)");
    expect_load_error(TASKS("    - name: v\n      vlans: {config: [{name: x}]}\n"),
                      "site.yaml:5:24: task 'v': VLAN without an id");
    /* script */
    expect_load_error(TASKS("    - name: s\n      script: ./x.sh\n"),
                      "site.yaml:5:15: task 's': script must be a mapping {src, args}");
    /* template syntax, positioned at the string */
    expect_load_error(TASKS("    - name: t\n      command: \"show {{ x \"\n"),
                      "site.yaml:5:16: task 't': template syntax error: expected '}}' but found "
                      "end of text (missing '}}') in '{{ x '");
    expect_load_error(TASKS("    - name: t\n      command: x\n      when: a ==\n"),
                      "site.yaml:6:13: task 't': template syntax error: expected a value but "
                      "found end of expression in 'a =='");
    /* plays */
    expect_load_error("hosts: all\n",
                      "site.yaml:1:1: a playbook is a list of plays (- name: ..., hosts: ..., "
                      "tasks: [...])");
    expect_load_error("- name: x\n  tasks: []\n", "site.yaml:1:3: play #1: missing 'hosts' (a host "
                                                  "pattern)");
    expect_load_error("- name: x\n  hosts: all\n",
                      "site.yaml:1:3: play 'x': missing 'tasks'");
    expect_load_error("- name: x\n  hosts: all\n  task: []\n",
                      "site.yaml:3:3: play 'x': unknown key 'task' in a play (did you mean "
                      "'tasks'?)");
    /* malformed YAML and duplicate keys come from the YAML layer */
    na_err e = NA_ERR_INIT;
    assert_null(load("- name: [\n", &e));
    assert_int_equal(e.code, NA_E_YAML);
    na_err_clear(&e);
    assert_null(load(TASKS("    - name: t\n      command: x\n      command: y\n"), &e));
    assert_string_equal(e.msg, "site.yaml:6:7: duplicate key 'command' (first at line 5)");
#undef TASKS
}

static const char *ADD_VLANS =
    "- name: lab\n"                               /* 1 */
    "  hosts: all\n"                              /* 2 */
    "  tasks:\n"                                  /* 3 */
    "    - name: show\n"                          /* 4 */
    "      command: show vlan brief\n"            /* 5 */
    "      register: before\n"                    /* 6 */
    "    - name: add vlans\n"                     /* 7 */
    "      loop: \"{{ vlan_list }}\"\n"           /* 8 */
    "      config:\n"                             /* 9 */
    "        - vlan {{ item.id }}\n"              /* 10 */
    "        - name {{ item.name }}\n"            /* 11 */
    "    - name: check\n"                         /* 12 */
    "      command: \"{{ before.stdout[0] | length }}\"\n"
    "      when: after.failed\n"                  /* 14 */
    "    - name: later\n"                         /* 15 */
    "      command: show clock\n"                 /* 16 */
    "      register: after\n";                    /* 17 */

static void validation(void **st)
{
    (void)st;
    /* the undefined variable, named, with the position of the string that uses it */
    expect_invalid(ADD_VLANS, "{}",
                   "site.yaml:8:13: task 'add vlans': undefined variable 'vlan_list'");
    /* defined by the host: then `after` (registered only by a LATER task) is undefined */
    expect_invalid(ADD_VLANS, "{\"vlan_list\": [{\"id\": 2, \"name\": \"a\"}]}",
                   "site.yaml:14:13: task 'check': undefined variable 'after'");
    /* an item without the field the template wants */
    expect_invalid(ADD_VLANS, "{\"vlan_list\": [{\"id\": 2, \"name\": \"a\"}, {\"id\": 3}]}",
                   "site.yaml:11:11: task 'add vlans': 'item' has no field 'name'");
    /* a registered name used after its task is fine before runtime */
    const char *ok = "- hosts: all\n  tasks:\n"
                     "    - name: show\n      command: show vlan brief\n      register: out\n"
                     "    - name: use\n      command: \"show {{ out.stdout[0] | lower }}\"\n"
                     "      when: out.stdout_lines | length > 3\n";
    expect_valid(ok, NULL, NULL);
    /* the loop variable only exists in its task */
    expect_invalid("- hosts: all\n  tasks:\n    - name: a\n      loop: [1]\n      command: x {{ item }}\n"
                   "    - name: b\n      command: y {{ item }}\n",
                   NULL, "site.yaml:7:16: task 'b': undefined variable 'item'");
    /* a false `when` skips checking (the variable is only needed when it holds) */
    const char *guarded = "- hosts: all\n  tasks:\n"
                          "    - name: g\n      command: show {{ intf }}\n"
                          "      when: intf is defined\n";
    expect_valid(guarded, "{}", NULL);
    expect_invalid("- hosts: all\n  tasks:\n    - name: g\n      command: show {{ intf }}\n"
                   "      when: [true, x is not defined]\n",
                   "{}", "site.yaml:4:16: task 'g': undefined variable 'intf'");
    /* play vars that use undefined variables are positioned at the play var */
    expect_invalid("- hosts: all\n  vars:\n    a: \"{{ b }}\"\n  tasks:\n"
                   "    - name: t\n      command: show {{ a }}\n",
                   NULL, "site.yaml:3:8: task 't': undefined variable 'b'");
    expect_invalid("- hosts: all\n  vars:\n    a: \"{{ b }}\"\n    b: \"{{ a }}\"\n  tasks:\n"
                   "    - name: t\n      command: show {{ a }}\n",
                   NULL, "site.yaml:3:8: task 't': variables nested more than 32 deep (does "
                         "'a' refer to itself?)");
    /* VLAN values: positioned at the id, or at the template they came from; literal ones are
     * refused when loading already */
    {
        const char *lit = "- hosts: all\n  tasks:\n    - name: v\n      vlans:\n        config:\n"
                          "          - {id: 10, name: ten}\n          - {id: 1}\n";
        expect_load_error(lit, "site.yaml:7:18: task 'v': VLAN 1 is a default VLAN (1, "
                               "1002-1005) and is never changed");
        lit = "- hosts: all\n  tasks:\n    - name: v\n      vlans:\n        config:\n"
              "          - {id: 10, name: ten}\n          - {id: 10}\n";
        expect_load_error(lit, "site.yaml:7:18: task 'v': VLAN 10 is listed twice");
        lit = "- hosts: all\n  tasks:\n    - name: v\n      vlans:\n        config:\n"
              "          - {id: 4095, name: x}\n";
        expect_load_error(lit, "site.yaml:6:18: task 'v': VLAN id 4095 is out of range (1-4094)");
        lit = "- hosts: all\n  tasks:\n    - name: v\n      vlans:\n        config:\n"
              "          - {id: 7, name: \"a b\"}\n";
        expect_load_error(lit, "site.yaml:6:18: task 'v': VLAN 7: name 'a b' contains a space "
                               "(VLAN names are one word)");
    }
    const char *vl = "- hosts: all\n  tasks:\n    - name: v\n      vlans:\n        config:\n"
                     "          - {id: 10, name: ten}\n          - {id: \"{{ v }}\"}\n";
    expect_invalid(vl, "{\"v\": 1002}", "site.yaml:7:18: task 'v': VLAN 1002 is a default "
                                         "VLAN (1, 1002-1005) and is never changed");
    const char *vl2 = "- hosts: all\n  tasks:\n    - name: v\n      vlans:\n        state: "
                      "replaced\n        config: \"{{ mine }}\"\n";
    expect_invalid(vl2, "{\"mine\": [{\"id\": 5000}]}",
                   "site.yaml:6:17: task 'v': VLAN id 5000 is out of range (1-4094)");
    expect_invalid(vl2, "{\"mine\": [{\"id\": 5, \"name\": \"two words\"}]}",
                   "site.yaml:6:17: task 'v': VLAN 5: name 'two words' contains a space (VLAN "
                   "names are one word)");
    expect_invalid(vl2, "{\"mine\": [{\"id\": 5}, {\"id\": \"5\"}]}",
                   "site.yaml:6:17: task 'v': VLAN 5 is listed twice");
    expect_invalid(vl2, "{\"mine\": {\"id\": \"x\"}}",
                   "site.yaml:6:17: task 'v': VLAN id must be a number, got 'x'");
    expect_invalid(vl2, "{\"mine\": \"vlan 5\"}",
                   "site.yaml:6:17: task 'v': each VLAN must be a mapping {id, name}, got a "
                   "string");
    expect_valid(vl2, "{\"mine\": [{\"id\": 5, \"name\": null}, {\"id\": \"6\", \"name\": 66}]}",
                 NULL);
    /* regexes rendered from variables are checked once rendered */
    expect_invalid("- hosts: all\n  tasks:\n    - name: e\n      command: show x\n"
                   "      expect: \"{{ pat }}\"\n",
                   "{\"pat\": \"a[\"}",
                   "site.yaml:5:15: task 'e': bad regex in expect 'a[': missing terminating ] "
                   "for character class at offset 2");
    /* types of rendered values */
    expect_invalid("- hosts: all\n  tasks:\n    - name: t\n      command: x\n"
                   "      timeout: \"{{ t }}\"\n", "{\"t\": 0}",
                   "site.yaml:5:16: task 't': timeout must be a number of seconds (1-86400)");
    expect_invalid("- hosts: all\n  tasks:\n    - name: t\n      command: x\n"
                   "      loop: \"{{ m }}\"\n", "{\"m\": {\"a\": 1}}",
                   "site.yaml:5:13: task 't': loop must be a list, got a mapping");
    expect_invalid("- hosts: all\n  tasks:\n    - name: t\n      command: \"{{ m }}\"\n",
                   "{\"m\": {\"a\": 1}}",
                   "site.yaml:4:16: task 't': a command must be a string, got a mapping");
    expect_invalid("- hosts: all\n  tasks:\n    - name: t\n      command: \"{{ m }}\"\n",
                   "{\"m\": \"a\\nb\"}",
                   "site.yaml:4:16: task 't': a command must be one line, got 'a\nb'");
}

/* the script check needs the playbook's directory in the message: tested on its own */
static void validation_script(void **st)
{
    (void)st;
    na_err e = NA_ERR_INIT;
    const char *root = getenv("NETAUTO_ROOT");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/tests/fixtures", root ? root : ".");
    const char *text = "- hosts: all\n  tasks:\n    - name: s\n      script:\n"
                       "        src: \"{{ name }}\"\n        args: [--fast, \"{{ n }}\"]\n";
    na_playbook *pb = na_pb_load_mem("s.yaml", text, strlen(text), dir, &e);
    assert_non_null(pb);
    json_t *hv = J("{\"name\": \"nope.sh\", \"n\": 3}");
    na_pb_vars v = {.host = "srv1", .host_vars = hv};
    assert_int_equal(na_pb_validate(pb, NULL, &v, &e), -1);
    char want[2048];
    snprintf(want, sizeof want, "s.yaml:5:14: task 's': script 'nope.sh' not found (%s/nope.sh)",
             na_pb_dir(pb));
    assert_string_equal(e.msg, want);
    json_object_set_new(hv, "name", json_string("scripts/check.sh"));
    na_err_clear(&e);
    assert_int_equal(na_pb_validate(pb, NULL, &v, &e), 0);
    na_task_exp *x;
    assert_int_equal(na_task_expand(na_play_task(na_pb_play(pb, 0), 0), &v, &x, &e), 0);
    assert_int_equal(x->n_iters, 1);
    char path[2048];
    snprintf(path, sizeof path, "%s/scripts/check.sh", na_pb_dir(pb));
    assert_string_equal(x->iters[0].script, path);
    assert_int_equal(x->iters[0].args.n, 2);
    assert_string_equal(x->iters[0].args.v[1], "3");
    na_buf b;
    na_buf_init(&b, 0);
    assert_int_equal(na_task_exp_render(x, NULL, &b, &e), 0);
    snprintf(want, sizeof want, "[script]\nupload %s\nrun: check.sh --fast 3\nremove\n", path);
    assert_string_equal(b.data, want);
    na_buf_free(&b);
    na_task_exp_free(x);
    json_decref(hv);
    na_pb_free(pb);
}

/* copy tasks: load errors, paths relative to the playbook's directory, get's DEST/NAME, the
 * confinement netautod asks for, --check rendering, the registered result. */
static void copy_task(void **st)
{
    (void)st;
    expect_load_error("- hosts: all\n  tasks:\n    - name: c\n      copy: {src: a.bin}\n",
                      "site.yaml:4:13: task 'c': copy needs dest: a device path for put, a "
                      "local directory for get");
    expect_load_error("- hosts: all\n  tasks:\n    - name: c\n      copy: {src: a, dest: b, "
                      "direction: push}\n",
                      "site.yaml:4:42: task 'c': copy direction must be one of put, get, got "
                      "'push'");
    expect_load_error("- hosts: all\n  tasks:\n    - name: c\n      copy: {src: a, dest: b, "
                      "verify: crc32}\n",
                      "site.yaml:4:39: task 'c': copy verify must be one of md5, sha256, "
                      "sha512, none, auto, got 'crc32'");
    expect_load_error("- hosts: all\n  tasks:\n    - name: c\n      copy: {src: a, dest: b, "
                      "overwrite: maybe}\n",
                      "site.yaml:4:42: task 'c': copy overwrite must be true or false");
    expect_load_error("- hosts: all\n  tasks:\n    - name: c\n      copy: {src: a, dst: b}\n",
                      "site.yaml:4:22: task 'c': unknown key 'dst' in copy (did you mean "
                      "'dest'?)");
    /* a handler may copy too (checked the same way) */
    expect_load_error("- hosts: all\n  tasks:\n    - {name: t, command: x, notify: c}\n"
                      "  handlers:\n    - name: c\n      copy: {src: a.bin}\n",
                      "site.yaml:6:13: task 'c': copy needs dest: a device path for put, a "
                      "local directory for get");
    na_err e = NA_ERR_INIT;
    const char *root = getenv("NETAUTO_ROOT");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/tests/fixtures", root ? root : ".");
    const char *text =
        "- hosts: all\n  tasks:\n"
        "    - name: image\n      copy: {src: \"files/{{ f }}\", dest: \"flash:{{ f }}\", "
        "verify: sha512, protocol: scp, overwrite: true}\n"
        "    - name: crash\n      copy: {src: \"flash:crashinfo_{{ inventory_hostname }}\", "
        "dest: \"back/{{ inventory_hostname }}\", direction: get}\n"
        "    - name: escape\n      copy: {src: flash:x, dest: ../../outside, direction: get}\n";
    na_playbook *pb = na_pb_load_mem("c.yaml", text, strlen(text), dir, &e);
    if (!pb)
        fail_msg("%s", e.msg);
    json_t *hv = J("{\"f\": \"nope.bin\"}");
    na_pb_vars v = {.host = "sw1", .host_vars = hv};
    assert_int_equal(na_pb_validate(pb, NULL, &v, &e), -1);
    char want[3000];
    snprintf(want, sizeof want, "c.yaml:4:19: task 'image': copy src 'files/nope.bin' not found "
             "(%s/files/nope.bin)", na_pb_dir(pb));
    assert_string_equal(e.msg, want);
    json_object_set_new(hv, "f", json_string("ios_dir_pyntc.txt"));
    na_err_clear(&e);
    assert_int_equal(na_pb_validate(pb, NULL, &v, &e), 0);
    na_task_exp *x;
    assert_int_equal(na_task_expand(na_play_task(na_pb_play(pb, 0), 0), &v, &x, &e), 0);
    const na_task_iter *it = &x->iters[0];
    char path[3000];
    snprintf(path, sizeof path, "%s/files/ios_dir_pyntc.txt", na_pb_dir(pb));
    assert_string_equal(it->copy_local, path);
    assert_string_equal(it->copy_remote, "flash:ios_dir_pyntc.txt");
    assert_false(it->copy_get);
    assert_true(it->copy_overwrite);
    assert_string_equal(it->copy_verify, "sha512");
    assert_string_equal(it->copy_proto, "scp");
    na_buf b;
    na_buf_init(&b, 0);
    assert_int_equal(na_task_exp_render(x, NULL, &b, &e), 0);
    snprintf(want, sizeof want, "[copy]\nput %s -> flash:ios_dir_pyntc.txt (verify sha512, "
             "protocol scp, overwrite)\n", path);
    assert_string_equal(b.data, want);
    na_buf_free(&b);
    na_task_exp_free(x);
    /* get: the local file is DEST/NAME, relative to the playbook's directory */
    assert_int_equal(na_task_expand(na_play_task(na_pb_play(pb, 0), 1), &v, &x, &e), 0);
    it = &x->iters[0];
    assert_true(it->copy_get);
    assert_string_equal(it->copy_remote, "flash:crashinfo_sw1");
    snprintf(path, sizeof path, "%s/back/sw1/crashinfo_sw1", na_pb_dir(pb));
    assert_string_equal(it->copy_local, path);
    assert_string_equal(it->copy_verify, ""); /* the platform's */
    na_task_exp_free(x);
    /* netautod: nothing outside the playbook's directory */
    v.confine_local = true;
    assert_int_equal(na_task_expand(na_play_task(na_pb_play(pb, 0), 1), &v, &x, &e), 0);
    na_task_exp_free(x);
    assert_int_equal(na_task_expand(na_play_task(na_pb_play(pb, 0), 2), &v, &x, &e), -1);
    if (!strstr(e.msg, "task 'escape': copy: '../../outside' is outside the playbook's "
                       "directory"))
        fail_msg("%s", e.msg);
    json_decref(hv);
    na_pb_free(pb);
    /* the registered result */
    json_t *r = na_result_copy(false, "/x/a.bin", "flash:a.bin", true, false, 10, 4, 6, "abc",
                               "md5", "sftp", NULL);
    char *js = json_dumps(r, JSON_SORT_KEYS | JSON_COMPACT);
    assert_string_equal(js, "{\"algorithm\":\"md5\",\"changed\":true,\"checksum\":\"abc\","
                            "\"dest\":\"flash:a.bin\",\"direction\":\"put\",\"failed\":false,"
                            "\"protocol\":\"sftp\",\"resumed_at\":6,\"sent\":4,\"size\":10,"
                            "\"src\":\"/x/a.bin\"}");
    free(js);
    json_decref(r);
}

/* Expand task i of play 0 for sw1. */
static na_task_exp *expand(na_playbook *pb, size_t i, const char *hv, const char *ev,
                           const char *reg)
{
    na_err e = NA_ERR_INIT;
    json_t *h = hv ? J(hv) : NULL, *x = ev ? J(ev) : NULL, *r = reg ? J(reg) : NULL;
    na_pb_vars v = {.host = "sw1", .host_vars = h, .extra_vars = x, .registered = r};
    na_task_exp *out = NULL;
    if (na_task_expand(na_play_task(na_pb_play(pb, 0), i), &v, &out, &e) < 0)
        fail_msg("expand failed: %s", e.msg);
    json_decref(h);
    json_decref(x);
    json_decref(r);
    return out;
}

static char *joined(const na_strv *v)
{
    na_buf b;
    na_buf_init(&b, 0);
    for (size_t i = 0; i < v->n; i++)
        assert_int_equal(na_buf_printf(&b, NULL, "%s%s", i ? "|" : "", v->v[i]), 0);
    char *s = na_buf_steal(&b);
    return s;
}

static void expect_strv(const na_strv *v, const char *want)
{
    char *s = joined(v);
    if (strcmp(s, want) != 0)
        fail_msg("got '%s', want '%s'", s, want);
    free(s);
}

static void loops(void **st)
{
    (void)st;
    const char *text =
        "- hosts: all\n"
        "  vars:\n"
        "    vlans: [{id: 2, name: users}, {id: 3, name: voice}, {id: 4, name: off, skip: true}]\n"
        "  tasks:\n"
        "    - name: config loop\n"
        "      loop: \"{{ vlans }}\"\n"
        "      when: not (item.skip | default(false))\n"
        "      config:\n"
        "        - vlan {{ item.id }}\n"
        "        - \"name {{ item.name | upper }}\"\n"
        "    - name: command loop\n"
        "      loop: [Gi0/1, Gi0/2]\n"
        "      loop_control: {loop_var: intf}\n"
        "      command: [\"show interface {{ intf }}\", show clock]\n"
        "      expect: \"{{ intf | replace('Gi', 'GigabitEthernet') }} is up\"\n"
        "    - name: block config\n"
        "      config: |\n"
        "        interface Gi0/1\n"
        "         description {{ inventory_hostname }}\n"
        "\n"
        "        end\n"
        "    - name: spliced\n"
        "      config: [\"{{ extra_lines }}\", last]\n"
        "    - name: empty loop\n"
        "      loop: []\n"
        "      command: x\n";
    na_err e = NA_ERR_INIT;
    na_playbook *pb = load(text, &e);
    if (!pb)
        fail_msg("%s", e.msg);
    /* config loop: ONE push, items in order, skipped item left out */
    na_task_exp *x = expand(pb, 0, NULL, NULL, NULL);
    assert_int_equal(x->kind, NA_TASK_CONFIG);
    assert_int_equal(x->n_iters, 1);
    expect_strv(&x->config, "vlan 2|name USERS|vlan 3|name VOICE");
    na_buf b;
    na_buf_init(&b, 0);
    assert_int_equal(na_task_exp_render(x, NULL, &b, &e), 0);
    assert_string_equal(b.data, "[config]\nvlan 2\nname USERS\nvlan 3\nname VOICE\n");
    na_task_exp_free(x);
    /* command loop: one run per item, with its own expect */
    x = expand(pb, 1, NULL, NULL, NULL);
    assert_int_equal(x->n_iters, 2);
    expect_strv(&x->iters[0].commands, "show interface Gi0/1|show clock");
    expect_strv(&x->iters[1].commands, "show interface Gi0/2|show clock");
    assert_string_equal(json_string_value(x->iters[1].item), "Gi0/2");
    const char *out1 = "GigabitEthernet0/1 is up, line protocol is up\n";
    assert_int_equal(na_task_iter_expect(&x->iters[0], out1, strlen(out1), &e), 0);
    assert_int_equal(na_task_iter_expect(&x->iters[1], out1, strlen(out1), &e), -1);
    assert_int_equal(e.code, NA_E_DEVICE);
    assert_string_equal(e.msg, "expect 'GigabitEthernet0/2 is up' did not match the output of 'show "
                               "interface Gi0/2' (and 1 more command)");
    na_err_clear(&e);
    na_buf_reset(&b);
    assert_int_equal(na_task_exp_render(x, NULL, &b, &e), 0);
    assert_string_equal(b.data, "[exec]\nshow interface Gi0/1\nshow clock\nshow interface "
                                "Gi0/2\nshow clock\n");
    na_task_exp_free(x);
    /* a block string is several lines; blank lines dropped */
    x = expand(pb, 2, NULL, NULL, NULL);
    expect_strv(&x->config, "interface Gi0/1| description sw1|end");
    na_task_exp_free(x);
    /* a list-valued template is spliced */
    x = expand(pb, 3, "{\"extra_lines\": [\"a\", \"b\"]}", NULL, NULL);
    expect_strv(&x->config, "a|b|last");
    na_task_exp_free(x);
    /* an empty loop: nothing to do */
    x = expand(pb, 4, NULL, NULL, NULL);
    assert_true(x->skipped);
    na_buf_reset(&b);
    assert_int_equal(na_task_exp_render(x, NULL, &b, &e), 0);
    assert_string_equal(b.data, "[skipped]\n");
    na_task_exp_free(x);
    na_buf_free(&b);
    na_pb_free(pb);
}

static void precedence_and_registered(void **st)
{
    (void)st;
    const char *text = "- hosts: all\n"
                       "  vars: {v: play, p: play}\n"
                       "  tasks:\n"
                       "    - name: t\n"
                       "      vars: {v: task, t: task, p: '{{ h }}-via-task'}\n"
                       "      loop: [item]\n"
                       "      loop_control: {loop_var: v}\n"
                       "      command: \"{{ v }} {{ t }} {{ p }} {{ h }} {{ out.stdout[0] | trim }} "
                       "{{ inventory_hostname }}\"\n"
                       "      timeout: 45\n"
                       "      ignore_errors: \"{{ h == 'host' }}\"\n"
                       "    - name: \"u on {{ inventory_hostname }}\"\n"
                       "      command: \"{{ p }} {{ out }}\"\n";
    na_err e = NA_ERR_INIT;
    na_playbook *pb = load(text, &e);
    assert_non_null(pb);
    const char *reg = "{\"out\": {\"stdout\": [\"  {{ not a template }}  \"]}}";
    /* loop var > registered > task vars > play vars > host vars */
    na_task_exp *x = expand(pb, 0, "{\"h\": \"host\", \"v\": \"hostv\", \"t\": \"hostt\"}", NULL,
                            reg);
    expect_strv(&x->iters[0].commands, "item task host-via-task host {{ not a template }} sw1");
    assert_int_equal(x->timeout_ms, 45000);
    assert_true(x->ignore_errors);
    na_task_exp_free(x);
    /* extra vars beat everything, even the loop variable */
    x = expand(pb, 0, "{\"h\": \"host\"}", "{\"v\": \"extra\", \"h\": \"xh\"}", reg);
    expect_strv(&x->iters[0].commands, "extra task xh-via-task xh {{ not a template }} sw1");
    assert_false(x->ignore_errors);
    na_task_exp_free(x);
    /* registered beats play vars; task vars are per task */
    x = expand(pb, 1, NULL, NULL, "{\"out\": \"r\", \"p\": \"reg\"}");
    expect_strv(&x->iters[0].commands, "reg r");
    assert_string_equal(x->name, "u on sw1"); /* names are rendered too */
    na_task_exp_free(x);
    /* at runtime, a registered name that is missing is an undefined variable */
    json_t *r = J("{}");
    na_pb_vars v = {.host = "sw1", .registered = r};
    na_task_exp *y;
    assert_int_equal(na_task_expand(na_play_task(na_pb_play(pb, 0), 1), &v, &y, &e), -1);
    assert_string_equal(e.msg,
                        "site.yaml:12:16: task 'u on {{ inventory_hostname }}': undefined variable "
                        "'out'");
    json_decref(r);
    na_pb_free(pb);
}

static void vlans_and_save(void **st)
{
    (void)st;
    const char *text = "- hosts: all\n  tasks:\n"
                       "    - name: resource\n"
                       "      loop: [[10, ten], [20, twenty]]\n"
                       "      vlans:\n"
                       "        state: \"{{ st }}\"\n"
                       "        config:\n"
                       "          - {id: \"{{ item[0] }}\", name: \"{{ item[1] }}\"}\n"
                       "          - id: 30\n"
                       "    - name: save\n      save: true\n";
    na_err e = NA_ERR_INIT;
    na_playbook *pb = load(text, &e);
    if (!pb)
        fail_msg("%s", e.msg);
    /* a loop over a vlans task gathers every item's VLANs into one desired state */
    json_t *hv = J("{\"st\": \"replaced\"}");
    na_pb_vars v = {.host = "sw1", .host_vars = hv};
    na_task_exp *x;
    assert_int_equal(na_task_expand(na_play_task(na_pb_play(pb, 0), 0), &v, &x, &e), -1);
    assert_string_equal(e.msg, "site.yaml:9:17: task 'resource': VLAN 30 is listed twice");
    na_pb_free(pb);
    text = "- hosts: all\n  tasks:\n"
           "    - name: resource\n"
           "      loop: [[10, ten], [20, twenty]]\n"
           "      vlans:\n"
           "        state: \"{{ st }}\"\n"
           "        config:\n"
           "          - {id: \"{{ item[0] }}\", name: \"{{ item[1] }}\"}\n"
           "    - name: save\n      save: true\n";
    pb = load(text, &e);
    assert_non_null(pb);
    assert_int_equal(na_task_expand(na_play_task(na_pb_play(pb, 0), 0), &v, &x, &e), 0);
    assert_int_equal(x->vlan_state, NA_VLANS_REPLACED);
    assert_int_equal(x->n_vlans, 2);
    assert_int_equal(x->vlans[1].id, 20);
    assert_string_equal(x->vlans[1].name, "twenty");
    const char *cur_txt = "VLAN Name                             Status    Ports\n"
                          "---- -------------------------------- --------- -----\n"
                          "1    default                          active    Gi0/1\n"
                          "10   ten                              active    \n"
                          "20   VLAN0020                         active    \n";
    na_vlan_list cur;
    assert_int_equal(na_vlans_parse(cur_txt, strlen(cur_txt), &cur, &e), 0);
    na_render_ctx ctx = {.current_vlans = &cur};
    na_buf b;
    na_buf_init(&b, 0);
    assert_int_equal(na_task_exp_render(x, &ctx, &b, &e), 0);
    assert_string_equal(b.data, "[exec]\nshow vlan brief\n[config]\nvlan 20\nname twenty\nexit\n");
    na_task_exp_free(x);
    /* state from a loop item must agree */
    json_object_set_new(hv, "st", json_string("merged"));
    na_task_exp *s;
    assert_int_equal(na_task_expand(na_play_task(na_pb_play(pb, 0), 1), &v, &s, &e), 0);
    na_buf_reset(&b);
    ctx.save_command = "copy running-config startup-config";
    assert_int_equal(na_task_exp_render(s, &ctx, &b, &e), 0);
    assert_string_equal(b.data, "[save]\ncopy running-config startup-config\n");
    na_task_exp_free(s);
    na_buf_free(&b);
    na_vlan_list_free(&cur);
    json_decref(hv);
    na_pb_free(pb);
}

static void results(void **st)
{
    (void)st;
    na_strv c = NA_STRV_INIT;
    assert_int_equal(na_strv_push(&c, "show clock", NULL), 0);
    assert_int_equal(na_strv_push(&c, "show ver", NULL), 0);
    const char *outs[] = {"10:00\n", "IOS\n\xff bad byte\nend"};
    json_t *r = na_result_command(&c, outs, false, NULL);
    char *s = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(s, "{\"changed\":false,\"commands\":[\"show clock\",\"show ver\"],"
                           "\"failed\":false,\"stdout\":[\"10:00\\n\",\"IOS\\n\xef\xbf\xbd bad "
                           "byte\\nend\"],\"stdout_lines\":[[\"10:00\"],[\"IOS\",\"\xef\xbf\xbd "
                           "bad byte\",\"end\"]]}");
    free(s);
    json_t *arr = json_array();
    json_array_append_new(arr, r);
    json_array_append_new(arr, na_result_change(&c, true, false, "ok"));
    json_array_append_new(arr, na_result_skipped());
    json_t *loop = na_result_loop(arr);
    assert_true(json_is_true(json_object_get(loop, "changed")));
    assert_true(json_is_false(json_object_get(loop, "failed")));
    assert_int_equal(json_array_size(json_object_get(loop, "results")), 3);
    json_decref(loop);
    json_t *sc = na_result_script("a\nb\n", "", 3, true, "exit status 3");
    s = json_dumps(sc, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(s, "{\"changed\":true,\"failed\":true,\"msg\":\"exit status 3\",\"rc\":3,"
                           "\"stderr\":\"\",\"stderr_lines\":[],\"stdout\":\"a\\nb\\n\","
                           "\"stdout_lines\":[\"a\",\"b\"]}");
    free(s);
    json_decref(sc);
    na_strv_free(&c);
    na_buf b;
    na_buf_init(&b, 0);
    na_shell_quote("it's a test", &b, NULL);
    assert_int_equal(na_buf_puts(&b, " ", NULL), 0);
    na_shell_quote("plain-arg_1.0", &b, NULL);
    assert_int_equal(na_buf_puts(&b, " ", NULL), 0);
    na_shell_quote("", &b, NULL);
    assert_int_equal(na_buf_puts(&b, " ", NULL), 0);
    na_shell_quote("$(rm -rf /)", &b, NULL);
    assert_string_equal(b.data, "'it'\\''s a test' plain-arg_1.0 '' '$(rm -rf /)'");
    na_buf_free(&b);
}

static void examples(void **st)
{
    (void)st;
    const char *root = getenv("NETAUTO_ROOT");
    char path[1024];
    na_err e = NA_ERR_INIT;
    snprintf(path, sizeof path, "%s/playbooks/examples/vlans.yaml", root ? root : ".");
    na_playbook *pb = na_pb_load_file(path, &e);
    if (!pb)
        fail_msg("%s", e.msg);
    na_pb_vars v = {.host = "sw1"};
    assert_int_equal(na_pb_validate(pb, NULL, &v, &e), 0);
    const na_play *p = na_pb_play(pb, 0);
    assert_int_equal(na_play_task_count(p), 3);
    na_task_exp *x;
    assert_int_equal(na_task_expand(na_play_task(p, 0), &v, &x, &e), 0);
    expect_strv(&x->config, "vlan 2|name users|exit|vlan 3|name voice|exit|vlan 4|name "
                            "printers|exit|vlan 5|name guests|exit");
    na_task_exp_free(x);
    assert_int_equal(na_task_expand(na_play_task(p, 2), &v, &x, &e), 0);
    const char *table = "VLAN Name                             Status    Ports\n"
                        "---- -------------------------------- --------- -----\n"
                        "1    default                          active    Gi0/1\n"
                        "2    users                            active    \n"
                        "3    voice                            active    \n"
                        "4    printers                         active    \n"
                        "5    guests                           active    \n";
    assert_int_equal(na_task_iter_expect(&x->iters[0], table, strlen(table), &e), 0);
    assert_int_equal(na_task_iter_expect(&x->iters[0], table, strlen(table) - 50, &e), -1);
    assert_string_equal(e.msg, "expect '^5\\s+guests\\s' did not match the output of 'show "
                               "vlan brief'");
    na_task_exp_free(x);
    na_pb_free(pb);

    na_err_clear(&e);
    snprintf(path, sizeof path, "%s/playbooks/examples/vlans_resource.yaml", root ? root : ".");
    pb = na_pb_load_file(path, &e);
    if (!pb)
        fail_msg("%s", e.msg);
    assert_int_equal(na_pb_validate(pb, NULL, &v, &e), 0);
    json_t *hv = J("{\"voice_name\": \"phones\"}");
    v.host_vars = hv;
    assert_int_equal(na_task_expand(na_play_task(na_pb_play(pb, 0), 0), &v, &x, &e), 0);
    assert_int_equal(x->n_vlans, 3);
    assert_string_equal(x->vlans[1].name, "phones");
    assert_null(x->vlans[2].name);
    na_task_exp_free(x);
    json_decref(hv);
    na_pb_free(pb);
}

/* Mutated playbooks (bytes replaced, inserted, cut) must load or fail with a message, and a
 * loaded one must validate or fail with a message: never crash, hang or leak (run under ASan
 * and valgrind by `make asan` / `make valgrind`). */
/* A loop repeating a big variable: 1000 items x 100 KB would be 100 MB of config lines for
 * one host (a 1 MB playbook took 6 GB before the limit); one task expands to at most
 * PB_MAX_EXPANSION (64 MiB), then a positioned error. */
static void expansion_is_bounded(void **st)
{
    (void)st;
    size_t big = 100000, cap = big + 4096;
    char *text = malloc(cap);
    assert_non_null(text);
    size_t o = (size_t)snprintf(text, cap, "- hosts: all\n  vars:\n    big: \"");
    memset(text + o, 'x', big);
    o += big;
    o += (size_t)snprintf(text + o, cap - o, "\"\n  tasks:\n    - name: t\n      loop: [");
    for (int i = 0; i < 1000; i++)
        o += (size_t)snprintf(text + o, cap - o, "%s1", i ? "," : "");
    snprintf(text + o, cap - o, "]\n      config:\n        - \"{{ big }}\"\n");
    expect_invalid(text, NULL, "site.yaml:8:11: task 't': expands to more than 64 MiB of "
                               "commands or lines");
    /* a tenth of it is fine */
    char *loop = strstr(text, "loop: [") + 7;
    memmove(loop + 199, strchr(loop, ']'), strlen(strchr(loop, ']')) + 1);
    expect_valid(text, NULL, NULL);
    free(text);
}

static void mutations(void **st)
{
    (void)st;
    static const char alphabet[] = "{}[]:-'\"|#&*!%@`\n \t{{ }}item.x0";
    unsigned seed = 7;
    size_t loaded = 0;
    for (int iter = 0; iter < 4000; iter++) {
        const char *base = iter % 2 ? GOOD : ADD_VLANS;
        char buf[4096];
        size_t n = strlen(base);
        memcpy(buf, base, n);
        for (int k = 0; k < 1 + iter % 4; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % n;
            char c = alphabet[(seed >> 20) % (sizeof alphabet - 1)];
            int op = (int)((seed >> 4) % 3);
            if (op == 0) {
                buf[at] = c;
            } else if (op == 1 && n + 1 < sizeof buf) {
                memmove(buf + at + 1, buf + at, n - at);
                buf[at] = c;
                n++;
            } else {
                memmove(buf + at, buf + at + 1, n - at - 1);
                n--;
            }
        }
        na_err e = NA_ERR_INIT;
        na_playbook *pb = na_pb_load_mem("m.yaml", buf, n, NULL, &e);
        if (!pb) {
            assert_true(e.code != NA_E_NONE && e.msg[0]);
            continue;
        }
        loaded++;
        json_t *hv = J("{\"vlan_list\": [{\"id\": 2, \"name\": \"a\"}], \"names\": [\"x\"]}");
        na_pb_vars v = {.host = "sw1", .host_vars = hv};
        if (na_pb_validate(pb, NULL, &v, &e) < 0)
            assert_true(e.code != NA_E_NONE && e.msg[0]);
        json_decref(hv);
        na_pb_free(pb);
    }
    assert_true(loaded > 100); /* the mutations did exercise validation too */
}

/* config {parents, lines, before, after, match, replace}: one block per loop item, templates
 * rendered; the task's config lists what would be sent when every line is missing. */
static void config_mapping(void **st)
{
    (void)st;
    const char *text = "- hosts: all\n  tasks:\n"
                       "    - name: neighbors\n"
                       "      loop: [10.0.0.1, 10.0.0.2]\n"
                       "      config:\n"
                       "        parents: ['router bgp {{ asn }}', address-family ipv4]\n"
                       "        lines: |\n"
                       "          neighbor {{ item }} activate\n"
                       "          neighbor {{ item }} send-community\n"
                       "        before: [\"default interface x\"]\n"
                       "        match: strict\n"
                       "        replace: block\n"
                       "    - {name: s, save: modified}\n";
    na_err e = NA_ERR_INIT;
    na_playbook *pb = load(text, &e);
    if (!pb)
        fail_msg("%s", e.msg);
    json_t *hv = J("{\"asn\": 65000}");
    na_pb_vars v = {.host = "sw1", .host_vars = hv};
    na_task_exp *x;
    assert_int_equal(na_task_expand(na_play_task(na_pb_play(pb, 0), 0), &v, &x, &e), 0);
    assert_true(x->config_map);
    assert_int_equal(x->n_cfg, 2);
    assert_string_equal(x->cfg[1].parents.v[0], "router bgp 65000");
    assert_string_equal(x->cfg[1].parents.v[1], "address-family ipv4");
    assert_int_equal(x->cfg[1].lines.n, 2);
    assert_string_equal(x->cfg[1].lines.v[1], "neighbor 10.0.0.2 send-community");
    assert_string_equal(x->cfg[0].before.v[0], "default interface x");
    assert_int_equal(x->cfg[0].match, NA_CFG_MATCH_STRICT);
    assert_int_equal(x->cfg[0].replace, NA_CFG_REPLACE_BLOCK);
    assert_int_equal(x->config.n, 10); /* (before + 2 parents + 2 lines) x 2 */
    assert_string_equal(x->config.v[4], "neighbor 10.0.0.1 send-community");
    na_task_exp_free(x);
    assert_int_equal(na_task_expand(na_play_task(na_pb_play(pb, 0), 1), &v, &x, &e), 0);
    assert_int_equal(x->save_when, NA_SAVE_MODIFIED);
    na_task_exp_free(x);
    json_decref(hv);
    /* an undefined variable in parents is found before anything is sent */
    assert_int_equal(na_pb_validate(pb, NULL, &(na_pb_vars){.host = "sw1"}, &e), -1);
    assert_string_equal(e.msg, "site.yaml:6:19: task 'neighbors': undefined variable 'asn'");
    na_pb_free(pb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(load_good),
        cmocka_unit_test(load_errors),
        cmocka_unit_test(validation),
        cmocka_unit_test(validation_script),
        cmocka_unit_test(copy_task),
        cmocka_unit_test(loops),
        cmocka_unit_test(precedence_and_registered),
        cmocka_unit_test(vlans_and_save),
        cmocka_unit_test(config_mapping),
        cmocka_unit_test(results),
        cmocka_unit_test(examples),
        cmocka_unit_test(expansion_is_bounded),
        cmocka_unit_test(mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
