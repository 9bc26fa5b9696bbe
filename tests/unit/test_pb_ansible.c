/* test_pb_ansible.c — unit tests for the play-level features that come from Ansible
 * (playbooks/pb_play.c): --tags/--skip-tags selection against Ansible's evaluate_tags rules
 * (always, never, all, tagged, untagged, play tags inherited), serial batch sizes (numbers,
 * percentages, lists, Ansible's rounding), handlers reached by name or listen topic, vars_files
 * (plain and ansible-vault encrypted) and their precedence, and the exact messages for Ansible
 * keywords and modules netauto does not support. The runner's use of them runs end to end in
 * tests/e2e/test_run_batches.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "avault.h"
#include "playbook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static na_playbook *load(const char *text, na_err *e)
{
    na_err_clear(e);
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

/* Which of the tasks run (their names joined) for --tags only / --skip-tags skip ("a,b"). */
static void selection(const na_playbook *pb, const char *only, const char *skip, char *out,
                      size_t cap)
{
    const char *o[8], *s[8];
    size_t no = 0, ns = 0;
    char ob[200], sb[200];
    snprintf(ob, sizeof ob, "%s", only ? only : "");
    snprintf(sb, sizeof sb, "%s", skip ? skip : "");
    for (char *t = strtok(ob, ","); t; t = strtok(NULL, ","))
        o[no++] = t;
    for (char *t = strtok(sb, ","); t; t = strtok(NULL, ","))
        s[ns++] = t;
    na_pb_tags sel = {.only = o, .n_only = no, .skip = s, .n_skip = ns};
    const na_play *p = na_pb_play(pb, 0);
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < na_play_task_count(p); i++)
        if (na_task_selected(na_play_task(p, i), &sel))
            n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? " " : "",
                                  na_task_name(na_play_task(p, i)));
}

static void tags(void **st)
{
    (void)st;
    na_err e = NA_ERR_INIT;
    na_playbook *pb = load("- hosts: all\n"
                           "  tags: play\n"
                           "  tasks:\n"
                           "    - {name: none, command: x}\n"
                           "    - {name: a, command: x, tags: a}\n"
                           "    - {name: ab, command: x, tags: 'a, b'}\n"
                           "    - {name: always, command: x, tags: [always]}\n"
                           "    - {name: never, command: x, tags: [never, dbg]}\n"
                           "    - {name: both, command: x, tags: [always, never]}\n",
                           &e);
    if (!pb)
        fail_msg("%s", e.msg);
    /* Ansible's answers (ansible-playbook --list-tasks with the same options) */
    static const struct { const char *only, *skip, *want; } cases[] = {
        {NULL, NULL, "none a ab always both"},
        {"all", NULL, "none a ab always both"},
        {"a", NULL, "a ab always both"},
        {"b", NULL, "ab always both"},
        {"play", NULL, "none a ab always never both"},   /* the play's tag is every task's */
        {"dbg", NULL, "always never both"},
        {"never", NULL, "always never both"},
        {"tagged", NULL, "none a ab always both"},       /* play tags make every task tagged */
        {"untagged", NULL, "always both"},
        {NULL, "a", "none always both"},
        {NULL, "always", "none a ab"},
        {NULL, "all", "always both"},
        {NULL, "all,always", ""},
        {"a", "b", "a always both"},
        {NULL, "tagged", ""},
    };
    char got[400];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        selection(pb, cases[i].only, cases[i].skip, got, sizeof got);
        if (strcmp(got, cases[i].want))
            fail_msg("--tags %s --skip-tags %s: got '%s', want '%s'",
                     cases[i].only ? cases[i].only : "-", cases[i].skip ? cases[i].skip : "-",
                     got, cases[i].want);
    }
    char tt[100];
    na_task_tags_text(na_play_task(na_pb_play(pb, 0), 2), tt, sizeof tt);
    assert_string_equal(tt, "play, a, b");
    na_pb_free(pb);

    /* without play tags, untagged tasks are "untagged" */
    pb = load("- hosts: all\n  tasks:\n    - {name: none, command: x}\n"
              "    - {name: t, command: x, tags: t}\n", &e);
    selection(pb, "untagged", NULL, got, sizeof got);
    assert_string_equal(got, "none");
    selection(pb, "tagged", NULL, got, sizeof got);
    assert_string_equal(got, "t");
    selection(pb, NULL, "untagged", got, sizeof got);
    assert_string_equal(got, "t");
    na_pb_free(pb);
}

