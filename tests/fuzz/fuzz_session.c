/* fuzz_session.c — fuzz target: the driver (session.h) over the replay transport (replay.h).
 * The input is a transcript (transcript.h format, so the transcript parser is fuzzed too) whose
 * received chunks are the device's output; lines starting with "#!" (comments to the replay)
 * say what the session does with it:
 *     #! platform NAME        a built-in platform (default cisco_ios)
 *     #! skip_on_open | max_output N | secret TEXT | no_secret
 *     #! open | save | mode NAME | raw
 *     #! command TEXT | command_here TEXT (mode "") | command_nocheck TEXT
 *     #! answer PATTERN => REPLY   (for the next command)
 *     #! window N                  (for the next config)
 *     #! config LINE|LINE|...
 * Without any operation: open, then `command show version`. Operations stop at the first one
 * that leaves the session unusable. Writes that do not match the recording fail at once; a
 * recording that ends without `eof` is a silent device, so every deadline is short (tens of ms,
 * the platforms' save timeouts included): bounded time per input. Checks: errors say why; results are consistent (a failed config line
 * is within the lines sent). Everything is also recorded to /dev/null through the transcript
 * writer. Not a replay of the unit tests' expectations (tests/unit/test_session.c). */
#include "fuzz.h"

#include "platform.h"
#include "replay.h"
#include "session.h"
#include "transcript.h"

#include <string.h>

#define MAX_OPS 12
#define MAX_LINES 16
#define OPEN_MS 150
#define CMD_MS 40

typedef struct op {
    char verb[20];
    char arg[256];
} op;

/* The built-in platforms, loaded as our own copies: their save timeout (two minutes for
 * cisco_ios) becomes the short command timeout, so a stalled save costs milliseconds. */
#define MAX_PLATFORMS 16
static na_platform *plats[MAX_PLATFORMS];
static size_t nplats;
static FILE *devnull;

static void setup(void)
{
    if (devnull)
        return;
    for (size_t i = 0; i < na_builtin_platforms_count && nplats < MAX_PLATFORMS; i++) {
        const na_builtin_file *f = &na_builtin_platforms[i];
        char hint[64];
        snprintf(hint, sizeof hint, "%.*s", (int)(strlen(f->name) - 5), f->name);
        na_err e = NA_ERR_INIT;
        na_platform *p = na_platform_load_mem(f->name, f->data, f->len, hint, &e);
        if (!p)
            abort();
        p->save.timeout_ms = 0;
        plats[nplats++] = p;
    }
    devnull = fopen("/dev/null", "w");
    if (!nplats || !devnull)
        abort();
}

static const na_platform *find_platform(const char *name)
{
    for (size_t i = 0; i < nplats; i++)
        if (!strcmp(plats[i]->name, name))
            return plats[i];
    return NULL;
}

/* "#! verb arg" lines, in order. */
static size_t parse_ops(const char *text, size_t n, op *ops)
{
    size_t nops = 0;
    const char *p = text, *end = text + n;
    while (p < end && nops < MAX_OPS) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        if (le - p > 3 && p[0] == '#' && p[1] == '!' && p[2] == ' ') {
            const char *v = p + 3, *sp = memchr(v, ' ', (size_t)(le - v));
            size_t vl = (size_t)((sp ? sp : le) - v);
            op *o = &ops[nops++];
            snprintf(o->verb, sizeof o->verb, "%.*s", (int)vl, v);
            if (sp)
                snprintf(o->arg, sizeof o->arg, "%.*s", (int)(le - sp - 1), sp + 1);
            else
                o->arg[0] = '\0';
        }
        p = le + 1;
    }
    return nops;
}

static void check_result(const na_result *r)
{
    FUZZ_CHECK(r->failed_line <= r->nlines);
    FUZZ_CHECK(r->nlines == 0 || r->lines != NULL);
    if (r->output)
        FUZZ_CHECK(strlen(r->output) <= r->output_len);
}

