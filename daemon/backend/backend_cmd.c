/* backend_cmd.c — ad-hoc commands (POST /v1/commands, and the daemon's backups): take the
 * device's lock, reuse its pooled session or log in, run the commands one after another in the
 * platform's default mode on the daemon's loop, give the session back to the pool, release the
 * lock, answer. A pooled session found dead (not usable, transport not alive) is closed and a
 * fresh one opened; one that fails on the request's first command with nothing at all coming
 * back (closed or silent) is discarded and the request retried once on a fresh session — the
 * device cannot have run a command it never echoed. The commands stop at the first failure.
 * With `parse`, each successful command's output also becomes TextFSM records (or a
 * parse_error): the outputs go to the parser thread (backend_parse.c) once the device is given
 * back, and the answer waits for them, so a slow template never holds the loop or the device.
 * Not the pool itself (backend_pool.c). */
#include "backend_int.h"
#include "clock.h"
#include "log.h"
#include "runner.h"

#include <stdlib.h>
#include <string.h>

typedef enum { C_WAIT = 0, C_OPEN, C_CMD } cmd_state;

struct nd_be_cmd {
    nd_be *be;
    nd_be_inv *gen;              /* reference: h and plat live there */
    const na_inv_host *h;
    const na_platform *plat;
    na_transport_kind kind;
    char **cmds;
    size_t n, i;
    nd_cmd_done_cb done;
    void *ud;
    nd_lock_req *lock;
    bool granted;
    nd_be_sess *x;               /* the session in use */
    cmd_state st;
    bool reused, retried, cancelled;
    bool parse;               /* records for each command's output */
    int64_t t0_ms;            /* request accepted */
    int64_t op_t0_us;         /* current operation started */
    int64_t open_us;          /* how long logging in took (a new session) */
    uint64_t in_before;       /* session bytes in before the current command */
    json_t *results;          /* [{"command", "output", "ok", "elapsed_ms", "error"}] */
    nd_be_parse_item *pitems; /* with parse: the outputs to parse (ours until submitted) */
    size_t *pslot;            /* ... and the index in results of each */
    size_t npitems;
    nd_be_parsing *parsing;   /* submitted: the parser thread has them */
    json_t *login;            /* login_timings, taken in finish for the answer */
    na_err err;               /* why the device part failed (result "ok": false) */
    struct event *fin;        /* delivers a cancellation from the loop */
    LIST_ENTRY(nd_be_cmd) link;
};

static void drive(void *owner);

static void cmd_free(nd_be_cmd *c)
{
    nd_be *be = c->be;
    if (c->x)
        nd_be_pool_close(c->x);
    if (c->lock)
        be->svc.host_release(be->svc.ctx, c->lock);
    if (c->fin)
        event_free(c->fin);
    if (c->parsing && be->parser) /* (no parser: it is gone, with its batches) */
        nd_be_parse_abandon(be, c->parsing);
    for (size_t i = 0; c->pitems && i < c->npitems; i++) {
        free(c->pitems[i].command);
        free(c->pitems[i].text);
        json_decref(c->pitems[i].recs);
    }
    free(c->pitems);
    free(c->pslot);
    json_decref(c->login);
    for (size_t i = 0; i < c->n; i++)
        free(c->cmds[i]);
    free(c->cmds);
    json_decref(c->results);
    nd_be_inv_unref(c->gen);
    LIST_REMOVE(c, link);
    free(c);
}

/* A new session's set-up, phase by phase in ms (what `netauto compare` reports: the web page's
 * Telnet-vs-SSH chart), the whole login ("open": with the first prompt and the on-open
 * commands), and the session's bytes on the wire so far (login and this request); null for a
 * pooled session (no login). */
