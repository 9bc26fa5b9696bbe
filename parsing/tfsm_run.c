/* tfsm_run.c — running a TextFSM template over text: python3-textfsm's ParseText, _CheckLine,
 * _Operations, _AppendRecord and the option callbacks (Required, Filldown, Fillup, List) in the
 * same order with the same effects, including the corners (the implicit record at the end
 * unless End was reached or an EOF state is declared, a record left out when every value is
 * empty, List values copied at each record, Fillup writing back into earlier records). Bounded:
 * input size, result size, a deadline, and PCRE2's limits on every match. Not the template
 * reader (tfsm_load.c). */
#include "clock.h"
#include "tfsm_int.h"
#include "utext.h"

#include <stdlib.h>
#include <string.h>

#define DEF_MAX_INPUT ((size_t)256 << 20)
#define DEF_MAX_RESULT ((size_t)512 << 20)
#define DEF_TIMEOUT_MS 60000

typedef struct vrun {
    tf_cell value;        /* value.value: None, a str, or (after a record) a list */
    bool fd_set;          /* Filldown's _myvar (None when !fd_set) */
    tf_cell fd;
    tf_item *acc;         /* List's _value */
    size_t nacc, capacc;
} vrun;

typedef struct run {
    const na_tfsm *t;
    na_tfsm_result *res;
    vrun *v;
    na_pyre_matcher *m, *lm;
    int cur;              /* current state index */
    int stop;             /* 0, ST_END or ST_EOF once a rule went there */
    size_t max_result;
    size_t input_line;
    na_err *err;
} run;

static bool truthy(const tf_cell *c) { return c->k != TC_NONE && c->n; }

static int charge(run *R, size_t bytes)
{
    R->res->bytes += bytes;
    if (R->res->bytes > R->max_result)
        return na_err_set(R->err, NA_E_OVERFLOW,
                          "%s: the records would take more than %zu bytes (a Filldown or List "
                          "value repeated in every record?)",
                          R->t->name, R->max_result);
    return 0;
}

static int nomem(run *R) { return na_err_set(R->err, NA_E_NOMEM, "out of memory"); }

/* ---- value callbacks ------------------------------------------------------------------------ */

static int list_append(run *R, vrun *v, tf_item it)
{
    if (v->nacc == v->capacc) {
        size_t cap = v->capacc ? v->capacc * 2 : 8;
        tf_item *a = realloc(v->acc, cap * sizeof *a);
        if (!a)
            return nomem(R);
        v->acc = a;
        v->capacc = cap;
    }
    v->acc[v->nacc++] = it;
    return charge(R, sizeof it + (it.k == TI_STR ? it.n : 0));
}

/* List.OnAssignVar for value vi: the regex alone, matched again on the value, gives a mapping
 * of its named groups when it has any (and more than one group). */
static int list_assign(run *R, size_t vi, bool has, const char *s, size_t n)
{
    const tf_value *tv = &R->t->values[vi];
    vrun *v = &R->v[vi];
    tf_item it = has ? tf_item_str(s, n) : (tf_item){NULL, 0, TI_NONE};
    if (tv->list_groups > 1) {
        if (!has)
            return na_err_set(R->err, NA_E_PARSE,
                              "%s:%u:1: List value '%s': its regex has groups but it did not "
                              "take part in the match [python3-textfsm raises TypeError here; "
                              "input line %zu]",
                              R->t->name, tv->line, tv->name, R->input_line);
        int rc = na_pyre_match(tv->list_re, R->lm, s, n);
        if (rc < 0)
            return na_err_set(R->err, NA_E_OVERFLOW, "%s:%u:1: List value '%s': %s [input "
                              "line %zu]", R->t->name, tv->line, tv->name,
                              na_pyre_matcher_error(R->lm), R->input_line);
        size_t nn = na_pyre_named_count(tv->list_re);
        if (rc == 1 && nn) {
            tf_dict *d = na_tf_arena_alloc(&R->res->arena, sizeof *d);
            tf_item *vals = na_tf_arena_alloc(&R->res->arena, nn * sizeof *vals);
            if (!d || !vals)
                return nomem(R);
            for (size_t i = 0; i < nn; i++) {
                uint32_t g;
                size_t gs, ge;
                na_pyre_named(tv->list_re, i, &g);
                if (na_pyre_group(R->lm, g, &gs, &ge))
                    vals[i] = tf_item_str(s + gs, ge - gs);
                else
                    vals[i] = (tf_item){NULL, 0, TI_NONE};
            }
            d->n = nn;
            d->names = (const char *const *)R->res->dict_names[vi];
            d->vals = vals;
            it = (tf_item){d, 0, TI_DICT};
            if (charge(R, nn * (sizeof *vals + 16) + n) < 0)
                return -1;
        }
    }
    return list_append(R, v, it);
}

