/* runner_config.c — config and save tasks that converge (issue 13): the running configuration
 * is read once per host (again only after something may have changed it), a config task sends
 * only what is missing (core/cfgtree.h: parents / lines / match / replace / before / after, or
 * the list form as a snippet), stores a backup before the host's first change, makes a change
 * under the device's own undo timer (`confirm:`; runner_host.c confirms or rolls it back at the
 * end of the play), and with --check shows what it would send while the tree becomes what the
 * device would show. save: true / changed / modified. Resumable steps like runner_task.c's. Not
 * the tree itself (core/cfgtree.c) and not the confirm / rollback at the end of the play.
 *
 * For a task delivered again (a retry, a cluster redelivery): nothing here trusts an earlier
 * run — each host session starts without a tree, so the device is read and only what it lacks
 * is sent. */
#include "pb_int.h"
#include "runner_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- config: converge --------------------------------------------------------------------- */

/* The platform says how it shows its configuration: config tasks read it and send only what is
 * missing. Without it (linux, generic, Junos...) they send their lines every time. */
bool na_rn_config_converges(const rn_host *h) { return h->plat->running.show != NULL; }

static bool cfg_needs_read(const rn_host *h)
{
    const na_task_exp *x = h->x;
    if (!na_rn_config_converges(h))
        return false;
    if (!x->config_map)
        return true;
    for (size_t i = 0; i < x->n_cfg; i++)
        if (x->cfg[i].match != NA_CFG_MATCH_NONE)
            return true;
    return false;
}

int na_rn_running_parse(rn_host *h, const char *output, size_t n)
{
    const na_platform *p = h->plat;
    na_cfg_syntax syn = {(const char *const *)p->running.comments, p->running.ncomments,
                         (const char *const *)p->running.ends, p->running.nends};
    na_err e = NA_ERR_INIT;
    na_cfg *c = na_cfg_parse(output ? output : "", output ? n : 0, &syn, &e);
    if (!c) {
        na_err_prefix(&e, "%s: reading the running configuration: ", h->inv->name);
        na_rn_task_fail(h, &e);
        return -1;
    }
    na_cfg_free(h->running);
    h->running = c;
    h->running_stale = false;
    return 0;
}

/* The write-ahead record of lines and one more line after them (a commit). */
static void record_with(rn_host *h, const char *kind, const na_strv *lines, const char *last)
{
    const char **v = calloc(lines->n + 1, sizeof *v);
    if (!v) { /* the record still holds every line that changes the device */
        na_rn_record(h, kind, (const char *const *)lines->v, lines->n);
        return;
    }
    for (size_t i = 0; i < lines->n; i++)
        v[i] = lines->v[i];
    v[lines->n] = last;
    na_rn_record(h, kind, v, lines->n + 1);
    free(v);
}

/* Read a configuration (not one of the task's commands: nothing is sent that changes it). */
static int start_read(rn_host *h, const char *cmd)
{
    na_cmd_opts co = {.timeout_ms = na_rn_task_timeout(h)};
    na_err e = NA_ERR_INIT;
    if (na_session_start_command(h->s, cmd, &co, &e) < 0) {
        na_rn_task_fail(h, &e);
        return -1;
    }
    h->op = RN_OP_SESSION;
    rn_op_started(h);
    na_rn_record(h, "command", &cmd, 1);
    return 0;
}

static na_cfg_block cfg_block(const na_task_cfg *b)
{
    return (na_cfg_block){
        .parents = (const char *const *)b->parents.v, .nparents = b->parents.n,
        .lines = (const char *const *)b->lines.v,     .nlines = b->lines.n,
        .before = (const char *const *)b->before.v,   .nbefore = b->before.n,
        .after = (const char *const *)b->after.v,     .nafter = b->after.n,
        .match = b->match,                            .replace = b->replace,
    };
}

/* The lines to send (h->plan): the missing ones of each block (mapping form), or every line when
 * one of the list's lines is missing (list form). With --check, h->running becomes what the
 * device would show afterwards. */
