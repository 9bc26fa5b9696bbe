/* sse.c — server-sent event streams for GET /v1/jobs/{id}/events: replay the stored events
 * after Last-Event-ID (or ?after=N), then forward live ones until the job ends, with comment
 * heartbeats. A client that goes away is noticed when a write fails (heartbeats make that
 * happen) and its stream is freed; a client that reads too slowly (more than SSE_MAX_BACKLOG
 * unsent) is ended and may reconnect with Last-Event-ID. Not a general pub/sub.
 *
 * Ending a stream waits until its output has been handed to TLS: libevent 2.1 runs a
 * bufferevent's "written" callback deferred and does not look at the buffer again when it runs.
 * If the last chunks and the end of the response were queued while such a callback was pending
 * (a drain earlier in the same loop pass), evhttp would take the response as sent and stop
 * writing, stranding the last events (the job_finished event included) in netautod's memory. */
#include "sse.h"
#include "clock.h"
#include "log.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#define SSE_MAX_BACKLOG ((size_t)8 << 20)

typedef struct stream stream;
struct stream {
    nd_sse *d;
    nd_req *r;
    struct evhttp_request *req;
    struct evhttp_connection *evcon;
    int64_t job_id;
    int64_t last_seq;
    bool live;            /* in d->live: attached to the running job's events */
    struct event *hb;
    struct event *end_ev; /* ending: waits for the output to drain */
    bool empty_seen;      /* the output was empty at the previous check */
    LIST_ENTRY(stream) link;
};

struct nd_sse {
    nd_jobs *jobs;
    nd_store *store;
    const nd_conf *cfg;
    struct event_base *base;
    LIST_HEAD(, stream) live; /* streams attached to a running job */
    unsigned n_streams;
    uint64_t total;
    bool closed;              /* shutting down: replay only */
};

static size_t backlog(stream *s)
{
    struct bufferevent *bev = evhttp_connection_get_bufferevent(s->evcon);
    return bev ? evbuffer_get_length(bufferevent_get_output(bev)) : 0;
}

static void send_chunk(stream *s, struct evbuffer *b)
{
    evhttp_send_reply_chunk(s->req, b);
}

static void fmt_event(struct evbuffer *b, int64_t seq, const char *type, const char *data)
{
    evbuffer_add_printf(b, "id: %lld\nevent: %s\ndata: %s\n\n", (long long)seq, type, data);
}

/* Complete the response and free the stream. */
static void end_now(stream *s)
{
    nd_sse *d = s->d;
    if (s->end_ev)
        event_free(s->end_ev);
    evhttp_connection_set_closecb(s->evcon, NULL, NULL);
    evhttp_send_reply_end(s->req);
    d->n_streams--;
    nd_req_done(s->r, 200);
    free(s);
}

/* Send the end once the output has been seen empty on two checks in a row: a deferred
 * "written" callback from the drain has run by the second one (see the top of the file). */
static void end_check_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    stream *s = arg;
    bool empty = backlog(s) == 0;
    if (empty && s->empty_seen) {
        end_now(s);
        return;
    }
    s->empty_seen = empty;
    struct timeval tv = {0, empty ? 1000 : 10000};
    event_add(s->end_ev, &tv);
}

/* End the stream normally (the response is completed once its events are out) and free it. */
static void finish(stream *s)
{
    if (s->live) {
        LIST_REMOVE(s, link);
        s->live = false;
    }
    if (s->hb)
        event_free(s->hb);
    s->hb = NULL;
    if (s->end_ev)
        return; /* already ending */
    s->end_ev = event_new(s->d->base, -1, 0, end_check_cb, s);
    if (!s->end_ev) {
        end_now(s);
        return;
    }
    s->empty_seen = false;
    event_active(s->end_ev, EV_TIMEOUT, 0);
}

/* The client went away: libevent has detached the request from its connection. */
static void closed_cb(struct evhttp_connection *evcon, void *arg)
{
    (void)evcon;
    stream *s = arg;
    nd_sse *d = s->d;
    if (s->live) {
        LIST_REMOVE(s, link);
        s->live = false;
    }
    if (s->hb)
        event_free(s->hb);
    if (s->end_ev)
        event_free(s->end_ev);
    NA_LOGD("api", "event stream for job %lld closed by the client", (long long)s->job_id);
    if (!evhttp_request_get_connection(s->req))
        evhttp_send_reply_end(s->req); /* frees the detached request */
    s->r->req = NULL;
    d->n_streams--;
    nd_req_done(s->r, 200);
    free(s);
}

static void heartbeat_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    stream *s = arg;
    char ts[40];
    na_format_wall(na_wall_ms(), ts, sizeof ts);
    struct evbuffer *b = evbuffer_new();
    if (!b)
        return;
    evbuffer_add_printf(b, ": heartbeat %s\n\n", ts);
    send_chunk(s, b);
    evbuffer_free(b);
}