/* TextFSMValue.AssignVar: the value, then each option's OnAssignVar in declaration order. */
static int assign(run *R, size_t vi, bool has, const char *s, size_t n)
{
    const tf_value *tv = &R->t->values[vi];
    vrun *v = &R->v[vi];
    v->value = has ? tf_cell_str(s, n) : tf_cell_none();
    for (size_t o = 0; o < tv->nopts; o++) {
        switch (tv->opts[o]) {
        case O_FILLDOWN:
            v->fd_set = has;
            v->fd = v->value;
            break;
        case O_FILLUP:
            if (has && n)
                for (size_t r = R->res->nrows; r-- > 0;) {
                    tf_cell *c = &R->res->rows[r][vi];
                    if (truthy(c))
                        break;
                    *c = v->value;
                }
            break;
        case O_LIST:
            if (list_assign(R, vi, has, s, n) < 0)
                return -1;
            break;
        default:
            break;
        }
    }
    return 0;
}

/* _ClearRecord (all = false) / _ClearAllRecord (all = true). */
static void clear(run *R, bool all)
{
    for (size_t vi = 0; vi < R->t->nvalues; vi++) {
        const tf_value *tv = &R->t->values[vi];
        vrun *v = &R->v[vi];
        v->value = tf_cell_none();
        for (size_t o = 0; o < tv->nopts; o++) {
            if (tv->opts[o] == O_FILLDOWN) {
                if (all)
                    v->fd_set = false;
                else if (v->fd_set)
                    v->value = v->fd;
            } else if (tv->opts[o] == O_LIST) {
                if (all || !(tv->bits & NA_TFSM_OPT_FILLDOWN))
                    v->nacc = 0;
            }
        }
    }
}

/* _AppendRecord. */
static int record(run *R)
{
    const na_tfsm *t = R->t;
    na_tfsm_result *res = R->res;
    if (!t->nvalues)
        return 0;
    for (size_t vi = 0; vi < t->nvalues; vi++) {
        const tf_value *tv = &t->values[vi];
        vrun *v = &R->v[vi];
        for (size_t o = 0; o < tv->nopts; o++) {
            if (tv->opts[o] == O_REQUIRED && !truthy(&v->value)) {
                clear(R, false); /* SkipRecord */
                return 0;
            }
            if (tv->opts[o] == O_LIST) {
                tf_item *copy = NULL;
                if (v->nacc) {
                    copy = na_tf_arena_alloc(&res->arena, v->nacc * sizeof *copy);
                    if (!copy)
                        return nomem(R);
                    memcpy(copy, v->acc, v->nacc * sizeof *copy);
                }
                v->value = (tf_cell){copy, (uint32_t)v->nacc, TC_LIST};
            }
        }
    }
    bool any = false;
    size_t bytes = t->nvalues * sizeof(tf_cell);
    for (size_t vi = 0; vi < t->nvalues; vi++) {
        const tf_cell *c = &R->v[vi].value;
        any |= c->k == TC_STR || (c->k == TC_LIST && c->n);
        bytes += c->k == TC_STR ? c->n : 0;
        const tf_item *items = c->k == TC_LIST ? c->p : NULL;
        for (size_t i = 0; items && i < c->n; i++)
            bytes += sizeof(tf_item) + (items[i].k == TI_STR ? items[i].n : 16);
    }
    if (!any)
        return 0;
    if (charge(R, bytes) < 0)
        return -1;
    if (res->nrows == res->cap) {
        size_t cap = res->cap ? res->cap * 2 : 64;
        tf_cell **rows = realloc(res->rows, cap * sizeof *rows);
        if (!rows)
            return nomem(R);
        res->rows = rows;
        res->cap = cap;
    }
    tf_cell *row = na_tf_arena_alloc(&res->arena, t->nvalues * sizeof *row);
    if (!row)
        return nomem(R);
    for (size_t vi = 0; vi < t->nvalues; vi++) {
        row[vi] = R->v[vi].value;
        if (row[vi].k == TC_NONE)
            row[vi] = tf_cell_str("", 0);
    }
    res->rows[res->nrows++] = row;
    clear(R, false);
    return 0;
}

