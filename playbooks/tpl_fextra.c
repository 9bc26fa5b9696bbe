/* tpl_fextra.c — the filters Ansible playbooks use most, with Jinja's and Ansible's semantics:
 * regex_search (the match, or the groups asked for as '\\1' / '\\g<name>'; none without a
 * match) and regex_replace (Python's re.sub: \1, \g<name>, \n in the replacement, every match,
 * empty matches next to a previous match too) with PCRE2; split (str.split: no separator splits
 * on runs of white space); first, last; unique (first occurrence kept, letter case ignored by
 * default, as Ansible calls Jinja's); sort (stable, letter case ignored by default, reverse,
 * attribute); min, max. Values are compared as Python compares them: numbers with numbers,
 * strings with strings, lists item by item; anything else is an error naming the types. Not the
 * filter table or argument binding (tpl_filters.c). */
#include "tpl_int.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------------------------- */

static bool flag(const json_t *j) { return j && na_tpl_truthy(j); }

/* The value as text (numbers as text; lists and mappings refused). */
static int text(const char *f, const json_t *j, na_buf *b, na_err *err)
{
    if (json_is_array(j) || json_is_object(j))
        return na_err_set(err, NA_E_CONFIG, "filter '%s' expects a string, got %s", f,
                          na_tpl_type_name(j));
    return na_tpl_stringify(j, b, err);
}

static pcre2_code *compile(const char *f, const json_t *pat, bool icase, bool mline,
                           na_err *err)
{
    if (!json_is_string(pat))
        return na_err_set(err, NA_E_CONFIG, "filter '%s': the regular expression must be a "
                          "string, got %s", f, pat ? na_tpl_type_name(pat) : "nothing"),
               NULL;
    int ec;
    PCRE2_SIZE eo;
    uint32_t o = PCRE2_UTF | (icase ? PCRE2_CASELESS : 0) | (mline ? PCRE2_MULTILINE : 0);
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)json_string_value(pat), json_string_length(pat),
                                   o, &ec, &eo, NULL);
    if (!re) {
        PCRE2_UCHAR m[200];
        pcre2_get_error_message(ec, m, sizeof m);
        na_err_set(err, NA_E_CONFIG, "filter '%s': bad regular expression '%s': %s at offset "
                   "%zu", f, json_string_value(pat), (char *)m, (size_t)eo);
    }
    return re;
}

/* group n (or named) of a match as JSON (null when it did not take part) */
static json_t *group_json(pcre2_code *re, pcre2_match_data *md, const char *s, int num,
                          const char *name, na_err *err)
{
    if (name) {
        num = pcre2_substring_number_from_name(re, (PCRE2_SPTR)name);
        if (num < 0)
            return na_err_set(err, NA_E_CONFIG, "filter 'regex_search': no group named '%s'",
                              name), NULL;
    }
    uint32_t ng;
    pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &ng);
    if (num < 0 || (uint32_t)num > ng)
        return na_err_set(err, NA_E_CONFIG, "filter 'regex_search': no group %d", num), NULL;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    if ((uint32_t)num >= pcre2_get_ovector_count(md) || ov[2 * num] == PCRE2_UNSET)
        return json_null();
    return json_stringn(s + ov[2 * num], ov[2 * num + 1] - ov[2 * num]);
}

/* ---- regex_search -------------------------------------------------------------------------- */

