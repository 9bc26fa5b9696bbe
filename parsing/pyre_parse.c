/* pyre_parse.c — Python 3.11's regex parser (re/_parser.py) in C: the tokenizer, alternations,
 * sequences, character sets, repeats, groups, inline flags, escapes and conditional references,
 * with the same acceptance rules and the same error messages at the same positions. It builds
 * the tree of pyre_int.h; warnings Python prints (FutureWarning, DeprecationWarning) change
 * nothing and are not reproduced. Not the PCRE2 side (pyre_emit.c). */
#include "pyre_int.h"
#include "utext.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena and errors -------------------------------------------------------------------- */

void *na_pr_alloc(pr_ctx *c, size_t size)
{
    if (c->narena == c->arena_cap) {
        size_t cap = c->arena_cap ? c->arena_cap * 2 : 64;
        void **a = realloc(c->arena, cap * sizeof *a);
        if (!a)
            na_pr_fail(c, NA_PYRE_NOMEM, false, 0, "out of memory");
        c->arena = a;
        c->arena_cap = cap;
    }
    void *p = calloc(1, size ? size : 1);
    if (!p)
        na_pr_fail(c, NA_PYRE_NOMEM, false, 0, "out of memory");
    c->arena[c->narena++] = p;
    return p;
}

void na_pr_ctx_free(pr_ctx *c)
{
    for (size_t i = 0; i < c->narena; i++)
        free(c->arena[i]);
    free(c->arena);
    free(c->gclosed);
    free(c->gcontent);
    free(c->names);
    free(c->condrefs);
    free(c->condpos);
    c->arena = NULL;
    c->narena = c->arena_cap = 0;
}

void na_pr_fail(pr_ctx *c, na_pyre_status st, bool has_pos, size_t pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err->msg, sizeof c->err->msg, fmt, ap);
    va_end(ap);
    c->err->status = st;
    c->err->has_pos = has_pos;
    c->err->pos = pos;
    longjmp(c->jb, 1);
}

/* ---- the tokenizer (re._parser.Tokenizer) ------------------------------------------------ */

typedef struct tok {
    uint32_t a, b;
    int len; /* 0 None, 1 char, 2 backslash + char */
} tok;

static void tnext(pr_ctx *c)
{
    size_t i = c->index;
    if (i >= c->n) {
        c->nxlen = 0;
        return;
    }
    uint32_t ch = c->s[i];
    if (ch == '\\') {
        i++;
        if (i >= c->n)
            na_pr_fail(c, NA_PYRE_SYNTAX, true, c->n - 1, "bad escape (end of pattern)");
        c->nx[0] = '\\';
        c->nx[1] = c->s[i];
        c->nxlen = 2;
    } else {
        c->nx[0] = ch;
        c->nxlen = 1;
    }
    c->index = i + 1;
}

static tok tpeek(const pr_ctx *c)
{
    tok t = {c->nx[0], c->nx[1], c->nxlen};
    return t;
}
static bool tis(tok t, uint32_t ch) { return t.len == 1 && t.a == ch; }
static bool nis(const pr_ctx *c, uint32_t ch) { return c->nxlen == 1 && c->nx[0] == ch; }
static bool nin(const pr_ctx *c, const char *set)
{
    return c->nxlen == 1 && c->nx[0] < 0x80 && c->nx[0] && strchr(set, (int)c->nx[0]);
}
static bool tmatch(pr_ctx *c, uint32_t ch)
{
    if (nis(c, ch)) {
        tnext(c);
        return true;
    }
    return false;
}
static tok tget(pr_ctx *c)
{
    tok t = tpeek(c);
    tnext(c);
    return t;
}
static size_t ttell(const pr_ctx *c) { return c->index - (size_t)c->nxlen; }
static void tseek(pr_ctx *c, size_t i)
{
    c->index = i;
    tnext(c);
}

/* error(msg, offset): position tell() - offset. */
#define FAIL(c, off, ...)                                                                          \
    na_pr_fail((c), NA_PYRE_SYNTAX, true, ttell(c) - (size_t)(off), __VA_ARGS__)

/* A growing code point string (for escapes and names in messages). */
typedef struct ustr {
    uint32_t v[64];
    uint32_t *big;
    size_t n, cap;
    pr_ctx *c;
} ustr;

static void us_init(ustr *u, pr_ctx *c)
{
    u->n = 0;
    u->big = NULL;
    u->cap = 64;
    u->c = c;
}
static uint32_t *us_data(ustr *u) { return u->big ? u->big : u->v; }
static void us_push(ustr *u, uint32_t ch)
{
    if (u->n == u->cap) {
        size_t cap = u->cap * 2;
        uint32_t *b = na_pr_alloc(u->c, cap * sizeof *b);
        memcpy(b, us_data(u), u->n * sizeof *b);
        u->big = b;
        u->cap = cap;
    }
    us_data(u)[u->n++] = ch;
}
static void us_tok(ustr *u, tok t)
{
    if (t.len >= 1)
        us_push(u, t.a);
    if (t.len == 2)
        us_push(u, t.b);
}

