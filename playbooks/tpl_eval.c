/* tpl_eval.c — template evaluation: variable lookup through the caller's callback, paths,
 * comparisons, boolean logic, lazy evaluation of template strings found in variables (bounded
 * depth), rendering to text. Not the parser (tpl_parse.c) nor the filters (tpl_filters.c). */
#include "tpl_int.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void na_tv_clear(tv *v)
{
    json_decref(v->j);
    v->j = NULL;
    v->k = TV_UNDEF;
    v->raw = false;
    v->why[0] = '\0';
}

static void tv_set(tv *v, json_t *j, bool raw) /* takes the reference */
{
    v->k = TV_VAL;
    v->j = j;
    v->raw = raw;
    v->why[0] = '\0';
}

const char *na_tpl_type_name(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: return "a mapping";
    case JSON_ARRAY: return "a list";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "none";
    }
}

static void span(const na_tpl *t, int idx, char *buf, size_t cap)
{
    const xnode *x = &t->nodes[idx];
    size_t len = x->len;
    while (len && (t->src[x->off + len - 1] == ' ' || t->src[x->off + len - 1] == '\t'))
        len--;
    snprintf(buf, cap, "%.*s", (int)len, t->src + x->off);
}

void na_tpl_path(const na_tpl *t, int idx, char *buf, size_t cap)
{
    const xnode *x = &t->nodes[idx];
    if (cap == 0)
        return;
    buf[0] = '\0';
    if (x->k == X_VAR) {
        snprintf(buf, cap, "%s", x->s);
    } else if (x->k == X_ATTR || x->k == X_INDEX) {
        na_tpl_path(t, x->a, buf, cap);
        size_t n = strlen(buf);
        if (x->k == X_ATTR) {
            snprintf(buf + n, cap - n, ".%s", x->s);
        } else {
            const xnode *ix = &t->nodes[x->b];
            if (ix->k == X_LIT && json_is_integer(ix->lit))
                snprintf(buf + n, cap - n, "[%lld]", (long long)json_integer_value(ix->lit));
            else if (ix->k == X_LIT && json_is_string(ix->lit))
                snprintf(buf + n, cap - n, "['%s']", json_string_value(ix->lit));
            else {
                char in[100];
                span(t, x->b, in, sizeof in);
                snprintf(buf + n, cap - n, "[%s]", in);
            }
        }
    } else {
        span(t, idx, buf, cap);
    }
}

int na_tpl_charge(na_tpl_env *env, unsigned long n, na_err *err)
{
    env->steps = env->steps + n < env->steps ? ULONG_MAX : env->steps + n;
    if (env->steps <= NA_TPL_MAX_STEPS)
        return 0;
    return na_err_set(err, NA_E_CONFIG, "evaluation takes more than %lu steps (variables that "
                      "use each other many times?)", NA_TPL_MAX_STEPS);
}

/* Does j hold a template string? Each node looked at is a step; past the budget the answer is
 * "yes" so that the caller's own charge() reports it. */
static bool has_lazy(const json_t *j, int depth, na_tpl_env *env)
{
    if (++env->steps > NA_TPL_MAX_STEPS)
        return true;
    if (depth > 64)
        return false;
    if (json_is_string(j)) {
        env->steps += json_string_length(j) / 256; /* scanned for "{{": long ones cost more */
        return na_tpl_has_syntax(json_string_value(j));
    }
    if (json_is_array(j)) {
        size_t i;
        json_t *v;
        json_array_foreach (j, i, v)
            if (has_lazy(v, depth + 1, env))
                return true;
    } else if (json_is_object(j)) {
        const char *k;
        json_t *v;
        json_object_foreach ((json_t *)j, k, v)
            if (has_lazy(v, depth + 1, env))
                return true;
    }
    return false;
}