static int cfg_plan(rn_host *h, na_err *e)
{
    const na_task_exp *x = h->x;
    na_cfg *run = na_rn_config_converges(h) ? h->running : NULL;
    na_strv_free(&h->plan);
    if (x->config_map) {
        for (size_t i = 0; i < x->n_cfg; i++) {
            na_cfg_block b = cfg_block(&x->cfg[i]);
            if (na_cfg_plan(run, &b, &h->plan, NULL, e) < 0)
                return -1;
            if (h->r->check && run && na_cfg_apply(run, &b, e) < 0)
                return -1;
        }
        return 0;
    }
    if (run && cfg_needs_read(h)) { /* the lines as a snippet: sections by indentation */
        na_buf txt;
        na_buf_init(&txt, 0);
        int rc = 0;
        for (size_t i = 0; rc == 0 && i < x->config.n; i++)
            rc = na_buf_printf(&txt, e, "%s\n", x->config.v[i]);
        na_cfg *snip = NULL;
        if (rc == 0) {
            na_cfg_syntax syn = {(const char *const *)h->plat->running.comments,
                                 h->plat->running.ncomments,
                                 (const char *const *)h->plat->running.ends,
                                 h->plat->running.nends};
            snip = na_cfg_parse(na_buf_cstr(&txt), txt.len, &syn, e);
        }
        na_buf_free(&txt);
        if (!snip)
            return -1;
        bool have = na_cfg_contains(run, snip);
        if (!have && h->r->check)
            rc = na_cfg_apply_snippet(run, snip, e);
        na_cfg_free(snip);
        if (have || rc < 0)
            return rc;
    }
    for (size_t i = 0; i < x->config.n; i++)
        if (na_strv_push(&h->plan, x->config.v[i], e) < 0)
            return -1;
    return 0;
}

static int cfg_done(rn_host *h)
{
    h->cur.reg = na_result_change(&h->cur.commands, h->cur.changed, !h->cur.ok, na_rn_msg_of(h));
    if (h->cur.reg && h->cur.backup_path)
        json_object_set_new(h->cur.reg, "backup_path",
                            na_rn_typed(h->cur.backup_path, strlen(h->cur.backup_path)));
    if (h->cur.reg && h->cur.running) /* only kept when the task registers its result */
        json_object_set_new(h->cur.reg, "running_config",
                            na_rn_text(h->cur.running, strlen(h->cur.running)));
    return RN_DONE;
}

/* backup: the running configuration (as read) into DIR/HOST_YYYYmmddTHHMMSS.cfg, private, before
 * the host's first change. -1 with the task failed (then nothing is sent). */
static int write_backup(rn_host *h)
{
    na_err e = NA_ERR_INIT;
    const char *dir = h->r->backup_dir;
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        na_err_set(&e, NA_E_IO, "%s: backup: cannot create directory '%s': %s", h->inv->name, dir,
                   strerror(errno));
        na_rn_task_fail(h, &e);
        return -1;
    }
    char name[256], stamp[32];
    snprintf(name, sizeof name, "%s", h->inv->name);
    for (char *c = name; *c; c++)
        if (*c == '/')
            *c = '_';
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &tm);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s_%s.cfg", dir, name, stamp);
    na_buf b;
    na_buf_init(&b, 0);
    int rc = na_cfg_render(h->running, &b, &e);
    int fd = rc < 0 ? -1 : open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (rc == 0 && fd < 0)
        rc = na_err_set(&e, NA_E_IO, "%s: backup: cannot write '%s': %s", h->inv->name, path,
                        strerror(errno));
    for (size_t off = 0; rc == 0 && off < b.len;) {
        ssize_t w = write(fd, na_buf_cstr(&b) + off, b.len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            rc = na_err_set(&e, NA_E_IO, "%s: backup: writing '%s': %s", h->inv->name, path,
                            strerror(errno));
        else
            off += (size_t)w;
    }
    if (fd >= 0 && close(fd) < 0 && rc == 0)
        rc = na_err_set(&e, NA_E_IO, "%s: backup: writing '%s': %s", h->inv->name, path,
                        strerror(errno));
    na_buf_free(&b);
    if (rc < 0) {
        na_rn_task_fail(h, &e);
        return -1;
    }
    h->backed_up = true;
    free(h->cur.backup_path);
    h->cur.backup_path = strdup(path);
    return 0;
}

