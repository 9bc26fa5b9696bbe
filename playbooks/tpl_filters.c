/* tpl_filters.c — the template filters: default (d), upper, lower, join, length (count), trim,
 * replace, int, string. Each checks its argument count and input type and says what it wanted.
 * Not extensible at runtime: the list is fixed and documented in docs/playbooks.md. */
#include "tpl_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct fdef {
    const char *name;
    int min_args, max_args;
} fdef;

static const fdef FILTERS[] = {
    {"default", 0, 2}, {"d", 0, 2},      {"upper", 0, 0},   {"lower", 0, 0},
    {"join", 0, 1},    {"length", 0, 0}, {"count", 0, 0},   {"trim", 0, 0},
    {"replace", 2, 2}, {"int", 0, 0},    {"string", 0, 0},
};

static const fdef *find(const char *name)
{
    for (size_t i = 0; i < sizeof FILTERS / sizeof FILTERS[0]; i++)
        if (!strcmp(FILTERS[i].name, name))
            return &FILTERS[i];
    return NULL;
}

bool tpl_filter_known(const char *name) { return find(name) != NULL; }

const char *tpl_filter_arity(const char *name, int nargs)
{
    const fdef *d = find(name);
    if (!d || (nargs >= d->min_args && nargs <= d->max_args))
        return NULL;
    if (d->max_args == 0)
        return "takes no arguments";
    if (d->min_args == d->max_args)
        return d->max_args == 1 ? "takes 1 argument" : "takes 2 arguments";
    return d->max_args == 1 ? "takes at most 1 argument" : "takes at most 2 arguments";
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

int tpl_filter(const na_tpl *t, const xnode *f, tv *in, na_tpl_env *env, tv *out, na_err *err)
{
    const fdef *d = find(f->s);
    memset(out, 0, sizeof *out);
    out->k = TV_UNDEF;
    if (!d)
        return na_err_set(err, NA_E_CONFIG, "unknown filter '%s'", f->s);
    tv args[2] = {{0}, {0}};
    int nargs = 0, rc = 0;
    bool unknown = false;
    for (int i = f->b; i >= 0; i = t->nodes[i].next) {
        if (nargs == d->max_args) {
            rc = na_err_set(err, NA_E_CONFIG, "filter '%s' takes %s%d argument%s", f->s,
                            d->min_args == d->max_args ? "" : "at most ", d->max_args,
                            d->max_args == 1 ? "" : "s");
            goto done;
        }
        if (tpl_eval_node(t, i, env, &args[nargs], err) < 0 ||
            tv_use(&args[nargs], env, err) < 0) {
            nargs++;
            rc = -1;
            goto done;
        }
        unknown |= args[nargs].k == TV_UNKNOWN;
        nargs++;
    }
    if (nargs < d->min_args) {
        rc = na_err_set(err, NA_E_CONFIG, "filter '%s' takes %d argument%s", f->s, d->min_args,
                        d->min_args == 1 ? "" : "s");
        goto done;
    }
    bool is_default = !strcmp(d->name, "default") || !strcmp(d->name, "d");
    if (is_default) {
        bool boolean = nargs > 1 && args[1].k == TV_VAL && na_tpl_truthy(args[1].j);
        if (in->k == TV_UNKNOWN || (nargs > 1 && args[1].k == TV_UNKNOWN)) {
            out->k = TV_UNKNOWN;
            goto done;
        }
        if (in->k == TV_VAL && boolean) {
            if ((rc = tv_use(in, env, err)) < 0)
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
        } else if (nargs == 0) {
            rc = set_str(out, "", 0, err);
        } else if (args[0].k == TV_UNKNOWN) {
            out->k = TV_UNKNOWN;
        } else {
            *out = args[0];
            memset(&args[0], 0, sizeof args[0]);
        }
        goto done;
    }
    if ((rc = tv_use(in, env, err)) < 0)
        goto done;
    if (unknown || in->k == TV_UNKNOWN) {
        out->k = TV_UNKNOWN;
        goto done;
    }
    const json_t *j = in->j;
    const char *n = d->name;
    if (!strcmp(n, "upper") || !strcmp(n, "lower") || !strcmp(n, "trim")) {
        rc = f_case_trim(n, j, out, err);
    } else if (!strcmp(n, "join")) {
        rc = f_join(j, nargs ? args[0].j : NULL, out, err);
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
        rc = f_replace(j, args[0].j, args[1].j, out, err);
    } else if (!strcmp(n, "int")) {
        rc = f_int(j, out, err);
    } else { /* string */
        na_buf b;
        na_buf_init(&b, NA_TPL_MAX_OUT);
        rc = na_tpl_stringify(j, &b, err);
        if (rc == 0)
            rc = set_str(out, na_buf_cstr(&b), b.len, err);
        na_buf_free(&b);
    }
done:
    for (int i = 0; i < nargs && i < 2; i++)
        tv_clear(&args[i]);
    return rc < 0 ? -1 : 0;
}
