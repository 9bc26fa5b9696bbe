/* delayproxy.c — a TCP relay that adds a fixed one-way delay to every byte in both directions,
 * so a round trip through it costs 2 x DELAY more. `make bench` uses it for the latency section
 * when the kernel has no netem qdisc (tc qdisc ... netem fails); with netem it is not used.
 * Each chunk read from one side is forwarded to the other side no earlier than DELAY after it was
 * read, in order; an end of stream is forwarded after the data before it. One ppoll() loop,
 * non-blocking sockets, TCP_NODELAY on both legs. Not netem: no loss, jitter, reordering or rate
 * limit, and TCP's own acknowledgements are not delayed (irrelevant for the small, request /
 * response traffic of a CLI session, which is what is measured).
 *
 *   delayproxy --delay-ms D --map LISTEN_PORT:TARGET_PORT [--map ...] [--host 127.0.0.1]
 *              [--ready FILE]
 * LISTEN_PORT 0 = the kernel picks one. The ready file gets one line per map,
 * "LISTEN_PORT TARGET_PORT", once every listener is up. Runs until SIGTERM / SIGINT. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_MAPS 16
#define MAX_CONNS 256
#define CHUNK 65536
#define MAX_QUEUED (16u << 20) /* per direction; past it the relay stops reading that side */

typedef struct chunk {
    struct chunk *next;
    int64_t due_ns;
    size_t len, off;
    bool eof; /* forward an end of stream (no data) */
    char data[];
} chunk;

typedef struct dir {
    int from, to;
    chunk *head, *tail;
    size_t queued;
    bool read_eof, done;
} dir;

typedef struct conn {
    bool used;
    dir d[2]; /* 0: client -> target, 1: target -> client */
} conn;

static int64_t delay_ns;
static const char *host = "127.0.0.1";
static int nmaps, lfd[MAX_MAPS], lport[MAX_MAPS], tport[MAX_MAPS];
static conn conns[MAX_CONNS];
static volatile sig_atomic_t stop;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void nodelay_nonblock(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static void conn_close(conn *c)
{
    for (int i = 0; i < 2; i++) {
        chunk *k = c->d[i].head;
        while (k) {
            chunk *n = k->next;
            free(k);
            k = n;
        }
    }
    close(c->d[0].from);
    close(c->d[0].to);
    memset(c, 0, sizeof *c);
}

static void accept_one(int li)
{
    int cfd = accept(lfd[li], NULL, NULL);
    if (cfd < 0)
        return;
    conn *c = NULL;
    for (int i = 0; i < MAX_CONNS && !c; i++)
        if (!conns[i].used)
            c = &conns[i];
    int tfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)tport[li])};
    inet_pton(AF_INET, host, &a.sin_addr);
    /* a blocking connect on loopback: immediate (refused or accepted by the listen queue) */
    if (!c || tfd < 0 || connect(tfd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(cfd);
        if (tfd >= 0)
            close(tfd);
        return;
    }
    nodelay_nonblock(cfd);
    nodelay_nonblock(tfd);
    c->used = true;
    c->d[0] = (dir){.from = cfd, .to = tfd};
    c->d[1] = (dir){.from = tfd, .to = cfd};
}

static void push(dir *d, const char *p, size_t n, bool eof)
{
    chunk *k = malloc(sizeof *k + n);
    if (!k) {
        fprintf(stderr, "delayproxy: out of memory\n");
        exit(1);
    }
    *k = (chunk){.due_ns = now_ns() + delay_ns, .len = n, .eof = eof};
    memcpy(k->data, p, n);
    if (d->tail)
        d->tail->next = k;
    else
        d->head = k;
    d->tail = k;
    d->queued += n;
}

/* Read what is there; false = the connection is broken. */
static bool dir_read(dir *d)
{
    char buf[CHUNK];
    ssize_t n = recv(d->from, buf, sizeof buf, 0);
    if (n > 0) {
        push(d, buf, (size_t)n, false);
        return true;
    }
    if (n == 0) {
        d->read_eof = true;
        push(d, "", 0, true);
        return true;
    }
    return errno == EAGAIN || errno == EINTR;
}

/* Forward every chunk that is due; false = the connection is broken. */
static bool dir_write(dir *d, int64_t now)
{
    while (d->head && d->head->due_ns <= now) {
        chunk *k = d->head;
        if (k->eof) {
            shutdown(d->to, SHUT_WR);
            d->done = true;
        } else {
            while (k->off < k->len) {
                ssize_t w = send(d->to, k->data + k->off, k->len - k->off, MSG_NOSIGNAL);
                if (w < 0 && (errno == EAGAIN || errno == EINTR))
                    return true;
                if (w <= 0)
                    return false;
                k->off += (size_t)w;
            }
        }
        d->head = k->next;
        if (!d->head)
            d->tail = NULL;
        d->queued -= k->len;
        free(k);
    }
    return true;
}

