/* channel_match.c — what the received text means for the exchange in progress (rules in
 * channel.h): the echo of the line sent (exact, scrolled by IOS, wrapped by a readline-style
 * editor, optional), then at the tail the replies, pagers and prompts (of one line or several,
 * after a bare CR, behind asynchronous messages, reprinted after one), the pipelined
 * prompt + echo lines, and taking asynchronous messages out of an output. Not I/O, deadlines or
 * handing output over (channel.c). */
#include "channel_int.h"
#include "clock.h"
#include "secret.h"

#include <stdlib.h>
#include <string.h>

#define ECHO_FB_MIN 12          /* echoes this long may be recognised scrolled or wrapped ... */
#define ECHO_FB_SPAN (16 << 10) /* ... within this much text after the prompt line */
#define SCROLL_MIN 16           /* a scrolled echo shows at least this much of the line's end */
#define ASYNC_BACK 16           /* lines looked at behind a prompt for asynchronous messages */
#define ASYNC_SCAN 64           /* lines looked at before an echo for them */

/* ---- small helpers ---- */

static size_t lo_limit(const na_channel *c)
{
    return c->res.out_start > c->floor ? c->res.out_start : c->floor;
}

/* Prompts (those that need not settle) matching the whole of [a, e): index, match. */
static bool prompt_in(na_channel *c, size_t a, size_t e, size_t *idx, size_t *ms, size_t *me)
{
    const na_expect *x = c->e;
    size_t n = x->settle_ms > 0 && x->settle_from < x->nprompts ? x->settle_from : x->nprompts;
    if (e <= a || e - a > NA_CHANNEL_TAIL_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (na_pattern_find(x->prompts[i], c->m, c->buf.data + a, e - a, false, ms, me) &&
            *me == e - a) {
            *idx = i;
            return true;
        }
    }
    return false;
}

bool na_ch_async_line(na_channel *c, size_t a, size_t e, size_t *glued)
{
    const na_expect *x = c->e;
    const char *d = c->buf.data;
    while (e > a && (d[e - 1] == ' ' || d[e - 1] == '\t'))
        e--;
    if (e <= a || e - a > NA_CHANNEL_TAIL_MAX)
        return false;
    for (size_t i = 0; i < x->nasyncs; i++) {
        size_t ms, me;
        if (!na_pattern_find(x->asyncs[i], c->m, d + a, e - a, false, &ms, &me) || me != e - a)
            continue;
        if (ms == 0 || glued) {
            if (glued)
                *glued = a + ms;
            return true;
        }
    }
    return false;
}

/* Record the asynchronous lines among the complete lines of [from, to). */
static void scan_async(na_channel *c, size_t from, size_t to)
{
    const char *d = c->buf.data;
    for (int k = 0; k < ASYNC_SCAN && from < to; k++) {
        const char *nl = memchr(d + from, '\n', to - from);
        if (!nl)
            break;
        size_t e = (size_t)(nl - d);
        if (na_ch_async_line(c, from, e, NULL))
            na_ch_async_add(c, d + from, e - from);
        from = e + 1;
    }
}

/* Output [a, b) without its asynchronous lines (recorded), as a new string. */
char *na_ch_strip_async(na_channel *c, size_t a, size_t b, size_t *n, na_err *err)
{
    char *out = malloc(b - a + 1);
    if (!out) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    const char *d = c->buf.data;
    size_t o = 0, i = a;
    while (i < b) {
        const char *nl = memchr(d + i, '\n', b - i);
        size_t e = nl ? (size_t)(nl - d) : b;
        if (na_ch_async_line(c, i, e, NULL)) {
            na_ch_async_add(c, d + i, e - i);
            if (!nl && o > 0 && out[o - 1] == '\n')
                o--; /* it was the last line: so is the one before it now */
        } else {
            memcpy(out + o, d + i, e - i + (nl ? 1 : 0));
            o += e - i + (nl ? 1 : 0);
        }
        i = e + 1;
    }
    out[o] = '\0';
    *n = o;
    return out;
}

/* ---- the echo ---- */

