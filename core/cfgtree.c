/* cfgtree.c — the running configuration as a tree of sections by indentation (cfgtree.h): parse,
 * find what a config block is missing, add it where the device would, render the text again.
 * Every line of the text is an entry of one doubly linked list (the text's order, byte for
 * byte); configuration lines are also nodes of the tree. Not a vendor parser: the syntax
 * (comment and section-end lines) is given by the caller. */
#include "cfgtree.h"

#include "diff.h"

#include <stdlib.h>
#include <string.h>

typedef enum { E_CFG = 0, E_BLANK, E_COMMENT, E_END } ent_kind;

typedef struct ent ent;
struct ent {
    ent_kind kind;
    char *raw;          /* the line as printed (owned), without its newline */
    const char *text;   /* inside raw: without indentation */
    size_t tlen;        /* text length without trailing white space */
    size_t indent;
    ent *prev, *next;   /* the text's order */
    ent *parent;        /* tree (E_CFG only); NULL = top level */
    ent **kids;
    size_t nkids, capkids;
};

struct na_cfg {
    ent *head, *tail;
    ent **top;          /* top-level configuration lines */
    size_t ntop, captop;
    size_t nlines, ncfg;
    size_t unit;        /* indentation step seen (default 1) */
    na_cfg_syntax syn;  /* borrowed */
};

static int nomem(na_err *err) { return na_err_set(err, NA_E_NOMEM, "out of memory"); }

static bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\r'; }

static size_t rtrim_len(const char *s, size_t n)
{
    while (n && is_ws(s[n - 1]))
        n--;
    return n;
}

static bool starts(const char *s, size_t n, const char *p)
{
    size_t l = strlen(p);
    return l <= n && memcmp(s, p, l) == 0;
}

static ent_kind classify(const na_cfg_syntax *syn, const char *t, size_t n)
{
    if (n == 0)
        return E_BLANK;
    if (na_diff_is_volatile(t, n)) /* "Current configuration : 1234 bytes": no configuration */
        return E_COMMENT;
    for (size_t i = 0; syn && i < syn->ncomments; i++)
        if (syn->comments[i][0] && starts(t, n, syn->comments[i]))
            return E_COMMENT;
    for (size_t i = 0; syn && i < syn->nends; i++)
        if (strlen(syn->ends[i]) == n && memcmp(t, syn->ends[i], n) == 0)
            return E_END;
    return E_CFG;
}

static ent *ent_new(const char *s, size_t n, size_t indent)
{
    ent *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    if (!(e->raw = malloc(indent + n + 1))) {
        free(e);
        return NULL;
    }
    memset(e->raw, ' ', indent);
    memcpy(e->raw + indent, s, n);
    e->raw[indent + n] = '\0';
    e->indent = indent;
    e->text = e->raw + indent;
    e->tlen = rtrim_len(e->text, n);
    return e;
}

static int kid_add(ent ***v, size_t *n, size_t *cap, ent *e)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        ent **nv = realloc(*v, nc * sizeof *nv);
        if (!nv)
            return -1;
        *v = nv;
        *cap = nc;
    }
    (*v)[(*n)++] = e;
    return 0;
}

static int attach(na_cfg *c, ent *parent, ent *e)
{
    e->parent = parent;
    if (parent)
        return kid_add(&parent->kids, &parent->nkids, &parent->capkids, e);
    return kid_add(&c->top, &c->ntop, &c->captop, e);
}

static void link_after(na_cfg *c, ent *at, ent *e)
{
    e->prev = at;
    e->next = at ? at->next : c->head;
    if (e->next)
        e->next->prev = e;
    else
        c->tail = e;
    if (at)
        at->next = e;
    else
        c->head = e;
}

void na_cfg_free(na_cfg *c)
{
    if (!c)
        return;
    for (ent *e = c->head, *n; e; e = n) {
        n = e->next;
        free(e->raw);
        free(e->kids);
        free(e);
    }
    free(c->top);
    free(c);
}

