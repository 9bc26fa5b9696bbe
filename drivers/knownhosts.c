/* knownhosts.c — OpenSSH known_hosts files (see knownhosts.h): the per-process cache of files
 * indexed by host name, line parsing, host pattern matching as OpenSSH's match.c and hostfile.c
 * do it (wildcards, negation, comma lists, hashed names), fingerprints, appending a line.
 * Not the host key policy (ssh_hostkey.c). */
#include "knownhosts.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define KH_FILES 8               /* files cached at once (least recently used goes) */
#define KH_LINE_MAX (16 << 10)   /* OpenSSH's own limit on a known_hosts line is 16 KiB */
#define KH_FILE_MAX ((size_t)256 << 20)

/* ---- small helpers ---------------------------------------------------------------------- */

int na_kh_fingerprint(const unsigned char *blob, size_t len, char *out, size_t cap)
{
    unsigned char h[EVP_MAX_MD_SIZE], b64[64];
    unsigned int hl = 0;
    if (!EVP_Digest(blob, len, h, &hl, EVP_sha256(), NULL) || hl != 32)
        return -1;
    int n = EVP_EncodeBlock(b64, h, 32);
    while (n > 0 && b64[n - 1] == '=')
        n--;
    if (cap < (size_t)n + 8)
        return -1;
    snprintf(out, cap, "SHA256:%.*s", n, (const char *)b64);
    return 0;
}

int na_kh_blob_type(const unsigned char *blob, size_t len, char *out, size_t cap)
{
    if (len < 4)
        return -1;
    uint32_t n = (uint32_t)blob[0] << 24 | (uint32_t)blob[1] << 16 | (uint32_t)blob[2] << 8 |
                 blob[3];
    if (n == 0 || n > len - 4 || n >= cap)
        return -1;
    memcpy(out, blob + 4, n);
    out[n] = '\0';
    return 0;
}

/* Decode base64 text (no blanks inside) into a new buffer. NULL if malformed or OOM. */
static unsigned char *b64_decode(const char *s, size_t n, size_t *out_len)
{
    if (n == 0 || n % 4 || n > KH_LINE_MAX)
        return NULL;
    unsigned char *raw = malloc(n / 4 * 3 + 1);
    if (!raw)
        return NULL;
    int r = EVP_DecodeBlock(raw, (const unsigned char *)s, (int)n);
    if (r < 0) {
        free(raw);
        return NULL;
    }
    size_t len = (size_t)r;
    for (size_t i = n; i > 0 && s[i - 1] == '=' && len > 0; i--)
        len--; /* EVP_DecodeBlock counts padding as zero bytes */
    *out_len = len;
    return raw;
}

