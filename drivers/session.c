/* session.c — the driver's plumbing: session lifecycle, one "exchange" (send a line, wait for its
 * echo and a prompt, answer prompted input, recover from a refused answer), walking between modes,
 * prompt learning, device errors (failures, config_errors), secrets in what is sent, the
 * blocking wrappers and measurements. The operations themselves (open, command, config, save,
 * mode) are state machines in session_ops.c. Not a transport and not a channel: bytes and
 * patterns are channel.c's business. */
#include "session_int.h"
#include "clock.h"
#include "log.h"
#include "secret.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Any line that looks like a prompt (a letter or digit in it, so hash-art is not one): used only
 * while opening, to learn unusual prompts, and only once it has stood still (SETTLE_MS). */
#define PROMPT_LIKE "^(?=[^\\n]*[[:alnum:]])[^\\n]{1,200}[>#$%]\\s?$"
#define SETTLE_MS 300
#define CRED_SETTLE_MS 50 /* the first login question stands still this long (see telnet.c) */
static na_pattern *prompt_like;
static pthread_once_t prompt_like_once = PTHREAD_ONCE_INIT;
static void prompt_like_init(void) { prompt_like = na_pattern_new(PROMPT_LIKE, 0, NULL); }

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

int na_sess_s_err(na_err *err, na_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    na_err_vset_exact(err, code, fmt, ap);
    va_end(ap);
    return -1;
}

char *na_sess_typed_masked(const char *text)
{
    return text ? na_redact_dup(text, strlen(text)) : NULL;
}

void na_sess_collect_async(na_session *s)
{
    size_t n;
    unsigned dropped;
    char **v = na_channel_take_async(s->ch, &n, &dropped);
    if (dropped)
        NA_LOGI(s->name, "%u more asynchronous messages not kept", dropped);
    if (!v)
        return;
    char **all = realloc(s->res.async, (s->res.nasync + n) * sizeof *all);
    if (!all) {
        for (size_t i = 0; i < n; i++)
            free(v[i]);
        free(v);
        return;
    }
    memcpy(all + s->res.nasync, v, n * sizeof *v);
    s->res.async = all;
    s->res.nasync += n;
    free(v);
}

const char *na_sess_mode_name(const na_session *s, size_t mode)
{
    return mode < s->p->nmodes ? s->p->modes[mode].name : "?";
}

/* ---- prompts ---- */

/* Rebuild the prompt list: learned prompts first, then the platform's, then the catch-all. */
static int build_prompts(na_session *s, na_err *err)
{
    size_t n = s->nlearned + s->p->nmodes;
    const na_pattern **pr = calloc(n + 1, sizeof *pr);
    size_t *pm = calloc(n + 1, sizeof *pm);
    if (!pr || !pm) {
        free(pr);
        free(pm);
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    }
    size_t k = 0;
    for (size_t i = 0; i < s->nlearned; i++, k++) {
        pr[k] = s->learned[i];
        pm[k] = s->lmode[i];
    }
    for (size_t i = 0; i < s->p->nmodes; i++, k++) {
        pr[k] = s->p->modes[i].prompt;
        pm[k] = i;
    }
    pr[k] = prompt_like;
    pm[k] = NA_NO_MODE;
    free(s->prompts);
    free(s->pmode);
    s->prompts = pr;
    s->pmode = pm;
    s->nprompts = n;
    return 0;
}

static int add_learned(na_session *s, na_pattern *pat, size_t mode, na_err *err)
{
    na_pattern **nl = realloc(s->learned, (s->nlearned + 1) * sizeof *nl);
    if (nl)
        s->learned = nl;
    size_t *nm = nl ? realloc(s->lmode, (s->nlearned + 1) * sizeof *nm) : NULL;
    if (nm)
        s->lmode = nm;
    if (!nl || !nm) {
        na_pattern_free(pat);
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    }
    s->learned[s->nlearned] = pat;
    s->lmode[s->nlearned] = mode;
    s->nlearned++;
    return build_prompts(s, err);
}

/* Prompt learning (documented in docs/platforms.md): the repeated last line L matched no mode.
 * 1. Each mode whose prompt uses {host} is tried with {host} standing for any text; the first
 *    that matches L gives the mode, and the text it took is the device's host name.
 * 2. Every such mode then also gets its prompt with {host} replaced by that host name (quoted),
 *    so mode changes are recognised too (sw!1> -> sw!1# -> sw!1(config)#).
 * 3. If no mode matches even then, L itself (trailing spaces optional) becomes the prompt, in an
 *    unknown mode: commands run where the device is; mode changes fail with NA_E_PROMPT. */