/* UTF-8 of code points (arena). */
static char *to_utf8(pr_ctx *c, const uint32_t *v, size_t n)
{
    char *o = na_pr_alloc(c, n * 4 + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += na_ut_encode(v[i] >= 0xD800 && v[i] <= 0xDFFF ? 0xFFFD : v[i], o + k);
    o[k] = '\0';
    return o;
}
static char *tok_utf8(pr_ctx *c, tok t)
{
    uint32_t v[2] = {t.a, t.b};
    return to_utf8(c, v, (size_t)t.len);
}
static char *us_utf8(ustr *u) { return to_utf8(u->c, us_data(u), u->n); }
/* repr() of a name (arena). */
static char *us_repr(ustr *u)
{
    char *s = us_utf8(u);
    na_buf b;
    na_buf_init(&b, 0);
    char *r;
    if (na_ut_repr(s, strlen(s), &b, NULL) < 0 || !(r = na_pr_alloc(u->c, b.len + 1))) {
        na_buf_free(&b);
        na_pr_fail(u->c, NA_PYRE_NOMEM, false, 0, "out of memory");
    }
    memcpy(r, na_buf_cstr(&b), b.len + 1);
    na_buf_free(&b);
    return r;
}

static void getwhile(pr_ctx *c, ustr *u, int n, const char *set)
{
    for (int i = 0; i < n; i++) {
        if (!nin(c, set))
            break;
        us_tok(u, tget(c));
    }
}

static void getuntil(pr_ctx *c, ustr *u, uint32_t term, const char *name)
{
    us_init(u, c);
    for (;;) {
        tok t = tget(c);
        if (t.len == 0) {
            if (!u->n)
                FAIL(c, 0, "missing %s", name);
            FAIL(c, u->n, "missing %c, unterminated name", (char)term);
        }
        if (tis(t, term)) {
            if (!u->n)
                FAIL(c, 1, "missing %s", name);
            break;
        }
        us_tok(u, t);
    }
}

static void checkgroupname(pr_ctx *c, ustr *name, size_t offset)
{
    char *s = us_utf8(name);
    if (!na_ut_isidentifier(s, strlen(s)))
        FAIL(c, name->n + offset, "bad character in group name %s", us_repr(name));
}

/* ---- tree helpers ------------------------------------------------------------------------ */

static pr_node *node(pr_ctx *c, pr_kind k)
{
    pr_node *n = na_pr_alloc(c, sizeof *n);
    n->k = k;
    return n;
}

static pr_seq *seq(pr_ctx *c) { return na_pr_alloc(c, sizeof(pr_seq)); }

static void seq_push(pr_ctx *c, pr_seq *s, pr_node *n)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        pr_node **v = na_pr_alloc(c, cap * sizeof *v);
        if (s->n)
            memcpy(v, s->v, s->n * sizeof *v);
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = n;
}

static pr_node *lit(pr_ctx *c, uint32_t ch)
{
    pr_node *n = node(c, N_LIT);
    n->c = ch;
    return n;
}

static pr_node *in_cat(pr_ctx *c, int cat)
{
    pr_node *n = node(c, N_IN);
    n->set = na_pr_alloc(c, sizeof *n->set);
    n->set[0].kind = SI_CAT;
    n->set[0].a = (uint32_t)cat;
    n->nset = 1;
    return n;
}

static pr_node *at(pr_ctx *c, int what)
{
    pr_node *n = node(c, N_AT);
    n->c = (uint32_t)what;
    return n;
}

/* ---- groups (State) ---------------------------------------------------------------------- */

static uint32_t opengroup(pr_ctx *c, ustr *name, size_t name_off)
{
    uint32_t gid = c->groups;
    if (gid + 1 > PY_MAXGROUPS)
        FAIL(c, name_off, "too many groups");
    if (c->groups + 1 > c->gcap) {
        size_t cap = c->gcap ? c->gcap * 2 : 16;
        bool *g = realloc(c->gclosed, cap * sizeof *g);
        if (g)
            c->gclosed = g;
        pr_seq **w = g ? realloc(c->gcontent, cap * sizeof *w) : NULL;
        if (!g || !w)
            na_pr_fail(c, NA_PYRE_NOMEM, false, 0, "out of memory");
        c->gcontent = w;
        c->gcap = cap;
    }
    c->gclosed[gid] = false;
    c->gcontent[gid] = NULL;
    c->groups++;
    if (name) {
        char *s = us_utf8(name);
        for (size_t i = 0; i < c->nnames; i++)
            if (!strcmp(c->names[i].name, s))
                FAIL(c, name_off, "redefinition of group name %s as group %u; was group %u",
                     us_repr(name), gid, c->names[i].group);
        if (c->nnames == c->names_cap) {
            size_t cap = c->names_cap ? c->names_cap * 2 : 8;
            pr_name *nn = realloc(c->names, cap * sizeof *nn);
            if (!nn)
                na_pr_fail(c, NA_PYRE_NOMEM, false, 0, "out of memory");
            c->names = nn;
            c->names_cap = cap;
        }
        c->names[c->nnames].name = s;
        c->names[c->nnames].group = gid;
        c->nnames++;
    }
    return gid;
}

