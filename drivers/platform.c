/* platform.c — loading one platform YAML file into a validated, compiled na_platform (format in
 * docs/platforms.md), and the graph queries on it (mode by name, prompt to mode, routes between
 * modes). Not the registry (platform_registry.c) and not a driver (session.c). */
#include "platform.h"
#include "buf.h"
#include "platform_int.h"
#include "ydoc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MODES 32
#define MAX_ITEMS 256

typedef struct loader {
    na_ydoc *d;
    na_platform *p;
    na_err *err;
} loader;

static char *xstrdup(loader *L, const char *s)
{
    char *c = strdup(s ? s : "");
    if (!c)
        na_err_set(L->err, NA_E_NOMEM, "out of memory");
    return c;
}

bool na_platform_name_ok(const char *s)
{
    if (!s || !*s || strlen(s) > 64)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
            return false;
    return true;
}

/* A string field (scalar, not null). */
static int get_str(loader *L, na_ynode *n, const char *field, const char **out)
{
    if (!na_yis_scalar(n) || na_yis_null(n))
        return na_yerr(L->err, L->d, n, "%s: expected a string", field);
    *out = na_yscalar(n);
    return 0;
}

static int dup_str(loader *L, na_ynode *n, const char *field, char **out)
{
    const char *s;
    if (get_str(L, n, field, &s) < 0)
        return -1;
    *out = xstrdup(L, s);
    return *out ? 0 : -1;
}

/* Replace every "{host}" in src by "(?:host)" (or by `with` verbatim when given). Caller frees. */
static char *subst_host(const char *src, const char *host, const char *with)
{
    na_buf b;
    na_buf_init(&b, 1 << 20);
    const char *p = src;
    for (;;) {
        const char *h = strstr(p, "{host}");
        if (!h) {
            if (na_buf_puts(&b, p, NULL) < 0)
                goto oom;
            break;
        }
        if (na_buf_append(&b, p, (size_t)(h - p), NULL, NULL) < 0)
            goto oom;
        int rc = with ? na_buf_puts(&b, with, NULL) : na_buf_printf(&b, NULL, "(?:%s)", host);
        if (rc < 0)
            goto oom;
        p = h + 6;
    }
    return na_buf_steal(&b);
oom:
    na_buf_free(&b);
    return NULL;
}

/* Lines a prompt pattern spans: 1 + its line breaks, written as \n (an escaped backslash before
 * the n does not count, nor does \n inside a character class: [^\n] is not a line break) or as
 * a literal newline. */
static unsigned pattern_lines(const char *src)
{
    unsigned n = 1;
    bool cls = false;
    for (const char *p = src; *p; p++) {
        if (*p == '\\' && p[1]) {
            if (p[1] == 'n' && !cls)
                n++;
            p++;
        } else if (*p == '[' && !cls) {
            cls = true;
            if (p[1] == '^')
                p++;
            if (p[1] == ']') /* a ] right after [ or [^ is a member */
                p++;
        } else if (*p == ']' && cls) {
            cls = false;
        } else if (*p == '\n' && !cls) {
            n++;
        }
    }
    return n;
}

static int compile(loader *L, na_ynode *n, const char *field, const char *src, unsigned flags,
                   na_pattern **out)
{
    na_err perr = NA_ERR_INIT;
    *out = na_pattern_new(src, flags, &perr);
    if (!*out)
        return na_yerr(L->err, L->d, n, "%s: %s", field, perr.msg);
    return 0;
}

static int get_pattern(loader *L, na_ynode *n, const char *field, unsigned flags, na_pattern **out)
{
    const char *s;
    if (get_str(L, n, field, &s) < 0)
        return -1;
    if (!*s)
        return na_yerr(L->err, L->d, n, "%s: empty pattern", field);
    return compile(L, n, field, s, flags, out);
}

static int get_seq(loader *L, na_ynode *n, const char *field, size_t *len)
{
    if (!na_yis_seq(n))
        return na_yerr(L->err, L->d, n, "%s: expected a list", field);
    *len = na_yseq_len(n);
    if (*len > MAX_ITEMS)
        return na_yerr(L->err, L->d, n, "%s: more than %d items", field, MAX_ITEMS);
    return 0;
}

