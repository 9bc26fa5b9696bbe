/* pb_load.c — playbook loading and structural checks: plays, tasks, exactly one action per task,
 * the type of every key, identifiers, template syntax, literal regexes and VLANs, all reported as
 * file:line:column naming the task. Not variable resolution (pb_scope.c) nor expansion
 * (pb_expand.c), nor the play-level features from Ansible (pb_play.c). */
#include "pb_int.h"
#include "yjson.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const ACTIONS[] = {"command", "config", "save",   "vlans",
                                      "script",  "assert", "copy",  NULL};
static const char *const TASK_KEYS[] = {
    "name",   "command", "config", "save",    "vlans",        "script",        "copy",
    "register", "expect", "loop",  "loop_control", "ignore_errors", "when",  "timeout",
    "vars",   "tags",    "notify", "parse",   "assert",       "confirm",       "backup",
    NULL,
};
static const char *const HANDLER_KEYS[] = {
    "name",   "command", "config", "save",    "vlans",        "script",        "copy",
    "register", "expect", "loop",  "loop_control", "ignore_errors", "when",  "timeout",
    "vars",   "tags",    "listen", "parse",   "assert",       NULL,
};
static const char *const PLAY_KEYS[] = {
    "name",      "hosts",      "vars",       "vars_files",          "tasks",
    "handlers",  "tags",       "serial",     "max_fail_percentage", "any_errors_fatal",
    "gather_facts", "connection", "backup", "resumable", NULL,
};

const char *na_task_kind_name(na_task_kind k)
{
    return k >= NA_TASK_COMMAND && k <= NA_TASK_COPY ? ACTIONS[k - 1] : "?";
}

size_t na_pb_node_index(const na_playbook *pb, const na_ynode *n)
{
    return (size_t)(n - pb->doc.doc.nodes.start);
}

const na_tpl *na_pb_tpl(const na_playbook *pb, const na_ynode *n)
{
    size_t i = n ? na_pb_node_index(pb, n) : (size_t)-1;
    return i < pb->nnodes ? pb->tpl[i] : NULL;
}

bool na_pb_identifier(const char *s)
{
    if (!s || !(isalpha((unsigned char)*s) || *s == '_'))
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_')
            return false;
    return true;
}

void na_pb_task_label(const na_task *t, char *buf, size_t cap)
{
    if (t->name)
        snprintf(buf, cap, "task '%s'", t->name);
    else
        snprintf(buf, cap, "task #%zu in play '%s'", t->index + 1, t->play->name);
}

/* Loading errors: "file:l:c: task 'x': msg". */
int na_pb_lerr(na_playbook *pb, const na_task *t, const na_play *p, const na_ynode *n, na_err *err,
            const char *fmt, ...)
{
    char msg[NA_ERR_MSG_MAX], label[200] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (t)
        na_pb_task_label(t, label, sizeof label - 2);
    else if (p && p->name)
        snprintf(label, sizeof label - 2, "play '%s'", p->name);
    if (*label)
        strcat(label, ": ");
    return na_yerr(err, &pb->doc, n, "%s%s", label, msg);
}

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 30 || lb > 30)
        return 99;
    size_t d[32][32];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            size_t c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < c)
                c = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < c)
                c = d[i][j - 1] + 1;
            d[i][j] = c;
        }
    return d[la][lb];
}

static int check_keys(na_playbook *pb, const na_task *t, const na_play *p, const na_ynode *map,
                      const char *const *allowed, const char *what, na_err *err)
{
    size_t len = na_ymap_len(map);
    for (size_t i = 0; i < len; i++) {
        na_ynode *k = na_ymap_key(&pb->doc, map, i);
        const char *ks = na_yscalar(k);
        if (!ks)
            return na_pb_lerr(pb, t, p, k, err, "keys must be strings");
        bool ok = false;
        const char *best = NULL;
        size_t bestd = 3;
        for (size_t j = 0; allowed[j] && !ok; j++) {
            ok = strcmp(ks, allowed[j]) == 0;
            size_t dd = edit_distance(ks, allowed[j]);
            if (dd < bestd) {
                bestd = dd;
                best = allowed[j];
            }
        }
        if (ok)
            continue;
        const char *hint = na_pb_ansible_hint(ks, t != NULL);
        if (hint)
            return na_pb_lerr(pb, t, p, k, err, "%s", hint);
        if (best)
            return na_pb_lerr(pb, t, p, k, err, "unknown key '%s' in %s (did you mean '%s'?)", ks,
                              what, best);
        char list[400] = "";
        size_t o = 0;
        for (size_t j = 0; allowed[j] && o < sizeof list - 1; j++)
            o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", j ? ", " : "", allowed[j]);
        return na_pb_lerr(pb, t, p, k, err, "unknown key '%s' in %s (expected one of: %s)", ks,
                          what, list);
    }
    return 0;
}

