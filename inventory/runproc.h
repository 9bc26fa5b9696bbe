/* runproc.h — run a local program the inventory depends on (an executable inventory script with
 * --list, a vault password script) with a deadline and bounded output: stdout is collected up to
 * a ceiling (past it the program is killed and it is an error), stderr is kept up to a smaller
 * ceiling so that a failure can show it, stdin is /dev/null, and nothing is left running (the
 * program runs in its own process group, which is killed on any error). No shell is involved.
 * Not a general process manager: one program, run to its end, synchronously. */
#ifndef NA_RUNPROC_H
#define NA_RUNPROC_H

#include "buf.h"
#include "err.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct na_proc_opts {
    int timeout_ms;     /* the whole run; past it the program is killed (NA_E_TIMEOUT) */
    size_t max_out;     /* stdout ceiling (NA_E_OVERFLOW past it) */
    size_t max_err;     /* stderr kept (the rest is read and dropped) */
} na_proc_opts;

/* Run argv[0] (a path; no PATH search) with argv. stdout is appended to out and stderr to errtext
 * (both initialised by the caller; errtext may be NULL). On return 0, *status is the exit status
 * (0-255), or 128 + N when killed by signal N. -1 + err when the program cannot be started
 * (NA_E_IO naming it and the reason), does not finish in time (NA_E_TIMEOUT) or prints too much
 * (NA_E_OVERFLOW). `what` names the program in messages ("inventory script hosts.py"). */
int na_proc_run(const char *what, char *const argv[], const na_proc_opts *o, na_buf *out,
                na_buf *errtext, int *status, na_err *err);

#endif
