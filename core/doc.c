/* doc.c — renders the manual pages of doc.h: wrapped text for a terminal (--help, netauto help)
 * and roff with the man(7) macros (the installed manual pages); and reads a command line against
 * the same option tables. Writes into a na_buf and never prints. Not a roff parser, not a pager,
 * and not getopt (which reorders what was typed). */
#include "doc.h"

#include <stdio.h>
#include <string.h>

#define OPT_COL 26 /* where option texts start in the text layout */

/* ---- paragraphs ------------------------------------------------------------------------------ */

typedef enum { P_TEXT, P_LITERAL, P_LIST } para_kind;

/* The next paragraph of s from *pos: [*b, *e) and its kind; false at the end. */
static bool next_para(const char *s, size_t *pos, const char **b, const char **e, para_kind *k)
{
    const char *p = s + *pos;
    while (*p == '\n')
        p++;
    if (!*p)
        return false;
    const char *q = strstr(p, "\n\n");
    if (!q)
        q = p + strlen(p);
    *b = p;
    *e = q;
    *pos = (size_t)(q - s);
    if (p[0] == '-' && p[1] == ' ')
        *k = P_LIST;
    else if (p[0] == ' ' && p[1] == ' ')
        *k = P_LITERAL;
    else
        *k = P_TEXT;
    return true;
}

/* ---- text ------------------------------------------------------------------------------------ */

/* Words of [b, e) filled into lines of `width` columns, the first starting at column `col`
 * (already written), the others indented by `indent`. */
static int wrap(na_buf *o, const char *b, const char *e, size_t col, size_t indent, size_t width,
                na_err *err)
{
    bool first = true;
    while (b < e) {
        while (b < e && (*b == ' ' || *b == '\n'))
            b++;
        if (b >= e)
            break;
        const char *w = b;
        while (b < e && *b != ' ' && *b != '\n')
            b++;
        size_t n = (size_t)(b - w);
        if (!first && col + 1 + n > width) {
            if (na_buf_printf(o, err, "\n%*s", (int)indent, "") < 0)
                return -1;
            col = indent;
            first = true;
        }
        if (!first && na_buf_puts(o, " ", err) < 0)
            return -1;
        if (na_buf_append(o, w, n, "help", err) < 0)
            return -1;
        col += n + !first;
        first = false;
    }
    return na_buf_puts(o, "\n", err);
}

/* Paragraphs of s, every line indented by `indent`. */
static int text_paras(na_buf *o, const char *s, size_t indent, size_t width, na_err *err)
{
    size_t pos = 0;
    const char *b, *e;
    para_kind k;
    bool first = true;
    while (s && next_para(s, &pos, &b, &e, &k)) {
        if (!first && na_buf_puts(o, "\n", err) < 0)
            return -1;
        first = false;
        if (k == P_LITERAL) {
            for (const char *l = b; l < e;) {
                const char *nl = memchr(l, '\n', (size_t)(e - l));
                const char *le = nl ? nl : e;
                if (na_buf_printf(o, err, "%*s%.*s\n", (int)indent, "", (int)(le - l), l) < 0)
                    return -1;
                l = le + 1;
            }
        } else if (k == P_LIST) {
            for (const char *it = b; it < e;) { /* one "- " item and its continuation lines */
                const char *end = it + 2;
                while (end < e && !(end[0] == '\n' && end[1] == '-' && end[2] == ' '))
                    end++;
                if (na_buf_printf(o, err, "%*s- ", (int)indent, "") < 0 ||
                    wrap(o, it + 2, end, indent + 2, indent + 2, width, err) < 0)
                    return -1;
                it = end + 1;
            }
        } else {
            if (na_buf_printf(o, err, "%*s", (int)indent, "") < 0 ||
                wrap(o, b, e, indent, indent, width, err) < 0)
                return -1;
        }
    }
    return 0;
}