/* Steps 1-2 below: 1 = the host name was found and the prompts specialised, 0 = no mode with
 * {host} matches, -1 = OOM. */
int na_sess_learn_host(na_session *s, const char *line, size_t *mode_out, na_err *err)
{
    size_t ll = strlen(line);
    char *host = NULL;
    size_t mode = NA_NO_MODE;
    for (size_t i = 0; i < s->p->nmodes && !host; i++) {
        const char *src = s->p->modes[i].prompt_src;
        if (!strstr(src, "{host}"))
            continue;
        char *loose = na_platform_subst_host(src, "(.{1,128}?)");
        na_pattern *lp = loose ? na_pattern_new(loose, 0, NULL) : NULL;
        free(loose);
        size_t a, b;
        if (lp && na_pattern_find(lp, s->m, line, ll, false, NULL, NULL) &&
            na_matcher_group(s->m, 1, &a, &b) && b > a) {
            host = strndup(line + a, b - a);
            mode = i;
        }
        na_pattern_free(lp);
    }
    if (!host)
        return 0;
    char *q = na_regex_quote(host, strlen(host));
    if (!q) {
        free(host);
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < s->p->nmodes; i++) {
        const char *src = s->p->modes[i].prompt_src;
        if (!strstr(src, "{host}"))
            continue;
        char *spec = na_platform_subst_host(src, q);
        na_pattern *pat = spec ? na_pattern_new(spec, 0, err) : NULL;
        free(spec);
        if (!pat || add_learned(s, pat, i, err) < 0) {
            free(q);
            free(host);
            return na_err_set(err, NA_E_NOMEM, "out of memory");
        }
    }
    NA_LOGI(s->name, "learned prompt '%s': host '%s', mode %s", line, host,
            na_sess_mode_name(s, mode));
    free(q);
    free(host);
    *mode_out = mode;
    return 1;
}

int na_sess_learn_prompt(na_session *s, const char *line, na_err *err)
{
    free(s->learned_prompt);
    s->learned_prompt = strdup(line);
    size_t ll = strlen(line), mode;
    int lh = na_sess_learn_host(s, line, &mode, err);
    if (lh < 0)
        return -1;
    if (lh > 0) {
        s->mode = mode;
        return 0;
    }
    size_t tl = ll;
    while (tl > 0 && (line[tl - 1] == ' ' || line[tl - 1] == '\t'))
        tl--;
    char *q = na_regex_quote(line, tl);
    char *src = NULL;
    if (q && asprintf(&src, "^%s\\s*$", q) < 0)
        src = NULL;
    free(q);
    na_pattern *pat = src ? na_pattern_new(src, 0, err) : NULL;
    free(src);
    if (!pat || add_learned(s, pat, NA_NO_MODE, err) < 0)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    NA_LOGW(s->name, "learned prompt '%s' matches no mode of platform %s: commands run where the "
            "device is, mode changes are not possible", line, s->p->name);
    s->mode = NA_NO_MODE;
    return 0;
}

/* ---- lifecycle ---- */

