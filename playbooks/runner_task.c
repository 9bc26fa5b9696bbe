/* runner_task.c — what each task kind sends, as resumable steps on the host's session: command
 * (each command of each loop item, then the expect patterns), vlans (read `show vlan brief` ->
 * plan -> push -> read again -> verify), assert, and --check rendering; the helpers every kind
 * shares. Each step either starts the next session operation (RN_WAIT) or completes the task
 * (RN_DONE) with its record and registered result filled. Not scheduling or the event loop
 * (runner_host.c), not config and save (runner_config.c), not scripts (runner_script.c). */
#include "clock.h"
#include "pb_int.h"
#include "runner_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------------------------ */

void na_rn_task_fail(rn_host *h, const na_err *e)
{
    h->cur.ok = false;
    if (!na_err_isset(&h->cur.err) && e)
        h->cur.err = *e;
    if (!na_err_isset(&h->cur.err))
        na_err_set(&h->cur.err, NA_E_INTERNAL, "task failed");
}

int na_rn_task_timeout(const rn_host *h)
{
    if (h->x && h->x->timeout_ms > 0)
        return h->x->timeout_ms;
    return h->r->task_timeout_ms;
}

/* Append a piece of output (pieces separated by a newline). Past the ceiling the shown output
 * is cut; the registered result still has everything. */
void na_rn_out_add(rn_host *h, const char *s, size_t n)
{
    na_rn_task_rec_append(&h->cur, &h->cur.output, s, n);
}

void na_rn_out_add_cstr(rn_host *h, const char *s)
{
    if (s)
        na_rn_out_add(h, s, strlen(s));
}

/* What ran, for the result; without memory the record says it is incomplete. */
void na_rn_cmd_add(rn_host *h, const char *line)
{
    if (na_strv_push(&h->cur.commands, line, NULL) < 0)
        h->cur.cut = true;
}

int na_rn_start_command(rn_host *h, const char *cmd, int timeout_ms)
{
    return na_rn_start_command_in(h, cmd, timeout_ms, NULL);
}

int na_rn_start_command_in(rn_host *h, const char *cmd, int timeout_ms, const char *mode)
{
    na_cmd_opts co = {.timeout_ms = timeout_ms, .mode = mode};
    na_err e = NA_ERR_INIT;
    if (na_session_start_command(h->s, cmd, &co, &e) < 0) {
        h->op_err = e;
        na_rn_task_fail(h, &e);
        return -1;
    }
    na_rn_cmd_add(h, cmd);
    h->op = RN_OP_SESSION;
    rn_op_started(h);
    na_rn_record(h, "command", &cmd, 1);
    return 0;
}

int na_rn_start_config(rn_host *h, const na_strv *lines)
{
    na_config_opts co = {.timeout_ms = na_rn_task_timeout(h), .window = h->r->config_window};
    na_err e = NA_ERR_INIT;
    if (na_session_start_config(h->s, (const char *const *)lines->v, lines->n, &co, &e) < 0) {
        na_rn_task_fail(h, &e);
        return -1;
    }
    h->op = RN_OP_SESSION;
    rn_op_started(h);
    na_rn_record(h, "config", (const char *const *)lines->v, lines->n);
    return 0;
}

/* After a config push: the lines the device got, their output, and whether they changed it. */
void na_rn_config_done(rn_host *h)
{
    for (size_t i = 0; i < h->res.nlines; i++) {
        na_rn_cmd_add(h, h->res.lines[i].line);
        if (h->res.lines[i].output && *h->res.lines[i].output)
            na_rn_out_add_cstr(h, h->res.lines[i].output);
    }
    /* every line the device took changes it; a rejected line does not */
    h->cur.changed |= h->res.nlines > (h->res.failed_line ? 1u : 0u);
    if (h->op_st != NA_OK)
        na_rn_task_fail(h, &h->op_err);
}

void na_rn_item_fail(rn_host *h, const na_err *e)
{
    if (!h->item_failed && e)
        h->item_err = *e;
    h->item_failed = true;
    na_rn_task_fail(h, e);
}

