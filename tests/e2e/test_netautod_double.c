/* test_netautod_double.c — netautod with the TEST DOUBLE backend (tests/lib/backend_double.c).
 * `test_netautod_double serve --config FILE` runs the daemon exactly like the production
 * netautod but with scripted devices: the Python end-to-end tests (tests/e2e/test_daemon_*.py)
 * start it that way. Run without arguments (as `make test` does) it is itself an end-to-end
 * test of the `netauto --server` client against this daemon. Not a production binary. */
#include "backend_double.h"
#include "netautod.h"

#include <stdio.h>
#include <string.h>

int client_tests(const char *self);

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "serve"))
        return netautod_main(argc - 1, argv + 1, &na_backend_double_ops);
    return client_tests(argv[0]);
}

int client_tests(const char *self)
{
    (void)self;
    printf("1..0 # client tests come with the CLI\n");
    return 0;
}
