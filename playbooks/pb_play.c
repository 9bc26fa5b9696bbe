/* pb_play.c — the play-level features that come from Ansible, loaded and checked like the rest:
 * tags (and --tags/--skip-tags selection with always/never/all/tagged/untagged), serial batches
 * (a number, a percentage, a list), max_fail_percentage, any_errors_fatal, handlers reached by
 * notify (their names or `listen` topics), vars_files (Ansible Vault encrypted ones too),
 * gather_facts: false and connection: network_cli (accepted as no-ops), and a clear error for
 * every Ansible keyword netauto does not support. Not the runner's batches (runner.c). */
#include "avault.h"
#include "pb_int.h"
#include "secret.h"
#include "vault.h"
#include "yjson.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Ansible keywords netauto does not support ------------------------------------------------ */

const char *na_pb_ansible_hint(const char *key, bool in_task)
{
    static __thread char msg[600];
    static const struct { const char *key, *hint; } known[] = {
        {"block", "netauto tasks are a flat list (use when and ignore_errors)"},
        {"rescue", "netauto tasks are a flat list (use when and ignore_errors)"},
        {"always", "netauto tasks are a flat list (use when and ignore_errors)"},
        {"changed_when", "a task's change comes from what the device was sent"},
        {"failed_when", "check output with expect (regular expressions), or use ignore_errors"},
        {"until", "retries are not supported"},
        {"retries", "retries are not supported"},
        {"delay", "retries are not supported"},
        {"delegate_to", "every task runs on its own host"},
        {"run_once", "every task runs on each host of the play"},
        {"include_tasks", "a playbook is one file (use several plays)"},
        {"import_tasks", "a playbook is one file (use several plays)"},
        {"include_role", "roles are not supported"},
        {"import_role", "roles are not supported"},
        {"roles", "roles are not supported (write the tasks in the play)"},
        {"pre_tasks", "write them as the first tasks, or as a play of their own"},
        {"post_tasks", "write them as the last tasks, or as a play of their own"},
        {"import_playbook", "a playbook is one file"},
        {"become", "netauto enters the platform's privileged mode itself, with the inventory's "
                   "enable secret (ansible_become_password)"},
        {"become_method", "netauto enters the platform's privileged mode itself"},
        {"become_user", "netauto enters the platform's privileged mode itself"},
        {"remote_user", "set the user in the inventory (ansible_user)"},
        {"port", "set the port in the inventory (ansible_port)"},
        {"vars_prompt", "give values with -e KEY=VALUE"},
        {"strategy", "hosts always run in parallel, each at its own pace (use serial for "
                     "batches)"},
        {"check_mode", "use --check for the whole run"},
        {"diff", "use --diff for the whole run"},
        {"no_log", "netauto never writes the secrets it types; device output is kept"},
        {"environment", "network devices have no environment"},
        {"async", "every task has a deadline instead (timeout)"},
        {"poll", "every task has a deadline instead (timeout)"},
        {"throttle", "use --forks or serial"},
        {"args", "give the action's value directly"},
        {"action", "give one of command, config, save, vlans, script, assert"},
        {"local_action", "netauto does not run tasks on the control machine"},
        {"module_defaults", "not supported"},
        {"collections", "netauto tasks are command, config, save, vlans, script and assert"},
        {"force_handlers", "handlers run for hosts that have not failed"},
        {"order", "hosts run in inventory order"},
        {"gather_subset", "netauto gathers no facts"},
        {"ignore_unreachable", "an unreachable host fails"},
        {"debugger", "not supported"},
    };
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (!strcmp(key, known[i].key)) {
            snprintf(msg, sizeof msg, "'%s' is an Ansible keyword netauto does not support: %s "
                     "(docs/playbooks.md, \"Coming from Ansible\")", key, known[i].hint);
            return msg;
        }
    if (!strncmp(key, "with_", 5)) {
        snprintf(msg, sizeof msg, "'%s' is not supported: write loop: instead", key);
        return msg;
    }
    if (!in_task)
        return NULL;
    size_t n = strlen(key);
    const char *use = NULL;
    if (n > 8 && !strcmp(key + n - 8, "_command"))
        use = "command: (a command or a list of commands)";
    else if (n > 7 && !strcmp(key + n - 7, "_config"))
        use = "config: (the configuration lines)";
    else if (strchr(key, '.') || !strcmp(key, "debug") || !strcmp(key, "set_fact") ||
             !strcmp(key, "fail") || !strcmp(key, "meta") ||
             !strcmp(key, "shell") || !strcmp(key, "raw") || !strcmp(key, "pause") ||
             !strcmp(key, "wait_for") || !strcmp(key, "template") || !strcmp(key, "copy") ||
             !strcmp(key, "include_vars"))
        use = "one of command, config, save, vlans, script or assert";
    if (!use)
        return NULL;
    snprintf(msg, sizeof msg, "'%s' is an Ansible module; netauto tasks use %s "
             "(docs/playbooks.md, \"Coming from Ansible\")", key, use);
    return msg;
}

