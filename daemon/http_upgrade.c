/* http_upgrade.c — the protocol switch of netautod's HTTPS server (http.h nd_req_upgrade): a
 * request answered with 101 leaves evhttp's hands. libevent 2.1's evhttp has no upgrade
 * support, so its connection is kept (it owns the TLS bufferevent and frees it, and our nd_conn
 * with it) but never used again: the bufferevent gets the caller's callbacks and no timeouts,
 * the nd_conn stays BUSY with no request (never evicted, no request deadline) and its head
 * observer is off. Closing frees the evhttp connection, as for any other client. Not the
 * WebSocket protocol (daemon/ui_ws.c). */
#include "http_int.h"

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <string.h>

struct bufferevent *nd_req_upgrade(nd_req *r, const char *response, void **conn)
{
    nd_conn *c = r->conn;
    struct evhttp_connection *evcon = r->req ? evhttp_request_get_connection(r->req) : NULL;
    struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
    if (!c || !bev)
        return NULL;
    nd_req_unwatch_gone(r);
    c->hs = H_OFF;
    c->busy = NULL;
    c->st = C_BUSY;
    event_del(c->timer);
    r->conn = NULL; /* freeing r leaves the connection as it is */
    bufferevent_setcb(bev, NULL, NULL, NULL, NULL); /* evhttp's callbacks off */
    bufferevent_set_timeouts(bev, NULL, NULL);
    bufferevent_write(bev, response, strlen(response));
    nd_req_done(r, 101);
    *conn = evcon;
    return bev;
}

void nd_http_upgraded_close(void *conn)
{
    evhttp_connection_free(conn); /* frees its bufferevent, the SSL object and the nd_conn */
}