static void echo_found(na_channel *c, size_t ls, size_t nl)
{
    if (c->e->nasyncs)
        scan_async(c, c->base, ls); /* messages printed before the echo */
    c->res.echoed = true;
    c->res.out_start = nl + 1;
    c->scan_from = c->res.out_start;
    c->grace_at = 0;
    na_ch_set_state(c, X_OUTPUT);
}

void na_ch_on_cr_line(void *ud, const na_vtnorm *v, const na_buf *b, size_t ls, size_t nl)
{
    na_channel *c = ud;
    if (c->xs != X_ECHO || !c->e || !c->e->echo || c->alt_nl || ls < c->base)
        return;
    size_t elen = strlen(c->e->echo);
    if (elen < ECHO_FB_MIN || c->e->echo_optional)
        return;
    char alt[NA_VTNORM_CR_KEEP + NA_CHANNEL_TAIL_MAX];
    size_t n = na_vtnorm_cr_wrapped(v, b, ls, nl, alt, sizeof alt);
    if (n >= elen && memmem(alt, n, c->e->echo, elen))
        c->alt_nl = nl + 1;
}

/* A line longer than the terminal, scrolled horizontally by the device's editor: IOS shows the
 * end of it ("$" + the end of the line sent, the rest scrolled off to the left), ASA the start
 * of it (the beginning of the line sent + "$"). */
static bool scrolled_echo(const na_channel *c, size_t a, size_t e, const char *echo, size_t elen)
{
    const char *d = c->buf.data;
    while (e > a && (d[e - 1] == ' ' || d[e - 1] == '\t'))
        e--;
    size_t need = elen - 1 < SCROLL_MIN ? elen - 1 : SCROLL_MIN;
    if (e > a && d[e - 1] == '$') { /* ASA: ... + the start + "$" */
        size_t k = elen - 1 < e - 1 - a ? elen - 1 : e - 1 - a;
        for (; k >= need && k > 0; k--)
            if (!memcmp(d + e - 1 - k, echo, k))
                return true;
        return false;
    }
    const char *dollar = e > a ? memrchr(d + a, '$', e - a) : NULL;
    if (!dollar)
        return false;
    size_t k = e - (size_t)(dollar - d) - 1;
    return k >= need && k < elen && memcmp(dollar + 1, echo + elen - k, k) == 0;
}

/* The echo's line was rewritten by a bare CR and a prompt (no output at all, the prompt printed
 * over the echo): read the CR as a line break. */
static bool echo_then_cr_prompt(na_channel *c)
{
    const char *prev;
    size_t pl, nowl, idx, ms, me, ls = c->vt.line_start;
    if (!na_vtnorm_cr_split(&c->vt, &c->buf, &prev, &pl, &nowl) ||
        !prompt_in(c, ls, ls + nowl, &idx, &ms, &me))
        return false;
    return na_vtnorm_cr_break(&c->vt, &c->buf, c->name, NULL) > 0;
}

/* Echo phase: find the echo of the line sent and the newline ending it. Lines before it (a stale
 * prompt, the rest of a banner) are skipped. A device that does not echo shows a prompt on a
 * later line and then nothing more: after the grace period that is taken as the answer. */
