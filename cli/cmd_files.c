/* cmd_files.c — `netauto put -i INVENTORY HOSTS LOCAL REMOTE` and `netauto get -i INVENTORY HOSTS
 * REMOTE LOCALDIR`: a file to or from every host selected, each over its own SSH session with
 * the device's own digest for verification (drivers/session_files.h), all at once from one poll
 * loop (files_run.c), a progress line on a terminal. Everything that can be checked before
 * connecting is (exit 2: usage, inventory, an unreadable local file, a platform without file
 * transfers, an algorithm a platform has no command for). Exit 0 when every host got the file (or
 * already had it), 1 when any failed. This file: options and the order of things. */
#include "cli_dev.h"
#include "cli_inv.h"
#include "files.h"
#include "log.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILES_DEFAULT_FORKS 50
#define FILES_MAX_FORKS 4096

static void usage(FILE *f, bool put)
{
    if (put)
        fprintf(f, "usage: netauto put -i INVENTORY HOSTS LOCAL REMOTE [options]\n"
                   "  HOSTS                 a host name or a --limit pattern (group, glob...)\n"
                   "  LOCAL                 the file to send\n"
                   "  REMOTE                where it goes on each device (flash:c9300.bin, "
                   "/tmp/x;\n"
                   "                        a bare name goes to the platform's default file "
                   "system)\n");
    else
        fprintf(f, "usage: netauto get -i INVENTORY HOSTS REMOTE LOCALDIR [options]\n"
                   "  HOSTS                 a host name or a --limit pattern (group, glob...)\n"
                   "  REMOTE                the file on each device (flash:crashinfo_1)\n"
                   "  LOCALDIR              where it goes: LOCALDIR/NAME for one host,\n"
                   "                        LOCALDIR/HOST/NAME for several; {host} in LOCALDIR\n"
                   "                        is replaced by each host's name\n");
    fprintf(f, "  -l, --limit PATTERN   narrow the hosts further\n"
               "      --protocol P      scp, sftp or auto (default: the platform's first)\n"
               "      --verify ALG      md5, sha256, sha512, none, or auto (default: the "
               "platform's\n"
               "                        preferred digest, computed by the device itself)\n"
               "      --overwrite       replace a different file already there\n"
               "      --check           say what would be done; change nothing\n"
               "      --timeout SEC     the transfer, start to end (default 3600)\n"
               "      --stall-timeout SEC  fail when nothing moves this long (default 30)\n"
               "  -f, --forks N         hosts at once (default %d)\n"
               "      --json            results as JSON on stdout\n"
               "      --vault-password-file FILE\n"
               "  -v                    more log lines on stderr (-vv, -vvv for more)\n",
            FILES_DEFAULT_FORKS);
}

