/* seal.c — netautod's request key (see seal.h): load or create state_dir/store.key, derive the
 * sealing and fingerprint keys, AES-256-GCM seal/open, HMAC-SHA256 fingerprints. OpenSSL's
 * primitives only; no key ever leaves this file's structures. Not TLS (tls.c). */
#include "seal.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_LEN 32
#define NONCE_LEN 12
#define TAG_LEN 16

static int read_all(int fd, unsigned char *buf, size_t cap, size_t *n)
{
    *n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + *n, cap - *n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0 || (*n += (size_t)r) == cap)
            return 0;
    }
}

static void derive(const unsigned char *master, const char *label, unsigned char out[32])
{
    unsigned int len = 32;
    HMAC(EVP_sha256(), master, KEY_LEN, (const unsigned char *)label, strlen(label), out, &len);
}

int nd_seal_load(nd_seal *k, const char *path, na_err *err)
{
    unsigned char master[KEY_LEN + 1];
    size_t n = 0;
    memset(k, 0, sizeof *k);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        if (RAND_bytes(master, KEY_LEN) != 1)
            return na_err_set(err, NA_E_IO, "%s: no random bytes for a new key", path);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) {
            OPENSSL_cleanse(master, sizeof master);
            return na_err_set(err, NA_E_IO, "%s: cannot create: %s", path, strerror(errno));
        }
        ssize_t w = write(fd, master, KEY_LEN);
        int sync = fsync(fd);
        close(fd);
        if (w != KEY_LEN || sync != 0) {
            OPENSSL_cleanse(master, sizeof master);
            unlink(path);
            return na_err_set(err, NA_E_IO, "%s: cannot write the new key", path);
        }
        n = KEY_LEN;
    } else if (fd < 0) {
        return na_err_set(err, NA_E_IO, "%s: %s", path, strerror(errno));
    } else {
        int rc = read_all(fd, master, sizeof master, &n);
        close(fd);
        if (rc < 0 || n != KEY_LEN) {
            OPENSSL_cleanse(master, sizeof master);
            return na_err_set(err, NA_E_CONFIG,
                              "%s: not a netautod key (%zu bytes, expected %d); it seals the "
                              "secret vars of unfinished jobs: restore it, or remove it if no "
                              "job is unfinished",
                              path, n, KEY_LEN);
        }
    }
    derive(master, "netautod store.key: seal v1", k->enc);
    derive(master, "netautod store.key: fingerprint v1", k->mac);
    OPENSSL_cleanse(master, sizeof master);
    k->loaded = 1;
    return 0;
}

void nd_seal_wipe(nd_seal *k) { OPENSSL_cleanse(k, sizeof *k); }

int nd_seal_data(const nd_seal *k, const void *plain, size_t n, unsigned char **out,
                 size_t *out_len, na_err *err)
{
    *out = NULL;
    *out_len = 0;
    if (!k->loaded || n > (size_t)1 << 30)
        return na_err_set(err, NA_E_INTERNAL, "no key to seal with");
    unsigned char *b = malloc(NONCE_LEN + n + TAG_LEN);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len = 0, fin = 0, ok = b && c && RAND_bytes(b, NONCE_LEN) == 1 &&
                               EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, k->enc, b) == 1 &&
                               EVP_EncryptUpdate(c, b + NONCE_LEN, &len, plain, (int)n) == 1 &&
                               EVP_EncryptFinal_ex(c, b + NONCE_LEN + len, &fin) == 1 &&
                               EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN,
                                                   b + NONCE_LEN + len + fin) == 1;
    EVP_CIPHER_CTX_free(c);
    if (!ok) {
        free(b);
        return na_err_set(err, NA_E_NOMEM, "cannot seal (out of memory?)");
    }
    *out = b;
    *out_len = NONCE_LEN + (size_t)len + (size_t)fin + TAG_LEN;
    return 0;
}

int nd_seal_open(const nd_seal *k, const unsigned char *in, size_t n, char **plain,
                 size_t *plain_len, na_err *err)
{
    *plain = NULL;
    *plain_len = 0;
    if (!k->loaded || n < NONCE_LEN + TAG_LEN || n > ((size_t)1 << 30))
        return na_err_set(err, NA_E_CONFIG, "sealed data too short, or no key");
    size_t clen = n - NONCE_LEN - TAG_LEN;
    char *p = malloc(clen + 1);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len = 0, fin = 0;
    if (!p || !c) {
        free(p);
        EVP_CIPHER_CTX_free(c);
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    }
    int ok = EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, k->enc, in) == 1 &&
             EVP_DecryptUpdate(c, (unsigned char *)p, &len, in + NONCE_LEN, (int)clen) == 1 &&
             EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN,
                                 (void *)(in + NONCE_LEN + clen)) == 1 &&
             EVP_DecryptFinal_ex(c, (unsigned char *)p + len, &fin) == 1;
    EVP_CIPHER_CTX_free(c);
    if (!ok) {
        OPENSSL_cleanse(p, clen + 1);
        free(p);
        return na_err_set(err, NA_E_CONFIG, "sealed data does not open with this netautod's "
                                            "key (store.key replaced?)");
    }
    p[len + fin] = '\0';
    *plain = p;
    *plain_len = (size_t)(len + fin);
    return 0;
}

void nd_seal_fingerprint(const nd_seal *k, const void *data, size_t n, char hex[65])
{
    unsigned char md[32];
    unsigned int len = sizeof md;
    HMAC(EVP_sha256(), k->mac, sizeof k->mac, data, n, md, &len);
    for (unsigned i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
}
