/* tfsm_rule.c — one TextFSM rule line: the regex and the `->` action split the way
 * python3-textfsm splits them (its own MATCH_ACTION / ACTION_RE / ACTION2_RE / ACTION3_RE
 * regexes, compiled here through pyre.h so that \s and \w mean what they mean there), ${VALUE}
 * and $VALUE substitution with string.Template's rules ($$ is a literal $, any other $ is an
 * error), the regex compiled, the action checked, and which named groups assign which Values.
 * Not the rest of the template (tfsm_load.c). */
#include "tfsm_load.h"
#include "utext.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ---- TextFSM's own regexes ----------------------------------------------------------------- */

enum { M_MATCH_ACTION, M_ACTION, M_ACTION2, M_ACTION3, M_STATE_NAME, M_WORD, M__N };
static na_pyre *meta[M__N];
static pthread_once_t meta_once = PTHREAD_ONCE_INIT;

#define LINE_OP_RE "(?P<ln_op>Continue|Next|Error)"
#define RECORD_OP_RE "(?P<rec_op>Clear|Clearall|Record|NoRecord)"
#define OPERATOR_RE "(" LINE_OP_RE "(\\." RECORD_OP_RE ")?)"
#define NEWSTATE_RE "(?P<new_state>\\w+|\\\".*\\\")"

static void meta_init(void)
{
    static const char *const src[M__N] = {
        "(?P<match>.*)(\\s->(?P<action>.*))",
        "\\s+" OPERATOR_RE "(\\s+" NEWSTATE_RE ")?$",
        "\\s+" RECORD_OP_RE "(\\s+" NEWSTATE_RE ")?$",
        "(\\s+" NEWSTATE_RE ")?$",
        "^(\\w+)$",
        "\\w+",
    };
    for (int i = 0; i < M__N; i++) {
        na_pyre_err e;
        meta[i] = na_pyre_compile(src[i], -1, NA_PYRE_MATCH, &e);
    }
}

static bool meta_ok(void)
{
    pthread_once(&meta_once, meta_init);
    for (int i = 0; i < M__N; i++)
        if (!meta[i])
            return false;
    return true;
}

/* Group `name` of the last match of re in m: true with its offsets when it took part. */
static bool named(const na_pyre *re, na_pyre_matcher *m, const char *name, size_t *s, size_t *e)
{
    for (size_t i = 0; i < na_pyre_named_count(re); i++) {
        uint32_t g;
        if (!strcmp(na_pyre_named(re, i, &g), name))
            return na_pyre_group(m, g, s, e);
    }
    return false;
}

bool na_tfl_state_name_ok(const char *s, size_t n)
{
    if (!meta_ok())
        return false;
    na_pyre_matcher *m = na_pyre_matcher_new(NULL);
    bool ok = m && na_pyre_match(meta[M_STATE_NAME], m, s, n) == 1;
    na_pyre_matcher_free(m);
    return ok;
}

/* ---- ${VALUE} substitution (string.Template.substitute) ------------------------------------ */

static bool id_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool id_char(char c) { return id_start(c) || (c >= '0' && c <= '9'); }

static const tf_value *value_named(const na_tfsm *t, const char *s, size_t n)
{
    for (size_t i = 0; i < t->nvalues; i++)
        if (strlen(t->values[i].name) == n && !memcmp(t->values[i].name, s, n))
            return &t->values[i];
    return NULL;
}

/* 0 with out filled; 1 when Template.substitute would raise (KeyError or ValueError), with
 * *where the byte offset of the offending $. */
static int substitute(const na_tfsm *t, const char *s, size_t n, na_buf *out, size_t *where,
                      na_err *err)
{
    for (size_t i = 0; i < n;) {
        if (s[i] != '$') {
            const char *d = memchr(s + i, '$', n - i);
            size_t len = d ? (size_t)(d - s - i) : n - i;
            if (na_buf_append(out, s + i, len, NULL, err) < 0)
                return -1;
            i += len;
            continue;
        }
        *where = i;
        size_t j = i + 1;
        if (j < n && s[j] == '$') {
            if (na_buf_append(out, "$", 1, NULL, err) < 0)
                return -1;
            i = j + 1;
            continue;
        }
        size_t ns, ne;
        if (j < n && id_start(s[j])) {
            ns = j;
            ne = j + 1;
            while (ne < n && id_char(s[ne]))
                ne++;
            i = ne;
        } else if (j + 1 < n && s[j] == '{' && id_start(s[j + 1])) {
            ns = j + 1;
            ne = ns + 1;
            while (ne < n && id_char(s[ne]))
                ne++;
            if (ne >= n || s[ne] != '}')
                return 1;
            i = ne + 1;
        } else {
            return 1;
        }
        const tf_value *v = value_named(t, s + ns, ne - ns);
        if (!v)
            return 1;
        if (na_buf_puts(out, v->tmpl, err) < 0)
            return -1;
    }
    return 0;
}

/* ---- the rule ------------------------------------------------------------------------------ */

static int set_assignments(tfl_ctx *L, tf_rule *r)
{
    const na_tfsm *t = L->t;
    size_t nn = na_pyre_named_count(r->re);
    if (!nn)
        return 0;
    r->agroup = calloc(nn, sizeof *r->agroup);
    r->avalue = calloc(nn, sizeof *r->avalue);
    if (!r->agroup || !r->avalue)
        return na_err_set(L->err, NA_E_NOMEM, "out of memory");
    for (size_t i = 0; i < nn; i++) {
        uint32_t g;
        const char *name = na_pyre_named(r->re, i, &g);
        for (size_t v = 0; v < t->nvalues; v++)
            if (!strcmp(t->values[v].name, name)) {
                r->agroup[r->nassign] = g;
                r->avalue[r->nassign++] = v;
                break;
            }
    }
    return 0;
}

