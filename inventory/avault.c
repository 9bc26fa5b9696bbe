/* avault.c — Ansible Vault 1.1/1.2 (format in avault.h): the envelope, PBKDF2-HMAC-SHA256 key
 * derivation, HMAC-SHA256 check, AES-256-CTR and PKCS#7 with OpenSSL, and the key ring of vault
 * ids whose passwords are read on first use. Not netauto's own vault (vault.c) and not where
 * encrypted data sits in an inventory (inv_*.c). */
#include "avault.h"
#include "secret.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define KEY_LEN 32
#define IV_LEN 16
#define SALT_LEN 32
#define ITERATIONS 10000
#define MAX_DATA ((size_t)64 << 20)

/* ---- the key ring -------------------------------------------------------------------------- */

typedef struct akey {
    char *label;
    char *source;   /* file, script, "prompt", or NULL for a literal password */
    char *pass;     /* secret once read */
} akey;

struct na_avault_keys {
    akey *k;
    size_t n, cap;
    na_vault_prompt_fn prompt;
    void *prompt_ud;
};

na_avault_keys *na_avault_keys_new(na_vault_prompt_fn prompt, void *prompt_ud)
{
    na_avault_keys *k = calloc(1, sizeof *k);
    if (k) {
        k->prompt = prompt;
        k->prompt_ud = prompt_ud;
    }
    return k;
}

void na_avault_keys_free(na_avault_keys *k)
{
    if (!k)
        return;
    for (size_t i = 0; i < k->n; i++) {
        free(k->k[i].label);
        free(k->k[i].source);
        na_secret_free(k->k[i].pass);
    }
    free(k->k);
    free(k);
}

size_t na_avault_keys_count(const na_avault_keys *k) { return k ? k->n : 0; }

static akey *add(na_avault_keys *k, const char *label, na_err *err)
{
    if (k->n == k->cap) {
        size_t nc = k->cap ? k->cap * 2 : 4;
        akey *a = realloc(k->k, nc * sizeof *a);
        if (!a) {
            na_err_set(err, NA_E_NOMEM, "out of memory");
            return NULL;
        }
        k->k = a;
        k->cap = nc;
    }
    akey *e = &k->k[k->n];
    memset(e, 0, sizeof *e);
    if (!(e->label = strdup(label))) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    k->n++;
    return e;
}

int na_avault_keys_add_id(na_avault_keys *k, const char *vault_id, na_err *err)
{
    const char *at = strchr(vault_id, '@');
    char label[256] = "default";
    const char *src = vault_id;
    if (at) {
        size_t l = (size_t)(at - vault_id);
        if (l == 0 || l >= sizeof label)
            return na_err_set(err, NA_E_USAGE, "--vault-id '%s': expected LABEL@SOURCE",
                              vault_id);
        memcpy(label, vault_id, l);
        label[l] = '\0';
        src = at + 1;
    }
    if (!*src)
        return na_err_set(err, NA_E_USAGE, "--vault-id '%s': no password source", vault_id);
    if (strcmp(src, "prompt") != 0) {
        struct stat st;
        if (stat(src, &st) < 0 || !S_ISREG(st.st_mode))
            return na_err_set(err, NA_E_USAGE, "--vault-id '%s': the vault password file %s "
                              "was not found", vault_id, src);
    }
    akey *e = add(k, label, err);
    if (!e)
        return -1;
    if (!(e->source = strdup(src)))
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    return 0;
}

int na_avault_keys_add_pass(na_avault_keys *k, const char *label, const char *pass, na_err *err)
{
    akey *e = add(k, label ? label : "default", err);
    if (!e)
        return -1;
    if (!(e->pass = na_secret_dup(pass)))
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    return 0;
}

/* The password of key e, read from its source on first use. */
static const char *key_pass(na_avault_keys *k, akey *e, const char *what, na_err *err)
{
    if (e->pass)
        return e->pass;
    char label[600];
    snprintf(label, sizeof label, "id '%s' (for %s)", e->label, what);
    if (!strcmp(e->source, "prompt")) {
        if (!k->prompt) {
            na_err_set(err, NA_E_USAGE, "Ansible Vault %s: no terminal to ask for the vault "
                       "password on", label);
            return NULL;
        }
        char buf[NA_VAULT_PASS_MAX], msg[700];
        snprintf(msg, sizeof msg, "Vault password (%s): ", e->label);
        na_err perr = NA_ERR_INIT;
        if (k->prompt(msg, buf, sizeof buf, k->prompt_ud, &perr) < 0) {
            na_wipe(buf, sizeof buf);
            if (perr.code == NA_E_USAGE) /* no terminal */
                na_err_set(err, NA_E_USAGE, "%s is encrypted with Ansible Vault: give its "
                           "password with --vault-id, --vault-password-file or "
                           "ANSIBLE_VAULT_PASSWORD_FILE (there is no terminal to ask on)", what);
            else
                na_err_set(err, perr.code, "%s", perr.msg);
            return NULL;
        }
        if (!*buf) {
            na_err_set(err, NA_E_USAGE, "Ansible Vault %s: the password is empty", label);
            return NULL;
        }
        e->pass = na_secret_dup(buf);
        na_wipe(buf, sizeof buf);
        if (!e->pass)
            na_err_set(err, NA_E_NOMEM, "out of memory");
        return e->pass;
    }
    e->pass = na_vault_pass_from_file(label, e->source, e->label, err);
    return e->pass;
}

