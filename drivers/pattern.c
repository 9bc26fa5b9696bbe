/* pattern.c — PCRE2 compile (+JIT) and match helpers (see pattern.h). Not a regex engine and not
 * a cache: each pattern is compiled once by its owner (platform loader, session). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "pattern.h"

#include <pcre2.h>
#include <pthread.h>
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

/* PCRE2's JIT searches with vector loads that may read (and ignore) up to a vector's width past
 * the end of the subject: harmless (never across a page) but reads of memory that is not the
 * subject's. Subjects up to COPY_MAX bytes (tails, output heads: all the driver uses) are matched
 * from a per-thread copy with zeroed padding instead, so memory checkers stay quiet. */
#define COPY_MAX ((size_t)64 << 10)
#define PAD 64

typedef struct scratch {
    char *p;
    size_t cap;
} scratch;

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_free(void *v)
{
    scratch *sc = v;
    if (sc) {
        free(sc->p);
        free(sc);
    }
}

static void scratch_init(void) { (void)pthread_key_create(&scratch_key, scratch_free); }

static const char *padded(const char *s, size_t n)
{
    if (n > COPY_MAX)
        return s;
    pthread_once(&scratch_once, scratch_init);
    scratch *sc = pthread_getspecific(scratch_key);
    if (!sc) {
        sc = calloc(1, sizeof *sc);
        if (!sc || pthread_setspecific(scratch_key, sc) != 0) {
            free(sc);
            return s;
        }
    }
    if (sc->cap < n + PAD) {
        size_t nc = sc->cap ? sc->cap : 1024;
        while (nc < n + PAD)
            nc *= 2;
        char *np = realloc(sc->p, nc);
        if (!np)
            return s;
        sc->p = np;
        sc->cap = nc;
    }
    memcpy(sc->p, s, n);
    memset(sc->p + n, 0, PAD);
    return sc->p;
}

bool na_pattern_find(const na_pattern *p, na_matcher *m, const char *s, size_t n, bool not_bol,
                     size_t *start, size_t *end)
{
    if (!p || !m)
        return false;
    const char *subj = padded(s ? s : "", n);
    int rc = pcre2_match(p->code, (PCRE2_SPTR)subj, n, 0, not_bol ? PCRE2_NOTBOL : 0, m->md,
                         NULL);
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
