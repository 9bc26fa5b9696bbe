/* strv.h — a growable vector of owned C strings, used for command lists, config lines and
 * arguments that the playbook layer hands to the runner. Bounded by NA_STRV_MAX entries. Not a
 * general container. */
#ifndef NA_STRV_H
#define NA_STRV_H

#include "err.h"

#include <stddef.h>

#define NA_STRV_MAX ((size_t)1 << 20)

typedef struct na_strv {
    char **v;   /* v[0..n) owned strings; v[n] == NULL when v != NULL */
    size_t n;
    size_t cap;
} na_strv;

#define NA_STRV_INIT {NULL, 0, 0}

/* Append a copy of s (or of s[0..len) for _n). 0 ok, -1 on NOMEM/OVERFLOW. */
int na_strv_push(na_strv *sv, const char *s, na_err *err) NA_MUST_CHECK;
int na_strv_pushn(na_strv *sv, const char *s, size_t len, na_err *err) NA_MUST_CHECK;
/* Append s and take ownership of it (freed on failure too). */
int na_strv_push_owned(na_strv *sv, char *s, na_err *err) NA_MUST_CHECK;
/* Free every string and the array; sv becomes empty. */
void na_strv_free(na_strv *sv);

#endif
