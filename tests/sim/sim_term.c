/* sim_term.c — the output side of a CLI session (see sim_term.h): raw output and the garbage
 * fault, prompts, the helpers command handlers use (text, dialogs, modes, error texts, pipe
 * filters), and the generator -> filter -> pager pipeline with IOS's --More-- and its backspace
 * erase, then what follows a command (dialog prompt or prompt, close-after, stall-after). Input
 * is in sim_input.c, the life cycle and login dialog in sim_session.c. Not I/O. */
#include "sim_term_int.h"

#include "clock.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static sim_term_log_fn log_hook;

void sim_term_set_log_hook(sim_term_log_fn fn) { log_hook = fn; }

const char *sim_transport_name(sim_transport t) { return t == SIM_TR_TELNET ? "telnet" : "ssh"; }

void sim_t_log(sim_term *t, const char *event, const char *text)
{
    if (log_hook && !t->loading)
        log_hook(t->dev, t->transport, t->peer, event, text);
}

/* ---- raw output and the garbage fault -------------------------------------------------- */

void sim_t_out_raw(sim_term *t, const char *s, size_t n)
{
    if (t->loading || n == 0)
        return;
    if (na_buf_append(&t->out, s, n, "terminal output", NULL) < 0) {
        /* past the output ceiling: dropped, like a device's overrun buffer */
    }
}

void sim_t_out_str(sim_term *t, const char *s) { sim_t_out_raw(t, s, strlen(s)); }

static uint32_t rnd(sim_term *t)
{
    uint32_t x = t->rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    t->rng = x ? x : 0x9e3779b9u;
    return t->rng;
}

static const struct {
    const char *s;
    size_t n;
} junk[] = {
    {"\x1b[K", 3},  {"\x1b[0m", 4}, {"\x1b[1;33m", 7}, {"\x1b[?25l\x1b[?25h", 12},
    {"\x1b[2K", 4}, {"\a", 1},      {"\0", 1},
};
#define NJUNK (sizeof junk / sizeof *junk)
/* The first NANSI entries are escape sequences that keep text already on the line (colours,
 * cursor visibility, erase to the end of the line at the cursor): those go mid-line, as devices
 * emit them. ESC[2K (erase the whole line) only ever comes at the start of a line, where a
 * device uses it to redraw. */
#define NANSI 4

void sim_t_emit_line(sim_term *t, const char *s, size_t n)
{
    if (t->dev->f.garbage) {
        uint32_t r = rnd(t);
        if (r % 2 == 0)
            sim_t_out_raw(t, junk[(r >> 4) % NJUNK].s, junk[(r >> 4) % NJUNK].n);
        if (n > 8 && (r >> 10) % 4 == 0) {
            size_t at = (r >> 12) % n;
            sim_t_out_raw(t, s, at);
            size_t k = (r >> 20) % NANSI;
            sim_t_out_raw(t, junk[k].s, junk[k].n);
            s += at;
            n -= at;
        }
    }
    sim_t_out_raw(t, s, n);
    sim_t_out_raw(t, "\r\n", 2);
    t->emitted = true;
}

/* ---- prompts ----------------------------------------------------------------------------- */

