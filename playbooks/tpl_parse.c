/* tpl_parse.c — template compiler: splits text into literal and `{{ expression }}` segments and
 * parses expressions (recursive descent, bounded depth and size) into a node array. Not an
 * evaluator: see tpl_eval.c. */
#include "tpl_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    TK_EOF, TK_END, TK_IDENT, TK_STR, TK_INT, TK_REAL, TK_DOT, TK_LBRACK, TK_RBRACK, TK_LPAREN,
    TK_RPAREN, TK_COMMA, TK_PIPE, TK_EQ, TK_NE, TK_LT, TK_LE, TK_GT, TK_GE, TK_MINUS, TK_TILDE,
    TK_ASSIGN, TK_BAD
};

typedef struct parser {
    na_tpl *t;
    const char *s;  /* whole template source */
    size_t pos;     /* lexer position */
    size_t end;     /* end of the source */
    bool braces;    /* expression ends at "}}" */
    size_t seg_start, seg_end_hint; /* for messages */
    int depth;
    na_err *err;
    /* current token */
    int tk;
    size_t tstart, tlen;
    char *sval;     /* TK_STR / TK_IDENT text (owned until taken) */
    long long ival;
    double rval;
} parser;

static int perr(parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int perr(parser *p, const char *fmt, ...)
{
    char what[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    /* show the expression being parsed, cut to a readable length */
    size_t a = p->seg_start, b = p->end;
    const char *close = p->braces ? strstr(p->s + p->pos, "}}") : NULL;
    if (close)
        b = (size_t)(close - p->s) + 2;
    size_t n = b - a;
    if (n > 80)
        return na_err_set(p->err, NA_E_CONFIG, "template syntax error: %s in '%.77s...'", what,
                          p->s + a);
    return na_err_set(p->err, NA_E_CONFIG, "template syntax error: %s in '%.*s'", what, (int)n,
                      p->s + a);
}

static const char *tk_text(parser *p, char *buf, size_t cap)
{
    if (p->tk == TK_EOF)
        return p->braces ? "end of text (missing '}}')" : "end of expression";
    if (p->tk == TK_END)
        return "'}}'";
    snprintf(buf, cap, "'%.*s'", (int)(p->tlen > 40 ? 40 : p->tlen), p->s + p->tstart);
    return buf;
}

static int lex(parser *p)
{
    free(p->sval);
    p->sval = NULL;
    const char *s = p->s;
    while (p->pos < p->end && isspace((unsigned char)s[p->pos]))
        p->pos++;
    p->tstart = p->pos;
    if (p->pos >= p->end) {
        p->tk = TK_EOF;
        p->tlen = 0;
        return 0;
    }
    char c = s[p->pos];
    char d = p->pos + 1 < p->end ? s[p->pos + 1] : '\0';
    size_t start = p->pos;
    if (p->braces && c == '}' && d == '}') {
        p->pos += 2;
        p->tk = TK_END;
    } else if (isalpha((unsigned char)c) || c == '_') {
        while (p->pos < p->end && (isalnum((unsigned char)s[p->pos]) || s[p->pos] == '_'))
            p->pos++;
        p->tk = TK_IDENT;
        p->sval = strndup(s + start, p->pos - start);
        if (!p->sval)
            return na_err_set(p->err, NA_E_NOMEM, "out of memory");
    } else if (isdigit((unsigned char)c)) {
        while (p->pos < p->end && isdigit((unsigned char)s[p->pos]))
            p->pos++;
        if (p->pos + 1 < p->end && s[p->pos] == '.' && isdigit((unsigned char)s[p->pos + 1]))
            for (p->pos++; p->pos < p->end && isdigit((unsigned char)s[p->pos]);)
                p->pos++;
        if (p->pos < p->end && (s[p->pos] == 'e' || s[p->pos] == 'E')) {
            size_t q = p->pos + 1;
            if (q < p->end && (s[q] == '+' || s[q] == '-'))
                q++;
            if (q < p->end && isdigit((unsigned char)s[q]))
                for (p->pos = q; p->pos < p->end && isdigit((unsigned char)s[p->pos]);)
                    p->pos++;
        }
        while (p->pos < p->end && (isalnum((unsigned char)s[p->pos]) || s[p->pos] == '_'))
            p->pos++; /* "12abc" is reported as a bad number below */
        char num[64];
        size_t n = p->pos - start;
        if (n >= sizeof num)
            return perr(p, "number too long");
        memcpy(num, s + start, n);
        num[n] = '\0';
        char *e;
        errno = 0;
        if (strchr(num, '.') || strchr(num, 'e') || strchr(num, 'E')) {
            p->rval = strtod(num, &e);
            p->tk = TK_REAL;
        } else {
            p->ival = strtoll(num, &e, 10);
            p->tk = TK_INT;
        }
        if (*e || errno)
            return perr(p, "bad number '%s'", num);
    } else if (c == '\'' || c == '"') {
        na_buf b;
        na_buf_init(&b, NA_TPL_MAX_SRC);
        p->pos++;
        for (;;) {
            if (p->pos >= p->end) {
                na_buf_free(&b);
                return perr(p, "unterminated string");
            }
            char ch = s[p->pos++];
            if (ch == c)
                break;
            /* As in Ansible, a backslash is an ordinary character (Ansible doubles them before
             * Jinja reads the string), so '\d+' is the regex \d+ and '\1' a group reference;
             * only \' (or \") before the string's own quote stands for that quote. */
            if (ch == '\\' && p->pos < p->end && s[p->pos] == c)
                ch = s[p->pos++];
            if (na_buf_append(&b, &ch, 1, "string literal", p->err) < 0) {
                na_buf_free(&b);
                return -1;
            }
        }
        p->sval = na_buf_steal(&b);
        if (!p->sval)
            return na_err_set(p->err, NA_E_NOMEM, "out of memory");
        p->tk = TK_STR;
    } else {
        p->pos++;
        switch (c) {
        case '.': p->tk = TK_DOT; break;
        case '[': p->tk = TK_LBRACK; break;
        case ']': p->tk = TK_RBRACK; break;
        case '(': p->tk = TK_LPAREN; break;
        case ')': p->tk = TK_RPAREN; break;
        case ',': p->tk = TK_COMMA; break;
        case '|': p->tk = TK_PIPE; break;
        case '-': p->tk = TK_MINUS; break;
        case '~': p->tk = TK_TILDE; break;
        case '=':
            if (d != '=') { /* name=value in a filter's arguments; an error anywhere else */
                p->tk = TK_ASSIGN;
                break;
            }
            p->pos++;
            p->tk = TK_EQ;
            break;
        case '!':
            if (d != '=')
                return perr(p, "unexpected '!' (use 'not' or '!=')");
            p->pos++;
            p->tk = TK_NE;
            break;
        case '<':
        case '>':
            if (d == '=') {
                p->pos++;
                p->tk = c == '<' ? TK_LE : TK_GE;
            } else {
                p->tk = c == '<' ? TK_LT : TK_GT;
            }
            break;
        default:
            return perr(p, "unexpected character '%c'", c);
        }
    }
    p->tlen = p->pos - start;
    return 0;
}

static bool is_kw(parser *p, const char *kw)
{
    return p->tk == TK_IDENT && strcmp(p->sval, kw) == 0;
}

static int new_node(parser *p, xkind k, size_t off)
{
    na_tpl *t = p->t;
    if (t->nnodes >= NA_TPL_MAX_NODES)
        return perr(p, "expression too large (more than %d parts)", NA_TPL_MAX_NODES);
    if (t->nnodes == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        xnode *n = realloc(t->nodes, cap * sizeof *n);
        if (!n)
            return na_err_set(p->err, NA_E_NOMEM, "out of memory");
        t->nodes = n;
        t->cap = cap;
    }
    xnode *x = &t->nodes[t->nnodes];
    memset(x, 0, sizeof *x);
    x->k = k;
    x->a = x->b = x->next = -1;
    x->off = (unsigned)off;
    return (int)t->nnodes++;
}

static void set_span(parser *p, int idx, size_t off)
{
    p->t->nodes[idx].off = (unsigned)off;
    p->t->nodes[idx].len = (unsigned)(p->tstart > off ? p->tstart - off : 0);
}

static int parse_expr(parser *p);

static int enter(parser *p)
{
    if (++p->depth > NA_TPL_MAX_NEST)
        return perr(p, "expression nested too deeply (more than %d levels)", NA_TPL_MAX_NEST);
    return 0;
}

/* Is the current token a name followed by a single '=' (a filter's name=value argument)? */
static bool at_keyword(parser *p)
{
    if (p->tk != TK_IDENT)
        return false;
    size_t i = p->pos;
    while (i < p->end && isspace((unsigned char)p->s[i]))
        i++;
    return i < p->end && p->s[i] == '=' && (i + 1 >= p->end || p->s[i + 1] != '=');
}

/* Parse "expr, expr, ... CLOSE" and chain the items; returns the first index or -1 (none) via
 * *first. kw: items may be name=value (a filter's arguments). */
static int parse_list(parser *p, int close, int *first, bool kw)
{
    *first = -1;
    int last = -1;
    if (p->tk == close)
        return lex(p);
    for (;;) {
        char *name = NULL;
        if (kw && at_keyword(p)) {
            name = p->sval;
            p->sval = NULL;
            if (lex(p) < 0 || lex(p) < 0) { /* the name, then '=' */
                free(name);
                return -1;
            }
        }
        int e = parse_expr(p);
        if (e < 0) {
            free(name);
            return -1;
        }
        p->t->nodes[e].kw = name;
        if (last < 0)
            *first = e;
        else
            p->t->nodes[last].next = e;
        last = e;
        if (p->tk == TK_COMMA) {
            if (lex(p) < 0)
                return -1;
            continue;
        }
        if (p->tk != close) {
            char b[64];
            return perr(p, "expected '%s' or ',' but found %s", close == TK_RPAREN ? ")" : "]",
                        tk_text(p, b, sizeof b));
        }
        return lex(p);
    }
}

static int parse_primary(parser *p)
{
    char b[64];
    size_t off = p->tstart;
    int idx;
    if (enter(p) < 0)
        return -1;
    if (p->tk == TK_IDENT) {
        const char *w = p->sval;
        json_t *lit = NULL;
        if (!strcmp(w, "true") || !strcmp(w, "True"))
            lit = json_true();
        else if (!strcmp(w, "false") || !strcmp(w, "False"))
            lit = json_false();
        else if (!strcmp(w, "none") || !strcmp(w, "None") || !strcmp(w, "null"))
            lit = json_null();
        else if (!strcmp(w, "and") || !strcmp(w, "or") || !strcmp(w, "in") || !strcmp(w, "is") ||
                 !strcmp(w, "not"))
            return perr(p, "expected a value but found '%s'", w);
        if (lit) {
            if ((idx = new_node(p, X_LIT, off)) < 0)
                return -1;
            p->t->nodes[idx].lit = lit;
        } else {
            if ((idx = new_node(p, X_VAR, off)) < 0)
                return -1;
            p->t->nodes[idx].s = p->sval;
            p->sval = NULL;
        }
        if (lex(p) < 0)
            return -1;
    } else if (p->tk == TK_STR || p->tk == TK_INT || p->tk == TK_REAL || p->tk == TK_MINUS) {
        bool neg = false;
        if (p->tk == TK_MINUS) {
            if (lex(p) < 0)
                return -1;
            if (p->tk != TK_INT && p->tk != TK_REAL)
                return perr(p, "expected a number after '-'");
            neg = true;
        }
        json_t *lit = p->tk == TK_STR   ? json_string(p->sval)
                      : p->tk == TK_INT ? json_integer(neg ? -p->ival : p->ival)
                                        : json_real(neg ? -p->rval : p->rval);
        if (!lit)
            return na_err_set(p->err, NA_E_CONFIG, "template: string literal is not UTF-8");
        if ((idx = new_node(p, X_LIT, off)) < 0) {
            json_decref(lit);
            return -1;
        }
        p->t->nodes[idx].lit = lit;
        if (lex(p) < 0)
            return -1;
    } else if (p->tk == TK_LPAREN) {
        if (lex(p) < 0 || (idx = parse_expr(p)) < 0)
            return -1;
        if (p->tk != TK_RPAREN)
            return perr(p, "expected ')' but found %s", tk_text(p, b, sizeof b));
        if (lex(p) < 0)
            return -1;
    } else if (p->tk == TK_LBRACK) {
        if ((idx = new_node(p, X_LIST, off)) < 0 || lex(p) < 0)
            return -1;
        int first;
        if (parse_list(p, TK_RBRACK, &first, false) < 0)
            return -1;
        p->t->nodes[idx].a = first;
    } else {
        return perr(p, "expected a value but found %s", tk_text(p, b, sizeof b));
    }
    /* postfix: .field and [index] */
    for (;;) {
        if (p->tk == TK_DOT) {
            if (lex(p) < 0)
                return -1;
            if (p->tk != TK_IDENT && p->tk != TK_INT)
                return perr(p, "expected a field name after '.' but found %s",
                            tk_text(p, b, sizeof b));
            int n;
            if (p->tk == TK_INT) { /* x.0 means x[0], as in Jinja */
                int li = new_node(p, X_LIT, p->tstart);
                if (li < 0)
                    return -1;
                p->t->nodes[li].lit = json_integer(p->ival);
                if ((n = new_node(p, X_INDEX, off)) < 0)
                    return -1;
                p->t->nodes[n].b = li;
            } else {
                if ((n = new_node(p, X_ATTR, off)) < 0)
                    return -1;
                p->t->nodes[n].s = p->sval;
                p->sval = NULL;
            }
            p->t->nodes[n].a = idx;
            idx = n;
            if (lex(p) < 0)
                return -1;
        } else if (p->tk == TK_LBRACK) {
            if (lex(p) < 0 || enter(p) < 0)
                return -1;
            int e = parse_expr(p);
            if (e < 0)
                return -1;
            p->depth--;
            if (p->tk != TK_RBRACK)
                return perr(p, "expected ']' but found %s", tk_text(p, b, sizeof b));
            int n = new_node(p, X_INDEX, off);
            if (n < 0 || lex(p) < 0)
                return -1;
            p->t->nodes[n].a = idx;
            p->t->nodes[n].b = e;
            idx = n;
        } else {
            break;
        }
        set_span(p, idx, off);
    }
    set_span(p, idx, off);
    p->depth--;
    return idx;
}

static int parse_filtered(parser *p)
{
    size_t off = p->tstart;
    int idx = parse_primary(p);
    while (idx >= 0 && p->tk == TK_PIPE) {
        char b[64];
        if (lex(p) < 0)
            return -1;
        if (p->tk != TK_IDENT)
            return perr(p, "expected a filter name after '|' but found %s",
                        tk_text(p, b, sizeof b));
        if (!na_tpl_filter_known(p->sval))
            return perr(p, "unknown filter '%s' (filters: %s)", p->sval, TPL_FILTER_NAMES);
        int f = new_node(p, X_FILTER, off);
        if (f < 0)
            return -1;
        p->t->nodes[f].s = p->sval;
        p->sval = NULL;
        p->t->nodes[f].a = idx;
        if (lex(p) < 0)
            return -1;
        if (p->tk == TK_LPAREN) {
            if (enter(p) < 0 || lex(p) < 0)
                return -1;
            int first;
            if (parse_list(p, TK_RPAREN, &first, true) < 0)
                return -1;
            p->depth--;
            p->t->nodes[f].b = first;
        }
        int nargs = 0;
        const char *kws[16];
        for (int i = p->t->nodes[f].b; i >= 0; i = p->t->nodes[i].next) {
            if (nargs == 16)
                return perr(p, "filter '%s': too many arguments", p->t->nodes[f].s);
            kws[nargs++] = p->t->nodes[i].kw;
        }
        char why[120];
        const char *bad = na_tpl_filter_args(p->t->nodes[f].s, kws, nargs, why, sizeof why);
        if (bad)
            return perr(p, "filter '%s' %s", p->t->nodes[f].s, bad);
        set_span(p, f, off);
        idx = f;
    }
    return idx;
}

/* a ~ b ~ c: text concatenation, binding looser than filters and tighter than comparisons */
static int parse_concat(parser *p)
{
    size_t off = p->tstart;
    int a = parse_filtered(p);
    while (a >= 0 && p->tk == TK_TILDE) {
        if (lex(p) < 0)
            return -1;
        int b = parse_filtered(p);
        if (b < 0)
            return -1;
        int n = new_node(p, X_CONCAT, off);
        if (n < 0)
            return -1;
        p->t->nodes[n].a = a;
        p->t->nodes[n].b = b;
        set_span(p, n, off);
        a = n;
    }
    if (a >= 0 && p->tk == TK_ASSIGN)
        return perr(p, "'=' is not an operator (use '==' to compare)");
    return a;
}

static int parse_cmp(parser *p)
{
    size_t off = p->tstart;
    int a = parse_concat(p);
    if (a < 0)
        return -1;
    int op = -1;
    switch (p->tk) {
    case TK_EQ: op = OP_EQ; break;
    case TK_NE: op = OP_NE; break;
    case TK_LT: op = OP_LT; break;
    case TK_LE: op = OP_LE; break;
    case TK_GT: op = OP_GT; break;
    case TK_GE: op = OP_GE; break;
    default: break;
    }
    if (is_kw(p, "in"))
        op = OP_IN;
    if (is_kw(p, "not")) { /* "not in" */
        if (lex(p) < 0)
            return -1;
        if (!is_kw(p, "in"))
            return perr(p, "expected 'in' after 'not'");
        op = OP_NOTIN;
    }
    if (is_kw(p, "is")) {
        char b[64];
        if (lex(p) < 0)
            return -1;
        bool neg = false;
        if (is_kw(p, "not")) {
            neg = true;
            if (lex(p) < 0)
                return -1;
        }
        if (!is_kw(p, "defined") && !is_kw(p, "undefined"))
            return perr(p, "only 'is defined' and 'is undefined' tests exist, found %s",
                        tk_text(p, b, sizeof b));
        if (is_kw(p, "undefined"))
            neg = !neg;
        int n = new_node(p, X_DEFINED, off);
        if (n < 0 || lex(p) < 0)
            return -1;
        p->t->nodes[n].a = a;
        p->t->nodes[n].op = neg;
        set_span(p, n, off);
        return n;
    }
    if (op < 0)
        return a;
    if (lex(p) < 0)
        return -1;
    int b = parse_concat(p);
    if (b < 0)
        return -1;
    int n = new_node(p, X_CMP, off);
    if (n < 0)
        return -1;
    p->t->nodes[n].op = op;
    p->t->nodes[n].a = a;
    p->t->nodes[n].b = b;
    set_span(p, n, off);
    return n;
}

static int parse_not(parser *p)
{
    size_t off = p->tstart;
    if (is_kw(p, "not")) {
        if (enter(p) < 0 || lex(p) < 0)
            return -1;
        int a = parse_not(p);
        if (a < 0)
            return -1;
        p->depth--;
        int n = new_node(p, X_NOT, off);
        if (n < 0)
            return -1;
        p->t->nodes[n].a = a;
        set_span(p, n, off);
        return n;
    }
    return parse_cmp(p);
}

static int parse_binary(parser *p, const char *kw, xkind k, int (*sub)(parser *))
{
    size_t off = p->tstart;
    int a = sub(p);
    while (a >= 0 && is_kw(p, kw)) {
        if (lex(p) < 0)
            return -1;
        int b = sub(p);
        if (b < 0)
            return -1;
        int n = new_node(p, k, off);
        if (n < 0)
            return -1;
        p->t->nodes[n].a = a;
        p->t->nodes[n].b = b;
        set_span(p, n, off);
        a = n;
    }
    return a;
}

static int parse_and(parser *p) { return parse_binary(p, "and", X_AND, parse_not); }

static int parse_expr(parser *p)
{
    if (enter(p) < 0)
        return -1;
    int r = parse_binary(p, "or", X_OR, parse_and);
    p->depth--;
    return r;
}

static int add_seg(na_tpl *t, int expr, const char *text, size_t len, int root, na_err *err)
{
    tseg *s = realloc(t->segs, (t->nsegs + 1) * sizeof *s);
    if (!s)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    t->segs = s;
    s = &t->segs[t->nsegs];
    s->text = strndup(text, len);
    if (!s->text)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    s->len = len;
    s->expr = expr;
    s->root = root;
    t->nsegs++;
    return 0;
}

static na_tpl *new_tpl(const char *src, na_err *err)
{
    size_t n = strlen(src);
    if (n > NA_TPL_MAX_SRC) {
        na_err_set(err, NA_E_CONFIG, "template longer than %zu bytes", NA_TPL_MAX_SRC);
        return NULL;
    }
    na_tpl *t = calloc(1, sizeof *t);
    if (!t || !(t->src = strdup(src))) {
        free(t);
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    return t;
}

static bool all_space(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)s[i]))
            return false;
    return true;
}

