/* test_golden.c — golden-file tests of the channel and the session: each line of
 * tests/fixtures/golden/cases.txt names a recorded transcript (replayed byte for byte), a
 * platform ("-" drives the bare channel), and operations; the runner performs them and renders
 * everything they produced (outputs as quoted bytes, errors with their code and message, modes,
 * prompts, config line results, counters, whether the replay was played to its end, the
 * recorded transcript) into text that must equal tests/fixtures/golden/<case>.out byte for byte.
 * On a difference it prints a unified diff and writes what it got to
 * $NETAUTO_BUILD/test-logs/golden/<case>.out. NETAUTO_GOLDEN_UPDATE=1 (make golden-update)
 * writes the expected files instead, to be reviewed with `git diff tests/fixtures/golden/`.
 * NETAUTO_GOLDEN_CASE=name runs one case. The operations are described in cases.txt.
 *
 * Checked on every case besides the file: nothing netauto typed (password, enable secret,
 * registered secrets) appears in the rendering; an output's length is its bytes'; an open that
 * succeeded saw its first prompt within it. Not a test of timing beyond `within=` and `timing`,
 * and not of the event-loop interface (test_session.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "buf.h"
#include "channel.h"
#include "clock.h"
#include "diff.h"
#include "hex.h"
#include "platform.h"
#include "replay.h"
#include "replaytest.h"
#include "secret.h"
#include "session.h"
#include "transcript.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_ARGS 64
#define MAX_REPLIES 8
#define MAX_PAGERS 4
#define DEFAULT_PROMPT "^[\\w.\\-@/:+]{1,63}[>#]\\s?$"

#define DEFAULT_SECRET "lab-enable-1"

typedef struct gcase {
    char *name;
    char *transcript; /* relative to tests/fixtures/ */
    char *platform;   /* NULL: the bare channel */
    char *ops;        /* the operations, as written */
    unsigned line;
} gcase;

static gcase *cases;
static size_t ncases;
static const char *root;

/* ---- the table ----------------------------------------------------------------------------- */

static char *xstrdup(const char *s)
{
    char *c = strdup(s);
    assert_non_null(c);
    return c;
}

static char *path_of(const char *fmt, const char *a)
{
    char *p = NULL;
    assert_true(asprintf(&p, fmt, root, a) > 0);
    return p;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    na_buf b;
    na_buf_init(&b, (size_t)16 << 20);
    char chunk[4096];
    size_t n;
    na_err e = NA_ERR_INIT;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        assert_int_equal(na_buf_append(&b, chunk, n, path, &e), 0);
    fclose(f);
    if (len)
        *len = b.len;
    return na_buf_steal(&b);
}

/* Outside of a test: the message, and a failed run (tests/run.sh reports the exit status). */
static void table_error(const char *path, unsigned line, const char *what)
{
    fprintf(stderr, "# %s:%u: %s\n", path, line, what);
    exit(1);
}

/* cases.txt: "name transcript platform operations...", '#' comments, and lines that start with
 * white space continuing the operations of the case above. */
static void load_table(void)
{
    char *path = NULL;
    if (asprintf(&path, "%s/tests/fixtures/golden/cases.txt", root) < 0)
        table_error("cases.txt", 0, "out of memory");
    FILE *f = fopen(path, "rb");
    if (!f)
        table_error(path, 0, strerror(errno));
    char *text = NULL;
    size_t cap = 0;
    ssize_t got = getdelim(&text, &cap, '\0', f); /* the whole file */
    fclose(f);
    if (got < 0)
        table_error(path, 0, "cannot read it");
    unsigned lineno = 0;
    for (char *line = text, *next; line && *line; line = next) {
        lineno++;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '#' || *p == '\0')
            continue;
        if (p != line) { /* continuation */
            if (ncases == 0)
                table_error(path, lineno, "a continuation line before any case");
            gcase *c = &cases[ncases - 1];
            char *joined = NULL;
            if (asprintf(&joined, "%s %s", c->ops, p) < 0)
                table_error(path, lineno, "out of memory");
            free(c->ops);
            c->ops = joined;
            continue;
        }
        char name[128], tr[512], plat[64];
        int used = 0;
        if (sscanf(p, "%127s %511s %63s %n", name, tr, plat, &used) != 3)
            table_error(path, lineno, "expected 'case transcript platform operations'");
        for (size_t k = 0; k < ncases; k++)
            if (!strcmp(cases[k].name, name))
                table_error(path, lineno, "a second case of that name");
        gcase *nc = realloc(cases, (ncases + 1) * sizeof *cases);
        if (!nc)
            table_error(path, lineno, "out of memory");
        cases = nc;
        gcase *c = &cases[ncases++];
        c->name = strdup(name);
        c->transcript = strdup(tr);
        c->platform = strcmp(plat, "-") ? strdup(plat) : NULL;
        c->ops = strdup(p + used);
        if (!c->name || !c->transcript || !c->ops || (strcmp(plat, "-") && !c->platform))
            table_error(path, lineno, "out of memory");
        c->line = lineno;
    }
    free(text);
    free(path);
}

