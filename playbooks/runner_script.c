/* runner_script.c — the script task on the host's SSH transport, per loop item: upload the local
 * script (SCP, mode 0700) to a fresh name in /tmp, run it with its arguments on an exec channel
 * (stdout, stderr and exit status captured), and remove it again (also after a failure). A
 * non-zero exit status fails the task. Resumable steps like runner_task.c. Not SSH itself
 * (drivers/ssh.h). */
#include "clock.h"
#include "pb_internal.h"
#include "runner_int.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>

enum { SC_NEXT = 0, SC_UPLOADED, SC_RAN, SC_REMOVED };

static void remote_name(rn_host *h, const char *local)
{
    const char *base = strrchr(local, '/');
    base = base ? base + 1 : local;
    unsigned char rnd[6] = {0};
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
        uint64_t t = (uint64_t)na_now_us() ^ ((uint64_t)h->index << 32);
        memcpy(rnd, &t, sizeof rnd);
    }
    char safe[64];
    size_t n = 0;
    for (const char *c = base; *c && n < sizeof safe - 1; c++)
        safe[n++] = (strchr("._-", *c) || (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') ||
                     (*c >= 'A' && *c <= 'Z'))
                        ? *c
                        : '_';
    safe[n] = '\0';
    snprintf(h->remote, sizeof h->remote, "/tmp/.netauto-%02x%02x%02x%02x%02x%02x-%s", rnd[0],
             rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], safe);
}

static int start_exec(rn_host *h, const char *cmd)
{
    na_ssh_exec_opts o = {.timeout_ms = rn_task_timeout(h)};
    na_err e = NA_ERR_INIT;
    h->exec = na_ssh_exec_start(na_session_transport(h->s), cmd, &o, &e);
    if (!h->exec) {
        rn_task_fail(h, &e);
        return -1;
    }
    h->op = RN_OP_EXEC;
    h->op_start_us = na_now_us();
    return 0;
}

static int start_remove(rn_host *h)
{
    na_buf cmd;
    na_buf_init(&cmd, 4096);
    na_buf_puts(&cmd, "rm -f -- ", NULL);
    na_shell_quote(h->remote, &cmd, NULL);
    int rc = start_exec(h, na_buf_cstr(&cmd));
    na_buf_free(&cmd);
    if (rc == 0)
        na_strv_push(&h->cur.commands, "remove", NULL);
    h->sub = SC_REMOVED;
    return rc;
}

static int finish(rn_host *h)
{
    if (h->x->task->loop) {
        json_decref(h->cur.reg);
        h->cur.reg = na_result_loop(h->cur.items ? h->cur.items : json_array());
        h->cur.items = NULL;
    }
    return RN_DONE;
}

static void add_item(rn_host *h, json_t *item)
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

