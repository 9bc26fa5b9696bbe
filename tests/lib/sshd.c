/* sshd.c — test helpers that run real OpenSSH programs (sshd, ssh-keygen, ssh-agent, ssh-add,
 * useradd, chpasswd); see sshd.h. Waits here poll with short timeouts: this is test code, not
 * drivers/. Not used by netauto itself. */
#include "sshd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- processes --------------------------------------------------------------------------- */

#define MAX_KIDS 64
static pid_t kids[MAX_KIDS];
static bool atexit_set;

static void kill_all(void)
{
    for (int i = 0; i < MAX_KIDS; i++)
        if (kids[i] > 0) {
            kill(kids[i], SIGKILL);
            waitpid(kids[i], NULL, 0);
            kids[i] = 0;
        }
}

static void remember(pid_t pid)
{
    if (!atexit_set) {
        atexit(kill_all);
        atexit_set = true;
    }
    for (int i = 0; i < MAX_KIDS; i++)
        if (kids[i] == 0) {
            kids[i] = pid;
            return;
        }
}

static void forget(pid_t pid)
{
    for (int i = 0; i < MAX_KIDS; i++)
        if (kids[i] == pid)
            kids[i] = 0;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void nap(int ms) { poll(NULL, 0, ms); }

static void seterr(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void seterr(char *buf, size_t cap, const char *fmt, ...)
{
    if (!buf || !cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
}

static pid_t start_child(char *const argv[], char *const env[], int in_fd, const char *log)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        int nul = open("/dev/null", O_RDWR);
        int out = log ? open(log, O_WRONLY | O_CREAT | O_APPEND, 0600) : nul;
        dup2(in_fd >= 0 ? in_fd : nul, 0);
        dup2(out < 0 ? nul : out, 1);
        dup2(out < 0 ? nul : out, 2);
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
        for (int i = 0; env && env[i]; i++)
            putenv(env[i]);
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

pid_t na_sshd_spawn(char *const argv[], char *const env[], const char *log)
{
    pid_t pid = start_child(argv, env, -1, log);
    if (pid > 0)
        remember(pid);
    return pid;
}

/* Wait up to ms for pid; exit status, or -1 (still running / not ours). */
static int reap(pid_t pid, int ms)
{
    long long end = now_ms() + ms;
    for (;;) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
        if (r < 0 && errno != EINTR)
            return -1;
        if (now_ms() >= end)
            return -1;
        nap(10);
    }
}

void na_sshd_kill(pid_t *pid)
{
    if (!pid || *pid <= 0)
        return;
    kill(*pid, SIGTERM);
    if (reap(*pid, 5000) < 0 && kill(*pid, SIGKILL) == 0)
        waitpid(*pid, NULL, 0);
    forget(*pid);
    *pid = 0;
}

int na_sshd_run(char *const argv[], char *const env[], const char *input, const char *log)
{
    int p[2] = {-1, -1};
    if (input && pipe(p) < 0)
        return -1;
    pid_t pid = start_child(argv, env, input ? p[0] : -1, log);
    if (input) {
        close(p[0]);
        if (pid > 0) {
            size_t n = strlen(input);
            ssize_t w = write(p[1], input, n);
            (void)w;
        }
        close(p[1]);
    }
    if (pid < 0)
        return -1;
    remember(pid);
    int rc = reap(pid, 60000);
    if (rc < 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    forget(pid);
    return rc;
}

/* ---- files ------------------------------------------------------------------------------- */

int na_sshd_mkdtemp(const char *tag, char *out, size_t cap)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp)
        tmp = "/tmp";
    snprintf(out, cap, "%s/netauto-%s-XXXXXX", tmp, tag);
    return mkdtemp(out) ? 0 : -1;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb;
    (void)flag;
    (void)f;
    remove(p);
    return 0;
}

void na_sshd_rm_rf(const char *path)
{
    if (path && *path && strcmp(path, "/"))
        nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int write_file(const char *path, const char *text, int mode, bool append)
{
    int fd = open(path, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), mode);
    if (fd < 0)
        return -1;
    size_t n = strlen(text);
    ssize_t w = write(fd, text, n);
    close(fd);
    return w == (ssize_t)n ? 0 : -1;
}

static char *read_file(const char *path, size_t max)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *b = malloc(max + 1);
    size_t n = b ? fread(b, 1, max, f) : 0;
    fclose(f);
    if (b)
        b[n] = '\0';
    return b;
}

