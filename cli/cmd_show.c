/* cmd_show.c — `netauto show -i INVENTORY HOST 'COMMAND'... [--limit P] [--transport T] [--json]
 * [--transcript FILE] [-v]`: one-off commands to one host, or to every host selected, all driven
 * concurrently from ONE poll loop with the driver's start/step interface (no threads). Output is
 * printed per host in inventory order once every host is done (text, or --json). Exit 0 when
 * every command on every host succeeded, 1 when any failed, 2 for invalid input (nothing sent).
 * This file: options and the order of things; show_run.c runs the hosts, show_out.c prints.
 * --parse turns each output into records with TextFSM templates (show_parse.c).
 * Not a playbook runner: no templating, no config, no retries. */
#include "cli_dev.h"
#include "cli_inv.h"
#include "log.h"
#include "show.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHOW_DEFAULT_FORKS 50
#define SHOW_MAX_FORKS 4096

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
            "      --parse           records instead of text: TextFSM templates picked by the\n"
            "                        host's platform and the command (docs/parsing.md)\n"
            "      --templates DIR   templates with an ntc-templates index (default: the\n"
            "                        inventory's templates:, $NET_TEXTFSM, $NTC_TEMPLATES_DIR;\n"
            "                        netauto's built-in templates are searched last)\n"
            "      --vault-password-file FILE\n"
            "  -v                    more log lines on stderr (-vv, -vvv for more)\n",
            SHOW_DEFAULT_FORKS);
}

/* ---- the verb ---- */

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
        {"parse", no_argument, NULL, 'P'},
        {"templates", required_argument, NULL, 'D'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *path = NULL, *limit = NULL, *vpf = NULL, *tdir = NULL;
    bool parse = false;
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
            if (cli_parse_size(optarg, &c.max_output) < 0) {
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
        case 'P': parse = true; break;
        case 'D': tdir = optarg; break;
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
    cli_set_verbosity(verbose);

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

    if (tdir && !parse) {
        fprintf(stderr, "netauto show: --templates goes with --parse\n");
        na_platforms_free(c.reg);
        na_inv_selection_free(&sel);
        na_inv_free(inv);
        return CLI_EXIT_INVALID;
    }
    int rc = CLI_EXIT_OK;
    show_job *jobs = calloc(sel.n, sizeof *jobs);
    show_cmd_out *outs = calloc(sel.n * c.ncmds, sizeof *outs);
    if (!jobs || !outs) {
        fprintf(stderr, "netauto show: out of memory\n");
        rc = CLI_EXIT_FAILED;
        goto out;
    }
    for (size_t i = 0; i < sel.n; i++) {
        jobs[i].h = sel.hosts[i];
        jobs[i].outs = outs + i * c.ncmds;
    }
    /* --parse: templates for every platform and command, before anything is sent */
    if (parse && (!(c.parse = na_tfsm_lib_for(tdir, na_inv_templates_dir(inv), &err)) ||
                  show_parse_check(jobs, sel.n, &c, &err) < 0)) {
        cli_print_err(&err);
        rc = CLI_EXIT_INVALID;
        goto out;
    }
    if (forks > sel.n)
        forks = sel.n;
    if (show_run_all(jobs, sel.n, &c, forks, &err) < 0) {
        cli_print_err(&err);
        rc = CLI_EXIT_FAILED;
    }
    bool all_ok = rc == CLI_EXIT_OK;
    for (size_t i = 0; i < sel.n; i++)
        all_ok &= !jobs[i].failed;
    if (c.parse && show_parse_all(jobs, sel.n, &c) > 0)
        all_ok = false;
    if (json) {
        if (show_print_json(jobs, sel.n, &c, all_ok) < 0) {
            fprintf(stderr, "netauto show: out of memory\n");
            all_ok = false;
        }
    } else {
        show_print_text(jobs, sel.n, &c);
    }
    if (fflush(stdout) != 0)
        all_ok = false;
    rc = all_ok ? CLI_EXIT_OK : CLI_EXIT_FAILED;
out:
    for (size_t i = 0; jobs && i < sel.n; i++) {
        if (jobs[i].st != J_DONE && jobs[i].st != J_PENDING)
            show_job_finish(&jobs[i]);
        for (size_t k = 0; k < c.ncmds; k++) {
            free(jobs[i].outs[k].output);
            free(jobs[i].outs[k].device_error);
            json_decref(jobs[i].outs[k].parsed);
        }
    }
    free(outs);
    free(jobs);
    na_tfsm_lib_free(c.parse);
    na_platforms_free(c.reg);
    na_inv_selection_free(&sel);
    na_inv_free(inv);
    return rc;
}
