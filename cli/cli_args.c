/* cli_args.c — reads a verb's command line (na_doc_parse with the verb's table and the global
 * options), applies the global options over the environment and the user configuration
 * (cli_g), decides where the verb runs, and turns the inventory options and their defaults
 * into a cli_inv_args. Usage errors are printed here, with what was understood and the mode in
 * use. Not the checks of command words (cli_words.c) and not the configuration file
 * (cli_config.c). */
#include "cli_args.h"
#include "tfsm_lib.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

cli_global cli_g = {.color = -1};

static const char *envs(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

void cli_mode_line(char *buf, size_t cap)
{
    if (cli_g.local && cli_g.server)
        snprintf(buf, cap, "running here (--local; %s would otherwise be used)", cli_g.server);
    else if (!cli_g.server)
        snprintf(buf, cap, "running here (no server: --server URL or NETAUTO_SERVER runs the "
                           "verbs that can on a netautod)");
    else if (cli_g.server_from == CLI_FROM_ENV)
        snprintf(buf, cap, "running on %s because NETAUTO_SERVER is set (--local, or unset "
                           "NETAUTO_SERVER, runs here)", cli_g.server);
    else if (cli_g.server_from == CLI_FROM_CONFIG)
        snprintf(buf, cap, "running on %s because %s names it (--local runs here)",
                 cli_g.server, cli_g.config_path ? cli_g.config_path : "the configuration");
    else
        snprintf(buf, cap, "running on %s (--server)", cli_g.server);
}

int cli_usage_error(const cli_verb *v, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "netauto%s%s: %s\n", v ? " " : "", v ? v->doc.name : "", msg);
    if (cli_g.server && !cli_g.local) {
        char mode[600];
        cli_mode_line(mode, sizeof mode);
        fprintf(stderr, "netauto: %s\n", mode);
    }
    if (v) {
        for (const char *const *l = v->doc.synopsis; l && *l; l++)
            fprintf(stderr, "%s netauto %s\n", l == v->doc.synopsis ? "usage:" : "      ", *l);
        fprintf(stderr, "(netauto %s --help explains every option; nothing was sent to any "
                        "device)\n", v->doc.name);
    }
    return CLI_EXIT_INVALID;
}

int cli_global_init(na_err *err)
{
    if (envs("NETAUTO_SERVER")) {
        cli_g.server = envs("NETAUTO_SERVER");
        cli_g.server_from = CLI_FROM_ENV;
    }
    cli_g.token = envs("NETAUTO_TOKEN");
    cli_g.token_file = envs("NETAUTO_TOKEN_FILE");
    cli_g.fingerprint = envs("NETAUTO_FINGERPRINT");
    cli_g.cacert = envs("NETAUTO_CACERT");
    if (envs("NO_COLOR"))
        cli_g.color = 0;
    return cli_config_load(err);
}

/* A global option typed on the command line. */
static int apply_global(const na_doc_arg *x, const cli_verb *v)
{
    switch (x->opt->id) {
    case O_SERVER:
        cli_g.server = x->val;
        cli_g.server_from = CLI_FROM_FLAG;
        break;
    case O_LOCAL: cli_g.local = true; break;
    case O_TOKEN:
        /* keep a copy and blank the argument: ps shows x's from now on (the caller warns that
         * it was visible until then) */
        snprintf(cli_g.token_buf, sizeof cli_g.token_buf, "%s", x->val);
        memset((char *)x->val, 'x', strlen(x->val));
        cli_g.token = cli_g.token_buf;
        cli_g.token_on_argv = true;
        break;
    case O_TOKEN_FILE:
        cli_g.token_file = x->val;
        if (!cli_g.token_on_argv)
            cli_g.token = NULL; /* the file named here, rather than $NETAUTO_TOKEN */
        break;
    case O_FINGERPRINT: cli_g.fingerprint = x->val; break;
    case O_CACERT: cli_g.cacert = x->val; break;
    case O_COLOR:
        if (!strcmp(x->val, "auto"))
            cli_g.color = envs("NO_COLOR") ? 0 : -1;
        else if (!strcmp(x->val, "always"))
            cli_g.color = 1;
        else if (!strcmp(x->val, "never"))
            cli_g.color = 0;
        else
            return cli_usage_error(v, "--color takes auto, always or never, got '%s'", x->val);
        break;
    case O_VERSION:
        printf("netauto %s\n", NETAUTO_VERSION);
        return CLI_EXIT_OK;
    default: break;
    }
    return -1;
}

