/* test_ssh_config.c — drivers/ssh_config.c against OpenSSH's own answer: for a table of
 * configuration files and host names (with and without -l/-p), what `ssh -G -F FILE HOST`
 * prints is compared field by field with our lookup plus OpenSSH's defaults: hostname, user,
 * port, identityfile (in order), identitiesonly, proxyjump, proxycommand, userknownhostsfile,
 * globalknownhostsfile, stricthostkeychecking, connecttimeout, hostkeyalias, identityagent and
 * the algorithm lists written without +/-/^. Files that ssh refuses must be refused too, with
 * FILE:LINE. Plus the cache (a changed file is read again), expansion tokens and Match exec. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ssh_config.h"

#include <ctype.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];
static char me[64];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    chmod(path, 0600);
}

static int setup(void **st)
{
    (void)st;
    snprintf(dir, sizeof dir, "%s/netauto-sshcfg-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR")
                                                                             : "/tmp");
    if (!mkdtemp(dir))
        return -1;
    struct passwd *pw = getpwuid(getuid());
    snprintf(me, sizeof me, "%s", pw ? pw->pw_name : "root");
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- what ssh -G says -------------------------------------------------------------------- */

typedef struct answer {
    int rc;          /* ssh's exit status */
    char text[16384];
} answer;

static void ssh_g(const char *cfg, const char *host, const char *user, int port, answer *a)
{
    char cmd[1200], extra[200] = "";
    if (user)
        snprintf(extra, sizeof extra, "-l '%s' ", user);
    if (port)
        snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "-p %d ", port);
    snprintf(cmd, sizeof cmd, "/usr/bin/ssh -G -F '%s' %s'%s' 2>/dev/null", cfg, extra, host);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(a->text, 1, sizeof a->text - 1, p);
    a->text[n] = '\0';
    int st = pclose(p);
    a->rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* All values of `key` in ssh -G's output, joined with "|". */
static void field(const answer *a, const char *key, char *out, size_t cap)
{
    out[0] = '\0';
    size_t kl = strlen(key), used = 0;
    for (const char *l = a->text; *l;) {
        const char *nl = strchr(l, '\n');
        size_t ll = nl ? (size_t)(nl - l) : strlen(l);
        if (ll > kl && !strncmp(l, key, kl) && l[kl] == ' ') {
            used += (size_t)snprintf(out + used, cap - used, "%s%.*s", used ? "|" : "",
                                     (int)(ll - kl - 1), l + kl + 1);
            if (used >= cap)
                return;
        }
        l += ll + (nl ? 1 : 0);
    }
}

/* ---- what we say, with OpenSSH's defaults on top ----------------------------------------- */

static bool is_addr(const char *s) { return strspn(s, "0123456789.:abcdef") == strlen(s); }

