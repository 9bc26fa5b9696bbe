/* http.c — netautod's HTTPS server plumbing on libevent (see http.h for the limits it enforces).
 * evhttp over bufferevent_openssl (evhttp_set_bevcb); next to each connection an nd_conn with
 * its state (NEW -> WAIT for a request -> BUSY while it is answered -> IDLE between keep-alive
 * requests), its address, its timer (first the accept check, then the request deadline) and a
 * passive observer of the bytes TLS decrypts (an evbuffer callback on the connection's input,
 * which runs before evhttp parses them): it reads each request's head to let the head check
 * decide the body limit before a byte of the body is kept, and to start the request deadline at
 * its first byte. The nd_conn lives exactly as long as the connection's SSL object (freed from
 * OpenSSL's ex_data callback). Then the reply helpers, which log every request (who, method,
 * path, status, duration; never bodies) and count it for /metrics. Streamed answers and the
 * watch for a client going away are in http_stream.c. Not the API itself: api.c routes the
 * requests (the handler). */
#include "http_int.h"
#include "clock.h"
#include "log.h"
#include "secret.h"
#include "strmap.h"

#include <arpa/inet.h>
#include <errno.h>
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
#include <strings.h>
#include <sys/queue.h>
#include <sys/socket.h>

#define UNAUTH_BODY_MAX 4096     /* body of a request whose head the check refused */
#define EVICT_MIN_AGE_US 1000000 /* a waiting connection is closed for another after 1 s */
#define ACCEPT_PAUSE_MS 250      /* out of file descriptors: stop accepting this long */

static int conn_idx = -1;
/* evhttp owns the listener's callback argument, so its error callback finds its server here
 * (one loop, normally one server). */
static nd_http *servers;

static void evict(nd_conn *c, const char *why);

/* ---- connections -------------------------------------------------------------------------- */

static struct evhttp_connection *evcon_of(nd_conn *c)
{
    void *arg = NULL;
    bufferevent_getcb(c->bev, NULL, NULL, NULL, &arg); /* evhttp passes the evcon as the arg */
    return arg;
}

static nd_conn *conn_of_req(struct evhttp_request *req)
{
    struct evhttp_connection *evcon = req ? evhttp_request_get_connection(req) : NULL;
    struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
    SSL *ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;
    return ssl ? SSL_get_ex_data(ssl, conn_idx) : NULL;
}

static void resume_accept(nd_http *h)
{
    if (h->accept_paused && !h->accept_fd_paused && h->conns < h->cfg->max_connections &&
        h->listener) {
        evconnlistener_enable(h->listener);
        h->accept_paused = false;
    }
}

/* Called by OpenSSL whenever an SSL object carrying our ex_data is freed: that is exactly when
 * libevent frees a connection's bufferevent (BEV_OPT_CLOSE_ON_FREE). */
static void conn_freed(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
    (void)parent;
    (void)ad;
    (void)idx;
    (void)argl;
    (void)argp;
    nd_conn *c = ptr;
    if (!c)
        return;
    nd_http *h = c->h;
    h->conns--;
    TAILQ_REMOVE(&h->list, c, link);
    if (c->counted) {
        addr_count *a = na_strmap_get(h->per_addr, c->addr);
        if (a && --a->n == 0)
            free(na_strmap_del(h->per_addr, c->addr));
    }
    if (c->busy)
        c->busy->conn = NULL;
    if (c->timer)
        event_free(c->timer);
    free(c);
    resume_accept(h);
}

/* The connection waiting longest for a request (of one address, or any), at least min_age old;
 * never `except`. */
static nd_conn *oldest_waiting(nd_http *h, const char *addr, const nd_conn *except)
{
    int64_t now = na_now_us();
    nd_conn *best = NULL;
    nd_conn *c;
    TAILQ_FOREACH(c, &h->list, link) {
        if (c == except || (c->st != C_WAIT && c->st != C_IDLE) || !evcon_of(c))
            continue;
        if (addr && (!c->counted || strcmp(c->addr, addr)))
            continue;
        if (c->st == C_WAIT && now - c->since_us < EVICT_MIN_AGE_US)
            continue;
        if (!best || c->since_us < best->since_us)
            best = c;
    }
    return best;
}

static void evict(nd_conn *c, const char *why)
{
    NA_LOGI("api", "%s: connection closed (%s)", c->counted ? c->addr : "client", why);
    c->h->metrics->http_evicted++;
    evhttp_connection_free(evcon_of(c)); /* frees c (conn_freed) */
}