/* ---- operations: words, quoted strings, ';' between operations ----------------------------- */

typedef struct op {
    char *argv[MAX_ARGS];
    int argc;
} op;

/* Next word of s (advanced): 'single quotes' keep everything as written (patterns), "double
 * quotes" take \n \r \t \e \\ \" \xHH. Returns NULL at the end; ";" alone is a separator. */
static char *word(const char **s)
{
    const char *p = *s;
    while (*p == ' ' || *p == '\t')
        p++;
    if (!*p)
        return NULL;
    na_buf b;
    na_buf_init(&b, 1 << 16);
    na_err e = NA_ERR_INIT;
    if (*p == ';') {
        *s = p + 1;
        return xstrdup(";");
    }
    while (*p && *p != ' ' && *p != '\t' && *p != ';') {
        if (*p == '\'') {
            const char *end = strchr(p + 1, '\'');
            assert_non_null(end);
            assert_int_equal(na_buf_append(&b, p + 1, (size_t)(end - p - 1), NULL, &e), 0);
            p = end + 1;
        } else if (*p == '"') {
            for (p++; *p && *p != '"'; p++) {
                char c = *p;
                if (c == '\\') {
                    assert_true(p[1] != '\0'); /* a backslash at the end of the text */
                    switch (*++p) {
                    case 'n': c = '\n'; break;
                    case 'r': c = '\r'; break;
                    case 't': c = '\t'; break;
                    case 'e': c = 0x1b; break;
                    case 'x':
                        assert_true(na_hexval(p[1]) >= 0 && na_hexval(p[2]) >= 0);
                        c = (char)(na_hexval(p[1]) * 16 + na_hexval(p[2]));
                        p += 2;
                        break;
                    default: c = *p; break;
                    }
                }
                assert_int_equal(na_buf_append(&b, &c, 1, NULL, &e), 0);
            }
            assert_true(*p == '"');
            p++;
        } else {
            assert_int_equal(na_buf_append(&b, p, 1, NULL, &e), 0);
            p++;
        }
    }
    *s = p;
    return na_buf_steal(&b);
}

static size_t parse_ops(const char *text, op *ops, size_t max)
{
    size_t n = 0;
    const char *s = text;
    char *w;
    memset(ops, 0, max * sizeof *ops);
    while ((w = word(&s))) {
        if (!strcmp(w, ";")) {
            free(w);
            if (n < max && ops[n].argc)
                n++;
            continue;
        }
        assert_true(n < max && ops[n].argc < MAX_ARGS); /* (cases.txt: fewer, please) */
        ops[n].argv[ops[n].argc++] = w;
    }
    if (n < max && ops[n].argc)
        n++;
    return n;
}

static void free_ops(op *ops, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < ops[i].argc; k++)
            free(ops[i].argv[k]);
}

/* "key=value" option of an operation; NULL when absent. A bare "key" gives "". */
static const char *opt(const op *o, const char *key)
{
    size_t kl = strlen(key);
    for (int i = 1; i < o->argc; i++) {
        if (!strncmp(o->argv[i], key, kl) && o->argv[i][kl] == '=')
            return o->argv[i] + kl + 1;
        if (!strcmp(o->argv[i], key))
            return "";
    }
    return NULL;
}

/* Positional arguments: those that are not key=value options nor bare flags in `flags`. */
static int positional(const op *o, const char *const *flags, const char **out, int max)
{
    int n = 0;
    for (int i = 1; i < o->argc; i++) {
        const char *a = o->argv[i];
        const char *eq = strchr(a, '=');
        bool is_opt = eq && eq > a && strspn(a, "abcdefghijklmnopqrstuvwxyz_") == (size_t)(eq - a);
        for (size_t f = 0; flags && flags[f]; f++)
            if (!strcmp(a, flags[f]))
                is_opt = true;
        if (!is_opt && n < max)
            out[n++] = a;
    }
    return n;
}

