/* inv_pylit.c — Python's ast.literal_eval for INI inventory values, because that is how Ansible
 * types them: `x=1` is the integer 1, `x=1_000` 1000, `x=0x1f` 31, `x=1e3` 1000.0, `x=True` true,
 * `x=None` null, `x='a b'` the string "a b", `x=[1, 'a']` a list, `x={'k': 1}` a mapping, while
 * `x=true`, `x=0777` or `x=a b` are not literals and stay text. Python's tokenizer rules
 * (underscores in numbers, string prefixes and escapes, adjacent string concatenation, `#`
 * comments, a bare `1, 2` tuple) are followed. Not Python: no names, operators or calls;
 * complex numbers, sets and `...` are treated as "not a literal". */
#include "inv_ans_int.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct lx {
    const char *s;
    size_t i, n;
    int depth;
    bool fail;
} lx;

static void skip(lx *l)
{
    for (;;) {
        while (l->i < l->n && (l->s[l->i] == ' ' || l->s[l->i] == '\t' || l->s[l->i] == '\f' ||
                               (l->depth > 0 && (l->s[l->i] == '\n' || l->s[l->i] == '\r'))))
            l->i++;
        if (l->i < l->n && l->s[l->i] == '#') {
            while (l->i < l->n && l->s[l->i] != '\n')
                l->i++;
            continue;
        }
        if (l->i + 1 < l->n && l->s[l->i] == '\\' && l->s[l->i + 1] == '\n') {
            l->i += 2; /* explicit line joining */
            continue;
        }
        break;
    }
}

static bool ident_char(int c) { return isalnum(c) || c == '_' || c >= 0x80; }

static json_t *parse_expr(lx *l);

/* digits with single underscores between them, in base b; appends the digits to out */
static bool digits(lx *l, int base, char *out, size_t *on, size_t cap)
{
    size_t start = l->i;
    bool prev_us = true; /* no leading underscore */
    while (l->i < l->n) {
        char c = l->s[l->i];
        if (c == '_') {
            if (prev_us)
                return false;
            prev_us = true;
            l->i++;
            continue;
        }
        int v = isdigit((unsigned char)c) ? c - '0'
                : isalpha((unsigned char)c) ? tolower((unsigned char)c) - 'a' + 10 : 99;
        if (v >= base)
            break;
        if (*on + 1 >= cap)
            return false;
        out[(*on)++] = c;
        prev_us = false;
        l->i++;
    }
    return l->i > start && !prev_us;
}

static json_t *number(lx *l)
{
    char buf[512];
    size_t o = 0;
    const char *s = l->s;
    if (s[l->i] == '0' && l->i + 1 < l->n && strchr("xXoObB", s[l->i + 1])) {
        char k = (char)tolower((unsigned char)s[l->i + 1]);
        int base = k == 'x' ? 16 : k == 'o' ? 8 : 2;
        l->i += 2;
        if (l->i < l->n && s[l->i] == '_')
            l->i++; /* 0x_1f is allowed */
        if (!digits(l, base, buf, &o, sizeof buf))
            return NULL;
        buf[o] = '\0';
        if (l->i < l->n && ident_char((unsigned char)s[l->i]))
            return NULL;
        errno = 0;
        unsigned long long v = strtoull(buf, NULL, base);
        if (errno || v > (unsigned long long)INT64_MAX)
            return NULL;
        return json_integer((json_int_t)v);
    }
    bool is_float = false;
    if (s[l->i] != '.' && !digits(l, 10, buf, &o, sizeof buf))
        return NULL;
    size_t intlen = o;
    if (l->i < l->n && s[l->i] == '.') {
        is_float = true;
        buf[o++] = '.';
        l->i++;
        if (l->i < l->n && isdigit((unsigned char)s[l->i]) &&
            !digits(l, 10, buf, &o, sizeof buf))
            return NULL;
        if (intlen == 0 && o == 1)
            return NULL; /* a lone '.' */
    }
    if (l->i < l->n && (s[l->i] == 'e' || s[l->i] == 'E')) {
        is_float = true;
        buf[o++] = 'e';
        l->i++;
        if (l->i < l->n && (s[l->i] == '+' || s[l->i] == '-'))
            buf[o++] = s[l->i++];
        if (!digits(l, 10, buf, &o, sizeof buf - 2))
            return NULL;
    }
    if (l->i < l->n && (s[l->i] == 'j' || s[l->i] == 'J'))
        return NULL; /* complex */
    if (l->i < l->n && ident_char((unsigned char)s[l->i]))
        return NULL; /* "12abc" */
    buf[o] = '\0';
    if (is_float) {
        double d = strtod(buf, NULL);
        if (!isfinite(d))
            return NULL;
        return json_real(d);
    }
    /* decimal integers: no leading zeros except for zero itself */
    if (buf[0] == '0' && strspn(buf, "0") != strlen(buf))
        return NULL;
    errno = 0;
    long long v = strtoll(buf, NULL, 10);
    if (errno)
        return NULL;
    return json_integer(v);
}

