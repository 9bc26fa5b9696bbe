/* test_runner.c — unit tests for the runner's pure parts and its prepare step (no device is
 * contacted): result text (a device's exact, netauto's own masked, invalid UTF-8 and NUL
 * replaced), error / task / host / summary JSON, the progress line and the summary table,
 * --check's unknown registered results (na_pb_vars.registered_partial), and na_runner_new's checks
 * before anything is sent: hosts per play intersected with --limit, unknown platform, script over
 * Telnet, a play whose hosts match nothing, no host left, undefined variables naming the host, bad
 * extra vars. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "runner_int.h"
#include "secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dump(const json_t *j)
{
    return json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}

static void assert_json(const json_t *j, const char *want)
{
    char *got = dump(j);
    if (!got || strcmp(got, want))
        fail_msg("got  %s\nwant %s", got ? got : "(null)", want);
    free(got);
}

/* ---- text and JSON --------------------------------------------------------------------------- */

/* A device's text stays exact (issue 12: "administratively down" with the lab password
 * "admin"); what netauto typed is masked. */
static void text_exact_typed_masked_and_repaired(void **st)
{
    (void)st;
    na_secret_register("s3cr3t-pw");
    na_secret_register("admin");
    json_t *j = na_rn_text("user x password s3cr3t-pw end", 29);
    assert_string_equal(json_string_value(j), "user x password s3cr3t-pw end");
    json_decref(j);
    j = na_rn_text("Gi0/2 administratively down down", 32);
    assert_string_equal(json_string_value(j), "Gi0/2 administratively down down");
    json_decref(j);
    j = na_rn_typed("snmp-server community s3cr3t-pw RO", 35);
    assert_string_equal(json_string_value(j), "snmp-server community ******** RO");
    json_decref(j);
    const char bad[] = "ok \xff\xfe then \xc3\xa9 and \0 nul";
    j = na_rn_text(bad, sizeof bad - 1);
    assert_non_null(j);
    assert_string_equal(json_string_value(j), "ok \xEF\xBF\xBD\xEF\xBF\xBD then \xc3\xa9 and "
                                              "\xEF\xBF\xBD nul");
    json_decref(j);
    j = na_rn_text(NULL, 0);
    assert_string_equal(json_string_value(j), "");
    json_decref(j);
    na_secret_clear_registry();
}

static void error_json(void **st)
{
    (void)st;
    na_err e = NA_ERR_INIT;
    json_t *j = na_rn_error_json(&e);
    assert_true(json_is_null(j));
    json_decref(j);
    na_err_set(&e, NA_E_TIMEOUT, "sw1: no prompt after 'x' within 1.0 s");
    j = na_rn_error_json(&e);
    assert_json(j, "{\"code\":\"timeout\",\"message\":\"sw1: no prompt after 'x' within 1.0 s\"}");
    json_decref(j);
}

static const char PB[] = "- name: p1\n"
                         "  hosts: core\n"
                         "  tasks:\n"
                         "    - name: show {{ inventory_hostname }}\n"
                         "      command: show version\n"
                         "      register: v\n"
                         "    - name: uses it\n"
                         "      config: [\"description {{ v.stdout[0] }}\"]\n"
                         "- name: p2\n"
                         "  hosts: edge:core\n"
                         "  tasks:\n"
                         "    - {name: save, save: true}\n";

static const char INV[] = "defaults: {platform: cisco_ios, username: u, password: pw-unit-1}\n"
                          "groups: {core: {}, edge: {}}\n"
                          "hosts:\n"
                          "  c1: {host: 127.0.0.1, groups: [core]}\n"
                          "  e1: {host: 127.0.0.1, groups: [edge]}\n"
                          "  c2: {host: 127.0.0.1, groups: [core], transport: telnet}\n"
                          "  x1: {host: 127.0.0.1}\n";

