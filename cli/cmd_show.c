/* cmd_show.c — `netauto show -i INVENTORY HOST 'COMMAND'... [--limit P] [--transport T] [--json]
 * [--transcript FILE] [-v]`: one-off commands to one host, or to every host selected, all driven
 * concurrently from ONE poll loop with the driver's start/step interface (no threads). Output is
 * printed per host in inventory order once every host is done (text, or --json). Exit 0 when
 * every command on every host succeeded, 1 when any failed, 2 for invalid input (nothing sent).
 * This file: options and the order of things; show_run.c runs the hosts, show_out.c prints.
 * --parse turns each output into records with TextFSM templates (show_parse.c).
 * Not a playbook runner: no templating, no config, no retries. */
#include "avault.h"
#include "cli_args.h"
#include "verbs.h"
#include "cli_dev.h"
#include "cli_inv.h"
#include "log.h"
#include "show.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHOW_DEFAULT_FORKS 50
#define SHOW_MAX_FORKS 4096

/* ---- the verb ---- */

int cli_cmd_show(const cli_args *a)
{
    show_ctx c = {0};
    cli_inv_args ia;
    long forks = cli_g.cfg_forks > 0 ? cli_g.cfg_forks : SHOW_DEFAULT_FORKS;
    if (forks > SHOW_MAX_FORKS)
        forks = SHOW_MAX_FORKS;
    int verbose = 0;
    if (cli_opt_transport(a, &c.kind, &c.kind_set) || cli_opt_seconds(a, O_TIMEOUT, &c.timeout_ms) ||
        cli_opt_size(a, O_MAX_OUTPUT, &c.max_output) ||
        cli_opt_long(a, O_FORKS, 1, SHOW_MAX_FORKS, &forks) || cli_inv_from_args(a, &ia, true))
        return CLI_EXIT_INVALID;
    for (size_t i = 0; i < a->nopts; i++)
        verbose += a->opts[i].id == O_VERBOSE;
    const char *limit = cli_opt(a, O_LIMIT), *tdir = cli_opt(a, O_TEMPLATES);
    bool json = cli_opt(a, O_JSON) != NULL, parse = cli_opt(a, O_PARSE) != NULL;
    c.transcript = cli_opt(a, O_TRANSCRIPT);
    if (tdir && !parse)
        return cli_usage_error(a->verb, "--templates goes with --parse");
    cli_set_verbosity(verbose);

    na_err err = NA_ERR_INIT;
    na_avault_keys *keys = cli_vault_keys(&ia, &err);
    na_inventory *inv = keys ? cli_load_inventories(&ia, keys, &err) : NULL;
    na_avault_keys_free(keys); /* passwords are not kept past loading */
    if (!inv) {
        cli_print_err(&err);
        return CLI_EXIT_INVALID;
    }
    /* HOST and the commands: nothing typed as an option, a file or a host becomes a command */
    cli_names names;
    const char *host = NULL;
    const char **cmds = calloc(a->npos + a->nopts + 1, sizeof *cmds);
    if (!cmds || cli_names_from_inv(&names, inv) < 0) {
        fprintf(stderr, "netauto show: out of memory\n");
        free(cmds);
        na_inv_free(inv);
        return CLI_EXIT_FAILED;
    }
    int wrc = cli_show_words(a, &names, &host, cmds, &c.ncmds);
    cli_names_free(&names);
    if (wrc != 0) {
        free(cmds);
        na_inv_free(inv);
        return wrc;
    }
    c.cmds = cmds;

    na_inv_selection sel;
    if (cli_select_hosts(inv, host, limit, &sel, &err) < 0) {
        cli_print_err(&err);
        free(cmds);
        na_inv_free(inv);
        return CLI_EXIT_INVALID;
    }
    c.several = sel.n > 1;
    c.reg = cli_platforms(inv, &err);
    if (!c.reg) {
        cli_print_err(&err);
        na_inv_selection_free(&sel);
        free(cmds);
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
            free(cmds);
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
    tdir = cli_templates_dir(tdir, na_inv_templates_dir(inv));
    if (parse && (!(c.parse = na_tfsm_lib_for(tdir, na_inv_templates_dir(inv), &err)) ||
                  cli_show_parse_check(jobs, sel.n, &c, &err) < 0)) {
        cli_print_err(&err);
        rc = CLI_EXIT_INVALID;
        goto out;
    }
    if ((size_t)forks > sel.n)
        forks = (long)sel.n;
    if (cli_show_run_all(jobs, sel.n, &c, (size_t)forks, &err) < 0) {
        cli_print_err(&err);
        rc = CLI_EXIT_FAILED;
    }
    bool all_ok = rc == CLI_EXIT_OK;
    for (size_t i = 0; i < sel.n; i++)
        all_ok &= !jobs[i].failed;
    if (c.parse && cli_show_parse_all(jobs, sel.n, &c) > 0)
        all_ok = false;
    if (json) {
        if (cli_show_print_json(jobs, sel.n, &c, all_ok) < 0) {
            fprintf(stderr, "netauto show: out of memory\n");
            all_ok = false;
        }
    } else {
        cli_show_print_text(jobs, sel.n, &c);
    }
    if (fflush(stdout) != 0)
        all_ok = false;
    rc = all_ok ? CLI_EXIT_OK : CLI_EXIT_FAILED;
out:
    for (size_t i = 0; jobs && i < sel.n; i++) {
        if (jobs[i].st != J_DONE && jobs[i].st != J_PENDING)
            cli_show_job_finish(&jobs[i]);
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
    free(cmds);
    na_inv_free(inv);
    return rc;
}
