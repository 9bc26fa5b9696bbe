/* simproc.c — start/stop netauto-sim for C tests (see simproc.h). Uses fork/exec, polls for the
 * ready file with short sleeps (this is test code, not drivers/), and keeps a list of running
 * simulators so an atexit hook can stop them when a test aborts. */
#include "simproc.h"

#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_RUNNING 16
static pid_t running[MAX_RUNNING];
static bool hook_installed;

static void kill_leftovers(void)
{
    for (int i = 0; i < MAX_RUNNING; i++)
        if (running[i] > 0) {
            kill(running[i], SIGKILL);
            waitpid(running[i], NULL, 0);
            running[i] = 0;
        }
}

static void track(pid_t pid, bool add)
{
    if (!hook_installed) {
        atexit(kill_leftovers);
        hook_installed = true;
    }
    for (int i = 0; i < MAX_RUNNING; i++) {
        if (add && running[i] == 0) {
            running[i] = pid;
            return;
        }
        if (!add && running[i] == pid) {
            running[i] = 0;
            return;
        }
    }
}

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void rm_tree(const char *dir)
{
    if (dir[0])
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static char *slurp(const char *path, size_t max)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = malloc(max + 1);
    size_t n = buf ? fread(buf, 1, max, f) : 0;
    fclose(f);
    if (buf)
        buf[n] = '\0';
    return buf;
}

static const char *sim_binary(char *buf, size_t cap)
{
    const char *b = getenv("NETAUTO_BUILD");
    snprintf(buf, cap, "%s/netauto-sim", b && *b ? b : "build");
    return buf;
}

static int parse_ready(simproc *sp, const char *text, na_err *err)
{
    size_t lines = 0;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    sp->devs = calloc(lines + 1, sizeof *sp->devs);
    if (!sp->devs)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        char line[512];
        snprintf(line, sizeof line, "%.*s", (int)l, p);
        p += l + (nl ? 1 : 0);
        if (line[0] == '#' || !line[0])
            continue;
        simproc_dev *d = &sp->devs[sp->ndevs];
        if (sscanf(line, "%63s %7s %63s %d %d", d->name, d->personality, d->addr, &d->ssh_port,
                   &d->telnet_port) != 5)
            return na_err_set(err, NA_E_PROTOCOL, "bad ready-file line '%s'", line);
        sp->ndevs++;
    }
    return 0;
}

int simproc_start(simproc *sp, const char *const *args, int timeout_ms, na_err *err)
{
    memset(sp, 0, sizeof *sp);
    snprintf(sp->dir, sizeof sp->dir, "/tmp/netauto-sim.XXXXXX");
    if (!mkdtemp(sp->dir)) {
        sp->dir[0] = '\0';
        return na_err_set(err, NA_E_IO, "mkdtemp: %s", strerror(errno));
    }
    snprintf(sp->ready_path, sizeof sp->ready_path, "%s/ready", sp->dir);
    snprintf(sp->stats_path, sizeof sp->stats_path, "%s/stats.json", sp->dir);
    snprintf(sp->inventory_path, sizeof sp->inventory_path, "%s/inventory.yaml", sp->dir);
    snprintf(sp->known_hosts_path, sizeof sp->known_hosts_path, "%s.known_hosts",
             sp->inventory_path);
    snprintf(sp->log_path, sizeof sp->log_path, "%s/sim.log", sp->dir);
    snprintf(sp->stderr_path, sizeof sp->stderr_path, "%s/sim.stderr", sp->dir);

    char bin[512];
    sim_binary(bin, sizeof bin);
    const char *argv[256];
    size_t n = 0;
    char wrapbuf[512];
    const char *wrap = getenv("NETAUTO_WRAP");
    if (wrap && *wrap) {
        snprintf(wrapbuf, sizeof wrapbuf, "%s", wrap);
        for (char *tok = strtok(wrapbuf, " "); tok && n < 32; tok = strtok(NULL, " "))
            argv[n++] = tok;
    }
    argv[n++] = bin;
    const char *fixed[] = {"--ready-file", sp->ready_path, "--stats-file", sp->stats_path,
                           "--inventory-out", sp->inventory_path, "--log", sp->log_path};
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
        argv[n++] = fixed[i];
    for (size_t i = 0; args && args[i] && n < 254; i++)
        argv[n++] = args[i];
    argv[n] = NULL;

    pid_t pid = fork();
    if (pid < 0) {
        rm_tree(sp->dir);
        return na_err_set(err, NA_E_IO, "fork: %s", strerror(errno));
    }
    if (pid == 0) {
        int fd = open(sp->stderr_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 2);
            dup2(fd, 1);
            close(fd);
        }
        execvp(argv[0], (char *const *)argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    sp->pid = pid;
    track(pid, true);
    int64_t deadline = na_now_ms() + timeout_ms;
    for (;;) {
        if (access(sp->ready_path, F_OK) == 0)
            break;
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            track(pid, false);
            sp->pid = 0;
            char *e = slurp(sp->stderr_path, 2000);
            na_err_set(err, NA_E_IO, "netauto-sim exited (status %d) before it was ready: %s",
                       WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), e ? e : "");
            free(e);
            rm_tree(sp->dir);
            return -1;
        }
        if (na_now_ms() > deadline) {
            char *e = slurp(sp->stderr_path, 2000);
            na_err_set(err, NA_E_TIMEOUT, "netauto-sim not ready after %d ms: %s", timeout_ms,
                       e ? e : "");
            free(e);
            simproc_stop(sp);
            return -1;
        }
        nap_ms(20);
    }
    char *text = slurp(sp->ready_path, 16 << 20);
    if (!text || parse_ready(sp, text, err) < 0) {
        if (!text)
            na_err_set(err, NA_E_IO, "cannot read %s", sp->ready_path);
        free(text);
        simproc_stop(sp);
        return -1;
    }
    free(text);
    return 0;
}