/* Compile every template scalar under n (mapping keys excepted). */
static int compile_tree(na_playbook *pb, const na_task *t, const na_play *p, na_ynode *n,
                        bool as_expr, int depth, na_err *err)
{
    if (!n)
        return 0;
    if (depth > 64)
        return na_pb_lerr(pb, t, p, n, err, "nested too deeply");
    if (na_yis_scalar(n)) {
        const char *s = na_yscalar(n);
        if (as_expr) { /* `when: true`, `when: 0`: constants need no compiling */
            json_t *j = na_yscalar_to_json(n);
            bool constant = n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
                            (json_is_boolean(j) || json_is_null(j) || json_is_number(j));
            json_decref(j);
            if (constant)
                return 0;
        } else if (!na_tpl_has_syntax(s)) {
            return 0;
        }
        size_t i = na_pb_node_index(pb, n);
        if (i >= pb->nnodes || pb->tpl[i])
            return 0; /* aliases: compiled once */
        na_err local = NA_ERR_INIT;
        pb->tpl[i] = as_expr ? na_tpl_compile_expr(s, &local) : na_tpl_compile(s, &local);
        if (!pb->tpl[i])
            return local.code == NA_E_NOMEM ? na_err_set(err, NA_E_NOMEM, "out of memory")
                                            : na_pb_lerr(pb, t, p, n, err, "%s", local.msg);
        return 0;
    }
    if (na_yis_seq(n)) {
        for (size_t i = 0; i < na_yseq_len(n); i++)
            if (compile_tree(pb, t, p, na_yseq_item(&pb->doc, n, i), as_expr, depth + 1, err) < 0)
                return -1;
    } else if (na_yis_map(n)) {
        for (size_t i = 0; i < na_ymap_len(n); i++)
            if (compile_tree(pb, t, p, na_ymap_val(&pb->doc, n, i), false, depth + 1, err) < 0)
                return -1;
    }
    return 0;
}

static int check_vars(na_playbook *pb, const na_task *t, const na_play *p, na_ynode *vars,
                      na_err *err)
{
    if (!vars)
        return 0;
    if (!na_yis_map(vars))
        return na_pb_lerr(pb, t, p, vars, err, "vars must be a mapping");
    for (size_t i = 0; i < na_ymap_len(vars); i++) {
        na_ynode *k = na_ymap_key(&pb->doc, vars, i);
        const char *ks = na_yscalar(k);
        if (!na_pb_identifier(ks))
            return na_pb_lerr(pb, t, p, k, err,
                        "invalid variable name '%s' (letters, digits and _, not starting with a "
                        "digit)", ks ? ks : "?");
        if (!strcmp(ks, "inventory_hostname") || !strcmp(ks, "playbook_dir"))
            return na_pb_lerr(pb, t, p, k, err, "'%s' is set by netauto and cannot be a variable",
                              ks);
    }
    return 0;
}

static bool is_plain_string(const na_ynode *n)
{
    return na_yis_scalar(n) && !na_yis_null(n);
}

/* A string, or a list of strings (numbers allowed: they are rendered as text). */
static int check_strlist(na_playbook *pb, const na_task *t, na_ynode *n, const char *what,
                         na_err *err)
{
    if (is_plain_string(n))
        return 0;
    if (na_yis_seq(n)) {
        for (size_t i = 0; i < na_yseq_len(n); i++) {
            na_ynode *it = na_yseq_item(&pb->doc, n, i);
            if (!is_plain_string(it))
                return na_pb_lerr(pb, t, NULL, it, err, "every item of %s must be a string", what);
        }
        return 0;
    }
    return na_pb_lerr(pb, t, NULL, n, err, "%s must be a string or a list of strings", what);
}

/* config: a list of lines, a multi-line string, or {parents, lines, match, replace, before,
 * after} (match and replace are literal words). */
static int check_config(na_playbook *pb, na_task *t, na_ynode *n, na_err *err)
{
    static const char *const KEYS[] = {"parents", "lines", "match", "replace", "before", "after",
                                       NULL};
    if (!na_yis_map(n))
        return check_strlist(pb, t, n, "config", err);
    if (check_keys(pb, t, NULL, n, KEYS, "config", err) < 0)
        return -1;
    t->cfg_map = true;
    t->cfg_lines = na_ymap_get(&pb->doc, n, "lines");
    t->cfg_parents = na_ymap_get(&pb->doc, n, "parents");
    t->cfg_before = na_ymap_get(&pb->doc, n, "before");
    t->cfg_after = na_ymap_get(&pb->doc, n, "after");
    if (!t->cfg_lines)
        return na_pb_lerr(pb, t, NULL, n, err, "config needs lines (the lines of the section)");
    if (check_strlist(pb, t, t->cfg_lines, "config lines", err) < 0 ||
        (t->cfg_parents && check_strlist(pb, t, t->cfg_parents, "config parents", err) < 0) ||
        (t->cfg_before && check_strlist(pb, t, t->cfg_before, "config before", err) < 0) ||
        (t->cfg_after && check_strlist(pb, t, t->cfg_after, "config after", err) < 0))
        return -1;
    na_ynode *m = na_ymap_get(&pb->doc, n, "match");
    if (m && (!is_plain_string(m) || na_cfg_match_parse(na_yscalar(m), &t->cfg_match) < 0))
        return na_pb_lerr(pb, t, NULL, m, err,
                       "config match must be line, strict, exact or none, got '%s'",
                       na_yis_scalar(m) ? na_yscalar(m) : "?");
    na_ynode *r = na_ymap_get(&pb->doc, n, "replace");
    if (r && (!is_plain_string(r) || na_cfg_replace_parse(na_yscalar(r), &t->cfg_replace) < 0))
        return na_pb_lerr(pb, t, NULL, r, err, "config replace must be line or block, got '%s'",
                       na_yis_scalar(r) ? na_yscalar(r) : "?");
    return 0;
}

