/* http_stream.c — streamed answers (chunked, each piece made once the previous one has left, see
 * http.h) and the watch for a client going away while its request waits for an answer. Part of
 * the HTTPS server (http_int.h). Not the server, its limits or its plain replies (http.c). */
#include "http_int.h"
#include "log.h"
#include "secret.h"

#include <errno.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

void nd_req_unwatch_gone(nd_req *r)
{
    if (r->gone_ev)
        event_free(r->gone_ev);
    r->gone_ev = NULL;
}

/* ---- the client going away ---------------------------------------------------------------- */

static void gone_cb(evutil_socket_t fd, short what, void *arg)
{
    nd_req *r = arg;
    if (!(what & EV_CLOSED)) { /* readable: the end (FIN, or a reset), or more data */
        char c;
        ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)))
            return; /* data (a pipelined request) or nothing yet: still there */
    }
    nd_req_unwatch_gone(r);
    if (r->gone)
        r->gone(r);
}

void nd_req_watch_gone(nd_req *r, void (*gone)(nd_req *r))
{
    struct evhttp_connection *evcon = r->req ? evhttp_request_get_connection(r->req) : NULL;
    struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
    evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
    if (fd < 0 || r->gone_ev || !(event_base_get_features(r->h->base) & EV_FEATURE_EARLY_CLOSE))
        return;
    r->gone = gone;
    /* EV_CLOSED alone is dropped by libevent 2.1's epoll backend when the connection's own read
     * event goes: with EV_READ (edge-triggered, so data waiting is seen once, not in a loop) it
     * stays, and a read that shows the end of the stream counts as gone too */
    r->gone_ev = event_new(r->h->base, fd, EV_CLOSED | EV_READ | EV_ET | EV_PERSIST, gone_cb, r);
    if (r->gone_ev)
        event_add(r->gone_ev, NULL);
}

/* ---- streamed answers --------------------------------------------------------------------- */

static void end_now(nd_req *r);

static void stream_closed_cb(struct evhttp_connection *evcon, void *arg)
{
    (void)evcon;
    nd_req *r = arg;
    r->stream_gone = true;
    r->drained = NULL;
    if (r->defer_ev)
        event_del(r->defer_ev);
    if (r->end_ev) /* it was ending anyway: nothing more will go out */
        end_now(r);
    else if (r->gone)
        r->gone(r);
}

static void run_drained(nd_req *r)
{
    void (*drained)(nd_req *) = r->drained;
    r->drained = NULL;
    if (drained && !r->stream_gone)
        drained(r);
}

static void stream_drained_cb(struct evhttp_connection *evcon, void *arg)
{
    (void)evcon;
    run_drained(arg);
}

static void defer_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    run_drained(arg);
}

void nd_stream_start(nd_req *r, int code, const char *ctype, void (*gone)(nd_req *r))
{
    nd_req_unwatch_gone(r);
    r->streaming = true;
    r->gone = gone;
    if (!r->req)
        return;
    struct evkeyvalq *hd = evhttp_request_get_output_headers(r->req);
    evhttp_add_header(hd, "Content-Type", ctype);
    evhttp_add_header(hd, "Cache-Control", "no-store");
    evhttp_add_header(hd, "X-Content-Type-Options", "nosniff");
    evhttp_send_reply_start(r->req, code, NULL);
    struct evhttp_connection *evcon = evhttp_request_get_connection(r->req);
    if (evcon)
        evhttp_connection_set_closecb(evcon, stream_closed_cb, r);
}

static void stream_out(nd_req *r, const char *text, size_t n, void (*drained)(nd_req *r))
{
    if (r->stream_gone || !r->req || !evhttp_request_get_connection(r->req))
        return;
    struct evbuffer *b = evbuffer_new();
    if (b && n)
        evbuffer_add(b, text, n);
    r->drained = drained;
    bool written = b && n && evhttp_request_get_command(r->req) != EVHTTP_REQ_HEAD;
    if (written && drained)
        evhttp_send_reply_chunk_with_cb(r->req, b, stream_drained_cb, r);
    else if (written)
        evhttp_send_reply_chunk(r->req, b);
    if (b)
        evbuffer_free(b);
    if (!written && drained) { /* libevent writes nothing, so it would never call back */
        if (!r->defer_ev)
            r->defer_ev = event_new(r->h->base, -1, 0, defer_cb, r);
        if (r->defer_ev)
            event_active(r->defer_ev, EV_TIMEOUT, 0);
    }
}

void nd_stream_write(nd_req *r, const char *text, size_t len, void (*drained)(nd_req *r))
{
    stream_out(r, text, len, drained);
}

static void end_now(nd_req *r)
{
    struct evhttp_connection *evcon = r->req ? evhttp_request_get_connection(r->req) : NULL;
    if (evcon)
        evhttp_connection_set_closecb(evcon, NULL, NULL);
    if (r->req)
        evhttp_send_reply_end(r->req); /* also frees a request whose client went away */
    r->req = NULL;
    nd_req_done(r, 200);
}

/* Ending waits until the output has been handed to TLS: libevent 2.1 runs a bufferevent's
 * "written" callback deferred and does not look at the buffer again when it runs. If the last
 * pieces and the end of the response were queued while such a callback was pending, evhttp would
 * take the response as sent and stop writing, stranding the last pieces in netautod's memory.
 * So the end goes out once the output has been seen empty on two checks in a row: a deferred
 * callback from the drain has run by the second one. */
static void end_check_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    nd_req *r = arg;
    bool empty = nd_req_backlog(r) == 0;
    if (r->stream_gone || !r->req || !evhttp_request_get_connection(r->req) ||
        (empty && r->empty_seen)) {
        end_now(r);
        return;
    }
    r->empty_seen = empty;
    struct timeval tv = {0, empty ? 1000 : 10000};
    event_add(r->end_ev, &tv);
}

void nd_stream_end(nd_req *r)
{
    r->drained = NULL;
    r->gone = NULL;
    if (r->end_ev)
        return; /* already ending */
    if (r->stream_gone || !r->req || !evhttp_request_get_connection(r->req) ||
        !(r->end_ev = event_new(r->h->base, -1, 0, end_check_cb, r))) {
        end_now(r);
        return;
    }
    r->empty_seen = false;
    event_active(r->end_ev, EV_TIMEOUT, 0);
}

size_t nd_req_backlog(nd_req *r)
{
    struct evhttp_connection *evcon = r->req ? evhttp_request_get_connection(r->req) : NULL;
    struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
    return bev ? evbuffer_get_length(bufferevent_get_output(bev)) : 0;
}
