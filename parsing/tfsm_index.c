/* tfsm_index.c — ntc-templates' index file: TextFSM's texttable.CsvToTable and
 * clitable.IndexTable/CliTable._Completion rules (tfsm_index.h). Not the template cache or the
 * merging of several templates (tfsm_lib.c). */
#include "tfsm_index.h"
#include "buf.h"
#include "utext.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A cell: s[0..n) after str.strip(). */
typedef struct cell {
    const char *s;
    size_t n;
} cell;

static cell strip(const char *s, size_t n)
{
    size_t a = na_ut_lstrip(s, n);
    size_t e = na_ut_rstrip(s + a, n - a);
    return (cell){s + a, e};
}

/* line.split(',') stripped; returns the count (cells beyond max are counted, not kept). */
static size_t split_commas(const char *s, size_t n, cell *out, size_t max)
{
    size_t k = 0, start = 0;
    for (size_t i = 0; i <= n; i++)
        if (i == n || s[i] == ',') {
            if (k < max)
                out[k] = strip(s + start, i - start);
            k++;
            start = i + 1;
        }
    return k;
}

/* CliTable._Completion: every [[word]] (shortest, at least one character) becomes
 * (w(o(r(d)?)?)?)? — the word's characters are not escaped, as there. */
static int complete(const char *s, size_t n, na_buf *out, na_err *err)
{
    size_t i = 0;
    while (i < n) {
        if (i + 1 < n && s[i] == '[' && s[i + 1] == '[') {
            /* the shortest "]]" after at least one character ('[' and ']' are ASCII, so a
             * byte offset is never inside a multi-byte character) */
            size_t j = i + 3;
            bool found = false;
            for (; j + 1 < n; j++)
                if (s[j] == ']' && s[j + 1] == ']') {
                    found = true;
                    break;
                }
            if (found) {
                const char *w = s + i + 2;
                size_t wl = j - i - 2, chars = 0;
                if (na_buf_puts(out, "(", err) < 0)
                    return -1;
                for (size_t k = 0; k < wl;) {
                    uint32_t c;
                    size_t l = na_ut_decode(w + k, wl - k, &c);
                    if (k && na_buf_puts(out, "(", err) < 0)
                        return -1;
                    if (na_buf_append(out, w + k, l, NULL, err) < 0)
                        return -1;
                    k += l;
                    chars++;
                }
                for (size_t k = 0; k < chars; k++)
                    if (na_buf_puts(out, ")?", err) < 0)
                        return -1;
                i = j + 2;
                continue;
            }
        }
        if (na_buf_append(out, s + i, 1, NULL, err) < 0)
            return -1;
        i++;
    }
    return 0;
}

static int compile_cell(const char *label, unsigned line, const char *col, const char *s,
                        size_t n, na_pyre **out, na_err *err)
{
    *out = NULL;
    if (!n)
        return 0;
    na_pyre_err e;
    *out = na_pyre_compile(s, (long)n, NA_PYRE_MATCH, &e);
    if (*out)
        return 0;
    char msg[400];
    na_pyre_err_str(&e, msg, sizeof msg);
    return na_err_set(err, e.status == NA_PYRE_NOMEM ? NA_E_NOMEM : NA_E_CONFIG,
                      "%s:%u: the %s regex '%.*s' is invalid: %s", label, line, col, (int)n, s,
                      msg);
}