/* ---- rendering ----------------------------------------------------------------------------- */

typedef struct out {
    FILE *f;
    char *text;
    size_t len;
} out;

static void q(out *o, const char *s) /* a quoted, escaped string (transcript syntax) */
{
    if (!s) {
        fputs("none", o->f);
        return;
    }
    na_tr_write_quoted(o->f, s, strlen(s));
}

/* Bytes, one quoted line per row (each with its "\n"), so a diff points at the line. */
static void bytes(out *o, const char *label, const char *p, size_t n)
{
    fprintf(o->f, "%s: %zu bytes\n", label, n);
    size_t i = 0;
    while (i < n) {
        const char *nl = memchr(p + i, '\n', n - i);
        size_t k = nl ? (size_t)(nl - (p + i)) + 1 : n - i;
        fputs("  ", o->f);
        na_tr_write_quoted(o->f, p + i, k);
        fputc('\n', o->f);
        i += k;
    }
}

static void error(out *o, const na_err *e)
{
    fprintf(o->f, "error: %s: ", na_code_name(e->code));
    q(o, e->msg);
    fputc('\n', o->f);
}

static void header(out *o, const op *x)
{
    fputs("==", o->f);
    for (int i = 0; i < x->argc; i++) {
        fputc(' ', o->f);
        if (i == 0 || (strspn(x->argv[i], "abcdefghijklmnopqrstuvwxyz0123456789_=.-") ==
                       strlen(x->argv[i]) && x->argv[i][0]))
            fputs(x->argv[i], o->f);
        else
            q(o, x->argv[i]);
    }
    fputc('\n', o->f);
}

/* within=A..B: the operation took between A (inclusive) and B (exclusive) milliseconds. */
static void timing(out *o, const op *x, int64_t took_ms)
{
    const char *w = opt(x, "within");
    if (!w)
        return;
    long lo = 0, hi = 0;
    assert_int_equal(sscanf(w, "%ld..%ld", &lo, &hi), 2);
    if (took_ms >= lo && took_ms < hi)
        fprintf(o->f, "time: within %ld..%ld ms\n", lo, hi);
    else
        fprintf(o->f, "time: %lld ms, NOT within %ld..%ld ms\n", (long long)took_ms, lo, hi);
}

static int timeout_of(const op *x, int def)
{
    const char *t = opt(x, "timeout");
    return t ? atoi(t) : def;
}

/* ---- the bare channel ---------------------------------------------------------------------- */

typedef struct chan_ctx {
    na_channel *c;
    na_pattern *prompts[4];
    size_t nprompts;
    na_pattern *pagers[MAX_PAGERS];
    size_t npagers;
    na_reply replies[MAX_REPLIES];
    char *reply_text[MAX_REPLIES];
    size_t nreplies;
} chan_ctx;

static na_pattern *pat(const char *src)
{
    na_err e = NA_ERR_INIT;
    na_pattern *p = na_pattern_new(src, 0, &e);
    if (!p)
        fprintf(stderr, "# pattern '%s': %s\n", src, e.msg);
    assert_non_null(p);
    return p;
}

static const char *hit_name(na_hit_kind k)
{
    switch (k) {
    case NA_HIT_PROMPT: return "prompt";
    case NA_HIT_UNANSWERED: return "unanswered reply";
    case NA_HIT_REPEATED: return "repeated reply";
    default: return "none";
    }
}

