/* buf.h — a growable byte buffer with a hard ceiling. Every buffer in netauto is one of these,
 * so "output exceeded N bytes" is a clear error instead of unbounded memory. Not a ring buffer:
 * consuming from the front moves the remaining bytes down. */
#ifndef NA_BUF_H
#define NA_BUF_H

#include "err.h"

#include <stdarg.h>
#include <stddef.h>

typedef struct na_buf {
    char *data;   /* always NUL-terminated when data != NULL (the NUL is not counted in len) */
    size_t len;
    size_t cap;   /* allocated bytes, including room for the NUL */
    size_t max;   /* ceiling on len; appending past it fails with NA_E_OVERFLOW */
} na_buf;

/* A buffer with no allocation yet. max == 0 means the default ceiling (NA_BUF_DEFAULT_MAX). */
#define NA_BUF_DEFAULT_MAX ((size_t)64 << 20)
void na_buf_init(na_buf *b, size_t max);
void na_buf_free(na_buf *b);          /* releases memory; b can be re-initialised */
void na_buf_reset(na_buf *b);         /* len = 0, memory kept */

/* Append bytes. Fails with NA_E_OVERFLOW (naming `what` in the message) when len would pass max,
 * leaving the buffer unchanged. `what` may be NULL ("buffer"). */
int na_buf_append(na_buf *b, const void *p, size_t n, const char *what, na_err *err) NA_MUST_CHECK;
int na_buf_puts(na_buf *b, const char *s, na_err *err) NA_MUST_CHECK;
int na_buf_printf(na_buf *b, na_err *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4))) NA_MUST_CHECK;
int na_buf_vprintf(na_buf *b, na_err *err, const char *fmt, va_list ap) NA_MUST_CHECK;

/* Room to write n bytes at the end in place (e.g. straight from read(2)): returns where they go
 * (data + len), valid until the next call that may grow b; NULL + err (NA_E_OVERFLOW past max,
 * naming `what`; NA_E_NOMEM). Growing an empty buffer is one allocation (nothing to copy). Then
 * na_buf_commit() says how many of them were written. */
char *na_buf_reserve(na_buf *b, size_t n, const char *what, na_err *err) NA_MUST_CHECK;
/* The n bytes written at na_buf_reserve()'s pointer become contents (n <= what was reserved). */
void na_buf_commit(na_buf *b, size_t n);

/* The ceiling: change it (0 = NA_BUF_DEFAULT_MAX; a ceiling below len only stops appends), and
 * how many more bytes it allows. */
void na_buf_set_limit(na_buf *b, size_t max);
size_t na_buf_headroom(const na_buf *b);

/* Drop n bytes from the front (n > len drops all). */
void na_buf_consume(na_buf *b, size_t n);
/* Remove n bytes at offset off (clamped to the contents), moving the rest down. */
void na_buf_erase(na_buf *b, size_t off, size_t n);
/* Keep only the first n bytes. */
void na_buf_truncate(na_buf *b, size_t n);
/* Give memory back: when more than `above` bytes are allocated and under a quarter of them are
 * used, reallocate to fit (at least 256 bytes). Contents unchanged; a failed realloc keeps the
 * old allocation. */
void na_buf_shrink(na_buf *b, size_t above);
/* na_buf_free() for a buffer that held a secret (a password, a vault's plaintext): every
 * allocated byte is overwritten first. (Bytes a realloc left behind are not: size such buffers
 * with na_buf_reserve() before filling them.) */
void na_buf_free_wipe(na_buf *b);
/* The contents as a C string ("" for an empty, unallocated buffer). */
const char *na_buf_cstr(const na_buf *b);
/* Hand the allocation to the caller (caller frees with free()); b becomes empty. Never NULL
 * unless allocation fails. */
char *na_buf_steal(na_buf *b);

#endif
