/* channel.h — the expect loop over a transport: reads bytes, normalises them (vtnorm.h) into one
 * bounded receive buffer, and waits for patterns at the TAIL of that buffer, answering pagers and
 * prompted input on the way. Non-blocking and resumable: every call does what it can now and
 * returns NA_AGAIN when it must wait for na_channel_fd() / na_channel_want() or the expect's
 * deadline. Knows nothing of platforms, modes or commands: drivers/session.h builds those on it.
 *
 * One exchange ("expect") works like this:
 *
 *   ...previous prompt line... | echo of the line sent \n | output ... \n | prompt   <- tail
 *                     ^ pos                              ^ out_start       ^ out_end
 *
 *   1. ECHO: when a line was sent (e.g.echo = "show vlan"), its echo is searched from the start of
 *      the line holding `pos` (the previous prompt's line); once found and terminated by "\n",
 *      the output starts after that newline; anything before the echo (a stale prompt, the end
 *      of a banner, asynchronous messages) is skipped. echo == "" (a bare return) waits for the
 *      first newline. A long line the device's editor scrolled or wrapped is still recognised
 *      (echoes of at least 12 bytes): IOS scrolls it horizontally, and the echo line ends in
 *      "$" + the end of the line sent; a readline-style editor (EOS) wraps it at the screen edge
 *      with " \r", and the line's soft-wrap reading (vtnorm.h) holds the echo. A device that
 *      does not echo is recognised when a prompt sits at the tail, on a later line, and the echo
 *      has still not come after a grace period (echo_grace_ms, 500 ms): then the output starts
 *      right after `pos`. echo_optional (a device known not to echo): no grace, but an echo on
 *      the first line is still taken out.
 *   2. OUTPUT: after the echo, on every read, the tail window (the text after the last "\n",
 *      limited to its last 4096 bytes, plus `lookback` bytes before it; for prompts of several
 *      lines, up to prompt_lines - 1 lines before it too) is matched against, in this order: the
 *      replies (prompted input: the reply is written, once per appearance), the pagers (the pager
 *      reply is written and the pager text is removed from the buffer), then the prompts (the
 *      exchange ends). Nothing before the tail is ever rescanned. When no prompt matches:
 *        - a tail line rewritten after a bare CR whose new text is a prompt (NX-OS prints
 *          `098f...f6` CR `switch# `): the CR is read as a line break, the old text stays the
 *          last line of the output;
 *        - asynchronous messages (patterns `asyncs`, syslog lines a device prints whenever it
 *          likes) after the prompt, on lines of their own or glued to the prompt: the prompt
 *          behind them ends the exchange. Messages are also taken from before the echo, from
 *          between a reprinted prompt and the previous one, and (strip_async, for config lines
 *          and mode changes) from anywhere in the output; they are kept out of the output and
 *          handed over by na_channel_take_async(). Inside a command's output an async-looking
 *          line is output (show logging prints the same lines).
 *      Prompts from index settle_from on are accepted only once the device has been quiet for
 *      settle_ms (a banner line that looks like a prompt, drawn slowly, is not one).
 *   3. Pipelining: when next_echo is set (the next line was already sent), a line that begins
 *      with a prompt immediately followed by next_echo also ends the exchange (the device printed
 *      its prompt and then echoed the type-ahead); `pos` then moves to that echo.
 *
 * Every exchange has a deadline (NA_E_TIMEOUT "sw1: no prompt after 'show vlan' within 30.0 s;
 * last line: 'sw1#show vl'"), an output ceiling (NA_E_OVERFLOW "sw1: output of 'show tech'
 * exceeded the limit of 16777216 bytes") and reports a close by the device as NA_E_CLOSED with
 * the same context. After any of these errors the stream is out of step with the device: the
 * caller should close the channel. State changes are logged at trace level. */
#ifndef NA_CHANNEL_H
#define NA_CHANNEL_H

#include "err.h"
#include "pattern.h"
#include "transcript.h"
#include "transport.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NA_CHANNEL_DEFAULT_MAX_OUTPUT ((size_t)16 << 20)
#define NA_CHANNEL_TAIL_MAX 4096

