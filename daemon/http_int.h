/* http_int.h — what the files of netautod's HTTPS server share (http.c: the server, connections,
 * limits and replies; http_stream.c: streamed answers and the watch for a client going away).
 * Private to them; everyone else uses http.h. */
#ifndef ND_HTTP_INT_H
#define ND_HTTP_INT_H

#include "http.h"
#include "strmap.h"

#include <event2/listener.h>
#include <sys/queue.h>

#define HEAD_MAX 16384 /* request head (line + headers), as evhttp's limit */

typedef enum { C_NEW = 0, C_WAIT, C_BUSY, C_IDLE } conn_state;
typedef enum { H_HEAD = 0, H_BODY, H_OFF } head_state;

/* How many connections one address has open. */
typedef struct addr_count {
    unsigned n;
} addr_count;

struct nd_conn {
    nd_http *h;
    struct bufferevent *bev;
    conn_state st;
    int64_t since_us;        /* WAIT: the request's first byte (or the accept); IDLE: last answer */
    char addr[64];
    bool checked;            /* the accept check ran (the address is known) */
    bool counted;            /* in h->per_addr */
    struct event *timer;     /* the accept check, then the request deadline */
    nd_req *busy;            /* BUSY: the request being answered */
    bool close_after;        /* answer with Connection: close (a chunked request body) */
    /* the head observer */
    head_state hs;
    char head[HEAD_MAX];
    size_t head_len;
    uint64_t body_left;
    TAILQ_ENTRY(nd_conn) link; /* h->list, oldest first */
};
TAILQ_HEAD(conn_list, nd_conn);

struct nd_http {
    struct event_base *base;
    SSL_CTX *ssl;
    const nd_conf *cfg;
    nd_metrics *metrics;
    nd_http_hooks hooks;
    struct evhttp *http;
    struct evconnlistener *listener;
    int port;
    unsigned conns;
    struct conn_list list;
    na_strmap *per_addr;          /* address -> addr_count */
    bool accept_paused;           /* at the connection cap */
    bool accept_fd_paused;        /* out of file descriptors */
    struct event *accept_timer;   /* resumes accepting (fd pause) / retries making room */
    int64_t last_fd_warn_ms;
    int64_t last_addr_warn_ms;
    nd_http *next_server;         /* servers (for the listener's error callback) */
};

/* Stop watching for the client going away (before an answer is written, or at free). */
void nd_req_unwatch_gone(nd_req *r);

#endif
