/* api_req.h — the request-body checks of POST /v1/jobs and POST /v1/commands, and what the daemon
 * does with a job's `vars` (mask them for storage, list the values to keep secret), as pure
 * functions: JSON in, borrowed fields or an error out. No HTTP, no daemon state, no I/O, so they
 * can be unit-tested and fuzzed (tests/fuzz/fuzz_daemon.c).
 *
 * One error convention: every check returns 0, or -1 with NA_E_USAGE and the message for the
 * HTTP 400 in *err. api.c calls them in this order: body, fields, then (after the daemon's own
 * state checks) the field types. Not the routing or the replies: see api.c. */
#ifndef ND_API_REQ_H
#define ND_API_REQ_H

#include "err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define ND_MAX_COMMANDS 256

/* A request body: a JSON object (duplicate keys rejected). Returns a new reference (caller
 * json_decref's it), or NULL + err: empty body, invalid JSON (line and column), not an object.
 * p need not be NUL-terminated. */
json_t *nd_req_body_parse(const char *p, size_t n, na_err *err);

/* POST /v1/jobs, before anything else: only the fields playbook, limit, check, vars, and
 * playbook present. */
int nd_job_req_fields(const json_t *body, na_err *err);

/* POST /v1/jobs, the field types: playbook a non-empty string, limit a string or null, check a
 * boolean, vars an object or null. Every pointer in *out is borrowed from body (valid while the
 * caller holds body). */
typedef struct nd_job_req {
    const char *playbook;  /* name in playbook_dir, or inline YAML (contains '\n') */
    const char *limit;     /* NULL = none */
    bool check;
    const json_t *vars;    /* an object, or NULL when absent or null */
} nd_job_req;
int nd_job_req_parse(const json_t *body, nd_job_req *out, na_err *err);

/* POST /v1/commands: host a non-empty string, commands a list of 1..ND_MAX_COMMANDS non-empty
 * single-line strings, transport "ssh", "telnet" or null, parse true/false/null, no other
 * field. Strings in *out are borrowed from body. */
typedef struct nd_cmd_req {
    const char *host;
    const char *transport;                  /* NULL = the host's own */
    bool parse;                             /* each command's result gains parsed/parse_error */
    const char *commands[ND_MAX_COMMANDS];
    size_t n;
} nd_cmd_req;
int nd_cmd_req_parse(const json_t *body, nd_cmd_req *out, na_err *err);

/* Does a vars key name a secret (contains password, passwd, secret, token, passphrase,
 * private_key or api_key, any case)? */
bool nd_var_is_secret(const char *key);
/* A copy of v with every value under a secret-looking key replaced by "********" (new ref). */
json_t *nd_vars_mask(const json_t *v);
/* The values the job must keep secret: every string, number or boolean stored (at any depth)
 * under a secret-looking key, as text. New reference: an array of strings (no duplicates). */
json_t *nd_vars_secrets(const json_t *v);

#endif