static int check_expect(na_playbook *pb, const na_task *t, na_ynode *n, na_err *err)
{
    if (check_strlist(pb, t, n, "expect", err) < 0)
        return -1;
    size_t cnt = na_yis_seq(n) ? na_yseq_len(n) : 1;
    for (size_t i = 0; i < cnt; i++) {
        na_ynode *it = na_yis_seq(n) ? na_yseq_item(&pb->doc, n, i) : n;
        const char *re = na_yscalar(it);
        if (na_tpl_has_syntax(re))
            continue; /* checked once rendered */
        int ec;
        PCRE2_SIZE eo;
        pcre2_code *c = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, PCRE2_MULTILINE,
                                      &ec, &eo, NULL);
        if (!c) {
            PCRE2_UCHAR m[200];
            pcre2_get_error_message(ec, m, sizeof m);
            return na_pb_lerr(pb, t, NULL, it, err, "bad regex in expect: %s at offset %zu",
                              (char *)m, (size_t)eo);
        }
        pcre2_code_free(c);
    }
    return 0;
}

/* parse: true | false | {template: FILE} (command tasks only). */
static int check_parse(na_playbook *pb, na_task *t, na_ynode *n, na_err *err)
{
    static const char *const KEYS[] = {"template", NULL};
    if (t->kind != NA_TASK_COMMAND)
        return na_pb_lerr(pb, t, NULL, n, err, "parse only goes with command");
    if (na_yis_scalar(n)) {
        bool v;
        na_err local = NA_ERR_INIT;
        if (na_ybool(&pb->doc, n, &v, &local) < 0)
            return na_pb_lerr(pb, t, NULL, n, err, "parse must be true, false or {template: FILE}");
        t->parse = v ? NA_PARSE_INDEX : NA_PARSE_NONE;
        return 0;
    }
    if (!na_yis_map(n))
        return na_pb_lerr(pb, t, NULL, n, err, "parse must be true, false or {template: FILE}");
    if (check_keys(pb, t, NULL, n, KEYS, "parse", err) < 0)
        return -1;
    na_ynode *f = na_ymap_get(&pb->doc, n, "template");
    const char *path = f ? na_yscalar(f) : NULL;
    if (!path || !*path || na_yis_null(f) || na_tpl_has_syntax(path))
        return na_pb_lerr(pb, t, NULL, f ? f : n, err,
                       "parse: template must be the path of a TextFSM template file");
    char full[PATH_MAX];
    snprintf(full, sizeof full, "%s%s%s", path[0] == '/' ? "" : pb->dir, path[0] == '/' ? "" : "/",
             path);
    na_err local = NA_ERR_INIT;
    if (!(t->parse_tpl = na_tfsm_load_file(full, &local))) {
        if (local.code == NA_E_NOMEM)
            return na_err_set(err, NA_E_NOMEM, "out of memory");
        return na_pb_lerr(pb, t, NULL, f, err, "parse: %s", local.msg);
    }
    t->parse = NA_PARSE_TEMPLATE;
    return 0;
}

/* A VLAN written literally (no template in its id or name) is checked now: range, default
 * VLANs, name, and duplicates among the literal ones before it. */
static int check_vlan_literal(na_playbook *pb, const na_task *t, na_ynode *cfg, size_t i,
                              na_ynode *id, na_ynode *nm, na_err *err)
{
    const char *ids = na_yscalar(id), *nms = nm && !na_yis_null(nm) ? na_yscalar(nm) : NULL;
    if (na_tpl_has_syntax(ids) || (nms && na_tpl_has_syntax(nms)))
        return 0;
    char *e;
    long v = strtol(ids, &e, 10);
    if (!*ids || *e || v < -100000 || v > 100000)
        return na_pb_lerr(pb, t, NULL, id, err, "VLAN id must be a number, got '%s'", ids);
    na_vlan_want w = {(int)v, (char *)nms};
    na_err local = NA_ERR_INIT;
    if (na_vlans_check(&w, 1, &local) < 0)
        return na_pb_lerr(pb, t, NULL, id, err, "%s", local.msg);
    for (size_t j = 0; j < i; j++) {
        na_ynode *other = na_ymap_get(&pb->doc, na_yseq_item(&pb->doc, cfg, j), "id");
        const char *os = na_yscalar(other);
        if (os && !na_tpl_has_syntax(os) && strtol(os, &e, 10) == v && !*e)
            return na_pb_lerr(pb, t, NULL, id, err, "VLAN %ld is listed twice", v);
    }
    return 0;
}

