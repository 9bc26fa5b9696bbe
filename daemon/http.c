/* http.c — netautod's HTTPS server plumbing on libevent: evhttp over bufferevent_openssl
 * (evhttp_set_bevcb), request limits (body size -> 413 from libevent with lingering close,
 * header size, idle/handshake timeout via evhttp_set_timeout, which also bounds the TLS
 * handshake because it is the SSL bufferevent's read timeout), a connection cap (the listener
 * is paused at the cap and resumed when a connection's SSL object is freed), and the reply
 * helpers that log every request (who, method, path, status, duration; never bodies) and count
 * it for /metrics. Not the API itself: api.c routes the requests (the handler). */
#include "http.h"
#include "clock.h"
#include "log.h"
#include "secret.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <sys/queue.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct nd_http {
    struct event_base *base;
    SSL_CTX *ssl;
    const nd_conf *cfg;
    nd_metrics *metrics;
    nd_http_handler handler;
    void *ctx;
    struct evhttp *http;
    struct evconnlistener *listener;
    int port;
    unsigned conns;
    bool accept_paused;
};

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
    nd_http *d = ptr;
    if (!d)
        return;
    d->conns--;
    if (d->accept_paused && d->conns < d->cfg->max_connections && d->listener) {
        evconnlistener_enable(d->listener);
        d->accept_paused = false;
    }
}

/* Returning NULL here would make libevent fall back to a plain-text socket bufferevent, so an
 * allocation failure aborts instead: never serve the API without TLS. */
static struct bufferevent *bevcb(struct event_base *base, void *arg)
{
    nd_http *d = arg;
    SSL *ssl = SSL_new(d->ssl);
    if (!ssl) {
        NA_LOGE("api", "cannot allocate a TLS session; aborting rather than serve plain text");
        abort();
    }
    SSL_set_ex_data(ssl, conn_idx, d);
    d->conns++;
    if (d->conns >= d->cfg->max_connections && d->listener && !d->accept_paused) {
        evconnlistener_disable(d->listener);
        d->accept_paused = true;
        NA_LOGW("api", "connection limit (%u) reached; new connections wait in the backlog",
                d->cfg->max_connections);
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
    nd_http *d = arg;
    nd_req *r = calloc(1, sizeof *r);
    if (!r) {
        evhttp_send_error(req, 500, NULL);
        return;
    }
    r->h = d;
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
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    char *host = NULL;
    ev_uint16_t port = 0;
    if (evcon)
        evhttp_connection_get_peer(evcon, &host, &port);
    snprintf(r->addr, sizeof r->addr, "%s", host ? host : "?");
    d->handler(d->ctx, r);
}

nd_http *nd_http_new(struct event_base *base, SSL_CTX *ssl, const nd_conf *cfg, nd_metrics *m,
                     nd_http_handler handler, void *ctx, na_err *err)
{
    if (conn_idx < 0)
        conn_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, conn_freed);
    nd_http *d = calloc(1, sizeof *d);
    if (!d) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    d->base = base;
    d->ssl = ssl;
    d->cfg = cfg;
    d->metrics = m;
    d->handler = handler;
    d->ctx = ctx;
    d->http = evhttp_new(base);
    if (!d->http) {
        free(d);
        na_err_set(err, NA_E_NOMEM, "cannot create the HTTP server");
        return NULL;
    }
    evhttp_set_bevcb(d->http, bevcb, d);
    evhttp_set_gencb(d->http, gencb, d);
    evhttp_set_timeout(d->http, (int)cfg->client_timeout_s);
    evhttp_set_max_body_size(d->http, (ev_ssize_t)cfg->max_body);
    evhttp_set_max_headers_size(d->http, 16384);
    evhttp_set_flags(d->http, EVHTTP_SERVER_LINGERING_CLOSE);
    evhttp_set_allowed_methods(d->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_DELETE |
                                            EVHTTP_REQ_HEAD);
    struct evhttp_bound_socket *bs =
        evhttp_bind_socket_with_handle(d->http, cfg->listen, (ev_uint16_t)cfg->port);
    if (!bs) {
        na_err_set(err, NA_E_IO, "cannot listen on %s:%d (address in use or not local?)",
                   cfg->listen, cfg->port);
        nd_http_free(d);
        return NULL;
    }
    d->listener = evhttp_bound_socket_get_listener(bs);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    d->port = cfg->port;
    if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &sl) == 0) {
        if (ss.ss_family == AF_INET)
            d->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        else if (ss.ss_family == AF_INET6)
            d->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    }
    return d;
}

void nd_http_free(nd_http *d)
{
    if (!d)
        return;
    if (d->http)
        evhttp_free(d->http); /* frees every connection (and so every SSL object) */
    free(d);
}

int nd_http_port(const nd_http *h) { return h->port; }
unsigned nd_http_connections(const nd_http *h) { return h->conns; }

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
    if (r->ud_free)
        r->ud_free(r);
    free(r->path);
    free(r->who);
    free(r);
}

void nd_req_done(nd_req *r, int code)
{
    nd_http *d = r->h;
    nd_metrics_http(d->metrics, code);
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
    /* defense in depth: no registered secret leaves the daemon in a response */
    char *red = na_redact_dup(txt, strlen(txt));
    free(txt);
    if (!red) {
        send_body(r, 500, "application/json", "{\"error\":\"out of memory\"}", 25);
        return;
    }
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

void nd_req_header(nd_req *r, const char *name, const char *value)
{
    if (r->req)
        evhttp_add_header(evhttp_request_get_output_headers(r->req), name, value);
}

const char *nd_req_query(nd_req *r, const char *key, char *buf, size_t cap)
{
    const struct evhttp_uri *u = r->req ? evhttp_request_get_evhttp_uri(r->req) : NULL;
    const char *q = u ? evhttp_uri_get_query(u) : NULL;
    if (!q)
        return NULL;
    struct evkeyvalq kv;
    TAILQ_INIT(&kv);
    const char *v = evhttp_parse_query_str(q, &kv) == 0 ? evhttp_find_header(&kv, key) : NULL;
    if (v)
        snprintf(buf, cap, "%s", v);
    evhttp_clear_headers(&kv);
    return v ? buf : NULL;
}

const char *nd_req_in_header(nd_req *r, const char *name)
{
    return r->req ? evhttp_find_header(evhttp_request_get_input_headers(r->req), name) : NULL;
}

const char *nd_req_body(nd_req *r, size_t *n)
{
    struct evbuffer *in = r->req ? evhttp_request_get_input_buffer(r->req) : NULL;
    *n = in ? evbuffer_get_length(in) : 0;
    return *n ? (const char *)evbuffer_pullup(in, (ev_ssize_t)*n) : NULL;
}
