/* test_daemon_config.c — unit tests for daemon/config.c (defaults, relative paths, schedules)
 * and daemon/tokens.c (format, hashing, constant-time verification, the token file). Every
 * configuration error is checked byte-exact, with its FILE:LINE:COLUMN. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"
#include "tokens.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];

static int setup(void **st)
{
    (void)st;
    snprintf(dir, sizeof dir, "/tmp/na-dconf-test.XXXXXX");
    unsetenv("STATE_DIRECTORY");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *write_cfg(const char *text)
{
    static char p[400];
    snprintf(p, sizeof p, "%s/netautod.yaml", dir);
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
    return p;
}

static void defaults_and_paths(void **st)
{
    (void)st;
    const char *p = write_cfg("port: 9443\n"
                              "inventory: inv/hosts.yaml\n"
                              "vault_password_file: /run/credentials/vault-pass\n"
                              "tls: {cert: /etc/x.pem, key: k.pem}\n"
                              "limits: {hosts_in_flight: 10, body_bytes: 4096}\n"
                              "store: {synchronous: normal}\n"
                              "timezone: utc\n"
                              "schedules:\n"
                              "  - name: nightly\n"
                              "    cron: '30 2 * * *'\n"
                              "    backup: show running-config\n"
                              "    limit: core\n"
                              "  - name: audit\n"
                              "    cron: '@weekly'\n"
                              "    playbook: audit\n"
                              "    check: yes\n"
                              "    vars: {level: 2}\n");
    nd_conf c;
    na_err e = NA_ERR_INIT;
    assert_int_equal(nd_conf_load(p, &c, &e), 0);
    assert_string_equal(c.listen, "127.0.0.1");
    assert_int_equal(c.port, 9443);
    char want[400];
    snprintf(want, sizeof want, "%s/inv/hosts.yaml", dir);
    assert_string_equal(c.inventory, want);
    assert_string_equal(c.vault_password_file, "/run/credentials/vault-pass");
    assert_string_equal(c.tls_cert, "/etc/x.pem");
    snprintf(want, sizeof want, "%s/k.pem", dir);
    assert_string_equal(c.tls_key, want);
    assert_string_equal(c.state_dir, dir);
    snprintf(want, sizeof want, "%s/jobs.db", dir);
    assert_string_equal(c.job_store, want);
    snprintf(want, sizeof want, "%s/tokens", dir);
    assert_string_equal(c.tokens_file, want);
    assert_int_equal(c.hosts_in_flight, 10);
    assert_int_equal(c.max_body, 4096);
    assert_int_equal(c.jobs_running, 8);
    assert_int_equal(c.client_timeout_s, 30);
    assert_false(c.sync_full);
    assert_true(c.cron_utc);
    assert_int_equal(c.n_schedules, 2);
    assert_string_equal(c.schedules[0].backup_command, "show running-config");
    assert_null(c.schedules[0].playbook);
    assert_string_equal(c.schedules[0].limit, "core");
    assert_true(c.schedules[1].check);
    assert_int_equal(json_integer_value(json_object_get(c.schedules[1].vars, "level")), 2);
    assert_non_null(nd_conf_schedule(&c, "audit"));
    assert_null(nd_conf_schedule(&c, "nope"));
    nd_conf_free(&c);

    setenv("STATE_DIRECTORY", "/var/lib/netautod:/var/lib/other", 1);
    p = write_cfg("port: 1\n");
    assert_int_equal(nd_conf_load(p, &c, &e), 0);
    assert_string_equal(c.state_dir, "/var/lib/netautod");
    assert_string_equal(c.job_store, "/var/lib/netautod/jobs.db");
    assert_true(c.sync_full); /* the default */
    nd_conf_free(&c);
    unsetenv("STATE_DIRECTORY");
}

