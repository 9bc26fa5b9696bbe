/* tls.h — netautod's TLS server context (OpenSSL 3): load the configured certificate and key,
 * or create a self-signed EC P-256 leaf pair in the state directory on first start and reuse it
 * afterwards; TLS 1.2+ with AEAD cipher suites only. Clients pin the certificate's fingerprint
 * (core/tlsfp.h). Not a CA and not a client: see cli/remote_http.c. */
#ifndef ND_TLS_H
#define ND_TLS_H

#include "err.h"

#include <openssl/ssl.h>
#include <stdbool.h>

/* Ensure a certificate exists. When cert/key are NULL, uses STATE_DIR/tls-cert.pem and
 * STATE_DIR/tls-key.pem, generating them if absent (key mode 0600); *generated tells whether it
 * did. The paths used are written to cert_out/key_out (malloc'd, caller frees). */
int nd_tls_ensure(const char *cert, const char *key, const char *state_dir, char **cert_out,
                  char **key_out, bool *generated, na_err *err);
/* A server SSL_CTX (TLS 1.2+, AEAD suites with ECDHE) for the pair. Caller frees with
 * SSL_CTX_free. */
SSL_CTX *nd_tls_server_ctx(const char *cert, const char *key, na_err *err);

#endif