/* first | send LINE | expect: one exchange, rendered. */
static void chan_exchange(chan_ctx *cc, const op *x, out *o, const char *echo, const char *next)
{
    na_expect ex;
    memset(&ex, 0, sizeof ex);
    ex.prompts = (const na_pattern *const *)cc->prompts;
    ex.nprompts = cc->nprompts;
    ex.pagers = (const na_pattern *const *)cc->pagers;
    ex.npagers = cc->npagers;
    ex.replies = cc->replies;
    ex.nreplies = cc->nreplies;
    ex.echo = echo;
    ex.cmd = echo;
    ex.next_echo = next;
    ex.timeout_ms = timeout_of(x, 2000);
    const char *g = opt(x, "grace");
    ex.echo_grace_ms = g ? atoi(g) : 0;
    for (size_t i = 0; i < cc->nreplies; i++)
        cc->replies[i].uses = 0;
    na_err e = NA_ERR_INIT;
    int64_t t0 = na_now_ms();
    ex.deadline_ms = t0 + ex.timeout_ms;
    na_status st = rt_channel_run(cc->c, &ex, &e);
    timing(o, x, na_now_ms() - t0);
    if (st != NA_OK) {
        error(o, &e);
        return;
    }
    const na_expect_result *r = na_channel_result(cc->c);
    fprintf(o->f, "hit: %s %zu, %s\n", hit_name(r->kind), r->index,
            r->echoed ? "echoed" : "no echo");
    fprintf(o->f, "pages: %u, replies written: %u", r->pages, r->replies);
    for (size_t i = 0; i < cc->nreplies; i++)
        fprintf(o->f, "%s%u", i ? ", " : " (uses: ", cc->replies[i].uses);
    fputs(cc->nreplies ? ")\n" : "\n", o->f);
    if (r->kind != NA_HIT_PROMPT)
        return;
    char *pr = na_channel_prompt(cc->c);
    fputs("prompt: ", o->f);
    q(o, pr);
    fputc('\n', o->f);
    free(pr);
    if (!strcmp(x->argv[0], "first") || opt(x, "discard")) {
        na_channel_consume(cc->c);
        if (opt(x, "discard"))
            fputs("output: discarded\n", o->f);
        return;
    }
    size_t n = 0;
    char *text = na_channel_take_output(cc->c, &n, &e);
    assert_non_null(text);
    assert_int_equal(n, strlen(text));
    bytes(o, "output", text, n);
    free(text);
}

static void chan_op(chan_ctx *cc, const op *x, out *o)
{
    const char *a = x->argc > 1 ? x->argv[1] : NULL;
    const char *cmd = x->argv[0];
    if (!strcmp(cmd, "prompt")) { /* replaces the prompt patterns */
        assert_non_null(a);
        for (size_t i = 0; i < cc->nprompts; i++)
            na_pattern_free(cc->prompts[i]);
        cc->prompts[0] = pat(a);
        cc->nprompts = 1;
        return;
    }
    if (!strcmp(cmd, "pager")) {
        assert_true(a && cc->npagers < MAX_PAGERS);
        cc->pagers[cc->npagers++] = pat(a);
        return;
    }
    if (!strcmp(cmd, "reply") || !strcmp(cmd, "noreply")) {
        /* reply PATTERN TEXT [secret] [max=N]: answered with TEXT + newline; noreply PATTERN:
         * matched, with no text to answer (NA_HIT_UNANSWERED) */
        static const char *const flags[] = {"secret", NULL};
        const char *pos[2] = {0};
        int np = positional(x, flags, pos, 2);
        bool with = !strcmp(cmd, "reply");
        assert_true(np == (with ? 2 : 1) && cc->nreplies < MAX_REPLIES);
        size_t i = cc->nreplies++;
        cc->reply_text[i] = with ? xstrdup(pos[1]) : NULL;
        const char *m = opt(x, "max");
        cc->replies[i] = (na_reply){.prompt = pat(pos[0]), .text = cc->reply_text[i],
                                    .newline = true, .secret = opt(x, "secret") != NULL,
                                    .max_uses = m ? (unsigned)atoi(m) : 0};
        return;
    }
    header(o, x);
    if (!strcmp(cmd, "first")) {
        chan_exchange(cc, x, o, NULL, NULL);
    } else if (!strcmp(cmd, "send")) { /* send LINE: LINE + "\n" in one write, then expect */
        static const char *const flags[] = {"discard", NULL};
        assert_int_equal(positional(x, flags, &a, 1), 1);
        assert_non_null(a);
        char *line = NULL;
        assert_true(asprintf(&line, "%s\n", a) > 0);
        na_err e = NA_ERR_INIT;
        if (na_channel_write(cc->c, line, strlen(line), false, &e) < 0)
            error(o, &e);
        else
            chan_exchange(cc, x, o, a, NULL);
        free(line);
    } else if (!strcmp(cmd, "write")) { /* write BYTES: as they are, no exchange */
        assert_non_null(a);
        na_err e = NA_ERR_INIT;
        if (na_channel_write(cc->c, a, strlen(a), false, &e) < 0)
            error(o, &e);
        else
            fputs("ok\n", o->f);
    } else if (!strcmp(cmd, "expect")) { /* expect [echo=LINE] [next=LINE]: no write */
        chan_exchange(cc, x, o, opt(x, "echo"), opt(x, "next"));
    } else if (!strcmp(cmd, "text")) { /* what the receive buffer still holds */
        size_t len = 0;
        const char *t = na_channel_text(cc->c, &len);
        bytes(o, "buffer", t, len);
    } else if (!strcmp(cmd, "stats")) {
        na_channel_stats cs;
        na_channel_stats_get(cc->c, &cs);
        fprintf(o->f, "bytes in: %llu, bytes out: %llu, pages: %llu\n",
                (unsigned long long)cs.bytes_in, (unsigned long long)cs.bytes_out,
                (unsigned long long)cs.pages);
    } else {
        fprintf(stderr, "# unknown channel operation '%s'\n", cmd);
        fail();
    }
}

