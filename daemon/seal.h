/* seal.h — netautod's own secret key for what it keeps about requests: state_dir/store.key, 32
 * random bytes made at the first start (0600, never shown, never sent anywhere). Two keys are
 * derived from it (HMAC-SHA256 of fixed labels):
 *   - sealing: AES-256-GCM of a job's vars while the job is unfinished, so that netautod can
 *     run it after a restart without keeping the secret values in clear in the job store (the
 *     stored request masks them as ********); the sealed copy goes when the job ends;
 *   - fingerprints: HMAC-SHA256 of a request body kept with its Idempotency-Key, so a stored
 *     fingerprint tells nothing about the secrets in the body.
 * A copy of the job store without the key file reveals neither. Not TLS (tls.c) and not the
 * API tokens (tokens.c). */
#ifndef ND_SEAL_H
#define ND_SEAL_H

#include "err.h"

#include <stddef.h>

typedef struct nd_seal {
    unsigned char enc[32]; /* AES-256-GCM key */
    unsigned char mac[32]; /* HMAC-SHA256 key */
    int loaded;
} nd_seal;

/* Read the key file at path, creating it (0600, exclusive) when it does not exist. A file that
 * is not exactly 32 bytes is an error (NA_E_CONFIG): netautod will not replace a key that
 * sealed data may depend on. 0 or -1 + err. */
int nd_seal_load(nd_seal *k, const char *path, na_err *err);
/* Forget the keys (wiped). */
void nd_seal_wipe(nd_seal *k);

/* Seal n bytes: *out (malloc'd, caller frees) = 12-byte nonce | ciphertext | 16-byte tag. */
int nd_seal_data(const nd_seal *k, const void *plain, size_t n, unsigned char **out,
                 size_t *out_len, na_err *err);
/* Open what nd_seal_data made: *plain (malloc'd, NUL-terminated, caller wipes and frees).
 * NA_E_CONFIG when it was not sealed with this key (or was altered). */
int nd_seal_open(const nd_seal *k, const unsigned char *in, size_t n, char **plain,
                 size_t *plain_len, na_err *err);
/* HMAC-SHA256 of data as 64 lowercase hex digits + NUL. */
void nd_seal_fingerprint(const nd_seal *k, const void *data, size_t n, char hex[65]);

#endif