static void task_json_fields(void **st)
{
    (void)st;
    na_err e = NA_ERR_INIT;
    na_playbook *pb = na_pb_load_mem("site.yaml", PB, strlen(PB), NULL, &e);
    assert_non_null(pb);
    rn_task_rec t;
    na_rn_task_rec_init(&t);
    t.task = na_play_task(na_pb_play(pb, 0), 0);
    t.name = strdup("show c1");
    t.ok = true;
    assert_int_equal(na_buf_puts(&t.output, "Cisco IOS", &e), 0);
    assert_int_equal(na_strv_push(&t.commands, "show version", &e), 0);
    t.elapsed_ms = 12;
    json_t *j = na_rn_task_json(&t, "p1", false);
    assert_json(j, "{\"action\":\"command\",\"changed\":false,\"commands\":[\"show version\"],"
                   "\"elapsed_ms\":12,\"error\":null,\"ignored\":false,\"name\":\"show c1\","
                   "\"ok\":true,\"output\":\"Cisco IOS\",\"play\":\"p1\",\"register\":\"v\","
                   "\"skipped\":false}");
    json_decref(j);
    /* check mode adds "partial"; a script adds rc / stdout / stderr; a failure its error */
    t.partial = true;
    t.script = true;
    t.rc = 3;
    t.ok = false;
    assert_int_equal(na_buf_puts(&t.out, "o", &e), 0);
    assert_int_equal(na_buf_puts(&t.errout, "e", &e), 0);
    na_err_set(&t.err, NA_E_DEVICE, "exited with status 3");
    j = na_rn_task_json(&t, "p1", true);
    assert_true(json_is_true(json_object_get(j, "partial")));
    assert_int_equal(json_integer_value(json_object_get(j, "rc")), 3);
    assert_string_equal(json_string_value(json_object_get(j, "stdout")), "o");
    assert_string_equal(json_string_value(json_object_get(j, "stderr")), "e");
    assert_json(json_object_get(j, "error"),
                "{\"code\":\"device-error\",\"message\":\"exited with status 3\"}");
    json_decref(j);
    na_rn_task_rec_free(&t);
    na_rn_task_rec_free(&t); /* idempotent */
    na_pb_free(pb);
}

/* A task's shown output is bounded: pieces join with newlines, what passes the ceiling is cut
 * and flagged (never silently); --max-output above the default ceiling raises it. */
static void output_ceiling(void **st)
{
    (void)st;
    rn_task_rec t;
    na_rn_task_rec_init(&t);
    assert_int_equal(t.output.max, RN_OUTPUT_MAX);
    na_buf_set_limit(&t.output, 10);
    na_rn_task_rec_append(&t, &t.output, "abcd", 4);
    na_rn_task_rec_append(&t, &t.output, "efgh", 4);
    assert_string_equal(t.output.data, "abcd\nefgh");
    assert_false(t.cut);
    json_t *j = na_rn_task_json(&t, "p", false);
    assert_null(json_object_get(j, "output_truncated"));
    json_decref(j);
    na_rn_task_rec_append(&t, &t.output, "xyz", 3); /* "\n" fits, then nothing */
    assert_true(t.cut);
    assert_string_equal(t.output.data, "abcd\nefgh\n");
    j = na_rn_task_json(&t, "p", false);
    assert_true(json_is_true(json_object_get(j, "output_truncated")));
    json_decref(j);
    na_rn_task_rec_free(&t);
    assert_false(t.cut);

    na_rn_task_rec_room(&t, 1000); /* below the default: unchanged */
    assert_int_equal(t.output.max, RN_OUTPUT_MAX);
    na_rn_task_rec_room(&t, (size_t)64 << 20);
    assert_true(t.output.max >= (size_t)64 << 20 && t.out.max >= (size_t)64 << 20 &&
                t.errout.max >= (size_t)64 << 20);
    na_rn_task_rec_free(&t);
}