static void chan_free(chan_ctx *cc)
{
    for (size_t i = 0; i < cc->nprompts; i++)
        na_pattern_free(cc->prompts[i]);
    for (size_t i = 0; i < cc->npagers; i++)
        na_pattern_free(cc->pagers[i]);
    for (size_t i = 0; i < cc->nreplies; i++) {
        na_pattern_free((na_pattern *)cc->replies[i].prompt);
        free(cc->reply_text[i]);
    }
}

/* ---- the session --------------------------------------------------------------------------- */

static void session_state(out *o, na_session *s)
{
    fprintf(o->f, "state: mode %s, prompt ", na_session_mode(s));
    q(o, na_session_prompt(s));
    fputs(", learned ", o->f);
    q(o, na_session_learned_prompt(s));
    fprintf(o->f, ", %s\n", na_session_usable(s) ? "usable" : "not usable");
}

static void result(out *o, const na_result *r)
{
    if (r->command) {
        fputs("command: ", o->f);
        q(o, r->command);
        fputc('\n', o->f);
    }
    fprintf(o->f, "mode: %s\n", r->mode ? r->mode : "none");
    if (r->device_error) {
        fputs("device error: ", o->f);
        q(o, r->device_error);
        fputc('\n', o->f);
    }
    if (r->output) {
        assert_int_equal(r->output_len, strlen(r->output));
        bytes(o, "output", r->output, r->output_len);
    }
    if (r->nlines || r->failed_line)
        fprintf(o->f, "lines: %zu, failed line: %zu\n", r->nlines, r->failed_line);
    for (size_t i = 0; i < r->nlines; i++) {
        fprintf(o->f, "line %zu: ", i + 1);
        q(o, r->lines[i].line);
        fputs(r->lines[i].after_error ? " (sent after the error)\n" : "\n", o->f);
        bytes(o, "  output", r->lines[i].output, strlen(r->lines[i].output));
    }
    assert_true(r->elapsed_us >= 0);
}

typedef struct sess_ctx {
    na_session *s;
    na_session_opts so;
    na_transport *t; /* until the session takes it */
    bool opened;
} sess_ctx;

