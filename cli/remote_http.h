/* remote_http.h — the HTTPS client `netauto --server` uses to talk to netautod: one request per
 * connection (HTTP/1.1, Connection: close), JSON bodies, chunked or sized responses, and
 * server-sent event streams. The server's certificate is ALWAYS verified, by a pinned SHA-256
 * fingerprint (--fingerprint SHA256:...) and/or a CA file (--cacert); with neither, nothing is
 * sent. The verification happens in the TLS handshake, so a wrong server never sees the token.
 * Every wait has a deadline (poll on a non-blocking socket). Not a general HTTP library. */
#ifndef NA_REMOTE_HTTP_H
#define NA_REMOTE_HTTP_H

#include "buf.h"
#include "err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct na_remote {
    char host[256];   /* from the URL */
    int port;
    char prefix[256]; /* URL path prefix, "" or "/base" */
    const char *token;        /* borrowed */
    const char *fingerprint;  /* borrowed, may be NULL */
    const char *cacert;       /* borrowed, may be NULL */
    int timeout_ms;           /* connect + each read/write wait (default 30000) */
} na_remote;

/* Parse "https://HOST[:PORT][/PREFIX]" into r (port defaults to 8443). http:// is refused. */
int cli_remote_parse_url(na_remote *r, const char *url, na_err *err);

typedef struct na_http_resp {
    int status;
    char content_type[128];
    na_buf body; /* caller frees with na_buf_free */
} na_http_resp;

/* One request. body may be NULL. On success resp->status is set (any status); errors are
 * transport/TLS failures (NA_E_REFUSED, NA_E_TIMEOUT, NA_E_PROTOCOL, NA_E_HOSTKEY_CHANGED for a
 * fingerprint mismatch, NA_E_HOSTKEY_UNKNOWN for an unverifiable certificate). */
int cli_remote_request(const na_remote *r, const char *method, const char *path, const char *body,
                      na_http_resp *resp, na_err *err);

/* Follow a text/event-stream: cb(ud, event, id, data) per event; returning non-zero stops
 * (returned as 1). Returns 0 when the server ends the stream, -1 on error. *status gets the HTTP
 * status (non-200: the body is in err). idle_ms bounds the silence between bytes. */
typedef int (*na_sse_cb)(void *ud, const char *event, const char *id, const char *data);
int cli_remote_sse(const na_remote *r, const char *path, const char *last_event_id, int idle_ms,
                  na_sse_cb cb, void *ud, int *status, na_err *err);

/* A verified TLS connection to netautod for a protocol of its own (the terminal's WebSocket,
 * remote_shell.c): opened like a request's (the same verification, nothing sent before it),
 * then raw bytes. write/read wait until deadline (na_now_ms(); <0: none); read returns >0
 * bytes, 0 at the end, -1 on error; pending: bytes TLS already decrypted (poll would not see). */
typedef struct na_remote_conn na_remote_conn;
na_remote_conn *cli_remote_connect(const na_remote *r, na_err *err);
int cli_remote_conn_fd(const na_remote_conn *c);
int cli_remote_conn_write(na_remote_conn *c, const char *p, size_t n, int64_t deadline,
                         na_err *err);
int cli_remote_conn_read(na_remote_conn *c, char *buf, size_t cap, int64_t deadline, na_err *err);
bool cli_remote_conn_pending(const na_remote_conn *c);
void cli_remote_conn_free(na_remote_conn *c);

#endif