/* ---- the envelope ---------------------------------------------------------------------------- */

bool na_avault_is_vault(const char *data, size_t n)
{
    size_t i = 0;
    while (i < n && isspace((unsigned char)data[i]))
        i++;
    size_t m = sizeof NA_AVAULT_MAGIC - 1;
    return n - i > m && memcmp(data + i, NA_AVAULT_MAGIC, m) == 0 && data[i + m] == ';';
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Hex (white space ignored) -> bytes; n bytes written to out (room for len/2). -1 if bad. */
static int unhex(const char *s, size_t len, unsigned char *out, size_t *n)
{
    size_t o = 0;
    int hi = -1;
    for (size_t i = 0; i < len; i++) {
        if (isspace((unsigned char)s[i]))
            continue;
        int v = hexval((unsigned char)s[i]);
        if (v < 0)
            return -1;
        if (hi < 0) {
            hi = v;
        } else {
            out[o++] = (unsigned char)(hi << 4 | v);
            hi = -1;
        }
    }
    if (hi >= 0)
        return -1;
    *n = o;
    return 0;
}

typedef struct envelope {
    char version[8];
    char vault_id[256];
    unsigned char *raw;     /* the outer hex decoded: "salthex\nhmachex\ncthex" */
    size_t raw_len;
    unsigned char salt[256];
    size_t salt_len;
    unsigned char hmac[32];
    unsigned char *ct;      /* into a separate allocation */
    size_t ct_len;
} envelope;

static void envelope_free(envelope *e)
{
    if (e->raw) {
        na_wipe(e->raw, e->raw_len);
        free(e->raw);
    }
    free(e->ct);
}

static int bad_format(const char *label, const char *why, na_err *err)
{
    return na_err_set(err, NA_E_CONFIG, "%s: Ansible Vault format error: %s", label, why);
}

static int parse_envelope(const char *label, const char *data, size_t n, envelope *e,
                          na_err *err)
{
    memset(e, 0, sizeof *e);
    while (n && isspace((unsigned char)*data)) {
        data++;
        n--;
    }
    const char *nl = memchr(data, '\n', n);
    size_t hl = nl ? (size_t)(nl - data) : n;
    char header[512];
    if (hl >= sizeof header)
        return bad_format(label, "the header line is too long", err);
    memcpy(header, data, hl);
    header[hl] = '\0';
    /* fields separated by ';', each stripped */
    char *f[5] = {0};
    int nf = 0;
    for (char *p = header; nf < 5;) {
        char *semi = strchr(p, ';');
        if (semi)
            *semi = '\0';
        while (isspace((unsigned char)*p))
            p++;
        char *end = p + strlen(p);
        while (end > p && isspace((unsigned char)end[-1]))
            *--end = '\0';
        f[nf++] = p;
        if (!semi)
            break;
        p = semi + 1;
    }
    if (nf < 3 || strcmp(f[0], NA_AVAULT_MAGIC) != 0)
        return bad_format(label, "the header is not $ANSIBLE_VAULT;VERSION;CIPHER", err);
    if (strcmp(f[1], "1.1") != 0 && strcmp(f[1], "1.2") != 0)
        return na_err_set(err, NA_E_CONFIG, "%s: Ansible Vault version '%.20s' is not supported "
                          "(netauto reads 1.1 and 1.2; rekey it with a current ansible-vault)",
                          label, f[1]);
    if (strcmp(f[2], "AES256") != 0)
        return na_err_set(err, NA_E_CONFIG, "%s: Ansible Vault cipher '%.40s' is not supported "
                          "(only AES256)", label, f[2]);
    snprintf(e->version, sizeof e->version, "%s", f[1]);
    if (nf >= 4)
        snprintf(e->vault_id, sizeof e->vault_id, "%s", f[3]);
    const char *body = nl ? nl + 1 : data + n;
    size_t blen = (size_t)(data + n - body);
    if (blen > MAX_DATA)
        return na_err_set(err, NA_E_OVERFLOW, "%s: Ansible Vault data larger than %zu bytes",
                          label, MAX_DATA);
    e->raw = malloc(blen / 2 + 1);
    if (!e->raw)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    if (unhex(body, blen, e->raw, &e->raw_len) < 0)
        return bad_format(label, "the data is not hexadecimal", err);
    /* salt hex \n hmac hex \n ciphertext hex */
    const char *r = (const char *)e->raw;
    const char *n1 = memchr(r, '\n', e->raw_len);
    const char *n2 = n1 ? memchr(n1 + 1, '\n', e->raw_len - (size_t)(n1 + 1 - r)) : NULL;
    if (!n1 || !n2)
        return bad_format(label, "expected salt, HMAC and ciphertext", err);
    size_t sl = (size_t)(n1 - r), hl2 = (size_t)(n2 - n1 - 1);
    size_t cl = e->raw_len - (size_t)(n2 + 1 - r);
    if (sl / 2 > sizeof e->salt || sl == 0 || unhex(r, sl, e->salt, &e->salt_len) < 0)
        return bad_format(label, "bad salt", err);
    size_t hmac_n = 0;
    if (hl2 != 64 || unhex(n1 + 1, hl2, e->hmac, &hmac_n) < 0 || hmac_n != 32)
        return bad_format(label, "bad HMAC", err);
    e->ct = malloc(cl / 2 + 1);
    if (!e->ct)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    if (unhex(n2 + 1, cl, e->ct, &e->ct_len) < 0 || e->ct_len == 0 || e->ct_len % 16)
        return bad_format(label, "bad ciphertext", err);
    return 0;
}

/* ---- the cipher -------------------------------------------------------------------------------- */

static int derive(const char *pass, const unsigned char *salt, size_t salt_len,
                  unsigned char dk[2 * KEY_LEN + IV_LEN])
{
    return PKCS5_PBKDF2_HMAC(pass, (int)strlen(pass), salt, (int)salt_len, ITERATIONS,
                             EVP_sha256(), 2 * KEY_LEN + IV_LEN, dk) == 1 ? 0 : -1;
}

static int ctr(const unsigned char *key, const unsigned char *iv, const unsigned char *in,
               size_t n, unsigned char *out)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len = 0, fin = 0;
    int ok = c && EVP_EncryptInit_ex(c, EVP_aes_256_ctr(), NULL, key, iv) == 1 &&
             EVP_EncryptUpdate(c, out, &len, in, (int)n) == 1 &&
             EVP_EncryptFinal_ex(c, out + len, &fin) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok ? 0 : -1;
}

