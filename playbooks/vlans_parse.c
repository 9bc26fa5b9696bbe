/* vlans_parse.c — parse the `show vlan brief` table of IOS, NX-OS and EOS into na_vlan_list.
 * Columns come from the dashed line under the header (IOS/NX-OS use a 4-wide id column, EOS a
 * 5-wide one); a row whose fields do not sit in those columns (an over-long name) is split by
 * words instead. Port lists wrapped onto indented continuation lines are joined. Not a general
 * table parser. */
#include "vlans.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct line {
    const char *s;
    size_t n;
} line;

static bool next_line(const char **p, const char *end, line *l)
{
    if (*p >= end)
        return false;
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    const char *e = nl ? nl : end;
    l->s = *p;
    l->n = (size_t)(e - *p);
    while (l->n && (l->s[l->n - 1] == '\r' || l->s[l->n - 1] == ' ' || l->s[l->n - 1] == '\t'))
        l->n--;
    *p = nl ? nl + 1 : end;
    return true;
}

static bool blank(const line *l)
{
    for (size_t i = 0; i < l->n; i++)
        if (!isspace((unsigned char)l->s[i]))
            return false;
    return true;
}

static bool has_word(const line *l, const char *w)
{
    size_t wn = strlen(w);
    for (size_t i = 0; i + wn <= l->n; i++)
        if (!memcmp(l->s + i, w, wn) && (i == 0 || l->s[i - 1] == ' ') &&
            (i + wn == l->n || l->s[i + wn] == ' '))
            return true;
    return false;
}

static bool is_header(const line *l)
{
    return l->n >= 4 && !memcmp(l->s, "VLAN", 4) && has_word(l, "Name") &&
           has_word(l, "Status");
}

/* Column starts from "---- ------ ----": fills starts[], returns the count. */
static size_t dash_columns(const line *l, size_t *starts, size_t max)
{
    size_t k = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (l->s[i] == '-' && (i == 0 || l->s[i - 1] == ' ')) {
            if (k < max)
                starts[k] = i;
            k++;
        } else if (l->s[i] != '-' && l->s[i] != ' ') {
            return 0;
        }
    }
    return k;
}

