/* netautod_main.c — the production netautod binary: the command line with the backend this
 * build binds (nd_backend_default). Not where tests come in: they link their own main with a
 * test-double backend. */
#include "netautod.h"

int main(int argc, char **argv)
{
    return nd_main(argc, argv, nd_backend_default());
}
