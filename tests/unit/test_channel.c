/* test_channel.c — the expect loop over the replay transport, byte-exact: echo and prompt
 * stripping, prompts across split reads (every split point), tail-only matching, pagers answered
 * with the exact reply bytes, prompted input (plain and secret), pipelining, timeouts within their
 * deadline, close and overflow messages, big outputs and memory given back, raw reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "buf.h"
#include "channel.h"
#include "clock.h"
#include "replay.h"
#include "secret.h"
#include "transcript.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROMPT "^[\\w.\\-@/:+]{1,63}[>#]\\s?$"

static na_pattern *P(const char *src)
{
    na_err e = NA_ERR_INIT;
    na_pattern *p = na_pattern_new(src, 0, &e);
    if (!p)
        fprintf(stderr, "# %s\n", e.msg);
    assert_non_null(p);
    return p;
}

static const na_conn_params params = {.name = "sw1"};

static na_channel *chan(const char *script, size_t max_output)
{
    na_err e = NA_ERR_INIT;
    na_transport *t = na_replay_new_mem("test", script, strlen(script), &params, &e);
    if (!t)
        fprintf(stderr, "# %s\n", e.msg);
    assert_non_null(t);
    assert_int_equal(t->ops->open(t, &e), NA_OK);
    na_channel_opts o = {.max_output = max_output};
    na_channel *c = na_channel_new(t, &o, &e);
    assert_non_null(c);
    return c;
}

/* Drive one exchange to its end with poll(), like the blocking session wrapper does. */
static na_status run(na_channel *c, na_expect *x, na_err *e)
{
    na_channel_begin(c, x);
    for (;;) {
        na_status st = na_channel_step(c, e);
        if (st != NA_AGAIN)
            return st;
        struct pollfd p = {.fd = na_channel_fd(c), .events = POLLIN};
        int64_t ms = na_ms_until(na_channel_wake(c));
        poll(&p, 1, ms < 0 ? 1000 : (int)ms);
    }
}

/* The default exchange: one prompt pattern, everything else off. */
typedef struct fx {
    na_pattern *prompt;
    const na_pattern *prompts[1];
    na_expect x;
} fx;

static na_pattern *shared_prompt; /* compiled once per run (group setup) */

static void fx_init(fx *f, const char *echo, int timeout_ms)
{
    memset(f, 0, sizeof *f);
    f->prompt = shared_prompt;
    f->prompts[0] = f->prompt;
    f->x.prompts = f->prompts;
    f->x.nprompts = 1;
    f->x.echo = echo;
    f->x.cmd = echo;
    f->x.timeout_ms = timeout_ms;
    f->x.deadline_ms = na_now_ms() + timeout_ms;
}

/* The session's first step: wait for the device's first prompt and consume it. */
static void to_first_prompt(na_channel *c, fx *f, na_err *e)
{
    fx_init(f, NULL, 2000);
    assert_int_equal(run(c, &f->x, e), NA_OK);
    na_channel_consume(c);
}

/* Write a line the way the session does (line + newline in one write). */
static void send(na_channel *c, const char *line)
{
    na_err e = NA_ERR_INIT;
    char buf[512];
    snprintf(buf, sizeof buf, "%s\n", line);
    assert_int_equal(na_channel_write(c, buf, strlen(buf), false, &e), 0);
}

static void echo_and_prompt_stripped(void **st)
{
    (void)st;
    na_channel *c = chan("netauto-transcript 1\n"
                         "< \"\\r\\nsw1#\"\n"
                         "> \"show vlan brief\\n\"\n"
                         "< \"show vlan brief\\r\\n\\r\\nVLAN Name\\r\\n1    default\\r\\nsw1#\"\n",
                         0);
    na_err e = NA_ERR_INIT;
    fx f;
    to_first_prompt(c, &f, &e);
    fx_init(&f, "show vlan brief", 2000);
    send(c, "show vlan brief");
    assert_int_equal(run(c, &f.x, &e), NA_OK);
    const na_expect_result *r = na_channel_result(c);
    assert_int_equal(r->kind, NA_HIT_PROMPT);
    assert_true(r->echoed);
    char *pr = na_channel_prompt(c);
    assert_string_equal(pr, "sw1#");
    free(pr);
    size_t n;
    char *out = na_channel_take_output(c, &n, &e);
    assert_string_equal(out, "\nVLAN Name\n1    default");
    assert_int_equal(n, strlen(out));
    free(out);
    /* the prompt line stays for the next exchange's echo line */
    size_t len;
    assert_string_equal(na_channel_text(c, &len), "sw1#");
    assert_true(na_replay_finished(na_channel_transport(c)));
    na_channel_free(c);
}

