/* tlsfp.c — certificate fingerprints (see tlsfp.h): SHA-256 over the DER encoding, read from a
 * PEM file or an X509 in memory, and a comparison that accepts the usual spellings. Not a
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

int na_tls_fingerprint_file(const char *cert, char *out, size_t cap, na_err *err)
{
    FILE *f = fopen(cert, "r");
    if (!f)
        return na_err_set(err, NA_E_IO, "%s: cannot open: %s", cert, strerror(errno));
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (!x) {
        unsigned long e = ERR_get_error();
        char buf[256] = "";
        if (e)
            ERR_error_string_n(e, buf, sizeof buf);
        ERR_clear_error();
        return na_err_set(err, NA_E_IO, "%s: not a PEM certificate%s%s", cert, *buf ? ": " : "",
                          buf);
    }
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
