/* test_inventory.c — unit tests for inventory/: native loading and precedence, conn params,
 * every validation error with its exact file:line:column text, group cycles, ${ENV_VAR}
 * references, Ansible YAML inventories (mapping and precedence), --limit and the JSON rendering
 * (secrets never in it). Vault tests are in test_vault.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "inventory.h"
#include "secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static na_inventory *load(const char *yaml, na_err *e)
{
    na_err_clear(e);
    return na_inv_load_mem("lab.yaml", yaml, strlen(yaml), "/base", NULL, e);
}

static const na_inv_host *host(const na_inventory *inv, const char *name)
{
    const na_inv_host *h = na_inv_find(inv, name);
    if (!h)
        fail_msg("host %s not found", name);
    return h;
}

static const char *var_str(const na_inv_host *h, const char *k)
{
    json_t *v = json_object_get(h->vars, k);
    return v ? json_string_value(v) : NULL;
}

static void groups_are(const na_inv_host *h, const char *const *want)
{
    size_t n = 0;
    while (want[n])
        n++;
    assert_int_equal(h->n_groups, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(h->groups[i], want[i]);
}

/* ---- native: precedence ------------------------------------------------------------------- */

static const char native_yaml[] =
    "defaults:\n"
    "  platform: cisco_ios\n"
    "  username: d_user\n"
    "  port: 2000\n"
    "  vars: {a: d, b: d, c: d, d: d}\n"
    "groups:\n"
    "  region:\n"
    "    username: region_user\n"
    "    vars: {a: region, b: region}\n"
    "  site:\n"
    "    parents: [region]\n"
    "    username: site_user\n"
    "    vars: {a: site}\n"
    "  role:\n"
    "    platform: arista_eos\n"
    "    vars: {c: role}\n"
    "  g1: {transport: telnet, vars: {x: g1}}\n"
    "  g2: {transport: ssh, vars: {x: g2}}\n"
    "hosts:\n"
    "  h1:\n"
    "    groups: [site, role]\n"
    "    vars: {d: host}\n"
    "  h2:\n"
    "    groups: [role, site]\n"
    "    username: h2_user\n"
    "  h3:\n"
    "  h4: {groups: [g1, g2]}\n"
    "  h5: {groups: [g2, g1]}\n";

static void native_precedence(void **st)
{
    (void)st;
    na_err e = NA_ERR_INIT;
    na_inventory *inv = load(native_yaml, &e);
    assert_non_null(inv);
    assert_int_equal(na_inv_get_format(inv), NA_INV_NATIVE);
    assert_int_equal(na_inv_count(inv), 5);
    assert_string_equal(na_inv_host_at(inv, 0)->name, "h1"); /* file order */
    assert_string_equal(na_inv_host_at(inv, 4)->name, "h5");

    const na_inv_host *h1 = host(inv, "h1");
    static const char *const g_h1[] = {"all", "region", "site", "role", NULL};
    groups_are(h1, g_h1);
    assert_string_equal(h1->username, "site_user"); /* site (after its parent region) */
    assert_string_equal(h1->platform, "arista_eos"); /* role, listed after site */
    assert_string_equal(var_str(h1, "a"), "site");
    assert_string_equal(var_str(h1, "b"), "region");
    assert_string_equal(var_str(h1, "c"), "role");
    assert_string_equal(var_str(h1, "d"), "host");

    const na_inv_host *h2 = host(inv, "h2");
    static const char *const g_h2[] = {"all", "role", "region", "site", NULL};
    groups_are(h2, g_h2);
    assert_string_equal(h2->username, "h2_user"); /* the host wins */
    assert_string_equal(var_str(h2, "d"), "d");

    const na_inv_host *h3 = host(inv, "h3"); /* defaults only */
    static const char *const g_h3[] = {"all", NULL};
    groups_are(h3, g_h3);
    assert_string_equal(h3->address, "h3");
    assert_string_equal(h3->username, "d_user");
    assert_string_equal(h3->platform, "cisco_ios");
    assert_int_equal(h3->transport, NA_TRANSPORT_SSH);
    assert_int_equal(h3->ssh_port, 2000); /* port is for the host's own transport */
    assert_int_equal(h3->telnet_port, 23);
    assert_int_equal(json_object_size(h3->vars), 4);

    /* two sibling groups: the one listed last wins */
    assert_int_equal(host(inv, "h4")->transport, NA_TRANSPORT_SSH);
    assert_string_equal(var_str(host(inv, "h4"), "x"), "g2");
    assert_int_equal(host(inv, "h5")->transport, NA_TRANSPORT_TELNET);
    assert_string_equal(var_str(host(inv, "h5"), "x"), "g1");
    assert_int_equal(host(inv, "h5")->telnet_port, 2000);
    assert_int_equal(host(inv, "h5")->ssh_port, 22);

    assert_true(na_inv_group_exists(inv, "region"));
    assert_true(na_inv_group_exists(inv, "all"));
    assert_false(na_inv_group_exists(inv, "nope"));
    assert_true(na_inv_host_in_group(h1, "region"));
    assert_false(na_inv_host_in_group(h2, "g1"));
    assert_null(na_inv_find(inv, "nope"));
    assert_null(na_inv_host_at(inv, 5));
    na_inv_free(inv);
}

/* diamond parents and deep chains: every ancestor once, parents first */
static void native_parent_chains(void **st)
{
    (void)st;
    na_err e = NA_ERR_INIT;
    na_inventory *inv = load("groups:\n"
                             "  a: {parents: [b, c], vars: {v: a}}\n"
                             "  b: {parents: [c], vars: {v: b}}\n"
                             "  c: {parents: [d], vars: {v: c, w: c}}\n"
                             "  d: {vars: {v: d, w: d, z: d}}\n"
                             "hosts:\n"
                             "  x: {groups: a}\n",
                             &e);
    assert_non_null(inv);
    static const char *const want[] = {"all", "d", "c", "b", "a", NULL};
    groups_are(host(inv, "x"), want);
    assert_string_equal(var_str(host(inv, "x"), "v"), "a");
    assert_string_equal(var_str(host(inv, "x"), "w"), "c");
    assert_string_equal(var_str(host(inv, "x"), "z"), "d");
    na_inv_free(inv);
}