/* What the task would send, with --check: the plan, rendered as [config]. */
static int cfg_check(rn_host *h)
{
    h->cur.rendered = true;
    na_err e = NA_ERR_INIT;
    if (na_buf_puts(&h->cur.output, "[config]", &e) < 0)
        na_rn_task_fail(h, &e);
    for (size_t i = 0; i < h->plan.n; i++) {
        na_rn_out_add_cstr(h, h->plan.v[i]);
        na_rn_cmd_add(h, h->plan.v[i]);
    }
    h->cur.changed = h->plan.n > 0;
    return cfg_done(h);
}

/* confirm: the platform's command that starts the device's undo timer (confirm.enter or
 * confirm.commit), the task's seconds put in ({minutes} rounded up). */
static int confirm_cmd(const rn_host *h, const char *src, char *out, size_t cap)
{
    int secs = na_task_confirm(h->x->task);
    size_t n = 0;
    while (*src && n + 24 < cap) {
        if (!strncmp(src, "{minutes}", 9) || !strncmp(src, "{seconds}", 9)) {
            int v = src[1] == 'm' ? (secs + 59) / 60 : secs;
            n += (size_t)snprintf(out + n, cap - n, "%d", v);
            src += 9;
        } else {
            out[n++] = *src++;
        }
    }
    out[n] = '\0';
    return *src ? -1 : 0;
}

/* The session is left in config mode by a push that confirm's command began: back to the
 * default mode, which starts the device's timer. */
static int leave_config(rn_host *h)
{
    const na_platform *p = h->plat;
    na_err e = NA_ERR_INIT;
    if (p->default_mode == NA_NO_MODE)
        return 1;
    if (na_session_start_mode(h->s, p->modes[p->default_mode].name, &e) < 0) {
        na_rn_task_fail(h, &e);
        return -1;
    }
    h->op = RN_OP_SESSION;
    rn_op_started(h);
    const char *mode = p->modes[p->default_mode].name; /* the platform's way back to it */
    na_rn_record(h, "mode", &mode, 1);
    return 0;
}

/* Steps: 0 start -> 2 the running configuration read (when needed) -> plan -> 1 the push.
 * With confirm: plan -> 20 the platform's confirm.enter (config mode with the undo timer) ->
 * 21 the push -> 22 back to the default mode; on a commit model: plan -> 23 the push with
 * confirm.commit as its commit. The runner confirms or rolls back at the end of the play
 * (runner_host.c). */
