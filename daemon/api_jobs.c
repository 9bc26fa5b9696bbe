/* api_jobs.c — netautod's /v1/jobs routes (see api_int.h): submit (validated by the backend off
 * the loop, at most limits.validations_per_token per token, dropped if the client goes away),
 * the list and the job itself streamed a piece at a time (each piece made once the previous one
 * has left, so neither a big job nor a client that does not read holds the loop or memory), with
 * the in-memory state of jobs the store may lag behind; cancel; event streams (sse.c). Not the
 * route table or authentication (api.c). */
#include "api_int.h"
#include "api_req.h"
#include "clock.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The job was validated and stored (or refused). */
void nd_api_job_submitted(void *ud, int64_t id, const na_err *err)
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
    nd_api_maybe_idle(a);
}

/* The client of a job being validated went away: nothing is stored. */
static void job_client_gone(nd_req *r)
{
    NA_LOGI("api", "%s %s: the client went away while its playbook was validated; dropped",
            r->who ? r->who : "-", r->path);
    nd_api *a = ((pending *)r->ud)->a;
    nd_reply_error(r, 499, "the client went away"); /* pending_free abandons the validation */
    nd_api_maybe_idle(a);
}

void nd_api_h_post_job(nd_api *a, nd_req *r, char **seg)
{
    (void)seg;
    na_err e = NA_ERR_INIT;
    json_t *body = nd_api_read_body(r, &e);
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
    pending *p = busy ? nd_api_pending_new(a, r) : NULL;
    if (!p) {
        json_decref(body);
        nd_reply_error(r, 500, "out of memory");
        return;
    }
    (*busy)++;
    p->counted = true;
    p->sub = nd_jobs_submit(a->env.jobs, body, r->who, nd_api_job_submitted, p, &e);
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
        nd_stream_write(r, "]}\n", 3, nd_stream_end);
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
    nd_stream_write(r, na_buf_cstr(&b), b.len, lv_more);
    na_buf_free(&b);
}

void nd_api_h_list_jobs(nd_api *a, nd_req *r, char **seg)
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
    if ((lim && (nd_api_parse_id(lim, &limit) < 0 || limit > 10000)) ||
        (before && nd_api_parse_id(before, &bid) < 0)) {
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
    nd_stream_write(r, "{\"jobs\":[", 9, lv_more);
}

static bool job_id(nd_req *r, const char *s, int64_t *id)
{
    if (nd_api_parse_id(s, id) == 0)
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

void nd_api_h_get_job(nd_api *a, nd_req *r, char **seg)
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
    nd_stream_write(r, na_buf_cstr(&v->page), v->page.len, jv_more);
}

void nd_api_h_delete_job(nd_api *a, nd_req *r, char **seg)
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

void nd_api_h_job_events(nd_api *a, nd_req *r, char **seg)
{
    int64_t id;
    if (!job_id(r, seg[2], &id))
        return;
    int64_t after = 0;
    char qb[32];
    const char *h = nd_req_in_header(r, "Last-Event-ID");
    const char *q = nd_req_query(r, "after", qb, sizeof qb);
    if (h && *h && nd_api_parse_id(h, &after) < 0)
        after = 0;
    if (q && nd_api_parse_id(q, &after) < 0)
        after = 0;
    nd_sse_start(a->env.sse, r, id, after);
}
