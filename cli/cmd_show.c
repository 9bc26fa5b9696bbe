/* cmd_show.c — `netauto show -i INVENTORY HOST 'COMMAND'... [--limit P] [--transport T] [--json]
 * [--transcript FILE] [-v]`: one-off commands to one host, or to every host selected, all driven
 * concurrently from ONE poll loop with the driver's start/step interface (no threads). Output is
 * printed per host in inventory order once every host is done (text, or --json). Exit 0 when
 * every command on every host succeeded, 1 when any failed, 2 for invalid input (nothing sent).
 * Not a playbook runner: no templating, no config, no retries. */
#include "cli_dev.h"
#include "cli_inv.h"
#include "clock.h"
#include "log.h"
#include "secret.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHOW_DEFAULT_FORKS 50
#define SHOW_MAX_FORKS 4096

typedef struct cmd_out {
    bool ran, ok;
    char *output;        /* device output (NULL if none) */
    size_t len;
    char *device_error;  /* the device's error line, or NULL */
    na_err err;          /* this command's error (device rejection, timeout...) */
    int64_t us;
} cmd_out;

typedef enum { J_PENDING, J_OPEN, J_CMD, J_DONE } job_state;

typedef struct job {
    const na_inv_host *h;
    na_conn_params params; /* borrowed by the transport */
    na_session *s;
    na_transcript *tr;
    job_state st;
    size_t cur;
    cmd_out *outs;
    na_err err;            /* first error of this host (what the exit status and stderr show) */
    bool failed;
    int64_t t0_us, us;
} job;

typedef struct show_ctx {
    const char *const *cmds;
    size_t ncmds;
    na_transport_kind kind;
    bool kind_set;
    const char *transcript;
    bool several;
    size_t max_output;
    int timeout_ms;
    na_platforms *reg;
} show_ctx;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: netauto show -i INVENTORY HOST 'COMMAND' ['COMMAND'...] [options]\n"
            "       netauto show -i INVENTORY --limit PATTERN 'COMMAND' ['COMMAND'...] [options]\n"
            "  HOST                  a host name (or a --limit pattern: group, glob, a:b ...)\n"
            "  -l, --limit PATTERN   hosts to run on (with HOST: only those matching both)\n"
            "  -t, --transport T     ssh or telnet (default: each host's own)\n"
            "      --json            results as JSON on stdout\n"
            "      --transcript FILE record the session bytes (\"{host}\" in FILE is replaced;\n"
            "                        with several hosts and no {host}, FILE.HOST)\n"
            "      --timeout SECONDS per-command timeout (default: the inventory's, 30)\n"
            "      --max-output BYTES output limit per command (default 16 MiB)\n"
            "  -f, --forks N         hosts in flight at once (default %d)\n"
            "      --vault-password-file FILE\n"
            "  -v                    more log lines on stderr (-vv, -vvv for more)\n",
            SHOW_DEFAULT_FORKS);
}

/* ---- one host ---- */

static void job_finish(job *j)
{
    if (j->s) {
        na_session_free(j->s); /* closes the connection now: fds are released as hosts finish */
        j->s = NULL;
    }
    if (j->tr) {
        na_err e = NA_ERR_INIT;
        if (na_transcript_close(j->tr, &e) < 0) {
            cli_err_name(&e, j->h->name);
            NA_LOGW(j->h->name, "%s", e.msg);
        }
        j->tr = NULL;
    }
    j->us = na_now_us() - j->t0_us;
    j->st = J_DONE;
}

static void job_fail(job *j, const na_err *e)
{
    if (!j->failed) {
        j->err = *e;
        cli_err_name(&j->err, j->h->name);
    }
    j->failed = true;
}

static void job_start_cmd(job *j, const show_ctx *c)
{
    while (j->cur < c->ncmds) {
        na_err e = NA_ERR_INIT;
        na_cmd_opts o = {.timeout_ms = c->timeout_ms};
        if (na_session_start_command(j->s, c->cmds[j->cur], &o, &e) == 0) {
            j->outs[j->cur].ran = true;
            j->st = J_CMD;
            return;
        }
        cli_err_name(&e, j->h->name);
        job_fail(j, &e);
        j->outs[j->cur].err = e;
        j->outs[j->cur].ran = true;
        if (!na_session_usable(j->s))
            break;
        j->cur++;
    }
    job_finish(j);
}

