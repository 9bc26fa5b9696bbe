/* simload.c — load client for netauto-sim: N concurrent SSH sessions (libssh2, non-blocking,
 * one poll() loop), each to a different device from the simulator's ready file: connect, key
 * exchange, password login, PTY + shell, wait for the prompt, "terminal length 0", the command
 * (default "show vlan brief"), exit. Prints one line per session with its phase timings and a
 * summary; with --pid it also reports the simulator's CPU seconds and memory per session from
 * /proc. Exit status 0 only when every session completed. Not netauto's SSH transport: a
 * deliberately minimal client, the floor the real one is measured against.
 *
 *   simload --ready FILE [-n 200] [--user admin] [--password lab-pass-1]
 *           [--command 'show vlan brief'] [--expect 'VLAN Name'] [--timeout 60] [--pid PID]
 */
#include "clock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libssh2.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

enum { S_CONNECT, S_HANDSHAKE, S_AUTH, S_OPEN, S_PTY, S_SHELL, S_PROMPT, S_TERM, S_CMD, S_EXIT,
       S_DONE, S_FAILED };
enum { P_CONNECT, P_KEX, P_AUTH, P_SHELL, P_CMD, P__N };
static const char *const phase_names[P__N] = {"connect", "kex", "auth", "shell", "command"};

typedef struct sess {
    char name[64];
    char addr[64];
    int port;
    int fd;
    LIBSSH2_SESSION *ss;
    LIBSSH2_CHANNEL *ch;
    int state;
    char prompt[128];
    char *buf;
    size_t len, cap;
    size_t sent;              /* bytes of the pending line already written */
    const char *line;         /* line being written */
    int64_t t0, t_phase[P__N];
    int64_t phase_start;
    char err[160];
} sess;

static const char *opt_user = "admin", *opt_pass = "lab-pass-1";
static const char *opt_cmd = "show vlan brief", *opt_expect = "VLAN Name";

static void fail(sess *s, const char *what)
{
    if (s->state == S_FAILED)
        return;
    char *msg = NULL;
    if (s->ss)
        libssh2_session_last_error(s->ss, &msg, NULL, 0);
    snprintf(s->err, sizeof s->err, "%s%s%s", what, msg && *msg ? ": " : "", msg ? msg : "");
    s->state = S_FAILED;
}

static void phase_done(sess *s, int phase)
{
    int64_t now = na_now_us();
    s->t_phase[phase] = now - s->phase_start;
    s->phase_start = now;
}

static int start_connect(sess *s)
{
    s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (s->fd < 0)
        return -1;
    int one = 1;
    setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->port)};
    if (inet_pton(AF_INET, s->addr, &a.sin_addr) != 1)
        return -1;
    s->t0 = s->phase_start = na_now_us();
    if (connect(s->fd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS)
        return -1;
    s->state = S_CONNECT;
    return 0;
}

/* Append whatever the channel has; 0 = nothing now, 1 = got data, -1 = EOF/error. */
static int drain(sess *s)
{
    int got = 0;
    for (;;) {
        if (s->cap - s->len < 4096) {
            size_t cap = s->cap ? s->cap * 2 : 65536;
            char *p = realloc(s->buf, cap + 1);
            if (!p)
                return -1;
            s->buf = p;
            s->cap = cap;
        }
        ssize_t n = libssh2_channel_read(s->ch, s->buf + s->len, s->cap - s->len);
        if (n == LIBSSH2_ERROR_EAGAIN)
            return got;
        if (n < 0)
            return -1;
        if (n == 0)
            return libssh2_channel_eof(s->ch) ? -1 : got;
        s->len += (size_t)n;
        s->buf[s->len] = '\0';
        got = 1;
    }
}

