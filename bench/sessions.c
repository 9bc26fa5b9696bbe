/* sessions.c — memory of concurrent sessions, measured on netauto's driver (drivers/session.h):
 * N sessions to N simulated devices (the simulator's ready file), all opened at once from one
 * poll() loop with the driver's start/step interface, each running one command; only when every
 * session is open and has its output is the process's RSS read, so exactly N sessions are open
 * at that moment. The first session runs alone before the others (library set-up lands in the
 * baseline). Reports (RSS with N open - RSS with 1 open) / (N - 1): what one more open
 * session costs, without the runner's per-host bookkeeping and results (the fleet benchmark
 * measures those end to end). Strict host-key checking against the simulator's known_hosts, as
 * in a real run. Not a load generator for the simulator (bench/simload is).
 *
 *   sessions --ready FILE --known-hosts FILE [-n N] [--telnet] [--command CMD] [--timeout SEC]
 * Prints one JSON line: {"ok":N,"failed":F,"sessions":N,"rss_one_open_kb":..,
 * "rss_all_open_kb":..,"kib_per_session":..,"open_ms":..}. Exit 0 when every session opened and ran the command. */
#include "clock.h"
#include "platform.h"
#include "session.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

typedef struct dev {
    char name[64], addr[64];
    int ssh_port, telnet_port;
    na_conn_params params;
    na_session *s;
    int state; /* 0 opening, 1 command, 2 done, 3 failed */
} dev;

static long rss_kb(void)
{
    char line[256];
    long v = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &v) == 1)
            break;
    fclose(f);
    return v;
}

static void fail(dev *d, const na_err *e)
{
    fprintf(stderr, "sessions: %s: %s\n", d->name, e->msg);
    d->state = 3;
}

/* One step of d; starts the command once open. */
static void step(dev *d, const char *cmd)
{
    na_err e = NA_ERR_INIT;
    na_status st = na_session_step(d->s, &e);
    if (st == NA_AGAIN)
        return;
    if (st == NA_ERROR) {
        fail(d, &e);
        return;
    }
    na_result r;
    na_session_take_result(d->s, &r);
    na_result_free(&r);
    if (d->state == 0) {
        d->state = 1;
        if (na_session_start_command(d->s, cmd, NULL, &e) < 0)
            fail(d, &e);
    } else {
        d->state = 2; /* stays open */
    }
}

static void start_all(dev *ds, int from, int to, const na_platform *plat, const char *kh,
                      na_transport_kind kind)
{
    for (int i = from; i < to; i++) {
        dev *d = &ds[i];
        d->params = (na_conn_params){
            .name = d->name, .host = d->addr,
            .port = kind == NA_TRANSPORT_SSH ? d->ssh_port : d->telnet_port,
            .username = "admin", .password = "lab-pass-1", .known_hosts = kh,
            .host_key_policy = NA_HOSTKEY_STRICT};
        na_session_opts so = {.secret = "lab-enable-1"};
        na_err e = NA_ERR_INIT;
        na_transport *t = na_transport_new(kind, &d->params, &e);
        d->s = t ? na_session_new(t, plat, &so, &e) : NULL;
        if (!d->s || na_session_start_open(d->s, &e) < 0)
            fail(d, &e);
    }
}

