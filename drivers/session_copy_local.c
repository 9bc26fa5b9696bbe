/* session_copy_local.c — the local side of a verified file copy (session_copy_int.h): the
 * source's digest and the part file's name for a put, the hidden part file and the directory of
 * a get (checked at the start, made only when the bytes are about to move, removed again when
 * the get fails). Not the device's side or the transfer (session_copy.c). */
#include "session_copy_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* get: the directory the file goes into. make false: checked (each existing part a directory,
 * the first missing one creatable: its parent writable), nothing made, so a host that fails
 * before its bytes move leaves nothing; make true: made, the top-most one made remembered. */
int na_sess_cp_local_dir(na_copy *c, bool make, na_err *err)
{
    const char *slash = strrchr(c->local, '/');
    size_t dl = slash ? (size_t)(slash - c->local) : 0;
    if (!dl)
        return 0;
    char d[4096];
    if (dl >= sizeof d)
        return na_err_set(err, NA_E_USAGE, "%s: the local path %s is too long", cp_who(c),
                          c->local);
    snprintf(d, sizeof d, "%.*s", (int)dl, c->local);
    for (char *p = d + 1;; p++) {
        char ch = *p;
        if (ch != '/' && ch != '\0')
            continue;
        *p = '\0';
        struct stat st;
        if (stat(d, &st) == 0) {
            if (!S_ISDIR(st.st_mode))
                return na_err_set(err, NA_E_IO, "%s: cannot create %s: %s", cp_who(c), d,
                                  strerror(ENOTDIR));
        } else if (errno != ENOENT) {
            return na_err_set(err, NA_E_IO, "%s: cannot create %s: %s", cp_who(c), d,
                              strerror(errno));
        } else if (!make) {
            char parent[4096];
            char *ps = strrchr(d, '/');
            snprintf(parent, sizeof parent, "%.*s", ps ? (ps == d ? 1 : (int)(ps - d)) : 1,
                     ps ? d : ".");
            if (access(parent, W_OK | X_OK) < 0)
                return na_err_set(err, NA_E_IO, "%s: cannot create %s: %s", cp_who(c), d,
                                  strerror(errno));
            return 0;
        } else if (mkdir(d, 0755) < 0 && errno != EEXIST) {
            return na_err_set(err, NA_E_IO, "%s: cannot create %s: %s", cp_who(c), d,
                              strerror(errno));
        } else if (!c->made_dir && !(c->made_dir = strdup(d))) {
            return na_err_set(err, NA_E_NOMEM, "out of memory");
        }
        *p = ch;
        if (!ch)
            return 0;
    }
}

/* A failed get: the directories it made go again, deepest first, while empty (another host's
 * file in one of them keeps it). */
void na_sess_cp_unmake_dir(na_copy *c)
{
    if (!c->made_dir)
        return;
    size_t top = strlen(c->made_dir);
    const char *slash = strrchr(c->local, '/');
    char d[4096];
    snprintf(d, sizeof d, "%.*s", slash ? (int)(slash - c->local) : 0, c->local);
    while (strlen(d) >= top && rmdir(d) == 0) {
        char *ps = strrchr(d, '/');
        if (!ps)
            break;
        *ps = '\0';
    }
    free(c->made_dir);
    c->made_dir = NULL;
}

/* put: digest and size of the source; the part file's name. get: the local directory. */
int na_sess_cp_local_side(na_copy *c, na_err *err)
{
    if (c->o.dir == NA_COPY_PUT) {
        struct stat st;
        if (stat(c->local, &st) < 0)
            return na_err_set(err, NA_E_IO, "%s: cannot send %s: %s", cp_who(c), c->local,
                              strerror(errno));
        if (!S_ISREG(st.st_mode))
            return na_err_set(err, NA_E_IO, "%s: cannot send %s: not a regular file", cp_who(c),
                              c->local);
        c->r.size = (uint64_t)st.st_size;
        char tag[9];
        if (c->alg != NA_HASH_NONE) {
            if (na_hash_file(c->local, c->alg, c->r.digest, sizeof c->r.digest, &c->r.size,
                             err) < 0)
                return na_err_prefix(err, "%s: ", cp_who(c)), -1;
            snprintf(tag, sizeof tag, "%.8s", c->r.digest);
        } else {
            uint64_t id = (uint64_t)st.st_size * 0x9e3779b97f4a7c15ull ^
                          (uint64_t)st.st_mtim.tv_sec * 1000000007ull ^
                          (uint64_t)st.st_mtim.tv_nsec;
            snprintf(tag, sizeof tag, "%08" PRIx32, (uint32_t)(id ^ (id >> 32)));
        }
        size_t n = strlen(c->remote) + 24;
        if (!(c->part = malloc(n)))
            return na_err_set(err, NA_E_NOMEM, "out of memory");
        snprintf(c->part, n, "%s.netauto-%s", c->remote, tag);
        return 0;
    }
    /* get: the part file is hidden next to the destination; the directory is made when the
     * bytes are about to move (start_xfer), only checked now */
    char *slash = strrchr(c->local, '/');
    const char *base = slash ? slash + 1 : c->local;
    if (!*base)
        return na_err_set(err, NA_E_USAGE, "%s: '%s' names no local file", cp_who(c), c->local);
    size_t dl = slash ? (size_t)(slash - c->local) : 0;
    if (na_sess_cp_local_dir(c, false, err) < 0)
        return -1;
    /* hidden, and this host's own: several hosts may fetch files of one name into one place */
    char host[64];
    size_t k = 0;
    for (const char *p = cp_who(c); *p && k < sizeof host - 1; p++)
        host[k++] = (char)((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                                   (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'
                               ? *p
                               : '_');
    host[k] = '\0';
    size_t n = strlen(c->local) + strlen(host) + 48;
    if (!(c->part = malloc(n)))
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    snprintf(c->part, n, "%.*s%s.%s.netauto-%ld-%s.part", (int)dl, c->local, dl ? "/" : "", base,
             (long)getpid(), host);
    if (c->alg == NA_HASH_NONE && !c->o.overwrite && access(c->local, F_OK) == 0)
        return na_err_set(err, NA_E_IO, "%s: %s exists: give overwrite to replace it (without "
                          "digests there is no telling whether it is the same file)", cp_who(c),
                          c->local);
    return 0;
}