static void native_conn_params(void **st)
{
    (void)st;
    setenv("HOME", "/home/tester", 1);
    na_err e = NA_ERR_INIT;
    na_inventory *inv = load(
        "platform_dirs: [platforms, /opt/p, ~/p]\n"
        "templates: ntc/templates\n"
        "defaults:\n"
        "  username: admin\n"
        "  password: pw-one\n"
        "  known_hosts: kh/known_hosts\n"
        "  timeouts: {connect: 2.5, command: 60}\n"
        "hosts:\n"
        "  sw1:\n"
        "    host: 127.0.0.1\n"
        "    ssh_port: 40001\n"
        "    telnet_port: 40002\n"
        "    transport: telnet\n"
        "    port: 9999\n"
        "    key_file: ~/.ssh/id_ed25519\n"
        "    key_passphrase: kp-one\n"
        "    use_agent: yes\n"
        "    host_key_policy: accept-new\n"
        "    ssh_algorithms:\n"
        "      kex: [curve25519-sha256, diffie-hellman-group14-sha1]\n"
        "      host_keys: 'ssh-ed25519, ssh-rsa'\n"
        "      ciphers: aes128-ctr\n"
        "      macs: [hmac-sha2-256]\n"
        "  sw2:\n"
        "    transport: telnet\n"
        "    port: 2323\n"
        "    host_key_policy: 'off'\n"
        "    timeouts: {connect: 0.0004}\n",
        &e);
    assert_non_null(inv);
    const na_inv_host *h = host(inv, "sw1");
    assert_int_equal(h->ssh_port, 40001); /* ssh_port/telnet_port win over port */
    assert_int_equal(h->telnet_port, 40002);
    const na_conn_params *s = na_inv_conn(h, NA_TRANSPORT_SSH), *t = na_inv_conn(h, NA_TRANSPORT_TELNET);
    assert_ptr_equal(s, &h->ssh);
    assert_ptr_equal(t, &h->telnet);
    assert_string_equal(s->name, "sw1");
    assert_string_equal(s->host, "127.0.0.1");
    assert_int_equal(s->port, 40001);
    assert_int_equal(t->port, 40002);
    assert_string_equal(s->username, "admin");
    assert_string_equal(s->password, "pw-one");
    assert_ptr_equal(s->password, h->password);
    assert_string_equal(s->key_file, "/home/tester/.ssh/id_ed25519");
    assert_string_equal(s->key_passphrase, "kp-one");
    assert_true(s->use_agent);
    assert_int_equal(s->host_key_policy, NA_HOSTKEY_ACCEPT_NEW);
    assert_string_equal(s->known_hosts, "/base/kh/known_hosts");
    assert_string_equal(s->algos.kex, "curve25519-sha256,diffie-hellman-group14-sha1");
    assert_string_equal(s->algos.host_keys, "ssh-ed25519,ssh-rsa");
    assert_string_equal(s->algos.ciphers, "aes128-ctr");
    assert_string_equal(s->algos.macs, "hmac-sha2-256");
    assert_int_equal(s->timeouts.connect_ms, 2500);
    assert_int_equal(s->timeouts.command_ms, 60000);
    assert_int_equal(s->timeouts.auth_ms, 0); /* 0 = transport default */
    assert_null(s->jump);
    assert_null(t->jump);
    assert_true(na_contains_secret("xx pw-one xx", 12)); /* registered for redaction */
    assert_true(na_contains_secret("kp-one", 6));

    const na_inv_host *h2 = host(inv, "sw2");
    assert_int_equal(h2->telnet_port, 2323);
    assert_int_equal(h2->ssh_port, 22);
    assert_int_equal(h2->ssh.host_key_policy, NA_HOSTKEY_OFF);
    assert_int_equal(h2->ssh.timeouts.connect_ms, 1); /* rounded up to 1 ms */
    assert_false(h2->ssh.use_agent);

    size_t n;
    const char *const *dirs = na_inv_platform_dirs(inv, &n);
    assert_int_equal(n, 3);
    assert_string_equal(dirs[0], "/base/platforms");
    assert_string_equal(dirs[1], "/opt/p");
    assert_string_equal(dirs[2], "/home/tester/p");
    assert_null(dirs[3]);
    assert_string_equal(na_inv_templates_dir(inv), "/base/ntc/templates");
    na_inv_free(inv);
}

/* ssh_config: the inventory names the OpenSSH client config (relative to the inventory, none,
 * or the default ~/.ssh/config); what it leaves unset (port, use_agent, host_key_policy) stays
 * unset so ssh_config can fill it; a syntax error in the file is an input error at load time
 * naming the inventory line and the file's line. */