static bool checkgroup(const pr_ctx *c, uint32_t gid) { return gid < c->groups && c->gclosed[gid]; }

static void checklookbehindgroup(pr_ctx *c, uint32_t gid)
{
    if (c->lookbehindgroups >= 0) {
        if (!checkgroup(c, gid))
            FAIL(c, 0, "cannot refer to an open group");
        if ((long)gid >= c->lookbehindgroups)
            FAIL(c, 0, "cannot refer to group defined in the same lookbehind subpattern");
    }
}

static long find_name(const pr_ctx *c, const char *s)
{
    for (size_t i = 0; i < c->nnames; i++)
        if (!strcmp(c->names[i].name, s))
            return c->names[i].group;
    return -1;
}

/* int(s) for a group number: Python's int() of a str (whitespace around, a sign, decimal
 * digits of any script, single underscores between digits). -1 when int() raises ValueError
 * (or the number is negative); values above PY_MAXGROUPS saturate. */
static long py_int(const uint32_t *v, size_t n)
{
    size_t i = 0, e = n;
    while (i < e && na_ut_isspace(v[i]))
        i++;
    while (e > i && na_ut_isspace(v[e - 1]))
        e--;
    bool neg = false;
    if (i < e && (v[i] == '+' || v[i] == '-'))
        neg = v[i++] == '-';
    if (i == e)
        return -1;
    unsigned long long val = 0;
    bool prev_digit = false;
    for (; i < e; i++) {
        int d;
        if (v[i] == '_') {
            if (!prev_digit || i + 1 == e)
                return -1;
            prev_digit = false;
            continue;
        }
        if (!na_ut_decimal(v[i], &d))
            return -1;
        prev_digit = true;
        if (val <= (unsigned long long)PY_MAXGROUPS * 10)
            val = val * 10 + (unsigned)d;
    }
    if (neg && val)
        return -1;
    return val > (unsigned long long)PY_MAXGROUPS * 2 ? (long)PY_MAXGROUPS * 2 : (long)val;
}

/* ---- escapes ----------------------------------------------------------------------------- */

static bool is_ascii_letter(uint32_t ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}
static unsigned long long num(const uint32_t *v, size_t n, int base)
{
    unsigned long long x = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t ch = v[i];
        unsigned d = ch <= '9' ? ch - '0' : (ch | 0x20) - 'a' + 10;
        x = x * (unsigned)base + d;
    }
    return x;
}

/* The escape as text for messages: "\x4" etc. */
static char *esc_str(ustr *u) { return us_utf8(u); }

/* \x \u \U \N shared by both escape kinds; returns true and *out when handled. */
static bool escape_common(pr_ctx *c, ustr *esc, uint32_t ch, uint32_t *out)
{
    if (ch == 'x' || ch == 'u' || ch == 'U') {
        int want = ch == 'x' ? 2 : ch == 'u' ? 4 : 8;
        getwhile(c, esc, want, "0123456789abcdefABCDEF");
        if (esc->n != (size_t)want + 2)
            FAIL(c, esc->n, "incomplete escape %s", esc_str(esc));
        unsigned long long v = num(us_data(esc) + 2, (size_t)want, 16);
        if (v > 0x10FFFF) /* chr() raises ValueError: "bad escape" below */
            FAIL(c, esc->n, "bad escape %s", esc_str(esc));
        *out = (uint32_t)v;
        return true;
    }
    if (ch == 'N') {
        if (!tmatch(c, '{'))
            FAIL(c, 0, "missing {");
        ustr name;
        getuntil(c, &name, '}', "character name");
        na_pr_fail(c, NA_PYRE_UNSUPPORTED, true, ttell(c) - name.n - 4,
                "\\N{%s}: named Unicode characters are not supported (write the character or "
                "\\uXXXX)", us_utf8(&name));
    }
    return false;
}

/* _class_escape: a literal code point (SI_LIT) or a category (SI_CAT). */
static pr_item class_escape(pr_ctx *c, tok t)
{
    pr_item it = {SI_LIT, 0, 0};
    uint32_t ch = t.b;
    switch (ch) {
    case 'a': it.a = 7; return it;
    case 'b': it.a = 8; return it;
    case 'f': it.a = 12; return it;
    case 'n': it.a = 10; return it;
    case 'r': it.a = 13; return it;
    case 't': it.a = 9; return it;
    case 'v': it.a = 11; return it;
    case '\\': it.a = '\\'; return it;
    case 'd': case 'D': case 's': case 'S': case 'w': case 'W':
        it.kind = SI_CAT;
        it.a = ch == 'd' ? CAT_DIGIT : ch == 'D' ? CAT_NOT_DIGIT : ch == 's' ? CAT_SPACE
             : ch == 'S' ? CAT_NOT_SPACE : ch == 'w' ? CAT_WORD : CAT_NOT_WORD;
        return it;
    default: break;
    }
    ustr esc;
    us_init(&esc, c);
    us_tok(&esc, t);
    uint32_t v;
    if (escape_common(c, &esc, ch, &v)) {
        it.a = v;
        return it;
    }
    if (ch >= '0' && ch <= '7') {
        getwhile(c, &esc, 2, "01234567");
        unsigned long long o = num(us_data(&esc) + 1, esc.n - 1, 8);
        if (o > 0377)
            FAIL(c, esc.n, "octal escape value %s outside of range 0-0o377", esc_str(&esc));
        it.a = (uint32_t)o;
        return it;
    }
    if (ch == '8' || ch == '9' || is_ascii_letter(ch))
        FAIL(c, esc.n, "bad escape %s", esc_str(&esc));
    it.a = ch;
    return it;
}

