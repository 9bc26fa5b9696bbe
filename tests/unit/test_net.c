/* test_net.c — net.c over real loopback sockets: connect, refused, bad address, DNS failure,
 * and a connect that times out against a listener whose accept queue is full. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "clock.h"
#include "net.h"
#include "transport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int listen_on(int backlog, int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, backlog), 0);
    socklen_t l = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &l);
    *port = ntohs(a.sin_port);
    return fd;
}

/* Drive na_tcp to completion with poll(), as a blocking caller would. */
static na_status run(na_tcp *c, int64_t deadline, na_err *e)
{
    for (;;) {
        na_status s = na_tcp_step(c, deadline, e);
        if (s != NA_AGAIN)
            return s;
        struct pollfd p = {.fd = na_tcp_fd(c),
                           .events = na_tcp_want(c) == NA_WANT_READ ? POLLIN : POLLOUT};
        int64_t ms = na_ms_until(deadline);
        poll(&p, 1, (int)ms);
    }
}

static void connects(void **st)
{
    (void)st;
    int port, lfd = listen_on(8, &port);
    na_err e = NA_ERR_INIT;
    na_tcp *c = na_tcp_new("127.0.0.1", port, "sw1", &e);
    assert_non_null(c);
    assert_int_equal(run(c, na_now_ms() + 2000, &e), NA_OK);
    char want[32];
    snprintf(want, sizeof want, "127.0.0.1:%d", port);
    assert_string_equal(na_tcp_peer(c), want);
    int fd = na_tcp_take_fd(c);
    assert_true(fd >= 0);
    close(fd);
    na_tcp_free(c);
    close(lfd);
}

static void refused(void **st)
{
    (void)st;
    int port, lfd = listen_on(1, &port);
    close(lfd); /* nothing listens there now */
    na_err e = NA_ERR_INIT;
    na_tcp *c = na_tcp_new("127.0.0.1", port, "sw2", &e);
    assert_int_equal(run(c, na_now_ms() + 2000, &e), NA_ERROR);
    assert_int_equal(e.code, NA_E_REFUSED);
    assert_non_null(strstr(e.msg, "sw2: connection refused by 127.0.0.1:"));
    na_tcp_free(c);
}

static void bad_addresses(void **st)
{
    (void)st;
    na_err e = NA_ERR_INIT;
    assert_null(na_tcp_new("300.1.1.1", 22, "r1", &e));
    assert_int_equal(e.code, NA_E_BADADDR);
    assert_string_equal(e.msg, "r1: '300.1.1.1' is not a valid IPv4 address");
    na_err_clear(&e);
    assert_null(na_tcp_new("10.0.0.1", 70000, "r1", &e));
    assert_string_equal(e.msg, "r1: port 70000 is out of range (1-65535)");
    na_err_clear(&e);
    assert_null(na_tcp_new("", 22, "r1", &e));
    assert_int_equal(e.code, NA_E_BADADDR);
    na_err_clear(&e);
    na_tcp *c = na_tcp_new("fe80::zz", 22, "r1", &e);
    assert_non_null(c);
    assert_int_equal(na_tcp_step(c, na_now_ms() + 1000, &e), NA_ERROR);
    assert_int_equal(e.code, NA_E_BADADDR);
    na_tcp_free(c);
}

static void dns_failure(void **st)
{
    (void)st;
    na_err e = NA_ERR_INIT;
    na_tcp *c = na_tcp_new("no-such-device.invalid", 22, "sw9", &e);
    assert_non_null(c);
    int64_t t0 = na_now_ms();
    assert_int_equal(run(c, t0 + 3000, &e), NA_ERROR);
    assert_int_equal(e.code, NA_E_DNS);
    assert_non_null(strstr(e.msg, "sw9: "));
    assert_non_null(strstr(e.msg, "'no-such-device.invalid'"));
    assert_true(na_now_ms() - t0 < 3500); /* ended within its deadline */
    na_tcp_free(c);
}

static void connect_timeout(void **st)
{
    (void)st;
    /* backlog 0: once the accept queue holds a connection, further SYNs are dropped */
    int port, lfd = listen_on(0, &port);
    na_err e = NA_ERR_INIT;
    na_tcp *fill[3];
    int n_ok = 0;
    for (int i = 0; i < 3; i++) {
        fill[i] = na_tcp_new("127.0.0.1", port, "fill", &e);
        if (run(fill[i], na_now_ms() + 300, &e) == NA_OK)
            n_ok++;
        na_err_clear(&e);
    }
    assert_true(n_ok >= 1);
    na_tcp *c = na_tcp_new("127.0.0.1", port, "sw3", &e);
    int64_t t0 = na_now_ms();
    assert_int_equal(run(c, t0 + 700, &e), NA_ERROR);
    int64_t took = na_now_ms() - t0;
    assert_int_equal(e.code, NA_E_TIMEOUT);
    assert_non_null(strstr(e.msg, "sw3: TCP connect to 127.0.0.1:"));
    assert_non_null(strstr(e.msg, "timed out after"));
    assert_true(took >= 690 && took < 1500);
    na_tcp_free(c);
    for (int i = 0; i < 3; i++)
        na_tcp_free(fill[i]);
    close(lfd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(connects),     cmocka_unit_test(refused),
        cmocka_unit_test(bad_addresses), cmocka_unit_test(dns_failure),
        cmocka_unit_test(connect_timeout),
    };
    return cmocka_run_group_tests_name("net", tests, NULL, NULL);
}
