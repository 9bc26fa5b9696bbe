/* pb_int.h — the loaded form of a playbook, shared by the loader (pb_load.c), the variable
 * scope (pb_scope.c), expansion (pb_expand.c) and rendering (pb_render.c). Not public: callers use
 * playbook.h. The YAML document stays loaded so every value keeps its line and column. */
#ifndef NA_PB_INT_H
#define NA_PB_INT_H

#include "playbook.h"
#include "template.h"
#include "ydoc.h"

struct na_task {
    na_play *play;
    size_t index;          /* within the play, 0-based */
    char *name;            /* owned; NULL only while loading */
    na_task_kind kind;
    na_ynode *node;        /* the task mapping */
    na_ynode *body;        /* value of the action key */
    na_ynode *loop, *when, *vars, *timeout, *ignore_errors, *expect;
    char *register_as;     /* owned, NULL if none */
    char *loop_var;        /* owned ("item" by default) */
    size_t nvisible;       /* names registered before this task: pb->registers[0..nvisible) */
};

struct na_play {
    na_playbook *pb;
    size_t index;
    char *name, *hosts;    /* owned */
    na_ynode *node, *vars;
    na_task *tasks;
    size_t ntasks;
};

struct na_playbook {
    na_ydoc doc;
    char *dir;             /* absolute directory (scripts are relative to it) */
    na_play *plays;
    size_t nplays;
    const char **registers; /* every register name in order (borrowed from the tasks) */
    size_t nregisters;
    na_tpl **tpl;          /* compiled templates by YAML node index (NULL: plain text) */
    size_t nnodes;
};

/* Index of a node in the document (for pb->tpl). */
size_t pb_node_index(const na_playbook *pb, const na_ynode *n);
const na_tpl *pb_tpl(const na_playbook *pb, const na_ynode *n);

/* The evaluation scope of one task (or of a play's vars) for one host. */
typedef struct pb_scope {
    na_tpl_env env;        /* env.ud points back here */
    const na_playbook *pb;
    const na_play *play;
    const na_task *task;
    const na_pb_vars *vars;
    bool validating;       /* registered names are unknown, not looked up */
    bool has_item;
    json_t *item;          /* borrowed; NULL with has_item = unknown */
    bool positioned;       /* the error in flight already has file:line:column */
    bool partial;          /* an unknown value was met */
    size_t out_bytes;      /* strings this expansion produced so far (PB_MAX_EXPANSION) */
} pb_scope;

/* Bytes of commands, config lines, arguments and patterns one task may expand to for one host
 * (a loop repeating a big variable would otherwise take gigabytes). */
#define PB_MAX_EXPANSION ((size_t)64 << 20)

void pb_scope_init(pb_scope *s, const na_playbook *pb, const na_play *play, const na_task *task,
                   const na_pb_vars *v, bool validating);

/* Evaluate a YAML value in scope: scalars with templates are evaluated (one `{{ x }}` keeps x's
 * native type), plain scalars typed like YAML (yjson.h), sequences and mappings recursively.
 * 0 with *out (new ref), NA_TPL_UNKNOWN_VALUE (1) with *out NULL, -1 with a positioned error. */
int pb_eval(pb_scope *s, const na_ynode *n, json_t **out, na_err *err);
/* Render a scalar to text (templates rendered; unknown parts keep their source). */
int pb_render_text(pb_scope *s, const na_ynode *n, na_buf *out, na_err *err);
/* Truth of a `when` node (a scalar or a list of scalars, all must hold): 0 with *out, 1 unknown,
 * -1 error. */
int pb_when(pb_scope *s, const na_ynode *n, bool *out, na_err *err);

/* Record "file:line:col: task 'NAME': message" (or "play 'NAME': ") at node n. Returns -1. */
int pb_err(pb_scope *s, na_err *err, na_code code, const na_ynode *n, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* The "task 'NAME': " / "task #N in play 'P': " prefix of messages. */
void pb_task_label(const na_task *t, char *buf, size_t cap);

bool pb_identifier(const char *s);

#endif
