/* digest.c — streaming MD5 / SHA-256 / SHA-512 over OpenSSL's EVP interface, hex output, and
 * whole-file digests with a small cache keyed by file identity (see digest.h). Not a parser of
 * device output. */
#include "digest.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_PIECE ((size_t)1 << 20)
#define CACHE_SLOTS 64

static const char *const NAMES[NA_HASH__COUNT] = {"none", "md5", "sha256", "sha512"};

const char *na_hash_name(na_hash_alg a)
{
    return a >= 0 && a < NA_HASH__COUNT ? NAMES[a] : "?";
}

int na_hash_parse(const char *s, na_hash_alg *out)
{
    if (!s)
        return -1;
    for (int a = 0; a < NA_HASH__COUNT; a++)
        if (!strcasecmp(s, NAMES[a])) {
            *out = (na_hash_alg)a;
            return 0;
        }
    if (!strcasecmp(s, "sha-256")) {
        *out = NA_HASH_SHA256;
        return 0;
    }
    if (!strcasecmp(s, "sha-512")) {
        *out = NA_HASH_SHA512;
        return 0;
    }
    return -1;
}

size_t na_hash_hexlen(na_hash_alg a)
{
    switch (a) {
    case NA_HASH_MD5: return 32;
    case NA_HASH_SHA256: return 64;
    case NA_HASH_SHA512: return 128;
    default: return 0;
    }
}

static const EVP_MD *md_of(na_hash_alg a)
{
    switch (a) {
    case NA_HASH_MD5: return EVP_md5();
    case NA_HASH_SHA256: return EVP_sha256();
    case NA_HASH_SHA512: return EVP_sha512();
    default: return NULL;
    }
}

int na_hash_init(na_hash *h, na_hash_alg a, na_err *err)
{
    memset(h, 0, sizeof *h);
    const EVP_MD *md = md_of(a);
    if (!md)
        return na_err_set(err, NA_E_USAGE, "no digest algorithm '%s'", na_hash_name(a));
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    if (EVP_DigestInit_ex(ctx, md, NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        return na_err_set(err, NA_E_INTERNAL, "%s is not available from OpenSSL",
                          na_hash_name(a));
    }
    h->alg = a;
    h->ctx = ctx;
    return 0;
}

void na_hash_update(na_hash *h, const void *p, size_t n)
{
    if (!h->ctx || !n)
        return;
    EVP_DigestUpdate(h->ctx, p, n);
    h->bytes += n;
}

int na_hash_final_hex(na_hash *h, char *hex, size_t cap, na_err *err)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    if (!h->ctx)
        return na_err_set(err, NA_E_INTERNAL, "digest not started");
    int ok = EVP_DigestFinal_ex(h->ctx, md, &n) == 1;
    na_hash_free(h);
    if (!ok || cap < 2 * (size_t)n + 1)
        return na_err_set(err, NA_E_INTERNAL, "digest: no result");
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < n; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[2 * n] = '\0';
    return 0;
}

void na_hash_free(na_hash *h)
{
    if (h->ctx)
        EVP_MD_CTX_free(h->ctx);
    h->ctx = NULL;
}

int na_hash_mem(na_hash_alg a, const void *p, size_t n, char *hex, size_t cap, na_err *err)
{
    na_hash h;
    if (na_hash_init(&h, a, err) < 0)
        return -1;
    na_hash_update(&h, p, n);
    return na_hash_final_hex(&h, hex, cap, err);
}

bool na_hash_hex_ok(na_hash_alg a, const char *s, size_t n)
{
    if (!s || n != na_hash_hexlen(a) || n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
              (s[i] >= 'A' && s[i] <= 'F')))
            return false;
    return true;
}

/* ---- whole files, remembered ----------------------------------------------------------------- */

typedef struct slot {
    bool used;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime;
    na_hash_alg alg;
    char hex[NA_HASH_HEX_MAX];
    uint64_t stamp;  /* last use, for replacement */
} slot;

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static slot cache[CACHE_SLOTS];
static uint64_t cache_clock;