/* _escape: a node (literal, category set, anchor or back reference). */
static pr_node *escape(pr_ctx *c, tok t)
{
    uint32_t ch = t.b;
    switch (ch) {
    case 'A': return at(c, AT_BEG_STR);
    case 'b': return at(c, AT_BOUND);
    case 'B': return at(c, AT_NBOUND);
    case 'Z': return at(c, AT_END_STR);
    case 'd': return in_cat(c, CAT_DIGIT);
    case 'D': return in_cat(c, CAT_NOT_DIGIT);
    case 's': return in_cat(c, CAT_SPACE);
    case 'S': return in_cat(c, CAT_NOT_SPACE);
    case 'w': return in_cat(c, CAT_WORD);
    case 'W': return in_cat(c, CAT_NOT_WORD);
    case 'a': return lit(c, 7);
    case 'f': return lit(c, 12);
    case 'n': return lit(c, 10);
    case 'r': return lit(c, 13);
    case 't': return lit(c, 9);
    case 'v': return lit(c, 11);
    case '\\': return lit(c, '\\');
    default: break;
    }
    ustr esc;
    us_init(&esc, c);
    us_tok(&esc, t);
    uint32_t v;
    if (escape_common(c, &esc, ch, &v))
        return lit(c, v);
    if (ch == '0') {
        getwhile(c, &esc, 2, "01234567");
        return lit(c, (uint32_t)num(us_data(&esc) + 1, esc.n - 1, 8));
    }
    if (ch >= '1' && ch <= '9') {
        if (nin(c, "0123456789")) {
            us_tok(&esc, tget(c));
            uint32_t *e = us_data(&esc);
            if (e[1] <= '7' && e[2] <= '7' && nin(c, "01234567")) {
                us_tok(&esc, tget(c));
                e = us_data(&esc);
                unsigned long long o = num(e + 1, 3, 8);
                if (o > 0377)
                    FAIL(c, esc.n, "octal escape value %s outside of range 0-0o377",
                         esc_str(&esc));
                return lit(c, (uint32_t)o);
            }
        }
        uint32_t group = (uint32_t)num(us_data(&esc) + 1, esc.n - 1, 10);
        if (group < c->groups) {
            if (!checkgroup(c, group))
                FAIL(c, esc.n, "cannot refer to an open group");
            checklookbehindgroup(c, group);
            pr_node *n = node(c, N_GREF);
            n->c = group;
            return n;
        }
        FAIL(c, esc.n - 1, "invalid group reference %u", group);
    }
    if (is_ascii_letter(ch))
        FAIL(c, esc.n, "bad escape %s", esc_str(&esc));
    return lit(c, ch);
}

/* ---- the parser ---------------------------------------------------------------------------- */

static pr_seq *parse_sub(pr_ctx *c, bool verbose, int nested);

static unsigned flag_of(uint32_t ch)
{
    switch (ch) {
    case 'i': return PF_IGNORECASE;
    case 'L': return PF_LOCALE;
    case 'm': return PF_MULTILINE;
    case 's': return PF_DOTALL;
    case 'x': return PF_VERBOSE;
    case 'a': return PF_ASCII;
    case 't': return PF_TEMPLATE;
    case 'u': return PF_UNICODE;
    default: return 0;
    }
}
static unsigned tok_flag(tok t) { return t.len == 1 ? flag_of(t.a) : 0; }
static bool tok_alpha(tok t) { return t.len == 1 && na_ut_isalpha(t.a); }

/* _parse_flags: false for global flags (added to c->flags), true with add and del for scoped
 * ones. */
