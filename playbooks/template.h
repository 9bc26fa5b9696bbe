/* template.h — netauto's templating engine: Jinja-like `{{ expression }}` substitution over
 * jansson values, usable on its own (the daemon renders extra vars with it) and by playbooks.
 * Not Jinja: there are no `{% %}` blocks, no macros, no arithmetic; see docs/playbooks.md.
 *
 * Expressions: variables and paths (`item`, `item.name`, `vlans[0].id`, `x['key']`, `x[i]`),
 * literals ('str', "str", 42, 1.5, true/false, none, [a, b]), filters (`| default(x)`,
 * `| upper`, `| lower`, `| join(',')`, `| length`, `| trim`, `| replace(a, b)`, `| int`,
 * `| string`, `| items2dict(key, value)`), tests (`x is defined`, `x is not defined`),
 * comparisons (== != < <= > >= in, not in) and `and`, `or`, `not`, parentheses. Literal
 * braces: `{{ '{{' }}`.
 *
 * A template that is exactly one `{{ expression }}` (whitespace around it allowed) evaluates to
 * the expression's native value (a list stays a list); anything else renders to a string.
 *
 * Variables come from a lookup callback, so callers decide scopes and precedence. Values found
 * through NA_TPL_FOUND are themselves templates when they are strings containing `{{` (like
 * Ansible's lazy variables); NA_TPL_FOUND_RAW values (device output, already-rendered values)
 * are never re-evaluated. NA_TPL_UNKNOWN marks a value that exists only at runtime (a result
 * registered by an earlier task, during validation): evaluation then reports "unknown" instead of
 * failing. Errors are plain messages ("undefined variable 'vlan_list'"); the caller adds the
 * position (file:line:column). */
#ifndef NA_TEMPLATE_H
#define NA_TEMPLATE_H

#include "buf.h"
#include "err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Limits (errors past them, never unbounded work). */
#define NA_TPL_MAX_SRC ((size_t)1 << 20)     /* bytes of one template */
#define NA_TPL_MAX_NODES 4096                /* expression nodes in one template */
#define NA_TPL_MAX_NEST 64                   /* parentheses/filters/path nesting */
#define NA_TPL_MAX_DEPTH 32                  /* variables defined through other variables */
#define NA_TPL_MAX_OUT ((size_t)16 << 20)    /* bytes of one rendered string */
/* Work per environment (one task expansion, one na_tpl_render_string): expression nodes
 * evaluated, variable values walked, bytes of lazy templates compiled. Variables that use each
 * other twice over are exponential ("{{ b }}{{ b }}", b: "{{ c }}{{ c }}", ...) in a few lines. */
#define NA_TPL_MAX_STEPS 1000000ul

typedef struct na_tpl na_tpl;

/* Lookup results. */
enum {
    NA_TPL_UNDEF = 0,     /* no such variable */
    NA_TPL_FOUND = 1,     /* *out is a new reference; strings in it may be templates */
    NA_TPL_FOUND_RAW = 2, /* *out is a new reference; taken literally */
    NA_TPL_UNKNOWN = 3,   /* defined, but its value is only known at runtime */
};

/* Evaluation results. */
enum { NA_TPL_OK = 0, NA_TPL_UNKNOWN_VALUE = 1 };

typedef struct na_tpl_env na_tpl_env;
/* Look `name` up. Return one of the NA_TPL_* lookup results, or -1 with err set. On FOUND and
 * FOUND_RAW *out must be a new reference (the engine releases it). The callback may evaluate
 * templates itself with the same env (nesting is counted in env->depth). */
typedef int (*na_tpl_lookup_fn)(na_tpl_env *env, const char *name, json_t **out, na_err *err);

struct na_tpl_env {
    na_tpl_lookup_fn lookup;
    void *ud;      /* for the callback */
    int depth;     /* maintained by the engine; start at 0 */
    unsigned long steps; /* work done with this env (NA_TPL_MAX_STEPS); start at 0 */
};

/* Count n units of work a lookup callback did for the engine (walking its own data). 0, or -1
 * with NA_E_CONFIG once the env's total passes NA_TPL_MAX_STEPS; every later evaluation with
 * this env then fails the same way. */
int na_tpl_charge(na_tpl_env *env, unsigned long n, na_err *err);

/* A ready-made scope: up to NA_TPL_MAX_LAYERS JSON objects, highest precedence first. Values are
 * FOUND (strings may be templates) unless `raw` is set. The objects are borrowed. */
#define NA_TPL_MAX_LAYERS 8
typedef struct na_tpl_layers {
    const json_t *layer[NA_TPL_MAX_LAYERS];
    size_t n;
    bool raw;
} na_tpl_layers;
/* Point env at layers (which must outlive env's use). */
void na_tpl_env_layers(na_tpl_env *env, na_tpl_layers *layers);

/* Does s contain template syntax ("{{", "{%" or "{#")? Strings without it are plain text. */
bool na_tpl_has_syntax(const char *s);

/* Compile a template (text with `{{ }}`). NULL + err (NA_E_CONFIG, message without position) on
 * a syntax error. Caller frees with na_tpl_free. */
na_tpl *na_tpl_compile(const char *src, na_err *err);
/* Compile a bare expression (no braces), as used by `when:`. A string that contains `{{` is
 * compiled as a template instead. */
na_tpl *na_tpl_compile_expr(const char *src, na_err *err);
void na_tpl_free(na_tpl *t);
const char *na_tpl_source(const na_tpl *t);
/* True when the template is one expression and evaluates to a native value. */
bool na_tpl_is_single_expr(const na_tpl *t);

/* Evaluate to a value: NA_TPL_OK with *out a new reference, NA_TPL_UNKNOWN_VALUE with *out NULL,
 * or -1 with err set. */
int na_tpl_eval(const na_tpl *t, na_tpl_env *env, json_t **out, na_err *err);
/* Render to text appended to out. NA_TPL_UNKNOWN_VALUE when some expression is only known at
 * runtime: its source text ("{{ out.stdout }}") is copied in its place. */
int na_tpl_render(const na_tpl *t, na_tpl_env *env, na_buf *out, na_err *err);
/* Truth value (as `when:` uses it): false, none, 0, "", [] and {} are false. */
int na_tpl_test(const na_tpl *t, na_tpl_env *env, bool *out, na_err *err);

/* One-shot convenience: render src against one object of variables (FOUND semantics). Returns a
 * malloc'd string (caller frees) or NULL with err set. An unknown value cannot occur here. */
char *na_tpl_render_string(const char *src, const json_t *vars, na_err *err);

/* Text form of a value as rendered into strings: strings as-is, integers in decimal, reals
 * shortest round-trip, true/false, none as "", lists and objects as compact JSON. */
int na_tpl_stringify(const json_t *v, na_buf *out, na_err *err);
bool na_tpl_truthy(const json_t *v);
/* "a string", "a list", "a mapping", "an integer"... for messages. */
const char *na_tpl_type_name(const json_t *v);

#endif
