/* compare.h — the data of `netauto compare` (cmd_compare.c runs it, compare_out.c prints it):
 * for one device, what each transport did — per-phase timings, bytes on the wire and data bytes,
 * negotiated SSH algorithms / Telnet options — plus each command's output on both and whether
 * they match after normalisation. Not a benchmark: one run per transport. */
#ifndef NA_CLI_COMPARE_H
#define NA_CLI_COMPARE_H

#include "buf.h"
#include "err.h"
#include "inventory.h"
#include "session.h"
#include "transport.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum { CMP_TELNET = 0, CMP_SSH = 1, CMP_SIDES = 2 };

typedef struct cmp_cmd {
    bool ran, ok;
    char *output;   /* owned (NULL when none) */
    size_t len;
    na_err err;
    int64_t us;
} cmp_cmd;

typedef struct cmp_side {
    na_transport_kind kind;
    int port;
    bool opened;          /* the session opened (transport + prompt + default mode) */
    bool ok;              /* opened and every command succeeded */
    na_err err;           /* first error */
    na_conn_info info;    /* the transport's measurements, taken before closing */
    na_session_stats st;
    int64_t open_us;      /* the whole open as the caller saw it */
    cmp_cmd *cmds;        /* ncmds entries (owned) */
} cmp_side;

typedef struct cmp_report {
    const na_inv_host *h;
    const char *const *cmds;
    size_t ncmds;
    cmp_side side[CMP_SIDES];
    bool compared;        /* both sides ran every command */
    bool identical;       /* ... and every output matched after normalisation */
    bool *cmd_same;       /* per command (owned) */
    na_buf diff;          /* unified diffs of the commands that differ */
} cmp_report;

void cli_cmp_report_free(cmp_report *r);

/* Printing (compare_out.c). Both redact registered secrets. */
void cli_cmp_print_text(const cmp_report *r, FILE *f);
json_t *cli_cmp_json(const cmp_report *r); /* new reference, NULL on OOM */

/* "Telnet sent the password ... in clear text" note, or NULL when no side did. */
const char *cli_cmp_cleartext_note(const cmp_report *r);

#endif
