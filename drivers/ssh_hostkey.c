/* ssh_hostkey.c — the device's host key against known_hosts (libssh2_knownhost_*) under the
 * strict / accept-new / off policies: OpenSSH-style SHA256 fingerprints, "[host]:port" entries
 * for ports other than 22 (matched exactly, as OpenSSH does), new keys appended to the file
 * (created 0600, its directory 0700), and messages that say what to do. The file is read once
 * per process and cached (indexed by host name: see "known_hosts cache"), and lines are handed to
 * libssh2 one by one so one line it cannot parse (@cert-authority, @revoked, unknown key types)
 * is skipped instead of ending the read. Not the key exchange (libssh2) nor algorithm choice. */
#include "ssh.h"
#include "ssh_int.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int fp_of_hash(const unsigned char *h, char *out, size_t cap)
{
    unsigned char b64[64];
    int n = EVP_EncodeBlock(b64, h, 32);
    while (n > 0 && b64[n - 1] == '=')
        n--;
    if (cap < (size_t)n + 8)
        return -1;
    snprintf(out, cap, "SHA256:%.*s", n, (const char *)b64);
    return 0;
}

int na_ssh_fingerprint(const void *key, size_t len, char *out, size_t cap)
{
    unsigned char h[EVP_MAX_MD_SIZE];
    unsigned int hl = 0;
    if (!EVP_Digest(key, len, h, &hl, EVP_sha256(), NULL) || hl != 32)
        return -1;
    return fp_of_hash(h, out, cap);
}

/* Fingerprint of a base64 key blob as stored in known_hosts. */
static int fp_of_b64(const char *b64, char *out, size_t cap)
{
    size_t n = strlen(b64);
    unsigned char *raw = malloc(n / 4 * 3 + 4);
    if (!raw)
        return -1;
    int r = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)n);
    if (r < 0) {
        free(raw);
        return -1;
    }
    size_t len = (size_t)r;
    /* EVP_DecodeBlock counts padding as zero bytes */
    for (size_t i = n; i > 0 && b64[i - 1] == '='; i--)
        len--;
    int rc = na_ssh_fingerprint(raw, len, out, cap);
    free(raw);
    return rc;
}

/* Process-wide set of strings, to warn once per host and to record a key once. */
#define SEEN_MAX 1024
static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static char *seen[SEEN_MAX];
static int nseen;

/* true the first time `s` is seen */
static bool first_time(const char *s)
{
    bool first = true;
    pthread_mutex_lock(&seen_lock);
    for (int i = 0; i < nseen; i++)
        if (!strcmp(seen[i], s)) {
            first = false;
            break;
        }
    if (first && nseen < SEEN_MAX) {
        char *d = strdup(s);
        if (d)
            seen[nseen++] = d;
    }
    pthread_mutex_unlock(&seen_lock);
    return first;
}

static int key_bits(int type, const char **name)
{
    switch (type) {
    case LIBSSH2_HOSTKEY_TYPE_RSA: *name = "ssh-rsa"; return LIBSSH2_KNOWNHOST_KEY_SSHRSA;
    case LIBSSH2_HOSTKEY_TYPE_DSS: *name = "ssh-dss"; return LIBSSH2_KNOWNHOST_KEY_SSHDSS;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_256:
        *name = "ecdsa-sha2-nistp256";
        return LIBSSH2_KNOWNHOST_KEY_ECDSA_256;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_384:
        *name = "ecdsa-sha2-nistp384";
        return LIBSSH2_KNOWNHOST_KEY_ECDSA_384;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_521:
        *name = "ecdsa-sha2-nistp521";
        return LIBSSH2_KNOWNHOST_KEY_ECDSA_521;
    case LIBSSH2_HOSTKEY_TYPE_ED25519: *name = "ssh-ed25519"; return LIBSSH2_KNOWNHOST_KEY_ED25519;
    default: *name = "unknown"; return 0;
    }
}

static int known_hosts_path(const ssh_conn *c, char *out, size_t cap, na_err *err)
{
    if (c->p->known_hosts && *c->p->known_hosts) {
        snprintf(out, cap, "%s", c->p->known_hosts);
        return 0;
    }
    const char *home = getenv("HOME");
    if (!home || !*home) {
        struct passwd pw, *res = NULL;
        char buf[4096];
        if (getpwuid_r(getuid(), &pw, buf, sizeof buf, &res) == 0 && res)
            home = res->pw_dir;
    }
    if (!home || !*home)
        return na_err_set(err, NA_E_CONFIG, "%s: no known_hosts file given and no home "
                          "directory to find ~/.ssh/known_hosts", c->who);
    snprintf(out, cap, "%s/.ssh/known_hosts", home);
    return 0;
}

