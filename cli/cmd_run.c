/* cmd_run.c — `netauto run PLAYBOOK -i INVENTORY ...`: load the inventory and the playbook
 * (or only check them: --syntax-check, --list-hosts, --list-tasks, nothing contacted),
 * prepare the runner (everything is checked before anything is sent: exit 2 on invalid input),
 * run every host on one event loop with a progress line on a terminal, print what each host
 * produced as it finishes (check-mode renderings, command output, failures, diffs), the summary
 * table at the end, and optionally the results as JSON. Ctrl-C cancels the run (a second Ctrl-C
 * quits at once). Not the runner itself (playbooks/runner.h). */
#include "avault.h"
#include "cli_inv.h"
#include "log.h"
#include "playbook.h"
#include "runner.h"
#include "secret.h"
#include "ydoc.h"
#include "yjson.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: netauto run PLAYBOOK -i INVENTORY [-i INVENTORY]... [--limit PATTERN]\n"
            "                  [--check] [--diff] [--forks N] [--json FILE]\n"
            "                  [-e KEY=VALUE | -e @VARS.yaml | -e JSON] [--tags T,...]\n"
            "                  [--skip-tags T,...] [--transport ssh|telnet] [--transcripts DIR]\n"
            "                  [--backup-dir DIR]\n"
            "                  [--timeout SEC] [--host-timeout SEC] [--config-window N]\n"
            "                  [--max-output BYTES] [--templates DIR] [--vault-password-file FILE]\n"
            "                  [--vault-id [LABEL@]SOURCE]... [--ask-vault-pass] [-v]...\n"
            "       netauto run PLAYBOOK --syntax-check [-i INVENTORY]...\n"
            "       netauto run PLAYBOOK --list-tasks [--tags T] [--skip-tags T]\n"
            "       netauto run PLAYBOOK --list-hosts -i INVENTORY [--limit PATTERN]\n"
            "  --templates DIR: TextFSM templates (ntc-templates index) for tasks with parse: "
            "true\n");
}

/* ---- extra vars ------------------------------------------------------------------------------ */

/* -e @FILE (YAML or JSON), -e '{"json": ...}', or -e 'k=v k2=v2' (values are strings). */
static int add_extra(json_t *extra, const char *arg, na_err *err)
{
    json_t *j = NULL;
    if (arg[0] == '@') {
        na_ydoc d;
        if (na_ydoc_load_file(&d, arg + 1, err) < 0)
            return -1;
        na_ynode *root = na_ydoc_root(&d);
        if (!na_yis_map(root)) {
            na_yerr(err, &d, root, "extra vars must be a mapping");
            na_ydoc_free(&d);
            return -1;
        }
        j = na_ynode_to_json(&d, root, err);
        na_ydoc_free(&d);
        if (!j)
            return -1;
    } else if (arg[0] == '{') {
        json_error_t je;
        j = json_loads(arg, JSON_REJECT_DUPLICATES, &je);
        if (!j || !json_is_object(j)) {
            json_decref(j);
            return na_err_set(err, NA_E_USAGE, "-e: not a JSON object: %s", j ? "" : je.text);
        }
    } else {
        j = json_object();
        const char *p = arg;
        while (j && *p) {
            while (isspace((unsigned char)*p))
                p++;
            if (!*p)
                break;
            const char *eq = strchr(p, '='), *end = p + strcspn(p, " \t\n");
            if (!eq || eq > end || eq == p) {
                json_decref(j);
                return na_err_set(err, NA_E_USAGE, "-e: expected KEY=VALUE, got '%.*s'",
                                  (int)(end - p), p);
            }
            char key[256];
            snprintf(key, sizeof key, "%.*s", (int)(eq - p), p);
            for (const char *c = key; *c; c++)
                if (!(isalnum((unsigned char)*c) || *c == '_') || isdigit((unsigned char)key[0])) {
                    json_decref(j);
                    return na_err_set(err, NA_E_USAGE, "-e: '%s' is not a variable name", key);
                }
            json_object_set_new(j, key, json_stringn(eq + 1, (size_t)(end - eq - 1)));
            p = end;
        }
    }
    if (!j)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    json_object_update(extra, j);
    json_decref(j);
    return 0;
}