const char *sim_t_prompt(sim_term *t)
{
    if (t->dev->persona == SIM_JUNOS)
        return sim_junos_prompt(t);
    char hb[96];
    const char *h = t->dev->hostname;
    if (t->dev->persona == SIM_IOSXR) { /* the node in front: RP/0/RSP0/CPU0:xr1# */
        snprintf(hb, sizeof hb, "RP/0/RSP0/CPU0:%s", t->dev->hostname);
        h = hb;
    }
    const char *sp = t->dev->persona == SIM_NXOS ? " " : "";
    char shrt[40];
    switch (t->mode) {
    case SIM_M_USER:
        snprintf(t->pbuf, sizeof t->pbuf, "%s>%s", h, sp);
        break;
    case SIM_M_PRIV:
        snprintf(t->pbuf, sizeof t->pbuf, "%s#%s", h, sp);
        break;
    case SIM_M_CONF:
        snprintf(t->pbuf, sizeof t->pbuf, "%.*s(config)#%s",
                 sim_persona_base(t->dev->persona) == SIM_IOS ? 20 : 63, h, sp);
        break;
    case SIM_M_VLAN:
        if (t->dev->persona == SIM_EOS)
            snprintf(t->pbuf, sizeof t->pbuf, "%s(config-vlan-%s)#", h, t->vlan_list);
        else
            snprintf(t->pbuf, sizeof t->pbuf, "%.*s(config-vlan)#%s",
                     sim_persona_base(t->dev->persona) == SIM_IOS ? 20 : 63, h, sp);
        break;
    case SIM_M_ARCH:
        snprintf(t->pbuf, sizeof t->pbuf, "%.*s(config-archive)#%s", 20, h, sp);
        break;
    case SIM_M_RTR:
    case SIM_M_AF:
        snprintf(t->pbuf, sizeof t->pbuf, "%.*s(config-router%s)#%s",
                 sim_persona_base(t->dev->persona) == SIM_IOS ? 20 : 63, h,
                 t->mode == SIM_M_AF ? "-af" : "", sp);
        break;
    default:
        if (t->dev->persona == SIM_EOS) {
            sim_intf_short(SIM_EOS, t->ifname, shrt, sizeof shrt);
            snprintf(t->pbuf, sizeof t->pbuf, "%s(config-if-%s)#", h, shrt);
        } else {
            snprintf(t->pbuf, sizeof t->pbuf, "%.*s(config-if)#%s",
                     sim_persona_base(t->dev->persona) == SIM_IOS ? 20 : 63, h, sp);
        }
        break;
    }
    return t->pbuf;
}

size_t sim_t_prompt_cols(sim_term *t)
{
    const char *p = sim_t_prompt(t);
    const char *nl = strrchr(p, '\n');
    return strlen(nl ? nl + 1 : p);
}

int sim_t_width(const sim_term *t)
{
    return t->dev->f.fixed_width > 0 ? t->dev->f.fixed_width : t->width;
}

void sim_t_out_pause(sim_term *t, unsigned ms)
{
    if (t->loading || t->npause == (int)(sizeof t->pause_at / sizeof *t->pause_at))
        return;
    t->pause_at[t->npause] = t->out.len;
    t->pause_ms[t->npause++] = ms;
}