/* An "@revoked PATTERNS TYPE BASE64" line whose key is `b64`? Host patterns are not matched:
 * a revoked key is refused for every host. */
static bool revoked_line(const char *line, const char *b64)
{
    char marker[16], type[64];
    int pos = 0;
    if (sscanf(line, " %15s %*s %63s %n", marker, type, &pos) < 2 || strcmp(marker, "@revoked") ||
        pos <= 0)
        return false;
    size_t n = strcspn(line + pos, " \t\r\n");
    return n == strlen(b64) && !memcmp(line + pos, b64, n);
}

/* ---- known_hosts cache -----------------------------------------------------------------------
 * Every session checks its key against the same file, and a fleet's file has a line per device:
 * parsing the whole file per session made N sessions cost N x N lines. The file is read once per
 * process (again when its inode, size or mtime change, as when accept-new appends), its lines
 * indexed by the host names they list, and a session hands libssh2 only the lines that can match
 * its host: those naming it, plus every line no index can rule out (hashed names, wildcards and
 * negations, @markers). libssh2 still parses and decides; the answer is the same as with the
 * whole file. */

typedef struct kh_name {
    const char *name; /* into the cached text, not NUL-terminated: len bytes */
    size_t len;
    size_t line;      /* index into lines */
} kh_name;

typedef struct kh_cache {
    char *path;
    bool missing;     /* the file did not exist */
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    time_t read_at;   /* wall clock when read */
    char *text;       /* the whole file */
    char **lines;     /* non-blank, non-comment lines, newline included */
    size_t *lens;
    size_t nlines;
    kh_name *names;   /* sorted, case-insensitively */
    size_t nnames;
    size_t *generic;  /* lines that may match any host (ascending) */
    size_t ngeneric;
} kh_cache;

static pthread_mutex_t kh_lock = PTHREAD_MUTEX_INITIALIZER;
static kh_cache kh_c; /* one file: the fleet's (the last one used) */

static void kh_clear(kh_cache *k)
{
    free(k->path);
    free(k->text);
    free(k->lines);
    free(k->lens);
    free(k->names);
    free(k->generic);
    memset(k, 0, sizeof *k);
}

static int kh_name_cmp_n(const char *a, size_t al, const char *b, size_t bl)
{
    size_t n = al < bl ? al : bl;
    int r = strncasecmp(a, b, n);
    return r ? r : (al < bl ? -1 : al > bl);
}

static int kh_name_cmp(const void *x, const void *y)
{
    const kh_name *a = x, *b = y;
    int r = kh_name_cmp_n(a->name, a->len, b->name, b->len);
    return r ? r : (a->line < b->line ? -1 : a->line > b->line);
}

/* Split the text into lines and index them. -1 on out of memory. */
static int kh_index(kh_cache *k, size_t size)
{
    size_t cap = 1;
    for (size_t i = 0; i < size; i++)
        cap += k->text[i] == '\n';
    k->lines = malloc(cap * sizeof *k->lines);
    k->lens = malloc(cap * sizeof *k->lens);
    k->generic = malloc(cap * sizeof *k->generic);
    size_t ncap = cap * 2, nn = 0;
    k->names = malloc(ncap * sizeof *k->names);
    if (!k->lines || !k->lens || !k->generic || !k->names)
        return -1;
    char *p = k->text, *end = k->text + size;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
        char *line = p;
        p += len;
        const char *q = line;
        while (q < line + len && (*q == ' ' || *q == '\t'))
            q++;
        if (q == line + len || *q == '#' || *q == '\n' || *q == '\r')
            continue;
        size_t li = k->nlines++;
        k->lines[li] = line;
        k->lens[li] = len;
        size_t hl = strcspn(q, " \t\r\n");
        if (hl > (size_t)(line + len - q))
            hl = (size_t)(line + len - q);
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
    qsort(k->names, nn, sizeof *k->names, kh_name_cmp);
    return 0;
}