static int listen_on(int port, int *bound)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    socklen_t al = sizeof a;
    if (fd < 0 || inet_pton(AF_INET, host, &a.sin_addr) != 1)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 64) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &al) < 0) {
        close(fd);
        return -1;
    }
    *bound = ntohs(a.sin_port);
    return fd;
}

static int usage(void)
{
    fprintf(stderr, "usage: delayproxy --delay-ms D --map LISTEN_PORT:TARGET_PORT [--map ...] "
                    "[--host ADDR] [--ready FILE]\n");
    return 2;
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {{"delay-ms", required_argument, NULL, 'd'},
                                       {"map", required_argument, NULL, 'm'},
                                       {"host", required_argument, NULL, 'h'},
                                       {"ready", required_argument, NULL, 'r'},
                                       {NULL, 0, NULL, 0}};
    const char *ready = NULL;
    double delay_ms = -1;
    int c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'd': delay_ms = atof(optarg); break;
        case 'h': host = optarg; break;
        case 'r': ready = optarg; break;
        case 'm':
            if (nmaps == MAX_MAPS || sscanf(optarg, "%d:%d", &lport[nmaps], &tport[nmaps]) != 2)
                return usage();
            nmaps++;
            break;
        default: return usage();
        }
    }
    if (delay_ms < 0 || !nmaps || optind != argc)
        return usage();
    delay_ns = (int64_t)(delay_ms * 1e6);
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    for (int i = 0; i < nmaps; i++)
        if ((lfd[i] = listen_on(lport[i], &lport[i])) < 0) {
            fprintf(stderr, "delayproxy: cannot listen on %s:%d: %s\n", host, lport[i],
                    strerror(errno));
            return 1;
        }
    if (ready) {
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s.tmp", ready);
        FILE *f = fopen(tmp, "w");
        if (!f)
            return 1;
        for (int i = 0; i < nmaps; i++)
            fprintf(f, "%d %d\n", lport[i], tport[i]);
        if (fclose(f) || rename(tmp, ready))
            return 1;
    }
    static struct pollfd pf[MAX_MAPS + 2 * MAX_CONNS];
    static conn *pconn[MAX_CONNS];
    while (!stop) {
        int np = nmaps, nc = 0;
        int64_t now = now_ns(), next = -1;
        for (int i = 0; i < nmaps; i++)
            pf[i] = (struct pollfd){.fd = lfd[i], .events = POLLIN};
        for (int i = 0; i < MAX_CONNS; i++) {
            if (!conns[i].used)
                continue;
            pconn[nc++] = &conns[i];
            for (int k = 0; k < 2; k++) {
                dir *d = &conns[i].d[k];
                struct pollfd *p = &pf[np++];
                *p = (struct pollfd){.fd = d->from, .events = 0};
                if (d->head && d->head->due_ns <= now) {
                    /* partly written: wait for room; reading resumes once it is out */
                    p->fd = d->to;
                    p->events = POLLOUT;
                    continue;
                }
                if (d->head && (next < 0 || d->head->due_ns < next))
                    next = d->head->due_ns;
                if (!d->read_eof && d->queued < MAX_QUEUED)
                    p->events = POLLIN;
                else
                    p->fd = -1; /* nothing to wait for on this side */
            }
        }
        struct timespec ts, *tsp = NULL;
        if (next >= 0) {
            int64_t w = next > now ? next - now : 0;
            ts.tv_sec = w / 1000000000LL;
            ts.tv_nsec = w % 1000000000LL;
            tsp = &ts;
        }
        if (ppoll(pf, (nfds_t)np, tsp, NULL) < 0 && errno != EINTR)
            break;
        now = now_ns();
        for (int j = 0; j < nc; j++) {
            conn *cn = pconn[j];
            bool ok = true;
            for (int k = 0; k < 2 && ok; k++) {
                struct pollfd *p = &pf[nmaps + 2 * j + k];
                if ((p->events & POLLIN) && (p->revents & (POLLIN | POLLHUP | POLLERR)))
                    ok = dir_read(&cn->d[k]);
                if (ok)
                    ok = dir_write(&cn->d[k], now);
            }
            if (!ok || (cn->d[0].done && cn->d[1].done))
                conn_close(cn);
        }
        for (int i = 0; i < nmaps; i++)
            if (pf[i].revents & POLLIN)
                accept_one(i);
    }
    for (int i = 0; i < MAX_CONNS; i++)
        if (conns[i].used)
            conn_close(&conns[i]);
    for (int i = 0; i < nmaps; i++)
        close(lfd[i]);
    return 0;
}
