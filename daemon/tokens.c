/* tokens.c — hashed API tokens and the token file (see tokens.h). OpenSSL supplies SHA-256,
 * randomness and the constant-time compare. Not an authorisation model. */
#include "tokens.h"
#include "clock.h"
#include "hex.h"
#include "secret.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

void na_token_hash(const char *token, unsigned char out[32])
{
    unsigned int n = 32;
    EVP_Digest(token, strlen(token), out, &n, EVP_sha256(), NULL);
}

int na_token_generate(char *out, size_t cap, na_err *err)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char r[33] = {0};
    if (cap < NA_TOKEN_LEN + 1)
        return na_err_set(err, NA_E_INTERNAL, "token buffer too small");
    if (RAND_bytes(r, 32) != 1)
        return na_err_set(err, NA_E_INTERNAL, "no randomness available for a token");
    memcpy(out, "nat_", 4);
    size_t o = 4;
    /* 32 bytes = 256 bits -> 43 base64url characters (no padding) */
    for (size_t i = 0; i < 33; i += 3) {
        uint32_t v = (uint32_t)r[i] << 16 | (uint32_t)r[i + 1] << 8 | r[i + 2];
        for (int k = 3; k >= 0 && o < NA_TOKEN_LEN; k--)
            out[o++] = b64[(v >> (6 * k)) & 63];
    }
    out[o] = '\0';
    na_wipe(r, sizeof r);
    return 0;
}

int na_token_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= NA_TOKEN_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)name[i]) && !strchr("._-", name[i]))
            return 0;
    return 1;
}

void na_tokens_free(na_tokens *t)
{
    free(t->v);
    t->v = NULL;
    t->n = 0;
}

static int parse_file(FILE *f, const char *path, na_tokens *out, na_err *err)
{
    char line[512];
    unsigned lineno = 0;
    size_t cap = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *p = line;
        while (isspace((unsigned char)*p))
            p++;
        if (!*p || *p == '#')
            continue;
        char name[128], hex[128];
        long long created = 0;
        int n = sscanf(p, "%127s %127s %lld", name, hex, &created);
        if (n < 2 || !na_token_name_ok(name) || strlen(hex) != 64)
            return na_err_set(err, NA_E_CONFIG,
                              "%s:%u: expected 'NAME SHA256-HEX CREATED-MS' (written by "
                              "`netautod token add`)",
                              path, lineno);
        if (out->n == cap) {
            cap = cap ? cap * 2 : 8;
            na_token *nv = realloc(out->v, cap * sizeof *nv);
            if (!nv)
                return na_err_set(err, NA_E_NOMEM, "out of memory");
            out->v = nv;
        }
        na_token *t = &out->v[out->n];
        memset(t, 0, sizeof *t);
        snprintf(t->name, sizeof t->name, "%s", name);
        for (int i = 0; i < 32; i++) {
            int hi = na_hexval(hex[2 * i]), lo = na_hexval(hex[2 * i + 1]);
            if (hi < 0 || lo < 0)
                return na_err_set(err, NA_E_CONFIG, "%s:%u: the hash is not hexadecimal", path,
                                  lineno);
            t->hash[i] = (unsigned char)(hi << 4 | lo);
        }
        t->created_ms = created;
        for (size_t i = 0; i < out->n; i++)
            if (!strcmp(out->v[i].name, t->name))
                return na_err_set(err, NA_E_CONFIG, "%s:%u: token name '%s' appears twice", path,
                                  lineno, t->name);
        out->n++;
    }
    if (ferror(f))
        return na_err_set(err, NA_E_IO, "%s: read error: %s", path, strerror(errno));
    return 0;
}

int na_tokens_load(const char *path, na_tokens *out, na_err *err)
{
    out->v = NULL;
    out->n = 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        return na_err_set(err, NA_E_IO, "%s: cannot open: %s", path, strerror(errno));
    }
    int rc = parse_file(f, path, out, err);
    fclose(f);
    if (rc < 0)
        na_tokens_free(out);
    return rc;
}