static void job_start(job *j, const show_ctx *c)
{
    na_err e = NA_ERR_INIT;
    j->t0_us = na_now_us();
    j->st = J_OPEN;
    if (c->transcript) {
        char *path = cli_transcript_path(c->transcript, j->h->name, c->several);
        if (!path) {
            na_err_set(&e, NA_E_NOMEM, "out of memory");
            job_fail(j, &e);
            job_finish(j);
            return;
        }
        j->tr = na_transcript_open(path, j->h->name, &e);
        free(path);
        if (!j->tr) {
            job_fail(j, &e);
            job_finish(j);
            return;
        }
    }
    cli_sess_cfg cfg = {
        .kind = c->kind_set ? c->kind : j->h->transport,
        .transcript = j->tr,
        .max_output = c->max_output,
        .command_timeout_ms = c->timeout_ms,
    };
    j->s = cli_session_new(c->reg, j->h, &cfg, &j->params, &e);
    if (!j->s || na_session_start_open(j->s, &e) < 0) {
        job_fail(j, &e);
        job_finish(j);
    }
}

/* The session's operation ended (NA_OK or NA_ERROR). */
static void job_advance(job *j, const show_ctx *c, na_status st, const na_err *e)
{
    if (j->st == J_OPEN) {
        if (st != NA_OK) {
            job_fail(j, e);
            job_finish(j);
            return;
        }
        j->cur = 0;
        job_start_cmd(j, c);
        return;
    }
    na_result r;
    na_session_take_result(j->s, &r);
    cmd_out *o = &j->outs[j->cur];
    o->ok = st == NA_OK;
    o->output = r.output;
    o->len = r.output ? r.output_len : 0;
    r.output = NULL;
    o->device_error = r.device_error;
    r.device_error = NULL;
    o->us = r.elapsed_us;
    na_result_free(&r);
    if (st != NA_OK) {
        o->err = *e;
        cli_err_name(&o->err, j->h->name);
        job_fail(j, e);
        if (!na_session_usable(j->s)) {
            job_finish(j);
            return;
        }
    }
    j->cur++;
    job_start_cmd(j, c);
}

static void job_step(job *j, const show_ctx *c)
{
    na_err e = NA_ERR_INIT;
    na_status st = na_session_step(j->s, &e);
    if (st != NA_AGAIN)
        job_advance(j, c, st, &e);
}

/* ---- the one loop ---- */

static int run_all(job *jobs, size_t n, const show_ctx *c, size_t forks, na_err *err)
{
    struct pollfd *pfd = calloc(forks, sizeof *pfd);
    size_t *idx = calloc(forks, sizeof *idx);
    if (!pfd || !idx) {
        free(pfd);
        free(idx);
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    }
    size_t next = 0, done = 0;
    while (done < n) {
        size_t active = 0;
        for (size_t i = 0; i < n; i++)
            if (jobs[i].st == J_OPEN || jobs[i].st == J_CMD)
                active++;
        while (active < forks && next < n) {
            job_start(&jobs[next], c);
            if (jobs[next].st != J_DONE)
                active++;
            next++;
        }
        size_t np = 0;
        int64_t wake = 0;
        for (size_t i = 0; i < n && np < forks; i++) {
            job *j = &jobs[i];
            if (j->st != J_OPEN && j->st != J_CMD)
                continue;
            int want = na_session_want(j->s);
            pfd[np].fd = na_session_fd(j->s);
            pfd[np].events = (short)((want & NA_WANT_READ ? POLLIN : 0) |
                                     (want & NA_WANT_WRITE ? POLLOUT : 0));
            pfd[np].revents = 0;
            if (!pfd[np].events)
                pfd[np].fd = -1;
            idx[np++] = i;
            int64_t d = na_session_deadline(j->s);
            if (d > 0 && (wake == 0 || d < wake))
                wake = d;
        }
        if (np > 0) {
            int64_t ms = wake > 0 ? na_ms_until(wake) : 60000;
            if (ms > 60000)
                ms = 60000;
            if (poll(pfd, np, (int)ms) < 0 && errno != EINTR) {
                na_err_set(err, NA_E_IO, "poll: %s", strerror(errno));
                break;
            }
            int64_t now = na_now_ms();
            for (size_t k = 0; k < np; k++) {
                job *j = &jobs[idx[k]];
                int64_t d = na_session_deadline(j->s);
                if (pfd[k].revents || (d > 0 && d <= now))
                    job_step(j, c);
            }
        }
        done = 0;
        for (size_t i = 0; i < n; i++)
            done += jobs[i].st == J_DONE;
    }
    free(pfd);
    free(idx);
    return na_err_isset(err) ? -1 : 0;
}