static int check_vlans(na_playbook *pb, const na_task *t, na_ynode *n, na_err *err)
{
    static const char *const KEYS[] = {"state", "config", NULL};
    static const char *const ITEM_KEYS[] = {"id", "name", NULL};
    if (!na_yis_map(n))
        return na_pb_lerr(pb, t, NULL, n, err, "vlans must be a mapping {state, config}");
    if (check_keys(pb, t, NULL, n, KEYS, "vlans", err) < 0)
        return -1;
    na_ynode *st = na_ymap_get(&pb->doc, n, "state");
    if (st) {
        if (!is_plain_string(st))
            return na_pb_lerr(pb, t, NULL, st, err, "vlans state must be a string");
        if (!na_tpl_has_syntax(na_yscalar(st)) && na_vlans_state_parse(na_yscalar(st)) < 0)
            return na_pb_lerr(pb, t, NULL, st, err,
                           "vlans state must be merged, replaced, overridden or deleted, got '%s'",
                        na_yscalar(st));
    }
    na_ynode *cfg = na_ymap_get(&pb->doc, n, "config");
    if (!cfg || na_yis_null(cfg))
        return 0;
    if (na_yis_scalar(cfg)) {
        if (!na_tpl_has_syntax(na_yscalar(cfg)))
            return na_pb_lerr(pb, t, NULL, cfg, err,
                           "vlans config must be a list of {id, name} or a '{{ variable }}'");
        return 0;
    }
    if (!na_yis_seq(cfg))
        return na_pb_lerr(pb, t, NULL, cfg, err, "vlans config must be a list of {id, name}");
    for (size_t i = 0; i < na_yseq_len(cfg); i++) {
        na_ynode *it = na_yseq_item(&pb->doc, cfg, i);
        if (na_yis_scalar(it) && na_tpl_has_syntax(na_yscalar(it)))
            continue;
        if (!na_yis_map(it))
            return na_pb_lerr(pb, t, NULL, it, err, "each VLAN must be a mapping {id, name}");
        if (check_keys(pb, t, NULL, it, ITEM_KEYS, "a VLAN", err) < 0)
            return -1;
        na_ynode *id = na_ymap_get(&pb->doc, it, "id");
        if (!id)
            return na_pb_lerr(pb, t, NULL, it, err, "VLAN without an id");
        if (!na_yis_scalar(id))
            return na_pb_lerr(pb, t, NULL, id, err, "VLAN id must be a number");
        na_ynode *nm = na_ymap_get(&pb->doc, it, "name");
        if (nm && !na_yis_scalar(nm))
            return na_pb_lerr(pb, t, NULL, nm, err, "VLAN name must be a string");
        if (check_vlan_literal(pb, t, cfg, i, id, nm, err) < 0)
            return -1;
    }
    return 0; /* values from templates are checked by expansion, positioned the same way */
}

static int check_script(na_playbook *pb, const na_task *t, na_ynode *n, na_err *err)
{
    static const char *const KEYS[] = {"src", "args", NULL};
    if (is_plain_string(n))
        return na_pb_lerr(pb, t, NULL, n, err, "script must be a mapping {src, args}");
    if (!na_yis_map(n))
        return na_pb_lerr(pb, t, NULL, n, err, "script must be a mapping {src, args}");
    if (check_keys(pb, t, NULL, n, KEYS, "script", err) < 0)
        return -1;
    na_ynode *src = na_ymap_get(&pb->doc, n, "src");
    if (!src || !is_plain_string(src))
        return na_pb_lerr(pb, t, NULL, src ? src : n, err, "script needs src: a local file path");
    na_ynode *args = na_ymap_get(&pb->doc, n, "args");
    if (args && !(na_yis_scalar(args) && na_tpl_has_syntax(na_yscalar(args))) &&
        !na_yis_seq(args))
        return na_pb_lerr(pb, t, NULL, args, err, "script args must be a list");
    for (size_t i = 0; na_yis_seq(args) && i < na_yseq_len(args); i++)
        if (!na_yis_scalar(na_yseq_item(&pb->doc, args, i)))
            return na_pb_lerr(pb, t, NULL, na_yseq_item(&pb->doc, args, i), err,
                           "every script argument must be a string");
    return 0;
}

/* assert: {that: condition or list of them, msg: text} (fail_msg: Ansible's name for msg) */
static int check_assert(na_playbook *pb, na_task *t, na_ynode *n, na_err *err)
{
    static const char *const KEYS[] = {"that", "msg", "fail_msg", NULL};
    if (!na_yis_map(n))
        return na_pb_lerr(pb, t, NULL, n, err, "assert must be a mapping {that, msg}");
    if (check_keys(pb, t, NULL, n, KEYS, "assert", err) < 0)
        return -1;
    t->that = na_ymap_get(&pb->doc, n, "that");
    t->msg = na_ymap_get(&pb->doc, n, "msg");
    na_ynode *fail_msg = na_ymap_get(&pb->doc, n, "fail_msg");
    if (t->msg && fail_msg)
        return na_pb_lerr(pb, t, NULL, fail_msg, err, "assert takes msg or fail_msg, not both");
    if (fail_msg)
        t->msg = fail_msg;
    if (!t->that || (!na_yis_scalar(t->that) && !na_yis_seq(t->that)) || na_yis_null(t->that))
        return na_pb_lerr(pb, t, NULL, t->that ? t->that : n, err,
                       "assert needs that: a condition or a list of them");
    for (size_t i = 0; na_yis_seq(t->that) && i < na_yseq_len(t->that); i++)
        if (!na_yis_scalar(na_yseq_item(&pb->doc, t->that, i)))
            return na_pb_lerr(pb, t, NULL, na_yseq_item(&pb->doc, t->that, i), err,
                           "each assert condition must be a string");
    if (t->msg && !is_plain_string(t->msg))
        return na_pb_lerr(pb, t, NULL, t->msg, err, "assert msg must be a string");
    return 0;
}

/* A literal (not a template) must be one of the words. */
static int check_word(na_playbook *pb, const na_task *t, na_ynode *n, const char *what,
                      const char *const *words, na_err *err)
{
    if (!n)
        return 0;
    const char *s = na_yscalar(n);
    if (!is_plain_string(n))
        return na_pb_lerr(pb, t, NULL, n, err, "copy %s must be a string", what);
    if (na_tpl_has_syntax(s))
        return 0;
    char list[96] = "";
    for (size_t i = 0; words[i]; i++) {
        if (!strcmp(s, words[i]))
            return 0;
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                 words[i]);
    }
    return na_pb_lerr(pb, t, NULL, n, err, "copy %s must be one of %s, got '%s'", what, list, s);
}

