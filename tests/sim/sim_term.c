/* sim_term.c — a CLI session (see sim_term.h): input normalisation (CR LF, CR NUL, bare LF),
 * line editing with echo, the Telnet login dialog, prompts, the --More-- pager with IOS's
 * backspace erase, pipe filters, dialogs, and the per-session faults. Commands themselves are
 * in sim_cmds*.c. Not I/O: bytes come in through sim_term_feed and leave through
 * sim_term_pull. */
#include "sim_term_int.h"

#include "clock.h"
#include "secret.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OUT_MAX ((size_t)1 << 20)
#define TXT_MAX ((size_t)32 << 20)
#define EMIT_CHUNK 4096

static sim_term_log_fn log_hook;

void sim_term_set_log_hook(sim_term_log_fn fn) { log_hook = fn; }

const char *sim_transport_name(sim_transport t) { return t == SIM_TR_TELNET ? "telnet" : "ssh"; }

static void tlog(sim_term *t, const char *event, const char *text)
{
    if (log_hook && !t->loading)
        log_hook(t->dev, t->transport, t->peer, event, text);
}

/* ---- raw output and the garbage fault -------------------------------------------------- */

static void out_raw(sim_term *t, const char *s, size_t n)
{
    if (t->loading || n == 0)
        return;
    (void)na_buf_append(&t->out, s, n, "terminal output", NULL);
}

static void out_str(sim_term *t, const char *s) { out_raw(t, s, strlen(s)); }

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
    {"\x1b[K", 3},      {"\x1b[0m", 4},  {"\x1b[1;33m", 7}, {"\x1b[?25l\x1b[?25h", 12},
    {"\x1b[2K", 4},     {"\a", 1},       {"\0", 1},
};
#define NJUNK (sizeof junk / sizeof *junk)
#define NANSI 5 /* the first NANSI entries are escape sequences */

static void emit_line(sim_term *t, const char *s, size_t n)
{
    if (t->dev->f.garbage) {
        uint32_t r = rnd(t);
        if (r % 2 == 0)
            out_raw(t, junk[(r >> 4) % NJUNK].s, junk[(r >> 4) % NJUNK].n);
        if (n > 8 && (r >> 10) % 4 == 0) {
            size_t at = (r >> 12) % n;
            out_raw(t, s, at);
            size_t k = (r >> 20) % NANSI;
            out_raw(t, junk[k].s, junk[k].n);
            s += at;
            n -= at;
        }
    }
    out_raw(t, s, n);
    out_raw(t, "\r\n", 2);
}

/* ---- prompts ----------------------------------------------------------------------------- */

const char *sim_t_prompt(sim_term *t)
{
    const char *h = t->dev->hostname;
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
        snprintf(t->pbuf, sizeof t->pbuf, "%.*s(config)#%s", t->dev->persona == SIM_IOS ? 20 : 63,
                 h, sp);
        break;
    case SIM_M_VLAN:
        if (t->dev->persona == SIM_EOS)
            snprintf(t->pbuf, sizeof t->pbuf, "%s(config-vlan-%s)#", h, t->vlan_list);
        else
            snprintf(t->pbuf, sizeof t->pbuf, "%.*s(config-vlan)#%s",
                     t->dev->persona == SIM_IOS ? 20 : 63, h, sp);
        break;
    default:
        if (t->dev->persona == SIM_EOS) {
            sim_intf_short(SIM_EOS, t->ifname, shrt, sizeof shrt);
            snprintf(t->pbuf, sizeof t->pbuf, "%s(config-if-%s)#", h, shrt);
        } else {
            snprintf(t->pbuf, sizeof t->pbuf, "%.*s(config-if)#%s",
                     t->dev->persona == SIM_IOS ? 20 : 63, h, sp);
        }
        break;
    }
    return t->pbuf;
}

