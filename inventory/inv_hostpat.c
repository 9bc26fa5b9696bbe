/* inv_hostpat.c — the small grammars of Ansible inventories, as Ansible parses them: a host
 * pattern with an optional port ("sw[01:10]:2222", "[10.0.0.1]:22"), its ranges expanded
 * ("sw[01:10:2]", "sw[a:f]", "10.0.0.[1:20]", several ranges in one name), and POSIX shell-like
 * splitting of an INI host line (quotes, backslashes, '#' comments). Pure functions on strings.
 * Not the INI or YAML loaders themselves (inv_ini.c, inv_ansible.c). */
#include "inv_ans_int.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- string lists ------------------------------------------------------------------------------ */

void na_inv_strlist_free(inv_strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

int na_inv_strlist_push(inv_strlist *l, const char *s, size_t n, na_err *err)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 8;
        char **a = realloc(l->v, nc * sizeof *a);
        if (!a)
            return na_err_set(err, NA_E_NOMEM, "out of memory");
        l->v = a;
        l->cap = nc;
    }
    char *c = strndup(s, n);
    if (!c)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    l->v[l->n++] = c;
    return 0;
}

/* ---- shlex ------------------------------------------------------------------------------------- */

int na_inv_shlex(const char *s, inv_strlist *out, char *why, size_t whycap)
{
    na_buf tok;
    na_buf_init(&tok, 1 << 20);
    bool have = false; /* a token is open (possibly empty, from quotes) */
    int rc = 0;
    for (const char *p = s;; p++) {
        char c = *p;
        if (c == '\0' || c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '#') {
            if (have && na_inv_strlist_push(out, tok.data ? tok.data : "", tok.len, NULL) < 0) {
                snprintf(why, whycap, "out of memory");
                rc = -1;
                break;
            }
            have = false;
            na_buf_reset(&tok);
            if (c == '\0' || c == '#') /* a comment runs to the end of the line */
                break;
            continue;
        }
        have = true;
        if (c == '\\') {
            if (!p[1]) {
                snprintf(why, whycap, "No escaped character");
                rc = -1;
                break;
            }
            if (na_buf_append(&tok, ++p, 1, NULL, NULL) < 0) {
                snprintf(why, whycap, "a word longer than 1 MiB");
                rc = -1;
                break;
            }
        } else if (c == '\'' || c == '"') {
            char q = c;
            for (p++;; p++) {
                if (!*p) {
                    snprintf(why, whycap, "No closing quotation");
                    rc = -1;
                    break;
                }
                if (*p == q)
                    break;
                /* in double quotes a backslash escapes only '"' and '\' */
                if (q == '"' && *p == '\\' && (p[1] == '"' || p[1] == '\\'))
                    p++;
                if (na_buf_append(&tok, p, 1, NULL, NULL) < 0) {
                    snprintf(why, whycap, "a word longer than 1 MiB");
                    rc = -1;
                    break;
                }
            }
            if (rc < 0)
                break;
        } else if (na_buf_append(&tok, p, 1, NULL, NULL) < 0) {
            snprintf(why, whycap, "a word longer than 1 MiB");
            rc = -1;
            break;
        }
    }
    na_buf_free(&tok);
    return rc;
}

/* ---- parse_address --------------------------------------------------------------------------- */

#define NUMRANGE "\\[(?:[0-9]+:[0-9]+)(?::[0-9]+)?\\]"
#define ALNUMRANGE "\\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\\]"
#define I4 "(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]|" NUMRANGE ")"
#define LABEL "(?:\\w|" ALNUMRANGE ")(?:[\\w_-]|" ALNUMRANGE ")*(?<![_-])"

static const char *const pat_src[] = {
    "^\\[(.+)\\]:([0-9]+)$",                          /* [host]:port */
    "^((?:[^:\\[\\]]|\\[[^\\]]*\\])*):([0-9]+)$",      /* host:port, ranges allowed */
    "^(?:" I4 "\\.){3}" I4 "$",                       /* IPv4 with ranges */
    "^" LABEL "(?:\\." LABEL ")*$",                   /* a host name with ranges */
};

static pcre2_code *compiled[4];

/* Compiled once per process; several threads may load inventories at once (the first to
 * store its copy wins, the others free theirs). */
