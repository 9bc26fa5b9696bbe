/* vault.c — the vault file format and its cryptography (format in vault.h): scrypt +
 * AES-256-GCM with OpenSSL 3, the authenticated header, canonical base64. Not the plaintext body,
 * passphrase sources or files (vault_store.c), and not a terminal prompt (the CLI's callback). */
#include "vault.h"
#include "secret.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SALT_LEN 16
#define NONCE_LEN 12
#define TAG_LEN 16
#define KEY_LEN 32
#define HEADER_MAX 160
#define B64_COLS 64

const na_vault_kdf na_vault_kdf_default = {.N = (uint64_t)1 << 15, .r = 8, .p = 3};

bool na_vault_is_vault(const char *data, size_t n)
{
    size_t m = sizeof NA_VAULT_MAGIC - 1;
    return data && n > m && memcmp(data, NA_VAULT_MAGIC, m) == 0 && data[m] == ';';
}

static int format_header(const na_vault_kdf *k, char *out, size_t cap)
{
    return snprintf(out, cap, NA_VAULT_MAGIC ";1;AES256-GCM;scrypt;N=%llu,r=%u,p=%u",
                    (unsigned long long)k->N, k->r, k->p);
}

static int kdf_check(const char *label, const na_vault_kdf *k, na_err *err)
{
    bool pow2 = k->N && (k->N & (k->N - 1)) == 0;
    if (!pow2 || k->N < ((uint64_t)1 << 10) || k->N > ((uint64_t)1 << 20) || k->r < 1 ||
        k->r > 32 || k->p < 1 || k->p > 16 || k->N * k->r * 128 > ((uint64_t)1 << 30))
        return na_err_set(err, NA_E_CONFIG,
                          "vault %s: unsupported scrypt parameters N=%llu,r=%u,p=%u (N must be a "
                          "power of two from 1024 to 1048576, r 1..32, p 1..16, at most 1 GiB)",
                          label, (unsigned long long)k->N, k->r, k->p);
    return 0;
}

static int derive(const char *label, const char *pass, const unsigned char *salt,
                  const na_vault_kdf *k, unsigned char key[KEY_LEN], na_err *err)
{
    uint64_t maxmem = 128 * (uint64_t)k->r * (k->N + k->p + 2) + ((uint64_t)1 << 20);
    if (!EVP_PBE_scrypt(pass, strlen(pass), salt, SALT_LEN, k->N, k->r, k->p, maxmem, key,
                        KEY_LEN))
        return na_err_set(err, NA_E_INTERNAL, "vault %s: scrypt key derivation failed", label);
    return 0;
}

/* AES-256-GCM in one shot. enc: out gets ciphertext and tag_io receives the tag; !enc: tag_io is
 * checked. Returns 0, or -1 when the tag does not verify (or OpenSSL fails). */
static int gcm(bool enc, const unsigned char *key, const unsigned char *nonce, const char *aad,
               const unsigned char *in, size_t n, unsigned char *out, unsigned char *tag_io)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int ok = c != NULL, len = 0;
    ok = ok && EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc ? 1 : 0);
    ok = ok && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL);
    ok = ok && EVP_CipherInit_ex(c, NULL, NULL, key, nonce, enc ? 1 : 0);
    ok = ok && EVP_CipherUpdate(c, NULL, &len, (const unsigned char *)aad, (int)strlen(aad));
    if (ok && n > 0)
        ok = EVP_CipherUpdate(c, out, &len, in, (int)n);
    if (ok && !enc)
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag_io);
    ok = ok && EVP_CipherFinal_ex(c, out + (n > 0 ? len : 0), &len);
    if (ok && enc)
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag_io);
    EVP_CIPHER_CTX_free(c);
    return ok ? 0 : -1;
}

