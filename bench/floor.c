/* floor.c — the performance floor: the least a client on the same libraries (libssh2,
 * libtelnet) must do to run a list of lines on a device. Connect (TCP_NODELAY), log in (SSH
 * password + PTY + shell, or Telnet's Username/Password dialog), then for each line: write it,
 * read until the buffer ends with the device's prompt (a suffix check: the last line starts with
 * the known hostname and ends in '>' or '#'; "Password: " is answered with the enable secret),
 * then close. Blocking I/O, one connection, no sleeps, no probes, no host-key check, no pattern
 * engine, no ANSI/pager handling, no output kept except for one --expect check at the end.
 * Not a tool: it exists so `make bench` can report netauto's overhead over the minimum.
 *
 *   floor --port N [--host 127.0.0.1] [--telnet] [--user U] [--password P] [--secret S]
 *         [--hostname sw1] [--timeout SEC] [--expect TEXT] (-c LINE | -f FILE)...
 * Prints one JSON line: {"ok":true,"login_ms":..,"lines_ms":..,"total_ms":..,"lines":N,
 * "bytes_in":N}. Exit 0 when every line got its prompt (and --expect was found in the output
 * of the last line), 1 otherwise (the reason on stderr), 2 for usage errors. */
#include "clock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <libssh2.h>
#include <libtelnet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_LINES 100000
#define BUF_MAX (64u << 20) /* a reply larger than 64 MiB is an error */

static struct {
    const char *host, *user, *pass, *secret, *hostname, *expect;
    int port, timeout_ms;
    bool telnet;
} opt = {"127.0.0.1", "admin", "lab-pass-1", "lab-enable-1", "sw1", NULL, 0, 30000, false};

static int fd = -1;
static LIBSSH2_SESSION *ss;
static LIBSSH2_CHANNEL *ch;
static telnet_t *tel;
static char *buf; /* data received since the last line was written */
static size_t len, cap;
static unsigned long long bytes_in;
static int64_t deadline;

static void die(const char *what)
{
    char *msg = NULL;
    if (ss)
        libssh2_session_last_error(ss, &msg, NULL, 0);
    fprintf(stderr, "floor: %s%s%s\n", what, msg && *msg ? ": " : "", msg && *msg ? msg : "");
    exit(1);
}

static void append(const char *p, size_t n)
{
    if (len + n + 1 > cap) {
        size_t c = cap ? cap : 65536;
        while (c < len + n + 1)
            c *= 2;
        if (c > BUF_MAX)
            die("reply too large");
        if (!(buf = realloc(buf, c)))
            die("out of memory");
        cap = c;
    }
    memcpy(buf + len, p, n);
    len += n;
    buf[len] = '\0';
    bytes_in += n;
}

/* ---- Telnet: libtelnet as the protocol, our blocking socket ---- */

static const telnet_telopt_t telopts[] = {
    {TELNET_TELOPT_ECHO, TELNET_WONT, TELNET_DO},
    {TELNET_TELOPT_SGA, TELNET_WILL, TELNET_DO},
    {-1, 0, 0},
};

static void send_all(const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            die("send");
        p += w;
        n -= (size_t)w;
    }
}

static void on_telnet(telnet_t *t, telnet_event_t *ev, void *ud)
{
    (void)t, (void)ud;
    if (ev->type == TELNET_EV_DATA)
        append(ev->data.buffer, ev->data.size);
    else if (ev->type == TELNET_EV_SEND)
        send_all(ev->data.buffer, ev->data.size);
    else if (ev->type == TELNET_EV_ERROR)
        die(ev->error.msg);
}

/* ---- reading and writing for either transport ---- */

static void wait_fd(short events)
{
    int64_t left = deadline - na_now_ms();
    if (left <= 0)
        die("timed out waiting for the prompt");
    struct pollfd p = {.fd = fd, .events = events};
    if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
        die("poll");
}

