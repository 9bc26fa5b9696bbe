/* tfsm_lib.c — template sources searched in order (directories with an index, then the
 * built-in templates), a cache of compiled templates, and clitable's way of parsing with
 * several templates at once (CliTable.ParseCmd + TextTable.extend: later templates add their
 * new columns to the rows whose Key values match, or row by row when no template has Keys).
 * Records come out as ntc-templates' parse_output gives them, lowercased keys, but with List
 * values as real lists (see docs/parsing.md). Not the index reader (tfsm_index.c). */
#include "tfsm_index.h"
#include "tfsm_lib.h"
#include "utext.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUILTIN_DIR "(built-in)"
#define MAX_INDEX ((size_t)16 << 20)

typedef struct source {
    char *dir;         /* directory, or NULL for the built-in templates */
    tfi_index ix;
} source;

typedef struct cached {
    char *key;         /* path, or "(built-in)/name" */
    na_tfsm *t;
} cached;

struct na_tfsm_lib {
    source *src;
    size_t nsrc;
    cached *cache;
    size_t ncache, capcache;
};

const char *na_tfsm_env_dir(void)
{
    const char *d = getenv("NET_TEXTFSM");
    if (d && *d)
        return d;
    d = getenv("NTC_TEMPLATES_DIR");
    return d && *d ? d : NULL;
}

const char *na_tfsm_pick_dir(const char *option_dir, const char *inventory_dir)
{
    if (option_dir && *option_dir)
        return option_dir;
    if (inventory_dir && *inventory_dir)
        return inventory_dir;
    return na_tfsm_env_dir();
}

na_tfsm_lib *na_tfsm_lib_for(const char *option_dir, const char *inventory_dir, na_err *err)
{
    const char *dir = na_tfsm_pick_dir(option_dir, inventory_dir);
    const char *dirs[] = {dir, NULL};
    return na_tfsm_lib_new(dir ? dirs : NULL, true, err);
}

static const na_tfsm_file *builtin_file(const char *name)
{
    for (size_t i = 0; i < na_tfsm_builtin_count; i++)
        if (!strcmp(na_tfsm_builtin[i].name, name))
            return &na_tfsm_builtin[i];
    return NULL;
}