int na_tokens_save(const char *path, const na_tokens *t, na_err *err)
{
    size_t pl = strlen(path);
    char *tmp = malloc(pl + 16);
    if (!tmp)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    snprintf(tmp, pl + 16, "%s.tmp.%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        na_err_set(err, NA_E_IO, "%s: cannot create: %s", tmp, strerror(errno));
        free(tmp);
        return -1;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        na_err_set(err, NA_E_IO, "%s: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        free(tmp);
        return -1;
    }
    fprintf(f, "# netautod API tokens: NAME SHA256(token) CREATED-MS. Managed by `netautod token`.\n");
    for (size_t i = 0; i < t->n; i++) {
        fprintf(f, "%s ", t->v[i].name);
        for (int k = 0; k < 32; k++)
            fprintf(f, "%02x", t->v[i].hash[k]);
        fprintf(f, " %" PRId64 "\n", t->v[i].created_ms);
    }
    int bad = fflush(f) != 0 || fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        na_err_set(err, NA_E_IO, "%s: cannot write: %s", path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}

const na_token *na_tokens_verify(const na_tokens *t, const char *presented)
{
    if (!presented || !*presented)
        return NULL;
    unsigned char h[32];
    na_token_hash(presented, h);
    const na_token *found = NULL;
    for (size_t i = 0; i < t->n; i++) {
        /* no early exit: every entry is compared */
        int eq = CRYPTO_memcmp(h, t->v[i].hash, 32) == 0;
        if (eq && !found)
            found = &t->v[i];
    }
    return found;
}

/* Hold an exclusive lock on PATH.lock while modifying the file. */
static int lock_file(const char *path, na_err *err)
{
    char lp[4096];
    snprintf(lp, sizeof lp, "%s.lock", path);
    int fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return na_err_set(err, NA_E_IO, "%s: cannot open: %s", lp, strerror(errno));
    if (flock(fd, LOCK_EX) != 0) {
        close(fd);
        return na_err_set(err, NA_E_IO, "%s: cannot lock: %s", lp, strerror(errno));
    }
    return fd;
}

int na_tokens_add(const char *path, const char *name, char *token_out, size_t cap, na_err *err)
{
    if (!na_token_name_ok(name))
        return na_err_set(err, NA_E_USAGE,
                          "token name '%s' is not valid (use letters, digits, '.', '_', '-'; at "
                          "most %d characters)",
                          name, NA_TOKEN_NAME_MAX - 1);
    int lfd = lock_file(path, err);
    if (lfd < 0)
        return -1;
    na_tokens t;
    int rc = na_tokens_load(path, &t, err);
    for (size_t i = 0; rc == 0 && i < t.n; i++)
        if (!strcmp(t.v[i].name, name))
            rc = na_err_set(err, NA_E_CONFIG, "a token named '%s' already exists (revoke it first)",
                            name);
    if (rc == 0)
        rc = na_token_generate(token_out, cap, err);
    if (rc == 0) {
        na_token *nv = realloc(t.v, (t.n + 1) * sizeof *nv);
        if (!nv)
            rc = na_err_set(err, NA_E_NOMEM, "out of memory");
        else {
            t.v = nv;
            na_token *e = &t.v[t.n++];
            memset(e, 0, sizeof *e);
            snprintf(e->name, sizeof e->name, "%s", name);
            na_token_hash(token_out, e->hash);
            e->created_ms = na_wall_ms();
            rc = na_tokens_save(path, &t, err);
        }
    }
    na_tokens_free(&t);
    close(lfd);
    return rc;
}

int na_tokens_revoke(const char *path, const char *name, na_err *err)
{
    int lfd = lock_file(path, err);
    if (lfd < 0)
        return -1;
    na_tokens t;
    int rc = na_tokens_load(path, &t, err);
    if (rc == 0) {
        size_t i = 0;
        while (i < t.n && strcmp(t.v[i].name, name))
            i++;
        if (i == t.n)
            rc = na_err_set(err, NA_E_NOTFOUND, "no token named '%s'", name);
        else {
            memmove(&t.v[i], &t.v[i + 1], (t.n - i - 1) * sizeof *t.v);
            t.n--;
            rc = na_tokens_save(path, &t, err);
        }
    }
    na_tokens_free(&t);
    close(lfd);
    return rc;
}
