/* session.h — the driver: one device session running a platform (platform.h) over a channel
 * (channel.h) over a transport (transport.h). Operations: open, enter a mode, send a command, send
 * config lines, save, close; plus raw byte access for an interactive shell.
 *
 * ONE implementation, two ways to drive it:
 *   - event loop: na_session_start_*() begins an operation (no I/O yet: its deadline is "now",
 *     so the first step comes at once); then call na_session_step() whenever na_session_fd() is
 *     ready in the na_session_want() direction(s) or na_session_deadline() passes. NA_AGAIN =
 *     keep waiting (fd, direction and deadline may have changed); NA_OK = done; NA_ERROR =
 *     failed (err). Then na_session_take_result() hands over what the operation produced (also
 *     after a failure: the output of a rejected command is kept).
 *   - blocking: na_session_open() / _command() / _config() / _save() / _enter_mode() do the same
 *     start + step, waiting with poll() in between (na_session_wait()).
 *
 * Error codes callers see: NA_E_DEVICE (the device rejected a command: the message is the device's
 * text), NA_E_TIMEOUT (no prompt within the deadline: the message says what was awaited and shows
 * the last line), NA_E_CLOSED, NA_E_OVERFLOW, NA_E_AUTH (login or enable secret refused),
 * NA_E_PROMPT (prompt not found / unexpected mode), NA_E_UNSUPPORTED (e.g. save on a platform
 * without one), plus whatever the transport reports while opening. After NA_E_TIMEOUT,
 * NA_E_CLOSED, NA_E_OVERFLOW or a transport error the session is out of step with the device
 * (na_session_usable() is false): close it. A device error leaves it usable.
 * Not thread-safe: one session is driven by one thread at a time. */
#ifndef NA_SESSION_H
#define NA_SESSION_H

#include "channel.h"
#include "err.h"
#include "platform.h"
#include "transcript.h"
#include "transport.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct na_session na_session;

typedef struct na_session_opts {
    const char *name;          /* for messages; NULL = params->name of the transport, else "device" */
    const char *username;      /* in-band login prompts; NULL = params->username */
    const char *password;      /* in-band login / ${password}; NULL = params->password */
    const char *secret;        /* enable secret for ${secret}; NULL = none */
    int open_timeout_ms;       /* transport open + first prompt; 0 = the transport's phase
                                  timeouts for the transport, params shell timeout for the prompt */
    int command_timeout_ms;    /* per command; 0 = params command timeout (30 s) */
    size_t max_output;         /* per command; 0 = 16 MiB */
    na_transcript *transcript; /* borrowed, optional; must outlive the session */
    bool skip_on_open;         /* do not run the platform's on_open commands */
} na_session_opts;

/* Create a session. Takes ownership of t in every case (destroyed on failure). p is borrowed and
 * must outlive the session (a registry's platforms live as long as the registry), as must
 * o->transcript; the strings in o are copied (secrets into locked memory, registered for
 * redaction). No I/O: start with na_session_open() / na_session_start_open(). Free with
 * na_session_free(). */
na_session *na_session_new(na_transport *t, const na_platform *p, const na_session_opts *o,
                           na_err *err);
/* Close (best effort, non-blocking) and free everything, including the transport. */
void na_session_free(na_session *s);

/* ---- per-operation options and results ---- */

/* A prompted-input answer given with one command (tried before the platform's answers). */
typedef struct na_cmd_answer {
    const char *prompt;  /* PCRE2 pattern matched at the tail ("Delete filename \[.*\]\?") */
    const char *reply;   /* may use ${secret}, ${password}, ${username} */
    bool secret;         /* write flagged secret (implied by ${secret} / ${password}) */
    bool no_newline;     /* send the reply without a newline */
} na_cmd_answer;

typedef struct na_cmd_opts {
    int timeout_ms;                /* 0 = the session's command timeout */
    const char *mode;              /* mode to run in: NULL = platform default, "" = current */
    const na_cmd_answer *answers;  /* borrowed during start only */
    size_t nanswers;
    bool no_error_check;           /* do not apply the platform's failure patterns */
    size_t max_output;             /* 0 = the session's */
} na_cmd_opts;

typedef struct na_config_opts {
    int timeout_ms;    /* per line; 0 = the session's command timeout */
    size_t window;     /* lines in flight: 0 or 1 = lockstep (send, echo, prompt); N > 1 sends up
                          to N lines ahead (only for lines that prompt for nothing) */
    const char *mode;  /* NULL = the platform's config_mode */
    const char *commit; /* commit model: sent instead of the platform's commit.send (such as
                           `commit confirmed 2`); NULL = commit.send */
} na_config_opts;

typedef struct na_line_result {
    char *line;          /* the line sent (registered secrets in it masked as ********) */
    char *output;        /* what the device printed for it ("" when nothing) */
    int64_t elapsed_us;  /* send to prompt */
    bool after_error;    /* pipelined: sent before the error on an earlier line was seen */
} na_line_result;