void na_rn_add_item(rn_host *h, json_t *item)
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

int na_rn_finish_items(rn_host *h)
{
    if (h->x->task->loop) {
        json_decref(h->cur.reg);
        h->cur.reg = na_result_loop(h->cur.items ? h->cur.items : json_array());
        h->cur.items = NULL;
    }
    return RN_DONE;
}

const char *na_rn_msg_of(const rn_host *h) { return h->cur.ok ? NULL : h->cur.err.msg; }

/* ---- --check ------------------------------------------------------------------------------ */

static int check_render(rn_host *h)
{
    const na_task_exp *x = h->x;
    na_err e = NA_ERR_INIT;
    if (x->kind == NA_TASK_SAVE && !h->plat->save.send) {
        na_err_set(&e, NA_E_UNSUPPORTED, "platform '%s' has no save command", h->plat->name);
        na_rn_task_fail(h, &e);
        return RN_DONE;
    }
    na_render_ctx ctx = {.save_command = h->plat->save.send, .vlan_read_command = RN_VLAN_READ_CMD};
    h->cur.rendered = true;
    if (na_task_exp_render(x, &ctx, &h->cur.output, &e) < 0) {
        na_rn_task_fail(h, &e);
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
        na_rn_item_fail(h, &e);
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
            na_rn_item_fail(h, &e);
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
            na_rn_item_fail(h, &e);
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
    na_rn_add_item(h, res);
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
            na_rn_item_fail(h, &pe); /* its expect patterns cannot be checked */
        na_rn_out_add(h, out, h->res.output ? h->res.output_len : 0);
        if (h->op_st == NA_OK) {
            h->cmd++;
        } else {
            na_rn_item_fail(h, &h->op_err);
            command_item_end(h, &x->iters[h->iter]);
            h->iter++;
            h->cmd = 0;
            if (!na_session_usable(h->s))
                return na_rn_finish_items(h);
        }
    }
    for (; h->iter < x->n_iters; h->iter++, h->cmd = 0) {
        na_task_iter *it = &x->iters[h->iter];
        if (it->skipped) {
            na_rn_add_item(h, na_result_skipped());
            continue;
        }
        if (h->cmd < it->commands.n) {
            if (na_rn_start_command(h, it->commands.v[h->cmd], na_rn_task_timeout(h)) == 0) {
                h->sub = 1;
                return RN_WAIT;
            }
            na_rn_item_fail(h, &h->op_err);
            command_item_end(h, it);
            if (!na_session_usable(h->s))
                return na_rn_finish_items(h);
            continue;
        }
        command_item_end(h, it);
    }
    return na_rn_finish_items(h);
}

/* ---- vlans -------------------------------------------------------------------------------- */

static int read_vlans(rn_host *h, na_vlan_list *out)
{
    na_err e = NA_ERR_INIT;
    if (h->op_st != NA_OK) {
        na_rn_task_fail(h, &h->op_err);
        return -1;
    }
    na_vlan_list_free(out);
    if (na_vlans_parse(h->res.output ? h->res.output : "", h->res.output ? h->res.output_len : 0,
                       out, &e) < 0) {
        na_err_prefix(&e, "'%s': ", RN_VLAN_READ_CMD);
        na_rn_task_fail(h, &e);
        return -1;
    }
    return 0;
}

