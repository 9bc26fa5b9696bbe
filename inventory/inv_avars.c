/* inv_avars.c — Ansible's variable precedence for one host, exactly as `ansible-inventory --host`
 * computes it (VariableManager.get_vars with Ansible's default VARIABLE_PRECEDENCE):
 *
 *   1. the "all" group's variables from inventory sources
 *   2. every other group of the host, sorted by (depth, ansible_group_priority, name)
 *   3. group_vars/all from each source's directory, in -i order
 *   4. group_vars/GROUP for each source's directory, then each group in the order of 2
 *   5. the host's variables from inventory sources
 *   6. host_vars/HOST from each source's directory
 *
 * each level replacing whole top-level keys of the ones before (hash_behaviour=replace). Files
 * are found as Ansible finds them: NAME, NAME.yml, NAME.yaml, NAME.json (the first that exists;
 * a directory NAME/ is read whole, sorted, recursively), any of them Ansible Vault encrypted.
 * Also the small helpers for variables with origins and positions. Not the mapping of
 * connection variables onto settings (inv_amap.c). */
#include "inv_ans_int.h"
#include "secret.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- variables with origins ------------------------------------------------------------------ */

int na_inv_avars_set(inv_avars *a, const char *key, json_t *val, const char *origin, na_err *err)
{
    if (!val)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    if ((!a->vars && !(a->vars = json_object())) || (!a->orig && !(a->orig = json_object()))) {
        json_decref(val);
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    }
    if (json_object_set_new(a->vars, key, val) < 0)
        return na_err_set(err, NA_E_CONFIG, "%s: bad variable name '%s' (not UTF-8?)",
                          origin ? origin : "inventory", key);
    if (origin)
        json_object_set_new(a->orig, key, json_string(origin));
    else
        json_object_del(a->orig, key);
    return 0;
}

int na_inv_avars_merge(inv_avars *a, const inv_avars *b, na_err *err)
{
    if (!b->vars || !json_object_size(b->vars))
        return 0;
    if ((!a->vars && !(a->vars = json_object())) || (!a->orig && !(a->orig = json_object())))
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    if (json_object_update(a->vars, b->vars) < 0)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    const char *k;
    json_t *v;
    json_object_foreach (b->vars, k, v) {
        json_t *o = b->orig ? json_object_get(b->orig, k) : NULL;
        if (o)
            json_object_set(a->orig, k, o);
        else
            json_object_del(a->orig, k);
    }
    return 0;
}

void na_inv_avars_free(inv_avars *a)
{
    json_decref(a->vars);
    json_decref(a->orig);
    a->vars = a->orig = NULL;
}

const char *na_inv_avars_origin(const inv_avars *a, const char *key)
{
    const char *o = a->orig ? json_string_value(json_object_get(a->orig, key)) : NULL;
    return o ? o : "";
}

static const char *pos_of(const inv_pos *p, const json_t *obj, const char *key, char sep,
                          char *buf, size_t cap)
{
    const char *lc = NULL;
    if (p && p->map) {
        char k[1200];
        snprintf(k, sizeof k, "%p%c%s", (const void *)obj, sep, key);
        lc = json_string_value(json_object_get(p->map, k));
    }
    if (lc)
        snprintf(buf, cap, "%s:%s", p->file, lc);
    else
        snprintf(buf, cap, "%s", p && p->file ? p->file : "");
    return buf;
}

const char *na_inv_pos_origin(const inv_pos *p, const json_t *obj, const char *key, char *buf,
                           size_t cap)
{
    return pos_of(p, obj, key, '=', buf, cap);
}

const char *na_inv_pos_key_origin(const inv_pos *p, const json_t *obj, const char *key, char *buf,
                               size_t cap)
{
    return pos_of(p, obj, key, ':', buf, cap);
}

void na_inv_pos_free(inv_pos *p)
{
    json_decref(p->map);
    p->map = NULL;
}

