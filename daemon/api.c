/* api.c — netautod's HTTP API (see api.h): the route table, authentication (Bearer token,
 * constant-time verification in tokens.c, the token file re-read whenever it changed so a
 * revocation takes effect at the next request), the scope each route needs (403 otherwise,
 * audited with the token's name), a request rate per token (429), and the handlers. GET /healthz
 * is the only route without authentication (it reveals nothing but liveness, the version and the
 * backend's name). An unauthenticated client learns nothing else: 401 comes before 404 and 405,
 * and every failed authentication is audited with the client's address. Bodies are JSON (max
 * size enforced by libevent), answers are JSON except /metrics (Prometheus text) and the event
 * streams (sse.c). Not the server plumbing: see http.c. */
#include "api.h"
#include "api_req.h"
#include "clock.h"
#include "log.h"
#include "netautod.h"
#include "strmap.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#define MAX_SEGS 8

/* A request answered later: a command running in the backend, or a job being validated. */
typedef struct pending pending;
struct pending {
    nd_api *a;
    nd_req *r;
    nd_be_cmd *cmd;   /* the command in the backend, NULL once done */
    nd_jobs_sub *sub; /* the job being validated, NULL once done */
    bool counted;     /* in a->validating[r->who] */
    TAILQ_ENTRY(pending) link;
};

/* A token's request budget (token bucket): `level` requests available now. */
typedef struct bucket {
    double level;
    int64_t at_us;
} bucket;

struct nd_api {
    nd_api_env env;
    TAILQ_HEAD(, pending) pending; /* requests answered later (commands) */
    bool draining;
    na_strmap *buckets;            /* token name -> bucket */
    na_strmap *validating;         /* token name -> its jobs being validated (a counter) */
    bucket audit_fail;             /* failed authentications written to the audit trail */
    unsigned audit_fail_dropped;   /* ... and those that were not (flood) */
    char token_file_error[256];    /* the last problem re-reading the token file (logged once) */
};

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
static void h_list_jobs(nd_api *a, nd_req *r, char **seg);
static void h_post_job(nd_api *a, nd_req *r, char **seg);
static void h_get_job(nd_api *a, nd_req *r, char **seg);
static void h_delete_job(nd_api *a, nd_req *r, char **seg);
static void h_job_events(nd_api *a, nd_req *r, char **seg);
static void h_commands(nd_api *a, nd_req *r, char **seg);
static void h_inventory(nd_api *a, nd_req *r, char **seg);
static void h_host(nd_api *a, nd_req *r, char **seg);
static void h_backups(nd_api *a, nd_req *r, char **seg);
static void h_backup(nd_api *a, nd_req *r, char **seg);
static void h_schedules(nd_api *a, nd_req *r, char **seg);
static void h_schedule_run(nd_api *a, nd_req *r, char **seg);
static void h_audit(nd_api *a, nd_req *r, char **seg);

#define READ ND_SCOPE_READ
#define RUN ND_SCOPE_RUN
static const route routes[] = {
    {"GET", "/healthz", 0, h_healthz},
    {"GET", "/metrics", READ, h_metrics},
    {"GET", "/v1/jobs", READ, h_list_jobs},
    {"POST", "/v1/jobs", RUN, h_post_job},
    {"GET", "/v1/jobs/*", READ, h_get_job},
    {"DELETE", "/v1/jobs/*", RUN, h_delete_job},
    {"GET", "/v1/jobs/*/events", READ, h_job_events},
    {"POST", "/v1/commands", ND_SCOPE_COMMANDS, h_commands},
    {"GET", "/v1/inventory", READ, h_inventory},
    {"GET", "/v1/hosts/*", READ, h_host},
    {"GET", "/v1/backups/*", READ, h_backups},
    {"GET", "/v1/backups/*/*", READ, h_backup},
    {"GET", "/v1/schedules", READ, h_schedules},
    {"POST", "/v1/schedules/*/run", RUN, h_schedule_run},
    {"GET", "/v1/audit", ND_SCOPE_ADMIN, h_audit},
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

static json_t *read_body(nd_req *r, na_err *err)
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

enum { HEAD_OK = 0, HEAD_NO_TOKEN, HEAD_BAD_TOKEN };

/* A request may send a full body when its route is public or it carries a valid token; the
 * scope is checked once the request is complete (a 403 with a small body). */
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
    if (public_path)
        return HEAD_OK;
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
    if (nd_metrics_render(a->env.metrics, &g, &b, &e) < 0) {
        na_buf_free(&b);
        nd_reply_error(r, 500, "%s", e.msg);
        return;
    }
    nd_reply_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", na_buf_cstr(&b), b.len);
    na_buf_free(&b);
}

