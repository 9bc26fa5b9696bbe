/* digest.h — file checksums as devices print them: MD5, SHA-256 and SHA-512 (OpenSSL's EVP),
 * streamed in pieces so a file is never read whole into memory, with lower-case hex output; and
 * the hash of a whole local file, remembered per file identity (device, inode, size, times) so
 * sending one image to a thousand devices reads it once. Not a secure-comparison or HMAC
 * facility, and not a parser of device output (drivers/platform_files.c does that). */
#ifndef NA_DIGEST_H
#define NA_DIGEST_H

#include "err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    NA_HASH_NONE = 0,
    NA_HASH_MD5,
    NA_HASH_SHA256,
    NA_HASH_SHA512,
    NA_HASH__COUNT
} na_hash_alg;

/* Longest hex digest (SHA-512) plus the NUL. */
#define NA_HASH_HEX_MAX 129

const char *na_hash_name(na_hash_alg a);      /* "md5", "sha256", "sha512", "none" */
/* "md5", "sha256", "sha512", "none" (case-insensitive; "sha-256" and "sha-512" too) -> alg.
 * 0, or -1 when unknown. */
int na_hash_parse(const char *s, na_hash_alg *out);
size_t na_hash_hexlen(na_hash_alg a);          /* 32, 64, 128; 0 for none */

/* A digest in progress. Zero-initialised is "not started"; na_hash_free is always safe. */
typedef struct na_hash {
    na_hash_alg alg;
    void *ctx;          /* EVP_MD_CTX */
    uint64_t bytes;     /* fed so far */
} na_hash;

int na_hash_init(na_hash *h, na_hash_alg a, na_err *err) NA_MUST_CHECK;
void na_hash_update(na_hash *h, const void *p, size_t n);
/* Finish into hex (cap >= na_hash_hexlen + 1) and release the context. 0 or -1 + err. */
int na_hash_final_hex(na_hash *h, char *hex, size_t cap, na_err *err) NA_MUST_CHECK;
void na_hash_free(na_hash *h);

/* The digest of bytes in memory, as hex. 0 or -1 + err. */
int na_hash_mem(na_hash_alg a, const void *p, size_t n, char *hex, size_t cap,
                na_err *err) NA_MUST_CHECK;

/* The digest of a regular local file, read in 1 MiB pieces. A result is remembered (64 files,
 * thread-safe) and reused while the file's device, inode, size, modification and change times
 * stay the same; a file that changes while it is read is an error (NA_E_IO). *size gets the
 * file's size when size is not NULL. 0 or -1 + err (NA_E_IO naming the path). */
int na_hash_file(const char *path, na_hash_alg a, char *hex, size_t cap, uint64_t *size,
                 na_err *err) NA_MUST_CHECK;
/* Remember a digest computed elsewhere (while the file was written) for the file's current
 * version, so na_hash_file answers without reading it. 0, or -1 when the file cannot be
 * stat'ed or hex is not a digest of a. */
int na_hash_file_remember(const char *path, na_hash_alg a, const char *hex);
/* Forget every remembered file digest (tests). */
void na_hash_file_cache_clear(void);

/* Is s exactly a lower- or upper-case hex digest of algorithm a's length? */
bool na_hash_hex_ok(na_hash_alg a, const char *s, size_t n);

#endif
