/* playbook.h — playbooks: load and check the YAML (plays, tasks, one action per task), validate
 * them for a host before anything is sent (undefined variables, bad regexes, bad VLANs, missing
 * scripts: all as file:line:column errors naming the task), and expand a task for a host into the
 * concrete strings the runner hands to the driver. Also `--check` rendering and the shape of
 * registered results. Pure: nothing here opens a connection (the runner does).
 *
 * Format and semantics: docs/playbooks.md. In short: a playbook is a list of plays {name, hosts,
 * vars, vars_files, tasks, handlers, tags, serial, max_fail_percentage, any_errors_fatal}; a
 * task has a name and exactly one of command, config, save, vlans, script, assert ({that, msg}:
 * conditions checked, nothing sent), copy ({src, dest, direction: put|get, verify, overwrite,
 * protocol, stall_timeout}: a file to or from the device), plus register, expect and parse
 * (command only), loop, loop_control {loop_var}, when, ignore_errors, timeout, vars, tags,
 * notify (handlers: listen). Variables, highest precedence first:
 * inventory_hostname/playbook_dir, extra vars, the loop variable, registered results, task
 * vars, vars_files, play vars, host vars. */
#ifndef NA_PLAYBOOK_H
#define NA_PLAYBOOK_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include "buf.h"
#include "cfgtree.h"
#include "err.h"
#include "strv.h"
#include "tfsm.h"
#include "vlans.h"

#include <jansson.h>
#include <pcre2.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct na_playbook na_playbook;
typedef struct na_play na_play;
typedef struct na_task na_task;

typedef enum {
    NA_TASK_COMMAND = 1, /* exec-mode commands; output can be registered and checked */
    NA_TASK_CONFIG,      /* config lines, one push (a loop's items are concatenated) */
    NA_TASK_SAVE,        /* the platform's save command */
    NA_TASK_VLANS,       /* the vlans resource (vlans.h) */
    NA_TASK_SCRIPT,      /* upload a local script, run it with args, remove it (linux) */
    NA_TASK_ASSERT,      /* conditions on variables (registered results): fails when false */
    NA_TASK_COPY,        /* a file to or from the device, verified (docs/files.md) */
} na_task_kind;

const char *na_task_kind_name(na_task_kind k); /* "command", "config", ... */

/* save: true (always), changed (when an earlier task of this run changed the device), modified
 * (when the running configuration differs from the startup configuration, read from it). */
typedef enum { NA_SAVE_ALWAYS = 0, NA_SAVE_CHANGED, NA_SAVE_MODIFIED } na_save_when;

/* ---- loading ------------------------------------------------------------------------------ */

/* Load and check a playbook file. Structure errors (unknown keys, wrong types, missing name, no
 * or two actions, template syntax, bad regex or VLAN literals, bad identifiers) fail here with
 * NA_E_CONFIG "file:line:column: task 'NAME': ..." (NA_E_YAML for malformed YAML, NA_E_IO when
 * unreadable). Returns a new playbook (free with na_pb_free) or NULL. */
na_playbook *na_pb_load_file(const char *path, na_err *err);
/* The same, with Ansible Vault passwords for encrypted vars_files (keys may be NULL; borrowed,
 * used only while loading; avault.h). */
struct na_avault_keys;
na_playbook *na_pb_load_file_keys(const char *path, struct na_avault_keys *keys, na_err *err);
/* The same from memory; `name` is used in messages, `dir` resolves script paths (NULL = "."). */
na_playbook *na_pb_load_mem(const char *name, const char *text, size_t n, const char *dir,
                            na_err *err);
void na_pb_free(na_playbook *pb);
/* Confine the files script tasks may run to `root` (copied; an absolute directory): a script
 * path — whatever a template made of it — that resolves outside it, symbolic links included, is
 * refused with the same message whether or not the file exists. NULL = no confinement (the
 * CLI: the user's own files). netautod confines to its playbook_dir. -1 + err on OOM. */
int na_pb_confine_scripts(na_playbook *pb, const char *root, na_err *err);