static pcre2_code *pat(int i)
{
    pcre2_code *c = __atomic_load_n(&compiled[i], __ATOMIC_ACQUIRE);
    if (c)
        return c;
    int ec;
    PCRE2_SIZE eo;
    uint32_t opts = i >= 2 ? PCRE2_CASELESS | PCRE2_UTF | PCRE2_UCP : PCRE2_UTF;
    c = pcre2_compile((PCRE2_SPTR)pat_src[i], PCRE2_ZERO_TERMINATED, opts, &ec, &eo, NULL);
    pcre2_code *expected = NULL;
    if (c && !__atomic_compare_exchange_n(&compiled[i], &expected, c, false, __ATOMIC_ACQ_REL,
                                          __ATOMIC_ACQUIRE)) {
        pcre2_code_free(c);
        c = expected;
    }
    return c;
}

/* Match pattern i against s; with groups, copy group 1 into g1 and group 2 into g2. */
static bool match(int i, const char *s, char *g1, size_t c1, char *g2, size_t c2)
{
    pcre2_code *re = pat(i);
    if (!re)
        return false;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    if (!md)
        return false;
    int rc = pcre2_match(re, (PCRE2_SPTR)s, PCRE2_ZERO_TERMINATED, 0, 0, md, NULL);
    bool ok = rc > 0;
    if (ok && g1) {
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        snprintf(g1, c1, "%.*s", (int)(ov[3] - ov[2]), s + ov[2]);
        snprintf(g2, c2, "%.*s", (int)(ov[5] - ov[4]), s + ov[4]);
    }
    pcre2_match_data_free(md);
    return ok;
}

/* Ansible's parse_address(allow_ranges=True): true with host (and port, -1 when none) when the
 * text is a host identifier with an optional port; false when it is not. */
bool na_inv_parse_address(const char *s, char *host, size_t cap, long *port)
{
    char a[4096], b[64];
    *port = -1;
    snprintf(host, cap, "%s", s);
    if (strlen(s) >= sizeof a)
        return false;
    for (int i = 0; i < 2; i++) { /* both are tried, the second on what the first left */
        if (match(i, host, a, sizeof a, b, sizeof b)) {
            snprintf(host, cap, "%s", a);
            errno = 0;
            long p = strtol(b, NULL, 10);
            *port = errno ? -1 : p;
        }
    }
    return match(2, host, NULL, 0, NULL, 0) || match(3, host, NULL, 0, NULL, 0);
}

/* ---- ranges ------------------------------------------------------------------------------------ */

static const char LETTERS[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/* Python's int() of a string: optional sign, digits with single underscores between them,
 * surrounding white space. */
static bool py_int(const char *s, long long *out)
{
    while (isspace((unsigned char)*s))
        s++;
    bool neg = false;
    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    if (!isdigit((unsigned char)*s))
        return false;
    long long v = 0;
    for (; *s; s++) {
        if (*s == '_' && isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[-1]))
            continue;
        if (!isdigit((unsigned char)*s))
            break;
        if (v > 1000000000000LL)
            return false;
        v = v * 10 + (*s - '0');
    }
    while (isspace((unsigned char)*s))
        s++;
    if (*s)
        return false;
    *out = neg ? -v : v;
    return true;
}

/* work: names formed so far for one pattern (ranges multiply: with an empty range inside, many
 * names are formed and none kept, so the kept count alone does not bound the time) */