static int get_mode(loader *L, na_ynode *n, const char *field, size_t *out)
{
    const char *s;
    if (get_str(L, n, field, &s) < 0)
        return -1;
    *out = na_platform_mode(L->p, s);
    if (*out != NA_NO_MODE)
        return 0;
    char list[256] = "";
    size_t o = 0;
    for (size_t i = 0; i < L->p->nmodes && o < sizeof list; i++)
        o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "", L->p->modes[i].name);
    return na_yerr(L->err, L->d, n, "%s: unknown mode '%s' (modes: %s)", field, s, list);
}

/* ${secret} ${password} ${username} only. */
static int check_reply(loader *L, na_ynode *n, const char *field, const char *reply, bool *secret)
{
    *secret = false;
    for (const char *p = strstr(reply, "${"); p; p = strstr(p + 2, "${")) {
        const char *e = strchr(p, '}');
        size_t k = e ? (size_t)(e - p - 2) : 0;
        if (e && k == 6 && !strncmp(p + 2, "secret", 6))
            *secret = true;
        else if (e && k == 8 && !strncmp(p + 2, "password", 8))
            *secret = true;
        else if (!(e && k == 8 && !strncmp(p + 2, "username", 8)))
            return na_yerr(L->err, L->d, n,
                           "%s: unknown variable in '%s' (use ${secret}, ${password} or "
                           "${username})",
                           field, reply);
    }
    return 0;
}

static int load_answers(loader *L, na_ynode *seq, const char *field, na_panswer **out, size_t *nout)
{
    size_t n;
    if (get_seq(L, seq, field, &n) < 0)
        return -1;
    *out = calloc(n ? n : 1, sizeof **out);
    if (!*out)
        return na_err_set(L->err, NA_E_NOMEM, "out of memory");
    *nout = n;
    static const char *const keys[] = {"prompt", "reply", "newline", "secret", "max", NULL};
    char f[128];
    for (size_t i = 0; i < n; i++) {
        na_ynode *it = na_yseq_item(L->d, seq, i);
        na_panswer *a = &(*out)[i];
        snprintf(f, sizeof f, "%s[%zu]", field, i);
        if (na_ycheck_keys(L->d, it, keys, f, L->err) < 0)
            return -1;
        na_ynode *pr = na_ymap_get(L->d, it, "prompt"), *re = na_ymap_get(L->d, it, "reply");
        if (!pr || !re)
            return na_yerr(L->err, L->d, it, "%s: needs 'prompt' and 'reply'", f);
        char ff[160];
        snprintf(ff, sizeof ff, "%s.prompt", f);
        if (get_pattern(L, pr, ff, 0, &a->prompt) < 0)
            return -1;
        snprintf(ff, sizeof ff, "%s.reply", f);
        if (!na_yis_scalar(re))
            return na_yerr(L->err, L->d, re, "%s: expected a string", ff);
        if (!(a->reply = xstrdup(L, na_yis_null(re) ? "" : na_yscalar(re))))
            return -1;
        if (check_reply(L, re, ff, a->reply, &a->secret) < 0)
            return -1;
        a->newline = true;
        a->max = a->secret ? 1 : 0;
        na_ynode *v;
        if ((v = na_ymap_get(L->d, it, "newline")) && na_ybool(L->d, v, &a->newline, L->err) < 0)
            return -1;
        if ((v = na_ymap_get(L->d, it, "secret")) && na_ybool(L->d, v, &a->secret, L->err) < 0)
            return -1;
        long mx;
        if ((v = na_ymap_get(L->d, it, "max"))) {
            if (na_ylong(L->d, v, 0, 100, &mx, L->err) < 0)
                return -1;
            a->max = (unsigned)mx;
        }
    }
    return 0;
}

static int load_patterns(loader *L, na_ynode *seq, const char *field, unsigned flags,
                         na_pattern ***out, size_t *nout)
{
    size_t n;
    if (get_seq(L, seq, field, &n) < 0)
        return -1;
    *out = calloc(n ? n : 1, sizeof **out);
    if (!*out)
        return na_err_set(L->err, NA_E_NOMEM, "out of memory");
    *nout = n;
    char f[128];
    for (size_t i = 0; i < n; i++) {
        snprintf(f, sizeof f, "%s[%zu]", field, i);
        if (get_pattern(L, na_yseq_item(L->d, seq, i), f, flags, &(*out)[i]) < 0)
            return -1;
    }
    return 0;
}