const char *na_pb_file(const na_playbook *pb); /* the playbook's path as given (messages) */
size_t na_pb_play_count(const na_playbook *pb);
const na_play *na_pb_play(const na_playbook *pb, size_t i);
const char *na_pb_dir(const na_playbook *pb); /* absolute directory of the playbook */
/* Every play says `resumable: true`: running a host's tasks again after they were cut off
 * half-way is safe (they converge), so netautod runs hosts that were in flight when it stopped
 * again after a restart. netauto run itself has no restart and only checks the key. */
bool na_pb_resumable(const na_playbook *pb);

const char *na_play_name(const na_play *p);   /* the hosts pattern when the play has no name */
const char *na_play_hosts(const na_play *p);  /* --limit-style pattern, unresolved */
size_t na_play_task_count(const na_play *p);
const na_task *na_play_task(const na_play *p, size_t i);

/* Batches (`serial`): the sizes of the batches for nhosts hosts (Ansible's rules: a number, a
 * percentage of nhosts rounded down but at least 1, a list whose last item repeats; 0 or no
 * serial: one batch), written to sizes (up to cap). Returns how many batches there are. */
size_t na_play_batches(const na_play *p, size_t nhosts, size_t *sizes, size_t cap);
bool na_play_batched(const na_play *p); /* serial, max_fail_percentage or any_errors_fatal */
double na_play_max_fail(const na_play *p); /* max_fail_percentage, or -1 */
bool na_play_any_errors_fatal(const na_play *p);
size_t na_play_handler_count(const na_play *p);
const na_task *na_play_handler(const na_play *p, size_t i);

/* --tags / --skip-tags with Ansible's rules: a task's tags are its own and its play's; `always`
 * runs unless skipped by name, `never` runs only when asked by name; `all`, `tagged` and
 * `untagged` are the special selectors. only = NULL/empty means `all`. */
typedef struct na_pb_tags {
    const char *const *only;
    size_t n_only;
    const char *const *skip;
    size_t n_skip;
} na_pb_tags;
bool na_task_selected(const na_task *t, const na_pb_tags *tags);
/* The task's tags (play's and its own, each once) joined by ", " into buf. */
void na_task_tags_text(const na_task *t, char *buf, size_t cap);
bool na_task_is_handler(const na_task *t);
size_t na_task_notify_count(const na_task *t);
size_t na_task_notify(const na_task *t, size_t i); /* a handler index of its play */

const char *na_task_name(const na_task *t);   /* as written (may contain {{ }}) */
na_task_kind na_task_kind_of(const na_task *t);
const char *na_task_register(const na_task *t); /* NULL when the task registers nothing */
/* config tasks: `confirm: SECONDS` — the change is undone by the device unless confirmed
 * (after every later task of the play succeeded). 0 when not asked. */
int na_task_confirm(const na_task *t);
/* config tasks: `backup: true` on the task or its play — the running configuration is stored
 * before the host's first change (runner.h: backup_dir). */
bool na_task_backup(const na_task *t);
unsigned na_task_line(const na_task *t);
unsigned na_task_col(const na_task *t);

/* command tasks: `parse: true` (templates picked by the host's platform and each command, from
 * the template directory: parsing/tfsm_lib.h) or `parse: {template: FILE}` (one template, FILE
 * relative to the playbook, read and compiled when the playbook loads). */
typedef enum { NA_PARSE_NONE = 0, NA_PARSE_INDEX, NA_PARSE_TEMPLATE } na_parse_kind;
na_parse_kind na_task_parse_kind(const na_task *t);
/* NA_PARSE_TEMPLATE: the compiled template (owned by the playbook). */
const na_tfsm *na_task_parse_template(const na_task *t);

/* ---- variables for one host --------------------------------------------------------------- */

/* The work validating a whole request may do (every host and task together), so one request
 * cannot keep a validator busy for long: expanded text, and a deadline. Shared and decremented
 * by every na_pb_validate given it; past either, validation fails with NA_E_CONFIG. */
typedef struct na_pb_budget {
    size_t bytes_left;   /* commands, lines, arguments and patterns expanded */
    int64_t deadline_ms; /* na_now_ms() past which validation stops; 0 = none */
    size_t bytes_max;    /* for the message */
    int64_t time_max_ms; /* for the message */
} na_pb_budget;

