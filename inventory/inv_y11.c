/* inv_y11.c — YAML to JSON the way Ansible's loader (PyYAML's YAML 1.1 resolver and constructor
 * plus Ansible's tags) builds its values, so that inventory and group_vars/host_vars variables
 * come out exactly as ansible-inventory shows them: plain scalars typed by PyYAML's regular
 * expressions (yes/no/on/off booleans, 0o17 and 017 octal, 0b101, 0x1f, 1_000, 1:30
 * sexagesimal, 1.5e+3 but not 1e3), `<<` merge keys, `!vault` values decrypted, `!unsafe`
 * strings; the position of every mapping value is recorded beside the tree. Not the native
 * format's typing (core/yjson.c, kept for native inventories and playbooks). */
#include "inv_ans_int.h"
#include "secret.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* PyYAML's implicit resolvers (resolver.py), in the order PyYAML tries them. */
enum { R_BOOL, R_FLOAT, R_INT, R_NULL, R_COUNT };
static const char *const resolver_src[R_COUNT] = {
    "^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$",
    "^(?:[-+]?(?:[0-9][0-9_]*)\\.[0-9_]*(?:[eE][-+][0-9]+)?|\\.[0-9_]+(?:[eE][-+][0-9]+)?"
    "|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\\.[0-9_]*|[-+]?\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN))$",
    "^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+"
    "|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$",
    "^(?:~|null|Null|NULL|)$",
};
static pcre2_code *resolver[R_COUNT];

static bool resolves(int r, const char *s, size_t n)
{
    pcre2_code *re = __atomic_load_n(&resolver[r], __ATOMIC_ACQUIRE);
    if (!re) { /* compiled once per process, whichever thread gets there first */
        int ec;
        PCRE2_SIZE eo;
        re = pcre2_compile((PCRE2_SPTR)resolver_src[r], PCRE2_ZERO_TERMINATED, 0, &ec, &eo,
                           NULL);
        if (!re)
            return false;
        pcre2_code *expected = NULL;
        if (!__atomic_compare_exchange_n(&resolver[r], &expected, re, false, __ATOMIC_ACQ_REL,
                                         __ATOMIC_ACQUIRE)) {
            pcre2_code_free(re);
            re = expected;
        }
    }
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    bool ok = md && pcre2_match(re, (PCRE2_SPTR)s, n, 0, 0, md, NULL) > 0;
    pcre2_match_data_free(md);
    return ok;
}

/* value without '_' and with its sign taken off; returns the sign */
static int clean(const char *s, char *out, size_t cap)
{
    int sign = 1;
    size_t o = 0;
    if (*s == '-' || *s == '+')
        sign = *s++ == '-' ? -1 : 1;
    for (; *s && o + 1 < cap; s++)
        if (*s != '_')
            out[o++] = *s;
    out[o] = '\0';
    return sign;
}

static json_t *construct_int(const char *s)
{
    char v[256];
    if (strlen(s) >= sizeof v)
        return NULL;
    int sign = clean(s, v, sizeof v);
    long long r = 0;
    errno = 0;
    char *end = v;
    if (!strcmp(v, "0"))
        r = 0;
    else if (!strncmp(v, "0b", 2))
        r = strtoll(v + 2, &end, 2);
    else if (!strncmp(v, "0x", 2))
        r = strtoll(v + 2, &end, 16);
    else if (v[0] == '0')
        r = strtoll(v, &end, 8);
    else if (strchr(v, ':')) { /* sexagesimal: 1:30 is 90 */
        for (char *p = v; *p;) {
            long long d = strtoll(p, &end, 10);
            if (r > INT64_MAX / 60)
                return NULL;
            r = r * 60 + d;
            p = *end == ':' ? end + 1 : end;
            if (!*end)
                break;
        }
    } else
        r = strtoll(v, &end, 10);
    if (errno || *end || (end == v && strcmp(v, "0")))
        return NULL;
    return json_integer(sign * r);
}

static json_t *construct_float(const char *s)
{
    char v[256];
    if (strlen(s) >= sizeof v)
        return NULL;
    int sign = clean(s, v, sizeof v);
    if (strchr(v, 'i') || strchr(v, 'I') || strchr(v, 'n') || strchr(v, 'N'))
        return NULL; /* .inf / .nan: JSON has no such number */
    double r = 0;
    if (strchr(v, ':')) {
        char *p = v, *end;
        double base = 0;
        for (;;) { /* all but the last part are integers */
            char *colon = strchr(p, ':');
            if (!colon)
                break;
            base = base * 60 + (double)strtoll(p, &end, 10);
            p = colon + 1;
        }
        r = base * 60 + strtod(p, &end);
    } else {
        char *end;
        r = strtod(v, &end);
        if (*end)
            return NULL;
    }
    if (!isfinite(r))
        return NULL;
    return json_real(sign * r);
}