int na_sshd_keygen(const char *path, const char *type, const char *passphrase)
{
    unlink(path);
    char pub[512];
    snprintf(pub, sizeof pub, "%s.pub", path);
    unlink(pub);
    char *argv[] = {"/usr/bin/ssh-keygen", "-q", "-t", (char *)type, "-N",
                    (char *)(passphrase ? passphrase : ""), "-C", "netauto-test", "-f",
                    (char *)path, strcmp(type, "rsa") ? NULL : "-b", "2048", NULL};
    return na_sshd_run(argv, NULL, NULL, NULL) == 0 ? 0 : -1;
}

/* ---- sshd -------------------------------------------------------------------------------- */

const char *na_sshd_log_tail(const na_sshd *s)
{
    static char tail[1024];
    tail[0] = '\0';
    char *all = read_file(s->log, 1 << 20);
    if (!all)
        return tail;
    size_t n = strlen(all);
    snprintf(tail, sizeof tail, "%s", n > sizeof tail - 1 ? all + n - (sizeof tail - 1) : all);
    free(all);
    return tail;
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &l) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* Is something listening on 127.0.0.1:port? (/proc/net/tcp: state 0A = LISTEN) */
static bool listening(int port)
{
    FILE *f = fopen("/proc/net/tcp", "r");
    if (!f)
        return false;
    char line[512], want[32];
    snprintf(want, sizeof want, "0100007F:%04X", port);
    bool yes = false;
    while (fgets(line, sizeof line, f)) {
        char local[64], remote[64], st[8];
        if (sscanf(line, " %*d: %63s %63s %7s", local, remote, st) == 3 && !strcmp(local, want) &&
            !strcmp(st, "0A"))
            yes = true;
    }
    fclose(f);
    return yes;
}

static int make_host_keys(na_sshd *s)
{
    if (!s->opts.rsa_only && na_sshd_keygen(s->host_key_ed25519, "ed25519", NULL) < 0)
        return -1;
    return na_sshd_keygen(s->host_key_rsa, "rsa", NULL);
}

static int write_config(na_sshd *s)
{
    char cfg[4096];
    int n = snprintf(cfg, sizeof cfg,
                     "# generated by netauto tests\n"
                     "%s"
                     "Port %d\n"
                     "ListenAddress 127.0.0.1\n"
                     "%s%s%s"
                     "HostKey %s\n"
                     "PidFile %s/sshd.pid\n"
                     "AuthorizedKeysFile %s\n"
                     "StrictModes no\n"
                     "UsePAM %s\n"
                     "PubkeyAuthentication yes\n"
                     "PasswordAuthentication yes\n"
                     "KbdInteractiveAuthentication yes\n"
                     "PermitRootLogin prohibit-password\n"
                     "AllowTcpForwarding yes\n"
                     "PermitTTY yes\n"
                     "MaxStartups 200\n"
                     "MaxSessions 100\n"
                     "MaxAuthTries 20\n"
                     "LoginGraceTime 60\n"
                     "UseDNS no\n"
                     "PrintMotd no\n"
                     "PrintLastLog no\n"
                     "LogLevel VERBOSE\n"
                     "Subsystem sftp internal-sftp\n",
                     s->extra ? s->extra : "", s->port, s->opts.rsa_only ? "" : "HostKey ",
                     s->opts.rsa_only ? "" : s->host_key_ed25519, s->opts.rsa_only ? "" : "\n",
                     s->host_key_rsa, s->dir, s->authorized_keys, s->opts.use_pam ? "yes" : "no");
    if (n < 0 || (size_t)n >= sizeof cfg)
        return -1;
    return write_file(s->config, cfg, 0600, false);
}