/* ---- output ---- */

static json_t *err_json(const na_err *e)
{
    if (!na_err_isset(e))
        return json_null();
    return json_pack("{s:s,s:o}", "code", na_code_name(e->code), "message",
                     cli_json_text(e->msg, strlen(e->msg)));
}

static json_t *job_json(const job *j, const show_ctx *c)
{
    json_t *cmds = json_array();
    for (size_t i = 0; i < c->ncmds; i++) {
        const cmd_out *o = &j->outs[i];
        if (!o->ran)
            continue;
        json_array_append_new(
            cmds, json_pack("{s:s,s:b,s:o,s:o,s:o,s:f}", "command", c->cmds[i], "ok", o->ok,
                            "output", o->output ? cli_json_text(o->output, o->len) : json_null(),
                            "device_error",
                            o->device_error ? cli_json_text(o->device_error,
                                                            strlen(o->device_error))
                                            : json_null(),
                            "error", err_json(&o->err), "elapsed_ms", cli_ms(o->us)));
    }
    na_transport_kind k = c->kind_set ? c->kind : j->h->transport;
    return json_pack("{s:s,s:s,s:s,s:s,s:b,s:o,s:f,s:o}", "host", j->h->name, "address",
                     j->h->address, "platform", j->h->platform, "transport",
                     na_transport_kind_name(k), "ok", !j->failed, "error", err_json(&j->err),
                     "elapsed_ms", cli_ms(j->us), "commands", cmds);
}

static void put_redacted(const char *p, size_t n)
{
    char *safe = na_redact_dup(p, n);
    if (safe) {
        fputs(safe, stdout);
        n = strlen(safe);
        if (n && safe[n - 1] != '\n')
            putchar('\n');
        free(safe);
    }
}

static void print_text(const job *jobs, size_t n, const show_ctx *c)
{
    for (size_t i = 0; i < n; i++) {
        const job *j = &jobs[i];
        if (c->several)
            printf("%s=== %s ===\n", i ? "\n" : "", j->h->name);
        for (size_t k = 0; k < c->ncmds; k++) {
            const cmd_out *o = &j->outs[k];
            if (!o->ran)
                continue;
            if (c->ncmds > 1)
                printf("--- %s ---\n", c->cmds[k]);
            if (o->output && o->len)
                put_redacted(o->output, o->len);
        }
    }
    fflush(stdout);
    for (size_t i = 0; i < n; i++) { /* errors last, so they are the last thing one sees */
        const job *j = &jobs[i];
        bool any = false;
        for (size_t k = 0; k < c->ncmds; k++)
            if (na_err_isset(&j->outs[k].err)) {
                fprintf(stderr, "%s\n", j->outs[k].err.msg);
                any = true;
            }
        if (j->failed && !any)
            fprintf(stderr, "%s\n", j->err.msg);
    }
}