int na_kh_name(const char *host, int port, char *out, size_t cap)
{
    size_t hl = strlen(host);
    if (hl > 2 && host[0] == '[' && host[hl - 1] == ']') {
        host++;
        hl -= 2;
    }
    int n = port > 0 && port != 22 ? snprintf(out, cap, "[%.*s]:%d", (int)hl, host, port)
                                   : snprintf(out, cap, "%.*s", (int)hl, host);
    if (n < 0 || (size_t)n >= cap)
        return -1;
    for (char *p = out; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return 0;
}

/* ---- host patterns (OpenSSH match.c) ------------------------------------------------------ */

/* '*' any run of characters, '?' any one, case-insensitive; the whole string must match. */
static bool wild(const char *s, size_t sn, const char *p, size_t pn)
{
    size_t si = 0, pi = 0, star_p = (size_t)-1, star_s = 0;
    while (si < sn) {
        if (pi < pn && p[pi] == '*') {
            star_p = pi++;
            star_s = si;
        } else if (pi < pn && (p[pi] == '?' ||
                               tolower((unsigned char)p[pi]) == tolower((unsigned char)s[si]))) {
            pi++;
            si++;
        } else if (star_p != (size_t)-1) {
            pi = star_p + 1;
            si = ++star_s;
        } else {
            return false;
        }
    }
    while (pi < pn && p[pi] == '*')
        pi++;
    return pi == pn;
}

static int match_hashed(const char *field, size_t len, const char *name)
{
    /* |1|base64(salt)|base64(HMAC-SHA1(salt, name)) */
    const char *salt = field + 3, *bar = memchr(salt, '|', len - 3);
    if (!bar)
        return 0;
    size_t sl = 0, hl = 0;
    unsigned char *s = b64_decode(salt, (size_t)(bar - salt), &sl);
    unsigned char *h = b64_decode(bar + 1, len - (size_t)(bar + 1 - field), &hl);
    int rc = 0;
    if (s && h && sl == 20 && hl == 20) {
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned int ml = 0;
        if (HMAC(EVP_sha1(), s, (int)sl, (const unsigned char *)name, strlen(name), mac, &ml) &&
            ml == 20 && !memcmp(mac, h, 20))
            rc = 1;
    }
    free(s);
    free(h);
    return rc;
}

int na_kh_match_hosts(const char *field, size_t len, const char *name)
{
    if (len > 3 && !memcmp(field, "|1|", 3))
        return match_hashed(field, len, name);
    int got = 0;
    size_t nl = strlen(name);
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && field[j] != ',')
            j++;
        const char *p = field + i;
        size_t pn = j - i;
        bool neg = pn && *p == '!';
        if (neg) {
            p++;
            pn--;
        }
        if (pn && wild(name, nl, p, pn)) {
            if (neg)
                return -1;
            got = 1;
        }
        i = j + 1;
    }
    return got;
}

/* ---- line parsing ------------------------------------------------------------------------ */

typedef struct kh_line {
    na_kh_marker marker;
    const char *hosts;
    size_t hosts_len;
    const char *type;
    size_t type_len;
    const char *b64;
    size_t b64_len;
} kh_line;

