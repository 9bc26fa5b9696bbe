/* test_session_real.c — the driver against public recordings of real devices, table-driven: every
 * tests/fixtures/real/NAME.tr is a replay transcript built from bytes a real device sent (each
 * names its source: repository, path, commit or issue) whose "#!" comment lines say what the
 * session does with it:
 *     #! platform NAME          a built-in platform (default cisco_ios)
 *     #! name N | username U | password P | secret S | no_secret   the session's identity
 *     #! register TEXT          a secret netauto holds (a vault value): never written by netauto
 *     #! skip_on_open | command_timeout MS | open_timeout MS
 *     #! transcript             record the session; the recording (times dropped) is compared too
 *     #! trace                  the session's -vvvv log (its states, times dropped) is compared too
 *     #! open | save | mode NAME | command TEXT | command_here TEXT (mode "") |
 *        command_nocheck TEXT | window N (for the next config) | config LINE|LINE|...
 * The results (code and message, mode, prompt, output byte for byte, config lines, asynchronous
 * messages) are written as text and compared byte-exactly with NAME.expected; the recording must
 * be played to its end. NETAUTO_UPDATE_GOLDEN=1 rewrites the .expected files (read the diff!).
 * Also: the prompts of every built-in platform against real prompts (prompts.txt, each line
 * naming its source). Not the failure-mode fixtures of test_session.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "buf.h"
#include "log.h"
#include "platform.h"
#include "replay.h"
#include "secret.h"
#include "session.h"
#include "transcript.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_FIXTURES 15 /* one or more recordings for every item of issue 12 */

static na_platforms *reg;

static int setup(void **st)
{
    (void)st;
    reg = na_platforms_new(NULL, 0, NULL);
    return reg ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    na_platforms_free(reg);
    na_secret_clear_registry();
    return 0;
}

