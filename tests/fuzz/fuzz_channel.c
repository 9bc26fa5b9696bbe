/* fuzz_channel.c — fuzz target: the expect loop (channel.h) over fuzzed device output. A small
 * in-memory transport hands the input (after its first byte) to the channel in pieces (sizes from
 * the input's hash), optionally with a pause (AGAIN) between pieces, then EOF; it accepts every
 * write. Up to four exchanges run with the built-in platform's prompts, pagers and answers plus
 * a reply that has no text and one that may be used once; after each prompt the output is taken.
 * Checks: an exchange ends in a hit or an error that says why, never in an endless AGAIN; the
 * offsets of a hit are ordered and inside the buffer; output is never longer than the buffer.
 * First byte: bits 0-1 echo (none, bare return, two commands), bit 2 pipelined next line,
 * bit 3 lookback, bit 4 small output ceiling, bit 5 extra replies, bit 6 pauses, bit 7 the generic
 * platform instead of cisco_ios. Deterministic: no deadline or echo grace period can expire.
 * Not the session (fuzz_session.c drives the driver over the replay transport). */
#include "fuzz.h"

#include "channel.h"
#include "clock.h"
#include "platform.h"

#include <string.h>

#define MAX_EXCHANGES 4
#define MAX_WRITTEN ((size_t)1 << 20)

typedef struct fzt {
    na_transport base;
    const uint8_t *d;
    size_t n, off;
    fuzz_rng rng;
    bool pauses, paused;
    size_t written;
} fzt;

static na_status fz_open(na_transport *t, na_err *err)
{
    (void)t;
    (void)err;
    return NA_OK;
}

static na_status fz_read(na_transport *bt, char *buf, size_t cap, size_t *n, na_err *err)
{
    (void)err;
    fzt *t = (fzt *)bt;
    *n = 0;
    if (t->off >= t->n)
        return NA_EOF;
    if (t->pauses && !t->paused) {
        t->paused = true;
        return NA_AGAIN;
    }
    t->paused = false;
    size_t k = fuzz_rng_len(&t->rng, 512);
    if (k > t->n - t->off)
        k = t->n - t->off;
    if (k > cap)
        k = cap;
    memcpy(buf, t->d + t->off, k);
    t->off += k;
    *n = k;
    return NA_OK;
}

static na_status fz_write(na_transport *bt, const char *buf, size_t len, bool secret, na_err *err)
{
    (void)buf;
    (void)secret;
    fzt *t = (fzt *)bt;
    if (len > MAX_WRITTEN - t->written)
        return na_err_set(err, NA_E_OVERFLOW, "fuzz transport: too much written"), NA_ERROR;
    t->written += len;
    return NA_OK;
}

static na_status fz_flush(na_transport *t, na_err *err)
{
    (void)t;
    (void)err;
    return NA_OK;
}
static int fz_fd(const na_transport *t)
{
    (void)t;
    return -1;
}
static int fz_want(const na_transport *t)
{
    (void)t;
    return NA_WANT_READ;
}
static bool fz_alive(na_transport *t)
{
    (void)t;
    return true;
}
static void fz_close(na_transport *t) { (void)t; }
static void fz_destroy(na_transport *t) { free(t); }

static const na_transport_ops fz_ops = {
    .name = "fuzz",
    .open = fz_open,
    .read = fz_read,
    .write = fz_write,
    .flush = fz_flush,
    .fd = fz_fd,
    .want = fz_want,
    .is_alive = fz_alive,
    .close = fz_close,
    .destroy = fz_destroy,
};

static na_platforms *reg;
static na_pattern *unanswered, *once;

static void setup(void)
{
    if (reg)
        return;
    na_err e = NA_ERR_INIT;
    reg = na_platforms_new(NULL, 0, &e);
    unanswered = na_pattern_new("Delete filename \\[[^\\]]*\\]\\?\\s?$", 0, &e);
    once = na_pattern_new("(?i)^password:\\s?$", 0, &e);
    if (!reg || !unanswered || !once)
        abort();
}

static const char *const echoes[] = {"show version", "show interfaces status", "configure terminal",
                                     "end"};

