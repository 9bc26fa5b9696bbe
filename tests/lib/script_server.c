/* script_server.c — one-connection scripted TCP server in a thread (see script_server.h).
 * Uses poll() with a stop pipe so ss_finish() can always end it; never an endless wait. Not a
 * general server: one client, one script. */
#include "script_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RECV_MAX ((size_t)4 << 20)

struct ss_server {
    const ss_step *steps;
    int expect_ms;
    int lfd, cfd;
    int stop[2];
    int port;
    pthread_t th;
    char *got;
    size_t got_len, got_cap;
    int done; /* every step ran */
    char why[256];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int settled; /* the script finished or failed: nothing more will be asked of the client */
};

static void settle(ss_server *s)
{
    pthread_mutex_lock(&s->mu);
    s->settled = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_why(ss_server *s, const char *fmt, ...)
{
    if (s->why[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->why, sizeof s->why, fmt, ap);
    va_end(ap);
}

/* Wait for the client socket (or the listener) to be readable. 1 readable, 0 timeout,
 * -1 stopped. timeout_ms < 0: no timeout. */
static int wait_fd(ss_server *s, int fd, int timeout_ms)
{
    struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = s->stop[0], .events = POLLIN}};
    for (;;) {
        int r = poll(p, 2, timeout_ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 || (p[1].revents & POLLIN))
            return -1;
        return r > 0 ? 1 : 0;
    }
}

/* Receive once into the record. 1 got bytes, 0 peer closed, -1 error. */
static int recv_some(ss_server *s)
{
    char buf[8192];
    ssize_t r = recv(s->cfd, buf, sizeof buf, 0);
    if (r < 0)
        return errno == EINTR ? 1 : -1;
    if (r == 0)
        return 0;
    if (s->got_len + (size_t)r > RECV_MAX)
        return -1;
    if (s->got_len + (size_t)r + 1 > s->got_cap) { /* +1: kept NUL-terminated */
        size_t cap = s->got_cap ? s->got_cap * 2 : 4096;
        while (cap < s->got_len + (size_t)r + 1)
            cap *= 2;
        char *g = realloc(s->got, cap);
        if (!g)
            return -1;
        s->got = g;
        s->got_cap = cap;
    }
    memcpy(s->got + s->got_len, buf, (size_t)r);
    s->got_len += (size_t)r;
    s->got[s->got_len] = '\0';
    return 1;
}

static const char *find(const char *h, size_t hn, const char *n, size_t nn)
{
    if (nn == 0)
        return h;
    for (size_t i = 0; i + nn <= hn; i++)
        if (memcmp(h + i, n, nn) == 0)
            return h + i;
    return NULL;
}

static void run_script(ss_server *s)
{
    if (wait_fd(s, s->lfd, -1) != 1)
        return;
    s->cfd = accept(s->lfd, NULL, NULL);
    if (s->cfd < 0) {
        set_why(s, "accept: %s", strerror(errno));
        return;
    }
    size_t matched = 0; /* EXPECT searches from here */
    for (const ss_step *st = s->steps;; st++) {
        switch (st->op) {
        case SS_OP_SEND: {
            size_t off = 0;
            while (off < st->len) {
                ssize_t w = send(s->cfd, st->data + off, st->len - off, MSG_NOSIGNAL);
                if (w < 0 && errno == EINTR)
                    continue;
                if (w <= 0) {
                    set_why(s, "step %d: send failed: %s", (int)(st - s->steps),
                            strerror(errno));
                    return;
                }
                off += (size_t)w;
            }
            break;
        }
        case SS_OP_EXPECT: {
            long long end = now_ms() + s->expect_ms;
            for (;;) {
                const char *base = s->got ? s->got + matched : "";
                const char *at = find(base, s->got_len - matched, st->data, st->len);
                if (at) {
                    matched += (size_t)(at - base) + st->len;
                    break;
                }
                long long left = end - now_ms();
                int w = left > 0 ? wait_fd(s, s->cfd, (int)left) : 0;
                if (w <= 0) {
                    set_why(s, "step %d: %s waiting for %zu expected bytes",
                            (int)(st - s->steps), w == 0 ? "timed out" : "stopped", st->len);
                    return;
                }
                int r = recv_some(s);
                if (r <= 0) {
                    set_why(s, "step %d: client %s while waiting for expected bytes",
                            (int)(st - s->steps), r == 0 ? "closed" : "failed");
                    return;
                }
            }
            break;
        }
        case SS_OP_PAUSE: {
            long long end = now_ms() + (long long)st->len, left;
            while ((left = end - now_ms()) > 0) {
                int w = wait_fd(s, s->cfd, (int)left);
                if (w < 0)
                    return;
                if (w == 1 && recv_some(s) <= 0) {
                    set_why(s, "step %d: client closed during a pause", (int)(st - s->steps));
                    return;
                }
            }
            break;
        }
        case SS_OP_CLOSE:
            close(s->cfd);
            s->cfd = -1;
            s->done = 1;
            return;
        case SS_OP_END:
        default:
            s->done = 1;
            settle(s);
            /* keep recording until the client closes or we are stopped */
            while (wait_fd(s, s->cfd, -1) == 1 && recv_some(s) == 1)
                ;
            return;
        }
    }
}

static void *serve(void *arg)
{
    ss_server *s = arg;
    run_script(s);
    settle(s);
    return NULL;
}

ss_server *ss_start(const ss_step *steps, int expect_ms)
{
    ss_server *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->steps = steps;
    s->expect_ms = expect_ms;
    s->cfd = -1;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof a;
    if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(s->lfd, 4) != 0 || getsockname(s->lfd, (struct sockaddr *)&a, &l) != 0 ||
        pipe(s->stop) != 0) {
        if (s->lfd >= 0)
            close(s->lfd);
        free(s);
        return NULL;
    }
    s->port = ntohs(a.sin_port);
    if (pthread_create(&s->th, NULL, serve, s) != 0) {
        close(s->lfd);
        close(s->stop[0]);
        close(s->stop[1]);
        free(s);
        return NULL;
    }
    return s;
}

int ss_port(const ss_server *s) { return s->port; }

int ss_finish(ss_server *s, char *why, size_t cap, char **got, size_t *got_len)
{
    /* let a script that is still running finish first (bounded by expect_ms) */
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += s->expect_ms / 1000 + 1;
    pthread_mutex_lock(&s->mu);
    while (!s->settled && pthread_cond_timedwait(&s->cv, &s->mu, &until) == 0)
        ;
    pthread_mutex_unlock(&s->mu);
    ssize_t w = write(s->stop[1], "x", 1);
    (void)w;
    pthread_join(s->th, NULL);
    if (s->cfd >= 0)
        close(s->cfd);
    close(s->lfd);
    close(s->stop[0]);
    close(s->stop[1]);
    int rc = s->done ? 0 : -1;
    if (!s->done && !s->why[0])
        set_why(s, "the client never connected");
    if (why && cap)
        snprintf(why, cap, "%s", s->done ? "" : s->why);
    if (got) {
        *got = s->got ? s->got : calloc(1, 1);
        s->got = NULL;
        if (got_len)
            *got_len = s->got_len;
    }
    free(s->got);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
    return rc;
}