/* ---- names: tags, listen, notify ------------------------------------------------------------- */

int na_pb_load_names(na_playbook *pb, const na_task *t, const na_play *p, const na_ynode *n,
                  const char *what, bool comma, na_strv *out, na_err *err)
{
    if (!n || na_yis_null(n))
        return 0;
    size_t cnt = na_yis_seq(n) ? na_yseq_len(n) : 1;
    if (!na_yis_seq(n) && !na_yis_scalar(n))
        return na_pb_lerr(pb, t, p, n, err, "%s must be a name or a list of names", what);
    for (size_t i = 0; i < cnt; i++) {
        const na_ynode *it = na_yis_seq(n) ? na_yseq_item(&pb->doc, n, i) : n;
        const char *s = na_yscalar(it);
        if (!s || na_yis_null(it))
            return na_pb_lerr(pb, t, p, it, err, "each of %s must be a name", what);
        if (na_tpl_has_syntax(s))
            return na_pb_lerr(pb, t, p, it, err, "%s cannot be templates ('%s')", what, s);
        while (*s) { /* "a, b" is two tags */
            size_t l = comma ? strcspn(s, ",") : strlen(s);
            const char *a = s;
            size_t al = l;
            while (al && isspace((unsigned char)*a)) {
                a++;
                al--;
            }
            while (al && isspace((unsigned char)a[al - 1]))
                al--;
            if (al && na_strv_pushn(out, a, al, err) < 0)
                return -1;
            s += l;
            if (*s == ',')
                s++;
        }
    }
    return 0;
}

static int resolve_notify(na_playbook *pb, na_play *p, na_task *t, na_err *err)
{
    if (!t->notify_node)
        return 0;
    if (t->handler)
        return na_pb_lerr(pb, t, NULL, t->notify_node, err, "a handler cannot notify");
    na_strv names = NA_STRV_INIT;
    if (na_pb_load_names(pb, t, NULL, t->notify_node, "notify", false, &names, err) < 0) {
        na_strv_free(&names);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < names.n; i++) {
        size_t found = 0;
        for (size_t h = 0; h < p->nhandlers; h++) {
            na_task *ht = &p->handlers[h];
            bool hit = !strcmp(ht->name, names.v[i]);
            for (size_t l = 0; !hit && l < ht->listen.n; l++)
                hit = !strcmp(ht->listen.v[l], names.v[i]);
            if (!hit)
                continue;
            found++;
            bool dup = false;
            for (size_t k = 0; k < t->nnotify; k++)
                dup |= t->notify[k] == h;
            if (dup)
                continue;
            size_t *a = realloc(t->notify, (t->nnotify + 1) * sizeof *a);
            if (!a) {
                rc = na_err_set(err, NA_E_NOMEM, "out of memory");
                break;
            }
            t->notify = a;
            t->notify[t->nnotify++] = h;
        }
        if (rc == 0 && !found)
            rc = na_pb_lerr(pb, t, NULL, t->notify_node, err, "notify: no handler named or "
                         "listening to '%s' in play '%s'", names.v[i], p->name);
    }
    na_strv_free(&names);
    return rc;
}

/* ---- serial, max_fail_percentage, any_errors_fatal ------------------------------------------ */