int na_vault_encrypt(const char *label, const char *plain, size_t n, const char *pass,
                     const na_vault_kdf *kdf, na_buf *out, na_err *err)
{
    const na_vault_kdf *k = kdf ? kdf : &na_vault_kdf_default;
    if (kdf_check(label, k, err) < 0)
        return -1;
    if (!pass || !*pass)
        return na_err_set(err, NA_E_USAGE, "vault %s: the passphrase is empty", label);
    if (n > (size_t)16 << 20)
        return na_err_set(err, NA_E_OVERFLOW, "vault %s: plaintext larger than 16 MiB", label);
    char header[HEADER_MAX];
    format_header(k, header, sizeof header);
    size_t raw_len = SALT_LEN + NONCE_LEN + n + TAG_LEN;
    unsigned char *raw = malloc(raw_len);
    size_t b64_cap = 4 * ((raw_len + 2) / 3) + 1;
    char *b64 = malloc(b64_cap);
    unsigned char key[KEY_LEN];
    int rc = -1;
    if (!raw || !b64) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        goto done;
    }
    if (RAND_bytes(raw, SALT_LEN + NONCE_LEN) != 1) {
        na_err_set(err, NA_E_INTERNAL, "vault %s: no random bytes from OpenSSL", label);
        goto done;
    }
    if (derive(label, pass, raw, k, key, err) < 0)
        goto done;
    if (gcm(true, key, raw + SALT_LEN, header, (const unsigned char *)plain, n,
            raw + SALT_LEN + NONCE_LEN, raw + SALT_LEN + NONCE_LEN + n) < 0) {
        na_err_set(err, NA_E_INTERNAL, "vault %s: encryption failed", label);
        goto done;
    }
    int b64_len = EVP_EncodeBlock((unsigned char *)b64, raw, (int)raw_len);
    if (na_buf_printf(out, err, "%s\n", header) < 0)
        goto done;
    for (int i = 0; i < b64_len; i += B64_COLS) {
        int take = b64_len - i < B64_COLS ? b64_len - i : B64_COLS;
        if (na_buf_append(out, b64 + i, (size_t)take, label, err) < 0 ||
            na_buf_append(out, "\n", 1, label, err) < 0)
            goto done;
    }
    rc = 0;
done:
    na_wipe(key, sizeof key);
    if (raw) {
        na_wipe(raw, raw_len);
        free(raw);
    }
    free(b64);
    return rc;
}

/* Parse "$NETAUTO_VAULT;1;AES256-GCM;scrypt;N=..,r=..,p=.." exactly (canonical form only). */
static int parse_header(const char *label, const char *line, na_vault_kdf *k, na_err *err)
{
    const char *f = line + sizeof NA_VAULT_MAGIC; /* past "MAGIC;" */
    if (strncmp(f, "1;", 2) != 0) {
        size_t vl = strcspn(f, ";");
        return na_err_set(err, NA_E_CONFIG,
                          "vault %s: unsupported vault version '%.*s' (this netauto reads 1)",
                          label, (int)(vl > 16 ? 16 : vl), f);
    }
    unsigned long long N = 0;
    unsigned r = 0, p = 0;
    if (sscanf(line, NA_VAULT_MAGIC ";1;AES256-GCM;scrypt;N=%llu,r=%u,p=%u", &N, &r, &p) != 3)
        return na_err_set(err, NA_E_CONFIG, "vault %s: unsupported cipher or KDF in the header",
                          label);
    k->N = N;
    k->r = r;
    k->p = p;
    char canon[HEADER_MAX];
    format_header(k, canon, sizeof canon);
    if (strcmp(canon, line) != 0)
        return na_err_set(err, NA_E_CONFIG, "vault %s: wrong passphrase or corrupted file",
                          label);
    return kdf_check(label, k, err);
}

/* Does raw[0..n) encode to exactly b64[0..m)? Base64 leaves a few bits of the last character
 * unused; a file whose bytes changed there must still count as changed. */