int fuzz_channel(const uint8_t *data, size_t size)
{
    fuzz_init();
    setup();
    if (size < 1)
        return 0;
    unsigned cfg = data[0];
    na_err e = NA_ERR_INIT;
    const na_platform *p = na_platform_find(reg, (cfg & 0x80) ? "generic" : "cisco_ios", &e);
    FUZZ_CHECK(p != NULL);

    fzt *t = calloc(1, sizeof *t);
    FUZZ_CHECK(t != NULL);
    static const na_conn_params params = {.name = "sw1", .host = "127.0.0.1"};
    t->base.ops = &fz_ops;
    t->base.params = &params;
    t->d = data + 1;
    t->n = size - 1;
    t->pauses = cfg & 0x40;
    fuzz_rng_seed(&t->rng, data, size);

    na_channel_opts co = {.name = "sw1", .lookback = (cfg & 0x08) ? 256 : 0,
                          .max_output = (cfg & 0x10) ? 300 : 0};
    na_channel *c = na_channel_new(&t->base, &co, &e);
    FUZZ_CHECK(c != NULL);

    na_reply replies[16];
    size_t nr = 0;
    for (size_t i = 0; i < p->nanswers && nr < 12; i++, nr++)
        replies[nr] = (na_reply){.prompt = p->answers[i].prompt, .text = p->answers[i].reply,
                                 .newline = p->answers[i].newline,
                                 .secret = p->answers[i].secret, .max_uses = p->answers[i].max};
    if (cfg & 0x20) {
        replies[nr++] = (na_reply){.prompt = unanswered};
        replies[nr++] = (na_reply){.prompt = once, .text = "fuzz-secret", .newline = true,
                                   .secret = true, .max_uses = 1};
    }

    unsigned echo_kind = cfg & 3;
    bool pipelined = cfg & 0x04;
    size_t pauses_left = t->n + 2; /* every AGAIN consumes one pause, at most one per piece */
    for (int x = 0; x < MAX_EXCHANGES; x++) {
        const char *echo = echo_kind == 0 ? NULL : echo_kind == 1 ? "" : echoes[x];
        if (echo) {
            char line[64];
            snprintf(line, sizeof line, "%s\n", echo);
            if (na_channel_write(c, line, strlen(line), false, &e) < 0)
                break;
        }
        for (size_t i = 0; i < nr; i++)
            replies[i].uses = 0;
        na_expect ex = {
            .prompts = (const na_pattern *const *)p->prompts,
            .nprompts = p->nmodes,
            .pagers = (const na_pattern *const *)p->pagers,
            .npagers = p->npagers,
            .pager_reply = p->pager_reply,
            .replies = replies,
            .nreplies = nr,
            .newline = p->newline,
            .echo = echo,
            .next_echo = pipelined && echo && *echo ? echoes[(x + 1) % MAX_EXCHANGES] : NULL,
            .cmd = echo,
            .phase = "fuzzing",
            .deadline_ms = na_now_ms() + 3600 * 1000,
            .timeout_ms = 3600 * 1000,
            .echo_grace_ms = 3600 * 1000,
        };
        na_channel_begin(c, &ex);
        na_status st;
        int resumes = 0;
        for (;;) {
            st = na_channel_step(c, &e);
            if (st == NA_AGAIN) {
                FUZZ_CHECK(pauses_left > 0); /* AGAIN without a pause: a busy loop */
                pauses_left--;
                continue;
            }
            if (st == NA_ERROR || resumes >= 3)
                break;
            const na_expect_result *r = na_channel_result(c);
            if (r->kind == NA_HIT_PROMPT)
                break;
            FUZZ_CHECK(r->kind == NA_HIT_UNANSWERED || r->kind == NA_HIT_REPEATED);
            FUZZ_CHECK(r->index < nr);
            resumes++;
            na_channel_resume(c);
        }
        if (st == NA_ERROR) {
            FUZZ_CHECK(na_err_isset(&e));
            break;
        }
        const na_expect_result *r = na_channel_result(c);
        if (r->kind != NA_HIT_PROMPT)
            break;
        size_t len = 0;
        (void)na_channel_text(c, &len);
        FUZZ_CHECK(r->index < p->nmodes);
        FUZZ_CHECK(r->out_start <= r->out_end);
        FUZZ_CHECK(r->out_end <= r->prompt_start);
        FUZZ_CHECK(r->prompt_start <= r->prompt_end && r->prompt_end <= len);
        char *prompt = na_channel_prompt(c);
        FUZZ_CHECK(prompt != NULL);
        FUZZ_CHECK(strlen(prompt) <= r->prompt_end - r->prompt_start);
        free(prompt);
        if (x % 2 == 0) {
            size_t olen = 0;
            char *out = na_channel_take_output(c, &olen, &e);
            FUZZ_CHECK(out != NULL);
            FUZZ_CHECK(olen <= len);
            free(out);
        } else {
            na_channel_consume(c);
        }
    }
    char last[200];
    na_channel_last_line(c, last, sizeof last);
    FUZZ_CHECK(strlen(last) < sizeof last);
    na_channel_stats st;
    na_channel_stats_get(c, &st);
    na_channel_free(c);
    fuzz_done();
    return 0;
}

#ifdef NA_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_channel(data, size);
}
#endif