static void pending_free(nd_req *r);

static pending *pending_new(nd_api *a, nd_req *r)
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

static void maybe_idle(nd_api *a)
{
    if (nd_api_idle(a) && a->env.idle)
        a->env.idle(a->env.idle_ud);
}

/* The job was validated and stored (or refused). */
static void job_submitted(void *ud, int64_t id, const na_err *err)
{
    pending *p = ud;
    nd_api *a = p->a;
    nd_req *r = p->r;
    p->sub = NULL;
    if (id > 0) {
        char loc[64];
        snprintf(loc, sizeof loc, "/v1/jobs/%lld", (long long)id);
        nd_req_header(r, "Location", loc);
        nd_reply_json(r, 202, json_pack("{s:I,s:s}", "id", (json_int_t)id, "state", "queued"));
    } else {
        /* a validation's verdict is about the request (400); the store and shutting down are
         * not (503) */
        int code = err->code == NA_E_CANCELLED || err->code == NA_E_IO ? 503
                   : err->code == NA_E_NOMEM || err->code == NA_E_INTERNAL ? 500
                                                                            : 400;
        if (code == 503)
            nd_req_header(r, "Retry-After", "5");
        nd_reply_error(r, code, "%s", err->msg);
    }
    maybe_idle(a);
}

/* The client of a job being validated went away: nothing is stored. */
static void job_client_gone(nd_req *r)
{
    NA_LOGI("api", "%s %s: the client went away while its playbook was validated; dropped",
            r->who ? r->who : "-", r->path);
    nd_api *a = ((pending *)r->ud)->a;
    nd_reply_error(r, 499, "the client went away"); /* pending_free abandons the validation */
    maybe_idle(a);
}

static void h_post_job(nd_api *a, nd_req *r, char **seg)
{
    (void)seg;
    na_err e = NA_ERR_INIT;
    json_t *body = read_body(r, &e);
    if (!body || nd_job_req_fields(body, &e) < 0) {
        json_decref(body);
        nd_reply_error(r, 400, "%s", e.msg);
        return;
    }
    if (a->draining) {
        json_decref(body);
        nd_reply_error(r, 503, "netautod is shutting down; not accepting jobs");
        return;
    }
    unsigned *busy = na_strmap_get(a->validating, r->who);
    if (busy && *busy >= a->env.cfg->validations_per_token) {
        json_decref(body);
        a->env.metrics->api_rate_limited++;
        nd_req_header(r, "Retry-After", "1");
        nd_reply_error(r, 429, "%u playbooks submitted with token '%s' are being validated "
                               "(limits.validations_per_token); submit more when they are "
                               "answered",
                       *busy, r->who);
        return;
    }
    if (!busy && (busy = calloc(1, sizeof *busy)) &&
        na_strmap_put(a->validating, r->who, busy) < 0) {
        free(busy);
        busy = NULL;
    }
    pending *p = busy ? pending_new(a, r) : NULL;
    if (!p) {
        json_decref(body);
        nd_reply_error(r, 500, "out of memory");
        return;
    }
    (*busy)++;
    p->counted = true;
    p->sub = nd_jobs_submit(a->env.jobs, body, r->who, job_submitted, p, &e);
    json_decref(body);
    if (!p->sub) {
        int code = e.code == NA_E_OVERFLOW ? 429 : nd_http_status_for(&e, false);
        if (code == 429)
            nd_req_header(r, "Retry-After", "1");
        nd_reply_error(r, code, "%s", e.msg);
        return;
    }
    nd_req_watch_gone(r, job_client_gone);
}

/* A job still in netautod's memory is shown as it is: after a store failure the stored row may
 * lag (still "queued", or running when it has ended). */
