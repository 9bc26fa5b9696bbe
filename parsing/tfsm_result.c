/* tfsm_result.c — the records of a parse: their memory (a bump arena plus the input text the
 * strings point into) and their JSON forms (objects keyed by Value name, lowercased like
 * ntc-templates' parse_output when asked; or TextFSM's header + rows). Not the machine
 * (tfsm_run.c). */
#include "tfsm_int.h"
#include "utext.h"

#include <stdlib.h>
#include <string.h>

struct tf_block {
    struct tf_block *next;
    size_t used, cap;
    max_align_t data[];
};

void *tf_arena_alloc(tf_arena *a, size_t n)
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

void tf_arena_free(tf_arena *a)
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
    tf_arena_free(&r->arena);
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
        return json_stringn(it->s, it->n);
    json_t *o = json_object();
    for (size_t i = 0; o && i < it->d->n; i++)
        if (json_object_set_new(o, it->d->names[i], item_json(&it->d->vals[i])) < 0) {
            json_decref(o);
            return NULL;
        }
    return o;
}

static json_t *cell_json(const tf_cell *c)
{
    if (c->k == TC_STR)
        return json_stringn(c->s, c->n);
    if (c->k == TC_NONE)
        return json_string("");
    json_t *a = json_array();
    for (size_t i = 0; a && i < c->nitems; i++)
        if (json_array_append_new(a, item_json(&c->items[i])) < 0) {
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