int na_rn_config_step(rn_host *h)
{
    na_task_exp *x = h->x;
    na_err e = NA_ERR_INIT;
    switch (h->sub) {
    case 0:
        if (x->config.n == 0) {
            h->cur.reg = na_result_change(&x->config, false, false, NULL);
            return RN_DONE;
        }
        if (cfg_needs_read(h) && (!h->running || h->running_stale)) {
            if (start_read(h, h->plat->running.show) < 0)
                return cfg_done(h);
            h->sub = 2;
            return RN_WAIT;
        }
        break;
    case 2:
        if (h->op_st != NA_OK) {
            na_rn_task_fail(h, &h->op_err);
            return cfg_done(h);
        }
        if (na_rn_running_parse(h, h->res.output, h->res.output_len) < 0)
            return cfg_done(h);
        if (h->r->check && h->r->diff && !h->cfg_before) { /* the diff it would make */
            na_buf b;
            na_buf_init(&b, 0);
            if (na_cfg_render(h->running, &b, &e) == 0)
                h->cfg_before = na_buf_steal(&b);
            na_buf_free(&b);
        }
        break;
    case 20: {
        if (h->op_st != NA_OK) { /* no timer, so nothing is sent: the change is not safe */
            na_rn_task_fail(h, &h->op_err);
            return cfg_done(h);
        }
        h->cf_pending = true; /* from now on the device undoes the change unless confirmed */
        h->cf_play = h->cur.play;
        free(h->cf_task);
        h->cf_task = strdup(h->cur.name ? h->cur.name : "?");
        na_config_opts co = {.timeout_ms = na_rn_task_timeout(h), .window = h->r->config_window,
                             .mode = ""};
        if (na_session_start_config(h->s, (const char *const *)h->plan.v, h->plan.n, &co,
                                    &e) < 0) {
            na_rn_task_fail(h, &e);
            return cfg_done(h);
        }
        h->op = RN_OP_SESSION;
        rn_op_started(h);
        na_rn_record(h, "config", (const char *const *)h->plan.v, h->plan.n);
        h->sub = 21;
        return RN_WAIT;
    }
    case 21: {
        na_rn_config_done(h);
        h->running_stale = true;
        if (!na_session_usable(h->s))
            return cfg_done(h);
        int rc = leave_config(h);
        if (rc != 0)
            return cfg_done(h);
        h->sub = 22;
        return RN_WAIT;
    }
    case 22:
        if (h->op_st != NA_OK)
            na_rn_task_fail(h, &h->op_err);
        return cfg_done(h);
    case 23: /* commit model: committed with the timer, unless a line or the commit failed */
        na_rn_config_done(h);
        h->running_stale = true;
        if (h->op_st == NA_OK && !h->res.failed_line) {
            h->cf_pending = true;
            h->cf_play = h->cur.play;
            free(h->cf_task);
            h->cf_task = strdup(h->cur.name ? h->cur.name : "?");
        }
        return cfg_done(h);
    default:
        na_rn_config_done(h);
        h->running_stale = true; /* read again before the next config task */
        return cfg_done(h);
    }
    if (na_task_register(x->task) && h->running && !h->cur.running) {
        na_buf b;
        na_buf_init(&b, 0);
        if (na_cfg_render(h->running, &b, &e) == 0)
            h->cur.running = na_buf_steal(&b);
        na_buf_free(&b);
    }
    if (cfg_plan(h, &e) < 0) {
        na_rn_task_fail(h, &e);
        return cfg_done(h);
    }
    if (h->r->check)
        return cfg_check(h);
    if (h->plan.n == 0) /* the device has every line already: nothing is sent */
        return cfg_done(h);
    if (na_task_backup(x->task) && !h->backed_up && h->running && write_backup(h) < 0)
        return cfg_done(h); /* no backup, no change */
    if (na_task_confirm(x->task) > 0) {
        const char *src = h->plat->confirm.enter ? h->plat->confirm.enter
                                                 : h->plat->confirm.commit;
        char cmd[512];
        if (!src || confirm_cmd(h, src, cmd, sizeof cmd) < 0) {
            na_err_set(&e, NA_E_CONFIG, "%s: platform '%s' cannot confirm this change",
                       h->inv->name, h->plat->name);
            na_rn_task_fail(h, &e);
            return cfg_done(h);
        }
        if (!h->plat->confirm.enter) { /* commit model: the lines, then the timed commit */
            na_config_opts co = {.timeout_ms = na_rn_task_timeout(h),
                                 .window = h->r->config_window,
                                 .commit = cmd};
            if (na_session_start_config(h->s, (const char *const *)h->plan.v, h->plan.n, &co,
                                        &e) < 0) {
                na_rn_task_fail(h, &e);
                return cfg_done(h);
            }
            h->op = RN_OP_SESSION;
            rn_op_started(h);
            record_with(h, "config", &h->plan, cmd); /* the lines, then the timed commit */
            h->sub = 23;
            return RN_WAIT;
        }
        if (na_rn_start_command(h, cmd, na_rn_task_timeout(h)) < 0)
            return cfg_done(h);
        h->sub = 20;
        return RN_WAIT;
    }
    if (na_rn_start_config(h, &h->plan) < 0)
        return cfg_done(h);
    h->sub = 1;
    return RN_WAIT;
}

/* ---- save ----------------------------------------------------------------------------------- */

