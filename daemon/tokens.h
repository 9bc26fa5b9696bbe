/* tokens.h — API tokens for netautod. A token is "nat_" + 43 base64url characters (32 random
 * bytes); only its SHA-256 is stored (high-entropy secrets need no slow KDF), in a text file
 * (mode 0600) of lines "NAME SHA256-HEX CREATED-MS". Verification hashes the presented token and
 * compares it against every stored hash in constant time. Not user accounts: a token has a name
 * (shown in logs and the audit trail) and full API access. */
#ifndef NA_TOKENS_H
#define NA_TOKENS_H

#include "err.h"

#include <stddef.h>
#include <stdint.h>

#define NA_TOKEN_NAME_MAX 64
#define NA_TOKEN_LEN 47 /* "nat_" + 43 */

typedef struct na_token {
    char name[NA_TOKEN_NAME_MAX];
    unsigned char hash[32];
    int64_t created_ms;
} na_token;

typedef struct na_tokens {
    na_token *v; /* owned */
    size_t n;
} na_tokens;

/* Load a token file. A missing file is an empty set (not an error). Malformed lines are
 * NA_E_CONFIG "FILE:LINE: ...". On error *out is left empty. Free with na_tokens_free. */
int na_tokens_load(const char *path, na_tokens *out, na_err *err);
void na_tokens_free(na_tokens *t);
/* Write atomically (temp file + rename), mode 0600. */
int na_tokens_save(const char *path, const na_tokens *t, na_err *err);

/* SHA-256 of the token text. */
void na_token_hash(const char *token, unsigned char out[32]);
/* A fresh random token into out (cap >= NA_TOKEN_LEN + 1). */
int na_token_generate(char *out, size_t cap, na_err *err);
/* Is `name` acceptable ([A-Za-z0-9._-], 1..63 chars)? */
int na_token_name_ok(const char *name);
/* The entry whose hash matches the presented token, or NULL. Every entry is compared (in
 * constant time) whatever matches. The pointer is valid until t changes. */
const na_token *na_tokens_verify(const na_tokens *t, const char *presented);

/* File operations for `netautod token ...` (load, modify, save, under an exclusive flock).
 * add: creates a token for a new name and writes it into token_out (cap >= NA_TOKEN_LEN + 1);
 * NA_E_CONFIG if the name exists. revoke: NA_E_NOTFOUND if it does not. */
int na_tokens_add(const char *path, const char *name, char *token_out, size_t cap, na_err *err);
int na_tokens_revoke(const char *path, const char *name, na_err *err);

#endif