/* The typed value of a scalar node; NULL when the node's tag cannot be constructed (with
 * *bad set) or on OOM. */
static json_t *scalar(na_inventory *inv, na_ydoc *d, const na_ynode *n, na_err *err)
{
    const char *s = na_yscalar(n);
    size_t len = n->data.scalar.length;
    const char *tag = n->tag ? (const char *)n->tag : "";
    if (!strcmp(tag, "!vault") || !strcmp(tag, "!vault-encrypted")) {
        char label[600];
        snprintf(label, sizeof label, "%s:%u:%u", d->name, na_yline(n), na_ycol(n));
        na_buf out;
        na_buf_init(&out, (size_t)16 << 20);
        json_t *j = NULL;
        if (na_avault_decrypt(inv->ans ? inv->ans->keys : NULL, label, s, len, &out, err) == 0) {
            if (out.len)
                na_secret_register(na_buf_cstr(&out)); /* an encrypted value is a secret */
            j = json_stringn(na_buf_cstr(&out), out.len);
            if (!j)
                na_err_set(err, NA_E_CONFIG, "%s: the decrypted value is not UTF-8 text", label);
        }
        if (out.data)
            na_wipe(out.data, out.cap);
        na_buf_free(&out);
        return j;
    }
    if (!strcmp(tag, "!unsafe"))
        return json_stringn(s, len);
    bool plain = n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    const char *std = "tag:yaml.org,2002:";
    if (strncmp(tag, std, strlen(std)) != 0 && *tag) {
        na_yerr(err, d, n, "the YAML tag '%s' is not supported (Ansible's loader knows !vault "
                           "and !unsafe)", tag);
        return NULL;
    }
    const char *t = *tag ? tag + strlen(std) : "str";
    if (!strcmp(t, "str") && plain) { /* untagged plain scalar: resolve like PyYAML */
        if (strlen(s) != len)
            return json_stringn(s, len);
        json_t *j = NULL;
        if (resolves(R_BOOL, s, len))
            return (s[0] == 'y' || s[0] == 'Y' || s[0] == 't' || s[0] == 'T' ||
                    ((s[0] == 'o' || s[0] == 'O') && (s[1] == 'n' || s[1] == 'N')))
                       ? json_true() : json_false();
        if (resolves(R_FLOAT, s, len) && (j = construct_float(s)))
            return j;
        if (resolves(R_INT, s, len) && (j = construct_int(s)))
            return j;
        if (resolves(R_NULL, s, len))
            return json_null();
        return json_stringn(s, len);
    }
    if (!strcmp(t, "str"))
        return json_stringn(s, len);
    json_t *j = NULL;
    if (!strcmp(t, "int"))
        j = construct_int(s);
    else if (!strcmp(t, "float"))
        j = construct_float(s);
    else if (!strcmp(t, "bool"))
        j = resolves(R_BOOL, s, len) ? json_boolean(strchr("yYtT", s[0]) ||
                                                    !strcasecmp(s, "on")) : NULL;
    else if (!strcmp(t, "null"))
        j = json_null();
    if (!j)
        na_yerr(err, d, n, "cannot read '%s' as a YAML %s", s, t);
    return j;
}

/* Key text as Ansible's JSON shows it (PyYAML types keys too: 1 -> "1", true -> "true"). */
static bool key_text(json_t *k, char *out, size_t cap)
{
    if (json_is_string(k))
        snprintf(out, cap, "%s", json_string_value(k));
    else if (json_is_integer(k))
        snprintf(out, cap, "%lld", (long long)json_integer_value(k));
    else if (json_is_real(k))
        snprintf(out, cap, "%.17g", json_real_value(k));
    else if (json_is_null(k) || json_is_boolean(k))
        snprintf(out, cap, "%s", json_is_null(k) ? "null" : json_is_true(k) ? "true" : "false");
    else
        return false;
    return true;
}

static json_t *conv(na_inventory *inv, na_ydoc *d, const na_ynode *n, inv_pos *pos, int depth,
                    na_err *err);

