/* tokens.c — hashed API tokens with their scopes, and the token file (see tokens.h). OpenSSL
 * supplies SHA-256, randomness and the constant-time compare. Not the authorisation of routes
 * (api.c decides which scope a route needs). */
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

static const char *const scope_names[] = {"read", "run", "commands", "admin"};

const char *nd_scope_name(unsigned scope)
{
    for (unsigned i = 0; i < 4; i++)
        if (scope == 1u << i)
            return scope_names[i];
    return "?";
}

int nd_scopes_parse(const char *s, unsigned *out, na_err *err)
{
    *out = 0;
    while (s && *s) {
        size_t n = strcspn(s, ", ");
        if (n) {
            unsigned bit = 0;
            for (unsigned i = 0; i < 4 && !bit; i++)
                if (strlen(scope_names[i]) == n && !strncmp(s, scope_names[i], n))
                    bit = 1u << i;
            if (!bit)
                return na_err_set(err, NA_E_USAGE,
                                  "unknown scope '%.*s' (read, run, commands or admin)", (int)n, s);
            *out |= bit;
        }
        s += n;
        s += strspn(s, ", ");
    }
    return 0;
}

const char *nd_scopes_format(unsigned scopes, char *out, size_t cap)
{
    size_t o = 0;
    if (cap)
        out[0] = '\0';
    for (unsigned i = 0; i < 4; i++)
        if (scopes & (1u << i) && o < cap)
            o += (size_t)snprintf(out + o, cap - o, "%s%s", o ? "," : "", scope_names[i]);
    return out;
}

void nd_token_hash(const char *token, unsigned char out[32])
{
    unsigned int n = 32;
    EVP_Digest(token, strlen(token), out, &n, EVP_sha256(), NULL);
}

int nd_token_generate(char *out, size_t cap, na_err *err)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char r[33] = {0};
    if (cap < ND_TOKEN_LEN + 1)
        return na_err_set(err, NA_E_INTERNAL, "token buffer too small");
    if (RAND_bytes(r, 32) != 1)
        return na_err_set(err, NA_E_INTERNAL, "no randomness available for a token");
    memcpy(out, "nat_", 4);
    size_t o = 4;
    /* 32 bytes = 256 bits -> 43 base64url characters (no padding) */
    for (size_t i = 0; i < 33; i += 3) {
        uint32_t v = (uint32_t)r[i] << 16 | (uint32_t)r[i + 1] << 8 | r[i + 2];
        for (int k = 3; k >= 0 && o < ND_TOKEN_LEN; k--)
            out[o++] = b64[(v >> (6 * k)) & 63];
    }
    out[o] = '\0';
    na_wipe(r, sizeof r);
    return 0;
}

int nd_token_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= ND_TOKEN_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)name[i]) && !strchr("._-", name[i]))
            return 0;
    return 1;
}

void nd_tokens_free(nd_tokens *t)
{
    free(t->v);
    memset(t, 0, sizeof *t);
}

/* Remember the identity of the file the set was read from (f: its open stream, or NULL). */
static void note_file(nd_tokens *t, FILE *f)
{
    struct stat st;
    t->f_seen = f && fstat(fileno(f), &st) == 0;
    if (!t->f_seen)
        return;
    t->f_dev = (uint64_t)st.st_dev;
    t->f_ino = (uint64_t)st.st_ino;
    t->f_size = (uint64_t)st.st_size;
    t->f_mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    t->f_ctime_ns = (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec;
}

int nd_tokens_refresh(const char *path, nd_tokens *t, na_err *err)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno != ENOENT)
            return na_err_set(err, NA_E_IO, "%s: %s", path, strerror(errno));
        if (!t->f_seen && t->n == 0)
            return 0;
    } else if (t->f_seen && t->f_dev == (uint64_t)st.st_dev && t->f_ino == (uint64_t)st.st_ino &&
               t->f_size == (uint64_t)st.st_size &&
               t->f_mtime_ns == (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec &&
               t->f_ctime_ns == (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec) {
        return 0;
    }
    nd_tokens fresh;
    if (nd_tokens_load(path, &fresh, err) < 0)
        return -1;
    nd_tokens_free(t);
    *t = fresh;
    return 1;
}

static int parse_file(FILE *f, const char *path, nd_tokens *out, na_err *err)
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
        char name[128], hex[128], scopes[128] = "";
        long long created = 0;
        int n = sscanf(p, "%127s %127s %lld %127s", name, hex, &created, scopes);
        if (n < 2 || !nd_token_name_ok(name) || strlen(hex) != 64)
            return na_err_set(err, NA_E_CONFIG,
                              "%s:%u: expected 'NAME SHA256-HEX CREATED-MS SCOPES' (written by "
                              "`netautod token add`)",
                              path, lineno);
        unsigned bits = ND_SCOPES_ALL; /* a line from before scopes: the full access it had */
        na_err se = NA_ERR_INIT;
        if (n == 4 && (nd_scopes_parse(scopes, &bits, &se) < 0 || !bits))
            return na_err_set(err, NA_E_CONFIG, "%s:%u: %s", path, lineno,
                              bits ? se.msg : "a token needs at least one scope");
        if (out->n == cap) {
            cap = cap ? cap * 2 : 8;
            nd_token *nv = realloc(out->v, cap * sizeof *nv);
            if (!nv)
                return na_err_set(err, NA_E_NOMEM, "out of memory");
            out->v = nv;
        }
        nd_token *t = &out->v[out->n];
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
        t->scopes = bits & ND_SCOPE_ADMIN ? ND_SCOPES_ALL : bits;
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

int nd_tokens_load(const char *path, nd_tokens *out, na_err *err)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        return na_err_set(err, NA_E_IO, "%s: cannot open: %s", path, strerror(errno));
    }
    note_file(out, f);
    int rc = parse_file(f, path, out, err);
    fclose(f);
    if (rc < 0)
        nd_tokens_free(out);
    return rc;
}