static void ours(const char *cfg, const char *host, const char *user, int port, na_ssh_cfg *c,
                 const char *key, char *out, size_t cap)
{
    out[0] = '\0';
    char tmp[4096];
    const char *eff_user = user ? user : c->user ? c->user : me;
    int eff_port = port ? port : c->port ? c->port : 22;
    char hn[512];
    snprintf(hn, sizeof hn, "%s", c->hostname ? c->hostname : host);
    if (!is_addr(hn))
        for (char *p = hn; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    na_ssh_cfg_tokens tk = {.host = hn, .alias = c->host_key_alias, .original = host,
                            .user = eff_user, .port = eff_port};
    (void)cfg;
    if (!strcmp(key, "hostname")) {
        snprintf(out, cap, "%s", hn);
    } else if (!strcmp(key, "user")) {
        snprintf(out, cap, "%s", eff_user);
    } else if (!strcmp(key, "port")) {
        snprintf(out, cap, "%d", eff_port);
    } else if (!strcmp(key, "identityfile")) {
        static const char *const dflt[] = {"~/.ssh/id_rsa", "~/.ssh/id_ecdsa",
                                           "~/.ssh/id_ecdsa_sk", "~/.ssh/id_ed25519",
                                           "~/.ssh/id_ed25519_sk", "~/.ssh/id_xmss",
                                           "~/.ssh/id_dsa"};
        size_t used = 0;
        size_t n = c->n_identity_files ? c->n_identity_files : 7;
        for (size_t i = 0; i < n; i++)
            used += (size_t)snprintf(out + used, cap - used, "%s%s", i ? "|" : "",
                                     c->n_identity_files ? c->identity_files[i] : dflt[i]);
    } else if (!strcmp(key, "identitiesonly")) {
        snprintf(out, cap, "%s", c->identities_only == 1 ? "yes" : "no");
    } else if (!strcmp(key, "proxyjump")) {
        snprintf(out, cap, "%s", c->proxy_jump && strcmp(c->proxy_jump, "none") ? c->proxy_jump
                                                                                 : "");
    } else if (!strcmp(key, "proxycommand")) {
        snprintf(out, cap, "%s", c->proxy_command ? c->proxy_command : "");
    } else if (!strcmp(key, "userknownhostsfile") || !strcmp(key, "globalknownhostsfile")) {
        bool u = key[0] == 'u';
        bool set = u ? c->user_known_hosts_set : c->global_known_hosts_set;
        size_t n = u ? c->n_user_known_hosts : c->n_global_known_hosts;
        char **v = u ? c->user_known_hosts : c->global_known_hosts;
        static char *const du[] = {"~/.ssh/known_hosts", "~/.ssh/known_hosts2"};
        static char *const dg[] = {"/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"};
        if (!set) {
            n = 2;
            v = u ? (char **)du : (char **)dg;
        }
        size_t used = 0;
        for (size_t i = 0; i < n; i++) {
            na_err e = NA_ERR_INIT;
            char *x = u ? na_ssh_config_expand(v[i], &tk, "UserKnownHostsFile", &e) : strdup(v[i]);
            if (!x)
                fail_msg("expand %s: %s", v[i], e.msg);
            used += (size_t)snprintf(out + used, cap - used, "%s%s", i ? " " : "", x);
            free(x);
        }
        if (set && !n)
            snprintf(out, cap, "none");
    } else if (!strcmp(key, "stricthostkeychecking")) {
        const char *s = c->strict_host_key_checking ? c->strict_host_key_checking : "ask";
        snprintf(out, cap, "%s", !strcmp(s, "yes") ? "true" : !strcmp(s, "no") ? "false" : s);
    } else if (!strcmp(key, "connecttimeout")) {
        if (c->connect_timeout > 0)
            snprintf(out, cap, "%d", c->connect_timeout);
        else
            snprintf(out, cap, "none");
    } else if (!strcmp(key, "hostkeyalias")) {
        snprintf(tmp, sizeof tmp, "%s", c->host_key_alias ? c->host_key_alias : "");
        for (char *p = tmp; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        snprintf(out, cap, "%s", tmp);
    } else if (!strcmp(key, "identityagent")) {
        if (c->identity_agent) {
            na_err e = NA_ERR_INIT;
            char *x = na_ssh_config_expand(c->identity_agent, &tk, "IdentityAgent", &e);
            snprintf(out, cap, "%s", x ? x : e.msg);
            free(x);
        }
    } else {
        const char *v = !strcmp(key, "hostkeyalgorithms") ? c->host_key_algorithms
                        : !strcmp(key, "kexalgorithms")   ? c->kex_algorithms
                        : !strcmp(key, "ciphers")         ? c->ciphers
                                                          : c->macs;
        snprintf(out, cap, "%s", v ? v : "");
    }
}

static const char *const KEYS[] = {"hostname", "user", "port", "identityfile", "identitiesonly",
                                   "proxyjump", "proxycommand", "userknownhostsfile",
                                   "globalknownhostsfile", "stricthostkeychecking",
                                   "connecttimeout", "hostkeyalias", "identityagent",
                                   "hostkeyalgorithms", "kexalgorithms", "ciphers", "macs"};

/* Compare one host: every key; algorithm lists only when the file sets them without a prefix. */
static void compare(const char *cfgpath, const char *host, const char *user, int port)
{
    answer *a = malloc(sizeof *a);
    ssh_g(cfgpath, host, user, port, a);
    na_ssh_cfg_query q = {.host = host, .user = user, .port = port, .local_user = me};
    na_ssh_cfg c;
    na_err e = NA_ERR_INIT;
    int rc = na_ssh_config_lookup(cfgpath, true, &q, &c, &e);
    if (a->rc != 0 || rc != 0)
        fail_msg("%s host %s: ssh -G exit %d, ours %d (%s)", cfgpath, host, a->rc, rc, e.msg);
    for (size_t i = 0; i < sizeof KEYS / sizeof *KEYS; i++) {
        char want[4096], got[4096];
        field(a, KEYS[i], want, sizeof want);
        ours(cfgpath, host, user, port, &c, KEYS[i], got, sizeof got);
        bool algo = i >= 13;
        if (algo && (!got[0] || strchr("+-^", got[0])))
            continue;
        if (strcmp(want, got))
            fail_msg("%s host %s%s%s: %s: ssh -G says '%s', netauto '%s'", cfgpath, host,
                     user ? " -l " : "", user ? user : "", KEYS[i], want, got);
    }
    na_ssh_cfg_free(&c);
    free(a);
}

static void path_of(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

typedef struct probe {
    const char *host, *user;
    int port;
} probe;

static void run_table(const char *name, const char *text, const probe *probes)
{
    char p[400];
    path_of(p, sizeof p, name);
    write_file(p, text);
    for (const probe *x = probes; x->host; x++)
        compare(p, x->host, x->user, x->port);
}

/* ---- the table --------------------------------------------------------------------------- */

static void basics_first_value_wins(void **st)
{
    (void)st;
    static const probe pr[] = {{"sw1", NULL, 0}, {"sw2", NULL, 0}, {"sw1", "ops", 0},
                               {"sw1", NULL, 2022}, {"other", NULL, 0}, {"SW1", NULL, 0},
                               {NULL, NULL, 0}};
    run_table("basic",
              "# a comment\n"
              "Host sw1 sw2\n"
              "    HostName 10.0.0.%h\n"
              "    User admin\n"
              "    Port 2222\n"
              "    IdentityFile ~/.ssh/id_lab\n"
              "    IdentityFile %d/keys/%r@%h-%p\n"
              "    IdentitiesOnly yes\n"
              "    ConnectTimeout 1m30s\n"
              "    StrictHostKeyChecking accept-new\n"
              "Host sw2\n"
              "    User nobody\n"
              "    Port 2323\n"
              "    IdentityFile ~/.ssh/id_lab\n"
              "Host *\n"
              "    User fallback\n"
              "    IdentityFile ~/.ssh/id_all\n"
              "    Ciphers aes128-ctr,aes256-ctr\n"
              "    UserKnownHostsFile ~/kh/%h-%p %d/kh2 /etc/kh/%r\n",
              pr);
}

static void patterns_and_negation(void **st)
{
    (void)st;
    static const probe pr[] = {{"sw1", NULL, 0}, {"sw9", NULL, 0}, {"bastion", NULL, 0},
                               {"core1.lab", NULL, 0}, {"10.1.2.3", NULL, 0},
                               {"10.2.2.3", NULL, 0}, {"r?x", NULL, 0}, {NULL, NULL, 0}};
    run_table("patterns",
              "Host * !sw9\n"
              "  User everyone-but-sw9\n"
              "Host !bastion *.lab\n"
              "  Port 2200\n"
              "Host sw?\n"
              "  HostKeyAlias switch-%h\n"
              "  StrictHostKeyChecking no\n"
              "Host 10.1.*\n"
              "  ProxyJump jump@bastion:2222\n"
              "Host bastion\n"
              "  ProxyJump none\n"
              "Host *\n"
              "  ProxyJump j1,u2@j2:2022\n"
              "  KexAlgorithms curve25519-sha256\n",
              pr);
}

static void match_criteria(void **st)
{
    (void)st;
    static const probe pr[] = {{"sw1", NULL, 0}, {"sw1", "ops", 0}, {"lab-x", NULL, 0},
                               {"Lab-X", NULL, 0}, {"core", NULL, 0}, {NULL, NULL, 0}};
    char text[2000];
    snprintf(text, sizeof text,
             "Host sw1\n"
             "  HostName Device1.Example.NET\n"
             "Match host device1.example.net user ops\n"
             "  Port 2201\n"
             "Match originalhost sw1 !user ops\n"
             "  Port 2202\n"
             "Match host lab-*,!lab-y localuser %s\n"
             "  User labber\n"
             "Match !host core\n"
             "  MACs hmac-sha2-512\n"
             "Match all\n"
             "  IdentityFile ~/.ssh/from-match-all\n",
             me);
    run_table("match", text, pr);
}

static void match_final_pass(void **st)
{
    (void)st;
    static const probe pr[] = {{"sw1", NULL, 0}, {"sw2", NULL, 0}, {NULL, NULL, 0}};
    run_table("final",
              "Host sw1\n"
              "  HostName SW1.Example.Net\n"
              "Match final host sw1.example.net\n"
              "  User after-final\n"
              "Host sw1.example.net\n"
              "  Port 2999\n"
              "Match canonical\n"
              "  IdentityFile ~/.ssh/canon\n",
              pr);
}

static void includes(void **st)
{
    (void)st;
    char d[400], a[400], b[400], c[400];
    snprintf(d, sizeof d, "%s/conf.d", dir);
    mkdir(d, 0700);
    snprintf(a, sizeof a, "%s/conf.d/10-a.conf", dir);
    snprintf(b, sizeof b, "%s/conf.d/20-b.conf", dir);
    snprintf(c, sizeof c, "%s/only-sw2.conf", dir);
    write_file(a, "Host sw1\n  User from-a\nHost *\n  Port 2001\n");
    write_file(b, "User from-b\nMatch host sw*\n  IdentityFile ~/.ssh/from-b\n");
    write_file(c, "HostName ten.example\nHost sw1\n  User never-for-sw1\n");
    static const probe pr[] = {{"sw1", NULL, 0}, {"sw2", NULL, 0}, {"x", NULL, 0},
                               {NULL, NULL, 0}};
    char text[1200];
    snprintf(text, sizeof text,
             "Host sw2\n"
             "  Include %s\n"
             "  ConnectTimeout 5\n"
             "Host *\n"
             "  Include %s/conf.d/*.conf\n"
             "  IdentityFile ~/.ssh/after-include\n",
             c, dir);
    run_table("includes", text, pr);
}

static void syntax_forms(void **st)
{
    (void)st;
    static const probe pr[] = {{"sw1", NULL, 0}, {"qhost", NULL, 0}, {NULL, NULL, 0}};
    run_table("forms",
              "IgnoreUnknown Frobnicate*\n"
              "FrobnicateLevel 9\n"
              "HOST=sw1\n"
              "\tuser = quoted\n"
              "  Port=2020 # a trailing comment\n"
              "  IdentityFile \"~/.ssh/with space\"\n"
              "  IdentityFile ~/.ssh/escaped\\ space\n"
              "  HostKeyAlgorithms=rsa-sha2-512,rsa-sha2-256\n"
              "  SendEnv LANG LC_*\n"
              "  ServerAliveInterval 30\n"
              "Host \"qhost\" \"x y\"\n"
              "  User spaced\n",
              pr);
}

static void ssh_refuses_we_refuse(void **st)
{
    (void)st;
    static const struct { const char *text; const char *msg; } bad[] = {
        {"Host sw1\n  NoSuchKeyword yes\n", ":2: Bad configuration option: nosuchkeyword"},
        {"Host sw1\n  Port 70000\n", ":2: Bad port '70000'."},
        {"Match exec\n", ":1: Missing Match criteria for exec"},
        {"Match host x frobs y\n", ":1: Unsupported Match attribute frobs"},
        {"Match all host x\n", ":1: 'all' cannot be combined"},
        {"Host sw1\n  User\n", ":2: no argument after keyword \"user\""},
        {"Host sw1\n  IdentityFile \"~/.ssh/x\n", ":2: invalid quotes"},
        {"Host sw1\n  ConnectTimeout soon\n", ":2: invalid time value."},
        {"Host sw1\n  StrictHostKeyChecking maybe\n", ":2: unsupported option \"maybe\"."},
        {"Host sw1\n  UserKnownHostsFile none /x\n", ":2: keyword userknownhostsfile \"none\""},
        {"Host sw1\n  ProxyJump a@:22\n", ":2: Invalid ProxyJump"},
        {"Host other\n  Port two\n", ":2: Bad port 'two'."},
    };
    char p[400];
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char name[32];
        snprintf(name, sizeof name, "bad%zu", i);
        path_of(p, sizeof p, name);
        write_file(p, bad[i].text);
        answer *a = malloc(sizeof *a);
        ssh_g(p, "sw1", NULL, 0, a);
        assert_int_not_equal(a->rc, 0); /* OpenSSH refuses the file */
        free(a);
        na_ssh_cfg c;
        na_err e = NA_ERR_INIT;
        na_ssh_cfg_query q = {.host = "sw1"};
        assert_int_equal(na_ssh_config_lookup(p, true, &q, &c, &e), -1);
        na_ssh_cfg_free(&c);
        assert_int_equal(e.code, NA_E_CONFIG);
        char want[600];
        snprintf(want, sizeof want, "ssh_config %s%s", p, bad[i].msg);
        if (strncmp(e.msg, want, strlen(want)))
            fail_msg("case %zu: got '%s', wanted '%s...'", i, e.msg, want);
        /* the same error from the early check (inventory load) */
        na_err e2 = NA_ERR_INIT;
        assert_int_equal(na_ssh_config_check(p, true, NULL, &e2), -1);
        assert_string_equal(e2.msg, e.msg);
    }
}

static void missing_files(void **st)
{
    (void)st;
    char p[400];
    path_of(p, sizeof p, "does-not-exist");
    na_ssh_cfg c;
    na_err e = NA_ERR_INIT;
    na_ssh_cfg_query q = {.host = "sw1"};
    assert_int_equal(na_ssh_config_lookup(p, true, &q, &c, &e), -1);
    assert_non_null(strstr(e.msg, "no such file"));
    na_ssh_cfg_free(&c);
    na_err_clear(&e);
    assert_int_equal(na_ssh_config_lookup(p, false, &q, &c, &e), 0); /* the default file */
    assert_null(c.user);
    na_ssh_cfg_free(&c);
    assert_int_equal(na_ssh_config_lookup("none", true, &q, &c, &e), 0);
    na_ssh_cfg_free(&c);
}

static void unsafe_default_file_refused(void **st)
{
    (void)st;
    char p[400];
    path_of(p, sizeof p, "world-writable");
    write_file(p, "User x\n");
    chmod(p, 0666);
    na_err e = NA_ERR_INIT;
    assert_int_equal(na_ssh_config_check(p, false, NULL, &e), -1);
    assert_non_null(strstr(e.msg, "bad owner or permissions"));
    na_err_clear(&e);
    assert_int_equal(na_ssh_config_check(p, true, NULL, &e), 0); /* like ssh -F: not checked */
}

static void changed_file_is_read_again(void **st)
{
    (void)st;
    char p[400];
    path_of(p, sizeof p, "changing");
    write_file(p, "Host sw1\n  User first\n");
    na_ssh_cfg_query q = {.host = "sw1"};
    na_ssh_cfg c;
    na_err e = NA_ERR_INIT;
    assert_int_equal(na_ssh_config_lookup(p, true, &q, &c, &e), 0);
    assert_string_equal(c.user, "first");
    na_ssh_cfg_free(&c);
    write_file(p, "Host sw1\n  User second-longer\n");
    assert_int_equal(na_ssh_config_lookup(p, true, &q, &c, &e), 0);
    assert_string_equal(c.user, "second-longer");
    na_ssh_cfg_free(&c);
}

static void match_exec_is_refused_where_it_applies(void **st)
{
    (void)st;
    char p[400];
    path_of(p, sizeof p, "exec");
    write_file(p, "Match host vpn-* exec \"nc -z gw 22\"\n  ProxyJump gw\nHost *\n  User u\n");
    na_ssh_cfg_query q = {.host = "sw1"};
    na_ssh_cfg c;
    na_err e = NA_ERR_INIT;
    assert_int_equal(na_ssh_config_lookup(p, true, &q, &c, &e), 0); /* host vpn-* failed first */
    assert_string_equal(c.user, "u");
    na_ssh_cfg_free(&c);
    q.host = "vpn-1";
    assert_int_equal(na_ssh_config_lookup(p, true, &q, &c, &e), -1);
    na_ssh_cfg_free(&c);
    char want[500];
    snprintf(want, sizeof want, "ssh_config %s:1: Match exec applies to vpn-1, and netauto does "
             "not run commands", p);
    if (strncmp(e.msg, want, strlen(want)))
        fail_msg("got %s", e.msg);
}

static void expansion(void **st)
{
    (void)st;
    na_ssh_cfg_tokens tk = {.host = "10.0.0.1", .original = "sw1", .user = "ops", .port = 2222,
                            .home = "/home/me", .local_user = "me"};
    na_err e = NA_ERR_INIT;
    char *s = na_ssh_config_expand("~/.ssh/%r@%h:%p-%n-%k-%u-%%", &tk, "IdentityFile", &e);
    assert_non_null(s);
    assert_string_equal(s, "/home/me/.ssh/ops@10.0.0.1:2222-sw1-sw1-me-%");
    free(s);
    setenv("NETAUTO_TEST_KEYDIR", "/keys", 1);
    s = na_ssh_config_expand("${NETAUTO_TEST_KEYDIR}/%h", &tk, "IdentityFile", &e);
    assert_string_equal(s, "/keys/10.0.0.1");
    free(s);
    assert_null(na_ssh_config_expand("%q", &tk, "IdentityFile", &e));
    assert_string_equal(e.msg, "IdentityFile %q: unknown token %q");
    na_err_clear(&e);
    unsetenv("NETAUTO_TEST_UNSET_VAR");
    assert_null(na_ssh_config_expand("${NETAUTO_TEST_UNSET_VAR}/x", &tk, "IdentityFile", &e));
    assert_non_null(strstr(e.msg, "NETAUTO_TEST_UNSET_VAR is not set"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(basics_first_value_wins),
        cmocka_unit_test(patterns_and_negation),
        cmocka_unit_test(match_criteria),
        cmocka_unit_test(match_final_pass),
        cmocka_unit_test(includes),
        cmocka_unit_test(syntax_forms),
        cmocka_unit_test(ssh_refuses_we_refuse),
        cmocka_unit_test(missing_files),
        cmocka_unit_test(unsafe_default_file_refused),
        cmocka_unit_test(changed_file_is_read_again),
        cmocka_unit_test(match_exec_is_refused_where_it_applies),
        cmocka_unit_test(expansion),
    };
    return cmocka_run_group_tests_name("ssh_config", tests, setup, teardown);
}