typedef struct na_pb_vars {
    const char *host;          /* inventory name (inventory_hostname) */
    const json_t *host_vars;   /* object or NULL (from the inventory) */
    const json_t *extra_vars;  /* object or NULL (CLI -e / daemon) */
    const json_t *registered;  /* object name -> result (na_result_*), or NULL */
    bool confine_local;        /* local paths of copy tasks must stay inside the playbook's
                                  directory (netautod; like script's stored-playbook rule) */
    bool registered_partial;   /* na_task_expand: a name registered by an earlier task but absent
                                  from `registered` is unknown rather than undefined (--check:
                                  that task did not run); the expansion is then `partial`, with
                                  the template's source text in place of the unknown value */
    na_pb_budget *budget;      /* na_pb_validate: the request's budget, or NULL for none */
} na_pb_vars;                  /* everything borrowed (the budget is decremented) */

/* Validate every task of `play` (NULL = every play) for one host before anything is sent:
 * undefined variables, values of the wrong type, regexes, VLAN ids and names, script files.
 * Names registered by earlier tasks are known to exist (their values are not, so checks that
 * need them wait for na_task_expand). v->registered is ignored. Tasks whose `when` is false for
 * this host are skipped, like at runtime. 0, or -1 with a positioned NA_E_CONFIG /
 * NA_E_NOTFOUND (undefined variable) error. */
int na_pb_validate(const na_playbook *pb, const na_play *play, const na_pb_vars *v, na_err *err);
/* The same for the tasks --tags/--skip-tags select (tags may be NULL: every task), and every
 * handler. (na_pb_tags is declared below.) */
struct na_pb_tags;
int na_pb_validate_tags(const na_playbook *pb, const na_play *play, const na_pb_vars *v,
                        const struct na_pb_tags *tags, na_err *err);

/* ---- expansion ---------------------------------------------------------------------------- */

/* One loop item (or the single run of a task without loop). */
typedef struct na_task_iter {
    json_t *item;              /* the loop item (owned reference), NULL without loop */
    bool skipped;              /* `when` was false for this item */
    na_strv commands;          /* command: the commands, in order */
    na_strv expect;            /* command: pattern sources */
    pcre2_code **expect_re;    /* command: compiled (MULTILINE), expect.n entries, owned */
    char *script;              /* script: absolute local path (owned) */
    na_strv args;              /* script: arguments */
    bool assert_failed;        /* assert: a condition was false */
    char *assert_msg;          /* assert: the message (owned): msg, or the false condition */
    /* copy */
    bool copy_get;             /* direction: get */
    char *copy_local;          /* put: the absolute local source; get: the absolute local file
                                  written (dest directory + the remote file's name) (owned) */
    char *copy_remote;         /* the device path (owned) */
    char copy_verify[8];       /* "md5", "sha256", "sha512", "none"; "" = the platform's */
    char copy_proto[8];        /* "scp", "sftp"; "" = the platform's first (auto) */
    bool copy_overwrite;
    int copy_stall_ms;         /* 0 = the default */
} na_task_iter;

/* One group of wanted configuration lines of a config task in the mapping form (one per loop
 * item): cfgtree.h's block with the strings owned. */
typedef struct na_task_cfg {
    na_strv parents, lines, before, after;
    na_cfg_match match;
    na_cfg_replace replace;
} na_task_cfg;

typedef struct na_task_exp {
    const na_task *task;
    na_task_kind kind;
    char *name;                /* rendered name (owned) */
    bool skipped;              /* nothing to do: `when` false for every item, or an empty loop */
    bool ignore_errors;
    int timeout_ms;            /* 0: the driver's default */
    bool partial;              /* some values wait for registered results (validation, or
                                  na_pb_vars.registered_partial) */
    na_task_iter *iters;       /* command/script: one per item; config/save/vlans: 1 */
    size_t n_iters;
    na_strv config;            /* config: every line of every item, in order (ONE push); the
                                  mapping form: before, parents, lines, after of each block */
    bool config_map;           /* config: the mapping form; blocks below */
    na_task_cfg *cfg;          /* config mapping: one block per (run) loop item */
    size_t n_cfg;
    na_save_when save_when;    /* save */
    na_vlans_state vlan_state; /* vlans */
    na_vlan_want *vlans;       /* vlans: desired VLANs (names owned), checked */
    size_t n_vlans;
} na_task_exp;

