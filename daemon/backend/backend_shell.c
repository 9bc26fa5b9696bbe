/* backend_shell.c — interactive shells on devices for the web page's terminal (backend.h
 * shell_open/_write/_close): take the device's lock (shown as "shell by NAME"), close its idle
 * pooled sessions (one session per device), log in on a fresh session with the inventory's
 * credentials (the browser never sees them) on the daemon's loop, then move raw bytes both ways
 * (na_session_raw_read/_write) until the device or the daemon ends it. The session is closed at
 * the end, never pooled: what a person typed may have left it in any mode. Named states: WAIT
 * (for the lock), OPEN (logging in), RAW (interactive), DONE. Not the WebSocket (daemon/ui_ws.c)
 * nor the transcript (kept by the daemon). */
#include "backend_int.h"
#include "clock.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

typedef enum { SH_WAIT = 0, SH_OPEN, SH_RAW, SH_DONE } shell_state;

struct nd_be_shell {
    nd_be *be;
    nd_be_inv *gen;            /* reference: h and plat live there */
    const na_inv_host *h;
    const na_platform *plat;
    na_transport_kind kind;
    nd_shell_sink sink;
    nd_lock_req *lock;
    nd_be_sess *x;
    shell_state st;
    na_err err;                /* why it ended */
    struct event *fin;         /* delivers the end from the loop */
    LIST_ENTRY(nd_be_shell) link;
};

static void shell_free(nd_be_shell *sh)
{
    nd_be *be = sh->be;
    if (sh->x)
        nd_be_pool_close(sh->x);
    if (sh->lock)
        be->svc.host_release(be->svc.ctx, sh->lock);
    if (sh->fin)
        event_free(sh->fin);
    nd_be_inv_unref(sh->gen);
    LIST_REMOVE(sh, link);
    free(sh);
}

/* The end, told from the loop (never inside the caller's call). */
static void end(nd_be_shell *sh, const na_err *e)
{
    if (sh->st == SH_DONE)
        return;
    sh->st = SH_DONE;
    if (e && !na_err_isset(&sh->err))
        sh->err = *e;
    if (sh->x) {
        nd_be_pool_close(sh->x);
        sh->x = NULL;
    }
    if (sh->lock) {
        sh->be->svc.host_release(sh->be->svc.ctx, sh->lock);
        sh->lock = NULL;
    }
    event_active(sh->fin, EV_TIMEOUT, 0);
}

static void fin_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    nd_be_shell *sh = arg;
    sh->sink.closed(sh->sink.ud, na_err_isset(&sh->err) ? &sh->err : NULL);
    shell_free(sh);
}

/* RAW: everything the device sent, then wait for more (or for room to write). */
static void pump(nd_be_shell *sh)
{
    char buf[16384];
    na_err e = NA_ERR_INIT;
    for (int i = 0; i < 64; i++) { /* at most 1 MiB a turn: others get the loop too */
        size_t n = 0;
        na_status st = na_session_raw_read(sh->x->s, buf, sizeof buf, &n, &e);
        if (st == NA_OK && n > 0) {
            sh->sink.output(sh->sink.ud, buf, n); /* never closes sh (backend.h) */
            continue;
        }
        if (st == NA_EOF) {
            end(sh, NULL);
            return;
        }
        if (st == NA_ERROR) {
            end(sh, &e);
            return;
        }
        break;
    }
    if (nd_be_pool_arm(sh->x, &e) < 0)
        end(sh, &e);
}

static void drive(void *owner)
{
    nd_be_shell *sh = owner;
    nd_be *be = sh->be;
    na_err e = NA_ERR_INIT;
    if (sh->st == SH_RAW) {
        if (na_session_want(sh->x->s) & NA_WANT_WRITE &&
            na_session_raw_write(sh->x->s, "", 0, &e) < 0) {
            end(sh, &e);
            return;
        }
        pump(sh);
        return;
    }
    na_status st = na_session_step(sh->x->s, &e);
    if (st == NA_AGAIN) {
        if (nd_be_pool_arm(sh->x, &e) == 0)
            return;
        st = NA_ERROR;
    }
    if (st != NA_OK) {
        if (e.code == NA_E_AUTH)
            be->svc.login_failed(be->svc.ctx, sh->h->name);
        nd_be_hstat_contact(be, sh->h->name, false, &e);
        end(sh, &e);
        return;
    }
    sh->x->opened = true;
    nd_be_hstat_contact(be, sh->h->name, true, NULL);
    sh->st = SH_RAW;
    NA_LOGI(sh->h->name, "interactive shell open over %s", na_transport_kind_name(sh->kind));
    sh->sink.opened(sh->sink.ud, na_transport_kind_name(sh->kind), na_session_mode(sh->x->s));
    pump(sh);
}

static void granted(nd_lock_req *req, void *ud)
{
    (void)req;
    nd_be_shell *sh = ud;
    nd_be *be = sh->be;
    na_err e = NA_ERR_INIT;
    nd_be_pool_evict_host(be, sh->h->name, -1); /* one session per device: this one */
    sh->st = SH_OPEN;
    sh->x = nd_be_pool_new(be, sh->gen, sh->h, sh->kind, sh->plat, drive, sh, &e);
    if (!sh->x || na_session_start_open(sh->x->s, &e) < 0) {
        nd_be_hstat_contact(be, sh->h->name, false, &e);
        end(sh, &e);
        return;
    }
    drive(sh);
}

nd_be_shell *nd_be_shell_open(nd_be *be, const nd_shell_spec *spec, const nd_shell_sink *sink,
                              na_err *err)
{
    const na_inv_host *h;
    na_transport_kind kind;
    const na_platform *plat;
    if (nd_be_target(be->cur, spec->host, spec->transport, &h, &kind, &plat, err) < 0)
        return NULL;
    nd_be_shell *sh = calloc(1, sizeof *sh);
    if (!sh) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    sh->be = be;
    LIST_INSERT_HEAD(&be->shells, sh, link);
    sh->gen = nd_be_inv_ref(be->cur);
    sh->h = h;
    sh->plat = plat;
    sh->kind = kind;
    sh->sink = *sink;
    if (!(sh->fin = event_new(be->svc.base, -1, 0, fin_cb, sh))) {
        shell_free(sh);
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    char owner[200];
    snprintf(owner, sizeof owner, "shell by %s", spec->requested_by ? spec->requested_by : "?");
    sh->lock = be->svc.host_acquire(be->svc.ctx, h->name, owner, 0, granted, sh);
    return sh;
}

int nd_be_shell_write(nd_be *be, nd_be_shell *sh, const char *data, size_t n, na_err *err)
{
    (void)be;
    if (sh->st != SH_RAW) {
        na_err_set(err, NA_E_UNSUPPORTED, "the shell is not open yet");
        return -1;
    }
    if (na_session_raw_write(sh->x->s, data, n, err) < 0) {
        end(sh, err);
        return -1;
    }
    na_err e = NA_ERR_INIT;
    if (nd_be_pool_arm(sh->x, &e) < 0)
        end(sh, &e);
    return 0;
}

void nd_be_shell_close(nd_be *be, nd_be_shell *sh)
{
    (void)be;
    NA_LOGI(sh->h->name, "interactive shell closed by the daemon");
    shell_free(sh);
}

void nd_be_shells_free_all(nd_be *be)
{
    while (!LIST_EMPTY(&be->shells))
        shell_free(LIST_FIRST(&be->shells));
}
