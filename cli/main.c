/* main.c — the `netauto` command line: parses the verb and hands over to it. Only this file
 * (and daemon/) may exit the process. */
#include <stdio.h>
#include <string.h>

#define NETAUTO_VERSION "0.1.0"

int main(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version"))) {
        printf("netauto %s\n", NETAUTO_VERSION);
        return 0;
    }
    fprintf(stderr, "usage: netauto {show|run|compare|inventory|shell|vault} ...\n");
    return 2;
}
