/* knownhosts.h — OpenSSH known_hosts files, read the way OpenSSH reads them: which lines apply
 * to a host (plain names, comma lists, '*' and '?' wildcards, '!' negation, hashed |1| names,
 * "[host]:port" for ports other than 22, case-insensitive), their @revoked and @cert-authority
 * markers, and appending a line for a newly accepted key. Files are read once per process and
 * cached (re-read when they change); lines are indexed by the plain names they list, so a fleet
 * of N hosts does not cost N x N line parses. Not the policy (strict / accept-new / off: the
 * SSH transport's ssh_hostkey.c decides) and not libssh2's knownhost API.
 * Thread-safe. */
#ifndef NA_KNOWNHOSTS_H
#define NA_KNOWNHOSTS_H

#include "err.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum { NA_KH_KEY = 0, NA_KH_REVOKED, NA_KH_CA } na_kh_marker;

typedef struct na_kh_entry {
    na_kh_marker marker;
    char type[64];         /* key type as written ("ssh-ed25519", "ssh-rsa") */
    unsigned char *blob;   /* the decoded public key (owned by the result) */
    size_t len;
    const char *file;      /* the file it is in (owned by the result) */
    unsigned line;         /* 1-based line number */
    bool host_matched;     /* false: an @revoked line for other hosts (revoked for all) */
} na_kh_entry;

typedef struct na_kh_result {
    na_kh_entry *v;
    size_t n;
    char **files;          /* copies of the paths the entries point to */
    size_t nfiles;
} na_kh_result;

/* The lookup name OpenSSH uses: "host" for port 22, else "[host]:port"; host lowercased,
 * brackets around an IPv6 address removed first. Returns 0, or -1 if it does not fit. */
int na_kh_name(const char *host, int port, char *out, size_t cap);

/* Every line of the files (in order; a missing file is an empty one) whose host field matches
 * `name` (na_kh_name form), plus every @revoked line whatever its hosts (a revoked key is
 * refused for every host). Lines that cannot be parsed, and SSH-1 lines, are left out.
 * 0, or -1 + err (NA_E_IO: a file exists but cannot be read; NA_E_NOMEM). Free with
 * na_kh_result_free (also after a failure). */
int na_kh_lookup(const char *const *files, size_t nfiles, const char *name, na_kh_result *res,
                 na_err *err);
void na_kh_result_free(na_kh_result *res);

/* Does one host field of a known_hosts line (a comma list of patterns, or one |1|salt|hash)
 * match name? 1 yes, 0 no, -1 a negated pattern matched (never matches). */
int na_kh_match_hosts(const char *field, size_t len, const char *name);

/* Append "NAME TYPE BASE64 COMMENT\n" to path in one write (O_APPEND), creating the file (0600)
 * and its missing directories (0700); a missing newline at the end of the file is added first.
 * 0, or -1 + err (NA_E_IO). */
int na_kh_append(const char *path, const char *name, const char *type, const unsigned char *blob,
                 size_t len, const char *comment, na_err *err);

/* OpenSSH's "SHA256:<base64 without padding>" of a key blob into out (cap >= 52): 0 or -1. */
int na_kh_fingerprint(const unsigned char *blob, size_t len, char *out, size_t cap);

/* The key type inside a key blob (its first string) into out: 0, or -1 if malformed. */
int na_kh_blob_type(const unsigned char *blob, size_t len, char *out, size_t cap);

#endif
