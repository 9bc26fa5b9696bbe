/* api.c — netautod's HTTP API (see api.h): the route table, authentication (Bearer token,
 * constant-time verification in tokens.c, the token file re-read whenever it changed so a
 * revocation takes effect at the next request), the scope each route needs (403 otherwise,
 * audited with the token's name), a request rate per token (429), and the handlers (those of
 * /v1/jobs are in api_jobs.c). GET /healthz
 * is the only route without authentication (it reveals nothing but liveness, the version and the
 * backend's name). An unauthenticated client learns nothing else: 401 comes before 404 and 405,
 * and every failed authentication is audited with the client's address. Bodies are JSON (max
 * size enforced by libevent), answers are JSON except /metrics (Prometheus text) and the event
 * streams (sse.c). Not the server plumbing: see http.c. */
#include "api_int.h"
#include "cluster.h"
#include "api_req.h"
#include "clock.h"
#include "log.h"
#include "netautod.h"
#include "ui.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_SEGS 8

/* ---- the route table ---------------------------------------------------------------------- */

typedef void (*handler_fn)(nd_api *a, nd_req *r, char **seg);

typedef struct route {
    const char *method;  /* GET routes answer HEAD too */
    const char *pattern; /* "/"-separated segments; "*" matches any one segment */
    unsigned scope;      /* ND_SCOPE_* the token needs (admin has them all); 0: public */
    handler_fn fn;
} route;

static void h_healthz(nd_api *a, nd_req *r, char **seg);
static void h_metrics(nd_api *a, nd_req *r, char **seg);
static void h_commands(nd_api *a, nd_req *r, char **seg);
static void h_inventory(nd_api *a, nd_req *r, char **seg);
static void h_host(nd_api *a, nd_req *r, char **seg);
static void h_backups(nd_api *a, nd_req *r, char **seg);
static void h_backup(nd_api *a, nd_req *r, char **seg);
static void h_schedules(nd_api *a, nd_req *r, char **seg);
static void h_schedule_run(nd_api *a, nd_req *r, char **seg);
static void h_audit(nd_api *a, nd_req *r, char **seg);
static void h_cluster(nd_api *a, nd_req *r, char **seg);

#define READ ND_SCOPE_READ
#define RUN ND_SCOPE_RUN
static const route routes[] = {
    {"GET", "/healthz", 0, h_healthz},
    {"GET", "/metrics", READ, h_metrics},
    {"GET", "/v1/jobs", READ, nd_api_h_list_jobs},
    {"POST", "/v1/jobs", RUN, nd_api_h_post_job},
    {"GET", "/v1/jobs/*", READ, nd_api_h_get_job},
    {"DELETE", "/v1/jobs/*", RUN, nd_api_h_delete_job},
    {"GET", "/v1/jobs/*/events", READ, nd_api_h_job_events},
    {"POST", "/v1/commands", ND_SCOPE_COMMANDS, h_commands},
    {"GET", "/v1/inventory", READ, h_inventory},
    {"GET", "/v1/hosts/*", READ, h_host},
    {"GET", "/v1/backups/*", READ, h_backups},
    {"GET", "/v1/backups/*/*", READ, h_backup},
    {"GET", "/v1/schedules", READ, h_schedules},
    {"POST", "/v1/schedules/*/run", RUN, h_schedule_run},
    {"GET", "/v1/audit", ND_SCOPE_ADMIN, h_audit},
    {"GET", "/v1/whoami", ND_SCOPES_ALL, nd_ui_h_whoami}, /* any scope */
    {"POST", "/v1/shell/*", ND_SCOPE_COMMANDS, nd_ui_h_shell_ticket},
    {"GET", "/v1/shell/*/ws", 0, nd_ui_h_shell_ws}, /* public: its ticket authenticates */
    {"GET", "/v1/cluster", READ, h_cluster},
};
#undef READ
#undef RUN
#define N_ROUTES (sizeof routes / sizeof routes[0])

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

static bool path_matches(const route *rt, char **seg, int n)
{
    const char *p = rt->pattern;
    int i = 0;
    while (*p) {
        p++; /* the '/' */
        size_t len = strcspn(p, "/");
        if (i == n)
            return false;
        if (!(len == 1 && *p == '*') && (strlen(seg[i]) != len || strncmp(seg[i], p, len)))
            return false;
        i++;
        p += len;
    }
    return i == n;
}