static int save_done(rn_host *h)
{
    h->cur.reg = na_result_change(&h->cur.commands, h->cur.changed, !h->cur.ok, na_rn_msg_of(h));
    return RN_DONE;
}

static int save_start(rn_host *h)
{
    if (h->r->check) {
        h->cur.rendered = true;
        const char *cmd = h->plat->save.send ? h->plat->save.send : "save";
        na_err e = NA_ERR_INIT;
        if (na_buf_printf(&h->cur.output, &e, "[save]\n%s", cmd) < 0)
            na_rn_task_fail(h, &e);
        na_rn_cmd_add(h, cmd);
        h->cur.changed = true;
        return save_done(h);
    }
    na_err e = NA_ERR_INIT;
    if (na_session_start_save(h->s, &e) < 0) {
        na_rn_task_fail(h, &e);
        return save_done(h);
    }
    const char *line = h->plat->save.send ? h->plat->save.send : "save";
    na_rn_cmd_add(h, line);
    h->op = RN_OP_SESSION;
    rn_op_started(h);
    na_rn_record(h, "save", &line, 1);
    h->sub = 1;
    return RN_WAIT;
}

/* Does the running configuration differ from the startup one (both read)? */
static int save_compare(rn_host *h)
{
    if (na_cfg_equal(h->running, h->startup)) {
        na_rn_out_add_cstr(h, "the running configuration is the startup configuration: not saved");
        return save_done(h);
    }
    return save_start(h);
}

/* save: true -> save; changed -> save when a task of this run changed the host (with --check:
 * would change); modified -> 10 read the startup configuration -> 11 the running one (when not
 * known) -> save when they differ. */
int na_rn_save_step(rn_host *h)
{
    na_err e = NA_ERR_INIT;
    const na_platform *p = h->plat;
    switch (h->sub) {
    case 0:
        if (!p->save.send) {
            na_err_set(&e, NA_E_UNSUPPORTED, "platform '%s' has no save command", p->name);
            na_rn_task_fail(h, &e);
            return save_done(h);
        }
        if (h->x->save_when == NA_SAVE_CHANGED && !h->changed) {
            na_rn_out_add_cstr(h, "nothing changed in this run: not saved");
            return save_done(h);
        }
        if (h->x->save_when != NA_SAVE_MODIFIED)
            return save_start(h);
        if (!p->running.show || !p->running.startup) {
            na_err_set(&e, NA_E_UNSUPPORTED,
                       "platform '%s' does not say how to read its startup configuration "
                       "(running_config.startup): use save: true or save: changed", p->name);
            na_rn_task_fail(h, &e);
            return save_done(h);
        }
        if (start_read(h, p->running.startup) < 0)
            return save_done(h);
        h->sub = 10;
        return RN_WAIT;
    case 10: {
        if (h->op_st != NA_OK) {
            na_rn_task_fail(h, &h->op_err);
            return save_done(h);
        }
        na_cfg_syntax syn = {(const char *const *)p->running.comments, p->running.ncomments,
                             (const char *const *)p->running.ends, p->running.nends};
        na_cfg_free(h->startup);
        if (!(h->startup = na_cfg_parse(h->res.output ? h->res.output : "",
                                        h->res.output ? h->res.output_len : 0, &syn, &e))) {
            na_rn_task_fail(h, &e);
            return save_done(h);
        }
        if (h->running && !h->running_stale)
            return save_compare(h);
        if (start_read(h, p->running.show) < 0)
            return save_done(h);
        h->sub = 11;
        return RN_WAIT;
    }
    case 11:
        if (h->op_st != NA_OK) {
            na_rn_task_fail(h, &h->op_err);
            return save_done(h);
        }
        if (na_rn_running_parse(h, h->res.output, h->res.output_len) < 0)
            return save_done(h);
        return save_compare(h);
    default:
        break;
    }
    na_rn_out_add(h, h->res.output ? h->res.output : "", h->res.output ? h->res.output_len : 0);
    if (h->op_st != NA_OK)
        na_rn_task_fail(h, &h->op_err);
    h->cur.changed = h->cur.ok; /* the startup configuration was written */
    return save_done(h);
}
