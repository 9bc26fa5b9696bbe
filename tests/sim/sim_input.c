/* sim_input.c — the input side of a CLI session: keystroke normalisation (CR LF, CR NUL,
 * bare LF; --opt cr-only ignores a bare LF), line editing with echo (Backspace/DEL, ^U, ^W;
 * escape sequences swallowed; a line longer than a fixed terminal width scrolled as IOS does or
 * wrapped as readline does), ^C and ^Z, '?' help, pager keys, dialog answers, running command
 * lines, and sim_term_feed / sim_term_pull, which drive everything lazily and stop where the
 * output pauses. Not the output pipeline (sim_term.c). */
#include "sim_term_int.h"

#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- help ('?') -------------------------------------------------------------------------- */

static void show_help(sim_term *t)
{
    char list[4096];
    t->line[t->len] = '\0';
    sim_cmd_help(sim_cmds, sim_ncmds, sim_persona_base(t->dev->persona), t->mode, t->line, 0,
                 list, sizeof list);
    sim_t_out_str(t, "?\r\n");
    char *s = list;
    if (!*s)
        sim_t_out_str(t, "% Unrecognized command\r\n");
    while (*s) {
        char *nl = strchr(s, '\n');
        size_t l = nl ? (size_t)(nl - s) : strlen(s);
        char item[80];
        int n = snprintf(item, sizeof item, "  %.*s", (int)l, s);
        sim_t_emit_line(t, item, (size_t)n);
        s += l + (nl ? 1 : 0);
    }
    sim_t_out_str(t, "\r\n");
    sim_t_out_str(t, sim_t_prompt(t));
    sim_t_out_raw(t, t->line, t->len);
}

/* ---- input --------------------------------------------------------------------------------- */

static void run_cli_line(sim_term *t, const char *line)
{
    if (t->dev->persona == SIM_JUNOS) {
        sim_t_begin_cmd(t);
        const char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s) {
            t->ncmd++;
            (t->real ? t->real : t->dev)->c.commands++;
            sim_t_log(t, "command", line);
            sim_junos_run_line(t, line);
        }
        sim_t_start_output(t);
        return;
    }
    size_t plen = sim_t_prompt_cols(t);
    sim_t_begin_cmd(t);
    const char *s = line;
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s) {
        t->ncmd++;
        sim_device *real = t->real ? t->real : t->dev;
        real->c.commands++;
        if (t->mode & SIM_M_CFG)
            real->c.config_commands++;
        sim_t_log(t, "command", line);
        if (!(t->dev->persona == SIM_IOSXR && (t->mode & SIM_M_CFG) &&
              sim_xr_config_line(t, line)))
            sim_run_line(t, line, plen);
    }
    sim_t_start_output(t);
}

static void enter_key(sim_term *t)
{
    char buf[SIM_LINE_MAX + 1];
    memcpy(buf, t->line, t->len);
    buf[t->len] = '\0';
    t->len = 0;
    sim_t_out_str(t, "\r\n");
    if (t->want == W_CLI) {
        run_cli_line(t, buf);
        return;
    }
    sim_line_fn fn = t->on_line;
    sim_t_begin_cmd(t);
    t->want = W_CLI;
    if (fn)
        fn(t, buf);
    sim_t_start_output(t);
    memset(buf, 0, sizeof buf);
}

static void rub_out(sim_term *t, size_t n, bool echo)
{
    for (; n > 0 && t->len > 0; n--) {
        t->len--;
        if (echo) {
            sim_t_out_str(t, "\b \b");
            if (t->ed_col > 0)
                t->ed_col--;
            if (t->ed_shown > 0)
                t->ed_shown--;
        }
    }
}

static void out_n(sim_term *t, char c, size_t n)
{
    for (; n > 0; n--)
        sim_t_out_raw(t, &c, 1);
}

/* Echo the character just typed (it is t->line[t->len - 1]) on a terminal of fixed width, the
 * way the personality's line editor does:
 *   ios, iosxr: scroll — when the line reaches the right edge, back up over what is shown, then
 *     "$" and the line's end (10 columns left free), blanking what is left over; the "$" stays,
 *     later scrolls back up to just after it (bytes as in ktbyers/netmiko issue #160);
 *   the others: wrap — after the character in the last column, " \r" (GNU readline). */
