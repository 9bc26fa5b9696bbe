/* remote_shell.h — `netauto --server URL shell HOST`: a terminal on a device through netautod
 * (remote_shell.c). Not the local `netauto shell` (cmd_shell.c). */
#ifndef NA_REMOTE_SHELL_H
#define NA_REMOTE_SHELL_H

#include "remote_http.h"

/* Runs the terminal until the device, netautod or the user ends it. transport may be NULL.
 * Exit status: 0 ended normally, 1 refused or failed, 2 invalid input. */
int cli_remote_shell_run(const na_remote *r, const char *host, const char *transport);

#endif