static int read_file(const char *path, size_t max, na_buf *b, na_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return na_err_set(err, NA_E_IO, "%s: %s", path, strerror(errno));
    na_buf_init(b, max);
    char chunk[16384];
    size_t got;
    int rc = 0;
    while (rc == 0 && (got = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = na_buf_append(b, chunk, got, path, err);
    if (rc == 0 && ferror(f))
        rc = na_err_set(err, NA_E_IO, "%s: read error", path);
    fclose(f);
    if (rc < 0)
        na_buf_free(b);
    return rc;
}

na_tfsm_lib *na_tfsm_lib_new(const char *const *dirs, bool builtin, na_err *err)
{
    na_tfsm_lib *lib = calloc(1, sizeof *lib);
    size_t nd = 0;
    while (dirs && dirs[nd])
        nd++;
    if (!lib || !(lib->src = calloc(nd + 1, sizeof *lib->src))) {
        free(lib);
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < nd; i++) {
        source *s = &lib->src[lib->nsrc++];
        char path[4096];
        snprintf(path, sizeof path, "%s/index", dirs[i]);
        na_buf b;
        if (!(s->dir = strdup(dirs[i]))) {
            na_err_set(err, NA_E_NOMEM, "out of memory");
            goto fail;
        }
        if (read_file(path, MAX_INDEX, &b, err) < 0) {
            if (err && err->code == NA_E_IO)
                na_err_prefix(err, "template directory %s (no index?): ", dirs[i]);
            goto fail;
        }
        int rc = na_tfi_load(&s->ix, path, na_buf_cstr(&b), b.len, err);
        na_buf_free(&b);
        if (rc < 0)
            goto fail;
    }
    if (builtin) {
        const na_tfsm_file *f = builtin_file("index");
        source *s = &lib->src[lib->nsrc++];
        if (f && na_tfi_load(&s->ix, BUILTIN_DIR "/index", f->data, f->len, err) < 0)
            goto fail;
    }
    return lib;
fail:
    na_tfsm_lib_free(lib);
    return NULL;
}

void na_tfsm_lib_free(na_tfsm_lib *lib)
{
    if (!lib)
        return;
    for (size_t i = 0; i < lib->nsrc; i++) {
        free(lib->src[i].dir);
        na_tfi_free(&lib->src[i].ix);
    }
    free(lib->src);
    for (size_t i = 0; i < lib->ncache; i++) {
        free(lib->cache[i].key);
        na_tfsm_free(lib->cache[i].t);
    }
    free(lib->cache);
    free(lib);
}

static int check_text(const char *what, const char *s, na_err *err)
{
    if (!na_ut_valid(s, strlen(s), NULL))
        return na_err_set(err, NA_E_USAGE, "the %s is not valid UTF-8", what);
    return 0;
}

static int lookup(na_tfsm_lib *lib, const char *platform, const char *command,
                  const source **src, const tfi_row **row, na_err *err)
{
    if (check_text("platform", platform, err) < 0 || check_text("command", command, err) < 0)
        return -1;
    for (size_t i = 0; i < lib->nsrc; i++) {
        if (na_tfi_match(&lib->src[i].ix, platform, command, row, err) < 0)
            return -1;
        if (*row) {
            *src = &lib->src[i];
            return 0;
        }
    }
    char where[600] = "";
    size_t o = 0;
    for (size_t i = 0; i < lib->nsrc && o < sizeof where - 1; i++)
        o += (size_t)snprintf(where + o, sizeof where - o, "%s%s", i ? ", " : "",
                              lib->src[i].dir ? lib->src[i].dir : "netauto's built-in templates");
    return na_err_set(err, NA_E_NOTFOUND,
                      "no template for platform '%s' and command '%s' (searched: %s)", platform,
                      command, lib->nsrc ? where : "no template directory");
}

int na_tfsm_lib_lookup(na_tfsm_lib *lib, const char *platform, const char *command,
                       const char **templates, const char **dir, na_err *err)
{
    const source *s;
    const tfi_row *r;
    if (lookup(lib, platform, command, &s, &r, err) < 0)
        return -1;
    *templates = r->templates;
    *dir = s->dir ? s->dir : BUILTIN_DIR;
    return 0;
}

/* A template by cache key; dir NULL = built-in. */
static const na_tfsm *get_template(na_tfsm_lib *lib, const char *dir, const char *name,
                                   na_err *err)
{
    char key[4096];
    if (!dir)
        snprintf(key, sizeof key, "%s/%s", BUILTIN_DIR, name);
    else if (name[0] == '/')
        snprintf(key, sizeof key, "%s", name); /* os.path.join keeps an absolute name */
    else
        snprintf(key, sizeof key, "%s/%s", dir, name);
    for (size_t i = 0; i < lib->ncache; i++)
        if (!strcmp(lib->cache[i].key, key))
            return lib->cache[i].t;
    na_tfsm *t;
    if (!dir) {
        const na_tfsm_file *f = builtin_file(name);
        if (!f) {
            na_err_set(err, NA_E_IO, "%s: no such built-in template", key);
            return NULL;
        }
        t = na_tfsm_load(key, f->data, f->len, err);
    } else {
        t = na_tfsm_load_file(key, err);
    }
    if (!t)
        return NULL;
    if (lib->ncache == lib->capcache) {
        size_t cap = lib->capcache ? lib->capcache * 2 : 32;
        cached *c = realloc(lib->cache, cap * sizeof *c);
        if (!c) {
            na_tfsm_free(t);
            na_err_set(err, NA_E_NOMEM, "out of memory");
            return NULL;
        }
        lib->cache = c;
        lib->capcache = cap;
    }
    if (!(lib->cache[lib->ncache].key = strdup(key))) {
        na_tfsm_free(t);
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    lib->cache[lib->ncache++].t = t;
    return t;
}

const na_tfsm *na_tfsm_lib_template(na_tfsm_lib *lib, const char *path, na_err *err)
{
    return get_template(lib, ".", path, err);
}

json_t *na_tfsm_lib_parse_file(na_tfsm_lib *lib, const char *path, const char *text, size_t len,
                               const na_tfsm_limits *lim, na_tfsm_keys keys, na_err *err)
{
    const na_tfsm *t = get_template(lib, ".", path, err);
    na_tfsm_result *r = t ? na_tfsm_parse(t, text, len, lim, err) : NULL;
    json_t *j = r ? na_tfsm_result_json(r, keys) : NULL;
    if (r && !j)
        na_err_set(err, NA_E_NOMEM, "out of memory");
    na_tfsm_result_free(r);
    return j;
}

/* ---- several templates (CliTable.ParseCmd, TextTable.extend) -------------------------------- */

typedef struct table {
    json_t *header; /* array of names */
    json_t *rows;   /* array of arrays */
} table;

static long col_of(const table *tb, const char *name)
{
    for (size_t i = 0; i < json_array_size(tb->header); i++)
        if (!strcmp(json_string_value(json_array_get(tb->header, i)), name))
            return (long)i;
    return -1;
}

/* The Key values of a template (GetValuesByAttrib('Key')). */
static size_t keys_of(const na_tfsm *t, const char **keys, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < na_tfsm_value_count(t) && n < max; i++)
        if (na_tfsm_value_options(t, i) & NA_TFSM_OPT_KEY)
            keys[n++] = na_tfsm_value_name(t, i);
    return n;
}

static int extend(table *tb, const table *add, const char **keys, size_t nkeys, na_err *err)
{
    for (size_t k = 0; k < nkeys; k++)
        if (col_of(tb, keys[k]) < 0)
            return na_err_set(err, NA_E_PARSE, "Unknown key: '%s' (clitable's IndexError)",
                              keys[k]);
    size_t nadd = json_array_size(add->header);
    long *from = calloc(nadd ? nadd : 1, sizeof *from);
    if (!from)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    size_t nnew = 0;
    for (size_t c = 0; c < nadd; c++) {
        const char *name = json_string_value(json_array_get(add->header, c));
        if (col_of(tb, name) < 0)
            from[nnew++] = (long)c;
    }
    if (!nnew) {
        free(from);
        return 0;
    }
    for (size_t k = 0; k < nnew; k++) {
        json_array_append(tb->header, json_array_get(add->header, (size_t)from[k]));
        for (size_t r = 0; r < json_array_size(tb->rows); r++)
            json_array_append_new(json_array_get(tb->rows, r), json_string(""));
    }
    size_t base = json_array_size(tb->header) - nnew;
    for (size_t r1 = 0; r1 < json_array_size(tb->rows); r1++) {
        json_t *row1 = json_array_get(tb->rows, r1);
        json_t *row2 = NULL;
        if (!nkeys) {
            row2 = json_array_get(add->rows, r1); /* zip: row by row, the shorter wins */
        } else {
            for (size_t r2 = 0; r2 < json_array_size(add->rows) && !row2; r2++) {
                json_t *cand = json_array_get(add->rows, r2);
                bool same = true;
                for (size_t k = 0; k < nkeys && same; k++)
                    same = json_equal(json_array_get(row1, (size_t)col_of(tb, keys[k])),
                                      json_array_get(cand, (size_t)col_of(add, keys[k])));
                if (same)
                    row2 = cand;
            }
        }
        for (size_t k = 0; row2 && k < nnew; k++)
            json_array_set(row1, base + k, json_array_get(row2, (size_t)from[k]));
    }
    free(from);
    return 0;
}

static int parse_table(const na_tfsm *t, const char *text, size_t len, const na_tfsm_limits *lim,
                       table *tb, na_err *err)
{
    na_tfsm_result *r = na_tfsm_parse(t, text, len, lim, err);
    if (!r)
        return -1;
    json_t *j = na_tfsm_result_table_json(r);
    na_tfsm_result_free(r);
    if (!j)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    tb->header = json_incref(json_object_get(j, "header"));
    tb->rows = json_incref(json_object_get(j, "rows"));
    json_decref(j);
    return 0;
}

int na_tfsm_lib_prepare(na_tfsm_lib *lib, const char *platform, const char *command, na_err *err)
{
    const source *src;
    const tfi_row *row;
    if (lookup(lib, platform, command, &src, &row, err) < 0)
        return -1;
    for (const char *p = row->templates;;) {
        const char *colon = strchr(p, ':');
        char name[1024];
        snprintf(name, sizeof name, "%.*s", (int)(colon ? (size_t)(colon - p) : strlen(p)), p);
        if (!get_template(lib, src->dir, name, err))
            return -1;
        if (!colon)
            return 0;
        p = colon + 1;
    }
}

json_t *na_tfsm_lib_parse(na_tfsm_lib *lib, const char *platform, const char *command,
                          const char *text, size_t len, const na_tfsm_limits *lim, na_err *err)
{
    const source *src;
    const tfi_row *row;
    if (lookup(lib, platform, command, &src, &row, err) < 0)
        return NULL;
    table tb = {0};
    const char *keys[64];
    size_t nkeys = 0;
    int rc = 0;
    const char *p = row->templates;
    bool first = true;
    while (rc == 0) {
        const char *colon = strchr(p, ':');
        size_t nl = colon ? (size_t)(colon - p) : strlen(p);
        char name[1024];
        snprintf(name, sizeof name, "%.*s", (int)nl, p);
        const na_tfsm *t = get_template(lib, src->dir, name, err);
        if (!t) {
            rc = -1;
            break;
        }
        if (!nkeys)
            nkeys = keys_of(t, keys, sizeof keys / sizeof *keys);
        if (first) {
            rc = parse_table(t, text, len, lim, &tb, err);
            first = false;
        } else {
            table add = {0};
            rc = parse_table(t, text, len, lim, &add, err);
            if (rc == 0)
                rc = extend(&tb, &add, keys, nkeys, err);
            json_decref(add.header);
            json_decref(add.rows);
        }
        if (!colon)
            break;
        p = colon + 1;
    }
    json_t *out = NULL;
    if (rc == 0 && (out = json_array())) {
        size_t nc = json_array_size(tb.header);
        char **names = calloc(nc ? nc : 1, sizeof *names);
        for (size_t c = 0; names && c < nc; c++) {
            const char *h = json_string_value(json_array_get(tb.header, c));
            names[c] = na_ut_lower(h, strlen(h));
        }
        for (size_t r = 0; names && r < json_array_size(tb.rows); r++) {
            json_t *o = json_object(), *src_row = json_array_get(tb.rows, r);
            for (size_t c = 0; o && c < nc; c++)
                if (names[c])
                    json_object_set(o, names[c], json_array_get(src_row, c));
            json_array_append_new(out, o);
        }
        for (size_t c = 0; names && c < nc; c++)
            free(names[c]);
        if (!names) {
            json_decref(out);
            out = NULL;
            na_err_set(err, NA_E_NOMEM, "out of memory");
        }
        free(names);
    }
    json_decref(tb.header);
    json_decref(tb.rows);
    return out;
}
