/* test_netautod_double.c — netautod with the TEST DOUBLE backend (tests/lib/backend_double.c).
 * `test_netautod_double serve --config FILE` runs the daemon exactly like the production
 * netautod but with scripted devices: the Python end-to-end tests (tests/e2e/test_daemon_*.py)
 * start it that way. Run without arguments (as `make test` does) it is an end-to-end test of the
 * `netauto --server` client against such a daemon: certificate pinning (and refusing a wrong
 * pin before sending anything), CA verification, run/show/jobs/job/cancel, exit statuses and
 * --json output. Not a production binary. */
#include "backend_double.h"
#include "netautod.h"
#include "tls.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int client_tests(const char *self);

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "serve"))
        return nd_main(argc - 1, argv + 1, &nd_backend_double_ops);
    return client_tests(argv[0]);
}

/* ---- test plumbing ------------------------------------------------------------------------- */

static char dir[256];
static pid_t daemon_pid = -1;
static int tap_n, tap_failed;

static void cleanup(void)
{
    if (daemon_pid > 0) {
        kill(daemon_pid, SIGKILL);
        waitpid(daemon_pid, NULL, 0);
        daemon_pid = -1;
    }
    if (dir[0]) {
        char cmd[400];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "# could not remove %s\n", dir);
        dir[0] = '\0';
    }
}

static void on_signal(int sig)
{
    (void)sig;
    cleanup();
    _exit(1);
}

