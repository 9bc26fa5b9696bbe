/* measure.c — runs one command and reports what it cost, as one JSON line on stdout: wall time
 * (fork to exit, monotonic clock), the child's user and system CPU seconds and peak RSS
 * (wait4's rusage), optionally the CPU seconds another process (the simulator) spent meanwhile
 * and its peak RSS during the command (schedstat of its threads; VmHWM, reset first through clear_refs), and optionally the peak number of TCP
 * sockets in use in this network namespace while the command ran (/proc/net/sockstat, sampled
 * every --sample-ms; the value before the start is subtracted). Fields given with --tag are
 * copied into the line; with --tool-json, the last line of the child's stdout that is a JSON
 * object is embedded as "own" (the tool's own report). Not a statistics tool: bench/report.py takes medians.
 *
 *   measure [--tag '"k":"v",...'] [--sim-pid PID] [--sample-ms N] [--stdout FILE]
 *           [--stderr FILE] [--tool-json] [--timeout SEC] -- COMMAND [ARG...]
 * Exit status: 0 when the line was written (whatever the command's own status, reported as
 * "rc"), 2 for usage errors. A command still running after --timeout (default 600 s) is
 * killed and reported with "rc": -9. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* CPU seconds of every thread of pid: the first field of /proc/PID/task/TID/schedstat is the
 * time on a CPU in nanoseconds (exact, where /proc/PID/stat counts clock ticks). */
static double proc_cpu_s(long pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/task", pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    unsigned long long total = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char p2[320];
        snprintf(p2, sizeof p2, "/proc/%ld/task/%s/schedstat", pid, e->d_name);
        FILE *f = fopen(p2, "r");
        unsigned long long ns = 0;
        if (f) {
            if (fscanf(f, "%llu", &ns) == 1)
                total += ns;
            fclose(f);
        }
    }
    closedir(d);
    return (double)total / 1e9;
}

static long proc_status_kb(long pid, const char *field)
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

/* "TCP: inuse N ..." from /proc/net/sockstat (this network namespace); -1 if unreadable. */
static long tcp_inuse(void)
{
    char line[256];
    long v = -1;
    FILE *f = fopen("/proc/net/sockstat", "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "TCP: inuse %ld", &v) == 1)
            break;
    fclose(f);
    return v;
}

/* The last line of FILE that starts with '{', or NULL (caller frees). */
static char *last_json_line(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *line = NULL, *best = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n && line[0] == '{' && line[n - 1] == '}') {
            free(best);
            best = strdup(line);
        }
    }
    free(line);
    fclose(f);
    return best;
}

static int redirect(int fd, const char *path)
{
    int o = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (o < 0)
        return -1;
    int r = dup2(o, fd);
    close(o);
    return r < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"tag", required_argument, NULL, 't'}, {"sim-pid", required_argument, NULL, 'p'},
        {"sample-ms", required_argument, NULL, 's'}, {"stdout", required_argument, NULL, 'o'},
        {"stderr", required_argument, NULL, 'e'}, {"tool-json", no_argument, NULL, 'j'},
        {"timeout", required_argument, NULL, 'T'}, {NULL, 0, NULL, 0}};
    const char *tag = NULL, *out = "/dev/null", *errf = NULL;
    long sim = 0;
    int sample_ms = 0, timeout_s = 600, c;
    bool tool_json = false;
    while ((c = getopt_long(argc, argv, "+", lo, NULL)) != -1) {
        switch (c) {
        case 't': tag = optarg; break;
        case 'p': sim = atol(optarg); break;
        case 's': sample_ms = atoi(optarg); break;
        case 'o': out = optarg; break;
        case 'e': errf = optarg; break;
        case 'j': tool_json = true; break;
        case 'T': timeout_s = atoi(optarg); break;
        default: goto usage;
        }
    }
    if (optind >= argc)
        goto usage;
    if (sim) { /* reset the simulator's VmHWM so it shows this command's peak */
        char path[64];
        snprintf(path, sizeof path, "/proc/%ld/clear_refs", sim);
        FILE *f = fopen(path, "w");
        if (f) {
            fputs("5", f);
            fclose(f);
        }
    }
    double sim_cpu0 = sim ? proc_cpu_s(sim) : 0;
    long tcp0 = sample_ms > 0 ? tcp_inuse() : -1, tcp_peak = tcp0;
    int64_t t0 = now_us();
    pid_t pid = fork();
    if (pid < 0) {
        perror("measure: fork");
        return 2;
    }
    if (pid == 0) {
        if (redirect(1, out) < 0 || (errf && redirect(2, errf) < 0))
            _exit(126);
        execvp(argv[optind], argv + optind);
        fprintf(stderr, "measure: %s: %s\n", argv[optind], strerror(errno));
        _exit(127);
    }
    int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
    int64_t deadline = t0 + (int64_t)timeout_s * 1000000;
    bool killed = false;
    /* without a pidfd (kernel < 5.3) there is no sampling and no timeout: wait4 just waits */
    while (pfd >= 0) {
        struct pollfd p = {.fd = pfd, .events = POLLIN};
        if (poll(&p, 1, sample_ms > 0 ? sample_ms : 1000) == 1)
            break;
        if (sample_ms > 0) {
            long v = tcp_inuse();
            if (v > tcp_peak)
                tcp_peak = v;
        }
        if (!killed && now_us() > deadline) {
            kill(pid, SIGKILL);
            killed = true;
        }
    }
    int status = 0;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR)
        ;
    int64_t t1 = now_us();
    if (pfd >= 0)
        close(pfd);
    int rc = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    printf("{%s%s\"rc\":%d,\"wall_ms\":%.3f,\"user_s\":%.4f,\"sys_s\":%.4f,\"maxrss_kb\":%ld",
           tag ? tag : "", tag && *tag ? "," : "", killed ? -9 : rc, (t1 - t0) / 1000.0,
           ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
           ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6, ru.ru_maxrss);
    if (sim)
        printf(",\"sim_cpu_s\":%.4f,\"sim_hwm_kb\":%ld,\"sim_rss_kb\":%ld",
               proc_cpu_s(sim) - sim_cpu0, proc_status_kb(sim, "VmHWM"),
               proc_status_kb(sim, "VmRSS"));
    if (sample_ms > 0)
        printf(",\"tcp_inuse_peak\":%ld", tcp_peak >= 0 && tcp0 >= 0 ? tcp_peak - tcp0 : -1);
    if (tool_json) {
        char *j = last_json_line(out);
        printf(",\"own\":%s", j ? j : "null");
        free(j);
    }
    printf("}\n");
    return 0;

usage:
    fprintf(stderr, "usage: measure [--tag JSON-FIELDS] [--sim-pid PID] [--sample-ms N] "
                    "[--stdout FILE] [--stderr FILE] [--tool-json] [--timeout SEC] -- CMD...\n");
    return 2;
}
