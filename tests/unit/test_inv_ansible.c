/* test_inv_ansible.c — unit tests for the Ansible side of inventory/: Python literals of INI
 * values, shell-like splitting of INI host lines, host patterns with ports and ranges (steps,
 * letters, zero padding, several ranges), INI inventories with their exact file:line errors,
 * the ansible_network_os table (cisco.iosxr.iosxr, junipernetworks.junos.junos included),
 * connection variables mapped onto settings (aliases, "{{ variable }}", ProxyJump and
 * ProxyCommand jump hosts, host key checking, timeouts) and the warnings for the ones netauto
 * does not honour. Differential tests against ansible-inventory: tests/e2e/
 * test_inventory_ansible.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "inv_ans_int.h"
#include "secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dump(json_t *j)
{
    return j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : strdup("(not a literal)");
}

static void python_literals(void **st)
{
    (void)st;
    static const struct { const char *in, *out; } cases[] = {
        {"1", "1"},           {"-5", "-5"},         {"+5", "5"},
        {"1_000", "1000"},    {"0x1F", "31"},       {"0o17", "15"},
        {"0b101", "5"},       {"00", "0"},          {"1.5", "1.5"},
        {"1e3", "1000.0"},    {".5", "0.5"},        {"1.", "1.0"},
        {"True", "true"},     {"None", "null"},     {"'a b'", "\"a b\""},
        {"\"x\\ty\"", "\"x\\ty\""}, {"r'\\d+'", "\"\\\\d+\""}, {"'a' \"b\"", "\"ab\""},
        {"b'raw'", "\"raw\""}, {"u'\\u00e9'", "\"\xc3\xa9\""}, {"'''tri'''", "\"tri\""},
        {"[1, 'two', None]", "[1,\"two\",null]"}, {"(1, 2)", "[1,2]"}, {"(1)", "1"},
        {"{'k': 1, 2: 'x'}", "{\"k\":1,\"2\":\"x\"}"}, {"1, 2", "[1,2]"},
        {"1 # a comment", "1"}, {"[1,\n 2]", "[1,2]"},
        /* not literals: the text stays text */
        {"true", NULL},       {"yes", NULL},        {"0777", NULL},
        {"0_1", NULL},        {"a b", NULL},        {"abc # c", NULL},
        {"1 ; x", NULL},      {"", NULL},           {"12abc", NULL},
        {"1j", NULL},         {"{1, 2}", NULL},     {"--5", NULL},
        {"f'x'", NULL},       {"'unterminated", NULL}, {"[1, 2", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        json_t *j = na_inv_pylit(cases[i].in);
        char *got = dump(j);
        const char *want = cases[i].out ? cases[i].out : "(not a literal)";
        if (strcmp(got, want) != 0)
            fail_msg("literal_eval(%s): got %s, want %s", cases[i].in, got, want);
        free(got);
        json_decref(j);
    }
}

static void join(const inv_strlist *l, char *buf, size_t cap)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < l->n && o < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%s%s", i ? "|" : "", l->v[i]);
}

static void shell_splitting(void **st)
{
    (void)st;
    static const struct { const char *in, *out; } cases[] = {
        {"h1 a=b#c d=e", "h1|a=b"},                 /* '#' starts a comment anywhere */
        {"h1 a=\"x y\" b='q\\z' c=x\\ y", "h1|a=x y|b=q\\z|c=x y"},
        {"h1 a=\"x\\\"y\" b=\"\\n\"", "h1|a=x\"y|b=\\n"},
        {"  h1   ", "h1"},
        {"h1 x=''", "h1|x="},
    };
    char buf[400], why[100];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        inv_strlist l = {0};
        assert_int_equal(na_inv_shlex(cases[i].in, &l, why, sizeof why), 0);
        join(&l, buf, sizeof buf);
        if (strcmp(buf, cases[i].out))
            fail_msg("shlex(%s): got %s, want %s", cases[i].in, buf, cases[i].out);
        na_inv_strlist_free(&l);
    }
    inv_strlist l = {0};
    assert_int_equal(na_inv_shlex("h1 a='open", &l, why, sizeof why), -1);
    assert_string_equal(why, "No closing quotation");
    na_inv_strlist_free(&l);
}