static void sess_op(sess_ctx *sc, const op *x, out *o)
{
    const char *cmd = x->argv[0];
    const char *a = x->argc > 1 ? x->argv[1] : NULL;
    header(o, x);
    na_err e = NA_ERR_INIT;
    na_result r;
    memset(&r, 0, sizeof r);
    int rc = 0;
    int64_t t0 = na_now_ms();
    bool has_result = false;
    if (!strcmp(cmd, "open")) {
        rc = na_session_open(sc->s, &e);
        if (rc == 0) {
            na_session_stats ss;
            na_session_stats_get(sc->s, &ss);
            /* (at microsecond resolution a replayed open can take "0 us": see the timing op) */
            assert_true(ss.first_prompt_us >= 0 && ss.first_prompt_us <= ss.open_us);
            assert_true(ss.transport_us >= 0);
        }
    } else if (!strcmp(cmd, "command")) {
        /* command CMD [timeout=MS] [mode=M] [no_error_check] [answer=PATTERN reply=TEXT] */
        assert_non_null(a);
        na_cmd_answer ans = {.prompt = opt(x, "answer"), .reply = opt(x, "reply")};
        na_cmd_opts co = {.timeout_ms = timeout_of(x, 0), .mode = opt(x, "mode"),
                          .no_error_check = opt(x, "no_error_check") != NULL,
                          .answers = ans.prompt ? &ans : NULL, .nanswers = ans.prompt ? 1 : 0};
        rc = na_session_command(sc->s, a, &co, &r, &e);
        has_result = true;
    } else if (!strcmp(cmd, "config")) { /* config LINE... [window=N] */
        static const char *const flags[] = {NULL};
        const char *lines[MAX_ARGS];
        int n = positional(x, flags, lines, MAX_ARGS);
        const char *w = opt(x, "window");
        na_config_opts co = {.window = w ? (size_t)atoi(w) : 0};
        rc = na_session_config(sc->s, lines, (size_t)n, &co, &r, &e);
        has_result = true;
    } else if (!strcmp(cmd, "save")) {
        rc = na_session_save(sc->s, &r, &e);
        has_result = true;
    } else if (!strcmp(cmd, "mode")) {
        assert_non_null(a);
        rc = na_session_enter_mode(sc->s, a, &e);
    } else if (!strcmp(cmd, "stats")) {
        na_session_stats ss;
        na_session_stats_get(sc->s, &ss);
        fprintf(o->f, "lines sent: %llu, bytes out: %llu, bytes in: %llu, pages: %llu\n",
                (unsigned long long)ss.lines_sent, (unsigned long long)ss.bytes_out,
                (unsigned long long)ss.bytes_in, (unsigned long long)ss.pages);
        return;
    } else if (!strcmp(cmd, "timing")) { /* the measurements of the open and the last op */
        na_session_stats ss;
        na_session_stats_get(sc->s, &ss);
        if (ss.first_prompt_us > 0 && ss.first_prompt_us <= ss.open_us)
            fputs("first prompt: after the start, within the open\n", o->f);
        else
            fprintf(o->f, "first prompt: NOT after the start and within the open (%lld us, the "
                    "open %lld us)\n", (long long)ss.first_prompt_us, (long long)ss.open_us);
        fprintf(o->f, "last operation: %s\n", ss.last_op_us > 0 ? "took time" : "took 0 us");
        return;
    } else {
        fprintf(stderr, "# unknown session operation '%s'\n", cmd);
        fail();
    }
    timing(o, x, na_now_ms() - t0);
    if (rc == 0)
        fputs("ok\n", o->f);
    else
        error(o, &e);
    if (has_result) {
        result(o, &r);
        na_result_free(&r);
    }
    session_state(o, sc->s);
}

/* ---- one case ------------------------------------------------------------------------------ */

/* "record": everything read and written is recorded, and shown at the end (times removed). */
static void show_transcript(out *o, char *text, size_t len)
{
    fputs("== transcript\n", o->f);
    for (char *line = text, *next; line < text + len; line = next) {
        next = memchr(line, '\n', (size_t)(text + len - line));
        next = next ? next + 1 : text + len;
        char *p = line;
        if (*p >= '0' && *p <= '9') { /* "0.000152 < ..." -> "< ..." */
            p += strspn(p, "0123456789.");
            if (*p == ' ')
                p++;
        }
        const char *at = *p == '#' ? strstr(p, ", recorded ") : NULL;
        if (at && at < next) { /* "# sw1, recorded 2026-...Z": the time is not part of it */
            fwrite(p, 1, (size_t)(at - p), o->f);
            fputs(", recorded (time)", o->f);
            p += strcspn(at + 11, " \n") + (size_t)(at + 11 - p);
        }
        fwrite(p, 1, (size_t)(next - p), o->f);
    }
    na_tr_script sc;
    na_err e = NA_ERR_INIT;
    assert_int_equal(na_tr_script_parse("recorded", text, len, &sc, &e), 0);
    fprintf(o->f, "replays: %zu events\n", sc.n); /* the recording is a valid transcript */
    na_tr_script_free(&sc);
}

static void replay_end(out *o, na_transport *t)
{
    fputs("== end\n", o->f);
    if (na_replay_finished(t))
        fputs("replay: finished\n", o->f);
    else
        fprintf(o->f, "replay: NOT finished, next %s\n", na_replay_position(t));
}