static int check_copy(na_playbook *pb, const na_task *t, na_ynode *n, na_err *err)
{
    static const char *const KEYS[] = {"src",      "dest",     "direction",     "verify",
                                       "overwrite", "protocol", "stall_timeout", NULL};
    static const char *const DIRS[] = {"put", "get", NULL};
    static const char *const ALGS[] = {"md5", "sha256", "sha512", "none", "auto", NULL};
    static const char *const PROTOS[] = {"scp", "sftp", "auto", NULL};
    if (!na_yis_map(n))
        return na_pb_lerr(pb, t, NULL, n, err,
                          "copy must be a mapping {src, dest, direction, verify, "
                          "overwrite, protocol}");
    if (check_keys(pb, t, NULL, n, KEYS, "copy", err) < 0)
        return -1;
    na_ynode *src = na_ymap_get(&pb->doc, n, "src"), *dest = na_ymap_get(&pb->doc, n, "dest");
    if (!src || !is_plain_string(src) || !*na_yscalar(src))
        return na_pb_lerr(pb, t, NULL, src ? src : n, err,
                          "copy needs src: the file to copy (a local "
                          "file for put, a device path for get)");
    if (!dest || !is_plain_string(dest) || !*na_yscalar(dest))
        return na_pb_lerr(pb, t, NULL, dest ? dest : n, err,
                          "copy needs dest: a device path for put, "
                          "a local directory for get");
    if (check_word(pb, t, na_ymap_get(&pb->doc, n, "direction"), "direction", DIRS, err) < 0 ||
        check_word(pb, t, na_ymap_get(&pb->doc, n, "verify"), "verify", ALGS, err) < 0 ||
        check_word(pb, t, na_ymap_get(&pb->doc, n, "protocol"), "protocol", PROTOS, err) < 0)
        return -1;
    na_ynode *ow = na_ymap_get(&pb->doc, n, "overwrite");
    na_err local = NA_ERR_INIT;
    bool b;
    if (ow && !(na_yscalar(ow) && na_tpl_has_syntax(na_yscalar(ow))) &&
        na_ybool(&pb->doc, ow, &b, &local) < 0)
        return na_pb_lerr(pb, t, NULL, ow, err, "copy overwrite must be true or false");
    na_ynode *st = na_ymap_get(&pb->doc, n, "stall_timeout");
    long v;
    if (st && !(na_yscalar(st) && na_tpl_has_syntax(na_yscalar(st))) &&
        na_ylong(&pb->doc, st, 1, 86400, &v, &local) < 0)
        return na_pb_lerr(pb, t, NULL, st, err, "copy stall_timeout must be a number of seconds "
                                          "(1-86400)");
    return 0;
}

static int check_body(na_playbook *pb, na_task *t, na_err *err)
{
    na_ynode *b = t->body;
    switch (t->kind) {
    case NA_TASK_COMMAND: return check_strlist(pb, t, b, "command", err);
    case NA_TASK_CONFIG: return check_config(pb, t, b, err);
    case NA_TASK_SAVE: {
        bool v;
        na_err local = NA_ERR_INIT;
        const char *w = na_yis_scalar(b) ? na_yscalar(b) : NULL;
        if (w && strcmp(w, "changed") == 0)
            t->save_when = NA_SAVE_CHANGED;
        else if (w && strcmp(w, "modified") == 0)
            t->save_when = NA_SAVE_MODIFIED;
        else if (na_ybool(&pb->doc, b, &v, &local) < 0 || !v)
            return na_pb_lerr(pb, t, NULL, b, err, "save must be true, changed or modified");
        return 0;
    }
    case NA_TASK_VLANS: return check_vlans(pb, t, b, err);
    case NA_TASK_SCRIPT: return check_script(pb, t, b, err);
    case NA_TASK_ASSERT: return check_assert(pb, t, b, err);
    case NA_TASK_COPY: return check_copy(pb, t, b, err);
    }
    return 0;
}

/* A bool (or a template) / a positive integer (or a template). */
static int check_scalar_kind(na_playbook *pb, na_task *t, na_ynode *n, bool want_bool,
                             na_err *err)
{
    if (!n)
        return 0;
    const char *s = na_yscalar(n);
    if (s && na_tpl_has_syntax(s))
        return 0;
    na_err local = NA_ERR_INIT;
    if (want_bool) {
        bool v;
        if (na_ybool(&pb->doc, n, &v, &local) < 0)
            return na_pb_lerr(pb, t, NULL, n, err, "ignore_errors must be true or false");
    } else {
        long v;
        if (na_ylong(&pb->doc, n, 1, 86400, &v, &local) < 0)
            return na_pb_lerr(pb, t, NULL, n, err, "timeout must be a number of seconds (1-86400)");
    }
    return 0;
}

