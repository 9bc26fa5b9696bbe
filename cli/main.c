/* main.c — the `netauto` command line: parses the verb and hands over to it. Only this file
 * (and daemon/) may exit the process. Not a place for verb logic: each verb lives in cmd_*.c,
 * and with --server (or NETAUTO_SERVER) the verbs run on a netautod (cli/remote.c). */
#include "cli_dev.h"
#include "cli_inv.h"
#include "files.h"
#include "remote.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NETAUTO_VERSION "0.1.0"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv); /* argv[0] is the verb */
} verbs[] = {
    {"show", cmd_show},
    {"compare", cmd_compare},
    {"shell", cmd_shell},
    {"inventory", cmd_inventory},
    {"run", cmd_run},
    {"vault", cmd_vault},
    {"put", cmd_put},
    {"get", cmd_get},
};

int main(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version"))) {
        printf("netauto %s\n", NETAUTO_VERSION);
        return 0;
    }
    if (argc > 1 && !strcmp(argv[1], "parse")) /* local text in, records out: never remote */
        return cmd_parse(argc - 1, argv + 1);
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--server") || !strncmp(argv[i], "--server=", 9))
            return na_remote_main(argc, argv);
    if (getenv("NETAUTO_SERVER") && *getenv("NETAUTO_SERVER"))
        return na_remote_main(argc, argv);
    for (size_t i = 0; argc > 1 && i < sizeof verbs / sizeof *verbs; i++)
        if (!strcmp(argv[1], verbs[i].name))
            return verbs[i].run(argc - 1, argv + 1);
    fprintf(stderr, "usage: netauto {show|run|put|get|compare|inventory|shell|vault|parse} ...\n");
    return 2;
}