int na_tpl_f_regex_search(const json_t *in, const json_t *const *args, const json_t *const *groups,
                       size_t ngroups, json_t **out, na_err *err)
{
    na_buf b;
    na_buf_init(&b, NA_TPL_MAX_OUT);
    *out = NULL;
    pcre2_code *re = NULL;
    pcre2_match_data *md = NULL;
    int rc = text("regex_search", in, &b, err);
    if (rc == 0 && !(re = compile("regex_search", args[0], flag(args[1]), flag(args[2]), err)))
        rc = -1;
    if (rc == 0 && !(md = pcre2_match_data_create_from_pattern(re, NULL)))
        rc = na_err_set(err, NA_E_NOMEM, "out of memory");
    const char *s = na_buf_cstr(&b);
    int m = rc == 0 ? pcre2_match(re, (PCRE2_SPTR)s, b.len, 0, 0, md, NULL) : 0;
    if (rc == 0 && m < 0 && m != PCRE2_ERROR_NOMATCH) {
        PCRE2_UCHAR msg[200];
        pcre2_get_error_message(m, msg, sizeof msg);
        rc = na_err_set(err, NA_E_CONFIG, "filter 'regex_search': %s", (char *)msg);
    } else if (rc == 0 && m == PCRE2_ERROR_NOMATCH) {
        *out = json_null(); /* Python's None */
    } else if (rc == 0 && ngroups == 0) {
        *out = group_json(re, md, s, 0, NULL, err);
        if (!*out)
            rc = -1;
    } else if (rc == 0) {
        json_t *a = json_array();
        for (size_t i = 0; rc == 0 && i < ngroups; i++) {
            const char *g = json_string_value(groups[i]);
            json_t *v = NULL;
            char name[200];
            if (g && !strncmp(g, "\\g<", 3) && strchr(g, '>')) {
                snprintf(name, sizeof name, "%.*s", (int)(strchr(g, '>') - g - 3), g + 3);
                v = group_json(re, md, s, -1, name, err);
            } else if (g && g[0] == '\\' && isdigit((unsigned char)g[1])) {
                v = group_json(re, md, s, atoi(g + 1), NULL, err);
            } else {
                na_err_set(err, NA_E_CONFIG, "filter 'regex_search': groups are written '\\\\1' "
                           "or '\\\\g<name>', got '%s'", g ? g : na_tpl_type_name(groups[i]));
            }
            if (!v)
                rc = -1;
            else
                json_array_append_new(a, v);
        }
        if (rc == 0)
            *out = a;
        else
            json_decref(a);
    }
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    na_buf_free(&b);
    return rc;
}

/* ---- regex_replace ---------------------------------------------------------------------------- */

/* Expand Python's re.sub replacement template for one match into out. */
static int expand_repl(pcre2_code *re, pcre2_match_data *md, const char *s, const char *r,
                       na_buf *out, na_err *err)
{
    uint32_t ng;
    pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &ng);
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    for (const char *p = r; *p; p++) {
        int num = -1;
        if (*p != '\\') {
            if (na_buf_append(out, p, 1, "rendered text", err) < 0)
                return -1;
            continue;
        }
        char c = *++p;
        if (!c)
            return na_err_set(err, NA_E_CONFIG, "filter 'regex_replace': the replacement ends "
                              "with a backslash");
        if (c == 'g' && p[1] == '<') {
            const char *e = strchr(p + 2, '>');
            if (!e)
                return na_err_set(err, NA_E_CONFIG, "filter 'regex_replace': missing '>' in "
                                  "the replacement");
            char name[200];
            snprintf(name, sizeof name, "%.*s", (int)(e - p - 2), p + 2);
            char *end;
            long v = strtol(name, &end, 10);
            num = *name && !*end ? (int)v
                                 : pcre2_substring_number_from_name(re, (PCRE2_SPTR)name);
            if (num < 0)
                return na_err_set(err, NA_E_CONFIG, "filter 'regex_replace': unknown group "
                                  "name '%s'", name);
            p = e;
        } else if (c == '0' || (c >= '1' && c <= '7' && p[1] >= '0' && p[1] <= '7' &&
                                p[2] >= '0' && p[2] <= '7')) {
            int v = 0, k = 0; /* an octal escape: \0, \012, \141 */
            while (k < 3 && *p >= '0' && *p <= '7')
                v = v * 8 + (*p++ - '0'), k++;
            p--;
            char ch = (char)v;
            if (na_buf_append(out, &ch, 1, "rendered text", err) < 0)
                return -1;
            continue;
        } else if (isdigit((unsigned char)c)) {
            num = c - '0';
            if (isdigit((unsigned char)p[1]))
                num = num * 10 + (*++p - '0');
        } else {
            const char *esc = strchr("abfnrtv\\", c);
            static const char vals[] = "\a\b\f\n\r\t\v\\";
            if (esc) {
                if (na_buf_append(out, &vals[esc - "abfnrtv\\"], 1, "rendered text", err) < 0)
                    return -1;
                continue;
            }
            if (isalpha((unsigned char)c))
                return na_err_set(err, NA_E_CONFIG, "filter 'regex_replace': bad escape '\\%c' "
                                  "in the replacement", c);
            char two[2] = {'\\', c};
            if (na_buf_append(out, two, 2, "rendered text", err) < 0)
                return -1;
            continue;
        }
        if (num < 0 || (uint32_t)num > ng)
            return na_err_set(err, NA_E_CONFIG, "filter 'regex_replace': invalid group "
                              "reference %d", num);
        if ((uint32_t)num < pcre2_get_ovector_count(md) && ov[2 * num] != PCRE2_UNSET &&
            na_buf_append(out, s + ov[2 * num], ov[2 * num + 1] - ov[2 * num], "rendered text",
                          err) < 0)
            return -1;
    }
    return 0;
}