/* The same conversation with the device's answer split at every byte boundary (a pause makes
 * the replay deliver the two halves in separate reads): same output, prompt only at the end.
 * (An output line that BEGINS with exactly a prompt, paused right after it, is the one case
 * tail matching cannot tell apart; see docs/platforms.md. Lines merely containing '#' are fine.) */
static void split_at_every_boundary(void **st)
{
    (void)st;
    const char *dev = "show ver\r\nCisco IOS \x1b[1mSoftware\x1b[0m\r\nuptime: sw1#3\r\n\r\nsw1#";
    size_t n = strlen(dev);
    for (size_t i = 1; i < n; i++) {
        na_buf s;
        na_err e = NA_ERR_INIT;
        na_buf_init(&s, 1 << 16);
        assert_int_equal(na_buf_puts(&s, "netauto-transcript 1\n< \"sw1#\"\n"
                                     "> \"show ver\\n\"\n< \"", &e), 0);
        for (size_t k = 0; k < n; k++) {
            if (k == i)
                assert_int_equal(na_buf_puts(&s, "\"\npause\n< \"", &e), 0);
            unsigned char ch = (unsigned char)dev[k];
            if (ch == '\r')
                assert_int_equal(na_buf_puts(&s, "\\r", &e), 0);
            else if (ch == '\n')
                assert_int_equal(na_buf_puts(&s, "\\n", &e), 0);
            else if (ch == 0x1b)
                assert_int_equal(na_buf_puts(&s, "\\e", &e), 0);
            else
                assert_int_equal(na_buf_append(&s, &ch, 1, NULL, &e), 0);
        }
        assert_int_equal(na_buf_puts(&s, "\"\n", &e), 0);
        na_channel *c = chan(s.data, 0);
        na_buf_free(&s);
        fx f;
        fx_init(&f, NULL, 2000);
        assert_int_equal(run(c, &f.x, &e), NA_OK);
        na_channel_consume(c);
        fx_init(&f, "show ver", 2000);
        send(c, "show ver");
        na_status r = run(c, &f.x, &e);
        if (r != NA_OK)
            fprintf(stderr, "# split at %zu: %s\n", i, e.msg);
        assert_int_equal(r, NA_OK);
        char *out = na_channel_take_output(c, NULL, &e);
        if (strcmp(out, "Cisco IOS Software\nuptime: sw1#3\n"))
            fprintf(stderr, "# split at %zu: output '%s'\n", i, out);
        assert_string_equal(out, "Cisco IOS Software\nuptime: sw1#3\n");
        free(out);
        assert_true(na_replay_finished(na_channel_transport(c)));
            na_channel_free(c);
    }
}

/* A prompt-like line in the middle of the output is not the end: only the tail counts. */
static void tail_only(void **st)
{
    (void)st;
    na_channel *c = chan("netauto-transcript 1\n"
                         "< \"sw1#\"\n"
                         "> \"show run\\n\"\n"
                         "< \"show run\\r\\nbanner motd ^C\\r\\nsw2#\\r\\n\"\n"
                         "pause\n"
                         "< \"^C\\r\\nend\\r\\n\"\n"
                         "pause\n"
                         "< \"sw1\" \"#\"\n",
                         0);
    na_err e = NA_ERR_INIT;
    fx f;
    to_first_prompt(c, &f, &e);
    fx_init(&f, "show run", 2000);
    send(c, "show run");
    assert_int_equal(run(c, &f.x, &e), NA_OK);
    char *out = na_channel_take_output(c, NULL, &e);
    assert_string_equal(out, "banner motd ^C\nsw2#\n^C\nend");
    free(out);
    na_channel_free(c);
}