/* ---- group_vars / host_vars ------------------------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool vars_ext(const char *name)
{
    const char *dot = strrchr(name, '.');
    return !dot || dot == name || !strcmp(dot, ".yml") || !strcmp(dot, ".yaml") ||
           !strcmp(dot, ".json");
}

/* Read one vars file into a (a mapping, or empty). */
static int load_vars_file(na_inventory *inv, const char *path, inv_avars *a, na_err *err)
{
    na_buf text;
    bool vaulted;
    if (na_inv_ans_read(inv, path, &text, &vaulted, err) < 0)
        return -1;
    inv_pos pos = {0};
    const char *dot = strrchr(path, '.');
    json_t *root = na_inv_ans_parse(inv, path, na_buf_cstr(&text), text.len,
                                 dot && !strcmp(dot, ".json"), &pos, err);
    if (vaulted && text.data)
        na_wipe(text.data, text.cap);
    na_buf_free(&text);
    int rc = 0;
    if (!root) {
        rc = -1;
    } else if (json_is_object(root)) {
        const char *k;
        json_t *v;
        json_object_foreach (root, k, v) {
            char o[1200];
            na_inv_pos_origin(&pos, root, k, o, sizeof o);
            if ((rc = na_inv_avars_set(a, k, json_incref(v), o, err)) < 0)
                break;
        }
    } else if (!json_is_null(root) && !(json_is_string(root) && !*json_string_value(root))) {
        rc = na_inv_err_origin(inv, err, path, "a variables file holds a mapping of variables");
    }
    json_decref(root);
    na_inv_pos_free(&pos);
    return rc;
}

static int load_vars_dir(na_inventory *inv, const char *dir, inv_avars *a, int depth,
                         na_err *err)
{
    if (depth > 16)
        return na_inv_err_origin(inv, err, dir, "directories nested too deeply");
    DIR *d = opendir(dir);
    if (!d)
        return na_inv_err_origin(inv, err, dir, "cannot read the directory: %s", strerror(errno));
    inv_strlist names = {0};
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (e->d_name[0] == '.' || (n && e->d_name[n - 1] == '~'))
            continue; /* hidden files and backups */
        rc = na_inv_strlist_push(&names, e->d_name, n, err);
    }
    closedir(d);
    if (names.n)
        qsort(names.v, names.n, sizeof *names.v, cmp_str);
    for (size_t i = 0; rc == 0 && i < names.n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names.v[i]);
        struct stat st;
        if (stat(path, &st) < 0)
            continue;
        bool noext = !strchr(names.v[i], '.');
        if (S_ISDIR(st.st_mode) && noext)
            rc = load_vars_dir(inv, path, a, depth + 1, err);
        else if (S_ISREG(st.st_mode) && vars_ext(names.v[i]))
            rc = load_vars_file(inv, path, a, err);
    }
    na_inv_strlist_free(&names);
    return rc;
}

/* DIR/SUB/NAME[.yml|.yaml|.json] (the first that exists), or DIR/SUB/NAME/ as a whole. */
static int find_vars(na_inventory *inv, const char *dir, const char *sub, const char *name,
                     inv_avars *a, na_err *err)
{
    if (name[0] == '/')
        return 0;
    static const char *const exts[] = {"", ".yml", ".yaml", ".json"};
    for (size_t i = 0; i < 4; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s/%s%s", dir, sub, name, exts[i]);
        struct stat st;
        if (stat(path, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode))
            return load_vars_dir(inv, path, a, 0, err);
        return load_vars_file(inv, path, a, err);
    }
    return 0;
}

/* ---- resolution -------------------------------------------------------------------------------- */

struct fvars {
    char **dirs;         /* unique directories */
    size_t ndirs;
    size_t *order;       /* vars_dirs[i] -> index in dirs */
    size_t norder;
    inv_avars *g;        /* [dir * n_groups + group] */
    unsigned char *gdone;
};
typedef struct fvars fvars;

static void fvars_free(na_inventory *inv, fvars *f)
{
    for (size_t i = 0; f->g && i < f->ndirs * inv->n_groups; i++)
        na_inv_avars_free(&f->g[i]);
    free(f->g);
    free(f->gdone);
    free(f->order);
    free(f->dirs);
}

static int fvars_init(na_inventory *inv, fvars *f, na_err *err)
{
    inv_strlist *vd = &inv->ans->vars_dirs;
    memset(f, 0, sizeof *f);
    f->dirs = calloc(vd->n + 1, sizeof *f->dirs);
    f->order = calloc(vd->n + 1, sizeof *f->order);
    if (!f->dirs || !f->order)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    for (size_t i = 0; i < vd->n; i++) {
        size_t j = 0;
        while (j < f->ndirs && strcmp(f->dirs[j], vd->v[i]))
            j++;
        if (j == f->ndirs)
            f->dirs[f->ndirs++] = vd->v[i];
        f->order[f->norder++] = j;
    }
    f->g = calloc(f->ndirs * inv->n_groups + 1, sizeof *f->g);
    f->gdone = calloc(f->ndirs * inv->n_groups + 1, 1);
    if (!f->g || !f->gdone)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    return 0;
}