/* Expand task t for one host at runtime (v->registered = results so far). On success *out is a
 * new expansion (free with na_task_exp_free). Errors are positioned like validation errors. */
int na_task_expand(const na_task *t, const na_pb_vars *v, na_task_exp **out, na_err *err);
void na_task_exp_free(na_task_exp *x);

/* Check an iteration's expect patterns against the output of its commands (all of them, joined
 * by newlines). 0 when every pattern matches; -1 with NA_E_DEVICE naming the first that does
 * not. */
int na_task_iter_expect(const na_task_iter *it, const char *output, size_t n, na_err *err);

/* vlans tasks: the commands that take `current` (parsed `show vlan brief`) to the desired
 * state; none means nothing to change. */
int na_task_exp_vlan_plan(const na_task_exp *x, const na_vlan_list *current, na_strv *cmds,
                          na_err *err);

/* ---- --check ------------------------------------------------------------------------------ */

typedef struct na_render_ctx {
    const char *save_command;          /* the platform's save command (NULL: "write memory") */
    const char *vlan_read_command;     /* NULL: "show vlan brief" */
    const na_vlan_list *current_vlans; /* vlans tasks: the device's VLANs (required for them) */
} na_render_ctx;

/* Append exactly what would be sent for an expanded task, in sections:
 *   [exec]    commands (command tasks; the VLAN read for vlans tasks)
 *   [config]  config lines (config tasks; the VLAN commands, nothing if none are needed)
 *   [save]    the save command
 *   [script]  "upload PATH", then "run: NAME 'arg' ..." and "remove" for each item
 *   [copy]    "put LOCAL -> REMOTE" / "get REMOTE -> LOCAL" for each item
 * Skipped items send nothing; a fully skipped task renders "[skipped]". */
int na_task_exp_render(const na_task_exp *x, const na_render_ctx *ctx, na_buf *out, na_err *err);

/* Quote s for a POSIX shell ('...' with embedded quotes escaped), appended to out. */
int na_shell_quote(const char *s, na_buf *out, na_err *err);

/* ---- registered results (what `register: NAME` stores; new references) --------------------- */

/* command: {"commands": [...], "stdout": [per command], "stdout_lines": [[...]], "failed",
 * "changed": false, "msg" (when given)} — outputs[i] belongs to commands->v[i]. With `parse:`
 * the runner adds "parsed": [records per command]. */
json_t *na_result_command(const na_strv *commands, const char *const *outputs, bool failed,
                          const char *msg);
/* config/save/vlans: {"commands": [...sent], "changed", "failed", "msg"} */
json_t *na_result_change(const na_strv *commands, bool changed, bool failed, const char *msg);
/* script: {"stdout", "stderr", "rc", "stdout_lines", "stderr_lines", "failed", "changed": true} */
json_t *na_result_script(const char *out, const char *errtext, int rc, bool failed,
                         const char *msg);
/* assert: {"failed", "changed": false, "msg"} */
json_t *na_result_assert(bool failed, const char *msg);
/* copy: {"changed", "failed", "src", "dest", "direction", "size", "sent", "resumed_at",
 * "checksum", "algorithm", "protocol", "msg" (when given)} */
json_t *na_result_copy(bool get, const char *src, const char *dest, bool changed, bool failed,
                       uint64_t size, uint64_t sent, uint64_t resumed_at, const char *checksum,
                       const char *algorithm, const char *protocol, const char *msg);
/* a skipped task or item: {"skipped": true, "changed": false, "failed": false} */
json_t *na_result_skipped(void);
/* a loop: {"results": [...], "changed": any, "failed": any}; takes the array's reference */
json_t *na_result_loop(json_t *results);
/* [{"id", "name", "status", "ports": [...]}] */
json_t *na_vlans_to_json(const na_vlan_list *l);

#endif
