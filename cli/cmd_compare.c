/* cmd_compare.c — `netauto compare -i INVENTORY HOST -c 'COMMAND' [-c ...] [--json]`: run the
 * same commands on one device over Telnet and then over SSH (ports per transport from the
 * inventory), keep each transport's measurements, and compare the outputs after normalisation
 * (compare_out.c prints the report). Exit 0 when both transports ran every command (whether or
 * not the outputs match: the report says), 1 when either failed, 2 for invalid input.
 * Not a load test: one session per transport, one after the other. */
#include "avault.h"
#include "cli_args.h"
#include "verbs.h"
#include "cli_dev.h"
#include "cli_inv.h"
#include "clock.h"
#include "compare.h"
#include "diff.h"
#include "log.h"
#include "secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMP_MAX_CMDS 256
#define CMP_MAX_DIFF ((size_t)4 << 20)

void cli_cmp_report_free(cmp_report *r)
{
    for (int s = 0; s < CMP_SIDES; s++) {
        for (size_t i = 0; r->side[s].cmds && i < r->ncmds; i++)
            free(r->side[s].cmds[i].output);
        free(r->side[s].cmds);
        r->side[s].cmds = NULL;
    }
    free(r->cmd_same);
    r->cmd_same = NULL;
    na_buf_free(&r->diff);
}

static void side_fail(cmp_side *sd, const na_err *e, const char *name)
{
    if (!na_err_isset(&sd->err)) {
        sd->err = *e;
        cli_err_name(&sd->err, name);
    }
    sd->ok = false;
}

/* One transport: open, run every command, keep the numbers, close. */
static void run_side(cmp_report *r, cmp_side *sd, na_platforms *reg, int timeout_ms)
{
    na_err e = NA_ERR_INIT;
    na_conn_params params;
    cli_sess_cfg cfg = {.kind = sd->kind, .command_timeout_ms = timeout_ms};
    sd->ok = true;
    na_session *s = cli_session_new(reg, r->h, &cfg, &params, &e);
    if (!s) {
        side_fail(sd, &e, r->h->name);
        return;
    }
    /* the port in effect (an SSH transport completes it from ssh_config and defaults) */
    const na_conn_params *eff = na_session_transport(s)->params;
    sd->port = eff && eff->port > 0 ? eff->port : sd->kind == NA_TRANSPORT_SSH ? 22 : 23;
    NA_LOGI(r->h->name, "compare: opening over %s (port %d)", na_transport_kind_name(sd->kind),
            sd->port);
    int64_t t0 = na_now_us();
    int rc = na_session_open(s, &e);
    sd->open_us = na_now_us() - t0;
    if (rc < 0) {
        side_fail(sd, &e, r->h->name);
    } else {
        sd->opened = true;
        for (size_t i = 0; i < r->ncmds; i++) {
            cmp_cmd *c = &sd->cmds[i];
            na_result res;
            na_err ce = NA_ERR_INIT;
            na_cmd_opts o = {.timeout_ms = timeout_ms};
            c->ran = true;
            c->ok = na_session_command(s, r->cmds[i], &o, &res, &ce) == 0;
            c->output = res.output;
            c->len = res.output ? res.output_len : 0;
            res.output = NULL;
            c->us = res.elapsed_us;
            na_result_free(&res);
            if (!c->ok) {
                c->err = ce;
                cli_err_name(&c->err, r->h->name);
                side_fail(sd, &ce, r->h->name);
                if (!na_session_usable(s))
                    break;
            }
        }
    }
    sd->info = na_session_transport(s)->info;
    na_session_stats_get(s, &sd->st);
    na_session_free(s);
}

/* Output normalised for comparison: trailing blanks of each line and trailing empty lines
 * removed (volatile lines are left to the diff, which ignores them). */
static char *normalise(const char *p, size_t n, size_t *outn)
{
    char *o = malloc(n + 2);
    if (!o)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        size_t e = i;
        while (e < n && p[e] != '\n')
            e++;
        size_t end = e;
        while (end > i && (p[end - 1] == ' ' || p[end - 1] == '\t' || p[end - 1] == '\r'))
            end--;
        memcpy(o + k, p + i, end - i);
        k += end - i;
        if (e < n)
            o[k++] = '\n';
        i = e + 1;
    }
    while (k > 0 && o[k - 1] == '\n')
        k--;
    if (k > 0)
        o[k++] = '\n'; /* every line ends in a newline (n >= k here) */
    o[k] = '\0';
    *outn = k;
    return o;
}