static int seconds(const char *verb, const char *opt, const char *s, int *ms)
{
    char *end;
    double v = strtod(s, &end);
    if (*end || end == s || !(v > 0) || v > 7 * 86400) {
        fprintf(stderr, "netauto %s: %s takes seconds (0 < s <= 604800), got '%s'\n", verb, opt,
                s);
        return -1;
    }
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

static int files_verb(int argc, char **argv, bool put)
{
    const char *verb = put ? "put" : "get";
    static const struct option lopts[] = {
        {"inventory", required_argument, NULL, 'i'},
        {"limit", required_argument, NULL, 'l'},
        {"protocol", required_argument, NULL, 'P'},
        {"verify", required_argument, NULL, 'A'},
        {"overwrite", no_argument, NULL, 'W'},
        {"check", no_argument, NULL, 'C'},
        {"timeout", required_argument, NULL, 'O'},
        {"stall-timeout", required_argument, NULL, 'S'},
        {"forks", required_argument, NULL, 'f'},
        {"json", no_argument, NULL, 'j'},
        {"vault-password-file", required_argument, NULL, 'V'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *path = NULL, *limit = NULL, *vpf = NULL;
    files_ctx c = {.dir = put ? NA_COPY_PUT : NA_COPY_GET, .verb = verb};
    c.o.dir = c.dir;
    c.o.proto = NA_COPY_PROTO_AUTO;
    c.o.verify = NA_COPY_VERIFY_AUTO;
    int verbose = 0, ch;
    size_t forks = FILES_DEFAULT_FORKS;
    optind = 1;
    opterr = 1;
    while ((ch = getopt_long(argc, argv, "i:l:f:vh", lopts, NULL)) != -1) {
        switch (ch) {
        case 'i': path = optarg; break;
        case 'l': limit = optarg; break;
        case 'P':
            if (!strcmp(optarg, "scp"))
                c.o.proto = NA_PF_SCP;
            else if (!strcmp(optarg, "sftp"))
                c.o.proto = NA_PF_SFTP;
            else if (!strcmp(optarg, "auto"))
                c.o.proto = NA_COPY_PROTO_AUTO;
            else {
                fprintf(stderr, "netauto %s: --protocol is scp, sftp or auto, got '%s'\n", verb,
                        optarg);
                return CLI_EXIT_INVALID;
            }
            break;
        case 'A': {
            na_hash_alg a;
            if (!strcmp(optarg, "auto"))
                c.o.verify = NA_COPY_VERIFY_AUTO;
            else if (na_hash_parse(optarg, &a) == 0)
                c.o.verify = (int)a;
            else {
                fprintf(stderr, "netauto %s: --verify is md5, sha256, sha512, none or auto, got "
                                "'%s'\n", verb, optarg);
                return CLI_EXIT_INVALID;
            }
            break;
        }
        case 'W': c.o.overwrite = true; break;
        case 'C': c.o.check_only = true; break;
        case 'O':
            if (seconds(verb, "--timeout", optarg, &c.o.timeout_ms) < 0)
                return CLI_EXIT_INVALID;
            break;
        case 'S':
            if (seconds(verb, "--stall-timeout", optarg, &c.o.stall_ms) < 0)
                return CLI_EXIT_INVALID;
            break;
        case 'f': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || end == optarg || v < 1 || v > FILES_MAX_FORKS) {
                fprintf(stderr, "netauto %s: --forks takes 1..%d, got '%s'\n", verb,
                        FILES_MAX_FORKS, optarg);
                return CLI_EXIT_INVALID;
            }
            forks = (size_t)v;
            break;
        }
        case 'j': c.json = true; break;
        case 'V': vpf = optarg; break;
        case 'v': verbose++; break;
        case 'h': usage(stdout, put); return CLI_EXIT_OK;
        default: usage(stderr, put); return CLI_EXIT_INVALID;
        }
    }
    if (!path) {
        fprintf(stderr, "netauto %s: -i INVENTORY is required\n", verb);
        usage(stderr, put);
        return CLI_EXIT_INVALID;
    }
    if (argc - optind != 3) {
        fprintf(stderr, "netauto %s: expected HOSTS %s, got %d argument(s)\n", verb,
                put ? "LOCAL REMOTE" : "REMOTE LOCALDIR", argc - optind);
        usage(stderr, put);
        return CLI_EXIT_INVALID;
    }
    const char *hosts = argv[optind];
    const char *local = put ? argv[optind + 1] : argv[optind + 2];
    c.remote = put ? argv[optind + 2] : argv[optind + 1];
    if (!*c.remote || strpbrk(c.remote, "\r\n") || !*local) {
        fprintf(stderr, "netauto %s: empty paths, or paths with a newline, are not accepted\n",
                verb);
        return CLI_EXIT_INVALID;
    }
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
    na_inventory *inv = cli_load_inventory(path, vpf, &err);
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
    if (forks > sel.n)
        forks = sel.n ? sel.n : 1;
    rc = CLI_EXIT_OK;
    if (files_run_all(jobs, sel.n, &c, forks, &err) < 0) {
        cli_print_err(&err);
        rc = CLI_EXIT_FAILED;
    }
    bool all_ok = rc == CLI_EXIT_OK;
    for (size_t i = 0; i < sel.n; i++)
        all_ok &= !jobs[i].failed;
    if (c.json && files_print_json(jobs, sel.n, &c, all_ok) < 0) {
        fprintf(stderr, "netauto %s: out of memory\n", verb);
        all_ok = false;
    }
    if (fflush(stdout) != 0)
        all_ok = false;
    rc = all_ok ? CLI_EXIT_OK : CLI_EXIT_FAILED;
out:
    for (size_t i = 0; jobs && i < sel.n; i++)
        files_job_free(&jobs[i]);
    free(jobs);
    na_platforms_free(c.reg);
    na_inv_selection_free(&sel);
    na_inv_free(inv);
    return rc;
}

int cmd_put(int argc, char **argv) { return files_verb(argc, argv, true); }
int cmd_get(int argc, char **argv) { return files_verb(argc, argv, false); }