static void arm(nd_conn *c, int64_t at_us)
{
    int64_t d = at_us - na_now_us();
    if (d < 0)
        d = 0;
    struct timeval tv = {(time_t)(d / 1000000), (suseconds_t)(d % 1000000)};
    event_add(c->timer, &tv);
}

/* A new request begins on c (its first byte, or the connection itself). */
static void request_begins(nd_conn *c)
{
    c->st = C_WAIT;
    c->since_us = na_now_us();
    arm(c, c->since_us + (int64_t)c->h->cfg->request_timeout_s * 1000000);
}

/* The first run: learn the address (evhttp has set up the connection by now) and apply the
 * per-address limit. Later runs: the request deadline. */
static void conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    nd_conn *c = arg;
    nd_http *h = c->h;
    struct evhttp_connection *evcon = evcon_of(c);
    if (!evcon)
        return;
    if (!c->checked) {
        c->checked = true;
        char *host = NULL;
        ev_uint16_t port = 0;
        evhttp_connection_get_peer(evcon, &host, &port);
        snprintf(c->addr, sizeof c->addr, "%s", host ? host : "?");
        addr_count *a = na_strmap_get(h->per_addr, c->addr);
        if (!a && (a = calloc(1, sizeof *a)) && na_strmap_put(h->per_addr, c->addr, a) < 0) {
            free(a);
            a = NULL;
        }
        if (a) {
            a->n++;
            c->counted = true;
        }
        if (a && a->n > h->cfg->max_conn_per_addr) {
            nd_conn *old = oldest_waiting(h, c->addr, c);
            if (old) {
                evict(old, "its address is at limits.connections_per_address");
            } else {
                int64_t now = na_now_ms();
                if (now - h->last_addr_warn_ms > 10000) {
                    NA_LOGW("api", "%s: more than %u connections from this address, all busy: "
                            "new ones refused", c->addr, h->cfg->max_conn_per_addr);
                    h->last_addr_warn_ms = now;
                }
                h->metrics->http_evicted++;
                evhttp_connection_free(evcon); /* frees c */
                return;
            }
        }
        if (c->st == C_NEW)
            request_begins(c);
        return;
    }
    if (c->st != C_WAIT)
        return;
    int64_t due = c->since_us + (int64_t)h->cfg->request_timeout_s * 1000000;
    if (na_now_us() < due) { /* the loop's clock ran a little ahead of ours: not yet */
        arm(c, due);
        return;
    }
    {
        h->metrics->http_slow_clients++;
        NA_LOGW("api", "%s: no complete request within %us (limits.request_timeout): "
                "disconnected", c->addr, h->cfg->request_timeout_s);
        evhttp_connection_free(evcon); /* frees c */
    }
}

/* ---- the head observer -------------------------------------------------------------------- */

static const char *header_value(const char *head, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    for (const char *p = strchr(head, '\n'); p && p[1]; p = strchr(p + 1, '\n')) {
        const char *line = p + 1;
        if (strncasecmp(line, name, nl) || line[nl] != ':')
            continue;
        const char *v = line + nl + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        size_t n = strcspn(v, "\r\n");
        while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
            n--;
        if (n >= cap)
            n = cap - 1;
        memcpy(out, v, n);
        out[n] = '\0';
        return out;
    }
    return NULL;
}

