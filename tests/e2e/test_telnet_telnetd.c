/* test_telnet_telnetd.c — the Telnet transport against a REAL Telnet server: Debian's inetutils
 * telnetd (package inetutils-telnetd) started per test on a kernel-picked port on 127.0.0.1 by
 * a tiny inetd in this test (accept one connection, exec telnetd on it), logging in through
 * /bin/login as the local user `netauto-test`. Proves the negotiation with a server we did not
 * write: telnetd shows no login prompt until the client has answered, and the shell sees our
 * NAWS window (stty size = "24 511") and TTYPE ("vt100").
 * Needs root (to create `netauto-test` idempotently and set its password) and telnetd; without
 * them it prints a TAP skip line. Every telnetd it starts is reaped (killed if needed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "clock.h"
#include "telnet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define TELNETD "/usr/sbin/telnetd"
#define TEST_USER "netauto-test"
#define TEST_PASS "Nt-telnet-test-7"

/* What a test started, so its teardown stops it even when an assertion failed midway. */
static pid_t g_pid = -1;
static na_transport *g_t;

/* Listen on 127.0.0.1, fork a child that accepts one connection and becomes telnetd on it. */
static pid_t spawn_telnetd(int *port)
{
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof a;
    assert_true(lfd >= 0);
    assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(lfd, 1), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &l), 0);
    *port = ntohs(a.sin_port);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        alarm(60); /* survives exec: nothing this test starts outlives a minute */
        struct pollfd p = {.fd = lfd, .events = POLLIN};
        if (poll(&p, 1, 30000) != 1)
            _exit(2);
        int c = accept(lfd, NULL, NULL);
        if (c < 0)
            _exit(3);
        dup2(c, 0);
        dup2(c, 1);
        dup2(c, 2);
        if (c > 2)
            close(c);
        execl(TELNETD, "telnetd", "-h", (char *)NULL);
        _exit(127);
    }
    close(lfd);
    return pid;
}

static void reap(pid_t pid)
{
    int64_t end = na_now_ms() + 5000;
    while (na_now_ms() < end) {
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return;
        poll(NULL, 0, 20);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

static int teardown(void **st)
{
    (void)st;
    if (g_t)
        g_t->ops->destroy(g_t);
    g_t = NULL;
    if (g_pid > 0)
        reap(g_pid);
    g_pid = -1;
    return 0;
}

static na_status open_all(na_transport *t, na_err *e)
{
    for (;;) {
        na_status s = t->ops->open(t, e);
        if (s != NA_AGAIN)
            return s;
        if (na_transport_wait(t, 0, e) < 0)
            return NA_ERROR;
    }
}

/* Read into buf until it contains `until` or the device closes (NA_EOF) or 10 s pass. */
static na_status read_until(na_transport *t, char *buf, size_t cap, size_t *len,
                            const char *until)
{
    int64_t end = na_now_ms() + 10000;
    na_err e = NA_ERR_INIT;
    while (na_now_ms() < end) {
        size_t n = 0;
        na_status s = t->ops->read(t, buf + *len, cap - 1 - *len, &n, &e);
        *len += n;
        buf[*len] = '\0';
        if (s == NA_ERROR || s == NA_EOF)
            return s;
        if (until && strstr(buf, until))
            return NA_OK;
        if (s == NA_AGAIN)
            na_transport_wait(t, end, &e);
    }
    return NA_AGAIN;
}

static void login_and_run(void **st)
{
    (void)st;
    int port;
    g_pid = spawn_telnetd(&port);
    static na_conn_params p = {.name = "linux1", .host = "127.0.0.1", .username = TEST_USER,
                               .password = TEST_PASS};
    p.port = port;
    na_err e = NA_ERR_INIT;
    na_transport *t = g_t = na_telnet_new(&p, &e);
    assert_non_null(t);
    na_status s = open_all(t, &e);
    if (s != NA_OK)
        fail_msg("open: %s", e.msg);
    print_message("# options agreed with inetutils telnetd: %s\n", t->info.telnet_options);
    print_message("# phases (us): connect %lld, negotiate %lld, auth %lld; wire in/out %llu/%llu,"
                  " data in/out %llu/%llu\n", (long long)t->info.phase_us[NA_PHASE_CONNECT],
                  (long long)t->info.phase_us[NA_PHASE_NEGOTIATE],
                  (long long)t->info.phase_us[NA_PHASE_AUTH],
                  (unsigned long long)t->info.wire_in, (unsigned long long)t->info.wire_out,
                  (unsigned long long)t->info.data_in, (unsigned long long)t->info.data_out);
    assert_non_null(strstr(t->info.telnet_options, "ECHO"));
    assert_non_null(strstr(t->info.telnet_options, "NAWS"));
    assert_non_null(strstr(t->info.telnet_options, "TTYPE"));
    assert_string_equal(t->info.auth_method, "telnet-login");

    static char buf[65536];
    size_t len = 0;
    const char cmd[] = "stty size; echo TERM=$TERM; echo sum=$((20+22))\n";
    assert_int_equal(t->ops->write(t, cmd, sizeof cmd - 1, false, &e), NA_OK);
    s = read_until(t, buf, sizeof buf, &len, "sum=42");
    if (s != NA_OK)
        print_message("# received: %s\n", buf);
    assert_int_equal(s, NA_OK);
    assert_non_null(strstr(buf, "24 511"));     /* our NAWS window reached the pty */
    assert_non_null(strstr(buf, "TERM=vt100")); /* our TTYPE reached the environment */

    assert_int_equal(t->ops->write(t, "exit\n", 5, false, &e), NA_OK);
    len = 0;
    assert_int_equal(read_until(t, buf, sizeof buf, &len, NULL), NA_EOF);
}

static void wrong_password(void **st)
{
    (void)st;
    int port;
    g_pid = spawn_telnetd(&port);
    static na_conn_params p = {.name = "linux1", .host = "127.0.0.1", .username = TEST_USER,
                               .password = "definitely-wrong"};
    p.port = port;
    na_err e = NA_ERR_INIT;
    na_transport *t = g_t = na_telnet_new(&p, &e);
    assert_non_null(t);
    na_status s = open_all(t, &e);
    assert_int_equal(s, NA_ERROR);
    assert_int_equal(e.code, NA_E_AUTH);
    assert_string_equal(e.msg, "linux1: login refused: Login incorrect");
}

/* Why this machine cannot run the test, or NULL. Creates the user / sets its password. */
static const char *prepare(void)
{
    if (access(TELNETD, X_OK) != 0)
        return TELNETD " is not installed (Debian package inetutils-telnetd)";
    if (access("/bin/login", X_OK) != 0)
        return "/bin/login is missing";
    if (geteuid() != 0)
        return "needs root to create the local user " TEST_USER;
    if (access("/etc/nologin", F_OK) == 0 || access("/run/nologin", F_OK) == 0)
        return "logins are disabled (/etc/nologin or /run/nologin exists)";
    if (!getpwnam(TEST_USER) &&
        system("useradd -M -d /nonexistent -s /bin/sh " TEST_USER " >/dev/null 2>&1") != 0)
        return "useradd " TEST_USER " failed";
    FILE *f = popen("chpasswd", "w");
    if (!f)
        return "cannot run chpasswd";
    fprintf(f, "%s:%s\n", TEST_USER, TEST_PASS);
    if (pclose(f) != 0)
        return "chpasswd failed";
    return NULL;
}

int main(void)
{
    const char *why = prepare();
    if (why) {
        printf("1..1\nok 1 # SKIP %s\n", why);
        return 0;
    }
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(login_and_run, teardown),
        cmocka_unit_test_teardown(wrong_password, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
