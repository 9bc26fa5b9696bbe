/* pyre_int.h — the parsed form of a Python regex shared by the parser (pyre_parse.c), the
 * checks and PCRE2 emitter (pyre_emit.c) and the front (pyre.c): sre's opcodes as a small tree
 * in an arena. Not public: callers use pyre.h. */
#ifndef NA_PYRE_INT_H
#define NA_PYRE_INT_H

#include "buf.h"
#include "pyre.h"

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

/* Python's flag bits (re._constants). */
enum {
    PF_TEMPLATE = 1,
    PF_IGNORECASE = 2,
    PF_LOCALE = 4,
    PF_MULTILINE = 8,
    PF_DOTALL = 16,
    PF_UNICODE = 32,
    PF_VERBOSE = 64,
    PF_DEBUG = 128,
    PF_ASCII = 256,
};
#define PF_TYPE (PF_ASCII | PF_LOCALE | PF_UNICODE)
#define PF_GLOBAL (PF_DEBUG | PF_TEMPLATE)

#define PY_MAXREPEAT 4294967295u
#define PY_MAXGROUPS 1073741823u

typedef enum {
    N_LIT,        /* c */
    N_NLIT,       /* c: [^c] */
    N_ANY,        /* . */
    N_IN,         /* set, nset, neg */
    N_AT,         /* c: AT_* */
    N_BRANCH,     /* alts, nalts */
    N_SUB,        /* group (0 = none), add, del, p */
    N_ATOMIC,     /* p */
    N_REPEAT,     /* min, max, mode, p */
    N_GREF,       /* c: group */
    N_GREF_EXISTS,/* c: group, p (yes), no (may be NULL) */
    N_ASSERT,     /* dir, p */
    N_ASSERT_NOT, /* dir, p */
} pr_kind;

enum { AT_BEG, AT_BEG_STR, AT_END, AT_END_STR, AT_BOUND, AT_NBOUND };
enum { CAT_DIGIT, CAT_NOT_DIGIT, CAT_SPACE, CAT_NOT_SPACE, CAT_WORD, CAT_NOT_WORD };
enum { SI_LIT, SI_RANGE, SI_CAT };
enum { REP_GREEDY, REP_LAZY, REP_POSS };

typedef struct pr_item {
    uint8_t kind;
    uint32_t a, b;
} pr_item;

typedef struct pr_seq pr_seq;
typedef struct pr_node {
    pr_kind k;
    uint32_t c;
    pr_item *set;
    size_t nset;
    bool neg;
    pr_seq **alts;
    size_t nalts;
    uint32_t group;
    unsigned add, del;
    uint32_t min, max;
    int mode;
    int dir;
    pr_seq *p, *no;
} pr_node;

struct pr_seq {
    pr_node **v;
    size_t n, cap;
    bool wdone;
    uint64_t lo, hi; /* getwidth(), once computed */
};

/* A named group, in definition order. */
typedef struct pr_name {
    char *name; /* UTF-8 */
    uint32_t group;
} pr_name;

/* Parser state (re._parser.State plus the tokenizer and an arena). Errors longjmp to `jb`. */
typedef struct pr_ctx {
    const uint32_t *s; /* the pattern as code points */
    size_t n;
    size_t index;      /* Tokenizer.index */
    uint32_t nx[2];    /* Tokenizer.next: nxlen 0 = None, 1 = char, 2 = backslash + char */
    int nxlen;
    unsigned flags;    /* State.flags */
    uint32_t groups;   /* State.groups (group 0 counts) */
    bool *gclosed;     /* per group: closed (width known) */
    size_t gcap;
    pr_seq **gcontent; /* per group: its content, for widths */
    long lookbehindgroups; /* -1 = None */
    pr_name *names;
    size_t nnames, names_cap;
    uint32_t *condrefs; /* groups named by (?(N)...) and where: checked at the end */
    size_t *condpos;
    size_t ncond, cond_cap;
    void **arena;
    size_t narena, arena_cap;
    int depth;
    na_pyre_err *err;
    jmp_buf jb;
} pr_ctx;

/* Arena allocation: zeroed, freed by na_pr_ctx_free; longjmps with NOMEM on failure. */
void *na_pr_alloc(pr_ctx *c, size_t size);
void na_pr_ctx_free(pr_ctx *c);
/* Raise an error: status + message at code point position pos (has_pos). Never returns. */
void na_pr_fail(pr_ctx *c, na_pyre_status st, bool has_pos, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 5, 6), noreturn));

/* Parse the whole pattern (re._parser.parse). Returns the top sequence; c->flags are the final
 * global flags (with UNICODE unless ASCII). Must be called after setjmp(c->jb). */
pr_seq *na_pr_parse(pr_ctx *c, unsigned flags);
/* getwidth() of a sequence (Python's rules, saturating at MAXREPEAT). */
void na_pr_width(pr_ctx *c, pr_seq *s, uint64_t *lo, uint64_t *hi);

/* The compile-time checks (look-behind width, template flag) and the PCRE2 pattern text. */
void na_pr_emit(pr_ctx *c, pr_seq *top, na_buf *out);

#endif
