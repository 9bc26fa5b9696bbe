/* runner_int.h — the runner's internal state, shared by its files: runner.c (prepare, schedule,
 * cancel, finish), runner_batch.c (tags, phases, batches, the failure budget), runner_host.c (one
 * host's program: open, tasks, diff, close, on the loop), runner_task.c / runner_script.c /
 * runner_copy.c (what each task kind sends), runner_result.c (result JSON).
 * Not public: callers use runner.h. */
#ifndef NA_RUNNER_INT_H
#define NA_RUNNER_INT_H

#include "buf.h"
#include "cfgtree.h"
#include "clock.h"
#include "evwatch.h"
#include "runner.h"
#include "session.h"
#include "session_files.h"
#include "strv.h"
#include "tfsm_lib.h"
#include "transcript.h"
#include "vlans.h"

#include <event2/event.h>

/* ---- one task's record (what becomes its result JSON) ------------------------------------ */

typedef struct rn_task_rec {
    const na_task *task;
    size_t play;          /* play index */
    char *name;           /* rendered name (owned) */
    bool ok, changed, skipped, ignored;
    bool partial;         /* --check: some values depend on results of tasks not run */
    na_buf output;        /* device output / rendered text (bounded) */
    bool rendered;        /* --check: output is netauto's rendering of what it would send */
    na_strv commands;     /* every line sent (or, with --check, that would be sent) */
    na_strv async;        /* asynchronous messages the device printed meanwhile */
    na_err err;
    int64_t start_us, elapsed_ms;
    bool script;          /* script task: rc / stdout / stderr below */
    int rc;
    na_buf out, errout;
    bool cut;             /* output, stdout or stderr reached its ceiling and was cut */
    json_t *items;        /* loop: per-item registered results (array) */
    json_t *parsed;       /* `parse:`: records per command, every item (array), or NULL */
    json_t *reg;          /* what `register:` stores */
    char *running;        /* config: the running configuration the task started from, when it
                             is registered (owned) */
    char *backup_path;    /* backup: the file the running configuration went to (owned) */
    const char *action;   /* the action shown when it is not the task's: "confirm" and
                             "rollback" (a commit-confirmed change's end, task = NULL) */
} rn_task_rec;

void na_rn_task_rec_init(rn_task_rec *t);
void na_rn_task_rec_free(rn_task_rec *t);
/* Raise the ceilings of output/stdout/stderr to hold one command's output of max_output bytes
 * (--max-output above RN_OUTPUT_MAX); never lowers them. */
void na_rn_task_rec_room(rn_task_rec *t, size_t max_output);
/* Append s[0..n) to b (one of t's buffers), after a newline when b is not empty; past b's
 * ceiling the text is cut and t->cut is set (shown as "output_truncated": true). */
void na_rn_task_rec_append(rn_task_rec *t, na_buf *b, const char *s, size_t n);

/* ---- result JSON (runner_result.c; pure) -------------------------------------------------- */

/* Text as a JSON string, invalid UTF-8 replaced by U+FFFD. New reference (NULL only on OOM).
 * na_rn_text: a device's text, exactly (never redacted: output, stdout, diffs, messages).
 * na_rn_typed: netauto's own text (commands sent, task names), registered secrets masked. */
json_t *na_rn_text(const char *s, size_t n);
json_t *na_rn_typed(const char *s, size_t n);
/* null when err holds no error, else {"code": na_code_name, "message"} (the message as set: its
 * setter masked netauto's secrets and quoted the device exactly). New ref. */
json_t *na_rn_error_json(const na_err *err);
/* One task result: {"name", "play", "action", "ok", "changed", "skipped", "ignored", "output",
 * "elapsed_ms", "commands", "error"} (+ "parsed" with `parse:`, + "partial" with --check,
 * + "rc", "stdout", "stderr" for scripts). New reference. */
json_t *na_rn_task_json(const rn_task_rec *t, const char *play_name, bool check);

typedef struct rn_host_sum {
    const char *status;     /* "ok", "failed", "cancelled", "skipped" */
    bool ok, changed;
    const na_err *err;
    int64_t elapsed_ms;
    const char *transport, *platform;
    const char *diff;       /* NULL = no diff taken */
    json_t *tasks;          /* borrowed array */
} rn_host_sum;
/* {"status", "ok", "changed", "error", "elapsed_ms", "transport", "platform", "tasks", "diff"?}.
 * New reference. */