static int load_serial(na_playbook *pb, na_play *p, const na_ynode *n, na_err *err)
{
    if (!n || na_yis_null(n))
        return 0;
    size_t cnt = na_yis_seq(n) ? na_yseq_len(n) : 1;
    if (!na_yis_seq(n) && !na_yis_scalar(n))
        return na_pb_lerr(pb, NULL, p, n, err, "serial must be a number, a percentage or a list "
                       "of them");
    if (cnt == 0)
        return na_pb_lerr(pb, NULL, p, n, err, "serial is an empty list");
    p->serial = calloc(cnt, sizeof *p->serial);
    if (!p->serial)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    for (size_t i = 0; i < cnt; i++) {
        const na_ynode *it = na_yis_seq(n) ? na_yseq_item(&pb->doc, n, i) : n;
        const char *s = na_yscalar(it);
        char *end = NULL;
        long v = s ? strtol(s, &end, 10) : 0;
        bool pct = end && *end == '%' && end[1] == '\0';
        if (!s || !*s || !end || (*end && !pct) || end == s || v < 0 || v > 1000000 ||
            (pct && v > 100))
            return na_pb_lerr(pb, NULL, p, it, err, "serial: '%s' is not a number of hosts or a "
                           "percentage such as 30%%", s ? s : "?");
        p->serial[i] = (pb_serial){.n = v, .pct = pct};
        p->nserial = i + 1;
    }
    return 0;
}

size_t na_play_batches(const na_play *p, size_t nhosts, size_t *sizes, size_t cap)
{
    size_t nb = 0, left = nhosts, item = 0;
    while (left > 0) {
        size_t size = left;
        if (p->nserial) {
            const pb_serial *s = &p->serial[item < p->nserial ? item : p->nserial - 1];
            long v = s->n;
            if (s->pct) { /* Ansible: int(pct / 100 * all hosts) or 1 */
                v = (long)((double)s->n / 100.0 * (double)nhosts);
                if (v == 0)
                    v = 1;
            }
            if (v > 0 && (size_t)v < left)
                size = (size_t)v;
            if (item + 1 < p->nserial)
                item++;
            if (v <= 0)
                size = left;
        }
        if (nb < cap)
            sizes[nb] = size;
        nb++;
        left -= size;
    }
    return nb;
}

bool na_play_batched(const na_play *p)
{
    return p->nserial > 0 || p->max_fail >= 0 || p->any_errors_fatal;
}

double na_play_max_fail(const na_play *p) { return p->max_fail; }
bool na_play_any_errors_fatal(const na_play *p) { return p->any_errors_fatal; }
size_t na_play_handler_count(const na_play *p) { return p->nhandlers; }
const na_task *na_play_handler(const na_play *p, size_t i)
{
    return i < p->nhandlers ? &p->handlers[i] : NULL;
}
bool na_task_is_handler(const na_task *t) { return t->handler; }
size_t na_task_notify_count(const na_task *t) { return t->nnotify; }
size_t na_task_notify(const na_task *t, size_t i) { return i < t->nnotify ? t->notify[i] : 0; }

/* ---- vars_files ---------------------------------------------------------------------------- */

static int load_vars_file(na_playbook *pb, na_play *p, const na_ynode *it, const char *file,
                          bool *found, na_err *err)
{
    char path[4096];
    if (file[0] == '/')
        snprintf(path, sizeof path, "%s", file);
    else
        snprintf(path, sizeof path, "%s/%s", pb->dir, file);
    na_buf raw;
    na_err local = NA_ERR_INIT;
    if (na_vault_read_file(path, NA_YDOC_MAX_BYTES, &raw, &local) < 0) {
        if (local.code == NA_E_NOTFOUND) {
            *found = false;
            return 0;
        }
        return na_pb_lerr(pb, NULL, p, it, err, "vars_files: %s", local.msg);
    }
    *found = true;
    na_buf plain;
    bool vaulted = na_avault_is_vault(na_buf_cstr(&raw), raw.len);
    if (vaulted) {
        na_buf_init(&plain, NA_YDOC_MAX_BYTES);
        int rc = na_avault_decrypt(pb->keys, path, raw.data, raw.len, &plain, &local);
        na_buf_free(&raw);
        if (rc < 0) {
            na_buf_free(&plain);
            na_err_set(err, local.code == NA_E_USAGE ? NA_E_USAGE : NA_E_CONFIG, "%s:%u:%u: "
                       "play '%s': vars_files: %s", pb->doc.name, na_yline(it), na_ycol(it),
                       p->name, local.msg);
            return -1;
        }
    } else {
        plain = raw;
    }
    na_ydoc d;
    int rc = na_ydoc_load_mem(&d, path, na_buf_cstr(&plain), plain.len, err);
    if (vaulted && plain.data)
        na_wipe(plain.data, plain.cap);
    na_buf_free(&plain);
    if (rc < 0)
        return -1;
    na_ynode *root = na_ydoc_root(&d);
    if (root && !na_yis_null(root)) {
        if (!na_yis_map(root)) {
            rc = na_yerr(err, &d, root, "a vars file holds a mapping of variables");
        } else {
            for (size_t i = 0; rc == 0 && i < na_ymap_len(root); i++) {
                const char *k = na_yscalar(na_ymap_key(&d, root, i));
                if (!na_pb_identifier(k))
                    rc = na_yerr(err, &d, na_ymap_key(&d, root, i), "invalid variable name "
                                 "'%s'", k ? k : "?");
            }
            json_t *j = rc == 0 ? na_ynode_to_json(&d, root, err) : NULL;
            if (rc == 0 && !j)
                rc = -1;
            if (j) {
                if (!p->files_vars && !(p->files_vars = json_object()))
                    rc = na_err_set(err, NA_E_NOMEM, "out of memory");
                else
                    json_object_update(p->files_vars, j);
                json_decref(j);
            }
        }
    }
    na_ydoc_free(&d);
    return rc;
}