static void receive(void)
{
    char tmp[16384];
    if (opt.telnet) {
        wait_fd(POLLIN);
        ssize_t n = recv(fd, tmp, sizeof tmp, MSG_DONTWAIT);
        if (n == 0)
            die("connection closed");
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                return;
            die("recv");
        }
        telnet_recv(tel, tmp, (size_t)n);
        return;
    }
    bool got = false;
    for (;;) {
        ssize_t n = libssh2_channel_read(ch, tmp, sizeof tmp);
        if (n > 0) {
            append(tmp, (size_t)n);
            got = true;
            continue; /* drain what libssh2 already has */
        }
        if (n == LIBSSH2_ERROR_EAGAIN) {
            if (!got) {
                int dir = libssh2_session_block_directions(ss);
                wait_fd((short)((dir & LIBSSH2_SESSION_BLOCK_OUTBOUND ? POLLOUT : 0) | POLLIN));
            }
            return;
        }
        if (n == 0 && !libssh2_channel_eof(ch))
            return;
        die(n == 0 ? "channel closed" : "channel read");
    }
}

static void write_line(const char *line)
{
    len = 0;
    if (buf)
        buf[0] = '\0';
    size_t n = strlen(line);
    if (opt.telnet) {
        char tmp[8192];
        if (n + 2 > sizeof tmp)
            die("line too long");
        memcpy(tmp, line, n);
        memcpy(tmp + n, "\r\n", 2);
        telnet_send(tel, tmp, n + 2); /* one send() per line */
        return;
    }
    char tmp[8192];
    if (n + 1 > sizeof tmp)
        die("line too long");
    memcpy(tmp, line, n);
    tmp[n] = '\n';
    size_t off = 0;
    while (off < n + 1) {
        ssize_t w = libssh2_channel_write(ch, tmp + off, n + 1 - off);
        if (w == LIBSSH2_ERROR_EAGAIN) {
            wait_fd(POLLOUT | POLLIN);
            continue;
        }
        if (w < 0)
            die("channel write");
        off += (size_t)w;
    }
}

static bool ends_with(const char *s)
{
    size_t l = strlen(s);
    return len >= l && memcmp(buf + len - l, s, l) == 0;
}

/* The buffer ends with a prompt: its last line starts with the hostname and ends in > or #
 * (maybe followed by one space). */
static bool at_prompt(void)
{
    size_t e = len;
    if (e && buf[e - 1] == ' ')
        e--;
    if (!e || (buf[e - 1] != '#' && buf[e - 1] != '>'))
        return false;
    size_t b = e;
    while (b && buf[b - 1] != '\n' && buf[b - 1] != '\r')
        b--;
    size_t hl = strlen(opt.hostname);
    return e - b > hl && memcmp(buf + b, opt.hostname, hl) == 0;
}

/* Read until the prompt, answering "Password: " (enable) with the secret. */
static void wait_prompt(void)
{
    for (;;) {
        if (at_prompt())
            return;
        if (ends_with("Password: ")) {
            write_line(opt.secret);
            continue;
        }
        receive();
    }
}

/* ---- connection set-up ---- */

static void tcp_connect(void)
{
    fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)opt.port)};
    if (fd < 0 || inet_pton(AF_INET, opt.host, &a.sin_addr) != 1)
        die("socket / address");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
        die("connect");
}

static void login_telnet(void)
{
    tel = telnet_init(telopts, on_telnet, 0, NULL);
    if (!tel)
        die("telnet_init");
    while (!ends_with("Username: "))
        receive();
    write_line(opt.user);
    while (!ends_with("Password: "))
        receive();
    write_line(opt.pass);
    while (!at_prompt())
        receive();
}

static void login_ssh(void)
{
    if (libssh2_init(0))
        die("libssh2_init");
    if (!(ss = libssh2_session_init()))
        die("session_init");
    libssh2_session_set_blocking(ss, 1);
    libssh2_session_set_timeout(ss, opt.timeout_ms);
    if (libssh2_session_handshake(ss, fd))
        die("handshake");
    if (libssh2_userauth_password(ss, opt.user, opt.pass))
        die("password authentication");
    if (!(ch = libssh2_channel_open_session(ss)))
        die("channel open");
    if (libssh2_channel_request_pty_ex(ch, "vt100", 5, NULL, 0, 511, 24, 0, 0))
        die("pty request");
    if (libssh2_channel_shell(ch))
        die("shell request");
    libssh2_session_set_blocking(ss, 0); /* reads: take what is there, poll() for the rest */
    while (!at_prompt())
        receive();
}