static bool same_file(const slot *s, const struct stat *st, na_hash_alg a)
{
    return s->used && s->alg == a && s->dev == st->st_dev && s->ino == st->st_ino &&
           s->size == st->st_size && s->mtime.tv_sec == st->st_mtim.tv_sec &&
           s->mtime.tv_nsec == st->st_mtim.tv_nsec && s->ctime.tv_sec == st->st_ctim.tv_sec &&
           s->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

static bool lookup(const struct stat *st, na_hash_alg a, char *hex, size_t cap)
{
    bool hit = false;
    pthread_mutex_lock(&cache_mu);
    for (int i = 0; i < CACHE_SLOTS && !hit; i++)
        if (same_file(&cache[i], st, a) && strlen(cache[i].hex) < cap) {
            memcpy(hex, cache[i].hex, strlen(cache[i].hex) + 1);
            cache[i].stamp = ++cache_clock;
            hit = true;
        }
    pthread_mutex_unlock(&cache_mu);
    return hit;
}

static void remember(const struct stat *st, na_hash_alg a, const char *hex)
{
    pthread_mutex_lock(&cache_mu);
    int victim = 0;
    for (int i = 0; i < CACHE_SLOTS; i++) {
        if (!cache[i].used) {
            victim = i;
            break;
        }
        if (cache[i].stamp < cache[victim].stamp)
            victim = i;
    }
    slot *s = &cache[victim];
    s->used = true;
    s->dev = st->st_dev;
    s->ino = st->st_ino;
    s->size = st->st_size;
    s->mtime = st->st_mtim;
    s->ctime = st->st_ctim;
    s->alg = a;
    snprintf(s->hex, sizeof s->hex, "%s", hex);
    s->stamp = ++cache_clock;
    pthread_mutex_unlock(&cache_mu);
}

int na_hash_file_remember(const char *path, na_hash_alg a, const char *hex)
{
    struct stat st;
    if (!na_hash_hex_ok(a, hex, strlen(hex)) || stat(path, &st) < 0 || !S_ISREG(st.st_mode))
        return -1;
    remember(&st, a, hex);
    return 0;
}

void na_hash_file_cache_clear(void)
{
    pthread_mutex_lock(&cache_mu);
    memset(cache, 0, sizeof cache);
    pthread_mutex_unlock(&cache_mu);
}

int na_hash_file(const char *path, na_hash_alg a, char *hex, size_t cap, uint64_t *size,
                 na_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st, st2;
    if (fd < 0 || fstat(fd, &st) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return na_err_set(err, NA_E_IO, "cannot read %s: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return na_err_set(err, NA_E_IO, "%s is not a regular file", path);
    }
    if (size)
        *size = (uint64_t)st.st_size;
    if (lookup(&st, a, hex, cap)) {
        close(fd);
        return 0;
    }
    na_hash h;
    if (na_hash_init(&h, a, err) < 0) {
        close(fd);
        return -1;
    }
    char *piece = malloc(FILE_PIECE);
    if (!piece) {
        na_hash_free(&h);
        close(fd);
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    }
    int rc = 0;
    for (;;) {
        ssize_t n = read(fd, piece, FILE_PIECE);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = na_err_set(err, NA_E_IO, "cannot read %s: %s", path, strerror(errno));
            break;
        }
        if (n == 0)
            break;
        na_hash_update(&h, piece, (size_t)n);
    }
    free(piece);
    if (rc == 0 && (fstat(fd, &st2) < 0 || st2.st_size != st.st_size ||
                    h.bytes != (uint64_t)st.st_size ||
                    st2.st_mtim.tv_sec != st.st_mtim.tv_sec ||
                    st2.st_mtim.tv_nsec != st.st_mtim.tv_nsec))
        rc = na_err_set(err, NA_E_IO, "%s changed while it was being read", path);
    close(fd);
    if (rc < 0) {
        na_hash_free(&h);
        return -1;
    }
    if (na_hash_final_hex(&h, hex, cap, err) < 0)
        return -1;
    remember(&st, a, hex);
    return 0;
}