static bool method_matches(const route *rt, const char *method)
{
    return !strcmp(rt->method, method) || (!strcmp(rt->method, "GET") && !strcmp(method, "HEAD"));
}

/* ---- helpers ------------------------------------------------------------------------------ */

int nd_api_parse_id(const char *s, int64_t *out)
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

json_t *nd_api_read_body(nd_req *r, na_err *err)
{
    size_t n;
    const char *p = nd_req_body(r, &n);
    return nd_req_body_parse(p, n, err);
}

/* Take one request from a token bucket of `rate` per second and `burst` at most; false when
 * empty. rate 0: unlimited. */
static bool take(bucket *b, double rate, double burst)
{
    if (rate <= 0)
        return true;
    int64_t now = na_now_us();
    if (b->at_us == 0)
        b->level = burst;
    else
        b->level += (double)(now - b->at_us) / 1e6 * rate;
    if (b->level > burst)
        b->level = burst;
    b->at_us = now;
    if (b->level < 1)
        return false;
    b->level -= 1;
    return true;
}

/* The token file may have changed (`netautod token add/revoke`): re-read it first. */
static void refresh_tokens(nd_api *a)
{
    na_err e = NA_ERR_INIT;
    int rc = nd_tokens_refresh(a->env.cfg->tokens_file, a->env.tokens, &e);
    if (rc < 0 && strcmp(e.msg, a->token_file_error)) {
        NA_LOGE("api", "token file: %s (the tokens read before stay in use)", e.msg);
        snprintf(a->token_file_error, sizeof a->token_file_error, "%s", e.msg);
    } else if (rc > 0) {
        NA_LOGI("api", "token file changed: %zu API tokens", a->env.tokens->n);
        a->token_file_error[0] = '\0';
    }
}

/* Audit a failed authentication with the client's address. A flood of them (more than 10 a
 * second) is not written row by row: the next row says how many were left out. */
static void audit_auth_failure(nd_api *a, const char *addr, const char *method, const char *path,
                               const char *why)
{
    a->env.metrics->api_auth_failures++;
    if (!take(&a->audit_fail, 10, 20)) {
        a->audit_fail_dropped++;
        return;
    }
    char detail[600];
    snprintf(detail, sizeof detail, "%s %s: %s", method, path, why);
    if (a->audit_fail_dropped) {
        size_t l = strlen(detail);
        snprintf(detail + l, sizeof detail - l, " (and %u more failures not written: too many)",
                 a->audit_fail_dropped);
        a->audit_fail_dropped = 0;
    }
    nd_audit(a->env.store, "-", "auth.failed", addr, detail);
}

static const nd_token *bearer(nd_api *a, const char *authorization)
{
    if (!authorization || strncasecmp(authorization, "Bearer ", 7))
        return NULL;
    const char *tok = authorization + 7;
    while (*tok == ' ')
        tok++;
    return nd_tokens_verify(a->env.tokens, tok);
}

static bool authenticate(nd_api *a, nd_req *r)
{
    refresh_tokens(a);
    const char *h = nd_req_in_header(r, "Authorization");
    const nd_token *t = bearer(a, h);
    if (!t) {
        audit_auth_failure(a, r->addr, r->method, r->path, h ? "invalid token" : "no token");
        nd_req_header(r, "WWW-Authenticate", "Bearer realm=\"netautod\"");
        nd_reply_error(r, 401, h ? "invalid token" : "missing token (Authorization: Bearer ...)");
        return false;
    }
    r->who = strdup(t->name);
    r->scopes = t->scopes;
    return r->who != NULL || (nd_reply_error(r, 500, "out of memory"), false);
}

/* The token may make another request now (limits.token_rate); 429 otherwise. */
static bool within_rate(nd_api *a, nd_req *r)
{
    const nd_conf *c = a->env.cfg;
    bucket *b = na_strmap_get(a->buckets, r->who);
    if (!b && (b = calloc(1, sizeof *b)) && na_strmap_put(a->buckets, r->who, b) < 0) {
        free(b);
        b = NULL;
    }
    if (!b || take(b, c->token_rate, c->token_burst))
        return true;
    a->env.metrics->api_rate_limited++;
    nd_req_header(r, "Retry-After", "1");
    nd_reply_error(r, 429, "token '%s' made more than %u requests a second (limits.token_rate); "
                           "slow down",
                   r->who, c->token_rate);
    return false;
}