/* Evaluate a template string found in a variable. */
static int eval_lazy(const char *s, na_tpl_env *env, const char *what, tv *out, na_err *err)
{
    if (na_tpl_charge(env, strlen(s) + 1, err) < 0)
        return -1;
    if (env->depth >= NA_TPL_MAX_DEPTH)
        return na_err_set(err, NA_E_CONFIG,
                          "variables nested more than %d deep (does '%s' refer to itself?)",
                          NA_TPL_MAX_DEPTH, what);
    na_err local = NA_ERR_INIT;
    na_tpl *t = na_tpl_compile(s, &local);
    json_t *j = NULL;
    int rc = -1;
    if (t) {
        env->depth++;
        rc = na_tpl_eval(t, env, &j, &local);
        env->depth--;
        na_tpl_free(t);
    }
    if (rc < 0) {
        if (local.code == NA_E_NOMEM || strstr(local.msg, "(in the value of") ||
            strstr(local.msg, "refer to itself?)"))
            return na_err_set(err, local.code, "%s", local.msg);
        return na_err_set(err, local.code, "%s (in the value of '%s')", local.msg, what);
    }
    if (rc == NA_TPL_UNKNOWN_VALUE) {
        out->k = TV_UNKNOWN;
        return 0;
    }
    tv_set(out, j, true);
    return 0;
}

static int deep(json_t *j, na_tpl_env *env, const char *what, json_t **out, bool *unknown,
                int depth, na_err *err)
{
    if (na_tpl_charge(env, 1, err) < 0)
        return -1;
    if (depth > 64)
        return na_err_set(err, NA_E_CONFIG, "value of '%s' is nested too deeply", what);
    if (json_is_string(j) && na_tpl_has_syntax(json_string_value(j))) {
        tv v = {0};
        if (eval_lazy(json_string_value(j), env, what, &v, err) < 0)
            return -1;
        if (v.k == TV_UNKNOWN) {
            *unknown = true;
            *out = json_null();
        } else {
            *out = v.j;
        }
        return 0;
    }
    if (!has_lazy(j, 0, env)) {
        *out = json_incref(j);
        return 0;
    }
    json_t *c = json_is_array(j) ? json_array() : json_object();
    if (!c)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    if (json_is_array(j)) {
        size_t i;
        json_t *v;
        json_array_foreach (j, i, v) {
            json_t *r;
            if (deep(v, env, what, &r, unknown, depth + 1, err) < 0 ||
                json_array_append_new(c, r) < 0)
                goto fail;
        }
    } else {
        const char *k;
        json_t *v;
        json_object_foreach (j, k, v) {
            json_t *r;
            if (deep(v, env, what, &r, unknown, depth + 1, err) < 0 ||
                json_object_set_new(c, k, r) < 0)
                goto fail;
        }
    }
    *out = c;
    return 0;
fail:
    json_decref(c);
    return na_err_isset(err) ? -1 : na_err_set(err, NA_E_NOMEM, "out of memory");
}

/* Make a value usable: undefined becomes an error, lazy templates are evaluated. */
static int tv_use_what(tv *v, na_tpl_env *env, const char *what, na_err *err)
{
    if (v->k == TV_UNDEF)
        return na_err_set(err, NA_E_NOTFOUND, "%s", v->why);
    if (v->k == TV_UNKNOWN || v->raw)
        return 0;
    json_t *r;
    bool unknown = false;
    if (deep(v->j, env, what, &r, &unknown, 0, err) < 0)
        return -1;
    json_decref(v->j);
    v->j = NULL;
    if (unknown) {
        json_decref(r);
        v->k = TV_UNKNOWN;
        return 0;
    }
    tv_set(v, r, true);
    return 0;
}

int na_tv_use(tv *v, na_tpl_env *env, na_err *err)
{
    return tv_use_what(v, env, "a variable", err);
}

/* Evaluate a lazy string at this node only (for navigation). */
static int shallow(const na_tpl *t, int idx, tv *v, na_tpl_env *env, na_err *err)
{
    if (v->k != TV_VAL || v->raw || !json_is_string(v->j) ||
        !na_tpl_has_syntax(json_string_value(v->j)))
        return 0;
    char what[160];
    na_tpl_path(t, idx, what, sizeof what);
    tv r = {0};
    if (eval_lazy(json_string_value(v->j), env, what, &r, err) < 0)
        return -1;
    na_tv_clear(v);
    *v = r;
    return 0;
}

static int eval_used(const na_tpl *t, int idx, na_tpl_env *env, tv *out, na_err *err)
{
    if (na_tpl_eval_node(t, idx, env, out, err) < 0)
        return -1;
    char what[160];
    na_tpl_path(t, idx, what, sizeof what);
    if (tv_use_what(out, env, what, err) < 0) {
        na_tv_clear(out);
        return -1;
    }
    return 0;
}