const simproc_dev *simproc_find(const simproc *sp, const char *name)
{
    for (size_t i = 0; i < sp->ndevs; i++)
        if (strcmp(sp->devs[i].name, name) == 0)
            return &sp->devs[i];
    return NULL;
}

int simproc_stats(simproc *sp, int timeout_ms, json_t **out, na_err *err)
{
    *out = NULL;
    if (sp->pid <= 0)
        return na_err_set(err, NA_E_CLOSED, "netauto-sim is not running");
    if (kill(sp->pid, SIGUSR1) < 0)
        return na_err_set(err, NA_E_IO, "kill(SIGUSR1): %s", strerror(errno));
    int64_t deadline = na_now_ms() + timeout_ms;
    for (;;) {
        json_error_t je;
        json_t *j = json_load_file(sp->stats_path, 0, &je);
        if (j) {
            json_int_t seq = json_integer_value(json_object_get(j, "seq"));
            if (seq > sp->stats_seq) {
                sp->stats_seq = (long)seq;
                *out = j;
                return 0;
            }
            json_decref(j);
        }
        if (na_now_ms() > deadline)
            return na_err_set(err, NA_E_TIMEOUT, "no new stats from netauto-sim within %d ms",
                              timeout_ms);
        nap_ms(10);
    }
}

long simproc_counter(json_t *stats, const char *dev, const char *path)
{
    json_t *j = json_object_get(json_object_get(stats, "devices"), dev);
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *tok = strtok(buf, "."); tok && j; tok = strtok(NULL, "."))
        j = json_object_get(j, tok);
    return json_is_integer(j) ? (long)json_integer_value(j) : -1;
}

int simproc_stop(simproc *sp)
{
    int rc = -1;
    if (sp->pid > 0) {
        bool wrapped = getenv("NETAUTO_WRAP") && *getenv("NETAUTO_WRAP");
        kill(sp->pid, SIGTERM);
        int64_t deadline = na_now_ms() + (wrapped ? 30000 : 5000);
        int st = 0;
        pid_t w;
        while ((w = waitpid(sp->pid, &st, WNOHANG)) == 0 && na_now_ms() < deadline)
            nap_ms(10);
        if (w == 0) {
            kill(sp->pid, SIGKILL);
            waitpid(sp->pid, &st, 0);
        } else if (w == sp->pid && WIFEXITED(st)) {
            rc = WEXITSTATUS(st);
        }
        track(sp->pid, false);
        sp->pid = 0;
    }
    rm_tree(sp->dir);
    sp->dir[0] = '\0';
    free(sp->devs);
    sp->devs = NULL;
    sp->ndevs = 0;
    return rc;
}