static void overlay(nd_api *a, json_t *row)
{
    nd_job_state st;
    const char *error;
    int64_t fin;
    if (!nd_jobs_overlay(a->env.jobs, json_integer_value(json_object_get(row, "id")), &st, &error,
                         &fin))
        return;
    json_object_set_new(row, "state", json_string(nd_job_state_names[st]));
    if (error)
        json_object_set_new(row, "error", json_string(error));
    if (fin) {
        char ts[40];
        na_format_wall(fin, ts, sizeof ts);
        json_object_set_new(row, "finished", json_string(ts));
    }
}

/* GET /v1/jobs: streamed a page of rows at a time, each page made once the previous one left. */
typedef struct listview {
    nd_api *a;
    int state;
    int64_t left;   /* rows still wanted */
    int64_t before; /* the next page lists ids below this (0: from the newest) */
    bool first;
} listview;

#define LIST_PAGE 200

static void lv_free(nd_req *r)
{
    free(r->ud);
    r->ud = NULL;
}

static void lv_gone(nd_req *r) { nd_stream_end(r); }

static void lv_more(nd_req *r)
{
    listview *v = r->ud;
    na_err e = NA_ERR_INIT;
    int n = v->left < LIST_PAGE ? (int)v->left : LIST_PAGE;
    json_t *rows = n > 0 ? nd_store_job_list(v->a->env.store, v->state, n, v->before, &e) : NULL;
    if (n > 0 && !rows)
        NA_LOGE("api", "job list: %s", e.msg); /* the answer ends short (and invalid) */
    if (!rows || json_array_size(rows) == 0) {
        json_decref(rows);
        nd_stream_send(r, "]}\n", 3, nd_stream_end);
        return;
    }
    na_buf b;
    na_buf_init(&b, (size_t)64 << 20);
    size_t i;
    json_t *row;
    bool full = false;
    json_array_foreach(rows, i, row) {
        overlay(v->a, row);
        char *t = json_dumps(row, JSON_COMPACT);
        full = !t || na_buf_printf(&b, NULL, "%s%s", v->first ? "" : ",", t) < 0;
        free(t);
        if (full)
            break; /* out of memory: the rest of this page comes with the next one */
        v->first = false;
        v->before = json_integer_value(json_object_get(row, "id"));
        v->left--;
    }
    json_decref(rows);
    nd_stream_send(r, na_buf_cstr(&b), b.len, lv_more);
    na_buf_free(&b);
}

static void h_list_jobs(nd_api *a, nd_req *r, char **seg)
{
    (void)seg;
    char sb[64], lb[32], bb[32];
    const char *st = nd_req_query(r, "state", sb, sizeof sb),
               *lim = nd_req_query(r, "limit", lb, sizeof lb),
               *before = nd_req_query(r, "before", bb, sizeof bb);
    int state = -1;
    int64_t limit = 100, bid = 0;
    if (st && (state = nd_job_state_parse(st)) < 0) {
        nd_reply_error(r, 400,
                       "unknown state '%s' (queued, running, succeeded, failed, cancelled, "
                       "interrupted)",
                       st);
        return;
    }
    if ((lim && (parse_id(lim, &limit) < 0 || limit > 10000)) ||
        (before && parse_id(before, &bid) < 0)) {
        nd_reply_error(r, 400, "limit and before must be positive integers (limit <= 10000)");
        return;
    }
    listview *v = calloc(1, sizeof *v);
    if (!v) {
        nd_reply_error(r, 500, "out of memory");
        return;
    }
    *v = (listview){a, state, limit, bid, true};
    r->ud = v;
    r->ud_free = lv_free;
    nd_stream_start(r, 200, "application/json", lv_gone);
    nd_stream_send(r, "{\"jobs\":[", 9, lv_more);
}

static bool job_id(nd_req *r, const char *s, int64_t *id)
{
    if (parse_id(s, id) == 0)
        return true;
    nd_reply_error(r, 404, "job ids are positive integers");
    return false;
}

/* GET /v1/jobs/{id}: the job's row, then its per-host results streamed a piece at a time (one
 * host's result can be megabytes of device output, read and sent 256 KiB at a time), each piece
 * made once the previous one left; the summary counts what was sent. */