static int eval_var(const na_tpl *t, const xnode *x, na_tpl_env *env, tv *out, na_err *err)
{
    json_t *j = NULL;
    int rc = env->lookup ? env->lookup(env, x->s, &j, err) : NA_TPL_UNDEF;
    if (rc < 0)
        return -1;
    (void)t;
    if (rc == NA_TPL_UNKNOWN) {
        json_decref(j);
        out->k = TV_UNKNOWN;
    } else if (rc == NA_TPL_FOUND || rc == NA_TPL_FOUND_RAW) {
        if (!j)
            return na_err_set(err, NA_E_INTERNAL, "variable lookup for '%s' returned nothing",
                              x->s);
        tv_set(out, j, rc == NA_TPL_FOUND_RAW);
    } else {
        out->k = TV_UNDEF;
        snprintf(out->why, sizeof out->why, "undefined variable '%s'", x->s);
    }
    return 0;
}

static int eval_nav(const na_tpl *t, int idx, na_tpl_env *env, tv *out, na_err *err)
{
    const xnode *x = &t->nodes[idx];
    char path[160];
    if (na_tpl_eval_node(t, x->a, env, out, err) < 0)
        return -1;
    tv key = {0};
    if (x->k == X_INDEX) {
        if (eval_used(t, x->b, env, &key, err) < 0)
            goto fail;
        if (key.k == TV_UNKNOWN) {
            na_tv_clear(out);
            out->k = TV_UNKNOWN;
            return 0;
        }
    }
    if (out->k != TV_VAL) {
        na_tv_clear(&key);
        return 0; /* undefined (keeps its reason) or unknown propagate */
    }
    if (shallow(t, x->a, out, env, err) < 0)
        goto fail;
    if (out->k != TV_VAL) {
        na_tv_clear(&key);
        return 0;
    }
    na_tpl_path(t, x->a, path, sizeof path);
    json_t *cur = out->j, *child = NULL;
    char why[sizeof out->why];
    why[0] = '\0';
    if (x->k == X_ATTR) {
        if (json_is_object(cur)) {
            child = json_object_get(cur, x->s);
            if (!child)
                snprintf(why, sizeof why, "'%s' has no field '%s'", path, x->s);
        } else {
            snprintf(why, sizeof why, "'%s' is %s, not a mapping (looking for field '%s')", path,
                     na_tpl_type_name(cur), x->s);
        }
    } else if (json_is_array(cur) && json_is_integer(key.j)) {
        long long i = json_integer_value(key.j), n = (long long)json_array_size(cur);
        long long at = i < 0 ? n + i : i;
        if (at >= 0 && at < n)
            child = json_array_get(cur, (size_t)at);
        else
            snprintf(why, sizeof why, "'%s' has no item [%lld] (it has %lld)", path, i, n);
    } else if (json_is_object(cur) && (json_is_string(key.j) || json_is_integer(key.j))) {
        char kb[32];
        const char *k = json_is_string(key.j) ? json_string_value(key.j) : kb;
        if (json_is_integer(key.j))
            snprintf(kb, sizeof kb, "%lld", (long long)json_integer_value(key.j));
        child = json_object_get(cur, k);
        if (!child)
            snprintf(why, sizeof why, "'%s' has no field '%s'", path, k);
    } else {
        na_err_set(err, NA_E_CONFIG, "cannot index '%s' (%s) with %s", path, na_tpl_type_name(cur),
                   na_tpl_type_name(key.j));
        goto fail;
    }
    bool raw = out->raw;
    child = json_incref(child); /* before the container goes: it may hold the only reference */
    na_tv_clear(&key);
    na_tv_clear(out);
    if (child) {
        tv_set(out, child, raw);
    } else {
        out->k = TV_UNDEF;
        memcpy(out->why, why, sizeof why);
    }
    return 0;
fail:
    na_tv_clear(&key);
    na_tv_clear(out);
    return -1;
}

/* Truth of an evaluated operand: 1 true, 0 false, 2 unknown, -1 error. */
static int truth(const na_tpl *t, int idx, na_tpl_env *env, na_err *err)
{
    tv v = {0};
    if (eval_used(t, idx, env, &v, err) < 0)
        return -1;
    int r = v.k == TV_UNKNOWN ? 2 : na_tpl_truthy(v.j);
    na_tv_clear(&v);
    return r;
}