static void host_and_summary_json(void **st)
{
    (void)st;
    na_err e = NA_ERR_INIT;
    na_err_set(&e, NA_E_AUTH, "sw2: login refused");
    json_t *tasks = json_array();
    rn_host_sum h = {.status = "failed", .err = &e, .elapsed_ms = 40, .transport = "ssh",
                     .platform = "cisco_ios", .tasks = tasks};
    json_t *j = na_rn_host_json(&h);
    assert_json(j, "{\"changed\":false,\"elapsed_ms\":40,\"error\":{\"code\":\"auth\","
                   "\"message\":\"sw2: login refused\"},\"ok\":false,\"platform\":\"cisco_ios\","
                   "\"status\":\"failed\",\"tasks\":[],\"transport\":\"ssh\"}");
    json_decref(j);
    h.diff = "";
    j = na_rn_host_json(&h);
    assert_string_equal(json_string_value(json_object_get(j, "diff")), "");
    json_decref(j);
    json_decref(tasks);
    na_run_progress p = {.total = 5, .ok = 3, .failed = 1, .cancelled = 1, .changed = 2,
                         .elapsed_ms = 1234};
    j = na_rn_summary_json(&p, 9, true);
    assert_json(j, "{\"cancelled\":1,\"changed\":2,\"check\":true,\"elapsed_ms\":1234,"
                   "\"failed\":1,\"hosts\":5,\"ok\":3,\"skipped\":0,\"tasks\":9}");
    json_decref(j);
}

/* ---- text for people ---------------------------------------------------------------------- */

static void progress_line(void **st)
{
    (void)st;
    char buf[200];
    na_run_progress p = {.total = 100, .ok = 30, .failed = 2, .running = 5, .queued = 63,
                         .elapsed_ms = 1240};
    size_t n = na_run_progress_line(&p, 0, buf, sizeof buf);
    assert_string_equal(buf, "[ 32/100] 30 ok, 2 failed, 5 running, 63 queued, 1.2 s");
    assert_int_equal(n, strlen(buf));
    p = (na_run_progress){.total = 7, .ok = 1, .cancelled = 2, .waiting = 3, .running = 1};
    na_run_progress_line(&p, 0, buf, sizeof buf);
    assert_string_equal(buf, "[3/7] 1 ok, 0 failed, 2 cancelled, 1 running, 3 waiting, 0.0 s");
    n = na_run_progress_line(&p, 12, buf, sizeof buf); /* cut to the terminal's width */
    assert_string_equal(buf, "[3/7] 1 ok, ");
    assert_int_equal(n, 12);
    n = na_run_progress_line(&p, 0, buf, 8); /* and to the buffer */
    assert_string_equal(buf, "[3/7] 1");
    assert_int_equal(n, 7);
}

static void summary_table(void **st)
{
    (void)st;
    json_error_t je;
    json_t *res = json_loads(
        "{\"hosts\": {"
        " \"sw1\": {\"status\": \"ok\", \"changed\": true, \"elapsed_ms\": 412, \"error\": null,"
        "           \"tasks\": [{\"ok\": true}, {\"ok\": true}]},"
        " \"core-switch-22\": {\"status\": \"failed\", \"changed\": false, \"elapsed_ms\": 12345,"
        "           \"error\": {\"code\": \"device-error\", \"message\": \"config line 1 'vlan "
        "5000' failed: % Invalid input\\nsecond line\"}, \"tasks\": [{\"ok\": false}]},"
        " \"sw3\": {\"status\": \"cancelled\", \"changed\": false, \"elapsed_ms\": 0,"
        "           \"error\": {\"code\": \"cancelled\", \"message\": \"cancelled\"}, \"tasks\": []}},"
        " \"summary\": {\"hosts\": 3, \"ok\": 1, \"failed\": 1, \"cancelled\": 1, \"changed\": 1,"
        "              \"elapsed_ms\": 12400, \"check\": false}}",
        JSON_PRESERVE_ORDER, &je);
    assert_non_null(res);
    na_buf out;
    na_buf_init(&out, 0);
    na_err e = NA_ERR_INIT;
    assert_int_equal(na_run_summary_table(res, 30, &out, &e), 0);
    assert_string_equal(na_buf_cstr(&out),
                        "HOST            STATUS     CHANGED  TASKS  TIME     ERROR\n"
                        "sw1             ok         yes      2/2    412 ms\n"
                        "core-switch-22  failed     no       0/1    12.35 s  config line 1 'vlan "
                        "5000' f...\n"
                        "sw3             cancelled  no       0/0    0 ms     cancelled\n"
                        "3 hosts: 1 ok, 1 failed, 1 cancelled, 1 changed in 12.40 s\n");
    na_buf_reset(&out);
    json_object_set_new(json_object_get(res, "summary"), "check", json_true());
    json_object_set_new(json_object_get(res, "summary"), "cancelled", json_integer(0));
    assert_int_equal(na_run_summary_table(res, 0, &out, &e), 0);
    assert_non_null(strstr(na_buf_cstr(&out), "'vlan 5000' failed: % Invalid input...\n"));
    assert_non_null(strstr(na_buf_cstr(&out), "3 hosts: 1 ok, 1 failed, 1 changed in 12.40 s "
                                              "(check mode: nothing changed)\n"));
    na_buf_free(&out);
    json_decref(res);
}

