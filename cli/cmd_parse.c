/* cmd_parse.c — `netauto parse`: text (a file, or stdin) through a TextFSM template, printed as
 * a JSON array of records (keys: the Value names lowercased, as ntc-templates gives them).
 *   netauto parse --template FILE [INPUT]
 *   netauto parse [--templates DIR | -i INVENTORY] --platform P --command 'CMD' [INPUT]
 * The template directory is --templates, else the inventory's `templates:`, else
 * $NET_TEXTFSM / $NTC_TEMPLATES_DIR; netauto's built-in templates are searched after it.
 * Exit 0 with records; 1 when the text could not be parsed (the template's Error action, a
 * limit); 2 for invalid input (usage, an unreadable or bad template or index, no template for
 * the platform and command). Not a device command: nothing is sent anywhere. */
#include "cli_args.h"
#include "verbs.h"
#include "cli_inv.h"
#include "tfsm.h"
#include "tfsm_lib.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PARSE_MAX_INPUT ((size_t)256 << 20)


static int read_input(const char *path, size_t max, na_buf *b, na_err *err)
{
    FILE *f = path ? fopen(path, "rb") : stdin;
    if (!f)
        return na_err_set(err, NA_E_IO, "%s: %s", path, strerror(errno));
    na_buf_init(b, max);
    char chunk[65536];
    size_t got;
    int rc = 0;
    while (rc == 0 && (got = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = na_buf_append(b, chunk, got, path ? path : "standard input", err);
    if (rc == 0 && ferror(f))
        rc = na_err_set(err, NA_E_IO, "%s: read error", path ? path : "standard input");
    if (path)
        fclose(f);
    return rc;
}

/* The text did not parse (Error action, limits): 1; anything about the template: 2. */
static int exit_for(const na_err *e)
{
    return e->code == NA_E_PARSE || e->code == NA_E_OVERFLOW || e->code == NA_E_TIMEOUT ||
                   e->code == NA_E_NOMEM
               ? CLI_EXIT_FAILED
               : CLI_EXIT_INVALID;
}

int cli_cmd_parse(const cli_args *a)
{
    const char *tpl = cli_opt(a, O_TEMPLATE), *dir = cli_opt(a, O_TEMPLATES),
               *na_inv_resolve_path = cli_opt(a, O_INVENTORY), *platform = cli_opt(a, O_PLATFORM),
               *command = cli_opt(a, O_COMMAND), *vpf = cli_opt(a, O_VAULT_FILE);
    bool table = cli_opt(a, O_TABLE) != NULL;
    size_t max_input = PARSE_MAX_INPUT;
    if (cli_opt_size(a, O_MAX_INPUT, &max_input))
        return CLI_EXIT_INVALID;
    if (a->npos > 1)
        return cli_usage_error(a->verb, "one INPUT file at most (default: standard input)");
    if (tpl && (dir || na_inv_resolve_path || platform || command)) {
        fprintf(stderr, "netauto parse: --template FILE, or --platform and --command (with "
                        "--templates DIR or -i INVENTORY), not both\n");
        return CLI_EXIT_INVALID;
    }
    if (!tpl && (!platform || !command)) {
        return cli_usage_error(a->verb, "give --template FILE, or --platform P and --command "
                                        "'CMD'");
    }
    if (table && !tpl) {
        fprintf(stderr, "netauto parse: --table goes with --template\n");
        return CLI_EXIT_INVALID;
    }
    const char *input = a->npos ? a->pos[0] : NULL;
    na_err err = NA_ERR_INIT;
    const char *inv_dir = NULL;
    na_inventory *inv = NULL;
    if (na_inv_resolve_path) {
        if (!(inv = cli_load_inventory(na_inv_resolve_path, vpf, &err))) {
            cli_print_err(&err);
            return CLI_EXIT_INVALID;
        }
        inv_dir = na_inv_templates_dir(inv);
    }
    json_t *out = NULL;
    na_tfsm_lib *lib = NULL;
    na_tfsm *t = NULL;
    na_buf in = {0};
    int rc = CLI_EXIT_OK;
    /* the template (or the index) first: a bad one is invalid input, whatever the text */
    if (tpl)
        t = na_tfsm_load_file(tpl, &err);
    else
        lib = na_tfsm_lib_for(cli_templates_dir(dir, inv_dir), inv_dir, &err);
    if ((tpl && !t) || (!tpl && !lib)) {
        rc = CLI_EXIT_INVALID;
        goto out;
    }
    if (read_input(input, max_input, &in, &err) < 0) {
        rc = err.code == NA_E_OVERFLOW ? CLI_EXIT_FAILED : CLI_EXIT_INVALID;
        goto out;
    }
    na_tfsm_limits lim = {.max_input = max_input, .borrow_text = true};
    if (t) {
        na_tfsm_result *r = na_tfsm_parse(t, na_buf_cstr(&in), in.len, &lim, &err);
        if (r && !table) { /* straight to stdout: no JSON tree for a big result */
            static char obuf[1 << 20];
            setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
            if (na_tfsm_result_write_json(r, NA_TFSM_KEYS_LOWER, stdout, &err) < 0 ||
                fflush(stdout) != 0) {
                na_err_set(&err, NA_E_IO, "cannot write the records: %s", strerror(errno));
                rc = CLI_EXIT_FAILED;
            }
            na_tfsm_result_free(r);
            goto out;
        }
        if (r && !(out = na_tfsm_result_table_json(r)))
            na_err_set(&err, NA_E_NOMEM, "out of memory");
        na_tfsm_result_free(r);
        if (!r) {
            rc = exit_for(&err);
            goto out;
        }
    } else {
        out = na_tfsm_lib_parse(lib, platform, command, na_buf_cstr(&in), in.len, &lim, &err);
    }
    if (!out) {
        rc = exit_for(&err);
        goto out;
    }
    char *s = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (!s || puts(s) == EOF || fflush(stdout) != 0) {
        na_err_set(&err, NA_E_IO, "cannot write the records: %s", s ? strerror(errno) : "no memory");
        rc = CLI_EXIT_FAILED;
    }
    free(s);
out:
    if (rc != CLI_EXIT_OK)
        fprintf(stderr, "netauto parse: %s\n", err.msg);
    json_decref(out);
    na_buf_free(&in);
    na_tfsm_free(t);
    na_tfsm_lib_free(lib);
    na_inv_free(inv);
    return rc;
}