static int print_json(const job *jobs, size_t n, const show_ctx *c, bool all_ok)
{
    json_t *hosts = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(hosts, job_json(&jobs[i], c));
    json_t *root = json_pack("{s:b,s:o}", "ok", all_ok, "hosts", hosts);
    char *s = root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10)) : NULL;
    json_decref(root);
    if (!s)
        return -1;
    char *safe = na_redact_dup(s, strlen(s));
    free(s);
    if (!safe)
        return -1;
    puts(safe);
    free(safe);
    for (size_t i = 0; i < n; i++)
        if (jobs[i].failed)
            fprintf(stderr, "%s\n", jobs[i].err.msg);
    return 0;
}

/* ---- the verb ---- */

static int parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || v == 0)
        return -1;
    if (*end == 'k' || *end == 'K')
        v <<= 10, end++;
    else if (*end == 'm' || *end == 'M')
        v <<= 20, end++;
    else if (*end == 'g' || *end == 'G')
        v <<= 30, end++;
    if (*end)
        return -1;
    *out = (size_t)v;
    return 0;
}

int cmd_show(int argc, char **argv)
{
    static const struct option lopts[] = {
        {"inventory", required_argument, NULL, 'i'},
        {"limit", required_argument, NULL, 'l'},
        {"transport", required_argument, NULL, 't'},
        {"json", no_argument, NULL, 'j'},
        {"transcript", required_argument, NULL, 'T'},
        {"timeout", required_argument, NULL, 'O'},
        {"max-output", required_argument, NULL, 'M'},
        {"forks", required_argument, NULL, 'f'},
        {"vault-password-file", required_argument, NULL, 'V'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *path = NULL, *limit = NULL, *vpf = NULL;
    show_ctx c = {0};
    bool json = false;
    int verbose = 0, ch;
    size_t forks = SHOW_DEFAULT_FORKS;
    optind = 1;
    opterr = 1;
    while ((ch = getopt_long(argc, argv, "i:l:t:f:vh", lopts, NULL)) != -1) {
        switch (ch) {
        case 'i': path = optarg; break;
        case 'l': limit = optarg; break;
        case 't':
            if (na_transport_kind_parse(optarg, &c.kind) < 0) {
                fprintf(stderr, "netauto show: --transport must be ssh or telnet, got '%s'\n",
                        optarg);
                return CLI_EXIT_INVALID;
            }
            c.kind_set = true;
            break;
        case 'j': json = true; break;
        case 'T': c.transcript = optarg; break;
        case 'O': {
            char *end;
            double v = strtod(optarg, &end);
            if (*end || end == optarg || !(v > 0) || v > 86400) {
                fprintf(stderr, "netauto show: --timeout takes seconds (0 < s <= 86400), got "
                                "'%s'\n", optarg);
                return CLI_EXIT_INVALID;
            }
            c.timeout_ms = (int)(v * 1000 + 0.5);
            if (c.timeout_ms < 1)
                c.timeout_ms = 1;
            break;
        }
        case 'M':
            if (parse_size(optarg, &c.max_output) < 0) {
                fprintf(stderr, "netauto show: --max-output takes a byte count (like 64M), got "
                                "'%s'\n", optarg);
                return CLI_EXIT_INVALID;
            }
            break;
        case 'f': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || end == optarg || v < 1 || v > SHOW_MAX_FORKS) {
                fprintf(stderr, "netauto show: --forks takes 1..%d, got '%s'\n", SHOW_MAX_FORKS,
                        optarg);
                return CLI_EXIT_INVALID;
            }
            forks = (size_t)v;
            break;
        }
        case 'V': vpf = optarg; break;
        case 'v': verbose++; break;
        case 'h': usage(stdout); return CLI_EXIT_OK;
        default: usage(stderr); return CLI_EXIT_INVALID;
        }
    }
    if (!path) {
        fprintf(stderr, "netauto show: -i INVENTORY is required\n");
        usage(stderr);
        return CLI_EXIT_INVALID;
    }
    if (verbose)
        na_log_set_level(verbose >= 3 ? NA_LOG_TRACE : verbose == 2 ? NA_LOG_DEBUG : NA_LOG_INFO);

    na_err err = NA_ERR_INIT;
    na_inventory *inv = cli_load_inventory(path, vpf, &err);
    if (!inv) {
        cli_print_err(&err);
        return CLI_EXIT_INVALID;
    }
    /* HOST comes first, unless --limit is given and the first word is not a host or group */
    int pos = optind;
    const char *host = NULL;
    if (pos < argc && (!limit || na_inv_find(inv, argv[pos]) ||
                       na_inv_group_exists(inv, argv[pos])))
        host = argv[pos++];
    if (!host && !limit) {
        fprintf(stderr, "netauto show: HOST (or --limit PATTERN) is required\n");
        usage(stderr);
        na_inv_free(inv);
        return CLI_EXIT_INVALID;
    }
    if (pos >= argc) {
        fprintf(stderr, "netauto show: give at least one command, e.g. 'show version'\n");
        usage(stderr);
        na_inv_free(inv);
        return CLI_EXIT_INVALID;
    }
    for (int i = pos; i < argc; i++)
        if (!argv[i][0] || strchr(argv[i], '\n')) {
            fprintf(stderr, "netauto show: command %d is empty or has a newline: give each "
                            "command as one argument\n", i - pos + 1);
            na_inv_free(inv);
            return CLI_EXIT_INVALID;
        }
    c.cmds = (const char *const *)argv + pos;
    c.ncmds = (size_t)(argc - pos);

    na_inv_selection sel;
    if (cli_select_hosts(inv, host, limit, &sel, &err) < 0) {
        cli_print_err(&err);
        na_inv_free(inv);
        return CLI_EXIT_INVALID;
    }
    c.several = sel.n > 1;
    c.reg = cli_platforms(inv, &err);
    if (!c.reg) {
        cli_print_err(&err);
        na_inv_selection_free(&sel);
        na_inv_free(inv);
        return CLI_EXIT_INVALID;
    }
    /* every host's platform must exist before anything is sent (invalid input = exit 2) */
    for (size_t i = 0; i < sel.n; i++)
        if (!na_platform_find(c.reg, sel.hosts[i]->platform, &err)) {
            cli_err_name(&err, sel.hosts[i]->name);
            cli_print_err(&err);
            na_platforms_free(c.reg);
            na_inv_selection_free(&sel);
            na_inv_free(inv);
            return CLI_EXIT_INVALID;
        }

    int rc = CLI_EXIT_OK;
    job *jobs = calloc(sel.n, sizeof *jobs);
    cmd_out *outs = calloc(sel.n * c.ncmds, sizeof *outs);
    if (!jobs || !outs) {
        fprintf(stderr, "netauto show: out of memory\n");
        rc = CLI_EXIT_FAILED;
        goto out;
    }
    for (size_t i = 0; i < sel.n; i++) {
        jobs[i].h = sel.hosts[i];
        jobs[i].outs = outs + i * c.ncmds;
    }
    if (forks > sel.n)
        forks = sel.n;
    if (run_all(jobs, sel.n, &c, forks, &err) < 0) {
        cli_print_err(&err);
        rc = CLI_EXIT_FAILED;
    }
    bool all_ok = rc == CLI_EXIT_OK;
    for (size_t i = 0; i < sel.n; i++)
        all_ok &= !jobs[i].failed;
    if (json) {
        if (print_json(jobs, sel.n, &c, all_ok) < 0) {
            fprintf(stderr, "netauto show: out of memory\n");
            all_ok = false;
        }
    } else {
        print_text(jobs, sel.n, &c);
    }
    if (fflush(stdout) != 0)
        all_ok = false;
    rc = all_ok ? CLI_EXIT_OK : CLI_EXIT_FAILED;
out:
    for (size_t i = 0; jobs && i < sel.n; i++) {
        if (jobs[i].st != J_DONE && jobs[i].st != J_PENDING)
            job_finish(&jobs[i]);
        for (size_t k = 0; k < c.ncmds; k++) {
            free(jobs[i].outs[k].output);
            free(jobs[i].outs[k].device_error);
        }
    }
    free(outs);
    free(jobs);
    na_platforms_free(c.reg);
    na_inv_selection_free(&sel);
    na_inv_free(inv);
    return rc;
}