static void examine_echo(na_channel *c)
{
    const char *d = c->buf.data;
    size_t len = c->buf.len;
    const na_expect *x = c->e;
    const char *echo = x->echo;
    size_t elen = strlen(echo);
    if (!d)
        return;
    /* Newlines only exist before the normaliser's line start (the last one is just before it):
     * searching no further keeps a long unfinished line from being rescanned (quadratic). */
    size_t ls = c->vt.line_start;
    if (elen == 0) { /* a bare return: its "echo" is the first newline */
        const char *nl = ls > c->pos ? memchr(d + c->pos, '\n', ls - c->pos) : NULL;
        if (nl)
            echo_found(c, c->base, (size_t)(nl - d));
        return;
    }
    size_t limit = len;
    if (x->echo_optional) { /* only on the line typed on */
        const char *nl = ls > c->pos ? memchr(d + c->pos, '\n', ls - c->pos) : NULL;
        limit = nl ? (size_t)(nl - d) + 1 : len;
    }
    if (c->echo_from < limit) {
        const char *p = memmem(d + c->echo_from, limit - c->echo_from, echo, elen);
        if (p) {
            size_t at = (size_t)(p - d);
            c->echo_from = at;
            const char *nl = ls > at + elen ? memchr(d + at + elen, '\n', ls - at - elen) : NULL;
            if (!nl && at >= ls && echo_then_cr_prompt(c))
                nl = memchr(c->buf.data + at + elen, '\n', c->vt.line_start - at - elen);
            if (!nl)
                return; /* echo found, its line not finished yet */
            echo_found(c, na_ch_line_start(c, at), (size_t)(nl - c->buf.data));
            return;
        }
        if (limit - c->echo_from >= elen)
            c->echo_from = limit - elen + 1;
    }
    if (elen >= ECHO_FB_MIN && !x->echo_optional) {
        if (c->alt_nl) { /* wrapped at the screen edge with " \r" */
            echo_found(c, na_ch_line_start(c, c->alt_nl - 1), c->alt_nl - 1);
            return;
        }
        while (c->fb_from < ls && c->fb_from - c->base < ECHO_FB_SPAN) {
            const char *nl = memchr(d + c->fb_from, '\n', ls - c->fb_from);
            if (!nl)
                break;
            size_t e = (size_t)(nl - d);
            if (scrolled_echo(c, c->fb_from, e, echo, elen)) {
                echo_found(c, c->fb_from, e);
                return;
            }
            c->fb_from = e + 1;
        }
    }
    if (!c->grace_at && ls > c->base && ls < len && len - ls <= NA_CHANNEL_TAIL_MAX) {
        bool prompt = false;
        for (size_t i = 0; i < x->nprompts && !prompt; i++)
            prompt = na_pattern_find(x->prompts[i], c->m, d + ls, len - ls, false, NULL, NULL);
        if (prompt) {
            int g = x->echo_optional ? 0 : x->echo_grace_ms > 0 ? x->echo_grace_ms : 500;
            c->grace_at = na_now_ms() + g;
        }
    }
    if (c->grace_at && na_now_ms() >= c->grace_at) {
        if (x->nasyncs)
            scan_async(c, c->base, ls);
        c->res.echoed = false;
        c->res.out_start = c->pos;
        c->scan_from = c->pos;
        c->grace_at = 0;
        na_ch_set_state(c, X_OUTPUT);
    }
}

/* ---- prompts ---- */

/* A prompt at [ps, pe) ends the exchange; the output ends at the start of its first line. */
static void prompt_hit(na_channel *c, size_t idx, size_t ps, size_t pe);

/* After a prompt hit: a device without "logging synchronous" printed messages after a prompt and
 * then the prompt again. Lines between the two prompts that are messages (or one message glued to
 * the first prompt) leave the output, which then ends before the first prompt. */
static void reprinted_prompt(na_channel *c)
{
    const char *d = c->buf.data;
    size_t lo = lo_limit(c), b = c->res.out_end;
    size_t at[ASYNC_BACK][2];
    int n = 0;
    for (int k = 0; k < ASYNC_BACK && b > lo; k++) {
        size_t nl = b - 1, a = na_ch_line_start(c, nl);
        if (a < lo)
            return;
        size_t g, idx, ms, me;
        if (nl == a) {
            b = a;
            continue;
        }
        if (na_ch_async_line(c, a, nl, &g)) {
            if (g > a) { /* glued to the prompt before it */
                if (!prompt_in(c, a, g, &idx, &ms, &me))
                    return;
                at[n][0] = g;
                at[n++][1] = nl;
                break;
            }
            if (n == ASYNC_BACK)
                return;
            at[n][0] = a;
            at[n++][1] = nl;
            b = a;
            continue;
        }
        if (!n || !prompt_in(c, a, nl, &idx, &ms, &me))
            return;
        break;
    }
    if (!n)
        return;
    c->res.out_end = na_ch_line_start(c, at[n - 1][0]);
    if (c->res.out_end < c->res.out_start)
        c->res.out_end = c->res.out_start;
    for (int i = n - 1; i >= 0; i--)
        na_ch_async_add(c, d + at[i][0], at[i][1] - at[i][0]);
}