/* Make the cache hold `path` as it is now. Called with kh_lock held. */
static int kh_refresh(const ssh_conn *c, const char *path, na_err *err)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        if (errno != ENOENT)
            return na_err_set(err, NA_E_IO, "%s: cannot read known_hosts file %s: %s", c->who,
                              path, strerror(errno));
        if (!kh_c.path || strcmp(kh_c.path, path) || !kh_c.missing) {
            kh_clear(&kh_c);
            if (!(kh_c.path = strdup(path)))
                return na_err_set(err, NA_E_NOMEM, "out of memory");
            kh_c.missing = true;
        }
        return 0;
    }
    /* Unchanged: same inode, size and mtime -- unless the mtime is within a second of when the
     * file was read: a rewrite of the same size within the file system's timestamp granularity
     * would look the same, so such a "racy" file is read again (as git does with its index). */
    if (kh_c.path && !strcmp(kh_c.path, path) && !kh_c.missing && kh_c.dev == st.st_dev &&
        kh_c.ino == st.st_ino && kh_c.size == st.st_size &&
        kh_c.mtime.tv_sec == st.st_mtim.tv_sec && kh_c.mtime.tv_nsec == st.st_mtim.tv_nsec &&
        st.st_mtim.tv_sec + 1 < kh_c.read_at)
        return 0;
    kh_clear(&kh_c);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return na_err_set(err, NA_E_IO, "%s: cannot read known_hosts file %s: %s", c->who,
                          path, strerror(e));
    }
    size_t size = (size_t)st.st_size, got = 0;
    kh_c.path = strdup(path);
    kh_c.text = malloc(size + 1);
    while (kh_c.text && got < size) {
        ssize_t r = read(fd, kh_c.text + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (!kh_c.path || !kh_c.text) {
        kh_clear(&kh_c);
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    }
    kh_c.text[got] = '\0';
    if (kh_index(&kh_c, got) < 0) {
        kh_clear(&kh_c);
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    }
    kh_c.dev = st.st_dev;
    kh_c.ino = st.st_ino;
    kh_c.size = (off_t)got;
    kh_c.mtime = st.st_mtim;
    kh_c.read_at = time(NULL);
    return 0;
}

static int size_cmp(const void *x, const void *y)
{
    size_t a = *(const size_t *)x, b = *(const size_t *)y;
    return a < b ? -1 : a > b;
}

/* Feed one cached line to libssh2 (it wants the text; lines are not NUL-terminated). */
static void feed(const ssh_conn *c, LIBSSH2_KNOWNHOSTS *kh, const char *path, size_t li,
                 const char *b64, bool *revoked, int *skipped)
{
    char stack[1024], *line = stack;
    size_t n = kh_c.lens[li];
    if (n >= sizeof stack && !(line = malloc(n + 1)))
        return;
    memcpy(line, kh_c.lines[li], n);
    line[n] = '\0';
    if (strstr(line, "@revoked")) {
        if (revoked_line(line, b64))
            *revoked = true;
    } else if (libssh2_knownhost_readline(kh, line, n, LIBSSH2_KNOWNHOST_FILE_OPENSSH)) {
        if (!(*skipped)++)
            NA_LOGD(c->who, "known_hosts %s: a line for this host not understood, skipped", path);
    }
    if (line != stack)
        free(line);
}

/* Load into kh the lines of the file that can match `hoststr`. A missing file is an empty one.
 * *revoked is set when an @revoked line names the presented key (b64). */
static int load(const ssh_conn *c, LIBSSH2_KNOWNHOSTS *kh, const char *path, const char *hoststr,
                const char *b64, bool *revoked, na_err *err)
{
    pthread_mutex_lock(&kh_lock);
    int rc = kh_refresh(c, path, err);
    if (rc < 0 || kh_c.missing) {
        pthread_mutex_unlock(&kh_lock);
        return rc;
    }
    /* the lines naming the host (a range of the sorted names), merged with the generic ones */
    size_t hl = strlen(hoststr), lo = 0, hi = kh_c.nnames;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (kh_name_cmp_n(kh_c.names[mid].name, kh_c.names[mid].len, hoststr, hl) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t nmatch = 0;
    while (lo + nmatch < kh_c.nnames &&
           !kh_name_cmp_n(kh_c.names[lo + nmatch].name, kh_c.names[lo + nmatch].len, hoststr, hl))
        nmatch++;
    size_t n = nmatch + kh_c.ngeneric;
    size_t *pick = malloc((n ? n : 1) * sizeof *pick);
    if (!pick) {
        pthread_mutex_unlock(&kh_lock);
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < nmatch; i++)
        pick[i] = kh_c.names[lo + i].line;
    memcpy(pick + nmatch, kh_c.generic, kh_c.ngeneric * sizeof *pick);
    qsort(pick, n, sizeof *pick, size_cmp); /* file order, as a full read would have it */
    int skipped = 0;
    for (size_t i = 0; i < n; i++)
        if (!i || pick[i] != pick[i - 1])
            feed(c, kh, path, pick[i], b64, revoked, &skipped);
    free(pick);
    pthread_mutex_unlock(&kh_lock);
    return 0;
}

/* Append one line, creating the directory (0700) and file (0600) if needed. */
static int append_line(const ssh_conn *c, const char *path, const char *line, size_t len,
                       na_err *err)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        /* mkdir -p */
        for (char *p = dir + 1; *p; p++) {
            if (*p != '/')
                continue;
            *p = '\0';
            if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return na_err_set(err, NA_E_IO, "%s: cannot create directory %s: %s", c->who,
                                  dir, strerror(errno));
            *p = '/';
        }
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
            return na_err_set(err, NA_E_IO, "%s: cannot create directory %s: %s", c->who, dir,
                              strerror(errno));
    }
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return na_err_set(err, NA_E_IO, "%s: cannot write known_hosts file %s: %s", c->who,
                          path, strerror(errno));
    /* make sure the previous last line is terminated */
    char buf[1200];
    size_t k = 0;
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_size > 0) {
        char last = '\n';
        if (pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n')
            buf[k++] = '\n';
    }
    if (len + k > sizeof buf) {
        close(fd);
        return na_err_set(err, NA_E_INTERNAL, "%s: known_hosts line too long", c->who);
    }
    memcpy(buf + k, line, len);
    k += len;
    ssize_t w = write(fd, buf, k); /* one write: O_APPEND keeps concurrent lines whole */
    int e = errno;
    close(fd);
    if (w != (ssize_t)k)
        return na_err_set(err, NA_E_IO, "%s: cannot write known_hosts file %s: %s", c->who,
                          path, w < 0 ? strerror(e) : "short write");
    return 0;
}

