/* pattern.c — PCRE2 compile (+JIT) and match helpers (see pattern.h). Not a regex engine and not
 * a cache: each pattern is compiled once by its owner (platform loader, session). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "pattern.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct na_pattern {
    pcre2_code *code;
    char *src;
};

struct na_matcher {
    pcre2_match_data *md;
};

na_pattern *na_pattern_new(const char *src, unsigned flags, na_err *err)
{
    if (!src)
        src = "";
    uint32_t opts = 0;
    if (flags & NA_PAT_CASELESS)
        opts |= PCRE2_CASELESS;
    if (flags & NA_PAT_MULTILINE)
        opts |= PCRE2_MULTILINE;
    if (flags & NA_PAT_LITERAL)
        opts |= PCRE2_LITERAL;
    int ec = 0;
    PCRE2_SIZE eoff = 0;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)src, PCRE2_ZERO_TERMINATED, opts, &ec, &eoff, NULL);
    if (!code) {
        PCRE2_UCHAR msg[256];
        if (pcre2_get_error_message(ec, msg, sizeof msg) < 0)
            snprintf((char *)msg, sizeof msg, "error %d", ec);
        na_err_set(err, NA_E_CONFIG, "bad regular expression '%s': %s (at offset %zu)", src,
                   (const char *)msg, (size_t)eoff);
        return NULL;
    }
    /* JIT when available; the interpreter is used transparently otherwise. */
    (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    na_pattern *p = calloc(1, sizeof *p);
    if (!p || !(p->src = strdup(src))) {
        free(p);
        pcre2_code_free(code);
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    p->code = code;
    return p;
}

void na_pattern_free(na_pattern *p)
{
    if (!p)
        return;
    pcre2_code_free(p->code);
    free(p->src);
    free(p);
}

const char *na_pattern_src(const na_pattern *p)
{
    return p ? p->src : "";
}

na_matcher *na_matcher_new(na_err *err)
{
    na_matcher *m = calloc(1, sizeof *m);
    if (m)
        m->md = pcre2_match_data_create(4, NULL);
    if (!m || !m->md) {
        free(m);
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    return m;
}

void na_matcher_free(na_matcher *m)
{
    if (!m)
        return;
    pcre2_match_data_free(m->md);
    free(m);
}

bool na_pattern_find(const na_pattern *p, na_matcher *m, const char *s, size_t n, bool not_bol,
                     size_t *start, size_t *end)
{
    if (!p || !m)
        return false;
    int rc = pcre2_match(p->code, (PCRE2_SPTR)(s ? s : ""), n, 0, not_bol ? PCRE2_NOTBOL : 0,
                         m->md, NULL);
    /* rc == 0: ovector too small for every group, but group 0 is still set */
    if (rc < 0)
        return false;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
    if (start)
        *start = (size_t)ov[0];
    if (end)
        *end = (size_t)ov[1];
    return true;
}

bool na_matcher_group(const na_matcher *m, unsigned g, size_t *start, size_t *end)
{
    if (!m || g >= pcre2_get_ovector_count(m->md))
        return false;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
    if (ov[2 * g] == PCRE2_UNSET || ov[2 * g + 1] < ov[2 * g])
        return false;
    *start = (size_t)ov[2 * g];
    *end = (size_t)ov[2 * g + 1];
    return true;
}

char *na_regex_quote(const char *text, size_t n)
{
    char *out = malloc(n * 4 + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            c == '_' || c >= 0x80) {
            out[o++] = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            o += (size_t)sprintf(out + o, "\\x%02x", c);
        } else {
            out[o++] = '\\';
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
    return out;
}