static int compare_outputs(cmp_report *r, na_err *err)
{
    r->compared = r->side[CMP_TELNET].ok && r->side[CMP_SSH].ok;
    r->identical = r->compared;
    if (!r->compared)
        return 0;
    for (size_t i = 0; i < r->ncmds; i++) {
        const cmp_cmd *a = &r->side[CMP_TELNET].cmds[i], *b = &r->side[CMP_SSH].cmds[i];
        size_t an, bn;
        char *na = normalise(a->output ? a->output : "", a->len, &an);
        char *nb = normalise(b->output ? b->output : "", b->len, &bn);
        if (!na || !nb) {
            free(na);
            free(nb);
            return na_err_set(err, NA_E_NOMEM, "out of memory");
        }
        char la[320], lb[320];
        snprintf(la, sizeof la, "telnet: %s", r->cmds[i]);
        snprintf(lb, sizeof lb, "ssh: %s", r->cmds[i]);
        na_diff_opts o = NA_DIFF_OPTS_DEFAULT;
        o.label_a = la;
        o.label_b = lb;
        bool changed = false;
        int rc = na_diff_unified(na, an, nb, bn, &o, &r->diff, &changed, err);
        free(na);
        free(nb);
        if (rc < 0)
            return -1;
        r->cmd_same[i] = !changed;
        if (changed)
            r->identical = false;
    }
    return 0;
}

int cli_cmd_compare(const cli_args *a)
{
    const char *cmds[CMP_MAX_CMDS];
    size_t ncmds = 0;
    int verbose = 0, timeout_ms = 0;
    cli_inv_args ia;
    if (cli_opt_seconds(a, O_TIMEOUT, &timeout_ms) || cli_inv_from_args(a, &ia, true))
        return CLI_EXIT_INVALID;
    for (size_t i = 0; i < a->nopts; i++) {
        if (a->opts[i].id == O_VERBOSE)
            verbose++;
        if (a->opts[i].id != O_COMMAND)
            continue;
        if (ncmds == CMP_MAX_CMDS)
            return cli_usage_error(a->verb, "at most %d commands", CMP_MAX_CMDS);
        if (!a->opts[i].val[0] || strchr(a->opts[i].val, '\n') || strchr(a->opts[i].val, '\r'))
            return cli_usage_error(a->verb, "-c takes one command line, got '%s'",
                                   a->opts[i].val);
        cmds[ncmds++] = a->opts[i].val;
    }
    bool json = cli_opt(a, O_JSON) != NULL;
    if (a->npos != 1 || ncmds == 0) {
        if (a->npos > 1)
            return cli_usage_error(a->verb, "give one HOST; commands go with -c 'COMMAND' (read "
                                            "as: HOST '%s', then '%s' which is not sent)",
                                   a->pos[0], a->pos[1]);
        return cli_usage_error(a->verb, "%s", a->npos == 0 ? "HOST is required"
                                                            : "give at least one command with "
                                                              "-c 'COMMAND'");
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
        fprintf(stderr, "host '%s' is not in the inventory %s (compare takes one host name)%s%s%s"
                        "; nothing was sent to any device\n",
                host, na_inv_path(inv), close ? "; did you mean '" : "", close ? close : "",
                close ? "'?" : "");
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

    cmp_report r = {.h = h, .cmds = cmds, .ncmds = ncmds};
    na_buf_init(&r.diff, CMP_MAX_DIFF);
    r.side[CMP_TELNET].kind = NA_TRANSPORT_TELNET;
    r.side[CMP_SSH].kind = NA_TRANSPORT_SSH;
    int rc = CLI_EXIT_OK;
    r.cmd_same = calloc(ncmds, sizeof *r.cmd_same);
    for (int s = 0; s < CMP_SIDES; s++)
        r.side[s].cmds = calloc(ncmds, sizeof(cmp_cmd));
    if (!r.cmd_same || !r.side[0].cmds || !r.side[1].cmds) {
        fprintf(stderr, "netauto compare: out of memory\n");
        rc = CLI_EXIT_FAILED;
        goto out;
    }
    for (int s = 0; s < CMP_SIDES; s++)
        run_side(&r, &r.side[s], reg, timeout_ms);
    if (compare_outputs(&r, &err) < 0) {
        cli_err_name(&err, h->name);
        cli_print_err(&err);
        rc = CLI_EXIT_FAILED;
    }
    if (json) {
        json_t *j = json_pack("{s:i,s:s}", "schema", CLI_RESULT_SCHEMA, "kind", "compare");
        json_t *body = cli_cmp_json(&r);
        if (!j || !body || json_object_update(j, body) < 0) {
            json_decref(j);
            j = NULL;
        }
        json_decref(body);
        char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10)) : NULL;
        json_decref(j);
        if (!s) {
            fprintf(stderr, "netauto compare: out of memory\n");
            rc = CLI_EXIT_FAILED;
        } else {
            puts(s); /* outputs exact; commands masked in cli_cmp_json; messages safe when set */
            free(s);
        }
    } else {
        cli_cmp_print_text(&r, stdout);
    }
    for (int s = 0; s < CMP_SIDES; s++)
        if (!r.side[s].ok) {
            fprintf(stderr, "%s\n", r.side[s].err.msg);
            rc = CLI_EXIT_FAILED;
        }
    if (fflush(stdout) != 0)
        rc = CLI_EXIT_FAILED;
out:
    cli_cmp_report_free(&r);
    na_platforms_free(reg);
    na_inv_free(inv);
    return rc;
}
