/* tfsm_result.c — the records of a parse: their memory (a bump arena plus the input text the
 * strings point into) and their JSON forms (objects keyed by Value name, lowercased like
 * ntc-templates' parse_output when asked; or TextFSM's header + rows). Not the machine
 * (tfsm_run.c). */
#include "tfsm_int.h"
#include "utext.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct tf_block {
    struct tf_block *next;
    size_t used, cap;
    max_align_t data[];
};

void *na_tf_arena_alloc(tf_arena *a, size_t n)
{
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    if (!n)
        n = sizeof(max_align_t);
    struct tf_block *b = a->head;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > 65536 ? n : 65536;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->next = a->head;
        b->used = 0;
        b->cap = cap;
        a->head = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    a->used += n;
    return p;
}

void na_tf_arena_free(tf_arena *a)
{
    for (struct tf_block *b = a->head, *nx; b; b = nx) {
        nx = b->next;
        free(b);
    }
    a->head = NULL;
    a->used = 0;
}

void na_tfsm_result_free(na_tfsm_result *r)
{
    if (!r)
        return;
    na_tf_arena_free(&r->arena);
    for (size_t i = 0; r->header && i < r->ncols; i++) {
        free(r->header[i]);
        for (size_t k = 0; r->dict_names && r->dict_names[i] && k < r->dict_n[i]; k++)
            free(r->dict_names[i][k]);
        if (r->dict_names)
            free(r->dict_names[i]);
    }
    free(r->header);
    free(r->dict_names);
    free(r->dict_n);
    free(r->rows);
    free(r->text);
    free(r);
}

size_t na_tfsm_result_rows(const na_tfsm_result *r) { return r->nrows; }
size_t na_tfsm_result_cols(const na_tfsm_result *r) { return r->ncols; }
const char *na_tfsm_result_header(const na_tfsm_result *r, size_t col)
{
    return col < r->ncols ? r->header[col] : NULL;
}

/* ---- JSON ---------------------------------------------------------------------------------- */

static json_t *item_json(const tf_item *it)
{
    if (it->k == TI_NONE)
        return json_null();
    if (it->k == TI_STR)
        return json_stringn(it->p, it->n);
    const tf_dict *d = it->p;
    json_t *o = json_object();
    for (size_t i = 0; o && i < d->n; i++)
        if (json_object_set_new(o, d->names[i], item_json(&d->vals[i])) < 0) {
            json_decref(o);
            return NULL;
        }
    return o;
}

