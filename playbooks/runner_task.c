/* runner_task.c — what each task kind sends, as resumable steps on the host's session: command
 * (each command of each loop item, then the expect patterns), config (one push), save, vlans
 * (read `show vlan brief` -> plan -> push -> read again -> verify) and --check rendering. Each
 * step either starts the next session operation (RN_WAIT) or completes the task (RN_DONE) with
 * its record and registered result filled. Not scheduling or the event loop (runner_host.c) and
 * not scripts (runner_script.c). */
#include "clock.h"
#include "pb_int.h"
#include "runner_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------------------------ */

void rn_task_fail(rn_host *h, const na_err *e)
{
    h->cur.ok = false;
    if (!na_err_isset(&h->cur.err) && e)
        h->cur.err = *e;
    if (!na_err_isset(&h->cur.err))
        na_err_set(&h->cur.err, NA_E_INTERNAL, "task failed");
}

int rn_task_timeout(const rn_host *h)
{
    if (h->x && h->x->timeout_ms > 0)
        return h->x->timeout_ms;
    return h->r->task_timeout_ms;
}

/* Append a piece of output (pieces separated by a newline). Past the ceiling the shown output
 * is cut; the registered result still has everything. */
static void out_add(rn_host *h, const char *s, size_t n)
{
    rn_task_rec_append(&h->cur, &h->cur.output, s, n);
}

static void out_add_cstr(rn_host *h, const char *s)
{
    if (s)
        out_add(h, s, strlen(s));
}

/* What ran, for the result; without memory the record says it is incomplete. */
static void cmd_add(rn_host *h, const char *line)
{
    if (na_strv_push(&h->cur.commands, line, NULL) < 0)
        h->cur.cut = true;
}

int rn_start_command(rn_host *h, const char *cmd, int timeout_ms)
{
    return rn_start_command_in(h, cmd, timeout_ms, NULL);
}

int rn_start_command_in(rn_host *h, const char *cmd, int timeout_ms, const char *mode)
{
    na_cmd_opts co = {.timeout_ms = timeout_ms, .mode = mode};
    na_err e = NA_ERR_INIT;
    if (na_session_start_command(h->s, cmd, &co, &e) < 0) {
        h->op_err = e;
        rn_task_fail(h, &e);
        return -1;
    }
    cmd_add(h, cmd);
    h->op = RN_OP_SESSION;
    rn_op_started(h);
    return 0;
}

static int start_config(rn_host *h, const na_strv *lines)
{
    na_config_opts co = {.timeout_ms = rn_task_timeout(h), .window = h->r->config_window};
    na_err e = NA_ERR_INIT;
    if (na_session_start_config(h->s, (const char *const *)lines->v, lines->n, &co, &e) < 0) {
        rn_task_fail(h, &e);
        return -1;
    }
    h->op = RN_OP_SESSION;
    rn_op_started(h);
    return 0;
}

/* After a config push: the lines the device got, their output, and whether they changed it. */
static void config_done(rn_host *h)
{
    for (size_t i = 0; i < h->res.nlines; i++) {
        cmd_add(h, h->res.lines[i].line);
        if (h->res.lines[i].output && *h->res.lines[i].output)
            out_add_cstr(h, h->res.lines[i].output);
    }
    /* every line the device took changes it; a rejected line does not */
    h->cur.changed |= h->res.nlines > (h->res.failed_line ? 1u : 0u);
    if (h->op_st != NA_OK)
        rn_task_fail(h, &h->op_err);
}

void rn_item_fail(rn_host *h, const na_err *e)
{
    if (!h->item_failed && e)
        h->item_err = *e;
    h->item_failed = true;
    rn_task_fail(h, e);
}

void rn_add_item(rn_host *h, json_t *item)
{
    if (!item)
        return;
    if (!h->x->task->loop) {
        json_decref(h->cur.reg);
        h->cur.reg = item;
    } else if (h->cur.items || (h->cur.items = json_array())) {
        json_array_append_new(h->cur.items, item);
    } else {
        json_decref(item);
    }
}

