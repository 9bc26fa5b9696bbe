/* tpl_filters.c — the template filters' table (parameters, bound by position or as name=value),
 * the dispatcher, and the simple filters: default (d), upper, lower, join, length (count), trim,
 * replace, int, string, items2dict. Each checks its arguments and input type and says what it
 * wanted. The filters from Ansible (regex_*, split, first, last, unique, sort, min, max) are in
 * tpl_fextra.c. Not extensible at runtime: the list is fixed and documented in
 * docs/playbooks.md. */
#include "tpl_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A filter's parameters, in positional order; arguments bind to them by position or by name
 * (Jinja's name=value). variadic: further positional arguments are regex_search's groups. */
typedef struct fdef {
    const char *name;
    int min_args;
    const char *params[5];
    bool variadic;
} fdef;

static const fdef FILTERS[] = {
    {"default", 0, {"default_value", "boolean"}, false},
    {"d", 0, {"default_value", "boolean"}, false},
    {"upper", 0, {NULL}, false},
    {"lower", 0, {NULL}, false},
    {"join", 0, {"d"}, false},
    {"length", 0, {NULL}, false},
    {"count", 0, {NULL}, false},
    {"trim", 0, {NULL}, false},
    {"replace", 2, {"old", "new"}, false},
    {"int", 0, {NULL}, false},
    {"string", 0, {NULL}, false},
    {"regex_search", 1, {"regex", "ignorecase", "multiline"}, true},
    {"regex_replace", 0, {"pattern", "replacement", "ignorecase", "multiline"}, false},
    {"split", 0, {"sep", "maxsplit"}, false},
    {"first", 0, {NULL}, false},
    {"last", 0, {NULL}, false},
    {"unique", 0, {"case_sensitive", "attribute"}, false},
    {"sort", 0, {"reverse", "case_sensitive", "attribute"}, false},
    {"min", 0, {"case_sensitive", "attribute"}, false},
    {"max", 0, {"case_sensitive", "attribute"}, false},
    {"items2dict", 0, {"key_name", "value_name"}, false},
};

#define MAX_PARAMS 5
#define MAX_ARGS 16

static const fdef *find(const char *name)
{
    for (size_t i = 0; i < sizeof FILTERS / sizeof FILTERS[0]; i++)
        if (!strcmp(FILTERS[i].name, name))
            return &FILTERS[i];
    return NULL;
}

static int nparams(const fdef *d)
{
    int n = 0;
    while (n < MAX_PARAMS && d->params[n])
        n++;
    return n;
}

bool na_tpl_filter_known(const char *name) { return find(name) != NULL; }

/* Bind arguments to parameters: slot[i] = argument index for parameter i (-1: not given);
 * extra positional arguments (variadic) are listed in var[]. NULL, or what is wrong. */
static const char *bind(const fdef *d, const char *const *kws, int nargs, int *slot, int *var,
                        int *nvar, char *buf, size_t cap)
{
    int np = nparams(d), pos = 0;
    *nvar = 0;
    for (int i = 0; i < MAX_PARAMS; i++)
        slot[i] = -1;
    bool seen_kw = false;
    for (int a = 0; a < nargs; a++) {
        if (!kws[a]) {
            if (seen_kw)
                return "has a positional argument after a name=value one";
            /* regex_search: the regex, then groups; its flags come by name only */
            int limit = d->variadic ? 1 : np;
            if (pos < limit) {
                slot[pos++] = a;
            } else if (d->variadic && *nvar < MAX_ARGS) {
                var[(*nvar)++] = a;
            } else if (np == 0) {
                return "takes no arguments";
            } else {
                snprintf(buf, cap, "takes at most %d argument%s", np, np == 1 ? "" : "s");
                return buf;
            }
            continue;
        }
        seen_kw = true;
        int k = 0;
        while (k < np && strcmp(d->params[k], kws[a]))
            k++;
        if (k == np) {
            snprintf(buf, cap, "has no argument '%s'", kws[a]);
            return buf;
        }
        if (slot[k] >= 0) {
            snprintf(buf, cap, "got argument '%s' twice", kws[a]);
            return buf;
        }
        slot[k] = a;
    }
    for (int i = 0; i < d->min_args; i++)
        if (slot[i] < 0) {
            snprintf(buf, cap, "takes %s%d argument%s", d->min_args == np ? "" : "at least ",
                     d->min_args, d->min_args == 1 ? "" : "s");
            return buf;
        }
    return NULL;
}

const char *na_tpl_filter_args(const char *name, const char *const *kws, int nargs, char *buf,
                            size_t cap)
{
    const fdef *d = find(name);
    int slot[MAX_PARAMS], var[MAX_ARGS], nvar;
    if (!d)
        return NULL;
    return bind(d, kws, nargs, slot, var, &nvar, buf, cap);
}

static int set_str(tv *out, const char *s, size_t n, na_err *err)
{
    json_t *j = json_stringn(s, n);
    if (!j)
        return na_err_set(err, NA_E_CONFIG, "filter result is not valid UTF-8");
    out->k = TV_VAL;
    out->raw = true;
    out->j = j;
    return 0;
}

static int set_val(tv *out, json_t *j, na_err *err)
{
    if (!j)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    out->k = TV_VAL;
    out->raw = true;
    out->j = j;
    return 0;
}

/* Scalars as text (for upper/lower/trim/replace): containers are refused. */
static int as_text(const char *fname, const json_t *j, na_buf *b, na_err *err)
{
    if (json_is_array(j) || json_is_object(j))
        return na_err_set(err, NA_E_CONFIG, "filter '%s' expects a string, got %s", fname,
                          na_tpl_type_name(j));
    return na_tpl_stringify(j, b, err);
}

static int f_join(const json_t *in, const json_t *sep, tv *out, na_err *err)
{
    if (!json_is_array(in))
        return na_err_set(err, NA_E_CONFIG, "filter 'join' expects a list, got %s",
                          na_tpl_type_name(in));
    na_buf b;
    na_buf_init(&b, NA_TPL_MAX_OUT);
    na_buf s;
    na_buf_init(&s, NA_TPL_MAX_OUT);
    int rc = sep ? na_tpl_stringify(sep, &s, err) : 0;
    size_t i;
    json_t *v;
    json_array_foreach ((json_t *)in, i, v) {
        if (rc < 0)
            break;
        if (i && s.len)
            rc = na_buf_append(&b, s.data, s.len, "rendered text", err);
        if (rc == 0)
            rc = na_tpl_stringify(v, &b, err);
    }
    if (rc == 0)
        rc = set_str(out, na_buf_cstr(&b), b.len, err);
    na_buf_free(&b);
    na_buf_free(&s);
    return rc;
}

/* items2dict(key_name='key', value_name='value'), Ansible's: a list of mappings to one mapping
 * from each item's key field (text) to its value field. */
static int f_items2dict(const json_t *in, const json_t *k, const json_t *v, tv *out, na_err *err)
{
    const char *kn = k ? json_string_value(k) : "key", *vn = v ? json_string_value(v) : "value";
    if (!kn || !vn)
        return na_err_set(err, NA_E_CONFIG, "filter 'items2dict' takes field names (strings)");
    if (!json_is_array(in))
        return na_err_set(err, NA_E_CONFIG, "filter 'items2dict' expects a list, got %s",
                          na_tpl_type_name(in));
    json_t *o = json_object();
    size_t i;
    json_t *it;
    json_array_foreach ((json_t *)in, i, it) {
        json_t *kv = json_object_get(it, kn), *vv = json_object_get(it, vn);
        if (!json_is_object(it) || !kv || !vv) {
            json_decref(o);
            return na_err_set(err, NA_E_CONFIG, "filter 'items2dict': item %zu has no '%s' or "
                              "no '%s'", i, kn, vn);
        }
        na_buf b;
        na_buf_init(&b, NA_TPL_MAX_OUT);
        int rc = na_tpl_stringify(kv, &b, err);
        if (rc == 0 && json_object_set(o, na_buf_cstr(&b), vv) < 0)
            rc = na_err_set(err, NA_E_NOMEM, "out of memory");
        na_buf_free(&b);
        if (rc < 0) {
            json_decref(o);
            return -1;
        }
    }
    return set_val(out, o, err);
}

static size_t utf8_len(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            c++;
    return c;
}

static int f_int(const json_t *in, tv *out, na_err *err)
{
    if (json_is_integer(in))
        return set_val(out, json_incref((json_t *)in), err);
    if (json_is_real(in))
        return set_val(out, json_integer((json_int_t)json_real_value(in)), err);
    if (json_is_boolean(in))
        return set_val(out, json_integer(json_is_true(in)), err);
    if (json_is_string(in)) {
        const char *s = json_string_value(in);
        char *e;
        errno = 0;
        long long v = strtoll(s, &e, 10);
        while (isspace((unsigned char)*e))
            e++;
        if (e != s && !*e && !errno)
            return set_val(out, json_integer(v), err);
        return na_err_set(err, NA_E_CONFIG, "filter 'int': '%s' is not an integer", s);
    }
    return na_err_set(err, NA_E_CONFIG, "filter 'int' cannot convert %s", na_tpl_type_name(in));
}

static int f_replace(const json_t *in, const json_t *from, const json_t *to, tv *out,
                     na_err *err)
{
    na_buf s, a, b, r;
    na_buf_init(&s, NA_TPL_MAX_OUT);
    na_buf_init(&a, NA_TPL_MAX_OUT);
    na_buf_init(&b, NA_TPL_MAX_OUT);
    na_buf_init(&r, NA_TPL_MAX_OUT);
    int rc = as_text("replace", in, &s, err);
    if (rc == 0)
        rc = na_tpl_stringify(from, &a, err);
    if (rc == 0)
        rc = na_tpl_stringify(to, &b, err);
    if (rc == 0 && a.len == 0)
        rc = na_err_set(err, NA_E_CONFIG, "filter 'replace': the text to replace is empty");
    const char *p = na_buf_cstr(&s), *end = p + s.len;
    while (rc == 0 && p < end) {
        const char *q = memmem(p, (size_t)(end - p), a.data, a.len);
        if (!q) {
            rc = na_buf_append(&r, p, (size_t)(end - p), "rendered text", err);
            break;
        }
        rc = na_buf_append(&r, p, (size_t)(q - p), "rendered text", err);
        if (rc == 0)
            rc = na_buf_append(&r, na_buf_cstr(&b), b.len, "rendered text", err);
        p = q + a.len;
    }
    if (rc == 0)
        rc = set_str(out, na_buf_cstr(&r), r.len, err);
    na_buf_free(&s);
    na_buf_free(&a);
    na_buf_free(&b);
    na_buf_free(&r);
    return rc;
}

static int f_case_trim(const char *name, const json_t *in, tv *out, na_err *err)
{
    na_buf b;
    na_buf_init(&b, NA_TPL_MAX_OUT);
    int rc = as_text(name, in, &b, err);
    if (rc == 0) {
        char *s = b.data ? b.data : (char *)"";
        size_t n = b.len;
        if (!strcmp(name, "trim")) {
            while (n && isspace((unsigned char)s[n - 1]))
                n--;
            while (n && isspace((unsigned char)*s)) {
                s++;
                n--;
            }
        } else {
            for (size_t i = 0; i < n; i++)
                s[i] = (char)(name[0] == 'u' ? toupper((unsigned char)s[i])
                                             : tolower((unsigned char)s[i]));
        }
        rc = set_str(out, s, n, err);
    }
    na_buf_free(&b);
    return rc;
}

int na_tpl_filter(const na_tpl *t, const xnode *f, tv *in, na_tpl_env *env, tv *out, na_err *err)
{
    const fdef *d = find(f->s);
    memset(out, 0, sizeof *out);
    out->k = TV_UNDEF;
    if (!d)
        return na_err_set(err, NA_E_CONFIG, "unknown filter '%s'", f->s);
    tv args[MAX_ARGS];
    const char *kws[MAX_ARGS];
    memset(args, 0, sizeof args);
    int nargs = 0, rc = 0;
    bool unknown = false;
    for (int i = f->b; i >= 0; i = t->nodes[i].next) {
        if (nargs == MAX_ARGS) {
            rc = na_err_set(err, NA_E_CONFIG, "filter '%s': too many arguments", f->s);
            goto done;
        }
        kws[nargs] = t->nodes[i].kw;
        if (na_tpl_eval_node(t, i, env, &args[nargs], err) < 0 ||
            na_tv_use(&args[nargs], env, err) < 0) {
            nargs++;
            rc = -1;
            goto done;
        }
        unknown |= args[nargs].k == TV_UNKNOWN;
        nargs++;
    }
    int slot[MAX_PARAMS], var[MAX_ARGS], nvar;
    char why[120];
    const char *bad = bind(d, kws, nargs, slot, var, &nvar, why, sizeof why);
    if (bad) {
        rc = na_err_set(err, NA_E_CONFIG, "filter '%s' %s", f->s, bad);
        goto done;
    }
    const json_t *a[MAX_PARAMS] = {0}, *groups[MAX_ARGS] = {0};
    for (int i = 0; i < MAX_PARAMS; i++)
        a[i] = slot[i] >= 0 && args[slot[i]].k == TV_VAL ? args[slot[i]].j : NULL;
    for (int i = 0; i < nvar; i++)
        groups[i] = args[var[i]].k == TV_VAL ? args[var[i]].j : NULL;
    bool is_default = !strcmp(d->name, "default") || !strcmp(d->name, "d");
    if (is_default) {
        const tv *dv = slot[0] >= 0 ? &args[slot[0]] : NULL;
        const tv *bv = slot[1] >= 0 ? &args[slot[1]] : NULL;
        bool boolean = bv && bv->k == TV_VAL && na_tpl_truthy(bv->j);
        if (in->k == TV_UNKNOWN || (bv && bv->k == TV_UNKNOWN)) {
            out->k = TV_UNKNOWN;
            goto done;
        }
        if (in->k == TV_VAL && boolean) {
            if ((rc = na_tv_use(in, env, err)) < 0)
                goto done;
            if (in->k == TV_UNKNOWN) {
                out->k = TV_UNKNOWN;
                goto done;
            }
        }
        bool take_default = in->k == TV_UNDEF || (boolean && !na_tpl_truthy(in->j));
        if (!take_default) {
            *out = *in;
            memset(in, 0, sizeof *in);
        } else if (!dv) {
            rc = set_str(out, "", 0, err);
        } else if (dv->k == TV_UNKNOWN) {
            out->k = TV_UNKNOWN;
        } else {
            *out = args[slot[0]];
            memset(&args[slot[0]], 0, sizeof args[slot[0]]);
        }
        goto done;
    }
    if ((rc = na_tv_use(in, env, err)) < 0)
        goto done;
    if (unknown || in->k == TV_UNKNOWN) {
        out->k = TV_UNKNOWN;
        goto done;
    }
    const json_t *j = in->j;
    const char *n = d->name;
    json_t *res = NULL;
    if (!strcmp(n, "upper") || !strcmp(n, "lower") || !strcmp(n, "trim")) {
        rc = f_case_trim(n, j, out, err);
    } else if (!strcmp(n, "join")) {
        rc = f_join(j, a[0], out, err);
    } else if (!strcmp(n, "length") || !strcmp(n, "count")) {
        if (json_is_string(j))
            rc = set_val(out, json_integer((json_int_t)utf8_len(json_string_value(j),
                                                                json_string_length(j))), err);
        else if (json_is_array(j))
            rc = set_val(out, json_integer((json_int_t)json_array_size(j)), err);
        else if (json_is_object(j))
            rc = set_val(out, json_integer((json_int_t)json_object_size(j)), err);
        else
            rc = na_err_set(err, NA_E_CONFIG, "filter '%s' expects a string, list or mapping, "
                            "got %s", n, na_tpl_type_name(j));
    } else if (!strcmp(n, "replace")) {
        rc = f_replace(j, a[0], a[1], out, err);
    } else if (!strcmp(n, "int")) {
        rc = f_int(j, out, err);
    } else if (!strcmp(n, "items2dict")) {
        rc = f_items2dict(j, a[0], a[1], out, err);
    } else if (!strcmp(n, "string")) {
        na_buf b;
        na_buf_init(&b, NA_TPL_MAX_OUT);
        rc = na_tpl_stringify(j, &b, err);
        if (rc == 0)
            rc = set_str(out, na_buf_cstr(&b), b.len, err);
        na_buf_free(&b);
    } else {
        if (!strcmp(n, "regex_search"))
            rc = na_tpl_f_regex_search(j, a, groups, (size_t)nvar, &res, err);
        else if (!strcmp(n, "regex_replace"))
            rc = na_tpl_f_regex_replace(j, a, &res, err);
        else if (!strcmp(n, "split"))
            rc = na_tpl_f_split(j, a, &res, err);
        else if (!strcmp(n, "first") || !strcmp(n, "last"))
            rc = na_tpl_f_first_last(n, j, &res, err);
        else if (!strcmp(n, "unique"))
            rc = na_tpl_f_unique(j, a, &res, err);
        else if (!strcmp(n, "sort"))
            rc = na_tpl_f_sort(j, a, &res, err);
        else
            rc = na_tpl_f_min_max(n, j, a, &res, err);
        if (rc == 0 && res) {
            rc = set_val(out, res, err);
        } else if (rc == 0) { /* an empty sequence: undefined, like Jinja's */
            out->k = TV_UNDEF;
            snprintf(out->why, sizeof out->why, "filter '%s': the %s is empty", n,
                     json_is_string(j) ? "string" : "list");
        }
    }
done:
    for (int i = 0; i < nargs; i++)
        na_tv_clear(&args[i]);
    return rc < 0 ? -1 : 0;
}