na_cfg *na_cfg_parse(const char *text, size_t n, const na_cfg_syntax *syn, na_err *err)
{
    na_cfg *c = calloc(1, sizeof *c);
    if (!c) {
        nomem(err);
        return NULL;
    }
    if (syn)
        c->syn = *syn;
    c->unit = 0;
    ent *stack[NA_CFG_MAX_DEPTH];
    size_t depth = 0;
    size_t pos = 0;
    while (pos < n) {
        const char *s = text + pos;
        const char *nl = memchr(s, '\n', n - pos);
        size_t len = nl ? (size_t)(nl - s) : n - pos;
        pos += len + (nl ? 1 : 0);
        if (++c->nlines > NA_CFG_MAX_LINES) {
            na_err_set(err, NA_E_OVERFLOW, "configuration has more than %zu lines",
                       NA_CFG_MAX_LINES);
            na_cfg_free(c);
            return NULL;
        }
        size_t ind = 0;
        while (ind < len && (s[ind] == ' ' || s[ind] == '\t'))
            ind++;
        ent *e = ent_new(s, len, 0); /* the raw bytes exactly, indentation included */
        if (!e) {
            nomem(err);
            na_cfg_free(c);
            return NULL;
        }
        e->indent = ind;
        e->text = e->raw + ind;
        e->tlen = rtrim_len(e->text, len - ind);
        link_after(c, c->tail, e);
        e->kind = classify(syn, e->text, e->tlen);
        if (e->kind != E_CFG)
            continue;
        while (depth && stack[depth - 1]->indent >= ind)
            depth--;
        ent *parent = depth ? stack[depth - 1] : NULL;
        if (parent && (c->unit == 0 || ind - parent->indent < c->unit))
            c->unit = ind - parent->indent;
        if (attach(c, parent, e) < 0) {
            nomem(err);
            na_cfg_free(c);
            return NULL;
        }
        c->ncfg++;
        if (depth < NA_CFG_MAX_DEPTH)
            stack[depth++] = e;
    }
    if (c->unit == 0)
        c->unit = 1;
    return c;
}

size_t na_cfg_count(const na_cfg *c) { return c ? c->ncfg : 0; }

int na_cfg_match_parse(const char *s, na_cfg_match *out)
{
    static const char *const W[] = {"line", "strict", "exact", "none"};
    for (int i = 0; i < 4; i++)
        if (strcmp(s, W[i]) == 0) {
            *out = (na_cfg_match)i;
            return 0;
        }
    return -1;
}

int na_cfg_replace_parse(const char *s, na_cfg_replace *out)
{
    if (strcmp(s, "line") == 0)
        *out = NA_CFG_REPLACE_LINE;
    else if (strcmp(s, "block") == 0)
        *out = NA_CFG_REPLACE_BLOCK;
    else
        return -1;
    return 0;
}

/* ---- lookups ------------------------------------------------------------------------------ */

/* A wanted line without its indentation and trailing white space. */
static void wanted(const char *s, const char **t, size_t *n)
{
    while (*s == ' ' || *s == '\t')
        s++;
    *t = s;
    *n = rtrim_len(s, strlen(s));
}

static bool same(const ent *e, const char *t, size_t n)
{
    return e->tlen == n && memcmp(e->text, t, n) == 0;
}

static ent *find_in(ent *const *v, size_t nv, const char *line)
{
    const char *t;
    size_t n;
    wanted(line, &t, &n);
    for (size_t i = 0; i < nv; i++)
        if (same(v[i], t, n))
            return v[i];
    return NULL;
}

/* The section named by parents, or NULL when it does not exist. *found_root: the path is
 * empty (top level). */
static bool section(const na_cfg *c, const char *const *parents, size_t np, ent ***kids,
                    size_t *nkids, ent **sec)
{
    ent *const *v = c->top;
    size_t nv = c->ntop;
    ent *cur = NULL;
    for (size_t i = 0; i < np; i++) {
        if (!(cur = find_in(v, nv, parents[i])))
            return false;
        v = cur->kids;
        nv = cur->nkids;
    }
    *kids = (ent **)v;
    *nkids = nv;
    if (sec)
        *sec = cur;
    return true;
}

