/* ssh_io.c — the socket layer under libssh2 for the SSH transport: our send/recv callbacks
 * (wire byte counts, the server's KEXINIT sniffed during negotiation, a tunnelled session carried
 * over its jump host's direct-tcpip channel, other sockets such as ssh-agent's passed through),
 * the output queue that lets libssh2 never see a partial send (see ssh_int.h), and channels
 * abandoned while closing. Not the set-up state machine (ssh.c). */
#include "ssh_int.h"

#include "clock.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

const char *na_ssh_last_error(LIBSSH2_SESSION *s)
{
    char *m = NULL;
    int len = 0;
    if (!s)
        return "";
    libssh2_session_last_error(s, &m, &len, 0);
    return m ? m : "";
}

/* ---- socket layer under libssh2 ---------------------------------------------------------- */

/* Push queued bytes of this hop only. 0 or -1 (connection failed). */
static int pump_one(na_ssh_conn *c)
{
    while (c->wire.len) {
        ssize_t n;
        if (c->jump) {
            if (!c->tunnel || !na_ssh_can_send(c->jump))
                return 0;
            size_t chunk = c->wire.len > 32768 ? 32768 : c->wire.len;
            n = libssh2_channel_write(c->tunnel, c->wire.data, chunk);
            if (n == 0 || n == LIBSSH2_ERROR_EAGAIN)
                return 0;
            if (n < 0) {
                c->wire_failed = true;
                c->wire_errno = ECONNRESET;
                return -1;
            }
        } else {
            n = send(c->sock, c->wire.data, c->wire.len, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK)
                    return 0;
                if (errno == EINTR)
                    continue;
                c->wire_failed = true;
                c->wire_errno = errno;
                return -1;
            }
        }
        c->t.info.wire_out += (uint64_t)n;
        na_buf_consume(&c->wire, (size_t)n);
    }
    if (c->wire.cap > ((size_t)16 << 10)) /* keep idle sessions small */
        na_buf_free(&c->wire);
    return 0;
}

int na_ssh_pump(na_ssh_conn *c, na_err *err)
{
    if (c->dead)
        return 0;
    if (c->jump && na_ssh_pump(c->jump, err) < 0)
        return -1;
    if (pump_one(c) < 0)
        return na_err_set(err, NA_E_CLOSED, "%s: connection lost while sending: %s", c->who,
                          strerror(c->wire_errno));
    if (c->jump && na_ssh_pump(c->jump, err) < 0)
        return -1;
    return 0;
}

bool na_ssh_can_send(const na_ssh_conn *c)
{
    for (; c; c = c->jump)
        if (c->wire.len >= WIRE_SOFT_MAX)
            return false;
    return true;
}

/* libssh2 also sends through these callbacks on other sockets (its ssh-agent client does):
 * those are passed through untouched. */
static ssize_t other_send(libssh2_socket_t fd, const void *buf, size_t len, int flags)
{
    ssize_t n = send(fd, buf, len, flags | MSG_NOSIGNAL);
    return n < 0 ? -errno : n;
}

static ssize_t other_recv(na_ssh_conn *c, libssh2_socket_t fd, void *buf, size_t len, int flags)
{
    /* ssh-agent's answers: it is a local process, but a stuck one must not hang us (libssh2's
     * agent client reads its socket blocking): wait for the data with the auth step's deadline */
    int64_t dl = c->auth.agent_deadline_ms;
    if (dl > 0) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int64_t left = dl - na_now_ms();
        int r;
        do
            r = poll(&p, 1, left > 0 ? (int)left : 0);
        while (r < 0 && errno == EINTR);
        if (r == 0) {
            c->auth.agent_stuck = true;
            return -ETIMEDOUT;
        }
    }
    ssize_t n = recv(fd, buf, len, flags);
    return n < 0 ? -errno : n;
}