na_tpl *na_tpl_compile(const char *src, na_err *err)
{
    na_tpl *t = new_tpl(src, err);
    if (!t)
        return NULL;
    parser p = {.t = t, .s = t->src, .end = strlen(t->src), .braces = true, .err = err};
    const char *s = t->src;
    size_t text = 0, i = 0, nexpr = 0;
    bool other_text = false;
    while (i < p.end) {
        if (s[i] == '{' && (s[i + 1] == '%' || s[i + 1] == '#')) {
            p.seg_start = i;
            p.pos = i;
            perr(&p, "'{%c' blocks are not supported (only {{ expressions }}; write a literal "
                     "'{%c' as {{ '{%c' }})", s[i + 1], s[i + 1], s[i + 1]);
            goto fail;
        }
        if (s[i] != '{' || s[i + 1] != '{') {
            i++;
            continue;
        }
        if (i > text) {
            if (add_seg(t, 0, s + text, i - text, -1, err) < 0)
                goto fail;
            other_text |= !all_space(s + text, i - text);
        }
        p.seg_start = i;
        p.pos = i + 2;
        p.depth = 0;
        if (lex(&p) < 0)
            goto fail;
        if (p.tk == TK_END) {
            perr(&p, "empty expression");
            goto fail;
        }
        int root = parse_expr(&p);
        if (root < 0)
            goto fail;
        if (p.tk != TK_END) {
            char b[64];
            perr(&p, "expected '}}' but found %s", tk_text(&p, b, sizeof b));
            goto fail;
        }
        if (add_seg(t, 1, s + i, p.pos - i, root, err) < 0)
            goto fail;
        nexpr++;
        i = text = p.pos;
    }
    if (i > text) {
        if (add_seg(t, 0, s + text, i - text, -1, err) < 0)
            goto fail;
        other_text |= !all_space(s + text, i - text);
    }
    free(p.sval);
    t->single = nexpr == 1 && !other_text;
    return t;
fail:
    free(p.sval);
    na_tpl_free(t);
    return NULL;
}

