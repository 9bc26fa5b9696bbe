/* test_run_script.c — the runner's script task against a REAL OpenSSH sshd (tests/lib/sshd.h) on
 * the linux platform: the script is uploaded, run with its arguments (quoting kept), its stdout,
 * stderr and exit status captured, and the uploaded copy removed afterwards — also when it
 * fails; a non-zero exit fails the task (ignore_errors goes on); a loop runs it per item; --check
 * uploads nothing; registered results reach later tasks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "runner.h"
#include "ssh_common.h"

#include <sys/stat.h>

typedef struct fx {
    na_sshd d;
    char dir[256];
    char key[320], known_hosts[320], inv[320], script[1024];
} fx;

static fx F;

static int setup(void **st)
{
    (void)st;
    char eb[2048];
    if (na_sshd_mkdtemp("runscript", F.dir, sizeof F.dir) < 0)
        return -1;
    if (na_sshd_start(&F.d, NULL, eb, sizeof eb) < 0) {
        fprintf(stderr, "# sshd: %s\n", eb);
        return -1;
    }
    snprintf(F.key, sizeof F.key, "%s/id_ed25519", F.dir);
    snprintf(F.known_hosts, sizeof F.known_hosts, "%s/known_hosts", F.dir);
    snprintf(F.inv, sizeof F.inv, "%s/inventory.yaml", F.dir);
    char pub[340];
    snprintf(pub, sizeof pub, "%s.pub", F.key);
    if (na_sshd_keygen(F.key, "ed25519", NULL) < 0 || na_sshd_authorize(&F.d, pub) < 0 ||
        na_sshd_write_known_hosts(&F.d, F.known_hosts) < 0)
        return -1;
    const char *root = getenv("NETAUTO_ROOT");
    snprintf(F.script, sizeof F.script, "%s/tests/fixtures/scripts/runner_report.sh",
             root ? root : ".");
    FILE *f = fopen(F.inv, "w");
    if (!f)
        return -1;
    fprintf(f,
            "hosts:\n"
            "  lx1:\n"
            "    host: 127.0.0.1\n"
            "    port: %d\n"
            "    platform: linux\n"
            "    username: %s\n"
            "    key_file: %s\n"
            "    known_hosts: %s\n",
            F.d.port, test_me(), F.key, F.known_hosts);
    return fclose(f) == 0 ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    na_sshd_stop(&F.d);
    na_sshd_rm_rf(F.dir);
    return 0;
}

/* Run playbook text on lx1; returns the host's result (a new reference) and the exit status. */
static json_t *run(const char *yaml, bool check, int *status)
{
    na_err e = NA_ERR_INIT;
    na_inventory *inv = na_inv_load(F.inv, NULL, &e);
    if (!inv)
        fail_msg("inventory: %s", e.msg);
    json_t *extra = json_pack("{s:s}", "script", F.script);
    na_playbook *pb = na_pb_load_mem("script.yaml", yaml, strlen(yaml), F.dir, &e);
    if (!pb)
        fail_msg("playbook: %s", e.msg);
    na_run_opts o = NA_RUN_OPTS_INIT;
    o.extra_vars = extra;
    o.check = check;
    na_runner *r = na_runner_new(inv, pb, &o, &e);
    if (!r)
        fail_msg("prepare: %s", e.msg);
    if (na_runner_run(r, &e) < 0)
        fail_msg("run: %s", e.msg);
    *status = na_runner_exit_status(r);
    json_t *h = json_incref(json_object_get(json_object_get(na_runner_results(r), "hosts"), "lx1"));
    assert_non_null(h);
    na_runner_free(r);
    na_pb_free(pb);
    na_inv_free(inv);
    json_decref(extra);
    return h;
}

static json_t *task(json_t *host, size_t i) { return json_array_get(json_object_get(host, "tasks"), i); }