static bool ends_with_prompt(sess *s)
{
    if (s->prompt[0]) {
        size_t pl = strlen(s->prompt);
        return s->len >= pl && memcmp(s->buf + s->len - pl, s->prompt, pl) == 0;
    }
    /* learn it: the text after the last line break, ending in > or # (maybe a space) */
    size_t e = s->len;
    if (e && s->buf[e - 1] == ' ')
        e--;
    if (!e || (s->buf[e - 1] != '>' && s->buf[e - 1] != '#'))
        return false;
    const char *nl = NULL;
    for (size_t i = s->len; i > 0; i--)
        if (s->buf[i - 1] == '\n') {
            nl = s->buf + i;
            break;
        }
    if (!nl)
        nl = s->buf;
    snprintf(s->prompt, sizeof s->prompt, "%s", nl);
    return true;
}

/* Write the pending line; 1 = all written, 0 = again later, -1 = error. */
static int write_line(sess *s)
{
    size_t l = strlen(s->line);
    while (s->sent < l) {
        ssize_t n = libssh2_channel_write(s->ch, s->line + s->sent, l - s->sent);
        if (n == LIBSSH2_ERROR_EAGAIN)
            return 0;
        if (n < 0)
            return -1;
        s->sent += (size_t)n;
    }
    return 1;
}

static void na_sess_send_line(sess *s, const char *line, int next)
{
    s->line = line;
    s->sent = 0;
    s->len = 0;
    if (s->buf)
        s->buf[0] = '\0';
    s->state = next;
}

static void step(sess *s)
{
    int rc;
    for (;;) {
        switch (s->state) {
        case S_CONNECT: {
            int err = 0;
            socklen_t el = sizeof err;
            getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &el);
            if (err) {
                snprintf(s->err, sizeof s->err, "connect: %s", strerror(err));
                s->state = S_FAILED;
                return;
            }
            struct pollfd p = {.fd = s->fd, .events = POLLOUT};
            if (poll(&p, 1, 0) != 1)
                return;
            phase_done(s, P_CONNECT);
            s->ss = libssh2_session_init();
            if (!s->ss)
                return fail(s, "session_init");
            libssh2_session_set_blocking(s->ss, 0);
            s->state = S_HANDSHAKE;
            break;
        }
        case S_HANDSHAKE:
            rc = libssh2_session_handshake(s->ss, s->fd);
            if (rc == LIBSSH2_ERROR_EAGAIN)
                return;
            if (rc)
                return fail(s, "handshake");
            phase_done(s, P_KEX);
            s->state = S_AUTH;
            break;
        case S_AUTH:
            rc = libssh2_userauth_password(s->ss, opt_user, opt_pass);
            if (rc == LIBSSH2_ERROR_EAGAIN)
                return;
            if (rc)
                return fail(s, "password authentication");
            phase_done(s, P_AUTH);
            s->state = S_OPEN;
            break;
        case S_OPEN:
            s->ch = libssh2_channel_open_session(s->ss);
            if (!s->ch) {
                if (libssh2_session_last_errno(s->ss) == LIBSSH2_ERROR_EAGAIN)
                    return;
                return fail(s, "channel open");
            }
            s->state = S_PTY;
            break;
        case S_PTY:
            rc = libssh2_channel_request_pty_ex(s->ch, "vt100", 5, NULL, 0, 200, 24, 0, 0);
            if (rc == LIBSSH2_ERROR_EAGAIN)
                return;
            if (rc)
                return fail(s, "pty request");
            s->state = S_SHELL;
            break;
        case S_SHELL:
            rc = libssh2_channel_shell(s->ch);
            if (rc == LIBSSH2_ERROR_EAGAIN)
                return;
            if (rc)
                return fail(s, "shell request");
            s->state = S_PROMPT;
            break;
        case S_PROMPT:
            if (drain(s) < 0)
                return fail(s, "EOF before the first prompt");
            if (!ends_with_prompt(s))
                return;
            phase_done(s, P_SHELL);
            na_sess_send_line(s, "terminal length 0\n", S_TERM);
            break;
        case S_TERM:
        case S_CMD:
            rc = write_line(s);
            if (rc < 0)
                return fail(s, "write");
            if (rc == 0)
                return;
            if (drain(s) < 0)
                return fail(s, "EOF while waiting for the prompt");
            if (!ends_with_prompt(s) || s->len <= strlen(s->line))
                return;
            if (s->state == S_TERM) {
                static char cmd[512];
                snprintf(cmd, sizeof cmd, "%s\n", opt_cmd);
                na_sess_send_line(s, cmd, S_CMD);
                break;
            }
            if (opt_expect && *opt_expect && !strstr(s->buf, opt_expect))
                return fail(s, "the command output lacks the expected text");
            phase_done(s, P_CMD);
            na_sess_send_line(s, "exit\n", S_EXIT);
            break;
        case S_EXIT:
            rc = write_line(s);
            if (rc == 0)
                return;
            s->state = S_DONE;
            return;
        default:
            return;
        }
    }
}

