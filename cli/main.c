/* main.c — the `netauto` command line: reads the environment and the user configuration, finds
 * the verb (global options may come before it), parses the verb's command line with its table
 * (cli_args.c), decides where it runs (here or on a netautod) and hands over. Only this file
 * (and daemon/) may exit the process. Not a place for verb logic: each verb lives in cmd_*.c,
 * and its --server side in remote*.c. */
#include "cli_args.h"
#include "help.h"
#include "verbs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    int (*local)(const cli_args *a);
    int (*remote)(const cli_args *a);
} impls[] = {
    {"show", cli_cmd_show, cli_remote_show},
    {"run", cli_cmd_run, cli_remote_run},
    {"compare", cli_cmd_compare, NULL},
    {"shell", cli_cmd_shell, cli_remote_shell},
    {"inventory", cli_cmd_inventory, cli_remote_inventory},
    {"vault", cli_cmd_vault, NULL},
    {"parse", cli_cmd_parse, NULL},
    {"put", cli_cmd_put, NULL},
    {"get", cli_cmd_get, NULL},
    {"jobs", NULL, cli_remote_jobs},
    {"job", NULL, cli_remote_job},
    {"cancel", NULL, cli_remote_cancel},
    {"backups", NULL, cli_remote_backups},
    {"version", cli_cmd_version, NULL},
};

int cli_cmd_version(const cli_args *a)
{
    if (a->npos)
        return cli_usage_error(a->verb, "takes no word");
    printf("netauto %s\n", NETAUTO_VERSION);
    return 0;
}

/* A global option before the verb: how many words it takes (1 or 2), 0 when it is not one. */
static int global_words(const char *arg)
{
    if (arg[0] != '-' || arg[1] != '-')
        return 0;
    const char *name = arg + 2, *eq = strchr(name, '=');
    size_t n = eq ? (size_t)(eq - name) : strlen(name);
    for (const na_doc_opt *o = cli_global_opts; o->long_name || o->short_name; o++)
        if (o->long_name && strlen(o->long_name) == n && !strncmp(o->long_name, name, n))
            return o->arg && !eq ? 2 : 1;
    return 0;
}

static void short_usage(void)
{
    fprintf(stderr, "usage: netauto VERB [options]   (netauto --help lists the verbs and the "
                    "global options)\nverbs:");
    for (size_t i = 0; i < cli_n_verbs; i++)
        fprintf(stderr, " %s", cli_verbs[i].doc.name);
    fputc('\n', stderr);
}

int main(int argc, char **argv)
{
    na_err e = NA_ERR_INIT;
    if (cli_global_init(&e) < 0) {
        fprintf(stderr, "netauto: %s\n", e.msg);
        return CLI_EXIT_INVALID;
    }
    if (argc > 1 && !strcmp(argv[1], "_complete"))
        return cli_cmd_complete(argc - 1, argv + 1);
    /* global options may come before the verb: skip them to find it (they are parsed below) */
    int v = 1;
    while (v < argc && argv[v][0] == '-') {
        if (!strcmp(argv[v], "-h") || !strcmp(argv[v], "--help")) {
            /* what --server/--local before it would change is the mode line */
            for (int k = 1; k < v; k++)
                if (!strcmp(argv[k], "--local"))
                    cli_g.local = true;
            cli_print_overview(stdout);
            return CLI_EXIT_OK;
        }
        if (!strcmp(argv[v], "--version")) {
            printf("netauto %s\n", NETAUTO_VERSION);
            return CLI_EXIT_OK;
        }
        int w = global_words(argv[v]);
        if (!w) {
            fprintf(stderr, "netauto: '%s' before the verb is not a global option\n", argv[v]);
            short_usage();
            return CLI_EXIT_INVALID;
        }
        if (v + w > argc) {
            fprintf(stderr, "netauto: %s needs a value\n", argv[v]);
            return CLI_EXIT_INVALID;
        }
        v += w;
    }
    if (v >= argc) {
        short_usage();
        return CLI_EXIT_INVALID;
    }
    const cli_verb *verb = cli_verb_find(argv[v]);
    if (!verb) {
        fprintf(stderr, "netauto: unknown verb '%s'\n", argv[v]);
        short_usage();
        return CLI_EXIT_INVALID;
    }
    if (!strcmp(verb->doc.name, "help"))
        return cli_cmd_help(argc - v, argv + v);
    /* the verb first, then the global options typed before it, then the rest */
    static char *args[CLI_MAX_ARGS + 1];
    if (argc > CLI_MAX_ARGS) {
        fprintf(stderr, "netauto: too many arguments (%d)\n", argc);
        return CLI_EXIT_INVALID;
    }
    int n = 0;
    args[n++] = argv[v];
    for (int k = 1; k < v; k++)
        args[n++] = argv[k];
    for (int k = v + 1; k < argc; k++)
        args[n++] = argv[k];
    static cli_args a;
    int rc = cli_args_parse(&a, verb, n, args);
    if (rc >= 0)
        return rc;
    unsigned mode = cli_mode(&a);
    if (!mode)
        return CLI_EXIT_INVALID;
    for (size_t i = 0; i < sizeof impls / sizeof *impls; i++)
        if (!strcmp(impls[i].name, verb->doc.name)) {
            int (*fn)(const cli_args *) = mode == CLI_REMOTE ? impls[i].remote : impls[i].local;
            if (fn)
                return fn(&a);
        }
    fprintf(stderr, "netauto: %s has no implementation here\n", verb->doc.name);
    return CLI_EXIT_FAILED;
}