static json_t *login_timings(const nd_be_cmd *c)
{
    if (c->reused || !c->x)
        return json_null();
    const na_conn_info *in = &na_session_transport(c->x->s)->info;
    json_t *t = json_object();
    for (int p = NA_PHASE_RESOLVE; t && p <= NA_PHASE_SHELL; p++) {
        if (p == NA_PHASE_SHELL && c->kind == NA_TRANSPORT_TELNET)
            continue; /* Telnet has no separate shell step */
        json_object_set_new(t, na_phase_name((na_phase)p),
                            in->phase_us[p] == 0 && in->phase < (na_phase)p
                                ? json_null()
                                : json_real((double)in->phase_us[p] / 1000.0));
    }
    if (t && c->open_us > 0) /* the whole login: transport, first prompt, on-open commands */
        json_object_set_new(t, "open", json_real((double)c->open_us / 1000.0));
    if (t)
        json_object_set_new(t, "wire_bytes", json_pack("{s:I,s:I}", "in", (json_int_t)in->wire_in,
                                                       "out", (json_int_t)in->wire_out));
    return t ? t : json_null();
}

/* Answer with what there is, and free. */
static void reply(nd_be_cmd *c)
{
    bool ok = !na_err_isset(&c->err);
    json_t *res = json_pack("{s:s,s:s,s:b,s:o,s:I,s:s,s:b,s:O}", "host", c->h->name, "transport",
                            na_transport_kind_name(c->kind), "ok", ok, "error",
                            na_run_error_json(&c->err), "elapsed_ms",
                            (json_int_t)(na_now_ms() - c->t0_ms), "session",
                            c->reused ? "pooled" : "new", "retried", c->retried, "commands",
                            c->results);
    if (res) /* taken before the session went back to the pool (finish) */
        json_object_set_new(res, "login", c->login ? c->login : json_null());
    else
        json_decref(c->login);
    c->login = NULL;
    if (res) {
        c->done(c->ud, res, NULL);
    } else {
        na_err e = NA_ERR_INIT;
        na_err_set(&e, NA_E_NOMEM, "out of memory");
        c->done(c->ud, NULL, &e);
    }
    json_decref(res);
    cmd_free(c);
}

/* Records (or a parse_error) into the results of the outputs parsed. */
static void put_records(nd_be_cmd *c, nd_be_parse_item *items, size_t n, const na_err *all)
{
    for (size_t k = 0; k < n; k++) {
        json_t *one = json_array_get(c->results, c->pslot[k]);
        if (!one)
            continue;
        if (!all && items[k].recs) { /* the device's words, as "output" */
            json_object_set_new(one, "parsed", items[k].recs);
            items[k].recs = NULL;
        } else {
            json_object_set_new(one, "parse_error", na_run_error_json(all ? all : &items[k].err));
        }
    }
}

static void parsed(void *ud, nd_be_parse_item *items, size_t n)
{
    nd_be_cmd *c = ud;
    c->parsing = NULL;
    put_records(c, items, n, NULL);
    reply(c);
}

/* The device part is over (successfully or not): session back, lock back, then the outputs to
 * parse (if any) to the parser thread, then answer and free. */
static void finish(nd_be_cmd *c)
{
    nd_be *be = c->be;
    c->login = login_timings(c);
    if (c->x) {
        nd_be_sess *x = c->x;
        c->x = NULL;
        nd_be_pool_put(x); /* while the lock is still held: nobody else can want the device yet */
    }
    if (c->lock) {
        be->svc.host_release(be->svc.ctx, c->lock);
        c->lock = NULL;
    }
    if (c->npitems) {
        na_err e = NA_ERR_INIT;
        nd_be_parse_item *items = c->pitems;
        size_t n = c->npitems;
        c->pitems = NULL; /* the batch's now, whatever happens */
        c->npitems = 0;
        c->parsing = nd_be_parse_submit(be, c->gen, c->h->platform, items, n, parsed, c, &e);
        if (c->parsing) {
            c->npitems = n; /* (for the slots; the items are the batch's) */
            return;
        }
        c->npitems = n;
        put_records(c, NULL, n, &e);
    }
    reply(c);
}

static void fail(nd_be_cmd *c, const na_err *e)
{
    if (!na_err_isset(&c->err))
        c->err = *e;
    finish(c);
}

static void open_fresh(nd_be_cmd *c)
{
    na_err e = NA_ERR_INIT;
    c->reused = false;
    c->st = C_OPEN;
    c->x = nd_be_pool_new(c->be, c->gen, c->h, c->kind, c->plat, drive, c, &e);
    if (!c->x || na_session_start_open(c->x->s, &e) < 0) {
        nd_be_hstat_contact(c->be, c->h->name, false, &e);
        fail(c, &e);
        return;
    }
    c->op_t0_us = na_now_us();
    drive(c);
}