static void prompt_hit(na_channel *c, size_t idx, size_t ps, size_t pe)
{
    c->res.prompt_start = ps;
    c->res.prompt_end = pe;
    c->res.out_end = na_ch_line_start(c, ps);
    if (c->res.out_end < c->res.out_start)
        c->res.out_end = c->res.out_start;
    if (c->e->nasyncs)
        reprinted_prompt(c);
    c->pos = c->buf.len;
    c->next_ls = c->res.out_end;
    na_ch_hit(c, NA_HIT_PROMPT, idx);
}

/* A prompt or a question that must settle: true once the device stayed quiet for ms. */
static bool settled(na_channel *c, int ms, bool prompt)
{
    int64_t now = na_now_ms();
    if (!c->settle_at) {
        c->settle_at = now + ms;
        c->settle_prompt = prompt;
        return false;
    }
    return now >= c->settle_at;
}

/* Prompts at the tail. 1 = hit, 0 = none. */
static int tail_prompt(na_channel *c, size_t ws, bool not_bol)
{
    const na_expect *x = c->e;
    const char *d = c->buf.data;
    size_t len = c->buf.len, ls = c->vt.line_start;
    size_t ms, me;
    if (x->prompt_lines > 1 && ws == ls && ls > lo_limit(c)) {
        /* a prompt of several lines: from the earliest line start it may begin at */
        size_t starts[8], ns = 0, at = ls, lo = lo_limit(c);
        while (ns + 1 < x->prompt_lines && ns < 8 && at > lo) {
            size_t s = na_ch_line_start(c, at - 1);
            if (s < lo || len - s > NA_CHANNEL_TAIL_MAX)
                break;
            starts[ns++] = s;
            at = s;
        }
        for (size_t k = ns; k-- > 0;)
            for (size_t i = 0; i < x->nprompts; i++) {
                if (!na_pattern_find(x->prompts[i], c->m, d + starts[k], len - starts[k], false,
                                     &ms, &me))
                    continue;
                if (x->settle_ms > 0 && i >= x->settle_from && !settled(c, x->settle_ms, true))
                    return 0;
                prompt_hit(c, i, starts[k] + ms, starts[k] + me);
                return 1;
            }
    }
    for (size_t i = 0; i < x->nprompts; i++) {
        if (!na_pattern_find(x->prompts[i], c->m, d + ws, len - ws, not_bol, &ms, &me))
            continue;
        if (x->settle_ms > 0 && i >= x->settle_from && !settled(c, x->settle_ms, true))
            return 0;
        prompt_hit(c, i, ws + ms, ws + me);
        return 1;
    }
    return 0;
}

/* The tail line was rewritten after a bare CR and its new text is a prompt: the CR was a line
 * break (NX-OS ends `show file ... md5sum` so). 1 = hit, 0 = no, -1 = error. */
static int cr_break_prompt(na_channel *c, na_err *err)
{
    const char *prev;
    size_t pl, nowl, idx, ms, me;
    size_t ls = c->vt.line_start;
    if (!na_vtnorm_cr_split(&c->vt, &c->buf, &prev, &pl, &nowl) || ls < lo_limit(c) ||
        !prompt_in(c, ls, ls + nowl, &idx, &ms, &me))
        return 0;
    int r = na_vtnorm_cr_break(&c->vt, &c->buf, c->name, err);
    if (r <= 0)
        return r;
    ls = c->vt.line_start;
    prompt_hit(c, idx, ls + ms, ls + me);
    return 1;
}

/* Asynchronous messages at the end of the text (on lines of their own, the last one possibly
 * unterminated, or glued after other text): the line before them. */
typedef struct behind {
    size_t a, e;                   /* the line (or the text before a glued message) */
    size_t at[ASYNC_BACK][2];      /* the messages, last first */
    int n;
} behind;

static bool behind_async(na_channel *c, behind *bh)
{
    size_t len = c->buf.len, lo = lo_limit(c), ls = c->vt.line_start, g;
    size_t b = len;
    bh->n = 0;
    if (ls < len) { /* an unfinished tail: only a whole message counts */
        if (ls < lo || !na_ch_async_line(c, ls, len, NULL))
            return false;
        bh->at[0][0] = ls;
        bh->at[0][1] = len;
        bh->n = 1;
        b = ls;
    }
    for (int k = 0; k < ASYNC_BACK && b > lo; k++) {
        size_t nl = b - 1, a = na_ch_line_start(c, nl);
        if (a < lo)
            return false;
        if (nl == a) { /* a blank line between messages */
            b = a;
            continue;
        }
        if (na_ch_async_line(c, a, nl, &g)) {
            if (bh->n == ASYNC_BACK)
                return false;
            bh->at[bh->n][0] = g;
            bh->at[bh->n++][1] = nl;
            if (g == a) {
                b = a;
                continue;
            }
            bh->a = a; /* glued: the text before it */
            bh->e = g;
            return true;
        }
        if (!bh->n)
            return false;
        bh->a = a;
        bh->e = nl;
        return true;
    }
    return false;
}

