/* http.c — netautod's HTTPS server plumbing on libevent: evhttp over bufferevent_openssl
 * (evhttp_set_bevcb), request limits (body size -> 413 from libevent with lingering close,
 * header size, idle/handshake timeout via evhttp_set_timeout, which also bounds the TLS
 * handshake because it is the SSL bufferevent's read timeout), a connection cap (the listener
 * is paused at the cap and resumed when a connection's SSL object is freed), and the reply
 * helpers that log every request (who, method, path, status, duration; never bodies) and count
 * it for /metrics. Not the API itself: api.c routes the requests. */
#include "clock.h"
#include "log.h"
#include "netautod.h"
#include "secret.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static int conn_idx = -1;

/* Called by OpenSSL whenever an SSL object carrying our ex_data is freed: that is exactly when
 * libevent frees a connection's bufferevent (BEV_OPT_CLOSE_ON_FREE). */
static void conn_freed(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
    (void)parent;
    (void)ad;
    (void)idx;
    (void)argl;
    (void)argp;
    nd *d = ptr;
    if (!d)
        return;
    d->conns--;
    if (d->accept_paused && d->conns < d->cfg.max_connections && d->listener) {
        evconnlistener_enable(d->listener);
        d->accept_paused = false;
    }
}

/* Returning NULL here would make libevent fall back to a plain-text socket bufferevent, so an
 * allocation failure aborts instead: never serve the API without TLS. */
static struct bufferevent *bevcb(struct event_base *base, void *arg)
{
    nd *d = arg;
    SSL *ssl = SSL_new(d->ssl);
    if (!ssl) {
        NA_LOGE("api", "cannot allocate a TLS session; aborting rather than serve plain text");
        abort();
    }
    SSL_set_ex_data(ssl, conn_idx, d);
    d->conns++;
    if (d->conns >= d->cfg.max_connections && d->listener && !d->accept_paused) {
        evconnlistener_disable(d->listener);
        d->accept_paused = true;
        NA_LOGW("api", "connection limit (%u) reached; new connections wait in the backlog",
                d->cfg.max_connections);
    }
    struct bufferevent *bev = bufferevent_openssl_socket_new(base, -1, ssl,
                                                             BUFFEREVENT_SSL_ACCEPTING,
                                                             BEV_OPT_CLOSE_ON_FREE);
    if (!bev) {
        NA_LOGE("api", "cannot allocate a TLS bufferevent; aborting rather than serve plain text");
        abort();
    }
    bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
    return bev;
}

static char *decode_path(const char *p)
{
    return evhttp_uridecode(p ? p : "/", 0, NULL);
}

/* Answers go out as several TLS records (headers, then body chunks); with Nagle's algorithm the
 * second waits for the client's delayed ACK of the first: +40 ms on every answer. One
 * setsockopt per request (the connection's socket only exists once libevent accepted it). */
static void no_delay(struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
    int fd = bev ? (int)bufferevent_getfd(bev) : -1, one = 1;
    if (fd >= 0)
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void gencb(struct evhttp_request *req, void *arg)
{
    nd *d = arg;
    nd_req *r = calloc(1, sizeof *r);
    if (!r) {
        evhttp_send_error(req, 500, NULL);
        return;
    }
    r->d = d;
    r->req = req;
    r->t0_us = na_now_us();
    no_delay(req);
    const char *m = "?";
    switch (evhttp_request_get_command(req)) {
    case EVHTTP_REQ_GET: m = "GET"; break;
    case EVHTTP_REQ_POST: m = "POST"; break;
    case EVHTTP_REQ_DELETE: m = "DELETE"; break;
    case EVHTTP_REQ_HEAD: m = "HEAD"; break;
    case EVHTTP_REQ_PUT: m = "PUT"; break;
    default: break;
    }
    snprintf(r->method, sizeof r->method, "%s", m);
    const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
    r->path = decode_path(u ? evhttp_uri_get_path(u) : "/");
    if (!r->path) {
        free(r);
        evhttp_send_error(req, 400, NULL);
        return;
    }
    nd_api_dispatch(r);
}

int nd_http_start(nd *d, na_err *err)
{
    if (conn_idx < 0)
        conn_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, conn_freed);
    d->http = evhttp_new(d->base);
    if (!d->http)
        return na_err_set(err, NA_E_NOMEM, "cannot create the HTTP server");
    evhttp_set_bevcb(d->http, bevcb, d);
    evhttp_set_gencb(d->http, gencb, d);
    evhttp_set_timeout(d->http, (int)d->cfg.client_timeout_s);
    evhttp_set_max_body_size(d->http, (ev_ssize_t)d->cfg.max_body);
    evhttp_set_max_headers_size(d->http, 16384);
    evhttp_set_flags(d->http, EVHTTP_SERVER_LINGERING_CLOSE);
    evhttp_set_allowed_methods(d->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_DELETE |
                                            EVHTTP_REQ_HEAD);
    struct evhttp_bound_socket *bs =
        evhttp_bind_socket_with_handle(d->http, d->cfg.listen, (ev_uint16_t)d->cfg.port);
    if (!bs)
        return na_err_set(err, NA_E_IO, "cannot listen on %s:%d (address in use or not local?)",
                          d->cfg.listen, d->cfg.port);
    d->listener = evhttp_bound_socket_get_listener(bs);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    d->port = d->cfg.port;
    if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &sl) == 0) {
        if (ss.ss_family == AF_INET)
            d->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        else if (ss.ss_family == AF_INET6)
            d->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    }
    return 0;
}

