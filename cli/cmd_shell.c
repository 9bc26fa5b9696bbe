/* cmd_shell.c — `netauto shell -i INVENTORY HOST [--transport ssh|telnet]`: an interactive
 * session through the driver. The driver logs in and runs enable (the platform's default mode);
 * then the local terminal goes to raw mode and bytes flow both ways (na_session_raw_read/_write)
 * with one ppoll() on stdin and the session's fd. The terminal is restored on every exit path:
 * normal return, device close, errors, and SIGTERM/SIGHUP/SIGQUIT/SIGINT (caught, restored, then
 * re-raised). `~.` at the start of a line disconnects (`~~` sends one `~`), like ssh. The local
 * window size is passed to the device when the session starts (later resizes are not).
 * Not a terminal emulator: the device's bytes go to the local terminal as they are. */
#include "avault.h"
#include "cli_args.h"
#include "verbs.h"
#include "cli_dev.h"
#include "cli_inv.h"
#include "clock.h"
#include "log.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* With stdin at end of file (not a terminal), the session ends once the device has said
 * nothing for this long. */
#define SHELL_EOF_IDLE_MS 2000

static struct termios saved_tio;
static volatile sig_atomic_t tio_saved;
static volatile sig_atomic_t got_signal;

static void restore_tty(void)
{
    if (tio_saved) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio); /* async-signal-safe */
        tio_saved = 0;
    }
}

static void on_signal(int sig)
{
    got_signal = sig;
}

static const int shell_sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
#define NSIGS (sizeof shell_sigs / sizeof *shell_sigs)

/* The signals are blocked except inside ppoll(), which unblocks them atomically: one that
 * arrives between the check of got_signal and the wait is not lost (a plain poll() would then
 * wait forever with the terminal raw). */
static sigset_t wait_mask; /* the mask to wait with: the caller's, signals unblocked */
static sigset_t old_mask;

static void catch_signals(struct sigaction *saved)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: ppoll() returns EINTR */
    sigemptyset(&sa.sa_mask);
    sigset_t block;
    sigemptyset(&block);
    for (size_t i = 0; i < NSIGS; i++) {
        sigaction(shell_sigs[i], &sa, &saved[i]);
        sigaddset(&block, shell_sigs[i]);
    }
    sigprocmask(SIG_BLOCK, &block, &old_mask);
    wait_mask = old_mask;
    for (size_t i = 0; i < NSIGS; i++)
        sigdelset(&wait_mask, shell_sigs[i]);
    signal(SIGPIPE, SIG_IGN);
}

static void release_signals(const struct sigaction *saved)
{
    for (size_t i = 0; i < NSIGS; i++)
        sigaction(shell_sigs[i], &saved[i], NULL);
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
}

static int raw_mode(void)
{
    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tio) < 0)
        return 0;
    struct termios raw = saved_tio;
    cfmakeraw(&raw);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    tio_saved = 1;
    if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) < 0) {
        tio_saved = 0;
        return -1;
    }
    return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN) {
            struct pollfd pf = {.fd = fd, .events = POLLOUT};
            poll(&pf, 1, 1000);
            continue;
        }
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}


/* Escape handling for keystrokes: "~." at line start ends, "~~" sends "~". */
typedef struct esc_state {
    bool line_start;
    bool tilde;
} esc_state;

/* Filter in[0..n) into out (capacity >= n + 1). Returns bytes to send, or -1 for "disconnect". */
static long filter_keys(esc_state *es, const char *in, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        if (es->tilde) {
            es->tilde = false;
            if (c == '.')
                return -1;
            out[o++] = '~';
            if (c == '~') {
                es->line_start = false;
                continue;
            }
        } else if (es->line_start && c == '~') {
            es->tilde = true;
            continue;
        }
        out[o++] = c;
        es->line_start = c == '\r' || c == '\n';
    }
    return (long)o;
}

/* The interactive loop. Returns the exit status. */
static int pump(na_session *s, const char *name)
{
    char buf[16384], keys[4097];
    esc_state es = {.line_start = true};
    bool stdin_open = true;
    int64_t idle_since = na_now_ms();
    na_err e = NA_ERR_INIT;
    for (;;) {
        if (got_signal)
            return 128 + got_signal;
        /* device -> terminal: everything available now (some may already be buffered) */
        for (;;) {
            size_t n = 0;
            na_status st = na_session_raw_read(s, buf, sizeof buf, &n, &e);
            if (st == NA_OK && n > 0) {
                if (write_all(STDOUT_FILENO, buf, n) < 0)
                    return CLI_EXIT_FAILED;
                idle_since = na_now_ms();
                continue;
            }
            if (st == NA_EOF) {
                restore_tty();
                fprintf(stderr, "\r\nConnection to %s closed.\n", name);
                return CLI_EXIT_OK;
            }
            if (st == NA_ERROR) {
                restore_tty();
                cli_err_name(&e, name);
                fprintf(stderr, "\r\n%s\n", e.msg);
                return CLI_EXIT_FAILED;
            }
            break;
        }
        if (!stdin_open && na_now_ms() - idle_since >= SHELL_EOF_IDLE_MS)
            return CLI_EXIT_OK;
        struct pollfd pfd[2];
        int want = na_session_want(s);
        pfd[0].fd = na_session_fd(s);
        pfd[0].events = (short)(POLLIN | (want & NA_WANT_WRITE ? POLLOUT : 0));
        pfd[0].revents = 0;
        pfd[1].fd = stdin_open ? STDIN_FILENO : -1;
        pfd[1].events = POLLIN;
        pfd[1].revents = 0;
        struct timespec idle = {SHELL_EOF_IDLE_MS / 1000, (SHELL_EOF_IDLE_MS % 1000) * 1000000L};
        if (ppoll(pfd, 2, stdin_open ? NULL : &idle, &wait_mask) < 0) {
            if (errno == EINTR)
                continue;
            restore_tty();
            fprintf(stderr, "netauto shell: ppoll: %s\n", strerror(errno));
            return CLI_EXIT_FAILED;
        }
        if (pfd[0].revents & POLLOUT && na_session_raw_write(s, "", 0, &e) < 0) {
            restore_tty();
            cli_err_name(&e, name);
            fprintf(stderr, "\r\n%s\n", e.msg);
            return CLI_EXIT_FAILED;
        }
        if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t r = read(STDIN_FILENO, keys, sizeof keys - 1);
            if (r < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (r <= 0) {
                stdin_open = false; /* local end of input: let the device finish, then end */
                idle_since = na_now_ms();
                continue;
            }
            char out[sizeof keys + 1];
            long k = filter_keys(&es, keys, (size_t)r, out);
            if (k < 0) {
                restore_tty();
                fprintf(stderr, "\r\nDisconnected from %s.\n", name);
                return CLI_EXIT_OK;
            }
            if (k > 0 && na_session_raw_write(s, out, (size_t)k, &e) < 0) {
                restore_tty();
                cli_err_name(&e, name);
                fprintf(stderr, "\r\n%s\n", e.msg);
                return CLI_EXIT_FAILED;
            }
        }
    }
}

