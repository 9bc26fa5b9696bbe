/* cli_words.c — keeps typed words away from devices: which of `show`'s words is HOST and which
 * are commands, and before a word is sent as a command, it must not be a host or group of the
 * inventory (the local one, or the server's), close to one (a typo: sw9 for sw1), a file
 * (or a word shaped like a file name: out.json, ./x), or a word typed right after a flag that
 * takes no value (--json out.json). Such a line is refused (exit 2) with how it was read and
 * how to send the word anyway (-c, or after --). Not the option parser (core/doc.c). */
#include "cli_args.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool has_space(const char *s)
{
    return strpbrk(s, " \t") != NULL;
}

/* Levenshtein distance, capped: anything above `cap` is cap + 1. */
static size_t distance(const char *a, const char *b, size_t cap)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64 || (la > lb ? la - lb : lb - la) > cap)
        return cap + 1;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0], best = i;
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t v = diag + (a[i - 1] != b[j - 1]);
            if (row[j - 1] + 1 < v)
                v = row[j - 1] + 1;
            if (up + 1 < v)
                v = up + 1;
            row[j] = v;
            diag = up;
            if (v < best)
                best = v;
        }
        if (best > cap)
            return cap + 1;
    }
    return row[lb];
}

/* sw9 and sw12: the same letters, then digits. */
static bool same_stem(const char *w, const char *name)
{
    size_t lw = strlen(w), ln = strlen(name);
    size_t dw = lw, dn = ln;
    while (dw > 0 && w[dw - 1] >= '0' && w[dw - 1] <= '9')
        dw--;
    while (dn > 0 && name[dn - 1] >= '0' && name[dn - 1] <= '9')
        dn--;
    return dw > 0 && dw < lw && dn < ln && dw == dn && !strncmp(w, name, dw);
}

static bool close_to(const char *w, const char *name)
{
    size_t l = strlen(w);
    size_t cap = l >= 6 ? 2 : 1;
    return same_stem(w, name) || (l >= 3 && distance(w, name, cap) <= cap);
}

int cli_names_from_inv(cli_names *n, const na_inventory *inv)
{
    memset(n, 0, sizeof *n);
    n->source = na_inv_path(inv);
    n->hosts = calloc(na_inv_count(inv) + 1, sizeof *n->hosts);
    n->groups = calloc(na_inv_group_count(inv) + 1, sizeof *n->groups);
    if (!n->hosts || !n->groups) {
        cli_names_free(n);
        return -1;
    }
    for (size_t i = 0; i < na_inv_count(inv); i++)
        n->hosts[n->nhosts++] = na_inv_host_at(inv, i)->name;
    for (size_t i = 0; i < na_inv_group_count(inv); i++)
        n->groups[n->ngroups++] = na_inv_group_name(inv, i);
    return 0;
}

int cli_names_from_json(cli_names *n, json_t *inv, const char *source)
{
    memset(n, 0, sizeof *n);
    n->source = source;
    json_t *hosts = json_object_get(inv, "hosts"), *groups = json_object_get(inv, "groups");
    n->hosts = calloc(json_object_size(hosts) + 1, sizeof *n->hosts);
    n->groups = calloc(json_object_size(groups) + 1, sizeof *n->groups);
    if (!n->hosts || !n->groups) {
        cli_names_free(n);
        return -1;
    }
    const char *k;
    json_t *v;
    json_object_foreach(hosts, k, v) n->hosts[n->nhosts++] = k;
    json_object_foreach(groups, k, v) n->groups[n->ngroups++] = k;
    return 0;
}

void cli_names_free(cli_names *n)
{
    free(n->hosts);
    free(n->groups);
    memset(n, 0, sizeof *n);
}

static bool in_list(const char *const *v, size_t n, const char *w)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i], w))
            return true;
    return false;
}

static bool is_host(const cli_names *n, const char *w) { return in_list(n->hosts, n->nhosts, w); }

bool cli_names_has(const cli_names *n, const char *w)
{
    return is_host(n, w) || in_list(n->groups, n->ngroups, w);
}

const char *cli_close_name(const cli_names *n, const char *word)
{
    if (!n || !word || has_space(word))
        return NULL;
    for (size_t i = 0; i < n->nhosts; i++)
        if (strcmp(n->hosts[i], word) && close_to(word, n->hosts[i]))
            return n->hosts[i];
    for (size_t i = 0; i < n->ngroups; i++)
        if (strcmp(n->groups[i], word) && close_to(word, n->groups[i]))
            return n->groups[i];
    return NULL;
}

/* A --limit pattern rather than a name: globs, unions, intersections, exclusions. */
static bool pattern_shaped(const char *w)
{
    return !has_space(w) && strpbrk(w, "*?[:!&,") != NULL;
}

static bool file_shaped(const char *w)
{
    if (has_space(w))
        return false;
    if (strchr(w, '/'))
        return true;
    static const char *const ext[] = {".json", ".yaml", ".yml", ".txt", ".cfg", ".conf", ".log",
                                      ".csv", ".out", ".j2", ".ini", ".textfsm", ".xml", ".html",
                                      ".bak", ".md", ".transcript", ".vault", NULL};
    size_t l = strlen(w);
    for (size_t i = 0; ext[i]; i++) {
        size_t e = strlen(ext[i]);
        if (l > e && !strcmp(w + l - e, ext[i]))
            return true;
    }
    return false;
}