static bool parse_flags(pr_ctx *c, tok ch, unsigned *add, unsigned *del)
{
    *add = *del = 0;
    if (!tis(ch, '-')) {
        for (;;) {
            unsigned flag = tok_flag(ch);
            if (tis(ch, 'L'))
                FAIL(c, 0, "bad inline flags: cannot use 'L' flag with a str pattern");
            *add |= flag;
            if ((flag & PF_TYPE) && (*add & PF_TYPE) != flag)
                FAIL(c, 0, "bad inline flags: flags 'a', 'u' and 'L' are incompatible");
            ch = tget(c);
            if (ch.len == 0)
                FAIL(c, 0, "missing -, : or )");
            if (tis(ch, ')') || tis(ch, '-') || tis(ch, ':'))
                break;
            if (!tok_flag(ch))
                FAIL(c, ch.len, "%s", tok_alpha(ch) ? "unknown flag" : "missing -, : or )");
        }
    }
    if (tis(ch, ')')) {
        c->flags |= *add;
        return false;
    }
    if (*add & PF_GLOBAL)
        FAIL(c, 1, "bad inline flags: cannot turn on global flag");
    if (tis(ch, '-')) {
        ch = tget(c);
        if (ch.len == 0)
            FAIL(c, 0, "missing flag");
        if (!tok_flag(ch))
            FAIL(c, ch.len, "%s", tok_alpha(ch) ? "unknown flag" : "missing flag");
        for (;;) {
            unsigned flag = tok_flag(ch);
            if (flag & PF_TYPE)
                FAIL(c, 0, "bad inline flags: cannot turn off flags 'a', 'u' and 'L'");
            *del |= flag;
            ch = tget(c);
            if (ch.len == 0)
                FAIL(c, 0, "missing :");
            if (tis(ch, ':'))
                break;
            if (!tok_flag(ch))
                FAIL(c, ch.len, "%s", tok_alpha(ch) ? "unknown flag" : "missing :");
        }
    }
    if (*del & PF_GLOBAL)
        FAIL(c, 1, "bad inline flags: cannot turn off global flag");
    if (*add & *del)
        FAIL(c, 1, "bad inline flags: flag turned on and off");
    return true;
}

static bool item_eq(const pr_item *a, const pr_item *b)
{
    return a->kind == b->kind && a->a == b->a && a->b == b->b;
}

static void parse_set(pr_ctx *c, pr_seq *sub)
{
    size_t here = ttell(c) - 1;
    size_t n = 0, cap = 8;
    pr_item *set = na_pr_alloc(c, cap * sizeof *set);
#define SET_ADD(it)                                                  \
    do {                                                             \
        if (n == cap) {                                              \
            pr_item *bigger = na_pr_alloc(c, cap * 2 * sizeof *bigger); \
            memcpy(bigger, set, n * sizeof *set);                    \
            set = bigger;                                            \
            cap *= 2;                                                \
        }                                                            \
        set[n++] = (it);                                             \
    } while (0)
    bool negate = tmatch(c, '^');
    for (;;) {
        tok t = tget(c);
        if (t.len == 0)
            FAIL(c, ttell(c) - here, "unterminated character set");
        if (tis(t, ']') && n)
            break;
        pr_item code1;
        if (t.len == 2)
            code1 = class_escape(c, t);
        else
            code1 = (pr_item){SI_LIT, t.a, 0};
        if (tmatch(c, '-')) {
            tok that = tget(c);
            if (that.len == 0)
                FAIL(c, ttell(c) - here, "unterminated character set");
            if (tis(that, ']')) {
                SET_ADD(code1);
                SET_ADD(((pr_item){SI_LIT, '-', 0}));
                break;
            }
            pr_item code2;
            if (that.len == 2)
                code2 = class_escape(c, that);
            else
                code2 = (pr_item){SI_LIT, that.a, 0};
            if (code1.kind != SI_LIT || code2.kind != SI_LIT || code2.a < code1.a)
                FAIL(c, (size_t)(t.len + 1 + that.len), "bad character range %s-%s",
                     tok_utf8(c, t), tok_utf8(c, that));
            SET_ADD(((pr_item){SI_RANGE, code1.a, code2.a}));
        } else {
            SET_ADD(code1);
        }
    }
#undef SET_ADD
    size_t u = 0; /* _uniq: first occurrences, in order */
    for (size_t i = 0; i < n; i++) {
        bool dup = false;
        for (size_t j = 0; j < u && !dup; j++)
            dup = item_eq(&set[j], &set[i]);
        if (!dup)
            set[u++] = set[i];
    }
    pr_node *nd;
    if (u == 1 && set[0].kind == SI_LIT) {
        nd = node(c, negate ? N_NLIT : N_LIT);
        nd->c = set[0].a;
    } else {
        nd = node(c, N_IN);
        nd->set = set;
        nd->nset = u;
        nd->neg = negate;
    }
    seq_push(c, sub, nd);
}

