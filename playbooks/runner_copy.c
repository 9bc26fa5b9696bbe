/* runner_copy.c — the copy task on the host's session, per loop item: one verified copy each
 * (drivers/session_files.h: the device's digest, free space, a part file renamed into place,
 * SFTP resume; with --check only the device's read-only answers). What the copy sent to the
 * device goes into the task's commands; its outcome into the output and the registered result.
 * A failed item fails the task; the next items still run while the session stands. Resumable
 * steps like runner_task.c. Not the copy itself. */
#include "clock.h"
#include "runner_int.h"

#include <stdio.h>
#include <string.h>

static void outline(rn_host *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void outline(rn_host *h, const char *fmt, ...)
{
    char line[4600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    na_rn_task_rec_append(&h->cur, &h->cur.output, line, strlen(line));
}

static int parse_alg(const char *s)
{
    na_hash_alg a;
    if (!*s || na_hash_parse(s, &a) < 0)
        return NA_COPY_VERIFY_AUTO;
    return (int)a;
}

/* The item's copy ended (h->op_st): record it. */
static void copied(rn_host *h)
{
    const na_task_iter *it = &h->x->iters[h->iter];
    const na_copy_result *r = na_copy_result_of(h->copy);
    for (size_t i = 0; i < r->log.n; i++)
        if (na_strv_push(&h->cur.commands, r->log.v[i], NULL) < 0)
            h->cur.cut = true; /* out of memory: the record is incomplete */
    if (h->op_st != NA_OK) {
        na_rn_item_fail(h, &h->op_err);
    } else if (r->same) {
        outline(h, "%s: already there (%s %s), nothing sent",
                it->copy_get ? r->local : r->remote, na_hash_name(r->alg), r->digest);
    } else if (h->r->check) {
        outline(h, "%s: would %s %llu bytes", it->copy_get ? r->local : r->remote,
                it->copy_get ? "receive" : "send", (unsigned long long)r->size);
    } else {
        double secs = r->xfer_ms > 0 ? r->xfer_ms / 1000.0 : 0.001;
        outline(h, "%s: %s %llu bytes in %.1f s over %s%s%s%s", it->copy_get ? r->local : r->remote,
                it->copy_get ? "received" : "sent", (unsigned long long)r->size, secs, r->proto,
                r->resumed_at ? " (resumed)" : "", r->alg != NA_HASH_NONE ? ", verified with " : "",
                r->alg != NA_HASH_NONE ? na_hash_name(r->alg) : "");
    }
    if (h->op_st == NA_OK && r->changed)
        h->cur.changed = true;
    const char *src = it->copy_get ? r->remote : r->local;
    const char *dst = it->copy_get ? r->local : r->remote;
    na_rn_add_item(h, na_result_copy(it->copy_get, src, dst, h->op_st == NA_OK && r->changed,
                                  h->item_failed, r->size, r->sent, r->resumed_at, r->digest,
                                  na_hash_name(r->alg), r->proto,
                                  h->item_failed ? h->item_err.msg : NULL));
}

/* Start the next item's copy (RN_WAIT) or end the task (RN_DONE). */
static int next_item(rn_host *h)
{
    na_task_exp *x = h->x;
    h->item_failed = false;
    na_err_clear(&h->item_err);
    for (; h->iter < x->n_iters && x->iters[h->iter].skipped; h->iter++)
        na_rn_add_item(h, na_result_skipped());
    if (h->iter >= x->n_iters || !na_session_usable(h->s))
        return na_rn_finish_items(h);
    const na_task_iter *it = &x->iters[h->iter];
    na_copy_opts o = {
        .dir = it->copy_get ? NA_COPY_GET : NA_COPY_PUT,
        .local = it->copy_local,
        .remote = it->copy_remote,
        .proto = !strcmp(it->copy_proto, "scp")    ? NA_PF_SCP
                 : !strcmp(it->copy_proto, "sftp") ? NA_PF_SFTP
                                                   : NA_COPY_PROTO_AUTO,
        .verify = parse_alg(it->copy_verify),
        .overwrite = it->copy_overwrite,
        .check_only = h->r->check,
        .timeout_ms = x->timeout_ms, /* the task's timeout: the whole transfer */
        .stall_ms = it->copy_stall_ms,
    };
    na_err e = NA_ERR_INIT;
    h->copy = na_copy_start(h->s, &o, &e);
    if (!h->copy) {
        na_rn_item_fail(h, &e);
        na_rn_add_item(h, na_result_copy(it->copy_get, it->copy_get ? it->copy_remote
                                                                 : it->copy_local,
                                      it->copy_get ? it->copy_local : it->copy_remote, false,
                                      true, 0, 0, 0, "", "none", "", h->item_err.msg));
        h->iter++;
        return next_item(h);
    }
    h->op = RN_OP_COPY;
    h->op_start_us = na_now_us();
    h->sub = 1;
    if (!it->copy_get && !h->r->check) {
        /* a put writes to the device: the write-ahead record names it before a byte moves
         * (a get changes nothing there) */
        char line[4200];
        snprintf(line, sizeof line, "put %s %s", it->copy_local, it->copy_remote);
        const char *rec = line;
        na_rn_record(h, "copy", &rec, 1);
    }
    return RN_WAIT;
}

int na_rn_copy_step(rn_host *h)
{
    if (h->sub == 1) {
        copied(h);
        na_copy_free(h->copy);
        h->copy = NULL;
        h->iter++;
    }
    return next_item(h);
}