int na_tpl_f_regex_replace(const json_t *in, const json_t *const *args, json_t **out,
                        na_err *err)
{
    na_buf b, res;
    na_buf_init(&b, NA_TPL_MAX_OUT);
    na_buf_init(&res, NA_TPL_MAX_OUT);
    *out = NULL;
    json_t *empty = json_string("");
    const json_t *pat = args[0] ? args[0] : empty, *rep = args[1] ? args[1] : empty;
    pcre2_code *re = NULL;
    pcre2_match_data *md = NULL;
    int rc = text("regex_replace", in, &b, err);
    if (rc == 0 && !json_is_string(rep))
        rc = na_err_set(err, NA_E_CONFIG, "filter 'regex_replace': the replacement must be a "
                        "string, got %s", na_tpl_type_name(rep));
    if (rc == 0 && !(re = compile("regex_replace", pat, flag(args[2]), flag(args[3]), err)))
        rc = -1;
    if (rc == 0 && !(md = pcre2_match_data_create_from_pattern(re, NULL)))
        rc = na_err_set(err, NA_E_NOMEM, "out of memory");
    const char *s = na_buf_cstr(&b);
    size_t pos = 0, copied = 0;
    uint32_t opts = 0;
    while (rc == 0 && pos <= b.len) {
        int m = pcre2_match(re, (PCRE2_SPTR)s, b.len, pos, opts, md, NULL);
        if (m == PCRE2_ERROR_NOMATCH) {
            if (opts == 0 || pos >= b.len)
                break;
            /* no non-empty match where an empty one was: move on one character */
            opts = 0;
            pos++;
            while (pos < b.len && ((unsigned char)s[pos] & 0xC0) == 0x80)
                pos++;
            continue;
        }
        if (m < 0) {
            PCRE2_UCHAR msg[200];
            pcre2_get_error_message(m, msg, sizeof msg);
            rc = na_err_set(err, NA_E_CONFIG, "filter 'regex_replace': %s", (char *)msg);
            break;
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        if (na_buf_append(&res, s + copied, ov[0] - copied, "rendered text", err) < 0 ||
            expand_repl(re, md, s, json_string_value(rep), &res, err) < 0) {
            rc = -1;
            break;
        }
        copied = ov[1];
        pos = ov[1];
        /* after an empty match, the next one must not be empty at the same place */
        opts = ov[0] == ov[1] ? PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED : 0;
        if (opts && pos >= b.len)
            break;
    }
    if (rc == 0 && na_buf_append(&res, s + copied, b.len - copied, "rendered text", err) < 0)
        rc = -1;
    if (rc == 0 && !(*out = json_stringn(na_buf_cstr(&res), res.len)))
        rc = na_err_set(err, NA_E_CONFIG, "filter 'regex_replace': the result is not UTF-8");
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    json_decref(empty);
    na_buf_free(&b);
    na_buf_free(&res);
    return rc;
}

/* ---- split, first, last ------------------------------------------------------------------------ */

static bool ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

int na_tpl_f_split(const json_t *in, const json_t *const *args, json_t **out, na_err *err)
{
    *out = NULL;
    if (!json_is_string(in))
        return na_err_set(err, NA_E_CONFIG, "filter 'split' expects a string, got %s",
                          na_tpl_type_name(in));
    const json_t *sep = args[0] && !json_is_null(args[0]) ? args[0] : NULL;
    long max = -1;
    if (args[1]) {
        if (!json_is_integer(args[1]))
            return na_err_set(err, NA_E_CONFIG, "filter 'split': maxsplit must be an integer");
        max = (long)json_integer_value(args[1]);
    }
    if (sep && (!json_is_string(sep) || json_string_length(sep) == 0))
        return na_err_set(err, NA_E_CONFIG, "filter 'split': the separator must be a "
                          "non-empty string");
    const char *s = json_string_value(in), *end = s + json_string_length(in);
    json_t *a = json_array();
    long splits = 0;
    if (!sep) { /* runs of white space; none at either end */
        const char *p = s;
        while (p < end) {
            while (p < end && ws(*p))
                p++;
            if (p >= end)
                break;
            const char *q = p;
            if (max >= 0 && splits >= max) {
                json_array_append_new(a, json_stringn(p, (size_t)(end - p)));
                break;
            }
            while (q < end && !ws(*q))
                q++;
            json_array_append_new(a, json_stringn(p, (size_t)(q - p)));
            splits++;
            p = q;
        }
    } else {
        const char *sp = json_string_value(sep);
        size_t sl = json_string_length(sep);
        const char *p = s;
        for (;;) {
            const char *q = max >= 0 && splits >= max
                                ? NULL : memmem(p, (size_t)(end - p), sp, sl);
            if (!q) {
                json_array_append_new(a, json_stringn(p, (size_t)(end - p)));
                break;
            }
            json_array_append_new(a, json_stringn(p, (size_t)(q - p)));
            splits++;
            p = q + sl;
        }
    }
    *out = a;
    return 0;
}

int na_tpl_f_first_last(const char *name, const json_t *in, json_t **out, na_err *err)
{
    bool first = name[0] == 'f';
    *out = NULL;
    if (json_is_array(in)) {
        size_t n = json_array_size(in);
        if (n)
            *out = json_incref(json_array_get(in, first ? 0 : n - 1));
        return 0;
    }
    if (json_is_object(in)) { /* a mapping's keys, in order */
        const char *k, *pick = NULL;
        json_t *v;
        json_object_foreach ((json_t *)in, k, v) {
            pick = k;
            if (first)
                break;
        }
        if (pick)
            *out = json_string(pick);
        return 0;
    }
    if (json_is_string(in)) { /* a character (UTF-8) */
        const char *s = json_string_value(in);
        size_t n = json_string_length(in);
        if (!n)
            return 0;
        size_t st = 0, len = 1;
        if (first) {
            while (len < n && ((unsigned char)s[len] & 0xC0) == 0x80)
                len++;
        } else {
            st = n - 1;
            while (st > 0 && ((unsigned char)s[st] & 0xC0) == 0x80)
                st--;
            len = n - st;
        }
        *out = json_stringn(s + st, len);
        return 0;
    }
    return na_err_set(err, NA_E_CONFIG, "filter '%s' expects a list or a string, got %s", name,
                      na_tpl_type_name(in));
}

/* ---- comparing like Python ---------------------------------------------------------------------- */

static bool number(const json_t *j) { return json_is_number(j) || json_is_boolean(j); }

static double num(const json_t *j)
{
    return json_is_boolean(j) ? (json_is_true(j) ? 1 : 0) : json_number_value(j);
}

/* ASCII letters folded (Python's lower() on the rest is not reproduced) */
static int cmp_fold(const char *a, size_t an, const char *b, size_t bn, bool fold)
{
    size_t n = an < bn ? an : bn;
    for (size_t i = 0; i < n; i++) {
        int x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (fold) {
            x = tolower(x);
            y = tolower(y);
        }
        if (x != y)
            return x < y ? -1 : 1;
    }
    return an < bn ? -1 : an > bn;
}

/* <0, 0, >0, or -2 with err when Python would raise TypeError */
static int pycmp(const char *f, const json_t *a, const json_t *b, bool fold, na_err *err)
{
    if (number(a) && number(b)) {
        if (json_is_integer(a) && json_is_integer(b)) {
            json_int_t x = json_integer_value(a), y = json_integer_value(b);
            return x < y ? -1 : x > y;
        }
        double x = num(a), y = num(b);
        return x < y ? -1 : x > y;
    }
    if (json_is_string(a) && json_is_string(b))
        return cmp_fold(json_string_value(a), json_string_length(a), json_string_value(b),
                        json_string_length(b), fold);
    if (json_is_array(a) && json_is_array(b)) {
        size_t n = json_array_size(a) < json_array_size(b) ? json_array_size(a)
                                                           : json_array_size(b);
        for (size_t i = 0; i < n; i++) {
            int c = pycmp(f, json_array_get(a, i), json_array_get(b, i), fold, err);
            if (c)
                return c;
        }
        return json_array_size(a) < json_array_size(b) ? -1 : json_array_size(a) >
                                                                  json_array_size(b);
    }
    na_err_set(err, NA_E_CONFIG, "filter '%s': cannot compare %s with %s", f,
               na_tpl_type_name(a), na_tpl_type_name(b));
    return -2;
}

static bool pyeq(const json_t *a, const json_t *b, bool fold)
{
    if (number(a) && number(b)) /* Python: 1 == 1.0 == True */
        return num(a) == num(b);
    if (json_is_string(a) && json_is_string(b))
        return cmp_fold(json_string_value(a), json_string_length(a), json_string_value(b),
                        json_string_length(b), fold) == 0;
    return json_equal((json_t *)a, (json_t *)b);
}

/* item[attribute], with "a.b" paths and list indexes; NULL + err when absent */
static const json_t *attr(const char *f, const json_t *item, const json_t *attribute,
                          na_err *err)
{
    if (!attribute || json_is_null(attribute))
        return item;
    char path[512];
    if (json_is_integer(attribute))
        snprintf(path, sizeof path, "%lld", (long long)json_integer_value(attribute));
    else if (json_is_string(attribute))
        snprintf(path, sizeof path, "%s", json_string_value(attribute));
    else
        return na_err_set(err, NA_E_CONFIG, "filter '%s': attribute must be a name", f), NULL;
    const json_t *cur = item;
    for (char *part = strtok(path, "."); part && cur; part = strtok(NULL, ".")) {
        char *end;
        long ix = strtol(part, &end, 10);
        if (json_is_object(cur))
            cur = json_object_get(cur, part);
        else if (json_is_array(cur) && !*end && ix >= 0)
            cur = json_array_get(cur, (size_t)ix);
        else
            cur = NULL;
    }
    if (!cur)
        na_err_set(err, NA_E_CONFIG, "filter '%s': an item has no attribute '%s'", f,
                   json_is_string(attribute) ? json_string_value(attribute) : "?");
    return cur;
}

/* the items of a list, a string's characters, or a mapping's keys (new array) */
static json_t *items(const char *f, const json_t *in, na_err *err)
{
    if (json_is_array(in))
        return json_incref((json_t *)in);
    json_t *a = json_array();
    if (json_is_object(in)) {
        const char *k;
        json_t *v;
        json_object_foreach ((json_t *)in, k, v) json_array_append_new(a, json_string(k));
        return a;
    }
    if (json_is_string(in)) {
        const char *s = json_string_value(in);
        size_t n = json_string_length(in);
        for (size_t i = 0; i < n;) {
            size_t l = 1;
            while (i + l < n && ((unsigned char)s[i + l] & 0xC0) == 0x80)
                l++;
            json_array_append_new(a, json_stringn(s + i, l));
            i += l;
        }
        return a;
    }
    json_decref(a);
    na_err_set(err, NA_E_CONFIG, "filter '%s' expects a list, got %s", f, na_tpl_type_name(in));
    return NULL;
}

/* ---- unique, sort, min, max ---------------------------------------------------------------- */

int na_tpl_f_unique(const json_t *in, const json_t *const *args, json_t **out, na_err *err)
{
    *out = NULL;
    json_t *a = items("unique", in, err);
    if (!a)
        return -1;
    bool fold = !flag(args[0]); /* Ansible passes case_sensitive=False to Jinja by default */
    const json_t *attribute = args[1];
    json_t *res = json_array(), *keys = json_array();
    size_t i;
    json_t *it;
    int rc = 0;
    json_array_foreach (a, i, it) {
        const json_t *k = attr("unique", it, attribute, err);
        if (!k) {
            rc = -1;
            break;
        }
        /* lists and mappings cannot be hashed: Ansible then compares whole items, exactly */
        bool exact = !attribute && (json_is_array(it) || json_is_object(it));
        bool dup = false;
        for (size_t j = 0; !dup && j < json_array_size(keys); j++)
            dup = pyeq(json_array_get(keys, j), k, fold && !exact);
        if (!dup) {
            json_array_append(keys, (json_t *)k);
            json_array_append(res, it);
        }
    }
    json_decref(a);
    json_decref(keys);
    if (rc < 0) {
        json_decref(res);
        return -1;
    }
    *out = res;
    return 0;
}

typedef struct sitem {
    json_t *v;
    const json_t *key;
    size_t ix;
} sitem;

typedef struct sctx {
    bool fold, reverse;
    na_err *err;
    bool failed;
} sctx;

static int sort_cmp(const void *x, const void *y, void *ud)
{
    const sitem *a = x, *b = y;
    sctx *c = ud;
    if (c->failed)
        return 0;
    int r = pycmp("sort", a->key, b->key, c->fold, c->err);
    if (r == -2) {
        c->failed = true;
        return 0;
    }
    if (c->reverse)
        r = -r;
    return r ? r : (a->ix < b->ix ? -1 : a->ix > b->ix); /* stable */
}

static int keyed(const char *f, const json_t *in, const json_t *attribute, sitem **out,
                 size_t *n, json_t **owner, na_err *err)
{
    json_t *a = items(f, in, err);
    if (!a)
        return -1;
    *n = json_array_size(a);
    *owner = a;
    *out = calloc(*n ? *n : 1, sizeof **out);
    if (!*out)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    for (size_t i = 0; i < *n; i++) {
        json_t *it = json_array_get(a, i);
        (*out)[i] = (sitem){.v = it, .key = attr(f, it, attribute, err), .ix = i};
        if (!(*out)[i].key)
            return -1;
    }
    return 0;
}

int na_tpl_f_sort(const json_t *in, const json_t *const *args, json_t **out, na_err *err)
{
    *out = NULL;
    sitem *v = NULL;
    size_t n = 0;
    json_t *owner = NULL;
    int rc = keyed("sort", in, args[2], &v, &n, &owner, err);
    sctx c = {.fold = !flag(args[1]), .reverse = flag(args[0]), .err = err};
    if (rc == 0 && n > 1) {
        qsort_r(v, n, sizeof *v, sort_cmp, &c);
        if (c.failed)
            rc = -1;
    }
    if (rc == 0) {
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append(a, v[i].v);
        *out = a;
    }
    free(v);
    json_decref(owner);
    return rc;
}

int na_tpl_f_min_max(const char *name, const json_t *in, const json_t *const *args, json_t **out,
                  na_err *err)
{
    *out = NULL;
    sitem *v = NULL;
    size_t n = 0;
    json_t *owner = NULL;
    bool is_max = !strcmp(name, "max");
    int rc = keyed(name, in, args[1], &v, &n, &owner, err);
    size_t best = 0;
    for (size_t i = 1; rc == 0 && i < n; i++) {
        int c = pycmp(name, v[i].key, v[best].key, !flag(args[0]), err);
        if (c == -2)
            rc = -1;
        else if (is_max ? c > 0 : c < 0) /* the first of equal ones, like Python's */
            best = i;
    }
    if (rc == 0 && n)
        *out = json_incref(v[best].v);
    free(v);
    json_decref(owner);
    return rc;
}
