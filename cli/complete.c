/* complete.c — what the shell completions (dist/completion/) ask netauto: `netauto _complete
 * verbs`, `_complete options VERB` (its long options and the global ones, from the same tables
 * as --help) and `_complete hosts [WORDS...]` (the host and group names of the inventory the
 * typed words name with -i, else of the default inventory). A broken inventory, or one that
 * needs a vault passphrase nobody gave (no prompt from a completion), completes no names; the
 * scripts discard stderr. Not a verb users type. */
#include "cli_args.h"
#include "verbs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void put_opts(const na_doc_opt *o)
{
    for (; o && (o->long_name || o->short_name); o++)
        if (o->long_name && !(o->flags & NA_DOC_HIDDEN))
            printf("--%s\n", o->long_name);
}

/* The inventory sources among the typed words. */
static void typed_sources(int argc, char **argv, cli_inv_args *ia, na_err *e)
{
    for (int i = 0; i < argc; i++) {
        const char *w = argv[i], *v = NULL;
        if ((!strcmp(w, "-i") || !strcmp(w, "--inventory")) && i + 1 < argc)
            v = argv[++i];
        else if (!strncmp(w, "--inventory=", 12))
            v = w + 12;
        else if (!strncmp(w, "-i", 2) && w[2])
            v = w + 2;
        else if (!strcmp(w, "--vault-password-file") && i + 1 < argc)
            ia->vault_password_file = argv[++i];
        if (v && cli_inv_arg(ia, 'i', v, e) < 0)
            return;
    }
}

int cli_cmd_complete(int argc, char **argv)
{
    if (argc < 2)
        return CLI_EXIT_INVALID;
    if (!strcmp(argv[1], "verbs")) {
        for (size_t i = 0; i < cli_n_verbs; i++)
            printf("%s\n", cli_verbs[i].doc.name);
        return 0;
    }
    if (!strcmp(argv[1], "options")) {
        const cli_verb *v = argc > 2 ? cli_verb_find(argv[2]) : NULL;
        if (v)
            put_opts(v->doc.opts);
        put_opts(cli_global_opts);
        return 0;
    }
    if (!strcmp(argv[1], "hosts")) {
        na_err e = NA_ERR_INIT;
        cli_inv_args ia = {0};
        typed_sources(argc - 2, argv + 2, &ia, &e);
        if (!ia.n_paths) { /* the defaults, as a verb would take them */
            static cli_args a;
            memset(&a, 0, sizeof a);
            a.verb = cli_verb_find("inventory");
            if (cli_inv_from_args(&a, &ia, false) != 0 || !ia.n_paths)
                return 0;
        }
        if (!ia.vault_password_file && !getenv("NETAUTO_VAULT_PASSWORD") &&
            !getenv("ANSIBLE_VAULT_PASSWORD_FILE"))
            ia.vault_password_file = "/dev/null"; /* never a prompt on the terminal */
        na_inventory *inv = cli_load_inventories(&ia, NULL, &e);
        if (!inv)
            return 0;
        for (size_t i = 0; i < na_inv_count(inv); i++)
            printf("%s\n", na_inv_host_at(inv, i)->name);
        for (size_t i = 0; i < na_inv_group_count(inv); i++)
            printf("%s\n", na_inv_group_name(inv, i));
        na_inv_free(inv);
        return 0;
    }
    return CLI_EXIT_INVALID;
}
