/* cli_inv.c — the terminal passphrase prompt (echo off, restored on signals), inventory loading
 * for verbs, and error printing. Not a verb itself (cmd_*.c). */
#include "cli_inv.h"
#include "avault.h"
#include "log.h"
#include "secret.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static volatile sig_atomic_t got_signal;

static void on_signal(int sig) { got_signal = sig; }

static void write_all(int fd, const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

int cli_tty_prompt(const char *prompt, char *buf, size_t cap, void *ud, na_err *err)
{
    (void)ud;
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
    struct termios old;
    if (fd < 0 || tcgetattr(fd, &old) < 0) {
        if (fd >= 0)
            close(fd);
        return na_err_set(err, NA_E_USAGE,
                          "no terminal to ask for the vault passphrase on: set "
                          "NETAUTO_VAULT_PASSWORD or use --vault-password-file FILE");
    }
    /* Ctrl-C while echo is off must not leave the terminal silent: catch, restore, re-raise */
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
    struct sigaction sa, saved[4];
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: read() returns EINTR */
    sigemptyset(&sa.sa_mask);
    got_signal = 0;
    for (int i = 0; i < 4; i++)
        sigaction(sigs[i], &sa, &saved[i]);
    struct termios quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    quiet.c_lflag |= ICANON | ECHONL;
    tcsetattr(fd, TCSAFLUSH, &quiet); /* echo off (and typeahead dropped) before the prompt */
    write_all(fd, prompt);
    size_t n = 0;
    int rc = 0;
    while (!got_signal) {
        char c;
        ssize_t r = read(fd, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0 || c == '\n')
            break;
        if (n + 1 < cap)
            buf[n++] = c;
    }
    if (cap)
        buf[n < cap ? n : cap - 1] = '\0';
    tcsetattr(fd, TCSAFLUSH, &old);
    close(fd);
    for (int i = 0; i < 4; i++)
        sigaction(sigs[i], &saved[i], NULL);
    if (got_signal) {
        na_wipe(buf, cap);
        raise(got_signal);
        rc = na_err_set(err, NA_E_CANCELLED, "cancelled");
    }
    return rc;
}

void cli_set_verbosity(int verbose)
{
    if (verbose)
        na_log_set_level(verbose >= 3 ? NA_LOG_TRACE : verbose == 2 ? NA_LOG_DEBUG : NA_LOG_INFO);
}

static void print_warnings(const na_inventory *inv)
{
    for (size_t i = 0; inv && i < na_inv_warning_count(inv); i++)
        fprintf(stderr, "netauto: warning: %s\n", na_inv_warning(inv, i));
}

na_inventory *cli_load_inventory(const char *path, const char *vault_password_file, na_err *err)
{
    na_inv_opts o = {
        .vault_password_file = vault_password_file,
        .prompt = cli_tty_prompt,
    };
    na_inventory *inv = na_inv_load(path, &o, err);
    print_warnings(inv);
    return inv;
}

int cli_inv_arg(cli_inv_args *a, int which, const char *arg, na_err *err)
{
    if (which == 'i') {
        if (a->n_paths >= CLI_MAX_SOURCES)
            return na_err_set(err, NA_E_USAGE, "-i: at most %d inventory sources",
                              CLI_MAX_SOURCES);
        a->paths[a->n_paths++] = arg;
        return 0;
    }
    if (a->n_vault_ids >= CLI_MAX_VAULT_IDS)
        return na_err_set(err, NA_E_USAGE, "--vault-id: at most %d", CLI_MAX_VAULT_IDS);
    a->vault_ids[a->n_vault_ids++] = which == 'A' ? "default@prompt" : arg;
    return 0;
}

na_avault_keys *cli_vault_keys(const cli_inv_args *a, na_err *err)
{
    na_avault_keys *k = na_avault_keys_new(cli_tty_prompt, NULL);
    if (!k) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < a->n_vault_ids; i++)
        if (na_avault_keys_add_id(k, a->vault_ids[i], err) < 0)
            goto fail;
    const char *env = getenv("ANSIBLE_VAULT_PASSWORD_FILE");
    const char *files[2] = {a->vault_password_file, env && *env ? env : NULL};
    for (int i = 0; i < 2; i++) {
        char id[4200];
        if (!files[i])
            continue;
        snprintf(id, sizeof id, "default@%s", files[i]);
        if (na_avault_keys_add_id(k, id, err) < 0)
            goto fail;
    }
    const char *pw = getenv("NETAUTO_VAULT_PASSWORD");
    if (pw && *pw && na_avault_keys_add_pass(k, "default", pw, err) < 0)
        goto fail;
    if (na_avault_keys_count(k) == 0 && na_avault_keys_add_id(k, "default@prompt", err) < 0)
        goto fail;
    return k;
fail:
    na_avault_keys_free(k);
    return NULL;
}

na_inventory *cli_load_inventories(const cli_inv_args *a, na_avault_keys *keys, na_err *err)
{
    na_inv_opts o = {
        .vault_password_file = a->vault_password_file,
        .prompt = cli_tty_prompt,
        .avault_keys = keys,
        .vault_ids = a->vault_ids,
        .n_vault_ids = a->n_vault_ids,
    };
    na_inventory *inv = na_inv_load_sources(a->paths, a->n_paths, &o, err);
    print_warnings(inv);
    return inv;
}

void cli_print_err(const na_err *err)
{
    fprintf(stderr, "%s\n", err && err->msg[0] ? err->msg : "unknown error");
}

int cli_parse_size(const char *s, size_t *out)
{
    char *end;
    if (!isdigit((unsigned char)s[0])) /* strtoull would take "-1" */
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || v == 0)
        return -1;
    unsigned shift = 0;
    if (*end == 'k' || *end == 'K')
        shift = 10, end++;
    else if (*end == 'm' || *end == 'M')
        shift = 20, end++;
    else if (*end == 'g' || *end == 'G')
        shift = 30, end++;
    if (*end || v > (SIZE_MAX >> shift))
        return -1;
    v <<= shift;
    *out = (size_t)v;
    return 0;
}
