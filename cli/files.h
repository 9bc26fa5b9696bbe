/* files.h — the internals of `netauto put` and `netauto get` shared by their files: one job per
 * host (a session opened, then one copy with verification, drivers/session_files.h), the one
 * poll loop that drives every job (files_run.c), the progress line on a terminal and the
 * results (text or JSON). cmd_files.c parses the command line. Not an API for other verbs. */
#ifndef NA_CLI_FILES_H
#define NA_CLI_FILES_H

#include "err.h"
#include "inventory.h"
#include "platform.h"
#include "session.h"
#include "session_files.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum { FJ_PENDING = 0, FJ_OPEN, FJ_COPY, FJ_DONE } fjob_state;

typedef struct files_job {
    const na_inv_host *h;
    na_conn_params params;   /* borrowed by the transport */
    na_session *s;
    na_copy *c;
    fjob_state st;
    char *local;             /* this host's local path (owned) */
    na_copy_result res;      /* copied out when the copy ends (strings owned) */
    bool have_res;
    na_err err;
    bool failed;
    int64_t t0_ms, ms;
} files_job;

/* What every job shares (borrowed). */
typedef struct files_ctx {
    na_copy_dir dir;
    const char *verb;        /* "put" / "get" */
    const char *remote;      /* the device path as given */
    na_copy_opts o;          /* local/remote filled per job */
    na_platforms *reg;
    bool tty;                /* a progress line on stderr */
    bool json;
    int64_t t0_ms;
    uint64_t total_hint;     /* put: the file's size (bytes each host needs) */
} files_ctx;

/* Run every job, at most forks at once, in one poll loop; as each host ends its line is
 * printed (text mode). -1 + err only when the loop itself fails. */
int cli_files_run_all(files_job *jobs, size_t n, files_ctx *c, size_t forks, na_err *err);
void cli_files_job_free(files_job *j);

/* The progress line: "put x.bin: 3/10 hosts [####......] 1.2/2.0 GiB 118.0 MiB/s ETA 7 s",
 * at most width columns (0 = no limit). Pure (tested). */
void cli_files_progress_line(const char *verb, const char *name, size_t done_hosts,
                         size_t total_hosts, uint64_t bytes, uint64_t total_bytes,
                         double secs, unsigned width, char *out, size_t cap);
/* Bytes for people: "512 B", "1.5 KiB", "20.0 MiB", "1.20 GiB". */
void cli_files_human(uint64_t n, char *out, size_t cap);

/* Print every job's result as one JSON document on stdout. -1 on OOM. */
int cli_files_print_json(const files_job *jobs, size_t n, const files_ctx *c, bool all_ok);

#endif
