/* utext.c — Python str behaviour over UTF-8 (utext.h): decoding with replacement, line
 * splitting, whitespace, identifiers, repr(). Unicode properties come from PCRE2's tables (small
 * patterns compiled once). Not a Unicode library and not the regex translator (pyre_*.c). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "utext.h"

#include <locale.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

/* ---- UTF-8 ------------------------------------------------------------------------------- */

/* A lead byte c of a multi-byte sequence: its length and the range of its second byte
 * (Unicode's table 3-7: no overlongs, no surrogates, nothing past U+10FFFF); 0 if c leads none. */
static size_t lead(unsigned char c, unsigned char *lo, unsigned char *hi)
{
    *lo = 0x80;
    *hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        return 2;
    if (c >= 0xE0 && c <= 0xEF) {
        if (c == 0xE0)
            *lo = 0xA0;
        else if (c == 0xED)
            *hi = 0x9F;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (c == 0xF0)
            *lo = 0x90;
        else if (c == 0xF4)
            *hi = 0x8F;
        return 4;
    }
    return 0;
}

size_t na_ut_seqlen(const unsigned char *s, size_t n)
{
    if (n == 0)
        return 0;
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    unsigned char lo, hi;
    size_t len = lead(c, &lo, &hi);
    if (!len)
        return 0;
    if (n < len)
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return len;
}