typedef struct na_channel na_channel;

typedef struct na_channel_opts {
    const char *name;          /* device name used in messages (copied); NULL = params->name */
    size_t max_output;         /* default ceiling of one exchange's output; 0 = 16 MiB */
    size_t lookback;           /* bytes before the last line also offered to patterns (0) */
    na_transcript *transcript; /* borrowed, optional: every byte read/written is recorded */
} na_channel_opts;

/* Take ownership of the transport t (also on failure: t is destroyed then). t may still be
 * opening: the caller drives t->ops->open() itself before using the expect functions. Free
 * with na_channel_free(), which destroys the transport. */
na_channel *na_channel_new(na_transport *t, const na_channel_opts *o, na_err *err);
void na_channel_free(na_channel *c);

na_transport *na_channel_transport(const na_channel *c); /* borrowed */
const char *na_channel_name(const na_channel *c);
void na_channel_set_transcript(na_channel *c, na_transcript *tr); /* borrowed, NULL = off */

/* What to wait on while an operation returned NA_AGAIN: the transport's fd, NA_WANT_READ (plus
 * NA_WANT_WRITE while output is pending or the transport asks for it). */
int na_channel_fd(const na_channel *c);
int na_channel_want(const na_channel *c);

/* Queue bytes for the device and send what the socket takes now (the rest goes out from the
 * expect steps). secret: the bytes are a password (recorded as a marker in the transcript).
 * Returns 0 or -1 (err). */
int na_channel_write(na_channel *c, const char *p, size_t n, bool secret, na_err *err);
/* Send pending output: NA_OK when nothing is pending, NA_AGAIN when the socket is full. */
na_status na_channel_flush(na_channel *c, na_err *err);

/* ---- expect ---- */

/* A prompted-input answer. The channel increments `uses`; the rest is read-only to it. */
typedef struct na_reply {
    const na_pattern *prompt; /* borrowed; matched against the tail window */
    const char *text;         /* reply (borrowed); NULL = no answer available: stop with
                                 NA_HIT_UNANSWERED instead of replying */
    bool newline;             /* append the expect's newline to the text */
    bool secret;              /* write flagged secret */
    unsigned max_uses;        /* answers allowed in one exchange (0 = unlimited); one more
                                 appearance stops with NA_HIT_REPEATED (e.g. a refused password) */
    int settle_ms;            /* the first answer of an exchange (a credential: "Username: "
                                 may have text glued to it that is still coming) is written only
                                 once the device stayed quiet this long after the question; a
                                 question answering an answer (the password after the username)
                                 is answered at once. 0 = at once */
    unsigned uses;
} na_reply;

typedef enum {
    NA_HIT_NONE = 0,
    NA_HIT_PROMPT,     /* prompts[index] matched: the exchange is complete */
    NA_HIT_UNANSWERED, /* replies[index] matched but has no text */
    NA_HIT_REPEATED,   /* replies[index] matched once more than max_uses */
} na_hit_kind;

/* Everything borrowed; the struct itself must stay valid (and unchanged, except replies[].uses
 * and the fields marked "may change") until the exchange ends. */
typedef struct na_expect {
    const na_pattern *const *prompts; /* any of these at the tail ends the exchange */
    size_t nprompts;
    const na_pattern *const *pagers;
    size_t npagers;
    const char *pager_reply;          /* bytes written for a pager (no newline added); NULL = " " */
    na_reply *replies;                /* may change between steps (e.g. to answer differently) */
    size_t nreplies;
    const char *newline;              /* appended to replies with newline; NULL = "\n" */
    const char *echo;                 /* the line just sent, without newline; NULL = none sent */
    const char *next_echo;            /* pipelining: the following line, already sent; or NULL */
    const char *cmd;                  /* for messages: "after '<cmd>'" (NULL: use `phase`) */
    const char *phase;                /* for messages when cmd is NULL, e.g. "after login" */
    int64_t deadline_ms;              /* absolute na_now_ms() deadline (required) */
    int timeout_ms;                   /* the duration shown in the timeout message */
    size_t max_output;                /* 0 = the channel's default */
    int echo_grace_ms;                /* see ECHO above; 0 = 500 */
    bool echo_optional;               /* see ECHO above */
    unsigned prompt_lines;            /* lines a prompt may span (0 or 1: the tail line only) */
    size_t settle_from;               /* prompts[settle_from..] must settle ... */
    int settle_ms;                    /* ... for this long (0 = none must) */
    const na_pattern *const *asyncs;  /* asynchronous messages: each matches one whole line (or
                                         its end, glued after a prompt) */
    size_t nasyncs;
    bool strip_async;                 /* also take them out of the output itself */
} na_expect;