/* Returns false when the `{` was a literal (already appended). */
static bool parse_repeat(pr_ctx *c, pr_seq *sub, tok t)
{
    size_t here = ttell(c);
    uint32_t min = 0, max = PY_MAXREPEAT;
    if (tis(t, '?')) {
        max = 1;
    } else if (tis(t, '+')) {
        min = 1;
    } else if (tis(t, '{')) {
        if (nis(c, '}')) {
            seq_push(c, sub, lit(c, '{'));
            return false;
        }
        ustr lo, hi;
        us_init(&lo, c);
        us_init(&hi, c);
        while (nin(c, "0123456789"))
            us_tok(&lo, tget(c));
        if (tmatch(c, ',')) {
            while (nin(c, "0123456789"))
                us_tok(&hi, tget(c));
        } else {
            hi = lo;
            hi.c = c;
        }
        if (!tmatch(c, '}')) {
            seq_push(c, sub, lit(c, '{'));
            tseek(c, here);
            return false;
        }
        if (lo.n) {
            unsigned long long v = lo.n > 12 ? ~0ull : num(us_data(&lo), lo.n, 10);
            if (v >= PY_MAXREPEAT)
                na_pr_fail(c, NA_PYRE_PYERROR, true, here, "the repetition number is too large");
            min = (uint32_t)v;
        }
        if (hi.n) {
            unsigned long long v = hi.n > 12 ? ~0ull : num(us_data(&hi), hi.n, 10);
            if (v >= PY_MAXREPEAT)
                na_pr_fail(c, NA_PYRE_PYERROR, true, here, "the repetition number is too large");
            max = (uint32_t)v;
            if (max < min)
                FAIL(c, ttell(c) - here, "min repeat greater than max repeat");
        }
    }
    pr_node *item = sub->n ? sub->v[sub->n - 1] : NULL;
    if (!item || item->k == N_AT)
        FAIL(c, ttell(c) - here + (size_t)t.len, "nothing to repeat");
    if (item->k == N_REPEAT)
        FAIL(c, ttell(c) - here + (size_t)t.len, "multiple repeat");
    pr_seq *body;
    if (item->k == N_SUB && !item->group && !item->add && !item->del) {
        body = item->p;
    } else {
        body = seq(c);
        seq_push(c, body, item);
    }
    pr_node *r = node(c, N_REPEAT);
    r->min = min;
    r->max = max;
    r->p = body;
    if (tmatch(c, '?'))
        r->mode = REP_LAZY;
    else if (tmatch(c, '+'))
        r->mode = REP_POSS;
    else
        r->mode = REP_GREEDY;
    sub->v[sub->n - 1] = r;
    return true;
}

static pr_seq *parse_seq(pr_ctx *c, bool verbose, int nested, bool first);

/* The conditional (?(name)yes|no); `start` is where the group began. */
static void parse_cond(pr_ctx *c, pr_seq *sub, bool verbose, int nested, size_t start)
{
    ustr name;
    getuntil(c, &name, ')', "group name");
    char *s = us_utf8(&name);
    long group;
    if (na_ut_isidentifier(s, strlen(s))) {
        group = find_name(c, s);
        if (group < 0)
            FAIL(c, name.n + 1, "unknown group name %s", us_repr(&name));
    } else {
        group = py_int(us_data(&name), name.n);
        if (group < 0)
            FAIL(c, name.n + 1, "bad character in group name %s", us_repr(&name));
        if (group == 0)
            FAIL(c, name.n + 1, "bad group number");
        if (group >= (long)PY_MAXGROUPS)
            FAIL(c, name.n + 1, "invalid group reference %ld", group);
        bool seen = false;
        for (size_t i = 0; i < c->ncond && !seen; i++)
            seen = c->condrefs[i] == (uint32_t)group;
        if (!seen) {
            if (c->ncond == c->cond_cap) {
                size_t cap = c->cond_cap ? c->cond_cap * 2 : 4;
                uint32_t *r = realloc(c->condrefs, cap * sizeof *r);
                if (r)
                    c->condrefs = r;
                size_t *p = r ? realloc(c->condpos, cap * sizeof *p) : NULL;
                if (!r || !p)
                    na_pr_fail(c, NA_PYRE_NOMEM, false, 0, "out of memory");
                c->condpos = p;
                c->cond_cap = cap;
            }
            c->condrefs[c->ncond] = (uint32_t)group;
            c->condpos[c->ncond++] = ttell(c) - name.n - 1;
        }
    }
    checklookbehindgroup(c, (uint32_t)group);
    pr_seq *yes = parse_seq(c, verbose, nested + 1, false), *no = NULL;
    if (tmatch(c, '|')) {
        no = parse_seq(c, verbose, nested + 1, false);
        if (nis(c, '|'))
            FAIL(c, 0, "conditional backref with more than two branches");
    }
    if (!tmatch(c, ')'))
        FAIL(c, ttell(c) - start, "missing ), unterminated subpattern");
    pr_node *nd = node(c, N_GREF_EXISTS);
    nd->c = (uint32_t)group;
    nd->p = yes;
    nd->no = no;
    seq_push(c, sub, nd);
}

/* A group: "(" already read. Returns false when nothing was appended (comment, global
 * flags). */