static int load_modes(loader *L, na_ynode *map)
{
    na_platform *p = L->p;
    if (!na_yis_map(map) || na_ymap_len(map) == 0)
        return na_yerr(L->err, L->d, map, "modes: expected a mapping of mode names to "
                                          "{prompt: ...} with at least one mode");
    size_t n = na_ymap_len(map);
    if (n > MAX_MODES)
        return na_yerr(L->err, L->d, map, "modes: more than %d modes", MAX_MODES);
    p->modes = calloc(n, sizeof *p->modes);
    p->prompts = calloc(n, sizeof *p->prompts);
    if (!p->modes || !p->prompts)
        return na_err_set(L->err, NA_E_NOMEM, "out of memory");
    static const char *const keys[] = {"prompt", NULL};
    p->prompt_lines = 1;
    for (size_t i = 0; i < n; i++) {
        na_ynode *k = na_ymap_key(L->d, map, i), *v = na_ymap_val(L->d, map, i);
        const char *name = na_yscalar(k);
        if (!na_platform_name_ok(name))
            return na_yerr(L->err, L->d, k, "modes: bad mode name '%s' (use a-z, 0-9, _ and -)",
                           name ? name : "?");
        char f[128];
        snprintf(f, sizeof f, "modes.%s", name);
        if (na_ycheck_keys(L->d, v, keys, f, L->err) < 0)
            return -1;
        na_ynode *pr = na_ymap_get(L->d, v, "prompt");
        if (!pr)
            return na_yerr(L->err, L->d, v, "%s: needs a 'prompt' pattern", f);
        na_pmode *m = &p->modes[i];
        if (!(m->name = xstrdup(L, name)))
            return -1;
        p->nmodes = i + 1;
        snprintf(f, sizeof f, "modes.%s.prompt", name);
        if (dup_str(L, pr, f, &m->prompt_src) < 0)
            return -1;
        if (!*m->prompt_src)
            return na_yerr(L->err, L->d, pr, "%s: empty pattern", f);
        char *src = subst_host(m->prompt_src, p->host, NULL);
        if (!src)
            return na_err_set(L->err, NA_E_NOMEM, "out of memory");
        na_err perr = NA_ERR_INIT;
        m->prompt = na_pattern_new(src, 0, &perr);
        if (!m->prompt) {
            /* name the pattern as written, not its {host} expansion */
            char head[64 + 1024];
            snprintf(head, sizeof head, "bad regular expression '%s': ", src);
            const char *rest = strncmp(perr.msg, head, strlen(head)) ? perr.msg
                                                                      : perr.msg + strlen(head);
            bool expanded = strcmp(src, m->prompt_src) != 0;
            free(src);
            return na_yerr(L->err, L->d, pr, "%s: bad regular expression '%s': %s%s", f,
                           m->prompt_src, rest, expanded ? " with {host} expanded" : "");
        }
        free(src);
        p->prompts[i] = m->prompt;
        unsigned pl = pattern_lines(m->prompt_src);
        if (pl > NA_PLATFORM_MAX_PROMPT_LINES)
            return na_yerr(L->err, L->d, pr, "%s: a prompt of %u lines (at most %d)", f, pl,
                           NA_PLATFORM_MAX_PROMPT_LINES);
        if (pl > p->prompt_lines)
            p->prompt_lines = pl;
    }
    return 0;
}

static int load_transitions(loader *L, na_ynode *seq)
{
    na_platform *p = L->p;
    size_t n;
    if (get_seq(L, seq, "transitions", &n) < 0)
        return -1;
    p->transitions = calloc(n ? n : 1, sizeof *p->transitions);
    if (!p->transitions)
        return na_err_set(L->err, NA_E_NOMEM, "out of memory");
    static const char *const keys[] = {"from", "to", "send", "answers", NULL};
    for (size_t i = 0; i < n; i++) {
        na_ynode *it = na_yseq_item(L->d, seq, i);
        char f[64];
        snprintf(f, sizeof f, "transitions[%zu]", i);
        if (na_ycheck_keys(L->d, it, keys, f, L->err) < 0)
            return -1;
        na_ptransition *t = &p->transitions[i];
        p->ntransitions = i + 1;
        na_ynode *fr = na_ymap_get(L->d, it, "from"), *to = na_ymap_get(L->d, it, "to"),
                 *se = na_ymap_get(L->d, it, "send"), *an = na_ymap_get(L->d, it, "answers");
        if (!fr || !to || !se)
            return na_yerr(L->err, L->d, it, "%s: needs 'from', 'to' and 'send'", f);
        char ff[96];
        snprintf(ff, sizeof ff, "%s.from", f);
        if (get_mode(L, fr, ff, &t->from) < 0)
            return -1;
        snprintf(ff, sizeof ff, "%s.to", f);
        if (get_mode(L, to, ff, &t->to) < 0)
            return -1;
        if (t->from == t->to)
            return na_yerr(L->err, L->d, to, "%s: 'from' and 'to' are the same mode", f);
        snprintf(ff, sizeof ff, "%s.send", f);
        if (dup_str(L, se, ff, &t->send) < 0)
            return -1;
        if (!*t->send)
            return na_yerr(L->err, L->d, se, "%s: empty command", ff);
        snprintf(ff, sizeof ff, "%s.answers", f);
        if (an && load_answers(L, an, ff, &t->answers, &t->nanswers) < 0)
            return -1;
    }
    return 0;
}