/* Append to a string being built; a failure (past the ceiling) marks the literal as failed. */
static void add(lx *l, na_buf *b, const void *p, size_t n)
{
    if (na_buf_append(b, p, n, NULL, NULL) < 0)
        l->fail = true;
}

static void put_utf8(lx *l, na_buf *b, unsigned long cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    add(l, b, u, n);
}

static int hexn(const char *s, size_t n, unsigned long *v)
{
    *v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isxdigit((unsigned char)s[i]))
            return -1;
        *v = *v * 16 + (unsigned long)(isdigit((unsigned char)s[i])
                                           ? s[i] - '0' : tolower((unsigned char)s[i]) - 'a' + 10);
    }
    return 0;
}

/* One string literal (prefix already checked) appended to b. */
static bool string1(lx *l, bool raw, bool bytes, na_buf *b)
{
    const char *s = l->s;
    char q = s[l->i];
    bool triple = l->i + 2 < l->n && s[l->i + 1] == q && s[l->i + 2] == q;
    l->i += triple ? 3 : 1;
    for (;;) {
        if (l->i >= l->n)
            return false;
        char c = s[l->i];
        if (c == q && (!triple || (l->i + 2 < l->n && s[l->i + 1] == q && s[l->i + 2] == q))) {
            l->i += triple ? 3 : 1;
            return !l->fail;
        }
        if ((c == '\n' || c == '\r') && !triple)
            return false;
        if (bytes && (unsigned char)c >= 0x80)
            return false;
        if (c != '\\') {
            add(l, b, &c, 1);
            l->i++;
            continue;
        }
        if (l->i + 1 >= l->n)
            return false;
        char e = s[l->i + 1];
        if (raw) { /* the backslash stays; it only keeps a quote from ending the string */
            add(l, b, s + l->i, 2);
            l->i += 2;
            continue;
        }
        l->i += 2;
        unsigned long v;
        switch (e) {
        case '\n': break;
        case '\\': add(l, b, "\\", 1); break;
        case '\'': add(l, b, "'", 1); break;
        case '"': add(l, b, "\"", 1); break;
        case 'a': add(l, b, "\a", 1); break;
        case 'b': add(l, b, "\b", 1); break;
        case 'f': add(l, b, "\f", 1); break;
        case 'n': add(l, b, "\n", 1); break;
        case 'r': add(l, b, "\r", 1); break;
        case 't': add(l, b, "\t", 1); break;
        case 'v': add(l, b, "\v", 1); break;
        case 'x':
            if (l->i + 2 > l->n || hexn(s + l->i, 2, &v) < 0)
                return false;
            l->i += 2;
            if (bytes && v >= 0x80)
                return false; /* not text once decoded */
            put_utf8(l, b, v);
            break;
        case 'u':
        case 'U': {
            size_t k = e == 'u' ? 4 : 8;
            if (bytes) { /* not an escape in bytes */
                add(l, b, s + l->i - 2, 2);
                break;
            }
            if (l->i + k > l->n || hexn(s + l->i, k, &v) < 0 || v > 0x10FFFF ||
                (v >= 0xD800 && v <= 0xDFFF))
                return false;
            l->i += k;
            put_utf8(l, b, v);
            break;
        }
        case 'N': return false; /* \N{name}: not supported */
        default:
            if (e >= '0' && e <= '7') {
                v = (unsigned long)(e - '0');
                for (int d = 0; d < 2 && l->i < l->n && s[l->i] >= '0' && s[l->i] <= '7'; d++)
                    v = v * 8 + (unsigned long)(s[l->i++] - '0');
                if (bytes && v >= 0x80)
                    return false;
                put_utf8(l, b, v > 0x10FFFF ? 0xFFFD : v);
            } else { /* an unknown escape keeps its backslash */
                add(l, b, s + l->i - 2, 2);
            }
        }
    }
}