/* A complete head: decide the body limit, note how much body follows. */
static void head_done(nd_conn *c)
{
    nd_http *h = c->h;
    c->head[c->head_len] = '\0';
    char method[16] = "", target[2048] = "", cl[32], te[64];
    sscanf(c->head, "%15s %2047s", method, target);
    target[strcspn(target, "?#")] = '\0';
    char *path = evhttp_uridecode(*target ? target : "/", 0, NULL);
    char auth_buf[512];
    const char *auth = header_value(c->head, "Authorization", auth_buf, sizeof auth_buf);
    int reason = h->hooks.head_check
                     ? h->hooks.head_check(h->hooks.ctx, method, path ? path : "/", auth)
                     : 0;
    bool allowed = reason == 0;
    na_wipe(auth_buf, sizeof auth_buf);
    size_t limit = allowed || h->cfg->max_body < UNAUTH_BODY_MAX ? h->cfg->max_body
                                                                  : UNAUTH_BODY_MAX;
    struct evhttp_connection *evcon = evcon_of(c);
    if (evcon)
        evhttp_connection_set_max_body_size(evcon, (ev_ssize_t)limit);
    c->body_left = 0;
    c->hs = H_HEAD;
    if (header_value(c->head, "Transfer-Encoding", te, sizeof te)) {
        c->hs = H_OFF; /* chunked: the connection closes after this request */
        c->close_after = true;
    } else if (header_value(c->head, "Content-Length", cl, sizeof cl)) {
        c->body_left = strtoull(cl, NULL, 10);
        c->hs = c->body_left ? H_BODY : H_HEAD;
        if (c->body_left > limit) {
            /* libevent answers 413 and reads the body away; the handler never sees it */
            h->metrics->http_by_code[413]++;
            NA_LOGI("api", "%s %s %s 413 (a body of %llu bytes; %s)", c->addr, method,
                    path ? path : "?", (unsigned long long)c->body_left,
                    allowed ? "limits.body_bytes" : "no valid token: body not read");
            if (h->hooks.refused)
                h->hooks.refused(h->hooks.ctx, c->addr, method, path ? path : "/", 413, reason);
        }
    }
    free(path);
    c->head_len = 0;
}

/* Feed n decrypted bytes at offset `from` of buf to the observer. */
static void observe(nd_conn *c, struct evbuffer *buf, size_t from, size_t n)
{
    while (n > 0) {
        if (c->hs == H_OFF)
            return;
        if (c->hs == H_BODY) {
            uint64_t k = c->body_left < n ? c->body_left : n;
            c->body_left -= k;
            from += (size_t)k;
            n -= (size_t)k;
            if (c->body_left == 0)
                c->hs = H_HEAD;
            continue;
        }
        if (c->head_len == 0 && c->st == C_IDLE)
            request_begins(c); /* the next request on a kept-alive connection */
        size_t room = HEAD_MAX - c->head_len, k = n < room ? n : room;
        struct evbuffer_ptr pos;
        evbuffer_ptr_set(buf, &pos, from, EVBUFFER_PTR_SET);
        size_t old = c->head_len;
        ev_ssize_t got = evbuffer_copyout_from(buf, &pos, c->head + old, k);
        if (got <= 0)
            return;
        c->head_len += (size_t)got;
        /* the end of the head: CRLF CRLF (or LF LF) */
        size_t start = old > 3 ? old - 3 : 0, end = 0;
        for (size_t i = start; i < c->head_len && !end; i++) {
            if (c->head[i] != '\n')
                continue;
            if (i >= 1 && c->head[i - 1] == '\n')
                end = i + 1;
            else if (i >= 3 && c->head[i - 1] == '\r' && c->head[i - 2] == '\n' &&
                     c->head[i - 3] == '\r')
                end = i + 1;
        }
        if (!end) {
            if (c->head_len == HEAD_MAX)
                c->hs = H_OFF; /* evhttp refuses a head this long */
            return;
        }
        size_t used = end - old;
        c->head_len = end;
        head_done(c);
        from += used;
        n -= used;
    }
}

static void input_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    if (info->n_added == 0)
        return;
    size_t len = evbuffer_get_length(buf);
    observe(arg, buf, len - info->n_added, info->n_added);
}

/* ---- accepting ---------------------------------------------------------------------------- */

/* Does a client wait in the listen backlog? On Linux a listening socket's TCP_INFO counts its
 * accept queue in tcpi_unacked; elsewhere assume one does. */
static bool backlog_waiting(nd_http *h)
{
    struct tcp_info ti;
    socklen_t n = sizeof ti;
    evutil_socket_t fd = h->listener ? evconnlistener_get_fd(h->listener) : -1;
    if (fd < 0 || getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &n) != 0)
        return true;
    return ti.tcpi_unacked > 0;
}

/* While accepting is paused: resume after a file descriptor shortage, or make room at the
 * connection cap for a client waiting in the backlog, as soon as a connection waiting for its
 * request is old enough to be closed. */
static void accept_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    nd_http *h = arg;
    if (h->accept_fd_paused) {
        h->accept_fd_paused = false;
        if (h->listener && !h->accept_paused)
            evconnlistener_enable(h->listener);
    }
    if (h->accept_paused) {
        nd_conn *old = backlog_waiting(h) ? oldest_waiting(h, NULL, NULL) : NULL;
        if (old) {
            evict(old, "at limits.connections, for a new client");
        } else {
            struct timeval tv = {0, 200 * 1000};
            event_add(h->accept_timer, &tv);
        }
    }
}

