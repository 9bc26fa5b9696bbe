/* runner_script.c — the script task on the host's SSH transport, per loop item: upload the local
 * script (SCP, mode 0700) to a fresh name in /tmp, run it with its arguments on an exec channel
 * (stdout, stderr and exit status captured), and remove it again (also after a failure). A
 * non-zero exit status fails the item and the task; the other items still run while the session
 * stands (like command loops). Resumable steps like runner_task.c. Not SSH itself: the session's
 * side channels (drivers/session_files.h). */
#include "clock.h"
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
    na_err e = NA_ERR_INIT;
    h->exec = na_session_exec_start(h->s, cmd, na_rn_task_timeout(h), &e);
    if (!h->exec) {
        na_rn_task_fail(h, &e);
        return -1;
    }
    h->op = RN_OP_EXEC;
    rn_op_started(h);
    na_rn_record(h, "script", &cmd, 1);
    return 0;
}

/* rm -f the uploaded copy; RN_WAIT, or -1 when it cannot even start. */
static int start_remove(rn_host *h)
{
    h->sub = SC_REMOVED;
    if (!na_session_usable(h->s))
        return -1;
    na_buf cmd;
    na_buf_init(&cmd, 4096);
    int rc = na_buf_puts(&cmd, "rm -f -- ", NULL);
    if (rc == 0)
        rc = na_shell_quote(h->remote, &cmd, NULL);
    if (rc == 0)
        rc = start_exec(h, na_buf_cstr(&cmd));
    na_buf_free(&cmd);
    if (rc == 0 && na_strv_push(&h->cur.commands, "remove", NULL) < 0)
        h->cur.cut = true; /* out of memory: the record is incomplete */
    return rc;
}

static void append(rn_host *h, na_buf *b, const na_buf *from)
{
    na_rn_task_rec_append(&h->cur, b, from->data ? from->data : "", from->len);
}

/* The item's run ended: capture, judge, record. */
static void ran(rn_host *h)
{
    const na_buf *so = na_sexec_stdout(h->exec), *se = na_sexec_stderr(h->exec);
    int rc = h->op_st == NA_OK ? na_sexec_exit_status(h->exec) : -1;
    append(h, &h->cur.out, so);
    append(h, &h->cur.errout, se);
    append(h, &h->cur.output, so);
    if (h->cur.rc == 0) /* the task's rc: the first non-zero one, else 0 */
        h->cur.rc = rc;
    h->cur.changed = true;
    na_err e = NA_ERR_INIT;
    if (h->op_st != NA_OK) {
        na_rn_item_fail(h, &h->op_err);
    } else if (rc != 0) {
        const char *sig = na_sexec_exit_signal(h->exec);
        if (sig && *sig)
            na_err_set(&e, NA_E_DEVICE, "%s: script '%s' was killed by SIG%s", h->inv->name,
                       h->remote, sig);
        else
            na_err_set(&e, NA_E_DEVICE, "%s: script '%s' exited with status %d", h->inv->name,
                       h->remote, rc);
        na_rn_item_fail(h, &e);
    }
    na_rn_add_item(h, na_result_script(so->data, se->data, rc, h->item_failed,
                                    h->item_failed ? h->item_err.msg : NULL));
}