static void native_ssh_config(void **st)
{
    (void)st;
    char dir[] = "/tmp/netauto-invcfg-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char good[300], bad[300];
    snprintf(good, sizeof good, "%s/good_config", dir);
    snprintf(bad, sizeof bad, "%s/bad_config", dir);
    FILE *f = fopen(good, "w");
    fputs("Host *\n  User from-config\n", f);
    fclose(f);
    f = fopen(bad, "w");
    fputs("Host sw1\n  Port 22\n  Frobnicate yes\n", f);
    fclose(f);
    char yaml[1200];
    snprintf(yaml, sizeof yaml,
             "hosts:\n"
             "  sw1: {ssh_config: good_config}\n"
             "  sw2: {ssh_config: none, ssh_port: 2222, use_agent: no, host_key_policy: strict}\n"
             "  sw3: {}\n"
             "  sw4: {transport: telnet, port: 2323}\n");
    na_err e = NA_ERR_INIT;
    na_inventory *inv = na_inv_load_mem("lab.yaml", yaml, strlen(yaml), dir, NULL, &e);
    if (!inv)
        fail_msg("%s", e.msg);
    const na_inv_host *h1 = host(inv, "sw1"), *h2 = host(inv, "sw2"), *h3 = host(inv, "sw3");
    assert_string_equal(h1->ssh.ssh_config, good);
    assert_int_equal(h1->ssh.port, 0);        /* not set: ssh_config's Port, else 22 */
    assert_int_equal(h1->ssh_port, 22);       /* what the inventory itself says */
    assert_int_equal(h1->ssh.use_agent, NA_AGENT_DEFAULT);
    assert_false(h1->ssh.host_key_policy_given);
    assert_string_equal(h2->ssh.ssh_config, "none");
    assert_int_equal(h2->ssh.port, 2222);
    assert_int_equal(h2->ssh.use_agent, NA_AGENT_NO);
    assert_true(h2->ssh.host_key_policy_given);
    assert_string_equal(h3->ssh.ssh_config, NA_SSH_CONFIG_DEFAULT);
    json_t *j = na_inv_host_json(h1);
    assert_true(json_is_null(json_object_get(j, "use_agent")));
    assert_string_equal(json_string_value(json_object_get(j, "ssh_config")), good);
    json_decref(j);
    na_inv_free(inv);

    snprintf(yaml, sizeof yaml, "hosts:\n  sw1:\n    ssh_config: bad_config\n");
    na_err_clear(&e);
    assert_null(na_inv_load_mem("lab.yaml", yaml, strlen(yaml), dir, NULL, &e));
    assert_int_equal(e.code, NA_E_CONFIG);
    char want[600];
    snprintf(want, sizeof want, "lab.yaml:3:17: host 'sw1': ssh_config %s:3: Bad configuration "
             "option: frobnicate", bad);
    assert_string_equal(e.msg, want);
    snprintf(yaml, sizeof yaml, "hosts:\n  sw1:\n    ssh_config: missing_config\n");
    na_err_clear(&e);
    assert_null(na_inv_load_mem("lab.yaml", yaml, strlen(yaml), dir, NULL, &e));
    assert_non_null(strstr(e.msg, "lab.yaml:3:17: host 'sw1': ssh_config "));
    assert_non_null(strstr(e.msg, "missing_config: no such file"));
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void native_jump_hosts(void **st)
{
    (void)st;
    na_err e = NA_ERR_INIT;
    na_inventory *inv = load("defaults: {username: admin, password: pj}\n"
                             "hosts:\n"
                             "  bastion: {host: 10.0.0.1, ssh_port: 2222, username: ops}\n"
                             "  r1: {jump_host: bastion}\n"
                             "  r2: {jump_host: 'jo@[2001:db8::1]:2200'}\n"
                             "  r3: {jump_host: 'gw.example.net:22'}\n"
                             "  r4: {jump_host: 'gw.example.net:'}\n",
                             &e);
    assert_null(inv);
    assert_string_equal(e.msg, "lab.yaml:7:19: host 'r4': jump_host 'gw.example.net:': port "
                               "must be from 1 to 65535");
    inv = load("defaults: {username: admin, password: pj}\n"
               "hosts:\n"
               "  bastion: {host: 10.0.0.1, ssh_port: 2222, username: ops}\n"
               "  r1: {jump_host: bastion}\n"
               "  r2: {jump_host: 'jo@[2001:db8::1]:2200'}\n"
               "  r3: {jump_host: 'gw.example.net:22'}\n"
               "  r4: {jump_host: r1}\n",
               &e);
    assert_non_null(inv);
    const na_inv_host *b = host(inv, "bastion"), *r1 = host(inv, "r1");
    assert_ptr_equal(r1->jump_host, b);
    assert_ptr_equal(r1->ssh.jump, &b->ssh);
    assert_int_equal(r1->ssh.jump->port, 2222);
    assert_string_equal(r1->ssh.jump->username, "ops");
    assert_null(r1->telnet.jump);
    const na_inv_host *r2 = host(inv, "r2");
    assert_null(r2->jump_host);
    assert_non_null(r2->ssh.jump);
    assert_string_equal(r2->ssh.jump->host, "2001:db8::1");
    assert_int_equal(r2->ssh.jump->port, 2200);
    assert_string_equal(r2->ssh.jump->username, "jo");
    assert_string_equal(r2->ssh.jump->password, "pj"); /* the host's own credentials */
    assert_true(r2->ssh.jump->no_shell);
    const na_inv_host *r3 = host(inv, "r3");
    assert_string_equal(r3->ssh.jump->host, "gw.example.net");
    assert_int_equal(r3->ssh.jump->port, 22);
    assert_string_equal(r3->ssh.jump->username, "admin");
    /* chains: r4 -> r1 -> bastion */
    const na_inv_host *r4 = host(inv, "r4");
    assert_ptr_equal(r4->ssh.jump, &r1->ssh);
    assert_ptr_equal(r4->ssh.jump->jump, &b->ssh);
    na_inv_free(inv);
}

/* ---- validation: exact messages ----------------------------------------------------------- */

struct bad_case {
    const char *yaml;
    na_code code;
    const char *msg;
};

static const struct bad_case bad_cases[] = {
    {"hosts:\n  sw1:\n    transport: sssh\n", NA_E_CONFIG,
     "lab.yaml:3:16: host 'sw1': transport must be ssh or telnet, got 'sssh'"},
    {"hosts:\n  sw1:\n    trasport: ssh\n", NA_E_CONFIG,
     "lab.yaml:3:5: unknown key 'trasport' in host 'sw1' (expected one of: host, port, "
     "ssh_port, telnet_port, platform, transport, username, password, secret, key_file, "
     "key_passphrase, use_agent, host_key_policy, known_hosts, jump_host, ssh_algorithms, "
     "timeouts, vars, ssh_config, groups)"},
    {"defaults:\n  port: 70000\n", NA_E_CONFIG,
     "lab.yaml:2:9: defaults: port must be a port number from 1 to 65535, got '70000'"},
    {"groups:\n  lab:\n    ssh_port: twenty\n", NA_E_CONFIG,
     "lab.yaml:3:15: group 'lab': ssh_port must be a port number from 1 to 65535, got 'twenty'"},
    {"hosts:\n  sw1: {groups: [lab, 'a b']}\n", NA_E_CONFIG,
     "lab.yaml:2:23: host 'sw1': bad group name 'a b' (no spaces or any of , : ! &)"},
    {"groups:\n  a: {parents: [zz]}\n", NA_E_CONFIG,
     "lab.yaml:2:17: group 'a': unknown group 'zz' in parents"},
    {"groups:\n  a: {parents: [b]}\n  b: {parents: [a]}\n", NA_E_CONFIG,
     "lab.yaml:3:17: group 'b': parents form a cycle: a -> b -> a"},
    {"groups:\n  a: {parents: [b]}\n  b: {parents: [c]}\n  c: {parents: [a]}\n  d: {}\n",
     NA_E_CONFIG, "lab.yaml:4:17: group 'c': parents form a cycle: a -> b -> c -> a"},
    {"groups:\n  a: {parents: [a]}\n", NA_E_CONFIG,
     "lab.yaml:2:17: group 'a': parents form a cycle: a -> a"},
    {"groups:\n  all: {}\n", NA_E_CONFIG,
     "lab.yaml:2:3: group name 'all' is reserved (every host is in it; use defaults)"},
    {"hosts:\n  sw1:\n    host_key_policy: lax\n", NA_E_CONFIG,
     "lab.yaml:3:22: host 'sw1': host_key_policy must be strict, accept-new or off, got 'lax'"},
    {"hosts:\n  sw1:\n    use_agent: maybe\n", NA_E_CONFIG,
     "lab.yaml:3:16: host 'sw1': use_agent must be true or false, got 'maybe'"},
    {"hosts:\n  sw1:\n    timeouts: {connect: -1}\n", NA_E_CONFIG,
     "lab.yaml:3:25: host 'sw1': timeouts.connect must be a number of seconds greater than 0 "
     "and at most 86400, got '-1'"},
    {"hosts:\n  sw1:\n    timeouts: {conect: 1}\n", NA_E_CONFIG,
     "lab.yaml:3:16: unknown key 'conect' in timeouts of host 'sw1' (expected one of: connect, "
     "negotiate, auth, shell, command)"},
    {"hosts:\n  sw1:\n    ssh_algorithms: {kex: 'curve25519-sha256,,x'}\n", NA_E_CONFIG,
     "lab.yaml:3:27: host 'sw1': ssh_algorithms.kex: bad algorithm name in "
     "'curve25519-sha256,,x'"},
    {"hosts:\n  sw1:\n    username: {a: 1}\n", NA_E_CONFIG,
     "lab.yaml:3:15: host 'sw1': username must be a single value, not a mapping"},
    {"hosts:\n  sw1:\n    password:\n", NA_E_CONFIG,
     "lab.yaml:3:14: host 'sw1': password needs a value (leave the key out to keep it unset)"},
    {"hosts:\n  sw1:\n    password: ${NOT CLOSED\n", NA_E_CONFIG,
     "lab.yaml:3:15: host 'sw1': password: unterminated reference '${NOT CLOSED' (write "
     "${ENV_VAR} or ${vault:NAME})"},
    {"hosts:\n  sw1:\n    secret: ${vault:}\n", NA_E_CONFIG,
     "lab.yaml:3:13: host 'sw1': secret: bad reference '${vault:}' (write ${ENV_VAR} or "
     "${vault:NAME})"},
    {"hosts:\n  sw1:\n    secret: ${vault:enable}\n", NA_E_CONFIG,
     "lab.yaml:3:13: host 'sw1': secret refers to ${vault:enable} but the inventory names no "
     "vault file (add 'vault: FILE')"},
    {"hosts:\n  sw1:\n    platform: cisco ios\n", NA_E_CONFIG,
     "lab.yaml:3:15: host 'sw1': platform must be a platform name (letters, digits, '_', '-'), "
     "got 'cisco ios'"},
    {"hosts:\n  sw1: {jump_host: bastion}\n", NA_E_CONFIG,
     "lab.yaml:2:20: host 'sw1': jump_host 'bastion' is not a host in this inventory (or write "
     "user@host:port)"},
    {"hosts:\n  a: {jump_host: b}\n  b: {jump_host: a}\n", NA_E_CONFIG,
     "lab.yaml:2:18: host 'a': jump hosts form a loop: a -> b -> a"},
    {"hosts:\n  'sw 1': {}\n", NA_E_CONFIG,
     "lab.yaml:2:3: bad host name 'sw 1' (no spaces or any of , : ! &)"},
    {"hosts:\n  sw1: {}\n  sw1: {}\n", NA_E_YAML,
     "lab.yaml:3:3: duplicate key 'sw1' (first at line 2)"},
    {"hosts:\n  sw1: {\n", NA_E_YAML,
     "lab.yaml:3:1: did not find expected node content while parsing a flow node"},
    {"defaults:\n  vars: [1, 2]\n", NA_E_CONFIG, "lab.yaml:2:9: defaults: vars must be a mapping"},
    {"hosts:\n  sw1: [a]\n", NA_E_CONFIG,
     "lab.yaml:2:8: host 'sw1' must be a mapping of settings"},
    {"defaults: {}\nhostz: {}\n", NA_E_CONFIG,
     "lab.yaml:2:1: unknown key 'hostz' in the inventory (expected one of: vault, "
     "platform_dirs, templates, defaults, groups, hosts)"},
    {"templates: [a, b]\nhosts: {}\n", NA_E_CONFIG,
     "lab.yaml:1:12: templates must be a directory of TextFSM templates with an index"},
    {"", NA_E_CONFIG, "lab.yaml: the inventory is empty"},
    {"- a\n- b\n", NA_E_CONFIG,
     "lab.yaml:1:1: an inventory is a YAML mapping (native: defaults/groups/hosts; Ansible: "
     "all/children/hosts/vars), or an Ansible INI file"},
};

static void native_validation_errors(void **st)
{
    (void)st;
    na_secret_clear_registry(); /* earlier tests' secrets would be redacted from messages */
    for (size_t i = 0; i < sizeof bad_cases / sizeof *bad_cases; i++) {
        na_err e = NA_ERR_INIT;
        na_inventory *inv = load(bad_cases[i].yaml, &e);
        if (inv || e.code != bad_cases[i].code || strcmp(e.msg, bad_cases[i].msg) != 0) {
            na_inv_free(inv);
            fail_msg("case %zu: got code %d '%s'\n  want code %d '%s'", i, e.code, e.msg,
                     bad_cases[i].code, bad_cases[i].msg);
        }
    }
}

static void env_references(void **st)
{
    (void)st;
    const char *yaml = "defaults:\n"
                       "  password: ${NA_TEST_PW}\n"
                       "hosts:\n"
                       "  sw1:\n"
                       "  sw2:\n"
                       "    key_passphrase: ${NA_TEST_KP}\n";
    setenv("NA_TEST_PW", "env-pass-7", 1);
    setenv("NA_TEST_KP", "env-kp-8", 1);
    na_err e = NA_ERR_INIT;
    na_inventory *inv = load(yaml, &e);
    assert_non_null(inv);
    assert_string_equal(host(inv, "sw1")->password, "env-pass-7");
    assert_string_equal(host(inv, "sw2")->ssh.key_passphrase, "env-kp-8");
    /* one copy shared by every host that inherits it */
    assert_ptr_equal(host(inv, "sw1")->password, host(inv, "sw2")->password);
    assert_true(na_contains_secret("env-pass-7", 10));
    na_inv_free(inv);

    unsetenv("NA_TEST_KP");
    inv = load(yaml, &e);
    assert_null(inv);
    assert_int_equal(e.code, NA_E_CONFIG);
    assert_string_equal(e.msg, "lab.yaml:6:21: host 'sw2': key_passphrase: environment variable "
                               "NA_TEST_KP is not set");
    unsetenv("NA_TEST_PW");
    inv = load(yaml, &e);
    assert_null(inv);
    assert_string_equal(e.msg, "lab.yaml:2:13: host 'sw1': password: environment variable "
                               "NA_TEST_PW is not set");
    /* set but empty is a value */
    setenv("NA_TEST_PW", "", 1);
    setenv("NA_TEST_KP", "kp-not-empty", 1);
    inv = load(yaml, &e);
    assert_non_null(inv);
    assert_string_equal(host(inv, "sw1")->password, "");
    na_inv_free(inv);
    unsetenv("NA_TEST_PW");
    unsetenv("NA_TEST_KP");
}

/* ---- Ansible ------------------------------------------------------------------------------ */

static const char ansible_yaml[] =
    "all:\n"
    "  vars:\n"
    "    ansible_user: netops\n"
    "    ansible_password: ${NA_TEST_ANS_PW}\n"
    "    ansible_connection: ansible.netcommon.network_cli\n"
    "    ntp_server: 10.0.0.1\n"
    "    site: global\n"
    "  children:\n"
    "    datacenter:\n"
    "      vars:\n"
    "        site: dc\n"
    "        snmp_community: dc-ro\n"
    "      children:\n"
    "        spine:\n"
    "          vars:\n"
    "            ansible_network_os: arista.eos.eos\n"
    "            site: dc-spine\n"
    "          hosts:\n"
    "            spine1:\n"
    "              ansible_host: 10.1.0.1\n"
    "            spine2:\n"
    "              ansible_host: 10.1.0.2\n"
    "              ansible_port: 2222\n"
    "        leaf:\n"
    "          vars:\n"
    "            ansible_network_os: cisco.nxos.nxos\n"
    "            ansible_ssh_pass: leaf-pass\n"
    "          hosts:\n"
    "            leaf1:\n"
    "              ansible_host: 10.2.0.1\n"
    "              ansible_become_password: enable123\n"
    "              site: leaf1-site\n"
    "    campus:\n"
    "      children:\n"
    "        access:\n"
    "          hosts:\n"
    "            acc1:\n"
    "              ansible_host: 10.3.0.1\n"
    "              ansible_network_os: ios\n"
    "              ansible_connection: telnet\n"
    "              ansible_become_pass: en2\n"
    "              ansible_become: true\n"
    "            spine1:\n"
    "              rack: r12\n"
    "      vars:\n"
    "        ansible_user: campus_admin\n"
    "  hosts:\n"
    "    lonely:\n"
    "      ansible_host: 192.0.2.9\n"
    "      ansible_ssh_private_key_file: keys/id_ed25519\n"
    "      ansible_network_os: nxos\n";

static void ansible_inventory(void **st)
{
    (void)st;
    setenv("NA_TEST_ANS_PW", "ans-pw-3", 1);
    na_err e = NA_ERR_INIT;
    na_inventory *inv = load(ansible_yaml, &e);
    if (!inv)
        fail_msg("%s", e.msg);
    assert_int_equal(na_inv_get_format(inv), NA_INV_ANSIBLE);
    assert_int_equal(na_inv_count(inv), 5); /* spine1 is listed twice but is one host */
    static const char *const order[] = {"spine1", "spine2", "leaf1", "acc1", "lonely"};
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(na_inv_host_at(inv, i)->name, order[i]);

    /* spine1: all < campus, datacenter (depth 1, by name) < access, spine (depth 2) < host */
    const na_inv_host *s1 = host(inv, "spine1");
    static const char *const g_s1[] = {"all", "campus", "datacenter", "access", "spine", NULL};
    groups_are(s1, g_s1);
    assert_string_equal(s1->address, "10.1.0.1");
    assert_string_equal(s1->username, "campus_admin"); /* a group beats all.vars */
    assert_string_equal(s1->password, "ans-pw-3");
    assert_string_equal(s1->platform, "arista_eos");
    assert_int_equal(s1->transport, NA_TRANSPORT_SSH);
    assert_string_equal(var_str(s1, "site"), "dc-spine"); /* child group beats parent */
    assert_string_equal(var_str(s1, "snmp_community"), "dc-ro");
    assert_string_equal(var_str(s1, "ntp_server"), "10.0.0.1");
    assert_string_equal(var_str(s1, "rack"), "r12"); /* host vars from its second listing */
    /* mapped connection variables stay variables, as ansible-inventory --host shows them */
    assert_string_equal(var_str(s1, "ansible_user"), "campus_admin");
    assert_string_equal(var_str(s1, "ansible_network_os"), "arista.eos.eos");
    assert_string_equal(var_str(s1, "ansible_password"), "${NA_TEST_ANS_PW}");

    const na_inv_host *s2 = host(inv, "spine2");
    assert_int_equal(s2->ssh_port, 2222);
    assert_int_equal(s2->ssh.port, 2222);
    assert_int_equal(s2->telnet_port, 23);
    assert_string_equal(s2->username, "netops");

    const na_inv_host *l1 = host(inv, "leaf1");
    assert_string_equal(l1->platform, "cisco_nxos");
    assert_string_equal(l1->secret, "enable123");
    assert_string_equal(l1->password, "leaf-pass"); /* ansible_ssh_pass in a group */
    assert_string_equal(var_str(l1, "site"), "leaf1-site"); /* host beats every group */

    const na_inv_host *a1 = host(inv, "acc1");
    assert_string_equal(a1->platform, "cisco_ios");
    assert_int_equal(a1->transport, NA_TRANSPORT_TELNET);
    assert_int_equal(a1->telnet.port, 23);
    assert_string_equal(a1->secret, "en2");
    assert_true(json_is_true(json_object_get(a1->vars, "ansible_become")));
    assert_string_equal(var_str(a1, "site"), "global");

    const na_inv_host *lo = host(inv, "lonely");
    static const char *const g_lo[] = {"all", "ungrouped", NULL};
    groups_are(lo, g_lo);
    assert_string_equal(lo->ssh.key_file, "/base/keys/id_ed25519");
    assert_string_equal(lo->platform, "cisco_nxos");
    assert_true(na_inv_group_exists(inv, "ungrouped"));
    na_inv_free(inv);
    unsetenv("NA_TEST_ANS_PW");
}

static void ansible_variants_and_errors(void **st)
{
    (void)st;
    na_secret_clear_registry();
    na_err e = NA_ERR_INIT;
    /* no "all": top-level groups; a host only in ungrouped stays there */
    na_inventory *inv = load("ungrouped:\n  hosts:\n    u1:\nrouters:\n  hosts:\n    r1:\n"
                             "      ansible_network_os: generic\n      ansible_ssh_user: bob\n"
                             "      ansible_ssh_host: 10.9.9.9\n      ansible_ssh_port: 2200\n",
                             &e);
    assert_non_null(inv);
    assert_int_equal(na_inv_get_format(inv), NA_INV_ANSIBLE);
    static const char *const g_u1[] = {"all", "ungrouped", NULL};
    groups_are(host(inv, "u1"), g_u1);
    static const char *const g_r1[] = {"all", "routers", NULL};
    groups_are(host(inv, "r1"), g_r1);
    assert_string_equal(host(inv, "r1")->platform, "generic");
    assert_string_equal(host(inv, "r1")->username, "bob");
    assert_string_equal(host(inv, "r1")->address, "10.9.9.9");
    assert_int_equal(host(inv, "r1")->ssh_port, 2200);
    na_inv_free(inv);

    static const struct bad_case cases[] = {
        {"all:\n  hosts:\n    j1:\n      ansible_network_os: vyos.vyos.vyos\n",
         NA_E_CONFIG,
         "lab.yaml:4:27: host 'j1': ansible_network_os 'vyos.vyos.vyos' is not supported "
         "(netauto knows cisco.ios.ios, cisco.nxos.nxos, arista.eos.eos, cisco.iosxr.iosxr and "
         "junipernetworks.junos.junos, or a netauto platform name such as generic)"},
        /* a group's variable is checked for the hosts that get it, where it is written */
        {"all:\n  vars:\n    ansible_connection: local\n  hosts:\n    h1:\n", NA_E_CONFIG,
         "lab.yaml:3:25: host 'h1': ansible_connection 'local' is not supported (netauto "
         "connects with network_cli, ssh, paramiko or libssh as SSH, or telnet)"},
        {"all:\n  children:\n    a:\n      children:\n        b:\n          children:\n"
         "            a:\n",
         NA_E_CONFIG, "lab.yaml:5:9: group 'a': children form a cycle: a -> b -> a"},
        {"all:\n  hosts:\n    h1:\n      ansible_port: http\n", NA_E_CONFIG,
         "lab.yaml:4:21: host 'h1': ansible_port must be a port number from 1 to 65535, got "
         "'http'"},
        {"all:\n  hots:\n    h1:\n", NA_E_CONFIG,
         "lab.yaml:2:3: group 'all': unknown key 'hots' (a group has hosts, children and vars)"},
        {"all:\n  hosts:\n    h1:\n      ansible_password: !vault |\n        $ANSIBLE_VAULT;1.1;"
         "AES256\n        6162\n",
         NA_E_CONFIG,
         "lab.yaml:4:25: Ansible Vault format error: expected salt, HMAC and ciphertext"},
        {"all:\n  vars:\n    ansible_become_password: \"{{ lookup('env', 'X') }}\"\n"
         "  hosts:\n    h1:\n",
         NA_E_CONFIG,
         "lab.yaml:3:30: host 'h1': ansible_become_password is a template "
         "('{{ lookup('env', 'X') }}'), which netauto does not evaluate in inventories (only "
         "\"{{ variable }}\" is followed)"},
        {"all:\n  vars:\n    ansible_password: \"{{ vault_pw }}\"\n  hosts:\n    h1:\n",
         NA_E_CONFIG,
         "lab.yaml:3:23: host 'h1': ansible_password is '{{ vault_pw }}', but vault_pw is not "
         "defined for this host"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        inv = load(cases[i].yaml, &e);
        if (inv || e.code != cases[i].code || strcmp(e.msg, cases[i].msg) != 0) {
            na_inv_free(inv);
            fail_msg("case %zu: got code %d '%s'\n  want '%s'", i, e.code, e.msg, cases[i].msg);
        }
    }
}

/* ---- --limit ------------------------------------------------------------------------------ */

static const char limit_yaml[] = "groups:\n"
                                 "  core: {}\n"
                                 "  access: {}\n"
                                 "  lab: {}\n"
                                 "  switches: {parents: [lab]}\n"
                                 "hosts:\n"
                                 "  sw1: {groups: [switches, access]}\n"
                                 "  rtr1: {groups: [core, lab]}\n"
                                 "  sw2: {groups: [switches, core]}\n"
                                 "  sw3: {groups: [access, tagged]}\n"
                                 "  fw1: {groups: tagged}\n";

/* Hostile shapes that are written flat but nest deep: a chain of groups (every walk over
 * parents recursed through all of it: a few MB crashed the stack) is limited to 64 levels. */
static void deep_group_chains(void **st)
{
    (void)st;
    char *y = malloc(8192);
    assert_non_null(y);
    for (int levels = 63; levels <= 64; levels++) { /* parent links: 64 then 65 groups */
        size_t o = (size_t)snprintf(y, 8192, "groups:\n");
        for (int i = 0; i < levels; i++)
            o += (size_t)snprintf(y + o, 8192 - o, "  g%d: {parents: [g%d]}\n", i, i + 1);
        o += (size_t)snprintf(y + o, 8192 - o, "  g%d: {}\nhosts:\n  sw1: {groups: [g0]}\n",
                              levels);
        na_err e = NA_ERR_INIT;
        na_inventory *inv = na_inv_load_mem("deep.yaml", y, o, "/base", NULL, &e);
        if (levels == 63) {
            assert_non_null(inv);
            assert_int_equal(host(inv, "sw1")->n_groups, 65); /* all + g0..g63 */
            na_inv_free(inv);
        } else {
            assert_null(inv);
            assert_string_equal(e.msg, "deep.yaml:2:18: group 'g0': groups nested more than 64 "
                                       "levels deep (through parents)");
        }
    }
    free(y);
}

/* Jump-host loops are found by following each chain once (it was every chain from every host:
 * 100000 hosts in one chain took 24 s). A long chain loads; a loop at its far end is found and
 * reported from its first host in file order. */
static void long_jump_chains(void **st)
{
    (void)st;
    enum { N = 30000 };
    size_t cap = (size_t)N * 40 + 64;
    char *y = malloc(cap);
    assert_non_null(y);
    for (int loop = 0; loop <= 1; loop++) {
        size_t o = (size_t)snprintf(y, cap, "hosts:\n");
        for (int i = 0; i < N; i++)
            o += (size_t)snprintf(y + o, cap - o, "  h%d: {jump_host: h%d}\n", i,
                                  i + 1 < N ? i + 1 : loop ? N - 5 : 0);
        if (!loop) /* the last host jumps nowhere */
            o = (size_t)(strrchr(y, '{') - y) + (size_t)snprintf(strrchr(y, '{'), 8, "{}\n");
        na_err e = NA_ERR_INIT;
        na_inventory *inv = na_inv_load_mem("chain.yaml", y, o, "/base", NULL, &e);
        if (!loop) {
            assert_non_null(inv);
            assert_string_equal(host(inv, "h0")->jump_host->name, "h1");
            na_inv_free(inv);
        } else {
            assert_null(inv);
            assert_non_null(strstr(e.msg, "host 'h29995': jump hosts form a loop: h29995 -> "
                                          "h29996 -> h29997 -> h29998 -> h29999 -> h29995"));
        }
    }
    free(y);
}

/* Every host gets a merged copy of its inherited vars: shared vars times hosts is bounded
 * (INV_MAX_RESOLVED entries) instead of growing to gigabytes from a small file. */
static void resolved_size_is_bounded(void **st)
{
    (void)st;
    enum { K = 5000, H = 1000 };
    size_t cap = (size_t)(K + H) * 24 + 64;
    char *y = malloc(cap);
    assert_non_null(y);
    size_t o = (size_t)snprintf(y, cap, "defaults:\n  vars:\n");
    for (int i = 0; i < K; i++)
        o += (size_t)snprintf(y + o, cap - o, "    k%d: %d\n", i, i);
    o += (size_t)snprintf(y + o, cap - o, "hosts:\n");
    for (int i = 0; i < H; i++)
        o += (size_t)snprintf(y + o, cap - o, "  h%d: {}\n", i);
    na_err e = NA_ERR_INIT;
    na_inventory *inv = na_inv_load_mem("big.yaml", y, o, "/base", NULL, &e);
    assert_null(inv);
    assert_non_null(strstr(e.msg, "host 'h799': the inventory is too large once resolved: its "
                                  "1000 hosts' groups and inherited vars pass 4000000 entries"));
    /* a fifth of the hosts is fine */
    o = (size_t)(strstr(y, "  h200:") - y);
    na_err_clear(&e);
    inv = na_inv_load_mem("big.yaml", y, o, "/base", NULL, &e);
    assert_non_null(inv);
    assert_int_equal(json_object_size(host(inv, "h199")->vars), K);
    na_inv_free(inv);
    free(y);
}

static void check_limit(const na_inventory *inv, const char *pat, const char *want)
{
    na_inv_selection sel;
    na_err e = NA_ERR_INIT;
    if (na_inv_select(inv, pat, &sel, &e) < 0)
        fail_msg("limit '%s': %s", pat, e.msg);
    char got[256] = "";
    size_t o = 0;
    for (size_t i = 0; i < sel.n; i++)
        o += (size_t)snprintf(got + o, sizeof got - o, "%s%s", i ? " " : "", sel.hosts[i]->name);
    na_inv_selection_free(&sel);
    if (strcmp(got, want) != 0)
        fail_msg("limit '%s': got '%s', want '%s'", pat, got, want);
}

static void limit_patterns(void **st)
{
    (void)st;
    na_err e = NA_ERR_INIT;
    na_inventory *inv = load(limit_yaml, &e);
    assert_non_null(inv);
    check_limit(inv, NULL, "sw1 rtr1 sw2 sw3 fw1");
    check_limit(inv, "", "sw1 rtr1 sw2 sw3 fw1");
    check_limit(inv, "all", "sw1 rtr1 sw2 sw3 fw1");
    check_limit(inv, "*", "sw1 rtr1 sw2 sw3 fw1");
    check_limit(inv, "sw2", "sw2");
    check_limit(inv, "sw3,sw1", "sw1 sw3");            /* inventory order */
    check_limit(inv, "sw3:rtr1", "rtr1 sw3");
    check_limit(inv, "core", "rtr1 sw2");
    check_limit(inv, "lab", "sw1 rtr1 sw2");           /* through the child group */
    check_limit(inv, "sw*", "sw1 sw2 sw3");
    check_limit(inv, "swi*", "sw1 sw2");               /* globs match group names too */
    check_limit(inv, "*1", "sw1 rtr1 fw1");
    check_limit(inv, "sw?", "sw1 sw2 sw3");
    check_limit(inv, "sw[12]", "sw1 sw2");
    check_limit(inv, "lab:!core", "sw1");
    check_limit(inv, "lab:&access", "sw1");
    check_limit(inv, "!core", "sw1 sw3 fw1");          /* exclusion alone starts from all */
    check_limit(inv, "&access", "sw1 sw3");
    check_limit(inv, "!sw1:access", "sw3");            /* exclusions last, whatever the order */
    check_limit(inv, "&lab:access:core", "sw1 rtr1 sw2"); /* intersections after unions */
    check_limit(inv, "access,core:&lab,!rtr1", "sw1 sw2");
    check_limit(inv, " sw1 , sw2 ", "sw1 sw2");
    check_limit(inv, "core:&access", "");               /* each part matched: empty is fine */
    check_limit(inv, "tagged", "sw3 fw1");              /* groups only named by hosts exist */

    na_inv_selection sel;
    assert_int_equal(na_inv_select(inv, "sw1:sw9", &sel, &e), -1);
    assert_int_equal(e.code, NA_E_NOTFOUND);
    assert_string_equal(e.msg, "--limit: 'sw9' matches no host or group");
    assert_null(sel.hosts);
    na_err_clear(&e);
    assert_int_equal(na_inv_select(inv, "lab:!zz*", &sel, &e), -1);
    assert_string_equal(e.msg, "--limit: 'zz*' matches no host or group");
    na_err_clear(&e);
    assert_int_equal(na_inv_select(inv, "lab:&", &sel, &e), -1);
    assert_int_equal(e.code, NA_E_USAGE);
    assert_string_equal(e.msg, "--limit: '&' is not a pattern");
    na_err_clear(&e);
    assert_int_equal(na_inv_select(inv, ",:", &sel, &e), -1);
    assert_string_equal(e.msg, "--limit: ',:' has no pattern in it");
    na_err_clear(&e);
    assert_int_equal(na_inv_select(inv, "~sw.*", &sel, &e), -1);
    assert_int_equal(e.code, NA_E_USAGE);
    na_inv_free(inv);
}

/* ---- JSON rendering ----------------------------------------------------------------------- */

static void json_masks_secrets(void **st)
{
    (void)st;
    setenv("NA_TEST_JS", "Env-Secret-42", 1);
    na_err e = NA_ERR_INIT;
    na_inventory *inv = load("defaults:\n"
                             "  username: admin\n"
                             "  password: Plain-Secret-1\n"
                             "  secret: ${NA_TEST_JS}\n"
                             "hosts:\n"
                             "  sw1:\n"
                             "    key_file: id\n"
                             "    key_passphrase: Key-Pass-9\n"
                             "    vars: {note: 'login with Plain-Secret-1', list: [Key-Pass-9],"
                             " n: 5}\n"
                             "  sw2:\n"
                             "    password: Other-Pw-2\n",
                             &e);
    assert_non_null(inv);
    json_t *j = na_inv_json(inv, NULL);
    char *s = json_dumps(j, JSON_COMPACT);
    assert_non_null(s);
    assert_null(strstr(s, "Plain-Secret-1"));
    assert_null(strstr(s, "Env-Secret-42"));
    assert_null(strstr(s, "Key-Pass-9"));
    assert_null(strstr(s, "Other-Pw-2"));
    json_t *h0 = json_array_get(json_object_get(j, "hosts"), 0);
    assert_string_equal(json_string_value(json_object_get(h0, "password")), NA_REDACTED);
    assert_string_equal(json_string_value(json_object_get(h0, "secret")), NA_REDACTED);
    assert_string_equal(json_string_value(json_object_get(h0, "key_passphrase")), NA_REDACTED);
    assert_string_equal(json_string_value(json_object_get(h0, "username")), "admin");
    assert_string_equal(json_string_value(json_object_get(h0, "key_file")), "/base/id");
    json_t *vars = json_object_get(h0, "vars");
    assert_string_equal(json_string_value(json_object_get(vars, "note")), "login with ********");
    assert_int_equal(json_integer_value(json_object_get(vars, "n")), 5);
    assert_string_equal(json_string_value(json_object_get(j, "format")), "native");
    json_t *h1 = json_array_get(json_object_get(j, "hosts"), 1);
    assert_true(json_is_null(json_object_get(h1, "key_passphrase")));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(h1, "timeouts_ms"),
                                                        "command")), 30000);
    /* the inventory's own vars are untouched by the redacted copy */
    assert_string_equal(var_str(host(inv, "sw1"), "note"), "login with Plain-Secret-1");
    free(s);
    json_decref(j);
    na_inv_free(inv);
    unsetenv("NA_TEST_JS");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(native_precedence),
        cmocka_unit_test(native_parent_chains),
        cmocka_unit_test(native_conn_params),
        cmocka_unit_test(native_jump_hosts),
        cmocka_unit_test(native_ssh_config),
        cmocka_unit_test(native_validation_errors),
        cmocka_unit_test(env_references),
        cmocka_unit_test(ansible_inventory),
        cmocka_unit_test(ansible_variants_and_errors),
        cmocka_unit_test(deep_group_chains),
        cmocka_unit_test(long_jump_chains),
        cmocka_unit_test(resolved_size_is_bounded),
        cmocka_unit_test(limit_patterns),
        cmocka_unit_test(json_masks_secrets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
