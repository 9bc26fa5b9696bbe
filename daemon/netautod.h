/* netautod.h — the entry points of netautod: the command line (run, token, fingerprint,
 * check-config) and the daemon itself, with the device backend the caller binds (the production
 * binary passes nd_backend_default(), the test binary its test double), and its manual page
 * (help.c). Everything else in
 * daemon/ is internal to the daemon. */
#ifndef ND_NETAUTOD_H
#define ND_NETAUTOD_H

#include "backend.h"
#include "doc.h"

#define NETAUTOD_VERSION "0.2.0"
#define NETAUTOD_DATE "2026-12-08"

/* The command line's options (help.c): the short letter, or these. */
enum { ND_OPT_SCOPE = 256, ND_OPT_PIN, ND_OPT_VERSION, ND_OPT_MAN };
extern const na_doc_opt nd_help_opts[];
/* netautod(8): what --help and --man print (help.c). */
const na_doc_page *nd_help_page(void);

/* `netautod ...` command line. Returns the exit status. */
int nd_main(int argc, char **argv, const nd_backend_ops *ops);
/* Run the daemon with the configuration at config_path until SIGTERM/SIGINT (drained). Returns
 * the exit status: 0, 1 runtime failure, 2 invalid configuration. */
int nd_run(const char *config_path, const nd_backend_ops *ops);

#endif