/* Perform a case's operations; returns the rendering (caller frees). */
static char *perform(const gcase *gc, size_t *len)
{
    na_secret_clear_registry();
    char *trpath = path_of("%s/tests/fixtures/%s", gc->transcript);
    na_err e = NA_ERR_INIT;
    na_transport *t = na_replay_new(trpath, &rt_params, &e);
    if (!t)
        fprintf(stderr, "# %s\n", e.msg);
    assert_non_null(t);
    free(trpath);
    out o = {0};
    o.f = open_memstream(&o.text, &o.len);
    assert_non_null(o.f);
    op ops[64];
    size_t nops = parse_ops(gc->ops, ops, 64);
    char *rec = NULL;
    size_t reclen = 0;
    FILE *recf = NULL;
    na_transcript *tr = NULL;
    const char *secrets[MAX_ARGS];
    size_t nsecrets = 0;
    secrets[nsecrets++] = rt_params.password;
    /* settings come first: set ..., register ..., record */
    size_t i = 0;
    size_t max_output = 0;
    const char *secret = DEFAULT_SECRET;
    bool skip_on_open = false;
    for (; i < nops; i++) {
        const op *x = &ops[i];
        if (!strcmp(x->argv[0], "set")) { /* secret=S | nosecret | skip_on_open | max_output=N */
            if (opt(x, "secret"))
                secret = opt(x, "secret");
            if (opt(x, "nosecret"))
                secret = NULL;
            if (opt(x, "skip_on_open"))
                skip_on_open = true;
            if (opt(x, "max_output"))
                max_output = (size_t)atol(opt(x, "max_output"));
        } else if (!strcmp(x->argv[0], "register")) { /* a secret to redact everywhere */
            assert_true(x->argc == 2);
            na_secret_register(x->argv[1]);
            secrets[nsecrets++] = x->argv[1];
        } else if (!strcmp(x->argv[0], "record")) {
            recf = open_memstream(&rec, &reclen);
            tr = na_transcript_to_file(recf, "sw1", &e);
            assert_non_null(tr);
        } else {
            break;
        }
    }
    if (secret)
        secrets[nsecrets++] = secret;
    if (!gc->platform) {
        chan_ctx cc;
        memset(&cc, 0, sizeof cc);
        assert_int_equal(t->ops->open(t, &e), NA_OK);
        na_channel_opts co = {.max_output = max_output, .transcript = tr};
        cc.c = na_channel_new(t, &co, &e);
        assert_non_null(cc.c);
        cc.prompts[0] = pat(DEFAULT_PROMPT);
        cc.nprompts = 1;
        for (; i < nops; i++)
            chan_op(&cc, &ops[i], &o);
        replay_end(&o, na_channel_transport(cc.c));
        na_channel_free(cc.c);
        chan_free(&cc);
    } else {
        const na_platform *p = na_platform_find(rt_platforms, gc->platform, &e);
        if (!p)
            fprintf(stderr, "# %s\n", e.msg);
        assert_non_null(p);
        sess_ctx sc;
        memset(&sc, 0, sizeof sc);
        sc.so = (na_session_opts){.secret = secret, .skip_on_open = skip_on_open,
                                  .max_output = max_output, .transcript = tr};
        sc.s = na_session_new(t, p, &sc.so, &e);
        assert_non_null(sc.s);
        for (; i < nops; i++)
            sess_op(&sc, &ops[i], &o);
        replay_end(&o, na_session_transport(sc.s));
        na_session_free(sc.s);
    }
    if (tr) {
        assert_int_equal(na_transcript_close(tr, &e), 0);
        fclose(recf);
        show_transcript(&o, rec, reclen);
        free(rec);
    }
    fclose(o.f);
    /* nothing netauto typed is in what it produced */
    for (size_t k = 0; k < nsecrets; k++) {
        if (secrets[k] && *secrets[k] && strstr(o.text, secrets[k])) {
            fprintf(stderr, "# the secret '%s' appears in the rendering\n", secrets[k]);
            fail();
        }
    }
    free_ops(ops, nops);
    na_secret_clear_registry();
    *len = o.len;
    return o.text;
}

/* ---- comparing ----------------------------------------------------------------------------- */

/* 0 when got equals the expected text; else prints a unified diff (as "# " lines). */
static int compare(const char *name, const char *want, size_t wn, const char *got, size_t gn)
{
    if (wn == gn && !memcmp(want, got, gn))
        return 0;
    na_buf d;
    na_buf_init(&d, (size_t)4 << 20);
    na_err e = NA_ERR_INIT;
    bool changed = false;
    na_diff_opts o = {.context = 3, .keep_volatile = true, .label_a = name, .label_b = "got"};
    if (na_diff_unified(want, wn, got, gn, &o, &d, &changed, &e) < 0)
        fprintf(stderr, "# (no diff: %s)\n", e.msg);
    fprintf(stderr, "# %s differs from the golden file (%zu bytes expected, %zu got):\n", name,
            wn, gn);
    for (const char *l = na_buf_cstr(&d); *l;) {
        const char *nl = strchr(l, '\n');
        size_t k = nl ? (size_t)(nl - l) : strlen(l);
        fprintf(stderr, "# %.*s\n", (int)k, l);
        l += k + (nl ? 1 : 0);
    }
    na_buf_free(&d);
    return -1;
}