static int load_save(loader *L, na_ynode *map)
{
    na_platform *p = L->p;
    static const char *const keys[] = {"send", "mode", "answers", "success", "timeout", NULL};
    if (na_ycheck_keys(L->d, map, keys, "save", L->err) < 0)
        return -1;
    na_ynode *v = na_ymap_get(L->d, map, "send");
    if (!v)
        return na_yerr(L->err, L->d, map, "save: needs 'send' (the save command)");
    if (dup_str(L, v, "save.send", &p->save.send) < 0)
        return -1;
    p->save.mode = p->default_mode;
    if ((v = na_ymap_get(L->d, map, "mode")) && get_mode(L, v, "save.mode", &p->save.mode) < 0)
        return -1;
    if ((v = na_ymap_get(L->d, map, "answers")) &&
        load_answers(L, v, "save.answers", &p->save.answers, &p->save.nanswers) < 0)
        return -1;
    if ((v = na_ymap_get(L->d, map, "success")) &&
        get_pattern(L, v, "save.success", NA_PAT_MULTILINE, &p->save.success) < 0)
        return -1;
    double secs;
    if ((v = na_ymap_get(L->d, map, "timeout"))) {
        if (na_ydouble(L->d, v, 0.1, 86400, &secs, L->err) < 0)
            return -1;
        p->save.timeout_ms = (int)(secs * 1000);
    }
    return 0;
}

static int load_commit(loader *L, na_ynode *map)
{
    na_platform *p = L->p;
    static const char *const keys[] = {"send", "discard", "answers", "success", "timeout", NULL};
    if (na_ycheck_keys(L->d, map, keys, "commit", L->err) < 0)
        return -1;
    na_ynode *v = na_ymap_get(L->d, map, "send");
    if (!v)
        return na_yerr(L->err, L->d, map, "commit: needs 'send' (the commit command)");
    if (dup_str(L, v, "commit.send", &p->commit.send) < 0)
        return -1;
    if (!*p->commit.send)
        return na_yerr(L->err, L->d, v, "commit.send: empty command");
    if ((v = na_ymap_get(L->d, map, "discard"))) {
        if (dup_str(L, v, "commit.discard", &p->commit.discard) < 0)
            return -1;
        if (!*p->commit.discard)
            return na_yerr(L->err, L->d, v, "commit.discard: empty command");
    }
    if ((v = na_ymap_get(L->d, map, "answers")) &&
        load_answers(L, v, "commit.answers", &p->commit.answers, &p->commit.nanswers) < 0)
        return -1;
    if ((v = na_ymap_get(L->d, map, "success")) &&
        get_pattern(L, v, "commit.success", NA_PAT_MULTILINE, &p->commit.success) < 0)
        return -1;
    double secs;
    if ((v = na_ymap_get(L->d, map, "timeout"))) {
        if (na_ydouble(L->d, v, 0.1, 86400, &secs, L->err) < 0)
            return -1;
        p->commit.timeout_ms = (int)(secs * 1000);
    }
    return 0;
}

static int load_words(loader *L, na_ynode *n, const char *field, char ***out, size_t *nout)
{
    size_t n_;
    if (get_seq(L, n, field, &n_) < 0)
        return -1;
    if (!(*out = calloc(n_ ? n_ : 1, sizeof **out)))
        return na_err_set(L->err, NA_E_NOMEM, "out of memory");
    for (size_t i = 0; i < n_; i++) {
        char f[64];
        snprintf(f, sizeof f, "%s[%zu]", field, i);
        if (dup_str(L, na_yseq_item(L->d, n, i), f, &(*out)[i]) < 0)
            return -1;
        *nout = i + 1;
        if (!*(*out)[i])
            return na_yerr(L->err, L->d, na_yseq_item(L->d, n, i), "%s: empty", f);
    }
    return 0;
}