static bool run_op(na_session *s, const op *o, na_cmd_answer *ans, bool *have_ans, size_t *window)
{
    na_err e = NA_ERR_INIT;
    na_result r;
    memset(&r, 0, sizeof r);
    int rc = 0;
    if (!strcmp(o->verb, "open")) {
        rc = na_session_open(s, &e);
    } else if (!strncmp(o->verb, "command", 7)) {
        na_cmd_opts co = {.no_error_check = !strcmp(o->verb, "command_nocheck"),
                          .mode = !strcmp(o->verb, "command_here") ? "" : NULL};
        if (*have_ans) {
            co.answers = ans;
            co.nanswers = 1;
        }
        rc = na_session_command(s, o->arg, &co, &r, &e);
        *have_ans = false;
    } else if (!strcmp(o->verb, "config")) {
        char buf[sizeof o->arg];
        memcpy(buf, o->arg, sizeof buf);
        const char *lines[MAX_LINES];
        size_t n = 0;
        for (char *save = NULL, *l = strtok_r(buf, "|", &save); l && n < MAX_LINES;
             l = strtok_r(NULL, "|", &save))
            lines[n++] = l;
        na_config_opts co = {.window = *window};
        rc = na_session_config(s, lines, n, &co, &r, &e);
        *window = 0;
    } else if (!strcmp(o->verb, "save")) {
        rc = na_session_save(s, &r, &e);
    } else if (!strcmp(o->verb, "mode")) {
        rc = na_session_enter_mode(s, o->arg, &e);
    } else if (!strcmp(o->verb, "raw")) {
        char buf[512];
        size_t got = 0;
        (void)na_session_raw_write(s, "\n", 1, &e);
        for (int i = 0; i < 4; i++)
            if (na_session_raw_read(s, buf, sizeof buf, &got, &e) != NA_OK)
                break;
        return false; /* raw access ends the scripted part */
    } else {
        return true; /* options, handled before */
    }
    if (rc < 0)
        FUZZ_CHECK(na_err_isset(&e));
    if (fuzz_verbose())
        fprintf(stderr, "fuzz_session: %s %s: %s%s\n", o->verb, o->arg, rc < 0 ? "failed: " : "ok",
                rc < 0 ? e.msg : "");
    check_result(&r);
    (void)na_session_mode(s);
    (void)na_session_prompt(s);
    na_result_free(&r);
    return rc == 0 || na_session_usable(s);
}

int fuzz_session(const uint8_t *data, size_t size)
{
    fuzz_init();
    setup();
    const char *text = (const char *)data;
    op ops[MAX_OPS];
    size_t nops = parse_ops(text, size, ops);
    if (nops == 0) {
        snprintf(ops[0].verb, sizeof ops[0].verb, "open");
        ops[0].arg[0] = '\0';
        snprintf(ops[1].verb, sizeof ops[1].verb, "command");
        snprintf(ops[1].arg, sizeof ops[1].arg, "show version");
        nops = 2;
    }
    const char *platform = "cisco_ios";
    na_session_opts so = {.secret = "lab-enable-1", .open_timeout_ms = OPEN_MS,
                          .command_timeout_ms = CMD_MS};
    for (size_t i = 0; i < nops; i++) {
        if (!strcmp(ops[i].verb, "platform"))
            platform = ops[i].arg;
        else if (!strcmp(ops[i].verb, "skip_on_open"))
            so.skip_on_open = true;
        else if (!strcmp(ops[i].verb, "max_output"))
            so.max_output = (size_t)strtoul(ops[i].arg, NULL, 10) % (1u << 20);
        else if (!strcmp(ops[i].verb, "secret"))
            so.secret = ops[i].arg;
        else if (!strcmp(ops[i].verb, "no_secret"))
            so.secret = NULL;
    }
    na_err e = NA_ERR_INIT;
    const na_platform *p = find_platform(platform);
    if (!p)
        p = find_platform("cisco_ios");
    FUZZ_CHECK(p != NULL);
    static const na_conn_params params = {
        .name = "sw1",
        .host = "127.0.0.1",
        .username = "admin",
        .password = "lab-pass-1",
        .timeouts = {.shell_ms = OPEN_MS / 2, .command_ms = CMD_MS},
    };
    na_transport *t = na_replay_new_mem("fuzz", text, size, &params, &e);
    if (!t && fuzz_verbose())
        fprintf(stderr, "fuzz_session: %s\n", e.msg);
    if (!t) {
        FUZZ_CHECK(na_err_isset(&e));
        fuzz_done();
        return 0;
    }
    na_transcript *tr = na_transcript_to_file(devnull, "fuzz", &e);
    so.transcript = tr;
    na_session *s = na_session_new(t, p, &so, &e);
    FUZZ_CHECK(s != NULL);
    na_cmd_answer ans = {0};
    char ans_buf[sizeof ops[0].arg];
    bool have_ans = false;
    size_t window = 0;
    for (size_t i = 0; i < nops; i++) {
        if (!strcmp(ops[i].verb, "answer")) {
            memcpy(ans_buf, ops[i].arg, sizeof ans_buf);
            char *sep = strstr(ans_buf, " => ");
            if (sep) {
                *sep = '\0';
                ans = (na_cmd_answer){.prompt = ans_buf, .reply = sep + 4};
                have_ans = true;
            }
            continue;
        }
        if (!strcmp(ops[i].verb, "window")) {
            window = (size_t)strtoul(ops[i].arg, NULL, 10) % 64;
            continue;
        }
        if (!run_op(s, &ops[i], &ans, &have_ans, &window))
            break;
    }
    na_session_stats st;
    na_session_stats_get(s, &st);
    (void)na_session_learned_prompt(s);
    (void)na_replay_finished(na_session_transport(s));
    (void)na_replay_position(na_session_transport(s));
    na_session_close(s);
    na_session_free(s);
    na_err te = NA_ERR_INIT;
    (void)na_transcript_close(tr, &te);
    fuzz_done();
    return 0;
}

#ifdef NA_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_session(data, size);
}
#endif