static short want_events(sess *s)
{
    if (s->state == S_CONNECT)
        return POLLOUT;
    int dir = s->ss ? libssh2_session_block_directions(s->ss) : 0;
    short ev = 0;
    if (dir & LIBSSH2_SESSION_BLOCK_INBOUND)
        ev |= POLLIN;
    if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
        ev |= POLLOUT;
    return ev ? ev : POLLIN;
}

static void finish(sess *s)
{
    /* blocking from here on: in non-blocking mode libssh2's free calls may return EAGAIN and
     * free nothing (the simulator reads everything, so this cannot hang on a live socket) */
    if (s->ss)
        libssh2_session_set_blocking(s->ss, 1);
    if (s->ch)
        libssh2_channel_free(s->ch);
    if (s->ss) {
        libssh2_session_disconnect(s->ss, "bye");
        libssh2_session_free(s->ss);
    }
    if (s->fd >= 0)
        close(s->fd);
    s->ch = NULL;
    s->ss = NULL;
    s->fd = -1;
}

/* ---- /proc of the simulator ------------------------------------------------------------ */

static double proc_cpu_s(long pid)
{
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    unsigned long ut = 0, st = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static long proc_kb(long pid, const char *field)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long v = -1;
    size_t fl = strlen(field);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, fl) == 0 && line[fl] == ':')
            v = strtol(line + fl + 1, NULL, 10);
    fclose(f);
    return v;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"ready", required_argument, NULL, 'r'}, {"user", required_argument, NULL, 'u'},
        {"password", required_argument, NULL, 'p'}, {"command", required_argument, NULL, 'c'},
        {"expect", required_argument, NULL, 'e'}, {"timeout", required_argument, NULL, 't'},
        {"pid", required_argument, NULL, 'P'}, {"quiet", no_argument, NULL, 'q'},
        {NULL, 0, NULL, 0}};
    const char *ready = NULL;
    int n = 200, timeout_s = 60, c;
    long pid = 0;
    bool quiet = false;
    while ((c = getopt_long(argc, argv, "n:q", lo, NULL)) != -1) {
        switch (c) {
        case 'r': ready = optarg; break;
        case 'n': n = atoi(optarg); break;
        case 'u': opt_user = optarg; break;
        case 'p': opt_pass = optarg; break;
        case 'c': opt_cmd = optarg; break;
        case 'e': opt_expect = optarg; break;
        case 't': timeout_s = atoi(optarg); break;
        case 'P': pid = atol(optarg); break;
        case 'q': quiet = true; break;
        default:
            fprintf(stderr, "usage: simload --ready FILE [-n N] [--user U] [--password P] "
                            "[--command C] [--expect TEXT] [--timeout S] [--pid PID] [-q]\n");
            return 2;
        }
    }
    if (!ready || n < 1) {
        fprintf(stderr, "simload: --ready FILE is required (and -n >= 1)\n");
        return 2;
    }
    FILE *f = fopen(ready, "r");
    if (!f) {
        fprintf(stderr, "simload: %s: %s\n", ready, strerror(errno));
        return 2;
    }
    sess *ss = calloc((size_t)n, sizeof *ss);
    int have = 0;
    char line[512];
    while (have < n && fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        char pers[16];
        int tport;
        sess *s = &ss[have];
        if (sscanf(line, "%63s %15s %63s %d %d", s->name, pers, s->addr, &s->port, &tport) == 5)
            have++;
    }
    fclose(f);
    if (have < n) {
        fprintf(stderr, "simload: %s lists %d devices, %d asked for\n", ready, have, n);
        return 2;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    libssh2_init(0);
    double cpu0 = pid ? proc_cpu_s(pid) : 0;
    long rss0 = pid ? proc_kb(pid, "VmRSS") : 0, rss_peak = rss0;
    int64_t t_start = na_now_us();
    for (int i = 0; i < n; i++)
        if (start_connect(&ss[i]) < 0) {
            snprintf(ss[i].err, sizeof ss[i].err, "connect: %s", strerror(errno));
            ss[i].state = S_FAILED;
        }
    struct pollfd *pf = calloc((size_t)n, sizeof *pf);
    int *idx = calloc((size_t)n, sizeof *idx);
    int64_t deadline = na_now_ms() + timeout_s * 1000LL;
    int64_t last_sample = 0;
    for (;;) {
        int np = 0;
        for (int i = 0; i < n; i++) {
            if (ss[i].state == S_DONE || ss[i].state == S_FAILED)
                continue;
            step(&ss[i]);
            if (ss[i].state == S_DONE || ss[i].state == S_FAILED)
                continue;
            pf[np].fd = ss[i].fd;
            pf[np].events = want_events(&ss[i]);
            pf[np].revents = 0;
            idx[np++] = i;
        }
        if (pid && na_now_ms() - last_sample > 20) {
            long r = proc_kb(pid, "VmRSS");
            if (r > rss_peak)
                rss_peak = r;
            last_sample = na_now_ms();
        }
        if (np == 0)
            break;
        if (na_now_ms() > deadline) {
            for (int k = 0; k < np; k++) {
                snprintf(ss[idx[k]].err, sizeof ss[idx[k]].err, "timed out in state %d",
                         ss[idx[k]].state);
                ss[idx[k]].state = S_FAILED;
            }
            break;
        }
        poll(pf, (nfds_t)np, 50);
    }
    int64_t wall = na_now_us() - t_start;
    double cpu1 = pid ? proc_cpu_s(pid) : 0;
    long rss1 = pid ? proc_kb(pid, "VmRSS") : 0;
    int ok = 0;
    int64_t *tot = calloc((size_t)n, sizeof *tot);
    for (int i = 0; i < n; i++) {
        sess *s = &ss[i];
        if (s->state == S_DONE) {
            int64_t sum = 0;
            for (int p = 0; p < P__N; p++)
                sum += s->t_phase[p];
            tot[ok++] = sum;
            if (!quiet) {
                printf("%s ok %.1f ms (", s->name, sum / 1000.0);
                for (int p = 0; p < P__N; p++)
                    printf("%s%s %.1f", p ? ", " : "", phase_names[p], s->t_phase[p] / 1000.0);
                printf(")\n");
            }
        } else {
            printf("%s FAILED: %s\n", s->name, s->err);
        }
        finish(s);
        free(s->buf);
    }
    qsort(tot, (size_t)ok, sizeof *tot, cmp_i64);
    if (ok)
        printf("summary: %d ok, %d failed, wall %.1f ms, per session ms: min %.1f p50 %.1f "
               "p95 %.1f max %.1f\n",
               ok, n - ok, wall / 1000.0, tot[0] / 1000.0, tot[ok / 2] / 1000.0,
               tot[(ok * 95) / 100 < ok ? (ok * 95) / 100 : ok - 1] / 1000.0,
               tot[ok - 1] / 1000.0);
    else
        printf("summary: 0 ok, %d failed, wall %.1f ms\n", n, wall / 1000.0);
    if (pid)
        printf("simulator: cpu %.3f s (%.2f ms/session), rss before %ld KiB, peak %ld KiB, after "
               "%ld KiB, (peak-before)/session %.1f KiB\n",
               cpu1 - cpu0, (cpu1 - cpu0) * 1000.0 / n, rss0, rss_peak, rss1,
               (double)(rss_peak - rss0) / n);
    free(tot);
    free(pf);
    free(idx);
    free(ss);
    libssh2_exit();
    return ok == n ? 0 : 1;
}
