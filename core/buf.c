/* buf.c — bounded growable buffer (see buf.h). Not thread-safe; one owner at a time. */
#include "buf.h"
#include "secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void na_buf_init(na_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max ? max : NA_BUF_DEFAULT_MAX;
}

void na_buf_free(na_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void na_buf_reset(na_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static int reserve(na_buf *b, size_t need, const char *what, na_err *err)
{
    if (need > b->max)
        return na_err_set(err, NA_E_OVERFLOW, "%s exceeded its limit of %zu bytes",
                          what ? what : "buffer", b->max);
    if (need + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need + 1)
        cap = cap > ((size_t)-1) / 2 ? need + 1 : cap * 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    char *p = realloc(b->data, cap);
    if (!p)
        return na_err_set(err, NA_E_NOMEM, "out of memory growing %s to %zu bytes",
                          what ? what : "buffer", cap);
    b->data = p;
    b->cap = cap;
    return 0;
}

int na_buf_append(na_buf *b, const void *p, size_t n, const char *what, na_err *err)
{
    if (n > b->max || b->len > b->max - n)
        return na_err_set(err, NA_E_OVERFLOW, "%s exceeded its limit of %zu bytes",
                          what ? what : "buffer", b->max);
    if (reserve(b, b->len + n, what, err) < 0)
        return -1;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int na_buf_puts(na_buf *b, const char *s, na_err *err)
{
    return na_buf_append(b, s, strlen(s), NULL, err);
}

int na_buf_vprintf(na_buf *b, na_err *err, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return na_err_set(err, NA_E_INTERNAL, "bad format string");
    if ((size_t)n > b->max || b->len > b->max - (size_t)n)
        return na_err_set(err, NA_E_OVERFLOW, "buffer exceeded its limit of %zu bytes", b->max);
    if (reserve(b, b->len + (size_t)n, NULL, err) < 0)
        return -1;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int na_buf_printf(na_buf *b, na_err *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = na_buf_vprintf(b, err, fmt, ap);
    va_end(ap);
    return r;
}

char *na_buf_reserve(na_buf *b, size_t n, const char *what, na_err *err)
{
    if (n > b->max || b->len > b->max - n) {
        na_err_set(err, NA_E_OVERFLOW, "%s exceeded its limit of %zu bytes",
                   what ? what : "buffer", b->max);
        return NULL;
    }
    if (reserve(b, b->len + n, what, err) < 0)
        return NULL;
    return b->data + b->len;
}

void na_buf_commit(na_buf *b, size_t n)
{
    if (!b->data || n > b->cap - 1 - b->len)
        return; /* more than was reserved: a caller's bug; keep the buffer consistent */
    b->len += n;
    b->data[b->len] = '\0';
}

void na_buf_set_limit(na_buf *b, size_t max)
{
    b->max = max ? max : NA_BUF_DEFAULT_MAX;
}

size_t na_buf_headroom(const na_buf *b)
{
    return b->len < b->max ? b->max - b->len : 0;
}

void na_buf_erase(na_buf *b, size_t off, size_t n)
{
    if (off >= b->len || n == 0)
        return;
    if (n > b->len - off)
        n = b->len - off;
    memmove(b->data + off, b->data + off + n, b->len - off - n);
    b->len -= n;
    b->data[b->len] = '\0';
}

void na_buf_consume(na_buf *b, size_t n)
{
    if (n >= b->len) {
        na_buf_reset(b);
        return;
    }
    na_buf_erase(b, 0, n);
}

void na_buf_shrink(na_buf *b, size_t above)
{
    if (b->cap > above && b->len < b->cap / 4) {
        size_t nc = b->len + 1 < 256 ? 256 : b->len + 1;
        char *p = realloc(b->data, nc);
        if (p) {
            b->data = p;
            b->cap = nc;
        }
    }
}

void na_buf_free_wipe(na_buf *b)
{
    if (b->data)
        na_wipe(b->data, b->cap);
    na_buf_free(b);
}

void na_buf_truncate(na_buf *b, size_t n)
{
    if (n < b->len) {
        b->len = n;
        b->data[n] = '\0';
    }
}

const char *na_buf_cstr(const na_buf *b)
{
    return b->data ? b->data : "";
}

char *na_buf_steal(na_buf *b)
{
    char *p = b->data;
    if (!p)
        p = calloc(1, 1);
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}
