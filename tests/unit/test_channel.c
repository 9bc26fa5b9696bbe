/* test_channel.c — the expect loop over the replay transport where a golden file cannot say it:
 * prompts across split reads (every split point), big outputs read in slices and memory given
 * back, raw reads. Echo and prompt stripping, tail-only matching, pagers, prompted input,
 * pipelining, timeouts, close and overflow messages and transcript recording are golden cases
 * (tests/fixtures/golden/cases.txt, run by test_golden.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "buf.h"
#include "channel.h"
#include "clock.h"
#include "replay.h"
#include "replaytest.h"
#include "secret.h"
#include "transcript.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROMPT "^[\\w.\\-@/:+]{1,63}[>#]\\s?$"

static na_channel *chan(const char *script, size_t max_output)
{
    na_err e = NA_ERR_INIT;
    na_transport *t = na_replay_new_mem("test", script, strlen(script), &rt_params, &e);
    if (!t)
        fprintf(stderr, "# %s\n", e.msg);
    assert_non_null(t);
    assert_int_equal(t->ops->open(t, &e), NA_OK);
    na_channel_opts o = {.max_output = max_output};
    na_channel *c = na_channel_new(t, &o, &e);
    assert_non_null(c);
    return c;
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
    assert_int_equal(rt_channel_run(c, &f->x, e), NA_OK);
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
        to_first_prompt(c, &f, &e);
        fx_init(&f, "show ver", 2000);
        send(c, "show ver");
        na_status r = rt_channel_run(c, &f.x, &e);
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
    to_first_prompt(c, &f, &e);
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
        cmocka_unit_test(split_at_every_boundary),
        cmocka_unit_test(big_output_memory_returns),
        cmocka_unit_test(raw_reads),
    };
    return cmocka_run_group_tests_name("channel", tests, setup, teardown);
}