static void write_file(const char *path, const char *text, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        fprintf(stderr, "# %s: %s\n", path, strerror(errno));
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static void run_case(void **state)
{
    const gcase *gc = *state;
    size_t gn = 0;
    char *got = perform(gc, &gn);
    char *exp_path = path_of("%s/tests/fixtures/golden/%s.out", gc->name);
    const char *upd = getenv("NETAUTO_GOLDEN_UPDATE");
    if (upd && !strcmp(upd, "1")) {
        write_file(exp_path, got, gn);
        fprintf(stderr, "# wrote %s\n", exp_path);
    } else {
        size_t wn = 0;
        char *want = slurp(exp_path, &wn);
        if (!want)
            fprintf(stderr, "# %s: %s (cases.txt line %u; make golden-update writes it)\n",
                    exp_path, strerror(errno), gc->line);
        int rc = want ? compare(gc->name, want, wn, got, gn) : -1;
        if (rc < 0) {
            const char *b = getenv("NETAUTO_BUILD");
            char *dir = NULL, *p = NULL;
            assert_true(asprintf(&dir, "%s/test-logs/golden", b ? b : "build") > 0);
            for (char *sl = strchr(dir + 1, '/');; sl = strchr(sl + 1, '/')) { /* mkdir -p */
                if (sl)
                    *sl = '\0';
                mkdir(dir, 0755);
                if (!sl)
                    break;
                *sl = '/';
            }
            assert_true(asprintf(&p, "%s/%s.out", dir, gc->name) > 0);
            write_file(p, got, gn);
            fprintf(stderr, "# got: %s; to accept it: make golden-update, then review git diff\n",
                    p);
            free(p);
            free(dir);
        }
        free(want);
        free(exp_path);
        free(got);
        assert_int_equal(rc, 0); /* (after freeing: a failed assertion does not return) */
        return;
    }
    free(exp_path);
    free(got);
}

/* The comparison is not blind: the first case's own rendering, with any one byte changed (or
 * one byte more or less), fails it. */
static void a_changed_byte_fails(void **state)
{
    (void)state;
    assert_true(ncases > 0);
    size_t n = 0;
    char *got = perform(&cases[0], &n);
    assert_true(n > 0);
    assert_int_equal(compare("self", got, n, got, n), 0);
    char *copy = malloc(n + 1);
    assert_non_null(copy);
    for (size_t i = 0; i < n; i += n / 7 + 1) {
        memcpy(copy, got, n);
        copy[i] ^= 0x20;
        fprintf(stderr, "# (the diff below is expected: byte %zu changed)\n", i);
        assert_int_equal(compare("self", copy, n, got, n), -1);
    }
    fprintf(stderr, "# (the diffs below are expected: one byte less, one byte more)\n");
    assert_int_equal(compare("self", got, n - 1, got, n), -1);
    memcpy(copy, got, n);
    copy[n] = '\n';
    assert_int_equal(compare("self", copy, n + 1, got, n), -1);
    free(copy);
    free(got);
}

int main(void)
{
    root = getenv("NETAUTO_ROOT");
    if (!root)
        root = ".";
    load_table();
    const char *only = getenv("NETAUTO_GOLDEN_CASE");
    struct CMUnitTest *tests = calloc(ncases + 1, sizeof *tests);
    if (!tests)
        return 1;
    size_t n = 0;
    for (size_t i = 0; i < ncases; i++) {
        if (only && strcmp(only, cases[i].name))
            continue;
        tests[n].name = cases[i].name;
        tests[n].test_func = run_case;
        tests[n].initial_state = &cases[i];
        n++;
    }
    if (!only)
        tests[n++] = (struct CMUnitTest){.name = "a_changed_byte_fails",
                                         .test_func = a_changed_byte_fails};
    int rc = _cmocka_run_group_tests("golden", tests, n, rt_platforms_setup,
                                     rt_platforms_teardown);
    for (size_t i = 0; i < ncases; i++) {
        free(cases[i].name);
        free(cases[i].transcript);
        free(cases[i].platform);
        free(cases[i].ops);
    }
    free(cases);
    free(tests);
    return rc;
}