int na_tfi_load(tfi_index *ix, const char *label, const char *text, size_t len, na_err *err)
{
    memset(ix, 0, sizeof *ix);
    if (!(ix->label = strdup(label)))
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    size_t bad;
    if (!na_ut_valid(text, len, &bad))
        return na_err_set(err, NA_E_CONFIG, "%s: not valid UTF-8 (byte %zu)", label, bad);
    enum { MAXC = 16 };
    cell hdr[MAXC];
    size_t ncols = 0;
    int c_tpl = -1, c_cmd = -1, c_plat = -1;
    size_t cap = 0;
    unsigned line = 0;
    bool have_header = false;
    for (size_t pos = 0; pos < len;) {
        /* universal newlines: \n, \r\n and \r end a line */
        size_t e = pos;
        while (e < len && text[e] != '\n' && text[e] != '\r')
            e++;
        const char *s = text + pos;
        size_t n = e - pos;
        pos = e < len ? e + (text[e] == '\r' && e + 1 < len && text[e + 1] == '\n' ? 2 : 1) : e;
        line++;
        if (!have_header) {
            const char *hash = memchr(s, '#', n);
            cell h = strip(s, hash ? (size_t)(hash - s) : n);
            if (!h.n)
                continue;
            ncols = split_commas(h.s, h.n, hdr, MAXC);
            if (ncols > MAXC)
                return na_err_set(err, NA_E_CONFIG, "%s:%u: more than %d columns", label, line,
                                  MAXC);
            for (size_t i = 0; i < ncols; i++) {
                for (size_t j = 0; j < i; j++)
                    if (hdr[j].n == hdr[i].n && !memcmp(hdr[j].s, hdr[i].s, hdr[i].n))
                        return na_err_set(err, NA_E_CONFIG, "%s:%u: Duplicate header entry "
                                          "'%.*s'.", label, line, (int)hdr[i].n, hdr[i].s);
                if (hdr[i].n == 8 && !memcmp(hdr[i].s, "Template", 8))
                    c_tpl = (int)i;
                else if (hdr[i].n == 7 && !memcmp(hdr[i].s, "Command", 7))
                    c_cmd = (int)i;
                else if (hdr[i].n == 8 && !memcmp(hdr[i].s, "Platform", 8))
                    c_plat = (int)i;
            }
            if (c_tpl < 0)
                return na_err_set(err, NA_E_CONFIG, "%s: Index file does not have 'Template' "
                                  "column.", label);
            have_header = true;
            continue;
        }
        if (n && s[0] == '#')
            continue;
        cell c[MAXC];
        if (split_commas(s, n, c, MAXC) != ncols)
            continue; /* rows of another width are dropped, as TextFSM does */
        /* every column but Template is a regex, compiled (and so checked) now */
        na_pyre *cmd = NULL, *plat = NULL;
        for (size_t i = 0; i < ncols; i++) {
            if ((int)i == c_tpl)
                continue;
            char col[64];
            snprintf(col, sizeof col, "%.*s", (int)hdr[i].n, hdr[i].s);
            na_pyre *re = NULL;
            int rc;
            if ((int)i == c_cmd) {
                na_buf b;
                na_buf_init(&b, 0);
                rc = complete(c[i].s, c[i].n, &b, err);
                if (rc == 0)
                    rc = compile_cell(label, line, col, na_buf_cstr(&b), b.len, &re, err);
                na_buf_free(&b);
            } else {
                rc = compile_cell(label, line, col, c[i].s, c[i].n, &re, err);
            }
            if (rc < 0) {
                na_pyre_free(cmd);
                na_pyre_free(plat);
                return -1;
            }
            if ((int)i == c_cmd)
                cmd = re;
            else if ((int)i == c_plat)
                plat = re;
            else
                na_pyre_free(re);
        }
        if (ix->n == cap) {
            cap = cap ? cap * 2 : 256;
            tfi_row *r = realloc(ix->rows, cap * sizeof *r);
            if (!r) {
                na_pyre_free(cmd);
                na_pyre_free(plat);
                return na_err_set(err, NA_E_NOMEM, "out of memory");
            }
            ix->rows = r;
        }
        tfi_row *r = &ix->rows[ix->n++];
        r->command = cmd;
        r->platform = plat;
        r->line = line;
        r->templates = strndup(c[c_tpl].s, c[c_tpl].n);
        if (!r->templates)
            return na_err_set(err, NA_E_NOMEM, "out of memory");
    }
    if (!have_header)
        return na_err_set(err, NA_E_CONFIG, "%s: no header line (Template, Hostname, Platform, "
                          "Command)", label);
    return 0;
}

void na_tfi_free(tfi_index *ix)
{
    for (size_t i = 0; i < ix->n; i++) {
        free(ix->rows[i].templates);
        na_pyre_free(ix->rows[i].command);
        na_pyre_free(ix->rows[i].platform);
    }
    free(ix->rows);
    free(ix->label);
    memset(ix, 0, sizeof *ix);
}

int na_tfi_match(const tfi_index *ix, const char *platform, const char *command,
              const tfi_row **row, na_err *err)
{
    *row = NULL;
    na_pyre_matcher *m = na_pyre_matcher_new(NULL);
    if (!m)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    int rc = 0;
    for (size_t i = 0; i < ix->n && !*row && rc == 0; i++) {
        const tfi_row *r = &ix->rows[i];
        int a = r->command ? na_pyre_match(r->command, m, command, strlen(command)) : 1;
        int b = a == 1 && r->platform ? na_pyre_match(r->platform, m, platform, strlen(platform))
                                      : a;
        if (a < 0 || b < 0)
            rc = na_err_set(err, NA_E_OVERFLOW, "%s:%u: %s", ix->label, r->line,
                            na_pyre_matcher_error(m));
        else if (a == 1 && b == 1)
            *row = r;
    }
    na_pyre_matcher_free(m);
    return rc;
}