static void trim(const char **s, size_t *n)
{
    while (*n && isspace((unsigned char)**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && isspace((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

static int add_ports(na_vlan *v, const char *s, size_t n, na_err *err)
{
    while (n) {
        const char *c = memchr(s, ',', n);
        size_t len = c ? (size_t)(c - s) : n;
        const char *p = s;
        size_t pn = len;
        trim(&p, &pn);
        if (pn && na_strv_pushn(&v->ports, p, pn, err) < 0)
            return -1;
        if (!c)
            break;
        n -= len + 1;
        s = c + 1;
    }
    return 0;
}

static bool status_word(const char *s, size_t n)
{
    static const char *const w[] = {"active", "suspended", "suspend", "shutdown", "inactive",
                                    "act/", "sus/", NULL};
    for (int i = 0; w[i]; i++) {
        size_t wn = strlen(w[i]);
        if (w[i][wn - 1] == '/' ? (n > wn && !memcmp(s, w[i], wn))
                                : (n == wn && !memcmp(s, w[i], wn)))
            return true;
    }
    return false;
}

/* Split a row by words: id name... status ports... */
static int row_by_words(const line *l, na_vlan *v, na_err *err)
{
    const char *tok[64];
    size_t tn[64], k = 0;
    for (size_t i = 0; i < l->n && k < 64;) {
        while (i < l->n && l->s[i] == ' ')
            i++;
        if (i >= l->n)
            break;
        size_t st = i;
        while (i < l->n && l->s[i] != ' ')
            i++;
        tok[k] = l->s + st;
        tn[k++] = i - st;
    }
    size_t si = 0;
    for (size_t i = 2; i < k && !si; i++)
        if (status_word(tok[i], tn[i]))
            si = i;
    if (!si)
        return na_err_set(err, NA_E_PROTOCOL, "show vlan: cannot find the status in '%.*s'",
                          (int)(l->n > 100 ? 100 : l->n), l->s);
    size_t nstart = (size_t)(tok[1] - l->s), nend = (size_t)(tok[si - 1] + tn[si - 1] - l->s);
    v->name = strndup(l->s + nstart, nend - nstart);
    v->status = strndup(tok[si], tn[si]);
    if (!v->name || !v->status)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    if (si + 1 < k) {
        size_t ps = (size_t)(tok[si + 1] - l->s);
        return add_ports(v, l->s + ps, l->n - ps, err);
    }
    return 0;
}

static int field(const line *l, size_t a, size_t b, const char **s, size_t *n)
{
    if (a >= l->n) {
        *s = l->s + l->n;
        *n = 0;
        return 0;
    }
    if (b > l->n)
        b = l->n;
    *s = l->s + a;
    *n = b - a;
    trim(s, n);
    return 0;
}

/* Fields in their columns when the row fits them; else by words. */
static int parse_row(const line *l, const size_t *col, size_t ncol, na_vlan *v, na_err *err)
{
    size_t ns = col[1], ss = col[2], ps = ncol > 3 ? col[3] : (size_t)-1;
    bool fits = l->n > ss && l->s[ns - 1] == ' ' && l->s[ss - 1] == ' ' &&
                (ps == (size_t)-1 || l->n <= ps || l->s[ps - 1] == ' ');
    const char *st = NULL;
    size_t stn = 0;
    if (fits) {
        field(l, ss, ps, &st, &stn);
        fits = stn > 0 && !memchr(st, ' ', stn) && l->s[ss] != ' ';
    }
    if (!fits)
        return row_by_words(l, v, err);
    const char *nm;
    size_t nn;
    field(l, ns, ss, &nm, &nn);
    v->name = strndup(nm, nn);
    v->status = strndup(st, stn);
    if (!v->name || !v->status)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    if (ps != (size_t)-1 && l->n > ps)
        return add_ports(v, l->s + ps, l->n - ps, err);
    return 0;
}

int na_vlans_parse(const char *text, size_t n, na_vlan_list *out, na_err *err)
{
    memset(out, 0, sizeof *out);
    const char *p = text, *end = text + n;
    line l;
    size_t col[8], ncol = 0;
    bool found = false;
    while (next_line(&p, end, &l)) {
        if (!is_header(&l))
            continue;
        line d;
        if (next_line(&p, end, &d) && (ncol = dash_columns(&d, col, 8)) >= 3 && ncol <= 8) {
            found = true;
            break;
        }
    }
    if (!found)
        return na_err_set(err, NA_E_PROTOCOL,
                          "no VLAN table in the output (expected a 'VLAN Name Status Ports' "
                          "header with a dashed line under it)");
    size_t cap = 0;
    while (next_line(&p, end, &l)) {
        if (blank(&l))
            break;
        if (isdigit((unsigned char)l.s[0])) {
            long id = 0;
            size_t k = 0;
            while (k < l.n && k < 6 && isdigit((unsigned char)l.s[k]))
                id = id * 10 + (l.s[k++] - '0');
            if (k < l.n && l.s[k] != ' ')
                break; /* not a VLAN row: the input does not stop at the text's end */
            if (id < 1 || id > NA_VLANS_MAX) {
                na_vlan_list_free(out);
                return na_err_set(err, NA_E_PROTOCOL, "show vlan: VLAN id %ld out of range", id);
            }
            if (na_vlan_find(out, (int)id)) {
                na_vlan_list_free(out);
                return na_err_set(err, NA_E_PROTOCOL, "show vlan: VLAN %ld listed twice", id);
            }
            if (out->n == cap) {
                cap = cap ? cap * 2 : 16;
                na_vlan *nv = realloc(out->v, cap * sizeof *nv);
                if (!nv) {
                    na_vlan_list_free(out);
                    return na_err_set(err, NA_E_NOMEM, "out of memory");
                }
                out->v = nv;
            }
            na_vlan *v = &out->v[out->n++];
            memset(v, 0, sizeof *v);
            v->id = (int)id;
            if (parse_row(&l, col, ncol, v, err) < 0) {
                na_vlan_list_free(out);
                return -1;
            }
        } else if (l.s[0] == ' ' && out->n > 0) {
            if (add_ports(&out->v[out->n - 1], l.s, l.n, err) < 0) {
                na_vlan_list_free(out);
                return -1;
            }
        } else {
            break; /* the next table, or the prompt */
        }
    }
    return 0;
}

void na_vlan_list_free(na_vlan_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].name);
        free(l->v[i].status);
        na_strv_free(&l->v[i].ports);
    }
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

const na_vlan *na_vlan_find(const na_vlan_list *l, int id)
{
    for (size_t i = 0; l && i < l->n; i++)
        if (l->v[i].id == id)
            return &l->v[i];
    return NULL;
}