na_session *na_session_new(na_transport *t, const na_platform *p, const na_session_opts *o,
                           na_err *err)
{
    static const na_session_opts none;
    if (!o)
        o = &none;
    if (!t) {
        na_err_set(err, NA_E_INTERNAL, "na_session_new: no transport");
        return NULL;
    }
    if (!p) {
        t->ops->destroy(t);
        na_err_set(err, NA_E_INTERNAL, "na_session_new: no platform");
        return NULL;
    }
    pthread_once(&prompt_like_once, prompt_like_init);
    const na_conn_params *cp = t->params;
    na_session *s = calloc(1, sizeof *s);
    if (!s || !prompt_like) {
        free(s);
        t->ops->destroy(t);
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    const char *name = o->name ? o->name : cp && cp->name ? cp->name : "device";
    const char *user = o->username ? o->username : cp ? cp->username : NULL;
    const char *pass = o->password ? o->password : cp ? cp->password : NULL;
    s->p = p;
    s->t = t;
    s->name = strdup(name);
    s->username = dup_or_null(user);
    s->password = pass ? na_secret_dup(pass) : NULL;
    s->secret = o->secret ? na_secret_dup(o->secret) : NULL;
    s->m = na_matcher_new(err);
    const na_timeouts *to = cp ? &cp->timeouts : NULL;
    s->open_timeout_ms = o->open_timeout_ms;
    s->shell_timeout_ms = na_timeout_ms(to, NA_PHASE_SHELL);
    s->cmd_timeout_ms = o->command_timeout_ms > 0 ? o->command_timeout_ms
                                                   : na_command_timeout_ms(to);
    s->max_output = o->max_output ? o->max_output : NA_CHANNEL_DEFAULT_MAX_OUTPUT;
    s->skip_on_open = o->skip_on_open;
    s->tr = o->transcript;
    s->mode = NA_NO_MODE;
    s->x.refused = -1;
    na_channel_opts co = {.name = name, .max_output = s->max_output, .transcript = o->transcript};
    s->ch = na_channel_new(t, &co, err); /* owns t from here, even on failure */
    if (!s->name || (user && !s->username) || (pass && !s->password) ||
        (o->secret && !s->secret) || !s->m || !s->ch || build_prompts(s, err) < 0) {
        if (!s->ch)
            s->t = NULL;
        na_err_set(err, NA_E_NOMEM, "out of memory");
        na_session_free(s);
        return NULL;
    }
    if (p->login.username) {
        s->login_ans[s->nlogin++] = (na_panswer){
            .prompt = p->login.username, .reply = "${username}", .newline = true, .max = 1};
    }
    if (p->login.password) {
        s->login_ans[s->nlogin++] = (na_panswer){.prompt = p->login.password,
                                                 .reply = "${password}",
                                                 .newline = true,
                                                 .secret = true,
                                                 .max = 1};
    }
    return s;
}

void na_session_free(na_session *s)
{
    if (!s)
        return;
    na_sess_op_cleanup(s);
    na_sess_x_end(s);
    if (s->ch)
        na_channel_free(s->ch); /* destroys the transport */
    else if (s->t)
        s->t->ops->destroy(s->t);
    na_result_free(&s->res);
    for (size_t i = 0; i < s->nlearned; i++)
        na_pattern_free(s->learned[i]);
    free(s->learned);
    free(s->lmode);
    free(s->learned_prompt);
    free(s->prompts);
    free(s->pmode);
    na_matcher_free(s->m);
    free(s->prompt);
    free(s->first_line);
    na_secret_free(s->password);
    na_secret_free(s->secret);
    free(s->username);
    free(s->name);
    free(s);
}

void na_result_free(na_result *r)
{
    if (!r)
        return;
    free(r->command);
    free(r->output);
    free(r->device_error);
    for (size_t i = 0; i < r->nlines; i++) {
        free(r->lines[i].line);
        free(r->lines[i].output);
    }
    free(r->lines);
    for (size_t i = 0; i < r->nasync; i++)
        free(r->async[i]);
    free(r->async);
    memset(r, 0, sizeof *r);
}

/* ---- one exchange ---- */

/* ${secret} ${password} ${username} -> text. NULL with *missing set when a value is not
 * configured; NULL without it on OOM. */
static char *expand(na_session *s, const char *tpl, bool *missing)
{
    *missing = false;
    size_t cap = strlen(tpl) + 1;
    const char *vals[3] = {s->secret, s->password, s->username};
    static const char *const names[3] = {"${secret}", "${password}", "${username}"};
    for (int i = 0; i < 3; i++)
        if (strstr(tpl, names[i])) {
            if (!vals[i] || !*vals[i]) {
                *missing = true;
                return NULL;
            }
            cap += strlen(vals[i]) * 4;
        }
    char *out = malloc(cap);
    if (!out)
        return NULL;
    size_t o = 0;
    for (const char *p = tpl; *p;) {
        int hit = -1;
        for (int i = 0; i < 3 && hit < 0; i++)
            if (!strncmp(p, names[i], strlen(names[i])))
                hit = i;
        if (hit >= 0) {
            size_t l = strlen(vals[hit]);
            memcpy(out + o, vals[hit], l);
            o += l;
            p += strlen(names[hit]);
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
    return out;
}

static int add_reply(na_session *s, const na_panswer *a, int settle_ms, na_err *err)
{
    xchg *x = &s->x;
    if (x->e.nreplies >= MAX_REPLIES)
        return 0; /* silently bounded: more answers than this is not a real platform */
    bool missing;
    char *text = expand(s, a->reply, &missing);
    if (!text && !missing)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    if (text)
        x->texts[x->ntexts++] = text;
    x->replies[x->e.nreplies++] = (na_reply){
        .prompt = a->prompt,
        .text = text,
        .newline = a->newline,
        .secret = a->secret,
        .max_uses = a->max,
        .settle_ms = settle_ms,
    };
    return 0;
}

/* A line holding registered secrets (vault values in a config line): each secret goes out as a
 * write of its own flagged secret (never recorded), and its echo is masked in the transcript. */
static int write_with_secrets(na_session *s, const char *line, size_t ll, const char *nl,
                              size_t (*sp)[2], size_t ns, na_err *we)
{
    size_t at = 0;
    for (size_t i = 0; i < ns; i++) {
        if (sp[i][0] > at && na_channel_write(s->ch, line + at, sp[i][0] - at, false, we) < 0)
            return -1;
        if (na_channel_write(s->ch, line + sp[i][0], sp[i][1] - sp[i][0], true, we) < 0)
            return -1; /* (its echo is masked: see na_channel_write) */
        at = sp[i][1];
    }
    size_t nn = strlen(nl), tl = ll - at;
    char *b = malloc(tl + nn + 1);
    if (!b)
        return na_err_set(we, NA_E_NOMEM, "out of memory");
    memcpy(b, line + at, tl);
    memcpy(b + tl, nl, nn);
    int rc = na_channel_write(s->ch, b, tl + nn, false, we);
    free(b);
    return rc;
}

int na_sess_send_line(na_session *s, const char *line, bool secret, na_err *err)
{
    const char *nl = s->p->newline;
    size_t ll = strlen(line), nn = strlen(nl);
    size_t sp[8][2], ns = secret ? 0 : na_secret_spans(line, ll, sp, 8);
    na_err we = NA_ERR_INIT;
    int rc;
    if (ns) {
        rc = write_with_secrets(s, line, ll, nl, sp, ns, &we);
        if (rc == 0) {
            s->lines_sent++;
            return 0;
        }
        if (we.code == NA_E_NOMEM)
            return na_err_set(err, NA_E_NOMEM, "out of memory");
        goto failed;
    }
    char small[512];
    char *b = ll + nn <= sizeof small ? small : malloc(ll + nn);
    if (!b)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    memcpy(b, line, ll);
    memcpy(b + ll, nl, nn);
    rc = na_channel_write(s->ch, b, ll + nn, secret, &we);
    if (secret)
        na_wipe(b, ll + nn);
    if (b != small)
        free(b);
    if (rc == 0) {
        s->lines_sent++;
        return 0;
    }
failed:
    s->broken = true; /* a write the transport refused (closed, full): out of step */
    if (we.code != NA_E_CLOSED)
        return na_err_set(err, we.code ? we.code : NA_E_INTERNAL, "%s", we.msg);
    /* The transport saw the close already (with the last prompt): say where we were, as a
     * close seen while waiting for a prompt does. */
    char last[200], what[160];
    na_channel_last_line(s->ch, last, sizeof last);
    if (secret) {
        snprintf(what, sizeof what, "a secret");
    } else if (!*line) {
        snprintf(what, sizeof what, "an empty line");
    } else {
        char *m = na_sess_typed_masked(line);
        snprintf(what, sizeof what, "'%.120s'", m ? m : "?");
        free(m);
    }
    return na_sess_s_err(err, NA_E_CLOSED,
                      "%s: the device closed the connection before %s could be sent; "
                      "last line: '%s'",
                      s->name, what, last);
}

int na_sess_x_start(na_session *s, const xspec *sp, na_err *err)
{
    na_sess_x_end(s);
    xchg *x = &s->x;
    memset(&x->e, 0, sizeof x->e);
    x->refused = -1;
    x->recover = sp->recover;
    x->cmd = na_sess_typed_masked(sp->cmd); /* for messages: what netauto typed, secrets masked */
    x->cmd_src = sp->cmd;
    if (sp->cmd && !x->cmd)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    x->active = true;
    if (sp->cmd_answers)
        for (size_t i = 0; i < s->ncmd_ans; i++)
            if (add_reply(s, &s->cmd_ans[i], 0, err) < 0)
                return -1;
    for (size_t i = 0; i < sp->nextra; i++)
        if (add_reply(s, &sp->extra[i], 0, err) < 0)
            return -1;
    if (sp->login)
        for (size_t i = 0; i < s->nlogin; i++)
            if (add_reply(s, &s->login_ans[i], CRED_SETTLE_MS, err) < 0)
                return -1;
    for (size_t i = 0; i < s->p->nanswers; i++)
        if (add_reply(s, &s->p->answers[i], 0, err) < 0)
            return -1;
    na_expect *e = &x->e;
    e->prompts = s->prompts;
    e->nprompts = s->nprompts + (sp->open_prompts ? 1 : 0);
    e->pagers = (const na_pattern *const *)s->p->pagers;
    e->npagers = s->p->npagers;
    e->pager_reply = s->p->pager_reply;
    e->replies = x->replies;
    e->newline = s->p->newline;
    e->echo = sp->echo;
    e->echo_optional = s->no_echo && sp->echo && *sp->echo;
    e->next_echo = s->no_echo ? NULL : sp->next_echo;
    e->prompt_lines = s->p->prompt_lines;
    e->asyncs = (const na_pattern *const *)s->p->asyncs;
    e->nasyncs = s->p->nasyncs;
    e->strip_async = sp->strip_async;
    if (sp->open_prompts) { /* the catch-all must stand still: a banner line is not a prompt */
        e->settle_from = s->nprompts;
        e->settle_ms = SETTLE_MS;
    }
    e->cmd = x->cmd;
    e->phase = sp->phase;
    e->timeout_ms = sp->timeout_ms > 0 ? sp->timeout_ms : s->cmd_timeout_ms;
    e->deadline_ms = sp->deadline_ms > 0 ? sp->deadline_ms : na_now_ms() + e->timeout_ms;
    e->max_output = sp->max_output ? sp->max_output : s->max_output;
    if (sp->send && na_sess_send_line(s, sp->send, false, err) < 0)
        return -1;
    x->t0_us = na_now_us();
    na_channel_begin(s->ch, e);
    return 0;
}

void na_sess_x_end(na_session *s)
{
    xchg *x = &s->x;
    for (size_t i = 0; i < x->ntexts; i++) {
        na_wipe(x->texts[i], strlen(x->texts[i]));
        free(x->texts[i]);
    }
    x->ntexts = 0;
    free(x->cmd);
    x->cmd = NULL;
    x->cmd_src = NULL;
    free(x->refused_prompt);
    x->refused_prompt = NULL;
    x->active = false;
}

void na_sess_set_prompt(na_session *s)
{
    char *pr = na_channel_prompt(s->ch);
    if (pr) {
        free(s->prompt);
        s->prompt = pr;
    }
}

/* Drive the exchange. NA_OK = a prompt ended it (check x.refused); NA_ERROR = the stream is out
 * of step (timeout, close, overflow, transport) or a refusal could not be recovered from. */
na_status na_sess_x_step(na_session *s, na_err *err)
{
    xchg *x = &s->x;
    na_status st = na_channel_step(s->ch, err);
    while (st == NA_OK) {
        const na_expect_result *r = na_channel_result(s->ch);
        if (r->kind == NA_HIT_PROMPT) {
            if (x->e.echo && *x->e.echo && !r->echoed && !s->no_echo) {
                s->no_echo = true;
                NA_LOGI(s->name, "the device does not echo commands; not waiting for echoes");
            } else if (s->no_echo && x->e.echo_optional && r->echoed) {
                s->no_echo = false;
                NA_LOGI(s->name, "the device echoes commands again; waiting for echoes");
            }
            size_t idx = r->index;
            if (idx < s->nprompts)
                s->mode = s->pmode[idx];
            na_sess_set_prompt(s);
            return NA_OK;
        }
        na_reply *rp = &x->replies[r->index];
        char last[200];
        na_channel_last_line(s->ch, last, sizeof last);
        if (x->refused < 0) {
            x->refused = (int)r->index;
            x->refused_kind = r->kind;
            x->refused_secret = rp->secret || !rp->text;
            x->refused_prompt = strdup(last);
        } else if (rp->text && !*rp->text && !rp->secret) {
            /* already answering empty lines and still asked: give up */
            s->broken = true;
            na_sess_s_err(err, NA_E_PROMPT, "%s: '%s' keeps asking '%s'", s->name,
                  x->cmd ? x->cmd : "login", last);
            return NA_ERROR;
        }
        if (!x->recover) {
            s->broken = true;
            if (r->kind == NA_HIT_UNANSWERED)
                na_sess_s_err(err, NA_E_AUTH,
                      "%s: the device asks '%s' but no username/password is configured", s->name,
                      last);
            else
                na_sess_s_err(err, NA_E_AUTH, "%s: login refused (asked '%s' again)", s->name,
                              last);
            return NA_ERROR;
        }
        NA_LOGD(s->name, "'%s' %s at '%s': answering empty lines until a prompt returns",
                x->cmd ? x->cmd : "?", r->kind == NA_HIT_UNANSWERED ? "cannot be answered"
                                                                    : "was refused",
                last);
        rp->text = "";
        rp->secret = false;
        rp->newline = true;
        rp->uses = 0;
        rp->max_uses = 4;
        na_channel_resume(s->ch);
        st = na_channel_step(s->ch, err);
    }
    if (st == NA_ERROR)
        s->broken = true;
    return st;
}

/* The line holding the earliest failure-pattern match in the first FAILURE_SCAN bytes. */
char *na_sess_find_device_error(na_session *s, const char *out, size_t len)
{
    size_t n = len < FAILURE_SCAN ? len : FAILURE_SCAN;
    size_t best = (size_t)-1;
    for (size_t i = 0; i < s->p->nfailures; i++) {
        size_t ms;
        if (na_pattern_find(s->p->failures[i], s->m, out, n, false, &ms, NULL) && ms < best)
            best = ms;
    }
    if (best == (size_t)-1)
        return NULL;
    size_t a = best, b = best;
    while (a > 0 && out[a - 1] != '\n')
        a--;
    while (b < len && out[b] != '\n')
        b++;
    while (b > a && (out[b - 1] == ' ' || out[b - 1] == '\t'))
        b--;
    return strndup(out + a, b - a);
}

char *na_sess_find_config_error(na_session *s, const char *out, size_t len)
{
    const na_platform *p = s->p;
    if (!p->config_errors.match)
        return NULL;
    size_t n = len < FAILURE_SCAN ? len : FAILURE_SCAN;
    for (size_t a = 0; a < n;) {
        const char *nl = memchr(out + a, '\n', n - a);
        size_t b = nl ? (size_t)(nl - out) : n;
        bool hit = na_pattern_find(p->config_errors.match, s->m, out + a, b - a, false, NULL, NULL);
        for (size_t i = 0; hit && i < p->config_errors.nexcept; i++)
            hit = !na_pattern_find(p->config_errors.except[i], s->m, out + a, b - a, false, NULL,
                                   NULL);
        if (hit) {
            while (b > a && (out[b - 1] == ' ' || out[b - 1] == '\t'))
                b--;
            return strndup(out + a, b - a);
        }
        a = b + 1;
    }
    return NULL;
}

/* The last non-empty line of out (for messages when no failure pattern matched). */
static char *last_nonempty(const char *out, size_t len)
{
    size_t b = len;
    while (b > 0 && (out[b - 1] == '\n' || out[b - 1] == ' '))
        b--;
    size_t a = b;
    while (a > 0 && out[a - 1] != '\n')
        a--;
    return strndup(out + a, b - a);
}

/* ---- walking between modes ---- */

int na_sess_walk_begin(na_session *s, size_t target, na_err *err)
{
    walk *w = &s->w;
    memset(w, 0, sizeof *w);
    if (target == NA_NO_MODE || target == s->mode)
        return 0;
    if (s->mode == NA_NO_MODE)
        return na_err_set(err, NA_E_PROMPT,
                          "%s: cannot tell which mode the device is in (prompt '%s' matches no "
                          "mode of platform %s), so cannot go to mode '%s'",
                          s->name, s->prompt ? s->prompt : "", s->p->name,
                          na_sess_mode_name(s, target));
    int n = na_platform_route(s->p, s->mode, target, w->path, MAX_ROUTE);
    if (n < 0)
        return na_err_set(err, NA_E_CONFIG, "%s: platform %s has no way from mode '%s' to '%s'",
                          s->name, s->p->name, na_sess_mode_name(s, s->mode),
                          na_sess_mode_name(s, target));
    w->n = n;
    w->target = target;
    w->active = n > 0;
    return 0;
}

na_status na_sess_walk_step(na_session *s, na_err *err)
{
    walk *w = &s->w;
    while (w->active) {
        const na_ptransition *tr = &s->p->transitions[w->path[w->i]];
        if (!s->x.active) {
            xspec sp = {.send = tr->send,
                        .echo = tr->send,
                        .extra = tr->answers,
                        .nextra = tr->nanswers,
                        .recover = true,
                        .strip_async = true,
                        .cmd = tr->send};
            na_transcript_comment(s->tr, "mode %s -> %s: %s", na_sess_mode_name(s, tr->from),
                                  na_sess_mode_name(s, tr->to), tr->send);
            if (na_sess_x_start(s, &sp, err) < 0)
                return NA_ERROR;
        }
        na_status st = na_sess_x_step(s, err);
        if (st != NA_OK)
            return st;
        size_t len;
        char *out = na_channel_take_output(s->ch, &len, err);
        if (!out)
            return NA_ERROR;
        char *devmsg = na_sess_find_device_error(s, out, len);
        int refused = s->x.refused;
        bool refused_secret = s->x.refused_secret;
        bool unanswered = s->x.refused_kind == NA_HIT_UNANSWERED;
        char *asked = s->x.refused_prompt ? strdup(s->x.refused_prompt) : NULL;
        na_sess_x_end(s);
        int rc = 0;
        if (refused >= 0 && unanswered) {
            rc = na_sess_s_err(err, NA_E_AUTH,
                            "%s: '%s' asks '%s' but no %s is configured", s->name, tr->send,
                            asked ? asked : "?",
                            refused_secret ? "secret (enable password)" : "answer");
        } else if (refused >= 0) {
            if (!devmsg)
                devmsg = last_nonempty(out, len);
            rc = na_sess_s_err(err, refused_secret ? NA_E_AUTH : NA_E_DEVICE,
                            "%s: '%s' was refused%s: %s", s->name, tr->send,
                            refused_secret ? " (wrong secret?)" : "", devmsg ? devmsg : "");
        } else if (s->mode != tr->to) {
            rc = na_sess_s_err(err, devmsg ? NA_E_DEVICE : NA_E_PROMPT,
                            "%s: '%s' left the device in mode '%s' instead of '%s'%s%s", s->name,
                            tr->send, na_sess_mode_name(s, s->mode), na_sess_mode_name(s, tr->to),
                            devmsg ? ": " : "", devmsg ? devmsg : "");
        }
        free(asked);
        free(devmsg);
        free(out);
        if (rc < 0) {
            w->active = false;
            return NA_ERROR;
        }
        if (++w->i >= w->n)
            w->active = false;
    }
    return NA_OK;
}

/* ---- event-loop plumbing ---- */

static bool opening_transport(const na_session *s)
{
    return s->op == OP_OPEN && s->phase == PH_OPEN_TRANSPORT;
}

int na_session_fd(const na_session *s)
{
    return opening_transport(s) ? s->t->ops->fd(s->t) : na_channel_fd(s->ch);
}

int na_session_want(const na_session *s)
{
    return opening_transport(s) ? s->t->ops->want(s->t) : na_channel_want(s->ch);
}

int64_t na_session_deadline(const na_session *s)
{
    if (s->kick)
        return na_now_ms(); /* just started: step right away */
    if (opening_transport(s)) {
        int64_t d = s->t->deadline_ms;
        if (s->op_deadline_ms > 0 && (d <= 0 || s->op_deadline_ms < d))
            d = s->op_deadline_ms;
        if (s->t->wake_ms > 0 && (d <= 0 || s->t->wake_ms < d))
            d = s->t->wake_ms;
        return d;
    }
    return s->x.active ? na_channel_wake(s->ch) : 0;
}

bool na_session_busy(const na_session *s) { return s->op != OP_NONE; }

na_status na_session_step(na_session *s, na_err *err)
{
    if (s->op == OP_NONE)
        return na_err_set(err, NA_E_INTERNAL, "%s: no operation in progress", s->name), NA_ERROR;
    na_status st = na_sess_op_step(s);
    if (st == NA_ERROR)
        na_err_set_exact(err, s->op_err.code ? s->op_err.code : NA_E_INTERNAL, "%s",
                         s->op_err.code ? s->op_err.msg : "operation failed");
    return st;
}

void na_session_take_result(na_session *s, na_result *out)
{
    *out = s->res;
    memset(&s->res, 0, sizeof s->res);
}

int na_session_wait(na_session *s, na_err *err)
{
    for (;;) {
        na_status st = na_session_step(s, err);
        if (st == NA_OK)
            return 0;
        if (st == NA_ERROR)
            return -1;
        int fd = na_session_fd(s), want = na_session_want(s);
        struct pollfd pfd = {.fd = fd, .events = 0};
        if (want & NA_WANT_READ)
            pfd.events |= POLLIN;
        if (want & NA_WANT_WRITE)
            pfd.events |= POLLOUT;
        int64_t ms = na_ms_until(na_session_deadline(s));
        if (ms > 60000 || ms < 0)
            ms = 60000; /* re-check at least every minute; step() enforces the deadlines */
        int r = poll(&pfd, fd >= 0 && pfd.events ? 1 : 0, (int)ms);
        if (r < 0 && errno != EINTR) {
            na_err_set(err, NA_E_IO, "%s: poll: %s", s->name, strerror(errno));
            return -1;
        }
    }
}

static int run(na_session *s, int started, na_result *out, na_err *err)
{
    int rc = started < 0 ? -1 : na_session_wait(s, err);
    if (out) {
        na_session_take_result(s, out);
    } else {
        na_result_free(&s->res);
    }
    return rc;
}

int na_session_open(na_session *s, na_err *err)
{
    return run(s, na_session_start_open(s, err), NULL, err);
}

int na_session_command(na_session *s, const char *cmd, const na_cmd_opts *o, na_result *out,
                       na_err *err)
{
    return run(s, na_session_start_command(s, cmd, o, err), out, err);
}

int na_session_config(na_session *s, const char *const *lines, size_t n, const na_config_opts *o,
                      na_result *out, na_err *err)
{
    return run(s, na_session_start_config(s, lines, n, o, err), out, err);
}

int na_session_save(na_session *s, na_result *out, na_err *err)
{
    return run(s, na_session_start_save(s, err), out, err);
}

int na_session_enter_mode(na_session *s, const char *mode, na_err *err)
{
    return run(s, na_session_start_mode(s, mode, err), NULL, err);
}

void na_session_close(na_session *s)
{
    if (s->closed)
        return;
    s->closed = true;
    s->t->ops->close(s->t);
}

/* ---- state ---- */

const char *na_session_name(const na_session *s) { return s->name; }
const char *na_session_mode(const na_session *s) { return na_sess_mode_name(s, s->mode); }
const char *na_session_prompt(const na_session *s) { return s->prompt ? s->prompt : ""; }
const char *na_session_learned_prompt(const na_session *s) { return s->learned_prompt; }
const na_platform *na_session_platform(const na_session *s) { return s->p; }
na_transport *na_session_transport(const na_session *s) { return s->t; }

size_t na_session_lines_answered(const na_session *s)
{
    return s->op == OP_CONFIG ? s->done : 0;
}

bool na_session_usable(const na_session *s)
{
    return s->opened && !s->broken && !s->closed && !s->raw;
}

void na_session_stats_get(const na_session *s, na_session_stats *st)
{
    na_channel_stats cs;
    na_channel_stats_get(s->ch, &cs);
    memset(st, 0, sizeof *st);
    st->transport_us = s->transport_us;
    st->first_prompt_us = s->first_prompt_us;
    st->open_us = s->open_us;
    st->last_op_us = s->last_op_us;
    st->bytes_in = cs.bytes_in;
    st->bytes_out = cs.bytes_out;
    st->lines_sent = s->lines_sent;
    st->pages = cs.pages;
}

/* ---- raw access ---- */

na_status na_session_raw_read(na_session *s, char *buf, size_t cap, size_t *n, na_err *err)
{
    if (s->op != OP_NONE)
        return na_err_set(err, NA_E_INTERNAL, "%s: raw read during an operation", s->name),
               NA_ERROR;
    s->raw = true;
    return na_channel_read_raw(s->ch, buf, cap, n, err);
}

int na_session_raw_write(na_session *s, const char *p, size_t n, na_err *err)
{
    if (s->op != OP_NONE)
        return na_err_set(err, NA_E_INTERNAL, "%s: raw write during an operation", s->name);
    s->raw = true;
    if (na_channel_write(s->ch, p, n, false, err) < 0)
        return -1;
    return na_channel_flush(s->ch, err) == NA_ERROR ? -1 : 0;
}