static void errors_positioned(void **st)
{
    (void)st;
    static const struct {
        const char *text, *msg; /* msg after "DIR/netautod.yaml:" */
    } bad[] = {
        {"port: 8443\nlisten_on: 1.2.3.4\n",
         "2:1: unknown key 'listen_on' in the netautod configuration (expected one of: listen, "
         "port, state_dir, tls, tokens, inventory, vault_password_file, playbook_dir, job_store, "
         "store, limits, "
         "session_pool, log, timezone, schedules, backups, backend, retention)"},
        {"port: 70000\n", "1:7: 70000 is out of range (0..65535)"},
        {"port: [1]\n", "1:7: expected an integer"},
        {"limits:\n  per_device: 2\n",
         "2:15: per_device must be 1: netautod never lets two jobs or commands work on one "
         "device at once"},
        {"tls: {cert: a.pem}\n",
         "1:6: tls needs both cert and key (or neither, for a generated self-signed pair)"},
        {"schedules:\n  - name: x\n    cron: '61 * * * *'\n    backup: show run\n",
         "3:11: cron '61 * * * *': minute '61' is out of range 0-59"},
        {"schedules:\n  - name: x\n    cron: '@daily'\n",
         "2:5: schedule 'x' needs exactly one of 'playbook' (a job) or 'backup' (a command whose "
         "output is kept per device)"},
        {"schedules:\n  - {name: x, cron: '@daily', backup: a}\n  - {name: x, cron: '@daily', "
         "backup: b}\n",
         "3:12: schedule name 'x' is used twice"},
        {"store: {synchronous: sometimes}\n", "1:22: store.synchronous must be full or normal"},
        {"log: {level: loud}\n", "1:14: log.level must be error, warn, info, debug or trace"},
        {"port: 1\nport: 2\n", "2:1: duplicate key 'port' (first at line 1)"},
        {"retention: {events: 3w}\n",
         "1:21: events must be a duration: a number with s, m, h or d (0: keep forever)"},
        {"store: {max_size: 10}\n",
         "1:19: max_size must be a size from 65536 to 1125899906842624 bytes (units K, M, G)"},
        {"limits: {stream_backlog: 2T}\n",
         "1:26: stream_backlog must be a size from 65536 to 1073741824 bytes (units K, M, G)"},
        {"port: [\n", "2:1: did not find expected node content while parsing a flow node"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const char *p = write_cfg(bad[i].text);
        nd_conf c;
        na_err e = NA_ERR_INIT;
        assert_int_equal(nd_conf_load(p, &c, &e), -1);
        char want[1200];
        snprintf(want, sizeof want, "%s:%s", p, bad[i].msg);
        if (strcmp(e.msg, want))
            fail_msg("case %zu:\n got: %s\nwant: %s", i, e.msg, want);
    }
    nd_conf c;
    na_err e = NA_ERR_INIT;
    assert_int_equal(nd_conf_load("/nonexistent/netautod.yaml", &c, &e), -1);
    assert_int_equal(e.code, NA_E_IO);
}

/* ---- tokens ---------------------------------------------------------------------------------- */

static void token_format_and_hash(void **st)
{
    (void)st;
    char a[ND_TOKEN_LEN + 1], b[ND_TOKEN_LEN + 1];
    na_err e = NA_ERR_INIT;
    assert_int_equal(nd_token_generate(a, sizeof a, &e), 0);
    assert_int_equal(nd_token_generate(b, sizeof b, &e), 0);
    assert_int_equal(strlen(a), ND_TOKEN_LEN);
    assert_memory_equal(a, "nat_", 4);
    for (size_t i = 4; i < strlen(a); i++)
        assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
                               a[i]));
    assert_string_not_equal(a, b);
    unsigned char h[32];
    nd_token_hash("abc", h); /* FIPS 180-2 test vector */
    static const unsigned char want[32] = {
        0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
        0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
    assert_memory_equal(h, want, 32);
    assert_true(nd_token_name_ok("ci-runner.01_x"));
    assert_false(nd_token_name_ok(""));
    assert_false(nd_token_name_ok("bad name"));
    assert_false(nd_token_name_ok("a/b"));
}

