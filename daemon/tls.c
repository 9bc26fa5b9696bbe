/* tls.c — server certificate handling for netautod (see tls.h). The generated certificate is a
 * self-signed LEAF (basicConstraints CA:FALSE, keyUsage digitalSignature only, extendedKeyUsage
 * serverAuth): trusting it (`--cacert cert.pem`, a pinned fingerprint) trusts this certificate
 * and nothing its key could sign. Valid 10 years, with subjectAltNames localhost, 127.0.0.1, ::1
 * and this host's name. A certificate an older netautod generated as a CA is replaced. The
 * server offers TLS 1.2+ with AEAD cipher suites only (AES-GCM, ChaCha20-Poly1305) and forward
 * secrecy (ECDHE). Not a PKI. */
#include "tls.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int ossl_err(na_err *err, const char *what)
{
    unsigned long e = ERR_get_error();
    char buf[256] = "";
    if (e)
        ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    return na_err_set(err, NA_E_IO, "%s%s%s", what, *buf ? ": " : "", buf);
}

static int add_ext(X509 *x, int nid, const char *value)
{
    X509V3_CTX c;
    X509V3_set_ctx_nodb(&c);
    X509V3_set_ctx(&c, x, x, NULL, NULL, 0);
    X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, &c, nid, value);
    if (!ex)
        return -1;
    int ok = X509_add_ext(x, ex, -1);
    X509_EXTENSION_free(ex);
    return ok ? 0 : -1;
}

static int generate(const char *cert_path, const char *key_path, na_err *err)
{
    int rc = -1;
    EVP_PKEY *pk = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    FILE *f = NULL;
    if (!pk || !x) {
        ossl_err(err, "cannot generate an EC P-256 key");
        goto out;
    }
    unsigned char serial[16];
    RAND_bytes(serial, sizeof serial);
    serial[0] &= 0x7f;
    BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
    X509_set_version(x, 2);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 10L * 365 * 24 * 3600);
    X509_set_pubkey(x, pk);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"netautod", -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"netautod", -1, -1,
                               0);
    X509_set_issuer_name(x, name);
    char host[256] = "", san[600];
    if (gethostname(host, sizeof host - 1) != 0 || !*host || strchr(host, ','))
        strcpy(host, "localhost");
    snprintf(san, sizeof san, "DNS:localhost,IP:127.0.0.1,IP:::1%s%s",
             strcmp(host, "localhost") ? ",DNS:" : "", strcmp(host, "localhost") ? host : "");
    if (add_ext(x, NID_basic_constraints, "critical,CA:FALSE") < 0 ||
        add_ext(x, NID_key_usage, "critical,digitalSignature") < 0 ||
        add_ext(x, NID_ext_key_usage, "serverAuth") < 0 ||
        add_ext(x, NID_subject_key_identifier, "hash") < 0 ||
        add_ext(x, NID_subject_alt_name, san) < 0) {
        ossl_err(err, "cannot build the certificate extensions");
        goto out;
    }
    if (!X509_sign(x, pk, EVP_sha256())) {
        ossl_err(err, "cannot sign the certificate");
        goto out;
    }
    int fd = open(key_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        na_err_set(err, NA_E_IO, "%s: cannot create: %s", key_path, strerror(errno));
        goto out;
    }
    f = fdopen(fd, "w");
    if (!f || !PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL) || fflush(f) || fsync(fd)) {
        if (!f)
            close(fd);
        unlink(key_path);
        ossl_err(err, "cannot write the TLS key");
        goto out;
    }
    fclose(f);
    f = NULL;
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", cert_path);
    f = fopen(tmp, "w");
    if (!f || !PEM_write_X509(f, x) || fflush(f) || fsync(fileno(f))) {
        unlink(key_path);
        ossl_err(err, "cannot write the TLS certificate");
        goto out;
    }
    fclose(f);
    f = NULL;
    if (rename(tmp, cert_path) != 0) {
        unlink(key_path);
        na_err_set(err, NA_E_IO, "%s: cannot rename: %s", cert_path, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (f)
        fclose(f);
    X509_free(x);
    EVP_PKEY_free(pk);
    return rc;
}

/* Is the certificate at path a CA (what older netautods generated)? */
static bool generated_ca(const char *path)
{
    FILE *f = fopen(path, "r");
    X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    bool ca = x && X509_check_ca(x) > 0;
    X509_free(x);
    ERR_clear_error();
    return ca;
}

int nd_tls_ensure(const char *cert, const char *key, const char *state_dir, char **cert_out,
                  char **key_out, bool *generated, na_err *err)
{
    *generated = false;
    *cert_out = *key_out = NULL;
    if (cert && key) {
        *cert_out = strdup(cert);
        *key_out = strdup(key);
    } else {
        size_t n = strlen(state_dir) + 32;
        *cert_out = malloc(n);
        *key_out = malloc(n);
        if (*cert_out && *key_out) {
            snprintf(*cert_out, n, "%s/tls-cert.pem", state_dir);
            snprintf(*key_out, n, "%s/tls-key.pem", state_dir);
        }
    }
    if (!*cert_out || !*key_out) {
        free(*cert_out);
        free(*key_out);
        *cert_out = *key_out = NULL;
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    }
    if (cert && key)
        return 0;
    struct stat st;
    int have_cert = stat(*cert_out, &st) == 0, have_key = stat(*key_out, &st) == 0;
    if (have_cert && have_key && generated_ca(*cert_out)) {
        /* an older netautod made its certificate a CA: whoever trusted it trusted anything its
         * key signs. Replace the pair (clients pinning the old fingerprint must update it). */
        fprintf(stderr, "netautod: %s was generated as a CA certificate by an older netautod; "
                        "replacing it with a leaf certificate (a new fingerprint)\n",
                *cert_out);
        if (unlink(*cert_out) != 0 || unlink(*key_out) != 0) {
            na_err_set(err, NA_E_IO, "%s: cannot replace: %s", *cert_out, strerror(errno));
            goto fail;
        }
        have_cert = have_key = 0;
    }
    if (have_cert && have_key)
        return 0;
    if (have_key != have_cert) {
        na_err_set(err, NA_E_CONFIG,
                   "%s exists but %s does not: remove the leftover file to generate a new pair",
                   have_cert ? *cert_out : *key_out, have_cert ? *key_out : *cert_out);
        goto fail;
    }
    if (mkdir(state_dir, 0700) != 0 && errno != EEXIST) {
        na_err_set(err, NA_E_IO, "%s: cannot create: %s", state_dir, strerror(errno));
        goto fail;
    }
    if (generate(*cert_out, *key_out, err) < 0)
        goto fail;
    *generated = true;
    return 0;
fail:
    free(*cert_out);
    free(*key_out);
    *cert_out = *key_out = NULL;
    return -1;
}

SSL_CTX *nd_tls_server_ctx(const char *cert, const char *key, na_err *err)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        ossl_err(err, "cannot create a TLS context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    /* AEAD only, with forward secrecy: no CBC, no RSA key exchange, no SHA-1 MACs */
    if (SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL") != 1 ||
        SSL_CTX_set_ciphersuites(ctx, "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:"
                                      "TLS_AES_128_GCM_SHA256") != 1) {
        ossl_err(err, "cannot set the TLS cipher suites");
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
        ossl_err(err, "cannot load the TLS certificate");
        na_err_prefix(err, "%s: ", cert);
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        ossl_err(err, "cannot load the TLS key (or it does not match the certificate)");
        na_err_prefix(err, "%s: ", key);
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}
