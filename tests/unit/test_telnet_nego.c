/* test_telnet_nego.c — byte-exact Telnet option negotiation, data decoding and NVT encoding of
 * the Telnet transport, over a real socketpair(): the test plays the server on one end and
 * reads exactly what the transport sent. Not the login dialog (test_telnet_login.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "clock.h"
#include "telnet.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define IAC "\xff"
#define DONT "\xfe"
#define DO "\xfd"
#define WONT "\xfc"
#define WILL "\xfb"
#define SB "\xfa"
#define SE "\xf0"
#define O_ECHO "\x01"
#define O_SGA "\x03"
#define O_TTYPE "\x18"
#define O_NAWS "\x1f"
#define O_LINEMODE "\x22"
#define O_BINARY "\x00"

typedef struct fixture {
    na_conn_params p;
    na_transport *t;
    int srv; /* the test's (server's) end */
} fixture;

static int setup_params(void **state, const na_conn_params *p)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->p = *p;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    f->srv = sv[0];
    fcntl(f->srv, F_SETFL, fcntl(f->srv, F_GETFL) | O_NONBLOCK);
    na_err e = NA_ERR_INIT;
    f->t = na_telnet_new_fd(&f->p, sv[1], &e);
    assert_non_null(f->t);
    *state = f;
    return 0;
}

static int setup(void **state)
{
    na_conn_params p = {.name = "sw1", .host = "local"};
    return setup_params(state, &p);
}

static int setup_custom(void **state)
{
    na_conn_params p = {.name = "sw1", .host = "local", .term_type = "xterm-256color",
                        .term_width = 255, .term_height = 300};
    return setup_params(state, &p);
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (f->t)
        f->t->ops->destroy(f->t);
    if (f->srv >= 0)
        close(f->srv);
    free(f);
    return 0;
}

static void srv_send(fixture *f, const char *s, size_t n)
{
    assert_int_equal(write(f->srv, s, n), (ssize_t)n);
}
#define SEND(f, lit) srv_send(f, lit, sizeof(lit) - 1)

static void hexdump(const char *tag, const char *s, size_t n)
{
    fprintf(stderr, "# %s (%zu):", tag, n);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, " %02x", (unsigned char)s[i]);
    fprintf(stderr, "\n");
}

