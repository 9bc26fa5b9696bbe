/* cmd_files.c — `netauto put [-i INVENTORY] HOSTS LOCAL REMOTE` and `netauto get [-i INVENTORY]
 * HOSTS REMOTE LOCALDIR`: a file to or from every host selected, each over its own SSH session with
 * the device's own digest for verification (drivers/session_files.h), all at once from one poll
 * loop (files_run.c), a progress line on a terminal. Everything that can be checked before
 * connecting is (exit 2: usage, inventory, an unreadable local file, a platform without file
 * transfers, an algorithm a platform has no command for). Exit 0 when every host got the file (or
 * already had it), 1 when any failed. Local only (the file is on this machine). This file: the
 * options' values (their table is put's and get's in help_verbs.c) and the order of things. */
#include "avault.h"
#include "cli_args.h"
#include "cli_dev.h"
#include "cli_inv.h"
#include "files.h"
#include "log.h"
#include "verbs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILES_DEFAULT_FORKS 50
#define FILES_MAX_FORKS 4096

/* --timeout and --stall-timeout: up to a week (an image over a slow link), unlike the command
 * deadlines of cli_opt_seconds. 0 (*ms set when given), or CLI_EXIT_INVALID after saying why. */
static int seconds(const cli_args *a, int id, int *ms)
{
    const char *s = cli_opt(a, id);
    if (!s)
        return 0;
    char *end;
    double v = strtod(s, &end);
    if (*end || end == s || !(v > 0) || v > 7 * 86400)
        return cli_usage_error(a->verb, "--%s takes seconds (0 < s <= 604800), got '%s'",
                               id == O_TIMEOUT ? "timeout" : "stall-timeout", s);
    *ms = (int)(v * 1000 + 0.5);
    return 0;
}

/* {host} in pattern replaced; without it, several hosts get pattern/HOST. Trailing slashes
 * dropped ("got/" and "got" name one directory; "/" stays). malloc'd. */
static char *host_dir(const char *pattern, const char *host, bool several)
{
    char *o;
    if (strstr(pattern, "{host}")) {
        o = cli_transcript_path(pattern, host, several);
    } else {
        size_t pl = strlen(pattern);
        while (pl > 1 && pattern[pl - 1] == '/')
            pl--;
        size_t n = pl + strlen(host) + 2;
        o = malloc(n);
        if (o)
            snprintf(o, n, several ? "%.*s/%s" : "%.*s", (int)pl, pattern, host);
    }
    for (size_t l = o ? strlen(o) : 0; l > 1 && o[l - 1] == '/'; l--)
        o[l - 1] = '\0';
    return o;
}

