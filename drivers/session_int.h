/* session_int.h — private to session.c (lifecycle, exchanges, mode walks, blocking wrappers) and
 * session_ops.c (the operations' state machines: one function per phase, a name table, every
 * transition logged at trace level). Not a public header: use session.h. */
#ifndef NA_SESSION_INT_H
#define NA_SESSION_INT_H

#include "session.h"

#define MAX_REPLIES 32
#define MAX_ROUTE 8
#define FAILURE_SCAN 8192  /* failure patterns look at the first 8 KiB of each output */

typedef enum { OP_NONE = 0, OP_OPEN, OP_COMMAND, OP_CONFIG, OP_SAVE, OP_MODE } op_kind;

/* The phases of every operation (session_ops.c has their names and functions). An operation
 * starts at its first phase; na_session_fd() waits on the transport in PH_OPEN_TRANSPORT. */
typedef enum {
    PH_IDLE = 0,
    /* open */
    PH_OPEN_TRANSPORT,
    PH_OPEN_FIRST_START,
    PH_OPEN_FIRST,
    PH_OPEN_CONFIRM_START,
    PH_OPEN_CONFIRM,
    PH_OPEN_ON_OPEN,
    PH_OPEN_MODE_START,
    PH_OPEN_MODE,
    /* command */
    PH_CMD_MODE_START,
    PH_CMD_MODE,
    PH_CMD_SEND,
    PH_CMD_WAIT,
    /* config */
    PH_CFG_ENTER_START,
    PH_CFG_ENTER,
    PH_CFG_LINES,
    PH_CFG_COMMIT_SEND,
    PH_CFG_COMMIT_WAIT,
    PH_CFG_LEAVE_START,
    PH_CFG_LEAVE,
    /* save */
    PH_SAVE_MODE_START,
    PH_SAVE_MODE,
    PH_SAVE_SEND,
    PH_SAVE_WAIT,
    /* enter mode */
    PH_MODE_START,
    PH_MODE,
    PH__COUNT
} op_phase;

/* What one exchange sends and waits for. */
typedef struct xspec {
    const char *send;         /* line to write (newline added); NULL = nothing */
    const char *echo;         /* echo to wait for (NULL = none, "" = a bare return) */
    const char *next_echo;    /* pipelining: the next line, already sent */
    const na_panswer *extra;  /* transition / save answers (before the platform's) */
    size_t nextra;
    bool cmd_answers;         /* include the answers given with the current command */
    bool login;               /* include the platform's login answers (opening only) */
    bool open_prompts;        /* also accept any prompt-like line once it settled (opening) */
    bool strip_async;         /* asynchronous messages anywhere in the answer are not output
                                 (config lines, mode changes, on-open commands) */
    bool recover;             /* a refused / unanswerable prompt: answer empty lines until a
                                 prompt returns, then fail (keeps the session usable) */
    int timeout_ms;           /* 0 = the session's command timeout */
    int64_t deadline_ms;      /* 0 = now + timeout_ms */
    const char *cmd;          /* for messages */
    const char *phase;        /* for messages when cmd is NULL */
    size_t max_output;        /* 0 = the session's */
} xspec;

typedef struct xchg {
    bool active;
    na_expect e;
    na_reply replies[MAX_REPLIES];
    char *texts[MAX_REPLIES];  /* resolved reply texts we own (wiped: they may be secrets) */
    size_t ntexts;
    char *cmd;                 /* copy of spec.cmd for messages (secrets masked) */
    const char *cmd_src;       /* spec.cmd itself (borrowed: which line cmd was made from) */
    bool recover;
    int refused;               /* index of the refused / unanswered reply, -1 = none */
    na_hit_kind refused_kind;
    bool refused_secret;
    char *refused_prompt;      /* the tail line that was refused ("Password:") */
    int64_t t0_us;
} xchg;

