/* tokens.h — API tokens for netautod. A token is "nat_" + 43 base64url characters (32 random
 * bytes); only its SHA-256 is stored (high-entropy secrets need no slow KDF), in a text file
 * (mode 0600) of lines "NAME SHA256-HEX CREATED-MS SCOPES". Verification hashes the presented
 * token and compares it against every stored hash in constant time. A token has scopes, chosen
 * when it is made: read (GET endpoints and event streams, /metrics), run (submit and cancel jobs,
 * run schedules), commands (ad-hoc commands), admin (everything, the only one that reads the
 * audit trail). A line written before scopes existed (no fourth field) has admin, the full access
 * it had. The daemon re-reads the file whenever it changed (nd_tokens_refresh), so a revocation
 * takes effect at the next request. Not user accounts: a token has a name (shown in logs and the
 * audit trail) and its scopes. */
#ifndef ND_TOKENS_H
#define ND_TOKENS_H

#include "err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ND_TOKEN_NAME_MAX 64
#define ND_TOKEN_LEN 47 /* "nat_" + 43 */

/* Scopes (a bit set). */
#define ND_SCOPE_READ 1u
#define ND_SCOPE_RUN 2u
#define ND_SCOPE_COMMANDS 4u
#define ND_SCOPE_ADMIN 8u
#define ND_SCOPES_ALL 15u

/* "read,run" (any order, also with spaces or repeated) -> bits; NA_E_USAGE for an unknown one. */
int nd_scopes_parse(const char *s, unsigned *out, na_err *err);
/* bits -> "read,run" ("" for none) into out. */
const char *nd_scopes_format(unsigned scopes, char *out, size_t cap);
/* The name of one scope bit ("read", ...). */
const char *nd_scope_name(unsigned scope);

typedef struct nd_token {
    char name[ND_TOKEN_NAME_MAX];
    unsigned char hash[32];
    int64_t created_ms;
    unsigned scopes;
} nd_token;

typedef struct nd_tokens {
    nd_token *v; /* owned */
    size_t n;
    /* the file as last read (nd_tokens_refresh): device, inode, size, times */
    uint64_t f_dev, f_ino, f_size;
    int64_t f_mtime_ns, f_ctime_ns;
    bool f_seen; /* false: the file did not exist */
} nd_tokens;

/* Load a token file. A missing file is an empty set (not an error). Malformed lines are
 * NA_E_CONFIG "FILE:LINE: ...". On error *out is left empty. Free with nd_tokens_free. */
int nd_tokens_load(const char *path, nd_tokens *out, na_err *err);
void nd_tokens_free(nd_tokens *t);
/* Re-read the file if it changed since *t was loaded (another inode, size or time): 1 reloaded,
 * 0 unchanged, -1 + err when it cannot be read or parsed (*t is kept as it was). A file that
 * disappeared is an empty set. */
int nd_tokens_refresh(const char *path, nd_tokens *t, na_err *err);
/* Write atomically (temp file + rename), mode 0600. */
int nd_tokens_save(const char *path, const nd_tokens *t, na_err *err);

/* SHA-256 of the token text. */
void nd_token_hash(const char *token, unsigned char out[32]);
/* A fresh random token into out (cap >= ND_TOKEN_LEN + 1). */
int nd_token_generate(char *out, size_t cap, na_err *err);
/* Is `name` acceptable ([A-Za-z0-9._-], 1..63 chars)? */
int nd_token_name_ok(const char *name);
/* The entry whose hash matches the presented token, or NULL. Every entry is compared (in
 * constant time) whatever matches. The pointer is valid until t changes. */
const nd_token *nd_tokens_verify(const nd_tokens *t, const char *presented);

/* File operations for `netautod token ...` (load, modify, save, under an exclusive flock).
 * add: creates a token with `scopes` (not 0) for a new name and writes it into token_out
 * (cap >= ND_TOKEN_LEN + 1); NA_E_CONFIG if the name exists. revoke: NA_E_NOTFOUND if it does
 * not. */
int nd_tokens_add(const char *path, const char *name, unsigned scopes, char *token_out,
                  size_t cap, na_err *err);
int nd_tokens_revoke(const char *path, const char *name, na_err *err);

#endif