static const char *str(json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

/* The uploaded path the script printed ("path: /tmp/.netauto-...") must be gone. */
static void assert_removed(const char *out)
{
    const char *p = strstr(out ? out : "", "path: ");
    if (!p)
        fail_msg("no path in the script's output: %s", out ? out : "(null)");
    char path[512];
    size_t n = strcspn(p + 6, "\n");
    snprintf(path, sizeof path, "%.*s", (int)n, p + 6);
    assert_true(!strncmp(path, "/tmp/.netauto-", 14));
    assert_non_null(strstr(path, "runner_report.sh"));
    struct stat st;
    if (stat(path, &st) == 0)
        fail_msg("the uploaded script %s is still there", path);
}

static void script_ok_captures_and_removes(void **st)
{
    (void)st;
    int status;
    json_t *h = run("- hosts: lx1\n"
                    "  tasks:\n"
                    "    - name: report\n"
                    "      script: {src: '{{ script }}', args: ['0', 'two words', \"it's\"]}\n"
                    "      register: rep\n"
                    "    - name: use it\n"
                    "      command: \"echo rc={{ rep.rc }} first={{ rep.stdout_lines[1] }}\"\n",
                    false, &status);
    if (status != 0)
        fail_msg("%s", json_dumps(h, JSON_INDENT(2)));
    json_t *t = task(h, 0);
    assert_string_equal(str(t, "action"), "script");
    assert_true(json_is_true(json_object_get(t, "ok")));
    assert_true(json_is_true(json_object_get(t, "changed")));
    assert_int_equal(json_integer_value(json_object_get(t, "rc")), 0);
    const char *out = str(t, "stdout");
    assert_non_null(strstr(out, "arg: 0\narg: two words\narg: it's\n"));
    assert_string_equal(str(t, "stderr"), "to stderr: 0\n");
    assert_removed(out);
    /* upload, run, remove */
    json_t *cmds = json_object_get(t, "commands");
    assert_int_equal(json_array_size(cmds), 3);
    assert_non_null(strstr(json_string_value(json_array_get(cmds, 0)), "upload "));
    assert_string_equal(json_string_value(json_array_get(cmds, 1)),
                        "run: runner_report.sh 0 'two words' 'it'\\''s'");
    assert_string_equal(json_string_value(json_array_get(cmds, 2)), "remove");
    /* the registered result reached the next task (run in the interactive shell) */
    assert_non_null(strstr(str(task(h, 1), "output"), "rc=0 first=arg: 0"));
    json_decref(h);
}

static void script_failure_fails_task_and_removes(void **st)
{
    (void)st;
    int status;
    json_t *h = run("- hosts: lx1\n"
                    "  tasks:\n"
                    "    - name: fails\n"
                    "      script: {src: '{{ script }}', args: ['3']}\n"
                    "    - name: never runs\n"
                    "      command: echo no\n",
                    false, &status);
    assert_int_equal(status, 1);
    assert_string_equal(str(h, "status"), "failed");
    assert_int_equal(json_array_size(json_object_get(h, "tasks")), 1);
    json_t *t = task(h, 0);
    assert_true(json_is_false(json_object_get(t, "ok")));
    assert_int_equal(json_integer_value(json_object_get(t, "rc")), 3);
    assert_string_equal(str(t, "stderr"), "to stderr: 3\n");
    assert_string_equal(str(json_object_get(t, "error"), "code"), "device-error");
    assert_non_null(strstr(str(json_object_get(t, "error"), "message"), "exited with status 3"));
    assert_removed(str(t, "stdout"));
    json_decref(h);
}

static void script_ignore_errors_and_loop(void **st)
{
    (void)st;
    int status;
    json_t *h = run("- hosts: lx1\n"
                    "  tasks:\n"
                    "    - name: per item\n"
                    "      loop: ['0', '5', '0']\n"
                    "      script: {src: '{{ script }}', args: ['{{ item }}']}\n"
                    "      ignore_errors: true\n"
                    "      register: all\n"
                    "    - name: after\n"
                    "      command: \"echo n={{ all.results | length }} failed={{ all.failed }}\"\n",
                    false, &status);
    assert_int_equal(status, 0);
    json_t *t = task(h, 0);
    assert_true(json_is_false(json_object_get(t, "ok")));
    assert_true(json_is_true(json_object_get(t, "ignored")));
    /* every item runs (the failing one in the middle too), each copy removed */
    assert_int_equal(json_integer_value(json_object_get(t, "rc")), 5);
    const char *out = str(t, "stdout");
    int paths = 0;
    for (const char *p = strstr(out, "path: "); p; p = strstr(p + 1, "path: ")) {
        assert_removed(p);
        paths++;
    }
    assert_int_equal(paths, 3);
    assert_non_null(strstr(out, "arg: 5"));
    assert_non_null(strstr(str(json_object_get(t, "error"), "message"), "exited with status 5"));
    assert_non_null(strstr(str(task(h, 1), "output"), "n=3 failed=true"));
    assert_true(json_is_true(json_object_get(h, "ok")));
    json_decref(h);
}

static void script_check_mode_uploads_nothing(void **st)
{
    (void)st;
    int status;
    json_t *h = run("- hosts: lx1\n"
                    "  tasks:\n"
                    "    - name: report\n"
                    "      script: {src: '{{ script }}', args: ['7', 'a b']}\n"
                    "      register: rep\n"
                    "    - name: uses it\n"
                    "      command: \"echo {{ rep.rc }}\"\n",
                    true, &status);
    assert_int_equal(status, 0);
    json_t *t = task(h, 0);
    char want[1400];
    snprintf(want, sizeof want, "[script]\nupload %s\nrun: runner_report.sh 7 'a b'\nremove\n",
             F.script);
    assert_string_equal(str(t, "output"), want);
    assert_false(json_object_get(t, "rc")); /* nothing ran */
    /* the later task depends on a result that does not exist in check mode: shown as such */
    assert_true(json_is_true(json_object_get(task(h, 1), "partial")));
    assert_string_equal(str(task(h, 1), "output"), "[exec]\necho {{ rep.rc }}\n");
    json_decref(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(script_ok_captures_and_removes),
        cmocka_unit_test(script_failure_fails_task_and_removes),
        cmocka_unit_test(script_ignore_errors_and_loop),
        cmocka_unit_test(script_check_mode_uploads_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