/* How the line was read, for the message. */
static void understood(const cli_args *a, size_t first, const char *host, char *buf, size_t cap)
{
    size_t n = 0;
    if (host)
        n += (size_t)snprintf(buf + n, cap - n, "HOST '%s'; ", host);
    else if (cli_opt(a, O_LIMIT))
        n += (size_t)snprintf(buf + n, cap - n, "hosts --limit '%s'; ", cli_opt(a, O_LIMIT));
    n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, "commands");
    bool any = false;
    for (size_t i = 0; i < a->nopts && n < cap; i++)
        if (a->opts[i].id == O_COMMAND) {
            n += (size_t)snprintf(buf + n, cap - n, "%s '%s'", any ? "," : "", a->opts[i].val);
            any = true;
        }
    for (size_t i = first; i < a->npos && n < cap; i++) {
        n += (size_t)snprintf(buf + n, cap - n, "%s '%s'", any ? "," : "", a->pos[i]);
        any = true;
    }
}

static int check_commands(const cli_args *a, const cli_names *names, size_t first_word,
                          const char *host_word)
{
    char how[4096];
    understood(a, first_word, host_word, how, sizeof how);
    bool dash_c = cli_opt(a, O_COMMAND) != NULL;
    for (size_t i = 0; i < a->nopts; i++)
        if (a->opts[i].id == O_COMMAND &&
            (!a->opts[i].val[0] || strchr(a->opts[i].val, '\n') || strchr(a->opts[i].val, '\r')))
            return cli_usage_error(a->verb, "-c '%s': a command is one non-empty line",
                                   a->opts[i].val);
    for (size_t i = first_word; i < a->npos; i++) {
        const char *w = a->pos[i];
        const na_doc_arg *x = a->pos_arg[i];
        if (!w[0] || strchr(w, '\n') || strchr(w, '\r'))
            return cli_usage_error(a->verb, "command %zu is empty or has a newline: give each "
                                            "command as one argument", i - first_word + 1);
        if (dash_c)
            return cli_usage_error(a->verb, "'%s' is a word next to -c commands: with -c every "
                                            "command comes from -c (several hosts are a "
                                            "pattern: --limit 'a:b'). Read as: %s", w, how);
        if (x->after_dashdash)
            continue; /* after "--": taken as typed */
        char why[700] = "";
        const char *close = NULL;
        struct stat st;
        if (cli_names_has(names, w)) {
            snprintf(why, sizeof why, "'%s' is a %s of %s, not a command (several hosts are one "
                     "pattern: --limit '%s:%s')", w, is_host(names, w) ? "host" : "group",
                     names->source, host_word ? host_word : "a", w);
        } else if ((close = cli_close_name(names, w))) {
            snprintf(why, sizeof why, "'%s' looks like a host name (did you mean '%s'?), and a "
                     "device would take an unknown word as a host to connect to", w, close);
        } else if (x->after && !has_space(w)) {
            char name[80];
            snprintf(why, sizeof why, "'%s' comes right after %s, which takes no value%s", w,
                     na_doc_opt_name(x->after, name, sizeof name),
                     x->after->id == O_JSON ? " (--json prints on stdout: redirect it, > FILE, "
                                              "to keep it)" : "");
        } else if (!has_space(w) && stat(w, &st) == 0) {
            snprintf(why, sizeof why, "'%s' is a %s here, not a command", w,
                     S_ISDIR(st.st_mode) ? "directory" : "file");
        } else if (file_shaped(w)) {
            snprintf(why, sizeof why, "'%s' looks like a file name, not a command", w);
        }
        if (why[0])
            return cli_usage_error(a->verb, "%s. Read as: %s. To send '%s' as it is, give it "
                                            "with -c '%s' or after --", why, how, w, w);
    }
    return 0;
}

int cli_show_words(const cli_args *a, const cli_names *names, const char **host,
                   const char **cmds, size_t *ncmds)
{
    const char *limit = cli_opt(a, O_LIMIT);
    size_t first = 0;
    *host = NULL;
    *ncmds = 0;
    if (a->npos > 0 && !a->pos_arg[0]->after_dashdash) {
        const char *w = a->pos[0];
        if (!limit || cli_names_has(names, w) || pattern_shaped(w)) {
            *host = w;
            first = 1;
        } else if (cli_close_name(names, w)) {
            return cli_usage_error(a->verb, "'%s' is not a host or group of %s (did you mean "
                                            "'%s'?), so it would be sent as a command to every "
                                            "host of --limit '%s'. To send it as a command, "
                                            "give it with -c '%s' or after --", w, names->source,
                                   cli_close_name(names, w), limit, w);
        }
    }
    if (*host && !names->unknown && !pattern_shaped(*host) && !cli_names_has(names, *host)) {
        const char *close = cli_close_name(names, *host);
        return cli_usage_error(a->verb, "host '%s' is not in the inventory %s%s%s%s", *host,
                               names->source, close ? " (did you mean '" : "",
                               close ? close : "", close ? "'?)" : "");
    }
    if (!*host && !limit)
        return cli_usage_error(a->verb, "give HOST (or --limit PATTERN), then the commands");
    if (check_commands(a, names, first, *host) != 0)
        return CLI_EXIT_INVALID;
    for (size_t i = 0; i < a->nopts; i++)
        if (a->opts[i].id == O_COMMAND)
            cmds[(*ncmds)++] = a->opts[i].val;
    for (size_t i = first; i < a->npos; i++)
        cmds[(*ncmds)++] = a->pos[i];
    if (*ncmds == 0)
        return cli_usage_error(a->verb, "give at least one command after %s, e.g. 'show "
                                        "version'", *host ? "HOST" : "--limit PATTERN");
    return 0;
}