static void batches(void **st)
{
    (void)st;
    static const struct { const char *serial; size_t hosts; const char *want; } cases[] = {
        {"2", 5, "2 2 1"},
        {"0", 5, "5"},
        {"10", 3, "3"},
        {"'30%'", 10, "3 3 3 1"},
        {"'30%'", 2, "1 1"},          /* int(0.6) is 0: at least one */
        {"'50%'", 5, "2 2 1"},        /* rounded down */
        {"[1, 3]", 8, "1 3 3 1"},     /* the last item repeats */
        {"[1, '50%']", 5, "1 2 2"},
        {"'100%'", 4, "4"},
        {"3", 0, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char text[300];
        snprintf(text, sizeof text, "- hosts: all\n  serial: %s\n  tasks: []\n", cases[i].serial);
        na_err e = NA_ERR_INIT;
        na_playbook *pb = load(text, &e);
        if (!pb)
            fail_msg("%s: %s", cases[i].serial, e.msg);
        size_t sizes[32];
        size_t n = na_play_batches(na_pb_play(pb, 0), cases[i].hosts, sizes, 32);
        char got[200] = "";
        size_t o = 0;
        for (size_t k = 0; k < n; k++)
            o += (size_t)snprintf(got + o, sizeof got - o, "%s%zu", k ? " " : "", sizes[k]);
        if (strcmp(got, cases[i].want))
            fail_msg("serial %s over %zu hosts: got '%s', want '%s'", cases[i].serial,
                     cases[i].hosts, got, cases[i].want);
        assert_true(na_play_batched(na_pb_play(pb, 0)));
        na_pb_free(pb);
    }
    na_err e = NA_ERR_INIT;
    na_playbook *pb = load("- hosts: all\n  max_fail_percentage: 25\n  any_errors_fatal: yes\n"
                           "  tasks: []\n- hosts: all\n  tasks: []\n", &e);
    assert_non_null(pb);
    assert_true(na_play_max_fail(na_pb_play(pb, 0)) == 25.0);
    assert_true(na_play_any_errors_fatal(na_pb_play(pb, 0)));
    assert_false(na_play_batched(na_pb_play(pb, 1)));
    assert_true(na_play_max_fail(na_pb_play(pb, 1)) < 0);
    na_pb_free(pb);
}

static void handlers(void **st)
{
    (void)st;
    na_err e = NA_ERR_INIT;
    na_playbook *pb = load("- hosts: all\n"
                           "  tasks:\n"
                           "    - {name: c1, config: [a], notify: [save it, reload]}\n"
                           "    - {name: c2, config: [b], notify: topic}\n"
                           "  handlers:\n"
                           "    - {name: reload, command: x, listen: topic}\n"
                           "    - {name: save it, save: true, listen: [topic]}\n",
                           &e);
    if (!pb)
        fail_msg("%s", e.msg);
    const na_play *p = na_pb_play(pb, 0);
    assert_int_equal(na_play_handler_count(p), 2);
    assert_true(na_task_is_handler(na_play_handler(p, 0)));
    const na_task *c1 = na_play_task(p, 0), *c2 = na_play_task(p, 1);
    assert_int_equal(na_task_notify_count(c1), 2);
    assert_int_equal(na_task_notify(c1, 0), 1); /* by name */
    assert_int_equal(na_task_notify(c1, 1), 0);
    assert_int_equal(na_task_notify_count(c2), 2); /* a topic reaches both */
    na_pb_free(pb);
    const char *head = "- hosts: all\n  tasks:\n";
    char b[1000];
    snprintf(b, sizeof b, "%s    - {name: t, command: x, notify: nobody}\n", head);
    expect_load_error(b, "site.yaml:3:37: task 't': notify: no handler named or listening to "
                         "'nobody' in play 'all'");
    snprintf(b, sizeof b, "%s    - {name: t, command: x}\n  handlers:\n"
                          "    - {name: h, save: true, notify: h}\n", head);
    expect_load_error(b, "site.yaml:5:29: task 'h': unknown key 'notify' in a handler "
                         "(expected one of: name, command, config, save, vlans, script, copy, "
                         "register, expect, loop, loop_control, ignore_errors, when, timeout, "
                         "vars, tags, listen, parse, assert)");
    snprintf(b, sizeof b, "%s    - {name: t, command: x}\n  handlers:\n"
                          "    - {name: h, save: true}\n    - {name: h, command: y}\n", head);
    expect_load_error(b, "site.yaml:6:7: task 'h': two handlers have this name in play 'all'");
    snprintf(b, sizeof b, "%s    - {name: t, command: x, tags: '{{ t }}'}\n", head);
    expect_load_error(b, "site.yaml:3:35: task 't': tags cannot be templates ('{{ t }}')");
}

static char dir[] = "/tmp/na-pbans.XXXXXX";

static void write_file(const char *name, const char *text)
{
    char p[600];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void vars_files(void **st)
{
    (void)st;
    assert_non_null(mkdtemp(dir));
    write_file("a.yml", "vid: 10\nname: from-a\nshared: a\n");
    write_file("b.yml", "shared: b\n");
    /* b.vault: ansible-vault encrypted here with our own writer (ansible-vault's files are
     * decrypted in test_avault.c and end to end) */
    na_buf enc;
    na_err e = NA_ERR_INIT;
    na_buf_init(&enc, 0);
    const char *secret_vars = "vault_only: sealed-42\n";
    assert_int_equal(na_avault_encrypt(secret_vars, strlen(secret_vars), "pb-pass", NULL, &enc,
                                       &e), 0);
    write_file("c.yml", enc.data);
    na_buf_free(&enc);
    write_file("site.yaml", "- hosts: all\n"
                            "  vars: {name: play, other: play}\n"
                            "  vars_files: [a.yml, [missing.yml, b.yml], c.yml]\n"
                            "  tasks:\n"
                            "    - name: t\n"
                            "      vars: {other: task}\n"
                            "      command: \"{{ vid }} {{ name }} {{ shared }} {{ other }} "
                            "{{ vault_only }}\"\n");
    char path[600];
    snprintf(path, sizeof path, "%s/site.yaml", dir);
    assert_null(na_pb_load_file(path, &e)); /* encrypted and no password */
    assert_non_null(strstr(e.msg, "vars_files: "));
    assert_non_null(strstr(e.msg, "c.yml is encrypted with Ansible Vault"));
    na_avault_keys *k = na_avault_keys_new(NULL, NULL);
    na_avault_keys_add_pass(k, "default", "pb-pass", &e);
    na_err_clear(&e);
    na_playbook *pb = na_pb_load_file_keys(path, k, &e);
    na_avault_keys_free(k);
    if (!pb)
        fail_msg("%s", e.msg);
    na_pb_vars v = {.host = "sw1"};
    na_task_exp *x;
    assert_int_equal(na_task_expand(na_play_task(na_pb_play(pb, 0), 0), &v, &x, &e), 0);
    /* vars_files beat play vars, task vars beat vars_files, later files beat earlier ones */
    assert_string_equal(x->iters[0].commands.v[0], "10 from-a b task sealed-42");
    na_task_exp_free(x);
    na_pb_free(pb);
    write_file("site.yaml", "- hosts: all\n  vars_files: nope.yml\n  tasks: []\n");
    assert_null(na_pb_load_file(path, &e));
    char want[800];
    snprintf(want, sizeof want, "%s:2:15: play 'all': vars_files: nope.yml not found (in %s)",
             path, dir);
    assert_string_equal(e.msg, want);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void unsupported_ansible(void **st)
{
    (void)st;
    const char *head = "- hosts: all\n  tasks:\n";
    char b[800];
    static const struct { const char *task, *msg; } cases[] = {
        {"    - name: t\n      ios_config: {lines: [x]}\n",
         "site.yaml:4:7: task 't': 'ios_config' is an Ansible module; netauto tasks use "
         "config: (the configuration lines) (docs/playbooks.md, \"Coming from Ansible\")"},
        {"    - name: t\n      cisco.ios.ios_command: {commands: [x]}\n",
         "site.yaml:4:7: task 't': 'cisco.ios.ios_command' is an Ansible module; netauto tasks "
         "use command: (a command or a list of commands) (docs/playbooks.md, \"Coming from "
         "Ansible\")"},
        {"    - name: t\n      debug: {msg: x}\n",
         "site.yaml:4:7: task 't': 'debug' is an Ansible module; netauto tasks use one of "
         "command, config, save, vlans, script or assert (docs/playbooks.md, \"Coming from "
         "Ansible\")"},
        {"    - name: t\n      command: x\n      with_items: [1]\n",
         "site.yaml:5:7: task 't': 'with_items' is not supported: write loop: instead"},
        {"    - name: t\n      command: x\n      become: yes\n",
         "site.yaml:5:7: task 't': 'become' is an Ansible keyword netauto does not support: "
         "netauto enters the platform's privileged mode itself, with the inventory's enable "
         "secret (ansible_become_password) (docs/playbooks.md, \"Coming from Ansible\")"},
        {"    - block:\n        - {name: x, command: y}\n",
         "site.yaml:3:7: task #1 in play 'all': 'block' is an Ansible keyword netauto does "
         "not support: netauto tasks are a flat list (use when and ignore_errors) "
         "(docs/playbooks.md, \"Coming from Ansible\")"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        snprintf(b, sizeof b, "%s%s", head, cases[i].task);
        expect_load_error(b, cases[i].msg);
    }
    expect_load_error("- hosts: all\n  roles: [x]\n  tasks: []\n",
                      "site.yaml:2:3: play 'all': 'roles' is an Ansible keyword netauto does "
                      "not support: roles are not supported (write the tasks in the play) "
                      "(docs/playbooks.md, \"Coming from Ansible\")");
    expect_load_error("- hosts: all\n  gather_facts: yes\n  tasks: []\n",
                      "site.yaml:2:17: play 'all': gather_facts: netauto gathers no facts "
                      "(write false, or leave it out)");
    expect_load_error("- hosts: all\n  connection: local\n  tasks: []\n",
                      "site.yaml:2:15: play 'all': connection: 'local' is not supported "
                      "(netauto connects to each host itself as its inventory says; "
                      "network_cli is accepted)");
    expect_load_error("- hosts: all\n  serial: 'x%'\n  tasks: []\n",
                      "site.yaml:2:11: play 'all': serial: 'x%' is not a number of hosts or a "
                      "percentage such as 30%");
    expect_load_error("- hosts: all\n  max_fail_percentage: 120\n  tasks: []\n",
                      "site.yaml:2:24: play 'all': max_fail_percentage must be a number from 0 "
                      "to 100");
    /* the usual network playbook header loads */
    na_err e = NA_ERR_INIT;
    na_playbook *pb = load("- hosts: all\n  gather_facts: no\n  connection: network_cli\n"
                           "  tasks: []\n", &e);
    assert_non_null(pb);
    na_pb_free(pb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tags),        cmocka_unit_test(batches),
        cmocka_unit_test(handlers),    cmocka_unit_test(vars_files),
        cmocka_unit_test(unsupported_ansible),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