static void pager_answered(void **st)
{
    (void)st;
    /* IOS: ` --More-- `, answered with exactly one space, then erased with backspaces */
    na_channel *c = chan("netauto-transcript 1\n"
                         "< \"sw1#\"\n"
                         "> \"show log\\n\"\n"
                         "< \"show log\\r\\nl1\\r\\nl2\\r\\n --More-- \"\n"
                         "> \" \"\n"
                         "< \"\\b\\b\\b\\b\\b\\b\\b\\b\\b\\b          \\b\\b\\b\\b\\b\\b\\b\\b\\b\\b\"\n"
                         "< \"l3\\r\\n\\e[7m--More--\\e[m\"\n"
                         "> \" \"\n"
                         "< \"\\r\\e[K\" \"l4\\r\\nsw1#\"\n",
                         0);
    na_err e = NA_ERR_INIT;
    fx f;
    to_first_prompt(c, &f, &e);
    na_pattern *pager = P("--More--\\s*$");
    const na_pattern *pagers[] = {pager};
    fx_init(&f, "show log", 2000);
    f.x.pagers = pagers;
    f.x.npagers = 1;
    send(c, "show log");
    na_status r = run(c, &f.x, &e);
    if (r != NA_OK)
        fprintf(stderr, "# %s\n", e.msg);
    assert_int_equal(r, NA_OK);
    assert_int_equal(na_channel_result(c)->pages, 2);
    char *out = na_channel_take_output(c, NULL, &e);
    assert_string_equal(out, "l1\nl2\nl3\nl4");
    free(out);
    assert_true(na_replay_finished(na_channel_transport(c)));
    na_channel_stats cs;
    na_channel_stats_get(c, &cs);
    assert_int_equal(cs.pages, 2);
    na_pattern_free(pager);
    na_channel_free(c);
}

static void prompted_input(void **st)
{
    (void)st;
    na_secret_clear_registry();
    na_secret_register("s3cr3t-enable");
    /* [confirm] answered with a bare newline, a Password: answered flagged secret */
    na_channel *c = chan("netauto-transcript 1\n"
                         "< \"sw1#\"\n"
                         "> \"clear counters\\n\"\n"
                         "< \"clear counters\\r\\nClear \\\"show interface\\\" counters on all "
                         "interfaces [confirm]\"\n"
                         "> \"\\n\"\n"
                         "< \"\\r\\nPassword: \"\n"
                         "> secret\n"
                         "< \"\\r\\nsw1#\"\n",
                         0);
    na_err e = NA_ERR_INIT;
    fx f;
    to_first_prompt(c, &f, &e);
    na_pattern *confirm = P("\\[confirm\\]\\s?$"), *pw = P("^[Pp]assword:\\s?$");
    na_reply replies[2] = {
        {.prompt = confirm, .text = "", .newline = true},
        {.prompt = pw, .text = "s3cr3t-enable", .newline = true, .secret = true, .max_uses = 1},
    };
    fx_init(&f, "clear counters", 2000);
    f.x.replies = replies;
    f.x.nreplies = 2;
    send(c, "clear counters");
    na_status r = run(c, &f.x, &e);
    if (r != NA_OK)
        fprintf(stderr, "# %s\n", e.msg);
    assert_int_equal(r, NA_OK);
    assert_int_equal(na_channel_result(c)->kind, NA_HIT_PROMPT);
    assert_int_equal(na_channel_result(c)->replies, 2);
    assert_int_equal(replies[0].uses, 1);
    assert_int_equal(replies[1].uses, 1);
    char *out = na_channel_take_output(c, NULL, &e);
    assert_string_equal(out, "Clear \"show interface\" counters on all interfaces [confirm]\n"
                             "Password: ");
    free(out);
    assert_true(na_replay_finished(na_channel_transport(c)));
    na_channel_free(c);

    /* asked again: stops with NA_HIT_REPEATED; no text: NA_HIT_UNANSWERED */
    c = chan("netauto-transcript 1\n"
             "< \"sw1>\"\n"
             "> \"enable\\n\"\n"
             "< \"enable\\r\\nPassword: \"\n"
             "> secret\n"
             "< \"\\r\\nPassword: \"\n",
             0);
    fx_init(&f, NULL, 2000);
    assert_int_equal(run(c, &f.x, &e), NA_OK);
    na_channel_consume(c);
    replies[1].uses = 0;
    fx_init(&f, "enable", 2000);
    f.x.replies = &replies[1];
    f.x.nreplies = 1;
    send(c, "enable");
    assert_int_equal(run(c, &f.x, &e), NA_OK);
    assert_int_equal(na_channel_result(c)->kind, NA_HIT_REPEATED);
    assert_int_equal(na_channel_result(c)->index, 0);
    na_channel_free(c);

    c = chan("netauto-transcript 1\n< \"sw1>\"\n> \"enable\\n\"\n< \"enable\\r\\nPassword: \"\n",
             0);
    fx_init(&f, NULL, 2000);
    assert_int_equal(run(c, &f.x, &e), NA_OK);
    na_channel_consume(c);
    na_reply none = {.prompt = pw, .text = NULL};
    fx_init(&f, "enable", 2000);
    f.x.replies = &none;
    f.x.nreplies = 1;
    send(c, "enable");
    assert_int_equal(run(c, &f.x, &e), NA_OK);
    assert_int_equal(na_channel_result(c)->kind, NA_HIT_UNANSWERED);
    na_channel_free(c);
    na_pattern_free(confirm);
    na_pattern_free(pw);
    na_secret_clear_registry();
}

