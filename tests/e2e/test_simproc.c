/* test_simproc.c — the C helper other netauto tests use to run the simulator (tests/lib/simproc):
 * start with arguments, devices and ports from the ready file, a real Telnet login on a port it
 * reported, counters through SIGUSR1 stats, a clean stop that removes the directory, and a
 * start that fails with the simulator's own error message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "clock.h"
#include "simproc.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* Minimal Telnet: refuse every option, collect data until `want` appears (5 s deadline). */
static int tn_expect(int fd, const char *want, char *acc, size_t cap, size_t *len)
{
    int64_t deadline = na_now_ms() + 5000;
    while (!strstr(acc, want)) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, (int)na_ms_until(deadline)) <= 0)
            return -1;
        unsigned char b[4096];
        ssize_t n = read(fd, b, sizeof b);
        if (n <= 0)
            return -1;
        for (ssize_t i = 0; i < n; i++) {
            if (b[i] == 255 && i + 2 < n && b[i + 1] >= 251) {
                unsigned char r[3] = {255, b[i + 1] == 251 || b[i + 1] == 252 ? 254 : 252,
                                      b[i + 2]};
                (void)!write(fd, r, 3);
                i += 2;
            } else if (*len + 1 < cap) {
                acc[(*len)++] = (char)b[i];
                acc[*len] = '\0';
            }
        }
    }
    return 0;
}

static int connect_to(const char *addr, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, addr, &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void start_use_stop(void **st)
{
    (void)st;
    simproc sp;
    na_err e = NA_ERR_INIT;
    const char *args[] = {"--devices", "1", "--devices", "1:eos", NULL};
    if (simproc_start(&sp, args, 15000, &e) < 0)
        fail_msg("%s", e.msg);
    assert_int_equal(sp.ndevs, 2);
    const simproc_dev *sw1 = simproc_find(&sp, "sw1"), *eos1 = simproc_find(&sp, "eos1");
    assert_non_null(sw1);
    assert_non_null(eos1);
    assert_null(simproc_find(&sp, "sw2"));
    assert_string_equal(eos1->personality, "eos");
    assert_string_equal(sw1->addr, "127.0.0.1");
    assert_true(sw1->ssh_port > 0 && sw1->telnet_port > 0 && sw1->ssh_port != sw1->telnet_port);
    struct stat sb;
    assert_int_equal(stat(sp.inventory_path, &sb), 0);
    assert_int_equal(stat(sp.known_hosts_path, &sb), 0);

    int fd = connect_to(sw1->addr, sw1->telnet_port);
    assert_true(fd >= 0);
    char acc[65536] = "";
    size_t len = 0;
    assert_int_equal(tn_expect(fd, "Username: ", acc, sizeof acc, &len), 0);
    assert_int_equal(write(fd, "admin\r\nlab-pass-1\r\n", 19), 19);
    assert_int_equal(tn_expect(fd, "sw1>", acc, sizeof acc, &len), 0);
    assert_int_equal(write(fd, "show clock\r\n", 12), 12);
    assert_int_equal(tn_expect(fd, "UTC", acc, sizeof acc, &len), 0);

    json_t *j = NULL;
    if (simproc_stats(&sp, 5000, &j, &e) < 0)
        fail_msg("%s", e.msg);
    assert_int_equal(simproc_counter(j, "sw1", "logins.telnet"), 1);
    assert_int_equal(simproc_counter(j, "sw1", "sessions_open"), 1);
    assert_true(simproc_counter(j, "sw1", "commands") >= 1);
    assert_int_equal(simproc_counter(j, "eos1", "logins.ssh"), 0);
    assert_int_equal(simproc_counter(j, "nope", "commands"), -1);
    long seq = sp.stats_seq;
    json_decref(j);
    if (simproc_stats(&sp, 5000, &j, &e) < 0)
        fail_msg("%s", e.msg);
    assert_true(sp.stats_seq > seq);
    json_decref(j);
    close(fd);

    char dir[sizeof sp.dir];
    snprintf(dir, sizeof dir, "%s", sp.dir);
    int port = sw1->telnet_port;
    assert_int_equal(simproc_stop(&sp), 0);
    assert_int_equal(sp.pid, 0);
    assert_int_equal(stat(dir, &sb), -1); /* directory removed */
    assert_int_equal(simproc_stop(&sp), -1); /* twice is harmless */
    /* nothing listens any more */
    assert_true(connect_to("127.0.0.1", port) < 0);
}

static void start_failure_reports_why(void **st)
{
    (void)st;
    simproc sp;
    na_err e = NA_ERR_INIT;
    const char *args[] = {"--fault", "sw1:explode", NULL};
    assert_int_equal(simproc_start(&sp, args, 15000, &e), -1);
    assert_non_null(strstr(e.msg, "unknown fault 'explode'"));
    assert_non_null(strstr(e.msg, "status 2"));
    assert_int_equal(sp.pid, 0);
    assert_int_equal(simproc_stop(&sp), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(start_use_stop),
        cmocka_unit_test(start_failure_reports_why),
    };
    return cmocka_run_group_tests_name("simproc", tests, NULL, NULL);
}