json_t *na_rn_host_json(const rn_host_sum *h);
/* {"hosts", "ok", "failed", "cancelled", "skipped", "changed", "tasks", "elapsed_ms",
 * "check"}. */
json_t *na_rn_summary_json(const na_run_progress *p, size_t tasks, bool check);

/* ---- the runner ---------------------------------------------------------------------------- */

typedef enum { RH_QUEUED = 0, RH_WAITING, RH_RUNNING, RH_DONE } rn_hstate;
/* The write-ahead record of the operation in flight (hooks.record). */
typedef enum {
    REC_NONE = 0, /* no record asked for (no hook, or no operation) */
    REC_WAIT,     /* asked, not durable yet: nothing of the operation is sent */
    REC_FAILED,   /* it could not be kept: the operation must fail without sending */
    REC_SENDING,  /* durable: the operation runs; its answered lines are reported */
} rn_rec_state;
typedef enum { RN_OP_NONE = 0, RN_OP_SESSION, RN_OP_EXEC, RN_OP_XFER, RN_OP_COPY } rn_op;

/* Where a host program is. */
typedef enum {
    PH_BEGIN = 0,   /* granted, not yet begun (the first call opens the session) */
    PH_OPEN,        /* opening the session */
    PH_TASK,        /* running h->x (task kind continuation, h->sub) */
    PH_DIFF_BEFORE, /* reading the running-config before the first change */
    PH_DIFF_AFTER,  /* ... and after the last task */
    PH_CONFIRM,     /* confirming (or rolling back) a commit-confirmed change */
    PH_END,         /* close and finish */
} rn_phase;

typedef struct rn_host rn_host;
struct rn_host {
    na_runner *r;
    size_t index;                  /* in r->hosts */
    const na_inv_host *inv;
    const na_platform *plat;
    na_transport_kind kind;
    unsigned char *plays;          /* plays[p] != 0: play p includes this host */
    rn_hstate state;
    void *lock;                    /* acquire handle, NULL when none */
    bool granted;

    na_evwatch w;                  /* the one event: fd (persistent) + deadline */

    na_session *s;
    na_transcript *tr;
    rn_phase phase;
    size_t play, task;             /* next task to run: plays[play].tasks[task] */
    na_task_exp *x;                /* the task running */
    int sub;                       /* step within the task kind */
    size_t iter, cmd;              /* command / script: position */
    na_strv iter_out;              /* command: outputs of the current item's commands */
    bool item_failed;              /* the current loop item failed (the task goes on with the
                                      next item while the session is usable) */
    na_err item_err;
    rn_task_rec cur;

    rn_op op;                      /* operation in flight */
    na_sexec *exec;                /* script: a command on an exec channel */
    na_supload *xfer;              /* script: the upload */
    na_copy *copy;                 /* copy: the item's copy */
    rn_rec_state rec;              /* the write-ahead record of the operation in flight */
    void *rec_wait;                /* the record hook's handle while REC_WAIT */
    na_err rec_err;                /* REC_FAILED: why */
    size_t rec_lines;              /* lines the operation may send */
    size_t rec_answered;           /* answered so far (last reported) */
    na_status op_st;               /* how the last operation ended (NA_OK / NA_ERROR) */
    na_err op_err;
    na_result res;                 /* the last session operation's result */
    int64_t op_start_us;

    na_vlan_list vl;               /* vlans: the device's VLANs */
    na_strv plan;                  /* vlans: commands */
    char remote[160];              /* script: remote path */

    json_t *registered;            /* object: register name -> result */
    json_t *tasks;                 /* array of task results */
    size_t ntasks;
    bool ok, changed, cancelled;
    na_err err;                    /* the host's error (first failure) */
    int64_t start_ms, deadline_ms; /* host_timeout_ms */
    int64_t elapsed_ms;

    na_cfg *running;               /* the device's running configuration as last read (or, with
                                      --check, as the changes so far would leave it); NULL
                                      until a config task or --diff reads it */
    bool running_stale;            /* a change was sent since: read it again before use */
    bool backed_up;                /* backup: the running configuration was stored this run */
    na_cfg *startup;               /* save: modified: the startup configuration */

    /* commit-confirmed: a config task with confirm: made a change the device undoes by itself
     * unless confirmed; at the end of its play it is confirmed (every later task succeeded)
     * or rolled back at once (one failed) */
    bool cf_pending;
    size_t cf_play;                /* the play of the change */
    char *cf_task;                 /* the task's name (owned) */
    const na_task *cf_next;        /* the task picked when the play ended, run afterwards */
    size_t cf_step;                /* the confirm / rollback command being sent */
    bool cf_keep;                  /* confirming (true) or rolling back */

