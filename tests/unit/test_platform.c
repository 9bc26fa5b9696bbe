/* test_platform.c — platform loading: every built-in platform loads and behaves (modes, routes,
 * prompts), bad YAML / bad regex / unknown field / unknown mode give file:line:column messages,
 * and user directories are searched first without overriding anything they should not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[64];

static int setup(void **st)
{
    (void)st;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/na-platform-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    if (strchr(name, '/')) {
        char dir[256];
        snprintf(dir, sizeof dir, "%s/%.*s", tmpdir, (int)(strchr(name, '/') - name), name);
        mkdir(dir, 0700);
    }
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static bool matches(const na_pattern *p, const char *s)
{
    na_matcher *m = na_matcher_new(NULL);
    bool r = na_pattern_find(p, m, s, strlen(s), false, NULL, NULL);
    na_matcher_free(m);
    return r;
}

static void builtins_load(void **st)
{
    (void)st;
    na_err e = NA_ERR_INIT;
    na_platforms *r = na_platforms_new(NULL, 0, &e);
    assert_non_null(r);
    static const char *const want[] = {"arista_eos", "cisco_asa",     "cisco_ios",
                                       "cisco_iosxr", "cisco_nxos",    "generic",
                                       "hp_comware",  "juniper_junos", "linux",
                                       NULL};
    char **names = na_platforms_names(r, &e);
    for (int i = 0; want[i]; i++) {
        assert_non_null(names[i]);
        assert_string_equal(names[i], want[i]);
        const na_platform *p = na_platform_find(r, want[i], &e);
        if (!p)
            fprintf(stderr, "# %s\n", e.msg);
        assert_non_null(p);
        assert_string_equal(p->name, want[i]);
        assert_true(p->nmodes >= 1);
        /* the same object the second time: loaded once, shared */
        assert_ptr_equal(na_platform_find(r, want[i], &e), p);
    }
    assert_null(names[9]);
    na_platform_names_free(names);
    assert_int_equal(na_builtin_platforms_count, 9);
    na_platforms_free(r);
}

static void ios_semantics(void **st)
{
    (void)st;
    na_err e = NA_ERR_INIT;
    na_platforms *r = na_platforms_new(NULL, 0, &e);
    const na_platform *p = na_platform_find(r, "cisco_ios", &e);
    assert_non_null(p);
    assert_string_equal(p->source, "<built-in>/cisco_ios.yaml");
    size_t ex = na_platform_mode(p, "exec"), pr = na_platform_mode(p, "privileged"),
           cf = na_platform_mode(p, "config"), sub = na_platform_mode(p, "config_sub");
    assert_int_equal(p->default_mode, pr);
    assert_int_equal(p->config_mode, cf);
    na_matcher *m = na_matcher_new(&e);
    assert_int_equal(na_platform_match_mode(p, m, "sw1>", 4), ex);
    assert_int_equal(na_platform_match_mode(p, m, "sw1#", 4), pr);
    assert_int_equal(na_platform_match_mode(p, m, "core-sw.lab#", 12), pr);
    assert_int_equal(na_platform_match_mode(p, m, "sw1(config)#", 12), cf);
    assert_int_equal(na_platform_match_mode(p, m, "sw1(config-if)#", 15), sub);
    assert_int_equal(na_platform_match_mode(p, m, "sw1(config-vlan)# ", 18), sub);
    assert_int_equal(na_platform_match_mode(p, m, "#####", 5), NA_NO_MODE);
    assert_int_equal(na_platform_match_mode(p, m, "Welcome to sw1#", 15), NA_NO_MODE);
    na_matcher_free(m);
    /* routes: exec -> config is enable + configure terminal; a sub-mode leaves with end */
    size_t path[8];
    assert_int_equal(na_platform_route(p, ex, cf, path, 8), 2);
    assert_string_equal(p->transitions[path[0]].send, "enable");
    assert_string_equal(p->transitions[path[1]].send, "configure terminal");
    assert_int_equal(na_platform_route(p, sub, pr, path, 8), 1);
    assert_string_equal(p->transitions[path[0]].send, "end");
    assert_int_equal(na_platform_route(p, pr, pr, path, 8), 0);
    /* enable answers Password: with the secret, flagged secret, once */
    const na_ptransition *en = &p->transitions[0];
    assert_int_equal(en->nanswers, 1);
    assert_string_equal(en->answers[0].reply, "${secret}");
    assert_true(en->answers[0].secret);
    assert_int_equal(en->answers[0].max, 1);
    assert_true(matches(en->answers[0].prompt, "Password: "));
    /* pagers, failures, save */
    assert_true(matches(p->pagers[0], " --More-- "));
    assert_true(matches(p->failures[0], "% Invalid input detected at '^' marker."));
    assert_string_equal(p->save.send, "copy running-config startup-config");
    assert_int_equal(p->save.mode, pr);
    assert_int_equal(p->save.timeout_ms, 120000);
    assert_true(matches(p->save.success, "Building configuration...\n[OK]"));
    assert_int_equal(p->non_open, 2);
    assert_string_equal(p->on_open[0], "terminal length 0");
    na_platforms_free(r);
}

