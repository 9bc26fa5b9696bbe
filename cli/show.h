/* show.h — the internals of `netauto show` shared by its files: one job per host (a session
 * driven through open and each command by the one poll loop in show_run.c), what each command
 * produced, and the printers (show_out.c). cmd_show.c parses the command line. Not an API for
 * other verbs. */
#ifndef NA_CLI_SHOW_H
#define NA_CLI_SHOW_H

#include "err.h"
#include "inventory.h"
#include "tfsm_lib.h"
#include "platform.h"
#include "session.h"
#include "transcript.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct show_cmd_out {
    bool ran, ok;
    char *output;        /* device output (NULL if none) */
    size_t len;
    char *device_error;  /* the device's error line, or NULL */
    na_err err;          /* this command's error (device rejection, timeout...) */
    int64_t us;
    json_t *parsed;      /* --parse: the records (owned), NULL when not parsed */
    na_err parse_err;    /* --parse: why the output could not be parsed */
} show_cmd_out;

/* not started / opening / running command `cur` / finished (session freed) */
typedef enum { J_PENDING, J_OPEN, J_CMD, J_DONE } job_state;

typedef struct show_job {
    const na_inv_host *h;
    na_conn_params params; /* borrowed by the transport */
    na_session *s;
    na_transcript *tr;
    job_state st;
    size_t cur;
    show_cmd_out *outs;    /* one per command (owned by the caller) */
    na_err err;            /* first error of this host (what the exit status and stderr show) */
    bool failed;
    int64_t t0_us, us;
} show_job;

/* What every job shares (all borrowed). */
typedef struct show_ctx {
    const char *const *cmds;
    size_t ncmds;
    na_transport_kind kind; /* used when kind_set, else each host's own transport */
    bool kind_set;
    const char *transcript; /* --transcript pattern, NULL = none */
    bool several;           /* more than one host selected */
    size_t max_output;      /* 0 = the driver's default */
    int timeout_ms;         /* per command, 0 = the host's */
    na_platforms *reg;
    na_tfsm_lib *parse;     /* --parse: the templates, NULL = do not parse */
} show_ctx;

/* Run every job, at most `forks` at once, in one poll() loop, until all are done (J_DONE). -1 +
 * err only when the loop itself fails (poll); host failures are in the jobs. */
int cli_show_run_all(show_job *jobs, size_t n, const show_ctx *c, size_t forks, na_err *err);
/* Close and free a job's session and transcript (idempotent). */
void cli_show_job_finish(show_job *j);

/* --parse: check before anything is sent that every host's platform has a template for every
 * command (NA_E_NOTFOUND otherwise) and that those templates compile. */
int cli_show_parse_check(const show_job *jobs, size_t n, const show_ctx *c, na_err *err);
/* --parse: parse every command's output into o->parsed (or o->parse_err). Returns how many
 * outputs could not be parsed. */
size_t cli_show_parse_all(show_job *jobs, size_t n, const show_ctx *c);

/* Print the results: text (outputs on stdout, errors on stderr; with --parse the records as
 * JSON instead of the outputs) or one JSON document (each command gains "parsed" or
 * "parse_error" with --parse). Secrets are redacted. print_json returns -1 on OOM. */
void cli_show_print_text(const show_job *jobs, size_t n, const show_ctx *c);
int cli_show_print_json(const show_job *jobs, size_t n, const show_ctx *c, bool all_ok);

#endif