static bool canonical_b64(const unsigned char *raw, size_t n, const char *b64, size_t m)
{
    char *re = malloc(4 * ((n + 2) / 3) + 1);
    if (!re)
        return false;
    int l = EVP_EncodeBlock((unsigned char *)re, raw, (int)n);
    bool same = l >= 0 && (size_t)l == m && memcmp(re, b64, m) == 0;
    free(re);
    return same;
}

int na_vault_decrypt(const char *label, const char *data, size_t n, const char *pass,
                     na_buf *out, na_vault_kdf *kdf_out, na_err *err)
{
    if (!na_vault_is_vault(data, n))
        return na_err_set(err, NA_E_CONFIG,
                          "vault %s: not a netauto vault (encrypt it with: netauto vault encrypt "
                          "%s)", label, label);
    const char *nl = memchr(data, '\n', n);
    size_t hl = nl ? (size_t)(nl - data) : n;
    if (hl > 0 && data[hl - 1] == '\r')
        hl--;
    if (hl >= HEADER_MAX)
        return na_err_set(err, NA_E_CONFIG, "vault %s: wrong passphrase or corrupted file",
                          label);
    char header[HEADER_MAX];
    memcpy(header, data, hl);
    header[hl] = '\0';
    na_vault_kdf k;
    if (parse_header(label, header, &k, err) < 0)
        return -1;
    if (!pass || !*pass)
        return na_err_set(err, NA_E_USAGE, "vault %s: the passphrase is empty", label);

    /* base64 body, whitespace ignored */
    const char *body = nl ? nl + 1 : data + n;
    size_t blen = (size_t)(data + n - body);
    char *b64 = malloc(blen + 1);
    unsigned char *raw = malloc(blen / 4 * 3 + 3);
    unsigned char key[KEY_LEN];
    size_t m = 0, raw_len = 0;
    int rc = -1;
    if (!b64 || !raw) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < blen; i++)
        if (body[i] != '\n' && body[i] != '\r' && body[i] != ' ' && body[i] != '\t')
            b64[m++] = body[i];
    b64[m] = '\0';
    int dl = m % 4 == 0 ? EVP_DecodeBlock(raw, (unsigned char *)b64, (int)m) : -1;
    if (dl >= 0) {
        raw_len = (size_t)dl;
        for (size_t i = m; i > 0 && b64[i - 1] == '=' && raw_len > 0; i--)
            raw_len--; /* EVP_DecodeBlock counts the padding as zero bytes */
    }
    if (dl >= 0 && !canonical_b64(raw, raw_len, b64, m))
        dl = -1; /* unused padding bits changed: still a changed file */
    if (dl < 0 || raw_len < SALT_LEN + NONCE_LEN + TAG_LEN) {
        na_err_set(err, NA_E_CONFIG, "vault %s: wrong passphrase or corrupted file", label);
        goto done;
    }
    size_t clen = raw_len - SALT_LEN - NONCE_LEN - TAG_LEN;
    if (derive(label, pass, raw, &k, key, err) < 0)
        goto done;
    size_t start = out->len;
    unsigned char *plain = malloc(clen + 1);
    if (!plain) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        goto done;
    }
    if (gcm(false, key, raw + SALT_LEN, header, raw + SALT_LEN + NONCE_LEN, clen, plain,
            raw + SALT_LEN + NONCE_LEN + clen) < 0) {
        na_wipe(plain, clen);
        free(plain);
        na_err_set(err, NA_E_CONFIG, "vault %s: wrong passphrase or corrupted file", label);
        goto done;
    }
    rc = na_buf_append(out, plain, clen, label, err);
    na_wipe(plain, clen);
    free(plain);
    if (rc < 0)
        na_buf_truncate(out, start);
    else if (kdf_out)
        *kdf_out = k;
done:
    na_wipe(key, sizeof key);
    if (raw) {
        na_wipe(raw, blen / 4 * 3 + 3);
        free(raw);
    }
    free(b64);
    return rc;
}
