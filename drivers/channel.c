/* channel.c — the expect loop (see channel.h): drain the transport, normalise into one bounded
 * buffer, run the exchange's state machine (idle -> echo -> output -> done) with its deadline,
 * output ceiling and step budget, and hand the output over. What the text means (echo, prompts,
 * pagers, replies, asynchronous messages) is channel_match.c. Not a driver: it knows no modes,
 * commands or platforms. */
#include "channel.h"
#include "channel_int.h"
#include "clock.h"
#include "log.h"
#include "secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READ_CHUNK 16384
#define SLACK ((size_t)64 << 10)      /* buffer room beyond the output ceiling (prompt lines) */
#define STEAL_MIN ((size_t)64 << 10)  /* outputs this big are handed over without a copy */
#define SHRINK_ABOVE ((size_t)16 << 10) /* give memory back when the buffer is this big and idle */
/* Bytes one step reads at most. A device that streams faster than we parse (a 50 MB show
 * tech-support on loopback) never lets the transport run dry; without a budget one step would
 * read it all while every other session on the same event loop waits (and times out). */
#define STEP_BUDGET ((size_t)256 << 10)

static const char *const xs_names[X__COUNT] = {
    [X_IDLE] = "idle", [X_ECHO] = "echo", [X_OUTPUT] = "output", [X_DONE] = "done"};

static void forget_sent(na_channel *c);

void na_ch_set_state(na_channel *c, int xs)
{
    if (c->xs != xs && na_log_get_level() >= NA_LOG_TRACE) {
        char why[200] = "";
        const char *cmd = c->e && c->e->cmd ? c->e->cmd : NULL; /* secrets masked */
        if (xs == X_ECHO && cmd && *cmd)
            snprintf(why, sizeof why, " (the echo of '%.120s')", cmd);
        else if (xs == X_ECHO)
            snprintf(why, sizeof why, " (the echo of a return)");
        else if (xs == X_OUTPUT && c->xs == X_ECHO)
            snprintf(why, sizeof why, c->res.echoed ? " (echoed)" : " (not echoed: a prompt came)");
        else if (xs == X_DONE && c->res.prompt_end > c->res.prompt_start)
            snprintf(why, sizeof why, " (prompt '%.*s')",
                     (int)(c->res.prompt_end - c->res.prompt_start > 120
                               ? 120 : c->res.prompt_end - c->res.prompt_start),
                     c->buf.data + c->res.prompt_start);
        NA_LOGT(c->name, "channel: %s -> %s%s", xs_names[c->xs], xs_names[xs], why);
    }
    c->xs = xs;
}

na_channel *na_channel_new(na_transport *t, const na_channel_opts *o, na_err *err)
{
    na_channel *c = calloc(1, sizeof *c);
    const char *name = o && o->name ? o->name
                       : t && t->params && t->params->name ? t->params->name
                                                           : "device";
    if (!c || !(c->name = strdup(name)) || !(c->m = na_matcher_new(err))) {
        if (c) {
            free(c->name);
            free(c);
        }
        if (t)
            t->ops->destroy(t);
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    c->t = t;
    c->tr = o ? o->transcript : NULL;
    c->max_output = o && o->max_output ? o->max_output : NA_CHANNEL_DEFAULT_MAX_OUTPUT;
    c->lookback = o ? o->lookback : 0;
    na_buf_init(&c->buf, c->max_output + SLACK);
    na_vtnorm_init(&c->vt);
    c->vt.on_cr_line = na_ch_on_cr_line;
    c->vt.on_cr_line_ud = c;
    return c;
}

void na_channel_free(na_channel *c)
{
    if (!c)
        return;
    if (c->t)
        c->t->ops->destroy(c->t);
    na_buf_free(&c->buf);
    na_matcher_free(c->m);
    for (size_t i = 0; i < c->nasync; i++)
        free(c->asyncs[i]);
    free(c->asyncs);
    forget_sent(c);
    free(c->name);
    free(c);
}

na_transport *na_channel_transport(const na_channel *c) { return c->t; }
const char *na_channel_name(const na_channel *c) { return c->name; }
void na_channel_set_transcript(na_channel *c, na_transcript *tr) { c->tr = tr; }

int na_channel_fd(const na_channel *c)
{
    return c->t->ops->fd(c->t);
}

int na_channel_want(const na_channel *c)
{
    return NA_WANT_READ | c->t->ops->want(c->t);
}

/* A secret was written: remember it (without the Enter after it) to mask its echo. */
static void sent_secret(na_channel *c, const char *p, size_t n)
{
    while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == '\n'))
        n--;
    if (!n)
        return;
    na_transcript_echo_secret(c->tr, p, n);
    if (c->nsent_secret == sizeof c->sent_secret / sizeof *c->sent_secret)
        return;
    char *k = malloc(n);
    if (!k)
        return;
    memcpy(k, p, n);
    c->sent_secret[c->nsent_secret] = k;
    c->sent_secret_len[c->nsent_secret++] = n;
}