/* Start command i (or finish after the last). */
static void next_command(nd_be_cmd *c)
{
    if (c->i == c->n) {
        finish(c);
        return;
    }
    na_session_stats st;
    na_session_stats_get(c->x->s, &st);
    c->in_before = st.bytes_in;
    c->st = C_CMD;
    c->op_t0_us = na_now_us();
    na_err e = NA_ERR_INIT;
    na_cmd_opts co = {0}; /* the platform's default mode, the session's command timeout */
    if (na_session_start_command(c->x->s, c->cmds[c->i], &co, &e) < 0) {
        fail(c, &e);
        return;
    }
    drive(c);
}

static void opened(nd_be_cmd *c, na_status st, const na_err *e)
{
    nd_be *be = c->be;
    if (st != NA_OK) {
        if (e->code == NA_E_AUTH)
            be->svc.login_failed(be->svc.ctx, c->h->name);
        nd_be_hstat_contact(be, c->h->name, false, e);
        fail(c, e);
        return;
    }
    c->x->opened = true;
    c->open_us = na_now_us() - c->op_t0_us;
    nd_be_hstat_contact(be, c->h->name, true, NULL);
    NA_LOGD(c->h->name, "logged in over %s in %lld ms", na_transport_kind_name(c->kind),
            (long long)(na_now_us() - c->op_t0_us) / 1000);
    next_command(c);
}

/* With parse: command i's output (taken from r) is to be parsed once the device is given back;
 * its result will be the next element of c->results. -1 on OOM. */
static int keep_for_parse(nd_be_cmd *c, na_result *r)
{
    if (!c->pitems) {
        c->pitems = calloc(c->n, sizeof *c->pitems);
        c->pslot = calloc(c->n, sizeof *c->pslot);
        if (!c->pitems || !c->pslot)
            return -1;
    }
    nd_be_parse_item *it = &c->pitems[c->npitems];
    it->command = strdup(c->cmds[c->i]);
    it->len = r->output ? r->output_len : 0;
    it->text = r->output ? r->output : strdup("");
    r->output = NULL; /* ours now */
    if (!it->command || !it->text) {
        free(it->command);
        free(it->text);
        memset(it, 0, sizeof *it);
        return -1;
    }
    c->pslot[c->npitems++] = json_array_size(c->results);
    return 0;
}

static void command_done(nd_be_cmd *c, na_status st, const na_err *e)
{
    nd_be *be = c->be;
    na_result r;
    na_session_take_result(c->x->s, &r);
    int64_t el_ms = (na_now_us() - c->op_t0_us) / 1000;
    be->svc.command_observed(be->svc.ctx, c->h->name, el_ms, st == NA_OK);
    if (st != NA_OK && c->reused && !c->retried && c->i == 0 && !na_session_usable(c->x->s)) {
        na_session_stats ss;
        na_session_stats_get(c->x->s, &ss);
        if (ss.bytes_in == c->in_before) { /* not even the echo: the device ran nothing */
            NA_LOGW(c->h->name, "the pooled %s session failed before the device answered (%s): "
                    "retrying on a new session", na_transport_kind_name(c->kind), e->msg);
            na_result_free(&r);
            nd_be_pool_close(c->x);
            c->x = NULL;
            c->retried = true;
            open_fresh(c);
            return;
        }
    }
    json_t *one = json_pack("{s:s,s:o,s:b,s:I}", "command", c->cmds[c->i], "output",
                            na_run_text(r.output, r.output ? r.output_len : 0), "ok",
                            st == NA_OK, "elapsed_ms", (json_int_t)el_ms);
    if (one) /* the device's own error line when it rejected the command, as `netauto show` */
        json_object_set_new(one, "device_error",
                            r.device_error ? na_run_text(r.device_error, strlen(r.device_error))
                                           : json_null());
    if (one && st != NA_OK)
        json_object_set_new(one, "error", na_run_error_json(e));
    if (one && st == NA_OK && c->parse && keep_for_parse(c, &r) < 0) {
        na_err pe = NA_ERR_INIT;
        na_err_set(&pe, NA_E_NOMEM, "out of memory");
        json_object_set_new(one, "parse_error", na_run_error_json(&pe));
    }
    if (one)
        json_array_append_new(c->results, one);
    na_result_free(&r);
    if (st != NA_OK) {
        /* a rejected command leaves the device reached; a lost session is a contact failure */
        nd_be_hstat_contact(be, c->h->name, na_session_usable(c->x->s), e);
        fail(c, e);
        return;
    }
    nd_be_hstat_contact(be, c->h->name, true, NULL);
    c->i++;
    next_command(c);
}