static void parse_group(pr_ctx *c, pr_seq *sub, bool *verbose, int nested, bool first)
{
    size_t start = ttell(c) - 1;
    bool capture = true, atomic = false;
    ustr name;
    bool named = false;
    unsigned add = 0, del = 0;
    if (tmatch(c, '?')) {
        tok ch = tget(c);
        if (ch.len == 0)
            FAIL(c, 0, "unexpected end of pattern");
        if (tis(ch, 'P')) {
            if (tmatch(c, '<')) {
                getuntil(c, &name, '>', "group name");
                checkgroupname(c, &name, 1);
                named = true;
            } else if (tmatch(c, '=')) {
                getuntil(c, &name, ')', "group name");
                checkgroupname(c, &name, 1);
                long gid = find_name(c, us_utf8(&name));
                if (gid < 0)
                    FAIL(c, name.n + 1, "unknown group name %s", us_repr(&name));
                if (!checkgroup(c, (uint32_t)gid))
                    FAIL(c, name.n + 1, "cannot refer to an open group");
                checklookbehindgroup(c, (uint32_t)gid);
                pr_node *nd = node(c, N_GREF);
                nd->c = (uint32_t)gid;
                seq_push(c, sub, nd);
                return;
            } else {
                tok x = tget(c);
                if (x.len == 0)
                    FAIL(c, 0, "unexpected end of pattern");
                FAIL(c, (size_t)x.len + 2, "unknown extension ?P%s", tok_utf8(c, x));
            }
        } else if (tis(ch, ':')) {
            capture = false;
        } else if (tis(ch, '#')) {
            for (;;) {
                if (c->nxlen == 0)
                    FAIL(c, ttell(c) - start, "missing ), unterminated comment");
                if (tis(tget(c), ')'))
                    break;
            }
            return;
        } else if (tis(ch, '=') || tis(ch, '!') || tis(ch, '<')) {
            int dir = 1;
            long saved = -2;
            if (tis(ch, '<')) {
                ch = tget(c);
                if (ch.len == 0)
                    FAIL(c, 0, "unexpected end of pattern");
                if (!tis(ch, '=') && !tis(ch, '!'))
                    FAIL(c, (size_t)ch.len + 2, "unknown extension ?<%s", tok_utf8(c, ch));
                dir = -1;
                saved = c->lookbehindgroups;
                if (saved < 0)
                    c->lookbehindgroups = (long)c->groups;
            }
            pr_seq *p = parse_sub(c, *verbose, nested + 1);
            if (dir < 0 && saved < 0)
                c->lookbehindgroups = -1;
            if (!tmatch(c, ')'))
                FAIL(c, ttell(c) - start, "missing ), unterminated subpattern");
            pr_node *nd = node(c, tis(ch, '=') ? N_ASSERT : N_ASSERT_NOT);
            nd->dir = dir;
            nd->p = p;
            seq_push(c, sub, nd);
            return;
        } else if (tis(ch, '(')) {
            parse_cond(c, sub, *verbose, nested, start);
            return;
        } else if (tis(ch, '>')) {
            capture = false;
            atomic = true;
        } else if (tok_flag(ch) || tis(ch, '-')) {
            if (!parse_flags(c, ch, &add, &del)) {
                if (!first || sub->n)
                    FAIL(c, ttell(c) - start, "global flags not at the start of the expression");
                *verbose = c->flags & PF_VERBOSE;
                return;
            }
            capture = false;
        } else {
            FAIL(c, (size_t)ch.len + 1, "unknown extension ?%s", tok_utf8(c, ch));
        }
    }
    uint32_t group = 0;
    if (capture)
        group = opengroup(c, named ? &name : NULL, named ? name.n + 1 : 0);
    bool sub_verbose = (*verbose || (add & PF_VERBOSE)) && !(del & PF_VERBOSE);
    pr_seq *p = parse_sub(c, sub_verbose, nested + 1);
    if (!tmatch(c, ')'))
        FAIL(c, ttell(c) - start, "missing ), unterminated subpattern");
    if (capture) {
        c->gclosed[group] = true;
        c->gcontent[group] = p;
    }
    pr_node *nd = node(c, atomic ? N_ATOMIC : N_SUB);
    nd->group = group;
    nd->add = add;
    nd->del = del;
    nd->p = p;
    seq_push(c, sub, nd);
}

/* _parse: one alternative. */
static pr_seq *parse_seq(pr_ctx *c, bool verbose, int nested, bool first)
{
    pr_seq *sub = seq(c);
    for (;;) {
        if (c->nxlen == 0 || nis(c, '|') || nis(c, ')'))
            break;
        tok t = tget(c);
        if (verbose) {
            if (t.len == 1 && (t.a == ' ' || (t.a >= 9 && t.a <= 13)))
                continue;
            if (tis(t, '#')) {
                for (;;) {
                    tok x = tget(c);
                    if (x.len == 0 || tis(x, '\n'))
                        break;
                }
                continue;
            }
        }
        if (t.len == 2) {
            seq_push(c, sub, escape(c, t));
        } else if (t.a >= 0x80 || !strchr(".\\[{()*+?^$|", (int)t.a) || !t.a) {
            seq_push(c, sub, lit(c, t.a));
        } else if (t.a == '[') {
            parse_set(c, sub);
        } else if (t.a == '*' || t.a == '+' || t.a == '?' || t.a == '{') {
            parse_repeat(c, sub, t);
        } else if (t.a == '.') {
            seq_push(c, sub, node(c, N_ANY));
        } else if (t.a == '(') {
            parse_group(c, sub, &verbose, nested, first);
        } else if (t.a == '^') {
            seq_push(c, sub, at(c, AT_BEG));
        } else if (t.a == '$') {
            seq_push(c, sub, at(c, AT_END));
        }
    }
    return sub;
}