static bool is_global(const na_doc_opt *o)
{
    for (const na_doc_opt *g = cli_global_opts; g->long_name || g->short_name; g++)
        if (g == o)
            return true;
    return false;
}

int cli_args_parse(cli_args *a, const cli_verb *v, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    a->verb = v;
    if (argc > CLI_MAX_ARGS)
        return cli_usage_error(v, "too many arguments (%d; at most %d)", argc, CLI_MAX_ARGS);
    const na_doc_opt *tables[] = {v->doc.opts, cli_global_opts, NULL};
    na_err e = NA_ERR_INIT;
    if (na_doc_parse(tables, argc, argv, a->v, &a->n, &e) < 0)
        return cli_usage_error(v, "%s", e.msg);
    for (size_t i = 0; i < a->n; i++) {
        const na_doc_arg *x = &a->v[i];
        if (!x->opt) {
            a->pos_arg[a->npos] = x;
            a->pos[a->npos++] = x->val;
            continue;
        }
        if (x->opt->id == O_HELP) {
            cli_print_verb_help(stdout, v);
            return CLI_EXIT_OK;
        }
        if (is_global(x->opt)) {
            int rc = apply_global(x, v);
            if (rc >= 0)
                return rc;
            continue;
        }
        a->opts[a->nopts++] = (struct cli_opt_val){x->opt->id, x->val, x->typed};
    }
    return -1;
}

const char *cli_opt(const cli_args *a, int id)
{
    const char *got = NULL;
    for (size_t i = 0; i < a->nopts; i++)
        if (a->opts[i].id == id)
            got = a->opts[i].val ? a->opts[i].val : "";
    return got;
}

static const struct cli_opt_val *last(const cli_args *a, int id)
{
    const struct cli_opt_val *got = NULL;
    for (size_t i = 0; i < a->nopts; i++)
        if (a->opts[i].id == id)
            got = &a->opts[i];
    return got;
}

int cli_opt_seconds(const cli_args *a, int id, int *ms)
{
    const struct cli_opt_val *o = last(a, id);
    if (!o)
        return 0;
    char *end;
    double v = strtod(o->val, &end);
    if (*end || end == o->val || !(v > 0) || v > 86400)
        return cli_usage_error(a->verb, "%s: expected seconds (0 < s <= 86400), got '%s'", o->typed,
                               o->val);
    *ms = v * 1000 < 1 ? 1 : (int)(v * 1000 + 0.5);
    return 0;
}

int cli_opt_long(const cli_args *a, int id, long min, long max, long *out)
{
    const struct cli_opt_val *o = last(a, id);
    if (!o)
        return 0;
    char *end;
    long v = strtol(o->val, &end, 10);
    if (*end || end == o->val || v < min || v > max)
        return cli_usage_error(a->verb, "%s: expected a number from %ld to %ld, got '%s'", o->typed,
                               min, max, o->val);
    *out = v;
    return 0;
}

int cli_opt_size(const cli_args *a, int id, size_t *out)
{
    const struct cli_opt_val *o = last(a, id);
    if (!o)
        return 0;
    if (cli_parse_size(o->val, out) < 0)
        return cli_usage_error(a->verb, "%s: expected a byte count (like 64M), got '%s'", o->typed,
                               o->val);
    return 0;
}

int cli_opt_transport(const cli_args *a, na_transport_kind *out, bool *given)
{
    const struct cli_opt_val *o = last(a, O_TRANSPORT);
    if (!o)
        return 0;
    if (na_transport_kind_parse(o->val, out) < 0)
        return cli_usage_error(a->verb, "--transport: expected ssh or telnet, got '%s'", o->val);
    *given = true;
    return 0;
}

