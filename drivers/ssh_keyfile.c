/* ssh_keyfile.c — what a private key file is, without decrypting it: its key type, its public
 * key (from PATH.pub, or from the unencrypted header of an OpenSSH-format key) and whether it is
 * protected by a passphrase; so that authentication can say "key file X is protected by a
 * passphrase and no key_passphrase is set" or "the server refused the RSA key X (SHA256:...)",
 * and IdentitiesOnly can tell which agent keys are configured ones. Not a key loader: libssh2
 * reads and uses the keys. */
#include "knownhosts.h"
#include "ssh_int.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PEEK_MAX (64 << 10)

static char *slurp(const char *path, size_t max, int *err_no)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        *err_no = errno;
        return NULL;
    }
    char *b = malloc(max + 1);
    size_t n = b ? fread(b, 1, max, f) : 0;
    fclose(f);
    if (!b) {
        *err_no = ENOMEM;
        return NULL;
    }
    b[n] = '\0';
    return b;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* One SSH string at *off; returns its start and length, or NULL when out of bounds. */
static const unsigned char *sshstr(const unsigned char *b, size_t n, size_t *off, size_t *len)
{
    if (*off + 4 > n)
        return NULL;
    uint32_t l = be32(b + *off);
    if (l > n - *off - 4)
        return NULL;
    const unsigned char *s = b + *off + 4;
    *off += 4 + l;
    *len = l;
    return s;
}

static void set_blob(na_ssh_keyinfo *k, const unsigned char *blob, size_t len)
{
    if (len > sizeof k->blob)
        return;
    memcpy(k->blob, blob, len);
    k->blob_len = len;
    na_kh_blob_type(blob, len, k->type, sizeof k->type);
    na_kh_fingerprint(blob, len, k->fp, sizeof k->fp);
}

/* The body of "-----BEGIN OPENSSH PRIVATE KEY-----": cipher name and public key. */
static void openssh_format(na_ssh_keyinfo *k, const char *text)
{
    const char *b = strstr(text, "-----BEGIN OPENSSH PRIVATE KEY-----");
    const char *e = b ? strstr(b, "-----END OPENSSH PRIVATE KEY-----") : NULL;
    if (!e)
        return;
    b += 35;
    size_t cap = (size_t)(e - b);
    char *clean = malloc(cap + 1);
    unsigned char *raw = malloc(cap + 1);
    if (!clean || !raw) {
        free(clean);
        free(raw);
        return;
    }
    size_t n = 0;
    for (const char *p = b; p < e; p++)
        if (*p != '\n' && *p != '\r' && *p != ' ' && *p != '\t')
            clean[n++] = *p;
    int r = n % 4 == 0 ? EVP_DecodeBlock(raw, (unsigned char *)clean, (int)n) : -1;
    if (r > 15 && !memcmp(raw, "openssh-key-v1", 15)) {
        size_t off = 15, len;
        const unsigned char *cipher = sshstr(raw, (size_t)r, &off, &len);
        if (cipher) {
            k->encrypted = !(len == 4 && !memcmp(cipher, "none", 4));
            size_t kl, ol;
            if (sshstr(raw, (size_t)r, &off, &kl) && sshstr(raw, (size_t)r, &off, &ol) &&
                off + 4 <= (size_t)r && be32(raw + off) >= 1) {
                off += 4;
                const unsigned char *pub = sshstr(raw, (size_t)r, &off, &len);
                if (pub && !k->blob_len)
                    set_blob(k, pub, len);
            }
            k->known_format = true;
        }
    }
    free(clean);
    free(raw);
}

/* The .pub file next to it: "TYPE BASE64 [comment]". */
static void pub_file(na_ssh_keyinfo *k, const char *path)
{
    char pub[4200];
    if (snprintf(pub, sizeof pub, "%s.pub", path) >= (int)sizeof pub)
        return;
    int e;
    char *text = slurp(pub, 16384, &e);
    if (!text)
        return;
    char type[64];
    int at = 0;
    if (sscanf(text, "%63s %n", type, &at) == 1 && at > 0) {
        size_t bl = strcspn(text + at, " \t\r\n");
        unsigned char *raw = malloc(bl + 1);
        int r = raw && bl % 4 == 0 ? EVP_DecodeBlock(raw, (unsigned char *)text + at, (int)bl)
                                   : -1;
        if (r > 0) {
            size_t len = (size_t)r;
            for (size_t i = bl; i > 0 && text[at + i - 1] == '='; i--)
                len--;
            set_blob(k, raw, len);
        }
        free(raw);
    }
    free(text);
}

int na_ssh_keyfile_info(const char *path, na_ssh_keyinfo *k)
{
    memset(k, 0, sizeof *k);
    int e = 0;
    char *text = slurp(path, PEEK_MAX, &e);
    if (!text)
        return k->err_no = e, -1;
    pub_file(k, path);
    if (strstr(text, "-----BEGIN OPENSSH PRIVATE KEY-----")) {
        openssh_format(k, text);
    } else if (strstr(text, "-----BEGIN RSA PRIVATE KEY-----")) {
        k->known_format = true;
        k->encrypted = strstr(text, "Proc-Type: 4,ENCRYPTED") != NULL;
        if (!k->type[0])
            snprintf(k->type, sizeof k->type, "ssh-rsa");
    } else if (strstr(text, "-----BEGIN EC PRIVATE KEY-----")) {
        k->known_format = true;
        k->encrypted = strstr(text, "Proc-Type: 4,ENCRYPTED") != NULL;
        if (!k->type[0])
            snprintf(k->type, sizeof k->type, "ecdsa");
    } else if (strstr(text, "-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
        k->known_format = true;
        k->encrypted = true;
    } else if (strstr(text, "-----BEGIN PRIVATE KEY-----") ||
               strstr(text, "-----BEGIN DSA PRIVATE KEY-----")) {
        k->known_format = true;
    }
    free(text);
    return 0;
}
