/* api.c — netautod's HTTP API: authentication (Bearer token, constant-time verification) and
 * the routes. GET /healthz is the only route without authentication (it reveals nothing but
 * liveness, the version and the backend's name). Bodies are JSON (max size enforced by
 * libevent), answers are JSON except /metrics (Prometheus text) and the event streams.
 * Not the server plumbing: see http.c. */
#include "api_req.h"
#include "clock.h"
#include "log.h"
#include "netautod.h"

#include <ctype.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- helpers ------------------------------------------------------------------------------ */

static int split_path(char *path, char **seg, int max)
{
    int n = 0;
    for (char *save = NULL, *t = strtok_r(path, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
        if (n == max)
            return -1;
        seg[n++] = t;
    }
    return n;
}

static int parse_id(const char *s, int64_t *out)
{
    if (!s || !*s)
        return -1;
    int64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (!isdigit((unsigned char)*p) || v > (INT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (*p - '0');
    }
    if (v <= 0)
        return -1;
    *out = v;
    return 0;
}

static const char *query(nd_req *r, const char *key, struct evkeyvalq *kv)
{
    const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(r->req);
    const char *q = u ? evhttp_uri_get_query(u) : NULL;
    if (!q)
        return NULL;
    if (TAILQ_EMPTY(kv) && evhttp_parse_query_str(q, kv) < 0)
        return NULL;
    return evhttp_find_header(kv, key);
}

static json_t *read_body(nd_req *r, char *errbuf, size_t cap)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(r->req);
    size_t n = evbuffer_get_length(in);
    const char *p = n ? (const char *)evbuffer_pullup(in, (ev_ssize_t)n) : NULL;
    return nd_req_body_parse(p, n, errbuf, cap);
}

static bool method_is(nd_req *r, const char *m) { return !strcmp(r->method, m); }

static void not_allowed(nd_req *r, const char *allow)
{
    evhttp_add_header(evhttp_request_get_output_headers(r->req), "Allow", allow);
    nd_reply_error(r, 405, "method %s is not allowed here (allowed: %s)", r->method, allow);
}

static bool authenticate(nd_req *r)
{
    nd *d = r->d;
    const char *h = evhttp_find_header(evhttp_request_get_input_headers(r->req), "Authorization");
    const na_token *t = NULL;
    if (h && !strncasecmp(h, "Bearer ", 7)) {
        const char *tok = h + 7;
        while (*tok == ' ')
            tok++;
        t = na_tokens_verify(&d->tokens, tok);
    }
    if (!t) {
        d->metrics.api_auth_failures++;
        evhttp_add_header(evhttp_request_get_output_headers(r->req), "WWW-Authenticate",
                          "Bearer realm=\"netautod\"");
        nd_reply_error(r, 401, h ? "invalid token" : "missing token (Authorization: Bearer ...)");
        return false;
    }
    r->who = strdup(t->name);
    return true;
}

/* ---- routes ------------------------------------------------------------------------------- */

static void healthz(nd_req *r)
{
    nd *d = r->d;
    json_t *j = json_pack("{s:s,s:s,s:s,s:I}", "status", d->draining ? "draining" : "ok",
                          "version", NETAUTOD_VERSION, "backend", d->be_ops->name, "uptime_s",
                          (json_int_t)((na_now_ms() - d->started_ms) / 1000));
    nd_reply_json(r, d->draining ? 503 : 200, j);
}

static void metrics(nd_req *r)
{
    nd *d = r->d;
    na_metrics_gauges g = {0};
    na_err e = NA_ERR_INIT;
    if (na_store_count_by_state(d->store, g.jobs, &e) < 0) {
        nd_reply_error(r, 500, "%s", e.msg);
        return;
    }
    na_backend_stats bs = {0};
    d->be_ops->stats(d->be, &bs);
    na_lock_stats ls;
    na_lockmgr_stats(d->locks, &ls);
    g.sessions_open = bs.sessions_open;
    g.sessions_idle = bs.sessions_idle;
    g.hosts_in_flight = ls.held;
    g.lock_waiting = ls.waiting;
    g.connections = d->conns;
    g.sse_streams = d->n_streams;
    g.uptime_s = (na_now_ms() - d->started_ms) / 1000;
    g.draining = d->draining;
    /* count this scrape before rendering so the exposition includes it */
    na_buf b;
    na_buf_init(&b, 4 << 20);
    if (na_metrics_render(&d->metrics, &g, &b, &e) < 0) {
        na_buf_free(&b);
        nd_reply_error(r, 500, "%s", e.msg);
        return;
    }
    nd_reply_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", na_buf_cstr(&b), b.len);
    na_buf_free(&b);
}

static void post_job(nd_req *r)
{
    nd *d = r->d;
    char eb[300];
    json_t *body = read_body(r, eb, sizeof eb);
    if (!body) {
        nd_reply_error(r, 400, "%s", eb);
        return;
    }
    char why[1024]; /* as long as nd_reply_error's message */
    if (nd_job_req_fields(body, why, sizeof why) < 0) {
        json_decref(body); /* the message is a copy */
        nd_reply_error(r, 400, "%s", why);
        return;
    }
    if (d->draining) {
        json_decref(body);
        nd_reply_error(r, 503, "netautod is shutting down; not accepting jobs");
        return;
    }
    na_err e = NA_ERR_INIT;
    int64_t id = nd_job_submit(d, body, r->who, &e);
    json_decref(body);
    if (id < 0) {
        int code = nd_http_status_for(&e, false);
        nd_reply_error(r, code, "%s", e.msg);
        return;
    }
    char loc[64];
    snprintf(loc, sizeof loc, "/v1/jobs/%lld", (long long)id);
    evhttp_add_header(evhttp_request_get_output_headers(r->req), "Location", loc);
    nd_reply_json(r, 202, json_pack("{s:I,s:s}", "id", (json_int_t)id, "state", "queued"));
}

static void list_jobs(nd_req *r)
{
    struct evkeyvalq kv;
    TAILQ_INIT(&kv);
    const char *st = query(r, "state", &kv), *lim = query(r, "limit", &kv),
               *before = query(r, "before", &kv);
    int state = -1;
    int64_t limit = 100, bid = 0;
    char bad_state[64] = "";
    bool bad_num = false;
    if (st && (state = na_job_state_parse(st)) < 0)
        snprintf(bad_state, sizeof bad_state, "%s", st);
    if ((lim && (parse_id(lim, &limit) < 0 || limit > 10000)) ||
        (before && parse_id(before, &bid) < 0))
        bad_num = true;
    evhttp_clear_headers(&kv); /* st, lim, before point into kv: not used below */
    if (*bad_state) {
        nd_reply_error(r, 400,
                       "unknown state '%s' (queued, running, succeeded, failed, cancelled, "
                       "interrupted)",
                       bad_state);
        return;
    }
    if (bad_num) {
        nd_reply_error(r, 400, "limit and before must be positive integers (limit <= 10000)");
        return;
    }
    na_err e = NA_ERR_INIT;
    json_t *jobs = na_store_job_list(r->d->store, state, (int)limit, bid, &e);
    if (!jobs) {
        nd_reply_error(r, 500, "%s", e.msg);
        return;
    }
    nd_reply_json(r, 200, json_pack("{s:o}", "jobs", jobs));
}

static void get_job(nd_req *r, int64_t id)
{
    na_err e = NA_ERR_INIT;
    json_t *j = na_store_job_get(r->d->store, id, &e);
    if (!j) {
        nd_reply_error(r, e.code == NA_E_NOTFOUND ? 404 : 500, "%s", e.msg);
        return;
    }
    nd_reply_json(r, 200, j);
}

static void delete_job(nd_req *r, int64_t id)
{
    na_err e = NA_ERR_INIT;
    nd_job *j = nd_job_find(r->d, id);
    bool was_queued = j && j->state == NA_JOB_QUEUED;
    if (nd_job_cancel(r->d, id, r->who, &e) < 0) {
        int code = e.code == NA_E_NOTFOUND ? 404 : e.code == NA_E_CONFIG ? 409 : 500;
        nd_reply_error(r, code, "%s", e.msg);
        return;
    }
    if (was_queued)
        nd_reply_json(r, 200, json_pack("{s:I,s:s}", "id", (json_int_t)id, "state", "cancelled"));
    else
        nd_reply_json(r, 202, json_pack("{s:I,s:s}", "id", (json_int_t)id, "state", "cancelling"));
}

static void job_events(nd_req *r, int64_t id)
{
    struct evkeyvalq kv;
    TAILQ_INIT(&kv);
    int64_t after = 0;
    const char *h = evhttp_find_header(evhttp_request_get_input_headers(r->req), "Last-Event-ID");
    const char *q = query(r, "after", &kv);
    if (h && *h && parse_id(h, &after) < 0)
        after = 0;
    if (q && parse_id(q, &after) < 0)
        after = 0;
    evhttp_clear_headers(&kv);
    nd_sse_start(r->d, r, id, after);
}

/* ---- commands ----------------------------------------------------------------------------- */

static void cmd_done(void *ud, json_t *result, const na_err *err)
{
    nd_req *r = ud;
    nd *d = r->d;
    r->cmd = NULL;
    if (result)
        nd_reply_json(r, 200, json_incref(result));
    else if (err && err->code == NA_E_CANCELLED)
        nd_reply_error(r, 503, "%s", err->msg);
    else
        nd_reply_error(r, err ? nd_http_status_for(err, true) : 500, "%s",
                       err ? err->msg : "the backend returned no result");
    nd_maybe_finish_drain(d);
}

static void post_commands(nd_req *r)
{
    nd *d = r->d;
    char eb[300];
    json_t *body = read_body(r, eb, sizeof eb);
    if (!body) {
        nd_reply_error(r, 400, "%s", eb);
        return;
    }
    nd_cmd_req cr;
    const char *why = NULL;
    nd_cmd_req_parse(body, &cr, &why);
    if (why) {
        json_decref(body);
        nd_reply_error(r, 400, "%s", why);
        return;
    }
    if (d->draining) {
        json_decref(body);
        nd_reply_error(r, 503, "netautod is shutting down; not accepting commands");
        return;
    }
    na_cmd_spec spec = {cr.host, cr.transport, cr.commands, cr.n, r->who, cr.parse};
    /* audit before running: who asked which device for what */
    na_buf detail;
    na_buf_init(&detail, 4096);
    for (size_t i = 0; i < cr.n; i++)
        if (na_buf_printf(&detail, NULL, "%s%s", i ? " | " : "", cr.commands[i]) < 0)
            break; /* the audit line keeps the commands that fit in 4 KiB */
    nd_audit(d, r->who, "commands", spec.host, na_buf_cstr(&detail));
    na_buf_free(&detail);
    na_err e = NA_ERR_INIT;
    TAILQ_INSERT_TAIL(&d->pending, r, link);
    r->pending = true;
    r->cmd = d->be_ops->cmd_run(d->be, &spec, cmd_done, r, &e);
    json_decref(body);
    if (!r->cmd) {
        nd_reply_error(r, nd_http_status_for(&e, true), "%s", e.msg);
        return;
    }
}

/* ---- inventory, hosts, backups, schedules, audit ------------------------------------------ */

static void get_host(nd_req *r, const char *name)
{
    nd *d = r->d;
    json_t *h = d->be_ops->host_json(d->be, name);
    if (!h) {
        nd_reply_error(r, 404, "no host '%s' in the inventory", name);
        return;
    }
    json_t *st = d->be_ops->host_status(d->be, name);
    nd_reply_json(r, 200,
                  json_pack("{s:s,s:o,s:o,s:o}", "name", name, "host", h, "status",
                            st ? st : json_null(), "lock", na_lockmgr_host_json(d->locks, name)));
}

static void backups(nd_req *r, const char *host, const char *id_s)
{
    nd *d = r->d;
    na_err e = NA_ERR_INIT;
    if (!id_s) {
        json_t *l = na_store_backup_list(d->store, host, &e);
        if (!l) {
            nd_reply_error(r, 500, "%s", e.msg);
            return;
        }
        if (json_array_size(l) == 0) {
            json_t *h = d->be_ops->host_json(d->be, host);
            if (!h) {
                json_decref(l);
                nd_reply_error(r, 404, "no host '%s' in the inventory and no backups of it", host);
                return;
            }
            json_decref(h);
        }
        nd_reply_json(r, 200, json_pack("{s:s,s:o}", "host", host, "backups", l));
        return;
    }
    int64_t id;
    if (parse_id(id_s, &id) < 0) {
        nd_reply_error(r, 400, "backup id must be a positive integer");
        return;
    }
    json_t *b = na_store_backup_get(d->store, host, id, &e);
    if (!b) {
        nd_reply_error(r, e.code == NA_E_NOTFOUND ? 404 : 500, "%s", e.msg);
        return;
    }
    nd_reply_json(r, 200, b);
}

static void run_schedule(nd_req *r, const char *name)
{
    nd *d = r->d;
    if (d->draining) {
        nd_reply_error(r, 503, "netautod is shutting down; not accepting jobs");
        return;
    }
    na_err e = NA_ERR_INIT;
    int64_t id = nd_sched_run(d, name, r->who, &e);
    if (id < 0) {
        int code = e.code == NA_E_NOTFOUND && !na_dconf_schedule(&d->cfg, name)
                       ? 404
                       : e.code == NA_E_CONFIG ? 409 : nd_http_status_for(&e, false);
        nd_reply_error(r, code, "%s", e.msg);
        return;
    }
    nd_reply_json(r, 202, json_pack("{s:I,s:s}", "id", (json_int_t)id, "state", "queued"));
}

static void audit_list(nd_req *r)
{
    struct evkeyvalq kv;
    TAILQ_INIT(&kv);
    const char *lim = query(r, "limit", &kv);
    int64_t limit = 100;
    if (lim && (parse_id(lim, &limit) < 0 || limit > 10000))
        limit = 100;
    evhttp_clear_headers(&kv);
    na_err e = NA_ERR_INIT;
    json_t *a = na_store_audit_list(r->d->store, (int)limit, &e);
    if (!a) {
        nd_reply_error(r, 500, "%s", e.msg);
        return;
    }
    nd_reply_json(r, 200, json_pack("{s:o}", "audit", a));
}

/* ---- dispatch ----------------------------------------------------------------------------- */

void nd_api_dispatch(nd_req *r)
{
    nd *d = r->d;
    if (!strcmp(r->path, "/healthz")) {
        if (method_is(r, "GET") || method_is(r, "HEAD"))
            healthz(r);
        else
            not_allowed(r, "GET");
        return;
    }
    if (!authenticate(r))
        return;
    char *pc = strdup(r->path);
    char *seg[8];
    int n = pc ? split_path(pc, seg, 8) : -1;
    bool get = method_is(r, "GET") || method_is(r, "HEAD"), post = method_is(r, "POST"),
         del = method_is(r, "DELETE");
    int64_t id = 0;
    if (n == 1 && !strcmp(seg[0], "metrics")) {
        get ? metrics(r) : not_allowed(r, "GET");
    } else if (n < 2 || strcmp(seg[0], "v1")) {
        nd_reply_error(r, 404, "no such endpoint: %s", r->path);
    } else if (!strcmp(seg[1], "jobs") && n == 2) {
        post ? post_job(r) : get ? list_jobs(r) : not_allowed(r, "GET, POST");
    } else if (!strcmp(seg[1], "jobs") && (n == 3 || n == 4) && parse_id(seg[2], &id) < 0) {
        nd_reply_error(r, 404, "job ids are positive integers");
    } else if (!strcmp(seg[1], "jobs") && n == 3) {
        get ? get_job(r, id) : del ? delete_job(r, id) : not_allowed(r, "GET, DELETE");
    } else if (!strcmp(seg[1], "jobs") && n == 4 && !strcmp(seg[3], "events")) {
        get ? job_events(r, id) : not_allowed(r, "GET");
    } else if (!strcmp(seg[1], "commands") && n == 2) {
        post ? post_commands(r) : not_allowed(r, "POST");
    } else if (!strcmp(seg[1], "inventory") && n == 2) {
        if (!get)
            not_allowed(r, "GET");
        else
            nd_reply_json(r, 200, d->be_ops->inventory_json(d->be));
    } else if (!strcmp(seg[1], "hosts") && n == 3) {
        get ? get_host(r, seg[2]) : not_allowed(r, "GET");
    } else if (!strcmp(seg[1], "backups") && (n == 3 || n == 4)) {
        get ? backups(r, seg[2], n == 4 ? seg[3] : NULL) : not_allowed(r, "GET");
    } else if (!strcmp(seg[1], "schedules") && n == 2) {
        get ? nd_reply_json(r, 200, json_pack("{s:o}", "schedules", nd_sched_json(d)))
            : not_allowed(r, "GET");
    } else if (!strcmp(seg[1], "schedules") && n == 4 && !strcmp(seg[3], "run")) {
        post ? run_schedule(r, seg[2]) : not_allowed(r, "POST");
    } else if (!strcmp(seg[1], "audit") && n == 2) {
        get ? audit_list(r) : not_allowed(r, "GET");
    } else {
        nd_reply_error(r, 404, "no such endpoint: %s", r->path);
    }
    free(pc);
}