static bool is(const char *s, size_t n, const char *w) { return strlen(w) == n && !memcmp(s, w, n); }

int na_tfl_parse_rule(tfl_ctx *L, const char *s, size_t n, tf_rule *r)
{
    unsigned ln = L->line_num;
    size_t lead = na_ut_lstrip(s, n);
    const char *line = s + lead;
    size_t len = n - lead;
    unsigned col0 = na_tfl_col(s, lead);
    r->line = ln;
    r->line_op = LOP_NEXT;
    r->rec_op = ROP_NORECORD;
    if (!meta_ok())
        return na_err_set(L->err, NA_E_INTERNAL, "TextFSM's rule regexes failed to compile");
    na_pyre_matcher *m = na_pyre_matcher_new(NULL);
    if (!m)
        return na_err_set(L->err, NA_E_NOMEM, "out of memory");
    int rc = -1;
    size_t ms = 0, me = len, as = 0, ae = 0;
    bool has_action = na_pyre_match(meta[M_MATCH_ACTION], m, line, len) == 1;
    if (has_action) {
        named(meta[M_MATCH_ACTION], m, "match", &ms, &me);
        named(meta[M_MATCH_ACTION], m, "action", &as, &ae);
    }
    char *match = malloc(me - ms + 1);
    na_buf re;
    na_buf_init(&re, 0);
    if (!match) {
        na_err_set(L->err, NA_E_NOMEM, "out of memory");
        goto out;
    }
    memcpy(match, line + ms, me - ms);
    match[me - ms] = '\0';
    if (L->t->nvalues) { /* TextFSM substitutes only when the template has Values */
        size_t where = 0;
        int sr = substitute(L->t, match, me - ms, &re, &where, L->err);
        if (sr < 0)
            goto out;
        if (sr > 0) {
            na_tfl_err(L, NA_E_CONFIG, ln, col0 + (unsigned)na_ut_len(match, where), NULL,
                    "Duplicate or invalid variable substitution: '%s'. Line: %u.", match, ln);
            goto out;
        }
    } else if (na_buf_puts(&re, match, L->err) < 0) {
        goto out;
    }
    na_pyre_err pe;
    r->re = na_pyre_compile(na_buf_cstr(&re), (long)re.len, NA_PYRE_MATCH, &pe);
    if (!r->re) { /* point at the error when no substitution came before it */
        const char *dollar = memchr(match, '$', me - ms);
        size_t before = na_ut_len(match, dollar ? (size_t)(dollar - match) : me - ms);
        unsigned col = col0 + (pe.has_pos && pe.pos < before ? (unsigned)pe.pos : 0);
        na_tfl_regex_err(L, &pe, ln, col, na_buf_cstr(&re));
        goto out;
    }
    if (!(r->new_state = strdup("")))
        goto nomem;
    if (has_action) {
        const char *a = line + as;
        size_t al = ae - as;
        unsigned acol = col0 + (unsigned)na_ut_len(line, me);
        const na_pyre *which = NULL;
        for (int k = M_ACTION; k <= M_ACTION3 && !which; k++)
            if (na_pyre_match(meta[k], m, a, al) == 1)
                which = meta[k];
        if (!which) {
            na_tfl_err(L, NA_E_CONFIG, ln, acol, NULL, "Badly formatted rule '%.*s'. Line: %u.",
                    (int)len, line, ln);
            goto out;
        }
        size_t gs, ge;
        if (named(which, m, "ln_op", &gs, &ge) && ge > gs)
            r->line_op = is(a + gs, ge - gs, "Continue") ? LOP_CONTINUE
                       : is(a + gs, ge - gs, "Error")    ? LOP_ERROR
                                                         : LOP_NEXT;
        if (named(which, m, "rec_op", &gs, &ge) && ge > gs)
            r->rec_op = is(a + gs, ge - gs, "Record")     ? ROP_RECORD
                      : is(a + gs, ge - gs, "Clear")      ? ROP_CLEAR
                      : is(a + gs, ge - gs, "Clearall")   ? ROP_CLEARALL
                                                          : ROP_NORECORD;
        if (named(which, m, "new_state", &gs, &ge) && ge > gs) {
            free(r->new_state);
            if (!(r->new_state = malloc(ge - gs + 1)))
                goto nomem;
            memcpy(r->new_state, a + gs, ge - gs);
            r->new_state[ge - gs] = '\0';
        }
        if (r->line_op == LOP_CONTINUE && *r->new_state) {
            na_tfl_err(L, NA_E_CONFIG, ln, acol, NULL,
                    "Action 'Continue' with new state %s specified. Line: %u.", r->new_state, ln);
            goto out;
        }
        if (r->line_op != LOP_ERROR && *r->new_state &&
            na_pyre_match(meta[M_WORD], m, r->new_state, strlen(r->new_state)) != 1) {
            na_tfl_err(L, NA_E_CONFIG, ln, acol, NULL,
                    "Alphanumeric characters only in state names. Line: %u.", ln);
            goto out;
        }
    }
    rc = set_assignments(L, r);
    goto out;
nomem:
    na_err_set(L->err, NA_E_NOMEM, "out of memory");
out:
    free(match);
    na_buf_free(&re);
    na_pyre_matcher_free(m);
    return rc;
}