static void close_all(void)
{
    if (ss) {
        libssh2_session_set_blocking(ss, 1);
        libssh2_channel_free(ch);
        libssh2_session_disconnect(ss, "bye");
        libssh2_session_free(ss);
        libssh2_exit();
    }
    if (tel)
        telnet_free(tel);
    close(fd);
    free(buf);
}

/* ---- the script ---- */

static char **lines;
static size_t nlines;

static void add_line(const char *l)
{
    if (nlines >= MAX_LINES || !(lines[nlines] = strdup(l))) {
        fprintf(stderr, "floor: too many lines\n");
        exit(2);
    }
    nlines++;
}

static void add_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "floor: %s: %s\n", path, strerror(errno));
        exit(2);
    }
    char l[8192];
    while (fgets(l, sizeof l, f)) {
        l[strcspn(l, "\r\n")] = '\0';
        if (*l)
            add_line(l);
    }
    fclose(f);
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"host", required_argument, NULL, 'H'}, {"port", required_argument, NULL, 'P'},
        {"telnet", no_argument, NULL, 'T'}, {"user", required_argument, NULL, 'u'},
        {"password", required_argument, NULL, 'p'}, {"secret", required_argument, NULL, 's'},
        {"hostname", required_argument, NULL, 'n'}, {"timeout", required_argument, NULL, 't'},
        {"expect", required_argument, NULL, 'e'}, {NULL, 0, NULL, 0}};
    if (!(lines = calloc(MAX_LINES, sizeof *lines)))
        return 2;
    int c;
    while ((c = getopt_long(argc, argv, "c:f:", lo, NULL)) != -1) {
        switch (c) {
        case 'H': opt.host = optarg; break;
        case 'P': opt.port = atoi(optarg); break;
        case 'T': opt.telnet = true; break;
        case 'u': opt.user = optarg; break;
        case 'p': opt.pass = optarg; break;
        case 's': opt.secret = optarg; break;
        case 'n': opt.hostname = optarg; break;
        case 't': opt.timeout_ms = atoi(optarg) * 1000; break;
        case 'e': opt.expect = optarg; break;
        case 'c': add_line(optarg); break;
        case 'f': add_file(optarg); break;
        default:
            fprintf(stderr, "usage: floor --port N [--host H] [--telnet] [--user U] "
                            "[--password P] [--secret S] [--hostname NAME] [--timeout SEC] "
                            "[--expect TEXT] (-c LINE | -f FILE)...\n");
            return 2;
        }
    }
    if (opt.port <= 0 || optind != argc || opt.timeout_ms <= 0) {
        fprintf(stderr, "floor: --port N is required; lines go in -c/-f\n");
        return 2;
    }
    int64_t t0 = na_now_us();
    deadline = na_now_ms() + opt.timeout_ms;
    tcp_connect();
    if (opt.telnet)
        login_telnet();
    else
        login_ssh();
    int64_t t1 = na_now_us();
    for (size_t i = 0; i < nlines; i++) {
        deadline = na_now_ms() + opt.timeout_ms;
        write_line(lines[i]);
        wait_prompt();
    }
    if (opt.expect && !(buf && strstr(buf, opt.expect))) {
        fprintf(stderr, "floor: the output of the last line lacks '%s'\n", opt.expect);
        return 1;
    }
    int64_t t2 = na_now_us();
    close_all();
    int64_t t3 = na_now_us();
    printf("{\"ok\":true,\"login_ms\":%.3f,\"lines_ms\":%.3f,\"total_ms\":%.3f,\"lines\":%zu,"
           "\"bytes_in\":%llu}\n",
           (t1 - t0) / 1000.0, (t2 - t1) / 1000.0, (t3 - t0) / 1000.0, nlines, bytes_in);
    for (size_t i = 0; i < nlines; i++)
        free(lines[i]);
    free(lines);
    return 0;
}