unsigned cli_mode(const cli_args *a)
{
    const cli_verb *v = a->verb;
    bool remote = cli_g.server && !cli_g.local;
    if (v->where == CLI_REMOTE) {
        if (!remote) {
            cli_usage_error(v, "%s talks to a netautod: give --server URL (or set "
                               "NETAUTO_SERVER)%s", v->doc.name,
                            cli_g.local ? "; --local was given" : "");
            return 0;
        }
        return CLI_REMOTE;
    }
    if (!(v->where & CLI_REMOTE)) {
        if (remote && cli_g.server_from == CLI_FROM_FLAG) {
            cli_usage_error(v, "%s always runs here (%s): drop --server", v->doc.name,
                            v->no_remote ? v->no_remote : "it is local");
            return 0;
        }
        return CLI_LOCAL;
    }
    if (!remote)
        return CLI_LOCAL;
    for (size_t i = 0; i < a->nopts; i++) {
        const na_doc_opt *o = na_doc_opt_find(v->doc.opts, a->opts[i].id);
        if (o && (o->flags & CLI_OPT_LOCAL)) {
            char name[80];
            na_doc_opt_name(o, name, sizeof name);
            if (o->id == O_INVENTORY || o->id == O_VAULT_FILE || o->id == O_VAULT_ID ||
                o->id == O_ASK_VAULT)
                cli_usage_error(v, "%s: the server uses its own inventory (netautod's "
                                   "inventory:), so %s does not apply there; add --local to run "
                                   "here with %s", a->opts[i].typed, name,
                                o->id == O_INVENTORY ? a->opts[i].val : "your inventory");
            else
                cli_usage_error(v, "%s is for running here and does not apply on a netautod; "
                                   "drop it, or add --local to run here", a->opts[i].typed);
            return 0;
        }
    }
    if (cli_g.server_from != CLI_FROM_FLAG && isatty(STDERR_FILENO)) {
        char mode[600];
        cli_mode_line(mode, sizeof mode);
        fprintf(stderr, "netauto: %s\n", mode);
    }
    return CLI_REMOTE;
}

int cli_inv_from_args(const cli_args *a, cli_inv_args *ia, bool required)
{
    na_err e = NA_ERR_INIT;
    memset(ia, 0, sizeof *ia);
    for (size_t i = 0; i < a->nopts; i++) {
        int id = a->opts[i].id;
        int rc = 0;
        if (id == O_INVENTORY)
            rc = cli_inv_arg(ia, 'i', a->opts[i].val, &e);
        else if (id == O_VAULT_ID)
            rc = cli_inv_arg(ia, 'I', a->opts[i].val, &e);
        else if (id == O_ASK_VAULT)
            rc = cli_inv_arg(ia, 'A', NULL, &e);
        else if (id == O_VAULT_FILE)
            ia->vault_password_file = a->opts[i].val;
        if (rc < 0)
            return cli_usage_error(a->verb, "%s", e.msg);
    }
    if (ia->n_paths)
        return 0;
    /* the defaults: $NETAUTO_INVENTORY (comma-separated), then the configuration's */
    static char *env_copy;
    const char *env = envs("NETAUTO_INVENTORY");
    if (env) {
        free(env_copy);
        env_copy = strdup(env);
        for (char *save = NULL, *p = env_copy ? strtok_r(env_copy, ",", &save) : NULL; p;
             p = strtok_r(NULL, ",", &save))
            if (*p && cli_inv_arg(ia, 'i', p, &e) < 0)
                return cli_usage_error(a->verb, "NETAUTO_INVENTORY: %s", e.msg);
        if (ia->n_paths)
            return 0;
    }
    for (size_t i = 0; i < cli_g.cfg_n_inventory; i++)
        if (cli_inv_arg(ia, 'i', cli_g.cfg_inventory[i], &e) < 0)
            return cli_usage_error(a->verb, "%s: inventory: %s", cli_g.config_path, e.msg);
    if (!ia->n_paths && required)
        return cli_usage_error(a->verb, "-i INVENTORY is required (or set "
                                        "NETAUTO_INVENTORY, or put inventory: in %s)",
                               cli_g.config_path ? cli_g.config_path
                                                 : "~/.config/netauto/config.yaml");
    return 0;
}

bool cli_color(FILE *f)
{
    if (cli_g.color >= 0)
        return cli_g.color == 1;
    const char *term = getenv("TERM");
    return !envs("NO_COLOR") && isatty(fileno(f)) && term && strcmp(term, "dumb");
}

const char *cli_sgr(FILE *f, const char *code)
{
    if (!cli_color(f))
        return "";
    return code;
}

const char *cli_templates_dir(const char *opt, const char *inventory_dir)
{
    if (opt)
        return opt;
    return !inventory_dir && !na_tfsm_pick_dir(NULL, NULL) ? cli_g.cfg_templates : NULL;
}
