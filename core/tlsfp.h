/* tlsfp.h — TLS certificate fingerprints: the SHA-256 of a certificate's DER encoding, spelled
 * "SHA256:" + 64 lowercase hex digits, which netautod prints at start and the netauto CLI pins
 * (`--fingerprint`). Used by both, so it lives here rather than in daemon/ or cli/. Not
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
/* Compare two fingerprint spellings: accepts "SHA256:" prefix or not, any case, with or without
 * ':' between byte pairs. Constant time over the normalised digits. */
bool na_tls_fingerprint_eq(const char *a, const char *b);

#endif