static int record(ssh_conn *c, LIBSSH2_KNOWNHOSTS *kh, const char *path, const char *hoststr,
                  const char *key, size_t len, int bits, na_err *err)
{
    struct libssh2_knownhost *entry = NULL;
    static const char comment[] = "added by netauto";
    if (libssh2_knownhost_addc(kh, hoststr, NULL, key, len, comment, sizeof comment - 1,
                               LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | bits,
                               &entry))
        return na_err_set(err, NA_E_INTERNAL, "%s: cannot add the host key: %s", c->who,
                          ssh_last_error(c->sess));
    char line[1100];
    size_t outlen = 0;
    if (libssh2_knownhost_writeline(kh, entry, line, sizeof line, &outlen,
                                    LIBSSH2_KNOWNHOST_FILE_OPENSSH))
        return na_err_set(err, NA_E_INTERNAL, "%s: cannot format the known_hosts line: %s",
                          c->who, ssh_last_error(c->sess));
    char tag[1400];
    snprintf(tag, sizeof tag, "rec %s %s %.*s", path, c->t.info.host_key_fp, (int)outlen, line);
    if (!first_time(tag))
        return 0; /* another session of this process recorded it already */
    if (append_line(c, path, line, outlen, err) < 0)
        return -1;
    NA_LOGI(c->who, "host key %s %s recorded in %s (host_key_policy accept-new)",
            c->t.info.host_key_type, c->t.info.host_key_fp, path);
    return 0;
}