    bool diff_wanted;              /* --diff and the platform has a config mode */
    char *cfg_before;              /* running-config before the first change */
    char *diff;                    /* unified diff */

    bool final;                    /* its result is final (every phase it is in is over) */
    bool skipped;                  /* the run stopped before a phase it is in */
    bool begun;                    /* host_started was called (its first phase began) */
    bool in_handlers;              /* running its play's notified handlers */
    size_t handler;                /* next handler to look at */
    unsigned char *notified;       /* per handler of the play in progress */
};

/* An operation was just started (h->op set): its time starts now, and its error is its own (the
 * previous operation's error must not stand for it: the first error wins in an na_err). */
static inline void rn_op_started(rn_host *h)
{
    h->op_start_us = na_now_us();
    na_err_clear(&h->op_err);
}

struct na_runner {
    const na_inventory *inv;
    const na_playbook *pb;
    na_platforms *platforms;
    bool own_platforms;
    na_tfsm_lib *tfsm;      /* templates for `parse: true`, NULL when no task asks */
    struct event_base *base;
    bool own_base;
    json_t *extra;
    char *limit, *owner, *transcript_dir, *backup_dir;
    bool check, diff;
    bool confine_local;
    unsigned forks;
    bool transport_override;
    na_transport_kind transport;
    int task_timeout_ms, host_timeout_ms;
    size_t config_window;
    size_t max_output;
    na_run_hooks hooks;
    na_pb_budget *budget;     /* validation only (na_runner_new), borrowed */

    rn_host *hosts;
    size_t nhosts;
    na_pb_tags tags;        /* --tags / --skip-tags (strings owned) */
    unsigned char *selected; /* [sel_off[play] + task]: the task runs (tags) */
    size_t *sel_off;
    size_t max_handlers;    /* the most handlers any play has */

    /* Phases and batches. Without serial, max_fail_percentage or any_errors_fatal anywhere,
     * one phase holds every play and one batch every host (hosts run their plays back to
     * back). Otherwise each play is a phase, its hosts in `serial` batches; a host's session
     * is opened per phase. */
    bool batched;           /* some play batches: one phase per play */
    size_t nphases, cur_phase;
    size_t phase_from, phase_to; /* plays [from, to) of the current phase */
    size_t *pending;        /* hosts of the current phase not yet in a batch */
    size_t npending, pending_pos;
    size_t *batch_sizes, nbatches, cur_batch;
    size_t *batch;          /* host indices of the current batch */
    size_t batch_n, batch_done, batch_failed;
    size_t next;            /* next host of the batch to start */
    bool started_phase;     /* the first phase was taken */
    bool stopping;          /* the failure budget is spent: nothing new starts */
    char stop_reason[400];
    size_t in_flight;       /* waiting + running */
    na_run_progress prog;
    size_t ntasks;          /* task results so far */
    struct event *kick;     /* start hosts (from the loop) */
    struct event *cancel_ev;
    bool started, finished, cancelled;
    bool in_cancel;         /* cancel_cb is settling hosts: na_rn_host_done does not finish */
    int64_t start_ms;
    json_t *results, *hosts_json;
};

/* runner.c: a host program ended (state RH_DONE set by the caller): release, account, start the
 * next hosts, finish the run when it was the last. */
void na_rn_host_done(rn_host *h);
/* runner_batch.c: is the host's result final once its current program ends (failed,
 * cancelled, the run stopping, or no later phase includes it)? */
bool na_rn_host_is_final(const rn_host *h);
/* runner_batch.c: does the task run under --tags/--skip-tags? */
bool na_rn_selected(const na_runner *r, size_t play, size_t task);
/* runner_batch.c: a copy of a tag list (strings owned; free with na_rn_free_tags). -1 on OOM. */
int na_rn_copy_tags(const char *const **out, size_t *n, const char *const *in, size_t cnt);
void na_rn_free_tags(const char *const *a, size_t n);
/* runner_batch.c: at prepare, which tasks run (tags) and the phases (after prepare_hosts). */
int na_rn_select_tasks(na_runner *r, na_err *err);
int na_rn_prepare_phases(na_runner *r, na_err *err);
/* runner_batch.c: the next batch of the phase, or of the next phase with hosts (false: none
 * left); after a host of the batch ended, is the budget spent (then the run stops); a final
 * host counted; a host that will not run reported skipped. */