/* The input line for a message: NUL characters (which a C string cannot hold) as \x00. */
static const char *line_for_msg(const char *line, size_t len, char *buf, size_t cap, int *n)
{
    if (!memchr(line, '\0', len)) {
        *n = (int)(len < (size_t)NA_ERR_MSG_MAX ? len : NA_ERR_MSG_MAX);
        return line;
    }
    size_t k = 0;
    for (size_t i = 0; i < len && k + 5 < cap; i++) {
        if (line[i]) {
            buf[k++] = line[i];
        } else {
            memcpy(buf + k, "\\x00", 4);
            k += 4;
        }
    }
    *n = (int)k;
    return buf;
}

/* _Operations: 1 = go on with the next line, 0 = Continue, -1 = error. */
static int operations(run *R, const tf_rule *r, const char *line, size_t len)
{
    int rc = 0;
    if (r->rec_op == ROP_RECORD)
        rc = record(R);
    else if (r->rec_op == ROP_CLEAR)
        clear(R, false);
    else if (r->rec_op == ROP_CLEARALL)
        clear(R, true);
    if (rc < 0)
        return -1;
    if (r->line_op == LOP_ERROR) {
        char buf[NA_ERR_MSG_MAX];
        int n;
        line = line_for_msg(line, len, buf, sizeof buf, &n);
        len = (size_t)n;
        if (*r->new_state)
            return na_err_set(R->err, NA_E_PARSE,
                              "%s:%u:1: Error: %s. Rule Line: %u. Input Line: %.*s. [input line "
                              "%zu]", R->t->name, r->line, r->new_state, r->line, (int)len, line,
                              R->input_line);
        return na_err_set(R->err, NA_E_PARSE,
                          "%s:%u:1: State Error raised. Rule Line: %u. Input Line: %.*s [input "
                          "line %zu]", R->t->name, r->line, r->line, (int)len, line,
                          R->input_line);
    }
    return r->line_op == LOP_CONTINUE ? 0 : 1;
}

/* _CheckLine. */
static int check_line(run *R, const char *line, size_t len)
{
    const tf_state *st = &R->t->states[R->cur];
    for (size_t i = 0; i < st->nrules; i++) {
        const tf_rule *r = &st->rules[i];
        int rc = na_pyre_match(r->re, R->m, line, len);
        if (rc < 0)
            return na_err_set(R->err, NA_E_OVERFLOW, "%s:%u:1: %s [input line %zu]", R->t->name,
                              r->line, na_pyre_matcher_error(R->m), R->input_line);
        if (rc == 0)
            continue;
        for (size_t k = 0; k < r->nassign; k++) {
            size_t gs = 0, ge = 0;
            bool has = na_pyre_group(R->m, r->agroup[k], &gs, &ge);
            if (assign(R, r->avalue[k], has, line + gs, ge - gs) < 0)
                return -1;
        }
        rc = operations(R, r, line, len);
        if (rc < 0)
            return -1;
        if (rc) {
            if (r->target >= 0)
                R->cur = r->target;
            else if (r->target != ST_NONE)
                R->stop = r->target;
            break;
        }
    }
    return 0;
}