/* A prefix (r, u, b, br, rb in any case) followed by a quote? Sets raw/bytes, advances. */
static bool string_start(lx *l, bool *raw, bool *bytes)
{
    size_t j = l->i;
    *raw = *bytes = false;
    bool u = false;
    while (j < l->n && j - l->i < 2 && strchr("rRbBuU", l->s[j])) {
        char c = (char)tolower((unsigned char)l->s[j]);
        if ((c == 'r' && *raw) || (c == 'b' && *bytes) || (c == 'u' && (u || j > l->i)))
            return false;
        *raw |= c == 'r';
        *bytes |= c == 'b';
        u |= c == 'u';
        j++;
    }
    if (u && (*raw || *bytes))
        return false;
    if (j >= l->n || (l->s[j] != '\'' && l->s[j] != '"'))
        return false;
    l->i = j;
    return true;
}

static json_t *strings(lx *l)
{
    na_buf b;
    na_buf_init(&b, (size_t)16 << 20);
    int kind = -1; /* 0 str, 1 bytes */
    json_t *out = NULL;
    for (;;) {
        bool raw, bytes;
        size_t save = l->i;
        if (!string_start(l, &raw, &bytes)) {
            l->i = save;
            break;
        }
        if (kind >= 0 && kind != (int)bytes)
            goto done; /* mixing bytes and str */
        kind = bytes;
        if (!string1(l, raw, bytes, &b))
            goto done;
        skip(l);
    }
    out = json_stringn(b.data ? b.data : "", b.len); /* bytes decode to text (to_text) */
done:
    na_buf_free(&b);
    return out;
}

/* items until `close`; tuple: a parenthesised list (one item without a comma is not one) */
static json_t *sequence(lx *l, char close, bool *was_tuple)
{
    json_t *a = json_array();
    bool comma = false;
    size_t n = 0;
    l->i++;
    l->depth++;
    skip(l);
    while (a && l->i < l->n && l->s[l->i] != close) {
        json_t *v = parse_expr(l);
        if (!v) {
            json_decref(a);
            return NULL;
        }
        json_array_append_new(a, v);
        n++;
        skip(l);
        comma = false;
        if (l->i < l->n && l->s[l->i] == ',') {
            comma = true;
            l->i++;
            skip(l);
        } else {
            break;
        }
    }
    l->depth--;
    if (!a || l->i >= l->n || l->s[l->i] != close) {
        json_decref(a);
        return NULL;
    }
    l->i++;
    if (was_tuple)
        *was_tuple = n != 1 || comma;
    return a;
}

/* a dict key as JSON object key text (json.dumps turns 1 into "1", True into "true") */
static bool key_text(const json_t *k, char *out, size_t cap)
{
    if (json_is_string(k)) {
        snprintf(out, cap, "%s", json_string_value(k));
        return true;
    }
    if (json_is_integer(k)) {
        snprintf(out, cap, "%lld", (long long)json_integer_value(k));
        return true;
    }
    if (json_is_boolean(k) || json_is_null(k)) {
        snprintf(out, cap, "%s", json_is_null(k) ? "null" : json_is_true(k) ? "true" : "false");
        return true;
    }
    if (json_is_real(k)) {
        snprintf(out, cap, "%.17g", json_real_value(k));
        return true;
    }
    return false; /* lists are not hashable */
}