/* Which lines of b are missing (flags per line, 1 = missing). Returns the count. */
static size_t missing(const na_cfg *c, const na_cfg_block *b, unsigned char *miss)
{
    ent **kids = NULL;
    size_t nk = 0, cnt = 0;
    bool exists = c && b->match != NA_CFG_MATCH_NONE &&
                  section(c, b->parents, b->nparents, &kids, &nk, NULL);
    for (size_t i = 0; i < b->nlines; i++) {
        bool have = false;
        if (exists) {
            const char *t;
            size_t n;
            wanted(b->lines[i], &t, &n);
            switch (b->match) {
            case NA_CFG_MATCH_LINE: have = find_in(kids, nk, b->lines[i]) != NULL; break;
            case NA_CFG_MATCH_STRICT:
            case NA_CFG_MATCH_EXACT: have = i < nk && same(kids[i], t, n); break;
            case NA_CFG_MATCH_NONE: break;
            }
        }
        miss[i] = !have;
        cnt += !have;
    }
    /* exact: a section with other lines too is not these lines */
    if (exists && b->match == NA_CFG_MATCH_EXACT && cnt == 0 && nk != b->nlines && b->nlines) {
        memset(miss, 1, b->nlines);
        cnt = b->nlines;
    }
    return cnt;
}

static int push_trim(na_strv *out, const char *s, na_err *err)
{
    const char *t;
    size_t n;
    wanted(s, &t, &n);
    return na_strv_pushn(out, t, n, err);
}

int na_cfg_plan(const na_cfg *c, const na_cfg_block *b, na_strv *send, size_t *nmissing,
                na_err *err)
{
    unsigned char *miss = calloc(b->nlines ? b->nlines : 1, 1);
    if (!miss)
        return nomem(err);
    size_t cnt = missing(c, b, miss);
    if (nmissing)
        *nmissing = cnt;
    int rc = 0;
    if (cnt) {
        bool all = b->replace == NA_CFG_REPLACE_BLOCK || b->match == NA_CFG_MATCH_EXACT;
        for (size_t i = 0; rc == 0 && i < b->nbefore; i++)
            rc = push_trim(send, b->before[i], err);
        for (size_t i = 0; rc == 0 && i < b->nparents; i++)
            rc = push_trim(send, b->parents[i], err);
        for (size_t i = 0; rc == 0 && i < b->nlines; i++)
            if (all || miss[i])
                rc = push_trim(send, b->lines[i], err);
        for (size_t i = 0; rc == 0 && i < b->nafter; i++)
            rc = push_trim(send, b->after[i], err);
    }
    free(miss);
    return rc;
}

static bool contains_kids(ent *const *have, size_t nh, ent *const *want, size_t nw)
{
    for (size_t i = 0; i < nw; i++) {
        const ent *w = want[i];
        ent *h = NULL;
        for (size_t j = 0; j < nh && !h; j++)
            if (same(have[j], w->text, w->tlen))
                h = have[j];
        if (!h || !contains_kids(h->kids, h->nkids, w->kids, w->nkids))
            return false;
    }
    return true;
}

bool na_cfg_equal(const na_cfg *a, const na_cfg *b)
{
    return a && b && contains_kids(a->top, a->ntop, b->top, b->ntop) &&
           contains_kids(b->top, b->ntop, a->top, a->ntop);
}

bool na_cfg_contains(const na_cfg *c, const na_cfg *snippet)
{
    if (!snippet || snippet->ntop == 0)
        return true;
    if (!c)
        return false;
    return contains_kids(c->top, c->ntop, snippet->top, snippet->ntop);
}

/* ---- adding lines ------------------------------------------------------------------------- */

/* The last entry of e's section (e itself or its last descendant in the text). */
static ent *last_of(ent *e)
{
    while (e->nkids)
        e = e->kids[e->nkids - 1];
    return e;
}

static size_t first_word(const char *t, size_t n)
{
    size_t i = 0;
    while (i < n && t[i] != ' ')
        i++;
    return i;
}

/* Where a new top-level line goes (insert after the returned entry; NULL = at the head), and
 * the comment line to copy after it (NULL = none). */
