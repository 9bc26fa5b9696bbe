/* strv.c — owned string vectors (see strv.h). Not thread-safe; one owner at a time. */
#include "strv.h"

#include <stdlib.h>
#include <string.h>

int na_strv_push_owned(na_strv *sv, char *s, na_err *err)
{
    if (!s)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    if (sv->n + 1 >= sv->cap) {
        if (sv->n + 1 >= NA_STRV_MAX) {
            free(s);
            return na_err_set(err, NA_E_OVERFLOW, "more than %zu lines", NA_STRV_MAX - 1);
        }
        size_t cap = sv->cap ? sv->cap * 2 : 8;
        char **v = realloc(sv->v, cap * sizeof *v);
        if (!v) {
            free(s);
            return na_err_set(err, NA_E_NOMEM, "out of memory");
        }
        sv->v = v;
        sv->cap = cap;
    }
    sv->v[sv->n++] = s;
    sv->v[sv->n] = NULL;
    return 0;
}

int na_strv_pushn(na_strv *sv, const char *s, size_t len, na_err *err)
{
    char *c = malloc(len + 1);
    if (c) {
        memcpy(c, s, len);
        c[len] = '\0';
    }
    return na_strv_push_owned(sv, c, err);
}

int na_strv_push(na_strv *sv, const char *s, na_err *err)
{
    return na_strv_pushn(sv, s, strlen(s), err);
}

void na_strv_free(na_strv *sv)
{
    for (size_t i = 0; i < sv->n; i++)
        free(sv->v[i]);
    free(sv->v);
    sv->v = NULL;
    sv->n = sv->cap = 0;
}