static const inv_avars *group_file_vars(na_inventory *inv, fvars *f, size_t dir, size_t g,
                                        na_err *err)
{
    size_t i = dir * inv->n_groups + g;
    if (!f->gdone[i]) {
        f->gdone[i] = 1;
        if (find_vars(inv, f->dirs[dir], "group_vars", inv->groups[g].name, &f->g[i], err) < 0)
            return NULL;
    }
    return &f->g[i];
}

static int host_vars(na_inventory *inv, fvars *f, inv_hostdef *h, inv_avars *v, na_err *err)
{
#define MERGE(x)                                                                               \
    do {                                                                                       \
        const inv_avars *x_ = (x);                                                             \
        if (!x_ || na_inv_avars_merge(v, x_, err) < 0)                                            \
            return -1;                                                                         \
    } while (0)
    MERGE(&inv->groups[0].av);
    for (size_t i = 1; i < h->n_order; i++)
        MERGE(&inv->groups[h->order[i]].av);
    for (size_t d = 0; d < f->norder; d++)
        MERGE(group_file_vars(inv, f, f->order[d], 0, err));
    for (size_t d = 0; d < f->norder; d++)
        for (size_t i = 1; i < h->n_order; i++)
            MERGE(group_file_vars(inv, f, f->order[d], h->order[i], err));
    MERGE(&h->av);
    for (size_t d = 0; d < f->norder; d++) {
        inv_avars hv = {0};
        int rc = find_vars(inv, f->dirs[f->order[d]], "host_vars", h->pub.name, &hv, err);
        if (rc == 0)
            rc = na_inv_avars_merge(v, &hv, err);
        na_inv_avars_free(&hv);
        if (rc < 0)
            return -1;
    }
#undef MERGE
    return 0;
}

int na_inv_ans_resolve_host(na_inventory *inv, inv_hostdef *h, na_err *err)
{
    inv_avars v = {0};
    int rc = host_vars(inv, inv->ans->fv, h, &v, err);
    if (rc == 0)
        rc = na_inv_ans_map_host(inv, h, &v, err);
    if (rc == 0) {
        json_decref(h->layer.vars);
        h->layer.vars = v.vars ? json_incref(v.vars) : json_object();
        if (!h->layer.vars)
            rc = na_err_set(err, NA_E_NOMEM, "out of memory");
    }
    na_inv_avars_free(&v);
    return rc;
}

int na_inv_ans_resolve_begin(na_inventory *inv, na_err *err)
{
    fvars *f = calloc(1, sizeof *f);
    if (!f)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    inv->ans->fv = f;
    return fvars_init(inv, f, err);
}

void na_inv_ans_resolve_end(na_inventory *inv)
{
    if (!inv->ans)
        return;
    if (inv->ans->fv) {
        fvars_free(inv, inv->ans->fv);
        free(inv->ans->fv);
        inv->ans->fv = NULL;
    }
    if (!inv->ans->warned)
        return;
    /* one line per warning, naming the first host and how many more */
    const char *k;
    json_t *w;
    json_object_foreach (inv->ans->warned, k, w) {
        const char *msg = json_string_value(json_object_get(w, "msg"));
        const char *host = json_string_value(json_object_get(w, "host"));
        long long n = json_integer_value(json_object_get(w, "n"));
        char line[1200];
        if (n > 1)
            snprintf(line, sizeof line, "host '%s' (and %lld more): %s", host, n - 1, msg);
        else
            snprintf(line, sizeof line, "host '%s': %s", host, msg);
        na_inv_strlist_push(&inv->ans->warnings, line, strlen(line), NULL);
    }
}

void na_inv_ans_warn(na_inventory *inv, const char *key, const char *host, const char *fmt, ...)
{
    if (!inv->ans)
        return;
    if (!inv->ans->warned && !(inv->ans->warned = json_object()))
        return;
    json_t *w = json_object_get(inv->ans->warned, key);
    if (w) {
        json_object_set_new(w, "n", json_integer(json_integer_value(json_object_get(w, "n")) + 1));
        return;
    }
    char msg[800];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    w = json_object();
    json_object_set_new(w, "msg", json_string(msg));
    json_object_set_new(w, "host", json_string(host));
    json_object_set_new(w, "n", json_integer(1));
    json_object_set_new(inv->ans->warned, key, w);
}