static void other_builtins(void **st)
{
    (void)st;
    na_err e = NA_ERR_INIT;
    na_platforms *r = na_platforms_new(NULL, 0, &e);
    na_matcher *m = na_matcher_new(&e);
    const na_platform *p = na_platform_find(r, "arista_eos", &e);
    assert_int_equal(na_platform_match_mode(p, m, "eos1(config-vlan-10)#", 21),
                     na_platform_mode(p, "config_sub"));
    p = na_platform_find(r, "cisco_nxos", &e);
    assert_true(matches(p->failures[0], "% Invalid command at '^' marker."));
    p = na_platform_find(r, "linux", &e);
    assert_int_equal(p->default_mode, NA_NO_MODE);
    assert_null(p->running.show); /* no configuration to converge: config tasks always send */
    assert_int_equal(na_platform_match_mode(p, m, "admin@web1:~$ ", 14), na_platform_mode(p, "user"));
    assert_int_equal(na_platform_match_mode(p, m, "root@web1:/# ", 13), na_platform_mode(p, "root"));
    assert_null(p->save.send);
    const na_platform *ios = na_platform_find(r, "cisco_ios", &e);
    assert_string_equal(ios->running.show, "show running-config");
    assert_string_equal(ios->running.startup, "show startup-config");
    assert_int_equal(ios->running.ncomments, 1);
    assert_string_equal(ios->running.comments[0], "!");
    assert_string_equal(ios->running.ends[2], "exit-address-family");
    p = na_platform_find(r, "generic", &e);
    assert_true(matches(p->pagers[1], "<--- More --->"));
    assert_true(matches(p->pagers[0], "-- More --"));
    assert_true(matches(p->pagers[2], "Press any key to continue"));
    na_matcher_free(m);
    na_platforms_free(r);
}

static void expect_load_error(const char *file, const char *yaml, na_code code, const char *msg)
{
    write_file(file, yaml);
    char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, file);
    na_err e = NA_ERR_INIT;
    na_platform *p = na_platform_load_file(path, &e);
    assert_null(p);
    char want[600];
    snprintf(want, sizeof want, "%s:%s", path, msg);
    if (strcmp(e.msg, want))
        fprintf(stderr, "# got:  %s\n# want: %s\n", e.msg, want);
    assert_string_equal(e.msg, want);
    assert_int_equal(e.code, code);
}

static void load_errors(void **st)
{
    (void)st;
    expect_load_error("bad1.yaml", "name: bad1\nmodes:\n  exec: {prompt: 'x>'\n",
                      NA_E_YAML, "4:1: did not find expected ',' or '}' while parsing a flow mapping");
    expect_load_error("bad2.yaml",
                      "name: bad2\nmodes:\n  exec:\n    prompt: '^{host}[>$'\n",
                      NA_E_CONFIG,
                      "4:13: modes.exec.prompt: bad regular expression '^{host}[>$': missing "
                      "terminating ] for character class (at offset 25) with {host} expanded");
    expect_load_error("bad3.yaml", "name: bad3\nmodez: {}\n", NA_E_CONFIG,
                      "2:1: unknown key 'modez' in platform (expected one of: name, description, "
                      "host, newline, modes, default_mode, config_mode, transitions, on_open, "
                      "failures, config_errors, async_messages, pager, answers, commit, save, "
                      "login, learn_host, running_config, confirm, files)");
    expect_load_error("bad4.yaml",
                      "name: bad4\nmodes:\n  exec: {prompt: '>$'}\ntransitions:\n"
                      "  - {from: exec, to: enable, send: en}\n",
                      NA_E_CONFIG, "5:22: transitions[0].to: unknown mode 'enable' (modes: exec)");
    expect_load_error("bad5.yaml", "name: other\nmodes:\n  exec: {prompt: '>$'}\n", NA_E_CONFIG,
                      "1:7: name: 'other' does not match the file name 'bad5.yaml'");
    expect_load_error("bad6.yaml",
                      "name: bad6\nmodes:\n  exec: {prompt: '>$'}\nfailures: ['(unclosed']\n",
                      NA_E_CONFIG,
                      "4:12: failures[0]: bad regular expression '(unclosed': missing closing "
                      "parenthesis (at offset 9)");
    expect_load_error("bad7.yaml",
                      "name: bad7\nmodes:\n  exec: {prompt: '>$'}\nanswers:\n"
                      "  - {prompt: 'x:', reply: '${enable}'}\n",
                      NA_E_CONFIG,
                      "5:27: answers[0].reply: unknown variable in '${enable}' (use ${secret}, "
                      "${password} or ${username})");
    expect_load_error("bad8.yaml", "name: bad8\n", NA_E_CONFIG,
                      "1:1: modes: missing (at least one mode with a prompt)");
    expect_load_error("bad9.yaml",
                      "name: bad9\nmodes:\n  exec: {prompt: '>$', colour: red}\n", NA_E_CONFIG,
                      "3:24: unknown key 'colour' in modes.exec (expected one of: prompt)");
}

