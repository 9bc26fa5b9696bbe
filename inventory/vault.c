/* vault.c — the encrypted secrets file (format in vault.h): scrypt + AES-256-GCM with OpenSSL 3,
 * the NAME: secret body parsed with libyaml (its buffers wiped afterwards), passphrase sources
 * and atomic 0600 file replacement. Not a terminal prompt: the CLI supplies one as a callback. */
#include "vault.h"
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

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

/* ---- the plaintext body: NAME: secret ------------------------------------------------------ */

struct na_vault {
    char **names;
    char **values; /* na_secret_dup */
    size_t n, cap;
};

static void wipe_parser(yaml_parser_t *p)
{
    if (p->buffer.start)
        na_wipe(p->buffer.start, (size_t)(p->buffer.end - p->buffer.start));
    if (p->raw_buffer.start)
        na_wipe(p->raw_buffer.start, (size_t)(p->raw_buffer.end - p->raw_buffer.start));
}

static void wipe_doc(yaml_document_t *d)
{
    for (yaml_node_t *nd = d->nodes.start; nd && nd < d->nodes.top; nd++)
        if (nd->type == YAML_SCALAR_NODE && nd->data.scalar.value)
            na_wipe(nd->data.scalar.value, nd->data.scalar.length);
}

static bool valid_name(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-' || *s == '.'))
            return false;
    return true;
}

static int vault_add(na_vault *v, const char *name, const char *value, na_err *err)
{
    if (v->n == v->cap) {
        size_t nc = v->cap ? v->cap * 2 : 16;
        char **nn = realloc(v->names, nc * sizeof *nn);
        if (nn)
            v->names = nn;
        char **nv = nn ? realloc(v->values, nc * sizeof *nv) : NULL;
        if (!nv)
            return na_err_set(err, NA_E_NOMEM, "out of memory");
        v->values = nv;
        v->cap = nc;
    }
    char *a = strdup(name), *b = na_secret_dup(value);
    if (!a || !b) {
        free(a);
        na_secret_free(b);
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    }
    v->names[v->n] = a;
    v->values[v->n++] = b;
    return 0;
}

#define PERR(node, ...)                                                                         \
    do {                                                                                        \
        char m_[256];                                                                           \
        snprintf(m_, sizeof m_, __VA_ARGS__);                                                   \
        na_err_set(err, NA_E_CONFIG, "%s:%zu:%zu: %s", label, (node)->start_mark.line + 1,      \
                   (node)->start_mark.column + 1, m_);                                          \
    } while (0)

/* Parse (and, with v, collect) a vault body. Every libyaml buffer holding plaintext is wiped. */
static int parse_body(const char *label, const char *plain, size_t n, na_vault *v, na_err *err)
{
    yaml_parser_t p;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&p))
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    yaml_parser_set_input_string(&p, (const unsigned char *)plain, n);
    int rc = -1;
    if (!yaml_parser_load(&p, &doc)) {
        na_err_set(err, NA_E_YAML, "%s:%zu:%zu: %s%s%s", label, p.problem_mark.line + 1,
                   p.problem_mark.column + 1, p.problem ? p.problem : "invalid YAML",
                   p.context ? " " : "", p.context ? p.context : "");
        wipe_parser(&p);
        yaml_parser_delete(&p);
        return -1;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    bool empty_scalar = root && root->type == YAML_SCALAR_NODE && root->data.scalar.length == 0 &&
                        root->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    if (!root || empty_scalar) {
        rc = 0;
        goto done;
    }
    if (root->type != YAML_MAPPING_NODE) {
        PERR(root, "a vault holds a YAML mapping of NAME: secret");
        goto done;
    }
    for (yaml_node_pair_t *pr = root->data.mapping.pairs.start; pr < root->data.mapping.pairs.top;
         pr++) {
        yaml_node_t *k = yaml_document_get_node(&doc, pr->key);
        yaml_node_t *val = yaml_document_get_node(&doc, pr->value);
        if (k->type != YAML_SCALAR_NODE || !valid_name((const char *)k->data.scalar.value)) {
            PERR(k, "vault names are letters, digits, '_', '-' and '.'");
            goto done;
        }
        const char *name = (const char *)k->data.scalar.value;
        for (yaml_node_pair_t *q = root->data.mapping.pairs.start; q < pr; q++) {
            yaml_node_t *qk = yaml_document_get_node(&doc, q->key);
            if (!strcmp((const char *)qk->data.scalar.value, name)) {
                PERR(k, "duplicate vault name '%s' (first at line %zu)", name,
                     qk->start_mark.line + 1);
                goto done;
            }
        }
        if (val->type != YAML_SCALAR_NODE) {
            PERR(val, "vault entry '%s' must be a string", name);
            goto done;
        }
        if (v && vault_add(v, name, (const char *)val->data.scalar.value, err) < 0)
            goto done;
    }
    rc = 0;
done:
    wipe_doc(&doc);
    yaml_document_delete(&doc);
    wipe_parser(&p);
    yaml_parser_delete(&p);
    return rc;
}