static int load_vars_files(na_playbook *pb, na_play *p, const na_ynode *n, na_err *err)
{
    if (!n || na_yis_null(n))
        return 0;
    size_t cnt = na_yis_seq(n) ? na_yseq_len(n) : 1;
    if (!na_yis_seq(n) && !na_yis_scalar(n))
        return na_pb_lerr(pb, NULL, p, n, err, "vars_files must be a list of files");
    for (size_t i = 0; i < cnt; i++) {
        const na_ynode *it = na_yis_seq(n) ? na_yseq_item(&pb->doc, n, i) : n;
        /* an item that is a list: the first of its files that exists (Ansible's first found) */
        size_t alt = na_yis_seq(it) ? na_yseq_len(it) : 1;
        bool found = false;
        for (size_t j = 0; j < alt && !found; j++) {
            const na_ynode *f = na_yis_seq(it) ? na_yseq_item(&pb->doc, it, j) : it;
            const char *s = na_yscalar(f);
            if (!s || !*s || na_yis_null(f))
                return na_pb_lerr(pb, NULL, p, f, err, "vars_files: each file is a path");
            if (na_tpl_has_syntax(s))
                return na_pb_lerr(pb, NULL, p, f, err, "vars_files: '%s': file names with "
                               "templates are not supported", s);
            if (load_vars_file(pb, p, f, s, &found, err) < 0)
                return -1;
        }
        if (!found)
            return na_pb_lerr(pb, NULL, p, it, err, "vars_files: %s not found (in %s)",
                           na_yis_seq(it) ? "none of these files was"
                                          : na_yscalar(it), pb->dir);
    }
    return 0;
}

/* ---- the play's extras ------------------------------------------------------------------------- */

static int load_bool(na_playbook *pb, na_play *p, const na_ynode *n, const char *what,
                     bool *out, na_err *err)
{
    if (!n)
        return 0;
    na_err local = NA_ERR_INIT;
    if (na_ybool(&pb->doc, n, out, &local) < 0)
        return na_pb_lerr(pb, NULL, p, n, err, "%s must be true or false", what);
    return 0;
}