static int load_task(na_playbook *pb, na_play *p, na_task *t, na_ynode *n, bool handler,
                     na_err *err)
{
    na_ydoc *d = &pb->doc;
    t->play = p;
    t->node = n;
    t->handler = handler;
    if (!na_yis_map(n))
        return na_pb_lerr(pb, t, NULL, n, err, "a task must be a mapping");
    na_ynode *name = na_ymap_get(d, n, "name");
    if (name) {
        if (!is_plain_string(name) || !*na_yscalar(name))
            return na_pb_lerr(pb, t, NULL, name, err, "name must be a non-empty string");
        if (!(t->name = strdup(na_yscalar(name))))
            return na_err_set(err, NA_E_NOMEM, "out of memory");
    }
    if (check_keys(pb, t, NULL, n, handler ? HANDLER_KEYS : TASK_KEYS,
                   handler ? "a handler" : "a task", err) < 0)
        return -1;
    if (!name)
        return na_pb_lerr(pb, t, NULL, n, err, "missing 'name'");
    na_ynode *first_key = NULL;
    for (size_t i = 0; i < na_ymap_len(n); i++) {
        na_ynode *k = na_ymap_key(d, n, i);
        for (int a = 0; ACTIONS[a]; a++) {
            if (strcmp(na_yscalar(k), ACTIONS[a]) != 0)
                continue;
            if (first_key)
                return na_pb_lerr(pb, t, NULL, k, err,
                            "'%s' and '%s' in one task (a task has exactly one action)",
                            na_yscalar(first_key), ACTIONS[a]);
            first_key = k;
            t->kind = (na_task_kind)(a + 1);
            t->body = na_ymap_val(d, n, i);
        }
    }
    if (!first_key)
        return na_pb_lerr(pb, t, NULL, n, err,
                       "no action (give one of: command, config, save, vlans, script, assert, "
                       "copy)");
    if (check_body(pb, t, err) < 0)
        return -1;
    t->loop = na_ymap_get(d, n, "loop");
    t->when = na_ymap_get(d, n, "when");
    t->vars = na_ymap_get(d, n, "vars");
    t->timeout = na_ymap_get(d, n, "timeout");
    t->ignore_errors = na_ymap_get(d, n, "ignore_errors");
    na_ynode *bk = na_ymap_get(d, n, "backup");
    if (bk) {
        na_err local = NA_ERR_INIT;
        if (t->kind != NA_TASK_CONFIG)
            return na_pb_lerr(pb, t, NULL, bk, err, "backup only goes with config (or a play)");
        if (na_ybool(d, bk, &t->backup, &local) < 0)
            return na_pb_lerr(pb, t, NULL, bk, err, "backup must be true or false");
    }
    na_ynode *cf = na_ymap_get(d, n, "confirm");
    if (cf) {
        const char *cs = na_yscalar(cf);
        char *end = NULL;
        long v = cs && na_yis_scalar(cf) ? strtol(cs, &end, 10) : 0;
        if (t->kind != NA_TASK_CONFIG)
            return na_pb_lerr(pb, t, NULL, cf, err, "confirm only goes with config");
        if (!cs || !*cs || *end || v < 1 || v > 86400)
            return na_pb_lerr(pb, t, NULL, cf, err,
                           "confirm must be a number of seconds (1-86400), got '%s'",
                           cs ? cs : "?");
        t->confirm_s = (int)v;
    }
    t->expect = na_ymap_get(d, n, "expect");
    if (t->expect && t->kind != NA_TASK_COMMAND)
        return na_pb_lerr(pb, t, NULL, t->expect, err, "expect only goes with command");
    if (t->expect && check_expect(pb, t, t->expect, err) < 0)
        return -1;
    na_ynode *parse = na_ymap_get(d, n, "parse");
    if (parse && check_parse(pb, t, parse, err) < 0)
        return -1;
    na_ynode *reg = na_ymap_get(d, n, "register");
    if (reg) {
        const char *r = na_yscalar(reg);
        if (!na_pb_identifier(r))
            return na_pb_lerr(pb, t, NULL, reg, err,
                        "register needs a variable name (letters, digits and _), got '%s'",
                        r ? r : "a non-string");
        if (!strcmp(r, "inventory_hostname") || !strcmp(r, "playbook_dir"))
            return na_pb_lerr(pb, t, NULL, reg, err,
                              "'%s' is set by netauto and cannot be registered", r);
        if (!(t->register_as = strdup(r)))
            return na_err_set(err, NA_E_NOMEM, "out of memory");
    }
    if (t->loop) {
        if (t->kind == NA_TASK_SAVE)
            return na_pb_lerr(pb, t, NULL, t->loop, err, "save takes no loop");
        if (na_yis_scalar(t->loop) && !na_tpl_has_syntax(na_yscalar(t->loop)))
            return na_pb_lerr(pb, t, NULL, t->loop, err,
                        "loop must be a list or a '{{ variable }}' naming one");
        if (!na_yis_scalar(t->loop) && !na_yis_seq(t->loop))
            return na_pb_lerr(pb, t, NULL, t->loop, err, "loop must be a list");
    }
    na_ynode *lc = na_ymap_get(d, n, "loop_control");
    const char *lv = "item";
    if (lc) {
        static const char *const LC_KEYS[] = {"loop_var", NULL};
        if (!na_yis_map(lc))
            return na_pb_lerr(pb, t, NULL, lc, err, "loop_control must be a mapping {loop_var}");
        if (check_keys(pb, t, NULL, lc, LC_KEYS, "loop_control", err) < 0)
            return -1;
        na_ynode *v = na_ymap_get(d, lc, "loop_var");
        if (v && !na_pb_identifier(na_yscalar(v)))
            return na_pb_lerr(pb, t, NULL, v, err, "loop_var must be a variable name");
        if (v)
            lv = na_yscalar(v);
        if (!t->loop)
            return na_pb_lerr(pb, t, NULL, lc, err, "loop_control without loop");
    }
    if (!(t->loop_var = strdup(lv)))
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    if (t->when && !na_yis_scalar(t->when) && !na_yis_seq(t->when))
        return na_pb_lerr(pb, t, NULL, t->when, err, "when must be a condition or a list of them");
    for (size_t i = 0; na_yis_seq(t->when) && i < na_yseq_len(t->when); i++)
        if (!na_yis_scalar(na_yseq_item(d, t->when, i)))
            return na_pb_lerr(pb, t, NULL, na_yseq_item(d, t->when, i), err,
                        "each when condition must be a string");
    if (check_scalar_kind(pb, t, t->ignore_errors, true, err) < 0 ||
        check_scalar_kind(pb, t, t->timeout, false, err) < 0 ||
        check_vars(pb, t, NULL, t->vars, err) < 0 ||
        na_pb_load_names(pb, t, NULL, na_ymap_get(d, n, "tags"), "tags", true, &t->tags, err) < 0 ||
        na_pb_load_names(pb, t, NULL, na_ymap_get(d, n, "listen"), "listen", false, &t->listen,
                      err) < 0)
        return -1;
    t->notify_node = na_ymap_get(d, n, "notify");
    /* templates: every value except `when` (an expression) and `parse` */
    for (size_t i = 0; i < na_ymap_len(n); i++) {
        na_ynode *v = na_ymap_val(d, n, i);
        bool is_when = v == t->when;
        if (v == parse)
            continue;
        if (t->kind == NA_TASK_ASSERT && v == t->body) { /* conditions, and a message */
            if (compile_tree(pb, t, NULL, t->that, true, 0, err) < 0 ||
                compile_tree(pb, t, NULL, t->msg, false, 0, err) < 0)
                return -1;
            continue;
        }
        if (compile_tree(pb, t, NULL, v, is_when, 0, err) < 0)
            return -1;
    }
    t->nvisible = pb->nregisters;
    if (t->register_as) {
        const char **r = realloc(pb->registers, (pb->nregisters + 1) * sizeof *r);
        if (!r)
            return na_err_set(err, NA_E_NOMEM, "out of memory");
        pb->registers = r;
        r[pb->nregisters++] = t->register_as;
    }
    return 0;
}