void sim_t_async(sim_term *t, const char *fsm, const char *fmt, ...)
{
    const sim_device *d = t->dev;
    if (!d->f.async || t->loading || t->npending == 8 || d->persona == SIM_JUNOS)
        return;
    char text[256], stamp[64], line[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    int64_t ms = d->clock_ms();
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    const char *host = t->real ? t->real->hostname : d->hostname;
    switch (d->persona) {
    case SIM_NXOS:
        strftime(stamp, sizeof stamp, "%Y %b %e %H:%M:%S", &tm);
        snprintf(line, sizeof line, "%s %s %%%s: %s", stamp, host, fsm, text);
        break;
    case SIM_EOS:
        strftime(stamp, sizeof stamp, "%b %e %H:%M:%S", &tm);
        snprintf(line, sizeof line, "%s %s ConfigAgent: %%%s: %s", stamp, host, fsm, text);
        break;
    case SIM_IOSXR:
        strftime(stamp, sizeof stamp, "%b %e %H:%M:%S", &tm);
        snprintf(line, sizeof line, "RP/0/RSP0/CPU0:%s.%03d UTC: config[65739]: %%%s : %s",
                 stamp, (int)(ms % 1000), fsm, text);
        break;
    default:
        strftime(stamp, sizeof stamp, "%b %e %H:%M:%S", &tm);
        snprintf(line, sizeof line, "*%s.%03d: %%%s: %s", stamp, (int)(ms % 1000), fsm, text);
        break;
    }
    t->pending_async[t->npending] = strdup(line);
    if (t->pending_async[t->npending])
        t->npending++;
}

/* The messages waiting for a prompt: after it on lines of their own (async=after), or the first
 * glued to it (async=glued). Either way no prompt follows them: the cursor waits on the next
 * line, as on a device without "logging synchronous". */
static void emit_async(sim_term *t)
{
    for (int i = 0; i < t->npending; i++) {
        if (i == 0 && t->dev->f.async == 1)
            sim_t_out_str(t, "\r\n");
        sim_t_out_str(t, t->pending_async[i]);
        sim_t_out_str(t, "\r\n");
        free(t->pending_async[i]);
    }
    t->npending = 0;
}

void sim_t_emit_prompt(sim_term *t)
{
    if (t->dev->f.garbage) {
        uint32_t r = rnd(t);
        sim_t_out_raw(t, junk[r % NJUNK].s, junk[r % NJUNK].n);
    }
    /* NX-OS 9K: the last output line ends in a bare CR, the prompt overwrites it */
    if (t->dev->f.cr_prompt && t->emitted && t->out.len >= t->out_off + 2 &&
        !memcmp(t->out.data + t->out.len - 2, "\r\n", 2))
        na_buf_truncate(&t->out, t->out.len - 1);
    sim_t_out_str(t, sim_t_prompt(t));
    t->ed_plen = t->ed_col = sim_t_prompt_cols(t);
    t->ed_off = t->ed_shown = 0;
    if (t->npending)
        emit_async(t);
    const sim_faults *f = &t->dev->f;
    if (t->ncmd > 0 && f->close_after && t->ncmd >= f->close_after)
        t->status = SIM_TS_DROP;
    else if (t->ncmd > 0 && f->stall_after && t->ncmd >= f->stall_after)
        t->status = SIM_TS_STALLED;
}

/* ---- helpers for handlers ---------------------------------------------------------------- */

int sim_t_printf(sim_term *t, const char *fmt, ...)
{
    va_list a;
    va_start(a, fmt);
    int rc = na_buf_vprintf(&t->txt, NULL, fmt, a);
    va_end(a);
    return rc;
}

void sim_t_puts(sim_term *t, const char *s)
{
    if (na_buf_puts(&t->txt, s, NULL) < 0) {
        /* past the text's ceiling: dropped, like a device's overrun buffer */
    }
}

void sim_t_set_gen(sim_term *t, sim_gen *g)
{
    if (t->gen)
        t->gen->free(t->gen);
    t->gen = g;
}

void sim_t_ask_line(sim_term *t, const char *prompt, bool echo, sim_line_fn fn)
{
    t->next_want = echo ? W_LINE : W_SECRET;
    t->next_line = fn;
    snprintf(t->next_text, sizeof t->next_text, "%s", prompt);
}

void sim_t_ask_key(sim_term *t, const char *prompt, sim_key_fn fn)
{
    t->next_want = W_KEY;
    t->next_key = fn;
    snprintf(t->next_text, sizeof t->next_text, "%s", prompt);
}

void sim_t_close(sim_term *t) { t->next_close = true; }

void sim_t_set_mode(sim_term *t, unsigned mode)
{
    bool was = (t->mode & SIM_M_CFG) != 0, is = (mode & SIM_M_CFG) != 0;
    if (was && !is)
        sim_cand_discard(t); /* leaving configuration: an uncommitted candidate is gone */
    sim_device *real = t->real ? t->real : t->dev; /* counters live on the device itself */
    if (!t->loading && was != is) {
        if (is)
            sim_device_config_enter(real);
        else
            sim_device_config_leave(real);
        t->in_config = is;
    }
    t->mode = mode;
}

void sim_t_match_error(sim_term *t, const sim_match *m, size_t plen, const char *line)
{
    sim_persona p = t->dev->persona;
    if (p == SIM_EOS) {
        sim_t_puts(t, m->kind == SIM_MATCH_INVALID      ? "% Invalid input\n"
                      : m->kind == SIM_MATCH_INCOMPLETE ? "% Incomplete command\n"
                                                        : "% Ambiguous command\n");
        return;
    }
    if (p == SIM_NXOS) {
        size_t col = m->kind == SIM_MATCH_INCOMPLETE ? m->end + 1 : m->caret;
        sim_t_printf(t, "%*s^\n%% %s command at '^' marker.\n", (int)(plen + col), "",
                     m->kind == SIM_MATCH_INVALID      ? "Invalid"
                     : m->kind == SIM_MATCH_INCOMPLETE ? "Incomplete"
                                                       : "Ambiguous");
        return;
    }
    if (m->kind == SIM_MATCH_INVALID) {
        sim_t_printf(t, "%*s^\n%% Invalid input detected at '^' marker.\n\n",
                     (int)(plen + m->caret), "");
    } else if (m->kind == SIM_MATCH_INCOMPLETE) {
        sim_t_puts(t, "% Incomplete command.\n\n");
    } else {
        const char *s = line;
        while (*s == ' ')
            s++;
        size_t l = strlen(s);
        while (l > 0 && s[l - 1] == ' ')
            l--;
        sim_t_printf(t, "%% Ambiguous command:  \"%.*s\"\n", (int)l, s);
    }
}

int sim_t_set_filter(sim_term *t, const char *line, size_t bar, size_t plen)
{
    static const char *const kws[] = {"begin", "exclude", "include", "section", "count"};
    static const int kinds[] = {F_BEGIN, F_EXCLUDE, F_INCLUDE, F_SECTION, F_COUNT};
    size_t i = bar + 1;
    while (line[i] == ' ')
        i++;
    size_t ws = i;
    while (line[i] && line[i] != ' ')
        i++;
    size_t wl = i - ws;
    sim_match m = {0};
    if (wl == 0) {
        m.kind = SIM_MATCH_INCOMPLETE;
        m.end = bar + 1;
        sim_t_match_error(t, &m, plen, line);
        return -1;
    }
    int kind = F_NONE, hits = 0;
    size_t best = 0;
    for (int k = 0; k < 5; k++) {
        size_t l = 0, kl = strlen(kws[k]);
        while (l < wl && l < kl && (line[ws + l] | 0x20) == kws[k][l])
            l++;
        if (l > best)
            best = l;
        if (l == wl) {
            kind = kinds[k];
            hits++;
        }
    }
    if (hits != 1) {
        m.kind = hits ? SIM_MATCH_AMBIGUOUS : SIM_MATCH_INVALID;
        m.caret = hits ? ws : ws + best;
        m.end = ws + wl;
        sim_t_match_error(t, &m, plen, line);
        return -1;
    }
    while (line[i] == ' ')
        i++;
    const char *rx = line + i;
    size_t rl = strlen(rx);
    while (rl > 0 && rx[rl - 1] == ' ')
        rl--;
    if (rl == 0 && kind != F_COUNT) {
        m.kind = SIM_MATCH_INCOMPLETE;
        m.end = ws + wl;
        sim_t_match_error(t, &m, plen, line);
        return -1;
    }
    char pat[SIM_LINE_MAX + 1];
    snprintf(pat, sizeof pat, "%.*s", (int)rl, rl ? rx : ".");
    if (regcomp(&t->re, pat, REG_EXTENDED | REG_NOSUB) != 0) {
        sim_t_puts(t, "% Invalid regular expression\n");
        return -1;
    }
    t->re_ok = true;
    t->filt = kind;
    t->sec_on = t->begun = false;
    t->count = 0;
    return 0;
}

/* ---- output pipeline: generator -> filter -> pager ----------------------------------------- */

void sim_t_clear_filter(sim_term *t)
{
    if (t->re_ok)
        regfree(&t->re);
    t->re_ok = false;
    t->filt = F_NONE;
}

static int next_filtered(sim_term *t, na_buf *ln)
{
    for (;;) {
        na_buf_reset(ln);
        if (!t->gen || !t->gen->next(t->gen, ln))
            return 0;
        if (t->filt == F_NONE)
            return 1;
        bool hit = regexec(&t->re, na_buf_cstr(ln), 0, NULL, 0) == 0;
        switch (t->filt) {
        case F_INCLUDE:
            if (hit)
                return 1;
            break;
        case F_EXCLUDE:
            if (!hit)
                return 1;
            break;
        case F_BEGIN:
            if (hit)
                t->begun = true;
            if (t->begun)
                return 1;
            break;
        case F_SECTION:
            if (ln->len == 0 || ln->data[0] != ' ')
                t->sec_on = hit;
            if (t->sec_on || hit)
                return 1;
            break;
        default: /* F_COUNT */
            if (hit)
                t->count++;
            break;
        }
    }
}

void sim_t_begin_cmd(sim_term *t)
{
    t->emitted = false;
    na_buf_reset(&t->txt);
    t->next_want = W_CLI;
    t->next_line = NULL;
    t->next_key = NULL;
    t->next_text[0] = '\0';
    t->next_close = false;
}

static void finish_output(sim_term *t)
{
    if (t->gen)
        t->gen->free(t->gen);
    t->gen = NULL;
    t->have_la = t->paging = false;
    if (t->filt == F_COUNT) {
        char buf[80];
        int n = snprintf(buf, sizeof buf, "Number of lines which match regexp = %ld", t->count);
        sim_t_emit_line(t, buf, (size_t)n);
    }
    sim_t_clear_filter(t);
    if (t->next_text[0])
        sim_t_out_str(t, t->next_text);
    if (t->next_close) {
        t->status = SIM_TS_CLOSE;
        return;
    }
    t->want = t->next_want;
    t->on_line = t->next_line;
    t->on_key = t->next_key;
    if (t->want != W_CLI)
        return;
    if (t->exec_cmd) {
        t->status = SIM_TS_CLOSE;
        return;
    }
    if (t->end_after) {
        t->end_after = false;
        sim_t_set_mode(t, SIM_M_PRIV);
    }
    sim_t_emit_prompt(t);
}

void sim_t_start_output(sim_term *t)
{
    if (t->loading) {
        na_buf_reset(&t->txt);
        if (t->gen)
            t->gen->free(t->gen);
        t->gen = NULL;
        sim_t_clear_filter(t);
        t->want = t->next_want;
        t->on_line = t->next_line;
        t->on_key = t->next_key;
        return;
    }
    if (t->txt.len > 0 && !t->gen)
        t->gen = sim_gen_text(&t->txt);
    t->page_lines = 0;
    t->have_la = t->paging = false;
    if (!t->gen)
        finish_output(t);
}

static int lines_per_page(const sim_term *t) { return t->length > 1 ? t->length - 1 : 1; }

void sim_t_emit_lines(sim_term *t)
{
    while (t->out.len - t->out_off < SIM_EMIT_CHUNK) {
        if (!t->have_la && !next_filtered(t, &t->la)) {
            finish_output(t);
            return;
        }
        t->have_la = false;
        if (t->length > 0 && t->page_lines >= lines_per_page(t)) {
            t->have_la = true;
            t->paging = true;
            sim_t_out_str(t, " --More-- ");
            return;
        }
        sim_t_emit_line(t, t->la.data ? t->la.data : "", t->la.len);
        t->page_lines++;
    }
}

void sim_t_pager_key(sim_term *t, int c)
{
    /* IOS rubs the pager out with 9 backspaces, 8 spaces and 9 backspaces */
    sim_t_out_str(t, "\b\b\b\b\b\b\b\b\b        \b\b\b\b\b\b\b\b\b");
    t->paging = false;
    if (c == ' ') {
        t->page_lines = 0;
    } else if (c == '\r') {
        t->page_lines = lines_per_page(t) - 1;
    } else {
        t->have_la = false;
        if (t->filt == F_COUNT)
            t->filt = F_NONE;
        finish_output(t);
    }
}