static size_t field(const char *s, size_t n, size_t *at, const char **start)
{
    size_t i = *at;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    *start = s + i;
    size_t b = i;
    while (i < n && s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
        i++;
    *at = i;
    return i - b;
}

/* 0 parsed; -1 not an SSH-2 key line we understand (unknown marker, SSH-1 key, no key). */
static int parse_line(const char *s, size_t n, kh_line *l)
{
    size_t at = 0;
    const char *f;
    size_t fl = field(s, n, &at, &f);
    l->marker = NA_KH_KEY;
    if (fl && *f == '@') {
        if (fl == 8 && !memcmp(f, "@revoked", 8))
            l->marker = NA_KH_REVOKED;
        else if (fl == 15 && !memcmp(f, "@cert-authority", 15))
            l->marker = NA_KH_CA;
        else
            return -1;
        fl = field(s, n, &at, &f);
    }
    if (!fl)
        return -1;
    l->hosts = f;
    l->hosts_len = fl;
    l->type_len = field(s, n, &at, &l->type);
    l->b64_len = field(s, n, &at, &l->b64);
    if (!l->type_len || !l->b64_len || l->type_len >= 64 || isdigit((unsigned char)*l->type))
        return -1; /* SSH-1 lines start with the number of bits */
    return 0;
}

/* ---- the cache ---------------------------------------------------------------------------
 * Every session checks its key against the same file, and a fleet's file has a line per device:
 * parsing the whole file per session made N sessions cost N x N lines. A file is read once per
 * process (again when its inode, size or mtime change, as when accept-new appends), its lines
 * indexed by the plain host names they list; a lookup looks only at the lines naming the host
 * plus the lines no index can rule out (hashed names, wildcards, negations, @markers). */

typedef struct kh_name {
    const char *name; /* into the cached text, not NUL-terminated: len bytes */
    size_t len;
    size_t line;      /* index into lines */
} kh_name;

typedef struct kh_file {
    char *path;
    bool missing;     /* the file did not exist */
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    time_t read_at;   /* wall clock when read */
    uint64_t used;    /* LRU clock */
    char *text;       /* the whole file */
    const char **lines; /* non-blank, non-comment lines */
    size_t *lens;
    unsigned *lineno;
    size_t nlines;
    kh_name *names;   /* sorted, case-insensitively */
    size_t nnames;
    size_t *generic;  /* lines that may match any host (ascending) */
    size_t ngeneric;
} kh_file;

static pthread_mutex_t kh_lock = PTHREAD_MUTEX_INITIALIZER;
static kh_file kh_files[KH_FILES];
static uint64_t kh_clock;

static void kh_clear(kh_file *k)
{
    free(k->path);
    free(k->text);
    free(k->lines);
    free(k->lens);
    free(k->lineno);
    free(k->names);
    free(k->generic);
    memset(k, 0, sizeof *k);
}

static int name_cmp_n(const char *a, size_t al, const char *b, size_t bl)
{
    size_t n = al < bl ? al : bl;
    int r = strncasecmp(a, b, n);
    return r ? r : (al < bl ? -1 : al > bl);
}

static int name_cmp(const void *x, const void *y)
{
    const kh_name *a = x, *b = y;
    int r = name_cmp_n(a->name, a->len, b->name, b->len);
    return r ? r : (a->line < b->line ? -1 : a->line > b->line);
}

/* Split the text into lines and index them. -1 on out of memory. */
static int kh_index(kh_file *k, size_t size)
{
    size_t cap = 1;
    for (size_t i = 0; i < size; i++)
        cap += k->text[i] == '\n';
    k->lines = malloc(cap * sizeof *k->lines);
    k->lens = malloc(cap * sizeof *k->lens);
    k->lineno = malloc(cap * sizeof *k->lineno);
    k->generic = malloc(cap * sizeof *k->generic);
    size_t ncap = cap * 2, nn = 0;
    k->names = malloc(ncap * sizeof *k->names);
    if (!k->lines || !k->lens || !k->lineno || !k->generic || !k->names)
        return -1;
    const char *p = k->text, *end = k->text + size;
    unsigned no = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
        const char *line = p;
        p += len;
        no++;
        const char *q = line;
        while (q < line + len && (*q == ' ' || *q == '\t'))
            q++;
        if (q == line + len || *q == '#' || *q == '\n' || *q == '\r' || len > KH_LINE_MAX)
            continue;
        size_t li = k->nlines++;
        k->lines[li] = line;
        k->lens[li] = len;
        k->lineno[li] = no;
        size_t hl = 0;
        while (q + hl < line + len && q[hl] != ' ' && q[hl] != '\t' && q[hl] != '\r' &&
               q[hl] != '\n')
            hl++;
        if (*q == '@' || *q == '|' || memchr(q, '*', hl) || memchr(q, '?', hl) ||
            memchr(q, '!', hl)) {
            k->generic[k->ngeneric++] = li;
            continue;
        }
        const char *h = q, *hend = q + hl;
        while (h < hend) {
            const char *c = memchr(h, ',', (size_t)(hend - h));
            size_t n = c ? (size_t)(c - h) : (size_t)(hend - h);
            if (n) {
                if (nn == ncap) {
                    kh_name *nw = realloc(k->names, (ncap *= 2) * sizeof *nw);
                    if (!nw)
                        return -1;
                    k->names = nw;
                }
                k->names[nn++] = (kh_name){h, n, li};
            }
            h += n + 1;
        }
    }
    k->nnames = nn;
    qsort(k->names, nn, sizeof *k->names, name_cmp);
    return 0;
}