/* The token's scopes allow the route; 403 (audited) otherwise. */
static bool allowed(nd_api *a, nd_req *r, const route *rt)
{
    if (r->scopes & rt->scope)
        return true;
    char has[64], detail[160];
    nd_scopes_format(r->scopes, has, sizeof has);
    snprintf(detail, sizeof detail, "needs the '%s' scope; the token has: %s",
             nd_scope_name(rt->scope), *has ? has : "none");
    char target[300];
    snprintf(target, sizeof target, "%s %s", r->method, r->path);
    nd_audit(a->env.store, r->who, "denied", target, detail);
    a->env.metrics->api_denied++;
    nd_reply_error(r, 403, "token '%s' may not %s %s: it needs the '%s' scope (it has: %s)",
                   r->who, r->method, r->path, nd_scope_name(rt->scope), *has ? has : "none");
    return false;
}

/* ---- before the body: the head check ------------------------------------------------------ */

enum { HEAD_OK = 0, HEAD_PUBLIC, HEAD_NO_TOKEN, HEAD_BAD_TOKEN };

/* A request may send a full body only with a valid token; the scope is checked once the request
 * is complete (a 403 with a small body). /healthz needs no token, and no body either. */
static int head_check(void *ctx, const char *method, const char *path, const char *authz)
{
    nd_api *a = ctx;
    (void)method;
    char *pc = strdup(path);
    char *seg[MAX_SEGS];
    int n = pc ? split_path(pc, seg, MAX_SEGS) : -1;
    bool public_path = false;
    for (size_t i = 0; n >= 0 && i < N_ROUTES; i++)
        if (routes[i].scope == 0 && path_matches(&routes[i], seg, n))
            public_path = true;
    free(pc);
    if (public_path || nd_ui_path(path))
        return HEAD_PUBLIC;
    refresh_tokens(a);
    return bearer(a, authz) ? HEAD_OK : authz ? HEAD_BAD_TOKEN : HEAD_NO_TOKEN;
}

static void refused(void *ctx, const char *addr, const char *method, const char *path, int code,
                    int reason)
{
    nd_api *a = ctx;
    (void)code; /* counted and logged by the server */
    if (reason == HEAD_BAD_TOKEN || reason == HEAD_NO_TOKEN)
        audit_auth_failure(a, addr, method, path,
                           reason == HEAD_BAD_TOKEN ? "invalid token (body not read)"
                                                    : "no token (body not read)");
}

nd_http_hooks nd_api_http_hooks(nd_api *a)
{
    nd_http_hooks hk = {.handler = nd_api_handle, .head_check = head_check, .refused = refused,
                        .ctx = a};
    return hk;
}

/* ---- dispatch ----------------------------------------------------------------------------- */

void nd_api_handle(void *ctx, nd_req *r)
{
    nd_api *a = ctx;
    if (nd_ui_handle(r)) /* the web page's static files (ui_serve.c): public */
        return;
    char *pc = strdup(r->path);
    char *seg[MAX_SEGS];
    int n = pc ? split_path(pc, seg, MAX_SEGS) : -1;
    const route *found = NULL;
    bool path_known = false, public_path = false;
    char allow[64] = "";
    for (size_t i = 0; n >= 0 && i < N_ROUTES; i++) {
        if (!path_matches(&routes[i], seg, n))
            continue;
        path_known = true;
        public_path |= routes[i].scope == 0;
        if (!found && method_matches(&routes[i], r->method))
            found = &routes[i];
        size_t l = strlen(allow);
        snprintf(allow + l, sizeof allow - l, "%s%s", l ? ", " : "", routes[i].method);
    }
    if (!public_path && (!authenticate(a, r) || !within_rate(a, r))) {
        free(pc);
        return;
    }
    if (!path_known) {
        nd_reply_error(r, 404, "no such endpoint: %s", r->path);
    } else if (!found) {
        nd_req_header(r, "Allow", allow);
        nd_reply_error(r, 405, "method %s is not allowed here (allowed: %s)", r->method, allow);
    } else if (found->scope == 0 || allowed(a, r, found)) {
        found->fn(a, r, seg);
    }
    free(pc);
}

