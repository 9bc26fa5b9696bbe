/* http.h — netautod's HTTPS server: evhttp over OpenSSL bufferevents, the limits on what a client
 * may hold (connections in all and per address, time, bytes), and the request object with its
 * reply helpers, which log every request (who, method, path, status, duration; never bodies)
 * and count it for /metrics. Route-agnostic: it asks a head check whether a request may send a
 * full body, and hands every complete request to one handler (api.c). Used by api.c, sse.c and
 * daemon.c.
 *
 * What a client can hold:
 *  - a connection slot: at most limits.connections in all and limits.connections_per_address
 *    from one address. When a limit is reached, the connection that has waited longest for its
 *    request to arrive (at least a second) is closed to make room; if every connection is busy
 *    with a request being answered, new ones wait in the listen backlog (per address: refused);
 *  - time: limits.request_timeout from its first byte (the TLS handshake included) to a
 *    complete request, whatever it trickles; limits.client_timeout of silence;
 *  - memory: the head (16 KiB), then a body of limits.body_bytes only when the head check
 *    allows it (a valid token), else 4 KiB (more: 413, the body is read and dropped, never
 *    kept); a streamed answer holds one piece (a live event stream limits.stream_backlog) of
 *    unsent bytes.
 * When accept() runs out of file descriptors the listener pauses briefly instead of spinning. */
#ifndef ND_HTTP_H
#define ND_HTTP_H

#include "config.h"
#include "err.h"
#include "metrics.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <jansson.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct nd_http nd_http;
typedef struct nd_req nd_req;
typedef struct nd_conn nd_conn;

/* One API request being answered (synchronously or later). */
struct nd_req {
    nd_http *h;
    nd_conn *conn;              /* NULL once the connection is gone */
    struct evhttp_request *req; /* NULL once the client has gone (streams) */
    int64_t t0_us;
    char method[8];
    char *path;                 /* decoded path, no query */
    char *who;                  /* token name, NULL before authentication */
    unsigned scopes;            /* the token's scopes (tokens.h) */
    char addr[64];              /* the client's address */
    /* The owner of a request answered later (a command, a job being validated, a stream) may
     * attach its state: ud_free(r) runs when r is freed. */
    void *ud;
    void (*ud_free)(nd_req *r);
    /* nd_req_watch_gone, and the client leaving a streamed answer */
    struct event *gone_ev;
    void (*gone)(nd_req *r);
    /* streamed answers */
    void (*drained)(nd_req *r);
    bool streaming, stream_gone, empty_seen;
    struct event *defer_ev; /* runs `drained` when nothing was written */
    struct event *end_ev;   /* ending: waits for the output to drain */
};

/* Called for every request whose headers and body were read completely. */
typedef void (*nd_http_handler)(void *ctx, nd_req *r);
/* Called when a request's head is complete, before its body is read: may this request send a
 * body of limits.body_bytes (a valid token)? 0: yes; any other value is the caller's reason for
 * no (handed back to `refused`). authorization: the header's value or NULL. No side effect
 * beyond reading the token file. */
typedef int (*nd_http_head_check)(void *ctx, const char *method, const char *path,
                                  const char *authorization);
/* A request answered by the server itself before it reached the handler (413: its body is
 * larger than its head allowed), for the audit: reason is what head_check returned. */
typedef void (*nd_http_refused)(void *ctx, const char *addr, const char *method,
                                const char *path, int code, int reason);

typedef struct nd_http_hooks {
    nd_http_handler handler;
    nd_http_head_check head_check; /* NULL: every head allowed */
    nd_http_refused refused;       /* may be NULL */
    void *ctx;
} nd_http_hooks;

/* Listen on cfg->listen:cfg->port with the limits of cfg. m (borrowed) counts answers. */
nd_http *nd_http_new(struct event_base *base, SSL_CTX *ssl, const nd_conf *cfg, nd_metrics *m,
                     const nd_http_hooks *hooks, na_err *err);
/* Frees every connection (their SSL objects included). */
void nd_http_free(nd_http *h);
int nd_http_port(const nd_http *h);           /* the bound port */
unsigned nd_http_connections(const nd_http *h);

/* Answer and log the request, then free r. body is consumed (may be NULL). */
void nd_reply_json(nd_req *r, int code, json_t *body);
void nd_reply_error(nd_req *r, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void nd_reply_text(nd_req *r, int code, const char *ctype, const char *body, size_t len);
/* Add a response header (before the reply). */
void nd_req_header(nd_req *r, const char *name, const char *value);
/* A query parameter of the request (copied into buf, cap bytes), or NULL when absent. */
const char *nd_req_query(nd_req *r, const char *key, char *buf, size_t cap);
/* A request header, or NULL. */
const char *nd_req_in_header(nd_req *r, const char *name);
/* The request body (not NUL-terminated), *n its length. */
const char *nd_req_body(nd_req *r, size_t *n);
/* Log + count a request whose reply was sent elsewhere (streams), then free r. */
void nd_req_done(nd_req *r, int code);
void nd_req_free(nd_req *r);

/* While r waits for its answer (a command, a validation), call gone(r) once from the loop if
 * the client closes its connection first. Without EV_CLOSED support it never fires. */
void nd_req_watch_gone(nd_req *r, void (*gone)(nd_req *r));

/* Streamed answers (chunked): start with the status and content type; send text (as it is: what
 * the store holds and results are already safe) in pieces. When `drained` is given it runs (from the loop) once everything
 * sent so far has left netautod (handed to the kernel), which is when the next piece should be
 * made: an answer then never holds more than one piece for a client that does not read. If the
 * client goes away, gone(r) runs instead (r->stream_gone is then true; later sends do nothing):
 * end the stream there. nd_stream_end completes the answer once what was sent has left (a last
 * piece queued behind a pending write is never stranded), logs it and frees r. */
void nd_stream_start(nd_req *r, int code, const char *ctype, void (*gone)(nd_req *r));
void nd_stream_write(nd_req *r, const char *text, size_t len, void (*drained)(nd_req *r));
void nd_stream_end(nd_req *r);
/* Bytes of r's answer not yet handed to the kernel. */
size_t nd_req_backlog(nd_req *r);

/* Protocol switch (a WebSocket, daemon/ui_ws.c; http_upgrade.c): send `response` (the whole
 * "HTTP/1.1 101 ..." head) on r's connection, take the connection away from the HTTP server
 * (no request deadline, no eviction, the head observer off; it still counts as a connection),
 * log r as 101 and free it. Returns the connection's TLS bufferevent, whose callbacks are now
 * the caller's, and *conn, what nd_http_upgraded_close(conn) needs to end it (and free the
 * bufferevent). NULL (r untouched) when the client is gone. */
struct bufferevent *nd_req_upgrade(nd_req *r, const char *response, void **conn);
void nd_http_upgraded_close(void *conn);

/* The HTTP status for an error from the store, the backend or the job manager. host_scope: a
 * NOTFOUND names a host in the URL (404) rather than something in the body (400). */
int nd_http_status_for(const na_err *err, bool host_scope);

#endif
