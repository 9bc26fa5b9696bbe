/* tpl_int.h — the compiled form of a template, shared by the parser (tpl_parse.c), the
 * evaluator (tpl_eval.c) and the filters (tpl_filters.c). Not a public interface. */
#ifndef NA_TPL_INT_H
#define NA_TPL_INT_H

#include "template.h"

typedef enum {
    X_VAR,     /* s = name */
    X_ATTR,    /* a = object, s = field */
    X_INDEX,   /* a = object, b = index expression */
    X_LIT,     /* lit = value */
    X_LIST,    /* a = first item (chained by next) */
    X_FILTER,  /* a = input, s = filter name, b = first argument (chained by next) */
    X_NOT,     /* a */
    X_AND,     /* a, b */
    X_OR,      /* a, b */
    X_CMP,     /* op, a, b */
    X_DEFINED, /* a; op = 1 for "is not defined" */
    X_CONCAT,  /* a ~ b: both as text */
} xkind;

typedef enum { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_IN, OP_NOTIN } xop;

typedef struct xnode {
    xkind k;
    int op;
    int a, b, next; /* node indexes, -1 = none */
    char *s;        /* owned */
    char *kw;       /* a filter argument given as name=value: the name (owned) */
    json_t *lit;    /* owned */
    unsigned off, len; /* source span (for messages) */
} xnode;

typedef struct tseg {
    int expr;      /* 1: expression rooted at `root`; 0: literal text */
    char *text;    /* literal text (owned), or the "{{ ... }}" source for expressions */
    size_t len;
    int root;
} tseg;

struct na_tpl {
    char *src;
    tseg *segs;
    size_t nsegs;
    xnode *nodes;
    size_t nnodes, cap;
    bool single;   /* exactly one expression: native value */
};

/* The evaluator's value: a JSON value, an undefined value (with the reason, so that default()
 * and `is defined` can handle it and everything else can report it), or unknown-until-runtime.
 * `raw` is false for values that may still contain lazily evaluated template strings. */
typedef enum { TV_VAL, TV_UNDEF, TV_UNKNOWN } tvkind;
typedef struct tv {
    tvkind k;
    bool raw;
    json_t *j;     /* owned reference when k == TV_VAL */
    char why[200]; /* for TV_UNDEF */
} tv;

void na_tv_clear(tv *v);
int na_tv_use(tv *v, na_tpl_env *env, na_err *err); /* resolve lazy templates deeply; -1 error */
int na_tpl_eval_node(const na_tpl *t, int idx, na_tpl_env *env, tv *out, na_err *err);
/* Apply filter node `idx` to the already evaluated input. */
int na_tpl_filter(const na_tpl *t, const xnode *f, tv *in, na_tpl_env *env, tv *out, na_err *err);
/* Describe the path of a node ("vlans[0].name") into buf. */
void na_tpl_path(const na_tpl *t, int idx, char *buf, size_t cap);
bool na_tpl_filter_known(const char *name);
/* NULL when the arguments suit the filter, else what is wrong ("takes no arguments",
 * "has no argument 'x'"); kws are the keyword names of the nargs arguments (NULL: positional),
 * written into buf. */
const char *na_tpl_filter_args(const char *name, const char *const *kws, int nargs, char *buf,
                            size_t cap);
#define TPL_FILTER_NAMES                                                                       \
    "default (d), upper, lower, join, length (count), trim, replace, int, string, "            \
    "regex_search, regex_replace, split, first, last, unique, sort, min, max, items2dict"

/* The filters added for Ansible playbooks (tpl_fextra.c). args[i] is the value bound to the
 * filter's i-th parameter (NULL: not given); groups: regex_search's extra positional
 * arguments. Set *out (a new reference) or return -1 with err. */
int na_tpl_f_regex_search(const json_t *in, const json_t *const *args, const json_t *const *groups,
                       size_t ngroups, json_t **out, na_err *err);
int na_tpl_f_regex_replace(const json_t *in, const json_t *const *args, json_t **out,
                        na_err *err);
int na_tpl_f_split(const json_t *in, const json_t *const *args, json_t **out, na_err *err);
/* first/last: *out NULL (undefined) for an empty sequence */
int na_tpl_f_first_last(const char *name, const json_t *in, json_t **out, na_err *err);
int na_tpl_f_unique(const json_t *in, const json_t *const *args, json_t **out, na_err *err);
int na_tpl_f_sort(const json_t *in, const json_t *const *args, json_t **out, na_err *err);
/* min/max: *out NULL (undefined) for an empty list */
int na_tpl_f_min_max(const char *name, const json_t *in, const json_t *const *args, json_t **out,
                  na_err *err);


#endif