static bool num_eq(const json_t *a, const json_t *b)
{
    if (json_is_integer(a) && json_is_integer(b))
        return json_integer_value(a) == json_integer_value(b);
    return json_number_value(a) == json_number_value(b);
}

static bool val_eq(const json_t *a, const json_t *b)
{
    if (json_is_number(a) && json_is_number(b))
        return num_eq(a, b);
    return json_equal((json_t *)a, (json_t *)b);
}

static int compare(int op, const json_t *a, const json_t *b, bool *res, na_err *err)
{
    switch (op) {
    case OP_EQ: *res = val_eq(a, b); return 0;
    case OP_NE: *res = !val_eq(a, b); return 0;
    case OP_IN:
    case OP_NOTIN: {
        bool in = false;
        if (json_is_string(b) && json_is_string(a)) {
            in = strstr(json_string_value(b), json_string_value(a)) != NULL;
        } else if (json_is_array(b)) {
            size_t i;
            json_t *v;
            json_array_foreach ((json_t *)b, i, v)
                if (val_eq(a, v)) {
                    in = true;
                    break;
                }
        } else if (json_is_object(b) && json_is_string(a)) {
            in = json_object_get(b, json_string_value(a)) != NULL;
        } else {
            return na_err_set(err, NA_E_CONFIG, "cannot test whether %s is in %s",
                              na_tpl_type_name(a), na_tpl_type_name(b));
        }
        *res = op == OP_IN ? in : !in;
        return 0;
    }
    default: break;
    }
    int c;
    if (json_is_number(a) && json_is_number(b)) {
        double x = json_number_value(a), y = json_number_value(b);
        if (json_is_integer(a) && json_is_integer(b)) {
            long long p = json_integer_value(a), q = json_integer_value(b);
            c = p < q ? -1 : p > q;
        } else {
            c = x < y ? -1 : x > y;
        }
    } else if (json_is_string(a) && json_is_string(b)) {
        c = strcmp(json_string_value(a), json_string_value(b));
    } else {
        return na_err_set(err, NA_E_CONFIG, "cannot compare %s with %s", na_tpl_type_name(a),
                          na_tpl_type_name(b));
    }
    *res = op == OP_LT ? c < 0 : op == OP_LE ? c <= 0 : op == OP_GT ? c > 0 : c >= 0;
    return 0;
}