/* "  TERM" then text at column `col` (on the next line when the term is too long). */
static int text_item(na_buf *o, const char *term, const char *text, size_t col, size_t width,
                     na_err *err)
{
    size_t tl = strlen(term) + 2;
    if (na_buf_printf(o, err, "  %s", term) < 0)
        return -1;
    if (!text || !*text)
        return na_buf_puts(o, "\n", err);
    if (tl + 2 > col) {
        if (na_buf_printf(o, err, "\n%*s", (int)col, "") < 0)
            return -1;
    } else if (na_buf_printf(o, err, "%*s", (int)(col - tl), "") < 0) {
        return -1;
    }
    /* the first paragraph wraps from the column; later ones are indented paragraphs */
    const char *gap = strstr(text, "\n\n");
    const char *e1 = gap ? gap : text + strlen(text);
    if (wrap(o, text, e1, col, col, width, err) < 0)
        return -1;
    if (gap && (na_buf_puts(o, "\n", err) < 0 || text_paras(o, gap, col, width, err) < 0))
        return -1;
    return 0;
}

const char *na_doc_opt_name(const na_doc_opt *o, char *buf, size_t cap)
{
    if (o->short_name && o->long_name)
        snprintf(buf, cap, "-%c/--%s", o->short_name, o->long_name);
    else if (o->long_name)
        snprintf(buf, cap, "--%s", o->long_name);
    else
        snprintf(buf, cap, "-%c", o->short_name);
    return buf;
}

static bool opt_end(const na_doc_opt *o) { return !o->long_name && !o->short_name; }

/* "-i, --inventory FILE" */
static void opt_label(const na_doc_opt *o, char *buf, size_t cap)
{
    size_t n = 0;
    if (o->short_name)
        n += (size_t)snprintf(buf + n, cap - n, "-%c%s", o->short_name, o->long_name ? ", " : "");
    if (o->long_name && n < cap)
        n += (size_t)snprintf(buf + n, cap - n, "--%s", o->long_name);
    if (o->arg && n < cap)
        n += (size_t)snprintf(buf + n, cap - n, " %s", o->arg);
    if ((o->flags & NA_DOC_REPEAT) && n < cap)
        snprintf(buf + n, cap - n, " ...");
}

int na_doc_opts_text(na_buf *out, const na_doc_opt *opts, unsigned width, na_err *err)
{
    size_t w = width ? width : 80;
    for (const na_doc_opt *o = opts; o && !opt_end(o); o++) {
        if (o->flags & NA_DOC_HIDDEN)
            continue;
        char label[160];
        opt_label(o, label, sizeof label);
        if (text_item(out, label, o->help, OPT_COL, w, err) < 0)
            return -1;
    }
    return 0;
}

static int sects_text(na_buf *o, const na_doc_sect *s, size_t w, bool upper, na_err *err)
{
    for (; s && s->title; s++) {
        if (na_buf_printf(o, err, "\n%s:\n", s->title) < 0)
            return -1;
        (void)upper;
        if (s->text && text_paras(o, s->text, 2, w, err) < 0)
            return -1;
        for (const na_doc_item *it = s->items; it && it->term; it++)
            if (text_item(o, it->term, it->text, OPT_COL, w, err) < 0)
                return -1;
    }
    return 0;
}

int na_doc_cmd_text(na_buf *out, const char *prog, const na_doc_cmd *c, unsigned width,
                    na_err *err)
{
    size_t w = width ? width : 80;
    for (size_t i = 0; c->synopsis && c->synopsis[i]; i++)
        if (na_buf_printf(out, err, "%s %s %s\n", i ? "      " : "usage:", prog,
                          c->synopsis[i]) < 0)
            return -1;
    if (c->text && (na_buf_puts(out, "\n", err) < 0 || text_paras(out, c->text, 0, w, err) < 0))
        return -1;
    if (c->opts && !opt_end(c->opts)) {
        if (na_buf_puts(out, "\noptions:\n", err) < 0 ||
            na_doc_opts_text(out, c->opts, (unsigned)w, err) < 0)
            return -1;
    }
    return sects_text(out, c->sects, w, false, err);
}