static void forget_sent(na_channel *c)
{
    for (size_t i = 0; i < c->nsent_secret; i++) {
        na_wipe(c->sent_secret[i], c->sent_secret_len[i]);
        free(c->sent_secret[i]);
    }
    c->nsent_secret = 0;
}

char *na_ch_mask_sent(const na_channel *c, const char *s, size_t n, size_t *outn)
{
    na_buf b;
    na_buf_init(&b, n + 8 * n + 64);
    size_t i = 0;
    while (i < n) {
        size_t hit = 0;
        for (size_t k = 0; k < c->nsent_secret && !hit; k++)
            if (c->sent_secret_len[k] <= n - i &&
                !memcmp(s + i, c->sent_secret[k], c->sent_secret_len[k]))
                hit = c->sent_secret_len[k];
        if (hit) {
            if (na_buf_append(&b, NA_REDACTED, sizeof NA_REDACTED - 1, NULL, NULL) < 0)
                goto oom;
            i += hit;
        } else {
            if (na_buf_append(&b, s + i, 1, NULL, NULL) < 0)
                goto oom;
            i++;
        }
    }
    if (outn)
        *outn = b.len;
    if (!b.data)
        return strdup("");
    return na_buf_steal(&b);
oom:
    na_buf_free(&b);
    return NULL;
}

int na_channel_write(na_channel *c, const char *p, size_t n, bool secret, na_err *err)
{
    if (secret)
        sent_secret(c, p, n);
    na_transcript_data(c->tr, NA_TR_OUT, p, n, secret);
    na_status st = c->t->ops->write(c->t, p, n, secret, err);
    if (st == NA_ERROR)
        return -1;
    c->bytes_out += n;
    return 0;
}

na_status na_channel_flush(na_channel *c, na_err *err)
{
    return c->t->ops->flush(c->t, err);
}

/* ---- helpers on the buffer ---- */

size_t na_ch_line_start(const na_channel *c, size_t at)
{
    const char *nl = at ? memrchr(c->buf.data, '\n', at) : NULL;
    return nl ? (size_t)(nl - c->buf.data) + 1 : 0;
}

void na_channel_last_line(const na_channel *c, char *out, size_t cap)
{
    if (!cap)
        return;
    const char *d = na_buf_cstr(&c->buf);
    size_t end = c->buf.len;
    while (end > 0 && (d[end - 1] == '\n' || d[end - 1] == ' '))
        end--;
    /* keep trailing spaces of a prompt ("Password: ") when the line is the tail */
    if (end < c->buf.len && d[end] == ' ' && !memchr(d + end, '\n', c->buf.len - end))
        end = c->buf.len;
    size_t st = end;
    while (st > 0 && d[st - 1] != '\n')
        st--;
    const size_t show = 80;
    size_t o = 0;
    if (end - st > show) {
        st = end - show;
        o += (size_t)snprintf(out, cap, "...");
    }
    size_t ln = end - st;
    char *masked = c->nsent_secret ? na_ch_mask_sent(c, d + st, end - st, &ln) : NULL;
    const char *src = masked ? masked : d + st;
    for (size_t i = 0; i < ln && o + 5 < cap; i++) {
        unsigned char ch = (unsigned char)src[i];
        if (ch < 0x20 || ch == 0x7f)
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", ch);
        else
            out[o++] = (char)ch;
    }
    out[o < cap ? o : cap - 1] = '\0';
    free(masked);
}

static const char *about(const na_expect *e, char *tmp, size_t cap, const char *fmt_cmd)
{
    if (e->cmd)
        snprintf(tmp, cap, fmt_cmd, e->cmd);
    else
        snprintf(tmp, cap, "%s", e->phase ? e->phase : "");
    return tmp;
}

static int fail_timeout(na_channel *c, na_err *err)
{
    char last[200], what[300];
    na_channel_last_line(c, last, sizeof last);
    about(c->e, what, sizeof what, "after '%s'");
    return na_err_set_exact(err, NA_E_TIMEOUT, "%s: no prompt %s within %.1f s; last line: '%s'",
                            c->name, what, c->e->timeout_ms / 1000.0, last);
}