static void emit_prompt(sim_term *t)
{
    if (t->dev->f.garbage) {
        uint32_t r = rnd(t);
        out_raw(t, junk[r % NJUNK].s, junk[r % NJUNK].n);
    }
    out_str(t, sim_t_prompt(t));
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

void sim_t_puts(sim_term *t, const char *s) { (void)na_buf_puts(&t->txt, s, NULL); }

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
    if (!t->loading && was != is) {
        if (is)
            sim_device_config_enter(t->dev);
        else
            sim_device_config_leave(t->dev);
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

static void clear_filter(sim_term *t)
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

static void begin_cmd(sim_term *t)
{
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
        emit_line(t, buf, (size_t)n);
    }
    clear_filter(t);
    if (t->next_text[0])
        out_str(t, t->next_text);
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
    emit_prompt(t);
}

static void start_output(sim_term *t)
{
    if (t->loading) {
        na_buf_reset(&t->txt);
        if (t->gen)
            t->gen->free(t->gen);
        t->gen = NULL;
        clear_filter(t);
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

static void emit_lines(sim_term *t)
{
    while (t->out.len - t->out_off < EMIT_CHUNK) {
        if (!t->have_la && !next_filtered(t, &t->la)) {
            finish_output(t);
            return;
        }
        t->have_la = false;
        if (t->length > 0 && t->page_lines >= lines_per_page(t)) {
            t->have_la = true;
            t->paging = true;
            out_str(t, " --More-- ");
            return;
        }
        emit_line(t, t->la.data ? t->la.data : "", t->la.len);
        t->page_lines++;
    }
}

static void pager_key(sim_term *t, int c)
{
    /* IOS rubs the pager out with 9 backspaces, 8 spaces and 9 backspaces */
    out_str(t, "\b\b\b\b\b\b\b\b\b        \b\b\b\b\b\b\b\b\b");
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

/* ---- help ('?') -------------------------------------------------------------------------- */

static void show_help(sim_term *t)
{
    char list[4096];
    t->line[t->len] = '\0';
    sim_cmd_help(sim_cmds, sim_ncmds, t->dev->persona, t->mode, t->line, 0, list, sizeof list);
    out_str(t, "?\r\n");
    char *s = list;
    if (!*s)
        out_str(t, "% Unrecognized command\r\n");
    while (*s) {
        char *nl = strchr(s, '\n');
        size_t l = nl ? (size_t)(nl - s) : strlen(s);
        char item[80];
        int n = snprintf(item, sizeof item, "  %.*s", (int)l, s);
        emit_line(t, item, (size_t)n);
        s += l + (nl ? 1 : 0);
    }
    out_str(t, "\r\n");
    out_str(t, sim_t_prompt(t));
    out_raw(t, t->line, t->len);
}

/* ---- input --------------------------------------------------------------------------------- */

static void run_cli_line(sim_term *t, const char *line)
{
    size_t plen = strlen(sim_t_prompt(t));
    begin_cmd(t);
    const char *s = line;
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s) {
        t->ncmd++;
        t->dev->c.commands++;
        if (t->mode & SIM_M_CFG)
            t->dev->c.config_commands++;
        tlog(t, "command", line);
        sim_run_line(t, line, plen);
    }
    start_output(t);
}

static void enter_key(sim_term *t)
{
    char buf[SIM_LINE_MAX + 1];
    memcpy(buf, t->line, t->len);
    buf[t->len] = '\0';
    t->len = 0;
    out_str(t, "\r\n");
    if (t->want == W_CLI) {
        run_cli_line(t, buf);
        return;
    }
    sim_line_fn fn = t->on_line;
    begin_cmd(t);
    t->want = W_CLI;
    if (fn)
        fn(t, buf);
    start_output(t);
    memset(buf, 0, sizeof buf);
}

static void rub_out(sim_term *t, size_t n, bool echo)
{
    for (; n > 0 && t->len > 0; n--) {
        t->len--;
        if (echo)
            out_str(t, "\b \b");
    }
}

static void process_byte(sim_term *t, unsigned char c)
{
    if (t->after_cr) {
        t->after_cr = false;
        if (c == '\n' || c == '\0')
            return;
    }
    bool enter = false;
    if (c == '\r') {
        t->after_cr = true;
        enter = true;
    } else if (c == '\n') {
        enter = true;
    }
    if (t->paging) {
        pager_key(t, enter ? '\r' : c);
        return;
    }
    if (t->esc) { /* swallow arrow keys and other escape sequences */
        if (t->esc == 1)
            t->esc = (c == '[' || c == 'O') ? 2 : 0;
        else if (c >= 0x40 && c <= 0x7e)
            t->esc = 0;
        return;
    }
    if (t->want == W_KEY) {
        sim_key_fn fn = t->on_key;
        begin_cmd(t);
        t->want = W_CLI;
        if (fn)
            fn(t, enter ? '\r' : c);
        start_output(t);
        return;
    }
    if (enter) {
        enter_key(t);
        return;
    }
    bool echo = t->want != W_SECRET;
    switch (c) {
    case 0x1b:
        t->esc = 1;
        return;
    case 0x08:
    case 0x7f:
        rub_out(t, 1, echo);
        return;
    case 0x15: /* ^U */
        rub_out(t, t->len, echo);
        return;
    case 0x17: /* ^W */
        while (t->len > 0 && t->line[t->len - 1] == ' ')
            rub_out(t, 1, echo);
        while (t->len > 0 && t->line[t->len - 1] != ' ')
            rub_out(t, 1, echo);
        return;
    case 0x03: /* ^C */
        if (t->want == W_CLI && (t->mode & SIM_M_CFG)) {
            t->len = 0;
            out_str(t, "^C\r\n");
            begin_cmd(t);
            t->end_after = true;
            start_output(t);
        } else if (t->want == W_CLI || (t->logged_in && t->want != W_CLI)) {
            t->len = 0;
            out_str(t, "\r\n");
            begin_cmd(t);
            t->want = W_CLI;
            start_output(t);
        }
        return;
    case 0x1a: /* ^Z */
        if (t->want == W_CLI && (t->mode & SIM_M_CFG)) {
            char buf[SIM_LINE_MAX + 1];
            memcpy(buf, t->line, t->len);
            buf[t->len] = '\0';
            t->len = 0;
            out_str(t, "^Z\r\n");
            t->end_after = true;
            run_cli_line(t, buf);
        }
        return;
    case '?':
        if (t->want == W_CLI) {
            show_help(t);
            return;
        }
        break;
    default:
        break;
    }
    if (c < 0x20 || c >= 0x7f)
        return;
    if (t->len >= SIM_LINE_MAX) {
        if (echo)
            out_str(t, "\a");
        return;
    }
    t->line[t->len++] = (char)c;
    if (echo)
        out_raw(t, (const char *)&c, 1);
}

static bool step(sim_term *t)
{
    if (t->status != SIM_TS_OPEN)
        return false;
    if (t->epoch != t->dev->epoch) {
        t->status = SIM_TS_DROP;
        return false;
    }
    if ((t->gen || t->have_la) && !t->paging) {
        emit_lines(t);
        return true;
    }
    if (t->in_off < t->in.len) {
        process_byte(t, (unsigned char)t->in.data[t->in_off++]);
        return true;
    }
    return false;
}

/* ---- login (Telnet) ------------------------------------------------------------------------ */

static void login_user(sim_term *t, const char *line);

static const char *login_prompt(sim_term *t, char *buf, size_t cap)
{
    if (t->dev->persona == SIM_IOS)
        return "Username: ";
    snprintf(buf, cap, "%s login: ", t->dev->hostname);
    return buf;
}

static void nxos_motd(sim_term *t)
{
    sim_t_puts(t, "\nCisco Nexus Operating System (NX-OS) Software\n"
                  "TAC support: http://www.cisco.com/tac\n"
                  "Copyright (C) 2002-2021, Cisco and/or its affiliates.\n"
                  "All rights reserved.\n");
}

static void logged_in(sim_term *t)
{
    t->logged_in = true;
    t->since_ms = na_now_ms();
    if (!t->counted) {
        t->counted = true;
        sim_device_session_open(t->dev);
    }
    unsigned m = t->dev->persona == SIM_NXOS || t->dev->f.priv15 ? SIM_M_PRIV : SIM_M_USER;
    sim_t_set_mode(t, m);
}

static void login_pass(sim_term *t, const char *pass)
{
    const sim_creds *cr = t->dev->creds;
    bool ok = !t->dev->f.refuse_login && cr && strcmp(t->user, cr->username) == 0 &&
              strcmp(pass, cr->password) == 0;
    if (ok) {
        t->dev->c.logins_telnet++;
        tlog(t, "login", t->user);
        logged_in(t);
        if (t->dev->persona == SIM_NXOS)
            nxos_motd(t);
        return;
    }
    t->dev->c.login_failures++;
    tlog(t, "login-failed", t->user);
    t->tries++;
    char buf[96];
    if (t->dev->persona == SIM_IOS)
        sim_t_puts(t, "% Login invalid\n\n");
    else
        sim_t_puts(t, "Login incorrect\n");
    if (t->tries >= 3) {
        sim_t_close(t);
        return;
    }
    sim_t_ask_line(t, login_prompt(t, buf, sizeof buf), true, login_user);
}

static void login_user(sim_term *t, const char *line)
{
    char buf[96];
    if (!*line) {
        sim_t_ask_line(t, login_prompt(t, buf, sizeof buf), true, login_user);
        return;
    }
    snprintf(t->user, sizeof t->user, "%s", line);
    sim_t_ask_line(t, "Password: ", false, login_pass);
}

/* ---- life cycle ------------------------------------------------------------------------------ */

static void link_device(sim_term *t)
{
    /* lowest free vty number */
    int vty = 0;
    for (bool again = true; again;) {
        again = false;
        for (sim_term *o = t->dev->terms; o; o = o->dnext)
            if (o->vty == vty) {
                vty++;
                again = true;
            }
    }
    t->vty = vty;
    t->dnext = t->dev->terms;
    t->dev->terms = t;
}

static void unlink_device(sim_term *t)
{
    for (sim_term **pp = &t->dev->terms; *pp; pp = &(*pp)->dnext)
        if (*pp == t) {
            *pp = t->dnext;
            return;
        }
}

sim_term *sim_term_new(sim_device *d, const sim_term_cfg *cfg)
{
    sim_term *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->dev = d;
    t->transport = cfg->transport;
    snprintf(t->user, sizeof t->user, "%s", cfg->user ? cfg->user : "");
    snprintf(t->peer, sizeof t->peer, "%s", cfg->peer ? cfg->peer : "");
    na_buf_init(&t->in, SIM_IN_MAX);
    na_buf_init(&t->out, OUT_MAX);
    na_buf_init(&t->txt, TXT_MAX);
    na_buf_init(&t->la, 64 * 1024);
    t->length = cfg->height > 0 ? cfg->height : 24;
    t->width = cfg->width > 0 ? cfg->width : 80;
    t->epoch = d->epoch;
    t->rng = cfg->seed ? cfg->seed : 0x2545f491u;
    t->since_ms = na_now_ms();
    t->mode = SIM_M_USER;
    link_device(t);
    if (cfg->exec_cmd) {
        t->exec_cmd = strdup(cfg->exec_cmd);
        if (!t->exec_cmd) {
            sim_term_free(t);
            return NULL;
        }
    }
    const char *banner = d->f.banner ? d->f.banner : d->creds ? d->creds->banner : NULL;
    begin_cmd(t);
    if (cfg->login) {
        char buf[96];
        if (d->persona == SIM_IOS) {
            sim_t_puts(t, "\n");
            if (banner && *banner)
                sim_t_printf(t, "%s\n", banner);
            sim_t_puts(t, "\nUser Access Verification\n\n");
        } else {
            sim_t_puts(t, "\n");
            if (banner && *banner)
                sim_t_printf(t, "%s\n", banner);
            if (d->persona == SIM_NXOS)
                sim_t_puts(t, "User Access Verification\n");
        }
        sim_t_ask_line(t, login_prompt(t, buf, sizeof buf), true, login_user);
        start_output(t);
        return t;
    }
    logged_in(t);
    if (t->exec_cmd) {
        t->ncmd++;
        d->c.commands++;
        tlog(t, "command", t->exec_cmd);
        sim_run_line(t, t->exec_cmd, 0);
        start_output(t);
        return t;
    }
    if (d->persona == SIM_NXOS)
        nxos_motd(t);
    else if (banner && *banner)
        sim_t_printf(t, "\n%s\n\n", banner);
    else
        sim_t_puts(t, "\n");
    start_output(t);
    return t;
}

void sim_term_free(sim_term *t)
{
    if (!t)
        return;
    unlink_device(t);
    if (t->counted)
        sim_device_session_close(t->dev);
    if (t->in_config)
        sim_device_config_leave(t->dev);
    if (t->gen)
        t->gen->free(t->gen);
    clear_filter(t);
    na_wipe(t->line, sizeof t->line);
    if (t->in.data)
        na_wipe(t->in.data, t->in.cap);
    na_buf_free(&t->in);
    na_buf_free(&t->out);
    na_buf_free(&t->txt);
    na_buf_free(&t->la);
    free(t->exec_cmd);
    free(t);
}

void sim_term_feed(sim_term *t, const void *data, size_t n)
{
    if (t->status == SIM_TS_STALLED || t->status == SIM_TS_DROP)
        return;
    if (t->in_off > 0 && (t->in_off == t->in.len || t->in_off > SIM_IN_MAX / 2)) {
        na_buf_consume(&t->in, t->in_off);
        t->in_off = 0;
    }
    size_t room = SIM_IN_MAX - t->in.len;
    (void)na_buf_append(&t->in, data, n < room ? n : room, "type-ahead", NULL);
}

size_t sim_term_pull(sim_term *t, char *buf, size_t cap)
{
    size_t n = 0;
    while (n < cap) {
        size_t avail = t->out.len - t->out_off;
        if (avail) {
            size_t k = avail < cap - n ? avail : cap - n;
            memcpy(buf + n, t->out.data + t->out_off, k);
            t->out_off += k;
            n += k;
            if (t->out_off == t->out.len) {
                na_buf_reset(&t->out);
                t->out_off = 0;
            }
            continue;
        }
        if (!step(t))
            break;
    }
    return n;
}

sim_term_status sim_term_status_of(const sim_term *t) { return t->status; }

bool sim_term_pending(const sim_term *t)
{
    if (t->out.len > t->out_off)
        return true;
    if (t->status != SIM_TS_OPEN)
        return false;
    if (t->epoch != t->dev->epoch)
        return true;
    if ((t->gen || t->have_la) && !t->paging)
        return true;
    return t->in_off < t->in.len;
}

void sim_term_resize(sim_term *t, int width, int height)
{
    if (width > 0 && !t->width_set)
        t->width = width;
    if (height > 0 && !t->length_set)
        t->length = height;
}

bool sim_term_logged_in(const sim_term *t) { return t->logged_in; }

unsigned sim_term_commands(const sim_term *t) { return t->ncmd; }

/* ---- configuration replay ---------------------------------------------------------------- */

void sim_config_apply(sim_device *d, const char *text, size_t len)
{
    sim_term *t = calloc(1, sizeof *t);
    if (!t)
        return;
    t->dev = d;
    t->loading = true;
    t->epoch = d->epoch;
    na_buf_init(&t->in, SIM_IN_MAX);
    na_buf_init(&t->out, OUT_MAX);
    na_buf_init(&t->txt, TXT_MAX);
    na_buf_init(&t->la, 64 * 1024);
    t->mode = SIM_M_CONF;
    bool in_banner = false;
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && text[j] != '\n')
            j++;
        char line[SIM_LINE_MAX + 1];
        size_t l = j - i < SIM_LINE_MAX ? j - i : SIM_LINE_MAX;
        memcpy(line, text + i, l);
        while (l > 0 && (line[l - 1] == '\r' || line[l - 1] == ' '))
            l--;
        line[l] = '\0';
        i = j + 1;
        const char *s = line;
        while (*s == ' ')
            s++;
        if (in_banner) {
            if (strstr(s, "^C"))
                in_banner = false;
            continue;
        }
        if (strncmp(s, "banner ", 7) == 0) {
            const char *c = strstr(s, "^C");
            in_banner = c && !strstr(c + 2, "^C");
            continue;
        }
        if (*s == '!' || *s == '\0')
            continue;
        if (strcmp(s, "end") == 0)
            break;
        /* a line at column 0 is a global command: leave any sub-mode first */
        if (s == line && (t->mode & SIM_M_SUB))
            t->mode = SIM_M_CONF;
        begin_cmd(t);
        sim_run_line(t, line, 0);
        start_output(t);
        if (!(t->mode & SIM_M_CFG))
            t->mode = SIM_M_CONF;
    }
    sim_term_free(t);
}

void sim_device_boot(sim_device *d)
{
    if (d->startup)
        sim_config_apply(d, d->startup, d->startup_len);
}

void sim_device_reload(sim_device *d)
{
    sim_device_factory(d);
    sim_device_boot(d);
    d->boot_ms = d->clock_ms();
    d->epoch++;
    d->c.reloads++;
}