/* accept() failed. Out of file descriptors (or memory) is not retriable at once: the listening
 * socket stays readable, and retrying would spin the loop and flood the log. */
static void accept_error_cb(struct evconnlistener *l, void *arg)
{
    (void)arg; /* evhttp's */
    int err = EVUTIL_SOCKET_ERROR();
    nd_http *h = servers;
    while (h && h->listener != l)
        h = h->next_server;
    if (!h)
        return;
    int64_t now = na_now_ms();
    if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
        h->metrics->http_accept_paused++;
        if (now - h->last_fd_warn_ms > 10000) {
            NA_LOGW("api", "cannot accept a connection: %s (%u open); not accepting for %d ms "
                    "at a time until descriptors free up (raise `ulimit -n` / LimitNOFILE or "
                    "lower limits.connections)",
                    strerror(err), h->conns, ACCEPT_PAUSE_MS);
            h->last_fd_warn_ms = now;
        }
        if (!h->accept_fd_paused) {
            evconnlistener_disable(h->listener);
            h->accept_fd_paused = true;
        }
        nd_conn *old = oldest_waiting(h, NULL, NULL);
        if (old)
            evict(old, "out of file descriptors");
        struct timeval tv = {0, ACCEPT_PAUSE_MS * 1000};
        event_add(h->accept_timer, &tv);
    } else if (now - h->last_fd_warn_ms > 10000) {
        NA_LOGW("api", "cannot accept a connection: %s", strerror(err));
        h->last_fd_warn_ms = now;
    }
}

/* Returning NULL here would make libevent fall back to a plain-text socket bufferevent, so an
 * allocation failure aborts instead: never serve the API without TLS. */
static struct bufferevent *bevcb(struct event_base *base, void *arg)
{
    nd_http *h = arg;
    SSL *ssl = SSL_new(h->ssl);
    nd_conn *c = calloc(1, sizeof *c);
    if (!ssl || !c || !(c->timer = event_new(base, -1, 0, conn_timer_cb, c))) {
        NA_LOGE("api", "cannot allocate a TLS session; aborting rather than serve plain text");
        abort();
    }
    c->h = h;
    c->since_us = na_now_us();
    SSL_set_ex_data(ssl, conn_idx, c);
    TAILQ_INSERT_TAIL(&h->list, c, link);
    h->conns++;
    struct bufferevent *bev = bufferevent_openssl_socket_new(base, -1, ssl,
                                                             BUFFEREVENT_SSL_ACCEPTING,
                                                             BEV_OPT_CLOSE_ON_FREE);
    if (!bev) {
        NA_LOGE("api", "cannot allocate a TLS bufferevent; aborting rather than serve plain text");
        abort();
    }
    c->bev = bev;
    bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
    evbuffer_add_cb(bufferevent_get_input(bev), input_cb, c);
    event_active(c->timer, EV_TIMEOUT, 0); /* the accept check, once evhttp has the socket */
    if (h->conns >= h->cfg->max_connections) {
        nd_conn *old = oldest_waiting(h, NULL, c);
        if (old) {
            evict(old, "at limits.connections, for a new client");
        } else if (h->listener && !h->accept_paused) {
            evconnlistener_disable(h->listener);
            h->accept_paused = true;
            NA_LOGW("api", "connection limit (%u) reached; new connections wait in the backlog",
                    h->cfg->max_connections);
            struct timeval tv = {0, 200 * 1000};
            event_add(h->accept_timer, &tv);
        }
    }
    return bev;
}

/* ---- requests ----------------------------------------------------------------------------- */

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
    nd_http *h = arg;
    nd_req *r = calloc(1, sizeof *r);
    if (!r) {
        evhttp_send_error(req, 500, NULL);
        return;
    }
    r->h = h;
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
    const char *p = u ? evhttp_uri_get_path(u) : NULL;
    r->path = evhttp_uridecode(p && *p ? p : "/", 0, NULL);
    nd_conn *c = conn_of_req(req);
    if (c) {
        c->st = C_BUSY;
        c->busy = r;
        r->conn = c;
        event_del(c->timer);
        snprintf(r->addr, sizeof r->addr, "%s", c->addr);
        if (c->close_after)
            evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
    }
    if (!r->path) {
        nd_reply_error(r, 400, "the path is not valid");
        return;
    }
    h->hooks.handler(h->hooks.ctx, r);
}