/* 1: the password fits and out has the plaintext; 0: it does not; -1: error. */
static int try_key(const envelope *e, const char *pass, na_buf *out, const char *label,
                   na_err *err)
{
    unsigned char dk[2 * KEY_LEN + IV_LEN], mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    int rc = 0;
    if (derive(pass, e->salt, e->salt_len, dk) < 0)
        return na_err_set(err, NA_E_INTERNAL, "%s: key derivation failed", label);
    if (!HMAC(EVP_sha256(), dk + KEY_LEN, KEY_LEN, e->ct, e->ct_len, mac, &maclen) ||
        maclen != 32) {
        rc = na_err_set(err, NA_E_INTERNAL, "%s: HMAC failed", label);
    } else if (CRYPTO_memcmp(mac, e->hmac, 32) == 0) {
        unsigned char *plain = malloc(e->ct_len);
        if (!plain) {
            rc = na_err_set(err, NA_E_NOMEM, "out of memory");
        } else if (ctr(dk, dk + 2 * KEY_LEN, e->ct, e->ct_len, plain) < 0) {
            rc = na_err_set(err, NA_E_INTERNAL, "%s: AES-256-CTR failed", label);
        } else {
            unsigned pad = plain[e->ct_len - 1];
            bool good = pad >= 1 && pad <= 16;
            for (unsigned i = 0; good && i < pad; i++)
                good = plain[e->ct_len - 1 - i] == pad;
            if (!good)
                rc = na_err_set(err, NA_E_CONFIG, "%s: Ansible Vault format error: bad "
                                "padding", label);
            else if (na_buf_append(out, plain, e->ct_len - pad, label, err) < 0)
                rc = -1;
            else
                rc = 1;
        }
        if (plain) {
            na_wipe(plain, e->ct_len);
            free(plain);
        }
    }
    na_wipe(dk, sizeof dk);
    na_wipe(mac, sizeof mac);
    return rc;
}