typedef struct replay_ctx {
    struct evbuffer *b;
    int64_t last;
} replay_ctx;

static int replay_cb(void *ud, int64_t seq, int64_t ts, const char *type, const char *data)
{
    (void)ts;
    replay_ctx *c = ud;
    fmt_event(c->b, seq, type, data);
    c->last = seq;
    return 0;
}

static void on_event(void *ud, nd_job *j, int64_t seq, const char *type, const char *data)
{
    nd_sse *d = ud;
    int64_t id = nd_job_id(j);
    stream *s, *next;
    for (s = LIST_FIRST(&d->live); s; s = next) {
        next = LIST_NEXT(s, link);
        if (s->job_id != id || seq <= s->last_seq)
            continue;
        if (backlog(s) > SSE_MAX_BACKLOG) {
            NA_LOGW("api", "event stream for job %lld: client too slow, ending the stream",
                    (long long)id);
            finish(s);
            continue;
        }
        struct evbuffer *b = evbuffer_new();
        if (!b)
            continue;
        fmt_event(b, seq, type, data);
        send_chunk(s, b);
        evbuffer_free(b);
        s->last_seq = seq;
    }
}

/* The job ended (after its job_finished event): end its streams. */
static void on_ended(void *ud, nd_job *j)
{
    nd_sse *d = ud;
    int64_t id = nd_job_id(j);
    stream *s, *next;
    for (s = LIST_FIRST(&d->live); s; s = next) {
        next = LIST_NEXT(s, link);
        if (s->job_id == id)
            finish(s);
    }
}

nd_sse *nd_sse_new(nd_jobs *jobs, nd_store *store, const nd_conf *cfg, struct event_base *base,
                   na_err *err)
{
    nd_sse *d = calloc(1, sizeof *d);
    if (!d) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    d->jobs = jobs;
    d->store = store;
    d->cfg = cfg;
    d->base = base;
    LIST_INIT(&d->live);
    nd_jobs_observer o = {.event = on_event, .ended = on_ended, .ud = d};
    if (nd_jobs_observe(jobs, &o) < 0) {
        free(d);
        na_err_set(err, NA_E_INTERNAL, "too many job observers");
        return NULL;
    }
    return d;
}

void nd_sse_free(nd_sse *d) { free(d); }
unsigned nd_sse_count(const nd_sse *d) { return d->n_streams; }
uint64_t nd_sse_total(const nd_sse *d) { return d->total; }

void nd_sse_close_all(nd_sse *d)
{
    stream *s;
    while ((s = LIST_FIRST(&d->live)))
        finish(s);
    d->closed = true;
}

void nd_sse_start(nd_sse *d, nd_req *r, int64_t job_id, int64_t after)
{
    na_err e = NA_ERR_INIT;
    nd_job *j = nd_jobs_find(d->jobs, job_id);
    if (!j) {
        nd_job_state st;
        if (nd_store_job_state(d->store, job_id, &st, &e) < 0) {
            nd_reply_error(r, e.code == NA_E_NOTFOUND ? 404 : 500, "%s", e.msg);
            return;
        }
    }
    struct evbuffer *b = evbuffer_new();
    stream *s = calloc(1, sizeof *s);
    if (!b || !s) {
        evbuffer_free(b);
        free(s);
        nd_reply_error(r, 500, "out of memory");
        return;
    }
    replay_ctx rc = {b, after};
    if (nd_store_events(d->store, job_id, after, replay_cb, &rc, &e) < 0) {
        evbuffer_free(b);
        free(s);
        nd_reply_error(r, 500, "%s", e.msg);
        return;
    }
    s->d = d;
    s->r = r;
    s->req = r->req;
    s->evcon = evhttp_request_get_connection(r->req);
    s->job_id = job_id;
    s->last_seq = rc.last;
    d->n_streams++;
    d->total++;
    struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
    evhttp_add_header(h, "Content-Type", "text/event-stream");
    evhttp_add_header(h, "Cache-Control", "no-store");
    evhttp_add_header(h, "X-Accel-Buffering", "no");
    evhttp_send_reply_start(r->req, 200, "OK");
    evhttp_connection_set_closecb(s->evcon, closed_cb, s);
    evbuffer_add_printf(b, "retry: 2000\n\n");
    send_chunk(s, b);
    evbuffer_free(b);
    if (!j || d->closed) {
        finish(s); /* the job is over: replay only */
        return;
    }
    s->live = true;
    LIST_INSERT_HEAD(&d->live, s, link);
    struct timeval tv = {(time_t)d->cfg->sse_heartbeat_s, 0};
    s->hb = event_new(d->base, -1, EV_PERSIST, heartbeat_cb, s);
    if (s->hb)
        event_add(s->hb, &tv);
}