static int parse_seconds(const char *opt, const char *s, int *ms, na_err *err)
{
    char *e;
    errno = 0;
    double v = strtod(s, &e);
    if (errno || *e || e == s || v <= 0 || v > 86400)
        return na_err_set(err, NA_E_USAGE, "%s: expected seconds (0-86400], got '%s'", opt, s);
    *ms = (int)(v * 1000.0 + 0.5);
    return 0;
}

/* ---- output while running ------------------------------------------------------------------ */

typedef struct run_ui {
    na_runner *r;
    int verbose;
    bool tty;            /* progress line on stderr */
    bool json_stdout;    /* --json -: people's text goes to stderr */
    bool progress_shown;
    int64_t last_draw_ms;
    struct event *tick;
    unsigned width;
    int sigints;
} run_ui;

static FILE *human(const run_ui *ui) { return ui->json_stdout ? stderr : stdout; }

static void progress_clear(run_ui *ui)
{
    if (ui->tty && ui->progress_shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        ui->progress_shown = false;
    }
}

static void progress_draw(run_ui *ui, bool force)
{
    if (!ui->tty)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    if (!force && now - ui->last_draw_ms < 100)
        return;
    ui->last_draw_ms = now;
    na_run_progress p;
    na_runner_progress(ui->r, &p);
    char line[256];
    na_run_progress_line(&p, ui->width ? ui->width - 1 : 0, line, sizeof line);
    fprintf(stderr, "\r%s\033[K", line);
    fflush(stderr);
    ui->progress_shown = true;
}

static void print_block(FILE *f, const char *host, const char *title, const char *text)
{
    fprintf(f, "--- %s: %s\n", host, title);
    if (text && *text) {
        fputs(text, f);
        if (text[strlen(text) - 1] != '\n')
            fputc('\n', f);
    }
}

/* What a finished host produced that a person wants to read. */
static void print_host(run_ui *ui, const char *host, json_t *res)
{
    FILE *f = human(ui);
    bool check = false;
    size_t i;
    json_t *t;
    json_array_foreach (json_object_get(res, "tasks"), i, t) {
        const char *name = json_string_value(json_object_get(t, "name"));
        const char *action = json_string_value(json_object_get(t, "action"));
        const char *out = json_string_value(json_object_get(t, "output"));
        bool ok = json_is_true(json_object_get(t, "ok"));
        check = json_object_get(t, "partial") != NULL;
        if (json_is_true(json_object_get(t, "skipped"))) {
            if (ui->verbose)
                fprintf(f, "--- %s: %s (skipped)\n", host, name);
            continue;
        }
        char title[600];
        if (check) {
            snprintf(title, sizeof title, "%s (would send)", name);
            print_block(f, host, title, out);
        } else if (!strcmp(action, "command") || !strcmp(action, "script")) {
            /* command output: shown with -v, or when the task keeps nothing (no register) */
            if (ui->verbose > 0 || json_is_null(json_object_get(t, "register"))) {
                if (!strcmp(action, "script")) {
                    char s[700];
                    snprintf(s, sizeof s, "%s (exit status %lld)", name,
                             (long long)json_integer_value(json_object_get(t, "rc")));
                    print_block(f, host, s, out);
                    const char *se = json_string_value(json_object_get(t, "stderr"));
                    if (se && *se)
                        print_block(f, host, "stderr", se);
                } else {
                    print_block(f, host, name, out);
                }
            }
        } else if (ui->verbose > 1 && out && *out) {
            print_block(f, host, name, out);
        }
        if (!ok) {
            const char *msg =
                json_string_value(json_object_get(json_object_get(t, "error"), "message"));
            fprintf(f, "!!! %s: task '%s' failed%s: %s\n", host, name,
                    json_is_true(json_object_get(t, "ignored")) ? " (ignored)" : "",
                    msg ? msg : "?");
        }
    }
    const char *diff = json_string_value(json_object_get(res, "diff"));
    if (diff)
        print_block(f, host, "diff of the running-config", *diff ? diff : "(no change)\n");
    if (!json_is_true(json_object_get(res, "ok")) && !json_array_size(json_object_get(res, "tasks"))) {
        const char *msg =
            json_string_value(json_object_get(json_object_get(res, "error"), "message"));
        size_t hl = strlen(host);
        if (msg && !strncmp(msg, host, hl) && !strncmp(msg + hl, ": ", 2))
            fprintf(f, "!!! %s\n", msg); /* the message names the host already */
        else
            fprintf(f, "!!! %s: %s\n", host, msg ? msg : "failed");
    }
    fflush(f);
}