/* a command or a list of them */
static int load_cmds(loader *L, na_ynode *n, const char *field, char ***out, size_t *nout)
{
    if (na_yis_scalar(n)) {
        if (!(*out = calloc(1, sizeof **out)))
            return na_err_set(L->err, NA_E_NOMEM, "out of memory");
        if (dup_str(L, n, field, &(*out)[0]) < 0)
            return -1;
        *nout = 1;
        if (!*(*out)[0])
            return na_yerr(L->err, L->d, n, "%s: empty command", field);
        return 0;
    }
    if (load_words(L, n, field, out, nout) < 0)
        return -1;
    if (*nout == 0)
        return na_yerr(L->err, L->d, n, "%s: no command", field);
    return 0;
}

/* confirm: {enter | commit, confirm, rollback, mode} */
static int load_confirm(loader *L, na_ynode *map)
{
    na_platform *p = L->p;
    static const char *const keys[] = {"enter", "commit", "confirm", "rollback", "mode", NULL};
    if (na_ycheck_keys(L->d, map, keys, "confirm", L->err) < 0)
        return -1;
    p->confirm.mode = NA_NO_MODE;
    na_ynode *e = na_ymap_get(L->d, map, "enter"), *c = na_ymap_get(L->d, map, "commit");
    if (!e == !c)
        return na_yerr(L->err, L->d, map,
                       "confirm: needs 'enter' (a classic CLI's config mode with a timer) or "
                       "'commit' (a commit model's commit with a timer), not both");
    if (e && dup_str(L, e, "confirm.enter", &p->confirm.enter) < 0)
        return -1;
    if (c && dup_str(L, c, "confirm.commit", &p->confirm.commit) < 0)
        return -1;
    if (c && !p->commit.send)
        return na_yerr(L->err, L->d, c, "confirm.commit: the platform has no commit");
    na_ynode *v;
    if (!(v = na_ymap_get(L->d, map, "confirm")))
        return na_yerr(L->err, L->d, map, "confirm: needs 'confirm' (what keeps the change)");
    if (load_cmds(L, v, "confirm.confirm", &p->confirm.confirm, &p->confirm.nconfirm) < 0)
        return -1;
    if (!(v = na_ymap_get(L->d, map, "rollback")))
        return na_yerr(L->err, L->d, map, "confirm: needs 'rollback' (what undoes it at once)");
    if (load_cmds(L, v, "confirm.rollback", &p->confirm.rollback, &p->confirm.nrollback) < 0)
        return -1;
    if ((v = na_ymap_get(L->d, map, "mode")) && get_mode(L, v, "confirm.mode", &p->confirm.mode) < 0)
        return -1;
    return 0;
}

/* running_config: {show, startup, comments, ends} */
static int load_running(loader *L, na_ynode *map)
{
    na_platform *p = L->p;
    static const char *const keys[] = {"show", "startup", "comments", "ends", NULL};
    if (na_ycheck_keys(L->d, map, keys, "running_config", L->err) < 0)
        return -1;
    na_ynode *v = na_ymap_get(L->d, map, "show");
    if (!v)
        return na_yerr(L->err, L->d, map,
                       "running_config: needs 'show' (the command that prints it)");
    if (dup_str(L, v, "running_config.show", &p->running.show) < 0)
        return -1;
    if ((v = na_ymap_get(L->d, map, "startup")) &&
        dup_str(L, v, "running_config.startup", &p->running.startup) < 0)
        return -1;
    if ((v = na_ymap_get(L->d, map, "comments")) &&
        load_words(L, v, "running_config.comments", &p->running.comments,
                   &p->running.ncomments) < 0)
        return -1;
    if ((v = na_ymap_get(L->d, map, "ends")) &&
        load_words(L, v, "running_config.ends", &p->running.ends, &p->running.nends) < 0)
        return -1;
    return 0;
}