/* ---- --check: registered results that do not exist -------------------------------------- */

static void registered_partial(void **st)
{
    (void)st;
    na_err e = NA_ERR_INIT;
    na_playbook *pb = na_pb_load_mem("site.yaml", PB, strlen(PB), NULL, &e);
    assert_non_null(pb);
    const na_task *uses = na_play_task(na_pb_play(pb, 0), 1);
    json_t *reg = json_object();
    na_pb_vars v = {.host = "c1", .registered = reg};
    na_task_exp *x = NULL;
    /* at runtime, a registered name that is absent is an error ... */
    assert_int_equal(na_task_expand(uses, &v, &x, &e), -1);
    assert_non_null(strstr(e.msg, "undefined variable 'v'"));
    /* ... but with registered_partial (check mode) it is unknown: source text kept */
    na_err_clear(&e);
    v.registered_partial = true;
    assert_int_equal(na_task_expand(uses, &v, &x, &e), 0);
    assert_true(x->partial);
    assert_int_equal(x->config.n, 1);
    assert_string_equal(x->config.v[0], "description {{ v.stdout[0] }}");
    na_task_exp_free(x);
    /* a value that exists is used */
    json_object_set_new(reg, "v", json_pack("{s:[s]}", "stdout", "IOS 15"));
    assert_int_equal(na_task_expand(uses, &v, &x, &e), 0);
    assert_false(x->partial);
    assert_string_equal(x->config.v[0], "description IOS 15");
    na_task_exp_free(x);
    json_decref(reg);
    na_pb_free(pb);
}

/* ---- prepare ---------------------------------------------------------------------------------- */

typedef struct prep {
    na_inventory *inv;
    na_playbook *pb;
    na_runner *r;
    na_err e;
} prep;

static void prep_free(prep *p)
{
    na_runner_free(p->r);
    na_pb_free(p->pb);
    na_inv_free(p->inv);
}

static int prepare(prep *p, const char *inv, const char *pb, const char *limit,
                   const json_t *extra, bool telnet)
{
    memset(p, 0, sizeof *p);
    p->inv = na_inv_load_mem("inv.yaml", inv, strlen(inv), NULL, NULL, &p->e);
    assert_non_null(p->inv);
    p->pb = na_pb_load_mem("site.yaml", pb, strlen(pb), NULL, &p->e);
    if (!p->pb)
        fail_msg("playbook: %s", p->e.msg);
    na_run_opts o = NA_RUN_OPTS_INIT;
    o.limit = limit;
    o.extra_vars = extra;
    o.transport_override = telnet;
    o.transport = NA_TRANSPORT_TELNET;
    p->r = na_runner_new(p->inv, p->pb, &o, &p->e);
    return p->r ? 0 : -1;
}

static void hosts_of(const na_runner *r, char *buf, size_t cap)
{
    buf[0] = '\0';
    for (size_t i = 0; i < na_runner_host_count(r); i++)
        snprintf(buf + strlen(buf), cap - strlen(buf), "%s%s", i ? "," : "",
                 na_runner_host(r, i)->name);
}

static void prepare_selects_hosts(void **st)
{
    (void)st;
    prep p;
    char got[200];
    assert_int_equal(prepare(&p, INV, PB, NULL, NULL, false), 0);
    hosts_of(p.r, got, sizeof got);
    assert_string_equal(got, "c1,e1,c2"); /* union of the plays, inventory order; x1 in none */
    json_t *t = na_runner_targets(p.r);
    assert_json(t, "[\"c1\",\"e1\",\"c2\"]");
    json_decref(t);
    assert_null(na_runner_host(p.r, 3));
    assert_false(na_runner_done(p.r));
    prep_free(&p);
    assert_int_equal(prepare(&p, INV, PB, "e1:c2:x1", NULL, false), 0);
    hosts_of(p.r, got, sizeof got);
    assert_string_equal(got, "e1,c2"); /* --limit intersects */
    prep_free(&p);
}