/* _parse_sub: alternatives. */
static pr_seq *parse_sub(pr_ctx *c, bool verbose, int nested)
{
    if (++c->depth > NA_PYRE_MAX_DEPTH)
        na_pr_fail(c, NA_PYRE_DEPTH, true, ttell(c),
                "the pattern is nested more than %d levels deep", NA_PYRE_MAX_DEPTH);
    size_t cap = 4, n = 0;
    pr_seq **items = na_pr_alloc(c, cap * sizeof *items);
    for (;;) {
        if (n == cap) {
            pr_seq **b = na_pr_alloc(c, cap * 2 * sizeof *b);
            memcpy(b, items, n * sizeof *b);
            items = b;
            cap *= 2;
        }
        items[n] = parse_seq(c, verbose, nested + 1, !nested && !n);
        n++;
        if (!tmatch(c, '|'))
            break;
        if (!nested)
            verbose = c->flags & PF_VERBOSE;
    }
    c->depth--;
    if (n == 1)
        return items[0];
    pr_seq *s = seq(c);
    pr_node *b = node(c, N_BRANCH);
    b->alts = items;
    b->nalts = n;
    seq_push(c, s, b);
    return s;
}

pr_seq *na_pr_parse(pr_ctx *c, unsigned flags)
{
    c->index = 0;
    c->flags = flags;
    c->groups = 0;
    c->lookbehindgroups = -1;
    opengroup(c, NULL, 0); /* group 0 */
    c->gclosed[0] = false;
    tnext(c);
    pr_seq *p = parse_sub(c, flags & PF_VERBOSE, 0);
    if (!(c->flags & PF_ASCII))
        c->flags |= PF_UNICODE;
    else if (c->flags & PF_UNICODE)
        na_pr_fail(c, NA_PYRE_PYERROR, false, 0, "ASCII and UNICODE flags are incompatible");
    if (c->nxlen)
        FAIL(c, 0, "unbalanced parenthesis");
    for (size_t i = 0; i < c->ncond; i++)
        if (c->condrefs[i] >= c->groups)
            na_pr_fail(c, NA_PYRE_SYNTAX, true, c->condpos[i], "invalid group reference %u",
                    c->condrefs[i]);
    return p;
}

/* ---- getwidth ------------------------------------------------------------------------------ */

#define WCAP ((uint64_t)1 << 62)
static uint64_t sat_add(uint64_t a, uint64_t b) { return a + b > WCAP ? WCAP : a + b; }
static uint64_t sat_mul(uint64_t a, uint64_t b)
{
    if (a == 0 || b == 0)
        return 0;
    return a > WCAP / b ? WCAP : a * b;
}

void na_pr_width(pr_ctx *c, pr_seq *s, uint64_t *plo, uint64_t *phi)
{
    if (s->wdone) {
        *plo = s->lo;
        *phi = s->hi;
        return;
    }
    uint64_t lo = 0, hi = 0, i, j, l, h;
    for (size_t k = 0; k < s->n; k++) {
        pr_node *n = s->v[k];
        switch (n->k) {
        case N_BRANCH:
            i = PY_MAXREPEAT - 1;
            j = 0;
            for (size_t a = 0; a < n->nalts; a++) {
                na_pr_width(c, n->alts[a], &l, &h);
                i = l < i ? l : i;
                j = h > j ? h : j;
            }
            lo = sat_add(lo, i);
            hi = sat_add(hi, j);
            break;
        case N_ATOMIC:
        case N_SUB:
            na_pr_width(c, n->p, &i, &j);
            lo = sat_add(lo, i);
            hi = sat_add(hi, j);
            break;
        case N_REPEAT:
            na_pr_width(c, n->p, &i, &j);
            lo = sat_add(lo, sat_mul(i, n->min));
            hi = sat_add(hi, sat_mul(j, n->max));
            break;
        case N_LIT:
        case N_NLIT:
        case N_ANY:
        case N_IN:
            lo = sat_add(lo, 1);
            hi = sat_add(hi, 1);
            break;
        case N_GREF:
            if (n->c < c->groups && c->gcontent[n->c]) {
                na_pr_width(c, c->gcontent[n->c], &i, &j);
                lo = sat_add(lo, i);
                hi = sat_add(hi, j);
            }
            break;
        case N_GREF_EXISTS:
            na_pr_width(c, n->p, &i, &j);
            if (n->no) {
                na_pr_width(c, n->no, &l, &h);
                i = l < i ? l : i;
                j = h > j ? h : j;
            } else {
                i = 0;
            }
            lo = sat_add(lo, i);
            hi = sat_add(hi, j);
            break;
        default:
            break;
        }
    }
    s->lo = lo < PY_MAXREPEAT - 1 ? lo : PY_MAXREPEAT - 1;
    s->hi = hi < PY_MAXREPEAT ? hi : PY_MAXREPEAT;
    s->wdone = true;
    *plo = s->lo;
    *phi = s->hi;
}