bool na_rn_next_batch(na_runner *r);
void na_rn_check_budget(na_runner *r);
void na_rn_count_final(na_runner *r, rn_host *h);
void na_rn_skip_host(na_runner *r, rn_host *h);

/* runner_host.c */
int na_rn_host_init(rn_host *h);         /* its event (at start); -1 on OOM */
void na_rn_host_begin(rn_host *h);       /* granted: run the program from the loop */
void na_rn_host_abort(rn_host *h);       /* cancel a running host (closes its session) */
void na_rn_host_record(rn_host *h);      /* put its result in the run's results (no hook) */
void na_rn_host_free(rn_host *h);        /* everything a host holds (no hooks) */

/* runner_task.c: task kind continuations. Each starts the next operation (returning RN_WAIT)
 * or completes the task (RN_DONE, h->cur filled). Called with h->sub == 0 first, then after
 * each operation with h->op_st / h->op_err / h->res set. */
enum { RN_WAIT = 0, RN_DONE = 1 };
int na_rn_task_step(rn_host *h);
/* Start a session operation (sets h->op); -1 (task error recorded) if it cannot start. */
int na_rn_start_command(rn_host *h, const char *cmd, int timeout_ms);
/* The same in a mode (a platform mode name; NULL = the default mode). */
int na_rn_start_command_in(rn_host *h, const char *cmd, int timeout_ms, const char *mode);
/* Set the task's failure from e (first error wins). */
void na_rn_task_fail(rn_host *h, const na_err *e);
/* Per-command timeout for the task in progress. */
int na_rn_task_timeout(const rn_host *h);
/* The current loop item failed with e (the task too). */
void na_rn_item_fail(rn_host *h, const na_err *e);
/* Keep a loop item's registered result (a task without loop: the result); takes item. */
void na_rn_add_item(rn_host *h, json_t *item);
/* A looping task's registered result from its items; returns RN_DONE. */
int na_rn_finish_items(rn_host *h);

/* runner_host.c: the write-ahead record of an operation just started (h->op set), before any of
 * it is sent (hooks.record; no-op without the hook): kind "command", "config", "save" or
 * "script", and every line it may send. The host's program sends nothing until the record is
 * durable; if it cannot be kept, the operation fails without sending. na_rn_record_drop gives up
 * a wait (cancel, free). */
void na_rn_record(rn_host *h, const char *kind, const char *const *lines, size_t n);
void na_rn_record_drop(rn_host *h);

/* runner_task.c: helpers every task kind uses. Append to the task's output (pieces separated
 * by a newline; past the ceiling the shown output is cut); record a line sent; start a config
 * push of lines (-1 with the task failed); record a push's lines, output and whether it
 * changed the device; the task's error message or NULL. */
void na_rn_out_add(rn_host *h, const char *s, size_t n);
void na_rn_out_add_cstr(rn_host *h, const char *s);
void na_rn_cmd_add(rn_host *h, const char *line);
int na_rn_start_config(rn_host *h, const na_strv *lines);
void na_rn_config_done(rn_host *h);
const char *na_rn_msg_of(const rn_host *h);

/* runner_config.c: config and save task steps (like na_rn_task_step's); does the platform say how
 * it shows its configuration (config tasks then send only what is missing)? */
int na_rn_config_step(rn_host *h);
int na_rn_save_step(rn_host *h);
bool na_rn_config_converges(const rn_host *h);

/* runner_config.c: the running configuration in output[0..n) becomes h->running (the platform's
 * running_config syntax). -1 with the task failed on NOMEM. */
int na_rn_running_parse(rn_host *h, const char *output, size_t n);
/* runner_host.c: the host's diff from the running-config text before and after (appended to an
 * earlier play's diff). -1 with the host failed. */
int na_rn_host_diff(rn_host *h, const char *before, const char *after);

/* runner_script.c */
int na_rn_script_step(rn_host *h);
/* runner_copy.c */
int na_rn_copy_step(rn_host *h);

/* The running-config read for --diff, and the VLAN table read. */
#define RN_RUNNING_CONFIG_CMD "show running-config"
#define RN_VLAN_READ_CMD "show vlan brief"
#define RN_OUTPUT_MAX ((size_t)16 << 20)

#endif