int rn_finish_items(rn_host *h)
{
    if (h->x->task->loop) {
        json_decref(h->cur.reg);
        h->cur.reg = na_result_loop(h->cur.items ? h->cur.items : json_array());
        h->cur.items = NULL;
    }
    return RN_DONE;
}

static const char *msg_of(const rn_host *h) { return h->cur.ok ? NULL : h->cur.err.msg; }

/* ---- --check ------------------------------------------------------------------------------ */

static int check_render(rn_host *h)
{
    const na_task_exp *x = h->x;
    na_err e = NA_ERR_INIT;
    if (x->kind == NA_TASK_SAVE && !h->plat->save.send) {
        na_err_set(&e, NA_E_UNSUPPORTED, "platform '%s' has no save command", h->plat->name);
        rn_task_fail(h, &e);
        return RN_DONE;
    }
    na_render_ctx ctx = {.save_command = h->plat->save.send, .vlan_read_command = RN_VLAN_READ_CMD};
    h->cur.rendered = true;
    if (na_task_exp_render(x, &ctx, &h->cur.output, &e) < 0) {
        rn_task_fail(h, &e);
        return RN_DONE;
    }
    /* what would be sent: the rendered lines without their [section] headers */
    const char *p = na_buf_cstr(&h->cur.output);
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n && p[0] != '[' && na_strv_pushn(&h->cur.commands, p, n, NULL) < 0)
            h->cur.cut = true; /* out of memory: the record is incomplete */
        p += n + (nl ? 1 : 0);
    }
    switch (x->kind) {
    case NA_TASK_CONFIG:
        h->cur.changed = x->config.n > 0;
        h->cur.reg = na_result_change(&x->config, h->cur.changed, false, NULL);
        break;
    case NA_TASK_SAVE:
        h->cur.changed = true;
        h->cur.reg = na_result_change(&h->cur.commands, true, false, NULL);
        break;
    case NA_TASK_SCRIPT: h->cur.changed = true; break;
    default: break; /* command: nothing changes; not run, so nothing is registered */
    }
    return RN_DONE;
}

/* ---- command -------------------------------------------------------------------------------- */

/* `parse:` for an item whose commands all succeeded: records per command (NULL + the item
 * failed when one output does not parse). */
static json_t *parse_item(rn_host *h, const na_task_iter *it)
{
    const na_task *t = h->x->task;
    json_t *all = json_array();
    if (!all) {
        na_err e = NA_ERR_INIT;
        na_err_set(&e, NA_E_NOMEM, "out of memory");
        rn_item_fail(h, &e);
        return NULL;
    }
    for (size_t i = 0; i < h->iter_out.n && i < it->commands.n; i++) {
        const char *out = h->iter_out.v[i];
        na_err e = NA_ERR_INIT;
        json_t *recs = NULL;
        if (na_task_parse_kind(t) == NA_PARSE_TEMPLATE) {
            na_tfsm_result *r = na_tfsm_parse(na_task_parse_template(t), out, strlen(out), NULL,
                                              &e);
            if (r && !(recs = na_tfsm_result_json(r, NA_TFSM_KEYS_LOWER)))
                na_err_set(&e, NA_E_NOMEM, "out of memory");
            na_tfsm_result_free(r);
        } else if (h->r->tfsm) {
            recs = na_tfsm_lib_parse(h->r->tfsm, h->inv->platform, it->commands.v[i], out,
                                     strlen(out), NULL, &e);
        } else {
            na_err_set(&e, NA_E_INTERNAL, "no templates loaded");
        }
        if (!recs) {
            na_err_prefix(&e, "%s: parse '%s': ", h->inv->name, it->commands.v[i]);
            rn_item_fail(h, &e);
            json_decref(all);
            return NULL;
        }
        json_array_append_new(all, recs); /* the device's words, exactly, as outputs are */
    }
    return all;
}

