/* yjson.c — YAML nodes to jansson values with Ansible-like scalar typing (see yjson.h). */
#include "yjson.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

json_t *na_yscalar_to_json(const na_ynode *n)
{
    if (!na_yis_scalar(n))
        return NULL;
    const char *s = na_yscalar(n);
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return json_stringn(s, n->data.scalar.length);
    if (na_yis_null(n))
        return json_null();
    static const char *const t[] = {"true", "yes", "on"}, *const f[] = {"false", "no", "off"};
    for (int i = 0; i < 3; i++) {
        if (!strcasecmp(s, t[i]))
            return json_true();
        if (!strcasecmp(s, f[i]))
            return json_false();
    }
    char *end;
    errno = 0;
    /* "010" stays a string (no octal surprises: it is usually an identifier) */
    bool lead0 = s[0] == '0' && s[1] >= '0' && s[1] <= '9';
    if (!lead0 && ((s[0] >= '0' && s[0] <= '9') || ((s[0] == '-' || s[0] == '+') && s[1]))) {
        long long v = strtoll(s, &end, 0);
        if (!errno && !*end)
            return json_integer(v);
        errno = 0;
        double d = strtod(s, &end);
        if (!errno && !*end && !strpbrk(s, "xXnN")) /* no hex floats, nan, inf */
            return json_real(d);
    }
    return json_stringn(s, n->data.scalar.length);
}

static json_t *conv(na_ydoc *d, const na_ynode *n, int depth, na_err *err)
{
    if (depth > 128) {
        na_yerr(err, d, n, "nested too deeply");
        return NULL;
    }
    if (!n)
        return json_null();
    if (n->type == YAML_SCALAR_NODE) {
        json_t *v = na_yscalar_to_json(n);
        if (!v)
            na_err_set(err, NA_E_NOMEM, "out of memory");
        return v;
    }
    if (n->type == YAML_SEQUENCE_NODE) {
        json_t *a = json_array();
        size_t len = na_yseq_len(n);
        for (size_t i = 0; a && i < len; i++) {
            json_t *v = conv(d, na_yseq_item(d, n, i), depth + 1, err);
            if (!v || json_array_append_new(a, v) < 0) {
                json_decref(a);
                return NULL;
            }
        }
        return a;
    }
    if (n->type == YAML_MAPPING_NODE) {
        json_t *o = json_object();
        size_t len = na_ymap_len(n);
        for (size_t i = 0; o && i < len; i++) {
            const na_ynode *k = na_ymap_key(d, n, i);
            const char *ks = na_yscalar(k);
            if (!ks) {
                na_yerr(err, d, k, "mapping keys must be strings");
                json_decref(o);
                return NULL;
            }
            json_t *v = conv(d, na_ymap_val(d, n, i), depth + 1, err);
            if (!v || json_object_set_new(o, ks, v) < 0) {
                json_decref(o);
                return NULL;
            }
        }
        return o;
    }
    na_yerr(err, d, n, "unsupported YAML node");
    return NULL;
}

json_t *na_ynode_to_json(na_ydoc *d, const na_ynode *n, na_err *err)
{
    return conv(d, n, 0, err);
}