/* A stale prompt (the answer to an earlier return) before the echo is skipped, not taken for
 * the answer of a device that does not echo. */
static void stale_prompt_skipped(void **st)
{
    (void)st;
    na_channel *c = chan("netauto-transcript 1\n"
                         "< \"sw1#\"\n"
                         "> \"show clock\\n\"\n"
                         "< \"\\r\\nsw1#\"\n"
                         "pause\n"
                         "< \"show clock\\r\\n10:00:00 UTC\\r\\nsw1#\"\n",
                         0);
    na_err e = NA_ERR_INIT;
    fx f;
    to_first_prompt(c, &f, &e);
    fx_init(&f, "show clock", 2000);
    send(c, "show clock");
    assert_int_equal(run(c, &f.x, &e), NA_OK);
    assert_true(na_channel_result(c)->echoed);
    char *out = na_channel_take_output(c, NULL, &e);
    assert_string_equal(out, "10:00:00 UTC");
    free(out);
    na_channel_free(c);
}

static void no_echo_device(void **st)
{
    (void)st;
    na_channel *c = chan("netauto-transcript 1\n"
                         "< \"sw1#\"\n"
                         "> \"show clock\\n\"\n"
                         "< \"\\r\\n*10:00:00.000 UTC Mon Mar 1 2027\\r\\nsw1#\"\n",
                         0);
    na_err e = NA_ERR_INIT;
    fx f;
    to_first_prompt(c, &f, &e);
    fx_init(&f, "show clock", 2000);
    f.x.echo_grace_ms = 200;
    send(c, "show clock");
    int64_t t0 = na_now_ms();
    assert_int_equal(run(c, &f.x, &e), NA_OK);
    int64_t took = na_now_ms() - t0;
    assert_true(took >= 190 && took < 1500); /* the grace period, not the deadline */
    assert_false(na_channel_result(c)->echoed);
    char *out = na_channel_take_output(c, NULL, &e);
    assert_string_equal(out, "*10:00:00.000 UTC Mon Mar 1 2027");
    free(out);
    na_channel_free(c);
}