/* Everything the transport has sent so far (it sends synchronously on a socketpair). */
static size_t srv_recv_all(fixture *f, char *buf, size_t cap)
{
    size_t n = 0;
    while (n < cap) {
        ssize_t r = read(f->srv, buf + n, cap - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    return n;
}

static void expect_sent(fixture *f, const char *want, size_t wn)
{
    char got[4096];
    size_t n = srv_recv_all(f, got, sizeof got);
    if (n != wn || memcmp(got, want, wn) != 0) {
        hexdump("want", want, wn);
        hexdump("got ", got, n);
        fail_msg("bytes sent by the transport differ");
    }
}
#define EXPECT_SENT(f, lit) expect_sent(f, lit, sizeof(lit) - 1)

static na_status step(fixture *f, na_err *e) { return f->t->ops->open(f->t, e); }

/* Server sends a prompt, open() completes with no login (once the prompt has stood still for
 * the transport's settle time: a banner line ending in '#' is not a prompt). */
static void make_ready(fixture *f)
{
    na_err e = NA_ERR_INIT;
    SEND(f, "\r\nsw1#");
    na_status st;
    int64_t until = na_now_ms() + 3000;
    while ((st = step(f, &e)) == NA_AGAIN && na_now_ms() < until)
        assert_int_equal(na_transport_wait(f->t, until, &e), 0);
    assert_int_equal(st, NA_OK);
    char buf[64];
    size_t n = 0;
    assert_int_equal(f->t->ops->read(f->t, buf, sizeof buf, &n, &e), NA_OK);
    assert_int_equal(n, 6);
    assert_memory_equal(buf, "\r\nsw1#", 6);
}

/* Read until at least `want` bytes or AGAIN. */
static size_t read_some(fixture *f, char *buf, size_t cap)
{
    size_t got = 0;
    for (;;) {
        size_t n = 0;
        na_err e = NA_ERR_INIT;
        na_status s = f->t->ops->read(f->t, buf + got, cap - got, &n, &e);
        if (s != NA_OK)
            return got;
        got += n;
    }
}

static void negotiation_replies(void **state)
{
    fixture *f = *state;
    na_err e = NA_ERR_INIT;
    assert_int_equal(step(f, &e), NA_AGAIN); /* nothing yet */
    assert_int_equal(f->t->info.phase, NA_PHASE_NEGOTIATE);
    assert_true(f->t->deadline_ms > na_now_ms());

    SEND(f, IAC WILL O_ECHO IAC WILL O_SGA IAC DO O_NAWS IAC DO O_TTYPE);
    assert_int_equal(step(f, &e), NA_AGAIN);
    /* 511x24 = 01 FF 00 18; the FF data byte is doubled inside SB (RFC 855, RFC 1073) */
    EXPECT_SENT(f, IAC DO O_ECHO IAC DO O_SGA IAC WILL O_NAWS IAC SB O_NAWS "\x01\xff\xff\x00\x18"
                       IAC SE IAC WILL O_TTYPE);
    assert_string_equal(f->t->info.telnet_options, "ECHO SGA NAWS TTYPE");
    assert_int_equal(f->t->info.phase, NA_PHASE_NEGOTIATE); /* options are not data */

    SEND(f, IAC SB O_TTYPE "\x01" IAC SE);
    assert_int_equal(step(f, &e), NA_AGAIN);
    EXPECT_SENT(f, IAC SB O_TTYPE "\x00" "vt100" IAC SE);

    /* refusals: we never do LINEMODE, BINARY or local ECHO */
    SEND(f, IAC DO O_LINEMODE IAC WILL O_BINARY IAC DO O_ECHO);
    assert_int_equal(step(f, &e), NA_AGAIN);
    EXPECT_SENT(f, IAC WONT O_LINEMODE IAC DONT O_BINARY IAC WONT O_ECHO);

    /* SGA our side; a repeated WILL ECHO is already agreed and gets no answer (RFC 1143) */
    SEND(f, IAC DO O_SGA IAC WILL O_ECHO);
    assert_int_equal(step(f, &e), NA_AGAIN);
    EXPECT_SENT(f, IAC WILL O_SGA);

    /* the server turns echo off: acknowledged, and no longer recorded */
    SEND(f, IAC WONT O_ECHO);
    assert_int_equal(step(f, &e), NA_AGAIN);
    EXPECT_SENT(f, IAC DONT O_ECHO);
    assert_string_equal(f->t->info.telnet_options, "SGA NAWS TTYPE");
    assert_false(na_err_isset(&e));

    make_ready(f);
    assert_int_equal(f->t->info.phase, NA_PHASE_READY);
    assert_string_equal(f->t->info.auth_method, "none");
    assert_false(f->t->info.cleartext_password);
    assert_int_equal(f->t->deadline_ms, 0);
    assert_string_equal(f->t->info.peer, "local");
}

static void custom_window_and_terminal(void **state)
{
    fixture *f = *state;
    na_err e = NA_ERR_INIT;
    SEND(f, IAC DO O_NAWS IAC DO O_TTYPE IAC SB O_TTYPE "\x01" IAC SE);
    assert_int_equal(step(f, &e), NA_AGAIN);
    /* width 255 = 0x00ff: the 0xff byte is doubled inside the subnegotiation */
    EXPECT_SENT(f, IAC WILL O_NAWS IAC SB O_NAWS "\x00\xff\xff\x01\x2c" IAC SE IAC WILL O_TTYPE
                       IAC SB O_TTYPE "\x00" "xterm-256color" IAC SE);
}

static void commands_never_reach_data(void **state)
{
    fixture *f = *state;
    make_ready(f);
    char buf[256];
    /* IAC IAC is one data byte 0xff; NOP / GA / AYT-like commands vanish */
    SEND(f, "a" IAC IAC "b" IAC "\xf1" "c" IAC "\xf9" "d");
    size_t n = read_some(f, buf, sizeof buf);
    assert_int_equal(n, 5);
    assert_memory_equal(buf, "a\xff" "bcd", 5);

    /* a command split across two reads: IAC at the end of the first */
    SEND(f, "x" IAC);
    n = read_some(f, buf, sizeof buf);
    assert_int_equal(n, 1);
    assert_memory_equal(buf, "x", 1);
    SEND(f, DO O_NAWS "y");
    n = read_some(f, buf, sizeof buf);
    assert_int_equal(n, 1);
    assert_memory_equal(buf, "y", 1);
    EXPECT_SENT(f, IAC WILL O_NAWS IAC SB O_NAWS "\x01\xff\xff\x00\x18" IAC SE);

    /* a subnegotiation split in the middle */
    SEND(f, "p" IAC DO O_TTYPE IAC SB O_TTYPE);
    n = read_some(f, buf, sizeof buf);
    assert_int_equal(n, 1);
    SEND(f, "\x01" IAC SE "q");
    n = read_some(f, buf, sizeof buf);
    assert_int_equal(n, 1);
    assert_memory_equal(buf, "q", 1);
    EXPECT_SENT(f, IAC WILL O_TTYPE IAC SB O_TTYPE "\x00" "vt100" IAC SE);

    /* CR LF and CR NUL pass through untouched (the channel normalises them) */
    SEND(f, "l1\r\nl2\r\0l3");
    n = read_some(f, buf, sizeof buf);
    assert_int_equal(n, 10);
    assert_memory_equal(buf, "l1\r\nl2\r\0l3", 10);
}

static void data_split_across_reads(void **state)
{
    fixture *f = *state;
    make_ready(f);
    char buf[64];
    SEND(f, "sh ver\r\nRout");
    size_t n = read_some(f, buf, sizeof buf);
    assert_int_equal(n, 12);
    SEND(f, "er>");
    n = read_some(f, buf, sizeof buf);
    assert_int_equal(n, 3);
    assert_memory_equal(buf, "er>", 3);
    /* a small caller buffer gets the bytes in pieces, in order */
    SEND(f, "0123456789");
    na_err e = NA_ERR_INIT;
    assert_int_equal(f->t->ops->read(f->t, buf, 4, &n, &e), NA_OK);
    assert_int_equal(n, 4);
    assert_memory_equal(buf, "0123", 4);
    n = read_some(f, buf, sizeof buf);
    assert_int_equal(n, 6);
    assert_memory_equal(buf, "456789", 6);
    /* nothing more: AGAIN, with n == 0 */
    assert_int_equal(f->t->ops->read(f->t, buf, sizeof buf, &n, &e), NA_AGAIN);
    assert_int_equal(n, 0);
}

static void newline_encoding(void **state)
{
    fixture *f = *state;
    make_ready(f);
    na_err e = NA_ERR_INIT;
    uint64_t out0 = f->t->info.wire_out;
    assert_int_equal(f->t->ops->write(f->t, "a\nb\r", 4, false, &e), NA_OK);
    EXPECT_SENT(f, "a\r\nb\r\0");
    assert_int_equal(f->t->info.wire_out - out0, 6);
    assert_int_equal(f->t->ops->write(f->t, "x\r\ny\xff\n", 6, false, &e), NA_OK);
    EXPECT_SENT(f, "x\r\ny\xff\xff\r\n");
    assert_int_equal(f->t->ops->write(f->t, "show run\n", 9, false, &e), NA_OK);
    EXPECT_SENT(f, "show run\r\n");
    assert_int_equal(f->t->ops->flush(f->t, &e), NA_OK);
    assert_int_equal(f->t->ops->want(f->t), NA_WANT_READ);
    assert_false(na_err_isset(&e));
}

static void write_backpressure(void **state)
{
    fixture *f = *state;
    make_ready(f);
    na_err e = NA_ERR_INIT;
    /* more than a socketpair buffer holds: queued, sent as the peer reads */
    size_t big = 900 * 1024;
    char *data = malloc(big);
    assert_non_null(data);
    memset(data, 'z', big);
    assert_int_equal(f->t->ops->write(f->t, data, big, false, &e), NA_OK);
    assert_true(f->t->ops->want(f->t) & NA_WANT_WRITE);
    assert_int_equal(f->t->ops->flush(f->t, &e), NA_AGAIN);
    /* a second write would pass the 1 MiB queue limit */
    assert_int_equal(f->t->ops->write(f->t, data, big, false, &e), NA_ERROR);
    assert_int_equal(e.code, NA_E_OVERFLOW);
    na_err_clear(&e);
    size_t got = 0;
    char *rb = malloc(big);
    assert_non_null(rb);
    int64_t end = na_now_ms() + 5000;
    while (got < big && na_now_ms() < end) {
        got += srv_recv_all(f, rb + got, big - got);
        assert_int_not_equal(f->t->ops->flush(f->t, &e), NA_ERROR);
    }
    assert_int_equal(got, big);
    assert_memory_equal(rb, data, big);
    assert_int_equal(f->t->ops->flush(f->t, &e), NA_OK);
    free(rb);
    free(data);
}

static void eof_and_alive(void **state)
{
    fixture *f = *state;
    make_ready(f);
    assert_true(f->t->ops->is_alive(f->t));
    SEND(f, "bye\r\n");
    close(f->srv);
    f->srv = -1;
    char buf[64];
    size_t n = 0;
    na_err e = NA_ERR_INIT;
    assert_int_equal(f->t->ops->read(f->t, buf, sizeof buf, &n, &e), NA_OK);
    assert_int_equal(n, 5);
    assert_int_equal(f->t->ops->read(f->t, buf, sizeof buf, &n, &e), NA_EOF);
    assert_int_equal(n, 0);
    assert_false(f->t->ops->is_alive(f->t));
    assert_int_equal(f->t->ops->write(f->t, "x\n", 2, false, &e), NA_ERROR);
    assert_int_equal(e.code, NA_E_CLOSED);
    f->t->ops->close(f->t);
    f->t->ops->close(f->t); /* idempotent */
    assert_int_equal(f->t->ops->fd(f->t), -1);
    assert_int_equal(f->t->info.phase, NA_PHASE_CLOSED);
}

static void inbound_limit(void **state)
{
    fixture *f = *state;
    na_err e = NA_ERR_INIT;
    /* a device that talks forever without a prompt fills the 1 MiB limit: clear error */
    char chunk[16384];
    for (size_t i = 0; i < sizeof chunk; i++)
        chunk[i] = (i % 64 == 63) ? '\n' : 'x';
    na_status s = NA_AGAIN;
    for (int i = 0; i < 200 && s == NA_AGAIN; i++) {
        ssize_t w = write(f->srv, chunk, sizeof chunk);
        assert_true(w > 0 || errno == EAGAIN);
        s = step(f, &e);
    }
    assert_int_equal(s, NA_ERROR);
    assert_int_equal(e.code, NA_E_OVERFLOW);
    assert_non_null(strstr(e.msg, "sw1: more than 1024 KiB received during login"));
    /* open() keeps reporting the same failure */
    na_err e2 = NA_ERR_INIT;
    assert_int_equal(step(f, &e2), NA_ERROR);
    assert_string_equal(e2.msg, e.msg);
    assert_int_equal(f->t->ops->want(f->t), NA_WANT_NONE);
}

static void read_before_open_is_refused(void **state)
{
    fixture *f = *state;
    char buf[8];
    size_t n = 9;
    na_err e = NA_ERR_INIT;
    assert_int_equal(f->t->ops->read(f->t, buf, sizeof buf, &n, &e), NA_ERROR);
    assert_int_equal(e.code, NA_E_INTERNAL);
    assert_int_equal(n, 0);
}

static void bad_terminal_type(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    na_conn_params p = {.name = "sw1", .term_type = "vt 100"};
    na_err e = NA_ERR_INIT;
    assert_null(na_telnet_new_fd(&p, sv[1], &e)); /* closes sv[1] */
    assert_int_equal(e.code, NA_E_CONFIG);
    close(sv[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(negotiation_replies, setup, teardown),
        cmocka_unit_test_setup_teardown(custom_window_and_terminal, setup_custom, teardown),
        cmocka_unit_test_setup_teardown(commands_never_reach_data, setup, teardown),
        cmocka_unit_test_setup_teardown(data_split_across_reads, setup, teardown),
        cmocka_unit_test_setup_teardown(newline_encoding, setup, teardown),
        cmocka_unit_test_setup_teardown(write_backpressure, setup, teardown),
        cmocka_unit_test_setup_teardown(eof_and_alive, setup, teardown),
        cmocka_unit_test_setup_teardown(inbound_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(read_before_open_is_refused, setup, teardown),
        cmocka_unit_test(bad_terminal_type),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