static void ok(bool cond, const char *fmt, ...)
{
    char name[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    tap_n++;
    if (!cond)
        tap_failed++;
    printf("%sok %d - %s\n", cond ? "" : "not ", tap_n, name);
    fflush(stdout);
}

static void write_file(const char *name, const char *text)
{
    char p[600];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    if (!f) {
        perror(p);
        exit(1);
    }
    fputs(text, f);
    fclose(f);
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return strdup("");
    size_t cap = 4096, n = 0;
    char *s = malloc(cap);
    size_t r;
    while ((r = fread(s + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (n + 1 == cap)
            s = realloc(s, cap *= 2);
    }
    s[n] = '\0';
    fclose(f);
    return s;
}

typedef struct run_result {
    int status;
    char *out, *err;
} run_result;

static void run_free(run_result *r)
{
    free(r->out);
    free(r->err);
}

/* exec argv with $NETAUTO_WRAP (valgrind, under make valgrind) in front, as every test starts
 * netauto and netautod; returns only when the exec failed. */
static void exec_wrapped(char *const argv[])
{
    static char wrapbuf[1024];
    char *v[96];
    int n = 0;
    const char *wrap = getenv("NETAUTO_WRAP");
    if (wrap && *wrap) {
        snprintf(wrapbuf, sizeof wrapbuf, "%s", wrap);
        for (char *tok = strtok(wrapbuf, " "); tok && n < 32; tok = strtok(NULL, " "))
            v[n++] = tok;
    }
    for (int i = 0; argv[i] && n < 95; i++)
        v[n++] = argv[i];
    v[n] = NULL;
    execvp(v[0], v);
}

/* Run argv with extra environment (NAME=VALUE strings, NULL-terminated); capture output. */
static run_result run(char *const argv[], const char *const env[])
{
    char po[600], pe[600];
    snprintf(po, sizeof po, "%s/run.out", dir);
    snprintf(pe, sizeof pe, "%s/run.err", dir);
    pid_t pid = fork();
    if (pid == 0) {
        int fo = open(po, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int fe = open(pe, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fo, 1);
        dup2(fe, 2);
        if (chdir(dir) != 0)
            _exit(126);
        unsetenv("NETAUTO_TOKEN");
        unsetenv("NETAUTO_SERVER");
        unsetenv("NETAUTO_FINGERPRINT");
        unsetenv("NETAUTO_CACERT");
        for (int i = 0; env && env[i]; i++)
            putenv((char *)env[i]);
        exec_wrapped(argv);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    run_result r = {WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), read_all(po),
                    read_all(pe)};
    return r;
}

static const char *netauto_bin(void)
{
    static char p[600];
    const char *b = getenv("NETAUTO_BUILD");
    snprintf(p, sizeof p, "%s/netauto", b ? b : "build");
    return p;
}

static char port_s[16], fingerprint[80], pin[80], token[64], server[64];

static int count_api_lines(void)
{
    char p[600];
    snprintf(p, sizeof p, "%s/netautod.log", dir);
    char *log = read_all(p);
    int n = 0;
    for (char *q = log; (q = strstr(q, " api: ")); q++)
        n++;
    free(log);
    return n;
}

static bool start_daemon(const char *self)
{
    char cfg[600], out[600];
    snprintf(cfg, sizeof cfg, "%s/netautod.yaml", dir);
    snprintf(out, sizeof out, "%s/daemon.out", dir);
    char *tok_argv[] = {(char *)self, "serve", "token",  "add", "ci",
                        "--scope",    "admin", "--config", cfg, NULL};
    run_result r = run(tok_argv, NULL);
    snprintf(token, sizeof token, "%.*s", (int)strcspn(r.out, "\n"), r.out);
    run_free(&r);
    if (strncmp(token, "nat_", 4))
        return false;
    daemon_pid = fork();
    if (daemon_pid == 0) {
        int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fo, 1);
        if (chdir(dir) != 0)
            _exit(126);
        char *d[] = {(char *)self, "serve", "--config", cfg, NULL};
        exec_wrapped(d);
        _exit(127);
    }
    for (int i = 0; i < 1500; i++) { /* up to 30 s */
        char *s = read_all(out);
        char *p = strstr(s, "127.0.0.1:"), *f = strstr(s, "fingerprint SHA256:");
        char *k = strstr(s, "(public key sha256//");
        if (p && f && k && strchr(f, '\n')) {
            snprintf(port_s, sizeof port_s, "%.*s", (int)strcspn(p + 10, "\n"), p + 10);
            snprintf(fingerprint, sizeof fingerprint, "%.*s", (int)strcspn(f + 12, " \n"), f + 12);
            snprintf(pin, sizeof pin, "%.*s", (int)strcspn(k + 12, ")\n"), k + 12);
            snprintf(server, sizeof server, "https://127.0.0.1:%s", port_s);
            free(s);
            return true;
        }
        free(s);
        if (waitpid(daemon_pid, NULL, WNOHANG) == daemon_pid) {
            daemon_pid = -1;
            return false;
        }
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return false;
}

static json_t *load_json(const char *name)
{
    char p[600];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return json_load_file(p, 0, NULL);
}

/* ---- the tests ------------------------------------------------------------------------------ */

static int client_tests(const char *self)
{
    snprintf(dir, sizeof dir, "/tmp/netauto-remote-test.XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    atexit(cleanup);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    char self_abs[4096];
    if (!realpath(self, self_abs)) {
        perror(self);
        return 1;
    }
    mkdir(strcat(strcpy((char[600]){0}, dir), "/playbooks"), 0700);
    write_file("netautod.yaml", "port: 0\nstate_dir: state\ninventory: inventory.yaml\n"
                                "playbook_dir: playbooks\nlog: {file: netautod.log, level: info}\n");
    write_file("inventory.yaml", "hosts:\n"
                                 "  sw1: {groups: [core], commands: {\"show version\": \"IOS 15.2\\n\"}}\n"
                                 "  sw2: {groups: [core]}\n");
    write_file("playbooks/quick.yaml", "tasks:\n  - {name: check, command: show version, "
                                       "delay_ms: 20}\n  - {name: apply, delay_ms: 20, changed: "
                                       "true}\n");
    write_file("playbooks/fails.yaml", "tasks:\n  - {name: boom, delay_ms: 10, fail_on: [sw2]}\n");
    write_file("playbooks/slow.yaml", "tasks:\n  - {name: wait, delay_ms: 30000}\n");
    write_file("local-playbook.yaml", "tasks:\n  - {name: inline task, delay_ms: 5}\n");
    bool up = start_daemon(self_abs);
    ok(up, "netautod (test double) started");
    if (!up) {
        printf("1..%d\n", tap_n);
        return 1;
    }
    const char *na = netauto_bin();
    char tokarg[80], envtok[80], envsrv[100];
    snprintf(tokarg, sizeof tokarg, "%s", token);
    snprintf(envtok, sizeof envtok, "NETAUTO_TOKEN=%s", token);
    snprintf(envsrv, sizeof envsrv, "NETAUTO_SERVER=%s", server);
    const char *env_tok[] = {envtok, NULL};

    /* run, pinned */
    {
        char *a[] = {(char *)na, "--server", server, "--token", tokarg, "--fingerprint",
                     fingerprint, "run", "quick", "--json", "result.json", NULL};
        run_result r = run(a, NULL);
        json_t *j = load_json("result.json");
        ok(r.status == 0 && strstr(r.out, "succeeded") && strstr(r.out, "sw1: ok"),
           "run PLAYBOOK with --fingerprint: exit 0, progress printed");
        ok(strstr(r.err, "--token on the command line can be read by other local users") != NULL,
           "--token on the command line still works, with a warning (ps shows it)");
        ok(j && !strcmp(json_string_value(json_object_get(j, "state")), "succeeded") &&
               json_is_true(json_object_get(json_object_get(json_object_get(j, "hosts"), "sw2"),
                                            "ok")),
           "--json FILE holds the job with per-host results");
        json_decref(j);
        run_free(&r);
    }
    /* the token from a file: no warning */
    {
        write_file("token.txt", token);
        char p[600];
        snprintf(p, sizeof p, "%s/token.txt", dir);
        chmod(p, 0600);
        char *a[] = {(char *)na, "--server", server, "--token-file", p, "--fingerprint",
                     fingerprint, "jobs", NULL};
        run_result r = run(a, NULL);
        ok(r.status == 0 && strstr(r.out, "quick") && !strstr(r.err, "warning"),
           "--token-file FILE: the token from a private file, no warning");
        run_free(&r);
    }
    /* a failing host: exit 1 */
    {
        char *a[] = {(char *)na, "--server", server, "--fingerprint", fingerprint, "run", "fails",
                     NULL};
        run_result r = run(a, env_tok);
        ok(r.status == 1 && strstr(r.out, "sw2: FAILED") && strstr(r.out, "failed"),
           "a failing host: exit 1 (token from NETAUTO_TOKEN)");
        run_free(&r);
    }
    /* unknown playbook: 400 -> exit 2 */
    {
        char *a[] = {(char *)na, "--server", server, "--fingerprint", fingerprint, "run", "nope",
                     NULL};
        run_result r = run(a, env_tok);
        ok(r.status == 2 && strstr(r.err, "no playbook 'nope'"), "unknown playbook: exit 2 with "
                                                                 "the server's reason");
        run_free(&r);
    }
    /* a local file goes inline */
    {
        char *a[] = {(char *)na, "--server", server, "--fingerprint", fingerprint, "run",
                     "./local-playbook.yaml", "--limit", "sw1", NULL};
        run_result r = run(a, env_tok);
        ok(r.status == 0 && strstr(r.out, "inline task"), "a local playbook file is sent inline");
        run_free(&r);
    }
    /* fingerprint in the colon-separated upper-case spelling */
    {
        char alt[120] = "SHA256:";
        const char *hex = fingerprint + 7;
        for (size_t i = 0; i < 64; i += 2) {
            char pair[4] = {(char)(hex[i] & ~0x20), (char)(hex[i + 1] & ~0x20), 0, 0};
            for (int k = 0; k < 2; k++)
                if (hex[i + k] >= '0' && hex[i + k] <= '9')
                    pair[k] = hex[i + k];
            strcat(alt, pair);
            if (i + 2 < 64)
                strcat(alt, ":");
        }
        char *a[] = {(char *)na, "--server", server, "--fingerprint", alt, "jobs", NULL};
        run_result r = run(a, env_tok);
        ok(r.status == 0 && strstr(r.out, "quick"), "fingerprint AB:CD:... spelling accepted");
        run_free(&r);
    }
    /* the public-key pin netautod prints is the one curl documents (openssl pkey | dgst | base64),
     * and it pins the server as well as the certificate's fingerprint does */
    {
        char cmd[1024];
        snprintf(cmd, sizeof cmd, "openssl x509 -in '%s/state/tls-cert.pem' -pubkey -noout | "
                                  "openssl pkey -pubin -outform der | openssl dgst -sha256 "
                                  "-binary | base64", dir);
        FILE *f = popen(cmd, "r");
        char ref[128] = "";
        if (f) {
            if (!fgets(ref, sizeof ref, f))
                ref[0] = '\0';
            pclose(f);
        }
        ref[strcspn(ref, "\n")] = '\0';
        ok(ref[0] && !strncmp(pin, "sha256//", 8) && !strcmp(pin + 8, ref),
           "the public-key pin netautod prints is OpenSSL's sha256 of the SubjectPublicKeyInfo");
        char *a[] = {(char *)na, "--server", server, "--fingerprint", pin, "jobs", NULL};
        run_result r = run(a, env_tok);
        ok(r.status == 0 && strstr(r.out, "quick"), "--fingerprint sha256//BASE64 (public key) "
                                                    "accepted");
        run_free(&r);
        int before = count_api_lines();
        char wrong[80];
        snprintf(wrong, sizeof wrong, "%s", pin);
        wrong[12] = wrong[12] == 'A' ? 'B' : 'A';
        char *b[] = {(char *)na, "--server", server, "--fingerprint", wrong, "jobs", NULL};
        r = run(b, env_tok);
        ok(r.status == 1 && strstr(r.err, "does not match --fingerprint"),
           "a wrong public-key pin is refused");
        struct timespec ts = {0, 200 * 1000 * 1000};
        nanosleep(&ts, NULL);
        ok(count_api_lines() == before, "the daemon received no request from it");
        run_free(&r);
    }
    /* wrong fingerprint: refused before any request */
    {
        int before = count_api_lines();
        char wrong[80];
        snprintf(wrong, sizeof wrong, "%s", fingerprint);
        wrong[10] = wrong[10] == '0' ? '1' : '0';
        char *a[] = {(char *)na, "--server", server, "--fingerprint", wrong, "run", "quick", NULL};
        run_result r = run(a, env_tok);
        ok(r.status == 1 && strstr(r.err, "does not match --fingerprint") &&
               strstr(r.err, "nothing was sent"),
           "a wrong fingerprint is refused");
        struct timespec ts = {0, 200 * 1000 * 1000};
        nanosleep(&ts, NULL);
        ok(count_api_lines() == before, "the daemon received no request from it");
        run_free(&r);
    }
    /* no verification at all: refused */
    {
        char *a[] = {(char *)na, "--server", server, "jobs", NULL};
        run_result r = run(a, env_tok);
        ok(r.status == 2 && strstr(r.err, "refusing unverified TLS"),
           "neither --fingerprint nor --cacert: refused");
        run_free(&r);
    }
    /* CA verification: the daemon's own certificate as the CA */
    {
        char *a[] = {(char *)na, "--server", server, "--cacert", "state/tls-cert.pem", "jobs",
                     NULL};
        run_result r = run(a, env_tok);
        ok(r.status == 0 && strstr(r.out, "succeeded"), "--cacert with the daemon's certificate");
        run_free(&r);
    }
    /* a CA that did not sign it: refused */
    {
        char other[600], *c = NULL, *k = NULL;
        bool gen;
        na_err e = NA_ERR_INIT;
        snprintf(other, sizeof other, "%s/other", dir);
        mkdir(other, 0700);
        int rc = nd_tls_ensure(NULL, NULL, other, &c, &k, &gen, &e);
        char *a[] = {(char *)na, "--server", server, "--cacert", c ? c : "x", "jobs", NULL};
        run_result r = run(a, env_tok);
        ok(rc == 0 && r.status == 1 && strstr(r.err, "cannot verify the server's certificate"),
           "--cacert with an unrelated certificate: refused");
        run_free(&r);
        free(c);
        free(k);
    }
    /* no token: the server says 401 */
    {
        char *a[] = {(char *)na, "--server", server, "--fingerprint", fingerprint, "jobs", NULL};
        run_result r = run(a, NULL);
        ok(r.status == 1 && strstr(r.err, "401"), "without a token: 401, exit 1");
        run_free(&r);
    }
    /* http:// refused */
    {
        char plain[100];
        snprintf(plain, sizeof plain, "http://127.0.0.1:%s", port_s);
        char *a[] = {(char *)na, "--server", plain, "--fingerprint", fingerprint, "jobs", NULL};
        run_result r = run(a, env_tok);
        ok(r.status == 2 && strstr(r.err, "plain http://"), "http:// is refused");
        run_free(&r);
    }
    /* show */
    {
        char *a[] = {(char *)na, "--server", server, "--fingerprint", fingerprint, "show", "sw1",
                     "show version", "show clock", NULL};
        run_result r = run(a, env_tok);
        /* each output under --- COMMAND --- as `netauto show` prints several commands here */
        static const char want[] = "--- show version ---\nIOS 15.2\n--- show clock ---\n"
                                   "sw1# show clock\n";
        ok(r.status == 0 && !strncmp(r.out, want, sizeof want - 1),
           "show HOST CMD CMD prints the outputs in order, each under its command");
        if (r.status != 0 || strncmp(r.out, want, sizeof want - 1))
            printf("# got: %s\n", r.out);
        run_free(&r);
        char *b[] = {(char *)na, "--server", server, "--fingerprint", fingerprint, "show", "nope",
                     "show version", NULL};
        r = run(b, env_tok);
        ok(r.status == 2 && strstr(r.err, "host 'nope' is not in the inventory"),
           "show on an unknown host: exit 2 as locally (checked against GET /v1/inventory)");
        run_free(&r);
    }
    /* NETAUTO_SERVER without --server; job --follow; cancel */
    {
        const char *env2[] = {envtok, envsrv, NULL};
        char *a[] = {(char *)na, "--fingerprint", fingerprint, "jobs", "--json", NULL};
        run_result r = run(a, env2);
        json_t *j = json_loads(r.out, 0, NULL);
        /* quick, fails, the inline one (the wrong-pin run never reached the server) */
        ok(r.status == 0 && json_array_size(json_object_get(j, "jobs")) == 3,
           "NETAUTO_SERVER hands over without --server; jobs --json");
        json_decref(j);
        run_free(&r);
    }
    {
        /* submit a slow job through curl-free means: the CLI run in the background */
        char *a[] = {(char *)na, "--server", server, "--fingerprint", fingerprint, "run", "slow",
                     "--limit", "sw2", NULL};
        pid_t bg = fork();
        if (bg == 0) {
            int devnull = open("/dev/null", O_WRONLY);
            dup2(devnull, 1);
            dup2(devnull, 2);
            putenv(envtok);
            exec_wrapped(a);
            _exit(127);
        }
        /* find it through `jobs --state running --json` */
        char *l[] = {(char *)na, "--server", server, "--fingerprint", fingerprint, "jobs",
                     "--state", "running", "--json", NULL};
        char idbuf[32] = "";
        for (int i = 0; i < 250 && !idbuf[0]; i++) {
            run_result lr = run(l, env_tok);
            json_t *jj = json_loads(lr.out, 0, NULL);
            json_t *first = json_array_get(json_object_get(jj, "jobs"), 0);
            if (first)
                snprintf(idbuf, sizeof idbuf, "%lld",
                         (long long)json_integer_value(json_object_get(first, "id")));
            json_decref(jj);
            run_free(&lr);
            struct timespec ts = {0, 20 * 1000 * 1000};
            if (!idbuf[0])
                nanosleep(&ts, NULL);
        }
        char *j[] = {(char *)na, "--server", server, "--fingerprint", fingerprint, "job", idbuf,
                     NULL};
        run_result r = run(j, env_tok);
        ok(idbuf[0] && r.status == 0 && strstr(r.out, "\"running\""),
           "jobs --state running finds it; job ID shows it");
        run_free(&r);
        char *c[] = {(char *)na, "--server", server, "--fingerprint", fingerprint, "cancel", idbuf,
                     NULL};
        r = run(c, env_tok);
        ok(r.status == 0 && strstr(r.out, "cancelling"), "cancel ID: cancelling");
        run_free(&r);
        int st = 0;
        waitpid(bg, &st, 0);
        ok(WIFEXITED(st) && WEXITSTATUS(st) == 1, "the `run` following it ends with exit 1");
        char *f[] = {(char *)na, "--server", server, "--fingerprint", fingerprint, "job", idbuf,
                     "--follow", NULL};
        r = run(f, env_tok);
        ok(r.status == 1 && strstr(r.out, "cancelled"), "job ID --follow on a finished job replays "
                                                        "it to its end");
        run_free(&r);
        r = run(c, env_tok);
        ok(r.status == 1 && strstr(r.err, "409"), "cancel of a finished job: 409, exit 1");
        run_free(&r);
    }
    /* stop the daemon */
    kill(daemon_pid, SIGTERM);
    int st = 0;
    waitpid(daemon_pid, &st, 0);
    daemon_pid = -1;
    ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "netautod exits 0 on SIGTERM");
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}