int na_doc_page_text(na_buf *out, const na_doc_page *p, unsigned width, na_err *err)
{
    size_t w = width ? width : 80;
    if (na_buf_printf(out, err, "%s — %s\n", p->name, p->summary) < 0)
        return -1;
    const char *lead = p->section && p->section[0] == '5' ? "file: " : "usage:"; /* a format */
    for (size_t i = 0; p->synopsis && p->synopsis[i]; i++)
        if (na_buf_printf(out, err, "%s %s\n", i ? "      " : lead, p->synopsis[i]) < 0)
            return -1;
    if (p->text && (na_buf_puts(out, "\n", err) < 0 || text_paras(out, p->text, 0, w, err) < 0))
        return -1;
    if (p->opts && !opt_end(p->opts) &&
        (na_buf_puts(out, "\noptions:\n", err) < 0 ||
         na_doc_opts_text(out, p->opts, (unsigned)w, err) < 0))
        return -1;
    if (p->ncmds && na_buf_printf(out, err, "\n%s:\n", p->cmds_title ? p->cmds_title : "commands")
                        < 0)
        return -1;
    for (size_t i = 0; i < p->ncmds; i++)
        if (text_item(out, p->cmds[i].name, p->cmds[i].summary, 14, w, err) < 0)
            return -1;
    if (sects_text(out, p->sects, w, false, err) < 0)
        return -1;
    if (p->see_also && na_buf_printf(out, err, "\nsee also: %s\n", p->see_also) < 0)
        return -1;
    return 0;
}

/* ---- roff ------------------------------------------------------------------------------------ */

/* Text escaped for roff: backslashes, hyphens that are options or dashes (\-), a line starting
 * with . or ' protected by \&. */
static int roff_esc(na_buf *o, const char *b, const char *e, na_err *err)
{
    bool bol = true;
    for (const char *p = b; p < e; p++) {
        const char *rep = NULL;
        char one[2] = {*p, 0};
        if (bol && (*p == '.' || *p == '\''))
            if (na_buf_puts(o, "\\&", err) < 0)
                return -1;
        if (*p == '\\')
            rep = "\\e";
        else if (*p == '-')
            rep = "\\-";
        else if ((unsigned char)p[0] == 0xe2 && p + 2 < e && (unsigned char)p[1] == 0x80 &&
                 (unsigned char)p[2] == 0x94) { /* an em dash */
            rep = "\\(em";
            p += 2;
        } else if ((unsigned char)p[0] == 0xe2 && p + 2 < e && (unsigned char)p[1] == 0x86 &&
                   (unsigned char)p[2] == 0x92) { /* → */
            rep = "\\(->";
            p += 2;
        }
        if (na_buf_puts(o, rep ? rep : one, err) < 0)
            return -1;
        bol = *p == '\n';
    }
    return 0;
}

static int roff_str(na_buf *o, const char *s, na_err *err)
{
    return roff_esc(o, s, s + strlen(s), err);
}

/* A paragraph's words on one line each group: roff fills them itself. */
static int roff_fill(na_buf *o, const char *b, const char *e, na_err *err)
{
    /* join the lines (a newline inside a paragraph is a space to roff anyway), then escape */
    for (const char *l = b; l < e;) {
        while (l < e && *l == ' ')
            l++;
        if (l >= e)
            break;
        const char *nl = memchr(l, '\n', (size_t)(e - l));
        const char *le = nl ? nl : e;
        if (le > l && (roff_esc(o, l, le, err) < 0 || na_buf_puts(o, "\n", err) < 0))
            return -1;
        l = le + 1;
    }
    return 0;
}