int na_vault_check_plain(const char *label, const char *plain, size_t n, na_err *err)
{
    return parse_body(label, plain, n, NULL, err);
}

void na_vault_free(na_vault *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n; i++) {
        free(v->names[i]);
        na_secret_free(v->values[i]);
    }
    free(v->names);
    free(v->values);
    free(v);
}

na_vault *na_vault_open_mem(const char *label, const char *data, size_t n, const char *pass,
                            na_err *err)
{
    na_buf plain;
    na_buf_init(&plain, (size_t)16 << 20);
    na_vault *v = calloc(1, sizeof *v);
    if (!v) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    int rc = na_vault_decrypt(label, data, n, pass, &plain, NULL, err);
    if (rc == 0) {
        char dlabel[512];
        snprintf(dlabel, sizeof dlabel, "%s (decrypted)", label);
        rc = parse_body(dlabel, na_buf_cstr(&plain), plain.len, v, err);
    }
    if (plain.data)
        na_wipe(plain.data, plain.cap);
    na_buf_free(&plain);
    if (rc < 0) {
        na_vault_free(v);
        return NULL;
    }
    return v;
}

int na_vault_read_file(const char *path, size_t max, na_buf *out, na_err *err)
{
    /* one allocation of the file's size, so no realloc leaves unwiped copies of a plaintext */
    na_buf_init(out, max);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return na_err_set(err, errno == ENOENT ? NA_E_NOTFOUND : NA_E_IO, "%s: cannot open: %s",
                          path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return na_err_set(err, NA_E_IO, "%s: not a regular file", path);
    }
    if ((uint64_t)st.st_size > out->max) {
        close(fd);
        return na_err_set(err, NA_E_OVERFLOW, "%s: larger than %zu bytes", path, out->max);
    }
    size_t cap = (size_t)st.st_size + 1;
    char *data = malloc(cap);
    if (!data) {
        close(fd);
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    }
    size_t len = 0;
    int rc = 0;
    while (len < cap - 1) {
        ssize_t r = read(fd, data + len, cap - 1 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            rc = na_err_set(err, NA_E_IO, "%s: read error: %s", path, strerror(errno));
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    if (rc < 0) {
        na_wipe(data, cap);
        free(data);
        return -1;
    }
    data[len] = '\0';
    out->data = data;
    out->len = len;
    out->cap = cap;
    return 0;
}

na_vault *na_vault_open(const char *path, const char *pass, na_err *err)
{
    na_buf b;
    if (na_vault_read_file(path, (size_t)64 << 20, &b, err) < 0) {
        na_err_prefix(err, "vault ");
        return NULL;
    }
    na_vault *v = na_vault_open_mem(path, na_buf_cstr(&b), b.len, pass, err);
    na_buf_free(&b);
    return v;
}

const char *na_vault_get(const na_vault *v, const char *name)
{
    for (size_t i = 0; v && i < v->n; i++)
        if (!strcmp(v->names[i], name))
            return v->values[i];
    return NULL;
}

size_t na_vault_count(const na_vault *v) { return v ? v->n : 0; }

/* ---- passphrase sources and files ---------------------------------------------------------- */

static char *pass_from_file(const char *label, const char *file, na_err *err)
{
    na_buf b;
    if (na_vault_read_file(file, 8192, &b, err) < 0) {
        na_err_prefix(err, "vault password file ");
        return NULL;
    }
    size_t l = strcspn(na_buf_cstr(&b), "\r\n");
    char *out = NULL;
    if (l == 0)
        na_err_set(err, NA_E_USAGE, "vault %s: the vault password file %s is empty", label, file);
    else if (l >= NA_VAULT_PASS_MAX)
        na_err_set(err, NA_E_USAGE, "vault %s: the passphrase in %s is longer than %d bytes",
                   label, file, NA_VAULT_PASS_MAX - 1);
    else {
        b.data[l] = '\0';
        out = na_secret_dup(b.data);
        if (!out)
            na_err_set(err, NA_E_NOMEM, "out of memory");
    }
    na_wipe(b.data, b.cap);
    na_buf_free(&b);
    return out;
}

char *na_vault_passphrase(const char *label, const char *pass, const char *pass_file,
                          na_vault_prompt_fn prompt, void *ud, bool confirm, na_err *err)
{
    const char *src = pass;
    if (!src && pass_file)
        return pass_from_file(label, pass_file, err);
    if (!src)
        src = getenv("NETAUTO_VAULT_PASSWORD");
    if (src) {
        if (!*src)
            na_err_set(err, NA_E_USAGE, "vault %s: the passphrase is empty", label);
        else if (strlen(src) >= NA_VAULT_PASS_MAX)
            na_err_set(err, NA_E_USAGE, "vault %s: the passphrase is longer than %d bytes", label,
                       NA_VAULT_PASS_MAX - 1);
        else {
            char *s = na_secret_dup(src);
            if (!s)
                na_err_set(err, NA_E_NOMEM, "out of memory");
            return s;
        }
        return NULL;
    }
    if (!prompt) {
        na_err_set(err, NA_E_USAGE,
                   "vault %s: no passphrase: set NETAUTO_VAULT_PASSWORD, use "
                   "--vault-password-file FILE, or run on a terminal", label);
        return NULL;
    }
    char a[NA_VAULT_PASS_MAX], b[NA_VAULT_PASS_MAX];
    char msg[600];
    char *out = NULL;
    snprintf(msg, sizeof msg, "Vault passphrase for %s: ", label);
    if (prompt(msg, a, sizeof a, ud, err) < 0) {
        na_err_prefix(err, "vault %s: ", label);
        goto done;
    }
    if (!*a) {
        na_err_set(err, NA_E_USAGE, "vault %s: the passphrase is empty", label);
        goto done;
    }
    if (confirm) {
        snprintf(msg, sizeof msg, "Repeat the passphrase for %s: ", label);
        if (prompt(msg, b, sizeof b, ud, err) < 0) {
            na_err_prefix(err, "vault %s: ", label);
            goto done;
        }
        if (strcmp(a, b) != 0) {
            na_err_set(err, NA_E_USAGE, "vault %s: the passphrases do not match", label);
            goto done;
        }
    }
    out = na_secret_dup(a);
    if (!out)
        na_err_set(err, NA_E_NOMEM, "out of memory");
done:
    na_wipe(a, sizeof a);
    na_wipe(b, sizeof b);
    return out;
}

int na_vault_write_file(const char *path, const char *data, size_t n, na_err *err)
{
    size_t pl = strlen(path);
    char *tmp = malloc(pl + 16);
    if (!tmp)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    snprintf(tmp, pl + 16, "%s.tmp.XXXXXX", path);
    int fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600 */
    if (fd < 0) {
        na_err_set(err, NA_E_IO, "%s: cannot create a temporary file: %s", path, strerror(errno));
        free(tmp);
        return -1;
    }
    int rc = 0;
    for (size_t off = 0; off < n && rc == 0;) {
        ssize_t w = write(fd, data + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            rc = na_err_set(err, NA_E_IO, "%s: write failed: %s", tmp, strerror(errno));
        else
            off += (size_t)w;
    }
    if (rc == 0 && fsync(fd) < 0)
        rc = na_err_set(err, NA_E_IO, "%s: fsync failed: %s", tmp, strerror(errno));
    if (close(fd) < 0 && rc == 0)
        rc = na_err_set(err, NA_E_IO, "%s: close failed: %s", tmp, strerror(errno));
    if (rc == 0 && rename(tmp, path) < 0)
        rc = na_err_set(err, NA_E_IO, "%s: cannot replace: %s", path, strerror(errno));
    if (rc < 0)
        unlink(tmp);
    free(tmp);
    return rc;
}