static void prepare_errors(void **st)
{
    (void)st;
    prep p;
    /* --limit naming nothing, and a valid --limit that leaves no host */
    assert_int_equal(prepare(&p, INV, PB, "nope", NULL, false), -1);
    assert_string_equal(p.e.msg, "--limit: 'nope' matches no host or group");
    prep_free(&p);
    assert_int_equal(prepare(&p, INV, PB, "x1", NULL, false), -1);
    assert_int_equal(p.e.code, NA_E_NOTFOUND);
    assert_non_null(strstr(p.e.msg, "no host to run on"));
    prep_free(&p);
    /* a play whose hosts match nothing: positioned at `hosts` */
    assert_int_equal(prepare(&p, INV, "- name: p\n  hosts: cor\n  tasks: []\n", NULL, NULL,
                             false), -1);
    assert_string_equal(p.e.msg, "site.yaml:2:10: play 'p': hosts: 'cor' matches no host or "
                                 "group");
    assert_int_equal(p.e.code, NA_E_CONFIG);
    prep_free(&p);
    /* unknown platform */
    const char *inv2 = "hosts: {r1: {host: 127.0.0.1, platform: nosuch}}\n";
    assert_int_equal(prepare(&p, inv2, "- hosts: all\n  tasks: []\n", NULL, NULL, false), -1);
    assert_int_equal(p.e.code, NA_E_CONFIG);
    assert_true(!strncmp(p.e.msg, "host 'r1': platform 'nosuch': ", 30));
    prep_free(&p);
    /* script over telnet (the host's own transport, or the override) */
    const char *spb = "- hosts: all\n  tasks:\n    - name: s\n      script: {src: site.yaml}\n";
    const char *inv3 = "defaults: {platform: linux}\nhosts:\n  l1: {host: 127.0.0.1}\n"
                       "  l2: {host: 127.0.0.1, transport: telnet}\n";
    assert_int_equal(prepare(&p, inv3, spb, "l2", NULL, false), -1);
    assert_string_equal(p.e.msg, "site.yaml:3:7: task 's': script tasks need SSH, and host 'l2' "
                                 "uses telnet");
    prep_free(&p);
    assert_int_equal(prepare(&p, inv3, spb, "l1", NULL, true), -1);
    assert_non_null(strstr(p.e.msg, "host 'l1' uses telnet"));
    prep_free(&p);
    /* an undefined variable names the host that lacks it */
    const char *inv4 = "defaults: {platform: cisco_ios}\nhosts:\n"
                       "  a: {host: 127.0.0.1, vars: {vid: 10}}\n  b: {host: 127.0.0.1}\n";
    const char *vpb = "- hosts: all\n  tasks:\n    - name: v\n      config: ['vlan {{ vid }}']\n";
    assert_int_equal(prepare(&p, inv4, vpb, NULL, NULL, false), -1);
    assert_string_equal(p.e.msg, "site.yaml:4:16: task 'v': undefined variable 'vid' "
                                 "(host 'b')");
    assert_int_equal(p.e.code, NA_E_NOTFOUND);
    prep_free(&p);
    /* ... which extra vars can supply; extra vars must be a mapping */
    json_t *extra = json_pack("{s:i}", "vid", 20);
    assert_int_equal(prepare(&p, inv4, vpb, NULL, extra, false), 0);
    prep_free(&p);
    json_decref(extra);
    extra = json_pack("[i]", 1);
    assert_int_equal(prepare(&p, inv4, vpb, NULL, extra, false), -1);
    assert_string_equal(p.e.msg, "extra vars must be a mapping");
    prep_free(&p);
    json_decref(extra);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_exact_typed_masked_and_repaired),
        cmocka_unit_test(error_json),
        cmocka_unit_test(task_json_fields),
        cmocka_unit_test(output_ceiling),
        cmocka_unit_test(host_and_summary_json),
        cmocka_unit_test(progress_line),
        cmocka_unit_test(summary_table),
        cmocka_unit_test(registered_partial),
        cmocka_unit_test(prepare_selects_hosts),
        cmocka_unit_test(prepare_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