/* An item is over: its expect patterns (when it did not fail already), its records (`parse:`),
 * its registered result for the commands that ran (outputs in h->iter_out). */
static void command_item_end(rn_host *h, const na_task_iter *it)
{
    if (!h->item_failed && it->expect.n) { /* all of the item's outputs, joined by newlines */
        na_buf all;
        na_buf_init(&all, 0);
        na_err e = NA_ERR_INIT;
        int rc = 0;
        for (size_t i = 0; rc == 0 && i < h->iter_out.n; i++) {
            if (i)
                rc = na_buf_append(&all, "\n", 1, "the item's outputs", &e);
            if (rc == 0)
                rc = na_buf_append(&all, h->iter_out.v[i], strlen(h->iter_out.v[i]),
                                   "the item's outputs", &e);
        }
        if (rc < 0 || na_task_iter_expect(it, na_buf_cstr(&all), all.len, &e) < 0)
            rn_item_fail(h, &e);
        na_buf_free(&all);
    }
    json_t *parsed = NULL;
    if (!h->item_failed && na_task_parse_kind(h->x->task) != NA_PARSE_NONE)
        parsed = parse_item(h, it);
    if (parsed) { /* the task's result lists every command's records, item after item */
        if (!h->cur.parsed)
            h->cur.parsed = json_array();
        json_array_extend(h->cur.parsed, parsed);
    }
    na_strv ran = NA_STRV_INIT;
    for (size_t i = 0; i < h->iter_out.n && i < it->commands.n; i++)
        if (na_strv_push(&ran, it->commands.v[i], NULL) < 0)
            h->cur.cut = true; /* out of memory: the record is incomplete */
    json_t *res = na_result_command(&ran, (const char *const *)h->iter_out.v, h->item_failed,
                                    h->item_failed ? h->item_err.msg : NULL);
    if (res && parsed)
        json_object_set(res, "parsed", parsed);
    json_decref(parsed);
    rn_add_item(h, res);
    na_strv_free(&ran);
    na_strv_free(&h->iter_out);
    h->item_failed = false;
    na_err_clear(&h->item_err);
}

/* Every item runs (like Ansible's loops) while the session is usable; within an item the
 * commands stop at the first failure. */
static int k_command(rn_host *h)
{
    na_task_exp *x = h->x;
    if (h->sub == 1) { /* a command ended */
        h->sub = 0;
        const char *out = h->res.output ? h->res.output : "";
        na_err pe = NA_ERR_INIT;
        if (na_strv_push(&h->iter_out, out, &pe) < 0)
            rn_item_fail(h, &pe); /* its expect patterns cannot be checked */
        out_add(h, out, h->res.output ? h->res.output_len : 0);
        if (h->op_st == NA_OK) {
            h->cmd++;
        } else {
            rn_item_fail(h, &h->op_err);
            command_item_end(h, &x->iters[h->iter]);
            h->iter++;
            h->cmd = 0;
            if (!na_session_usable(h->s))
                return rn_finish_items(h);
        }
    }
    for (; h->iter < x->n_iters; h->iter++, h->cmd = 0) {
        na_task_iter *it = &x->iters[h->iter];
        if (it->skipped) {
            rn_add_item(h, na_result_skipped());
            continue;
        }
        if (h->cmd < it->commands.n) {
            if (rn_start_command(h, it->commands.v[h->cmd], rn_task_timeout(h)) == 0) {
                h->sub = 1;
                return RN_WAIT;
            }
            rn_item_fail(h, &h->op_err);
            command_item_end(h, it);
            if (!na_session_usable(h->s))
                return rn_finish_items(h);
            continue;
        }
        command_item_end(h, it);
    }
    return rn_finish_items(h);
}

