/* tfsm_load.h — what the template loader's two files share: the reading context, positioned
 * errors, and the rule parser (tfsm_rule.c) that tfsm_load.c calls for each rule line. Not
 * public: callers use tfsm.h. */
#ifndef NA_TFSM_LOAD_H
#define NA_TFSM_LOAD_H

#include "tfsm_int.h"

typedef struct tfl_ctx {
    na_tfsm *t;
    const char *name;  /* for messages */
    const char *text;  /* normalised (\n line ends) */
    size_t len, pos;
    unsigned line_num; /* TextFSM's _line_num: the line last read */
    na_err *err;
} tfl_ctx;

/* Record "NAME:LINE:COL: MESSAGE[ [DETAIL]]" with code. Returns -1. */
int na_tfl_err(tfl_ctx *L, na_code code, unsigned line, unsigned col, const char *detail,
            const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* A regex compile failure as TextFSM reports it: rule_regex is the rule's regex after
 * substitution (NULL for a List value's own regex). */
int na_tfl_regex_err(tfl_ctx *L, const na_pyre_err *e, unsigned line, unsigned col,
                  const char *rule_regex);
/* TextFSM's comment_regex (^\s*#). */
bool na_tfl_is_comment(const char *s, size_t n);
/* 1-based character column of byte offset off in s. */
unsigned na_tfl_col(const char *s, size_t off);
/* State index by name, -1 when absent. */
int na_tfl_find_state(const na_tfsm *t, const char *name);
/* TextFSM's state_name_re (^(\w+)$). */
bool na_tfl_state_name_ok(const char *s, size_t n);
/* Parse one rule line s[0..n) (rstripped) of state line L->line_num into r. */
int na_tfl_parse_rule(tfl_ctx *L, const char *s, size_t n, tf_rule *r);

#endif