static int load_config_errors(loader *L, na_ynode *map)
{
    na_platform *p = L->p;
    static const char *const keys[] = {"match", "except", NULL};
    if (na_ycheck_keys(L->d, map, keys, "config_errors", L->err) < 0)
        return -1;
    na_ynode *v = na_ymap_get(L->d, map, "match");
    if (!v)
        return na_yerr(L->err, L->d, map, "config_errors: needs 'match' (a pattern for one line)");
    if (get_pattern(L, v, "config_errors.match", 0, &p->config_errors.match) < 0)
        return -1;
    if ((v = na_ymap_get(L->d, map, "except")) &&
        load_patterns(L, v, "config_errors.except", 0, &p->config_errors.except,
                      &p->config_errors.nexcept) < 0)
        return -1;
    return 0;
}

static int load(loader *L, const char *name_hint)
{
    na_ynode *root = na_ydoc_root(L->d);
    static const char *const keys[] = {"name",           "description",   "host",
                                       "newline",        "modes",         "default_mode",
                                       "config_mode",    "transitions",   "on_open",
                                       "failures",       "config_errors", "async_messages",
                                       "pager",          "answers",       "commit",
                                       "save",           "login",         "learn_host",
                                       "running_config", "confirm",
                                       "files", /* platform_files.c */
                                       NULL};
    if (!root)
        return na_yerr(L->err, L->d, NULL, "empty platform file");
    if (na_ycheck_keys(L->d, root, keys, "platform", L->err) < 0)
        return -1;
    na_platform *p = L->p;
    na_ynode *v = na_ymap_get(L->d, root, "name");
    if (!v)
        return na_yerr(L->err, L->d, root, "name: missing (the platform's name)");
    if (dup_str(L, v, "name", &p->name) < 0)
        return -1;
    if (!na_platform_name_ok(p->name))
        return na_yerr(L->err, L->d, v, "name: bad platform name '%s' (use a-z, 0-9, _ and -)",
                       p->name);
    if (name_hint && strcmp(name_hint, p->name) != 0)
        return na_yerr(L->err, L->d, v, "name: '%s' does not match the file name '%s.yaml'",
                       p->name, name_hint);
    if ((v = na_ymap_get(L->d, root, "description")) &&
        dup_str(L, v, "description", &p->description) < 0)
        return -1;
    if ((v = na_ymap_get(L->d, root, "host"))) {
        if (dup_str(L, v, "host", &p->host) < 0)
            return -1;
        na_pattern *tmp;
        if (compile(L, v, "host", p->host, 0, &tmp) < 0)
            return -1;
        na_pattern_free(tmp);
    } else if (!(p->host = xstrdup(L, NA_PLATFORM_DEFAULT_HOST))) {
        return -1;
    }
    if ((v = na_ymap_get(L->d, root, "learn_host")) &&
        na_ybool(L->d, v, &p->na_sess_learn_host, L->err) < 0)
        return -1;
    if ((v = na_ymap_get(L->d, root, "newline"))) {
        if (dup_str(L, v, "newline", &p->newline) < 0)
            return -1;
        if (!*p->newline)
            return na_yerr(L->err, L->d, v, "newline: must not be empty");
    } else if (!(p->newline = xstrdup(L, "\r"))) { /* Enter, as a terminal sends it */
        return -1;
    }
    v = na_ymap_get(L->d, root, "modes");
    if (!v)
        return na_yerr(L->err, L->d, root, "modes: missing (at least one mode with a prompt)");
    if (load_modes(L, v) < 0)
        return -1;
    p->default_mode = p->config_mode = NA_NO_MODE;
    if ((v = na_ymap_get(L->d, root, "default_mode")) &&
        get_mode(L, v, "default_mode", &p->default_mode) < 0)
        return -1;
    if ((v = na_ymap_get(L->d, root, "config_mode")) &&
        get_mode(L, v, "config_mode", &p->config_mode) < 0)
        return -1;
    if ((v = na_ymap_get(L->d, root, "transitions")) && load_transitions(L, v) < 0)
        return -1;
    if ((v = na_ymap_get(L->d, root, "on_open"))) {
        size_t n;
        if (get_seq(L, v, "on_open", &n) < 0)
            return -1;
        if (!(p->on_open = calloc(n ? n : 1, sizeof *p->on_open)))
            return na_err_set(L->err, NA_E_NOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
            char f[48];
            snprintf(f, sizeof f, "on_open[%zu]", i);
            if (dup_str(L, na_yseq_item(L->d, v, i), f, &p->on_open[i]) < 0)
                return -1;
            p->non_open = i + 1;
        }
    }
    if ((v = na_ymap_get(L->d, root, "failures")) &&
        load_patterns(L, v, "failures", NA_PAT_MULTILINE, &p->failures, &p->nfailures) < 0)
        return -1;
    if ((v = na_ymap_get(L->d, root, "config_errors")) && load_config_errors(L, v) < 0)
        return -1;
    if ((v = na_ymap_get(L->d, root, "async_messages")) &&
        load_patterns(L, v, "async_messages", 0, &p->asyncs, &p->nasyncs) < 0)
        return -1;
    if ((v = na_ymap_get(L->d, root, "pager"))) {
        static const char *const pk[] = {"patterns", "reply", NULL};
        if (na_ycheck_keys(L->d, v, pk, "pager", L->err) < 0)
            return -1;
        na_ynode *pp = na_ymap_get(L->d, v, "patterns"), *pr = na_ymap_get(L->d, v, "reply");
        if (!pp)
            return na_yerr(L->err, L->d, v, "pager: needs 'patterns'");
        if (load_patterns(L, pp, "pager.patterns", 0, &p->pagers, &p->npagers) < 0)
            return -1;
        if (pr) {
            if (!na_yis_scalar(pr) || !*na_yscalar(pr))
                return na_yerr(L->err, L->d, pr, "pager.reply: expected a non-empty string");
            if (!(p->pager_reply = xstrdup(L, na_yscalar(pr))))
                return -1;
        }
    }
    if (!p->pager_reply && !(p->pager_reply = xstrdup(L, " ")))
        return -1;
    if ((v = na_ymap_get(L->d, root, "answers")) &&
        load_answers(L, v, "answers", &p->answers, &p->nanswers) < 0)
        return -1;
    if ((v = na_ymap_get(L->d, root, "commit")) && load_commit(L, v) < 0)
        return -1;
    if ((v = na_ymap_get(L->d, root, "save")) && load_save(L, v) < 0)
        return -1;
    if ((v = na_ymap_get(L->d, root, "running_config")) && load_running(L, v) < 0)
        return -1;
    if ((v = na_ymap_get(L->d, root, "confirm")) && load_confirm(L, v) < 0)
        return -1;
    if ((v = na_ymap_get(L->d, root, "login"))) {
        static const char *const lk[] = {"username", "password", NULL};
        if (na_ycheck_keys(L->d, v, lk, "login", L->err) < 0)
            return -1;
        na_ynode *u = na_ymap_get(L->d, v, "username"), *pw = na_ymap_get(L->d, v, "password");
        if (u && get_pattern(L, u, "login.username", 0, &p->login.username) < 0)
            return -1;
        if (pw && get_pattern(L, pw, "login.password", 0, &p->login.password) < 0)
            return -1;
    }
    if ((v = na_ymap_get(L->d, root, "files")) && na_pfiles_load(L->d, v, &p->files, L->err) < 0)
        return -1;
    return 0;
}