/* ---- config: converge --------------------------------------------------------------------- */

/* The platform says how it shows its configuration: config tasks read it and send only what is
 * missing. Without it (linux, generic, Junos...) they send their lines every time. */
static bool cfg_converges(const rn_host *h) { return h->plat->running.show != NULL; }

static bool cfg_needs_read(const rn_host *h)
{
    const na_task_exp *x = h->x;
    if (!cfg_converges(h))
        return false;
    if (!x->config_map)
        return true;
    for (size_t i = 0; i < x->n_cfg; i++)
        if (x->cfg[i].match != NA_CFG_MATCH_NONE)
            return true;
    return false;
}

int rn_running_parse(rn_host *h, const char *output, size_t n)
{
    const na_platform *p = h->plat;
    na_cfg_syntax syn = {(const char *const *)p->running.comments, p->running.ncomments,
                         (const char *const *)p->running.ends, p->running.nends};
    na_err e = NA_ERR_INIT;
    na_cfg *c = na_cfg_parse(output ? output : "", output ? n : 0, &syn, &e);
    if (!c) {
        na_err_prefix(&e, "%s: reading the running configuration: ", h->inv->name);
        rn_task_fail(h, &e);
        return -1;
    }
    na_cfg_free(h->running);
    h->running = c;
    h->running_stale = false;
    return 0;
}

/* Read a configuration (not one of the task's commands: nothing is sent that changes it). */
static int start_read(rn_host *h, const char *cmd)
{
    na_cmd_opts co = {.timeout_ms = rn_task_timeout(h)};
    na_err e = NA_ERR_INIT;
    if (na_session_start_command(h->s, cmd, &co, &e) < 0) {
        rn_task_fail(h, &e);
        return -1;
    }
    h->op = RN_OP_SESSION;
    rn_op_started(h);
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
    na_cfg *run = cfg_converges(h) ? h->running : NULL;
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
    h->cur.reg = na_result_change(&h->cur.commands, h->cur.changed, !h->cur.ok, msg_of(h));
    if (h->cur.reg && h->cur.backup_path)
        json_object_set_new(h->cur.reg, "backup_path",
                            rn_typed(h->cur.backup_path, strlen(h->cur.backup_path)));
    if (h->cur.reg && h->cur.running) /* only kept when the task registers its result */
        json_object_set_new(h->cur.reg, "running_config",
                            rn_text(h->cur.running, strlen(h->cur.running)));
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
        rn_task_fail(h, &e);
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
        rn_task_fail(h, &e);
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
        rn_task_fail(h, &e);
    for (size_t i = 0; i < h->plan.n; i++) {
        out_add_cstr(h, h->plan.v[i]);
        cmd_add(h, h->plan.v[i]);
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
        rn_task_fail(h, &e);
        return -1;
    }
    h->op = RN_OP_SESSION;
    rn_op_started(h);
    return 0;
}

/* Steps: 0 start -> 2 the running configuration read (when needed) -> plan -> 1 the push.
 * With confirm: plan -> 20 the platform's confirm.enter (config mode with the undo timer) ->
 * 21 the push -> 22 back to the default mode; on a commit model: plan -> 23 the push with
 * confirm.commit as its commit. The runner confirms or rolls back at the end of the play
 * (runner_host.c). */
