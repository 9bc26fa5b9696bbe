/* main.c — the `netauto` command line: parses the verb and hands over to it. Only this file
 * (and daemon/) may exit the process. */
#include "remote.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NETAUTO_VERSION "0.1.0"

int main(int argc, char **argv)
{
    /* --server (or NETAUTO_SERVER): the verbs run on a netautod (cli/remote.c) */
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--server") || !strncmp(argv[i], "--server=", 9))
            return na_remote_main(argc, argv);
    if (getenv("NETAUTO_SERVER") && *getenv("NETAUTO_SERVER"))
        return na_remote_main(argc, argv);
    if (argc > 1 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version"))) {
        printf("netauto %s\n", NETAUTO_VERSION);
        return 0;
    }
    fprintf(stderr, "usage: netauto {show|run|compare|inventory|shell|vault} ...\n");
    return 2;
}