/* Step sessions [0, n) until each is done or failed, or the deadline passes. */
static void drive(dev *ds, int n, const char *cmd, struct pollfd *pf, int *idx, int64_t deadline)
{
    for (;;) {
        int np = 0;
        int64_t now = na_now_ms(), next = -1;
        for (int i = 0; i < n; i++) {
            dev *d = &ds[i];
            if (d->state >= 2)
                continue;
            int64_t dl = na_session_deadline(d->s);
            if (dl && dl <= now) {
                step(d, cmd);
                if (d->state >= 2)
                    continue;
                dl = na_session_deadline(d->s);
            }
            if (dl && (next < 0 || dl < next))
                next = dl;
            int w = na_session_want(d->s);
            pf[np] = (struct pollfd){.fd = na_session_fd(d->s),
                                     .events = (short)((w & NA_WANT_READ ? POLLIN : 0) |
                                                       (w & NA_WANT_WRITE ? POLLOUT : 0))};
            idx[np++] = i;
        }
        if (!np)
            return;
        if (now > deadline) {
            for (int k = 0; k < np; k++) {
                fprintf(stderr, "sessions: %s: timed out\n", ds[idx[k]].name);
                ds[idx[k]].state = 3;
            }
            return;
        }
        int wait_ms = next < 0 ? 1000 : (int)(next > now ? next - now : 0);
        if (poll(pf, (nfds_t)np, wait_ms) < 0 && errno != EINTR)
            return;
        for (int k = 0; k < np; k++)
            if (pf[k].revents)
                step(&ds[idx[k]], cmd);
    }
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"ready", required_argument, NULL, 'r'}, {"known-hosts", required_argument, NULL, 'k'},
        {"telnet", no_argument, NULL, 'T'}, {"command", required_argument, NULL, 'c'},
        {"timeout", required_argument, NULL, 't'}, {NULL, 0, NULL, 0}};
    const char *ready = NULL, *kh = NULL, *cmd = "show vlan brief";
    int n = 100, timeout_s = 120, c;
    na_transport_kind kind = NA_TRANSPORT_SSH;
    while ((c = getopt_long(argc, argv, "n:", lo, NULL)) != -1) {
        switch (c) {
        case 'r': ready = optarg; break;
        case 'k': kh = optarg; break;
        case 'n': n = atoi(optarg); break;
        case 'T': kind = NA_TRANSPORT_TELNET; break;
        case 'c': cmd = optarg; break;
        case 't': timeout_s = atoi(optarg); break;
        default: goto usage;
        }
    }
    if (!ready || !kh || n < 2 || optind != argc)
        goto usage;
    FILE *f = fopen(ready, "r");
    if (!f) {
        fprintf(stderr, "sessions: %s: %s\n", ready, strerror(errno));
        return 2;
    }
    dev *ds = calloc((size_t)n, sizeof *ds);
    struct pollfd *pf = calloc((size_t)n, sizeof *pf);
    int *idx = calloc((size_t)n, sizeof *idx);
    if (!ds || !pf || !idx)
        return 2;
    int have = 0;
    char line[512], pers[16];
    while (have < n && fgets(line, sizeof line, f)) {
        dev *d = &ds[have];
        if (line[0] != '#' && sscanf(line, "%63s %15s %63s %d %d", d->name, pers, d->addr,
                                     &d->ssh_port, &d->telnet_port) == 5)
            have++;
    }
    fclose(f);
    if (have < n) {
        fprintf(stderr, "sessions: %s lists %d devices, %d asked for\n", ready, have, n);
        return 2;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    na_err e = NA_ERR_INIT;
    na_platforms *reg = na_platforms_new(NULL, 0, &e);
    const na_platform *plat = reg ? na_platform_find(reg, "cisco_ios", &e) : NULL;
    if (!plat) {
        fprintf(stderr, "sessions: %s\n", e.msg);
        return 1;
    }
    /* the first session alone, so library set-up (OpenSSL, libssh2, the known_hosts cache) is
     * in the baseline rather than in the per-session figure */
    int64_t t0 = na_now_ms();
    start_all(ds, 0, 1, plat, kh, kind);
    drive(ds, 1, cmd, pf, idx, na_now_ms() + timeout_s * 1000LL);
    long rss0 = rss_kb();
    start_all(ds, 1, n, plat, kh, kind);
    drive(ds, n, cmd, pf, idx, na_now_ms() + timeout_s * 1000LL);
    int64_t t1 = na_now_ms();
    long rss1 = rss_kb();
    int ok = 0;
    for (int i = 0; i < n; i++)
        ok += ds[i].state == 2;
    printf("{\"ok\":%d,\"failed\":%d,\"sessions\":%d,\"rss_one_open_kb\":%ld,"
           "\"rss_all_open_kb\":%ld,\"kib_per_session\":%.1f,\"open_ms\":%lld}\n",
           ok, n - ok, n, rss0, rss1, ok > 1 ? (double)(rss1 - rss0) / (ok - 1) : 0.0,
           (long long)(t1 - t0));
    for (int i = 0; i < n; i++)
        na_session_free(ds[i].s);
    na_platforms_free(reg);
    free(ds);
    free(pf);
    free(idx);
    return ok == n ? 0 : 1;

usage:
    fprintf(stderr, "usage: sessions --ready FILE --known-hosts FILE [-n N] [--telnet] "
                    "[--command CMD] [--timeout SEC]\n");
    return 2;
}
