/* pyre_emit.c — from the parsed Python regex (pyre_int.h) to PCRE2 pattern text, applying the
 * checks Python makes when it compiles (look-behind must be fixed-width, no repeats under the
 * template flag). Every construct is spelled out so that PCRE2 reads it as Python does,
 * whatever PCRE2's own defaults: literals as \x{..}; \d \w \s and their negations as Python's
 * Unicode (or, under (?a), ASCII) sets; \b \B as look-arounds over that word set (\B never
 * matches an empty string, as in Python); ^ $ \A \Z with Python's single-line and multi-line
 * meanings; `.` without or with DOTALL; case-insensitive atoms as (?i:...) (ASCII case pairs
 * spelled out under (?ai)); quantifiers as {m,n}. Not the parser (pyre_parse.c). */
#include "pyre_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct em {
    pr_ctx *c;
    na_buf *o;
} em;

static void put(em *e, const char *s)
{
    if (na_buf_puts(e->o, s, NULL) < 0)
        na_pr_fail(e->c, NA_PYRE_NOMEM, false, 0, "out of memory (pattern too large)");
}

static void putf(em *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(em *e, const char *fmt, ...)
{
    char b[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, sizeof b, fmt, ap);
    va_end(ap);
    put(e, b);
}

static bool is_alnum(uint32_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static bool is_surrogate(uint32_t c) { return c >= 0xD800 && c <= 0xDFFF; }

/* Case-insensitive groups Python has (its re._casefix table) and PCRE2 10.42's Unicode case
 * folding lacks; every other pair of case-equivalent characters is the same in both (checked
 * over all of Unicode). 0-terminated rows. */
static const uint32_t FOLD_EXTRA[][5] = {
    {0x49, 0x69, 0x130, 0x131, 0}, /* I i İ ı */
    {0x390, 0x1FD3, 0},            /* ΐ ΐ */
    {0x3B0, 0x1FE3, 0},            /* ΰ ΰ */
    {0xFB05, 0xFB06, 0},           /* ﬅ ﬆ */
};

static const uint32_t *fold_group(uint32_t c)
{
    for (size_t g = 0; g < sizeof FOLD_EXTRA / sizeof *FOLD_EXTRA; g++)
        for (const uint32_t *m = FOLD_EXTRA[g]; *m; m++)
            if (*m == c)
                return FOLD_EXTRA[g];
    return NULL;
}

static void put_cp(em *e, uint32_t c);

/* Under Unicode case-insensitivity: the members of the group of every character in [a, b]. */
static void put_fold_extra(em *e, uint32_t a, uint32_t b)
{
    for (size_t g = 0; g < sizeof FOLD_EXTRA / sizeof *FOLD_EXTRA; g++) {
        bool hit = false;
        for (const uint32_t *m = FOLD_EXTRA[g]; *m && !hit; m++)
            hit = *m >= a && *m <= b;
        for (const uint32_t *m = FOLD_EXTRA[g]; hit && *m; m++)
            put_cp(e, *m);
    }
}

/* One code point as PCRE2 text (usable inside and outside a class). */
static void put_cp(em *e, uint32_t c)
{
    if (is_alnum(c))
        putf(e, "%c", (char)c);
    else
        putf(e, "\\x{%x}", c);
}

static void put_range(em *e, uint32_t a, uint32_t b)
{
    if (a == b) {
        put_cp(e, a);
    } else {
        put_cp(e, a);
        put(e, "-");
        put_cp(e, b);
    }
}

/* A range without the surrogates (which valid UTF-8 never holds and PCRE2 will not name). */
static void put_range_ns(em *e, uint32_t a, uint32_t b)
{
    if (b < 0xD800 || a > 0xDFFF) {
        put_range(e, a, b);
        return;
    }
    if (a < 0xD800)
        put_range(e, a, 0xD7FF);
    if (b > 0xDFFF)
        put_range(e, 0xE000, b);
}

/* ASCII case partners of the letters in [a, b] (for (?ai) sets). */
static void put_ascii_swaps(em *e, uint32_t a, uint32_t b)
{
    uint32_t lo = a > 'A' ? a : 'A', hi = b < 'Z' ? b : 'Z';
    if (lo <= hi)
        put_range(e, lo + 32, hi + 32);
    lo = a > 'a' ? a : 'a';
    hi = b < 'z' ? b : 'z';
    if (lo <= hi)
        put_range(e, lo - 32, hi - 32);
}

#define UNI_WORD "0-9A-Z_a-z\\p{L}\\p{N}"
#define ASCII_WORD "0-9A-Z_a-z"
/* Python's str.isspace() characters, and their complement (class syntax). */
#define UNI_SPACE                                                                             \
    "\\x{9}-\\x{d}\\x{1c}-\\x{20}\\x{85}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}" \
    "\\x{202f}\\x{205f}\\x{3000}"
#define UNI_NOT_SPACE                                                                          \
    "\\x{0}-\\x{8}\\x{e}-\\x{1b}\\x{21}-\\x{84}\\x{86}-\\x{9f}\\x{a1}-\\x{167f}"                 \
    "\\x{1681}-\\x{1fff}\\x{200b}-\\x{2027}\\x{202a}-\\x{202e}\\x{2030}-\\x{205e}"              \
    "\\x{2060}-\\x{2fff}\\x{3001}-\\x{10ffff}"
#define ASCII_SPACE "\\x{9}-\\x{d}\\x{20}"
#define ASCII_NOT_SPACE "\\x{0}-\\x{8}\\x{e}-\\x{1f}\\x{21}-\\x{10ffff}"
#define ASCII_NOT_DIGIT "\\x{0}-\\x{2f}\\x{3a}-\\x{10ffff}"
#define ASCII_NOT_WORD "\\x{0}-\\x{2f}\\x{3a}-\\x{40}\\x{5b}-\\x{5e}\\x{60}\\x{7b}-\\x{10ffff}"

/* The class-syntax text of a category; false for Unicode \W, which has none. */
static bool put_cat(em *e, uint32_t cat, bool ascii)
{
    switch (cat) {
    case CAT_DIGIT: put(e, ascii ? "0-9" : "0-9\\p{Nd}"); return true;
    case CAT_NOT_DIGIT: put(e, ascii ? ASCII_NOT_DIGIT : "\\P{Nd}"); return true;
    case CAT_SPACE: put(e, ascii ? ASCII_SPACE : UNI_SPACE); return true;
    case CAT_NOT_SPACE: put(e, ascii ? ASCII_NOT_SPACE : UNI_NOT_SPACE); return true;
    case CAT_WORD: put(e, ascii ? ASCII_WORD : UNI_WORD); return true;
    default:
        if (ascii) {
            put(e, ASCII_NOT_WORD);
            return true;
        }
        return false;
    }
}

/* The members of a set in class syntax (without brackets); returns whether Unicode \W was
 * among them, and *any whether anything was written. */
static bool put_members(em *e, const pr_item *set, size_t n, unsigned flags, bool *any)
{
    bool ascii = flags & PF_ASCII, afold = ascii && (flags & PF_IGNORECASE);
    bool ufold = !ascii && (flags & PF_IGNORECASE);
    bool notword = false;
    size_t before = e->o->len;
    for (size_t i = 0; i < n; i++) {
        const pr_item *it = &set[i];
        if (it->kind == SI_LIT) {
            if (is_surrogate(it->a))
                continue;
            put_cp(e, it->a);
            if (afold)
                put_ascii_swaps(e, it->a, it->a);
            if (ufold)
                put_fold_extra(e, it->a, it->a);
        } else if (it->kind == SI_RANGE) {
            if (it->a >= 0xD800 && it->b <= 0xDFFF)
                continue;
            put_range_ns(e, it->a, it->b);
            if (afold)
                put_ascii_swaps(e, it->a, it->b);
            if (ufold)
                put_fold_extra(e, it->a, it->b);
        } else if (!put_cat(e, it->a, ascii)) {
            notword = true;
        }
    }
    *any = e->o->len > before;
    return notword;
}

static bool ufold(unsigned flags) { return (flags & PF_IGNORECASE) && !(flags & PF_ASCII); }

static void emit_in(em *e, const pr_node *n, unsigned flags)
{
    bool fold = ufold(flags);
    if (!fold && !n->neg && n->nset == 1 && n->set[0].kind == SI_CAT &&
        (n->set[0].a == CAT_DIGIT || n->set[0].a == CAT_NOT_DIGIT) && !(flags & PF_ASCII)) {
        put(e, n->set[0].a == CAT_DIGIT ? "[0-9\\p{Nd}]" : "\\P{Nd}");
        return;
    }
    if (fold)
        put(e, "(?i:");
    /* members first into a scratch buffer, to know whether Unicode \W is there */
    na_buf tmp;
    na_buf_init(&tmp, 0);
    na_buf *saved = e->o;
    e->o = &tmp;
    bool any;
    bool notword = put_members(e, n->set, n->nset, flags, &any);
    e->o = saved;
    const char *m = na_buf_cstr(&tmp);
    if (!notword) {
        if (!any)
            put(e, n->neg ? "(?s:.)" : "(?!)");
        else {
            put(e, n->neg ? "[^" : "[");
            put(e, m);
            put(e, "]");
        }
    } else if (!n->neg) { /* members or a non-word character */
        if (any) {
            put(e, "(?:[");
            put(e, m);
            put(e, "]|[^" UNI_WORD "])");
        } else {
            put(e, "[^" UNI_WORD "]");
        }
    } else { /* neither a member nor a non-word character: a word character, not a member */
        if (any) {
            put(e, "(?![");
            put(e, m);
            put(e, "])[" UNI_WORD "]");
        } else {
            put(e, "[" UNI_WORD "]");
        }
    }
    na_buf_free(&tmp);
    if (fold)
        put(e, ")");
}

/* Whether emit_in writes one bracketed class (not a group or two items). */
static bool in_is_class(const pr_node *n, unsigned flags)
{
    bool any = false;
    for (size_t i = 0; i < n->nset; i++) {
        const pr_item *it = &n->set[i];
        if (it->kind == SI_CAT && it->a == CAT_NOT_WORD && !(flags & PF_ASCII))
            return false;
        if ((it->kind == SI_LIT && !is_surrogate(it->a)) ||
            (it->kind == SI_RANGE && !(it->a >= 0xD800 && it->b <= 0xDFFF)) || it->kind == SI_CAT)
            any = true;
    }
    return any;
}

static void emit_lit(em *e, uint32_t c, bool negated, unsigned flags)
{
    if (is_surrogate(c)) {
        put(e, negated ? "(?s:.)" : "(?!)");
        return;
    }
    bool afold = (flags & PF_ASCII) && (flags & PF_IGNORECASE);
    bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (afold && letter) {
        put(e, negated ? "[^" : "[");
        put_cp(e, c);
        put_ascii_swaps(e, c, c);
        put(e, "]");
        return;
    }
    bool fold = ufold(flags);
    if (fold)
        put(e, "(?i:");
    const uint32_t *group = fold ? fold_group(c) : NULL;
    if (negated || group) {
        put(e, negated ? "[^" : "[");
        put_cp(e, c);
        if (group)
            put_fold_extra(e, c, c);
        put(e, "]");
    } else {
        put_cp(e, c);
    }
    if (fold)
        put(e, ")");
}

static void emit_at(em *e, uint32_t what, unsigned flags)
{
    bool multi = flags & PF_MULTILINE;
    const char *w = flags & PF_ASCII ? "[" ASCII_WORD "]" : "[" UNI_WORD "]";
    switch (what) {
    case AT_BEG: put(e, multi ? "(?:\\A|(?<=\\n))" : "\\A"); break;
    case AT_BEG_STR: put(e, "\\A"); break;
    case AT_END: put(e, multi ? "(?=\\n|\\z)" : "\\Z"); break;
    case AT_END_STR: put(e, "\\z"); break;
    case AT_BOUND:
        put(e, "(?:(?<=");
        put(e, w);
        put(e, ")(?!");
        put(e, w);
        put(e, ")|(?<!");
        put(e, w);
        put(e, ")(?=");
        put(e, w);
        put(e, "))");
        break;
    default: /* \B: both sides alike, and never in an empty string */
        put(e, "(?:(?<=");
        put(e, w);
        put(e, ")(?=");
        put(e, w);
        put(e, ")|(?<!");
        put(e, w);
        put(e, ")(?!");
        put(e, w);
        put(e, ")(?:(?<=(?s:.))|(?=(?s:.))))");
        break;
    }
}

#define PCRE2_MAX_REPEAT 65535u

static void emit_seq(em *e, pr_seq *s, unsigned flags);

static unsigned combine(unsigned flags, unsigned add, unsigned del)
{
    if (add & PF_TYPE)
        flags &= ~(unsigned)PF_TYPE;
    return (flags | add) & ~del;
}

static void emit_node(em *e, pr_node *n, unsigned flags)
{
    switch (n->k) {
    case N_LIT: emit_lit(e, n->c, false, flags); break;
    case N_NLIT: emit_lit(e, n->c, true, flags); break;
    case N_ANY: put(e, flags & PF_DOTALL ? "(?s:.)" : "."); break;
    case N_IN: emit_in(e, n, flags); break;
    case N_AT: emit_at(e, n->c, flags); break;
    case N_BRANCH:
        put(e, "(?:");
        for (size_t i = 0; i < n->nalts; i++) {
            if (i)
                put(e, "|");
            emit_seq(e, n->alts[i], flags);
        }
        put(e, ")");
        break;
    case N_SUB:
        put(e, n->group ? "(" : "(?:");
        emit_seq(e, n->p, combine(flags, n->add, n->del));
        put(e, ")");
        break;
    case N_ATOMIC:
        put(e, "(?>");
        emit_seq(e, n->p, flags);
        put(e, ")");
        break;
    case N_REPEAT: {
        if (flags & PF_TEMPLATE)
            na_pr_fail(e->c, NA_PYRE_LOOKBEHIND, false, 0,
                       "internal: unsupported template operator %s",
                       n->mode == REP_LAZY   ? "MIN_REPEAT"
                       : n->mode == REP_POSS ? "POSSESSIVE_REPEAT"
                                             : "MAX_REPEAT");
        bool inf = n->max == PY_MAXREPEAT;
        if (n->min > PCRE2_MAX_REPEAT || (!inf && n->max > PCRE2_MAX_REPEAT))
            na_pr_fail(e->c, NA_PYRE_UNSUPPORTED, false, 0,
                    "a repeat count of %u is above 65535, the most PCRE2 supports",
                    n->min > PCRE2_MAX_REPEAT ? n->min : n->max);
        /* a single-character item stays bare, so that PCRE2 repeats it with one opcode
         * (a group would be copied min..max times: [0-9]{1,1500} would not even compile) */
        pr_node *one = n->p->n == 1 ? n->p->v[0] : NULL;
        bool bare = one && (one->k == N_LIT || one->k == N_NLIT || one->k == N_ANY ||
                            (one->k == N_IN && in_is_class(one, flags))) &&
                    !ufold(flags) && !(one->k == N_LIT && is_surrogate(one->c));
        if (bare) {
            emit_node(e, one, flags);
        } else {
            put(e, "(?:");
            emit_seq(e, n->p, flags);
            put(e, ")");
        }
        if (n->min == 0 && inf)
            put(e, "*");
        else if (n->min == 1 && inf)
            put(e, "+");
        else if (n->min == 0 && n->max == 1)
            put(e, "?");
        else if (inf)
            putf(e, "{%u,}", n->min);
        else if (n->min == n->max)
            putf(e, "{%u}", n->min);
        else
            putf(e, "{%u,%u}", n->min, n->max);
        if (n->mode == REP_LAZY)
            put(e, "?");
        else if (n->mode == REP_POSS)
            put(e, "+");
        break;
    }
    case N_GREF:
        put(e, flags & PF_IGNORECASE ? "(?i:" : "(?:");
        putf(e, "\\g{%u})", n->c);
        break;
    case N_GREF_EXISTS:
        putf(e, "(?(%u)", n->c);
        emit_seq(e, n->p, flags);
        if (n->no) {
            put(e, "|");
            emit_seq(e, n->no, flags);
        }
        put(e, ")");
        break;
    case N_ASSERT:
    case N_ASSERT_NOT:
        if (n->dir < 0) {
            uint64_t lo, hi;
            na_pr_width(e->c, n->p, &lo, &hi);
            if (lo != hi)
                na_pr_fail(e->c, NA_PYRE_LOOKBEHIND, false, 0,
                        "look-behind requires fixed-width pattern");
            put(e, n->k == N_ASSERT ? "(?<=" : "(?<!");
        } else {
            put(e, n->k == N_ASSERT ? "(?=" : "(?!");
        }
        emit_seq(e, n->p, flags);
        put(e, ")");
        break;
    }
}

static void emit_seq(em *e, pr_seq *s, unsigned flags)
{
    for (size_t i = 0; i < s->n; i++)
        emit_node(e, s->v[i], flags);
}

void na_pr_emit(pr_ctx *c, pr_seq *top, na_buf *out)
{
    em e = {c, out};
    emit_seq(&e, top, c->flags);
}