/* ---- routes ------------------------------------------------------------------------------- */

static void h_healthz(nd_api *a, nd_req *r, char **seg)
{
    (void)seg;
    json_t *j = json_pack("{s:s,s:s,s:s,s:I}", "status", a->draining ? "draining" : "ok",
                          "version", NETAUTOD_VERSION, "backend", a->env.be_ops->name,
                          "uptime_s", (json_int_t)((na_now_ms() - a->env.started_ms) / 1000));
    nd_reply_json(r, a->draining ? 503 : 200, j);
}

static void h_metrics(nd_api *a, nd_req *r, char **seg)
{
    (void)seg;
    nd_metrics_gauges g = {0};
    na_err e = NA_ERR_INIT;
    if (nd_store_count_by_state(a->env.store, g.jobs, &e) < 0) {
        nd_reply_error(r, 500, "%s", e.msg);
        return;
    }
    nd_backend_stats bs = {0};
    a->env.be_ops->stats(a->env.be, &bs);
    nd_lock_stats ls;
    nd_lockmgr_stats(a->env.locks, &ls);
    g.sessions_open = bs.sessions_open;
    g.sessions_idle = bs.sessions_idle;
    g.hosts_in_flight = ls.held;
    g.lock_waiting = ls.waiting;
    g.connections = nd_http_connections(a->env.http);
    g.sse_streams = nd_sse_count(a->env.sse);
    g.uptime_s = (na_now_ms() - a->env.started_ms) / 1000;
    g.draining = a->draining;
    a->env.metrics->sse_streams_total = nd_sse_total(a->env.sse);
    na_buf b;
    na_buf_init(&b, 4 << 20);
    if (nd_metrics_render(a->env.metrics, &g, &b, &e) < 0 || nd_cluster_metrics(&b, &e) < 0) {
        na_buf_free(&b);
        nd_reply_error(r, 500, "%s", e.msg);
        return;
    }
    nd_reply_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", na_buf_cstr(&b), b.len);
    na_buf_free(&b);
}

/* GET /v1/cluster: this node, the nodes and sites it sees (cluster/cluster.h); 404 when
 * netautod runs alone. */
static void h_cluster(nd_api *a, nd_req *r, char **seg)
{
    (void)a;
    (void)seg;
    json_t *st = nd_cluster_status();
    if (!st) {
        nd_reply_error(r, 404, "netautod runs alone here (no cluster: in its configuration)");
        return;
    }
    nd_reply_json(r, 200, st);
}

/* ---- requests answered later ------------------------------------------------------------- */

static void pending_free(nd_req *r);

pending *nd_api_pending_new(nd_api *a, nd_req *r)
{
    pending *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->a = a;
    p->r = r;
    TAILQ_INSERT_TAIL(&a->pending, p, link);
    r->ud = p;
    r->ud_free = pending_free;
    return p;
}

void nd_api_maybe_idle(nd_api *a)
{
    if (nd_api_idle(a) && a->env.idle)
        a->env.idle(a->env.idle_ud);
}

/* ---- commands ----------------------------------------------------------------------------- */

static void pending_free(nd_req *r)
{
    pending *p = r->ud;
    nd_api *a = p->a;
    if (p->sub) /* the client went away (or shutdown): its validation is dropped */
        nd_jobs_submit_abandon(a->env.jobs, p->sub);
    if (p->cmd) /* only at exit: the backend frees its commands without calling back */
        p->cmd = NULL;
    unsigned *busy = p->counted ? na_strmap_get(a->validating, r->who) : NULL;
    if (busy && --*busy == 0)
        free(na_strmap_del(a->validating, r->who));
    TAILQ_REMOVE(&a->pending, p, link);
    free(p);
    r->ud = NULL;
}

static void cmd_done(void *ud, json_t *result, const na_err *err)
{
    pending *p = ud;
    nd_api *a = p->a;
    nd_req *r = p->r;
    p->cmd = NULL;
    if (result)
        nd_reply_json(r, 200, json_incref(result));
    else if (err && err->code == NA_E_CANCELLED)
        nd_reply_error(r, 503, "%s", err->msg);
    else
        nd_reply_error(r, err ? nd_http_status_for(err, true) : 500, "%s",
                       err ? err->msg : "the backend returned no result");
    nd_api_maybe_idle(a);
}

