/* tfsm_int.h — the compiled form of a TextFSM template and the records a parse builds, shared
 * by the loader (tfsm_load.c, tfsm_rule.c), the machine (tfsm_run.c) and the results
 * (tfsm_result.c). Not public: callers use tfsm.h. */
#ifndef NA_TFSM_INT_H
#define NA_TFSM_INT_H

#include "pyre.h"
#include "tfsm.h"

/* Option kinds, in the order a Value lists them (the order of their callbacks matters). */
typedef enum { O_REQUIRED, O_FILLDOWN, O_FILLUP, O_KEY, O_LIST, O_BASE } tf_opt;

typedef struct tf_value {
    char *name;        /* as declared */
    char *regex;       /* as declared, "(...)" */
    char *tmpl;        /* regex with "(?P<name>" in front: what ${name} expands to */
    tf_opt opts[8];
    size_t nopts;
    unsigned bits;     /* NA_TFSM_OPT_* */
    na_pyre *list_re;  /* List values: the regex alone (nested groups give mappings) */
    uint32_t list_groups; /* its re.groups */
    unsigned line;
} tf_value;

enum { LOP_NEXT, LOP_CONTINUE, LOP_ERROR };
enum { ROP_NORECORD, ROP_RECORD, ROP_CLEAR, ROP_CLEARALL };
enum { ST_NONE = -1, ST_END = -2, ST_EOF = -3 };

typedef struct tf_rule {
    na_pyre *re;
    int line_op, rec_op;
    char *new_state;   /* as written ("" none); for Error, the message text */
    int target;        /* state index, or ST_NONE / ST_END / ST_EOF */
    unsigned line;
    uint32_t *agroup;  /* named groups that are Values, in definition order: group number */
    size_t *avalue;    /* ... and the value index */
    size_t nassign;
} tf_rule;

typedef struct tf_state {
    char *name;
    tf_rule *rules;
    size_t nrules, cap;
    unsigned line;
} tf_state;

struct na_tfsm {
    char *name;
    tf_value *values;
    size_t nvalues, vcap;
    tf_state *states;   /* in definition order; End is removed as TextFSM does */
    size_t nstates, scap;
    int start;          /* index of Start */
    bool has_eof;       /* an (empty) EOF state was declared: no implicit record at the end */
    uint32_t max_groups;
};

/* ---- results ------------------------------------------------------------------------------- */

/* Cells and list items are 16 bytes: a parse of a large output holds millions of them. */
typedef enum { TI_STR, TI_NONE, TI_DICT } tf_item_kind;
typedef struct tf_dict tf_dict;
typedef struct tf_item {
    const void *p;     /* TI_STR: text (into the result's text); TI_DICT: a tf_dict */
    uint32_t n;        /* TI_STR: bytes */
    uint8_t k;         /* tf_item_kind */
} tf_item;
struct tf_dict {
    size_t n;
    const char *const *names; /* the result's copy of the List value's group names */
    tf_item *vals;            /* TI_STR or TI_NONE */
};

typedef enum { TC_NONE, TC_STR, TC_LIST } tf_cell_kind;
typedef struct tf_cell {
    const void *p;     /* TC_STR: text; TC_LIST: tf_item array */
    uint32_t n;        /* TC_STR: bytes; TC_LIST: items */
    uint8_t k;         /* tf_cell_kind */
} tf_cell;

static inline tf_cell tf_cell_str(const char *s, size_t n)
{
    return (tf_cell){s, (uint32_t)n, TC_STR};
}
static inline tf_cell tf_cell_none(void) { return (tf_cell){NULL, 0, TC_NONE}; }
static inline tf_item tf_item_str(const char *s, size_t n)
{
    return (tf_item){s, (uint32_t)n, TI_STR};
}

/* Bump allocator with a ceiling. */
typedef struct tf_arena {
    struct tf_block *head;
    size_t used, max;
} tf_arena;
void *na_tf_arena_alloc(tf_arena *a, size_t n);
void na_tf_arena_free(tf_arena *a);

struct na_tfsm_result {
    tf_arena arena;
    char *text;        /* the (UTF-8) input the strings point into */
    size_t ncols;
    char **header;
    char ***dict_names; /* per column: the List value's named groups (NULL if none) */
    size_t *dict_n;
    tf_cell **rows;
    size_t nrows, cap;
    size_t bytes;      /* accounted against max_result */
};

#endif