int ssh_hostkey_check(ssh_conn *c, na_err *err)
{
    size_t len = 0;
    int type = 0;
    const char *key = libssh2_session_hostkey(c->sess, &len, &type);
    if (!key || !len)
        return na_err_set(err, NA_E_PROTOCOL, "%s: the device presented no host key", c->who);
    const char *hash = libssh2_hostkey_hash(c->sess, LIBSSH2_HOSTKEY_HASH_SHA256);
    char fp[96];
    if (!hash || fp_of_hash((const unsigned char *)hash, fp, sizeof fp) < 0)
        return na_err_set(err, NA_E_INTERNAL, "%s: cannot compute the host key fingerprint",
                          c->who);
    const char *tname;
    int bits = key_bits(type, &tname);
    snprintf(c->t.info.host_key_fp, sizeof c->t.info.host_key_fp, "%s", fp);
    if (!c->t.info.host_key_type[0])
        snprintf(c->t.info.host_key_type, sizeof c->t.info.host_key_type, "%s", tname);

    const char *host = c->p->host;
    char bare[256];
    size_t hl = strlen(host);
    if (hl > 2 && host[0] == '[' && host[hl - 1] == ']' && hl < sizeof bare) {
        memcpy(bare, host + 1, hl - 2);
        bare[hl - 2] = '\0';
        host = bare;
    }
    int port = c->p->port > 0 ? c->p->port : 22;
    char hoststr[300];
    if (port == 22)
        snprintf(hoststr, sizeof hoststr, "%s", host);
    else
        snprintf(hoststr, sizeof hoststr, "[%s]:%d", host, port);

    if (c->p->host_key_policy == NA_HOSTKEY_OFF) {
        /* once per host: per inventory name and address, so a second name for the same
         * device, or a host reached through a jump host, is warned about too */
        char tag[700];
        snprintf(tag, sizeof tag, "off %s %s", c->who, hoststr);
        if (first_time(tag))
            NA_LOGW(c->who, "HOST KEY NOT VERIFIED (host_key_policy off): accepting %s %s from "
                    "%s without checking; anyone in the path could be impersonating it",
                    tname, fp, hoststr);
        return 0;
    }
    if (!bits)
        return na_err_set(err, NA_E_PROTOCOL, "%s: unsupported host key type %d", c->who, type);

    char path[1024];
    if (known_hosts_path(c, path, sizeof path, err) < 0)
        return -1;
    LIBSSH2_KNOWNHOSTS *kh = libssh2_knownhost_init(c->sess);
    if (!kh)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    int rc = -1;
    bool revoked = false;
    char *b64 = malloc(len / 3 * 4 + 8);
    if (!b64) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        goto out;
    }
    EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)key, (int)len);
    int loaded = load(c, kh, path, hoststr, b64, &revoked, err);
    free(b64);
    if (loaded < 0)
        goto out;
    if (revoked) {
        na_err_set(err, NA_E_HOSTKEY_CHANGED, "%s: the %s host key %s of %s is marked @revoked in "
                   "%s: refusing to connect", c->who, tname, fp, hoststr, path);
        goto out;
    }
    struct libssh2_knownhost *found = NULL;
    int r = libssh2_knownhost_check(kh, hoststr, key, len,
                                    LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW |
                                        bits,
                                    &found);
    switch (r) {
    case LIBSSH2_KNOWNHOST_CHECK_MATCH:
        rc = 0;
        break;
    case LIBSSH2_KNOWNHOST_CHECK_MISMATCH: {
        char old[96] = "(unreadable)";
        if (found && found->key)
            fp_of_b64(found->key, old, sizeof old);
        na_err_set(err, NA_E_HOSTKEY_CHANGED,
                   "%s: the %s host key of %s has CHANGED: recorded %s, presented %s. Someone "
                   "may be intercepting the connection, or the device was replaced or "
                   "re-keyed. If the change is expected, remove the old key (ssh-keygen -R "
                   "'%s' -f %s) and connect again", c->who, tname, hoststr, old, fp, hoststr,
                   path);
        break;
    }
    case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND:
        if (c->p->host_key_policy == NA_HOSTKEY_ACCEPT_NEW) {
            rc = record(c, kh, path, hoststr, key, len, bits, err);
            break;
        }
        {
            /* any key of another type recorded for the host? */
            int other = libssh2_knownhost_check(kh, hoststr, key, len,
                                                LIBSSH2_KNOWNHOST_TYPE_PLAIN |
                                                    LIBSSH2_KNOWNHOST_KEYENC_RAW,
                                                NULL);
            na_err_set(err, NA_E_HOSTKEY_UNKNOWN,
                       "%s: the host key of %s is not known: %s %s%s. Check this fingerprint "
                       "against the device's own key, then accept it: set host_key_policy: "
                       "accept-new for this host to record it in %s, or add it yourself "
                       "(ssh-keyscan -p %d %s >> %s)",
                       c->who, hoststr, tname, fp,
                       other == LIBSSH2_KNOWNHOST_CHECK_MISMATCH
                           ? " (only keys of another type are recorded for it)"
                           : "",
                       path, port, host, path);
        }
        break;
    default:
        na_err_set(err, NA_E_INTERNAL, "%s: known_hosts check failed: %s", c->who,
                   ssh_last_error(c->sess));
    }
out:
    libssh2_knownhost_free(kh);
    return rc;
}