static int load_play(na_playbook *pb, na_play *p, na_ynode *n, na_err *err)
{
    na_ydoc *d = &pb->doc;
    p->pb = pb;
    p->node = n;
    if (!na_yis_map(n))
        return na_yerr(err, d, n, "play #%zu must be a mapping {name, hosts, vars, tasks}",
                       p->index + 1);
    na_ynode *name = na_ymap_get(d, n, "name");
    if (name && !is_plain_string(name))
        return na_yerr(err, d, name, "play #%zu: name must be a string", p->index + 1);
    na_ynode *hosts = na_ymap_get(d, n, "hosts");
    na_buf hb;
    na_buf_init(&hb, 1 << 16);
    int rc = 0;
    if (na_yis_seq(hosts)) { /* a list of patterns is their union */
        for (size_t i = 0; rc == 0 && i < na_yseq_len(hosts); i++) {
            const char *h = na_yscalar(na_yseq_item(d, hosts, i));
            if (!h || !*h)
                rc = na_yerr(err, d, na_yseq_item(d, hosts, i), "hosts must be host patterns");
            else
                rc = na_buf_printf(&hb, err, "%s%s", i ? ":" : "", h);
        }
    } else if (is_plain_string(hosts) && *na_yscalar(hosts)) {
        rc = na_buf_puts(&hb, na_yscalar(hosts), err);
    }
    if (rc == 0 && hb.len == 0)
        rc = na_yerr(err, d, hosts ? hosts : n, "play #%zu: missing 'hosts' (a host pattern)",
                     p->index + 1);
    if (rc < 0) {
        na_buf_free(&hb);
        return -1;
    }
    p->hosts = na_buf_steal(&hb);
    p->name = strdup(name ? na_yscalar(name) : p->hosts);
    if (!p->hosts || !p->name)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    if (check_keys(pb, NULL, p, n, PLAY_KEYS, "a play", err) < 0)
        return -1;
    p->vars = na_ymap_get(d, n, "vars");
    if (check_vars(pb, NULL, p, p->vars, err) < 0 ||
        compile_tree(pb, NULL, p, p->vars, false, 0, err) < 0)
        return -1;
    na_ynode *tasks = na_ymap_get(d, n, "tasks");
    if (!tasks)
        return na_pb_lerr(pb, NULL, p, n, err, "missing 'tasks'");
    if (!na_yis_seq(tasks) && !na_yis_null(tasks))
        return na_pb_lerr(pb, NULL, p, tasks, err, "tasks must be a list");
    size_t nt = na_yseq_len(tasks);
    p->tasks = calloc(nt ? nt : 1, sizeof *p->tasks);
    if (!p->tasks)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    for (size_t i = 0; i < nt; i++) {
        p->tasks[i].index = i;
        p->ntasks = i + 1;
        if (load_task(pb, p, &p->tasks[i], na_yseq_item(d, tasks, i), false, err) < 0)
            return -1;
    }
    na_ynode *handlers = na_ymap_get(d, n, "handlers");
    if (handlers && !na_yis_seq(handlers) && !na_yis_null(handlers))
        return na_pb_lerr(pb, NULL, p, handlers, err, "handlers must be a list of tasks");
    size_t nh = na_yseq_len(handlers);
    p->handlers = calloc(nh ? nh : 1, sizeof *p->handlers);
    if (!p->handlers)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    for (size_t i = 0; i < nh; i++) {
        p->handlers[i].index = i;
        p->nhandlers = i + 1;
        if (load_task(pb, p, &p->handlers[i], na_yseq_item(d, handlers, i), true, err) < 0)
            return -1;
    }
    return na_pb_load_play_extras(pb, p, err);
}