size_t na_ut_decode(const char *p, size_t n, uint32_t *cp)
{
    const unsigned char *s = (const unsigned char *)p;
    if (s[0] < 0x80 || n < 2) {
        *cp = s[0];
        return 1;
    }
    if (s[0] < 0xE0) {
        *cp = (uint32_t)(s[0] & 0x1F) << 6 | (s[1] & 0x3F);
        return 2;
    }
    if (s[0] < 0xF0 && n >= 3) {
        *cp = (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
        return 3;
    }
    if (n >= 4) {
        *cp = (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 |
              (uint32_t)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
        return 4;
    }
    *cp = s[0];
    return 1;
}

size_t na_ut_encode(uint32_t c, char *o)
{
    if (c < 0x80) {
        o[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (char)(0xC0 | c >> 6);
        o[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (char)(0xE0 | c >> 12);
        o[1] = (char)(0x80 | (c >> 6 & 0x3F));
        o[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | c >> 18);
    o[1] = (char)(0x80 | (c >> 12 & 0x3F));
    o[2] = (char)(0x80 | (c >> 6 & 0x3F));
    o[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

bool na_ut_valid(const char *p, size_t n, size_t *bad)
{
    const unsigned char *s = (const unsigned char *)p;
    for (size_t i = 0; i < n;) {
        if (s[i] < 0x80) { /* ASCII: eight bytes at a time */
            uint64_t w;
            while (i + 8 <= n && (memcpy(&w, s + i, 8), !(w & 0x8080808080808080ull)))
                i += 8;
            while (i < n && s[i] < 0x80)
                i++;
            continue;
        }
        size_t l = na_ut_seqlen(s + i, n - i);
        if (!l) {
            if (bad)
                *bad = i;
            return false;
        }
        i += l;
    }
    return true;
}

/* Bytes of the maximal subpart of an ill-formed sequence at s (>= 1): the longest prefix that
 * could still start a valid sequence. */
static size_t maximal_subpart(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    unsigned char lo, hi;
    size_t len = lead(c, &lo, &hi);
    if (!len)
        return 1;
    size_t i = 1;
    if (i < n && i < len && s[i] >= lo && s[i] <= hi) {
        i++;
        while (i < n && i < len && (s[i] & 0xC0) == 0x80)
            i++;
    }
    return i;
}

int na_ut_sanitize(const char *p, size_t n, size_t max, char **out, size_t *outn, na_err *err)
{
    *out = NULL;
    *outn = n;
    size_t bad;
    if (na_ut_valid(p, n, &bad))
        return 0;
    const unsigned char *s = (const unsigned char *)p;
    na_buf b;
    na_buf_init(&b, max ? max : NA_BUF_DEFAULT_MAX);
    if (na_buf_append(&b, p, bad, "the text", err) < 0)
        return -1;
    for (size_t i = bad; i < n;) {
        size_t l = s[i] < 0x80 ? 1 : na_ut_seqlen(s + i, n - i);
        int rc;
        if (l) {
            size_t j = i + l;
            while (j < n && (s[j] < 0x80 || na_ut_seqlen(s + j, n - j)))
                j += s[j] < 0x80 ? 1 : na_ut_seqlen(s + j, n - j);
            rc = na_buf_append(&b, p + i, j - i, "the text", err);
            i = j;
        } else {
            rc = na_buf_append(&b, "\xEF\xBF\xBD", 3, "the text", err);
            i += maximal_subpart(s + i, n - i);
        }
        if (rc < 0) {
            na_buf_free(&b);
            return -1;
        }
    }
    *outn = b.len;
    *out = na_buf_steal(&b);
    if (!*out)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    return 0;
}

size_t na_ut_len(const char *p, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += ((unsigned char)p[i] & 0xC0) != 0x80;
    return k;
}

/* ---- whitespace and lines ---------------------------------------------------------------- */

bool na_ut_isspace(uint32_t c)
{
    if (c < 0x80)
        return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20);
    return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
           c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

/* The code point ending at s[n-1] (valid UTF-8); *len its byte length. */
static uint32_t last_cp(const char *s, size_t n, size_t *len)
{
    size_t k = n - 1;
    while (k > 0 && n - k < 4 && ((unsigned char)s[k] & 0xC0) == 0x80)
        k--;
    uint32_t c;
    na_ut_decode(s + k, n - k, &c);
    *len = n - k;
    return c;
}

size_t na_ut_rstrip(const char *s, size_t n)
{
    while (n > 0) {
        size_t l;
        if (!na_ut_isspace(last_cp(s, n, &l)))
            break;
        n -= l;
    }
    return n;
}

size_t na_ut_lstrip(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint32_t c;
        size_t l = na_ut_decode(s + i, n - i, &c);
        if (!na_ut_isspace(c))
            break;
        i += l;
    }
    return i;
}

/* Bytes that may start a line boundary. */
static const unsigned char MAYBREAK[256] = {
    ['\n'] = 1, [0x0B] = 1, [0x0C] = 1, ['\r'] = 1, [0x1C] = 1, [0x1D] = 1, [0x1E] = 1,
    [0xC2] = 1, [0xE2] = 1,
};

bool na_ut_next_line(const char *s, size_t n, size_t *pos, const char **line, size_t *len)
{
    size_t i = *pos;
    if (i >= n)
        return false;
    size_t start = i;
    const unsigned char *u = (const unsigned char *)s;
    while (i < n) {
        /* eight bytes at a time while none is a control character or non-ASCII */
        uint64_t w;
        while (i + 8 <= n) {
            memcpy(&w, u + i, 8);
            uint64_t ctl = (w - 0x2020202020202020ull) & ~w & 0x8080808080808080ull;
            if (ctl | (w & 0x8080808080808080ull))
                break;
            i += 8;
        }
        size_t stop = i + 8 < n ? i + 8 : n; /* then this window byte by byte */
        while (i < stop && !MAYBREAK[u[i]])
            i++;
        if (i == stop)
            continue;
        unsigned char c = u[i];
        size_t brk = 0; /* bytes of the boundary at i */
        if (c == '\n' || c == 0x0B || c == 0x0C || (c >= 0x1C && c <= 0x1E))
            brk = 1;
        else if (c == '\r')
            brk = i + 1 < n && u[i + 1] == '\n' ? 2 : 1;
        else if (c == 0xC2 && i + 1 < n && u[i + 1] == 0x85)
            brk = 2;
        else if (c == 0xE2 && i + 2 < n && u[i + 1] == 0x80 &&
                 (u[i + 2] == 0xA8 || u[i + 2] == 0xA9))
            brk = 3;
        if (brk) {
            *line = s + start;
            *len = i - start;
            *pos = i + brk;
            return true;
        }
        i++;
    }
    *line = s + start;
    *len = n - start;
    *pos = n;
    return true;
}

/* ---- properties (PCRE2's Unicode tables) ------------------------------------------------- */

enum { P_IDSTART, P_IDCONT, P_NONPRINT, P_ND, P_ALPHA, P__N };
static pcre2_code *prop_re[P__N];
static pthread_once_t prop_once = PTHREAD_ONCE_INIT;

static void prop_init(void)
{
    static const char *const src[P__N] = {
        "[\\p{XID_Start}_]", "\\p{XID_Continue}", "[\\p{C}\\p{Z}]", "\\p{Nd}", "\\p{L}"};
    for (int i = 0; i < P__N; i++) {
        int ec;
        PCRE2_SIZE eo;
        prop_re[i] = pcre2_compile((PCRE2_SPTR)src[i], PCRE2_ZERO_TERMINATED,
                                   PCRE2_UTF | PCRE2_ANCHORED, &ec, &eo, NULL);
    }
}

static bool has_prop(int which, uint32_t c)
{
    pthread_once(&prop_once, prop_init);
    if (!prop_re[which])
        return false;
    char u[4];
    size_t l = na_ut_encode(c, u);
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    if (!md)
        return false;
    int rc = pcre2_match(prop_re[which], (PCRE2_SPTR)u, l, 0, PCRE2_NO_UTF_CHECK, md, NULL);
    pcre2_match_data_free(md);
    return rc > 0;
}

bool na_ut_isidentifier(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n;) {
        uint32_t c;
        size_t l = na_ut_decode(s + i, n - i, &c);
        bool ok;
        if (c < 0x80)
            ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                 (i > 0 && c >= '0' && c <= '9');
        else
            ok = has_prop(i == 0 ? P_IDSTART : P_IDCONT, c);
        if (!ok)
            return false;
        i += l;
    }
    return true;
}

bool na_ut_isalpha(uint32_t c)
{
    if (c < 0x80)
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    return has_prop(P_ALPHA, c);
}

bool na_ut_isprintable(uint32_t c)
{
    if (c < 0x80)
        return c >= 0x20 && c < 0x7F;
    return !has_prop(P_NONPRINT, c);
}

bool na_ut_decimal(uint32_t c, int *value)
{
    if (c >= '0' && c <= '9') {
        *value = (int)(c - '0');
        return true;
    }
    if (c < 0x80 || !has_prop(P_ND, c))
        return false;
    uint32_t start = c; /* decimal digits come in runs of ten, each starting with a zero */
    while (start > 0 && c - start < 100 && has_prop(P_ND, start - 1))
        start--;
    *value = (int)((c - start) % 10);
    return true;
}

int na_ut_repr(const char *s, size_t n, na_buf *out, na_err *err)
{
    bool sq = memchr(s, '\'', n) != NULL, dq = memchr(s, '"', n) != NULL;
    char q = sq && !dq ? '"' : '\'';
    if (na_buf_append(out, &q, 1, NULL, err) < 0)
        return -1;
    for (size_t i = 0; i < n;) {
        uint32_t c;
        size_t l = na_ut_decode(s + i, n - i, &c);
        int rc;
        if (c == (uint32_t)q || c == '\\')
            rc = na_buf_printf(out, err, "\\%c", (char)c);
        else if (c == '\t')
            rc = na_buf_puts(out, "\\t", err);
        else if (c == '\n')
            rc = na_buf_puts(out, "\\n", err);
        else if (c == '\r')
            rc = na_buf_puts(out, "\\r", err);
        else if (c < 0x20 || c == 0x7F)
            rc = na_buf_printf(out, err, "\\x%02x", c);
        else if (c < 0x80 || na_ut_isprintable(c))
            rc = na_buf_append(out, s + i, l, NULL, err);
        else if (c < 0x100)
            rc = na_buf_printf(out, err, "\\x%02x", c);
        else if (c < 0x10000)
            rc = na_buf_printf(out, err, "\\u%04x", c);
        else
            rc = na_buf_printf(out, err, "\\U%08x", c);
        if (rc < 0)
            return -1;
        i += l;
    }
    return na_buf_append(out, &q, 1, NULL, err);
}

static locale_t utf8_loc;
static pthread_once_t loc_once = PTHREAD_ONCE_INIT;
static void loc_init(void) { utf8_loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0); }

char *na_ut_lower(const char *s, size_t n)
{
    char *o = malloc(n * 2 + 1); /* a lowercase letter never takes more than twice the bytes */
    if (!o)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        uint32_t c;
        size_t l = na_ut_decode(s + i, n - i, &c);
        if (c < 0x80) {
            o[k++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        } else if (c == 0x130) { /* Python: 'İ'.lower() == 'i̇' */
            o[k++] = 'i';
            k += na_ut_encode(0x307, o + k);
        } else {
            pthread_once(&loc_once, loc_init);
            uint32_t lc = utf8_loc ? (uint32_t)towlower_l((wint_t)c, utf8_loc) : c;
            if (lc > 0x10FFFF || (lc >= 0xD800 && lc <= 0xDFFF))
                lc = c;
            k += na_ut_encode(lc, o + k);
        }
        i += l;
    }
    o[k] = '\0';
    return o;
}