/* Pipelining: two lines sent back to back; the device prints prompt + echo of the second. */
static void pipelined(void **st)
{
    (void)st;
    na_channel *c = chan("netauto-transcript 1\n"
                         "< \"sw1(config)#\"\n"
                         "> \"vlan 10\\nnmae x\\n\"\n"
                         "< \"vlan 10\\r\\nsw1(config-vlan)#nmae x\\r\\n% Invalid input "
                         "detected at '^' marker.\\r\\n\\r\\nsw1(config-vlan)#\"\n",
                         0);
    na_err e = NA_ERR_INIT;
    fx f;
    fx_init(&f, NULL, 2000);
    na_pattern *cfg = P("^[\\w.\\-]{1,63}\\(config[\\w.\\-]*\\)#\\s?$");
    f.prompts[0] = cfg;
    assert_int_equal(run(c, &f.x, &e), NA_OK);
    na_channel_consume(c);
    assert_int_equal(na_channel_write(c, "vlan 10\nnmae x\n", 15, false, &e), 0);
    na_expect x = f.x;
    x.echo = "vlan 10";
    x.next_echo = "nmae x";
    x.deadline_ms = na_now_ms() + 2000;
    assert_int_equal(run(c, &x, &e), NA_OK);
    char *pr = na_channel_prompt(c);
    assert_string_equal(pr, "sw1(config-vlan)#");
    free(pr);
    char *out = na_channel_take_output(c, NULL, &e);
    assert_string_equal(out, "");
    free(out);
    x.echo = "nmae x";
    x.next_echo = NULL;
    assert_int_equal(run(c, &x, &e), NA_OK);
    out = na_channel_take_output(c, NULL, &e);
    assert_string_equal(out, "% Invalid input detected at '^' marker.\n");
    free(out);
    na_pattern_free(cfg);
    na_channel_free(c);
}

static void timeout_on_silence(void **st)
{
    (void)st;
    na_channel *c = chan("netauto-transcript 1\n"
                         "< \"sw1#\"\n"
                         "> \"show vlan brief\\n\"\n"
                         "< \"show vl\"\n",
                         0);
    na_err e = NA_ERR_INIT;
    fx f;
    to_first_prompt(c, &f, &e);
    fx_init(&f, "show vlan brief", 300);
    send(c, "show vlan brief");
    int64_t t0 = na_now_ms();
    assert_int_equal(run(c, &f.x, &e), NA_ERROR);
    int64_t took = na_now_ms() - t0;
    assert_int_equal(e.code, NA_E_TIMEOUT);
    assert_string_equal(e.msg, "sw1: no prompt after 'show vlan brief' within 0.3 s; "
                               "last line: 'sw1#show vl'");
    assert_true(took >= 290);
    assert_true(took < 300 + 1500); /* ended within its deadline (generous margin) */
    na_channel_free(c);
}

static void closed_and_overflow(void **st)
{
    (void)st;
    na_channel *c = chan("netauto-transcript 1\n"
                         "< \"sw1#\"\n"
                         "> \"reload\\n\"\n"
                         "< \"reload\\r\\nGoing down\\r\\n\"\n"
                         "eof\n",
                         0);
    na_err e = NA_ERR_INIT;
    fx f;
    to_first_prompt(c, &f, &e);
    fx_init(&f, "reload", 2000);
    send(c, "reload");
    assert_int_equal(run(c, &f.x, &e), NA_ERROR);
    assert_int_equal(e.code, NA_E_CLOSED);
    assert_string_equal(e.msg, "sw1: the device closed the connection while waiting for the "
                               "prompt after 'reload'; last line: 'Going down'");
    na_channel_free(c);

    /* 100-byte ceiling, 300 bytes of output */
    char script[2048];
    char big[301];
    memset(big, 'x', 300);
    big[300] = '\0';
    snprintf(script, sizeof script,
             "netauto-transcript 1\n< \"sw1#\"\n> \"show tech\\n\"\n< \"show tech\\r\\n%s\"\n", big);
    c = chan(script, 100);
    na_err_clear(&e);
    fx_init(&f, NULL, 2000);
    assert_int_equal(run(c, &f.x, &e), NA_OK);
    na_channel_consume(c);
    fx_init(&f, "show tech", 2000);
    send(c, "show tech");
    assert_int_equal(run(c, &f.x, &e), NA_ERROR);
    assert_int_equal(e.code, NA_E_OVERFLOW);
    assert_string_equal(e.msg, "sw1: output of 'show tech' exceeded the limit of 100 bytes");
    na_channel_free(c);
}