static void host_patterns(void **st)
{
    (void)st;
    static const struct { const char *in, *out; long port; } cases[] = {
        {"sw1", "sw1", -1},
        {"sw1:2222", "sw1", 2222},
        {"sw[01:03]", "sw01|sw02|sw03", -1},
        {"sw[01:10:4]", "sw01|sw05|sw09", -1},
        {"sw[1:3]:22", "sw1|sw2|sw3", 22},
        {"sw[a:c]-x", "swa-x|swb-x|swc-x", -1},
        {"r[1:2]s[a:b]", "r1sa|r1sb|r2sa|r2sb", -1},
        {"10.0.0.[1:3]", "10.0.0.1|10.0.0.2|10.0.0.3", -1},
        {"[10.0.0.1]:2200", "10.0.0.1", 2200},
        {"sw[:2]", "sw0|sw1|sw2", -1},
        {"sw[y:B]", "swy|swz|swA|swB", -1},          /* ascii_letters order */
        {"sw[9:1]", "", -1},                        /* an empty range: no host */
    };
    char buf[400], why[200];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        inv_strlist l = {0};
        long port = 0;
        if (na_inv_expand_hostpattern(cases[i].in, &l, &port, why, sizeof why) < 0)
            fail_msg("%s: %s", cases[i].in, why);
        join(&l, buf, sizeof buf);
        if (strcmp(buf, cases[i].out) || port != cases[i].port)
            fail_msg("%s: got %s port %ld", cases[i].in, buf, port);
        na_inv_strlist_free(&l);
    }
    static const struct { const char *in, *why; } bad[] = {
        {"sw[01:1]", "host range must specify equal-length begin and end formats (in "
                     "'sw[01:1]')"},
        {"sw[1:]", "host range must specify end value (in 'sw[1:]')"},
        {"sw[1:5:0]", "host range step must not be zero (in 'sw[1:5:0]')"},
        {"sw[c:a]", "host range must have begin <= end (in 'sw[c:a]')"},
        {"sw[1]", "host range must be begin:end or begin:end:step (in 'sw[1]')"},
        {"sw[1:99999999]", "host range 'sw[1:99999999]' has more than 100000 hosts"},
        /* an empty range inside many: nothing kept, but the work is bounded all the same */
        {"s[1:9][1:9][1:9][1:9][1:9][1:9][1:9][9:1]",
         "host pattern 's1712758[9:1]' expands to more than 400000 names"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        inv_strlist l = {0};
        long port;
        if (na_inv_expand_hostpattern(bad[i].in, &l, &port, why, sizeof why) == 0 ||
            strcmp(why, bad[i].why))
            fail_msg("%s: got '%s'", bad[i].in, why);
        na_inv_strlist_free(&l);
    }
}

static na_inventory *load_as(const char *name, const char *text, na_err *e)
{
    na_err_clear(e);
    return na_inv_load_mem(name, text, strlen(text), "/base", NULL, e);
}

static const char *vs(const na_inv_host *h, const char *k)
{
    return json_string_value(json_object_get(h->vars, k));
}