int na_tpl_eval_node(const na_tpl *t, int idx, na_tpl_env *env, tv *out, na_err *err)
{
    const xnode *x = &t->nodes[idx];
    memset(out, 0, sizeof *out);
    out->k = TV_UNDEF;
    if (na_tpl_charge(env, 1, err) < 0)
        return -1;
    switch (x->k) {
    case X_VAR: return eval_var(t, x, env, out, err);
    case X_ATTR:
    case X_INDEX: return eval_nav(t, idx, env, out, err);
    case X_LIT: tv_set(out, json_incref(x->lit), true); return 0;
    case X_LIST: {
        json_t *a = json_array();
        bool unknown = false;
        if (!a)
            return na_err_set(err, NA_E_NOMEM, "out of memory");
        for (int i = x->a; i >= 0; i = t->nodes[i].next) {
            tv v = {0};
            if (eval_used(t, i, env, &v, err) < 0) {
                json_decref(a);
                return -1;
            }
            if (v.k == TV_UNKNOWN)
                unknown = true;
            else if (json_array_append_new(a, v.j) < 0) {
                json_decref(a);
                return na_err_set(err, NA_E_NOMEM, "out of memory");
            }
        }
        if (unknown) {
            json_decref(a);
            out->k = TV_UNKNOWN;
        } else {
            tv_set(out, a, true);
        }
        return 0;
    }
    case X_FILTER: {
        tv in = {0};
        if (na_tpl_eval_node(t, x->a, env, &in, err) < 0)
            return -1;
        int rc = na_tpl_filter(t, x, &in, env, out, err);
        na_tv_clear(&in);
        return rc;
    }
    case X_NOT: {
        int r = truth(t, x->a, env, err);
        if (r < 0)
            return -1;
        if (r == 2)
            out->k = TV_UNKNOWN;
        else
            tv_set(out, json_boolean(!r), true);
        return 0;
    }
    case X_AND:
    case X_OR: {
        int ra = truth(t, x->a, env, err);
        if (ra < 0)
            return -1;
        bool is_and = x->k == X_AND;
        if (ra != 2 && (is_and ? !ra : ra)) { /* short circuit */
            tv_set(out, json_boolean(ra), true);
            return 0;
        }
        int rb = truth(t, x->b, env, err);
        if (rb < 0)
            return -1;
        if (rb != 2 && (is_and ? !rb : rb))
            tv_set(out, json_boolean(rb), true);
        else if (ra == 2 || rb == 2)
            out->k = TV_UNKNOWN;
        else
            tv_set(out, json_boolean(rb), true);
        return 0;
    }
    case X_CMP: {
        tv a = {0}, b = {0};
        if (eval_used(t, x->a, env, &a, err) < 0)
            return -1;
        if (eval_used(t, x->b, env, &b, err) < 0) {
            na_tv_clear(&a);
            return -1;
        }
        int rc = 0;
        if (a.k == TV_UNKNOWN || b.k == TV_UNKNOWN) {
            out->k = TV_UNKNOWN;
        } else {
            bool r = false;
            rc = compare(x->op, a.j, b.j, &r, err);
            if (rc == 0)
                tv_set(out, json_boolean(r), true);
        }
        na_tv_clear(&a);
        na_tv_clear(&b);
        return rc;
    }
    case X_CONCAT: { /* Jinja's ~: both sides as text */
        tv a = {0}, b = {0};
        if (eval_used(t, x->a, env, &a, err) < 0)
            return -1;
        if (eval_used(t, x->b, env, &b, err) < 0) {
            na_tv_clear(&a);
            return -1;
        }
        int rc = 0;
        if (a.k == TV_UNKNOWN || b.k == TV_UNKNOWN) {
            out->k = TV_UNKNOWN;
        } else {
            na_buf s;
            na_buf_init(&s, NA_TPL_MAX_OUT);
            rc = na_tpl_stringify(a.j, &s, err);
            if (rc == 0)
                rc = na_tpl_stringify(b.j, &s, err);
            json_t *j = rc == 0 ? json_stringn(na_buf_cstr(&s), s.len) : NULL;
            if (rc == 0 && !j)
                rc = na_err_set(err, NA_E_CONFIG, "rendered text is not valid UTF-8");
            if (j)
                tv_set(out, j, true);
            na_buf_free(&s);
        }
        na_tv_clear(&a);
        na_tv_clear(&b);
        return rc;
    }
    case X_DEFINED: {
        tv a = {0};
        if (na_tpl_eval_node(t, x->a, env, &a, err) < 0)
            return -1;
        if (a.k == TV_UNKNOWN)
            out->k = TV_UNKNOWN;
        else
            tv_set(out, json_boolean((a.k == TV_VAL) != (x->op != 0)), true);
        na_tv_clear(&a);
        return 0;
    }
    }
    return na_err_set(err, NA_E_INTERNAL, "template: bad node");
}

bool na_tpl_truthy(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return json_object_size(v) > 0;
    case JSON_ARRAY: return json_array_size(v) > 0;
    case JSON_STRING: return json_string_length(v) > 0;
    case JSON_INTEGER: return json_integer_value(v) != 0;
    case JSON_REAL: return json_real_value(v) != 0.0;
    case JSON_TRUE: return true;
    default: return false;
    }
}

typedef struct dump_ctx {
    na_buf *out;
    na_err *err;
} dump_ctx;

static int dump_cb(const char *buf, size_t size, void *data)
{
    dump_ctx *c = data;
    return na_buf_append(c->out, buf, size, "rendered text", c->err) < 0 ? -1 : 0;
}

int na_tpl_stringify(const json_t *v, na_buf *out, na_err *err)
{
    switch (json_typeof(v)) {
    case JSON_STRING: return na_buf_append(out, json_string_value(v), json_string_length(v),
                                           "rendered text", err);
    case JSON_INTEGER: return na_buf_printf(out, err, "%lld", (long long)json_integer_value(v));
    case JSON_REAL: {
        double d = json_real_value(v);
        char b[40];
        snprintf(b, sizeof b, "%.15g", d);
        if (strtod(b, NULL) != d)
            snprintf(b, sizeof b, "%.17g", d);
        if (!strpbrk(b, ".eEn"))
            strcat(b, ".0");
        return na_buf_puts(out, b, err);
    }
    case JSON_TRUE: return na_buf_puts(out, "true", err);
    case JSON_FALSE: return na_buf_puts(out, "false", err);
    case JSON_NULL: return 0;
    default: {
        /* straight into the bounded buffer: a list repeating a big value (registered device
         * output) must not be materialised whole before the ceiling is checked */
        dump_ctx c = {out, err};
        if (json_dump_callback(v, dump_cb, &c, JSON_COMPACT | JSON_ENCODE_ANY) < 0)
            return na_err_isset(err) ? -1 : na_err_set(err, NA_E_NOMEM, "out of memory");
        return 0;
    }
    }
}