static int k_config(rn_host *h)
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
            rn_task_fail(h, &h->op_err);
            return cfg_done(h);
        }
        if (rn_running_parse(h, h->res.output, h->res.output_len) < 0)
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
            rn_task_fail(h, &h->op_err);
            return cfg_done(h);
        }
        h->cf_pending = true; /* from now on the device undoes the change unless confirmed */
        h->cf_play = h->cur.play;
        free(h->cf_task);
        h->cf_task = strdup(h->cur.name ? h->cur.name : "?");
        na_config_opts co = {.timeout_ms = rn_task_timeout(h), .window = h->r->config_window,
                             .mode = ""};
        if (na_session_start_config(h->s, (const char *const *)h->plan.v, h->plan.n, &co,
                                    &e) < 0) {
            rn_task_fail(h, &e);
            return cfg_done(h);
        }
        h->op = RN_OP_SESSION;
        rn_op_started(h);
        h->sub = 21;
        return RN_WAIT;
    }
    case 21: {
        config_done(h);
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
            rn_task_fail(h, &h->op_err);
        return cfg_done(h);
    case 23: /* commit model: committed with the timer, unless a line or the commit failed */
        config_done(h);
        h->running_stale = true;
        if (h->op_st == NA_OK && !h->res.failed_line) {
            h->cf_pending = true;
            h->cf_play = h->cur.play;
            free(h->cf_task);
            h->cf_task = strdup(h->cur.name ? h->cur.name : "?");
        }
        return cfg_done(h);
    default:
        config_done(h);
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
        rn_task_fail(h, &e);
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
            rn_task_fail(h, &e);
            return cfg_done(h);
        }
        if (!h->plat->confirm.enter) { /* commit model: the lines, then the timed commit */
            na_config_opts co = {.timeout_ms = rn_task_timeout(h),
                                 .window = h->r->config_window,
                                 .commit = cmd};
            if (na_session_start_config(h->s, (const char *const *)h->plan.v, h->plan.n, &co,
                                        &e) < 0) {
                rn_task_fail(h, &e);
                return cfg_done(h);
            }
            h->op = RN_OP_SESSION;
            rn_op_started(h);
            h->sub = 23;
            return RN_WAIT;
        }
        if (rn_start_command(h, cmd, rn_task_timeout(h)) < 0)
            return cfg_done(h);
        h->sub = 20;
        return RN_WAIT;
    }
    if (start_config(h, &h->plan) < 0)
        return cfg_done(h);
    h->sub = 1;
    return RN_WAIT;
}

/* ---- save ----------------------------------------------------------------------------------- */

static int save_done(rn_host *h)
{
    h->cur.reg = na_result_change(&h->cur.commands, h->cur.changed, !h->cur.ok, msg_of(h));
    return RN_DONE;
}

static int save_start(rn_host *h)
{
    if (h->r->check) {
        h->cur.rendered = true;
        const char *cmd = h->plat->save.send ? h->plat->save.send : "save";
        na_err e = NA_ERR_INIT;
        if (na_buf_printf(&h->cur.output, &e, "[save]\n%s", cmd) < 0)
            rn_task_fail(h, &e);
        cmd_add(h, cmd);
        h->cur.changed = true;
        return save_done(h);
    }
    na_err e = NA_ERR_INIT;
    if (na_session_start_save(h->s, &e) < 0) {
        rn_task_fail(h, &e);
        return save_done(h);
    }
    cmd_add(h, h->plat->save.send ? h->plat->save.send : "save");
    h->op = RN_OP_SESSION;
    rn_op_started(h);
    h->sub = 1;
    return RN_WAIT;
}

/* Does the running configuration differ from the startup one (both read)? */
static int save_compare(rn_host *h)
{
    if (na_cfg_equal(h->running, h->startup)) {
        out_add_cstr(h, "the running configuration is the startup configuration: not saved");
        return save_done(h);
    }
    return save_start(h);
}

/* save: true -> save; changed -> save when a task of this run changed the host (with --check:
 * would change); modified -> 10 read the startup configuration -> 11 the running one (when not
 * known) -> save when they differ. */