static void user_directories(void **st)
{
    (void)st;
    /* a user cisco_ios replaces the built-in one for this registry only */
    write_file("user/cisco_ios.yaml", "name: cisco_ios\ndescription: lab override\n"
                                 "modes:\n  cli: {prompt: '^R[0-9]+#$'}\n");
    /* a file cannot claim another platform's name */
    write_file("user/sneaky.yaml", "name: cisco_nxos\nmodes:\n  cli: {prompt: '#$'}\n");
    /* a broken file only breaks itself */
    write_file("user/broken.yaml", "name: broken\nmodes: [\n");
    write_file("user/mine.yaml", "name: mine\nmodes:\n  cli: {prompt: '^[a-z]+>$'}\n");
    write_file("user/notes.txt", "not a platform\n");
    na_err e = NA_ERR_INIT;
    char udir[128];
    snprintf(udir, sizeof udir, "%s/user", tmpdir);
    const char *dirs[] = {udir};
    na_platforms *r = na_platforms_new(dirs, 1, &e);
    const na_platform *p = na_platform_find(r, "cisco_ios", &e);
    assert_non_null(p);
    assert_string_equal(p->description, "lab override");
    p = na_platform_find(r, "cisco_nxos", &e);
    assert_non_null(p);
    assert_string_equal(p->source, "<built-in>/cisco_nxos.yaml");
    p = na_platform_find(r, "mine", &e);
    assert_non_null(p);
    assert_null(na_platform_find(r, "sneaky", &e));
    assert_non_null(strstr(e.msg, "name: 'cisco_nxos' does not match the file name 'sneaky.yaml'"));
    na_err_clear(&e);
    assert_null(na_platform_find(r, "broken", &e));
    assert_int_equal(e.code, NA_E_YAML);
    na_err_clear(&e);
    assert_null(na_platform_find(r, "nosuch", &e));
    assert_int_equal(e.code, NA_E_NOTFOUND);
    assert_string_equal(e.msg, "unknown platform 'nosuch' (available: arista_eos, broken, "
                               "cisco_asa, cisco_ios, cisco_iosxr, cisco_nxos, generic, "
                               "hp_comware, juniper_junos, linux, mine, sneaky)");
    na_err_clear(&e);
    assert_null(na_platform_find(r, "../etc/passwd", &e));
    assert_int_equal(e.code, NA_E_NOTFOUND);
    na_platforms_free(r);
    /* a registry without the directory still has the built-in cisco_ios */
    na_err_clear(&e);
    r = na_platforms_new(NULL, 0, &e);
    p = na_platform_find(r, "cisco_ios", &e);
    assert_string_equal(p->description, "Cisco IOS and IOS-XE");
    na_platforms_free(r);
}

static void host_placeholder(void **st)
{
    (void)st;
    char *s = na_platform_subst_host("^{host}\\(config\\)#$", "sw\\!1");
    assert_string_equal(s, "^sw\\!1\\(config\\)#$");
    free(s);
    na_err e = NA_ERR_INIT;
    const char *y = "name: hp\nhost: '[a-z]+'\nmodes:\n  exec: {prompt: '^{host}>$'}\n";
    na_platform *p = na_platform_load_mem("hp.yaml", y, strlen(y), "hp", &e);
    assert_non_null(p);
    assert_string_equal(p->modes[0].prompt_src, "^{host}>$");
    assert_string_equal(na_pattern_src(p->modes[0].prompt), "^(?:[a-z]+)>$");
    assert_true(matches(p->modes[0].prompt, "abc>"));
    assert_false(matches(p->modes[0].prompt, "ab1>"));
    assert_string_equal(p->newline, "\r"); /* Enter, as a terminal sends it */
    assert_string_equal(p->pager_reply, " ");
    na_platform_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(builtins_load),
        cmocka_unit_test(ios_semantics),
        cmocka_unit_test(other_builtins),
        cmocka_unit_test(load_errors),
        cmocka_unit_test(user_directories),
        cmocka_unit_test(host_placeholder),
    };
    return cmocka_run_group_tests_name("platform", tests, setup, teardown);
}