static int files_verb(const cli_args *a, bool put)
{
    const char *verb = put ? "put" : "get";
    const char *limit = cli_opt(a, O_LIMIT), *s;
    files_ctx c = {.dir = put ? NA_COPY_PUT : NA_COPY_GET, .verb = verb};
    c.o.dir = c.dir;
    c.o.proto = NA_COPY_PROTO_AUTO;
    c.o.verify = NA_COPY_VERIFY_AUTO;
    int verbose = 0;
    long forks = cli_g.cfg_forks > 0 ? cli_g.cfg_forks : FILES_DEFAULT_FORKS;
    cli_inv_args ia;
    if (seconds(a, O_TIMEOUT, &c.o.timeout_ms) || seconds(a, O_STALL_TIMEOUT, &c.o.stall_ms) ||
        cli_opt_long(a, O_FORKS, 1, FILES_MAX_FORKS, &forks) || cli_inv_from_args(a, &ia, true))
        return CLI_EXIT_INVALID;
    if ((s = cli_opt(a, O_PROTOCOL))) {
        if (!strcmp(s, "scp"))
            c.o.proto = NA_PF_SCP;
        else if (!strcmp(s, "sftp"))
            c.o.proto = NA_PF_SFTP;
        else if (strcmp(s, "auto"))
            return cli_usage_error(a->verb, "--protocol is scp, sftp or auto, got '%s'", s);
    }
    if ((s = cli_opt(a, O_VERIFY))) {
        na_hash_alg alg;
        if (na_hash_parse(s, &alg) == 0)
            c.o.verify = (int)alg;
        else if (strcmp(s, "auto"))
            return cli_usage_error(a->verb, "--verify is md5, sha256, sha512, none or auto, got "
                                            "'%s'", s);
    }
    c.o.overwrite = cli_opt(a, O_OVERWRITE) != NULL;
    c.o.check_only = cli_opt(a, O_CHECK) != NULL;
    c.json = cli_opt(a, O_JSON) != NULL;
    for (size_t i = 0; i < a->nopts; i++)
        if (a->opts[i].id == O_VERBOSE)
            verbose++;
    if (a->npos != 3)
        return cli_usage_error(a->verb, "expected HOSTS %s, got %zu argument(s)",
                               put ? "LOCAL REMOTE" : "REMOTE LOCALDIR", a->npos);
    const char *hosts = a->pos[0];
    const char *local = put ? a->pos[1] : a->pos[2];
    c.remote = put ? a->pos[2] : a->pos[1];
    if (!*c.remote || strpbrk(c.remote, "\r\n") || !*local)
        return cli_usage_error(a->verb, "empty paths, or paths with a newline, are not accepted");
    if (put) {
        struct stat st;
        if (stat(local, &st) < 0 || !S_ISREG(st.st_mode) || access(local, R_OK) < 0) {
            fprintf(stderr, "netauto put: cannot read %s: %s\n", local,
                    errno ? strerror(errno) : "not a regular file");
            return CLI_EXIT_INVALID;
        }
        c.total_hint = (uint64_t)st.st_size;
    }
    cli_set_verbosity(verbose);
    c.tty = isatty(STDERR_FILENO) && !getenv("NETAUTO_NO_PROGRESS");

    na_err err = NA_ERR_INIT;
    na_avault_keys *keys = cli_vault_keys(&ia, &err);
    na_inventory *inv = keys ? cli_load_inventories(&ia, keys, &err) : NULL;
    na_avault_keys_free(keys);
    if (!inv) {
        cli_print_err(&err);
        return CLI_EXIT_INVALID;
    }
    int rc = CLI_EXIT_INVALID;
    files_job *jobs = NULL;
    na_inv_selection sel = {0};
    if (cli_select_hosts(inv, hosts, limit, &sel, &err) < 0) {
        cli_print_err(&err);
        na_inv_free(inv);
        return CLI_EXIT_INVALID;
    }
    c.reg = cli_platforms(inv, &err);
    if (!c.reg) {
        cli_print_err(&err);
        goto out;
    }
    /* every host: a platform with file transfers, the algorithm and protocol it can do */
    for (size_t i = 0; i < sel.n; i++) {
        const na_inv_host *h = sel.hosts[i];
        const na_platform *p = na_platform_find(c.reg, h->platform, &err);
        if (!p) {
            cli_err_name(&err, h->name);
            cli_print_err(&err);
            goto out;
        }
        if (!p->files) {
            fprintf(stderr, "netauto %s: %s: the %s platform describes no file transfers\n", verb,
                    h->name, p->name);
            goto out;
        }
        if (h->transport != NA_TRANSPORT_SSH) { /* as the runner says of a copy task */
            fprintf(stderr, "netauto %s: %s: file transfers need SSH, and the inventory gives "
                    "this host %s (transport: ssh for it, with ssh_port when not 22)\n", verb,
                    h->name, na_transport_kind_name(h->transport));
            goto out;
        }
        if (c.o.verify > NA_HASH_NONE && !p->files->hash[c.o.verify].command) {
            fprintf(stderr, "netauto %s: %s: %s has no %s digest command\n", verb, h->name,
                    p->name, na_hash_name((na_hash_alg)c.o.verify));
            goto out;
        }
        if (c.o.proto >= 0 && !na_pfiles_offers(p->files, c.o.proto)) {
            fprintf(stderr, "netauto %s: %s: %s devices do not offer %s\n", verb, h->name,
                    p->name, na_pf_proto_name(c.o.proto));
            goto out;
        }
        if (na_pfiles_check_path(p->files, c.remote, &err) < 0) {
            fprintf(stderr, "netauto %s: %s: %s\n", verb, h->name, err.msg);
            goto out;
        }
        /* the local file's digest now, once per algorithm (remembered for every host): the
           copies then find it, instead of one of them reading the file while the others wait */
        int alg = c.o.verify == NA_COPY_VERIFY_AUTO ? (int)p->files->hash_order[0] : c.o.verify;
        char hex[NA_HASH_HEX_MAX];
        if (put && alg != NA_HASH_NONE &&
            na_hash_file(local, (na_hash_alg)alg, hex, sizeof hex, NULL, &err) < 0) {
            fprintf(stderr, "netauto put: %s\n", err.msg);
            goto out;
        }
    }
    jobs = calloc(sel.n ? sel.n : 1, sizeof *jobs);
    if (!jobs) {
        fprintf(stderr, "netauto %s: out of memory\n", verb);
        rc = CLI_EXIT_FAILED;
        goto out;
    }
    const char *nm = strrchr(c.remote, '/');
    nm = nm ? nm + 1 : c.remote;
    if (strrchr(nm, ':'))
        nm = strrchr(nm, ':') + 1;
    for (size_t i = 0; i < sel.n; i++) {
        jobs[i].h = sel.hosts[i];
        if (put) {
            jobs[i].local = strdup(local);
        } else {
            char *d = host_dir(local, sel.hosts[i]->name, sel.n > 1);
            size_t n = d ? strlen(d) + strlen(nm) + 2 : 0;
            jobs[i].local = d ? malloc(n) : NULL;
            if (jobs[i].local)
                snprintf(jobs[i].local, n, "%s/%s", d, nm);
            free(d);
        }
        if (!jobs[i].local) {
            fprintf(stderr, "netauto %s: out of memory\n", verb);
            rc = CLI_EXIT_FAILED;
            goto out;
        }
    }
    if (!*nm) {
        fprintf(stderr, "netauto %s: '%s' names no file\n", verb, c.remote);
        goto out;
    }
    if ((size_t)forks > sel.n)
        forks = sel.n ? (long)sel.n : 1;
    rc = CLI_EXIT_OK;
    if (cli_files_run_all(jobs, sel.n, &c, (size_t)forks, &err) < 0) {
        cli_print_err(&err);
        rc = CLI_EXIT_FAILED;
    }
    bool all_ok = rc == CLI_EXIT_OK;
    for (size_t i = 0; i < sel.n; i++)
        all_ok &= !jobs[i].failed;
    if (c.json && cli_files_print_json(jobs, sel.n, &c, all_ok) < 0) {
        fprintf(stderr, "netauto %s: out of memory\n", verb);
        all_ok = false;
    }
    if (fflush(stdout) != 0)
        all_ok = false;
    rc = all_ok ? CLI_EXIT_OK : CLI_EXIT_FAILED;
out:
    for (size_t i = 0; jobs && i < sel.n; i++)
        cli_files_job_free(&jobs[i]);
    free(jobs);
    na_platforms_free(c.reg);
    na_inv_selection_free(&sel);
    na_inv_free(inv);
    return rc;
}

int cli_cmd_put(const cli_args *a) { return files_verb(a, true); }
int cli_cmd_get(const cli_args *a) { return files_verb(a, false); }