static na_playbook *load(na_playbook *pb, const char *dir, na_err *err)
{
    char abs[PATH_MAX];
    if (!realpath(dir && *dir ? dir : ".", abs))
        snprintf(abs, sizeof abs, "%s", dir && *dir ? dir : ".");
    pb->dir = strdup(abs);
    pb->nnodes = (size_t)(pb->doc.doc.nodes.top - pb->doc.doc.nodes.start);
    pb->tpl = calloc(pb->nnodes ? pb->nnodes : 1, sizeof *pb->tpl);
    if (!pb->dir || !pb->tpl) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        goto fail;
    }
    na_ynode *root = na_ydoc_root(&pb->doc);
    if (!na_yis_seq(root)) {
        na_yerr(err, &pb->doc, root, "a playbook is a list of plays (- name: ..., hosts: ..., "
                                     "tasks: [...])");
        goto fail;
    }
    size_t np = na_yseq_len(root);
    pb->plays = calloc(np ? np : 1, sizeof *pb->plays);
    if (!pb->plays) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < np; i++) {
        pb->plays[i].index = i;
        pb->nplays = i + 1;
        if (load_play(pb, &pb->plays[i], na_yseq_item(&pb->doc, root, i), err) < 0)
            goto fail;
    }
    return pb;
fail:
    na_pb_free(pb);
    return NULL;
}

na_playbook *na_pb_load_mem(const char *name, const char *text, size_t n, const char *dir,
                            na_err *err)
{
    na_playbook *pb = calloc(1, sizeof *pb);
    if (!pb) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    if (na_ydoc_load_mem(&pb->doc, name, text, n, err) < 0) {
        free(pb);
        return NULL;
    }
    return load(pb, dir, err);
}

na_playbook *na_pb_load_file(const char *path, na_err *err)
{
    return na_pb_load_file_keys(path, NULL, err);
}

na_playbook *na_pb_load_file_keys(const char *path, struct na_avault_keys *keys, na_err *err)
{
    na_playbook *pb = calloc(1, sizeof *pb);
    if (!pb) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    if (na_ydoc_load_file(&pb->doc, path, err) < 0) {
        free(pb);
        return NULL;
    }
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    pb->keys = keys;
    pb = load(pb, slash ? dir : ".", err);
    if (pb)
        pb->keys = NULL;
    return pb;
}

void na_pb_free(na_playbook *pb)
{
    if (!pb)
        return;
    for (size_t i = 0; i < pb->nplays; i++) {
        na_play *p = &pb->plays[i];
        for (size_t j = 0; j < p->ntasks + p->nhandlers; j++) {
            na_task *t = j < p->ntasks ? &p->tasks[j] : &p->handlers[j - p->ntasks];
            free(t->name);
            na_tfsm_free(t->parse_tpl);
            free(t->register_as);
            free(t->loop_var);
            na_strv_free(&t->tags);
            na_strv_free(&t->listen);
            free(t->notify);
        }
        free(p->tasks);
        free(p->handlers);
        free(p->name);
        free(p->hosts);
        na_strv_free(&p->tags);
        free(p->serial);
        json_decref(p->files_vars);
    }
    for (size_t i = 0; pb->tpl && i < pb->nnodes; i++)
        na_tpl_free(pb->tpl[i]);
    free(pb->tpl);
    free(pb->plays);
    free(pb->registers);
    free(pb->dir);
    free(pb->script_root);
    na_ydoc_free(&pb->doc);
    free(pb);
}

int na_pb_confine_scripts(na_playbook *pb, const char *root, na_err *err)
{
    free(pb->script_root);
    pb->script_root = NULL;
    if (!root)
        return 0;
    char *r = realpath(root, NULL); /* compare real paths: symbolic links resolved */
    if (!r)
        r = strdup(root);
    if (!r)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    size_t n = strlen(r);
    while (n > 1 && r[n - 1] == '/')
        r[--n] = '\0';
    pb->script_root = r;
    return 0;
}

size_t na_pb_play_count(const na_playbook *pb) { return pb->nplays; }
const na_play *na_pb_play(const na_playbook *pb, size_t i)
{
    return i < pb->nplays ? &pb->plays[i] : NULL;
}
const char *na_pb_dir(const na_playbook *pb) { return pb->dir; }
const char *na_play_name(const na_play *p) { return p->name; }
const char *na_play_hosts(const na_play *p) { return p->hosts; }

bool na_pb_resumable(const na_playbook *pb)
{
    for (size_t i = 0; i < pb->nplays; i++)
        if (!pb->plays[i].resumable)
            return false;
    return pb->nplays > 0;
}
size_t na_play_task_count(const na_play *p) { return p->ntasks; }
const na_task *na_play_task(const na_play *p, size_t i)
{
    return i < p->ntasks ? &p->tasks[i] : NULL;
}
const char *na_task_name(const na_task *t) { return t->name; }
na_task_kind na_task_kind_of(const na_task *t) { return t->kind; }
const char *na_pb_file(const na_playbook *pb) { return pb->doc.name; }

bool na_task_backup(const na_task *t)
{
    return t->kind == NA_TASK_CONFIG && (t->backup || t->play->backup);
}

int na_task_confirm(const na_task *t) { return t->confirm_s; }

const char *na_task_register(const na_task *t) { return t->register_as; }
unsigned na_task_line(const na_task *t) { return na_yline(t->node); }
na_parse_kind na_task_parse_kind(const na_task *t) { return t->parse; }
const na_tfsm *na_task_parse_template(const na_task *t) { return t->parse_tpl; }
unsigned na_task_col(const na_task *t) { return na_ycol(t->node); }
