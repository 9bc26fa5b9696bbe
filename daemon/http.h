/* http.h — netautod's HTTPS server: evhttp over OpenSSL bufferevents, the limits on what a client
 * may hold (connections, time, bytes), and the request object with its reply helpers, which log
 * every request (who, method, path, status, duration; never bodies) and count it for /metrics.
 * Route-agnostic: it hands every complete request to one handler (api.c). Used by api.c, sse.c
 * and daemon.c. */
#ifndef ND_HTTP_H
#define ND_HTTP_H

#include "config.h"
#include "err.h"
#include "metrics.h"

#include <event2/http.h>
#include <jansson.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct nd_http nd_http;
typedef struct nd_req nd_req;

/* One API request being answered (synchronously or later). */
struct nd_req {
    nd_http *h;
    struct evhttp_request *req; /* NULL once the client has gone (event streams) */
    int64_t t0_us;
    char method[8];
    char *path;                 /* decoded path, no query */
    char *who;                  /* token name, NULL before authentication */
    unsigned scopes;            /* the token's scopes (tokens.h) */
    char addr[64];              /* the client's address */
    /* The owner of a request answered later (a command, a job being validated, an event
     * stream) may attach its state: ud_free(r) runs when r is freed. */
    void *ud;
    void (*ud_free)(nd_req *r);
};

/* Called for every request whose headers and body were read completely. */
typedef void (*nd_http_handler)(void *ctx, nd_req *r);

/* Listen on cfg->listen:cfg->port with the limits of cfg. m (borrowed) counts answers. */
nd_http *nd_http_new(struct event_base *base, SSL_CTX *ssl, const nd_conf *cfg, nd_metrics *m,
                     nd_http_handler handler, void *ctx, na_err *err);
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
/* Log + count a request whose reply was sent elsewhere (event streams), then free r. */
void nd_req_done(nd_req *r, int code);
void nd_req_free(nd_req *r);
/* The HTTP status for an error from the store, the backend or the job manager. host_scope: a
 * NOTFOUND names a host in the URL (404) rather than something in the body (400). */
int nd_http_status_for(const na_err *err, bool host_scope);

#endif