static void on_host_started(void *ud, const char *host)
{
    (void)host;
    progress_draw(ud, false);
}

static void on_host_finished(void *ud, const char *host, json_t *result)
{
    run_ui *ui = ud;
    progress_clear(ui);
    print_host(ui, host, result);
    progress_draw(ui, true);
}

static void on_run_finished(void *ud, json_t *results, const na_err *err)
{
    (void)results;
    (void)err;
    run_ui *ui = ud;
    progress_clear(ui);
    if (ui->tick)
        event_del(ui->tick);
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    progress_draw(arg, true);
}

static void sigint_cb(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    run_ui *ui = arg;
    progress_clear(ui);
    if (++ui->sigints > 1) {
        fprintf(stderr, "netauto: interrupted again, quitting\n");
        _exit(130);
    }
    fprintf(stderr, "netauto: %s: cancelling (closing sessions; again to quit at once)\n",
            sig == SIGINT ? "interrupted" : "terminated");
    na_runner_cancel(ui->r);
}

static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int write_json(const char *path, json_t *results, na_err *err)
{
    if (!strcmp(path, "-")) {
        json_dumpf(results, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        return fflush(stdout) == 0 ? 0 : na_err_set(err, NA_E_IO, "--json: stdout: %s",
                                                     strerror(errno));
    }
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    if (json_dump_file(results, tmp, JSON_INDENT(2)) < 0 || rename(tmp, path) < 0) {
        int e = errno;
        unlink(tmp);
        return na_err_set(err, NA_E_IO, "--json: cannot write '%s': %s", path, strerror(e));
    }
    return 0;
}

/* ---- tags, listings -------------------------------------------------------------------------- */

#define MAX_TAGS 64

/* "a,b" (repeatable) -> list; -1 + err past MAX_TAGS. */
static int add_tags(char *arg, const char **out, size_t *n, na_err *err)
{
    for (char *save = NULL, *t = strtok_r(arg, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ')
            t++;
        size_t l = strlen(t);
        while (l && t[l - 1] == ' ')
            t[--l] = '\0';
        if (!*t)
            continue;
        if (*n >= MAX_TAGS)
            return na_err_set(err, NA_E_USAGE, "at most %d tags", MAX_TAGS);
        out[(*n)++] = t;
    }
    return 0;
}

/* Ansible's --list-tasks: every play with its tasks (those --tags/--skip-tags select). */
static void list_tasks(const char *path, const na_playbook *pb, const na_pb_tags *tags)
{
    printf("\nplaybook: %s\n", path);
    for (size_t i = 0; i < na_pb_play_count(pb); i++) {
        const na_play *p = na_pb_play(pb, i);
        printf("\n  play #%zu (%s): %s\n    tasks:\n", i + 1, na_play_hosts(p), na_play_name(p));
        for (size_t j = 0; j < na_play_task_count(p); j++) {
            const na_task *t = na_play_task(p, j);
            if (!na_task_selected(t, tags))
                continue;
            char tt[1024];
            na_task_tags_text(t, tt, sizeof tt);
            printf("      %s\tTAGS: [%s]\n", na_task_name(t), tt);
        }
        for (size_t j = 0; j < na_play_handler_count(p); j++)
            printf("      (handler) %s\n", na_task_name(na_play_handler(p, j)));
    }
}

/* Ansible's --list-hosts: each play's hosts, --limit applied. -1 + err on a bad pattern. */
static int list_hosts(const char *path, const na_playbook *pb, const na_inventory *inv,
                      const char *limit, na_err *err)
{
    na_inv_selection lim = {0};
    if (limit && *limit && na_inv_select(inv, limit, &lim, err) < 0)
        return -1;
    printf("\nplaybook: %s\n", path);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < na_pb_play_count(pb); i++) {
        const na_play *p = na_pb_play(pb, i);
        na_inv_selection sel;
        if (na_inv_select(inv, na_play_hosts(p), &sel, err) < 0) {
            na_err_prefix(err, "play '%s': hosts: ", na_play_name(p));
            rc = -1;
            break;
        }
        size_t n = 0;
        for (size_t k = 0; k < sel.n; k++) {
            bool in = !limit || !*limit;
            for (size_t m = 0; !in && m < lim.n; m++)
                in = lim.hosts[m] == sel.hosts[k];
            if (in)
                sel.hosts[n++] = sel.hosts[k];
        }
        printf("\n  play #%zu (%s): %s\n    pattern: ['%s']\n    hosts (%zu):\n", i + 1,
               na_play_hosts(p), na_play_name(p), na_play_hosts(p), n);
        for (size_t k = 0; k < n; k++)
            printf("      %s\n", sel.hosts[k]->name);
        na_inv_selection_free(&sel);
    }
    na_inv_selection_free(&lim);
    return rc;
}

/* ---- the verb -------------------------------------------------------------------------------- */

int cmd_run(int argc, char **argv)
{
    enum { O_CHECK = 256, O_DIFF, O_FORKS, O_JSON, O_TRANSPORT, O_TRANSCRIPTS, O_BACKUP_DIR, O_VAULT,
           O_TIMEOUT, O_HOST_TIMEOUT, O_WINDOW, O_LIMIT, O_MAX_OUTPUT, O_VAULT_ID, O_ASK_VAULT,
           O_TAGS, O_SKIP_TAGS, O_SYNTAX, O_LIST_HOSTS, O_LIST_TASKS, O_TEMPLATES };
    static const struct option longopts[] = {
        {"inventory", required_argument, NULL, 'i'},
        {"limit", required_argument, NULL, 'l'},
        {"check", no_argument, NULL, O_CHECK},
        {"diff", no_argument, NULL, O_DIFF},
        {"forks", required_argument, NULL, O_FORKS},
        {"json", required_argument, NULL, O_JSON},
        {"extra-vars", required_argument, NULL, 'e'},
        {"transport", required_argument, NULL, O_TRANSPORT},
        {"transcripts", required_argument, NULL, O_TRANSCRIPTS},
        {"backup-dir", required_argument, NULL, O_BACKUP_DIR},
        {"vault-password-file", required_argument, NULL, O_VAULT},
        {"vault-id", required_argument, NULL, O_VAULT_ID},
        {"ask-vault-pass", no_argument, NULL, O_ASK_VAULT},
        {"tags", required_argument, NULL, O_TAGS},
        {"skip-tags", required_argument, NULL, O_SKIP_TAGS},
        {"syntax-check", no_argument, NULL, O_SYNTAX},
        {"list-hosts", no_argument, NULL, O_LIST_HOSTS},
        {"list-tasks", no_argument, NULL, O_LIST_TASKS},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"host-timeout", required_argument, NULL, O_HOST_TIMEOUT},
        {"config-window", required_argument, NULL, O_WINDOW},
        {"max-output", required_argument, NULL, O_MAX_OUTPUT},
        {"templates", required_argument, NULL, O_TEMPLATES},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    na_err err = NA_ERR_INIT;
    na_run_opts o = NA_RUN_OPTS_INIT;
    const char *json_path = NULL;
    cli_inv_args ia = {0};
    const char *tags[MAX_TAGS], *skip[MAX_TAGS];
    size_t ntags = 0, nskip = 0;
    bool syntax = false, lhosts = false, ltasks = false;
    json_t *extra = json_object();
    run_ui ui = {0};
    int c, status = CLI_EXIT_INVALID;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "i:l:e:vh", longopts, NULL)) != -1 &&
           !na_err_isset(&err)) {
        char *end;
        switch (c) {
        case 'i': cli_inv_arg(&ia, 'i', optarg, &err); break;
        case O_VAULT_ID: cli_inv_arg(&ia, 'I', optarg, &err); break;
        case O_ASK_VAULT: cli_inv_arg(&ia, 'A', NULL, &err); break;
        case O_TAGS: add_tags(optarg, tags, &ntags, &err); break;
        case O_SKIP_TAGS: add_tags(optarg, skip, &nskip, &err); break;
        case O_SYNTAX: syntax = true; break;
        case O_LIST_HOSTS: lhosts = true; break;
        case O_LIST_TASKS: ltasks = true; break;
        case 'l': o.limit = optarg; break;
        case O_CHECK: o.check = true; break;
        case O_DIFF: o.diff = true; break;
        case O_FORKS: {
            long v = strtol(optarg, &end, 10);
            if (*end || end == optarg || v < 0 || v > 1000000)
                na_err_set(&err, NA_E_USAGE, "--forks: expected a number >= 0, got '%s'", optarg);
            o.forks = (unsigned)v;
            break;
        }
        case O_WINDOW: {
            long v = strtol(optarg, &end, 10);
            if (*end || end == optarg || v < 1 || v > 1024)
                na_err_set(&err, NA_E_USAGE, "--config-window: expected 1-1024, got '%s'",
                           optarg);
            o.config_window = (size_t)v;
            break;
        }
        case O_MAX_OUTPUT:
            if (cli_parse_size(optarg, &o.max_output) < 0)
                na_err_set(&err, NA_E_USAGE,
                           "--max-output: expected a byte count (like 64M), got '%s'", optarg);
            break;
        case O_JSON: json_path = optarg; break;
        case 'e': add_extra(extra, optarg, &err); break;
        case O_TRANSPORT:
            if (na_transport_kind_parse(optarg, &o.transport) < 0)
                na_err_set(&err, NA_E_USAGE, "--transport: expected ssh or telnet, got '%s'",
                           optarg);
            o.transport_override = true;
            break;
        case O_TRANSCRIPTS: o.transcript_dir = optarg; break;
        case O_BACKUP_DIR: o.backup_dir = optarg; break;
        case O_TEMPLATES: o.templates_dir = optarg; break;
        case O_VAULT: ia.vault_password_file = optarg; break;
        case O_TIMEOUT: parse_seconds("--timeout", optarg, &o.task_timeout_ms, &err); break;
        case O_HOST_TIMEOUT:
            parse_seconds("--host-timeout", optarg, &o.host_timeout_ms, &err);
            break;
        case 'v': ui.verbose++; break;
        case 'h':
            usage(stdout);
            json_decref(extra);
            return CLI_EXIT_OK;
        default:
            na_err_set(&err, NA_E_USAGE, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    const char *pb_path = optind < argc ? argv[optind] : NULL;
    bool need_inv = !syntax && !ltasks;
    if (!na_err_isset(&err) && (!pb_path || optind + 1 != argc || (need_inv && !ia.n_paths))) {
        usage(stderr);
        json_decref(extra);
        return CLI_EXIT_INVALID;
    }
    if (na_err_isset(&err)) {
        cli_print_err(&err);
        usage(stderr);
        json_decref(extra);
        return CLI_EXIT_INVALID;
    }
    /* Warnings always show (an unverified host key must be seen); failures are printed by
     * print_host, so the runner logs them as information. */
    na_log_set_level(ui.verbose >= 4   ? NA_LOG_TRACE
                     : ui.verbose == 3 ? NA_LOG_DEBUG
                     : ui.verbose == 2 ? NA_LOG_INFO
                                       : NA_LOG_WARN);
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();

    o.tags = tags;
    o.n_tags = ntags;
    o.skip_tags = skip;
    o.n_skip_tags = nskip;
    na_pb_tags sel = {.only = tags, .n_only = ntags, .skip = skip, .n_skip = nskip};
    na_inventory *inv = NULL;
    na_avault_keys *keys = cli_vault_keys(&ia, &err);
    na_playbook *pb = keys ? na_pb_load_file_keys(pb_path, keys, &err) : NULL;
    if (pb && ltasks) {
        list_tasks(pb_path, pb, &sel);
        na_pb_free(pb);
        na_avault_keys_free(keys);
        json_decref(extra);
        return CLI_EXIT_OK;
    }
    if (pb && ia.n_paths)
        inv = cli_load_inventories(&ia, keys, &err);
    na_avault_keys_free(keys); /* passwords are not kept past loading */
    if (pb && (syntax || lhosts) && (inv || !ia.n_paths)) {
        /* nothing is sent: validate everything a run would, then stop */
        int st = CLI_EXIT_OK;
        if (lhosts && list_hosts(pb_path, pb, inv, o.limit, &err) < 0)
            st = CLI_EXIT_INVALID;
        if (st == CLI_EXIT_OK && inv) {
            o.extra_vars = json_object_size(extra) ? extra : NULL;
            na_runner *chk = na_runner_new(inv, pb, &o, &err);
            if (!chk)
                st = CLI_EXIT_INVALID;
            na_runner_free(chk);
        }
        if (st != CLI_EXIT_OK)
            cli_print_err(&err);
        else if (syntax)
            printf("\nplaybook: %s\n", pb_path);
        na_inv_free(inv);
        na_pb_free(pb);
        json_decref(extra);
        return st;
    }
    struct event_base *base = NULL;
    struct event *sig_int = NULL, *sig_term = NULL;
    if (inv) {
        base = event_base_new();
        if (!base)
            na_err_set(&err, NA_E_NOMEM, "cannot create an event loop");
    }
    ui.json_stdout = json_path && !strcmp(json_path, "-");
    ui.tty = isatty(STDERR_FILENO);
    struct winsize ws;
    if (ui.tty && ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0)
        ui.width = ws.ws_col;
    if (base) {
        o.extra_vars = json_object_size(extra) ? extra : NULL;
        o.base = base;
        o.hooks = (na_run_hooks){
            .ud = &ui,
            .host_started = on_host_started,
            .host_finished = on_host_finished,
            .run_finished = on_run_finished,
        };
        ui.r = na_runner_new(inv, pb, &o, &err);
    }
    if (ui.r) {
        sig_int = evsignal_new(base, SIGINT, sigint_cb, &ui);
        sig_term = evsignal_new(base, SIGTERM, sigint_cb, &ui);
        if (sig_int)
            event_add(sig_int, NULL);
        if (sig_term)
            event_add(sig_term, NULL);
        if (ui.tty && (ui.tick = event_new(base, -1, EV_PERSIST, tick_cb, &ui))) {
            struct timeval tv = {0, 500000};
            event_add(ui.tick, &tv);
        }
        na_err rerr = NA_ERR_INIT;
        if (na_runner_run(ui.r, &rerr) < 0 && rerr.code != NA_E_CANCELLED) {
            progress_clear(&ui);
            cli_print_err(&rerr);
            status = CLI_EXIT_FAILED;
        } else {
            json_t *results = na_runner_results(ui.r);
            na_buf table;
            na_buf_init(&table, 0);
            if (na_run_summary_table(results, 100, &table, &err) == 0) {
                fputs("\n", human(&ui));
                fputs(na_buf_cstr(&table), human(&ui));
                fflush(human(&ui));
            }
            na_buf_free(&table);
            na_err_clear(&err);
            status = na_runner_exit_status(ui.r);
            if (json_path && write_json(json_path, results, &err) < 0) {
                cli_print_err(&err);
                status = CLI_EXIT_FAILED;
            }
        }
    } else {
        cli_print_err(&err);
    }
    if (ui.tick)
        event_free(ui.tick);
    if (sig_int)
        event_free(sig_int);
    if (sig_term)
        event_free(sig_term);
    na_runner_free(ui.r);
    if (base)
        event_base_free(base);
    na_inv_free(inv);
    na_pb_free(pb);
    json_decref(extra);
    return status;
}
