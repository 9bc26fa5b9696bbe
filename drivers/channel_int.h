/* channel_int.h — private to channel.c (the exchange: I/O, deadlines, handing output over) and
 * channel_match.c (what the received text means: the echo, prompts at the tail, pagers, replies,
 * asynchronous messages). Not a public header: use channel.h. */
#ifndef NA_CHANNEL_INT_H
#define NA_CHANNEL_INT_H

#include "buf.h"
#include "channel.h"
#include "vtnorm.h"

/* The exchange's states (na_channel.xs); names in channel.c for the trace log. */
enum { X_IDLE = 0, X_ECHO, X_OUTPUT, X_DONE, X__COUNT };

#define NA_CHANNEL_MAX_ASYNC 64 /* asynchronous messages kept per operation; more are counted */

struct na_channel {
    na_transport *t;
    char *name;
    na_transcript *tr;
    size_t max_output;
    size_t lookback;
    na_buf buf;
    na_vtnorm vt;
    na_matcher *m;

    /* the exchange in progress */
    na_expect *e;
    int xs;
    size_t pos;         /* where the exchange starts; after a hit: where the next one starts */
    size_t base;        /* line start of pos at begin: output accounting starts here */
    size_t echo_from;   /* echo search position */
    size_t fb_from;     /* echo fallbacks: the next complete line to look at */
    size_t alt_nl;      /* 1 + the newline of a line whose soft-wrap reading holds the echo */
    size_t scan_from;   /* next complete line to check for prompt + next_echo */
    size_t floor;       /* replies/pagers/prompts only look at text from here on */
    size_t next_ls;     /* after a hit: start of the line to keep */
    int64_t t0_us;
    bool dirty;         /* data or state changed since the last examination */
    int64_t grace_at;   /* no echo but a prompt: accept it as a non-echoing device at this time */
    int64_t settle_at;  /* a prompt that must settle is accepted at this time (no data since) */
    bool settle_prompt; /* settle_at is a prompt's (else a question's, before its answer) */
    bool yielded;       /* the last step stopped at STEP_BUDGET with data left: step again now */
    na_expect_result res;

    /* secrets written since the last exchange ended: their echoes are masked in the output,
     * in messages and (announced to it) in the transcript */
    char *sent_secret[8];
    size_t sent_secret_len[8];
    size_t nsent_secret;

    /* asynchronous messages recognised (na_channel_take_async) */
    char **asyncs;
    size_t nasync;
    unsigned async_dropped;

    bool raw;           /* raw (shell) mode started */
    size_t raw_off;
    uint64_t bytes_in, bytes_out, pages;
};

/* channel.c */
void na_ch_set_state(na_channel *c, int xs);
void na_ch_hit(na_channel *c, na_hit_kind kind, size_t index);
size_t na_ch_line_start(const na_channel *c, size_t at);
void na_ch_async_add(na_channel *c, const char *s, size_t n);
int na_ch_fail_transport(na_channel *c, const na_err *te, na_err *err);
/* s with the echoes of the secrets written in this exchange masked (a new string; NULL on OOM). */
char *na_ch_mask_sent(const na_channel *c, const char *s, size_t n, size_t *outn);

/* channel_match.c: examine the buffer for the exchange's state. 1 = hit (or a state change that
 * needs no more data), 0 = keep waiting, -1 = error (err). */
int na_ch_examine(na_channel *c, na_err *err);
/* The vtnorm hook: a line rewritten after a bare CR ended (echo soft-wrap reading). */
void na_ch_on_cr_line(void *ud, const na_vtnorm *v, const na_buf *b, size_t ls, size_t nl);
/* Is b->data[a..e) one asynchronous message (from a, or glued after text when glued != NULL:
 * *glued = where the message starts)? */
bool na_ch_async_line(na_channel *c, size_t a, size_t e, size_t *glued);
/* Output [a, b) without its asynchronous lines (recorded), as a new malloc'd string. */
char *na_ch_strip_async(na_channel *c, size_t a, size_t b, size_t *n, na_err *err);

#endif