typedef struct walk {
    bool active;
    size_t path[MAX_ROUTE];
    int n, i;
    size_t target;
} walk;

struct na_session {
    char *name;
    const na_platform *p;
    na_channel *ch;
    na_transport *t;
    char *username, *password, *secret; /* password and secret in locked, wiped memory */
    int open_timeout_ms, cmd_timeout_ms, shell_timeout_ms;
    size_t max_output;
    bool skip_on_open;
    na_transcript *tr;
    na_matcher *m;

    /* prompts offered to exchanges: [learned..., platform...] then the prompt-like catch-all */
    const na_pattern **prompts;
    size_t *pmode;             /* mode of each prompt (NA_NO_MODE: unknown) */
    size_t nprompts;           /* without the catch-all */
    na_pattern **learned;      /* owned */
    size_t *lmode;             /* mode of each learned prompt */
    size_t nlearned;
    char *learned_prompt;
    /* login answers (platform patterns, session texts) */
    na_panswer login_ans[2];
    size_t nlogin;

    size_t mode;
    char *prompt;
    bool opened, broken, closed, raw;
    bool no_echo;              /* the device was seen not to echo: stop waiting for echoes */

    /* the operation in progress */
    op_kind op;
    op_phase phase;
    bool kick;                 /* started, not stepped yet: the deadline is "now" */
    int64_t op_t0_us;
    int64_t op_deadline_ms;    /* opening: the overall deadline, else 0 */
    na_err op_err;             /* the operation's first error */
    xchg x;
    walk w;
    /* command / save */
    char *cmd;
    size_t target_mode;
    bool cmd_no_error_check;
    int cmd_timeout;
    size_t cmd_max_output;
    na_panswer *cmd_ans;       /* compiled per-command answers (owned) */
    size_t ncmd_ans;
    /* config */
    char **lines;
    size_t nlines, sent, done, window;
    int64_t *t_sent;
    bool stop_sending;
    bool committing;           /* the commit (or discard) exchange is in progress */
    char *commit_cmd;          /* this push's commit instead of commit.send (owned), or NULL */
    size_t mode_before;
    /* open */
    char *first_line;
    int tries;
    int nudges;               /* returns pressed while waiting for the first prompt */
    size_t on_open_i;
    int64_t prompt_deadline_ms;

    na_result res;

    /* measurements */
    int64_t transport_us, first_prompt_us, open_us, last_op_us;
    uint64_t lines_sent;
};

/* session.c */
/* An error message built from netauto's own (already masked) text and the device's exact text:
 * no redaction of the device's words. */
int na_sess_s_err(na_err *err, na_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* text with every registered secret masked: for what netauto typed (commands, config lines)
 * shown in results and messages. Caller frees; NULL on OOM. */
char *na_sess_typed_masked(const char *text);
/* The asynchronous messages of the exchanges so far go into the result. */
void na_sess_collect_async(na_session *s);
int na_sess_x_start(na_session *s, const xspec *sp, na_err *err);
na_status na_sess_x_step(na_session *s, na_err *err);
void na_sess_x_end(na_session *s);
int na_sess_send_line(na_session *s, const char *line, bool secret, na_err *err);
char *na_sess_find_device_error(na_session *s, const char *out, size_t len);
/* The first line of a config line's answer that config_errors calls an error (or NULL). */
char *na_sess_find_config_error(na_session *s, const char *out, size_t len);
int na_sess_walk_begin(na_session *s, size_t target, na_err *err);
na_status na_sess_walk_step(na_session *s, na_err *err);
int na_sess_learn_prompt(na_session *s, const char *line, na_err *err);
int na_sess_learn_host(na_session *s, const char *line, size_t *mode, na_err *err);
const char *na_sess_mode_name(const na_session *s, size_t mode);
void na_sess_set_prompt(na_session *s);

/* session_ops.c */
na_status na_sess_op_step(na_session *s);
void na_sess_op_cleanup(na_session *s);

#endif
