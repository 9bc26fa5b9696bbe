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
    na_ynode *that, *msg;  /* assert */
    bool cfg_map;          /* config: the mapping form {parents, lines, match, ...} */
    na_ynode *cfg_parents, *cfg_lines, *cfg_before, *cfg_after; /* config mapping (NULL: none) */
    na_cfg_match cfg_match;
    na_cfg_replace cfg_replace;
    na_save_when save_when; /* save: true | changed | modified */
    int confirm_s;         /* config: confirm: SECONDS (commit-confirmed), 0 = none */
    bool backup;           /* config: backup: true */
    na_parse_kind parse;   /* `parse:` */
    na_tfsm *parse_tpl;    /* owned: parse: {template: FILE} */
    char *register_as;     /* owned, NULL if none */
    char *loop_var;        /* owned ("item" by default) */
    size_t nvisible;       /* names registered before this task: pb->registers[0..nvisible) */
    na_strv tags;          /* its own tags (the play's are added when selecting) */
    na_ynode *notify_node; /* `notify:` as written, resolved into notify once handlers load */
    size_t *notify;        /* handler indices in the play (owned) */
    size_t nnotify;
    bool handler;          /* one of the play's handlers */
    na_strv listen;        /* handlers: topics they also answer to */
};

/* One `serial` item: a number of hosts, or a percentage of the play's hosts. */
typedef struct pb_serial {
    long n;
    bool pct;
} pb_serial;

struct na_play {
    na_playbook *pb;
    size_t index;
    char *name, *hosts;    /* owned */
    na_ynode *node, *vars;
    na_task *tasks;
    size_t ntasks;
    na_task *handlers;
    size_t nhandlers;
    na_strv tags;          /* inherited by every task */
    pb_serial *serial;     /* owned; nserial == 0: one batch */
    size_t nserial;
    double max_fail;       /* max_fail_percentage, -1 when not set */
    bool any_errors_fatal;
    bool resumable;        /* `resumable: true`: its hosts may run again after a restart */
    bool backup;           /* backup: true — every config task of the play */
    json_t *files_vars;    /* vars_files merged in order (owned), NULL when none */
};

struct na_playbook {
    na_ydoc doc;
    char *dir;             /* absolute directory (scripts are relative to it) */
    char *script_root;     /* na_pb_confine_scripts: scripts must resolve inside, or NULL */
    na_play *plays;
    size_t nplays;
    const char **registers; /* every register name in order (borrowed from the tasks) */
    size_t nregisters;
    na_tpl **tpl;          /* compiled templates by YAML node index (NULL: plain text) */
    size_t nnodes;
    struct na_avault_keys *keys; /* only while loading: for Ansible Vault vars_files */
};

/* Index of a node in the document (for pb->tpl). */
size_t na_pb_node_index(const na_playbook *pb, const na_ynode *n);
const na_tpl *na_pb_tpl(const na_playbook *pb, const na_ynode *n);

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
    na_pb_budget *budget;  /* validation: the request's budget, or NULL */
} pb_scope;

/* Bytes of commands, config lines, arguments and patterns one task may expand to for one host
 * (a loop repeating a big variable would otherwise take gigabytes). */
#define PB_MAX_EXPANSION ((size_t)64 << 20)

void na_pb_scope_init(pb_scope *s, const na_playbook *pb, const na_play *play, const na_task *task,
                   const na_pb_vars *v, bool validating);

/* Charge n bytes of expansion (or only the time) to the scope's budget: 0, or -1 with a
 * positioned NA_E_CONFIG once the request's budget is spent. */
int na_pb_charge(pb_scope *s, const na_ynode *n, size_t bytes, na_err *err);

/* Evaluate a YAML value in scope: scalars with templates are evaluated (one `{{ x }}` keeps x's
 * native type), plain scalars typed like YAML (yjson.h), sequences and mappings recursively.
 * 0 with *out (new ref), NA_TPL_UNKNOWN_VALUE (1) with *out NULL, -1 with a positioned error. */
int na_pb_eval(pb_scope *s, const na_ynode *n, json_t **out, na_err *err);
/* Render a scalar to text (templates rendered; unknown parts keep their source). */
int na_pb_render_text(pb_scope *s, const na_ynode *n, na_buf *out, na_err *err);
/* Truth of a `when` node (a scalar or a list of scalars, all must hold): 0 with *out, 1 unknown,
 * -1 error. */
int na_pb_when(pb_scope *s, const na_ynode *n, bool *out, na_err *err);

/* Record "file:line:col: task 'NAME': message" (or "play 'NAME': ") at node n. Returns -1. */
int na_pb_err(pb_scope *s, na_err *err, na_code code, const na_ynode *n, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* The "task 'NAME': " / "task #N in play 'P': " prefix of messages. */
void na_pb_task_label(const na_task *t, char *buf, size_t cap);

bool na_pb_identifier(const char *s);

/* ---- loading (pb_load.c, pb_play.c) ---- */
/* Loading errors: "file:l:c: task 'x': msg" (t or p may be NULL). Returns -1. */
int na_pb_lerr(na_playbook *pb, const na_task *t, const na_play *p, const na_ynode *n, na_err *err,
            const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* tags / listen: one name, a comma-separated string, or a list of names (plain text, no
 * templates). comma: split "a,b" (tags). */
int na_pb_load_names(na_playbook *pb, const na_task *t, const na_play *p, const na_ynode *n,
                  const char *what, bool comma, na_strv *out, na_err *err);
/* After a play's tasks and handlers: tags, serial, max_fail_percentage, any_errors_fatal,
 * gather_facts, connection, vars_files, and every task's notify resolved to handlers. */
int na_pb_load_play_extras(na_playbook *pb, na_play *p, na_err *err);
/* The message for an Ansible keyword netauto does not support (NULL when key is not one). */
const char *na_pb_ansible_hint(const char *key, bool in_task);

#endif