static int k_save(rn_host *h)
{
    na_err e = NA_ERR_INIT;
    const na_platform *p = h->plat;
    switch (h->sub) {
    case 0:
        if (!p->save.send) {
            na_err_set(&e, NA_E_UNSUPPORTED, "platform '%s' has no save command", p->name);
            rn_task_fail(h, &e);
            return save_done(h);
        }
        if (h->x->save_when == NA_SAVE_CHANGED && !h->changed) {
            out_add_cstr(h, "nothing changed in this run: not saved");
            return save_done(h);
        }
        if (h->x->save_when != NA_SAVE_MODIFIED)
            return save_start(h);
        if (!p->running.show || !p->running.startup) {
            na_err_set(&e, NA_E_UNSUPPORTED,
                       "platform '%s' does not say how to read its startup configuration "
                       "(running_config.startup): use save: true or save: changed", p->name);
            rn_task_fail(h, &e);
            return save_done(h);
        }
        if (start_read(h, p->running.startup) < 0)
            return save_done(h);
        h->sub = 10;
        return RN_WAIT;
    case 10: {
        if (h->op_st != NA_OK) {
            rn_task_fail(h, &h->op_err);
            return save_done(h);
        }
        na_cfg_syntax syn = {(const char *const *)p->running.comments, p->running.ncomments,
                             (const char *const *)p->running.ends, p->running.nends};
        na_cfg_free(h->startup);
        if (!(h->startup = na_cfg_parse(h->res.output ? h->res.output : "",
                                        h->res.output ? h->res.output_len : 0, &syn, &e))) {
            rn_task_fail(h, &e);
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
            rn_task_fail(h, &h->op_err);
            return save_done(h);
        }
        if (rn_running_parse(h, h->res.output, h->res.output_len) < 0)
            return save_done(h);
        return save_compare(h);
    default:
        break;
    }
    out_add(h, h->res.output ? h->res.output : "", h->res.output ? h->res.output_len : 0);
    if (h->op_st != NA_OK)
        rn_task_fail(h, &h->op_err);
    h->cur.changed = h->cur.ok; /* the startup configuration was written */
    return save_done(h);
}

/* ---- vlans -------------------------------------------------------------------------------- */

static int read_vlans(rn_host *h, na_vlan_list *out)
{
    na_err e = NA_ERR_INIT;
    if (h->op_st != NA_OK) {
        rn_task_fail(h, &h->op_err);
        return -1;
    }
    na_vlan_list_free(out);
    if (na_vlans_parse(h->res.output ? h->res.output : "", h->res.output ? h->res.output_len : 0,
                       out, &e) < 0) {
        na_err_prefix(&e, "'%s': ", RN_VLAN_READ_CMD);
        rn_task_fail(h, &e);
        return -1;
    }
    return 0;
}

static int vlans_done(rn_host *h)
{
    h->cur.reg = na_result_change(&h->plan, h->cur.changed, !h->cur.ok, msg_of(h));
    return RN_DONE;
}

static int k_vlans(rn_host *h)
{
    na_task_exp *x = h->x;
    na_err e = NA_ERR_INIT;
    switch (h->sub) {
    case 0:
        na_strv_free(&h->plan);
        if (x->partial) { /* --check: the wanted VLANs come from results of tasks not run */
            h->cur.rendered = true;
            out_add_cstr(h, "[exec]\n" RN_VLAN_READ_CMD "\n[config]\n(depends on results "
                            "registered by tasks that do not run in check mode)");
            return RN_DONE;
        }
        if (rn_start_command(h, RN_VLAN_READ_CMD, rn_task_timeout(h)) < 0)
            return vlans_done(h);
        h->sub = 1;
        return RN_WAIT;
    case 1:
        if (read_vlans(h, &h->vl) < 0)
            return vlans_done(h);
        if (na_task_exp_vlan_plan(x, &h->vl, &h->plan, &e) < 0) {
            rn_task_fail(h, &e);
            return vlans_done(h);
        }
        if (h->r->check) {
            na_render_ctx ctx = {.vlan_read_command = RN_VLAN_READ_CMD,
                                 .current_vlans = &h->vl};
            h->cur.rendered = true;
            if (na_task_exp_render(x, &ctx, &h->cur.output, &e) < 0)
                rn_task_fail(h, &e);
            for (size_t i = 0; i < h->plan.n; i++)
                cmd_add(h, h->plan.v[i]);
            h->cur.changed = h->plan.n > 0;
            return vlans_done(h);
        }
        if (h->plan.n == 0) { /* already as wanted */
            out_add(h, h->res.output ? h->res.output : "", h->res.output_len);
            return vlans_done(h);
        }
        if (start_config(h, &h->plan) < 0)
            return vlans_done(h);
        h->sub = 2;
        return RN_WAIT;
    case 2:
        config_done(h);
        if (!h->cur.ok || rn_start_command(h, RN_VLAN_READ_CMD, rn_task_timeout(h)) < 0)
            return vlans_done(h);
        h->sub = 3;
        return RN_WAIT;
    default: {
        na_vlan_list after = {0};
        if (read_vlans(h, &after) == 0) {
            out_add(h, h->res.output ? h->res.output : "", h->res.output_len);
            if (na_vlans_verify(x->vlan_state, x->vlans, x->n_vlans, &after, &e) < 0) {
                na_err_prefix(&e, "after the change: ");
                rn_task_fail(h, &e);
            }
        }
        na_vlan_list_free(&after);
        return vlans_done(h);
    }
    }
}

/* ---- assert ------------------------------------------------------------------------------- */

/* Conditions only: nothing goes to the device. Every item is checked (like a loop of commands);
 * a false condition fails its item with the message. */
static int k_assert(rn_host *h)
{
    na_task_exp *x = h->x;
    if (x->partial) { /* --check: the conditions read results of tasks that did not run */
        out_add_cstr(h, "(depends on results registered by tasks that do not run in check mode)");
        return RN_DONE;
    }
    for (size_t i = 0; i < x->n_iters; i++) {
        na_task_iter *it = &x->iters[i];
        if (it->skipped) {
            rn_add_item(h, na_result_skipped());
            continue;
        }
        if (it->assert_failed) {
            na_err e = NA_ERR_INIT;
            na_err_set(&e, NA_E_ASSERT, "%s: %s", h->inv->name, it->assert_msg);
            out_add_cstr(h, it->assert_msg);
            rn_task_fail(h, &e);
        }
        rn_add_item(h, na_result_assert(it->assert_failed, it->assert_msg));
    }
    return rn_finish_items(h);
}

/* ---- dispatch ----------------------------------------------------------------------------- */

int rn_task_step(rn_host *h)
{
    const na_task_exp *x = h->x;
    if (x->kind == NA_TASK_ASSERT) /* no device involved: the same with --check */
        return k_assert(h);
    /* --check: config tasks read the running configuration and save tasks decide (reads are
     * allowed); the rest only render what they would send */
    bool reads = x->kind == NA_TASK_VLANS || x->kind == NA_TASK_SAVE ||
                 (x->kind == NA_TASK_CONFIG && !x->partial && cfg_converges(h));
    if (h->r->check && !reads)
        return check_render(h);
    if (h->sub == 0 && (!h->s || !na_session_usable(h->s))) {
        na_err e = NA_ERR_INIT;
        na_err_set(&e, NA_E_CLOSED, "%s: the session is not usable", h->inv->name);
        rn_task_fail(h, &e);
        return RN_DONE;
    }
    switch (x->kind) {
    case NA_TASK_COMMAND: return k_command(h);
    case NA_TASK_CONFIG: return k_config(h);
    case NA_TASK_SAVE: return k_save(h);
    case NA_TASK_VLANS: return k_vlans(h);
    case NA_TASK_SCRIPT: return rn_script_step(h);
    case NA_TASK_ASSERT: return k_assert(h);
    }
    na_err e = NA_ERR_INIT;
    na_err_set(&e, NA_E_INTERNAL, "unknown task kind");
    rn_task_fail(h, &e);
    return RN_DONE;
}