int nd_tokens_save(const char *path, const nd_tokens *t, na_err *err)
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
    fprintf(f, "# netautod API tokens: NAME SHA256(token) CREATED-MS SCOPES. Managed by "
               "`netautod token`.\n");
    for (size_t i = 0; i < t->n; i++) {
        char sc[64];
        unsigned bits = t->v[i].scopes == ND_SCOPES_ALL ? ND_SCOPE_ADMIN : t->v[i].scopes;
        fprintf(f, "%s ", t->v[i].name);
        for (int k = 0; k < 32; k++)
            fprintf(f, "%02x", t->v[i].hash[k]);
        fprintf(f, " %" PRId64 " %s\n", t->v[i].created_ms, nd_scopes_format(bits, sc, sizeof sc));
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

const nd_token *nd_tokens_verify(const nd_tokens *t, const char *presented)
{
    if (!presented || !*presented)
        return NULL;
    unsigned char h[32];
    nd_token_hash(presented, h);
    const nd_token *found = NULL;
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

int nd_tokens_add(const char *path, const char *name, unsigned scopes, char *token_out,
                  size_t cap, na_err *err)
{
    if (!nd_token_name_ok(name))
        return na_err_set(err, NA_E_USAGE,
                          "token name '%s' is not valid (use letters, digits, '.', '_', '-'; at "
                          "most %d characters)",
                          name, ND_TOKEN_NAME_MAX - 1);
    if (!(scopes & ND_SCOPES_ALL))
        return na_err_set(err, NA_E_USAGE, "a token needs at least one scope (read, run, "
                                           "commands or admin)");
    int lfd = lock_file(path, err);
    if (lfd < 0)
        return -1;
    nd_tokens t;
    int rc = nd_tokens_load(path, &t, err);
    for (size_t i = 0; rc == 0 && i < t.n; i++)
        if (!strcmp(t.v[i].name, name))
            rc = na_err_set(err, NA_E_CONFIG, "a token named '%s' already exists (revoke it first)",
                            name);
    if (rc == 0)
        rc = nd_token_generate(token_out, cap, err);
    if (rc == 0) {
        nd_token *nv = realloc(t.v, (t.n + 1) * sizeof *nv);
        if (!nv)
            rc = na_err_set(err, NA_E_NOMEM, "out of memory");
        else {
            t.v = nv;
            nd_token *e = &t.v[t.n++];
            memset(e, 0, sizeof *e);
            snprintf(e->name, sizeof e->name, "%s", name);
            nd_token_hash(token_out, e->hash);
            e->created_ms = na_wall_ms();
            e->scopes = scopes & ND_SCOPE_ADMIN ? ND_SCOPES_ALL : scopes & ND_SCOPES_ALL;
            rc = nd_tokens_save(path, &t, err);
        }
    }
    nd_tokens_free(&t);
    close(lfd);
    return rc;
}

int nd_tokens_revoke(const char *path, const char *name, na_err *err)
{
    int lfd = lock_file(path, err);
    if (lfd < 0)
        return -1;
    nd_tokens t;
    int rc = nd_tokens_load(path, &t, err);
    if (rc == 0) {
        size_t i = 0;
        while (i < t.n && strcmp(t.v[i].name, name))
            i++;
        if (i == t.n)
            rc = na_err_set(err, NA_E_NOTFOUND, "no token named '%s'", name);
        else {
            memmove(&t.v[i], &t.v[i + 1], (t.n - i - 1) * sizeof *t.v);
            t.n--;
            rc = nd_tokens_save(path, &t, err);
        }
    }
    nd_tokens_free(&t);
    close(lfd);
    return rc;
}