static int setup_result(run *R)
{
    const na_tfsm *t = R->t;
    na_tfsm_result *res = R->res;
    size_t n = t->nvalues;
    res->ncols = n;
    res->header = calloc(n ? n : 1, sizeof *res->header);
    res->dict_names = calloc(n ? n : 1, sizeof *res->dict_names);
    res->dict_n = calloc(n ? n : 1, sizeof *res->dict_n);
    if (!res->header || !res->dict_names || !res->dict_n)
        return nomem(R);
    for (size_t i = 0; i < n; i++) {
        if (!(res->header[i] = strdup(t->values[i].name)))
            return nomem(R);
        const na_pyre *lr = t->values[i].list_re;
        size_t nn = lr ? na_pyre_named_count(lr) : 0;
        if (!nn)
            continue;
        if (!(res->dict_names[i] = calloc(nn, sizeof **res->dict_names)))
            return nomem(R);
        res->dict_n[i] = nn;
        for (size_t k = 0; k < nn; k++)
            if (!(res->dict_names[i][k] = strdup(na_pyre_named(lr, k, NULL))))
                return nomem(R);
    }
    return 0;
}

na_tfsm_result *na_tfsm_parse(const na_tfsm *t, const char *text, size_t len,
                              const na_tfsm_limits *lim, na_err *err)
{
    size_t max_input = lim && lim->max_input ? lim->max_input : DEF_MAX_INPUT;
    int64_t timeout = lim && lim->timeout_ms ? lim->timeout_ms : DEF_TIMEOUT_MS;
    if (max_input > UINT32_MAX - 1)
        max_input = UINT32_MAX - 1; /* cells hold 32-bit lengths */
    if (len > max_input) {
        na_err_set(err, NA_E_OVERFLOW, "%s: the text has %zu bytes, more than the %zu a parse "
                   "takes", t->name, len, max_input);
        return NULL;
    }
    na_tfsm_result *res = calloc(1, sizeof *res);
    run R = {.t = t, .res = res, .err = err, .cur = t->start,
             .max_result = lim && lim->max_result ? lim->max_result : DEF_MAX_RESULT};
    na_pyre_limits pl = {.match_limit = lim ? lim->match_limit : 0};
    if (!res) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    res->arena.max = (size_t)-1;
    R.v = calloc(t->nvalues ? t->nvalues : 1, sizeof *R.v);
    R.m = na_pyre_matcher_new(&pl);
    R.lm = na_pyre_matcher_new(&pl);
    if (!R.v || !R.m || !R.lm || setup_result(&R) < 0)
        goto fail_nomem;
    char *clean;
    size_t clen;
    if (na_ut_sanitize(text, len, max_input * 2, &clean, &clen, err) < 0)
        goto fail;
    if (!clean && lim && lim->borrow_text) {
        clean = (char *)text; /* only read; res->text stays NULL (nothing to free) */
    } else {
        if (!clean) {
            if (!(clean = malloc(len + 1)))
                goto fail_nomem;
            memcpy(clean, text, len);
            clean[len] = '\0';
        }
        res->text = clean;
    }
    int64_t deadline = na_now_ms() + timeout;
    clear(&R, true); /* Reset() */
    size_t pos = 0;
    const char *line;
    size_t ll;
    while (na_ut_next_line(clean, clen, &pos, &line, &ll)) {
        R.input_line++;
        if ((R.input_line & 63) == 0 && na_now_ms() > deadline) {
            na_err_set(err, NA_E_TIMEOUT, "%s: parsing took longer than %lld ms (stopped at "
                       "input line %zu)", t->name, (long long)timeout, R.input_line);
            goto fail;
        }
        if (check_line(&R, line, ll) < 0)
            goto fail;
        if (R.stop)
            break;
    }
    if (R.stop != ST_END && !t->has_eof && record(&R) < 0)
        goto fail;
    for (size_t i = 0; i < t->nvalues; i++)
        free(R.v[i].acc);
    free(R.v);
    na_pyre_matcher_free(R.m);
    na_pyre_matcher_free(R.lm);
    return res;
fail_nomem:
    na_err_set(err, NA_E_NOMEM, "out of memory");
fail:
    for (size_t i = 0; R.v && i < t->nvalues; i++)
        free(R.v[i].acc);
    free(R.v);
    na_pyre_matcher_free(R.m);
    na_pyre_matcher_free(R.lm);
    na_tfsm_result_free(res);
    return NULL;
}