int na_tpl_render(const na_tpl *t, na_tpl_env *env, na_buf *out, na_err *err)
{
    int rc = NA_TPL_OK;
    for (size_t i = 0; i < t->nsegs; i++) {
        const tseg *s = &t->segs[i];
        if (!s->expr) {
            if (na_buf_append(out, s->text, s->len, "rendered text", err) < 0)
                return -1;
            continue;
        }
        tv v = {0};
        if (eval_used(t, s->root, env, &v, err) < 0)
            return -1;
        int r;
        if (v.k == TV_UNKNOWN) {
            rc = NA_TPL_UNKNOWN_VALUE;
            r = na_buf_append(out, s->text, s->len, "rendered text", err);
        } else {
            r = na_tpl_stringify(v.j, out, err);
        }
        na_tv_clear(&v);
        if (r < 0)
            return -1;
    }
    return rc;
}

int na_tpl_eval(const na_tpl *t, na_tpl_env *env, json_t **out, na_err *err)
{
    *out = NULL;
    if (t->single) {
        for (size_t i = 0; i < t->nsegs; i++) {
            if (!t->segs[i].expr)
                continue;
            tv v = {0};
            if (eval_used(t, t->segs[i].root, env, &v, err) < 0)
                return -1;
            if (v.k == TV_UNKNOWN)
                return NA_TPL_UNKNOWN_VALUE;
            *out = v.j;
            return NA_TPL_OK;
        }
    }
    na_buf b;
    na_buf_init(&b, NA_TPL_MAX_OUT);
    int rc = na_tpl_render(t, env, &b, err);
    if (rc == NA_TPL_OK) {
        *out = json_stringn(na_buf_cstr(&b), b.len);
        if (!*out)
            rc = na_err_set(err, NA_E_CONFIG, "rendered text is not valid UTF-8");
    }
    na_buf_free(&b);
    return rc;
}

int na_tpl_test(const na_tpl *t, na_tpl_env *env, bool *out, na_err *err)
{
    json_t *j;
    int rc = na_tpl_eval(t, env, &j, err);
    if (rc != NA_TPL_OK)
        return rc;
    *out = na_tpl_truthy(j);
    json_decref(j);
    return NA_TPL_OK;
}

static int layers_lookup(na_tpl_env *env, const char *name, json_t **out, na_err *err)
{
    (void)err;
    const na_tpl_layers *l = env->ud;
    for (size_t i = 0; i < l->n && i < NA_TPL_MAX_LAYERS; i++) {
        json_t *v = l->layer[i] ? json_object_get(l->layer[i], name) : NULL;
        if (v) {
            *out = json_incref(v);
            return l->raw ? NA_TPL_FOUND_RAW : NA_TPL_FOUND;
        }
    }
    return NA_TPL_UNDEF;
}

void na_tpl_env_layers(na_tpl_env *env, na_tpl_layers *layers)
{
    env->lookup = layers_lookup;
    env->ud = layers;
    env->depth = 0;
    env->steps = 0;
}

char *na_tpl_render_string(const char *src, const json_t *vars, na_err *err)
{
    na_tpl *t = na_tpl_compile(src, err);
    if (!t)
        return NULL;
    na_tpl_layers l = {.layer = {vars}, .n = 1};
    na_tpl_env env;
    na_tpl_env_layers(&env, &l);
    na_buf b;
    na_buf_init(&b, NA_TPL_MAX_OUT);
    int rc = na_tpl_render(t, &env, &b, err);
    na_tpl_free(t);
    if (rc != NA_TPL_OK) {
        if (rc > 0)
            na_err_set(err, NA_E_INTERNAL, "template value unknown");
        na_buf_free(&b);
        return NULL;
    }
    char *s = na_buf_steal(&b);
    if (!s)
        na_err_set(err, NA_E_NOMEM, "out of memory");
    return s;
}