/* The device printed a pager and closed: answering the pager fails on the closed transport, and
 * the message keeps the exchange's context rather than the transport's bare refusal. */
static void pager_after_close(void **st)
{
    (void)st;
    na_channel *c = chan("netauto-transcript 1\n"
                         "< \"sw1#\"\n"
                         "> \"show log\\n\"\n"
                         "< \"show log\\r\\nl1\\r\\n --More-- \"\n"
                         "eof\n",
                         0);
    na_err e = NA_ERR_INIT;
    fx f;
    to_first_prompt(c, &f, &e);
    na_pattern *pager = P("--More--\\s*$");
    const na_pattern *pagers[] = {pager};
    fx_init(&f, "show log", 2000);
    f.x.pagers = pagers;
    f.x.npagers = 1;
    send(c, "show log");
    assert_int_equal(run(c, &f.x, &e), NA_ERROR);
    assert_int_equal(e.code, NA_E_CLOSED);
    assert_string_equal(e.msg, "sw1: the device closed the connection while waiting for the "
                               "prompt after 'show log'; last line: 'l1'");
    na_pattern_free(pager);
    na_channel_free(c);
}

/* A 1 MiB output is handed over without a copy and the buffer shrinks back afterwards. */
static void big_output_memory_returns(void **st)
{
    (void)st;
    na_buf s;
    na_err e = NA_ERR_INIT;
    na_buf_init(&s, 1 << 24);
    assert_int_equal(na_buf_puts(&s, "netauto-transcript 1\n< \"sw1#\"\n> \"show tech\\n\"\n"
                                     "< \"show tech\\r\\n\"\n", &e), 0);
    for (int i = 0; i < 16384; i++)
        assert_int_equal(na_buf_printf(&s, &e, "< \"line %05d %s\\r\\n\"\n", i,
                                       "................................................"), 0);
    assert_int_equal(na_buf_puts(&s, "< \"sw1#\"\n", &e), 0);
    na_channel *c = chan(s.data, 0);
    na_buf_free(&s);
    fx f;
    fx_init(&f, NULL, 2000);
    assert_int_equal(run(c, &f.x, &e), NA_OK);
    na_channel_consume(c);
    fx_init(&f, "show tech", 5000);
    send(c, "show tech");
    /* All of it is readable at once, yet one step reads at most 256 KiB and then asks to be
     * called again at once (other sessions of the loop get their turn in between). */
    na_channel_begin(c, &f.x);
    unsigned steps = 0;
    na_status stt;
    while ((stt = na_channel_step(c, &e)) == NA_AGAIN) {
        steps++;
        assert_true(na_channel_wake(c) <= na_now_ms());
        assert_true(steps < 100);
    }
    assert_int_equal(stt, NA_OK);
    assert_true(steps >= 3);
    size_t n;
    char *out = na_channel_take_output(c, &n, &e);
    assert_int_equal(n, 16384 * 60 - 1);
    assert_memory_equal(out, "line 00000 ....", 15);
    assert_memory_equal(out + n - 12, "...........", 11);
    free(out);
    na_channel_stats cs;
    na_channel_stats_get(c, &cs);
    assert_true(cs.buffer_cap <= 1024);
    size_t len;
    assert_string_equal(na_channel_text(c, &len), "sw1#");
    na_channel_free(c);
}