int na_avault_decrypt(na_avault_keys *k, const char *label, const char *data, size_t n,
                      na_buf *out, na_err *err)
{
    envelope e;
    int rc = parse_envelope(label, data, n, &e, err);
    if (rc < 0) {
        envelope_free(&e);
        return -1;
    }
    if (!k || k->n == 0) {
        envelope_free(&e);
        return na_err_set(err, NA_E_USAGE, "%s is encrypted with Ansible Vault%s%s%s: give its "
                          "password with --vault-id, --vault-password-file or "
                          "ANSIBLE_VAULT_PASSWORD_FILE", label, *e.vault_id ? " (vault id '" : "",
                          e.vault_id, *e.vault_id ? "')" : "");
    }
    /* the key whose label matches the vault id first, then the others, in order */
    size_t tried = 0;
    rc = 0;
    for (int pass = 0; pass < 2 && rc == 0; pass++) {
        for (size_t i = 0; i < k->n && rc == 0; i++) {
            bool match = *e.vault_id && !strcmp(k->k[i].label, e.vault_id);
            if (pass == 0 ? !match : match)
                continue;
            const char *pw = key_pass(k, &k->k[i], label, err);
            if (!pw) {
                rc = -1;
                break;
            }
            tried++;
            rc = try_key(&e, pw, out, label, err);
        }
    }
    envelope_free(&e);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return na_err_set(err, NA_E_CONFIG, "%s: wrong Ansible Vault password (%zu password%s "
                          "tried%s%s%s)", label, tried, tried == 1 ? "" : "s",
                          *e.vault_id ? ", vault id '" : "", e.vault_id,
                          *e.vault_id ? "'" : "");
    return 0;
}

/* ---- encryption ------------------------------------------------------------------------------ */

static int hex_append(na_buf *b, const unsigned char *p, size_t n, na_err *err)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        char two[2] = {digits[p[i] >> 4], digits[p[i] & 15]};
        if (na_buf_append(b, two, 2, "Ansible Vault data", err) < 0)
            return -1;
    }
    return 0;
}

int na_avault_encrypt(const char *plain, size_t n, const char *pass, const char *vault_id,
                      na_buf *out, na_err *err)
{
    if (!pass || !*pass)
        return na_err_set(err, NA_E_USAGE, "the vault password is empty");
    if (n > MAX_DATA)
        return na_err_set(err, NA_E_OVERFLOW, "plaintext larger than %zu bytes", MAX_DATA);
    unsigned char salt[SALT_LEN], dk[2 * KEY_LEN + IV_LEN], mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    size_t pad = 16 - n % 16, cl = n + pad;
    unsigned char *buf = malloc(cl), *ct = malloc(cl);
    na_buf inner;
    na_buf_init(&inner, 4 * MAX_DATA);
    int rc = -1;
    if (!buf || !ct) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        goto done;
    }
    if (RAND_bytes(salt, sizeof salt) != 1 || derive(pass, salt, sizeof salt, dk) < 0) {
        na_err_set(err, NA_E_INTERNAL, "no random bytes or key derivation failed");
        goto done;
    }
    memcpy(buf, plain, n);
    memset(buf + n, (int)pad, pad);
    if (ctr(dk, dk + 2 * KEY_LEN, buf, cl, ct) < 0 ||
        !HMAC(EVP_sha256(), dk + KEY_LEN, KEY_LEN, ct, cl, mac, &maclen)) {
        na_err_set(err, NA_E_INTERNAL, "encryption failed");
        goto done;
    }
    if (hex_append(&inner, salt, sizeof salt, err) < 0 || na_buf_puts(&inner, "\n", err) < 0 ||
        hex_append(&inner, mac, maclen, err) < 0 || na_buf_puts(&inner, "\n", err) < 0 ||
        hex_append(&inner, ct, cl, err) < 0)
        goto done;
    bool v12 = vault_id && *vault_id && strcmp(vault_id, "default") != 0;
    if (na_buf_printf(out, err, "%s;%s;AES256%s%s\n", NA_AVAULT_MAGIC, v12 ? "1.2" : "1.1",
                      v12 ? ";" : "", v12 ? vault_id : "") < 0)
        goto done;
    na_buf hex;
    na_buf_init(&hex, 8 * MAX_DATA);
    if (hex_append(&hex, (const unsigned char *)inner.data, inner.len, err) < 0) {
        na_buf_free(&hex);
        goto done;
    }
    rc = 0;
    for (size_t i = 0; rc == 0 && i < hex.len; i += 80) {
        size_t take = hex.len - i < 80 ? hex.len - i : 80;
        if (na_buf_append(out, hex.data + i, take, "Ansible Vault data", err) < 0 ||
            na_buf_puts(out, "\n", err) < 0)
            rc = -1;
    }
    na_buf_free(&hex);
done:
    na_wipe(dk, sizeof dk);
    if (buf) {
        na_wipe(buf, cl);
        free(buf);
    }
    free(ct);
    na_buf_free(&inner);
    return rc;
}
