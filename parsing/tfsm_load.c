/* tfsm_load.c — reading a TextFSM template: lines as Python's text files give them (universal
 * newlines, UTF-8), the Value block (options, names, regexes), the states with their rules
 * (tfsm_rule.c), and the final checks (Start exists, End and EOF empty, every target state
 * exists). Messages are python3-textfsm's, prefixed with file:line:column. Not the machine
 * that runs a template (tfsm_run.c). */
#include "tfsm_int.h"
#include "tfsm_load.h"
#include "utext.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NAME_LEN 48

/* ---- errors -------------------------------------------------------------------------------- */

int na_tfl_err(tfl_ctx *L, na_code code, unsigned line, unsigned col, const char *detail,
            const char *fmt, ...)
{
    char msg[NA_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (detail && *detail)
        return na_err_set(L->err, code, "%s:%u:%u: %s [%s]", L->name, line, col ? col : 1, msg,
                          detail);
    return na_err_set(L->err, code, "%s:%u:%u: %s", L->name, line, col ? col : 1, msg);
}

/* ---- lines ----------------------------------------------------------------------------------- */

/* The next line of the template (Python's `for line in file`), rstripped; false at the end. */
static bool next_line(tfl_ctx *L, const char **s, size_t *n)
{
    if (L->pos >= L->len)
        return false;
    const char *p = L->text + L->pos;
    const char *nl = memchr(p, '\n', L->len - L->pos);
    size_t len = nl ? (size_t)(nl - p) : L->len - L->pos;
    L->pos += len + (nl ? 1 : 0);
    L->line_num++;
    *s = p;
    *n = na_ut_rstrip(p, len);
    return true;
}

bool na_tfl_is_comment(const char *s, size_t n)
{
    size_t i = na_ut_lstrip(s, n);
    return i < n && s[i] == '#';
}

/* 1-based column (in characters) of byte offset off in s. */
unsigned na_tfl_col(const char *s, size_t off) { return (unsigned)na_ut_len(s, off) + 1; }

/* ---- values ---------------------------------------------------------------------------------- */

static char *dupn(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* The split(' ') tokens of a Value line: start offsets and lengths (at most `max`). */
static size_t split_spaces(const char *s, size_t n, size_t *st, size_t *ln, size_t max)
{
    size_t k = 0, start = 0;
    for (size_t i = 0; i <= n && k < max; i++) {
        if (i == n || s[i] == ' ') {
            st[k] = start;
            ln[k] = i - start;
            k++;
            start = i + 1;
        }
    }
    return k;
}

static const struct {
    const char *name;
    tf_opt opt;
    unsigned bit;
} OPTIONS[] = {
    {"Required", O_REQUIRED, NA_TFSM_OPT_REQUIRED}, {"Filldown", O_FILLDOWN, NA_TFSM_OPT_FILLDOWN},
    {"Fillup", O_FILLUP, NA_TFSM_OPT_FILLUP},       {"Key", O_KEY, NA_TFSM_OPT_KEY},
    {"List", O_LIST, NA_TFSM_OPT_LIST},
    {"OptionBase", O_BASE, 0}, /* python3-textfsm accepts its option base class as a no-op */
};

/* re.sub(r'^\(', '(?P<NAME>', regex): the replacement is a template, so backslashes in the
 * name are expanded as Python does (or fail as they fail there). */
static int expand_name(tfl_ctx *L, const char *name, unsigned line, na_buf *out)
{
    size_t n = strlen(name);
    char rep[NA_ERR_MSG_MAX];
    for (size_t i = 0; i < n;) {
        char c = name[i];
        if (c != '\\') {
            if (na_buf_append(out, &c, 1, NULL, L->err) < 0)
                return -1;
            i++;
            continue;
        }
        if (i + 1 >= n) { /* the '>' that follows pairs with it: "\>" is kept as it is */
            if (na_buf_puts(out, "\\", L->err) < 0)
                return -1;
            i++;
            continue;
        }
        char d = name[i + 1];
        i += 2;
        const char *esc = NULL;
        switch (d) {
        case 'a': esc = "\a"; break;
        case 'b': esc = "\b"; break;
        case 'f': esc = "\f"; break;
        case 'n': esc = "\n"; break;
        case 'r': esc = "\r"; break;
        case 't': esc = "\t"; break;
        case 'v': esc = "\v"; break;
        case '\\': esc = "\\"; break;
        default: break;
        }
        if (esc) {
            if (na_buf_puts(out, esc, L->err) < 0)
                return -1;
            continue;
        }
        if (d == 'g') {
            if (i >= n || name[i] != '<') {
                snprintf(rep, sizeof rep, "missing <");
                goto fail;
            }
            const char *gt = strchr(name + i, '>');
            size_t gl = gt ? (size_t)(gt - name - i - 1) : n - i - 1;
            if (gt && gl == 1 && name[i + 1] == '0') {
                if (na_buf_puts(out, "(", L->err) < 0)
                    return -1;
                i = (size_t)(gt - name) + 1;
                continue;
            }
            snprintf(rep, sizeof rep, "bad group reference in the replacement");
            goto fail;
        }
        if (d >= '0' && d <= '9') {
            unsigned v = (unsigned)(d - '0');
            int digits = 1;
            bool octal = d == '0';
            if (d == '0') {
                while (digits < 3 && i < n && name[i] >= '0' && name[i] <= '7') {
                    v = v * 8 + (unsigned)(name[i++] - '0');
                    digits++;
                }
            } else if (i + 1 < n && d <= '7' && name[i] >= '0' && name[i] <= '7' &&
                       name[i + 1] >= '0' && name[i + 1] <= '7') {
                v = v * 64 + (unsigned)(name[i] - '0') * 8 + (unsigned)(name[i + 1] - '0');
                i += 2;
                octal = true;
                if (v > 0377) {
                    snprintf(rep, sizeof rep, "octal escape value outside of range 0-0o377");
                    goto fail;
                }
            }
            if (!octal) {
                snprintf(rep, sizeof rep, "invalid group reference %c", d);
                goto fail;
            }
            char u[4];
            size_t ul = na_ut_encode(v & 0xff, u);
            if (na_buf_append(out, u, ul, NULL, L->err) < 0)
                return -1;
            continue;
        }
        if ((d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z')) {
            snprintf(rep, sizeof rep, "bad escape \\%c", d);
            goto fail;
        }
        char two[2] = {'\\', d};
        if (na_buf_append(out, two, 2, NULL, L->err) < 0)
            return -1;
    }
    return 0;
fail:
    return na_tfl_err(L, NA_E_CONFIG, line, 1, "python3-textfsm fails here too, with re.error",
                   "Value name '%s': its backslash is read by re.sub as a replacement template: "
                   "%s", name, rep);
}

static int parse_value(tfl_ctx *L, const char *s, size_t n)
{
    na_tfsm *t = L->t;
    unsigned ln = L->line_num;
    size_t st[4], len[4];
    size_t k = split_spaces(s, n, st, len, 4);
    if (k < 3)
        return na_tfl_err(L, NA_E_CONFIG, ln, 1, NULL, "Expect at least 3 tokens on line. Line %u.",
                       ln);
    if (t->nvalues == t->vcap) {
        size_t cap = t->vcap ? t->vcap * 2 : 8;
        tf_value *v = realloc(t->values, cap * sizeof *v);
        if (!v)
            return na_err_set(L->err, NA_E_NOMEM, "out of memory");
        t->values = v;
        t->vcap = cap;
    }
    tf_value *v = &t->values[t->nvalues];
    memset(v, 0, sizeof *v);
    v->line = ln;
    size_t name_tok, re_off;
    if (s[st[2]] != '(') { /* options */
        const char *o = s + st[1];
        size_t ol = len[1], i = 0;
        for (;;) {
            const char *comma = memchr(o + i, ',', ol - i);
            size_t nl = comma ? (size_t)(comma - o - i) : ol - i;
            const char *nm = o + i;
            size_t which = sizeof OPTIONS / sizeof *OPTIONS;
            for (size_t j = 0; j < sizeof OPTIONS / sizeof *OPTIONS; j++)
                if (strlen(OPTIONS[j].name) == nl && !memcmp(OPTIONS[j].name, nm, nl))
                    which = j;
            unsigned col = na_tfl_col(s, (size_t)(nm - s));
            for (size_t j = 0; j < v->nopts && which < sizeof OPTIONS / sizeof *OPTIONS; j++)
                if (v->opts[j] == OPTIONS[which].opt)
                    return na_tfl_err(L, NA_E_CONFIG, ln, col, NULL,
                                   "Duplicate option \"%.*s\" Line %u.", (int)nl, nm, ln);
            if (which == sizeof OPTIONS / sizeof *OPTIONS)
                return na_tfl_err(L, NA_E_CONFIG, ln, col, NULL, "Unknown option \"%.*s\" Line %u.",
                               (int)nl, nm, ln);
            v->opts[v->nopts++] = OPTIONS[which].opt;
            v->bits |= OPTIONS[which].bit;
            if (!comma)
                break;
            i += nl + 1;
        }
        name_tok = 2;
        re_off = k >= 4 ? st[3] : n;
    } else {
        name_tok = 1;
        re_off = st[2];
    }
    t->nvalues++; /* owned from here: freed with the template on error */
    const char *nm = s + st[name_tok];
    size_t nml = len[name_tok];
    if (!(v->name = dupn(nm, nml)) || !(v->regex = dupn(s + re_off, n - re_off)))
        return na_err_set(L->err, NA_E_NOMEM, "out of memory");
    unsigned ncol = na_tfl_col(s, st[name_tok]), rcol = na_tfl_col(s, re_off);
    if (na_ut_len(nm, nml) > MAX_NAME_LEN)
        return na_tfl_err(L, NA_E_CONFIG, ln, ncol, NULL,
                       "Invalid Value name '%s' or name too long. Line %u.", v->name, ln);
    size_t rl = n - re_off, open = 0, close = 0;
    for (size_t i = 0; i < rl; i++) {
        open += v->regex[i] == '(';
        close += v->regex[i] == ')';
    }
    if (rl < 2 || v->regex[0] != '(' || v->regex[rl - 1] != ')' || open != close)
        return na_tfl_err(L, NA_E_CONFIG, ln, rcol, NULL,
                       "Value '%s' must be contained within a '()' pair. Line %u.", v->regex, ln);
    na_buf b;
    na_buf_init(&b, 0);
    if (na_buf_puts(&b, "(?P<", L->err) < 0 || expand_name(L, v->name, ln, &b) < 0 ||
        na_buf_printf(&b, L->err, ">%s", v->regex + 1) < 0) {
        na_buf_free(&b);
        return -1;
    }
    if (!(v->tmpl = na_buf_steal(&b)))
        return na_err_set(L->err, NA_E_NOMEM, "out of memory");
    if (v->bits & NA_TFSM_OPT_LIST) {
        na_pyre_err e;
        v->list_re = na_pyre_compile(v->regex, (long)rl, NA_PYRE_MATCH, &e);
        if (!v->list_re)
            return na_tfl_regex_err(L, &e, ln, rcol, NULL);
        v->list_groups = na_pyre_groups(v->list_re);
    }
    for (size_t i = 0; i + 1 < t->nvalues; i++)
        if (!strcmp(t->values[i].name, v->name))
            return na_tfl_err(L, NA_E_CONFIG, ln, ncol, NULL,
                           "Duplicate declarations for Value '%s'. Line: %u.", v->name, ln);
    return 0;
}

/* A regex that failed to compile: TextFSM's words for it (List values: str(re.error)). */
int na_tfl_regex_err(tfl_ctx *L, const na_pyre_err *e, unsigned line, unsigned col,
                  const char *rule_regex)
{
    char detail[NA_ERR_MSG_MAX];
    na_pyre_err_str(e, detail, sizeof detail);
    unsigned c = col + (e->has_pos && !rule_regex ? (unsigned)e->pos : 0);
    if (e->status == NA_PYRE_NOMEM)
        return na_err_set(L->err, NA_E_NOMEM, "out of memory");
    if (e->status == NA_PYRE_UNSUPPORTED)
        return na_tfl_err(L, NA_E_UNSUPPORTED, line, c, NULL,
                       "%s regex is not supported by netauto: %s",
                       rule_regex ? "rule" : "List value", detail);
    if (e->status == NA_PYRE_PYERROR || e->status == NA_PYRE_DEPTH)
        return na_tfl_err(L, NA_E_CONFIG, line, c, "python3-textfsm fails here too",
                       "bad regular expression: %s", detail);
    if (rule_regex)
        return na_tfl_err(L, NA_E_CONFIG, line, c, detail,
                       "Invalid regular expression: '%s'. Line: %u.", rule_regex, line);
    return na_tfl_err(L, NA_E_CONFIG, line, c, NULL, "%s Line %u.", detail, line);
}

static int parse_values(tfl_ctx *L)
{
    const char *s;
    size_t n;
    while (next_line(L, &s, &n)) {
        if (!n)
            return 0;
        if (na_tfl_is_comment(s, n))
            continue;
        if (n >= 6 && !memcmp(s, "Value ", 6)) {
            if (parse_value(L, s, n) < 0)
                return -1;
        } else if (!L->t->nvalues) {
            return na_tfl_err(L, NA_E_CONFIG, L->line_num, 1, NULL, "No Value definitions found.");
        } else {
            return na_tfl_err(L, NA_E_CONFIG, L->line_num, 1, NULL,
                           "Expected blank line after last Value entry. Line: %u.", L->line_num);
        }
    }
    return 0;
}

/* ---- states ---------------------------------------------------------------------------------- */

static bool is_op_word(const char *s, size_t n)
{
    static const char *const ops[] = {"Continue", "Next", "Error", "Clear", "Clearall", "Record",
                                      "NoRecord"};
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        if (strlen(ops[i]) == n && !memcmp(ops[i], s, n))
            return true;
    return false;
}

int na_tfl_find_state(const na_tfsm *t, const char *name)
{
    for (size_t i = 0; i < t->nstates; i++)
        if (!strcmp(t->states[i].name, name))
            return (int)i;
    return -1;
}

/* One state: 1 when one was read, 0 at the end of the template, -1 on error. */
static int parse_state(tfl_ctx *L)
{
    na_tfsm *t = L->t;
    const char *s;
    size_t n;
    tf_state *st = NULL;
    while (next_line(L, &s, &n)) {
        if (!n || na_tfl_is_comment(s, n))
            continue;
        if (!na_tfl_state_name_ok(s, n) || na_ut_len(s, n) > MAX_NAME_LEN || is_op_word(s, n))
            return na_tfl_err(L, NA_E_CONFIG, L->line_num, 1, NULL,
                           "Invalid state name: '%.*s'. Line: %u", (int)n, s, L->line_num);
        char *name = dupn(s, n);
        if (!name)
            return na_err_set(L->err, NA_E_NOMEM, "out of memory");
        if (na_tfl_find_state(t, name) >= 0) {
            na_tfl_err(L, NA_E_CONFIG, L->line_num, 1, NULL, "Duplicate state name: '%s'. Line: %u",
                    name, L->line_num);
            free(name);
            return -1;
        }
        if (t->nstates == t->scap) {
            size_t cap = t->scap ? t->scap * 2 : 8;
            tf_state *v = realloc(t->states, cap * sizeof *v);
            if (!v) {
                free(name);
                return na_err_set(L->err, NA_E_NOMEM, "out of memory");
            }
            t->states = v;
            t->scap = cap;
        }
        st = &t->states[t->nstates++];
        memset(st, 0, sizeof *st);
        st->name = name;
        st->line = L->line_num;
        break;
    }
    if (!st)
        return 0;
    while (next_line(L, &s, &n)) {
        if (!n)
            break;
        if (na_tfl_is_comment(s, n))
            continue;
        if (!((n >= 2 && s[0] == ' ' && s[1] == '^') ||
              (n >= 3 && s[0] == ' ' && s[1] == ' ' && s[2] == '^') ||
              (n >= 2 && s[0] == '\t' && s[1] == '^')))
            return na_tfl_err(L, NA_E_CONFIG, L->line_num, 1, NULL,
                           "Missing white space or carat ('^') before rule. Line: %u",
                           L->line_num);
        st = &t->states[t->nstates - 1]; /* (states may have moved) */
        if (st->nrules == st->cap) {
            size_t cap = st->cap ? st->cap * 2 : 8;
            tf_rule *r = realloc(st->rules, cap * sizeof *r);
            if (!r)
                return na_err_set(L->err, NA_E_NOMEM, "out of memory");
            st->rules = r;
            st->cap = cap;
        }
        tf_rule *r = &st->rules[st->nrules];
        memset(r, 0, sizeof *r);
        st->nrules++;
        if (na_tfl_parse_rule(L, s, n, r) < 0)
            return -1;
    }
    return 1;
}

static int validate(tfl_ctx *L)
{
    na_tfsm *t = L->t;
    int start = na_tfl_find_state(t, "Start");
    if (start < 0)
        return na_tfl_err(L, NA_E_CONFIG, L->line_num ? L->line_num : 1, 1, NULL,
                       "Missing state 'Start'.");
    int end = na_tfl_find_state(t, "End"), eof = na_tfl_find_state(t, "EOF");
    if (end >= 0 && t->states[end].nrules)
        return na_tfl_err(L, NA_E_CONFIG, t->states[end].line, 1, NULL, "Non-Empty 'End' state.");
    if (eof >= 0 && t->states[eof].nrules)
        return na_tfl_err(L, NA_E_CONFIG, t->states[eof].line, 1, NULL, "Non-Empty 'EOF' state.");
    if (end >= 0) { /* TextFSM deletes End: it is never a state one is "in" */
        free(t->states[end].name);
        free(t->states[end].rules);
        memmove(&t->states[end], &t->states[end + 1],
                (t->nstates - (size_t)end - 1) * sizeof *t->states);
        t->nstates--;
    }
    t->has_eof = na_tfl_find_state(t, "EOF") >= 0;
    t->start = na_tfl_find_state(t, "Start");
    for (size_t i = 0; i < t->nstates; i++) {
        tf_state *st = &t->states[i];
        for (size_t j = 0; j < st->nrules; j++) {
            tf_rule *r = &st->rules[j];
            r->target = ST_NONE;
            if (r->line_op == LOP_ERROR || !*r->new_state)
                continue;
            if (!strcmp(r->new_state, "End")) {
                r->target = ST_END;
                continue;
            }
            if (!strcmp(r->new_state, "EOF")) {
                r->target = ST_EOF;
                continue;
            }
            r->target = na_tfl_find_state(t, r->new_state);
            if (r->target < 0)
                return na_tfl_err(L, NA_E_CONFIG, r->line, 1, NULL,
                               "State '%s' not found, referenced in state '%s'", r->new_state,
                               st->name);
        }
    }
    return 0;
}

/* ---- the whole template ---------------------------------------------------------------------- */

na_tfsm *na_tfsm_load(const char *name, const char *text, size_t len, na_err *err)
{
    if (!name)
        name = "<template>";
    if (len > NA_TFSM_MAX_TEMPLATE) {
        na_err_set(err, NA_E_OVERFLOW, "%s: a template larger than %zu bytes is not accepted",
                   name, NA_TFSM_MAX_TEMPLATE);
        return NULL;
    }
    size_t bad;
    if (!na_ut_valid(text, len, &bad)) {
        unsigned line = 1;
        size_t ls = 0;
        for (size_t i = 0; i < bad; i++)
            if (text[i] == '\n') {
                line++;
                ls = i + 1;
            }
        na_err_set(err, NA_E_CONFIG, "%s:%u:%u: the template is not valid UTF-8 (byte 0x%02x)",
                   name, line, (unsigned)na_ut_len(text + ls, bad - ls) + 1,
                   (unsigned char)text[bad]);
        return NULL;
    }
    na_tfsm *t = calloc(1, sizeof *t);
    char *norm = malloc(len + 1);
    if (!t || !norm || !(t->name = strdup(name))) {
        free(norm);
        na_tfsm_free(t);
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    size_t k = 0; /* universal newlines: \r\n and \r become \n */
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\r') {
            norm[k++] = '\n';
            if (i + 1 < len && text[i + 1] == '\n')
                i++;
        } else {
            norm[k++] = text[i];
        }
    }
    norm[k] = '\0';
    tfl_ctx L = {.t = t, .name = t->name, .text = norm, .len = k, .err = err};
    int rc = parse_values(&L);
    while (rc == 0) {
        int got = parse_state(&L);
        if (got < 0)
            rc = -1;
        if (got <= 0)
            break;
    }
    if (rc == 0)
        rc = validate(&L);
    free(norm);
    if (rc < 0) {
        na_tfsm_free(t);
        return NULL;
    }
    for (size_t i = 0; i < t->nstates; i++)
        for (size_t j = 0; j < t->states[i].nrules; j++) {
            uint32_t g = na_pyre_groups(t->states[i].rules[j].re);
            if (g > t->max_groups)
                t->max_groups = g;
        }
    return t;
}

na_tfsm *na_tfsm_load_file(const char *path, na_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        na_err_set(err, NA_E_IO, "%s: %s", path, strerror(errno));
        return NULL;
    }
    na_buf b;
    na_buf_init(&b, NA_TFSM_MAX_TEMPLATE);
    char chunk[16384];
    size_t got;
    int rc = 0;
    while (rc == 0 && (got = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = na_buf_append(&b, chunk, got, "the template", err);
    bool ioerr = ferror(f);
    fclose(f);
    if (rc == 0 && ioerr)
        rc = na_err_set(err, NA_E_IO, "%s: read error", path);
    if (rc < 0) {
        na_err_prefix(err, "%s: ", path);
        na_buf_free(&b);
        return NULL;
    }
    na_tfsm *t = na_tfsm_load(path, na_buf_cstr(&b), b.len, err);
    na_buf_free(&b);
    return t;
}

void na_tfsm_free(na_tfsm *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nvalues; i++) {
        free(t->values[i].name);
        free(t->values[i].regex);
        free(t->values[i].tmpl);
        na_pyre_free(t->values[i].list_re);
    }
    free(t->values);
    for (size_t i = 0; i < t->nstates; i++) {
        for (size_t j = 0; j < t->states[i].nrules; j++) {
            tf_rule *r = &t->states[i].rules[j];
            na_pyre_free(r->re);
            free(r->new_state);
            free(r->agroup);
            free(r->avalue);
        }
        free(t->states[i].rules);
        free(t->states[i].name);
    }
    free(t->states);
    free(t->name);
    free(t);
}

const char *na_tfsm_name(const na_tfsm *t) { return t->name; }
size_t na_tfsm_value_count(const na_tfsm *t) { return t->nvalues; }
const char *na_tfsm_value_name(const na_tfsm *t, size_t i)
{
    return i < t->nvalues ? t->values[i].name : NULL;
}
unsigned na_tfsm_value_options(const na_tfsm *t, size_t i)
{
    return i < t->nvalues ? t->values[i].bits : 0;
}
