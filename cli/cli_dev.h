/* cli_dev.h — what the CLI verbs that talk to devices (show, compare, shell) share: the platform
 * registry from the inventory's platform_dirs, building a driver session for one inventory host
 * over a chosen transport, naming the host in error messages when the layers below did not, and
 * the transcript file name for a host. Also the entry points of those verbs. Not a runner: the
 * verbs drive their sessions themselves (cmd_show.c has the one poll loop for many hosts). */
#ifndef NA_CLI_DEV_H
#define NA_CLI_DEV_H

#include "err.h"
#include "inventory.h"
#include "platform.h"
#include "session.h"
#include "transcript.h"
#include "transport.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* The registry for an inventory: its platform_dirs first, then the built-in platforms. NULL + err
 * on failure. Caller frees with na_platforms_free() (after every session using it). */
na_platforms *cli_platforms(const na_inventory *inv, na_err *err);

/* Per-session settings a verb passes to cli_session_new (all borrowed for the call only, except
 * transcript, which must outlive the session). */
typedef struct cli_sess_cfg {
    na_transport_kind kind;     /* which of the host's transports */
    na_transcript *transcript;  /* NULL = none */
    size_t max_output;          /* per command, 0 = the driver's default (16 MiB) */
    int command_timeout_ms;     /* 0 = the host's timeouts.command */
    int term_width, term_height;/* 0 = the host's (default 511 x 24) */
} cli_sess_cfg;

/* A session for host h on platform h->platform (from reg). *params is filled with a copy of the
 * host's connection parameters for cfg->kind (adjusted by cfg) and must outlive the session: the
 * transport borrows it. No I/O yet. NULL + err (named after the host) on failure. Caller frees
 * with na_session_free(). */
na_session *cli_session_new(na_platforms *reg, const na_inv_host *h, const cli_sess_cfg *cfg,
                            na_conn_params *params, na_err *err);

/* Put "NAME: " in front of err's message unless it already starts with the host's name. */
void cli_err_name(na_err *err, const char *name);

/* The transcript path for host `name`: pattern with every "{host}" replaced by the name; without
 * "{host}", pattern itself when `several` is false, else "pattern.NAME". malloc'd (caller frees),
 * NULL on OOM. */
char *cli_transcript_path(const char *pattern, const char *name, bool several);

/* Resolve the verb's HOST argument: an exact host name, else a --limit pattern (host, group,
 * glob, ...). limit (may be NULL) narrows it further. sel is filled (na_inv_selection_free).
 * host may be NULL when limit is given. Errors are invalid input (exit 2). */
int cli_select_hosts(const na_inventory *inv, const char *host, const char *limit,
                     na_inv_selection *sel, na_err *err);

/* A JSON string of p[0..n): valid UTF-8 as it is, every byte of an invalid sequence as U+FFFD
 * (device output may hold any bytes; jansson accepts only UTF-8). New reference; NULL on OOM. */
json_t *cli_json_text(const char *p, size_t n);

/* Milliseconds from microseconds, for JSON and tables. */
double cli_ms(int64_t us);

#endif