static int expand(const char *line, inv_strlist *out, int depth, size_t *work, char *why,
                  size_t whycap)
{
    if (++*work > 4 * (size_t)INV_MAX_RANGE) {
        snprintf(why, whycap, "host pattern '%.60s' expands to more than %d names", line,
                 4 * INV_MAX_RANGE);
        return -1;
    }
    const char *lb = strchr(line, '[');
    if (!lb)
        return na_inv_strlist_push(out, line, strlen(line), NULL) < 0
                   ? (snprintf(why, whycap, "out of memory"), -1) : 0;
    if (depth > 16) {
        snprintf(why, whycap, "too many ranges in one host name");
        return -1;
    }
    /* the first '[' and then the first ']' become separators; there must be exactly three
     * parts (no other '|' in the name) */
    size_t n = strlen(line);
    char *copy = strdup(line);
    if (!copy) {
        snprintf(why, whycap, "out of memory");
        return -1;
    }
    copy[lb - line] = '|';
    char *rb = strchr(copy, ']');
    if (rb)
        *rb = '|';
    char *parts[3] = {copy, NULL, NULL};
    int np = 1;
    for (char *p = copy; (p = strchr(p, '|'));) {
        *p++ = '\0';
        if (np < 3)
            parts[np] = p;
        np++;
    }
    int rc = -1;
    (void)n;
    if (np != 3) {
        snprintf(why, whycap, "bad host range in '%s'", line);
        goto done;
    }
    char *bounds[4] = {parts[1], NULL, NULL, NULL};
    int nb = 1;
    for (char *p = parts[1]; (p = strchr(p, ':'));) {
        *p++ = '\0';
        if (nb < 4)
            bounds[nb] = p;
        nb++;
    }
    if (nb != 2 && nb != 3) {
        snprintf(why, whycap, "host range must be begin:end or begin:end:step (in '%s')", line);
        goto done;
    }
    const char *beg = *bounds[0] ? bounds[0] : "0", *end = bounds[1];
    long long step = 1;
    if (nb == 3 && !py_int(bounds[2], &step)) {
        snprintf(why, whycap, "host range step '%s' is not a number (in '%s')", bounds[2], line);
        goto done;
    }
    if (!*end) {
        snprintf(why, whycap, "host range must specify end value (in '%s')", line);
        goto done;
    }
    size_t rlen = 0;
    if (beg[0] == '0' && strlen(beg) > 1) {
        rlen = strlen(beg);
        if (rlen != strlen(end)) {
            snprintf(why, whycap, "host range must specify equal-length begin and end formats "
                     "(in '%s')", line);
            goto done;
        }
    }
    const char *ib = strstr(LETTERS, beg), *ie = strstr(LETTERS, end);
    char item[64];
    size_t total = 0;
    if (ib && ie && step != 0) { /* letters (Python's str.index finds substrings too) */
        if (ib > ie) {
            snprintf(why, whycap, "host range must have begin <= end (in '%s')", line);
            goto done;
        }
        long long a = ib - LETTERS, b = ie - LETTERS;
        for (long long i = a; step > 0 && i <= b; i += step) {
            char name[4096];
            snprintf(name, sizeof name, "%s%c%s", parts[0], LETTERS[i], parts[2]);
            if (expand(name, out, depth + 1, work, why, whycap) < 0)
                goto done;
        }
        rc = 0;
        goto done;
    }
    long long a, b;
    if (!py_int(beg, &a) || !py_int(end, &b)) {
        snprintf(why, whycap, "bad host range '[%s:%s]' (numbers or single letters, in '%s')",
                 beg, end, line);
        goto done;
    }
    if (step == 0) {
        snprintf(why, whycap, "host range step must not be zero (in '%s')", line);
        goto done;
    }
    for (long long i = a; step > 0 ? i <= b : i > b + 1; i += step) {
        if (++total > INV_MAX_RANGE) {
            snprintf(why, whycap, "host range '%s' has more than %d hosts", line,
                     INV_MAX_RANGE);
            goto done;
        }
        snprintf(item, sizeof item, "%0*lld", rlen ? (int)rlen : 1, i);
        if (!rlen)
            snprintf(item, sizeof item, "%lld", i);
        char name[4096];
        snprintf(name, sizeof name, "%s%s%s", parts[0], item, parts[2]);
        if (expand(name, out, depth + 1, work, why, whycap) < 0)
            goto done;
        if (out->n > INV_MAX_RANGE) {
            snprintf(why, whycap, "host range '%s' has more than %d hosts", line,
                     INV_MAX_RANGE);
            goto done;
        }
    }
    rc = 0;
done:
    free(copy);
    return rc;
}

int na_inv_expand_hostpattern(const char *pattern, inv_strlist *hosts, long *port, char *why,
                           size_t whycap)
{
    char host[4096];
    if (!na_inv_parse_address(pattern, host, sizeof host, port)) { /* not an address: as written */
        snprintf(host, sizeof host, "%s", pattern);
        *port = -1;
    }
    size_t work = 0;
    return expand(host, hosts, 0, &work, why, whycap);
}