static char *path_of(const char *name)
{
    const char *root = getenv("NETAUTO_ROOT");
    char *p = NULL;
    assert_true(asprintf(&p, "%s/tests/fixtures/real/%s", root ? root : ".", name) > 0);
    return p;
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    na_buf b;
    na_buf_init(&b, (size_t)1 << 26);
    char chunk[8192];
    size_t r;
    while ((r = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (na_buf_append(&b, chunk, r, NULL, NULL) < 0)
            break;
    fclose(f);
    if (n)
        *n = b.len;
    return b.data ? na_buf_steal(&b) : strdup("");
}

/* The result text is built in memory; running out of it fails the test. */
static void outf(na_buf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void outf(na_buf *o, const char *fmt, ...)
{
    va_list a;
    va_start(a, fmt);
    int rc = na_buf_vprintf(o, NULL, fmt, a);
    va_end(a);
    assert_int_equal(rc, 0);
}

static void outs(na_buf *o, const char *s)
{
    assert_int_equal(na_buf_puts(o, s, NULL), 0);
}

/* Text as one "|"-prefixed line per line (so trailing blanks and empty lines show). */
static void quoted(na_buf *o, const char *s, size_t n)
{
    size_t i = 0;
    do {
        const char *nl = memchr(s + i, '\n', n - i);
        size_t e = nl ? (size_t)(nl - s) : n;
        outf(o, "|%.*s\n", (int)(e - i), s + i);
        i = e + 1;
    } while (i <= n);
}

static void result_text(na_buf *o, int rc, const na_err *e, const na_result *r, na_session *s)
{
    if (rc == 0)
        outs(o, "ok\n");
    else
        outf(o, "error %s: %s\n", na_code_name(e->code), e->msg);
    if (r && r->command)
        outf(o, "command: %s\n", r->command);
    if (r && r->output) {
        outs(o, "output:\n");
        quoted(o, r->output, r->output_len);
    }
    if (r && r->device_error)
        outf(o, "device error: %s\n", r->device_error);
    for (size_t i = 0; r && i < r->nlines; i++) {
        outf(o, "line %zu%s: %s\n", i + 1, r->lines[i].after_error ? " (after the error)" : "",
             r->lines[i].line);
        if (r->lines[i].output && *r->lines[i].output)
            quoted(o, r->lines[i].output, strlen(r->lines[i].output));
    }
    if (r && r->failed_line)
        outf(o, "failed line: %zu\n", r->failed_line);
    for (size_t i = 0; r && i < r->nasync; i++)
        outf(o, "async: %s\n", r->async[i]);
    outf(o, "mode: %s\nprompt: %s\n", na_session_mode(s), na_session_prompt(s));
}

/* The trace lines of the log, without their time and level. */
static void trace_hook(na_log_level lvl, const char *line, void *ud)
{
    const char *at = strstr(line, "TRACE ");
    if (lvl == NA_LOG_TRACE && at)
        outf(ud, "%s\n", at + 6);
}

typedef struct spec {
    char platform[64], name[64], user[64], pass[128], secret[128];
    bool no_secret, skip_on_open, transcript, trace;
    int cmd_ms, open_ms;
} spec;

static void run_fixture(const char *file)
{
    char *path = path_of(file);
    size_t tn;
    char *text = slurp(path, &tn);
    assert_non_null(text);
    if (!strstr(text, "# source: ")) {
        fprintf(stderr, "# %s: no '# source:' line naming the recording\n", file);
        fail();
    }
    spec sp = {.platform = "cisco_ios", .name = "sw1", .user = "admin", .pass = "lab-pass-1",
               .secret = "lab-enable-1"};
    /* the identity first (it is needed before the session exists) */
    for (char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        char v[256];
        if (sscanf(l, "#! platform %63s", sp.platform) == 1 || sscanf(l, "#! name %63s", sp.name) ||
            sscanf(l, "#! username %63s", sp.user) || sscanf(l, "#! password %127s", sp.pass) ||
            sscanf(l, "#! secret %127s", sp.secret))
            continue;
        if (!strncmp(l, "#! no_secret", 12))
            sp.no_secret = true;
        else if (!strncmp(l, "#! skip_on_open", 15))
            sp.skip_on_open = true;
        else if (!strncmp(l, "#! transcript", 13))
            sp.transcript = true;
        else if (!strncmp(l, "#! trace", 8))
            sp.trace = true;
        else if (sscanf(l, "#! command_timeout %d", &sp.cmd_ms) == 1 ||
                 sscanf(l, "#! open_timeout %d", &sp.open_ms) == 1)
            continue;
        else if (sscanf(l, "#! register %255[^\n]", v) == 1)
            na_secret_register(v);
    }
    na_conn_params params = {.name = sp.name, .host = "127.0.0.1", .username = sp.user,
                             .password = sp.pass};
    na_err e = NA_ERR_INIT;
    na_transport *t = na_replay_new_mem(file, text, tn, &params, &e);
    if (!t)
        fprintf(stderr, "# %s: %s\n", file, e.msg);
    assert_non_null(t);
    const na_platform *p = na_platform_find(reg, sp.platform, &e);
    assert_non_null(p);
    char *trtext = NULL;
    size_t trlen = 0;
    FILE *trf = sp.transcript ? open_memstream(&trtext, &trlen) : NULL;
    na_transcript *tr = trf ? na_transcript_to_file(trf, NULL, &e) : NULL;
    na_session_opts so = {.transcript = tr,
                          .secret = sp.no_secret ? NULL : sp.secret,
                          .skip_on_open = sp.skip_on_open,
                          .command_timeout_ms = sp.cmd_ms ? sp.cmd_ms : 2000,
                          .open_timeout_ms = sp.open_ms ? sp.open_ms : 5000};
    na_session *s = na_session_new(t, p, &so, &e);
    assert_non_null(s);

    na_buf got, tlog;
    na_buf_init(&got, (size_t)1 << 26);
    na_buf_init(&tlog, (size_t)1 << 26);
    na_log_level level = na_log_get_level();
    if (sp.trace) {
        na_log_set_level(NA_LOG_TRACE);
        na_log_set_hook(trace_hook, &tlog);
    }
    size_t window = 0;
    for (char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (strncmp(l, "#! ", 3))
            continue;
        char *eol = strchr(l, '\n');
        char line[4096];
        snprintf(line, sizeof line, "%.*s", eol ? (int)(eol - l - 3) : (int)strlen(l + 3), l + 3);
        char *arg = strchr(line, ' ');
        if (arg)
            *arg++ = '\0';
        na_result r = {0};
        na_err oe = NA_ERR_INIT;
        int rc;
        if (!strcmp(line, "open")) {
            outs(&got, "== open\n");
            rc = na_session_start_open(s, &oe);
            if (rc == 0)
                rc = na_session_wait(s, &oe);
            na_session_take_result(s, &r);
            result_text(&got, rc, &oe, &r, s);
        } else if (!strcmp(line, "command") || !strcmp(line, "command_here") ||
                   !strcmp(line, "command_nocheck")) {
            na_cmd_opts co = {.mode = !strcmp(line, "command_here") ? "" : NULL,
                              .no_error_check = !strcmp(line, "command_nocheck")};
            outf(&got, "== %s: %s\n", line, arg ? arg : "");
            rc = na_session_command(s, arg ? arg : "", &co, &r, &oe);
            result_text(&got, rc, &oe, &r, s);
        } else if (!strcmp(line, "window")) {
            window = arg ? (size_t)atoi(arg) : 0;
            continue;
        } else if (!strcmp(line, "config")) {
            const char *lines[64];
            size_t n = 0;
            for (char *tok = strtok(arg ? arg : (char[]){""}, "|"); tok && n < 64;
                 tok = strtok(NULL, "|"))
                lines[n++] = tok;
            na_config_opts co = {.window = window};
            outf(&got, "== config: %zu lines, window %zu\n", n, window);
            rc = na_session_config(s, lines, n, &co, &r, &oe);
            result_text(&got, rc, &oe, &r, s);
        } else if (!strcmp(line, "save")) {
            outs(&got, "== save\n");
            rc = na_session_save(s, &r, &oe);
            result_text(&got, rc, &oe, &r, s);
        } else if (!strcmp(line, "mode")) {
            outf(&got, "== mode: %s\n", arg ? arg : "");
            rc = na_session_enter_mode(s, arg ? arg : "", &oe);
            result_text(&got, rc, &oe, NULL, s);
        } else {
            continue; /* identity lines, handled above */
        }
        na_result_free(&r);
        if (!na_session_usable(s)) {
            outs(&got, "(the session is not usable any more)\n");
            break;
        }
    }
    na_transport *tt = na_session_transport(s);
    if (!na_replay_finished(tt))
        outf(&got, "replay not finished at %s\n", na_replay_position(tt));
    if (sp.trace) {
        na_log_set_hook(NULL, NULL);
        na_log_set_level(level);
        outs(&got, "== trace\n");
        outs(&got, na_buf_cstr(&tlog));
    }
    na_buf_free(&tlog);
    if (tr) { /* what netauto wrote down, without the times */
        na_session_free(s);
        s = NULL;
        assert_int_equal(na_transcript_close(tr, &e), 0);
        fclose(trf);
        outs(&got, "== transcript\n");
        for (char *l = trtext; l && *l;) {
            char *nl = strchr(l, '\n');
            size_t n = nl ? (size_t)(nl - l) : strlen(l);
            char *sp2 = memchr(l, ' ', n);
            if (*l >= '0' && *l <= '9' && sp2) {
                n -= (size_t)(sp2 + 1 - l);
                l = sp2 + 1;
            }
            outf(&got, "%.*s\n", (int)n, l);
            l = nl ? nl + 1 : NULL;
        }
        free(trtext);
    }

    char *epath = NULL;
    assert_true(asprintf(&epath, "%.*s.expected", (int)(strlen(path) - 3), path) > 0);
    const char *upd = getenv("NETAUTO_UPDATE_GOLDEN");
    if (upd && *upd == '1') {
        FILE *f = fopen(epath, "wb");
        assert_non_null(f);
        fwrite(got.data ? got.data : "", 1, got.len, f);
        fclose(f);
    }
    size_t wn;
    char *want = slurp(epath, &wn);
    if (!want || wn != got.len || memcmp(want, got.data ? got.data : "", wn)) {
        fprintf(stderr, "# %s: results differ from %s\n# got:\n", file, epath);
        for (char *l = got.data; l && *l;) {
            char *nl = strchr(l, '\n');
            fprintf(stderr, "#   %.*s\n", nl ? (int)(nl - l) : (int)strlen(l), l);
            l = nl ? nl + 1 : NULL;
        }
        fail();
    }
    free(want);
    free(epath);
    na_buf_free(&got);
    if (s)
        na_session_free(s);
    free(text);
    free(path);
    na_secret_clear_registry();
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every fixture in tests/fixtures/real/ (a new one needs no code). */
static void real_recordings(void **st)
{
    (void)st;
    char *dir = path_of("");
    DIR *d = opendir(dir);
    assert_non_null(d);
    char *names[256];
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < 256) {
        size_t l = strlen(de->d_name);
        if (l > 3 && !strcmp(de->d_name + l - 3, ".tr"))
            names[n++] = strdup(de->d_name);
    }
    closedir(d);
    free(dir);
    qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i < n; i++) {
        fprintf(stderr, "# %s\n", names[i]);
        run_fixture(names[i]);
        free(names[i]);
    }
    assert_true(n >= MIN_FIXTURES);
}

/* prompts.txt: "PLATFORM MODE PROMPT-AS-C-STRING # source". The prompt must match that mode
 * (and be the first mode that matches); mode "-" = no mode may match. */
static void real_prompts(void **st)
{
    (void)st;
    char *path = path_of("prompts.txt");
    char *text = slurp(path, NULL);
    assert_non_null(text);
    na_err e = NA_ERR_INIT;
    na_matcher *m = na_matcher_new(&e);
    int checked = 0, bad = 0;
    for (char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (*l == '#' || *l == '\n')
            continue;
        char plat[64], mode[64], q[512];
        if (sscanf(l, "%63s %63s \"%511[^\"]\"", plat, mode, q) != 3) {
            fprintf(stderr, "# prompts.txt: bad line: %.60s\n", l);
            fail();
        }
        char pr[512];
        size_t n = 0;
        for (const char *c = q; *c && n + 1 < sizeof pr; c++) {
            if (*c == '\\' && c[1] == 'n') {
                pr[n++] = '\n';
                c++;
            } else {
                pr[n++] = *c;
            }
        }
        pr[n] = '\0';
        const na_platform *p = na_platform_find(reg, plat, &e);
        assert_non_null(p);
        size_t got = na_platform_match_mode(p, m, pr, n);
        const char *gname = got == NA_NO_MODE ? "-" : p->modes[got].name;
        if (strcmp(gname, mode)) {
            fprintf(stderr, "# %s: '%s' is mode %s, want %s\n", plat, q, gname, mode);
            bad++;
        }
        checked++;
    }
    na_matcher_free(m);
    free(text);
    free(path);
    assert_int_equal(bad, 0);
    assert_true(checked >= 40);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(real_prompts),
        cmocka_unit_test(real_recordings),
    };
    return cmocka_run_group_tests_name("session_real", tests, setup, teardown);
}