static int launch(na_sshd *s, char *errbuf, size_t cap)
{
    if (na_sshd_is_root())
        mkdir("/run/sshd", 0755); /* privilege separation directory */
    char *argv[] = {"/usr/sbin/sshd", "-D", "-e", "-f", s->config, NULL};
    s->pid = na_sshd_spawn(argv, NULL, s->log);
    if (s->pid < 0) {
        s->pid = 0;
        seterr(errbuf, cap, "cannot start sshd: %s", strerror(errno));
        return -1;
    }
    long long end = now_ms() + 15000;
    for (;;) {
        if (listening(s->port))
            return 0;
        int st;
        if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
            forget(s->pid);
            s->pid = 0;
            seterr(errbuf, cap, "sshd exited at start: %s", na_sshd_log_tail(s));
            return -1;
        }
        if (now_ms() >= end) {
            na_sshd_kill(&s->pid);
            seterr(errbuf, cap, "sshd did not listen on port %d within 15 s: %s", s->port,
                   na_sshd_log_tail(s));
            return -1;
        }
        nap(10);
    }
}

int na_sshd_start(na_sshd *s, const na_sshd_opts *o, char *errbuf, size_t cap)
{
    memset(s, 0, sizeof *s);
    if (o)
        s->opts = *o;
    s->opts.extra_config = NULL;
    if (o && o->extra_config && !(s->extra = strdup(o->extra_config)))
        return -1;
    if (na_sshd_mkdtemp("sshd", s->dir, sizeof s->dir) < 0) {
        seterr(errbuf, cap, "mkdtemp: %s", strerror(errno));
        free(s->extra);
        s->extra = NULL;
        return -1;
    }
    chmod(s->dir, 0755);
    snprintf(s->config, sizeof s->config, "%s/sshd_config", s->dir);
    snprintf(s->log, sizeof s->log, "%s/sshd.log", s->dir);
    snprintf(s->authorized_keys, sizeof s->authorized_keys, "%s/authorized_keys", s->dir);
    snprintf(s->host_key_ed25519, sizeof s->host_key_ed25519, "%s/host_ed25519", s->dir);
    snprintf(s->host_key_rsa, sizeof s->host_key_rsa, "%s/host_rsa", s->dir);
    if (write_file(s->authorized_keys, "", 0644, true) < 0 || make_host_keys(s) < 0) {
        seterr(errbuf, cap, "cannot create host keys in %s", s->dir);
        na_sshd_stop(s);
        return -1;
    }
    for (int attempt = 0; attempt < 3; attempt++) {
        s->port = free_port();
        if (s->port <= 0 || write_config(s) < 0) {
            seterr(errbuf, cap, "cannot write %s", s->config);
            na_sshd_stop(s);
            return -1;
        }
        if (launch(s, errbuf, cap) == 0)
            return 0;
        if (!strstr(errbuf ? errbuf : "", "in use")) /* only a port race is worth a retry */
            break;
    }
    na_sshd_stop(s);
    return -1;
}

int na_sshd_restart(na_sshd *s, bool new_host_keys, char *errbuf, size_t cap)
{
    na_sshd_kill(&s->pid);
    if (new_host_keys && make_host_keys(s) < 0) {
        seterr(errbuf, cap, "cannot create host keys in %s", s->dir);
        return -1;
    }
    return launch(s, errbuf, cap);
}

void na_sshd_stop(na_sshd *s)
{
    if (!s)
        return;
    na_sshd_kill(&s->pid);
    if (s->dir[0])
        na_sshd_rm_rf(s->dir);
    s->dir[0] = '\0';
    free(s->extra);
    s->extra = NULL;
}

int na_sshd_authorize(na_sshd *s, const char *pubkey_path)
{
    char *key = read_file(pubkey_path, 16384);
    if (!key)
        return -1;
    int rc = write_file(s->authorized_keys, key, 0644, true);
    free(key);
    return rc;
}

int na_sshd_start_keyed(na_sshd *s, const char *dir, const char *keyname, const char *khname,
                        char *key, char *kh)
{
    char eb[2048];
    na_sshd_opts o = {0};
    if (na_sshd_start(s, &o, eb, sizeof eb) < 0) {
        fprintf(stderr, "# sshd: %s\n", eb);
        return -1;
    }
    char pub[340];
    snprintf(key, 320, "%s/%s", dir, keyname);
    snprintf(kh, 320, "%s/%s", dir, khname);
    snprintf(pub, sizeof pub, "%s.pub", key);
    if (na_sshd_keygen(key, "ed25519", NULL) < 0 || na_sshd_authorize(s, pub) < 0 ||
        na_sshd_write_known_hosts(s, kh) < 0)
        return -1;
    return 0;
}

