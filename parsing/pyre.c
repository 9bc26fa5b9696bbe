/* pyre.c — the front of the Python-regex translator (pyre.h): parse (pyre_parse.c), check and
 * emit (pyre_emit.c), compile with PCRE2 (UTF, LF newlines, JIT when available) and match with
 * bounded resources. A pattern PCRE2 refuses after Python accepted it is reported as
 * unsupported with PCRE2's reason. Not the template engine (tfsm_*.c). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "pyre_int.h"
#include "utext.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct na_pyre {
    pcre2_code *code;
    bool jit;
    char *src; /* the PCRE2 text */
    uint32_t groups;
    pr_name *names;
    size_t nnames;
};

struct na_pyre_matcher {
    pcre2_match_data *md;
    uint32_t md_pairs;
    pcre2_match_context *mc;
    pcre2_jit_stack *js;
    const char *why;
    char whybuf[160];
};

void na_pyre_err_str(const na_pyre_err *e, char *out, size_t cap)
{
    if ((e->status == NA_PYRE_SYNTAX) && e->has_pos)
        snprintf(out, cap, "%s at position %zu", e->msg, e->pos);
    else
        snprintf(out, cap, "%s", e->msg);
}

static int set_err(na_pyre_err *e, na_pyre_status st, const char *msg)
{
    e->status = st;
    e->has_pos = false;
    e->pos = 0;
    snprintf(e->msg, sizeof e->msg, "%s", msg);
    return -1;
}

na_pyre *na_pyre_compile(const char *pattern, long len, unsigned flags, na_pyre_err *e)
{
    memset(e, 0, sizeof *e);
    size_t n = len < 0 ? strlen(pattern) : (size_t)len;
    if (!na_ut_valid(pattern, n, NULL)) {
        set_err(e, NA_PYRE_UNSUPPORTED, "the pattern is not valid UTF-8");
        return NULL;
    }
    uint32_t *cps = malloc((n + 1) * sizeof *cps);
    na_pyre *re = calloc(1, sizeof *re);
    pr_ctx *c = calloc(1, sizeof *c);
    na_buf out;
    na_buf_init(&out, 0);
    if (!cps || !re || !c) {
        free(cps);
        free(re);
        free(c);
        set_err(e, NA_PYRE_NOMEM, "out of memory");
        return NULL;
    }
    size_t k = 0;
    for (size_t i = 0; i < n;)
        i += na_ut_decode(pattern + i, n - i, &cps[k++]);
    c->s = cps;
    c->n = k;
    c->err = e;
    if (setjmp(c->jb)) {
        na_buf_free(&out);
        goto fail;
    }
    pr_seq *top = na_pr_parse(c, 0);
    na_pr_emit(c, top, &out);
    re->groups = c->groups - 1;
    if (c->nnames) {
        re->names = calloc(c->nnames, sizeof *re->names);
        if (!re->names) {
            set_err(e, NA_PYRE_NOMEM, "out of memory");
            na_buf_free(&out);
            goto fail;
        }
        for (size_t i = 0; i < c->nnames; i++) {
            re->names[i].group = c->names[i].group;
            re->names[i].name = strdup(c->names[i].name);
            re->nnames = i + 1;
            if (!re->names[i].name) {
                set_err(e, NA_PYRE_NOMEM, "out of memory");
                na_buf_free(&out);
                goto fail;
            }
        }
    }
    if (re->groups > 65535) {
        set_err(e, NA_PYRE_UNSUPPORTED, "more than 65535 groups");
        na_buf_free(&out);
        goto fail;
    }
    re->src = na_buf_steal(&out);
    if (!re->src) {
        set_err(e, NA_PYRE_NOMEM, "out of memory");
        goto fail;
    }
    pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
    if (!cc) {
        set_err(e, NA_PYRE_NOMEM, "out of memory");
        goto fail;
    }
    pcre2_set_newline(cc, PCRE2_NEWLINE_LF);
    pcre2_set_parens_nest_limit(cc, 4 * NA_PYRE_MAX_DEPTH + 100);
    int ec;
    PCRE2_SIZE eo;
    re->code = pcre2_compile((PCRE2_SPTR)re->src, PCRE2_ZERO_TERMINATED,
                             PCRE2_UTF | PCRE2_NO_UTF_CHECK | PCRE2_NEVER_BACKSLASH_C |
                                 (flags & NA_PYRE_MATCH ? PCRE2_ANCHORED : 0),
                             &ec, &eo, cc);
    pcre2_compile_context_free(cc);
    if (!re->code) {
        PCRE2_UCHAR m[256];
        pcre2_get_error_message(ec, m, sizeof m);
        char msg[400];
        snprintf(msg, sizeof msg, "PCRE2 cannot compile this pattern as Python means it: %s",
                 (char *)m);
        set_err(e, ec == PCRE2_ERROR_NOMEMORY ? NA_PYRE_NOMEM : NA_PYRE_UNSUPPORTED, msg);
        goto fail;
    }
    re->jit = pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE) == 0;
    free(cps);
    na_pr_ctx_free(c);
    free(c);
    return re;