typedef struct na_expect_result {
    na_hit_kind kind;
    size_t index;                 /* which prompt / reply */
    bool echoed;                  /* the echo was found */
    size_t out_start, out_end;    /* output in the buffer (see na_channel_text) */
    size_t prompt_start, prompt_end;
    unsigned pages;               /* pagers answered in this exchange */
    unsigned replies;             /* replies written in this exchange */
    int64_t elapsed_us;           /* begin to hit */
} na_expect_result;

/* Start an exchange. Call after writing the line (if any). */
void na_channel_begin(na_channel *c, na_expect *e);
/* Advance: NA_OK = hit (na_channel_result), NA_AGAIN = wait, NA_ERROR = see err (timeout,
 * overflow, closed, transport failure). One step reads at most 256 KiB, so a device streaming a
 * huge output cannot starve the other sessions of an event loop; when it stops there,
 * na_channel_wake() is "now" (data may wait inside the transport with the fd quiet). */
na_status na_channel_step(na_channel *c, na_err *err);
const na_expect_result *na_channel_result(const na_channel *c);
/* When step() must be called again even without I/O: the exchange's deadline, or earlier while
 * an echo grace period runs (absolute na_now_ms(); 0 = no exchange). */
int64_t na_channel_wake(const na_channel *c);
/* After an NA_HIT_UNANSWERED / NA_HIT_REPEATED hit: keep waiting in the same exchange (the
 * caller may first change e->replies, e.g. to answer the repeated prompt differently). */
void na_channel_resume(na_channel *c);

/* The normalised receive buffer (valid until the next channel call). */
const char *na_channel_text(const na_channel *c, size_t *len);
/* After a hit: the output of the exchange as a new malloc'd, NUL-terminated string (caller
 * frees), without the echo line and the prompt line and without the final newline; then drop
 * everything before the prompt's line. NULL + err on OOM. */
char *na_channel_take_output(na_channel *c, size_t *len, na_err *err);
/* After a hit: drop everything before the prompt's line without copying the output. */
void na_channel_consume(na_channel *c);
/* The prompt text of the last hit (malloc'd copy, caller frees; NULL on OOM or no hit). */
char *na_channel_prompt(const na_channel *c);

/* The asynchronous messages recognised since the last call (oldest first) as a malloc'd array of
 * malloc'd strings the caller frees (NULL when none); *n = the count. *dropped (may be NULL) =
 * messages not kept (more than 64 since the last call). */
char **na_channel_take_async(na_channel *c, size_t *n, unsigned *dropped);

/* The last non-empty line received, escaped and shortened for messages ("sw1#show vl"). */
void na_channel_last_line(const na_channel *c, char *out, size_t cap);

/* Raw access for an interactive shell: first whatever normalised text is still unread after the
 * last hit (the prompt line), then raw bytes straight from the transport (recorded, not
 * normalised). Same return values as transport read(). */
na_status na_channel_read_raw(na_channel *c, char *buf, size_t cap, size_t *n, na_err *err);

/* Counters: data bytes read / written, pagers answered. */
typedef struct na_channel_stats {
    uint64_t bytes_in, bytes_out;
    uint64_t pages;
    size_t buffer_cap; /* bytes allocated for the receive buffer right now */
} na_channel_stats;
void na_channel_stats_get(const na_channel *c, na_channel_stats *st);

#endif