nd_http *nd_http_new(struct event_base *base, SSL_CTX *ssl, const nd_conf *cfg, nd_metrics *m,
                     const nd_http_hooks *hooks, na_err *err)
{
    if (conn_idx < 0)
        conn_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, conn_freed);
    nd_http *h = calloc(1, sizeof *h);
    if (!h || !(h->per_addr = na_strmap_new())) {
        free(h);
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    h->base = base;
    h->ssl = ssl;
    h->cfg = cfg;
    h->metrics = m;
    h->hooks = *hooks;
    TAILQ_INIT(&h->list);
    h->http = evhttp_new(base);
    h->accept_timer = event_new(base, -1, 0, accept_timer_cb, h);
    if (!h->http || !h->accept_timer) {
        nd_http_free(h);
        na_err_set(err, NA_E_NOMEM, "cannot create the HTTP server");
        return NULL;
    }
    evhttp_set_bevcb(h->http, bevcb, h);
    evhttp_set_gencb(h->http, gencb, h);
    evhttp_set_timeout(h->http, (int)cfg->client_timeout_s);
    evhttp_set_max_body_size(h->http, (ev_ssize_t)cfg->max_body);
    evhttp_set_max_headers_size(h->http, HEAD_MAX);
    evhttp_set_flags(h->http, EVHTTP_SERVER_LINGERING_CLOSE);
    evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_DELETE |
                                            EVHTTP_REQ_HEAD);
    struct evhttp_bound_socket *bs =
        evhttp_bind_socket_with_handle(h->http, cfg->listen, (ev_uint16_t)cfg->port);
    if (!bs) {
        na_err_set(err, NA_E_IO, "cannot listen on %s:%d (address in use or not local?)",
                   cfg->listen, cfg->port);
        nd_http_free(h);
        return NULL;
    }
    h->listener = evhttp_bound_socket_get_listener(bs);
    evconnlistener_set_error_cb(h->listener, accept_error_cb);
    h->next_server = servers;
    servers = h;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    h->port = cfg->port;
    if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &sl) == 0) {
        if (ss.ss_family == AF_INET)
            h->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        else if (ss.ss_family == AF_INET6)
            h->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    }
    return h;
}

static void free_count(const char *k, void *v, void *ud)
{
    (void)k;
    (void)ud;
    free(v);
}

void nd_http_free(nd_http *h)
{
    if (!h)
        return;
    for (nd_http **p = &servers; *p; p = &(*p)->next_server)
        if (*p == h) {
            *p = h->next_server;
            break;
        }
    if (h->http)
        evhttp_free(h->http); /* frees every connection (and so every SSL object) */
    if (h->accept_timer)
        event_free(h->accept_timer);
    na_strmap_each(h->per_addr, free_count, NULL);
    na_strmap_free(h->per_addr);
    free(h);
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
    nd_req_unwatch_gone(r);
    if (r->defer_ev)
        event_free(r->defer_ev);
    if (r->end_ev)
        event_free(r->end_ev);
    if (r->ud_free)
        r->ud_free(r);
    if (r->conn) { /* the answer is out: the connection waits for its next request */
        nd_conn *c = r->conn;
        c->busy = NULL;
        c->st = C_IDLE;
        c->since_us = na_now_us();
        if (c->head_len > 0) /* ... which has already begun */
            request_begins(c);
    }
    free(r->path);
    free(r->who);
    free(r);
}

void nd_req_done(nd_req *r, int code)
{
    nd_http *h = r->h;
    nd_metrics_http(h->metrics, code);
    int64_t ms = (na_now_us() - r->t0_us) / 1000;
    /* path only (no query string), token name only: never bodies or credentials; the log
     * escapes control characters a client may have put in the path */
    na_log(code >= 500 ? NA_LOG_WARN : NA_LOG_INFO, "api", "%s %s %s %d %lldms",
           r->who ? r->who : "-", r->method, r->path, code, (long long)ms);
    nd_req_free(r);
}

static void send_body(nd_req *r, int code, const char *ctype, const char *body, size_t len)
{
    nd_req_unwatch_gone(r);
    if (r->req) {
        struct evkeyvalq *hd = evhttp_request_get_output_headers(r->req);
        evhttp_add_header(hd, "Content-Type", ctype);
        evhttp_add_header(hd, "Cache-Control", "no-store");
        evhttp_add_header(hd, "X-Content-Type-Options", "nosniff");
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
