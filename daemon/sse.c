/* sse.c — server-sent event streams for GET /v1/jobs/{id}/events (see sse.h): replay the stored
 * events after Last-Event-ID (or ?after=N) a piece at a time (about 256 KiB: several small
 * events, or a part of a big one read with nd_text_reader), each piece made only once the
 * previous one has left netautod (so a client that does not read holds one piece, never the
 * job's whole history), then forward live ones while the job runs, with comment heartbeats. A
 * client that goes away is noticed when its connection closes; one that reads too slowly (more
 * than limits.stream_backlog unsent) is ended and may reconnect with Last-Event-ID. Not a general
 * pub/sub. */
#include "sse.h"
#include "clock.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#define REPLAY_PAGE_BYTES ((size_t)256 << 10) /* stored events per replayed piece */

typedef struct stream stream;
struct stream {
    nd_sse *d;
    nd_req *r;
    int64_t job_id;
    int64_t last_seq;     /* the last event sent whole */
    bool live;            /* in d->live: attached to the running job's events */
    bool in_event;        /* replaying: `ev` is the event being sent */
    int64_t ev_seq;
    nd_text_reader ev;
    int64_t next_rowid, next_seq;
    char next_type[32];
    bool next_found;
    na_buf page;
    struct event *hb;
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

static int fmt_event(na_buf *b, int64_t seq, const char *type, const char *data)
{
    return na_buf_printf(b, NULL, "id: %lld\nevent: %s\ndata: %s\n\n", (long long)seq, type,
                         data);
}

static void stream_free(stream *s)
{
    if (s->live)
        LIST_REMOVE(s, link);
    if (s->hb)
        event_free(s->hb);
    na_buf_free(&s->page);
    s->d->n_streams--;
    free(s);
}

static void req_gone(nd_req *r);

/* End the stream (the response completes once its events are out) and free it. */
static void finish(stream *s)
{
    nd_req *r = s->r;
    r->ud = NULL;
    r->ud_free = NULL;
    stream_free(s);
    nd_stream_end(r);
}

/* The client went away. */
static void req_gone(nd_req *r)
{
    stream *s = r->ud;
    if (!s)
        return;
    NA_LOGD("api", "event stream for job %lld closed by the client", (long long)s->job_id);
    finish(s);
}

static void heartbeat_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    stream *s = arg;
    char line[64], ts[40];
    na_format_wall(na_wall_ms(), ts, sizeof ts);
    int n = snprintf(line, sizeof line, ": heartbeat %s\n\n", ts);
    nd_stream_write(s->r, line, (size_t)n, NULL);
}

static int next_row(void *ud, int64_t seq, const char *type, int64_t rowid)
{
    stream *s = ud;
    s->next_seq = seq;
    s->next_rowid = rowid;
    snprintf(s->next_type, sizeof s->next_type, "%s", type ? type : "?");
    s->next_found = true;
    return 1; /* one at a time */
}

static void attach(stream *s)
{
    nd_sse *d = s->d;
    s->live = true;
    LIST_INSERT_HEAD(&d->live, s, link);
    struct timeval tv = {(time_t)d->cfg->sse_heartbeat_s, 0};
    s->hb = event_new(d->base, -1, EV_PERSIST, heartbeat_cb, s);
    if (s->hb)
        event_add(s->hb, &tv);
}

/* The previous piece has left: send the next piece of stored events, or go live (or end). */
static void replay_more(nd_req *r)
{
    stream *s = r->ud;
    nd_sse *d = s->d;
    na_err e = NA_ERR_INIT;
    na_buf_reset(&s->page);
    while (s->page.len < REPLAY_PAGE_BYTES) {
        if (s->in_event) {
            int rc = nd_text_next(&s->ev, REPLAY_PAGE_BYTES - s->page.len, &s->page, &e);
            if (rc < 0)
                break;
            if (rc == 0) {
                if (na_buf_puts(&s->page, "\n\n", &e) < 0)
                    break;
                s->in_event = false;
                s->last_seq = s->ev_seq;
            }
            continue;
        }
        s->next_found = false;
        if (nd_store_event_rows(d->store, s->job_id, s->last_seq, next_row, s, &e) < 0)
            break;
        if (!s->next_found)
            break;
        if (na_buf_printf(&s->page, &e, "id: %lld\nevent: %s\ndata: ", (long long)s->next_seq,
                          s->next_type) < 0)
            break;
        nd_text_open(&s->ev, d->store, "events", "data", s->next_rowid);
        s->ev_seq = s->next_seq;
        s->in_event = true;
    }
    if (na_err_isset(&e)) {
        NA_LOGE("api", "event stream for job %lld: %s", (long long)s->job_id, e.msg);
        finish(s);
        return;
    }
    if (s->page.len > 0) {
        nd_stream_write(r, na_buf_cstr(&s->page), s->page.len, replay_more);
        return;
    }
    /* everything stored has been sent: follow the job while it runs (all on this loop, so no
     * event can slip in between the last read and attaching) */
    if (!d->closed && nd_jobs_find(d->jobs, s->job_id))
        attach(s);
    else
        finish(s); /* the job is over: replay only */
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
        if (nd_req_backlog(s->r) > d->cfg->stream_backlog) {
            NA_LOGW("api", "event stream for job %lld: the client reads too slowly (more than "
                    "%zu bytes unsent); ending the stream (it may reconnect with Last-Event-ID)",
                    (long long)id, d->cfg->stream_backlog);
            finish(s);
            continue;
        }
        na_buf b;
        na_buf_init(&b, (size_t)64 << 20);
        if (fmt_event(&b, seq, type, data) < 0) { /* out of memory: it may reconnect */
            na_buf_free(&b);
            finish(s);
            continue;
        }
        nd_stream_write(s->r, na_buf_cstr(&b), b.len, NULL);
        na_buf_free(&b);
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

static void stream_ud_free(nd_req *r)
{
    stream *s = r->ud; /* the request goes first (server teardown) */
    if (s)
        stream_free(s);
    r->ud = NULL;
}

void nd_sse_start(nd_sse *d, nd_req *r, int64_t job_id, int64_t after)
{
    na_err e = NA_ERR_INIT;
    if (!nd_jobs_find(d->jobs, job_id)) {
        nd_job_state st;
        if (nd_store_job_state(d->store, job_id, &st, &e) < 0) {
            nd_reply_error(r, e.code == NA_E_NOTFOUND ? 404 : 500, "%s", e.msg);
            return;
        }
    }
    stream *s = calloc(1, sizeof *s);
    if (!s) {
        nd_reply_error(r, 500, "out of memory");
        return;
    }
    s->d = d;
    s->r = r;
    s->job_id = job_id;
    s->last_seq = after;
    na_buf_init(&s->page, REPLAY_PAGE_BYTES * 9 + 4096); /* redaction may lengthen */
    d->n_streams++;
    d->total++;
    r->ud = s;
    r->ud_free = stream_ud_free;
    nd_req_header(r, "X-Accel-Buffering", "no");
    nd_stream_start(r, 200, "text/event-stream", req_gone);
    static const char retry[] = "retry: 2000\n\n";
    nd_stream_write(r, retry, sizeof retry - 1, replay_more);
}
