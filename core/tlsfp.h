/* tlsfp.h — TLS certificate fingerprints: the SHA-256 of a certificate's DER encoding, spelled
 * "SHA256:" + 64 lowercase hex digits, and the public-key pin curl takes (CURLOPT_PINNEDPUBLICKEY,
 * "sha256//" + base64 of the SHA-256 of the SubjectPublicKeyInfo), which netautod prints at start
 * and the netauto CLI pins (`--fingerprint`). Used by both, so it lives here rather than in daemon/ or cli/. Not
 * certificate generation or a TLS context (daemon/tls.h) and not a client (cli/remote_http.c). */
#ifndef NA_TLSFP_H
#define NA_TLSFP_H

#include "err.h"

#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>

/* "SHA256:" + 64 lowercase hex digits of the certificate in PEM file `cert` (cap >= 72). */
int na_tls_fingerprint_file(const char *cert, char *out, size_t cap, na_err *err);
/* The same for an X509 in memory. */
void na_tls_fingerprint_x509(X509 *x, char *out, size_t cap);
/* "sha256//" + base64 (44 characters) of the certificate's public key (cap >= 60). -1 on OOM. */
int na_tls_pubkey_pin_x509(X509 *x, char *out, size_t cap);
int na_tls_pubkey_pin_file(const char *cert, char *out, size_t cap, na_err *err);
/* Is s spelled as a public-key pin ("sha256//...", any case of the prefix)? */
bool na_tls_is_pubkey_pin(const char *s);

/* Compare two fingerprint spellings: accepts "SHA256:" prefix or not, any case, with or without
 * ':' between byte pairs. Constant time over the normalised digits. */
bool na_tls_fingerprint_eq(const char *a, const char *b);

#endif