fail:
    free(cps);
    na_pr_ctx_free(c);
    free(c);
    na_pyre_free(re);
    return NULL;
}

void na_pyre_free(na_pyre *re)
{
    if (!re)
        return;
    pcre2_code_free(re->code);
    free(re->src);
    for (size_t i = 0; i < re->nnames; i++)
        free(re->names[i].name);
    free(re->names);
    free(re);
}

const char *na_pyre_pcre2_source(const na_pyre *re) { return re->src; }
uint32_t na_pyre_groups(const na_pyre *re) { return re->groups; }
size_t na_pyre_named_count(const na_pyre *re) { return re->nnames; }
const char *na_pyre_named(const na_pyre *re, size_t i, uint32_t *group)
{
    if (i >= re->nnames)
        return NULL;
    if (group)
        *group = re->names[i].group;
    return re->names[i].name;
}

/* ---- matching ------------------------------------------------------------------------------ */

na_pyre_matcher *na_pyre_matcher_new(const na_pyre_limits *lim)
{
    na_pyre_matcher *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->mc = pcre2_match_context_create(NULL);
    m->js = pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, NULL);
    if (!m->mc) {
        na_pyre_matcher_free(m);
        return NULL;
    }
    pcre2_set_match_limit(m->mc, lim && lim->match_limit ? lim->match_limit : NA_PYRE_MATCH_LIMIT);
    pcre2_set_depth_limit(m->mc, lim && lim->depth_limit ? lim->depth_limit : 100000);
    pcre2_set_heap_limit(m->mc, lim && lim->heap_kib ? lim->heap_kib : 65536);
    if (m->js)
        pcre2_jit_stack_assign(m->mc, NULL, m->js);
    return m;
}

void na_pyre_matcher_free(na_pyre_matcher *m)
{
    if (!m)
        return;
    pcre2_match_data_free(m->md);
    pcre2_match_context_free(m->mc);
    pcre2_jit_stack_free(m->js);
    free(m);
}

int na_pyre_match(const na_pyre *re, na_pyre_matcher *m, const char *s, size_t n)
{
    uint32_t pairs = re->groups + 1;
    if (!m->md || m->md_pairs < pairs) {
        pcre2_match_data_free(m->md);
        m->md_pairs = pairs < 16 ? 16 : pairs;
        m->md = pcre2_match_data_create(m->md_pairs, NULL);
        if (!m->md) {
            m->md_pairs = 0;
            m->why = "out of memory";
            return -1;
        }
    }
    int rc;
    if (re->jit) {
        rc = pcre2_jit_match(re->code, (PCRE2_SPTR)s, n, 0, 0, m->md, m->mc);
        if (rc == PCRE2_ERROR_JIT_STACKLIMIT) /* the interpreter keeps its frames on the heap */
            rc = pcre2_match(re->code, (PCRE2_SPTR)s, n, 0, PCRE2_NO_JIT | PCRE2_NO_UTF_CHECK,
                             m->md, m->mc);
    } else {
        rc = pcre2_match(re->code, (PCRE2_SPTR)s, n, 0, PCRE2_NO_UTF_CHECK, m->md, m->mc);
    }
    if (rc >= 0)
        return 1;
    if (rc == PCRE2_ERROR_NOMATCH)
        return 0;
    if (rc == PCRE2_ERROR_MATCHLIMIT)
        m->why = "the regex backtracked too much on this line (PCRE2 match limit)";
    else if (rc == PCRE2_ERROR_DEPTHLIMIT)
        m->why = "the regex nested too deeply on this line (PCRE2 depth limit)";
    else if (rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_NOMEMORY)
        m->why = "the regex needed too much memory on this line (PCRE2 heap limit)";
    else {
        PCRE2_UCHAR b[120];
        pcre2_get_error_message(rc, b, sizeof b);
        snprintf(m->whybuf, sizeof m->whybuf, "PCRE2: %s", (char *)b);
        m->why = m->whybuf;
    }
    return -1;
}

bool na_pyre_group(const na_pyre_matcher *m, uint32_t g, size_t *start, size_t *end)
{
    if (!m->md || g >= pcre2_get_ovector_count(m->md))
        return false;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
    if (ov[2 * g] == PCRE2_UNSET)
        return false;
    *start = ov[2 * g];
    *end = ov[2 * g + 1];
    return true;
}

const char *na_pyre_matcher_error(const na_pyre_matcher *m) { return m->why ? m->why : "?"; }