static int fail_closed(na_channel *c, na_err *err)
{
    char last[200], what[300];
    na_channel_last_line(c, last, sizeof last);
    about(c->e, what, sizeof what, "after '%s'");
    return na_err_set_exact(err, NA_E_CLOSED,
                            "%s: the device closed the connection while waiting for the prompt "
                            "%s; last line: '%s'",
                            c->name, what, last);
}

/* A transport failure during an exchange: a close keeps the exchange's context (which command,
 * the last line) instead of the transport's bare "the connection is closed". */
int na_ch_fail_transport(na_channel *c, const na_err *te, na_err *err)
{
    if (te->code == NA_E_CLOSED && c->e)
        return fail_closed(c, err);
    return na_err_set(err, te->code ? te->code : NA_E_INTERNAL, "%s", te->msg);
}

static int flush_in_exchange(na_channel *c, na_err *err)
{
    na_err te = NA_ERR_INIT;
    if (c->t->ops->flush(c->t, &te) == NA_ERROR)
        return na_ch_fail_transport(c, &te, err);
    return 0;
}

static int fail_overflow(na_channel *c, size_t limit, na_err *err)
{
    char what[300];
    about(c->e, what, sizeof what, "of '%s'");
    if (!c->e->cmd) {
        char tmp[300];
        snprintf(tmp, sizeof tmp, "received %s", what);
        snprintf(what, sizeof what, "%s", tmp);
    }
    return na_err_set(err, NA_E_OVERFLOW, "%s: output %s exceeded the limit of %zu bytes",
                      c->name, what, limit);
}

/* ---- the exchange ---- */

void na_channel_begin(na_channel *c, na_expect *e)
{
    c->e = e;
    memset(&c->res, 0, sizeof c->res);
    if (c->pos > c->buf.len)
        c->pos = c->buf.len;
    c->base = na_ch_line_start(c, c->pos);
    c->echo_from = c->fb_from = c->base;
    c->alt_nl = 0;
    c->floor = 0;
    c->t0_us = na_now_us();
    c->dirty = true;
    c->grace_at = c->settle_at = 0;
    c->yielded = false;
    size_t limit = e->max_output ? e->max_output : c->max_output;
    na_buf_set_limit(&c->buf, c->buf.len + limit + SLACK);
    if (e->echo) {
        na_ch_set_state(c, X_ECHO);
    } else {
        na_ch_set_state(c, X_OUTPUT);
        c->res.out_start = c->pos;
        c->scan_from = c->pos;
    }
}

const na_expect_result *na_channel_result(const na_channel *c) { return &c->res; }

int64_t na_channel_wake(const na_channel *c)
{
    if (!c->e || c->xs == X_IDLE || c->xs == X_DONE)
        return 0;
    if (c->yielded)
        return na_now_ms(); /* more may wait inside the transport (libssh2) with the fd quiet */
    int64_t d = c->e->deadline_ms;
    if (c->grace_at && (d <= 0 || c->grace_at < d))
        d = c->grace_at;
    if (c->settle_at && (d <= 0 || c->settle_at < d))
        d = c->settle_at;
    return d;
}

const char *na_channel_text(const na_channel *c, size_t *len)
{
    if (len)
        *len = c->buf.len;
    return na_buf_cstr(&c->buf);
}

void na_ch_hit(na_channel *c, na_hit_kind kind, size_t index)
{
    c->res.kind = kind;
    c->res.index = index;
    c->res.elapsed_us = na_now_us() - c->t0_us;
    if (kind == NA_HIT_PROMPT)
        na_ch_set_state(c, X_DONE);
}

/* ---- asynchronous messages ---- */

