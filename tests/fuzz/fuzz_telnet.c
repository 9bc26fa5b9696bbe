/* fuzz_telnet.c — fuzz target: the Telnet transport's receive path. The input (after its first
 * byte) is what a device sends — option negotiation, subnegotiations, data, the login dialog —
 * written by a fake server into a socketpair in chunks (size from the first byte), then the
 * server closes its side. The transport (na_telnet_new_fd) is driven with open() and read() until
 * it reports EOF or an error, and writes a command once ready; what it sends back is drained and
 * discarded. Checks: no call blocks (the socket is non-blocking, the loop is bounded: a transport
 * that keeps saying AGAIN after the peer closed is a hang and aborts); read() never returns more
 * than asked; a failure always says why. First byte: bits 0-5 chunk size (0 = all at once),
 * bit 6 no username configured, bit 7 no password configured.
 * Not a test of negotiation answers (tests/unit/test_telnet_nego.c). */
#include "fuzz.h"

#include "telnet.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct server {
    int fd;
    const uint8_t *d;
    size_t n, off, chunk;
    bool closed;
} server;

/* Write the next chunk (all of it: the socket buffer holds far more than -max_len), or close
 * the sending side once everything is written. Returns true if something changed. */
static bool feed(server *sv)
{
    if (sv->closed)
        return false;
    if (sv->off >= sv->n) {
        shutdown(sv->fd, SHUT_WR);
        sv->closed = true;
        return true;
    }
    size_t k = sv->n - sv->off;
    if (sv->chunk && k > sv->chunk)
        k = sv->chunk;
    ssize_t w = send(sv->fd, sv->d + sv->off, k, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w <= 0) { /* full (cannot happen with bounded inputs): give up the rest */
        shutdown(sv->fd, SHUT_WR);
        sv->closed = true;
        return true;
    }
    sv->off += (size_t)w;
    return true;
}

static void drain(server *sv)
{
    char buf[4096];
    while (recv(sv->fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
        ;
}

int fuzz_telnet(const uint8_t *data, size_t size)
{
    fuzz_init();
    if (size < 1)
        return 0;
    unsigned cfg = data[0];
    na_conn_params p = {
        .name = "sw1",
        .host = "127.0.0.1",
        .username = (cfg & 0x40) ? NULL : "admin",
        .password = (cfg & 0x80) ? NULL : "fuzz-pass-1",
        .term_type = "xterm",
        .term_width = 132,
    };
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0)
        abort();
    int fl = fcntl(sp[1], F_GETFL);
    fcntl(sp[1], F_SETFL, fl | O_NONBLOCK);
    server sv = {.fd = sp[1], .d = data + 1, .n = size - 1, .chunk = cfg & 0x3f};
    na_err e = NA_ERR_INIT;
    na_transport *t = na_telnet_new_fd(&p, sp[0], &e);
    FUZZ_CHECK(t != NULL);
    FUZZ_CHECK(t->ops->fd(t) == sp[0]);

    /* every round either feeds the transport or must see it finish */
    size_t rounds = (sv.chunk ? sv.n / sv.chunk : 1) + 8;
    na_status st = NA_AGAIN;
    size_t r = 0;
    for (; r < rounds; r++) {
        st = t->ops->open(t, &e);
        drain(&sv);
        if (st != NA_AGAIN)
            break;
        FUZZ_CHECK(!na_err_isset(&e));
        if (!feed(&sv))
            break;
    }
    if (st == NA_AGAIN) { /* the peer closed: the next call must say how it ended */
        FUZZ_CHECK(sv.closed);
        st = t->ops->open(t, &e);
        FUZZ_CHECK(st != NA_AGAIN);
    }
    if (st == NA_ERROR)
        FUZZ_CHECK(na_err_isset(&e));

    if (st == NA_OK) {
        FUZZ_CHECK(t->info.phase == NA_PHASE_READY);
        na_err we = NA_ERR_INIT;
        if (t->ops->write(t, "show version\r\n\xff\r", 16, false, &we) == NA_ERROR)
            FUZZ_CHECK(na_err_isset(&we));
        char buf[777];
        for (r = 0; r < rounds + sv.n + 8; r++) {
            size_t got = 12345;
            na_err re = NA_ERR_INIT;
            st = t->ops->read(t, buf, sizeof buf, &got, &re);
            drain(&sv);
            if (st == NA_OK) {
                FUZZ_CHECK(got > 0 && got <= sizeof buf);
                continue;
            }
            FUZZ_CHECK(got == 0);
            if (st == NA_ERROR)
                FUZZ_CHECK(na_err_isset(&re));
            if (st != NA_AGAIN)
                break;
            if (!feed(&sv)) {
                /* peer closed and everything read: the next read must say so */
                st = t->ops->read(t, buf, sizeof buf, &got, &re);
                FUZZ_CHECK(st != NA_AGAIN);
                break;
            }
        }
        FUZZ_CHECK(st == NA_EOF || st == NA_ERROR); /* the loop bound was not what ended it */
        (void)t->ops->is_alive(t);
        (void)t->ops->want(t);
        na_err fe = NA_ERR_INIT;
        (void)t->ops->flush(t, &fe);
    }
    t->ops->close(t);
    t->ops->destroy(t);
    close(sp[1]);
    fuzz_done();
    return 0;
}

#ifdef NA_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_telnet(data, size);
}
#endif