typedef struct jobview {
    nd_api *a;
    int64_t id;
    int64_t targets;
    int64_t cur_fin; /* cursor: the last row begun (-1: none yet) */
    char *cur_host;
    int finished, ok, changed;
    bool in_row;     /* row: the result being sent */
    nd_text_reader row;
    int64_t next_rowid;
    bool next_found;
    na_buf page;
} jobview;

#define JOB_PAGE_BYTES ((size_t)256 << 10)

static void jv_free(nd_req *r)
{
    jobview *v = r->ud;
    free(v->cur_host);
    na_buf_free(&v->page);
    free(v);
    r->ud = NULL;
}

static void jv_gone(nd_req *r) { nd_stream_end(r); }

static int jv_row(void *ud, const char *host, int64_t finished, bool ok, bool changed,
                  int64_t rowid)
{
    jobview *v = ud;
    json_t *key = json_string(host);
    char *k = key ? json_dumps(key, JSON_ENCODE_ANY) : NULL;
    json_decref(key);
    int rc = na_buf_printf(&v->page, NULL, "%s%s:", v->finished ? "," : "", k ? k : "\"?\"");
    free(k);
    if (rc < 0)
        return 1; /* out of memory: no next row (the answer ends short) */
    v->finished++;
    v->ok += ok;
    v->changed += changed;
    v->cur_fin = finished;
    free(v->cur_host);
    v->cur_host = strdup(host);
    v->next_rowid = rowid;
    v->next_found = true;
    return 1; /* one row at a time */
}

static void jv_more(nd_req *r)
{
    jobview *v = r->ud;
    na_err e = NA_ERR_INIT;
    na_buf_reset(&v->page);
    while (v->page.len < JOB_PAGE_BYTES) {
        if (v->in_row) {
            int rc = nd_text_next(&v->row, JOB_PAGE_BYTES - v->page.len, &v->page, &e);
            if (rc < 0) {
                NA_LOGE("api", "job %lld: %s", (long long)v->id, e.msg); /* ends short */
                nd_stream_write(r, na_buf_cstr(&v->page), v->page.len, nd_stream_end);
                return;
            }
            v->in_row = rc > 0;
            continue;
        }
        v->next_found = false;
        if (nd_store_host_results(v->a->env.store, v->id, v->cur_fin, v->cur_host, jv_row, v,
                                  &e) < 0)
            NA_LOGE("api", "job %lld: %s", (long long)v->id, e.msg);
        if (!v->next_found || !v->cur_host) {
            if (na_buf_printf(&v->page, NULL,
                              "},\"summary\":{\"targets\":%lld,\"finished\":%d,\"ok\":%d,"
                              "\"failed\":%d,\"changed\":%d}}\n",
                              (long long)v->targets, v->finished, v->ok, v->finished - v->ok,
                              v->changed) < 0)
                NA_LOGE("api", "job %lld: out of memory", (long long)v->id); /* ends short */
            nd_stream_write(r, na_buf_cstr(&v->page), v->page.len, nd_stream_end);
            return;
        }
        nd_text_open(&v->row, v->a->env.store, "host_results", "result", v->next_rowid);
        v->in_row = true;
    }
    nd_stream_write(r, na_buf_cstr(&v->page), v->page.len, jv_more);
}

static void h_get_job(nd_api *a, nd_req *r, char **seg)
{
    int64_t id;
    if (!job_id(r, seg[2], &id))
        return;
    na_err e = NA_ERR_INIT;
    json_t *head = nd_store_job_head(a->env.store, id, &e);
    if (!head) {
        nd_reply_error(r, e.code == NA_E_NOTFOUND ? 404 : 500, "%s", e.msg);
        return;
    }
    overlay(a, head);
    jobview *v = calloc(1, sizeof *v);
    char *t = json_dumps(head, JSON_COMPACT);
    if (!v || !t || !strcmp(r->method, "HEAD")) {
        bool head_only = v && t;
        free(v);
        free(t);
        json_decref(head);
        if (head_only)
            nd_reply_text(r, 200, "application/json", "", 0);
        else
            nd_reply_error(r, 500, "out of memory");
        return;
    }
    v->a = a;
    v->id = id;
    v->targets = (int64_t)json_array_size(json_object_get(head, "targets"));
    v->cur_fin = -1;
    na_buf_init(&v->page, (size_t)512 << 20);
    json_decref(head);
    r->ud = v;
    r->ud_free = jv_free;
    nd_stream_start(r, 200, "application/json", jv_gone);
    t[strlen(t) - 1] = '\0'; /* the object stays open for "hosts" and "summary" */
    int rc = na_buf_printf(&v->page, NULL, "%s,\"hosts\":{", t);
    free(t);
    if (rc < 0) { /* the stream has started: it can only end short */
        NA_LOGE("api", "job %lld: out of memory", (long long)id);
        nd_stream_end(r);
        return;
    }
    nd_stream_send(r, na_buf_cstr(&v->page), v->page.len, jv_more);
}