/* The client of a command went away: whatever still waits (the device's lock, a login) or runs
 * is cancelled; nothing more is sent to the device for it. */
static void cmd_client_gone(nd_req *r)
{
    pending *p = r->ud;
    if (!p->cmd)
        return;
    NA_LOGI("api", "%s POST /v1/commands: the client went away; the command is cancelled",
            r->who ? r->who : "-");
    nd_audit(p->a->env.store, r->who, "commands.abandoned", r->addr, "the client went away");
    p->a->env.be_ops->cmd_cancel(p->a->env.be, p->cmd); /* cmd_done(NA_E_CANCELLED) follows */
}

static void h_commands(nd_api *a, nd_req *r, char **seg)
{
    (void)seg;
    na_err e = NA_ERR_INIT;
    nd_cmd_req cr;
    json_t *body = nd_api_read_body(r, &e);
    if (!body || nd_cmd_req_parse(body, &cr, &e) < 0) {
        json_decref(body);
        nd_reply_error(r, 400, "%s", e.msg);
        return;
    }
    if (a->draining) {
        json_decref(body);
        nd_reply_error(r, 503, "netautod is shutting down; not accepting commands");
        return;
    }
    nd_cmd_spec spec = {.host = cr.host, .transport = cr.transport, .commands = cr.commands,
                        .n_commands = cr.n, .requested_by = r->who, .job = 0, .parse = cr.parse};
    /* audit before running: who asked which device for what */
    na_buf detail;
    na_buf_init(&detail, 4096);
    for (size_t i = 0; i < cr.n; i++)
        if (na_buf_printf(&detail, NULL, "%s%s", i ? " | " : "", cr.commands[i]) < 0)
            break; /* the audit line keeps the commands that fit in 4 KiB */
    nd_audit(a->env.store, r->who, "commands", spec.host, na_buf_cstr(&detail));
    na_buf_free(&detail);
    pending *p = nd_api_pending_new(a, r);
    if (!p) {
        json_decref(body);
        nd_reply_error(r, 500, "out of memory");
        return;
    }
    p->cmd = a->env.be_ops->cli_cmd_run(a->env.be, &spec, cmd_done, p, &e);
    json_decref(body);
    if (!p->cmd) {
        nd_reply_error(r, nd_http_status_for(&e, true), "%s", e.msg);
        return;
    }
    nd_req_watch_gone(r, cmd_client_gone);
}

/* ---- inventory, hosts, backups, schedules, audit ------------------------------------------ */

static void h_inventory(nd_api *a, nd_req *r, char **seg)
{
    (void)seg;
    nd_reply_json(r, 200, a->env.be_ops->inventory_json(a->env.be));
}

static void h_host(nd_api *a, nd_req *r, char **seg)
{
    const char *name = seg[2];
    json_t *h = a->env.be_ops->host_json(a->env.be, name);
    if (!h) {
        nd_reply_error(r, 404, "no host '%s' in the inventory", name);
        return;
    }
    json_t *st = a->env.be_ops->host_status(a->env.be, name);
    nd_reply_json(r, 200,
                  json_pack("{s:s,s:o,s:o,s:o}", "name", name, "host", h, "status",
                            st ? st : json_null(), "lock",
                            nd_lockmgr_host_json(a->env.locks, name)));
}

static void h_backups(nd_api *a, nd_req *r, char **seg)
{
    const char *host = seg[2];
    na_err e = NA_ERR_INIT;
    json_t *l = nd_store_backup_list(a->env.store, host, &e);
    if (!l) {
        nd_reply_error(r, 500, "%s", e.msg);
        return;
    }
    if (json_array_size(l) == 0) {
        json_t *h = a->env.be_ops->host_json(a->env.be, host);
        if (!h) {
            json_decref(l);
            nd_reply_error(r, 404, "no host '%s' in the inventory and no backups of it", host);
            return;
        }
        json_decref(h);
    }
    nd_reply_json(r, 200, json_pack("{s:s,s:o}", "host", host, "backups", l));
}