static ent *top_anchor(const na_cfg *c, const char *t, size_t n, const ent **sep)
{
    *sep = NULL;
    size_t w = first_word(t, n);
    for (size_t i = c->ntop; i-- > 0;) {
        const ent *s = c->top[i];
        if (first_word(s->text, s->tlen) == w && memcmp(s->text, t, w) == 0) {
            ent *at = last_of((ent *)s);
            if (at->next && at->next->kind == E_COMMENT) {
                at = at->next;
                *sep = at;
            }
            return at;
        }
    }
    /* before the final section end (IOS `end`), past the blank lines before it */
    for (ent *e = c->tail; e; e = e->prev) {
        if (e->kind == E_END && e->indent == 0) {
            ent *at = e->prev;
            while (at && at->kind == E_BLANK)
                at = at->prev;
            return at;
        }
        if (e->kind == E_CFG)
            break;
    }
    return c->tail;
}

static int add_line(na_cfg *c, ent *parent, const char *line, ent **out, na_err *err)
{
    const char *t;
    size_t n;
    wanted(line, &t, &n);
    ent **kids = parent ? parent->kids : c->top;
    size_t nk = parent ? parent->nkids : c->ntop;
    size_t indent = nk ? kids[0]->indent : parent ? parent->indent + c->unit : 0;
    if (++c->nlines > NA_CFG_MAX_LINES)
        return na_err_set(err, NA_E_OVERFLOW, "configuration has more than %zu lines",
                          NA_CFG_MAX_LINES);
    ent *e = ent_new(t, n, indent);
    if (!e)
        return nomem(err);
    e->kind = E_CFG;
    const ent *sep = NULL;
    ent *at = parent ? last_of(parent) : top_anchor(c, t, n, &sep);
    /* past the end lines that close the parent's last sub-section (` exit-address-family`) */
    while (parent && at->next && at->next->kind == E_END && at->next->indent > parent->indent)
        at = at->next;
    if (attach(c, parent, e) < 0) {
        free(e->raw);
        free(e);
        return nomem(err);
    }
    link_after(c, at, e);
    c->ncfg++;
    if (sep) { /* the separator the device prints after such a section */
        ent *s = ent_new(sep->raw, strlen(sep->raw), 0);
        if (!s)
            return nomem(err);
        s->kind = E_COMMENT;
        c->nlines++;
        link_after(c, e, s);
    }
    *out = e;
    return 0;
}

/* The section for parents, created where missing. */
static int ensure_section(na_cfg *c, const char *const *parents, size_t np, ent **sec,
                          na_err *err)
{
    ent *cur = NULL;
    for (size_t i = 0; i < np; i++) {
        ent **v = cur ? cur->kids : c->top;
        size_t nv = cur ? cur->nkids : c->ntop;
        ent *f = find_in(v, nv, parents[i]);
        if (!f && add_line(c, cur, parents[i], &f, err) < 0)
            return -1;
        cur = f;
    }
    *sec = cur;
    return 0;
}

int na_cfg_apply(na_cfg *c, const na_cfg_block *b, na_err *err)
{
    if (b->match == NA_CFG_MATCH_NONE || b->nlines == 0)
        return 0;
    ent *sec;
    if (ensure_section(c, b->parents, b->nparents, &sec, err) < 0)
        return -1;
    for (size_t i = 0; i < b->nlines; i++) {
        ent *e;
        if (find_in(sec ? sec->kids : c->top, sec ? sec->nkids : c->ntop, b->lines[i]))
            continue;
        if (add_line(c, sec, b->lines[i], &e, err) < 0)
            return -1;
    }
    return 0;
}

static int apply_kids(na_cfg *c, ent *parent, ent *const *want, size_t nw, na_err *err)
{
    for (size_t i = 0; i < nw; i++) {
        ent *f = find_in(parent ? parent->kids : c->top, parent ? parent->nkids : c->ntop,
                         want[i]->raw);
        if (!f && add_line(c, parent, want[i]->raw, &f, err) < 0)
            return -1;
        if (apply_kids(c, f, want[i]->kids, want[i]->nkids, err) < 0)
            return -1;
    }
    return 0;
}

int na_cfg_apply_snippet(na_cfg *c, const na_cfg *snippet, na_err *err)
{
    return snippet ? apply_kids(c, NULL, snippet->top, snippet->ntop, err) : 0;
}

int na_cfg_render(const na_cfg *c, na_buf *out, na_err *err)
{
    for (const ent *e = c ? c->head : NULL; e; e = e->next)
        if (na_buf_puts(out, e->raw, err) < 0 || na_buf_append(out, "\n", 1, "config", err) < 0)
            return -1;
    return 0;
}