/* The session's event (or a fresh start): step the operation until it must wait. */
static void drive(void *owner)
{
    nd_be_cmd *c = owner;
    na_err e = NA_ERR_INIT;
    na_status st = na_session_step(c->x->s, &e);
    if (st == NA_AGAIN) {
        if (nd_be_pool_arm(c->x, &e) == 0)
            return;
        st = NA_ERROR;
    }
    if (c->st == C_OPEN)
        opened(c, st, &e);
    else
        command_done(c, st, &e);
}

static void granted(nd_lock_req *req, void *ud)
{
    (void)req;
    nd_be_cmd *c = ud;
    nd_be *be = c->be;
    c->granted = true;
    nd_be_pool_evict_host(be, c->h->name, (int)c->kind); /* one session per device */
    c->x = nd_be_pool_take(be, c->h->name, c->kind, c->gen, drive, c);
    if (!c->x) {
        open_fresh(c);
        return;
    }
    c->reused = true;
    next_command(c);
}

static void fin_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    nd_be_cmd *c = arg;
    na_err e = NA_ERR_INIT;
    na_err_set(&e, NA_E_CANCELLED, "cancelled");
    c->done(c->ud, NULL, &e);
    cmd_free(c);
}

nd_be_cmd *nd_be_cmd_run(nd_be *be, const nd_cmd_spec *spec, nd_cmd_done_cb done, void *ud,
                         na_err *err)
{
    const na_inv_host *h;
    na_transport_kind kind;
    const na_platform *plat;
    if (nd_be_target(be->cur, spec->host, spec->transport, &h, &kind, &plat, err) < 0)
        return NULL;
    if (spec->n_commands == 0) {
        na_err_set(err, NA_E_USAGE, "no command to run");
        return NULL;
    }
    nd_be_cmd *c = calloc(1, sizeof *c);
    if (!c) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    c->be = be;
    LIST_INSERT_HEAD(&be->cmds, c, link);
    c->gen = nd_be_inv_ref(be->cur);
    c->h = h;
    c->plat = plat;
    c->kind = kind;
    c->parse = spec->parse;
    c->done = done;
    c->ud = ud;
    c->t0_ms = na_now_ms();
    c->results = json_array();
    c->cmds = calloc(spec->n_commands, sizeof *c->cmds);
    c->fin = event_new(be->svc.base, -1, 0, fin_cb, c);
    if (!c->results || !c->cmds || !c->fin) {
        cmd_free(c);
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    for (; c->n < spec->n_commands; c->n++)
        if (!(c->cmds[c->n] = strdup(spec->commands[c->n]))) {
            cmd_free(c);
            na_err_set(err, NA_E_NOMEM, "out of memory");
            return NULL;
        }
    char owner[200];
    snprintf(owner, sizeof owner, "commands by %s",
             spec->requested_by ? spec->requested_by : "?");
    c->lock = be->svc.host_acquire(be->svc.ctx, h->name, owner, spec->job, granted, c);
    return c;
}

void nd_be_cmd_cancel(nd_be *be, nd_be_cmd *c)
{
    if (c->cancelled)
        return;
    c->cancelled = true;
    if (c->x) { /* mid-operation: out of step with the device, never pooled */
        nd_be_pool_close(c->x);
        c->x = NULL;
    }
    if (c->lock) {
        be->svc.host_release(be->svc.ctx, c->lock);
        c->lock = NULL;
    }
    NA_LOGI(c->h->name, "command request cancelled");
    event_active(c->fin, EV_TIMEOUT, 0);
}

void nd_be_cmds_free_all(nd_be *be)
{
    while (!LIST_EMPTY(&be->cmds))
        cmd_free(LIST_FIRST(&be->cmds));
}