static int roff_paras(na_buf *o, const char *s, bool indented, na_err *err)
{
    size_t pos = 0;
    const char *b, *e;
    para_kind k;
    bool first = true;
    while (s && next_para(s, &pos, &b, &e, &k)) {
        if (k == P_LITERAL) {
            if (na_buf_puts(o, first && indented ? ".RS 0\n.nf\n" : ".PP\n.RS 4\n.nf\n", err) < 0)
                return -1;
            for (const char *l = b; l < e;) {
                const char *nl = memchr(l, '\n', (size_t)(e - l));
                const char *le = nl ? nl : e;
                const char *ls = l + 2 <= le ? l + 2 : le;
                if (roff_esc(o, ls, le, err) < 0 || na_buf_puts(o, "\n", err) < 0)
                    return -1;
                l = le + 1;
            }
            if (na_buf_puts(o, ".fi\n.RE\n", err) < 0)
                return -1;
        } else if (k == P_LIST) {
            for (const char *it = b; it < e;) {
                const char *end = it + 2;
                while (end < e && !(end[0] == '\n' && end[1] == '-' && end[2] == ' '))
                    end++;
                if (na_buf_puts(o, ".IP \\(bu 2\n", err) < 0 || roff_fill(o, it + 2, end, err) < 0)
                    return -1;
                it = end + 1;
            }
        } else {
            if (!(first && indented) && na_buf_puts(o, indented ? ".IP\n" : ".PP\n", err) < 0)
                return -1;
            if (roff_fill(o, b, e, err) < 0)
                return -1;
        }
        first = false;
    }
    return 0;
}

static int roff_tp(na_buf *o, const char *term_roff, const char *text, na_err *err)
{
    if (na_buf_printf(o, err, ".TP\n%s\n", term_roff) < 0)
        return -1;
    return roff_paras(o, text ? text : "", true, err);
}