static json_t *cell_json(const tf_cell *c)
{
    if (c->k == TC_STR)
        return json_stringn(c->p, c->n);
    if (c->k == TC_NONE)
        return json_string("");
    const tf_item *items = c->p;
    json_t *a = json_array();
    for (size_t i = 0; a && i < c->n; i++)
        if (json_array_append_new(a, item_json(&items[i])) < 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

json_t *na_tfsm_result_json(const na_tfsm_result *r, na_tfsm_keys keys)
{
    json_t *out = json_array();
    char **names = calloc(r->ncols ? r->ncols : 1, sizeof *names);
    if (!out || !names)
        goto fail;
    for (size_t c = 0; c < r->ncols; c++) {
        names[c] = keys == NA_TFSM_KEYS_LOWER ? na_ut_lower(r->header[c], strlen(r->header[c]))
                                              : strdup(r->header[c]);
        if (!names[c])
            goto fail;
    }
    for (size_t i = 0; i < r->nrows; i++) {
        json_t *o = json_object();
        if (!o || json_array_append_new(out, o) < 0)
            goto fail;
        for (size_t c = 0; c < r->ncols; c++)
            if (json_object_set_new(o, names[c], cell_json(&r->rows[i][c])) < 0)
                goto fail;
    }
    for (size_t c = 0; c < r->ncols; c++)
        free(names[c]);
    free(names);
    return out;
fail:
    for (size_t c = 0; names && c < r->ncols; c++)
        free(names[c]);
    free(names);
    json_decref(out);
    return NULL;
}

/* ---- JSON written straight out ---------------------------------------------------------------- */

typedef struct jw {
    FILE *f;
    bool bad;
    size_t len;
    char buf[1 << 16]; /* written in 64 KiB pieces */
} jw;

static void jw_flush(jw *w)
{
    if (w->len && fwrite(w->buf, 1, w->len, w->f) != w->len)
        w->bad = true;
    w->len = 0;
}

static void jw_raw(jw *w, const char *s, size_t n)
{
    if (w->len + n > sizeof w->buf) {
        jw_flush(w);
        if (n > sizeof w->buf) {
            if (fwrite(s, 1, n, w->f) != n)
                w->bad = true;
            return;
        }
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

static void jw_ind(jw *w, int depth)
{
    static const char sp[] = "\n                                                                ";
    size_t n = 1 + 2 * (size_t)depth;
    jw_raw(w, sp, n < sizeof sp - 1 ? n : sizeof sp - 1);
}

/* A JSON string (s is valid UTF-8): quotes, backslashes and control characters escaped as
 * jansson escapes them. */
static void jw_str(jw *w, const char *s, size_t n)
{
    jw_raw(w, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        jw_raw(w, s + run, i - run);
        run = i + 1;
        char e[8];
        switch (c) {
        case '"': jw_raw(w, "\\\"", 2); break;
        case '\\': jw_raw(w, "\\\\", 2); break;
        case '\b': jw_raw(w, "\\b", 2); break;
        case '\f': jw_raw(w, "\\f", 2); break;
        case '\n': jw_raw(w, "\\n", 2); break;
        case '\r': jw_raw(w, "\\r", 2); break;
        case '\t': jw_raw(w, "\\t", 2); break;
        default:
            snprintf(e, sizeof e, "\\u%04x", c);
            jw_raw(w, e, 6);
        }
    }
    jw_raw(w, s + run, n - run);
    jw_raw(w, "\"", 1);
}

static void jw_item(jw *w, const tf_item *it, int depth)
{
    if (it->k == TI_NONE) {
        jw_raw(w, "null", 4);
    } else if (it->k == TI_STR) {
        jw_str(w, it->p, it->n);
    } else {
        const tf_dict *d = it->p;
        if (!d->n) {
            jw_raw(w, "{}", 2);
            return;
        }
        jw_raw(w, "{", 1);
        for (size_t i = 0; i < d->n; i++) {
            jw_ind(w, depth + 1);
            jw_str(w, d->names[i], strlen(d->names[i]));
            jw_raw(w, ": ", 2);
            jw_item(w, &d->vals[i], depth + 1);
            if (i + 1 < d->n)
                jw_raw(w, ",", 1);
        }
        jw_ind(w, depth);
        jw_raw(w, "}", 1);
    }
}

int na_tfsm_result_write_json(const na_tfsm_result *r, na_tfsm_keys keys, FILE *f, na_err *err)
{
    jw *wp = malloc(sizeof *wp);
    if (!wp)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    wp->f = f;
    wp->bad = false;
    wp->len = 0;
#define w (*wp)
    char **names = calloc(r->ncols ? r->ncols : 1, sizeof *names);
    if (!names)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    /* a name lowercased to one seen before replaces its value in place, as in a dict */
    size_t *slot = calloc(r->ncols ? r->ncols : 1, sizeof *slot), nslots = 0;
    size_t *last = calloc(r->ncols ? r->ncols : 1, sizeof *last);
    int rc = 0;
    for (size_t c = 0; c < r->ncols && rc == 0; c++) {
        names[c] = keys == NA_TFSM_KEYS_LOWER ? na_ut_lower(r->header[c], strlen(r->header[c]))
                                              : strdup(r->header[c]);
        if (!names[c] || !slot || !last) {
            rc = na_err_set(err, NA_E_NOMEM, "out of memory");
            break;
        }
        size_t s = nslots;
        for (size_t k = 0; k < nslots; k++)
            if (!strcmp(names[slot[k]], names[c]))
                s = k;
        if (s == nslots)
            slot[nslots++] = c;
        last[s] = c; /* the column whose value this key shows */
    }
    if (rc == 0) {
        jw_raw(&w, "[", 1);
        for (size_t i = 0; i < r->nrows && !w.bad; i++) {
            jw_ind(&w, 1);
            if (!nslots) {
                jw_raw(&w, "{}", 2);
            } else {
                jw_raw(&w, "{", 1);
                for (size_t k = 0; k < nslots; k++) {
                    const tf_cell *cell = &r->rows[i][last[k]];
                    jw_ind(&w, 2);
                    jw_str(&w, names[slot[k]], strlen(names[slot[k]]));
                    jw_raw(&w, ": ", 2);
                    if (cell->k == TC_LIST) {
                        const tf_item *items = cell->p;
                        if (!cell->n) {
                            jw_raw(&w, "[]", 2);
                        } else {
                            jw_raw(&w, "[", 1);
                            for (size_t j = 0; j < cell->n; j++) {
                                jw_ind(&w, 3);
                                jw_item(&w, &items[j], 3);
                                if (j + 1 < cell->n)
                                    jw_raw(&w, ",", 1);
                            }
                            jw_ind(&w, 2);
                            jw_raw(&w, "]", 1);
                        }
                    } else {
                        jw_str(&w, cell->k == TC_STR ? cell->p : "", cell->n);
                    }
                    if (k + 1 < nslots)
                        jw_raw(&w, ",", 1);
                }
                jw_ind(&w, 1);
                jw_raw(&w, "}", 1);
            }
            if (i + 1 < r->nrows)
                jw_raw(&w, ",", 1);
        }
        jw_raw(&w, r->nrows ? "\n]\n" : "]\n", r->nrows ? 3 : 2);
        jw_flush(&w);
        if (w.bad)
            rc = na_err_set(err, NA_E_IO, "cannot write the records: %s", strerror(errno));
    }
    for (size_t c = 0; c < r->ncols; c++)
        free(names[c]);
#undef w
    free(names);
    free(slot);
    free(last);
    free(wp);
    return rc;
}

json_t *na_tfsm_result_table_json(const na_tfsm_result *r)
{
    json_t *h = json_array(), *rows = json_array();
    json_t *o = json_pack("{s:o,s:o}", "header", h, "rows", rows);
    if (!o)
        return NULL;
    for (size_t c = 0; c < r->ncols; c++)
        if (json_array_append_new(h, json_string(r->header[c])) < 0)
            goto fail;
    for (size_t i = 0; i < r->nrows; i++) {
        json_t *row = json_array();
        if (json_array_append_new(rows, row) < 0)
            goto fail;
        for (size_t c = 0; c < r->ncols; c++)
            if (json_array_append_new(row, cell_json(&r->rows[i][c])) < 0)
                goto fail;
    }
    return o;
fail:
    json_decref(o);
    return NULL;
}