static void ini_inventories(void **st)
{
    (void)st;
    na_err e = NA_ERR_INIT;
    na_inventory *inv = load_as("hosts",
                                "lonely ansible_host=192.0.2.1\n"
                                "[web]\n"
                                "web[1:2]:2201 role=web n=5 ok=True\n"
                                "[web:vars]\n"
                                "ansible_network_os = cisco.iosxr.iosxr\n"
                                "note = some text\n"
                                "[dc:children]\n"
                                "web\n"
                                "core\n"
                                "[core]\n"
                                "c1 ansible_network_os=junipernetworks.junos.junos\n"
                                "[dc:vars]\n"
                                "role=dc\n",
                                &e);
    if (!inv)
        fail_msg("%s", e.msg);
    const na_inv_host *w = na_inv_find(inv, "web1");
    assert_non_null(w);
    assert_int_equal(w->ssh_port, 2201);
    assert_string_equal(w->platform, "cisco_iosxr");
    assert_string_equal(vs(w, "role"), "web"); /* the host beats its groups */
    assert_int_equal(json_integer_value(json_object_get(w->vars, "n")), 5);
    assert_true(json_is_true(json_object_get(w->vars, "ok")));
    assert_string_equal(vs(w, "note"), "some text");
    assert_true(na_inv_host_in_group(w, "dc"));
    const na_inv_host *c1 = na_inv_find(inv, "c1");
    assert_string_equal(c1->platform, "juniper_junos");
    assert_string_equal(vs(c1, "role"), "dc");
    assert_true(na_inv_host_in_group(na_inv_find(inv, "lonely"), "ungrouped"));
    assert_string_equal(na_inv_find(inv, "lonely")->address, "192.0.2.1");
    na_inv_free(inv);

    static const struct { const char *text, *msg; } bad[] = {
        {"[g:vars]\nx=1\n", "hosts:1: Section [g:vars] not valid for undefined group: g"},
        {"[p:children]\nnope\n", "hosts:2: Section [p:children] includes undefined group: nope"},
        {"[g:weird]\n", "hosts:1: Section [g:weird] has unknown type: weird"},
        {"[g]\nh1 novalue\n", "hosts:2: Expected key=value host variable assignment, got: "
                              "novalue"},
        {"[g:vars]\nno equals\n[g]\n", "hosts:2: Expected key=value, got: no equals"},
        {"[ g ]\n", "hosts:1: Invalid section entry: '[ g ]'. Please make sure that there are "
                    "no spaces in the section entry, and that there are no other invalid "
                    "characters"},
        {"h1 x='open\n", "hosts:1: Error parsing host definition 'h1 x='open': No closing "
                         "quotation"},
        {"[g]\nh1:\n", "hosts:2: Invalid host pattern 'h1:' supplied, ending in ':' is not "
                  "allowed, this character is reserved to provide a port."},
        {"sw[01:1]\n", "hosts:1: host 'sw[01:1]': host range must specify equal-length begin "
                       "and end formats (in 'sw[01:1]')"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        inv = load_as("hosts", bad[i].text, &e);
        if (inv || strcmp(e.msg, bad[i].msg))
            fail_msg("case %zu: got '%s'", i, e.msg);
    }
}

static void network_os_table(void **st)
{
    (void)st;
    static const struct { const char *os, *platform; } map[] = {
        {"cisco.ios.ios", "cisco_ios"},       {"ios", "cisco_ios"},
        {"cisco.nxos.nxos", "cisco_nxos"},    {"nxos", "cisco_nxos"},
        {"arista.eos.eos", "arista_eos"},     {"eos", "arista_eos"},
        {"cisco.iosxr.iosxr", "cisco_iosxr"}, {"iosxr", "cisco_iosxr"},
        {"junipernetworks.junos.junos", "juniper_junos"}, {"junos", "juniper_junos"},
        {"vyos.vyos.vyos", NULL},             {"generic", NULL},
    };
    for (size_t i = 0; i < sizeof map / sizeof *map; i++) {
        const char *got = na_inv_ansible_platform(map[i].os);
        if (map[i].platform ? !got || strcmp(got, map[i].platform) : got != NULL)
            fail_msg("%s -> %s", map[i].os, got ? got : "NULL");
    }
}

static void connection_variables(void **st)
{
    (void)st;
    na_secret_clear_registry();
    na_err e = NA_ERR_INIT;
    na_inventory *inv = load_as(
        "hosts.yml",
        "all:\n"
        "  vars:\n"
        "    ansible_password: \"{{ vault_pw }}\"\n"
        "    vault_pw: from-a-variable-77\n"
        "    ansible_become_method: enable\n"
        "    ansible_become: yes\n"
        "    ansible_command_timeout: 45\n"
        "    ansible_connect_timeout: 7.5\n"
        "  hosts:\n"
        "    bastion: {ansible_host: 10.0.0.9, ansible_user: jump}\n"
        "    a1:\n"
        "      ansible_host: 10.0.0.1\n"
        "      ansible_ssh_host: 10.0.0.2\n"                 /* the ssh_ alias wins */
        "      ansible_ssh_common_args: -o ProxyJump=bastion -o StrictHostKeyChecking=no\n"
        "    a2:\n"
        "      ansible_ssh_common_args: >-\n"
        "        -o ProxyCommand=\"ssh -W %h:%p -q -p 2222 ops@bastion.example.net\"\n"
        "        -o UserKnownHostsFile=kh -o Compression=yes\n"
        "      ansible_host_key_checking: false\n"
        "      ansible_ssh_pipelining: true\n"
        "      ansible_persistent_log_messages: true\n"
        "    a3:\n"
        "      ansible_ssh_extra_args: -J admin@10.1.1.1:2200\n"
        "      ansible_become_method: sudo\n"
        "      ansible_ssh_pipelining: true\n",
        &e);
    if (!inv)
        fail_msg("%s", e.msg);
    const na_inv_host *a1 = na_inv_find(inv, "a1"), *a2 = na_inv_find(inv, "a2");
    const na_inv_host *a3 = na_inv_find(inv, "a3");
    assert_string_equal(a1->address, "10.0.0.2");
    assert_string_equal(a1->password, "from-a-variable-77");
    assert_ptr_equal(a1->jump_host, na_inv_find(inv, "bastion"));
    assert_int_equal(a1->ssh.host_key_policy, NA_HOSTKEY_OFF);
    assert_int_equal(a1->ssh.timeouts.command_ms, 45000);
    assert_int_equal(a1->ssh.timeouts.connect_ms, 7500);
    assert_null(a2->jump_host);
    assert_string_equal(a2->jump, "ops@bastion.example.net:2222");
    assert_string_equal(a2->ssh.jump->host, "bastion.example.net");
    assert_int_equal(a2->ssh.jump->port, 2222);
    assert_string_equal(a2->ssh.jump->username, "ops");
    assert_string_equal(a2->ssh.known_hosts, "/base/kh");
    assert_int_equal(a2->ssh.host_key_policy, NA_HOSTKEY_OFF);
    assert_string_equal(a3->ssh.jump->host, "10.1.1.1");
    assert_int_equal(a3->ssh.jump->port, 2200);
    /* the variables stay as Ansible computes them */
    assert_string_equal(vs(a1, "ansible_password"), "{{ vault_pw }}");
    /* warnings: each variable once, naming a host and counting the others */
    size_t n = na_inv_warning_count(inv);
    char all[4000] = "";
    for (size_t i = 0; i < n; i++) {
        strcat(all, na_inv_warning(inv, i));
        strcat(all, "\n");
    }
    assert_non_null(strstr(all, "host 'a2' (and 1 more): ansible_ssh_pipelining is not "
                                "honoured by netauto\n"));
    assert_non_null(strstr(all, "host 'a2': ansible_persistent_log_messages is not honoured"));
    assert_non_null(strstr(all, "host 'a2': ansible_ssh_common_args: ssh option 'Compression' "
                                "is not honoured by netauto"));
    assert_non_null(strstr(all, "host 'a3': ansible_become_method 'sudo' is not honoured"));
    na_inv_free(inv);

    static const struct { const char *text, *msg; } bad[] = {
        {"all:\n  hosts:\n    h:\n      ansible_ssh_common_args: -o ProxyJump=a,b\n",
         "hosts.yml:4:32: host 'h': ansible_ssh_common_args: ProxyJump 'a,b' has several "
         "hops; netauto takes one (make each hop an inventory host with its own jump)"},
        {"all:\n  hosts:\n    h:\n      ansible_ssh_common_args: -o 'ProxyCommand=nc %h %p'\n",
         "hosts.yml:4:32: host 'h': ansible_ssh_common_args: ProxyCommand 'nc %h %p' is not "
         "supported: netauto reaches a jump host with its own SSH "
         "(ProxyCommand=\"ssh -W %h:%p [user@]bastion\" or ProxyJump)"},
        {"all:\n  hosts:\n    h:\n      ansible_host_key_checking: maybe\n",
         "hosts.yml:4:34: host 'h': ansible_host_key_checking must be true or false"},
        {"all:\n  hosts:\n    h:\n      ansible_command_timeout: -1\n",
         "hosts.yml:4:32: host 'h': ansible_command_timeout must be a number of seconds "
         "greater than 0 and at most 86400"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        inv = load_as("hosts.yml", bad[i].text, &e);
        if (inv || strcmp(e.msg, bad[i].msg))
            fail_msg("case %zu: got '%s'", i, e.msg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(python_literals),
        cmocka_unit_test(shell_splitting),
        cmocka_unit_test(host_patterns),
        cmocka_unit_test(ini_inventories),
        cmocka_unit_test(network_os_table),
        cmocka_unit_test(connection_variables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