int na_sshd_write_known_hosts(const na_sshd *s, const char *path)
{
    const char *keys[2] = {s->opts.rsa_only ? NULL : s->host_key_ed25519, s->host_key_rsa};
    char out[8192];
    size_t used = 0;
    for (int i = 0; i < 2; i++) {
        if (!keys[i])
            continue;
        char pub[400];
        snprintf(pub, sizeof pub, "%s.pub", keys[i]);
        char *line = read_file(pub, 4096);
        if (!line)
            return -1;
        char type[64], b64[3000];
        int ok = sscanf(line, "%63s %2999s", type, b64) == 2;
        free(line);
        if (!ok)
            return -1;
        int n = snprintf(out + used, sizeof out - used, "[127.0.0.1]:%d %s %s\n", s->port, type,
                         b64);
        if (n < 0 || (size_t)n >= sizeof out - used)
            return -1;
        used += (size_t)n;
    }
    return write_file(path, out, 0600, false);
}

/* ---- ssh-agent --------------------------------------------------------------------------- */

int na_sshd_agent_start(na_sshd_agent *a, const char *dir)
{
    memset(a, 0, sizeof *a);
    snprintf(a->sock, sizeof a->sock, "%s/agent.sock", dir);
    unlink(a->sock);
    char *argv[] = {"/usr/bin/ssh-agent", "-D", "-a", a->sock, NULL};
    a->pid = na_sshd_spawn(argv, NULL, NULL);
    if (a->pid < 0) {
        a->pid = 0;
        return -1;
    }
    long long end = now_ms() + 10000;
    struct stat st;
    while (stat(a->sock, &st) != 0) {
        if (now_ms() >= end) {
            na_sshd_agent_stop(a);
            return -1;
        }
        nap(10);
    }
    return 0;
}

int na_sshd_agent_add(const na_sshd_agent *a, const char *key_path)
{
    char env[340];
    snprintf(env, sizeof env, "SSH_AUTH_SOCK=%s", a->sock);
    char *envv[] = {env, NULL};
    char *argv[] = {"/usr/bin/ssh-add", (char *)key_path, NULL};
    return na_sshd_run(argv, envv, NULL, NULL) == 0 ? 0 : -1;
}

int na_sshd_agent_add_pw(const na_sshd_agent *a, const char *key_path, const char *passphrase)
{
    /* ssh-add reads the passphrase from $SSH_ASKPASS when told to (no terminal here) */
    char askpass[340], script[600];
    snprintf(askpass, sizeof askpass, "%s.askpass", a->sock);
    snprintf(script, sizeof script, "#!/bin/sh\nprintf '%%s\\n' '%s'\n", passphrase);
    if (write_file(askpass, script, 0700, false) < 0)
        return -1;
    char env[340], ask[360];
    snprintf(env, sizeof env, "SSH_AUTH_SOCK=%s", a->sock);
    snprintf(ask, sizeof ask, "SSH_ASKPASS=%s", askpass);
    char *envv[] = {env, ask, "SSH_ASKPASS_REQUIRE=force", "DISPLAY=:0", NULL};
    char *argv[] = {"/usr/bin/ssh-add", (char *)key_path, NULL};
    int rc = na_sshd_run(argv, envv, NULL, NULL) == 0 ? 0 : -1;
    unlink(askpass);
    return rc;
}

void na_sshd_agent_stop(na_sshd_agent *a)
{
    na_sshd_kill(&a->pid);
    if (a->sock[0])
        unlink(a->sock);
}

/* ---- users ------------------------------------------------------------------------------- */

bool na_sshd_is_root(void) { return geteuid() == 0; }

int na_sshd_user_ensure(void)
{
    if (!na_sshd_is_root())
        return -1;
    if (!getpwnam(NA_TEST_USER)) {
        char *argv[] = {"/usr/sbin/useradd", "-m", "-s", "/bin/sh", NA_TEST_USER, NULL};
        int rc = na_sshd_run(argv, NULL, NULL, NULL);
        if (rc != 0 && rc != 9) /* 9: already exists (a parallel test) */
            return -1;
    }
    char *argv[] = {"/usr/sbin/chpasswd", NULL};
    return na_sshd_run(argv, NULL, NA_TEST_USER ":" NA_TEST_USER_PASSWORD "\n", NULL) == 0 ? 0
                                                                                          : -1;
}
