/* netautod.h — the entry points of netautod: the command line (run, token, fingerprint,
 * check-config) and the daemon itself, with the device backend the caller binds (the production
 * binary passes nd_backend_default(), the test binary its test double). Everything else in
 * daemon/ is internal to the daemon. */
#ifndef ND_NETAUTOD_H
#define ND_NETAUTOD_H

#include "backend.h"

#define NETAUTOD_VERSION "0.1.0"

/* `netautod ...` command line. Returns the exit status. */
int netautod_main(int argc, char **argv, const nd_backend_ops *ops);
/* Run the daemon with the configuration at config_path until SIGTERM/SIGINT (drained). Returns
 * the exit status: 0, 1 runtime failure, 2 invalid configuration. */
int netautod_run(const char *config_path, const nd_backend_ops *ops);

#endif