void nd_http_stop(nd *d)
{
    if (d->http)
        evhttp_free(d->http); /* frees every connection (and so every SSL object) */
    d->http = NULL;
    d->listener = NULL;
}

int nd_http_status_for(const na_err *err, bool host_scope)
{
    switch (err->code) {
    case NA_E_NOTFOUND: return host_scope ? 404 : 400;
    case NA_E_USAGE:
    case NA_E_YAML:
    case NA_E_CONFIG: return 400;
    case NA_E_UNSUPPORTED: return 501;
    case NA_E_OVERFLOW: return 429;
    case NA_E_CANCELLED: return 503;
    default: return 500;
    }
}

void nd_req_free(nd_req *r)
{
    if (!r)
        return;
    if (r->pending)
        TAILQ_REMOVE(&r->d->pending, r, link);
    free(r->path);
    free(r->who);
    free(r);
}

void nd_req_done(nd_req *r, int code)
{
    nd *d = r->d;
    na_metrics_http(&d->metrics, code);
    int64_t ms = (na_now_us() - r->t0_us) / 1000;
    /* path only (no query string), token name only: never bodies or credentials */
    na_log(code >= 500 ? NA_LOG_WARN : NA_LOG_INFO, "api", "%s %s %s %d %lldms",
           r->who ? r->who : "-", r->method, r->path, code, (long long)ms);
    nd_req_free(r);
}

static void send_body(nd_req *r, int code, const char *ctype, const char *body, size_t len)
{
    if (r->req) {
        struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
        evhttp_add_header(h, "Content-Type", ctype);
        evhttp_add_header(h, "Cache-Control", "no-store");
        evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
        struct evbuffer *b = evbuffer_new();
        if (b && len)
            evbuffer_add(b, body, len);
        const char *reason = NULL;
        if (code == 429)
            reason = "Too Many Requests";
        evhttp_send_reply(r->req, code, reason, b);
        if (b)
            evbuffer_free(b);
    }
    nd_req_done(r, code);
}

void nd_reply_text(nd_req *r, int code, const char *ctype, const char *body, size_t len)
{
    send_body(r, code, ctype, body, len);
}

void nd_reply_json(nd_req *r, int code, json_t *body)
{
    char *txt = body ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(body);
    if (!txt) {
        send_body(r, 500, "application/json", "{\"error\":\"out of memory\"}", 25);
        return;
    }
    /* No redaction of the whole body: it holds devices' outputs and backups, which must stay
     * byte for byte; every field of netauto's own (commands, names, messages, inventory) was
     * masked where it was made. */
    char *red = txt;
    size_t n = strlen(red);
    red[n] = '\0';
    char *withnl = realloc(red, n + 2);
    if (withnl) {
        red = withnl;
        red[n++] = '\n';
        red[n] = '\0';
    }
    send_body(r, code, "application/json", red, n);
    free(red);
}

void nd_reply_error(nd_req *r, int code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    nd_reply_json(r, code, json_pack("{s:s}", "error", msg));
}