static void behind_record(na_channel *c, const behind *bh)
{
    for (int i = bh->n - 1; i >= 0; i--)
        na_ch_async_add(c, c->buf.data + bh->at[i][0], bh->at[i][1] - bh->at[i][0]);
}

/* Pipelining: does line [a, e) start with a prompt followed by next_echo? */
static bool pipelined_prompt(na_channel *c, size_t a, size_t e)
{
    const char *ne = c->e->next_echo;
    size_t nlen = strlen(ne);
    if (!nlen || e - a < nlen)
        return false;
    const char *d = c->buf.data;
    /* a prompt is short (matched within NA_CHANNEL_TAIL_MAX): look no further into the line, or
     * every examination of a long unfinished line would rescan it (quadratic) */
    size_t span = e - a < NA_CHANNEL_TAIL_MAX + nlen ? e - a : NA_CHANNEL_TAIL_MAX + nlen;
    const char *q = memmem(d + a, span, ne, nlen);
    if (!q || q == d + a)
        return false;
    size_t qa = (size_t)(q - d);
    for (size_t i = 0; i < c->e->nprompts; i++) {
        size_t ms, me;
        if (na_pattern_find(c->e->prompts[i], c->m, d + a, qa - a, false, &ms, &me) &&
            me == qa - a) {
            c->res.out_end = a;
            c->res.prompt_start = a + ms;
            c->res.prompt_end = qa;
            /* a prompt of several lines: its first lines are not output either */
            if (c->e->prompt_lines > 1 && a > lo_limit(c)) {
                size_t pa = na_ch_line_start(c, a - 1);
                if (pa >= lo_limit(c) &&
                    na_pattern_find(c->e->prompts[i], c->m, d + pa, qa - pa, false, &ms, &me) &&
                    me == qa - pa && pa + ms < a) {
                    c->res.out_end = pa;
                    c->res.prompt_start = pa + ms;
                }
            }
            c->pos = qa;
            c->next_ls = c->res.out_end;
            na_ch_hit(c, NA_HIT_PROMPT, i);
            return true;
        }
    }
    return false;
}

/* Answer prompted input: one write, the reply and its newline (flagged secret as a whole). */
static int answer(na_channel *c, na_reply *r, na_err *err)
{
    r->uses++;
    c->res.replies++;
    c->floor = c->buf.len;
    c->settle_at = 0;
    const char *nl = r->newline ? (c->e->newline ? c->e->newline : "\n") : "";
    size_t tl = strlen(r->text), nn = strlen(nl);
    char *msg = malloc(tl + nn + 1);
    if (!msg)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    memcpy(msg, r->text, tl);
    memcpy(msg + tl, nl, nn);
    na_err te = NA_ERR_INIT;
    int rc = na_channel_write(c, msg, tl + nn, r->secret, &te);
    na_wipe(msg, tl + nn);
    free(msg);
    return rc < 0 ? na_ch_fail_transport(c, &te, err) : 0;
}