void na_ch_async_add(na_channel *c, const char *s, size_t n)
{
    if (c->nasync >= NA_CHANNEL_MAX_ASYNC) {
        c->async_dropped++;
        return;
    }
    if (!c->asyncs && !(c->asyncs = calloc(NA_CHANNEL_MAX_ASYNC, sizeof *c->asyncs))) {
        c->async_dropped++;
        return;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    char *m = strndup(s, n);
    if (!m) {
        c->async_dropped++;
        return;
    }
    NA_LOGD(c->name, "asynchronous message: %s", m);
    c->asyncs[c->nasync++] = m;
}

char **na_channel_take_async(na_channel *c, size_t *n, unsigned *dropped)
{
    char **v = c->nasync ? c->asyncs : NULL;
    *n = c->nasync;
    if (dropped)
        *dropped = c->async_dropped;
    if (v)
        c->asyncs = NULL;
    else
        free(c->asyncs), c->asyncs = NULL;
    c->nasync = 0;
    c->async_dropped = 0;
    return v;
}

na_status na_channel_step(na_channel *c, na_err *err)
{
    if (!c->e || c->xs == X_IDLE)
        return na_err_set(err, NA_E_INTERNAL, "%s: channel step without an exchange", c->name),
               NA_ERROR;
    if (c->xs == X_DONE || c->res.kind != NA_HIT_NONE)
        return NA_OK;
    if (flush_in_exchange(c, err) < 0)
        return NA_ERROR;
    if ((c->grace_at && na_now_ms() >= c->grace_at) ||
        (c->settle_at && na_now_ms() >= c->settle_at))
        c->dirty = true;
    size_t limit = c->e->max_output ? c->e->max_output : c->max_output;
    char chunk[READ_CHUNK];
    /* After a yield the data goes on where it stopped: read before examining, so a read
     * boundary is not examined as if the device had paused there. */
    bool resume = c->yielded;
    c->yielded = false;
    size_t budget = STEP_BUDGET;
    for (;;) {
        /* The tail is matched once the transport has nothing more right now (the device paused):
         * a prompt-like partial line at a read boundary is not taken for the prompt. */
        if (c->dirty && !resume) {
            c->dirty = false;
            int r = na_ch_examine(c, err);
            if (r < 0)
                return NA_ERROR;
            if (r > 0)
                return NA_OK;
        }
        if (c->e->deadline_ms > 0 && na_now_ms() >= c->e->deadline_ms)
            return fail_timeout(c, err), NA_ERROR;
        size_t n = 0;
        na_status st = c->t->ops->read(c->t, chunk, sizeof chunk, &n, err);
        resume = false;
        if (st == NA_ERROR)
            return NA_ERROR;
        if (st == NA_EOF) {
            na_transcript_eof(c->tr);
            return fail_closed(c, err), NA_ERROR;
        }
        if (st == NA_AGAIN || n == 0) {
            if (!c->dirty)
                break;
            continue;
        }
        na_transcript_data(c->tr, NA_TR_IN, chunk, n, false);
        c->bytes_in += n;
        budget = n < budget ? budget - n : 0;
        if (na_vtnorm_feed(&c->vt, &c->buf, chunk, n, c->name, err) < 0)
            return NA_ERROR;
        c->settle_at = 0; /* the device is not quiet */
        if (c->buf.len - c->base > limit)
            return fail_overflow(c, limit, err), NA_ERROR;
        /* drain first, examine when the transport runs dry */
        na_status more = NA_OK;
        while (more == NA_OK) {
            if (budget == 0) { /* our share of the loop is used: let the other sessions run */
                c->dirty = true;
                c->yielded = true;
                if (flush_in_exchange(c, err) < 0)
                    return NA_ERROR;
                return NA_AGAIN;
            }
            n = 0;
            more = c->t->ops->read(c->t, chunk, sizeof chunk, &n, err);
            if (more == NA_ERROR)
                return NA_ERROR;
            if (more == NA_EOF) {
                /* examine what came before the close, then report it */
                c->dirty = true;
                int r = na_ch_examine(c, err);
                if (r != 0)
                    return r > 0 ? NA_OK : NA_ERROR;
                na_transcript_eof(c->tr);
                return fail_closed(c, err), NA_ERROR;
            }
            if (more != NA_OK || n == 0)
                break;
            na_transcript_data(c->tr, NA_TR_IN, chunk, n, false);
            c->bytes_in += n;
            budget = n < budget ? budget - n : 0;
            if (na_vtnorm_feed(&c->vt, &c->buf, chunk, n, c->name, err) < 0)
                return NA_ERROR;
            c->settle_at = 0;
            if (c->buf.len - c->base > limit)
                return fail_overflow(c, limit, err), NA_ERROR;
            if (c->e->deadline_ms > 0 && na_now_ms() >= c->e->deadline_ms)
                break;
        }
        c->dirty = true;
    }
    if (flush_in_exchange(c, err) < 0)
        return NA_ERROR;
    return NA_AGAIN;
}

void na_channel_resume(na_channel *c)
{
    if (c->xs == X_DONE)
        return;
    c->res.kind = NA_HIT_NONE;
    c->settle_at = 0;
    c->dirty = true;
}

/* ---- after a hit ---- */

/* The first k bytes of the buffer are gone: shift every offset, end the exchange. */
static void after_drop(na_channel *c, size_t k)
{
    na_vtnorm_shifted(&c->vt, k);
    c->pos = c->pos > k ? c->pos - k : 0;
    c->next_ls = 0;
    na_ch_set_state(c, X_IDLE);
    c->res.out_start = c->res.out_end = c->res.prompt_start = c->res.prompt_end = 0;
}

void na_channel_consume(na_channel *c)
{
    forget_sent(c); /* the exchange they were typed in is over */
    size_t k = c->xs == X_DONE ? c->next_ls : 0;
    if (k > c->buf.len)
        k = c->buf.len;
    na_buf_consume(&c->buf, k);
    after_drop(c, k);
    na_buf_shrink(&c->buf, SHRINK_ABOVE);
}

char *na_channel_take_output(na_channel *c, size_t *len, na_err *err)
{
    size_t a = c->res.out_start, b = c->res.out_end;
    if (c->xs != X_DONE || b < a)
        a = b = 0;
    const char *d = na_buf_cstr(&c->buf);
    if (!c->res.echoed && a < b && d[a] == '\n')
        a++;
    if (b > a && d[b - 1] == '\n')
        b--;
    size_t n = b - a;
    char *out;
    if (c->e && c->e->strip_async && c->e->nasyncs && n > 0) {
        /* config lines, mode changes: the device's messages are not the answer */
        if (!(out = na_ch_strip_async(c, a, b, &n, err)))
            return NULL;
    } else if (n >= STEAL_MIN && c->next_ls >= b && !c->nsent_secret) {
        /* hand the big allocation over: keep only the prompt line (and anything after it) */
        size_t keep_from = c->next_ls;
        size_t keep_n = c->buf.len - keep_from;
        char *keep = malloc(keep_n + 1);
        if (!keep) {
            na_err_set(err, NA_E_NOMEM, "out of memory");
            return NULL;
        }
        memcpy(keep, c->buf.data + keep_from, keep_n);
        memmove(c->buf.data, c->buf.data + a, n);
        na_buf_truncate(&c->buf, n);
        size_t max = c->buf.max;
        out = na_buf_steal(&c->buf);
        na_buf_init(&c->buf, max);
        int rc = na_buf_append(&c->buf, keep, keep_n, c->name, err);
        free(keep);
        if (rc < 0) {
            free(out);
            return NULL;
        }
        after_drop(c, keep_from);
        if (len)
            *len = n;
        return out;
    } else {
        out = malloc(n + 1);
        if (!out) {
            na_err_set(err, NA_E_NOMEM, "out of memory");
            return NULL;
        }
        memcpy(out, d + a, n);
        out[n] = '\0';
    }
    if (c->nsent_secret) { /* the echo of a secret netauto typed in this exchange */
        size_t mn;
        char *m = na_ch_mask_sent(c, out, n, &mn);
        if (m) {
            na_wipe(out, n);
            free(out);
            out = m;
            n = mn;
        }
    }
    na_channel_consume(c);
    if (len)
        *len = n;
    return out;
}

char *na_channel_prompt(const na_channel *c)
{
    if (c->res.kind != NA_HIT_PROMPT || c->res.prompt_end < c->res.prompt_start ||
        c->res.prompt_end > c->buf.len)
        return NULL;
    return strndup(c->buf.data + c->res.prompt_start, c->res.prompt_end - c->res.prompt_start);
}

na_status na_channel_read_raw(na_channel *c, char *buf, size_t cap, size_t *n, na_err *err)
{
    *n = 0;
    if (!c->raw) {
        c->raw = true;
        c->raw_off = c->vt.line_start <= c->buf.len ? c->vt.line_start : c->buf.len;
    }
    if (c->raw_off < c->buf.len) {
        size_t k = c->buf.len - c->raw_off;
        if (k > cap)
            k = cap;
        memcpy(buf, c->buf.data + c->raw_off, k);
        c->raw_off += k;
        if (c->raw_off == c->buf.len) {
            na_buf_free(&c->buf);
            c->raw_off = 0;
        }
        *n = k;
        return NA_OK;
    }
    na_status st = c->t->ops->read(c->t, buf, cap, n, err);
    if (st == NA_OK && *n) {
        na_transcript_data(c->tr, NA_TR_IN, buf, *n, false);
        c->bytes_in += *n;
    } else if (st == NA_EOF) {
        na_transcript_eof(c->tr);
    }
    return st;
}

void na_channel_stats_get(const na_channel *c, na_channel_stats *st)
{
    st->bytes_in = c->bytes_in;
    st->bytes_out = c->bytes_out;
    st->pages = c->pages;
    st->buffer_cap = c->buf.cap;
}