LIBSSH2_SEND_FUNC(na_ssh_cb_send)
{
    na_ssh_conn *c = *abstract;
    if (socket != c->io_fd)
        return other_send(socket, buffer, length, flags);
    if (c->dead || c->wire_failed)
        return -EPIPE;
    if (!length)
        return 0;
    if (!c->wire.len && !c->jump) {
        ssize_t n;
        do
            n = send(c->sock, buffer, length, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            c->wire_failed = true;
            c->wire_errno = errno;
            return -errno;
        }
        if (n < 0)
            n = 0;
        c->t.info.wire_out += (uint64_t)n;
        if ((size_t)n == length)
            return n;
        buffer = (const char *)buffer + n;
        length -= (size_t)n;
        if (na_buf_append(&c->wire, buffer, length, NULL, NULL) < 0)
            return -ENOBUFS;
        return (ssize_t)length + n;
    }
    if (na_buf_append(&c->wire, buffer, length, NULL, NULL) < 0)
        return -ENOBUFS;
    pump_one(c); /* a failure shows on the next call */
    return (ssize_t)length;
}

/* What libssh2 is told when the server has closed the connection (recv() returned 0). While
 * setting up: 0, so it fails at once. Once ready: "nothing yet". libssh2's channel read (1.10 and
 * 1.11) drains the socket first and, on a receive error, returns it without handing out the
 * packets it just decrypted; a device that prints its last output and closes at once (reload, a
 * dropped line) would lose that output. With "nothing yet" the queued packets are delivered, and
 * the callers see peer_closed when nothing is left (ssh_read -> NA_EOF, exec/SCP -> error). */
static ssize_t at_end(const na_ssh_conn *c)
{
    return c->state == S_READY ? -EAGAIN : 0;
}

LIBSSH2_RECV_FUNC(na_ssh_cb_recv)
{
    na_ssh_conn *c = *abstract;
    if (socket != c->io_fd)
        return other_recv(c, socket, buffer, length, flags);
    if (c->dead)
        return -ECONNRESET;
    ssize_t n;
    if (c->jump) {
        if (!c->tunnel)
            return -ECONNRESET;
        pump_one(c);
        n = libssh2_channel_read(c->tunnel, buffer, length);
        if (n == LIBSSH2_ERROR_EAGAIN)
            return -EAGAIN;
        if (n == 0) {
            if (!libssh2_channel_eof(c->tunnel))
                return -EAGAIN;
            c->peer_closed = true;
            return at_end(c);
        }
        if (n < 0) {
            c->peer_closed = true;
            return -ECONNRESET;
        }
    } else {
        do
            n = recv(c->sock, buffer, length, 0);
        while (n < 0 && errno == EINTR);
        if (n == 0) {
            c->peer_closed = true;
            return at_end(c);
        }
        if (n < 0) {
            if (errno == ECONNRESET)
                c->peer_closed = true;
            return -errno;
        }
    }
    c->t.info.wire_in += (uint64_t)n;
    if (c->sniffing)
        na_ssh_algo_sniff(c, buffer, (size_t)n);
    return n;
}

/* ---- abandoned channels ------------------------------------------------------------------ */

void na_ssh_zombie(na_ssh_conn *c, LIBSSH2_CHANNEL *ch)
{
    if (!ch)
        return;
    if (c->dead || libssh2_channel_free(ch) != LIBSSH2_ERROR_EAGAIN)
        return;
    if (c->nzombie < MAX_ZOMBIES)
        c->zombie[c->nzombie++] = ch;
    /* else: the session frees it when it is destroyed */
}

void na_ssh_reap(na_ssh_conn *c)
{
    na_ssh_sftp_reap(c);
    for (int i = 0; i < c->nzombie;) {
        if (libssh2_channel_free(c->zombie[i]) == LIBSSH2_ERROR_EAGAIN) {
            i++;
            continue;
        }
        c->zombie[i] = c->zombie[--c->nzombie];
    }
}