na_platform *na_platform_load_mem(const char *label, const char *yaml, size_t n,
                                  const char *name_hint, na_err *err)
{
    na_ydoc d;
    if (na_ydoc_load_mem(&d, label, yaml, n, err) < 0)
        return NULL;
    na_platform *p = calloc(1, sizeof *p);
    if (!p) {
        na_ydoc_free(&d);
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    loader L = {.d = &d, .p = p, .err = err};
    int rc = load(&L, name_hint);
    if (rc == 0 && !(p->source = strdup(label ? label : "<input>")))
        rc = na_err_set(err, NA_E_NOMEM, "out of memory");
    na_ydoc_free(&d);
    if (rc < 0) {
        na_platform_free(p);
        return NULL;
    }
    return p;
}

na_platform *na_platform_load_file(const char *path, na_err *err)
{
    /* the name the file must declare: its base name without .yaml */
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char hint[80] = "";
    size_t bl = strlen(base);
    if (bl > 5 && bl - 5 < sizeof hint && !strcmp(base + bl - 5, ".yaml"))
        snprintf(hint, sizeof hint, "%.*s", (int)(bl - 5), base);
    na_ydoc d;
    if (na_ydoc_load_file(&d, path, err) < 0)
        return NULL;
    na_platform *p = calloc(1, sizeof *p);
    if (!p) {
        na_ydoc_free(&d);
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    loader L = {.d = &d, .p = p, .err = err};
    int rc = load(&L, hint[0] ? hint : NULL);
    if (rc == 0 && !(p->source = strdup(path)))
        rc = na_err_set(err, NA_E_NOMEM, "out of memory");
    na_ydoc_free(&d);
    if (rc < 0) {
        na_platform_free(p);
        return NULL;
    }
    return p;
}

static void free_answers(na_panswer *a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        na_pattern_free(a[i].prompt);
        free(a[i].reply);
    }
    free(a);
}

static void free_patterns(na_pattern **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        na_pattern_free(v[i]);
    free(v);
}

void na_platform_free(na_platform *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nmodes; i++) {
        free(p->modes[i].name);
        free(p->modes[i].prompt_src);
        na_pattern_free(p->modes[i].prompt);
    }
    free(p->modes);
    free(p->prompts);
    for (size_t i = 0; i < p->ntransitions; i++) {
        free(p->transitions[i].send);
        free_answers(p->transitions[i].answers, p->transitions[i].nanswers);
    }
    free(p->transitions);
    for (size_t i = 0; i < p->non_open; i++)
        free(p->on_open[i]);
    free(p->on_open);
    free_patterns(p->failures, p->nfailures);
    na_pattern_free(p->config_errors.match);
    free_patterns(p->config_errors.except, p->config_errors.nexcept);
    free_patterns(p->asyncs, p->nasyncs);
    free(p->commit.send);
    free(p->commit.discard);
    free_answers(p->commit.answers, p->commit.nanswers);
    na_pattern_free(p->commit.success);
    free_patterns(p->pagers, p->npagers);
    free(p->pager_reply);
    free_answers(p->answers, p->nanswers);
    free(p->save.send);
    free(p->confirm.enter);
    free(p->confirm.commit);
    for (size_t i = 0; i < p->confirm.nconfirm; i++)
        free(p->confirm.confirm[i]);
    free(p->confirm.confirm);
    for (size_t i = 0; i < p->confirm.nrollback; i++)
        free(p->confirm.rollback[i]);
    free(p->confirm.rollback);
    free(p->running.show);
    free(p->running.startup);
    for (size_t i = 0; i < p->running.ncomments; i++)
        free(p->running.comments[i]);
    free(p->running.comments);
    for (size_t i = 0; i < p->running.nends; i++)
        free(p->running.ends[i]);
    free(p->running.ends);
    free_answers(p->save.answers, p->save.nanswers);
    na_pattern_free(p->save.success);
    na_pattern_free(p->login.username);
    na_pattern_free(p->login.password);
    na_pfiles_free(p->files);
    free(p->name);
    free(p->description);
    free(p->source);
    free(p->host);
    free(p->newline);
    free(p);
}