static int roff_opts(na_buf *o, const na_doc_opt *opts, na_err *err)
{
    for (const na_doc_opt *op = opts; op && !opt_end(op); op++) {
        if (op->flags & NA_DOC_HIDDEN)
            continue;
        na_buf t;
        na_buf_init(&t, 4096);
        int rc = 0;
        if (op->short_name)
            rc = na_buf_printf(&t, err, "\\fB\\-%c\\fR%s", op->short_name,
                               op->long_name ? ", " : "");
        if (rc == 0 && op->long_name)
            rc = na_buf_puts(&t, "\\fB\\-\\-", err) < 0 || roff_str(&t, op->long_name, err) < 0 ||
                         na_buf_puts(&t, "\\fR", err) < 0
                     ? -1
                     : 0;
        if (rc == 0 && op->arg)
            rc = na_buf_puts(&t, " \\fI", err) < 0 || roff_str(&t, op->arg, err) < 0 ||
                         na_buf_puts(&t, "\\fR", err) < 0
                     ? -1
                     : 0;
        if (rc == 0 && (op->flags & NA_DOC_REPEAT))
            rc = na_buf_puts(&t, " ...", err);
        if (rc == 0)
            rc = roff_tp(o, na_buf_cstr(&t), op->help, err);
        na_buf_free(&t);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int roff_items(na_buf *o, const na_doc_item *it, na_err *err)
{
    for (; it && it->term; it++) {
        na_buf t;
        na_buf_init(&t, 4096);
        int rc = na_buf_puts(&t, "\\fB", err) < 0 || roff_str(&t, it->term, err) < 0 ||
                         na_buf_puts(&t, "\\fR", err) < 0
                     ? -1
                     : roff_tp(o, na_buf_cstr(&t), it->text, err);
        na_buf_free(&t);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int roff_sects(na_buf *o, const na_doc_sect *s, bool sub, na_err *err)
{
    for (; s && s->title; s++) {
        if (na_buf_puts(o, sub ? ".SS " : ".SH ", err) < 0)
            return -1;
        char up[128];
        snprintf(up, sizeof up, "%s", s->title);
        for (char *c = up; !sub && *c; c++)
            if (*c >= 'a' && *c <= 'z')
                *c = (char)(*c - 'a' + 'A');
        if (roff_str(o, up, err) < 0 || na_buf_puts(o, "\n", err) < 0)
            return -1;
        if (s->text && roff_paras(o, s->text, false, err) < 0)
            return -1;
        if (roff_items(o, s->items, err) < 0)
            return -1;
    }
    return 0;
}

static int roff_synopsis(na_buf *o, const char *prog, const char *const *syn, na_err *err)
{
    for (size_t i = 0; syn && syn[i]; i++) {
        if (na_buf_puts(o, i ? ".br\n\\fB" : "\\fB", err) < 0)
            return -1;
        if (prog && (roff_str(o, prog, err) < 0 || na_buf_puts(o, " ", err) < 0))
            return -1;
        if (roff_str(o, syn[i], err) < 0 || na_buf_puts(o, "\\fR\n", err) < 0)
            return -1;
    }
    return 0;
}

int na_doc_page_roff(na_buf *o, const na_doc_page *p, na_err *err)
{
    char up[128];
    snprintf(up, sizeof up, "%s", p->name);
    for (char *c = up; *c; c++)
        if (*c >= 'a' && *c <= 'z')
            *c = (char)(*c - 'a' + 'A');
    if (na_buf_printf(o, err, ".\\\" Generated from netauto's own help text (core/doc.h); "
                              "do not edit.\n.TH \"%s\" \"%s\" \"%s\" \"%s\" \"%s\"\n.SH NAME\n",
                      up, p->section, p->date ? p->date : "", p->source ? p->source : "",
                      "netauto manual") < 0 ||
        roff_str(o, p->name, err) < 0 || na_buf_puts(o, " \\- ", err) < 0 ||
        roff_str(o, p->summary, err) < 0 || na_buf_puts(o, "\n.SH SYNOPSIS\n", err) < 0 ||
        roff_synopsis(o, NULL, p->synopsis, err) < 0)
        return -1;
    if (p->text && (na_buf_puts(o, ".SH DESCRIPTION\n", err) < 0 ||
                    roff_paras(o, p->text, false, err) < 0))
        return -1;
    if (p->opts && !opt_end(p->opts) &&
        (na_buf_puts(o, ".SH OPTIONS\n", err) < 0 || roff_opts(o, p->opts, err) < 0))
        return -1;
    if (p->ncmds) {
        snprintf(up, sizeof up, "%s", p->cmds_title ? p->cmds_title : "COMMANDS");
        for (char *c = up; *c; c++)
            if (*c >= 'a' && *c <= 'z')
                *c = (char)(*c - 'a' + 'A');
        if (na_buf_printf(o, err, ".SH %s\n", up) < 0)
            return -1;
    }
    for (size_t i = 0; i < p->ncmds; i++) {
        const na_doc_cmd *c = &p->cmds[i];
        if (na_buf_puts(o, ".SS ", err) < 0 || roff_str(o, c->name, err) < 0 ||
            na_buf_puts(o, "\n", err) < 0 || roff_synopsis(o, p->name, c->synopsis, err) < 0 ||
            (c->text && roff_paras(o, c->text, false, err) < 0))
            return -1;
        if (c->opts && !opt_end(c->opts) &&
            (na_buf_puts(o, ".PP\nOptions:\n", err) < 0 || roff_opts(o, c->opts, err) < 0))
            return -1;
        for (const na_doc_sect *s = c->sects; s && s->title; s++) {
            if (na_buf_puts(o, ".PP\n", err) < 0 || roff_str(o, s->title, err) < 0 ||
                na_buf_puts(o, ":\n", err) < 0 || (s->text && roff_paras(o, s->text, false, err) < 0) ||
                roff_items(o, s->items, err) < 0)
                return -1;
        }
    }
    if (roff_sects(o, p->sects, false, err) < 0)
        return -1;
    if (p->see_also && (na_buf_puts(o, ".SH SEE ALSO\n", err) < 0 ||
                        roff_str(o, p->see_also, err) < 0 || na_buf_puts(o, "\n", err) < 0))
        return -1;
    return 0;
}

/* ---- the parser ------------------------------------------------------------------------------ */

/* The option named by a long name or a unique prefix of one (exact names win). */
static const na_doc_opt *find_long(const na_doc_opt *const *tables, const char *name, size_t n,
                                   na_err *err)
{
    const na_doc_opt *hit = NULL;
    char cands[400] = "";
    size_t nc = 0, nhits = 0;
    for (size_t t = 0; tables[t]; t++)
        for (const na_doc_opt *o = tables[t]; !opt_end(o); o++) {
            if (!o->long_name || strncmp(o->long_name, name, n))
                continue;
            if (!o->long_name[n])
                return o; /* exact */
            if (hit == o || (hit && hit->long_name && !strcmp(hit->long_name, o->long_name)))
                continue;
            nc += (size_t)snprintf(cands + nc, nc < sizeof cands ? sizeof cands - nc : 0,
                                   "%s--%s", nhits ? ", " : "", o->long_name);
            hit = o;
            nhits++;
        }
    if (nhits == 1)
        return hit;
    if (nhits > 1)
        na_err_set(err, NA_E_USAGE, "--%.*s is ambiguous: it could be %s", (int)n, name, cands);
    else
        na_err_set(err, NA_E_USAGE, "unknown option '--%.*s'", (int)n, name);
    return NULL;
}

static const na_doc_opt *find_short(const na_doc_opt *const *tables, char c)
{
    for (size_t t = 0; tables[t]; t++)
        for (const na_doc_opt *o = tables[t]; !opt_end(o); o++)
            if (o->short_name == c)
                return o;
    return NULL;
}

/* A value that is itself an option: "--transcript --json". "-" alone is a value (stdin). */
static bool looks_like_option(const char *v)
{
    return v[0] == '-' && v[1] && !(v[1] >= '0' && v[1] <= '9');
}

int na_doc_parse(const na_doc_opt *const *tables, int argc, char *const *argv, na_doc_arg *out,
                 size_t *n, na_err *err)
{
    size_t k = 0;
    bool dd = false;
    const na_doc_opt *last_flag = NULL; /* the token right before, when it was a flag */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (dd || a[0] != '-' || !a[1]) {
            out[k++] = (na_doc_arg){.val = a, .after = last_flag, .after_dashdash = dd};
            last_flag = NULL;
            continue;
        }
        if (!strcmp(a, "--")) {
            dd = true;
            continue;
        }
        if (a[1] == '-') {
            const char *name = a + 2, *eq = strchr(name, '=');
            size_t nl = eq ? (size_t)(eq - name) : strlen(name);
            const na_doc_opt *o = find_long(tables, name, nl, err);
            if (!o)
                return -1;
            const char *val = NULL;
            if (o->arg) {
                if (eq) {
                    val = eq + 1;
                } else if (i + 1 < argc) {
                    val = argv[++i];
                    if (looks_like_option(val))
                        return na_err_set(err, NA_E_USAGE,
                                          "--%s needs a value (%s), but the next word '%s' is "
                                          "an option; write --%s=%s if that is really the "
                                          "value", o->long_name, o->arg, val, o->long_name, val);
                } else {
                    return na_err_set(err, NA_E_USAGE, "--%s needs a value (%s)", o->long_name,
                                      o->arg);
                }
            } else if (eq) {
                return na_err_set(err, NA_E_USAGE, "--%s takes no value (got '%s')",
                                  o->long_name, a);
            }
            out[k++] = (na_doc_arg){.opt = o, .val = val, .typed = a};
            last_flag = o->arg ? NULL : o;
            continue;
        }
        /* -abc: short options, the last one may take the rest (or the next word) as value */
        last_flag = NULL;
        for (const char *c = a + 1; *c; c++) {
            const na_doc_opt *o = find_short(tables, *c);
            if (!o)
                return na_err_set(err, NA_E_USAGE, "unknown option -%c%s%s%s", *c,
                                  c != a + 1 ? " (in " : "", c != a + 1 ? a : "",
                                  c != a + 1 ? ")" : "");
            if (!o->arg) {
                out[k++] = (na_doc_arg){.opt = o, .typed = a};
                last_flag = o;
                continue;
            }
            const char *val;
            if (c[1]) {
                val = c + 1;
            } else if (i + 1 < argc) {
                val = argv[++i];
                if (looks_like_option(val))
                    return na_err_set(err, NA_E_USAGE,
                                      "-%c needs a value (%s), but the next word '%s' is an "
                                      "option", *c, o->arg, val);
            } else {
                return na_err_set(err, NA_E_USAGE, "-%c needs a value (%s)", *c, o->arg);
            }
            out[k++] = (na_doc_arg){.opt = o, .val = val, .typed = a};
            break;
        }
    }
    *n = k;
    return 0;
}

const na_doc_opt *na_doc_opt_find(const na_doc_opt *opts, int id)
{
    for (const na_doc_opt *o = opts; o && !opt_end(o); o++)
        if (o->id == id)
            return o;
    return NULL;
}