int rn_script_step(rn_host *h)
{
    na_task_exp *x = h->x;
    na_err e = NA_ERR_INIT;
    h->cur.script = true;
    switch (h->sub) {
    case SC_UPLOADED: {
        na_ssh_xfer_free(h->xfer);
        h->xfer = NULL;
        if (h->op_st != NA_OK) {
            rn_task_fail(h, &h->op_err);
            add_item(h, na_result_script("", "", -1, true, h->cur.err.msg));
            if (na_session_usable(h->s) && start_remove(h) == 0)
                return RN_WAIT; /* a partial upload may have left the file */
            return finish(h);
        }
        const na_task_iter *it = &x->iters[h->iter];
        na_buf cmd;
        na_buf_init(&cmd, 1 << 20);
        int rc = na_shell_quote(h->remote, &cmd, &e);
        for (size_t a = 0; rc == 0 && a < it->args.n; a++)
            if ((rc = na_buf_puts(&cmd, " ", &e)) == 0)
                rc = na_shell_quote(it->args.v[a], &cmd, &e);
        na_buf run;
        na_buf_init(&run, 1 << 20);
        const char *base = strrchr(it->script, '/');
        na_buf_printf(&run, NULL, "run: %s%s", base ? base + 1 : it->script,
                      strchr(na_buf_cstr(&cmd), ' ') ? strchr(na_buf_cstr(&cmd), ' ') : "");
        na_strv_push(&h->cur.commands, na_buf_cstr(&run), NULL);
        na_buf_free(&run);
        if (rc < 0)
            rn_task_fail(h, &e);
        else
            rc = start_exec(h, na_buf_cstr(&cmd));
        na_buf_free(&cmd);
        if (rc < 0) {
            add_item(h, na_result_script("", "", -1, true, h->cur.err.msg));
            return start_remove(h) == 0 ? RN_WAIT : finish(h);
        }
        h->sub = SC_RAN;
        return RN_WAIT;
    }
    case SC_RAN: {
        const na_buf *so = na_ssh_exec_stdout(h->exec), *se = na_ssh_exec_stderr(h->exec);
        int rc = h->op_st == NA_OK ? na_ssh_exec_exit_status(h->exec) : -1;
        if (h->cur.out.len)
            na_buf_append(&h->cur.out, "\n", 1, NULL, NULL);
        na_buf_append(&h->cur.out, so->data ? so->data : "", so->len, NULL, NULL);
        if (h->cur.errout.len)
            na_buf_append(&h->cur.errout, "\n", 1, NULL, NULL);
        na_buf_append(&h->cur.errout, se->data ? se->data : "", se->len, NULL, NULL);
        if (h->cur.output.len)
            na_buf_append(&h->cur.output, "\n", 1, NULL, NULL);
        na_buf_append(&h->cur.output, so->data ? so->data : "", so->len, NULL, NULL);
        h->cur.rc = rc;
        h->cur.changed = true;
        if (h->op_st != NA_OK) {
            rn_task_fail(h, &h->op_err);
        } else if (rc != 0) {
            const char *sig = na_ssh_exec_exit_signal(h->exec);
            if (sig && *sig)
                na_err_set(&e, NA_E_DEVICE, "%s: script '%s' was killed by SIG%s", h->inv->name,
                           h->remote, sig);
            else
                na_err_set(&e, NA_E_DEVICE, "%s: script '%s' exited with status %d",
                           h->inv->name, h->remote, rc);
            rn_task_fail(h, &e);
        }
        add_item(h, na_result_script(so->data, se->data, rc, !h->cur.ok,
                                     h->cur.ok ? NULL : h->cur.err.msg));
        na_ssh_exec_free(h->exec);
        h->exec = NULL;
        if (na_session_usable(h->s) && start_remove(h) == 0)
            return RN_WAIT;
        return finish(h);
    }
    case SC_REMOVED: {
        int rc = h->op_st == NA_OK ? na_ssh_exec_exit_status(h->exec) : -1;
        if (h->op_st != NA_OK || rc != 0) {
            if (h->op_st != NA_OK)
                e = h->op_err;
            else
                na_err_set(&e, NA_E_DEVICE, "%s: could not remove '%s' (status %d)",
                           h->inv->name, h->remote, rc);
            rn_task_fail(h, &e);
        }
        na_ssh_exec_free(h->exec);
        h->exec = NULL;
        if (!h->cur.ok)
            return finish(h);
        h->iter++;
        break;
    }
    default: break;
    }
    /* SC_NEXT: the next item that runs */
    for (; h->iter < x->n_iters && x->iters[h->iter].skipped; h->iter++)
        add_item(h, na_result_skipped());
    if (h->iter >= x->n_iters)
        return finish(h);
    if (!na_is_ssh(na_session_transport(h->s))) {
        na_err_set(&e, NA_E_UNSUPPORTED, "%s: script tasks need SSH", h->inv->name);
        rn_task_fail(h, &e);
        return finish(h);
    }
    const na_task_iter *it = &x->iters[h->iter];
    remote_name(h, it->script);
    na_ssh_put_opts po = {.local_path = it->script, .mode = 0700,
                          .timeout_ms = rn_task_timeout(h)};
    h->xfer = na_ssh_put_start(na_session_transport(h->s), h->remote, &po, &e);
    if (!h->xfer) {
        rn_task_fail(h, &e);
        add_item(h, na_result_script("", "", -1, true, h->cur.err.msg));
        return finish(h);
    }
    char line[4200];
    snprintf(line, sizeof line, "upload %s", it->script);
    na_strv_push(&h->cur.commands, line, NULL);
    h->op = RN_OP_XFER;
    h->op_start_us = na_now_us();
    h->sub = SC_UPLOADED;
    return RN_WAIT;
}