static json_t *dict(lx *l)
{
    json_t *o = json_object();
    l->i++;
    l->depth++;
    skip(l);
    while (o && l->i < l->n && l->s[l->i] != '}') {
        json_t *k = parse_expr(l);
        skip(l);
        if (!k || l->i >= l->n || l->s[l->i] != ':') { /* a set, or junk */
            json_decref(k);
            json_decref(o);
            return NULL;
        }
        l->i++;
        skip(l);
        json_t *v = parse_expr(l);
        char kt[1024];
        if (!v || !key_text(k, kt, sizeof kt)) {
            json_decref(k);
            json_decref(v);
            json_decref(o);
            return NULL;
        }
        json_decref(k);
        json_object_set_new(o, kt, v);
        skip(l);
        if (l->i < l->n && l->s[l->i] == ',') {
            l->i++;
            skip(l);
        } else {
            break;
        }
    }
    l->depth--;
    if (!o || l->i >= l->n || l->s[l->i] != '}') {
        json_decref(o);
        return NULL;
    }
    l->i++;
    return o;
}

static json_t *parse_expr(lx *l)
{
    if (l->depth > 64)
        return NULL;
    skip(l);
    if (l->i >= l->n)
        return NULL;
    const char *s = l->s;
    char c = s[l->i];
    bool raw, bytes;
    size_t save = l->i;
    if (string_start(l, &raw, &bytes)) {
        l->i = save;
        return strings(l);
    }
    if (c == '+' || c == '-') { /* one sign, on a number */
        l->i++;
        skip(l);
        if (l->i >= l->n || !(isdigit((unsigned char)s[l->i]) || s[l->i] == '.'))
            return NULL;
        json_t *v = number(l);
        if (v && c == '-') {
            json_t *neg = json_is_integer(v) ? json_integer(-json_integer_value(v))
                                             : json_real(-json_real_value(v));
            json_decref(v);
            v = neg;
        }
        return v;
    }
    if (isdigit((unsigned char)c) || (c == '.' && l->i + 1 < l->n &&
                                      isdigit((unsigned char)s[l->i + 1])))
        return number(l);
    if (c == '[')
        return sequence(l, ']', NULL);
    if (c == '{')
        return dict(l);
    if (c == '(') {
        bool tuple;
        json_t *a = sequence(l, ')', &tuple);
        if (!a || tuple)
            return a;
        json_t *one = json_incref(json_array_get(a, 0)); /* (x) is x */
        json_decref(a);
        return one;
    }
    if (isalpha((unsigned char)c) || c == '_') {
        size_t st = l->i;
        while (l->i < l->n && ident_char((unsigned char)s[l->i]))
            l->i++;
        size_t len = l->i - st;
        if (len == 4 && !strncmp(s + st, "None", 4))
            return json_null();
        if (len == 4 && !strncmp(s + st, "True", 4))
            return json_true();
        if (len == 5 && !strncmp(s + st, "False", 5))
            return json_false();
        return NULL; /* a name */
    }
    return NULL;
}

json_t *na_inv_pylit(const char *s)
{
    lx l = {.s = s, .n = strlen(s)};
    while (l.i < l.n && (s[l.i] == ' ' || s[l.i] == '\t'))
        l.i++; /* literal_eval strips leading blanks */
    json_t *v = parse_expr(&l);
    if (!v)
        return NULL;
    skip(&l);
    if (l.i < l.n && s[l.i] == ',') { /* a bare tuple: 1, 2 */
        json_t *a = json_array();
        json_array_append_new(a, v);
        while (l.i < l.n && s[l.i] == ',') {
            l.i++;
            skip(&l);
            if (l.i >= l.n || s[l.i] == '\n')
                break;
            json_t *x = parse_expr(&l);
            if (!x) {
                json_decref(a);
                return NULL;
            }
            json_array_append_new(a, x);
            skip(&l);
        }
        v = a;
    }
    while (l.i < l.n && (s[l.i] == '\n' || s[l.i] == '\r' || s[l.i] == ' ' || s[l.i] == '\t'))
        l.i++;
    if (l.i != l.n) {
        json_decref(v);
        return NULL;
    }
    return v;
}
