/* cmd_run.c — `netauto run PLAYBOOK -i INVENTORY ...`: load the inventory and the playbook
 * (or only check them: --syntax-check, --list-hosts, --list-tasks, nothing contacted),
 * prepare the runner (everything is checked before anything is sent: exit 2 on invalid input),
 * run every host on one event loop with a progress line on a terminal, print what each host
 * produced as it finishes (check-mode renderings, command output, failures, diffs), the summary
 * table at the end, and optionally the results as JSON. Ctrl-C cancels the run (a second Ctrl-C
 * quits at once). Not the runner itself (playbooks/runner.h). */
#include "avault.h"
#include "cli_args.h"
#include "verbs.h"
#include "cli_inv.h"
#include "log.h"
#include "playbook.h"
#include "runner.h"
#include "secret.h"
#include "ydoc.h"
#include "yjson.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <unistd.h>


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
    fprintf(f, "%s--- %s: %s%s\n", cli_sgr(f, CLI_CYAN), host, title, cli_sgr(f, CLI_RESET));
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
            fprintf(f, "%s!!! %s: task '%s' failed%s: %s%s\n", cli_sgr(f, CLI_RED), host, name,
                    json_is_true(json_object_get(t, "ignored")) ? " (ignored)" : "",
                    msg ? msg : "?", cli_sgr(f, CLI_RESET));
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
            fprintf(f, "%s!!! %s%s\n", cli_sgr(f, CLI_RED), msg, cli_sgr(f, CLI_RESET));
        else
            fprintf(f, "%s!!! %s: %s%s\n", cli_sgr(f, CLI_RED), host, msg ? msg : "failed",
                    cli_sgr(f, CLI_RESET));
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
    json_object_set_new(results, "schema", json_integer(CLI_RESULT_SCHEMA));
    json_object_set_new(results, "kind", json_string("run"));
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

int cli_cmd_run(const cli_args *a)
{
    na_err err = NA_ERR_INIT;
    na_run_opts o = NA_RUN_OPTS_INIT;
    const char *json_path = cli_opt(a, O_JSON_FILE);
    cli_inv_args ia;
    const char *tags[MAX_TAGS], *skip[MAX_TAGS];
    char *tag_bufs[2 * MAX_TAGS];
    size_t ntags = 0, nskip = 0, nbufs = 0;
    bool syntax = cli_opt(a, O_SYNTAX) != NULL, lhosts = cli_opt(a, O_LIST_HOSTS) != NULL,
         ltasks = cli_opt(a, O_LIST_TASKS) != NULL;
    json_t *extra = json_object();
    run_ui ui = {0};
    int status = CLI_EXIT_INVALID;
    long forks = cli_g.cfg_forks > 0 ? cli_g.cfg_forks : (long)o.forks, window = 0;
    bool need_inv = !syntax && !ltasks;
    if (!extra || cli_inv_from_args(a, &ia, need_inv) ||
        cli_opt_long(a, O_FORKS, 0, 1000000, &forks) ||
        cli_opt_long(a, O_WINDOW, 1, 1024, &window) ||
        cli_opt_size(a, O_MAX_OUTPUT, &o.max_output) ||
        cli_opt_transport(a, &o.transport, &o.transport_override) ||
        cli_opt_seconds(a, O_TIMEOUT, &o.task_timeout_ms) ||
        cli_opt_seconds(a, O_HOST_TIMEOUT, &o.host_timeout_ms)) {
        json_decref(extra);
        return CLI_EXIT_INVALID;
    }
    o.forks = (unsigned)forks;
    o.config_window = (size_t)window;
    o.limit = cli_opt(a, O_LIMIT);
    o.check = cli_opt(a, O_CHECK) != NULL;
    o.diff = cli_opt(a, O_DIFF) != NULL;
    o.transcript_dir = cli_opt(a, O_TRANSCRIPTS);
    o.backup_dir = cli_opt(a, O_BACKUP_DIR);
    o.templates_dir = cli_opt(a, O_TEMPLATES);
    for (size_t i = 0; i < a->nopts && !na_err_isset(&err); i++) {
        int id = a->opts[i].id;
        if (id == O_VERBOSE)
            ui.verbose++;
        else if (id == O_EXTRA)
            add_extra(extra, a->opts[i].val, &err);
        else if ((id == O_TAGS || id == O_SKIP_TAGS) && nbufs < 2 * MAX_TAGS) {
            char *copy = strdup(a->opts[i].val); /* split in place: argv stays as typed */
            if (!copy) {
                na_err_set(&err, NA_E_NOMEM, "out of memory");
                break;
            }
            tag_bufs[nbufs++] = copy;
            if (id == O_TAGS)
                add_tags(copy, tags, &ntags, &err);
            else
                add_tags(copy, skip, &nskip, &err);
        }
    }
    const char *pb_path = a->npos ? a->pos[0] : NULL;
    if (!na_err_isset(&err) && (!pb_path || a->npos != 1)) {
        for (size_t i = 0; i < nbufs; i++)
            free(tag_bufs[i]);
        json_decref(extra);
        if (!pb_path)
            return cli_usage_error(a->verb, "give the PLAYBOOK to run");
        return cli_usage_error(a->verb, "give one PLAYBOOK (read as: PLAYBOOK '%s', then '%s')",
                               a->pos[0], a->pos[1]);
    }
    if (na_err_isset(&err)) {
        for (size_t i = 0; i < nbufs; i++)
            free(tag_bufs[i]);
        json_decref(extra);
        return cli_usage_error(a->verb, "%s", err.msg);
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
        status = CLI_EXIT_OK;
        goto done;
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
        status = st;
        goto done;
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
done:
    for (size_t i = 0; i < nbufs; i++)
        free(tag_bufs[i]);
    json_decref(extra);
    return status;
}