int na_pb_load_play_extras(na_playbook *pb, na_play *p, na_err *err)
{
    na_ydoc *d = &pb->doc;
    na_ynode *n = p->node;
    p->max_fail = -1;
    if (na_pb_load_names(pb, NULL, p, na_ymap_get(d, n, "tags"), "tags", true, &p->tags, err) < 0 ||
        load_serial(pb, p, na_ymap_get(d, n, "serial"), err) < 0 ||
        load_bool(pb, p, na_ymap_get(d, n, "any_errors_fatal"), "any_errors_fatal",
                  &p->any_errors_fatal, err) < 0 ||
        load_bool(pb, p, na_ymap_get(d, n, "backup"), "backup", &p->backup, err) < 0 ||
        load_bool(pb, p, na_ymap_get(d, n, "resumable"), "resumable", &p->resumable, err) < 0)
        return -1;
    na_ynode *mf = na_ymap_get(d, n, "max_fail_percentage");
    if (mf) {
        double v;
        na_err local = NA_ERR_INIT;
        if (na_ydouble(d, mf, 0, 100, &v, &local) < 0)
            return na_pb_lerr(pb, NULL, p, mf, err, "max_fail_percentage must be a number from 0 "
                           "to 100");
        p->max_fail = v;
    }
    na_ynode *gf = na_ymap_get(d, n, "gather_facts");
    bool gather = false;
    if (load_bool(pb, p, gf, "gather_facts", &gather, err) < 0)
        return -1;
    if (gather)
        return na_pb_lerr(pb, NULL, p, gf, err, "gather_facts: netauto gathers no facts (write "
                       "false, or leave it out)");
    na_ynode *conn = na_ymap_get(d, n, "connection");
    if (conn) {
        const char *c = na_yscalar(conn);
        if (!c || (strcmp(c, "network_cli") && strcmp(c, "ansible.netcommon.network_cli") &&
                   strcmp(c, "ssh")))
            return na_pb_lerr(pb, NULL, p, conn, err, "connection: '%s' is not supported (netauto "
                           "connects to each host itself as its inventory says; network_cli "
                           "is accepted)", c ? c : "?");
    }
    if (load_vars_files(pb, p, na_ymap_get(d, n, "vars_files"), err) < 0)
        return -1;
    for (size_t i = 0; i < p->ntasks; i++)
        if (resolve_notify(pb, p, &p->tasks[i], err) < 0)
            return -1;
    for (size_t i = 0; i < p->nhandlers; i++) {
        if (resolve_notify(pb, p, &p->handlers[i], err) < 0)
            return -1;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(p->handlers[j].name, p->handlers[i].name))
                return na_pb_lerr(pb, &p->handlers[i], NULL, p->handlers[i].node, err,
                               "two handlers have this name in play '%s'", p->name);
    }
    return 0;
}

/* ---- tag selection ----------------------------------------------------------------------------- */

static bool has(const na_strv *a, const char *s)
{
    for (size_t i = 0; i < a->n; i++)
        if (!strcmp(a->v[i], s))
            return true;
    return false;
}

static bool in(const char *const *list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(list[i], s))
            return true;
    return false;
}

/* Does the task have tag x (its own or its play's)? An untagged task has only "untagged". */
static bool tagged(const na_task *t, const char *x)
{
    if (t->tags.n == 0 && t->play->tags.n == 0)
        return !strcmp(x, "untagged");
    return has(&t->tags, x) || has(&t->play->tags, x);
}

/* Does the task have one of the tags in list? */
static bool tagged_any(const na_task *t, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (tagged(t, list[i]))
            return true;
    return false;
}

bool na_task_selected(const na_task *t, const na_pb_tags *sel)
{
    bool untagged = t->tags.n == 0 && t->play->tags.n == 0;
    static const char *const all[] = {"all"}; /* no --tags is --tags all */
    const char *const *only = sel && sel->n_only ? sel->only : all;
    size_t n_only = sel && sel->n_only ? sel->n_only : 1;
    bool run;
    if (tagged(t, "always"))
        run = true;
    else if (in(only, n_only, "all") && !tagged(t, "never"))
        run = true;
    else if (tagged_any(t, only, n_only))
        run = true;
    else if (in(only, n_only, "tagged") && !untagged && !tagged(t, "never"))
        run = true;
    else
        run = false;
    if (run && sel && sel->n_skip) {
        if (in(sel->skip, sel->n_skip, "all")) {
            if (!tagged(t, "always") || in(sel->skip, sel->n_skip, "always"))
                run = false;
        } else if (tagged_any(t, sel->skip, sel->n_skip)) {
            run = false;
        } else if (in(sel->skip, sel->n_skip, "tagged") && !untagged) {
            run = false;
        }
    }
    return run;
}

void na_task_tags_text(const na_task *t, char *buf, size_t cap)
{
    size_t o = 0;
    if (cap)
        buf[0] = '\0';
    const na_strv *srcs[2] = {&t->play->tags, &t->tags};
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < srcs[k]->n && o < cap; i++) {
            if (k == 1 && has(&t->play->tags, srcs[k]->v[i]))
                continue; /* each tag once */
            bool dup = false;
            for (size_t j = 0; j < i; j++)
                dup |= !strcmp(srcs[k]->v[j], srcs[k]->v[i]);
            if (!dup)
                o += (size_t)snprintf(buf + o, cap - o, "%s%s", o ? ", " : "", srcs[k]->v[i]);
        }
}