static void h_delete_job(nd_api *a, nd_req *r, char **seg)
{
    int64_t id;
    if (!job_id(r, seg[2], &id))
        return;
    na_err e = NA_ERR_INIT;
    bool was_queued;
    if (nd_jobs_cancel(a->env.jobs, id, r->who, &was_queued, &e) < 0) {
        int code = e.code == NA_E_NOTFOUND ? 404 : e.code == NA_E_CONFIG ? 409 : 500;
        nd_reply_error(r, code, "%s", e.msg);
        return;
    }
    if (was_queued)
        nd_reply_json(r, 200, json_pack("{s:I,s:s}", "id", (json_int_t)id, "state", "cancelled"));
    else
        nd_reply_json(r, 202, json_pack("{s:I,s:s}", "id", (json_int_t)id, "state", "cancelling"));
}

static void h_job_events(nd_api *a, nd_req *r, char **seg)
{
    int64_t id;
    if (!job_id(r, seg[2], &id))
        return;
    int64_t after = 0;
    char qb[32];
    const char *h = nd_req_in_header(r, "Last-Event-ID");
    const char *q = nd_req_query(r, "after", qb, sizeof qb);
    if (h && *h && parse_id(h, &after) < 0)
        after = 0;
    if (q && parse_id(q, &after) < 0)
        after = 0;
    nd_sse_start(a->env.sse, r, id, after);
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
    maybe_idle(a);
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
    json_t *body = read_body(r, &e);
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
    nd_cmd_spec spec = {cr.host, cr.transport, cr.commands, cr.n, r->who, 0};
    /* audit before running: who asked which device for what */
    na_buf detail;
    na_buf_init(&detail, 4096);
    for (size_t i = 0; i < cr.n; i++)
        if (na_buf_printf(&detail, NULL, "%s%s", i ? " | " : "", cr.commands[i]) < 0)
            break; /* the audit line keeps the commands that fit in 4 KiB */
    nd_audit(a->env.store, r->who, "commands", spec.host, na_buf_cstr(&detail));
    na_buf_free(&detail);
    pending *p = pending_new(a, r);
    if (!p) {
        json_decref(body);
        nd_reply_error(r, 500, "out of memory");
        return;
    }
    p->cmd = a->env.be_ops->cmd_run(a->env.be, &spec, cmd_done, p, &e);
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
    if (parse_id(seg[3], &id) < 0) {
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
    pending *p = pending_new(a, r);
    if (!p) {
        nd_reply_error(r, 500, "out of memory");
        return;
    }
    int64_t id = nd_sched_run(a->env.sched, name, r->who, job_submitted, p, &e);
    if (id < 0) {
        int code = e.code == NA_E_NOTFOUND && !nd_conf_schedule(a->env.cfg, name)
                       ? 404
                       : e.code == NA_E_CONFIG ? 409 : nd_http_status_for(&e, false);
        nd_reply_error(r, code, "%s", e.msg);
    } else if (id > 0) {
        nd_reply_json(r, 202, json_pack("{s:I,s:s}", "id", (json_int_t)id, "state", "queued"));
    } /* else: validating; job_submitted answers */
}

static void h_audit(nd_api *a, nd_req *r, char **seg)
{
    (void)seg;
    char lb[32];
    const char *lim = nd_req_query(r, "limit", lb, sizeof lb);
    int64_t limit = 100;
    if (lim && (parse_id(lim, &limit) < 0 || limit > 10000))
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