int cli_cmd_shell(const cli_args *a)
{
    na_transport_kind kind = NA_TRANSPORT_SSH;
    bool kind_set = false;
    int verbose = 0;
    cli_inv_args ia;
    if (cli_opt_transport(a, &kind, &kind_set) || cli_inv_from_args(a, &ia, true))
        return CLI_EXIT_INVALID;
    for (size_t i = 0; i < a->nopts; i++)
        verbose += a->opts[i].id == O_VERBOSE;
    if (a->npos != 1) {
        if (a->npos > 1)
            return cli_usage_error(a->verb, "give exactly one HOST (read as: HOST '%s', then "
                                            "'%s'; nothing is typed for you in a shell)",
                                   a->pos[0], a->pos[1]);
        return cli_usage_error(a->verb, "give exactly one HOST");
    }
    cli_set_verbosity(verbose);
    const char *host = a->pos[0];
    na_err err = NA_ERR_INIT;
    na_avault_keys *keys = cli_vault_keys(&ia, &err);
    na_inventory *inv = keys ? cli_load_inventories(&ia, keys, &err) : NULL;
    na_avault_keys_free(keys);
    if (!inv) {
        cli_print_err(&err);
        return CLI_EXIT_INVALID;
    }
    const na_inv_host *h = na_inv_find(inv, host);
    if (!h) {
        cli_names names = {0};
        const char *close = cli_names_from_inv(&names, inv) == 0 ? cli_close_name(&names, host)
                                                                  : NULL;
        fprintf(stderr, "host '%s' is not in the inventory %s%s%s%s\n", host, na_inv_path(inv),
                close ? " (did you mean '" : "", close ? close : "", close ? "'?)" : "");
        cli_names_free(&names);
        na_inv_free(inv);
        return CLI_EXIT_INVALID;
    }
    na_platforms *reg = cli_platforms(inv, &err);
    if (!reg || !na_platform_find(reg, h->platform, &err)) {
        cli_err_name(&err, h->name);
        cli_print_err(&err);
        na_platforms_free(reg);
        na_inv_free(inv);
        return CLI_EXIT_INVALID;
    }
    cli_sess_cfg cfg = {.kind = kind_set ? kind : h->transport};
    struct winsize ws;
    if (isatty(STDIN_FILENO) && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 &&
        ws.ws_row > 0) {
        cfg.term_width = ws.ws_col;
        cfg.term_height = ws.ws_row;
    }
    na_conn_params params;
    struct sigaction saved[NSIGS];
    bool caught = false;
    int rc = CLI_EXIT_FAILED;
    na_session *s = cli_session_new(reg, h, &cfg, &params, &err);
    if (!s) {
        cli_print_err(&err);
        goto out;
    }
    const na_conn_params *eff = na_session_transport(s)->params; /* with ssh_config applied */
    fprintf(stderr, "Connecting to %s (%s:%d) over %s...\n", h->name, eff->host,
            eff->port > 0 ? eff->port : cfg.kind == NA_TRANSPORT_SSH ? 22 : 23,
            na_transport_kind_name(cfg.kind));
    if (na_session_open(s, &err) < 0) {
        cli_err_name(&err, h->name);
        cli_print_err(&err);
        goto out;
    }
    /* from here on the terminal changes: catch the signals that would leave it raw */
    catch_signals(saved);
    caught = true;
    fprintf(stderr, "Connected to %s in %s mode. Type ~. at the start of a line to "
                    "disconnect.\n", h->name, na_session_mode(s));
    if (raw_mode() < 0) {
        fprintf(stderr, "netauto shell: cannot put the terminal in raw mode: %s\n",
                strerror(errno));
        goto out;
    }
    rc = pump(s, h->name);
out:
    restore_tty();
    na_session_free(s);
    na_platforms_free(reg);
    na_inv_free(inv);
    int sig = got_signal;
    if (caught)
        release_signals(saved);
    if (sig) {
        signal(sig, SIG_DFL);
        raise(sig); /* die by the signal, as the caller expects; the terminal is restored */
    }
    return rc;
}
