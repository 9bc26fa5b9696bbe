/* cmd_inventory.c — `netauto inventory -i SOURCE [-i SOURCE]... [--limit P] [--json]
 * [--vault-password-file F] [--vault-id [LABEL@]SOURCE]...`: load and resolve an inventory (a
 * native file, or Ansible sources: YAML, INI, directories, scripts) and print the selected
 * hosts, as a table or as JSON, with every secret shown as ********. Exit 2 on any invalid
 * input. Not a connectivity check. */
#include "cli_args.h"
#include "verbs.h"
#include "cli_inv.h"
#include "secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


enum { COL_NAME, COL_ADDR, COL_SSH, COL_TELNET, COL_PLATFORM, COL_TRANSPORT, COL_USER,
       COL_PASSWORD, COL_SECRET, COL_JUMP, COL_GROUPS, NCOL };

static void cell(const na_inv_host *h, int col, char *out, size_t cap)
{
    switch (col) {
    case COL_NAME: snprintf(out, cap, "%s", h->name); break;
    case COL_ADDR: snprintf(out, cap, "%s", h->address); break;
    case COL_SSH: snprintf(out, cap, "%d", h->ssh_port); break;
    case COL_TELNET: snprintf(out, cap, "%d", h->telnet_port); break;
    case COL_PLATFORM: snprintf(out, cap, "%s", h->platform); break;
    case COL_TRANSPORT:
        snprintf(out, cap, "%s", h->transport == NA_TRANSPORT_TELNET ? "telnet" : "ssh");
        break;
    case COL_USER: snprintf(out, cap, "%s", h->username ? h->username : "-"); break;
    case COL_PASSWORD: snprintf(out, cap, "%s", h->password ? NA_REDACTED : "-"); break;
    case COL_SECRET: snprintf(out, cap, "%s", h->secret ? NA_REDACTED : "-"); break;
    case COL_JUMP: snprintf(out, cap, "%s", h->jump ? h->jump : "-"); break;
    default: {
        size_t o = 0;
        out[0] = '\0';
        for (size_t i = 0; i < h->n_groups && o + 1 < cap; i++) {
            if (!strcmp(h->groups[i], "all"))
                continue;
            o += (size_t)snprintf(out + o, cap - o, "%s%s", o ? "," : "", h->groups[i]);
        }
        if (!out[0])
            snprintf(out, cap, "-");
    }
    }
}

static void print_table(const na_inv_selection *sel)
{
    static const char *const heads[NCOL] = {"NAME", "ADDRESS", "SSH", "TELNET", "PLATFORM",
                                            "TRANSPORT", "USERNAME", "PASSWORD", "SECRET",
                                            "JUMP", "GROUPS"};
    size_t w[NCOL];
    bool any_jump = false;
    char buf[1024];
    for (int c = 0; c < NCOL; c++)
        w[c] = strlen(heads[c]);
    for (size_t i = 0; i < sel->n; i++) {
        any_jump |= sel->hosts[i]->jump != NULL;
        for (int c = 0; c < NCOL; c++) {
            cell(sel->hosts[i], c, buf, sizeof buf);
            if (strlen(buf) > w[c])
                w[c] = strlen(buf);
        }
    }
    for (size_t i = 0; i <= sel->n; i++) {
        char line[8192];
        size_t o = 0;
        for (int c = 0; c < NCOL && o < sizeof line; c++) {
            if (c == COL_JUMP && !any_jump)
                continue;
            if (i == 0)
                snprintf(buf, sizeof buf, "%s", heads[c]);
            else
                cell(sel->hosts[i - 1], c, buf, sizeof buf);
            int width = c == COL_GROUPS ? 0 : (int)w[c];
            o += (size_t)snprintf(line + o, sizeof line - o, "%-*s%s", width, buf,
                                  c == COL_GROUPS ? "" : "  ");
        }
        char safe[8192];
        na_redact_cstr(line, safe, sizeof safe); /* a sink like any other */
        puts(safe);
    }
    printf("%zu host%s\n", sel->n, sel->n == 1 ? "" : "s");
}

int cli_cmd_inventory(const cli_args *a)
{
    const char *limit = cli_opt(a, O_LIMIT);
    cli_inv_args ia;
    na_err err = NA_ERR_INIT;
    bool json = cli_opt(a, O_JSON) != NULL;
    if (cli_inv_from_args(a, &ia, true))
        return CLI_EXIT_INVALID;
    if (a->npos)
        return cli_usage_error(a->verb, "unexpected argument '%s' (hosts are chosen with "
                                        "--limit PATTERN)", a->pos[0]);
    na_inventory *inv = cli_load_inventories(&ia, NULL, &err);
    if (!inv) {
        cli_print_err(&err);
        return CLI_EXIT_INVALID;
    }
    na_inv_selection sel;
    if (na_inv_select(inv, limit, &sel, &err) < 0) {
        cli_print_err(&err);
        na_inv_free(inv);
        return CLI_EXIT_INVALID;
    }
    int rc = CLI_EXIT_OK;
    if (json) {
        json_t *j = na_inv_json(inv, &sel);
        char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
        if (s) {
            char *safe = na_redact_dup(s, strlen(s));
            puts(safe ? safe : "");
            free(safe);
        } else {
            fprintf(stderr, "netauto inventory: out of memory\n");
            rc = CLI_EXIT_FAILED;
        }
        free(s);
        json_decref(j);
    } else {
        print_table(&sel);
    }
    if (fflush(stdout) != 0)
        rc = CLI_EXIT_FAILED;
    na_inv_selection_free(&sel);
    na_inv_free(inv);
    return rc;
}
