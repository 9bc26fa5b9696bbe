/* api_req.h — the request-body checks of POST /v1/jobs and POST /v1/commands as pure functions:
 * JSON text in, borrowed fields or a message for an HTTP 400 out. No HTTP, no daemon state, no
 * I/O, so they can be unit-tested and fuzzed (tests/fuzz/fuzz_daemon.c). api.c and jobs.c call
 * them in the same order as before: body, fields, then (after the daemon's own state checks)
 * the field types. Not the routing or the replies: see api.c. */
#ifndef NA_API_REQ_H
#define NA_API_REQ_H

#include "err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define ND_MAX_COMMANDS 256

/* A request body: a JSON object (duplicate keys rejected). Returns a new reference (caller
 * json_decref's it), or NULL with the reason in errbuf (always NUL-terminated when cap > 0):
 * empty body, invalid JSON (line and column), not an object. p need not be NUL-terminated. */
json_t *nd_req_body_parse(const char *p, size_t n, char *errbuf, size_t cap);

/* POST /v1/jobs, before anything else: only the fields playbook, limit, check, vars, and
 * playbook present. 0, or -1 with the reason in why (NUL-terminated when cap > 0). */
int nd_job_req_fields(const json_t *body, char *why, size_t cap);

/* POST /v1/jobs, the field types: playbook a non-empty string, limit a string or null, check a
 * boolean, vars an object or null. Every pointer in *out is borrowed from body (valid while the
 * caller holds body). 0, or -1 with NA_E_USAGE in err. */
typedef struct nd_job_req {
    const char *playbook;  /* name in playbook_dir, or inline YAML (contains '\n') */
    const char *limit;     /* NULL = none */
    bool check;
    const json_t *vars;    /* an object, or NULL when absent or null */
} nd_job_req;
int nd_job_req_parse(const json_t *body, nd_job_req *out, na_err *err);

/* POST /v1/commands: host a non-empty string, commands a list of 1..ND_MAX_COMMANDS non-empty
 * single-line strings, transport "ssh", "telnet" or null, parse true/false/null, no other
 * field. 0 with *out filled (strings borrowed from body), or -1 with *why set to a static
 * message. */
typedef struct nd_cmd_req {
    const char *host;
    const char *transport;                  /* NULL = the host's own */
    bool parse;                             /* each command's result gains parsed/parse_error */
    const char *commands[ND_MAX_COMMANDS];
    size_t n;
} nd_cmd_req;
int nd_cmd_req_parse(const json_t *body, nd_cmd_req *out, const char **why);

#endif
