/* fuzz_textfsm_diff.c — differential fuzz target: netauto's TextFSM engine against Debian's
 * python3-textfsm. The input bytes choose a template from a grammar (Values with every option
 * combination and order, regexes with nested, optional and named groups, states, rules with
 * every action, ${VALUE}/$VALUE/$$, occasional mistakes) and the text to parse (lines built to
 * match the rules, or the raw remaining bytes); netauto parses it, then
 * tests/fuzz/tfsm_oracle_server.py (started once, kept running) runs python3-textfsm on the same
 * template and text and compares: records, or error class and TextFSM's message, must be equal.
 * A difference aborts with both answers on stderr. Without python3 (or its textfsm module) the
 * engine still runs and nothing is compared. Not the crash and hang target (fuzz_textfsm.c). */
#include "fuzz.h"

#include "buf.h"
#include "tfsm.h"

#include <jansson.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* ---- the oracle process ------------------------------------------------------------------- */

static int oracle_state; /* 0 not started, 1 running, -1 unavailable */
static FILE *to_py, *from_py;

static void oracle_start(void)
{
    oracle_state = -1;
    if (access("/usr/bin/python3", X_OK) != 0)
        return;
    const char *root = getenv("NETAUTO_ROOT");
    char script[4096];
    snprintf(script, sizeof script, "%s/tests/fuzz/tfsm_oracle_server.py", root ? root : ".");
    if (access(script, R_OK) != 0)
        return;
    int in[2], out[2];
    if (pipe(in) < 0)
        return;
    if (pipe(out) < 0) {
        close(in[0]);
        close(in[1]);
        return;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, in[1]);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    char *argv[] = {"python3", script, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, "/usr/bin/python3", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    if (rc != 0) {
        close(in[1]);
        close(out[0]);
        return;
    }
    signal(SIGPIPE, SIG_IGN);
    to_py = fdopen(in[1], "w");
    from_py = fdopen(out[0], "r");
    if (to_py && from_py)
        oracle_state = 1;
}

/* The oracle's verdict: 1 same, 0 different (*diff set), -1 no oracle. */
static int oracle_compare(const char *tpl, size_t tl, const char *txt, size_t xl, json_t *ours,
                          char **diff)
{
    if (oracle_state == 0)
        oracle_start();
    if (oracle_state != 1)
        return -1;
    char *th = malloc(tl * 2 + 1), *xh = malloc(xl * 2 + 1);
    FUZZ_CHECK(th && xh);
    for (size_t i = 0; i < tl; i++)
        sprintf(th + 2 * i, "%02x", (unsigned char)tpl[i]);
    for (size_t i = 0; i < xl; i++)
        sprintf(xh + 2 * i, "%02x", (unsigned char)txt[i]);
    th[2 * tl] = xh[2 * xl] = '\0';
    json_t *req = json_pack("{s:s,s:s,s:s,s:O}", "name", "fuzz.textfsm", "template_hex", th,
                            "input_hex", xh, "ours", ours);
    free(th);
    free(xh);
    char *s = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    FUZZ_CHECK(s);
    fprintf(to_py, "%zu\n%s", strlen(s), s);
    free(s);
    char head[32];
    if (fflush(to_py) != 0 || !fgets(head, sizeof head, from_py)) {
        oracle_state = -1; /* the oracle died: say so once, compare nothing more */
        fprintf(stderr, "fuzz_textfsm_diff: the python3-textfsm oracle stopped answering\n");
        return -1;
    }
    size_t n = strtoul(head, NULL, 10);
    char *body = malloc(n + 1);
    FUZZ_CHECK(body && fread(body, 1, n, from_py) == n);
    body[n] = '\0';
    json_error_t je;
    json_t *ans = json_loads(body, JSON_ALLOW_NUL, &je);
    free(body);
    FUZZ_CHECK(ans);
    int same = json_is_true(json_object_get(ans, "same"));
    if (!same)
        *diff = strdup(json_is_string(json_object_get(ans, "diff"))
                           ? json_string_value(json_object_get(ans, "diff"))
                           : "?");
    json_decref(ans);
    return same;
}

/* ---- templates from bytes -------------------------------------------------------------------- */

typedef struct rd {
    const uint8_t *p;
    size_t n, i;
} rd;

static unsigned pick(rd *r, unsigned n)
{
    return r->i < r->n ? r->p[r->i++] % n : 0;
}

static const char *const NAMES[] = {"A", "B", "Name", "x_1", "VLAN_ID", "Z9"};
static const char *const OPTS[] = {"Filldown", "Fillup", "Key", "Required", "List"};
static const char *const RES[] = {
    "(\\d+)",         "(\\w+)",          "(\\S+)",          "(.*)",   "(.*?)",
    "(\\S*)",         "(a|b)",           "([a-c]+\\d?)",    "(\\d+(?:,\\d+)*)",
    "((?i:up|down))", "(\\w+(?:\\s\\w+)?)", "((?:\\d+)?)", "((?P<n>\\w)(?P<m>\\d))",
    "((x)|(?P<y>y))", "(\\b\\w+\\b)",    "([^,\\s]+)",
};
static const char *const SAMPLE[][2] = {
    {"1", "22"}, {"ab", "x1"}, {"a-b", "7"}, {"any thing", ""}, {"lazy", ""}, {"", "q"},
    {"a", "b"}, {"ab1", "c"}, {"1,2", "3"}, {"UP", "down"}, {"two words", "one"}, {"", "5"},
    {"c3", "d4"}, {"x", "y"}, {"w1", "ok"}, {"Gi0/1", "Et2"},
};
static const char *const WORDS[] = {"a", "b", "c", "up", "down", "x", "vlan", "10", "22",
                                    "7,8", "a1", "end", "-", "caf\xc3\xa9", ""};
static const char *const PIECES[][2] = {
    {"\\s+", " "}, {"\\s*", ""}, {" ", " "}, {".*", "rest"}, {"\\S+", "tok"}, {"\\d+", "9"},
    {"(x)?", "x"}, {"(?:\\s|$$)", " "}, {"$$", ""}, {"\\s*$$", "  "},
};
static const char *const MISTAKES[] = {"(", "[", "$", "${Nope}", "x{2,1}", "(?P<other>\\w)"};

#define MAXR 24
#define MAXP 8

typedef struct rule_pieces {
    int kind[MAXP]; /* 0 value (index), 1 word, 2 piece, 3 mistake */
    int idx[MAXP];
    int n;
} rule_pieces;

/* Appends; a buffer at its ceiling (1 MiB, far above what 2 KiB of input makes) marks the case
 * as cut, and a cut case is not compared. */
static bool g_cut;
static void put(na_buf *b, const char *s)
{
    if (na_buf_puts(b, s, NULL) < 0)
        g_cut = true;
}
static void putn(na_buf *b, const void *p, size_t n)
{
    if (na_buf_append(b, p, n, NULL, NULL) < 0)
        g_cut = true;
}
static void putf(na_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(na_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (na_buf_vprintf(b, NULL, fmt, ap) < 0)
        g_cut = true;
    va_end(ap);
}

static void gen(rd *r, na_buf *tpl, na_buf *txt)
{
    unsigned nv = pick(r, 5), vals[6], vre[6];
    bool used[6] = {0};
    for (unsigned i = 0; i < nv; i++) {
        unsigned k;
        do
            k = pick(r, 6);
        while (used[k] && r->i < r->n);
        if (used[k])
            break;
        used[k] = true;
        vals[i] = k;
        unsigned mask = pick(r, 32), first = pick(r, 5);
        char opts[80] = "";
        size_t o = 0;
        for (unsigned j = 0; j < 5; j++) {
            unsigned b = (first + j) % 5;
            if (mask & (1u << b))
                o += (size_t)snprintf(opts + o, sizeof opts - o, "%s%s", o ? "," : "", OPTS[b]);
        }
        vre[i] = pick(r, sizeof RES / sizeof *RES);
        putf(tpl, "Value %s%s%s %s\n", opts, o ? " " : "", NAMES[k], RES[vre[i]]);
    }
    put(tpl, "\n");
    unsigned nst = 1 + pick(r, 3);
    static const char *const STATES[] = {"Start", "S1", "S2"};
    rule_pieces rules[MAXR];
    unsigned nrules = 0;
    for (unsigned s = 0; s < nst; s++) {
        putf(tpl, "%s\n", STATES[s]);
        unsigned nr = 1 + pick(r, 5);
        for (unsigned k = 0; k < nr; k++) {
            rule_pieces *rp = nrules < MAXR ? &rules[nrules++] : &rules[0];
            rp->n = 0;
            put(tpl, "  ^");
            bool vused[6] = {0};
            unsigned np = 1 + pick(r, 4);
            for (unsigned q = 0; q < np && rp->n < MAXP - 1; q++) {
                if (q) {
                    unsigned sep = pick(r, 4);
                    const char *sp = sep == 0 ? "\\s+" : sep == 1 ? " " : sep == 2 ? "\\s*" : "";
                    put(tpl, sp);
                    rp->kind[rp->n] = 2;
                    rp->idx[rp->n++] = sep == 0 ? 0 : sep == 1 ? 2 : 1;
                }
                unsigned c = pick(r, 100);
                unsigned vi = nv ? pick(r, nv) : 0;
                if (nv && c < 50 && !vused[vi]) {
                    vused[vi] = true;
                    if (c < 8)
                        putf(tpl, "$%s ", NAMES[vals[vi]]);
                    else
                        putf(tpl, "${%s}", NAMES[vals[vi]]);
                    rp->kind[rp->n] = 0;
                    rp->idx[rp->n++] = (int)vre[vi];
                } else if (c < 80) {
                    unsigned w = pick(r, 12);
                    put(tpl, WORDS[w]);
                    rp->kind[rp->n] = 1;
                    rp->idx[rp->n++] = (int)w;
                } else if (c < 98) {
                    unsigned p = 3 + pick(r, 7);
                    put(tpl, PIECES[p][0]);
                    rp->kind[rp->n] = 2;
                    rp->idx[rp->n++] = (int)p;
                } else {
                    put(tpl, MISTAKES[pick(r, 6)]);
                    rp->kind[rp->n] = 3;
                    rp->idx[rp->n++] = 0;
                }
            }
            static const char *const LOP[] = {"", "", "Next", "Continue", "Error"};
            static const char *const ROP[] = {"", "Record", "Record", "NoRecord", "Clear",
                                              "Clearall"};
            if (pick(r, 10) < 3) {
                put(tpl, "\n");
                continue;
            }
            const char *l = LOP[pick(r, 5)], *ro = ROP[pick(r, 6)];
            char action[64];
            snprintf(action, sizeof action, "%s%s%s", l, *l && *ro ? "." : "", ro);
            const char *state = "";
            unsigned t = pick(r, 10);
            if (!strcmp(l, "Error"))
                state = t < 3 ? "\"a message\"" : t < 6 ? "word" : "";
            else if (t < 4)
                state = t == 0 ? "End" : t == 1 ? "EOF" : STATES[pick(r, nst)];
            if (!strcmp(l, "Continue") && t != 0) /* (t == 0: a mistake TextFSM refuses) */
                state = "";
            putf(tpl, " ->%s%s%s%s\n", *action ? " " : "", action,
                          *state ? " " : "", state);
        }
        put(tpl, "\n");
    }
    if (pick(r, 8) == 0)
        put(tpl, "EOF\n");
    /* the text: lines made to match a rule, random words, or the raw remaining bytes */
    if (pick(r, 5) == 0) {
        putn(txt, r->p + r->i, r->n - r->i);
        r->i = r->n;
        return;
    }
    unsigned nl = pick(r, 14);
    const char *eol = pick(r, 4) ? "\n" : "\r\n";
    for (unsigned i = 0; i < nl; i++) {
        if (nrules && pick(r, 4)) {
            rule_pieces *rp = &rules[pick(r, nrules)];
            for (int q = 0; q < rp->n; q++) {
                if (rp->kind[q] == 0)
                    put(txt, SAMPLE[rp->idx[q]][pick(r, 2)]);
                else if (rp->kind[q] == 1)
                    put(txt, WORDS[rp->idx[q]]);
                else if (rp->kind[q] == 2)
                    put(txt, PIECES[rp->idx[q]][1]);
            }
        } else {
            unsigned nw = pick(r, 4);
            for (unsigned w = 0; w < nw; w++)
                putf(txt, "%s%s", w ? " " : "", WORDS[pick(r, 15)]);
        }
        put(txt, eol);
    }
}

/* ---- the target ---------------------------------------------------------------------------- */

int fuzz_textfsm_diff(const uint8_t *data, size_t size)
{
    fuzz_init();
    rd r = {data, size, 0};
    na_buf tpl, txt;
    na_buf_init(&tpl, 1 << 20);
    na_buf_init(&txt, 1 << 20);
    g_cut = false;
    gen(&r, &tpl, &txt);
    na_err e = NA_ERR_INIT;
    json_t *ours;
    na_tfsm *t = na_tfsm_load("fuzz.textfsm", na_buf_cstr(&tpl), tpl.len, &e);
    na_tfsm_limits lim = {.timeout_ms = 5000};
    na_tfsm_result *res = t ? na_tfsm_parse(t, na_buf_cstr(&txt), txt.len, &lim, &e) : NULL;
    if (res) {
        ours = na_tfsm_result_table_json(res);
        FUZZ_CHECK(ours);
        json_object_set_new(ours, "ok", json_true());
    } else {
        FUZZ_CHECK(na_err_isset(&e));
        ours = json_pack("{s:b,s:s,s:s}", "ok", 0, "code", na_code_name(e.code), "message",
                         e.msg);
    }
    char *diff = NULL;
    int same = g_cut || e.code == NA_E_TIMEOUT || e.code == NA_E_OVERFLOW
                   ? -1 /* our limits: python3-textfsm has none to compare with */
                   : oracle_compare(na_buf_cstr(&tpl), tpl.len, na_buf_cstr(&txt), txt.len, ours,
                                    &diff);
    if (same == 0) {
        fprintf(stderr, "---- template\n%s---- input (C escapes)\n", na_buf_cstr(&tpl));
        for (size_t i = 0; i < txt.len; i++) {
            unsigned char ch = (unsigned char)txt.data[i];
            if (ch == '\n' || (ch >= 0x20 && ch < 0x7f && ch != '\\'))
                fputc(ch, stderr);
            else
                fprintf(stderr, "\\x%02x", ch);
        }
        fprintf(stderr, "\n---- difference\n%s\n", diff);
        FUZZ_CHECK(!"netauto and python3-textfsm disagree");
    }
    free(diff);
    json_decref(ours);
    na_tfsm_result_free(res);
    na_tfsm_free(t);
    na_buf_free(&tpl);
    na_buf_free(&txt);
    fuzz_done();
    return 0;
}

#ifdef NA_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_textfsm_diff(data, size);
}
#endif