static void note_pos(inv_pos *pos, json_t *obj, const char *key, const na_ynode *kn,
                     const na_ynode *v)
{
    if (!pos)
        return;
    if (!pos->map && !(pos->map = json_object()))
        return;
    char k[1200], p[40];
    snprintf(k, sizeof k, "%p=%s", (void *)obj, key);
    snprintf(p, sizeof p, "%u:%u", na_yline(v), na_ycol(v));
    json_object_set_new(pos->map, k, json_string(p));
    snprintf(k, sizeof k, "%p:%s", (void *)obj, key);
    snprintf(p, sizeof p, "%u:%u", na_yline(kn), na_ycol(kn));
    json_object_set_new(pos->map, k, json_string(p));
}

/* Merge the mapping(s) under a "<<" key into o (earlier keys of o win: they come later). */
static int merge_into(na_inventory *inv, na_ydoc *d, json_t *o, const na_ynode *v,
                      inv_pos *pos, int depth, na_err *err)
{
    size_t cnt = na_yis_seq(v) ? na_yseq_len(v) : 1;
    /* PyYAML: the first mapping of a list wins over later ones, explicit keys over all */
    for (size_t i = cnt; i-- > 0;) {
        const na_ynode *m = na_yis_seq(v) ? na_yseq_item(d, v, i) : v;
        if (!na_yis_map(m))
            return na_yerr(err, d, m, "a '<<' merge key needs a mapping or a list of mappings");
        json_t *sub = conv(inv, d, m, pos, depth + 1, err);
        if (!sub)
            return -1;
        const char *k;
        json_t *x;
        json_object_foreach (sub, k, x) {
            json_object_set(o, k, x);
            if (pos && pos->map) { /* carry the position over */
                for (int w = 0; w < 2; w++) {
                    char from[1200], to[1200];
                    snprintf(from, sizeof from, w ? "%p:%s" : "%p=%s", (void *)sub, k);
                    snprintf(to, sizeof to, w ? "%p:%s" : "%p=%s", (void *)o, k);
                    json_t *p = json_object_get(pos->map, from);
                    if (p)
                        json_object_set(pos->map, to, p);
                }
            }
        }
        json_decref(sub);
    }
    return 0;
}

static json_t *conv(na_inventory *inv, na_ydoc *d, const na_ynode *n, inv_pos *pos, int depth,
                    na_err *err)
{
    if (depth > 128) {
        na_yerr(err, d, n, "nested too deeply");
        return NULL;
    }
    if (!n)
        return json_null();
    if (n->type == YAML_SCALAR_NODE)
        return scalar(inv, d, n, err);
    if (n->type == YAML_SEQUENCE_NODE) {
        json_t *a = json_array();
        for (size_t i = 0; a && i < na_yseq_len(n); i++) {
            json_t *v = conv(inv, d, na_yseq_item(d, n, i), pos, depth + 1, err);
            if (!v) {
                json_decref(a);
                return NULL;
            }
            json_array_append_new(a, v);
        }
        if (!a)
            na_err_set(err, NA_E_NOMEM, "out of memory");
        return a;
    }
    json_t *o = json_object();
    if (!o) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    size_t len = na_ymap_len(n);
    /* merge keys first: explicit keys override what they bring */
    for (size_t i = 0; i < len; i++) {
        const na_ynode *k = na_ymap_key(d, n, i);
        if (na_yis_scalar(k) && k->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
            !strcmp(na_yscalar(k), "<<") &&
            merge_into(inv, d, o, na_ymap_val(d, n, i), pos, depth, err) < 0) {
            json_decref(o);
            return NULL;
        }
    }
    for (size_t i = 0; i < len; i++) {
        const na_ynode *k = na_ymap_key(d, n, i);
        if (na_yis_scalar(k) && k->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
            !strcmp(na_yscalar(k), "<<"))
            continue;
        if (!na_yis_scalar(k)) {
            na_yerr(err, d, k, "a mapping key must be a single value");
            json_decref(o);
            return NULL;
        }
        json_t *kj = scalar(inv, d, k, err);
        char kt[2048];
        if (!kj || !key_text(kj, kt, sizeof kt)) {
            json_decref(kj);
            json_decref(o);
            return NULL;
        }
        json_decref(kj);
        const na_ynode *vn = na_ymap_val(d, n, i);
        json_t *v = conv(inv, d, vn, pos, depth + 1, err);
        if (!v) {
            json_decref(o);
            return NULL;
        }
        json_object_set_new(o, kt, v);
        note_pos(pos, o, kt, k, vn);
    }
    return o;
}

json_t *na_inv_y11(na_inventory *inv, na_ydoc *d, const na_ynode *n, inv_pos *pos, na_err *err)
{
    return conv(inv, d, n, pos, 0, err);
}