size_t na_platform_mode(const na_platform *p, const char *name)
{
    for (size_t i = 0; name && i < p->nmodes; i++)
        if (p->modes[i].name && !strcmp(p->modes[i].name, name))
            return i;
    return NA_NO_MODE;
}

size_t na_platform_match_mode(const na_platform *p, na_matcher *m, const char *line, size_t n)
{
    for (size_t i = 0; i < p->nmodes; i++)
        if (na_pattern_find(p->modes[i].prompt, m, line, n, false, NULL, NULL))
            return i;
    return NA_NO_MODE;
}

int na_platform_route(const na_platform *p, size_t from, size_t to, size_t *path, size_t cap)
{
    if (from >= p->nmodes || to >= p->nmodes)
        return -1;
    if (from == to)
        return 0;
    size_t via[MAX_MODES]; /* transition used to reach each mode */
    bool seen[MAX_MODES] = {false};
    size_t queue[MAX_MODES], qh = 0, qt = 0;
    seen[from] = true;
    queue[qt++] = from;
    while (qh < qt && !seen[to]) {
        size_t m = queue[qh++];
        for (size_t i = 0; i < p->ntransitions; i++) {
            const na_ptransition *t = &p->transitions[i];
            if (t->from == m && !seen[t->to]) {
                seen[t->to] = true;
                via[t->to] = i;
                queue[qt++] = t->to;
            }
        }
    }
    if (!seen[to])
        return -1;
    size_t rev[MAX_MODES], n = 0;
    for (size_t m = to; m != from; m = p->transitions[via[m]].from)
        rev[n++] = via[m];
    if (n > cap)
        return -1;
    for (size_t i = 0; i < n; i++)
        path[i] = rev[n - 1 - i];
    return (int)n;
}

char *na_platform_subst_host(const char *src, const char *with)
{
    return subst_host(src, NULL, with);
}
