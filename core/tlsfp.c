/* tlsfp.c — certificate fingerprints (see tlsfp.h): SHA-256 over the DER encoding, read from a
 * PEM file or an X509 in memory, the public-key pin, and a comparison that accepts the usual spellings. Not a
 * verifier: the CLI pins with it inside OpenSSL's verification callback. */
#include "tlsfp.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

void na_tls_fingerprint_x509(X509 *x, char *out, size_t cap)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    X509_digest(x, EVP_sha256(), md, &n);
    size_t o = (size_t)snprintf(out, cap, "SHA256:");
    for (unsigned i = 0; i < n && o + 2 < cap; i++)
        o += (size_t)snprintf(out + o, cap - o, "%02x", md[i]);
}

int na_tls_pubkey_pin_x509(X509 *x, char *out, size_t cap)
{
    unsigned char *der = NULL, md[EVP_MAX_MD_SIZE], b64[EVP_MAX_MD_SIZE * 2];
    unsigned int n = 0;
    int len = i2d_PUBKEY(X509_get0_pubkey(x), &der);
    if (len <= 0 || !EVP_Digest(der, (size_t)len, md, &n, EVP_sha256(), NULL)) {
        OPENSSL_free(der);
        ERR_clear_error();
        return -1;
    }
    OPENSSL_free(der);
    EVP_EncodeBlock(b64, md, (int)n);
    snprintf(out, cap, "sha256//%s", (const char *)b64);
    return 0;
}

static X509 *read_cert(const char *cert, na_err *err)
{
    FILE *f = fopen(cert, "r");
    if (!f) {
        na_err_set(err, NA_E_IO, "%s: cannot open: %s", cert, strerror(errno));
        return NULL;
    }
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (!x) {
        unsigned long e = ERR_get_error();
        char buf[256] = "";
        if (e)
            ERR_error_string_n(e, buf, sizeof buf);
        ERR_clear_error();
        na_err_set(err, NA_E_IO, "%s: not a PEM certificate%s%s", cert, *buf ? ": " : "", buf);
    }
    return x;
}

int na_tls_pubkey_pin_file(const char *cert, char *out, size_t cap, na_err *err)
{
    X509 *x = read_cert(cert, err);
    if (!x)
        return -1;
    int rc = na_tls_pubkey_pin_x509(x, out, cap);
    X509_free(x);
    return rc < 0 ? na_err_set(err, NA_E_NOMEM, "%s: cannot hash the public key", cert) : 0;
}

bool na_tls_is_pubkey_pin(const char *s)
{
    return s && !strncasecmp(s, "sha256//", 8);
}

int na_tls_fingerprint_file(const char *cert, char *out, size_t cap, na_err *err)
{
    X509 *x = read_cert(cert, err);
    if (!x)
        return -1;
    na_tls_fingerprint_x509(x, out, cap);
    X509_free(x);
    return 0;
}

static size_t norm_fp(const char *s, char *out, size_t cap)
{
    if (!strncasecmp(s, "SHA256:", 7))
        s += 7;
    size_t o = 0;
    for (; *s && o + 1 < cap; s++) {
        if (*s == ':')
            continue;
        out[o++] = (char)tolower((unsigned char)*s);
    }
    out[o] = '\0';
    return o;
}

bool na_tls_fingerprint_eq(const char *a, const char *b)
{
    char na[160], nb[160];
    size_t la = norm_fp(a, na, sizeof na), lb = norm_fp(b, nb, sizeof nb);
    return la == 64 && la == lb && CRYPTO_memcmp(na, nb, la) == 0;
}
