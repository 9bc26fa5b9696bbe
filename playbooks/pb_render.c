/* pb_render.c — `--check`: render exactly what an expanded task would send, in [exec] /
 * [config] / [save] / [script] / [copy] sections; the VLAN commands of a vlans task; POSIX shell quoting
 * for script arguments. Not expansion (pb_expand.c) and not a device driver. */
#include "pb_int.h"

#include <string.h>

int na_shell_quote(const char *s, na_buf *out, na_err *err)
{
    if (*s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                        "_-./=:,@%+") == strlen(s))
        return na_buf_puts(out, s, err); /* nothing a shell would interpret */
    if (na_buf_puts(out, "'", err) < 0)
        return -1;
    for (const char *p = s; *p; p++) {
        int rc = *p == '\'' ? na_buf_puts(out, "'\\''", err) : na_buf_append(out, p, 1, NULL, err);
        if (rc < 0)
            return -1;
    }
    return na_buf_puts(out, "'", err);
}

int na_task_exp_vlan_plan(const na_task_exp *x, const na_vlan_list *current, na_strv *cmds,
                          na_err *err)
{
    if (x->kind != NA_TASK_VLANS)
        return na_err_set(err, NA_E_INTERNAL, "not a vlans task");
    if (!current)
        return na_err_set(err, NA_E_INTERNAL, "the vlans task needs the device's current VLANs");
    if (x->skipped)
        return 0;
    return na_vlans_plan(x->vlan_state, x->vlans, x->n_vlans, current, cmds, err);
}

static int section(na_buf *out, const char *name, const na_strv *lines, na_err *err)
{
    if (!lines || !lines->n)
        return 0;
    if (na_buf_printf(out, err, "[%s]\n", name) < 0)
        return -1;
    for (size_t i = 0; i < lines->n; i++)
        if (na_buf_printf(out, err, "%s\n", lines->v[i]) < 0)
            return -1;
    return 0;
}

static int render_script(const na_task_exp *x, na_buf *out, na_err *err)
{
    bool header = false;
    for (size_t i = 0; i < x->n_iters; i++) {
        const na_task_iter *it = &x->iters[i];
        if (it->skipped)
            continue;
        if (!header && na_buf_puts(out, "[script]\n", err) < 0)
            return -1;
        header = true;
        const char *base = strrchr(it->script, '/');
        base = base ? base + 1 : it->script;
        if (na_buf_printf(out, err, "upload %s\nrun: ", it->script) < 0 ||
            na_shell_quote(base, out, err) < 0)
            return -1;
        for (size_t a = 0; a < it->args.n; a++)
            if (na_buf_puts(out, " ", err) < 0 || na_shell_quote(it->args.v[a], out, err) < 0)
                return -1;
        if (na_buf_puts(out, "\nremove\n", err) < 0)
            return -1;
    }
    return 0;
}

static int render_copy(const na_task_exp *x, na_buf *out, na_err *err)
{
    bool header = false;
    for (size_t i = 0; i < x->n_iters; i++) {
        const na_task_iter *it = &x->iters[i];
        if (it->skipped)
            continue;
        if (!header && na_buf_puts(out, "[copy]\n", err) < 0)
            return -1;
        header = true;
        int rc = it->copy_get
                     ? na_buf_printf(out, err, "get %s -> %s", it->copy_remote, it->copy_local)
                     : na_buf_printf(out, err, "put %s -> %s", it->copy_local, it->copy_remote);
        if (rc < 0 || na_buf_printf(out, err, " (verify %s, protocol %s%s)\n",
                                    it->copy_verify[0] ? it->copy_verify : "auto",
                                    it->copy_proto[0] ? it->copy_proto : "auto",
                                    it->copy_overwrite ? ", overwrite" : "") < 0)
            return -1;
    }
    return 0;
}

int na_task_exp_render(const na_task_exp *x, const na_render_ctx *ctx, na_buf *out, na_err *err)
{
    na_render_ctx none = {0};
    if (!ctx)
        ctx = &none;
    if (x->skipped)
        return na_buf_puts(out, "[skipped]\n", err);
    switch (x->kind) {
    case NA_TASK_COMMAND: {
        na_strv all = NA_STRV_INIT;
        int rc = 0;
        for (size_t i = 0; rc == 0 && i < x->n_iters; i++)
            for (size_t c = 0; rc == 0 && !x->iters[i].skipped && c < x->iters[i].commands.n; c++)
                rc = na_strv_push(&all, x->iters[i].commands.v[c], err);
        if (rc == 0)
            rc = section(out, "exec", &all, err);
        na_strv_free(&all);
        return rc;
    }
    case NA_TASK_CONFIG: return section(out, "config", &x->config, err);
    case NA_TASK_SAVE:
        return na_buf_printf(out, err, "[save]\n%s\n",
                             ctx->save_command ? ctx->save_command : "write memory");
    case NA_TASK_VLANS: {
        if (!ctx->current_vlans)
            return na_err_set(err, NA_E_INTERNAL,
                              "rendering a vlans task needs the device's current VLANs");
        na_strv cmds = NA_STRV_INIT;
        int rc = na_buf_printf(out, err, "[exec]\n%s\n",
                               ctx->vlan_read_command ? ctx->vlan_read_command
                                                      : "show vlan brief");
        if (rc == 0)
            rc = na_task_exp_vlan_plan(x, ctx->current_vlans, &cmds, err);
        if (rc == 0)
            rc = section(out, "config", &cmds, err);
        na_strv_free(&cmds);
        return rc;
    }
    case NA_TASK_SCRIPT: return render_script(x, out, err);
    case NA_TASK_ASSERT: return na_buf_puts(out, "[assert]\n(nothing is sent)\n", err);
    case NA_TASK_COPY: return render_copy(x, out, err);
    }
    return na_err_set(err, NA_E_INTERNAL, "unknown task kind");
}