/* What an operation produced. Everything is owned by the result: na_result_free(). */
typedef struct na_result {
    char *command;        /* command / save: the command sent (registered secrets masked) */
    char *output;         /* command / save: device output, echo and prompt stripped, no final
                             newline, byte for byte as the device sent it (normalised, never
                             redacted); "" when nothing; NULL for other operations */
    size_t output_len;
    char *device_error;   /* the device's error line when it rejected a command / config line */
    na_line_result *lines;/* config: one per line sent, in order; on a commit-model platform
                             the commit (or, after a rejected line, the discard) comes last */
    size_t nlines;
    size_t failed_line;   /* config: 1-based number of the rejected line, 0 = none */
    char **async;         /* asynchronous messages (syslog lines) the device printed during the
                             operation, kept out of the outputs; oldest first */
    size_t nasync;
    const char *mode;     /* mode at the end (static or platform storage; "?" when unknown) */
    int64_t elapsed_us;   /* the whole operation */
} na_result;

void na_result_free(na_result *r);

/* ---- event-loop interface ---- */

int na_session_start_open(na_session *s, na_err *err);
/* cmd and lines are copied; opts are only read during the call. */
int na_session_start_command(na_session *s, const char *cmd, const na_cmd_opts *o, na_err *err);
int na_session_start_config(na_session *s, const char *const *lines, size_t n,
                            const na_config_opts *o, na_err *err);
int na_session_start_save(na_session *s, na_err *err);
int na_session_start_mode(na_session *s, const char *mode, na_err *err);

na_status na_session_step(na_session *s, na_err *err);
int na_session_fd(const na_session *s);
int na_session_want(const na_session *s);       /* NA_WANT_* */
int64_t na_session_deadline(const na_session *s); /* absolute na_now_ms(); 0 = none */
bool na_session_busy(const na_session *s);      /* an operation is in progress */
/* Arm a core event watch (core/evwatch.h) for what the operation in progress waits for: the
 * fd in the want direction(s) until the deadline, capped by cap_deadline_ms (> 0, e.g. a
 * whole-host timeout). reassign: see na_evwatch_arm. Defined in session_watch.c. */
struct na_evwatch;
int na_evwatch_session(struct na_evwatch *w, const na_session *s, int64_t cap_deadline_ms,
                       bool reassign, na_err *err);

/* Move the last operation's result into *out (zeroed first; caller frees with na_result_free).
 * Call after na_session_step() returned NA_OK or NA_ERROR. */
void na_session_take_result(na_session *s, na_result *out);

/* ---- blocking interface (start + step + poll) ---- */

/* Drive the operation in progress to its end. */
int na_session_wait(na_session *s, na_err *err);

int na_session_open(na_session *s, na_err *err);
/* out may be NULL (result discarded). On NA_E_DEVICE the output is still in out. */
int na_session_command(na_session *s, const char *cmd, const na_cmd_opts *o, na_result *out,
                       na_err *err);
int na_session_config(na_session *s, const char *const *lines, size_t n, const na_config_opts *o,
                      na_result *out, na_err *err);
int na_session_save(na_session *s, na_result *out, na_err *err);
int na_session_enter_mode(na_session *s, const char *mode, na_err *err);
/* Graceful, non-blocking close of the transport; idempotent. */
void na_session_close(na_session *s);

/* ---- state and measurements ---- */

const char *na_session_name(const na_session *s);
const char *na_session_mode(const na_session *s);   /* current mode name, "?" if unknown */
const char *na_session_prompt(const na_session *s); /* last prompt seen ("" before open) */
/* The prompt learned by sending a return when no platform pattern matched, else NULL. */
const char *na_session_learned_prompt(const na_session *s);
bool na_session_usable(const na_session *s);        /* open and in step with the device */
const na_platform *na_session_platform(const na_session *s);
na_transport *na_session_transport(const na_session *s); /* borrowed (info, params) */

typedef struct na_session_stats {
    int64_t transport_us;    /* transport open: connect, negotiation, authentication, shell */
    int64_t first_prompt_us; /* start of open to the first prompt seen */
    int64_t open_us;         /* the whole open: on-open commands and default mode included */
    int64_t last_op_us;      /* the last operation */
    uint64_t bytes_in, bytes_out; /* data bytes (after / before the transport's encoding) */
    uint64_t lines_sent;     /* commands, config lines, mode changes, answers */
    uint64_t pages;          /* pagers answered */
} na_session_stats;
void na_session_stats_get(const na_session *s, na_session_stats *st);

/* ---- raw access (netauto shell), after open ---- */

/* First the unread prompt line, then raw transport bytes (not normalised). */
na_status na_session_raw_read(na_session *s, char *buf, size_t cap, size_t *n, na_err *err);
int na_session_raw_write(na_session *s, const char *p, size_t n, na_err *err);

#endif