static void h_backup(nd_api *a, nd_req *r, char **seg)
{
    int64_t id;
    if (nd_api_parse_id(seg[3], &id) < 0) {
        nd_reply_error(r, 400, "backup id must be a positive integer");
        return;
    }
    na_err e = NA_ERR_INIT;
    json_t *b = nd_store_backup_get(a->env.store, seg[2], id, &e);
    if (!b) {
        nd_reply_error(r, e.code == NA_E_NOTFOUND ? 404 : 500, "%s", e.msg);
        return;
    }
    nd_reply_json(r, 200, b);
}

static void h_schedules(nd_api *a, nd_req *r, char **seg)
{
    (void)seg;
    nd_reply_json(r, 200, json_pack("{s:o}", "schedules", nd_sched_json(a->env.sched)));
}

static void h_schedule_run(nd_api *a, nd_req *r, char **seg)
{
    const char *name = seg[2];
    if (a->draining) {
        nd_reply_error(r, 503, "netautod is shutting down; not accepting jobs");
        return;
    }
    na_err e = NA_ERR_INIT;
    pending *p = nd_api_pending_new(a, r);
    if (!p) {
        nd_reply_error(r, 500, "out of memory");
        return;
    }
    int64_t id = nd_sched_run(a->env.sched, name, r->who, nd_api_job_submitted, p, &e);
    if (id < 0) {
        int code = e.code == NA_E_NOTFOUND && !nd_conf_schedule(a->env.cfg, name)
                       ? 404
                       : e.code == NA_E_CONFIG ? 409 : nd_http_status_for(&e, false);
        nd_reply_error(r, code, "%s", e.msg);
    } else if (id > 0) {
        nd_reply_json(r, 202, json_pack("{s:I,s:s}", "id", (json_int_t)id, "state", "queued"));
    } /* else: validating; nd_api_job_submitted answers */
}

static void h_audit(nd_api *a, nd_req *r, char **seg)
{
    (void)seg;
    char lb[32];
    const char *lim = nd_req_query(r, "limit", lb, sizeof lb);
    int64_t limit = 100;
    if (lim && (nd_api_parse_id(lim, &limit) < 0 || limit > 10000))
        limit = 100;
    na_err e = NA_ERR_INIT;
    json_t *l = nd_store_audit_list(a->env.store, (int)limit, &e);
    if (!l) {
        nd_reply_error(r, 500, "%s", e.msg);
        return;
    }
    nd_reply_json(r, 200, json_pack("{s:o}", "audit", l));
}

/* ---- life cycle --------------------------------------------------------------------------- */

nd_api *nd_api_new(const nd_api_env *env, na_err *err)
{
    nd_api *a = calloc(1, sizeof *a);
    if (!a) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    a->env = *env;
    TAILQ_INIT(&a->pending);
    if (!(a->buckets = na_strmap_new()) || !(a->validating = na_strmap_new())) {
        na_strmap_free(a->buckets);
        free(a);
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    return a;
}

static void free_bucket(const char *k, void *v, void *ud)
{
    (void)k;
    (void)ud;
    free(v);
}

void nd_api_free(nd_api *a)
{
    if (!a)
        return;
    nd_ui_terminals_free(); /* the web page's terminals (ui_ws.c), while the backend lives */
    pending *p;
    while ((p = TAILQ_FIRST(&a->pending))) {
        p->cmd = NULL;      /* the backend frees its commands without calling back */
        nd_req_free(p->r);  /* unlinks p, abandons a validation; the evhttp request goes with
                               the server */
    }
    na_strmap_each(a->buckets, free_bucket, NULL);
    na_strmap_free(a->buckets);
    na_strmap_each(a->validating, free_bucket, NULL);
    na_strmap_free(a->validating);
    free(a);
}

void nd_api_set_http(nd_api *a, nd_http *h) { a->env.http = h; }
void nd_api_drain(nd_api *a) { a->draining = true; }

void nd_api_interrupt(nd_api *a)
{
    pending *p;
    TAILQ_FOREACH(p, &a->pending, link)
        if (p->cmd)
            a->env.be_ops->cmd_cancel(a->env.be, p->cmd);
}

bool nd_api_idle(const nd_api *a) { return TAILQ_EMPTY(&a->pending); }
