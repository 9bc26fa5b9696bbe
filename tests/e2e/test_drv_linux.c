/* test_drv_linux.c — the linux platform against a real Debian OpenSSH server started on loopback
 * (tests/lib/sshd.h): commands through the interactive shell (prompt found and learned, a
 * coloured prompt set mid-session, ANSI escapes in output, a failing command reported as a
 * device error), and a script uploaded over SCP and run with arguments, both on an exec channel
 * (exit status) and through the shell. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "platform.h"
#include "session.h"
#include "ssh.h"
#include "sshd.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static na_sshd D;
static na_platforms *reg;
static char dir[256], key[320], kh[320];

static const char SCRIPT[] = "#!/bin/sh\n"
                             "echo \"n=$#\"\n"
                             "for a in \"$@\"; do echo \"arg=[$a]\"; done\n"
                             "echo 'to stderr' >&2\n"
                             "exit 3\n";

static int setup(void **st)
{
    (void)st;
    if (na_sshd_mkdtemp("drvlinux", dir, sizeof dir) < 0)
        return -1;
    if (na_sshd_start_keyed(&D, dir, "id", "known_hosts", key, kh) < 0)
        return -1;
    na_err e = NA_ERR_INIT;
    reg = na_platforms_new(NULL, 0, &e);
    return reg ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    na_platforms_free(reg);
    na_sshd_stop(&D);
    na_sshd_rm_rf(dir);
    return 0;
}

static na_conn_params P;

static na_session *open_linux(void)
{
    struct passwd *pw = getpwuid(getuid());
    P = (na_conn_params){.name = "lnx1", .host = "127.0.0.1", .port = D.port,
                         .username = pw ? pw->pw_name : "root", .key_file = key,
                         .known_hosts = kh};
    na_err e = NA_ERR_INIT;
    const na_platform *plat = na_platform_find(reg, "linux", &e);
    assert_non_null(plat);
    na_transport *t = na_ssh_new(&P, &e);
    assert_non_null(t);
    na_session *s = na_session_new(t, plat, NULL, &e);
    assert_non_null(s);
    if (na_session_open(s, &e) < 0)
        fail_msg("open: %s\n%s", e.msg, na_sshd_log_tail(&D));
    return s;
}

static char *run(na_session *s, const char *cmd)
{
    na_result r;
    na_err e = NA_ERR_INIT;
    if (na_session_command(s, cmd, NULL, &r, &e) < 0)
        fail_msg("'%s': %s", cmd, e.msg);
    char *out = r.output;
    r.output = NULL;
    na_result_free(&r);
    return out;
}

static void shell_commands(void **st)
{
    (void)st;
    na_session *s = open_linux();
    char *out = run(s, "echo hello from $((6*7))");
    assert_string_equal(out, "hello from 42");
    free(out);
    /* colours and other escapes are stripped from output */
    out = run(s, "printf '\\033[1;31mred\\033[0m and \\033[4mplain\\033[0m\\n'");
    assert_string_equal(out, "red and plain");
    free(out);
    /* a coloured prompt that also sets the window title */
    out = run(s, "PS1='\\[\\e]0;title\\a\\e[1;32m\\]\\u@box:\\w\\[\\e[0m\\]\\$ '");
    free(out);
    out = run(s, "cd /tmp && pwd");
    assert_string_equal(out, "/tmp");
    free(out);
    assert_non_null(strstr(na_session_prompt(s), "@box:/tmp"));
    /* a failing command is a device error, and the session goes on */
    na_result r;
    na_err e = NA_ERR_INIT;
    assert_int_equal(na_session_command(s, "ls /nonexistent-netauto-dir", NULL, &r, &e), -1);
    assert_int_equal(e.code, NA_E_DEVICE);
    assert_non_null(strstr(r.device_error, "No such file or directory"));
    na_result_free(&r);
    assert_true(na_session_usable(s));
    out = run(s, "seq 1 2000 | tail -n 1");
    assert_string_equal(out, "2000");
    free(out);
    na_session_free(s);
}

static void upload_and_run_script(void **st)
{
    (void)st;
    na_session *s = open_linux();
    na_transport *t = na_session_transport(s);
    assert_true(na_is_ssh(t));
    char remote[320];
    snprintf(remote, sizeof remote, "%s/run.sh", dir);
    na_ssh_put_opts up = {.data = SCRIPT, .len = sizeof SCRIPT - 1, .mode = 0755};
    na_err e = NA_ERR_INIT;
    if (na_ssh_put(t, remote, &up, &e) != NA_OK)
        fail_msg("upload: %s", e.msg);
    struct stat sb;
    assert_int_equal(stat(remote, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0755);
    /* exec channel: arguments with a space, stdout/stderr apart, exit status */
    char cmd[400];
    snprintf(cmd, sizeof cmd, "%s one 'two words' three", remote);
    na_ssh_exec_result xr;
    if (na_ssh_run(t, cmd, NULL, &xr, &e) != NA_OK)
        fail_msg("exec: %s", e.msg);
    assert_string_equal(na_buf_cstr(&xr.out), "n=3\narg=[one]\narg=[two words]\narg=[three]\n");
    assert_string_equal(na_buf_cstr(&xr.err_out), "to stderr\n");
    assert_int_equal(xr.exit_status, 3);
    na_ssh_exec_result_free(&xr);
    /* the same script through the interactive shell of the same connection */
    snprintf(cmd, sizeof cmd, "%s 'a b' c 2>/dev/null; echo rc=$?", remote);
    char *out = run(s, cmd);
    assert_string_equal(out, "n=2\narg=[a b]\narg=[c]\nrc=3");
    free(out);
    /* and back again */
    na_buf got;
    na_buf_init(&got, 1 << 20);
    if (na_ssh_get(t, remote, NULL, &got, &e) != NA_OK)
        fail_msg("download: %s", e.msg);
    assert_string_equal(na_buf_cstr(&got), SCRIPT);
    na_buf_free(&got);
    na_session_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shell_commands),
        cmocka_unit_test(upload_and_run_script),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