na_tpl *na_tpl_compile_expr(const char *src, na_err *err)
{
    if (na_tpl_has_syntax(src))
        return na_tpl_compile(src, err);
    na_tpl *t = new_tpl(src, err);
    if (!t)
        return NULL;
    parser p = {.t = t, .s = t->src, .end = strlen(t->src), .braces = false, .err = err};
    int root = -1;
    if (lex(&p) < 0)
        goto fail;
    if (p.tk == TK_EOF) {
        perr(&p, "empty expression");
        goto fail;
    }
    if ((root = parse_expr(&p)) < 0)
        goto fail;
    if (p.tk != TK_EOF) {
        char b[64];
        perr(&p, "unexpected %s after the expression", tk_text(&p, b, sizeof b));
        goto fail;
    }
    if (add_seg(t, 1, t->src, p.end, root, err) < 0)
        goto fail;
    free(p.sval);
    t->single = true;
    return t;
fail:
    free(p.sval);
    na_tpl_free(t);
    return NULL;
}

void na_tpl_free(na_tpl *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nnodes; i++) {
        free(t->nodes[i].s);
        free(t->nodes[i].kw);
        json_decref(t->nodes[i].lit);
    }
    for (size_t i = 0; i < t->nsegs; i++)
        free(t->segs[i].text);
    free(t->nodes);
    free(t->segs);
    free(t->src);
    free(t);
}

const char *na_tpl_source(const na_tpl *t) { return t->src; }
bool na_tpl_is_single_expr(const na_tpl *t) { return t->single; }

bool na_tpl_has_syntax(const char *s)
{
    for (const char *p = strchr(s, '{'); p; p = strchr(p + 1, '{'))
        if (p[1] == '{' || p[1] == '%' || p[1] == '#')
            return true;
    return false;
}
