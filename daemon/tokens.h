/* tokens.h — API tokens for netautod. A token is "nat_" + 43 base64url characters (32 random
 * bytes); only its SHA-256 is stored (high-entropy secrets need no slow KDF), in a text file
 * (mode 0600) of lines "NAME SHA256-HEX CREATED-MS". Verification hashes the presented token and
 * compares it against every stored hash in constant time. Not user accounts: a token has a name
 * (shown in logs and the audit trail) and full API access. */
#ifndef ND_TOKENS_H
#define ND_TOKENS_H

#include "err.h"

#include <stddef.h>
#include <stdint.h>

#define ND_TOKEN_NAME_MAX 64
#define ND_TOKEN_LEN 47 /* "nat_" + 43 */

typedef struct nd_token {
    char name[ND_TOKEN_NAME_MAX];
    unsigned char hash[32];
    int64_t created_ms;
} nd_token;

typedef struct nd_tokens {
    nd_token *v; /* owned */
    size_t n;
} nd_tokens;

/* Load a token file. A missing file is an empty set (not an error). Malformed lines are
 * NA_E_CONFIG "FILE:LINE: ...". On error *out is left empty. Free with nd_tokens_free. */
int nd_tokens_load(const char *path, nd_tokens *out, na_err *err);
void nd_tokens_free(nd_tokens *t);
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
 * add: creates a token for a new name and writes it into token_out (cap >= ND_TOKEN_LEN + 1);
 * NA_E_CONFIG if the name exists. revoke: NA_E_NOTFOUND if it does not. */
int nd_tokens_add(const char *path, const char *name, char *token_out, size_t cap, na_err *err);
int nd_tokens_revoke(const char *path, const char *name, na_err *err);

#endif