static void token_file(void **st)
{
    (void)st;
    char p[400];
    snprintf(p, sizeof p, "%s/tokens", dir);
    na_err e = NA_ERR_INIT;
    nd_tokens t;
    assert_int_equal(nd_tokens_load(p, &t, &e), 0); /* missing: empty */
    assert_int_equal(t.n, 0);
    char ci[ND_TOKEN_LEN + 1], ops[ND_TOKEN_LEN + 1];
    assert_int_equal(nd_tokens_add(p, "ci", ND_SCOPE_ADMIN, ci, sizeof ci, &e), 0);
    assert_int_equal(nd_tokens_add(p, "ops", ND_SCOPE_READ | ND_SCOPE_RUN, ops, sizeof ops, &e),
                     0);
    assert_int_equal(nd_tokens_add(p, "ci", ND_SCOPE_READ, ci, sizeof ci, &e), -1);
    assert_int_equal(e.code, NA_E_CONFIG);
    na_err_clear(&e);
    assert_int_equal(nd_tokens_add(p, "bad name", ND_SCOPE_READ, ci, sizeof ci, &e), -1);
    assert_int_equal(e.code, NA_E_USAGE);
    na_err_clear(&e);
    assert_int_equal(nd_tokens_add(p, "noscope", 0, ci, sizeof ci, &e), -1);
    assert_int_equal(e.code, NA_E_USAGE);
    na_err_clear(&e);
    struct stat sb;
    assert_int_equal(stat(p, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    /* the file holds hashes, never the tokens */
    FILE *f = fopen(p, "r");
    char content[4096] = "";
    size_t n = fread(content, 1, sizeof content - 1, f);
    content[n] = '\0';
    fclose(f);
    assert_null(strstr(content, ci + 4));
    assert_null(strstr(content, ops + 4));
    assert_int_equal(nd_tokens_load(p, &t, &e), 0);
    assert_int_equal(t.n, 2);
    const nd_token *who = nd_tokens_verify(&t, ci);
    assert_non_null(who);
    assert_string_equal(who->name, "ci");
    assert_int_equal(who->scopes, ND_SCOPES_ALL); /* admin has every scope */
    assert_string_equal(nd_tokens_verify(&t, ops)->name, "ops");
    assert_int_equal(nd_tokens_verify(&t, ops)->scopes, ND_SCOPE_READ | ND_SCOPE_RUN);
    char wrong[ND_TOKEN_LEN + 1];
    memcpy(wrong, ci, sizeof wrong);
    wrong[10] = wrong[10] == 'A' ? 'B' : 'A';
    assert_null(nd_tokens_verify(&t, wrong));
    ci[ND_TOKEN_LEN - 1] = '\0'; /* a prefix is not the token */
    assert_null(nd_tokens_verify(&t, ci));
    assert_null(nd_tokens_verify(&t, ""));
    assert_null(nd_tokens_verify(&t, NULL));
    nd_tokens_free(&t);
    assert_int_equal(nd_tokens_revoke(p, "ci", &e), 0);
    assert_int_equal(nd_tokens_revoke(p, "ci", &e), -1);
    assert_int_equal(e.code, NA_E_NOTFOUND);
    na_err_clear(&e);
    assert_int_equal(nd_tokens_load(p, &t, &e), 0);
    assert_int_equal(t.n, 1);
    assert_null(nd_tokens_verify(&t, ci));
    assert_non_null(nd_tokens_verify(&t, ops));
    nd_tokens_free(&t);
    /* a damaged file names its line */
    f = fopen(p, "a");
    fputs("garbage\n", f);
    fclose(f);
    assert_int_equal(nd_tokens_load(p, &t, &e), -1);
    char want[500];
    snprintf(want, sizeof want,
             "%s:3: expected 'NAME SHA256-HEX CREATED-MS SCOPES' (written by `netautod token "
             "add`)",
             p);
    assert_string_equal(e.msg, want);
}

/* Scopes: parsing and spelling; a line written before scopes existed keeps full access; an
 * unknown scope names its line. */
static void token_scopes(void **st)
{
    (void)st;
    na_err e = NA_ERR_INIT;
    unsigned s;
    char b[64];
    assert_int_equal(nd_scopes_parse("read,run", &s, &e), 0);
    assert_int_equal(s, ND_SCOPE_READ | ND_SCOPE_RUN);
    assert_int_equal(nd_scopes_parse(" commands, read ,read", &s, &e), 0);
    assert_int_equal(s, ND_SCOPE_READ | ND_SCOPE_COMMANDS);
    assert_string_equal(nd_scopes_format(s, b, sizeof b), "read,commands");
    assert_int_equal(nd_scopes_parse("read,write", &s, &e), -1);
    assert_string_equal(e.msg, "unknown scope 'write' (read, run, commands or admin)");
    char p[400];
    snprintf(p, sizeof p, "%s/tokens", dir);
    FILE *f = fopen(p, "w");
    fprintf(f, "old %s 1700000000000\n", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    fprintf(f, "viewer %s 1700000000000 read\n",
            "ca7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    fclose(f);
    nd_tokens t;
    na_err_clear(&e);
    assert_int_equal(nd_tokens_load(p, &t, &e), 0);
    assert_int_equal(t.n, 2);
    assert_int_equal(t.v[0].scopes, ND_SCOPES_ALL);
    assert_int_equal(t.v[1].scopes, ND_SCOPE_READ);
    nd_tokens_free(&t);
    f = fopen(p, "a");
    fprintf(f, "bad %s 1700000000000 read,fly\n",
            "da7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    fclose(f);
    assert_int_equal(nd_tokens_load(p, &t, &e), -1);
    char want[500];
    snprintf(want, sizeof want, "%s:3: unknown scope 'fly' (read, run, commands or admin)", p);
    assert_string_equal(e.msg, want);
}

/* A running daemon re-reads the token file when it changed (revocation at once), and not
 * otherwise; a file that became unreadable keeps the tokens read before. */
static void token_refresh(void **st)
{
    (void)st;
    char p[400];
    snprintf(p, sizeof p, "%s/tokens", dir);
    na_err e = NA_ERR_INIT;
    char a[ND_TOKEN_LEN + 1], b[ND_TOKEN_LEN + 1];
    assert_int_equal(nd_tokens_add(p, "a", ND_SCOPE_READ, a, sizeof a, &e), 0);
    nd_tokens t;
    assert_int_equal(nd_tokens_load(p, &t, &e), 0);
    assert_int_equal(nd_tokens_refresh(p, &t, &e), 0); /* unchanged */
    assert_int_equal(nd_tokens_add(p, "b", ND_SCOPE_RUN, b, sizeof b, &e), 0);
    assert_int_equal(nd_tokens_refresh(p, &t, &e), 1);
    assert_non_null(nd_tokens_verify(&t, b));
    assert_int_equal(nd_tokens_revoke(p, "a", &e), 0);
    assert_int_equal(nd_tokens_refresh(p, &t, &e), 1);
    assert_null(nd_tokens_verify(&t, a));
    assert_int_equal(nd_tokens_refresh(p, &t, &e), 0);
    FILE *f = fopen(p, "a"); /* a broken edit: refused, the previous set stays */
    fputs("broken\n", f);
    fclose(f);
    assert_int_equal(nd_tokens_refresh(p, &t, &e), -1);
    assert_non_null(nd_tokens_verify(&t, b));
    na_err_clear(&e);
    assert_int_equal(unlink(p), 0); /* removed: no token at all */
    assert_int_equal(nd_tokens_refresh(p, &t, &e), 1);
    assert_int_equal(t.n, 0);
    nd_tokens_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(defaults_and_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(errors_positioned, setup, teardown),
        cmocka_unit_test(token_format_and_hash),
        cmocka_unit_test_setup_teardown(token_file, setup, teardown),
        cmocka_unit_test_setup_teardown(token_scopes, setup, teardown),
        cmocka_unit_test_setup_teardown(token_refresh, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