/* Output phase. Returns 1 on a hit, 0 to keep waiting, -1 on error. */
static int examine_output(na_channel *c, na_err *err)
{
    na_expect *e = c->e;
    const char *d = c->buf.data;
    size_t len = c->buf.len;
    if (!d)
        return 0;

    if (e->next_echo) {
        /* complete lines since the last look, then the unfinished tail. Complete lines all end
         * before the normaliser's line start (the last newline is just before it), so the
         * unfinished line is never searched for a newline again and again (quadratic). */
        size_t a = c->scan_from, ls_now = c->vt.line_start;
        while (a < ls_now) {
            const char *nl = memchr(d + a, '\n', ls_now - a);
            if (!nl)
                break;
            size_t eol = (size_t)(nl - d);
            if (pipelined_prompt(c, a, eol))
                return 1;
            a = eol + 1;
        }
        c->scan_from = a;
        if (a < len && pipelined_prompt(c, a, len))
            return 1;
    }

    size_t ls = c->vt.line_start;
    size_t ws = ls;
    if (ws < c->res.out_start)
        ws = c->res.out_start;
    if (ws < c->floor)
        ws = c->floor;
    if (len - ws > NA_CHANNEL_TAIL_MAX)
        ws = len - NA_CHANNEL_TAIL_MAX;
    if (ws == ls && c->lookback) {
        size_t lo = lo_limit(c);
        ws = ls - lo > c->lookback ? ls - c->lookback : lo;
    }
    if (ws > len || (ws == len && !e->nasyncs))
        return 0;
    bool not_bol = ws > 0 && d[ws - 1] != '\n';
    const char *w = d + ws;
    size_t wn = len - ws;
    size_t ms, me;

    for (size_t i = 0; i < e->nreplies && wn; i++) {
        na_reply *r = &e->replies[i];
        if (!r->prompt || !na_pattern_find(r->prompt, c->m, w, wn, not_bol, &ms, &me))
            continue;
        if (!r->text) {
            na_ch_hit(c, NA_HIT_UNANSWERED, i);
            return 1;
        }
        if (r->max_uses && r->uses >= r->max_uses) {
            na_ch_hit(c, NA_HIT_REPEATED, i);
            return 1;
        }
        if (r->settle_ms > 0 && !c->res.replies && !settled(c, r->settle_ms, false))
            return 0; /* typed only once the question stood still */
        return answer(c, r, err);
    }

    for (size_t i = 0; i < e->npagers && wn; i++) {
        if (!na_pattern_find(e->pagers[i], c->m, w, wn, not_bol, &ms, &me))
            continue;
        size_t cut = ws + ms;
        if (cut < ls)
            cut = ls;
        na_buf_truncate(&c->buf, cut);
        na_vtnorm_truncated(&c->vt, &c->buf);
        c->floor = c->buf.len;
        c->res.pages++;
        c->pages++;
        const char *rep = e->pager_reply ? e->pager_reply : " ";
        na_err te = NA_ERR_INIT;
        if (na_channel_write(c, rep, strlen(rep), false, &te) < 0)
            return na_ch_fail_transport(c, &te, err);
        return 0;
    }

    if (wn && tail_prompt(c, ws, not_bol))
        return 1;
    if (c->settle_at && c->settle_prompt)
        return 0; /* a prompt is settling */
    int r = cr_break_prompt(c, err);
    if (r)
        return r;
    behind bh;
    if (!e->nasyncs || !behind_async(c, &bh))
        return 0;
    /* the device printed messages after its prompt or question: answer or end behind them */
    for (size_t i = 0; i < e->nreplies; i++) {
        na_reply *rp = &e->replies[i];
        if (!rp->prompt || !na_pattern_find(rp->prompt, c->m, d + bh.a, bh.e - bh.a, false, &ms,
                                            &me) ||
            me != bh.e - bh.a)
            continue;
        if (rp->text && !(rp->max_uses && rp->uses >= rp->max_uses) && rp->settle_ms > 0 &&
            !c->res.replies && !settled(c, rp->settle_ms, false))
            return 0; /* typed only once the question stood still */
        behind_record(c, &bh);
        if (!rp->text || (rp->max_uses && rp->uses >= rp->max_uses)) {
            na_ch_hit(c, rp->text ? NA_HIT_REPEATED : NA_HIT_UNANSWERED, i);
            return 1;
        }
        return answer(c, rp, err);
    }
    size_t idx;
    if (!prompt_in(c, bh.a, bh.e, &idx, &ms, &me))
        return 0;
    behind_record(c, &bh);
    prompt_hit(c, idx, bh.a + ms, bh.a + me);
    return 1;
}

int na_ch_examine(na_channel *c, na_err *err)
{
    if (c->xs == X_ECHO)
        examine_echo(c);
    if (c->xs == X_OUTPUT)
        return examine_output(c, err);
    return c->xs == X_DONE;
}