/* Start the next item's upload (RN_WAIT) or end the task (RN_DONE). */
static int next_item(rn_host *h)
{
    na_task_exp *x = h->x;
    na_err e = NA_ERR_INIT;
    h->item_failed = false;
    na_err_clear(&h->item_err);
    for (; h->iter < x->n_iters && x->iters[h->iter].skipped; h->iter++)
        na_rn_add_item(h, na_result_skipped());
    if (h->iter >= x->n_iters || !na_session_usable(h->s))
        return na_rn_finish_items(h);
    if (!na_session_has_ssh(h->s)) {
        na_err_set(&e, NA_E_UNSUPPORTED, "%s: script tasks need SSH", h->inv->name);
        na_rn_task_fail(h, &e);
        return na_rn_finish_items(h);
    }
    const na_task_iter *it = &x->iters[h->iter];
    remote_name(h, it->script);
    char line[4200];
    snprintf(line, sizeof line, "upload %s", it->script);
    if (na_strv_push(&h->cur.commands, line, NULL) < 0)
        h->cur.cut = true; /* out of memory: the record is incomplete */
    h->xfer = na_session_upload_start(h->s, it->script, h->remote, 0700, na_rn_task_timeout(h), &e);
    if (!h->xfer) {
        na_rn_item_fail(h, &e);
        na_rn_add_item(h, na_result_script("", "", -1, true, h->item_err.msg));
        h->iter++;
        return next_item(h);
    }
    h->op = RN_OP_XFER;
    rn_op_started(h);
    const char *rec = line;
    na_rn_record(h, "script", &rec, 1);
    h->sub = SC_UPLOADED;
    return RN_WAIT;
}

int na_rn_script_step(rn_host *h)
{
    na_task_exp *x = h->x;
    na_err e = NA_ERR_INIT;
    h->cur.script = true;
    switch (h->sub) {
    case SC_UPLOADED: {
        na_supload_free(h->xfer);
        h->xfer = NULL;
        if (h->op_st != NA_OK) {
            na_rn_item_fail(h, &h->op_err);
            na_rn_add_item(h, na_result_script("", "", -1, true, h->item_err.msg));
            if (start_remove(h) == 0) /* a partial upload may have left the file */
                return RN_WAIT;
            break;
        }
        const na_task_iter *it = &x->iters[h->iter];
        na_buf cmd, shown;
        na_buf_init(&cmd, 1 << 20);
        na_buf_init(&shown, 1 << 20);
        const char *base = strrchr(it->script, '/');
        int rc = na_shell_quote(h->remote, &cmd, &e);
        if (rc == 0)
            rc = na_buf_printf(&shown, &e, "run: ");
        if (rc == 0)
            rc = na_shell_quote(base ? base + 1 : it->script, &shown, &e);
        for (size_t a = 0; rc == 0 && a < it->args.n; a++) {
            if ((rc = na_buf_puts(&cmd, " ", &e)) == 0)
                rc = na_shell_quote(it->args.v[a], &cmd, &e);
            if (rc == 0 && (rc = na_buf_puts(&shown, " ", &e)) == 0)
                rc = na_shell_quote(it->args.v[a], &shown, &e);
        }
        if (na_strv_push(&h->cur.commands, na_buf_cstr(&shown), NULL) < 0)
            h->cur.cut = true; /* out of memory: the record is incomplete */
        if (rc < 0)
            na_rn_task_fail(h, &e);
        else
            rc = start_exec(h, na_buf_cstr(&cmd));
        na_buf_free(&cmd);
        na_buf_free(&shown);
        if (rc == 0) {
            h->sub = SC_RAN;
            return RN_WAIT;
        }
        na_rn_item_fail(h, &h->cur.err);
        na_rn_add_item(h, na_result_script("", "", -1, true, h->item_err.msg));
        if (start_remove(h) == 0)
            return RN_WAIT;
        break;
    }
    case SC_RAN:
        ran(h);
        na_sexec_free(h->exec);
        h->exec = NULL;
        if (start_remove(h) == 0)
            return RN_WAIT;
        break;
    case SC_REMOVED: {
        int rc = h->op_st == NA_OK ? na_sexec_exit_status(h->exec) : -1;
        if (h->op_st != NA_OK || rc != 0) {
            if (h->op_st != NA_OK)
                e = h->op_err;
            else
                na_err_set(&e, NA_E_DEVICE, "%s: could not remove '%s' (status %d)",
                           h->inv->name, h->remote, rc);
            na_rn_task_fail(h, &e);
        }
        na_sexec_free(h->exec);
        h->exec = NULL;
        break;
    }
    default: return next_item(h); /* SC_NEXT: the first item */
    }
    h->iter++;
    return next_item(h);
}