/* The cache slot holding `path` as it is now (read again if it changed). kh_lock held. */
static kh_file *kh_get(const char *path, na_err *err)
{
    kh_file *k = NULL, *lru = &kh_files[0];
    for (int i = 0; i < KH_FILES; i++) {
        if (kh_files[i].path && !strcmp(kh_files[i].path, path))
            k = &kh_files[i];
        if (kh_files[i].used < lru->used)
            lru = &kh_files[i];
    }
    struct stat st;
    if (stat(path, &st) < 0) {
        if (errno != ENOENT && errno != ENOTDIR) {
            na_err_set(err, NA_E_IO, "cannot read known_hosts file %s: %s", path,
                       strerror(errno));
            return NULL;
        }
        if (!k || !k->missing) {
            if (!k)
                k = lru;
            kh_clear(k);
            if (!(k->path = strdup(path))) {
                na_err_set(err, NA_E_NOMEM, "out of memory");
                return NULL;
            }
            k->missing = true;
        }
        k->used = ++kh_clock;
        return k;
    }
    /* Unchanged: same inode, size and mtime -- unless the mtime is within a second of when the
     * file was read: a rewrite of the same size within the file system's timestamp granularity
     * would look the same, so such a "racy" file is read again (as git does with its index). */
    if (k && !k->missing && k->dev == st.st_dev && k->ino == st.st_ino &&
        k->size == st.st_size && k->mtime.tv_sec == st.st_mtim.tv_sec &&
        k->mtime.tv_nsec == st.st_mtim.tv_nsec && st.st_mtim.tv_sec + 1 < k->read_at) {
        k->used = ++kh_clock;
        return k;
    }
    if (!k)
        k = lru;
    kh_clear(k);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0 || (size_t)st.st_size > KH_FILE_MAX) {
        int e = fd < 0 || errno ? errno : EFBIG;
        if (fd >= 0)
            close(fd);
        na_err_set(err, NA_E_IO, "cannot read known_hosts file %s: %s", path,
                   (size_t)st.st_size > KH_FILE_MAX ? "larger than 256 MiB" : strerror(e));
        return NULL;
    }
    size_t size = (size_t)st.st_size, got = 0;
    k->path = strdup(path);
    k->text = malloc(size + 1);
    while (k->text && got < size) {
        ssize_t r = read(fd, k->text + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (!k->path || !k->text) {
        kh_clear(k);
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    k->text[got] = '\0';
    if (kh_index(k, got) < 0) {
        kh_clear(k);
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    k->dev = st.st_dev;
    k->ino = st.st_ino;
    k->size = (off_t)got;
    k->mtime = st.st_mtim;
    k->read_at = time(NULL);
    k->used = ++kh_clock;
    return k;
}

static int size_cmp(const void *x, const void *y)
{
    size_t a = *(const size_t *)x, b = *(const size_t *)y;
    return a < b ? -1 : a > b;
}

static int add_entry(na_kh_result *res, const kh_line *l, const char *file, unsigned line,
                     bool matched, na_err *err)
{
    size_t len = 0;
    unsigned char *blob = b64_decode(l->b64, l->b64_len, &len);
    char inner[64];
    if (!blob)
        return 0; /* not base64: a line OpenSSH skips too */
    if (na_kh_blob_type(blob, len, inner, sizeof inner) < 0 || strlen(inner) != l->type_len ||
        memcmp(inner, l->type, l->type_len)) {
        free(blob); /* the key inside is not of the type the line says */
        return 0;
    }
    na_kh_entry *nv = realloc(res->v, (res->n + 1) * sizeof *nv);
    if (!nv) {
        free(blob);
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    }
    res->v = nv;
    na_kh_entry *e = &res->v[res->n++];
    memset(e, 0, sizeof *e);
    e->marker = l->marker;
    memcpy(e->type, l->type, l->type_len);
    e->blob = blob;
    e->len = len;
    e->file = file;
    e->line = line;
    e->host_matched = matched;
    return 0;
}

static int lookup_file(kh_file *k, const char *file, const char *name, na_kh_result *res,
                       na_err *err)
{
    size_t nl = strlen(name), lo = 0, hi = k->nnames;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (name_cmp_n(k->names[mid].name, k->names[mid].len, name, nl) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t nmatch = 0;
    while (lo + nmatch < k->nnames &&
           !name_cmp_n(k->names[lo + nmatch].name, k->names[lo + nmatch].len, name, nl))
        nmatch++;
    size_t n = nmatch + k->ngeneric;
    size_t *pick = malloc((n ? n : 1) * sizeof *pick);
    if (!pick)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    for (size_t i = 0; i < nmatch; i++)
        pick[i] = k->names[lo + i].line;
    memcpy(pick + nmatch, k->generic, k->ngeneric * sizeof *pick);
    qsort(pick, n, sizeof *pick, size_cmp); /* file order */
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (i && pick[i] == pick[i - 1])
            continue;
        size_t li = pick[i];
        kh_line l;
        if (parse_line(k->lines[li], k->lens[li], &l) < 0)
            continue;
        int m = na_kh_match_hosts(l.hosts, l.hosts_len, name);
        if (m == 1 || l.marker == NA_KH_REVOKED)
            rc = add_entry(res, &l, file, k->lineno[li], m == 1, err);
    }
    free(pick);
    return rc;
}

int na_kh_lookup(const char *const *files, size_t nfiles, const char *name, na_kh_result *res,
                 na_err *err)
{
    memset(res, 0, sizeof *res);
    res->files = calloc(nfiles ? nfiles : 1, sizeof *res->files);
    if (!res->files)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    int rc = 0;
    pthread_mutex_lock(&kh_lock);
    for (size_t i = 0; rc == 0 && i < nfiles; i++) {
        if (!(res->files[i] = strdup(files[i]))) {
            rc = na_err_set(err, NA_E_NOMEM, "out of memory");
            break;
        }
        res->nfiles = i + 1;
        kh_file *k = kh_get(files[i], err);
        if (!k)
            rc = -1;
        else if (!k->missing)
            rc = lookup_file(k, res->files[i], name, res, err);
    }
    pthread_mutex_unlock(&kh_lock);
    return rc;
}

void na_kh_result_free(na_kh_result *res)
{
    if (!res)
        return;
    for (size_t i = 0; i < res->n; i++)
        free(res->v[i].blob);
    for (size_t i = 0; i < res->nfiles; i++)
        free(res->files[i]);
    free(res->v);
    free(res->files);
    memset(res, 0, sizeof *res);
}

/* ---- appending --------------------------------------------------------------------------- */

static int mkdirs(const char *path, na_err *err)
{
    char dir[4096];
    if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir)
        return na_err_set(err, NA_E_IO, "known_hosts path too long: %.80s...", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0;
    *slash = '\0';
    for (char *p = dir + 1;; p++) {
        if (*p && *p != '/')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
            return na_err_set(err, NA_E_IO, "cannot create directory %s: %s", dir,
                              strerror(errno));
        *p = c;
        if (!c)
            return 0;
    }
}

int na_kh_append(const char *path, const char *name, const char *type, const unsigned char *blob,
                 size_t len, const char *comment, na_err *err)
{
    if (mkdirs(path, err) < 0)
        return -1;
    size_t b64cap = (len + 2) / 3 * 4 + 1;
    size_t cap = strlen(name) + strlen(type) + b64cap + strlen(comment) + 8;
    char *buf = malloc(cap);
    if (!buf)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600); /* read: the last byte */
    if (fd < 0) {
        free(buf);
        return na_err_set(err, NA_E_IO, "cannot write known_hosts file %s: %s", path,
                          strerror(errno));
    }
    size_t k = 0;
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_size > 0) {
        char last = '\n';
        if (pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n')
            buf[k++] = '\n'; /* the previous last line was not terminated */
    }
    k += (size_t)snprintf(buf + k, cap - k, "%s %s ", name, type);
    k += (size_t)EVP_EncodeBlock((unsigned char *)buf + k, blob, (int)len);
    k += (size_t)snprintf(buf + k, cap - k, "%s%s\n", *comment ? " " : "", comment);
    ssize_t w = write(fd, buf, k); /* one write: O_APPEND keeps concurrent lines whole */
    int e = errno;
    close(fd);
    free(buf);
    if (w != (ssize_t)k)
        return na_err_set(err, NA_E_IO, "cannot write known_hosts file %s: %s", path,
                          w < 0 ? strerror(e) : "short write");
    return 0;
}