static void raw_reads(void **st)
{
    (void)st;
    na_channel *c = chan("netauto-transcript 1\n< \"banner\\r\\nsw1#\"\n> \"x\"\n< \"x\\e[1m\"\neof\n",
                         0);
    na_err e = NA_ERR_INIT;
    fx f;
    to_first_prompt(c, &f, &e);
    char buf[64];
    size_t n;
    /* the prompt line first (normalised), then raw bytes as the device sent them */
    assert_int_equal(na_channel_read_raw(c, buf, sizeof buf, &n, &e), NA_OK);
    assert_int_equal(n, 4);
    assert_memory_equal(buf, "sw1#", 4);
    assert_int_equal(na_channel_read_raw(c, buf, sizeof buf, &n, &e), NA_AGAIN);
    assert_int_equal(na_channel_write(c, "x", 1, false, &e), 0);
    assert_int_equal(na_channel_read_raw(c, buf, sizeof buf, &n, &e), NA_OK);
    assert_int_equal(n, 5);
    assert_memory_equal(buf, "x\x1b[1m", 5);
    assert_int_equal(na_channel_read_raw(c, buf, sizeof buf, &n, &e), NA_EOF);
    na_channel_free(c);
}

/* Everything the channel reads and writes is recorded; secrets never reach the file. */
static void records_transcript(void **st)
{
    (void)st;
    na_secret_clear_registry();
    na_secret_register("Pa55-word!");
    char *text = NULL;
    size_t tlen = 0;
    FILE *mf = open_memstream(&text, &tlen);
    na_err e = NA_ERR_INIT;
    na_transcript *tr = na_transcript_to_file(mf, "sw1 test", &e);
    assert_non_null(tr);
    na_channel *c = chan("netauto-transcript 1\n"
                         "< \"sw1>\"\n"
                         "> \"enable\\n\"\n"
                         "< \"enable\\r\\nPassword: \"\n"
                         "> secret\n"
                         "< \"\\r\\n% echo of Pa55-word! by a broken device\\r\\nsw1#\"\n",
                         0);
    na_channel_set_transcript(c, tr);
    fx f;
    fx_init(&f, NULL, 2000);
    assert_int_equal(run(c, &f.x, &e), NA_OK);
    na_channel_consume(c);
    na_pattern *pw = P("^[Pp]assword:\\s?$");
    na_reply rep = {.prompt = pw, .text = "Pa55-word!", .newline = true, .secret = true};
    fx_init(&f, "enable", 2000);
    f.x.replies = &rep;
    f.x.nreplies = 1;
    send(c, "enable");
    assert_int_equal(run(c, &f.x, &e), NA_OK);
    na_channel_free(c);
    assert_int_equal(na_transcript_close(tr, &e), 0);
    fclose(mf);
    assert_null(strstr(text, "Pa55-word!"));
    assert_non_null(strstr(text, "> secret\n"));
    assert_non_null(strstr(text, "< \"\\r\\n% echo of ******** by a broken device\\r\\nsw1#\"\n"));
    assert_non_null(strstr(text, "> \"enable\\n\"\n"));
    assert_non_null(strstr(text, "< \"sw1>\"\n"));
    /* and it replays: the recording is a valid transcript */
    na_tr_script sc;
    assert_int_equal(na_tr_script_parse("rec", text, tlen, &sc, &e), 0);
    assert_int_equal(sc.n, 5);
    assert_int_equal(sc.ev[3].kind, NA_TR_SECRET);
    na_tr_script_free(&sc);
    free(text);
    na_pattern_free(pw);
    na_secret_clear_registry();
}

static int setup(void **st)
{
    (void)st;
    shared_prompt = na_pattern_new(PROMPT, 0, NULL);
    return shared_prompt ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    na_pattern_free(shared_prompt);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(echo_and_prompt_stripped),
        cmocka_unit_test(split_at_every_boundary),
        cmocka_unit_test(tail_only),
        cmocka_unit_test(pager_answered),
        cmocka_unit_test(prompted_input),
        cmocka_unit_test(stale_prompt_skipped),
        cmocka_unit_test(no_echo_device),
        cmocka_unit_test(pipelined),
        cmocka_unit_test(timeout_on_silence),
        cmocka_unit_test(closed_and_overflow),
        cmocka_unit_test(pager_after_close),
        cmocka_unit_test(big_output_memory_returns),
        cmocka_unit_test(raw_reads),
        cmocka_unit_test(records_transcript),
    };
    return cmocka_run_group_tests_name("channel", tests, setup, teardown);
}