static void echo_typed(sim_term *t, unsigned char c)
{
    int w = sim_t_width(t);
    if (!t->dev->f.fixed_width || w <= 0 || t->want != W_CLI) {
        sim_t_out_raw(t, (const char *)&c, 1);
        return;
    }
    sim_persona p = sim_persona_base(t->dev->persona);
    if (p != SIM_IOS) {
        sim_t_out_raw(t, (const char *)&c, 1);
        if (++t->ed_col >= (size_t)w) {
            sim_t_out_str(t, " \r");
            t->ed_col = 0;
        }
        return;
    }
    size_t vis = (size_t)w > t->ed_plen + 12 ? (size_t)w - t->ed_plen - 1 : 11;
    if (t->ed_shown + 1 <= vis) {
        sim_t_out_raw(t, (const char *)&c, 1);
        t->ed_shown++;
        return;
    }
    size_t keep = vis - 10;             /* the line's end shown after "$" */
    size_t text_before = t->ed_off ? t->ed_shown - 1 : t->ed_shown;
    out_n(t, '\b', text_before);
    if (!t->ed_off)
        sim_t_out_str(t, "$");
    size_t off = t->len - keep;
    sim_t_out_raw(t, t->line + off, keep);
    if (text_before > keep) {
        out_n(t, ' ', text_before - keep);
        out_n(t, '\b', text_before - keep);
    }
    t->ed_off = off;
    t->ed_shown = keep + 1;
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
        if (t->dev->f.cr_only)
            return; /* a line editor that acts on CR only (Go's x/term): LF is nothing */
        enter = true;
    }
    if (t->paging) {
        sim_t_pager_key(t, enter ? '\r' : c);
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
        sim_t_begin_cmd(t);
        t->want = W_CLI;
        if (fn)
            fn(t, enter ? '\r' : c);
        sim_t_start_output(t);
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
            sim_t_out_str(t, "^C\r\n");
            sim_t_begin_cmd(t);
            t->end_after = true;
            sim_t_start_output(t);
        } else if (t->want == W_CLI || (t->logged_in && t->want != W_CLI)) {
            t->len = 0;
            sim_t_out_str(t, "\r\n");
            sim_t_begin_cmd(t);
            t->want = W_CLI;
            sim_t_start_output(t);
        }
        return;
    case 0x1a: /* ^Z */
        if (t->want == W_CLI && (t->mode & SIM_M_CFG)) {
            char buf[SIM_LINE_MAX + 1];
            memcpy(buf, t->line, t->len);
            buf[t->len] = '\0';
            t->len = 0;
            sim_t_out_str(t, "^Z\r\n");
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
            sim_t_out_str(t, "\a");
        return;
    }
    t->line[t->len++] = (char)c;
    if (echo)
        echo_typed(t, c);
}

bool sim_t_step(sim_term *t)
{
    if (t->status != SIM_TS_OPEN)
        return false;
    if (t->epoch != t->dev->epoch) {
        t->status = SIM_TS_DROP;
        return false;
    }
    if ((t->gen || t->have_la) && !t->paging) {
        sim_t_emit_lines(t);
        return true;
    }
    if (t->in_off < t->in.len) {
        process_byte(t, (unsigned char)t->in.data[t->in_off++]);
        return true;
    }
    return false;
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
    if (na_buf_append(&t->in, data, n < room ? n : room, "type-ahead", NULL) < 0) {
        /* only without memory: the type-ahead is lost, as a device's full buffer loses it */
    }
}

int64_t sim_term_hold_ms(const sim_term *t)
{
    return t->hold_until_ms ? t->hold_until_ms - na_now_ms() : 0;
}

size_t sim_term_pull(sim_term *t, char *buf, size_t cap)
{
    size_t n = 0;
    if (t->hold_until_ms) {
        if (na_now_ms() < t->hold_until_ms)
            return 0;
        t->hold_until_ms = 0;
    }
    while (n < cap) {
        if (t->npause && t->pause_at[0] <= t->out_off) { /* the output pauses here */
            t->hold_until_ms = na_now_ms() + t->pause_ms[0];
            t->npause--;
            memmove(t->pause_at, t->pause_at + 1, (size_t)t->npause * sizeof *t->pause_at);
            memmove(t->pause_ms, t->pause_ms + 1, (size_t)t->npause * sizeof *t->pause_ms);
            break;
        }
        size_t avail = t->out.len - t->out_off;
        if (avail) {
            size_t k = avail < cap - n ? avail : cap - n;
            if (t->npause && t->pause_at[0] - t->out_off < k)
                k = t->pause_at[0] - t->out_off;
            memcpy(buf + n, t->out.data + t->out_off, k);
            t->out_off += k;
            n += k;
            if (t->out_off == t->out.len && !t->npause) {
                na_buf_reset(&t->out);
                t->out_off = 0;
            }
            continue;
        }
        if (!sim_t_step(t))
            break;
    }
    return n;
}