static int vlans_done(rn_host *h)
{
    h->cur.reg = na_result_change(&h->plan, h->cur.changed, !h->cur.ok, na_rn_msg_of(h));
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
            na_rn_out_add_cstr(h, "[exec]\n" RN_VLAN_READ_CMD "\n[config]\n(depends on results "
                            "registered by tasks that do not run in check mode)");
            return RN_DONE;
        }
        if (na_rn_start_command(h, RN_VLAN_READ_CMD, na_rn_task_timeout(h)) < 0)
            return vlans_done(h);
        h->sub = 1;
        return RN_WAIT;
    case 1:
        if (read_vlans(h, &h->vl) < 0)
            return vlans_done(h);
        if (na_task_exp_vlan_plan(x, &h->vl, &h->plan, &e) < 0) {
            na_rn_task_fail(h, &e);
            return vlans_done(h);
        }
        if (h->r->check) {
            na_render_ctx ctx = {.vlan_read_command = RN_VLAN_READ_CMD,
                                 .current_vlans = &h->vl};
            h->cur.rendered = true;
            if (na_task_exp_render(x, &ctx, &h->cur.output, &e) < 0)
                na_rn_task_fail(h, &e);
            for (size_t i = 0; i < h->plan.n; i++)
                na_rn_cmd_add(h, h->plan.v[i]);
            h->cur.changed = h->plan.n > 0;
            return vlans_done(h);
        }
        if (h->plan.n == 0) { /* already as wanted */
            na_rn_out_add(h, h->res.output ? h->res.output : "", h->res.output_len);
            return vlans_done(h);
        }
        if (na_rn_start_config(h, &h->plan) < 0)
            return vlans_done(h);
        h->sub = 2;
        return RN_WAIT;
    case 2:
        na_rn_config_done(h);
        if (!h->cur.ok || na_rn_start_command(h, RN_VLAN_READ_CMD, na_rn_task_timeout(h)) < 0)
            return vlans_done(h);
        h->sub = 3;
        return RN_WAIT;
    default: {
        na_vlan_list after = {0};
        if (read_vlans(h, &after) == 0) {
            na_rn_out_add(h, h->res.output ? h->res.output : "", h->res.output_len);
            if (na_vlans_verify(x->vlan_state, x->vlans, x->n_vlans, &after, &e) < 0) {
                na_err_prefix(&e, "after the change: ");
                na_rn_task_fail(h, &e);
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
        na_rn_out_add_cstr(
            h, "(depends on results registered by tasks that do not run in check mode)");
        return RN_DONE;
    }
    for (size_t i = 0; i < x->n_iters; i++) {
        na_task_iter *it = &x->iters[i];
        if (it->skipped) {
            na_rn_add_item(h, na_result_skipped());
            continue;
        }
        if (it->assert_failed) {
            na_err e = NA_ERR_INIT;
            na_err_set(&e, NA_E_ASSERT, "%s: %s", h->inv->name, it->assert_msg);
            na_rn_out_add_cstr(h, it->assert_msg);
            na_rn_task_fail(h, &e);
        }
        na_rn_add_item(h, na_result_assert(it->assert_failed, it->assert_msg));
    }
    return na_rn_finish_items(h);
}

/* ---- dispatch ----------------------------------------------------------------------------- */

int na_rn_task_step(rn_host *h)
{
    const na_task_exp *x = h->x;
    if (x->kind == NA_TASK_ASSERT) /* no device involved: the same with --check */
        return k_assert(h);
    /* --check: config tasks read the running configuration, save tasks decide, vlans and copy
     * read the device to know (reads are allowed); the rest only render what they would send */
    bool reads = x->kind == NA_TASK_VLANS || x->kind == NA_TASK_SAVE || x->kind == NA_TASK_COPY ||
                 (x->kind == NA_TASK_CONFIG && !x->partial && na_rn_config_converges(h));
    if (h->r->check && !reads)
        return check_render(h);
    if (h->sub == 0 && (!h->s || !na_session_usable(h->s))) {
        na_err e = NA_ERR_INIT;
        na_err_set(&e, NA_E_CLOSED, "%s: the session is not usable", h->inv->name);
        na_rn_task_fail(h, &e);
        return RN_DONE;
    }
    switch (x->kind) {
    case NA_TASK_COMMAND: return k_command(h);
    case NA_TASK_CONFIG: return na_rn_config_step(h);
    case NA_TASK_SAVE: return na_rn_save_step(h);
    case NA_TASK_VLANS: return k_vlans(h);
    case NA_TASK_SCRIPT: return na_rn_script_step(h);
    case NA_TASK_ASSERT: return k_assert(h);
    case NA_TASK_COPY: return na_rn_copy_step(h);
    }
    na_err e = NA_ERR_INIT;
    na_err_set(&e, NA_E_INTERNAL, "unknown task kind");
    na_rn_task_fail(h, &e);
    return RN_DONE;
}
